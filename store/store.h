/*
 * store.h - the whole contract of store/: oprov's one persistent state.
 * oprovctl uses all of it; the daemons reach it only through the gate
 * (gate/gate.h), which keeps what they decide with in memory.
 *
 * Backends: SQLite, DATADIR/oprov.db (WAL, busy timeout, foreign keys on,
 * file mode 0600, also for the -wal and -shm files), the embedded default;
 * PostgreSQL (libpq) for several nodes sharing one store.  Both sit behind
 * an internal table of operations (store_int.h), run the same numbered
 * migrations (schema.c) and answer every call the same way; which one a
 * caller gets is decided by where the store is (see "where the store is").
 *
 * THREADS.  A `struct store` is one database connection with its prepared
 * statements: use it from one thread at a time.  Daemons open one store per
 * thread / event loop (opening costs about one millisecond); several
 * processes and threads may have the same DATADIR open at once, SQLite
 * serialises writers and WAL lets readers run beside a writer.  A get or a
 * list reads one consistent snapshot (a device never comes back with half
 * of a concurrent change to its lines).  Iteration callbacks may call read
 * functions of the same store; they must not call functions that write
 * (those fail while the list's snapshot is open).
 *
 * RESULTS.  Functions returning int answer 0 on success, -1 on failure with
 * a one-line message in `err` (which names the rule that refused, e.g.
 * "phone-edge-trust holds at most 16 certificates"), and STORE_NOTFOUND (1)
 * when the named record does not exist (err then says which).  `err` may be
 * NULL; errlen STORE_ERR_MAX is always enough.  Every change of several rows
 * is one transaction: on failure nothing of it is written.
 *
 * STRINGS.  Short text fields are fixed arrays with a named limit (sizes
 * include the terminating NUL); a longer value is refused, never cut.  Large
 * texts (PEM, JWK JSON) are heap strings: filled by a get, they are owned by
 * the record and released by its _free function; given to a put they are
 * borrowed.  Records passed to iteration callbacks are borrowed for the
 * duration of the call.
 *
 * TIME.  Seconds since the epoch (int64_t).  Functions whose outcome depends
 * on the clock take `now` from the caller, so tests can move time.
 *
 * GENERATIONS.  Two counters, both read by store_generation():
 *  - config: bumped by every administrative change that can alter what a
 *    daemon serves or how it validates (devices, lines, profiles, pools,
 *    nodes, enterprise parameters, cluster mode, certificates, Expressway-C
 *    entries, signing keys).  Daemons drop rendered configs and reload keys,
 *    certificates and settings when it changes.
 *  - revocation: bumped by every change to the revocation list (explicit
 *    revocations, a family revoked by reuse detection, device deletion).
 *    Daemons reload their in-memory revocation set when it changes.
 *  Neither moves on refresh rotation, activation-code issue or consumption,
 *  OAuth client changes or SIP binding writes.  Reading costs one
 *  `PRAGMA data_version` (no table read) when nothing was committed since the
 *  last call, one primary-key row read otherwise.
 */
#ifndef OPROV_STORE_H
#define OPROV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "configgen/configgen.h"
#include "trust/trust.h"

struct store;

#define STORE_NOTFOUND 1
#define STORE_ERR_MAX 256

#define STORE_DB_NAME "oprov.db"
/* Every file of the store in DATADIR (the SQLite database, SQLite's WAL
 * and shared-memory files, and the config file that may name another
 * store), for start-up's ownership and access checks. */
#define STORE_DB_FILES { STORE_DB_NAME, STORE_DB_NAME "-wal", \
                         STORE_DB_NAME "-shm", "oprov.conf", NULL }
/* How long a writer waits for another connection's transaction. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Field limits (bytes, including the NUL). */
#define STORE_NAME_MAX 128          /* node, pool, profile, user, client, kid */
#define STORE_DEVICE_NAME_MAX CFG_DEVNAME_MAX  /* as configgen: SEP + 12 hex,
                                                 or a soft client's name */
#define STORE_HASH_MAX 136          /* hex or base64url digests, salted hashes */
#define STORE_PURPOSE_MAX 32
#define STORE_SUBJECT_MAX 1024
#define STORE_HOST_MAX 256
#define STORE_DESC_MAX 256
#define STORE_X509_NAME_MAX 256
#define STORE_X509_NAMES_MAX 16     /* names per Expressway-C entry */
#define STORE_SCOPE_MAX 512
#define STORE_ALG_MAX 16
#define STORE_ID_MAX 64             /* refresh family ids */
#define STORE_JTI_MAX 128
#define STORE_AOR_MAX 256
#define STORE_INSTANCE_MAX 128
#define STORE_CONTACT_MAX 1024
#define STORE_PEM_MAX (64 * 1024)   /* one certificate or key, PEM text */
#define STORE_JWK_MAX (16 * 1024)

/* The longest lifetime an access token can have (1440 minutes): revocations
 * by device/user/all are kept that long after the revocation time, a
 * revoked family that long after the family's expiry, then purged. */
#define STORE_ACCESS_MAX_LIFETIME (1440 * 60)

/* ---- where the store is ----------------------------------------------------
 * Every program names its store with one string, `where` (the -d argument):
 *  - "postgresql://..." or "postgres://...": a libpq connection URI
 *    (user, host, port, database, sslmode, ... as libpq reads them; a
 *    password is better kept in ~/.pgpass or PGPASSFILE than here);
 *  - "sqlite:DIR": the SQLite store DIR/oprov.db;
 *  - anything else is a data directory DATADIR: its config file
 *    DATADIR/oprov.conf (when present) may name the store with
 *    `store = postgresql://...`; otherwise the store is DATADIR/oprov.db.
 * The data directory also holds run/ (pid and statistics files) and files/
 * (served files); with a URI given as -d it is $OPROV_DATADIR, else
 * STORE_DATADIR_DEFAULT.
 *
 * DATADIR/oprov.conf: text, one `key = value` per line, blank lines and
 * lines starting with '#' ignored, spaces around key and value ignored.
 * Keys: `store` (as above, never "sqlite:" of another directory needed,
 * but allowed) and `node` (this machine's node name: the name daemons put
 * in heartbeats and bindings, and oprovctl checks against the publisher).
 * An unknown key, a line without '=', a repeated key, a value over its
 * limit, a line over STORE_CONF_LINE_MAX or a file over STORE_CONF_MAX is
 * refused with the line number. */
#define STORE_CONF_NAME "oprov.conf"
#define STORE_CONF_MAX (64 * 1024)
#define STORE_CONF_LINE_MAX 1024
#define STORE_URI_MAX 1024
#define STORE_DATADIR_DEFAULT "/var/lib/oprov"
#define STORE_DATADIR_ENV "OPROV_DATADIR"
struct store_conf {
	char store[STORE_URI_MAX];      /* "" when not set */
	char node[STORE_NAME_MAX];      /* "" when not set */
};
/* Parses a config file's text (len bytes, need not be terminated). 0 / -1. */
int store_conf_parse(const char *text, size_t len, struct store_conf *out,
                     char *err, size_t errlen);
/* Reads DATADIR/oprov.conf; a missing file is an empty config.  0 / -1. */
int store_conf_load(const char *datadir, struct store_conf *out, char *err,
                    size_t errlen);
/* 1 when `where` is a PostgreSQL URI. */
int store_is_uri(const char *where);
/* The data directory that goes with `where` (see above): `where` itself,
 * the directory of "sqlite:DIR", or the default for a URI.  Borrowed from
 * `where` or static. */
const char *store_datadir(const char *where);
/* This machine's node name: `node` of the data directory's config file,
 * else the host name.  0 / -1. */
int store_node_name(const char *where, char *out, size_t outlen, char *err,
                    size_t errlen);

/* ---- opening ------------------------------------------------------------ */
enum store_open_flags {
	STORE_CREATE = 1 << 0,   /* create DATADIR (0700) and the database */
	STORE_EXCL = 1 << 1,     /* with CREATE: fail if the database exists */
	STORE_READONLY = 1 << 2, /* no writes; schema must be current */
};

/* Opens the store `where` names (above) and applies pending schema
 * migrations in one transaction.  For PostgreSQL, STORE_CREATE creates the
 * schema in an existing database (the database itself is the DBA's: see
 * docs/cluster.md) and STORE_EXCL refuses a database that has one.  A database whose schema is newer than this program's is
 * refused ("database schema version N is newer than this oprov (M); upgrade
 * oprov") and left untouched.  Returns NULL on failure. */
struct store *store_open(const char *datadir, unsigned flags, char *err,
                         size_t errlen);
void store_close(struct store *s);
/* "sqlite" or "postgresql". */
const char *store_backend(struct store *s);
/* 1 when the call that just failed failed because the database could not
 * be reached (connection refused or lost, or busy past the timeout): the
 * caller answers "try again later" (503 + Retry-After), not "error".  The
 * PostgreSQL backend reconnects on the next call, at most once per
 * STORE_RECONNECT_MS, failing fast in between. */
int store_unavailable(struct store *s);
#define STORE_RECONNECT_MS 1000
/* How long a call on this handle waits for a lock another writer holds
 * before it fails as unavailable (store_unavailable: "try again later"):
 * SQLite's busy timeout, PostgreSQL's lock_timeout and statement_timeout.
 * A handle starts with STORE_BUSY_TIMEOUT_MS; a daemon answering requests
 * sets less, so a held lock never holds its threads (1..STORE_BUSY_TIMEOUT_MS
 * ms).  0 / -1. */
int store_set_lock_wait(struct store *s, unsigned ms);

/* The schema version this program writes. */
int store_schema_version(void);

struct store_generation {
	uint64_t config;
	uint64_t revocation;
};
int store_generation(struct store *s, struct store_generation *out, char *err,
                     size_t errlen);

/* ---- cluster SIP OAuth mode --------------------------------------------- */
/* Defaults (mode off) when never set. */
int store_cluster_get(struct store *s, struct cfg_cluster *out, char *err,
                      size_t errlen);
int store_cluster_set(struct store *s, const struct cfg_cluster *c, char *err,
                      size_t errlen);

/* ---- enterprise parameters ----------------------------------------------
 * Kept as name/value text (the text form of cfg_param_get/cfg_param_set).
 * The store does not judge values: validate with configgen before setting.
 * A parameter never set is STORE_NOTFOUND (its default applies). */
#define STORE_PARAM_VALUE_MAX 512
int store_param_get(struct store *s, const char *name, char *value,
                    size_t valuelen, char *err, size_t errlen);
int store_param_set(struct store *s, const char *name, const char *value,
                    char *err, size_t errlen);
/* Back to the default (STORE_NOTFOUND when it was not set). */
int store_param_unset(struct store *s, const char *name, char *err,
                      size_t errlen);
typedef int (*store_param_cb)(void *ctx, const char *name, const char *value);
/* The parameters that were set, by name. */
int store_param_list(struct store *s, store_param_cb cb, void *ctx,
                     char *err, size_t errlen);
/* Several parameters in one transaction (value NULL = unset). */
struct store_param_change {
	const char *name;
	const char *value;
};
int store_param_apply(struct store *s, const struct store_param_change *ch,
                      size_t n, char *err, size_t errlen);

/* The parameters as configgen's struct: cfg_params_init defaults with every
 * stored value applied through cfg_param_set.  A stored name this oprov does
 * not know (written by a newer one) is skipped; a stored value configgen
 * refuses is an error naming it. */
int store_params_load(struct store *s, struct cfg_params *out, char *err,
                      size_t errlen);
/* Stores every parameter of `p` (after cfg_params_validate) in one
 * transaction: the text form of cfg_param_get for each table entry. */
int store_params_save(struct store *s, const struct cfg_params *p, char *err,
                      size_t errlen);

/* ---- nodes ---------------------------------------------------------------
 * Names are case-sensitive keys.  put adds or replaces.  A node in a device
 * pool's node group cannot be deleted. */
int store_node_put(struct store *s, const struct cfg_node *n, char *err,
                   size_t errlen);
int store_node_get(struct store *s, const char *name, struct cfg_node *out,
                   char *err, size_t errlen);
int store_node_delete(struct store *s, const char *name, char *err,
                      size_t errlen);
typedef int (*store_node_cb)(void *ctx, const struct cfg_node *n);
int store_node_list(struct store *s, store_node_cb cb, void *ctx, char *err,
                    size_t errlen);

/* ---- device pools ----------------------------------------------------------
 * Every node of the node group must exist.  A pool used by a device cannot
 * be deleted. */
int store_pool_put(struct store *s, const struct cfg_pool *p, char *err,
                   size_t errlen);
int store_pool_get(struct store *s, const char *name, struct cfg_pool *out,
                   char *err, size_t errlen);
int store_pool_delete(struct store *s, const char *name, char *err,
                      size_t errlen);
typedef int (*store_pool_cb)(void *ctx, const struct cfg_pool *p);
int store_pool_list(struct store *s, store_pool_cb cb, void *ctx, char *err,
                    size_t errlen);

/* ---- phone security profiles ----------------------------------------------
 * A profile used by a device cannot be deleted.  The store keeps what it is
 * given: validate with cfg_profile_validate first. */
int store_profile_put(struct store *s, const struct cfg_profile *p, char *err,
                      size_t errlen);
int store_profile_get(struct store *s, const char *name,
                      struct cfg_profile *out, char *err, size_t errlen);
int store_profile_delete(struct store *s, const char *name, char *err,
                         size_t errlen);
typedef int (*store_profile_cb)(void *ctx, const struct cfg_profile *p);
int store_profile_list(struct store *s, store_profile_cb cb, void *ctx,
                       char *err, size_t errlen);

/* ---- devices and their lines ------------------------------------------------
 * Device names are keys in canonical form: ASCII upper case (the store
 * upper-cases on write and on lookup, so "sep00aabbccddee" finds
 * SEP00AABBCCDDEE through the primary-key index, never a scan).  The
 * device's profile must exist, and its pool unless empty.  The store checks
 * integrity, not the configgen rules: run cfg_device_validate first.
 * Deleting a device deletes its lines, activation codes and refresh families
 * and revokes its access tokens. */
enum store_put_flags {
	STORE_PUT_REPLACE = 0,   /* add or replace (device and all its lines) */
	STORE_PUT_NEW = 1,       /* refuse a name that exists */
};
int store_device_put(struct store *s, const struct cfg_device *d,
                     unsigned flags, char *err, size_t errlen);
int store_device_get(struct store *s, const char *name, struct cfg_device *out,
                     char *err, size_t errlen);
int store_device_delete(struct store *s, const char *name, int64_t now,
                        char *err, size_t errlen);
typedef int (*store_device_cb)(void *ctx, const struct cfg_device *d);
/* Devices in name order, with their lines.  after: start after this name
 * (NULL = from the first); limit: at most this many (0 = all).  Pass the
 * last name seen as `after` to page. */
int store_device_list(struct store *s, const char *after, size_t limit,
                      store_device_cb cb, void *ctx, char *err, size_t errlen);
/* Bulk import in ONE transaction with prepared statements: `next` fills
 * *dev with the next device (borrowed until the following call) and returns
 * 1, or returns 0 at the end, -1 to abort.  Any refused device aborts the
 * whole import (err names it and the rule); nothing is written then.
 * *count (may be NULL) receives the number of devices written. */
typedef int (*store_device_next_fn)(void *ctx, const struct cfg_device **dev);
int store_device_import(struct store *s, store_device_next_fn next, void *ctx,
                        unsigned flags, size_t *count, char *err,
                        size_t errlen);
/* The same for an array. */
int store_device_import_array(struct store *s, const struct cfg_device *devs,
                              size_t n, unsigned flags, char *err,
                              size_t errlen);
/* Changes one device in ONE write transaction: reads it (with its lines
 * and vendor settings), calls fn with the record, and writes what fn left
 * there (a new profile, pool, owner, lines, ...) under the same name
 * without deleting the device, so its activation codes, refresh families
 * and access tokens stay valid.  fn returns 0 to write, non-zero to abort
 * (that value is returned; -1 with err filled by fn).  fn may call read
 * functions of the same store (e.g. store_profile_get, to check the device
 * against its new profile) and must not write.  The references are checked
 * as by store_device_put; the name cannot change.  STORE_NOTFOUND when the
 * device does not exist. */
typedef int (*store_device_edit_fn)(void *ctx, struct cfg_device *d, char *err,
                                    size_t errlen);
int store_device_edit(struct store *s, const char *name, store_device_edit_fn fn,
                      void *ctx, char *err, size_t errlen);
/* Which of the device's lines carry a number some other device has too:
 * bit (button - 1) of *mask.  For <sharedLine> and the line's contact.  An
 * indexed lookup per line. */
int store_line_shared(struct store *s, const char *device, uint32_t *mask,
                      char *err, size_t errlen);

/* ---- per-model default firmware loads -------------------------------------
 * Feed XMLDefault.cnf.xml's loadInformationNNN and the loadInformation of
 * every device of the model that sets no load of its own.  The store does
 * not judge names: check the model with cfg_model_find first. */
int store_model_load_set(struct store *s, const char *model, const char *load,
                         char *err, size_t errlen);
/* Back to none (STORE_NOTFOUND when none was set). */
int store_model_load_unset(struct store *s, const char *model, char *err,
                           size_t errlen);
typedef int (*store_model_load_cb)(void *ctx, const struct cfg_load *l);
/* By model name. */
int store_model_load_list(struct store *s, store_model_load_cb cb, void *ctx,
                          char *err, size_t errlen);

/* ---- dial plans, softkey templates, feature policies -----------------------
 * Named records (configgen.h) that devices refer to by name; put adds or
 * replaces (with its rules, sets or features), a record a device uses cannot
 * be deleted.  Validate with configgen first. */
int store_dialplan_put(struct store *s, const struct cfg_dialplan *p, char *err,
                       size_t errlen);
int store_dialplan_get(struct store *s, const char *name, struct cfg_dialplan *out,
                       char *err, size_t errlen);
int store_dialplan_delete(struct store *s, const char *name, char *err, size_t errlen);
typedef int (*store_dialplan_cb)(void *ctx, const struct cfg_dialplan *p);
int store_dialplan_list(struct store *s, store_dialplan_cb cb, void *ctx, char *err,
                        size_t errlen);
int store_softkeys_put(struct store *s, const struct cfg_softkeys *k, char *err,
                       size_t errlen);
int store_softkeys_get(struct store *s, const char *name, struct cfg_softkeys *out,
                       char *err, size_t errlen);
int store_softkeys_delete(struct store *s, const char *name, char *err, size_t errlen);
typedef int (*store_softkeys_cb)(void *ctx, const struct cfg_softkeys *k);
int store_softkeys_list(struct store *s, store_softkeys_cb cb, void *ctx, char *err,
                        size_t errlen);
int store_fpolicy_put(struct store *s, const struct cfg_fpolicy *f, char *err,
                      size_t errlen);
int store_fpolicy_get(struct store *s, const char *name, struct cfg_fpolicy *out,
                      char *err, size_t errlen);
int store_fpolicy_delete(struct store *s, const char *name, char *err, size_t errlen);
typedef int (*store_fpolicy_cb)(void *ctx, const struct cfg_fpolicy *f);
int store_fpolicy_list(struct store *s, store_fpolicy_cb cb, void *ctx, char *err,
                       size_t errlen);
/* Renders the named file of kind (CFG_FILE_DIALPLAN, _SOFTKEYS,
 * _FEATURE_POLICY) and record name from one snapshot; *gen gets the config
 * generation it belongs to.  0, STORE_NOTFOUND, -1. */
int store_render_named(struct store *s, enum cfg_file_kind kind, const char *name,
                       struct cfg_output *out, uint64_t *gen, char *err,
                       size_t errlen);

/* ---- Apply Config, reset, restart -----------------------------------------
 * oprovctl records a request per device (the newest replaces an older one);
 * the oprov-sipd holding the device's binding picks it up, sends the NOTIFY
 * over the live connection and writes back the state: "pending" (recorded),
 * "queued" (a sipd took it), "sent", "answered" (code: the device's final
 * response), "not registered" (no live connection held the binding),
 * "failed" (could not be sent).  Bindings (below) say which node holds a
 * device. */
#define STORE_ACTION_MAX 16             /* "apply", "reset", "restart" */
#define STORE_ACTION_STATE_MAX 16
struct store_action {
	char device[STORE_DEVICE_NAME_MAX];
	char action[STORE_ACTION_MAX];
	int64_t seq;                            /* grows with each request */
	char state[STORE_ACTION_STATE_MAX];
	int64_t code;                           /* SIP status, 0 = none */
	char node[STORE_NAME_MAX];              /* the sipd that took it */
	int64_t requested, updated;
	/* action_pending only: the binding it goes to */
	uint64_t conn_id;
	char aor[STORE_AOR_MAX];
	char contact[STORE_CONTACT_MAX];
	char path[STORE_CONTACT_MAX];           /* its Path, "" without */
};
/* Records action for device (which must exist) as "pending"; *seq (may be
 * NULL) gets its number. */
int store_action_request(struct store *s, const char *device, const char *action,
                         int64_t now, int64_t *seq, char *err, size_t errlen);
/* STORE_NOTFOUND when no request was ever made. */
int store_action_get(struct store *s, const char *device, struct store_action *out,
                     char *err, size_t errlen);
typedef int (*store_action_cb)(void *ctx, const struct store_action *a);
/* Pending requests of devices with a binding on node, one call per binding
 * (conn_id, aor, contact and path filled). */
int store_action_pending(struct store *s, const char *node, store_action_cb cb,
                         void *ctx, char *err, size_t errlen);
/* Writes state, code, node and updated of the request (device, seq); a
 * newer request is left alone. */
int store_action_update(struct store *s, const struct store_action *a, char *err,
                        size_t errlen);

/* ---- everything one rendering needs, in one snapshot -----------------------
 * For daemons: the device, its profile, its pool (if any) with the pool's
 * node group, the enterprise parameters and the cluster mode, all read in
 * one consistent snapshot, with the config generation they belong to (cache
 * the rendered file under that generation).  A device without a pool uses
 * the pool named STORE_DEFAULT_POOL when it exists.  A pool node that does not
 * exist is left out of nodes[].  STORE_NOTFOUND when the device does not
 * exist.  About 12 KiB: allocate it, don't put it on a small stack. */
#define STORE_DEFAULT_POOL "Default"   /* the pool of a device with none */
#define STORE_LOADS_MAX 64            /* per-model loads a render carries */
struct store_render {
	struct store_generation gen;
	struct cfg_device device;
	struct cfg_profile profile;
	int has_pool;
	struct cfg_pool pool;
	size_t node_count;
	struct cfg_node nodes[CFG_GROUP_MAX];
	struct cfg_params params;
	struct cfg_cluster cluster;
	uint32_t shared_lines;             /* store_line_shared */
	size_t load_count;                 /* per-model default loads */
	struct cfg_load loads[STORE_LOADS_MAX];
};
int store_render_load(struct store *s, const char *device,
                      struct store_render *out, char *err, size_t errlen);
/* The same for XMLDefault.cnf.xml (no device): the "Default" pool's node
 * group, or without that pool the first CFG_GROUP_MAX nodes by name, plus
 * parameters and cluster mode.  TFTP and HTTP render it from this. */
int store_render_default_load(struct store *s, struct store_render *out,
                              char *err, size_t errlen);
/* Points ctx at r's records (borrowed from r).  file_server is the host of
 * the first node of the device's node group (NULL without one); a caller
 * with a configured file-server name may override it.  loads and
 * shared_lines are r's. */
void store_render_ctx(const struct store_render *r, struct cfg_render_ctx *ctx);

/* ---- certificates by purpose ------------------------------------------ */
#define STORE_PURPOSE_TOMCAT "tomcat"            /* key + cert, one only */
#define STORE_PURPOSE_TOMCAT_TRUST "tomcat-trust"
#define STORE_PURPOSE_PHONE_EDGE_TRUST "phone-edge-trust"
#define STORE_PHONE_EDGE_TRUST_MAX 16
/* The roles a trust list names (docs/formats.md): each holds one RSA
 * certificate with its private key.  sast signs ITLFile.tlv/CTLFile.tlv;
 * sast-next is the signer after the next rotation, already listed as a
 * second SAST so phones holding today's list accept tomorrow's; ccm-tftp is
 * the node's CCM+TFTP certificate, which signs NAME.sgn files. */
#define STORE_PURPOSE_SAST "sast"
#define STORE_PURPOSE_SAST_NEXT "sast-next"
#define STORE_PURPOSE_CCM_TFTP "ccm-tftp"
/* 1 for a purpose that holds exactly one certificate with its private key
 * (tomcat, sast, sast-next, ccm-tftp), else 0. */
int store_purpose_keyed(const char *purpose);

struct store_cert {
	int64_t id;                             /* assigned by store_cert_add */
	char purpose[STORE_PURPOSE_MAX];
	char subject[STORE_SUBJECT_MAX];
	int64_t not_after;
	char sha256[STORE_HASH_MAX];            /* fingerprint, as the caller gives it */
	const char *pem;                        /* certificate (chain) PEM */
	const char *key_pem;                    /* private key, "tomcat" only; else NULL */
};
/* Adds a certificate.  A keyed purpose (tomcat, sast, sast-next, ccm-tftp)
 * replaces that purpose's current pair and needs key_pem; "phone-edge-trust" holds at most STORE_PHONE_EDGE_TRUST_MAX; the
 * same fingerprint twice under one purpose is refused.  *id_out (may be
 * NULL) receives the new id. */
int store_cert_add(struct store *s, const struct store_cert *c,
                   int64_t *id_out, char *err, size_t errlen);
int store_cert_get(struct store *s, int64_t id, struct store_cert *out,
                   char *err, size_t errlen);
/* The current tomcat pair (STORE_NOTFOUND when none). */
int store_cert_tomcat(struct store *s, struct store_cert *out, char *err,
                      size_t errlen);
int store_cert_delete(struct store *s, int64_t id, char *err, size_t errlen);
/* The pair of a keyed purpose, key included (STORE_NOTFOUND when none). */
int store_cert_keyed(struct store *s, const char *purpose,
                     struct store_cert *out, char *err, size_t errlen);
/* Rotation, in one transaction: the pair of `to` is dropped, the pair of
 * `from` becomes `to`'s, and c (purpose `from`, with its key) is added.
 * STORE_NOTFOUND when `from` holds nothing.  For the trust-list signer:
 * from sast-next, to sast. */
int store_cert_promote(struct store *s, const char *from, const char *to,
                       const struct store_cert *c, int64_t *id_out, char *err,
                       size_t errlen);
/* Callback returns non-zero to stop; that value is returned.  purpose NULL
 * lists all.  Listed records carry key_pem = NULL. */
typedef int (*store_cert_cb)(void *ctx, const struct store_cert *c);
int store_cert_list(struct store *s, const char *purpose, store_cert_cb cb,
                    void *ctx, char *err, size_t errlen);
void store_cert_free(struct store_cert *c);   /* frees pem/key_pem (wiped) */

/* ---- trust lists and signed files ---------------------------------------
 * What ITLFile.tlv / CTLFile.tlv name, in this order: sast (SAST, the
 * signer), sast-next (SAST), ccm-tftp (CCM+TFTP), the web certificate's
 * leaf twice (TFTP: what 6971 shows; CCM: what 5090 shows), each Phone
 * Edge Trust CA (APP-SERVER).
 * The list's timestamp is the newest not_before among them, so the bytes
 * change exactly when the content does.  docs/formats.md has the why. */
#define STORE_ITL_NAME "ITLFile.tlv"
#define STORE_CTL_NAME "CTLFile.tlv"
#define STORE_TRUST_ENTRIES_MAX (5 + STORE_PHONE_EDGE_TRUST_MAX)
struct store_trust_cert {
	uint8_t *der;                           /* NULL when the role is empty */
	size_t len;
};
struct store_trust {
	uint64_t gen;                           /* config generation read */
	int mixed_mode;
	struct store_trust_cert sast, sast_next, ccm_tftp, web;
	size_t nedge;
	struct store_trust_cert edge[STORE_PHONE_EDGE_TRUST_MAX];
	trust_key *sast_key;                    /* signs lists */
	trust_key *ccm_tftp_key;                /* signs NAME.sgn; NULL: none */
	uint32_t timestamp;
};
/* Reads every role in one consistent view.  STORE_NOTFOUND (with the
 * parts read) when there is no sast pair: nothing can be signed. */
int store_trust_load(struct store *s, struct store_trust *out, char *err,
                     size_t errlen);
void store_trust_free(struct store_trust *t);
/* The records in list order (pointers into t).  Count written. */
size_t store_trust_entries(const struct store_trust *t, struct tlv_entry *e,
                           size_t cap);
/* The signed list named `filename` (STORE_ITL_NAME or STORE_CTL_NAME, as
 * its header says).  0 / -1. */
int store_trust_build(const struct store_trust *t, const char *filename,
                      uint8_t **out, size_t *len, char *err, size_t errlen);
/* NAME.sgn of n bytes, signed by ccm-tftp; sgn_name goes in the header.
 * STORE_NOTFOUND without a ccm-tftp pair. */
int store_trust_sign(const struct store_trust *t, const char *sgn_name,
                     uint32_t ts, const void *p, size_t n, uint8_t **out,
                     size_t *outlen, char *err, size_t errlen);

/* ---- Expressway-C entries --------------------------------------------- */
struct store_expressway {
	char host[STORE_HOST_MAX];              /* key, case-insensitive */
	char description[STORE_DESC_MAX];
	size_t n_names;
	char names[STORE_X509_NAMES_MAX][STORE_X509_NAME_MAX];
};
/* Adds or replaces (with its names) atomically. */
int store_expressway_put(struct store *s, const struct store_expressway *e,
                         char *err, size_t errlen);
int store_expressway_get(struct store *s, const char *host,
                         struct store_expressway *out, char *err, size_t errlen);
int store_expressway_delete(struct store *s, const char *host, char *err,
                            size_t errlen);
typedef int (*store_expressway_cb)(void *ctx, const struct store_expressway *e);
int store_expressway_list(struct store *s, store_expressway_cb cb, void *ctx,
                          char *err, size_t errlen);

/* ---- signing keys ------------------------------------------------------ */
enum store_key_state {
	STORE_KEY_CURRENT = 0,   /* signs new tokens; exactly one (after init) */
	STORE_KEY_PREVIOUS = 1,  /* verifies tokens signed before the rotation */
	STORE_KEY_RETIRED = 2,   /* neither; private key dropped by the store */
};
struct store_key {
	char kid[STORE_NAME_MAX];
	char alg[STORE_ALG_MAX];                /* "RS256", "ES256", "EdDSA" */
	const char *private_pem;                /* NULL for retired keys */
	const char *public_jwk;                 /* JSON object text */
	int64_t created;
	enum store_key_state state;
	/* The current key is published (JWKS) at once but signs only from
	 * `activates` on (0: from its creation); until then the previous key
	 * signs.  Set by the rotation, cleared by store_key_activate. */
	int64_t activates;
	/* The latest exp of a token signed with it (0: none recorded): the
	 * key must verify until then (a rotation retiring it earlier is
	 * refused by oprovctl). */
	int64_t last_exp;
};
/* In one transaction: previous -> retired, current -> previous, `k` ->
 * current (k->state is ignored; k->activates is kept).  Also the way to
 * install the first key. */
int store_key_rotate(struct store *s, const struct store_key *k, char *err,
                     size_t errlen);
int store_key_current(struct store *s, struct store_key *out, char *err,
                      size_t errlen);
typedef int (*store_key_cb)(void *ctx, const struct store_key *k);
/* All keys, newest first. */
int store_key_list(struct store *s, store_key_cb cb, void *ctx, char *err,
                   size_t errlen);
/* Current and previous keys: what validators load. */
int store_key_list_verify(struct store *s, store_key_cb cb, void *ctx,
                          char *err, size_t errlen);
void store_key_free(struct store_key *k);     /* wipes and frees the texts */
/* Records that a token expiring at `exp` is signed with key `kid` (keeps
 * the maximum).  Called before the token is handed out.  0 / -1. */
int store_key_note_exp(struct store *s, const char *kid, int64_t exp,
                       char *err, size_t errlen);
/* When the current key's activation time has come (activates <= now):
 * clears it and bumps the config generation, so daemons load it as the
 * signing key.  1 when it did, 0 when nothing was due, -1 on error. */
int store_key_activate(struct store *s, int64_t now, char *err, size_t errlen);

/* ---- activation codes ---------------------------------------------------
 * The store keeps only the hash the caller computed (e.g. hex SHA-256 of the
 * 16 digits).  Device names are matched case-insensitively. */
struct store_code {
	char device[STORE_DEVICE_NAME_MAX];
	char code_hash[STORE_HASH_MAX];
	int64_t created;
	int64_t expires;
	int64_t used_at;                        /* 0 = unused */
};
/* Issues a code for a device, replacing its unused one.  The device must
 * exist. */
int store_code_issue(struct store *s, const char *device,
                     const char *code_hash, int64_t created, int64_t expires,
                     char *err, size_t errlen);
/* Consumes a code atomically: exactly one caller wins, for an unused code
 * with expires > now.  `device` may be NULL to match by hash alone; the
 * device the code belongs to is copied to device_out (may be NULL).
 * 0 = consumed, STORE_NOTFOUND = unknown, used, expired or other device. */
int store_code_consume(struct store *s, const char *device,
                       const char *code_hash, int64_t now, char *device_out,
                       size_t device_outlen, char *err, size_t errlen);
/* Onboarding in one transaction: consumes the device's code as
 * store_code_consume does and, when f is not NULL, creates family f with
 * token_hash as store_family_create does.  Either both happen or neither:
 * a failure creating the family leaves the code unused for the phone's
 * retry.  0, STORE_NOTFOUND (the code, as store_code_consume), or -1. */
struct store_family;
int store_code_redeem(struct store *s, const char *device,
                      const char *code_hash, int64_t now,
                      const struct store_family *f, const char *token_hash,
                      char *err, size_t errlen);
/* The operation behind both (the one each backend implements): the code,
 * the family f when not NULL, the code's device copied to device_out when
 * not NULL. */
int store_code_use(struct store *s, const char *device, const char *code_hash,
                   int64_t now, const struct store_family *f,
                   const char *token_hash, char *device_out,
                   size_t device_outlen, char *err, size_t errlen);
/* Deletes the device's codes (used or not); STORE_NOTFOUND when none. */
int store_code_revoke(struct store *s, const char *device, char *err,
                      size_t errlen);
typedef int (*store_code_cb)(void *ctx, const struct store_code *c);
int store_code_list(struct store *s, store_code_cb cb, void *ctx, char *err,
                    size_t errlen);

/* ---- OAuth clients ------------------------------------------------------ */
struct store_client {
	char name[STORE_NAME_MAX];              /* the client_id */
	char secret_hash[STORE_HASH_MAX];       /* "": a public client */
	char scope[STORE_SCOPE_MAX];
	int64_t created;
};
/* Adds a client; an existing name is refused. */
int store_client_add(struct store *s, const struct store_client *c, char *err,
                     size_t errlen);
int store_client_get(struct store *s, const char *name,
                     struct store_client *out, char *err, size_t errlen);
int store_client_delete(struct store *s, const char *name, char *err,
                        size_t errlen);
typedef int (*store_client_cb)(void *ctx, const struct store_client *c);
int store_client_list(struct store *s, store_client_cb cb, void *ctx,
                      char *err, size_t errlen);

/* ---- refresh-token families --------------------------------------------
 * A family is one grant: created by the first refresh token, continued by
 * each rotation.  Tokens are stored by hash only. */
struct store_family {
	char id[STORE_ID_MAX];
	char device[STORE_DEVICE_NAME_MAX];     /* may be empty (user grant) */
	char owner[STORE_NAME_MAX];             /* user id; may be empty */
	char client_id[STORE_NAME_MAX];
	char scope[STORE_SCOPE_MAX];
	int64_t created;
	int64_t expires;
	int64_t revoked;                        /* 0 = live, else when */
};
/* Creates family `f` with `token_hash` as its current token. */
int store_family_create(struct store *s, const struct store_family *f,
                        const char *token_hash, char *err, size_t errlen);
int store_family_get(struct store *s, const char *id, struct store_family *out,
                     char *err, size_t errlen);
typedef int (*store_family_cb)(void *ctx, const struct store_family *f);
int store_family_list(struct store *s, store_family_cb cb, void *ctx,
                      char *err, size_t errlen);

enum store_rotate_result {
	STORE_ROTATE_OK = 0,      /* old was current; new is current now */
	STORE_ROTATE_REUSED = 2,  /* old was already rotated: family revoked */
	STORE_ROTATE_INVALID = 3, /* unknown token, family expired or revoked */
};
/* Rotated tokens kept per family, newest first, for reuse detection: a
 * token rotated out more than this many rotations ago is forgotten (it is
 * then merely unknown, INVALID, and no longer revokes the family), so a
 * family's rows stay bounded however often it is refreshed.  At the
 * shortest access-token lifetime (1 minute) a phone refreshing on time
 * covers the last STORE_FAMILY_ROTATED_KEEP minutes, at the default (60)
 * that many hours. */
#define STORE_FAMILY_ROTATED_KEEP 16
#define STORE_FAMILY_ROTATED_KEEP_STR "16"
/* Compare-and-swap in one transaction: if old_hash is the family's current
 * token and the family is live (expires > now), old becomes rotated and
 * new_hash current; the family's rotated tokens beyond
 * STORE_FAMILY_ROTATED_KEEP are deleted.  fam_out (may be NULL) receives the family for OK and
 * REUSED.  Returns an enum store_rotate_result, or -1 on error. */
int store_refresh_rotate(struct store *s, const char *old_hash,
                         const char *new_hash, int64_t now,
                         struct store_family *fam_out, char *err,
                         size_t errlen);
/* Finds the family of a refresh token (for introspection / RFC 7009).
 * *is_current (may be NULL) is 1 when the token is the current one. */
int store_refresh_find(struct store *s, const char *token_hash,
                       struct store_family *out, int *is_current, char *err,
                       size_t errlen);

/* ---- revocations ---------------------------------------------------------
 * Revoking by device, user or all revokes the matching refresh families too
 * and stops every access token issued at or before `now`; later tokens are
 * valid again (a re-onboarded device works).  Revoking a user also revokes
 * each device the user owns (device tokens carry the device in `sub`).  Revoking a family stops its
 * refresh tokens and every access token carrying its `family` claim. */
int store_revoke_jti(struct store *s, const char *jti, int64_t exp,
                     int64_t now, char *err, size_t errlen);
int store_revoke_family(struct store *s, const char *family, int64_t now,
                        char *err, size_t errlen);
int store_revoke_device(struct store *s, const char *device, int64_t now,
                        char *err, size_t errlen);
int store_revoke_user(struct store *s, const char *user, int64_t now,
                      char *err, size_t errlen);
int store_revoke_all(struct store *s, int64_t now, char *err, size_t errlen);

/* Is an access token revoked?  Any argument may be NULL or "" (claim
 * absent).  1 = revoked, 0 = not, -1 = error.  Indexed lookups only. */
int store_token_revoked(struct store *s, const char *jti, const char *dev,
                        const char *sub, const char *family, int64_t iat,
                        char *err, size_t errlen);

enum store_revocation_kind {
	STORE_REVOKE_JTI = 0,
	STORE_REVOKE_DEVICE = 1,
	STORE_REVOKE_USER = 2,
	STORE_REVOKE_FAMILY = 3,
	STORE_REVOKE_ALL = 4,
};
struct store_revocation {
	enum store_revocation_kind kind;
	char value[STORE_JTI_MAX];        /* jti, device, user or family; "" for ALL */
	/* A token matching `value` is revoked when its iat <= issued_before;
	 * INT64_MAX for JTI and FAMILY (whatever the iat). */
	int64_t issued_before;
	int64_t purge_after;              /* the row is dropped by store_purge() then */
	int64_t created;
};
typedef int (*store_revocation_cb)(void *ctx, const struct store_revocation *r);
/* Every revocation, for daemons that keep the set in memory. */
int store_revocation_list(struct store *s, store_revocation_cb cb, void *ctx,
                          char *err, size_t errlen);

/* ---- our access tokens: issuer, audience and keys ------------------------
 * Kept as parameters by `oprovctl init`; the audience defaults to the
 * issuer.  Shared by oprovctl and every daemon so they agree on what is
 * "our" token. */
#define STORE_PARAM_ISSUER   "oauth-issuer"
#define STORE_PARAM_AUDIENCE "oauth-audience"
struct store_token_config {
	char issuer[STORE_PARAM_VALUE_MAX];
	char audience[STORE_PARAM_VALUE_MAX];
};
/* -1 also when no issuer is set (a store not made by `oprovctl init`). */
int store_token_config(struct store *s, struct store_token_config *out,
                       char *err, size_t errlen);
/* The public keys that verify our tokens (current + previous signing key),
 * as a new key set for keystore_set().  NULL on error. */
keyset *store_verify_keyset(struct store *s, char *err, size_t errlen);
/* The key that signs now, with its private half (the PEM text read from
 * the store is wiped): the current key, or the previous one while the
 * current key's `activates` lies ahead.  NULL on error; key_unref(). */
trust_key *store_signing_key(struct store *s, char *err, size_t errlen);

/* ---- the revocation list in memory, for daemons -------------------------
 * Loaded from store_revocation_list whenever the revocation generation
 * moves; consulted on every token use without a store read.  A token is
 * revoked when its jti, its family, its device (any case), its subject or
 * "all" is listed with a cut-off at or after the token's iat (jti and
 * family: always).  Access tokens issued with a refresh token carry their
 * family as the part of the jti before the first STORE_JTI_FAMILY_SEP
 * ("FAMILY.RANDOM"), as the authorization server mints them. */
#define STORE_JTI_FAMILY_SEP '.'
struct store_revset {
	struct store_revocation *r;         /* sorted, one per (kind, value) */
	size_t n;
};
/* Replaces rs's contents with the store's current list.  rs starts zeroed.
 * On failure rs is unchanged.  0 / -1. */
int store_revset_load(struct store *s, struct store_revset *rs, char *err,
                      size_t errlen);
void store_revset_free(struct store_revset *rs);
/* 1 when revoked.  Any argument may be NULL or "".  Read-only: safe from
 * several threads while nobody reloads the set. */
int store_revset_revoked(const struct store_revset *rs, const char *jti,
                         const char *dev, const char *sub, int64_t iat);
/* The family id a token's jti carries ("FAMILY.RANDOM"), or "". */
void store_jti_family(const char *jti, char *out, size_t outsz);

/* ---- current SIP bindings ---------------------------------------------- */
struct store_binding {
	char aor[STORE_AOR_MAX];
	char instance[STORE_INSTANCE_MAX];      /* +sip.instance; may be empty */
	int64_t reg_id;                         /* RFC 5626 reg-id; 0 = none */
	char contact[STORE_CONTACT_MAX];
	char device[STORE_DEVICE_NAME_MAX];
	char node[STORE_NAME_MAX];              /* the sipd that holds it */
	int64_t expires;
	uint64_t conn_id;                       /* sipd's connection number */
	/* The load the device reported when it registered (cfg_reported_load
	 * of the REGISTER's Reason and User-Agent); "" when unknown. */
	char firmware[CFG_LOAD_MAX];
	/* The REGISTER's Path header values (RFC 3327), comma-separated, as
	 * received; "" without. */
	char path[STORE_CONTACT_MAX];
};
/* Adds or replaces the binding keyed by (aor, instance, reg_id). */
int store_binding_put(struct store *s, const struct store_binding *b,
                      char *err, size_t errlen);
int store_binding_delete(struct store *s, const char *aor,
                         const char *instance, int64_t reg_id, char *err,
                         size_t errlen);
/* A batch of puts and deletes (del != 0: only the key fields count) in one
 * transaction, for sipd's write-behind. */
struct store_binding_change {
	int del;
	struct store_binding b;
};
int store_binding_apply(struct store *s,
                        const struct store_binding_change *changes, size_t n,
                        char *err, size_t errlen);
/* Drops the bindings of one node (conn_id 0: all of them, e.g. at sipd
 * start; else those of one closed connection). */
int store_binding_drop_node(struct store *s, const char *node,
                            uint64_t conn_id, char *err, size_t errlen);
/* Deletes bindings with expires <= now; *removed (may be NULL) gets the
 * count. */
int store_binding_purge(struct store *s, int64_t now, uint64_t *removed,
                        char *err, size_t errlen);
typedef int (*store_binding_cb)(void *ctx, const struct store_binding *b);
int store_binding_list(struct store *s, store_binding_cb cb, void *ctx,
                       char *err, size_t errlen);

/* ---- housekeeping --------------------------------------------------------
 * Deletes expired bindings, activation codes, refresh families (with their
 * tokens) and revocations past purge_after.  *removed (may be NULL) gets the
 * number of rows deleted. */
int store_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
                size_t errlen);

/* ---- several nodes on one store ---------------------------------------------
 * Waits up to timeout_ms for a change another connection committed, or
 * until wake_fd (-1: none) is readable.  PostgreSQL: LISTEN/NOTIFY on the
 * channel STORE_NOTIFY_CHANNEL, which every commit that moves a generation
 * notifies; SQLite: the timeout (a plain sleep).  1 when a change was
 * announced, 0 otherwise, -1 when the store cannot wait (unreachable: the
 * caller sleeps on its own and tries again). */
#define STORE_NOTIFY_CHANNEL "oprov_change"
int store_wait_change(struct store *s, int wake_fd, unsigned timeout_ms,
                      char *err, size_t errlen);

/* The publisher: the node where cluster-wide settings (SIP OAuth mode,
 * enterprise parameters) may be changed; "" (STORE_NOTFOUND) when none is
 * recorded, which a single node runs without.  publisher_set checks that
 * the node exists and moves the config generation. */
int store_publisher_get(struct store *s, char *node, size_t nodelen,
                        char *err, size_t errlen);
int store_publisher_set(struct store *s, const char *node, char *err,
                        size_t errlen);

/* Each daemon's heartbeat: who, where, what it serves and when it was last
 * seen.  put adds or replaces the row of (node, program). */
#define STORE_PROGRAM_MAX 32
/* A daemon writes one every few seconds (gate.h GATE_HEARTBEAT_S); one
 * older than this is shown as stale. */
#define STORE_HEARTBEAT_STALE 20
#define STORE_SERVES_MAX 256
struct store_heartbeat {
	char node[STORE_NAME_MAX];
	char program[STORE_PROGRAM_MAX];       /* "oprov-httpsd", ... */
	int64_t pid;
	char serves[STORE_SERVES_MAX];         /* e.g. "6971/tcp 6970/tcp 8443/tcp" */
	int64_t started;
	int64_t seen;
};
int store_heartbeat_put(struct store *s, const struct store_heartbeat *h,
                        char *err, size_t errlen);
typedef int (*store_heartbeat_cb)(void *ctx, const struct store_heartbeat *h);
/* By node, then program. */
int store_heartbeat_list(struct store *s, store_heartbeat_cb cb, void *ctx,
                         char *err, size_t errlen);

/* A counter every node shares (failed activation codes per address): adds
 * `add` (0: only reads) to the counter `name` in its current window and
 * puts the window's total in *hits.  A window starts at the first hit and
 * lasts `window` seconds; a hit after it starts a new one.  One atomic
 * statement, so concurrent nodes never lose a hit.  Expired counters go
 * with store_purge. */
#define STORE_COUNTER_NAME_MAX 128
int store_counter_hit(struct store *s, const char *name, int64_t now,
                      int64_t window, int64_t add, int64_t *hits, char *err,
                      size_t errlen);

/* store_purge, at most once per `interval` seconds across every process and
 * node on this store: the first caller whose claim on the housekeeping row
 * finds the last purge `interval` old runs it (in the same transaction),
 * the others find it recent and do nothing.  *ran (may be NULL) tells
 * which; `node` is recorded with the claim. */
#define STORE_HOUSEKEEP_INTERVAL 60
int store_housekeep(struct store *s, const char *node, int64_t now,
                    int64_t interval, int *ran, uint64_t *removed, char *err,
                    size_t errlen);

/* ---- moving a store into PostgreSQL ------------------------------------------
 * Copies every row of every table of the SQLite store in sqlite_dir into
 * the PostgreSQL store at uri (created when absent; refused when it holds
 * any data), in one PostgreSQL transaction, under the SQLite write lock (a
 * running install's writers wait, up to STORE_BUSY_TIMEOUT_MS, then get
 * "busy": store_unavailable), checks that every table has as many rows on
 * both sides, and moves both generations so PostgreSQL nodes reload.  Then,
 * unless STORE_MOVE_KEEP_SOURCE, the SQLite store is frozen in the same
 * SQLite transaction: every later write to it fails ("moved"), so nothing
 * a daemon still on it does after the copy is silently lost. */
#define STORE_MOVE_KEEP_SOURCE 1
struct store_move_report {
	uint64_t tables, rows;
	uint64_t devices, keys, families, revocations;
};
int store_move(const char *sqlite_dir, const char *uri, unsigned flags,
               struct store_move_report *rep, char *err, size_t errlen);
/* Writes DATADIR/oprov.conf (atomically, mode 0600) from conf. */
int store_conf_write(const char *datadir, const struct store_conf *conf,
                     char *err, size_t errlen);

struct store_counts {
	uint64_t devices, lines, profiles, pools, nodes;
	uint64_t certs, expressways, keys, clients;
	uint64_t codes_active;          /* unused and not expired at `now` */
	uint64_t families_active;       /* not revoked and not expired */
	uint64_t revocations;
	uint64_t bindings;              /* not expired */
};
int store_counts(struct store *s, int64_t now, struct store_counts *out,
                 char *err, size_t errlen);

#endif

/*
 * gate.h - the whole contract of gate/: the one door through which
 * oprov-httpsd, oprov-sipd and oprov-tftpd reach the store, the keys, the
 * revocations and the facts about devices.  A daemon's hot path calls the
 * gate and nothing else of store/ or trust/'s validation.
 *
 * What the gate owns:
 *  - the store-generation sync: a thread of its own waits for a change
 *    (store_wait_change: PostgreSQL's notification, at most `sync_ms`) and
 *    reads the store's two generations; when one moved, it loads what
 *    changed.  The same thread writes this daemon's heartbeat and claims
 *    the cluster's housekeeping (store_housekeep) in turn;
 *  - the verification keys (trust/'s keystore, swapped atomically), the
 *    token validator and its verified-token cache;
 *  - a snapshot of everything else a decision reads: settings, the
 *    revocation set, every device's facts (exists, OAuth, owner, lines), the
 *    Expressway-C names and the nodes' hosts.  A snapshot is immutable and
 *    reference counted; a reload builds a new one and swaps it in, so a
 *    request never waits for SQLite or for a reload, and never holds a lock
 *    while it validates a token;
 *  - the one decision, gate_decide(): channel, device, bearer token (or
 *    none) and peer identity in, policy_decide()'s verdict and reason out;
 *  - one store handle per thread for what must still go to the database
 *    (rendering a config on a cache miss, the token endpoint's writes).
 *
 * Threads: every function is safe from any thread.  Snapshots taken with
 * gate_snap() stay valid until gate_snap_release(), whatever reloads happen
 * meanwhile.
 *
 * Order of use (common/'s start-up sequence): gate_open() as the first
 * step, before binding (it loads the first snapshot, so a store that was
 * never initialised is reported before anything is bound); gate_start()
 * once privileges are dropped and the process is where it will run (it
 * starts the sync thread); gate_close() at the end.
 */
#ifndef OPROV_GATE_H
#define OPROV_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "configgen/configgen.h"
#include "store/store.h"
#include "trust/trust.h"

#define GATE_SYNC_MS_DEFAULT 50      /* how often the generations are read */
#define GATE_SYNC_MS_MAX     60000
#define GATE_NAMES_MAX       256     /* Expressway-C names, node hosts */

struct gate;

struct gate_options {
	const char *datadir;             /* the store */
	unsigned store_flags;            /* e.g. STORE_READONLY (oprov-tftpd) */
	unsigned sync_ms;                /* 0: GATE_SYNC_MS_DEFAULT */
	/* Also load the signing key with its private half (the token
	 * endpoint).  Other daemons never hold it. */
	int signing_key;
	/* Build the trust lists and hold the ccm-tftp key that signs NAME.sgn
	 * (the file servers: oprov-httpsd, oprov-tftpd). */
	int trust_files;
	/* Heartbeat (store_heartbeat_put every GATE_HEARTBEAT_S) under this
	 * program name; NULL: none.  See gate_identify. */
	const char *program;
	/* How long a write on the threads' store handles waits for another
	 * writer's lock (store_set_lock_wait); 0: STORE_BUSY_TIMEOUT_MS. */
	unsigned lock_wait_ms;
};

#define GATE_HEARTBEAT_S 5

/* Opens the store (as the calling user, read-write unless store_flags
 * say otherwise) and loads the first snapshot.  NULL with a one-line
 * reason on failure (e.g. a store `oprovctl init` never made). */
struct gate *gate_open(const struct gate_options *o, char *err, size_t errlen);
/* Starts the sync thread.  The store handle used until now (opened before
 * any privilege drop) is closed; the thread opens its own.  0 / -1. */
int gate_start(struct gate *g, char *err, size_t errlen);
/* Stops the thread and frees everything.  Snapshots must be released
 * first.  NULL ok. */
void gate_close(struct gate *g);

/* Reads the generations now, in the calling thread, and reloads what
 * moved (after a write whose effect the next request must see, e.g. a
 * revocation on 8443).  0 / -1. */
int gate_refresh(struct gate *g);

/* Who this daemon is in its heartbeat, before gate_start: its node (NULL:
 * store_node_name of the data directory: the config file's `node`, else
 * the host name) and what it serves ("6971/tcp 8443/tcp").  Copied.
 * 0 / -1. */
int gate_identify(struct gate *g, const char *node, const char *serves,
                  char *err, size_t errlen);

/* 1 while the store cannot be reached: the gate serves from its last
 * snapshot (tokens validate, revocations known so far hold) and says so
 * once in the log when it starts and once when it ends. */
int gate_degraded(struct gate *g);

/* Called from the sync thread after each new snapshot is in place, with
 * which generations moved.  Must be quick and must not call gate_refresh.
 * One hook per gate; NULL removes it. */
typedef void (*gate_change_fn)(void *arg, int config_moved,
                               int revocation_moved);
void gate_on_change(struct gate *g, gate_change_fn fn, void *arg);

/* ---- snapshots ----------------------------------------------------------- */
struct gate_snap {
	struct store_generation gen;
	char issuer[STORE_PARAM_VALUE_MAX];
	char audience[STORE_PARAM_VALUE_MAX];
	struct cfg_params params;
	struct cfg_cluster cluster;
	const char *jwks;                /* RFC 7517 document of the verify keys */
	trust_key *signing;              /* with gate_options.signing_key; may be NULL */
	const char *const *xnames;       /* every Expressway-C entry's X.509 names */
	size_t nxnames;
	const char *const *node_hosts;   /* every node's host */
	size_t nnode_hosts;
	size_t ndevices;
	/* the gate's own parts follow (gate_int.h) */
};

/* The current snapshot, with a reference the caller releases.  Never NULL
 * once gate_open succeeded. */
const struct gate_snap *gate_snap(struct gate *g);
void gate_snap_release(const struct gate_snap *s);

/* What the policy needs of a device.  Borrowed from the snapshot. */
struct gate_device {
	const char *name;                /* canonical, e.g. SEP00AABBCCDDEE */
	const char *owner;               /* "" when none */
	int oauth;                       /* its profile has OAuth (or none known) */
	size_t nlines;
	const char *const *dn;           /* its lines' directory numbers */
};
/* Finds a device (any case) in the snapshot.  1 and *out filled, or 0.
 * A hash lookup: the cost does not grow with the number of devices. */
int gate_device_find(const struct gate_snap *s, const char *name,
                     struct gate_device *out);
/* 1 when `dn` (len bytes) is one of the device's lines. */
int gate_device_has_line(const struct gate_device *d, const char *dn,
                         size_t len);
/* 1 when the store holds the record behind a named file (f->kind
 * CFG_FILE_DIALPLAN, _SOFTKEYS or _FEATURE_POLICY, f->record its name) in
 * this snapshot.  A binary search: nothing is read from the store. */
int gate_named_file_exists(const struct gate_snap *s, const struct cfg_file *f);

/* ---- tokens ---------------------------------------------------------------- */
/* Validates an access token against the current keys and revocations. */
enum tok_verdict gate_validate(struct gate *g, const char *token, size_t len,
                               struct tok_claims *out);
/* 1 when the snapshot's revocations cover a token with these claims (a
 * token accepted earlier, e.g. the one behind a live SIP binding). */
int gate_token_revoked(const struct gate_snap *s, const char *jti,
                       const char *dev, const char *sub, int64_t iat);
/* Verified-token cache counters (for /metrics and status files). */
void gate_cache_stats(struct gate *g, struct tok_cache_stats *out);

/* ---- the one decision -------------------------------------------------------- */
enum gate_token {
	GATE_TOKEN_NONE = 0,             /* no bearer token presented */
	GATE_TOKEN_PRESENT,              /* token / token_len hold it */
	GATE_TOKEN_TOO_LARGE,            /* presented, over the size limit */
	GATE_TOKEN_UNREADABLE,           /* presented, not decodable at all */
};

struct gate_request {
	enum policy_channel channel;
	/* The device the request is about: its config or trust list, or its
	 * registration.  NULL: a public file.  SIP: "" decides for the
	 * token's device when the token is bound to one, else for
	 * device_hint. */
	const char *device;
	const char *device_hint;
	/* A file of the root behind the request (a public file, a device's
	 * trust list): called only once the token, where one is needed, has
	 * passed, and answers 1 when the file exists (the callback may keep it
	 * open in file_arg).  NULL: nothing to look up (a rendered config; a
	 * public file then does not exist). */
	int (*file_lookup)(void *file_arg);
	void *file_arg;
	/* The device exists, but this one of its files is never produced
	 * (an encrypted config): answered as if absent. */
	int file_absent;
	enum gate_token token_state;
	const char *token;
	size_t token_len;
	/* A trust list (device NULL, file_lookup says whether it is served):
	 * public on 6970 and TFTP for every device. */
	int trust_list;
	enum policy_peer peer;           /* 5091: the TLS client's standing */
	const char *aor_user;            /* SIP: the To URI's user part */
	size_t aor_user_len;
};

struct gate_verdict {
	enum policy_reason reason;
	const char *why;                 /* static text for the log line */
	enum tok_verdict tok;            /* when a token was presented */
	struct tok_claims claims;        /* tok == TOK_OK; else jti is "" */
	char device[CFG_DEVNAME_MAX];    /* the device decided for, or "" */
	int device_exists;
	int device_oauth;
	char owner[CFG_NAME_MAX];
	uint64_t config_gen;             /* of the snapshot the decision read */
};

/* Gathers the facts and asks policy_decide().  On 6971 the token is
 * checked before anything else is looked at: an anonymous or invalid
 * request costs one parse and one (cached) signature check, never a device
 * lookup.  Counts every verdict by reason (gate_verdict_counts). */
void gate_decide(struct gate *g, const struct gate_request *rq,
                 struct gate_verdict *out);
/* Verdicts so far, indexed by enum policy_reason (8 entries). */
#define GATE_REASONS 8
void gate_verdict_counts(struct gate *g, uint64_t out[GATE_REASONS]);

/* ---- the store, for what memory cannot answer ----------------------------------- */
/* The calling thread's own store handle, opened on first use (closed when
 * the thread ends).  NULL with the reason logged. */
struct store *gate_store(struct gate *g);

/* Renders SEP<MAC>.cnf.xml for `device`, or XMLDefault.cnf.xml when device
 * is CFG_DEFAULT_FILE, or a named file (a dial plan, softkey template or
 * feature policy) when device is that file's canonical name
 * (cfg_named_file), from one store snapshot (this thread's handle).
 * file_server, when not NULL, replaces the node host in URLs.  0 with
 * *out filled (cfg_output_free), STORE_NOTFOUND for an unknown device, -1
 * on error (err says why).  *gen receives the config generation rendered. */
int gate_render(struct gate *g, const char *device, const char *file_server,
                struct cfg_output *out, uint64_t *gen, char *err,
                size_t errlen);

/* ---- trust lists and signed files (docs/formats.md) ------------------------------ */
/* Bytes shared by reference: built once, immutable, released by each user. */
struct gate_blob {
	const uint8_t *data;
	size_t len;
	uint64_t gen;                    /* config generation it belongs to */
	char etag[48];                   /* "\"<32 hex of SHA-256>\"" */
};
void gate_blob_release(const struct gate_blob *b);   /* NULL ok */
/* The signed trust list `name` (CFG_ITL_FILE, CFG_CTL_FILE) of the current
 * config generation.  Built by the sync thread whenever the generation
 * moves (gate_options.trust_files), never per request.  NULL when it is not
 * served: CTLFile.tlv without mixed mode, or a store without a sast pair. */
const struct gate_blob *gate_trustlist(struct gate *g, const char *name);
/* NAME.sgn of n bytes (a rendered config), signed with the ccm-tftp key of
 * the current generation; the caller caches what it signs.  0 with *out
 * malloc'd, STORE_NOTFOUND when nothing can sign, -1 on error. */
int gate_sign(struct gate *g, const char *sgn_name, const void *p, size_t n,
              uint8_t **out, size_t *outlen, char *err, size_t errlen);
/* A regular file of the root (fd, read from offset 0, not closed) as
 * sgn_name: signed once and kept while the file (device, inode, size,
 * mtime) and the config generation stay, at most GATE_SGN_CACHE files and
 * GATE_SGN_CACHE_BYTES bytes.  Files over GATE_SGN_FILE_MAX are refused.
 * NULL with err on failure. */
#define GATE_SGN_CACHE        32
#define GATE_SGN_CACHE_BYTES  (256u * 1024 * 1024)
#define GATE_SGN_FILE_MAX     (SGN_FILE_MAX - 65536)
const struct gate_blob *gate_sign_file(struct gate *g, int fd,
                                       const char *sgn_name, char *err,
                                       size_t errlen);

#endif

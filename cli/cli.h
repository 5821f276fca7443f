/*
 * cli.h - private to cli/: what the command groups of oprovctl share (the
 * global options, exit codes, store opening, output and argument helpers).
 * Each command group lives in its own cmd_*.c file and exposes one entry
 * point, listed in the dispatch table of oprovctl.c.
 */
#ifndef OPROV_CLI_H
#define OPROV_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "trust/trust.h"

struct store;

/* Exit codes (documented in docs/oprovctl.8). */
#define CLI_OK    0   /* done */
#define CLI_FAIL  1   /* refused by a rule, or failed; nothing was written */
#define CLI_USAGE 2   /* bad command line */

#define CLI_DATADIR_DEFAULT "/var/lib/oprov"
#define CLI_DATADIR_ENV     "OPROV_DATADIR"
#define CLI_ERR_MAX         512
#define CLI_PATH_MAX        4096
/* Largest file oprovctl reads: a PEM bundle or key (CERT_PEM_MAX of trust.h);
 * device imports have their own, larger ceiling (cmd_device.c). */
#define CLI_FILE_MAX        (1024 * 1024)

/* The pid files `reload` signals and the statistics files `status` shows
 * live in DATADIR/run; served files in DATADIR/files. */
#define CLI_RUN_DIR   "run"
#define CLI_FILES_DIR "files"

struct cli {
	/* -d, else $OPROV_DATADIR, else the default: a data directory or a
	 * postgresql:// URI (store.h "where the store is") */
	const char *store;
	const char *datadir;    /* the data directory that goes with it */
	int json;               /* --json */
};

typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);

/* One command group.  argv[0] is the group name; argv[1] the subcommand
 * for groups that have them. */
struct cli_cmd {
	const char *name;
	cli_cmd_fn fn;
	const char *summary;    /* one line for the tool's --help */
	const char *usage;      /* full text for `oprovctl NAME --help` */
};

/* ---- messages ------------------------------------------------------------ */
/* "oprovctl: <message>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) OPROV_PRINTF(1, 2);
/* Usage error: the message, then the group's usage line; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...) OPROV_PRINTF(2, 3);
/* Prints the group's usage text to stdout; returns CLI_OK. */
int cli_help(const struct cli_cmd *cmd);
/* The group entry of the dispatch table (for usage messages). */
const struct cli_cmd *cli_cmd_find(const char *name);

/* ---- subcommands ----------------------------------------------------------- */
/* A group's subcommand: argv[0] is the subcommand name, options follow. */
struct cli_sub {
	const char *name;
	int (*fn)(struct cli *c, const struct cli_cmd *self, int argc, char **argv);
};
/* Runs the subcommand argv[1] of group argv[0] from the NULL-terminated
 * table, or answers with a usage error. */
int cli_dispatch(struct cli *c, const struct cli_sub *subs, int argc, char **argv);
/* getopt_long returned '?': names the option that was unknown or lacked
 * its value; returns CLI_USAGE. */
int cli_bad_option(const struct cli_cmd *self, char **argv);
/* After the getopt loop: exactly `want` positional arguments left (usage
 * error naming `what` otherwise).  0 / CLI_USAGE. */
int cli_positional(const struct cli_cmd *self, int argc, char **argv, int want,
                   const char *what);

/* ---- arguments ------------------------------------------------------------ */
/* Each command runs getopt_long over its own arguments (argv[0] = command
 * or subcommand; main() has answered "--help"/"-h" already): it returns the
 * option character, -1 at the end, '?' on an unknown option or missing
 * argument (answer with cli_bad_option).  cli_getopt_reset() before each
 * new argument vector. */
void cli_getopt_reset(void);
/* Copies src into dst (size dstsz) or refuses with "FIELD: longer than N
 * bytes" (never truncates).  0 / -1. */
int cli_copy(char *dst, size_t dstsz, const char *src, const char *field,
             char *err, size_t errlen);
/* Integer flag in [min, max]: 0 / -1 with "FLAG: VALUE is not a number in
 * MIN-MAX" in err. */
int cli_int(const char *flag, const char *text, long long min, long long max,
            long long *out, char *err, size_t errlen);
/* Is `s` one of the words, NULL-terminated list?  Returns its index or -1. */
int cli_word(const char *s, const char *const *words);

/* ---- files ----------------------------------------------------------------- */
/* Reads a whole file (or stdin for "-") of at most max bytes into a malloc'd,
 * NUL-terminated buffer.  0 / -1. */
int cli_read_file(const char *path, size_t max, char **buf, size_t *len,
                  char *err, size_t errlen);
/* DATADIR/NAME into buf.  0 / -1 when it does not fit. */
int cli_path(const struct cli *c, const char *name, char *buf, size_t buflen);

/* ---- the store -------------------------------------------------------------- */
/* Opens the existing store of DATADIR; prints why not and returns NULL. */
struct store *cli_store_open(const struct cli *c);
/* A subcommand that is one store call on one positional name, such as
 * `node delete NAME`: checks the argument (named `arg` in usage errors),
 * opens the store, calls fn, and prints "<done_pre>NAME<done_post>" or
 * "oprovctl: <what>: <error>".  Returns CLI_OK, CLI_FAIL or CLI_USAGE. */
typedef int (*cli_store_name_fn)(struct store *s, const char *name, char *err,
                                 size_t errlen);
int cli_store_by_name(struct cli *c, const struct cli_cmd *self, int argc,
                      char **argv, const char *arg, cli_store_name_fn fn,
                      const char *what, const char *done_pre,
                      const char *done_post);
/* `GROUP add NAME` and `GROUP set NAME` (node, pool): r is what the
 * store's get returned for NAME (0 found, STORE_NOTFOUND, -1 with err).  add
 * wants NAME absent, set wants it present; otherwise prints "GROUP add:
 * GROUP NAME exists (use `oprovctl GROUP set`)", "GROUP set: no GROUP NAME"
 * or "GROUP add|set: ERR".  CLI_OK / CLI_FAIL. */
int cli_add_or_set(const char *group, int create, const char *name, int r,
                   const char *err);
/* Does DATADIR hold a SQLite store?  0 also when the store is elsewhere
 * (a URI, or one oprov.conf names): opening it tells. */
int cli_store_exists(const struct cli *c);
/* 1 when the store is DATADIR's own SQLite file. */
int cli_store_local(const struct cli *c);
/* Cluster-wide settings change only on the publisher (when one is
 * recorded): CLI_OK, or CLI_FAIL printed as "WHAT: refused on subscriber
 * NODE; ... on the publisher P". */
int cli_on_publisher(const struct cli *c, struct store *s, const char *what);
/* The issuer and audience settings (defaults when never set). 0 / -1. */
int cli_issuer(struct store *s, char *buf, size_t buflen, char *err, size_t errlen);
int cli_audience(struct store *s, char *buf, size_t buflen, char *err, size_t errlen);

/* ---- output ------------------------------------------------------------------ */
/* Prints a JSON value (indented) and a newline to stdout, consuming the
 * reference.  CLI_OK / CLI_FAIL. */
int cli_json_print(json_t *v);
/* "2026-11-27 09:15:00 UTC" (or "-" for 0). */
const char *cli_time(int64_t t, char *buf, size_t buflen);

/* ---- command groups (cmd_*.c) ------------------------------------------------- */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_store(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_mode(struct cli *c, int argc, char **argv);
int cmd_param(struct cli *c, int argc, char **argv);
int cmd_node(struct cli *c, int argc, char **argv);
int cmd_pool(struct cli *c, int argc, char **argv);
int cmd_cert(struct cli *c, int argc, char **argv);
int cmd_expressway(struct cli *c, int argc, char **argv);
int cmd_profile(struct cli *c, int argc, char **argv);
int cmd_device(struct cli *c, int argc, char **argv);
/* Subcommands of `device` in files of their own: set (cmd_devset.c) and
 * apply|reset|restart (cmd_action.c). */
int cli_device_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv);
int cli_device_action(struct cli *c, const struct cli_cmd *self, int argc, char **argv);
/* profile set (cmd_profset.c). */
int cli_profile_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv);
/* After a change to one device (device) or to a profile's devices
 * (profile): when the apply-on-change parameter is on, requests Apply
 * Config for the registered ones without waiting and says so.  Returns
 * CLI_OK (the change itself succeeded either way). */
int cli_apply_on_change(struct cli *c, const char *device, const char *profile);
int cmd_model(struct cli *c, int argc, char **argv);
/* dialplan, softkeys and feature-policy (cmd_named.c): one entry, the group
 * from argv[0]. */
int cmd_named(struct cli *c, int argc, char **argv);
int cmd_code(struct cli *c, int argc, char **argv);
int cmd_token(struct cli *c, int argc, char **argv);
int cmd_keys(struct cli *c, int argc, char **argv);
int cmd_client(struct cli *c, int argc, char **argv);
int cmd_registrations(struct cli *c, int argc, char **argv);
int cmd_reload(struct cli *c, int argc, char **argv);
int cmd_cluster(struct cli *c, int argc, char **argv);
int cmd_trust(struct cli *c, int argc, char **argv);

/* Shared by `init` and `keys rotate` (cmd_keys.c): a fresh signing key of
 * type t (enum key_type) as a store record, private PEM and public JWK
 * filled (heap; release with store_key_free).  Nothing is written.  0 / -1. */
struct store_key;
int cli_key_make(int key_type, int64_t now, struct store_key *out, char *err,
                 size_t errlen);
/* Shared by `init` and `cert upload` (cmd_cert.c): adds the certificate
 * (chain) pem under purpose, with key_pem for tomcat (else NULL), its
 * subject, fingerprint and expiry taken from ci (a trust.h cert_info); *id
 * (may be NULL) receives the new id.  0 / -1. */
struct cert_info;
int cli_cert_add(struct store *s, const char *purpose, const char *pem,
                 const char *key_pem, const struct cert_info *ci, int64_t *id,
                 char *err, size_t errlen);
/* A trust-list role pair (cmd_cert.c): a fresh RSA 2048 self-signed
 * certificate and key for `purpose` (sast, sast-next, ccm-tftp), made in
 * memory, then stored. */
#define CLI_ROLE_DAYS 3650
struct cli_role {
	const char *purpose;
	char *pem, *key_pem;             /* key_pem is a secret */
	struct cert_info info;
};
int cli_role_make(const char *purpose, const char *cn, struct cli_role *r, char *err,
                  size_t errlen);
int cli_role_store(struct store *s, const struct cli_role *r, char *err, size_t errlen);
void cli_role_free(struct cli_role *r);

#endif

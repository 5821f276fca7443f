/*
 * gate_int.h - private to gate/: how a snapshot is built (snapshot.c), the
 * device table (devices.c), the gate itself (gate.c) and the decision
 * (decide.c) fit together.
 */
#ifndef OPROV_GATE_INT_H
#define OPROV_GATE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "common/common.h"
#include "gate/gate.h"

/* A bump allocator for a snapshot's strings and small arrays: freed whole
 * with the snapshot part that owns it. */
struct gate_arena {
	struct gate_chunk *head;
};
void *gate_arena_alloc(struct gate_arena *a, size_t n);
char *gate_arena_strdup(struct gate_arena *a, const char *s);
void gate_arena_free(struct gate_arena *a);

/* ---- devices.c: every device's facts, by name ---------------------------- */
struct gate_dev_entry {
	struct gate_dev_entry *next;     /* bucket chain */
	uint64_t hash;
	struct gate_device d;
};
struct gate_devices {
	struct gate_arena arena;
	struct gate_dev_entry **bucket;
	size_t nbuckets, n;
};
/* Loads every profile and device from the store.  0 / -1. */
int gate_devices_load(struct gate_devices *t, struct store *st, char *err,
                      size_t errlen);
void gate_devices_free(struct gate_devices *t);
const struct gate_dev_entry *gate_devices_find(const struct gate_devices *t,
                                               const char *name);

/* ---- named.c: the named files the store holds, by canonical file name ---- */
struct gate_named {
	struct gate_arena arena;
	const char **v;                  /* sorted */
	size_t n;
};
int gate_named_load(struct gate_named *t, struct store *st, char *err, size_t errlen);
void gate_named_free(struct gate_named *t);

/* ---- the validator, shared by snapshots while issuer and audience stay ---- */
struct gate_validator {
	atomic_int refs;
	tok_validator *v;
	char issuer[STORE_PARAM_VALUE_MAX];
	char audience[STORE_PARAM_VALUE_MAX];
};

/* What the config generation decides: settings, keys' JWKS, devices,
 * names.  Immutable once built; shared by the snapshots of one config
 * generation. */
struct gate_conf {
	atomic_int refs;
	uint64_t gen;
	struct store_token_config tc;
	struct cfg_params params;
	struct cfg_cluster cluster;
	char *jwks;
	trust_key *signing;
	struct gate_validator *validator;
	struct gate_arena names;         /* xnames and node_hosts below */
	const char **xnames;
	size_t nxnames;
	const char **node_hosts;
	size_t nnode_hosts;
	struct gate_devices devices;
	struct gate_trust *trust;        /* gate_options.trust_files; NULL: none */
	struct gate_named named;         /* dial plans, softkey templates, ... */
};

/* ---- trustlist.c: the trust lists and signer of one config generation ---- */
struct gate_trust;
/* Builds them from the store; NULL (logged once per generation) when the
 * store has no signer. */
struct gate_trust *gate_trust_load(struct store *st, uint64_t gen);
void gate_trust_free(struct gate_trust *t);
struct gate_sgn_cache;
void gate_sgn_cache_free(struct gate_sgn_cache *c);

/* The revocation list of one revocation generation. */
struct gate_revs {
	atomic_int refs;
	uint64_t gen;
	struct store_revset rev;
};

/* A snapshot: its public part first, so a `const struct gate_snap *` is
 * also this. */
struct gate_snap_int {
	struct gate_snap pub;
	atomic_int refs;
	struct gate_conf *conf;
	struct gate_revs *revs;
};

/* ---- snapshot.c ---------------------------------------------------------- */
struct gate;
/* Builds a config part from the store; reuses `prev`'s validator when the
 * issuer and audience did not change (prev may be NULL).  NULL on error. */
struct gate_conf *gate_conf_load(struct gate *g, struct store *st,
                                 uint64_t gen, const struct gate_conf *prev,
                                 char *err, size_t errlen);
struct gate_revs *gate_revs_load(struct store *st, uint64_t gen, char *err,
                                 size_t errlen);
void gate_conf_unref(struct gate_conf *c);
void gate_revs_unref(struct gate_revs *r);
/* A new snapshot of the two parts (takes a reference to each). */
struct gate_snap_int *gate_snap_make(struct gate_conf *c, struct gate_revs *r);

/* Validates against s's keys and revocations (gate_validate's work for a
 * snapshot the caller holds). */
enum tok_verdict gate_validate_in(const struct gate_snap_int *s,
                                  const char *token, size_t len,
                                  struct tok_claims *out);

/* ---- gate.c -------------------------------------------------------------- */
struct gate {
	struct gate_options o;
	char *datadir;
	keystore *keys;                  /* verification keys, swapped atomically */

	pthread_spinlock_t cur_lock;     /* guards `cur` and its reference count */
	struct gate_snap_int *cur;

	pthread_mutex_t sync_lock;       /* one reload at a time */
	struct store *boot_st;           /* gate_open's handle, until gate_start */
	pthread_key_t store_key;         /* one store handle per thread */
	int have_key;

	pthread_t thread;
	int running;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	int stop;
	int wake_fd[2];                  /* a pipe: gate_close ends a store wait */

	/* chores.c: degraded state, heartbeat, housekeeping */
	atomic_int degraded;
	char node[STORE_NAME_MAX];
	char serves[STORE_SERVES_MAX];
	int64_t started, next_beat, next_housekeep;

	gate_change_fn on_change;
	void *on_change_arg;

	atomic_uint_fast64_t verdicts[GATE_REASONS];

	pthread_mutex_t sgn_lock;        /* guards sgn */
	struct gate_sgn_cache *sgn;      /* signed files of the root */
};

/* ---- chores.c: what the sync thread does beside following the store ---- */
/* The store was (down 1) or is again (down 0) out of reach; logs the
 * change once, with `why`. */
void gate_set_degraded(struct gate *g, int down, const char *why);
/* Heartbeat and housekeeping when due (sync thread, writable stores). */
void gate_chores(struct gate *g, struct store *st);

/* Reads the generations through st and swaps in a new snapshot for what
 * moved.  Caller holds sync_lock.  0 / -1 (logged). */
int gate_sync_locked(struct gate *g, struct store *st, int *config_moved,
                     int *revocation_moved);

#endif

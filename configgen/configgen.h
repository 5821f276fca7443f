/*
 * configgen.h - the whole contract of configgen/: the device model (plain
 * records with bounded fields, and the rules that make them valid), the
 * rendering of SEP<MAC>.cnf.xml and XMLDefault.cnf.xml, and the one mapping
 * from a requested file name to what it means.
 *
 * Records are plain structs with fixed-size, NUL-terminated char arrays so the
 * store can persist them and callers can copy them with `=`.  configgen never
 * reads or writes the store: the caller looks the records up and hands them in
 * (struct cfg_render_ctx).
 *
 * Facts behind the rules: ../shared/reference/cisco.md.
 */
#ifndef OPROV_CONFIGGEN_H
#define OPROV_CONFIGGEN_H

#include <stddef.h>
#include <stdint.h>

/* ---- limits (bytes include the terminating NUL) -------------------------- */
#define CFG_NAME_MAX        64   /* node, pool, profile names; user ids */
#define CFG_DEVNAME_MAX     16   /* device names are at most 15 characters (the
                                    call-control system's deviceName limit):
                                    "SEP" + 12 hex digits, or a soft client's
                                    CSF/BOT/TCT/TAB + 1..12 of [A-Z0-9._-] */
#define CFG_MODEL_MAX       16   /* "8851NR", "CSF" */
#define CFG_HOST_MAX        256  /* DNS name (253) or IP address; MRA domain */
#define CFG_TEXT_MAX        128  /* descriptions, labels, display names (UTF-8) */
#define CFG_DN_MAX          32   /* directory number: digits * # +, 1..31 */
#define CFG_TZ_MAX          64   /* Olson time zone name, "America/New_York" */
#define CFG_DATE_TMPL_MAX   16   /* "M/D/YA" */
#define CFG_LOAD_MAX        64   /* firmware load name, "sip88xx.14-2-1-0101-30" */
#define CFG_URL_MAX         256  /* URLs carried in the configs */
#define CFG_NTP_MAX         4    /* NTP servers per device pool */
#define CFG_GROUP_MAX       3    /* nodes in a pool's node group (a call-manager
                                    group has at most three members) */
#define CFG_LINES_MAX       16   /* lines per device */
#define CFG_LINE_CALLS_MAX  16   /* maxNumCalls per line */
#define CFG_VERSION_MAX     24   /* versionStamp text + NUL */
#define CFG_FILENAME_MAX    255  /* longest file name cfg_file_classify accepts */
#define CFG_RECNAME_MAX     33   /* dial plan, softkey template and feature
                                    policy names: 1..32 of [a-z0-9_-] */
#define CFG_VENDOR_MAX      24   /* vendor setting overrides per device / profile */
#define CFG_VKEY_MAX        32   /* vendor setting name, "web-access" */
#define CFG_VVAL_MAX        32   /* vendor setting value, "off" */
#define CFG_KEM_MAX         3    /* key expansion modules per phone */
#define CFG_KEMTYPE_MAX     16   /* key expansion module type, "8800" */

#define CFG_PORT_MIN        1024
#define CFG_PORT_MAX        49151

/* ---- enterprise parameters ------------------------------------------------
 * One struct with every parameter; a table (cfg_param_table) gives each one a
 * name for `oprovctl param list|get|set`, a type, its range and default.  The
 * text form produced by cfg_param_get is always accepted by cfg_param_set, so
 * the store may persist parameters as name/value text pairs. */
struct cfg_params {
	int  refresh_login_flow;        /* "OAuth with Refresh Login Flow", 0/1, default 0 */
	int  access_token_minutes;      /* 1..1440, default 60 */
	int  refresh_token_days;        /* 1..365, default 60 */
	int  activation_code_hours;     /* 1..8760, default 168 (one week) */
	char cluster_id[CFG_NAME_MAX];  /* default "StandAloneCluster" */
	char time_zone[CFG_TZ_MAX];     /* default for pools without one, "Etc/UTC" */
	char date_template[CFG_DATE_TMPL_MAX]; /* default "M/D/YA" */
	char user_locale[CFG_NAME_MAX]; /* default "English_United_States" */
	char lang_code[CFG_NAME_MAX];   /* default "en_US" */
	char network_locale[CFG_NAME_MAX]; /* default "United_States" */
	/* URLs written into the configs; empty = element left empty.  The text
	 * "{host}" is replaced by the file server's host name at render time. */
	char services_url[CFG_URL_MAX];
	char directory_url[CFG_URL_MAX];
	char authentication_url[CFG_URL_MAX];
	/* The HTTPS variants phones in secure mode use first. */
	char secure_services_url[CFG_URL_MAX];
	char secure_directory_url[CFG_URL_MAX];
	char secure_authentication_url[CFG_URL_MAX];
	int  apply_on_change;           /* oprovctl: Apply Config after a change, 0/1 */
};

enum cfg_param_type {
	CFG_PARAM_BOOL = 1,             /* text: on/off (also true/false, 1/0,
	                                   enabled/disabled, yes/no on input) */
	CFG_PARAM_INT  = 2,             /* decimal in [min, max] */
	CFG_PARAM_TEXT = 3              /* length in [min, max] bytes, printable UTF-8 */
};

struct cfg_param_info {
	const char *name;               /* "oauth-access-token-minutes" */
	enum cfg_param_type type;
	long long min, max;
	const char *def;                /* default, as text */
	const char *description;
};

/* The table, in display order; *count receives its length. */
const struct cfg_param_info *cfg_param_table(size_t *count);
/* Exact name lookup; NULL when unknown. */
const struct cfg_param_info *cfg_param_find(const char *name);
/* Every parameter at its default. */
void cfg_params_init(struct cfg_params *p);
/* Parses `value` for parameter `name` and stores it.  On refusal nothing is
 * changed and err names the rule ("oauth-access-token-minutes: 0 out of range
 * 1–1440").  0 / -1. */
int cfg_param_set(struct cfg_params *p, const char *name, const char *value,
                  char *err, size_t errlen);
/* Writes the text form of parameter `name` into buf.  0 / -1 (unknown name or
 * buf too small). */
int cfg_param_get(const struct cfg_params *p, const char *name,
                  char *buf, size_t buflen);
/* Checks every field against its range. 0 / -1. */
int cfg_params_validate(const struct cfg_params *p, char *err, size_t errlen);

/* ---- cluster state --------------------------------------------------------- */
struct cfg_cluster {
	int sip_oauth_mode;             /* cluster-wide SIP OAuth mode, 0/1, default 0 */
	int mixed_mode;                 /* CTL files served ("mixed mode"), 0/1, default 0 */
};

/* ---- nodes ------------------------------------------------------------------ */
#define CFG_DEFAULT_PHONE_PORT          2000
#define CFG_DEFAULT_SIP_PORT            5060
#define CFG_DEFAULT_SECURED_SIP_PORT    5061
#define CFG_DEFAULT_SIP_OAUTH_PORT      5090
#define CFG_DEFAULT_SIP_MRA_OAUTH_PORT  5091

struct cfg_node {
	char     name[CFG_NAME_MAX];
	char     host[CFG_HOST_MAX];      /* DNS name or IP address phones use */
	char     description[CFG_TEXT_MAX];
	uint16_t phone_port;              /* ethernetPhonePort, default 2000 */
	uint16_t sip_port;                /* default 5060 */
	uint16_t secured_sip_port;        /* default 5061 */
	uint16_t sip_oauth_port;          /* default 5090 */
	uint16_t sip_mra_oauth_port;      /* default 5091 */
};

/* Name and host are copied (truncated to their limits), ports at defaults. */
void cfg_node_init(struct cfg_node *n, const char *name, const char *host);
/* Name, host, every port in CFG_PORT_MIN..CFG_PORT_MAX, ports distinct. */
int cfg_node_validate(const struct cfg_node *n, char *err, size_t errlen);
/* Port from command-line text, refused outside 1024..49151. 0 / -1. */
int cfg_port_parse(const char *text, uint16_t *out, char *err, size_t errlen);

/* ---- device pools ----------------------------------------------------------- */
struct cfg_pool {
	char   name[CFG_NAME_MAX];
	char   time_zone[CFG_TZ_MAX];     /* Olson name; empty = parameter time-zone */
	char   date_template[CFG_DATE_TMPL_MAX]; /* empty = parameter date-template */
	size_t ntp_count;
	char   ntp[CFG_NTP_MAX][CFG_HOST_MAX];
	size_t node_count;                /* node group, highest priority first */
	char   nodes[CFG_GROUP_MAX][CFG_NAME_MAX];
};

void cfg_pool_init(struct cfg_pool *p, const char *name);
/* Name, time zone known to the time-zone table (below), NTP host syntax,
 * node names valid and not repeated. */
int cfg_pool_validate(const struct cfg_pool *p, char *err, size_t errlen);

/* ---- time zones --------------------------------------------------------------
 * Phones read the vendor's time-zone name from <timeZone> (the ones that know
 * <olsonTimeZone> prefer that).  The table maps every Olson id a pool or the
 * time-zone parameter may take to that name, sorted by Olson id; its source
 * is named in tz.c. */
struct cfg_tz {
	const char *olson;               /* "Europe/Paris" */
	const char *vendor;              /* "Romance Standard/Daylight Time" */
	int std_offset_min;              /* standard time, minutes east of UTC */
	int dst;                         /* 1: the zone keeps daylight saving time */
};

const struct cfg_tz *cfg_tz_table(size_t *count);
/* Exact (Olson ids are case-sensitive) lookup; NULL when not in the table. */
const struct cfg_tz *cfg_tz_find(const char *olson);
/* 0 when `olson` is in the table, else -1 with err "time zone X has no
 * vendor time-zone name; nearest: A, B, C" (the CFG_TZ_NEAREST closest ids by
 * edit distance). */
#define CFG_TZ_NEAREST 3
int cfg_tz_check(const char *olson, char *err, size_t errlen);

/* ---- model families and their vendor settings --------------------------------
 * <vendorConfig> (and, for 78xx, <commonConfig>) carries settings whose names
 * and values differ by family.  Each family has a schema: the setting names
 * an administrator types ("web-access"), the element each one becomes, the
 * words it accepts and the element text for each, and a safe default (or
 * none: then the element is written only when a device or its profile sets
 * it).  Overrides: device over profile over default. */
enum cfg_family {
	CFG_FAMILY_ANY   = 0,            /* "every family" in lookups */
	CFG_FAMILY_78XX  = 1,
	CFG_FAMILY_88XX  = 2,
	CFG_FAMILY_99XX  = 3,            /* 89xx/98xx/99xx */
	CFG_FAMILY_SOFT  = 4,            /* soft clients (CSF, BOT, TCT, TAB) */
	CFG_FAMILY_OTHER = 5             /* older models: no schema */
};
const char *cfg_family_name(enum cfg_family f);   /* "88xx" */

enum cfg_vsection {
	CFG_VS_VENDOR = 1,               /* <vendorConfig> */
	CFG_VS_COMMON = 2                /* <commonConfig> */
};

struct cfg_vendor_key {
	const char *key;                 /* "web-access" */
	const char *element;             /* "webAccess" */
	enum cfg_vsection section;
	const char *const *words;        /* accepted values, NULL-terminated */
	const char *const *xml;          /* element text for each word */
	const char *def;                 /* default word; NULL: not written */
	const char *description;
	/* Settings whose value is free text rather than a word (words NULL):
	 * check() accepts or refuses the value (0 / -1 with err), and the
	 * element text is prefix followed by the value. */
	int (*check)(const char *value, char *err, size_t errlen);
	const char *prefix;
	/* Element the setting's element is nested in ("desktopClient"), NULL
	 * for none; settings of one group are adjacent in the schema and the
	 * group is written only around the ones that are written. */
	const char *group;
};

struct cfg_vendor_kv {
	char key[CFG_VKEY_MAX];
	char value[CFG_VVAL_MAX];        /* one of the key's words, or a free value
	                                    its check() accepts */
};
struct cfg_vendor {
	size_t count;
	struct cfg_vendor_kv kv[CFG_VENDOR_MAX];
};

/* The schema of a family, in the order the elements are written; *count
 * gets its length (0 for families without one). */
const struct cfg_vendor_key *cfg_vendor_schema(enum cfg_family f, size_t *count);
/* Key lookup in one family, or in any family for CFG_FAMILY_ANY. */
const struct cfg_vendor_key *cfg_vendor_key_find(enum cfg_family f, const char *key);
/* "KEY=VALUE" into its parts (VALUE may be empty).  0 / -1. */
int cfg_vendor_spec(const char *spec, char key[CFG_VKEY_MAX], char value[CFG_VVAL_MAX],
                    char *err, size_t errlen);
/* Sets key to value after checking both against family f's schema (any
 * family for CFG_FAMILY_ANY: profiles); value "" or "default" removes the
 * override.  The value is stored as the schema spells it.  0 / -1. */
int cfg_vendor_set(struct cfg_vendor *v, enum cfg_family f, const char *key,
                   const char *value, char *err, size_t errlen);
/* The override of key, or NULL. */
const char *cfg_vendor_get(const struct cfg_vendor *v, const char *key);
/* Every entry known to family f (any family for CFG_FAMILY_ANY) with a
 * value it accepts, keys not repeated, count in range.  0 / -1. */
int cfg_vendor_validate(const struct cfg_vendor *v, enum cfg_family f,
                        char *err, size_t errlen);

/* ---- phone security profiles -------------------------------------------------
 * Enum values equal the numbers written to deviceSecurityMode and
 * transportLayerProtocol. */
enum cfg_sec_mode {
	CFG_MODE_NON_SECURE    = 1,
	CFG_MODE_AUTHENTICATED = 2,
	CFG_MODE_ENCRYPTED     = 3
};
enum cfg_transport {
	CFG_TRANSPORT_TCP     = 1,
	CFG_TRANSPORT_UDP     = 2,
	CFG_TRANSPORT_TLS     = 3,
	CFG_TRANSPORT_TCP_UDP = 4
};

struct cfg_profile {
	char name[CFG_NAME_MAX];
	char description[CFG_TEXT_MAX];
	enum cfg_sec_mode  mode;
	enum cfg_transport transport;
	int  oauth;                      /* "Enable OAuth Authentication" */
	int  digest;                     /* digest authentication */
	int  tftp_encrypted_config;
	struct cfg_vendor vendor;        /* vendor setting overrides for the
	                                    profile's devices (any family) */
};

void cfg_profile_init(struct cfg_profile *p, const char *name); /* non-secure, TCP */
/* Transport TLS if and only if mode is authenticated or encrypted; OAuth only
 * with encrypted + TLS + no digest + no TFTP encrypted config. */
int cfg_profile_validate(const struct cfg_profile *p, char *err, size_t errlen);
/* "non-secure|authenticated|encrypted" and "tcp|udp|tcp+udp|tls", case
 * insensitive.  0 / -1. */
int cfg_sec_mode_parse(const char *text, enum cfg_sec_mode *out);
int cfg_transport_parse(const char *text, enum cfg_transport *out);
const char *cfg_sec_mode_name(enum cfg_sec_mode m);     /* "encrypted" */
const char *cfg_transport_name(enum cfg_transport t);   /* "tcp+udp" */

/* ---- models ------------------------------------------------------------------ */
#define CFG_MODEL_OAUTH  0x1             /* may use a profile with OAuth */
#define CFG_MODEL_SOFT   0x2             /* soft client (CSF, TCT, BOT, TAB) */

struct cfg_model {
	const char *name;                /* "8845", "CSF" */
	const char *product;             /* "Cisco 8845": model attribute in XMLDefault */
	unsigned    flags;
	unsigned    type_id;             /* NNN of <loadInformationNNN> in XMLDefault,
	                                    0 when not known (no element rendered) */
	enum cfg_family family;
	unsigned    kem_max;             /* key expansion modules it takes */
};

const struct cfg_model *cfg_model_table(size_t *count);
/* A firmware load name: 1..CFG_LOAD_MAX-1 of [A-Za-z0-9._-].  0 / -1. */
int cfg_load_check(const char *load, char *err, size_t errlen);
/* Case-insensitive lookup; NULL when the model is unknown. */
const struct cfg_model *cfg_model_find(const char *name);

/* ---- devices and lines -------------------------------------------------------- */
struct cfg_line {
	unsigned button;                 /* 1..CFG_LINES_MAX, unique per device */
	char     dn[CFG_DN_MAX];         /* directory number: 0-9 * # +, + only first */
	char     label[CFG_TEXT_MAX];    /* featureLabel (text beside the button) */
	char     display_name[CFG_TEXT_MAX]; /* displayName (caller id) */
	int      auto_answer;            /* 0/1, default 0 */
	int      call_waiting;           /* 0/1, default 1 */
	unsigned max_calls;              /* 1..CFG_LINE_CALLS_MAX, default 4 */
	unsigned busy_trigger;           /* 1..max_calls, default 2 */
};

/* Key expansion module types (addOnModules): the CLI word and the product
 * name written as deviceType. */
struct cfg_kem_type {
	const char *key;                 /* "8800" */
	const char *product;             /* "Cisco IP Phone 8800 Key Expansion Module" */
	const char *models;              /* models it fits, space-separated */
};
const struct cfg_kem_type *cfg_kem_table(size_t *count);
const struct cfg_kem_type *cfg_kem_find(const char *key);

struct cfg_device {
	char   name[CFG_DEVNAME_MAX];    /* canonical, upper case: SEP<MAC> or a
	                                    soft client's CSF/BOT/TCT/TAB name */
	char   model[CFG_MODEL_MAX];     /* from cfg_model_table */
	char   profile[CFG_NAME_MAX];    /* security profile name */
	char   owner[CFG_NAME_MAX];      /* owner user id; may be empty */
	char   pool[CFG_NAME_MAX];       /* device pool; empty = "Default" */
	char   description[CFG_TEXT_MAX];
	char   load[CFG_LOAD_MAX];       /* firmware load; empty = keep current */
	int    require_activation_code;  /* onboarding needs an activation code */
	int    allow_activation_code_mra;/* ... also over MRA (needs the above) */
	char   mra_domain[CFG_HOST_MAX]; /* MRA service domain, required with MRA */
	size_t line_count;
	struct cfg_line lines[CFG_LINES_MAX];
	/* Files the config names (empty: none); each record must exist. */
	char   dialplan[CFG_RECNAME_MAX];
	char   softkeys[CFG_RECNAME_MAX];
	char   feature_policy[CFG_RECNAME_MAX];
	unsigned kem_count;              /* 0..model's kem_max */
	char   kem_type[CFG_KEMTYPE_MAX];/* cfg_kem_table key, with kem_count > 0 */
	struct cfg_vendor vendor;        /* vendor setting overrides (its family) */
};

/* Parses a device name, any case, exactly len bytes, into its canonical
 * upper-case form: "SEP" + 12 hex digits (a phone, named after its MAC), or
 * "CSF", "BOT", "TCT" or "TAB" + 1..12 of A-Z 0-9 . _ - (a soft client;
 * "CSFrado" -> "CSFRADO").  0 / -1. */
int cfg_device_name_parse(const char *s, size_t len, char out[CFG_DEVNAME_MAX]);
/* 1 when a canonical device name is a soft client's (CSF/BOT/TCT/TAB). */
int cfg_device_name_is_soft(const char *name);
/* name is parsed as above (invalid names leave the name empty); everything
 * else empty / default. */
void cfg_device_init(struct cfg_device *d, const char *name);
/* Line defaults for button `button` and number `dn` (copied, truncated). */
void cfg_line_init(struct cfg_line *l, unsigned button, const char *dn);
int cfg_line_validate(const struct cfg_line *l, char *err, size_t errlen);
/* Checks the device on its own (name, model known and matching the name's
 * kind -- SEP for phones, the model's own prefix for soft clients -- text
 * fields, MRA rules, lines valid with distinct buttons, file names, key
 * expansion modules the model takes, vendor settings of its family) and,
 * when profile is not NULL, against its profile (names match, a model
 * without CFG_MODEL_OAUTH cannot use a profile with OAuth, activation code
 * via MRA needs a profile with OAuth).  0 / -1. */
int cfg_device_validate(const struct cfg_device *d, const struct cfg_profile *profile,
                        char *err, size_t errlen);
/* Non-zero when the device's config is token-gated: its profile has OAuth
 * (whatever the cluster mode says), or no profile is known (fail closed). */
int cfg_device_needs_token(const struct cfg_profile *profile);

/* ---- dial plans, softkey templates, feature policies -----------------------------
 * Records an administrator names and devices refer to; each is rendered into
 * a file of its own that the device config names (cfg_named_file) and every
 * file port serves like XMLDefault.cnf.xml.  Names: 1..32 of [a-z0-9_-]. */
int cfg_recname_check(const char *field, const char *name, char *err, size_t errlen);

/* Dial plan (<dialTemplate>): rules matched against dialled digits. */
#define CFG_DIALRULES_MAX     64
#define CFG_PATTERN_MAX       48
#define CFG_DIAL_TIMEOUT_MAX  60     /* seconds to wait for more digits */
struct cfg_dialrule {
	char     match[CFG_PATTERN_MAX];  /* 0-9 # . * \* , (empty: hotline) */
	unsigned timeout;                 /* 0..CFG_DIAL_TIMEOUT_MAX */
	char     rewrite[CFG_PATTERN_MAX];/* 0-9 # * . %0-%5 %% %. ; may be empty */
};
struct cfg_dialplan {
	char   name[CFG_RECNAME_MAX];
	char   description[CFG_TEXT_MAX];
	size_t count;
	struct cfg_dialrule rules[CFG_DIALRULES_MAX];
};
void cfg_dialplan_init(struct cfg_dialplan *p, const char *name);
/* "MATCH[:TIMEOUT[:REWRITE]]" (timeout default 3).  0 / -1. */
int cfg_dialrule_parse(const char *spec, struct cfg_dialrule *out, char *err,
                       size_t errlen);
int cfg_dialrule_validate(const struct cfg_dialrule *r, char *err, size_t errlen);
int cfg_dialplan_validate(const struct cfg_dialplan *p, char *err, size_t errlen);

/* Softkey template (<softKeyFile>): which softkeys each call state shows. */
#define CFG_SK_KEYS_MAX 16
struct cfg_softkey_def {
	const char *id;                  /* keyID, "Redial" */
	unsigned tag, event, help;       /* the ids phones know the key by */
};
struct cfg_softkey_state {
	const char *key;                 /* what administrators type, "on-hook" */
	const char *id;                  /* softKeySet id, "On Hook" */
};
const struct cfg_softkey_def *cfg_softkey_table(size_t *count);
const struct cfg_softkey_state *cfg_softkey_states(size_t *count);
#define CFG_SK_STATES 13
struct cfg_softkeys {
	char name[CFG_RECNAME_MAX];
	char description[CFG_TEXT_MAX];
	/* keys[s][i]: 1 + index into cfg_softkey_table, 0 ends the list; a
	 * state whose first entry is 0 is left out of the file. */
	unsigned char keys[CFG_SK_STATES][CFG_SK_KEYS_MAX];
};
void cfg_softkeys_init(struct cfg_softkeys *k, const char *name);
/* "STATE=KEY,KEY,..." (STATE as cfg_softkey_states' key, KEY as a keyID,
 * any case; "STATE=" clears the state).  0 / -1. */
int cfg_softkeys_set(struct cfg_softkeys *k, const char *spec, char *err, size_t errlen);
int cfg_softkeys_validate(const struct cfg_softkeys *k, char *err, size_t errlen);

/* Feature policy (<featurePolicyFile>): features turned on or off. */
struct cfg_feature_def {
	unsigned id;                     /* featureDef id */
	const char *name;                /* featureDef name, "Forward All" */
	const char *key;                 /* what administrators type, "forward-all" */
	int def;                         /* enabled by default */
};
#define CFG_FEATURES 16
const struct cfg_feature_def *cfg_feature_table(size_t *count);
struct cfg_fpolicy {
	char name[CFG_RECNAME_MAX];
	char description[CFG_TEXT_MAX];
	signed char enabled[CFG_FEATURES]; /* -1 default, 0 off, 1 on */
};
void cfg_fpolicy_init(struct cfg_fpolicy *f, const char *name);
/* Turns feature `key` on or off ("default" back to the table's).  0 / -1. */
int cfg_fpolicy_set(struct cfg_fpolicy *f, const char *key, int on, char *err,
                    size_t errlen);
int cfg_fpolicy_validate(const struct cfg_fpolicy *f, char *err, size_t errlen);

/* ---- rendering ------------------------------------------------------------------
 * Everything one rendering needs, looked up by the caller and borrowed for the
 * duration of the call. */
struct cfg_load {
	char model[CFG_MODEL_MAX];
	char load[CFG_LOAD_MAX];
};

struct cfg_render_ctx {
	const struct cfg_device  *device;   /* SEP<MAC>.cnf.xml: required */
	const struct cfg_profile *profile;  /* required for a device */
	const struct cfg_pool    *pool;     /* NULL: "Default" with parameter zone */
	const struct cfg_node    *nodes;    /* the pool's node group, in priority order */
	size_t                    node_count; /* at most CFG_GROUP_MAX used */
	const struct cfg_params  *params;   /* required */
	const struct cfg_cluster *cluster;  /* NULL: SIP OAuth mode off */
	const char               *file_server; /* host name for "{host}" in URLs; may be NULL */
	const struct cfg_load    *loads;    /* per-model default loads; may be NULL:
	                                       XMLDefault's loadInformationNNN, and a
	                                       device's loadInformation when the
	                                       device sets none */
	size_t                    load_count;
	uint32_t                  shared_lines; /* bit i: the number of device line
	                                       i is also on another device */
};

/* The load a device runs: its own, else its model's default from ctx->loads,
 * else "" (the phone keeps what it has). */
const char *cfg_device_load(const struct cfg_render_ctx *ctx);

/* A rendered file.  data is NUL-terminated (not counted in len) and owned by
 * the struct until cfg_output_free. */
struct cfg_output {
	char  *data;
	size_t len;
	char   version[CFG_VERSION_MAX]; /* versionStamp (device configs), else "" */
};

/* SEP<MAC>.cnf.xml for ctx->device.
 * - versionStamp: 16 hex digits, a 64-bit FNV-1a hash of the file rendered
 *   with a placeholder stamp, so it changes exactly when the content does
 *   (never from the clock); also returned in out->version.
 * - sipOAuthMode is 1 only when ctx->cluster has SIP OAuth mode on and the
 *   profile has OAuth.  Each line's <port> is the first node's sip OAuth
 *   port in that case, else its secured SIP port for TLS, else its SIP port.
 * - authPassword is always empty (oprov stores no digest passwords);
 *   authName is empty for OAuth profiles and the line's number otherwise.
 * - Text the administrator typed is escaped by libxml2; bytes that are not
 *   valid UTF-8 and characters XML or phones cannot take (C0/C1 controls
 *   including TAB/CR/LF, DEL, non-characters) are dropped; fields are read
 *   only within their arrays even without a terminator.
 * 0 / -1 (missing device, profile or params; out of memory). */
int cfg_render_device(const struct cfg_render_ctx *ctx, struct cfg_output *out,
                      char *err, size_t errlen);
#define CFG_DEFAULT_FILE "XMLDefault.cnf.xml"
/* XMLDefault.cnf.xml: root <Default>, the node group (ctx->nodes), one
 * <loadInformationNNN model="..."> per entry of ctx->loads whose model has a
 * known type_id (in model-table order), URLs.  ctx->device, ctx->profile and
 * ctx->pool are ignored.  0 / -1. */
int cfg_render_default(const struct cfg_render_ctx *ctx, struct cfg_output *out,
                       char *err, size_t errlen);
/* The named files, each with a versionStamp computed as for devices. */
int cfg_render_dialplan(const struct cfg_dialplan *p, struct cfg_output *out,
                        char *err, size_t errlen);
int cfg_render_softkeys(const struct cfg_softkeys *k, struct cfg_output *out,
                        char *err, size_t errlen);
int cfg_render_fpolicy(const struct cfg_fpolicy *f, struct cfg_output *out,
                       char *err, size_t errlen);
void cfg_output_free(struct cfg_output *out);

/* ---- file names -------------------------------------------------------------------
 * The one mapping from a requested file name to what it is, used by every
 * daemon.  `name` is untrusted: exactly len bytes, no NUL needed.
 *
 * The caller strips at most one leading "/" first (HTTP paths always start
 * with one; some TFTP clients send one); the rest is relative to the file
 * root.  Device files are recognised by the last path component,
 * case-insensitively: phones send upper case, but any spelling of a device's
 * file is still that device's file, so gating cannot be bypassed by case or
 * by a directory prefix.
 *
 * Names that no daemon may serve are CFG_FILE_INVALID: empty, longer than
 * CFG_FILENAME_MAX, containing NUL, other control bytes, DEL, non-ASCII bytes
 * (no phone file needs them; they would only add spellings) or '\\', or with
 * a "." or ".." path component, an empty component ("a//b"), or a leading or
 * trailing '/'. */
enum cfg_file_kind {
	CFG_FILE_INVALID = -1,
	CFG_FILE_PUBLIC = 0,              /* anything else: served from the file root */
	CFG_FILE_DEVICE_CONFIG,           /* SEP<MAC>.cnf.xml */
	CFG_FILE_DEVICE_CONFIG_SIGNED,    /* SEP<MAC>.cnf.xml.sgn: the config, signed */
	CFG_FILE_DEVICE_CONFIG_ENC,       /* SEP<MAC>.cnf.xml.enc.sgn: not served */
	CFG_FILE_DEVICE_TRUSTLIST,        /* CTLSEP<MAC>.tlv, ITLSEP<MAC>.tlv: public, the
	                                     cluster's list (docs/formats.md) */
	CFG_FILE_DEFAULT_CONFIG,          /* XMLDefault.cnf.xml */
	CFG_FILE_TRUSTLIST,               /* ITLFile.tlv, CTLFile.tlv */
	CFG_FILE_DEFAULT_CONFIG_SIGNED,   /* XMLDefault.cnf.xml.sgn */
	CFG_FILE_PUBLIC_SIGNED,           /* any other NAME.sgn: the file, or NAME signed */
	CFG_FILE_DIALPLAN,                /* dialplan-NAME.xml */
	CFG_FILE_SOFTKEYS,                /* softkeys-NAME.xml */
	CFG_FILE_FEATURE_POLICY           /* featurepolicy-NAME.xml */
};

#define CFG_ITL_FILE "ITLFile.tlv"
#define CFG_CTL_FILE "CTLFile.tlv"

struct cfg_file {
	enum cfg_file_kind kind;
	char device[CFG_DEVNAME_MAX];     /* canonical device name for DEVICE_*, else "" */
	/* Trust-list kinds: which list (CFG_ITL_FILE or CFG_CTL_FILE); else NULL. */
	const char *trustlist;
	char record[CFG_RECNAME_MAX];     /* canonical (lower-case) record name for
	                                     DIALPLAN/SOFTKEYS/FEATURE_POLICY */
};

/* The file name a config names for a record of kind DIALPLAN, SOFTKEYS or
 * FEATURE_POLICY ("dialplan-" NAME ".xml"), the one name cfg_file_classify
 * maps back.  0 / -1 (other kind, bad name, buf too small). */
#define CFG_NAMED_FILE_MAX 64
int cfg_named_file(enum cfg_file_kind kind, const char *name, char *buf, size_t size);

/* Fills *out and returns out->kind. */
enum cfg_file_kind cfg_file_classify(const char *name, size_t len, struct cfg_file *out);
/* "device-config", "public", ... for logs. */
const char *cfg_file_kind_name(enum cfg_file_kind k);

/* ---- what a registering phone reports ---------------------------------------------
 * The load a device says it runs, for `oprovctl registrations`: the
 * ActiveLoad= item of a REGISTER's Reason text ("cisco-alarm:... Name=CSFrado
 * ActiveLoad=Jabber_for_Windows-12.8.0.51973 ..."), else the first product
 * token of its User-Agent ("Cisco-CP8845/14.2.1" -> "Cisco-CP8845/14.2.1").
 * Both inputs are untrusted, exactly len bytes each (NULL/0 when absent).
 * Writes at most CFG_LOAD_MAX - 1 bytes of [A-Za-z0-9._/()-] into out;
 * returns 0, or -1 (out "") when neither carries one. */
int cfg_reported_load(const char *reason, size_t reason_len, const char *ua,
                      size_t ua_len, char out[CFG_LOAD_MAX]);

#endif

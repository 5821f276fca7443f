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
#define CFG_DEVNAME_MAX     16   /* "SEP" + 12 hex digits + NUL */
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
/* Name, time-zone syntax, NTP host syntax, node names valid and not repeated. */
int cfg_pool_validate(const struct cfg_pool *p, char *err, size_t errlen);

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
};

const struct cfg_model *cfg_model_table(size_t *count);
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

struct cfg_device {
	char   name[CFG_DEVNAME_MAX];    /* canonical "SEP" + 12 upper-case hex */
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
};

/* Parses a device name, any case, exactly len bytes ("sep00aabbccddee" ->
 * "SEP00AABBCCDDEE").  0 / -1. */
int cfg_device_name_parse(const char *s, size_t len, char out[CFG_DEVNAME_MAX]);
/* name is parsed as above (invalid names leave the name empty); everything
 * else empty / default. */
void cfg_device_init(struct cfg_device *d, const char *name);
/* Line defaults for button `button` and number `dn` (copied, truncated). */
void cfg_line_init(struct cfg_line *l, unsigned button, const char *dn);
int cfg_line_validate(const struct cfg_line *l, char *err, size_t errlen);
/* Checks the device on its own (name, model known, text fields, MRA rules,
 * lines valid with distinct buttons) and, when profile is not NULL, against
 * its profile (names match, a model without CFG_MODEL_OAUTH cannot use a
 * profile with OAuth, activation code via MRA needs a profile with OAuth).
 * 0 / -1. */
int cfg_device_validate(const struct cfg_device *d, const struct cfg_profile *profile,
                        char *err, size_t errlen);
/* Non-zero when the device's config is token-gated: its profile has OAuth
 * (whatever the cluster mode says), or no profile is known (fail closed). */
int cfg_device_needs_token(const struct cfg_profile *profile);

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
	const struct cfg_load    *loads;    /* XMLDefault: per-model loads; may be NULL */
	size_t                    load_count;
};

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
	CFG_FILE_PUBLIC_SIGNED            /* any other NAME.sgn: the file, or NAME signed */
};

#define CFG_ITL_FILE "ITLFile.tlv"
#define CFG_CTL_FILE "CTLFile.tlv"

struct cfg_file {
	enum cfg_file_kind kind;
	char device[CFG_DEVNAME_MAX];     /* canonical device name for DEVICE_*, else "" */
	/* Trust-list kinds: which list (CFG_ITL_FILE or CFG_CTL_FILE); else NULL. */
	const char *trustlist;
};

/* Fills *out and returns out->kind. */
enum cfg_file_kind cfg_file_classify(const char *name, size_t len, struct cfg_file *out);
/* "device-config", "public", ... for logs. */
const char *cfg_file_kind_name(enum cfg_file_kind k);

#endif

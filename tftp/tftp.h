/*
 * tftp.h - the whole contract of tftp/: the TFTP packet codec (RFC 1350,
 * 2347, 2348, 2349, 7440), option negotiation, the transfer state machine as
 * pure functions over events, and the read-only server engine behind
 * oprov-tftpd.
 *
 * Block numbers: a transfer counts blocks with a 64-bit index (1, 2, ...);
 * on the wire the index is sent modulo 65536, so a file longer than 65535
 * blocks wraps from 65535 to 0 and carries on (the common practice; RFC 1350
 * itself is silent).  An ACK is mapped back to the one index of the
 * outstanding window that has the same low 16 bits, which is unambiguous
 * because a window never exceeds 65535 blocks.
 */
#ifndef OPROV_TFTP_H
#define OPROV_TFTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct gate;

/* ---- limits of the wire format ------------------------------------------- */
#define TFTP_REQUEST_MAX    512   /* RFC 2347: a request never exceeds 512 octets */
#define TFTP_FILENAME_MAX   255   /* longest file name accepted in a request */
#define TFTP_MODE_MAX       8     /* strlen("netascii") */
#define TFTP_OPTNAME_MAX    32    /* longer option names are unknown ones */
#define TFTP_OPTVALUE_MAX   20    /* digits of a known option's value */
#define TFTP_OPTIONS_MAX    16    /* option pairs in one request */
#define TFTP_ERRMSG_MAX     255   /* text of an ERROR packet we send or log */
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN    8     /* RFC 2348 */
#define TFTP_BLKSIZE_MAX    65464 /* RFC 2348 */
#define TFTP_TIMEOUT_MIN    1     /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX    255
#define TFTP_WINDOW_MIN     1     /* RFC 7440 */
#define TFTP_WINDOW_MAX     65535
#define TFTP_PACKET_MAX     (4 + TFTP_BLKSIZE_MAX)
/* Default bound of the transfers' read-ahead memory (a 64 KiB buffer per
 * transfer of a file too large to hold, once its client has acknowledged
 * something; past the bound a transfer reads each window from the file). */
#define TFTP_TRANSFER_MEMORY (64u * 1024 * 1024)

enum tftp_opcode {
	TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4,
	TFTP_ERROR = 5, TFTP_OACK = 6,
};

enum tftp_errcode {
	TFTP_EUNDEF = 0,      /* not defined, see message */
	TFTP_ENOTFOUND = 1,   /* file not found */
	TFTP_EACCESS = 2,     /* access violation */
	TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4,      /* illegal TFTP operation */
	TFTP_EBADID = 5,      /* unknown transfer ID */
	TFTP_EEXISTS = 6,
	TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,     /* RFC 2347: option negotiation failed */
};

/* Option bits, for "asked for" and "acknowledged" masks. */
#define TFTP_OPT_BLKSIZE    0x1u
#define TFTP_OPT_TIMEOUT    0x2u
#define TFTP_OPT_TSIZE      0x4u
#define TFTP_OPT_WINDOWSIZE 0x8u

struct tftp_options {
	unsigned mask;        /* TFTP_OPT_* present */
	uint32_t blksize;
	uint32_t timeout;     /* seconds */
	uint64_t tsize;
	uint32_t windowsize;
};

/* ---- codec ---------------------------------------------------------------- */
/* A parsed RRQ or WRQ.  filename points into the caller's packet and is
 * filename_len bytes long; the packet holds a NUL right after it. */
struct tftp_request {
	uint16_t opcode;
	const char *filename;
	size_t filename_len;
	int netascii;                 /* mode netascii (else octet) */
	struct tftp_options opt;      /* known options, each checked against its RFC range */
};

/* Parses a request.  On failure returns -1 with *errcode set to the ERROR
 * code to answer (TFTP_EBADOP for a malformed packet, unknown mode or
 * over-long field; TFTP_EOPTNEG for a known option whose value is empty,
 * non-decimal, negative, out of its RFC range, too long, or repeated) and a
 * fixed description in err, which never contains peer bytes.  Unknown
 * options are skipped; trailing NUL padding after the last pair is
 * tolerated (some boot ROMs pad). */
int tftp_request_parse(const uint8_t *buf, size_t len, struct tftp_request *req,
                       int *errcode, char *err, size_t errlen);

/* Any other packet.  DATA: block, data/datalen.  ACK: block.  ERROR: code
 * and msg/msglen (msg not terminated; unterminated text makes the packet
 * malformed).  OACK: the raw option area in data/datalen, walk it with
 * tftp_option_next().  Returns 0, or -1 when the packet is malformed. */
struct tftp_packet {
	uint16_t opcode;
	uint16_t block;
	uint16_t errcode;
	const uint8_t *data;
	size_t datalen;
	const char *msg;
	size_t msglen;
};
int tftp_packet_parse(const uint8_t *buf, size_t len, struct tftp_packet *pkt);

/* Walks NUL-terminated name/value pairs in [*p, end).  Returns 1 with a pair,
 * 0 at the end, -1 on an unterminated or empty name. */
int tftp_option_next(const uint8_t **p, const uint8_t *end,
                     const char **name, size_t *namelen,
                     const char **value, size_t *valuelen);

/* Builders return the packet length, or 0 when cap is too small. */
size_t tftp_build_request(uint8_t *buf, size_t cap, uint16_t opcode,
                          const char *filename, int netascii,
                          const struct tftp_options *opt);
size_t tftp_build_data_header(uint8_t *buf, size_t cap, uint16_t block);
size_t tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block);
/* The message is cut to TFTP_ERRMSG_MAX and to cap; always terminated. */
size_t tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);
size_t tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_options *opt);
/* A fixed English text for each error code (RFC 1350 §5). */
const char *tftp_error_text(int code);

/* ---- option negotiation ------------------------------------------------------ */
struct tftp_limits {
	uint32_t blksize_max;     /* default TFTP_BLKSIZE_MAX */
	uint32_t windowsize_max;  /* default 64 */
	uint32_t timeout_min;     /* default 1 */
	uint32_t timeout_max;     /* default 255 */
	int tsize;                /* answer tsize (default 1) */
};
void tftp_limits_default(struct tftp_limits *lim);

/* What a transfer uses and what the OACK says.  oack.mask is empty when no
 * OACK is to be sent (plain RFC 1350 transfer). */
struct tftp_neg {
	uint32_t blksize;
	uint32_t windowsize;
	uint32_t timeout;         /* seconds, 0 = server's own */
	struct tftp_options oack;
};
/* size < 0 means unknown (netascii or generated): tsize is then omitted, as
 * RFC 2349 allows and as netascii needs (the converted size is not known in
 * advance).  Values above our limits are answered with our limit (RFC 2348
 * and 7440: the answer may be smaller than asked); a timeout outside our
 * limits is left out of the OACK. */
void tftp_negotiate(const struct tftp_request *req, const struct tftp_limits *lim,
                    int64_t size, struct tftp_neg *neg);

/* ---- netascii ------------------------------------------------------------------ */
/* Stream state of LF -> CR LF and CR -> CR NUL conversion (RFC 1350, RFC 764).
 * pending is the second byte of a pair cut by a block boundary, or -1. */
struct tftp_ascii {
	uint64_t src;             /* offset in the source of the next input byte */
	int pending;
};
void tftp_ascii_init(struct tftp_ascii *st);
/* Converts from src (the bytes at st->src, srclen of them available) into
 * out, at most outcap bytes; advances st.  Returns the bytes produced.  Fewer
 * than outcap are produced only when the source runs out. */
size_t tftp_ascii_fill(struct tftp_ascii *st, const uint8_t *src, size_t srclen,
                       uint8_t *out, size_t outcap);

/* ---- transfer state machine ----------------------------------------------------- */
enum tftp_act_kind {
	TFTP_ACT_NONE,        /* nothing to do (stale or duplicate ACK) */
	TFTP_ACT_SEND_OACK,   /* (re)send the OACK */
	TFTP_ACT_SEND,        /* send blocks first .. first+count-1 (stop after a short one) */
	TFTP_ACT_DONE,        /* last block acknowledged */
	TFTP_ACT_FAIL,        /* retry budget spent */
};
struct tftp_action {
	enum tftp_act_kind kind;
	uint64_t first;
	uint32_t count;
	int retransmit;       /* the blocks or OACK were sent before */
};

struct tftp_xfer {
	uint32_t blksize, windowsize;
	uint64_t acked;       /* highest block acknowledged (0 = none yet) */
	uint64_t sent;        /* highest block sent */
	uint64_t last;        /* index of the final (short) block, 0 = not known yet */
	int oack;             /* an OACK is outstanding (waiting for ACK 0) */
	uint32_t rto_ms, rto_base_ms, rto_max_ms;
	unsigned retries, retries_max;
	/* Until the peer acknowledges something its address is unproven (a
	 * spoofed RRQ names a victim): the budget is then retries_first
	 * (set to retries_max by init; lower it to curb reflection). */
	unsigned retries_first;
	int confirmed;
	uint64_t retransmits; /* blocks and OACKs sent again, for the counters */
};

/* nblocks: the number of blocks when known (octet: size / blksize + 1, the
 * +1 being the final short or empty block), else 0. */
void tftp_xfer_init(struct tftp_xfer *x, const struct tftp_neg *neg,
                    uint64_t nblocks, uint32_t rto_ms, uint32_t rto_max_ms,
                    unsigned retries_max);
struct tftp_action tftp_xfer_start(struct tftp_xfer *x);
/* An ACK from the peer.  Duplicate ACKs never trigger a resend (the
 * Sorcerer's Apprentice bug, RFC 1123 §4.2.3.1); an ACK inside the
 * outstanding window moves the window (RFC 7440 §4: resend from ACK+1);
 * anything else is stale and ignored. */
struct tftp_action tftp_xfer_ack(struct tftp_xfer *x, uint16_t block);
/* The retransmission timer fired: resend from the last ACK + 1 with the
 * timeout doubled (up to rto_max_ms), or fail once the budget is spent. */
struct tftp_action tftp_xfer_timeout(struct tftp_xfer *x);
/* The engine reports each block it sent and its length; a block shorter
 * than blksize is the last one. */
void tftp_xfer_sent(struct tftp_xfer *x, uint64_t index, size_t len);
static inline uint16_t tftp_block_wire(uint64_t index) { return (uint16_t)(index & 0xffff); }

/* ---- what a file name resolves to ----------------------------------------------- */
/* A source of bytes shared by every transfer of the same content: a file
 * (held in memory when small, else read with pread) or rendered bytes.
 * Reference counted; owned by the loop that created it. */
struct tftp_src;

/* ---- the server engine ----------------------------------------------------------- */
struct tftp_config {
	const char *listen;           /* "[ADDR:]PORT", default port 69 */
	const char *files;            /* file root */
	struct gate *gate;            /* device configs (gate/gate.h); NULL = none */
	const char *file_server;      /* host name for "{host}" in rendered URLs, may be NULL */
	unsigned threads;             /* event loops; 0 = one per online CPU */
	unsigned max_transfers;       /* in total, default 10000 */
	unsigned max_per_client;      /* per client address, default 128 */
	unsigned rate;                /* requests per second per address, default 200 (0 = off) */
	unsigned burst;               /* bucket depth, default 400 */
	unsigned retries;             /* retransmissions of one packet, default 5 */
	unsigned retries_first;       /* ... before the client's first ACK, default 2 */
	unsigned rexmit_ms;           /* first retransmission timeout, default 1000 */
	unsigned rexmit_max_ms;       /* backoff ceiling, default 8000 */
	size_t cache_file_max;        /* files up to this size are held in memory, default 1 MiB */
	size_t cache_bytes;           /* memory for held files per loop, default 64 MiB */
	size_t transfer_memory;       /* read-ahead buffers of all transfers together,
	                                 default TFTP_TRANSFER_MEMORY */
	int share_port;               /* --share-port: another program may bind it too */
	struct tftp_limits limits;
};
void tftp_config_default(struct tftp_config *cfg);

/* Counters exported in the stats file, in this order. */
#define TFTP_STATS(X) \
	X(requests) X(transfers_started) X(transfers_completed) X(transfers_failed) \
	X(transfers_active) X(blocks_sent) X(bytes_sent) X(retransmits) \
	X(errors_sent) X(refused_not_found) X(refused_access) X(refused_oauth) \
	X(refused_malformed) X(refused_options) X(refused_write) \
	X(refused_rate) X(refused_client_cap) X(refused_total_cap) \
	X(wrong_tid) X(peer_errors) X(timeouts)

struct tftp_stats {
#define TFTP_STATS_FIELD(n) uint64_t n;
	TFTP_STATS(TFTP_STATS_FIELD)
#undef TFTP_STATS_FIELD
};

struct tftp_server;
/* Binds the listening sockets (one per loop, SO_REUSEPORT) and opens the
 * file root.  Call before dropping privileges. */
struct tftp_server *tftp_server_new(const struct tftp_config *cfg, char *err, size_t errlen);
/* The UDP port actually bound (useful with port 0). */
int tftp_server_port(const struct tftp_server *s);
/* Starts the loops (threads).  0 / -1. */
int tftp_server_start(struct tftp_server *s, char *err, size_t errlen);
/* Drops cached files and rendered configs and reopens the file root. */
int tftp_server_reload(struct tftp_server *s, char *err, size_t errlen);
void tftp_server_stats(struct tftp_server *s, struct tftp_stats *out);
/* Stops and joins the loops, closes everything. */
void tftp_server_free(struct tftp_server *s);

#endif

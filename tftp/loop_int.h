/*
 * loop_int.h - private to the engine of oprov-tftpd: one epoll loop per
 * core, each with its own SO_REUSEPORT listening socket, its transfers (each
 * on a fresh ephemeral socket), a min-heap of retransmission deadlines and a
 * cache of sources.  Loops share nothing but the admission limiter and the
 * stop/reload flags.  The engine's files:
 *   loop.c           the event loop (epoll, listening sockets, timer heap)
 *                    and the server object of tftp.h
 *   request.c        requests on the listening port: refusals, admission,
 *                    the start of a transfer
 *   transfer.c       a transfer's life: creation, its socket, lookup by
 *                    peer, its end and the deferred free
 *   transfer_data.c  DATA out, ACK and ERROR in, running the actions of
 *                    the state machine (xfer.c)
 */
#ifndef OPROV_TFTP_LOOP_INT_H
#define OPROV_TFTP_LOOP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include "common/common.h"
#include "tftp/tftp_int.h"

#define LOOP_BATCH      64      /* DATA packets per sendmmsg */

/* Transfers by peer address and port, to recognise a retransmitted RRQ.
 * SO_REUSEPORT hashes a given source to the same socket, so a per-loop
 * table sees every duplicate. */
#define LOOP_PEER_BUCKETS 4096

/* The first member of what an epoll event points to (struct loop for the
 * listening socket, struct transfer for a transfer's socket). */
enum ev_kind { EV_LISTEN = 1, EV_TRANSFER };

/* The local address a request was sent to (IP_PKTINFO, IPV6_PKTINFO). */
struct local_dst {
	int have4, have6;
	struct in_pktinfo pi4;
	struct in6_pktinfo pi6;
};

/* A request as the listening socket received it. */
struct origin {
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct local_dst ld;
	char name[INET6_ADDRSTRLEN];  /* the peer's address, for the log */
};

struct loop;

struct transfer {
	int kind;                     /* EV_TRANSFER */
	struct loop *l;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct tftp_xfer x;
	struct tftp_neg neg;
	int netascii;
	struct tftp_src *src;
	struct tftp_ascii abase;      /* netascii state at block acked + 1 */
	uint64_t deadline;
	size_t hidx;                  /* place in the timer heap */
	uint64_t started;
	uint64_t rexmit_seen;
	char name[96];
	char peername[INET6_ADDRSTRLEN];
	struct transfer *prev, *next;
	struct transfer *pnext;       /* chain of the by-peer table */
	int acked_any;                /* the peer has acknowledged something */
	int dead;                     /* ended; freed after the current batch */
	uint8_t *ra;                  /* read-ahead of a file source (lazily allocated) */
	uint64_t ra_off;
	size_t ra_len;
};

struct loop {
	int kind;                     /* EV_LISTEN */
	struct tftp_server *s;
	unsigned idx;
	pthread_t th;
	int started;
	int epfd, lfd;
	struct transfer **heap;
	size_t hn, hcap;
	struct transfer *transfers;
	/* Ended transfers wait here until the epoll batch is done: an event
	 * for one may still be queued behind the event that ended it (a new
	 * RRQ from the same client port ends the old transfer). */
	struct transfer *graveyard;
	struct transfer *bypeer[LOOP_PEER_BUCKETS];
	struct tftp_cache cache;
	struct tftp_resolver *res;
	uint8_t *buf;                 /* LOOP_BATCH blocks of the largest size */
	uint8_t *abuf;                /* netascii source bytes of one block */
	uint8_t hdr[LOOP_BATCH][4];
	struct mmsghdr msgs[LOOP_BATCH];
	struct iovec iov[LOOP_BATCH][2];
	unsigned reload_seen;
	uint64_t last_ratelog;
	uint64_t last_sweep;
	struct tftp_stats st;         /* written by this loop only, read by anyone */
};

struct tftp_server {
	struct tftp_config cfg;
	char *files, *listen, *file_server;
	struct listen_addr la;
	int family;
	int port;
	unsigned n;
	struct loop *loops;
	struct tftp_limiter *lim;
	size_t ra_bytes;              /* atomic: read-ahead held by all transfers */
	int stop;                     /* atomic */
	unsigned reload_gen;          /* atomic */
};

#define STAT(l, f, n) __atomic_fetch_add(&(l)->st.f, (uint64_t)(n), __ATOMIC_RELAXED)

/* ---- loop.c: retransmission timers ---------------------------------------- */
int tftp_timer_add(struct loop *l, struct transfer *t);
void tftp_timer_del(struct loop *l, struct transfer *t);
/* Moves t's deadline to one retransmission timeout from now. */
void tftp_timer_arm(struct loop *l, struct transfer *t);

/* ---- request.c ------------------------------------------------------------ */
/* Reads, answers or starts a burst of requests from the listening socket. */
void tftp_listen_input(struct loop *l);

/* ---- transfer.c ----------------------------------------------------------- */
/* A transfer of res (admitted, resolved to a file or bytes) for the request
 * req from o, registered with the loop (epoll, timer, by-peer table) and
 * not yet started.  Takes ownership of res's fd or source, also on failure.
 * NULL on failure (logged); the caller still holds the admission slot. */
struct transfer *tftp_transfer_new(struct loop *l, const struct origin *o,
                                   const struct tftp_request *req, struct tftp_res *res,
                                   const char *fname, uint64_t now);
/* The running transfer to this peer address and port, or NULL. */
struct transfer *tftp_transfer_find(struct loop *l, const struct sockaddr_storage *peer);
/* Closes the transfer and gives back its slot and source; the memory goes
 * to the graveyard until tftp_transfers_bury. */
void tftp_transfer_end(struct loop *l, struct transfer *t, int ok);
void tftp_transfers_bury(struct loop *l);
int tftp_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* ---- transfer_data.c ------------------------------------------------------ */
/* Runs an action of the state machine; returns 1 when the transfer ended. */
int tftp_transfer_act(struct loop *l, struct transfer *t, struct tftp_action a);
/* Gives back t's read-ahead buffer and its share of cfg.transfer_memory. */
void tftp_readahead_free(struct loop *l, struct transfer *t);
/* Reads what the peer sent to the transfer's socket (ACK, ERROR). */
void tftp_transfer_input(struct loop *l, struct transfer *t);

#endif

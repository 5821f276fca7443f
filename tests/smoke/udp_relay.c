/*
 * udp_relay.c - a lossy UDP relay for the TFTP loss test: clients talk to
 * the relay, the relay talks to the server from one socket per client and
 * drops DROP percent of the packets in both directions, chosen by a seeded
 * PRNG so a failing run can be replayed.
 *
 *   udp_relay -u SERVER_PORT [-H 127.0.0.1] [-d DROP_PERCENT] [-s SEED]
 * Prints the relay's port on the first line of stdout, then relays until
 * killed; on SIGTERM prints "forwarded N dropped M" to stderr.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"

#define RELAY_CLIENTS 4096

struct pair {
	struct sockaddr_in client;
	int up;                       /* socket towards the server */
	struct sockaddr_in tid;       /* the server's transfer port, once known */
	int have_tid;
};

static uint64_t rng;
static volatile sig_atomic_t stop;
static unsigned long forwarded, dropped;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* xorshift64*: deterministic for a given seed. */
static int
lose(unsigned pct)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	if ((rng * 2685821657736338717ull) % 100 < pct) {
		dropped++;
		return 1;
	}
	forwarded++;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct pair pairs[RELAY_CLIENTS];
	static uint8_t buf[70000];
	struct sockaddr_in me, srv;
	socklen_t ml = sizeof(me);
	const char *host = "127.0.0.1";
	long long v;
	unsigned drop = 10;
	int npairs = 0, lfd, ep, c, sport = 0;
	struct epoll_event ev;
	struct sigaction sa;

	rng = 88172645463325252ull;
	while ((c = getopt(argc, argv, "u:H:d:s:")) != -1) {
		switch (c) {
		case 'u':
			if (num_parse_str(optarg, 1, 65535, &v) < 0)
				return 2;
			sport = (int)v;
			break;
		case 'H':
			host = optarg;
			break;
		case 'd':
			if (num_parse_str(optarg, 0, 100, &v) < 0)
				return 2;
			drop = (unsigned)v;
			break;
		case 's':
			if (num_parse_str(optarg, 1, INT64_MAX, &v) < 0)
				return 2;
			rng = (uint64_t)v;
			break;
		default:
			fprintf(stderr, "usage: udp_relay -u SERVER_PORT [-H HOST] [-d PCT] [-s SEED]\n");
			return 2;
		}
	}
	if (sport == 0)
		return 2;
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	srv.sin_port = htons((uint16_t)sport);
	if (inet_pton(AF_INET, host, &srv.sin_addr) != 1)
		return 2;
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr = srv.sin_addr;
	lfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&me, &ml) < 0) {
		perror("udp_relay");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("%d\n", ntohs(me.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)-1;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 200);

		for (int i = 0; i < n; i++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len;

			if (evs[i].data.u32 == (uint32_t)-1) {
				while ((len = recvfrom(lfd, buf, sizeof(buf), 0,
				                       (struct sockaddr *)&from, &fl)) >= 0) {
					int k;

					fl = sizeof(from);
					for (k = 0; k < npairs; k++)
						if (pairs[k].client.sin_port == from.sin_port &&
						    pairs[k].client.sin_addr.s_addr == from.sin_addr.s_addr)
							break;
					if (k == npairs) {
						struct sockaddr_in any = me;
						if (npairs == RELAY_CLIENTS)
							continue;
						any.sin_port = 0;
						pairs[k].client = from;
						pairs[k].up = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
						if (pairs[k].up < 0 ||
						    bind(pairs[k].up, (struct sockaddr *)&any, sizeof(any)) < 0)
							continue;
						ev.data.u32 = (uint32_t)k;
						epoll_ctl(ep, EPOLL_CTL_ADD, pairs[k].up, &ev);
						npairs++;
					}
					/* A request (also a client's resent one) goes to
					 * the listening port, everything else to the
					 * transfer's port, as the client itself would. */
					int req = len >= 2 && buf[0] == 0 && (buf[1] == 1 || buf[1] == 2);
					if (!lose(drop))
						(void)sendto(pairs[k].up, buf, (size_t)len, 0,
						             (struct sockaddr *)(pairs[k].have_tid && !req ?
						                                 &pairs[k].tid : &srv),
						             sizeof(srv));
				}
			} else {
				struct pair *p = &pairs[evs[i].data.u32];
				while ((len = recvfrom(p->up, buf, sizeof(buf), 0,
				                       (struct sockaddr *)&from, &fl)) >= 0) {
					fl = sizeof(from);
					if (from.sin_port != srv.sin_port) {
						p->tid = from;
						p->have_tid = 1;
					}
					if (!lose(drop))
						(void)sendto(lfd, buf, (size_t)len, 0,
						             (struct sockaddr *)&p->client, sizeof(p->client));
				}
			}
		}
	}
	fprintf(stderr, "udp_relay: forwarded %lu dropped %lu\n", forwarded, dropped);
	return 0;
}

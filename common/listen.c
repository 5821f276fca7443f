/* listen.c - "[ADDR:]PORT" specs and the sockets behind them. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

static int
parse_port(const char *s, size_t len, uint16_t *port)
{
	long long v;

	if (num_parse(s, len, 0, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static void
set_text(struct listen_addr *la)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port;

	if (la->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&la->ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(la->text, sizeof(la->text), "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&la->ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(la->text, sizeof(la->text), "%s:%u", host, port);
	}
}

static int
fill(struct listen_addr *la, const char *host, size_t hlen, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];
	struct sockaddr_in *s4 = (struct sockaddr_in *)&la->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&la->ss;

	if (hlen == 0) {
		la->any = 1;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		la->len = sizeof(*s6);
		return 0;
	}
	if (hlen >= sizeof(buf))
		return -1;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		la->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		la->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

int
listen_parse(const char *spec, uint16_t default_port, struct listen_addr *out,
             char *err, size_t errlen)
{
	const char *host = "", *colon;
	size_t hlen = 0;
	uint16_t port = default_port;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || strcmp(spec, "off") == 0) {
		out->off = spec != NULL;
		if (spec == NULL)
			goto plain;
		snprintf(out->text, sizeof(out->text), "off");
		return 0;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL)
			goto bad;
		host = spec + 1;
		hlen = (size_t)(close - host);
		if (hlen == 0)
			goto bad;
		if (close[1] == ':') {
			if (parse_port(close + 2, strlen(close + 2), &port) < 0)
				goto bad;
		} else if (close[1] != '\0') {
			goto bad;
		}
	} else if ((colon = strrchr(spec, ':')) != NULL &&
	           strchr(spec, ':') == colon) {
		host = spec;
		hlen = (size_t)(colon - spec);
		if (parse_port(colon + 1, strlen(colon + 1), &port) < 0)
			goto bad;
	} else if (strchr(spec, ':') != NULL || strchr(spec, '.') != NULL) {
		host = spec;                    /* bare address, default port */
		hlen = strlen(spec);
	} else if (parse_port(spec, strlen(spec), &port) < 0) {
		goto bad;
	}
plain:
	if (fill(out, host, hlen, port) < 0)
		goto bad;
	set_text(out);
	return 0;
bad:
	snprintf(err, errlen, "bad listen address \"%.64s\": use PORT, ADDR:PORT, [V6ADDR]:PORT or off",
	         spec ? spec : "");
	return -1;
}

/* backlog < 0: bind only, never listen. */
static int
listen_socket_opt(const struct listen_addr *la, int socktype, int reuseport,
                  int backlog, char *err, size_t errlen)
{
	struct listen_addr v4;
	const struct listen_addr *use = la;
	int fd, one = 1, zero = 0;

	fd = socket(la->ss.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && la->any && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
		/* No IPv6 on this host: the wildcard means 0.0.0.0. */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&v4.ss;
		v4 = *la;
		memset(&v4.ss, 0, sizeof(v4.ss));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = ((const struct sockaddr_in6 *)&la->ss)->sin6_port;
		v4.len = sizeof(*s4);
		use = &v4;
		fd = socket(AF_INET, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", la->text, strerror(errno));
		return -1;
	}
	/* TCP: rebinding over TIME_WAIT after a restart.  Never on UDP, where
	 * it would let another socket with it bind the same port. */
	if (socktype == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "SO_REUSEPORT on %s: %s", la->text, strerror(errno));
		goto fail;
	}
	if (use->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		           use->any ? &zero : &one, sizeof(int));
	if (bind(fd, (const struct sockaddr *)&use->ss, use->len) < 0) {
		snprintf(err, errlen, "bind %s: %s", la->text, strerror(errno));
		goto fail;
	}
	if (socktype == SOCK_STREAM && backlog >= 0 && listen(fd, backlog) < 0) {
		snprintf(err, errlen, "listen %s: %s", la->text, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
listen_socket(const struct listen_addr *la, int socktype, int reuseport,
              int backlog, char *err, size_t errlen)
{
	return listen_socket_opt(la, socktype, reuseport, backlog < 0 ? 0 : backlog,
	                         err, errlen);
}

int
listen_probe(const struct listen_addr *la, int socktype, char *err,
             size_t errlen)
{
	int fd;

	/* Without SO_REUSEPORT the bind fails while any socket holds the
	 * port, ours or another program's. */
	fd = listen_socket_opt(la, socktype, 0, -1, err, errlen);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
listen_claim(const struct listen_addr *la, int socktype, int share_port,
             char *err, size_t errlen)
{
	if (!share_port)
		return listen_probe(la, socktype, err, errlen);
	log_msg(LOG_NOTICE, "%s %s: --share-port: other programs binding it with "
	        "SO_REUSEPORT get part of the clients", la->text,
	        socktype == SOCK_DGRAM ? "(UDP)" : "(TCP)");
	return 0;
}

int
listen_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return -1;
}

int
sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	return 0;
}

const char *
sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t buflen)
{
	const void *a;

	if (sa == NULL)
		return "-";
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		/* Show v4-mapped peers of dual-stack sockets as plain IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a = &s6->sin6_addr.s6_addr[12];
			return inet_ntop(AF_INET, a, buf, (socklen_t)buflen) ? buf : "?";
		}
		a = &s6->sin6_addr;
	} else if (sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	} else {
		return "?";
	}
	return inet_ntop(sa->sa_family, a, buf, (socklen_t)buflen) ? buf : "?";
}

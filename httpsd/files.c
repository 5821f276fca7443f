/*
 * files.c - serving a public file of the file root (opened beneath it with
 * common/'s path_open_beneath by file_ports.c): ETag / If-None-Match and a
 * single byte Range.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpsd/httpsd_int.h"

const char *
httpsd_mime(const char *name)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".xml", "text/xml; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".pem", "application/x-pem-file" },
		{ ".html", "text/html; charset=utf-8" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t e = strlen(t[i].ext);
		if (n >= e && strcasecmp(name + n - e, t[i].ext) == 0)
			return t[i].type;
	}
	return "application/octet-stream";
}

enum MHD_Result
httpsd_file_serve(struct httpsd_listener *l, struct MHD_Connection *c,
                  struct httpsd_req *r, int fd, const char *name, int gated)
{
	struct stat st;
	struct MHD_Response *resp;
	char etag[64], crange[96];
	const char *inm, *rng;
	uint64_t start = 0, count;
	unsigned status = 200;
	enum MHD_Result ret;

	(void)l;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
	}
	snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
	         (uint64_t)st.st_ino, (uint64_t)st.st_size,
	         (uint64_t)st.st_mtim.tv_sec * 1000000000u +
	         (uint64_t)st.st_mtim.tv_nsec);
	count = (uint64_t)st.st_size;
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && httpsd_etag_match(inm, strlen(inm), etag)) {
		const char *h[] = { MHD_HTTP_HEADER_ETAG, etag,
		                    gated ? MHD_HTTP_HEADER_CACHE_CONTROL : NULL,
		                    "no-store", NULL };
		close(fd);
		return httpsd_reply(c, r, 304, NULL, "", 0, h);
	}
	rng = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	if (rng != NULL) {
		switch (httpsd_range_parse(rng, strlen(rng), (uint64_t)st.st_size,
		                           &start, &count)) {
		case HTTPSD_RANGE_OK:
			status = 206;
			snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64
			         "/%" PRIu64, start, start + count - 1,
			         (uint64_t)st.st_size);
			break;
		case HTTPSD_RANGE_UNSATISFIABLE: {
			const char *h[] = { MHD_HTTP_HEADER_CONTENT_RANGE, crange, NULL };
			snprintf(crange, sizeof(crange), "bytes */%" PRIu64,
			         (uint64_t)st.st_size);
			close(fd);
			return httpsd_reply(c, r, 416, "text/plain",
			                    "range not satisfiable\n", 22, h);
		}
		case HTTPSD_RANGE_NONE:
		default:
			start = 0;
			count = (uint64_t)st.st_size;
			break;
		}
	}
	resp = MHD_create_response_from_fd_at_offset64(count, fd, start);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, httpsd_mime(name));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (gated)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == 206)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
	ret = httpsd_queue(c, r, status, resp, count);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * files.c - serving a public file of the file root (opened beneath it with
 * common/'s path_open_beneath by file_ports.c): ETag, Last-Modified, the
 * conditionals If-None-Match / If-Modified-Since (RFC 9110 §13.2.2 order)
 * and a single byte Range guarded by If-Range (§13.1.5: a stale validator
 * gets the whole file with 200, so a resumed firmware download never
 * splices two versions).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
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

static ssize_t
no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	return MHD_CONTENT_READER_END_OF_STREAM;
}

/* RFC 9110 §15.4.5: a 304 has no content, and RFC 9110 §8.6 lets it carry
 * only the Content-Length a 200 would have, never "0".  libmicrohttpd
 * 0.9.75 writes a length for every sized response, so the 304 is a
 * response of unknown size in its HTTP/1.0-compatible mode (no length, no
 * chunking); the price is that the connection closes after it. */
enum MHD_Result
httpsd_reply_not_modified(struct MHD_Connection *c, struct httpsd_req *r,
                          const char *const *headers)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, no_body,
	                                         NULL, NULL);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_set_response_options(resp, MHD_RF_HTTP_VERSION_1_0_ONLY,
	                               MHD_RO_END);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	ret = httpsd_queue(c, r, 304, resp, 0);
	MHD_destroy_response(resp);
	return ret;
}

/* The validators of an open file. */
struct file_val {
	char etag[64];
	char lastmod[HTTPSD_DATE_MAX];
	int64_t mtime;                  /* whole seconds */
	int mtime_strong;               /* older than a second: a strong validator */
};

static void
file_validators(const struct stat *st, struct file_val *fv)
{
	snprintf(fv->etag, sizeof(fv->etag), "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
	         (uint64_t)st->st_ino, (uint64_t)st->st_size,
	         (uint64_t)st->st_mtim.tv_sec * 1000000000u +
	         (uint64_t)st->st_mtim.tv_nsec);
	fv->mtime = (int64_t)st->st_mtim.tv_sec;
	/* RFC 9110 §8.8.2.2: a date is strong only when the file cannot have
	 * changed twice within that second. */
	fv->mtime_strong = (int64_t)time(NULL) - fv->mtime >= 1;
	httpsd_http_date_format(fv->mtime, fv->lastmod);
}

/* RFC 9110 §13.2.2: If-None-Match, else If-Modified-Since (GET and HEAD).
 * 1 when the answer is 304. */
static int
not_modified(struct MHD_Connection *c, const struct file_val *fv)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims;
	int64_t t;

	if (inm != NULL)
		return httpsd_etag_match(inm, strlen(inm), fv->etag);
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	return ims != NULL && httpsd_http_date_parse(ims, strlen(ims), &t) == 0 &&
	       fv->mtime <= t;
}

/* The Range to serve: 206 with *start / *count, 416, or 200 (the whole
 * file, also when If-Range's validator is stale).  Returns the status. */
static unsigned
file_range(struct MHD_Connection *c, const struct file_val *fv, uint64_t size,
           uint64_t *start, uint64_t *count)
{
	const char *rng = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              MHD_HTTP_HEADER_RANGE);
	const char *ifr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              MHD_HTTP_HEADER_IF_RANGE);

	*start = 0;
	*count = size;
	if (rng == NULL)
		return 200;
	if (ifr != NULL && !httpsd_if_range_ok(ifr, strlen(ifr), fv->etag, fv->mtime,
	                                       fv->mtime_strong))
		return 200;
	switch (httpsd_range_parse(rng, strlen(rng), size, start, count)) {
	case HTTPSD_RANGE_OK:
		return 206;
	case HTTPSD_RANGE_UNSATISFIABLE:
		return 416;
	case HTTPSD_RANGE_NONE:
	default:
		*start = 0;
		*count = size;
		return 200;
	}
}

enum MHD_Result
httpsd_file_serve(struct httpsd_listener *l, struct MHD_Connection *c,
                  struct httpsd_req *r, int fd, const char *name, int gated)
{
	struct stat st;
	struct MHD_Response *resp;
	struct file_val fv;
	char crange[96];
	uint64_t start, count, size;
	unsigned status;
	enum MHD_Result ret;

	(void)l;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
	}
	file_validators(&st, &fv);
	size = (uint64_t)st.st_size;
	if (not_modified(c, &fv)) {
		const char *h[] = { MHD_HTTP_HEADER_ETAG, fv.etag,
		                    MHD_HTTP_HEADER_LAST_MODIFIED, fv.lastmod,
		                    gated ? MHD_HTTP_HEADER_CACHE_CONTROL : NULL,
		                    "no-store", NULL };
		close(fd);
		return httpsd_reply_not_modified(c, r, h);
	}
	status = file_range(c, &fv, size, &start, &count);
	if (status == 416) {
		const char *h[] = { MHD_HTTP_HEADER_CONTENT_RANGE, crange, NULL };
		snprintf(crange, sizeof(crange), "bytes */%" PRIu64, size);
		close(fd);
		return httpsd_reply(c, r, 416, "text/plain", "range not satisfiable\n",
		                    22, h);
	}
	if (status == 206)
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
		         start, start + count - 1, size);
	resp = MHD_create_response_from_fd_at_offset64(count, fd, start);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, httpsd_mime(name));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, fv.etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, fv.lastmod);
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

/*
 * oauth_client.c - who is calling 8443: client identification and
 * authentication at the token, revocation and introspection endpoints
 * (RFC 6749 §2.3, §3.2.1), and the scope words a client may use.
 *
 * A registered client is confidential (a secret hash in the store) or
 * public (no secret: phones, which cannot keep one; `oprov-device` is
 * registered by the schema).  Presented credentials must be right: bad
 * Basic credentials or a secret for the wrong client are 401
 * invalid_client, never ignored.  A confidential client must authenticate;
 * a public one names itself with client_id.  (The scope words are parsed
 * in parse.c.)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "httpsd/httpsd_int.h"

/* The secret against the client's stored hash, in constant time. */
static int
secret_ok(const struct store_client *cl, const char *secret)
{
	char hash[65];
	int ok;

	trust_secret_hash(SECRET_CLIENT_SECRET, secret, strlen(secret), hash);
	ok = strlen(cl->secret_hash) == 64 &&
	     trust_memcmp_ct(hash, cl->secret_hash, 64) == 0;
	mem_wipe(hash, sizeof(hash));
	return ok;
}

/* A client by name; 0 found, -1 not, -2 the store could not be read
 * (logged; out of reach, or a lock held too long). */
static int
client_load(struct store *st, const char *name, struct store_client *out)
{
	char err[STORE_ERR_MAX];
	int rc;

	if (name[0] == '\0' || strlen(name) >= STORE_NAME_MAX)
		return -1;
	rc = store_client_get(st, name, out, err, sizeof(err));
	if (rc < 0) {
		log_msg(LOG_ERR, "store: client: %s", err);
		return -2;
	}
	return rc == 0 ? 0 : -1;
}

/* Credentials in an Authorization: Basic header (client_secret_basic). */
static enum httpsd_client_result
from_basic(struct store *st, const char *auth, struct httpsd_client *out)
{
	static const struct store_client nobody = { .secret_hash = "" };
	char id[STORE_NAME_MAX], secret[256];
	int lr, found, ok;

	if (httpsd_basic_parse(auth, strlen(auth), id, sizeof(id), secret,
	                       sizeof(secret)) < 0)
		return HTTPSD_CLIENT_BAD;
	/* One hash either way, so timing does not tell names apart. */
	lr = client_load(st, id, &out->cl);
	found = lr == 0;
	ok = secret_ok(found ? &out->cl : &nobody, secret) && found;
	mem_wipe(secret, sizeof(secret));
	if (lr == -2)
		return HTTPSD_CLIENT_STORE;
	if (!ok)
		return HTTPSD_CLIENT_BAD;
	out->authenticated = 1;
	return HTTPSD_CLIENT_OK;
}

enum httpsd_client_result
httpsd_client_identify(struct MHD_Connection *c, struct store *st,
                      const struct httpsd_form *f, const char *fallback_id,
                      struct httpsd_client *out)
{
	const char *form_id = httpsd_form_get(f, "client_id");
	const char *form_secret = httpsd_form_get(f, "client_secret");
	unsigned nauth;
	const char *auth = httpsd_authorization(c, &nauth);
	enum httpsd_client_result rc;

	memset(out, 0, sizeof(*out));
	if (nauth > 1 || (auth != NULL && form_secret != NULL))
		return HTTPSD_CLIENT_TWO_METHODS;    /* RFC 6749 §2.3: one method */
	if (auth != NULL) {
		if ((rc = from_basic(st, auth, out)) != HTTPSD_CLIENT_OK)
			return rc;
		/* A client_id beside the credentials must name the same client. */
		if (form_id != NULL && strcmp(form_id, out->cl.name) != 0)
			return HTTPSD_CLIENT_BAD;
		return HTTPSD_CLIENT_OK;
	}
	if (form_id == NULL || form_id[0] == '\0') {
		if (form_secret != NULL)
			return HTTPSD_CLIENT_BAD;
		if (fallback_id == NULL)
			return HTTPSD_CLIENT_NONE;
		form_id = fallback_id;
	}
	switch (client_load(st, form_id, &out->cl)) {
	case -2:
		return HTTPSD_CLIENT_STORE;
	case -1:
		return HTTPSD_CLIENT_BAD;       /* not registered */
	}
	if (form_secret != NULL) {              /* client_secret_post */
		if (!secret_ok(&out->cl, form_secret))
			return HTTPSD_CLIENT_BAD;
		out->authenticated = 1;
		return HTTPSD_CLIENT_OK;
	}
	/* No credentials: only a public client may go without. */
	if (out->cl.secret_hash[0] != '\0')
		return HTTPSD_CLIENT_BAD;
	return HTTPSD_CLIENT_OK;
}

enum MHD_Result
httpsd_reply_client_error(struct httpsd_listener *l, struct MHD_Connection *c,
                         struct httpsd_req *r, enum httpsd_client_result why)
{
	char ch[128];
	const char *hd[] = { MHD_HTTP_HEADER_WWW_AUTHENTICATE, ch, NULL };

	if (why == HTTPSD_CLIENT_TWO_METHODS) {
		httpsd_log_denial(l, c, "INVALID_REQUEST", NULL, NULL,
		                  "more than one client authentication method");
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "one client authentication method only",
		                                NULL);
	}
	/* RFC 6749 §5.2: 401 with the scheme the client should use. */
	snprintf(ch, sizeof(ch), "Basic realm=\"%s\"", l->h->o.realm);
	httpsd_log_denial(l, c, "INVALID_CLIENT", NULL, NULL,
	                  "client authentication failed or client not registered");
	return httpsd_reply_oauth_error(c, r, 401, "invalid_client", NULL, hd);
}

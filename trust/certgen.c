/*
 * certgen.c - the certificate shapes `oprovctl init` and the tests need,
 * built on x509_issue() (crypto.c): a self-signed CA, the "tomcat" server
 * certificate and client certificates for 5091 mutual TLS.
 */
#include "config.h"

#include <time.h>

#include "trust/trust_int.h"

/* Backdated a little so a peer whose clock lags does not see a certificate
 * from the future. */
#define BACKDATE 300

static void
validity(struct x509_spec *sp, int days)
{
	time_t now = time(NULL);

	sp->not_before = now - BACKDATE;
	sp->not_after = now + (time_t)(days > 0 ? days : 1) * 86400;
}

int
x509_make_ca(enum key_type t, const char *cn, int days, char **cert_pem,
             char **key_pem, char *err, size_t errlen)
{
	struct x509_spec sp = { .type = t, .cn = cn, .is_ca = 1 };

	validity(&sp, days);
	return x509_issue(&sp, NULL, NULL, cert_pem, key_pem, err, errlen);
}

int
x509_make_server(const char *ca_cert_pem, const char *ca_key_pem,
                 enum key_type t, const char *host, int days, char **cert_pem,
                 char **key_pem, char *err, size_t errlen)
{
	/* The tomcat certificate also serves as the client side of
	 * node-to-node TLS, hence both EKUs (as the vendor's does). */
	struct x509_spec sp = { .type = t, .cn = host, .host = host,
	                        .server_auth = 1, .client_auth = 1 };

	validity(&sp, days);
	return x509_issue(&sp, ca_cert_pem, ca_key_pem, cert_pem, key_pem, err,
	                  errlen);
}

int
x509_make_client(const char *ca_cert_pem, const char *ca_key_pem,
                 enum key_type t, const char *cn, const char *host, int days,
                 char **cert_pem, char **key_pem, char *err, size_t errlen)
{
	struct x509_spec sp = { .type = t, .cn = cn, .host = host,
	                        .client_auth = 1 };

	validity(&sp, days);
	return x509_issue(&sp, ca_cert_pem, ca_key_pem, cert_pem, key_pem, err,
	                  errlen);
}

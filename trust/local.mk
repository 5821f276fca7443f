# trust/: the token core.  Depends on OpenSSL and jansson only; crypto.c is
# the one file that includes OpenSSL.
noinst_LIBRARIES += trust/libtrust.a
trust_libtrust_a_SOURCES = \
	trust/trust.h \
	trust/trust_int.h \
	trust/b64url.c \
	trust/cache.c \
	trust/certgen.c \
	trust/crypto.c \
	trust/jws.c \
	trust/key.c \
	trust/keystore.c \
	trust/policy.c \
	trust/token.c
trust_libtrust_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
TRUST_LIBS = trust/libtrust.a $(OPENSSL_LIBS) $(JANSSON_LIBS) -lm

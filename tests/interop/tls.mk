# The TLS interop cases (issue 12 items 7 and 8): sslscan and openssl
# s_client against every TLS port.  Included from tests/local.mk; the other
# interop cases keep their own file beside this one.
TESTS += tests/interop/tls.sh
EXTRA_DIST += tests/interop/tls.sh tests/interop/sslscan_check.py tests/interop/tls.mk

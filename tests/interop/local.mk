# tests/interop/: oprov driven by third-party clients from Debian packages
# (Authlib, PyJWT, jwcrypto, curl), one program per area, each case named
# after the issue item it checks.  oprovtest.py is the shared helper: a
# scratch store made with `oprovctl init`, daemons on free loopback ports,
# the CA from caconfig.json, TAP-style reporting.
#
# To add a case file (SIP, TLS, ...): put tests/interop/NAME.py next to these
# (import oprovtest; use Cluster and Report) and list it in INTEROP_TESTS.
# Shell cases (NAME.sh) go in TESTS the same way.
INTEROP_TESTS = \
	tests/interop/oauth-authlib.py \
	tests/interop/http-curl.py \
	tests/interop/jwt-keys.py
TESTS += $(INTEROP_TESTS)
TEST_EXTENSIONS += .py
PY_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/interop/python.sh
EXTRA_DIST += $(INTEROP_TESTS) tests/interop/oprovtest.py tests/interop/python.sh

# The Expressway-C interop case (issue 12, "What it must show"): Kamailio
# relays phones' REGISTERs to oprov-sipd's mutual-TLS port with a Path.
# Included from tests/local.mk.
TESTS += tests/interop/kamailio.sh
EXTRA_DIST += tests/interop/kamailio.sh tests/interop/sip_phone.py tests/interop/kamailio.mk

# Hostile-client cases (issue 11): Python scripts that start real daemons on
# free ports and attack them, each printing the bound it measured.  They run
# under `make check` (also in the ASan/UBSan build).  Adding a case is one
# line in HOSTILE_TESTS; hostile.py is the helper they share.
HOSTILE_TESTS = \
	tests/hostile/httpsd_slow_body.py \
	tests/hostile/httpsd_small_replies.py \
	tests/hostile/httpsd_fd_limit.py \
	tests/hostile/tftp_memory.py \
	tests/hostile/tftp_resource_error.py \
	tests/hostile/share_port.py \
	tests/hostile/code_bruteforce.py \
	tests/hostile/sip_bindings.py \
	tests/hostile/sip_shared_line.py \
	tests/hostile/sip_trickle.py \
	tests/hostile/sip_authority.py \
	tests/hostile/sip_memory.py \
	tests/hostile/sip_fd_limit.py \
	tests/hostile/sip_edge_identity.py

TESTS += $(HOSTILE_TESTS)
# .py cases run through tests/interop/python.sh (tests/interop/local.mk).
EXTRA_DIST += tests/hostile/hostile.py $(HOSTILE_TESTS)

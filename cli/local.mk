# cli/: oprovctl, the administrator's tool.
bin_PROGRAMS += cli/oprovctl
cli_oprovctl_SOURCES = \
	cli/cli.h \
	cli/oprovctl.c \
	cli/args.c \
	cli/devjson.h \
	cli/devjson.c \
	cli/render_device.h \
	cli/render_device.c \
	cli/cmd_init.c \
	cli/cmd_status.c \
	cli/cmd_mode.c \
	cli/cmd_store.c \
	cli/cmd_param.c \
	cli/cmd_node.c \
	cli/cmd_pool.c \
	cli/cmd_cert.c \
	cli/cmd_expressway.c \
	cli/cmd_profile.c \
	cli/cmd_device.c \
	cli/cmd_devset.c \
	cli/cmd_action.c \
	cli/cmd_model.c \
	cli/cmd_named.c \
	cli/cmd_profset.c \
	cli/cmd_code.c \
	cli/cmd_token.c \
	cli/cmd_keys.c \
	cli/cmd_client.c \
	cli/cmd_registrations.c \
	cli/cmd_reload.c \
	cli/cmd_cluster.c \
	cli/cmd_trust.c
cli_oprovctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
cli_oprovctl_LDADD = $(STORE_LIBS) $(TRUST_LIBS)

dist_man_MANS += docs/oprovctl.8

# Pure helpers of cli/ (device JSON, --line syntax, argument helpers).
check_PROGRAMS += tests/unit/test_cli
TESTS += tests/unit/test_cli
tests_unit_test_cli_SOURCES = tests/unit/test_cli.c cli/devjson.c cli/devjson.h \
	cli/args.c cli/cli.h
tests_unit_test_cli_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cli_LDADD = $(CONFIGGEN_LIBS) $(JANSSON_LIBS) $(CRITERION_LIBS)

# End to end, as an administrator would (docs/oprovctl.8 workflow).
TESTS += tests/smoke/oprovctl.sh
EXTRA_DIST += tests/smoke/oprovctl.sh
# Every example of docs/oprovctl.8 runs as pasted.
TESTS += tests/smoke/oprovctl-manpage.sh
EXTRA_DIST += tests/smoke/oprovctl-manpage.sh

noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/common.h \
	common/daemon.c \
	common/hash.c \
	common/limit.c \
	common/listen.c \
	common/log.c \
	common/num.c \
	common/path.c \
	common/stats.c \
	common/str.c

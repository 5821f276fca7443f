/* Fuzz harness: the file-name mapping every daemon uses must never read past
 * len, and what it answers must hold together: a device kind always carries a
 * canonical device name that appears (ignoring case) in the request, any other
 * kind carries none, a named file (dial plan, softkeys, feature policy) maps
 * back from the name configs give it, and a name that maps somewhere maps the
 * same way again. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "configgen/configgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_device_kind(enum cfg_file_kind k)
{
	return k == CFG_FILE_DEVICE_CONFIG || k == CFG_FILE_DEVICE_CONFIG_SIGNED ||
	       k == CFG_FILE_DEVICE_CONFIG_ENC || k == CFG_FILE_DEVICE_TRUSTLIST;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan catches any read past the end. */
	char *s = malloc(size ? size : 1);
	struct cfg_file f, g;
	char canon[CFG_DEVNAME_MAX];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	cfg_file_classify(s, size, &f);
	if (is_device_kind(f.kind)) {
		size_t n = strlen(f.device), found = 0;
		/* SEP<MAC> is 15 bytes; a soft client's name 4..15 */
		if (n < 4 || n > CFG_DEVNAME_MAX - 1 ||
		    cfg_device_name_parse(f.device, n, canon) != 0 || strcmp(canon, f.device) != 0)
			abort();
		for (size_t i = 0; i + n <= size && !found; i++)
			found = strncasecmp(s + i, f.device, n) == 0;
		if (!found)
			abort();
	} else if (f.device[0] != '\0') {
		abort();
	}
	/* a named file carries a record name that maps back to the same kind */
	if (f.kind == CFG_FILE_DIALPLAN || f.kind == CFG_FILE_SOFTKEYS ||
	    f.kind == CFG_FILE_FEATURE_POLICY) {
		char named[CFG_NAMED_FILE_MAX];
		struct cfg_file h;
		if (cfg_named_file(f.kind, f.record, named, sizeof(named)) != 0 ||
		    cfg_file_classify(named, strlen(named), &h) != f.kind ||
		    strcmp(h.record, f.record) != 0)
			abort();
	}
	if (f.kind == CFG_FILE_INVALID && size > 0 && size <= CFG_FILENAME_MAX &&
	    memchr(s, '\0', size) == NULL && memchr(s, '/', size) == NULL &&
	    memchr(s, '\\', size) == NULL) {
		/* A single component is refused only for a bad byte or "."/"..". */
		int bad = (size == 1 && s[0] == '.') || (size == 2 && s[0] == '.' && s[1] == '.');
		for (size_t i = 0; i < size && !bad; i++)
			bad = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f;
		if (!bad)
			abort();
	}
	cfg_file_classify(s, size, &g);
	if (g.kind != f.kind || strcmp(g.device, f.device) != 0)
		abort();
	(void)cfg_file_kind_name(f.kind);
	free(s);
	return 0;
}

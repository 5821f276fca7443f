/* Fuzz harness: whatever bytes end up in admin-typed fields (a corrupted
 * store, a validation gap), the rendered config must be well-formed XML and
 * carry exactly the cleaned text.  The input is split on '\n' into the line
 * label, display name, owner, pool name and node description. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Next '\n'-separated piece of the input into a field of `size` bytes. */
static void
take(const uint8_t **p, const uint8_t *end, char *field, size_t size)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);

	memset(field, 0, size);
	memcpy(field, *p, n < size - 1 ? n : size - 1);
	*p = nl ? nl + 1 : end;
}

/* Text of the first element called `name` below n, depth first. */
static xmlNodePtr
find(xmlNodePtr n, const char *name)
{
	for (; n != NULL; n = n->next) {
		xmlNodePtr r;
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
		if ((r = find(n->children, name)) != NULL)
			return r;
	}
	return NULL;
}

static void
expect(xmlDocPtr doc, const char *el, const char *raw)
{
	char want[CFG_TEXT_MAX];
	xmlNodePtr n = find(xmlDocGetRootElement(doc), el);
	xmlChar *got;

	cfg_text_clean(want, sizeof(want), raw, strlen(raw));
	if (n == NULL)
		abort();
	got = xmlNodeGetContent(n);
	if (got == NULL || strcmp((const char *)got, want) != 0)
		abort();
	xmlFree(got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct cfg_params params;
	struct cfg_profile prof;
	struct cfg_node node;
	struct cfg_pool pool;
	struct cfg_device dev;
	struct cfg_output out;
	struct cfg_render_ctx ctx;
	char err[256];
	xmlDocPtr doc;

	cfg_params_init(&params);
	cfg_profile_init(&prof, "P");
	cfg_node_init(&node, "n", "n.example.com");
	cfg_pool_init(&pool, "");
	cfg_device_init(&dev, "SEP001122334455");
	dev.line_count = 1;
	cfg_line_init(&dev.lines[0], 1, "100");
	take(&p, end, dev.lines[0].label, sizeof(dev.lines[0].label));
	take(&p, end, dev.lines[0].display_name, sizeof(dev.lines[0].display_name));
	take(&p, end, dev.owner, sizeof(dev.owner));
	take(&p, end, pool.name, sizeof(pool.name));
	take(&p, end, node.description, sizeof(node.description));

	memset(&ctx, 0, sizeof(ctx));
	ctx.device = &dev;
	ctx.profile = &prof;
	ctx.pool = &pool;
	ctx.nodes = &node;
	ctx.node_count = 1;
	ctx.params = &params;
	if (cfg_render_device(&ctx, &out, err, sizeof(err)) < 0)
		abort();
	doc = xmlReadMemory(out.data, (int)out.len, "f.xml", "UTF-8",
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		abort();
	expect(doc, "featureLabel", dev.lines[0].label);
	expect(doc, "displayName", dev.lines[0].display_name);
	expect(doc, "userId", dev.owner);
	expect(doc, "description", node.description);
	xmlFreeDoc(doc);
	cfg_output_free(&out);
	return 0;
}

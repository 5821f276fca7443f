/*
 * render_named.c - the files device configs name: a dial plan
 * (<dialTemplate>), a softkey template (<softKeyFile>) and a feature policy
 * (<featurePolicyFile>), each with a versionStamp that changes exactly when
 * the content does.  Element names and order follow the published 79xx/88xx
 * files these formats are known from (named.c).
 */
#include "config.h"

#include <string.h>

#include "configgen/cfg_xml.h"

/* Ends the document and stamps it; frees everything on failure. */
static int
done(xmlBufferPtr buf, struct wr *w, struct cfg_output *out, const char *what,
     const char *name, size_t size, char *err, size_t errlen)
{
	if (close_writer(w) < 0) {
		discard(buf, w);
		goto fail;
	}
	if (stamp_finish(buf, out, err, errlen) == 0)
		return 0;
fail:
	return cfg_fail(err, errlen, "render of %s %.*s failed (out of memory?)", what,
	                (int)cfg_field_len(name, size), name);
}

int
cfg_render_dialplan(const struct cfg_dialplan *p, struct cfg_output *out,
                    char *err, size_t errlen)
{
	xmlBufferPtr buf = NULL;
	struct wr w = { NULL, 0 };
	size_t n = p->count > CFG_DIALRULES_MAX ? CFG_DIALRULES_MAX : p->count;

	memset(out, 0, sizeof(*out));
	if (begin(&buf, &w) < 0) {
		discard(buf, &w);
		return cfg_fail(err, errlen, "render: out of memory");
	}
	start(&w, "dialTemplate");
	lit(&w, "versionStamp", STAMP_PLACEHOLDER);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_dialrule *r = &p->rules[i];
		/* The element name is upper case in every published file. */
		start(&w, "TEMPLATE");
		attr_text(&w, "match", r->match, sizeof(r->match));
		attr_uint(&w, "timeout", r->timeout);
		if (cfg_field_len(r->rewrite, sizeof(r->rewrite)) > 0)
			attr_text(&w, "rewrite", r->rewrite, sizeof(r->rewrite));
		end(&w);
	}
	end(&w);
	return done(buf, &w, out, "dial plan", p->name, sizeof(p->name), err, errlen);
}

/* 1 when key index k (1-based) is used by any state of t. */
static int
key_used(const struct cfg_softkeys *t, unsigned k)
{
	for (size_t s = 0; s < CFG_SK_STATES; s++)
		for (size_t i = 0; i < CFG_SK_KEYS_MAX && t->keys[s][i] != 0; i++)
			if (t->keys[s][i] == k)
				return 1;
	return 0;
}

int
cfg_render_softkeys(const struct cfg_softkeys *t, struct cfg_output *out,
                    char *err, size_t errlen)
{
	size_t nkeys, nstates;
	const struct cfg_softkey_def *defs = cfg_softkey_table(&nkeys);
	const struct cfg_softkey_state *states = cfg_softkey_states(&nstates);
	xmlBufferPtr buf = NULL;
	struct wr w = { NULL, 0 };

	memset(out, 0, sizeof(*out));
	if (begin(&buf, &w) < 0) {
		discard(buf, &w);
		return cfg_fail(err, errlen, "render: out of memory");
	}
	start(&w, "softKeyCfg");
	lit(&w, "versionStamp", STAMP_PLACEHOLDER);
	/* Definitions of the keys the sets use, in table order. */
	start(&w, "typeSoftKey");
	for (size_t k = 0; k < nkeys; k++) {
		if (!key_used(t, (unsigned)k + 1))
			continue;
		start(&w, "softKeyDef");
		attr_text(&w, "keyID", defs[k].id, strlen(defs[k].id) + 1);
		num(&w, "tag", (long)defs[k].tag);
		num(&w, "eventID", (long)defs[k].event);
		num(&w, "helpID", (long)defs[k].help);
		end(&w);
	}
	end(&w);
	start(&w, "softKeySets");
	for (size_t s = 0; s < nstates && s < CFG_SK_STATES; s++) {
		if (t->keys[s][0] == 0)
			continue;
		start(&w, "softKeySet");
		attr_text(&w, "id", states[s].id, strlen(states[s].id) + 1);
		for (size_t i = 0; i < CFG_SK_KEYS_MAX && t->keys[s][i] != 0; i++) {
			unsigned k = t->keys[s][i];
			if (k > nkeys)
				continue;
			start(&w, "softKey");
			attr_text(&w, "keyID", defs[k - 1].id, strlen(defs[k - 1].id) + 1);
			end(&w);
		}
		end(&w);
	}
	end(&w);
	end(&w);
	return done(buf, &w, out, "softkey template", t->name, sizeof(t->name), err, errlen);
}

int
cfg_render_fpolicy(const struct cfg_fpolicy *f, struct cfg_output *out,
                   char *err, size_t errlen)
{
	size_t n;
	const struct cfg_feature_def *defs = cfg_feature_table(&n);
	xmlBufferPtr buf = NULL;
	struct wr w = { NULL, 0 };

	memset(out, 0, sizeof(*out));
	if (begin(&buf, &w) < 0) {
		discard(buf, &w);
		return cfg_fail(err, errlen, "render: out of memory");
	}
	start(&w, "featurePolicy");
	attr_text(&w, "name", f->name, sizeof(f->name));
	lit(&w, "versionStamp", STAMP_PLACEHOLDER);
	for (size_t i = 0; i < n && i < CFG_FEATURES; i++) {
		int on = f->enabled[i] < 0 ? defs[i].def : f->enabled[i] != 0;
		start(&w, "featureDef");
		attr_text(&w, "name", defs[i].name, strlen(defs[i].name) + 1);
		num(&w, "id", (long)defs[i].id);
		lit(&w, "enable", on ? "true" : "false");
		end(&w);
	}
	end(&w);
	return done(buf, &w, out, "feature policy", f->name, sizeof(f->name), err, errlen);
}

/*
 * cfg_xml.h - private to configgen/: the xmlTextWriter helpers every
 * renderer uses (render.c for device configs and XMLDefault.cnf.xml,
 * render_named.c for dial plans, softkey templates and feature policies),
 * and the versionStamp every rendered file carries.
 *
 * A writer's first failure sticks, so a renderer reads as the file it
 * produces and checks once at the end.  Everything typed by an
 * administrator goes through text(): invalid UTF-8 and characters XML
 * cannot carry are dropped there, and libxml2 escapes the rest.  Static
 * inline: each is a few lines, and the two renderers share one copy of the
 * source.
 */
#ifndef OPROV_CFG_XML_H
#define OPROV_CFG_XML_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

/* First size of the output buffer: a two-line config is about 4 KiB, so most
 * renders never grow it. */
#define RENDER_BUF_INITIAL 8192
/* Longest text after "{host}" substitution in a URL, and longest element
 * text written at all. */
#define RENDER_URL_MAX     1024
/* A free-valued vendor setting's element text: its prefix
 * ("configurationFile=") and the value. */
#define RENDER_VENDOR_MAX  (32 + CFG_VVAL_MAX)

/* The versionStamp is written with this placeholder, the whole file is
 * hashed, then the placeholder is overwritten with the hash.  Admin text can
 * never forge the marker: '<' is always escaped. */
#define STAMP_LEN          16
#define STAMP_PLACEHOLDER  "0000000000000000"
#define STAMP_MARK         "<versionStamp>" STAMP_PLACEHOLDER "</versionStamp>"

struct wr {
	xmlTextWriterPtr w;
	int failed;
};

static inline void
chk(struct wr *w, int rc)
{
	if (rc < 0)
		w->failed = 1;
}

static inline void
start(struct wr *w, const char *name)
{
	if (!w->failed)
		chk(w, xmlTextWriterStartElement(w->w, BAD_CAST name));
}

static inline void
end(struct wr *w)
{
	if (!w->failed)
		chk(w, xmlTextWriterEndElement(w->w));
}

static inline void
attr_uint(struct wr *w, const char *name, unsigned v)
{
	if (!w->failed)
		chk(w, xmlTextWriterWriteFormatAttribute(w->w, BAD_CAST name, "%u", v));
}

/* An attribute whose value may be admin text (cleaned, then escaped). */
static inline void
attr_text(struct wr *w, const char *name, const char *s, size_t size)
{
	char clean[RENDER_URL_MAX];

	if (w->failed)
		return;
	cfg_text_clean(clean, sizeof(clean), s ? s : "", cfg_field_len(s, size));
	chk(w, xmlTextWriterWriteAttribute(w->w, BAD_CAST name, BAD_CAST clean));
}

/* <name>text</name>; text is a record field of at most `size` bytes that may
 * lack its terminator. */
static inline void
text(struct wr *w, const char *name, const char *s, size_t size)
{
	char clean[RENDER_URL_MAX];

	if (w->failed)
		return;
	cfg_text_clean(clean, sizeof(clean), s ? s : "", cfg_field_len(s, size));
	chk(w, xmlTextWriterWriteElement(w->w, BAD_CAST name, BAD_CAST clean));
}

/* <name>value</name> for text oprov itself chose (constants, numbers): it
 * needs no escaping, and writing it raw spares libxml2 an escaped copy. */
static inline void
lit(struct wr *w, const char *name, const char *value)
{
	start(w, name);
	if (!w->failed && value[0] != '\0')
		chk(w, xmlTextWriterWriteRaw(w->w, BAD_CAST value));
	if (!w->failed)
		chk(w, xmlTextWriterFullEndElement(w->w));
}

static inline void
num(struct wr *w, const char *name, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v);
	lit(w, name, buf);
}

/* 64-bit FNV-1a: a change detector over text the administrator controls, not
 * a security boundary, so a fast non-cryptographic hash is enough. */
static inline uint64_t
fnv1a64(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Moves the writer's buffer into *out.  Takes ownership of buf. */
static inline int
finish(xmlBufferPtr buf, struct cfg_output *out, char *err, size_t errlen)
{
	size_t len = (size_t)xmlBufferLength(buf);
	xmlChar *data = xmlBufferDetach(buf);

	xmlBufferFree(buf);
	if (data == NULL)
		return cfg_fail(err, errlen, "out of memory");
	out->data = (char *)data;
	out->len = len;
	return 0;
}

static inline int
begin(xmlBufferPtr *bufp, struct wr *w)
{
	*bufp = xmlBufferCreateSize(RENDER_BUF_INITIAL);
	/* Explicit, not the process-wide default: finish() hands the content
	 * to the caller with xmlBufferDetach, which needs content to be the
	 * start of the allocation (not true for XML_BUFFER_ALLOC_IO). */
	if (*bufp != NULL)
		xmlBufferSetAllocationScheme(*bufp, XML_BUFFER_ALLOC_DOUBLEIT);
	w->failed = 0;
	w->w = *bufp ? xmlNewTextWriterMemory(*bufp, 0) : NULL;
	if (w->w == NULL)
		return -1;
	chk(w, xmlTextWriterSetIndent(w->w, 1));
	chk(w, xmlTextWriterSetIndentString(w->w, BAD_CAST "  "));
	chk(w, xmlTextWriterStartDocument(w->w, "1.0", "UTF-8", NULL));
	return w->failed ? -1 : 0;
}

/* Frees what a failed render holds. */
static inline void
discard(xmlBufferPtr buf, struct wr *w)
{
	if (w->w != NULL)
		xmlFreeTextWriter(w->w);
	w->w = NULL;
	if (buf != NULL)
		xmlBufferFree(buf);
}

/* Ends the document and frees the writer (which flushes into buf). */
static inline int
close_writer(struct wr *w)
{
	if (!w->failed)
		chk(w, xmlTextWriterEndDocument(w->w));
	xmlFreeTextWriter(w->w);
	w->w = NULL;
	return w->failed ? -1 : 0;
}

/* Replaces the placeholder versionStamp with the hash of the whole file
 * (so the stamp changes exactly when the content does, never from the
 * clock), copies it to out->version and hands buf to out.  Takes ownership
 * of buf, also on failure. */
static inline int
stamp_finish(xmlBufferPtr buf, struct cfg_output *out, char *err, size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";
	char *mark = strstr((char *)xmlBufferContent(buf), STAMP_MARK);
	uint64_t h;

	if (mark == NULL) {
		xmlBufferFree(buf);
		return -1;
	}
	h = fnv1a64(xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	mark += strlen("<versionStamp>");
	for (int i = 0; i < STAMP_LEN; i++)
		out->version[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out->version[STAMP_LEN] = '\0';
	memcpy(mark, out->version, STAMP_LEN);
	return finish(buf, out, err, errlen);
}

#endif

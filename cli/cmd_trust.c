/*
 * cmd_trust.c - `oprovctl trust show [DEVICE]` and `oprovctl trust verify
 * FILE`: what trust lists phones are given (roles, certificates, hashes,
 * the list's version) and a check of any .tlv or .sgn file, ours or one an
 * administrator brings (docs/formats.md has the layout).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "store/store.h"

/* ---- trust show ------------------------------------------------------------------ */

/* The records of t, as JSON. */
static json_t *
records_json(const struct store_trust *t)
{
	struct tlv_entry e[STORE_TRUST_ENTRIES_MAX];
	size_t n = store_trust_entries(t, e, STORE_TRUST_ENTRIES_MAX);
	json_t *arr = json_array();
	struct cert_info ci;
	char err[CLI_ERR_MAX];

	for (size_t i = 0; arr != NULL && i < n; i++) {
		if (cert_info_der(e[i].cert, e[i].cert_len, &ci, err, sizeof(err)) < 0)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}",
		    "role", tlv_role_name(e[i].role), "subject", ci.subject,
		    "issuer", ci.issuer, "sha256", ci.sha256_colon,
		    "not_after", (json_int_t)ci.not_after));
	}
	return arr;
}

/* What a device (or any phone) is given, as JSON. */
static json_t *
show_json(struct store *s, const struct store_trust *t, const uint8_t *itl, size_t n,
          const char *device)
{
	char hex[65], name[CFG_FILENAME_MAX];
	struct cfg_device d;
	struct cfg_profile p;
	char err[CLI_ERR_MAX];
	json_t *o;

	trust_sha256_hex(itl, n, hex);
	o = json_pack("{s:s, s:s%, s:I, s:I, s:s, s:b, s:o}", "list", STORE_ITL_NAME,
	              "version", hex, (size_t)16, "bytes", (json_int_t)n,
	              "timestamp", (json_int_t)t->timestamp, "signer_version", "1.1",
	              "ctl_served", t->mixed_mode, "records", records_json(t));
	if (o == NULL || device == NULL)
		return o;
	json_object_set_new(o, "device", json_string(device));
	snprintf(name, sizeof(name), "ITL%s.tlv", device);
	json_object_set_new(o, "device_itl", json_string(name));
	if (t->mixed_mode) {
		snprintf(name, sizeof(name), "CTL%s.tlv", device);
		json_object_set_new(o, "device_ctl", json_string(name));
	}
	if (store_device_get(s, device, &d, err, sizeof(err)) == 0 &&
	    store_profile_get(s, d.profile, &p, err, sizeof(err)) == 0) {
		json_object_set_new(o, "known", json_true());
		json_object_set_new(o, "config_port",
		                    json_integer(cfg_device_needs_token(&p) ? 6971 : 6970));
	} else {
		json_object_set_new(o, "known", json_false());
	}
	return o;
}

static void
show_text(const json_t *o)
{
	size_t i;
	json_t *r;
	char tb[40];

	printf("list:           %s (every ITLSEP<MAC>.tlv is the same list)\n",
	       json_string_value(json_object_get(o, "list")));
	printf("version:        %s (%lld bytes, timestamp %s, signer version %s)\n",
	       json_string_value(json_object_get(o, "version")),
	       (long long)json_integer_value(json_object_get(o, "bytes")),
	       cli_time(json_integer_value(json_object_get(o, "timestamp")), tb, sizeof(tb)),
	       json_string_value(json_object_get(o, "signer_version")));
	printf("CTLFile.tlv:    %s\n", json_is_true(json_object_get(o, "ctl_served"))
	       ? "served (mixed mode), the same records" : "not served (mixed mode off)");
	json_array_foreach(json_object_get(o, "records"), i, r)
		printf("%-10s %s\n           SHA-256 %s, expires %s\n",
		       json_string_value(json_object_get(r, "role")),
		       json_string_value(json_object_get(r, "subject")),
		       json_string_value(json_object_get(r, "sha256")),
		       cli_time(json_integer_value(json_object_get(r, "not_after")), tb,
		                sizeof(tb)));
	if (json_object_get(o, "device") == NULL)
		return;
	printf("device %s: fetches %s%s%s, %s\n",
	       json_string_value(json_object_get(o, "device")),
	       json_string_value(json_object_get(o, "device_itl")),
	       json_object_get(o, "device_ctl") ? " and " : "",
	       json_object_get(o, "device_ctl")
	           ? json_string_value(json_object_get(o, "device_ctl")) : "",
	       !json_is_true(json_object_get(o, "known"))
	           ? "not in the store (gets the cluster's lists like any phone)"
	           : json_integer_value(json_object_get(o, "config_port")) == 6971
	           ? "then its config over HTTPS 6971 (token), checked against the TFTP record"
	           : "then its config (signed as .sgn) over TFTP or 6970");
}

static int
trust_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX], dev[CFG_DEVNAME_MAX];
	const char *device = NULL;
	struct store_trust t;
	struct store *s;
	uint8_t *itl = NULL;
	size_t n;
	json_t *o;
	int rc;

	if (optind == 0)
		optind = 1;
	if (argc - optind > 1)
		return cli_usage(self, "trust show: unexpected argument \"%s\"", argv[optind + 1]);
	if (argc - optind == 1) {
		if (cfg_device_name_parse(argv[optind], strlen(argv[optind]), dev) < 0)
			return cli_usage(self, "trust show: \"%s\" is not SEP + 12 hex digits",
			                 argv[optind]);
		device = dev;
	}
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (store_trust_load(s, &t, err, sizeof(err)) != 0 ||
	    store_trust_build(&t, STORE_ITL_NAME, &itl, &n, err, sizeof(err)) < 0) {
		store_trust_free(&t);
		store_close(s);
		return cli_fail("trust show: %s", err);
	}
	o = show_json(s, &t, itl, n, device);
	free(itl);
	store_trust_free(&t);
	store_close(s);
	if (o == NULL)
		return cli_fail("out of memory");
	if (c->json)
		return cli_json_print(o);
	show_text(o);
	json_decref(o);
	rc = CLI_OK;
	return rc;
}

/* ---- trust verify ---------------------------------------------------------------- */

static void
header_print(const struct tlv_header *h)
{
	char tb[40], serial[2 * TLV_SERIAL_MAX + 1] = "";

	for (size_t i = 0; i < h->serial_len && i < TLV_SERIAL_MAX; i++)
		snprintf(serial + 2 * i, 3, "%02x", h->serial[i]);
	printf("format:         %u.%u, header %zu bytes\n", h->fmt_major, h->fmt_minor,
	       h->header_len);
	if (h->has_signer_version)
		printf("signer version: %u.%u%s\n", h->signer_major, h->signer_minor,
		       h->signer_major == 1 && h->signer_minor >= 1
		           ? " (configs over HTTPS 6971)" : "");
	printf("signer:         %s\n", h->signer_name);
	printf("issuer:         %s\n", h->issuer_name ? h->issuer_name : "-");
	printf("serial:         %s\n", serial);
	printf("signature:      RSA PKCS#1 v1.5, SHA-%d, %zu bytes\n",
	       h->hash_bits == 160 ? 1 : h->hash_bits, h->sig_len);
	printf("file name:      %s\n", h->filename ? h->filename : "-");
	printf("timestamp:      %s\n", cli_time(h->timestamp, tb, sizeof(tb)));
}

static void
records_print(const struct tlv_list *l)
{
	for (size_t i = 0; i < l->nrec; i++) {
		const struct tlv_record *r = &l->rec[i];
		const char *role = r->has_role ? tlv_role_name(r->role) : "-";
		struct cert_info ci;
		char err[CLI_ERR_MAX];

		printf("record %zu:       %s (%u) %s\n", i + 1, role ? role : "unknown",
		       r->role, r->subject ? r->subject : "");
		if (r->cert != NULL &&
		    cert_info_der(r->cert, r->cert_len, &ci, err, sizeof(err)) == 0)
			printf("                SHA-256 %s\n", ci.sha256_colon);
	}
}

/* A certificate (PEM file) as DER. */
static uint8_t *
cert_file_der(const char *path, size_t *len, char *err, size_t errlen)
{
	char *pem;
	size_t pl;
	uint8_t *der = NULL;

	if (cli_read_file(path, CLI_FILE_MAX, &pem, &pl, err, errlen) < 0)
		return NULL;
	if (cert_pem_to_der(pem, pl, 0, &der, len, err, errlen) < 0)
		der = NULL;
	free(pem);
	return der;
}

struct verify_opts {
	const char *file, *cert, *trust;
};

/* A list: self-signed check, or against the list the phone holds. */
static int
verify_list(const struct verify_opts *o, const uint8_t *p, size_t n, struct tlv_list *l,
            struct tlv_list *prev, char *err, size_t errlen)
{
	uint8_t *pp = NULL;
	size_t pn;
	int rc;

	if (tlv_parse(p, n, l, err, errlen) < 0)
		return -1;
	header_print(&l->h);
	records_print(l);
	if (o->trust == NULL)
		return tlv_verify_self(l, p, n, err, errlen);
	if (cli_read_file(o->trust, TLV_FILE_MAX, (char **)&pp, &pn, err, errlen) < 0)
		return -1;
	rc = tlv_parse(pp, pn, prev, err, errlen) < 0 ? -1
	     : tlv_verify_trusted(l, p, n, prev, err, errlen);
	free(pp);
	return rc;
}

/* A signed file: against --cert, or the record of --trust's list that the
 * header names, or the store's ccm-tftp certificate. */
static int
verify_sgn(const struct cli *c, const struct verify_opts *o, const uint8_t *p, size_t n,
           struct tlv_list *l, char *err, size_t errlen)
{
	struct sgn_file f;
	struct store_trust t;
	struct store *s;
	uint8_t *der = NULL, *pp = NULL;
	size_t dl = 0, pn;
	int rc = -1;

	if (sgn_parse(p, n, &f, err, errlen) < 0)
		return -1;
	header_print(&f.h);
	printf("content:        %zu bytes\n", f.content_len);
	if (o->cert != NULL) {
		if ((der = cert_file_der(o->cert, &dl, err, errlen)) != NULL)
			rc = sgn_verify(&f, p, n, der, dl, err, errlen);
		free(der);
		return rc;
	}
	if (o->trust != NULL) {
		if (cli_read_file(o->trust, TLV_FILE_MAX, (char **)&pp, &pn, err, errlen) == 0 &&
		    tlv_parse(pp, pn, l, err, errlen) == 0) {
			snprintf(err, errlen, "the list has no record for the file's signer");
			for (size_t i = 0; rc < 0 && i < l->nrec; i++)
				if (l->rec[i].cert != NULL && l->rec[i].serial_len == f.h.serial_len &&
				    memcmp(l->rec[i].serial, f.h.serial, f.h.serial_len) == 0)
					rc = sgn_verify(&f, p, n, l->rec[i].cert, l->rec[i].cert_len,
					                err, errlen);
		}
		free(pp);
		return rc;
	}
	if ((s = cli_store_open(c)) == NULL)
		return -1;
	if (store_trust_load(s, &t, err, errlen) == 0)
		rc = sgn_verify(&f, p, n, t.ccm_tftp.der, t.ccm_tftp.len, err, errlen);
	store_trust_free(&t);
	store_close(s);
	return rc;
}

static int
trust_verify(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_opts o = { NULL, NULL, NULL };
	struct tlv_list *l = malloc(sizeof(*l)), *prev = malloc(sizeof(*prev));
	char err[CLI_ERR_MAX] = "", *buf = NULL;
	size_t n, fl;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c') {
			o.cert = optarg;
		} else if (ch == 't') {
			o.trust = optarg;
		} else {
			rc = cli_bad_option(self, argv);
			goto out;
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "FILE")) != 0)
		goto out;
	o.file = argv[optind];
	fl = strlen(o.file);
	rc = CLI_FAIL;
	if (l == NULL || prev == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	if (cli_read_file(o.file, SGN_FILE_MAX, &buf, &n, err, sizeof(err)) < 0) {
		cli_fail("trust verify: %s", err);
		goto out;
	}
	if (fl > 4 && strcasecmp(o.file + fl - 4, ".tlv") == 0)
		rc = verify_list(&o, (uint8_t *)buf, n, l, prev, err, sizeof(err));
	else
		rc = verify_sgn(c, &o, (uint8_t *)buf, n, l, err, sizeof(err));
	printf("verdict:        %s%s%s\n", rc == 0 ? "valid" : "INVALID", rc == 0 ? "" : ": ",
	       rc == 0 ? "" : err);
	rc = rc == 0 ? CLI_OK : CLI_FAIL;
out:
	free(buf);
	free(l);
	free(prev);
	return rc;
}

/* ---- trust export ---------------------------------------------------------------- */

static int
trust_export(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const names[] = { STORE_ITL_NAME, STORE_CTL_NAME, NULL };
	char err[CLI_ERR_MAX];
	struct store_trust t;
	struct store *s;
	uint8_t *p = NULL;
	size_t n;
	int w, rc;

	if ((rc = cli_positional(self, argc, argv, 1, "ITLFile.tlv|CTLFile.tlv")) != 0)
		return rc;
	if ((w = cli_word(argv[optind], names)) < 0)
		return cli_usage(self, "trust export: \"%s\" is not ITLFile.tlv or CTLFile.tlv",
		                 argv[optind]);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if (store_trust_load(s, &t, err, sizeof(err)) != 0 ||
	    store_trust_build(&t, names[w], &p, &n, err, sizeof(err)) < 0)
		cli_fail("trust export: %s", err);
	else if (w == 1 && !t.mixed_mode)
		cli_fail("trust export: CTLFile.tlv is served only in mixed mode "
		         "(`oprovctl cluster mixed-mode enable`)");
	else if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
		cli_fail("trust export: writing: short write");
	else
		rc = CLI_OK;
	free(p);
	store_trust_free(&t);
	store_close(s);
	return rc;
}

int
cmd_trust(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "show", trust_show },
		{ "verify", trust_verify },
		{ "export", trust_export },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}

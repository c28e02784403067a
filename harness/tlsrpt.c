/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt: SMTP TLS Reporting policy records (RFC 8460 3), catalog P-09:
 * the record grammar (v=TLSRPTv1, rua= mailto:/https: URIs, extensions)
 * and the judgement of a domain's _smtp._tls TXT set, with the records as
 * evidence. Owns the P-09 rule row. Never does DNS, never sends a report,
 * never adds to a run. Verdicts: no record is WARN (optional, but the
 * domain hears of no failed delivery), a record senders must ignore FAIL,
 * a failed lookup ERROR.
 */
#include "tlsrpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "txtrec.h"
#include "util.h"

static const struct mtasts_rule rule = {"tls-rpt/p09-record", "P-09", "A valid TLS-RPT record", "low",
                                        "RFC 8460 3"};

const struct mtasts_rule *tlsrpt_rule(void)
{
	return &rule;
}

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* A URI senders can report to (RFC 8460 3: mailto or https): "mailto:"
 * with a local part, '@' and a domain; "https://" with a host. */
static const char *uri_problem(const char *u)
{
	if (strncasecmp(u, "mailto:", 7) == 0) {
		const char *at = strchr(u + 7, '@');
		if (at == NULL || at == u + 7 || at[1] == '\0' || strchr(at + 1, '@'))
			return "a mailto: URI needs one address local@domain";
		return NULL;
	}
	if (strncasecmp(u, "https:", 6) == 0) {
		if (strncmp(u + 6, "//", 2) != 0 || u[8] == '\0' || u[8] == '/')
			return "an https: URI needs a host (https://host/...)";
		return NULL;
	}
	return "neither mailto: nor https: (the only schemes RFC 8460 3 allows)";
}

/* tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 * field-delim = *WSP ";" *WSP; tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 * tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E). The version counts when
 * followed by the end, a space or ';' (see mtasts_txt_parse). */
struct rec_ctx {
	struct tlsrpt_record *out;
	bool have_rua;
};

/* URIs: up to ',' ';' or WSP; ',' and '!' inside one are %-encoded */
static const char *rec_field(void *ctx, const char *txt, const char *name, size_t k, const char *v, char *err,
                             size_t n)
{
	struct rec_ctx *c = ctx;
	if (k != 3 || strncmp(name, "rua", 3) != 0)
		return txtrec_ext_value(name, k, v, err, n);
	bool first = !c->have_rua; /* a second rua= field: the first counts */
	for (;;) {
		const char *e = v;
		while (*e > 0x20 && *e < 0x7f && *e != ',' && *e != ';')
			e++;
		if (e == v) {
			errf(err, n, "rua: empty URI at offset %zu", (size_t)(v - txt));
			return NULL;
		}
		char *u = xstrndup(v, (size_t)(e - v));
		const char *why = uri_problem(u);
		if (why) {
			errf(err, n, "rua URI '%s': %s", u, why);
			free(u);
			return NULL;
		}
		if (first) {
			c->out->rua = xrealloc(c->out->rua, (c->out->nrua + 1) * sizeof *c->out->rua);
			c->out->rua[c->out->nrua++] = u;
		} else {
			free(u);
		}
		const char *d = e;
		while (is_wsp(*d))
			d++;
		if (*d != ',') {
			c->have_rua = true;
			return e;
		}
		d++;
		while (is_wsp(*d))
			d++;
		v = d;
	}
}

int tlsrpt_parse(const char *txt, struct tlsrpt_record *out, char *err, size_t n)
{
	memset(out, 0, sizeof *out);
	struct rec_ctx c = {out, false};
	int rc = txtrec_parse(txt, "v=TLSRPTv1", rec_field, &c, err, n);
	if (rc == 1) {
		errf(err, n, "not a TLS-RPT record (does not begin with \"v=TLSRPTv1;\")");
		return 1;
	}
	if (rc == 0 && !c.have_rua) {
		errf(err, n, "no rua= field (where reports go; required)");
		rc = -1;
	}
	if (rc != 0)
		tlsrpt_record_free(out);
	return rc;
}

void tlsrpt_record_free(struct tlsrpt_record *r)
{
	if (r == NULL)
		return;
	strv_free(r->rua, r->nrua);
	memset(r, 0, sizeof *r);
}

void tlsrpt_judge(const char *domain, const struct mtasts_txtset *set, struct result *r)
{
	mtasts_result_start(r, &rule, domain, "tls-rpt");
	mtasts_note_txtset(r, "TXT", set);
	char msg[1024] = "";
	struct buf rua = {0};
	enum verdict v;
	if (set->status == MTASTS_DNS_FAIL) {
		v = V_ERROR;
		snprintf(msg, sizeof msg, "the TXT lookup of %s failed: %s", set->qname,
		         set->error ? set->error : "no answer");
	} else {
		size_t recs = 0, valid = 0;
		char first_err[256] = "";
		for (size_t i = 0; i < set->ntxt; i++) {
			struct tlsrpt_record t;
			char e[256];
			int rc = tlsrpt_parse(set->txt[i], &t, e, sizeof e);
			if (rc == 1)
				continue;
			recs++;
			if (rc == 0) {
				valid++;
				for (size_t k = 0; k < t.nrua; k++)
					buf_appendf(&rua, "%s%s", k ? "," : "rua=", t.rua[k]);
				tlsrpt_record_free(&t);
			} else if (first_err[0] == '\0') {
				snprintf(first_err, sizeof first_err, "%s", e);
			}
			transcript_note(&r->tr, TLAYER_PLAIN, "record %zu: %s", i + 1, rc == 0 ? "valid" : e);
		}
		if (recs == 0) {
			v = V_WARN;
			snprintf(msg, sizeof msg,
			         "%s publishes no TLS-RPT record (%s): senders have nowhere to report failed TLS "
			         "deliveries, so the domain does not hear of a downgrade or a broken MX",
			         domain,
			         set->ntxt ? "no TXT record begins with v=TLSRPTv1"
			         : set->status == MTASTS_DNS_NONE ? "no such name or no data"
			                                           : "no TXT record");
		} else if (recs > 1) {
			v = V_FAIL;
			snprintf(msg, sizeof msg,
			         "%zu TXT records begin with v=TLSRPTv1 at %s: with more than one, senders MUST "
			         "assume the domain does not implement TLS-RPT",
			         recs, set->qname);
		} else if (valid == 0) {
			v = V_FAIL;
			snprintf(msg, sizeof msg, "the TLS-RPT record at %s is malformed (%s): senders ignore it",
			         set->qname, first_err);
		} else {
			v = V_PASS;
			snprintf(msg, sizeof msg, "%s: %s", set->qname, buf_cstr(&rua));
		}
	}
	r->verdict = v;
	r->reason = xstrdup(v == V_PASS ? "" : msg);
	if (v == V_PASS)
		r->notes = xstrdup(msg);
	r->elapsed_ms = wall_ms() - r->started_ms;
	buf_free(&rua);
}

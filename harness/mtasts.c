/* SPDX-License-Identifier: MIT */
/*
 * mtasts: MTA-STS (RFC 8461) judged for one mail domain, catalog P-06..P-08:
 * the TXT record grammar (3.1), the policy grammar (3.2), the mx pattern
 * match (4.1) and the three judgements with their evidence. The HTTPS fetch
 * is mtasts_fetch.c's. Owns the domain rule rows P-06..P-08 that results
 * and the catalog read.
 * Never does DNS, network or printing; never adds to a run.
 * Verdicts (docs/policies.md "Mail domains"): no record at all is WARN
 * (MTA-STS is optional, but without it or DANE nothing stops a downgrade);
 * a record or policy that senders must ignore is FAIL; mode testing/none
 * is WARN (published on purpose, protects no delivery); a lookup or fetch
 * that did not complete is ERROR, never a finding.
 */
#include "mtasts.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "run.h"
#include "txtrec.h"
#include "util.h"

static const struct mtasts_rule rules[] = {
    {"mta-sts/p06-txt", "P-06", "Exactly one valid MTA-STS TXT record", "medium", "RFC 8461 3.1"},
    {"mta-sts/p07-policy", "P-07", "The MTA-STS policy file is served correctly over HTTPS", "medium",
     "RFC 8461 3.2; RFC 8461 3.3"},
    {"mta-sts/p08-mx", "P-08", "Every MX matches the MTA-STS policy and passes its TLS requirements",
     "high", "RFC 8461 4.1; RFC 8461 4.2"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct mtasts_rule *mtasts_rules(void)
{
	return rules;
}

/* ---- grammar helpers ---- */

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ---- TXT record, RFC 8461 3.1 ----
 * sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 * sts-field-delim = *WSP ";" *WSP; sts-id = %s"id=" 1*32(ALPHA / DIGIT)
 * sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
 * A record counts as an STS record when it starts with "v=STSv1" followed by
 * the end, a space or ';' (the RFC discards what does not begin with
 * "v=STSv1;"; a "v=STSv1 id=..." is shown to the operator as malformed
 * rather than silently discarded: senders ignore it either way). */
struct txt_ctx {
	struct mtasts_txt *out;
	bool have_id;
};

static const char *txt_field(void *ctx, const char *txt, const char *name, size_t k, const char *v, char *err,
                             size_t n)
{
	(void)txt;
	struct txt_ctx *c = ctx;
	const char *e = txtrec_ext_value(name, k, v, err, n);
	if (e == NULL || k != 2 || strncmp(name, "id", 2) != 0)
		return e;
	size_t len = (size_t)(e - v);
	for (const char *p = v; p < e; p++)
		if (!is_alnum((unsigned char)*p)) {
			errf(err, n, "id '%.*s': only letters and digits are allowed", (int)len, v);
			return NULL;
		}
	if (len > MTASTS_ID_MAX) {
		errf(err, n, "id '%.*s' is %zu characters long (1-32 allowed)", (int)len, v, len);
		return NULL;
	}
	if (!c->have_id) { /* a repeated id: the first one counts */
		memcpy(c->out->id, v, len);
		c->out->id[len] = '\0';
		c->have_id = true;
	}
	return e;
}

int mtasts_txt_parse(const char *txt, struct mtasts_txt *out, char *err, size_t n)
{
	memset(out, 0, sizeof *out);
	struct txt_ctx c = {out, false};
	int rc = txtrec_parse(txt, "v=STSv1", txt_field, &c, err, n);
	if (rc == 1)
		errf(err, n, "not an MTA-STS record (does not begin with \"v=STSv1;\")");
	if (rc != 0)
		return rc;
	if (!c.have_id) { /* "v=STSv1;" with no field at all ends here too */
		errf(err, n, "no id= field");
		return -1;
	}
	return 0;
}

/* ---- policy, RFC 8461 3.2 ---- */

/* Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 5321) */
bool mtasts_is_domain(const char *s)
{
	size_t lab = 0;
	if (*s == '\0')
		return false;
	for (const char *c = s;; c++) {
		if (*c == '.' || *c == '\0') {
			if (lab == 0 || c[-1] == '-' || lab > 63)
				return false;
			if (*c == '\0')
				return c - s <= 253;
			lab = 0;
			continue;
		}
		if (!(is_alnum((unsigned char)*c) || (*c == '-' && lab > 0)))
			return false;
		lab++;
	}
}

static void note(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->len)
		buf_append(b, "; ", 2);
	va_start(ap, fmt);
	buf_vappendf(b, fmt, ap);
	va_end(ap);
}

static const char *const known_keys[] = {"version", "mode", "max_age", "mx"};

int mtasts_policy_parse(const char *body, size_t len, struct mtasts_policy *out, char *err, size_t n)
{
	memset(out, 0, sizeof *out);
	struct buf notes = {0};
	bool seen[4] = {false, false, false, false};
	int rc = -1;
	size_t line = 0;
	if (memchr(body, '\0', len) != NULL) {
		errf(err, n, "the policy contains a NUL byte");
		goto out;
	}
	for (size_t off = 0; off < len;) {
		line++;
		const char *s = body + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - s) : len - off;
		off += ll + (nl != NULL);
		if (ll > 0 && s[ll - 1] == '\r')
			ll--;
		for (size_t i = 0; i < ll; i++)
			if (s[i] == '\r') {
				errf(err, n, "line %zu: a bare CR (lines end in LF or CRLF)", line);
				goto out;
			}
		if (ll == 0) { /* not in the grammar; accepted, as most senders do */
			note(&notes, "line %zu is empty (not in RFC 8461's grammar; a strict sender rejects the policy)",
			     line);
			continue;
		}
		char *l = xstrndup(s, ll);
		size_t k = txtrec_ext_name_len(l);
		if (k == 0 || l[k] != ':') {
			errf(err, n, "line %zu: expected 'key: value', got '%.60s'", line, l);
			free(l);
			goto out;
		}
		char *v = l + k + 1;
		while (is_wsp(*v))
			v++;
		size_t vl = strlen(v);
		while (vl > 0 && is_wsp(v[vl - 1]))
			v[--vl] = '\0';
		l[k] = '\0';
		int key = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(l, known_keys[i]) == 0)
				key = i;
		if (key < 0) {
			bool near = false;
			for (int i = 0; i < 4; i++)
				near |= strcasecmp(l, known_keys[i]) == 0;
			note(&notes, "line %zu: key '%s' ignored%s", line, l,
			     near ? " (keys are case-sensitive)" : " (unknown keys are ignored)");
			free(l);
			continue;
		}
		if (key != 3 && seen[key]) {
			note(&notes, "line %zu: a second '%s' ignored (the first counts)", line, l);
			free(l);
			continue;
		}
		seen[key] = true;
		const char *bad = NULL;
		switch (key) {
		case 0:
			if (strcmp(v, "STSv1") != 0)
				bad = "version must be STSv1";
			break;
		case 1:
			if (strcmp(v, "enforce") == 0)
				out->mode = MTASTS_MODE_ENFORCE;
			else if (strcmp(v, "testing") == 0)
				out->mode = MTASTS_MODE_TESTING;
			else if (strcmp(v, "none") == 0)
				out->mode = MTASTS_MODE_NONE;
			else
				bad = "mode must be enforce, testing or none";
			break;
		case 2: {
			size_t d = strspn(v, "0123456789");
			if (d == 0 || v[d] != '\0' || d > 10)
				bad = "max_age must be 1 to 10 digits";
			else if ((out->max_age = strtol(v, NULL, 10)) > MTASTS_MAX_AGE_MAX)
				bad = "max_age is above 31557600 (RFC 8461 3.2)";
			break;
		}
		case 3: {
			const char *dom = strncmp(v, "*.", 2) == 0 ? v + 2 : v;
			if (!mtasts_is_domain(dom)) {
				bad = "not a host name or *.domain pattern";
				break;
			}
			out->mx = xrealloc(out->mx, (out->nmx + 1) * sizeof *out->mx);
			char *m = xstrdup(v);
			for (char *c = m; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			out->mx[out->nmx++] = m;
			break;
		}
		}
		if (bad) {
			errf(err, n, "line %zu: '%s: %.60s': %s", line, l, v, bad);
			free(l);
			goto out;
		}
		free(l);
	}
	for (int i = 0; i < 3; i++)
		if (!seen[i]) {
			errf(err, n, "no '%s' field", known_keys[i]);
			goto out;
		}
	if (out->mode != MTASTS_MODE_NONE && out->nmx == 0) {
		errf(err, n, "no 'mx' field (required unless mode is none)");
		goto out;
	}
	rc = 0;
out:
	if (notes.len)
		out->notes = xstrdup(buf_cstr(&notes));
	buf_free(&notes);
	if (rc != 0) {
		char *keep = out->notes;
		out->notes = NULL;
		mtasts_policy_free(out);
		out->notes = keep;
	}
	return rc;
}

void mtasts_policy_free(struct mtasts_policy *p)
{
	if (p == NULL)
		return;
	strv_free(p->mx, p->nmx);
	free(p->notes);
	memset(p, 0, sizeof *p);
}

/* ---- mx match, RFC 8461 4.1 ---- */

bool mtasts_pattern_match(const char *pattern, const char *mx_host)
{
	size_t hl = strlen(mx_host);
	if (hl > 0 && mx_host[hl - 1] == '.')
		hl--;
	if (hl == 0)
		return false;
	if (strncmp(pattern, "*.", 2) == 0) {
		/* exactly one left-most label: "*.example.net" matches
		 * "mx.example.net", not "example.net" nor "a.b.example.net" */
		const char *dot = memchr(mx_host, '.', hl);
		if (dot == NULL || dot == mx_host)
			return false;
		size_t rest = hl - (size_t)(dot + 1 - mx_host);
		return strlen(pattern + 2) == rest && strncasecmp(dot + 1, pattern + 2, rest) == 0;
	}
	return strlen(pattern) == hl && strncasecmp(pattern, mx_host, hl) == 0;
}

bool mtasts_mx_match(const struct mtasts_policy *p, const char *mx_host)
{
	for (size_t i = 0; i < p->nmx; i++)
		if (mtasts_pattern_match(p->mx[i], mx_host))
			return true;
	return false;
}

/* ---- results ---- */

static char **strv1(const char *a)
{
	char **v = xcalloc(2, sizeof *v);
	v[0] = xstrdup(a);
	return v;
}

/* "a; b" -> {"a", "b"} */
static char **split_refs(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	while (*s) {
		const char *e = strstr(s, "; ");
		size_t len = e ? (size_t)(e - s) : strlen(s);
		v = xrealloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = xstrndup(s, len);
		s += len + (e ? 2 : 0);
	}
	return v;
}

void mtasts_result_start(struct result *r, const struct mtasts_rule *ru, const char *domain,
                         const char *kw)
{
	memset(r, 0, sizeof *r);
	transcript_init(&r->tr);
	r->id = xstrdup(ru->id);
	r->node = xstrdup(domain);
	r->title = xstrdup(ru->title);
	r->file = xstrdup("");
	r->severity = xstrdup(ru->severity);
	r->catalog = strv1(ru->catalog);
	r->ncatalog = 1;
	r->refs = split_refs(ru->ref, &r->nrefs);
	r->keywords = xcalloc(3, sizeof *r->keywords);
	r->keywords[0] = xstrdup("domain");
	r->keywords[1] = xstrdup(kw);
	r->nkeywords = 2;
	r->started_ms = wall_ms();
}

static const char *dns_status_name(enum mtasts_dns s)
{
	return s == MTASTS_DNS_ANSWER ? "answer" : s == MTASTS_DNS_NONE ? "no such name or no data"
	                                                                : "lookup failed";
}

void mtasts_note_txtset(struct result *r, const char *rrtype, const struct mtasts_txtset *set)
{
	transcript_note(&r->tr, TLAYER_PLAIN, "DNS %s %s: %s%s%s%s, %zu record%s, DNSSEC %s", set->qname,
	                rrtype, dns_status_name(set->status), set->error ? " (" : "",
	                set->error ? set->error : "", set->error ? ")" : "", set->ntxt,
	                set->ntxt == 1 ? "" : "s", set->dnssec ? set->dnssec : "not known");
	for (size_t i = 0; i < set->ntxt; i++) {
		/* as published; only bytes outside printable ASCII escaped */
		const char *t = set->txt[i];
		bool plain = true;
		for (const char *c = t; *c && plain; c++)
			plain = *c >= 0x20 && *c < 0x7f;
		char *e = plain ? xstrdup(t) : escape_bytes((const uint8_t *)t, strlen(t));
		transcript_note(&r->tr, TLAYER_PLAIN, "%s %s \"%s\"", set->qname, rrtype, e);
		free(e);
	}
}

static void finish(struct result *r, enum verdict v, const char *reason, const char *notes)
{
	r->verdict = v;
	r->reason = xstrdup(v == V_PASS ? "" : reason);
	if (notes && notes[0])
		r->notes = xstrdup(notes);
	else if (v == V_PASS && reason && reason[0])
		r->notes = xstrdup(reason);
	r->elapsed_ms = wall_ms() - r->started_ms;
}

void mtasts_state_init(struct mtasts_state *st)
{
	memset(st, 0, sizeof *st);
	st->txt_verdict = st->policy_verdict = V_SKIP;
}

void mtasts_state_free(struct mtasts_state *st)
{
	if (st == NULL)
		return;
	mtasts_policy_free(&st->policy);
	memset(st, 0, sizeof *st);
}

void mtasts_judge_txt(struct mtasts_state *st, const char *domain, const struct mtasts_txtset *set,
                      struct result *r)
{
	mtasts_result_start(r, &rules[0], domain, "mta-sts");
	mtasts_note_txtset(r, "TXT", set);
	char msg[1024] = "";
	enum verdict v;
	if (set->status == MTASTS_DNS_FAIL) {
		v = V_ERROR;
		snprintf(msg, sizeof msg, "the TXT lookup of %s failed: %s", set->qname,
		         set->error ? set->error : "no answer");
	} else {
		size_t sts = 0, valid = 0;
		char first_err[256] = "";
		for (size_t i = 0; i < set->ntxt; i++) {
			struct mtasts_txt t;
			char e[256];
			int rc = mtasts_txt_parse(set->txt[i], &t, e, sizeof e);
			if (rc == 1)
				continue;
			sts++;
			if (rc == 0) {
				valid++;
				if (sts == 1)
					st->txt = t;
			} else if (first_err[0] == '\0') {
				snprintf(first_err, sizeof first_err, "%s", e);
			}
			transcript_note(&r->tr, TLAYER_PLAIN, "record %zu: %s", i + 1, rc == 0 ? "valid" : e);
		}
		st->published = sts > 0;
		if (sts == 0) {
			v = V_WARN;
			snprintf(msg, sizeof msg,
			         "%s publishes no MTA-STS record (%s): senders that do not use DANE deliver with "
			         "opportunistic TLS that an attacker can strip",
			         domain, set->ntxt ? "no TXT record begins with v=STSv1" : dns_status_name(set->status));
		} else if (sts > 1) {
			v = V_FAIL;
			snprintf(msg, sizeof msg,
			         "%zu TXT records begin with v=STSv1 at %s: with more than one, senders MUST treat "
			         "the domain as not implementing MTA-STS",
			         sts, set->qname);
		} else if (valid == 0) {
			v = V_FAIL;
			snprintf(msg, sizeof msg, "the MTA-STS record at %s is malformed (%s): senders ignore it",
			         set->qname, first_err);
		} else {
			v = V_PASS;
			st->txt_ok = true;
			snprintf(msg, sizeof msg, "id=%s", st->txt.id);
		}
	}
	st->txt_verdict = v;
	finish(r, v, msg, NULL);
	if (v == V_PASS) { /* the id is what a reader wants to see */
		free(r->notes);
		r->notes = xasprintf("%s: id=%s", set->qname, st->txt.id);
	}
}

/* The HTTP exchange as evidence: the request and the response, as the
 * bytes libcurl sent and received inside TLS. */
static void note_fetch(struct result *r, const struct mtasts_fetched *f)
{
	transcript_note(&r->tr, TLAYER_PLAIN, "GET %s", f->url ? f->url : "(no URL)");
	if (f->log)
		for (const char *s = f->log; *s;) {
			const char *e = strchr(s, '\n');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			transcript_note(&r->tr, TLAYER_PLAIN, "curl: %.*s", (int)len, s);
			s += len + (e != NULL);
		}
	if (f->request)
		transcript_add(&r->tr, TDIR_SEND, TLAYER_TLS, (const uint8_t *)f->request, strlen(f->request));
	if (f->headers)
		transcript_add(&r->tr, TDIR_RECV, TLAYER_TLS, (const uint8_t *)f->headers, strlen(f->headers));
	if (f->body && f->body_len)
		transcript_add(&r->tr, TDIR_RECV, TLAYER_TLS, (const uint8_t *)f->body, f->body_len);
	if (f->error)
		transcript_note(&r->tr, TLAYER_PLAIN, "fetch failed: %s", f->error);
	transcript_note(&r->tr, TLAYER_PLAIN, "fetch took %lld ms", (long long)f->elapsed_ms);
}

static const char *mode_name(enum mtasts_mode m)
{
	return m == MTASTS_MODE_ENFORCE ? "enforce" : m == MTASTS_MODE_TESTING ? "testing" : "none";
}

static bool content_type_ok(const char *ct)
{
	if (ct == NULL)
		return false;
	while (is_wsp(*ct))
		ct++;
	size_t n = strcspn(ct, "; \t");
	return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

void mtasts_judge_policy(struct mtasts_state *st, const char *domain, const struct mtasts_fetched *f,
                         struct result *r)
{
	mtasts_result_start(r, &rules[1], domain, "mta-sts");
	char msg[1024] = "";
	const char *notes = NULL;
	enum verdict v = V_FAIL;
	if (!st->txt_ok || f == NULL) {
		v = V_SKIP;
		snprintf(msg, sizeof msg, "%s",
		         st->published ? "not fetched: no valid MTA-STS TXT record (P-06), senders would not either"
		                       : "not fetched: the domain publishes no MTA-STS record (P-06)");
		if (st->txt_verdict == V_FAIL || st->txt_verdict == V_ERROR)
			r->blocked_by = xstrdup(rules[0].id);
		goto done;
	}
	note_fetch(r, f);
	const char *url = f->url ? f->url : "the policy";
	switch (f->fail) {
	case MTASTS_FETCH_OK: break;
	case MTASTS_FETCH_DNS_NONE:
		snprintf(msg, sizeof msg, "%s: the policy cannot be fetched",
		         f->error ? f->error : "the policy host has no address");
		goto done;
	case MTASTS_FETCH_TLS_VERIFY:
		snprintf(msg, sizeof msg, "%s: the certificate is not valid for mta-sts.%s (%s)", url, domain,
		         f->tls_error ? f->tls_error : f->error ? f->error : "verification failed");
		goto done;
	case MTASTS_FETCH_TOO_LARGE:
		snprintf(msg, sizeof msg, "%s: the body is larger than %u bytes (senders stop there, RFC 8461 3.3)",
		         url, MTASTS_POLICY_MAX);
		goto done;
	case MTASTS_FETCH_BAD_INPUT:
	case MTASTS_FETCH_DNS_FAIL:
	case MTASTS_FETCH_CONNECT:
	case MTASTS_FETCH_TIMEOUT:
	case MTASTS_FETCH_TLS:
	case MTASTS_FETCH_INTERRUPTED:
	case MTASTS_FETCH_OTHER:
		v = V_ERROR;
		snprintf(msg, sizeof msg, "%s could not be fetched: %s", url, f->error ? f->error : "no response");
		goto done;
	}
	if (f->http_status >= 300 && f->http_status < 400) {
		snprintf(msg, sizeof msg, "%s: HTTP %ld redirect%s%s, which senders MUST NOT follow", url,
		         f->http_status, f->location ? " to " : "", f->location ? f->location : "");
		goto done;
	}
	if (f->http_status != 200) {
		snprintf(msg, sizeof msg, "%s: HTTP %ld, not 200", url, f->http_status);
		goto done;
	}
	if (!content_type_ok(f->content_type)) {
		snprintf(msg, sizeof msg, "%s: Content-Type %s%s%s, not text/plain", url,
		         f->content_type ? "'" : "", f->content_type ? f->content_type : "missing",
		         f->content_type ? "'" : "");
		goto done;
	}
	char err[256];
	mtasts_policy_free(&st->policy);
	if (mtasts_policy_parse(f->body ? f->body : "", f->body_len, &st->policy, err, sizeof err) != 0) {
		notes = st->policy.notes;
		snprintf(msg, sizeof msg, "the policy is invalid: %s", err);
		goto done;
	}
	st->policy_ok = true;
	notes = st->policy.notes;
	struct buf b = {0};
	buf_appendf(&b, "mode %s, max_age %ld, mx", mode_name(st->policy.mode), st->policy.max_age);
	for (size_t i = 0; i < st->policy.nmx; i++)
		buf_appendf(&b, "%s%s", i ? ", " : " ", st->policy.mx[i]);
	if (st->policy.nmx == 0)
		buf_appendf(&b, " none");
	transcript_note(&r->tr, TLAYER_PLAIN, "policy: %s", buf_cstr(&b));
	if (st->policy.mode == MTASTS_MODE_TESTING) {
		v = V_WARN;
		snprintf(msg, sizeof msg,
		         "senders report failures but still deliver to an MX that fails, so the policy protects "
		         "no message yet (%s)",
		         buf_cstr(&b));
	} else if (st->policy.mode == MTASTS_MODE_NONE) {
		v = V_WARN;
		snprintf(msg, sizeof msg, "the policy is withdrawn, senders apply no MTA-STS (%s)", buf_cstr(&b));
	} else {
		v = V_PASS;
		snprintf(msg, sizeof msg, "%s%s", buf_cstr(&b),
		         st->policy.max_age < 86400 ? " (a max_age under a day renews the policy so often that "
		                                      "it gives little protection; RFC 8461 3.2 expects weeks)"
		                                    : "");
	}
	buf_free(&b);
done:
	st->policy_verdict = v;
	if (v == V_PASS && notes) {
		char *both = xasprintf("%s; %s", msg, notes);
		finish(r, v, "", both);
		free(both);
	} else {
		finish(r, v, msg, v == V_PASS ? msg : notes);
	}
}

void mtasts_judge_mx(const struct mtasts_state *st, const char *domain, const struct mtasts_mx *mx,
                     size_t nmx, struct result *r)
{
	mtasts_result_start(r, &rules[2], domain, "mta-sts");
	struct buf bad = {0}, unknown = {0}, good = {0};
	char msg[2048] = "";
	enum verdict v;
	if (!st->policy_ok) {
		v = V_SKIP;
		snprintf(msg, sizeof msg, "%s",
		         !st->published ? "the domain publishes no MTA-STS record (P-06)"
		                        : "no valid MTA-STS policy (P-06, P-07): no pattern to match");
		if (st->txt_verdict == V_FAIL || st->txt_verdict == V_ERROR)
			r->blocked_by = xstrdup(rules[0].id);
		else if (st->policy_verdict == V_FAIL || st->policy_verdict == V_ERROR)
			r->blocked_by = xstrdup(rules[1].id);
		goto done;
	}
	if (st->policy.mode == MTASTS_MODE_NONE) {
		v = V_SKIP;
		snprintf(msg, sizeof msg, "mode none: senders hold no MX to the policy");
		goto done;
	}
	if (nmx == 0) {
		v = V_ERROR;
		snprintf(msg, sizeof msg, "no MX host to judge");
		goto done;
	}
	size_t nbad = 0, nunknown = 0;
	for (size_t i = 0; i < nmx; i++) {
		bool match = mtasts_mx_match(&st->policy, mx[i].host);
		const char *pat = NULL;
		for (size_t k = 0; k < st->policy.nmx && match && pat == NULL; k++)
			if (mtasts_pattern_match(st->policy.mx[k], mx[i].host))
				pat = st->policy.mx[k];
		const char *tls = !mx[i].tls_known ? "TLS not established"
		                  : mx[i].tls_ok   ? "STARTTLS with a PKIX-valid certificate for its name"
		                                   : "fails the TLS requirements";
		bool det = mx[i].detail[0] != '\0';
		transcript_note(&r->tr, TLAYER_PLAIN, "MX %s: %s%s; %s%s%s%s", mx[i].host,
		                match ? "matches " : "matches no mx pattern", pat ? pat : "", tls, det ? " (" : "",
		                mx[i].detail, det ? ")" : "");
		if (!match || (mx[i].tls_known && !mx[i].tls_ok)) {
			nbad++;
			if (!match)
				note(&bad, "%s matches no mx pattern", mx[i].host);
			if (mx[i].tls_known && !mx[i].tls_ok)
				note(&bad, "%s fails the TLS requirements (%s)", mx[i].host,
				     mx[i].detail[0] ? mx[i].detail : "see its scan");
		} else if (!mx[i].tls_known) {
			nunknown++;
			note(&unknown, "%s: %s", mx[i].host, mx[i].detail[0] ? mx[i].detail : "not scanned");
		} else {
			note(&good, "%s (%s)", mx[i].host, pat);
		}
	}
	if (nbad) {
		v = V_FAIL;
		snprintf(msg, sizeof msg, "%zu of %zu MX fail%s: %s%s", nbad, nmx, nbad == 1 ? "s" : "",
		         buf_cstr(&bad),
		         st->policy.mode == MTASTS_MODE_TESTING
		             ? " (mode testing: senders still deliver there and report it)"
		             : " (mode enforce: senders do not deliver there)");
	} else if (nunknown) {
		v = V_ERROR;
		snprintf(msg, sizeof msg, "the TLS requirements of %zu MX could not be judged: %s", nunknown,
		         buf_cstr(&unknown));
	} else {
		v = V_PASS;
		snprintf(msg, sizeof msg, "every MX matches and passes: %s", buf_cstr(&good));
	}
done:
	finish(r, v, msg, NULL);
	buf_free(&bad);
	buf_free(&unknown);
	buf_free(&good);
}

/* The rules of a scan that make RFC 8461 4.2's "valid PKIX certificate for
 * the MX host name" (T-04 tls-minimum is the mta-sts policy's own stricter
 * demand, not the RFC's: an MX that also accepts TLS 1.0 still takes TLS
 * 1.2 from an MTA-STS sender). */
static const char *const mx_rules[] = {"cert/x01-chain", "cert/x02-name", "cert/x03-validity"};

void mtasts_mx_from_run(struct mtasts_mx *mx, const char *host, const struct run *run,
                        const char *const *targets, size_t ntargets)
{
	memset(mx, 0, sizeof *mx);
	mx->host = host;
	bool bad = false, unknown = ntargets == 0;
	struct buf fails = {0}, errors = {0};
	if (ntargets == 0)
		note(&errors, "no address scanned");
	for (size_t t = 0; t < ntargets; t++) {
		bool seen[3] = {false, false, false};
		for (size_t i = 0; i < run->n; i++) {
			const struct result *r = &run->results[i];
			if (r->node == NULL || strcmp(r->node, targets[t]) != 0)
				continue;
			if (strcmp(r->id, "tls/probe") == 0 && r->verdict == V_ERROR) {
				unknown = true;
				note(&errors, "%s: %s", targets[t], r->reason);
			}
			for (int k = 0; k < 3; k++) {
				if (strcmp(r->id, mx_rules[k]) != 0)
					continue;
				seen[k] = true;
				if (r->verdict == V_FAIL) {
					bad = true;
					note(&fails, "%s: %s %s", targets[t], r->catalog[0], r->reason);
				} else if (r->verdict != V_PASS) {
					unknown = true;
					note(&errors, "%s: %s %s", targets[t], r->catalog[0],
					     r->reason && r->reason[0] ? r->reason : result_verdict_label(r->verdict));
				}
			}
		}
		for (int k = 0; k < 3; k++)
			if (!seen[k] && errors.len == 0) {
				unknown = true;
				note(&errors, "%s: no %s result", targets[t], mx_rules[k]);
			}
	}
	mx->tls_known = bad || !unknown;
	mx->tls_ok = !bad && !unknown;
	snprintf(mx->detail, sizeof mx->detail, "%s", bad ? buf_cstr(&fails) : unknown ? buf_cstr(&errors) : "");
	buf_free(&fails);
	buf_free(&errors);
}

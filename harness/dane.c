/* SPDX-License-Identifier: MIT */
/*
 * dane: P-01..P-05 from an MX host's TLSA answer and the chains its nodes
 * presented (RFC 7672, RFC 6698, RFC 7671). Usable for SMTP: DANE-TA(2) and
 * DANE-EE(3) with selector 0/1 and matching 0/1/2; PKIX-TA(0)/PKIX-EE(1)
 * are unusable (RFC 7672 3.1.3). DANE-EE matches the leaf and ignores names
 * and dates (3.1.1); DANE-TA matches a certificate above the leaf, and the
 * leaf must then name the MX host and be within its dates (3.1.2, 3.2.3).
 * Certificate digests come as plain data from wtls (exact matching compares
 * SHA-512s of the data). Never does DNS or I/O; prints nothing.
 */
#include "dane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wtls.h"

static const struct dane_rule rules[] = {
    {"dane/p01-tlsa", "P-01", "TLSA records exist for the MX and are DNSSEC-secure", "high",
     "RFC 7672 2.1, 2.2"},
    {"dane/p02-match", "P-02", "A usable TLSA record matches the chain the MX presents", "high",
     "RFC 7672 3.1.1, 3.1.2"},
    {"dane/p03-usable", "P-03", "PKIX-TA(0) and PKIX-EE(1) TLSA records are treated as unusable "
     "for SMTP", "medium", "RFC 7672 3.1.3"},
    {"dane/p04-ee-names", "P-04", "A DANE-EE(3) match authenticates regardless of names and expiry",
     "medium", "RFC 7672 3.1.1"},
    {"dane/p05-rollover", "P-05", "TLSA records are ready for a key rollover", "low",
     "RFC 7671 8.1; RFC 7672 3.1"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct dane_rule *dane_rules(void)
{
	return rules;
}

static const struct dane_rule *rule(const char *id)
{
	for (const struct dane_rule *r = rules; r->id; r++)
		if (strcmp(r->id, id) == 0)
			return r;
	fatalx("dane: no rule %s", id);
}

/* ---- the records --------------------------------------------------------- */

struct tlsa {
	unsigned u, s, m;
	char *hex;          /* the association data, lower-case hex */
	char data512[129];  /* SHA-512 of the data (exact matching) */
	bool usable;        /* usage 2/3, selector 0/1, matching 0/1/2 */
	char text[96];      /* "3 1 1 ab12cd34..." for reasons */
};

static size_t tlsa_parse(const struct dns_answer *a, struct tlsa **out)
{
	*out = NULL;
	if (a == NULL || !a->ok || a->sec == DNS_SEC_BOGUS || a->n == 0)
		return 0;
	struct tlsa *t = xcalloc(a->n, sizeof *t);
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++) {
		const uint8_t *d;
		size_t len;
		struct tlsa *x = &t[n];
		if (dns_rr_tlsa(&a->rr[i], &x->u, &x->s, &x->m, &d, &len) != 0)
			continue;
		x->hex = xmalloc(2 * len + 1);
		for (size_t k = 0; k < len; k++)
			snprintf(x->hex + 2 * k, 3, "%02x", d[k]);
		x->hex[2 * len] = '\0';
		wtls_digest_hex(512, d, len, x->data512, sizeof x->data512);
		x->usable = (x->u == 2 || x->u == 3) && x->s <= 1 && x->m <= 2 && len > 0;
		snprintf(x->text, sizeof x->text, "%u %u %u %.16s%s", x->u, x->s, x->m, x->hex,
		         strlen(x->hex) > 16 ? "..." : "");
		n++;
	}
	*out = t;
	return n;
}

static void tlsa_free(struct tlsa *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].hex);
	free(t);
}

/* Does record t match certificate c (RFC 6698 2.1.2, 2.1.3)? */
static bool cert_match(const struct tlsa *t, const struct wtls_cert *c)
{
	const char *have = t->s == 0 ? (t->m == 1 ? c->sha256 : c->sha512)
	                             : (t->m == 1 ? c->spki_sha256 : c->spki_sha512);
	if (have[0] == '\0')
		return false;
	return strcmp(have, t->m == 0 ? t->data512 : t->hex) == 0;
}

/* ---- results ------------------------------------------------------------- */

static void emit(struct run *run, const char *id, const char *node, enum verdict v,
                 const struct dane_mx *mx, const struct fleet_node *n, const char *msg)
{
	const struct dane_rule *ru = rule(id);
	struct result r;
	memset(&r, 0, sizeof r);
	transcript_init(&r.tr);
	r.id = xstrdup(ru->id);
	r.node = xstrdup(node);
	r.title = xstrdup(ru->title);
	r.file = xstrdup("");
	r.severity = xstrdup(ru->severity);
	r.catalog = xcalloc(2, sizeof *r.catalog);
	r.catalog[0] = xstrdup(ru->catalog);
	r.ncatalog = 1;
	r.refs = xcalloc(2, sizeof *r.refs);
	r.refs[0] = xstrdup(ru->ref);
	r.nrefs = 1;
	r.keywords = xcalloc(2, sizeof *r.keywords);
	r.keywords[0] = xstrdup("dane");
	r.nkeywords = 1;
	r.verdict = v;
	r.started_ms = wall_ms();
	if (v == V_PASS || v == V_SKIP) {
		r.reason = xstrdup(v == V_SKIP ? msg : "");
		if (v == V_PASS)
			r.notes = xstrdup(msg);
	} else {
		r.reason = xasprintf("%s (%s)", msg, ru->ref);
	}
	/* the evidence: every DNS answer this judgement rests on */
	struct buf b = {0};
	const struct dns_answer *ans[] = {mx->mx, mx->addr[0], mx->addr[1], mx->tlsa};
	for (size_t i = 0; i < sizeof ans / sizeof ans[0]; i++)
		if (ans[i])
			dns_answer_describe(ans[i], &b);
	if (n) {
		for (size_t i = 0; i < n->tls.nchain; i++)
			buf_appendf(&b, "chain[%zu] %s: sha256 %s, spki sha256 %s\n", i,
			            n->tls.chain[i].subject, n->tls.chain[i].sha256,
			            n->tls.chain[i].spki_sha256);
		if (n->tls_ok || n->cert_from_probe) {
			r.has_tls = n->tls_ok;
			r.tls = n->tls;
		}
	}
	char *line = strtok(buf_cstr(&b), "\n");
	for (; line; line = strtok(NULL, "\n"))
		transcript_note(&r.tr, TLAYER_PLAIN, "%s", line);
	buf_free(&b);
	run_add(run, &r);
}

/* The worst DNSSEC status among the MX host's address answers; false when
 * an address lookup failed. */
static bool addr_state(const struct dane_mx *mx, enum dns_sec *sec)
{
	bool any = false;
	*sec = DNS_SEC_SECURE;
	for (int i = 0; i < 2; i++) {
		const struct dns_answer *a = mx->addr[i];
		if (a == NULL)
			continue;
		if (!a->ok)
			return false;
		if (a->n == 0 && a->sec != DNS_SEC_BOGUS)
			continue;
		any = true;
		if (a->sec == DNS_SEC_BOGUS || (a->sec == DNS_SEC_INSECURE && *sec == DNS_SEC_SECURE))
			*sec = a->sec;
	}
	if (!any)
		*sec = DNS_SEC_INSECURE;
	return true;
}

static void p01(const struct dane_mx *mx, struct run *run, size_t nusable)
{
	const struct dns_answer *t = mx->tlsa;
	char sum[400], msg[1024];
	dns_answer_summary(t, sum, sizeof sum);
	enum dns_sec asec;
	bool aok = addr_state(mx, &asec);
	const char *mxnote = mx->mx && mx->mx->ok && mx->mx->sec != DNS_SEC_SECURE
	                         ? "; the MX RRset itself is insecure, so its host names are not "
	                           "authenticated (RFC 7672 2.2.1)"
	                         : "";
	enum verdict v;
	if (!t->ok) {
		v = V_ERROR;
		snprintf(msg, sizeof msg, "TLSA lookup failed: %s", sum);
	} else if (t->sec == DNS_SEC_BOGUS) {
		v = V_FAIL;
		snprintf(msg, sizeof msg, "_25._tcp.%s TLSA is %s: senders that validate DNSSEC defer "
		         "mail to this MX", mx->host, sum);
	} else if (aok && asec == DNS_SEC_BOGUS) {
		v = V_FAIL;
		snprintf(msg, sizeof msg, "the address records of %s are bogus: senders that validate "
		         "DNSSEC cannot reach this MX", mx->host);
	} else if (t->n > 0 && t->sec == DNS_SEC_INSECURE) {
		v = V_FAIL;
		snprintf(msg, sizeof msg, "%zu TLSA record(s) at _25._tcp.%s, but insecure (%s): senders "
		         "ignore TLSA records that DNSSEC does not validate", t->n, mx->host, sum);
	} else if (t->n > 0 && aok && asec != DNS_SEC_SECURE) {
		v = V_FAIL;
		snprintf(msg, sizeof msg, "secure TLSA records, but the address records of %s are "
		         "insecure: senders do not look up TLSA for it (RFC 7672 2.2.3)", mx->host);
	} else if (t->n > 0) {
		v = V_PASS;
		snprintf(msg, sizeof msg, "_25._tcp.%s TLSA: %s (%zu usable for SMTP)%s", mx->host, sum,
		         nusable, mxnote);
	} else {
		/* No TLSA at all: no DANE for this MX, senders use opportunistic TLS. */
		v = V_WARN;
		snprintf(msg, sizeof msg, "no TLSA records at _25._tcp.%s (%s): DANE is not deployed for "
		         "this MX%s", mx->host, sum,
		         t->sec == DNS_SEC_SECURE ? "" : "; the zone is not DNSSEC-signed");
	}
	emit(run, "dane/p01-tlsa", mx->host, v, mx, NULL, msg);
}

static bool secure_records(const struct dane_mx *mx)
{
	return mx->tlsa->ok && mx->tlsa->sec == DNS_SEC_SECURE && mx->tlsa->n > 0;
}

/* The chain node n presented, or NULL (why says so). */
static const struct wtls_facts *chain_of(const struct fleet_node *n, char *why, size_t whylen)
{
	if ((n->tls_ok || n->cert_from_probe) && n->tls.nchain > 0)
		return &n->tls;
	snprintf(why, whylen, "no certificate from %s: %s", n->target,
	         n->tls_error[0] ? n->tls_error
	         : n->probe_rc < 0 ? n->probe.errors[0]
	                           : "no TLS handshake");
	return NULL;
}

/* Which usable record authenticates chain f: index or -1; *ee: by DANE-EE. */
static int authenticate(const struct tlsa *t, size_t nt, const struct wtls_facts *f,
                        const char *host, int64_t now, bool *ee, char *why, size_t whylen)
{
	const struct wtls_cert *leaf = &f->chain[0];
	bool leaf_ok = wtls_host_match(leaf, host) && leaf->not_before <= now && now <= leaf->not_after;
	why[0] = '\0';
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].usable)
			continue;
		if (t[i].u == 3 && cert_match(&t[i], leaf)) {
			*ee = true;
			return (int)i;
		}
		if (t[i].u == 2)
			for (size_t k = 1; k < f->nchain; k++)
				if (cert_match(&t[i], &f->chain[k])) {
					if (leaf_ok) {
						*ee = false;
						return (int)i;
					}
					snprintf(why, whylen, "; %s matches chain[%zu] but the leaf %s", t[i].text, k,
					         wtls_host_match(leaf, host) ? "is outside its validity dates"
					                                     : "does not name the MX host");
				}
	}
	return -1;
}

static void p02_p04(const struct dane_mx *mx, const struct tlsa *t, size_t nt, size_t nusable,
                    const struct fleet_node *n, int64_t now, struct run *run)
{
	char msg[1024], why[400];
	if (!secure_records(mx) || nusable == 0) {
		const char *s = !secure_records(mx) ? "no secure TLSA records (P-01)"
		                                    : "no usable TLSA records (P-03)";
		emit(run, "dane/p02-match", n->target, V_SKIP, mx, n, s);
		emit(run, "dane/p04-ee-names", n->target, V_SKIP, mx, n, s);
		return;
	}
	const struct wtls_facts *f = chain_of(n, why, sizeof why);
	if (f == NULL) {
		emit(run, "dane/p02-match", n->target, V_ERROR, mx, n, why);
		emit(run, "dane/p04-ee-names", n->target, V_SKIP, mx, n, why);
		return;
	}
	bool ee = false;
	char tawhy[300];
	int k = authenticate(t, nt, f, mx->host, now, &ee, tawhy, sizeof tawhy);
	const struct wtls_cert *leaf = &f->chain[0];
	if (k >= 0) {
		snprintf(msg, sizeof msg, "TLSA %s matches %s (%s)%s", t[k].text,
		         ee ? "the leaf" : "a trust anchor in the chain", leaf->subject,
		         ee ? "" : "; the leaf names the MX host and is within its dates (the signatures "
		                   "from the leaf up to it are not verified)");
		emit(run, "dane/p02-match", n->target, V_PASS, mx, n, msg);
	} else {
		snprintf(msg, sizeof msg, "none of the %zu usable TLSA record(s) matches the %zu "
		         "certificate(s) %s presented (leaf %s, sha256 %.16s..., spki sha256 %.16s...)%s: "
		         "senders that apply DANE defer mail to it", nusable, f->nchain, n->target,
		         leaf->subject, leaf->sha256, leaf->spki_sha256, tawhy);
		emit(run, "dane/p02-match", n->target, V_FAIL, mx, n, msg);
	}
	if (k < 0 || !ee) {
		emit(run, "dane/p04-ee-names", n->target, V_SKIP, mx, n,
		     "no DANE-EE(3) record matched the leaf");
		return;
	}
	bool name = wtls_host_match(leaf, mx->host);
	bool dates = leaf->not_before <= now && now <= leaf->not_after;
	snprintf(msg, sizeof msg, "DANE-EE %s authenticates the leaf%s%s%s: under DANE-EE neither "
	         "names nor dates are checked (the PKIX findings X-02/X-03 stand for senders without "
	         "DANE)", t[k].text, name && dates ? "; it also names the host and is within its dates"
	                                          : " although it",
	         name ? "" : " does not name the MX host",
	         dates ? "" : (name ? " is outside its validity dates" : " and is outside its dates"));
	emit(run, "dane/p04-ee-names", n->target, V_PASS, mx, n, msg);
}

void dane_eval(const struct dane_mx *mx, const struct fleet_node *const *nodes, size_t nnodes,
               int64_t now, struct run *run)
{
	struct tlsa *t;
	size_t nt = tlsa_parse(mx->tlsa, &t), nusable = 0, npkix = 0;
	for (size_t i = 0; i < nt; i++) {
		nusable += t[i].usable;
		npkix += t[i].u <= 1;
	}
	p01(mx, run, nusable);
	char msg[512];
	if (!secure_records(mx)) {
		emit(run, "dane/p03-usable", mx->host, V_SKIP, mx, NULL, "no secure TLSA records (P-01)");
	} else if (nusable == 0) {
		snprintf(msg, sizeof msg, "none of the %zu TLSA record(s) is usable for SMTP (%zu "
		         "PKIX-TA/PKIX-EE): senders must use TLS but can authenticate nothing", nt, npkix);
		emit(run, "dane/p03-usable", mx->host, V_FAIL, mx, NULL, msg);
	} else if (npkix > 0) {
		snprintf(msg, sizeof msg, "%zu PKIX-TA/PKIX-EE record(s) are ignored by SMTP senders; "
		         "%zu usable record(s) remain", npkix, nusable);
		emit(run, "dane/p03-usable", mx->host, V_WARN, mx, NULL, msg);
	} else {
		snprintf(msg, sizeof msg, "all %zu TLSA record(s) are DANE-TA/DANE-EE", nt);
		emit(run, "dane/p03-usable", mx->host, V_PASS, mx, NULL, msg);
	}
	for (size_t i = 0; i < nnodes; i++)
		p02_p04(mx, t, nt, nusable, nodes[i], now, run);
	if (!secure_records(mx) || nusable == 0) {
		emit(run, "dane/p05-rollover", mx->host, V_SKIP, mx, NULL, "no usable secure TLSA records");
	} else if (nusable >= 2) {
		snprintf(msg, sizeof msg, "%zu usable TLSA records: a new key can be published before "
		         "the old one is retired", nusable);
		emit(run, "dane/p05-rollover", mx->host, V_PASS, mx, NULL, msg);
	} else {
		snprintf(msg, sizeof msg, "one usable TLSA record (%s): replacing the key or certificate "
		         "breaks delivery from DANE senders unless the next record is published first",
		         t[0].usable ? t[0].text : "");
		emit(run, "dane/p05-rollover", mx->host, V_WARN, mx, NULL, msg);
	}
	tlsa_free(t, nt);
}

void dane_status(const struct dane_mx *mx, const struct fleet_node *const *nodes, size_t nnodes,
                 int64_t now, char *out, size_t outlen)
{
	struct tlsa *t;
	size_t nt = tlsa_parse(mx->tlsa, &t), nusable = 0;
	for (size_t i = 0; i < nt; i++)
		nusable += t[i].usable;
	if (!mx->tlsa->ok) {
		snprintf(out, outlen, "TLSA lookup failed");
	} else if (mx->tlsa->sec == DNS_SEC_BOGUS) {
		snprintf(out, outlen, "TLSA bogus");
	} else if (mx->tlsa->n == 0) {
		snprintf(out, outlen, "no TLSA (%s)", dns_sec_name(mx->tlsa->sec));
	} else if (mx->tlsa->sec != DNS_SEC_SECURE) {
		snprintf(out, outlen, "TLSA insecure");
	} else {
		size_t match = 0;
		for (size_t i = 0; i < nnodes; i++) {
			char why[300];
			bool ee;
			const struct wtls_facts *f = chain_of(nodes[i], why, sizeof why);
			match += f && authenticate(t, nt, f, mx->host, now, &ee, why, sizeof why) >= 0;
		}
		snprintf(out, outlen, "TLSA secure, %zu usable, %zu/%zu address(es) match", nusable, match,
		         nnodes);
	}
	tlsa_free(t, nt);
}

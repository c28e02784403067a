/* SPDX-License-Identifier: MIT */
/*
 * policy: rule sets over scan facts (policy_find/default/all/rules/eval).
 * "rfc": BCP 195 = RFC 8996 (no TLS < 1.2) and RFC 9325 (TLS 1.3 SHOULD, AEAD
 * suites RECOMMENDED: WARN when missing), RFC 8314 (valid certificates for
 * mail services), RFC 7465 (no RC4), RFC 9155 (no SHA-1/MD5 signatures), RFC
 * 7457 (no compression), RFC 5746, RFC 7627. SHOULD-level findings are WARN,
 * what opportunistic SMTP may do (anon suites) a PASS with a note.
 * "mta-sts": the same plus what RFC 8461 asks of an MX behind an MTA-STS
 * policy: a PKIX-valid chain, a matching name, TLS 1.2 or later, no anon.
 * Invariants: every finding comes from a row of the one rule table (its
 * catalog row, title, severity, cited rule); evaluation never spells them.
 * Only measured facts are judged: when SIGINT/SIGTERM cut a node's probe,
 * a rule group whose facts it did not reach gives ERROR "interrupted".
 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "attack.h"
#include "hello.h"
#include "util.h"

enum { P_RFC = 1u, P_STS = 2u, P_ALL = P_RFC | P_STS };

static const struct policy p_rfc = {"rfc", "RFC 8996/9325/8314/7465/9155 baseline for mail servers", false, P_RFC};
static const struct policy p_sts = {"mta-sts", "MTA-STS-grade MX (RFC 8461) on top of the baseline", true, P_STS};
static const struct policy *const all[] = {&p_rfc, &p_sts, NULL};

/* RFC 7672 8.2 lets opportunistic SMTP negotiate anon suites; an MX behind
 * MTA-STS authenticates its peer, so there they are a finding (T-07), and
 * its name is checked as RFC 8461 4.2 says rather than RFC 3207 4.1. */
static const struct policy_rule rules[] = {
	{"tls/probe", "T-04", "The target can be probed", "high", "RFC 3207 4", P_ALL,
	 "the target cannot be probed", NULL},
	{"tls/t01-sslv2", "T-01", "SSLv2 is refused", "critical", "RFC 6176", P_ALL, NULL, NULL},
	{"tls/t02-sslv3", "T-02", "SSLv3 is refused", "high", "RFC 7568", P_ALL, NULL, NULL},
	{"tls/t03-tls10-tls11", "T-03", "TLS 1.0 and 1.1 are refused", "medium", "RFC 8996 4, 5", P_ALL,
	 NULL, NULL},
	{"tls/t04-tls12", "T-04", "TLS 1.2 is available", "high", "RFC 9325 3.1.1", P_ALL, NULL, NULL},
	{"mta-sts/tls-minimum", "T-04", "Only TLS 1.2 or later", "high", "RFC 8461 4.2; RFC 9325 3.1.1",
	 P_STS, NULL, NULL},
	/* RFC 9325 3.1.1: TLS 1.3 SHOULD be supported (WARN when not). */
	{"tls/t05-tls13", "T-05", "TLS 1.3 is available", "low", "RFC 9325 3.1.1", P_ALL, NULL, NULL},
	{"tls/t06-weak-suites", "T-06", "No NULL, EXPORT, RC4, DES, 3DES or MD5 suites", "high",
	 "RFC 7465; RFC 9325 4.1", P_ALL, NULL, NULL},
	/* RFC 9325 4.2: the AEAD suites are RECOMMENDED (SHOULD): WARN. */
	{"tls/t06-aead", "T-06", "TLS 1.2 offers an AEAD suite", "medium", "RFC 9325 4.2", P_ALL, NULL,
	 NULL},
	{"tls/t06-aead", "T-06", "TLS 1.2 offers an AEAD suite", "medium", "RFC 9325 4.2", P_ALL,
	 "no TLS 1.2", NULL},
	{"tls/t07-anon-suites", "T-07", "Anonymous suites", "medium", "RFC 7672 8.2", P_RFC, NULL, NULL},
	{"tls/t07-anon-suites", "T-07", "Anonymous suites", "medium", "RFC 8461 4.2", P_STS, NULL, NULL},
	{"tls/t08-server-preference", "T-08", "The server enforces its cipher order", "low",
	 "RFC 9325 4.2.1", P_ALL, NULL, NULL},
	{"tls/t09-forward-secrecy", "T-09", "Forward secrecy is preferred and DH is >= 2048 bits",
	 "medium", "RFC 9325 4.1; RFC 7919", P_ALL, NULL, NULL},
	{"tls/t10-signature-hash", "T-10", "No SHA-1 or MD5 in key-exchange signatures", "medium",
	 "RFC 9155", P_ALL, NULL, NULL},
	{"tls/t11-compression", "T-11", "TLS compression is refused", "high", "RFC 7457 2.6 (CRIME)",
	 P_ALL, NULL, NULL},
	{"tls/t12-secure-renegotiation", "T-12", "Secure renegotiation is supported", "medium",
	 "RFC 5746", P_ALL, NULL, NULL},
	/* Allowed by RFC 5746, but every renegotiation costs the server a
	 * full handshake on the client's word (a DoS lever): WARN. */
	{"tls/t13-client-renegotiation", "T-13", "Client-initiated renegotiation is refused", "low",
	 "RFC 5746", P_ALL, NULL, NULL},
	{"tls/t13-client-renegotiation", "T-13", "Client-initiated renegotiation", "low", "RFC 5746",
	 P_ALL, "not tested", NULL},
	/* RFC 8996 obsoletes RFC 7507, but only because TLS < 1.2 is gone; a
	 * server that still offers several versions needs it. */
	{"tls/t14-fallback-scsv", "T-14", "TLS_FALLBACK_SCSV is honoured", "low", "RFC 7507 3", P_ALL,
	 NULL, NULL},
	{"tls/t14-fallback-scsv", "T-14", "TLS_FALLBACK_SCSV is honoured", "low", "RFC 7507", P_ALL,
	 "only one protocol version", NULL},
	/* T-15: the classic probes (attack_tls.c), each with its oracle */
	{"tls/t15-heartbleed", "T-15", "Not vulnerable to Heartbleed", "critical",
	 "CVE-2014-0160; RFC 6520 4", P_ALL, NULL, NULL},
	{"tls/t15-ccs-injection", "T-15", "Not vulnerable to early ChangeCipherSpec injection", "high",
	 "CVE-2014-0224; RFC 5246 7.1", P_ALL, NULL, NULL},
	{"tls/t15-ticketbleed", "T-15", "Not vulnerable to Ticketbleed", "high",
	 "CVE-2016-9244; RFC 5077 3.4", P_ALL, NULL, NULL},
	{"tls/t15-robot", "T-15", "No RSA padding oracle (ROBOT)", "high",
	 "CVE-2017-13099; RFC 5246 7.4.7.1", P_ALL, NULL, NULL},
	/* T-16: the legacy battery, from the probe's facts (attack.c) */
	{"tls/t16-poodle", "T-16", "Not vulnerable to POODLE (SSLv3 with CBC)", "high",
	 "CVE-2014-3566; RFC 7568", P_ALL, NULL, NULL},
	{"tls/t16-sweet32", "T-16", "No 64-bit block cipher suites (SWEET32)", "medium",
	 "CVE-2016-2183; RFC 9325 4.1", P_ALL, NULL, NULL},
	{"tls/t16-freak", "T-16", "No export RSA suites (FREAK)", "high", "CVE-2015-0204; RFC 9325 4.1",
	 P_ALL, NULL, NULL},
	{"tls/t16-logjam", "T-16", "No export DHE suites or DH groups under 1024 bits (Logjam)", "high",
	 "CVE-2015-4000; RFC 9325 4.1", P_ALL, NULL, NULL},
	{"tls/t16-drown", "T-16", "No SSLv2 on the service's key (DROWN)", "high",
	 "CVE-2016-0800; RFC 6176", P_ALL, NULL, NULL},
	/* facts, not findings: the timing oracle is not measured, BEAST is
	 * mitigated on the client side */
	{"tls/t16-lucky13", "T-16", "CBC suites (LUCKY13 exposure)", "info",
	 "CVE-2013-0169; RFC 7457 2.4; RFC 7366", P_ALL, NULL, NULL},
	{"tls/t16-beast", "T-16", "CBC suites with SSLv3/TLS 1.0 (BEAST exposure)", "info",
	 "CVE-2011-3389; RFC 7457 2.3", P_ALL, NULL, NULL},
	/* T-22: malformed records after the 220 (attack_records.c) */
	{"tls/t22-record-length", "T-22", "An oversized record is refused", "high",
	 "RFC 5246 6.2.3; RFC 8446 5.2 (record_overflow)", P_ALL, NULL, NULL},
	{"tls/t22-record-version", "T-22", "A record with a foreign version is refused", "high",
	 "RFC 5246 6.2.1, E.1; RFC 8446 5.1", P_ALL, NULL, NULL},
	{"tls/t22-record-fragmented", "T-22", "A ClientHello fragmented across records is answered",
	 "medium", "RFC 5246 6.2.1; RFC 8446 5.1", P_ALL, NULL, NULL},
	{"tls/t22-record-interleaved", "T-22",
	 "Application data inside a handshake message is refused", "high", "RFC 8446 5.1; RFC 5246 7.2.2",
	 P_ALL, NULL, NULL},
	{"tls/t22-alert-storm", "T-22", "A storm of warning alerts neither hangs nor crashes the server",
	 "high", "RFC 5246 7.2; RFC 8446 6", P_ALL, NULL, NULL},
	{"tls/t22-still-serving", "T-22", "The server still answers after the malformed records",
	 "critical", "RFC 8446 6; RFC 5246 7.2", P_ALL, NULL, NULL},
	{"tls/t17-resumption", "T-17", "Session resumption", "info", "RFC 5077", P_ALL, NULL, NULL},
	{"tls/t18-early-data", "T-18", "0-RTT early data is not accepted", "medium", "RFC 8446 8", P_ALL,
	 NULL, "needs a resumable TLS 1.3 session with early data, which Debian's wolfSSL build lacks"},
	{"tls/t19-extended-master-secret", "T-19", "Extended master secret is supported", "low",
	 "RFC 7627", P_ALL, NULL, NULL},
	{"tls/t21-ocsp-stapling", "T-21", "OCSP stapling", "info", "RFC 6066 8", P_ALL, NULL, NULL},
	{"cert/x01-chain", "X-01", "The chain validates against the trust anchors", "high",
	 "RFC 5280 6; RFC 8314 4.4", P_ALL, NULL, NULL},
	{"cert/x01-chain", "X-01", "The chain validates", "high", "RFC 5280; RFC 8314 4.4", P_ALL,
	 "no certificate", NULL},
	{"cert/x02-name", "X-02", "The certificate matches the server name", "high",
	 "RFC 3207 4.1; RFC 7817 3", P_RFC, NULL, NULL},
	{"cert/x02-name", "X-02", "The certificate matches the server name", "high",
	 "RFC 8461 4.2; RFC 6125 6", P_STS, NULL, NULL},
	{"cert/x03-validity", "X-03", "The certificate is within its validity period", "high",
	 "RFC 5280 4.1.2.5", P_ALL, NULL, NULL},
	{"cert/x04-self-signed", "X-04", "The certificate is not self-signed", "medium",
	 "RFC 8314 4.4; RFC 5280 6", P_ALL, NULL, NULL},
	{"cert/x05-key", "X-05", "The key is RSA >= 2048 or EC >= 256 bits", "high",
	 "RFC 9325 4.5; BSI TR-02102-2", P_ALL, NULL, NULL},
	{"cert/x06-signature", "X-06", "No MD5 or SHA-1 signatures in the chain", "medium",
	 "RFC 9155; CA/B BR 7.1.3", P_ALL, NULL, NULL},
	{"cert/x07-san", "X-07", "The certificate has a DNS subjectAltName", "medium",
	 "RFC 8461 4.2; RFC 6125 6.4.4", P_ALL, NULL, NULL},
	{"cert/x08-wildcard", "X-08", "Wildcards only as a whole left-most label", "medium",
	 "RFC 6125 6.4.3; RFC 9525 6.3", P_ALL, NULL, NULL},
	{"cert/x10-sni", "X-10", "The same certificate with and without SNI", "info", "RFC 6066 3", P_ALL,
	 NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

const struct policy *const *policy_all(void)
{
	return all;
}

const struct policy *policy_default(void)
{
	return &p_rfc;
}

const struct policy *policy_find(const char *name)
{
	for (size_t i = 0; all[i]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

const struct policy_rule *policy_rules(void)
{
	return rules;
}

struct ctx {
	const struct policy *p;
	const struct fleet_node *n;
	struct run *run;
	const char *unmeasured; /* set by guard(): the facts this group lacks, else NULL */
	const struct transcript *evidence; /* copied into the next finding, then cleared */
};

/* At the top of each rule group: an interrupted probe leaves the facts of
 * the phases it never reached UNKNOWN or partial, and an UNKNOWN read as
 * "no" would fabricate a verdict (TLS 1.2 "not accepted" by a server that
 * accepts it). measured: this group's facts were all taken anyway. */
static void guard(struct ctx *c, bool measured, const char *what)
{
	c->unmeasured = c->n->probe.stopped && !measured ? what : NULL;
}

/* Every protocol version got its yes/no before the probe was cut. */
static bool versions_measured(const struct fleet_node *n)
{
	for (int v = 0; v < PV__COUNT; v++)
		if (n->probe.v[v].supported == PROBE_TRI_UNKNOWN)
			return false;
	return true;
}

/* The row of result id for this policy; state NULL = the judgement. */
static const struct policy_rule *rule(const struct ctx *c, const char *id, const char *state)
{
	for (const struct policy_rule *r = rules; r->id; r++)
		if ((r->policies & c->p->bit) && strcmp(r->id, id) == 0 &&
		    (state ? r->state && strcmp(r->state, state) == 0 : r->state == NULL))
			return r;
	fatalx("policy %s: no rule %s%s%s", c->p->name, id, state ? " when " : "", state ? state : "");
}

static char **strv1(const char *a)
{
	char **v = xcalloc(2, sizeof *v);
	v[0] = xstrdup(a);
	return v;
}

/* A judgement. note: a PASS keeps msg as its notes whatever the severity
 * (something seen that the policy allows but a reader should know). */
static void vadd(struct ctx *c, const char *id, const char *state, enum verdict v, bool note,
                 const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void vadd(struct ctx *c, const char *id, const char *state, enum verdict v, bool note,
                 const char *fmt, va_list ap)
{
	const struct policy_rule *ru = rule(c, id, state);
	struct result r;
	memset(&r, 0, sizeof r);
	if (c->evidence && c->evidence->n > 0)
		transcript_copy(&r.tr, c->evidence);
	else
		transcript_init(&r.tr);
	c->evidence = NULL;
	r.id = xstrdup(ru->id);
	r.node = xstrdup(c->n->target);
	r.title = xstrdup(ru->title);
	r.file = xstrdup("");
	r.severity = xstrdup(ru->severity);
	r.catalog = strv1(ru->catalog);
	r.ncatalog = 1;
	r.refs = strv1(ru->ref);
	r.nrefs = 1;
	r.keywords = strv1("tls");
	r.nkeywords = 1;
	r.verdict = v;
	r.started_ms = wall_ms();
	char msg[2048];
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* X- facts taken from a raw hello rather than a handshake say so (X-01's
	 * own message names the limitation) */
	if (c->n->cert_from_probe && ru->catalog[0] == 'X' && strcmp(ru->catalog, "X-01") != 0)
		snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " [certificate from the raw probe]");
	if (c->unmeasured && ru->untested == NULL) {
		r.verdict = v = V_ERROR;
		snprintf(msg, sizeof msg, "interrupted: %s not measured", c->unmeasured);
	}
	/* The rule is part of every judgement. A PASS keeps what was seen in
	 * the results as its notes only when the check is informational
	 * (severity info) or the caller asks: the rest would be noise at the
	 * terminal. */
	if (v == V_PASS) {
		r.reason = xstrdup("");
		if (note || strcmp(ru->severity, "info") == 0)
			r.notes = xstrdup(msg);
	} else {
		r.reason = xasprintf("%s (policy %s: %s)", msg, c->p->name, ru->ref);
	}
	if (c->n->has_tls && c->n->tls_ok) {
		r.has_tls = true;
		r.tls = c->n->tls;
	}
	run_add(c->run, &r);
}

static void add(struct ctx *c, const char *id, const char *state, enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add(struct ctx *c, const char *id, const char *state, enum verdict v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(c, id, state, v, false, fmt, ap);
	va_end(ap);
}

/* A PASS with a note when note is true, else the judgement v. */
static void add_noted(struct ctx *c, const char *id, enum verdict v, bool note, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_noted(struct ctx *c, const char *id, enum verdict v, bool note, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(c, id, NULL, v, note && v == V_PASS, fmt, ap);
	va_end(ap);
}

/* A rule stark cannot judge with the TLS library it has: SKIP with the reason. */
static void untested(struct ctx *c, const char *id)
{
	add(c, id, NULL, V_SKIP, "not tested: %s", rule(c, id, NULL)->untested);
}

static bool yes(const struct fleet_node *n, int v)
{
	return n->probe.v[v].supported == PROBE_TRI_YES;
}

/* Suites offered at the versions in vmask (bits of enum probe_vidx) that
 * have any of the flags in any (0: no condition) and lack at least one of
 * the flags in full (0: no condition): each suite once, in the order first
 * seen, with the versions it was offered at, into b:
 * "ADH-AES128-SHA (TLSv1.0 TLSv1.2), ...". Returns how many. */
static size_t suites_where(const struct fleet_node *n, unsigned vmask, uint32_t any, uint32_t full,
                           struct buf *b)
{
	uint16_t ids[PV__COUNT * PROBE_SUITES_MAX];
	unsigned vers[PV__COUNT * PROBE_SUITES_MAX];
	size_t cnt = 0;
	for (int v = 0; v < PV__COUNT; v++) {
		const struct probe_version_report *vr = &n->probe.v[v];
		if (!(vmask & (1u << v)) || vr->supported != PROBE_TRI_YES)
			continue;
		for (size_t k = 0; k < vr->nsuites; k++) {
			const struct hello_suite *s = hello_suite_find(vr->suites[k]);
			if (!s || (s->flags & CS_SCSV) || (any && !(s->flags & any)) ||
			    (full && (s->flags & full) == full))
				continue;
			size_t i = 0;
			while (i < cnt && ids[i] != s->id)
				i++;
			if (i == cnt)
				ids[cnt] = s->id, vers[cnt++] = 0;
			vers[i] |= 1u << v;
		}
	}
	char lab[64];
	for (size_t i = 0; i < cnt; i++) {
		buf_appendf(b, "%s%s (", i ? ", " : "", hello_suite_label(ids[i], lab, sizeof lab));
		bool first = true;
		for (int v = 0; v < PV__COUNT; v++)
			if (vers[i] & (1u << v)) {
				buf_appendf(b, "%s%s", first ? "" : " ",
				            hello_version_name(probe_vidx_version((enum probe_vidx)v)));
				first = false;
			}
		buf_appendf(b, ")");
	}
	return cnt;
}

#define ALL_VERSIONS ((1u << PV__COUNT) - 1)

/* Suites with any of flags offered at any version: labels into b. */
static size_t suites_with(const struct fleet_node *n, uint32_t flags, struct buf *b)
{
	return suites_where(n, ALL_VERSIONS, flags, 0, b);
}

static void versions(struct ctx *c)
{
	const struct fleet_node *n = c->n;
	guard(c, versions_measured(n), "the protocol versions");
	add(c, "tls/t01-sslv2", NULL, yes(n, PV_SSL2) ? V_FAIL : V_PASS,
	    yes(n, PV_SSL2) ? "SSLv2 offered" : "SSLv2 refused");
	add(c, "tls/t02-sslv3", NULL, yes(n, PV_SSL3) ? V_FAIL : V_PASS,
	    yes(n, PV_SSL3) ? "SSLv3 offered" : "SSLv3 refused");
	bool old10 = yes(n, PV_TLS10), old11 = yes(n, PV_TLS11);
	add(c, "tls/t03-tls10-tls11", NULL, old10 || old11 ? V_FAIL : V_PASS, "%s%s%s",
	    old10 ? "TLS 1.0 offered" : "", old10 && old11 ? ", " : "",
	    old11 ? "TLS 1.1 offered" : !old10 ? "TLS 1.0 and 1.1 refused" : "");
	add(c, "tls/t04-tls12", NULL, yes(n, PV_TLS12) ? V_PASS : V_FAIL,
	    yes(n, PV_TLS12) ? "TLS 1.2 accepted" : "TLS 1.2 not accepted");
	/* RFC 9325 3.1.1: implementations SHOULD support TLS 1.3. */
	add(c, "tls/t05-tls13", NULL, yes(n, PV_TLS13) ? V_PASS : V_WARN,
	    yes(n, PV_TLS13) ? "TLS 1.3 accepted" : "TLS 1.3 not offered");
}

static void ciphers(struct ctx *c)
{
	const struct fleet_node *n = c->n;
	/* suites, order, groups and schemes are the probe's later phases: a
	 * cut probe never completed them */
	guard(c, false, "the cipher suites, their order, groups and signature schemes");
	struct buf b = {0};
	size_t bad = suites_with(n, CS_NULL | CS_EXPORT | CS_RC4 | CS_DES | CS_3DES | CS_MD5, &b);
	add(c, "tls/t06-weak-suites", NULL, bad ? V_FAIL : V_PASS,
	    bad ? "weak suites offered: %s" : "no weak suite offered%s", bad ? buf_cstr(&b) : "");
	buf_reset(&b);
	/* RFC 9325 4.2: the recommended TLS 1.2 suites are all AEAD ones. */
	if (!yes(n, PV_TLS12)) {
		add(c, "tls/t06-aead", "no TLS 1.2", V_SKIP, "no TLS 1.2 to judge");
	} else {
		size_t aead = suites_where(n, 1u << PV_TLS12, CS_AEAD, 0, &b);
		if (aead) {
			add(c, "tls/t06-aead", NULL, V_PASS, "AEAD suites at TLS 1.2: %s", buf_cstr(&b));
		} else {
			suites_where(n, 1u << PV_TLS12, 0, 0, &b);
			add(c, "tls/t06-aead", NULL, V_WARN,
			    "no AEAD suite at TLS 1.2, only %s", buf_cstr(&b));
		}
	}
	buf_reset(&b);
	/* Allowed for opportunistic SMTP (RFC 7672 8.2), so under rfc a note
	 * that names them; a sender enforcing MTA-STS authenticates the MX. */
	size_t anon = suites_with(n, CS_ANON, &b);
	add_noted(c, "tls/t07-anon-suites", anon && c->p->mta_sts ? V_FAIL : V_PASS, anon > 0,
	          anon ? "anonymous suites offered: %s" : "no anonymous suite offered%s",
	          anon ? buf_cstr(&b) : "");
	buf_reset(&b);
	/* RFC 9325 4.2.1: the server MUST prefer the recommended suite over
	 * weaker ones whenever the client proposes it. Without its own order
	 * a client that lists a weaker suite first gets it: WARN when TLS 1.2
	 * offers a suite without AEAD or forward secrecy, else a note. */
	const struct probe_version_report *v12 = &n->probe.v[PV_TLS12];
	enum probe_tri order = v12->server_order;
	size_t weaker = suites_where(n, 1u << PV_TLS12, 0, CS_AEAD | CS_FS, &b);
	bool no_order = order == PROBE_TRI_NO && yes(n, PV_TLS12);
	enum verdict vo = !no_order ? V_PASS : c->p->mta_sts ? V_FAIL : weaker ? V_WARN : V_PASS;
	if (no_order && weaker) {
		add(c, "tls/t08-server-preference", NULL, vo,
		    "TLS 1.2 server preference: no; a client can choose the weaker %s", buf_cstr(&b));
	} else {
		buf_reset(&b);
		suites_where(n, 1u << PV_TLS12, 0, 0, &b);
		add_noted(c, "tls/t08-server-preference", vo, no_order,
		          "TLS 1.2 server preference: %s%s%s", probe_tri_name(order),
		          no_order ? "; the client chooses among " : "", no_order ? buf_cstr(&b) : "");
	}
	buf_reset(&b);
	size_t nofs = suites_with(n, CS_RSA_KX | CS_STATIC_DH, &b);
	bool pref_nofs = false;
	const struct hello_suite *first =
	    n->probe.max_version ? hello_suite_find(n->probe.first_cipher) : NULL;
	if (first && !(first->flags & CS_FS))
		pref_nofs = true;
	add(c, "tls/t09-forward-secrecy", NULL,
	    pref_nofs || (n->probe.dh_bits && n->probe.dh_bits < 2048) ? V_FAIL : V_PASS,
	    "preferred suite %s%s; %zu suite(s) without forward secrecy%s%s; DHE prime %u bits",
	    first ? (first->openssl ? first->openssl : first->iana) : "none",
	    pref_nofs ? " has no forward secrecy" : "", nofs, nofs ? ": " : "", nofs ? buf_cstr(&b) : "",
	    (unsigned)n->probe.dh_bits);
	buf_reset(&b);
	size_t weaksig = 0;
	for (size_t k = 0; k < n->probe.nsigalgs; k++) {
		const char *nm = hello_sigalg_name(n->probe.sigalgs[k]);
		uint16_t s = n->probe.sigalgs[k];
		/* SHA-1 (0x0201, 0x0203, 0x0202) and MD5 (0x0101..) schemes */
		if ((s >> 8) == 0x01 || (s >> 8) == 0x02) {
			buf_appendf(&b, "%s%s", weaksig ? ", " : "", nm ? nm : "?");
			weaksig++;
		}
	}
	add(c, "tls/t10-signature-hash", NULL, weaksig ? V_FAIL : V_PASS,
	    weaksig ? "the ServerKeyExchange is signed with %s" : "no SHA-1/MD5 signature scheme accepted%s",
	    weaksig ? buf_cstr(&b) : "");
	buf_free(&b);
}

static void client_reneg(struct ctx *c)
{
	const struct fleet_node *n = c->n;
	const char *id = "tls/t13-client-renegotiation";
	switch (n->reneg) {
	case FLEET_RENEG_ACCEPTED:
		add(c, id, NULL, V_WARN, "client-initiated renegotiation accepted: %s", n->reneg_detail);
		break;
	case FLEET_RENEG_REFUSED:
		add(c, id, NULL, V_PASS, "client-initiated renegotiation refused: %s", n->reneg_detail);
		break;
	case FLEET_RENEG_TLS13_ONLY:
		add(c, id, NULL, V_PASS, "only TLS 1.3, which has no renegotiation (RFC 8446 4.1.2)");
		break;
	case FLEET_RENEG_NO_RFC5746:
		add(c, id, "not tested", V_SKIP,
		    "not tested: the server sent no RFC 5746 renegotiation_info (see T-12), and "
		    "wolfSSL renegotiates only securely");
		break;
	case FLEET_RENEG_NO_SESSION:
		add(c, id, "not tested", V_ERROR, "no TLS <= 1.2 session to renegotiate: %s",
		    n->reneg_detail);
		break;
	case FLEET_RENEG_LIBRARY:
		add(c, id, "not tested", V_SKIP, "not tested: %s", n->reneg_detail);
		break;
	case FLEET_RENEG_NOT_RUN:
		add(c, id, "not tested", V_SKIP,
		    "not tested: an earlier handshake stalled or the scan was interrupted");
		break;
	}
}

static void extensions(struct ctx *c)
{
	const struct probe_report *p = &c->n->probe;
	guard(c, false, "the extensions and the fallback check");
	add(c, "tls/t11-compression", NULL, p->compression == PROBE_TRI_YES ? V_FAIL : V_PASS,
	    "compression: %s",
	    p->compression == PROBE_TRI_YES ? "DEFLATE chosen" : probe_tri_name(p->compression));
	add(c, "tls/t12-secure-renegotiation", NULL, p->secure_reneg == PROBE_TRI_NO ? V_FAIL : V_PASS,
	    "renegotiation_info: %s", probe_tri_name(p->secure_reneg));
	client_reneg(c);
	size_t nver = 0;
	for (int v = PV_SSL3; v <= PV_TLS13; v++)
		nver += c->n->probe.v[v].supported == PROBE_TRI_YES;
	if (nver < 2)
		add(c, "tls/t14-fallback-scsv", "only one protocol version", V_SKIP,
		    "only one protocol version: nothing to fall back to");
	else
		add(c, "tls/t14-fallback-scsv", NULL, p->fallback_scsv == PROBE_TRI_NO ? V_FAIL : V_PASS,
		    "inappropriate_fallback: %s%s%s", probe_tri_name(p->fallback_scsv),
		    p->fallback_why[0] ? " — " : "", p->fallback_why);
	add(c, "tls/t17-resumption", NULL, V_PASS, "session tickets: %s", probe_tri_name(p->ticket));
	untested(c, "tls/t18-early-data");
	if (p->facts_version)
		add(c, "tls/t19-extended-master-secret", NULL, p->ems == PROBE_TRI_NO ? V_FAIL : V_PASS,
		    "extended_master_secret: %s", probe_tri_name(p->ems));
	else
		add(c, "tls/t19-extended-master-secret", NULL, V_SKIP,
		    "no TLS <= 1.2 to test it on (TLS 1.3 always has it)");
	add(c, "tls/t21-ocsp-stapling", NULL, V_PASS, "status_request: %s",
	    probe_tri_name(p->ocsp_stapling));
}

/* T-15, T-16, T-22: the batteries' states as verdicts, their transcript as
 * the evidence. A fact (LUCKY13, BEAST) is a PASS that says what it saw; a
 * deviation (T-22: an answer where a refusal was due, no crash) a WARN. */
static void attacks(struct ctx *c)
{
	static const char *const ids[ATK__COUNT] = {
		[ATK_HEARTBLEED] = "tls/t15-heartbleed", [ATK_CCS] = "tls/t15-ccs-injection",
		[ATK_TICKETBLEED] = "tls/t15-ticketbleed", [ATK_ROBOT] = "tls/t15-robot",
		[ATK_POODLE] = "tls/t16-poodle", [ATK_SWEET32] = "tls/t16-sweet32",
		[ATK_FREAK] = "tls/t16-freak", [ATK_LOGJAM] = "tls/t16-logjam",
		[ATK_DROWN] = "tls/t16-drown", [ATK_LUCKY13] = "tls/t16-lucky13",
		[ATK_BEAST] = "tls/t16-beast", [ATK_REC_LENGTH] = "tls/t22-record-length",
		[ATK_REC_VERSION] = "tls/t22-record-version",
		[ATK_REC_FRAGMENTED] = "tls/t22-record-fragmented",
		[ATK_REC_INTERLEAVED] = "tls/t22-record-interleaved",
		[ATK_ALERT_STORM] = "tls/t22-alert-storm", [ATK_STILL_SERVING] = "tls/t22-still-serving",
	};
	const struct attack_report *ar = &c->n->attacks;
	/* built on the whole probe: a cut probe leaves them unmeasured */
	guard(c, false, "the attack batteries");
	for (int i = 0; i < ATK__COUNT; i++) {
		const struct attack_result *r = &ar->r[i];
		if (!ar->ran) {
			add(c, ids[i], NULL, V_ERROR, "not run: %s",
			    ar->why_not[0] ? ar->why_not : "the probe gave nothing to attack");
			continue;
		}
		c->evidence = &r->tr;
		switch (r->state) {
		case ATK_NOT_VULNERABLE:
		case ATK_FACT:
			/* T-22 rows speak of answers, not vulnerabilities */
			add_noted(c, ids[i], V_PASS, true, "%s%s%s",
			          i >= ATK_REC_LENGTH ? "" : attack_state_name(r->state),
			          i >= ATK_REC_LENGTH ? "" : ": ", r->detail);
			break;
		case ATK_VULNERABLE:
			add(c, ids[i], NULL, V_FAIL, "%s: %s", attack_name((enum attack_id)i), r->detail);
			break;
		case ATK_DEVIATION:
			add(c, ids[i], NULL, V_WARN, "%s", r->detail);
			break;
		case ATK_INCONCLUSIVE:
			add(c, ids[i], NULL, V_INCONCLUSIVE, "%s", r->detail);
			break;
		case ATK_ERROR:
			add(c, ids[i], NULL, V_ERROR, "%s", r->detail);
			break;
		case ATK_UNTESTED:
			add(c, ids[i], NULL, V_ERROR, "not run");
			break;
		}
		c->evidence = NULL;
	}
}

static bool weak_sig(const char *alg)
{
	return strcasestr(alg, "sha1") || strcasestr(alg, "md5") || strcasestr(alg, "md2");
}

static bool wildcard_ok(const char *san)
{
	/* "DNS:*.example.net": the wildcard is the whole left-most label
	 * (RFC 6125 6.4.3, RFC 9525 6.3) and not directly below a TLD. */
	if (strncmp(san, "DNS:", 4) != 0 || strchr(san + 4, '*') == NULL)
		return true;
	const char *d = san + 4;
	if (strncmp(d, "*.", 2) != 0 || strchr(d + 1, '*'))
		return false;
	return strchr(d + 2, '.') != NULL;
}

static void certificate(struct ctx *c, const char *servername)
{
	const struct fleet_node *n = c->n;
	/* the full handshake stands on its own: it either gave a certificate or not */
	guard(c, true, NULL);
	if (!n->has_tls || !(n->tls_ok || n->cert_from_probe) || n->tls.nchain == 0) {
		add(c, "cert/x01-chain", "no certificate", V_ERROR, "no certificate: %s",
		    n->tls_error[0] ? n->tls_error : "no handshake");
		return;
	}
	const struct wtls_facts *t = &n->tls;
	const struct wtls_cert *leaf = &t->chain[0];
	/* Without a handshake nothing was verified against the trust anchors:
	 * stark's limitation, not the target's chain (the leaf-only checks
	 * below still judge the certificate the raw probe saw). */
	if (n->cert_from_probe)
		add(c, "cert/x01-chain", NULL, V_ERROR, "chain not verified: %s", n->tls_error);
	else
		add(c, "cert/x01-chain", NULL, t->verify_ok ? V_PASS : V_FAIL, "chain %s%s%s",
		    t->verify_ok ? "validates" : "does not validate", t->verify_ok ? "" : ": ",
		    t->verify_error);
	const char *name = servername ? servername : n->host;
	add(c, "cert/x02-name", NULL, t->host_ok ? V_PASS : V_FAIL, "%s %s", name,
	    t->host_ok ? "matches the certificate" : "does not match the certificate's names");
	time_t now = time(NULL);
	bool expired = leaf->not_after < now, early = leaf->not_before > now;
	char nb[32], na[32];
	iso8601_ms(leaf->not_before * 1000, nb);
	iso8601_ms(leaf->not_after * 1000, na);
	add(c, "cert/x03-validity", NULL, expired || early ? V_FAIL : V_PASS, "valid %s .. %s%s", nb, na,
	    expired ? ": expired" : early ? ": not yet valid" : "");
	add(c, "cert/x04-self-signed", NULL, leaf->self_signed ? V_FAIL : V_PASS, "%s",
	    leaf->self_signed ? "self-signed certificate" : "issued by a CA");
	bool weak_key = (strcmp(leaf->key_type, "RSA") == 0 && leaf->key_bits < 2048) ||
	                (strcmp(leaf->key_type, "EC") == 0 && leaf->key_bits < 256);
	add(c, "cert/x05-key", NULL, weak_key ? V_FAIL : V_PASS, "%s %d bits", leaf->key_type,
	    leaf->key_bits);
	struct buf b = {0};
	size_t nweak = 0;
	/* the root's self-signature does not matter (RFC 9155 leaves anchors out) */
	for (size_t i = 0; i < t->nchain; i++)
		if (!(i > 0 && t->chain[i].self_signed) && weak_sig(t->chain[i].sig_alg)) {
			buf_appendf(&b, "%s%s (%s)", nweak ? ", " : "", t->chain[i].subject, t->chain[i].sig_alg);
			nweak++;
		}
	add(c, "cert/x06-signature", NULL, nweak ? V_FAIL : V_PASS, nweak ? "weak signatures: %s" : "%s",
	    nweak ? buf_cstr(&b) : leaf->sig_alg);
	buf_reset(&b);
	size_t ndns = 0;
	bool wild_bad = false;
	for (size_t k = 0; k < leaf->nsan; k++) {
		ndns += strncmp(leaf->san[k], "DNS:", 4) == 0;
		if (!wildcard_ok(leaf->san[k])) {
			wild_bad = true;
			buf_appendf(&b, "%s%s", b.len ? ", " : "", leaf->san[k]);
		}
	}
	add(c, "cert/x07-san", NULL, ndns ? V_PASS : V_FAIL, "%zu DNS name(s) in subjectAltName", ndns);
	add(c, "cert/x08-wildcard", NULL, wild_bad ? V_FAIL : V_PASS,
	    wild_bad ? "malformed wildcard names: %s" : "no malformed wildcard%s", wild_bad ? buf_cstr(&b) : "");
	buf_free(&b);
	if (n->has_nosni && n->nosni_sha256[0])
		add(c, "cert/x10-sni", NULL, V_PASS, "%s",
		    strcmp(n->nosni_sha256, leaf->sha256) == 0 ? "same certificate without SNI"
		                                               : "another certificate without SNI");
}

void policy_eval(const struct policy *p, const struct fleet_node *n, const char *servername,
                 struct run *run)
{
	struct ctx c = {.p = p, .n = n, .run = run};
	if (n->probe_rc != 0 && n->probe.max_version == 0) {
		add(&c, "tls/probe", "the target cannot be probed", V_ERROR, "%s",
		    n->probe.nerrors ? n->probe.errors[0] : "probe failed");
		return;
	}
	guard(&c, versions_measured(n), "the protocol versions");
	if (n->probe.max_version == 0) {
		/* STARTTLS works but no hello is accepted: nothing else applies. */
		add(&c, "tls/t04-tls12", NULL, V_FAIL, "no SSL/TLS version accepted after STARTTLS%s%s",
		    n->tls_error[0] ? ": " : "", n->tls_error);
		return;
	}
	versions(&c);
	ciphers(&c);
	extensions(&c);
	attacks(&c);
	certificate(&c, servername);
	if (p->mta_sts) {
		guard(&c, versions_measured(n), "the protocol versions");
		bool old = yes(n, PV_SSL2) || yes(n, PV_SSL3) || yes(n, PV_TLS10) || yes(n, PV_TLS11);
		add(&c, "mta-sts/tls-minimum", NULL, old ? V_FAIL : V_PASS, "%s",
		    old ? "versions below TLS 1.2 accepted" : "TLS 1.2 or later only");
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * check_report: the report writers against golden files (one deterministic
 * run built in code, every verdict, hostile bytes, a 2-cert chain, a
 * trigger), results.json round trip, XML/HTML well-formedness, escapers,
 * report_write_all; a two-node scan (facts, findings, fleet view) through
 * report_write_all and the terminal. Public: report_suite().
 * Goldens: tests/golden/report/ and report-scan/; STARK_UPDATE_GOLDEN=1 rewrites them
 * instead of comparing (review the diff before committing it).
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "report_escape.h"
#include "report_html.h"
#include "report_sarif.h"
#include "report_json.h"
#include "report_junit.h"
#include "report_md.h"
#include "report_view.h"
#include "fleet.h"
#include "support.h"

#ifndef STARK_GOLDEN_DIR
#error "STARK_GOLDEN_DIR must name tests/golden"
#endif

/* 2026-01-01T00:00:00Z: the fixture never reads a clock. */
#define T0_MS INT64_C(1767225600000)

/* ---- fixture ----------------------------------------------------------- */

static char **strv(size_t *n, ...)
{
	va_list ap;
	char **v = NULL;
	*n = 0;
	va_start(ap, n);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		v = xrealloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = xstrdup(s);
	}
	va_end(ap);
	return v;
}

/* transcript_add stamps mono_us(); goldens need fixed times, so override. */
static void ev(struct transcript *t, int64_t t_us, enum tdir d, enum tlayer l, const void *p, size_t n)
{
	if (d == TDIR_NOTE) {
		/* Notes may hold any bytes (NUL included) as far as the writers care. */
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 32;
			t->ev = xrealloc(t->ev, t->cap * sizeof *t->ev);
		}
		struct tevent *e = &t->ev[t->n++];
		e->dir = TDIR_NOTE;
		e->layer = l;
		e->data = xmalloc(n + 1);
		memcpy(e->data, p, n);
		e->data[n] = 0;
		e->len = n;
	} else {
		transcript_add(t, d, l, p, n);
	}
	t->ev[t->n - 1].t_us = t_us;
}
#define EVS(t, us, d, l, s) ev((t), (us), (d), (l), (s), sizeof(s) - 1)

static struct result *add_result(struct run *run, const char *id, const char *title,
                                 enum verdict v, const char *reason, int line)
{
	if (run->n == run->cap) {
		run->cap = run->cap ? run->cap * 2 : 8;
		run->results = xrealloc(run->results, run->cap * sizeof *run->results);
	}
	struct result *r = &run->results[run->n++];
	memset(r, 0, sizeof *r);
	r->id = xstrdup(id);
	r->title = xstrdup(title);
	r->file = xasprintf("scenarios/%s.scn", id);
	r->verdict = v;
	r->severity = xstrdup("medium");
	r->reason = xstrdup(reason);
	r->line = line;
	r->started_ms = T0_MS + 100 + (int64_t)run->n * 250;
	r->elapsed_ms = 120 + (int64_t)run->n;
	r->tr.t0_us = 0;
	return r;
}

static void cert(struct wtls_cert *c, const char *subject, const char *issuer, const char *key,
                 int bits, const char *sig, char fill, bool self)
{
	memset(c, 0, sizeof *c);
	snprintf(c->subject, sizeof c->subject, "%s", subject);
	snprintf(c->issuer, sizeof c->issuer, "%s", issuer);
	c->not_before = 1767225600; /* 2026-01-01 */
	c->not_after = 1798761600;  /* 2027-01-01 */
	snprintf(c->key_type, sizeof c->key_type, "%s", key);
	c->key_bits = bits;
	snprintf(c->sig_alg, sizeof c->sig_alg, "%s", sig);
	memset(c->sha256, fill, 64);
	c->self_signed = self;
}

static void good_facts(struct wtls_facts *f)
{
	memset(f, 0, sizeof *f);
	f->handshake_ok = true;
	snprintf(f->version, sizeof f->version, "TLSv1.3");
	snprintf(f->cipher, sizeof f->cipher, "TLS_AES_256_GCM_SHA384");
	snprintf(f->group, sizeof f->group, "X25519");
	f->nchain = 2;
	cert(&f->chain[0], "CN=mx.example.test", "CN=Stark Test CA,O=stark", "EC", 256,
	     "ecdsa-with-SHA256", 'a', false);
	f->chain[0].nsan = 2;
	snprintf(f->chain[0].san[0], sizeof f->chain[0].san[0], "DNS:mx.example.test");
	snprintf(f->chain[0].san[1], sizeof f->chain[0].san[1], "DNS:example.test");
	cert(&f->chain[1], "CN=Stark Test CA,O=stark", "CN=Stark Test CA,O=stark", "RSA", 2048,
	     "sha256WithRSAEncryption", 'b', true);
	f->verify_ok = true;
	f->host_ok = true;
	snprintf(f->servername, sizeof f->servername, "mx.example.test");
}

/*
 * The golden run: one result per verdict in a server run, plus one client
 * role result with a trigger so every field of the schema is exercised in
 * one file set. Times are fixed; nothing depends on the clock or locale.
 */
static void build_run(struct run *run)
{
	memset(run, 0, sizeof *run);
	run->tool_version = xstrdup("0.1.0");
	run->role = xstrdup("server");
	run->target = xstrdup("mx.example.test:25");
	run->profile = xstrdup("mx");
	run->argv = strv(&run->argc, "stark", "run", "--target", "mx.example.test:25", "--profile",
	                 "mx", "--out", "out", (char *)NULL);
	run->started_ms = T0_MS;
	run->elapsed_ms = 4321;
	run->has_tls = true;
	good_facts(&run->tls);

	struct result *r;
	r = add_result(run, "server/s01-starttls-advertised",
	               "STARTTLS is advertised in the EHLO reply before TLS.", V_PASS, "", 0);
	r->catalog = strv(&r->ncatalog, "S-01", (char *)NULL);
	r->refs = strv(&r->nrefs, "RFC 3207 2", (char *)NULL);
	r->keywords = strv(&r->nkeywords, "starttls", "ehlo", (char *)NULL);
	r->notes = xstrdup("line 12: the target also answers \"EHLO\" in lowercase");
	EVS(&r->tr, 0, TDIR_NOTE, TLAYER_PLAIN, "connected to 192.0.2.25:25");
	EVS(&r->tr, 1500, TDIR_RECV, TLAYER_PLAIN, "220 mx.example.test ESMTP\r\n");
	EVS(&r->tr, 1800, TDIR_SEND, TLAYER_PLAIN, "EHLO stark.test\r\n");
	EVS(&r->tr, 3250, TDIR_RECV, TLAYER_PLAIN,
	    "250-mx.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");

	r = add_result(run, "server/s08-starttls-injection",
	               "Commands pipelined in plaintext behind STARTTLS must never run inside TLS.",
	               V_FAIL, "line 23: answered a command sent in plaintext before the TLS handshake",
	               23);
	free(r->severity);
	r->severity = xstrdup("critical");
	r->catalog = strv(&r->ncatalog, "S-08", "S-09", (char *)NULL);
	r->refs = strv(&r->nrefs, "RFC 3207 4.2, 6", "CVE-2011-0411", (char *)NULL);
	r->keywords = strv(&r->nkeywords, "starttls", "injection", (char *)NULL);
	EVS(&r->tr, 0, TDIR_NOTE, TLAYER_PLAIN, "connected to 192.0.2.25:25");
	EVS(&r->tr, 1500, TDIR_RECV, TLAYER_PLAIN, "220 mx.example.test ESMTP\r\n");
	EVS(&r->tr, 1800, TDIR_SEND, TLAYER_PLAIN, "EHLO stark.test\r\n");
	EVS(&r->tr, 3250, TDIR_RECV, TLAYER_PLAIN, "250-mx.example.test\r\n250 STARTTLS\r\n");
	EVS(&r->tr, 3400, TDIR_SEND, TLAYER_PLAIN, "STARTTLS\r\nRSET\r\n");
	EVS(&r->tr, 4100, TDIR_RECV, TLAYER_PLAIN, "220 2.0.0 Ready to start TLS\r\n");
	EVS(&r->tr, 12345, TDIR_NOTE, TLAYER_TLS, "handshake ok: TLSv1.3 TLS_AES_256_GCM_SHA384");
	EVS(&r->tr, 13001, TDIR_RECV, TLAYER_TLS, "250 2.0.0 Ok\r\n");
	r->has_tls = true;
	good_facts(&r->tls);

	r = add_result(run, "server/s02-starttls-handshake",
	               "STARTTLS is answered with 220 and the handshake completes.", V_ERROR,
	               "line 14: TLS handshake failed: alert received: handshake_failure", 14);
	r->catalog = strv(&r->ncatalog, "S-02", (char *)NULL);
	EVS(&r->tr, 0, TDIR_NOTE, TLAYER_PLAIN, "connected to 192.0.2.25:25");
	EVS(&r->tr, 2000, TDIR_SEND, TLAYER_PLAIN, "STARTTLS\r\n");
	EVS(&r->tr, 2999, TDIR_RECV, TLAYER_PLAIN, "220 go ahead\r\n");
	EVS(&r->tr, 9000, TDIR_NOTE, TLAYER_TLS, "handshake failed: alert received: handshake_failure");
	r->has_tls = true;
	r->tls.handshake_ok = false;

	r = add_result(run, "server/s12-submission-requires-tls",
	               "On submission, MAIL and AUTH before STARTTLS are refused with 530.", V_SKIP,
	               "profile mx: submission-only check", 0);
	r->catalog = strv(&r->ncatalog, "S-12", (char *)NULL);

	/* Hostile-looking but legal wire bytes: CRLF, NUL, 0xff, quotes, <&>,
	 * a backslash, a backtick fence, and a 2000-byte binary blob. */
	r = add_result(run, "server/s17-reply-syntax",
	               "Greeting and EHLO replies follow the RFC 5321 grammar | <strict>.", V_XFAIL,
	               "line 9: reply line ends in bare LF", 9);
	r->xfail_reason = xstrdup("known: greeting uses bare LF (example bug #1234)");
	r->catalog = strv(&r->ncatalog, "S-17", (char *)NULL);
	EVS(&r->tr, 0, TDIR_NOTE, TLAYER_PLAIN, "connected to 192.0.2.25:25");
	EVS(&r->tr, 1000, TDIR_RECV, TLAYER_PLAIN, "220 mx\n");
	EVS(&r->tr, 1001, TDIR_SEND, TLAYER_PLAIN, "NOOP \"q\" 'a' <&> \\ \x00\xff\r\n");
	EVS(&r->tr, 1002, TDIR_RECV, TLAYER_PLAIN, "```\r\n500 5.5.2 <&> | `x`\r\n");
	{
		uint8_t blob[2000];
		for (size_t i = 0; i < sizeof blob; i++)
			blob[i] = (uint8_t)(i * 7 + 3);
		ev(&r->tr, 2500, TDIR_SEND, TLAYER_PLAIN, blob, sizeof blob);
	}
	EVS(&r->tr, 2600, TDIR_NOTE, TLAYER_PLAIN, "transcript cap reached: further data counted, not stored");
	r->tr.dropped = 4096;

	r = add_result(run, "server/s19-junk-robustness",
	               "Unknown verbs, long lines, NUL and 8-bit bytes do not break the session.",
	               V_XPASS, "", 0);
	r->xfail_reason = xstrdup("known crash on NUL before STARTTLS");
	r->catalog = strv(&r->ncatalog, "S-19", (char *)NULL);
	EVS(&r->tr, 0, TDIR_NOTE, TLAYER_PLAIN, "connected to 192.0.2.25:25");

	r = add_result(run, "server/s20-throttling", "A 421 greeting is recognised as rate limiting.",
	               V_INCONCLUSIVE, "line 1: greeting 421 4.7.0 Too many connections", 1);
	r->catalog = strv(&r->ncatalog, "S-20", (char *)NULL);
	/* 25 events: the Markdown view shows only the last 20. */
	for (int i = 0; i < 25; i++) {
		char line[64];
		int n = snprintf(line, sizeof line, "NOOP %d\r\n", i);
		ev(&r->tr, 1000 * (i + 1), i % 2 ? TDIR_RECV : TDIR_SEND, TLAYER_PLAIN, line, (size_t)n);
	}

	/* WARN: a SHOULD-level policy finding (ranked below FAIL, exit 0). */
	r = add_result(run, "tls/t05-tls13", "TLS 1.3 is offered", V_WARN,
	               "TLS 1.3 not offered (policy rfc: RFC 9325 3.1.1)", 0);
	r->catalog = strv(&r->ncatalog, "T-05", (char *)NULL);
	r->refs = strv(&r->nrefs, "RFC 9325 3.1.1", (char *)NULL);

	r = add_result(run, "client/c01-no-cleartext-auth",
	               "A client must not send AUTH before the TLS handshake.", V_FAIL,
	               "line 31: client sent AUTH PLAIN in cleartext", 31);
	r->catalog = strv(&r->ncatalog, "C-01", (char *)NULL);
	EVS(&r->tr, 0, TDIR_SEND, TLAYER_PLAIN, "220 stark.test ESMTP\r\n");
	EVS(&r->tr, 700, TDIR_RECV, TLAYER_PLAIN, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
	r->has_trigger = true;
	r->trigger_status = 1;
	r->trigger_output = xstrdup("swaks: connected\n```\nswaks: \x1b[31mAUTH failed\x1b[0m\n");
}

/*
 * The golden scan (stark scan over two nodes): per-node facts that differ
 * (versions, suites, certificate, verification), a few findings per node
 * under the rfc policy plus one server-suite verdict on each, and the
 * fleet view fleet_consistency builds from them. Fixed times throughout:
 * the fleet FAILs fleet_consistency stamps with the clock are re-stamped.
 */
static void scan_node_facts(struct fleet_node *n, const char *target, bool old_versions)
{
	memset(n, 0, sizeof *n);
	n->target = xstrdup(target);
	n->host = xstrndup(target, strcspn(target, ":"));
	n->port = xstrdup("25");
	struct probe_report *p = &n->probe;
	for (int v = 0; v < PV__COUNT; v++) {
		p->v[v].version = probe_vidx_version((enum probe_vidx)v);
		p->v[v].tested = true;
		p->v[v].supported = PROBE_TRI_NO;
	}
	struct probe_version_report *v12 = &p->v[PV_TLS12], *v13 = &p->v[PV_TLS13];
	v12->supported = v13->supported = PROBE_TRI_YES;
	v12->server_order = PROBE_TRI_YES;
	v13->server_order = PROBE_TRI_NO;
	v12->suites[v12->nsuites++] = 0xC02F;
	v12->suites[v12->nsuites++] = 0xC030;
	v13->suites[v13->nsuites++] = 0x1302;
	v13->suites[v13->nsuites++] = 0x1301;
	p->max_version = 0x0304;
	p->first_cipher = 0x1302;
	p->facts_version = 0x0303;
	p->secure_reneg = p->ems = p->fallback_scsv = PROBE_TRI_YES;
	p->compression = PROBE_TRI_NO;
	p->ticket = PROBE_TRI_YES;
	p->ngroups13 = 1;
	p->groups13[0] = 29; /* x25519 */
	p->connections = 11;
	p->wall_ms = 850;
	if (old_versions) {
		p->v[PV_TLS10].supported = PROBE_TRI_YES;
		p->v[PV_TLS10].server_order = PROBE_TRI_YES;
		p->v[PV_TLS10].suites[p->v[PV_TLS10].nsuites++] = 0x002F;
		v12->suites[v12->nsuites++] = 0x0005; /* RC4-SHA */
		p->dh_bits = 1024;
		p->connections = 17;
	}
	n->has_tls = n->tls_ok = true;
	good_facts(&n->tls);
	n->has_nosni = true;
	memcpy(n->nosni_sha256, n->tls.chain[0].sha256, 64);
	n->elapsed_ms = old_versions ? 1234 : 987;
}

static struct result *add_finding(struct run *run, const char *node, const char *id,
                                  const char *cat, enum verdict v, const char *reason)
{
	struct result *r = add_result(run, id, id, v, reason, 0);
	free(r->file);
	r->file = xstrdup("");
	r->node = xstrdup(node);
	r->catalog = strv(&r->ncatalog, cat, (char *)NULL);
	return r;
}

/* A scan run's fleet is borrowed by the run; the test that built it frees it. */
static void free_scan_run(struct run *run)
{
	struct fleet *fl = (struct fleet *)run->scan;
	run_free(run);
	fleet_free(fl);
	free(fl);
}

static void build_scan_run(struct run *run)
{
	static const char *const A = "10.0.0.1:25", *const B = "10.0.0.2:25";
	memset(run, 0, sizeof *run);
	run->tool_version = xstrdup("0.1.0");
	run->role = xstrdup("scan");
	run->target = xstrdup("10.0.0.1:25 10.0.0.2:25");
	run->profile = xstrdup("mx");
	run->argv = strv(&run->argc, "stark", "scan", "--target", A, "--target", B, "--servername",
	                 "mx.example.test", "--no-suite", (char *)NULL);
	run->started_ms = T0_MS;
	run->elapsed_ms = 2345;
	struct fleet *fl = xcalloc(1, sizeof *fl);
	run->scan = fl;
	fl->policy = xstrdup("rfc");
	fl->nnodes = 2;
	fl->nodes = xcalloc(2, sizeof *fl->nodes);
	scan_node_facts(&fl->nodes[0], A, false);
	scan_node_facts(&fl->nodes[1], B, true);
	/* node B: another, self-signed certificate with a hostile subject */
	struct wtls_facts *t = &fl->nodes[1].tls;
	t->nchain = 1;
	cert(&t->chain[0], "CN=mx <&> \"B\" | `x`", "CN=mx <&> \"B\" | `x`", "RSA", 1024,
	     "sha1WithRSAEncryption", 'c', true);
	t->verify_ok = false;
	snprintf(t->verify_error, sizeof t->verify_error, "self-signed certificate");
	t->host_ok = false;
	memset(fl->nodes[1].nosni_sha256, 'd', 64);
	run->has_tls = true;
	run->tls = fl->nodes[0].tls;

	for (size_t i = 0; i < 2; i++) {
		const char *nd = i ? B : A;
		bool bad = i == 1;
		add_finding(run, nd, "tls/t01-sslv2", "T-01", V_PASS, "");
		add_finding(run, nd, "tls/t03-tls10-tls11", "T-03", bad ? V_FAIL : V_PASS,
		            bad ? "TLS 1.0 offered (policy rfc: RFC 8996 4, 5)" : "");
		add_finding(run, nd, "tls/t06-weak-suites", "T-06", bad ? V_FAIL : V_PASS,
		            bad ? "weak suites offered: RC4-SHA (TLSv1.2) (policy rfc: RFC 7465; RFC 9325 4.1)"
		                : "");
		add_finding(run, nd, "tls/t13-client-renegotiation", "T-13", V_SKIP,
		            "not tested: Debian's wolfSSL build has no client renegotiation");
		struct result *r = add_finding(run, nd, "cert/x01-chain", "X-01", bad ? V_FAIL : V_PASS,
		                bad ? "chain does not validate: self-signed certificate (policy rfc: "
		                      "RFC 5280 6; RFC 8314 4.4)"
		                    : "");
		r->has_tls = true;
		r->tls = fl->nodes[i].tls;
		r = add_finding(run, nd, "cert/x10-sni", "X-10", V_PASS, "");
		r->notes = xstrdup(bad ? "another certificate without SNI" : "same certificate without SNI");
		add_finding(run, nd, "server/s01-starttls-advertised", "S-01", V_PASS, "");
	}
	size_t before = run->n;
	fleet_consistency(fl, run);
	for (size_t i = before; i < run->n; i++) /* stamped with the clock: fix them */
		run->results[i].started_ms = T0_MS + 2000 + (int64_t)i;
}

/* ---- helpers ------------------------------------------------------------ */

static char *render(int (*fn)(const struct run *, FILE *), const struct run *run, size_t *len)
{
	char *p = NULL;
	FILE *f = open_memstream(&p, len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fn(run, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

static int term_adapter(const struct run *run, FILE *f)
{
	report_terminal(run, "out", f);
	return 0;
}

static void golden(const char *name, const char *got, size_t len)
{
	char *path = xasprintf("%s/report/%s", STARK_GOLDEN_DIR, name);
	support_golden(path, got, len);
	free(path);
}

/*
 * A deliberately small XML 1.0 well-formedness checker, independent of the
 * escapers: it catches what an escaping bug produces (invalid UTF-8, C0
 * controls, stray '<' or '&', bad references, unbalanced or mismatched
 * tags, unquoted attributes). Returns NULL or what is wrong.
 */
static size_t u8(const unsigned char *p, size_t n, unsigned long *cp)
{
	if (p[0] < 0x80)
		return *cp = p[0], 1;
	size_t k = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
	if (k == 0 || k > n || p[0] > 0xf4)
		return 0;
	unsigned long v = p[0] & (0x3f >> (k - 1));
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return *cp = v, k;
}

static const char *xml_ref(const char *s, size_t n, size_t *i)
{
	static const char *const ents[] = {"lt;", "gt;", "amp;", "quot;", "apos;"};
	size_t j = *i + 1;
	for (size_t e = 0; e < 5; e++) {
		size_t l = strlen(ents[e]);
		if (j + l <= n && memcmp(s + j, ents[e], l) == 0)
			return *i = j + l, NULL;
	}
	if (j < n && s[j] == '#') {
		j++;
		bool hex = j < n && s[j] == 'x';
		j += hex;
		unsigned long v = 0;
		size_t d = 0;
		for (; j < n && (hex ? strchr("0123456789abcdefABCDEF", s[j]) : strchr("0123456789", s[j])) && s[j]; j++, d++)
			v = v * (hex ? 16 : 10) + (unsigned long)(s[j] <= '9' ? s[j] - '0' : (s[j] | 32) - 'a' + 10);
		if (d == 0 || j >= n || s[j] != ';')
			return "bad character reference";
		if (!(v == 9 || v == 10 || v == 13 || (v >= 0x20 && v <= 0xd7ff) ||
		      (v >= 0xe000 && v <= 0xfffd) || (v >= 0x10000 && v <= 0x10ffff)))
			return "reference to a character XML forbids";
		return *i = j + 1, NULL;
	}
	return "bare '&'";
}

static bool namech(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == ':' || c == '.';
}

static const char *xml_check(const char *s, size_t n)
{
	char stack[32][64];
	int depth = 0, roots = 0;
	for (size_t i = 0; i < n;) {
		unsigned long cp;
		size_t k = u8((const unsigned char *)s + i, n - i, &cp);
		if (k == 0)
			return "invalid UTF-8";
		if (!(cp == 9 || cp == 10 || cp == 13 || (cp >= 0x20 && cp <= 0xd7ff) ||
		      (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000))
			return "character XML forbids";
		if (s[i] == '&') {
			const char *e = xml_ref(s, n, &i);
			if (e)
				return e;
			continue;
		}
		if (s[i] != '<') {
			i += k;
			continue;
		}
		if (i + 1 < n && (s[i + 1] == '?' || s[i + 1] == '!')) {
			const char *end = s[i + 1] == '?' ? "?>" : strncmp(s + i, "<!--", 4) == 0 ? "-->" : ">";
			const char *e = memmem(s + i + 2, n - i - 2, end, strlen(end));
			if (e == NULL)
				return "unterminated declaration";
			i = (size_t)(e - s) + strlen(end);
			continue;
		}
		bool close = i + 1 < n && s[i + 1] == '/';
		size_t j = i + 1 + close, st = j;
		while (j < n && namech(s[j]))
			j++;
		if (j == st || j - st >= 64)
			return "bad tag name";
		if (close) {
			if (depth == 0 || strlen(stack[depth - 1]) != j - st ||
			    memcmp(stack[depth - 1], s + st, j - st) != 0)
				return "mismatched end tag";
			depth--;
			if (j >= n || s[j] != '>')
				return "bad end tag";
			i = j + 1;
			continue;
		}
		if (depth == 0 && ++roots > 1)
			return "more than one root element";
		char name[64];
		memcpy(name, s + st, j - st);
		name[j - st] = 0;
		for (;;) {
			while (j < n && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t'))
				j++;
			if (j >= n)
				return "unterminated tag";
			if (s[j] == '>' || (s[j] == '/' && j + 1 < n && s[j + 1] == '>')) {
				bool empty = s[j] == '/';
				if (!empty) {
					if (depth == 32)
						return "too deep";
					memcpy(stack[depth++], name, sizeof name);
				}
				i = j + 1 + empty;
				break;
			}
			size_t an = j;
			while (j < n && namech(s[j]))
				j++;
			if (j == an || j + 1 >= n || s[j] != '=' || (s[j + 1] != '"' && s[j + 1] != '\''))
				return "bad attribute";
			char q = s[j + 1];
			for (j += 2; j < n && s[j] != q;) {
				if (s[j] == '<')
					return "'<' in attribute value";
				if (s[j] == '&') {
					const char *e = xml_ref(s, n, &j);
					if (e)
						return e;
				} else {
					j++;
				}
			}
			if (j >= n)
				return "unterminated attribute";
			j++;
		}
	}
	if (depth != 0)
		return "unclosed element";
	return roots == 1 ? NULL : "no root element";
}

static void assert_xml(const char *what, const char *s, size_t n)
{
	const char *why = xml_check(s, n);
	ck_assert_msg(why == NULL, "%s is not well-formed: %s", what, why ? why : "");
	/* libxml2 as a second opinion when it is installed. */
	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return;
	char path[] = "/tmp/stark-xml-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
	close(fd);
	char *cmd = xasprintf("xmllint --noout %s", path);
	int rc = system(cmd);
	free(cmd);
	unlink(path);
	ck_assert_msg(rc == 0, "xmllint rejects %s", what);
}

static char *esc(void (*fn)(struct buf *, const uint8_t *, size_t), const char *s, size_t n)
{
	struct buf b = {0};
	fn(&b, (const uint8_t *)s, n);
	return buf_cstr(&b);
}
#define ESC_EQ(fn, lit, want)                                                  \
	do {                                                                   \
		char *got_ = esc((fn), (lit), sizeof(lit) - 1);                \
		ck_assert_str_eq(got_, (want));                                \
		free(got_);                                                    \
	} while (0)

/* ---- golden files --------------------------------------------------------- */

static void golden_of(const char *name, int (*fn)(const struct run *, FILE *))
{
	struct run run;
	size_t len;
	build_run(&run);
	char *out = render(fn, &run, &len);
	golden(name, out, len);
	free(out);
	run_free(&run);
}

START_TEST(test_golden_json) { golden_of("results.json", report_json); }
END_TEST
START_TEST(test_golden_junit) { golden_of("junit.xml", report_junit); }
END_TEST
START_TEST(test_golden_md) { golden_of("summary.md", report_md); }
END_TEST
START_TEST(test_golden_html) { golden_of("index.html", report_html); }
END_TEST

START_TEST(test_golden_sarif) { golden_of("results.sarif", report_sarif); }
END_TEST
START_TEST(test_golden_terminal) { golden_of("terminal.txt", term_adapter); }
END_TEST

/* The scan views: every file report_write_all writes, and the terminal. */
START_TEST(test_golden_scan)
{
	char tmpl[] = "/tmp/stark-report-scan-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	struct run run;
	char err[256] = "";
	build_scan_run(&run);
	ck_assert_uint_gt(run.scan->nrows, 0);
	ck_assert_msg(report_write_all(&run, tmpl, err, sizeof err) == 0, "%s", err);
	/* two nodes: fleet.html too */
	static const char *const names[] = {"results.json", "junit.xml", "summary.md", "index.html",
	                                    "results.sarif", "fleet.html"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", tmpl, names[i]);
		size_t len;
		char *got = support_slurp(p, &len);
		ck_assert_msg(got != NULL, "%s not written", p);
		char *g = xasprintf("%s/report-scan/%s", STARK_GOLDEN_DIR, names[i]);
		support_golden(g, got, len);
		unlink(p);
		free(g);
		free(got);
		free(p);
	}
	ck_assert_int_eq(rmdir(tmpl), 0); /* nothing else was written */
	size_t len;
	char *out = render(term_adapter, &run, &len);
	support_golden(STARK_GOLDEN_DIR "/report-scan/terminal.txt", out, len);
	free(out);
	free_scan_run(&run);
}
END_TEST

/* ---- results.json round trip ------------------------------------------- */

START_TEST(test_json_roundtrip)
{
	struct run run;
	size_t len;
	build_run(&run);
	char *out = render(report_json, &run, &len);
	json_error_t jerr;
	json_t *root = json_loads(out, 0, &jerr);
	ck_assert_msg(root != NULL, "results.json does not parse: %s (line %d)", jerr.text, jerr.line);
	ck_assert_str_eq(json_string_value(json_object_get(root, "schema")), "stark-results/1");

	/* summary counts equal what the results array says, all keys present. */
	json_t *sum = json_object_get(root, "summary");
	json_t *results = json_object_get(root, "results");
	ck_assert_int_eq(json_integer_value(json_object_get(sum, "total")), json_array_size(results));
	ck_assert_int_eq(json_object_size(sum), 1 + V__COUNT);
	for (int v = 0; v < V__COUNT; v++) {
		json_int_t want = 0;
		size_t i;
		json_t *r;
		json_array_foreach(results, i, r)
		{
			if (strcmp(json_string_value(json_object_get(r, "verdict")), result_verdict_name(v)) == 0)
				want++;
		}
		json_t *got = json_object_get(sum, result_verdict_name(v));
		ck_assert_msg(json_is_integer(got), "summary.%s missing", result_verdict_name(v));
		ck_assert_int_eq(json_integer_value(got), want);
		ck_assert_int_ge(want, 1); /* the fixture covers every verdict */
	}

	/* Times and bytes survive exactly. */
	json_t *s08 = json_array_get(results, 1);
	json_t *evs = json_object_get(json_object_get(s08, "transcript"), "events");
	json_t *hs = json_array_get(evs, 6);
	ck_assert(json_real_value(json_object_get(hs, "t_ms")) == 12.345);
	ck_assert(strstr(out, "\"t_ms\": 12.345,") != NULL);
	json_t *blob = json_array_get(
		json_object_get(json_object_get(json_array_get(results, 4), "transcript"), "events"), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(blob, "len")), 2000);
	const struct tevent *e = &run.results[4].tr.ev[4];
	char *want = escape_bytes(e->data, e->len);
	ck_assert_str_eq(json_string_value(json_object_get(blob, "data")), want);
	free(want);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(s08, "tls"), "chain")), 2);
	ck_assert(json_is_null(json_object_get(json_array_get(results, 0), "tls")));
	ck_assert_int_eq(len > 0 && out[len - 1] == '\n', 1);

	json_decref(root);
	free(out);
	run_free(&run);
}
END_TEST

/* ---- hostile input ------------------------------------------------------- */

static void build_hostile(struct run *run)
{
	build_run(run);
	struct result *r = &run->results[1];
	free(r->title);
	r->title = xstrdup("bad \xff\xfe utf-8 \xc0\xaf overlong \xed\xa0\x80 surrogate \x1b[2J esc "
	                   "\xe2\x80\xae bidi ]]> <!-- &amp");
	free(r->reason);
	r->reason = xstrdup("line 23: \xf4\x90\x80\x80 \xef\xbf\xbe \x01\x7f \"quoted\" </failure>");
	free(r->id);
	r->id = xstrdup("server/<id> & \"x\"\xff");
	/* A note with NUL and invalid bytes, and a certificate subject that
	 * fills its array with no NUL at all. */
	EVS(&r->tr, 20000, TDIR_NOTE, TLAYER_TLS, "note\0with nul \xff\xfe");
	memset(r->tls.chain[0].subject, 0xff, sizeof r->tls.chain[0].subject);
	memset(run->tls.chain[0].issuer, 'A', sizeof run->tls.chain[0].issuer);
	run->tls.chain[0].not_after = INT64_MAX;
	free(run->target);
	run->target = xstrdup("\xff\x1b]0;title\x07 host");
	struct result *c = &run->results[run->n - 1];
	free(c->trigger_output);
	c->trigger_output = xstrdup("\xff\x00");
	run->interrupted = true;
}

START_TEST(test_hostile_json)
{
	struct run run;
	size_t len;
	build_hostile(&run);
	char *out = render(report_json, &run, &len);
	json_error_t jerr;
	json_t *root = json_loads(out, 0, &jerr);
	ck_assert_msg(root != NULL, "hostile results.json does not parse: %s", jerr.text);
	json_t *r = json_array_get(json_object_get(root, "results"), 1);
	/* Invalid bytes are shown, not dropped; valid text around them stays. */
	const char *title = json_string_value(json_object_get(r, "title"));
	ck_assert_ptr_nonnull(strstr(title, "bad \\xff\\xfe utf-8 \\xc0\\xaf overlong"));
	ck_assert_ptr_nonnull(strstr(title, "\xe2\x80\xae"));
	json_t *evs = json_object_get(json_object_get(r, "transcript"), "events");
	json_t *note = json_array_get(evs, json_array_size(evs) - 1);
	ck_assert_int_eq(json_integer_value(json_object_get(note, "len")), 16);
	/* NUL too is shown as \x00: jansson (and C consumers) refuse \u0000 by default. */
	ck_assert_str_eq(json_string_value(json_object_get(note, "data")), "note\\x00with nul \\xff\\xfe");
	const char *subj = json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(r, "tls"), "chain"), 0), "subject"));
	ck_assert_uint_eq(strlen(subj), 4 * sizeof run.tls.chain[0].subject);
	ck_assert(json_is_true(json_object_get(json_object_get(root, "run"), "interrupted")));
	json_decref(root);
	free(out);
	run_free(&run);
}
END_TEST

/* Plain loops with one assertion at the end: Check's assertions are slow
 * (each one reports through a pipe), too slow per byte. */
static void assert_no_controls(const char *what, const char *s, size_t n, const char *allowed)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 || c == 0x7f) && (c == 0 || strchr(allowed, c) == NULL))
			ck_abort_msg("%s: raw control byte 0x%02x at %zu", what, c, i);
	}
	size_t i = 0;
	while (i < n) {
		unsigned long cp;
		size_t k = u8((const unsigned char *)s + i, n - i, &cp);
		if (k == 0)
			ck_abort_msg("%s: invalid UTF-8 at %zu", what, i);
		if (cp >= 0x80 && cp <= 0x9f)
			ck_abort_msg("%s: C1 control at %zu", what, i);
		i += k;
	}
}

/* junit.xml and index.html of run are well-formed XML; index.html carries
 * no control characters but those in allowed (NULL: not checked). */
static void assert_xml_views(const struct run *run, const char *what, const char *allowed)
{
	size_t len;
	char *x = render(report_junit, run, &len);
	char *name = xasprintf("%sjunit.xml", what);
	assert_xml(name, x, len);
	free(name);
	free(x);
	x = render(report_html, run, &len);
	name = xasprintf("%sindex.html", what);
	assert_xml(name, x, len);
	if (allowed)
		assert_no_controls(name, x, len, allowed);
	free(name);
	free(x);
}

START_TEST(test_hostile_views)
{
	struct run run;
	size_t len;
	build_hostile(&run);
	assert_xml_views(&run, "hostile ", "\n\t");
	char *x = render(report_md, &run, &len);
	assert_no_controls("hostile summary.md", x, len, "\n");
	free(x);
	x = render(term_adapter, &run, &len);
	assert_no_controls("hostile terminal", x, len, "\n");
	ck_assert_ptr_nonnull(strstr(x, "Run interrupted"));
	free(x);
	run_free(&run);
}
END_TEST

START_TEST(test_golden_wellformed)
{
	struct run run;
	build_run(&run);
	assert_xml_views(&run, "", NULL);
	run_free(&run);
	build_scan_run(&run);
	assert_xml_views(&run, "scan ", NULL);
	free_scan_run(&run);
}
END_TEST

START_TEST(test_empty_run)
{
	/* No results, no TLS, NULL strings everywhere: every writer copes. */
	struct run run;
	memset(&run, 0, sizeof run);
	size_t len;
	char *x = render(report_json, &run, &len);
	json_t *root = json_loads(x, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_is_null(json_object_get(root, "target_tls")));
	json_decref(root);
	free(x);
	x = render(report_junit, &run, &len);
	assert_xml("empty junit.xml", x, len);
	free(x);
	x = render(report_html, &run, &len);
	assert_xml("empty index.html", x, len);
	free(x);
	x = render(report_md, &run, &len);
	free(x);
	x = render(term_adapter, &run, &len);
	ck_assert_ptr_nonnull(strstr(x, "0 scenarios: 0 pass\n"));
	free(x);
}
END_TEST

START_TEST(test_exit_status_warn)
{
	/* WARN is reported but never fails the run; FAIL and ERROR still do. */
	struct run run;
	memset(&run, 0, sizeof run);
	add_result(&run, "tls/t01-sslv2", "SSLv2 is refused", V_PASS, "", 0);
	add_result(&run, "tls/t05-tls13", "TLS 1.3 is offered", V_WARN, "TLS 1.3 not offered", 0);
	ck_assert_int_eq(run_exit_status(&run), 0);
	size_t c[V__COUNT];
	run_summary(&run, c);
	ck_assert_uint_eq(c[V_WARN], 1);
	ck_assert_str_eq(result_verdict_name(V_WARN), "warn");
	ck_assert_str_eq(result_verdict_label(V_WARN), "WARN");
	add_result(&run, "cert/x01-chain", "The chain validates", V_ERROR, "no certificate", 0);
	ck_assert_int_eq(run_exit_status(&run), 2);
	add_result(&run, "tls/t02-sslv3", "SSLv3 is refused", V_FAIL, "SSLv3 offered", 0);
	ck_assert_int_eq(run_exit_status(&run), 1);
	/* Views rank it after what fails the run and before the rest. */
	size_t idx[4];
	report_view_order(&run, idx);
	ck_assert_uint_eq(idx[0], 2);
	ck_assert_uint_eq(idx[1], 3);
	ck_assert_uint_eq(idx[2], 1);
	ck_assert_uint_eq(idx[3], 0);
	run_free(&run);
}
END_TEST

/* The word index.html leads with agrees with the exit status. */
static const char *headline(const struct run *run, enum verdict *colour)
{
	struct buf why = {0};
	const char *w = report_view_headline(run, colour, &why);
	ck_assert_uint_gt(why.len, 0);
	buf_free(&why);
	return w;
}

START_TEST(test_headline)
{
	struct run run;
	enum verdict colour;
	memset(&run, 0, sizeof run);
	add_result(&run, "server/s11", "not offered", V_SKIP, "applies elsewhere", 0);
	ck_assert_str_eq(headline(&run, &colour), "NOTHING SHOWN");
	ck_assert_int_eq(run_exit_status(&run), 2);
	add_result(&run, "tls/t01-sslv2", "SSLv2 is refused", V_PASS, "", 0);
	ck_assert_str_eq(headline(&run, &colour), "PASS");
	ck_assert_int_eq(colour, V_PASS);
	add_result(&run, "tls/t05-tls13", "TLS 1.3 is offered", V_WARN, "TLS 1.3 not offered", 0);
	ck_assert_str_eq(headline(&run, &colour), "WARN");
	ck_assert_int_eq(run_exit_status(&run), 0);
	add_result(&run, "cert/x01-chain", "The chain validates", V_ERROR, "no certificate", 0);
	ck_assert_str_eq(headline(&run, &colour), "ERROR");
	ck_assert_int_eq(run_exit_status(&run), 2);
	add_result(&run, "tls/t02-sslv3", "SSLv3 is refused", V_FAIL, "SSLv3 offered", 0);
	ck_assert_str_eq(headline(&run, &colour), "FAIL");
	ck_assert_int_eq(colour, V_FAIL);
	ck_assert_int_eq(run_exit_status(&run), 1);
	run.interrupted = true; /* a FAIL stays a FAIL in a stopped run */
	ck_assert_str_eq(headline(&run, &colour), "FAIL");
	ck_assert_int_eq(run_exit_status(&run), 1);
	run_free(&run);
	memset(&run, 0, sizeof run);
	add_result(&run, "tls/t01-sslv2", "SSLv2 is refused", V_PASS, "", 0);
	run.interrupted = true;
	ck_assert_str_eq(headline(&run, &colour), "INCOMPLETE");
	ck_assert_int_eq(run_exit_status(&run), 2);
	run_free(&run);
}
END_TEST

/* ---- escapers ----------------------------------------------------------- */

START_TEST(test_escape_xml)
{
	ESC_EQ(report_escape_xml, "a<b>&\"'", "a&lt;b&gt;&amp;&quot;&apos;");
	ESC_EQ(report_escape_xml, "\t\n\r", "&#9;&#10;&#13;");
	/* XML 1.0 forbids these even as references: shown as text. */
	ESC_EQ(report_escape_xml, "\x00\x01\x1b\x7f", "\\x00\\x01\\x1b\\x7f");
	ESC_EQ(report_escape_xml, "\xc2\x85", "\\xc2\\x85");         /* C1 NEL */
	ESC_EQ(report_escape_xml, "\xef\xbf\xbe", "\\xef\\xbf\\xbe"); /* U+FFFE */
	ESC_EQ(report_escape_xml, "\xff\xc0\xaf\xed\xa0\x80", "\\xff\\xc0\\xaf\\xed\\xa0\\x80");
	ESC_EQ(report_escape_xml, "\xe2\x82", "\\xe2\\x82"); /* truncated */
	ESC_EQ(report_escape_xml, "caf\xc3\xa9 \xf0\x9f\x94\x92", "caf\xc3\xa9 \xf0\x9f\x94\x92");
	ESC_EQ(report_escape_xml_text, "a\"b'\n\t\r<", "a\"b'\n\t&#13;&lt;");
}
END_TEST

START_TEST(test_escape_html)
{
	ESC_EQ(report_escape_html, "<script>alert('x')</script>",
	       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	ESC_EQ(report_escape_html, "a&b \"c\"", "a&amp;b &quot;c&quot;");
	ESC_EQ(report_escape_html, "\x00\r\n\t\xff", "\\x00\\r\n\t\\xff");
	ESC_EQ(report_escape_html, "\xe2\x80\xae", "\\xe2\\x80\\xae"); /* bidi override */
}
END_TEST

START_TEST(test_escape_md)
{
	ESC_EQ(report_escape_md, "a|b", "a\\|b");
	ESC_EQ(report_escape_md, "line1\nline2\r\n", "line1<br>line2\\r<br>");
	ESC_EQ(report_escape_md, "`code` *em* _u_ [l](x) ~s~ \\", "\\`code\\` \\*em\\* \\_u\\_ \\[l\\](x) \\~s\\~ \\\\");
	ESC_EQ(report_escape_md, "<b>&", "&lt;b&gt;&amp;");
	ESC_EQ(report_escape_md, "TLS_AES _x_ y_ _z a__b", "TLS_AES \\_x\\_ y\\_ \\_z a\\_\\_b");
	ESC_EQ(report_escape_md, "\x00\x1b", "\\x00\\x1b");
}
END_TEST

START_TEST(test_sanitize)
{
	struct buf b = {0};
	report_escape_sanitize(&b, (const uint8_t *)"a\r\nb\x1b[0m\xff", 9, false);
	ck_assert_str_eq(buf_cstr(&b), "a\\r\\nb\\x1b[0m\\xff");
	buf_reset(&b);
	report_escape_sanitize(&b, (const uint8_t *)"a\nb", 3, true);
	ck_assert_str_eq(buf_cstr(&b), "a\nb");
	buf_reset(&b);
	report_escape_fix_utf8(&b, (const uint8_t *)"\x01\xc3\xa9\xff", 4);
	ck_assert_str_eq(buf_cstr(&b), "\x01\xc3\xa9\\xff");
	buf_free(&b);
	char t[32];
	report_view_iso_sec(0, t);
	ck_assert_str_eq(t, "1970-01-01T00:00:00Z");
	report_view_iso_sec(INT64_MAX, t);
	ck_assert_str_eq(t, "invalid");
	struct buf m = {0};
	report_view_ms(&m, -1500);
	ck_assert_str_eq(buf_cstr(&m), "-1.500");
	buf_reset(&m);
	report_view_ms(&m, INT64_MIN);
	ck_assert_str_eq(buf_cstr(&m), "-9223372036854775.808");
	buf_free(&m);
}
END_TEST

/* Property check over pseudo-random bytes (fixed seed, no RNG state): every
 * escaper emits valid UTF-8 with only the controls its format allows. */
START_TEST(test_escape_random)
{
	uint32_t x = 2463534242u;
	uint8_t in[512];
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof in; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			/* Bias towards bytes that start or continue UTF-8 sequences. */
			in[i] = (uint8_t)(round % 2 ? x : (x & 1 ? 0x80 | (x >> 8 & 0x3f) : x >> 8));
		}
		struct buf b = {0};
		report_escape_xml(&b, in, sizeof in);
		assert_no_controls("xml", (const char *)b.data, b.len, "");
		struct buf doc = {0};
		buf_appendf(&doc, "<r a=\"");
		buf_append(&doc, b.data, b.len);
		buf_appendf(&doc, "\">");
		buf_append(&doc, b.data, b.len);
		buf_appendf(&doc, "</r>");
		const char *why = xml_check((const char *)doc.data, doc.len);
		ck_assert_msg(why == NULL, "escaped xml not well-formed: %s", why ? why : "");
		buf_free(&doc);
		buf_reset(&b);
		report_escape_xml_text(&b, in, sizeof in);
		assert_no_controls("xml text", (const char *)b.data, b.len, "\n\t");
		buf_reset(&b);
		report_escape_html(&b, in, sizeof in);
		assert_no_controls("html", (const char *)b.data, b.len, "\n\t");
		buf_reset(&b);
		report_escape_md(&b, in, sizeof in);
		assert_no_controls("md", (const char *)b.data, b.len, "");
		ck_assert_ptr_null(memchr(b.data, '\n', b.len));
		buf_reset(&b);
		report_escape_sanitize(&b, in, sizeof in, false);
		assert_no_controls("sanitize", (const char *)b.data, b.len, "");
		buf_reset(&b);
		report_escape_fix_utf8(&b, in, sizeof in);
		json_t *j = json_stringn((const char *)b.data, b.len);
		ck_assert_ptr_nonnull(j);
		json_decref(j);
		buf_free(&b);
	}
}
END_TEST

/* ---- report_write_all --------------------------------------------------- */

START_TEST(test_write_all)
{
	char tmpl[] = "/tmp/stark-report-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char *dir = xasprintf("%s/a/b", tmpl); /* mkdir -p */
	struct run run;
	char err[256] = "";
	build_run(&run);
	ck_assert_msg(report_write_all(&run, dir, err, sizeof err) == 0, "%s", err);
	/* Again over existing files: rename replaces them. */
	ck_assert_msg(report_write_all(&run, dir, err, sizeof err) == 0, "%s", err);
	/* one target, no nodes: no fleet.html (checked below) */
	static const char *const names[] = {"results.json", "junit.xml", "summary.md", "index.html",
	                                    "results.sarif"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		char *t = xasprintf("%s/%s.tmp", dir, names[i]);
		struct stat st;
		ck_assert_msg(stat(p, &st) == 0 && st.st_size > 0, "%s missing", p);
		ck_assert_msg(access(t, F_OK) != 0, "%s left behind", t);
		unlink(p);
		free(p);
		free(t);
	}
	char *fleet = xasprintf("%s/fleet.html", dir);
	ck_assert_msg(access(fleet, F_OK) != 0, "fleet.html written for a run without nodes");
	free(fleet);
	size_t len, glen;
	char *p = xasprintf("%s/results.json", dir);
	char *want = render(report_json, &run, &len);
	ck_assert_int_eq(report_write_all(&run, dir, err, sizeof err), 0);
	char *got = support_slurp(p, &glen);
	ck_assert_ptr_nonnull(got);
	ck_assert(glen == len && memcmp(got, want, len) == 0);
	for (size_t i = 0; i < 4; i++) {
		char *q = xasprintf("%s/%s", dir, names[i]);
		unlink(q);
		free(q);
	}
	free(got);
	free(want);
	free(p);
	rmdir(dir);
	char *a = xasprintf("%s/a", tmpl);
	rmdir(a);
	free(a);
	rmdir(tmpl);
	free(dir);
	run_free(&run);
}
END_TEST

START_TEST(test_write_unwritable)
{
	/* A path below a regular file: fails with ENOTDIR even for root. */
	char tmpl[] = "/tmp/stark-report-file-XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char *dir = xasprintf("%s/reports", tmpl);
	struct run run;
	char err[256] = "";
	build_run(&run);
	ck_assert_int_eq(report_write_all(&run, dir, err, sizeof err), -1);
	ck_assert_msg(strstr(err, tmpl) != NULL, "error names no path: %s", err);
	ck_assert_msg(strstr(err, strerror(ENOTDIR)) != NULL, "error has no reason: %s", err);
	/* The directory itself is a file. */
	ck_assert_int_eq(report_write_all(&run, tmpl, err, sizeof err), -1);
	ck_assert_msg(strstr(err, strerror(ENOTDIR)) != NULL, "%s", err);
	unlink(tmpl);
	free(dir);
	run_free(&run);
}
END_TEST

/* The marked transcript line: the reply the reason quotes, the last of its
 * kind before the engine's verdict note; else the last event before it. */
START_TEST(test_decisive_event)
{
	struct result r;
	memset(&r, 0, sizeof r);
	transcript_init(&r.tr);
	bool quoted = true;
	ck_assert_int_eq(report_view_decisive_event(&r, &quoted), -1);
	EVS(&r.tr, 1, TDIR_RECV, TLAYER_PLAIN, "250 2.0.0 Ok\r\n"); /* 0: same text, before TLS */
	EVS(&r.tr, 2, TDIR_SEND, TLAYER_TLS, "NOOP\r\n");
	EVS(&r.tr, 3, TDIR_RECV, TLAYER_TLS, "250 2.0.0 Ok\r\n"); /* 2 */
	EVS(&r.tr, 4, TDIR_RECV, TLAYER_TLS, "221 \"Bye\"\r\n");
	EVS(&r.tr, 5, TDIR_NOTE, TLAYER_TLS, "verdict FAIL: line 3: ...");
	EVS(&r.tr, 6, TDIR_RECV, TLAYER_TLS, "250 2.0.0 Ok\r\n"); /* after the verdict */
	r.reason = (char *)"line 3: one reply too many (got 250 \"250 2.0.0 Ok\")";
	ck_assert_int_eq(report_view_decisive_event(&r, &quoted), 2);
	ck_assert(quoted);
	/* an escaped quote inside the excerpt, cut with "..." */
	r.reason = (char *)"got \"221 \\\"Bye...\"";
	ck_assert_int_eq(report_view_decisive_event(&r, &quoted), 3);
	ck_assert(quoted);
	/* nothing quoted, or a quote no reply holds: the last event before the verdict */
	r.reason = (char *)"timeout after 5000 ms";
	ck_assert_int_eq(report_view_decisive_event(&r, &quoted), 3);
	ck_assert(!quoted);
	r.reason = (char *)"got \"554 no\"";
	ck_assert_int_eq(report_view_decisive_event(&r, &quoted), 3);
	ck_assert(!quoted);
	r.reason = NULL;
	transcript_free(&r.tr);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("golden");
	tcase_add_test(tc, test_golden_json);
	tcase_add_test(tc, test_golden_junit);
	tcase_add_test(tc, test_golden_md);
	tcase_add_test(tc, test_golden_html);
	tcase_add_test(tc, test_golden_sarif);
	tcase_add_test(tc, test_golden_terminal);
	tcase_add_test(tc, test_golden_scan);
	tcase_add_test(tc, test_golden_wellformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("input");
	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_test(tc, test_hostile_json);
	tcase_add_test(tc, test_hostile_views);
	tcase_add_test(tc, test_empty_run);
	tcase_add_test(tc, test_exit_status_warn);
	tcase_add_test(tc, test_decisive_event);
	tcase_add_test(tc, test_headline);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_test(tc, test_escape_xml);
	tcase_add_test(tc, test_escape_html);
	tcase_add_test(tc, test_escape_md);
	tcase_add_test(tc, test_sanitize);
	tcase_add_test(tc, test_escape_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_write_all);
	tcase_add_test(tc, test_write_unwritable);
	suite_add_tcase(s, tc);
	return s;
}

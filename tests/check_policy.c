/* SPDX-License-Identifier: MIT */
/*
 * check_policy: policy_eval from hand-built scan facts to findings. One
 * good node passes every rule under both policies ("rfc", "mta-sts"); each
 * table row then breaks one fact and names the finding that must change:
 * its id, catalog row, verdict under each policy and the reason's key words
 * (and that the reason cites the policy and its rule). Plus the paths that
 * end early: a node that cannot be probed, no version accepted, no
 * certificate; a certificate from the raw probe (no handshake); and the seed's TLS 1.2-only, CBC-only node (WARNs, RFC
 * 9325). Public: policy_suite(). No network, no clock in the facts but
 * the certificate's validity (set relative to now).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attack.h"
#include "policy.h"
#include "result.h"
#include "fleet.h"
#include "util.h"

#define DAY (24 * 3600)

static void set_suites(struct probe_version_report *v, const uint16_t *ids, size_t n)
{
	v->tested = true;
	v->supported = PROBE_TRI_YES;
	v->nsuites = n;
	memcpy(v->suites, ids, n * sizeof *ids);
	v->suites_complete = true;
	v->server_order = PROBE_TRI_YES;
}

/* A node every rule of both policies accepts: TLS 1.2 and 1.3 only, strong
 * suites, the usual extensions, a valid EC certificate for mx.example.test
 * that is the same without SNI. */
static void good_node(struct fleet_node *n)
{
	memset(n, 0, sizeof *n);
	n->target = xstrdup("mx.example.test:25");
	n->host = xstrdup("mx.example.test");
	n->port = xstrdup("25");
	struct probe_report *p = &n->probe;
	for (int v = 0; v < PV__COUNT; v++) {
		p->v[v].version = probe_vidx_version((enum probe_vidx)v);
		p->v[v].tested = true;
		p->v[v].supported = PROBE_TRI_NO;
	}
	static const uint16_t s12[] = {0xC02F}, s13[] = {0x1301};
	set_suites(&p->v[PV_TLS12], s12, 1);
	set_suites(&p->v[PV_TLS13], s13, 1);
	p->max_version = 0x0304;
	p->first_cipher = 0x1301;
	p->facts_version = 0x0303;
	p->secure_reneg = PROBE_TRI_YES;
	p->ems = PROBE_TRI_YES;
	p->compression = PROBE_TRI_NO;
	p->ticket = PROBE_TRI_YES;
	p->ocsp_stapling = PROBE_TRI_NO;
	p->fallback_scsv = PROBE_TRI_YES;
	p->nsigalgs = 1;
	p->sigalgs[0] = 0x0804; /* rsa_pss_rsae_sha256 */

	n->has_tls = n->tls_ok = true;
	struct wtls_facts *t = &n->tls;
	t->handshake_ok = true;
	snprintf(t->version, sizeof t->version, "TLSv1.3");
	snprintf(t->cipher, sizeof t->cipher, "TLS_AES_128_GCM_SHA256");
	t->nchain = 2;
	struct wtls_cert *leaf = &t->chain[0], *ca = &t->chain[1];
	snprintf(leaf->subject, sizeof leaf->subject, "CN=mx.example.test");
	snprintf(leaf->issuer, sizeof leaf->issuer, "CN=Test CA");
	time_t now = time(NULL);
	leaf->not_before = now - 30 * DAY;
	leaf->not_after = now + 300 * DAY;
	snprintf(leaf->key_type, sizeof leaf->key_type, "EC");
	leaf->key_bits = 256;
	snprintf(leaf->sig_alg, sizeof leaf->sig_alg, "ecdsa-with-SHA256");
	memset(leaf->sha256, 'a', 64);
	leaf->nsan = 2;
	snprintf(leaf->san[0], sizeof leaf->san[0], "DNS:mx.example.test");
	snprintf(leaf->san[1], sizeof leaf->san[1], "DNS:*.example.test");
	*ca = *leaf;
	snprintf(ca->subject, sizeof ca->subject, "CN=Test CA");
	/* the anchor's own SHA-1 self-signature does not count (RFC 9155) */
	snprintf(ca->sig_alg, sizeof ca->sig_alg, "sha1WithRSAEncryption");
	ca->self_signed = true;
	ca->nsan = 0;
	t->verify_ok = t->host_ok = true;
	snprintf(t->servername, sizeof t->servername, "mx.example.test");
	n->has_nosni = true;
	memcpy(n->nosni_sha256, leaf->sha256, 64);

	/* the batteries as attack_run leaves them on a patched server: the
	 * fact ones from the probe above, the active ones refused */
	struct attack_report *a = &n->attacks;
	a->ran = true;
	for (int i = 0; i < ATK__COUNT; i++)
		transcript_init(&a->r[i].tr);
	attack_facts(p, a);
	static const enum attack_id active[] = {ATK_HEARTBLEED, ATK_CCS, ATK_TICKETBLEED, ATK_ROBOT,
	                                        ATK_REC_LENGTH, ATK_REC_VERSION, ATK_REC_FRAGMENTED,
	                                        ATK_REC_INTERLEAVED, ATK_ALERT_STORM, ATK_STILL_SERVING};
	for (size_t i = 0; i < sizeof active / sizeof active[0]; i++) {
		a->r[active[i]].state = ATK_NOT_VULNERABLE;
		snprintf(a->r[active[i]].detail, sizeof a->r[active[i]].detail, "refused: %s",
		         attack_name(active[i]));
	}
}

static void node_free(struct fleet_node *n)
{
	attack_report_free(&n->attacks);
	free(n->target);
	free(n->host);
	free(n->port);
}

static void eval(const char *policy, const struct fleet_node *n, struct run *run)
{
	const struct policy *p = policy_find(policy);
	ck_assert_msg(p != NULL, "no policy %s", policy);
	memset(run, 0, sizeof *run);
	policy_eval(p, n, "mx.example.test", run);
}

/* The one finding with this id (there must be exactly one). */
static const struct result *finding(const struct run *run, const char *id)
{
	const struct result *hit = NULL;
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->results[i].id, id) == 0) {
			ck_assert_msg(hit == NULL, "%s found twice", id);
			hit = &run->results[i];
		}
	ck_assert_msg(hit != NULL, "no finding %s", id);
	return hit;
}

/* verdict and catalog row of id; a non-PASS reason cites "(policy P: ..."
 * and contains words; a PASS has an empty reason and words in its notes
 * (informational rules, and notes on what a policy allows); without words
 * a PASS of a non-informational rule keeps no notes. */
static void ck_finding(const struct run *run, const char *policy, const char *id,
                       const char *catalog, enum verdict want, const char *words)
{
	const struct result *r = finding(run, id);
	ck_assert_msg(r->verdict == want, "%s under %s: %s, want %s: %s", id, policy,
	              result_verdict_label(r->verdict), result_verdict_label(want), r->reason);
	ck_assert_uint_eq(r->ncatalog, 1);
	ck_assert_str_eq(r->catalog[0], catalog);
	ck_assert_str_eq(r->node, "mx.example.test:25");
	if (want == V_PASS) {
		/* only an informational PASS keeps what was seen, as notes */
		ck_assert_str_eq(r->reason, "");
		if (!words && strcmp(r->severity, "info") != 0)
			ck_assert_ptr_null(r->notes);
		else if (words)
			ck_assert_msg(r->notes && strstr(r->notes, words), "%s notes '%s' lack '%s'", id,
			              r->notes ? r->notes : "(none)", words);
		return;
	}
	char *cite = xasprintf("(policy %s: ", policy);
	ck_assert_msg(strstr(r->reason, cite), "%s reason '%s' lacks '%s'", id, r->reason, cite);
	free(cite);
	if (words)
		ck_assert_msg(strstr(r->reason, words), "%s reason '%s' lacks '%s'", id, r->reason,
		              words);
}

/* ---- the good node ---- */

struct good_row {
	const char *id, *catalog;
	enum verdict want;
	const char *words; /* in the notes (info rules) or the reason (SKIPs) */
};

static const struct good_row GOOD[] = {
    {"tls/t01-sslv2", "T-01", V_PASS, NULL},
    {"tls/t02-sslv3", "T-02", V_PASS, NULL},
    {"tls/t03-tls10-tls11", "T-03", V_PASS, NULL},
    {"tls/t04-tls12", "T-04", V_PASS, NULL},
    {"tls/t05-tls13", "T-05", V_PASS, NULL},
    {"tls/t06-weak-suites", "T-06", V_PASS, NULL},
    {"tls/t06-aead", "T-06", V_PASS, NULL},
    {"tls/t07-anon-suites", "T-07", V_PASS, NULL},
    {"tls/t08-server-preference", "T-08", V_PASS, NULL},
    {"tls/t09-forward-secrecy", "T-09", V_PASS, NULL},
    {"tls/t10-signature-hash", "T-10", V_PASS, NULL},
    {"tls/t11-compression", "T-11", V_PASS, NULL},
    {"tls/t12-secure-renegotiation", "T-12", V_PASS, NULL},
    {"tls/t13-client-renegotiation", "T-13", V_SKIP, "not tested"},
    {"tls/t14-fallback-scsv", "T-14", V_PASS, NULL},
    {"tls/t15-heartbleed", "T-15", V_PASS, "not vulnerable: refused: heartbleed"},
    {"tls/t15-ccs-injection", "T-15", V_PASS, "refused: ccs-injection"},
    {"tls/t15-ticketbleed", "T-15", V_PASS, "refused: ticketbleed"},
    {"tls/t15-robot", "T-15", V_PASS, "refused: robot"},
    {"tls/t16-poodle", "T-16", V_PASS, "SSLv3 refused"},
    {"tls/t16-sweet32", "T-16", V_PASS, "no 3DES, DES, IDEA or RC2 suite accepted"},
    {"tls/t16-freak", "T-16", V_PASS, "no export RSA suite accepted"},
    {"tls/t16-logjam", "T-16", V_PASS, "no finite-field DHE accepted"},
    {"tls/t16-drown", "T-16", V_PASS, "SSLv2 refused"},
    {"tls/t16-lucky13", "T-16", V_PASS, "no CBC suite accepted"},
    {"tls/t16-beast", "T-16", V_PASS, "both refused"},
    {"tls/t22-record-length", "T-22", V_PASS, "refused: record-length"},
    {"tls/t22-record-version", "T-22", V_PASS, "refused: record-version"},
    {"tls/t22-record-fragmented", "T-22", V_PASS, "refused: record-fragmented"},
    {"tls/t22-record-interleaved", "T-22", V_PASS, "refused: record-interleaved"},
    {"tls/t22-alert-storm", "T-22", V_PASS, "refused: alert-storm"},
    {"tls/t22-still-serving", "T-22", V_PASS, "refused: still-serving"},
    {"tls/t17-resumption", "T-17", V_PASS, "session tickets: yes"},
    {"tls/t18-early-data", "T-18", V_SKIP, "not tested"},
    {"tls/t19-extended-master-secret", "T-19", V_PASS, NULL},
    {"tls/t21-ocsp-stapling", "T-21", V_PASS, "status_request: no"},
    {"cert/x01-chain", "X-01", V_PASS, NULL},
    {"cert/x02-name", "X-02", V_PASS, NULL},
    {"cert/x03-validity", "X-03", V_PASS, NULL},
    {"cert/x04-self-signed", "X-04", V_PASS, NULL},
    {"cert/x05-key", "X-05", V_PASS, NULL},
    {"cert/x06-signature", "X-06", V_PASS, NULL},
    {"cert/x07-san", "X-07", V_PASS, NULL},
    {"cert/x08-wildcard", "X-08", V_PASS, NULL},
    {"cert/x10-sni", "X-10", V_PASS, "same certificate without SNI"},
};
#define NGOOD (sizeof GOOD / sizeof GOOD[0])

/* T-13 from the outcome of fleet's renegotiation attempt. */
START_TEST(client_renegotiation_outcomes)
{
	static const struct {
		enum fleet_reneg r;
		enum verdict want;
		const char *words;
	} rows[] = {
	    {FLEET_RENEG_ACCEPTED, V_WARN, "accepted"},
	    {FLEET_RENEG_REFUSED, V_PASS, NULL},
	    {FLEET_RENEG_TLS13_ONLY, V_PASS, NULL},
	    {FLEET_RENEG_NO_RFC5746, V_SKIP, "RFC 5746"},
	    {FLEET_RENEG_NO_SESSION, V_ERROR, "no TLS <= 1.2 session"},
	    {FLEET_RENEG_LIBRARY, V_SKIP, "needs stark's bundled wolfSSL"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct fleet_node n;
		good_node(&n);
		n.reneg = rows[i].r;
		snprintf(n.reneg_detail, sizeof n.reneg_detail, "%s",
		         rows[i].r == FLEET_RENEG_LIBRARY ? wtls_lacks_reason(WTLS_F_RENEGOTIATION)
		         : rows[i].r == FLEET_RENEG_REFUSED
		             ? "renegotiation failed: alert received: no_renegotiation (TLSv1.2)"
		             : "x");
		struct run run;
		eval("rfc", &n, &run);
		ck_finding(&run, "rfc", "tls/t13-client-renegotiation", "T-13", rows[i].want, rows[i].words);
		run_free(&run);
		node_free(&n);
	}
}
END_TEST

START_TEST(good_node_passes_both_policies)
{
	struct fleet_node n;
	good_node(&n);
	static const char *const pols[] = {"rfc", "mta-sts"};
	for (size_t k = 0; k < 2; k++) {
		struct run run;
		eval(pols[k], &n, &run);
		for (size_t i = 0; i < NGOOD; i++) {
			const struct good_row *g = &GOOD[i];
			if (g->want == V_SKIP) {
				const struct result *r = finding(&run, g->id);
				ck_assert_int_eq(r->verdict, V_SKIP);
				ck_assert_str_eq(r->catalog[0], g->catalog);
				ck_assert_ptr_nonnull(strstr(r->reason, g->words));
			} else {
				ck_finding(&run, pols[k], g->id, g->catalog, g->want, g->words);
			}
		}
		/* mta-sts adds exactly its TLS minimum; nothing else is judged */
		bool sts = k == 1;
		ck_assert_uint_eq(run.n, NGOOD + sts);
		if (sts)
			ck_finding(&run, "mta-sts", "mta-sts/tls-minimum", "T-04", V_PASS, NULL);
		run_free(&run);
	}
	node_free(&n);
}
END_TEST

/* ---- one broken fact per rule ---- */

static void b_ssl2(struct fleet_node *n) { n->probe.v[PV_SSL2].supported = PROBE_TRI_YES; }
static void b_ssl3(struct fleet_node *n) { n->probe.v[PV_SSL3].supported = PROBE_TRI_YES; }
static void b_tls10(struct fleet_node *n) { n->probe.v[PV_TLS10].supported = PROBE_TRI_YES; }
static void b_tls11(struct fleet_node *n) { n->probe.v[PV_TLS11].supported = PROBE_TRI_YES; }
static void b_no_tls12(struct fleet_node *n) { n->probe.v[PV_TLS12].supported = PROBE_TRI_NO; }
static void b_no_tls13(struct fleet_node *n) { n->probe.v[PV_TLS13].supported = PROBE_TRI_NO; }
static void add12(struct fleet_node *n, uint16_t id)
{
	struct probe_version_report *v = &n->probe.v[PV_TLS12];
	v->suites[v->nsuites++] = id;
}
static void b_rc4(struct fleet_node *n) { add12(n, 0x0005); }  /* RC4-SHA */
static void b_anon(struct fleet_node *n) { add12(n, 0xC018); } /* AECDH-AES128-SHA */
/* the same anon suite at TLS 1.0 and 1.2: named once, with both versions */
static void b_anon_twice(struct fleet_node *n)
{
	static const uint16_t s10[] = {0xC018};
	set_suites(&n->probe.v[PV_TLS10], s10, 1);
	add12(n, 0xC018);
}
/* the seed's suite: ECDHE-RSA-AES128-SHA256, CBC, no AEAD */
static void b_no_aead(struct fleet_node *n)
{
	static const uint16_t s12[] = {0xC027};
	set_suites(&n->probe.v[PV_TLS12], s12, 1);
}
static void b_order(struct fleet_node *n) { n->probe.v[PV_TLS12].server_order = PROBE_TRI_NO; }
static void b_order_weak(struct fleet_node *n) { b_order(n), add12(n, 0xC027); }
static void b_nofs_first(struct fleet_node *n)
{
	add12(n, 0x002F); /* AES128-SHA: RSA key exchange */
	n->probe.max_version = 0x0303;
	n->probe.v[PV_TLS13].supported = PROBE_TRI_NO;
	n->probe.first_cipher = 0x002F;
}
static void b_dh1024(struct fleet_node *n) { n->probe.dh_bits = 1024; }
static void b_sha1_sig(struct fleet_node *n) { n->probe.sigalgs[n->probe.nsigalgs++] = 0x0201; }
static void b_deflate(struct fleet_node *n) { n->probe.compression = PROBE_TRI_YES; }
static void b_no_reneg(struct fleet_node *n) { n->probe.secure_reneg = PROBE_TRI_NO; }
static void b_no_scsv(struct fleet_node *n) { n->probe.fallback_scsv = PROBE_TRI_NO; }
static void b_one_version(struct fleet_node *n) { b_no_tls12(n), n->probe.facts_version = 0; }
static void b_no_ems(struct fleet_node *n) { n->probe.ems = PROBE_TRI_NO; }
static void b_unverified(struct fleet_node *n)
{
	n->tls.verify_ok = false;
	snprintf(n->tls.verify_error, sizeof n->tls.verify_error, "unable to get local issuer");
}
static void b_name(struct fleet_node *n) { n->tls.host_ok = false; }
static void b_expired(struct fleet_node *n) { n->tls.chain[0].not_after = time(NULL) - DAY; }
static void b_early(struct fleet_node *n) { n->tls.chain[0].not_before = time(NULL) + DAY; }
static void b_self(struct fleet_node *n) { n->tls.chain[0].self_signed = true; }
static void b_rsa1024(struct fleet_node *n)
{
	snprintf(n->tls.chain[0].key_type, sizeof n->tls.chain[0].key_type, "RSA");
	n->tls.chain[0].key_bits = 1024;
}
static void b_sha1_leaf(struct fleet_node *n)
{
	snprintf(n->tls.chain[0].sig_alg, sizeof n->tls.chain[0].sig_alg, "sha1WithRSAEncryption");
}
static void b_no_dns_san(struct fleet_node *n)
{
	n->tls.chain[0].nsan = 1;
	snprintf(n->tls.chain[0].san[0], sizeof n->tls.chain[0].san[0], "IP Address:192.0.2.1");
}
static void b_wildcard(struct fleet_node *n)
{
	snprintf(n->tls.chain[0].san[1], sizeof n->tls.chain[0].san[1], "DNS:mx*.example.test");
}
static void b_tld_wildcard(struct fleet_node *n)
{
	snprintf(n->tls.chain[0].san[1], sizeof n->tls.chain[0].san[1], "DNS:*.test");
}
static void b_other_nosni(struct fleet_node *n) { memset(n->nosni_sha256, 'b', 64); }

struct bad_row {
	const char *id, *catalog;
	void (*breakit)(struct fleet_node *);
	enum verdict rfc, sts; /* the finding under each policy */
	const char *words;     /* in the reason (or the notes of an info PASS; a PASS
	                          of another rule has none to check) */
};

static const struct bad_row BAD[] = {
    {"tls/t01-sslv2", "T-01", b_ssl2, V_FAIL, V_FAIL, "SSLv2 offered"},
    {"tls/t02-sslv3", "T-02", b_ssl3, V_FAIL, V_FAIL, "SSLv3 offered"},
    {"tls/t03-tls10-tls11", "T-03", b_tls10, V_FAIL, V_FAIL, "TLS 1.0 offered"},
    {"tls/t03-tls10-tls11", "T-03", b_tls11, V_FAIL, V_FAIL, "TLS 1.1 offered"},
    {"tls/t04-tls12", "T-04", b_no_tls12, V_FAIL, V_FAIL, "TLS 1.2 not accepted"},
    /* RFC 9325 3.1.1: TLS 1.3 SHOULD be supported: a WARN, not a failure */
    {"tls/t05-tls13", "T-05", b_no_tls13, V_WARN, V_WARN, "TLS 1.3 not offered"},
    {"tls/t06-weak-suites", "T-06", b_rc4, V_FAIL, V_FAIL,
     "weak suites offered: RC4-SHA (TLSv1.2)"},
    /* RFC 9325 4.2: AEAD suites are RECOMMENDED */
    {"tls/t06-aead", "T-06", b_no_aead, V_WARN, V_WARN,
     "no AEAD suite at TLS 1.2, only ECDHE-RSA-AES128-SHA256 (TLSv1.2)"},
    {"tls/t06-aead", "T-06", b_no_tls12, V_SKIP, V_SKIP, "no TLS 1.2"},
    /* RFC 7672 8.2 allows anon for opportunistic SMTP (a note that names
     * them); RFC 8461 does not */
    {"tls/t07-anon-suites", "T-07", b_anon, V_PASS, V_FAIL,
     "anonymous suites offered: AECDH-AES128-SHA (TLSv1.2)"},
    {"tls/t07-anon-suites", "T-07", b_anon_twice, V_PASS, V_FAIL,
     "anonymous suites offered: AECDH-AES128-SHA (TLSv1.0 TLSv1.2)"},
    /* no server order: a note when every TLS 1.2 suite is AEAD with forward
     * secrecy, a WARN when the client can pick a weaker one (RFC 9325 4.2.1) */
    {"tls/t08-server-preference", "T-08", b_order, V_PASS, V_FAIL,
     "TLS 1.2 server preference: no; the client chooses among "
     "ECDHE-RSA-AES128-GCM-SHA256 (TLSv1.2)"},
    {"tls/t08-server-preference", "T-08", b_order_weak, V_WARN, V_FAIL,
     "a client can choose the weaker ECDHE-RSA-AES128-SHA256 (TLSv1.2)"},
    {"tls/t09-forward-secrecy", "T-09", b_nofs_first, V_FAIL, V_FAIL,
     "preferred suite AES128-SHA has no forward secrecy"},
    {"tls/t09-forward-secrecy", "T-09", b_dh1024, V_FAIL, V_FAIL, "DHE prime 1024 bits"},
    {"tls/t10-signature-hash", "T-10", b_sha1_sig, V_FAIL, V_FAIL,
     "the ServerKeyExchange is signed with rsa_pkcs1_sha1"},
    {"tls/t11-compression", "T-11", b_deflate, V_FAIL, V_FAIL, "DEFLATE chosen"},
    {"tls/t12-secure-renegotiation", "T-12", b_no_reneg, V_FAIL, V_FAIL,
     "renegotiation_info: no"},
    {"tls/t14-fallback-scsv", "T-14", b_no_scsv, V_FAIL, V_FAIL, "inappropriate_fallback: no"},
    {"tls/t14-fallback-scsv", "T-14", b_one_version, V_SKIP, V_SKIP, "only one protocol version"},
    {"tls/t19-extended-master-secret", "T-19", b_no_ems, V_FAIL, V_FAIL,
     "extended_master_secret: no"},
    {"tls/t19-extended-master-secret", "T-19", b_one_version, V_SKIP, V_SKIP, "no TLS <= 1.2"},
    {"cert/x01-chain", "X-01", b_unverified, V_FAIL, V_FAIL,
     "does not validate: unable to get local issuer"},
    {"cert/x02-name", "X-02", b_name, V_FAIL, V_FAIL,
     "mx.example.test does not match the certificate"},
    {"cert/x03-validity", "X-03", b_expired, V_FAIL, V_FAIL, ": expired"},
    {"cert/x03-validity", "X-03", b_early, V_FAIL, V_FAIL, ": not yet valid"},
    {"cert/x04-self-signed", "X-04", b_self, V_FAIL, V_FAIL, "self-signed certificate"},
    {"cert/x05-key", "X-05", b_rsa1024, V_FAIL, V_FAIL, "RSA 1024 bits"},
    {"cert/x06-signature", "X-06", b_sha1_leaf, V_FAIL, V_FAIL,
     "weak signatures: CN=mx.example.test (sha1WithRSAEncryption)"},
    {"cert/x07-san", "X-07", b_no_dns_san, V_FAIL, V_FAIL, "0 DNS name(s)"},
    {"cert/x08-wildcard", "X-08", b_wildcard, V_FAIL, V_FAIL, "DNS:mx*.example.test"},
    {"cert/x08-wildcard", "X-08", b_tld_wildcard, V_FAIL, V_FAIL, "DNS:*.test"},
    /* informational: another certificate without SNI is a note */
    {"cert/x10-sni", "X-10", b_other_nosni, V_PASS, V_PASS, "another certificate without SNI"},
    {"mta-sts/tls-minimum", "T-04", b_tls11, V_PASS, V_FAIL, "versions below TLS 1.2 accepted"},
};
#define NBAD (sizeof BAD / sizeof BAD[0])

START_TEST(each_rule_fails_on_its_fact)
{
	const struct bad_row *b = &BAD[_i];
	static const char *const pols[] = {"rfc", "mta-sts"};
	for (size_t k = 0; k < 2; k++) {
		struct fleet_node n;
		good_node(&n);
		b->breakit(&n);
		struct run run;
		eval(pols[k], &n, &run);
		enum verdict want = k == 0 ? b->rfc : b->sts;
		if (strcmp(b->id, "mta-sts/tls-minimum") == 0 && k == 0) {
			/* the rfc policy has no such rule */
			for (size_t i = 0; i < run.n; i++)
				ck_assert_str_ne(run.results[i].id, b->id);
		} else if (want == V_SKIP) {
			const struct result *r = finding(&run, b->id);
			ck_assert_int_eq(r->verdict, V_SKIP);
			ck_assert_str_eq(r->catalog[0], b->catalog);
			ck_assert_msg(strstr(r->reason, b->words), "'%s' lacks '%s'", r->reason,
			              b->words);
		} else {
			ck_finding(&run, pols[k], b->id, b->catalog, want, b->words);
		}
		run_free(&run);
		node_free(&n);
	}
}
END_TEST

/* ---- the paths that end early ---- */

START_TEST(unprobed_node_is_one_error)
{
	struct fleet_node n;
	good_node(&n);
	memset(&n.probe, 0, sizeof n.probe);
	n.probe_rc = -1;
	n.probe.nerrors = 1;
	snprintf(n.probe.errors[0], sizeof n.probe.errors[0], "connect: refused");
	struct run run;
	eval("rfc", &n, &run);
	ck_assert_uint_eq(run.n, 1);
	ck_finding(&run, "rfc", "tls/probe", "T-04", V_ERROR, "connect: refused");
	run_free(&run);
	node_free(&n);
}
END_TEST

START_TEST(no_version_is_one_t04_failure)
{
	struct fleet_node n;
	good_node(&n);
	memset(&n.probe, 0, sizeof n.probe);
	snprintf(n.tls_error, sizeof n.tls_error, "alert handshake_failure");
	struct run run;
	eval("mta-sts", &n, &run);
	ck_assert_uint_eq(run.n, 1);
	ck_finding(&run, "mta-sts", "tls/t04-tls12", "T-04", V_FAIL,
	           "no SSL/TLS version accepted after STARTTLS: alert handshake_failure");
	run_free(&run);
	node_free(&n);
}
END_TEST

START_TEST(no_certificate_is_an_x01_error)
{
	struct fleet_node n;
	good_node(&n);
	n.tls_ok = false;
	snprintf(n.tls_error, sizeof n.tls_error, "handshake timed out");
	struct run run;
	eval("rfc", &n, &run);
	ck_finding(&run, "rfc", "cert/x01-chain", "X-01", V_ERROR,
	           "no certificate: handshake timed out");
	for (size_t i = 0; i < run.n; i++) /* no other X- finding without a certificate */
		ck_assert_msg(strncmp(run.results[i].id, "cert/", 5) != 0 ||
		                  strcmp(run.results[i].id, "cert/x01-chain") == 0,
		              "%s judged without a certificate", run.results[i].id);
	run_free(&run);
	node_free(&n);
}
END_TEST

/* No handshake (stark's limitation), the certificate from the raw probe:
 * X-01 cannot be judged and says why, the leaf's facts are judged as they
 * are (here a wrong name) and say where they come from. */
START_TEST(certificate_from_the_probe)
{
	struct fleet_node n;
	good_node(&n);
	n.tls_ok = false;
	n.cert_from_probe = true;
	n.tls.verify_ok = n.tls.host_ok = false;
	snprintf(n.tls_error, sizeof n.tls_error, "stark cannot negotiate with this target");
	const char *pols[] = {"rfc", "mta-sts"};
	for (size_t k = 0; k < 2; k++) {
		struct run run;
		eval(pols[k], &n, &run);
		ck_finding(&run, pols[k], "cert/x01-chain", "X-01", V_ERROR,
		           "chain not verified: stark cannot negotiate with this target (policy");
		ck_finding(&run, pols[k], "cert/x02-name", "X-02", V_FAIL,
		           "does not match the certificate's names [certificate from the raw probe]");
		ck_finding(&run, pols[k], "cert/x05-key", "X-05", V_PASS, NULL);
		ck_finding(&run, pols[k], "cert/x08-wildcard", "X-08", V_PASS, NULL);
		run_free(&run);
	}
	node_free(&n);
}
END_TEST

/* ---- an interrupted probe: only measured facts are judged ---- */

/* SIGINT during the TLS 1.2 enumeration, after TLS 1.3 was accepted: the
 * issue's case, where an UNKNOWN read as "no" made t04 FAIL. */
static void cut_after_tls13(struct fleet_node *n)
{
	good_node(n);
	struct probe_report *p = &n->probe;
	for (int v = PV_SSL2; v <= PV_TLS12; v++) {
		p->v[v].supported = PROBE_TRI_UNKNOWN;
		p->v[v].nsuites = 0;
		p->v[v].suites_complete = false;
		p->v[v].server_order = PROBE_TRI_UNKNOWN;
	}
	p->v[PV_TLS12].tested = true;
	p->v[PV_SSL2].tested = p->v[PV_SSL3].tested = false;
	p->v[PV_TLS10].tested = p->v[PV_TLS11].tested = false;
	p->facts_version = 0;
	p->secure_reneg = p->ems = p->compression = p->ticket = PROBE_TRI_UNKNOWN;
	p->fallback_scsv = PROBE_TRI_UNKNOWN;
	p->nsigalgs = 0;
	p->stopped = true;
	p->nerrors = 1;
	snprintf(p->errors[0], sizeof p->errors[0], "interrupted");
}

/* every tls/ and mta-sts/ finding is ERROR "interrupted" or a SKIP of a
 * rule stark never tests; none PASSes or FAILs */
static void ck_no_tls_verdict(const struct run *run)
{
	ck_assert_uint_gt(run->n, 0);
	for (size_t i = 0; i < run->n; i++) {
		const struct result *r = &run->results[i];
		if (strncmp(r->id, "cert/", 5) == 0)
			continue;
		if (r->verdict == V_SKIP) {
			ck_assert_msg(strstr(r->reason, "not tested: "), "%s SKIP on unmeasured facts: %s",
			              r->id, r->reason);
			continue;
		}
		ck_assert_msg(r->verdict == V_ERROR, "%s: %s from unmeasured facts (%s)", r->id,
		              result_verdict_label(r->verdict), r->reason);
		ck_assert_msg(strncmp(r->reason, "interrupted: ", 13) == 0, "%s reason '%s'", r->id,
		              r->reason);
	}
}

START_TEST(interrupted_probe_judges_nothing_unmeasured)
{
	static const char *const pols[] = {"rfc", "mta-sts"};
	for (size_t k = 0; k < 2; k++) {
		struct fleet_node n;
		cut_after_tls13(&n);
		struct run run;
		eval(pols[k], &n, &run);
		ck_no_tls_verdict(&run);
		ck_finding(&run, pols[k], "tls/t04-tls12", "T-04", V_ERROR,
		           "interrupted: the protocol versions not measured");
		/* the certificate came from a full handshake: still judged */
		ck_finding(&run, pols[k], "cert/x01-chain", "X-01", V_PASS, NULL);
		run_free(&run);
		node_free(&n);
	}
}
END_TEST

/* Cut before any version was accepted: not "no version accepted" (FAIL). */
START_TEST(interrupted_before_any_acceptance_is_no_failure)
{
	struct fleet_node n;
	cut_after_tls13(&n);
	n.probe.v[PV_TLS13].supported = PROBE_TRI_NO;
	n.probe.v[PV_TLS13].nsuites = 0;
	n.probe.max_version = 0;
	n.tls_ok = false;
	struct run run;
	eval("rfc", &n, &run);
	ck_assert_uint_eq(run.n, 1);
	ck_finding(&run, "rfc", "tls/t04-tls12", "T-04", V_ERROR, "interrupted");
	run_free(&run);
	node_free(&n);
}
END_TEST

/* Cut after every version was decided (in the order check): the version
 * rules stand, the later phases' rules do not. */
/* The batteries' states as verdicts, each with the battery's transcript as
 * its evidence; batteries that were not run are ERRORs saying why. */
START_TEST(attack_states_become_verdicts_with_evidence)
{
	struct fleet_node n;
	good_node(&n);
	struct attack_report *a = &n.attacks;
	a->r[ATK_HEARTBLEED].state = ATK_VULNERABLE;
	snprintf(a->r[ATK_HEARTBLEED].detail, sizeof a->r[0].detail, "16384 bytes of server memory");
	static const uint8_t resp[] = {0x18, 0x03, 0x03, 0x40, 0x03, 0x02, 0x40, 0x00};
	transcript_add(&a->r[ATK_HEARTBLEED].tr, TDIR_RECV, TLAYER_PLAIN, resp, sizeof resp);
	a->r[ATK_CCS].state = ATK_INCONCLUSIVE;
	snprintf(a->r[ATK_CCS].detail, sizeof a->r[0].detail, "no answer");
	a->r[ATK_REC_VERSION].state = ATK_DEVIATION;
	snprintf(a->r[ATK_REC_VERSION].detail, sizeof a->r[0].detail, "a ServerHello where");
	a->r[ATK_ROBOT].state = ATK_ERROR;
	snprintf(a->r[ATK_ROBOT].detail, sizeof a->r[0].detail, "could not connect");
	a->r[ATK_LUCKY13].state = ATK_FACT;
	snprintf(a->r[ATK_LUCKY13].detail, sizeof a->r[0].detail, "CBC suites accepted");
	struct run run;
	eval("rfc", &n, &run);
	ck_finding(&run, "rfc", "tls/t15-heartbleed", "T-15", V_FAIL, "16384 bytes of server memory");
	const struct result *r = finding(&run, "tls/t15-heartbleed");
	ck_assert_uint_eq(r->tr.n, 1);
	ck_assert_uint_eq(r->tr.ev[0].len, sizeof resp);
	ck_assert_mem_eq(r->tr.ev[0].data, resp, sizeof resp);
	ck_finding(&run, "rfc", "tls/t15-ccs-injection", "T-15", V_INCONCLUSIVE, "no answer");
	ck_finding(&run, "rfc", "tls/t22-record-version", "T-22", V_WARN, "a ServerHello where");
	ck_finding(&run, "rfc", "tls/t15-robot", "T-15", V_ERROR, "could not connect");
	ck_finding(&run, "rfc", "tls/t16-lucky13", "T-16", V_PASS, "fact: CBC suites accepted");
	ck_assert_int_eq(run_exit_status(&run), 1);
	run_free(&run);

	attack_report_free(a);
	snprintf(a->why_not, sizeof a->why_not, "the server stalled a TLS handshake");
	eval("rfc", &n, &run);
	ck_finding(&run, "rfc", "tls/t15-heartbleed", "T-15", V_ERROR, "not run: the server stalled");
	ck_finding(&run, "rfc", "tls/t22-still-serving", "T-22", V_ERROR, "not run: the server stalled");
	run_free(&run);
	node_free(&n);
}
END_TEST

START_TEST(interrupted_after_versions_keeps_version_rules)
{
	struct fleet_node n;
	good_node(&n);
	n.probe.stopped = true;
	struct run run;
	eval("mta-sts", &n, &run);
	ck_finding(&run, "mta-sts", "tls/t04-tls12", "T-04", V_PASS, NULL);
	ck_finding(&run, "mta-sts", "tls/t01-sslv2", "T-01", V_PASS, NULL);
	ck_finding(&run, "mta-sts", "mta-sts/tls-minimum", "T-04", V_PASS, NULL);
	ck_finding(&run, "mta-sts", "tls/t06-weak-suites", "T-06", V_ERROR, "interrupted");
	ck_finding(&run, "mta-sts", "tls/t14-fallback-scsv", "T-14", V_ERROR, "interrupted");
	ck_finding(&run, "mta-sts", "tls/t13-client-renegotiation", "T-13", V_ERROR, "interrupted");
	run_free(&run);
	node_free(&n);
}
END_TEST

/* The seed's own configuration: TLS 1.2 only, ECDHE-RSA-AES128-SHA256. It
 * breaks no MUST, but two SHOULDs of RFC 9325: WARNs, not a silent PASS,
 * and not a failed run. */
START_TEST(seed_configuration_warns)
{
	struct fleet_node n;
	good_node(&n);
	b_no_aead(&n);
	n.probe.v[PV_TLS13].supported = PROBE_TRI_NO;
	n.probe.max_version = 0x0303;
	n.probe.first_cipher = 0xC027;
	n.probe.v[PV_TLS12].server_order = PROBE_TRI_UNKNOWN; /* one suite: no order to see */
	struct run run;
	eval("rfc", &n, &run);
	ck_finding(&run, "rfc", "tls/t05-tls13", "T-05", V_WARN, "TLS 1.3 not offered");
	ck_finding(&run, "rfc", "tls/t06-aead", "T-06", V_WARN, "ECDHE-RSA-AES128-SHA256 (TLSv1.2)");
	size_t c[V__COUNT];
	run_summary(&run, c);
	ck_assert_uint_eq(c[V_WARN], 2);
	ck_assert_uint_eq(c[V_FAIL] + c[V_ERROR], 0);
	ck_assert_int_eq(run_exit_status(&run), 0);
	run_free(&run);
	node_free(&n);
}
END_TEST

START_TEST(policy_names)
{
	ck_assert_ptr_eq(policy_find("rfc"), policy_default());
	ck_assert(!policy_find("rfc")->mta_sts);
	ck_assert(policy_find("mta-sts")->mta_sts);
	ck_assert_ptr_null(policy_find("strict"));
	size_t n = 0;
	for (const struct policy *const *p = policy_all(); *p; p++)
		n++;
	ck_assert_uint_eq(n, 2);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, policy_names);
	tcase_add_test(tc, client_renegotiation_outcomes);
	tcase_add_test(tc, good_node_passes_both_policies);
	tcase_add_test(tc, attack_states_become_verdicts_with_evidence);
	tcase_add_loop_test(tc, each_rule_fails_on_its_fact, 0, (int)NBAD);
	tcase_add_test(tc, unprobed_node_is_one_error);
	tcase_add_test(tc, no_version_is_one_t04_failure);
	tcase_add_test(tc, no_certificate_is_an_x01_error);
	tcase_add_test(tc, certificate_from_the_probe);
	tcase_add_test(tc, interrupted_probe_judges_nothing_unmeasured);
	tcase_add_test(tc, interrupted_before_any_acceptance_is_no_failure);
	tcase_add_test(tc, interrupted_after_versions_keeps_version_rules);
	tcase_add_test(tc, seed_configuration_warns);
	suite_add_tcase(s, tc);
	return s;
}

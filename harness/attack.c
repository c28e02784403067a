/* SPDX-License-Identifier: MIT */
/*
 * attack: the run of the attack batteries (attack_run, attack_report_free),
 * their names, the fact batteries read from the probe report without a
 * connection (attack_facts: POODLE, SWEET32, FREAK, Logjam, DROWN, LUCKY13,
 * BEAST), DROWN's one SSLv2 hello when SSLv2 is on, and what the battery
 * files share (attack_int.h: bookkeeping, hello choice, record reader).
 * Invariants: every battery that ran has a state and a detail; each has
 * its own transcript and connection count; every read has the probe's
 * deadline; after ATK_SILENT_HELLOS_MAX silent hellos no connection is
 * opened. Never judges (policy.c does) and never prints.
 */
#include "attack.h"
#include "attack_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "util.h"
#include "wtls.h"

static const char *const names[ATK__COUNT] = {
	[ATK_HEARTBLEED] = "heartbleed",
	[ATK_CCS] = "ccs-injection",
	[ATK_TICKETBLEED] = "ticketbleed",
	[ATK_ROBOT] = "robot",
	[ATK_POODLE] = "poodle",
	[ATK_SWEET32] = "sweet32",
	[ATK_FREAK] = "freak",
	[ATK_LOGJAM] = "logjam",
	[ATK_DROWN] = "drown",
	[ATK_LUCKY13] = "lucky13",
	[ATK_BEAST] = "beast",
	[ATK_REC_LENGTH] = "record-length",
	[ATK_REC_VERSION] = "record-version",
	[ATK_REC_FRAGMENTED] = "record-fragmented",
	[ATK_REC_INTERLEAVED] = "record-interleaved",
	[ATK_ALERT_STORM] = "alert-storm",
	[ATK_STILL_SERVING] = "still-serving",
};

const char *attack_name(enum attack_id id)
{
	return id < ATK__COUNT ? names[id] : "?";
}

const char *attack_state_name(enum attack_state s)
{
	switch (s) {
	case ATK_UNTESTED: return "not tested";
	case ATK_NOT_VULNERABLE: return "not vulnerable";
	case ATK_VULNERABLE: return "vulnerable";
	case ATK_FACT: return "fact";
	case ATK_DEVIATION: return "deviation";
	case ATK_INCONCLUSIVE: return "inconclusive";
	case ATK_ERROR: return "error";
	}
	return "?";
}

void atk_set(struct attack_result *r, enum attack_state st, const char *fmt, ...)
{
	r->state = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

/* ---- bookkeeping ---------------------------------------------------------- */

bool atk_begin(struct atk *a, enum attack_id id)
{
	struct attack_result *r = &a->out->r[id];
	if (a->stop) {
		atk_set(r, ATK_INCONCLUSIVE, "not run: %s", a->stop_why);
		return false;
	}
	probe_set_transcript(a->p, &r->tr);
	transcript_note(&r->tr, TLAYER_PLAIN, "battery %s", attack_name(id));
	a->conns0 = probe_connections(a->p);
	return true;
}

void atk_end(struct atk *a, enum attack_id id)
{
	struct attack_result *r = &a->out->r[id];
	r->connections = probe_connections(a->p) - a->conns0;
	a->out->connections += r->connections;
	transcript_note(&r->tr, TLAYER_PLAIN, "%s: %s", attack_state_name(r->state), r->detail);
	probe_set_transcript(a->p, NULL);
}

bool atk_pick(const struct probe_report *rep, uint16_t lo, uint16_t hi, uint32_t want, uint32_t not,
              uint16_t *version, uint16_t *suites, size_t *n)
{
	for (int v = PV_TLS13; v >= PV_SSL3; v--) {
		const struct probe_version_report *vr = &rep->v[v];
		if (vr->version < lo || vr->version > hi || vr->supported != PROBE_TRI_YES)
			continue;
		size_t k = 0;
		for (size_t i = 0; i < vr->nsuites && k < PROBE_SUITES_PER_HELLO; i++) {
			const struct hello_suite *s = hello_suite_find(vr->suites[i]);
			if (s && !(s->flags & CS_SCSV) && (s->flags & want) == want && !(s->flags & not))
				suites[k++] = vr->suites[i];
		}
		if (k > 0) {
			*version = vr->version;
			*n = k;
			return true;
		}
	}
	return false;
}

bool atk_hello(struct atk *a, struct attack_result *r, const struct hello_opts *h, bool want_flight,
               struct probe_result *res, struct conn *c)
{
	enum probe_outcome o = probe_hello_open(a->p, h, want_flight, res, c);
	if (o == PROBE_HELLO && res->reply.kind == HELLO_SERVER_HELLO && !res->reply.hrr &&
	    res->reply.version == h->version)
		return true;
	if (o == PROBE_HELLO && res->reply.kind == HELLO_SSL2_HELLO && h->version == HELLO_SSL2)
		return true;
	switch (o) {
	case PROBE_SILENT:
		if (++a->silent_hellos >= ATK_SILENT_HELLOS_MAX && !a->stop) {
			a->stop = true;
			snprintf(a->stop_why, sizeof a->stop_why,
			         "the server left %u ClientHellos unanswered", a->silent_hellos);
		}
		atk_set(r, ATK_INCONCLUSIVE, "no answer to the ClientHello: %s", res->detail);
		break;
	case PROBE_THROTTLED:
		atk_set(r, ATK_INCONCLUSIVE, "throttled: %s", res->detail);
		break;
	case PROBE_STOPPED:
		a->stop = true;
		snprintf(a->stop_why, sizeof a->stop_why, "interrupted");
		atk_set(r, ATK_INCONCLUSIVE, "interrupted");
		break;
	case PROBE_HELLO:
		atk_set(r, ATK_ERROR, "the server answered %s to a %s hello with suites it accepted before",
		        res->detail, hello_version_name(h->version));
		break;
	default:
		atk_set(r, ATK_ERROR, "the ClientHello that the probe's facts say it accepts got: %s (%s)",
		        probe_outcome_name(o), res->detail);
		break;
	}
	return false;
}

enum atk_rec atk_next(struct conn *c, int64_t timeout_ms, struct atk_record *rec)
{
	if (rec->body) {
		buf_consume(&c->in, 5 + rec->len);
		rec->body = NULL;
	}
	conn_set_timeout(c, timeout_ms);
	for (;;) {
		const uint8_t *b = c->in.data;
		if (c->in.len >= 1 && (b[0] < 20 || b[0] > 24))
			return ATK_REC_GARBAGE;
		if (c->in.len >= 3 && b[1] != 3)
			return ATK_REC_GARBAGE;
		if (c->in.len >= 5) {
			size_t len = (size_t)b[3] << 8 | b[4];
			if (c->in.len >= 5 + len) {
				rec->type = b[0];
				rec->version = (uint16_t)(b[1] << 8 | b[2]);
				rec->len = len;
				rec->body = b + 5;
				return ATK_REC_OK;
			}
		}
		int rc = conn_fill(c);
		if (rc == CONN_OK)
			continue;
		if (rc == CONN_STOPPED)
			return ATK_REC_STOPPED;
		if (rc == CONN_TIMEOUT)
			return ATK_REC_SILENT;
		return ATK_REC_CLOSED; /* EOF, reset, read error */
	}
}

void atk_describe(enum atk_rec e, const struct atk_record *rec, char *out, size_t outlen)
{
	switch (e) {
	case ATK_REC_OK:
		if (rec->type == 21 && rec->len >= 2) {
			const char *n = hello_alert_name(rec->body[1]);
			snprintf(out, outlen, "%s alert %s(%u)", rec->body[0] == 2 ? "fatal" : "warning",
			         n ? n : "unknown", rec->body[1]);
		} else {
			static const char *const t[] = {"change_cipher_spec", "alert", "handshake",
			                                "application_data", "heartbeat"};
			snprintf(out, outlen, "a %s record of %zu bytes", t[rec->type - 20], rec->len);
		}
		break;
	case ATK_REC_CLOSED: snprintf(out, outlen, "the connection closed"); break;
	case ATK_REC_SILENT: snprintf(out, outlen, "silence until the deadline"); break;
	case ATK_REC_GARBAGE: snprintf(out, outlen, "bytes that are not a TLS record"); break;
	case ATK_REC_STOPPED: snprintf(out, outlen, "interrupted"); break;
	}
}

/* ---- the fact batteries ----------------------------------------------------- */

/* Suites of the versions in vmask (bits of enum probe_vidx) with any of
 * the flags, or whose name says one of the 64-bit block ciphers the flags
 * do not cover (IDEA, RC2): labels into b. */
static size_t facts_suites(const struct probe_report *rep, unsigned vmask, uint32_t any, uint32_t all,
                           bool block64, struct buf *b)
{
	size_t cnt = 0;
	char lab[64];
	for (int v = PV_SSL3; v < PV__COUNT; v++) {
		const struct probe_version_report *vr = &rep->v[v];
		if (!(vmask & (1u << v)) || vr->supported != PROBE_TRI_YES)
			continue;
		for (size_t i = 0; i < vr->nsuites; i++) {
			const struct hello_suite *s = hello_suite_find(vr->suites[i]);
			if (s == NULL || (s->flags & CS_SCSV))
				continue;
			bool name64 = block64 && s->iana && (strstr(s->iana, "_IDEA_") || strstr(s->iana, "_RC2_"));
			if (!name64 && !((s->flags & any) && (s->flags & all) == all))
				continue;
			if (cnt < 6)
				buf_appendf(b, "%s%s %s", cnt ? ", " : "", hello_version_name(vr->version),
				            hello_suite_label(s->id, lab, sizeof lab));
			cnt++;
		}
	}
	if (cnt > 6)
		buf_appendf(b, " and %zu more", cnt - 6);
	return cnt;
}

/* SSLv2 CIPHER-KINDs with any of the flags, names into b. */
static size_t facts_ssl2(const struct probe_report *rep, uint32_t any, struct buf *b)
{
	const struct probe_version_report *vr = &rep->v[PV_SSL2];
	size_t cnt = 0;
	if (vr->supported != PROBE_TRI_YES)
		return 0;
	for (size_t i = 0; i < vr->nssl2; i++) {
		const struct hello_ssl2_kind *k = hello_ssl2_find(vr->ssl2_kinds[i]);
		bool block64 = k && k->name && (strstr(k->name, "IDEA") || strstr(k->name, "RC2"));
		if (k && ((k->flags & any) || (block64 && (any & CS_3DES)))) {
			buf_appendf(b, "%sSSLv2 %s", b->len ? ", " : "", k->openssl ? k->openssl : k->name);
			cnt++;
		}
	}
	return cnt;
}

static bool tested(const struct probe_report *rep, int v)
{
	return rep->v[v].tested && rep->v[v].supported != PROBE_TRI_UNKNOWN;
}

#define VB(v) (1u << (v))
#define TLS_ALL (VB(PV_SSL3) | VB(PV_TLS10) | VB(PV_TLS11) | VB(PV_TLS12) | VB(PV_TLS13))

void attack_facts(const struct probe_report *rep, struct attack_report *out)
{
	struct buf b = {0};
	struct attack_result *r;
	bool all_known = true;
	for (int v = 0; v < PV__COUNT; v++)
		all_known &= tested(rep, v);
	const char *unk = all_known ? "" : " (not every protocol version could be decided)";

	/* POODLE (CVE-2014-3566): SSLv3's CBC padding is not covered by the MAC */
	r = &out->r[ATK_POODLE];
	if (!tested(rep, PV_SSL3)) {
		atk_set(r, ATK_INCONCLUSIVE, "whether SSLv3 is accepted is unknown");
	} else if (rep->v[PV_SSL3].supported != PROBE_TRI_YES) {
		atk_set(r, ATK_NOT_VULNERABLE, "SSLv3 refused (%s)", rep->v[PV_SSL3].why);
	} else if (facts_suites(rep, VB(PV_SSL3), CS_CBC, 0, false, &b) > 0) {
		atk_set(r, ATK_VULNERABLE, "SSLv3 accepted with CBC suites: %s", buf_cstr(&b));
	} else {
		atk_set(r, ATK_NOT_VULNERABLE, "SSLv3 accepted, but no CBC suite with it");
	}
	buf_reset(&b);

	/* SWEET32 (CVE-2016-2183): 64-bit blocks collide after ~2^32 blocks */
	r = &out->r[ATK_SWEET32];
	size_t n64 = facts_suites(rep, TLS_ALL, CS_3DES | CS_DES, 0, true, &b) +
	             facts_ssl2(rep, CS_3DES | CS_DES, &b);
	if (n64 > 0)
		atk_set(r, ATK_VULNERABLE, "64-bit block cipher suites accepted: %s", buf_cstr(&b));
	else
		atk_set(r, all_known ? ATK_NOT_VULNERABLE : ATK_INCONCLUSIVE,
		        "no 3DES, DES, IDEA or RC2 suite accepted%s", unk);
	buf_reset(&b);

	/* FREAK (CVE-2015-0204): RSA_EXPORT key exchange */
	r = &out->r[ATK_FREAK];
	size_t nfreak = facts_suites(rep, TLS_ALL, CS_RSA_KX, CS_EXPORT, false, &b);
	if (nfreak > 0)
		atk_set(r, ATK_VULNERABLE, "export RSA suites accepted: %s", buf_cstr(&b));
	else
		atk_set(r, all_known ? ATK_NOT_VULNERABLE : ATK_INCONCLUSIVE,
		        "no export RSA suite accepted%s", unk);
	buf_reset(&b);

	/* Logjam (CVE-2015-4000): DHE_EXPORT, or any DH group under 1024 bits */
	r = &out->r[ATK_LOGJAM];
	size_t nexp = facts_suites(rep, TLS_ALL, CS_DHE, CS_EXPORT, false, &b);
	if (nexp > 0)
		atk_set(r, ATK_VULNERABLE, "export DHE suites accepted: %s", buf_cstr(&b));
	else if (rep->dh_bits && rep->dh_bits < 1024)
		atk_set(r, ATK_VULNERABLE, "DHE with a %u-bit prime (ServerKeyExchange)",
		        (unsigned)rep->dh_bits);
	else if (rep->dh_bits)
		atk_set(r, ATK_NOT_VULNERABLE, "no export DHE suite; DHE prime %u bits%s",
		        (unsigned)rep->dh_bits,
		        rep->dh_bits == 1024 ? " (1024: within reach of a state-level attacker)" : "");
	else
		atk_set(r, all_known ? ATK_NOT_VULNERABLE : ATK_INCONCLUSIVE,
		        "no export DHE suite and no finite-field DHE accepted%s", unk);
	buf_reset(&b);

	/* DROWN (CVE-2016-0800): SSLv2 on a key also used for TLS; attack_run
	 * refines it with the SSLv2 certificate */
	r = &out->r[ATK_DROWN];
	if (!tested(rep, PV_SSL2))
		atk_set(r, ATK_INCONCLUSIVE, "whether SSLv2 is accepted is unknown");
	else if (rep->v[PV_SSL2].supported == PROBE_TRI_YES)
		atk_set(r, ATK_VULNERABLE, "SSLv2 accepted on this service (%zu cipher kinds)",
		        rep->v[PV_SSL2].nssl2);
	else
		atk_set(r, ATK_NOT_VULNERABLE, "SSLv2 refused on this service (%s); other services "
		        "sharing the key are not visible from here", rep->v[PV_SSL2].why);

	/* LUCKY13 (CVE-2013-0169): a timing side channel of CBC MAC-then-encrypt.
	 * Patched stacks are constant-time; stark states the exposure. */
	r = &out->r[ATK_LUCKY13];
	size_t ncbc = facts_suites(rep, TLS_ALL, CS_CBC, 0, false, &b);
	if (ncbc > 0)
		atk_set(r, ATK_FACT, "CBC suites accepted (%s)%s; the timing oracle itself is not "
		        "measured", buf_cstr(&b),
		        rep->etm == PROBE_TRI_YES ? "; encrypt_then_mac is negotiated (RFC 7366)" : "");
	else
		atk_set(r, all_known ? ATK_NOT_VULNERABLE : ATK_INCONCLUSIVE,
		        "no CBC suite accepted%s", unk);
	buf_reset(&b);

	/* BEAST (CVE-2011-3389): predictable CBC IVs in SSLv3 and TLS 1.0;
	 * clients split records (1/n-1) since 2012 */
	r = &out->r[ATK_BEAST];
	size_t nbeast = facts_suites(rep, VB(PV_SSL3) | VB(PV_TLS10), CS_CBC, 0, false, &b);
	if (nbeast > 0)
		atk_set(r, ATK_FACT, "CBC suites with SSLv3/TLS 1.0: %s%s", buf_cstr(&b),
		        rep->max_version > HELLO_TLS10 ? "; higher versions are offered too" : "");
	else if (!tested(rep, PV_SSL3) || !tested(rep, PV_TLS10))
		atk_set(r, ATK_INCONCLUSIVE, "whether SSLv3/TLS 1.0 are accepted is unknown");
	else
		atk_set(r, ATK_NOT_VULNERABLE, "no CBC suite with SSLv3 or TLS 1.0%s",
		        rep->v[PV_SSL3].supported != PROBE_TRI_YES && rep->v[PV_TLS10].supported != PROBE_TRI_YES
		            ? " (both refused)"
		            : "");
	buf_free(&b);
}

/* DROWN with SSLv2 on: one SSLv2 hello for its certificate, compared with
 * the TLS leaf. SSLv2 stays the finding either way; the detail says
 * whether the key is the TLS one. */
static void drown_cert(struct atk *a)
{
	struct attack_result *r = &a->out->r[ATK_DROWN];
	if (r->state != ATK_VULNERABLE || !atk_begin(a, ATK_DROWN))
		return;
	char base[sizeof r->detail];
	snprintf(base, sizeof base, "%s", r->detail);
	struct hello_opts h;
	hello_opts_init(&h, HELLO_SSL2);
	struct probe_result *res = xmalloc(sizeof *res);
	struct conn c;
	struct wtls_cert *cert = xcalloc(1, sizeof *cert);
	if (!atk_hello(a, r, &h, false, res, &c)) {
		/* the fact stands; the certificate could not be had */
		atk_set(r, ATK_VULNERABLE, "%s; its certificate could not be read (%s)", base,
		        res->detail);
	} else if (res->reply.ncert_der == 0 ||
	           wtls_cert_from_der(c.in.data + res->reply.cert_der[0].off,
	                              res->reply.cert_der[0].len, cert) != 0) {
		atk_set(r, ATK_VULNERABLE, "%s; its SERVER-HELLO carries no readable certificate", base);
	} else {
		const char *tls = a->o && a->o->tls_leaf_sha256 ? a->o->tls_leaf_sha256 : "";
		atk_set(r, ATK_VULNERABLE, "%s with certificate %s (%s)%s", base, cert->subject,
		        cert->sha256,
		        !tls[0] ? ""
		        : strcmp(tls, cert->sha256) == 0 ? ": the same certificate (and key) as TLS"
		                                         : ": another certificate than the TLS one");
	}
	conn_close(&c);
	free(cert);
	free(res);
	atk_end(a, ATK_DROWN);
}

void attack_run(struct probe *p, const struct probe_report *rep, const struct attack_opts *o,
                struct attack_report *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < ATK__COUNT; i++)
		transcript_init(&out->r[i].tr);
	out->ran = true;
	int64_t t0 = mono_ms();
	struct attack_opts none = {0};
	struct atk a = {.p = p, .rep = rep, .o = o ? o : &none, .out = out,
	                .timeout_ms = probe_timeout_ms(p)};
	struct transcript *saved = probe_set_transcript(p, NULL);
	attack_facts(rep, out);
	drown_cert(&a);
	atk_heartbleed(&a);
	atk_ccs(&a);
	atk_ticketbleed(&a);
	atk_robot(&a);
	atk_records(&a);
	probe_set_transcript(p, saved);
	out->wall_ms = mono_ms() - t0;
}

void attack_report_free(struct attack_report *r)
{
	if (r == NULL || !r->ran)
		return;
	for (int i = 0; i < ATK__COUNT; i++)
		transcript_free(&r->r[i].tr);
	memset(r, 0, sizeof *r);
}

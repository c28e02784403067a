/* SPDX-License-Identifier: MIT */
/*
 * attack_records: T-22, malformed records right after the 220 to STARTTLS,
 * one connection each: a record longer than 2^14 + 2048 (sent whole, so
 * the server has everything it needs to decide), a record version whose
 * major is not 3, a valid ClientHello in 64-byte records (legal: RFC 5246
 * 6.2.1), a ClientHello with an application_data record in its middle
 * (RFC 8446 5.1: never interleaved), 200 warning alerts before a
 * ClientHello; then a normal hello on a new connection: the server must
 * still answer. The oracle per case: a fatal alert or a close is a correct
 * refusal, a ServerHello is right only for the legal inputs, silence until
 * the deadline is a hang. Invariants: every read has the probe's deadline;
 * nothing here judges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack_int.h"
#include "hello.h"
#include "util.h"

enum rec_kind {
	RK_MALFORMED,  /* must be refused: fatal alert or close */
	RK_LEGAL,      /* must be answered with a ServerHello */
	RK_TOLERATED,  /* either is right (the alert storm) */
};

static void hdr(struct buf *b, uint8_t type, uint16_t version, size_t len)
{
	uint8_t h[5] = {type, (uint8_t)(version >> 8), (uint8_t)version, (uint8_t)(len >> 8), (uint8_t)len};
	buf_append(b, h, 5);
}

/* Send bytes after the 220 and read the first answer that decides. */
static void rec_case(struct atk *a, enum attack_id id, const struct buf *bytes, enum rec_kind kind,
                     const char *what)
{
	struct attack_result *r = &a->out->r[id];
	if (!atk_begin(a, id))
		return;
	struct conn c;
	struct probe_result *res = xmalloc(sizeof *res);
	if (probe_starttls(a->p, &c, res) != 0) {
		enum probe_outcome o = res->outcome;
		atk_set(r, o == PROBE_THROTTLED || o == PROBE_STOPPED ? ATK_INCONCLUSIVE : ATK_ERROR,
		        "no STARTTLS session to send %s on: %s", what, res->detail);
		if (o == PROBE_STOPPED)
			a->stop = true, snprintf(a->stop_why, sizeof a->stop_why, "interrupted");
		goto out;
	}
	conn_set_timeout(&c, a->timeout_ms);
	bool sent = conn_send(&c, bytes->data, bytes->len) == CONN_OK;
	struct atk_record rec = {0};
	char ans[96];
	enum atk_rec e;
	unsigned warnings = 0;
	for (;;) {
		e = atk_next(&c, a->timeout_ms, &rec);
		/* warning alerts (answers to ours, say) do not decide; a bounded
		 * number of them, the deadline bounds the rest */
		if (e == ATK_REC_OK && rec.type == 21 && rec.len >= 2 && rec.body[0] == 1 && ++warnings < 256)
			continue;
		break;
	}
	atk_describe(e, &rec, ans, sizeof ans);
	bool fatal = e == ATK_REC_OK && rec.type == 21;
	bool hello = e == ATK_REC_OK && rec.type == 22;
	const char *sendnote = sent ? "" : " (it closed while the bytes were still being sent)";
	if (e == ATK_REC_STOPPED) {
		atk_set(r, ATK_INCONCLUSIVE, "interrupted");
		a->stop = true;
		snprintf(a->stop_why, sizeof a->stop_why, "interrupted");
	} else if (e == ATK_REC_SILENT) {
		atk_set(r, ATK_VULNERABLE, "%s: no answer within %lld ms although the server had all "
		        "of it: a hang, where a %s was due", what, (long long)a->timeout_ms,
		        kind == RK_LEGAL ? "ServerHello" : "fatal alert or a close");
	} else if (kind == RK_LEGAL) {
		atk_set(r, hello ? ATK_NOT_VULNERABLE : ATK_DEVIATION, "%s: %s%s%s", what, ans,
		        hello ? " (the ServerHello, as RFC 5246 6.2.1 allows the fragmentation)"
		              : ", where a ServerHello was due (RFC 5246 6.2.1 allows fragmented handshake messages)",
		        sendnote);
	} else if (fatal || e == ATK_REC_CLOSED) {
		atk_set(r, ATK_NOT_VULNERABLE, "%s: %s%s", what, ans, sendnote);
	} else if (hello && kind == RK_TOLERATED) {
		atk_set(r, ATK_NOT_VULNERABLE, "%s: %s (the warnings were ignored)", what, ans);
	} else {
		atk_set(r, ATK_DEVIATION, "%s: %s, where a fatal alert or a close was due", what, ans);
	}
out:
	conn_close(&c);
	free(res);
	atk_end(a, id);
}

void atk_records(struct atk *a)
{
	uint16_t suites[PROBE_SUITES_PER_HELLO], v;
	size_t n;
	if (!atk_pick(a->rep, HELLO_SSL3, HELLO_TLS13, 0, 0, &v, suites, &n)) {
		for (int id = ATK_REC_LENGTH; id <= ATK_STILL_SERVING; id++)
			atk_set(&a->out->r[id], ATK_INCONCLUSIVE,
			        "the probe found no version and suite the server accepts to build a hello from");
		return;
	}
	struct hello_opts h;
	hello_opts_init(&h, v);
	h.suites = suites;
	h.nsuites = n;
	probe_random(h.random, sizeof h.random);
	if (h.session_id_len)
		probe_random(h.session_id, h.session_id_len);
	if (a->o->servername && a->o->servername[0] && v >= HELLO_TLS10) {
		h.sni = a->o->servername;
		h.ext |= HELLO_EXT_SNI;
	}
	uint8_t *ch = xmalloc(HELLO_BUILD_MAX);
	const char *why = NULL;
	ssize_t chlen = hello_build(&h, ch, HELLO_BUILD_MAX, &why);
	if (chlen < 6) {
		for (int id = ATK_REC_LENGTH; id <= ATK_STILL_SERVING; id++)
			atk_set(&a->out->r[id], ATK_ERROR, "cannot build the ClientHello: %s", why);
		free(ch);
		return;
	}
	const uint8_t *msg = ch + 5; /* the handshake message without its record header */
	size_t mlen = (size_t)chlen - 5;
	uint16_t rv = (uint16_t)(ch[1] << 8 | ch[2]);
	struct buf b = {0};

	/* 2^14 + 2048 + 1: over every TLS limit (RFC 5246 6.2.3, RFC 8446 5.2) */
	size_t big = HELLO_RECORD_MAX + 2048 + 1;
	hdr(&b, 22, rv, big);
	buf_append(&b, msg, mlen);
	for (size_t i = mlen; i < big; i++)
		buf_append(&b, "", 1);
	rec_case(a, ATK_REC_LENGTH, &b, RK_MALFORMED, "a handshake record of 18433 bytes (limit 18432)");

	buf_reset(&b);
	buf_append(&b, ch, (size_t)chlen);
	b.data[1] = 0x09, b.data[2] = 0x03;
	rec_case(a, ATK_REC_VERSION, &b, RK_MALFORMED, "a ClientHello in a record of version 0x0903");

	buf_reset(&b);
	for (size_t off = 0; off < mlen; off += 64) {
		size_t k = mlen - off < 64 ? mlen - off : 64;
		hdr(&b, 22, rv, k);
		buf_append(&b, msg + off, k);
	}
	char what[96];
	snprintf(what, sizeof what, "a valid %s ClientHello in %zu records of <= 64 bytes",
	         hello_version_name(v), (mlen + 63) / 64);
	rec_case(a, ATK_REC_FRAGMENTED, &b, RK_LEGAL, what);

	buf_reset(&b);
	size_t first = mlen / 2;
	hdr(&b, 22, rv, first);
	buf_append(&b, msg, first);
	hdr(&b, 23, rv, 16);
	buf_append(&b, "STARK-INTERLEAVE", 16);
	hdr(&b, 22, rv, mlen - first);
	buf_append(&b, msg + first, mlen - first);
	rec_case(a, ATK_REC_INTERLEAVED, &b, RK_MALFORMED,
	         "a ClientHello with an application_data record in its middle");

	buf_reset(&b);
	for (int i = 0; i < 200; i++) {
		hdr(&b, 21, rv, 2);
		buf_append(&b, "\x01\x5a", 2); /* warning user_canceled */
	}
	buf_append(&b, ch, (size_t)chlen);
	rec_case(a, ATK_ALERT_STORM, &b, RK_TOLERATED, "200 warning alerts, then a ClientHello");
	buf_free(&b);
	free(ch);

	/* and afterwards: a normal hello on a new connection */
	struct attack_result *r = &a->out->r[ATK_STILL_SERVING];
	if (!atk_begin(a, ATK_STILL_SERVING))
		return;
	struct probe_result *res = xmalloc(sizeof *res);
	struct conn c;
	enum probe_outcome o = probe_hello_open(a->p, &h, false, res, &c);
	if (o == PROBE_HELLO)
		atk_set(r, ATK_NOT_VULNERABLE, "after the malformed records a normal ClientHello on a new "
		        "connection got %s", res->detail);
	else if (o == PROBE_THROTTLED || o == PROBE_STOPPED)
		atk_set(r, ATK_INCONCLUSIVE, "%s", res->detail);
	else
		atk_set(r, ATK_VULNERABLE, "after the malformed records a normal ClientHello (accepted "
		        "before them) on a new connection got: %s (%s)", probe_outcome_name(o), res->detail);
	conn_close(&c);
	free(res);
	atk_end(a, ATK_STILL_SERVING);
}

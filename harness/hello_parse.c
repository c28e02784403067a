/* SPDX-License-Identifier: MIT */
/*
 * hello_parse: the parser of a server's answer to a raw ClientHello:
 * ServerHello and the rest of a TLS <= 1.2 flight (certificate, key
 * exchange), alerts, SSLv2 SERVER-HELLO / ERROR, garbage. Public:
 * hello_parse. Invariants: pure (no I/O, clock, RNG); never reads past len
 * and checks every length field against its container and RFC limit.
 */
#include "hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ------------------------------------------------------------------ */
/* parser */

static const uint8_t hrr_random[32] = {
	/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3 */
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static enum hello_kind verdict(struct hello_reply *r, enum hello_kind k, const char *why)
{
	r->kind = k;
	r->why = why ? why : "";
	return k;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static enum hello_kind parse_ssl2(const uint8_t *b, size_t len, struct hello_reply *r)
{
	/* 2-byte header form only: servers never used the 3-byte (padded)
	 * form for SERVER-HELLO. Decide on the message type as soon as it is
	 * there, so 8-bit garbage is not mistaken for a long SSLv2 record. */
	if (len >= 3 && b[2] != 4 && b[2] != 0)
		return verdict(r, HELLO_GARBAGE, "neither a TLS record nor an SSLv2 message");
	if (len < 2)
		return verdict(r, HELLO_NEED_MORE, NULL);
	size_t rlen = (size_t)(b[0] & 0x7f) << 8 | b[1];
	/* The message type (third byte) decides which length rule applies:
	 * without it any verdict could change when more bytes arrive. */
	if (len < 3)
		return verdict(r, HELLO_NEED_MORE, NULL);
	if (b[2] == 0) { /* ERROR: msg type + 2-byte code */
		if (rlen != 3)
			return verdict(r, HELLO_MALFORMED, "SSLv2 ERROR message length is not 3");
		if (len < 5)
			return verdict(r, HELLO_NEED_MORE, NULL);
		r->ssl2_error = rd16(b + 3);
		r->consumed = 5;
		return verdict(r, HELLO_SSL2_ERROR, NULL);
	}
	if (rlen < 11)
		return verdict(r, HELLO_MALFORMED, "SSLv2 SERVER-HELLO shorter than its fixed part");
	if (len - 2 < rlen)
		return verdict(r, HELLO_NEED_MORE, NULL);
	const uint8_t *p = b + 2;
	r->ssl2_version = rd16(p + 3);
	size_t certlen = rd16(p + 5), specs = rd16(p + 7), connid = rd16(p + 9);
	if (11 + certlen + specs + connid > rlen)
		return verdict(r, HELLO_MALFORMED, "SSLv2 SERVER-HELLO lengths exceed the record");
	if (specs % 3 != 0)
		return verdict(r, HELLO_MALFORMED, "SSLv2 cipher specs length not a multiple of 3");
	const uint8_t *s = p + 11 + certlen;
	for (size_t i = 0; i < specs / 3 && r->nssl2_kinds < HELLO_SSL2_KINDS_MAX; i++)
		r->ssl2_kinds[r->nssl2_kinds++] = (uint32_t)s[3 * i] << 16 | rd16(s + 3 * i + 1);
	r->cert_bytes = certlen;
	r->cert_count = certlen > 0;
	if (certlen > 0) /* one X.509 certificate, DER (SSLv2 CERTIFICATE-TYPE 1) */
		r->cert_der[r->ncert_der++] = (struct hello_der){2 + 11, certlen};
	r->consumed = 2 + rlen;
	r->flight_done = true;
	return verdict(r, HELLO_SSL2_HELLO, NULL);
}

static const char *parse_extensions(const uint8_t *p, size_t n, struct hello_reply *r)
{
	uint16_t sv = 0;
	bool have_sv = false;
	while (n > 0) {
		if (n < 4)
			return "ServerHello extension header truncated";
		uint16_t type = rd16(p), elen = rd16(p + 2);
		p += 4;
		n -= 4;
		if (elen > n)
			return "ServerHello extension longer than the extensions block";
		for (size_t i = 0; i < r->nexts; i++)
			if (r->exts[i] == type)
				r->anomalies |= HELLO_A_DUP_EXT;
		if (r->nexts < HELLO_EXTS_MAX)
			r->exts[r->nexts++] = type;
		switch (type) {
		case HELLO_EXT_TYPE_SUPPORTED_VERSIONS:
			if (elen != 2) /* RFC 8446 4.2.1: selected_version only */
				return "supported_versions in ServerHello is not 2 bytes";
			sv = rd16(p);
			have_sv = true;
			break;
		case HELLO_EXT_TYPE_KEY_SHARE:
			if (elen < 2)
				return "key_share in ServerHello too short";
			r->key_share_group = rd16(p);
			if (elen > 2) { /* ServerHello: KeyShareEntry; HRR: the group only */
				if (elen < 4 || (size_t)rd16(p + 2) != (size_t)elen - 4)
					return "key_share entry length does not match";
			}
			break;
		case HELLO_EXT_TYPE_RENEGOTIATION_INFO:
			if (elen < 1 || p[0] != elen - 1)
				return "renegotiation_info length does not match (RFC 5746 3.2)";
			if (p[0] != 0)
				r->anomalies |= HELLO_A_RENEG_NONEMPTY;
			r->ext_reneg = true;
			break;
		case HELLO_EXT_TYPE_EXTENDED_MASTER_SECRET:
			if (elen != 0)
				r->anomalies |= HELLO_A_EMS_NONEMPTY;
			r->ext_ems = true;
			break;
		case HELLO_EXT_TYPE_SESSION_TICKET: r->ext_ticket = true; break;
		case HELLO_EXT_TYPE_STATUS_REQUEST: r->ext_status = true; break;
		case HELLO_EXT_TYPE_ENCRYPT_THEN_MAC: r->ext_etm = true; break;
		default: break;
		}
		p += elen;
		n -= elen;
	}
	if (have_sv)
		r->version = sv;
	return NULL;
}

/* ServerHello body (RFC 5246 7.4.1.3, RFC 8446 4.1.3). NULL or a reason. */
static const char *parse_server_hello(const uint8_t *p, size_t n, struct hello_reply *r)
{
	if (n < 2 + 32 + 1)
		return "ServerHello truncated";
	r->legacy_version = r->version = rd16(p);
	memcpy(r->random, p + 2, 32);
	r->hrr = memcmp(r->random, hrr_random, 32) == 0;
	static const uint8_t dg[7] = {'D', 'O', 'W', 'N', 'G', 'R', 'D'};
	r->downgrade_sentinel = memcmp(r->random + 24, dg, 7) == 0 && r->random[31] <= 1;
	size_t sid = p[34];
	if (sid > 32)
		return "ServerHello session id longer than 32 bytes";
	size_t off = 35;
	if (n - off < sid + 3)
		return "ServerHello truncated";
	memcpy(r->session_id, p + off, sid);
	r->session_id_len = (uint8_t)sid;
	off += sid;
	r->cipher = rd16(p + off);
	r->compression = p[off + 2];
	off += 3;
	if (off == n)
		return NULL; /* no extensions (SSLv3 style) */
	if (n - off < 2)
		return "ServerHello has one stray byte after the compression method";
	size_t elen = rd16(p + off);
	off += 2;
	if (elen != n - off)
		return "ServerHello extensions length does not match the message";
	r->has_extensions = true;
	return parse_extensions(p + off, elen, r);
}

/* Certificate (RFC 5246 7.4.2): count the entries, check every length.
 * base: the offset of p in the handshake stream; cert_der gets offsets in
 * that stream (hello_parse maps them to the input). */
static bool parse_certificate(const uint8_t *p, size_t n, size_t base, struct hello_reply *r)
{
	r->cert_bytes = n;
	if (n < 3 || rd24(p) != n - 3)
		return false;
	size_t off = 3;
	while (off < n) {
		if (n - off < 3)
			return false;
		size_t cl = rd24(p + off);
		off += 3;
		if (cl == 0 || cl > n - off)
			return false;
		if (r->ncert_der < HELLO_CERTS_MAX)
			r->cert_der[r->ncert_der++] = (struct hello_der){base + off, cl};
		off += cl;
		r->cert_count++;
	}
	return true;
}

/* Skip a vector with an n-byte length prefix; false if it does not fit. */
static bool skipvec(const uint8_t *p, size_t n, size_t *off, size_t lenbytes, size_t *vlen)
{
	if (n - *off < lenbytes)
		return false;
	size_t v = lenbytes == 1 ? p[*off] : rd16(p + *off);
	*off += lenbytes;
	if (v > n - *off)
		return false;
	if (vlen)
		*vlen = v;
	*off += v;
	return true;
}

/* ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4, RFC 4279/5489 for PSK).
 * Which layout applies depends on the negotiated suite. */
static bool parse_ske(const uint8_t *p, size_t n, struct hello_reply *r)
{
	const struct hello_suite *s = hello_suite_find(r->cipher);
	if (s == NULL || !(s->flags & (CS_ECDHE | CS_DHE)))
		return true; /* RSA-export, SRP, PSK-only: nothing we report */
	size_t off = 0;
	if (s->flags & CS_PSK) {
		if (!skipvec(p, n, &off, 2, NULL)) /* psk_identity_hint */
			return false;
	}
	if (s->flags & CS_ECDHE) {
		if (n - off < 1)
			return false;
		uint8_t ct = p[off++];
		if (ct == 3) { /* named_curve */
			if (n - off < 2)
				return false;
			r->ske_group = rd16(p + off);
			off += 2;
		} else {
			/* explicit curves (RFC 8422 deprecates them): name the class and stop */
			r->ske_group = ct == 1 ? 0xFF01 : 0xFF02;
			r->ske = true;
			return true;
		}
		if (!skipvec(p, n, &off, 1, NULL)) /* ECPoint */
			return false;
	} else {
		size_t plen, start = off;
		if (!skipvec(p, n, &off, 2, &plen))
			return false;
		const uint8_t *pp = p + start + 2;
		while (plen > 0 && *pp == 0) { /* tolerate leading zeros, count real bits */
			pp++;
			plen--;
		}
		unsigned bits = (unsigned)(plen * 8);
		if (plen > 0)
			for (uint8_t top = pp[0]; !(top & 0x80); top <<= 1)
				bits--;
		r->ske_dh_bits = bits > 65535 ? 65535 : (uint16_t)bits;
		if (!skipvec(p, n, &off, 2, NULL) || !skipvec(p, n, &off, 2, NULL)) /* g, Ys */
			return false;
	}
	if (!(s->flags & (CS_ANON | CS_PSK))) {
		/* digitally-signed: TLS 1.2 carries the scheme first (7.4.1.4.1) */
		if (r->version >= HELLO_TLS12) {
			if (n - off < 2)
				return false;
			r->ske_sigalg = rd16(p + off);
			off += 2;
		}
		if (!skipvec(p, n, &off, 2, NULL))
			return false;
	}
	if (off != n)
		return false;
	r->ske = true;
	return true;
}

/* The rest of a TLS <= 1.2 flight after the ServerHello. */
static void parse_flight(const uint8_t *hs, size_t hslen, size_t off, struct hello_reply *r)
{
	while (!r->flight_done) {
		if (hslen - off < 4)
			return;
		uint8_t type = hs[off];
		size_t mlen = rd24(hs + off + 1);
		if (mlen > hslen - off - 4)
			return; /* incomplete: read more */
		const uint8_t *m = hs + off + 4;
		off += 4 + mlen;
		bool ok = true;
		switch (type) {
		case 11:
			ok = parse_certificate(m, mlen, off - mlen, r);
			if (!ok)
				r->ncert_der = 0; /* no DER from a message that breaks its grammar */
			break;
		case 12: ok = parse_ske(m, mlen, r); break;
		case 13: r->cert_request = true; break;
		case 14: r->flight_done = true; break; /* ServerHelloDone */
		case 22: r->cert_status = true; break; /* CertificateStatus (RFC 6066 8) */
		default: r->anomalies |= HELLO_A_UNEXPECTED_MSG; break;
		}
		if (!ok) {
			/* the ServerHello stands; what follows it is unusable */
			r->anomalies |= HELLO_A_SKE_BAD;
			r->flight_done = true;
		}
	}
}

/* The offset in buf of n bytes at hs_off of the handshake stream (the
 * payloads of the handshake records, in order), if they lie whole inside
 * one record. Walks the records as hello_parse gathered them. */
static bool stream_to_input(const uint8_t *buf, size_t len, size_t hs_off, size_t n, size_t *out)
{
	size_t pos = 0, acc = 0;
	while (len - pos >= 5) {
		size_t rlen = rd16(buf + pos + 3);
		if (len - pos - 5 < rlen)
			return false;
		if (buf[pos] == 22) {
			if (hs_off < acc + rlen) {
				if (n > acc + rlen - hs_off)
					return false; /* continues in the next record */
				*out = pos + 5 + (hs_off - acc);
				return true;
			}
			acc += rlen;
		}
		pos += 5 + rlen;
	}
	return false;
}

/* cert_der: from stream offsets to input offsets; a split entry ends the list. */
static void map_cert_der(const uint8_t *buf, size_t len, struct hello_reply *r)
{
	size_t k = 0;
	while (k < r->ncert_der &&
	       stream_to_input(buf, len, r->cert_der[k].off, r->cert_der[k].len, &r->cert_der[k].off))
		k++;
	for (size_t i = k; i < r->ncert_der; i++)
		r->cert_der[i] = (struct hello_der){0, 0};
	r->ncert_der = k;
}

enum hello_kind hello_parse(const uint8_t *buf, size_t len, struct hello_reply *r)
{
	memset(r, 0, sizeof *r);
	r->why = "";
	if (len == 0)
		return verdict(r, HELLO_NEED_MORE, NULL);
	if (buf[0] & 0x80)
		return parse_ssl2(buf, len, r);
	if (buf[0] < 20 || buf[0] > 24 || (len >= 2 && buf[1] != 3) || (len >= 3 && buf[2] > 4))
		return verdict(r, HELLO_GARBAGE, buf[0] >= 0x20 && buf[0] < 0x7f
		                                     ? "plaintext instead of a TLS record"
		                                     : "not a TLS record");

	/* Walk complete records; gather the handshake stream. */
	const uint8_t *hs = NULL; /* the handshake bytes, contiguous */
	uint8_t *scratch = NULL;  /* only when they span records */
	size_t hslen = 0, hsrecs = 0, pos = 0;
	bool ended = false;       /* a non-handshake record ends the flight */
	bool alert_after = false;
	while (!ended && len - pos >= 5) {
		const uint8_t *h = buf + pos;
		uint8_t type = h[0];
		size_t rlen = rd16(h + 3);
		if (type < 20 || type > 24 || h[1] != 3 || h[2] > 4) {
			if (hslen == 0) {
				free(scratch);
				return verdict(r, HELLO_MALFORMED, "bad record header after the first record");
			}
			/* not TLS any more: the flight ends here */
			r->anomalies |= HELLO_A_UNEXPECTED_MSG;
			ended = true;
			break;
		}
		if (pos == 0)
			r->record_version = rd16(h + 1);
		else if (rd16(h + 1) != r->record_version && type == 22)
			r->anomalies |= HELLO_A_RECORD_VERSION;
		/* RFC 8446 5.1 / RFC 5246 6.2.1: plaintext fragments are at most 2^14 */
		if (rlen > HELLO_RECORD_MAX && (type == 21 || type == 22)) {
			free(scratch);
			return verdict(r, HELLO_MALFORMED, "record longer than 2^14 bytes (record_overflow)");
		}
		if (len - pos - 5 < rlen)
			break; /* incomplete record */
		const uint8_t *pl = h + 5;
		switch (type) {
		case 21: /* alert */
			if (rlen < 2 || rlen % 2 != 0) {
				free(scratch);
				return verdict(r, HELLO_MALFORMED, "alert record is not a sequence of 2-byte alerts");
			}
			r->alert_level = pl[0];
			r->alert_desc = pl[1];
			if (hslen == 0) {
				r->consumed = pos + 5 + rlen;
				free(scratch);
				return verdict(r, HELLO_ALERT, NULL);
			}
			alert_after = true;
			ended = true;
			break;
		case 22: /* handshake */
			if (rlen == 0) {
				r->anomalies |= HELLO_A_EMPTY_RECORD;
				break;
			}
			if (hsrecs == 0) {
				hs = pl;
			} else {
				if (scratch == NULL) {
					scratch = xmalloc(len); /* the stream is never longer than the input */
					memcpy(scratch, hs, hslen);
					hs = scratch;
				}
				memcpy(scratch + hslen, pl, rlen);
			}
			hslen += rlen;
			hsrecs++;
			break;
		default: /* change_cipher_spec, application_data, heartbeat */
			if (hslen == 0) {
				free(scratch);
				return verdict(r, HELLO_MALFORMED, "first record is neither handshake nor alert");
			}
			ended = true;
			break;
		}
		pos += 5 + rlen;
	}
	r->consumed = pos;

	enum hello_kind k = HELLO_NEED_MORE;
	const char *why = NULL;
	size_t off = 0;
	/* A HelloRequest (type 0, empty) may precede; RFC 5246 7.4.1.1 says ignore it. */
	while (hslen - off >= 4 && hs[off] == 0 && rd24(hs + off + 1) == 0) {
		r->anomalies |= HELLO_A_UNEXPECTED_MSG;
		off += 4;
	}
	if (hslen - off >= 4) {
		size_t mlen = rd24(hs + off + 1);
		if (hs[off] != 2) {
			k = HELLO_MALFORMED;
			why = "first handshake message is not a ServerHello";
		} else if (mlen > hslen - off - 4) {
			/* incomplete ServerHello */
			if (ended) {
				k = alert_after ? HELLO_ALERT : HELLO_MALFORMED;
				why = alert_after ? NULL : "ServerHello cut short by another record";
			}
		} else if ((why = parse_server_hello(hs + off + 4, mlen, r)) != NULL) {
			k = HELLO_MALFORMED;
		} else {
			k = HELLO_SERVER_HELLO;
			if (r->hrr || r->version >= HELLO_TLS13)
				r->flight_done = true; /* the rest is encrypted (RFC 8446 2) */
			else
				parse_flight(hs, hslen, off + 4 + mlen, r);
			map_cert_der(buf, len, r);
			if (ended)
				r->flight_done = true;
			if (alert_after)
				r->anomalies |= HELLO_A_LATE_ALERT;
		}
	} else if (ended) {
		k = alert_after ? HELLO_ALERT : HELLO_MALFORMED;
		why = alert_after ? NULL : "handshake stream cut short by another record";
	}
	free(scratch);
	return verdict(r, k, why);
}

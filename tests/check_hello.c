/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hello: golden ClientHello bytes (TLS 1.2 bare and with
 * extensions, SSLv2, SSLv3), every hello re-parsed by a small independent
 * parser that checks each length field, builder errors, the suite/group/
 * sigalg tables, the reply parser on hand-made answers (partial, fragmented,
 * alerts, garbage, malformed, HRR, SSLv2, a whole TLS 1.2 flight, seeded
 * mutations under the sanitizers) and on real answers of a wolfSSL server
 * over socketpair(2).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cert.h"
#include "hello.h"
#include "util.h"
#include "support.h"
#include "wtls.h"

/* ------------------------------------------------------------------ */
/* a tiny byte builder for hand-made server answers */

struct tb {
	uint8_t b[16384];
	size_t n;
};

static void tb_u8(struct tb *t, unsigned v)
{
	ck_assert_uint_lt(t->n, sizeof t->b);
	t->b[t->n++] = (uint8_t)v;
}

static void tb_u16(struct tb *t, unsigned v)
{
	tb_u8(t, v >> 8);
	tb_u8(t, v);
}

static void tb_u24(struct tb *t, unsigned v)
{
	tb_u8(t, v >> 16);
	tb_u16(t, v & 0xffff);
}

static void tb_mem(struct tb *t, const void *p, size_t n)
{
	if (n == 0)
		return;
	ck_assert_uint_le(t->n + n, sizeof t->b);
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_fill(struct tb *t, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tb_u8(t, v);
}

/* Wrap payload as one record of `type`. */
static void tb_record(struct tb *out, uint8_t type, uint16_t ver, const uint8_t *p, size_t n)
{
	tb_u8(out, type);
	tb_u16(out, ver);
	tb_u16(out, (unsigned)n);
	tb_mem(out, p, n);
}

/* A handshake message: type, 24-bit length, body. */
static void tb_hs(struct tb *out, uint8_t type, const struct tb *body)
{
	tb_u8(out, type);
	tb_u24(out, (unsigned)body->n);
	tb_mem(out, body->b, body->n);
}

/* ServerHello body for TLS 1.2 with renegotiation_info and EMS. */
static void sh_body_12(struct tb *b, uint16_t cipher, bool exts)
{
	b->n = 0;
	tb_u16(b, 0x0303);
	tb_fill(b, 0x11, 32);
	tb_u8(b, 32);
	tb_fill(b, 0x22, 32);
	tb_u16(b, cipher);
	tb_u8(b, 0);
	if (exts) {
		tb_u16(b, 9);
		tb_u16(b, 0xff01), tb_u16(b, 1), tb_u8(b, 0);
		tb_u16(b, 23), tb_u16(b, 0);
	}
}

static void make_sh12(struct tb *out, uint16_t cipher)
{
	struct tb body = {0}, hs = {0};
	sh_body_12(&body, cipher, true);
	tb_hs(&hs, 2, &body);
	out->n = 0;
	tb_record(out, 22, 0x0303, hs.b, hs.n);
}

/* ------------------------------------------------------------------ */
/* an independent ClientHello reader: every length checked */

struct ch {
	uint16_t rec_version, legacy_version;
	size_t nsuites;
	uint16_t suites[512];
	size_t ncomp;
	uint8_t comp[8];
	size_t nexts;
	uint16_t ext_type[32];
	const uint8_t *ext_data[32];
	size_t ext_len[32];
	size_t hs_len; /* handshake message length incl. its 4-byte header */
};

static size_t be(const uint8_t *p, size_t n)
{
	size_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void read_ch(const uint8_t *b, size_t len, struct ch *c)
{
	memset(c, 0, sizeof *c);
	ck_assert_uint_ge(len, 9);
	ck_assert_uint_eq(b[0], 22);
	c->rec_version = (uint16_t)be(b + 1, 2);
	ck_assert_uint_eq(be(b + 3, 2), len - 5);          /* record length */
	ck_assert_uint_le(len - 5, 16384);
	ck_assert_uint_eq(b[5], 1);                        /* client_hello */
	ck_assert_uint_eq(be(b + 6, 3), len - 9);          /* handshake length */
	c->hs_len = len - 5;
	const uint8_t *p = b + 9, *end = b + len;
	c->legacy_version = (uint16_t)be(p, 2);
	p += 2 + 32;
	ck_assert_uint_le(*p, 32);
	p += 1 + *p;
	size_t sl = be(p, 2);
	ck_assert_uint_eq(sl % 2, 0);
	p += 2;
	ck_assert(p + sl <= end);
	for (size_t i = 0; i < sl / 2; i++)
		c->suites[c->nsuites++] = (uint16_t)be(p + 2 * i, 2);
	p += sl;
	c->ncomp = *p++;
	ck_assert_uint_ge(c->ncomp, 1);
	memcpy(c->comp, p, c->ncomp);
	p += c->ncomp;
	if (p == end)
		return;
	size_t el = be(p, 2);
	p += 2;
	ck_assert_ptr_eq(p + el, end); /* the extensions fill the message exactly */
	while (p < end) {
		ck_assert(p + 4 <= end);
		size_t l = be(p + 2, 2);
		ck_assert(p + 4 + l <= end);
		ck_assert_uint_lt(c->nexts, 32);
		c->ext_type[c->nexts] = (uint16_t)be(p, 2);
		c->ext_data[c->nexts] = p + 4;
		c->ext_len[c->nexts++] = l;
		p += 4 + l;
	}
}

static int ch_ext(const struct ch *c, uint16_t type)
{
	for (size_t i = 0; i < c->nexts; i++)
		if (c->ext_type[i] == type)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* builder: golden bytes */

static void seq_random(struct hello_opts *o)
{
	for (int i = 0; i < 32; i++)
		o->random[i] = (uint8_t)i;
}

START_TEST(build_tls12_bare_golden)
{
	static const uint16_t suites[] = {0xC02B, 0xC02F};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, 2);
	o.ext = 0;
	seq_random(&o);
	uint8_t out[256];
	const char *why;
	ssize_t n = hello_build(&o, out, sizeof out, &why);
	/* record(5) + handshake header(4) + version(2) random(32) sid(1)
	 * suites(2+4) compression(2) = 52 */
	static const uint8_t want[] = {
		0x16, 0x03, 0x01, 0x00, 0x2f,             /* handshake record, 47 bytes */
		0x01, 0x00, 0x00, 0x2b,                   /* client_hello, 43 bytes */
		0x03, 0x03,                               /* TLS 1.2 */
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		0x00,                                     /* no session id */
		0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f,       /* two suites */
		0x01, 0x00,                               /* null compression */
	};
	ck_assert_int_eq(n, (ssize_t)sizeof want);
	ck_assert_mem_eq(out, want, sizeof want);
}
END_TEST

START_TEST(build_tls12_ext_golden)
{
	static const uint16_t suites[] = {0xC027, HELLO_CS_FALLBACK_SCSV};
	static const uint8_t comp[] = {1, 0};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, 2);
	o.compression = comp;
	o.ncompression = 2;
	o.ext = HELLO_EXT_RENEG | HELLO_EXT_EMS | HELLO_EXT_SNI;
	o.sni = "mx.test";
	seq_random(&o);
	uint8_t out[256];
	ssize_t n = hello_build(&o, out, sizeof out, NULL);
	static const uint8_t want[] = {
		0x16, 0x03, 0x01, 0x00, 0x4b,             /* 75 */
		0x01, 0x00, 0x00, 0x47,                   /* 71 */
		0x03, 0x03,
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		0x00,
		0x00, 0x04, 0xc0, 0x27, 0x56, 0x00,       /* ECDHE-RSA-AES128-SHA256, FALLBACK_SCSV */
		0x02, 0x01, 0x00,                         /* DEFLATE, null */
		0x00, 0x19,                               /* 25 bytes of extensions */
		0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07, 'm', 'x', '.', 't', 'e', 's', 't',
		0x00, 0x17, 0x00, 0x00,                   /* extended_master_secret */
		0xff, 0x01, 0x00, 0x01, 0x00,             /* renegotiation_info, empty */
	};
	ck_assert_int_eq(n, (ssize_t)sizeof want);
	ck_assert_mem_eq(out, want, sizeof want);
	struct ch c;
	read_ch(out, (size_t)n, &c);
	ck_assert_uint_eq(c.ncomp, 2);
	ck_assert_int_eq(ch_ext(&c, 0xff01), 2);
}
END_TEST

START_TEST(build_ssl2_golden)
{
	static const uint32_t kinds[] = {0x010080, 0x0700C0};
	struct hello_opts o;
	hello_opts_init(&o, HELLO_SSL2);
	o.ssl2_kinds = kinds;
	o.nssl2_kinds = 2;
	seq_random(&o);
	uint8_t out[128];
	ssize_t n = hello_build(&o, out, sizeof out, NULL);
	static const uint8_t want[] = {
		0x80, 0x1f,                   /* 2-byte header, 31 bytes */
		0x01, 0x00, 0x02,             /* CLIENT-HELLO, version 2 */
		0x00, 0x06, 0x00, 0x00, 0x00, 0x10,
		0x01, 0x00, 0x80, 0x07, 0x00, 0xc0,
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	};
	ck_assert_int_eq(n, (ssize_t)sizeof want);
	ck_assert_mem_eq(out, want, sizeof want);

	/* default kinds: all eight, then TLS suites as 0x00XXXX (RFC 5246 E.2) */
	static const uint16_t suites[] = {0x002F};
	hello_opts_init(&o, HELLO_SSL2);
	o.legacy_version = 0x0301;
	o.suites = suites;
	o.nsuites = 1;
	n = hello_build(&o, out, sizeof out, NULL);
	ck_assert_int_eq(n, 2 + 9 + 3 * 9 + 16);
	ck_assert_uint_eq(out[3], 0x03);
	ck_assert_uint_eq(out[4], 0x01);
	ck_assert_mem_eq(out + 11 + 3 * 8, "\x00\x00\x2f", 3);
}
END_TEST

START_TEST(build_ssl3_no_extensions)
{
	static const uint16_t suites[] = {0x000A, 0x002F, HELLO_CS_EMPTY_RENEGOTIATION_INFO_SCSV};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_SSL3, suites, 3);
	uint8_t out[256];
	ssize_t n = hello_build(&o, out, sizeof out, NULL);
	ck_assert_int_gt(n, 0);
	struct ch c;
	read_ch(out, (size_t)n, &c);
	ck_assert_uint_eq(c.rec_version, 0x0300);
	ck_assert_uint_eq(c.legacy_version, 0x0300);
	ck_assert_uint_eq(c.nexts, 0);
	ck_assert_uint_eq(c.nsuites, 3);
	ck_assert_uint_eq(c.suites[2], 0x00FF);
}
END_TEST

START_TEST(build_tls13_structure)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
	static const uint16_t groups[] = {29, 23, 24, 25, 30, 256};
	static const uint16_t shares[] = {29, 23, 24, 25, 30, 256};
	static const size_t share_len[] = {32, 65, 97, 133, 56, 256};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS13, suites, 3);
	o.groups = groups;
	o.ngroups = 6;
	o.shares = shares;
	o.nshares = 6;
	o.sni = "mail.example.org";
	o.ext |= HELLO_EXT_SNI;
	uint8_t out[HELLO_BUILD_MAX];
	ssize_t n = hello_build(&o, out, sizeof out, NULL);
	ck_assert_int_gt(n, 0);
	struct ch c;
	read_ch(out, (size_t)n, &c);
	ck_assert_uint_eq(c.rec_version, 0x0301);
	ck_assert_uint_eq(c.legacy_version, 0x0303); /* RFC 8446 4.1.2 */
	ck_assert_uint_eq(c.ncomp, 1);
	ck_assert_uint_eq(c.comp[0], 0);
	ck_assert_uint_eq(out[9 + 2 + 32], 32);      /* legacy_session_id, D.4 */

	int i = ch_ext(&c, HELLO_EXT_TYPE_SUPPORTED_VERSIONS);
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(c.ext_len[i], 3);
	ck_assert_mem_eq(c.ext_data[i], "\x02\x03\x04", 3);

	i = ch_ext(&c, HELLO_EXT_TYPE_KEY_SHARE);
	ck_assert_int_ge(i, 0);
	const uint8_t *p = c.ext_data[i];
	size_t l = be(p, 2);
	ck_assert_uint_eq(l, c.ext_len[i] - 2);
	p += 2;
	for (size_t k = 0; k < 6; k++) {
		ck_assert_uint_eq(be(p, 2), shares[k]);
		ck_assert_uint_eq(be(p + 2, 2), share_len[k]);
		if (shares[k] == 23 || shares[k] == 24 || shares[k] == 25)
			ck_assert_uint_eq(p[4], 0x04); /* uncompressed point */
		if (shares[k] == 256)
			ck_assert_uint_eq(p[4 + 255], 2);
		p += 4 + share_len[k];
	}
	ck_assert_ptr_eq(p, c.ext_data[i] + c.ext_len[i]);

	i = ch_ext(&c, HELLO_EXT_TYPE_SERVER_NAME);
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(be(c.ext_data[i], 2), c.ext_len[i] - 2);
	ck_assert_uint_eq(be(c.ext_data[i] + 3, 2), strlen("mail.example.org"));

	i = ch_ext(&c, HELLO_EXT_TYPE_SUPPORTED_GROUPS);
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(be(c.ext_data[i], 2), 12);
	/* TLS 1.2-only machinery is left out of a 1.3-only hello */
	ck_assert_int_lt(ch_ext(&c, HELLO_EXT_TYPE_RENEGOTIATION_INFO), 0);
	ck_assert_int_ge(ch_ext(&c, HELLO_EXT_TYPE_SIGNATURE_ALGORITHMS), 0);
	ck_assert_int_ge(ch_ext(&c, HELLO_EXT_TYPE_PSK_KEY_EXCHANGE_MODES), 0);

	/* default share: the first of x25519 / secp256r1 among the groups */
	static const uint16_t g2[] = {24, 23, 29};
	o.groups = g2;
	o.ngroups = 3;
	o.shares = NULL;
	n = hello_build(&o, out, sizeof out, NULL);
	read_ch(out, (size_t)n, &c);
	i = ch_ext(&c, HELLO_EXT_TYPE_KEY_SHARE);
	ck_assert_uint_eq(be(c.ext_data[i] + 2, 2), 23);
	/* explicit empty list: asks for a HelloRetryRequest */
	o.shares = g2;
	o.nshares = 0;
	n = hello_build(&o, out, sizeof out, NULL);
	read_ch(out, (size_t)n, &c);
	i = ch_ext(&c, HELLO_EXT_TYPE_KEY_SHARE);
	ck_assert_uint_eq(c.ext_len[i], 2);
	ck_assert_uint_eq(be(c.ext_data[i], 2), 0);
}
END_TEST

START_TEST(build_every_version_reparses)
{
	static const uint16_t versions[] = {HELLO_SSL3, HELLO_TLS10, HELLO_TLS11, HELLO_TLS12, HELLO_TLS13};
	size_t n;
	const struct hello_suite *t = hello_suites(&n);
	uint16_t all[512];
	size_t na = 0;
	for (size_t i = 0; i < n && na < 150; i++)
		all[na++] = t[i].id;
	for (size_t v = 0; v < 5; v++) {
		struct hello_opts o;
		hello_opts_init(&o, versions[v]);
		o.suites = all;
		o.nsuites = na;
		o.ext |= HELLO_EXT_ETM | HELLO_EXT_PADDING;
		uint8_t out[HELLO_BUILD_MAX];
		ssize_t len = hello_build(&o, out, sizeof out, NULL);
		ck_assert_int_gt(len, 0);
		struct ch c;
		read_ch(out, (size_t)len, &c);
		ck_assert_uint_eq(c.nsuites, na);
		if (versions[v] >= HELLO_TLS10) {
			ck_assert_int_ge(ch_ext(&c, HELLO_EXT_TYPE_STATUS_REQUEST), 0);
			ck_assert_int_eq(ch_ext(&c, HELLO_EXT_TYPE_SIGNATURE_ALGORITHMS) >= 0,
			                 versions[v] >= HELLO_TLS12); /* RFC 5246 7.4.1.4.1 */
		}
	}
}
END_TEST

START_TEST(build_padding)
{
	static const uint16_t suites[] = {0xC02F, 0xC030, 0x009E};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, 3);
	o.ext |= HELLO_EXT_PADDING;
	uint8_t out[2048];
	ssize_t n = hello_build(&o, out, sizeof out, NULL);
	struct ch c;
	read_ch(out, (size_t)n, &c);
	ck_assert_uint_eq(c.hs_len, 512); /* RFC 7685: past the 256..511 hole */
	int i = ch_ext(&c, HELLO_EXT_TYPE_PADDING);
	ck_assert_int_eq(i, (int)c.nexts - 1);
	o.pad_to = 700;
	n = hello_build(&o, out, sizeof out, NULL);
	read_ch(out, (size_t)n, &c);
	ck_assert_uint_eq(c.hs_len, 700);
}
END_TEST

/* The attack batteries' extensions: heartbeat (peer_allowed_to_send) and a
 * session ticket with content (Ticketbleed presents a real one). */
START_TEST(build_heartbeat_and_ticket)
{
	static const uint16_t suites[] = {0xC02F};
	static const uint8_t ticket[] = {1, 2, 3, 4, 5, 6, 7};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, 1);
	o.ext |= HELLO_EXT_HEARTBEAT;
	o.ticket = ticket;
	o.ticket_len = sizeof ticket;
	uint8_t out[2048];
	ssize_t n = hello_build(&o, out, sizeof out, NULL);
	ck_assert_int_gt(n, 0);
	struct ch c;
	read_ch(out, (size_t)n, &c);
	int i = ch_ext(&c, HELLO_EXT_TYPE_HEARTBEAT);
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(c.ext_len[i], 1);
	ck_assert_uint_eq(c.ext_data[i][0], 1);
	i = ch_ext(&c, HELLO_EXT_TYPE_SESSION_TICKET);
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(c.ext_len[i], sizeof ticket);
	ck_assert_mem_eq(c.ext_data[i], ticket, sizeof ticket);
}
END_TEST

START_TEST(build_errors)
{
	static const uint16_t one[] = {0x002F};
	struct hello_opts o;
	uint8_t out[HELLO_BUILD_MAX];
	const char *why = NULL;
	hello_opts_init(&o, HELLO_TLS12);
	ck_assert_int_eq(hello_build(&o, out, sizeof out, &why), -1); /* no suites */
	ck_assert_str_eq(why, "no cipher suites");
	o.suites = one;
	o.nsuites = 1;
	ck_assert_int_eq(hello_build(&o, out, 40, &why), -1);        /* buffer too small */
	for (size_t cap = 0; cap < 60; cap++)                          /* never writes past cap */
		ck_assert_int_eq(hello_build(&o, out, cap, NULL), -1);
	o.session_id_len = 33;
	ck_assert_int_eq(hello_build(&o, out, sizeof out, &why), -1);
	o.session_id_len = 0;
	o.version = 0x0305;
	ck_assert_int_eq(hello_build(&o, out, sizeof out, &why), -1);
	support_hello_opts(&o, HELLO_TLS13, one, 1);
	static const uint16_t bad_share[] = {26}; /* brainpool: no encoding here */
	o.shares = bad_share;
	o.nshares = 1;
	ck_assert_int_eq(hello_build(&o, out, sizeof out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "key share"));
	/* more than one record's worth */
	uint16_t *many = xcalloc(HELLO_SUITES_MAX, sizeof *many);
	static uint16_t groups[9000];
	support_hello_opts(&o, HELLO_TLS12, many, HELLO_SUITES_MAX);
	o.groups = groups;
	o.ngroups = 9000;
	ck_assert_int_eq(hello_build(&o, out, sizeof out, &why), -1);
	o.nsuites = HELLO_SUITES_MAX + 1;
	ck_assert_int_eq(hello_build(&o, out, sizeof out, &why), -1);
	free(many);
}
END_TEST

/* ------------------------------------------------------------------ */
/* tables */

START_TEST(table_sorted_and_known)
{
	size_t n;
	const struct hello_suite *t = hello_suites(&n);
	ck_assert_uint_ge(n, 300);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_lt(t[i - 1].id, t[i].id);
	for (size_t i = 0; i < n; i++) {
		ck_assert(t[i].iana || t[i].openssl);
		ck_assert_ptr_eq(hello_suite_find(t[i].id), &t[i]);
		/* exclusive classes */
		ck_assert(!((t[i].flags & CS_FS) && (t[i].flags & CS_ANON)));
		ck_assert(!((t[i].flags & CS_DES) && (t[i].flags & CS_3DES)));
		ck_assert(!((t[i].flags & CS_TLS13) && (t[i].flags & CS_TLS12)));
		if (t[i].flags & CS_NULL)
			ck_assert_uint_eq(t[i].bits, 0);
	}
	ck_assert_ptr_null(hello_suite_find(0x1234));

	const struct hello_suite *s = hello_suite_find(0xC02F);
	ck_assert_str_eq(s->iana, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_str_eq(s->openssl, "ECDHE-RSA-AES128-GCM-SHA256");
	ck_assert_uint_eq(s->flags & (CS_FS | CS_AEAD | CS_TLS12 | CS_AU_RSA | CS_ECDHE),
	                  CS_FS | CS_AEAD | CS_TLS12 | CS_AU_RSA | CS_ECDHE);
	s = hello_suite_find(0xC027);
	ck_assert_str_eq(s->iana, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256");
	ck_assert_str_eq(s->openssl, "ECDHE-RSA-AES128-SHA256");
	ck_assert(s->flags & CS_CBC);
	ck_assert(!(s->flags & CS_AEAD));
	static const char *const t13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	                                  "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
	                                  "TLS_AES_128_CCM_8_SHA256"};
	for (unsigned i = 0; i < 5; i++) {
		s = hello_suite_find((uint16_t)(0x1301 + i));
		ck_assert_str_eq(s->iana, t13[i]);
		ck_assert(s->flags & CS_TLS13);
		ck_assert(s->flags & CS_FS);
	}
	s = hello_suite_find(0x0003);
	ck_assert_uint_eq(s->flags & (CS_EXPORT | CS_RC4 | CS_RSA_KX), CS_EXPORT | CS_RC4 | CS_RSA_KX);
	ck_assert_uint_eq(s->bits, 40);
	ck_assert(hello_suite_find(0x000A)->flags & CS_3DES);
	ck_assert_uint_eq(hello_suite_find(0x000A)->bits, 168);
	ck_assert(hello_suite_find(0x0009)->flags & CS_DES);
	ck_assert_uint_eq(hello_suite_find(0x0018)->flags & (CS_ANON | CS_RC4), CS_ANON | CS_RC4);
	ck_assert(!(hello_suite_find(0x002F)->flags & CS_FS));
	ck_assert(hello_suite_find(0x0001)->flags & CS_NULL);
	ck_assert(hello_suite_find(0xC0B4)->flags & CS_NULL); /* RFC 9150 integrity only */
	ck_assert(hello_suite_find(0x00FF)->flags & CS_SCSV);
	ck_assert(hello_suite_find(0x5600)->flags & CS_SCSV);
	ck_assert(hello_suite_find(0xCC13)->flags & CS_NONSTD);
	ck_assert(hello_suite_find(0xC050)->flags & CS_ARIA);
	ck_assert(hello_suite_find(0x0041)->flags & CS_CAMELLIA);

	ck_assert_int_eq(hello_suite_by_name("ecdhe-rsa-aes128-sha256"), 0xC027);
	ck_assert_int_eq(hello_suite_by_name("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"), 0xC027);
	ck_assert_int_eq(hello_suite_by_name("no-such-suite"), -1);
	char tmp[16];
	ck_assert_str_eq(hello_suite_label(0xC02B, tmp, sizeof tmp), "ECDHE-ECDSA-AES128-GCM-SHA256");
	ck_assert_str_eq(hello_suite_label(0xC03C, tmp, sizeof tmp), "TLS_RSA_WITH_ARIA_128_CBC_SHA256");
	ck_assert_str_eq(hello_suite_label(0x1234, tmp, sizeof tmp), "0x1234");

	size_t nk;
	const struct hello_ssl2_kind *k = hello_ssl2_kinds(&nk);
	ck_assert_uint_eq(nk, 8);
	ck_assert_str_eq(hello_ssl2_find(0x0700C0)->openssl, "DES-CBC3-MD5");
	ck_assert(k[1].flags & CS_EXPORT);
}
END_TEST

START_TEST(table_names)
{
	size_t n;
	const uint16_t *g = hello_groups_all(&n);
	ck_assert_uint_ge(n, 40);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(hello_group_name(g[i]));
		for (size_t j = 0; j < i; j++)
			ck_assert_uint_ne(g[i], g[j]);
	}
	ck_assert_str_eq(hello_group_name(29), "x25519");
	ck_assert_str_eq(hello_group_name(23), "secp256r1");
	ck_assert_str_eq(hello_group_name(0x11EC), "X25519MLKEM768");
	ck_assert_ptr_null(hello_group_name(999));
	ck_assert(hello_group_is_ffdhe(256) && !hello_group_is_ffdhe(29));
	ck_assert(hello_group_has_share(29) && hello_group_has_share(260) && !hello_group_has_share(26));
	const uint16_t *sa = hello_sigalgs_all(&n);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(hello_sigalg_name(sa[i]));
	ck_assert_str_eq(hello_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
	ck_assert_str_eq(hello_sigalg_name(0x0201), "rsa_pkcs1_sha1");
	ck_assert_str_eq(hello_alert_name(86), "inappropriate_fallback");
	ck_assert_str_eq(hello_alert_name(40), "handshake_failure");
	ck_assert_ptr_null(hello_alert_name(255));
	ck_assert_str_eq(hello_version_name(0x0303), "TLSv1.2");
	ck_assert_str_eq(hello_version_name(0x0002), "SSLv2");
	ck_assert_str_eq(hello_version_name(0x0399), "unknown");
}
END_TEST

/* ------------------------------------------------------------------ */
/* parser on hand-made answers */

START_TEST(parse_server_hello_and_prefixes)
{
	struct tb sh = {0};
	make_sh12(&sh, 0xC02F);
	struct hello_reply r;
	ck_assert_int_eq(hello_parse(sh.b, sh.n, &r), HELLO_SERVER_HELLO);
	ck_assert_uint_eq(r.version, 0x0303);
	ck_assert_uint_eq(r.legacy_version, 0x0303);
	ck_assert_uint_eq(r.cipher, 0xC02F);
	ck_assert_uint_eq(r.compression, 0);
	ck_assert_uint_eq(r.session_id_len, 32);
	ck_assert_uint_eq(r.session_id[31], 0x22);
	ck_assert(r.ext_reneg && r.ext_ems && !r.ext_ticket);
	ck_assert_uint_eq(r.nexts, 2);
	ck_assert_uint_eq(r.exts[0], 0xff01);
	ck_assert(!r.hrr && !r.flight_done && !r.downgrade_sentinel);
	ck_assert_uint_eq(r.consumed, sh.n);
	/* every strict prefix: need more, never a decision */
	for (size_t i = 0; i < sh.n; i++)
		ck_assert_int_eq(hello_parse(sh.b, i, &r), HELLO_NEED_MORE);
	/* followed by the start of another record: still the ServerHello */
	tb_mem(&sh, "\x16\x03", 2);
	ck_assert_int_eq(hello_parse(sh.b, sh.n, &r), HELLO_SERVER_HELLO);
}
END_TEST

START_TEST(parse_fragmented_across_records)
{
	struct tb body = {0}, hs = {0}, out = {0};
	sh_body_12(&body, 0x009E, true);
	tb_hs(&hs, 2, &body);
	/* one byte per record for the first 10, then the rest */
	for (size_t i = 0; i < 10; i++)
		tb_record(&out, 22, 0x0303, hs.b + i, 1);
	tb_record(&out, 22, 0x0303, hs.b + 10, hs.n - 10);
	struct hello_reply r;
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_SERVER_HELLO);
	ck_assert_uint_eq(r.cipher, 0x009E);
	ck_assert(r.ext_ems);
	for (size_t i = 0; i < out.n; i++)
		ck_assert_int_eq(hello_parse(out.b, i, &r), HELLO_NEED_MORE);
	/* an empty handshake record is noted, not fatal */
	struct tb e = {0};
	tb_record(&e, 22, 0x0303, NULL, 0);
	tb_record(&e, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(e.b, e.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.anomalies & HELLO_A_EMPTY_RECORD);
}
END_TEST

START_TEST(parse_alerts)
{
	struct hello_reply r;
	static const uint8_t a[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	ck_assert_int_eq(hello_parse(a, sizeof a, &r), HELLO_ALERT);
	ck_assert_uint_eq(r.alert_level, 2);
	ck_assert_uint_eq(r.alert_desc, HELLO_ALERT_HANDSHAKE_FAILURE);
	ck_assert_uint_eq(r.consumed, 7);
	for (size_t i = 0; i < sizeof a; i++)
		ck_assert_int_eq(hello_parse(a, i, &r), HELLO_NEED_MORE);
	static const uint8_t fb[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x56};
	ck_assert_int_eq(hello_parse(fb, sizeof fb, &r), HELLO_ALERT);
	ck_assert_uint_eq(r.alert_desc, HELLO_ALERT_INAPPROPRIATE_FALLBACK);
	static const uint8_t odd[] = {0x15, 0x03, 0x03, 0x00, 0x01, 0x02};
	ck_assert_int_eq(hello_parse(odd, sizeof odd, &r), HELLO_MALFORMED);
	/* a ServerHello followed by an alert: the hello stands, the alert is noted */
	struct tb sh = {0};
	make_sh12(&sh, 0xC02F);
	tb_mem(&sh, a, sizeof a);
	ck_assert_int_eq(hello_parse(sh.b, sh.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.anomalies & HELLO_A_LATE_ALERT);
	ck_assert(r.flight_done);
}
END_TEST

START_TEST(parse_garbage)
{
	struct hello_reply r;
	static const char smtp[] = "421 4.3.2 Service shutting down\r\n";
	ck_assert_int_eq(hello_parse((const uint8_t *)smtp, strlen(smtp), &r), HELLO_GARBAGE);
	ck_assert_str_eq(r.why, "plaintext instead of a TLS record");
	ck_assert_int_eq(hello_parse((const uint8_t *)"5", 1, &r), HELLO_GARBAGE); /* decided at once */
	static const uint8_t hi[] = {0xc3, 0xa9, 0x41, 0x42};
	ck_assert_int_eq(hello_parse(hi, sizeof hi, &r), HELLO_GARBAGE);
	static const uint8_t badmajor[] = {0x16, 0x04, 0x01};
	ck_assert_int_eq(hello_parse(badmajor, sizeof badmajor, &r), HELLO_GARBAGE);
	static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n";
	ck_assert_int_eq(hello_parse(http, sizeof http - 1, &r), HELLO_GARBAGE);
	ck_assert_int_eq(hello_parse(NULL, 0, &r), HELLO_NEED_MORE);
}
END_TEST

START_TEST(parse_malformed)
{
	struct hello_reply r;
	struct tb body = {0}, hs = {0}, out = {0};
	/* extensions length one too long */
	sh_body_12(&body, 0xC02F, true);
	body.b[2 + 32 + 1 + 32 + 3 + 1]++;
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_MALFORMED);
	/* session id of 33 */
	sh_body_12(&body, 0xC02F, false);
	body.b[34] = 33;
	hs.n = out.n = 0;
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_MALFORMED);
	/* one stray byte after the compression method */
	sh_body_12(&body, 0xC02F, false);
	tb_u8(&body, 0);
	hs.n = out.n = 0;
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_MALFORMED);
	/* renegotiation_info whose inner length lies */
	static const uint8_t ri[] = {0xff, 0x01, 0x00, 0x01, 0x05};
	sh_body_12(&body, 0xC02F, false);
	tb_u16(&body, sizeof ri);
	tb_mem(&body, ri, sizeof ri);
	hs.n = out.n = 0;
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_MALFORMED);
	/* a record longer than 2^14 */
	static const uint8_t big[] = {0x16, 0x03, 0x03, 0x40, 0x01};
	ck_assert_int_eq(hello_parse(big, sizeof big, &r), HELLO_MALFORMED);
	/* not a ServerHello first */
	struct tb cert = {0};
	tb_u24(&cert, 0);
	hs.n = out.n = 0;
	tb_hs(&hs, 11, &cert);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_MALFORMED);
	/* application data first */
	static const uint8_t app[] = {0x17, 0x03, 0x03, 0x00, 0x01, 0x00};
	ck_assert_int_eq(hello_parse(app, sizeof app, &r), HELLO_MALFORMED);
	/* duplicate extension: parsed, flagged */
	static const uint8_t dup[] = {0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00};
	sh_body_12(&body, 0xC02F, false);
	tb_u16(&body, sizeof dup);
	tb_mem(&body, dup, sizeof dup);
	hs.n = out.n = 0;
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.anomalies & HELLO_A_DUP_EXT);
}
END_TEST

static const uint8_t HRR_RANDOM[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

START_TEST(parse_tls13_and_hrr)
{
	struct hello_reply r;
	struct tb body = {0}, hs = {0}, out = {0};
	/* HRR: supported_versions 1.3, key_share = selected group only */
	tb_u16(&body, 0x0303);
	tb_mem(&body, HRR_RANDOM, 32);
	tb_u8(&body, 0);
	tb_u16(&body, 0x1302);
	tb_u8(&body, 0);
	tb_u16(&body, 12);
	tb_u16(&body, 43), tb_u16(&body, 2), tb_u16(&body, 0x0304);
	tb_u16(&body, 51), tb_u16(&body, 2), tb_u16(&body, 24);
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.hrr);
	ck_assert_uint_eq(r.version, 0x0304);
	ck_assert_uint_eq(r.legacy_version, 0x0303);
	ck_assert_uint_eq(r.cipher, 0x1302);
	ck_assert_uint_eq(r.key_share_group, 24);
	ck_assert(r.flight_done);

	/* ServerHello 1.3 with a full key_share entry, then CCS and encrypted data */
	body.n = hs.n = out.n = 0;
	tb_u16(&body, 0x0303);
	tb_fill(&body, 0x33, 32);
	tb_u8(&body, 0);
	tb_u16(&body, 0x1301);
	tb_u8(&body, 0);
	tb_u16(&body, 6 + 4 + 4 + 32);
	tb_u16(&body, 43), tb_u16(&body, 2), tb_u16(&body, 0x0304);
	tb_u16(&body, 51), tb_u16(&body, 4 + 32), tb_u16(&body, 29), tb_u16(&body, 32);
	tb_fill(&body, 0x44, 32);
	tb_hs(&hs, 2, &body);
	tb_record(&out, 22, 0x0303, hs.b, hs.n);
	tb_record(&out, 20, 0x0303, (const uint8_t *)"\x01", 1);
	tb_record(&out, 23, 0x0303, (const uint8_t *)"xxxx", 4);
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_SERVER_HELLO);
	ck_assert(!r.hrr);
	ck_assert_uint_eq(r.version, 0x0304);
	ck_assert_uint_eq(r.key_share_group, 29);
	ck_assert(r.flight_done);

	/* a key_share entry whose length lies */
	out.b[5 + 4 + 2 + 32 + 1 + 3 + 2 + 6 + 4 + 3]++;
	ck_assert_int_eq(hello_parse(out.b, out.n, &r), HELLO_MALFORMED);

	/* downgrade sentinel (RFC 8446 4.1.3) in a TLS 1.2 ServerHello */
	struct tb sh = {0};
	make_sh12(&sh, 0xC02F);
	memcpy(sh.b + 5 + 4 + 2 + 24, "DOWNGRD\x01", 8);
	ck_assert_int_eq(hello_parse(sh.b, sh.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.downgrade_sentinel);
}
END_TEST

START_TEST(parse_ssl2)
{
	struct hello_reply r;
	struct tb m = {0};
	/* SERVER-HELLO: hit 0, cert type 1, version 0x0002, cert 3 bytes,
	 * two cipher specs, 16-byte connection id */
	size_t body = 11 + 3 + 6 + 16;
	tb_u8(&m, 0x80 | (unsigned)(body >> 8));
	tb_u8(&m, body & 0xff);
	tb_u8(&m, 4), tb_u8(&m, 0), tb_u8(&m, 1), tb_u16(&m, 0x0002);
	tb_u16(&m, 3), tb_u16(&m, 6), tb_u16(&m, 16);
	tb_mem(&m, "abc", 3);
	tb_mem(&m, "\x01\x00\x80\x07\x00\xc0", 6);
	tb_fill(&m, 0x55, 16);
	ck_assert_int_eq(hello_parse(m.b, m.n, &r), HELLO_SSL2_HELLO);
	ck_assert_uint_eq(r.ssl2_version, 2);
	ck_assert_uint_eq(r.nssl2_kinds, 2);
	ck_assert_uint_eq(r.ssl2_kinds[0], 0x010080);
	ck_assert_uint_eq(r.ssl2_kinds[1], 0x0700C0);
	ck_assert_uint_eq(r.consumed, m.n);
	/* where its certificate lies (DROWN compares it with the TLS one) */
	ck_assert_uint_eq(r.ncert_der, 1);
	ck_assert_uint_eq(r.cert_der[0].off, 2 + 11);
	ck_assert_uint_eq(r.cert_der[0].len, 3);
	ck_assert_mem_eq(m.b + r.cert_der[0].off, "abc", 3);
	for (size_t i = 0; i < m.n; i++)
		ck_assert_int_eq(hello_parse(m.b, i, &r), HELLO_NEED_MORE);
	/* specs not a multiple of 3 */
	m.b[2 + 8] = 5;
	ck_assert_int_eq(hello_parse(m.b, m.n, &r), HELLO_MALFORMED);
	/* lengths beyond the record */
	m.b[2 + 8] = 6;
	m.b[2 + 10] = 200;
	ck_assert_int_eq(hello_parse(m.b, m.n, &r), HELLO_MALFORMED);
	/* ERROR: NO-CIPHER-ERROR */
	static const uint8_t err[] = {0x80, 0x03, 0x00, 0x00, 0x01};
	ck_assert_int_eq(hello_parse(err, sizeof err, &r), HELLO_SSL2_ERROR);
	ck_assert_uint_eq(r.ssl2_error, 1);
}
END_TEST

/* A TLS 1.2 flight: ServerHello, Certificate (2), ServerKeyExchange,
 * ServerHelloDone, with the SKE layout of the chosen suite. */
static void make_flight(struct tb *out, uint16_t cipher, bool dhe)
{
	struct tb body = {0}, hs = {0}, m = {0};
	sh_body_12(&body, cipher, true);
	tb_hs(&hs, 2, &body);
	tb_u24(&m, 3 + 100 + 3 + 50);
	tb_u24(&m, 100), tb_fill(&m, 0xAA, 100);
	tb_u24(&m, 50), tb_fill(&m, 0xBB, 50);
	tb_hs(&hs, 11, &m);
	m.n = 0;
	if (dhe) {
		tb_u16(&m, 256), tb_u8(&m, 0xff), tb_fill(&m, 0xfe, 255); /* 2048-bit p */
		tb_u16(&m, 1), tb_u8(&m, 2);
		tb_u16(&m, 256), tb_fill(&m, 0x12, 256);
		tb_u16(&m, 0x0401);
	} else {
		tb_u8(&m, 3), tb_u16(&m, 29), tb_u8(&m, 32), tb_fill(&m, 0x77, 32);
		tb_u16(&m, 0x0804);
	}
	tb_u16(&m, 64), tb_fill(&m, 0x99, 64);
	tb_hs(&hs, 12, &m);
	m.n = 0;
	tb_hs(&hs, 14, &m);
	/* split the handshake stream over two records at an odd place */
	out->n = 0;
	tb_record(out, 22, 0x0303, hs.b, 150);
	tb_record(out, 22, 0x0303, hs.b + 150, hs.n - 150);
}

START_TEST(parse_flight)
{
	struct tb f = {0};
	struct hello_reply r;
	make_flight(&f, 0xC02F, false);
	ck_assert_int_eq(hello_parse(f.b, f.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.flight_done);
	ck_assert_uint_eq(r.cert_count, 2);
	ck_assert(r.ske);
	ck_assert_uint_eq(r.ske_group, 29);
	ck_assert_uint_eq(r.ske_sigalg, 0x0804);
	ck_assert_uint_eq(r.anomalies, 0);
	/* before the ServerHelloDone arrives: a hello, flight not done */
	ck_assert_int_eq(hello_parse(f.b, f.n - 1, &r), HELLO_SERVER_HELLO);
	ck_assert(!r.flight_done);

	make_flight(&f, 0x009E, true);
	ck_assert_int_eq(hello_parse(f.b, f.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.ske);
	ck_assert_uint_eq(r.ske_dh_bits, 2048);
	ck_assert_uint_eq(r.ske_sigalg, 0x0401);

	/* an SKE whose point length lies: the hello stands, the flight is flagged */
	make_flight(&f, 0xC02F, false);
	size_t ske = 5 + 4 + 81 + 4 + 3 + 3 + 100 + 3 + 50 + 5 /* 2nd record header */ + 4;
	ck_assert_uint_eq(f.b[ske], 3);
	f.b[ske + 3] = 200;
	ck_assert_int_eq(hello_parse(f.b, f.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.anomalies & HELLO_A_SKE_BAD);
	ck_assert(!r.ske);
	ck_assert(r.flight_done);
}
END_TEST

/* Where the chain's DER lies in the input: the same stream of make_flight
 * (leaf 100 x 0xAA at stream offset 95, then 50 x 0xBB at 198) cut into
 * records at several places. An entry split between records ends the list. */
START_TEST(parse_flight_cert_der)
{
	static struct tb f, hs, in;
	struct hello_reply r;
	make_flight(&f, 0xC02F, false);
	hs.n = 0;
	tb_mem(&hs, f.b + 5, 150);
	tb_mem(&hs, f.b + 5 + 150 + 5, f.n - 160);
	static const struct {
		size_t split, n, off0, off1;
	} cases[] = {
	    {0, 2, 5 + 95, 5 + 198},       /* one record */
	    {198, 2, 5 + 95, 5 + 198 + 5}, /* the second entry opens the second record */
	    {200, 1, 5 + 95, 0},           /* the second entry is split */
	    {150, 0, 0, 0},                /* the leaf is split (make_flight's own cut) */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		in.n = 0;
		size_t cut = cases[c].split ? cases[c].split : hs.n;
		tb_record(&in, 22, 0x0303, hs.b, cut);
		if (cut < hs.n)
			tb_record(&in, 22, 0x0303, hs.b + cut, hs.n - cut);
		ck_assert_int_eq(hello_parse(in.b, in.n, &r), HELLO_SERVER_HELLO);
		ck_assert(r.flight_done);
		ck_assert_uint_eq(r.cert_count, 2);
		ck_assert_uint_eq(r.ncert_der, cases[c].n);
		size_t want_off[2] = {cases[c].off0, cases[c].off1}, want_len[2] = {100, 50};
		uint8_t want_byte[2] = {0xAA, 0xBB};
		for (size_t i = 0; i < r.ncert_der; i++) {
			ck_assert_uint_eq(r.cert_der[i].off, want_off[i]);
			ck_assert_uint_eq(r.cert_der[i].len, want_len[i]);
			for (size_t k = 0; k < r.cert_der[i].len; k++)
				ck_assert_uint_eq(in.b[r.cert_der[i].off + k], want_byte[i]);
		}
	}
	/* a Certificate message that breaks its grammar gives no DER */
	in.n = 0;
	tb_record(&in, 22, 0x0303, hs.b, hs.n);
	in.b[5 + 85 + 4 + 3 + 3 + 100 + 2] = 51; /* the second entry claims one byte more */
	ck_assert_int_eq(hello_parse(in.b, in.n, &r), HELLO_SERVER_HELLO);
	ck_assert(r.anomalies & HELLO_A_SKE_BAD);
	ck_assert_uint_eq(r.ncert_der, 0);
}
END_TEST

/* Seeded mutations of a valid flight and of an SSLv2 hello: the parser must
 * never crash or read out of bounds (ASan/UBSan builds), and its verdicts
 * stay within the enum. Deterministic: fixed seed. */
START_TEST(parse_mutations)
{
	uint64_t x = 0x9E3779B97F4A7C15u;
	struct tb f = {0};
	for (int round = 0; round < 4000; round++) {
		make_flight(&f, round % 2 ? 0x009E : 0xC02B, round % 2);
		int flips = 1 + (int)(x % 4);
		for (int k = 0; k < flips; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			f.b[x % f.n] = (uint8_t)(x >> 24);
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t len = round % 3 ? f.n : x % (f.n + 1);
		uint8_t *copy = xmalloc(len ? len : 1); /* exact size: ASan sees any overread */
		memcpy(copy, f.b, len);
		struct hello_reply r;
		enum hello_kind k = hello_parse(copy, len, &r);
		ck_assert(k >= HELLO_MALFORMED && k <= HELLO_SSL2_ERROR);
		ck_assert_uint_le(r.consumed, len);
		ck_assert_int_eq(r.kind, k);
		free(copy);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* against a real wolfSSL server over socketpair(2) */


struct srv {
	struct wtls_config *cfg;
	int fd;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct wtls *t = wtls_new(s->cfg, NULL, support_fd_recv, support_fd_send, &s->fd);
	if (t) {
		(void)wtls_handshake(t); /* fails when we hang up after its first flight */
		wtls_free(t);
	}
	shutdown(s->fd, SHUT_RDWR);
	wtls_thread_cleanup();
	return NULL;
}

/*
 * Send one built hello to a wolfSSL server with certificate variant v and
 * version range [lo, hi]; collect the answer until the parser decides (and,
 * for a ServerHello, the flight is complete) or 5 s pass. Returns the raw
 * bytes in *raw (caller frees) and the parse in *r.
 */
static enum hello_kind ask_wolfssl(enum cert_variant v, enum wtls_version lo, enum wtls_version hi,
                                   const struct hello_opts *o, struct hello_reply *r, struct buf *raw)
{
	const struct cert_pem *p = cert_set_get(support_certs, v);
	ck_assert_ptr_nonnull(p);
	struct srv s = {.cfg = wtls_config_new(WTLS_SERVER)};
	ck_assert_ptr_nonnull(s.cfg);
	ck_assert_int_eq(wtls_config_set_keypair_mem(s.cfg, (const uint8_t *)p->chain, strlen(p->chain),
	                                             (const uint8_t *)p->key, strlen(p->key)),
	                 0);
	ck_assert_int_eq(wtls_config_set_versions(s.cfg, lo, hi), 0);
	int sv[2];
	support_socketpair(sv, 10);
	s.fd = sv[0];
	pthread_t th = support_thread_start(srv_main, &s);

	uint8_t hello[HELLO_BUILD_MAX];
	const char *why = NULL;
	ssize_t n = hello_build(o, hello, sizeof hello, &why);
	ck_assert_msg(n > 0, "%s", why);
	ck_assert_int_eq(send(sv[1], hello, (size_t)n, MSG_NOSIGNAL), n);
	enum hello_kind k = HELLO_NEED_MORE;
	int64_t end = mono_ms() + 5000;
	memset(raw, 0, sizeof *raw);
	while (mono_ms() < end) {
		k = hello_parse(raw->data, raw->len, r);
		if (k != HELLO_NEED_MORE && (k != HELLO_SERVER_HELLO || r->flight_done))
			break;
		struct pollfd pf = {.fd = sv[1], .events = POLLIN};
		if (poll(&pf, 1, 200) <= 0)
			continue;
		uint8_t tmp[4096];
		ssize_t got = recv(sv[1], tmp, sizeof tmp, 0);
		if (got <= 0)
			break;
		buf_append(raw, tmp, (size_t)got);
	}
	k = hello_parse(raw->data, raw->len, r);
	shutdown(sv[1], SHUT_RDWR);
	support_thread_join(th, 30000);
	close(sv[0]);
	close(sv[1]);
	wtls_config_free(s.cfg);
	return k;
}

START_TEST(wolfssl_picks_ecdsa_suite)
{
	static const uint16_t suites[] = {0xC02B, 0xC02F};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, 2);
	struct hello_reply r;
	struct buf raw;
	ck_assert_int_eq(ask_wolfssl(CERT_GOOD, WTLS_V12, WTLS_V12, &o, &r, &raw), HELLO_SERVER_HELLO);
	ck_assert_uint_eq(r.version, 0x0303);
	ck_assert_uint_eq(r.cipher, 0xC02B); /* the ECDSA certificate decides */
	ck_assert(r.ext_reneg);               /* RFC 5746 */
	ck_assert(r.ext_ems);                 /* RFC 7627 */
	ck_assert(r.flight_done);
	ck_assert_uint_ge(r.cert_count, 1);
	ck_assert(r.ske);
	ck_assert_ptr_nonnull(hello_group_name(r.ske_group));
	ck_assert_uint_eq(r.ske_sigalg & 0xff, 3); /* an ECDSA scheme */
	ck_assert_uint_eq(r.anomalies, 0);
	/* the same real bytes, fed in every prefix: undecided until complete */
	struct hello_reply p;
	size_t sh_end = 5 + (size_t)(raw.data[3] << 8 | raw.data[4]);
	for (size_t i = 0; i < sh_end && i < raw.len; i++)
		ck_assert_int_eq(hello_parse(raw.data, i, &p), HELLO_NEED_MORE);
	buf_free(&raw);

	ck_assert_int_eq(ask_wolfssl(CERT_GOOD_RSA, WTLS_V12, WTLS_V12, &o, &r, &raw), HELLO_SERVER_HELLO);
	ck_assert_uint_eq(r.cipher, 0xC02F);
	ck_assert_ptr_nonnull(hello_sigalg_name(r.ske_sigalg));
	ck_assert_ptr_nonnull(strstr(hello_sigalg_name(r.ske_sigalg), "rsa"));
	buf_free(&raw);
}
END_TEST

START_TEST(wolfssl_refuses_unsupported_suites)
{
	/* EXPORT, SEED, IDEA, KRB5: nothing wolfSSL implements */
	static const uint16_t suites[] = {0x0003, 0x0006, 0x0008, 0x0014, 0x0096, 0x0007, 0x001E};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, sizeof suites / sizeof suites[0]);
	struct hello_reply r;
	struct buf raw;
	ck_assert_int_eq(ask_wolfssl(CERT_GOOD_RSA, WTLS_V12, WTLS_V13, &o, &r, &raw), HELLO_ALERT);
	ck_assert_uint_eq(r.alert_level, 2);
	ck_assert_uint_eq(r.alert_desc, HELLO_ALERT_HANDSHAKE_FAILURE);
	buf_free(&raw);
}
END_TEST

START_TEST(wolfssl_tls13_and_hrr)
{
	static const uint16_t suites[] = {0x1302, 0x1301};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS13, suites, 2);
	struct hello_reply r;
	struct buf raw;
	ck_assert_int_eq(ask_wolfssl(CERT_GOOD, WTLS_V12, WTLS_V13, &o, &r, &raw), HELLO_SERVER_HELLO);
	ck_assert_uint_eq(r.version, 0x0304);
	ck_assert_uint_eq(r.legacy_version, 0x0303);
	ck_assert(!r.hrr);
	ck_assert(r.cipher == 0x1301 || r.cipher == 0x1302);
	ck_assert_uint_eq(r.key_share_group, HELLO_GROUP_X25519);
	ck_assert_uint_eq(r.session_id_len, 32); /* echoes legacy_session_id */
	ck_assert(r.flight_done);
	buf_free(&raw);

	/* no share for the only group offered: a HelloRetryRequest naming it */
	static const uint16_t groups[] = {HELLO_GROUP_SECP384R1};
	static const uint16_t none[1] = {0};
	o.groups = groups;
	o.ngroups = 1;
	o.shares = none;
	o.nshares = 0;
	ck_assert_int_eq(ask_wolfssl(CERT_GOOD, WTLS_V12, WTLS_V13, &o, &r, &raw), HELLO_SERVER_HELLO);
	ck_assert(r.hrr);
	ck_assert_uint_eq(r.version, 0x0304);
	ck_assert_uint_eq(r.key_share_group, HELLO_GROUP_SECP384R1);
	buf_free(&raw);

	/* TLS 1.2 hello to a 1.3-capable server: the downgrade sentinel */
	static const uint16_t s12[] = {0xC02B};
	support_hello_opts(&o, HELLO_TLS12, s12, 1);
	ck_assert_int_eq(ask_wolfssl(CERT_GOOD, WTLS_V12, WTLS_V13, &o, &r, &raw), HELLO_SERVER_HELLO);
	ck_assert_uint_eq(r.version, 0x0303);
	ck_assert(r.downgrade_sentinel);
	buf_free(&raw);
}
END_TEST

START_TEST(wolfssl_fallback_scsv)
{
	/* RFC 7507: a TLS 1.2 hello with the SCSV to a server that speaks 1.3 */
	static const uint16_t suites[] = {0xC02B, HELLO_CS_FALLBACK_SCSV};
	struct hello_opts o;
	support_hello_opts(&o, HELLO_TLS12, suites, 2);
	struct hello_reply r;
	struct buf raw;
	ck_assert_int_eq(ask_wolfssl(CERT_GOOD, WTLS_V12, WTLS_V13, &o, &r, &raw), HELLO_ALERT);
	ck_assert_uint_eq(r.alert_desc, HELLO_ALERT_INAPPROPRIATE_FALLBACK);
	buf_free(&raw);
}
END_TEST

Suite *hello_suite(void)
{
	Suite *s = suite_create("hello");
	TCase *t = tcase_create("build");
	tcase_add_test(t, build_tls12_bare_golden);
	tcase_add_test(t, build_heartbeat_and_ticket);
	tcase_add_test(t, build_tls12_ext_golden);
	tcase_add_test(t, build_ssl2_golden);
	tcase_add_test(t, build_ssl3_no_extensions);
	tcase_add_test(t, build_tls13_structure);
	tcase_add_test(t, build_every_version_reparses);
	tcase_add_test(t, build_padding);
	tcase_add_test(t, build_errors);
	suite_add_tcase(s, t);

	t = tcase_create("tables");
	tcase_add_test(t, table_sorted_and_known);
	tcase_add_test(t, table_names);
	suite_add_tcase(s, t);

	t = tcase_create("parse");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, parse_server_hello_and_prefixes);
	tcase_add_test(t, parse_fragmented_across_records);
	tcase_add_test(t, parse_alerts);
	tcase_add_test(t, parse_garbage);
	tcase_add_test(t, parse_malformed);
	tcase_add_test(t, parse_tls13_and_hrr);
	tcase_add_test(t, parse_ssl2);
	tcase_add_test(t, parse_flight);
	tcase_add_test(t, parse_flight_cert_der);
	tcase_add_test(t, parse_mutations);
	suite_add_tcase(s, t);

	t = tcase_create("wolfssl");
	tcase_add_unchecked_fixture(t, support_certs_setup, support_certs_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, wolfssl_picks_ecdsa_suite);
	tcase_add_test(t, wolfssl_refuses_unsupported_suites);
	tcase_add_test(t, wolfssl_tls13_and_hrr);
	tcase_add_test(t, wolfssl_fallback_scsv);
	suite_add_tcase(s, t);
	return s;
}

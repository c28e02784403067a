/* SPDX-License-Identifier: MIT */
/*
 * hello: ClientHello bytes for any version and cipher suite id, and the
 * parser of the server's answer (ServerHello and the rest of a TLS <= 1.2
 * flight, alerts, SSLv2 SERVER-HELLO / ERROR, garbage). Public: hello_build,
 * hello_opts_init, hello_parse and the name tables (SSLv2 kinds, groups,
 * signature schemes, alerts; the suite table is the generated
 * hello_suites.c). Invariants: pure (no I/O, clock, RNG);
 * the builder never writes past cap; the parser never reads past len and
 * checks every length field against its container and RFC limit.
 */
#include "hello.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *hello_version_name(uint16_t v)
{
	switch (v) {
	case HELLO_SSL2: return "SSLv2";
	case HELLO_SSL3: return "SSLv3";
	case HELLO_TLS10: return "TLSv1.0";
	case HELLO_TLS11: return "TLSv1.1";
	case HELLO_TLS12: return "TLSv1.2";
	case HELLO_TLS13: return "TLSv1.3";
	default: return "unknown";
	}
}

/* ------------------------------------------------------------------ */
/* SSLv2 CIPHER-KINDs ("The SSL Protocol", Hickman 1995, appendix C). The
 * TLS cipher suite table is hello_suites.c, generated from the IANA registry
 * by scripts/gen-hello-suites.py. */
static const struct hello_ssl2_kind ssl2_kinds[] = {
	{0x010080, "SSL_CK_RC4_128_WITH_MD5", "RC4-MD5", CS_RC4 | CS_MD5},
	{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", "EXP-RC4-MD5", CS_EXPORT | CS_RC4 | CS_MD5},
	{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", "RC2-CBC-MD5", CS_CBC | CS_MD5},
	{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", "EXP-RC2-CBC-MD5", CS_EXPORT | CS_CBC | CS_MD5},
	{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5", "IDEA-CBC-MD5", CS_CBC | CS_MD5},
	{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", "DES-CBC-MD5", CS_DES | CS_CBC | CS_MD5},
	{0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "DES-CBC3-MD5", CS_3DES | CS_CBC | CS_MD5},
	{0x080080, "SSL_CK_RC4_64_WITH_MD5", "RC4-64-MD5", CS_RC4 | CS_MD5 | CS_NONSTD},
};
#define NSSL2 (sizeof ssl2_kinds / sizeof ssl2_kinds[0])

const struct hello_ssl2_kind *hello_ssl2_kinds(size_t *n)
{
	*n = NSSL2;
	return ssl2_kinds;
}

const struct hello_ssl2_kind *hello_ssl2_find(uint32_t id)
{
	for (size_t i = 0; i < NSSL2; i++)
		if (ssl2_kinds[i].id == id)
			return &ssl2_kinds[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* groups, signature schemes, alerts (IANA registries) */

static const struct {
	uint16_t id;
	const char *name;
} group_names[] = {
	/* offering order of hello_groups_all(): common and strong first */
	{29, "x25519"}, {23, "secp256r1"}, {30, "x448"}, {24, "secp384r1"}, {25, "secp521r1"},
	{0x11EC, "X25519MLKEM768"}, {0x11EB, "SecP256r1MLKEM768"}, {0x11ED, "SecP384r1MLKEM1024"},
	{0x6399, "X25519Kyber768Draft00"}, {0x639A, "SecP256r1Kyber768Draft00"},
	{0x0200, "MLKEM512"}, {0x0201, "MLKEM768"}, {0x0202, "MLKEM1024"},
	{31, "brainpoolP256r1tls13"}, {32, "brainpoolP384r1tls13"}, {33, "brainpoolP512r1tls13"},
	{26, "brainpoolP256r1"}, {27, "brainpoolP384r1"}, {28, "brainpoolP512r1"},
	{256, "ffdhe2048"}, {257, "ffdhe3072"}, {258, "ffdhe4096"}, {259, "ffdhe6144"}, {260, "ffdhe8192"},
	{22, "secp256k1"}, {21, "secp224r1"}, {20, "secp224k1"}, {19, "secp192r1"}, {18, "secp192k1"},
	{17, "secp160r2"}, {16, "secp160r1"}, {15, "secp160k1"},
	{14, "sect571r1"}, {13, "sect571k1"}, {12, "sect409r1"}, {11, "sect409k1"}, {10, "sect283r1"},
	{9, "sect283k1"}, {8, "sect239k1"}, {7, "sect233r1"}, {6, "sect233k1"}, {5, "sect193r2"},
	{4, "sect193r1"}, {3, "sect163r2"}, {2, "sect163r1"}, {1, "sect163k1"},
	{34, "GC256A"}, {35, "GC256B"}, {36, "GC256C"}, {37, "GC256D"}, {38, "GC512A"}, {39, "GC512B"},
	{40, "GC512C"}, {41, "curveSM2"},
};
#define NGROUPS (sizeof group_names / sizeof group_names[0])

const char *hello_group_name(uint16_t g)
{
	for (size_t i = 0; i < NGROUPS; i++)
		if (group_names[i].id == g)
			return group_names[i].name;
	if (g == 0xFF01)
		return "arbitrary_explicit_prime_curves";
	if (g == 0xFF02)
		return "arbitrary_explicit_char2_curves";
	return NULL;
}

bool hello_group_is_ffdhe(uint16_t g)
{
	return g >= 256 && g <= 260;
}

/* The same ids in the same order as plain data (check_hello asserts the two
 * lists agree). */
static const uint16_t groups_all[] = {
	29, 23, 30, 24, 25, 0x11EC, 0x11EB, 0x11ED, 0x6399, 0x639A, 0x0200, 0x0201, 0x0202,
	31, 32, 33, 26, 27, 28, 256, 257, 258, 259, 260, 22, 21, 20, 19, 18, 17, 16, 15,
	14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 34, 35, 36, 37, 38, 39, 40, 41,
};

const uint16_t *hello_groups_all(size_t *n)
{
	*n = sizeof groups_all / sizeof groups_all[0];
	return groups_all;
}

static const struct {
	uint16_t id;
	const char *name;
} sigalg_names[] = {
	/* strong first: the order of hello_sigalgs_all() */
	{0x0403, "ecdsa_secp256r1_sha256"}, {0x0503, "ecdsa_secp384r1_sha384"},
	{0x0603, "ecdsa_secp521r1_sha512"}, {0x0807, "ed25519"}, {0x0808, "ed448"},
	{0x0804, "rsa_pss_rsae_sha256"}, {0x0805, "rsa_pss_rsae_sha384"}, {0x0806, "rsa_pss_rsae_sha512"},
	{0x0809, "rsa_pss_pss_sha256"}, {0x080a, "rsa_pss_pss_sha384"}, {0x080b, "rsa_pss_pss_sha512"},
	{0x081a, "ecdsa_brainpoolP256r1tls13_sha256"}, {0x081b, "ecdsa_brainpoolP384r1tls13_sha384"},
	{0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
	{0x0401, "rsa_pkcs1_sha256"}, {0x0501, "rsa_pkcs1_sha384"}, {0x0601, "rsa_pkcs1_sha512"},
	{0x0402, "dsa_sha256"}, {0x0502, "dsa_sha384"}, {0x0602, "dsa_sha512"},
	{0x0303, "ecdsa_sha224"}, {0x0301, "rsa_sha224"}, {0x0302, "dsa_sha224"},
	{0x0203, "ecdsa_sha1"}, {0x0201, "rsa_pkcs1_sha1"}, {0x0202, "dsa_sha1"},
	{0x0103, "ecdsa_md5"}, {0x0101, "rsa_md5"}, {0x0102, "dsa_md5"},
	{0x0904, "mldsa44"}, {0x0905, "mldsa65"}, {0x0906, "mldsa87"},
};
#define NSIGALGS (sizeof sigalg_names / sizeof sigalg_names[0])

const char *hello_sigalg_name(uint16_t s)
{
	for (size_t i = 0; i < NSIGALGS; i++)
		if (sigalg_names[i].id == s)
			return sigalg_names[i].name;
	return NULL;
}

static const uint16_t sigalgs_all[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
	0x081a, 0x081b, 0x081c, 0x0401, 0x0501, 0x0601, 0x0402, 0x0502, 0x0602, 0x0303, 0x0301,
	0x0302, 0x0203, 0x0201, 0x0202, 0x0103, 0x0101, 0x0102, 0x0904, 0x0905, 0x0906,
};

const uint16_t *hello_sigalgs_all(size_t *n)
{
	*n = sizeof sigalgs_all / sizeof sigalgs_all[0];
	return sigalgs_all;
}

const char *hello_alert_name(uint8_t d)
{
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 30: return "decompression_failure";
	case 40: return "handshake_failure";
	case 41: return "no_certificate";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 60: return "export_restriction";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 111: return "certificate_unobtainable";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 114: return "bad_certificate_hash_value";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	case 121: return "ech_required";
	default: return NULL;
	}
}

const char *hello_kind_name(enum hello_kind k)
{
	switch (k) {
	case HELLO_NEED_MORE: return "need more";
	case HELLO_SERVER_HELLO: return "ServerHello";
	case HELLO_ALERT: return "alert";
	case HELLO_SSL2_HELLO: return "SSLv2 server hello";
	case HELLO_SSL2_ERROR: return "SSLv2 error";
	case HELLO_GARBAGE: return "garbage";
	case HELLO_MALFORMED: return "malformed";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* key shares
 *
 * We never finish a handshake, so a share only has to be a valid public
 * value the server accepts while it computes its side: the RFC 7748 6.1
 * test public key for x25519, the base point u=5 for x448, the generator G
 * for the NIST curves (checked against `openssl ecparam -param_enc
 * explicit`), and y = 2 for the FFDHE groups (in [2, p-2], RFC 7919 5.1).
 */
static const uint8_t share_x25519[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc,
	0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};
static const uint8_t share_secp256r1[65] = {
	0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
	0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33,
	0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42,
	0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
	0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40,
	0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static const uint8_t share_secp384r1[97] = {
	0x04, 0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7,
	0x1e, 0xf3, 0x20, 0xad, 0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b,
	0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38, 0x55, 0x02, 0xf2,
	0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a,
	0xb7, 0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98,
	0xbf, 0x92, 0x92, 0xdc, 0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14,
	0x7c, 0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0, 0x0a, 0x60, 0xb1,
	0xce, 0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e,
	0x5f,
};
static const uint8_t share_secp521r1[133] = {
	0x04, 0x00, 0xc6, 0x85, 0x8e, 0x06, 0xb7, 0x04, 0x04, 0xe9, 0xcd, 0x9e,
	0x3e, 0xcb, 0x66, 0x23, 0x95, 0xb4, 0x42, 0x9c, 0x64, 0x81, 0x39, 0x05,
	0x3f, 0xb5, 0x21, 0xf8, 0x28, 0xaf, 0x60, 0x6b, 0x4d, 0x3d, 0xba, 0xa1,
	0x4b, 0x5e, 0x77, 0xef, 0xe7, 0x59, 0x28, 0xfe, 0x1d, 0xc1, 0x27, 0xa2,
	0xff, 0xa8, 0xde, 0x33, 0x48, 0xb3, 0xc1, 0x85, 0x6a, 0x42, 0x9b, 0xf9,
	0x7e, 0x7e, 0x31, 0xc2, 0xe5, 0xbd, 0x66, 0x01, 0x18, 0x39, 0x29, 0x6a,
	0x78, 0x9a, 0x3b, 0xc0, 0x04, 0x5c, 0x8a, 0x5f, 0xb4, 0x2c, 0x7d, 0x1b,
	0xd9, 0x98, 0xf5, 0x44, 0x49, 0x57, 0x9b, 0x44, 0x68, 0x17, 0xaf, 0xbd,
	0x17, 0x27, 0x3e, 0x66, 0x2c, 0x97, 0xee, 0x72, 0x99, 0x5e, 0xf4, 0x26,
	0x40, 0xc5, 0x50, 0xb9, 0x01, 0x3f, 0xad, 0x07, 0x61, 0x35, 0x3c, 0x70,
	0x86, 0xa2, 0x72, 0xc2, 0x40, 0x88, 0xbe, 0x94, 0x76, 0x9f, 0xd1, 0x66,
	0x50,
};

static const uint8_t share_x448[56] = {5}; /* u = 5, little-endian (RFC 7748 4.2) */

static size_t ffdhe_bytes(uint16_t g)
{
	switch (g) {
	case HELLO_GROUP_FFDHE2048: return 256;
	case HELLO_GROUP_FFDHE3072: return 384;
	case HELLO_GROUP_FFDHE4096: return 512;
	case HELLO_GROUP_FFDHE6144: return 768;
	case HELLO_GROUP_FFDHE8192: return 1024;
	default: return 0;
	}
}

/* The fixed share of a group: bytes and length; for FFDHE p == NULL and
 * *n is the length of the big-endian value 2. false if no encoding. */
static bool share_of(uint16_t g, const uint8_t **p, size_t *n)
{
	*p = NULL;
	switch (g) {
	case HELLO_GROUP_X25519: *p = share_x25519; *n = sizeof share_x25519; return true;
	case HELLO_GROUP_X448: *p = share_x448; *n = sizeof share_x448; return true;
	case HELLO_GROUP_SECP256R1: *p = share_secp256r1; *n = sizeof share_secp256r1; return true;
	case HELLO_GROUP_SECP384R1: *p = share_secp384r1; *n = sizeof share_secp384r1; return true;
	case HELLO_GROUP_SECP521R1: *p = share_secp521r1; *n = sizeof share_secp521r1; return true;
	default:
		*n = ffdhe_bytes(g);
		return *n > 0;
	}
}

bool hello_group_has_share(uint16_t g)
{
	const uint8_t *p;
	size_t n;
	return share_of(g, &p, &n);
}

/* ------------------------------------------------------------------ */
/* builder */

/* Default lists: what a broad modern-and-legacy client offers, so that a
 * server never refuses a probe for want of a group or scheme. */
static const uint16_t default_groups[] = {
	HELLO_GROUP_X25519, HELLO_GROUP_SECP256R1, HELLO_GROUP_X448, HELLO_GROUP_SECP384R1,
	HELLO_GROUP_SECP521R1, 26, 27, 28, /* brainpool r1 (RFC 7027) */
	22, 21, 19, /* secp256k1, secp224r1, secp192r1: old servers */
	HELLO_GROUP_FFDHE2048, HELLO_GROUP_FFDHE3072, HELLO_GROUP_FFDHE4096,
	HELLO_GROUP_FFDHE6144, HELLO_GROUP_FFDHE8192,
};
static const uint16_t default_sigalgs[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
	0x0401, 0x0501, 0x0601, 0x0402, 0x0502, 0x0602, 0x0303, 0x0301, 0x0302, 0x0203, 0x0201,
	0x0202,
};

void hello_opts_init(struct hello_opts *o, uint16_t version)
{
	memset(o, 0, sizeof *o);
	o->version = version;
	if (version == HELLO_SSL2 || version == HELLO_SSL3)
		return; /* no extensions: SSLv3 servers predate them (RFC 6101) */
	o->ext = HELLO_EXT_GROUPS | HELLO_EXT_POINT_FORMATS | HELLO_EXT_STATUS;
	if (version < HELLO_TLS13)
		o->ext |= HELLO_EXT_RENEG | HELLO_EXT_EMS | HELLO_EXT_TICKET;
	/* RFC 5246 7.4.1.4.1: not offered with versions below 1.2 */
	if (version >= HELLO_TLS12)
		o->ext |= HELLO_EXT_SIGALGS;
	if (version >= HELLO_TLS13) {
		o->ext |= HELLO_EXT_VERSIONS | HELLO_EXT_KEY_SHARE | HELLO_EXT_PSK_MODES;
		o->session_id_len = 32; /* RFC 8446 D.4 middlebox compatibility */
	}
}

struct wr {
	uint8_t *p;
	size_t cap, len;
	bool over;
};

static void put(struct wr *w, const void *src, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	if (src)
		memcpy(w->p + w->len, src, n);
	else
		memset(w->p + w->len, 0, n);
	w->len += n;
}

static void put8(struct wr *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(w, &b, 1);
}

static void put16(struct wr *w, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 2);
}

/* Reserve an n-byte length field; returns its position. */
static size_t open_len(struct wr *w, size_t n)
{
	size_t at = w->len;
	put(w, NULL, n);
	return at;
}

/* Patch the length field at `at` (n bytes) with the bytes written since.
 * False if the value does not fit the field. */
static bool close_len(struct wr *w, size_t at, size_t n)
{
	if (w->over)
		return false;
	size_t v = w->len - at - n;
	if (n < sizeof(size_t) && v >> (8 * n) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		w->p[at + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return true;
}

static ssize_t fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -1;
}

static ssize_t build_ssl2(const struct hello_opts *o, struct wr *w, const char **why)
{
	/* RFC 6101 E.1 / RFC 5246 E.2: 2-byte header with the high bit set,
	 * then msg_type 1, version, three lengths, cipher specs, session id,
	 * challenge. */
	uint16_t v = o->legacy_version ? o->legacy_version : HELLO_SSL2;
	size_t nk = o->ssl2_kinds ? o->nssl2_kinds : NSSL2;
	size_t nspecs = nk + o->nsuites;
	if (nspecs == 0)
		return fail(why, "no cipher specs");
	size_t sid = v >= HELLO_SSL3 ? 0 : o->session_id_len; /* E.2: empty for TLS */
	if (o->session_id_len > 32)
		return fail(why, "session id longer than 32 bytes");
	size_t body = 9 + 3 * nspecs + sid + 16;
	if (body > 0x7fff)
		return fail(why, "SSLv2 hello longer than 32767 bytes");
	put8(w, 0x80 | (unsigned)(body >> 8));
	put8(w, (unsigned)(body & 0xff));
	put8(w, 1); /* CLIENT-HELLO */
	put16(w, v);
	put16(w, (unsigned)(3 * nspecs));
	put16(w, (unsigned)sid);
	put16(w, 16); /* challenge length: 16 is what every SSLv2 client sent */
	for (size_t i = 0; i < nk; i++) {
		uint32_t k = o->ssl2_kinds ? o->ssl2_kinds[i] : ssl2_kinds[i].id;
		put8(w, (k >> 16) & 0xff);
		put16(w, k & 0xffff);
	}
	for (size_t i = 0; i < o->nsuites; i++) {
		put8(w, 0);
		put16(w, o->suites[i]);
	}
	put(w, o->session_id, sid);
	put(w, o->random, 16);
	if (w->over)
		return fail(why, "output buffer too small");
	return (ssize_t)w->len;
}

static bool ext_open(struct wr *w, uint16_t type, size_t *at)
{
	put16(w, type);
	*at = open_len(w, 2);
	return !w->over;
}

ssize_t hello_build(const struct hello_opts *o, uint8_t *out, size_t cap, const char **why)
{
	struct wr w = {.p = out, .cap = cap};
	if (why)
		*why = "";
	if (o->version == HELLO_SSL2)
		return build_ssl2(o, &w, why);
	if (o->version < HELLO_SSL3 || o->version > HELLO_TLS13)
		return fail(why, "unknown protocol version");
	if (o->nsuites == 0 || o->suites == NULL)
		return fail(why, "no cipher suites");
	if (o->nsuites > HELLO_SUITES_MAX)
		return fail(why, "too many cipher suites");
	if (o->session_id_len > 32)
		return fail(why, "session id longer than 32 bytes");
	uint16_t legacy = o->legacy_version ? o->legacy_version
	                                    : (o->version > HELLO_TLS12 ? HELLO_TLS12 : o->version);
	uint16_t recv = o->record_version ? o->record_version
	                                  : (o->version == HELLO_SSL3 ? HELLO_SSL3 : HELLO_TLS10);

	put8(&w, 22); /* handshake */
	put16(&w, recv);
	size_t rec_at = open_len(&w, 2);
	size_t hs_start = w.len;
	put8(&w, 1); /* client_hello */
	size_t hs_at = open_len(&w, 3);
	put16(&w, legacy);
	put(&w, o->random, 32);
	put8(&w, o->session_id_len);
	put(&w, o->session_id, o->session_id_len);
	size_t at = open_len(&w, 2);
	for (size_t i = 0; i < o->nsuites; i++)
		put16(&w, o->suites[i]);
	close_len(&w, at, 2);
	if (o->compression) {
		if (o->ncompression == 0 || o->ncompression > 255)
			return fail(why, "compression methods: 1..255 required");
		put8(&w, (unsigned)o->ncompression);
		put(&w, o->compression, o->ncompression);
	} else {
		put8(&w, 1);
		put8(&w, 0);
	}

	uint32_t ext = o->ext;
	if (ext != 0) {
		size_t exts_at = open_len(&w, 2);
		size_t e;
		if ((ext & HELLO_EXT_SNI) && o->sni && o->sni[0]) {
			size_t n = strlen(o->sni);
			if (n > 255)
				return fail(why, "SNI name longer than 255 bytes");
			ext_open(&w, HELLO_EXT_TYPE_SERVER_NAME, &e);
			size_t l = open_len(&w, 2);
			put8(&w, 0); /* host_name */
			put16(&w, (unsigned)n);
			put(&w, o->sni, n);
			close_len(&w, l, 2);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_POINT_FORMATS) {
			ext_open(&w, HELLO_EXT_TYPE_EC_POINT_FORMATS, &e);
			put8(&w, 1);
			put8(&w, 0); /* uncompressed, the only one left (RFC 8422 5.1.2) */
			close_len(&w, e, 2);
		}
		const uint16_t *groups = o->groups ? o->groups : default_groups;
		size_t ngroups = o->groups ? o->ngroups : sizeof default_groups / sizeof default_groups[0];
		if (ext & HELLO_EXT_GROUPS) {
			ext_open(&w, HELLO_EXT_TYPE_SUPPORTED_GROUPS, &e);
			size_t l = open_len(&w, 2);
			for (size_t i = 0; i < ngroups; i++)
				put16(&w, groups[i]);
			close_len(&w, l, 2);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_TICKET) {
			ext_open(&w, HELLO_EXT_TYPE_SESSION_TICKET, &e);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_ETM) {
			ext_open(&w, HELLO_EXT_TYPE_ENCRYPT_THEN_MAC, &e);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_EMS) {
			ext_open(&w, HELLO_EXT_TYPE_EXTENDED_MASTER_SECRET, &e);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_STATUS) {
			ext_open(&w, HELLO_EXT_TYPE_STATUS_REQUEST, &e);
			put8(&w, 1);  /* ocsp */
			put16(&w, 0); /* responder_id_list */
			put16(&w, 0); /* request_extensions */
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_SIGALGS) {
			const uint16_t *s = o->sigalgs ? o->sigalgs : default_sigalgs;
			size_t ns = o->sigalgs ? o->nsigalgs : sizeof default_sigalgs / sizeof default_sigalgs[0];
			ext_open(&w, HELLO_EXT_TYPE_SIGNATURE_ALGORITHMS, &e);
			size_t l = open_len(&w, 2);
			for (size_t i = 0; i < ns; i++)
				put16(&w, s[i]);
			close_len(&w, l, 2);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_VERSIONS) {
			const uint16_t one = o->version;
			const uint16_t *v = o->versions ? o->versions : &one;
			size_t nv = o->versions ? o->nversions : 1;
			if (nv == 0 || nv > 127)
				return fail(why, "supported_versions: 1..127 versions required");
			ext_open(&w, HELLO_EXT_TYPE_SUPPORTED_VERSIONS, &e);
			put8(&w, (unsigned)(2 * nv));
			for (size_t i = 0; i < nv; i++)
				put16(&w, v[i]);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_PSK_MODES) {
			ext_open(&w, HELLO_EXT_TYPE_PSK_KEY_EXCHANGE_MODES, &e);
			put8(&w, 1);
			put8(&w, 1); /* psk_dhe_ke */
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_KEY_SHARE) {
			uint16_t pick[1];
			const uint16_t *sh = o->shares;
			size_t nsh = o->nshares;
			if (sh == NULL) {
				/* default: one share for the first of x25519, secp256r1 offered */
				nsh = 0;
				for (size_t i = 0; i < ngroups && nsh == 0; i++)
					if (groups[i] == HELLO_GROUP_X25519 || groups[i] == HELLO_GROUP_SECP256R1)
						pick[nsh++] = groups[i];
				sh = pick;
			}
			ext_open(&w, HELLO_EXT_TYPE_KEY_SHARE, &e);
			size_t l = open_len(&w, 2);
			for (size_t i = 0; i < nsh; i++) {
				const uint8_t *kp;
				size_t kn;
				if (!share_of(sh[i], &kp, &kn))
					return fail(why, "no key share encoding for this group");
				put16(&w, sh[i]);
				put16(&w, (unsigned)kn);
				if (kp) {
					put(&w, kp, kn);
				} else { /* FFDHE: the value 2, left-padded to the size of p */
					put(&w, NULL, kn - 1);
					put8(&w, 2);
				}
			}
			close_len(&w, l, 2);
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_RENEG) {
			ext_open(&w, HELLO_EXT_TYPE_RENEGOTIATION_INFO, &e);
			put8(&w, 0); /* renegotiated_connection: empty on an initial handshake */
			close_len(&w, e, 2);
		}
		if (ext & HELLO_EXT_PADDING) {
			size_t target = o->pad_to ? o->pad_to : 512;
			size_t cur = w.len - hs_start + 4; /* the message with the padding header */
			if (!w.over && cur < target) {
				ext_open(&w, HELLO_EXT_TYPE_PADDING, &e);
				put(&w, NULL, target - cur);
				close_len(&w, e, 2);
			}
		}
		if (!close_len(&w, exts_at, 2))
			return fail(why, w.over ? "output buffer too small" : "extensions too long");
	}
	if (w.over)
		return fail(why, "output buffer too small");
	if (!close_len(&w, hs_at, 3))
		return fail(why, "handshake message too long");
	if (w.len - rec_at - 2 > HELLO_RECORD_MAX || !close_len(&w, rec_at, 2))
		return fail(why, "ClientHello does not fit in one record");
	return (ssize_t)w.len;
}

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

/* Certificate (RFC 5246 7.4.2): count the entries, check every length. */
static bool parse_certificate(const uint8_t *p, size_t n, struct hello_reply *r)
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
		case 11: ok = parse_certificate(m, mlen, r); break;
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

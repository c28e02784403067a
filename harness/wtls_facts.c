/* SPDX-License-Identifier: MIT */
/*
 * wtls_facts: the facts half of the TLS wrapper (wtls.c is the other half;
 * they share wtls_int.h). Owns certificate facts (names, dates, key, SANs,
 * fingerprint), the host match (RFC 9525), explicit verification whose
 * callback records the first failure and returns 1, and the negotiated
 * facts collected after the handshake. Functions: wtls_facts_* (wtls_int.h).
 * Invariants: only wtls.c, this file and cert.c include wolfSSL; nothing
 * here does I/O or prints; a truncated or odd name never matches.
 */
#include "wtls_int.h"

#include <wolfssl/openssl/evp.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "util.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- names */

/* An IP literal per inet_pton (brackets around IPv6 allowed): SNI must not
 * carry one (RFC 6066 section 3) and it matches only iPAddress SANs. */
int wtls_facts_parse_ip(const char *s, uint8_t out[16])
{
	char tmp[64];
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (n - 2 >= sizeof tmp)
			return 0;
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		s = tmp;
	}
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 16;
	return 0;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ldh(char c)
{
	/* Letters, digits, hyphen; underscore too because real SMTP hosts use it. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

/* Copy a DNS name without one trailing dot; false if it is not a plain
 * sequence of non-empty LDH labels (allow_star: '*' may appear, the caller
 * enforces where). */
static bool dns_norm(const char *in, char *out, size_t outlen, bool allow_star)
{
	size_t n = strlen(in);
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen)
		return false;
	bool label_start = true;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '.') {
			if (label_start)
				return false; /* empty label */
			label_start = true;
		} else if (ldh(c) || (allow_star && c == '*')) {
			label_start = false;
		} else {
			return false;
		}
		out[i] = lower(c);
	}
	if (label_start)
		return false;
	out[n] = '\0';
	return true;
}

/*
 * RFC 9525 section 6.3 (and RFC 6125 6.4.3 as tightened by it): a wildcard
 * is only the complete left-most label and matches exactly one non-empty
 * label; partial-label wildcards ("w*.example.com") and wildcards anywhere
 * else never match. "*.tld" (one label after the star) is refused as well.
 */
static bool dns_match(const char *pattern, const char *host)
{
	char p[256], h[256];
	if (!dns_norm(pattern, p, sizeof p, true) || !dns_norm(host, h, sizeof h, false))
		return false;
	char *star = strchr(p, '*');
	if (star == NULL)
		return strcmp(p, h) == 0;
	if (star != p || p[1] != '.' || strchr(p + 1, '*') != NULL)
		return false;
	const char *prest = p + 2;
	if (strchr(prest, '.') == NULL)
		return false;
	const char *hdot = strchr(h, '.');
	if (hdot == NULL || hdot == h)
		return false;
	return strcmp(hdot + 1, prest) == 0;
}

static bool san_match(const char *san, const char *name)
{
	uint8_t ref[16], got[16];
	int reflen = wtls_facts_parse_ip(name, ref);
	if (strncmp(san, "IP:", 3) == 0) {
		if (reflen == 0)
			return false;
		int gotlen = wtls_facts_parse_ip(san + 3, got);
		return gotlen == reflen && memcmp(ref, got, (size_t)reflen) == 0;
	}
	if (strncmp(san, "DNS:", 4) == 0)
		return reflen == 0 && dns_match(san + 4, name);
	return false;
}

/* No CN fallback: RFC 9525 section 6.3 retired CN-IDs; a certificate
 * without a matching SAN does not match. */
bool wtls_facts_host_match(const struct wtls_cert *leaf, const char *name)
{
	if (leaf == NULL || name == NULL || name[0] == '\0')
		return false;
	for (size_t i = 0; i < leaf->nsan && i < WTLS_SAN_MAX; i++)
		if (san_match(leaf->san[i], name))
			return true;
	return false;
}

/* ---------------------------------------------------------------- cert facts */

/* RFC 4514-ish text of a name: most specific RDN first ("CN=x, O=y"),
 * special and non-printable characters escaped so the line stays one line. */
static void name_text(WOLFSSL_X509_NAME *n, char *out, size_t outlen)
{
	struct buf b = {0};
	int cnt = n ? wolfSSL_X509_NAME_entry_count(n) : 0;
	for (int i = cnt - 1; i >= 0; i--) {
		WOLFSSL_X509_NAME_ENTRY *e = wolfSSL_X509_NAME_get_entry(n, i);
		if (e == NULL)
			continue;
		WOLFSSL_ASN1_OBJECT *o = wolfSSL_X509_NAME_ENTRY_get_object(e);
		int nid = o ? wolfSSL_OBJ_obj2nid(o) : 0;
		const char *sn = nid ? wolfSSL_OBJ_nid2sn(nid) : NULL;
		WOLFSSL_ASN1_STRING *d = wolfSSL_X509_NAME_ENTRY_get_data(e);
		const unsigned char *v = d ? wolfSSL_ASN1_STRING_data(d) : NULL;
		int vlen = d ? wolfSSL_ASN1_STRING_length(d) : 0;
		if (b.len)
			buf_append(&b, ", ", 2);
		buf_appendf(&b, "%s=", sn ? sn : "?");
		for (int k = 0; v && k < vlen; k++) {
			unsigned char c = v[k];
			if (c < 0x20 || c >= 0x7f)
				buf_appendf(&b, "\\%02X", c);
			else if (strchr(",+\"\\<>;=", c) != NULL)
				buf_appendf(&b, "\\%c", c);
			else
				buf_append(&b, &c, 1);
		}
	}
	snprintf(out, outlen, "%s", b.len ? buf_cstr(&b) : "");
	buf_free(&b);
}

/* Days from 1970-01-01 for a proleptic Gregorian date (no timegm needed). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t asn1_time_epoch(const WOLFSSL_ASN1_TIME *at)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (at == NULL || wolfSSL_ASN1_TIME_to_tm(at, &tm) != WOLFSSL_SUCCESS)
		return 0;
	return days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static void san_add(struct wtls_cert *c, const char *prefix, const char *val)
{
	if (c->nsan >= WTLS_SAN_MAX)
		return;
	size_t cap = sizeof c->san[0];
	int n = snprintf(c->san[c->nsan], cap, "%s%s", prefix, val);
	/* A truncated name must never match: end it in "..." (empty labels). */
	if (n < 0 || (size_t)n >= cap)
		memcpy(c->san[c->nsan] + cap - 4, "...", 4);
	c->nsan++;
}

static void sans_collect(WOLFSSL_X509 *x, struct wtls_cert *c)
{
	WOLFSSL_GENERAL_NAMES *gns = wolfSSL_X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gns == NULL)
		return;
	int num = wolfSSL_sk_GENERAL_NAME_num(gns);
	for (int i = 0; i < num; i++) {
		WOLFSSL_GENERAL_NAME *gn = wolfSSL_sk_GENERAL_NAME_value(gns, i);
		if (gn == NULL)
			continue;
		if (gn->type == ASN_DNS_TYPE && gn->d.dNSName != NULL) {
			const unsigned char *p = wolfSSL_ASN1_STRING_data(gn->d.dNSName);
			int len = wolfSSL_ASN1_STRING_length(gn->d.dNSName);
			/* Escape rather than trust: an embedded NUL or odd byte
			 * (CVE-2009-2408 style) must show and must not match. */
			char *esc = escape_bytes(p ? p : (const uint8_t *)"", p && len > 0 ? (size_t)len : 0);
			san_add(c, "DNS:", esc);
			free(esc);
		} else if (gn->type == ASN_IP_TYPE && gn->d.iPAddress != NULL) {
			const unsigned char *p = wolfSSL_ASN1_STRING_data(gn->d.iPAddress);
			int len = wolfSSL_ASN1_STRING_length(gn->d.iPAddress);
			char txt[INET6_ADDRSTRLEN] = "?";
			if (p && len == 4)
				inet_ntop(AF_INET, p, txt, sizeof txt);
			else if (p && len == 16)
				inet_ntop(AF_INET6, p, txt, sizeof txt);
			san_add(c, "IP:", txt);
		}
	}
	wolfSSL_sk_GENERAL_NAME_pop_free(gns, wolfSSL_GENERAL_NAME_free);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void key_facts(WOLFSSL_X509 *x, struct wtls_cert *c)
{
	const char *kt = "unknown";
	switch (wolfSSL_X509_get_pubkey_type(x)) {
	case RSAk: kt = "RSA"; break;
	case ECDSAk: kt = "EC"; break;
	case ED25519k: kt = "Ed25519"; break;
	case ED448k: kt = "Ed448"; break;
	case DSAk: kt = "DSA"; break;
	default: break;
	}
	snprintf(c->key_type, sizeof c->key_type, "%s", kt);
	WOLFSSL_EVP_PKEY *pk = wolfSSL_X509_get_pubkey(x);
	if (pk != NULL) {
		c->key_bits = wolfSSL_EVP_PKEY_bits(pk);
		if (c->key_bits < 0)
			c->key_bits = 0;
		wolfSSL_EVP_PKEY_free(pk);
	}
}

/* OpenSSL's long names (what openssl x509 -text prints); wolfSSL's own
 * differ ("sha256WithECDSA") and reports should read the same whatever
 * library a reader knows. NIDs are OpenSSL's numbers in wolfSSL too. */
static const char *sig_alg_name(int nid)
{
	switch (nid) {
	case 0: return "unknown";
	case 8: return "md5WithRSAEncryption";
	case 65: return "sha1WithRSAEncryption";
	case 671: return "sha224WithRSAEncryption";
	case 668: return "sha256WithRSAEncryption";
	case 669: return "sha384WithRSAEncryption";
	case 670: return "sha512WithRSAEncryption";
	case 912: return "rsassaPss";
	case 416: return "ecdsa-with-SHA1";
	case 793: return "ecdsa-with-SHA224";
	case 794: return "ecdsa-with-SHA256";
	case 795: return "ecdsa-with-SHA384";
	case 796: return "ecdsa-with-SHA512";
	case 1087: return "ED25519";
	case 1088: return "ED448";
	default: {
		const char *ln = wolfSSL_OBJ_nid2ln(nid);
		return ln ? ln : "unknown";
	}
	}
}

int wtls_digest_hex(int bits, const uint8_t *data, size_t len, char *out, size_t outlen)
{
	uint8_t d[WC_SHA512_DIGEST_SIZE];
	if (len > UINT32_MAX || outlen < (size_t)bits / 4 + 1)
		return -1;
	if (bits == 256 && wc_Sha256Hash(data, (word32)len, d) == 0) {
		hex(d, WC_SHA256_DIGEST_SIZE, out);
		return 0;
	}
	if (bits == 512 && wc_Sha512Hash(data, (word32)len, d) == 0) {
		hex(d, WC_SHA512_DIGEST_SIZE, out);
		return 0;
	}
	return -1;
}

/* One DER TLV at p[*off..len): its tag, and where its content starts and
 * ends. 0 ok, -1 truncated or a length form DER does not allow. */
static int der_tlv(const uint8_t *p, size_t len, size_t *off, uint8_t *tag, size_t *start,
                   size_t *end)
{
	size_t i = *off;
	if (i + 2 > len)
		return -1;
	*tag = p[i++];
	size_t n = p[i++];
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 4 || i + k > len)
			return -1;
		n = 0;
		while (k--)
			n = n << 8 | p[i++];
	}
	if (n > len - i)
		return -1;
	*start = i;
	*end = i + n;
	*off = i + n;
	return 0;
}

/* The SubjectPublicKeyInfo as it is encoded in the certificate (RFC 5280
 * 4.1: Certificate > TBSCertificate > [0] version?, serial, signature,
 * issuer, validity, subject, SPKI), which is what DANE selector 1 hashes
 * (RFC 6698 2.1.3): found by walking the TLVs, never re-encoded. */
static int cert_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *spkilen)
{
	size_t off = 0, s, e, ts, te;
	uint8_t tag;
	if (der_tlv(der, len, &off, &tag, &s, &e) || tag != 0x30)
		return -1;
	off = s;
	if (der_tlv(der, e, &off, &tag, &ts, &te) || tag != 0x30)
		return -1;
	off = ts;
	size_t fs, fe, at = off;
	if (der_tlv(der, te, &off, &tag, &fs, &fe))
		return -1;
	if (tag != 0xa0)
		off = at; /* no version field: v1 */
	for (int field = 0; field < 5; field++) /* serial, signature, issuer, validity, subject */
		if (der_tlv(der, te, &off, &tag, &fs, &fe))
			return -1;
	at = off;
	if (der_tlv(der, te, &off, &tag, &fs, &fe) || tag != 0x30)
		return -1;
	*spki = der + at;
	*spkilen = fe - at;
	return 0;
}

/* The digests DANE matches against: the DER's SHA-512, the SPKI's
 * SHA-256/512. */
static void dane_digests(const uint8_t *der, size_t derlen, struct wtls_cert *c)
{
	const uint8_t *spki;
	size_t n;
	if (der == NULL)
		return;
	wtls_digest_hex(512, der, derlen, c->sha512, sizeof c->sha512);
	if (cert_spki(der, derlen, &spki, &n) == 0) {
		wtls_digest_hex(256, spki, n, c->spki_sha256, sizeof c->spki_sha256);
		wtls_digest_hex(512, spki, n, c->spki_sha512, sizeof c->spki_sha512);
	}
}

/* Fill c from a parsed certificate; der is its encoding (for the hash). */
static void cert_facts(WOLFSSL_X509 *x, const uint8_t *der, size_t derlen, struct wtls_cert *c)
{
	memset(c, 0, sizeof *c);
	uint8_t digest[WC_SHA256_DIGEST_SIZE];
	if (der != NULL && derlen <= UINT32_MAX && wc_Sha256Hash(der, (word32)derlen, digest) == 0)
		hex(digest, sizeof digest, c->sha256);
	if (x == NULL) {
		snprintf(c->subject, sizeof c->subject, "(unparsable certificate)");
		return;
	}
	WOLFSSL_X509_NAME *sub = wolfSSL_X509_get_subject_name(x);
	WOLFSSL_X509_NAME *iss = wolfSSL_X509_get_issuer_name(x);
	name_text(sub, c->subject, sizeof c->subject);
	name_text(iss, c->issuer, sizeof c->issuer);
	c->not_before = asn1_time_epoch(wolfSSL_X509_get_notBefore(x));
	c->not_after = asn1_time_epoch(wolfSSL_X509_get_notAfter(x));
	key_facts(x, c);
	snprintf(c->sig_alg, sizeof c->sig_alg, "%s", sig_alg_name(wolfSSL_X509_get_signature_nid(x)));
	if (sub && iss && wolfSSL_X509_NAME_cmp(sub, iss) == 0) {
		WOLFSSL_EVP_PKEY *pk = wolfSSL_X509_get_pubkey(x);
		c->self_signed = pk != NULL && wolfSSL_X509_verify(x, pk) == WOLFSSL_SUCCESS;
		wolfSSL_EVP_PKEY_free(pk);
	}
	sans_collect(x, c);
	dane_digests(der, derlen, c);
}

int wtls_facts_cert_from_der(const uint8_t *der, size_t len, struct wtls_cert *out)
{
	if (len > INT_MAX)
		return -1;
	WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer(der, (int)len, WOLFSSL_FILETYPE_ASN1);
	cert_facts(x, der, len, out);
	wolfSSL_X509_free(x);
	return x ? 0 : -1;
}

int wtls_facts_cert_from_pem(const char *pem, size_t len, struct wtls_cert *out)
{
	if (len > INT_MAX)
		return -1;
	WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer((const unsigned char *)pem, (int)len,
	                                                      WOLFSSL_FILETYPE_PEM);
	if (x == NULL) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	int derlen = 0;
	const unsigned char *der = wolfSSL_X509_get_der(x, &derlen);
	cert_facts(x, der, der && derlen > 0 ? (size_t)derlen : 0, out);
	wolfSSL_X509_free(x);
	return 0;
}

/* ---------------------------------------------------------------- verify */

/* OpenSSL's wording for the X509_V_ERR_* codes wolfSSL reports (this build
 * has WOLFSSL_ERROR_CODE_OPENSSL), so reports read like openssl s_client's. */
static const char *verify_code_text(int code)
{
	switch (code) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: return "unable to get issuer certificate";
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: return "unable to decrypt certificate's signature";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE: return "certificate signature failure";
	case X509_V_ERR_CERT_NOT_YET_VALID: return "certificate is not yet valid";
	case X509_V_ERR_CERT_HAS_EXPIRED: return "certificate has expired";
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD: return "format error in certificate's notBefore field";
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD: return "format error in certificate's notAfter field";
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return "self-signed certificate";
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "self-signed certificate in certificate chain";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: return "unable to get local issuer certificate";
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return "unable to verify the first certificate";
	case X509_V_ERR_CERT_CHAIN_TOO_LONG: return "certificate chain too long";
	case X509_V_ERR_CERT_REVOKED: return "certificate revoked";
	case X509_V_ERR_INVALID_CA: return "invalid CA certificate";
	case X509_V_ERR_PATH_LENGTH_EXCEEDED: return "path length constraint exceeded";
	case X509_V_ERR_INVALID_PURPOSE: return "unsupported certificate purpose";
	case X509_V_ERR_CERT_UNTRUSTED: return "certificate not trusted";
	case X509_V_ERR_CERT_REJECTED: return "certificate rejected";
	default: return NULL;
	}
}

static void verify_error_text(int code, char *out, size_t outlen)
{
	const char *s = verify_code_text(code);
	if (s != NULL) {
		snprintf(out, outlen, "%s", s);
		return;
	}
	if (code < 0) {
		/* A wolfSSL/wolfCrypt code that had no OpenSSL equivalent. */
		char reason[WOLFSSL_MAX_ERROR_SZ];
		wolfSSL_ERR_error_string_n((unsigned long)code, reason, sizeof reason);
		snprintf(out, outlen, "%s (%d)", reason, code);
		return;
	}
	snprintf(out, outlen, "certificate verify error %d", code);
}

/* Records the first failure and always returns 1: stark reports trust as a
 * fact and keeps testing the protocol after a bad certificate. */
int wtls_facts_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct wtls *t = store ? store->userCtx : NULL;
	if (t == NULL || preverify)
		return 1;
	if (!t->verify_failed) {
		char txt[128];
		int code = wolfSSL_X509_STORE_CTX_get_error(store);
		int depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
		/* wolfSSL 5.5 reports an expired / not yet valid certificate
		 * as a notAfter / notBefore *format* error (X509_V_ERR 14 /
		 * 13): look at the dates to say what really happened. */
		if (code == X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD ||
		    code == X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD) {
			WOLFSSL_X509 *x = wolfSSL_X509_STORE_CTX_get_current_cert(store);
			int64_t now = (int64_t)time(NULL);
			if (x != NULL) {
				int64_t nb = asn1_time_epoch(wolfSSL_X509_get_notBefore(x));
				int64_t na = asn1_time_epoch(wolfSSL_X509_get_notAfter(x));
				if (na != 0 && na < now)
					code = X509_V_ERR_CERT_HAS_EXPIRED;
				else if (nb != 0 && nb > now)
					code = X509_V_ERR_CERT_NOT_YET_VALID;
			}
		}
		verify_error_text(code, txt, sizeof txt);
		snprintf(t->facts.verify_error, sizeof t->facts.verify_error, "%s (depth %d)", txt, depth);
		t->verify_failed = true;
	}
	return 1;
}

/* ---------------------------------------------------------------- negotiated facts */

/* Peer certificates as sent, leaf first (SESSION_CERTS keeps them). */
static void collect_chain(struct wtls *t)
{
	WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(t->ssl);
	int cnt = ch ? wolfSSL_get_chain_count(ch) : 0;
	t->facts.nchain = 0;
	for (int i = 0; i < cnt && i < WTLS_CHAIN_MAX; i++) {
		unsigned char *der = wolfSSL_get_chain_cert(ch, i);
		int len = wolfSSL_get_chain_length(ch, i);
		if (der == NULL || len <= 0)
			continue;
		wtls_facts_cert_from_der(der, (size_t)len, &t->facts.chain[t->facts.nchain++]);
	}
}

void wtls_facts_collect(struct wtls *t, bool ok)
{
	struct wtls_facts *f = &t->facts;
	f->handshake_ok = ok;
	if (ok) {
		const char *v = wolfSSL_get_version(t->ssl);
		snprintf(f->version, sizeof f->version, "%s", v ? v : "");
		/* IANA name when wolfSSL knows it (unambiguous across 1.2/1.3),
		 * else wolfSSL's own. */
		int cs = wolfSSL_get_current_cipher_suite(t->ssl);
		const char *cn = wolfSSL_get_cipher_name_iana_from_suite((unsigned char)((cs >> 8) & 0xff),
		                                                        (unsigned char)(cs & 0xff));
		if (cn == NULL || *cn == '\0' || strcmp(cn, "None") == 0)
			cn = wolfSSL_get_cipher_name(t->ssl);
		snprintf(f->cipher, sizeof f->cipher, "%s", cn ? cn : "");
		const char *g = wolfSSL_get_curve_name(t->ssl);
		snprintf(f->group, sizeof f->group, "%s", g ? g : "");
	}
	collect_chain(t);

	bool peer_verified = t->role == WTLS_CLIENT || t->have_ca;
	if (!peer_verified) {
		/* A server that asked for no client certificate verified
		 * nothing: no verdict to report, so no error text either. */
		f->verify_ok = false;
	} else if (f->nchain == 0) {
		f->verify_ok = false;
		if (!t->verify_failed)
			snprintf(f->verify_error, sizeof f->verify_error, "no peer certificate");
	} else if (!t->have_ca) {
		f->verify_ok = false;
		snprintf(f->verify_error, sizeof f->verify_error, "no trust anchors configured");
	} else {
		f->verify_ok = ok && !t->verify_failed;
		if (!f->verify_ok && !t->verify_failed)
			snprintf(f->verify_error, sizeof f->verify_error, "handshake did not complete");
	}
	if (f->verify_ok)
		f->verify_error[0] = '\0';
	f->host_ok = t->role == WTLS_CLIENT && f->nchain > 0 &&
	             wtls_facts_host_match(&f->chain[0], f->servername);
}

/* ---- raw RSA with a certificate's key (the ROBOT battery) ---------------- */

/* The certificate's RSA public key into *key (initialised; the caller
 * frees it). -1 if the DER does not parse or the key is not RSA. */
static int rsa_pub(const uint8_t *der, size_t len, RsaKey *key)
{
	if (len == 0 || len > INT32_MAX)
		return -1;
	DecodedCert *dc = xmalloc(sizeof *dc);
	wc_InitDecodedCert(dc, der, (word32)len, NULL);
	int rc = -1;
	if (wc_ParseCert(dc, CERT_TYPE, NO_VERIFY, NULL) == 0 && dc->keyOID == RSAk &&
	    dc->publicKey != NULL && wc_InitRsaKey(key, NULL) == 0) {
		word32 idx = 0;
		if (wc_RsaPublicKeyDecode(dc->publicKey, &idx, key, dc->pubKeySize) == 0)
			rc = 0;
		else
			wc_FreeRsaKey(key);
	}
	wc_FreeDecodedCert(dc);
	free(dc);
	return rc;
}

size_t wtls_cert_rsa_modulus_bytes(const uint8_t *cert_der, size_t len)
{
	RsaKey key;
	if (rsa_pub(cert_der, len, &key) != 0)
		return 0;
	int n = wc_RsaEncryptSize(&key);
	wc_FreeRsaKey(&key);
	return n > 0 ? (size_t)n : 0;
}

int wtls_cert_rsa_encrypt_raw(const uint8_t *cert_der, size_t len, const uint8_t *in, size_t inlen,
                         uint8_t *out, size_t outlen)
{
	RsaKey key;
	if (rsa_pub(cert_der, len, &key) != 0)
		return -1;
	int rc = -1;
	int k = wc_RsaEncryptSize(&key);
	word32 olen = (word32)outlen;
	if (k > 0 && inlen == (size_t)k && outlen >= (size_t)k &&
	    wc_RsaFunction(in, (word32)inlen, out, &olen, RSA_PUBLIC_ENCRYPT, &key, NULL) == 0 &&
	    olen == (word32)k)
		rc = 0;
	wc_FreeRsaKey(&key);
	return rc;
}

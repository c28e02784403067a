/* SPDX-License-Identifier: MIT */
/*
 * cert: test certificates made in-process with wolfCrypt. A cert_set holds the
 * stark CA, an intermediate and an unrelated CA (ECDSA P-256, made at
 * cert_set_new) and makes each leaf variant once, on first cert_set_get; also
 * variant names and cert_set_write_dir. Invariants: one mutex per set guards
 * its RNG and cache; RSA keys only for the variants that need them.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "cert.h"
#include "util.h"
#include "wtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DAY 86400
#define DER_MAX 8192 /* a leaf with a few SANs and an RSA-2048 key is ~1.2 KB */

static const char *const variant_names[CERT__COUNT] = {
	[CERT_GOOD] = "good",
	[CERT_GOOD_RSA] = "good-rsa",
	[CERT_EXPIRED] = "expired",
	[CERT_NOT_YET_VALID] = "not-yet-valid",
	[CERT_WRONG_HOST] = "wrong-host",
	[CERT_SELF_SIGNED] = "self-signed",
	[CERT_UNKNOWN_CA] = "unknown-ca",
	[CERT_NO_INTERMEDIATE] = "no-intermediate",
	[CERT_CHAIN] = "chain",
	[CERT_RSA1024] = "rsa1024",
	[CERT_SHA1] = "sha1",
	[CERT_BAD_WILDCARD] = "bad-wildcard",
	[CERT_ECDSA] = "ecdsa",
	[CERT_SELF_SIGNED_RSA] = "self-signed-rsa",
};

/* An issuing CA: its key (to sign) and certificate (PEM for chains). */
struct ca {
	ecc_key key;
	bool key_init;
	char *pem;
	uint8_t *der;
	int derlen;
};

struct cert_set {
	pthread_mutex_t mu;
	char *servername;
	WC_RNG rng;
	bool rng_init;
	struct ca root, inter, unknown;
	struct cert_pem v[CERT__COUNT];
	char err[256];
};

const char *cert_variant_name(enum cert_variant v)
{
	return (unsigned)v < CERT__COUNT ? variant_names[v] : "unknown";
}

int cert_variant_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < CERT__COUNT; i++)
		if (strcmp(name, variant_names[i]) == 0)
			return i;
	return -1;
}

const char *cert_set_error(const struct cert_set *cs)
{
	return cs->err;
}

static void set_err(struct cert_set *cs, const char *what, int rc)
{
	snprintf(cs->err, sizeof cs->err, "%s: %s (%d)", what, wc_GetErrorString(rc), rc);
}

/* ---------------------------------------------------------------- DER bits */

static size_t der_len(uint8_t *out, size_t n)
{
	if (n < 0x80) {
		out[0] = (uint8_t)n;
		return 1;
	}
	if (n <= 0xff) {
		out[0] = 0x81;
		out[1] = (uint8_t)n;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	return 3;
}

/* A validity bound as wolfCrypt wants it in Cert.beforeDate/afterDate: the
 * whole TLV. RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
static int der_time(int64_t t, uint8_t *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	char s[20];
	int year = tm.tm_year + 1900, n;
	if (year >= 1950 && year < 2050)
		n = snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1, tm.tm_mday,
		             tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		n = snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
		             tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= sizeof s)
		return -1;
	out[0] = (year >= 1950 && year < 2050) ? 0x17 : 0x18;
	out[1] = (uint8_t)n;
	memcpy(out + 2, s, (size_t)n);
	return n + 2;
}

/* ---------------------------------------------------------------- one certificate */

struct spec {
	const char *cn;
	bool is_ca;
	int64_t not_before, not_after;
	const char *dns[4];
	size_t ndns;
	const char *ip[4]; /* textual, parsed here */
	size_t nip;
	int key_type; /* ECC_TYPE / RSA_TYPE: the subject key */
	void *key;
	int sig_type;    /* CTC_*: how the issuer signs */
	struct ca *issuer; /* NULL: self-signed with key */
};

/* GeneralNames DER (RFC 5280 4.2.1.6) into Cert.altNames: [2] dNSName,
 * [7] iPAddress. wolfCrypt puts it as is into the SAN extension. */
static int set_altnames(Cert *c, const struct spec *s)
{
	uint8_t body[2048];
	size_t n = 0;
	for (size_t i = 0; i < s->ndns; i++) {
		size_t l = strlen(s->dns[i]);
		if (l > 255 || n + l + 4 > sizeof body)
			return -1;
		body[n++] = 0x82;
		n += der_len(body + n, l);
		memcpy(body + n, s->dns[i], l);
		n += l;
	}
	for (size_t i = 0; i < s->nip; i++) {
		uint8_t a[16];
		size_t l = 0;
		if (inet_pton(AF_INET, s->ip[i], a) == 1)
			l = 4;
		else if (inet_pton(AF_INET6, s->ip[i], a) == 1)
			l = 16;
		if (l == 0 || n + l + 2 > sizeof body)
			return -1;
		body[n++] = 0x87;
		body[n++] = (uint8_t)l;
		memcpy(body + n, a, l);
		n += l;
	}
	if (n == 0)
		return 0;
	if (n + 4 > sizeof c->altNames)
		return -1;
	size_t h = 0;
	c->altNames[h++] = 0x30;
	h += der_len(c->altNames + h, n);
	memcpy(c->altNames + h, body, n);
	c->altNamesSz = (int)(h + n);
	return 0;
}

static int pem_of(const uint8_t *der, size_t len, int type, char **out)
{
	size_t cap = len * 2 + 256;
	char *pem = xmalloc(cap + 1);
	int n = wc_DerToPem(der, (word32)len, (byte *)pem, (word32)cap, type);
	if (n <= 0) {
		free(pem);
		return n < 0 ? n : -1;
	}
	pem[n] = '\0';
	*out = pem;
	return 0;
}

static int random_serial(struct cert_set *cs, Cert *c)
{
	/* RFC 5280 4.1.2.2: positive, at most 20 octets; 16 random bytes with
	 * the top bit clear and a non-zero first byte keep DER minimal. */
	int rc = wc_RNG_GenerateBlock(&cs->rng, c->serial, 16);
	if (rc != 0)
		return rc;
	c->serial[0] = (uint8_t)((c->serial[0] & 0x7f) | 0x40);
	c->serialSz = 16;
	return 0;
}

/* Fill and sign c per s into der; returns the DER length, or a negative
 * wolfCrypt code with *what naming the step that failed. */
static int build_cert(struct cert_set *cs, const struct spec *s, Cert *c, uint8_t *der, const char **what)
{
	int rc;
	*what = "wc_InitCert";
	if ((rc = wc_InitCert(c)) != 0)
		return rc;
	c->sigType = s->sig_type;
	c->isCA = s->is_ca ? 1 : 0;
	/* RFC 5280 ub-common-name is 64: a longer name lives in the SAN only. */
	snprintf(c->subject.commonName, sizeof c->subject.commonName, "%.*s", CTC_NAME_SIZE - 1, s->cn);
	c->subject.commonNameEnc = CTC_UTF8;
	snprintf(c->subject.org, sizeof c->subject.org, "stark");
	c->subject.orgEnc = CTC_UTF8;
	*what = "serial";
	if ((rc = random_serial(cs, c)) != 0)
		return rc;
	*what = "validity";
	int bn = der_time(s->not_before, c->beforeDate), an = der_time(s->not_after, c->afterDate);
	if (bn < 0 || an < 0)
		return BAD_FUNC_ARG;
	c->beforeDateSz = bn;
	c->afterDateSz = an;
	*what = "subjectAltName";
	if (set_altnames(c, s) != 0)
		return BUFFER_E;
	*what = "keyUsage";
	const char *ku = s->is_ca ? "keyCertSign,cRLSign,digitalSignature"
	                 : s->key_type == RSA_TYPE ? "digitalSignature,keyEncipherment"
	                                           : "digitalSignature";
	if ((rc = wc_SetKeyUsage(c, ku)) != 0)
		return rc;
	*what = "extKeyUsage";
	if (!s->is_ca && (rc = wc_SetExtKeyUsage(c, "serverAuth,clientAuth")) != 0)
		return rc;
	*what = "subjectKeyIdentifier";
	if ((rc = wc_SetSubjectKeyIdFromPublicKey_ex(c, s->key_type, s->key)) != 0)
		return rc;
	int sign_type = s->key_type;
	void *sign_key = s->key;
	if (s->issuer != NULL) {
		/* The issuer name comes from the issuer's own certificate so
		 * the chain links byte for byte. */
		*what = "issuer";
		if ((rc = wc_SetIssuerBuffer(c, s->issuer->der, s->issuer->derlen)) != 0)
			return rc;
		sign_type = ECC_TYPE;
		sign_key = &s->issuer->key;
	} else {
		c->selfSigned = 1;
	}
	*what = "authorityKeyIdentifier";
	if ((rc = wc_SetAuthKeyIdFromPublicKey_ex(c, sign_type, sign_key)) != 0)
		return rc;
	*what = "wc_MakeCert_ex";
	if ((rc = wc_MakeCert_ex(c, der, DER_MAX, s->key_type, s->key, &cs->rng)) < 0)
		return rc;
	*what = "wc_SignCert_ex";
	return wc_SignCert_ex(c->bodySz, c->sigType, der, DER_MAX, sign_type, sign_key, &cs->rng);
}

/* Make one certificate per s: PEM into *pem_out, DER into *der_out (if
 * wanted, for issuers). 0 ok, -1 with cs->err set. */
static int make_cert(struct cert_set *cs, const struct spec *s, char **pem_out, uint8_t **der_out,
                     int *derlen_out)
{
	Cert *c = xcalloc(1, sizeof *c); /* ~30 KB: not on the stack */
	uint8_t *der = xmalloc(DER_MAX);
	const char *what = "";
	int n = build_cert(cs, s, c, der, &what);
	int rc = n;
	if (n > 0) {
		what = "wc_DerToPem";
		rc = pem_of(der, (size_t)n, CERT_TYPE, pem_out);
	}
	free(c);
	if (rc != 0) {
		set_err(cs, what, rc);
		free(der);
		return -1;
	}
	if (der_out != NULL) {
		*der_out = der;
		*derlen_out = n;
	} else {
		free(der);
	}
	return 0;
}

static int ecc_new(struct cert_set *cs, ecc_key *k)
{
	int rc = wc_ecc_init(k);
	if (rc == 0 && (rc = wc_ecc_make_key_ex(&cs->rng, 32, k, ECC_SECP256R1)) != 0)
		wc_ecc_free(k);
	if (rc != 0)
		set_err(cs, "ECC key generation", rc);
	return rc ? -1 : 0;
}

static int ecc_key_pem(struct cert_set *cs, ecc_key *k, char **out)
{
	uint8_t der[512];
	int n = wc_EccKeyToDer(k, der, sizeof der);
	if (n <= 0 || pem_of(der, (size_t)n, ECC_PRIVATEKEY_TYPE, out) != 0) {
		set_err(cs, "ECC key encoding", n);
		return -1;
	}
	return 0;
}

static int rsa_key_pem(struct cert_set *cs, RsaKey *k, char **out)
{
	uint8_t der[4096];
	int n = wc_RsaKeyToDer(k, der, sizeof der);
	if (n <= 0 || pem_of(der, (size_t)n, PRIVATEKEY_TYPE, out) != 0) {
		set_err(cs, "RSA key encoding", n);
		return -1;
	}
	return 0;
}

static int make_ca(struct cert_set *cs, struct ca *ca, const char *cn, struct ca *issuer, int64_t now)
{
	if (ecc_new(cs, &ca->key) != 0)
		return -1;
	ca->key_init = true;
	struct spec s = {
		.cn = cn,
		.is_ca = true,
		.not_before = now - DAY,
		.not_after = now + 3650 * (int64_t)DAY,
		.key_type = ECC_TYPE,
		.key = &ca->key,
		.sig_type = CTC_SHA256wECDSA,
		.issuer = issuer,
	};
	return make_cert(cs, &s, &ca->pem, &ca->der, &ca->derlen);
}

/* ---------------------------------------------------------------- the set */

struct cert_set *cert_set_new(const char *servername)
{
	if (servername == NULL || servername[0] == '\0' || strlen(servername) > 253)
		return NULL;
	if (wtls_global_init() != 0) /* wolfSSL_Init also initialises wolfCrypt */
		return NULL;
	struct cert_set *cs = xcalloc(1, sizeof *cs);
	pthread_mutex_init(&cs->mu, NULL);
	cs->servername = xstrdup(servername);
	if (wc_InitRng(&cs->rng) != 0) {
		cert_set_free(cs);
		return NULL;
	}
	cs->rng_init = true;
	int64_t now = (int64_t)time(NULL);
	if (make_ca(cs, &cs->root, "stark test CA", NULL, now) != 0 ||
	    make_ca(cs, &cs->inter, "stark test intermediate CA", &cs->root, now) != 0 ||
	    make_ca(cs, &cs->unknown, "stark unknown CA", NULL, now) != 0) {
		cert_set_free(cs);
		return NULL;
	}
	return cs;
}

static void ca_free(struct ca *ca)
{
	if (ca->key_init)
		wc_ecc_free(&ca->key);
	free(ca->pem);
	free(ca->der);
}

void cert_set_free(struct cert_set *cs)
{
	if (cs == NULL)
		return;
	ca_free(&cs->root);
	ca_free(&cs->inter);
	ca_free(&cs->unknown);
	for (int i = 0; i < CERT__COUNT; i++) {
		free(cs->v[i].chain);
		free(cs->v[i].key);
	}
	if (cs->rng_init)
		wc_FreeRng(&cs->rng);
	pthread_mutex_destroy(&cs->mu);
	free(cs->servername);
	free(cs);
}

const char *cert_set_ca_pem(struct cert_set *cs)
{
	return cs->root.pem;
}

static bool is_ip(const char *s)
{
	uint8_t a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* The names a good leaf carries: the servername (as DNS or IP SAN) plus the
 * loopback addresses, so the same leaf serves tests that dial an address. */
static void good_names(const struct cert_set *cs, struct spec *s)
{
	if (is_ip(cs->servername)) {
		s->ip[s->nip++] = cs->servername;
		if (strcmp(cs->servername, "127.0.0.1") != 0)
			s->ip[s->nip++] = "127.0.0.1";
		if (strcmp(cs->servername, "::1") != 0)
			s->ip[s->nip++] = "::1";
	} else {
		s->dns[s->ndns++] = cs->servername;
		s->ip[s->nip++] = "127.0.0.1";
		s->ip[s->nip++] = "::1";
	}
}

/*
 * Generate one variant under cs->mu. Only the subject key differs in kind
 * (RSA for good-rsa and rsa1024); everything else is issuer, dates, names
 * or signature hash.
 */
static int generate(struct cert_set *cs, enum cert_variant v)
{
	int64_t now = (int64_t)time(NULL);
	struct spec s = {
		.cn = cs->servername,
		.not_before = now - DAY,
		.not_after = now + 365 * (int64_t)DAY,
		.key_type = ECC_TYPE,
		.sig_type = CTC_SHA256wECDSA,
		.issuer = &cs->root,
	};
	ecc_key ek;
	RsaKey rk;
	bool have_ek = false, have_rk = false;
	char *chain = NULL, *key = NULL, *wild1 = NULL, *wild2 = NULL;
	const char *extra_pem = NULL; /* intermediate appended to the chain */
	int rc = -1;

	good_names(cs, &s);
	switch (v) {
	case CERT_GOOD:
	case CERT_ECDSA:
	case CERT_GOOD_RSA:
	case CERT_RSA1024:
		break;
	case CERT_EXPIRED:
		s.not_before = now - 30 * (int64_t)DAY;
		s.not_after = now - DAY;
		break;
	case CERT_NOT_YET_VALID:
		s.not_before = now + DAY;
		s.not_after = now + 30 * (int64_t)DAY;
		break;
	case CERT_WRONG_HOST:
		s.cn = "wrong.invalid"; /* RFC 2606 .invalid never resolves */
		s.ndns = 0;
		s.nip = 0;
		s.dns[s.ndns++] = "wrong.invalid";
		break;
	case CERT_SELF_SIGNED:
		s.issuer = NULL;
		break;
	case CERT_SELF_SIGNED_RSA:
		s.issuer = NULL;
		s.sig_type = CTC_SHA256wRSA; /* it signs itself with its RSA key */
		break;
	case CERT_UNKNOWN_CA:
		s.issuer = &cs->unknown;
		break;
	case CERT_NO_INTERMEDIATE:
		s.issuer = &cs->inter;
		break;
	case CERT_CHAIN:
		s.issuer = &cs->inter;
		extra_pem = cs->inter.pem;
		break;
	case CERT_SHA1:
		s.sig_type = CTC_SHAwECDSA;
		break;
	case CERT_BAD_WILDCARD: {
		/* Names that look close but must not match the servername:
		 *  "*.S"   a wildcard matches exactly one label, never none
		 *          (RFC 6125 6.4.3, RFC 9525 6.3);
		 *  "*"     a wildcard is never a whole name;
		 *  "x*.P"  partial-label wildcard for S = label.P, forbidden by
		 *          RFC 9525 6.3 (RFC 6125 let clients MAY accept it, so
		 *          only a strict client rejects this one alone).
		 * No IP SANs: a wildcard never stands for an address. */
		s.ndns = 0;
		s.nip = 0;
		wild1 = xasprintf("*.%s", cs->servername);
		s.cn = wild1;
		s.dns[s.ndns++] = wild1;
		s.dns[s.ndns++] = "*";
		const char *dot = strchr(cs->servername, '.');
		if (!is_ip(cs->servername) && dot != NULL && dot != cs->servername && strchr(dot + 1, '.')) {
			wild2 = xasprintf("%c*%s", cs->servername[0], dot);
			s.dns[s.ndns++] = wild2;
		}
		break;
	}
	default:
		snprintf(cs->err, sizeof cs->err, "unknown certificate variant %d", (int)v);
		return -1;
	}

	if (v == CERT_GOOD_RSA || v == CERT_RSA1024 || v == CERT_SELF_SIGNED_RSA) {
		int bits = v == CERT_RSA1024 ? 1024 : 2048;
		rc = wc_InitRsaKey(&rk, NULL);
		if (rc == 0) {
			have_rk = true;
			rc = wc_MakeRsaKey(&rk, bits, WC_RSA_EXPONENT, &cs->rng);
		}
		if (rc != 0) {
			set_err(cs, "RSA key generation", rc);
			rc = -1;
			goto out;
		}
		s.key_type = RSA_TYPE;
		s.key = &rk;
		rc = rsa_key_pem(cs, &rk, &key);
	} else {
		rc = ecc_new(cs, &ek);
		if (rc != 0)
			goto out;
		have_ek = true;
		s.key = &ek;
		rc = ecc_key_pem(cs, &ek, &key);
	}
	if (rc != 0)
		goto out;
	if (make_cert(cs, &s, &chain, NULL, NULL) != 0) {
		rc = -1;
		goto out;
	}
	if (extra_pem != NULL) {
		char *both = xasprintf("%s%s", chain, extra_pem);
		free(chain);
		chain = both;
	}
	cs->v[v].chain = chain;
	cs->v[v].key = key;
	chain = key = NULL;
	rc = 0;
out:
	if (have_ek)
		wc_ecc_free(&ek);
	if (have_rk)
		wc_FreeRsaKey(&rk);
	free(chain);
	free(key);
	free(wild1);
	free(wild2);
	return rc;
}

const struct cert_pem *cert_set_get(struct cert_set *cs, enum cert_variant v)
{
	if ((unsigned)v >= CERT__COUNT) {
		pthread_mutex_lock(&cs->mu);
		snprintf(cs->err, sizeof cs->err, "unknown certificate variant %d", (int)v);
		pthread_mutex_unlock(&cs->mu);
		return NULL;
	}
	pthread_mutex_lock(&cs->mu);
	const struct cert_pem *p = NULL;
	if (cs->v[v].chain != NULL || generate(cs, v) == 0)
		p = &cs->v[v];
	pthread_mutex_unlock(&cs->mu);
	return p;
}

/* ---------------------------------------------------------------- files */

static int write_file(const char *dir, const char *name, const char *ext, const char *data, mode_t mode,
                      char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s%s", dir, name, ext);
	int rc = -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* O_CREAT's mode only applies to new files: an old key file keeps
	 * whatever it had unless told. */
	if (fchmod(fd, mode) != 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	size_t len = strlen(data), off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "write %s: %s", path, strerror(errno));
			close(fd);
			goto out;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "close %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

int cert_set_write_dir(struct cert_set *cs, const char *dir, char *err, size_t errlen)
{
	if (mkdir_all(dir, err, errlen) != 0)
		return -1;
	if (write_file(dir, "ca", ".pem", cs->root.pem, 0644, err, errlen) != 0)
		return -1;
	for (int i = 0; i < CERT__COUNT; i++) {
		const struct cert_pem *p = cert_set_get(cs, (enum cert_variant)i);
		if (p == NULL) {
			snprintf(err, errlen, "%s: %s", variant_names[i], cs->err);
			return -1;
		}
		/* Keys are private even when they are test keys: 0600. */
		if (write_file(dir, variant_names[i], ".pem", p->chain, 0644, err, errlen) != 0 ||
		    write_file(dir, variant_names[i], ".key", p->key, 0600, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* ---- raw RSA (a test server's padding oracle) ----------------------------- */

int cert_rsa_decrypt_raw(const char *key_pem, const uint8_t *in, size_t inlen, uint8_t *out,
                         size_t outlen)
{
	size_t pemlen = strlen(key_pem);
	if (pemlen > INT32_MAX)
		return -1;
	uint8_t *der = xmalloc(pemlen);
	int dlen = wc_KeyPemToDer((const unsigned char *)key_pem, (int)pemlen, der, (int)pemlen, NULL);
	int rc = -1;
	RsaKey key;
	if (dlen > 0 && wc_InitRsaKey(&key, NULL) == 0) {
		word32 idx = 0;
		WC_RNG rng;
		bool have_rng = wc_InitRng(&rng) == 0;
		word32 olen = (word32)outlen;
		if (have_rng && wc_RsaPrivateKeyDecode(der, &idx, &key, (word32)dlen) == 0 &&
		    wc_RsaSetRNG(&key, &rng) == 0 && inlen == (size_t)wc_RsaEncryptSize(&key) &&
		    wc_RsaFunction(in, (word32)inlen, out, &olen, RSA_PRIVATE_DECRYPT, &key, &rng) == 0 &&
		    olen == inlen)
			rc = 0;
		if (have_rng)
			wc_FreeRng(&rng);
		wc_FreeRsaKey(&key);
	}
	free(der);
	return rc;
}

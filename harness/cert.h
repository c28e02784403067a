/* SPDX-License-Identifier: MIT */
/*
 * cert: certificate variants generated in-process with wolfCrypt's
 * certificate generation. A stark CA (and an intermediate for chains) and
 * leaves for each variant. No network. Output is PEM.
 */
#ifndef STARK_CERT_H
#define STARK_CERT_H

#include <stddef.h>
#include <stdint.h>

enum cert_variant {
	CERT_GOOD,          /* ECDSA P-256 leaf for servername + 127.0.0.1 + ::1, issued by the CA */
	CERT_GOOD_RSA,      /* same, RSA-2048 */
	CERT_EXPIRED,       /* notAfter in the past */
	CERT_NOT_YET_VALID, /* notBefore in the future */
	CERT_WRONG_HOST,    /* issued for wrong.invalid only */
	CERT_SELF_SIGNED,   /* leaf signs itself, right name */
	CERT_UNKNOWN_CA,    /* issued by a CA that is not STARK_CA */
	CERT_NO_INTERMEDIATE, /* leaf issued by an intermediate that is not sent */
	CERT_CHAIN,         /* leaf + intermediate sent: valid chain */
	CERT_RSA1024,       /* weak RSA key */
	CERT_SHA1,          /* SHA-1 signature */
	CERT_BAD_WILDCARD,  /* SANs "*.servername", "*" and (for a.b.c names) "a*.b.c":
	                     * wildcards that must not match servername (RFC 9525 6.3) */
	CERT_ECDSA,         /* explicit ECDSA P-256 (same as GOOD) */
	CERT_SELF_SIGNED_RSA, /* self-signed RSA-2048, right name (the seed's fleet: ECDHE-RSA) */
	CERT__COUNT
};

struct cert_pem {
	char *chain; /* leaf first, then any intermediates sent; malloc'd PEM */
	char *key;   /* leaf private key, PEM */
};

struct cert_set; /* CA(s) + lazily generated variants for one servername */

/* servername: the name the good certificate is issued for. */
struct cert_set *cert_set_new(const char *servername);
void cert_set_free(struct cert_set *cs);
/* PEM of the stark CA (what STARK_CA / --ca point at). Borrowed, lives with cs. */
const char *cert_set_ca_pem(struct cert_set *cs);
/* Generate (once, then cached) and return a variant. NULL on failure with the
 * reason in cert_set_error(). Borrowed, lives with cs. Thread-safe. */
const struct cert_pem *cert_set_get(struct cert_set *cs, enum cert_variant v);
const char *cert_set_error(const struct cert_set *cs);

const char *cert_variant_name(enum cert_variant v); /* "good", "expired", ... */
int cert_variant_from_name(const char *name);       /* -1 if unknown */

/* ---- raw RSA for the mirror tests of the ROBOT battery ---- */

/* c^d mod n with a private key (PEM, as cert_set_get's key), no padding
 * removed: in and out are the modulus size. 0 or -1. For test servers that
 * play a padding oracle (the public side is wtls_cert_rsa_encrypt_raw). */
int cert_rsa_decrypt_raw(const char *key_pem, const uint8_t *in, size_t inlen, uint8_t *out,
                         size_t outlen);

/* Write ca.pem and <variant>.pem / <variant>.key for every variant into dir. */
int cert_set_write_dir(struct cert_set *cs, const char *dir, char *err, size_t errlen);

#endif

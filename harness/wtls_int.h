/* SPDX-License-Identifier: MIT */
/*
 * wtls_int: what the two files of the TLS wrapper share and nothing else
 * includes. wtls.c owns the config, the connection, the handshake and the
 * record I/O; wtls_caps.c what the build can do and the suite lists; wtls_facts.c owns what is read out of them (certificate and
 * chain facts, host match, explicit verification that never aborts the
 * handshake, the negotiated facts). Both include wolfSSL; this header is
 * private to them, so no wolfSSL type reaches wtls.h or any other module.
 */
#ifndef STARK_WTLS_INT_H
#define STARK_WTLS_INT_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "wtls.h"

struct wtls {
	enum wtls_role role;
	bool have_ca;
	WOLFSSL *ssl;
	wtls_recv_fn recv;
	wtls_send_fn send;
	void *io_ctx;
	bool io_eof;      /* recv reported orderly EOF */
	bool io_err;      /* recv or send reported an error */
	bool io_err_send; /* ... and it was send */
	bool io_want;     /* recv returned WTLS_WANT (its deadline passed) */
	size_t io_rx;     /* bytes recv delivered (tells an alert-only answer apart) */
	bool handshaken;  /* wtls_handshake ran (its outcome is in facts) */
	bool got_close_notify;
	bool verify_failed; /* the verify callback saw a failure (first kept) */
	struct wtls_facts facts;
	char err[256];
};

/* wtls_caps.c: the strict default offer of every config (bundled build)
 * and the legacy offer (wtls_config_set_legacy), wolfSSL cipher lists. */
extern const char wtls_default_suites[];
extern const char wtls_legacy_suites[];

/* An IP literal per inet_pton (brackets around IPv6 allowed): 4 or 16 bytes
 * written to out, 0 if s is not one. */
int wtls_facts_parse_ip(const char *s, uint8_t out[16]);
/* wolfSSL verify callback; the connection is the store's userCtx
 * (wolfSSL_SetCertCbCtx). Records the first failure, always returns 1. */
int wtls_facts_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store);
/* After wolfSSL_connect/accept: fill t->facts (ok = the handshake completed). */
void wtls_facts_collect(struct wtls *t, bool ok);
/* The bodies of wtls_host_match, wtls_cert_from_der, wtls_cert_from_pem. */
bool wtls_facts_host_match(const struct wtls_cert *leaf, const char *name);
int wtls_facts_cert_from_der(const uint8_t *der, size_t len, struct wtls_cert *out);
int wtls_facts_cert_from_pem(const char *pem, size_t len, struct wtls_cert *out);

#endif

/* SPDX-License-Identifier: MIT */
/* memtls: in-memory pipes and the fuzz side's non-blocking wolfSSL peer. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "memtls.h"
#include "wolfssl_heap.h"

#include <string.h>

#include "certs/fuzz_certs.h"

const char *const memtls_ca_pem = fuzz_cert_ca_pem;
const char *const memtls_leaf_pem = fuzz_cert_leaf_pem;
const char *const memtls_leaf_key = fuzz_cert_leaf_key;

void mpipe_put(struct mpipe *p, const void *d, size_t n)
{
	if (n == 0)
		return;
	if (p->off > 0 && p->off == p->b.len) {
		buf_reset(&p->b);
		p->off = 0;
	}
	buf_append(&p->b, d, n);
}

size_t mpipe_avail(const struct mpipe *p)
{
	return p->b.len - p->off;
}

const uint8_t *mpipe_peek(const struct mpipe *p)
{
	return p->b.data + p->off;
}

void mpipe_drop(struct mpipe *p, size_t n)
{
	p->off += n;
	if (p->off >= p->b.len) {
		buf_reset(&p->b);
		p->off = 0;
	}
}

size_t mpipe_get(struct mpipe *p, void *d, size_t n)
{
	size_t a = mpipe_avail(p);
	if (n > a)
		n = a;
	if (n == 0)
		return 0; /* memcpy from a NULL buffer is UB even for 0 bytes */
	memcpy(d, p->b.data + p->off, n);
	mpipe_drop(p, n);
	return n;
}

void mpipe_free(struct mpipe *p)
{
	buf_free(&p->b);
	p->off = 0;
}

struct mpeer {
	WOLFSSL *ssl;
	struct mpipe *rx, *tx;
	struct buf glue;
	bool eof;
};

static WOLFSSL_CTX *ctx[2][3]; /* [server][version] */

static int cb_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	(void)ssl;
	struct mpeer *p = arg;
	if (mpipe_avail(p->rx) == 0)
		return p->eof ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
	return (int)mpipe_get(p->rx, buf, (size_t)sz);
}

static int cb_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	(void)ssl;
	struct mpeer *p = arg;
	if (p->glue.len) {
		mpipe_put(p->tx, p->glue.data, p->glue.len);
		buf_reset(&p->glue);
	}
	mpipe_put(p->tx, buf, (size_t)sz);
	return sz;
}

static WOLFSSL_METHOD *method(bool server, int v)
{
	switch (v) {
	case MT_TLS12: return server ? wolfTLSv1_2_server_method() : wolfTLSv1_2_client_method();
	case MT_TLS13: return server ? wolfTLSv1_3_server_method() : wolfTLSv1_3_client_method();
	default: return server ? wolfSSLv23_server_method() : wolfSSLv23_client_method();
	}
}

int memtls_init(void)
{
	if (fuzz_heap_install() != 0 || wolfSSL_Init() != WOLFSSL_SUCCESS)
		return -1;
	for (int s = 0; s < 2; s++) {
		for (int v = 0; v < 3; v++) {
			WOLFSSL_CTX *c = wolfSSL_CTX_new(method(s, v));
			if (c == NULL)
				return -1;
			wolfSSL_CTX_SetIORecv(c, cb_recv);
			wolfSSL_CTX_SetIOSend(c, cb_send);
			if (s) {
				if (wolfSSL_CTX_use_certificate_chain_buffer(
				        c, (const unsigned char *)memtls_leaf_pem,
				        (long)strlen(memtls_leaf_pem)) != WOLFSSL_SUCCESS ||
				    wolfSSL_CTX_use_PrivateKey_buffer(c, (const unsigned char *)memtls_leaf_key,
				                                      (long)strlen(memtls_leaf_key),
				                                      WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
					return -1;
			} else {
				/* the fuzz client is not under test: it trusts anything */
				wolfSSL_CTX_set_verify(c, WOLFSSL_VERIFY_NONE, NULL);
			}
			ctx[s][v] = c;
		}
	}
	return 0;
}

void memtls_cleanup(void)
{
	for (int s = 0; s < 2; s++)
		for (int v = 0; v < 3; v++) {
			wolfSSL_CTX_free(ctx[s][v]);
			ctx[s][v] = NULL;
		}
}

struct mpeer *mpeer_new(bool server, enum memtls_ver v, struct mpipe *rx, struct mpipe *tx,
                        const uint8_t *glue, size_t gluelen)
{
	struct mpeer *p = xcalloc(1, sizeof *p);
	p->rx = rx;
	p->tx = tx;
	if (gluelen)
		buf_append(&p->glue, glue, gluelen);
	p->ssl = wolfSSL_new(ctx[server ? 1 : 0][v > MT_TLS13 ? MT_ANY : v]);
	if (p->ssl == NULL) {
		buf_free(&p->glue);
		free(p);
		return NULL;
	}
	wolfSSL_SetIOReadCtx(p->ssl, p);
	wolfSSL_SetIOWriteCtx(p->ssl, p);
	if (!server)
		wolfSSL_UseSNI(p->ssl, WOLFSSL_SNI_HOST_NAME, "localhost", 9);
	return p;
}

void mpeer_free(struct mpeer *p)
{
	if (p == NULL)
		return;
	wolfSSL_free(p->ssl);
	buf_free(&p->glue);
	free(p);
}

enum mpeer_state mpeer_handshake(struct mpeer *p)
{
	int r = wolfSSL_is_server(p->ssl) ? wolfSSL_accept(p->ssl) : wolfSSL_connect(p->ssl);
	if (r == WOLFSSL_SUCCESS)
		return MP_DONE;
	int e = wolfSSL_get_error(p->ssl, r);
	if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
		return MP_WANT;
	return MP_FAILED;
}

int mpeer_write(struct mpeer *p, const uint8_t *d, size_t n)
{
	if (n == 0)
		return 0;
	return wolfSSL_write(p->ssl, d, (int)n) == (int)n ? 0 : -1;
}

int mpeer_read_all(struct mpeer *p, struct buf *out)
{
	uint8_t tmp[4096];
	for (;;) {
		int r = wolfSSL_read(p->ssl, tmp, sizeof tmp);
		if (r > 0) {
			if (out)
				buf_append(out, tmp, (size_t)r);
			continue;
		}
		int e = wolfSSL_get_error(p->ssl, r);
		if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
			return 0;
		if (e == WOLFSSL_ERROR_ZERO_RETURN)
			return 1;
		return -1;
	}
}

int mpeer_close_notify(struct mpeer *p)
{
	int r = wolfSSL_shutdown(p->ssl);
	return r == WOLFSSL_SUCCESS || r == WOLFSSL_SHUTDOWN_NOT_DONE ? 0 : -1;
}

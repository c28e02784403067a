/* SPDX-License-Identifier: MIT */
/*
 * hsbench: handshakes per second of stark's own TLS client path (TCP
 * connect, greeting, EHLO, STARTTLS, conn_starttls through wtls) against the
 * reference target, beside a bare wolfSSL client/server handshake loop over
 * loopback TCP with the same certificate, measured in the same run.
 * A benchmark, not product code: it may include wolfSSL directly.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* wolfSSL's asn.h has its own CERT_GOOD (OCSP status): rename ours here. */
#define CERT_GOOD STARK_CERT_GOOD
#include "cert.h"
#undef CERT_GOOD
#include "conn.h"
#include "refsrv.h"
#include "smtp.h"
#include "util.h"
#include "wtls.h"

static int expect_reply(struct conn *c, int code)
{
	struct smtp_reply r;
	for (;;) {
		ssize_t n = smtp_reply_parse(c->in.data, c->in.len, &r, NULL);
		if (n > 0) {
			buf_consume(&c->in, (size_t)n);
			return r.code == code ? 0 : -1;
		}
		if (n < 0 || conn_fill(c) != CONN_OK)
			return -1;
	}
}

static int stark_once(const char *port, struct wtls_config *cfg)
{
	struct conn c;
	conn_init(&c, -1, NULL);
	int ok = conn_connect(&c, "127.0.0.1", port, 5000) == CONN_OK && expect_reply(&c, 220) == 0 &&
	         conn_send(&c, (const uint8_t *)"EHLO bench\r\n", 12) == CONN_OK &&
	         expect_reply(&c, 250) == 0 &&
	         conn_send(&c, (const uint8_t *)"STARTTLS\r\n", 10) == CONN_OK &&
	         expect_reply(&c, 220) == 0 &&
	         conn_starttls(&c, cfg, WTLS_CLIENT, "localhost", NULL, 0) == CONN_OK;
	conn_close(&c);
	return ok ? 0 : -1;
}

struct bare_srv {
	int lfd;
	WOLFSSL_CTX *ctx;
	volatile int stop;
};

static void *bare_server(void *p)
{
	struct bare_srv *s = p;
	while (!s->stop) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		WOLFSSL *ssl = wolfSSL_new(s->ctx);
		wolfSSL_set_fd(ssl, fd);
		wolfSSL_accept(ssl);
		wolfSSL_free(ssl);
		close(fd);
	}
	return NULL;
}

static int bare_once(int port, WOLFSSL_CTX *ctx)
{
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	struct conn c;
	conn_init(&c, -1, NULL);
	if (conn_connect(&c, "127.0.0.1", ps, 5000) != CONN_OK)
		return -1;
	WOLFSSL *ssl = wolfSSL_new(ctx);
	wolfSSL_set_fd(ssl, c.fd);
	/* conn_connect leaves the socket non-blocking; the bare loop blocks */
	fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
	int r = wolfSSL_connect(ssl);
	wolfSSL_free(ssl);
	conn_close(&c);
	return r == WOLFSSL_SUCCESS ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	char err[256];
	wtls_global_init();

	struct refsrv_opts o = {0};
	struct refsrv *srv = refsrv_start(&o, "127.0.0.1", "0", err, sizeof err);
	if (!srv) {
		fprintf(stderr, "refsrv: %s\n", err);
		return 2;
	}
	char port[16];
	snprintf(port, sizeof port, "%d", refsrv_port(srv));
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	wtls_config_add_ca_mem(cfg, (const uint8_t *)refsrv_ca_pem(srv), strlen(refsrv_ca_pem(srv)));

	/* Bare wolfSSL pair with the same certificate variant. */
	struct cert_set *cs = cert_set_new("localhost");
	const struct cert_pem *pem = cert_set_get(cs, STARK_CERT_GOOD);
	struct bare_srv bs = {0};
	bs.ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	wolfSSL_CTX_use_certificate_chain_buffer(bs.ctx, (const unsigned char *)pem->chain,
	                                         (long)strlen(pem->chain));
	wolfSSL_CTX_use_PrivateKey_buffer(bs.ctx, (const unsigned char *)pem->key,
	                                  (long)strlen(pem->key), WOLFSSL_FILETYPE_PEM);
	bs.lfd = conn_listen("127.0.0.1", "0", 64, err, sizeof err);
	int bport = conn_local_port(bs.lfd);
	pthread_t bt;
	pthread_create(&bt, NULL, bare_server, &bs);
	WOLFSSL_CTX *cctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	wolfSSL_CTX_set_verify(cctx, WOLFSSL_VERIFY_NONE, NULL);

	/* warm up both */
	stark_once(port, cfg);
	bare_once(bport, cctx);

	int64_t t0 = mono_us();
	int fails = 0;
	for (int i = 0; i < n; i++)
		fails += stark_once(port, cfg) != 0;
	int64_t t1 = mono_us();
	for (int i = 0; i < n; i++)
		fails += bare_once(bport, cctx) != 0;
	int64_t t2 = mono_us();

	double stark_hs = n / ((t1 - t0) / 1e6), bare_hs = n / ((t2 - t1) / 1e6);
	printf("handshakes: %d each, %d failed\n", n, fails);
	printf("  stark client via STARTTLS vs reference target: %8.0f handshakes/s\n", stark_hs);
	printf("  bare wolfSSL connect/accept loop (same cert):  %8.0f handshakes/s\n", bare_hs);
	printf("  ratio stark/bare: %.2f\n", stark_hs / bare_hs);

	bs.stop = 1;
	shutdown(bs.lfd, SHUT_RDWR);
	close(bs.lfd);
	pthread_join(bt, NULL);
	wolfSSL_CTX_free(bs.ctx);
	wolfSSL_CTX_free(cctx);
	cert_set_free(cs);
	wtls_config_free(cfg);
	refsrv_stop(srv);
	return fails ? 1 : 0;
}

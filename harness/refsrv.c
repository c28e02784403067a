/* SPDX-License-Identifier: MIT */
/*
 * refsrv: the reference target's server (refsrv_start/port/ca_pem/stop):
 * serves the pure session of refsess.c on a loopback listener over conn +
 * wtls, on a pool of reused connection threads; and the flaws' names
 * (refsrv_flaw_parse/name/help). Invariants: sockets only through conn;
 * every read has an idle deadline; stop waits for all connection threads
 * and closes every connection still queued.
 */
#include "refsrv.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "conn.h"
#include "wtls.h"

static const struct {
	unsigned bit;
	const char *name;
	const char *help;
} flaw_table[] = {
	{FLAW_INJECT, "inject", "plaintext pipelined after STARTTLS is executed inside TLS (CVE-2011-0411)"},
	{FLAW_KEEP_STATE, "keep-state", "EHLO state and an open transaction survive STARTTLS (and EHLO)"},
	{FLAW_READVERTISE, "readvertise", "STARTTLS is offered again in the EHLO reply inside TLS"},
	{FLAW_RESTARTTLS, "restarttls", "a second STARTTLS inside TLS is answered 220"},
	{FLAW_AUTH_PLAINTEXT, "auth-plaintext", "AUTH PLAIN LOGIN is offered and accepted before TLS"},
	{FLAW_BAD_MULTILINE, "bad-multiline", "the multi-line EHLO reply mixes codes and uses a bare LF"},
	{FLAW_STARTTLS_PARAM, "starttls-param", "STARTTLS with a parameter is answered 220"},
	{FLAW_CLOSE_ON_JUNK, "close-on-junk", "an unknown command closes the connection"},
	{FLAW_CODE_RANGE, "code-range", "HELP is answered with a 6xx reply code"},
	{FLAW_THROTTLE, "throttle", "greets with 421 and closes (rate limiting)"},
	{FLAW_PLAIN_AFTER_FAIL, "plain-after-fail", "after a failed handshake the session goes on in plaintext"},
	{FLAW_PLAIN_AFTER_CLOSE, "plain-after-close", "after close_notify the session goes on in plaintext"},
	{FLAW_FLUSH_PIPELINE, "flush-pipeline", "pipelined input behind a command is thrown away (RFC 2920 3.2)"},
};
#define NFLAWS (sizeof flaw_table / sizeof flaw_table[0])

const char *refsrv_flaw_name(unsigned bit)
{
	for (size_t i = 0; i < NFLAWS; i++)
		if (flaw_table[i].bit == bit)
			return flaw_table[i].name;
	return NULL;
}

const char *refsrv_flaw_help(unsigned bit)
{
	for (size_t i = 0; i < NFLAWS; i++)
		if (flaw_table[i].bit == bit)
			return flaw_table[i].help;
	return NULL;
}

int refsrv_flaw_parse(const char *list, unsigned *flaws, char *err, size_t errlen)
{
	char *dup = xstrdup(list), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (strcmp(t, "all") == 0) {
			*flaws |= FLAW__ALL;
			continue;
		}
		size_t i;
		for (i = 0; i < NFLAWS; i++)
			if (strcmp(t, flaw_table[i].name) == 0)
				break;
		if (i == NFLAWS) {
			snprintf(err, errlen, "unknown flaw '%s' (see stark refserver --help)", t);
			rc = -1;
			break;
		}
		*flaws |= flaw_table[i].bit;
	}
	free(dup);
	return rc;
}

struct refsrv {
	struct refsrv_opts o;
	struct refsess_opts sess; /* the session's part of o */
	int lfd;
	int port;
	pthread_t acceptor;
	volatile sig_atomic_t stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* queue or worker count changed */
	int workers, idle;     /* connection threads, and how many wait for work */
	struct conn **queue;   /* accepted connections waiting for a worker */
	size_t nqueue, capqueue;
	struct cert_set *certs;
	struct wtls_config *tlscfg;
};

static bool flush_out(struct conn *c, struct buf *out)
{
	if (out->len == 0)
		return true;
	int rc = conn_send(c, out->data, out->len);
	buf_reset(out);
	return rc == CONN_OK;
}

/*
 * FLAW_INJECT, as a naive line-reading server behaves: after the 220 it
 * keeps reading plaintext until the first byte of a TLS handshake record
 * (0x16) and leaves it buffered, so a command written separately behind
 * STARTTLS (S-09b) is injected whatever the segment timing.
 */
static void absorb_until_handshake(struct conn *c, struct refsess *s, int64_t idle)
{
	uint8_t tmp[4096];
	conn_set_timeout(c, idle);
	while (conn_wait_readable(c) == CONN_OK) {
		/* 0: the ClientHello is next (leave it to the handshake), or EOF */
		ssize_t n = conn_read_before(c, 0x16, tmp, sizeof tmp);
		if (n <= 0)
			return;
		refsess_absorb(s, tmp, (size_t)n);
	}
}

/* Serve one accepted connection to its end; closes and frees c. */
static void serve(struct refsrv *srv, struct conn *c)
{
	struct buf out = {0};
	struct refsess *s = refsess_new(&srv->sess);
	int64_t idle = srv->o.idle_timeout_ms > 0 ? srv->o.idle_timeout_ms : 10000;
	conn_set_timeout(c, idle);
	enum refsess_action a = refsess_greeting(s, &out);
	if (!flush_out(c, &out))
		a = RS_CLOSE;
	while (a != RS_CLOSE) {
		while (a == RS_STARTTLS) {
			if (srv->o.flaws & FLAW_INJECT)
				absorb_until_handshake(c, s, idle);
			conn_set_timeout(c, idle);
			if (conn_starttls(c, srv->tlscfg, WTLS_SERVER, NULL, NULL, 0) == CONN_OK) {
				a = refsess_tls_started(s, &out);
			} else {
				/* conn keeps what the failed handshake read in c->in */
				a = refsess_tls_failed(s, c->in.data, c->in.len, &out);
				buf_reset(&c->in);
			}
			if (!flush_out(c, &out))
				a = RS_CLOSE;
		}
		if (a == RS_CLOSE)
			break;
		conn_set_timeout(c, idle);
		int r = conn_fill(c);
		if (r == CONN_EOF && c->close_notify) {
			a = refsess_tls_ended(s, &out);
			/* the flawed session goes on in plaintext on the same TCP */
			conn_tls_drop(c);
			if (!flush_out(c, &out))
				a = RS_CLOSE;
			continue;
		}
		if (r != CONN_OK)
			break;
		a = refsess_input(s, c->in.data, c->in.len, &out);
		buf_reset(&c->in);
		if (!flush_out(c, &out))
			a = RS_CLOSE;
	}
	if (!c->eof)
		conn_tls_close(c); /* close_notify when TLS is still up; else nothing */
	conn_close(c);
	free(c);
	buf_free(&out);
	refsess_free(s);
}

/*
 * Connection threads are reused, not one per connection: Debian's wolfSSL
 * keeps a per-thread fixed-point ECC cache (FP_ECC), and a fresh thread per
 * connection rebuilt it on every handshake (4x slower). The pool grows when
 * no thread is idle, so a hostile client holding a connection never starves
 * the others; threads end only at refsrv_stop.
 */
static void *worker_thread(void *p)
{
	struct refsrv *srv = p;
	pthread_mutex_lock(&srv->mu);
	for (;;) {
		while (srv->nqueue == 0 && !srv->stop) {
			srv->idle++;
			pthread_cond_wait(&srv->cv, &srv->mu);
			srv->idle--;
		}
		if (srv->nqueue == 0)
			break;
		struct conn *c = srv->queue[--srv->nqueue];
		pthread_mutex_unlock(&srv->mu);
		serve(srv, c);
		pthread_mutex_lock(&srv->mu);
	}
	srv->workers--;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	wtls_thread_cleanup(); /* wolfSSL's per-thread ECC cache */
	return NULL;
}

static void dispatch(struct refsrv *srv, struct conn *c)
{
	pthread_mutex_lock(&srv->mu);
	if (srv->nqueue == srv->capqueue) {
		srv->capqueue = srv->capqueue ? srv->capqueue * 2 : 16;
		srv->queue = xrealloc(srv->queue, srv->capqueue * sizeof *srv->queue);
	}
	srv->queue[srv->nqueue++] = c;
	if (srv->idle < (int)srv->nqueue) {
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, worker_thread, srv) == 0)
			srv->workers++;
		pthread_attr_destroy(&at);
	}
	pthread_cond_signal(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
}

static void *accept_thread(void *p)
{
	struct refsrv *srv = p;
	struct conn *c = NULL;
	while (!srv->stop) {
		if (c == NULL) {
			c = xmalloc(sizeof *c);
			conn_init(c, -1, NULL);
			c->stop = &srv->stop;
		}
		/* a timeout only looks at stop again; an error (e.g. EMFILE)
		 * is retried as before: the listener stays open */
		if (conn_accept(c, srv->lfd, 100) == CONN_OK) {
			dispatch(srv, c); /* the worker owns it now */
			c = NULL;
		}
	}
	free(c); /* holds no connection */
	return NULL;
}

struct refsrv *refsrv_start(const struct refsrv_opts *o, const char *host, const char *port,
                            char *err, size_t errlen)
{
	wtls_global_init();
	struct refsrv *srv = xcalloc(1, sizeof *srv);
	srv->o = *o;
	srv->sess = (struct refsess_opts){
		.flaws = o->flaws, .submission = o->submission, .no_tls = o->no_tls, .hostname = o->hostname};
	srv->lfd = -1;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	const char *sn = o->servername ? o->servername : "localhost";
	if (!o->no_tls) {
		int v = cert_variant_from_name(o->cert ? o->cert : "good");
		if (v < 0) {
			snprintf(err, errlen, "unknown certificate variant '%s'", o->cert);
			goto fail;
		}
		srv->certs = cert_set_new(sn);
		const struct cert_pem *pem = srv->certs ? cert_set_get(srv->certs, v) : NULL;
		if (pem == NULL) {
			snprintf(err, errlen, "certificate generation failed: %s",
			         srv->certs ? cert_set_error(srv->certs) : "no memory");
			goto fail;
		}
		srv->tlscfg = wtls_config_new(WTLS_SERVER);
		/* Correct by default, as a scan under the rfc policy sees it:
		 * TLS 1.2+ (RFC 8996) and forward-secret AEAD suites only;
		 * wolfSSL's own defaults would also take RC4, 3DES, NULL and
		 * PSK suites and TLS 1.1. */
		uint16_t vmin = o->tls_vmin || o->tls_vmax ? o->tls_vmin : 0x0303;
		uint16_t vmax = o->tls_vmin || o->tls_vmax ? o->tls_vmax : 0x0304;
		const char *ciphers = o->ciphers ? o->ciphers : REFSRV_DEFAULT_CIPHERS;
		if (wtls_config_set_keypair_mem(srv->tlscfg, (const uint8_t *)pem->chain,
		                                strlen(pem->chain), (const uint8_t *)pem->key,
		                                strlen(pem->key)) != 0 ||
		    wtls_config_set_versions(srv->tlscfg, vmin, vmax) != 0 ||
		    wtls_config_set_ciphers(srv->tlscfg, ciphers) != 0) {
			snprintf(err, errlen, "TLS configuration: %s", wtls_config_error(srv->tlscfg));
			goto fail;
		}
	}
	srv->lfd = conn_listen(host, port, 64, err, errlen);
	if (srv->lfd < 0)
		goto fail;
	srv->port = conn_local_port(srv->lfd);
	if (pthread_create(&srv->acceptor, NULL, accept_thread, srv) != 0) {
		snprintf(err, errlen, "cannot start the accept thread");
		goto fail;
	}
	return srv;
fail:
	conn_listen_close(srv->lfd);
	wtls_config_free(srv->tlscfg);
	cert_set_free(srv->certs);
	free(srv);
	return NULL;
}

int refsrv_port(const struct refsrv *r)
{
	return r->port;
}

const char *refsrv_ca_pem(const struct refsrv *r)
{
	return r->certs ? cert_set_ca_pem(r->certs) : NULL;
}

void refsrv_stop(struct refsrv *r)
{
	if (r == NULL)
		return;
	r->stop = 1;
	pthread_join(r->acceptor, NULL);
	conn_listen_close(r->lfd);
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->cv);
	while (r->workers > 0)
		pthread_cond_wait(&r->cv, &r->mu);
	for (size_t i = 0; i < r->nqueue; i++) {
		conn_close(r->queue[i]);
		free(r->queue[i]);
	}
	free(r->queue);
	pthread_mutex_unlock(&r->mu);
	wtls_config_free(r->tlscfg);
	cert_set_free(r->certs);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

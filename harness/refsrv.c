/* SPDX-License-Identifier: MIT */
/*
 * refsrv: the reference target. refsess_* is the pure SMTP session (RFC
 * 5321 + RFC 3207) with plantable flaws; refsrv_* serves it on a loopback
 * socket over conn + wtls, on a pool of reused connection threads.
 * Invariants: without FLAW_INJECT no byte that arrived before the handshake is executed inside
 * TLS (refsess_injected() == 0); every read has an idle deadline; stop
 * waits for all connection threads.
 */
#include "refsrv.h"

#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert.h"
#include "conn.h"
#include "smtp.h"
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

/* ------------------------------------------------------------------ */
/* the session */

struct refsess {
	struct refsrv_opts o;
	struct buf in;
	bool tls, greeted_ehlo, greeted_helo, in_mail, in_data;
	size_t rcpts;
	size_t pre_tls_left; /* bytes at the front of `in` that arrived before the handshake */
	size_t injected;
	bool skip_line;      /* the rest of an over-long line is still to come: drop it */
	bool data_crlf;      /* in DATA, the last line ended in CRLF (end of data is CRLF.CRLF) */
};

#define F(s, f) (((s)->o.flaws & (f)) != 0)

struct refsess *refsess_new(const struct refsrv_opts *o)
{
	struct refsess *s = xcalloc(1, sizeof *s);
	s->o = *o;
	if (s->o.hostname == NULL)
		s->o.hostname = "stark.test";
	return s;
}

void refsess_free(struct refsess *s)
{
	if (s == NULL)
		return;
	buf_free(&s->in);
	free(s);
}

bool refsess_tls_active(const struct refsess *s)
{
	return s->tls;
}

size_t refsess_injected(const struct refsess *s)
{
	return s->injected;
}

static void reset_transaction(struct refsess *s)
{
	s->in_mail = false;
	s->rcpts = 0;
	s->in_data = false;
}

static void reply(struct buf *out, const char *text)
{
	buf_append(out, text, strlen(text));
	buf_append(out, "\r\n", 2);
}

enum refsess_action refsess_greeting(struct refsess *s, struct buf *out)
{
	if (F(s, FLAW_THROTTLE)) {
		buf_appendf(out, "421 4.7.0 %s too many connections, try again later\r\n", s->o.hostname);
		return RS_CLOSE;
	}
	buf_appendf(out, "220 %s ESMTP stark reference target\r\n", s->o.hostname);
	return RS_CONTINUE;
}

static void ehlo_reply(struct refsess *s, const uint8_t *arg, size_t arglen, struct buf *out)
{
	bool offer_tls = !s->o.no_tls && (!s->tls || F(s, FLAW_READVERTISE));
	bool offer_auth = s->tls || F(s, FLAW_AUTH_PLAINTEXT);
	const char *sep = F(s, FLAW_BAD_MULTILINE) ? "\n" : "\r\n";
	buf_appendf(out, "250-%s greets ", s->o.hostname);
	buf_append(out, arg, arglen > 64 ? 64 : arglen);
	buf_appendf(out, "\r\n");
	if (F(s, FLAW_BAD_MULTILINE))
		buf_appendf(out, "251-PIPELINING%s", sep); /* mixed codes and a bare LF (RFC 5321 4.2.1) */
	else
		buf_appendf(out, "250-PIPELINING\r\n");
	buf_appendf(out, "250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n");
	if (offer_tls)
		buf_appendf(out, "250-STARTTLS\r\n");
	if (offer_auth)
		buf_appendf(out, "250-AUTH PLAIN LOGIN\r\n");
	buf_appendf(out, "250 SMTPUTF8\r\n");
}

static bool args_start(const uint8_t *buf, const struct smtp_cmd *c, const char *prefix)
{
	size_t n = strlen(prefix);
	return c->args.len >= n && strncasecmp((const char *)buf + c->args.off, prefix, n) == 0;
}

/* One command line. Returns the action for the driver. */
static enum refsess_action command(struct refsess *s, const uint8_t *b, const struct smtp_cmd *c,
                                   struct buf *out)
{
	bool plain_refused = s->o.submission && !s->tls; /* RFC 3207 4: 530 before STARTTLS */
	if (c->flags & SMTP_F_LONG_LINE) {
		reply(out, "500 5.5.6 Error: line too long"); /* RFC 5321 4.5.3.1.4 */
		return RS_CONTINUE;
	}
	if (c->flags & (SMTP_F_NUL | SMTP_F_BAD_SYNTAX) || c->verb.len == 0) {
		reply(out, "500 5.5.2 Error: bad syntax");
		return RS_CONTINUE;
	}
	if (smtp_cmd_is(b, c, "EHLO")) {
		if (c->args.len == 0) {
			reply(out, "501 5.5.4 Syntax: EHLO hostname");
			return RS_CONTINUE;
		}
		/* RFC 5321 4.1.4: EHLO resets like RSET. The keep-state flaw
		 * keeps the transaction, so S-07 can see it survive TLS. */
		if (!F(s, FLAW_KEEP_STATE))
			reset_transaction(s);
		s->greeted_ehlo = true;
		ehlo_reply(s, b + c->args.off, c->args.len, out);
	} else if (smtp_cmd_is(b, c, "HELO")) {
		if (c->args.len == 0) {
			reply(out, "501 5.5.4 Syntax: HELO hostname");
			return RS_CONTINUE;
		}
		reset_transaction(s);
		s->greeted_helo = true;
		buf_appendf(out, "250 %s\r\n", s->o.hostname);
	} else if (smtp_cmd_is(b, c, "STARTTLS")) {
		if (s->o.no_tls) {
			reply(out, "502 5.5.1 Error: STARTTLS not available");
		} else if (c->args.len > 0 && !F(s, FLAW_STARTTLS_PARAM)) {
			reply(out, "501 5.5.4 Syntax error (no parameters allowed)"); /* RFC 3207 4 */
		} else if (s->tls) {
			if (F(s, FLAW_RESTARTTLS))
				reply(out, "220 2.0.0 Ready to start TLS");
			else
				reply(out, "503 5.5.1 Error: TLS already active"); /* RFC 3207 4.2 */
		} else {
			reply(out, "220 2.0.0 Ready to start TLS");
			return RS_STARTTLS;
		}
	} else if (smtp_cmd_is(b, c, "MAIL")) {
		if (plain_refused)
			reply(out, "530 5.7.0 Must issue a STARTTLS command first");
		else if (!s->greeted_ehlo && !s->greeted_helo)
			reply(out, "503 5.5.1 Error: send HELO/EHLO first");
		else if (s->in_mail)
			reply(out, "503 5.5.1 Error: nested MAIL command");
		else if (!args_start(b, c, "FROM:"))
			reply(out, "501 5.5.4 Syntax: MAIL FROM:<address>");
		else {
			s->in_mail = true;
			reply(out, "250 2.1.0 Ok");
		}
	} else if (smtp_cmd_is(b, c, "RCPT")) {
		if (plain_refused)
			reply(out, "530 5.7.0 Must issue a STARTTLS command first");
		else if (!s->in_mail)
			reply(out, "503 5.5.1 Error: need MAIL command");
		else if (!args_start(b, c, "TO:"))
			reply(out, "501 5.5.4 Syntax: RCPT TO:<address>");
		else {
			s->rcpts++;
			reply(out, "250 2.1.5 Ok");
		}
	} else if (smtp_cmd_is(b, c, "DATA")) {
		if (plain_refused)
			reply(out, "530 5.7.0 Must issue a STARTTLS command first");
		else if (s->rcpts == 0)
			reply(out, "503 5.5.1 Error: need RCPT command");
		else {
			s->in_data = true;
			s->data_crlf = true;
			reply(out, "354 End data with <CR><LF>.<CR><LF>");
		}
	} else if (smtp_cmd_is(b, c, "AUTH")) {
		if (plain_refused)
			reply(out, "530 5.7.0 Must issue a STARTTLS command first");
		else if (!s->tls && !F(s, FLAW_AUTH_PLAINTEXT))
			/* RFC 4954 4: no plaintext mechanisms without a protective layer */
			reply(out, "538 5.7.11 Encryption required for requested authentication mechanism");
		else if (args_start(b, c, "PLAIN "))
			reply(out, "235 2.7.0 Authentication successful");
		else
			reply(out, "504 5.5.4 Unrecognized authentication type");
	} else if (smtp_cmd_is(b, c, "RSET")) {
		reset_transaction(s);
		reply(out, "250 2.0.0 Ok");
	} else if (smtp_cmd_is(b, c, "NOOP")) {
		reply(out, "250 2.0.0 Ok");
	} else if (smtp_cmd_is(b, c, "HELP")) {
		reply(out, F(s, FLAW_CODE_RANGE) ? "614 2.0.0 see RFC 5321"
		                                 : "214 2.0.0 see RFC 5321");
	} else if (smtp_cmd_is(b, c, "VRFY")) {
		reply(out, "252 2.0.0 Cannot VRFY user");
	} else if (smtp_cmd_is(b, c, "QUIT")) {
		reply(out, "221 2.0.0 Bye");
		return RS_CLOSE;
	} else {
		reply(out, "500 5.5.2 Error: command not recognized");
		if (F(s, FLAW_CLOSE_ON_JUNK))
			return RS_CLOSE;
	}
	return RS_CONTINUE;
}

static enum refsess_action process(struct refsess *s, struct buf *out)
{
	for (;;) {
		if (s->skip_line) {
			/* The rest of a refused over-long line is not a command
			 * (running it would be line splitting). */
			const uint8_t *lf = memchr(s->in.data, '\n', s->in.len);
			s->skip_line = lf == NULL;
			buf_consume(&s->in, lf ? (size_t)(lf - s->in.data) + 1 : s->in.len);
			s->pre_tls_left = 0;
			if (s->skip_line)
				return RS_CONTINUE;
		}
		struct smtp_cmd c;
		ssize_t n = smtp_cmd_parse(s->in.data, s->in.len, &c);
		if (n == 0)
			return RS_CONTINUE;
		if (n < 0) {
			/* A line beyond any sane limit: refuse it once and drop it
			 * up to its LF, as Postfix's smtp_get(SKIP) does. */
			reply(out, "500 5.5.6 Error: line too long");
			s->skip_line = true;
			continue;
		}
		enum refsess_action a = RS_CONTINUE;
		if (s->pre_tls_left > 0) {
			/* A command that arrived in plaintext is being run inside
			 * TLS: the CVE-2011-0411 class. Counted for the F-03 oracle. */
			s->injected++;
			s->pre_tls_left = (size_t)n >= s->pre_tls_left ? 0 : s->pre_tls_left - (size_t)n;
		}
		if (s->in_data) {
			/* End of data is CRLF "." CRLF only: LF "." LF and kin
			 * would let a second message be smuggled (SEC Consult
			 * 2023, CVE-2023-51764). */
			bool crlf = !(c.flags & SMTP_F_BARE_LF);
			if (crlf && s->data_crlf && c.line.len == 1 && s->in.data[c.line.off] == '.') {
				reset_transaction(s);
				reply(out, "250 2.0.0 Ok: queued");
			}
			s->data_crlf = crlf;
		} else {
			a = command(s, s->in.data, &c, out);
		}
		buf_consume(&s->in, (size_t)n);
		if (F(s, FLAW_FLUSH_PIPELINE) && !s->in_data) {
			buf_reset(&s->in);
			s->pre_tls_left = 0;
		}
		if (a != RS_CONTINUE)
			return a;
	}
}

enum refsess_action refsess_input(struct refsess *s, const uint8_t *p, size_t n, struct buf *out)
{
	buf_append(&s->in, p, n);
	return process(s, out);
}

void refsess_absorb(struct refsess *s, const uint8_t *p, size_t n)
{
	buf_append(&s->in, p, n);
}

enum refsess_action refsess_tls_started(struct refsess *s, struct buf *out)
{
	s->tls = true;
	if (!F(s, FLAW_KEEP_STATE)) {
		/* RFC 3207 4.2: back to the initial state; EHLO must come again. */
		s->greeted_ehlo = s->greeted_helo = false;
		reset_transaction(s);
	}
	if (!F(s, FLAW_INJECT)) {
		/* RFC 3207 6 and the Postfix fix for CVE-2011-0411: discard
		 * plaintext buffered behind STARTTLS. */
		buf_reset(&s->in);
		s->pre_tls_left = 0;
		return RS_CONTINUE;
	}
	s->pre_tls_left = s->in.len;
	return process(s, out);
}

enum refsess_action refsess_tls_failed(struct refsess *s, const uint8_t *raw, size_t n,
                                       struct buf *out)
{
	if (!F(s, FLAW_PLAIN_AFTER_FAIL))
		return RS_CLOSE; /* RFC 3207 4: nothing in clear after a failed handshake */
	s->tls = false;
	buf_append(&s->in, raw, n);
	return process(s, out);
}

enum refsess_action refsess_tls_ended(struct refsess *s, struct buf *out)
{
	if (!F(s, FLAW_PLAIN_AFTER_CLOSE))
		return RS_CLOSE;
	s->tls = false;
	return process(s, out);
}

/* ------------------------------------------------------------------ */
/* the network driver */

struct refsrv {
	struct refsrv_opts o;
	int lfd;
	int port;
	pthread_t acceptor;
	volatile sig_atomic_t stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* queue or worker count changed */
	int workers, idle;     /* connection threads, and how many wait for work */
	int *queue;            /* accepted fds waiting for a worker */
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
		ssize_t n = recv(c->fd, tmp, sizeof tmp, MSG_PEEK | MSG_DONTWAIT);
		if (n <= 0)
			return;
		size_t k = 0;
		while (k < (size_t)n && tmp[k] != 0x16)
			k++;
		if (k == 0)
			return; /* the ClientHello is next: leave it to the handshake */
		n = recv(c->fd, tmp, k, MSG_DONTWAIT);
		if (n <= 0)
			return;
		refsess_absorb(s, tmp, (size_t)n);
	}
}

static void serve(struct refsrv *srv, int fd)
{
	struct conn c;
	struct buf out = {0};
	struct refsess *s = refsess_new(&srv->o);
	int64_t idle = srv->o.idle_timeout_ms > 0 ? srv->o.idle_timeout_ms : 10000;
	conn_init(&c, fd, NULL);
	c.stop = &srv->stop;
	conn_set_timeout(&c, idle);
	enum refsess_action a = refsess_greeting(s, &out);
	if (!flush_out(&c, &out))
		a = RS_CLOSE;
	while (a != RS_CLOSE) {
		while (a == RS_STARTTLS) {
			if (srv->o.flaws & FLAW_INJECT)
				absorb_until_handshake(&c, s, idle);
			conn_set_timeout(&c, idle);
			if (conn_starttls(&c, srv->tlscfg, WTLS_SERVER, NULL, NULL, 0) == CONN_OK) {
				a = refsess_tls_started(s, &out);
			} else {
				/* conn keeps what the failed handshake read in c.in */
				a = refsess_tls_failed(s, c.in.data, c.in.len, &out);
				buf_reset(&c.in);
			}
			if (!flush_out(&c, &out))
				a = RS_CLOSE;
		}
		if (a == RS_CLOSE)
			break;
		conn_set_timeout(&c, idle);
		int r = conn_fill(&c);
		if (r == CONN_EOF && c.close_notify) {
			a = refsess_tls_ended(s, &out);
			/* the flawed session goes on in plaintext on the same TCP */
			wtls_free(c.tls);
			c.tls = NULL;
			c.eof = false;
			if (!flush_out(&c, &out))
				a = RS_CLOSE;
			continue;
		}
		if (r != CONN_OK)
			break;
		a = refsess_input(s, c.in.data, c.in.len, &out);
		buf_reset(&c.in);
		if (!flush_out(&c, &out))
			a = RS_CLOSE;
	}
	if (c.tls && !c.eof)
		wtls_close_notify(c.tls);
	conn_close(&c);
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
		int fd = srv->queue[--srv->nqueue];
		pthread_mutex_unlock(&srv->mu);
		serve(srv, fd);
		pthread_mutex_lock(&srv->mu);
	}
	srv->workers--;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	wtls_thread_cleanup(); /* wolfSSL's per-thread ECC cache */
	return NULL;
}

static void dispatch(struct refsrv *srv, int fd)
{
	pthread_mutex_lock(&srv->mu);
	if (srv->nqueue == srv->capqueue) {
		srv->capqueue = srv->capqueue ? srv->capqueue * 2 : 16;
		srv->queue = xrealloc(srv->queue, srv->capqueue * sizeof *srv->queue);
	}
	srv->queue[srv->nqueue++] = fd;
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
	while (!srv->stop) {
		struct pollfd pf = {.fd = srv->lfd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			dispatch(srv, fd);
	}
	return NULL;
}

struct refsrv *refsrv_start(const struct refsrv_opts *o, const char *host, const char *port,
                            char *err, size_t errlen)
{
	wtls_global_init();
	struct refsrv *srv = xcalloc(1, sizeof *srv);
	srv->o = *o;
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
	if (srv->lfd >= 0)
		close(srv->lfd);
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
	close(r->lfd);
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->cv);
	while (r->workers > 0)
		pthread_cond_wait(&r->cv, &r->mu);
	for (size_t i = 0; i < r->nqueue; i++)
		close(r->queue[i]);
	free(r->queue);
	pthread_mutex_unlock(&r->mu);
	wtls_config_free(r->tlscfg);
	cert_set_free(r->certs);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

/* SPDX-License-Identifier: MIT */
/*
 * conn: one TCP connection with deadlines (conn_connect/listen/accept/fill/
 * send/starttls/tls_close/close, conn_peer_addr, conn_resolve); the only file
 * that touches sockets and addresses. Invariants: every blocking call is bounded by
 * c->deadline (monotonic) and polls in slices so SIGINT/SIGTERM are seen;
 * every byte goes to the transcript before it is parsed; one conn_send is
 * one write(2) or one TLS record; input beyond CONN_INBUF_MAX is refused.
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_SLICE_MS 100 /* how often a blocked call looks at the stop flag */
#define CONN_HS_RAW_MAX 65536

void conn_init(struct conn *c, int fd, struct transcript *tr)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->tr = tr;
	if (fd >= 0) {
		int one = 1;
		/* One send must be one segment: injection tests depend on it. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
}

enum tlayer conn_layer(const struct conn *c)
{
	return c->tls ? TLAYER_TLS : TLAYER_PLAIN;
}

void conn_set_timeout(struct conn *c, int64_t ms)
{
	c->deadline = mono_ms() + ms;
}

static void seterr(struct conn *c, const char *what, int e)
{
	snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(e));
}

/* Wait for events on fd (through the seam if seam) until c->deadline.
 * 1 ready, CONN_TIMEOUT, CONN_STOPPED, CONN_ERROR. */
static int wait_on(struct conn *c, int fd, bool seam, short events)
{
	for (;;) {
		if (c->stop && *c->stop)
			return CONN_STOPPED;
		int64_t left = c->deadline ? c->deadline - mono_ms() : POLL_SLICE_MS;
		if (left < 0)
			left = 0; /* a passed deadline still looks once, without waiting */
		if (left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		struct pollfd p = {.fd = fd, .events = events};
		int r = seam ? c->io->wait(c->io->ctx, events, &p.revents, (int)left)
		             : poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR) {
			seterr(c, "poll", errno);
			return CONN_ERROR;
		}
		if (c->deadline && mono_ms() >= c->deadline)
			return CONN_TIMEOUT;
	}
}

/* The connection's own descriptor (or the seam). */
static int wait_fd(struct conn *c, short events)
{
	return wait_on(c, c->fd, c->io != NULL, events);
}

int conn_connect(struct conn *c, const char *host, const char *port, int64_t timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		snprintf(c->err, sizeof c->err, "cannot resolve %s: %s", host, gai_strerror(gai));
		return CONN_ERROR;
	}
	conn_set_timeout(c, timeout_ms);
	int rc = CONN_ERROR;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			seterr(c, "socket", errno);
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			seterr(c, "connect", errno);
			close(fd);
			continue;
		}
		c->fd = fd;
		int w = wait_fd(c, POLLOUT);
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
			const volatile sig_atomic_t *stop = c->stop; /* conn_init clears it */
			conn_init(c, fd, c->tr);
			c->stop = stop;
			c->deadline = mono_ms() + timeout_ms;
			rc = CONN_OK;
			break;
		}
		if (w == 1)
			seterr(c, "connect", soerr);
		else if (w == CONN_TIMEOUT)
			snprintf(c->err, sizeof c->err, "connect: no answer within %lld ms",
			         (long long)timeout_ms);
		close(fd);
		c->fd = -1;
		rc = w == 1 ? CONN_ERROR : w;
		if (w == CONN_STOPPED)
			break;
	}
	freeaddrinfo(res);
	if (rc == CONN_OK && c->tr)
		transcript_note(c->tr, TLAYER_PLAIN, "connected to %s port %s", host, port);
	return rc;
}

/* conn_resolve's lookup, shared with its thread: getaddrinfo has no
 * deadline, so it runs on a detached thread and whichever of the two
 * leaves last frees this. */
struct lookup {
	pthread_mutex_t mu;
	int refs;
	bool done;
	int gai;
	bool loopback;
	char *host, *port;
};

static void lookup_unref(struct lookup *l)
{
	pthread_mutex_lock(&l->mu);
	bool last = --l->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->host);
	free(l->port);
	free(l);
}

static bool addr_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static void *lookup_run(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(l->host, l->port, &hints, &res);
	bool lo = gai == 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		lo = lo && addr_loopback(ai->ai_addr);
	if (res)
		freeaddrinfo(res);
	pthread_mutex_lock(&l->mu);
	l->gai = gai;
	l->loopback = lo;
	l->done = true;
	pthread_mutex_unlock(&l->mu);
	lookup_unref(l);
	return NULL;
}

int conn_resolve(const char *host, const char *port, int64_t timeout_ms,
                 const volatile sig_atomic_t *stop, bool *loopback, char *err, size_t errlen)
{
	struct lookup *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	l->refs = 2;
	l->host = xstrdup(host);
	l->port = xstrdup(port);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, lookup_run, l) != 0) {
		pthread_attr_destroy(&attr);
		snprintf(err, errlen, "cannot resolve %s: no thread for the lookup", host);
		l->refs = 1;
		lookup_unref(l);
		return -1;
	}
	pthread_attr_destroy(&attr);
	int64_t end = mono_ms() + timeout_ms;
	pthread_mutex_lock(&l->mu);
	/* 50 ms slices: the deadline and SIGINT/SIGTERM are both seen soon */
	while (!l->done && mono_ms() < end && !(stop && *stop)) {
		pthread_mutex_unlock(&l->mu);
		mono_sleep(50, stop);
		pthread_mutex_lock(&l->mu);
	}
	bool done = l->done;
	int gai = l->gai;
	bool lo = l->loopback;
	pthread_mutex_unlock(&l->mu);
	lookup_unref(l);
	if (!done) {
		snprintf(err, errlen, stop && *stop ? "cannot resolve %s: interrupted"
		                                     : "cannot resolve %s: no answer within %lld ms",
		         host, (long long)timeout_ms);
		return -1;
	}
	if (gai != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
		return -1;
	}
	if (loopback)
		*loopback = lo;
	return 0;
}

int conn_listen(const char *host, const char *port, int backlog, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host ? host : "*", gai_strerror(gai));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
			break;
		snprintf(err, errlen, "cannot listen on %s:%s: %s", host ? host : "*", port,
		         strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int conn_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

void conn_listen_close(int lfd)
{
	if (lfd >= 0)
		close(lfd);
}

int conn_accept(struct conn *c, int lfd, int64_t timeout_ms)
{
	conn_set_timeout(c, timeout_ms);
	for (;;) {
		/* the listener is never behind the I/O seam */
		int w = wait_on(c, lfd, false, POLLIN);
		if (w != 1)
			return w;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			const volatile sig_atomic_t *stop = c->stop; /* conn_init clears it */
			conn_init(c, fd, c->tr);
			c->stop = stop;
			return CONN_OK;
		}
		/* gone before we took it (RST), or another thread took it */
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
			continue;
		seterr(c, "accept", errno);
		return CONN_ERROR;
	}
}

int conn_peer_addr(const struct conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (len == 0)
		return -1;
	if (c->io == NULL && c->fd >= 0 && getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, buf, len, NULL, 0, NI_NUMERICHOST) == 0)
		return 0;
	buf[0] = '\0';
	return -1;
}

/* Raw read with deadline: >0, 0 EOF, CONN_* < 0. */
static ssize_t raw_read(struct conn *c, uint8_t *p, size_t n)
{
	for (;;) {
		int w = wait_fd(c, POLLIN);
		if (w != 1)
			return w;
		ssize_t r = c->io ? c->io->recv(c->io->ctx, p, n) : recv(c->fd, p, n, MSG_DONTWAIT);
		if (r > 0) {
			c->rx_total += (size_t)r;
			/* ACK at once: a peer whose next reply waits behind an
			 * unacknowledged segment (Nagle; e.g. Postfix after a TLS
			 * 1.3 ticket) would otherwise stall for the ~40 ms delayed
			 * ACK. Not sticky in Linux, hence after every read. */
			int one = 1;
			if (c->io == NULL)
				setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
			return r;
		}
		if (r == 0)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			continue;
		if (errno == ECONNRESET || errno == EPIPE)
			return 0; /* a reset is a close as far as SMTP is concerned */
		seterr(c, "recv", errno);
		return CONN_ERROR;
	}
}

/* Raw write of all bytes within the deadline. CONN_OK or error. */
static int raw_write(struct conn *c, const uint8_t *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t w = c->io ? c->io->send(c->io->ctx, p + off, n - off)
		                  : send(c->fd, p + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			int r = wait_fd(c, POLLOUT);
			if (r != 1)
				return r;
			continue;
		}
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			c->eof = true;
			seterr(c, "send", errno);
			return CONN_EOF;
		}
		seterr(c, "send", w < 0 ? errno : EIO);
		return CONN_ERROR;
	}
	return CONN_OK;
}

/* wtls I/O callbacks: ciphertext is not put in the transcript (the
 * decrypted bytes are); glued plaintext is. */
static ssize_t tls_recv_cb(void *ctx, uint8_t *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t r = raw_read(c, buf, len);
	if (r == CONN_TIMEOUT)
		return WTLS_WANT;
	if (r < 0) {
		if (r == CONN_STOPPED)
			snprintf(c->err, sizeof c->err, "interrupted");
		return -1;
	}
	if (r == 0)
		c->eof = true;
	else if (c->in_handshake && c->hs_raw.len < CONN_HS_RAW_MAX)
		buf_append(&c->hs_raw, buf, (size_t)r);
	return r;
}

static ssize_t tls_send_cb(void *ctx, const uint8_t *buf, size_t len)
{
	struct conn *c = ctx;
	int r;
	if (c->gather && c->glue.len == 0) {
		buf_append(&c->out, buf, len);
		return (ssize_t)len;
	}
	if (c->glue.len > 0) {
		/* The injection variant S-09(c): plaintext and the first TLS
		 * record leave in one write(2), so in one segment. */
		struct buf one = {0};
		buf_append(&one, c->glue.data, c->glue.len);
		buf_append(&one, buf, len);
		if (c->tr)
			transcript_add(c->tr, TDIR_SEND, TLAYER_PLAIN, c->glue.data, c->glue.len);
		r = raw_write(c, one.data, one.len);
		buf_free(&one);
		buf_reset(&c->glue);
	} else {
		r = raw_write(c, buf, len);
	}
	return r == CONN_OK ? (ssize_t)len : -1;
}

int conn_wait_readable(struct conn *c)
{
	if (c->in.len > 0 || (c->tls && wtls_pending(c->tls) > 0))
		return CONN_OK;
	if (c->eof)
		return CONN_EOF;
	int w = wait_fd(c, POLLIN);
	return w == 1 ? CONN_OK : w;
}

int conn_fill(struct conn *c)
{
	uint8_t tmp[CONN_READ_CHUNK];
	if (c->eof)
		return CONN_EOF;
	if (c->in.len >= CONN_INBUF_MAX) {
		snprintf(c->err, sizeof c->err, "more than %u bytes of unconsumed input", CONN_INBUF_MAX);
		return CONN_ERROR;
	}
	size_t want = CONN_INBUF_MAX - c->in.len;
	if (want > sizeof tmp)
		want = sizeof tmp;
	for (;;) {
		ssize_t r;
		if (c->tls) {
			if (wtls_pending(c->tls) == 0) {
				int w = wait_fd(c, POLLIN);
				if (w != 1)
					return w;
			}
			r = wtls_read(c->tls, tmp, want);
			if (r == WTLS_WANT) {
				/* Only a partial record or a post-handshake message
				 * (e.g. a TLS 1.3 ticket) arrived: keep waiting. */
				if (c->deadline && mono_ms() >= c->deadline)
					return CONN_TIMEOUT;
				continue;
			}
			if (r < 0) {
				if (c->err[0] == '\0' || strcmp(c->err, "interrupted") != 0)
					snprintf(c->err, sizeof c->err, "TLS read: %s", wtls_error(c->tls));
				if (c->stop && *c->stop)
					return CONN_STOPPED;
				if (c->eof) /* the TCP connection ended under TLS */
					goto eof;
				return CONN_ERROR;
			}
		} else {
			r = raw_read(c, tmp, want);
			if (r < 0)
				return (int)r;
		}
		if (r == 0) {
			if (c->tls && !c->eof)
				c->close_notify = true;
			goto eof;
		}
		if (c->tr)
			transcript_add(c->tr, TDIR_RECV, conn_layer(c), tmp, (size_t)r);
		buf_append(&c->in, tmp, (size_t)r);
		return CONN_OK;
	}
eof:
	c->eof = true;
	if (c->tr)
		transcript_note(c->tr, conn_layer(c), "connection closed by peer");
	return CONN_EOF;
}

int conn_send(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->tr)
		transcript_add(c->tr, TDIR_SEND, conn_layer(c), p, n);
	if (c->tls) {
		/* One send is one write(2) inside TLS too: the records of a long
		 * line leave together, as its plaintext would, so a peer that
		 * answers and closes after its first part races no later write
		 * of ours (whose reset would lose that answer). */
		c->gather = true;
		ssize_t w = wtls_write(c->tls, p, n);
		c->gather = false;
		int r = w == (ssize_t)n ? raw_write(c, c->out.data, c->out.len) : CONN_ERROR;
		buf_reset(&c->out);
		if (r != CONN_OK) {
			char why[sizeof c->err];
			snprintf(why, sizeof why, "%s", w == (ssize_t)n ? c->err : wtls_error(c->tls));
			snprintf(c->err, sizeof c->err, "TLS write: %s", why);
			return c->eof ? CONN_EOF : CONN_ERROR;
		}
		return CONN_OK;
	}
	return raw_write(c, p, n);
}

/* Length of the whole TLS records (content types 20..23, version 3.x) at
 * the front of p, plus a trailing partial record: the handshake's own
 * bytes. What follows them is not TLS. */
static size_t tls_records_len(const uint8_t *p, size_t n)
{
	size_t off = 0;
	while (off < n && p[off] >= 20 && p[off] <= 23 && (off + 1 >= n || p[off + 1] == 3)) {
		if (off + 5 > n)
			return n;
		size_t rl = (size_t)p[off + 3] << 8 | p[off + 4];
		if (off + 5 + rl > n)
			return n;
		off += 5 + rl;
	}
	return off;
}

int conn_starttls(struct conn *c, struct wtls_config *cfg, enum wtls_role role,
                  const char *servername, const uint8_t *glue, size_t gluelen)
{
	if (c->in.len > 0) {
		/* RFC 3207 6: knowledge from before the handshake is discarded;
		 * the bytes stay in the transcript as evidence. */
		c->switched_discarded = c->in.len;
		if (c->tr)
			transcript_note(c->tr, TLAYER_PLAIN,
			                "%zu plaintext bytes were buffered at the switch to TLS and are discarded",
			                c->in.len);
		buf_reset(&c->in);
	}
	buf_reset(&c->glue);
	if (gluelen > 0)
		buf_append(&c->glue, glue, gluelen);
	wtls_free(c->tls);
	c->tls = wtls_new(cfg, servername, tls_recv_cb, tls_send_cb, c);
	if (c->tls == NULL) {
		snprintf(c->err, sizeof c->err, "cannot create TLS session");
		return CONN_ERROR;
	}
	c->err[0] = '\0';
	c->close_notify = false;
	buf_reset(&c->hs_raw);
	int64_t t0 = mono_us();
	c->in_handshake = true;
	int r = wtls_handshake(c->tls);
	c->in_handshake = false;
	const struct wtls_facts *f = wtls_facts(c->tls);
	c->tls_tried = true;
	c->tls_ok = r == 0;
	c->facts = *f;
	if (r != 0) {
		if (c->stop && *c->stop)
			snprintf(c->err, sizeof c->err, "interrupted");
		else
			snprintf(c->err, sizeof c->err, "%s", wtls_error(c->tls));
		if (c->tr)
			transcript_note(c->tr, TLAYER_PLAIN, "%s", c->err); /* wtls says "TLS handshake failed: ..." */
		if (c->tr && role == WTLS_SERVER && f->client_sni[0])
			transcript_note(c->tr, TLAYER_PLAIN, "client SNI \"%s\"", f->client_sni);
		wtls_free(c->tls);
		c->tls = NULL;
		/* What the peer sent instead of a handshake is evidence, and the
		 * connection goes on in plaintext: keep the bytes the TLS layer
		 * swallowed (a plaintext command or reply, an alert record) in
		 * the transcript and in front of whatever is read next. */
		if (c->hs_raw.len > 0) {
			if (c->tr) {
				transcript_note(c->tr, TLAYER_PLAIN,
				                "%zu bytes were read by the failed handshake:", c->hs_raw.len);
				transcript_add(c->tr, TDIR_RECV, TLAYER_PLAIN, c->hs_raw.data, c->hs_raw.len);
			}
			size_t off = tls_records_len(c->hs_raw.data, c->hs_raw.len);
			buf_append(&c->in, c->hs_raw.data + off, c->hs_raw.len - off);
		}
		return c->stop && *c->stop ? CONN_STOPPED : CONN_ERROR;
	}
	if (c->tr)
		transcript_note(c->tr, TLAYER_TLS, "TLS handshake ok in %.1f ms: %s %s%s%s",
		                (mono_us() - t0) / 1000.0, f->version, f->cipher,
		                f->group[0] ? " group " : "", f->group);
	/* the role lives in cfg; as the server, the name the client asked for */
	if (c->tr && role == WTLS_SERVER)
		transcript_note(c->tr, TLAYER_TLS, f->client_sni[0] ? "client SNI \"%s\"" : "client SNI: none%s",
		                f->client_sni);
	return CONN_OK;
}

int conn_tls_close(struct conn *c)
{
	if (c->tls == NULL)
		return CONN_OK;
	int r = wtls_close_notify(c->tls);
	if (c->tr)
		transcript_note(c->tr, TLAYER_TLS, "close_notify sent; continuing in plaintext");
	wtls_free(c->tls);
	c->tls = NULL;
	buf_reset(&c->in);
	return r == 0 ? CONN_OK : CONN_ERROR;
}

void conn_tls_drop(struct conn *c)
{
	wtls_free(c->tls);
	c->tls = NULL;
	c->eof = false;
	/* plaintext from here: a later TCP close is not a close_notify */
	c->close_notify = false;
}

ssize_t conn_read_before(struct conn *c, uint8_t stop_byte, uint8_t *p, size_t n)
{
	if (c->io != NULL || c->fd < 0 || c->tls != NULL) {
		snprintf(c->err, sizeof c->err, "conn_read_before needs a plaintext socket");
		return CONN_ERROR;
	}
	ssize_t r = recv(c->fd, p, n, MSG_PEEK | MSG_DONTWAIT);
	if (r <= 0)
		return 0;
	size_t k = 0;
	while (k < (size_t)r && p[k] != stop_byte)
		k++;
	if (k == 0)
		return 0;
	r = recv(c->fd, p, k, MSG_DONTWAIT); /* what the peek saw: it is there */
	if (r <= 0)
		return 0;
	c->rx_total += (size_t)r;
	if (c->tr)
		transcript_add(c->tr, TDIR_RECV, TLAYER_PLAIN, p, (size_t)r);
	return r;
}

void conn_close(struct conn *c)
{
	wtls_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->glue);
	buf_free(&c->out);
	buf_free(&c->hs_raw);
}

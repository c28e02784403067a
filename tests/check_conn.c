/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for conn: deadlines (a silent peer costs exactly its timeout),
 * EOF and reset, one conn_send = one write(2) over real loopback TCP,
 * connect errors, the stop flag, the CONN_INBUF_MAX bound, accept within a
 * deadline (and the stop flag), the peer's address, reading up to a byte
 * that stays unread, conn_resolve (numeric names only, the loopback flag),
 * and the switch to TLS (facts, plaintext buffered at the switch, bytes
 * glued in front of the ClientHello, failure back to plaintext,
 * close_notify, going on in plaintext after the peer's). Loopback only.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert.h"
#include "conn.h"
#include "support.h"
#include "transcript.h"
#include "util.h"
#include "wtls.h"

/* ---- plumbing ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A listener on 127.0.0.1, a free port. */
static int listen_lo(int *port)
{
	char err[256] = "";
	int lfd = conn_listen("127.0.0.1", "0", 8, err, sizeof err);
	ck_assert_msg(lfd >= 0, "listen: %s", err);
	*port = conn_local_port(lfd);
	ck_assert_int_gt(*port, 0);
	return lfd;
}

/* accept with a bound: -1 if nobody came within ms. */
static int accept_within(int lfd, int ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* A connected TCP pair over loopback: client in c (a conn), server fd. */
static int tcp_pair(struct conn *c, struct transcript *tr)
{
	int port;
	int lfd = listen_lo(&port);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	conn_init(c, -1, tr);
	ck_assert_int_eq(conn_connect(c, "127.0.0.1", ps, 2000), CONN_OK);
	int sfd = accept_within(lfd, 2000);
	ck_assert_int_ge(sfd, 0);
	close(lfd);
	return sfd;
}

/* One read after the socket became readable; -1 on timeout. */
static ssize_t read_once(int fd, uint8_t *buf, size_t len, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, buf, len, 0);
}

static bool transcript_has_note(const struct transcript *t, const char *needle)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].dir == TDIR_NOTE && strstr((const char *)t->ev[i].data, needle))
			return true;
	return false;
}

/* ---- deadlines, EOF ---- */

START_TEST(fill_times_out_on_silence)
{
	int sv[2];
	support_socketpair(sv, 0);
	struct conn c;
	conn_init(&c, sv[0], NULL);
	conn_set_timeout(&c, 200);
	int64_t t0 = mono_ms();
	int rc = conn_fill(&c);
	int64_t el = mono_ms() - t0;
	ck_assert_int_eq(rc, CONN_TIMEOUT);
	ck_assert_msg(el >= 200 && el <= 350, "CONN_TIMEOUT after %lld ms, want 200..350",
	              (long long)el);
	ck_assert_uint_eq(c.in.len, 0);
	ck_assert(!c.eof);
	/* A deadline already passed still looks once, without waiting. */
	(void)!write(sv[1], "x", 1);
	c.deadline = mono_ms() - 1000;
	t0 = mono_ms();
	ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_int_le(mono_ms() - t0, 50);
	c.deadline = mono_ms() - 1000;
	t0 = mono_ms();
	ck_assert_int_eq(conn_fill(&c), CONN_TIMEOUT);
	ck_assert_int_le(mono_ms() - t0, 50);
	conn_close(&c);
	close(sv[1]);
}
END_TEST

START_TEST(wait_readable_deadline)
{
	int sv[2];
	support_socketpair(sv, 0);
	struct conn c;
	conn_init(&c, sv[0], NULL);
	conn_set_timeout(&c, 200);
	int64_t t0 = mono_ms();
	ck_assert_int_eq(conn_wait_readable(&c), CONN_TIMEOUT);
	int64_t el = mono_ms() - t0;
	ck_assert_msg(el >= 200 && el <= 350, "timeout after %lld ms", (long long)el);
	(void)!write(sv[1], "220 x\r\n", 7);
	conn_set_timeout(&c, 200);
	ck_assert_int_eq(conn_wait_readable(&c), CONN_OK);
	ck_assert_uint_eq(c.in.len, 0); /* waiting does not consume */
	ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_uint_eq(c.in.len, 7);
	ck_assert_int_eq(conn_wait_readable(&c), CONN_OK); /* buffered input counts */
	conn_close(&c);
	close(sv[1]);
}
END_TEST

START_TEST(fill_eof_on_close)
{
	int sv[2];
	support_socketpair(sv, 0);
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	conn_init(&c, sv[0], &tr);
	ck_assert_int_eq(write(sv[1], "221 bye\r\n", 9), 9);
	close(sv[1]);
	conn_set_timeout(&c, 1000);
	ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_uint_eq(c.in.len, 9);
	ck_assert_mem_eq(c.in.data, "221 bye\r\n", 9);
	ck_assert_uint_eq(c.rx_total, 9);
	int64_t t0 = mono_ms();
	ck_assert_int_eq(conn_fill(&c), CONN_EOF);
	ck_assert_int_le(mono_ms() - t0, 100); /* no waiting for the deadline */
	ck_assert(c.eof);
	ck_assert_int_eq(conn_fill(&c), CONN_EOF); /* stays closed */
	ck_assert_int_eq(conn_wait_readable(&c), CONN_OK); /* the 9 bytes are still there */
	/* Evidence: the bytes, then the close. */
	ck_assert_uint_ge(tr.n, 2);
	ck_assert_int_eq(tr.ev[0].dir, TDIR_RECV);
	ck_assert_uint_eq(tr.ev[0].len, 9);
	ck_assert(transcript_has_note(&tr, "closed"));
	conn_close(&c);
	transcript_free(&tr);
}
END_TEST

START_TEST(fill_eof_on_reset)
{
	struct conn c;
	int sfd = tcp_pair(&c, NULL);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	ck_assert_int_eq(setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	close(sfd); /* RST */
	conn_set_timeout(&c, 1000);
	ck_assert_int_eq(conn_fill(&c), CONN_EOF);
	ck_assert(c.eof);
	conn_close(&c);
}
END_TEST

/* ---- one send = one write ---- */

START_TEST(send_is_one_write)
{
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	int sfd = tcp_pair(&c, &tr);
	/* Nagle off: a small send leaves at once, as its own segment. */
	int nd = 0;
	socklen_t sl = sizeof nd;
	ck_assert_int_eq(getsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &nd, &sl), 0);
	ck_assert_int_eq(nd, 1);

	uint8_t big[4000], rx[65536];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 31 + 1);
	conn_set_timeout(&c, 1000);
	ck_assert_int_eq(conn_send(&c, big, sizeof big), CONN_OK);
	ssize_t n = read_once(sfd, rx, sizeof rx, 2000);
	ck_assert_int_eq(n, (ssize_t)sizeof big); /* all of it in the first read */
	ck_assert_mem_eq(rx, big, sizeof big);

	/* Two sends, the reader reading between them: two reads, exact bytes. */
	ck_assert_int_eq(conn_send(&c, (const uint8_t *)"STARTTLS\r\n", 10), CONN_OK);
	n = read_once(sfd, rx, sizeof rx, 2000);
	ck_assert_int_eq(n, 10);
	ck_assert_mem_eq(rx, "STARTTLS\r\n", 10);
	ck_assert_int_eq(conn_send(&c, (const uint8_t *)"NOOP\r\n", 6), CONN_OK);
	n = read_once(sfd, rx, sizeof rx, 2000);
	ck_assert_int_eq(n, 6);
	ck_assert_mem_eq(rx, "NOOP\r\n", 6);

	/* Every sent byte is in the transcript, one event per send. */
	size_t sends = 0;
	for (size_t i = 0; i < tr.n; i++)
		if (tr.ev[i].dir == TDIR_SEND)
			sends++;
	ck_assert_uint_eq(sends, 3);
	ck_assert(transcript_has_note(&tr, "connected to 127.0.0.1"));
	conn_close(&c);
	close(sfd);
	transcript_free(&tr);
}
END_TEST

START_TEST(send_to_closed_peer)
{
	struct conn c;
	int sfd = tcp_pair(&c, NULL);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(sfd);
	sleep_ms(50);
	conn_set_timeout(&c, 1000);
	/* The reset peer: EOF (never SIGPIPE: the test process would die). */
	int rc = conn_send(&c, (const uint8_t *)"NOOP\r\n", 6);
	if (rc == CONN_OK) /* the first write may still be accepted locally */
		rc = conn_send(&c, (const uint8_t *)"NOOP\r\n", 6);
	ck_assert_int_eq(rc, CONN_EOF);
	ck_assert(c.eof);
	ck_assert_str_ne(c.err, "");
	conn_close(&c);
}
END_TEST

/* ---- connect ---- */

START_TEST(connect_refused)
{
	int port;
	int lfd = listen_lo(&port);
	close(lfd); /* nobody listens there now */
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	struct conn c;
	conn_init(&c, -1, NULL);
	int64_t t0 = mono_ms();
	int rc = conn_connect(&c, "127.0.0.1", ps, 2000);
	ck_assert_int_eq(rc, CONN_ERROR);
	ck_assert_int_lt(mono_ms() - t0, 1000);
	ck_assert_msg(strstr(c.err, "refused") != NULL, "err: '%s'", c.err);
	ck_assert_int_eq(c.fd, -1);
	conn_close(&c);
}
END_TEST

/* Numeric names only: a test must not ask a DNS server anything. */
START_TEST(resolve_numeric_and_loopback)
{
	char err[256] = "";
	bool lo = false;
	ck_assert_int_eq(conn_resolve("127.0.0.1", "25", 2000, NULL, &lo, err, sizeof err), 0);
	ck_assert(lo);
	ck_assert_int_eq(conn_resolve("::1", "25", 2000, NULL, &lo, err, sizeof err), 0);
	ck_assert(lo);
	ck_assert_int_eq(conn_resolve("192.0.2.7", "25", 2000, NULL, &lo, err, sizeof err), 0);
	ck_assert(!lo); /* TEST-NET-1: not loopback, and never contacted */
	ck_assert_int_eq(conn_resolve("127.0.0.1", "smtp", 2000, NULL, &lo, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "cannot resolve 127.0.0.1: "), "err: '%s'", err);
}
END_TEST

START_TEST(connect_sets_deadline_and_port)
{
	int port;
	int lfd = listen_lo(&port);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	struct conn c;
	conn_init(&c, -1, NULL);
	int64_t before = mono_ms();
	ck_assert_int_eq(conn_connect(&c, "127.0.0.1", ps, 1500), CONN_OK);
	ck_assert_int_ge(c.fd, 0);
	ck_assert_int_ge(c.deadline, before + 1500);
	ck_assert_int_le(c.deadline, mono_ms() + 1500);
	int sfd = accept_within(lfd, 1000);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(conn_local_port(lfd), port);
	ck_assert_int_eq(conn_local_port(-1), -1);
	close(sfd);
	close(lfd);
	conn_close(&c);
}
END_TEST

/* ---- stop flag ---- */

static volatile sig_atomic_t stop_flag;
static int64_t stop_set_at;

START_TEST(stop_flag_interrupts_fill)
{
	int sv[2];
	support_socketpair(sv, 0);
	struct conn c;
	conn_init(&c, sv[0], NULL);
	stop_flag = 0;
	c.stop = &stop_flag;
	conn_set_timeout(&c, 5000);
	pthread_t t = support_stop_later(&stop_flag, 100, &stop_set_at);
	int64_t t0 = mono_ms();
	int rc = conn_fill(&c);
	int64_t end = mono_ms();
	support_thread_join(t, 30000);
	ck_assert_int_eq(rc, CONN_STOPPED);
	ck_assert_msg(end - stop_set_at <= 200, "returned %lld ms after the stop flag was set",
	              (long long)(end - stop_set_at));
	ck_assert_int_lt(end - t0, 1000);
	/* Set before the call: returns at once. */
	t0 = mono_ms();
	ck_assert_int_eq(conn_fill(&c), CONN_STOPPED);
	ck_assert_int_le(mono_ms() - t0, 50);
	conn_close(&c);
	close(sv[1]);
}
END_TEST

/* The flag set before connecting must still be honoured after: exec sets
 * c.stop and then calls conn_connect. */
START_TEST(stop_flag_survives_connect)
{
	int port;
	int lfd = listen_lo(&port);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	conn_init(&c, -1, &tr);
	stop_flag = 0;
	c.stop = &stop_flag;
	ck_assert_int_eq(conn_connect(&c, "127.0.0.1", ps, 2000), CONN_OK);
	ck_assert_ptr_eq(c.tr, &tr);
	ck_assert_msg(c.stop == &stop_flag, "conn_connect dropped the stop flag");
	int sfd = accept_within(lfd, 1000);
	ck_assert_int_ge(sfd, 0);
	stop_flag = 1;
	conn_set_timeout(&c, 3000);
	int64_t t0 = mono_ms();
	ck_assert_int_eq(conn_fill(&c), CONN_STOPPED);
	ck_assert_int_le(mono_ms() - t0, 200);
	close(sfd);
	close(lfd);
	conn_close(&c);
	transcript_free(&tr);
}
END_TEST

/* ---- input bound ---- */

struct flood {
	int fd;
	size_t total, sent;
};

static void *flood_main(void *arg)
{
	struct flood *f = arg;
	uint8_t chunk[8192];
	memset(chunk, 'A', sizeof chunk);
	while (f->sent < f->total) {
		ssize_t n = send(f->fd, chunk, sizeof chunk, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the reader closed: expected */
		f->sent += (size_t)n;
	}
	return NULL;
}

START_TEST(inbuf_is_bounded)
{
	int sv[2];
	support_socketpair(sv, 10);
	struct flood f = {.fd = sv[1], .total = CONN_INBUF_MAX + 64u * 1024u};
	pthread_t t = support_thread_start(flood_main, &f);
	struct conn c;
	conn_init(&c, sv[0], NULL);
	conn_set_timeout(&c, 3000);
	int rc;
	size_t calls = 0;
	while ((rc = conn_fill(&c)) == CONN_OK)
		ck_assert_uint_lt(++calls, 100000);
	ck_assert_int_eq(rc, CONN_ERROR);
	ck_assert_uint_le(c.in.len, CONN_INBUF_MAX);
	ck_assert_uint_eq(c.in.len, CONN_INBUF_MAX); /* filled up to, never beyond */
	ck_assert_uint_le(c.in.cap, 2u * CONN_INBUF_MAX + 1);
	ck_assert_msg(strstr(c.err, "unconsumed") != NULL, "err: '%s'", c.err);
	/* Consuming makes room again. */
	buf_consume(&c.in, 1024);
	ck_assert_int_eq(conn_fill(&c), CONN_OK);
	conn_close(&c); /* unblocks the writer */
	support_thread_join(t, 30000);
	close(sv[1]);
}
END_TEST

/* ---- TLS ---- */

static struct cert_set *CS;
static struct wtls_config *SRV_CFG, *CLI_CFG;

static void tls_setup(void)
{
	wtls_global_init();
	CS = cert_set_new("localhost");
	ck_assert_ptr_nonnull(CS);
	const struct cert_pem *pem = cert_set_get(CS, CERT_GOOD);
	ck_assert_ptr_nonnull(pem);
	SRV_CFG = wtls_config_new(WTLS_SERVER);
	ck_assert_int_eq(wtls_config_set_keypair_mem(SRV_CFG, (const uint8_t *)pem->chain,
	                                             strlen(pem->chain), (const uint8_t *)pem->key,
	                                             strlen(pem->key)),
	                 0);
	CLI_CFG = wtls_config_new(WTLS_CLIENT);
	const char *ca = cert_set_ca_pem(CS);
	ck_assert_int_eq(wtls_config_add_ca_mem(CLI_CFG, (const uint8_t *)ca, strlen(ca)), 0);
}

static void tls_teardown(void)
{
	wtls_config_free(SRV_CFG);
	wtls_config_free(CLI_CFG);
	cert_set_free(CS);
	SRV_CFG = CLI_CFG = NULL;
	CS = NULL;
	wtls_thread_cleanup();
}

enum srv_mode {
	SRV_TLS,     /* conn_starttls as server, echo one message, then wait for close_notify */
	SRV_RAW,     /* read the first bytes raw, then close */
	SRV_GARBAGE, /* read the ClientHello, answer plaintext, close */
};

struct srv {
	int fd;
	enum srv_mode mode;
	const char *pre; /* plaintext sent before the switch */
	int rc;
	struct wtls_facts facts;
	uint8_t raw[65536];
	ssize_t nraw;
	char got[64];
	int after_close; /* conn_fill result after the client's close_notify */
	bool close_notify;
	bool drop;        /* SRV_TLS: then conn_tls_drop, say "dropped", read a line, see the close */
	enum tlayer drop_layer;
	char plain[64];   /* the line read in plaintext after the drop */
	int after_drop;   /* conn_fill result at the client's TCP close */
	bool close_notify_at_close;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct conn c;
	conn_init(&c, s->fd, NULL);
	conn_set_timeout(&c, 5000);
	if (s->pre)
		conn_send(&c, (const uint8_t *)s->pre, strlen(s->pre));
	switch (s->mode) {
	case SRV_TLS:
		s->rc = conn_starttls(&c, SRV_CFG, WTLS_SERVER, NULL, NULL, 0);
		s->facts = c.facts;
		if (s->rc == CONN_OK && conn_fill(&c) == CONN_OK) {
			size_t n = c.in.len < sizeof s->got - 1 ? c.in.len : sizeof s->got - 1;
			memcpy(s->got, c.in.data, n);
			buf_reset(&c.in);
			conn_send(&c, (const uint8_t *)"pong", 4);
			s->after_close = conn_fill(&c);
			s->close_notify = c.close_notify;
			if (s->drop && s->after_close == CONN_EOF && c.close_notify) {
				conn_tls_drop(&c);
				s->drop_layer = conn_layer(&c);
				conn_send(&c, (const uint8_t *)"dropped\r\n", 9);
				while (c.in.len < 6 && conn_fill(&c) == CONN_OK)
					;
				n = c.in.len < sizeof s->plain - 1 ? c.in.len : sizeof s->plain - 1;
				memcpy(s->plain, c.in.data, n);
				buf_reset(&c.in);
				s->after_drop = conn_fill(&c);
				s->close_notify_at_close = c.close_notify;
			}
		}
		break;
	case SRV_RAW:
		s->nraw = read_once(s->fd, s->raw, sizeof s->raw, 5000);
		break;
	case SRV_GARBAGE:
		s->nraw = read_once(s->fd, s->raw, sizeof s->raw, 5000);
		conn_send(&c, (const uint8_t *)"250 not tls\r\n", 13);
		sleep_ms(50);
		break;
	}
	conn_close(&c);
	wtls_thread_cleanup();
	return NULL;
}

START_TEST(starttls_completes)
{
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	static struct srv s;
	memset(&s, 0, sizeof s);
	s.fd = tcp_pair(&c, &tr);
	s.mode = SRV_TLS;
	s.pre = "220 go ahead\r\n250 piped\r\n";
	size_t prelen = strlen(s.pre);
	pthread_t t = support_thread_start(srv_main, &s);
	/* Read all of the plaintext, consume none of it. */
	conn_set_timeout(&c, 3000);
	while (c.in.len < prelen)
		ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_uint_eq(c.in.len, prelen);
	ck_assert_int_eq(conn_layer(&c), TLAYER_PLAIN);

	conn_set_timeout(&c, 5000);
	int rc = conn_starttls(&c, CLI_CFG, WTLS_CLIENT, "localhost", NULL, 0);
	ck_assert_msg(rc == CONN_OK, "handshake: %s", c.err);
	ck_assert_int_eq(conn_layer(&c), TLAYER_TLS);
	ck_assert(c.tls_tried);
	ck_assert(c.tls_ok);
	ck_assert(c.facts.handshake_ok);
	ck_assert_msg(strncmp(c.facts.version, "TLSv1.", 6) == 0, "version '%s'", c.facts.version);
	ck_assert_str_ne(c.facts.cipher, "");
	ck_assert_msg(c.facts.verify_ok, "verify: %s", c.facts.verify_error);
	ck_assert(c.facts.host_ok);
	ck_assert_str_eq(c.facts.servername, "localhost");
	ck_assert_uint_ge(c.facts.nchain, 1);
	/* The buffered plaintext was discarded, counted and noted. */
	ck_assert_uint_eq(c.switched_discarded, prelen);
	ck_assert_uint_eq(c.in.len, 0);
	char note[64];
	snprintf(note, sizeof note, "%zu plaintext bytes", prelen);
	ck_assert_msg(transcript_has_note(&tr, note), "no note '%s'", note);
	ck_assert(transcript_has_note(&tr, "TLS handshake ok"));

	/* Application data both ways inside TLS. */
	ck_assert_int_eq(conn_send(&c, (const uint8_t *)"ping", 4), CONN_OK);
	conn_set_timeout(&c, 3000);
	while (c.in.len < 4) {
		rc = conn_fill(&c);
		ck_assert_msg(rc == CONN_OK, "fill: %d %s", rc, c.err);
	}
	ck_assert_mem_eq(c.in.data, "pong", 4);
	/* close_notify: back to plaintext here, an orderly TLS end there. */
	ck_assert_int_eq(conn_tls_close(&c), CONN_OK);
	ck_assert_int_eq(conn_layer(&c), TLAYER_PLAIN);
	support_thread_join(t, 30000);
	ck_assert_int_eq(s.rc, CONN_OK);
	ck_assert(s.facts.handshake_ok);
	ck_assert_str_eq(s.facts.client_sni, "localhost");
	ck_assert_str_eq(s.got, "ping");
	ck_assert_int_eq(s.after_close, CONN_EOF);
	ck_assert(s.close_notify);
	/* Ciphertext is not evidence; decrypted bytes are, on the TLS layer. */
	bool tls_recv = false;
	for (size_t i = 0; i < tr.n; i++)
		if (tr.ev[i].dir == TDIR_RECV && tr.ev[i].layer == TLAYER_TLS)
			tls_recv = tr.ev[i].len == 4 && memcmp(tr.ev[i].data, "pong", 4) == 0;
	ck_assert(tls_recv);
	conn_close(&c);
	transcript_free(&tr);
}
END_TEST

/* The flawed server's way on after the peer's close_notify: conn_tls_drop
 * goes on in plaintext, and the later TCP close is a plain EOF, not a second
 * close_notify (which made refsrv's plain-after-close loop spin). */
START_TEST(tls_drop_goes_on_in_plaintext)
{
	struct conn c;
	static struct srv s;
	memset(&s, 0, sizeof s);
	s.fd = tcp_pair(&c, NULL);
	s.mode = SRV_TLS;
	s.drop = true;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, srv_main, &s), 0);
	conn_set_timeout(&c, 5000);
	ck_assert_msg(conn_starttls(&c, CLI_CFG, WTLS_CLIENT, "localhost", NULL, 0) == CONN_OK,
	              "handshake: %s", c.err);
	ck_assert_int_eq(conn_send(&c, (const uint8_t *)"ping", 4), CONN_OK);
	while (c.in.len < 4)
		ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_int_eq(conn_tls_close(&c), CONN_OK);
	/* the server answers in plaintext on the same TCP connection */
	conn_set_timeout(&c, 5000);
	while (c.in.len < 9)
		ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_mem_eq(c.in.data, "dropped\r\n", 9);
	ck_assert_int_eq(conn_send(&c, (const uint8_t *)"QUIT\r\n", 6), CONN_OK);
	conn_close(&c);
	pthread_join(t, NULL);
	ck_assert_int_eq(s.after_close, CONN_EOF);
	ck_assert(s.close_notify);
	ck_assert_int_eq(s.drop_layer, TLAYER_PLAIN);
	ck_assert_str_eq(s.plain, "QUIT\r\n");
	ck_assert_int_eq(s.after_drop, CONN_EOF);
	ck_assert(!s.close_notify_at_close);
}
END_TEST

START_TEST(starttls_glue_shares_the_segment)
{
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	static struct srv s;
	memset(&s, 0, sizeof s);
	s.fd = tcp_pair(&c, &tr);
	s.mode = SRV_RAW;
	pthread_t t = support_thread_start(srv_main, &s);
	conn_set_timeout(&c, 3000);
	int64_t t0 = mono_ms();
	int rc = conn_starttls(&c, CLI_CFG, WTLS_CLIENT, "localhost", (const uint8_t *)"NOOP\r\n", 6);
	support_thread_join(t, 30000);
	/* The server hung up after its read: the handshake fails, promptly. */
	ck_assert_int_eq(rc, CONN_ERROR);
	ck_assert_int_lt(mono_ms() - t0, 2000);
	/* The first read on the server side: glue, then a TLS handshake record. */
	ck_assert_int_gt(s.nraw, 6 + 5);
	ck_assert_mem_eq(s.raw, "NOOP\r\n", 6);
	ck_assert_uint_eq(s.raw[6], 0x16);
	ck_assert_uint_eq(s.raw[7], 0x03);
	/* ... and exactly one ClientHello record follows it in that read. */
	size_t reclen = ((size_t)s.raw[9] << 8) | s.raw[10];
	ck_assert_int_eq(s.nraw, (ssize_t)(6 + 5 + reclen));
	ck_assert_uint_eq(s.raw[11], 0x01); /* handshake type client_hello */
	/* The glue is evidence, as plaintext sent. */
	bool glue_seen = false;
	for (size_t i = 0; i < tr.n; i++)
		if (tr.ev[i].dir == TDIR_SEND && tr.ev[i].layer == TLAYER_PLAIN && tr.ev[i].len == 6 &&
		    memcmp(tr.ev[i].data, "NOOP\r\n", 6) == 0)
			glue_seen = true;
	ck_assert(glue_seen);
	ck_assert_uint_eq(c.glue.len, 0); /* used once */
	conn_close(&c);
	transcript_free(&tr);
}
END_TEST

START_TEST(starttls_failure_back_to_plaintext)
{
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	static struct srv s;
	memset(&s, 0, sizeof s);
	s.fd = tcp_pair(&c, &tr);
	s.mode = SRV_GARBAGE;
	pthread_t t = support_thread_start(srv_main, &s);
	conn_set_timeout(&c, 3000);
	int rc = conn_starttls(&c, CLI_CFG, WTLS_CLIENT, "localhost", NULL, 0);
	support_thread_join(t, 30000);
	ck_assert_int_eq(rc, CONN_ERROR);
	ck_assert(c.tls_tried);
	ck_assert(!c.tls_ok);
	ck_assert(!c.facts.handshake_ok);
	ck_assert_ptr_null(c.tls);
	ck_assert_int_eq(conn_layer(&c), TLAYER_PLAIN);
	ck_assert_str_ne(c.err, "");
	ck_assert(transcript_has_note(&tr, "TLS handshake failed"));
	/* What the handshake consumed is kept as evidence. */
	ck_assert_uint_ge(c.hs_raw.len, 5);
	ck_assert_mem_eq(c.hs_raw.data, "250 n", 5);
	conn_close(&c);
	transcript_free(&tr);
}
END_TEST

/* ---- accept, peer address, reading up to a byte ---- */

START_TEST(accept_times_out_at_deadline)
{
	int port;
	int lfd = listen_lo(&port);
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	conn_init(&c, -1, &tr);
	stop_flag = 0;
	c.stop = &stop_flag;
	int64_t t0 = mono_ms();
	ck_assert_int_eq(conn_accept(&c, lfd, 300), CONN_TIMEOUT);
	int64_t took = mono_ms() - t0;
	ck_assert_msg(took >= 300 && took < 1000, "took %lld ms", (long long)took);
	/* still no connection, and still set up as it was */
	ck_assert_int_eq(c.fd, -1);
	ck_assert_ptr_eq(c.tr, &tr);
	ck_assert(c.stop == &stop_flag);
	char addr[64] = "x";
	ck_assert_int_eq(conn_peer_addr(&c, addr, sizeof addr), -1);
	ck_assert_str_eq(addr, "");
	conn_close(&c);
	conn_listen_close(lfd);
	conn_listen_close(-1); /* no-op */
	transcript_free(&tr);
}
END_TEST

START_TEST(accept_takes_the_connection)
{
	int port;
	int lfd = listen_lo(&port);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	struct conn cl;
	conn_init(&cl, -1, NULL);
	ck_assert_int_eq(conn_connect(&cl, "127.0.0.1", ps, 2000), CONN_OK);

	struct transcript tr;
	transcript_init(&tr);
	struct conn sv;
	conn_init(&sv, -1, &tr);
	stop_flag = 0;
	sv.stop = &stop_flag;
	ck_assert_int_eq(conn_accept(&sv, lfd, 2000), CONN_OK);
	ck_assert_int_ge(sv.fd, 0);
	ck_assert_ptr_eq(sv.tr, &tr);          /* kept */
	ck_assert(sv.stop == &stop_flag); /* kept */
	int one = 0;
	socklen_t sl = sizeof one;
	ck_assert_int_eq(getsockopt(sv.fd, IPPROTO_TCP, TCP_NODELAY, &one, &sl), 0);
	ck_assert_int_ne(one, 0); /* set up as conn_init does */

	/* it is that connection: bytes flow both ways */
	ck_assert_int_eq(conn_send(&cl, (const uint8_t *)"EHLO x\r\n", 8), CONN_OK);
	conn_set_timeout(&sv, 2000);
	ck_assert_int_eq(conn_fill(&sv), CONN_OK);
	ck_assert_uint_eq(sv.in.len, 8);
	ck_assert_int_eq(memcmp(sv.in.data, "EHLO x\r\n", 8), 0);
	ck_assert_uint_eq(tr.n, 1); /* the received bytes went to c->tr */

	char addr[64] = "";
	ck_assert_int_eq(conn_peer_addr(&sv, addr, sizeof addr), 0);
	ck_assert_str_eq(addr, "127.0.0.1");
	addr[0] = 'x';
	ck_assert_int_eq(conn_peer_addr(&cl, addr, sizeof addr), 0);
	ck_assert_str_eq(addr, "127.0.0.1");
	ck_assert_int_eq(conn_peer_addr(&cl, addr, 0), -1);

	/* nobody else is waiting */
	struct conn none;
	conn_init(&none, -1, NULL);
	ck_assert_int_eq(conn_accept(&none, lfd, 50), CONN_TIMEOUT);
	conn_close(&sv);
	conn_close(&cl);
	conn_listen_close(lfd);
	transcript_free(&tr);
}
END_TEST

START_TEST(accept_sees_the_stop_flag)
{
	int port;
	int lfd = listen_lo(&port);
	struct conn c;
	conn_init(&c, -1, NULL);
	stop_flag = 0;
	c.stop = &stop_flag;
	pthread_t t = support_stop_later(&stop_flag, 100, &stop_set_at);
	int64_t t0 = mono_ms();
	int rc = conn_accept(&c, lfd, 5000);
	int64_t end = mono_ms();
	support_thread_join(t, 5000);
	ck_assert_int_eq(rc, CONN_STOPPED);
	ck_assert_msg(end - stop_set_at <= 200, "returned %lld ms after the stop flag was set",
	              (long long)(end - stop_set_at));
	ck_assert_int_lt(end - t0, 1000);
	ck_assert_int_eq(c.fd, -1);
	conn_close(&c);
	conn_listen_close(lfd);
}
END_TEST

START_TEST(read_before_leaves_the_stop_byte)
{
	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	int sfd = tcp_pair(&c, &tr);
	size_t before = tr.n;
	const uint8_t wire[] = "STARTTLS\r\nEHLO x\r\n\x16\x03\x01";
	ck_assert_int_eq(send(sfd, wire, sizeof wire - 1, 0), (ssize_t)(sizeof wire - 1));
	conn_set_timeout(&c, 2000);
	ck_assert_int_eq(conn_wait_readable(&c), CONN_OK);
	uint8_t buf[64];
	ssize_t n = conn_read_before(&c, 0x16, buf, sizeof buf);
	ck_assert_int_eq(n, 18);
	ck_assert_int_eq(memcmp(buf, "STARTTLS\r\nEHLO x\r\n", 18), 0);
	ck_assert_uint_eq(tr.n, before + 1); /* evidence, as every read */
	ck_assert_uint_eq(c.rx_total, 18);
	/* the stop byte is next: nothing taken, and it is still there */
	ck_assert_int_eq(conn_read_before(&c, 0x16, buf, sizeof buf), 0);
	ck_assert_int_eq(conn_fill(&c), CONN_OK);
	ck_assert_uint_eq(c.in.len, 3);
	ck_assert_int_eq(c.in.data[0], 0x16);
	/* at most n bytes, also when the stop byte is further on */
	buf_reset(&c.in);
	ck_assert_int_eq(send(sfd, "abcdef\x16", 7, 0), 7);
	ck_assert_int_eq(conn_wait_readable(&c), CONN_OK);
	ck_assert_int_eq(conn_read_before(&c, 0x16, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "abcd", 4), 0);
	ck_assert_int_eq(conn_read_before(&c, 0x16, buf, sizeof buf), 2);
	ck_assert_int_eq(memcmp(buf, "ef", 2), 0);
	/* nothing there: does not wait */
	ck_assert_int_eq(conn_fill(&c), CONN_OK); /* the 0x16 */
	int64_t t0 = mono_ms();
	ck_assert_int_eq(conn_read_before(&c, 0x16, buf, sizeof buf), 0);
	ck_assert_int_lt(mono_ms() - t0, 50);
	close(sfd);
	conn_close(&c);
	transcript_free(&tr);
}
END_TEST

Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("deadline");
	tcase_add_test(tc, fill_times_out_on_silence);
	tcase_add_test(tc, wait_readable_deadline);
	tcase_add_test(tc, fill_eof_on_close);
	tcase_add_test(tc, fill_eof_on_reset);
	tcase_add_test(tc, stop_flag_interrupts_fill);
	tcase_add_test(tc, stop_flag_survives_connect);
	tcase_add_test(tc, inbuf_is_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("tcp");
	tcase_add_test(tc, send_is_one_write);
	tcase_add_test(tc, send_to_closed_peer);
	tcase_add_test(tc, connect_refused);
	tcase_add_test(tc, resolve_numeric_and_loopback);
	tcase_add_test(tc, connect_sets_deadline_and_port);
	tcase_add_test(tc, accept_times_out_at_deadline);
	tcase_add_test(tc, accept_takes_the_connection);
	tcase_add_test(tc, accept_sees_the_stop_flag);
	tcase_add_test(tc, read_before_leaves_the_stop_byte);
	suite_add_tcase(s, tc);
	tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, tls_setup, tls_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, starttls_completes);
	tcase_add_test(tc, tls_drop_goes_on_in_plaintext);
	tcase_add_test(tc, starttls_glue_shares_the_segment);
	tcase_add_test(tc, starttls_failure_back_to_plaintext);
	suite_add_tcase(s, tc);
	return s;
}

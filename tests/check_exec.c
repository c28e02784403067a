/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for exec: scenarios parsed from strings, played by exec_run
 * against tiny scripted peers (a thread on 127.0.0.1:0 that plays bytes)
 * and against the reference target. Every verdict path with the line that
 * decided it; alternatives (nested, committing); silence; alone; strict;
 * TLS ok / fail; hostile peers (silent, dripping, endless line, endless
 * multi-line reply, hang-up mid-handshake, garbage, plaintext instead of a
 * ServerHello), each bounded by its deadline; profile skips; interruption;
 * the mirror form over socketpair(2) (exec_run_fd). Loopback only.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "exec.h"
#include "refsrv.h"
#include "result.h"
#include "scenario.h"
#include "util.h"
#include "wtls.h"

/* Every test scenario gets this 5-line header: body line k is line 5+k. */
#define HDR                                                                                        \
	"scenario  test/exec\n"                                                                    \
	"target    server\n"                                                                       \
	"summary   exec unit test\n"                                                               \
	"catalog   T-00\n"                                                                         \
	"severity  info\n"
#define L(k) (5 + (k))

#define PEER_BUDGET_MS 5000 /* no scripted peer lives longer than this */

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static struct scenario *parse_full(const char *text)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse("exec-test.scn", (const uint8_t *)text, strlen(text), &d);
	ck_assert_msg(s != NULL, "scenario does not parse: %s\n%s", d.n ? d.msgs[0] : "?", text);
	scn_diag_free(&d);
	return s;
}

/* body: the statements, first one on body line 1 */
static struct scenario *parse_body(const char *body)
{
	char *text = xasprintf("%s%s", HDR, body);
	struct scenario *s = parse_full(text);
	free(text);
	return s;
}

/* ---- scripted peers ---- */

enum act_kind {
	A_END,
	A_SEND,        /* s: one write */
	A_SENDN,       /* s, n: one write of n bytes (may contain NUL) */
	A_EXPECT,      /* read until s has arrived (after what earlier expects matched) */
	A_SLEEP,       /* ms */
	A_CLOSE,       /* close now (the default end waits for the client to close) */
	A_HELLO,       /* read a TLS record header (the ClientHello) */
	A_SILENT,      /* say nothing until the client closes */
	A_DRIP,        /* s[0] once, then one 'a' every 100 ms, until the client closes */
	A_FLOOD,       /* s repeated (n = total bytes, 0 = until the client closes) */
	A_GARBAGE,     /* seeded random bytes until the client closes */
};

struct act {
	enum act_kind k;
	const char *s;
	size_t n;
	int ms;
};

struct peer {
	int lfd, fd;
	int port;
	char portstr[16];
	pthread_t t;
	const struct act *script;
	struct buf rx;       /* everything received */
	size_t cursor;       /* end of the last A_EXPECT match */
	bool accepted;
	char failed[256];    /* the script did not go as planned */
	bool client_closed;  /* the peer saw the client close */
	int64_t t_start;
};

static bool p_send(struct peer *p, const void *data, size_t n)
{
	const uint8_t *d = data;
	size_t off = 0;
	while (off < n) {
		struct pollfd pf = {.fd = p->fd, .events = POLLOUT};
		if (mono_ms() - p->t_start > PEER_BUDGET_MS || poll(&pf, 1, 100) < 0)
			return false;
		if (!(pf.revents & (POLLOUT | POLLERR | POLLHUP)))
			continue;
		ssize_t w = send(p->fd, d + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	return true;
}

/* Read what is there within ms: >0 bytes, 0 closed, -1 nothing/timeout. */
static ssize_t p_recv(struct peer *p, int ms)
{
	struct pollfd pf = {.fd = p->fd, .events = POLLIN};
	if (poll(&pf, 1, ms) != 1)
		return -1;
	uint8_t tmp[65536];
	ssize_t n = recv(p->fd, tmp, sizeof tmp, MSG_DONTWAIT);
	if (n > 0) {
		buf_append(&p->rx, tmp, (size_t)n);
		return n;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		p->client_closed = true;
		return 0;
	}
	return -1;
}

static bool p_expect(struct peer *p, const char *needle)
{
	size_t nl = strlen(needle);
	for (;;) {
		if (p->rx.len >= p->cursor + nl) {
			uint8_t *hit = memmem(p->rx.data + p->cursor, p->rx.len - p->cursor, needle, nl);
			if (hit) {
				p->cursor = (size_t)(hit - p->rx.data) + nl;
				return true;
			}
		}
		if (mono_ms() - p->t_start > PEER_BUDGET_MS || p_recv(p, 100) == 0) {
			snprintf(p->failed, sizeof p->failed, "peer: '%s' never arrived", needle);
			return false;
		}
	}
}

/* A TLS record header from the client: its first 5 bytes. */
static bool p_hello(struct peer *p)
{
	size_t start = p->cursor;
	while (p->rx.len < start + 5) {
		if (mono_ms() - p->t_start > PEER_BUDGET_MS || p_recv(p, 100) == 0) {
			snprintf(p->failed, sizeof p->failed, "peer: no ClientHello");
			return false;
		}
	}
	if (p->rx.data[start] != 0x16) {
		snprintf(p->failed, sizeof p->failed, "peer: not a handshake record (0x%02x)",
		         p->rx.data[start]);
		return false;
	}
	p->cursor = p->rx.len;
	return true;
}

/* Until the client closes (or the budget ends). */
static void p_wait_close(struct peer *p)
{
	while (!p->client_closed && mono_ms() - p->t_start <= PEER_BUDGET_MS)
		p_recv(p, 100);
}

static void p_drain(struct peer *p)
{
	while (p_recv(p, 0) > 0)
		;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct pollfd pf = {.fd = p->lfd, .events = POLLIN};
	if (poll(&pf, 1, PEER_BUDGET_MS) != 1)
		return NULL;
	p->fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (p->fd < 0)
		return NULL;
	p->accepted = true;
	p->t_start = mono_ms();
	bool closed_by_script = false;
	uint32_t seed = 0x2545F491u;
	for (const struct act *a = p->script; a && a->k != A_END && !p->failed[0]; a++) {
		switch (a->k) {
		case A_SEND:
			p_send(p, a->s, strlen(a->s));
			break;
		case A_SENDN:
			p_send(p, a->s, a->n);
			break;
		case A_EXPECT:
			p_expect(p, a->s);
			break;
		case A_SLEEP:
			sleep_ms(a->ms);
			break;
		case A_CLOSE:
			closed_by_script = true;
			goto out;
		case A_HELLO:
			p_hello(p);
			break;
		case A_SILENT:
			p_wait_close(p);
			break;
		case A_DRIP: {
			bool ok = p_send(p, a->s, 1);
			while (ok && !p->client_closed && mono_ms() - p->t_start <= PEER_BUDGET_MS) {
				sleep_ms(100);
				p_drain(p);
				ok = p_send(p, "a", 1);
			}
			break;
		}
		case A_FLOOD: {
			size_t sent = 0, len = strlen(a->s);
			struct buf chunk = {0};
			while (chunk.len < 16384)
				buf_append(&chunk, a->s, len);
			while ((a->n == 0 || sent < a->n) && mono_ms() - p->t_start <= PEER_BUDGET_MS) {
				size_t n = chunk.len;
				if (a->n && a->n - sent < n)
					n = a->n - sent;
				if (!p_send(p, chunk.data, n))
					break;
				sent += n;
				p_drain(p);
			}
			buf_free(&chunk);
			break;
		}
		case A_GARBAGE: {
			uint8_t g[4096];
			for (;;) {
				for (size_t i = 0; i < sizeof g; i++) {
					seed ^= seed << 13;
					seed ^= seed >> 17;
					seed ^= seed << 5;
					g[i] = (uint8_t)seed;
				}
				if (!p_send(p, g, sizeof g) || mono_ms() - p->t_start > PEER_BUDGET_MS)
					break;
				p_drain(p);
			}
			break;
		}
		case A_END:
			break;
		}
	}
	if (!closed_by_script)
		p_wait_close(p);
out:
	close(p->fd);
	p->fd = -1;
	return NULL;
}

static struct peer *peer_start(const struct act *script)
{
	struct peer *p = xcalloc(1, sizeof *p);
	char err[256] = "";
	p->fd = -1;
	p->script = script;
	p->lfd = conn_listen("127.0.0.1", "0", 4, err, sizeof err);
	ck_assert_msg(p->lfd >= 0, "listen: %s", err);
	p->port = conn_local_port(p->lfd);
	snprintf(p->portstr, sizeof p->portstr, "%d", p->port);
	ck_assert_int_eq(pthread_create(&p->t, NULL, peer_main, p), 0);
	return p;
}

/* Join; returns whether the script went as written (message in failed). */
static void peer_join(struct peer *p)
{
	pthread_join(p->t, NULL);
	close(p->lfd);
}

static void peer_free(struct peer *p)
{
	buf_free(&p->rx);
	free(p);
}

static struct exec_opts opts(const char *port, int64_t timeout_ms)
{
	return (struct exec_opts){
	    .host = "127.0.0.1",
	    .port = port,
	    .helo = "stark.test",
	    .timeout_ms = timeout_ms,
	    .profile = "mx",
	};
}

/* Play body against script; r is filled; the peer's script must have run as
 * written (so a PASS is not a PASS against a confused peer). */
static void play(const char *body, const struct act *script, int64_t timeout_ms, struct result *r,
                 bool script_must_complete)
{
	struct scenario *s = parse_body(body);
	struct peer *p = peer_start(script);
	struct exec_opts o = opts(p->portstr, timeout_ms);
	exec_run(s, &o, r);
	peer_join(p);
	if (script_must_complete)
		ck_assert_msg(p->failed[0] == '\0', "%s (verdict %s: %s)", p->failed,
		              verdict_label(r->verdict), r->reason);
	ck_assert(p->accepted);
	peer_free(p);
	scenario_free(s);
}

#define ck_verdict(r, v)                                                                           \
	ck_assert_msg((r)->verdict == (v), "verdict %s, want %s: %s", verdict_label((r)->verdict),  \
	              verdict_label(v), (r)->reason ? (r)->reason : "(null)")

static void ck_reason_prefix(const struct result *r, int line)
{
	char want[32];
	snprintf(want, sizeof want, "line %d: ", line);
	ck_assert_msg(strncmp(r->reason, want, strlen(want)) == 0, "reason '%s' does not start '%s'",
	              r->reason, want);
	ck_assert_int_eq(r->line, line);
}

static void ck_reason_has(const struct result *r, const char *needle)
{
	ck_assert_msg(strstr(r->reason, needle) != NULL, "reason '%s' lacks '%s'", r->reason, needle);
}

/* ---- the plain verdict paths ---- */

static const char *const BASIC_BODY = "expect reply 220 alone\n"      /* 1 */
                                      "send \"EHLO ${helo}\\r\\n\"\n"  /* 2 */
                                      "expect reply 250 has STARTTLS\n" /* 3 */
                                      "send \"QUIT\\r\\n\"\n"          /* 4 */
                                      "expect reply 221\n";            /* 5 */

START_TEST(verdict_pass)
{
	static const struct act script[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "250-peer\r\n250-PIPELINING\r\n250 STARTTLS\r\n"},
	    {.k = A_EXPECT, .s = "QUIT\r\n"},
	    {.k = A_SEND, .s = "221 bye\r\n"},
	    {.k = A_END},
	};
	struct result r;
	play(BASIC_BODY, script, 2000, &r, true);
	ck_verdict(&r, V_PASS);
	ck_assert_str_eq(r.reason, "");
	ck_assert_int_eq(r.line, 0);
	ck_assert_str_eq(r.id, "test/exec");
	ck_assert_str_eq(r.file, "exec-test.scn");
	ck_assert(!r.has_tls);
	ck_assert_int_lt(r.elapsed_ms, 1000);
	/* Evidence: both sends and the three replies, in order. */
	size_t sends = 0, recvd = 0;
	for (size_t i = 0; i < r.tr.n; i++) {
		if (r.tr.ev[i].dir == TDIR_SEND)
			sends++;
		if (r.tr.ev[i].dir == TDIR_RECV)
			recvd += r.tr.ev[i].len;
	}
	ck_assert_uint_eq(sends, 2);
	ck_assert_uint_eq(recvd, 16 + 40 + 9);
	result_free(&r);
}
END_TEST

START_TEST(verdict_fail_names_line)
{
	static const struct act no_tls[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "250-peer\r\n250 PIPELINING\r\n"},
	    {.k = A_END},
	};
	struct result r;
	play(BASIC_BODY, no_tls, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(3));
	ck_reason_has(&r, "does not offer STARTTLS");
	result_free(&r);

	static const struct act bad_quit[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "250-peer\r\n250 STARTTLS\r\n"},
	    {.k = A_EXPECT, .s = "QUIT\r\n"},
	    {.k = A_SEND, .s = "250 not leaving\r\n"},
	    {.k = A_END},
	};
	play(BASIC_BODY, bad_quit, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(5));
	ck_reason_has(&r, "code 250 does not match 221");
	result_free(&r);

	/* A close where a reply belonged, after the greeting: FAIL, not ERROR. */
	static const struct act hangup[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_CLOSE},
	};
	play(BASIC_BODY, hangup, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(3));
	ck_reason_has(&r, "connection closed");
	result_free(&r);

	/* No reply at all after the greeting: FAIL at the expectation, in time. */
	static const struct act mute[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_SILENT},
	    {.k = A_END},
	};
	play(BASIC_BODY, mute, 300, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(3));
	ck_reason_has(&r, "no reply within 300 ms");
	ck_assert_int_ge(r.elapsed_ms, 300);
	ck_assert_int_le(r.elapsed_ms, 800);
	result_free(&r);
}
END_TEST

static const char *const ALT_BODY = "expect reply 220\n"              /* 1 */
                                    "send \"EHLO ${helo}\\r\\n\"\n"    /* 2 */
                                    "alt {\n"                          /* 3 */
                                    "    expect reply 250 has STARTTLS\n" /* 4 */
                                    "    fail \"branch A\"\n"          /* 5 */
                                    "} or {\n"                         /* 6 */
                                    "    expect reply 5xx\n"           /* 7 */
                                    "    send \"HELO ${helo}\\r\\n\"\n" /* 8 */
                                    "    alt {\n"                      /* 9 */
                                    "        expect reply 250\n"       /* 10 */
                                    "        fail \"branch B1\"\n"     /* 11 */
                                    "    } or {\n"                     /* 12 */
                                    "        expect reply 4xx\n"       /* 13 */
                                    "        fail \"branch B2\"\n"     /* 14 */
                                    "    } or {\n"                     /* 15 */
                                    "        expect close\n"           /* 16 */
                                    "        fail \"branch B3\"\n"     /* 17 */
                                    "    }\n"                          /* 18 */
                                    "}\n";                             /* 19 */

START_TEST(alt_branches)
{
	struct result r;
	static const struct act a[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "250-peer\r\n250 STARTTLS\r\n"},
	    {.k = A_END},
	};
	play(ALT_BODY, a, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(5));
	/* fail carries the reply that led to it */
	ck_assert_str_eq(r.reason, "line 10: branch A (got 250 \"250-peer\" (multi-line))");
	result_free(&r);

	static const struct act b1[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "502 no EHLO here\r\n"},
	    {.k = A_EXPECT, .s = "HELO stark.test\r\n"},
	    {.k = A_SEND, .s = "250 helo ok\r\n"},
	    {.k = A_END},
	};
	play(ALT_BODY, b1, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_assert_str_eq(r.reason, "line 16: branch B1 (got 250 \"250 helo ok\")");
	ck_assert_int_eq(r.line, L(11));
	result_free(&r);

	static const struct act b2[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "502 no EHLO here\r\n"},
	    {.k = A_EXPECT, .s = "HELO stark.test\r\n"},
	    {.k = A_SEND, .s = "451 later\r\n"},
	    {.k = A_END},
	};
	play(ALT_BODY, b2, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(14));
	ck_reason_has(&r, "branch B2 (got 451");
	result_free(&r);

	static const struct act b3[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "502 no EHLO here\r\n"},
	    {.k = A_EXPECT, .s = "HELO stark.test\r\n"},
	    {.k = A_CLOSE},
	};
	play(ALT_BODY, b3, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_assert_str_eq(r.reason, "line 22: branch B3"); /* no reply to quote */
	result_free(&r);

	/* No branch matches: the alt's own line, every guard listed. */
	static const struct act none[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "354 what\r\n"},
	    {.k = A_END},
	};
	play(ALT_BODY, none, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(3));
	ck_reason_has(&r, "reply 250 has STARTTLS (line 9)");
	ck_reason_has(&r, "reply 5xx (line 12)");
	ck_reason_has(&r, "got reply 354");
	result_free(&r);

	/* Nested alt without a match reports the nested alt's line. */
	static const struct act nested_none[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "502 no EHLO here\r\n"},
	    {.k = A_EXPECT, .s = "HELO stark.test\r\n"},
	    {.k = A_SEND, .s = "354 what\r\n"},
	    {.k = A_END},
	};
	play(ALT_BODY, nested_none, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(9));
	ck_reason_has(&r, "close (line 21)");
	result_free(&r);
}
END_TEST

START_TEST(alt_commits_to_first_match)
{
	/* Both branches accept the 250; the first is taken and its failure
	 * stands: no backtracking into the second. */
	static const char *body = "expect reply 220\n"       /* 1 */
	                          "alt {\n"                   /* 2 */
	                          "    expect reply 250\n"    /* 3 */
	                          "    expect reply 251\n"    /* 4 */
	                          "} or {\n"                  /* 5 */
	                          "    expect reply 2xx\n"    /* 6 */
	                          "    expect reply 252\n"    /* 7 */
	                          "}\n";
	static const struct act s[] = {
	    {.k = A_SEND, .s = "220 peer\r\n250 one\r\n252 two\r\n"},
	    {.k = A_END},
	};
	struct result r;
	play(body, s, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(4));
	ck_reason_has(&r, "code 252 does not match 251");
	result_free(&r);
}
END_TEST

START_TEST(verdict_skip_and_inconclusive)
{
	static const struct act greet[] = {{.k = A_SEND, .s = "220 peer\r\n"}, {.k = A_END}};
	struct result r;
	play("expect reply 220\nskip \"not for this target\"\n", greet, 2000, &r, true);
	ck_verdict(&r, V_SKIP);
	ck_assert_str_eq(r.reason, "line 7: not for this target");
	result_free(&r);

	play("expect reply 220\ninconclusive \"could not tell\"\n", greet, 2000, &r, true);
	ck_verdict(&r, V_INCONCLUSIVE);
	ck_assert_str_eq(r.reason, "line 7: could not tell");
	result_free(&r);

	/* A 421 where something else was expected hides the answer. */
	static const struct act busy[] = {{.k = A_SEND, .s = "421 4.7.0 too busy\r\n"}, {.k = A_CLOSE}};
	play(BASIC_BODY, busy, 2000, &r, true);
	ck_verdict(&r, V_INCONCLUSIVE);
	ck_reason_prefix(&r, L(1));
	ck_reason_has(&r, "421");
	result_free(&r);

	/* ... also later in the session, and where an alt had no branch for it. */
	static const struct act busy_late[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "421 4.7.0 closing\r\n"},
	    {.k = A_CLOSE},
	};
	play(ALT_BODY, busy_late, 2000, &r, true);
	ck_verdict(&r, V_INCONCLUSIVE);
	ck_reason_prefix(&r, L(3));
	result_free(&r);
}
END_TEST

START_TEST(verdict_error_refused)
{
	char err[128];
	int lfd = conn_listen("127.0.0.1", "0", 1, err, sizeof err);
	ck_assert_int_ge(lfd, 0);
	char port[16];
	snprintf(port, sizeof port, "%d", conn_local_port(lfd));
	close(lfd);
	struct scenario *s = parse_body(BASIC_BODY);
	struct exec_opts o = opts(port, 2000);
	struct result r;
	exec_run(s, &o, &r);
	ck_verdict(&r, V_ERROR);
	ck_assert_int_eq(r.line, 0);
	ck_reason_has(&r, "cannot connect to 127.0.0.1 port");
	ck_reason_has(&r, "refused");
	ck_assert_int_lt(r.elapsed_ms, 1000);
	result_free(&r);
	scenario_free(s);
}
END_TEST

START_TEST(verdict_error_no_greeting)
{
	static const struct act mute[] = {{.k = A_SILENT}, {.k = A_END}};
	struct result r;
	play(BASIC_BODY, mute, 300, &r, true);
	ck_verdict(&r, V_ERROR);
	ck_reason_prefix(&r, L(1));
	ck_reason_has(&r, "no greeting within 300 ms");
	ck_assert_int_ge(r.elapsed_ms, 300);
	ck_assert_int_le(r.elapsed_ms, 800);
	result_free(&r);

	static const struct act hangup[] = {{.k = A_CLOSE}};
	play(BASIC_BODY, hangup, 2000, &r, true);
	ck_verdict(&r, V_ERROR);
	ck_reason_prefix(&r, L(1));
	ck_reason_has(&r, "closed before any greeting");
	ck_assert_int_lt(r.elapsed_ms, 1000);
	result_free(&r);
}
END_TEST

/* ---- silence, alone, strict ---- */

START_TEST(expect_silence)
{
	static const char *body = "expect reply 220\nexpect silence 300ms\n";
	static const struct act quiet[] = {{.k = A_SEND, .s = "220 peer\r\n"}, {.k = A_END}};
	struct result r;
	play(body, quiet, 5000, &r, true);
	ck_verdict(&r, V_PASS);
	ck_assert_int_ge(r.elapsed_ms, 300);
	ck_assert_int_le(r.elapsed_ms, 700); /* the window, not the 5 s timeout */
	result_free(&r);

	static const struct act talks[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"}, {.k = A_SLEEP, .ms = 50}, {.k = A_SEND, .s = "250 surprise\r\n"}, {.k = A_END}};
	play(body, talks, 5000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(2));
	ck_reason_has(&r, "got reply 250");
	ck_assert_int_le(r.elapsed_ms, 300);
	result_free(&r);

	/* Bytes that came with the greeting break the silence too. */
	static const struct act glued[] = {{.k = A_SEND, .s = "220 peer\r\n250 early\r\n"}, {.k = A_END}};
	play(body, glued, 5000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(2));
	result_free(&r);

	/* A close is not silence. */
	static const struct act bye[] = {{.k = A_SEND, .s = "220 peer\r\n"}, {.k = A_CLOSE}};
	play(body, bye, 5000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(2));
	ck_reason_has(&r, "connection closed");
	result_free(&r);
}
END_TEST

START_TEST(expect_alone)
{
	static const struct act extra[] = {{.k = A_SEND, .s = "220 ready\r\nEXTRA"}, {.k = A_END}};
	struct result r;
	play("expect reply 220 alone\n", extra, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(1));
	ck_reason_has(&r, "5 more bytes arrived with the reply: \"EXTRA\"");
	result_free(&r);

	/* without alone the same bytes are fine */
	play("expect reply 220\n", extra, 2000, &r, true);
	ck_verdict(&r, V_PASS);
	result_free(&r);

	static const struct act clean[] = {{.k = A_SEND, .s = "220 ready\r\n"}, {.k = A_END}};
	play("expect reply 220 alone\n", clean, 2000, &r, true);
	ck_verdict(&r, V_PASS);
	result_free(&r);
}
END_TEST

START_TEST(expect_strict)
{
	static const char *body = "expect reply 220 strict\n"
	                          "send \"EHLO ${helo}\\r\\n\"\n"
	                          "expect reply 250 strict\n";
	struct result r;
	static const struct act bare_lf[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO"},
	    {.k = A_SEND, .s = "250-peer\n250 STARTTLS\r\n"},
	    {.k = A_END},
	};
	play(body, bare_lf, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(3));
	ck_reason_has(&r, "bare LF");
	result_free(&r);

	static const struct act mixed[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO"},
	    {.k = A_SEND, .s = "251-peer\r\n250 STARTTLS\r\n"}, /* final code 250 */
	    {.k = A_END},
	};
	play(body, mixed, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(3));
	ck_reason_has(&r, "mixed codes");
	result_free(&r);

	static const struct act greet_lf[] = {{.k = A_SEND, .s = "220 peer\n"}, {.k = A_END}};
	play(body, greet_lf, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(1));
	ck_reason_has(&r, "bare LF");
	result_free(&r);

	/* The same deviations pass without strict ... */
	play("expect reply 220\nsend \"EHLO ${helo}\\r\\n\"\nexpect reply 250\n", bare_lf, 2000, &r,
	     true);
	ck_verdict(&r, V_PASS);
	result_free(&r);

	/* ... and a clean reply passes with it. */
	static const struct act clean[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO"},
	    {.k = A_SEND, .s = "250-peer\r\n250 STARTTLS\r\n"},
	    {.k = A_END},
	};
	play(body, clean, 2000, &r, true);
	ck_verdict(&r, V_PASS);
	result_free(&r);
}
END_TEST

/* ---- TLS ---- */

static const char *const TLS_BODY = "expect reply 220\n"                 /* 1 */
                                    "send \"EHLO ${helo}\\r\\n\"\n"       /* 2 */
                                    "expect reply 250 has STARTTLS\n"     /* 3 */
                                    "send \"STARTTLS\\r\\n\"\n"           /* 4 */
                                    "expect reply 220 alone\n"           /* 5 */
                                    "tls\n"                               /* 6 */
                                    "expect tls ok\n"                     /* 7 */
                                    "send \"EHLO ${helo}\\r\\n\"\n"       /* 8 */
                                    "expect reply 250 lacks STARTTLS\n"   /* 9 */
                                    "send \"QUIT\\r\\n\"\n"               /* 10 */
                                    "expect reply 221\n";                 /* 11 */

START_TEST(tls_against_refsrv)
{
	char err[256] = "";
	struct refsrv_opts ro = {0};
	struct refsrv *srv = refsrv_start(&ro, "127.0.0.1", "0", err, sizeof err);
	ck_assert_msg(srv != NULL, "refsrv: %s", err);
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	const char *ca = refsrv_ca_pem(srv);
	ck_assert_int_eq(wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca)), 0);
	char port[16];
	snprintf(port, sizeof port, "%d", refsrv_port(srv));
	struct exec_opts o = opts(port, 3000);
	o.servername = "localhost";
	o.tls = cfg;
	struct scenario *s = parse_body(TLS_BODY);
	struct result r;
	exec_run(s, &o, &r);
	ck_verdict(&r, V_PASS);
	ck_assert(r.has_tls);
	ck_assert(r.tls.handshake_ok);
	ck_assert_msg(r.tls.verify_ok, "verify: %s", r.tls.verify_error);
	ck_assert(r.tls.host_ok);
	ck_assert_str_eq(r.tls.servername, "localhost");
	/* The replies after the handshake are evidence on the TLS layer. */
	bool tls_reply = false;
	for (size_t i = 0; i < r.tr.n; i++)
		if (r.tr.ev[i].dir == TDIR_RECV && r.tr.ev[i].layer == TLAYER_TLS)
			tls_reply = true;
	ck_assert(tls_reply);
	result_free(&r);

	/* The wrong name: the handshake still completes (verification is a
	 * fact, not a gate), and the fact says the name did not match. */
	o.servername = "wrong.invalid";
	exec_run(s, &o, &r);
	ck_verdict(&r, V_PASS);
	ck_assert(r.tls.handshake_ok);
	ck_assert(!r.tls.host_ok);
	result_free(&r);

	scenario_free(s);
	wtls_config_free(cfg);
	refsrv_stop(srv);
	wtls_thread_cleanup();
}
END_TEST

/* Up to the 220 for STARTTLS, then whatever follows in the script. */
#define STARTTLS_PRELUDE                                                                           \
	{.k = A_SEND, .s = "220 peer\r\n"}, {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},           \
	    {.k = A_SEND, .s = "250-peer\r\n250 STARTTLS\r\n"},                                      \
	    {.k = A_EXPECT, .s = "STARTTLS\r\n"}, {.k = A_SEND, .s = "220 go ahead\r\n"}

static const char *const TLS_FAIL_BODY = "expect reply 220\n"             /* 1 */
                                         "send \"EHLO ${helo}\\r\\n\"\n"   /* 2 */
                                         "expect reply 250 has STARTTLS\n" /* 3 */
                                         "send \"STARTTLS\\r\\n\"\n"       /* 4 */
                                         "expect reply 220\n"              /* 5 */
                                         "tls\n"                           /* 6 */
                                         "expect tls fail\n";              /* 7 */

START_TEST(tls_fail_expected)
{
	static const struct act garbage[] = {
	    STARTTLS_PRELUDE,
	    {.k = A_HELLO},
	    {.k = A_SEND, .s = "this is not a ServerHello\r\n"},
	    {.k = A_CLOSE},
	};
	struct result r;
	play(TLS_FAIL_BODY, garbage, 2000, &r, true);
	ck_verdict(&r, V_PASS);
	ck_assert(r.has_tls);
	ck_assert(!r.tls.handshake_ok);
	ck_assert_int_lt(r.elapsed_ms, 1500);
	result_free(&r);

	/* expect tls ok against the same peer: FAIL at that line, with why */
	char *body = xasprintf("%.*sexpect tls ok\n", (int)(strlen(TLS_FAIL_BODY) - 16),
	                       TLS_FAIL_BODY);
	play(body, garbage, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(7));
	ck_reason_has(&r, "TLS handshake failed");
	result_free(&r);
	free(body);

	/* no expectation after tls: the failed handshake fails at the tls line */
	play("expect reply 220\nsend \"EHLO ${helo}\\r\\n\"\nexpect reply 250\n"
	     "send \"STARTTLS\\r\\n\"\nexpect reply 220\ntls\nsend \"EHLO x\\r\\n\"\n",
	     garbage, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(6));
	ck_reason_has(&r, "TLS handshake failed");
	result_free(&r);
}
END_TEST

START_TEST(tls_ok_expected_but_fail_seen)
{
	/* expect tls fail after a good handshake: FAIL naming the facts */
	char err[256] = "";
	struct refsrv_opts ro = {0};
	struct refsrv *srv = refsrv_start(&ro, "127.0.0.1", "0", err, sizeof err);
	ck_assert_msg(srv != NULL, "refsrv: %s", err);
	char port[16];
	snprintf(port, sizeof port, "%d", refsrv_port(srv));
	struct exec_opts o = opts(port, 3000);
	o.servername = "localhost";
	struct scenario *s = parse_body(TLS_FAIL_BODY);
	struct result r;
	exec_run(s, &o, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(7));
	ck_reason_has(&r, "TLS handshake succeeded");
	result_free(&r);
	scenario_free(s);
	refsrv_stop(srv);
	wtls_thread_cleanup();
}
END_TEST

START_TEST(silence_inside_tls13)
{
	/* A TLS 1.3 server sends a session ticket after the handshake: the
	 * socket turns readable without one application byte. That is still
	 * silence (regression: the window used to end at readability and the
	 * next expectation then waited out the whole timeout). */
	char err[256] = "";
	struct refsrv_opts ro = {0};
	struct refsrv *srv = refsrv_start(&ro, "127.0.0.1", "0", err, sizeof err);
	ck_assert_msg(srv != NULL, "refsrv: %s", err);
	char port[16];
	snprintf(port, sizeof port, "%d", refsrv_port(srv));
	struct exec_opts o = opts(port, 3000);
	o.servername = "localhost";
	char *body = xasprintf("%.*sexpect tls ok\nexpect silence 200ms\nsend \"NOOP\\r\\n\"\n"
	                       "expect reply 250\n",
	                       (int)(strlen(TLS_FAIL_BODY) - 16), TLS_FAIL_BODY);
	struct scenario *s = parse_body(body);
	struct result r;
	exec_run(s, &o, &r);
	ck_verdict(&r, V_PASS);
	ck_assert_str_eq(r.tls.version, "TLSv1.3");
	ck_assert_int_lt(r.elapsed_ms, 2000);
	result_free(&r);
	scenario_free(s);
	free(body);
	refsrv_stop(srv);
	wtls_thread_cleanup();
}
END_TEST

/* ---- hostile peers: each ends in ERROR or FAIL within its deadline ---- */

#define HOSTILE_TIMEOUT 500

static void hostile(const char *body, const struct act *script, enum verdict want, int line,
                    const char *why)
{
	struct result r;
	play(body, script, HOSTILE_TIMEOUT, &r, false);
	ck_assert_msg(r.verdict == V_ERROR || r.verdict == V_FAIL, "verdict %s: %s",
	              verdict_label(r.verdict), r.reason);
	ck_assert_msg(r.elapsed_ms <= HOSTILE_TIMEOUT + 500, "took %lld ms: %s",
	              (long long)r.elapsed_ms, r.reason);
	ck_verdict(&r, want);
	ck_reason_prefix(&r, line);
	ck_reason_has(&r, why);
	/* The evidence stays bounded whatever the peer sent. */
	ck_assert_uint_le(r.tr.bytes, TRANSCRIPT_MAX_BYTES);
	result_free(&r);
}

START_TEST(hostile_silent)
{
	static const struct act s[] = {{.k = A_SILENT}, {.k = A_END}};
	hostile(BASIC_BODY, s, V_ERROR, L(1), "no greeting");
}
END_TEST

START_TEST(hostile_drip)
{
	/* "220 aaaa..." one byte every 100 ms, never a line end */
	static const struct act s[] = {{.k = A_SEND, .s = "220 "}, {.k = A_DRIP, .s = "a"}, {.k = A_END}};
	hostile(BASIC_BODY, s, V_ERROR, L(1), "reply still incomplete");
}
END_TEST

START_TEST(hostile_endless_line)
{
	static const struct act s[] = {
	    {.k = A_SEND, .s = "220 "}, {.k = A_FLOOD, .s = "A", .n = 1024 * 1024}, {.k = A_END}};
	hostile(BASIC_BODY, s, V_FAIL, L(1), "hostile input");
}
END_TEST

START_TEST(hostile_endless_multiline)
{
	static const struct act s[] = {
	    {.k = A_SEND, .s = "220 peer\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_FLOOD, .s = "250-x\r\n", .n = 0},
	    {.k = A_END},
	};
	hostile(BASIC_BODY, s, V_FAIL, L(3), "hostile input");
}
END_TEST

START_TEST(hostile_hangup_mid_handshake)
{
	static const struct act s[] = {STARTTLS_PRELUDE, {.k = A_HELLO}, {.k = A_CLOSE}};
	hostile(TLS_BODY, s, V_FAIL, L(7), "TLS handshake failed"); /* expect tls ok */
}
END_TEST

START_TEST(hostile_silent_mid_handshake)
{
	static const struct act s[] = {STARTTLS_PRELUDE, {.k = A_HELLO}, {.k = A_SILENT},
	                               {.k = A_END}};
	hostile(TLS_BODY, s, V_FAIL, L(7), "TLS handshake failed"); /* expect tls ok */
}
END_TEST

START_TEST(hostile_garbage)
{
	static const struct act s[] = {{.k = A_GARBAGE}, {.k = A_END}};
	hostile(BASIC_BODY, s, V_FAIL, L(1), "expected reply 220");
}
END_TEST

START_TEST(hostile_plaintext_instead_of_serverhello)
{
	static const struct act s[] = {
	    STARTTLS_PRELUDE,
	    {.k = A_HELLO},
	    {.k = A_SEND, .s = "250-stark.test\r\n250 STARTTLS\r\n"},
	    {.k = A_END},
	};
	hostile(TLS_BODY, s, V_FAIL, L(7), "TLS handshake failed"); /* expect tls ok */
}
END_TEST

/* ---- profile, interruption, mirror ---- */

START_TEST(profile_skip)
{
	char err[128];
	int lfd = conn_listen("127.0.0.1", "0", 1, err, sizeof err);
	ck_assert_int_ge(lfd, 0);
	char port[16];
	snprintf(port, sizeof port, "%d", conn_local_port(lfd));
	close(lfd); /* a SKIP must not even connect: the port is closed */
	struct scenario *s = parse_full(HDR "profile   submission\n\nexpect reply 220\n");
	struct exec_opts o = opts(port, 2000);
	struct result r;
	exec_run(s, &o, &r);
	ck_verdict(&r, V_SKIP);
	ck_reason_has(&r, "submission");
	ck_assert_uint_eq(r.tr.n, 0);
	result_free(&r);
	/* no profile given at all: also a skip */
	o.profile = NULL;
	exec_run(s, &o, &r);
	ck_verdict(&r, V_SKIP);
	result_free(&r);
	/* the matching profile runs it (and meets the closed port) */
	o.profile = "submission";
	exec_run(s, &o, &r);
	ck_verdict(&r, V_ERROR);
	result_free(&r);
	scenario_free(s);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static void *stop_later(void *arg)
{
	(void)arg;
	sleep_ms(150);
	stop_flag = 1;
	return NULL;
}

START_TEST(interrupted)
{
	static const struct act mute[] = {{.k = A_SILENT}, {.k = A_END}};
	struct scenario *s = parse_body(BASIC_BODY);
	struct peer *p = peer_start(mute);
	struct exec_opts o = opts(p->portstr, 10000);
	stop_flag = 0;
	o.stop = &stop_flag;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, stop_later, NULL), 0);
	struct result r;
	exec_run(s, &o, &r);
	pthread_join(t, NULL);
	peer_join(p);
	ck_verdict(&r, V_ERROR);
	ck_reason_has(&r, "interrupted");
	ck_assert_int_le(r.elapsed_ms, 150 + 400);
	result_free(&r);
	peer_free(p);
	scenario_free(s);
}
END_TEST

/* The mirror form: both ends in this process over socketpair(2). */
struct mirror {
	int fd;
	bool ok;
};

static void *mirror_peer(void *arg)
{
	struct mirror *m = arg;
	char buf[256];
	ssize_t n;
	m->ok = write(m->fd, "220 mirror\r\n", 12) == 12;
	n = read(m->fd, buf, sizeof buf); /* EHLO */
	m->ok = m->ok && n > 5 && memcmp(buf, "EHLO ", 5) == 0;
	m->ok = m->ok && write(m->fd, "250-mirror\r\n250 STARTTLS\r\n", 26) == 26;
	n = read(m->fd, buf, sizeof buf); /* QUIT */
	m->ok = m->ok && n == 6 && memcmp(buf, "QUIT\r\n", 6) == 0;
	m->ok = m->ok && write(m->fd, "221 bye\r\n", 9) == 9;
	return NULL;
}

START_TEST(mirror_socketpair)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct mirror m = {.fd = sv[1]};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, mirror_peer, &m), 0);
	struct scenario *s = parse_body(BASIC_BODY);
	struct exec_opts o = opts("0", 2000);
	struct result r;
	exec_run_fd(s, &o, sv[0], &r); /* takes sv[0] */
	pthread_join(t, NULL);
	close(sv[1]);
	ck_assert(m.ok);
	ck_verdict(&r, V_PASS);
	result_free(&r);
	scenario_free(s);
}
END_TEST

/* ---- the shipped scenarios against scripted servers ---- */

static struct scenario *load_shipped(const char *name)
{
	char *path = xasprintf("%s/scenarios/server/%s.scn", STARK_SOURCE_DIR, name);
	struct scn_diag d = {0};
	struct scenario *s = scenario_load(path, &d);
	ck_assert_msg(s != NULL, "%s: %s", path, d.n ? d.msgs[0] : "?");
	scn_diag_free(&d);
	free(path);
	return s;
}

/*
 * S-09b writes STARTTLS and NOOP in two segments. A correct server that
 * read STARTTLS alone answers 220 and hands the next bytes ("NOOP\r\n") to
 * its TLS library, which rejects them with an alert and closes: the NOOP
 * was never executed. This is what the reference target does when the
 * second segment arrives after its read (seen in the flaw matrix as
 * "recv 220 2.0.0 Ready to start TLS\r\n\x15\x03\x03\x00\x02\x02\x16"
 * in one read). The alert is not an SMTP reply, so this must not FAIL.
 */
START_TEST(s09b_alert_after_220_is_not_a_reply)
{
	static const struct act correct[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "250-peer\r\n250-PIPELINING\r\n250 STARTTLS\r\n"},
	    {.k = A_EXPECT, .s = "STARTTLS\r\n"},
	    {.k = A_EXPECT, .s = "NOOP\r\n"}, /* read by the TLS library as a record header */
	    {.k = A_SENDN, .s = "220 2.0.0 Ready to start TLS\r\n\x15\x03\x03\x00\x02\x02\x16",
	     .n = 37},
	    {.k = A_CLOSE},
	};
	struct scenario *s = load_shipped("s09b-injection-separate-segment");
	struct peer *p = peer_start(correct);
	struct exec_opts o = opts(p->portstr, 1000);
	struct result r;
	exec_run(s, &o, &r);
	peer_join(p);
	ck_assert_msg(p->failed[0] == '\0', "%s", p->failed);
	ck_assert_msg(r.verdict == V_PASS, "a correct server is %s: %s", verdict_label(r.verdict),
	              r.reason);
	result_free(&r);
	peer_free(p);
	scenario_free(s);
}
END_TEST

/* ---- a peer that has closed gets nothing more ---- */

/* Did stark write needle at any point of r's transcript? */
static bool sent_text(const struct result *r, const char *needle)
{
	for (size_t i = 0; i < r->tr.n; i++)
		if (r->tr.ev[i].dir == TDIR_SEND &&
		    memmem(r->tr.ev[i].data, r->tr.ev[i].len, needle, strlen(needle)))
			return true;
	return false;
}

/* Exim's third bad line, Haraka's over-long one: 5xx, then the close. */
static const struct act refuse_and_close[] = {
    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
    {.k = A_EXPECT, .s = "XYZZY\r\n"},
    {.k = A_SEND, .s = "500 Too many syntax or protocol errors\r\n"},
    {.k = A_CLOSE},
};

START_TEST(closed_peer_fail_names_the_close)
{
	/* The delay lets the FIN arrive before the next send, so the test
	 * does not depend on scheduling. */
	static const char body[] = "expect reply 220\n"          /* 1 */
	                           "send \"XYZZY\\r\\n\"\n"      /* 2 */
	                           "expect reply 5xx\n"          /* 3 */
	                           "delay 300ms\n"               /* 4 */
	                           "send \"STARTTLS\\r\\n\"\n"   /* 5 */
	                           "expect reply 220 alone\n"    /* 6 */
	                           "send \"QUIT\\r\\n\"\n";      /* 7 */
	struct result r;
	play(body, refuse_and_close, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(6));
	char want[64];
	snprintf(want, sizeof want, "got connection closed after line %d", L(2));
	ck_reason_has(&r, want);
	ck_assert_msg(!sent_text(&r, "STARTTLS"), "STARTTLS was written to a closed peer");
	ck_assert_ptr_nonnull(r.notes);
	snprintf(want, sizeof want, "1 step from line %d on not run", L(5));
	ck_assert_msg(strstr(r.notes, want) != NULL, "notes '%s' lack '%s'", r.notes, want);
	result_free(&r);
}
END_TEST

START_TEST(closed_peer_expected_close_passes_with_note)
{
	static const char body[] = "expect reply 220\n"          /* 1 */
	                           "send \"XYZZY\\r\\n\"\n"      /* 2 */
	                           "expect reply 5xx\n"          /* 3 */
	                           "delay 300ms\n"               /* 4 */
	                           "send \"STARTTLS\\r\\n\"\n"   /* 5 */
	                           "alt {\n"                     /* 6 */
	                           "    expect reply 220\n"      /* 7 */
	                           "    tls\n"                   /* 8 */
	                           "} or {\n"                    /* 9 */
	                           "    expect close\n"          /* 10 */
	                           "    note \"defensive\"\n"    /* 11 */
	                           "}\n"                         /* 12 */
	                           "send \"QUIT\\r\\n\"\n";      /* 13 */
	struct result r;
	play(body, refuse_and_close, 2000, &r, true);
	ck_verdict(&r, V_PASS);
	ck_assert_msg(!sent_text(&r, "STARTTLS") && !sent_text(&r, "QUIT"),
	              "stark wrote to a closed peer");
	char want[160];
	snprintf(want, sizeof want,
	         "line %d: defensive; the peer closed the connection after line %d; stark sent "
	         "nothing more (2 steps from line %d on not run)",
	         L(11), L(2), L(5));
	ck_assert_ptr_nonnull(r.notes);
	ck_assert_str_eq(r.notes, want);
	result_free(&r);
}
END_TEST

START_TEST(closed_peer_gets_no_clienthello)
{
	static const struct act script[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "STARTTLS\r\n"},
	    {.k = A_SEND, .s = "220 go ahead\r\n"},
	    {.k = A_CLOSE},
	};
	static const char body[] = "expect reply 220\n"          /* 1 */
	                           "send \"STARTTLS\\r\\n\"\n"   /* 2 */
	                           "expect reply 220\n"          /* 3 */
	                           "expect close\n"              /* 4 */
	                           "tls\n";                      /* 5 */
	struct result r;
	play(body, script, 2000, &r, true);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(5));
	char want[64];
	snprintf(want, sizeof want, "the peer closed the connection after line %d", L(2));
	ck_reason_has(&r, want);
	ck_assert_msg(strstr(r.notes ? r.notes : "", "1 step from line") != NULL, "notes: %s",
	              r.notes ? r.notes : "(null)");
	result_free(&r);
}
END_TEST

/* ---- S-19: each kind of junk on its own connection ---- */

#define EHLO_PRELUDE                                                                               \
	{.k = A_SEND, .s = "220 peer ESMTP\r\n"}, {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},        \
	    {.k = A_SEND, .s = "250-peer\r\n250 STARTTLS\r\n"}

/* Play a shipped scenario against script; the script must run as written. */
static void play_shipped(const char *name, const struct act *script, struct result *r)
{
	struct scenario *s = load_shipped(name);
	struct peer *p = peer_start(script);
	struct exec_opts o = opts(p->portstr, 2000);
	exec_run(s, &o, r);
	peer_join(p);
	ck_assert_msg(p->failed[0] == '\0', "%s (verdict %s: %s)", p->failed, verdict_label(r->verdict),
	              r->reason);
	peer_free(p);
	scenario_free(s);
}

START_TEST(s19_close_without_reply_fails)
{
	static const struct act script[] = {EHLO_PRELUDE, {.k = A_EXPECT, .s = "XYZZY\r\n"},
	                                    {.k = A_CLOSE}};
	struct result r;
	play_shipped("s19a-junk-unknown-verb", script, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "closed the connection without a reply to an unknown verb");
	result_free(&r);
}
END_TEST

START_TEST(s19_accepted_junk_fails)
{
	static const struct act script[] = {EHLO_PRELUDE, {.k = A_EXPECT, .s = "XYZZY\r\n"},
	                                    {.k = A_SEND, .s = "250 ok\r\n"}, {.k = A_END}};
	struct result r;
	play_shipped("s19a-junk-unknown-verb", script, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "accepted an unknown verb instead of refusing it with 5xx");
	result_free(&r);
}
END_TEST

START_TEST(s19_defensive_close_passes_with_note)
{
	static const struct act script[] = {EHLO_PRELUDE, {.k = A_EXPECT, .s = "XYZZY\r\n"},
	                                    {.k = A_SEND, .s = "500 Too many syntax or protocol errors\r\n"},
	                                    {.k = A_CLOSE}};
	struct result r;
	play_shipped("s19a-junk-unknown-verb", script, &r);
	ck_verdict(&r, V_PASS);
	ck_assert_msg(r.notes && strstr(r.notes, "a defensive close"), "notes: %s",
	              r.notes ? r.notes : "(null)");
	result_free(&r);
}
END_TEST

/* A server that cuts an over-long line and runs the rest as a second
 * command answers it twice: the STARTTLS reply is the second 500. */
START_TEST(s19_split_long_line_fails)
{
	static const struct act script[] = {
	    EHLO_PRELUDE,
	    {.k = A_EXPECT, .s = "AAAA\r\n"},
	    {.k = A_SEND, .s = "500 line too long\r\n500 unknown command\r\n"},
	    {.k = A_END},
	};
	struct result r;
	play_shipped("s19d-long-line-2049", script, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "answered STARTTLS with 5xx after a 2049-octet line");
	result_free(&r);
}
END_TEST

/* ---- S-12: advertised is not accepted ---- */

/* A server that lists AUTH before TLS and answers AUTH PLAIN with reply;
 * quit: stark goes on to QUIT (it does not after a FAIL). */
static void s12_against(const char *reply, bool quit, struct result *r)
{
	const struct act script[] = {
	    {.k = A_SEND, .s = "220 peer ESMTP\r\n"},
	    {.k = A_EXPECT, .s = "EHLO stark.test\r\n"},
	    {.k = A_SEND, .s = "250-peer\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"},
	    {.k = A_EXPECT, .s = "AUTH PLAIN AHN0YXJrLXByb2Jl"},
	    {.k = A_SEND, .s = reply},
	    {.k = quit ? A_EXPECT : A_END, .s = "QUIT\r\n"},
	    {.k = A_SEND, .s = "221 bye\r\n"},
	    {.k = A_END},
	};
	play_shipped("s12-no-auth-before-tls", script, r);
}

START_TEST(s12_refused_auth_passes_with_note)
{
	static const char *const refusals[] = {"538 5.7.11 Must issue a STARTTLS command first\r\n",
	                                       "530 5.7.0 Must issue a STARTTLS command first\r\n",
	                                       "503 5.5.1 Error: authentication not enabled\r\n"};
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		struct result r;
		s12_against(refusals[i], true, &r);
		ck_verdict(&r, V_PASS);
		ck_assert_msg(r.notes && strstr(r.notes, "AUTH is advertised before TLS, but AUTH PLAIN "
		                                         "in clear was refused"),
		              "%s: notes %s", refusals[i], r.notes ? r.notes : "(null)");
		result_free(&r);
	}
}
END_TEST

START_TEST(s12_accepted_or_processed_auth_fails)
{
	struct result r;
	s12_against("235 2.7.0 Authentication successful\r\n", false, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "accepted AUTH PLAIN in clear");
	result_free(&r);
	s12_against("535 5.7.8 Authentication credentials invalid\r\n", false, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "processed AUTH PLAIN in clear");
	result_free(&r);
}
END_TEST

/* ---- S-21: SMTP smuggling, judged by the number of replies ---- */

/* After DATA the peer reads the whole body (up to the smuggled message's
 * CRLF.CRLF) and answers with after_body. */
static void s21_against(const char *after_body, bool quit, struct result *r)
{
	const struct act script[] = {
	    EHLO_PRELUDE,
	    {.k = A_EXPECT, .s = "MAIL FROM:<stark@stark.test>\r\n"},
	    {.k = A_SEND, .s = "250 ok\r\n"},
	    {.k = A_EXPECT, .s = "RCPT TO:<postmaster@127.0.0.1>\r\n"},
	    {.k = A_SEND, .s = "250 ok\r\n"},
	    {.k = A_EXPECT, .s = "DATA\r\n"},
	    {.k = A_SEND, .s = "354 go ahead\r\n"},
	    {.k = A_EXPECT, .s = "first message\n.\r\nMAIL FROM:"},
	    {.k = A_EXPECT, .s = "smuggled message\r\n.\r\n"},
	    {.k = A_SEND, .s = after_body},
	    {.k = quit ? A_EXPECT : A_END, .s = "QUIT\r\n"},
	    {.k = A_SEND, .s = "221 bye\r\n"},
	    {.k = A_END},
	};
	play_shipped("s21-smuggling-lf-dot-crlf", script, r);
}

START_TEST(s21_one_message_passes)
{
	struct result r;
	s21_against("250 queued as ONE\r\n", true, &r);
	ck_verdict(&r, V_PASS);
	result_free(&r);
}
END_TEST

START_TEST(s21_smuggled_message_fails)
{
	/* <LF>.<CR><LF> ended the first message (CVE-2023-51764): the
	 * smuggled MAIL, RCPT, DATA and message each got their reply. */
	struct result r;
	s21_against("250 queued as ONE\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n250 queued as TWO\r\n",
	            false, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "ended DATA on <LF>.<CR><LF>");
	ck_reason_has(&r, "250 ok");
	result_free(&r);
}
END_TEST

Suite *exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("verdicts");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, verdict_pass);
	tcase_add_test(tc, verdict_fail_names_line);
	tcase_add_test(tc, alt_branches);
	tcase_add_test(tc, alt_commits_to_first_match);
	tcase_add_test(tc, verdict_skip_and_inconclusive);
	tcase_add_test(tc, verdict_error_refused);
	tcase_add_test(tc, verdict_error_no_greeting);
	tcase_add_test(tc, expect_silence);
	tcase_add_test(tc, expect_alone);
	tcase_add_test(tc, expect_strict);
	tcase_add_test(tc, profile_skip);
	tcase_add_test(tc, interrupted);
	tcase_add_test(tc, mirror_socketpair);
	suite_add_tcase(s, tc);
	tc = tcase_create("tls");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tls_against_refsrv);
	tcase_add_test(tc, tls_fail_expected);
	tcase_add_test(tc, tls_ok_expected_but_fail_seen);
	tcase_add_test(tc, silence_inside_tls13);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hostile_silent);
	tcase_add_test(tc, hostile_drip);
	tcase_add_test(tc, hostile_endless_line);
	tcase_add_test(tc, hostile_endless_multiline);
	tcase_add_test(tc, hostile_hangup_mid_handshake);
	tcase_add_test(tc, hostile_silent_mid_handshake);
	tcase_add_test(tc, hostile_garbage);
	tcase_add_test(tc, hostile_plaintext_instead_of_serverhello);
	suite_add_tcase(s, tc);
	tc = tcase_create("shipped");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, s09b_alert_after_220_is_not_a_reply);
	suite_add_tcase(s, tc);
	tc = tcase_create("trust");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, closed_peer_fail_names_the_close);
	tcase_add_test(tc, closed_peer_expected_close_passes_with_note);
	tcase_add_test(tc, closed_peer_gets_no_clienthello);
	tcase_add_test(tc, s19_close_without_reply_fails);
	tcase_add_test(tc, s19_accepted_junk_fails);
	tcase_add_test(tc, s19_defensive_close_passes_with_note);
	tcase_add_test(tc, s19_split_long_line_fails);
	tcase_add_test(tc, s12_refused_auth_passes_with_note);
	tcase_add_test(tc, s12_accepted_or_processed_auth_fails);
	tcase_add_test(tc, s21_one_message_passes);
	tcase_add_test(tc, s21_smuggled_message_fails);
	suite_add_tcase(s, tc);
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * support: the Check suites' shared scaffolding (one copy each): wtls fd
 * callbacks, goldens, thread peers, certificates, ports, refsrv, the scripted
 * peer. Public: support_* (each listed with its contract in support.h).
 * Invariants: no peer outlives its budget or deadline (a stuck one fails the
 * test); goldens are compared byte for byte, rewritten only with STARK_UPDATE_GOLDEN=1.
 */
#include "support.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "conn.h"
#include "hello.h"
#include "refsrv.h"
#include "wtls.h"

ssize_t support_fd_recv(void *ctx, uint8_t *buf, size_t len)
{
	ssize_t n;
	do
		n = recv(*(int *)ctx, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n;
}

ssize_t support_fd_send(void *ctx, const uint8_t *buf, size_t len)
{
	ssize_t n;
	do
		n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n <= 0 ? -1 : n;
}

uint32_t support_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return (uint32_t)((*state * 2685821657736338717ull) >> 32);
}

/* ---- golden files ---- */

char *support_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_cstr(&b);
}

bool support_update_golden(void)
{
	const char *e = getenv("STARK_UPDATE_GOLDEN");
	return e != NULL && strcmp(e, "1") == 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

void support_golden(const char *path, const void *got, size_t len)
{
	if (support_update_golden()) {
		const char *slash = strrchr(path, '/');
		if (slash != NULL) {
			char *dir = xstrndup(path, (size_t)(slash - path));
			mkdir(dir, 0777); /* one level: tests/golden itself exists */
			free(dir);
		}
		write_file(path, got, len);
		return;
	}
	size_t wlen = 0;
	char *want = support_slurp(path, &wlen);
	ck_assert_msg(want != NULL, "missing golden %s (run with STARK_UPDATE_GOLDEN=1)", path);
	if (wlen != len || memcmp(want, got, len) != 0) {
		const char *g = got;
		size_t i = 0;
		while (i < len && i < wlen && want[i] == g[i])
			i++;
		const char *base = strrchr(path, '/');
		char *actual = xasprintf("/tmp/stark-golden-%s", base ? base + 1 : path);
		FILE *f = fopen(actual, "wb");
		if (f) {
			fwrite(got, 1, len, f);
			fclose(f);
		}
		ck_abort_msg("%s differs from golden at byte %zu (got %zu bytes, want %zu); actual "
		             "output in %s",
		             path, i, len, wlen, actual);
	}
	free(want);
}

/* ---- thread peers ---- */

void support_socketpair(int sv[2], int timeout_s)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (timeout_s <= 0)
		return;
	struct timeval tv = {.tv_sec = timeout_s};
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(sv[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
}

pthread_t support_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

void support_thread_join(pthread_t t, int deadline_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* pthread_timedjoin_np takes CLOCK_REALTIME */
	ts.tv_sec += deadline_ms / 1000;
	ts.tv_nsec += (long)(deadline_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	int rc = pthread_timedjoin_np(t, NULL, &ts);
	ck_assert_msg(rc == 0, "peer thread still running after %d ms", deadline_ms);
}

void support_pair_run(void *(*srv_fn)(void *), void *srv, int *srv_fd, void *(*cli_fn)(void *),
                      void *cli, int *cli_fd)
{
	int sv[2];
	support_socketpair(sv, 10);
	*srv_fd = sv[0];
	*cli_fd = sv[1];
	pthread_t t = support_thread_start(srv_fn, srv);
	cli_fn(cli);
	support_thread_join(t, 30000);
	close(sv[0]);
	close(sv[1]);
}

struct stop_later {
	volatile sig_atomic_t *flag;
	int ms;
	int64_t *set_at;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *stop_later_main(void *arg)
{
	struct stop_later *s = arg;
	sleep_ms(s->ms);
	if (s->set_at)
		*s->set_at = mono_ms();
	*s->flag = 1;
	free(s);
	return NULL;
}

pthread_t support_stop_later(volatile sig_atomic_t *flag, int ms, int64_t *set_at)
{
	struct stop_later *s = xmalloc(sizeof *s);
	*s = (struct stop_later){flag, ms, set_at};
	return support_thread_start(stop_later_main, s);
}

/* ---- stark's certificates ---- */

struct cert_set *support_certs;

void support_certs_setup(void)
{
	wtls_global_init();
	support_certs = cert_set_new(SUPPORT_SERVERNAME);
	ck_assert_ptr_nonnull(support_certs);
	for (int v = 0; v < CERT__COUNT; v++)
		ck_assert_msg(cert_set_get(support_certs, (enum cert_variant)v) != NULL, "%s: %s",
		              cert_variant_name((enum cert_variant)v), cert_set_error(support_certs));
}

void support_certs_teardown(void)
{
	cert_set_free(support_certs);
	support_certs = NULL;
}

/* ---- hellos and ports ---- */

void support_hello_opts(struct hello_opts *o, uint16_t version, const uint16_t *suites, size_t n)
{
	hello_opts_init(o, version);
	o->suites = suites;
	o->nsuites = n;
}

int support_listen(char port[16])
{
	char err[256] = "";
	int lfd = conn_listen("127.0.0.1", "0", 16, err, sizeof err);
	ck_assert_msg(lfd >= 0, "listen: %s", err);
	snprintf(port, 16, "%d", conn_local_port(lfd));
	return lfd;
}

void support_closed_port(char port[16])
{
	close(support_listen(port));
}

/* ---- the reference target ---- */

struct refsrv *support_refsrv_start(const struct refsrv_opts *o, char port[16])
{
	static const struct refsrv_opts defaults = {0};
	char err[256] = "";
	struct refsrv *srv = refsrv_start(o ? o : &defaults, "127.0.0.1", "0", err, sizeof err);
	ck_assert_msg(srv != NULL, "refsrv: %s", err);
	snprintf(port, 16, "%d", refsrv_port(srv));
	return srv;
}

/* ---- scripted peer ---- */

enum step_kind {
	S_SEND, S_EXPECT, S_SLEEP, S_CLOSE, S_HELLO, S_READ, S_SILENT, S_DRIP, S_FLOOD, S_GARBAGE
};

struct support_step {
	enum step_kind k;
	struct buf data; /* S_SEND, S_EXPECT, S_FLOOD */
	long n;          /* S_SLEEP: ms; S_FLOOD: total bytes (0 = until the client closes) */
};

/* Decode the escapes of one script field; false on a bad escape. */
static bool unescape(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c != '\\') {
			buf_append(out, &c, 1);
			continue;
		}
		if (++i == n)
			return false;
		switch (s[i]) {
		case 'r': c = '\r'; break;
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case '\\': c = '\\'; break;
		case 'x': {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				return false;
			char hex[3] = {s[i + 1], s[i + 2], '\0'};
			c = (char)strtol(hex, NULL, 16);
			i += 2;
			break;
		}
		default:
			return false;
		}
		buf_append(out, &c, 1);
	}
	return true;
}

static const char *word_arg(const char *line, size_t len, const char *word)
{
	size_t wl = strlen(word);
	if (len < wl || memcmp(line, word, wl) != 0)
		return NULL;
	if (len == wl)
		return line + wl;
	return line[wl] == ' ' ? line + wl + 1 : NULL;
}

/* One script line into st; false if it is not a step. */
static bool parse_step(const char *line, size_t len, struct support_step *st)
{
	const char *end = line + len, *a;
	memset(st, 0, sizeof *st);
	if (len >= 2 && (line[0] == '<' || line[0] == '>') && line[1] == ' ') {
		st->k = line[0] == '<' ? S_SEND : S_EXPECT;
		return unescape(line + 2, len - 2, &st->data) && st->data.len > 0;
	}
	if ((a = word_arg(line, len, "sleep")) != NULL && a < end) {
		st->k = S_SLEEP;
		st->n = strtol(a, NULL, 10);
		return st->n > 0;
	}
	if ((a = word_arg(line, len, "flood")) != NULL && a < end) {
		char *rest;
		st->k = S_FLOOD;
		st->n = strtol(a, &rest, 10);
		return rest > a && *rest == ' ' && st->n >= 0 &&
		       unescape(rest + 1, (size_t)(end - rest - 1), &st->data) && st->data.len > 0;
	}
	static const struct {
		const char *w;
		enum step_kind k;
	} bare[] = {{"close", S_CLOSE}, {"hello", S_HELLO}, {"read", S_READ},
	            {"silent", S_SILENT}, {"drip", S_DRIP}, {"garbage", S_GARBAGE}};
	for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
		if (len == strlen(bare[i].w) && memcmp(line, bare[i].w, len) == 0) {
			st->k = bare[i].k;
			return true;
		}
	return false;
}

static bool over_budget(const struct support_peer *p)
{
	return mono_ms() - p->t_start > SUPPORT_PEER_BUDGET_MS;
}

static bool p_send(struct support_peer *p, const void *data, size_t n)
{
	const uint8_t *d = data;
	size_t off = 0;
	while (off < n) {
		struct pollfd pf = {.fd = p->fd, .events = POLLOUT};
		if (over_budget(p) || poll(&pf, 1, 100) < 0)
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
static ssize_t p_recv(struct support_peer *p, int ms)
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

static void p_expect(struct support_peer *p, const struct buf *needle)
{
	for (;;) {
		if (p->rx.len >= p->cursor + needle->len) {
			uint8_t *hit = memmem(p->rx.data + p->cursor, p->rx.len - p->cursor,
			                      needle->data, needle->len);
			if (hit) {
				p->cursor = (size_t)(hit - p->rx.data) + needle->len;
				return;
			}
		}
		if (over_budget(p) || p_recv(p, 100) == 0) {
			snprintf(p->failed, sizeof p->failed, "peer: '%.*s' never arrived",
			         (int)needle->len, (const char *)needle->data);
			return;
		}
	}
}

/* Until n bytes have arrived after the cursor; then they start at mark and
 * the cursor moves past everything received. */
static bool p_wait_bytes(struct support_peer *p, size_t n, const char *what)
{
	while (p->rx.len < p->cursor + n) {
		if (over_budget(p) || p_recv(p, 100) == 0) {
			snprintf(p->failed, sizeof p->failed, "peer: no %s", what);
			return false;
		}
	}
	p->mark = p->cursor;
	p->cursor = p->rx.len;
	return true;
}

/* A TLS record header from the client: its first 5 bytes. */
static void p_hello(struct support_peer *p)
{
	if (p_wait_bytes(p, 5, "ClientHello") && p->rx.data[p->mark] != 0x16)
		snprintf(p->failed, sizeof p->failed, "peer: not a handshake record (0x%02x)",
		         p->rx.data[p->mark]);
}

/* Until the client closes (or the budget ends). */
static void p_wait_close(struct support_peer *p)
{
	while (!p->client_closed && !over_budget(p))
		p_recv(p, 100);
}

static void p_drain(struct support_peer *p)
{
	while (p_recv(p, 0) > 0)
		;
}

static void p_flood(struct support_peer *p, const struct support_step *st)
{
	size_t sent = 0, total = (size_t)st->n;
	struct buf chunk = {0};
	while (chunk.len < 16384)
		buf_append(&chunk, st->data.data, st->data.len);
	while ((total == 0 || sent < total) && !over_budget(p)) {
		size_t n = chunk.len;
		if (total && total - sent < n)
			n = total - sent;
		if (!p_send(p, chunk.data, n))
			break;
		sent += n;
		p_drain(p);
	}
	buf_free(&chunk);
}

static void p_garbage(struct support_peer *p)
{
	uint32_t seed = 0x2545F491u; /* xorshift32: the same bytes every run */
	uint8_t g[4096];
	for (;;) {
		for (size_t i = 0; i < sizeof g; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			g[i] = (uint8_t)seed;
		}
		if (!p_send(p, g, sizeof g) || over_budget(p))
			break;
		p_drain(p);
	}
}

static void *peer_main(void *arg)
{
	struct support_peer *p = arg;
	struct pollfd pf = {.fd = p->lfd, .events = POLLIN};
	if (poll(&pf, 1, SUPPORT_PEER_BUDGET_MS) != 1)
		return NULL;
	p->fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (p->fd < 0)
		return NULL;
	p->accepted = true;
	p->t_start = mono_ms();
	bool closed_by_script = false;
	for (size_t i = 0; i < p->nsteps && !p->failed[0] && !closed_by_script; i++) {
		const struct support_step *st = &p->steps[i];
		switch (st->k) {
		case S_SEND:
			p_send(p, st->data.data, st->data.len);
			break;
		case S_EXPECT:
			p_expect(p, &st->data);
			break;
		case S_SLEEP:
			sleep_ms(st->n);
			break;
		case S_CLOSE:
			closed_by_script = true;
			break;
		case S_HELLO:
			p_hello(p);
			break;
		case S_READ:
			p_wait_bytes(p, 1, "bytes to read");
			break;
		case S_SILENT:
			p_wait_close(p);
			break;
		case S_DRIP: {
			bool ok = p_send(p, "a", 1);
			while (ok && !p->client_closed && !over_budget(p)) {
				sleep_ms(100);
				p_drain(p);
				ok = p_send(p, "a", 1);
			}
			break;
		}
		case S_FLOOD:
			p_flood(p, st);
			break;
		case S_GARBAGE:
			p_garbage(p);
			break;
		}
	}
	if (!closed_by_script)
		p_wait_close(p);
	close(p->fd);
	p->fd = -1;
	return NULL;
}

struct support_peer *support_peer_start(const char *script)
{
	struct support_peer *p = xcalloc(1, sizeof *p);
	for (const char *l = script; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		if (len > 0) {
			p->steps = xrealloc(p->steps, (p->nsteps + 1) * sizeof *p->steps);
			ck_assert_msg(parse_step(l, len, &p->steps[p->nsteps]),
			              "peer script: bad step '%.*s'", (int)len, l);
			p->nsteps++;
		}
		l += len + (nl != NULL);
	}
	p->fd = -1;
	p->lfd = support_listen(p->portstr);
	p->t = support_thread_start(peer_main, p);
	return p;
}

void support_peer_join(struct support_peer *p)
{
	/* up to a budget waiting for the client, then one for the script */
	support_thread_join(p->t, 2 * SUPPORT_PEER_BUDGET_MS + 1000);
	close(p->lfd);
}

void support_peer_free(struct support_peer *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nsteps; i++)
		buf_free(&p->steps[i].data);
	free(p->steps);
	buf_free(&p->rx);
	free(p);
}

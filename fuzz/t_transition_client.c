/* SPDX-License-Identifier: MIT */
/*
 * transition_client (catalog F-03, client side): stark's own client path
 * (conn.c: conn_fill, conn_send, conn_starttls through wtls; smtp.c:
 * smtp_reply_parse, as exec.c uses them) against a server whose every byte
 * comes from the input: greeting, EHLO reply, the 220 to STARTTLS together
 * with whatever the server appends to it in plaintext (the client-side
 * injection window), a TLS handshake, and replies inside TLS.
 *
 * In memory, one thread, no sockets: conn's I/O seam (struct conn_io)
 * carries its reads and writes to memory pipes, and a wait steps the fuzz
 * server (plain non-blocking wolfSSL) until it has something to say, or
 * reports a hang-up (never a wait: no clock, no sleep). conn keeps no
 * deadline (c.deadline = 0).
 *
 * Input: byte 0 mode: bits 0-1 TLS version the server accepts (0 any,
 * 1 TLS 1.2, 2 TLS 1.3, 3 any), bits 2-3 how many commands the client
 * sends inside TLS (NOOP, EHLO, QUIT); rest: server turns separated by
 * 0xFF. Turn 0 is sent at once (the greeting), turn k when the server has
 * received its k-th command line (in plaintext; inside TLS, counting again
 * from the first line inside TLS). A turn is one write in plaintext, one
 * TLS record inside TLS. The server switches to TLS when the client's next
 * byte is a TLS handshake record (0x16).
 *
 * Oracles: conn_starttls counts exactly the buffered plaintext as
 * discarded; after a successful switch the input buffer is empty (after a
 * failed one it holds only bytes the handshake itself read: conn goes on
 * in plaintext with them as evidence); every byte the client
 * parses inside TLS is, in order, a byte the server sent inside TLS (a
 * plaintext byte is never parsed as a reply inside TLS); ASan/UBSan/leaks.
 */
#include "conn.h"
#include "fuzz.h"
#include "memtls.h"
#include "wolfssl_heap.h"
#include "smtp.h"
#include "util.h"
#include "wtls.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TURNS 64
#define SEP 0xFF

struct seg {
	const uint8_t *p;
	size_t n;
};

static struct fsrv {
	struct mpipe c2s, s2c;
	struct seg turn[MAX_TURNS];
	size_t nturn, next;
	enum { FS_PLAIN, FS_HS, FS_TLS, FS_DEAD } st;
	enum memtls_ver ver;
	struct mpeer *tls;
	struct buf tls_sent; /* plaintext the server sent inside TLS */
	unsigned long calls; /* calls through conn's I/O seam: proves it is in use */
} S;

static void release_turn(void)
{
	if (S.next >= S.nturn)
		return;
	const struct seg *t = &S.turn[S.next++];
	if (t->n == 0)
		return;
	if (S.st == FS_TLS) {
		if (mpeer_write(S.tls, t->p, t->n) == 0)
			buf_append(&S.tls_sent, t->p, t->n);
	} else {
		mpipe_put(&S.s2c, t->p, t->n);
	}
}

/* Let the fuzz server consume what the client sent and answer. */
static void step(void)
{
	for (int guard = 0; guard < 1000; guard++) {
		switch (S.st) {
		case FS_PLAIN: {
			size_t a = mpipe_avail(&S.c2s);
			if (a == 0)
				return;
			const uint8_t *p = mpipe_peek(&S.c2s);
			if (p[0] == 0x16) {
				S.st = FS_HS;
				S.tls = mpeer_new(true, S.ver, &S.c2s, &S.s2c, NULL, 0);
				FUZZ_CHECK(S.tls != NULL, "cannot create the server end");
				continue;
			}
			const uint8_t *lf = memchr(p, '\n', a);
			if (lf == NULL)
				return;
			mpipe_drop(&S.c2s, (size_t)(lf - p) + 1);
			release_turn();
			continue;
		}
		case FS_HS: {
			enum mpeer_state r = mpeer_handshake(S.tls);
			if (r == MP_DONE) {
				S.st = FS_TLS;
				continue;
			}
			if (r == MP_FAILED)
				S.st = FS_DEAD;
			return;
		}
		case FS_TLS: {
			struct buf in = {0};
			int r = mpeer_read_all(S.tls, &in);
			for (size_t i = 0; i < in.len; i++)
				if (in.data[i] == '\n')
					release_turn();
			bool any = in.len > 0;
			buf_free(&in);
			if (r != 0)
				S.st = FS_DEAD;
			if (!any)
				return;
			continue;
		}
		case FS_DEAD:
			return;
		}
	}
}

/* ---- conn's I/O seam, served from memory ---- */

static ssize_t mem_recv(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	S.calls++;
	if (mpipe_avail(&S.s2c) == 0)
		step();
	return (ssize_t)mpipe_get(&S.s2c, buf, n); /* 0: the server has nothing more: EOF */
}

static ssize_t mem_send(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	S.calls++;
	mpipe_put(&S.c2s, buf, n);
	return (ssize_t)n;
}

static int mem_wait(void *ctx, short events, short *revents, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	S.calls++;
	*revents = 0;
	if (events & POLLOUT)
		*revents |= POLLOUT;
	if (events & POLLIN) {
		if (mpipe_avail(&S.s2c) == 0)
			step();
		/* nothing to read now means nothing ever: a hang-up, never a wait */
		*revents |= mpipe_avail(&S.s2c) ? POLLIN : (POLLIN | POLLHUP);
	}
	return *revents != 0;
}

static const struct conn_io mem_io = {mem_recv, mem_send, mem_wait, NULL};

/* ---- the client: stark's own code ---- */

static struct wtls_config *clicfg;
static bool trace; /* STARK_FUZZ_TRACE=1: narrate each input on stderr */
#define TRACE(...) (trace ? (void)fprintf(stderr, "transition_client: " __VA_ARGS__) : (void)0)

int FuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("STARK_FUZZ_TRACE") != NULL;
	if (wtls_global_init() != 0 || memtls_init() != 0)
		abort();
	clicfg = wtls_config_new(WTLS_CLIENT);
	if (clicfg == NULL || wtls_config_add_ca_mem(clicfg, (const uint8_t *)memtls_ca_pem,
	                                             strlen(memtls_ca_pem)) != 0)
		abort();
	return 0;
}

void FuzzerCleanup(void)
{
	wtls_config_free(clicfg);
	clicfg = NULL;
	memtls_cleanup();
	wtls_thread_cleanup();
}

static size_t tls_consumed; /* bytes of S.tls_sent the client has parsed */

/* Read one reply as exec.c does. Returns its code (0 if none), -1 on close/error. */
static int read_reply(struct conn *c)
{
	struct smtp_reply *r = xmalloc(sizeof *r);
	int code = -1;
	for (;;) {
		if (c->tls && c->in.len > 0) {
			FUZZ_CHECK(tls_consumed + c->in.len <= S.tls_sent.len &&
			               memcmp(c->in.data, S.tls_sent.data + tls_consumed, c->in.len) == 0,
			           "the client holds %zu bytes inside TLS that the server did not send inside "
			           "TLS (plaintext from before the handshake parsed as a reply, F-03)",
			           c->in.len);
		}
		ssize_t n = smtp_reply_parse(c->in.data, c->in.len, r, NULL);
		if (n > 0) {
			if (c->tls)
				tls_consumed += (size_t)n;
			buf_consume(&c->in, (size_t)n);
			code = r->code;
			TRACE("reply %d (%zd bytes)%s\n", code, n, c->tls ? " inside TLS" : "");
			break;
		}
		if (n < 0 || conn_fill(c) != CONN_OK)
			break;
	}
	free(r);
	return code;
}

static bool say(struct conn *c, const char *line)
{
	return conn_send(c, (const uint8_t *)line, strlen(line)) == CONN_OK;
}

static int one_input(const uint8_t *buf, size_t len)
{
	if (len < 1)
		return 0;
	stark_fuzz_rand_seed(buf, len);
	uint8_t mode = buf[0];
	S.ver = (mode & 3) == 1 ? MT_TLS12 : (mode & 3) == 2 ? MT_TLS13 : MT_ANY;
	S.st = FS_PLAIN;
	S.nturn = S.next = 0;
	S.calls = 0;
	size_t start = 1;
	for (size_t i = 1; i <= len && S.nturn < MAX_TURNS; i++) {
		if (i == len || buf[i] == SEP) {
			S.turn[S.nturn].p = buf + start;
			S.turn[S.nturn].n = i - start;
			S.nturn++;
			start = i + 1;
		}
	}
	tls_consumed = 0;
	release_turn(); /* the greeting */

	struct conn c;
	conn_init(&c, -1, NULL);
	c.io = &mem_io;
	c.deadline = 0; /* our wait never waits: no clock */
	int code = read_reply(&c);
	FUZZ_CHECK(S.calls > 0, "conn did not use its I/O seam");
	if (code < 0 || !say(&c, "EHLO fuzz.stark.test\r\n") || read_reply(&c) < 0 ||
	    !say(&c, "STARTTLS\r\n"))
		goto done;
	code = read_reply(&c);
	if (code != 220) {
		if (code >= 0)
			say(&c, "QUIT\r\n");
		goto done;
	}
	size_t buffered = c.in.len;
	int rc = conn_starttls(&c, clicfg, WTLS_CLIENT, "localhost", NULL, 0);
	FUZZ_CHECK(c.switched_discarded == buffered, "discarded %zu of %zu buffered bytes",
	           c.switched_discarded, buffered);
	TRACE("conn_starttls: %s, %zu plaintext bytes discarded\n", rc == CONN_OK ? "ok" : c.err,
	      c.switched_discarded);
	if (rc != CONN_OK) {
		/* After a failed handshake the connection goes on in plaintext and
		 * conn keeps what the handshake swallowed (evidence): those bytes,
		 * read after the switch, never the ones buffered before it. */
		FUZZ_CHECK(c.tls == NULL, "TLS still active after a failed handshake");
		FUZZ_CHECK(c.in.len == 0 ||
		               (c.in.len <= c.hs_raw.len &&
		                memcmp(c.in.data, c.hs_raw.data + c.hs_raw.len - c.in.len, c.in.len) == 0),
		           "after a failed handshake the client holds %zu bytes that the handshake did "
		           "not read",
		           c.in.len);
		goto done;
	}
	FUZZ_CHECK(c.in.len == 0, "%zu plaintext bytes survived the switch to TLS", c.in.len);
	static const char *const cmds[] = {"NOOP\r\n", "EHLO fuzz.stark.test\r\n", "QUIT\r\n"};
	for (unsigned i = 0; i < ((mode >> 2) & 3u); i++)
		if (!say(&c, cmds[i]) || read_reply(&c) < 0)
			break;
done:
	conn_close(&c);
	mpeer_free(S.tls);
	S.tls = NULL;
	mpipe_free(&S.c2s);
	mpipe_free(&S.s2c);
	buf_free(&S.tls_sent);
	return 0;
}

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	fuzz_heap_begin(); /* wolfSSL allocates from the per-input arena */
	int rc = one_input(buf, len);
	fuzz_heap_end();
	return rc;
}

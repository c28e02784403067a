/* SPDX-License-Identifier: MIT */
/*
 * transition_server (catalog F-03, server side): the input plays the SMTP
 * client against a server session linked through stark_vendor.h (the
 * reference target's refsess_* by default): a plaintext phase, STARTTLS,
 * whatever the client pipelined behind it (the injection window), an
 * in-memory TLS handshake (the server end through stark's wtls with
 * callbacks over memory pipes, the client end plain non-blocking wolfSSL:
 * one thread, no sockets, no sleeps, no clock), then application data
 * inside TLS, and optionally close_notify.
 *
 * Input (docs/fuzzing.md has examples):
 *   byte 0  session config, handed to the adapter (refsess: flaws/profile)
 *   byte 1  mode: bits 0-1 TLS version the client offers (0 any, 1 TLS 1.2,
 *           2 TLS 1.3, 3 any), bit 2 "glue": the first segment after the
 *           STARTTLS is sent raw in front of the ClientHello (S-09c),
 *           bit 3 close_notify after the last segment
 *   rest    segments separated by the byte 0xFF. Each segment is one read
 *           on the server in plaintext (one `send` of a scenario), or one
 *           TLS record once the handshake succeeded. Bytes that follow the
 *           STARTTLS line inside its segment are the injection window.
 *
 * Oracles (abort = finding): the session's injected() stays 0; the
 * session never answers inside TLS more replies than the client sent
 * lines inside TLS (STARK_VOPT_REPLY_ORACLE); ASan/UBSan/leaks.
 */
#include "fuzz.h"
#include "memtls.h"
#include "wolfssl_heap.h"
#include "smtp.h"
#include "stark_vendor.h"
#include "util.h"
#include "wtls.h"

#include <string.h>

#define MAX_SEGMENTS 64
#define SEP 0xFF

struct stark_vendor_out {
	struct buf b;
};

void stark_vendor_emit(struct stark_vendor_out *out, const void *p, size_t n)
{
	buf_append(&out->b, p, n);
}

static struct wtls_config *srvcfg;
static bool trace; /* STARK_FUZZ_TRACE=1: narrate each input on stderr */
#define TRACE(...) (trace ? (void)fprintf(stderr, "transition_server: " __VA_ARGS__) : (void)0)

int FuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("STARK_FUZZ_TRACE") != NULL;
	if (wtls_global_init() != 0 || memtls_init() != 0) {
		fprintf(stderr, "transition_server: TLS init failed\n");
		abort();
	}
	srvcfg = wtls_config_new(WTLS_SERVER);
	if (srvcfg == NULL ||
	    wtls_config_set_keypair_mem(srvcfg, (const uint8_t *)memtls_leaf_pem,
	                                strlen(memtls_leaf_pem), (const uint8_t *)memtls_leaf_key,
	                                strlen(memtls_leaf_key)) != 0) {
		fprintf(stderr, "transition_server: server config: %s\n",
		        srvcfg ? wtls_config_error(srvcfg) : "no config");
		abort();
	}
	if (STARK_VENDOR.global_init && STARK_VENDOR.global_init() != 0) {
		fprintf(stderr, "transition_server: %s: init failed\n", STARK_VENDOR.name);
		abort();
	}
	return 0;
}

void FuzzerCleanup(void)
{
	if (STARK_VENDOR.global_cleanup)
		STARK_VENDOR.global_cleanup();
	wtls_config_free(srvcfg);
	srvcfg = NULL;
	memtls_cleanup();
	wtls_thread_cleanup();
}

/* The server end's I/O: memory pipes; during the handshake an empty pipe
 * steps the client end (which is non-blocking) before giving up. */
struct srv_io {
	struct mpipe c2s, s2c;
	struct mpeer *client;
	enum mpeer_state cstate;
	bool handshaking;
	struct buf hs_raw;
};

static ssize_t srv_recv(void *ctx, uint8_t *buf, size_t len)
{
	struct srv_io *io = ctx;
	if (mpipe_avail(&io->c2s) == 0 && io->handshaking && io->cstate == MP_WANT)
		io->cstate = mpeer_handshake(io->client);
	if (mpipe_avail(&io->c2s) == 0)
		return io->handshaking ? 0 : WTLS_WANT; /* a client that cannot go on hung up */
	size_t n = mpipe_get(&io->c2s, buf, len);
	if (io->handshaking)
		buf_append(&io->hs_raw, buf, n);
	return (ssize_t)n;
}

static ssize_t srv_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct srv_io *io = ctx;
	mpipe_put(&io->s2c, buf, len);
	return (ssize_t)len;
}

struct seg {
	const uint8_t *p;
	size_t n;
};

static size_t split(const uint8_t *p, size_t n, struct seg *s)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n && k < MAX_SEGMENTS; i++) {
		if (i == n || p[i] == SEP) {
			s[k].p = p + start;
			s[k].n = i - start;
			k++;
			start = i + 1;
		}
	}
	return k;
}

struct run {
	const struct stark_vendor_ops *v;
	void *vs;
	struct stark_vendor_out out;
	struct srv_io io;
	struct wtls *st;     /* server end, NULL in plaintext */
	bool tls;
	size_t lf_in_tls;    /* line terminators the client sent inside TLS */
	size_t replies_in_tls;
	struct buf cli_rx;   /* what the client decrypted */
	size_t cli_parsed;
};

static void check_injected(struct run *r, const char *when)
{
	if (r->v->injected == NULL)
		return;
	size_t n = r->v->injected(r->vs);
	FUZZ_CHECK(n == 0,
	           "%s executed %zu command(s) inside TLS that arrived in plaintext before the "
	           "handshake (CVE-2011-0411 class, F-03), %s",
	           r->v->name, n, when);
}

/* Deliver the session's output to the client; inside TLS count replies. */
static bool flush(struct run *r)
{
	bool ok = true;
	if (r->tls) {
		if (r->out.b.len && wtls_write(r->st, r->out.b.data, r->out.b.len) < 0)
			ok = false;
		if (r->io.client && mpeer_read_all(r->io.client, &r->cli_rx) < 0)
			ok = false;
		while (r->cli_parsed < r->cli_rx.len) {
			struct smtp_reply rep;
			ssize_t k = smtp_reply_parse(r->cli_rx.data + r->cli_parsed,
			                             r->cli_rx.len - r->cli_parsed, &rep, NULL);
			if (k <= 0)
				break;
			r->cli_parsed += (size_t)k;
			r->replies_in_tls++;
		}
		if (r->v->opts & STARK_VOPT_REPLY_ORACLE)
			FUZZ_CHECK(r->replies_in_tls <= r->lf_in_tls,
			           "%s sent %zu replies inside TLS for %zu command lines sent inside TLS: "
			           "it answered bytes that arrived before the handshake (F-03)",
			           r->v->name, r->replies_in_tls, r->lf_in_tls);
	}
	buf_reset(&r->out.b);
	return ok;
}

static void end_tls(struct run *r)
{
	wtls_free(r->st);
	r->st = NULL;
	mpeer_free(r->io.client);
	r->io.client = NULL;
	mpipe_free(&r->io.c2s);
	mpipe_free(&r->io.s2c);
	r->tls = false;
}

static enum stark_vendor_action handshake(struct run *r, enum memtls_ver ver, const struct seg *glue)
{
	mpipe_free(&r->io.c2s);
	mpipe_free(&r->io.s2c);
	buf_reset(&r->io.hs_raw);
	r->io.client = mpeer_new(false, ver, &r->io.s2c, &r->io.c2s, glue ? glue->p : NULL,
	                         glue ? glue->n : 0);
	FUZZ_CHECK(r->io.client != NULL, "cannot create the client end");
	r->io.cstate = MP_WANT;
	r->st = wtls_new(srvcfg, NULL, srv_recv, srv_send, &r->io);
	FUZZ_CHECK(r->st != NULL, "cannot create the server end");
	r->io.handshaking = true;
	int ok = wtls_handshake(r->st) == 0;
	r->io.handshaking = false;
	if (trace) {
		uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: same input, same bytes? */
		for (size_t i = 0; i < r->io.hs_raw.len; i++)
			h = (h ^ r->io.hs_raw.data[i]) * 0x100000001b3ull;
		TRACE("handshake %s (%s), server consumed %zu raw bytes (fnv %016llx)\n",
		      ok ? "ok" : "failed", ok ? wtls_facts(r->st)->version : wtls_error(r->st),
		      r->io.hs_raw.len, (unsigned long long)h);
	}
	if (!ok) {
		enum stark_vendor_action a =
		    r->v->tls_failed(r->vs, r->io.hs_raw.data, r->io.hs_raw.len, &r->out);
		end_tls(r); /* the session goes on (or not) in plaintext */
		return a;
	}
	/* TLS 1.2: the server's Finished is still on its way to the client */
	while (r->io.cstate == MP_WANT && mpipe_avail(&r->io.s2c) > 0)
		r->io.cstate = mpeer_handshake(r->io.client);
	r->tls = true;
	r->lf_in_tls = r->replies_in_tls = 0;
	buf_reset(&r->cli_rx);
	r->cli_parsed = 0;
	return r->v->tls_started(r->vs, &r->out);
}

/* One TLS record from the client, everything decrypted handed to the session. */
static enum stark_vendor_action tls_segment(struct run *r, const struct seg *s)
{
	if (r->io.cstate != MP_DONE)
		return STARK_V_CLOSE; /* the client end never finished: nothing to send with */
	if (s->n == 0)
		return STARK_V_CONTINUE;
	FUZZ_CHECK(mpeer_write(r->io.client, s->p, s->n) == 0, "client write failed");
	for (size_t i = 0; i < s->n; i++)
		r->lf_in_tls += s->p[i] == '\n';
	uint8_t tmp[4096];
	for (;;) {
		ssize_t k = wtls_read(r->st, tmp, sizeof tmp);
		if (k == WTLS_WANT)
			return STARK_V_CONTINUE;
		if (k <= 0)
			return STARK_V_CLOSE;
		enum stark_vendor_action a = r->v->input(r->vs, tmp, (size_t)k, &r->out);
		check_injected(r, "after input inside TLS");
		if (a != STARK_V_CONTINUE)
			return a;
		if (!flush(r))
			return STARK_V_CLOSE;
	}
}

static int one_input(const uint8_t *buf, size_t len)
{
	if (len < 2)
		return 0;
	stark_fuzz_rand_seed(buf, len);
	uint8_t mode = buf[1];
	enum memtls_ver ver = (mode & 3) == 1 ? MT_TLS12 : (mode & 3) == 2 ? MT_TLS13 : MT_ANY;
	struct seg segs[MAX_SEGMENTS];
	size_t nseg = split(buf + 2, len - 2, segs), next = 0;
	bool closed = false;

	struct run r = {.v = &STARK_VENDOR};
	r.vs = r.v->session_new(buf, 1);
	FUZZ_CHECK(r.vs != NULL, "%s: session_new failed", r.v->name);
	enum stark_vendor_action a = r.v->greeting(r.vs, &r.out);
	for (int guard = 0; guard < 4 * MAX_SEGMENTS; guard++) {
		check_injected(&r, r.tls ? "inside TLS" : "in plaintext");
		if (!flush(&r))
			a = STARK_V_CLOSE;
		if (a == STARK_V_CLOSE)
			break;
		if (a == STARK_V_STARTTLS) {
			if (r.tls)
				break; /* TLS inside TLS: not a transition this target follows */
			const struct seg *glue = NULL;
			if ((mode & 4) && next < nseg)
				glue = &segs[next++];
			a = handshake(&r, ver, glue);
			check_injected(&r, r.tls ? "right after the handshake" : "after a failed handshake");
			continue;
		}
		if (next == nseg) {
			if (r.tls && (mode & 8) && !closed && r.io.cstate == MP_DONE) {
				closed = true;
				mpeer_close_notify(r.io.client);
				uint8_t tmp[256];
				ssize_t k = wtls_read(r.st, tmp, sizeof tmp);
				if (k == 0 && wtls_got_close_notify(r.st)) {
					a = r.v->tls_ended(r.vs, &r.out);
					end_tls(&r);
					continue;
				}
			}
			break;
		}
		const struct seg *s = &segs[next++];
		TRACE("segment %zu (%zu bytes) %s\n", next - 1, s->n, r.tls ? "inside TLS" : "in plaintext");
		if (!r.tls)
			a = s->n ? r.v->input(r.vs, s->p, s->n, &r.out) : STARK_V_CONTINUE;
		else
			a = tls_segment(&r, s);
	}
	check_injected(&r, "at the end");
	TRACE("end: %zu replies inside TLS for %zu lines\n", r.replies_in_tls, r.lf_in_tls);
	end_tls(&r);
	r.v->session_free(r.vs);
	buf_free(&r.out.b);
	buf_free(&r.io.hs_raw);
	buf_free(&r.cli_rx);
	return 0;
}

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	fuzz_heap_begin(); /* wolfSSL allocates from the per-input arena */
	int rc = one_input(buf, len);
	fuzz_heap_end();
	return rc;
}

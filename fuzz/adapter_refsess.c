/* SPDX-License-Identifier: MIT */
/*
 * adapter_refsess: the first stark_vendor.h adapter, stark's own reference
 * target's session (harness/refsess.c). The first mode byte of the input
 * (cfg[0]) chooses options and planted flaws so one target covers the whole
 * session code: bits 0-3 index FLAW_TABLE (never FLAW_INJECT), bit 4
 * submission profile, bit 5 a listener without TLS.
 *
 * Built with -DSTARK_REFSESS_PLANT_INJECT (target transition_server_flawed)
 * every session also carries FLAW_INJECT: the oracle must then find it.
 */
#include "stark_vendor.h"

#include "refsess.h"
#include "util.h"

#include <stdlib.h>

/* Flaws the input may plant: they change what the session does but must
 * never make it execute pre-handshake bytes inside TLS. */
static const unsigned FLAW_TABLE[16] = {
	0,
	0,
	0,
	0,
	FLAW_KEEP_STATE,
	FLAW_READVERTISE,
	FLAW_RESTARTTLS,
	FLAW_AUTH_PLAINTEXT,
	FLAW_BAD_MULTILINE,
	FLAW_STARTTLS_PARAM,
	FLAW_CLOSE_ON_JUNK,
	FLAW_CODE_RANGE,
	FLAW_PLAIN_AFTER_FAIL,
	FLAW_PLAIN_AFTER_CLOSE,
	FLAW_FLUSH_PIPELINE,
	FLAW_KEEP_STATE | FLAW_RESTARTTLS | FLAW_PLAIN_AFTER_CLOSE,
};

struct sess {
	struct refsess *rs;
	struct buf out;
};

/* refsess writes into a struct buf; hand the bytes on. */
static enum stark_vendor_action flush(struct sess *s, enum refsess_action a,
                                      struct stark_vendor_out *out)
{
	if (s->out.len)
		stark_vendor_emit(out, s->out.data, s->out.len);
	buf_reset(&s->out);
	return a == RS_STARTTLS ? STARK_V_STARTTLS : a == RS_CLOSE ? STARK_V_CLOSE : STARK_V_CONTINUE;
}

static void *new_session(const uint8_t *cfg, size_t cfglen)
{
	uint8_t m = cfglen ? cfg[0] : 0;
	struct refsess_opts o = {0};
	o.flaws = FLAW_TABLE[m & 15];
	o.submission = (m & 0x10) != 0;
	o.no_tls = (m & 0x20) != 0;
#ifdef STARK_REFSESS_PLANT_INJECT
	o.flaws |= FLAW_INJECT;
#endif
	struct sess *s = xcalloc(1, sizeof *s);
	s->rs = refsess_new(&o);
	return s;
}

static void free_session(void *p)
{
	struct sess *s = p;
	refsess_free(s->rs);
	buf_free(&s->out);
	free(s);
}

static enum stark_vendor_action greeting(void *p, struct stark_vendor_out *out)
{
	struct sess *s = p;
	return flush(s, refsess_greeting(s->rs, &s->out), out);
}

static enum stark_vendor_action input(void *p, const uint8_t *b, size_t n,
                                      struct stark_vendor_out *out)
{
	struct sess *s = p;
	return flush(s, refsess_input(s->rs, b, n, &s->out), out);
}

static enum stark_vendor_action tls_started(void *p, struct stark_vendor_out *out)
{
	struct sess *s = p;
	return flush(s, refsess_tls_started(s->rs, &s->out), out);
}

static enum stark_vendor_action tls_failed(void *p, const uint8_t *raw, size_t n,
                                           struct stark_vendor_out *out)
{
	struct sess *s = p;
	return flush(s, refsess_tls_failed(s->rs, raw, n, &s->out), out);
}

static enum stark_vendor_action tls_ended(void *p, struct stark_vendor_out *out)
{
	struct sess *s = p;
	return flush(s, refsess_tls_ended(s->rs, &s->out), out);
}

static size_t injected(void *p)
{
	struct sess *s = p;
	return refsess_injected(s->rs);
}

const struct stark_vendor_ops STARK_VENDOR = {
#ifdef STARK_REFSESS_PLANT_INJECT
	.name = "stark reference target (planted FLAW_INJECT)",
#else
	.name = "stark reference target",
#endif
	.opts = STARK_VOPT_REPLY_ORACLE,
	.session_new = new_session,
	.session_free = free_session,
	.greeting = greeting,
	.input = input,
	.tls_started = tls_started,
	.tls_failed = tls_failed,
	.tls_ended = tls_ended,
	.injected = injected,
};

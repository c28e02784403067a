/* SPDX-License-Identifier: MIT */
/*
 * exec: the scripted peer (exec_run, exec_run_fd; the client role's own
 * parts are in exec_serve.c, shared state in exec_int.h). Steps become actions on
 * a conn; bytes become events (reply, close, silence, timeout, hostile);
 * expectations and alternatives match events. Invariants: an alternative
 * commits to the first branch whose leading expectation matches the next
 * event (tlsfuzzer-style siblings), and nothing else is tried after that;
 * every verdict carries "line N: ..." of the step that decided it; every
 * wait is bounded by the scenario timeout; once the peer has closed,
 * nothing more is written and the result says after which line it closed.
 */
#include "exec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cert.h"
#include "fleet.h"

const char *exec_lookup_var(void *ctx, const char *name)
{
	const struct exec_opts *o = ctx;
	if (strcmp(name, "helo") == 0)
		return o->helo;
	if (strcmp(name, "servername") == 0)
		return o->servername ? o->servername : o->host;
	return NULL;
}

/* Read what is already readable, without waiting (CONN_OK if bytes came). */
static int take_ready(struct ex *x)
{
	int64_t saved = x->c.deadline;
	x->c.deadline = mono_ms();
	int rc = conn_wait_readable(&x->c);
	if (rc == CONN_OK)
		rc = conn_fill(&x->c);
	x->c.deadline = saved;
	return rc;
}

/* Record, once, after which send the peer was seen to have closed. */
static void saw_close(struct ex *x)
{
	if (x->close_seen)
		return;
	x->close_seen = true;
	x->closed_after = x->sent_line;
}

/* "the peer closed the connection after line N" (or before stark sent
 * anything), for reasons and notes. */
static void close_text(const struct ex *x, char *out, size_t outlen)
{
	if (x->closed_after > 0)
		snprintf(out, outlen, "the peer closed the connection after line %d", x->closed_after);
	else
		snprintf(out, outlen, "the peer closed the connection before stark sent anything");
}

/* A step that would write to a peer that has closed: not run. look: a
 * peer that answered 5xx and hung up may have closed after the reply was
 * read, so first take what is readable without waiting (not before a
 * handshake: late plaintext there must reach the TLS layer as it is). */
static bool skip_after_close(struct ex *x, const struct step *st, bool look)
{
	if (look && !x->c.eof)
		take_ready(x);
	if (!x->c.eof)
		return false;
	saw_close(x);
	if (x->unsent++ == 0)
		x->unsent_first = st->line;
	char c[96];
	close_text(x, c, sizeof c);
	transcript_note(&x->r->tr, conn_layer(&x->c), "line %d not run: %s", st->line, c);
	return true;
}

/* A scenario's own message: printable ASCII as written, other bytes as
 * \xHH (escape_bytes would also escape quotes, which messages contain). */
char *exec_message_text(const uint8_t *p, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			buf_append(&b, &p[i], 1);
		else
			buf_appendf(&b, "\\x%02x", p[i]);
	}
	return buf_cstr(&b);
}

void exec_verdict(struct ex *x, enum verdict v, int line, const char *fmt, ...)
{
	if (x->done)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	x->done = true;
	if (v == V_FAIL && x->send_cut) {
		/* The peer closed or reset while stark was still writing: a reply
		 * it sent first may be lost with the connection (TCP discards
		 * unread data on a reset), so a FAIL after it would rest on
		 * evidence stark could not read. */
		char cut[1100];
		snprintf(cut, sizeof cut,
		         "the peer stopped reading while stark was still sending line %d (closed or "
		         "reset): what it answered first may be lost, so this cannot be judged (%s)",
		         x->send_cut, msg);
		snprintf(msg, sizeof msg, "%s", cut);
		v = V_INCONCLUSIVE;
	}
	x->r->verdict = v;
	x->r->line = line;
	free(x->r->reason);
	x->r->reason = line > 0 ? xasprintf("line %d: %s", line, msg) : xstrdup(msg);
	transcript_note(&x->r->tr, conn_layer(&x->c), "verdict %s: %s", result_verdict_label(v),
	                x->r->reason);
}

/* First line of the current reply, escaped and shortened, for messages. */
static void reply_excerpt(struct ex *x, char *out, size_t outlen)
{
	size_t n = x->rep.nlines ? x->rep.line[0].len : 0;
	if (n > 72)
		n = 72;
	char *e = escape_bytes(x->c.in.data + (x->rep.nlines ? x->rep.line[0].off : 0), n);
	snprintf(out, outlen, "%s\"%s%s\"%s", "", e, x->rep.line[0].len > 72 ? "..." : "",
	         x->rep.nlines > 1 ? " (multi-line)" : "");
	free(e);
}

static void describe_event(struct ex *x, char *out, size_t outlen)
{
	char ex[200];
	switch (x->ev) {
	case EV_REPLY:
		reply_excerpt(x, ex, sizeof ex);
		snprintf(out, outlen, "reply %03d %s", x->rep.code, ex);
		break;
	case EV_COMMAND: {
		size_t n = x->cmd.line.len > 72 ? 72 : x->cmd.line.len;
		char *e = escape_bytes(x->c.in.data + x->cmd.line.off, n);
		snprintf(out, outlen, "command \"%s%s\"", e, x->cmd.line.len > 72 ? "..." : "");
		free(e);
		break;
	}
	case EV_CLOSE:
		if (x->closed_after > 0)
			snprintf(out, outlen, "connection closed after line %d", x->closed_after);
		else
			snprintf(out, outlen, "connection closed");
		break;
	case EV_SILENCE: snprintf(out, outlen, "silence"); break;
	case EV_TIMEOUT:
		snprintf(out, outlen, "nothing within %lld ms", (long long)x->o->timeout_ms);
		break;
	case EV_HOSTILE: snprintf(out, outlen, "hostile input: %s", x->everr); break;
	case EV_ERROR: snprintf(out, outlen, "error: %s", x->everr); break;
	case EV_STOPPED: snprintf(out, outlen, "interrupted"); break;
	case EV_NONE: snprintf(out, outlen, "no event"); break;
	}
}

/* Is a complete reply at the front of the buffer? Sets ev on success or
 * on hostile input; returns true if an event was produced. */
static bool parse_buffered(struct ex *x)
{
	if (x->c.in.len == 0)
		return false;
	if (x->server) {
		ssize_t n = smtp_cmd_parse(x->c.in.data, x->c.in.len, &x->cmd);
		if (n < 0) {
			snprintf(x->everr, sizeof x->everr, "a command line longer than %d bytes",
			         SMTP_HARD_LINE_MAX);
			x->ev = EV_HOSTILE;
			return true;
		}
		if (n == 0)
			return false;
		x->ev = EV_COMMAND;
		return true;
	}
	const char *why = NULL;
	ssize_t n = smtp_reply_parse(x->c.in.data, x->c.in.len, &x->rep, &why);
	if (n < 0) {
		snprintf(x->everr, sizeof x->everr, "%s", why ? why : "unparseable reply");
		x->ev = EV_HOSTILE;
		return true;
	}
	if (n == 0)
		return false;
	x->ev = EV_REPLY;
	x->rep_alone = (size_t)n == x->c.in.len;
	if (x->rep_alone && !x->c.eof) {
		/* "alone" means: nothing else arrived with it. Take what is
		 * already readable without waiting, then decide. */
		if (take_ready(x) == CONN_OK)
			x->rep_alone = (size_t)n == x->c.in.len;
		/* the buffer may have moved: re-parse the same reply */
		smtp_reply_parse(x->c.in.data, x->c.in.len, &x->rep, &why);
	}
	return true;
}

/* Get the next event unless one is pending. silence_ms > 0: a silence
 * window is acceptable as an event. */
void exec_fetch(struct ex *x, int64_t silence_ms)
{
	if (x->ev != EV_NONE)
		return;
	if (parse_buffered(x))
		return;
	if (silence_ms > 0 && x->c.in.len == 0 && !x->c.eof) {
		/* Read within the window, not just wait for readability: inside
		 * TLS 1.3 a session ticket makes the socket readable without
		 * any application byte, and that is still silence. */
		conn_set_timeout(&x->c, silence_ms);
		int w = conn_wait_readable(&x->c);
		if (w == CONN_OK && x->c.in.len == 0)
			w = conn_fill(&x->c);
		if (w == CONN_TIMEOUT) {
			x->ev = EV_SILENCE;
			transcript_note(&x->r->tr, conn_layer(&x->c), "silence for %lld ms",
			                (long long)silence_ms);
			return;
		}
		if (w == CONN_STOPPED) {
			x->ev = EV_STOPPED;
			return;
		}
	}
	conn_set_timeout(&x->c, x->o->timeout_ms);
	for (;;) {
		if (parse_buffered(x))
			return;
		if (x->c.eof) {
			x->ev = EV_CLOSE;
			saw_close(x);
			return;
		}
		int f = conn_fill(&x->c);
		switch (f) {
		case CONN_OK: continue;
		case CONN_EOF:
			x->ev = EV_CLOSE;
			saw_close(x);
			return;
		case CONN_TIMEOUT:
			x->ev = EV_TIMEOUT;
			transcript_note(&x->r->tr, conn_layer(&x->c), "timeout after %lld ms",
			                (long long)x->o->timeout_ms);
			return;
		case CONN_STOPPED: x->ev = EV_STOPPED; return;
		default: {
			/* A client (stark serves) that ends the TLS session with a
			 * fatal alert has hung up on purpose: a close, with the
			 * alert noted (TLS 1.3: stark's side of the handshake may
			 * be complete before the client judged the certificate). */
			char alert[64];
			if (x->server && x->c.tls &&
			    wtls_peer_fatal_alert(x->c.tls, alert, sizeof alert)) {
				transcript_note(&x->r->tr, TLAYER_TLS,
				                "the client ended the TLS session with a fatal alert: %s",
				                alert);
				x->ev = EV_CLOSE;
				saw_close(x);
				return;
			}
		}
			snprintf(x->everr, sizeof x->everr, "%s", x->c.err);
			x->ev = EV_ERROR;
			transcript_note(&x->r->tr, conn_layer(&x->c), "%s", x->c.err);
			return;
		}
	}
}

static void describe_expect(const struct step *st, char *out, size_t outlen)
{
	struct buf b = {0};
	switch (st->kind) {
	case STEP_EXPECT_REPLY:
		buf_appendf(&b, "reply %s", st->codepat);
		for (size_t i = 0; i < st->nhas; i++)
			buf_appendf(&b, " has %s", st->has[i]);
		for (size_t i = 0; i < st->nlacks; i++)
			buf_appendf(&b, " lacks %s", st->lacks[i]);
		if (st->alone)
			buf_appendf(&b, " alone");
		if (st->strict)
			buf_appendf(&b, " strict");
		break;
	case STEP_EXPECT_CLOSE: buf_appendf(&b, "close"); break;
	case STEP_EXPECT_SILENCE: buf_appendf(&b, "silence %lld ms", (long long)st->ms); break;
	case STEP_EXPECT_TLS: buf_appendf(&b, "tls %s", st->tls_ok ? "ok" : "fail"); break;
	case STEP_EXPECT_SNI: buf_appendf(&b, "sni %s", st->sni == SCN_SNI_NONE ? "none" : st->sni == SCN_SNI_ANY ? "any" : "name"); break;
	case STEP_EXPECT_COMMAND: buf_appendf(&b, "command %s", st->verb); break;
	default: buf_appendf(&b, "?"); break;
	}
	snprintf(out, outlen, "%s", buf_cstr(&b));
	buf_free(&b);
}

/*
 * Does the pending event (or the last TLS outcome) satisfy st? On a
 * mismatch, why says what differed (for single expectations).
 */
static bool matches(struct ex *x, const struct step *st, char *why, size_t whylen)
{
	why[0] = '\0';
	switch (st->kind) {
	case STEP_EXPECT_TLS:
		if (!x->c.tls_tried) {
			snprintf(why, whylen, "no TLS handshake was attempted");
			return false;
		}
		if (x->c.tls_ok != st->tls_ok) {
			if (x->c.tls_ok)
				snprintf(why, whylen, "TLS handshake succeeded (%s %s)", x->c.facts.version,
				         x->c.facts.cipher);
			else
				snprintf(why, whylen, "%s", x->c.err); /* "TLS handshake failed: ..." */
			return false;
		}
		return true;
	case STEP_EXPECT_SNI:
		return exec_serve_sni_matches(x, st, why, whylen);
	case STEP_EXPECT_CLOSE:
		return x->ev == EV_CLOSE;
	case STEP_EXPECT_SILENCE:
		return x->ev == EV_SILENCE;
	case STEP_EXPECT_COMMAND:
		if (x->ev != EV_COMMAND)
			return false;
		if (strcasecmp(st->verb, "any") == 0 || smtp_cmd_is(x->c.in.data, &x->cmd, st->verb))
			return true;
		snprintf(why, whylen, "the client sent another command");
		return false;
	case STEP_EXPECT_REPLY: {
		if (x->ev != EV_REPLY)
			return false;
		const uint8_t *raw = x->c.in.data;
		if (!smtp_codepat_match(st->codepat, x->rep.code)) {
			snprintf(why, whylen, "code %03d does not match %s", x->rep.code, st->codepat);
			return false;
		}
		for (size_t i = 0; i < st->nhas; i++)
			if (!smtp_ehlo_has(raw, &x->rep, st->has[i], NULL)) {
				snprintf(why, whylen, "reply does not offer %s", st->has[i]);
				return false;
			}
		for (size_t i = 0; i < st->nlacks; i++)
			if (smtp_ehlo_has(raw, &x->rep, st->lacks[i], NULL)) {
				snprintf(why, whylen, "reply offers %s", st->lacks[i]);
				return false;
			}
		if (st->alone && !x->rep_alone) {
			size_t extra = x->c.in.len - x->rep.len;
			char *e = escape_bytes(raw + x->rep.len, extra > 60 ? 60 : extra);
			snprintf(why, whylen, "%zu more bytes arrived with the reply: \"%s%s\"", extra, e,
			         extra > 60 ? "..." : "");
			free(e);
			return false;
		}
		if (st->strict) {
			uint32_t fl = x->rep.flags;
			/* Keyword grammar (RFC 5321 4.1.1.1) applies to EHLO replies:
			 * the multi-line 250s, not to a multi-line greeting. */
			if (x->rep.code == 250 && x->rep.nlines > 1)
				fl |= smtp_ehlo_check(raw, &x->rep);
			/* A bare code is allowed (RFC 5321 4.2): not a deviation. */
			fl &= ~(uint32_t)SMTP_F_BARE_CODE;
			/* 8-bit text is only a deviation outside SMTPUTF8; keep it
			 * informative, not failing. */
			fl &= ~(uint32_t)SMTP_F_8BIT;
			if (fl) {
				char fs[200];
				smtp_flags_str(fl, fs, sizeof fs);
				snprintf(why, whylen, "reply violates RFC 5321 4.2 syntax: %s", fs);
				return false;
			}
		}
		return true;
	}
	default:
		return false;
	}
}

/* Consume the event a matching expectation used. */
static void consume(struct ex *x, const struct step *st)
{
	x->last_fresh = false;
	if (st->kind == STEP_EXPECT_REPLY && x->ev == EV_REPLY) {
		reply_excerpt(x, x->last, sizeof x->last);
		char tmp[sizeof x->last];
		snprintf(tmp, sizeof tmp, "%03d %s", x->rep.code, x->last);
		snprintf(x->last, sizeof x->last, "%s", tmp);
		x->last_fresh = true;
		buf_consume(&x->c.in, x->rep.len);
		x->ev = EV_NONE;
	} else if (st->kind == STEP_EXPECT_COMMAND && x->ev == EV_COMMAND) {
		size_t n = x->cmd.line.len > 100 ? 100 : x->cmd.line.len;
		char *e = escape_bytes(x->c.in.data + x->cmd.line.off, n);
		snprintf(x->last, sizeof x->last, "\"%s%s\"", e, x->cmd.line.len > 100 ? "..." : "");
		free(e);
		n = x->cmd.verb.len < sizeof x->lastverb ? x->cmd.verb.len : sizeof x->lastverb - 1;
		memcpy(x->lastverb, x->c.in.data + x->cmd.verb.off, n);
		x->lastverb[n] = '\0';
		x->last_fresh = true;
		x->unanswered = true;
		buf_reset(&x->lastargs);
		buf_append(&x->lastargs, x->c.in.data + x->cmd.args.off, x->cmd.args.len);
		buf_consume(&x->c.in, x->cmd.len);
		x->ev = EV_NONE;
	} else if (st->kind == STEP_EXPECT_SILENCE) {
		x->ev = EV_NONE;
	}
	/* close stays pending: a closed connection stays closed */
}

/* The verdict when an expectation (or all alternatives) did not match. */
static void mismatch(struct ex *x, int line, const char *expected, const char *why)
{
	char got[256];
	describe_event(x, got, sizeof got);
	switch (x->ev) {
	case EV_STOPPED:
		exec_verdict(x, V_ERROR, line, "interrupted");
		return;
	case EV_TIMEOUT:
		if (x->server) {
			if (x->c.in.len > 0)
				exec_verdict(x, V_FAIL, line, "expected %s, got an incomplete line after %lld ms",
				        expected, (long long)x->o->timeout_ms);
			else
				exec_verdict(x, V_FAIL, line, "expected %s, the client sent nothing within %lld ms",
				        expected, (long long)x->o->timeout_ms);
			return;
		}
		if (x->c.rx_total == 0)
			exec_verdict(x, V_ERROR, line, "no greeting within %lld ms (dead service or tarpit)",
			        (long long)x->o->timeout_ms);
		else if (x->c.in.len > 0)
			exec_verdict(x, V_ERROR, line,
			        "reply still incomplete after %lld ms (%zu bytes: the peer stalls or drips)",
			        (long long)x->o->timeout_ms, x->c.in.len);
		else
			exec_verdict(x, V_FAIL, line, "expected %s, got no reply within %lld ms", expected,
			        (long long)x->o->timeout_ms);
		return;
	case EV_CLOSE:
		if (x->c.rx_total == 0 && !x->server) {
			exec_verdict(x, V_ERROR, line, "connection closed before any greeting (expected %s)",
			        expected);
			return;
		}
		break;
	case EV_REPLY:
		/* RFC 5321 3.8: 421 is the service shutting down or refusing
		 * for now (rate limits): the case could not be judged. */
		if (x->rep.code == 421 && !x->server) {
			/* At the first statement nothing was said yet: the
			 * runner may run the scenario again, paced. */
			x->r->throttled = x->s->body.n > 0 && line == x->s->body.steps[0].line &&
			                  x->s->body.steps[0].kind == STEP_EXPECT_REPLY;
			exec_verdict(x, V_INCONCLUSIVE, line,
			        "target answered 421 (throttled or shutting down) where %s was expected: %s",
			        expected, got);
			return;
		}
		break;
	case EV_ERROR:
		if (!x->c.tls) {
			exec_verdict(x, V_ERROR, line, "expected %s, got %s", expected, got);
			return;
		}
		break;
	default:
		break;
	}
	if (x->ev == EV_NONE && why && why[0]) /* a TLS outcome, no wire event */
		exec_verdict(x, V_FAIL, line, "expected %s, but %s", expected, why);
	else if (why && why[0])
		exec_verdict(x, V_FAIL, line, "expected %s, got %s: %s", expected, got, why);
	else
		exec_verdict(x, V_FAIL, line, "expected %s, got %s", expected, got);
}

static void run_block(struct ex *x, const struct scn_block *b, size_t from);

static void add_note(struct ex *x, const struct step *st)
{
	size_t n;
	uint8_t *msg = scenario_str_expand(&st->str, exec_lookup_var, (void *)x->o, &n);
	char *text = exec_message_text(msg, n);
	free(msg);
	transcript_note(&x->r->tr, conn_layer(&x->c), "note (line %d): %s", st->line, text);
	char *r = x->r->notes ? xasprintf("%s; line %d: %s", x->r->notes, st->line, text)
	                      : xasprintf("line %d: %s", st->line, text);
	free(x->r->notes);
	x->r->notes = r;
	free(text);
}

/* Does the step after index i in b consume a TLS outcome? */
static bool tls_outcome_checked_next(const struct scn_block *b, size_t i)
{
	if (i + 1 >= b->n)
		return false;
	const struct step *n = &b->steps[i + 1];
	if (n->kind == STEP_EXPECT_TLS)
		return true;
	if (n->kind == STEP_ALT)
		for (size_t k = 0; k < n->nbranches; k++)
			if (n->branches[k].n > 0 && n->branches[k].steps[0].kind == STEP_EXPECT_TLS)
				return true;
	return false;
}

/* Server side of `tls` (target client): the certificate variant named by
 * the step (default "good"), its versions and ciphers. */
static struct wtls_config *server_config(struct ex *x, const struct step *st)
{
	const char *name = st->tls.cert ? st->tls.cert : "good";
	int v = cert_variant_from_name(name);
	if (v < 0 || x->o->certs == NULL) {
		exec_verdict(x, V_ERROR, st->line, "unknown certificate variant '%s'", name);
		return NULL;
	}
	const struct cert_pem *pem = cert_set_get(x->o->certs, (enum cert_variant)v);
	if (pem == NULL) {
		exec_verdict(x, V_ERROR, st->line, "certificate '%s': %s", name, cert_set_error(x->o->certs));
		return NULL;
	}
	struct wtls_config *cfg = wtls_config_new(WTLS_SERVER);
	/* with-ca: stark's CA certificate after the chain (a DANE-TA anchor) */
	char *chain = st->tls.with_ca ? xasprintf("%s%s", pem->chain, cert_set_ca_pem(x->o->certs))
	                              : xstrdup(pem->chain);
	int krc = wtls_config_set_keypair_mem(cfg, (const uint8_t *)chain, strlen(chain),
	                                      (const uint8_t *)pem->key, strlen(pem->key));
	free(chain);
	if (krc != 0 ||
	    ((st->tls.vmin || st->tls.vmax) &&
	     wtls_config_set_versions(cfg, st->tls.vmin, st->tls.vmax) != 0) ||
	    (st->tls.ciphers && wtls_config_set_ciphers(cfg, st->tls.ciphers) != 0)) {
		exec_verdict(x, V_ERROR, st->line, "TLS options: %s", wtls_config_error(cfg));
		wtls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

static struct wtls_config *step_config(struct ex *x, const struct step *st, bool *owned)
{
	*owned = false;
	if (x->server) {
		*owned = true;
		return server_config(x, st);
	}
	if (st->tls.vmin == 0 && st->tls.vmax == 0 && st->tls.ciphers == NULL && x->o->tls)
		return x->o->tls;
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	if (cfg == NULL)
		return NULL;
	*owned = true;
	if ((st->tls.vmin || st->tls.vmax) &&
	    wtls_config_set_versions(cfg, st->tls.vmin, st->tls.vmax) != 0)
		goto bad;
	if (st->tls.ciphers && wtls_config_set_ciphers(cfg, st->tls.ciphers) != 0)
		goto bad;
	if (x->o->ca_file && wtls_config_add_ca_file(cfg, x->o->ca_file) != 0)
		goto bad;
	if (x->o->system_ca)
		wtls_config_use_system_ca(cfg);
	return cfg;
bad:
	exec_verdict(x, V_ERROR, st->line, "TLS options: %s", wtls_config_error(cfg));
	wtls_config_free(cfg);
	*owned = false;
	return NULL;
}

static void do_tls(struct ex *x, const struct scn_block *b, size_t i)
{
	const struct step *st = &b->steps[i];
	bool owned;
	struct wtls_config *cfg = step_config(x, st, &owned);
	if (cfg == NULL) {
		if (!x->done)
			exec_verdict(x, V_ERROR, st->line, "no TLS configuration");
		return;
	}
	char *name = NULL;
	if (x->server)
		name = xstrdup("");
	else if (st->tls.servername)
		name = xstrdup(st->tls.servername);
	else
		name = xstrdup(x->o->servername ? x->o->servername : x->o->host ? x->o->host : "");
	uint8_t *glue = NULL;
	size_t gluelen = 0;
	if (st->tls.glue.nparts)
		glue = scenario_str_expand(&st->tls.glue, exec_lookup_var, (void *)x->o, &gluelen);
	/* Anything still buffered is pre-TLS input; a reply that was not
	 * expected is dropped with the buffer (and is in the transcript). */
	x->ev = EV_NONE;
	conn_set_timeout(&x->c, x->o->timeout_ms);
	int rc;
	if (skip_after_close(x, st, false)) {
		/* No hello to a closed peer: the handshake failed before it
		 * began, which `expect tls fail` may judge. */
		x->c.tls_tried = true;
		x->c.tls_ok = false;
		close_text(x, x->c.err, sizeof x->c.err);
		rc = CONN_EOF;
	} else {
		rc = conn_starttls(&x->c, cfg, x->server ? WTLS_SERVER : WTLS_CLIENT,
		                   name[0] ? name : NULL, glue, gluelen);
	}
	free(glue);
	free(name);
	if (owned)
		wtls_config_free(cfg);
	x->r->has_tls = true;
	x->r->tls = x->c.facts;
	if (rc == CONN_STOPPED) {
		exec_verdict(x, V_ERROR, st->line, "interrupted");
		return;
	}
	if (rc == CONN_OK)
		return;
	/* A ClientHello refused outright may be stark's limitation, not the
	 * target's fault, where the scenario needs the handshake (unchecked,
	 * or `expect tls ok` next): raw hellos with the suites stark's TLS
	 * library lacks tell. Only for stark's default offer: a step that
	 * narrows versions or ciphers asked for its refusal. */
	bool checked = tls_outcome_checked_next(b, i);
	const struct step *nx = checked ? &b->steps[i + 1] : NULL;
	bool needs_ok = !checked || (nx->kind == STEP_EXPECT_TLS && nx->tls_ok);
	bool default_offer = !st->tls.vmin && !st->tls.vmax && !st->tls.ciphers;
	char why[200];
	struct probe_target pt = {.host = x->o->host, .port = x->o->port, .helo = x->o->helo,
	                          .servername = x->o->servername, .timeout_ms = x->o->timeout_ms,
	                          .stop = x->o->stop, .tr = &x->r->tr};
	if (needs_ok && default_offer && rc == CONN_ERROR && !x->server && x->c.facts.hello_refused &&
	    x->o->host && fleet_unnegotiable(&pt, why, sizeof why) == 1)
		exec_verdict(x, V_ERROR, st->line, "%s (%s)", why, x->c.err);
	else if (!checked)
		exec_verdict(x, V_FAIL, st->line,
		        x->server ? "the client did not complete the TLS handshake (%s)" : "%s", x->c.err);
}

/* Expectations judged from what is recorded already, without an event. */
static bool instant(enum step_kind k) { return k == STEP_EXPECT_TLS || k == STEP_EXPECT_SNI; }

static void do_alt(struct ex *x, const struct step *st)
{
	int64_t silence = 0;
	bool need_event = false;
	for (size_t k = 0; k < st->nbranches; k++) {
		const struct step *g = &st->branches[k].steps[0];
		if (!instant(g->kind))
			need_event = true;
		if (g->kind == STEP_EXPECT_SILENCE && g->ms > silence)
			silence = g->ms;
	}
	/* Evaluate TLS and SNI guards first: they need no waiting. */
	char why[256];
	for (size_t k = 0; k < st->nbranches; k++) {
		const struct step *g = &st->branches[k].steps[0];
		if (instant(g->kind) && matches(x, g, why, sizeof why)) {
			run_block(x, &st->branches[k], 1);
			return;
		}
	}
	if (need_event) {
		exec_fetch(x, silence);
		for (size_t k = 0; k < st->nbranches; k++) {
			const struct step *g = &st->branches[k].steps[0];
			if (!instant(g->kind) && matches(x, g, why, sizeof why)) {
				consume(x, g);
				run_block(x, &st->branches[k], 1);
				return;
			}
		}
	}
	struct buf exp = {0};
	buf_appendf(&exp, "one of: ");
	for (size_t k = 0; k < st->nbranches; k++) {
		char d[256];
		describe_expect(&st->branches[k].steps[0], d, sizeof d);
		buf_appendf(&exp, "%s%s (line %d)", k ? "; " : "", d, st->branches[k].steps[0].line);
	}
	const char *w = NULL;
	if (!need_event) {
		matches(x, &st->branches[0].steps[0], why, sizeof why);
		w = why;
	}
	mismatch(x, st->line, buf_cstr(&exp), w);
	buf_free(&exp);
}

static void end_step(struct ex *x, const struct step *st, enum verdict v)
{
	size_t n;
	uint8_t *msg = scenario_str_expand(&st->str, exec_lookup_var, (void *)x->o, &n);
	char *text = exec_message_text(msg, n);
	if (x->last_fresh && v == V_FAIL)
		exec_verdict(x, v, st->line, "%s (got %s)", text, x->last);
	else
		exec_verdict(x, v, st->line, "%s", text);
	free(text);
	free(msg);
}

static void run_block(struct ex *x, const struct scn_block *b, size_t from)
{
	char why[256], d[256];
	for (size_t i = from; i < b->n && !x->done; i++) {
		const struct step *st = &b->steps[i];
		if (x->o->stop && *x->o->stop) {
			exec_verdict(x, V_ERROR, st->line, "interrupted");
			return;
		}
		if (st->kind != STEP_FAIL && st->kind != STEP_SINK)
			x->last_fresh = false;
		switch (st->kind) {
		case STEP_SEND: {
			if (skip_after_close(x, st, true))
				break;
			size_t n;
			uint8_t *p = scenario_str_expand(&st->str, exec_lookup_var, (void *)x->o, &n);
			conn_set_timeout(&x->c, x->o->timeout_ms);
			int rc = conn_send(&x->c, p, n);
			free(p);
			x->unanswered = false;
			x->sent_line = st->line;
			if (rc == CONN_EOF) {
				/* The peer is gone (perhaps before this write reached
				 * it): the next expectation says whether that was
				 * right. */
				transcript_note(&x->r->tr, conn_layer(&x->c), "send failed: %s", x->c.err);
				x->c.eof = true;
				x->send_cut = st->line;
			} else if (rc == CONN_STOPPED) {
				exec_verdict(x, V_ERROR, st->line, "interrupted");
			} else if (rc != CONN_OK) {
				if (x->c.tls)
					exec_verdict(x, V_FAIL, st->line, "cannot send inside TLS: %s", x->c.err);
				else
					exec_verdict(x, V_ERROR, st->line, "cannot send: %s", x->c.err);
			}
			break;
		}
		case STEP_EXPECT_REPLY:
		case STEP_EXPECT_CLOSE:
		case STEP_EXPECT_SILENCE:
		case STEP_EXPECT_COMMAND:
			exec_fetch(x, st->kind == STEP_EXPECT_SILENCE ? st->ms : 0);
			/* fall through */
		case STEP_EXPECT_TLS:
		case STEP_EXPECT_SNI:
			if (matches(x, st, why, sizeof why)) {
				consume(x, st);
			} else {
				describe_expect(st, d, sizeof d);
				mismatch(x, st->line, d, why);
			}
			break;
		case STEP_TLS:
			do_tls(x, b, i);
			break;
		case STEP_TLS_CLOSE:
			if (skip_after_close(x, st, true))
				break;
			conn_tls_close(&x->c);
			x->ev = EV_NONE;
			break;
		case STEP_ALT:
			do_alt(x, st);
			break;
		case STEP_SINK: exec_serve_sink(x, st); break;
		case STEP_DELAY: {
			/* bounded by the parser (60 s) and cut short by SIGINT */
			transcript_note(&x->r->tr, conn_layer(&x->c), "delay %lld ms (line %d)",
			                (long long)st->ms, st->line);
			mono_sleep(st->ms, x->o->stop);
			break;
		}
		case STEP_NOTE: add_note(x, st); break;
		case STEP_VERIFY: exec_serve_verify(x, st); break;
		case STEP_FAIL: end_step(x, st, V_FAIL); break;
		case STEP_SKIP: end_step(x, st, V_SKIP); break;
		case STEP_INCONCLUSIVE: end_step(x, st, V_INCONCLUSIVE); break;
		}
	}
}

bool exec_profile_skips(const struct scenario *s, const struct exec_opts *o, struct result *r)
{
	if (s->profile == NULL || (o->profile && strcmp(s->profile, o->profile) == 0))
		return false;
	r->verdict = V_SKIP;
	r->reason = xasprintf("applies to profile %s only (run with --%sprofile %s)", s->profile,
	                      s->role == SCN_TARGET_CLIENT ? "client-" : "", s->profile);
	return true;
}

/* The result says when the close cut the scenario short. */
static void note_unsent(struct ex *x)
{
	if (x->unsent == 0)
		return;
	char c[96];
	close_text(x, c, sizeof c);
	char *r = xasprintf("%s%s%s; stark sent nothing more (%d step%s from line %d on not run)",
	                    x->r->notes ? x->r->notes : "", x->r->notes ? "; " : "", c, x->unsent,
	                    x->unsent == 1 ? "" : "s", x->unsent_first);
	free(x->r->notes);
	x->r->notes = r;
}

void exec_play(struct ex *x)
{
	run_block(x, &x->s->body, 0);
	note_unsent(x);
	exec_serve_finish(x); /* closes; in the client role also reaps the trigger */
	if (!x->done)
		exec_verdict(x, V_PASS, 0, "%s", "");
	if (x->r->verdict == V_PASS) {
		free(x->r->reason);
		x->r->reason = xstrdup("");
	}
}

void exec_run(const struct scenario *s, const struct exec_opts *o, struct result *r)
{
	int64_t t0 = mono_ms();
	result_start(r, s);
	if (!exec_profile_skips(s, o, r)) {
		struct ex x = {.s = s, .o = o, .r = r};
		conn_init(&x.c, -1, &r->tr);
		x.c.stop = o->stop;
		int rc = conn_connect(&x.c, o->host, o->port, o->timeout_ms);
		if (rc != CONN_OK) {
			r->verdict = V_ERROR;
			r->reason = xasprintf("cannot connect to %s port %s: %s", o->host, o->port,
			                      rc == CONN_STOPPED ? "interrupted" : x.c.err);
			transcript_note(&r->tr, TLAYER_PLAIN, "%s", r->reason);
			conn_close(&x.c);
		} else {
			exec_play(&x);
		}
	}
	r->elapsed_ms = mono_ms() - t0;
}

void exec_run_fd(const struct scenario *s, const struct exec_opts *o, int fd, struct result *r)
{
	int64_t t0 = mono_ms();
	result_start(r, s);
	struct ex x = {.s = s, .o = o, .r = r, .server = s->role == SCN_TARGET_CLIENT};
	conn_init(&x.c, fd, &r->tr); /* takes fd */
	x.c.stop = o->stop;
	if (!exec_profile_skips(s, o, r))
		exec_play(&x);
	else
		conn_close(&x.c);
	r->elapsed_ms = mono_ms() - t0;
}


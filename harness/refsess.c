/* SPDX-License-Identifier: MIT */
/*
 * refsess: the reference target's SMTP session (RFC 5321 + RFC 3207), pure:
 * bytes in, replies out, an action for the driver (refsess_new/free,
 * greeting, input, absorb, tls_started/failed/ended, tls_active, injected).
 * No I/O, no threads, no TLS: refsrv drives it over sockets, the fuzz
 * adapter (fuzz/adapter_refsess.c) in memory. Invariant: without
 * FLAW_INJECT no byte that arrived before the handshake is executed inside
 * TLS (refsess_injected() == 0).
 */
#include "refsess.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"

struct refsess {
	struct refsess_opts o;
	struct buf in;
	bool tls, greeted_ehlo, greeted_helo, in_mail, in_data;
	size_t rcpts;
	size_t pre_tls_left; /* bytes at the front of `in` that arrived before the handshake */
	size_t injected;
	bool skip_line;      /* the rest of an over-long line is still to come: drop it */
	bool data_crlf;      /* in DATA, the last line ended in CRLF (end of data is CRLF.CRLF) */
};

#define F(s, f) (((s)->o.flaws & (f)) != 0)

struct refsess *refsess_new(const struct refsess_opts *o)
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

/* SPDX-License-Identifier: MIT */
/*
 * exec_serve: the client role of the scripted peer (stark is the SMTP
 * server). Public: exec_serve (listen, start the trigger, accept its one
 * connection, play); shared with exec.c: exec_serve_sink, _sni_matches,
 * _verify, _finish.
 * Invariants: the trigger's life is bounded by the timeout after our close
 * and by the stop flag (then its process group is killed, and output that a
 * process outside the group holds open is cut); a verification judges only
 * what the transcript holds.
 */
#include "exec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool exec_serve_sni_matches(struct ex *x, const struct step *st, char *why, size_t whylen)
{
	const char *got = x->c.facts.client_sni; /* printable, escaped by wtls */
	why[0] = '\0';
	if (!x->c.tls_tried) {
		snprintf(why, whylen, "no TLS handshake was attempted");
		return false;
	}
	if (st->sni == SCN_SNI_NONE || st->sni == SCN_SNI_ANY) {
		bool ok = (got[0] == '\0') == (st->sni == SCN_SNI_NONE);
		if (!ok)
			snprintf(why, whylen, got[0] ? "the ClientHello named \"%s\"" : "the ClientHello had no SNI",
			         got);
		return ok;
	}
	size_t n;
	uint8_t *want = scenario_str_expand(&st->str, exec_lookup_var, (void *)x->o, &n);
	/* host names compare without regard to case (RFC 6066 3, RFC 4343) */
	bool ok = got[0] != '\0' && strlen(got) == n && memchr(want, 0, n) == NULL &&
	          strncasecmp(got, (const char *)want, n) == 0;
	if (!ok && got[0])
		snprintf(why, whylen, "the ClientHello named \"%s\", not \"%.*s\"", got, (int)n,
		         (const char *)want);
	else if (!ok)
		snprintf(why, whylen, "the ClientHello had no SNI");
	free(want);
	return ok;
}

static void say(struct ex *x, const char *text)
{
	conn_set_timeout(&x->c, x->o->timeout_ms);
	conn_send(&x->c, (const uint8_t *)text, strlen(text));
}

/* The permissive server's answer to one command (sink). Returns false when
 * the conversation is over (QUIT). */
static bool sink_answer(struct ex *x, const char *verb, const uint8_t *args, size_t nargs,
                        int *auth_login)
{
	const char *sn = x->o->servername ? x->o->servername : "stark.test";
	char line[512];
	if (*auth_login > 0) {
		/* the line is an AUTH response, not a command (RFC 4954 4):
		 * state 1 = username given, ask for the password; 2 = done */
		if (*auth_login == 1) {
			say(x, "334 UGFzc3dvcmQ6\r\n");
			*auth_login = 2;
		} else {
			say(x, "235 2.7.0 Authentication successful\r\n");
			*auth_login = 0;
		}
		return true;
	}
	if (strcasecmp(verb, "EHLO") == 0) {
		snprintf(line, sizeof line, "250-%s\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n", sn);
		say(x, line);
	} else if (strcasecmp(verb, "HELO") == 0) {
		snprintf(line, sizeof line, "250 %s\r\n", sn);
		say(x, line);
	} else if (strcasecmp(verb, "DATA") == 0) {
		say(x, "354 End data with <CR><LF>.<CR><LF>\r\n");
		/* the message: lines up to a lone "." */
		for (;;) {
			x->ev = EV_NONE;
			conn_set_timeout(&x->c, x->o->timeout_ms);
			struct smtp_cmd c;
			ssize_t n;
			while ((n = smtp_cmd_parse(x->c.in.data, x->c.in.len, &c)) == 0)
				if (conn_fill(&x->c) != CONN_OK)
					return false;
			if (n < 0)
				return false;
			bool dot = c.line.len == 1 && x->c.in.data[c.line.off] == '.';
			buf_consume(&x->c.in, (size_t)n);
			if (dot)
				break;
		}
		say(x, "250 2.0.0 Ok: queued\r\n");
	} else if (strcasecmp(verb, "AUTH") == 0) {
		/* "AUTH LOGIN" / "AUTH PLAIN" without an initial response get
		 * their challenges; with one, success at once */
		bool login = nargs >= 5 && strncasecmp((const char *)args, "LOGIN", 5) == 0;
		bool initial = nargs > 6;
		if (login && !initial) {
			say(x, "334 VXNlcm5hbWU6\r\n");
			*auth_login = 1;
		} else if (!login && !initial) {
			say(x, "334 \r\n");
			*auth_login = 2;
		} else {
			say(x, "235 2.7.0 Authentication successful\r\n");
		}
	} else if (strcasecmp(verb, "STARTTLS") == 0) {
		say(x, "454 4.7.0 TLS not available\r\n");
	} else if (strcasecmp(verb, "QUIT") == 0) {
		say(x, "221 2.0.0 Bye\r\n");
		return false;
	} else if (strcasecmp(verb, "MAIL") == 0 || strcasecmp(verb, "RCPT") == 0 ||
	           strcasecmp(verb, "RSET") == 0 || strcasecmp(verb, "NOOP") == 0) {
		say(x, "250 2.0.0 Ok\r\n");
	} else {
		say(x, "502 5.5.2 Error: command not recognized\r\n");
	}
	return true;
}

#define SINK_MAX_COMMANDS 200

void exec_serve_sink(struct ex *x, const struct step *st)
{
	int auth_login = 0;
	int n = 0;
	/* A command matched by the previous expectation and not answered by a
	 * `send` is answered first. */
	if (x->unanswered && x->lastverb[0]) {
		x->unanswered = false;
		if (!sink_answer(x, x->lastverb, x->lastargs.data, x->lastargs.len, &auth_login))
			return;
	}
	while (n++ < SINK_MAX_COMMANDS && !x->done) {
		exec_fetch(x, 0);
		if (x->ev != EV_COMMAND) {
			if (x->ev == EV_TIMEOUT)
				transcript_note(&x->r->tr, conn_layer(&x->c),
				                "sink (line %d): the client went quiet", st->line);
			if (x->ev == EV_HOSTILE)
				exec_verdict(x, V_FAIL, st->line, "the client sent %s", x->everr);
			return;
		}
		char verb[16];
		size_t vl = x->cmd.verb.len < sizeof verb ? x->cmd.verb.len : sizeof verb - 1;
		memcpy(verb, x->c.in.data + x->cmd.verb.off, vl);
		verb[vl] = '\0';
		/* copy the arguments: answering DATA reads on and moves the buffer */
		struct buf args = {0};
		buf_append(&args, x->c.in.data + x->cmd.args.off, x->cmd.args.len);
		size_t cmdlen = x->cmd.len;
		buf_consume(&x->c.in, cmdlen);
		x->ev = EV_NONE;
		bool more = sink_answer(x, auth_login ? "" : verb, args.data, args.len, &auth_login);
		buf_free(&args);
		if (!more)
			return;
	}
}


/* How long the trigger may take to exit after stark closed: as long as it
 * may take to connect (start_ms, the longer of --timeout and 10 s): an MTA
 * reports its attempt through its own queue and log, slower than a client
 * process exits under load. */
static int64_t exec_serve_exit_budget(const struct exec_opts *o)
{
	return o->start_ms > o->timeout_ms ? o->start_ms : o->timeout_ms;
}

/* Close our side, then let the trigger finish (bounded) and record it. */
void exec_serve_finish(struct ex *x)
{
	if (x->finished)
		return;
	x->finished = true;
	buf_free(&x->lastargs);
	conn_close(&x->c);
	/* The listener goes before the wait: a client that tries again (an
	 * MTA falling back to plaintext on a new connection) is refused at
	 * once instead of waiting in the backlog for a greeting. */
	if (x->listening) {
		conn_listen_close(x->lfd);
		x->listening = false;
	}
	if (x->trig == NULL)
		return;
	struct trigger_end end;
	int st = trigger_wait(x->trig, mono_ms() + exec_serve_exit_budget(x->o), x->o->stop, &end);
	size_t len;
	const char *out = trigger_output(x->trig, &len);
	x->r->has_trigger = true;
	x->r->trigger_status = st;
	x->r->trigger_output = xstrndup(out, len);
	x->trig_killed = end.killed && !end.stopped;
	transcript_note(&x->r->tr, TLAYER_PLAIN, "trigger %s with status %d",
	                !end.killed   ? "exited"
	                : end.stopped ? "killed: interrupted"
	                              : "killed after the deadline",
	                st);
	if (end.cut && !end.stopped)
		transcript_note(&x->r->tr, TLAYER_PLAIN,
		                "trigger output cut: a background process kept it open");
	/* its status is ours (SIGKILL), not the client's: nothing to verify */
	if (end.stopped)
		exec_verdict(x, V_ERROR, 0, "interrupted while waiting for the trigger to exit");
}

/* Does the client's side of the transcript hold one of verbs? Lines of a
 * message (after DATA until ".") are not commands. Sets *hit (escaped). */
static bool transcript_has_verb(const struct transcript *tr, bool plain_only, char **verbs,
                                size_t nverbs, char *hit, size_t hitlen)
{
	struct buf all[2] = {{0}, {0}}; /* per layer: commands are framed per layer */
	for (size_t i = 0; i < tr->n; i++) {
		const struct tevent *e = &tr->ev[i];
		if (e->dir != TDIR_RECV || (plain_only && e->layer != TLAYER_PLAIN))
			continue;
		buf_append(&all[e->layer == TLAYER_TLS], e->data, e->len);
	}
	bool found = false;
	for (int l = 0; l < 2 && !found; l++) {
		size_t off = 0;
		bool data = false;
		struct smtp_cmd c;
		ssize_t n;
		while (!found && (n = smtp_cmd_parse(all[l].data + off, all[l].len - off, &c)) > 0) {
			const uint8_t *b = all[l].data + off;
			if (data) {
				data = !(c.line.len == 1 && b[c.line.off] == '.');
			} else {
				for (size_t k = 0; k < nverbs && !found; k++)
					if (smtp_cmd_is(b, &c, verbs[k])) {
						size_t m = c.line.len > 60 ? 60 : c.line.len;
						char *e = escape_bytes(b + c.line.off, m);
						snprintf(hit, hitlen, "\"%s%s\"", e, c.line.len > 60 ? "..." : "");
						free(e);
						found = true;
					}
				data = smtp_cmd_is(b, &c, "DATA");
			}
			off += (size_t)n;
		}
	}
	buf_free(&all[0]);
	buf_free(&all[1]);
	return found;
}

void exec_serve_verify(struct ex *x, const struct step *st)
{
	exec_serve_finish(x);
	char hit[128] = "", msg[512];
	bool ok;
	switch (st->verify) {
	case VERIFY_NO_PLAINTEXT:
	case VERIFY_NO_COMMAND:
		ok = !transcript_has_verb(&x->r->tr, st->verify == VERIFY_NO_PLAINTEXT, st->verbs,
		                          st->nverbs, hit, sizeof hit);
		snprintf(msg, sizeof msg, "the client sent %s%s", hit,
		         st->verify == VERIFY_NO_PLAINTEXT ? " in plaintext" : "");
		break;
	case VERIFY_TRIGGER:
		if (x->trig == NULL) {
			/* exec_run_fd (mirror tests): no process to judge */
			transcript_note(&x->r->tr, conn_layer(&x->c),
			                "line %d: verify trigger not applicable: no trigger ran", st->line);
			return;
		}
		if (x->trig_killed) {
			/* SIGKILL is stark's, not the client's: no success or failure */
			exec_verdict(x, V_ERROR, st->line,
			             "the trigger did not exit within %lld ms after stark closed the "
			             "connection: its status says nothing about the client",
			             (long long)exec_serve_exit_budget(x->o));
			return;
		}
		ok = (x->r->trigger_status == 0) == st->trigger_ok;
		snprintf(msg, sizeof msg, "the client exited with status %d, expected %s",
		         x->r->trigger_status, st->trigger_ok ? "success" : "failure");
		break;
	default:
		ok = true;
	}
	if (ok)
		return;
	if (st->str.nparts) {
		size_t n;
		uint8_t *m = scenario_str_expand(&st->str, exec_lookup_var, (void *)x->o, &n);
		char *e = exec_message_text(m, n);
		exec_verdict(x, V_FAIL, st->line, "%s (%s)", e, msg);
		free(e);
		free(m);
	} else {
		exec_verdict(x, V_FAIL, st->line, "%s", msg);
	}
}

/* Accept the trigger's connection into x->c: ERROR when it exits first or
 * never comes. Looks at the trigger every 20 ms. 0 or -1. */
static int accept_client(struct ex *x, int lfd)
{
	int64_t budget = x->o->start_ms > 0 ? x->o->start_ms : x->o->timeout_ms;
	int64_t deadline = mono_ms() + budget;
	for (;;) {
		int rc = conn_accept(&x->c, lfd, 20);
		if (rc == CONN_OK)
			return 0;
		if (rc == CONN_STOPPED) {
			exec_verdict(x, V_ERROR, 0, "interrupted");
			return -1;
		}
		if (rc == CONN_ERROR) {
			exec_verdict(x, V_ERROR, 0, "cannot accept the client's connection: %s", x->c.err);
			return -1;
		}
		int st;
		if (trigger_exited(x->trig, &st)) {
			exec_verdict(x, V_ERROR, 0,
			        "the trigger exited with status %d without connecting to stark (is it the right command?)",
			        st);
			return -1;
		}
		if (mono_ms() >= deadline) {
			exec_verdict(x, V_ERROR, 0, "the trigger did not connect within %lld ms",
			        (long long)budget);
			return -1;
		}
	}
}

void exec_serve(const struct scenario *s, const struct exec_opts *o, struct result *r)
{
	int64_t t0 = mono_ms();
	result_start(r, s);
	if (exec_profile_skips(s, o, r)) {
		r->elapsed_ms = mono_ms() - t0;
		return;
	}
	struct ex x = {.s = s, .o = o, .r = r, .server = true, .lfd = -1};
	conn_init(&x.c, -1, &r->tr);
	x.c.stop = o->stop;
	char err[256];
	const char *host = o->listen_host ? o->listen_host : "127.0.0.1";
	int lfd = conn_listen(host, o->listen_port ? o->listen_port : "0", 1, err, sizeof err);
	if (lfd < 0) {
		exec_verdict(&x, V_ERROR, 0, "%s", err);
		r->elapsed_ms = mono_ms() - t0;
		return;
	}
	x.lfd = lfd;
	x.listening = true;
	char *env[6];
	env[0] = xasprintf("STARK_HOST=%s", host);
	env[1] = xasprintf("STARK_PORT=%d", conn_local_port(lfd));
	env[2] = xasprintf("STARK_CA=%s", o->ca_path ? o->ca_path : "");
	env[3] = xasprintf("STARK_SERVERNAME=%s", o->servername ? o->servername : "localhost");
	env[4] = xasprintf("STARK_SCENARIO=%s", s->id);
	env[5] = NULL;
	transcript_note(&r->tr, TLAYER_PLAIN, "listening on %s port %d; running the trigger", host,
	                conn_local_port(lfd));
	x.trig = trigger_start(o->trigger, env, err, sizeof err);
	for (int i = 0; i < 5; i++)
		free(env[i]);
	if (x.trig == NULL) {
		exec_verdict(&x, V_ERROR, 0, "cannot run the trigger: %s", err);
	} else {
		if (accept_client(&x, lfd) == 0) {
			transcript_note(&r->tr, TLAYER_PLAIN, "the client connected");
			exec_play(&x);
		}
	}
	exec_serve_finish(&x); /* closes the listener */
	if (!x.done)
		exec_verdict(&x, V_PASS, 0, "%s", "");
	trigger_free(x.trig);
	r->elapsed_ms = mono_ms() - t0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for refsrv and refsess: (a) the pure session (refsess_*) fed bytes
 * directly: greeting, EHLO before and inside TLS, STARTTLS with pipelined
 * bytes (discarded, or executed under FLAW_INJECT), submission mode, AUTH,
 * DATA, QUIT, an over-long line; (b) the flaw matrix: the real server suite
 * against the reference target, clean (everything PASS or SKIP) and with
 * each flaw alone (exactly the scenarios that catch that flaw FAIL, each at
 * a scenario line). This is the proof that every scenario catches its bug
 * and nothing else.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refsess.h"
#include "refsrv.h"
#include "result.h"
#include "runner.h"
#include "scenario.h"
#include "util.h"
#include "wtls.h"

#ifndef STARK_SOURCE_DIR
#error "STARK_SOURCE_DIR must point at the source tree"
#endif

/* ---- (a) the pure session ---- */

struct sess {
	struct refsess *s;
	struct buf out;
};

static void sess_open(struct sess *t, const struct refsess_opts *o)
{
	memset(t, 0, sizeof *t);
	t->s = refsess_new(o);
	ck_assert_ptr_nonnull(t->s);
}

static void sess_close(struct sess *t)
{
	refsess_free(t->s);
	buf_free(&t->out);
}

/* Feed text; the replies it produced are in t->out (reset first). */
static enum refsess_action feed(struct sess *t, const char *text)
{
	buf_reset(&t->out);
	return refsess_input(t->s, (const uint8_t *)text, strlen(text), &t->out);
}

static const char *out(struct sess *t)
{
	return buf_cstr(&t->out);
}

/* How many reply lines starting with code (final or continuation). */
static size_t count_code(struct sess *t, const char *code)
{
	size_t n = 0;
	const char *p = out(t);
	while (*p) {
		if (strncmp(p, code, 3) == 0)
			n++;
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

#define ck_out_has(t, needle)                                                                      \
	ck_assert_msg(strstr(out(t), needle) != NULL, "output '%s' lacks '%s'", out(t), needle)
#define ck_out_lacks(t, needle)                                                                    \
	ck_assert_msg(strstr(out(t), needle) == NULL, "output '%s' has '%s'", out(t), needle)

START_TEST(sess_greeting)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	ck_assert_int_eq(refsess_greeting(t.s, &t.out), RS_CONTINUE);
	ck_assert_str_eq(out(&t), "220 stark.test ESMTP stark reference target\r\n");
	ck_assert(!refsess_tls_active(t.s));
	ck_assert_uint_eq(refsess_injected(t.s), 0);
	sess_close(&t);

	o.hostname = "mx.example";
	o.flaws = FLAW_THROTTLE;
	sess_open(&t, &o);
	ck_assert_int_eq(refsess_greeting(t.s, &t.out), RS_CLOSE);
	ck_assert_int_eq(strncmp(out(&t), "421 ", 4), 0);
	ck_out_has(&t, "mx.example");
	sess_close(&t);
}
END_TEST

/* Greeting, EHLO, STARTTLS, handshake done: the session inside TLS. */
static void to_tls(struct sess *t)
{
	ck_assert_int_eq(refsess_greeting(t->s, &t->out), RS_CONTINUE);
	ck_assert_int_eq(feed(t, "EHLO client.test\r\n"), RS_CONTINUE);
	ck_assert_int_eq(feed(t, "STARTTLS\r\n"), RS_STARTTLS);
	buf_reset(&t->out);
	ck_assert_int_eq(refsess_tls_started(t->s, &t->out), RS_CONTINUE);
	ck_assert(refsess_tls_active(t->s));
}

START_TEST(sess_ehlo_starttls_before_not_after)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	ck_assert_int_eq(feed(&t, "EHLO client.test\r\n"), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "250-stark.test greets client.test\r\n", 35), 0);
	ck_out_has(&t, "250-STARTTLS\r\n");
	ck_out_has(&t, "250-PIPELINING\r\n");
	ck_out_lacks(&t, "AUTH"); /* RFC 4954 4: not before TLS */
	ck_assert_int_eq(strcmp(out(&t) + t.out.len - 14, "250 SMTPUTF8\r\n"), 0);
	sess_close(&t);

	sess_open(&t, &o);
	to_tls(&t);
	ck_assert_str_eq(out(&t), ""); /* nothing to say after the handshake */
	ck_assert_int_eq(feed(&t, "EHLO client.test\r\n"), RS_CONTINUE);
	ck_out_lacks(&t, "STARTTLS"); /* RFC 3207 4.2 */
	ck_out_has(&t, "250-AUTH PLAIN LOGIN\r\n");
	/* A second STARTTLS inside TLS is refused. */
	ck_assert_int_eq(feed(&t, "STARTTLS\r\n"), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0);
	sess_close(&t);

	/* EHLO without an argument */
	sess_open(&t, &o);
	ck_assert_int_eq(feed(&t, "EHLO\r\n"), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "501 ", 4), 0);
	sess_close(&t);
}
END_TEST

START_TEST(sess_starttls_pipelined_discarded)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "EHLO client.test\r\n");
	/* One read: STARTTLS and two commands behind it. */
	ck_assert_int_eq(feed(&t, "STARTTLS\r\nNOOP\r\nMAIL FROM:<x@y>\r\n"), RS_STARTTLS);
	ck_assert_str_eq(out(&t), "220 2.0.0 Ready to start TLS\r\n"); /* only the 220 */
	buf_reset(&t.out);
	ck_assert_int_eq(refsess_tls_started(t.s, &t.out), RS_CONTINUE);
	ck_assert_str_eq(out(&t), ""); /* the pipelined bytes were dropped */
	ck_assert_uint_eq(refsess_injected(t.s), 0);
	/* Inside TLS the session starts over: one NOOP, one reply. */
	ck_assert_int_eq(feed(&t, "NOOP\r\n"), RS_CONTINUE);
	ck_assert_str_eq(out(&t), "250 2.0.0 Ok\r\n");
	/* EHLO state was reset (RFC 3207 4.2): MAIL needs a new EHLO. */
	feed(&t, "MAIL FROM:<a@b>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0);
	ck_assert_uint_eq(refsess_injected(t.s), 0);
	sess_close(&t);
}
END_TEST

START_TEST(sess_starttls_pipelined_injected)
{
	struct refsess_opts o = {.flaws = FLAW_INJECT};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "EHLO client.test\r\n");
	ck_assert_int_eq(feed(&t, "STARTTLS\r\nNOOP\r\nRSET\r\n"), RS_STARTTLS);
	ck_assert_str_eq(out(&t), "220 2.0.0 Ready to start TLS\r\n");
	buf_reset(&t.out);
	ck_assert_int_eq(refsess_tls_started(t.s, &t.out), RS_CONTINUE);
	/* the flaw: both plaintext commands ran inside TLS */
	ck_assert_uint_eq(refsess_injected(t.s), 2);
	ck_assert_uint_eq(count_code(&t, "250"), 2);
	/* commands that arrive inside TLS are not counted */
	feed(&t, "NOOP\r\n");
	ck_assert_uint_eq(refsess_injected(t.s), 2);
	sess_close(&t);
}
END_TEST

START_TEST(sess_submission)
{
	struct refsess_opts o = {.submission = true};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "EHLO client.test\r\n");
	ck_out_has(&t, "250-STARTTLS");
	ck_out_lacks(&t, "AUTH");
	feed(&t, "MAIL FROM:<a@b>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "530 ", 4), 0); /* RFC 3207 4 */
	feed(&t, "RCPT TO:<c@d>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "530 ", 4), 0);
	feed(&t, "DATA\r\n");
	ck_assert_int_eq(strncmp(out(&t), "530 ", 4), 0);
	feed(&t, "AUTH PLAIN AGEAYg==\r\n");
	ck_assert_int_eq(strncmp(out(&t), "530 ", 4), 0);
	feed(&t, "NOOP\r\n");
	ck_assert_str_eq(out(&t), "250 2.0.0 Ok\r\n");
	/* inside TLS all of it works */
	feed(&t, "STARTTLS\r\n");
	buf_reset(&t.out);
	refsess_tls_started(t.s, &t.out);
	feed(&t, "EHLO client.test\r\n");
	feed(&t, "AUTH PLAIN AGEAYg==\r\n");
	ck_assert_int_eq(strncmp(out(&t), "235 ", 4), 0);
	feed(&t, "MAIL FROM:<a@b>\r\n");
	ck_assert_str_eq(out(&t), "250 2.1.0 Ok\r\n");
	sess_close(&t);
}
END_TEST

START_TEST(sess_auth_before_tls)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "EHLO client.test\r\n");
	feed(&t, "AUTH PLAIN AGEAYg==\r\n");
	ck_assert_int_eq(strncmp(out(&t), "538 ", 4), 0); /* RFC 4954 4 */
	sess_close(&t);

	o.flaws = FLAW_AUTH_PLAINTEXT;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "EHLO client.test\r\n");
	ck_out_has(&t, "250-AUTH PLAIN LOGIN");
	feed(&t, "AUTH PLAIN AGEAYg==\r\n");
	ck_assert_int_eq(strncmp(out(&t), "235 ", 4), 0);
	sess_close(&t);
}
END_TEST

START_TEST(sess_data_flow)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "MAIL FROM:<a@b>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0); /* no EHLO yet */
	feed(&t, "HELO client.test\r\n");
	ck_assert_str_eq(out(&t), "250 stark.test\r\n");
	feed(&t, "DATA\r\n");
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0); /* no RCPT */
	feed(&t, "RCPT TO:<c@d>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0); /* no MAIL */
	feed(&t, "MAIL FROM:<a@b>\r\n");
	ck_assert_str_eq(out(&t), "250 2.1.0 Ok\r\n");
	feed(&t, "MAIL FROM:<a@b>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0); /* nested */
	feed(&t, "RCPT TO:<c@d>\r\n");
	ck_assert_str_eq(out(&t), "250 2.1.5 Ok\r\n");
	feed(&t, "DATA\r\n");
	ck_assert_int_eq(strncmp(out(&t), "354 ", 4), 0);
	/* Message lines are not commands, whatever they say. */
	feed(&t, "Subject: x\r\n\r\nQUIT\r\nRSET\r\n");
	ck_assert_str_eq(out(&t), "");
	/* The end of data can arrive split across reads. */
	feed(&t, "last line\r\n.");
	ck_assert_str_eq(out(&t), "");
	feed(&t, "\r\n");
	ck_assert_str_eq(out(&t), "250 2.0.0 Ok: queued\r\n");
	/* The transaction is over: a new one needs MAIL. */
	feed(&t, "RCPT TO:<c@d>\r\n");
	ck_assert_int_eq(strncmp(out(&t), "503 ", 4), 0);
	/* Pipelined commands in one read: one reply each, in order. */
	feed(&t, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRSET\r\nNOOP\r\n");
	ck_assert_str_eq(out(&t), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
	sess_close(&t);
}
END_TEST

START_TEST(sess_quit_and_junk)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	ck_assert_int_eq(feed(&t, "XYZZY\r\n"), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "500 ", 4), 0);
	ck_assert_int_eq(feed(&t, "HELP\r\n"), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "214 ", 4), 0);
	ck_assert_int_eq(feed(&t, "STARTTLS now\r\n"), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "501 ", 4), 0); /* RFC 3207 4: no parameters */
	ck_assert_int_eq(feed(&t, "QUIT\r\nNOOP\r\n"), RS_CLOSE);
	ck_assert_str_eq(out(&t), "221 2.0.0 Bye\r\n"); /* nothing after QUIT runs */
	sess_close(&t);

	o.flaws = FLAW_CLOSE_ON_JUNK;
	sess_open(&t, &o);
	ck_assert_int_eq(feed(&t, "XYZZY\r\n"), RS_CLOSE);
	sess_close(&t);
}
END_TEST

START_TEST(sess_long_line)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	size_t n = 70000;
	char *line = xmalloc(n + 3);
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'A', n - 5);
	memcpy(line + n, "\r\n", 3);
	ck_assert_int_eq(feed(&t, line), RS_CONTINUE);
	ck_assert_int_eq(strncmp(out(&t), "500 ", 4), 0);
	ck_assert_ptr_eq(strchr(out(&t), '\n'), out(&t) + t.out.len - 1); /* one reply */
	/* The session survives and is in sync again. */
	feed(&t, "NOOP\r\n");
	ck_assert_str_eq(out(&t), "250 2.0.0 Ok\r\n");
	/* Also when the long line trickles in without a terminator. */
	buf_reset(&t.out);
	for (size_t i = 0; i < 10; i++)
		refsess_input(t.s, (const uint8_t *)line + 5, 7000, &t.out);
	ck_assert_int_ge(count_code(&t, "500"), 1);
	feed(&t, "\r\nNOOP\r\n");
	ck_out_has(&t, "250 2.0.0 Ok\r\n");
	free(line);
	sess_close(&t);
}
END_TEST

START_TEST(sess_tls_failed_and_ended)
{
	struct refsess_opts o = {0};
	struct sess t;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "STARTTLS\r\n");
	buf_reset(&t.out);
	ck_assert_int_eq(refsess_tls_failed(t.s, (const uint8_t *)"EHLO x\r\n", 8, &t.out), RS_CLOSE);
	ck_assert_str_eq(out(&t), "");
	sess_close(&t);

	o.flaws = FLAW_PLAIN_AFTER_FAIL;
	sess_open(&t, &o);
	refsess_greeting(t.s, &t.out);
	feed(&t, "STARTTLS\r\n");
	buf_reset(&t.out);
	ck_assert_int_eq(refsess_tls_failed(t.s, (const uint8_t *)"EHLO x\r\n", 8, &t.out),
	                 RS_CONTINUE);
	ck_out_has(&t, "250-stark.test greets x");
	sess_close(&t);

	o.flaws = 0;
	sess_open(&t, &o);
	to_tls(&t);
	ck_assert_int_eq(refsess_tls_ended(t.s, &t.out), RS_CLOSE);
	sess_close(&t);

	o.flaws = FLAW_PLAIN_AFTER_CLOSE;
	sess_open(&t, &o);
	to_tls(&t);
	ck_assert_int_eq(refsess_tls_ended(t.s, &t.out), RS_CONTINUE);
	ck_assert(!refsess_tls_active(t.s));
	feed(&t, "NOOP\r\n");
	ck_assert_str_eq(out(&t), "250 2.0.0 Ok\r\n");
	sess_close(&t);
}
END_TEST

START_TEST(flaw_names)
{
	unsigned seen = 0;
	for (unsigned b = 1; b & FLAW__ALL; b <<= 1) {
		const char *n = refsrv_flaw_name(b);
		ck_assert_ptr_nonnull(n);
		ck_assert_ptr_nonnull(refsrv_flaw_help(b));
		unsigned f = 0;
		char err[128];
		ck_assert_int_eq(refsrv_flaw_parse(n, &f, err, sizeof err), 0);
		ck_assert_uint_eq(f, b);
		seen |= b;
	}
	ck_assert_uint_eq(seen, FLAW__ALL);
	ck_assert_ptr_null(refsrv_flaw_name(0));
	unsigned f = 0;
	char err[128] = "";
	ck_assert_int_eq(refsrv_flaw_parse("inject,keep-state", &f, err, sizeof err), 0);
	ck_assert_uint_eq(f, FLAW_INJECT | FLAW_KEEP_STATE);
	f = 0;
	ck_assert_int_eq(refsrv_flaw_parse("all", &f, err, sizeof err), 0);
	ck_assert_uint_eq(f, FLAW__ALL);
	f = 0;
	ck_assert_int_eq(refsrv_flaw_parse("inject,nosuch", &f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "nosuch"));
}
END_TEST

/* ---- (b) the flaw matrix ---- */

static struct scenario **SCN;
static size_t NSCN;

static void suite_load(void)
{
	char *paths[] = {STARK_SOURCE_DIR "/scenarios/server"};
	struct scn_diag d = {0};
	int rc = runner_load(paths, 1, &SCN, &NSCN, &d);
	ck_assert_msg(rc == 0, "loading the suite: %s", d.n ? d.msgs[0] : "?");
	scenario_diag_free(&d);
	ck_assert_uint_ge(NSCN, 20);
}

static void suite_unload(void)
{
	runner_free_scenarios(SCN, NSCN);
	SCN = NULL;
	NSCN = 0;
	wtls_thread_cleanup();
}

/* "server/s08-injection-ehlo" -> "s08-injection-ehlo" */
static const char *short_id(const char *id)
{
	return strncmp(id, "server/", 7) == 0 ? id + 7 : id;
}

static struct refsrv *start(const struct refsrv_opts *o)
{
	char err[256] = "";
	struct refsrv *srv = refsrv_start(o, "127.0.0.1", "0", err, sizeof err);
	ck_assert_msg(srv != NULL, "refsrv_start: %s", err);
	return srv;
}

/* The whole suite against srv; results in run. */
static void run_suite(struct refsrv *srv, const char *profile, struct run *run)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	const char *ca = refsrv_ca_pem(srv);
	if (ca)
		ck_assert_int_eq(wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca)), 0);
	char port[16];
	snprintf(port, sizeof port, "%d", refsrv_port(srv));
	struct runner_opts ro = {
	    .ex =
	        {
	            .host = "127.0.0.1",
	            .port = port,
	            .servername = "localhost",
	            .helo = "stark.test",
	            .timeout_ms = 1000,
	            .profile = profile,
	            .tls = cfg,
	        },
	    .jobs = 4,
	};
	run_init(run);
	runner_run(SCN, NSCN, &ro, run);
	wtls_config_free(cfg);
}

static const struct result *find(const struct run *run, const char *sid)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(short_id(run->results[i].id), sid) == 0)
			return &run->results[i];
	return NULL;
}

/* The transcript of one result, for failure messages. */
static char *dump_tr(const struct result *r)
{
	struct buf b = {0};
	for (size_t i = 0; i < r->tr.n && b.len < 6000; i++) {
		const struct tevent *e = &r->tr.ev[i];
		buf_appendf(&b, "    %s %s ", transcript_dir_name(e->dir), transcript_layer_name(e->layer));
		if (e->dir == TDIR_NOTE)
			buf_append(&b, e->data, e->len);
		else
			buf_escape(&b, e->data, e->len > 200 ? 200 : e->len);
		buf_appendf(&b, "\n");
	}
	return buf_cstr(&b);
}

static char *describe_run(const struct run *run)
{
	struct buf b = {0};
	for (size_t i = 0; i < run->n; i++) {
		const struct result *r = &run->results[i];
		buf_appendf(&b, "  %-13s %s %s\n", result_verdict_label(r->verdict), short_id(r->id),
		            r->reason ? r->reason : "");
	}
	return buf_cstr(&b);
}

static bool in_list(const char *const *list, const char *sid)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], sid) == 0)
			return true;
	return false;
}

/* Every scenario ran (twice for sanity), each exactly once. */
static void ck_complete(const struct run *run)
{
	ck_assert_uint_eq(run->n, NSCN + 1); /* + the closing sanity run */
	ck_assert_msg(find(run, "sanity") && find(run, "sanity#end"), "no sanity runs");
	ck_assert(!run->interrupted);
}

START_TEST(clean_target_passes)
{
	struct refsrv_opts o = {0};
	struct refsrv *srv = start(&o);
	struct run run;
	run_suite(srv, "mx", &run);
	refsrv_stop(srv);
	ck_complete(&run);
	static const char *const may_skip[] = {
	    "s11-starttls-not-offered",    /* the target offers STARTTLS */
	    "s12-submission-requires-tls", /* profile submission; this run is mx */
	    NULL,
	};
	char *all = describe_run(&run);
	for (size_t i = 0; i < run.n; i++) {
		const struct result *r = &run.results[i];
		const char *sid = short_id(r->id);
		if (r->verdict == V_SKIP) {
			ck_assert_msg(in_list(may_skip, sid), "unexpected SKIP of %s\n%s", sid, all);
			continue;
		}
		if (r->verdict != V_PASS) {
			char *tr = dump_tr(r);
			ck_abort_msg("clean target: %s is %s: %s\n%s\ntranscript:\n%s", sid,
			             result_verdict_label(r->verdict), r->reason, all, tr);
		}
	}
	/* Both expected skips happened, each for its own reason. */
	ck_assert_int_eq(find(&run, "s11-starttls-not-offered")->verdict, V_SKIP);
	ck_assert_int_eq(find(&run, "s12-submission-requires-tls")->verdict, V_SKIP);
	ck_assert_ptr_nonnull(strstr(find(&run, "s12-submission-requires-tls")->reason, "submission"));
	/* The run learnt the target's TLS facts, verified against its CA. */
	ck_assert(run.has_tls);
	ck_assert_msg(run.tls.verify_ok, "verify: %s", run.tls.verify_error);
	ck_assert(run.tls.host_ok);
	ck_assert_int_eq(run_exit_status(&run), 0);
	free(all);
	run_free(&run);
}
END_TEST

struct flaw_case {
	unsigned flaw;
	const char *fails[12];       /* exactly these FAIL */
	const char *may_also_fail[4]; /* timing-dependent extras, each explained below */
};

static const struct flaw_case FLAW_CASES[] = {
    /* The flawed server reads plaintext up to the first TLS record byte
     * (refsrv absorb_until_handshake), so the separately written command
     * (s09b) and plaintext glued in front of the ClientHello (s09c) are
     * injected as deterministically as the pipelined ones. */
    {FLAW_INJECT,
     {"s08-injection-ehlo", "s09a-injection-auth", "s09a-injection-mail", "s09a-injection-noop",
      "s09a-injection-quit", "s09a-injection-rset", "s09b-injection-separate-segment",
      "s09c-injection-glued-to-clienthello", "s09d-injection-bare-lf",
      "s09e-injection-split-starttls"},
     {NULL}},
    {FLAW_KEEP_STATE, {"s06-ehlo-state-discarded", "s07-transaction-discarded"}, {NULL}},
    {FLAW_READVERTISE, {"s04-no-starttls-after-tls"}, {NULL}},
    {FLAW_RESTARTTLS, {"s05-starttls-inside-tls"}, {NULL}},
    {FLAW_AUTH_PLAINTEXT, {"s12-no-auth-before-tls"}, {NULL}},
    {FLAW_BAD_MULTILINE, {"s17-reply-syntax"}, {NULL}},
    {FLAW_STARTTLS_PARAM, {"s03-starttls-parameter"}, {NULL}},
    /* 500, then a close: a defensive close is not a failure (S-19 passes
     * it with a note; check_exec's closed_* tests check the note). */
    {FLAW_CLOSE_ON_JUNK, {NULL}, {NULL}},
    {FLAW_CODE_RANGE, {"s18-reply-code-range"}, {NULL}},
    /* s09b writes NOOP in its own segment right after STARTTLS: whether
     * it reaches the server before or after the server read STARTTLS is
     * timing. If after, the NOOP lands where the ClientHello belongs, the
     * handshake fails, and this flaw answers it in plaintext. */
    {FLAW_PLAIN_AFTER_FAIL,
     {"s15-plaintext-after-failed-handshake"},
     {"s09b-injection-separate-segment", NULL}},
    {FLAW_PLAIN_AFTER_CLOSE, {"s16-plaintext-after-close-notify"}, {NULL}},
    {FLAW_FLUSH_PIPELINE, {"s10-pipelining-up-to-starttls"}, {NULL}},
};

/* One flaw alone: exactly its scenarios FAIL, each at a scenario line. */
static void check_flaw(const struct flaw_case *fc)
{
	const char *name = refsrv_flaw_name(fc->flaw);
	struct refsrv_opts o = {.flaws = fc->flaw};
	struct refsrv *srv = start(&o);
	struct run run;
	run_suite(srv, "mx", &run);
	refsrv_stop(srv);
	ck_complete(&run);
	char *all = describe_run(&run);
	for (size_t i = 0; i < run.n; i++) {
		const struct result *r = &run.results[i];
		const char *sid = short_id(r->id);
		bool want_fail = in_list(fc->fails, sid);
		bool may_fail = in_list(fc->may_also_fail, sid);
		if (r->verdict == V_FAIL) {
			if (!want_fail && !may_fail) {
				char *tr = dump_tr(r);
				ck_abort_msg("flaw %s: %s FAILs but should not: %s\n%s\ntranscript:\n%s", name,
				             sid, r->reason, all, tr);
			}
			ck_assert_msg(strncmp(r->reason, "line ", 5) == 0 && r->line > 0,
			              "flaw %s: %s FAILs without a scenario line: %s", name, sid,
			              r->reason);
		} else if (want_fail) {
			char *tr = dump_tr(r);
			ck_abort_msg("flaw %s: %s is %s, want FAIL: %s\n%s\ntranscript:\n%s", name, sid,
			             result_verdict_label(r->verdict), r->reason, all, tr);
		} else if (r->verdict != V_PASS && r->verdict != V_SKIP) {
			char *tr = dump_tr(r);
			ck_abort_msg("flaw %s: %s is %s: %s\n%s\ntranscript:\n%s", name, sid,
			             result_verdict_label(r->verdict), r->reason, all, tr);
		}
	}
	ck_assert_int_eq(run_exit_status(&run), fc->fails[0] ? 1 : 0);
	free(all);
	run_free(&run);
}

START_TEST(flaw_matrix)
{
	check_flaw(&FLAW_CASES[_i]);
}
END_TEST

START_TEST(flaw_matrix_covers_every_flaw)
{
	unsigned covered = FLAW_THROTTLE; /* its own test below */
	for (size_t i = 0; i < sizeof FLAW_CASES / sizeof FLAW_CASES[0]; i++)
		covered |= FLAW_CASES[i].flaw;
	ck_assert_uint_eq(covered, FLAW__ALL);
}
END_TEST

START_TEST(flaw_throttle_inconclusive)
{
	struct refsrv_opts o = {.flaws = FLAW_THROTTLE};
	struct refsrv *srv = start(&o);
	struct run run;
	run_suite(srv, "mx", &run);
	refsrv_stop(srv);
	ck_complete(&run);
	char *all = describe_run(&run);
	for (size_t i = 0; i < run.n; i++) {
		const struct result *r = &run.results[i];
		const char *sid = short_id(r->id);
		/* A profile skip is decided before connecting: not throttled. */
		if (strcmp(sid, "s12-submission-requires-tls") == 0) {
			ck_assert_int_eq(r->verdict, V_SKIP);
			continue;
		}
		ck_assert_msg(r->verdict == V_INCONCLUSIVE, "throttle: %s is %s: %s\n%s", sid,
		              result_verdict_label(r->verdict), r->reason, all);
		ck_assert_msg(strncmp(r->reason, "line ", 5) == 0, "%s: %s", sid, r->reason);
	}
	/* throttling is no finding (not 1), but a run where a 421 hid every
	 * answer showed nothing: not green either */
	ck_assert_int_eq(run_exit_status(&run), 2);
	free(all);
	run_free(&run);
}
END_TEST

static const struct scenario *scn(const char *sid)
{
	for (size_t i = 0; i < NSCN; i++)
		if (strcmp(short_id(SCN[i]->id), sid) == 0)
			return SCN[i];
	ck_abort_msg("no scenario %s", sid);
	return NULL;
}

static void run_one(struct refsrv *srv, const char *sid, const char *profile, struct result *r)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	const char *ca = refsrv_ca_pem(srv);
	if (ca)
		wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca));
	char port[16];
	snprintf(port, sizeof port, "%d", refsrv_port(srv));
	struct exec_opts o = {
	    .host = "127.0.0.1",
	    .port = port,
	    .servername = "localhost",
	    .helo = "stark.test",
	    .timeout_ms = 1000,
	    .profile = profile,
	    .tls = cfg,
	};
	exec_run(scn(sid), &o, r);
	wtls_config_free(cfg);
}

START_TEST(submission_profile)
{
	struct refsrv_opts o = {.submission = true};
	struct refsrv *srv = start(&o);
	struct result r;
	run_one(srv, "s12-submission-requires-tls", "submission", &r);
	ck_assert_msg(r.verdict == V_PASS, "%s: %s", result_verdict_label(r.verdict), r.reason);
	result_free(&r);
	/* The same server claimed as an MX fails S-13 (it refuses plaintext mail). */
	run_one(srv, "s13-mx-accepts-plaintext", "mx", &r);
	ck_assert_msg(r.verdict == V_FAIL, "%s: %s", result_verdict_label(r.verdict), r.reason);
	ck_assert_int_eq(r.line, 16);
	result_free(&r);
	refsrv_stop(srv);

	/* A clean MX run with profile submission: S-12 catches the missing 530. */
	struct refsrv_opts mx = {0};
	srv = start(&mx);
	run_one(srv, "s12-submission-requires-tls", "submission", &r);
	ck_assert_msg(r.verdict == V_FAIL, "%s: %s", result_verdict_label(r.verdict), r.reason);
	ck_assert_int_eq(r.line, 19);
	result_free(&r);
	refsrv_stop(srv);
}
END_TEST

START_TEST(no_tls_listener)
{
	struct refsrv_opts o = {.no_tls = true};
	struct refsrv *srv = start(&o);
	ck_assert_ptr_null(refsrv_ca_pem(srv));
	struct result r;
	run_one(srv, "s11-starttls-not-offered", "mx", &r);
	ck_assert_msg(r.verdict == V_PASS, "%s: %s", result_verdict_label(r.verdict), r.reason);
	result_free(&r);
	/* ... and S-01 notices that STARTTLS is missing. */
	run_one(srv, "s01-starttls-offered", "mx", &r);
	ck_assert_msg(r.verdict == V_FAIL, "%s: %s", result_verdict_label(r.verdict), r.reason);
	ck_assert_int_eq(r.line, 16);
	result_free(&r);
	refsrv_stop(srv);
}
END_TEST

Suite *refsrv_suite(void)
{
	Suite *s = suite_create("refsrv");
	TCase *tc = tcase_create("session");
	tcase_add_test(tc, sess_greeting);
	tcase_add_test(tc, sess_ehlo_starttls_before_not_after);
	tcase_add_test(tc, sess_starttls_pipelined_discarded);
	tcase_add_test(tc, sess_starttls_pipelined_injected);
	tcase_add_test(tc, sess_submission);
	tcase_add_test(tc, sess_auth_before_tls);
	tcase_add_test(tc, sess_data_flow);
	tcase_add_test(tc, sess_quit_and_junk);
	tcase_add_test(tc, sess_long_line);
	tcase_add_test(tc, sess_tls_failed_and_ended);
	tcase_add_test(tc, flaw_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("matrix");
	tcase_add_checked_fixture(tc, suite_load, suite_unload);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, clean_target_passes);
	tcase_add_loop_test(tc, flaw_matrix, 0, (int)(sizeof FLAW_CASES / sizeof FLAW_CASES[0]));
	tcase_add_test(tc, flaw_matrix_covers_every_flaw);
	tcase_add_test(tc, flaw_throttle_inconclusive);
	tcase_add_test(tc, submission_profile);
	tcase_add_test(tc, no_tls_listener);
	suite_add_tcase(s, tc);
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for exec: scenarios parsed from strings, played by exec_run
 * against scripted peers (support_peer: a thread on 127.0.0.1:0 playing a
 * declarative script) and against the reference target. The scripted cases
 * are one table (struct exec_case), a named group per Check test: every
 * verdict path with the line that decided it; alternatives (nested,
 * committing); silence; alone; strict; TLS fail; hostile peers (silent,
 * dripping, endless line, endless multi-line reply, hang-up mid-handshake,
 * garbage, plaintext instead of a ServerHello), each bounded by its
 * deadline. Then TLS ok against refsrv, profile skips, interruption, the
 * mirror form over socketpair(2) (exec_run_fd), and a handshake stark's TLS
 * library cannot make (a static-RSA-only peer: ERROR, not FAIL). Loopback
 * only.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "exec.h"
#include "refsrv.h"
#include "result.h"
#include "scenario.h"
#include "support.h"
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

static struct scenario *parse_full(const char *text)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse("exec-test.scn", (const uint8_t *)text, strlen(text), &d);
	ck_assert_msg(s != NULL, "scenario does not parse: %s\n%s", d.n ? d.msgs[0] : "?", text);
	scenario_diag_free(&d);
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

/* Play body against a scripted peer; r is filled. With script_must_complete
 * the peer's script must have run as written (so a PASS is not a PASS
 * against a confused peer); hostile peers are cut off mid-script. */
static void play(const char *body, const char *script, int64_t timeout_ms, struct result *r,
                 bool script_must_complete)
{
	struct scenario *s = parse_body(body);
	struct support_peer *p = support_peer_start(script);
	struct exec_opts o = opts(p->portstr, timeout_ms);
	exec_run(s, &o, r);
	support_peer_join(p);
	if (script_must_complete)
		ck_assert_msg(p->failed[0] == '\0', "%s (verdict %s: %s)", p->failed,
		              result_verdict_label(r->verdict), r->reason);
	ck_assert(p->accepted);
	support_peer_free(p);
	scenario_free(s);
}

#define ck_verdict(r, v)                                                                           \
	ck_assert_msg((r)->verdict == (v), "verdict %s, want %s: %s", result_verdict_label((r)->verdict),  \
	              result_verdict_label(v), (r)->reason ? (r)->reason : "(null)")

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

/* ---- scenario bodies ---- */

static const char *const BASIC_BODY = "expect reply 220 alone\n"      /* 1 */
                                      "send \"EHLO ${helo}\\r\\n\"\n"  /* 2 */
                                      "expect reply 250 has STARTTLS\n" /* 3 */
                                      "send \"QUIT\\r\\n\"\n"          /* 4 */
                                      "expect reply 221\n";            /* 5 */

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

/* Both branches accept the 250; the first is taken and its failure stands:
 * no backtracking into the second. */
static const char *const COMMIT_BODY = "expect reply 220\n"    /* 1 */
                                       "alt {\n"                /* 2 */
                                       "    expect reply 250\n" /* 3 */
                                       "    expect reply 251\n" /* 4 */
                                       "} or {\n"               /* 5 */
                                       "    expect reply 2xx\n" /* 6 */
                                       "    expect reply 252\n" /* 7 */
                                       "}\n";

static const char *const SILENCE_BODY = "expect reply 220\nexpect silence 300ms\n";

static const char *const STRICT_BODY = "expect reply 220 strict\n"
                                       "send \"EHLO ${helo}\\r\\n\"\n"
                                       "expect reply 250 strict\n";

/* Lines 1-6: up to the handshake, then the line-7 expectation of each form. */
#define TLS_PRELUDE_BODY                                                                           \
	"expect reply 220\n"              /* 1 */                                                  \
	"send \"EHLO ${helo}\\r\\n\"\n"   /* 2 */                                                  \
	"expect reply 250 has STARTTLS\n" /* 3 */                                                  \
	"send \"STARTTLS\\r\\n\"\n"       /* 4 */                                                  \
	"expect reply 220\n"              /* 5 */                                                  \
	"tls\n"                           /* 6 */
static const char *const TLS_FAIL_BODY = TLS_PRELUDE_BODY "expect tls fail\n"; /* 7 */
static const char *const TLS_OK_BODY = TLS_PRELUDE_BODY "expect tls ok\n";     /* 7 */

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

/* ---- peer scripts (support.h: "< " writes, "> " waits for bytes) ---- */

#define GREET "< 220 peer\\r\\n\n"
#define GREET_EHLO GREET "> EHLO stark.test\\r\\n\n"
/* ALT_BODY's way into its second branch: EHLO refused, HELO sent */
#define EHLO_REFUSED GREET_EHLO "< 502 no EHLO here\\r\\n\n> HELO stark.test\\r\\n\n"
/* Up to the 220 for STARTTLS and the client's first TLS record. */
#define STARTTLS_PRELUDE                                                                           \
	GREET_EHLO "< 250-peer\\r\\n250 STARTTLS\\r\\n\n"                                           \
	           "> STARTTLS\\r\\n\n"                                                             \
	           "< 220 go ahead\\r\\n\n"                                                         \
	           "hello\n"

#define HOSTILE_TIMEOUT 500

/* ---- the table: every scripted case, grouped by the Check test it is ---- */

struct exec_case {
	const char *test;    /* the Check test this row belongs to */
	const char *body;    /* scenario statements (line k is L(k)) */
	const char *peer;    /* the peer's script */
	int64_t timeout_ms;
	bool hostile;        /* the peer is cut off mid-script: no completion check */
	enum verdict want;
	int line;            /* non-0: the reason starts "line N: " and r.line == N */
	const char *eq;      /* non-NULL: the whole reason */
	const char *has[3];  /* the reason contains each */
	int64_t min_ms, max_ms; /* non-0: bounds on elapsed_ms */
	int tls;             /* 1: a handshake was attempted and failed */
};

static const struct exec_case CASES[] = {
    /* verdict_fail_names_line */
    {"verdict_fail_names_line", BASIC_BODY,
     "< 220 peer ESMTP\\r\\n\n> EHLO stark.test\\r\\n\n< 250-peer\\r\\n250 PIPELINING\\r\\n\n",
     2000, .want = V_FAIL, .line = L(3), .has = {"does not offer STARTTLS"}},
    {"verdict_fail_names_line", BASIC_BODY,
     "< 220 peer ESMTP\\r\\n\n> EHLO stark.test\\r\\n\n< 250-peer\\r\\n250 STARTTLS\\r\\n\n"
     "> QUIT\\r\\n\n< 250 not leaving\\r\\n\n",
     2000, .want = V_FAIL, .line = L(5), .has = {"code 250 does not match 221"}},
    /* A close where a reply belonged, after the greeting: FAIL, not ERROR. */
    {"verdict_fail_names_line", BASIC_BODY, "< 220 peer ESMTP\\r\\n\n> EHLO stark.test\\r\\n\nclose\n",
     2000, .want = V_FAIL, .line = L(3), .has = {"connection closed"}},
    /* No reply at all after the greeting: FAIL at the expectation, in time. */
    {"verdict_fail_names_line", BASIC_BODY, "< 220 peer ESMTP\\r\\n\nsilent\n", 300, .want = V_FAIL,
     .line = L(3), .has = {"no reply within 300 ms"}, .min_ms = 300, .max_ms = 800},

    /* alt_branches: fail carries the reply that led to it */
    {"alt_branches", ALT_BODY, GREET_EHLO "< 250-peer\\r\\n250 STARTTLS\\r\\n\n", 2000,
     .want = V_FAIL, .line = L(5), .eq = "line 10: branch A (got 250 \"250-peer\" (multi-line))"},
    {"alt_branches", ALT_BODY, EHLO_REFUSED "< 250 helo ok\\r\\n\n", 2000, .want = V_FAIL,
     .line = L(11), .eq = "line 16: branch B1 (got 250 \"250 helo ok\")"},
    {"alt_branches", ALT_BODY, EHLO_REFUSED "< 451 later\\r\\n\n", 2000, .want = V_FAIL,
     .line = L(14), .has = {"branch B2 (got 451"}},
    {"alt_branches", ALT_BODY, EHLO_REFUSED "close\n", 2000, .want = V_FAIL,
     .eq = "line 22: branch B3"}, /* no reply to quote */
    /* No branch matches: the alt's own line, every guard listed. */
    {"alt_branches", ALT_BODY, GREET_EHLO "< 354 what\\r\\n\n", 2000, .want = V_FAIL,
     .line = L(3),
     .has = {"reply 250 has STARTTLS (line 9)", "reply 5xx (line 12)", "got reply 354"}},
    /* Nested alt without a match reports the nested alt's line. */
    {"alt_branches", ALT_BODY, EHLO_REFUSED "< 354 what\\r\\n\n", 2000, .want = V_FAIL,
     .line = L(9), .has = {"close (line 21)"}},

    {"alt_commits_to_first_match", COMMIT_BODY, "< 220 peer\\r\\n250 one\\r\\n252 two\\r\\n\n",
     2000, .want = V_FAIL, .line = L(4), .has = {"code 252 does not match 251"}},

    /* verdict_skip_and_inconclusive */
    {"verdict_skip_and_inconclusive", "expect reply 220\nskip \"not for this target\"\n", GREET,
     2000, .want = V_SKIP, .eq = "line 7: not for this target"},
    {"verdict_skip_and_inconclusive", "expect reply 220\ninconclusive \"could not tell\"\n",
     GREET, 2000, .want = V_INCONCLUSIVE, .eq = "line 7: could not tell"},
    /* A 421 where something else was expected hides the answer ... */
    {"verdict_skip_and_inconclusive", BASIC_BODY, "< 421 4.7.0 too busy\\r\\n\nclose\n", 2000,
     .want = V_INCONCLUSIVE, .line = L(1), .has = {"421"}},
    /* ... also later in the session, and where an alt had no branch for it. */
    {"verdict_skip_and_inconclusive", ALT_BODY, GREET_EHLO "< 421 4.7.0 closing\\r\\n\nclose\n",
     2000, .want = V_INCONCLUSIVE, .line = L(3)},

    /* verdict_error_no_greeting */
    {"verdict_error_no_greeting", BASIC_BODY, "silent\n", 300, .want = V_ERROR, .line = L(1),
     .has = {"no greeting within 300 ms"}, .min_ms = 300, .max_ms = 800},
    {"verdict_error_no_greeting", BASIC_BODY, "close\n", 2000, .want = V_ERROR, .line = L(1),
     .has = {"closed before any greeting"}, .max_ms = 999},

    /* expect_silence: the window, not the 5 s timeout */
    {"expect_silence", SILENCE_BODY, GREET, 5000, .want = V_PASS, .min_ms = 300, .max_ms = 700},
    {"expect_silence", SILENCE_BODY, GREET "sleep 50\n< 250 surprise\\r\\n\n", 5000,
     .want = V_FAIL, .line = L(2), .has = {"got reply 250"}, .max_ms = 300},
    /* Bytes that came with the greeting break the silence too. */
    {"expect_silence", SILENCE_BODY, "< 220 peer\\r\\n250 early\\r\\n\n", 5000, .want = V_FAIL,
     .line = L(2)},
    /* A close is not silence. */
    {"expect_silence", SILENCE_BODY, GREET "close\n", 5000, .want = V_FAIL, .line = L(2),
     .has = {"connection closed"}},

    /* expect_alone; without alone the same bytes are fine */
    {"expect_alone", "expect reply 220 alone\n", "< 220 ready\\r\\nEXTRA\n", 2000, .want = V_FAIL,
     .line = L(1), .has = {"5 more bytes arrived with the reply: \"EXTRA\""}},
    {"expect_alone", "expect reply 220\n", "< 220 ready\\r\\nEXTRA\n", 2000, .want = V_PASS},
    {"expect_alone", "expect reply 220 alone\n", "< 220 ready\\r\\n\n", 2000, .want = V_PASS},

    /* expect_strict */
    {"expect_strict", STRICT_BODY, GREET "> EHLO\n< 250-peer\\n250 STARTTLS\\r\\n\n", 2000,
     .want = V_FAIL, .line = L(3), .has = {"bare LF"}},
    {"expect_strict", STRICT_BODY, GREET "> EHLO\n< 251-peer\\r\\n250 STARTTLS\\r\\n\n", 2000,
     .want = V_FAIL, .line = L(3), .has = {"mixed codes"}}, /* final code 250 */
    {"expect_strict", STRICT_BODY, "< 220 peer\\n\n", 2000, .want = V_FAIL, .line = L(1),
     .has = {"bare LF"}},
    /* The same deviations pass without strict ... */
    {"expect_strict", "expect reply 220\nsend \"EHLO ${helo}\\r\\n\"\nexpect reply 250\n",
     GREET "> EHLO\n< 250-peer\\n250 STARTTLS\\r\\n\n", 2000, .want = V_PASS},
    /* ... and a clean reply passes with it. */
    {"expect_strict", STRICT_BODY, GREET "> EHLO\n< 250-peer\\r\\n250 STARTTLS\\r\\n\n", 2000,
     .want = V_PASS},

    /* tls_fail_expected: a peer that answers the ClientHello with text */
    {"tls_fail_expected", TLS_FAIL_BODY,
     STARTTLS_PRELUDE "< this is not a ServerHello\\r\\n\nclose\n", 2000, .want = V_PASS,
     .max_ms = 1499, .tls = 1},
    /* expect tls ok against the same peer: FAIL at that line, with why */
    {"tls_fail_expected", TLS_OK_BODY, STARTTLS_PRELUDE "< this is not a ServerHello\\r\\n\nclose\n",
     2000, .want = V_FAIL, .line = L(7), .has = {"TLS handshake failed"}},
    /* no expectation after tls: the failed handshake fails at the tls line */
    {"tls_fail_expected", TLS_PRELUDE_BODY "send \"EHLO x\\r\\n\"\n",
     STARTTLS_PRELUDE "< this is not a ServerHello\\r\\n\nclose\n", 2000, .want = V_FAIL,
     .line = L(6), .has = {"TLS handshake failed"}},

    /* hostile peers: each ends in ERROR or FAIL within its deadline */
    {"hostile_silent", BASIC_BODY, "silent\n", HOSTILE_TIMEOUT, true, V_ERROR, L(1),
     .has = {"no greeting"}},
    /* "220 aaaa..." one byte every 100 ms, never a line end */
    {"hostile_drip", BASIC_BODY, "< 220 \ndrip\n", HOSTILE_TIMEOUT, true, V_ERROR, L(1),
     .has = {"reply still incomplete"}},
    {"hostile_endless_line", BASIC_BODY, "< 220 \nflood 1048576 A\n", HOSTILE_TIMEOUT, true,
     V_FAIL, L(1), .has = {"hostile input"}},
    {"hostile_endless_multiline", BASIC_BODY, GREET_EHLO "flood 0 250-x\\r\\n\n", HOSTILE_TIMEOUT,
     true, V_FAIL, L(3), .has = {"hostile input"}},
    /* the three below fail at TLS_BODY's "expect tls ok" */
    {"hostile_hangup_mid_handshake", TLS_BODY, STARTTLS_PRELUDE "close\n", HOSTILE_TIMEOUT, true,
     V_FAIL, L(7), .has = {"TLS handshake failed"}},
    {"hostile_silent_mid_handshake", TLS_BODY, STARTTLS_PRELUDE "silent\n", HOSTILE_TIMEOUT,
     true, V_FAIL, L(7), .has = {"TLS handshake failed"}},
    {"hostile_garbage", BASIC_BODY, "garbage\n", HOSTILE_TIMEOUT, true, V_FAIL, L(1),
     .has = {"expected reply 220"}},
    {"hostile_plaintext_instead_of_serverhello", TLS_BODY,
     STARTTLS_PRELUDE "< 250-stark.test\\r\\n250 STARTTLS\\r\\n\n", HOSTILE_TIMEOUT, true, V_FAIL,
     L(7), .has = {"TLS handshake failed"}},
};

static void check_case(const struct exec_case *c, size_t row)
{
	struct result r;
	play(c->body, c->peer, c->timeout_ms, &r, !c->hostile);
	ck_assert_msg(r.verdict == c->want, "%s row %zu: verdict %s, want %s: %s", c->test, row,
	              result_verdict_label(r.verdict), result_verdict_label(c->want), r.reason);
	if (c->line)
		ck_reason_prefix(&r, c->line);
	if (c->eq)
		ck_assert_str_eq(r.reason, c->eq);
	for (size_t i = 0; i < sizeof c->has / sizeof c->has[0] && c->has[i]; i++)
		ck_reason_has(&r, c->has[i]);
	if (c->min_ms)
		ck_assert_int_ge(r.elapsed_ms, c->min_ms);
	if (c->max_ms)
		ck_assert_msg(r.elapsed_ms <= c->max_ms, "%s row %zu took %lld ms: %s", c->test, row,
		              (long long)r.elapsed_ms, r.reason);
	if (c->hostile) /* past the deadline by at most half a second */
		ck_assert_int_le(r.elapsed_ms, HOSTILE_TIMEOUT + 500);
	if (c->tls) {
		ck_assert(r.has_tls);
		ck_assert(!r.tls.handshake_ok);
	}
	/* The evidence stays bounded whatever the peer sent. */
	ck_assert_uint_le(r.tr.bytes, TRANSCRIPT_MAX_BYTES);
	result_free(&r);
}

/* Every row of the named test, at least one. */
static void run_cases(const char *test)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
		if (strcmp(CASES[i].test, test) == 0) {
			check_case(&CASES[i], i);
			n++;
		}
	ck_assert_msg(n > 0, "no table rows for %s", test);
}

SUPPORT_TABLE_TEST(verdict_fail_names_line, run_cases)
SUPPORT_TABLE_TEST(alt_branches, run_cases)
SUPPORT_TABLE_TEST(alt_commits_to_first_match, run_cases)
SUPPORT_TABLE_TEST(verdict_skip_and_inconclusive, run_cases)
SUPPORT_TABLE_TEST(verdict_error_no_greeting, run_cases)
SUPPORT_TABLE_TEST(expect_silence, run_cases)
SUPPORT_TABLE_TEST(expect_alone, run_cases)
SUPPORT_TABLE_TEST(expect_strict, run_cases)
SUPPORT_TABLE_TEST(tls_fail_expected, run_cases)
SUPPORT_TABLE_TEST(hostile_silent, run_cases)
SUPPORT_TABLE_TEST(hostile_drip, run_cases)
SUPPORT_TABLE_TEST(hostile_endless_line, run_cases)
SUPPORT_TABLE_TEST(hostile_endless_multiline, run_cases)
SUPPORT_TABLE_TEST(hostile_hangup_mid_handshake, run_cases)
SUPPORT_TABLE_TEST(hostile_silent_mid_handshake, run_cases)
SUPPORT_TABLE_TEST(hostile_garbage, run_cases)
SUPPORT_TABLE_TEST(hostile_plaintext_instead_of_serverhello, run_cases)

/* ---- the cases with checks of their own ---- */

START_TEST(verdict_pass)
{
	struct result r;
	play(BASIC_BODY,
	     "< 220 peer ESMTP\\r\\n\n> EHLO stark.test\\r\\n\n"
	     "< 250-peer\\r\\n250-PIPELINING\\r\\n250 STARTTLS\\r\\n\n> QUIT\\r\\n\n< 221 bye\\r\\n\n",
	     2000, &r, true);
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

START_TEST(verdict_error_refused)
{
	char port[16];
	support_closed_port(port);
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

/* ---- TLS against the reference target ---- */

static void ref_stop(struct refsrv *srv)
{
	refsrv_stop(srv);
	wtls_thread_cleanup();
}

START_TEST(tls_against_refsrv)
{
	char port[16];
	struct refsrv *srv = support_refsrv_start(NULL, port);
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	const char *ca = refsrv_ca_pem(srv);
	ck_assert_int_eq(wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca)), 0);
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
	ref_stop(srv);
}
END_TEST

/* body against a fresh reference target, servername localhost, no CA. */
static void ref_play(const char *body, struct result *r)
{
	char port[16];
	struct refsrv *srv = support_refsrv_start(NULL, port);
	struct exec_opts o = opts(port, 3000);
	o.servername = "localhost";
	struct scenario *s = parse_body(body);
	exec_run(s, &o, r);
	scenario_free(s);
	ref_stop(srv);
}

START_TEST(tls_ok_expected_but_fail_seen)
{
	/* expect tls fail after a good handshake: FAIL naming the facts */
	struct result r;
	ref_play(TLS_FAIL_BODY, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(7));
	ck_reason_has(&r, "TLS handshake succeeded");
	result_free(&r);
}
END_TEST

START_TEST(silence_inside_tls13)
{
	/* A TLS 1.3 server sends a session ticket after the handshake: the
	 * socket turns readable without one application byte. That is still
	 * silence (regression: the window used to end at readability and the
	 * next expectation then waited out the whole timeout). */
	struct result r;
	ref_play(TLS_PRELUDE_BODY "expect tls ok\nexpect silence 200ms\nsend \"NOOP\\r\\n\"\n"
	                          "expect reply 250\n",
	         &r);
	ck_verdict(&r, V_PASS);
	ck_assert_str_eq(r.tls.version, "TLSv1.3");
	ck_assert_int_lt(r.elapsed_ms, 2000);
	result_free(&r);
}
END_TEST

/* ---- profile, interruption, mirror ---- */

START_TEST(profile_skip)
{
	char port[16];
	support_closed_port(port); /* a SKIP must not even connect: the port is closed */
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

START_TEST(interrupted)
{
	struct scenario *s = parse_body(BASIC_BODY);
	struct support_peer *p = support_peer_start("silent\n");
	struct exec_opts o = opts(p->portstr, 10000);
	stop_flag = 0;
	o.stop = &stop_flag;
	pthread_t t = support_stop_later(&stop_flag, 150, NULL);
	struct result r;
	exec_run(s, &o, &r);
	support_thread_join(t, 5000);
	support_peer_join(p);
	ck_verdict(&r, V_ERROR);
	ck_reason_has(&r, "interrupted");
	ck_assert_int_le(r.elapsed_ms, 150 + 400);
	result_free(&r);
	support_peer_free(p);
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
	support_socketpair(sv, 5);
	struct mirror m = {.fd = sv[1]};
	pthread_t t = support_thread_start(mirror_peer, &m);
	struct scenario *s = parse_body(BASIC_BODY);
	struct exec_opts o = opts("0", 2000);
	struct result r;
	exec_run_fd(s, &o, sv[0], &r); /* takes sv[0] */
	support_thread_join(t, 10000);
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
	scenario_diag_free(&d);
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
	/* the NOOP is read by the TLS library as a record header */
	static const char correct[] =
	    "< 220 peer ESMTP\\r\\n\n> EHLO stark.test\\r\\n\n"
	    "< 250-peer\\r\\n250-PIPELINING\\r\\n250 STARTTLS\\r\\n\n"
	    "> STARTTLS\\r\\n\n> NOOP\\r\\n\n"
	    "< 220 2.0.0 Ready to start TLS\\r\\n\\x15\\x03\\x03\\x00\\x02\\x02\\x16\n"
	    "close\n";
	struct scenario *s = load_shipped("s09b-injection-separate-segment");
	struct support_peer *p = support_peer_start(correct);
	struct exec_opts o = opts(p->portstr, 1000);
	struct result r;
	exec_run(s, &o, &r);
	support_peer_join(p);
	ck_assert_msg(p->failed[0] == '\0', "%s", p->failed);
	ck_assert_msg(r.verdict == V_PASS, "a correct server is %s: %s", result_verdict_label(r.verdict),
	              r.reason);
	result_free(&r);
	support_peer_free(p);
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
static const char refuse_and_close[] = "< 220 peer ESMTP\\r\\n\n"
                                       "> XYZZY\\r\\n\n"
                                       "< 500 Too many syntax or protocol errors\\r\\n\n"
                                       "close\n";

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
	static const char script[] = "< 220 peer ESMTP\\r\\n\n"
	                             "> STARTTLS\\r\\n\n"
	                             "< 220 go ahead\\r\\n\n"
	                             "close\n";
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

#define EHLO_PRELUDE "< 220 peer ESMTP\\r\\n\n> EHLO stark.test\\r\\n\n< 250-peer\\r\\n250 STARTTLS\\r\\n\n"

/* Play a shipped scenario against script; the script must run as written. */
static void play_shipped(const char *name, const char *script, struct result *r)
{
	struct scenario *s = load_shipped(name);
	struct support_peer *p = support_peer_start(script);
	struct exec_opts o = opts(p->portstr, 2000);
	exec_run(s, &o, r);
	support_peer_join(p);
	ck_assert_msg(p->failed[0] == '\0', "%s (verdict %s: %s)", p->failed, result_verdict_label(r->verdict),
	              r->reason);
	support_peer_free(p);
	scenario_free(s);
}

START_TEST(s19_close_without_reply_fails)
{
	static const char script[] = EHLO_PRELUDE "> XYZZY\\r\\n\nclose\n";
	struct result r;
	play_shipped("s19a-junk-unknown-verb", script, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "closed the connection without a reply to an unknown verb");
	result_free(&r);
}
END_TEST

START_TEST(s19_accepted_junk_fails)
{
	static const char script[] = EHLO_PRELUDE "> XYZZY\\r\\n\n< 250 ok\\r\\n\n";
	struct result r;
	play_shipped("s19a-junk-unknown-verb", script, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "accepted an unknown verb instead of refusing it with 5xx");
	result_free(&r);
}
END_TEST

START_TEST(s19_defensive_close_passes_with_note)
{
	static const char script[] = EHLO_PRELUDE "> XYZZY\\r\\n\n"
	                             "< 500 Too many syntax or protocol errors\\r\\n\nclose\n";
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
	static const char script[] = EHLO_PRELUDE "> AAAA\\r\\n\n"
	                             "< 500 line too long\\r\\n500 unknown command\\r\\n\n";
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
	char *script = xasprintf("< 220 peer ESMTP\\r\\n\n"
	                         "> EHLO stark.test\\r\\n\n"
	                         "< 250-peer\\r\\n250-AUTH PLAIN LOGIN\\r\\n250 STARTTLS\\r\\n\n"
	                         "> AUTH PLAIN AHN0YXJrLXByb2Jl\n"
	                         "< %s\n%s",
	                         reply, quit ? "> QUIT\\r\\n\n< 221 bye\\r\\n\n" : "");
	play_shipped("s12-no-auth-before-tls", script, r);
	free(script);
}

START_TEST(s12_refused_auth_passes_with_note)
{
	static const char *const refusals[] = {"538 5.7.11 Must issue a STARTTLS command first\\r\\n",
	                                       "530 5.7.0 Must issue a STARTTLS command first\\r\\n",
	                                       "503 5.5.1 Error: authentication not enabled\\r\\n"};
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
	s12_against("235 2.7.0 Authentication successful\\r\\n", false, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "accepted AUTH PLAIN in clear");
	result_free(&r);
	s12_against("535 5.7.8 Authentication credentials invalid\\r\\n", false, &r);
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
	char *script = xasprintf(EHLO_PRELUDE "> MAIL FROM:<stark@stark.test>\\r\\n\n"
	                         "< 250 ok\\r\\n\n"
	                         "> RCPT TO:<postmaster@127.0.0.1>\\r\\n\n"
	                         "< 250 ok\\r\\n\n"
	                         "> DATA\\r\\n\n"
	                         "< 354 go ahead\\r\\n\n"
	                         "> first message\\n.\\r\\nMAIL FROM:\n"
	                         "> smuggled message\\r\\n.\\r\\n\n"
	                         "< %s\n%s",
	                         after_body, quit ? "> QUIT\\r\\n\n< 221 bye\\r\\n\n" : "");
	play_shipped("s21-smuggling-lf-dot-crlf", script, r);
	free(script);
}

START_TEST(s21_one_message_passes)
{
	struct result r;
	s21_against("250 queued as ONE\\r\\n", true, &r);
	ck_verdict(&r, V_PASS);
	result_free(&r);
}
END_TEST

START_TEST(s21_smuggled_message_fails)
{
	/* <LF>.<CR><LF> ended the first message (CVE-2023-51764): the
	 * smuggled MAIL, RCPT, DATA and message each got their reply. */
	struct result r;
	s21_against("250 queued as ONE\\r\\n250 ok\\r\\n250 ok\\r\\n354 go ahead\\r\\n250 queued as TWO\\r\\n",
	            false, &r);
	ck_verdict(&r, V_FAIL);
	ck_reason_has(&r, "ended DATA on <LF>.<CR><LF>");
	ck_reason_has(&r, "250 ok");
	result_free(&r);
}
END_TEST

/* ---- a handshake stark cannot make ---- */

/* An MTA whose only suite is static-RSA AES128-SHA (0x002F), which Debian's
 * wolfSSL lacks: every ClientHello without it gets handshake_failure; one
 * that offers it gets a ServerHello choosing it (like an OpenSSL server
 * with only kRSA suites). static_rsa false: every hello is refused. Serves
 * connections one after another, each closed after its answer, until the
 * listener is shut down. */
struct rsa_peer {
	int lfd;
	bool static_rsa;
	int served, chose;
};

static bool peer_read_line(int fd, char *line, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		if (read(fd, line + n, 1) != 1)
			return false;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	return true;
}

static bool peer_read_full(int fd, uint8_t *b, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = read(fd, b + got, n - got);
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

static void rsa_peer_session(struct rsa_peer *p, int fd)
{
	static const char greet[] = "220 peer ESMTP\r\n", ehlo[] = "250-peer\r\n250 STARTTLS\r\n";
	char line[512];
	if (write(fd, greet, sizeof greet - 1) < 0)
		return;
	for (;;) {
		if (!peer_read_line(fd, line, sizeof line))
			return;
		if (strncasecmp(line, "EHLO", 4) == 0) {
			if (write(fd, ehlo, sizeof ehlo - 1) < 0)
				return;
		} else if (strncasecmp(line, "STARTTLS", 8) == 0) {
			if (write(fd, "220 go\r\n", 8) < 0)
				return;
			break;
		} else {
			ssize_t w = write(fd, "221 bye\r\n", 9); /* QUIT, or anything else: done */
			(void)w;
			return;
		}
	}
	/* the ClientHello: record header, handshake header, version, random,
	 * session id, then the suite list */
	uint8_t rec[5 + 16384];
	if (!peer_read_full(fd, rec, 5))
		return;
	size_t len = (size_t)rec[3] << 8 | rec[4];
	if (len > 16384 || !peer_read_full(fd, rec + 5, len) || len < 4 + 2 + 32 + 1)
		return;
	const uint8_t *h = rec + 5 + 4;
	size_t off = 2 + 32;
	off += 1 + h[off];
	size_t ns = (size_t)h[off] << 8 | h[off + 1];
	bool offered = false;
	for (size_t k = 0; k + 1 < ns && off + 2 + k + 1 < len; k += 2)
		offered |= h[off + 2 + k] == 0x00 && h[off + 2 + k + 1] == 0x2F;
	if (p->static_rsa && offered) {
		/* version, zero random, empty session id, the suite, null compression */
		uint8_t sh[5 + 4 + 38] = {0x16, 3, 3, 0, 4 + 38, 2, 0, 0, 38, 3, 3};
		sh[5 + 4 + 2 + 32 + 1 + 1] = 0x2F;
		p->chose++;
		if (write(fd, sh, sizeof sh) < 0)
			return;
	} else {
		static const uint8_t alert[] = {0x15, 3, 3, 0, 2, 2, 40};
		if (write(fd, alert, sizeof alert) < 0)
			return;
	}
	/* and hang up, as servers do after a fatal alert (the next client waits) */
}

static void *rsa_peer_main(void *arg)
{
	struct rsa_peer *p = arg;
	int fd;
	while ((fd = accept(p->lfd, NULL, NULL)) >= 0) {
		struct timeval tv = {.tv_sec = 5};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		p->served++;
		rsa_peer_session(p, fd);
		close(fd);
	}
	return NULL;
}

static void rsa_play(const char *body, bool static_rsa, struct result *r, struct rsa_peer *p)
{
	char port[16];
	*p = (struct rsa_peer){.lfd = support_listen(port), .static_rsa = static_rsa};
	pthread_t t = support_thread_start(rsa_peer_main, p);
	struct scenario *s = parse_body(body);
	struct exec_opts o = opts(port, 3000);
	exec_run(s, &o, r);
	shutdown(p->lfd, SHUT_RDWR);
	support_thread_join(t, 10000);
	close(p->lfd);
	scenario_free(s);
}

START_TEST(unnegotiable_is_error_not_fail)
{
	/* stark's hello refused, a static-RSA hello accepted: stark's limitation */
	struct result r;
	struct rsa_peer p;
	rsa_play(TLS_OK_BODY, true, &r, &p);
	ck_verdict(&r, V_ERROR);
	ck_reason_prefix(&r, L(6));
	ck_reason_has(&r, "stark cannot negotiate with this target: it accepts AES128-SHA");
	ck_reason_has(&r, "lacks static RSA key exchange");
	ck_assert_int_eq(p.chose, 1);
	result_free(&r);
}
END_TEST

START_TEST(refused_by_everyone_still_fails)
{
	/* the same refusal, but the static-RSA hello is refused too: the target's doing */
	struct result r;
	struct rsa_peer p;
	rsa_play(TLS_OK_BODY, false, &r, &p);
	ck_verdict(&r, V_FAIL);
	ck_reason_prefix(&r, L(7));
	ck_reason_has(&r, "handshake_failure");
	ck_assert_int_ge(p.served, 2); /* the raw hellos did ask */
	result_free(&r);
	/* a scenario that expects the refusal judges it as before */
	rsa_play(TLS_FAIL_BODY, true, &r, &p);
	ck_verdict(&r, V_PASS);
	ck_assert_int_eq(p.served, 1);
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
	tcase_add_test(tc, unnegotiable_is_error_not_fail);
	tcase_add_test(tc, refused_by_everyone_still_fails);
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

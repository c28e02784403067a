/* SPDX-License-Identifier: MIT */
/*
 * check_serve: stark serve's own guarantees (exec_serve + trigger), with
 * real processes on loopback: a trigger that never connects is an ERROR
 * that says so, a client that hangs costs at most the deadline and is
 * killed, the STARK_* environment reaches the trigger, and its exit status
 * and output are recorded beside the transcript; a background process that
 * keeps the output open costs no more than the deadline, and the stop flag
 * (SIGINT) ends a serve within a few hundred milliseconds. expect sni
 * (P-12) against a real TLS client (openssl s_client): the right name, none
 * and another name are three distinct results, and the transcript names it;
 * tls with-ca puts stark's CA on the wire after the leaf.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "exec.h"
#include "scenario.h"
#include "support.h"
#include "util.h"

#define TIMEOUT_MS 600

static const char BODY[] = "scenario client/t\n"
                           "target client\n"
                           "summary t\n"
                           "catalog C-01\n"
                           "severity info\n"
                           "\n"
                           "send \"220 ${servername} ESMTP\\r\\n\"\n" /* line 7 */
                           "expect command EHLO\n"                    /* line 8 */
                           "send \"250 ${servername}\\r\\n\"\n"
                           "expect command QUIT\n"
                           "send \"221 bye\\r\\n\"\n"
                           "verify trigger ok\n";                    /* line 12 */

static struct cert_set *certs;

static void serve_opts(const char *trigger, int64_t timeout_ms, const volatile sig_atomic_t *stop,
                       struct result *r)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse("t.scn", (const uint8_t *)BODY, sizeof BODY - 1, &d);
	ck_assert_msg(s != NULL, "%s", d.n ? d.msgs[0] : "parse failed");
	struct exec_opts o = {
	    .servername = "localhost",
	    .helo = "stark.test",
	    .timeout_ms = timeout_ms,
	    .stop = stop,
	    .profile = "require-tls",
	    .trigger = trigger,
	    .listen_host = "127.0.0.1",
	    .listen_port = "0",
	    .ca_path = "/nonexistent/stark-ca.pem",
	    .certs = certs,
	};
	exec_serve(s, &o, r);
	scenario_free(s);
	scenario_diag_free(&d);
}

static void serve(const char *trigger, struct result *r)
{
	serve_opts(trigger, TIMEOUT_MS, NULL, r);
}

static bool has_note(const struct result *r, const char *needle)
{
	for (size_t i = 0; i < r->tr.n; i++)
		if (r->tr.ev[i].dir == TDIR_NOTE && strstr((const char *)r->tr.ev[i].data, needle))
			return true;
	return false;
}

/* A minimal SMTP client: reads the greeting, EHLO, QUIT. bash's /dev/tcp,
 * not an interpreter: these tests time the client against a 600 ms
 * deadline, so it must be connected within a few milliseconds even on a
 * loaded machine. */
#define SH_CONNECT "exec 3<>/dev/tcp/$STARK_HOST/$STARK_PORT; "
#define SH_CLIENT                                                                          \
	"bash -c '" SH_CONNECT "read -r l <&3; printf \"EHLO c\\r\\n\" >&3; read -r l <&3; "  \
	"printf \"QUIT\\r\\n\" >&3; read -r l <&3'"

START_TEST(trigger_exits_without_connecting)
{
	struct result r;
	serve("exit 3", &r);
	ck_assert_int_eq(r.verdict, V_ERROR);
	ck_assert_msg(strstr(r.reason, "exited with status 3 without connecting") != NULL, "%s",
	              r.reason);
	ck_assert(r.has_trigger);
	ck_assert_int_eq(r.trigger_status, 3);
	ck_assert_int_lt(r.elapsed_ms, TIMEOUT_MS + 500);
	result_free(&r);
}
END_TEST

START_TEST(trigger_never_connects)
{
	struct result r;
	int64_t t0 = mono_ms();
	serve("sleep 30", &r);
	int64_t took = mono_ms() - t0;
	ck_assert_int_eq(r.verdict, V_ERROR);
	ck_assert_msg(strstr(r.reason, "did not connect within 600 ms") != NULL, "%s", r.reason);
	/* the sleeping trigger was killed: waiting for the connection and for
	 * the trigger each cost at most the deadline */
	ck_assert_int_le(took, 2 * TIMEOUT_MS + 700);
	ck_assert(r.has_trigger);
	ck_assert_int_eq(r.trigger_status, 128 + 9);
	result_free(&r);
}
END_TEST

START_TEST(client_hangs_after_connecting)
{
	struct result r;
	int64_t t0 = mono_ms();
	serve("exec bash -c '" SH_CONNECT "exec sleep 30'", &r);
	int64_t took = mono_ms() - t0;
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_msg(strncmp(r.reason, "line 8: ", 8) == 0, "%s", r.reason);
	ck_assert_msg(strstr(r.reason, "sent nothing within 600 ms") != NULL, "%s", r.reason);
	ck_assert_int_le(took, 2 * TIMEOUT_MS + 700);
	ck_assert_int_eq(r.trigger_status, 128 + 9);
	result_free(&r);
}
END_TEST

START_TEST(environment_status_and_output)
{
	struct result r;
	serve("echo \"scenario=$STARK_SCENARIO name=$STARK_SERVERNAME ca=$STARK_CA\"; " SH_CLIENT,
	      &r);
	ck_assert_msg(r.verdict == V_PASS, "%s", r.reason);
	ck_assert(r.has_trigger);
	ck_assert_int_eq(r.trigger_status, 0);
	ck_assert_ptr_nonnull(r.trigger_output);
	ck_assert_msg(strstr(r.trigger_output,
	                     "scenario=client/t name=localhost ca=/nonexistent/stark-ca.pem") != NULL,
	              "%s", r.trigger_output);
	result_free(&r);
}
END_TEST

START_TEST(trigger_failure_is_verified)
{
	/* the exchange succeeds, then the client reports failure: the
	 * scenario's `verify trigger ok` (line 12) fails on its status */
	struct result r;
	serve(SH_CLIENT "; exit 5", &r);
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_msg(strncmp(r.reason, "line 12: ", 9) == 0, "%s", r.reason);
	ck_assert_msg(strstr(r.reason, "status 5") != NULL, "%s", r.reason);
	result_free(&r);
}
END_TEST

/* A background process that left the trigger's process group (setsid, as
 * daemons do) holds the output pipe after the client quit: reading it to
 * EOF would last as long as that process. It writes a line every 100 ms
 * for at most 10 s, and dies of SIGPIPE once stark stops reading. The
 * client starts once the file "up" says the process has left the group
 * (else stark's kill of the group could still reach it). */
#define SH_BACKGROUND                                                                         \
	"d=$(mktemp -d); "                                                                     \
	"setsid sh -c ': >\"$1/up\"; i=0; while [ $i -lt 100 ] && echo bg; do sleep 0.1; "     \
	"i=$((i+1)); done' sh \"$d\" & "                                                        \
	"while [ ! -e \"$d/up\" ]; do sleep 0.01; done; rm -r \"$d\"; "

START_TEST(background_process_keeps_output_open)
{
	struct result r;
	int64_t t0 = mono_ms();
	serve(SH_BACKGROUND SH_CLIENT, &r);
	int64_t took = mono_ms() - t0;
	/* the exchange was right and the client exited 0 */
	ck_assert_msg(r.verdict == V_PASS, "%s", r.reason);
	ck_assert_int_eq(r.trigger_status, 0);
	ck_assert_int_lt(took, TIMEOUT_MS + 700);
	ck_assert(has_note(&r, "trigger output cut: a background process kept it open"));
	ck_assert_ptr_nonnull(r.trigger_output);
	ck_assert_msg(strstr(r.trigger_output, "bg\n") != NULL, "%s", r.trigger_output);
	result_free(&r);
}
END_TEST

/* SIGINT while the client hangs mid-exchange: the read and the wait for
 * the trigger both end, well before the 10 s deadline. */
START_TEST(stop_during_exchange)
{
	volatile sig_atomic_t stop = 0;
	struct result r;
	int64_t set_at;
	pthread_t th = support_stop_later(&stop, 100, &set_at);
	serve_opts("exec bash -c '" SH_CONNECT "exec sleep 30'", 10000, &stop, &r);
	int64_t back = mono_ms();
	support_thread_join(th, 1000);
	ck_assert_int_eq(r.verdict, V_ERROR);
	ck_assert_msg(strstr(r.reason, "interrupted") != NULL, "%s", r.reason);
	/* the conn looks at the flag every 100 ms; the thread's own lateness
	 * on a loaded machine is not stark's */
	ck_assert_int_lt(back - set_at, 200);
	ck_assert_int_eq(r.trigger_status, 128 + 9);
	ck_assert(has_note(&r, "trigger killed: interrupted"));
	result_free(&r);
}
END_TEST

/* SIGINT after the exchange (which takes a few milliseconds), while the
 * client lingers before exiting: the wait for it ends at once, and its
 * status (our SIGKILL) is not verified. */
START_TEST(stop_while_waiting_for_trigger)
{
	volatile sig_atomic_t stop = 0;
	struct result r;
	int64_t set_at;
	pthread_t th = support_stop_later(&stop, 400, &set_at);
	serve_opts(SH_CLIENT "; sleep 30", 10000, &stop, &r);
	int64_t back = mono_ms();
	support_thread_join(th, 1000);
	ck_assert_int_eq(r.verdict, V_ERROR);
	ck_assert_str_eq(r.reason, "interrupted while waiting for the trigger to exit");
	ck_assert_int_lt(back - set_at, 200);
	ck_assert_int_eq(r.trigger_status, 128 + 9);
	result_free(&r);
}
END_TEST

/* expect sni: the three outcomes of one alt, each its own verdict. */
static const char SNI_BODY[] = "scenario client/sni\n"
                               "target client\n"
                               "summary t\n"
                               "catalog P-12\n"
                               "severity info\n"
                               "\n"
                               "send \"220 ${servername} ESMTP\\r\\n\"\n"
                               "expect command EHLO\n"
                               "send \"250-${servername}\\r\\n250 STARTTLS\\r\\n\"\n"
                               "expect command STARTTLS\n"
                               "send \"220 go ahead\\r\\n\"\n"
                               "tls\n"
                               "expect tls ok\n"
                               "alt {\n"
                               "    expect sni \"${servername}\"\n"
                               "} or {\n"
                               "    expect sni none\n" /* line 17 */
                               "    fail \"sent no SNI\"\n"
                               "} or {\n"
                               "    expect sni any\n"
                               "    fail \"sent SNI for another name\"\n" /* line 21 */
                               "}\n";

/* SNI_BODY (with_ca: its tls step sends stark's CA too) against openssl
 * s_client with sni_opt; with_ca: the trigger prints how many certificates
 * it was shown. */
static void serve_sni_ca(const char *sni_opt, bool with_ca, struct result *r)
{
	struct scn_diag d = {0};
	char *body = xstrdup(SNI_BODY);
	if (with_ca) {
		char *t = strstr(body, "tls\nexpect tls ok");
		ck_assert_ptr_nonnull(t);
		char *nb = xasprintf("%.*stls with-ca%s", (int)(t - body), body, t + 3);
		free(body);
		body = nb;
	}
	struct scenario *s = scenario_parse("sni.scn", (const uint8_t *)body, strlen(body), &d);
	free(body);
	ck_assert_msg(s != NULL, "%s", d.n ? d.msgs[0] : "parse failed");
	char trigger[512];
	snprintf(trigger, sizeof trigger,
	         "openssl s_client %s -starttls smtp -connect \"$STARK_HOST:$STARK_PORT\" %s "
	         "</dev/null 2>/dev/null %s",
	         with_ca ? "-showcerts" : "-quiet", sni_opt,
	         with_ca ? "| echo \"certificates: $(grep -c 'BEGIN CERTIFICATE')\"" : ">/dev/null");
	struct exec_opts o = {
	    .servername = "localhost",
	    .helo = "stark.test",
	    .timeout_ms = 10000, /* openssl starts in well under that, even on a loaded machine */
	    .profile = "require-tls",
	    .trigger = trigger,
	    .listen_host = "127.0.0.1",
	    .listen_port = "0",
	    .ca_path = "/nonexistent/stark-ca.pem",
	    .certs = certs,
	};
	exec_serve(s, &o, r);
	scenario_free(s);
	scenario_diag_free(&d);
}

static void serve_sni(const char *sni_opt, struct result *r)
{
	serve_sni_ca(sni_opt, false, r);
}

START_TEST(with_ca_sends_the_ca)
{
	/* tls with-ca: leaf and stark's CA on the wire (DANE-TA anchors) */
	struct result r;
	serve_sni_ca("-servername localhost", true, &r);
	ck_assert_msg(r.verdict == V_PASS, "%s", r.reason);
	ck_assert_ptr_nonnull(r.trigger_output);
	ck_assert_msg(strstr(r.trigger_output, "certificates: 2") != NULL, "%s", r.trigger_output);
	result_free(&r);
	serve_sni_ca("-servername localhost", false, &r);
	ck_assert_msg(r.verdict == V_PASS, "%s", r.reason);
	result_free(&r);
}
END_TEST

START_TEST(sni_right_name)
{
	struct result r;
	serve_sni("-servername LOCALHOST", &r); /* names compare without regard to case */
	ck_assert_msg(r.verdict == V_PASS, "%s", r.reason);
	ck_assert(has_note(&r, "client SNI \"LOCALHOST\""));
	ck_assert_str_eq(r.tls.client_sni, "LOCALHOST");
	result_free(&r);
}
END_TEST

START_TEST(sni_absent)
{
	struct result r;
	serve_sni("-noservername", &r);
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_msg(strstr(r.reason, "line 18: sent no SNI") != NULL, "%s", r.reason);
	ck_assert(has_note(&r, "client SNI: none"));
	result_free(&r);
}
END_TEST

START_TEST(sni_other_name)
{
	struct result r;
	serve_sni("-servername mx.other.test", &r);
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_msg(strstr(r.reason, "line 21: sent SNI for another name") != NULL, "%s", r.reason);
	ck_assert(has_note(&r, "client SNI \"mx.other.test\""));
	result_free(&r);
}
END_TEST

/* Made before each test, so that no test's timing includes key generation. */
static void setup(void)
{
	certs = cert_set_new("localhost");
}

static void teardown(void)
{
	cert_set_free(certs);
	certs = NULL;
}

Suite *serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("trigger");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, trigger_exits_without_connecting);
	tcase_add_test(tc, trigger_never_connects);
	tcase_add_test(tc, client_hangs_after_connecting);
	tcase_add_test(tc, environment_status_and_output);
	tcase_add_test(tc, trigger_failure_is_verified);
	tcase_add_test(tc, background_process_keeps_output_open);
	tcase_add_test(tc, stop_during_exchange);
	tcase_add_test(tc, stop_while_waiting_for_trigger);
	suite_add_tcase(s, tc);
	TCase *sni = tcase_create("sni");
	tcase_add_checked_fixture(sni, setup, teardown);
	tcase_set_timeout(sni, 60);
	tcase_add_test(sni, sni_right_name);
	tcase_add_test(sni, sni_absent);
	tcase_add_test(sni, sni_other_name);
	tcase_add_test(sni, with_ca_sends_the_ca);
	suite_add_tcase(s, sni);
	return s;
}

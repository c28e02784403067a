/* SPDX-License-Identifier: MIT */
/*
 * check_serve: stark serve's own guarantees (exec_serve + trigger), with
 * real processes on loopback: a trigger that never connects is an ERROR
 * that says so, a client that hangs costs at most the deadline and is
 * killed, the STARK_* environment reaches the trigger, and its exit status
 * and output are recorded beside the transcript.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "exec.h"
#include "scenario.h"
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

static void serve(const char *trigger, struct result *r)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse("t.scn", (const uint8_t *)BODY, sizeof BODY - 1, &d);
	ck_assert_msg(s != NULL, "%s", d.n ? d.msgs[0] : "parse failed");
	if (certs == NULL)
		certs = cert_set_new("localhost");
	struct exec_opts o = {
	    .servername = "localhost",
	    .helo = "stark.test",
	    .timeout_ms = TIMEOUT_MS,
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

static void teardown(void)
{
	cert_set_free(certs);
	certs = NULL;
}

Suite *serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("trigger");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, trigger_exits_without_connecting);
	tcase_add_test(tc, trigger_never_connects);
	tcase_add_test(tc, client_hangs_after_connecting);
	tcase_add_test(tc, environment_status_and_output);
	tcase_add_test(tc, trigger_failure_is_verified);
	suite_add_tcase(s, tc);
	return s;
}

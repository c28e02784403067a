/* SPDX-License-Identifier: MIT */
/*
 * check_preconditions: one cause, one failure. The whole server suite through the
 * runner against the reference target with one broken precondition (no
 * STARTTLS on the listener; no TLS version in common): exactly the provider
 * FAILs, every dependant that failed because of it is a SKIP naming it
 * (blocked_by), what is judged without it stands, the terminal summary
 * leads with the root cause; and runner_load refuses a requires/provides
 * cycle. Public function: preconditions_suite().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refsrv.h"
#include "report.h"
#include "result.h"
#include "runner.h"
#include "support.h"
#include "util.h"
#include "wtls.h"

#ifndef STARK_SOURCE_DIR
#define STARK_SOURCE_DIR "."
#endif

/* The server suite against a reference target started with o. */
static void run_server_suite(const struct refsrv_opts *o, struct run *run)
{
	char *paths[] = {STARK_SOURCE_DIR "/scenarios/server"};
	struct scenario **scn;
	size_t n;
	struct scn_diag d = {0};
	ck_assert_msg(runner_load(paths, 1, &scn, &n, &d) == 0, "%s", d.n ? d.msgs[0] : "?");
	scenario_diag_free(&d);
	char port[16];
	struct refsrv *srv = support_refsrv_start(o, port);
	struct runner_opts ro = {
	    .ex = {.host = "127.0.0.1", .port = port, .servername = "localhost",
	           .helo = "stark.test", .timeout_ms = 2000, .profile = "mx"},
	    .jobs = 4,
	};
	run_init(run);
	runner_run(scn, n, &ro, run);
	refsrv_stop(srv);
	runner_free_scenarios(scn, n);
	wtls_thread_cleanup();
}

static void print_run(const struct run *run)
{
	for (size_t i = 0; i < run->n; i++)
		fprintf(stderr, "  %-5s %s %s\n", result_verdict_label(run->results[i].verdict),
		        run->results[i].id, run->results[i].reason ? run->results[i].reason : "");
}

static const struct result *find(const struct run *run, const char *id)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->results[i].id, id) == 0)
			return &run->results[i];
	ck_abort_msg("no result %s", id);
	return NULL;
}

/* Exactly root FAILs; every blocked result is a SKIP naming it with the
 * precondition name; at least min_blocked of them; no ERROR. */
static void check_one_cause(const struct run *run, const char *root, const char *name,
                            size_t min_blocked)
{
	size_t fails = 0, blocked = 0;
	bool ok = true;
	char *prefix = xasprintf("blocked: precondition %s", name);
	for (size_t i = 0; i < run->n; i++) {
		const struct result *r = &run->results[i];
		fails += r->verdict == V_FAIL;
		ok &= r->verdict != V_ERROR && (r->verdict != V_FAIL || strcmp(r->id, root) == 0);
		if (r->blocked_by) {
			blocked++;
			ok &= r->verdict == V_SKIP && strcmp(r->blocked_by, root) == 0 &&
			      strncmp(r->reason, "blocked: precondition ", 22) == 0 &&
			      strstr(r->reason, root) != NULL && r->notes != NULL &&
			      strstr(r->notes, "not judged: precondition") != NULL;
		}
	}
	if (!ok || fails != 1 || blocked < min_blocked)
		print_run(run);
	ck_assert_msg(ok, "see the results above");
	ck_assert_uint_eq(fails, 1);
	ck_assert_int_eq(find(run, root)->verdict, V_FAIL);
	ck_assert_ptr_null(find(run, root)->blocked_by);
	ck_assert_msg(blocked >= min_blocked, "only %zu blocked", blocked);
	/* both sanity runs needed it */
	ck_assert_str_eq(find(run, "server/sanity")->blocked_by, root);
	ck_assert_str_eq(find(run, "server/sanity#end")->blocked_by, root);
	ck_assert_msg(strncmp(find(run, "server/sanity")->reason, prefix, strlen(prefix)) == 0, "%s",
	              find(run, "server/sanity")->reason);
	free(prefix);
}

/* A listener without STARTTLS: S-01 FAILs, once; S-11 (about exactly such
 * listeners) is judged and PASSes. Before preconditions: 44 FAILs. */
START_TEST(no_starttls_is_one_failure)
{
	struct refsrv_opts o = {.no_tls = true};
	struct run run;
	run_server_suite(&o, &run);
	check_one_cause(&run, "server/s01-starttls-offered", "starttls-offered", 40);
	ck_assert_int_eq(find(&run, "server/s11-starttls-not-offered")->verdict, V_PASS);
	ck_assert_int_eq(run_exit_status(&run), 1);

	/* the terminal summary leads with it */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	report_terminal(&run, NULL, f);
	fclose(f);
	const char *rc = strstr(text, "Root causes");
	ck_assert_msg(rc != NULL, "%s", text);
	const char *fail = strstr(text, "FAIL  server/s01-starttls-offered");
	ck_assert_msg(fail != NULL && fail > rc && strstr(fail, "[blocks ") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "Other results:") > fail, "%s", text);
	ck_assert_msg(strstr(text, "blocked by server/s01-starttls-offered") != NULL, "%s", text);
	free(text);

	/* and so do summary.md and index.html, with how many it blocked */
	char dir[] = "/tmp/stark-runner-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char err[256] = "";
	ck_assert_msg(report_write_all(&run, dir, err, sizeof err) == 0, "%s", err);
	size_t blocks = 0;
	for (size_t i = 0; i < run.n; i++)
		blocks += run.results[i].blocked_by != NULL;
	static const char *const files[] = {"summary.md", "index.html", "results.json", "junit.xml"};
	for (size_t i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s", dir, files[i]);
		char *doc = support_slurp(p, &len);
		ck_assert_ptr_nonnull(doc);
		if (i < 2) {
			char *row = xasprintf(i == 0 ? "| **FAIL** | server/s01-starttls-offered | %zu | line 16: "
			                             : "<a href=\"#r1\">server/s01-starttls-offered</a></td>"
			                               "<td>%zu</td><td>line 16: ",
			                      blocks);
			const char *root = strstr(doc, "Root causes");
			ck_assert_msg(root && strstr(root, row) && strstr(root, row) < strstr(root, "All results"),
			              "%s: no root cause row %s", files[i], row);
			free(row);
		}
		unlink(p);
		free(p);
		free(doc);
	}
	rmdir(dir);
	run_free(&run);
}
END_TEST

/* Nothing in common (the target speaks TLS 1.1 only, with one suite that
 * only TLS 1.2 defines): S-02 FAILs, once; the injection scenarios judge a
 * failed handshake themselves and stand. Before preconditions: 28 FAILs. */
START_TEST(no_handshake_is_one_failure)
{
	struct refsrv_opts o = {.tls_vmin = 0x0302, .tls_vmax = 0x0302,
	                        .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"};
	struct run run;
	run_server_suite(&o, &run);
	check_one_cause(&run, "server/s02-starttls-handshake", "tls-handshake", 20);
	ck_assert_int_eq(find(&run, "server/s01-starttls-offered")->verdict, V_PASS);
	ck_assert_int_eq(find(&run, "server/s08-injection-ehlo")->verdict, V_PASS);
	ck_assert_ptr_null(find(&run, "server/s08-injection-ehlo")->blocked_by);
	run_free(&run);
}
END_TEST

/* A clean target: nothing is blocked (the providers PASS). */
START_TEST(clean_target_blocks_nothing)
{
	struct run run;
	run_server_suite(NULL, &run);
	for (size_t i = 0; i < run.n; i++)
		ck_assert_msg(run.results[i].blocked_by == NULL, "%s: %s", run.results[i].id,
		              run.results[i].reason);
	ck_assert_int_eq(run_exit_status(&run), 0);
	run_free(&run);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

#define HDR(id) "scenario " id "\ntarget server\nsummary s\ncatalog S-01\nseverity info\n"

START_TEST(cycle_is_refused)
{
	char dir[] = "/tmp/stark-runner-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "a.scn", HDR("a") "requires y\nprovides x\n\nexpect reply 220\n");
	write_file(dir, "b.scn", HDR("b") "requires x\nprovides y\n\nexpect reply 220\n");
	write_file(dir, "c.scn", HDR("c") "requires x\n\nexpect reply 220\n");
	char *paths[] = {dir};
	struct scenario **scn;
	size_t n;
	struct scn_diag d = {0};
	ck_assert_int_eq(runner_load(paths, 1, &scn, &n, &d), -1);
	/* a and b are the cycle; c depends on it */
	ck_assert_uint_eq(d.n, 3);
	ck_assert_msg(strstr(d.msgs[0], "/a.scn: requires a precondition that depends on itself"),
	              "%s", d.msgs[0]);
	scenario_diag_free(&d);
	runner_free_scenarios(scn, n);
	/* without the cycle it loads */
	write_file(dir, "a.scn", HDR("a") "provides x\n\nexpect reply 220\n");
	ck_assert_int_eq(runner_load(paths, 1, &scn, &n, &d), 0);
	ck_assert_uint_eq(n, 3);
	runner_free_scenarios(scn, n);
	scenario_diag_free(&d);
	for (const char *const *f = (const char *const[]){"a.scn", "b.scn", "c.scn", NULL}; *f; f++) {
		char *p = xasprintf("%s/%s", dir, *f);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}
END_TEST

Suite *preconditions_suite(void)
{
	Suite *s = suite_create("preconditions");
	TCase *tc = tcase_create("preconditions");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, no_starttls_is_one_failure);
	tcase_add_test(tc, no_handshake_is_one_failure);
	tcase_add_test(tc, clean_target_blocks_nothing);
	tcase_add_test(tc, cycle_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * check_runner: what must stop a run before any work, and what must keep a
 * run from exiting 0 without showing anything. runner_load on a directory
 * without scenarios, a FIFO (never opened: the test would hang), a symlink
 * loop, one directory named twice and one id in two files, each as
 * "path: message"; runner_count_selected by role and -k; run_exit_status
 * when sanity never passed (per node) or nothing PASSed (no result, all
 * INCONCLUSIVE or SKIP). Public: runner_suite(). Files under a mkdtemp directory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result.h"
#include "runner.h"
#include "util.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/stark-runner.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* dir/rel, created with a minimal scenario of that id and role */
static char *scn(const char *rel, const char *id, const char *role, const char *keywords)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	        "scenario  %s\ntarget    %s\nsummary   test\ncatalog   S-01\nseverity  info\n"
	        "keywords  %s\n\n%s\n",
	        id, role, keywords,
	        strcmp(role, "server") == 0 ? "expect reply 220" : "expect command EHLO");
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

static char *sub(const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	return p;
}

/* runner_load on paths: must fail with a diagnostic that starts with
 * prefix and contains words; loads nothing twice. */
static void ck_load_fails(char **paths, size_t n, const char *prefix, const char *words)
{
	struct scenario **s = NULL;
	size_t ns = 0;
	struct scn_diag d = {0};
	ck_assert_int_eq(runner_load(paths, n, &s, &ns, &d), -1);
	bool hit = false;
	for (size_t i = 0; i < d.n; i++)
		hit |= strncmp(d.msgs[i], prefix, strlen(prefix)) == 0 && strstr(d.msgs[i], words);
	ck_assert_msg(hit, "no diagnostic '%s...%s' (first: %s)", prefix, words,
	              d.n ? d.msgs[0] : "none");
	runner_free_scenarios(s, ns);
	scenario_diag_free(&d);
}

START_TEST(empty_dir_is_an_error)
{
	char *e = sub("empty");
	ck_load_fails(&e, 1, e, "no .scn scenario file");
	free(scn("empty/README.txt", "server/x", "server", "x"));
	ck_load_fails(&e, 1, e, "no .scn scenario file");
	free(e);
}
END_TEST

START_TEST(fifo_is_never_opened)
{
	char *d = sub("d");
	free(scn("d/a.scn", "server/a", "server", "a"));
	char *fifo = xasprintf("%s/b.scn", d);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	/* opening the FIFO would block this test until the Check timeout */
	ck_load_fails(&d, 1, fifo, "not a regular file");
	ck_load_fails(&fifo, 1, fifo, "not a regular file");
	free(fifo);
	free(d);
}
END_TEST

START_TEST(symlink_loops_are_errors)
{
	char *d = sub("d");
	free(scn("d/a.scn", "server/a", "server", "a"));
	/* a link back up the tree: walked once, then reported */
	char *up = xasprintf("%s/up", d);
	ck_assert_int_eq(symlink("..", up), 0);
	ck_load_fails(&d, 1, up, "reached twice");
	/* a link to itself: stat fails with ELOOP */
	char *self = xasprintf("%s/self.scn", d);
	ck_assert_int_eq(symlink(self, self), 0);
	ck_load_fails(&d, 1, self, "symbolic link loop");
	free(self);
	free(up);
	free(d);
}
END_TEST

START_TEST(same_directory_twice_is_an_error)
{
	char *d = sub("d");
	free(scn("d/a.scn", "server/a", "server", "a"));
	char *paths[] = {d, d};
	ck_load_fails(paths, 2, d, "reached twice");
	free(d);
}
END_TEST

START_TEST(duplicate_ids_name_both_files)
{
	char *a = scn("a.scn", "server/same", "server", "a");
	char *b = scn("b.scn", "server/same", "server", "b");
	char *paths[] = {a, b};
	char *words = xasprintf("duplicate scenario id 'server/same' (also in %s)", a);
	ck_load_fails(paths, 2, b, words);
	free(words);
	free(a);
	free(b);
}
END_TEST

START_TEST(good_dir_loads)
{
	char *d = sub("d");
	free(scn("d/a.scn", "server/a", "server", "a"));
	free(sub("d/more"));
	free(scn("d/more/b.scn", "server/b", "server", "b"));
	struct scenario **s = NULL;
	size_t n = 0;
	struct scn_diag diag = {0};
	ck_assert_int_eq(runner_load(&d, 1, &s, &n, &diag), 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(s[0]->id, "server/a");
	ck_assert_str_eq(s[1]->id, "server/b");
	runner_free_scenarios(s, n);
	scenario_diag_free(&diag);
	free(d);
}
END_TEST

START_TEST(selection_by_role_and_keyword)
{
	char *p[] = {scn("san.scn", "server/sanity", "server", "sanity"),
	             scn("inj.scn", "server/inj", "server", "injection"),
	             scn("cli.scn", "client/c", "client", "injection")};
	struct scenario **s = NULL;
	size_t n = 0;
	ck_assert_int_eq(runner_load(p, 3, &s, &n, NULL), 0);
	size_t nsan;
	struct runner_opts o = {.role = SCN_TARGET_SERVER};
	ck_assert_uint_eq(runner_count_selected(s, n, &o, &nsan), 1);
	ck_assert_uint_eq(nsan, 1);
	char *kw[] = {"nomatch"};
	o.keywords = kw;
	o.nkeywords = 1;
	ck_assert_uint_eq(runner_count_selected(s, n, &o, &nsan), 0);
	ck_assert_uint_eq(nsan, 1); /* sanity always runs */
	kw[0] = "injection";
	ck_assert_uint_eq(runner_count_selected(s, n, &o, &nsan), 1);
	o.role = SCN_TARGET_CLIENT;
	ck_assert_uint_eq(runner_count_selected(s, n, &o, &nsan), 1);
	ck_assert_uint_eq(nsan, 0);
	/* only the client scenario: nothing for a server run */
	o.role = SCN_TARGET_SERVER;
	o.nkeywords = 0;
	ck_assert_uint_eq(runner_count_selected(s + 2, 1, &o, &nsan), 0);
	ck_assert_uint_eq(nsan, 0);
	runner_free_scenarios(s, n);
	for (size_t i = 0; i < 3; i++)
		free(p[i]);
}
END_TEST

/* ---- exit status ---- */

static void add(struct run *run, const char *id, const char *node, bool sanity, enum verdict v)
{
	struct result r;
	memset(&r, 0, sizeof r);
	transcript_init(&r.tr);
	r.id = xstrdup(id);
	r.node = node ? xstrdup(node) : NULL;
	r.keywords = xcalloc(2, sizeof *r.keywords);
	r.keywords[0] = xstrdup(sanity ? "sanity" : "other");
	r.nkeywords = 1;
	r.verdict = v;
	run_add(run, &r);
}

START_TEST(exit_status_needs_shown_work)
{
	struct run run;
	run_init(&run);
	ck_assert_int_eq(run_exit_status(&run), 2); /* nothing ran */
	add(&run, "s01", NULL, false, V_INCONCLUSIVE);
	add(&run, "s02", NULL, false, V_INCONCLUSIVE);
	ck_assert_int_eq(run_exit_status(&run), 2); /* a 421 hid every answer */
	add(&run, "s12", NULL, false, V_SKIP);
	ck_assert_int_eq(run_exit_status(&run), 2); /* skipped: still nothing shown */
	add(&run, "s03", NULL, false, V_PASS);
	ck_assert_int_eq(run_exit_status(&run), 0); /* no sanity in this run: not required */
	add(&run, "sanity", NULL, true, V_INCONCLUSIVE);
	add(&run, "sanity#end", NULL, true, V_SKIP);
	ck_assert_int_eq(run_exit_status(&run), 2); /* sanity never passed */
	run_free(&run);

	run_init(&run);
	add(&run, "sanity", NULL, true, V_INCONCLUSIVE);
	add(&run, "s01", NULL, false, V_PASS);
	add(&run, "sanity#end", NULL, true, V_PASS);
	ck_assert_int_eq(run_exit_status(&run), 0); /* passed once: the target was up */
	add(&run, "s02", NULL, false, V_FAIL);
	ck_assert_int_eq(run_exit_status(&run), 1);
	run_free(&run);

	/* scan: per node */
	run_init(&run);
	add(&run, "tls/t01", "a:25", false, V_PASS);
	add(&run, "sanity", "a:25", true, V_PASS);
	add(&run, "sanity", "b:25", true, V_INCONCLUSIVE);
	add(&run, "s01", "b:25", false, V_PASS);
	ck_assert_int_eq(run_exit_status(&run), 2); /* b was never shown up */
	add(&run, "sanity#end", "b:25", true, V_PASS);
	ck_assert_int_eq(run_exit_status(&run), 0);
	run_free(&run);
}
END_TEST

Suite *runner_suite(void)
{
	Suite *s = suite_create("runner");
	TCase *tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_dir_is_an_error);
	tcase_add_test(tc, fifo_is_never_opened);
	tcase_add_test(tc, symlink_loops_are_errors);
	tcase_add_test(tc, same_directory_twice_is_an_error);
	tcase_add_test(tc, duplicate_ids_name_both_files);
	tcase_add_test(tc, good_dir_loads);
	tcase_add_test(tc, selection_by_role_and_keyword);
	suite_add_tcase(s, tc);
	tc = tcase_create("exit");
	tcase_add_test(tc, exit_status_needs_shown_work);
	suite_add_tcase(s, tc);
	return s;
}

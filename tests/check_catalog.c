/* SPDX-License-Identifier: MIT */
/*
 * catalog: building from a small fixture (two scenarios, a pending file)
 * plus the real policy table; sort order, display paths, Markdown escaping,
 * JSON shape; refusal of a pending id that is checked (or pending) already
 * and of malformed pending lines; the fuzz targets named exist; the repo's
 * own catalog builds cleanly.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "policy.h"
#include "util.h"

#ifndef STARK_SOURCE_DIR
#define STARK_SOURCE_DIR "."
#endif

struct fixture {
	char dir[64];
	char *scn;     /* <dir>/scn */
	char *pending; /* <dir>/pending.tsv */
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char SCN_A[] = "scenario  server/a\n"
                            "target    server\n"
                            "summary   First | one\n"
                            "catalog   S-02, S-01\n"
                            "ref       RFC 3207 4; CVE-2011-0411\n"
                            "severity  high\n"
                            "keywords  starttls\n"
                            "expect reply 220\n";
static const char SCN_B[] = "scenario  server/b\n"
                            "target    server\n"
                            "summary   Second\n"
                            "catalog   S-09b\n"
                            "ref       RFC 3207 6\n"
                            "severity  critical\n"
                            "keywords  injection\n"
                            "expect reply 220\n";

static void fixture_make(struct fixture *fx, const char *pending)
{
	strcpy(fx->dir, "/tmp/stark-catalog-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	fx->scn = xasprintf("%s/scn", fx->dir);
	ck_assert_int_eq(mkdir(fx->scn, 0700), 0);
	char *p = xasprintf("%s/a.scn", fx->scn);
	put(p, SCN_A);
	free(p);
	p = xasprintf("%s/b.scn", fx->scn);
	put(p, SCN_B);
	free(p);
	fx->pending = xasprintf("%s/pending.tsv", fx->dir);
	put(fx->pending, pending);
}

static void fixture_free(struct fixture *fx)
{
	char *p = xasprintf("%s/a.scn", fx->scn);
	unlink(p);
	free(p);
	p = xasprintf("%s/b.scn", fx->scn);
	unlink(p);
	free(p);
	unlink(fx->pending);
	rmdir(fx->scn);
	rmdir(fx->dir);
	free(fx->scn);
	free(fx->pending);
}

static const struct catalog_entry *entry(const struct catalog *c, const char *id, size_t nth)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].id, id) == 0 && nth-- == 0)
			return &c->e[i];
	return NULL;
}

static bool diag_has(const struct scn_diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], needle))
			return true;
	return false;
}

START_TEST(builds_sorted_from_fixture)
{
	struct fixture fx;
	fixture_make(&fx, "# comment\n\n"
	                  "S-14\tmedium\tA title\tRFC 3207 4.1; RFC 8314\tno target shows it\n"
	                  "F-05\t-\tTwo parsers\t\tonly one parser\n");
	struct catalog c;
	struct scn_diag d = {0};
	char *paths[] = {fx.scn};
	ck_assert_int_eq(catalog_build(&c, paths, 1, fx.pending, &d), 0);
	ck_assert_uint_eq(d.n, 0);

	/* family, then number, then suffix: S-01 S-02 S-09b S-14 ... T- ... F-05 ... O- */
	ck_assert_str_eq(c.e[0].id, "S-01");
	ck_assert_str_eq(c.e[1].id, "S-02");
	ck_assert_str_eq(c.e[2].id, "S-09b");
	ck_assert_str_eq(c.e[3].id, "S-14");
	ck_assert_str_eq(c.e[4].id, "T-01");
	ck_assert_str_eq(c.e[c.n - 1].id, "O-05");
	const struct catalog_entry *e = entry(&c, "S-01", 0);
	ck_assert_int_eq(e->kind, CATALOG_SCENARIO);
	ck_assert_str_eq(e->where, "scn/a.scn"); /* relative to the parent of the path given */
	ck_assert_str_eq(e->title, "First | one");
	ck_assert_str_eq(e->severity, "high");
	ck_assert_uint_eq(e->nrefs, 2);
	ck_assert_str_eq(e->refs[1], "CVE-2011-0411");
	e = entry(&c, "S-14", 0);
	ck_assert_int_eq(e->kind, CATALOG_PENDING);
	ck_assert_str_eq(e->reason, "no target shows it");
	ck_assert_uint_eq(e->nrefs, 2);
	ck_assert_str_eq(entry(&c, "F-05", 0)->severity, "");
	ck_assert_uint_eq(entry(&c, "F-05", 0)->nrefs, 0);
	/* a rule whose reference differs per policy has a row per policy */
	e = entry(&c, "T-07", 0);
	ck_assert_int_eq(e->kind, CATALOG_POLICY);
	ck_assert_str_eq(e->where, "tls/t07-anon-suites");
	ck_assert_uint_eq(e->npolicies, 1);
	ck_assert_str_eq(e->policies[0], "rfc");
	ck_assert_str_eq(entry(&c, "T-07", 1)->policies[0], "mta-sts");
	/* a rule that always skips is pending, with the table's reason */
	e = entry(&c, "T-18", 0);
	ck_assert_int_eq(e->kind, CATALOG_PENDING);
	ck_assert_str_eq(e->where, "tls/t18-early-data");
	ck_assert_ptr_null(entry(&c, "T-18", 1));
	e = entry(&c, "P-09", 0);
	ck_assert_int_eq(e->kind, CATALOG_DOMAIN);
	ck_assert_str_eq(e->where, "tls-rpt/p09-record");
	ck_assert_str_eq(e->severity, "low");
	ck_assert_ptr_null(entry(&c, "P-09", 1));
	e = entry(&c, "P-07", 0);
	ck_assert_uint_eq(e->nrefs, 2);
	ck_assert_str_eq(e->refs[1], "RFC 8461 3.3");
	/* the no-certificate state of X-01 is not a second check */
	ck_assert_ptr_nonnull(entry(&c, "X-01", 0));
	ck_assert_ptr_null(entry(&c, "X-01", 1));

	char *md = catalog_markdown(&c);
	ck_assert_ptr_nonnull(strstr(md, "| S-01 | First \\| one | high | RFC 3207 4; CVE-2011-0411 | `scn/a.scn` |\n"));
	ck_assert_ptr_nonnull(strstr(md, "| S-14 | A title | medium | RFC 3207 4.1; RFC 8314 | **not checked yet:** no target shows it |\n"));
	ck_assert_ptr_nonnull(strstr(md, "| F-05 | Two parsers | - | - | **not checked yet:** only one parser |\n"));
	ck_assert_ptr_nonnull(strstr(md, "policy rule `tls/t07-anon-suites` (mta-sts) |\n"));
	ck_assert_ptr_nonnull(strstr(md, "\n## T — "));
	/* the domain rules are in every catalog: the code has them */
	ck_assert_ptr_nonnull(strstr(md, "\n## P — "));
	ck_assert_ptr_nonnull(strstr(md, "| P-06 | Exactly one valid MTA-STS TXT record | medium | RFC 8461 3.1 | "
	                                 "domain rule `mta-sts/p06-txt` |\n"));
	ck_assert_ptr_nonnull(strstr(md, "domain rule `dane/p01-tlsa` |\n"));
	free(md);

	char *js = catalog_json(&c);
	json_error_t err;
	json_t *root = json_loads(js, 0, &err);
	ck_assert_msg(root != NULL, "JSON: %s", err.text);
	json_t *arr = json_object_get(root, "entries");
	ck_assert_uint_eq(json_array_size(arr), c.n);
	json_t *first = json_array_get(arr, 0);
	ck_assert_str_eq(json_string_value(json_object_get(first, "id")), "S-01");
	ck_assert_str_eq(json_string_value(json_object_get(first, "kind")), "scenario");
	ck_assert(json_is_null(json_object_get(first, "reason")));
	ck_assert_uint_eq(json_array_size(json_object_get(first, "refs")), 2);
	/* S-01, S-02, S-09b, S-14 and every T-/X-/F-/O- id; of those S-14, F-05, T-18 pending */
	json_int_t ids = json_integer_value(json_object_get(root, "ids"));
	json_int_t checked = json_integer_value(json_object_get(root, "checked"));
	ck_assert_int_eq(ids - checked, 3);
	json_decref(root);
	free(js);

	catalog_free(&c);
	catalog_free(&c); /* a freed catalog is empty: freeing again is a no-op */
	scenario_diag_free(&d);
	fixture_free(&fx);
}
END_TEST

START_TEST(pending_that_is_checked_is_refused)
{
	struct fixture fx;
	fixture_make(&fx, "S-01\thigh\tDup\tRFC 1\tclaims pending\n"
	                  "T-18\tlow\tDup\t\tthe policy table says so already\n"
	                  "S-1\tlow\tBad id\t\treason\n"
	                  "S-15\tlow\tToo few fields\n"
	                  "S-16\tlow\tNo reason\tRFC 1\t\n");
	struct catalog c;
	struct scn_diag d = {0};
	char *paths[] = {fx.scn};
	ck_assert_int_eq(catalog_build(&c, paths, 1, fx.pending, &d), -1);
	ck_assert_uint_eq(d.n, 5);
	char *want = xasprintf("%s:1: S-01 is checked by scenario scn/a.scn", fx.pending);
	ck_assert_msg(diag_has(&d, want), "%s", d.msgs[0]);
	free(want);
	want = xasprintf("%s:2: T-18 is already pending: tls/t18-early-data", fx.pending);
	ck_assert_msg(diag_has(&d, want), "%s", d.msgs[1]);
	free(want);
	want = xasprintf("%s:3: 'S-1' is not an id", fx.pending);
	ck_assert(diag_has(&d, want));
	free(want);
	want = xasprintf("%s:4: expected id, severity", fx.pending);
	ck_assert(diag_has(&d, want));
	free(want);
	want = xasprintf("%s:5: expected id, severity", fx.pending);
	ck_assert(diag_has(&d, want));
	free(want);
	catalog_free(&c);
	scenario_diag_free(&d);

	/* a missing pending file and a scenario path that does not exist */
	char *nopath = xasprintf("%s/none", fx.dir);
	char *paths2[] = {nopath};
	ck_assert_int_eq(catalog_build(&c, paths2, 1, nopath, &d), -1);
	ck_assert_uint_eq(d.n, 2);
	catalog_free(&c);
	scenario_diag_free(&d);
	free(nopath);
	fixture_free(&fx);
}
END_TEST

START_TEST(repo_catalog_builds_and_names_real_files)
{
	struct catalog c;
	struct scn_diag d = {0};
	char *paths[] = {STARK_SOURCE_DIR "/scenarios"};
	ck_assert_int_eq(catalog_build(&c, paths, 1, STARK_SOURCE_DIR "/docs/catalog-pending.tsv", &d), 0);
	ck_assert_uint_eq(d.n, 0);
	size_t nfuzz = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct catalog_entry *e = &c.e[i];
		struct stat st;
		if (e->kind == CATALOG_SCENARIO) {
			char *p = xasprintf("%s/%s", STARK_SOURCE_DIR, e->where);
			ck_assert_msg(stat(p, &st) == 0, "%s: no %s", e->id, p);
			free(p);
		} else if (e->kind == CATALOG_FUZZ) {
			char *src = xasprintf("%s/fuzz/t_%s.c", STARK_SOURCE_DIR, e->where);
			char *seeds = xasprintf("%s/corpus/%s", STARK_SOURCE_DIR, e->where);
			ck_assert_msg(stat(src, &st) == 0, "%s: no %s", e->id, src);
			ck_assert_msg(stat(seeds, &st) == 0 && S_ISDIR(st.st_mode), "%s: no %s", e->id, seeds);
			free(src);
			free(seeds);
			nfuzz++;
		}
	}
	ck_assert_uint_ge(nfuzz, 4);
	/* every policy rule row that judges something is in the catalog under its id */
	for (const struct policy_rule *r = policy_rules(); r->id; r++) {
		if (r->state)
			continue;
		bool found = false;
		for (size_t i = 0; i < c.n; i++)
			found |= strcmp(c.e[i].id, r->catalog) == 0 && strcmp(c.e[i].where, r->id) == 0;
		ck_assert_msg(found, "rule %s (%s) missing", r->id, r->catalog);
	}
	catalog_free(&c);
	scenario_diag_free(&d);
}
END_TEST

Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *t = tcase_create("build");
	tcase_add_test(t, builds_sorted_from_fixture);
	tcase_add_test(t, pending_that_is_checked_is_refused);
	tcase_add_test(t, repo_catalog_builds_and_names_real_files);
	suite_add_tcase(s, t);
	return s;
}

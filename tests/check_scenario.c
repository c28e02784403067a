/* SPDX-License-Identifier: MIT */
/*
 * Tests of the scenario module: golden dumps (tests/golden/scenario, each
 * .scn against its .dump), golden lint diagnostics (bad/, each .scn against
 * its .err), the round-trip property dump(parse(dump(parse(x)))) ==
 * dump(parse(x)) on goldens and on every .scn under scenarios/, exact
 * line:col checks, the step tree contract the executor relies on, nesting
 * limits, and a seeded mutation loop.
 * STARK_UPDATE_GOLDEN=1 rewrites the .dump and .err files instead of
 * comparing (review the diff before committing).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario.h"
#include "support.h"
#include "util.h"

#ifndef STARK_GOLDEN_DIR
#error "STARK_GOLDEN_DIR must point at tests/golden"
#endif

#define SCN_DIR STARK_GOLDEN_DIR "/scenario"

static char *diag_join(const struct scn_diag *d)
{
	struct buf b = {0};
	for (size_t i = 0; i < d->n; i++)
		buf_appendf(&b, "%s\n", d->msgs[i]);
	return buf_cstr(&b);
}

static struct scenario *parse_str(const char *text, struct scn_diag *d)
{
	return scenario_parse("t.scn", (const uint8_t *)text, strlen(text), d);
}

/* Parse text expected to be bad; return all diagnostics joined. */
static char *lint(const char *text)
{
	struct scn_diag d = {0};
	struct scenario *s = parse_str(text, &d);
	ck_assert_msg(s == NULL, "expected a parse error for:\n%s", text);
	char *j = diag_join(&d);
	scenario_diag_free(&d);
	return j;
}

#define HDR                                                                                    \
	"scenario t/x\ntarget server\nsummary s\ncatalog S-01\nseverity info\n"
#define HDRC                                                                                   \
	"scenario t/x\ntarget client\nsummary s\ncatalog C-01\nseverity info\n"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix (so failures are reproducible). */
static size_t list_dir(const char *dir, const char *suffix, char ***out)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0;
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	struct dirent *e;
	size_t sl = strlen(suffix);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0) {
			v = xrealloc(v, (n + 1) * sizeof *v);
			v[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(v, n, sizeof *v, cmp_str);
	*out = v;
	return n;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* dump(parse(dump)) must equal dump; returns nothing, asserts. */
static void check_roundtrip(const char *name, const char *dump)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse(name, (const uint8_t *)dump, strlen(dump), &d);
	if (s == NULL) {
		char *j = diag_join(&d);
		ck_abort_msg("%s: canonical dump does not parse:\n%s\n--- dump:\n%s", name, j, dump);
	}
	char *again = scenario_dump(s);
	ck_assert_msg(strcmp(again, dump) == 0, "%s: dump not stable:\n%s\n--- vs ---\n%s", name,
	              dump, again);
	free(again);
	scenario_free(s);
	scenario_diag_free(&d);
}

/* ---------- golden ---------- */

/* Each .scn in dir (at least min of them) against its golden file <name>ext:
 * the text render makes of it (malloc'd; render asserts what it needs). */
static void golden_each(const char *dir, size_t min, const char *ext,
                        char *(*render)(const char *name, const uint8_t *text, size_t len))
{
	char **names;
	size_t n = list_dir(dir, ".scn", &names);
	ck_assert_uint_ge(n, min);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		size_t len;
		uint8_t *text = (uint8_t *)support_slurp(path, &len);
		ck_assert_ptr_nonnull(text);
		char *got = render(names[i], text, len);
		char *gpath = xasprintf("%s/%.*s%s", dir, (int)strlen(names[i]) - 4, names[i], ext);
		support_golden(gpath, got, strlen(got));
		free(gpath);
		free(got);
		free(text);
		free(path);
	}
	free_list(names, n);
}

/* A good file: its canonical dump, which must also round-trip. */
static char *render_dump(const char *name, const uint8_t *text, size_t len)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse(name, text, len, &d);
	if (s == NULL)
		ck_abort_msg("%s does not parse:\n%s", name, diag_join(&d));
	ck_assert_uint_eq(d.n, 0);
	char *dump = scenario_dump(s);
	check_roundtrip(name, dump);
	scenario_free(s);
	return dump;
}

/* A bad file: it must not parse; its diagnostics, one a line. */
static char *render_lint(const char *name, const uint8_t *text, size_t len)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse(name, text, len, &d);
	ck_assert_msg(s == NULL, "%s parsed but must not", name);
	ck_assert_uint_ge(d.n, 1);
	char *got = diag_join(&d);
	scenario_diag_free(&d);
	return got;
}

START_TEST(golden_dumps)
{
	golden_each(SCN_DIR, 3, ".dump", render_dump);
}
END_TEST

START_TEST(golden_lint)
{
	golden_each(SCN_DIR "/bad", 12, ".err", render_lint);
}
END_TEST

#ifdef STARK_SOURCE_DIR
static void walk_scenarios(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk_scenarios(path, count);
		} else {
			size_t l = strlen(e->d_name);
			if (l > 4 && strcmp(e->d_name + l - 4, ".scn") == 0) {
				struct scn_diag diag = {0};
				struct scenario *s = scenario_load(path, &diag);
				if (s == NULL)
					ck_abort_msg("shipped scenario does not parse:\n%s",
					             diag_join(&diag));
				char *dump = scenario_dump(s);
				check_roundtrip(path, dump);
				free(dump);
				scenario_free(s);
				(*count)++;
			}
		}
		free(path);
	}
	closedir(d);
}
#endif

/* Every shipped scenario is lint-clean and round-trips (none yet is fine). */
START_TEST(shipped_roundtrip)
{
#ifdef STARK_SOURCE_DIR
	size_t count = 0;
	walk_scenarios(STARK_SOURCE_DIR "/scenarios", &count);
	(void)count;
#endif
}
END_TEST

/* ---------- tree contract ---------- */

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "helo") == 0)
		return "stark.test";
	return NULL;
}

START_TEST(tree_server)
{
	const char *text = HDR "keywords starttls injection\nprofile mx\n"
	                       "ref RFC 3207 4.2;  CVE-2011-0411 ;\n"
	                       "expect reply 220\n"
	                       "send \"EHLO ${helo}\\r\\n\"\n"
	                       "  expect reply 250 has starttls lacks Pipelining alone strict\n"
	                       "send \"A\"*3 \"B\" \"C\"\n"
	                       "tls version 1.0-1.2 servername \"mx.test\" glue \"x\"*2 ciphers \"AES\"\n"
	                       "alt {\n"
	                       "\texpect silence 1.5s\n"
	                       "} or {\n"
	                       "    expect tls fail\n"
	                       "    tls close\n"
	                       "    expect close\n"
	                       "    inconclusive \"m\"\n"
	                       "}\n"
	                       "skip \"done\"\n";
	struct scn_diag d = {0};
	struct scenario *s = parse_str(text, &d);
	if (s == NULL)
		ck_abort_msg("%s", diag_join(&d));
	ck_assert_str_eq(s->id, "t/x");
	ck_assert_str_eq(s->file, "t.scn");
	ck_assert_int_eq(s->role, SCN_TARGET_SERVER);
	ck_assert_uint_eq(s->nrefs, 2);
	ck_assert_str_eq(s->refs[0], "RFC 3207 4.2");
	ck_assert_str_eq(s->refs[1], "CVE-2011-0411");
	ck_assert_str_eq(s->profile, "mx");
	ck_assert(scenario_has_keyword(s, "injection"));
	ck_assert(!scenario_has_keyword(s, "inject"));
	ck_assert(!scenario_has_keyword(NULL, "x"));
	ck_assert_uint_eq(s->body.n, 7);

	const struct step *st = &s->body.steps[1];
	ck_assert_int_eq(st->kind, STEP_SEND);
	ck_assert_int_eq(st->line, 10);
	ck_assert_int_eq(st->col, 1);
	ck_assert_uint_eq(st->str.nparts, 3);
	ck_assert_uint_eq(st->str.parts[0].len, 5);
	ck_assert_str_eq(st->str.parts[1].var, "helo");
	ck_assert_ptr_null(st->str.parts[1].bytes);
	ck_assert_uint_eq(st->str.parts[2].len, 2);
	size_t len;
	uint8_t *x = scenario_str_expand(&st->str, lookup, NULL, &len);
	ck_assert_uint_eq(len, 17);
	ck_assert(memcmp(x, "EHLO stark.test\r\n", 17) == 0);
	free(x);
	x = scenario_str_expand(&st->str, NULL, NULL, &len); /* no lookup: variables empty */
	ck_assert_uint_eq(len, 7);
	free(x);

	st = &s->body.steps[2];
	ck_assert_int_eq(st->kind, STEP_EXPECT_REPLY);
	ck_assert_int_eq(st->col, 3);
	ck_assert_str_eq(st->codepat, "250");
	ck_assert_uint_eq(st->nhas, 1);
	ck_assert_str_eq(st->has[0], "starttls");
	ck_assert_str_eq(st->lacks[0], "Pipelining");
	ck_assert(st->alone && st->strict);

	st = &s->body.steps[3]; /* "A"*3 "B" "C" -> A*3, BC */
	ck_assert_uint_eq(st->str.nparts, 2);
	ck_assert_uint_eq(st->str.parts[0].repeat, 3);
	ck_assert_uint_eq(st->str.parts[1].len, 2);
	x = scenario_str_expand(&st->str, lookup, NULL, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(x, "AAABC", 5) == 0);
	free(x);

	st = &s->body.steps[4];
	ck_assert_int_eq(st->kind, STEP_TLS);
	ck_assert_uint_eq(st->tls.vmin, 0x0301);
	ck_assert_uint_eq(st->tls.vmax, 0x0303);
	ck_assert_str_eq(st->tls.servername, "mx.test");
	ck_assert_str_eq(st->tls.ciphers, "AES");
	ck_assert_ptr_null(st->tls.cert);
	ck_assert_uint_eq(st->tls.glue.nparts, 1);
	ck_assert_uint_eq(st->tls.glue.parts[0].repeat, 2);

	st = &s->body.steps[5];
	ck_assert_int_eq(st->kind, STEP_ALT);
	ck_assert_int_eq(st->line, 14);
	ck_assert_uint_eq(st->nbranches, 2);
	ck_assert_uint_eq(st->branches[0].n, 1);
	ck_assert_int_eq(st->branches[0].steps[0].kind, STEP_EXPECT_SILENCE);
	ck_assert_int_eq(st->branches[0].steps[0].ms, 1500);
	ck_assert_int_eq(st->branches[0].steps[0].col, 2);
	ck_assert_uint_eq(st->branches[1].n, 4);
	ck_assert_int_eq(st->branches[1].steps[0].kind, STEP_EXPECT_TLS);
	ck_assert(!st->branches[1].steps[0].tls_ok);
	ck_assert_int_eq(st->branches[1].steps[1].kind, STEP_TLS_CLOSE);
	ck_assert_int_eq(st->branches[1].steps[2].kind, STEP_EXPECT_CLOSE);
	ck_assert_int_eq(st->branches[1].steps[3].kind, STEP_INCONCLUSIVE);
	ck_assert_int_eq(st->branches[1].steps[3].line, 20);
	ck_assert_int_eq(s->body.steps[6].kind, STEP_SKIP);

	char *dump = scenario_dump(s);
	ck_assert_ptr_nonnull(
	    strstr(dump, "expect reply 250 has STARTTLS lacks PIPELINING alone strict\n"));
	ck_assert_ptr_nonnull(strstr(dump, "send \"A\"*3 \"BC\"\n"));
	ck_assert_ptr_nonnull(strstr(dump, "tls version 1.0-1.2 ciphers \"AES\" "
	                                   "servername \"mx.test\" glue \"x\"*2\n"));
	ck_assert_ptr_nonnull(strstr(dump, "    expect silence 1500ms\n} or {\n    expect tls fail\n"));
	check_roundtrip("tree", dump);
	free(dump);
	scenario_free(s);
	scenario_diag_free(&d);
}
END_TEST

START_TEST(tree_client)
{
	const char *text = HDRC "send \"220 ${servername} ESMTP\\r\\n\"\n"
	                        "expect command ehlo\n"
	                        "expect command any\n"
	                        "tls cert expired version 1.3\n"
	                        "expect tls ok\n"
	                        "fail \"accepted ${servername}\"\n";
	struct scn_diag d = {0};
	struct scenario *s = parse_str(text, &d);
	if (s == NULL)
		ck_abort_msg("%s", diag_join(&d));
	ck_assert_int_eq(s->role, SCN_TARGET_CLIENT);
	ck_assert_ptr_null(s->profile);
	ck_assert_uint_eq(s->nkeywords, 0);
	ck_assert_str_eq(s->body.steps[1].verb, "ehlo");
	ck_assert_str_eq(s->body.steps[2].verb, "any");
	ck_assert_str_eq(s->body.steps[3].tls.cert, "expired");
	ck_assert_uint_eq(s->body.steps[3].tls.vmin, 0x0304);
	ck_assert_uint_eq(s->body.steps[3].tls.vmax, 0x0304);
	ck_assert(s->body.steps[4].tls_ok);
	char *dump = scenario_dump(s);
	ck_assert_ptr_nonnull(strstr(dump, "expect command EHLO\nexpect command any\n"
	                                   "tls version 1.3 cert expired\n"));
	free(dump);
	scenario_free(s);
}
END_TEST

/* Bytes that must survive the dump: "${" as a literal, NUL, 8-bit, "$". */
START_TEST(string_canon)
{
	const char *text = HDR
	    "send \"\\x24{helo}\" \"$\" \"${helo}\" \"$\" \"{\\0\\xFF\\xc3\\xa9\\\\\\\"\\t\"\n"
	                       "send \"\" \"a\"*1 \"\"*5 \"b\"\n";
	struct scn_diag d = {0};
	struct scenario *s = parse_str(text, &d);
	if (s == NULL)
		ck_abort_msg("%s", diag_join(&d));
	const struct scn_str *str = &s->body.steps[0].str;
	ck_assert_uint_eq(str->nparts, 3);
	ck_assert_uint_eq(str->parts[0].len, 8);
	ck_assert(memcmp(str->parts[0].bytes, "${helo}$", 8) == 0);
	ck_assert_uint_eq(s->body.steps[1].str.nparts, 1);
	ck_assert_uint_eq(s->body.steps[1].str.parts[0].len, 2);
	char *dump = scenario_dump(s);
	ck_assert_ptr_nonnull(strstr(dump, "send \"\\x24{helo}$${helo}"
	                                   "\\x24{\\x00\\xff\\xc3\\xa9\\\\\\\"\\t\"\n"
	                                   "send \"ab\"\n"));
	check_roundtrip("canon", dump);
	free(dump);
	scenario_free(s);
}
END_TEST

START_TEST(size_limit)
{
	struct scn_diag d = {0};
	struct scenario *s = parse_str(HDR "send \"a\"*1048576\n", &d);
	ck_assert_ptr_nonnull(s);
	size_t len;
	uint8_t *x = scenario_str_expand(&s->body.steps[0].str, NULL, NULL, &len);
	ck_assert_uint_eq(len, SCN_SEND_MAX);
	free(x);
	scenario_free(s);
	char *e = lint(HDR "send \"ab\"*524288 \"${helo}\" \"c\"\n"
	                   "send \"a\"*1048577\nsend \"x\"*0\n"
	                   "fail \"${helo}\"*2\n");
	ck_assert_str_eq(e, "t.scn:6:6: string expands to more than 1048576 bytes\n"
	                    "t.scn:7:9: repeat count must be an integer 1..1048576\n"
	                    "t.scn:8:9: repeat count must be an integer 1..1048576\n"
	                    "t.scn:9:15: a string containing a variable cannot be repeated\n");
	free(e);
}
END_TEST

/* ---------- diagnostics: exact positions ---------- */

START_TEST(linecol)
{
	char *e;
	/* columns count bytes from 1; tabs are one column */
	e = lint(HDR "\texpect  reply 2x5|55\n");
	ck_assert_str_eq(e, "t.scn:6:16: invalid code pattern '2x5|55' (expected e.g. 220, 2xx, "
	                    "4xx|5xx, any)\n");
	free(e);
	e = lint(HDR "send \"ok\" \"bad\\q\"\n");
	ck_assert_str_eq(e, "t.scn:6:15: unknown escape '\\q' (known: \\r \\n \\t \\\\ \\\" \\0 "
	                    "\\xHH)\n");
	free(e);
	e = lint(HDR "send \"abc\\x4\"\n");
	ck_assert_str_eq(e, "t.scn:6:10: \\x needs exactly two hex digits\n");
	free(e);
	e = lint(HDR "send \"abc # not a comment\n");
	ck_assert_str_eq(e, "t.scn:6:6: unterminated string\n");
	free(e);
	e = lint(HDR "send \"x\"y\nsend x\"y\"\n");
	ck_assert_str_eq(e, "t.scn:6:9: missing space after string\n"
	                    "t.scn:7:7: missing space before string\n");
	free(e);
	/* CRLF is fine; a stray CR is not */
	e = lint("scenario t/x\r\ntarget server\r\nsummary s\r\ncatalog S-01\r\nseverity info\r\n"
	         "expect close\r\r\n");
	ck_assert_str_eq(e, "t.scn:6:13: unexpected byte \\x0d\n");
	free(e);
	e = lint(HDR "expect reply 250 has\nexpect reply 250 has -x\nexpect reply\n");
	ck_assert_str_eq(e, "t.scn:6:18: 'has' needs a value\n"
	                    "t.scn:7:22: invalid EHLO keyword '-x'\n"
	                    "t.scn:8:8: expect reply needs a value\n");
	free(e);
}
END_TEST

START_TEST(nul_and_8bit)
{
	static const uint8_t text[] = "scenario t/x\ntarget server\nsummary s\ncatalog S-01\n"
	                              "severity info\nsend \"a\0b\"\nexpect\0close\n"
	                              "expect close \xc3\xa9\nsend \"\xc3\xa9\"\n";
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse("t.scn", text, sizeof text - 1, &d);
	ck_assert_ptr_null(s);
	char *j = diag_join(&d);
	ck_assert_str_eq(j, "t.scn:6:8: raw control byte \\x00 in string (write it as an escape)\n"
	                    "t.scn:7:7: unexpected byte \\x00\n"
	                    "t.scn:8:14: unexpected byte \\xc3\n");
	free(j);
	scenario_diag_free(&d);
	scenario_diag_free(&d); /* idempotent */
	/* NULL diag: still NULL result, no crash */
	ck_assert_ptr_null(scenario_parse(NULL, text, sizeof text - 1, NULL));
	ck_assert_ptr_null(scenario_parse("e", NULL, 0, NULL));
	scenario_free(NULL);
}
END_TEST

static char *nested(int levels)
{
	struct buf b = {0};
	buf_appendf(&b, "%s", HDR);
	for (int i = 0; i < levels; i++)
		buf_appendf(&b, "alt {\nexpect close\n");
	for (int i = 0; i < levels; i++)
		buf_appendf(&b, "} or {\nexpect close\n}\n");
	return buf_cstr(&b);
}

/* nesting is bounded so hostile input cannot exhaust the stack */
START_TEST(depth_limit)
{
	struct scn_diag d = {0};
	char *t = nested(16);
	struct scenario *s = parse_str(t, &d);
	ck_assert_ptr_nonnull(s);
	char *dump = scenario_dump(s);
	check_roundtrip("deep", dump);
	free(dump);
	scenario_free(s);
	free(t);

	t = nested(17);
	char *e = lint(t);
	ck_assert_str_eq(e, "t.scn:38:1: alt nested too deeply (at most 16 levels)\n");
	free(e);
	free(t);

	struct buf b = {0};
	buf_appendf(&b, "%s", HDR);
	for (int i = 0; i < 200000; i++)
		buf_appendf(&b, "alt {\n");
	t = buf_cstr(&b);
	s = parse_str(t, &d);
	ck_assert_ptr_null(s);
	/* 16 branches starting with alt, too deep, then 16 unclosed */
	ck_assert_uint_eq(d.n, 33);
	ck_assert_str_eq(d.msgs[16], "t.scn:22:1: alt nested too deeply (at most 16 levels)");
	ck_assert_str_eq(d.msgs[32], "t.scn:6:1: unclosed alt (missing '}')");
	scenario_diag_free(&d);
	free(t);
}
END_TEST

START_TEST(load)
{
	struct scn_diag d = {0};
	ck_assert_ptr_null(scenario_load("/nonexistent/x.scn", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.msgs[0], "/nonexistent/x.scn: No such file or directory");
	scenario_diag_free(&d);
	struct scenario *s = scenario_load(SCN_DIR "/server-injection.scn", &d);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->file, SCN_DIR "/server-injection.scn");
	scenario_free(s);
	s = scenario_load(SCN_DIR "/bad/unbalanced.scn", &d);
	ck_assert_ptr_null(s);
	ck_assert_uint_ge(d.n, 1);
	ck_assert(strncmp(d.msgs[0], SCN_DIR "/bad/unbalanced.scn:", strlen(SCN_DIR) + 20) == 0);
	scenario_diag_free(&d);
}
END_TEST

/* ---------- robustness ---------- */

static uint64_t rng_state;
/* fixed seed, so a failing mutation is reproducible */
static uint32_t rnd(void)
{
	return support_rand(&rng_state);
}

static const char *const snippets[] = {
	"alt {\n", "} or {\n", "}\n", "\"", "\\x", "${", "${helo}", "*1048576", "*0", "\r",
	"\n", "#", "expect ", "send \"a\"\n", "fail \"x\"\n", "tls ", "version 1.3-1.0 ", "\\",
	"{", "summary ", "target client\n", "expect command any\n", "\0", "\xff", "   ",
};

START_TEST(mutations)
{
	char **names;
	size_t nall = list_dir(SCN_DIR, ".scn", &names);
	size_t nfiles = nall > 64 ? 64 : nall;
	ck_assert_uint_ge(nfiles, 1);
	uint8_t *orig[64];
	size_t olen[64];
	for (size_t i = 0; i < nfiles; i++) {
		char *path = xasprintf("%s/%s", SCN_DIR, names[i]);
		orig[i] = (uint8_t *)support_slurp(path, &olen[i]);
		ck_assert_ptr_nonnull(orig[i]);
		free(path);
	}
	rng_state = 0x5ca1ab1e5eedULL;
	size_t parsed = 0;
	for (int iter = 0; iter < 2000; iter++) {
		size_t f = (size_t)iter % nfiles;
		struct buf b = {0};
		buf_append(&b, orig[f], olen[f]);
		int nmut = 1 + (int)(rnd() % 4);
		for (int m = 0; m < nmut; m++) {
			size_t pos = b.len ? rnd() % (b.len + 1) : 0;
			switch (rnd() % 5) {
			case 0: /* flip a byte */
				if (pos < b.len)
					b.data[pos] = (uint8_t)rnd();
				break;
			case 1: { /* delete a range */
				size_t k = rnd() % 16;
				if (pos + k > b.len)
					k = b.len - pos;
				memmove(b.data + pos, b.data + pos + k, b.len - pos - k);
				b.len -= k;
				break;
			}
			case 2: { /* insert a grammar snippet */
				const char *sn = snippets[rnd() % (sizeof snippets / sizeof snippets[0])];
				size_t k = sn[0] ? strlen(sn) : 1;
				struct buf nb = {0};
				buf_append(&nb, b.data, pos);
				buf_append(&nb, sn, k);
				buf_append(&nb, b.data + pos, b.len - pos);
				buf_free(&b);
				b = nb;
				break;
			}
			case 3: /* truncate */
				b.len = pos;
				break;
			default: { /* duplicate a chunk (lines, braces) */
				size_t k = rnd() % 64;
				if (pos + k > b.len)
					k = b.len - pos;
				struct buf nb = {0};
				buf_append(&nb, b.data, pos + k);
				buf_append(&nb, b.data + pos, b.len - pos);
				buf_free(&b);
				b = nb;
				break;
			}
			}
		}
		struct scn_diag d = {0};
		/* exact-size copy so ASan sees any read past the end */
		uint8_t *exact = xmalloc(b.len);
		if (b.len)
			memcpy(exact, b.data, b.len);
		struct scenario *s = scenario_parse("m.scn", exact, b.len, &d);
		if (s != NULL) {
			parsed++;
			ck_assert_uint_eq(d.n, 0);
			char *dump = scenario_dump(s);
			check_roundtrip("mutant", dump);
			free(dump);
			scenario_free(s);
		} else {
			ck_assert_uint_ge(d.n, 1);
			for (size_t k = 0; k < d.n; k++)
				ck_assert_msg(strncmp(d.msgs[k], "m.scn:", 6) == 0, "%s", d.msgs[k]);
		}
		scenario_diag_free(&d);
		free(exact);
		buf_free(&b);
	}
	/* the loop must exercise both outcomes to mean anything */
	ck_assert_uint_gt(parsed, 0);
	ck_assert_uint_lt(parsed, 2000);
	for (size_t i = 0; i < nfiles; i++)
		free(orig[i]);
	free_list(names, nall);
}
END_TEST

#ifdef STARK_ASAN
/* The tree and the diagnostics live in arenas (scenario_lex.c): under ASan
 * every block must still end in poisoned bytes, so an overrun traps as with
 * malloc. */
START_TEST(arena_redzones)
{
	static const char text[] = "scenario x\ntarget server\nsummary s\ncatalog S-01\n"
	                           "severity low\n\nsend \"ab\" \"cd\"\nexpect reply 2xx has STARTTLS\n";
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse("t.scn", (const uint8_t *)text, strlen(text), &d);
	ck_assert_ptr_nonnull(s);
	const char *strs[] = {s->file, s->id, s->summary, s->catalog[0], s->severity,
	                      s->body.steps[1].codepat, s->body.steps[1].has[0]};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		size_t n = strlen(strs[i]) + 1;
		ck_assert_ptr_null(__asan_region_is_poisoned((void *)strs[i], n));
		ck_assert_msg(__asan_address_is_poisoned(strs[i] + n), "no redzone after \"%s\"",
		              strs[i]);
	}
	const struct scn_part *part = &s->body.steps[0].str.parts[0];
	ck_assert_uint_eq(part->len, 4); /* "ab" "cd" merged into one part */
	ck_assert(__asan_address_is_poisoned(part->bytes + part->len));
	ck_assert(__asan_address_is_poisoned(&s->body.steps[s->body.n]));
	scenario_free(s);

	ck_assert_ptr_null(scenario_parse("t.scn", (const uint8_t *)"bogus\n", 6, &d));
	ck_assert_uint_gt(d.n, 1);
	for (size_t i = 0; i < d.n; i++)
		ck_assert(__asan_address_is_poisoned(d.msgs[i] + strlen(d.msgs[i]) + 1));
	scenario_diag_free(&d);
}
END_TEST
#endif

Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, golden_dumps);
	tcase_add_test(tc, golden_lint);
	tcase_add_test(tc, shipped_roundtrip);
	tcase_add_test(tc, tree_server);
	tcase_add_test(tc, tree_client);
	tcase_add_test(tc, string_canon);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, linecol);
	tcase_add_test(tc, nul_and_8bit);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, load);
	tcase_add_test(tc, mutations);
#ifdef STARK_ASAN
	tcase_add_test(tc, arena_redzones);
#endif
	suite_add_tcase(s, tc);
	return s;
}

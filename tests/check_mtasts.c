/* SPDX-License-Identifier: MIT */
/*
 * check_mtasts: the MTA-STS and TLS-RPT grammars and judgements (mtasts.c,
 * tlsrpt.c) on hand-written records, policies and fetch outcomes: RFC 8461
 * and RFC 8460 examples, each field's edge cases, the wildcard rule, and
 * the verdict of every P-06..P-09 path. The HTTPS fetch itself is tested
 * against a real nginx (tests/real/mtasts.sh). Public: mtasts_suite().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "run.h"
#include "tlsrpt.h"
#include "util.h"

/* ---- TXT, RFC 8461 3.1 ---- */

static const struct {
	const char *txt;
	int rc;
	const char *id; /* rc 0 */
	const char *err; /* rc -1: a word of the message */
} txts[] = {
    {"v=STSv1; id=20160831085700Z;", 0, "20160831085700Z", NULL}, /* RFC 8461 3.1's example */
    {"v=STSv1;id=abc", 0, "abc", NULL},
    {"v=STSv1; id=abc ; ext=val", 0, "abc", NULL},
    {"v=STSv1;\tid=A1;", 0, "A1", NULL},
    {"v=STSv1; x.y-z_1=1; id=Z", 0, "Z", NULL},
    {"v=STSv1; id=first; id=second", 0, "first", NULL},
    {"v=STSv1; id=12345678901234567890123456789012", 0, "12345678901234567890123456789012", NULL},
    {"v=STSv1; id=123456789012345678901234567890123", -1, NULL, "33 characters"},
    {"v=STSv1; id=ab-c", -1, NULL, "letters and digits"},
    {"v=STSv1; id=", -1, NULL, "empty value"},
    {"v=STSv1;", -1, NULL, "no id"},
    {"v=STSv1", -1, NULL, "expected ';'"},
    {"v=STSv1 id=abc", -1, NULL, "expected ';'"},
    {"v=STSv1; id=abc ", -1, NULL, "expected ';'"},
    {"v=STSv1; ext=a=b; id=abc", -1, NULL, "unexpected '='"},
    {"v=STSv1; =x; id=abc", -1, NULL, "name=value"},
    {"v=STSv1; id=abc; ext", -1, NULL, "name=value"},
    {"v=STSv10; id=abc", 1, NULL, NULL},
    {"v=STSv2; id=abc", 1, NULL, NULL},
    {"V=STSv1; id=abc", 1, NULL, NULL},
    {"v=spf1 -all", 1, NULL, NULL},
    {"", 1, NULL, NULL},
};

START_TEST(txt_grammar)
{
	struct mtasts_txt t;
	char err[256] = "";
	int rc = mtasts_txt_parse(txts[_i].txt, &t, err, sizeof err);
	ck_assert_msg(rc == txts[_i].rc, "'%s': rc %d, want %d (%s)", txts[_i].txt, rc, txts[_i].rc, err);
	if (rc == 0)
		ck_assert_str_eq(t.id, txts[_i].id);
	if (txts[_i].err)
		ck_assert_msg(strstr(err, txts[_i].err) != NULL, "'%s': '%s' lacks '%s'", txts[_i].txt, err,
		              txts[_i].err);
}
END_TEST

/* ---- policy, RFC 8461 3.2 ---- */

#define RFC_POLICY                                                                                    \
	"version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\n" \
	"max_age: 604800\n"

START_TEST(policy_rfc_example)
{
	struct mtasts_policy p;
	char err[256] = "";
	ck_assert_int_eq(mtasts_policy_parse(RFC_POLICY, strlen(RFC_POLICY), &p, err, sizeof err), 0);
	ck_assert_int_eq(p.mode, MTASTS_MODE_ENFORCE);
	ck_assert_int_eq(p.max_age, 604800);
	ck_assert_uint_eq(p.nmx, 3);
	ck_assert_str_eq(p.mx[1], "*.example.net");
	ck_assert_ptr_null(p.notes);
	mtasts_policy_free(&p);
	/* the same with CRLF line ends and no final line end */
	const char *crlf = "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 86400";
	ck_assert_int_eq(mtasts_policy_parse(crlf, strlen(crlf), &p, err, sizeof err), 0);
	ck_assert_int_eq(p.mode, MTASTS_MODE_TESTING);
	ck_assert_int_eq(p.max_age, 86400);
	ck_assert_uint_eq(p.nmx, 1);
	mtasts_policy_free(&p);
}
END_TEST

static const struct {
	const char *body;
	int rc;
	const char *word; /* in err (rc -1) or notes (rc 0) */
} policies[] = {
    {"version: STSv1\nmode: none\nmax_age: 0\n", 0, NULL},
    {"mode: enforce\nmax_age: 31557600\nmx: a.example\nversion: STSv1\n", 0, NULL}, /* any order */
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", -1, "above 31557600"},
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", -1, "digits"},
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", -1, "digits"},
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1e5\n", -1, "digits"},
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n", -1, "digits"},
    {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", -1, "STSv1"},
    {"mode: enforce\nmx: a.example\nmax_age: 1\n", -1, "no 'version'"},
    {"version: STSv1\nmx: a.example\nmax_age: 1\n", -1, "no 'mode'"},
    {"version: STSv1\nmode: enforce\nmx: a.example\n", -1, "no 'max_age'"},
    {"version: STSv1\nmode: enforce\nmax_age: 1\n", -1, "no 'mx'"},
    {"version: STSv1\nmode: testing\nmax_age: 1\n", -1, "no 'mx'"},
    {"version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", -1, "enforce, testing or none"},
    {"version: STSv1\nMode: enforce\nmode: none\nmax_age: 1\n", 0, "case-sensitive"},
    {"version: STSv1\nmode: none\nmax_age: 1\nfoo: bar baz\n", 0, "'foo' ignored"},
    {"version: STSv1\nmode: none\nmode: enforce\nmax_age: 1\n", 0, "second 'mode' ignored"},
    {"version: STSv1\nmode: none\n\nmax_age: 1\n", 0, "line 3 is empty"},
    {"version: STSv1\nmode: none\nmax_age: 1\n\n", 0, "line 4 is empty"},
    {"version: STSv1\rmode: none\nmax_age: 1\n", -1, "bare CR"},
    {"version STSv1\nmode: none\nmax_age: 1\n", -1, "key: value"},
    {"version: STSv1\nmode: enforce\nmx: *.*.example.net\nmax_age: 1\n", -1, "pattern"},
    {"version: STSv1\nmode: enforce\nmx: mail..example\nmax_age: 1\n", -1, "pattern"},
    {"version: STSv1\nmode: enforce\nmx: -mail.example\nmax_age: 1\n", -1, "pattern"},
    {"version: STSv1\nmode: enforce\nmx: mail.example.\nmax_age: 1\n", -1, "pattern"},
    {"version: STSv1\nmode: enforce\nmx: mail*.example\nmax_age: 1\n", -1, "pattern"},
    {"version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n", -1, "pattern"},
    {"", -1, "no 'version'"},
    {"<html><body>Not found</body></html>\n", -1, "key: value"},
};

START_TEST(policy_grammar)
{
	struct mtasts_policy p;
	char err[256] = "";
	const char *b = policies[_i].body;
	int rc = mtasts_policy_parse(b, strlen(b), &p, err, sizeof err);
	ck_assert_msg(rc == policies[_i].rc, "%s: rc %d, want %d (%s)", b, rc, policies[_i].rc, err);
	if (policies[_i].word) {
		const char *where = rc == 0 ? (p.notes ? p.notes : "") : err;
		ck_assert_msg(strstr(where, policies[_i].word) != NULL, "%s: '%s' lacks '%s'", b, where,
		              policies[_i].word);
	} else {
		ck_assert_ptr_null(p.notes);
	}
	if (rc != 0)
		ck_assert_uint_eq(p.nmx, 0);
	mtasts_policy_free(&p);
}
END_TEST

START_TEST(policy_details)
{
	struct mtasts_policy p;
	char err[256];
	/* a NUL byte inside the body (len covers it) */
	const char nul[] = "version: STSv1\nmode: none\0\nmax_age: 1\n";
	ck_assert_int_eq(mtasts_policy_parse(nul, sizeof nul - 1, &p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	/* patterns are compared without case: stored lower-cased */
	const char *up = "version: STSv1\nmode: enforce\nmx: MAIL.Example.COM\nmax_age: 1\n";
	ck_assert_int_eq(mtasts_policy_parse(up, strlen(up), &p, err, sizeof err), 0);
	ck_assert_str_eq(p.mx[0], "mail.example.com");
	ck_assert(mtasts_mx_match(&p, "mail.EXAMPLE.com."));
	mtasts_policy_free(&p);
	/* the first mode counts when repeated; every mx counts */
	const char *dup = "version: STSv1\nmode: testing\nmode: enforce\nmx: a.x\nmx: b.x\nmax_age: 5\n";
	ck_assert_int_eq(mtasts_policy_parse(dup, strlen(dup), &p, err, sizeof err), 0);
	ck_assert_int_eq(p.mode, MTASTS_MODE_TESTING);
	ck_assert_uint_eq(p.nmx, 2);
	mtasts_policy_free(&p);
	/* whitespace around values */
	const char *ws = "version:STSv1\nmode:\t enforce \t\nmx:  a.x  \nmax_age: 7   \n";
	ck_assert_int_eq(mtasts_policy_parse(ws, strlen(ws), &p, err, sizeof err), 0);
	ck_assert_str_eq(p.mx[0], "a.x");
	ck_assert_int_eq(p.max_age, 7);
	mtasts_policy_free(&p);
}
END_TEST

/* ---- mx match, RFC 8461 4.1 ---- */

static const struct {
	const char *pattern, *host;
	bool match;
} matches[] = {
    {"mail.example.com", "mail.example.com", true},
    {"mail.example.com", "MAIL.Example.com", true},
    {"mail.example.com", "mail.example.com.", true},
    {"mail.example.com", "mail.example.com.evil", false},
    {"mail.example.com", "xmail.example.com", false},
    {"mail.example.com", "example.com", false},
    {"*.example.net", "mx1.example.net", true}, /* RFC 8461 4.1: one left-most label */
    {"*.example.net", "MX1.EXAMPLE.NET.", true},
    {"*.example.net", "example.net", false},
    {"*.example.net", "a.b.example.net", false}, /* not two labels */
    {"*.example.net", "mx1.xexample.net", false},
    {"*.example.net", ".example.net", false},
    {"*.example.net", "mx1.example.net.evil", false},
    {"*.example.net", "", false},
    {"mail.example.com", "", false},
    {"mail.example.com", ".", false},
};

START_TEST(mx_match)
{
	ck_assert_msg(mtasts_pattern_match(matches[_i].pattern, matches[_i].host) == matches[_i].match,
	              "%s vs %s: want %d", matches[_i].pattern, matches[_i].host, matches[_i].match);
}
END_TEST

/* ---- judgements ---- */

static struct mtasts_txtset txtset(enum mtasts_dns st, const char *const *txt, size_t n)
{
	struct mtasts_txtset s = {"_mta-sts.example.test", st, "insecure", NULL, txt, n};
	if (st == MTASTS_DNS_FAIL)
		s.error = "SERVFAIL";
	return s;
}

static bool has_note(const struct result *r, const char *word)
{
	for (size_t i = 0; i < r->tr.n; i++)
		if (memmem(r->tr.ev[i].data, r->tr.ev[i].len, word, strlen(word)))
			return true;
	return false;
}

START_TEST(judge_txt)
{
	static const char *const good[] = {"v=spf1 -all", "v=STSv1; id=2024a"};
	static const char *const two[] = {"v=STSv1; id=a", "v=STSv1; id=b"};
	static const char *const bad[] = {"v=STSv1; id=not-alnum"};
	static const char *const other[] = {"v=spf1 -all"};
	struct {
		enum mtasts_dns st;
		const char *const *txt;
		size_t n;
		enum verdict v;
		const char *word;
	} cases[] = {
	    {MTASTS_DNS_ANSWER, good, 2, V_PASS, "id=2024a"},
	    {MTASTS_DNS_ANSWER, two, 2, V_FAIL, "2 TXT records"},
	    {MTASTS_DNS_ANSWER, bad, 1, V_FAIL, "letters and digits"},
	    {MTASTS_DNS_ANSWER, other, 1, V_WARN, "no TXT record begins with v=STSv1"},
	    {MTASTS_DNS_NONE, NULL, 0, V_WARN, "no such name"},
	    {MTASTS_DNS_FAIL, NULL, 0, V_ERROR, "SERVFAIL"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mtasts_state st;
		mtasts_state_init(&st);
		struct mtasts_txtset s = txtset(cases[i].st, cases[i].txt, cases[i].n);
		struct result r;
		mtasts_judge_txt(&st, "example.test", &s, &r);
		ck_assert_msg(r.verdict == cases[i].v, "case %zu: %s (%s)", i, result_verdict_label(r.verdict),
		              r.reason);
		ck_assert_str_eq(r.id, "mta-sts/p06-txt");
		ck_assert_str_eq(r.catalog[0], "P-06");
		ck_assert_str_eq(r.node, "example.test");
		const char *text = r.verdict == V_PASS ? r.notes : r.reason;
		ck_assert_msg(text && strstr(text, cases[i].word), "case %zu: '%s'", i, text);
		ck_assert(st.txt_ok == (cases[i].v == V_PASS));
		ck_assert(has_note(&r, "_mta-sts.example.test"));
		for (size_t k = 0; k < cases[i].n; k++)
			ck_assert_msg(has_note(&r, cases[i].txt[k]), "the record %s is evidence", cases[i].txt[k]);
		result_free(&r);
		mtasts_state_free(&st);
	}
}
END_TEST

#define GOOD_BODY "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.mx.example.test\nmax_age: 604800\n"

static struct mtasts_fetched fetched(long status, const char *ct, const char *body)
{
	struct mtasts_fetched f;
	memset(&f, 0, sizeof f);
	f.url = xstrdup("https://mta-sts.example.test/.well-known/mta-sts.txt");
	f.fail = MTASTS_FETCH_OK;
	f.connected = f.tls_ok = true;
	f.http_status = status;
	f.content_type = ct ? xstrdup(ct) : NULL;
	f.headers = xasprintf("HTTP/1.1 %ld X\r\n\r\n", status);
	f.body = xstrdup(body);
	f.body_len = strlen(body);
	return f;
}

static struct result judge_policy_of(struct mtasts_fetched *f, struct mtasts_state *st)
{
	static const char *const rec[] = {"v=STSv1; id=1"};
	struct mtasts_txtset s = txtset(MTASTS_DNS_ANSWER, rec, 1);
	struct result r6, r7;
	mtasts_state_init(st);
	mtasts_judge_txt(st, "example.test", &s, &r6);
	ck_assert_int_eq(r6.verdict, V_PASS);
	result_free(&r6);
	mtasts_judge_policy(st, "example.test", f, &r7);
	mtasts_fetched_free(f);
	return r7;
}

START_TEST(judge_policy)
{
	struct {
		long status;
		const char *ct, *body;
		enum mtasts_fetch_fail fail;
		enum verdict v;
		const char *word;
	} cases[] = {
	    {200, "text/plain", GOOD_BODY, MTASTS_FETCH_OK, V_PASS, "mode enforce"},
	    {200, "text/plain; charset=utf-8", GOOD_BODY, MTASTS_FETCH_OK, V_PASS, "max_age 604800"},
	    {200, "Text/Plain", GOOD_BODY, MTASTS_FETCH_OK, V_PASS, "mx1.example.test"},
	    {200, "text/plain", "version: STSv1\nmode: testing\nmx: a.x\nmax_age: 86400\n", MTASTS_FETCH_OK,
	     V_WARN, "mode testing"},
	    {200, "text/plain", "version: STSv1\nmode: none\nmax_age: 86400\n", MTASTS_FETCH_OK, V_WARN,
	     "mode none"},
	    {200, "text/plain", "version: STSv1\nmode: enforce\nmx: a.x\nmax_age: 60\n", MTASTS_FETCH_OK, V_PASS,
	     "under a day"},
	    {200, "text/plain", "version: STSv1\nmode: enforce\nmx: a.x\nmax_age: 31557601\n", MTASTS_FETCH_OK,
	     V_FAIL, "above 31557600"},
	    {200, "text/html", GOOD_BODY, MTASTS_FETCH_OK, V_FAIL, "not text/plain"},
	    {200, "text/plainx", GOOD_BODY, MTASTS_FETCH_OK, V_FAIL, "not text/plain"},
	    {200, NULL, GOOD_BODY, MTASTS_FETCH_OK, V_FAIL, "Content-Type missing"},
	    {301, "text/html", "", MTASTS_FETCH_OK, V_FAIL, "MUST NOT follow"},
	    {404, "text/html", "", MTASTS_FETCH_OK, V_FAIL, "HTTP 404"},
	    {0, NULL, "", MTASTS_FETCH_TLS_VERIFY, V_FAIL, "not valid for mta-sts.example.test"},
	    {0, NULL, "", MTASTS_FETCH_DNS_NONE, V_FAIL, "the policy cannot be fetched"},
	    {0, NULL, "", MTASTS_FETCH_TOO_LARGE, V_FAIL, "larger than 65536"},
	    {0, NULL, "", MTASTS_FETCH_TIMEOUT, V_ERROR, "could not be fetched"},
	    {0, NULL, "", MTASTS_FETCH_CONNECT, V_ERROR, "could not be fetched"},
	    {0, NULL, "", MTASTS_FETCH_DNS_FAIL, V_ERROR, "could not be fetched"},
	    {0, NULL, "", MTASTS_FETCH_TLS, V_ERROR, "could not be fetched"},
	    {0, NULL, "", MTASTS_FETCH_INTERRUPTED, V_ERROR, "could not be fetched"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mtasts_fetched f = fetched(cases[i].status, cases[i].ct, cases[i].body);
		f.fail = cases[i].fail;
		if (f.fail != MTASTS_FETCH_OK)
			f.error = xstrdup("transport detail");
		struct mtasts_state st;
		struct result r = judge_policy_of(&f, &st);
		ck_assert_msg(r.verdict == cases[i].v, "case %zu: %s (%s)", i, result_verdict_label(r.verdict),
		              r.reason);
		ck_assert_str_eq(r.catalog[0], "P-07");
		const char *text = r.verdict == V_PASS ? r.notes : r.reason;
		ck_assert_msg(text && strstr(text, cases[i].word), "case %zu: '%s' lacks '%s'", i, text,
		              cases[i].word);
		ck_assert(st.policy_ok == (cases[i].v == V_PASS || cases[i].v == V_WARN));
		ck_assert(has_note(&r, "mta-sts.txt"));
		if (cases[i].fail == MTASTS_FETCH_OK && cases[i].body[0])
			ck_assert_msg(has_note(&r, "version: STSv1"), "case %zu: the body is evidence", i);
		result_free(&r);
		mtasts_state_free(&st);
	}
}
END_TEST

START_TEST(judge_skips)
{
	/* no record: P-07 and P-08 SKIP without blaming P-06 (a WARN) */
	struct mtasts_state st;
	mtasts_state_init(&st);
	struct mtasts_txtset s = txtset(MTASTS_DNS_NONE, NULL, 0);
	struct result r;
	mtasts_judge_txt(&st, "example.test", &s, &r);
	ck_assert_int_eq(r.verdict, V_WARN);
	result_free(&r);
	mtasts_judge_policy(&st, "example.test", NULL, &r);
	ck_assert_int_eq(r.verdict, V_SKIP);
	ck_assert_ptr_null(r.blocked_by);
	result_free(&r);
	mtasts_judge_mx(&st, "example.test", NULL, 0, &r);
	ck_assert_int_eq(r.verdict, V_SKIP);
	ck_assert_ptr_null(r.blocked_by);
	result_free(&r);
	mtasts_state_free(&st);
	/* two records: both later steps name P-06 as the cause */
	static const char *const two[] = {"v=STSv1; id=a", "v=STSv1; id=b"};
	mtasts_state_init(&st);
	s = txtset(MTASTS_DNS_ANSWER, two, 2);
	mtasts_judge_txt(&st, "example.test", &s, &r);
	result_free(&r);
	mtasts_judge_policy(&st, "example.test", NULL, &r);
	ck_assert_int_eq(r.verdict, V_SKIP);
	ck_assert_str_eq(r.blocked_by, "mta-sts/p06-txt");
	result_free(&r);
	mtasts_judge_mx(&st, "example.test", NULL, 0, &r);
	ck_assert_str_eq(r.blocked_by, "mta-sts/p06-txt");
	result_free(&r);
	mtasts_state_free(&st);
	/* a 404: P-08 names P-07 */
	struct mtasts_fetched f = fetched(404, "text/html", "");
	r = judge_policy_of(&f, &st);
	ck_assert_int_eq(r.verdict, V_FAIL);
	result_free(&r);
	mtasts_judge_mx(&st, "example.test", NULL, 0, &r);
	ck_assert_int_eq(r.verdict, V_SKIP);
	ck_assert_str_eq(r.blocked_by, "mta-sts/p07-policy");
	result_free(&r);
	mtasts_state_free(&st);
}
END_TEST

START_TEST(judge_mx)
{
	const struct mtasts_mx ok1 = {"mx1.example.test", true, true, ""};
	const struct mtasts_mx ok2 = {"a.mx.example.test.", true, true, ""};
	const struct mtasts_mx deep = {"a.b.mx.example.test", true, true, ""};
	const struct mtasts_mx outside = {"mx9.elsewhere.test", true, true, ""};
	const struct mtasts_mx badcert = {"mx1.example.test", true, false, "X-02: certificate not for mx1"};
	const struct mtasts_mx unknown = {"b.mx.example.test", false, false, "connection refused"};
	struct {
		struct mtasts_mx mx[3];
		size_t n;
		const char *body;
		enum verdict v;
		const char *word;
	} cases[] = {
	    {{ok1, ok2}, 2, GOOD_BODY, V_PASS, "a.mx.example.test. (*.mx.example.test)"},
	    {{ok1, outside}, 2, GOOD_BODY, V_FAIL, "mx9.elsewhere.test matches no mx pattern"},
	    {{ok1, deep}, 2, GOOD_BODY, V_FAIL, "a.b.mx.example.test matches no mx pattern"},
	    {{badcert, ok2}, 2, GOOD_BODY, V_FAIL, "certificate not for mx1"},
	    {{ok1, unknown}, 2, GOOD_BODY, V_ERROR, "connection refused"},
	    {{outside, unknown}, 2, GOOD_BODY, V_FAIL, "1 of 2 MX fails"},
	    {{outside}, 1, "version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 86400\n", V_FAIL,
	     "mode testing"},
	    {{outside}, 1, "version: STSv1\nmode: none\nmax_age: 86400\n", V_SKIP, "mode none"},
	    {{ok1}, 0, GOOD_BODY, V_ERROR, "no MX"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mtasts_fetched f = fetched(200, "text/plain", cases[i].body);
		struct mtasts_state st;
		struct result r7 = judge_policy_of(&f, &st);
		result_free(&r7);
		struct result r;
		mtasts_judge_mx(&st, "example.test", cases[i].mx, cases[i].n, &r);
		ck_assert_msg(r.verdict == cases[i].v, "case %zu: %s (%s)", i, result_verdict_label(r.verdict),
		              r.reason);
		ck_assert_str_eq(r.catalog[0], "P-08");
		ck_assert_str_eq(r.severity, "high");
		const char *text = r.verdict == V_PASS ? r.notes : r.reason;
		ck_assert_msg(text && strstr(text, cases[i].word), "case %zu: '%s' lacks '%s'", i, text,
		              cases[i].word);
		for (size_t k = 0; k < cases[i].n && cases[i].v != V_SKIP; k++)
			ck_assert(has_note(&r, cases[i].mx[k].host));
		result_free(&r);
		mtasts_state_free(&st);
	}
}
END_TEST

static void add_result(struct run *run, const char *node, const char *id, const char *cat,
                       enum verdict v, const char *reason)
{
	struct result r;
	memset(&r, 0, sizeof r);
	transcript_init(&r.tr);
	r.id = xstrdup(id);
	r.node = xstrdup(node);
	r.title = xstrdup("");
	r.file = xstrdup("");
	r.severity = xstrdup("high");
	r.catalog = xcalloc(2, sizeof *r.catalog);
	r.catalog[0] = xstrdup(cat);
	r.ncatalog = 1;
	r.verdict = v;
	r.reason = xstrdup(reason);
	run_add(run, &r);
}

/* One node's certificate rules as a scan under any policy leaves them. */
static void add_cert_rules(struct run *run, const char *node, enum verdict x01, enum verdict x02)
{
	add_result(run, node, "tls/t01-sslv2", "T-01", V_PASS, "");
	add_result(run, node, "cert/x01-chain", "X-01", x01, x01 == V_PASS ? "" : "chain does not validate");
	add_result(run, node, "cert/x02-name", "X-02", x02, x02 == V_PASS ? "" : "name does not match");
	add_result(run, node, "cert/x03-validity", "X-03", V_PASS, "");
}

START_TEST(mx_facts_from_a_scan)
{
	struct run run;
	run_init(&run);
	add_cert_rules(&run, "127.0.0.2:25", V_PASS, V_PASS);
	add_cert_rules(&run, "127.0.0.3:25", V_PASS, V_PASS);
	add_cert_rules(&run, "127.0.0.4:25", V_PASS, V_FAIL);
	add_cert_rules(&run, "127.0.0.5:25", V_ERROR, V_PASS);
	add_result(&run, "127.0.0.6:25", "tls/probe", "T-04", V_ERROR, "connection refused");
	struct mtasts_mx mx;
	const char *both[] = {"127.0.0.2:25", "127.0.0.3:25"};
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, both, 2);
	ck_assert(mx.tls_known && mx.tls_ok);
	ck_assert_str_eq(mx.detail, "");
	ck_assert_str_eq(mx.host, "mx1.example.test");
	/* one address of two with the wrong name: the MX fails */
	const char *one_bad[] = {"127.0.0.2:25", "127.0.0.4:25"};
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, one_bad, 2);
	ck_assert(mx.tls_known && !mx.tls_ok);
	ck_assert_ptr_nonnull(strstr(mx.detail, "127.0.0.4:25: X-02 name does not match"));
	/* an ERROR is not a finding: unknown */
	const char *err[] = {"127.0.0.5:25"};
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, err, 1);
	ck_assert(!mx.tls_known && !mx.tls_ok);
	ck_assert_ptr_nonnull(strstr(mx.detail, "X-01"));
	const char *dead[] = {"127.0.0.6:25"};
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, dead, 1);
	ck_assert(!mx.tls_known);
	ck_assert_ptr_nonnull(strstr(mx.detail, "connection refused"));
	/* a FAIL on one address outranks an ERROR on another */
	const char *mixed[] = {"127.0.0.5:25", "127.0.0.4:25"};
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, mixed, 2);
	ck_assert(mx.tls_known && !mx.tls_ok);
	/* nothing scanned */
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, NULL, 0);
	ck_assert(!mx.tls_known);
	const char *absent[] = {"127.0.0.9:25"};
	mtasts_mx_from_run(&mx, "mx1.example.test", &run, absent, 1);
	ck_assert(!mx.tls_known);
	ck_assert_ptr_nonnull(strstr(mx.detail, "no cert/x01-chain result"));
	run_free(&run);
}
END_TEST

/* ---- TLS-RPT, RFC 8460 3 ---- */

static const struct {
	const char *txt;
	int rc;
	size_t nrua;
	const char *word; /* first rua (rc 0) or in err (rc -1) */
} rpts[] = {
    {"v=TLSRPTv1;rua=mailto:reports@example.com", 0, 1, "mailto:reports@example.com"}, /* RFC 8460 3 */
    {"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", 0, 1, "https://reporting.example.com/v1/tlsrpt"},
    {"v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/x;", 0, 2, "mailto:a@example.com"},
    {"v=TLSRPTv1; ext=1; rua=mailto:a@example.com ; ", 0, 1, "mailto:a@example.com"},
    {"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", 0, 1, "mailto:a@example.com"},
    {"v=TLSRPTv1;", -1, 0, "no rua"},
    {"v=TLSRPTv1", -1, 0, "expected ';'"},
    {"v=TLSRPTv1; ext=1", -1, 0, "no rua"},
    {"v=TLSRPTv1; rua=http://r.example.com/", -1, 0, "neither mailto: nor https:"},
    {"v=TLSRPTv1; rua=reports@example.com", -1, 0, "neither mailto: nor https:"},
    {"v=TLSRPTv1; rua=mailto:example.com", -1, 0, "local@domain"},
    {"v=TLSRPTv1; rua=mailto:a@b@c", -1, 0, "local@domain"},
    {"v=TLSRPTv1; rua=https:relative", -1, 0, "needs a host"},
    {"v=TLSRPTv1; rua=", -1, 0, "empty URI"},
    {"v=TLSRPTv1; rua=mailto:a@example.com,", -1, 0, "empty URI"},
    {"v=TLSRPTv1 rua=mailto:a@example.com", -1, 0, "expected ';'"},
    {"v=TLSRPTv2; rua=mailto:a@example.com", 1, 0, NULL},
    {"v=STSv1; id=1", 1, 0, NULL},
};

START_TEST(tlsrpt_grammar)
{
	struct tlsrpt_record t;
	char err[256] = "";
	int rc = tlsrpt_parse(rpts[_i].txt, &t, err, sizeof err);
	ck_assert_msg(rc == rpts[_i].rc, "'%s': rc %d, want %d (%s)", rpts[_i].txt, rc, rpts[_i].rc, err);
	ck_assert_uint_eq(t.nrua, rpts[_i].nrua);
	if (rc == 0)
		ck_assert_str_eq(t.rua[0], rpts[_i].word);
	else if (rpts[_i].word)
		ck_assert_msg(strstr(err, rpts[_i].word) != NULL, "'%s': '%s' lacks '%s'", rpts[_i].txt, err,
		              rpts[_i].word);
	tlsrpt_record_free(&t);
}
END_TEST

START_TEST(tlsrpt_judgement)
{
	static const char *const good[] = {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:tls@example.test"};
	static const char *const two[] = {"v=TLSRPTv1; rua=mailto:a@example.test",
	                                  "v=TLSRPTv1; rua=mailto:b@example.test"};
	static const char *const bad[] = {"v=TLSRPTv1; rua=http://example.test/"};
	struct {
		enum mtasts_dns st;
		const char *const *txt;
		size_t n;
		enum verdict v;
		const char *word;
	} cases[] = {
	    {MTASTS_DNS_ANSWER, good, 2, V_PASS, "rua=mailto:tls@example.test"},
	    {MTASTS_DNS_ANSWER, two, 2, V_FAIL, "2 TXT records"},
	    {MTASTS_DNS_ANSWER, bad, 1, V_FAIL, "malformed"},
	    {MTASTS_DNS_NONE, NULL, 0, V_WARN, "no TLS-RPT record"},
	    {MTASTS_DNS_FAIL, NULL, 0, V_ERROR, "SERVFAIL"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mtasts_txtset s = txtset(cases[i].st, cases[i].txt, cases[i].n);
		s.qname = "_smtp._tls.example.test";
		struct result r;
		tlsrpt_judge("example.test", &s, &r);
		ck_assert_msg(r.verdict == cases[i].v, "case %zu: %s (%s)", i, result_verdict_label(r.verdict),
		              r.reason);
		ck_assert_str_eq(r.id, "tls-rpt/p09-record");
		ck_assert_str_eq(r.catalog[0], "P-09");
		ck_assert_str_eq(r.refs[0], "RFC 8460 3");
		const char *text = r.verdict == V_PASS ? r.notes : r.reason;
		ck_assert_msg(text && strstr(text, cases[i].word), "case %zu: '%s'", i, text);
		ck_assert(has_note(&r, "_smtp._tls.example.test"));
		result_free(&r);
	}
}
END_TEST

START_TEST(rules_table)
{
	const char *want[] = {"P-06", "P-07", "P-08"};
	size_t n = 0;
	for (const struct mtasts_rule *r = mtasts_rules(); r->id; r++, n++) {
		ck_assert_str_eq(r->catalog, want[n]);
		ck_assert_ptr_nonnull(strstr(r->ref, "RFC 8461"));
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(tlsrpt_rule()->catalog, "P-09");
}
END_TEST

Suite *mtasts_suite(void)
{
	Suite *s = suite_create("mtasts");
	TCase *tc = tcase_create("grammar");
	tcase_add_loop_test(tc, txt_grammar, 0, (int)(sizeof txts / sizeof txts[0]));
	tcase_add_test(tc, policy_rfc_example);
	tcase_add_loop_test(tc, policy_grammar, 0, (int)(sizeof policies / sizeof policies[0]));
	tcase_add_test(tc, policy_details);
	tcase_add_loop_test(tc, mx_match, 0, (int)(sizeof matches / sizeof matches[0]));
	tcase_add_loop_test(tc, tlsrpt_grammar, 0, (int)(sizeof rpts / sizeof rpts[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("judge");
	tcase_add_test(tc, judge_txt);
	tcase_add_test(tc, judge_policy);
	tcase_add_test(tc, judge_skips);
	tcase_add_test(tc, judge_mx);
	tcase_add_test(tc, mx_facts_from_a_scan);
	tcase_add_test(tc, tlsrpt_judgement);
	tcase_add_test(tc, rules_table);
	suite_add_tcase(s, tc);
	return s;
}

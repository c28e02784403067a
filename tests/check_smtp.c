/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for smtp: reply parser (framing, flags, hostile limits),
 * EHLO keyword lookup and grammar, command parser, code patterns, flag
 * names, and a seeded property check that the incremental reply and
 * command parsers give the same answer for a whole buffer and its prefixes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"
#include "support.h"

/* String literals may hold NUL: always pass their real length. */
#define LIT(s) (const uint8_t *)(s), (sizeof(s) - 1)

static struct smtp_reply R; /* ~8 KiB: keep it off the stack */

static bool span_is(const uint8_t *buf, struct smtp_span sp, const char *want)
{
	return sp.len == strlen(want) && memcmp(buf + sp.off, want, sp.len) == 0;
}

static ssize_t rp(const uint8_t *buf, size_t len)
{
	const char *why = NULL;
	ssize_t n = smtp_reply_parse(buf, len, &R, &why);
	if (n == -1)
		ck_assert_ptr_nonnull(why);
	else
		ck_assert_ptr_null(why);
	ck_assert(n <= (ssize_t)len);
	return n;
}

/* ---- reply parser: framing ---- */

START_TEST(reply_single_line)
{
	const uint8_t *b = (const uint8_t *)"220 mx.example ESMTP\r\n";
	ck_assert_int_eq(rp(b, 22), 22);
	ck_assert_int_eq(R.code, 220);
	ck_assert_uint_eq(R.flags, 0);
	ck_assert_uint_eq(R.nlines, 1);
	ck_assert_uint_eq(R.len, 22);
	ck_assert(span_is(b, R.line[0], "220 mx.example ESMTP"));
	ck_assert(span_is(b, R.text[0], "mx.example ESMTP"));
}
END_TEST

START_TEST(reply_multi_line)
{
	static const char s[] = "250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
	const uint8_t *b = (const uint8_t *)s;
	ck_assert_int_eq(rp(LIT(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(R.code, 250);
	ck_assert_uint_eq(R.flags, 0);
	ck_assert_uint_eq(R.nlines, 3);
	ck_assert(span_is(b, R.text[0], "mx.example"));
	ck_assert(span_is(b, R.text[1], "PIPELINING"));
	ck_assert(span_is(b, R.text[2], "STARTTLS"));
	ck_assert(span_is(b, R.line[2], "250 STARTTLS"));
}
END_TEST

START_TEST(reply_split_across_calls)
{
	/* every proper prefix, including one ending between CR and LF, needs more */
	static const char s[] = "250-mx.example\r\n250 ok\r\n";
	size_t n = strlen(s);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(rp((const uint8_t *)s, k), 0);
	ck_assert_int_eq(rp((const uint8_t *)s, n), (ssize_t)n);
	ck_assert_uint_eq(R.nlines, 2);
	ck_assert_uint_eq(R.flags, 0);
}
END_TEST

START_TEST(reply_two_in_one_buffer)
{
	/* RFC 3207 response injection (CVE-2020-14954 class): the 220 must be
	 * consumed alone so the caller sees the rest as separate bytes */
	static const char s[] = "220 go ahead\r\n250-example.org\r\n250 AUTH LOGIN\r\n";
	const uint8_t *b = (const uint8_t *)s;
	ssize_t n = rp(LIT(s));
	ck_assert_int_eq(n, 14);
	ck_assert_int_eq(R.code, 220);
	ck_assert_uint_eq(R.nlines, 1);
	ssize_t m = rp(b + n, strlen(s) - (size_t)n);
	ck_assert_int_eq(m, (ssize_t)strlen(s) - n);
	ck_assert_int_eq(R.code, 250);
	ck_assert_uint_eq(R.nlines, 2);
	/* spans are relative to the buffer handed in */
	ck_assert(span_is(b + n, R.text[1], "AUTH LOGIN"));
}
END_TEST

START_TEST(reply_empty_buffer)
{
	ck_assert_int_eq(rp((const uint8_t *)"", 0), 0);
	ck_assert_int_eq(smtp_reply_parse((const uint8_t *)"250 ok\r\n", 8, &R, NULL), 8);
}
END_TEST

/* ---- reply parser: deviations ---- */

START_TEST(reply_bare_lf)
{
	static const char s[] = "250-a\n250 ok\r\n";
	const uint8_t *b = (const uint8_t *)s;
	ck_assert_int_eq(rp(LIT(s)), 14);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_LF);
	ck_assert(span_is(b, R.line[0], "250-a"));
	ck_assert(span_is(b, R.line[1], "250 ok"));
}
END_TEST

START_TEST(reply_bare_cr)
{
	static const char s1[] = "250 o\rk\r\n";
	ck_assert_int_eq(rp(LIT(s1)), 9);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_CR);
	ck_assert(span_is((const uint8_t *)s1, R.text[0], "o\rk"));
	/* CR CR LF: the last CR belongs to the terminator, the first is bare */
	static const char s2[] = "250 ok\r\r\n";
	ck_assert_int_eq(rp(LIT(s2)), 9);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_CR);
	ck_assert(span_is((const uint8_t *)s2, R.line[0], "250 ok\r"));
	/* a CR alone does not end a line (RFC 5321 2.3.8) */
	static const char s3[] = "250 a\r250 b\r";
	ck_assert_int_eq(rp(LIT(s3)), 0);
}
END_TEST

START_TEST(reply_mixed_codes)
{
	static const char s[] = "250-a\r\n251-b\r\n252 c\r\n";
	ck_assert_int_eq(rp(LIT(s)), (ssize_t)strlen(s));
	ck_assert_uint_eq(R.flags, SMTP_F_MIXED_CODES);
	ck_assert_int_eq(R.code, 252);
	ck_assert_uint_eq(R.nlines, 3);
}
END_TEST

START_TEST(reply_bare_code)
{
	static const char s1[] = "250\r\n";
	ck_assert_int_eq(rp(LIT(s1)), 5);
	ck_assert_int_eq(R.code, 250);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_CODE);
	ck_assert_uint_eq(R.text[0].len, 0);
	/* a bare code is a final line: it ends a multi-line reply */
	static const char s2[] = "250-a\r\n250\r\n250 next\r\n";
	ck_assert_int_eq(rp(LIT(s2)), 12);
	ck_assert_uint_eq(R.nlines, 2);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_CODE);
	/* "ddd-" and "ddd " with empty text are well formed, not bare */
	static const char s3[] = "250-\r\n250 \r\n";
	ck_assert_int_eq(rp(LIT(s3)), 12);
	ck_assert_uint_eq(R.flags, 0);
	ck_assert_uint_eq(R.text[0].len, 0);
	ck_assert_uint_eq(R.text[1].len, 0);
}
END_TEST

START_TEST(reply_code_range)
{
	/* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
	static const struct {
		const char *s;
		int code;
		bool bad;
	} t[] = {
	    {"220 x\r\n", 220, false}, {"259 x\r\n", 259, false}, {"354 x\r\n", 354, false},
	    {"421 x\r\n", 421, false}, {"559 x\r\n", 559, false}, {"200 x\r\n", 200, false},
	    {"600 x\r\n", 600, true},  {"199 x\r\n", 199, true},  {"100 x\r\n", 100, true},
	    {"260 x\r\n", 260, true},  {"599 x\r\n", 599, true},  {"099 x\r\n", 99, true},
	    {"000 x\r\n", 0, true},    {"999 x\r\n", 999, true},  {"260\r\n", 260, true},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t n = strlen(t[i].s);
		ck_assert_int_eq(rp((const uint8_t *)t[i].s, n), (ssize_t)n);
		ck_assert_int_eq(R.code, t[i].code);
		ck_assert_msg(!!(R.flags & SMTP_F_CODE_RANGE) == t[i].bad, "%s", t[i].s);
	}
}
END_TEST

static uint8_t *line_of(size_t textlen, const char *term)
{
	size_t tl = strlen(term);
	uint8_t *b = malloc(4 + textlen + tl);
	ck_assert_ptr_nonnull(b);
	memcpy(b, "250 ", 4);
	memset(b + 4, 'a', textlen);
	memcpy(b + 4 + textlen, term, tl);
	return b;
}

START_TEST(reply_long_line)
{
	/* RFC 5321 4.5.3.1.5: 512 octets including the reply code and CRLF */
	uint8_t *b = line_of(506, "\r\n"); /* 512 */
	ck_assert_int_eq(rp(b, 512), 512);
	ck_assert_uint_eq(R.flags, 0);
	free(b);
	b = line_of(507, "\r\n"); /* 513 */
	ck_assert_int_eq(rp(b, 513), 513);
	ck_assert_uint_eq(R.flags, SMTP_F_LONG_LINE);
	ck_assert_uint_eq(R.text[0].len, 507);
	free(b);
	/* counted as the bytes on the wire: 508 + 4 + LF = 513 */
	b = line_of(507, "\n"); /* 512 */
	ck_assert_int_eq(rp(b, 512), 512);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_LF);
	free(b);
	b = line_of(508, "\n"); /* 513 */
	ck_assert_int_eq(rp(b, 513), 513);
	ck_assert_uint_eq(R.flags, SMTP_F_BARE_LF | SMTP_F_LONG_LINE);
	free(b);
}
END_TEST

START_TEST(reply_hostile_no_lf)
{
	uint8_t *b = malloc(70000);
	ck_assert_ptr_nonnull(b);
	memcpy(b, "250 ", 4);
	memset(b + 4, 'a', 70000 - 4);
	const char *why = NULL;
	ck_assert_int_eq(smtp_reply_parse(b, 70000, &R, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert(strlen(why) > 0);
	/* decided as soon as the limit is reached, not later */
	ck_assert_int_eq(rp(b, SMTP_HARD_LINE_MAX - 1), 0);
	ck_assert_int_eq(rp(b, SMTP_HARD_LINE_MAX), -1);
	/* a line of exactly the hard limit incl. terminator is parsed (and long) */
	b[SMTP_HARD_LINE_MAX - 1] = '\n';
	ck_assert_int_eq(rp(b, 70000), SMTP_HARD_LINE_MAX);
	ck_assert_uint_eq(R.flags, SMTP_F_LONG_LINE | SMTP_F_BARE_LF);
	b[SMTP_HARD_LINE_MAX - 2] = '\r';
	ck_assert_int_eq(rp(b, 70000), SMTP_HARD_LINE_MAX);
	ck_assert_uint_eq(R.flags, SMTP_F_LONG_LINE);
	/* one byte more before the LF is hostile, whatever follows */
	b[SMTP_HARD_LINE_MAX - 2] = 'a';
	b[SMTP_HARD_LINE_MAX - 1] = 'a';
	b[SMTP_HARD_LINE_MAX] = '\n';
	ck_assert_int_eq(rp(b, 70000), -1);
	ck_assert_int_eq(rp(b, SMTP_HARD_LINE_MAX + 1), -1);
	free(b);
}
END_TEST

START_TEST(reply_hostile_second_line)
{
	/* the limit applies per line, also after a complete continuation line */
	size_t n = 7 + SMTP_HARD_LINE_MAX;
	uint8_t *b = malloc(n);
	ck_assert_ptr_nonnull(b);
	memcpy(b, "250-a\r\n", 7);
	memset(b + 7, 'b', SMTP_HARD_LINE_MAX);
	ck_assert_int_eq(rp(b, n - 1), 0);
	ck_assert_int_eq(rp(b, n), -1);
	free(b);
}
END_TEST

/* n continuation lines "250-x\r\n" then optionally "250 end\r\n" */
static uint8_t *many_lines(size_t n, bool final, size_t *len)
{
	*len = n * 7 + (final ? 9 : 0);
	uint8_t *b = malloc(*len);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		memcpy(b + i * 7, "250-x\r\n", 7);
	if (final)
		memcpy(b + n * 7, "250 end\r\n", 9);
	return b;
}

START_TEST(reply_hostile_lines)
{
	size_t len;
	uint8_t *b = many_lines(300, true, &len);
	ck_assert_int_eq(rp(b, len), -1);
	free(b);
	/* exactly SMTP_REPLY_LINES_MAX lines is fine */
	b = many_lines(SMTP_REPLY_LINES_MAX - 1, true, &len);
	ck_assert_int_eq(rp(b, len), (ssize_t)len);
	ck_assert_uint_eq(R.nlines, SMTP_REPLY_LINES_MAX);
	ck_assert_int_eq(R.code, 250);
	ck_assert(span_is(b, R.text[SMTP_REPLY_LINES_MAX - 1], "end"));
	free(b);
	/* SMTP_REPLY_LINES_MAX continuation lines: hostile without waiting */
	b = many_lines(SMTP_REPLY_LINES_MAX, false, &len);
	ck_assert_int_eq(rp(b, len - 1), 0);
	ck_assert_int_eq(rp(b, len), -1);
	free(b);
}
END_TEST

START_TEST(reply_nul_8bit)
{
	static const char s1[] = "250 a\0b\r\n";
	ck_assert_int_eq(rp(LIT(s1)), 9);
	ck_assert_uint_eq(R.flags, SMTP_F_NUL);
	ck_assert_uint_eq(R.text[0].len, 3);
	static const char s2[] = "250 caf\xc3\xa9\r\n";
	ck_assert_int_eq(rp(LIT(s2)), 11);
	ck_assert_uint_eq(R.flags, SMTP_F_8BIT);
	static const char s3[] = "250-\xff\r\n250 \0\n";
	ck_assert_int_eq(rp(LIT(s3)), 13);
	ck_assert_uint_eq(R.flags, SMTP_F_8BIT | SMTP_F_NUL | SMTP_F_BARE_LF);
}
END_TEST

START_TEST(reply_bad_syntax_ends_reply)
{
	static const char s1[] = "hello\r\n250 ok\r\n";
	ck_assert_int_eq(rp(LIT(s1)), 7);
	ck_assert_uint_eq(R.flags, SMTP_F_BAD_SYNTAX);
	ck_assert_int_eq(R.code, 0);
	ck_assert_uint_eq(R.nlines, 1);
	ck_assert(span_is((const uint8_t *)s1, R.line[0], "hello"));
	ck_assert_uint_eq(R.text[0].len, 0);
	/* after continuation lines: ends there, code of the last good line */
	static const char s2[] = "250-a\r\nfoo\r\n250 b\r\n";
	ck_assert_int_eq(rp(LIT(s2)), 12);
	ck_assert_uint_eq(R.flags, SMTP_F_BAD_SYNTAX);
	ck_assert_int_eq(R.code, 250);
	ck_assert_uint_eq(R.nlines, 2);
	/* digits with a wrong separator or too few digits */
	static const char *const bad[] = {"250x\r\n", "25 ok\r\n", "\r\n",   "2a0 ok\r\n",
	                                  "250\tok\r\n", " 250 ok\r\n", "250\r\r\n", "\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]);
		ck_assert_int_eq(rp((const uint8_t *)bad[i], n), (ssize_t)n);
		ck_assert_msg(R.flags & SMTP_F_BAD_SYNTAX, "%zu", i);
		ck_assert_int_eq(R.code, 0);
	}
}
END_TEST

/* ---- EHLO ---- */

static const char ehlo[] = "250-mx.example Hello STARTTLS\r\n"
                           "250-PIPELINING\r\n"
                           "250-SIZE 10240000\r\n"
                           "250-AUTH PLAIN LOGIN\r\n"
                           "250-X-LONG-KW\r\n"
                           "250-STARTTLSX\r\n"
                           "250 starttls\r\n";

START_TEST(ehlo_has_keywords)
{
	const uint8_t *b = (const uint8_t *)ehlo;
	struct smtp_span p = {99, 99};
	ck_assert_int_eq(rp(LIT(ehlo)), (ssize_t)strlen(ehlo));
	ck_assert(smtp_ehlo_has(b, &R, "STARTTLS", &p));
	ck_assert_uint_eq(p.len, 0);
	ck_assert(smtp_ehlo_has(b, &R, "StartTls", NULL));
	ck_assert(smtp_ehlo_has(b, &R, "pipelining", &p));
	ck_assert_uint_eq(p.len, 0);
	ck_assert(smtp_ehlo_has(b, &R, "SIZE", &p));
	ck_assert(span_is(b, p, "10240000"));
	ck_assert(smtp_ehlo_has(b, &R, "auth", &p));
	ck_assert(span_is(b, p, "PLAIN LOGIN"));
	ck_assert(smtp_ehlo_has(b, &R, "X-LONG-KW", NULL));
	ck_assert(smtp_ehlo_has(b, &R, "STARTTLSX", NULL));
	ck_assert(!smtp_ehlo_has(b, &R, "STARTTL", NULL));
	ck_assert(!smtp_ehlo_has(b, &R, "PLAIN", NULL));
	ck_assert(!smtp_ehlo_has(b, &R, "8BITMIME", NULL));
	ck_assert(!smtp_ehlo_has(b, &R, "", NULL));
	ck_assert(!smtp_ehlo_has(b, &R, NULL, NULL));
	/* line 1 is the domain greeting, never a keyword */
	ck_assert(!smtp_ehlo_has(b, &R, "mx.example", NULL));
}
END_TEST

START_TEST(ehlo_has_edge_cases)
{
	struct smtp_span p;
	static const char one[] = "250 STARTTLS\r\n";
	ck_assert_int_eq(rp(LIT(one)), 14);
	ck_assert(!smtp_ehlo_has((const uint8_t *)one, &R, "STARTTLS", NULL));

	static const char x[] = "250-mx\r\n250 STARTTLSX\r\n";
	ck_assert_int_eq(rp(LIT(x)), (ssize_t)strlen(x));
	ck_assert(!smtp_ehlo_has((const uint8_t *)x, &R, "STARTTLS", NULL));

	/* params are everything after one SP, even an empty or spaced rest */
	static const char t[] = "250-mx\r\n250-SIZE \r\n250 AUTH  PLAIN\r\n";
	const uint8_t *b = (const uint8_t *)t;
	ck_assert_int_eq(rp(LIT(t)), (ssize_t)strlen(t));
	ck_assert(smtp_ehlo_has(b, &R, "size", &p));
	ck_assert_uint_eq(p.len, 0);
	ck_assert(smtp_ehlo_has(b, &R, "AUTH", &p));
	ck_assert(span_is(b, p, " PLAIN"));

	/* bare code and bad-syntax lines have empty text: no keyword */
	static const char bc[] = "250-mx\r\n250\r\n";
	ck_assert_int_eq(rp(LIT(bc)), (ssize_t)strlen(bc));
	ck_assert(!smtp_ehlo_has((const uint8_t *)bc, &R, "250", NULL));
}
END_TEST

static uint32_t check_ehlo(const char *s)
{
	size_t n = strlen(s);
	ck_assert_int_eq(rp((const uint8_t *)s, n), (ssize_t)n);
	return smtp_ehlo_check((const uint8_t *)s, &R);
}

START_TEST(ehlo_check_grammar)
{
	ck_assert_uint_eq(check_ehlo(ehlo), 0);
	ck_assert_uint_eq(check_ehlo("250 mx.example\r\n"), 0);
	/* line 1 is Domain [SP ehlo-greet]: not checked here */
	ck_assert_uint_eq(check_ehlo("250-mx (weird)  \r\n250 8BITMIME\r\n"), 0);
	ck_assert_uint_eq(check_ehlo("250-mx\r\n250 SIZE 1 2 3\r\n"), 0);
	ck_assert_uint_eq(check_ehlo("250-mx\r\n250 X 1=~!\r\n"), 0);
	static const char *const bad[] = {
	    "250-mx\r\n250 AUTH=LOGIN PLAIN\r\n", /* "=" is not keyword syntax */
	    "250-mx\r\n250 -X\r\n",
	    "250-mx\r\n250 X_Y\r\n",
	    "250-mx\r\n250 SIZE  10\r\n", /* empty ehlo-param */
	    "250-mx\r\n250 SIZE \r\n",
	    "250-mx\r\n250 \r\n",
	    "250-mx\r\n250\r\n",
	    "250-mx\r\n250  SIZE\r\n",
	    "250-mx\r\n250 SIZE 1\x7f\r\n",
	    "250-mx\r\n250 SIZE \xc3\xa9\r\n",
	    "250-mx\r\n250 SIZE\t1\r\n",
	    "250-mx\r\n250-OK\r\n250 b@d\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(check_ehlo(bad[i]) == SMTP_F_BAD_KEYWORD, "%zu", i);
}
END_TEST

/* ---- commands ---- */

static struct smtp_cmd C;

START_TEST(cmd_basic)
{
	static const char s[] = "EHLO client.example\r\n";
	const uint8_t *b = (const uint8_t *)s;
	ck_assert_int_eq(smtp_cmd_parse(LIT(s), &C), 21);
	ck_assert_uint_eq(C.len, 21);
	ck_assert_uint_eq(C.flags, 0);
	ck_assert(span_is(b, C.verb, "EHLO"));
	ck_assert(span_is(b, C.args, "client.example"));
	ck_assert(span_is(b, C.line, "EHLO client.example"));
	ck_assert(smtp_cmd_is(b, &C, "ehlo"));
	ck_assert(smtp_cmd_is(b, &C, "EhLo"));
	ck_assert(!smtp_cmd_is(b, &C, "EHL"));
	ck_assert(!smtp_cmd_is(b, &C, "EHLOX"));
	ck_assert(!smtp_cmd_is(b, &C, "HELO"));
	ck_assert(!smtp_cmd_is(b, &C, NULL));

	static const char m[] = "MAIL FROM:<a@b.example> SIZE=10\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(m), &C), (ssize_t)strlen(m));
	ck_assert(span_is((const uint8_t *)m, C.verb, "MAIL"));
	ck_assert(span_is((const uint8_t *)m, C.args, "FROM:<a@b.example> SIZE=10"));
	ck_assert_uint_eq(C.flags, 0);

	static const char st[] = "starttls\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(st), &C), 10);
	ck_assert(smtp_cmd_is((const uint8_t *)st, &C, "STARTTLS"));
	ck_assert_uint_eq(C.args.len, 0);
	ck_assert_uint_eq(C.flags, 0);
}
END_TEST

START_TEST(cmd_pipelined_and_partial)
{
	/* CVE-2011-0411: the command behind STARTTLS must stay unconsumed */
	static const char s[] = "STARTTLS\r\nRSET\r\n";
	const uint8_t *b = (const uint8_t *)s;
	ck_assert_int_eq(smtp_cmd_parse(LIT(s), &C), 10);
	ck_assert(smtp_cmd_is(b, &C, "STARTTLS"));
	ck_assert_int_eq(smtp_cmd_parse(b + 10, 6, &C), 6);
	ck_assert(smtp_cmd_is(b + 10, &C, "RSET"));

	static const char p[] = "MAIL FROM:<a@b>\r\n";
	size_t n = strlen(p);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(smtp_cmd_parse((const uint8_t *)p, k, &C), 0);
	ck_assert_int_eq(smtp_cmd_parse((const uint8_t *)p, n, &C), (ssize_t)n);
}
END_TEST

START_TEST(cmd_deviations)
{
	static const char lf[] = "QUIT\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(lf), &C), 5);
	ck_assert_uint_eq(C.flags, SMTP_F_BARE_LF);
	ck_assert(smtp_cmd_is((const uint8_t *)lf, &C, "quit"));

	static const char cr[] = "NOOP\rRSET\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(cr), &C), 11);
	ck_assert_uint_eq(C.flags, SMTP_F_BARE_CR | SMTP_F_BAD_SYNTAX);
	ck_assert(span_is((const uint8_t *)cr, C.verb, "NOOP"));

	static const char nul[] = "HELO a\0\xe9\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(nul), &C), 10);
	ck_assert_uint_eq(C.flags, SMTP_F_NUL | SMTP_F_8BIT);
	ck_assert_uint_eq(C.args.len, 3);

	static const char colon[] = "MAIL:x\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(colon), &C), 8);
	ck_assert_uint_eq(C.flags, SMTP_F_BAD_SYNTAX);
	ck_assert(span_is((const uint8_t *)colon, C.verb, "MAIL"));
	ck_assert(span_is((const uint8_t *)colon, C.args, ":x"));

	static const char empty[] = "\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(empty), &C), 2);
	ck_assert_uint_eq(C.flags, SMTP_F_BAD_SYNTAX);
	ck_assert_uint_eq(C.verb.len, 0);
	ck_assert(smtp_cmd_is((const uint8_t *)empty, &C, ""));
	ck_assert(!smtp_cmd_is((const uint8_t *)empty, &C, "NOOP"));

	static const char lead[] = " NOOP\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(lead), &C), 7);
	ck_assert_uint_eq(C.flags, SMTP_F_BAD_SYNTAX);
	ck_assert_uint_eq(C.verb.len, 0);
	/* the one SP after the (empty) verb is still the separator */
	ck_assert(span_is((const uint8_t *)lead, C.args, "NOOP"));

	static const char dig[] = "1234\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(dig), &C), 6);
	ck_assert_uint_eq(C.flags, SMTP_F_BAD_SYNTAX);

	/* only one SP is the separator; the rest is the argument as sent */
	static const char two[] = "RCPT  TO:<x>\r\n";
	ck_assert_int_eq(smtp_cmd_parse(LIT(two), &C), 14);
	ck_assert_uint_eq(C.flags, 0);
	ck_assert(span_is((const uint8_t *)two, C.args, " TO:<x>"));
}
END_TEST

START_TEST(cmd_long_and_hostile)
{
	/* RFC 5321 4.5.3.1.4: command line 512 octets incl. CRLF */
	uint8_t *b = malloc(70000);
	ck_assert_ptr_nonnull(b);
	memcpy(b, "NOOP ", 5);
	memset(b + 5, 'a', 70000 - 5);
	memcpy(b + 510, "\r\n", 2);
	ck_assert_int_eq(smtp_cmd_parse(b, 70000, &C), 512);
	ck_assert_uint_eq(C.flags, 0);
	b[510] = 'a';
	b[511] = '\r';
	b[512] = '\n';
	ck_assert_int_eq(smtp_cmd_parse(b, 70000, &C), 513);
	ck_assert_uint_eq(C.flags, SMTP_F_LONG_LINE);
	ck_assert_uint_eq(C.args.len, 513 - 7);
	memset(b + 505, 'a', 10);
	ck_assert_int_eq(smtp_cmd_parse(b, 70000, &C), -1);
	ck_assert_int_eq(smtp_cmd_parse(b, SMTP_HARD_LINE_MAX, &C), -1);
	ck_assert_int_eq(smtp_cmd_parse(b, SMTP_HARD_LINE_MAX - 1, &C), 0);
	b[SMTP_HARD_LINE_MAX - 1] = '\n';
	ck_assert_int_eq(smtp_cmd_parse(b, 70000, &C), SMTP_HARD_LINE_MAX);
	ck_assert_uint_eq(C.flags, SMTP_F_LONG_LINE | SMTP_F_BARE_LF);
	free(b);
	ck_assert_int_eq(smtp_cmd_parse((const uint8_t *)"", 0, &C), 0);
}
END_TEST

/* ---- code patterns ---- */

START_TEST(codepat_valid_table)
{
	static const char *const good[] = {"any", "220", "25x", "5xx", "4xx|5xx", "xxx",
	                                   "1xx", "6xx", "2x0|3x4|5xx", "x50", "599"};
	static const char *const bad[] = {"",      "ANY",   "any|5xx", "5xx|any", "22",
	                                  "2200",  "5XX",   "7xx",     "0xx",     "2 0",
	                                  " 220",  "220 ",  "220|",    "|220",    "220||250",
	                                  "22a",   "anyx",  "an",      "4xx,5xx", "4xx | 5xx",
	                                  "2-0",   "9xx"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(smtp_codepat_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!smtp_codepat_valid(bad[i]), "'%s'", bad[i]);
	ck_assert(!smtp_codepat_valid(NULL));
}
END_TEST

START_TEST(codepat_match_table)
{
	static const struct {
		const char *pat;
		int code;
		bool hit;
	} t[] = {
	    {"5xx", 500, true},      {"5xx", 599, true},      {"5xx", 499, false},
	    {"5xx", 600, false},     {"25x", 250, true},      {"25x", 259, true},
	    {"25x", 260, false},     {"25x", 249, false},     {"4xx|5xx", 421, true},
	    {"4xx|5xx", 554, true},  {"4xx|5xx", 250, false}, {"220", 220, true},
	    {"220", 221, false},     {"2x0", 250, true},      {"2x0", 251, false},
	    {"x21", 421, true},      {"x21", 422, false},     {"250|220", 220, true},
	    {"any", 0, true},        {"any", 220, true},      {"any", 999, true},
	    {"xxx", 100, true},      {"xxx", 999, true},      {"xxx", 0, false},
	    {"xxx", 99, false},      {"xxx", 1000, false},    {"xxx", -1, false},
	    {"6xx", 600, true},      {"1xx", 199, true},      {"5XX", 500, false},
	    {"5xx|", 500, false},    {"", 0, false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(smtp_codepat_match(t[i].pat, t[i].code) == t[i].hit, "%s %d", t[i].pat,
		              t[i].code);
	ck_assert(!smtp_codepat_match(NULL, 220));
}
END_TEST

/* ---- flag names ---- */

START_TEST(flags_str_names)
{
	char out[160];
	smtp_flags_str(0, out, sizeof out);
	ck_assert_str_eq(out, "none");
	smtp_flags_str(SMTP_F_BARE_LF | SMTP_F_MIXED_CODES, out, sizeof out);
	ck_assert_str_eq(out, "bare LF, mixed codes");
	smtp_flags_str(SMTP_F_BAD_KEYWORD, out, sizeof out);
	ck_assert_str_eq(out, "bad keyword");
	uint32_t all = (SMTP_F_BAD_KEYWORD << 1) - 1;
	smtp_flags_str(all | 0x80000000u, out, sizeof out);
	ck_assert_str_eq(out, "bare LF, bare CR, long line, mixed codes, NUL, 8-bit, bad syntax, "
	                      "code out of range, bare code, bad keyword, unknown 0x80000000");
}
END_TEST

START_TEST(flags_str_truncates)
{
	char out[32];
	for (size_t n = 1; n <= sizeof out - 1; n++) {
		memset(out, '#', sizeof out);
		smtp_flags_str(0xffffffffu, out, n);
		ck_assert_uint_lt(strlen(out), n);
		for (size_t i = n; i < sizeof out; i++)
			ck_assert_int_eq(out[i], '#');
	}
	memset(out, '#', sizeof out);
	smtp_flags_str(SMTP_F_NUL, out, 0);
	ck_assert_int_eq(out[0], '#');
}
END_TEST

/* ---- properties ---- */

static uint64_t rng_state;

/* fixed seed, same sequence on every libc */
static uint32_t rng(void)
{
	return support_rand(&rng_state);
}

/*
 * Random input: a quarter raw bytes, the rest lines built from SMTP's own
 * pieces (codes, separators, text with the odd CR/NUL/8-bit byte, CRLF, bare
 * LF or none) so that well-formed, multi-line and deviant replies all occur.
 */
static size_t random_input(uint8_t *b, size_t cap)
{
	static const char *const codes[] = {"250", "220", "251", "554", "600", "2a0", "25", ""};
	static const char *const seps[] = {"-", "-", "-", " ", " ", "", "x"};
	static const char *const terms[] = {"\r\n", "\r\n", "\r\n", "\n", "\r", ""};
	static const char text[] = "abcSTARTLS  -=\r\0\x80\xff";
	size_t n = rng() % cap, i = 0;

	if (rng() % 4 == 0) {
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rng();
		return n;
	}
#define PUT(str)                                                                         \
	for (const char *q_ = (str); *q_ != '\0' && i < n; q_++)                         \
		b[i++] = (uint8_t)*q_;
	while (i < n) {
		PUT(codes[rng() % (sizeof codes / sizeof codes[0])]);
		PUT(seps[rng() % (sizeof seps / sizeof seps[0])]);
		for (size_t t = rng() % 12; t > 0 && i < n; t--)
			b[i++] = (uint8_t)text[rng() % (sizeof text - 1)];
		PUT(terms[rng() % (sizeof terms / sizeof terms[0])]);
	}
#undef PUT
	return n;
}

static bool same_reply(const struct smtp_reply *a, const struct smtp_reply *b)
{
	if (a->code != b->code || a->flags != b->flags || a->nlines != b->nlines || a->len != b->len)
		return false;
	for (size_t i = 0; i < a->nlines; i++)
		if (a->line[i].off != b->line[i].off || a->line[i].len != b->line[i].len ||
		    a->text[i].off != b->text[i].off || a->text[i].len != b->text[i].len)
			return false;
	return true;
}

/*
 * Check's ck_assert reports every passed check to the parent process; in
 * loops of hundreds of thousands of checks that is most of the run time,
 * so the properties only talk to Check when something fails.
 */
#define REQUIRE(c)                                                                       \
	do {                                                                             \
		if (!(c))                                                                \
			ck_abort_msg("line %d: %s (iteration %d)", __LINE__, #c, it);    \
	} while (0)

START_TEST(prop_reply_prefix_consistent)
{
	static struct smtp_reply whole;
	uint8_t buf[256];
	rng_state = 0x5354415254ull; /* "START" */
	for (int it = 0; it < 2000; it++) {
		size_t n = random_input(buf, sizeof buf);
		ssize_t full = smtp_reply_parse(buf, n, &whole, NULL);
		REQUIRE(full >= -1 && full <= (ssize_t)n);
		if (full > 0) {
			REQUIRE(whole.len == (size_t)full);
			REQUIRE(whole.nlines >= 1);
			for (size_t i = 0; i < whole.nlines; i++) {
				REQUIRE(whole.line[i].off + whole.line[i].len <= (size_t)full);
				REQUIRE(whole.text[i].off >= whole.line[i].off);
				REQUIRE(whole.text[i].off + whole.text[i].len <=
				        whole.line[i].off + whole.line[i].len);
			}
		}
		/* growing prefix: 0 until the first answer, which is the whole one */
		ssize_t got = 0;
		size_t k;
		for (k = 0; k <= n && got == 0; k++)
			got = smtp_reply_parse(buf, k, &R, NULL);
		REQUIRE(got == full);
		if (full > 0) {
			REQUIRE(k - 1 == (size_t)full);
			REQUIRE(same_reply(&R, &whole));
		}
		/* and the answer does not change as more bytes arrive */
		for (; k <= n; k++) {
			REQUIRE(smtp_reply_parse(buf, k, &R, NULL) == full);
			if (full > 0)
				REQUIRE(same_reply(&R, &whole));
		}
	}
}
END_TEST

START_TEST(prop_reply_stream)
{
	/* consuming reply after reply walks the buffer without gaps or overrun */
	uint8_t buf[256];
	rng_state = 0xC0FFEEull;
	for (int it = 0; it < 2000; it++) {
		size_t n = random_input(buf, sizeof buf), pos = 0;
		ssize_t got;
		while ((got = smtp_reply_parse(buf + pos, n - pos, &R, NULL)) > 0) {
			REQUIRE(buf[pos + (size_t)got - 1] == '\n');
			pos += (size_t)got;
			REQUIRE(pos <= n);
		}
		REQUIRE(got == 0); /* limits are far above these sizes */
		/* what is left is an unfinished reply: if it ends in an LF, that
		 * LF ended a continuation line (any other line ends a reply) */
		if (pos < n && buf[n - 1] == '\n') {
			size_t start = n - 1;
			while (start > pos && buf[start - 1] != '\n')
				start--;
			REQUIRE(n - start >= 5);
			REQUIRE(buf[start + 3] == '-');
		}
	}
}
END_TEST

START_TEST(prop_cmd_prefix_consistent)
{
	uint8_t buf[256];
	struct smtp_cmd whole;
	rng_state = 0x434D44ull;
	for (int it = 0; it < 2000; it++) {
		size_t n = random_input(buf, sizeof buf);
		ssize_t full = smtp_cmd_parse(buf, n, &whole);
		const uint8_t *lf = memchr(buf, '\n', n);
		REQUIRE(full == (lf ? (ssize_t)(lf - buf) + 1 : 0));
		for (size_t k = 0; k <= n; k++) {
			ssize_t got = smtp_cmd_parse(buf, k, &C);
			REQUIRE(got == ((full > 0 && k >= (size_t)full) ? full : 0));
			if (got > 0) {
				REQUIRE(C.flags == whole.flags);
				REQUIRE(C.len == whole.len);
				REQUIRE(C.verb.off == whole.verb.off && C.verb.len == whole.verb.len);
				REQUIRE(C.args.off == whole.args.off && C.args.len == whole.args.len);
				REQUIRE(C.line.off == whole.line.off && C.line.len == whole.line.len);
			}
		}
		if (full > 0) {
			REQUIRE(whole.verb.off == whole.line.off);
			REQUIRE(whole.args.off + whole.args.len == whole.line.off + whole.line.len);
			REQUIRE(whole.line.len + 1 <= (size_t)full);
		}
	}
}
END_TEST

Suite *smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *t;

	t = tcase_create("reply");
	tcase_add_test(t, reply_single_line);
	tcase_add_test(t, reply_multi_line);
	tcase_add_test(t, reply_split_across_calls);
	tcase_add_test(t, reply_two_in_one_buffer);
	tcase_add_test(t, reply_empty_buffer);
	tcase_add_test(t, reply_bare_lf);
	tcase_add_test(t, reply_bare_cr);
	tcase_add_test(t, reply_mixed_codes);
	tcase_add_test(t, reply_bare_code);
	tcase_add_test(t, reply_code_range);
	tcase_add_test(t, reply_long_line);
	tcase_add_test(t, reply_hostile_no_lf);
	tcase_add_test(t, reply_hostile_second_line);
	tcase_add_test(t, reply_hostile_lines);
	tcase_add_test(t, reply_nul_8bit);
	tcase_add_test(t, reply_bad_syntax_ends_reply);
	suite_add_tcase(s, t);

	t = tcase_create("ehlo");
	tcase_add_test(t, ehlo_has_keywords);
	tcase_add_test(t, ehlo_has_edge_cases);
	tcase_add_test(t, ehlo_check_grammar);
	suite_add_tcase(s, t);

	t = tcase_create("cmd");
	tcase_add_test(t, cmd_basic);
	tcase_add_test(t, cmd_pipelined_and_partial);
	tcase_add_test(t, cmd_deviations);
	tcase_add_test(t, cmd_long_and_hostile);
	suite_add_tcase(s, t);

	t = tcase_create("codepat");
	tcase_add_test(t, codepat_valid_table);
	tcase_add_test(t, codepat_match_table);
	tcase_add_test(t, flags_str_names);
	tcase_add_test(t, flags_str_truncates);
	suite_add_tcase(s, t);

	t = tcase_create("property");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, prop_reply_prefix_consistent);
	tcase_add_test(t, prop_reply_stream);
	tcase_add_test(t, prop_cmd_prefix_consistent);
	suite_add_tcase(s, t);
	return s;
}

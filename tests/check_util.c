/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for util: the byte escaper over every byte value, struct buf
 * (append, appendf, growth, consume, cstr, reset/free), the duration parser
 * (a table of valid and invalid inputs, including overflow and NaN),
 * iso8601_ms known values and xasprintf.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ---- escape_bytes ---- */

/* The escape of one byte, written independently of util.c. */
static void expected_escape(uint8_t c, char out[8])
{
	switch (c) {
	case '\r': strcpy(out, "\\r"); return;
	case '\n': strcpy(out, "\\n"); return;
	case '\t': strcpy(out, "\\t"); return;
	case '\\': strcpy(out, "\\\\"); return;
	case '"': strcpy(out, "\\\""); return;
	}
	if (c >= 0x20 && c <= 0x7e)
		snprintf(out, 8, "%c", c);
	else
		snprintf(out, 8, "\\x%02x", c);
}

START_TEST(escape_every_byte)
{
	for (unsigned v = 0; v < 256; v++) {
		uint8_t c = (uint8_t)v;
		char want[8];
		expected_escape(c, want);
		char *got = escape_bytes(&c, 1);
		ck_assert_msg(strcmp(got, want) == 0, "byte 0x%02x: got \"%s\", want \"%s\"", v, got,
		              want);
		free(got);
	}
}
END_TEST

START_TEST(escape_classes)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} t[] = {
	    {"", 0, ""},
	    {"EHLO x\r\n", 8, "EHLO x\\r\\n"},
	    {"a\0b", 3, "a\\x00b"},           /* NUL does not end the input */
	    {"\x7f\x80\xff", 3, "\\x7f\\x80\\xff"}, /* DEL and 8-bit, lower-case hex */
	    {"\x1b[0m", 4, "\\x1b[0m"},         /* terminal escapes are neutralised */
	    {"say \"hi\"\\", 9, "say \\\"hi\\\"\\\\"},
	    {"\t \x0b\x0c", 4, "\\t \\x0b\\x0c"}, /* only \r \n \t get letter escapes */
	    {" ~", 2, " ~"},                    /* printable range ends */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *got = escape_bytes((const uint8_t *)t[i].in, t[i].n);
		ck_assert_msg(strcmp(got, t[i].out) == 0, "case %zu: got \"%s\", want \"%s\"", i, got,
		              t[i].out);
		free(got);
	}
}
END_TEST

START_TEST(escape_appends_to_buf)
{
	struct buf b = {0};
	buf_append(&b, "x=", 2);
	buf_escape(&b, (const uint8_t *)"\r\n\x01", 3);
	ck_assert_str_eq(buf_cstr(&b), "x=\\r\\n\\x01");
	ck_assert_uint_eq(b.len, strlen("x=\\r\\n\\x01"));
	buf_free(&b);
}
END_TEST

START_TEST(escape_all_bytes_at_once)
{
	uint8_t all[256];
	for (unsigned i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char *got = escape_bytes(all, sizeof all);
	struct buf want = {0};
	for (unsigned i = 0; i < 256; i++) {
		char e[8];
		expected_escape((uint8_t)i, e);
		buf_append(&want, e, strlen(e));
	}
	ck_assert_str_eq(got, buf_cstr(&want));
	/* The rendering is pure printable ASCII: safe for any report. */
	for (const char *p = got; *p; p++)
		ck_assert(*p >= 0x20 && *p < 0x7f);
	free(got);
	buf_free(&want);
}
END_TEST

/* ---- struct buf ---- */

START_TEST(buf_append_and_consume)
{
	struct buf b = {0};
	ck_assert_str_eq(buf_cstr(&b), ""); /* a zeroed buf is a valid empty one */
	ck_assert_uint_eq(b.len, 0);
	buf_append(&b, "hello world", 11);
	ck_assert_uint_eq(b.len, 11);
	buf_consume(&b, 6);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(b.data, "world", 5);
	buf_consume(&b, 0);
	ck_assert_uint_eq(b.len, 5);
	buf_consume(&b, 5); /* exactly all */
	ck_assert_uint_eq(b.len, 0);
	buf_append(&b, "abc", 3);
	buf_consume(&b, 100); /* more than there is: empty, no underflow */
	ck_assert_uint_eq(b.len, 0);
	buf_append(&b, "x", 1);
	ck_assert_str_eq(buf_cstr(&b), "x");
	buf_append(&b, NULL, 0); /* empty append is allowed */
	ck_assert_uint_eq(b.len, 1);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.data); /* reset keeps the storage */
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	buf_free(&b); /* twice is harmless */
}
END_TEST

START_TEST(buf_binary_safe)
{
	struct buf b = {0};
	buf_append(&b, "a\0b\0", 4);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_mem_eq(b.data, "a\0b\0", 4);
	buf_consume(&b, 1);
	ck_assert_mem_eq(b.data, "\0b\0", 3);
	buf_free(&b);
}
END_TEST

START_TEST(buf_growth)
{
	struct buf b = {0};
	/* Many small appends across several doublings keep every byte. */
	for (unsigned i = 0; i < 100000; i++) {
		uint8_t c = (uint8_t)(i * 7 + 3);
		buf_append(&b, &c, 1);
		ck_assert_uint_gt(b.cap, b.len); /* room for the NUL of buf_cstr */
	}
	ck_assert_uint_eq(b.len, 100000);
	for (unsigned i = 0; i < 100000; i++)
		ck_assert_uint_eq(b.data[i], (uint8_t)(i * 7 + 3));
	/* One big append. */
	size_t big = 3u * 1024 * 1024 + 17;
	uint8_t *p = malloc(big);
	memset(p, 'z', big);
	buf_append(&b, p, big);
	ck_assert_uint_eq(b.len, 100000 + big);
	ck_assert_uint_eq(b.data[b.len - 1], 'z');
	ck_assert_uint_eq(b.data[99999], (uint8_t)(99999u * 7 + 3));
	/* Consume most from the front: the tail moves down intact. */
	buf_consume(&b, b.len - 3);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "zzz", 3);
	free(p);
	buf_free(&b);
}
END_TEST

START_TEST(buf_appendf_formats)
{
	struct buf b = {0};
	buf_appendf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(buf_cstr(&b), "42-x");
	buf_appendf(&b, "%s", ""); /* empty format output */
	ck_assert_uint_eq(b.len, 4);
	buf_appendf(&b, "|%03d|%zu|%c", 7, (size_t)12, 'q');
	ck_assert_str_eq(buf_cstr(&b), "42-x|007|12|q");
	/* Output longer than the initial capacity, twice over. */
	char big[1500];
	memset(big, 'k', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_appendf(&b, "<%s>", big);
	ck_assert_uint_eq(b.len, 13 + 2 + 1499);
	ck_assert_uint_eq(b.data[13], '<');
	ck_assert_uint_eq(b.data[13 + 1 + 1498], 'k');
	ck_assert_uint_eq(b.data[b.len - 1], '>');
	ck_assert_uint_eq(strlen(buf_cstr(&b)), b.len);
	/* appendf after consume appends at the (new) end */
	buf_consume(&b, b.len);
	buf_appendf(&b, "%s", "again");
	ck_assert_str_eq(buf_cstr(&b), "again");
	buf_free(&b);
}
END_TEST

/* Growth from the exact boundary: appendf output that fills the buffer to
 * cap-1 and then one more byte. */
START_TEST(buf_appendf_boundary)
{
	struct buf b = {0};
	buf_append(&b, "x", 1);
	size_t cap = b.cap;
	ck_assert_uint_gt(cap, 2);
	char fill[4096];
	size_t n = cap - 2; /* len becomes cap - 1: exactly full with the NUL */
	ck_assert_uint_lt(n, sizeof fill);
	memset(fill, 'f', n);
	fill[n] = '\0';
	buf_appendf(&b, "%s", fill);
	ck_assert_uint_eq(b.len, cap - 1);
	ck_assert_uint_eq(strlen(buf_cstr(&b)), cap - 1);
	buf_appendf(&b, "%s", "Y");
	ck_assert_uint_eq(b.len, cap);
	ck_assert_uint_gt(b.cap, cap);
	ck_assert_uint_eq(b.data[cap - 1], 'Y');
	ck_assert_uint_eq(strlen(buf_cstr(&b)), cap);
	buf_free(&b);
}
END_TEST

/* ---- parse_duration ---- */

START_TEST(duration_table)
{
	static const struct {
		const char *in;
		int rc;
		int64_t ms;
	} t[] = {
	    {"1.5s", 0, 1500},
	    {"250ms", 0, 250},
	    {"1m", 0, 60000},
	    {"2s", 0, 2000},
	    {"0ms", 0, 0},
	    {"0.5m", 0, 30000},
	    {"1.0006s", 0, 1001}, /* rounded to the nearest ms */
	    {"0.4ms", 0, 0},
	    {"86400s", 0, 86400000},   /* one day: the limit */
	    {"1440m", 0, 86400000},
	    {"", -1, 0},
	    {"-1s", -1, 0},
	    {"+1s", -1, 0},
	    {"5", -1, 0},              /* a unit is required */
	    {"1h", -1, 0},             /* no hours */
	    {"1 s", -1, 0},
	    {"1s ", -1, 0},
	    {"s", -1, 0},
	    {"ms", -1, 0},
	    {"1S", -1, 0},
	    {"1sec", -1, 0},
	    {"1mss", -1, 0},
	    {"abc", -1, 0},
	    {"86401s", -1, 0},         /* over a day */
	    {"1441m", -1, 0},
	    {"86400001ms", -1, 0},
	    {"1e300s", -1, 0},         /* overflow */
	    {"99999999999999999999999999m", -1, 0},
	    {"1e999s", -1, 0},         /* ERANGE */
	    {"infs", -1, 0},
	    {"infinityms", -1, 0},
	    {"nans", -1, 0},           /* NaN compares false with every bound */
	    {"nanms", -1, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t ms = -12345;
		int rc = parse_duration(t[i].in, &ms);
		ck_assert_msg(rc == t[i].rc, "\"%s\": rc %d, want %d (ms %lld)", t[i].in, rc, t[i].rc,
		              (long long)ms);
		if (t[i].rc == 0)
			ck_assert_msg(ms == t[i].ms, "\"%s\": %lld ms, want %lld", t[i].in, (long long)ms,
			              (long long)t[i].ms);
		else
			ck_assert_msg(ms == -12345, "\"%s\": output written on failure", t[i].in);
	}
	int64_t ms;
	ck_assert_int_eq(parse_duration(NULL, &ms), -1);
}
END_TEST

/* ---- clocks ---- */

START_TEST(iso8601_known)
{
	static const struct {
		int64_t ms;
		const char *s;
	} t[] = {
	    {0, "1970-01-01T00:00:00.000Z"},
	    {1795940405123, "2026-11-29T08:20:05.123Z"}, /* the example in util.h */
	    {951782400999, "2000-02-29T00:00:00.999Z"},  /* leap day */
	    {4102444799999, "2099-12-31T23:59:59.999Z"},
	    {1700000000000, "2023-11-14T22:13:20.000Z"},
	    {1001, "1970-01-01T00:00:01.001Z"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char out[32];
		memset(out, 'X', sizeof out);
		iso8601_ms(t[i].ms, out);
		ck_assert_str_eq(out, t[i].s);
		ck_assert_uint_eq(strlen(out), 24);
	}
}
END_TEST

START_TEST(clocks_move)
{
	int64_t a = mono_ms(), au = mono_us();
	ck_assert_int_gt(a, 0);
	int64_t w = wall_ms();
	ck_assert_int_gt(w, 1600000000000LL); /* after 2020 */
	struct timespec ts = {.tv_nsec = 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	int64_t b = mono_ms(), bu = mono_us();
	ck_assert_int_ge(b - a, 19);
	ck_assert_int_ge(bu - au, 19000);
	/* mono_ms is mono_us in milliseconds */
	ck_assert_int_le(b, bu / 1000 + 1);
}
END_TEST

/* ---- allocation helpers ---- */

START_TEST(xasprintf_formats)
{
	char *s = xasprintf("%s:%d", "host", 25);
	ck_assert_str_eq(s, "host:25");
	free(s);
	s = xasprintf("%s", "");
	ck_assert_str_eq(s, "");
	free(s);
	s = xasprintf("line %d: %s", 12, "expected reply 220");
	ck_assert_str_eq(s, "line 12: expected reply 220");
	free(s);
	char big[10000];
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	s = xasprintf("[%s]", big);
	ck_assert_uint_eq(strlen(s), sizeof big + 1);
	ck_assert_int_eq(s[0], '[');
	ck_assert_int_eq(s[sizeof big], ']');
	free(s);
}
END_TEST

START_TEST(xstrdup_family)
{
	char *s = xstrdup("abc");
	ck_assert_str_eq(s, "abc");
	free(s);
	s = xstrndup("abcdef", 3);
	ck_assert_str_eq(s, "abc");
	free(s);
	s = xstrndup("a\0bc", 4); /* copies n bytes and terminates */
	ck_assert_int_eq(s[0], 'a');
	ck_assert_int_eq(s[1], '\0');
	ck_assert_int_eq(s[2], 'b');
	ck_assert_int_eq(s[4], '\0');
	free(s);
	void *p = xmalloc(0); /* zero-size allocations return a freeable pointer */
	ck_assert_ptr_nonnull(p);
	free(p);
	int *z = xcalloc(16, sizeof *z);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(z[i], 0);
	z = xrealloc(z, 1024 * sizeof *z);
	ck_assert_int_eq(z[15], 0);
	free(z);
}
END_TEST

Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("escape");
	tcase_add_test(tc, escape_every_byte);
	tcase_add_test(tc, escape_classes);
	tcase_add_test(tc, escape_appends_to_buf);
	tcase_add_test(tc, escape_all_bytes_at_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("buf");
	tcase_add_test(tc, buf_append_and_consume);
	tcase_add_test(tc, buf_binary_safe);
	tcase_add_test(tc, buf_growth);
	tcase_add_test(tc, buf_appendf_formats);
	tcase_add_test(tc, buf_appendf_boundary);
	suite_add_tcase(s, tc);
	tc = tcase_create("duration");
	tcase_add_test(tc, duration_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("clock");
	tcase_add_test(tc, iso8601_known);
	tcase_add_test(tc, clocks_move);
	suite_add_tcase(s, tc);
	tc = tcase_create("alloc");
	tcase_add_test(tc, xasprintf_formats);
	tcase_add_test(tc, xstrdup_family);
	suite_add_tcase(s, tc);
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * smtp_reply: smtp_reply_parse over every reply in the input, then
 * smtp_ehlo_has / smtp_ehlo_check over all its lines.
 * Oracles: consumed <= len and == r.len; 1 <= nlines <= SMTP_REPLY_LINES_MAX;
 * every line and text span inside the consumed bytes, text inside its line;
 * EHLO parameters inside their line; prefix-monotonic: parsing only the
 * consumed bytes gives the same reply, a shorter prefix asks for more,
 * and an input that needs more keeps needing more for its prefixes.
 * The structural oracles run on every reply of the input; the re-parses
 * and keyword lookups on the first one only (every later reply is the
 * first of some other input), which keeps an execution near one pass.
 */
#include "fuzz.h"
#include "smtp.h"

#include <string.h>

int FuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void FuzzerCleanup(void)
{
}

static struct smtp_reply r1, r2; /* ~8 KiB each: not on the stack */

static void span_in(struct smtp_span s, size_t lo, size_t hi, const char *what, size_t i)
{
	FUZZ_CHECK(s.off >= lo && s.off <= hi && s.len <= hi - s.off,
	           "%s[%zu] = {%zu,%zu} outside [%zu,%zu)", what, i, s.off, s.len, lo, hi);
}

/* A few keywords, each looked up once with its parameters, the first in
 * mixed case (and again in upper case: the lookup ignores case). */
static const char *const keywords[] = {"StartTLS", "AUTH", "X"};

static void check_reply(const uint8_t *buf, size_t len, ssize_t n, const struct smtp_reply *r,
                        bool deep)
{
	FUZZ_CHECK((size_t)n <= len, "consumed %zd > len %zu", n, len);
	FUZZ_CHECK(r->len == (size_t)n, "r.len %zu != consumed %zd", r->len, n);
	FUZZ_CHECK(r->nlines >= 1 && r->nlines <= SMTP_REPLY_LINES_MAX, "nlines %zu", r->nlines);
	FUZZ_CHECK(r->code == 0 || (r->code >= 0 && r->code <= 999), "code %d", r->code);
	for (size_t i = 0; i < r->nlines; i++) {
		span_in(r->line[i], 0, (size_t)n, "line", i);
		span_in(r->text[i], r->line[i].off, r->line[i].off + r->line[i].len, "text", i);
	}
	if (!deep)
		return;
	bool has[sizeof keywords / sizeof *keywords];
	for (size_t k = 0; k < sizeof keywords / sizeof *keywords; k++) {
		struct smtp_span p = {0, 0};
		has[k] = smtp_ehlo_has(buf, r, keywords[k], &p);
		if (has[k]) {
			bool inside = false;
			for (size_t i = 1; i < r->nlines; i++)
				if (p.off >= r->line[i].off &&
				    p.off + p.len <= r->line[i].off + r->line[i].len)
					inside = true;
			FUZZ_CHECK(inside, "params of %s {%zu,%zu} not inside lines 2..n", keywords[k],
			           p.off, p.len);
		}
	}
	/* case-insensitive lookup (RFC 5321 4.1.1.1) */
	FUZZ_CHECK(has[0] == smtp_ehlo_has(buf, r, "STARTTLS", NULL),
	           "EHLO keyword lookup is case-sensitive");
	uint32_t f = smtp_ehlo_check(buf, r);
	FUZZ_CHECK((f & ~(uint32_t)SMTP_F_BAD_KEYWORD) == 0, "ehlo_check returned flags %#x", f);
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

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	for (int replies = 0; replies < 64 && off <= len; replies++) {
		const uint8_t *p = buf + off;
		size_t n = len - off;
		const char *why = NULL;
		bool deep = replies == 0;
		ssize_t got = smtp_reply_parse(p, n, &r1, &why);
		FUZZ_CHECK(got >= -1, "returned %zd", got);
		if (got < 0) {
			FUZZ_CHECK(why != NULL && why[0] != '\0', "hostile input without a reason");
			/* prefix-monotonic: any extension is hostile too (checked on one) */
			break;
		}
		if (got == 0) {
			/* needs more: so does every prefix */
			if (deep && n > 0) {
				FUZZ_CHECK(smtp_reply_parse(p, n - 1, &r2, NULL) == 0,
				           "prefix of an incomplete reply is complete or hostile");
				FUZZ_CHECK(smtp_reply_parse(p, n / 2, &r2, NULL) == 0,
				           "half of an incomplete reply is complete or hostile");
			}
			break;
		}
		check_reply(p, n, got, &r1, deep);
		if (deep) {
			/* the result depends only on the consumed bytes */
			if ((size_t)got < n) {
				ssize_t again = smtp_reply_parse(p, (size_t)got, &r2, NULL);
				FUZZ_CHECK(again == got && same_reply(&r1, &r2),
				           "reply differs when parsed alone (%zd vs %zd)", again, got);
			}
			ssize_t shorter = smtp_reply_parse(p, (size_t)got - 1, &r2, NULL);
			FUZZ_CHECK(shorter == 0, "one byte less than a complete reply gives %zd",
			           shorter);
		}
		off += (size_t)got;
	}
	return 0;
}

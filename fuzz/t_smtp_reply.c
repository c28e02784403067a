/* SPDX-License-Identifier: MIT */
/*
 * smtp_reply: smtp_reply_parse over every reply in the input. (The EHLO
 * lookups over a parsed reply, smtp_ehlo_has and smtp_ehlo_check, belong to
 * the ehlo target, whose oracles are stronger; running them here as well
 * took half of every execution.)
 * Oracles: consumed <= len and == r.len; 1 <= nlines <= SMTP_REPLY_LINES_MAX;
 * every line and text span inside the consumed bytes, text inside its line;
 * prefix-monotonic: parsing only the consumed bytes gives the same reply, a
 * shorter prefix asks for more, and an input that needs more keeps needing
 * more for its prefixes.
 * The structural oracles run on every reply of the input; the re-parses
 * on the first one only (every later reply is the first of some other
 * input), which keeps an execution near one pass.
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

static void check_reply(size_t len, ssize_t n, const struct smtp_reply *r)
{
	FUZZ_CHECK((size_t)n <= len, "consumed %zd > len %zu", n, len);
	FUZZ_CHECK(r->len == (size_t)n, "r.len %zu != consumed %zd", r->len, n);
	FUZZ_CHECK(r->nlines >= 1 && r->nlines <= SMTP_REPLY_LINES_MAX, "nlines %zu", r->nlines);
	FUZZ_CHECK(r->code == 0 || (r->code >= 0 && r->code <= 999), "code %d", r->code);
	for (size_t i = 0; i < r->nlines; i++) {
		span_in(r->line[i], 0, (size_t)n, "line", i);
		span_in(r->text[i], r->line[i].off, r->line[i].off + r->line[i].len, "text", i);
	}
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
		check_reply(n, got, &r1);
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

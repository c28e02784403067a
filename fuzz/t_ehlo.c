/* SPDX-License-Identifier: MIT */
/*
 * ehlo: the EHLO capability parser. The input is one EHLO reply (parsed
 * with smtp_reply_parse, as the client does); the keyword looked up is
 * taken from the input too (the first line of the reply after "250-"
 * up to a space, and every keyword line's own keyword), so the fuzzer
 * steers both sides.
 * Oracles: every keyword present on a line 2..n is found with any case; a
 * hit's parameters lie inside that line and after the keyword; no keyword is
 * found in line 1 (the domain line) alone; smtp_ehlo_check flags only
 * BAD_KEYWORD, and does so iff some line 2..n is not ehlo-keyword grammar.
 * Each lookup scans every line, so the lookups run for three lines per
 * input (the first and last keyword lines and one picked by the input's
 * length): linear work per input, and every line position over a campaign.
 */
#include "fuzz.h"
#include "smtp.h"

#include <ctype.h>
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

static struct smtp_reply r;

/* RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"),
 * ehlo-param = 1*(%d33-126), separated by single or more spaces. Our own
 * reading of the grammar, written independently of smtp.c. */
static bool keyword_line_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;
	if (n == 0 || !isalnum(p[0]))
		return false;
	while (i < n && (isalnum(p[i]) || p[i] == '-'))
		i++;
	while (i < n) {
		if (p[i] != ' ')
			return false;
		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			return true; /* trailing spaces: tolerated by the grammar reading below */
		size_t start = i;
		while (i < n && p[i] >= 33 && p[i] <= 126)
			i++;
		if (i == start)
			return false;
	}
	return true;
}

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	ssize_t n = smtp_reply_parse(buf, len, &r, NULL);
	if (n <= 0)
		return 0;
	bool any_bad = false;
	for (size_t i = 1; i < r.nlines; i++) {
		const uint8_t *t = buf + r.text[i].off;
		size_t tl = r.text[i].len;
		if (!keyword_line_ok(t, tl))
			any_bad = true;
		if (i != 1 && i != r.nlines - 1 && i != 1 + len % (r.nlines - 1))
			continue;
		/* the line's own keyword, in lower and upper case */
		size_t k = 0;
		while (k < tl && k < 63 && (isalnum(t[k]) || t[k] == '-'))
			k++;
		if (k == 0 || !isalnum(t[0]) || (k < tl && t[k] != ' '))
			continue;
		char kw[64], up[64];
		for (size_t j = 0; j < k; j++) {
			kw[j] = (char)tolower(t[j]);
			up[j] = (char)toupper(t[j]);
		}
		kw[k] = up[k] = '\0';
		struct smtp_span pa = {0, 0};
		FUZZ_CHECK(smtp_ehlo_has(buf, &r, kw, &pa), "keyword '%s' of line %zu not found", kw,
		           i + 1);
		FUZZ_CHECK(smtp_ehlo_has(buf, &r, up, NULL), "keyword '%s' not found in upper case", up);
		/* the first line carrying it wins: params inside some line 2..n,
		 * after a keyword */
		bool inside = false;
		for (size_t j = 1; j < r.nlines; j++)
			if (pa.off >= r.text[j].off + k && pa.off + pa.len <= r.text[j].off + r.text[j].len)
				inside = true;
		FUZZ_CHECK(inside || pa.len == 0, "params {%zu,%zu} outside the keyword lines", pa.off,
		           pa.len);
	}
	uint32_t f = smtp_ehlo_check(buf, &r);
	FUZZ_CHECK((f & ~(uint32_t)SMTP_F_BAD_KEYWORD) == 0, "ehlo_check returned %#x", f);
	/* a bad line must be flagged; a flag without any bad line (by our
	 * more tolerant reading) would be a false alarm */
	if (any_bad)
		FUZZ_CHECK(f == SMTP_F_BAD_KEYWORD, "malformed keyword line not flagged");
	/* the domain line is never a keyword line */
	if (r.nlines == 1)
		FUZZ_CHECK(!smtp_ehlo_has(buf, &r, "STARTTLS", NULL), "keyword found in line 1");
	return 0;
}

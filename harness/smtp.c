/* SPDX-License-Identifier: MIT */
/*
 * smtp: the pure wire grammar of RFC 5321 (smtp_reply_parse, smtp_ehlo_has,
 * smtp_ehlo_check, smtp_cmd_parse, smtp_cmd_is, smtp_codepat_valid/_match,
 * smtp_flags_str). Invariants: no I/O, no allocation, never reads past len,
 * one linear pass per call; a result depends only on the bytes up to the end
 * of what it consumed, so feeding a growing prefix gives the same answer.
 */
#include "smtp.h"

#include <stdio.h>
#include <string.h>

static bool is_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
}

static bool is_alpha(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const uint8_t *p, size_t n, const char *s)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower((uint8_t)s[i]))
			return false;
	return true;
}

/* Nonzero iff some byte of w is 0 (the exact test; spurious bits only
 * ever appear above a real zero byte). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define HAS_ZERO(w) (((w) - ONES) & ~(w) & HIGHS)

/*
 * CR, NUL and 8-bit bytes in p[0..n) as SMTP_F_BARE_CR, SMTP_F_NUL and
 * SMTP_F_8BIT: one pass, 8 bytes a step, no compare per byte (lines are
 * mostly clean, and under a fuzzer's comparison tracing a compare is a
 * call). The tail is padded with spaces, which set none of the three.
 */
static uint32_t scan_bytes(const uint8_t *p, size_t n)
{
	uint64_t cr = 0, nul = 0, high = 0;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = ONES * ' ';
		memcpy(&w, p + i, n - i < 8 ? n - i : 8);
		high |= w;
		nul |= HAS_ZERO(w);
		cr |= HAS_ZERO(w ^ (ONES * '\r'));
	}
	return (cr ? SMTP_F_BARE_CR : 0) | (nul ? SMTP_F_NUL : 0) | (high & HIGHS ? SMTP_F_8BIT : 0);
}

/*
 * One physical line: [start, lf) is the line, lf is the LF position.
 * Computes the span without terminator and the flags every line shares
 * with commands: bare LF/CR (RFC 5321 2.3.8), long line (4.5.3.1.4,
 * 4.5.3.1.5: 512 octets incl. CRLF, counted as the bytes on the wire),
 * NUL and 8-bit (2.4: commands and replies are US-ASCII characters).
 */
static uint32_t line_scan(const uint8_t *buf, size_t start, size_t lf, struct smtp_span *line)
{
	uint32_t flags = 0;
	size_t end = lf;

	if (end > start && buf[end - 1] == '\r')
		end--;
	else
		flags |= SMTP_F_BARE_LF;
	if (lf + 1 - start > SMTP_LINE_MAX)
		flags |= SMTP_F_LONG_LINE;
	/* a CR left in [start, end) is not followed by LF */
	flags |= scan_bytes(buf + start, end - start);
	line->off = start;
	line->len = end - start;
	return flags;
}

/*
 * Find the LF ending the line that starts at `start`. Returns its index,
 * or len if there is none yet. Sets *hostile when the line has reached
 * SMTP_HARD_LINE_MAX bytes without an LF: a line of that many bytes plus
 * its terminator is over the hard limit whatever comes next, so we give
 * up now instead of waiting for more (and the verdict is the same for
 * every prefix that contains those bytes).
 */
static size_t find_lf(const uint8_t *buf, size_t len, size_t start, bool *hostile)
{
	size_t lim = len - start < SMTP_HARD_LINE_MAX ? len - start : SMTP_HARD_LINE_MAX;
	const uint8_t *p = memchr(buf + start, '\n', lim);

	*hostile = false;
	if (p != NULL)
		return (size_t)(p - buf);
	if (lim == SMTP_HARD_LINE_MAX)
		*hostile = true;
	return len;
}

ssize_t smtp_reply_parse(const uint8_t *buf, size_t len, struct smtp_reply *r, const char **why)
{
	size_t pos = 0;
	int first_code = -1;

	r->code = 0;
	r->flags = 0;
	r->nlines = 0;
	r->len = 0;
	if (why != NULL)
		*why = NULL;

	while (pos < len) {
		bool hostile;
		size_t lf = find_lf(buf, len, pos, &hostile);
		if (hostile) {
			if (why != NULL)
				*why = "reply line longer than 65536 bytes";
			return -1;
		}
		if (lf == len)
			return 0; /* line not complete yet */

		size_t n = r->nlines++;
		struct smtp_span *line = &r->line[n];
		struct smtp_span *text = &r->text[n];
		r->flags |= line_scan(buf, pos, lf, line);
		pos = lf + 1;

		/*
		 * RFC 5321 4.2: Reply-line = *(Reply-code "-" [textstring] CRLF)
		 * Reply-code [SP textstring] CRLF. "ddd" alone is the bare code
		 * clients SHOULD accept; anything else is not a reply line, and
		 * it ends the reply so a peer cannot hold us in one forever.
		 */
		const uint8_t *l = buf + line->off;
		bool coded = line->len >= 3 && is_digit(l[0]) && is_digit(l[1]) && is_digit(l[2]);
		uint8_t sep = line->len > 3 ? l[3] : 0;
		if (!coded || (line->len > 3 && sep != '-' && sep != ' ')) {
			r->flags |= SMTP_F_BAD_SYNTAX;
			text->off = line->off;
			text->len = 0;
			/* r->code keeps the last well-formed line's code, 0 if none */
			r->len = pos;
			return (ssize_t)pos;
		}

		int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		/* Reply-code = %x32-35 %x30-35 %x30-39 (4.2) */
		if (l[0] < '2' || l[0] > '5' || l[1] > '5')
			r->flags |= SMTP_F_CODE_RANGE;
		/* 4.2.1: "the reply code on each of the lines MUST be the same" */
		if (first_code < 0)
			first_code = code;
		else if (code != first_code)
			r->flags |= SMTP_F_MIXED_CODES;
		r->code = code;

		if (line->len == 3) {
			r->flags |= SMTP_F_BARE_CODE;
			text->off = line->off + 3;
			text->len = 0;
			r->len = pos;
			return (ssize_t)pos;
		}
		text->off = line->off + 4;
		text->len = line->len - 4;
		if (sep == ' ') {
			r->len = pos;
			return (ssize_t)pos;
		}
		/* continuation: a further line is needed, which would be one too many */
		if (r->nlines == SMTP_REPLY_LINES_MAX) {
			if (why != NULL)
				*why = "reply longer than 256 lines";
			return -1;
		}
	}
	return 0;
}

/* First word of line i's text and what follows one SP after it. */
static void ehlo_split(const struct smtp_reply *r, const uint8_t *buf, size_t i,
                       struct smtp_span *kw, struct smtp_span *params)
{
	const struct smtp_span *t = &r->text[i];
	const uint8_t *sp = t->len ? memchr(buf + t->off, ' ', t->len) : NULL;
	size_t klen = sp ? (size_t)(sp - (buf + t->off)) : t->len;

	kw->off = t->off;
	kw->len = klen;
	if (sp != NULL) {
		params->off = t->off + klen + 1;
		params->len = t->len - klen - 1;
	} else {
		params->off = t->off + t->len;
		params->len = 0;
	}
}

bool smtp_ehlo_has(const uint8_t *buf, const struct smtp_reply *r, const char *keyword,
                   struct smtp_span *params)
{
	size_t klen = keyword != NULL ? strlen(keyword) : 0;
	if (klen == 0 || memchr(keyword, ' ', klen) != NULL)
		return false; /* no keyword has a space: it would end there */
	/* line 1 is "Domain [SP ehlo-greet]" (4.1.1.1), never a keyword */
	for (size_t i = 1; i < r->nlines; i++) {
		/* the keyword is the text up to the first SP: a line can only
		 * match if the keyword's length ends there */
		const struct smtp_span *t = &r->text[i];
		if (t->len < klen || (t->len > klen && buf[t->off + klen] != ' '))
			continue;
		/* 4.1.1.1: keywords are recognized case-insensitively */
		if (eq_nocase(buf + t->off, klen, keyword)) {
			if (params != NULL) {
				struct smtp_span kw;
				ehlo_split(r, buf, i, &kw, params);
			}
			return true;
		}
	}
	return false;
}

/*
 * RFC 5321 4.1.1.1:
 *   ehlo-line    = ehlo-keyword *( SP ehlo-param )
 *   ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 *   ehlo-param   = 1*(%d33-126)
 * So "AUTH=LOGIN PLAIN" (an RFC 2554-era habit) and a trailing or doubled
 * SP are flagged: the grammar has no place for them.
 */
static bool ehlo_line_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || !(is_alpha(p[0]) || is_digit(p[0])))
		return false;
	for (i = 1; i < n && p[i] != ' '; i++)
		if (!(is_alpha(p[i]) || is_digit(p[i]) || p[i] == '-'))
			return false;
	while (i < n) {
		i++; /* the SP */
		size_t start = i;
		while (i < n && p[i] != ' ') {
			if (p[i] < 33 || p[i] > 126)
				return false;
			i++;
		}
		if (i == start)
			return false; /* empty ehlo-param */
	}
	return true;
}

uint32_t smtp_ehlo_check(const uint8_t *buf, const struct smtp_reply *r)
{
	for (size_t i = 1; i < r->nlines; i++)
		if (!ehlo_line_ok(buf + r->text[i].off, r->text[i].len))
			return SMTP_F_BAD_KEYWORD;
	return 0;
}

ssize_t smtp_cmd_parse(const uint8_t *buf, size_t len, struct smtp_cmd *c)
{
	bool hostile;
	size_t lf;

	memset(c, 0, sizeof *c);
	if (len == 0)
		return 0;
	lf = find_lf(buf, len, 0, &hostile);
	if (hostile)
		return -1;
	if (lf == len)
		return 0;

	c->flags = line_scan(buf, 0, lf, &c->line);
	c->len = lf + 1;

	/*
	 * 4.1.1: a command is a verb of letters, then SP and arguments. The
	 * verb is the leading letters; if anything but SP or the end follows
	 * ("MAIL:", "X-FOO", "EHLO\tx") or there are no letters, the line is
	 * malformed and args is the rest after the verb, separator not skipped.
	 */
	const uint8_t *l = buf + c->line.off;
	size_t v = 0;
	while (v < c->line.len && is_alpha(l[v]))
		v++;
	c->verb.off = c->line.off;
	c->verb.len = v;
	if (v == 0)
		c->flags |= SMTP_F_BAD_SYNTAX;
	if (v < c->line.len && l[v] == ' ') {
		c->args.off = c->line.off + v + 1;
		c->args.len = c->line.len - v - 1;
	} else {
		if (v < c->line.len)
			c->flags |= SMTP_F_BAD_SYNTAX;
		c->args.off = c->line.off + v;
		c->args.len = c->line.len - v;
	}
	return (ssize_t)c->len;
}

bool smtp_cmd_is(const uint8_t *buf, const struct smtp_cmd *c, const char *verb)
{
	if (verb == NULL)
		return false;
	return eq_nocase(buf + c->verb.off, c->verb.len, verb);
}

/* One alternative: 3 chars, first [1-6x], then [0-9x]. */
static bool alt_valid(const char *p, size_t n)
{
	if (n != 3)
		return false;
	if (!(p[0] == 'x' || (p[0] >= '1' && p[0] <= '6')))
		return false;
	for (size_t i = 1; i < 3; i++)
		if (!(p[i] == 'x' || (p[i] >= '0' && p[i] <= '9')))
			return false;
	return true;
}

bool smtp_codepat_valid(const char *pat)
{
	if (pat == NULL || pat[0] == '\0')
		return false;
	if (strcmp(pat, "any") == 0)
		return true;
	for (const char *p = pat;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (!alt_valid(p, n))
			return false;
		if (bar == NULL)
			return true;
		p = bar + 1;
	}
}

bool smtp_codepat_match(const char *pat, int code)
{
	if (!smtp_codepat_valid(pat))
		return false;
	/* "any" is any reply at all, including one without a code (0) */
	if (strcmp(pat, "any") == 0)
		return true;
	/* digit patterns only ever match a three-digit code */
	if (code < 100 || code > 999)
		return false;
	char d[3] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
	             (char)('0' + code % 10)};
	for (const char *p = pat;; p += 4) {
		if ((p[0] == 'x' || p[0] == d[0]) && (p[1] == 'x' || p[1] == d[1]) &&
		    (p[2] == 'x' || p[2] == d[2]))
			return true;
		if (p[3] == '\0')
			return false;
	}
}

void smtp_flags_str(uint32_t flags, char *out, size_t outlen)
{
	static const char *const names[] = {
	    "bare LF",     "bare CR",    "long line",         "mixed codes", "NUL",
	    "8-bit",       "bad syntax", "code out of range", "bare code",   "bad keyword",
	};
	const size_t nnames = sizeof names / sizeof names[0];
	size_t used = 0;

	if (out == NULL || outlen == 0)
		return;
	out[0] = '\0';
	if (flags == 0) {
		snprintf(out, outlen, "none");
		return;
	}
	for (size_t i = 0; i < nnames; i++) {
		if (!(flags & (1u << i)))
			continue;
		/* snprintf truncates safely; stop once the buffer is full */
		int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
	uint32_t unknown = flags & ~((1u << nnames) - 1);
	if (unknown)
		snprintf(out + used, outlen - used, "%sunknown 0x%x", used ? ", " : "",
		         (unsigned)unknown);
}

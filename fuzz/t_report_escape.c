/* SPDX-License-Identifier: MIT */
/*
 * report_escape: the escapers every report uses on bytes from the wire
 * (report_escape_xml/_xml_text/_html/_md/_sanitize/_fix_utf8) and
 * escape_bytes / buf_escape (transcripts).
 * Oracles (each checked by code written here, not by the escaper's helpers):
 *  - every output is valid UTF-8 without NUL;
 *  - XML attribute: no C0 control at all, no raw < > " ', every & starts an
 *    entity; XML text: C0 only \t \n; no C1, U+FFFE/U+FFFF, bidi overrides;
 *  - HTML: no raw < > & " '; Markdown cell: no raw < > | newline, no C0;
 *  - sanitize: no control bytes (keep_nl: only \n), no bidi controls;
 *  - escape_bytes: printable ASCII only, and unescaping gives the input back.
 * The first byte picks the escaper (its value mod 8), the rest is the text:
 * one escaper per execution, so the fuzzer steers both and coverage tells
 * the modes apart, at an eighth of the cost of running all of them.
 */
#include "fuzz.h"
#include "report_escape.h"
#include "util.h"

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

/* Our own UTF-8 decoder: length of the sequence at p (0 = invalid). */
static size_t u8(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t c = p[0];
	size_t k;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		k = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		k = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		k = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

enum { M_XML_ATTR, M_XML_TEXT, M_HTML, M_MD, M_SAN, M_SAN_NL, M_UTF8 };
static const char *const mname[] = {"xml", "xml_text", "html", "md", "sanitize", "sanitize_nl",
                                    "fix_utf8"};

static bool entity_at(const uint8_t *p, size_t n)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;",
	                                   "&#9;", "&#10;", "&#13;"};
	for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
		if (fuzz_starts_with(p, n, ents[i]))
			return true;
	return false;
}

static bool bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void check_out(int m, const struct buf *b)
{
	const uint8_t *p = b->data;
	size_t n = b->len;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = u8(p + i, n - i, &cp);
		FUZZ_CHECK(k > 0, "%s: invalid UTF-8 at %zu", mname[m], i);
		FUZZ_CHECK(cp != 0, "%s: NUL in output", mname[m]);
		if (m != M_UTF8) {
			FUZZ_CHECK(!(cp >= 0x7f && cp <= 0x9f), "%s: DEL/C1 control U+%04X", mname[m], cp);
			FUZZ_CHECK(!bidi(cp), "%s: bidi control U+%04X", mname[m], cp);
			FUZZ_CHECK(cp != 0xfffe && cp != 0xffff, "%s: noncharacter", mname[m]);
		}
		switch (m) {
		case M_XML_ATTR:
			FUZZ_CHECK(cp >= 0x20, "xml: raw control %#x", cp);
			FUZZ_CHECK(cp != '<' && cp != '>' && cp != '"' && cp != '\'', "xml: raw %c",
			           (char)cp);
			FUZZ_CHECK(cp != '&' || entity_at(p + i, n - i), "xml: & not an entity");
			break;
		case M_XML_TEXT:
			FUZZ_CHECK(cp >= 0x20 || cp == '\t' || cp == '\n', "xml_text: raw control %#x", cp);
			FUZZ_CHECK(cp != '<' && cp != '>', "xml_text: raw %c", (char)cp);
			FUZZ_CHECK(cp != '&' || entity_at(p + i, n - i), "xml_text: & not an entity");
			break;
		case M_HTML:
			FUZZ_CHECK(cp >= 0x20 || cp == '\t' || cp == '\n', "html: raw control %#x", cp);
			FUZZ_CHECK(cp != '<' && cp != '>' && cp != '"' && cp != '\'', "html: raw %c",
			           (char)cp);
			FUZZ_CHECK(cp != '&' || entity_at(p + i, n - i), "html: & not an entity");
			break;
		case M_MD:
			FUZZ_CHECK(cp >= 0x20, "md: raw control %#x", cp);
			FUZZ_CHECK(cp != '>', "md: raw >");
			FUZZ_CHECK(cp != '&' || entity_at(p + i, n - i), "md: & not an entity");
			if (cp == '<')
				FUZZ_CHECK(fuzz_starts_with(p + i, n - i, "<br>"), "md: raw <");
			if (cp == '|')
				FUZZ_CHECK(i > 0 && p[i - 1] == '\\', "md: unescaped |");
			break;
		case M_SAN:
			FUZZ_CHECK(cp >= 0x20, "sanitize: raw control %#x", cp);
			break;
		case M_SAN_NL:
			FUZZ_CHECK(cp >= 0x20 || cp == '\n', "sanitize_nl: raw control %#x", cp);
			break;
		}
		if (cp == '<' && m == M_MD)
			i += 4; /* "<br>" */
		else
			i += k;
	}
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void check_escape_bytes(const uint8_t *in, size_t len)
{
	char *e = escape_bytes(in, len);
	size_t el = strlen(e);
	FUZZ_CHECK(el <= 4 * len, "escape_bytes grew more than 4x");
	struct buf back = {0};
	for (size_t i = 0; i < el; i++) {
		uint8_t c = (uint8_t)e[i];
		FUZZ_CHECK(c >= 0x20 && c < 0x7f, "escape_bytes: unprintable %#x", c);
		if (c != '\\') {
			buf_append(&back, &c, 1);
			continue;
		}
		FUZZ_CHECK(i + 1 < el, "escape_bytes: dangling backslash");
		uint8_t x = (uint8_t)e[++i], v;
		switch (x) {
		case 'r': v = '\r'; break;
		case 'n': v = '\n'; break;
		case 't': v = '\t'; break;
		case '\\': v = '\\'; break;
		case '"': v = '"'; break;
		case 'x':
			FUZZ_CHECK(i + 2 < el && hexval((uint8_t)e[i + 1]) >= 0 &&
			               hexval((uint8_t)e[i + 2]) >= 0,
			           "escape_bytes: bad \\x");
			v = (uint8_t)(hexval((uint8_t)e[i + 1]) << 4 | hexval((uint8_t)e[i + 2]));
			i += 2;
			break;
		default:
			FUZZ_CHECK(0, "escape_bytes: unknown escape \\%c", x);
			v = 0;
		}
		buf_append(&back, &v, 1);
	}
	FUZZ_CHECK(back.len == len && (len == 0 || memcmp(back.data, in, len) == 0),
	           "escape_bytes does not round-trip");
	/* buf_escape appends the same text */
	struct buf b = {0};
	buf_append(&b, "x", 1);
	buf_escape(&b, in, len);
	FUZZ_CHECK(b.len == el + 1 && memcmp(b.data + 1, e, el) == 0, "buf_escape != escape_bytes");
	buf_free(&b);
	buf_free(&back);
	free(e);
}

int FuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int m = data[0] % 8;
	const uint8_t *buf = data + 1;
	size_t len = size - 1;
	if (m > M_UTF8) {
		check_escape_bytes(buf, len);
		return 0;
	}
	struct buf b = {0};
	switch (m) {
	case M_XML_ATTR: report_escape_xml(&b, buf, len); break;
	case M_XML_TEXT: report_escape_xml_text(&b, buf, len); break;
	case M_HTML: report_escape_html(&b, buf, len); break;
	case M_MD: report_escape_md(&b, buf, len); break;
	case M_SAN: report_escape_sanitize(&b, buf, len, false); break;
	case M_SAN_NL: report_escape_sanitize(&b, buf, len, true); break;
	case M_UTF8: report_escape_fix_utf8(&b, buf, len); break;
	}
	check_out(m, &b);
	buf_free(&b);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * report_escape: the escapers every report writer uses on bytes from the
 * wire (declared in report_escape.h). A module of its own so that what links
 * them (the report_escape fuzz target) links nothing else.
 * Invariant: whatever bytes come in, every escaper emits valid UTF-8 with no
 * control character its format forbids; peer bytes never reach a terminal raw.
 */
#include "report_escape.h"

#include <string.h>

/* ---- escaping ---------------------------------------------------------- */

size_t report_escape_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	uint8_t c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	/* 0xc0/0xc1 and 0xf5.. can only start overlong or out-of-range forms. */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

enum esc_mode {
	ESC_UTF8,     /* only repair invalid UTF-8 and NUL (JSON fallback) */
	ESC_SAN,      /* terminal / code block, one line */
	ESC_SAN_NL,   /* terminal / code block, newlines kept */
	ESC_XML_ATTR, /* XML attribute or text, lossless for \t \n \r */
	ESC_XML_TEXT, /* XML element text, \n and \t literal for readability */
	ESC_HTML,
	ESC_MD,       /* Markdown table cell (GFM) */
};

/*
 * Code points shown as \xHH bytes rather than emitted: C0 and C1 controls
 * and DEL (terminal escape sequences; XML 1.0 forbids C0 even as &#N;),
 * U+FFFE/U+FFFF (not XML characters), and the bidi embedding/override/
 * isolate controls, which can make displayed text lie about its order
 * (CVE-2021-42574, "Trojan Source").
 */
static bool shown_as_hex(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Replacement for cp in this mode, or NULL to fall through to the default. */
static const char *special(enum esc_mode m, uint32_t cp)
{
	switch (cp) {
	case '\t':
		return m == ESC_XML_ATTR ? "&#9;" : (m == ESC_XML_TEXT || m == ESC_HTML) ? "\t" : "\\t";
	case '\n':
		switch (m) {
		case ESC_XML_ATTR: return "&#10;";
		case ESC_MD: return "<br>";
		case ESC_SAN: return "\\n";
		default: return "\n";
		}
	case '\r':
		/* XML would normalise a raw CR away; elsewhere it would move the cursor. */
		return (m == ESC_XML_ATTR || m == ESC_XML_TEXT) ? "&#13;" : "\\r";
	case '&':
		return (m == ESC_XML_ATTR || m == ESC_XML_TEXT || m == ESC_HTML || m == ESC_MD) ? "&amp;" : NULL;
	case '<':
		return (m == ESC_XML_ATTR || m == ESC_XML_TEXT || m == ESC_HTML || m == ESC_MD) ? "&lt;" : NULL;
	case '>':
		return (m == ESC_XML_ATTR || m == ESC_XML_TEXT || m == ESC_HTML || m == ESC_MD) ? "&gt;" : NULL;
	case '"':
		return (m == ESC_XML_ATTR || m == ESC_HTML) ? "&quot;" : NULL;
	case '\'':
		return m == ESC_XML_ATTR ? "&apos;" : m == ESC_HTML ? "&#39;" : NULL;
	/* Markdown: characters that open emphasis, code, links, strikethrough or
	 * end a table cell; backslash-escaping them is valid CommonMark/GFM. */
	case '\\': return m == ESC_MD ? "\\\\" : NULL;
	case '`': return m == ESC_MD ? "\\`" : NULL;
	case '*': return m == ESC_MD ? "\\*" : NULL;
	case '_': return m == ESC_MD ? "\\_" : NULL;
	case '[': return m == ESC_MD ? "\\[" : NULL;
	case ']': return m == ESC_MD ? "\\]" : NULL;
	case '|': return m == ESC_MD ? "\\|" : NULL;
	case '~': return m == ESC_MD ? "\\~" : NULL;
	}
	return NULL;
}

static void hex_byte(struct buf *out, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
	buf_append(out, e, 4);
}

static bool word_byte(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void escape_core(struct buf *out, const uint8_t *p, size_t n, enum esc_mode m)
{
	size_t i = 0, run = 0; /* p[run..i) stands for itself, not yet appended */
	if (n == 0)
		return;
	buf_reserve(out, n);
	while (i < n) {
		/* letters, digits and space stand for themselves in every mode */
		uint8_t c = p[i];
		if ((uint8_t)((c | 0x20) - 'a') < 26 || (uint8_t)(c - '0') < 10 || c == ' ') {
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = report_escape_utf8_next(p + i, n - i, &cp);
		const char *rep = NULL;
		bool hex = false;
		if (k == 0) {
			k = 1;
			hex = true;
		} else if (m == ESC_MD && cp == '_' && i > 0 && i + 1 < n && word_byte(p[i - 1]) &&
		           word_byte(p[i + 1])) {
			/* Intraword '_' never opens emphasis in GFM: keep
			 * TLS_AES_128_GCM_SHA256 readable in the raw file. */
		} else if (m == ESC_UTF8) {
			hex = cp == 0;
		} else {
			rep = special(m, cp);
			hex = rep == NULL && shown_as_hex(cp);
		}
		if (rep != NULL || hex) {
			if (i > run)
				buf_append(out, p + run, i - run);
			if (rep != NULL)
				buf_append(out, rep, strlen(rep));
			else
				for (size_t j = 0; j < k; j++)
					hex_byte(out, p[i + j]);
			run = i + k;
		}
		i += k;
	}
	buf_append(out, p + run, n - run);
}

void report_escape_xml(struct buf *out, const uint8_t *p, size_t n)
{
	escape_core(out, p, n, ESC_XML_ATTR);
}

void report_escape_xml_text(struct buf *out, const uint8_t *p, size_t n)
{
	escape_core(out, p, n, ESC_XML_TEXT);
}

void report_escape_html(struct buf *out, const uint8_t *p, size_t n)
{
	escape_core(out, p, n, ESC_HTML);
}

void report_escape_md(struct buf *out, const uint8_t *p, size_t n)
{
	escape_core(out, p, n, ESC_MD);
}

void report_escape_sanitize(struct buf *out, const uint8_t *p, size_t n, bool keep_nl)
{
	escape_core(out, p, n, keep_nl ? ESC_SAN_NL : ESC_SAN);
}

void report_escape_fix_utf8(struct buf *out, const uint8_t *p, size_t n)
{
	escape_core(out, p, n, ESC_UTF8);
}

/* SPDX-License-Identifier: MIT */
/*
 * report_escape: bytes in (from the wire or peer-controlled strings:
 * certificate subjects, replies quoted in reasons), escaped text appended
 * to a buf. Used by every report writer, report_view and the terminal
 * summary; public so they can be fuzzed (fuzz/t_report_escape.c).
 * Safe for any input: the output is always valid UTF-8.
 */
#ifndef STARK_REPORT_ESCAPE_H
#define STARK_REPORT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Length (1-4) of the valid UTF-8 sequence at p, its code point in *cp;
 * 0 if p starts an invalid, overlong, surrogate or truncated sequence. */
size_t report_escape_utf8_next(const uint8_t *p, size_t n, uint32_t *cp);
/* XML 1.0 text/attr; invalid chars as \xHH. */
void report_escape_xml(struct buf *out, const uint8_t *p, size_t n);
/* XML text content (keeps \n and \t literal, for <system-out>). */
void report_escape_xml_text(struct buf *out, const uint8_t *p, size_t n);
void report_escape_html(struct buf *out, const uint8_t *p, size_t n);
/* Inside a Markdown table cell. */
void report_escape_md(struct buf *out, const uint8_t *p, size_t n);
/* Text for a terminal or a code block: valid printable UTF-8 as is,
 * \r \n \t as escapes (\n kept literal if keep_nl), every other control
 * character, bidi override and invalid byte as \xHH. */
void report_escape_sanitize(struct buf *out, const uint8_t *p, size_t n, bool keep_nl);
/* Valid UTF-8 (controls included) as is; NUL and invalid bytes as \xHH. */
void report_escape_fix_utf8(struct buf *out, const uint8_t *p, size_t n);

#endif

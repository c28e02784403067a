/* SPDX-License-Identifier: MIT */
/*
 * report: writers for one run, every format a view of the same results.
 * results.json is canonical (schema in reports/README.md); junit.xml,
 * summary.md and index.html are derived. Escaping helpers are public so
 * they can be fuzzed. Never decides a verdict.
 */
#ifndef STARK_REPORT_H
#define STARK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "result.h"
#include "util.h"

/* Write results.json, junit.xml, summary.md, index.html into dir (created if
 * missing). Each file is written to a temporary name and renamed, so a
 * reader never sees half a report. 0 ok, -1 with err filled. */
int report_write_all(const struct run *run, const char *dir, char *err, size_t errlen);

/* Single formats, to a stream (used by report_write_all and the tests). */
int report_json(const struct run *run, FILE *f);
int report_junit(const struct run *run, FILE *f);
int report_markdown(const struct run *run, FILE *f);
int report_html(const struct run *run, FILE *f);

/* Escapers: bytes in, escaped text appended to out. */
void report_escape_xml(struct buf *out, const uint8_t *p, size_t n);  /* XML 1.0 text/attr; invalid chars as \xHH */
void report_escape_html(struct buf *out, const uint8_t *p, size_t n);
void report_escape_md(struct buf *out, const uint8_t *p, size_t n);   /* inside a table cell */

/* The terminal summary printed after a run (facts first, then counts). */
void report_terminal(const struct run *run, const char *dir, FILE *f);

/*
 * Shared by the report_*.c writers. Not a stable API: declared here only
 * because each format lives in its own file. Everything below takes bytes
 * from the wire or from peer-controlled strings (certificate subjects,
 * replies quoted in reasons) and must stay safe for any input.
 */
/* Length (1-4) of the valid UTF-8 sequence at p, its code point in *cp;
 * 0 if p starts an invalid, overlong, surrogate or truncated sequence. */
size_t report_utf8_next(const uint8_t *p, size_t n, uint32_t *cp);
/* XML text content (keeps \n and \t literal, for <system-out>). */
void report_escape_xml_text(struct buf *out, const uint8_t *p, size_t n);
/* Text for a terminal or a code block: valid printable UTF-8 as is,
 * \r \n \t as escapes (\n kept literal if keep_nl), every other control
 * character, bidi override and invalid byte as \xHH. */
void report_sanitize(struct buf *out, const uint8_t *p, size_t n, bool keep_nl);
/* Valid UTF-8 (controls included) as is; NUL and invalid bytes as \xHH. */
void report_fix_utf8(struct buf *out, const uint8_t *p, size_t n);
/* "12.345" from microseconds; "1.234" seconds from milliseconds. */
void report_ms(struct buf *out, int64_t us);
void report_secs(struct buf *out, int64_t ms);
/* ISO 8601 UTC to the second ("2026-01-01T00:00:00Z"), "invalid" if out of range. */
void report_iso_sec(int64_t sec, char out[32]);
/* One transcript event for humans, no newline, sanitised:
 * [+12.345ms] send plain "EHLO x\r\n". maxdata > 0 caps shown data bytes. */
void report_event_line(struct buf *out, const struct tevent *e, size_t maxdata);
/* FAIL, XPASS and ERROR: the verdicts that change the exit status to non-zero
 * because of the target or the harness (listed first in every view). */
bool report_is_bad(enum verdict v);
/* idx[run->n]: bad results first, then the rest, each group in run order. */
void report_order(const struct run *run, size_t *idx);
/* The reason as a person reads it (adds the expected-failure note for
 * XFAIL/XPASS). Raw text: the caller escapes for its format. */
void report_reason(struct buf *out, const struct result *r);
/* One line per handshake: "TLSv1.3, TLS_AES_128_GCM_SHA256 (X25519), verify: ok, host match: yes". Raw. */
void report_tls_brief(struct buf *out, const struct wtls_facts *f);
/* The facts a person checks first, as label/value rows (values raw, malloc'd). */
#define REPORT_FACT_ROWS 12
struct report_kv {
	const char *key;
	char *val;
};
size_t report_facts_rows(const struct wtls_facts *f, struct report_kv rows[REPORT_FACT_ROWS]);
void report_kv_free(struct report_kv *rows, size_t n);
/* A non-PASS result's details as label/value rows (File, Reason, Severity
 * with catalog and refs, Started, TLS, Trigger exit status); raw values. */
size_t report_detail_rows(const struct result *r, struct report_kv rows[REPORT_FACT_ROWS]);
/* stark scan: the cells of one node's row in the node table (raw,
 * malloc'd): node, versions, TLS in use, cipher in use, certificate,
 * verify, connections. */
#define REPORT_NODE_COLS 7
extern const char *const report_node_heads[REPORT_NODE_COLS];
struct fleet_node;
void report_node_cells(const struct fleet_node *n, char *cells[REPORT_NODE_COLS]);
/* Length of a fixed-size string field that may lack its NUL. */
#define REPORT_FLEN(arr) strnlen((arr), sizeof(arr))
/* NULL-safe C string. */
static inline const char *report_str(const char *s)
{
	return s ? s : "";
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * report_view: what every view of a run shows the same way, shared by the
 * report_*.c writers and report_terminal (times, result order, reasons,
 * TLS facts and node cells as raw label/value text; each caller escapes
 * for its format). Everything here takes bytes from the wire or from
 * peer-controlled strings and must stay safe for any input.
 */
#ifndef STARK_REPORT_VIEW_H
#define STARK_REPORT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "run.h"
#include "util.h"

/* "12.345" from microseconds; "1.234" seconds from milliseconds. */
void report_view_ms(struct buf *out, int64_t us);
void report_view_secs(struct buf *out, int64_t ms);
/* ISO 8601 UTC to the second ("2026-01-01T00:00:00Z"), "invalid" if out of range. */
void report_view_iso_sec(int64_t sec, char out[32]);
/* One transcript event for humans, no newline, sanitised:
 * [+12.345ms] send plain "EHLO x\r\n". maxdata > 0 caps shown data bytes. */
void report_view_event_line(struct buf *out, const struct tevent *e, size_t maxdata);
/* FAIL, XPASS and ERROR: the verdicts that change the exit status to non-zero
 * because of the target or the harness (listed first in every view). */
bool report_view_is_bad(enum verdict v);
/* How many results of the run name r as the root cause they were blocked
 * by (blocked_by, same node). */
size_t report_view_blocks(const struct run *run, const struct result *r);
/* idx[run->n]: root causes (results that blocked others) first, then the
 * other bad results, then the rest, each group in run order. Returns the
 * number of root causes at the front. */
size_t report_view_order(const struct run *run, size_t *idx);
/* The reason as a person reads it (adds the expected-failure note for
 * XFAIL/XPASS). Raw text: the caller escapes for its format. */
void report_view_reason(struct buf *out, const struct result *r);
/* One line per handshake: "TLSv1.3, TLS_AES_128_GCM_SHA256 (X25519), verify: ok, host match: yes". Raw. */
void report_view_tls_brief(struct buf *out, const struct wtls_facts *f);
/* The facts a person checks first, as label/value rows (values raw, malloc'd). */
#define REPORT_VIEW_ROWS 12
struct report_view_kv {
	const char *key;
	char *val;
};
size_t report_view_facts_rows(const struct wtls_facts *f,
                              struct report_view_kv rows[REPORT_VIEW_ROWS]);
void report_view_kv_free(struct report_view_kv *rows, size_t n);
/* A non-PASS result's details as label/value rows (File, Reason, Severity
 * with catalog and refs, Started, TLS, Trigger exit status); raw values. */
size_t report_view_detail_rows(const struct result *r,
                               struct report_view_kv rows[REPORT_VIEW_ROWS]);
/* stark scan: the cells of one node's row in the node table (raw,
 * malloc'd): node, versions, TLS in use, cipher in use, certificate,
 * verify, connections. */
#define REPORT_VIEW_NODE_COLS 7
extern const char *const report_view_node_heads[REPORT_VIEW_NODE_COLS];
struct fleet_node;
void report_view_node_cells(const struct fleet_node *n, char *cells[REPORT_VIEW_NODE_COLS]);
struct fleet;
/* How many fleet rows differ between nodes. */
size_t report_view_fleet_differ(const struct fleet *fl);
/* The nodes' targets in node order (the array is malloc'd, the strings are
 * the fleet's). */
const char **report_view_node_targets(const struct fleet *fl);
/* Length of a fixed-size string field that may lack its NUL. */
#define REPORT_VIEW_FLEN(arr) strnlen((arr), sizeof(arr))
/* NULL-safe C string. */
static inline const char *report_view_str(const char *s)
{
	return s ? s : "";
}

#endif

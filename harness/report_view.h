/* SPDX-License-Identifier: MIT */
/*
 * report_view: what every view of a run shows the same way, shared by the
 * report_*.c writers and report_terminal (times, result order, reasons,
 * TLS facts, tables and document parts, the headline, the decisive
 * transcript event, remedies; raw text, each caller escapes for its
 * format and renders in its own syntax). Everything here takes bytes from the wire or from
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
/* Appends each row as pre KEY mid esc(VALUE) post (a table row, a list
 * item: the caller's syntax and escape), then frees the values. */
void report_view_kv_render(struct buf *out, struct report_view_kv *rows, size_t n,
                           void (*esc)(struct buf *, const uint8_t *, size_t), const char *pre,
                           const char *mid, const char *post);
/* A non-PASS result's details as label/value rows (File, Reason, Severity
 * with catalog and refs, Started, TLS, Trigger exit status); raw values. */
size_t report_view_detail_rows(const struct result *r,
                               struct report_view_kv rows[REPORT_VIEW_ROWS]);
/*
 * A table each writer renders in its own syntax (HTML rows, Markdown pipes):
 * heads, then rows of raw cells. A row may carry a verdict (the row's
 * colour in HTML; the verdict column's label, bold in Markdown when it
 * fails the run) and an anchor (the link_col cell links to the details
 * section "r<anchor>").
 */
struct report_view_row {
	char **cells; /* ncols raw cells, malloc'd */
	int verdict;  /* enum verdict, or -1: a row without a verdict */
	long anchor;  /* >= 0: link_col links to the details section r<anchor> */
};
struct report_view_table {
	const char *name;   /* which table: "roots", "results", "nodes", "fleet", "node-findings" */
	const char **heads; /* ncols (array malloc'd, strings static or the run's) */
	size_t ncols;
	struct report_view_row *rows;
	size_t nrows;
	int verdict_col; /* the column holding the verdict label, or -1 */
	int link_col;    /* the column a row's anchor links from, or -1 */
};
/* Root causes (idx[0..roots), report_view_order): verdict, id, blocks, reason. */
void report_view_roots_table(const struct run *run, const size_t *idx, size_t roots,
                             struct report_view_table *t);
/* Every result in idx order: verdict, id, severity, catalog, reason; non-PASS
 * rows link to their details section. */
void report_view_results_table(const struct run *run, const size_t *idx,
                               struct report_view_table *t);
struct fleet;
/* stark scan: one row per node (node, versions, TLS in use, cipher in use,
 * certificate, verify, connections). */
void report_view_nodes_table(const struct fleet *fl, struct report_view_table *t);
/* stark scan: the properties the nodes disagree on (property, then one
 * column per node), each row marked FAIL. */
void report_view_fleet_table(const struct fleet *fl, struct report_view_table *t);
void report_view_table_free(struct report_view_table *t);
/* How a format writes a table: the literal markup around heads, rows and
 * cells, the rule (repeated once per column, may be "") between heads
 * and rows, the escape of cell text, and two hooks: the opening of a row
 * (its class), and the cells of verdict_col and link_col. */
struct report_view_markup {
	const char *open, *head_cell, *head_cell_end, *heads_end, *rule, *rule_end;
	const char *cell, *cell_end, *row_end, *close;
	void (*esc)(struct buf *, const uint8_t *, size_t);
	void (*row_open)(struct buf *b, const struct report_view_row *row);
	void (*verdict_cell)(struct buf *b, const struct report_view_row *row, const char *label);
	void (*link_cell)(struct buf *b, const struct report_view_row *row, const char *text);
};
void report_view_table_render(struct buf *b, const struct report_view_table *t,
                              const struct report_view_markup *m);
struct fleet_node;
/* stark scan: one node's TLS as the seed checked it by hand, as label/value
 * rows (raw, malloc'd): versions offered, version and cipher in use (the
 * OpenSSL name, IANA's beside it when they differ), the certificate
 * (subject, self-signed, key, validity end, verification, host match),
 * connections; or why the node could not be probed. */
size_t report_view_node_summary_rows(const struct fleet_node *n,
                                     struct report_view_kv rows[REPORT_VIEW_ROWS]);
/* How many fleet rows differ between nodes. */
size_t report_view_fleet_differ(const struct fleet *fl);

/*
 * The parts of a report every document shows alike, written through the
 * caller's syntax: a heading (level 1-6), a paragraph, a table; text is raw
 * and each callback escapes it for its format.
 */
struct report_view_syntax {
	void (*heading)(struct buf *b, int level, const char *text);
	void (*para)(struct buf *b, const char *text);
	void (*table)(struct buf *b, const struct report_view_table *t);
};
/* The result tables: "Root causes" and "All results" (level 3) when a
 * result blocked others, else the one table of all results. idx and roots
 * from report_view_order. */
void report_view_results_part(struct buf *b, const struct run *run, const size_t *idx,
                              size_t roots, const struct report_view_syntax *syn);
/* stark scan: "Nodes (policy P)" (level 2) and its table; with several
 * nodes "Fleet consistency", how many properties differ, and those rows. */
void report_view_scan_part(struct buf *b, const struct fleet *fl,
                           const struct report_view_syntax *syn);
/* The transcript event a reader should look at first: the last received
 * event before the engine's "verdict ..." note that holds a reply the
 * reason quotes (*quoted set), else the last event before that note (or
 * the last event); -1 if the transcript is empty. */
long report_view_decisive_event(const struct result *r, bool *quoted);
/* The run in one word, following run_exit_status (1: FAIL; 2: INCOMPLETE,
 * ERROR or NOTHING SHOWN; 0: WARN or PASS),
 * the verdict whose colour it takes, and a sentence saying why (raw). */
const char *report_view_headline(const struct run *run, enum verdict *colour, struct buf *why);
/* The run line: "Target T · role R · profile P · started S · elapsed E s
 * · stark V" (raw). */
void report_view_run_line(struct buf *out, const struct run *run);
/* stark scan: per node, its findings (node, fail, warn, error, other
 * non-PASS, finding ids); rows link nowhere (the ids name sections). */
void report_view_node_findings_table(const struct run *run, struct report_view_table *t);
struct remedy;
/* The remedy of a result: the first of its catalog ids that has one. */
const struct remedy *report_view_remedy(const struct result *r);

/* Length of a fixed-size string field that may lack its NUL. */
#define REPORT_VIEW_FLEN(arr) strnlen((arr), sizeof(arr))
/* NULL-safe C string. */
static inline const char *report_view_str(const char *s)
{
	return s ? s : "";
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * report_md: summary.md (GitHub-flavoured Markdown, fit for a CI job
 * summary). Public: report_md(). Order: run line, the target's TLS
 * facts, counts, one table row per result (FAIL/XPASS/ERROR first, then
 * WARN), then details with the last MD_TAIL transcript events of every non-PASS result.
 * Invariant: untrusted text is escaped (report_escape_md) or fenced.
 */
#include <stdlib.h>
#include <string.h>

#include "report_md.h"
#include "report_escape.h"
#include "report_view.h"
#include "fleet.h"

/* Enough to show the exchange that decided the verdict; results.json has all. */
#define MD_TAIL 20
/* Escaped wire data per event is capped so one 256 KiB blob cannot make a
 * job summary unreadable (GitHub caps step summaries at 1 MiB). */
#define MD_EVENT_BYTES 160

static void md(struct buf *b, const char *s)
{
	report_escape_md(b, (const uint8_t *)s, strlen(s));
}

static void md_list(struct buf *b, char *const *v, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_appendf(b, "%s", sep);
		md(b, report_view_str(v[i]));
	}
}

/* A fence longer than any backtick run in the content cannot be closed by it. */
static void fenced(struct buf *b, const uint8_t *p, size_t n)
{
	size_t run = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		run = p[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t width = longest < 3 ? 3 : longest + 1;
	for (size_t i = 0; i < width; i++)
		buf_append(b, "`", 1);
	buf_appendf(b, "text\n");
	buf_append(b, p, n);
	if (n > 0 && p[n - 1] != '\n')
		buf_append(b, "\n", 1);
	for (size_t i = 0; i < width; i++)
		buf_append(b, "`", 1);
	buf_append(b, "\n\n", 2);
}

static void facts_table(struct buf *b, const struct wtls_facts *f)
{
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t n = report_view_facts_rows(f, rows);
	buf_appendf(b, "| fact | value |\n|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		buf_appendf(b, "| %s | ", rows[i].key);
		md(b, rows[i].val);
		buf_appendf(b, " |\n");
	}
	buf_append(b, "\n", 1);
	report_view_kv_free(rows, n);
}

static void details(struct buf *b, const struct result *r)
{
	struct buf t = {0};

	buf_appendf(b, "### %s: ", result_verdict_label(r->verdict));
	md(b, report_view_str(r->id));
	buf_appendf(b, "\n\n");
	if (r->title != NULL && *r->title) {
		md(b, r->title);
		buf_appendf(b, "\n\n");
	}
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t nrows = report_view_detail_rows(r, rows);
	for (size_t i = 0; i < nrows; i++) {
		buf_appendf(b, "- %s: ", rows[i].key);
		md(b, rows[i].val);
		buf_append(b, "\n", 1);
	}
	report_view_kv_free(rows, nrows);
	buf_append(b, "\n", 1);

	size_t first = r->tr.n > MD_TAIL ? r->tr.n - MD_TAIL : 0;
	if (r->tr.n == 0) {
		buf_appendf(b, "Transcript: empty.\n\n");
	} else {
		buf_appendf(b, "Transcript (");
		if (first > 0)
			buf_appendf(b, "last %d of %zu events", MD_TAIL, r->tr.n);
		else
			buf_appendf(b, "%zu event%s", r->tr.n, r->tr.n == 1 ? "" : "s");
		if (r->tr.dropped > 0)
			buf_appendf(b, "; %zu bytes over the cap not stored", r->tr.dropped);
		buf_appendf(b, "; complete in results.json):\n\n");
		buf_reset(&t);
		for (size_t i = first; i < r->tr.n; i++) {
			report_view_event_line(&t, &r->tr.ev[i], MD_EVENT_BYTES);
			buf_append(&t, "\n", 1);
		}
		fenced(b, t.data, t.len);
	}
	if (r->has_trigger && r->trigger_output != NULL) {
		buf_appendf(b, "Trigger output:\n\n");
		buf_reset(&t);
		report_escape_sanitize(&t, (const uint8_t *)r->trigger_output, strlen(r->trigger_output), true);
		fenced(b, t.data, t.len);
	}
	buf_free(&t);
}

/* One table row, every cell escaped: "| first | cell | ... |" (first may be
 * NULL); with rule, the separator row under it. */
static void table_row(struct buf *b, const char *first, const char *const *cells, size_t n,
                      bool rule)
{
	buf_appendf(b, "|");
	for (size_t k = first ? 0 : 1; k <= n; k++) {
		buf_appendf(b, " ");
		md(b, k == 0 ? first : cells[k - 1]);
		buf_appendf(b, " |");
	}
	buf_appendf(b, "\n");
	if (!rule)
		return;
	buf_appendf(b, "|");
	for (size_t k = first ? 0 : 1; k <= n; k++)
		buf_appendf(b, "---|");
	buf_appendf(b, "\n");
}

/* stark scan: one row per node, then every property the nodes disagree on. */
static void scan_tables(struct buf *b, const struct fleet *fl)
{
	buf_appendf(b, "## Nodes (policy ");
	md(b, fl->policy);
	buf_appendf(b, ")\n\n");
	table_row(b, NULL, report_view_node_heads, REPORT_VIEW_NODE_COLS, true);
	for (size_t i = 0; i < fl->nnodes; i++) {
		char *cells[REPORT_VIEW_NODE_COLS];
		report_view_node_cells(&fl->nodes[i], cells);
		table_row(b, NULL, (const char *const *)cells, REPORT_VIEW_NODE_COLS, false);
		for (int k = 0; k < REPORT_VIEW_NODE_COLS; k++)
			free(cells[k]);
	}
	buf_append(b, "\n", 1);
	if (fl->nnodes < 2)
		return;
	size_t bad = report_view_fleet_differ(fl);
	buf_appendf(b, "## Fleet consistency\n\n%zu of %zu properties differ between nodes.\n\n", bad,
	            fl->nrows);
	if (bad == 0)
		return;
	const char **targets = report_view_node_targets(fl);
	table_row(b, "property", targets, fl->nnodes, true);
	free(targets);
	for (size_t r = 0; r < fl->nrows; r++)
		if (!fl->rows[r].consistent)
			table_row(b, fl->rows[r].property, (const char *const *)fl->rows[r].values,
			          fl->nnodes, false);
	buf_append(b, "\n", 1);
}

int report_md(const struct run *run, FILE *f)
{
	struct buf b = {0}, t = {0};
	size_t c[V__COUNT];
	char ts[32];

	buf_appendf(&b, "# stark report: ");
	md(&b, report_view_str(run->target));
	buf_appendf(&b, "\n\n");
	iso8601_ms(run->started_ms, ts);
	buf_appendf(&b, "Target ");
	md(&b, report_view_str(run->target));
	buf_appendf(&b, " · role ");
	md(&b, report_view_str(run->role));
	buf_appendf(&b, " · profile ");
	md(&b, report_view_str(run->profile));
	buf_appendf(&b, " · started %s · elapsed ", ts);
	report_view_secs(&b, run->elapsed_ms);
	buf_appendf(&b, " s · stark ");
	md(&b, report_view_str(run->tool_version));
	buf_appendf(&b, "\n\n");
	if (run->interrupted)
		buf_appendf(&b, "**Interrupted:** the run was stopped; results are partial.\n\n");

	if (run->scan) {
		scan_tables(&b, run->scan); /* the TLS facts, per node */
	} else {
		buf_appendf(&b, "## TLS of the target\n\n");
		if (run->has_tls)
			facts_table(&b, &run->tls);
		else
			buf_appendf(&b, "No successful TLS handshake with the target.\n\n");
	}

	run_summary(run, c);
	buf_appendf(&b, "## Results\n\n**%zu scenario%s:** %zu pass", run->n, run->n == 1 ? "" : "s",
	            c[V_PASS]);
	for (int v = V_PASS + 1; v < V__COUNT; v++)
		buf_appendf(&b, ", %zu %s", c[v], result_verdict_name((enum verdict)v));
	buf_appendf(&b, "\n\n");

	size_t *idx = xcalloc(run->n, sizeof *idx);
	size_t roots = report_view_order(run, idx);
	if (roots > 0) {
		/* one cause, one failure: what each root cause blocked */
		buf_appendf(&b, "### Root causes\n\n| verdict | id | blocks | reason |\n|---|---|---|---|\n");
		for (size_t k = 0; k < roots; k++) {
			const struct result *r = &run->results[idx[k]];
			buf_appendf(&b, "| **%s** | ", result_verdict_label(r->verdict));
			if (r->node) {
				md(&b, r->node);
				buf_appendf(&b, " ");
			}
			md(&b, report_view_str(r->id));
			buf_appendf(&b, " | %zu | ", report_view_blocks(run, r));
			buf_reset(&t);
			report_view_reason(&t, r);
			md(&b, buf_cstr(&t));
			buf_appendf(&b, " |\n");
		}
		buf_appendf(&b, "\n### All results\n\n");
	}
	if (run->n > 0) {
		buf_appendf(&b, "| verdict | id | severity | catalog | reason |\n|---|---|---|---|---|\n");
		for (size_t k = 0; k < run->n; k++) {
			const struct result *r = &run->results[idx[k]];
			/* Bold marks the verdicts that fail the run. */
			buf_appendf(&b, "| ");
			if (report_view_is_bad(r->verdict))
				buf_appendf(&b, "**%s**", result_verdict_label(r->verdict));
			else
				buf_appendf(&b, "%s", result_verdict_label(r->verdict));
			buf_appendf(&b, " | ");
			if (r->node) {
				md(&b, r->node);
				buf_appendf(&b, " ");
			}
			md(&b, report_view_str(r->id));
			buf_appendf(&b, " | ");
			md(&b, report_view_str(r->severity));
			buf_appendf(&b, " | ");
			md_list(&b, r->catalog, r->ncatalog, ", ");
			buf_appendf(&b, " | ");
			buf_reset(&t);
			report_view_reason(&t, r);
			md(&b, buf_cstr(&t));
			buf_appendf(&b, " |\n");
		}
		buf_append(&b, "\n", 1);
	}

	bool any = false;
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[idx[k]];
		if (r->verdict == V_PASS)
			continue;
		if (!any)
			buf_appendf(&b, "## Details\n\n");
		any = true;
		details(&b, r);
		fwrite(b.data, 1, b.len, f);
		buf_reset(&b);
	}
	free(idx);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
	buf_free(&t);
	return ferror(f) ? -1 : 0;
}

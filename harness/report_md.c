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
	report_view_kv_render(b, rows, n, report_escape_md, "| ", " | ", " |\n");
	buf_append(b, "\n", 1);
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
	report_view_kv_render(b, rows, nrows, report_escape_md, "- ", ": ", "\n");
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

static void row_open(struct buf *b, const struct report_view_row *row)
{
	(void)row;
	buf_appendf(b, "|");
}

/* Bold marks the verdicts that fail the run. */
static void verdict_cell(struct buf *b, const struct report_view_row *row, const char *label)
{
	buf_appendf(b, report_view_is_bad((enum verdict)row->verdict) ? "**%s**" : "%s", label);
}

/* No anchors in a job summary: the id as text. */
static void link_cell(struct buf *b, const struct report_view_row *row, const char *text)
{
	(void)row;
	md(b, text);
}

/* A GFM table, then a blank line. */
static const struct report_view_markup md_table = {
	"|", " ", " |", "\n|", /* open, head cell and its end, end of heads */
	"---|", "\n", /* rule (per column) and its end */
	" ", " |", "\n", "\n", /* cell and its end, row end, close */
	report_escape_md, row_open, verdict_cell, link_cell};

static void table(struct buf *b, const struct report_view_table *t)
{
	report_view_table_render(b, t, &md_table);
}

static void heading(struct buf *b, int level, const char *text)
{
	buf_appendf(b, "%.*s ", level, "######");
	md(b, text);
	buf_appendf(b, "\n\n");
}

static void para(struct buf *b, const char *text)
{
	md(b, text);
	buf_appendf(b, "\n\n");
}

static const struct report_view_syntax md_syntax = {heading, para, table};

int report_md(const struct run *run, FILE *f)
{
	struct buf b = {0};
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
		report_view_scan_part(&b, run->scan, &md_syntax); /* the TLS facts, per node */
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
	report_view_results_part(&b, run, idx, roots, &md_syntax);

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
	return ferror(f) ? -1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * report_html: index.html, one self-contained file (inline CSS, no script,
 * no external resource), the same content as summary.md plus the complete
 * transcript of every non-PASS result in a collapsed <details>.
 * Public: report_html(). Invariant: every string goes through
 * report_escape_html, and the markup is also well-formed XML (all elements
 * closed, attributes quoted), so the tests can check it with an XML parser.
 */
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_escape.h"
#include "report_view.h"
#include "fleet.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;"
	"color:#1f2328}\n"
	"h1{font-size:1.6em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em}\n"
	"table{border-collapse:collapse;margin:1em 0}\n"
	"th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}\n"
	"th{background:#f6f8fa}\n"
	"pre{background:#f6f8fa;padding:.8em;white-space:pre-wrap;word-break:break-all;"
	"font-size:12px}\n"
	".verdict{font-weight:bold;font-family:monospace}\n"
	"section{border-left:4px solid #d0d7de;padding-left:1em;margin:1.5em 0}\n"
	/* One colour per verdict: the verdict label, the counts line, the
	 * left border of a details section. */
	".v-pass .verdict,.counts .v-pass{color:#1a7f37}section.v-pass{border-color:#1a7f37}\n"
	".v-fail .verdict,.counts .v-fail{color:#cf222e}section.v-fail{border-color:#cf222e}\n"
	".v-xpass .verdict,.counts .v-xpass{color:#cf222e}section.v-xpass{border-color:#cf222e}\n"
	".v-error .verdict,.counts .v-error{color:#8250df}section.v-error{border-color:#8250df}\n"
	".v-skip .verdict,.counts .v-skip{color:#6e7781}section.v-skip{border-color:#6e7781}\n"
	".v-xfail .verdict,.counts .v-xfail{color:#9a6700}section.v-xfail{border-color:#9a6700}\n"
	".v-warn .verdict,.counts .v-warn{color:#e5534b}section.v-warn{border-color:#e5534b}\n"
	".v-inconclusive .verdict,.counts .v-inconclusive{color:#bc4c00}"
	"section.v-inconclusive{border-color:#bc4c00}\n"
	"tr.v-fail,tr.v-xpass{background:#ffebe9}tr.v-error{background:#fbefff}tr.v-warn{background:#fff1e5}\n"
	".interrupted{color:#cf222e;font-weight:bold}\n";

static void h(struct buf *b, const char *s)
{
	report_escape_html(b, (const uint8_t *)s, strlen(s));
}

static void verdict_span(struct buf *b, enum verdict v)
{
	buf_appendf(b, "<span class=\"verdict\">%s</span>", result_verdict_label(v));
}

static void facts_table(struct buf *b, const struct wtls_facts *f)
{
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t n = report_view_facts_rows(f, rows);
	buf_appendf(b, "<table class=\"facts\">\n");
	report_view_kv_render(b, rows, n, report_escape_html, "<tr><th>", "</th><td>", "</td></tr>\n");
	buf_appendf(b, "</table>\n");
}

static void details(struct buf *b, const struct result *r, size_t index)
{
	struct buf t = {0};

	buf_appendf(b, "<section class=\"result v-%s\" id=\"r%zu\">\n<h3>", result_verdict_name(r->verdict),
	            index);
	verdict_span(b, r->verdict);
	buf_appendf(b, " ");
	h(b, report_view_str(r->id));
	buf_appendf(b, "</h3>\n");
	if (r->title != NULL && *r->title) {
		buf_appendf(b, "<p>");
		h(b, r->title);
		buf_appendf(b, "</p>\n");
	}
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t nrows = report_view_detail_rows(r, rows);
	buf_appendf(b, "<ul>\n");
	report_view_kv_render(b, rows, nrows, report_escape_html, "<li>", ": ", "</li>\n");
	buf_appendf(b, "</ul>\n");

	if (r->tr.n == 0 && r->tr.dropped == 0) {
		buf_appendf(b, "<p>Transcript: empty.</p>\n");
		goto trigger;
	}
	buf_appendf(b, "<details><summary>Transcript (%zu event%s", r->tr.n, r->tr.n == 1 ? "" : "s");
	if (r->tr.dropped > 0)
		buf_appendf(b, "; %zu bytes over the cap not stored", r->tr.dropped);
	buf_appendf(b, ")</summary>\n<pre>");
	buf_reset(&t);
	for (size_t i = 0; i < r->tr.n; i++) {
		report_view_event_line(&t, &r->tr.ev[i], 0);
		buf_append(&t, "\n", 1);
	}
	report_escape_html(b, t.data, t.len);
	buf_appendf(b, "</pre></details>\n");
trigger:
	if (r->has_trigger && r->trigger_output != NULL) {
		buf_appendf(b, "<details><summary>Trigger output</summary>\n<pre>");
		buf_reset(&t);
		report_escape_sanitize(&t, (const uint8_t *)r->trigger_output, strlen(r->trigger_output), true);
		report_escape_html(b, t.data, t.len);
		buf_appendf(b, "</pre></details>\n");
	}
	buf_appendf(b, "</section>\n");
	buf_free(&t);
}

static void row_open(struct buf *b, const struct report_view_row *row)
{
	if (row->verdict >= 0)
		buf_appendf(b, "<tr class=\"v-%s\">", result_verdict_name((enum verdict)row->verdict));
	else
		buf_appendf(b, "<tr>");
}

/* The verdict as a coloured label. */
static void verdict_cell(struct buf *b, const struct report_view_row *row, const char *label)
{
	(void)label;
	verdict_span(b, (enum verdict)row->verdict);
}

/* The id, linked to its details section when it has one. */
static void link_cell(struct buf *b, const struct report_view_row *row, const char *text)
{
	if (row->anchor >= 0)
		buf_appendf(b, "<a href=\"#r%ld\">", row->anchor);
	h(b, text);
	if (row->anchor >= 0)
		buf_appendf(b, "</a>");
}

static const struct report_view_markup html_table = {
	"<table class=\"results\">\n<thead><tr>", "<th>", "</th>", "</tr></thead>\n<tbody>\n", /* open, head cell and its end, end of heads */
	"", "", /* rule (per column) and its end */
	"<td>", "</td>", "</tr>\n", "</tbody>\n</table>\n", /* cell and its end, row end, close */
	report_escape_html, row_open, verdict_cell, link_cell};

static void table(struct buf *b, const struct report_view_table *t)
{
	report_view_table_render(b, t, &html_table);
}

static void heading(struct buf *b, int level, const char *text)
{
	buf_appendf(b, "<h%d>", level);
	h(b, text);
	buf_appendf(b, "</h%d>\n", level);
}

static void para(struct buf *b, const char *text)
{
	buf_appendf(b, "<p>");
	h(b, text);
	buf_appendf(b, "</p>\n");
}

static const struct report_view_syntax html_syntax = {heading, para, table};

int report_html(const struct run *run, FILE *f)
{
	struct buf b = {0};
	size_t c[V__COUNT];
	char ts[32];

	buf_appendf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	                "<title>stark report: ");
	h(&b, report_view_str(run->target));
	buf_appendf(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>stark report: ", css);
	h(&b, report_view_str(run->target));
	buf_appendf(&b, "</h1>\n<p class=\"run\">Target ");
	h(&b, report_view_str(run->target));
	buf_appendf(&b, " · role ");
	h(&b, report_view_str(run->role));
	buf_appendf(&b, " · profile ");
	h(&b, report_view_str(run->profile));
	iso8601_ms(run->started_ms, ts);
	buf_appendf(&b, " · started %s · elapsed ", ts);
	report_view_secs(&b, run->elapsed_ms);
	buf_appendf(&b, " s · stark ");
	h(&b, report_view_str(run->tool_version));
	buf_appendf(&b, "</p>\n");
	if (run->interrupted)
		buf_appendf(&b, "<p class=\"interrupted\">Interrupted: the run was stopped; results "
		                "are partial.</p>\n");

	if (run->scan) {
		report_view_scan_part(&b, run->scan, &html_syntax); /* the TLS facts, per node */
	} else {
		buf_appendf(&b, "<h2>TLS of the target</h2>\n");
		if (run->has_tls)
			facts_table(&b, &run->tls);
		else
			buf_appendf(&b, "<p>No successful TLS handshake with the target.</p>\n");
	}

	run_summary(run, c);
	buf_appendf(&b, "<h2>Results</h2>\n<p class=\"counts\"><b>%zu scenario%s:</b> "
	                "<span class=\"v-pass\">%zu pass</span>",
	            run->n, run->n == 1 ? "" : "s", c[V_PASS]);
	for (int v = V_PASS + 1; v < V__COUNT; v++)
		buf_appendf(&b, ", <span class=\"v-%s\">%zu %s</span>", result_verdict_name((enum verdict)v),
		            c[v], result_verdict_name((enum verdict)v));
	buf_appendf(&b, "</p>\n");

	size_t *idx = xcalloc(run->n, sizeof *idx);
	size_t roots = report_view_order(run, idx);
	report_view_results_part(&b, run, idx, roots, &html_syntax);

	bool any = false;
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[idx[k]];
		if (r->verdict == V_PASS)
			continue;
		if (!any)
			buf_appendf(&b, "<h2>Details</h2>\n");
		any = true;
		details(&b, r, idx[k]);
		fwrite(b.data, 1, b.len, f);
		buf_reset(&b);
	}
	free(idx);
	buf_appendf(&b, "</body>\n</html>\n");
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
	return ferror(f) ? -1 : 0;
}

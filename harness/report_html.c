/* SPDX-License-Identifier: MIT */
/*
 * report_html: index.html, the audit report: one self-contained page
 * (inline CSS, no script, no external resource) that leads with the
 * verdict, the root causes and the TLS summary, then every finding with
 * what it means, why it matters and how to fix it on the common MTAs
 * (remedy, through report_view), the evidence folded underneath (the
 * transcript with the decisive event marked), and all results; and
 * fleet.html, the per-node page of a scan of several nodes.
 * Public: report_html(), report_html_fleet(), report_html_fleet_wanted().
 * Invariant: every string goes through report_escape_html, and the markup
 * is also well-formed XML (all elements closed, attributes quoted), so the
 * tests can check it with an XML parser. Never decides a verdict.
 */
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_escape.h"
#include "report_view.h"
#include "fleet.h"
#include "remedy.h"

/* Screen and print: tables never wider than the page (fixed layout, long
 * words broken anywhere), evidence in <pre> wrapped; in print the colours
 * stay, the folded evidence opens, and a finding is not split if it fits. */
static const char css[] =
	"body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:72em;padding:1em 1.5em;"
	"color:#1f2328;overflow-wrap:anywhere}\n"
	"h1{font-size:1.7em;margin:.2em 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;"
	"margin-top:1.8em}\n"
	"h3{margin:.2em 0 .4em}\n"
	".run,.sources{color:#59636e;font-size:.9em}\n"
	"table{border-collapse:collapse;margin:.8em 0;width:100%;table-layout:fixed}\n"
	"th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top;"
	"overflow-wrap:anywhere;word-break:break-word}\n"
	"th{background:#f6f8fa}\n"
	"table.facts th{width:14em}table.fix th{width:8em}\n"
	"table.results th:first-child{width:7.5em}\n"
	/* the long columns (id, reason, findings) get the room */
	"table.t-results th:nth-child(1),table.t-roots th:nth-child(1){width:12%}"
	"table.t-results th:nth-child(2),table.t-roots th:nth-child(2){width:30%}"
	"table.t-results th:nth-child(3){width:12%}"
	"table.t-results th:nth-child(4),table.t-roots th:nth-child(3){width:10%}\n"
	"@media (max-width:700px){body{padding:.5em}table{font-size:13px}th,td{padding:.25em .3em}}\n"
	".t-node-findings th:nth-child(n+2):nth-child(-n+5){width:4.5em}\n"
	"pre{background:#f6f8fa;padding:.8em;white-space:pre-wrap;overflow-wrap:anywhere;"
	"word-break:break-all;font-size:12px;max-width:100%}\n"
	"code{font-size:.92em;background:#eff1f3;padding:0 .2em;border-radius:3px}\n"
	"mark{background:#fff8c5;font-weight:bold}\n"
	".verdict{font-weight:bold;font-family:monospace}\n"
	".headline{border:2px solid;border-radius:6px;padding:.6em 1em;margin:1em 0}\n"
	".headline .big{font-size:1.35em;margin:.1em 0}\n"
	".finding{border-left:5px solid #d0d7de;padding:.2em 0 .2em 1em;margin:1.6em 0}\n"
	".reason{font-family:monospace;font-size:.92em;background:#f6f8fa;padding:.4em .6em}\n"
	"dt{font-weight:bold;margin-top:.5em}dd{margin-left:1.2em}\n"
	"summary{cursor:pointer;color:#0969da}\n"
	/* One colour per verdict: the label, the counts, a finding's border,
	 * the headline's border, a table row's background. */
	".v-pass .verdict,.counts .v-pass{color:#1a7f37}.v-pass.finding,.v-pass.headline{border-color:#1a7f37}\n"
	".v-fail .verdict,.counts .v-fail{color:#cf222e}.v-fail.finding,.v-fail.headline{border-color:#cf222e}\n"
	".v-xpass .verdict,.counts .v-xpass{color:#cf222e}.v-xpass.finding{border-color:#cf222e}\n"
	".v-error .verdict,.counts .v-error{color:#8250df}.v-error.finding,.v-error.headline{border-color:#8250df}\n"
	".v-skip .verdict,.counts .v-skip{color:#6e7781}.v-skip.finding{border-color:#6e7781}\n"
	".v-xfail .verdict,.counts .v-xfail{color:#9a6700}.v-xfail.finding{border-color:#9a6700}\n"
	".v-warn .verdict,.counts .v-warn{color:#bc4c00}.v-warn.finding,.v-warn.headline{border-color:#e5534b}\n"
	".v-inconclusive .verdict,.counts .v-inconclusive{color:#bc4c00}"
	".v-inconclusive.finding,.v-inconclusive.headline{border-color:#bc4c00}\n"
	"tr.v-fail,tr.v-xpass{background:#ffebe9}tr.v-error{background:#fbefff}tr.v-warn{background:#fff1e5}\n"
	".interrupted{color:#cf222e;font-weight:bold}\n"
	"nav{font-size:.9em}nav a{margin-right:1em}\n"
	"@media print{body{max-width:none;padding:0;font-size:11pt}nav,summary{display:none}"
	".finding{break-inside:avoid-page}h2{break-after:avoid}"
	"details::details-content{display:block;content-visibility:visible}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static void h(struct buf *b, const char *s)
{
	report_escape_html(b, (const uint8_t *)s, strlen(s));
}

static void verdict_span(struct buf *b, enum verdict v)
{
	buf_appendf(b, "<span class=\"verdict\">%s</span>", result_verdict_label(v));
}

/* stark scan: a node's TLS as the seed checked it, under its name. */
static void node_summary(struct buf *b, const struct fleet_node *n)
{
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t k = report_view_node_summary_rows(n, rows);
	buf_appendf(b, "<h3>Node ");
	h(b, n->target);
	buf_appendf(b, "</h3>\n<table class=\"facts\">\n");
	report_view_kv_render(b, rows, k, report_escape_html, "<tr><th>", "</th><td>", "</td></tr>\n");
	buf_appendf(b, "</table>\n");
}

static void facts_table(struct buf *b, const struct wtls_facts *f)
{
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t n = report_view_facts_rows(f, rows);
	buf_appendf(b, "<table class=\"facts\">\n");
	report_view_kv_render(b, rows, n, report_escape_html, "<tr><th>", "</th><td>", "</td></tr>\n");
	buf_appendf(b, "</table>\n");
}

/* Hand-written text (remedies): `spans` become <code>. */
static void h_text(struct buf *b, const char *s)
{
	while (*s) {
		const char *q = strchr(s, '`');
		const char *e = q ? strchr(q + 1, '`') : NULL;
		size_t plain = q && e ? (size_t)(q - s) : strlen(s);
		report_escape_html(b, (const uint8_t *)s, plain);
		if (!(q && e))
			break;
		buf_appendf(b, "<code>");
		report_escape_html(b, (const uint8_t *)q + 1, (size_t)(e - q - 1));
		buf_appendf(b, "</code>");
		s = e + 1;
	}
}

/* What it means, why it matters, how to fix it: for the verdicts that
 * say something about the target; the others say what their verdict means. */
static void meaning(struct buf *b, const struct result *r)
{
	const struct remedy *m = report_view_remedy(r);
	bool about_target = r->verdict == V_FAIL || r->verdict == V_WARN || r->verdict == V_XFAIL;
	buf_appendf(b, "<dl>\n");
	if (!about_target) {
		static const char *const what[V__COUNT] = {
			[V_ERROR] = "stark could not judge this check (the reason says why): it is no finding "
			            "about the target, and the run is not clean until it is judged.",
			[V_SKIP] = "not run: a precondition did not hold (the reason says which).",
			[V_INCONCLUSIVE] = "the target's behaviour allowed no verdict (e.g. it throttled).",
			[V_XPASS] = "passed, but listed as an expected failure: the expected-failure list is stale.",
		};
		buf_appendf(b, "<dt>What this verdict means</dt><dd>");
		h(b, what[r->verdict] ? what[r->verdict] : "");
		if (r->blocked_by) {
			buf_appendf(b, " Blocked by the root cause ");
			h(b, r->blocked_by);
			buf_appendf(b, ".");
		}
		buf_appendf(b, "</dd>\n");
	} else if (m != NULL) {
		buf_appendf(b, "<dt>What it means</dt><dd>");
		h_text(b, m->means);
		buf_appendf(b, "</dd>\n");
	}
	buf_appendf(b, "<dt>Why it matters</dt><dd>");
	if (about_target && m != NULL) {
		h_text(b, m->matters);
		buf_appendf(b, " ");
	}
	buf_appendf(b, "Severity: ");
	h(b, r->severity && *r->severity ? r->severity : "none");
	for (size_t i = 0; i < r->nrefs; i++) {
		buf_appendf(b, "%s", i ? "; " : ". References: ");
		h(b, report_view_str(r->refs[i]));
	}
	buf_appendf(b, ".</dd>\n");
	bool any_setting = false;
	for (int k = 0; m != NULL && k < REMEDY__MTAS; k++)
		any_setting |= m->fix[k] != NULL;
	if (about_target && m != NULL && !any_setting) {
		buf_appendf(b, "<dt>How to fix it</dt><dd>On ");
		for (int k = 0; k < REMEDY__MTAS; k++)
			buf_appendf(b, "%s%s", k == 0 ? "" : k == REMEDY__MTAS - 1 ? " and " : ", ", remedy_mta_name[k]);
		buf_appendf(b, " alike, ");
		h_text(b, remedy_no_setting);
		buf_appendf(b, "</dd>\n");
	} else if (about_target && m != NULL) {
		buf_appendf(b, "<dt>How to fix it</dt><dd><table class=\"fix\">\n");
		for (int k = 0; k < REMEDY__MTAS; k++) {
			buf_appendf(b, "<tr><th>%s</th><td>", remedy_mta_name[k]);
			h_text(b, m->fix[k] ? m->fix[k] : remedy_no_setting_short);
			buf_appendf(b, "</td></tr>\n");
		}
		buf_appendf(b, "</table></dd>\n");
	}
	buf_appendf(b, "</dl>\n");
}

/* The evidence, folded: where the check comes from, when it ran, the TLS
 * of its connection (the reason and severity are shown above), and the
 * transcript with the decisive event marked. */
static void evidence(struct buf *b, const struct result *r)
{
	struct buf t = {0};
	struct report_view_kv rows[REPORT_VIEW_ROWS];
	size_t nrows = report_view_detail_rows(r, rows), keep = 0;
	for (size_t i = 0; i < nrows; i++) {
		if (strcmp(rows[i].key, "Reason") == 0 || strcmp(rows[i].key, "Severity") == 0)
			free(rows[i].val);
		else
			rows[keep++] = rows[i];
	}
	bool quoted;
	long mark = report_view_decisive_event(r, &quoted);
	if (r->tr.n == 0 && r->tr.dropped == 0) {
		buf_appendf(b, "<details><summary>Evidence (no transcript)</summary>\n<ul>\n");
	} else {
		buf_appendf(b, "<details><summary>Evidence: transcript (%zu event%s", r->tr.n,
		            r->tr.n == 1 ? "" : "s");
		if (r->tr.dropped > 0)
			buf_appendf(b, "; %zu bytes over the cap not stored", r->tr.dropped);
		buf_appendf(b, ")</summary>\n<ul>\n");
	}
	report_view_kv_render(b, rows, keep, report_escape_html, "<li>", ": ", "</li>\n");
	buf_appendf(b, "</ul>\n");
	if (r->tr.n > 0)
		buf_appendf(b, "<pre>");
	for (size_t i = 0; i < r->tr.n; i++) {
		buf_reset(&t);
		report_view_event_line(&t, &r->tr.ev[i], 0);
		if ((long)i == mark)
			buf_appendf(b, "<mark>");
		report_escape_html(b, t.data, t.len);
		if ((long)i == mark)
			buf_appendf(b, "</mark> ◀ %s", quoted ? "the reply the verdict quotes"
			                                         : "last event before the verdict");
		buf_appendf(b, "\n");
	}
	buf_appendf(b, "%s</details>\n", r->tr.n ? "</pre>" : "");
	buf_free(&t);
}

static void finding(struct buf *b, const struct result *r, size_t index)
{
	buf_appendf(b, "<section class=\"finding v-%s\" id=\"r%zu\">\n<h3>", result_verdict_name(r->verdict),
	            index);
	verdict_span(b, r->verdict);
	buf_appendf(b, " ");
	if (r->node) {
		h(b, r->node);
		buf_appendf(b, " ");
	}
	h(b, report_view_str(r->id));
	buf_appendf(b, "</h3>\n");
	if (r->title != NULL && *r->title) {
		buf_appendf(b, "<p>");
		h(b, r->title);
		buf_appendf(b, "</p>\n");
	}
	struct buf t = {0};
	report_view_reason(&t, r);
	if (t.len > 0) {
		buf_appendf(b, "<p class=\"reason\">");
		report_escape_html(b, t.data, t.len);
		buf_appendf(b, "</p>\n");
	}
	meaning(b, r);
	evidence(b, r);
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

/* The table's name as a class, for its column widths. */
static void table(struct buf *b, const struct report_view_table *t)
{
	struct report_view_markup m = html_table;
	char open[96];
	snprintf(open, sizeof open, "<table class=\"results t-%s\">\n<thead><tr>", t->name);
	m.open = open;
	report_view_table_render(b, t, &m);
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

static void page_head(struct buf *b, const struct run *run, const char *what)
{
	struct buf t = {0};
	buf_appendf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	               "<title>%s: ", what);
	h(b, report_view_str(run->target));
	buf_appendf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>%s: ", css, what);
	h(b, report_view_str(run->target));
	buf_appendf(b, "</h1>\n<p class=\"run\">");
	report_view_run_line(&t, run);
	report_escape_html(b, t.data, t.len);
	buf_appendf(b, "</p>\n</header>\n");
	buf_free(&t);
}

static void page_foot(struct buf *b)
{
	buf_appendf(b, "<p class=\"sources\">Generated by stark. ");
	h(b, remedy_sources);
	buf_appendf(b, "</p>\n</body>\n</html>\n");
}

static void headline(struct buf *b, const struct run *run)
{
	struct buf why = {0};
	size_t c[V__COUNT];
	enum verdict colour;
	const char *word = report_view_headline(run, &colour, &why);
	buf_appendf(b, "<section class=\"headline v-%s\">\n<p class=\"big\"><span class=\"verdict\">%s</span> ",
	            result_verdict_name(colour), word);
	report_escape_html(b, why.data, why.len);
	run_summary(run, c);
	buf_appendf(b, "</p>\n<p class=\"counts\"><b>%zu %s%s:</b> <span class=\"v-pass\">%zu pass</span>",
	            run->n, run->scan ? "result" : "scenario", run->n == 1 ? "" : "s", c[V_PASS]);
	for (int v = V_PASS + 1; v < V__COUNT; v++)
		if (c[v] > 0)
			buf_appendf(b, ", <span class=\"v-%s\">%zu %s</span>", result_verdict_name((enum verdict)v),
			            c[v], result_verdict_name((enum verdict)v));
	buf_appendf(b, "</p>\n</section>\n");
	if (run->interrupted)
		buf_appendf(b, "<p class=\"interrupted\">Interrupted: the run was stopped; results "
		               "are partial.</p>\n");
	buf_free(&why);
}

bool report_html_fleet_wanted(const struct run *run)
{
	return run->scan != NULL && run->scan->nnodes >= 2;
}

int report_html(const struct run *run, FILE *f)
{
	struct buf b = {0};
	struct report_view_table tab;
	bool fleet = report_html_fleet_wanted(run);

	page_head(&b, run, "STARTTLS audit");
	headline(&b, run);
	buf_appendf(&b, "<nav><a href=\"#tls\">TLS summary</a><a href=\"#findings\">Findings</a>"
	                "<a href=\"#all\">All results</a>%s</nav>\n",
	            fleet ? "<a href=\"fleet.html\">Fleet page</a>" : "");

	size_t *idx = xcalloc(run->n ? run->n : 1, sizeof *idx);
	size_t roots = report_view_order(run, idx);
	if (roots > 0) {
		heading(&b, 2, "Root causes");
		buf_appendf(&b, "<p>Each of these made the checks that need what it checks SKIP: fix them "
		                "first.</p>\n");
		report_view_roots_table(run, idx, roots, &tab);
		table(&b, &tab);
		report_view_table_free(&tab);
	}

	buf_appendf(&b, "<h2 id=\"tls\">TLS summary</h2>\n");
	if (run->scan && !fleet) {
		if (run->scan->nnodes > 0) /* the one node: its TLS as the seed read it */
			node_summary(&b, &run->scan->nodes[0]);
		report_view_scan_part(&b, run->scan, &html_syntax);
	} else if (run->scan) {
		report_view_scan_part(&b, run->scan, &html_syntax); /* the TLS facts, per node */
		buf_appendf(&b, "<p>Each node's TLS and findings: <a href=\"fleet.html\">the fleet "
		                "page</a>.</p>\n");
	} else if (run->has_tls) {
		facts_table(&b, &run->tls);
	} else {
		buf_appendf(&b, "<p>No successful TLS handshake with the target.</p>\n");
	}

	buf_appendf(&b, "<h2 id=\"findings\">Findings</h2>\n");
	bool any = false;
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[idx[k]];
		if (r->verdict == V_PASS)
			continue;
		any = true;
		finding(&b, r, idx[k]);
		fwrite(b.data, 1, b.len, f);
		buf_reset(&b);
	}
	if (!any)
		buf_appendf(&b, "<p>None: every check passed.</p>\n");

	buf_appendf(&b, "<h2 id=\"all\">All results</h2>\n");
	if (run->n > 0) {
		report_view_results_table(run, idx, &tab);
		table(&b, &tab);
		report_view_table_free(&tab);
	}
	free(idx);
	page_foot(&b);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
	return ferror(f) ? -1 : 0;
}

int report_html_fleet(const struct run *run, FILE *f)
{
	struct buf b = {0};
	struct report_view_table tab;
	page_head(&b, run, "STARTTLS fleet");
	headline(&b, run);
	buf_appendf(&b, "<nav><a href=\"index.html\">The audit report (findings, evidence, fixes)</a></nav>\n");
	if (run->scan != NULL) {
		heading(&b, 2, "Findings per node");
		report_view_node_findings_table(run, &tab);
		table(&b, &tab);
		report_view_table_free(&tab);
		report_view_scan_part(&b, run->scan, &html_syntax);
		heading(&b, 2, "Each node's TLS");
		for (size_t i = 0; i < run->scan->nnodes; i++)
			node_summary(&b, &run->scan->nodes[i]);
	}
	page_foot(&b);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
	return ferror(f) ? -1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * report_view: the view model every report shares: times, the order (root
 * causes, then bad first), reasons, TLS facts as label/value rows, tables
 * as rows of raw cells (results, root causes, nodes, fleet, findings per
 * node) with the renderer a writer drives through its markup, the parts of
 * a document a writer writes through its syntax, the headline, the
 * decisive transcript event, and a result's remedy.
 * Public: report_view_* (report_view.h). Depends on report_escape, remedy
 * and the result data only, never on a writer or on report.c, so data
 * flows one way: report -> report_{json,junit,md,html} -> report_view ->
 * report_escape. Values are raw: each caller escapes for its format.
 */
#include "report_view.h"
#include "report_escape.h"
#include "fleet.h"
#include "hello.h"
#include "remedy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small formatting helpers ----------------------------------------- */

/* Unsigned magnitude, so INT64_MIN from a corrupt clock is not UB. */
static void fixed3(struct buf *out, int64_t v)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	buf_appendf(out, "%s%" PRIu64 ".%03u", v < 0 ? "-" : "", a / 1000, (unsigned)(a % 1000));
}

void report_view_ms(struct buf *out, int64_t us)
{
	fixed3(out, us);
}

void report_view_secs(struct buf *out, int64_t ms)
{
	fixed3(out, ms);
}

void report_view_iso_sec(int64_t sec, char out[32])
{
	/* Certificate dates come from the peer: anything time_t or gmtime_r
	 * cannot represent is reported, not trusted. */
	struct tm tm;
	time_t t = (time_t)sec;
	if ((int64_t)t != sec || gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 - 1900 ||
	    tm.tm_year > 9999 - 1900) {
		snprintf(out, 32, "invalid");
		return;
	}
	/* Range-checked above; the modulos only let the compiler see the width. */
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
	         (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
	         (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

void report_view_event_line(struct buf *out, const struct tevent *e, size_t maxdata)
{
	size_t show = (maxdata > 0 && e->len > maxdata) ? maxdata : e->len;
	buf_append(out, "[+", 2);
	report_view_ms(out, e->t_us);
	buf_appendf(out, "ms] %s %s ", transcript_dir_name(e->dir), transcript_layer_name(e->layer));
	if (e->dir == TDIR_NOTE) {
		report_escape_sanitize(out, e->data, show, false);
	} else {
		buf_append(out, "\"", 1);
		buf_escape(out, e->data, show);
		buf_append(out, "\"", 1);
	}
	if (show < e->len)
		buf_appendf(out, " ... (%zu of %zu bytes shown)", show, e->len);
}

bool report_view_is_bad(enum verdict v)
{
	return v == V_FAIL || v == V_XPASS || v == V_ERROR;
}

static bool same_node(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

size_t report_view_blocks(const struct run *run, const struct result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < run->n; i++) {
		const struct result *o = &run->results[i];
		n += o->blocked_by && strcmp(o->blocked_by, report_view_str(r->id)) == 0 &&
		     same_node(o->node, r->node);
	}
	return n;
}

/* 0: fails the run, 1: WARN (a finding below FAIL), 2: the rest. */
static int rank(enum verdict v)
{
	return report_view_is_bad(v) ? 0 : v == V_WARN ? 1 : 2;
}

size_t report_view_order(const struct run *run, size_t *idx)
{
	size_t k = 0, roots;
	for (size_t i = 0; i < run->n; i++)
		if (report_view_blocks(run, &run->results[i]) > 0)
			idx[k++] = i;
	roots = k;
	for (int g = 0; g < 3; g++)
		for (size_t i = 0; i < run->n; i++)
			if (rank(run->results[i].verdict) == g &&
			    report_view_blocks(run, &run->results[i]) == 0)
				idx[k++] = i;
	return roots;
}

void report_view_reason(struct buf *out, const struct result *r)
{
	const char *reason = report_view_str(r->reason);
	if (r->verdict == V_XPASS) {
		buf_appendf(out, "passed, but expected to fail");
		if (r->xfail_reason != NULL && *r->xfail_reason)
			buf_appendf(out, ": %s", r->xfail_reason);
		if (*reason)
			buf_appendf(out, " (%s)", reason);
		return;
	}
	buf_append(out, reason, strlen(reason));
	if (r->verdict == V_XFAIL && r->xfail_reason != NULL && *r->xfail_reason)
		buf_appendf(out, "%sexpected failure: %s", *reason ? "; " : "", r->xfail_reason);
	/* remarks reach every view (e.g. an opportunistic client's fallback) */
	if (r->notes != NULL && *r->notes)
		buf_appendf(out, "%snote: %s", out->len ? "; " : "", r->notes);
}

static void append_field(struct buf *out, const char *arr, size_t len)
{
	buf_append(out, arr, len);
}
#define APPEND_FACT(out, arr) append_field((out), (arr), REPORT_VIEW_FLEN(arr))

void report_view_tls_brief(struct buf *out, const struct wtls_facts *f)
{
	if (!f->handshake_ok) {
		buf_appendf(out, "handshake failed");
		if (f->version[0]) {
			buf_appendf(out, " (");
			APPEND_FACT(out, f->version);
			buf_appendf(out, ")");
		}
		return;
	}
	APPEND_FACT(out, f->version);
	buf_appendf(out, ", ");
	APPEND_FACT(out, f->cipher);
	if (f->group[0]) {
		buf_appendf(out, " (");
		APPEND_FACT(out, f->group);
		buf_appendf(out, ")");
	}
	if (f->nchain > 0 || f->verify_error[0]) {
		buf_appendf(out, ", verify: ");
		if (f->verify_ok) {
			buf_appendf(out, "ok");
		} else {
			buf_appendf(out, "FAILED (");
			APPEND_FACT(out, f->verify_error);
			buf_appendf(out, ")");
		}
		buf_appendf(out, ", host match: %s", !f->servername[0] ? "not checked" : f->host_ok ? "yes" : "no");
	}
	if (f->client_sni[0]) {
		buf_appendf(out, ", client SNI: ");
		APPEND_FACT(out, f->client_sni);
	}
}

static void kv_add(struct report_view_kv *rows, size_t *n, const char *key, struct buf *b)
{
	if (*n >= REPORT_VIEW_ROWS)
		fatalx("report rows: more than %d", REPORT_VIEW_ROWS);
	rows[*n].key = key;
	rows[*n].val = xstrdup(buf_cstr(b));
	(*n)++;
	buf_reset(b);
}

size_t report_view_detail_rows(const struct result *r,
                               struct report_view_kv rows[REPORT_VIEW_ROWS])
{
	struct buf b = {0};
	size_t n = 0;
	char ts[32];
	buf_appendf(&b, "%s", report_view_str(r->file));
	if (r->line > 0)
		buf_appendf(&b, ", line %d", r->line);
	kv_add(rows, &n, "File", &b);
	report_view_reason(&b, r);
	if (b.len == 0)
		buf_appendf(&b, "(none)");
	kv_add(rows, &n, "Reason", &b);
	buf_appendf(&b, "%s", r->severity && *r->severity ? r->severity : "(none)");
	for (size_t i = 0; i < r->ncatalog; i++)
		buf_appendf(&b, "%s%s", i ? ", " : "; catalog: ", r->catalog[i]);
	for (size_t i = 0; i < r->nrefs; i++)
		buf_appendf(&b, "%s%s", i ? "; " : "; refs: ", r->refs[i]);
	kv_add(rows, &n, "Severity", &b);
	iso8601_ms(r->started_ms, ts);
	buf_appendf(&b, "%s, elapsed %lld ms", ts, (long long)r->elapsed_ms);
	kv_add(rows, &n, "Started", &b);
	if (r->has_tls) {
		report_view_tls_brief(&b, &r->tls);
		kv_add(rows, &n, "TLS", &b);
	}
	if (r->has_trigger) {
		buf_appendf(&b, "%d", r->trigger_status);
		kv_add(rows, &n, "Trigger exit status", &b);
	}
	buf_free(&b);
	return n;
}

size_t report_view_facts_rows(const struct wtls_facts *f,
                              struct report_view_kv rows[REPORT_VIEW_ROWS])
{
	struct buf b = {0};
	size_t n = 0;
	char t0[32], t1[32];

	if (!f->handshake_ok) {
		buf_appendf(&b, "none (handshake failed)");
		kv_add(rows, &n, "TLS version in use", &b);
	} else {
		APPEND_FACT(&b, f->version);
		kv_add(rows, &n, "TLS version in use", &b);
		APPEND_FACT(&b, f->cipher);
		kv_add(rows, &n, "Cipher in use", &b);
		if (f->group[0]) {
			APPEND_FACT(&b, f->group);
			kv_add(rows, &n, "Key exchange group", &b);
		}
	}
	size_t nchain = f->nchain < WTLS_CHAIN_MAX ? f->nchain : WTLS_CHAIN_MAX;
	if (nchain > 0) {
		const struct wtls_cert *c = &f->chain[0];
		APPEND_FACT(&b, c->subject);
		kv_add(rows, &n, "Certificate subject", &b);
		APPEND_FACT(&b, c->issuer);
		kv_add(rows, &n, "Certificate issuer", &b);
		report_view_iso_sec(c->not_before, t0);
		report_view_iso_sec(c->not_after, t1);
		buf_appendf(&b, "%s to %s", t0, t1);
		kv_add(rows, &n, "Certificate validity", &b);
		APPEND_FACT(&b, c->key_type);
		buf_appendf(&b, " %d bits, ", c->key_bits);
		APPEND_FACT(&b, c->sig_alg);
		if (c->self_signed)
			buf_appendf(&b, ", self-signed");
		kv_add(rows, &n, "Certificate key", &b);
		size_t nsan = c->nsan < WTLS_SAN_MAX ? c->nsan : WTLS_SAN_MAX;
		for (size_t i = 0; i < nsan; i++) {
			if (i)
				buf_appendf(&b, ", ");
			APPEND_FACT(&b, c->san[i]);
		}
		if (nsan == 0)
			buf_appendf(&b, "none");
		kv_add(rows, &n, "Certificate names (SAN)", &b);
		buf_appendf(&b, "%zu certificate%s sent: ", nchain, nchain == 1 ? "" : "s");
		for (size_t i = 0; i < nchain; i++) {
			if (i)
				buf_appendf(&b, "; ");
			APPEND_FACT(&b, f->chain[i].subject);
		}
		kv_add(rows, &n, "Chain", &b);
	}
	if (nchain > 0 || f->verify_error[0]) {
		if (f->verify_ok) {
			buf_appendf(&b, "ok");
		} else {
			buf_appendf(&b, "FAILED: ");
			APPEND_FACT(&b, f->verify_error);
		}
		kv_add(rows, &n, "Verification", &b);
		if (!f->servername[0]) {
			buf_appendf(&b, "not checked (no server name)");
		} else {
			buf_appendf(&b, "%s (", f->host_ok ? "yes" : "no");
			APPEND_FACT(&b, f->servername);
			buf_appendf(&b, ")");
		}
		kv_add(rows, &n, "Host name match", &b);
	}
	if (f->client_sni[0]) {
		APPEND_FACT(&b, f->client_sni);
		kv_add(rows, &n, "Client SNI", &b);
	}
	if (nchain > 0) {
		APPEND_FACT(&b, f->chain[0].sha256);
		kv_add(rows, &n, "Certificate SHA-256", &b);
	}
	buf_free(&b);
	return n;
}

void report_view_kv_free(struct report_view_kv *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].val);
		rows[i].val = NULL;
	}
}

void report_view_kv_render(struct buf *out, struct report_view_kv *rows, size_t n,
                           void (*esc)(struct buf *, const uint8_t *, size_t), const char *pre,
                           const char *mid, const char *post)
{
	for (size_t i = 0; i < n; i++) {
		buf_appendf(out, "%s%s%s", pre, rows[i].key, mid);
		esc(out, (const uint8_t *)rows[i].val, strlen(rows[i].val));
		buf_appendf(out, "%s", post);
	}
	report_view_kv_free(rows, n);
}

/* ---- tables ------------------------------------------------------------ */

static void table_init(struct report_view_table *t, const char *name, size_t ncols, size_t nrows)
{
	memset(t, 0, sizeof *t);
	t->name = name;
	t->ncols = ncols;
	t->heads = xcalloc(ncols, sizeof *t->heads);
	t->rows = xcalloc(nrows ? nrows : 1, sizeof *t->rows);
	t->verdict_col = t->link_col = -1;
}

static char **row_add(struct report_view_table *t, int verdict, long anchor)
{
	struct report_view_row *row = &t->rows[t->nrows++];
	row->cells = xcalloc(t->ncols, sizeof *row->cells);
	row->verdict = verdict;
	row->anchor = anchor;
	return row->cells;
}

void report_view_table_free(struct report_view_table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t k = 0; k < t->ncols; k++)
			free(t->rows[i].cells[k]);
		free(t->rows[i].cells);
	}
	free(t->rows);
	free(t->heads);
	memset(t, 0, sizeof *t);
}

static void esc_str(struct buf *b, const struct report_view_markup *m, const char *s)
{
	m->esc(b, (const uint8_t *)s, strlen(s));
}

void report_view_table_render(struct buf *b, const struct report_view_table *t,
                              const struct report_view_markup *m)
{
	buf_appendf(b, "%s", m->open);
	for (size_t k = 0; k < t->ncols; k++) {
		buf_appendf(b, "%s", m->head_cell);
		esc_str(b, m, t->heads[k]);
		buf_appendf(b, "%s", m->head_cell_end);
	}
	buf_appendf(b, "%s", m->heads_end);
	for (size_t k = 0; k < t->ncols && *m->rule; k++)
		buf_appendf(b, "%s", m->rule);
	buf_appendf(b, "%s", m->rule_end);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct report_view_row *row = &t->rows[i];
		m->row_open(b, row);
		for (size_t k = 0; k < t->ncols; k++) {
			buf_appendf(b, "%s", m->cell);
			if ((int)k == t->verdict_col)
				m->verdict_cell(b, row, row->cells[k]);
			else if ((int)k == t->link_col)
				m->link_cell(b, row, row->cells[k]);
			else
				esc_str(b, m, row->cells[k]);
			buf_appendf(b, "%s", m->cell_end);
		}
		buf_appendf(b, "%s", m->row_end);
	}
	buf_appendf(b, "%s", m->close);
}

static void set_heads(struct report_view_table *t, const char *const *heads)
{
	for (size_t k = 0; k < t->ncols; k++)
		t->heads[k] = heads[k];
}

/* "node id" when the result belongs to a scan node, else "id". */
static char *node_id(const struct result *r)
{
	return r->node ? xasprintf("%s %s", r->node, report_view_str(r->id))
	               : xstrdup(report_view_str(r->id));
}

static char *reason_cell(const struct result *r)
{
	struct buf b = {0};
	report_view_reason(&b, r);
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

void report_view_roots_table(const struct run *run, const size_t *idx, size_t roots,
                             struct report_view_table *t)
{
	static const char *const heads[] = {"verdict", "id", "blocks", "reason"};
	table_init(t, "roots", 4, roots);
	set_heads(t, heads);
	t->verdict_col = 0;
	t->link_col = 1;
	for (size_t k = 0; k < roots; k++) {
		const struct result *r = &run->results[idx[k]];
		char **c = row_add(t, (int)r->verdict, (long)idx[k]);
		c[0] = xstrdup(result_verdict_label(r->verdict));
		c[1] = node_id(r);
		c[2] = xasprintf("%zu", report_view_blocks(run, r));
		c[3] = reason_cell(r);
	}
}

void report_view_results_table(const struct run *run, const size_t *idx,
                               struct report_view_table *t)
{
	static const char *const heads[] = {"verdict", "id", "severity", "catalog", "reason"};
	table_init(t, "results", 5, run->n);
	set_heads(t, heads);
	t->verdict_col = 0;
	t->link_col = 1;
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[idx[k]];
		/* Only non-PASS results have a details section to link to. */
		char **c = row_add(t, (int)r->verdict, r->verdict != V_PASS ? (long)idx[k] : -1);
		c[0] = xstrdup(result_verdict_label(r->verdict));
		c[1] = node_id(r);
		c[2] = xstrdup(report_view_str(r->severity));
		struct buf b = {0};
		for (size_t i = 0; i < r->ncatalog; i++)
			buf_appendf(&b, "%s%s", i ? ", " : "", report_view_str(r->catalog[i]));
		c[3] = xstrdup(buf_cstr(&b));
		buf_free(&b);
		c[4] = reason_cell(r);
	}
}

/* ---- scan nodes -------------------------------------------------------- */

void report_view_nodes_table(const struct fleet *fl, struct report_view_table *t)
{
	static const char *const heads[] = {"node",        "versions", "TLS in use", "cipher in use",
	                                    "certificate", "verify",   "connections"};
	table_init(t, "nodes", 7, fl->nnodes);
	set_heads(t, heads);
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct fleet_node *n = &fl->nodes[i];
		char **c = row_add(t, -1, -1);
		char vers[128];
		fleet_versions_str(&n->probe, vers, sizeof vers);
		bool cert = (n->tls_ok || n->cert_from_probe) && n->tls.nchain > 0;
		c[0] = xstrdup(n->target);
		c[1] = xstrdup(vers);
		c[2] = xstrdup(n->tls_ok ? n->tls.version : "-");
		c[3] = xstrdup(n->tls_ok ? n->tls.cipher : "-");
		c[4] = cert ? xasprintf("%s%s, sha256 %.16s…", n->tls.chain[0].subject,
		                        n->tls.chain[0].self_signed ? " (self-signed)" : "",
		                        n->tls.chain[0].sha256)
		            : xstrdup("-");
		c[5] = xstrdup(!cert ? "-" : n->tls.verify_ok ? "ok" : n->tls.verify_error);
		c[6] = xasprintf("%zu", fleet_node_connections(n));
	}
}

void report_view_fleet_table(const struct fleet *fl, struct report_view_table *t)
{
	table_init(t, "fleet", fl->nnodes + 1, fl->nrows);
	t->heads[0] = "property";
	for (size_t i = 0; i < fl->nnodes; i++)
		t->heads[i + 1] = fl->nodes[i].target;
	for (size_t r = 0; r < fl->nrows; r++) {
		if (fl->rows[r].consistent)
			continue;
		char **c = row_add(t, V_FAIL, -1);
		c[0] = xstrdup(fl->rows[r].property);
		for (size_t i = 0; i < fl->nnodes; i++)
			c[i + 1] = xstrdup(report_view_str(fl->rows[r].values[i]));
	}
}

size_t report_view_node_summary_rows(const struct fleet_node *n,
                                     struct report_view_kv rows[REPORT_VIEW_ROWS])
{
	struct buf b = {0};
	size_t k = 0;
	char vers[128], until[32];
	if (n->probe_rc != 0 && n->probe.max_version == 0) {
		buf_appendf(&b, "%s", n->probe.nerrors ? n->probe.errors[0] : "unknown error");
		kv_add(rows, &k, "Not probed", &b);
		buf_free(&b);
		return k;
	}
	fleet_versions_str(&n->probe, vers, sizeof vers);
	buf_appendf(&b, "%s", vers);
	kv_add(rows, &k, "SSL/TLS versions offered", &b);
	if (n->tls_ok) {
		APPEND_FACT(&b, n->tls.version);
		kv_add(rows, &k, "TLS version in use", &b);
		int id = hello_suite_by_name(n->tls.cipher);
		const struct hello_suite *hs = id >= 0 ? hello_suite_find((uint16_t)id) : NULL;
		if (hs && hs->openssl) {
			buf_appendf(&b, "%s", hs->openssl);
			if (hs->iana && strcmp(hs->openssl, hs->iana) != 0)
				buf_appendf(&b, " (%s)", hs->iana);
		} else {
			APPEND_FACT(&b, n->tls.cipher);
		}
		kv_add(rows, &k, "Cipher in use", &b);
	} else {
		buf_appendf(&b, "%s", n->tls_error[0] ? n->tls_error : "failed");
		kv_add(rows, &k, "Handshake", &b);
	}
	if ((n->tls_ok || n->cert_from_probe) && n->tls.nchain > 0) {
		const struct wtls_cert *c = &n->tls.chain[0];
		report_view_iso_sec(c->not_after, until);
		APPEND_FACT(&b, c->subject);
		buf_appendf(&b, "%s, ", c->self_signed ? " (self-signed)" : "");
		APPEND_FACT(&b, c->key_type);
		buf_appendf(&b, " %d, valid until %s", c->key_bits, until);
		kv_add(rows, &k, "Certificate", &b);
		if (n->tls.verify_ok) {
			buf_appendf(&b, "ok");
		} else {
			buf_appendf(&b, "FAILED (");
			APPEND_FACT(&b, n->tls.verify_error);
			buf_appendf(&b, ")");
		}
		buf_appendf(&b, ", host match: %s", n->tls.host_ok ? "yes" : "no");
		kv_add(rows, &k, "Verification", &b);
	}
	buf_appendf(&b, "%zu, %lld ms", fleet_node_connections(n), (long long)n->elapsed_ms);
	kv_add(rows, &k, "Connections", &b);
	buf_free(&b);
	return k;
}

size_t report_view_fleet_differ(const struct fleet *fl)
{
	size_t bad = 0;
	for (size_t r = 0; r < fl->nrows; r++)
		bad += !fl->rows[r].consistent;
	return bad;
}

/* ---- parts --------------------------------------------------------------- */

void report_view_results_part(struct buf *b, const struct run *run, const size_t *idx,
                              size_t roots, const struct report_view_syntax *syn)
{
	struct report_view_table t;
	if (roots > 0) {
		/* one cause, one failure: what each root cause blocked */
		syn->heading(b, 3, "Root causes");
		report_view_roots_table(run, idx, roots, &t);
		syn->table(b, &t);
		report_view_table_free(&t);
		syn->heading(b, 3, "All results");
	}
	if (run->n == 0)
		return;
	report_view_results_table(run, idx, &t);
	syn->table(b, &t);
	report_view_table_free(&t);
}

void report_view_scan_part(struct buf *b, const struct fleet *fl,
                           const struct report_view_syntax *syn)
{
	struct report_view_table t;
	char *title = xasprintf("Nodes (policy %s)", fl->policy);
	syn->heading(b, 2, title);
	free(title);
	report_view_nodes_table(fl, &t);
	syn->table(b, &t);
	report_view_table_free(&t);
	if (fl->nnodes < 2)
		return;
	size_t bad = report_view_fleet_differ(fl);
	syn->heading(b, 2, "Fleet consistency");
	char *what = xasprintf("%zu of %zu properties differ between nodes.", bad, fl->nrows);
	syn->para(b, what);
	free(what);
	if (bad == 0)
		return;
	report_view_fleet_table(fl, &t);
	syn->table(b, &t);
	report_view_table_free(&t);
}

/* ---- the audit report ------------------------------------------------------ */

/* The last RECV event before end whose escaped bytes hold want, or -1. */
static long recv_holding(const struct transcript *tr, size_t end, const char *want)
{
	for (size_t i = end; i-- > 0;) {
		const struct tevent *e = &tr->ev[i];
		if (e->dir != TDIR_RECV)
			continue;
		char *esc = escape_bytes(e->data, e->len);
		bool hit = strstr(esc, want) != NULL;
		free(esc);
		if (hit)
			return (long)i;
	}
	return -1;
}

long report_view_decisive_event(const struct result *r, bool *quoted)
{
	static const char mark[] = "verdict ";
	const struct transcript *tr = &r->tr;
	size_t end = tr->n;
	for (size_t i = tr->n; i-- > 0;) {
		const struct tevent *e = &tr->ev[i];
		if (e->dir == TDIR_NOTE && e->len >= sizeof mark - 1 &&
		    memcmp(e->data, mark, sizeof mark - 1) == 0) {
			end = i;
			break;
		}
	}
	/* The reason's "quoted" excerpts (escape_bytes text, maybe cut with
	 * "..."), the last first: a reply it quotes is what decided. */
	const char *reason = report_view_str(r->reason);
	const char *qp[8];
	size_t qn[8], nq = 0;
	for (const char *c = reason; *c && nq < 8; c++) {
		if (*c != '"')
			continue;
		const char *e = c + 1;
		while (*e && *e != '"')
			e += (*e == '\\' && e[1]) ? 2 : 1;
		if (!*e)
			break;
		qp[nq] = c + 1;
		qn[nq++] = (size_t)(e - c - 1);
		c = e;
	}
	*quoted = false;
	for (size_t k = nq; k-- > 0;) {
		size_t n = qn[k];
		if (n >= 3 && memcmp(qp[k] + n - 3, "...", 3) == 0)
			n -= 3;
		if (n < 4)
			continue;
		char *want = xstrndup(qp[k], n);
		long hit = recv_holding(tr, end, want);
		free(want);
		if (hit >= 0) {
			*quoted = true;
			return hit;
		}
	}
	if (end < tr->n)
		return end > 0 ? (long)end - 1 : (long)end;
	return tr->n > 0 ? (long)tr->n - 1 : -1;
}

const char *report_view_headline(const struct run *run, enum verdict *colour, struct buf *why)
{
	size_t c[V__COUNT];
	run_summary(run, c);
	size_t bad = c[V_FAIL] + c[V_XPASS];
	/* the word follows the exit status, so the page and the CI agree */
	switch (run_exit_status(run)) {
	case 1:
		*colour = V_FAIL;
		buf_appendf(why, "%zu finding%s fail%s the run", bad, bad == 1 ? "" : "s", bad == 1 ? "s" : "");
		if (c[V_ERROR] > 0)
			buf_appendf(why, "; %zu check%s could not be judged", c[V_ERROR], c[V_ERROR] == 1 ? "" : "s");
		if (run->interrupted)
			buf_appendf(why, "; the run was stopped, the results are partial");
		return "FAIL";
	case 0:
		if (c[V_WARN] > 0) {
			*colour = V_WARN;
			buf_appendf(why, "no finding fails the run; %zu warning%s below", c[V_WARN],
			            c[V_WARN] == 1 ? "" : "s");
			return "WARN";
		}
		*colour = V_PASS;
		buf_appendf(why, "no finding: %zu check%s passed", c[V_PASS], c[V_PASS] == 1 ? "" : "s");
		return "PASS";
	default:
		break;
	}
	if (run->interrupted) {
		*colour = V_ERROR;
		buf_appendf(why, "the run was stopped: the results are partial");
		return "INCOMPLETE";
	}
	if (c[V_ERROR] > 0) {
		*colour = V_ERROR;
		buf_appendf(why, "%zu check%s could not be judged (ERROR); no finding fails the run",
		            c[V_ERROR], c[V_ERROR] == 1 ? "" : "s");
		return "ERROR";
	}
	*colour = V_INCONCLUSIVE;
	buf_appendf(why, "the run shows nothing about the target (nothing passed, or the sanity "
	                 "check never did)");
	return "NOTHING SHOWN";
}

void report_view_run_line(struct buf *out, const struct run *run)
{
	char ts[32];
	iso8601_ms(run->started_ms, ts);
	buf_appendf(out, "Target %s · role %s · profile %s · started %s · elapsed ",
	            report_view_str(run->target), report_view_str(run->role),
	            report_view_str(run->profile), ts);
	report_view_secs(out, run->elapsed_ms);
	buf_appendf(out, " s · stark %s", report_view_str(run->tool_version));
}

/* One row of the findings per node: what did not pass on node. */
static void node_findings_row(const struct run *run, struct report_view_table *t, const char *node)
{
	size_t n[4] = {0};
	struct buf ids = {0};
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[k];
		if (r->verdict == V_PASS || !same_node(r->node, node))
			continue;
		n[r->verdict == V_FAIL || r->verdict == V_XPASS ? 0 : r->verdict == V_WARN ? 1
		  : r->verdict == V_ERROR                       ? 2
		                                                : 3]++;
		buf_appendf(&ids, "%s%s %s", ids.len ? ", " : "", result_verdict_label(r->verdict),
		            report_view_str(r->id));
	}
	char **c = row_add(t, n[0] ? V_FAIL : n[2] ? V_ERROR : n[1] ? V_WARN : V_PASS, -1);
	c[0] = xstrdup(node);
	for (int k = 0; k < 4; k++)
		c[k + 1] = xasprintf("%zu", n[k]);
	c[5] = xstrdup(ids.len ? buf_cstr(&ids) : "none");
	buf_free(&ids);
}

void report_view_node_findings_table(const struct run *run, struct report_view_table *t)
{
	static const char *const heads[] = {"node", "fail", "warn", "error", "other not passed", "findings"};
	const struct fleet *fl = run->scan;
	/* stark scan --domain: the domains and MX hosts have results of their
	 * own (the domain checks), after the nodes */
	size_t extra = 0;
	for (size_t d = 0; d < fl->ndomains; d++)
		extra += 1 + fl->domains[d].nmx;
	table_init(t, "node-findings", 6, fl->nnodes + extra);
	set_heads(t, heads);
	for (size_t i = 0; i < fl->nnodes; i++)
		node_findings_row(run, t, fl->nodes[i].target);
	for (size_t d = 0; d < fl->ndomains; d++) {
		node_findings_row(run, t, fl->domains[d].name);
		for (size_t m = 0; m < fl->domains[d].nmx; m++) {
			bool seen = false; /* an MX host of an earlier domain has its row */
			for (size_t e = 0; e <= d && !seen; e++)
				for (size_t k = 0; k < (e < d ? fl->domains[e].nmx : m) && !seen; k++)
					seen = strcmp(fl->domains[e].mx[k], fl->domains[d].mx[m]) == 0;
			if (!seen)
				node_findings_row(run, t, fl->domains[d].mx[m]);
		}
	}
}

const struct remedy *report_view_remedy(const struct result *r)
{
	for (size_t i = 0; i < r->ncatalog; i++) {
		const struct remedy *m = remedy_find(report_view_str(r->catalog[i]));
		if (m)
			return m;
	}
	return NULL;
}

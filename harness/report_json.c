/* SPDX-License-Identifier: MIT */
/*
 * report_json: results.json, the canonical report (schema "stark-results/1",
 * documented field by field in reports/README.md). Public: report_json().
 * Invariants: key order is fixed (JSON_PRESERVE_ORDER), every key is always
 * present, and the output is valid JSON for any bytes in any field.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report_json.h"
#include "report_escape.h"
#include "report_view.h"
#include "hello.h"
#include "fleet.h"

#define SCHEMA "stark-results/1"

/* Only allocation can make jansson fail once strings are valid UTF-8. */
static json_t *must(json_t *j)
{
	if (j == NULL)
		fatalx("report_json: out of memory");
	return j;
}

static void set(json_t *obj, const char *key, json_t *val)
{
	if (json_object_set_new(obj, key, must(val)) != 0)
		fatalx("report_json: cannot set %s", key);
}

static void push(json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, must(val)) != 0)
		fatalx("report_json: cannot append");
}

/*
 * jansson rejects invalid UTF-8 (json_stringn returns NULL). Reasons and
 * notes may quote peer bytes, so fall back to the same text with each
 * invalid byte (and NUL) shown as \xHH, and as a last resort to pure-ASCII
 * escapes: the report is never invalid and never silently loses a field.
 */
static json_t *jstrn(const char *s, size_t n)
{
	if (s == NULL)
		return must(json_string(""));
	/* \u0000 is valid JSON, but jansson and most C readers refuse it
	 * by default: a NUL takes the fallback path too. */
	json_t *j = memchr(s, 0, n) ? NULL : json_stringn(s, n);
	if (j != NULL)
		return j;
	struct buf b = {0};
	report_escape_fix_utf8(&b, (const uint8_t *)s, n);
	j = json_stringn((const char *)b.data ? (const char *)b.data : "", b.len);
	if (j == NULL) {
		buf_reset(&b);
		buf_escape(&b, (const uint8_t *)s, n);
		j = json_stringn((const char *)b.data ? (const char *)b.data : "", b.len);
	}
	buf_free(&b);
	return must(j);
}

static json_t *jstr(const char *s)
{
	return jstrn(s, s ? strlen(s) : 0);
}
#define JFACT(arr) jstrn((arr), REPORT_VIEW_FLEN(arr))

static json_t *jint(int64_t v)
{
	return must(json_integer((json_int_t)v));
}

static json_t *jiso(int64_t wall_ms)
{
	char t[32];
	iso8601_ms(wall_ms, t);
	return jstr(t);
}

static json_t *jstrv(char *const *v, size_t n)
{
	json_t *a = must(json_array());
	for (size_t i = 0; i < n; i++)
		push(a, jstr(v[i]));
	return a;
}

static json_t *cert_json(const struct wtls_cert *c)
{
	char t[32];
	json_t *o = must(json_object());
	set(o, "subject", JFACT(c->subject));
	set(o, "issuer", JFACT(c->issuer));
	report_view_iso_sec(c->not_before, t);
	set(o, "not_before", jstr(t));
	report_view_iso_sec(c->not_after, t);
	set(o, "not_after", jstr(t));
	set(o, "key_type", JFACT(c->key_type));
	set(o, "key_bits", jint(c->key_bits));
	set(o, "sig_alg", JFACT(c->sig_alg));
	set(o, "sha256", JFACT(c->sha256));
	set(o, "self_signed", json_boolean(c->self_signed));
	json_t *san = must(json_array());
	size_t nsan = c->nsan < WTLS_SAN_MAX ? c->nsan : WTLS_SAN_MAX;
	for (size_t i = 0; i < nsan; i++)
		push(san, JFACT(c->san[i]));
	set(o, "san", san);
	return o;
}

static json_t *facts_json(const struct wtls_facts *f)
{
	json_t *o = must(json_object());
	set(o, "handshake_ok", json_boolean(f->handshake_ok));
	set(o, "version", JFACT(f->version));
	set(o, "cipher", JFACT(f->cipher));
	set(o, "group", JFACT(f->group));
	set(o, "verify_ok", json_boolean(f->verify_ok));
	set(o, "verify_error", JFACT(f->verify_error));
	set(o, "host_ok", json_boolean(f->host_ok));
	set(o, "servername", JFACT(f->servername));
	set(o, "client_sni", JFACT(f->client_sni));
	json_t *chain = must(json_array());
	size_t n = f->nchain < WTLS_CHAIN_MAX ? f->nchain : WTLS_CHAIN_MAX;
	for (size_t i = 0; i < n; i++)
		push(chain, cert_json(&f->chain[i]));
	set(o, "chain", chain);
	return o;
}

static json_t *transcript_json(const struct transcript *tr)
{
	json_t *o = must(json_object());
	json_t *evs = must(json_array());
	for (size_t i = 0; i < tr->n; i++) {
		const struct tevent *e = &tr->ev[i];
		json_t *ev = must(json_object());
		/* Microsecond resolution as milliseconds; printed with
		 * JSON_REAL_PRECISION(15), so 12345 us is exactly 12.345. */
		set(ev, "t_ms", json_real((double)e->t_us / 1000.0));
		set(ev, "dir", jstr(transcript_dir_name(e->dir)));
		set(ev, "layer", jstr(transcript_layer_name(e->layer)));
		if (e->dir == TDIR_NOTE) {
			set(ev, "data", jstrn((const char *)e->data, e->len));
		} else {
			/* Wire bytes are escaped (ASCII, lossless), not decoded:
			 * a reader sees exactly what crossed the socket. */
			char *esc = escape_bytes(e->data, e->len);
			set(ev, "data", jstr(esc));
			free(esc);
		}
		set(ev, "len", jint((int64_t)e->len));
		push(evs, ev);
	}
	set(o, "events", evs);
	set(o, "dropped_bytes", jint((int64_t)tr->dropped));
	return o;
}

static json_t *tri(enum probe_tri t)
{
	return t == PROBE_TRI_UNKNOWN ? json_null() : json_boolean(t == PROBE_TRI_YES);
}

static json_t *suite_list(const uint16_t *ids, size_t n)
{
	json_t *a = must(json_array());
	for (size_t i = 0; i < n; i++) {
		json_t *o = must(json_object());
		char hex[8], lab[64];
		snprintf(hex, sizeof hex, "0x%04X", ids[i]);
		const struct hello_suite *hs = hello_suite_find(ids[i]);
		set(o, "id", jstr(hex));
		set(o, "name", jstr(hs && hs->iana ? hs->iana : hello_suite_label(ids[i], lab, sizeof lab)));
		if (hs && hs->openssl)
			set(o, "openssl", jstr(hs->openssl));
		push(a, o);
	}
	return a;
}

/* The "scan" section: per-node TLS facts and the fleet view. */
static json_t *scan_json(const struct fleet *fl)
{
	json_t *o = must(json_object());
	set(o, "policy", jstr(fl->policy));
	json_t *nodes = must(json_array());
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct fleet_node *n = &fl->nodes[i];
		const struct probe_report *p = &n->probe;
		json_t *j = must(json_object());
		set(j, "target", jstr(n->target));
		if (n->group)
			set(j, "group", jstr(n->group));
		set(j, "error", n->probe_rc != 0 && p->nerrors ? jstr(p->errors[0]) : json_null());
		json_t *vers = must(json_object()), *suites = must(json_object()),
		       *order = must(json_object());
		for (int v = 0; v < PV__COUNT; v++) {
			const char *vn = hello_version_name(probe_vidx_version(v));
			set(vers, vn, tri(p->v[v].supported));
			if (p->v[v].supported == PROBE_TRI_YES) {
				set(suites, vn, suite_list(p->v[v].suites, p->v[v].nsuites));
				set(order, vn, tri(p->v[v].server_order));
			}
		}
		set(j, "versions", vers);
		set(j, "suites", suites);
		set(j, "server_preference", order);
		set(j, "fallback_scsv", tri(p->fallback_scsv));
		set(j, "secure_renegotiation", tri(p->secure_reneg));
		set(j, "extended_master_secret", tri(p->ems));
		set(j, "compression", tri(p->compression));
		set(j, "session_ticket", tri(p->ticket));
		set(j, "ocsp_stapling", tri(p->ocsp_stapling));
		json_t *g = must(json_array());
		for (size_t k = 0; k < p->ngroups12; k++)
			push(g, jstr(hello_group_name(p->groups12[k]) ? hello_group_name(p->groups12[k]) : "?"));
		set(j, "groups_tls12", g);
		g = must(json_array());
		for (size_t k = 0; k < p->ngroups13; k++)
			push(g, jstr(hello_group_name(p->groups13[k]) ? hello_group_name(p->groups13[k]) : "?"));
		set(j, "groups_tls13", g);
		set(j, "dh_bits", jint(p->dh_bits));
		json_t *errs = must(json_array());
		for (size_t k = 0; k < p->nerrors && k < PROBE_ERRORS_MAX; k++)
			push(errs, jstr(p->errors[k]));
		set(j, "probe_errors", errs);
		set(j, "tls", n->has_tls ? facts_json(&n->tls) : json_null());
		set(j, "tls_error", n->tls_error[0] ? jstr(n->tls_error) : json_null());
		set(j, "certificate_without_sni", n->nosni_sha256[0] ? jstr(n->nosni_sha256) : json_null());
		set(j, "probe_failed", json_boolean(n->probe_rc != 0));
		set(j, "certificate_from_probe", json_boolean(n->cert_from_probe));
		set(j, "connections", jint((int64_t)p->connections + (n->has_tls ? 1 : 0) +
		                           (n->has_nosni ? 1 : 0)));
		set(j, "elapsed_ms", jint(n->elapsed_ms));
		push(nodes, j);
	}
	set(o, "nodes", nodes);
	json_t *rows = must(json_array());
	for (size_t r = 0; r < fl->nrows; r++) {
		json_t *row = must(json_object());
		set(row, "property", jstr(fl->rows[r].property));
		set(row, "consistent", json_boolean(fl->rows[r].consistent));
		json_t *vals = must(json_object());
		for (size_t i = 0; i < fl->nnodes; i++)
			set(vals, fl->nodes[i].target, jstr(fl->rows[r].values[i]));
		set(row, "values", vals);
		push(rows, row);
	}
	set(o, "consistency", rows);
	if (fl->ndomains) {
		json_t *doms = must(json_array());
		for (size_t d = 0; d < fl->ndomains; d++) {
			json_t *dj = must(json_object()), *mx = must(json_array());
			set(dj, "domain", jstr(fl->domains[d].name));
			for (size_t m = 0; m < fl->domains[d].nmx; m++) {
				json_t *mj = must(json_object());
				set(mj, "host", jstr(fl->domains[d].mx[m]));
				set(mj, "preference", jint(fl->domains[d].pref[m]));
				push(mx, mj);
			}
			set(dj, "mx", mx);
			push(doms, dj);
		}
		set(o, "domains", doms);
	}
	return o;
}

static json_t *result_json(const struct result *r)
{
	json_t *o = must(json_object());
	set(o, "id", jstr(r->id));
	set(o, "title", jstr(r->title));
	set(o, "file", jstr(r->file));
	set(o, "verdict", jstr(result_verdict_name(r->verdict)));
	set(o, "severity", jstr(r->severity));
	set(o, "catalog", jstrv(r->catalog, r->ncatalog));
	set(o, "refs", jstrv(r->refs, r->nrefs));
	set(o, "keywords", jstrv(r->keywords, r->nkeywords));
	set(o, "reason", jstr(r->reason));
	set(o, "line", jint(r->line));
	set(o, "xfail_reason", r->xfail_reason ? jstr(r->xfail_reason) : json_null());
	set(o, "notes", r->notes ? jstr(r->notes) : json_null());
	if (r->node)
		set(o, "node", jstr(r->node));
	if (r->blocked_by)
		set(o, "blocked_by", jstr(r->blocked_by));
	set(o, "started", jiso(r->started_ms));
	set(o, "elapsed_ms", jint(r->elapsed_ms));
	set(o, "tls", r->has_tls ? facts_json(&r->tls) : json_null());
	if (r->has_trigger) {
		json_t *t = must(json_object());
		set(t, "status", jint(r->trigger_status));
		set(t, "output", r->trigger_output ? jstr(r->trigger_output) : json_null());
		set(o, "trigger", t);
	} else {
		set(o, "trigger", json_null());
	}
	set(o, "transcript", transcript_json(&r->tr));
	return o;
}

int report_json(const struct run *run, FILE *f)
{
	size_t counts[V__COUNT];
	json_t *root = must(json_object());

	set(root, "schema", jstr(SCHEMA));
	json_t *tool = must(json_object());
	set(tool, "name", jstr("stark"));
	set(tool, "version", jstr(run->tool_version));
	set(root, "tool", tool);

	json_t *jr = must(json_object());
	set(jr, "role", jstr(run->role));
	set(jr, "target", jstr(run->target));
	set(jr, "profile", jstr(run->profile));
	set(jr, "servername", run->servername ? jstr(run->servername) : json_null());
	set(jr, "suite", run->suite ? jstr(run->suite) : json_null());
	if (run->shard_count > 0) {
		json_t *sh = must(json_object());
		set(sh, "index", jint(run->shard_index));
		set(sh, "count", jint(run->shard_count));
		set(jr, "shard", sh);
	} else {
		set(jr, "shard", json_null());
	}
	set(jr, "argv", jstrv(run->argv, run->argc));
	set(jr, "started", jiso(run->started_ms));
	set(jr, "elapsed_ms", jint(run->elapsed_ms));
	set(jr, "interrupted", json_boolean(run->interrupted));
	set(root, "run", jr);

	/* Every verdict key, always, in enum order: consumers need no defaults. */
	run_summary(run, counts);
	json_t *sum = must(json_object());
	set(sum, "total", jint((int64_t)run->n));
	for (int v = 0; v < V__COUNT; v++)
		set(sum, result_verdict_name((enum verdict)v), jint((int64_t)counts[v]));
	set(root, "summary", sum);

	set(root, "target_tls", run->has_tls ? facts_json(&run->tls) : json_null());
	if (run->scan)
		set(root, "scan", scan_json(run->scan));

	json_t *results = must(json_array());
	for (size_t i = 0; i < run->n; i++)
		push(results, result_json(&run->results[i]));
	set(root, "results", results);

	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(root);
	if (rc != 0 || fputc('\n', f) == EOF)
		return -1;
	return ferror(f) ? -1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * report_json: results.json, the canonical report (schema "stark-results/1",
 * documented field by field in reports/README.md). Public: report_json().
 * Invariants: key order is fixed (JSON_PRESERVE_ORDER), every key is always
 * present, and the output is valid JSON for any bytes in any field.
 */
#include <jansson.h>
#include <stddef.h>
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

/*
 * The flat members of a struct as data: key, kind, where. set_fields()
 * writes them in table order, so the key order of results.json is the
 * order of these tables.
 */
enum jkind {
	J_FACT,    /* char[size], may lack its NUL */
	J_STR,     /* char *, "" when NULL */
	J_STR_NUL, /* char *, null when NULL */
	J_STRV,    /* char **, count at off2 (size_t) */
	J_BOOL,    /* bool */
	J_INT,     /* int */
	J_ISO_SEC, /* int64_t seconds, as an ISO 8601 date */
	J_TRI,     /* enum probe_tri: true, false or null */
};
struct jfield {
	const char *key;
	enum jkind kind;
	size_t off, size; /* size: J_FACT's array size; off2 of J_STRV */
};
#define JF(type, key, kind, m) {key, kind, offsetof(type, m), sizeof(((type *)0)->m)}
#define JV(type, key, m, n) {key, J_STRV, offsetof(type, m), offsetof(type, n)}
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

static json_t *tri(enum probe_tri t)
{
	return t == PROBE_TRI_UNKNOWN ? json_null() : json_boolean(t == PROBE_TRI_YES);
}

static void set_fields(json_t *o, const void *base, const struct jfield *f, size_t n)
{
	const char *p = base;
	char t[32];
	for (size_t i = 0; i < n; i++) {
		const void *m = p + f[i].off;
		const char *str = f[i].kind == J_STR || f[i].kind == J_STR_NUL ? *(char *const *)m : NULL;
		switch (f[i].kind) {
		case J_FACT: set(o, f[i].key, jstrn(m, strnlen(m, f[i].size))); break;
		case J_STR: set(o, f[i].key, jstr(str)); break;
		case J_STR_NUL: set(o, f[i].key, str ? jstr(str) : json_null()); break;
		case J_STRV: set(o, f[i].key, jstrv(*(char **const *)m, *(const size_t *)(p + f[i].size))); break;
		case J_BOOL: set(o, f[i].key, json_boolean(*(const bool *)m)); break;
		case J_INT: set(o, f[i].key, jint(*(const int *)m)); break;
		case J_ISO_SEC:
			report_view_iso_sec(*(const int64_t *)m, t);
			set(o, f[i].key, jstr(t));
			break;
		case J_TRI: set(o, f[i].key, tri(*(const enum probe_tri *)m)); break;
		}
	}
}

static const struct jfield cert_fields[] = {
	JF(struct wtls_cert, "subject", J_FACT, subject),
	JF(struct wtls_cert, "issuer", J_FACT, issuer),
	JF(struct wtls_cert, "not_before", J_ISO_SEC, not_before),
	JF(struct wtls_cert, "not_after", J_ISO_SEC, not_after),
	JF(struct wtls_cert, "key_type", J_FACT, key_type),
	JF(struct wtls_cert, "key_bits", J_INT, key_bits),
	JF(struct wtls_cert, "sig_alg", J_FACT, sig_alg),
	JF(struct wtls_cert, "sha256", J_FACT, sha256),
	JF(struct wtls_cert, "self_signed", J_BOOL, self_signed),
};

static const struct jfield facts_fields[] = {
	JF(struct wtls_facts, "handshake_ok", J_BOOL, handshake_ok),
	JF(struct wtls_facts, "version", J_FACT, version),
	JF(struct wtls_facts, "cipher", J_FACT, cipher),
	JF(struct wtls_facts, "group", J_FACT, group),
	JF(struct wtls_facts, "verify_ok", J_BOOL, verify_ok),
	JF(struct wtls_facts, "verify_error", J_FACT, verify_error),
	JF(struct wtls_facts, "host_ok", J_BOOL, host_ok),
	JF(struct wtls_facts, "servername", J_FACT, servername),
	JF(struct wtls_facts, "client_sni", J_FACT, client_sni),
};

/* The probe's yes/no/unknown answers of a scan node, after its suites. */
static const struct jfield probe_fields[] = {
	JF(struct probe_report, "fallback_scsv", J_TRI, fallback_scsv),
	JF(struct probe_report, "secure_renegotiation", J_TRI, secure_reneg),
	JF(struct probe_report, "extended_master_secret", J_TRI, ems),
	JF(struct probe_report, "compression", J_TRI, compression),
	JF(struct probe_report, "session_ticket", J_TRI, ticket),
	JF(struct probe_report, "ocsp_stapling", J_TRI, ocsp_stapling),
};

/* A result's members up to and including notes; verdict is the one computed
 * member among them (inserted after "file"). */
static const struct jfield result_head[] = {
	JF(struct result, "id", J_STR, id),
	JF(struct result, "title", J_STR, title),
	JF(struct result, "file", J_STR, file),
};
static const struct jfield result_body[] = {
	JF(struct result, "severity", J_STR, severity),
	JV(struct result, "catalog", catalog, ncatalog),
	JV(struct result, "refs", refs, nrefs),
	JV(struct result, "keywords", keywords, nkeywords),
	JF(struct result, "reason", J_STR, reason),
	JF(struct result, "line", J_INT, line),
	JF(struct result, "xfail_reason", J_STR_NUL, xfail_reason),
	JF(struct result, "notes", J_STR_NUL, notes),
};

static json_t *cert_json(const struct wtls_cert *c)
{
	json_t *o = must(json_object());
	set_fields(o, c, cert_fields, NFIELDS(cert_fields));
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
	set_fields(o, f, facts_fields, NFIELDS(facts_fields));
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
		set_fields(j, p, probe_fields, NFIELDS(probe_fields));
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
		set(j, "connections", jint((int64_t)fleet_node_connections(n)));
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
	set_fields(o, r, result_head, NFIELDS(result_head));
	set(o, "verdict", jstr(result_verdict_name(r->verdict)));
	set_fields(o, r, result_body, NFIELDS(result_body));
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

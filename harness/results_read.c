/* SPDX-License-Identifier: MIT */
/*
 * results_read: results.json (schema stark-results/1, reports/README.md)
 * back into struct run and struct fleet with jansson. Invariant: writing
 * what was read with report_json gives the same bytes (tests: the golden
 * reports and real scans round-trip), so a merged report says exactly
 * what its parts said. Wire bytes are unescaped (util's escaper is
 * lossless); values that do not fit a fixed field are refused, never cut.
 */
#include "results_read.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hello.h"
#include "util.h"

struct rd {
	const char *path;
	char *err;
	size_t errlen;
	bool bad;
};

static void bad(struct rd *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct rd *rd, const char *fmt, ...)
{
	if (rd->bad)
		return;
	rd->bad = true;
	char m[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	snprintf(rd->err, rd->errlen, "%s: %s", rd->path, m);
}

static const char *str(struct rd *rd, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (v != NULL && !json_is_null(v))
		bad(rd, "%s is not a string", key);
	return NULL;
}

static char *sdup(struct rd *rd, json_t *o, const char *key)
{
	const char *s = str(rd, o, key);
	return s ? xstrdup(s) : NULL;
}

static void fixed(struct rd *rd, json_t *o, const char *key, char *out, size_t outlen)
{
	const char *s = str(rd, o, key);
	if (s && strlen(s) >= outlen)
		bad(rd, "%s longer than %zu bytes", key, outlen - 1);
	else
		snprintf(out, outlen, "%s", s ? s : "");
}

static int64_t num(json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

static char **strv(json_t *a, size_t *n)
{
	*n = json_is_array(a) ? json_array_size(a) : 0;
	char **v = xcalloc(*n + 1, sizeof *v);
	for (size_t i = 0; i < *n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		v[i] = xstrdup(s ? s : "");
	}
	return v;
}

/* "2026-01-01T00:00:00[.123]Z" -> ms since the epoch (UTC). */
static int64_t iso_ms(const char *s)
{
	struct tm tm = {0};
	int ms = 0;
	if (s == NULL)
		return 0;
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && *end == '.')
		ms = atoi(end + 1);
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void cert_read(struct rd *rd, json_t *o, struct wtls_cert *c)
{
	fixed(rd, o, "subject", c->subject, sizeof c->subject);
	fixed(rd, o, "issuer", c->issuer, sizeof c->issuer);
	const char *nb = str(rd, o, "not_before"), *na = str(rd, o, "not_after");
	/* "invalid": a date the writer could not show; INT64_MAX shows so again */
	c->not_before = nb && strcmp(nb, "invalid") == 0 ? INT64_MAX : iso_ms(nb) / 1000;
	c->not_after = na && strcmp(na, "invalid") == 0 ? INT64_MAX : iso_ms(na) / 1000;
	fixed(rd, o, "key_type", c->key_type, sizeof c->key_type);
	c->key_bits = (int)num(o, "key_bits");
	fixed(rd, o, "sig_alg", c->sig_alg, sizeof c->sig_alg);
	fixed(rd, o, "sha256", c->sha256, sizeof c->sha256);
	c->self_signed = json_is_true(json_object_get(o, "self_signed"));
	json_t *san = json_object_get(o, "san");
	c->nsan = json_array_size(san) < WTLS_SAN_MAX ? json_array_size(san) : WTLS_SAN_MAX;
	for (size_t i = 0; i < c->nsan; i++) {
		const char *s = json_string_value(json_array_get(san, i));
		snprintf(c->san[i], sizeof c->san[i], "%s", s ? s : "");
	}
}

static void facts_read(struct rd *rd, json_t *o, struct wtls_facts *f)
{
	memset(f, 0, sizeof *f);
	f->handshake_ok = json_is_true(json_object_get(o, "handshake_ok"));
	fixed(rd, o, "version", f->version, sizeof f->version);
	fixed(rd, o, "cipher", f->cipher, sizeof f->cipher);
	fixed(rd, o, "group", f->group, sizeof f->group);
	f->verify_ok = json_is_true(json_object_get(o, "verify_ok"));
	fixed(rd, o, "verify_error", f->verify_error, sizeof f->verify_error);
	f->host_ok = json_is_true(json_object_get(o, "host_ok"));
	fixed(rd, o, "servername", f->servername, sizeof f->servername);
	fixed(rd, o, "client_sni", f->client_sni, sizeof f->client_sni);
	json_t *chain = json_object_get(o, "chain");
	f->nchain = json_array_size(chain) < WTLS_CHAIN_MAX ? json_array_size(chain) : WTLS_CHAIN_MAX;
	for (size_t i = 0; i < f->nchain; i++)
		cert_read(rd, json_array_get(chain, i), &f->chain[i]);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The inverse of util's buf_escape: \r \n \t \\ \" \xHH. */
static uint8_t *unescape(const char *s, size_t *len)
{
	size_t n = strlen(s), k = 0;
	uint8_t *o = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 >= n) {
			o[k++] = (uint8_t)s[i];
			continue;
		}
		char e = s[++i];
		if (e == 'r')
			o[k++] = '\r';
		else if (e == 'n')
			o[k++] = '\n';
		else if (e == 't')
			o[k++] = '\t';
		else if (e == 'x' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			o[k++] = (uint8_t)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else
			o[k++] = (uint8_t)e;
	}
	*len = k;
	return o;
}

static void transcript_read(struct rd *rd, json_t *o, struct transcript *t)
{
	transcript_init(t);
	json_t *evs = json_object_get(o, "events"), *e;
	size_t i;
	t->ev = xcalloc(json_array_size(evs) + 1, sizeof *t->ev);
	t->cap = json_array_size(evs) + 1;
	json_array_foreach(evs, i, e) {
		struct tevent *ev = &t->ev[t->n++];
		double tms = json_number_value(json_object_get(e, "t_ms")) * 1000.0;
		ev->t_us = (int64_t)(tms >= 0 ? tms + 0.5 : tms - 0.5);
		const char *dir = str(rd, e, "dir"), *layer = str(rd, e, "layer");
		const char *data = str(rd, e, "data");
		ev->dir = dir && strcmp(dir, "send") == 0 ? TDIR_SEND
		          : dir && strcmp(dir, "recv") == 0 ? TDIR_RECV : TDIR_NOTE;
		ev->layer = layer && strcmp(layer, "tls") == 0 ? TLAYER_TLS : TLAYER_PLAIN;
		if (ev->dir == TDIR_NOTE) {
			ev->data = (uint8_t *)xstrdup(data ? data : "");
			ev->len = strlen((char *)ev->data);
		} else {
			ev->data = unescape(data ? data : "", &ev->len);
		}
		t->bytes += ev->len;
	}
	t->dropped = (size_t)num(o, "dropped_bytes");
}

static enum verdict verdict_of(struct rd *rd, const char *name)
{
	for (int v = 0; v < V__COUNT; v++)
		if (name && strcmp(name, result_verdict_name((enum verdict)v)) == 0)
			return (enum verdict)v;
	bad(rd, "unknown verdict '%s'", name ? name : "(none)");
	return V_ERROR;
}

static void result_read(struct rd *rd, json_t *o, struct result *r)
{
	memset(r, 0, sizeof *r);
	r->id = sdup(rd, o, "id");
	if (r->id == NULL)
		bad(rd, "a result without id"), r->id = xstrdup("");
	r->node = sdup(rd, o, "node");
	r->title = sdup(rd, o, "title");
	r->file = sdup(rd, o, "file");
	r->verdict = verdict_of(rd, str(rd, o, "verdict"));
	r->severity = sdup(rd, o, "severity");
	r->catalog = strv(json_object_get(o, "catalog"), &r->ncatalog);
	r->refs = strv(json_object_get(o, "refs"), &r->nrefs);
	r->keywords = strv(json_object_get(o, "keywords"), &r->nkeywords);
	r->reason = sdup(rd, o, "reason");
	r->line = (int)num(o, "line");
	r->xfail_reason = sdup(rd, o, "xfail_reason");
	r->notes = sdup(rd, o, "notes");
	r->blocked_by = sdup(rd, o, "blocked_by");
	r->started_ms = iso_ms(str(rd, o, "started"));
	r->elapsed_ms = num(o, "elapsed_ms");
	json_t *tls = json_object_get(o, "tls");
	if ((r->has_tls = json_is_object(tls)))
		facts_read(rd, tls, &r->tls);
	json_t *tr = json_object_get(o, "trigger");
	if ((r->has_trigger = json_is_object(tr))) {
		r->trigger_status = (int)num(tr, "status");
		r->trigger_output = sdup(rd, tr, "output");
	}
	transcript_read(rd, json_object_get(o, "transcript"), &r->tr);
}

static enum probe_tri tri(json_t *v)
{
	return json_is_true(v) ? PROBE_TRI_YES : json_is_false(v) ? PROBE_TRI_NO : PROBE_TRI_UNKNOWN;
}

static uint16_t group_id(const char *name)
{
	size_t n;
	const uint16_t *all = hello_groups_all(&n);
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(hello_group_name(all[i]), name) == 0)
			return all[i];
	return 0;
}

static size_t groups(json_t *a, uint16_t *out, size_t max)
{
	size_t n = json_array_size(a) < max ? json_array_size(a) : max;
	for (size_t i = 0; i < n; i++)
		out[i] = group_id(json_string_value(json_array_get(a, i)));
	return n;
}

static void node_read(struct rd *rd, json_t *o, struct fleet_node *n)
{
	memset(n, 0, sizeof *n);
	struct probe_report *p = &n->probe;
	n->target = sdup(rd, o, "target");
	if (n->target == NULL)
		bad(rd, "a scan node without target"), n->target = xstrdup("");
	if (split_hostport(n->target, &n->host, &n->port) != 0)
		n->host = n->port = NULL;
	json_t *vers = json_object_get(o, "versions"), *suites = json_object_get(o, "suites"),
	       *order = json_object_get(o, "server_preference");
	for (int v = 0; v < PV__COUNT; v++) {
		struct probe_version_report *vr = &p->v[v];
		const char *vn = hello_version_name(probe_vidx_version(v));
		vr->version = probe_vidx_version(v);
		vr->supported = tri(json_object_get(vers, vn));
		if (vr->supported == PROBE_TRI_YES && probe_vidx_version(v) > p->max_version)
			p->max_version = probe_vidx_version(v);
		vr->server_order = tri(json_object_get(order, vn));
		json_t *sl = json_object_get(suites, vn), *s;
		size_t i;
		json_array_foreach(sl, i, s) {
			const char *hex = str(rd, s, "id");
			if (vr->nsuites < PROBE_SUITES_MAX && hex)
				vr->suites[vr->nsuites++] = (uint16_t)strtoul(hex, NULL, 16);
		}
	}
	p->fallback_scsv = tri(json_object_get(o, "fallback_scsv"));
	p->secure_reneg = tri(json_object_get(o, "secure_renegotiation"));
	p->ems = tri(json_object_get(o, "extended_master_secret"));
	p->compression = tri(json_object_get(o, "compression"));
	p->ticket = tri(json_object_get(o, "session_ticket"));
	p->ocsp_stapling = tri(json_object_get(o, "ocsp_stapling"));
	p->ngroups12 = groups(json_object_get(o, "groups_tls12"), p->groups12, PROBE_GROUPS_MAX);
	p->ngroups13 = groups(json_object_get(o, "groups_tls13"), p->groups13, PROBE_GROUPS_MAX);
	p->dh_bits = (int)num(o, "dh_bits");
	json_t *errs = json_object_get(o, "probe_errors");
	p->nerrors = json_array_size(errs) < PROBE_ERRORS_MAX ? json_array_size(errs) : PROBE_ERRORS_MAX;
	for (size_t k = 0; k < p->nerrors; k++) {
		const char *e = json_string_value(json_array_get(errs, k));
		snprintf(p->errors[k], sizeof p->errors[k], "%s", e ? e : "");
	}
	n->probe_rc = json_is_true(json_object_get(o, "probe_failed")) ? -1 : 0;
	n->cert_from_probe = json_is_true(json_object_get(o, "certificate_from_probe"));
	json_t *tls = json_object_get(o, "tls");
	if ((n->has_tls = json_is_object(tls))) {
		facts_read(rd, tls, &n->tls);
		n->tls_ok = n->tls.handshake_ok;
	}
	fixed(rd, o, "tls_error", n->tls_error, sizeof n->tls_error);
	fixed(rd, o, "certificate_without_sni", n->nosni_sha256, sizeof n->nosni_sha256);
	/* Only the sum of connections is written; a failed handshake without
	 * SNI (no fingerprint) is counted in the probe's share. */
	n->has_nosni = n->nosni_sha256[0] != '\0';
	int64_t conns = num(o, "connections") - (n->has_tls ? 1 : 0) - (n->has_nosni ? 1 : 0);
	p->connections = conns > 0 ? (size_t)conns : 0;
	n->elapsed_ms = num(o, "elapsed_ms");
}

int results_read(const char *path, bool skip_fleet, struct run *run, struct fleet *fl, char *err,
                 size_t errlen)
{
	struct rd rd = {path, err, errlen, false};
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s: not JSON (line %d: %s)", path, je.line, je.text);
		return -1;
	}
	const char *schema = str(&rd, root, "schema");
	json_t *jr = json_object_get(root, "run");
	if (schema == NULL || strcmp(schema, "stark-results/1") != 0 || !json_is_object(jr) ||
	    !json_is_array(json_object_get(root, "results"))) {
		bad(&rd, "not a stark-results/1 file");
		json_decref(root);
		return -1;
	}
	free(run->tool_version);
	run->tool_version = sdup(&rd, json_object_get(root, "tool"), "version");
	run->role = sdup(&rd, jr, "role");
	run->target = sdup(&rd, jr, "target");
	run->profile = sdup(&rd, jr, "profile");
	run->servername = sdup(&rd, jr, "servername");
	run->suite = sdup(&rd, jr, "suite");
	json_t *sh = json_object_get(jr, "shard");
	if (json_is_object(sh)) {
		run->shard_index = (int)num(sh, "index");
		run->shard_count = (int)num(sh, "count");
	}
	run->argv = strv(json_object_get(jr, "argv"), &run->argc);
	run->started_ms = iso_ms(str(&rd, jr, "started"));
	run->elapsed_ms = num(jr, "elapsed_ms");
	run->interrupted = json_is_true(json_object_get(jr, "interrupted"));
	json_t *tt = json_object_get(root, "target_tls");
	json_t *scan = json_object_get(root, "scan");
	if (json_is_object(scan)) {
		fl->policy = sdup(&rd, scan, "policy");
		json_t *nodes = json_object_get(scan, "nodes"), *nj;
		size_t i;
		fl->nodes = xcalloc(json_array_size(nodes) + 1, sizeof *fl->nodes);
		json_array_foreach(nodes, i, nj)
			node_read(&rd, nj, &fl->nodes[fl->nnodes++]);
		run->scan = fl;
	}
	size_t i;
	json_t *rj;
	json_array_foreach(json_object_get(root, "results"), i, rj) {
		const char *id = str(&rd, rj, "id");
		if (skip_fleet && id && strncmp(id, "fleet/", 6) == 0)
			continue;
		struct result r;
		result_read(&rd, rj, &r);
		run_add(run, &r);
	}
	/* After run_add, which takes the first handshake of a result: the file
	 * says which facts the run had (a scan's come from its first node). */
	if ((run->has_tls = json_is_object(tt)))
		facts_read(&rd, tt, &run->tls);
	json_decref(root);
	return rd.bad ? -1 : 0;
}

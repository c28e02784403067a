/* SPDX-License-Identifier: MIT */
/*
 * diff: compares two results.json files result by result (key: the id,
 * and the node in a scan) and classifies every change; the rules are
 * documented in docs/ci.md ("What counts as a regression"). Invariants:
 * only ids, nodes, verdicts, titles, reasons and the run's identity are
 * read, so files of other stark versions compare as long as ids are
 * stable; item order is NEW's result order, then OLD's for ids NEW lacks;
 * a regression is never hidden by a mismatch note (notes only add).
 */
#include "diff.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const kind_names[DIFF__COUNT] = {
    "regression", "fixed", "still_failing", "not_run", "inconclusive", "changed", "new",
    "unchanged",
};
static const char *const kind_labels[DIFF__COUNT] = {
    "REGRESSION", "FIXED", "STILL FAILING", "NOT RUN", "INCONCLUSIVE", "CHANGED", "NEW",
    "UNCHANGED",
};

const char *diff_kind_name(enum diff_kind k)
{
	return k < DIFF__COUNT ? kind_names[k] : "?";
}

/* FAIL, ERROR and XPASS fail a run; the rest do not. */
static bool bad(const char *v)
{
	return v && (strcmp(v, "fail") == 0 || strcmp(v, "error") == 0 || strcmp(v, "xpass") == 0);
}

/* A finding about the target (not "could not run"). */
static bool finding(const char *v)
{
	return v && (strcmp(v, "fail") == 0 || strcmp(v, "xpass") == 0);
}

static bool shown(const char *v)
{
	return v && (strcmp(v, "pass") == 0 || strcmp(v, "warn") == 0 || strcmp(v, "xfail") == 0);
}

static const char *str_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static json_t *load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s: not JSON (line %d: %s)", path, je.line, je.text);
		return NULL;
	}
	const char *schema = str_at(root, "schema");
	json_t *results = json_object_get(root, "results");
	if (!json_is_object(root) || schema == NULL || strncmp(schema, "stark-results/", 14) != 0 ||
	    !json_is_array(results) || !json_is_object(json_object_get(root, "run"))) {
		snprintf(err, errlen, "%s: not a stark results.json (no schema \"stark-results/N\", run "
		         "and results)", path);
		json_decref(root);
		return NULL;
	}
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		if (!json_is_object(r) || str_at(r, "id") == NULL || str_at(r, "verdict") == NULL) {
			snprintf(err, errlen, "%s: result %zu has no id or verdict", path, i);
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

int diff_check_baseline(const char *path, char *err, size_t errlen)
{
	json_t *j = load(path, err, errlen);
	json_decref(j);
	return j ? 0 : -1;
}

static void side_fill(struct diff_side *s, const char *path, json_t *root)
{
	json_t *run = json_object_get(root, "run"), *scan = json_object_get(root, "scan");
	s->path = xstrdup(path);
	s->version = dup_or_null(str_at(json_object_get(root, "tool"), "version"));
	s->role = dup_or_null(str_at(run, "role"));
	s->target = dup_or_null(str_at(run, "target"));
	s->servername = dup_or_null(str_at(run, "servername"));
	s->profile = dup_or_null(str_at(run, "profile"));
	s->suite = dup_or_null(str_at(run, "suite"));
	s->policy = dup_or_null(json_is_object(scan) ? str_at(scan, "policy") : NULL);
	s->interrupted = json_is_true(json_object_get(run, "interrupted"));
	s->identity = json_object_get(run, "suite") != NULL;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(root, "results"), i, r)
		s->shown += shown(str_at(r, "verdict"));
}

static void side_free(struct diff_side *s)
{
	free(s->path);
	free(s->version);
	free(s->role);
	free(s->target);
	free(s->servername);
	free(s->profile);
	free(s->suite);
	free(s->policy);
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void note(struct diff *d, const char *what, const char *a, const char *b)
{
	d->notes = xrealloc(d->notes, (d->nnotes + 1) * sizeof *d->notes);
	d->notes[d->nnotes++] = xasprintf("the baseline came from another %s: %s (now %s)", what,
	                                  a ? a : "none", b ? b : "none");
}

/* The key of a result: its node (a scan's target) and id. */
static char *key_of(json_t *r)
{
	const char *node = str_at(r, "node");
	return xasprintf("%s%c%s", node ? node : "", node ? '\x1f' : '\x1e', str_at(r, "id"));
}

/* results by key (a jansson object is a hash table): big scans compare in
 * linear time. Borrowed references. */
static json_t *index_of(json_t *results)
{
	json_t *ix = json_object();
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		char *k = key_of(r);
		json_object_set(ix, k, r);
		free(k);
	}
	return ix;
}

static json_t *find(json_t *ix, json_t *r)
{
	char *k = key_of(r);
	json_t *v = json_object_get(ix, k);
	free(k);
	return v;
}

static void add(struct diff *d, enum diff_kind k, bool regression, json_t *from, const char *ov,
                const char *nv)
{
	d->items = xrealloc(d->items, (d->n + 1) * sizeof *d->items);
	struct diff_item *it = &d->items[d->n++];
	it->kind = k;
	it->regression = regression;
	it->id = xstrdup(str_at(from, "id"));
	it->node = dup_or_null(str_at(from, "node"));
	it->title = xstrdup(str_at(from, "title") ? str_at(from, "title") : "");
	it->old_verdict = dup_or_null(ov);
	it->new_verdict = dup_or_null(nv);
	it->reason = xstrdup(str_at(from, "reason") ? str_at(from, "reason") : "");
	d->count[k]++;
	d->nregressions += regression;
}

/* Both sides have the result: old verdict ov, new nv. */
static enum diff_kind classify(const char *ov, const char *nv)
{
	if (strcmp(nv, "inconclusive") == 0)
		return strcmp(ov, nv) == 0 ? DIFF_UNCHANGED : DIFF_INCONCLUSIVE;
	if (bad(nv)) {
		/* worse: bad where it was not, or a finding where the case
		 * could not even run (ERROR -> FAIL) */
		if (!bad(ov) || (finding(nv) && !finding(ov)))
			return DIFF_REGRESSION;
		return DIFF_STILL_FAILING;
	}
	if (bad(ov))
		return DIFF_FIXED;
	return strcmp(ov, nv) == 0 ? DIFF_UNCHANGED : DIFF_CHANGED;
}

static void compare(struct diff *d, json_t *old, json_t *now)
{
	json_t *ores = json_object_get(old, "results"), *nres = json_object_get(now, "results");
	json_t *oix = index_of(ores), *nix = index_of(nres);
	size_t i;
	json_t *r;
	json_array_foreach(nres, i, r) {
		const char *nv = str_at(r, "verdict");
		json_t *o = find(oix, r);
		if (o == NULL) {
			add(d, bad(nv) ? DIFF_REGRESSION : DIFF_NEW, bad(nv), r, NULL, nv);
			continue;
		}
		enum diff_kind k = classify(str_at(o, "verdict"), nv);
		add(d, k, k == DIFF_REGRESSION, r, str_at(o, "verdict"), nv);
	}
	/* Same suite and target: an id can only go missing by accident (a
	 * check that stopped being judged must not turn the gate green). */
	bool same_suite = d->old.suite && same(d->old.suite, d->now.suite) &&
	                  same(d->old.target, d->now.target);
	bool fleet_view = d->now.role && strcmp(d->now.role, "scan") == 0 && !d->now.interrupted;
	json_array_foreach(ores, i, r) {
		const char *id = str_at(r, "id"), *ov = str_at(r, "verdict");
		if (find(nix, r))
			continue;
		/* fleet/X exists only while nodes disagree: gone means they agree */
		if (fleet_view && strncmp(id, "fleet/", 6) == 0 && str_at(r, "node") == NULL) {
			add(d, bad(ov) ? DIFF_FIXED : DIFF_CHANGED, false, r, ov, NULL);
			continue;
		}
		add(d, DIFF_NOT_RUN, same_suite && shown(ov) && !d->now.interrupted, r, ov, NULL);
	}
	json_decref(oix);
	json_decref(nix);
}

int diff_files(const char *old_path, const char *new_path, struct diff *d, char *err,
               size_t errlen)
{
	memset(d, 0, sizeof *d);
	json_t *old = load(old_path, err, errlen);
	if (old == NULL)
		return -1;
	json_t *now = load(new_path, err, errlen);
	if (now == NULL) {
		json_decref(old);
		return -1;
	}
	side_fill(&d->old, old_path, old);
	side_fill(&d->now, new_path, now);
	if (!same(d->old.role, d->now.role)) {
		d->unusable = "the baseline is of another role: nothing was compared";
		note(d, "role", d->old.role, d->now.role);
	} else {
		if (!same(d->old.target, d->now.target))
			note(d, "target", d->old.target, d->now.target);
		if (d->old.identity && d->now.identity && !same(d->old.servername, d->now.servername))
			note(d, "servername", d->old.servername, d->now.servername);
		if (!same(d->old.profile, d->now.profile))
			note(d, "profile", d->old.profile, d->now.profile);
		if (!same(d->old.policy, d->now.policy))
			note(d, "policy", d->old.policy, d->now.policy);
		if (d->old.identity && d->now.identity && !same(d->old.suite, d->now.suite))
			note(d, "suite (other scenarios, selection or stark version)", d->old.suite,
			     d->now.suite);
		if (!d->old.identity || !d->now.identity) {
			const struct diff_side *o = d->old.identity ? &d->now : &d->old;
			d->notes = xrealloc(d->notes, (d->nnotes + 1) * sizeof *d->notes);
			d->notes[d->nnotes++] = xasprintf(
			    "%s (stark %s) does not say which suite or servername it ran: ids are "
			    "compared, but an id missing from the newer run is never a regression",
			    o->path, o->version ? o->version : "?");
		}
		compare(d, old, now);
		if (d->now.interrupted)
			d->unusable = "this run was interrupted";
		else if (d->now.shown == 0)
			d->unusable = "this run showed nothing (no PASS, WARN or XFAIL)";
	}
	json_decref(old);
	json_decref(now);
	return 0;
}

void diff_free(struct diff *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct diff_item *it = &d->items[i];
		free(it->id);
		free(it->node);
		free(it->title);
		free(it->old_verdict);
		free(it->new_verdict);
		free(it->reason);
	}
	free(d->items);
	strv_free(d->notes, d->nnotes);
	side_free(&d->old);
	side_free(&d->now);
	memset(d, 0, sizeof *d);
}

int diff_exit_status(const struct diff *d)
{
	if (d->nregressions)
		return 1;
	return d->unusable ? 2 : 0;
}

static const char *upper(const char *v, char *buf, size_t len)
{
	if (v == NULL)
		return "ABSENT";
	size_t i = 0;
	for (; v[i] && i + 1 < len; i++)
		buf[i] = (char)(v[i] >= 'a' && v[i] <= 'z' ? v[i] - 32 : v[i]);
	buf[i] = '\0';
	return buf;
}

void diff_terminal(const struct diff *d, bool quiet, FILE *f)
{
	if (quiet)
		return;
	char a[16], b[16];
	fprintf(f, "\nchange against the baseline %s (stark %s, %s run):\n", d->old.path,
	        d->old.version ? d->old.version : "?", d->old.role ? d->old.role : "?");
	for (size_t i = 0; i < d->nnotes; i++)
		fprintf(f, "  note: %s\n", d->notes[i]);
	for (int k = 0; k < DIFF_UNCHANGED; k++)
		for (size_t i = 0; i < d->n; i++) {
			const struct diff_item *it = &d->items[i];
			if (it->kind != (enum diff_kind)k)
				continue;
			fprintf(f, "  %-13s %s%s%s  %s -> %s%s%s%s\n", kind_labels[k], it->id,
			        it->node ? " on " : "", it->node ? it->node : "",
			        upper(it->old_verdict, a, sizeof a), upper(it->new_verdict, b, sizeof b),
			        it->regression && k == DIFF_NOT_RUN ? " (regression: same suite)" : "",
			        it->reason[0] ? ": " : "", it->reason);
		}
	fprintf(f, "%zu regression(s), %zu fixed, %zu still failing, %zu not run, %zu inconclusive, "
	        "%zu changed, %zu new, %zu unchanged\n",
	        d->nregressions, d->count[DIFF_FIXED], d->count[DIFF_STILL_FAILING],
	        d->count[DIFF_NOT_RUN], d->count[DIFF_INCONCLUSIVE], d->count[DIFF_CHANGED],
	        d->count[DIFF_NEW], d->count[DIFF_UNCHANGED]);
	if (d->unusable)
		fprintf(f, "not a valid gate result: %s\n", d->unusable);
	fprintf(f, "gate: %s\n", d->nregressions ? "FAIL (regression)" : d->unusable ? "ERROR" : "PASS");
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *side_json(const struct diff_side *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "version", jstr_or_null(s->version));
	json_object_set_new(o, "role", jstr_or_null(s->role));
	json_object_set_new(o, "target", jstr_or_null(s->target));
	json_object_set_new(o, "servername", jstr_or_null(s->servername));
	json_object_set_new(o, "profile", jstr_or_null(s->profile));
	json_object_set_new(o, "suite", jstr_or_null(s->suite));
	json_object_set_new(o, "policy", jstr_or_null(s->policy));
	json_object_set_new(o, "interrupted", json_boolean(s->interrupted));
	return o;
}

int diff_json(const struct diff *d, FILE *f)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string("stark-diff/1"));
	json_object_set_new(root, "baseline", side_json(&d->old));
	json_object_set_new(root, "run", side_json(&d->now));
	json_t *notes = json_array();
	for (size_t i = 0; i < d->nnotes; i++)
		json_array_append_new(notes, json_string(d->notes[i]));
	json_object_set_new(root, "notes", notes);
	json_object_set_new(root, "unusable", jstr_or_null(d->unusable));
	json_object_set_new(root, "exit_status", json_integer(diff_exit_status(d)));
	json_t *counts = json_object();
	json_object_set_new(counts, "regressions", json_integer((json_int_t)d->nregressions));
	for (int k = 0; k < DIFF__COUNT; k++)
		json_object_set_new(counts, kind_names[k], json_integer((json_int_t)d->count[k]));
	json_object_set_new(root, "counts", counts);
	json_t *items = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct diff_item *it = &d->items[i];
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(kind_names[it->kind]));
		json_object_set_new(o, "regression", json_boolean(it->regression));
		json_object_set_new(o, "id", json_string(it->id));
		json_object_set_new(o, "node", jstr_or_null(it->node));
		json_object_set_new(o, "title", json_string(it->title));
		json_object_set_new(o, "baseline", jstr_or_null(it->old_verdict));
		json_object_set_new(o, "verdict", jstr_or_null(it->new_verdict));
		json_object_set_new(o, "reason", json_string(it->reason));
		json_array_append_new(items, o);
	}
	json_object_set_new(root, "items", items);
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return rc == 0 && fputc('\n', f) != EOF ? 0 : -1;
}

/* Markdown table cells: no pipes or newlines. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
}

int diff_md(const struct diff *d, FILE *f)
{
	char a[16], b[16];
	fprintf(f, "## Change against the baseline\n\n");
	fprintf(f, "Gate: **%s** — %zu regression(s), %zu fixed, %zu still failing, %zu not run, "
	        "%zu inconclusive, %zu changed, %zu new, %zu unchanged.\n\n",
	        d->nregressions ? "FAIL (regression)" : d->unusable ? "ERROR" : "PASS",
	        d->nregressions, d->count[DIFF_FIXED], d->count[DIFF_STILL_FAILING],
	        d->count[DIFF_NOT_RUN], d->count[DIFF_INCONCLUSIVE], d->count[DIFF_CHANGED],
	        d->count[DIFF_NEW], d->count[DIFF_UNCHANGED]);
	fprintf(f, "Baseline: `");
	md_cell(f, d->old.path);
	fprintf(f, "` (stark %s).\n\n", d->old.version ? d->old.version : "?");
	for (size_t i = 0; i < d->nnotes; i++) {
		fputs("- **Note:** ", f);
		md_cell(f, d->notes[i]);
		fputc('\n', f);
	}
	if (d->unusable)
		fprintf(f, "- **Not a valid gate result:** %s\n", d->unusable);
	if (d->nnotes || d->unusable)
		fputc('\n', f);
	for (int k = 0; k < DIFF_UNCHANGED; k++) {
		if (d->count[k] == 0)
			continue;
		fprintf(f, "### %s (%zu)\n\n| id | node | baseline | now | regression | reason |\n"
		        "|---|---|---|---|---|---|\n", kind_labels[k], d->count[k]);
		for (size_t i = 0; i < d->n; i++) {
			const struct diff_item *it = &d->items[i];
			if (it->kind != (enum diff_kind)k)
				continue;
			fputs("| `", f);
			md_cell(f, it->id);
			fputs("` | ", f);
			md_cell(f, it->node ? it->node : "");
			fprintf(f, " | %s | %s | %s | ", upper(it->old_verdict, a, sizeof a),
			        upper(it->new_verdict, b, sizeof b), it->regression ? "yes" : "no");
			md_cell(f, it->reason);
			fputs(" |\n", f);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

static int write_via(const struct diff *d, const char *dir, const char *name,
                     int (*fn)(const struct diff *, FILE *), char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		fatalx("diff: out of memory");
	int rc = fn(d, m);
	fclose(m);
	char *path = xasprintf("%s/%s", dir, name);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot format", path);
		rc = -1;
	} else {
		rc = write_text_file(path, buf, err, errlen);
	}
	free(path);
	free(buf);
	return rc;
}

int diff_write(const struct diff *d, const char *dir, char *err, size_t errlen)
{
	if (mkdir_all(dir, err, errlen) != 0)
		return -1;
	if (write_via(d, dir, "diff.json", diff_json, err, errlen) != 0)
		return -1;
	return write_via(d, dir, "diff.md", diff_md, err, errlen);
}

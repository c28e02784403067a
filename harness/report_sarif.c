/* SPDX-License-Identifier: MIT */
/*
 * report_sarif: results.sarif (SARIF 2.1.0, OASIS; validated against the
 * official schema in tests/schema/ by ctest schema_sarif). One run: the
 * tool with one rule per check that has a result (id without "#end", its
 * title, catalog ids, references and severity from the scenario header or
 * policy rule), one SARIF result per result that is not PASS or SKIP:
 * FAIL/XPASS/WARN as kind "fail", XFAIL as "fail" suppressed by the
 * --xfail reason, ERROR/INCONCLUSIVE as kind "open" (not decided). The
 * location is the scenario file and the deciding line when there is one,
 * and always a logical location naming the target (or the node).
 * Invariants: deterministic (rules in first-result order), always valid
 * JSON and UTF-8 (peer bytes fixed as report_json does).
 */
#include "report_sarif.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report_escape.h"

static json_t *must(json_t *j)
{
	if (j == NULL)
		fatalx("report_sarif: out of memory");
	return j;
}

static void set(json_t *o, const char *k, json_t *v)
{
	if (json_object_set_new(o, k, must(v)) != 0)
		fatalx("report_sarif: cannot set %s", k);
}

static void push(json_t *a, json_t *v)
{
	if (json_array_append_new(a, must(v)) != 0)
		fatalx("report_sarif: cannot append");
}

static json_t *jstr(const char *s)
{
	s = s ? s : "";
	json_t *j = json_string(s); /* NULL for invalid UTF-8 */
	if (j)
		return j;
	struct buf b = {0};
	report_escape_fix_utf8(&b, (const uint8_t *)s, strlen(s));
	j = json_string(buf_cstr(&b));
	buf_free(&b);
	return must(j);
}

static json_t *text(const char *s)
{
	json_t *o = must(json_object());
	set(o, "text", jstr(s && s[0] ? s : "-"));
	return o;
}

/* The check a result belongs to: its id without the closing "#end". */
static char *rule_id(const struct result *r)
{
	size_t n = strcspn(r->id, "#");
	char *id = xcalloc(n + 1, 1);
	memcpy(id, r->id, n);
	return id;
}

static const char *level_of(const char *severity)
{
	if (severity && (strcmp(severity, "critical") == 0 || strcmp(severity, "high") == 0))
		return "error";
	if (severity && strcmp(severity, "medium") == 0)
		return "warning";
	return "note";
}

/* GitHub code scanning's 0.0-10.0 scale (properties."security-severity"). */
static const char *score_of(const char *severity)
{
	static const struct {
		const char *sev, *score;
	} m[] = {{"critical", "9.5"}, {"high", "8.0"}, {"medium", "5.5"}, {"low", "3.0"}};
	for (size_t i = 0; severity && i < sizeof m / sizeof m[0]; i++)
		if (strcmp(severity, m[i].sev) == 0)
			return m[i].score;
	return "0.0";
}

static json_t *rule_json(const struct result *r, const char *id)
{
	json_t *o = must(json_object());
	set(o, "id", jstr(id));
	set(o, "name", jstr(id));
	set(o, "shortDescription", text(r->title));
	struct buf b = {0};
	const char *title = r->title && r->title[0] ? r->title : id;
	size_t tl = strlen(title);
	buf_appendf(&b, "%s%s", title, title[tl - 1] == '.' ? "" : ".");
	if (r->ncatalog) {
		buf_appendf(&b, " Catalog:");
		for (size_t i = 0; i < r->ncatalog; i++)
			buf_appendf(&b, "%s %s", i ? "," : "", r->catalog[i]);
		buf_appendf(&b, ".");
	}
	if (r->nrefs) {
		buf_appendf(&b, " References:");
		for (size_t i = 0; i < r->nrefs; i++)
			buf_appendf(&b, "%s %s", i ? ";" : "", r->refs[i]);
		buf_appendf(&b, ".");
	}
	set(o, "fullDescription", text(buf_cstr(&b)));
	set(o, "help", text(buf_cstr(&b)));
	buf_free(&b);
	json_t *cfg = must(json_object());
	set(cfg, "level", jstr(level_of(r->severity)));
	set(o, "defaultConfiguration", cfg);
	json_t *props = must(json_object()), *tags = must(json_array());
	push(tags, jstr("security"));
	for (size_t i = 0; i < r->ncatalog; i++)
		push(tags, jstr(r->catalog[i]));
	for (size_t i = 0; i < r->nkeywords; i++)
		push(tags, jstr(r->keywords[i]));
	set(props, "tags", tags);
	set(props, "severity", jstr(r->severity));
	set(props, "security-severity", jstr(score_of(r->severity)));
	set(o, "properties", props);
	return o;
}

/* A file path as a URI reference: absolute paths as file:// URIs, the
 * rest relative; every byte outside unreserved and '/' percent-encoded. */
static json_t *uri_of(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	if (path[0] == '/')
		buf_appendf(&b, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p))
			buf_appendf(&b, "%c", *p);
		else
			buf_appendf(&b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	json_t *j = jstr(buf_cstr(&b));
	buf_free(&b);
	return j;
}

static json_t *location_json(const struct run *run, const struct result *r)
{
	json_t *loc = must(json_object());
	if (r->file && r->file[0]) {
		json_t *phys = must(json_object()), *art = must(json_object());
		set(art, "uri", uri_of(r->file));
		set(phys, "artifactLocation", art);
		if (r->line > 0) {
			json_t *reg = must(json_object());
			set(reg, "startLine", must(json_integer(r->line)));
			set(phys, "region", reg);
		}
		set(loc, "physicalLocation", phys);
	}
	json_t *lls = must(json_array()), *ll = must(json_object());
	set(ll, "name", jstr(r->node ? r->node : run->target));
	set(ll, "kind", jstr("resource"));
	push(lls, ll);
	set(loc, "logicalLocations", lls);
	return loc;
}

static json_t *result_json(const struct run *run, const struct result *r, size_t rule_index)
{
	json_t *o = must(json_object());
	char *id = rule_id(r);
	set(o, "ruleId", jstr(id));
	set(o, "ruleIndex", must(json_integer((json_int_t)rule_index)));
	bool open = r->verdict == V_ERROR || r->verdict == V_INCONCLUSIVE;
	set(o, "kind", jstr(open ? "open" : "fail"));
	set(o, "level", jstr(open ? "none" : r->verdict == V_WARN ? "warning" : level_of(r->severity)));
	struct buf b = {0};
	buf_appendf(&b, "%s: %s", result_verdict_label(r->verdict),
	            r->reason && r->reason[0] ? r->reason : (r->title ? r->title : ""));
	if (r->node)
		buf_appendf(&b, " (node %s)", r->node);
	set(o, "message", text(buf_cstr(&b)));
	buf_free(&b);
	json_t *locs = must(json_array());
	push(locs, location_json(run, r));
	set(o, "locations", locs);
	json_t *fp = must(json_object());
	char *key = xasprintf("%s|%s", r->id, r->node ? r->node : run->target);
	set(fp, "starkResult/v1", jstr(key));
	free(key);
	set(o, "partialFingerprints", fp);
	if (r->verdict == V_XFAIL) {
		json_t *sup = must(json_array()), *s = must(json_object());
		set(s, "kind", jstr("external"));
		set(s, "status", jstr("accepted"));
		set(s, "justification", jstr(r->xfail_reason ? r->xfail_reason : "--xfail"));
		push(sup, s);
		set(o, "suppressions", sup);
	}
	json_t *props = must(json_object());
	set(props, "verdict", jstr(result_verdict_name(r->verdict)));
	if (r->blocked_by)
		set(props, "blocked_by", jstr(r->blocked_by));
	set(o, "properties", props);
	free(id);
	return o;
}

static bool reported(const struct result *r)
{
	return r->verdict != V_PASS && r->verdict != V_SKIP;
}

int report_sarif(const struct run *run, FILE *f)
{
	json_t *root = must(json_object());
	set(root, "$schema", jstr("https://json.schemastore.org/sarif-2.1.0.json"));
	set(root, "version", jstr("2.1.0"));
	json_t *runs = must(json_array()), *jr = must(json_object());

	/* rules: one per check with a reported result, in first-result order */
	json_t *rules = must(json_array());
	char **ids = xcalloc(run->n + 1, sizeof *ids);
	size_t nids = 0;
	size_t *index = xcalloc(run->n + 1, sizeof *index);
	for (size_t i = 0; i < run->n; i++) {
		const struct result *r = &run->results[i];
		if (!reported(r))
			continue;
		char *id = rule_id(r);
		size_t k = 0;
		while (k < nids && strcmp(ids[k], id) != 0)
			k++;
		if (k == nids) {
			ids[nids++] = id;
			push(rules, rule_json(r, id));
		} else {
			free(id);
		}
		index[i] = k;
	}
	json_t *tool = must(json_object()), *driver = must(json_object());
	set(driver, "name", jstr("stark"));
	set(driver, "version", jstr(run->tool_version));
	set(driver, "semanticVersion", jstr(run->tool_version));
	set(driver, "rules", rules);
	set(tool, "driver", driver);
	set(jr, "tool", tool);

	json_t *inv = must(json_array()), *iv = must(json_object());
	set(iv, "executionSuccessful", json_boolean(!run->interrupted));
	set(iv, "exitCode", must(json_integer(run_exit_status(run))));
	char t[32];
	iso8601_ms(run->started_ms, t);
	set(iv, "startTimeUtc", jstr(t));
	iso8601_ms(run->started_ms + run->elapsed_ms, t);
	set(iv, "endTimeUtc", jstr(t));
	push(inv, iv);
	set(jr, "invocations", inv);

	json_t *results = must(json_array());
	for (size_t i = 0; i < run->n; i++)
		if (reported(&run->results[i]))
			push(results, result_json(run, &run->results[i], index[i]));
	set(jr, "results", results);
	json_t *props = must(json_object());
	set(props, "role", jstr(run->role));
	set(props, "target", jstr(run->target));
	set(props, "profile", jstr(run->profile));
	set(jr, "properties", props);
	push(runs, jr);
	set(root, "runs", runs);
	for (size_t k = 0; k < nids; k++)
		free(ids[k]);
	free(ids);
	free(index);
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0 || fputc('\n', f) == EOF)
		return -1;
	return ferror(f) ? -1 : 0;
}

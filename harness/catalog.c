/* SPDX-License-Identifier: MIT */
/*
 * catalog: builds the test catalog from the code (catalog_build/free,
 * catalog_markdown/json): scenario headers (runner_load), the policy rule
 * table (policy_rules), the domain rules (mtasts_rules, tlsrpt_rule), the
 * fuzz targets and features below, and the pending file for ids nothing
 * checks yet.
 * Invariants: an id in the pending file is checked nowhere and pending
 * nowhere else; output order and bytes depend only on the inputs (no
 * time, no version), so docs/catalog.md can be compared in a test.
 */
#include "catalog.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "policy.h"
#include "report_escape.h"
#include "runner.h"
#include "tlsrpt.h"
#include "util.h"

/* Family order of the research catalog's master table. */
static const char FAMILIES[] = "STXPCFO";
static const char *const family_title[] = {
    "S — the server's STARTTLS state machine and SMTP framing (`stark run`)",
    "T — TLS parameters behind STARTTLS (`stark scan`)",
    "X — certificates (`stark scan`)",
    "P — DANE, MTA-STS and TLS-RPT",
    "C — SMTP clients (`stark serve`)",
    "F — fuzz targets (`fuzz/`, seeds in `corpus/`)",
    "O — operation and reporting",
};

/* What the code does for F- and O- ids that is neither a scenario nor a
 * policy rule. A fuzz target's `where` is its name: fuzz/t_<name>.c with
 * seeds in corpus/<name>/ (the unit test checks both exist). */
static const struct {
	const char *id;
	enum catalog_kind kind;
	const char *title;
	const char *refs;
	const char *where;
} features[] = {
    {"F-01", CATALOG_FUZZ, "SMTP command line parser: spans, verbs, line ends, code patterns",
     "RFC 5321 4.5.3.1.4; RFC 5321 2.3.8", "smtp_cmd"},
    {"F-02", CATALOG_FUZZ, "SMTP reply parser: multi-line replies, codes, line limits",
     "RFC 5321 4.2.1", "smtp_reply"},
    {"F-03", CATALOG_FUZZ,
     "Plaintext-to-TLS transition, server side: nothing pipelined before the handshake is executed inside TLS",
     "RFC 3207 6; CVE-2011-0411", "transition_server"},
    {"F-03", CATALOG_FUZZ,
     "Plaintext-to-TLS transition, client side: nothing received before the handshake is read as a reply inside TLS",
     "RFC 3207 6; CVE-2020-14954", "transition_client"},
    {"F-04", CATALOG_FUZZ, "EHLO capability parser: keywords found in any case, grammar deviations flagged",
     "RFC 5321 4.1.1.1", "ehlo"},
    {"O-01", CATALOG_FEATURE, "The EHLO name is configurable", "",
     "`--helo NAME` of stark run, scan and serve"},
    {"O-02", CATALOG_FEATURE, "Every node behind a name is tested and compared", "",
     "stark scan with several `--target` or `--targets FILE` (the nodes are given, no MX lookup); "
     "fleet/ results for every property on which they disagree"},
    {"O-03", CATALOG_FEATURE, "Throttling is never a finding", "RFC 5321 3.8",
     "an unexpected 421 is INCONCLUSIVE (scenario S-20); the scan's probes retry a 421 with "
     "backoff; `-j 1` runs one scenario at a time"},
    {"O-04", CATALOG_FEATURE, "Machine-readable results with a stable schema", "",
     "`results.json` (schema in `reports/README.md`), `junit.xml`, `summary.md`, `index.html`"},
    {"O-05", CATALOG_FEATURE, "An exit status a CI can use", "",
     "0 clean, 1 any FAIL or XPASS, 2 any ERROR, interruption, bad usage or a run that "
     "showed nothing; WARN never changes it"},
};

static const char *const kind_name[] = {"scenario", "policy", "fuzz", "feature", "pending", "domain"};

/* "S-09a" -> family index, number, suffix; -1 if not [STXPCFO]-NN[a-z]? */
static int parse_id(const char *id, int *fam, int *num, char *suf)
{
	const char *f = id[0] ? strchr(FAMILIES, id[0]) : NULL;
	if (f == NULL || id[1] != '-' || id[2] < '0' || id[2] > '9' || id[3] < '0' || id[3] > '9')
		return -1;
	if (id[4] && (id[4] < 'a' || id[4] > 'z' || id[5]))
		return -1;
	*fam = (int)(f - FAMILIES);
	*num = (id[2] - '0') * 10 + (id[3] - '0');
	*suf = id[4];
	return 0;
}

/* "a; b;; c" -> {"a", "b", "c"} */
static char **split_refs(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	while (*s) {
		const char *e = strchr(s, ';');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		size_t a = 0, b = len;
		while (a < b && s[a] == ' ')
			a++;
		while (b > a && s[b - 1] == ' ')
			b--;
		if (b > a) {
			v = xrealloc(v, (*n + 1) * sizeof *v);
			v[(*n)++] = xstrndup(s + a, b - a);
		}
		s += len + (e != NULL);
	}
	return v;
}

static struct catalog_entry *add(struct catalog *c, const char *id, enum catalog_kind kind,
                                 const char *title, const char *severity, const char *where)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 128;
		c->e = xrealloc(c->e, c->cap * sizeof *c->e);
	}
	struct catalog_entry *e = &c->e[c->n];
	memset(e, 0, sizeof *e);
	e->id = xstrdup(id);
	e->kind = kind;
	e->title = xstrdup(title);
	e->severity = xstrdup(severity);
	e->where = xstrdup(where);
	e->reason = xstrdup("");
	e->seq = c->n++;
	return e;
}

static const struct catalog_entry *find(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].id, id) == 0)
			return &c->e[i];
	return NULL;
}

static int add_scenarios(struct catalog *c, const char *path, struct scn_diag *diag)
{
	char *p = xstrdup(path);
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	/* shown relative to the parent of what was named: .../scenarios -> scenarios/... */
	const char *slash = strrchr(p, '/');
	size_t skip = slash ? (size_t)(slash - p) + 1 : 0;
	struct scenario **s = NULL;
	size_t n = 0;
	int rc = runner_load(&p, 1, &s, &n, diag);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *shown = strncmp(s[i]->file, p, skip) == 0 ? s[i]->file + skip : s[i]->file;
		for (size_t k = 0; k < s[i]->ncatalog; k++) {
			struct catalog_entry *e =
			    add(c, s[i]->catalog[k], CATALOG_SCENARIO, s[i]->summary ? s[i]->summary : "",
			        s[i]->severity ? s[i]->severity : "", shown);
			e->refs = xcalloc(s[i]->nrefs + 1, sizeof *e->refs);
			for (size_t r = 0; r < s[i]->nrefs; r++)
				e->refs[r] = xstrdup(s[i]->refs[r]);
			e->nrefs = s[i]->nrefs;
		}
	}
	runner_free_scenarios(s, n);
	free(p);
	return rc;
}

static void add_policies(struct catalog *c)
{
	for (const struct policy_rule *r = policy_rules(); r->id; r++) {
		if (r->state)
			continue; /* what a rule reports when it cannot judge: not a check */
		struct catalog_entry *e = add(c, r->catalog, r->untested ? CATALOG_PENDING : CATALOG_POLICY,
		                              r->title, r->severity, r->id);
		e->refs = split_refs(r->ref, &e->nrefs);
		if (r->untested) {
			free(e->reason);
			e->reason = xstrdup(r->untested);
		}
		for (const struct policy *const *p = policy_all(); *p; p++)
			if (r->policies & (*p)->bit) {
				e->policies = xrealloc(e->policies, (e->npolicies + 1) * sizeof *e->policies);
				e->policies[e->npolicies++] = xstrdup((*p)->name);
			}
	}
}

/* The checks of a mail domain (MTA-STS, TLS-RPT): one row per rule. */
static void add_domain_rule(struct catalog *c, const struct mtasts_rule *r)
{
	struct catalog_entry *e = add(c, r->catalog, CATALOG_DOMAIN, r->title, r->severity, r->id);
	e->refs = split_refs(r->ref, &e->nrefs);
}

static void add_domain_rules(struct catalog *c)
{
	for (const struct mtasts_rule *r = mtasts_rules(); r->id; r++)
		add_domain_rule(c, r);
	add_domain_rule(c, tlsrpt_rule());
}

static void add_features(struct catalog *c)
{
	for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
		struct catalog_entry *e =
		    add(c, features[i].id, features[i].kind, features[i].title, "", features[i].where);
		e->refs = split_refs(features[i].refs, &e->nrefs);
	}
}

/* The pending file: loaded last, so an id that is checked anywhere else
 * (or listed twice) is found here. */
static int add_pending(struct catalog *c, const char *path, struct scn_diag *diag)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		scenario_diag_add(diag, path, strerror(errno));
		return -1;
	}
	int rc = 0, ln = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		ln++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		char *field[5] = {0};
		size_t nf = 0;
		for (char *s = line; s && nf < 5; nf++) {
			field[nf] = s;
			s = strchr(s, '\t');
			if (s)
				*s++ = '\0';
		}
		char *where = xasprintf("%s:%d", path, ln);
		int fam, num;
		char suf;
		const struct catalog_entry *old;
		if (nf != 5 || strchr(field[4], '\t') || !field[0][0] || !field[2][0] || !field[4][0]) {
			scenario_diag_add(diag, where, "expected id, severity, title, refs, reason separated by tabs");
			rc = -1;
		} else if (parse_id(field[0], &fam, &num, &suf) != 0) {
			char *why = xasprintf("'%s' is not an id like S-14 or S-09a", field[0]);
			scenario_diag_add(diag, where, why);
			free(why);
			rc = -1;
		} else if ((old = find(c, field[0])) != NULL) {
			char *why = old->kind == CATALOG_PENDING
			                ? xasprintf("%s is already pending%s%s", field[0], old->where[0] ? ": " : "",
			                            old->where)
			                : xasprintf("%s is checked by %s %s: it is not pending", field[0],
			                            kind_name[old->kind], old->where);
			scenario_diag_add(diag, where, why);
			free(why);
			rc = -1;
		} else {
			struct catalog_entry *e = add(c, field[0], CATALOG_PENDING, field[2],
			                              strcmp(field[1], "-") == 0 ? "" : field[1], "");
			e->refs = split_refs(field[3], &e->nrefs);
			free(e->reason);
			e->reason = xstrdup(field[4]);
		}
		free(where);
	}
	free(line);
	fclose(f);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;
	int fx, fy, nx, ny;
	char sx, sy;
	/* every id was validated before sorting (scenario.c or add_pending) */
	parse_id(x->id, &fx, &nx, &sx);
	parse_id(y->id, &fy, &ny, &sy);
	if (fx != fy)
		return fx - fy;
	if (nx != ny)
		return nx - ny;
	if (sx != sy)
		return sx - sy;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int catalog_build(struct catalog *c, char *const *paths, size_t npaths, const char *pending,
                  struct scn_diag *diag)
{
	memset(c, 0, sizeof *c);
	int rc = 0;
	for (size_t i = 0; i < npaths; i++)
		if (add_scenarios(c, paths[i], diag) != 0)
			rc = -1;
	add_policies(c);
	add_domain_rules(c);
	add_features(c);
	if (add_pending(c, pending, diag) != 0)
		rc = -1;
	for (size_t i = 0; i < c->n; i++) {
		int f, n;
		char s;
		if (parse_id(c->e[i].id, &f, &n, &s) != 0)
			fatalx("catalog: malformed id %s from %s", c->e[i].id, c->e[i].where);
	}
	qsort(c->e, c->n, sizeof *c->e, cmp_entry);
	return rc;
}

void catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct catalog_entry *e = &c->e[i];
		free(e->id);
		free(e->title);
		free(e->severity);
		strv_free(e->refs, e->nrefs);
		free(e->where);
		strv_free(e->policies, e->npolicies);
		free(e->reason);
	}
	free(c->e);
	memset(c, 0, sizeof *c);
}

/* Ids in the catalog, and how many have at least one check. */
static void count(const struct catalog *c, size_t *ids, size_t *checked)
{
	*ids = *checked = 0;
	for (size_t i = 0; i < c->n; i++) {
		bool first = i == 0 || strcmp(c->e[i - 1].id, c->e[i].id) != 0;
		*ids += first;
		bool any = false;
		for (size_t k = i; k < c->n && strcmp(c->e[k].id, c->e[i].id) == 0; k++)
			any |= c->e[k].kind != CATALOG_PENDING;
		*checked += first && any;
	}
}

static void md(struct buf *b, const char *s)
{
	report_escape_md(b, (const uint8_t *)s, strlen(s));
}

/* A code span inside a table cell: no backtick can end it early, and a
 * '|' must still be escaped for GFM's table parser. */
static void md_code(struct buf *b, const char *s)
{
	buf_append(b, "`", 1);
	for (; *s; s++)
		buf_appendf(b, "%s", *s == '`' ? "'" : *s == '|' ? "\\|" : (char[]){*s, 0});
	buf_append(b, "`", 1);
}

/* Hand-written text (features, reasons): `spans` stay code spans. */
static void md_text(struct buf *b, const char *s)
{
	while (*s) {
		const char *q = strchr(s, '`');
		const char *r = q ? strchr(q + 1, '`') : NULL;
		char *plain = xstrndup(s, q && r ? (size_t)(q - s) : strlen(s));
		md(b, plain);
		free(plain);
		if (!(q && r))
			break;
		char *code = xstrndup(q + 1, (size_t)(r - q - 1));
		md_code(b, code);
		free(code);
		s = r + 1;
	}
}

static void md_where(struct buf *b, const struct catalog_entry *e)
{
	switch (e->kind) {
	case CATALOG_SCENARIO: md_code(b, e->where); break;
	case CATALOG_POLICY:
		buf_appendf(b, "policy rule ");
		md_code(b, e->where);
		for (size_t k = 0; k < e->npolicies; k++)
			buf_appendf(b, "%s%s", k ? ", " : " (", e->policies[k]);
		buf_appendf(b, ")");
		break;
	case CATALOG_FUZZ: {
		buf_appendf(b, "fuzz target ");
		md_code(b, e->where);
		char *src = xasprintf("fuzz/t_%s.c", e->where), *seeds = xasprintf("corpus/%s/", e->where);
		buf_appendf(b, " (");
		md_code(b, src);
		buf_appendf(b, ", seeds ");
		md_code(b, seeds);
		buf_appendf(b, ")");
		free(src);
		free(seeds);
		break;
	}
	case CATALOG_FEATURE: md_text(b, e->where); break;
	case CATALOG_DOMAIN:
		buf_appendf(b, "domain rule ");
		md_code(b, e->where);
		break;
	case CATALOG_PENDING:
		buf_appendf(b, "**not checked yet:** ");
		md_text(b, e->reason);
		if (e->where[0]) {
			buf_appendf(b, " (policy rule ");
			md_code(b, e->where);
			buf_appendf(b, " reports SKIP)");
		}
		break;
	}
}

char *catalog_markdown(const struct catalog *c)
{
	struct buf b = {0};
	size_t ids, checked;
	count(c, &ids, &checked);
	buf_appendf(&b,
	            "# stark test catalog\n"
	            "\n"
	            "Every catalog id, where stark checks it, or why it does not yet. Generated by\n"
	            "`stark catalog` from the scenario headers (`scenarios/`), the policy rule table\n"
	            "(`harness/policy.c`), the domain rules (`harness/mtasts.c`, `harness/tlsrpt.c`), the\n"
	            "fuzz targets and features (`harness/catalog.c`) and the ids not checked yet\n"
	            "(`docs/catalog-pending.tsv`); do not edit it by hand. After changing\n"
	            "any of them: `build/stark catalog > docs/catalog.md` (ctest `catalog_current` fails\n"
	            "while it is stale). `stark catalog --format json` gives the same as JSON.\n"
	            "\n"
	            "%zu ids, %zu checked, %zu not checked yet. A row per place an id is checked: an id\n"
	            "checked by several scenarios has a row for each, with that scenario's summary,\n"
	            "severity and references.\n",
	            ids, checked, ids - checked);
	int fam = -1;
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->e[i];
		int f, n;
		char s;
		parse_id(e->id, &f, &n, &s);
		if (f != fam) {
			fam = f;
			buf_appendf(&b, "\n## %s\n\n| id | title | severity | references | checked by |\n"
			                "|---|---|---|---|---|\n",
			            family_title[f]);
		}
		buf_appendf(&b, "| %s | ", e->id);
		md(&b, e->title);
		buf_appendf(&b, " | ");
		md(&b, e->severity[0] ? e->severity : "-");
		buf_appendf(&b, " | ");
		for (size_t r = 0; r < e->nrefs; r++) {
			if (r)
				buf_appendf(&b, "; ");
			md(&b, e->refs[r]);
		}
		if (e->nrefs == 0)
			buf_appendf(&b, "-");
		buf_appendf(&b, " | ");
		md_where(&b, e);
		buf_appendf(&b, " |\n");
	}
	char *out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

char *catalog_json(const struct catalog *c)
{
	size_t ids, checked;
	count(c, &ids, &checked);
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "ids", json_integer((json_int_t)ids));
	json_object_set_new(root, "checked", json_integer((json_int_t)checked));
	json_object_set_new(root, "entries", arr);
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->e[i];
		json_t *o = json_object(), *refs = json_array(), *pol = json_array();
		for (size_t r = 0; r < e->nrefs; r++)
			json_array_append_new(refs, json_string(e->refs[r]));
		for (size_t k = 0; k < e->npolicies; k++)
			json_array_append_new(pol, json_string(e->policies[k]));
		json_object_set_new(o, "id", json_string(e->id));
		json_object_set_new(o, "kind", json_string(kind_name[e->kind]));
		json_object_set_new(o, "title", json_string(e->title));
		json_object_set_new(o, "severity", str_or_null(e->severity));
		json_object_set_new(o, "refs", refs);
		json_object_set_new(o, "where", str_or_null(e->where));
		json_object_set_new(o, "policies", pol);
		json_object_set_new(o, "reason", str_or_null(e->reason));
		json_array_append_new(arr, o);
	}
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		fatalx("catalog: cannot encode JSON");
	char *out = xasprintf("%s\n", s);
	free(s);
	return out;
}

/* SPDX-License-Identifier: MIT */
/*
 * result: verdict names and a result's lifetime: result_start fills what a
 * scenario says about itself, result_free.
 */
#include "result.h"

#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "util.h"

static const char *const names[V__COUNT] = {"pass", "fail", "error", "skip", "xfail", "xpass",
                                            "inconclusive", "warn"};
static const char *const labels[V__COUNT] = {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS",
                                             "INCONCLUSIVE", "WARN"};

const char *result_verdict_name(enum verdict v)
{
	return (unsigned)v < V__COUNT ? names[v] : "?";
}

const char *result_verdict_label(enum verdict v)
{
	return (unsigned)v < V__COUNT ? labels[v] : "?";
}

static char **strv_dup(char **v, size_t n)
{
	char **o = xcalloc(n + 1, sizeof *o);
	for (size_t i = 0; i < n; i++)
		o[i] = xstrdup(v[i]);
	return o;
}

void result_start(struct result *r, const struct scenario *s)
{
	memset(r, 0, sizeof *r);
	r->id = xstrdup(s->id);
	r->title = xstrdup(s->summary ? s->summary : "");
	r->file = xstrdup(s->file ? s->file : "");
	r->severity = xstrdup(s->severity ? s->severity : "info");
	r->catalog = strv_dup(s->catalog, s->ncatalog);
	r->ncatalog = s->ncatalog;
	r->refs = strv_dup(s->refs, s->nrefs);
	r->nrefs = s->nrefs;
	r->keywords = strv_dup(s->keywords, s->nkeywords);
	r->nkeywords = s->nkeywords;
	r->started_ms = wall_ms();
	transcript_init(&r->tr);
}

void result_free(struct result *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->node);
	free(r->title);
	free(r->file);
	free(r->severity);
	strv_free(r->catalog, r->ncatalog);
	strv_free(r->refs, r->nrefs);
	strv_free(r->keywords, r->nkeywords);
	free(r->reason);
	free(r->xfail_reason);
	free(r->notes);
	free(r->blocked_by);
	free(r->trigger_output);
	transcript_free(&r->tr);
	memset(r, 0, sizeof *r);
}

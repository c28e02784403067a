/* SPDX-License-Identifier: MIT */
/*
 * result: verdict names, result/run lifetime (result_start fills what a
 * scenario says about itself; run_add is the one way a
 * result joins a run), summary counts and the exit status contract
 * (0 clean, 1 FAIL/XPASS, 2 ERROR). A run borrows its fleet (run->scan):
 * whoever built the fleet frees it.
 */
#include "result.h"

#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "util.h"

static const char *const names[V__COUNT] = {"pass", "fail", "error", "skip", "xfail", "xpass",
                                            "inconclusive"};
static const char *const labels[V__COUNT] = {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS",
                                             "INCONCLUSIVE"};

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < V__COUNT ? names[v] : "?";
}

const char *verdict_label(enum verdict v)
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

void run_init(struct run *run)
{
	memset(run, 0, sizeof *run);
	run->tool_version = xstrdup(STARK_VERSION);
	run->started_ms = wall_ms();
}

void run_free(struct run *run)
{
	for (size_t i = 0; i < run->n; i++)
		result_free(&run->results[i]);
	free(run->results);
	free(run->tool_version);
	free(run->role);
	free(run->target);
	free(run->profile);
	strv_free(run->argv, run->argc);
	memset(run, 0, sizeof *run);
}

void run_add(struct run *run, struct result *r)
{
	if (run->n == run->cap) {
		run->cap = run->cap ? run->cap * 2 : 32;
		run->results = xrealloc(run->results, run->cap * sizeof *run->results);
	}
	run->results[run->n++] = *r;
	memset(r, 0, sizeof *r);
	if (!run->has_tls && run->results[run->n - 1].has_tls &&
	    run->results[run->n - 1].tls.handshake_ok) {
		run->has_tls = true;
		run->tls = run->results[run->n - 1].tls;
	}
}

void run_summary(const struct run *run, size_t counts[V__COUNT])
{
	memset(counts, 0, sizeof(size_t) * V__COUNT);
	for (size_t i = 0; i < run->n; i++)
		counts[run->results[i].verdict]++;
}

int run_exit_status(const struct run *run)
{
	size_t c[V__COUNT];
	run_summary(run, c);
	/* A finding outranks an incomplete run: what FAILed is real either way. */
	if (c[V_FAIL] > 0 || c[V_XPASS] > 0)
		return 1;
	if (c[V_ERROR] > 0 || run->interrupted)
		return 2;
	return 0;
}

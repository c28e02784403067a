/* SPDX-License-Identifier: MIT */
/*
 * run: a run's lifetime, run_add (the one way a result joins a run: moved
 * in, listing order kept), summary counts and the exit status contract
 * (0 clean, 1 FAIL/XPASS, 2 ERROR, interrupted, or nothing shown: sanity
 * never passed, nothing PASSed, e.g. every result INCONCLUSIVE; WARN never
 * fails a run). A run borrows its fleet (run->scan): whoever built the
 * fleet frees it.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

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
	free(run->servername);
	free(run->suite);
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

static bool is_sanity(const struct result *r)
{
	for (size_t k = 0; k < r->nkeywords; k++)
		if (strcmp(r->keywords[k], "sanity") == 0)
			return true;
	return false;
}

static bool same_node(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Sanity ran (per node, in a scan) and neither its opening nor its closing
 * run PASSed: the target was never shown to be up, so no verdict stands. */
static bool sanity_never_passed(const struct run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		if (!is_sanity(&run->results[i]))
			continue;
		bool passed = false;
		for (size_t k = 0; k < run->n && !passed; k++)
			passed = is_sanity(&run->results[k]) && run->results[k].verdict == V_PASS &&
			         same_node(run->results[k].node, run->results[i].node);
		if (!passed)
			return true;
	}
	return false;
}

int run_exit_status(const struct run *run)
{
	size_t c[V__COUNT];
	run_summary(run, c);
	/* A finding outranks an incomplete run: what FAILed is real either way.
	 * WARN (a SHOULD-level finding) is reported, never a failed run. */
	if (c[V_FAIL] > 0 || c[V_XPASS] > 0)
		return 1;
	if (c[V_ERROR] > 0 || run->interrupted)
		return 2;
	/* No green run without work: nothing PASSed (nothing ran, or a 421 hid
	 * every answer, or all was skipped), or the target was never shown to
	 * be up. */
	if (c[V_PASS] + c[V_XFAIL] + c[V_WARN] == 0 || sanity_never_passed(run))
		return 2;
	return 0;
}

void run_describe(struct run *run, const char *role, const char *target, const char *profile,
                  int argc, char **argv)
{
	run->role = xstrdup(role);
	run->target = xstrdup(target);
	run->profile = xstrdup(profile);
	run->argc = (size_t)argc;
	run->argv = xcalloc((size_t)argc + 1, sizeof *run->argv);
	for (int i = 0; i < argc; i++)
		run->argv[i] = xstrdup(argv[i]);
}

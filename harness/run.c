/* SPDX-License-Identifier: MIT */
/*
 * run: a run's lifetime, run_add (the one way a result joins a run: moved
 * in, listing order kept), summary counts and the exit status contract
 * (0 clean, 1 FAIL/XPASS, 2 ERROR or interrupted; WARN never counts). A
 * run borrows its fleet (run->scan): whoever built the fleet frees it.
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
	/* A finding outranks an incomplete run: what FAILed is real either way.
	 * WARN (a SHOULD-level finding) is reported, never a failed run. */
	if (c[V_FAIL] > 0 || c[V_XPASS] > 0)
		return 1;
	if (c[V_ERROR] > 0 || run->interrupted)
		return 2;
	return 0;
}

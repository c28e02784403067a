/* SPDX-License-Identifier: MIT */
/*
 * progress: how far a run is, as four counters the core bumps and a reader
 * samples (done/total, running, failing). The runner and scan count; the
 * CLI draws (progress_line: one line on a terminal, redrawn in place).
 * Never decides a verdict, never prints unless the CLI asks it to.
 */
#ifndef STARK_PROGRESS_H
#define STARK_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	atomic_size_t total;   /* items announced so far (scenarios, node probes) */
	atomic_size_t done;
	atomic_size_t running;
	atomic_size_t failing; /* finished FAIL, ERROR or XPASS */
};

/* The counting side (runner, scan). Every function accepts NULL. */
void progress_plan(struct progress *p, size_t n);
void progress_unplan(struct progress *p, size_t n); /* announced, will not run */
void progress_begin(struct progress *p);
void progress_end(struct progress *p, bool failing);

/* The drawing side (CLI): a thread that redraws one line on f every
 * 250 ms ("\r" + erase line), the first within 250 ms. colour: the failing
 * count in red. progress_line_stop erases the line. */
struct progress_line;
struct progress_line *progress_line_start(const struct progress *p, const char *what, FILE *f,
                                          bool colour);
void progress_line_stop(struct progress_line *l);
/* The text of the line (no control bytes): for the drawer and tests. */
void progress_format(const struct progress *p, const char *what, int64_t elapsed_ms,
                     bool colour, char *out, size_t outlen);

#endif

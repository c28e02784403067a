/* SPDX-License-Identifier: MIT */
/*
 * runner: a run of many scenarios. Loads files and directories (sorted,
 * every lint error reported; requires/provides cycles refused), selects by
 * role and -k keyword, places sanity scenarios first and last (after the
 * providers of preconditions), runs them on N worker threads, turns a
 * dependant's FAIL/ERROR caused by a failed precondition into SKIP
 * (blocked_by names the root cause), applies the --xfail list and fills a
 * struct run in listing order (deterministic whatever the parallelism).
 */
#ifndef STARK_RUNNER_H
#define STARK_RUNNER_H

#include <stddef.h>

#include "exec.h"
#include "progress.h"
#include "run.h"
#include "scenario.h"

struct xfail_entry {
	char *id;
	char *reason;
};

struct runner_opts {
	struct exec_opts ex;
	enum scn_role role; /* which scenarios: target server (stark run) or client (stark serve) */
	int jobs;
	char **keywords; /* -k: keep scenarios with one of these keywords or id substrings */
	size_t nkeywords;
	struct xfail_entry *xfail;
	size_t nxfail;
	/* How one scenario is played; NULL: exec_run or exec_serve by role.
	 * The seam the mirror tests plug a peer into. */
	void (*play)(const struct scenario *s, const struct exec_opts *o, struct result *r,
	             void *ctx);
	void *play_ctx;
	/* Counted as scenarios start and end (NULL: none). The runner adds
	 * its jobs to progress->total unless progress_planned (the caller,
	 * e.g. scan, announced them with runner_count_jobs already). */
	struct progress *progress;
	bool progress_planned;
};

/* Load every .scn under paths (files or directories, recursively, sorted).
 * Returns 0, or -1 with every diagnostic ("path: message") in diag: a path
 * without any scenario, a FIFO or other non-regular file (never opened), a
 * symlink loop or a directory reached twice, one id in two files. */
int runner_load(char *const *paths, size_t npaths, struct scenario ***out, size_t *nout,
                struct scn_diag *diag);
void runner_free_scenarios(struct scenario **s, size_t n);
/* Read an xfail file: "ID  reason" per line, '#' comments. 0 or -1 with err. */
int runner_load_xfail(const char *path, struct xfail_entry **out, size_t *nout, char *err,
                      size_t errlen);
void runner_free_xfail(struct xfail_entry *x, size_t n);
/* The scenarios runner_run would run for o (role, -k): *nsanity sanity
 * scenarios; returns the number of the others. */
size_t runner_count_selected(struct scenario *const *s, size_t n, const struct runner_opts *o,
                             size_t *nsanity);
/* How many scenario runs runner_run makes for o: the selected ones, and
 * sanity twice. */
size_t runner_count_jobs(struct scenario *const *s, size_t n, const struct runner_opts *o);
/* What a run plays, as "fnv1a64:<16 hex>" over extra (e.g. the scan's
 * policy name, may be NULL) and the canonical dump of every scenario o
 * selects, in listing order: equal digests mean the same checks with the
 * same expectations, so two runs' ids can be compared one to one. */
char *runner_suite_digest(struct scenario *const *s, size_t n, const struct runner_opts *o,
                          const char *extra);
/* No green run without work: after the role and -k something besides
 * sanity must be left. 0, or -1 with why. */
int runner_check_selection(struct scenario *const *s, size_t n, const struct runner_opts *o,
                           char *err, size_t errlen);
/* Run the selected scenarios against o->ex's target; results appended to run. */
void runner_run(struct scenario *const *s, size_t n, const struct runner_opts *o, struct run *run);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * diff: the change between two runs (results.json files of any stark
 * version with schema "stark-results/N"): which results got worse
 * (regressions), which were fixed, which still fail, which were not run,
 * and whether the runs are comparable (role, target, servername, profile,
 * suite, policy). The gate of `stark diff` and `--baseline`: exit 1 only
 * on a regression. Reads JSON with jansson; writes diff.json and diff.md
 * and a terminal summary. Never runs anything, never changes a verdict.
 */
#ifndef STARK_DIFF_H
#define STARK_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum diff_kind {
	DIFF_REGRESSION,    /* NEW fails where OLD did not (or a new id that fails) */
	DIFF_FIXED,         /* OLD failed, NEW passes (PASS/WARN/SKIP/XFAIL) */
	DIFF_STILL_FAILING, /* bad in both (FAIL/ERROR/XPASS, possibly another of them) */
	DIFF_NOT_RUN,       /* in OLD, absent from NEW */
	DIFF_INCONCLUSIVE,  /* NEW is INCONCLUSIVE (never a regression) */
	DIFF_CHANGED,       /* another verdict, neither side bad (e.g. PASS -> WARN, -> SKIP) */
	DIFF_NEW,           /* absent from OLD, not failing in NEW */
	DIFF_UNCHANGED,     /* same verdict, not failing */
	DIFF__COUNT
};
const char *diff_kind_name(enum diff_kind k); /* "regression", "fixed", ... (JSON keys) */

struct diff_item {
	enum diff_kind kind;
	bool regression;     /* counts against the gate (every REGRESSION; a NOT_RUN
	                        under the rule in docs/ci.md) */
	char *id, *node;     /* node: a scan's target, or NULL */
	char *title;
	char *old_verdict;   /* "pass", ... or NULL when absent */
	char *new_verdict;
	char *reason;        /* NEW's reason (OLD's when absent from NEW) */
};

struct diff_side {
	char *path, *version, *role, *target, *servername, *profile, *suite, *policy;
	bool interrupted;
	bool identity;       /* run.suite and run.servername are in the file (newer stark) */
	size_t shown;        /* results PASS, WARN or XFAIL: the run showed something */
};

struct diff {
	struct diff_side old, now;
	char **notes;        /* "the baseline came from another target: ..." */
	size_t nnotes;
	const char *unusable; /* why NEW cannot pass a gate (interrupted, nothing shown,
	                         another role), or NULL */
	struct diff_item *items; /* NEW's result order, then the ids only OLD has */
	size_t n;
	size_t count[DIFF__COUNT];
	size_t nregressions;
};

/* Is path a results.json diff can read? 0, or -1 with why. */
int diff_check_baseline(const char *path, char *err, size_t errlen);
/* Compare OLD with NEW into d (zeroed here; free with diff_free). 0, or -1
 * with why (unreadable, not a stark results.json). */
int diff_files(const char *old_path, const char *new_path, struct diff *d, char *err,
               size_t errlen);
void diff_free(struct diff *d);
/* 1 on any regression; else 2 if NEW is unusable; else 0. */
int diff_exit_status(const struct diff *d);
/* The summary for a terminal or CI log: the notes, every item that is not
 * UNCHANGED, the counts. quiet: nothing. */
void diff_terminal(const struct diff *d, bool quiet, FILE *f);
/* diff.json (schema reports/diff.schema.json) and diff.md into dir. */
int diff_write(const struct diff *d, const char *dir, char *err, size_t errlen);
int diff_json(const struct diff *d, FILE *f);
int diff_md(const struct diff *d, FILE *f);

#endif

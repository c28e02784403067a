/* SPDX-License-Identifier: MIT */
/*
 * report: the reports of one run, every format a view of the same results.
 * results.json is canonical (schema in reports/README.md); junit.xml,
 * summary.md and index.html are derived (one writer each, report_<fmt>.h).
 * Never decides a verdict.
 */
#ifndef STARK_REPORT_H
#define STARK_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "run.h"

/* Write results.json, junit.xml, summary.md, index.html, results.sarif into dir (created if
 * missing). Each file is written to a temporary name and renamed, so a
 * reader never sees half a report. 0 ok, -1 with err filled. */
int report_write_all(const struct run *run, const char *dir, char *err, size_t errlen);

/* The terminal summary printed after a run (facts first, then counts). */
void report_terminal(const struct run *run, const char *dir, FILE *f);

/* The default report directory of a run: "reports/<role>-<time>-<pid>" (malloc'd). */
char *report_default_dir(const char *role);

#endif

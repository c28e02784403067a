/* SPDX-License-Identifier: MIT */
/*
 * report_md: summary.md, GitHub-flavoured Markdown for a CI job summary.
 * Called by report_write_all and the tests.
 */
#ifndef STARK_REPORT_MD_H
#define STARK_REPORT_MD_H

#include <stdio.h>

#include "run.h"

/* Writes summary.md for run to f. 0 ok, -1 on a write error. */
int report_md(const struct run *run, FILE *f);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * report_junit: junit.xml for CI, derived from the same results.
 * Called by report_write_all and the tests.
 */
#ifndef STARK_REPORT_JUNIT_H
#define STARK_REPORT_JUNIT_H

#include <stdio.h>

#include "run.h"

/* Writes junit.xml for run to f. 0 ok, -1 on a write error. */
int report_junit(const struct run *run, FILE *f);

#endif

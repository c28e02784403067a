/* SPDX-License-Identifier: MIT */
/*
 * report_sarif: results.sarif, the run as a SARIF 2.1.0 log for code
 * scanning (GitHub) and other SARIF viewers. A derived view of the run,
 * like junit.xml: never decides a verdict.
 */
#ifndef STARK_REPORT_SARIF_H
#define STARK_REPORT_SARIF_H

#include <stdio.h>

#include "run.h"

int report_sarif(const struct run *run, FILE *f);

#endif

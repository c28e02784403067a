/* SPDX-License-Identifier: MIT */
/*
 * report_json: results.json, the canonical report (schema in reports/README.md).
 * Called by report_write_all and the tests.
 */
#ifndef STARK_REPORT_JSON_H
#define STARK_REPORT_JSON_H

#include <stdio.h>

#include "run.h"

/* Writes results.json for run to f. 0 ok, -1 on a write error. */
int report_json(const struct run *run, FILE *f);

#endif

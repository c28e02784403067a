/* SPDX-License-Identifier: MIT */
/*
 * results_read: a results.json read back into a struct run (every result
 * with its transcript and TLS facts) and, for a scan, the nodes of its
 * fleet: the inverse of report_json, for stark merge. The consistency
 * rows are not read (whoever joins runs computes them again). Never
 * decides a verdict: every field is what the file says.
 */
#ifndef STARK_RESULTS_READ_H
#define STARK_RESULTS_READ_H

#include <stddef.h>

#include "fleet.h"
#include "run.h"

/* Read path into run (run_init'ed by the caller) and fl (zeroed; filled
 * for role "scan" only, run->scan then points to it). 0, or -1 with
 * "path: why" (not JSON, not stark-results/1, a field of the wrong
 * type). Results whose id starts with "fleet/" are skipped when
 * skip_fleet: they are a view of the nodes, not a measurement. */
int results_read(const char *path, bool skip_fleet, struct run *run, struct fleet *fl, char *err,
                 size_t errlen);

#endif

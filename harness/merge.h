/* SPDX-License-Identifier: MIT */
/*
 * merge: the scans of one fleet made in parts (stark scan --shard I/N, or
 * scans of disjoint target lists) joined into one run, as scan_run would
 * have made it in one go: nodes in the order of the whole list, results
 * in scan's order, the fleet view computed over every node
 * (fleet_consistency). Refuses parts that are not of one scan. Never
 * probes, plays a scenario or changes a part's verdict.
 */
#ifndef STARK_MERGE_H
#define STARK_MERGE_H

#include <stddef.h>

#include "fleet.h"
#include "run.h"

/* Join parts[0..n) (each read by results_read, without fleet/ results)
 * into out (run_init'ed; its role, target, ... are set here, its argv is
 * the caller's) and fl (zeroed). Results and nodes are moved out of the
 * parts. 0, or -1 with why: a part that is not a scan, parts of other
 * suites/policies/profiles/servernames/stark versions, a node in two
 * parts, shards of different counts, a shard twice or missing, shards
 * mixed with whole scans. */
int merge_runs(struct run *parts, struct fleet *pfl, const char *const *names, size_t n,
               struct run *out, struct fleet *fl, char *err, size_t errlen);

#endif

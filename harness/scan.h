/* SPDX-License-Identifier: MIT */
/*
 * scan: stark scan from start to finish. Probes every node on the pool
 * (fleet), judges each under a policy (policy), plays the server suite per
 * node (runner) and, with several nodes, adds the fleet view. Public:
 * scan_run. Writes no report and prints nothing.
 */
#ifndef STARK_SCAN_H
#define STARK_SCAN_H

#include <stddef.h>

#include "exec.h"
#include "fleet.h"
#include "policy.h"
#include "progress.h"
#include "run.h"
#include "scenario.h"

struct scan_cfg {
	char *const *targets;        /* "host:port" each, as given */
	size_t ntargets;
	/* Optional, one per target (stark scan --domain): the name each node is
	 * checked against (SNI, certificate name; NULL entry: ex.servername)
	 * and its group (the MX host it serves): the fleet view flags a
	 * difference only between nodes of one group. */
	char *const *servernames;
	char *const *groups;
	/* Optional, one per target: the "ADDR:PORT" to connect to when the
	 * target is a label ("mx1.example.test[192.0.2.1]:25"). */
	char *const *connect;
	const struct policy *policy;
	/* servername, helo, timeout, profile, trust anchors and stop flag; host
	 * and port are filled in per node. */
	struct exec_opts ex;
	struct scenario *const *scns; /* the server suite per node; none: facts only */
	size_t nscns;
	char **keywords;             /* -k, as for stark run */
	size_t nkeywords;
	int jobs;                    /* nodes probed (and scenarios run) side by side */
	struct progress *progress;   /* node probes and scenarios counted here, or NULL */
	bool no_fleet_view;          /* --shard: a shard's nodes are part of a fleet; stark
	                                merge compares them all */
};

/* Fill fl (zeroed by the caller; it owns fl and frees it with fleet_free
 * after the run) and append every result to run; run->scan points to fl.
 * Never fails: unreachable nodes are facts and findings. A stop request
 * leaves out what was not measured and marks the run interrupted. */
void scan_run(const struct scan_cfg *cfg, struct fleet *fl, struct run *run);

#endif

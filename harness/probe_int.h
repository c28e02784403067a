/* SPDX-License-Identifier: MIT */
/*
 * probe_int: what probe.c (one connection per hello) and probescan.c (the
 * enumeration strategy of probe_scan) share, and nobody else may use: the
 * probe handle's fields and the scan's entry point. Invariant: included by
 * those two files only; everyone else sees struct probe as opaque (probe.h).
 */
#ifndef STARK_PROBE_INT_H
#define STARK_PROBE_INT_H

#include "probe.h"

struct probe {
	struct probe_target t;
	char *host, *port, *helo, *sni; /* owned copies */
	char pinned[64];                /* numeric address of the first connection */
	size_t connections;
};

/* probe_scan's body (probescan.c): same contract as probe_scan in probe.h. */
int probescan_run(struct probe *p, const struct probe_scan_opts *o, struct probe_report *rep);

#endif

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

/* A server that lets a ClientHello go unanswered until the timeout this
 * many times is a tarpit for every further probe (each would cost the
 * whole timeout): the probe opens no more connections to it. */
#define PROBE_STALLS_MAX 2
#define PROBE_STALLED_MSG "the server stalled the TLS handshake twice; probing stopped"

struct probe {
	struct probe_target t;
	char *host, *port, *helo, *sni; /* owned copies */
	char pinned[64];                /* numeric address of the first connection */
	size_t connections;
	unsigned stalls;                /* hellos answered by silence until the timeout */
};

/* probe_scan's body (probescan.c): same contract as probe_scan in probe.h. */
int probescan_run(struct probe *p, const struct probe_scan_opts *o, struct probe_report *rep);

#endif

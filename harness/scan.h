/* SPDX-License-Identifier: MIT */
/*
 * scan: the TLS facts of one or many targets (stark scan). Per node: raw
 * hello probing (probe), a full handshake with and without SNI for the
 * certificate facts (wtls, through conn), and optionally the server suite;
 * then a named policy turns facts into findings (policy), and across nodes
 * a consistency table flags what differs (fleet view). Plain data.
 */
#ifndef STARK_SCAN_H
#define STARK_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"
#include "result.h"
#include "wtls.h"

struct scan_opts {
	const char *servername;   /* SNI and the name the certificate must match; NULL: host */
	const char *helo;
	int64_t timeout_ms;
	struct wtls_config *tls;  /* client config with the trust anchors (--ca, system) */
	const volatile sig_atomic_t *stop;
};

struct scan_node {
	char *target;             /* "host:port" as given */
	char *host, *port;
	int probe_rc;             /* probe_scan's return: -1 = could not be probed at all */
	struct probe_report probe;
	bool has_tls;             /* a full handshake (with SNI) was attempted */
	bool tls_ok;
	struct wtls_facts tls;
	char tls_error[256];
	bool has_nosni;           /* the same without SNI */
	char nosni_sha256[65];    /* leaf fingerprint without SNI ("" if the handshake failed) */
	int64_t elapsed_ms;
};

/* Probe one node and take its certificate facts. Never fails: problems are
 * in probe_rc / probe.errors / tls_error. */
void scan_node_run(struct scan_node *n, const struct scan_opts *o);
void scan_node_free(struct scan_node *n);

/* One row of the fleet view: a property and its value on each node. */
struct scan_row {
	char *property;  /* "certificate", "versions", "suites TLSv1.2", "T-03", "server/s08-..." */
	bool consistent;
	char **values;   /* one per node, in node order */
};

struct scan_fleet {
	char *policy;
	struct scan_node *nodes;
	size_t nnodes;
	struct scan_row *rows;
	size_t nrows;
};
void scan_fleet_free(struct scan_fleet *f);

/* Build the consistency table from the nodes and the run's results (each
 * result's node field says where it belongs), and append one FAIL result
 * per inconsistent property (id "fleet/<property>") so every report format
 * shows it. */
void scan_consistency(struct scan_fleet *f, struct run *run);

/* "TLSv1.2 TLSv1.3" style summary of supported versions into out. */
void scan_versions_str(const struct probe_report *p, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * run: many results and what they add up to, as plain data (no printing).
 * A run holds one result per executed scenario or rule, in the order they
 * were listed (not the order parallel workers finished), so reports are
 * deterministic; run_add is the one way a result joins a run.
 */
#ifndef STARK_RUN_H
#define STARK_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "wtls.h"

struct fleet;

struct run {
	char *tool_version;
	char *role;     /* "server" (stark run) or "client" (stark serve) */
	char *target;   /* "HOST:PORT" or trigger command */
	char *profile;
	char *servername;   /* --servername, or NULL (the target's host name) */
	char *suite;        /* digest of what was played (runner_suite_digest), or NULL */
	int shard_index;    /* --shard I/N of a scan: I and N; shard_count 0 = not sharded */
	int shard_count;
	char **argv;
	size_t argc;
	int64_t started_ms; /* wall clock */
	int64_t elapsed_ms;
	bool interrupted;   /* SIGINT/SIGTERM: results are what was done */
	struct result *results;
	size_t n, cap;
	/* Facts of the target: the first successful handshake of the run. */
	bool has_tls;
	struct wtls_facts tls;
	/* stark scan: per-node facts and the fleet view (NULL otherwise).
	 * Borrowed: the fleet's owner (scan's caller) frees it after the run. */
	const struct fleet *scan;
};

void run_init(struct run *run);
void run_free(struct run *run);
/* What a run is of: role, target, profile and the command line (copied). */
void run_describe(struct run *run, const char *role, const char *target, const char *profile,
                  int argc, char **argv);
/* Move *r to the end of the run (r is zeroed: the run owns it now). The
 * first successful handshake becomes the run's TLS facts. */
void run_add(struct run *run, struct result *r);
/* Count per verdict into counts[V__COUNT]. */
void run_summary(const struct run *run, size_t counts[V__COUNT]);
/* 1: any FAIL or XPASS; else 2 if any ERROR, the run was interrupted,
 * nothing PASSed or WARNed (no result, all INCONCLUSIVE or SKIP), or a
 * sanity scenario ran and never PASSed (on that node); else 0. WARN never
 * fails a run. */
int run_exit_status(const struct run *run);

#endif

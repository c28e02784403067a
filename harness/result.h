/* SPDX-License-Identifier: MIT */
/*
 * result: verdicts and run results as plain data (no printing). A run holds
 * one result per executed scenario, in the order scenarios were listed (not
 * the order parallel workers finished), so reports are deterministic.
 */
#ifndef STARK_RESULT_H
#define STARK_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transcript.h"
#include "wtls.h"

struct fleet;
struct scenario;

enum verdict {
	V_PASS,
	V_FAIL,
	V_ERROR,
	V_SKIP,
	V_XFAIL,
	V_XPASS,
	V_INCONCLUSIVE,
	V__COUNT
};
const char *verdict_name(enum verdict v);  /* "pass", "fail", ... (JSON keys) */
const char *verdict_label(enum verdict v); /* "PASS", "FAIL", ... */

struct result {
	char *id;       /* scenario id; "#end" appended for the closing sanity run */
	char *node;     /* stark scan: the target this result belongs to, else NULL */
	char *title;    /* scenario summary */
	char *file;     /* scenario file */
	enum verdict verdict;
	char *severity;
	char **catalog;
	size_t ncatalog;
	char **refs;
	size_t nrefs;
	char **keywords;
	size_t nkeywords;
	char *reason;   /* "line N: ..." or "" for PASS */
	int line;       /* scenario line the verdict came from, 0 = none */
	char *xfail_reason; /* why the target is expected to fail (from --xfail), or NULL */
	char *notes;        /* remarks from `note` statements ("line N: ..."), or NULL */
	char *blocked_by;   /* SKIP, not run: the id of the FAIL/ERROR result that broke a
	                     * precondition it requires (the root cause), or NULL */
	int64_t started_ms; /* wall clock */
	int64_t elapsed_ms;
	struct transcript tr;
	bool has_tls;   /* a handshake was attempted */
	struct wtls_facts tls; /* facts of the last handshake */
	/* Client role (stark serve): the trigger's exit status and output. */
	bool has_trigger;
	int trigger_status;   /* exit status, or 128+signal, -1 never ran */
	char *trigger_output; /* captured stdout+stderr (capped), or NULL */
};

struct run {
	char *tool_version;
	char *role;     /* "server" (stark run) or "client" (stark serve) */
	char *target;   /* "HOST:PORT" or trigger command */
	char *profile;
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

/* Zero r and fill what the scenario says about itself (id, title, file,
 * severity, catalog, refs, keywords), the start time, an empty transcript. */
void result_start(struct result *r, const struct scenario *s);
void result_free(struct result *r);
void run_init(struct run *run);
void run_free(struct run *run);
/* Move *r to the end of the run (r is zeroed: the run owns it now). The
 * first successful handshake becomes the run's TLS facts. */
void run_add(struct run *run, struct result *r);
/* Count per verdict into counts[V__COUNT]. */
void run_summary(const struct run *run, size_t counts[V__COUNT]);
/* 0: no FAIL/XPASS/ERROR; 1: any FAIL or XPASS; else 2 if any ERROR or the run was interrupted. */
int run_exit_status(const struct run *run);

#endif

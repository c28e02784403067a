/* SPDX-License-Identifier: MIT */
/*
 * result: verdicts and one scenario's (or rule's) result as plain data (no
 * printing). Runs of many results are run.h's.
 */
#ifndef STARK_RESULT_H
#define STARK_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transcript.h"
#include "wtls.h"

struct scenario;

enum verdict {
	V_PASS,
	V_FAIL,
	V_ERROR,
	V_SKIP,
	V_XFAIL,
	V_XPASS,
	V_INCONCLUSIVE,
	/* A SHOULD-level finding (e.g. RFC 9325's "TLS 1.3 SHOULD be
	 * supported"): reported like a finding, ranked below FAIL, and it
	 * never changes the exit status. Last, so older values keep their
	 * numbers. */
	V_WARN,
	V__COUNT
};
const char *result_verdict_name(enum verdict v);  /* "pass", "fail", ... (JSON keys) */
const char *result_verdict_label(enum verdict v); /* "PASS", "FAIL", ... */

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
	bool throttled; /* INCONCLUSIVE: a 421 answered the first statement (the greeting), before
	                 * stark sent anything: the runner may run it again, paced */
	bool has_tls;   /* a handshake was attempted */
	struct wtls_facts tls; /* facts of the last handshake */
	/* Client role (stark serve): the trigger's exit status and output. */
	bool has_trigger;
	int trigger_status;   /* exit status, or 128+signal, -1 never ran */
	char *trigger_output; /* captured stdout+stderr (capped), or NULL */
};

/* Zero r and fill what the scenario says about itself (id, title, file,
 * severity, catalog, refs, keywords), the start time, an empty transcript. */
void result_start(struct result *r, const struct scenario *s);
void result_free(struct result *r);

#endif

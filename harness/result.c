/* SPDX-License-Identifier: MIT */
/*
 * result: verdict names and a result's lifetime (result_free).
 */
#include "result.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const names[V__COUNT] = {"pass", "fail", "error", "skip", "xfail", "xpass",
                                            "inconclusive", "warn"};
static const char *const labels[V__COUNT] = {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS",
                                             "INCONCLUSIVE", "WARN"};

const char *result_verdict_name(enum verdict v)
{
	return (unsigned)v < V__COUNT ? names[v] : "?";
}

const char *result_verdict_label(enum verdict v)
{
	return (unsigned)v < V__COUNT ? labels[v] : "?";
}

void result_free(struct result *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->node);
	free(r->title);
	free(r->file);
	free(r->severity);
	strv_free(r->catalog, r->ncatalog);
	strv_free(r->refs, r->nrefs);
	strv_free(r->keywords, r->nkeywords);
	free(r->reason);
	free(r->xfail_reason);
	free(r->notes);
	free(r->trigger_output);
	transcript_free(&r->tr);
	memset(r, 0, sizeof *r);
}

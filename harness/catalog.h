/* SPDX-License-Identifier: MIT */
/*
 * catalog: the test catalog (S- T- X- P- C- F- O- ids) as the code has it:
 * per id, every place it is checked (scenario file, policy rule, domain
 * rule, fuzz target, report feature) or why it is not checked yet (the pending file,
 * or a policy rule that always skips). Rendered as Markdown (docs/catalog.md)
 * and JSON. Sorted by family (S T X P C F O), number, suffix; an id in the
 * pending file is checked nowhere; every id is well-formed.
 */
#ifndef STARK_CATALOG_H
#define STARK_CATALOG_H

#include <stddef.h>

#include "scenario.h"

enum catalog_kind {
	CATALOG_SCENARIO, /* where: scenario file as displayed ("scenarios/server/s01-....scn") */
	CATALOG_POLICY,   /* where: policy rule id ("tls/t01-sslv2"), policies: who applies it */
	CATALOG_FUZZ,     /* where: fuzz target name ("smtp_cmd") */
	CATALOG_FEATURE,  /* where: what in stark provides it (free text) */
	CATALOG_PENDING,  /* not checked yet: reason; where: the rule that skips it, or "" */
	CATALOG_DOMAIN,   /* where: domain rule id ("mta-sts/p06-txt"): a check of a mail domain */
};

struct catalog_entry {
	char *id;       /* "S-09a" */
	enum catalog_kind kind;
	char *title;
	char *severity; /* "" when the id has none (fuzz targets, features) */
	char **refs;    /* "RFC 3207 4.2", "CVE-2011-0411" */
	size_t nrefs;
	char *where;
	char **policies; /* CATALOG_POLICY: the policies that apply the rule ("rfc", "mta-sts") */
	size_t npolicies;
	char *reason;   /* CATALOG_PENDING: why not checked yet, else "" */
	size_t seq;     /* insertion order: the tie-break of the sort */
};

struct catalog {
	struct catalog_entry *e;
	size_t n, cap;
};

/*
 * Build from the scenarios under paths (files or directories; each file
 * is shown relative to the parent of the path it was found under), the
 * policy rule table, the fuzz targets and features, and the pending file
 * ("id TAB severity TAB title TAB refs TAB reason" per line, '#'
 * comments, "-" for no severity). 0, or -1 with every problem in diag.
 */
int catalog_build(struct catalog *c, char *const *paths, size_t npaths, const char *pending,
                  struct scn_diag *diag);
void catalog_free(struct catalog *c);
/* Malloc'd NUL-terminated documents. */
char *catalog_markdown(const struct catalog *c);
char *catalog_json(const struct catalog *c);

#endif

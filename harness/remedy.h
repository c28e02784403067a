/* SPDX-License-Identifier: MIT */
/*
 * remedy: what a finding means, why it matters and how to fix it on the
 * common MTAs, as data: one entry per group of catalog ids (a check family
 * or kind, not one text per check). Read by the reports (report_view) and
 * the catalog (stark catalog, docs/catalog.md). Setting names are quoted
 * in `backticks` exactly as the MTAs' documentation spells them
 * (remedy_sources says which documents). Never decides a verdict.
 */
#ifndef STARK_REMEDY_H
#define STARK_REMEDY_H

#include <stddef.h>

enum remedy_mta { REMEDY_POSTFIX, REMEDY_EXIM, REMEDY_OPENSMTPD, REMEDY_SENDMAIL, REMEDY_HARAKA, REMEDY__MTAS };

struct remedy {
	const char *ids;     /* catalog ids, space separated ("S-08 S-09": S-09 covers S-09a..e) */
	const char *topic;   /* a short name for the group */
	const char *means;   /* what a FAIL or WARN of these checks says about the peer */
	const char *matters; /* why it matters */
	const char *fix[REMEDY__MTAS]; /* the settings to change; NULL: no setting, the code */
};

/* "Postfix", "Exim", "OpenSMTPD", "Sendmail", "Haraka" */
extern const char *const remedy_mta_name[REMEDY__MTAS];
/* What a NULL fix means, in one sentence. */
extern const char remedy_no_setting[];
/* The same, short, for one cell of a table of MTAs. */
extern const char remedy_no_setting_short[];
/* The documents the settings were checked against. */
extern const char remedy_sources[];
/* The entry whose ids name catalog_id (exact, or its number without the
 * letter suffix: "S-09a" -> "S-09"), or NULL. */
const struct remedy *remedy_find(const char *catalog_id);
/* All entries, in table order; *n set to their count. */
const struct remedy *remedy_all(size_t *n);

#endif

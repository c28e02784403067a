/* SPDX-License-Identifier: MIT */
/*
 * policy: named, documented rule sets that turn a node's TLS facts into
 * findings (catalog T- and X- rows), each citing the rule it applies.
 * Findings are results (verdict, severity, "rule: ..." reason), so every
 * report format shows them. Policies never probe; they only judge facts.
 */
#ifndef STARK_POLICY_H
#define STARK_POLICY_H

#include <stdbool.h>

#include "run.h"
#include "fleet.h"

struct policy {
	const char *name;
	const char *title;
	bool mta_sts;    /* MTA-STS-grade MX: PKIX and names mandatory, no anon, TLS >= 1.2 */
	unsigned bit;    /* this policy's bit in policy_rule.policies */
};

/*
 * One row of the rule table that evaluation and the catalog (catalog.c)
 * both read. A result id can have several rows: one per policy when the
 * rule cites another reference there (T-07, X-02), and a `state` row for
 * what is reported when the rule cannot be judged (no certificate, one
 * version only, the target cannot be probed) with its own title/reference.
 */
struct policy_rule {
	const char *id;        /* result id, "tls/t01-sslv2" */
	const char *catalog;   /* catalog id, "T-01" */
	const char *title;
	const char *severity;  /* critical|high|medium|low|info */
	const char *ref;       /* the rule the finding cites */
	unsigned policies;     /* bits of the policies that apply this row */
	const char *state;     /* NULL: the judgement itself; else when this row is used instead */
	const char *untested;  /* non-NULL: never judged (always SKIP), and why */
};

const struct policy *policy_find(const char *name); /* NULL if unknown */
const struct policy *policy_default(void);
/* Every policy, NULL-terminated (for --help and docs). */
const struct policy *const *policy_all(void);
/* The rule table, terminated by a row with id NULL. */
const struct policy_rule *policy_rules(void);
/* Append the findings for node n to run (result.node = n->target). */
void policy_eval(const struct policy *p, const struct fleet_node *n, const char *servername,
                 struct run *run);

#endif

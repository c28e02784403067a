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

#include "result.h"
#include "fleet.h"

struct policy {
	const char *name;
	const char *title;
	bool mta_sts;    /* MTA-STS-grade MX: PKIX and names mandatory, no anon, TLS >= 1.2 */
};

const struct policy *policy_find(const char *name); /* NULL if unknown */
const struct policy *policy_default(void);
/* Every policy, NULL-terminated (for --help and docs). */
const struct policy *const *policy_all(void);
/* Append the findings for node n to run (result.node = n->target). */
void policy_eval(const struct policy *p, const struct fleet_node *n, const char *servername,
                 struct run *run);

#endif

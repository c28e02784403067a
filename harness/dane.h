/* SPDX-License-Identifier: MIT */
/*
 * dane: DANE for SMTP (RFC 7672) judged from facts: an MX host's TLSA
 * records with their DNSSEC status (dns) against the chains its addresses
 * presented (fleet). Checks P-01..P-05, each a result citing its rule, with
 * the DNS evidence in the transcript. Never looks anything up or connects.
 */
#ifndef STARK_DANE_H
#define STARK_DANE_H

#include <stddef.h>

#include "dns.h"
#include "fleet.h"
#include "run.h"

/* One MX host's DNS facts (answers owned by the caller). */
struct dane_mx {
	const char *host;                /* "mx1.example.test" */
	const struct dns_answer *mx;     /* the domain's MX RRset it came from (NULL: implicit MX) */
	const struct dns_answer *addr[2]; /* its A and AAAA answers */
	const struct dns_answer *tlsa;   /* _25._tcp.<host> TLSA */
};

/* The rule table (id, catalog, title, severity, ref), NULL-terminated by id,
 * for the catalog. */
struct dane_rule {
	const char *id, *catalog, *title, *severity, *ref;
};
const struct dane_rule *dane_rules(void);

/* Append P-01, P-03, P-05 for the MX host (node = host) and P-02, P-04 per
 * node that serves it (node = its target), judged at now (seconds). */
void dane_eval(const struct dane_mx *mx, const struct fleet_node *const *nodes, size_t nnodes,
               int64_t now, struct run *run);

/* "secure, 2 usable TLSA records, match" style status of the MX host for the
 * domain view, into out. */
void dane_status(const struct dane_mx *mx, const struct fleet_node *const *nodes, size_t nnodes,
                 int64_t now, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * domain: stark scan --domain, a mail domain from its MX set to one
 * verdict. Resolves the MX set (MX, then A/AAAA of each host, RFC 5321
 * 5.1) and each host's TLSA with DNSSEC (dns), scans every MX host and
 * address as stark scan does (scan), judges DANE per MX host (dane),
 * MTA-STS and TLS-RPT per domain (mtasts, tlsrpt: their TXT records looked
 * up here, the policy fetched by mtasts_fetch), and adds the domain view. Public: domain_run, domain_free. Prints nothing,
 * writes no report.
 */
#ifndef STARK_DOMAIN_H
#define STARK_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "fleet.h"
#include "run.h"
#include "scan.h"

struct domain_cfg {
	char *const *domains;
	size_t ndomains;
	struct dns *dns;
	const char *port;   /* the port every MX is scanned on: "25" unless --port */
	uint16_t sts_port;  /* the MTA-STS policy host's port: 0 = 443 (--mta-sts-port) */
	/* policy, exec options, suite, -k, -j: as for stark scan; targets,
	 * servernames and groups are filled in from the MX set */
	struct scan_cfg scan;
};

struct domain_mx {
	char *host;         /* "mx1.example.test" (no trailing dot) */
	unsigned pref;
	struct dns_answer addr[2]; /* A, AAAA */
	struct dns_answer tlsa;    /* _25._tcp.<host> */
	size_t *node;              /* its nodes: indexes into the fleet */
	size_t nnodes;
	char sts[96];              /* MTA-STS for the domain view: "enforce, matches mx1.x" */
};

struct domain {
	char *name;
	struct dns_answer mx;
	bool implicit_mx;   /* no MX records: the domain itself (RFC 5321 5.1) */
	struct domain_mx *mxs;
	size_t nmx;
};

struct domain_set {
	struct domain *d;
	size_t n;
	struct fleet fl;     /* every node of every domain; run->scan points here */
	unsigned lookups;    /* DNS lookups made */
};

/* Resolve, scan and judge every domain into run (results in domain order).
 * Never fails: DNS failures are ERROR results. */
void domain_run(const struct domain_cfg *cfg, struct domain_set *ds, struct run *run);
void domain_free(struct domain_set *ds);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt: SMTP TLS Reporting (RFC 8460 3) for a mail domain, catalog P-09:
 * the _smtp._tls.<domain> TXT record (parse, judge the set). Input is the
 * TXT RRset the domain layer resolved (struct mtasts_txtset). Never
 * resolves, never sends a report, never adds to a run.
 */
#ifndef STARK_TLSRPT_H
#define STARK_TLSRPT_H

#include <stddef.h>

#include "mtasts.h"
#include "result.h"

struct tlsrpt_record {
	char **rua;   /* the URIs, "mailto:..." / "https://..." */
	size_t nrua;
};

/* 0: a valid record; 1: not a TLS-RPT record (does not start with
 * "v=TLSRPTv1", RFC 8460 3: discarded); -1: malformed (err says why:
 * no rua, a URI that is neither mailto: nor https:, bad delimiters). */
int tlsrpt_parse(const char *txt, struct tlsrpt_record *out, char *err, size_t n);
void tlsrpt_record_free(struct tlsrpt_record *r);

/* P-09 (the row mtasts_rule-shaped: id "tls-rpt/p09-record"). */
const struct mtasts_rule *tlsrpt_rule(void);

/* P-09 for domain from its _smtp._tls TXT set. The caller run_add()s r. */
void tlsrpt_judge(const char *domain, const struct mtasts_txtset *set, struct result *r);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * dns: DNS lookups whose DNSSEC status stark validates itself, through
 * libunbound (never by trusting a resolver's AD bit): each answer carries
 * secure / insecure / bogus, the rcode (NXDOMAIN and NODATA with their
 * authenticated denial) and the records as parsed rdata. Every lookup ends
 * within the deadline, whatever the server does. Small field extraction
 * from rdata (MX, TLSA, TXT, A, AAAA) for the callers; no wire parsing and
 * no validation of its own. Never judges what the records mean.
 */
#ifndef STARK_DNS_H
#define STARK_DNS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum { DNS_T_A = 1, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_TLSA = 52 };
enum { DNS_RCODE_NOERROR = 0, DNS_RCODE_SERVFAIL = 2, DNS_RCODE_NXDOMAIN = 3 };

enum dns_sec { DNS_SEC_INSECURE, DNS_SEC_SECURE, DNS_SEC_BOGUS };

struct dns_opts {
	const char *resolver;     /* "ADDR[:PORT]" to forward to; NULL: /etc/resolv.conf */
	const char *trust_anchor; /* zone-file DS/DNSKEY; NULL: dns-root-data's root key */
	int64_t timeout_ms;       /* per lookup */
	const volatile sig_atomic_t *stop;
};

struct dns_rr {
	uint8_t *data; /* rdata as on the wire (names uncompressed) */
	size_t len;
};

struct dns_answer {
	char *qname;
	int qtype;
	bool ok;            /* the lookup finished: rcode, sec and rr are meaningful */
	char error[256];    /* !ok: why (deadline, resolver failure) */
	int rcode;
	enum dns_sec sec;   /* secure: validated from the trust anchor (also the denial) */
	char why_bogus[256];
	size_t n;
	struct dns_rr *rr;
	int64_t elapsed_ms;
};

struct dns;

/* NULL with err filled (bad --resolver, unreadable --trust-anchor). */
struct dns *dns_new(const struct dns_opts *o, char *err, size_t errlen);
void dns_free(struct dns *d);
/* One lookup, bounded by the deadline; a fills in (free with dns_answer_free). */
void dns_query(struct dns *d, const char *name, int type, struct dns_answer *a);
void dns_answer_free(struct dns_answer *a);
/* Lookups made so far through d. */
unsigned dns_lookups(const struct dns *d);

const char *dns_sec_name(enum dns_sec s); /* "secure", "insecure", "bogus" */
const char *dns_type_name(int type);
const char *dns_rcode_name(int rcode);
/* An answer as evidence: "name TYPE: NOERROR, secure, 2 records" then one
 * line per record in presentation form. Appends to out. */
void dns_answer_describe(const struct dns_answer *a, struct buf *out);
/* "NOERROR, secure, 2 records" / "NXDOMAIN, secure (authenticated denial)"
 * / "bogus: why" / the error. */
void dns_answer_summary(const struct dns_answer *a, char *out, size_t outlen);

/* Field extraction; 0 ok, -1 malformed rdata. */
int dns_rr_mx(const struct dns_rr *rr, unsigned *pref, char *host, size_t hostlen);
int dns_rr_tlsa(const struct dns_rr *rr, unsigned *usage, unsigned *selector, unsigned *mtype,
                const uint8_t **data, size_t *len);
int dns_rr_txt(const struct dns_rr *rr, char *out, size_t outlen); /* strings joined */
int dns_rr_addr(int type, const struct dns_rr *rr, char *out, size_t outlen); /* A / AAAA */
/* A record in presentation form ("10 mx1.example.test.", "3 1 1 ab12..."). */
void dns_rr_text(int type, const struct dns_rr *rr, char *out, size_t outlen);

#endif

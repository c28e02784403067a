/* SPDX-License-Identifier: MIT */
/*
 * mtasts: MTA-STS (RFC 8461) for a mail domain, catalog P-06..P-08: the
 * _mta-sts TXT record (parse, judge the set), the policy fetched over HTTPS
 * with libcurl (mtasts_fetch), the policy file (parse, judge), the mx
 * pattern match and the judgement of every MX against the policy.
 * Input is data the caller already has: DNS answers come from the domain
 * layer (libunbound, dns.c), the per-MX STARTTLS/PKIX facts from its scans.
 * Never resolves a name itself: the HTTPS fetch connects only to the
 * addresses it is given (CURLOPT_RESOLVE/CONNECT_TO), no proxy, no
 * redirect followed, bounded in time and size. Never adds to a run: it
 * fills results; the caller run_add()s them.
 */
#ifndef STARK_MTASTS_H
#define STARK_MTASTS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define MTASTS_ID_MAX 32                /* RFC 8461 3.1: sts-id = 1*32(ALPHA / DIGIT) */
#define MTASTS_MAX_AGE_MAX 31557600L    /* RFC 8461 3.2 */
#define MTASTS_POLICY_MAX (64u * 1024u) /* RFC 8461 3.3: senders SHOULD limit the body (64 KiB) */

/* What a DNS lookup gave, as the domain layer saw it (dns.c maps its own
 * status onto this). NONE is an authoritative "nothing": NXDOMAIN or NODATA. */
enum mtasts_dns {
	MTASTS_DNS_ANSWER, /* records (possibly none that concern us) */
	MTASTS_DNS_NONE,   /* NXDOMAIN or NODATA */
	MTASTS_DNS_FAIL,   /* SERVFAIL, timeout, bogus, garbage: nothing is known */
};

/* A TXT RRset: each record's character-strings already concatenated
 * (RFC 8461 3.1 / RFC 8460 3: a record split into several strings is one
 * record). Borrowed pointers; used by tlsrpt.h too. */
struct mtasts_txtset {
	const char *qname;  /* "_mta-sts.example.test" (evidence) */
	enum mtasts_dns status;
	const char *dnssec; /* "secure" | "insecure" | "bogus" | NULL (evidence only) */
	const char *error;  /* MTASTS_DNS_FAIL: what went wrong, else NULL */
	const char *const *txt;
	size_t ntxt;
};

/* One parsed `v=STSv1; id=...` record. */
struct mtasts_txt {
	char id[MTASTS_ID_MAX + 1];
};

/* 0: a valid STS record; 1: not an STS record (does not start with
 * "v=STSv1", RFC 8461 3.1: discarded); -1: an STS record that is
 * malformed (err says why). */
int mtasts_txt_parse(const char *txt, struct mtasts_txt *out, char *err, size_t n);

enum mtasts_mode { MTASTS_MODE_NONE, MTASTS_MODE_TESTING, MTASTS_MODE_ENFORCE };

struct mtasts_policy {
	enum mtasts_mode mode;
	long max_age;
	char **mx;     /* patterns as written, lower-cased ("mail.example.net", "*.example.net") */
	size_t nmx;
	char *notes;   /* remarks that are not errors (unknown keys, duplicates ignored), or NULL */
};

/* Parse a policy body (CRLF or LF lines, RFC 8461 3.2): 0 ok, -1 with err
 * (missing/invalid version, mode, max_age; no mx with a mode other than
 * none; max_age out of 0..31557600). Unknown keys are ignored (noted). */
int mtasts_policy_parse(const char *body, size_t len, struct mtasts_policy *out, char *err,
                        size_t n);
void mtasts_policy_free(struct mtasts_policy *p);

/* An RFC 5321 Domain (LDH labels, no trailing dot, at most 253 bytes). */
bool mtasts_is_domain(const char *s);

/* RFC 8461 4.1: does mx_host (trailing dot allowed, any case) match a
 * pattern of p? "*.example.net" matches exactly one left-most label. */
bool mtasts_mx_match(const struct mtasts_policy *p, const char *mx_host);
/* The same for one pattern. */
bool mtasts_pattern_match(const char *pattern, const char *mx_host);

/* The HTTPS fetch of https://mta-sts.<domain>/.well-known/mta-sts.txt. */
struct mtasts_fetch_opts {
	/* The policy host's addresses as the domain layer resolved them
	 * ("127.0.0.5", "::1"); curl connects to these and nothing else. */
	const char *const *addrs;
	size_t naddrs;
	enum mtasts_dns addr_status; /* how the policy host's A/AAAA lookup ended */
	const char *addr_error;      /* MTASTS_DNS_FAIL: why */
	uint16_t port;               /* 0: 443; tests: the nginx port */
	const char *ca_file;         /* trust anchors (PEM) besides the system store, or NULL */
	bool no_system_ca;           /* trust ca_file alone (--no-system-ca) */
	int timeout_ms;              /* whole transfer, connect included (--timeout) */
	const volatile sig_atomic_t *stop; /* SIGINT/SIGTERM seen: give up at once, or NULL */
};

/* Why a fetch gave no usable response (the judge maps it to a verdict). */
enum mtasts_fetch_fail {
	MTASTS_FETCH_OK,        /* an HTTP response was received (any status) */
	MTASTS_FETCH_BAD_INPUT, /* not a domain name, no address given */
	MTASTS_FETCH_DNS_NONE,  /* the policy host has no address (NXDOMAIN/NODATA) */
	MTASTS_FETCH_DNS_FAIL,  /* its lookup failed */
	MTASTS_FETCH_CONNECT,   /* no TCP connection (refused, unreachable) */
	MTASTS_FETCH_TIMEOUT,   /* the deadline passed (connect, handshake or transfer) */
	MTASTS_FETCH_TLS_VERIFY, /* the certificate is not valid for the name / not trusted */
	MTASTS_FETCH_TLS,       /* another TLS failure (handshake) */
	MTASTS_FETCH_TOO_LARGE, /* the body went past MTASTS_POLICY_MAX */
	MTASTS_FETCH_INTERRUPTED, /* the stop flag was raised */
	MTASTS_FETCH_OTHER,     /* any other transport or HTTP framing failure */
};

struct mtasts_fetched {
	char *url;            /* https://mta-sts.<domain>/.well-known/mta-sts.txt */
	enum mtasts_fetch_fail fail;
	char *request;        /* the request header block as sent, or NULL */
	char *log;            /* libcurl's informational lines (connects, TLS), capped, or NULL */
	bool connected;       /* a TCP connection was made */
	bool tls_ok;          /* handshake done and certificate verified (PKIX, name) */
	char *tls_error;      /* the verification or handshake failure, or NULL */
	long http_status;     /* 0 when no response */
	char *headers;        /* the response header block as received, or NULL */
	char *content_type;   /* Content-Type value, or NULL */
	char *location;       /* a redirect's Location (never followed), or NULL */
	char *body;           /* NUL-terminated, at most MTASTS_POLICY_MAX bytes */
	size_t body_len;
	char *error;          /* transport failure (curl's message), or NULL */
	int64_t elapsed_ms;
};

/* Never blocks past o->timeout_ms (+ a small margin); 0 when an HTTP
 * response was received (any status), -1 otherwise (out->fail and
 * out->error say why). policy_domain is the mail domain ("example.test"). */
int mtasts_fetch(const char *policy_domain, const struct mtasts_fetch_opts *o,
                 struct mtasts_fetched *out);
void mtasts_fetched_free(struct mtasts_fetched *f);

/* Per MX: what the domain layer's scan established (RFC 8461 4.2: STARTTLS,
 * TLS >= 1.2, a PKIX-valid certificate for the MX host name). */
struct mtasts_mx {
	const char *host;   /* MX host name as in DNS */
	bool tls_known;     /* the scan ran to a conclusion on every address */
	bool tls_ok;        /* every address passed */
	char detail[512];   /* why not (known && !ok) or why unknown, else "" */
};

struct run;
/* Fill mx->tls_* and detail from the results a scan of the MX host's nodes
 * (result.node = each of targets, "addr:port") left in run: the handshake
 * and certificate rules X-01 (chain to a trusted root), X-02 (the MX host
 * name, the scan's servername), X-03 (validity). Any FAIL: known, not ok;
 * else an ERROR or a missing rule: unknown; else ok. host is borrowed. */
void mtasts_mx_from_run(struct mtasts_mx *mx, const char *host, const struct run *run,
                        const char *const *targets, size_t ntargets);

/* One domain rule = one catalog row (read by catalog.c and by the judges). */
struct mtasts_rule {
	const char *id;       /* result id, "mta-sts/p06-txt" */
	const char *catalog;  /* "P-06" */
	const char *title;
	const char *severity;
	const char *ref;      /* "RFC 8461 3.1" ("; " between several) */
};
/* P-06..P-08, terminated by a row with id NULL. */
const struct mtasts_rule *mtasts_rules(void);

/* Shared with tlsrpt: a domain result for rule ru (node = domain,
 * keywords "domain" and kw), and a TXT set as transcript notes. */
void mtasts_result_start(struct result *r, const struct mtasts_rule *ru, const char *domain,
                         const char *kw);
void mtasts_note_txtset(struct result *r, const char *rrtype, const struct mtasts_txtset *set);

/*
 * The whole MTA-STS story of a domain, judged step by step. The caller:
 *   mtasts_judge_txt(&st, domain, &txtset, &r6);      -> P-06
 *   if (st.txt_ok) { mtasts_fetch(...); mtasts_judge_policy(&st, domain, &fetched, &r7); } -> P-07
 *   mtasts_judge_mx(&st, domain, mx, nmx, &r8);       -> P-08
 * and run_add()s each result (node = domain). A later step after a
 * failed one gives SKIP naming the step (blocked_by the earlier id).
 */
struct mtasts_state {
	enum verdict txt_verdict;    /* P-06's verdict, V_SKIP before it ran */
	enum verdict policy_verdict; /* P-07's */
	bool txt_ok;                 /* exactly one valid STS record */
	bool published;              /* any STS record at all */
	struct mtasts_txt txt;
	bool policy_ok;              /* fetched and parsed */
	struct mtasts_policy policy; /* valid when policy_ok */
};
void mtasts_state_init(struct mtasts_state *st);
void mtasts_state_free(struct mtasts_state *st);

void mtasts_judge_txt(struct mtasts_state *st, const char *domain, const struct mtasts_txtset *set,
                      struct result *r);
/* f NULL: not fetched (the TXT step failed): SKIP. */
void mtasts_judge_policy(struct mtasts_state *st, const char *domain,
                         const struct mtasts_fetched *f, struct result *r);
void mtasts_judge_mx(const struct mtasts_state *st, const char *domain,
                     const struct mtasts_mx *mx, size_t nmx, struct result *r);

#endif

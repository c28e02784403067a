/* SPDX-License-Identifier: MIT */
/*
 * attack: the attack batteries testssl.sh users expect, behind STARTTLS,
 * on the raw path (hello.h, probe.h) rather than a patched TLS library:
 * Heartbleed, early ChangeCipherSpec injection, Ticketbleed and ROBOT
 * (catalog T-15); POODLE, SWEET32, FREAK, Logjam, DROWN, LUCKY13 and
 * BEAST (T-16), most of them read from the probe's facts without another
 * connection; and malformed records after the 220 (T-22): an oversized
 * record, a bad record version, a ClientHello fragmented across records, a
 * handshake interleaved with application data, an alert storm, and whether
 * the server still answers a normal hello afterwards.
 *
 * Each battery has a deterministic oracle (an answer, an alert, a close;
 * silence only where a deadline is the only way to know), a state and the
 * bytes as evidence (its own transcript). Plain data out: no verdicts
 * (policy.c judges the states), no printing.
 */
#ifndef STARK_ATTACK_H
#define STARK_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"
#include "transcript.h"

enum attack_id {
	ATK_HEARTBLEED,   /* CVE-2014-0160 */
	ATK_CCS,          /* CVE-2014-0224 */
	ATK_TICKETBLEED,  /* CVE-2016-9244 */
	ATK_ROBOT,        /* CVE-2017-13099 and kin */
	ATK_POODLE,       /* CVE-2014-3566: SSLv3 with CBC */
	ATK_SWEET32,      /* CVE-2016-2183: 64-bit block ciphers */
	ATK_FREAK,        /* CVE-2015-0204: RSA_EXPORT */
	ATK_LOGJAM,       /* CVE-2015-4000: DHE_EXPORT, DH < 1024 bits */
	ATK_DROWN,        /* CVE-2016-0800: SSLv2 */
	ATK_LUCKY13,      /* CVE-2013-0169: CBC suites (a fact) */
	ATK_BEAST,        /* CVE-2011-3389: CBC in SSLv3/TLS 1.0 (a fact) */
	ATK_REC_LENGTH,   /* T-22: a record longer than 2^14 + 2048 */
	ATK_REC_VERSION,  /* T-22: a record version whose major is not 3 */
	ATK_REC_FRAGMENTED, /* T-22: a valid ClientHello in 64-byte records (legal) */
	ATK_REC_INTERLEAVED, /* T-22: application data in the middle of the ClientHello */
	ATK_ALERT_STORM,  /* T-22: 200 warning alerts, then a ClientHello */
	ATK_STILL_SERVING, /* T-22: a normal hello on a new connection afterwards */
	ATK__COUNT
};

enum attack_state {
	ATK_UNTESTED = 0,     /* never reached (the scan stopped first) */
	ATK_NOT_VULNERABLE,   /* the oracle says no (or the precondition is absent) */
	ATK_VULNERABLE,       /* the oracle says yes */
	ATK_FACT,             /* a fact that is not a finding (LUCKY13, BEAST: CBC seen) */
	ATK_DEVIATION,        /* T-22: an answer RFC 5246/8446 does not expect, no crash */
	ATK_INCONCLUSIVE,     /* the oracle gave no usable answer (throttled, noisy oracle) */
	ATK_ERROR,            /* stark could not run it (connect, preamble, hello refused) */
};

const char *attack_name(enum attack_id id);        /* "heartbleed", "ccs-injection", ... */
const char *attack_state_name(enum attack_state s); /* "not vulnerable", ... */

struct attack_result {
	enum attack_state state;
	char detail[640];         /* the oracle's answer, for humans: always set once run */
	struct transcript tr;     /* the battery's own bytes (empty for fact-only ones) */
	size_t connections;
};

struct attack_report {
	bool ran;
	char why_not[160];        /* !ran: why the batteries were not run ("" = not asked) */
	struct attack_result r[ATK__COUNT];
	size_t connections;       /* all batteries together */
	int64_t wall_ms;
};

/* What the caller knows beyond the probe: the TLS leaf a full handshake
 * saw, so DROWN can say whether SSLv2 presents the same certificate (and
 * key), and the server name. Optional. */
struct attack_opts {
	const char *tls_leaf_sha256; /* hex; NULL or "" = unknown */
	const char *servername;      /* SNI of the handshake that fetches a ticket; NULL = none */
};

/*
 * Run every battery against the probe's target, after probe_scan has
 * filled rep (its versions and suites choose the hellos, and the fact
 * batteries read it). Every wait has the probe's deadline; a server that
 * stalls two hellos ends the batteries as INCONCLUSIVE. out is
 * initialised here; free it with attack_report_free.
 */
void attack_run(struct probe *p, const struct probe_report *rep, const struct attack_opts *o,
                struct attack_report *out);
void attack_report_free(struct attack_report *r);

/* The fact batteries alone (POODLE, SWEET32, FREAK, Logjam, DROWN as far as
 * the facts go, LUCKY13, BEAST): pure, no connection. attack_run calls it. */
void attack_facts(const struct probe_report *rep, struct attack_report *out);

/* The Ticketbleed oracle (RFC 5077 3.4: a server that accepts a ticket
 * echoes the client's session id): sent[0..sent_len) against the
 * ServerHello's session id. true = vulnerable (a longer echo that starts
 * with ours: memory follows it). Pure. */
bool attack_ticketbleed_leaks(const uint8_t *sent, size_t sent_len, const uint8_t *echo,
                              size_t echo_len);

#endif

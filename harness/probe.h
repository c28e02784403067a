/* SPDX-License-Identifier: MIT */
/*
 * probe: TLS parameter discovery behind STARTTLS with raw hellos (hello.h).
 * One probe = one TCP connection: greeting, EHLO, STARTTLS, one ClientHello,
 * the server's answer, close. A scan combines probes into the facts of the
 * T- rows of the catalog (versions, suites per version, server preference,
 * TLS_FALLBACK_SCSV, secure renegotiation, EMS, compression, groups,
 * signature schemes), using as few connections as the answers allow, and
 * counts them. Plain data out: no printing, no verdicts (policies decide).
 */
#ifndef STARK_PROBE_H
#define STARK_PROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "hello.h"
#include "transcript.h"

struct probe_target {
	const char *host, *port;
	const char *helo;         /* EHLO argument; NULL = "stark.test" */
	const char *servername;   /* SNI; NULL = host unless it is an IP literal; "" = none.
	                             All probes go to the address the first one reached. */
	int64_t timeout_ms;       /* deadline of each step (connect, each reply, the answer
	                             to the hello); 0 = 5000. One probe costs at most 5x this. */
	const volatile sig_atomic_t *stop; /* SIGINT/SIGTERM flag; may be NULL */
	struct transcript *tr;    /* optional: every probe's bytes, in order */
};

enum probe_outcome {
	PROBE_HELLO = 0,          /* a ServerHello / HelloRetryRequest / SSLv2 SERVER-HELLO */
	PROBE_ALERT,              /* refused with a TLS alert (or an SSLv2 ERROR) */
	PROBE_CLOSED,             /* closed (or reset) without a TLS answer */
	PROBE_SILENT,             /* no (complete) answer within the timeout */
	PROBE_GARBAGE,            /* answered with something that is not TLS, or broken TLS */
	PROBE_THROTTLED,          /* 421 to the greeting, EHLO or STARTTLS (RFC 5321 3.8) */
	PROBE_NO_STARTTLS,        /* the EHLO reply does not offer STARTTLS */
	PROBE_STARTTLS_REFUSED,   /* STARTTLS answered with something other than 220 */
	PROBE_ERROR,              /* could not connect, no greeting, bad reply, preamble timeout */
	PROBE_STOPPED,            /* interrupted */
};
const char *probe_outcome_name(enum probe_outcome o);

struct probe_result {
	enum probe_outcome outcome;
	struct hello_reply reply; /* valid for HELLO, ALERT, GARBAGE (kind says which) */
	int smtp_code;            /* the reply that decided THROTTLED / STARTTLS_REFUSED / ERROR */
	char detail[256];         /* for humans: why it ended this way */
	bool hello_sent;          /* the ClientHello went out (what came back is an answer to it) */
	int64_t ms;               /* wall time of this probe */
};

struct probe;
struct probe *probe_new(const struct probe_target *t);
void probe_free(struct probe *p);
/* TCP connections opened so far (successful connects). */
size_t probe_connections(const struct probe *p);

/*
 * Connect (to the pinned address) and run the SMTP preamble: greeting,
 * EHLO offering STARTTLS, STARTTLS answered 220. 0 with c ready for a TLS
 * handshake (the caller closes it), -1 with res->outcome saying why
 * (c closed or never opened: conn_close it anyway).
 */
int probe_starttls(struct probe *p, struct conn *c, struct probe_result *res);

/*
 * One connection with one ClientHello built from opts (copied: the random
 * and a non-empty session id get fresh random bytes; server_name is added
 * to TLS hellos when the target has a server name and opts->sni is NULL).
 * want_flight: for TLS <= 1.2 also wait for the rest of the server's flight
 * (up to ServerHelloDone) to see its ServerKeyExchange. Returns the
 * outcome (also in res->outcome).
 */
enum probe_outcome probe_hello(struct probe *p, const struct hello_opts *opts, bool want_flight,
                               struct probe_result *res);
/* The same, and the server's answer as received into *answer (replaced):
 * the bytes res->reply was parsed from, so its offsets (cert_der) index
 * into answer->data. */
enum probe_outcome probe_hello_keep(struct probe *p, const struct hello_opts *opts,
                                    bool want_flight, struct probe_result *res, struct buf *answer);

/* The same, leaving the connection open in *c for more records (the
 * caller conn_closes it whatever the outcome): c->in holds the answer as
 * received, res->reply parsed from it. For the attack batteries (attack.c),
 * which go on where the hello stops. */
enum probe_outcome probe_hello_open(struct probe *p, const struct hello_opts *opts, bool want_flight,
                                    struct probe_result *res, struct conn *c);
/* Where the bytes of later probes go (NULL: nowhere); returns the previous. */
struct transcript *probe_set_transcript(struct probe *p, struct transcript *tr);
/* The deadline of each step (struct probe_target.timeout_ms, defaulted). */
int64_t probe_timeout_ms(const struct probe *p);
/* Random bytes for hellos and premaster secrets of probes that are never
 * completed (getrandom; nothing secret depends on them). */
void probe_random(uint8_t *buf, size_t n);

/* ---------------------------------------------------------------- scan */

/* Versions, by index: the order of struct probe_report.v. */
enum probe_vidx { PV_SSL2, PV_SSL3, PV_TLS10, PV_TLS11, PV_TLS12, PV_TLS13, PV__COUNT };
uint16_t probe_vidx_version(enum probe_vidx i);
int probe_version_vidx(uint16_t version); /* -1 if not one of the six */

enum probe_check {
	PROBE_C_SUITES = 1u << 0,   /* every accepted suite per version (else: the first only) */
	PROBE_C_ORDER = 1u << 1,    /* server cipher preference (T-08) */
	PROBE_C_FALLBACK = 1u << 2, /* TLS_FALLBACK_SCSV (T-14) */
	PROBE_C_GROUPS = 1u << 3,   /* groups / key shares / DH size (T-09) */
	PROBE_C_SIGALGS = 1u << 4,  /* TLS 1.2 ServerKeyExchange signature schemes (T-10) */
	PROBE_C_ALL = (1u << 5) - 1,
};

struct probe_scan_opts {
	unsigned checks;              /* enum probe_check; 0 = PROBE_C_ALL. Versions, secure
	                                 renegotiation, EMS, compression, tickets and stapling
	                                 are always found (they ride on the version probes). */
	unsigned versions;            /* bit (1 << enum probe_vidx); 0 = all six */
	size_t max_suites_per_hello;  /* 0 = adaptive: the first big hello offers every
	                                 candidate; if the server chokes on it (closes, stays
	                                 silent, decode_error...), PROBE_SUITES_PER_HELLO */
	int throttle_retries;         /* extra attempts after a 421; 0 = 5, negative = none */
	int64_t throttle_backoff_ms;  /* first wait after a 421, doubled each time; 0 = 100 */
	size_t max_connections;       /* safety cap for one scan; 0 = 1000 */
	int64_t max_ms;               /* time budget of the whole scan; 0 = none (each step
	                                 still has the target's timeout) */
};

/* Suites per hello for servers that cannot read all ~370 candidates at
 * once: wolfSSL 5.5 closes the connection without an alert when a
 * ClientHello carries more than 150 (WOLFSSL_MAX_SUITE_SZ, 300 bytes).
 * Chunks cost one refusal each, plus about one probe per chunk to merge
 * the preference order. */
#define PROBE_SUITES_PER_HELLO 128

enum probe_tri { PROBE_TRI_UNKNOWN = 0, PROBE_TRI_YES, PROBE_TRI_NO };
const char *probe_tri_name(enum probe_tri t); /* "unknown", "yes", "no" */

#define PROBE_SUITES_MAX 256
#define PROBE_GROUPS_MAX 64
#define PROBE_SIGALGS_MAX 48
#define PROBE_ERRORS_MAX 16

struct probe_version_report {
	uint16_t version;
	bool tested;
	enum probe_tri supported;
	char why[160];            /* what decided "no" (e.g. "alert protocol_version") */
	size_t nsuites;
	uint16_t suites[PROBE_SUITES_MAX]; /* accepted suites in the order the server picked
	                                      them: its preference order when it enforces one */
	bool suites_complete;     /* the enumeration ended with the server refusing */
	enum probe_tri server_order; /* T-08: YES = the server enforces its own order */
	size_t nssl2;             /* SSLv2: the CIPHER-KINDs of the SERVER-HELLO */
	uint32_t ssl2_kinds[HELLO_SSL2_KINDS_MAX];
	size_t connections;       /* spent on this version (enumeration + order) */
};

struct probe_report {
	struct probe_version_report v[PV__COUNT]; /* SSLv2, SSLv3, TLS 1.0 .. 1.3 */
	uint16_t max_version;     /* highest supported, 0 if none */
	uint16_t first_cipher;    /* what the server picks at max_version from everything */

	/* from the ServerHello of the highest TLS <= 1.2 version accepted */
	uint16_t facts_version;   /* which version these facts come from (0 = none) */
	enum probe_tri secure_reneg;   /* T-12: renegotiation_info answered (RFC 5746) */
	enum probe_tri ems;            /* T-19: extended_master_secret answered (RFC 7627) */
	enum probe_tri compression;    /* T-11: YES = chose DEFLATE when offered with null */
	uint8_t compression_method;
	enum probe_tri ticket;         /* session_ticket answered (RFC 5077) */
	enum probe_tri ocsp_stapling;  /* status_request answered (RFC 6066 8) */
	enum probe_tri etm;            /* encrypt_then_mac answered (RFC 7366) */
	enum probe_tri downgrade_sentinel; /* ServerHello.random ends in DOWNGRD: a TLS 1.3
	                                      server must set it below 1.3 (RFC 8446 4.1.3) */

	/* T-14 */
	enum probe_tri fallback_scsv;  /* YES = inappropriate_fallback (RFC 7507 3) */
	uint16_t fallback_version;     /* the lower version the SCSV hello offered */
	char fallback_why[160];

	/* T-09 */
	size_t ngroups12;              /* TLS 1.2 ECDHE curves, in the order the server picked */
	uint16_t groups12[PROBE_GROUPS_MAX];
	bool groups12_complete;        /* ended with a refusal: nothing else is accepted */
	uint16_t groups12_unoffered;   /* a curve it chose although we did not offer it (0 = none):
	                                  RFC 8422 5.1.1 forbids that */
	uint16_t dh_bits;              /* TLS 1.2 DHE prime size (0 = no DHE suite) */
	size_t ngroups13;              /* TLS 1.3 groups (key_share or HRR), in pick order */
	uint16_t groups13[PROBE_GROUPS_MAX];
	bool groups13_complete;
	uint16_t groups13_unoffered;

	/* T-10 */
	size_t nsigalgs;               /* TLS 1.2 SKE signature schemes, in pick order */
	uint16_t sigalgs[PROBE_SIGALGS_MAX];
	bool sigalgs_complete;
	uint16_t sigalgs_unoffered;    /* RFC 5246 7.4.1.4.1: must be one the client offered */

	size_t connections;            /* TCP connections this scan opened */
	int64_t wall_ms;
	bool throttled;                /* a 421 outlasted the retries: facts are incomplete */
	bool stopped;
	size_t nerrors;
	char errors[PROBE_ERRORS_MAX][192];
};

/*
 * Run a scan. Returns 0 when it ran (the report may still carry errors for
 * parts that could not be decided), -1 when the target could not be probed
 * at all (no connection, no STARTTLS, throttled on the first probe,
 * interrupted) with the reason in rep->errors[0].
 */
int probe_scan(struct probe *p, const struct probe_scan_opts *o, struct probe_report *rep);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * refsrv: stark's embedded reference target, a small SMTP server with
 * STARTTLS built on the same core (smtp, conn, wtls, cert). Correct by
 * default; switches plant known flaws so tests can prove each scenario
 * catches exactly its bug. The session logic (refsess_*) is pure: bytes in,
 * bytes out, actions for the driver; no I/O, so fuzz targets and vendor
 * adapters drive it in memory.
 */
#ifndef STARK_REFSRV_H
#define STARK_REFSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum refsrv_flaw {
	FLAW_INJECT = 1u << 0,          /* plaintext pipelined after STARTTLS runs inside TLS (CVE-2011-0411) */
	FLAW_KEEP_STATE = 1u << 1,      /* EHLO state and open transaction survive STARTTLS (and EHLO) */
	FLAW_READVERTISE = 1u << 2,     /* STARTTLS offered again in the post-TLS EHLO */
	FLAW_RESTARTTLS = 1u << 3,      /* STARTTLS inside TLS answered 220 */
	FLAW_AUTH_PLAINTEXT = 1u << 4,  /* AUTH PLAIN LOGIN offered (and accepted) before TLS */
	FLAW_BAD_MULTILINE = 1u << 5,   /* malformed multi-line EHLO reply (mixed codes, bare LF) */
	FLAW_STARTTLS_PARAM = 1u << 6,  /* "STARTTLS foo" answered 220 */
	FLAW_CLOSE_ON_JUNK = 1u << 7,   /* closes the connection on an unknown command */
	FLAW_CODE_RANGE = 1u << 8,      /* HELP answered with a 6xx code */
	FLAW_THROTTLE = 1u << 9,        /* greets with 421 and closes (rate limiting) */
	FLAW_PLAIN_AFTER_FAIL = 1u << 10, /* after a failed handshake, goes on in plaintext */
	FLAW_PLAIN_AFTER_CLOSE = 1u << 11,/* after close_notify, goes on in plaintext */
	FLAW_FLUSH_PIPELINE = 1u << 12, /* drops pipelined input behind each command (RFC 2920 3.2) */
	FLAW__ALL = (1u << 13) - 1,
};

/* TLS 1.3 suites and the forward-secret AEAD TLS 1.2 suites (BCP 195). */
#define REFSRV_DEFAULT_CIPHERS                                                             \
	"TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"   \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                         \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"

struct refsrv_opts {
	unsigned flaws;
	bool submission;       /* RFC 3207 4: 530 before STARTTLS; AUTH only inside TLS */
	bool no_tls;           /* a listener without TLS: STARTTLS not offered, answered 502 */
	const char *hostname;  /* greeting/EHLO name; default "stark.test" */
	const char *servername;/* the name its certificate is issued for; default "localhost" */
	const char *cert;      /* certificate variant name (cert.h); default "good" */
	uint16_t tls_vmin, tls_vmax; /* 0 = TLS 1.2 .. 1.3 */
	const char *ciphers;   /* NULL = REFSRV_DEFAULT_CIPHERS */
	int64_t idle_timeout_ms; /* per read; default 10000 */
};

/* ---- pure session ---- */
enum refsess_action { RS_CONTINUE, RS_STARTTLS, RS_CLOSE };
struct refsess;
struct refsess *refsess_new(const struct refsrv_opts *o);
void refsess_free(struct refsess *s);
/* The greeting (220, or 421 under FLAW_THROTTLE: then RS_CLOSE). */
enum refsess_action refsess_greeting(struct refsess *s, struct buf *out);
/* Bytes from the client (plaintext, or decrypted inside TLS). Replies are
 * appended to out. RS_STARTTLS: flush out, then run the server handshake;
 * bytes after the STARTTLS line stay buffered in the session. */
enum refsess_action refsess_input(struct refsess *s, const uint8_t *p, size_t n, struct buf *out);
/* Append bytes to the session's input without processing them (they are
 * processed, or discarded, by refsess_tls_started). */
void refsess_absorb(struct refsess *s, const uint8_t *p, size_t n);
/* Handshake completed: RFC 3207 4.2 reset; buffered plaintext discarded
 * (unless FLAW_INJECT, which then executes it inside TLS). */
enum refsess_action refsess_tls_started(struct refsess *s, struct buf *out);
/* Handshake failed; raw = bytes the handshake consumed. Correct: RS_CLOSE. */
enum refsess_action refsess_tls_failed(struct refsess *s, const uint8_t *raw, size_t n,
                                       struct buf *out);
/* close_notify from the client. Correct: RS_CLOSE. */
enum refsess_action refsess_tls_ended(struct refsess *s, struct buf *out);
bool refsess_tls_active(const struct refsess *s);
/* F-03 oracle: commands executed inside TLS that had arrived before the
 * handshake. Must stay 0 without FLAW_INJECT. */
size_t refsess_injected(const struct refsess *s);

/* ---- network driver ---- */
struct refsrv;
/* Listen on host:port (port "0" = any free port) and serve in background
 * threads until refsrv_stop. NULL with err on failure. */
struct refsrv *refsrv_start(const struct refsrv_opts *o, const char *host, const char *port,
                            char *err, size_t errlen);
int refsrv_port(const struct refsrv *r);
const char *refsrv_ca_pem(const struct refsrv *r); /* CA of its certificate */
void refsrv_stop(struct refsrv *r);

/* "inject,keep-state" -> bits. 0 ok, -1 with err. "all" = every flaw. */
int refsrv_flaw_parse(const char *list, unsigned *flaws, char *err, size_t errlen);
const char *refsrv_flaw_name(unsigned bit);
const char *refsrv_flaw_help(unsigned bit);

#endif

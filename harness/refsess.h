/* SPDX-License-Identifier: MIT */
/*
 * refsess: the reference target's SMTP session, pure: bytes in, bytes out,
 * actions for the driver; no I/O, so refsrv (sockets, threads), fuzz
 * targets and vendor adapters all drive the same code. Correct by default;
 * the FLAW_* bits plant known bugs so tests prove each scenario catches
 * exactly its bug.
 */
#ifndef STARK_REFSESS_H
#define STARK_REFSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum refsess_flaw {
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

struct refsess_opts {
	unsigned flaws;        /* enum refsess_flaw bits */
	bool submission;       /* RFC 3207 4: 530 before STARTTLS; AUTH only inside TLS */
	bool no_tls;           /* a listener without TLS: STARTTLS not offered, answered 502 */
	const char *hostname;  /* greeting/EHLO name; default "stark.test" */
};

enum refsess_action { RS_CONTINUE, RS_STARTTLS, RS_CLOSE };
struct refsess;
struct refsess *refsess_new(const struct refsess_opts *o);
void refsess_free(struct refsess *s); /* NULL: no-op */
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

#endif

/* SPDX-License-Identifier: MIT */
/*
 * smtp: the pure wire grammar of RFC 5321. Incremental reply parser (client
 * side) and command-line parser (server side), EHLO keyword lookup, reply
 * code patterns. Deviations (bare LF, mixed codes, long line, NUL, 8-bit,
 * code out of range, bad syntax) are reported as flags, never fixed up.
 * No I/O, no allocation: results point into the caller's buffer.
 */
#ifndef STARK_SMTP_H
#define STARK_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SMTP_LINE_MAX 512          /* RFC 5321 4.5.3.1.4/4.5.3.1.5, incl. CRLF */
#define SMTP_HARD_LINE_MAX 65536   /* beyond this a line is hostile: parse error */
#define SMTP_REPLY_LINES_MAX 256   /* more lines in one reply: hostile, parse error */

enum smtp_flag {
	SMTP_F_BARE_LF = 1u << 0,      /* a line ended in LF without CR (RFC 5321 2.3.8) */
	SMTP_F_BARE_CR = 1u << 1,      /* a CR not followed by LF inside a line */
	SMTP_F_LONG_LINE = 1u << 2,    /* a line longer than SMTP_LINE_MAX incl. CRLF */
	SMTP_F_MIXED_CODES = 1u << 3,  /* lines of one reply carry different codes (4.2.1) */
	SMTP_F_NUL = 1u << 4,          /* NUL byte */
	SMTP_F_8BIT = 1u << 5,         /* byte >= 0x80 */
	SMTP_F_BAD_SYNTAX = 1u << 6,   /* line not "ddd", "ddd-text" or "ddd text" */
	SMTP_F_CODE_RANGE = 1u << 7,   /* code outside 2xx..5xx / second digit > 5 (4.2) */
	SMTP_F_BARE_CODE = 1u << 8,    /* final line is just "ddd" (allowed; noted) */
	SMTP_F_BAD_KEYWORD = 1u << 9,  /* EHLO line not ehlo-keyword grammar (4.1.1.1) */
};

struct smtp_span {
	size_t off, len;
};

struct smtp_reply {
	int code;            /* code of the final line; if that line is malformed
	                        (BAD_SYNTAX), of the last well-formed one, 0 if none */
	uint32_t flags;      /* enum smtp_flag */
	size_t nlines;
	struct smtp_span line[SMTP_REPLY_LINES_MAX];  /* whole line without terminator */
	struct smtp_span text[SMTP_REPLY_LINES_MAX];  /* text after "ddd-"/"ddd " ("" if none) */
	size_t len;          /* bytes consumed, incl. the final terminator */
};

/*
 * Parse one complete reply from buf. Returns bytes consumed (>0) with *r
 * filled, 0 if more bytes are needed, -1 if the input is hostile (a line
 * longer than SMTP_HARD_LINE_MAX or more than SMTP_REPLY_LINES_MAX lines),
 * with a static reason in *why. A line without a valid "ddd" prefix ends the
 * reply (flag BAD_SYNTAX, code 0 when it is the only line).
 */
ssize_t smtp_reply_parse(const uint8_t *buf, size_t len, struct smtp_reply *r, const char **why);

/* Case-insensitive EHLO keyword lookup on lines 2..n of a 250 reply
 * (RFC 5321 4.1.1.1). On a hit, *params (if non-NULL) gets the span of the
 * parameters after the keyword (may be empty). buf is the reply's buffer. */
bool smtp_ehlo_has(const uint8_t *buf, const struct smtp_reply *r, const char *keyword,
                   struct smtp_span *params);

/* SMTP_F_BAD_KEYWORD if any line 2..n of an EHLO reply is not
 * ehlo-keyword *(SP ehlo-param) (RFC 5321 4.1.1.1), else 0. */
uint32_t smtp_ehlo_check(const uint8_t *buf, const struct smtp_reply *r);

struct smtp_cmd {
	struct smtp_span verb;  /* first word, letters only per 4.1.1 (may be empty) */
	struct smtp_span args;  /* after the separating space, up to the terminator */
	struct smtp_span line;  /* whole line without terminator */
	uint32_t flags;         /* BARE_LF, BARE_CR, LONG_LINE, NUL, 8BIT, BAD_SYNTAX */
	size_t len;             /* bytes consumed incl. terminator */
};

/*
 * Parse one command line (terminated by CRLF or bare LF, which is flagged).
 * Returns bytes consumed (>0), 0 if no terminator yet, -1 if more than
 * SMTP_HARD_LINE_MAX bytes arrived without a terminator.
 */
ssize_t smtp_cmd_parse(const uint8_t *buf, size_t len, struct smtp_cmd *c);
/* Case-insensitive compare of the verb with a C string. */
bool smtp_cmd_is(const uint8_t *buf, const struct smtp_cmd *c, const char *verb);

/*
 * Reply code patterns: "any", or alternatives joined by '|', each three
 * characters of digit or 'x' ("220", "25x", "5xx", "4xx|5xx").
 */
bool smtp_codepat_valid(const char *pat);
bool smtp_codepat_match(const char *pat, int code);

/* Human text for a flag set, e.g. "bare LF, mixed codes". out >= 160 bytes. */
void smtp_flags_str(uint32_t flags, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * scenario: lexer and recursive-descent parser of .scn files into an
 * immutable step tree (every step knows its line and column), the canonical
 * dump (scenario_dump: parse(dump(s)) dumps byte-identical), and lint
 * diagnostics as "file:line:col: message", all of them, not just the first.
 * Never runs anything. The language is documented in scenarios/README.md.
 */
#ifndef STARK_SCENARIO_H
#define STARK_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_SEND_MAX (1024u * 1024u) /* one send statement expands to at most 1 MiB */

enum scn_role {
	SCN_TARGET_SERVER, /* "target server": stark is the SMTP client */
	SCN_TARGET_CLIENT, /* "target client": stark is the SMTP server */
};

/* One piece of a string expression: literal bytes repeated `repeat` times,
 * or a variable reference ${name} resolved by exec ("helo", "servername"). */
struct scn_part {
	uint8_t *bytes; /* literal (NULL for a variable) */
	size_t len;
	size_t repeat;  /* >= 1 */
	char *var;      /* variable name, or NULL for a literal */
};
/* A string expression: "a" "b"*3 "${helo}\r\n" -> parts. */
struct scn_str {
	struct scn_part *parts;
	size_t nparts;
};

enum step_kind {
	STEP_SEND,            /* send STR            exactly one write(2) / one TLS record */
	STEP_EXPECT_REPLY,    /* expect reply CODEPAT [has KW]* [lacks KW]* [alone] [strict] */
	STEP_EXPECT_COMMAND,  /* expect command VERB|any   (target client only) */
	STEP_EXPECT_CLOSE,    /* expect close */
	STEP_EXPECT_SILENCE,  /* expect silence DURATION */
	STEP_EXPECT_TLS,      /* expect tls ok|fail */
	STEP_EXPECT_SNI,      /* expect sni STR|none|any   the last ClientHello's SNI (target client) */
	STEP_TLS,             /* tls [version V[-V]] [ciphers STR] [servername STR] [glue STR] [cert NAME] [with-ca] */
	STEP_TLS_CLOSE,       /* tls close   send close_notify, continue in plaintext on the same TCP */
	STEP_ALT,             /* alt { ... } or { ... } [or { ... }]* */
	STEP_FAIL,            /* fail STR */
	STEP_SKIP,            /* skip STR */
	STEP_INCONCLUSIVE,    /* inconclusive STR */
	STEP_SINK,            /* sink   answer every further command as a permissive server until
	                       * the client quits or goes quiet (target client) */
	STEP_NOTE,            /* note STR   a remark on the result, no verdict */
	STEP_DELAY,           /* delay DURATION   stark waits (a slow peer, a tarpit) */
	STEP_VERIFY,          /* verify no-plaintext|no-command VERB... [STR] | verify trigger ok|fail [STR]
	                       * (target client; top level, after every other statement) */
};

enum scn_verify {
	VERIFY_NO_PLAINTEXT, /* the client sent none of these verbs before TLS was active */
	VERIFY_NO_COMMAND,   /* the client never sent these verbs, in any layer */
	VERIFY_TRIGGER,      /* the trigger's exit status was 0 (ok) or not (fail) */
};

struct scn_block {
	struct step *steps;
	size_t n;
};

struct scn_tls {
	uint16_t vmin, vmax; /* 0 = library default; else 0x0301..0x0304 */
	char *ciphers;       /* NULL = default */
	char *servername;    /* NULL = from the command line */
	struct scn_str glue; /* plaintext glued in front of the first TLS record (nparts 0 = none) */
	char *cert;          /* certificate variant name (target client), NULL = "good" */
	bool with_ca;        /* target client: the chain sent also carries stark's CA certificate */
};

struct step {
	enum step_kind kind;
	int line, col;
	/* SEND payload; FAIL/SKIP/INCONCLUSIVE/NOTE message */
	struct scn_str str;
	/* EXPECT_REPLY */
	char *codepat;
	char **has;
	size_t nhas;
	char **lacks;
	size_t nlacks;
	bool alone;  /* no further byte buffered after the reply */
	bool strict; /* reply must have no deviation flags (RFC 5321 4.2, 4.1.1.1) */
	/* EXPECT_COMMAND: verb, or "any" */
	char *verb;
	/* EXPECT_SILENCE, DELAY */
	int64_t ms;
	/* EXPECT_TLS */
	bool tls_ok;
	/* EXPECT_SNI: the name in str (compared without regard to case), none
	 * (no server_name extension) or any (some name) */
	enum scn_sni { SCN_SNI_NAME, SCN_SNI_NONE, SCN_SNI_ANY } sni;
	/* TLS */
	struct scn_tls tls;
	/* ALT: every branch starts with an expect step */
	struct scn_block *branches;
	size_t nbranches;
	/* VERIFY: kind, verbs (uppercase), trigger outcome; str = optional message */
	enum scn_verify verify;
	char **verbs;
	size_t nverbs;
	bool trigger_ok;
};

struct scenario {
	char *file;     /* path as given */
	char *id;       /* "scenario" header */
	enum scn_role role;
	char *summary;
	char **catalog; /* catalog ids, e.g. "S-08" */
	size_t ncatalog;
	char **refs;    /* "RFC 3207 4.2", "CVE-2011-0411" */
	size_t nrefs;
	char *severity; /* critical|high|medium|low|info */
	char **keywords;
	size_t nkeywords;
	char *profile;  /* NULL = any; target server: "mx" | "submission";
	                 * target client: "require-tls" | "opportunistic" */
	char **requires; /* preconditions this scenario needs (names other scenarios provide) */
	size_t nrequires;
	int requires_at; /* "requires ... at N": they matter from line N on (0: everywhere) */
	char **provides; /* preconditions this scenario establishes */
	size_t nprovides;
	int provides_at;    /* "provides ... at N": the top-level statement on line N
	                     * establishes them (0: the whole scenario) */
	int provides_until; /* a FAIL/ERROR from a line below this fails them
	                     * (the next top-level statement's line; INT_MAX: any) */
	struct scn_block body;
	struct scn_chunk *mem; /* every string and array above lives here */
};

struct scn_chunk; /* scenario_lex.c: an arena (a scenario's tree, a diag's messages) */

/* All diagnostics of one parse, each "file:line:col: message". */
struct scn_diag {
	char **msgs;
	size_t n, cap;
	struct scn_chunk *mem; /* the messages' text */
};
/* Append "file: why" (errors of loading rather than parsing). */
void scenario_diag_add(struct scn_diag *d, const char *file, const char *why);
void scenario_diag_free(struct scn_diag *d);

/* NULL on any error; every error is appended to diag (if non-NULL). */
struct scenario *scenario_parse(const char *file, const uint8_t *text, size_t len,
                                struct scn_diag *diag);
struct scenario *scenario_load(const char *path, struct scn_diag *diag);
void scenario_free(struct scenario *s);
/* Canonical form, malloc'd NUL-terminated text. */
char *scenario_dump(const struct scenario *s);
bool scenario_has_keyword(const struct scenario *s, const char *kw);
/* The milliseconds a scenario waits by script (delay, expect silence; an
 * alt counts its longest branch): a lower bound of its run time, known
 * before it runs (the runner starts the longest first). */
int64_t scenario_scripted_ms(const struct scenario *s);
/* The replies, commands, closes, silences and handshakes it waits for (an
 * alt counts its longest branch): the round trips it needs at least. */
size_t scenario_round_trips(const struct scenario *s);
/* Expand a string expression; vars resolved by lookup (NULL -> empty). */
typedef const char *(*scn_var_fn)(void *ctx, const char *name);
uint8_t *scenario_str_expand(const struct scn_str *s, scn_var_fn lookup, void *ctx, size_t *len);

#endif

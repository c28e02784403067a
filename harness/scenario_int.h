/* SPDX-License-Identifier: MIT */
/*
 * scenario_int: what the scenario module's files share, private to them
 * (scenario_lex.c: arena, string expressions, lexer and its diagnostics;
 * scenario.c: headers, blocks, alt, parse/load; scenario_stmt.c: the
 * statements table and their arguments; scenario_dump.c: the canonical
 * dump). Callers outside the module use scenario.h only. Invariant: every
 * statement has one row in scenario_stmts; parser and dump look there only.
 */
#ifndef STARK_SCENARIO_INT_H
#define STARK_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"
#include "util.h"

#define WORD_SHOW 40 /* longest word quoted back in a diagnostic */

/* ---------- small byte classes (no <ctype.h>: locale must not matter) ---------- */

static inline bool is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool is_lower(int c) { return c >= 'a' && c <= 'z'; }
static inline bool is_alpha(int c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }
static inline bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static inline bool is_space(int c) { return c == ' ' || c == '\t'; }
static inline int to_upper(int c) { return is_lower(c) ? c - 'a' + 'A' : c; }
/* keywords, certificate names: lowercase letters, digits, - */
static inline bool kwl_char(int c) { return is_lower(c) || is_digit(c) || c == '-'; }

static inline bool all_of(const char *s, size_t n, bool (*ok)(int))
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}


/* ---------- tokens and the parser's state ---------- */

enum tok_type {
	T_WORD, /* run of printable ASCII without space, '"' or '#' */
	T_STR,  /* one quoted string, maybe with *N */
	T_RAW,  /* summary/ref: the trimmed rest of the line */
};

struct tok {
	enum tok_type type;
	int col;
	const char *s; /* WORD/RAW text inside the line (not NUL-terminated) */
	size_t n;
	struct scn_str str; /* STR parts, owned until taken */
};

enum hdr {
	H_SCENARIO,
	H_TARGET,
	H_SUMMARY,
	H_CATALOG,
	H_REF,
	H_SEVERITY,
	H_KEYWORDS,
	H_PROFILE,
	H_REQUIRES,
	H_PROVIDES,
	H__COUNT,
};

struct parser {
	const char *file;
	const uint8_t *text;
	size_t len, pos; /* pos: start of the next line */
	int lineno;      /* current line, 1-based */
	struct scn_diag *diag;
	int nerr;
	struct scenario *s;
	bool in_body;    /* a statement line was seen: header keys are over */
	bool role_known; /* a valid target header was seen */
	bool quiet;      /* follow-up errors of an already reported line */
	int hdr_line[H__COUNT];
	int at_col[2];   /* column of "at" in the requires [0] and provides [1] headers */
	int verify_line;      /* first top-level verify: only verifications may follow */
	bool verify_reported;
	int depth;       /* alt nesting of the statement being parsed (0: top level) */
	bool line_ok;    /* its line lexed without error */
	struct tok *toks;
	size_t ntoks, captoks;
	struct buf lit; /* a string literal being lexed */
};

/* The arena of the scenario being built. */
#define MEM(p) (&(p)->s->mem)

static inline bool word_is_n(const struct tok *t, const char *w, size_t n)
{
	return t->type == T_WORD && t->n == n && memcmp(t->s, w, n) == 0;
}
/* a macro so that the length of a literal word is a constant */
#define word_is(t, w) word_is_n((t), (w), strlen(w))

/* Width and text for quoting a word back in a message. */
#define WSHOW(t) (int)((t)->n > WORD_SHOW ? WORD_SHOW : (t)->n), (t)->s

/* ---------- scenario_lex.c ---------- */

/* The arena (scn_chunk): n bytes, not zeroed, aligned for any type. */
void *scenario_lex_alloc(struct scn_chunk **m, size_t n);
char *scenario_lex_strndup(struct scn_chunk **m, const void *s, size_t n);
void scenario_lex_free_mem(struct scn_chunk *c);
/* Room for element n of an array grown one element at a time (by this only). */
void *scenario_lex_grow(struct scn_chunk **m, void *v, size_t n, size_t size);
/* Append s to the string vector (*v, *n) in the arena. */
void scenario_lex_strv_push(struct scn_chunk **m, char ***v, size_t *n, char *s);

/* Drop a string expression that nothing refers to any more. */
void scenario_lex_str_clear(struct scn_str *s);
bool scenario_lex_str_has_var(const struct scn_str *s);
/* No bytes and no variables. */
bool scenario_lex_str_empty(const struct scn_str *s);

/* "file:line:col: message" into p->diag, unless p->quiet; counts p->nerr. */
void scenario_lex_error(struct parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define TERR(p, t, ...) scenario_lex_error((p), (p)->lineno, (t)->col, __VA_ARGS__)

/* Advance to the next line; false at the end of the text. */
bool scenario_lex_next_line(struct parser *p, const uint8_t **l, size_t *n);
/* Tokenize one line into p->toks. false: an error, already reported. */
bool scenario_lex_line(struct parser *p, const uint8_t *l, size_t n);
/* Release the tokens and the literal buffer at the end of a parse. */
void scenario_lex_done(struct parser *p);
/*
 * Collect consecutive STR tokens from *ti into out (normalized). Returns
 * the number of tokens taken, or -1 after reporting an oversize string.
 */
int scenario_lex_take_str(struct parser *p, size_t *ti, struct scn_str *out);
/* Report the first unexpected token at or after ti; true if there was none. */
bool scenario_lex_no_more(struct parser *p, size_t ti, const char *after);

/* ---------- the statements ---------- */

enum stmt_flag {
	STMT_TERMINAL = 1u << 0, /* ends its block's run: what follows is unreachable */
	STMT_EXPECT = 1u << 1,   /* an expectation: may open an alt branch */
	STMT_LAST = 1u << 2,     /* top level only, after every other statement (verify) */
	STMT_BLOCK = 1u << 3,    /* opens blocks: parsed even on a damaged line, to keep the
	                          * braces matched (alt) */
};

#define STMT_ANY_ROLE (-1)

struct scn_stmt {
	const char *name;  /* the words that make it: "send", "expect reply", "tls close" */
	size_t nwords;     /* words in name: its first argument is token nwords */
	int role;          /* STMT_ANY_ROLE or the enum scn_role it is only valid for */
	unsigned flags;    /* enum stmt_flag */
	/* the arguments (tokens nwords..) into st; false after reporting */
	bool (*parse)(struct parser *p, struct step *st, const struct scn_stmt *row);
	/* what follows the name in the canonical form (NULL: nothing) */
	void (*dump)(struct buf *b, const struct step *st, int depth);
};

/* ---------- scenario_stmt.c: the statements table and their arguments ---------- */

/* Indexed by enum step_kind: the statement a step of that kind came from. */
extern const struct scn_stmt scenario_stmts[];
extern const size_t scenario_nstmts;
/* The first row of the family the line's first word names, or NULL. */
const struct scn_stmt *scenario_stmt_family(const struct tok *t0);
/* The line (p->toks) as a statement of fam's family into st (kind and
 * arguments): false after reporting. p->depth and p->line_ok are set. */
bool scenario_stmt_parse(struct parser *p, const struct scn_stmt *fam, struct step *st);

/* ---------- scenario.c ---------- */

/* alt { ... } or { ... }: the table's parse function of STEP_ALT. */
bool scenario_alt(struct parser *p, struct step *st, const struct scn_stmt *row);

/* ---------- scenario_dump.c: the statements' arguments ---------- */

void scenario_dump_message(struct buf *b, const struct step *st, int depth);
void scenario_dump_reply(struct buf *b, const struct step *st, int depth);
void scenario_dump_command(struct buf *b, const struct step *st, int depth);
void scenario_dump_ms(struct buf *b, const struct step *st, int depth);
void scenario_dump_tls_result(struct buf *b, const struct step *st, int depth);
void scenario_dump_tls(struct buf *b, const struct step *st, int depth);
void scenario_dump_sni(struct buf *b, const struct step *st, int depth);
void scenario_dump_alt(struct buf *b, const struct step *st, int depth);
void scenario_dump_verify(struct buf *b, const struct step *st, int depth);

#endif

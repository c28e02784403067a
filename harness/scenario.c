/* SPDX-License-Identifier: MIT */
/*
 * scenario: .scn text -> immutable step tree, by a recursive-descent parser
 * over the lines scenario_lex.c tokenizes: the headers, then blocks of
 * statements (each alt branch is a recursive block), every statement
 * through the table of scenario_stmt.c. Public: scenario_parse/_load/_free,
 * scenario_has_keyword; scenario_alt for the table. Invariants: every error
 * is "file:line:col: msg" and parsing resumes on the next line; the tree
 * lives in the scenario's arena; dump(parse(dump(s))) == dump(s).
 */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

#define FILE_MAX (16u * 1024u * 1024u) /* a scenario is a page of text; refuse junk early */
#define ALT_DEPTH_MAX 16           /* bounds parser and dump recursion on hostile input */

/* ---------- word classes ---------- */

static bool id_char(int c) { return is_alnum(c) || c == '.' || c == '_' || c == '/' || c == '-'; }
/* S-08, S-09a, T-01, C-13: the ids of reference/starttls-test-catalog.md */
static bool catalog_valid(const char *s, size_t n)
{
	if (n != 4 && n != 5)
		return false;
	if (strchr("SCTXPFO", s[0]) == NULL || s[0] == '\0' || s[1] != '-' ||
	    !is_digit((unsigned char)s[2]) || !is_digit((unsigned char)s[3]))
		return false;
	return n == 4 || is_lower((unsigned char)s[4]);
}

/* ---------- the tree ---------- */

static void block_push(struct scn_chunk **m, struct scn_block *b, struct step *st)
{
	b->steps = scenario_lex_grow(m, b->steps, b->n, sizeof *b->steps);
	b->steps[b->n++] = *st;
	memset(st, 0, sizeof *st);
}

void scenario_free(struct scenario *s)
{
	if (s == NULL)
		return;
	scenario_lex_free_mem(s->mem);
	free(s);
}

bool scenario_has_keyword(const struct scenario *s, const char *kw)
{
	if (s == NULL || kw == NULL)
		return false;
	for (size_t i = 0; i < s->nkeywords; i++)
		if (strcmp(s->keywords[i], kw) == 0)
			return true;
	return false;
}

/* The waits a block scripts: delays and silence windows in order; an alt
 * costs its longest branch (only one runs, which one is the peer's call). */
static int64_t block_scripted_ms(const struct scn_block *b)
{
	int64_t sum = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct step *st = &b->steps[i];
		if (st->kind == STEP_DELAY || st->kind == STEP_EXPECT_SILENCE)
			sum += st->ms > 0 ? st->ms : 0;
		else if (st->kind == STEP_ALT) {
			int64_t most = 0;
			for (size_t k = 0; k < st->nbranches; k++) {
				int64_t m = block_scripted_ms(&st->branches[k]);
				if (m > most)
					most = m;
			}
			sum += most;
		}
	}
	return sum;
}

int64_t scenario_scripted_ms(const struct scenario *s)
{
	return s ? block_scripted_ms(&s->body) : 0;
}

/* Round trips a block waits for at least: its expect steps (an alt counts
 * its longest branch). */
static size_t block_expects(const struct scn_block *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct step *st = &b->steps[i];
		if (st->kind == STEP_ALT) {
			size_t most = 0;
			for (size_t k = 0; k < st->nbranches; k++) {
				size_t m = block_expects(&st->branches[k]);
				if (m > most)
					most = m;
			}
			n += most;
		} else if (st->kind >= STEP_EXPECT_REPLY && st->kind <= STEP_EXPECT_TLS) {
			n++;
		}
	}
	return n;
}

size_t scenario_round_trips(const struct scenario *s)
{
	return s ? block_expects(&s->body) : 0;
}

/* ---------- header ---------- */

static const char *const hdr_names[H__COUNT] = {
    "scenario", "target",  "summary",  "catalog", "ref",
    "severity", "keywords", "profile", "requires", "provides"};

static int header_key(const struct tok *t)
{
	for (int k = 0; k < H__COUNT; k++)
		if (word_is(t, hdr_names[k]))
			return k;
	return -1;
}

/* one WORD argument, nothing after it */
static const struct tok *one_word(struct parser *p, const char *what)
{
	struct tok *t0 = &p->toks[0];
	if (p->ntoks < 2) {
		TERR(p, t0, "%s needs a value", what);
		return NULL;
	}
	struct tok *t = &p->toks[1];
	if (t->type != T_WORD) {
		TERR(p, t, "%s needs a word, not a string", what);
		return NULL;
	}
	if (!scenario_lex_no_more(p, 2, what))
		return NULL;
	return t;
}

/* catalog and keywords: words, each possibly a comma-separated list */
static void word_list(struct parser *p, const char *what, bool (*valid)(const char *, size_t),
                      const char *expect, char ***v, size_t *nv)
{
	bool any = false;
	for (size_t ti = 1; ti < p->ntoks; ti++) {
		struct tok *t = &p->toks[ti];
		if (t->type != T_WORD) {
			TERR(p, t, "%s takes words, not strings", what);
			return;
		}
		size_t a = 0;
		while (a < t->n) {
			size_t b = a;
			while (b < t->n && t->s[b] != ',')
				b++;
			if (b > a) {
				int col = t->col + (int)a;
				int w = (int)(b - a > WORD_SHOW ? WORD_SHOW : b - a);
				if (!valid(t->s + a, b - a)) {
					scenario_lex_error(p, p->lineno, col, "invalid %s '%.*s' (%s)", what, w,
					     t->s + a, expect);
					return;
				}
				for (size_t k = 0; k < *nv; k++)
					if (strlen((*v)[k]) == b - a && memcmp((*v)[k], t->s + a, b - a) == 0) {
						scenario_lex_error(p, p->lineno, col, "duplicate %s '%.*s'", what, w,
						     t->s + a);
						return;
					}
				scenario_lex_strv_push(MEM(p), v, nv, scenario_lex_strndup(MEM(p), t->s + a, b - a));
				any = true;
			}
			a = b + 1;
		}
	}
	if (!any)
		TERR(p, &p->toks[0], "%s needs at least one value", what);
}

static bool kw_valid(const char *s, size_t n) { return all_of(s, n, kwl_char); }

/* requires/provides NAME... [at LINE]: LINE (checked once the body is
 * parsed) must start a top-level statement */
static void names_at(struct parser *p, int k, char ***v, size_t *nv, int *at)
{
	size_t nt = p->ntoks;
	if (nt >= 3 && word_is(&p->toks[nt - 2], "at")) {
		const struct tok *t = &p->toks[nt - 1];
		long n = 0;
		for (size_t i = 0; i < t->n && n >= 0 && n <= 1000000; i++)
			n = is_digit((unsigned char)t->s[i]) ? n * 10 + (t->s[i] - '0') : -1;
		if (t->type != T_WORD || n <= 0 || n > 1000000) {
			TERR(p, t, "'at' needs a line number, not '%.*s'", WSHOW(t));
			return;
		}
		*at = (int)n;
		p->at_col[k == H_PROVIDES] = p->toks[nt - 2].col;
		p->ntoks = nt - 2; /* the names before "at" */
	}
	word_list(p, "precondition", kw_valid, "lowercase letters, digits, -", v, nv);
	p->ntoks = nt;
}

/* The statement on line `at`, anywhere in blk: *until = the line of the
 * statement after it (after its enclosing statement when it is the last of
 * its block; INT_MAX: none). false if no statement starts on that line. */
static bool stmt_until(const struct scn_block *blk, int at, int outer, int *until)
{
	for (size_t i = 0; i < blk->n; i++) {
		const struct step *st = &blk->steps[i];
		int next = i + 1 < blk->n ? blk->steps[i + 1].line : outer;
		if (st->line == at) {
			*until = next;
			return true;
		}
		for (size_t k = 0; k < st->nbranches; k++)
			if (stmt_until(&st->branches[k], at, next, until))
				return true;
	}
	return false;
}

/* "at N" of requires [0] and provides [1] must name a statement's line;
 * provides' failure window ends at the statement after it. */
static void at_lines(struct parser *p)
{
	struct scenario *s = p->s;
	const int at[2] = {s->requires_at, s->provides_at};
	int until[2] = {INT_MAX, INT_MAX};
	for (int k = 0; k < 2; k++)
		if (at[k] && !stmt_until(&s->body, at[k], INT_MAX, &until[k]))
			scenario_lex_error(p, p->hdr_line[k ? H_PROVIDES : H_REQUIRES], p->at_col[k],
			                   "%s at %d: no statement starts on that line",
			                   k ? "provides" : "requires", at[k]);
	s->provides_until = until[1];
}

static void header_line(struct parser *p, int k)
{
	struct tok *t0 = &p->toks[0];
	struct scenario *s = p->s;
	const struct tok *t;

	if (p->hdr_line[k] && k != H_REF) {
		TERR(p, t0, "duplicate header '%s' (first on line %d)", hdr_names[k], p->hdr_line[k]);
		return;
	}
	p->hdr_line[k] = p->lineno;
	switch (k) {
	case H_SCENARIO:
		if ((t = one_word(p, "scenario")) == NULL)
			return;
		if (!all_of(t->s, t->n, id_char)) {
			TERR(p, t, "invalid scenario id '%.*s' (letters, digits, . _ / -)", WSHOW(t));
			return;
		}
		s->id = scenario_lex_strndup(MEM(p), t->s, t->n);
		return;
	case H_TARGET:
		if ((t = one_word(p, "target")) == NULL)
			return;
		if (word_is(t, "server"))
			s->role = SCN_TARGET_SERVER;
		else if (word_is(t, "client"))
			s->role = SCN_TARGET_CLIENT;
		else {
			TERR(p, t, "target must be server or client, not '%.*s'", WSHOW(t));
			return;
		}
		p->role_known = true;
		return;
	case H_SUMMARY:
		if (p->ntoks < 2) {
			TERR(p, t0, "summary needs a text");
			return;
		}
		s->summary = scenario_lex_strndup(MEM(p), p->toks[1].s, p->toks[1].n);
		return;
	case H_CATALOG:
		word_list(p, "catalog id", catalog_valid, "expected e.g. S-08, S-09a, T-01",
		          &s->catalog, &s->ncatalog);
		return;
	case H_REF: {
		if (p->ntoks < 2) {
			TERR(p, t0, "ref needs a text");
			return;
		}
		t = &p->toks[1];
		size_t a = 0;
		bool any = false;
		while (a <= t->n) {
			size_t b = a;
			while (b < t->n && t->s[b] != ';')
				b++;
			size_t x = a, y = b;
			while (x < y && is_space((unsigned char)t->s[x]))
				x++;
			while (y > x && is_space((unsigned char)t->s[y - 1]))
				y--;
			if (y > x) {
				char *ref = scenario_lex_strndup(MEM(p), t->s + x, y - x);
				scenario_lex_strv_push(MEM(p), &s->refs, &s->nrefs, ref);
				any = true;
			}
			a = b + 1;
		}
		if (!any)
			TERR(p, t, "ref needs a text");
		return;
	}
	case H_SEVERITY: {
		static const char *const sev[] = {"critical", "high", "medium", "low", "info"};
		if ((t = one_word(p, "severity")) == NULL)
			return;
		for (size_t i = 0; i < 5; i++)
			if (word_is(t, sev[i])) {
				s->severity = scenario_lex_strndup(MEM(p), sev[i], strlen(sev[i]));
				return;
			}
		TERR(p, t, "severity must be critical, high, medium, low or info, not '%.*s'",
		     WSHOW(t));
		return;
	}
	case H_KEYWORDS:
		word_list(p, "keyword", kw_valid, "lowercase letters, digits, -", &s->keywords,
		          &s->nkeywords);
		return;
	case H_PROFILE:
		if ((t = one_word(p, "profile")) == NULL)
			return;
		if (p->role_known && p->s->role == SCN_TARGET_CLIENT) {
			if (!word_is(t, "require-tls") && !word_is(t, "opportunistic")) {
				TERR(p, t, "profile of a client scenario must be require-tls or opportunistic, not '%.*s'",
				     WSHOW(t));
				return;
			}
		} else if (!word_is(t, "mx") && !word_is(t, "submission")) {
			TERR(p, t, "profile must be mx or submission, not '%.*s'", WSHOW(t));
			return;
		}
		s->profile = scenario_lex_strndup(MEM(p), t->s, t->n);
		return;
	case H_REQUIRES:
		names_at(p, k, &s->requires, &s->nrequires, &s->requires_at);
		return;
	case H_PROVIDES:
		names_at(p, k, &s->provides, &s->nprovides, &s->provides_at);
		return;
	}
}

enum block_end { END_EOF, END_CLOSE, END_OR };

static enum block_end parse_block(struct parser *p, struct scn_block *b, int depth, bool branch,
                                  bool *saw_stmt, int *or_line, int *or_col);

/*
 * Consume a too-deep alt up to its matching '}' without recursing (so a
 * hostile file cannot exhaust the stack); its content is not checked.
 */
static void skip_alt(struct parser *p)
{
	const uint8_t *l;
	size_t n;
	int level = 1;
	p->quiet = true;
	while (level > 0 && scenario_lex_next_line(p, &l, &n)) {
		scenario_lex_line(p, l, n);
		if (p->ntoks == 0)
			continue;
		if (word_is(&p->toks[0], "alt"))
			level++;
		else if (word_is(&p->toks[0], "}") && !(p->ntoks > 1 && word_is(&p->toks[1], "or")))
			level--;
	}
	p->quiet = false;
}

/*
 * alt { BLOCK } or { BLOCK } ... } - recursion per branch. Structure errors
 * are reported but the braces are still followed, so one typo does not
 * cascade into a stray '}' for every line below it. A too-deep alt is
 * reported and skipped.
 */
bool scenario_alt(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	int depth = p->depth;
	if (depth >= ALT_DEPTH_MAX) {
		TERR(p, &p->toks[0], "alt nested too deeply (at most %d levels)", ALT_DEPTH_MAX);
		skip_alt(p);
		return false;
	}
	int aline = p->lineno, acol = p->toks[0].col, bcol = acol;
	p->quiet = !p->line_ok; /* the line's lexing error was reported already */
	if (p->ntoks < 2 || !word_is(&p->toks[1], "{")) {
		TERR(p, p->ntoks < 2 ? &p->toks[0] : &p->toks[1], "alt needs '{' at the end of the line");
	} else {
		bcol = p->toks[1].col;
		scenario_lex_no_more(p, 2, "'{'");
	}
	p->quiet = false;
	int bline = aline;
	for (;;) {
		struct scn_block br = {0};
		bool saw = false;
		int oline = 0, ocol = 0;
		enum block_end e = parse_block(p, &br, depth + 1, true, &saw, &oline, &ocol);
		if (!saw && e != END_EOF)
			scenario_lex_error(p, bline, bcol, "empty alternative branch");
		st->branches = scenario_lex_grow(MEM(p), st->branches, st->nbranches, sizeof *st->branches);
		st->branches[st->nbranches++] = br;
		if (e == END_OR) {
			bline = oline;
			bcol = ocol;
			continue;
		}
		if (e == END_EOF) {
			scenario_lex_error(p, aline, acol, "unclosed alt (missing '}')");
			return true;
		}
		break;
	}
	if (st->nbranches < 2)
		scenario_lex_error(p, aline, acol, "alt needs at least two branches ('} or {')");
	return true;
}

/* "}" closes, "} or {" opens the next branch; anything else is reported */
static enum block_end close_line(struct parser *p, int *or_line, int *or_col)
{
	if (p->ntoks == 1)
		return END_CLOSE;
	if (!word_is(&p->toks[1], "or")) {
		scenario_lex_no_more(p, 1, "'}'");
		return END_CLOSE;
	}
	*or_line = p->lineno;
	*or_col = p->toks[1].col;
	if (p->ntoks < 3 || !word_is(&p->toks[2], "{")) {
		TERR(p, &p->toks[p->ntoks < 3 ? 1 : 2], "expected '{' after 'or'");
		return END_OR;
	}
	*or_col = p->toks[2].col;
	scenario_lex_no_more(p, 3, "'{'");
	return END_OR;
}

static enum block_end parse_block(struct parser *p, struct scn_block *b, int depth, bool branch,
                                  bool *saw_stmt, int *or_line, int *or_col)
{
	const uint8_t *l;
	size_t n;
	int term_line = 0;
	const char *term_kw = ""; /* the statement at term_line */
	bool unreachable_reported = false;

	while (scenario_lex_next_line(p, &l, &n)) {
		/*
		 * A line with a lexing error was reported; its tokens up to the
		 * error still tell whether it was a brace or a statement, which
		 * keeps structure and header bookkeeping from cascading.
		 */
		bool lexok = scenario_lex_line(p, l, n);
		if (p->ntoks == 0)
			continue;
		struct tok *t0 = &p->toks[0];
		if (t0->type != T_WORD) {
			if (lexok)
				TERR(p, t0, "expected a statement, not a string");
			continue;
		}
		if (word_is(t0, "}")) {
			if (depth == 0) {
				if (lexok)
					TERR(p, t0, "unmatched '}'");
				continue;
			}
			p->quiet = !lexok;
			enum block_end e = close_line(p, or_line, or_col);
			p->quiet = false;
			return e;
		}
		int hk = header_key(t0);
		if (hk >= 0) {
			if (p->in_body) {
				if (lexok)
					TERR(p, t0, "header '%s' after the first statement", hdr_names[hk]);
			} else if (lexok) {
				header_line(p, hk);
			} else if (!p->hdr_line[hk]) {
				p->hdr_line[hk] = p->lineno; /* present, just broken */
			}
			continue;
		}
		const struct scn_stmt *fam = scenario_stmt_family(t0);
		if (fam == NULL) {
			if (lexok)
				TERR(p, t0, "unknown %s '%.*s'",
				     p->in_body ? "statement" : "header key or statement", WSHOW(t0));
			continue;
		}
		bool last = fam->flags & STMT_LAST;
		p->in_body = true;
		if (branch && !*saw_stmt && !(fam->flags & STMT_EXPECT))
			TERR(p, t0, "alternative branch must start with an expectation");
		*saw_stmt = true;
		if (last && depth > 0)
			TERR(p, t0, "'%s' belongs at the top level, after the exchange", fam->name);
		if (!last && depth == 0 && p->verify_line && !p->verify_reported) {
			TERR(p, t0, "statement after 'verify' on line %d (verifications come last)",
			     p->verify_line);
			p->verify_reported = true;
		}
		if (last && depth == 0 && !p->verify_line)
			p->verify_line = p->lineno;
		if (term_line && !unreachable_reported && !last) {
			TERR(p, t0, "unreachable statement after '%s' on line %d", term_kw, term_line);
			unreachable_reported = true;
		}
		if ((fam->flags & STMT_TERMINAL) && !term_line) {
			term_line = p->lineno;
			term_kw = fam->name;
		}
		if (!lexok && !(fam->flags & STMT_BLOCK))
			continue;

		struct step st;
		memset(&st, 0, sizeof st);
		st.line = p->lineno;
		st.col = t0->col;
		p->depth = depth;
		p->line_ok = lexok;
		bool ok = scenario_stmt_parse(p, fam, &st);
		if (ok)
			block_push(MEM(p), b, &st);
		else
			memset(&st, 0, sizeof st); /* its blocks stay in the arena, unused */
	}
	return END_EOF;
}

struct scenario *scenario_parse(const char *file, const uint8_t *text, size_t len,
                                struct scn_diag *diag)
{
	struct parser p;
	memset(&p, 0, sizeof p);
	p.file = file != NULL ? file : "<input>";
	p.text = text;
	p.len = text != NULL ? len : 0;
	p.diag = diag;
	p.s = xcalloc(1, sizeof *p.s);
	p.s->file = scenario_lex_strndup(MEM(&p), p.file, strlen(p.file));

	bool saw = false;
	int ol, oc;
	parse_block(&p, &p.s->body, 0, false, &saw, &ol, &oc);
	scenario_lex_done(&p);

	static const int required[] = {H_SCENARIO, H_TARGET, H_SUMMARY, H_CATALOG, H_SEVERITY};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!p.hdr_line[required[i]])
			scenario_lex_error(&p, 1, 1, "missing required header '%s'", hdr_names[required[i]]);
	if (!p.in_body)
		scenario_lex_error(&p, 1, 1, "scenario has no statements");
	at_lines(&p);
	for (size_t i = 0; i < p.s->nrequires; i++)
		for (size_t k = 0; k < p.s->nprovides; k++)
			if (strcmp(p.s->requires[i], p.s->provides[k]) == 0)
				scenario_lex_error(&p, p.hdr_line[H_PROVIDES], 1,
				                   "'%s' is both required and provided", p.s->requires[i]);

	if (p.nerr > 0) {
		scenario_free(p.s);
		return NULL;
	}
	return p.s;
}

struct scenario *scenario_load(const char *path, struct scn_diag *diag)
{
	FILE *f = fopen(path, "rb");
	struct buf b = {0};
	char chunk[8192];
	size_t n;
	const char *why = NULL;

	if (f == NULL) {
		why = strerror(errno);
	} else {
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
			buf_append(&b, chunk, n);
			if (b.len > FILE_MAX) {
				why = "file too large for a scenario";
				break;
			}
		}
		if (why == NULL && ferror(f))
			why = "read error";
		fclose(f);
	}
	if (why != NULL) {
		if (diag != NULL)
			scenario_diag_add(diag, path, why);
		buf_free(&b);
		return NULL;
	}
	struct scenario *s = scenario_parse(path, b.data, b.len, diag);
	buf_free(&b);
	return s;
}


/* SPDX-License-Identifier: MIT */
/*
 * scenario: .scn text -> immutable step tree. A per-line lexer (words,
 * quoted strings with escapes, *N repeats and ${vars}) feeds a recursive-
 * descent parser over lines (each alt branch is a recursive block).
 * Public: scenario_parse/_load/_free/_dump, scenario_has_keyword,
 * scn_str_expand, scn_diag_free. Invariants: input is bytes (NUL, 8-bit, CR
 * never crash; nothing is strlen'd); every error is "file:line:col: msg" and
 * parsing resumes on the next line; dump(parse(dump(s))) == dump(s).
 */
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define REPEAT_MAX (1024u * 1024u) /* *N upper bound; matches SCN_SEND_MAX for "x"*N */
#define SILENCE_MAX_MS 60000       /* a longer silence is a timeout, not an expectation */
#define FILE_MAX (16u * 1024u * 1024u) /* a scenario is a page of text; refuse junk early */
#define WORD_SHOW 40               /* longest word quoted back in a diagnostic */
#define ALT_DEPTH_MAX 16           /* bounds parser and dump recursion on hostile input */

/* ---------- small byte classes (no <ctype.h>: locale must not matter) ---------- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_lower(int c) { return c >= 'a' && c <= 'z'; }
static bool is_alpha(int c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static bool is_space(int c) { return c == ' ' || c == '\t'; }
static int to_upper(int c) { return is_lower(c) ? c - 'a' + 'A' : c; }

static bool all_of(const char *s, size_t n, bool (*ok)(int))
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}

static bool id_char(int c) { return is_alnum(c) || c == '.' || c == '_' || c == '/' || c == '-'; }
static bool kwl_char(int c) { return is_lower(c) || is_digit(c) || c == '-'; }

static bool ehlo_kw_valid(const char *s, size_t n)
{
	/* RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	if (n == 0 || !is_alnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/*
 * Private copy of smtp_codepat_valid's grammar ("any" or 3-char [0-9x]
 * alternatives joined by '|') so the parser links without the smtp module.
 */
static bool codepat_valid(const char *s, size_t n)
{
	if (n == 3 && memcmp(s, "any", 3) == 0)
		return true;
	size_t i = 0;
	for (;;) {
		if (i + 3 > n)
			return false;
		for (size_t k = i; k < i + 3; k++)
			if (!is_digit((unsigned char)s[k]) && s[k] != 'x')
				return false;
		i += 3;
		if (i == n)
			return true;
		if (s[i] != '|')
			return false;
		i++;
	}
}

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

static const char *const known_vars[] = {"helo", "servername"};

/* ---------- memory ---------- */

/*
 * Everything a parse builds (names, strings, parts, arrays, steps) lives in
 * one arena that the scenario owns and frees at once (and the diagnostics'
 * text in one that the struct scn_diag owns): a parse makes an
 * allocation per token, string and step and frees almost none of them
 * before the end, and malloc's per-block cost (ASan's stack traces and
 * quarantine in the fuzz build) was most of a parse. Under ASan each block
 * is followed by a poisoned redzone, space not yet handed out is poisoned,
 * and a block that is dropped or moved (mem_drop) is poisoned again, so an
 * overflow or a stale pointer into the tree still traps.
 */
#ifdef STARK_ASAN
#define MEM_REDZONE 16u
#else
#define MEM_REDZONE 0u
#endif
#define MEM_ALIGN 16u
#define MEM_FIRST 4096u /* a page of scenario text needs a few of these */

struct scn_chunk {
	struct scn_chunk *next;
	size_t cap, used;
	max_align_t data[];
};

/* n bytes (not zeroed: every caller fills them), aligned for any type. */
static void *mem_alloc(struct scn_chunk **m, size_t n)
{
	size_t need = (n + MEM_REDZONE + MEM_ALIGN - 1) & ~(size_t)(MEM_ALIGN - 1);
	struct scn_chunk *c = *m;
	if (c == NULL || c->cap - c->used < need) {
		size_t cap = c != NULL ? 2 * c->cap : MEM_FIRST;
		if (cap < need)
			cap = need;
		c = xmalloc(sizeof *c + cap);
		c->next = *m;
		c->cap = cap;
		c->used = 0;
		*m = c;
		STARK_POISON(c->data, cap);
	}
	uint8_t *p = (uint8_t *)c->data + c->used;
	c->used += need;
	STARK_UNPOISON(p, n);
	return p;
}

/* The block is dead: any later access is a bug (and traps under ASan). */
static void mem_drop(void *p, size_t n)
{
	if (p != NULL)
		STARK_POISON(p, n);
}

static char *mem_strndup(struct scn_chunk **m, const void *s, size_t n)
{
	char *d = mem_alloc(m, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void mem_free(struct scn_chunk *c)
{
	while (c != NULL) {
		struct scn_chunk *next = c->next;
		STARK_UNPOISON(c->data, c->cap);
		free(c);
		c = next;
	}
}

/*
 * Room for element n of an array that only ever grows one element at a time
 * through this function: its capacity is n rounded up to a power of two, so
 * it is full exactly when n is 0 or a power of two.
 */
static void *grow(struct scn_chunk **m, void *v, size_t n, size_t size)
{
	if (n & (n - 1))
		return v;
	void *w = mem_alloc(m, (n ? 2 * n : 1) * size);
	if (n) {
		memcpy(w, v, n * size);
		mem_drop(v, n * size);
	}
	return w;
}

/* ---------- diagnostics ---------- */

/* Room for one more message of len bytes (NUL-terminated here), in the
 * diag's own arena: a fuzzed file has about 20 diagnostics. */
static char *diag_new(struct scn_diag *d, size_t len)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->msgs = xrealloc(d->msgs, d->cap * sizeof *d->msgs);
	}
	char *m = mem_alloc(&d->mem, len + 1);
	m[len] = '\0';
	d->msgs[d->n++] = m;
	return m;
}

void scn_diag_add(struct scn_diag *d, const char *file, const char *why)
{
	size_t nf = strlen(file), nw = strlen(why);
	char *m = diag_new(d, nf + 2 + nw);
	memcpy(m, file, nf);
	memcpy(m + nf, ": ", 2);
	memcpy(m + nf + 2, why, nw);
}

void scn_diag_free(struct scn_diag *d)
{
	if (d == NULL)
		return;
	mem_free(d->mem);
	free(d->msgs);
	memset(d, 0, sizeof *d);
}

/* ---------- string expressions ---------- */

/* Drop a string expression that nothing refers to any more. */
static void str_clear(struct scn_str *s)
{
	for (size_t i = 0; i < s->nparts; i++) {
		mem_drop(s->parts[i].bytes, s->parts[i].len);
		if (s->parts[i].var != NULL)
			mem_drop(s->parts[i].var, strlen(s->parts[i].var) + 1);
	}
	mem_drop(s->parts, s->nparts * sizeof *s->parts);
	s->parts = NULL;
	s->nparts = 0;
}

static void str_push(struct scn_chunk **m, struct scn_str *s, struct scn_part part)
{
	s->parts = grow(m, s->parts, s->nparts, sizeof *s->parts);
	s->parts[s->nparts++] = part;
}

/*
 * Append parts of src to dst (taking them), in the normal form the dump
 * relies on: no empty literals, no two adjacent repeat-1 literals.
 */
static void str_append_norm(struct scn_chunk **m, struct scn_str *dst, struct scn_str *src)
{
	for (size_t i = 0; i < src->nparts; i++) {
		struct scn_part p = src->parts[i];
		struct scn_part *last = dst->nparts ? &dst->parts[dst->nparts - 1] : NULL;
		if (p.var == NULL && p.len == 0)
			continue;
		if (p.var == NULL && p.repeat == 1 && last != NULL && last->var == NULL &&
		    last->repeat == 1) {
			uint8_t *b = mem_alloc(m, last->len + p.len);
			memcpy(b, last->bytes, last->len);
			memcpy(b + last->len, p.bytes, p.len);
			mem_drop(last->bytes, last->len);
			mem_drop(p.bytes, p.len);
			last->bytes = b;
			last->len += p.len;
			continue;
		}
		str_push(m, dst, p);
	}
	mem_drop(src->parts, src->nparts * sizeof *src->parts);
	src->parts = NULL;
	src->nparts = 0;
}

/* Expanded size with variables counted as 0; false if over SCN_SEND_MAX. */
static bool str_size(const struct scn_str *s, size_t *out)
{
	size_t total = 0;
	for (size_t i = 0; i < s->nparts; i++) {
		const struct scn_part *p = &s->parts[i];
		if (p->var != NULL || p->len == 0)
			continue;
		if (p->repeat > SCN_SEND_MAX / p->len)
			return false;
		size_t n = p->len * p->repeat;
		if (n > SCN_SEND_MAX - total)
			return false;
		total += n;
	}
	*out = total;
	return true;
}

static bool str_has_var(const struct scn_str *s)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].var != NULL)
			return true;
	return false;
}

/* Result is NUL-terminated (not counted in *len) for callers printing it. */
uint8_t *scn_str_expand(const struct scn_str *s, scn_var_fn lookup, void *ctx, size_t *len)
{
	/* size first: "a"*1048576 is one allocation and one memcpy per repeat */
	size_t total = 0;
	for (size_t i = 0; i < s->nparts; i++) {
		const struct scn_part *p = &s->parts[i];
		if (p->var != NULL) {
			const char *v = lookup != NULL ? lookup(ctx, p->var) : NULL;
			total += v != NULL ? strlen(v) : 0;
		} else {
			total += p->len * p->repeat;
		}
	}
	uint8_t *out = xmalloc(total + 1), *w = out;
	for (size_t i = 0; i < s->nparts; i++) {
		const struct scn_part *p = &s->parts[i];
		if (p->var != NULL) {
			const char *v = lookup != NULL ? lookup(ctx, p->var) : NULL;
			size_t n = v != NULL ? strlen(v) : 0;
			if (n)
				memcpy(w, v, n);
			w += n;
			continue;
		}
		for (size_t r = 0; r < p->repeat && p->len; r++, w += p->len)
			memcpy(w, p->bytes, p->len);
	}
	*w = '\0';
	if (len != NULL)
		*len = (size_t)(w - out);
	return out;
}

/* ---------- steps ---------- */

static void block_push(struct scn_chunk **m, struct scn_block *b, struct step *st)
{
	b->steps = grow(m, b->steps, b->n, sizeof *b->steps);
	b->steps[b->n++] = *st;
	memset(st, 0, sizeof *st);
}

static void strv_push(struct scn_chunk **m, char ***v, size_t *n, char *s)
{
	*v = grow(m, *v, *n, sizeof **v);
	(*v)[(*n)++] = s;
}

void scenario_free(struct scenario *s)
{
	if (s == NULL)
		return;
	mem_free(s->mem);
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

/* ---------- lexer ---------- */

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
	H__COUNT,
};
static const char *const hdr_names[H__COUNT] = {"scenario", "target",   "summary",  "catalog",
                                                "ref",      "severity", "keywords", "profile"};

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
	int verify_line;      /* first top-level verify: only verifications may follow */
	bool verify_reported;
	struct tok *toks;
	size_t ntoks, captoks;
	struct buf lit; /* a string literal being lexed */
};

/* The arena of the scenario being built. */
#define MEM(p) (&(p)->s->mem)

static void perr(struct parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Decimal digits of v at out (at most 10, no NUL); returns how many. */
static size_t put_uint(char *out, unsigned v)
{
	char tmp[10];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void perr(struct parser *p, int line, int col, const char *fmt, ...)
{
	if (p->quiet)
		return;
	p->nerr++;
	if (p->diag == NULL)
		return;
	char msg[512], at[32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t na = 0;
	at[na++] = ':';
	na += put_uint(at + na, (unsigned)line);
	at[na++] = ':';
	na += put_uint(at + na, (unsigned)col);
	at[na++] = ':';
	at[na++] = ' ';
	size_t nf = strlen(p->file), nm = strlen(msg);
	char *out = diag_new(p->diag, nf + na + nm);
	memcpy(out, p->file, nf);
	memcpy(out + nf, at, na);
	memcpy(out + nf + na, msg, nm);
}

#define TERR(p, t, ...) perr((p), (p)->lineno, (t)->col, __VA_ARGS__)

/* Width and text for quoting a word back in a message. */
#define WSHOW(t) (int)((t)->n > WORD_SHOW ? WORD_SHOW : (t)->n), (t)->s

static void toks_reset(struct parser *p)
{
	for (size_t i = 0; i < p->ntoks; i++)
		str_clear(&p->toks[i].str);
	p->ntoks = 0;
}

static struct tok *tok_new(struct parser *p, enum tok_type type, int col)
{
	if (p->ntoks == p->captoks) {
		p->captoks = p->captoks ? p->captoks * 2 : 16;
		p->toks = xrealloc(p->toks, p->captoks * sizeof *p->toks);
	}
	struct tok *t = &p->toks[p->ntoks++];
	memset(t, 0, sizeof *t);
	t->type = type;
	t->col = col;
	return t;
}

static bool word_is_n(const struct tok *t, const char *w, size_t n)
{
	return t->type == T_WORD && t->n == n && memcmp(t->s, w, n) == 0;
}
/* a macro so that the length of a literal word is a constant */
#define word_is(t, w) word_is_n((t), (w), strlen(w))

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void lit_flush(struct parser *p, struct scn_str *s)
{
	if (p->lit.len == 0)
		return;
	struct scn_part part = {.bytes = mem_alloc(MEM(p), p->lit.len), .len = p->lit.len, .repeat = 1};
	memcpy(part.bytes, p->lit.data, p->lit.len);
	str_push(MEM(p), s, part);
	p->lit.len = 0;
}

/*
 * One quoted string starting at l[*i] == '"'. Escapes \r \n \t \\ \" \0
 * \xHH; ${name} is a variable; other bytes >= 0x20 are literal (8-bit too,
 * so UTF-8 text is fine); raw control bytes must be escaped so that what
 * goes on the wire is visible in the file. Optional *N repeats the string.
 */
static bool lex_string(struct parser *p, const uint8_t *l, size_t n, size_t *i)
{
	size_t start = *i, j = *i + 1;
	struct tok *t = tok_new(p, T_STR, (int)start + 1);
	struct buf *lit = &p->lit;
	bool has_var = false;

	for (;;) {
		if (j >= n) {
			perr(p, p->lineno, (int)start + 1, "unterminated string");
			goto fail;
		}
		uint8_t c = l[j];
		if (c == '"') {
			j++;
			break;
		}
		if (c == '\\') {
			if (j + 1 >= n) {
				perr(p, p->lineno, (int)start + 1, "unterminated string");
				goto fail;
			}
			uint8_t e = l[j + 1], v;
			switch (e) {
			case 'r': v = '\r'; break;
			case 'n': v = '\n'; break;
			case 't': v = '\t'; break;
			case '\\': v = '\\'; break;
			case '"': v = '"'; break;
			case '0': v = 0; break;
			case 'x':
				if (j + 3 >= n || hexval(l[j + 2]) < 0 || hexval(l[j + 3]) < 0) {
					perr(p, p->lineno, (int)j + 1,
					     "\\x needs exactly two hex digits");
					goto fail;
				}
				v = (uint8_t)(hexval(l[j + 2]) * 16 + hexval(l[j + 3]));
				buf_append(lit, &v, 1);
				j += 4;
				continue;
			default:
				if (e >= 0x21 && e < 0x7f)
					perr(p, p->lineno, (int)j + 1,
					     "unknown escape '\\%c' (known: \\r \\n \\t \\\\ \\\" \\0 \\xHH)",
					     e);
				else
					perr(p, p->lineno, (int)j + 1,
					     "unknown escape: backslash before byte \\x%02x", e);
				goto fail;
			}
			buf_append(lit, &v, 1);
			j += 2;
			continue;
		}
		if (c == '$' && j + 1 < n && l[j + 1] == '{') {
			size_t k = j + 2;
			while (k < n && (is_alnum(l[k]) || l[k] == '_'))
				k++;
			if (k >= n || l[k] != '}' || k == j + 2) {
				perr(p, p->lineno, (int)j + 1,
				     "malformed variable reference (expected ${name})");
				goto fail;
			}
			const char *name = (const char *)l + j + 2;
			size_t nlen = k - (j + 2);
			const char *known = NULL;
			for (size_t v = 0; v < sizeof known_vars / sizeof known_vars[0]; v++)
				if (strlen(known_vars[v]) == nlen && memcmp(known_vars[v], name, nlen) == 0)
					known = known_vars[v];
			if (known == NULL) {
				perr(p, p->lineno, (int)j + 1,
				     "unknown variable '${%.*s}' (known: ${helo}, ${servername})",
				     (int)(nlen > WORD_SHOW ? WORD_SHOW : nlen), name);
				goto fail;
			}
			lit_flush(p, &t->str);
			struct scn_part part = {.repeat = 1,
			                        .var = mem_strndup(MEM(p), known, strlen(known))};
			str_push(MEM(p), &t->str, part);
			has_var = true;
			j = k + 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			perr(p, p->lineno, (int)j + 1,
			     "raw control byte \\x%02x in string (write it as an escape)", c);
			goto fail;
		}
		buf_append(lit, &c, 1);
		j++;
	}
	lit_flush(p, &t->str);

	if (j < n && l[j] == '*') {
		size_t star = j, k = j + 1;
		uint64_t r = 0;
		while (k < n && is_digit(l[k])) {
			if (r <= REPEAT_MAX)
				r = r * 10 + (uint64_t)(l[k] - '0');
			k++;
		}
		if (k == j + 1 || r < 1 || r > REPEAT_MAX) {
			perr(p, p->lineno, (int)star + 1, "repeat count must be an integer 1..%u",
			     REPEAT_MAX);
			goto fail;
		}
		if (has_var) {
			/* "a${helo}"*3 would need the var inside a repeated group; keep parts flat */
			perr(p, p->lineno, (int)star + 1,
			     "a string containing a variable cannot be repeated");
			goto fail;
		}
		/* without variables the string is at most one literal part */
		if (t->str.nparts == 1)
			t->str.parts[0].repeat = (size_t)r;
		j = k;
	}
	*i = j;
	return true;
fail:
	lit->len = 0;
	return false;
}

/* summary and ref take the raw rest of the line: quotes are text there */
static bool raw_key(const uint8_t *l, size_t n, size_t i, size_t *wend)
{
	static const char *const raw[] = {"summary", "ref"};
	size_t k = i;
	while (k < n && is_lower(l[k]))
		k++;
	if (k < n && !is_space(l[k]) && l[k] != '#')
		return false;
	for (size_t r = 0; r < 2; r++)
		if (strlen(raw[r]) == k - i && memcmp(raw[r], l + i, k - i) == 0) {
			*wend = k;
			return true;
		}
	return false;
}

static bool lex_raw(struct parser *p, const uint8_t *l, size_t n, size_t i)
{
	while (i < n && is_space(l[i]))
		i++;
	size_t end = i;
	while (end < n && l[end] != '#')
		end++;
	while (end > i && is_space(l[end - 1]))
		end--;
	for (size_t k = i; k < end; k++)
		if ((l[k] < 0x20 && l[k] != '\t') || l[k] >= 0x7f) {
			perr(p, p->lineno, (int)k + 1, "unexpected byte \\x%02x", l[k]);
			return false;
		}
	if (end > i) {
		struct tok *t = tok_new(p, T_RAW, (int)i + 1);
		t->s = (const char *)l + i;
		t->n = end - i;
	}
	return true;
}

/* Tokenize one line (without its line end). false: error already reported. */
static bool lex_line(struct parser *p, const uint8_t *l, size_t n)
{
	size_t i = 0;
	toks_reset(p);
	while (i < n && is_space(l[i]))
		i++;
	size_t wend;
	if (i < n && raw_key(l, n, i, &wend)) {
		struct tok *t = tok_new(p, T_WORD, (int)i + 1);
		t->s = (const char *)l + i;
		t->n = wend - i;
		return lex_raw(p, l, n, wend);
	}
	while (i < n) {
		uint8_t c = l[i];
		if (is_space(c)) {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (c == '"') {
			if (i > 0 && !is_space(l[i - 1]) && l[i - 1] != '"' &&
			    !(p->ntoks > 0 && p->toks[p->ntoks - 1].type == T_STR)) {
				perr(p, p->lineno, (int)i + 1, "missing space before string");
				return false;
			}
			if (!lex_string(p, l, n, &i))
				return false;
			if (i < n && !is_space(l[i]) && l[i] != '#' && l[i] != '"') {
				perr(p, p->lineno, (int)i + 1, "missing space after string");
				return false;
			}
			continue;
		}
		if (c > 0x20 && c < 0x7f) {
			struct tok *t = tok_new(p, T_WORD, (int)i + 1);
			size_t k = i;
			while (k < n && l[k] > 0x20 && l[k] < 0x7f && l[k] != '"' && l[k] != '#')
				k++;
			t->s = (const char *)l + i;
			t->n = k - i;
			i = k;
			continue;
		}
		perr(p, p->lineno, (int)i + 1, "unexpected byte \\x%02x", c);
		return false;
	}
	return true;
}

/* Advance to the next line; strips one CR before LF (CRLF files are fine). */
static bool next_line(struct parser *p, const uint8_t **l, size_t *n)
{
	if (p->pos >= p->len)
		return false;
	const uint8_t *start = p->text + p->pos;
	const uint8_t *nl = memchr(start, '\n', p->len - p->pos);
	size_t len = nl ? (size_t)(nl - start) : p->len - p->pos;
	p->pos += len + (nl ? 1 : 0);
	p->lineno++;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	*l = start;
	*n = len;
	return true;
}

/* ---------- string expression arguments ---------- */

/*
 * Collect consecutive STR tokens from *ti into out (normalized). Returns
 * the number of tokens taken, or -1 after reporting an oversize string.
 */
static int take_str(struct parser *p, size_t *ti, struct scn_str *out)
{
	size_t first = *ti;
	while (*ti < p->ntoks && p->toks[*ti].type == T_STR) {
		str_append_norm(MEM(p), out, &p->toks[*ti].str);
		(*ti)++;
	}
	size_t sz;
	if (*ti > first && !str_size(out, &sz)) {
		TERR(p, &p->toks[first], "string expands to more than %u bytes", SCN_SEND_MAX);
		return -1;
	}
	return (int)(*ti - first);
}

static bool str_empty(const struct scn_str *s)
{
	size_t sz;
	return !str_has_var(s) && str_size(s, &sz) && sz == 0;
}

/* Report the first unexpected token at or after ti; true if there was none. */
static bool no_more(struct parser *p, size_t ti, const char *after)
{
	if (ti >= p->ntoks)
		return true;
	struct tok *t = &p->toks[ti];
	if (t->type == T_STR)
		TERR(p, t, "unexpected string after %s", after);
	else
		TERR(p, t, "unexpected '%.*s' after %s", WSHOW(t), after);
	return false;
}

/* ---------- header ---------- */

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
	if (!no_more(p, 2, what))
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
					perr(p, p->lineno, col, "invalid %s '%.*s' (%s)", what, w,
					     t->s + a, expect);
					return;
				}
				for (size_t k = 0; k < *nv; k++)
					if (strlen((*v)[k]) == b - a && memcmp((*v)[k], t->s + a, b - a) == 0) {
						perr(p, p->lineno, col, "duplicate %s '%.*s'", what, w,
						     t->s + a);
						return;
					}
				strv_push(MEM(p), v, nv, mem_strndup(MEM(p), t->s + a, b - a));
				any = true;
			}
			a = b + 1;
		}
	}
	if (!any)
		TERR(p, &p->toks[0], "%s needs at least one value", what);
}

static bool kw_valid(const char *s, size_t n) { return all_of(s, n, kwl_char); }

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
		s->id = mem_strndup(MEM(p), t->s, t->n);
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
		s->summary = mem_strndup(MEM(p), p->toks[1].s, p->toks[1].n);
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
				strv_push(MEM(p), &s->refs, &s->nrefs, mem_strndup(MEM(p), t->s + x, y - x));
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
				s->severity = mem_strndup(MEM(p), sev[i], strlen(sev[i]));
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
		s->profile = mem_strndup(MEM(p), t->s, t->n);
		return;
	}
}

/* ---------- statements ---------- */

static bool need_role(struct parser *p, const struct tok *t, enum scn_role role, const char *what)
{
	if (!p->role_known || p->s->role == role)
		return true;
	TERR(p, t, "%s is only valid for target %s", what,
	     role == SCN_TARGET_SERVER ? "server" : "client");
	return false;
}

/* Next word after a keyword that needs one, or NULL after reporting. */
static const struct tok *arg_word(struct parser *p, size_t ti, const char *what)
{
	if (ti >= p->ntoks) {
		TERR(p, &p->toks[ti - 1], "%s needs a value", what);
		return NULL;
	}
	const struct tok *t = &p->toks[ti];
	if (t->type != T_WORD) {
		TERR(p, t, "%s needs a word, not a string", what);
		return NULL;
	}
	return t;
}

static bool has_kw(char **v, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i]) == len && strncasecmp(v[i], s, len) == 0)
			return true;
	return false;
}

static bool parse_expect_reply(struct parser *p, struct step *st)
{
	const struct tok *t = arg_word(p, 2, "expect reply");
	if (t == NULL)
		return false;
	if (!codepat_valid(t->s, t->n)) {
		TERR(p, t, "invalid code pattern '%.*s' (expected e.g. 220, 2xx, 4xx|5xx, any)",
		     WSHOW(t));
		return false;
	}
	st->codepat = mem_strndup(MEM(p), t->s, t->n);
	for (size_t ti = 3; ti < p->ntoks; ti++) {
		t = &p->toks[ti];
		if (word_is(t, "has") || word_is(t, "lacks")) {
			bool has = word_is(t, "has");
			const struct tok *k = arg_word(p, ti + 1, has ? "'has'" : "'lacks'");
			if (k == NULL)
				return false;
			if (!ehlo_kw_valid(k->s, k->n)) {
				TERR(p, k, "invalid EHLO keyword '%.*s'", WSHOW(k));
				return false;
			}
			/* EHLO keywords compare case-insensitively (RFC 5321 4.1.1.1) */
			if (has_kw(st->has, st->nhas, k->s, k->n) ||
			    has_kw(st->lacks, st->nlacks, k->s, k->n)) {
				TERR(p, k, "keyword '%.*s' is already listed", WSHOW(k));
				return false;
			}
			if (has)
				strv_push(MEM(p), &st->has, &st->nhas, mem_strndup(MEM(p), k->s, k->n));
			else
				strv_push(MEM(p), &st->lacks, &st->nlacks, mem_strndup(MEM(p), k->s, k->n));
			ti++;
		} else if (word_is(t, "alone") || word_is(t, "strict")) {
			bool *f = word_is(t, "alone") ? &st->alone : &st->strict;
			if (*f) {
				TERR(p, t, "duplicate '%.*s'", WSHOW(t));
				return false;
			}
			*f = true;
		} else if (t->type == T_STR) {
			TERR(p, t, "unexpected string in expect reply");
			return false;
		} else {
			TERR(p, t, "unknown reply option '%.*s' (expected has, lacks, alone, strict)",
			     WSHOW(t));
			return false;
		}
	}
	return true;
}

static bool duration_syntax(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	if (i == 0)
		return false;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
		if (i == d)
			return false;
	}
	size_t u = n - i;
	return (u == 2 && memcmp(s + i, "ms", 2) == 0) || (u == 1 && (s[i] == 's' || s[i] == 'm'));
}

/* The duration at token ti of a statement (expect silence, delay): more
 * than 0 and at most SILENCE_MAX_MS, nothing after it. */
static bool parse_ms(struct parser *p, size_t ti, const char *stmt, const char *what, int64_t *out)
{
	const struct tok *t = arg_word(p, ti, stmt);
	if (t == NULL)
		return false;
	if (!duration_syntax(t->s, t->n)) {
		TERR(p, t, "invalid duration '%.*s' (expected e.g. 150ms, 1s, 1.5s)", WSHOW(t));
		return false;
	}
	char tmp[64];
	int64_t ms = -1;
	if (t->n < sizeof tmp) {
		memcpy(tmp, t->s, t->n);
		tmp[t->n] = '\0';
		if (parse_duration(tmp, &ms) != 0)
			ms = -1;
	}
	if (ms <= 0 || ms > SILENCE_MAX_MS) {
		TERR(p, t, "%s must be more than 0 and at most 60s", what);
		return false;
	}
	*out = ms;
	return no_more(p, ti + 1, "the duration");
}

static bool parse_expect(struct parser *p, struct step *st)
{
	if (p->ntoks < 2 || p->toks[1].type != T_WORD) {
		TERR(p, p->ntoks < 2 ? &p->toks[0] : &p->toks[1],
		     "expect needs reply, command, close, silence or tls");
		return false;
	}
	const struct tok *k = &p->toks[1];
	if (word_is(k, "reply")) {
		st->kind = STEP_EXPECT_REPLY;
		return need_role(p, k, SCN_TARGET_SERVER, "'expect reply'") &&
		       parse_expect_reply(p, st);
	}
	if (word_is(k, "command")) {
		st->kind = STEP_EXPECT_COMMAND;
		if (!need_role(p, k, SCN_TARGET_CLIENT, "'expect command'"))
			return false;
		const struct tok *t = arg_word(p, 2, "expect command");
		if (t == NULL)
			return false;
		if (!word_is(t, "any") && !all_of(t->s, t->n, is_alpha)) {
			TERR(p, t, "invalid verb '%.*s' (letters only, or any)", WSHOW(t));
			return false;
		}
		st->verb = mem_strndup(MEM(p), t->s, t->n);
		return no_more(p, 3, "the verb");
	}
	if (word_is(k, "close")) {
		st->kind = STEP_EXPECT_CLOSE;
		return no_more(p, 2, "expect close");
	}
	if (word_is(k, "silence")) {
		st->kind = STEP_EXPECT_SILENCE;
		return parse_ms(p, 2, "expect silence", "silence", &st->ms);
	}
	if (word_is(k, "tls")) {
		st->kind = STEP_EXPECT_TLS;
		const struct tok *t = arg_word(p, 2, "expect tls");
		if (t == NULL)
			return false;
		if (word_is(t, "ok"))
			st->tls_ok = true;
		else if (!word_is(t, "fail")) {
			TERR(p, t, "expect tls needs ok or fail, not '%.*s'", WSHOW(t));
			return false;
		}
		return no_more(p, 3, "expect tls");
	}
	TERR(p, k, "expect needs reply, command, close, silence or tls, not '%.*s'", WSHOW(k));
	return false;
}

static uint16_t tls_version(const char *s, size_t n)
{
	if (n == 3 && s[0] == '1' && s[1] == '.' && s[2] >= '0' && s[2] <= '3')
		return (uint16_t)(0x0301 + (s[2] - '0'));
	return 0;
}

/* A string option flattened to a C string: no variables, no NUL. */
static bool str_option(struct parser *p, size_t *ti, const char *what, char **out)
{
	struct scn_str tmp = {0};
	size_t first = *ti;
	int r = take_str(p, ti, &tmp);
	if (r <= 0) {
		if (r == 0)
			TERR(p, &p->toks[first - 1], "%s needs a quoted string", what);
		str_clear(&tmp);
		return false;
	}
	const struct tok *t = &p->toks[first];
	if (str_has_var(&tmp)) {
		TERR(p, t, "variables are not allowed in %s", what);
		str_clear(&tmp);
		return false;
	}
	size_t len;
	uint8_t *b = scn_str_expand(&tmp, NULL, NULL, &len);
	str_clear(&tmp);
	if (memchr(b, 0, len) != NULL) {
		TERR(p, t, "NUL byte not allowed in %s", what);
		free(b);
		return false;
	}
	*out = mem_strndup(MEM(p), b, len);
	free(b);
	return true;
}

static bool parse_tls(struct parser *p, struct step *st)
{
	if (p->ntoks >= 2 && word_is(&p->toks[1], "close")) {
		st->kind = STEP_TLS_CLOSE;
		return no_more(p, 2, "tls close");
	}
	st->kind = STEP_TLS;
	bool seen[5] = {false};
	static const char *const opts[5] = {"version", "ciphers", "servername", "glue", "cert"};
	size_t ti = 1;
	while (ti < p->ntoks) {
		const struct tok *t = &p->toks[ti];
		int o = -1;
		for (int k = 0; k < 5; k++)
			if (word_is(t, opts[k]))
				o = k;
		if (o < 0) {
			if (t->type == T_STR)
				TERR(p, t, "unexpected string in tls (options: version, ciphers, "
				           "servername, glue, cert)");
			else
				TERR(p, t, "unknown tls option '%.*s' (expected version, ciphers, "
				           "servername, glue, cert)",
				     WSHOW(t));
			return false;
		}
		if (seen[o]) {
			TERR(p, t, "duplicate tls option '%s'", opts[o]);
			return false;
		}
		seen[o] = true;
		ti++;
		switch (o) {
		case 0: {
			const struct tok *v = arg_word(p, ti, "version");
			if (v == NULL)
				return false;
			const char *dash = memchr(v->s, '-', v->n);
			uint16_t a, b;
			if (dash == NULL) {
				a = b = tls_version(v->s, v->n);
			} else {
				a = tls_version(v->s, (size_t)(dash - v->s));
				b = tls_version(dash + 1, v->n - (size_t)(dash - v->s) - 1);
			}
			if (a == 0 || b == 0) {
				TERR(p, v, "invalid TLS version '%.*s' (expected 1.0, 1.1, 1.2, 1.3 "
				           "or a range like 1.0-1.2)",
				     WSHOW(v));
				return false;
			}
			if (a > b) {
				TERR(p, v, "TLS version range '%.*s' is reversed", WSHOW(v));
				return false;
			}
			st->tls.vmin = a;
			st->tls.vmax = b;
			ti++;
			break;
		}
		case 1:
			if (!str_option(p, &ti, "ciphers", &st->tls.ciphers))
				return false;
			if (st->tls.ciphers[0] == '\0') {
				TERR(p, &p->toks[ti - 1], "empty cipher list");
				return false;
			}
			break;
		case 2:
			/* an empty servername is allowed: "send an empty SNI" is a test */
			if (!str_option(p, &ti, "servername", &st->tls.servername))
				return false;
			break;
		case 3: {
			size_t first = ti;
			int r = take_str(p, &ti, &st->tls.glue);
			if (r < 0)
				return false;
			if (r == 0) {
				TERR(p, t, "glue needs a quoted string");
				return false;
			}
			if (str_empty(&st->tls.glue)) {
				TERR(p, &p->toks[first], "empty glue");
				return false;
			}
			break;
		}
		case 4: {
			if (!need_role(p, t, SCN_TARGET_CLIENT, "'cert'"))
				return false;
			const struct tok *v = arg_word(p, ti, "cert");
			if (v == NULL)
				return false;
			if (!all_of(v->s, v->n, kwl_char)) {
				TERR(p, v, "invalid certificate name '%.*s' (lowercase letters, "
				           "digits, -)",
				     WSHOW(v));
				return false;
			}
			st->tls.cert = mem_strndup(MEM(p), v->s, v->n);
			ti++;
			break;
		}
		}
	}
	return true;
}

static bool parse_message(struct parser *p, struct step *st, const char *kw)
{
	size_t ti = 1;
	int r = take_str(p, &ti, &st->str);
	if (r < 0)
		return false;
	if (r == 0) {
		if (ti < p->ntoks)
			no_more(p, ti, kw); /* "send foo": say what is wrong with foo */
		else
			TERR(p, &p->toks[0], "'%s' needs a quoted string", kw);
		return false;
	}
	if (str_empty(&st->str)) {
		TERR(p, &p->toks[1], "%s", strcmp(kw, "send") == 0
		                                ? "send needs at least one byte"
		                                : "empty message");
		return false;
	}
	return no_more(p, ti, "the string");
}

/* verify no-plaintext|no-command VERB... [STR]   verify trigger ok|fail [STR] */
static bool parse_verify(struct parser *p, struct step *st)
{
	st->kind = STEP_VERIFY;
	if (!need_role(p, &p->toks[0], SCN_TARGET_CLIENT, "'verify'"))
		return false;
	const struct tok *k = arg_word(p, 1, "verify");
	if (k == NULL)
		return false;
	size_t ti = 2;
	if (word_is(k, "trigger")) {
		st->verify = VERIFY_TRIGGER;
		const struct tok *o = arg_word(p, 2, "verify trigger");
		if (o == NULL)
			return false;
		if (!word_is(o, "ok") && !word_is(o, "fail")) {
			TERR(p, o, "verify trigger takes ok or fail, not '%.*s'", WSHOW(o));
			return false;
		}
		st->trigger_ok = word_is(o, "ok");
		ti = 3;
	} else if (word_is(k, "no-plaintext") || word_is(k, "no-command")) {
		st->verify = word_is(k, "no-plaintext") ? VERIFY_NO_PLAINTEXT : VERIFY_NO_COMMAND;
		while (ti < p->ntoks && p->toks[ti].type == T_WORD) {
			const struct tok *v = &p->toks[ti];
			if (!all_of(v->s, v->n, is_alpha)) {
				TERR(p, v, "a verb is letters only, not '%.*s'", WSHOW(v));
				return false;
			}
			char *u = mem_strndup(MEM(p), v->s, v->n);
			for (char *c = u; *c; c++)
				*c = (char)to_upper((unsigned char)*c);
			strv_push(MEM(p), &st->verbs, &st->nverbs, u);
			ti++;
		}
		if (st->nverbs == 0) {
			TERR(p, k, "verify %.*s needs at least one verb", WSHOW(k));
			return false;
		}
	} else {
		TERR(p, k, "unknown verification '%.*s' (known: no-plaintext, no-command, trigger)", WSHOW(k));
		return false;
	}
	if (ti < p->ntoks) {
		int r = take_str(p, &ti, &st->str);
		if (r < 0)
			return false;
		if (r > 0 && str_empty(&st->str)) {
			TERR(p, &p->toks[ti - 1], "empty message");
			return false;
		}
	}
	return no_more(p, ti, "the verification");
}

enum block_end { END_EOF, END_CLOSE, END_OR };

static enum block_end parse_block(struct parser *p, struct scn_block *b, int depth, bool branch,
                                  bool *saw_stmt, int *or_line, int *or_col);

static bool is_terminal(const struct tok *t)
{
	return word_is(t, "fail") || word_is(t, "skip") || word_is(t, "inconclusive");
}

/*
 * alt { BLOCK } or { BLOCK } ... } - recursion per branch. Structure errors
 * are reported but the braces are still followed, so one typo does not
 * cascade into a stray '}' for every line below it.
 */
static void parse_alt(struct parser *p, struct step *st, int depth, bool damaged)
{
	int aline = p->lineno, acol = p->toks[0].col, bcol = acol;
	st->kind = STEP_ALT;
	p->quiet = damaged; /* the line's lexing error was reported already */
	if (p->ntoks < 2 || !word_is(&p->toks[1], "{")) {
		TERR(p, p->ntoks < 2 ? &p->toks[0] : &p->toks[1], "alt needs '{' at the end of the line");
	} else {
		bcol = p->toks[1].col;
		no_more(p, 2, "'{'");
	}
	p->quiet = false;
	int bline = aline;
	for (;;) {
		struct scn_block br = {0};
		bool saw = false;
		int oline = 0, ocol = 0;
		enum block_end e = parse_block(p, &br, depth + 1, true, &saw, &oline, &ocol);
		if (!saw && e != END_EOF)
			perr(p, bline, bcol, "empty alternative branch");
		st->branches = grow(MEM(p), st->branches, st->nbranches, sizeof *st->branches);
		st->branches[st->nbranches++] = br;
		if (e == END_OR) {
			bline = oline;
			bcol = ocol;
			continue;
		}
		if (e == END_EOF) {
			perr(p, aline, acol, "unclosed alt (missing '}')");
			return;
		}
		break;
	}
	if (st->nbranches < 2)
		perr(p, aline, acol, "alt needs at least two branches ('} or {')");
}

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
	while (level > 0 && next_line(p, &l, &n)) {
		lex_line(p, l, n);
		if (p->ntoks == 0)
			continue;
		if (word_is(&p->toks[0], "alt"))
			level++;
		else if (word_is(&p->toks[0], "}") && !(p->ntoks > 1 && word_is(&p->toks[1], "or")))
			level--;
	}
	p->quiet = false;
}

static bool is_statement(const struct tok *t)
{
	static const char *const kws[] = {"send", "expect", "tls", "alt", "fail", "skip",
	                                  "inconclusive", "verify", "sink", "note", "delay"};
	for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
		if (word_is(t, kws[i]))
			return true;
	return false;
}

/* "}" closes, "} or {" opens the next branch; anything else is reported */
static enum block_end close_line(struct parser *p, int *or_line, int *or_col)
{
	if (p->ntoks == 1)
		return END_CLOSE;
	if (!word_is(&p->toks[1], "or")) {
		no_more(p, 1, "'}'");
		return END_CLOSE;
	}
	*or_line = p->lineno;
	*or_col = p->toks[1].col;
	if (p->ntoks < 3 || !word_is(&p->toks[2], "{")) {
		TERR(p, &p->toks[p->ntoks < 3 ? 1 : 2], "expected '{' after 'or'");
		return END_OR;
	}
	*or_col = p->toks[2].col;
	no_more(p, 3, "'{'");
	return END_OR;
}

static enum block_end parse_block(struct parser *p, struct scn_block *b, int depth, bool branch,
                                  bool *saw_stmt, int *or_line, int *or_col)
{
	const uint8_t *l;
	size_t n;
	int term_line = 0;
	char term_kw[16] = "";
	bool unreachable_reported = false;

	while (next_line(p, &l, &n)) {
		/*
		 * A line with a lexing error was reported; its tokens up to the
		 * error still tell whether it was a brace or a statement, which
		 * keeps structure and header bookkeeping from cascading.
		 */
		bool lexok = lex_line(p, l, n);
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
		if (!is_statement(t0)) {
			if (lexok)
				TERR(p, t0, "unknown %s '%.*s'",
				     p->in_body ? "statement" : "header key or statement", WSHOW(t0));
			continue;
		}
		p->in_body = true;
		if (branch && !*saw_stmt && !word_is(t0, "expect"))
			TERR(p, t0, "alternative branch must start with an expectation");
		*saw_stmt = true;
		if (word_is(t0, "verify") && depth > 0)
			TERR(p, t0, "'verify' belongs at the top level, after the exchange");
		if (!word_is(t0, "verify") && depth == 0 && p->verify_line && !p->verify_reported) {
			TERR(p, t0, "statement after 'verify' on line %d (verifications come last)",
			     p->verify_line);
			p->verify_reported = true;
		}
		if (word_is(t0, "verify") && depth == 0 && !p->verify_line)
			p->verify_line = p->lineno;
		if (term_line && !unreachable_reported && !word_is(t0, "verify")) {
			TERR(p, t0, "unreachable statement after '%s' on line %d", term_kw, term_line);
			unreachable_reported = true;
		}
		if (is_terminal(t0) && !term_line) {
			term_line = p->lineno;
			snprintf(term_kw, sizeof term_kw, "%.*s", (int)t0->n, t0->s);
		}
		if (!lexok && !word_is(t0, "alt"))
			continue;

		struct step st;
		memset(&st, 0, sizeof st);
		st.line = p->lineno;
		st.col = t0->col;
		bool ok;
		if (word_is(t0, "alt") && depth >= ALT_DEPTH_MAX) {
			TERR(p, t0, "alt nested too deeply (at most %d levels)", ALT_DEPTH_MAX);
			skip_alt(p);
			ok = false;
		} else if (word_is(t0, "alt")) {
			parse_alt(p, &st, depth, !lexok);
			ok = true;
		} else if (word_is(t0, "send")) {
			st.kind = STEP_SEND;
			ok = parse_message(p, &st, "send");
		} else if (word_is(t0, "expect")) {
			ok = parse_expect(p, &st);
		} else if (word_is(t0, "tls")) {
			ok = parse_tls(p, &st);
		} else if (word_is(t0, "verify")) {
			ok = parse_verify(p, &st);
		} else if (word_is(t0, "sink")) {
			st.kind = STEP_SINK;
			ok = need_role(p, t0, SCN_TARGET_CLIENT, "'sink'") && no_more(p, 1, "'sink'");
		} else if (word_is(t0, "note")) {
			st.kind = STEP_NOTE;
			ok = parse_message(p, &st, "note");
		} else if (word_is(t0, "delay")) {
			st.kind = STEP_DELAY;
			ok = parse_ms(p, 1, "delay", "delay", &st.ms);
		} else {
			st.kind = word_is(t0, "fail")   ? STEP_FAIL
			          : word_is(t0, "skip") ? STEP_SKIP
			                                : STEP_INCONCLUSIVE;
			ok = parse_message(p, &st, word_is(t0, "fail")   ? "fail"
			                           : word_is(t0, "skip") ? "skip"
			                                                 : "inconclusive");
		}
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
	p.s->file = mem_strndup(MEM(&p), p.file, strlen(p.file));

	bool saw = false;
	int ol, oc;
	parse_block(&p, &p.s->body, 0, false, &saw, &ol, &oc);
	toks_reset(&p);
	free(p.toks);
	buf_free(&p.lit);

	static const int required[] = {H_SCENARIO, H_TARGET, H_SUMMARY, H_CATALOG, H_SEVERITY};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!p.hdr_line[required[i]])
			perr(&p, 1, 1, "missing required header '%s'", hdr_names[required[i]]);
	if (!p.in_body)
		perr(&p, 1, 1, "scenario has no statements");

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
			scn_diag_add(diag, path, why);
		buf_free(&b);
		return NULL;
	}
	struct scenario *s = scenario_parse(path, b.data, b.len, diag);
	buf_free(&b);
	return s;
}

/* ---------- canonical dump ---------- */

/* first byte the next part of a quoted run contributes, or -1 */
static int run_next_byte(const struct scn_str *s, size_t i)
{
	for (size_t k = i + 1; k < s->nparts; k++) {
		const struct scn_part *q = &s->parts[k];
		if (q->var != NULL)
			return '$';
		if (q->repeat != 1)
			return -1; /* starts its own quoted string */
		if (q->len > 0)
			return q->bytes[0];
	}
	return -1;
}

/* buf_escape's escapes, plus one rule: a literal "${" must not read back as
 * a variable, so such a '$' is written \x24 (next: the byte after p[n-1]). */
static void esc_bytes(struct buf *out, const uint8_t *p, size_t n, int next)
{
	size_t run = 0; /* p[run..i) goes through buf_escape */
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int after = i + 1 < n ? p[i + 1] : next;
		if (p[i] != '$' || after != '{')
			continue;
		buf_escape(out, p + run, i - run);
		buf_append(out, "\\x24", 4);
		run = i + 1;
	}
	buf_escape(out, p + run, n - run);
}

static void dump_str(struct buf *b, const struct scn_str *s)
{
	if (s->nparts == 0) {
		buf_append(b, "\"\"", 2);
		return;
	}
	size_t i = 0;
	bool first = true;
	while (i < s->nparts) {
		const struct scn_part *p = &s->parts[i];
		if (!first)
			buf_append(b, " ", 1);
		first = false;
		buf_append(b, "\"", 1);
		if (p->var == NULL && p->repeat != 1) {
			esc_bytes(b, p->bytes, p->len, -1);
			buf_appendf(b, "\"*%zu", p->repeat);
			i++;
			continue;
		}
		/* repeat-1 literals and variables merge into one quoted string */
		while (i < s->nparts && (s->parts[i].var != NULL || s->parts[i].repeat == 1)) {
			const struct scn_part *q = &s->parts[i];
			if (q->var != NULL)
				buf_appendf(b, "${%s}", q->var);
			else
				esc_bytes(b, q->bytes, q->len, run_next_byte(s, i));
			i++;
		}
		buf_append(b, "\"", 1);
	}
}

static void dump_cstr(struct buf *b, const char *s)
{
	buf_append(b, "\"", 1);
	esc_bytes(b, (const uint8_t *)s, strlen(s), -1);
	buf_append(b, "\"", 1);
}

static void dump_version(struct buf *b, uint16_t v)
{
	if (v >= 0x0301 && v <= 0x0304)
		buf_appendf(b, "1.%d", v - 0x0301);
	else
		buf_appendf(b, "0x%04x", v);
}

static void dump_upper(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char c = (char)to_upper((unsigned char)*s);
		buf_append(b, &c, 1);
	}
}

static void dump_block(struct buf *b, const struct scn_block *blk, int depth)
{
	for (size_t i = 0; i < blk->n; i++) {
		const struct step *st = &blk->steps[i];
		for (int d = 0; d < depth; d++)
			buf_append(b, "    ", 4);
		switch (st->kind) {
		case STEP_SEND:
			buf_appendf(b, "send ");
			dump_str(b, &st->str);
			break;
		case STEP_EXPECT_REPLY:
			buf_appendf(b, "expect reply %s", st->codepat ? st->codepat : "any");
			for (size_t k = 0; k < st->nhas; k++) {
				buf_appendf(b, " has ");
				dump_upper(b, st->has[k]);
			}
			for (size_t k = 0; k < st->nlacks; k++) {
				buf_appendf(b, " lacks ");
				dump_upper(b, st->lacks[k]);
			}
			if (st->alone)
				buf_appendf(b, " alone");
			if (st->strict)
				buf_appendf(b, " strict");
			break;
		case STEP_EXPECT_COMMAND:
			buf_appendf(b, "expect command ");
			if (st->verb == NULL || strcmp(st->verb, "any") == 0)
				buf_appendf(b, "any");
			else
				dump_upper(b, st->verb);
			break;
		case STEP_EXPECT_CLOSE:
			buf_appendf(b, "expect close");
			break;
		case STEP_EXPECT_SILENCE:
		case STEP_DELAY:
			buf_appendf(b, "%s ", st->kind == STEP_DELAY ? "delay" : "expect silence");
			if (st->ms % 1000 == 0)
				buf_appendf(b, "%llds", (long long)(st->ms / 1000));
			else
				buf_appendf(b, "%lldms", (long long)st->ms);
			break;
		case STEP_EXPECT_TLS:
			buf_appendf(b, "expect tls %s", st->tls_ok ? "ok" : "fail");
			break;
		case STEP_TLS:
			buf_appendf(b, "tls");
			if (st->tls.vmin || st->tls.vmax) {
				buf_appendf(b, " version ");
				dump_version(b, st->tls.vmin);
				if (st->tls.vmax != st->tls.vmin) {
					buf_append(b, "-", 1);
					dump_version(b, st->tls.vmax);
				}
			}
			if (st->tls.ciphers) {
				buf_appendf(b, " ciphers ");
				dump_cstr(b, st->tls.ciphers);
			}
			if (st->tls.servername) {
				buf_appendf(b, " servername ");
				dump_cstr(b, st->tls.servername);
			}
			if (st->tls.glue.nparts) {
				buf_appendf(b, " glue ");
				dump_str(b, &st->tls.glue);
			}
			if (st->tls.cert)
				buf_appendf(b, " cert %s", st->tls.cert);
			break;
		case STEP_TLS_CLOSE:
			buf_appendf(b, "tls close");
			break;
		case STEP_ALT:
			buf_appendf(b, "alt {\n");
			for (size_t k = 0; k < st->nbranches; k++) {
				if (k > 0) {
					for (int d = 0; d < depth; d++)
						buf_append(b, "    ", 4);
					buf_appendf(b, "} or {\n");
				}
				dump_block(b, &st->branches[k], depth + 1);
			}
			for (int d = 0; d < depth; d++)
				buf_append(b, "    ", 4);
			buf_appendf(b, "}");
			break;
		case STEP_SINK:
			buf_appendf(b, "sink");
			break;
		case STEP_NOTE:
			buf_appendf(b, "note ");
			dump_str(b, &st->str);
			break;
		case STEP_VERIFY:
			if (st->verify == VERIFY_TRIGGER) {
				buf_appendf(b, "verify trigger %s", st->trigger_ok ? "ok" : "fail");
			} else {
				buf_appendf(b, "verify %s",
				            st->verify == VERIFY_NO_PLAINTEXT ? "no-plaintext" : "no-command");
				for (size_t k = 0; k < st->nverbs; k++)
					buf_appendf(b, " %s", st->verbs[k]);
			}
			if (st->str.nparts) {
				buf_append(b, " ", 1);
				dump_str(b, &st->str);
			}
			break;
		case STEP_FAIL:
		case STEP_SKIP:
		case STEP_INCONCLUSIVE:
			buf_appendf(b, "%s ", st->kind == STEP_FAIL   ? "fail"
			                      : st->kind == STEP_SKIP ? "skip"
			                                              : "inconclusive");
			dump_str(b, &st->str);
			break;
		}
		buf_append(b, "\n", 1);
	}
}

char *scenario_dump(const struct scenario *s)
{
	struct buf b = {0};
	buf_appendf(&b, "scenario %s\n", s->id ? s->id : "");
	buf_appendf(&b, "target %s\n", s->role == SCN_TARGET_CLIENT ? "client" : "server");
	buf_appendf(&b, "summary %s\n", s->summary ? s->summary : "");
	buf_appendf(&b, "catalog");
	for (size_t i = 0; i < s->ncatalog; i++)
		buf_appendf(&b, " %s", s->catalog[i]);
	buf_appendf(&b, "\n");
	for (size_t i = 0; i < s->nrefs; i++)
		buf_appendf(&b, "ref %s\n", s->refs[i]);
	buf_appendf(&b, "severity %s\n", s->severity ? s->severity : "");
	if (s->nkeywords) {
		buf_appendf(&b, "keywords");
		for (size_t i = 0; i < s->nkeywords; i++)
			buf_appendf(&b, " %s", s->keywords[i]);
		buf_appendf(&b, "\n");
	}
	if (s->profile)
		buf_appendf(&b, "profile %s\n", s->profile);
	buf_appendf(&b, "\n");
	dump_block(&b, &s->body, 0);
	return buf_cstr(&b);
}

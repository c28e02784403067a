/* SPDX-License-Identifier: MIT */
/*
 * scenario_lex: the scenario module's arena (one per scenario tree, one per
 * scn_diag; ASan redzones), string expressions, the per-line lexer (words,
 * quoted strings with escapes, *N repeats and ${vars}) and the parse's
 * "file:line:col: msg" diagnostics. Public: scn_diag_add/_free,
 * scn_str_expand; scenario_lex_* for the module (scenario_int.h).
 * Invariants: input is bytes (NUL, 8-bit, CR never crash; nothing is
 * strlen'd); string expressions are kept in the normal form the dump needs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

#define REPEAT_MAX (1024u * 1024u) /* *N upper bound; matches SCN_SEND_MAX for "x"*N */

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
void *scenario_lex_alloc(struct scn_chunk **m, size_t n)
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

char *scenario_lex_strndup(struct scn_chunk **m, const void *s, size_t n)
{
	char *d = scenario_lex_alloc(m, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void scenario_lex_free_mem(struct scn_chunk *c)
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
void *scenario_lex_grow(struct scn_chunk **m, void *v, size_t n, size_t size)
{
	if (n & (n - 1))
		return v;
	void *w = scenario_lex_alloc(m, (n ? 2 * n : 1) * size);
	if (n) {
		memcpy(w, v, n * size);
		mem_drop(v, n * size);
	}
	return w;
}

void scenario_lex_strv_push(struct scn_chunk **m, char ***v, size_t *n, char *s)
{
	*v = scenario_lex_grow(m, *v, *n, sizeof **v);
	(*v)[(*n)++] = s;
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
	char *m = scenario_lex_alloc(&d->mem, len + 1);
	m[len] = '\0';
	d->msgs[d->n++] = m;
	return m;
}

void scenario_diag_add(struct scn_diag *d, const char *file, const char *why)
{
	size_t nf = strlen(file), nw = strlen(why);
	char *m = diag_new(d, nf + 2 + nw);
	memcpy(m, file, nf);
	memcpy(m + nf, ": ", 2);
	memcpy(m + nf + 2, why, nw);
}

void scenario_diag_free(struct scn_diag *d)
{
	if (d == NULL)
		return;
	scenario_lex_free_mem(d->mem);
	free(d->msgs);
	memset(d, 0, sizeof *d);
}

/* ---------- string expressions ---------- */

/* Drop a string expression that nothing refers to any more. */
void scenario_lex_str_clear(struct scn_str *s)
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
	s->parts = scenario_lex_grow(m, s->parts, s->nparts, sizeof *s->parts);
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
			uint8_t *b = scenario_lex_alloc(m, last->len + p.len);
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

bool scenario_lex_str_has_var(const struct scn_str *s)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].var != NULL)
			return true;
	return false;
}

/* Result is NUL-terminated (not counted in *len) for callers printing it. */
uint8_t *scenario_str_expand(const struct scn_str *s, scn_var_fn lookup, void *ctx, size_t *len)
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

/* ---------- diagnostics of a parse ---------- */

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

void scenario_lex_error(struct parser *p, int line, int col, const char *fmt, ...)
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

/* ---------- lexer ---------- */

static void toks_reset(struct parser *p)
{
	for (size_t i = 0; i < p->ntoks; i++)
		scenario_lex_str_clear(&p->toks[i].str);
	p->ntoks = 0;
}

void scenario_lex_done(struct parser *p)
{
	toks_reset(p);
	free(p->toks);
	p->toks = NULL;
	p->captoks = 0;
	buf_free(&p->lit);
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
	struct scn_part part = {
	    .bytes = scenario_lex_alloc(MEM(p), p->lit.len), .len = p->lit.len, .repeat = 1};
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
			scenario_lex_error(p, p->lineno, (int)start + 1, "unterminated string");
			goto fail;
		}
		uint8_t c = l[j];
		if (c == '"') {
			j++;
			break;
		}
		if (c == '\\') {
			if (j + 1 >= n) {
				scenario_lex_error(p, p->lineno, (int)start + 1, "unterminated string");
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
					scenario_lex_error(p, p->lineno, (int)j + 1,
					     "\\x needs exactly two hex digits");
					goto fail;
				}
				v = (uint8_t)(hexval(l[j + 2]) * 16 + hexval(l[j + 3]));
				buf_append(lit, &v, 1);
				j += 4;
				continue;
			default:
				if (e >= 0x21 && e < 0x7f)
					scenario_lex_error(p, p->lineno, (int)j + 1,
					     "unknown escape '\\%c' (known: \\r \\n \\t \\\\ \\\" \\0 \\xHH)",
					     e);
				else
					scenario_lex_error(p, p->lineno, (int)j + 1,
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
				scenario_lex_error(p, p->lineno, (int)j + 1,
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
				scenario_lex_error(p, p->lineno, (int)j + 1,
				     "unknown variable '${%.*s}' (known: ${helo}, ${servername})",
				     (int)(nlen > WORD_SHOW ? WORD_SHOW : nlen), name);
				goto fail;
			}
			lit_flush(p, &t->str);
			struct scn_part part = {.repeat = 1,
			                        .var = scenario_lex_strndup(MEM(p), known, strlen(known))};
			str_push(MEM(p), &t->str, part);
			has_var = true;
			j = k + 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			scenario_lex_error(p, p->lineno, (int)j + 1,
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
			scenario_lex_error(p, p->lineno, (int)star + 1, "repeat count must be an integer 1..%u",
			     REPEAT_MAX);
			goto fail;
		}
		if (has_var) {
			/* "a${helo}"*3 would need the var inside a repeated group; keep parts flat */
			scenario_lex_error(p, p->lineno, (int)star + 1,
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
			scenario_lex_error(p, p->lineno, (int)k + 1, "unexpected byte \\x%02x", l[k]);
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
bool scenario_lex_line(struct parser *p, const uint8_t *l, size_t n)
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
				scenario_lex_error(p, p->lineno, (int)i + 1, "missing space before string");
				return false;
			}
			if (!lex_string(p, l, n, &i))
				return false;
			if (i < n && !is_space(l[i]) && l[i] != '#' && l[i] != '"') {
				scenario_lex_error(p, p->lineno, (int)i + 1, "missing space after string");
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
		scenario_lex_error(p, p->lineno, (int)i + 1, "unexpected byte \\x%02x", c);
		return false;
	}
	return true;
}

/* Advance to the next line; strips one CR before LF (CRLF files are fine). */
bool scenario_lex_next_line(struct parser *p, const uint8_t **l, size_t *n)
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
int scenario_lex_take_str(struct parser *p, size_t *ti, struct scn_str *out)
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

bool scenario_lex_str_empty(const struct scn_str *s)
{
	size_t sz;
	return !scenario_lex_str_has_var(s) && str_size(s, &sz) && sz == 0;
}

/* Report the first unexpected token at or after ti; true if there was none. */
bool scenario_lex_no_more(struct parser *p, size_t ti, const char *after)
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


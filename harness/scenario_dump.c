/* SPDX-License-Identifier: MIT */
/*
 * scenario_dump: the canonical text of a parsed scenario (headers in a fixed
 * order, four spaces per alt level, strings re-escaped in normal form).
 * Public: scenario_dump; scenario_dump_* write a statement's arguments for
 * the statements table (scenario_int.h). Invariant: parse(dump(s)) dumps
 * byte-identical to dump(s); a literal "${" never reads back as a variable.
 */
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

/* ---------- strings ---------- */

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

static void indent(struct buf *b, int depth)
{
	for (int d = 0; d < depth; d++)
		buf_append(b, "    ", 4);
}

/* Each step as its statement's name and its arguments, a line each. */
static void dump_block(struct buf *b, const struct scn_block *blk, int depth)
{
	for (size_t i = 0; i < blk->n; i++) {
		const struct step *st = &blk->steps[i];
		const struct scn_stmt *row = &scenario_stmts[st->kind];
		indent(b, depth);
		buf_append(b, row->name, strlen(row->name));
		if (row->dump != NULL)
			row->dump(b, st, depth);
		buf_append(b, "\n", 1);
	}
}

/* Lines the dump of a step / block takes (no dumped string holds a newline). */
static int block_lines(const struct scn_block *blk);
static int step_lines(const struct step *st)
{
	if (st->kind != STEP_ALT)
		return 1;
	int n = 2 + (int)st->nbranches - 1; /* "alt {", "} or {"..., "}" */
	for (size_t k = 0; k < st->nbranches; k++)
		n += block_lines(&st->branches[k]);
	return n;
}

static int block_lines(const struct scn_block *blk)
{
	int n = 0;
	for (size_t i = 0; i < blk->n; i++)
		n += step_lines(&blk->steps[i]);
	return n;
}

/* *out = the dump line of the statement on source line `at` (blk's dump
 * starts on line base); false if none. */
static bool line_in(const struct scn_block *blk, int at, int base, int *out)
{
	for (size_t i = 0; i < blk->n; i++) {
		const struct step *st = &blk->steps[i];
		if (st->line == at) {
			*out = base;
			return true;
		}
		int sub = base + 1;
		for (size_t k = 0; k < st->nbranches; k++) {
			if (line_in(&st->branches[k], at, sub, out))
				return true;
			sub += block_lines(&st->branches[k]) + 1;
		}
		base += step_lines(st);
	}
	return false;
}

static int count_lines(const struct buf *b)
{
	int n = 0;
	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* ---------- the statements' arguments ---------- */

/* send, note, fail, skip, inconclusive */
void scenario_dump_message(struct buf *b, const struct step *st, int depth)
{
	buf_append(b, " ", 1);
	dump_str(b, &st->str);
}

void scenario_dump_reply(struct buf *b, const struct step *st, int depth)
{
	buf_appendf(b, " %s", st->codepat ? st->codepat : "any");
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
}

void scenario_dump_command(struct buf *b, const struct step *st, int depth)
{
	buf_append(b, " ", 1);
	if (st->verb == NULL || strcmp(st->verb, "any") == 0)
		buf_appendf(b, "any");
	else
		dump_upper(b, st->verb);
}

/* expect silence, delay */
void scenario_dump_ms(struct buf *b, const struct step *st, int depth)
{
	if (st->ms % 1000 == 0)
		buf_appendf(b, " %llds", (long long)(st->ms / 1000));
	else
		buf_appendf(b, " %lldms", (long long)st->ms);
}

void scenario_dump_tls_result(struct buf *b, const struct step *st, int depth)
{
	buf_appendf(b, " %s", st->tls_ok ? "ok" : "fail");
}

void scenario_dump_sni(struct buf *b, const struct step *st, int depth)
{
	if (st->sni == SCN_SNI_NAME)
		scenario_dump_message(b, st, depth);
	else
		buf_appendf(b, " %s", st->sni == SCN_SNI_NONE ? "none" : "any");
}

void scenario_dump_tls(struct buf *b, const struct step *st, int depth)
{
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
	if (st->tls.with_ca)
		buf_appendf(b, " with-ca");
}

void scenario_dump_alt(struct buf *b, const struct step *st, int depth)
{
	buf_appendf(b, " {\n");
	for (size_t k = 0; k < st->nbranches; k++) {
		if (k > 0) {
			indent(b, depth);
			buf_appendf(b, "} or {\n");
		}
		dump_block(b, &st->branches[k], depth + 1);
	}
	indent(b, depth);
	buf_appendf(b, "}");
}

void scenario_dump_verify(struct buf *b, const struct step *st, int depth)
{
	if (st->verify == VERIFY_TRIGGER) {
		buf_appendf(b, " trigger %s", st->trigger_ok ? "ok" : "fail");
	} else {
		buf_appendf(b, " %s", st->verify == VERIFY_NO_PLAINTEXT ? "no-plaintext" : "no-command");
		for (size_t k = 0; k < st->nverbs; k++)
			buf_appendf(b, " %s", st->verbs[k]);
	}
	if (st->str.nparts) {
		buf_append(b, " ", 1);
		dump_str(b, &st->str);
	}
}

/* ---------- the scenario ---------- */

static void dump_names(struct buf *b, const char *key, char **v, size_t n, int at)
{
	if (n == 0)
		return;
	buf_appendf(b, "%s", key);
	for (size_t i = 0; i < n; i++)
		buf_appendf(b, " %s", v[i]);
	if (at)
		buf_appendf(b, " at %d", at);
	buf_appendf(b, "\n");
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
	/* "at N" names the dump's own line of the statement (the source's
	 * line numbers do not survive a dump); the body starts after these
	 * headers and one blank line. */
	int base = count_lines(&b) + (s->nrequires > 0) + (s->nprovides > 0) + 2;
	int rat = 0, pat = 0;
	if (s->requires_at)
		(void)line_in(&s->body, s->requires_at, base, &rat);
	if (s->provides_at)
		(void)line_in(&s->body, s->provides_at, base, &pat);
	dump_names(&b, "requires", s->requires, s->nrequires, rat);
	dump_names(&b, "provides", s->provides, s->nprovides, pat);
	buf_appendf(&b, "\n");
	dump_block(&b, &s->body, 0);
	return buf_cstr(&b);
}

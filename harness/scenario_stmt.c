/* SPDX-License-Identifier: MIT */
/*
 * scenario_stmt: the statements of the language, one table (scenario_stmts:
 * name, role, flags, parse, dump per step kind) that the parser and the dump
 * both use, and the parsers of their arguments. Public (to the module):
 * scenario_stmts, scenario_stmt_family, scenario_stmt_parse. Invariants: a
 * statement's step kind is its row's index; a parse function reports every
 * error it returns false for.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scenario_int.h"

#define SILENCE_MAX_MS 60000 /* a longer silence is a timeout, not an expectation */

/* ---------- word classes ---------- */

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

/* ---------- argument parsers ---------- */

static bool need_role(struct parser *p, const struct tok *t, enum scn_role role, const char *what)
{
	if (!p->role_known || p->s->role == role)
		return true;
	TERR(p, t, "'%s' is only valid for target %s", what,
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

static bool parse_reply(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	const struct tok *t = arg_word(p, row->nwords, row->name);
	if (t == NULL)
		return false;
	if (!codepat_valid(t->s, t->n)) {
		TERR(p, t, "invalid code pattern '%.*s' (expected e.g. 220, 2xx, 4xx|5xx, any)",
		     WSHOW(t));
		return false;
	}
	st->codepat = scenario_lex_strndup(MEM(p), t->s, t->n);
	for (size_t ti = row->nwords + 1; ti < p->ntoks; ti++) {
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
			char *kw = scenario_lex_strndup(MEM(p), k->s, k->n);
			if (has)
				scenario_lex_strv_push(MEM(p), &st->has, &st->nhas, kw);
			else
				scenario_lex_strv_push(MEM(p), &st->lacks, &st->nlacks, kw);
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

/* The duration of a statement (expect silence, delay): more than 0 and at
 * most SILENCE_MAX_MS, nothing after it. Messages call it by the name's last word. */
static bool parse_ms(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	size_t ti = row->nwords;
	const char *what = strrchr(row->name, ' ');
	what = what != NULL ? what + 1 : row->name;
	const struct tok *t = arg_word(p, ti, row->name);
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
	st->ms = ms;
	return scenario_lex_no_more(p, ti + 1, "the duration");
}

/* expect command VERB|any */
static bool parse_command(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	const struct tok *t = arg_word(p, row->nwords, row->name);
	if (t == NULL)
		return false;
	if (!word_is(t, "any") && !all_of(t->s, t->n, is_alpha)) {
		TERR(p, t, "invalid verb '%.*s' (letters only, or any)", WSHOW(t));
		return false;
	}
	st->verb = scenario_lex_strndup(MEM(p), t->s, t->n);
	return scenario_lex_no_more(p, row->nwords + 1, "the verb");
}

/* expect close, tls close: no arguments */
static bool parse_nothing(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	return scenario_lex_no_more(p, row->nwords, row->name);
}

/* expect tls ok|fail */
static bool parse_tls_result(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	const struct tok *t = arg_word(p, row->nwords, row->name);
	if (t == NULL)
		return false;
	if (word_is(t, "ok"))
		st->tls_ok = true;
	else if (!word_is(t, "fail")) {
		TERR(p, t, "%s needs ok or fail, not '%.*s'", row->name, WSHOW(t));
		return false;
	}
	return scenario_lex_no_more(p, row->nwords + 1, row->name);
}

/* expect sni STR|none|any */
static bool parse_sni(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	size_t ti = row->nwords;
	if (ti < p->ntoks && p->toks[ti].type == T_WORD) {
		const struct tok *t = &p->toks[ti];
		if (word_is(t, "none"))
			st->sni = SCN_SNI_NONE;
		else if (word_is(t, "any"))
			st->sni = SCN_SNI_ANY;
		else {
			TERR(p, t, "%s needs a quoted name, none or any, not '%.*s'", row->name, WSHOW(t));
			return false;
		}
		return scenario_lex_no_more(p, ti + 1, row->name);
	}
	st->sni = SCN_SNI_NAME;
	int r = scenario_lex_take_str(p, &ti, &st->str);
	if (r <= 0) {
		if (r == 0)
			TERR(p, &p->toks[ti - 1], "%s needs a quoted name, none or any", row->name);
		return false;
	}
	if (scenario_lex_str_empty(&st->str)) {
		TERR(p, &p->toks[row->nwords], "empty name (no SNI is: %s none)", row->name);
		return false;
	}
	return scenario_lex_no_more(p, ti, "the name");
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
	int r = scenario_lex_take_str(p, ti, &tmp);
	if (r <= 0) {
		if (r == 0)
			TERR(p, &p->toks[first - 1], "%s needs a quoted string", what);
		scenario_lex_str_clear(&tmp);
		return false;
	}
	const struct tok *t = &p->toks[first];
	if (scenario_lex_str_has_var(&tmp)) {
		TERR(p, t, "variables are not allowed in %s", what);
		scenario_lex_str_clear(&tmp);
		return false;
	}
	size_t len;
	uint8_t *b = scenario_str_expand(&tmp, NULL, NULL, &len);
	scenario_lex_str_clear(&tmp);
	if (memchr(b, 0, len) != NULL) {
		TERR(p, t, "NUL byte not allowed in %s", what);
		free(b);
		return false;
	}
	*out = scenario_lex_strndup(MEM(p), b, len);
	free(b);
	return true;
}

/* tls [version V[-V]] [ciphers STR] [servername STR] [glue STR] [cert NAME] [with-ca] */
static bool parse_tls(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	bool seen[6] = {false};
	static const char *const opts[6] = {"version", "ciphers", "servername", "glue", "cert", "with-ca"};
	size_t ti = row->nwords;
	while (ti < p->ntoks) {
		const struct tok *t = &p->toks[ti];
		int o = -1;
		for (int k = 0; k < 6; k++)
			if (word_is(t, opts[k]))
				o = k;
		if (o < 0) {
			if (t->type == T_STR)
				TERR(p, t, "unexpected string in tls (options: version, ciphers, "
				           "servername, glue, cert, with-ca)");
			else
				TERR(p, t, "unknown tls option '%.*s' (expected version, ciphers, "
				           "servername, glue, cert, with-ca)",
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
			int r = scenario_lex_take_str(p, &ti, &st->tls.glue);
			if (r < 0)
				return false;
			if (r == 0) {
				TERR(p, t, "glue needs a quoted string");
				return false;
			}
			if (scenario_lex_str_empty(&st->tls.glue)) {
				TERR(p, &p->toks[first], "empty glue");
				return false;
			}
			break;
		}
		case 4: {
			if (!need_role(p, t, SCN_TARGET_CLIENT, "cert"))
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
			st->tls.cert = scenario_lex_strndup(MEM(p), v->s, v->n);
			ti++;
			break;
		}
		case 5:
			/* a flag: the trust anchor in the chain (RFC 7671 5.2.2, DANE-TA) */
			if (!need_role(p, t, SCN_TARGET_CLIENT, "with-ca"))
				return false;
			st->tls.with_ca = true;
			break;
		}
	}
	return true;
}

/* send|note|fail|skip|inconclusive STR */
static bool parse_message(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	const char *kw = row->name;
	size_t ti = row->nwords;
	int r = scenario_lex_take_str(p, &ti, &st->str);
	if (r < 0)
		return false;
	if (r == 0) {
		if (ti < p->ntoks)
			scenario_lex_no_more(p, ti, kw); /* "send foo": say what is wrong with foo */
		else
			TERR(p, &p->toks[0], "'%s' needs a quoted string", kw);
		return false;
	}
	if (scenario_lex_str_empty(&st->str)) {
		TERR(p, &p->toks[row->nwords], "%s", st->kind == STEP_SEND
		                                            ? "send needs at least one byte"
		                                            : "empty message");
		return false;
	}
	return scenario_lex_no_more(p, ti, "the string");
}

/* verify no-plaintext|no-command VERB... [STR]   verify trigger ok|fail [STR] */
static bool parse_verify(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	const struct tok *k = arg_word(p, row->nwords, row->name);
	if (k == NULL)
		return false;
	size_t ti = row->nwords + 1;
	if (word_is(k, "trigger")) {
		st->verify = VERIFY_TRIGGER;
		const struct tok *o = arg_word(p, ti, "verify trigger");
		if (o == NULL)
			return false;
		if (!word_is(o, "ok") && !word_is(o, "fail")) {
			TERR(p, o, "verify trigger takes ok or fail, not '%.*s'", WSHOW(o));
			return false;
		}
		st->trigger_ok = word_is(o, "ok");
		ti++;
	} else if (word_is(k, "no-plaintext") || word_is(k, "no-command")) {
		st->verify = word_is(k, "no-plaintext") ? VERIFY_NO_PLAINTEXT : VERIFY_NO_COMMAND;
		while (ti < p->ntoks && p->toks[ti].type == T_WORD) {
			const struct tok *v = &p->toks[ti];
			if (!all_of(v->s, v->n, is_alpha)) {
				TERR(p, v, "a verb is letters only, not '%.*s'", WSHOW(v));
				return false;
			}
			char *u = scenario_lex_strndup(MEM(p), v->s, v->n);
			for (char *c = u; *c; c++)
				*c = (char)to_upper((unsigned char)*c);
			scenario_lex_strv_push(MEM(p), &st->verbs, &st->nverbs, u);
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
		int r = scenario_lex_take_str(p, &ti, &st->str);
		if (r < 0)
			return false;
		if (r > 0 && scenario_lex_str_empty(&st->str)) {
			TERR(p, &p->toks[ti - 1], "empty message");
			return false;
		}
	}
	return scenario_lex_no_more(p, ti, "the verification");
}

/* sink: no arguments */
static bool parse_sink(struct parser *p, struct step *st, const struct scn_stmt *row)
{
	return scenario_lex_no_more(p, 1, "'sink'");
}

/* ---------- the table ---------- */

/*
 * The language's statements, one row per step kind. The rows that share a
 * first word ("expect", "tls") are a family: a two-word row is chosen by the
 * line's second word, else the family's one-word row; they share the flags.
 */
const struct scn_stmt scenario_stmts[] = {
	[STEP_SEND] = {"send", 1, STMT_ANY_ROLE, 0, parse_message, scenario_dump_message},
	[STEP_EXPECT_REPLY] = {"expect reply", 2, SCN_TARGET_SERVER, STMT_EXPECT, parse_reply,
	                       scenario_dump_reply},
	[STEP_EXPECT_COMMAND] = {"expect command", 2, SCN_TARGET_CLIENT, STMT_EXPECT, parse_command,
	                         scenario_dump_command},
	[STEP_EXPECT_CLOSE] = {"expect close", 2, STMT_ANY_ROLE, STMT_EXPECT, parse_nothing, NULL},
	[STEP_EXPECT_SILENCE] = {"expect silence", 2, STMT_ANY_ROLE, STMT_EXPECT, parse_ms,
	                         scenario_dump_ms},
	[STEP_EXPECT_TLS] = {"expect tls", 2, STMT_ANY_ROLE, STMT_EXPECT, parse_tls_result,
	                     scenario_dump_tls_result},
	[STEP_EXPECT_SNI] = {"expect sni", 2, SCN_TARGET_CLIENT, STMT_EXPECT, parse_sni,
	                     scenario_dump_sni},
	[STEP_TLS] = {"tls", 1, STMT_ANY_ROLE, 0, parse_tls, scenario_dump_tls},
	[STEP_TLS_CLOSE] = {"tls close", 2, STMT_ANY_ROLE, 0, parse_nothing, NULL},
	[STEP_ALT] = {"alt", 1, STMT_ANY_ROLE, STMT_BLOCK, scenario_alt, scenario_dump_alt},
	[STEP_FAIL] = {"fail", 1, STMT_ANY_ROLE, STMT_TERMINAL, parse_message, scenario_dump_message},
	[STEP_SKIP] = {"skip", 1, STMT_ANY_ROLE, STMT_TERMINAL, parse_message, scenario_dump_message},
	[STEP_INCONCLUSIVE] = {"inconclusive", 1, STMT_ANY_ROLE, STMT_TERMINAL, parse_message,
	                       scenario_dump_message},
	[STEP_SINK] = {"sink", 1, SCN_TARGET_CLIENT, 0, parse_sink, NULL},
	[STEP_NOTE] = {"note", 1, STMT_ANY_ROLE, 0, parse_message, scenario_dump_message},
	[STEP_DELAY] = {"delay", 1, STMT_ANY_ROLE, 0, parse_ms, scenario_dump_ms},
	[STEP_VERIFY] = {"verify", 1, SCN_TARGET_CLIENT, STMT_LAST, parse_verify,
	                 scenario_dump_verify},
};
const size_t scenario_nstmts = sizeof scenario_stmts / sizeof scenario_stmts[0];
/* a kind without a row would be a NULL name: STEP_VERIFY is the last kind */
_Static_assert(sizeof scenario_stmts / sizeof scenario_stmts[0] == STEP_VERIFY + 1,
               "one row per enum step_kind");

/* The first word of name is the word t ("expect" for "expect reply"). */
static bool first_word_is(const struct tok *t, const char *name)
{
	/* t's bytes are never NUL: strncmp stops at name's end */
	return t->type == T_WORD && t->n > 0 && name[0] == t->s[0] &&
	       strncmp(name, t->s, t->n) == 0 && (name[t->n] == ' ' || name[t->n] == '\0');
}

const struct scn_stmt *scenario_stmt_family(const struct tok *t0)
{
	for (size_t i = 0; i < scenario_nstmts; i++)
		if (first_word_is(t0, scenario_stmts[i].name))
			return &scenario_stmts[i];
	return NULL;
}

/* The row of fam's family the line is, or NULL after reporting. */
static const struct scn_stmt *stmt_row(struct parser *p, const struct scn_stmt *fam)
{
	const struct tok *t0 = &p->toks[0], *t1 = p->ntoks > 1 ? &p->toks[1] : NULL;
	const struct scn_stmt *one = NULL, *two[16];
	size_t ntwo = 0;
	for (size_t i = (size_t)(fam - scenario_stmts); i < scenario_nstmts; i++) {
		const struct scn_stmt *r = &scenario_stmts[i];
		if (!first_word_is(t0, r->name))
			continue;
		if (r->nwords == 1) {
			one = r;
			continue;
		}
		const char *w2 = r->name + t0->n + 1;
		if (t1 != NULL && word_is_n(t1, w2, strlen(w2)))
			return r;
		if (ntwo < sizeof two / sizeof two[0])
			two[ntwo++] = r;
	}
	if (one != NULL)
		return one;
	/* "expect needs reply, command, close, silence or tls" */
	struct buf want = {0};
	for (size_t i = 0; i < ntwo; i++) {
		if (i > 0)
			buf_appendf(&want, "%s", i + 1 < ntwo ? ", " : " or ");
		buf_appendf(&want, "%s", two[i]->name + t0->n + 1);
	}
	if (t1 == NULL || t1->type != T_WORD)
		TERR(p, t1 != NULL ? t1 : t0, "%.*s needs %s", WSHOW(t0), buf_cstr(&want));
	else
		TERR(p, t1, "%.*s needs %s, not '%.*s'", WSHOW(t0), buf_cstr(&want), WSHOW(t1));
	buf_free(&want);
	return NULL;
}

bool scenario_stmt_parse(struct parser *p, const struct scn_stmt *fam, struct step *st)
{
	const struct scn_stmt *row = stmt_row(p, fam);
	if (row == NULL)
		return false;
	st->kind = (enum step_kind)(row - scenario_stmts);
	if (row->role != STMT_ANY_ROLE &&
	    !need_role(p, &p->toks[row->nwords - 1], (enum scn_role)row->role, row->name))
		return false;
	return row->parse(p, st, row);
}

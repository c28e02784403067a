/* SPDX-License-Identifier: MIT */
/*
 * smtp_cmd: smtp_cmd_parse over every command line in the input, plus
 * smtp_cmd_is and the reply code patterns on the first line.
 * Oracles: consumed <= len and == c.len; verb, args, line inside the
 * consumed bytes; verb letters only, at the start of the line; args after
 * the verb; smtp_cmd_is agrees with a case-insensitive compare of the verb;
 * prefix-monotonic like smtp_reply; a code pattern that is valid matches
 * only codes whose digits it allows. Structural oracles run on every
 * command; the re-parses and verb lookups on the first one only (every
 * later command is the first of some other input).
 */
#include "fuzz.h"
#include "smtp.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

int FuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void FuzzerCleanup(void)
{
}

static const char *const verbs[] = {"EHLO", "HELO", "STARTTLS", "MAIL", "RCPT", "DATA", "RSET",
                                    "NOOP", "QUIT", "AUTH", "VRFY", "HELP", "BDAT", ""};

static void check_cmd(const uint8_t *p, size_t n, ssize_t got, const struct smtp_cmd *c, bool deep)
{
	FUZZ_CHECK((size_t)got <= n && c->len == (size_t)got, "consumed %zd len %zu of %zu", got,
	           c->len, n);
	FUZZ_CHECK(c->line.off == 0 && c->line.len < (size_t)got, "line {%zu,%zu}", c->line.off,
	           c->line.len);
	FUZZ_CHECK(p[got - 1] == '\n', "command does not end in LF");
	FUZZ_CHECK(c->verb.off + c->verb.len <= c->line.len, "verb outside the line");
	FUZZ_CHECK(c->args.off + c->args.len <= c->line.len, "args outside the line");
	FUZZ_CHECK(c->verb.len == 0 || c->args.len == 0 || c->args.off >= c->verb.off + c->verb.len,
	           "args before the verb end");
	for (size_t i = 0; i < c->verb.len; i++)
		FUZZ_CHECK(isalpha(p[c->verb.off + i]), "verb byte %#x not a letter",
		           p[c->verb.off + i]);
	if (!deep)
		return;
	/* One verb per command, chosen by the command's length: over a
	 * campaign every verb is compared with every kind of line, at a
	 * fraction of the cost of all of them on each (tracing makes each
	 * library call expensive). The verb the line really has, if listed,
	 * is always checked. */
	size_t nv = sizeof verbs / sizeof *verbs;
	for (size_t k = 0; k < nv; k++) {
		if (k != (size_t)got % nv && !(strlen(verbs[k]) == c->verb.len && c->verb.len > 0 &&
		                                strncasecmp((const char *)p + c->verb.off, verbs[k],
		                                            c->verb.len) == 0))
			continue;
		bool is = smtp_cmd_is(p, c, verbs[k]);
		bool want = strlen(verbs[k]) == c->verb.len &&
		            strncasecmp((const char *)p + c->verb.off, verbs[k], c->verb.len) == 0;
		FUZZ_CHECK(is == want, "smtp_cmd_is(%s) = %d", verbs[k], is);
	}
}

static void codepat(const uint8_t *buf, size_t len)
{
	char pat[32];
	size_t n = 0;
	while (n < len && n < sizeof pat - 1 && buf[n] != '\n' && buf[n] != '\0') {
		pat[n] = (char)buf[n];
		n++;
	}
	pat[n] = '\0';
	if (!smtp_codepat_valid(pat))
		return;
	/* a sample of codes, offset by the input so campaigns see them all */
	for (int code = 100 + (int)(len % 37); code < 1000; code += 111) {
		if (!smtp_codepat_match(pat, code) || strcmp(pat, "any") == 0)
			continue;
		/* some alternative must allow each digit */
		bool ok = false;
		for (const char *a = pat; *a;) {
			const char *e = strchr(a, '|');
			size_t l = e ? (size_t)(e - a) : strlen(a);
			char d[4];
			snprintf(d, sizeof d, "%03d", code);
			if (l == 3 && (a[0] == 'x' || a[0] == d[0]) && (a[1] == 'x' || a[1] == d[1]) &&
			    (a[2] == 'x' || a[2] == d[2]))
				ok = true;
			a += l + (e ? 1 : 0);
		}
		FUZZ_CHECK(ok, "pattern %s matches %d", pat, code);
	}
}

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct smtp_cmd c, c2;
	size_t off = 0;
	codepat(buf, len);
	for (int cmds = 0; cmds < 256; cmds++) {
		const uint8_t *p = buf + off;
		size_t n = len - off;
		ssize_t got = smtp_cmd_parse(p, n, &c);
		bool deep = cmds == 0;
		FUZZ_CHECK(got >= -1, "returned %zd", got);
		if (got <= 0) {
			if (deep && got == 0 && n > 0)
				FUZZ_CHECK(smtp_cmd_parse(p, n - 1, &c2) == 0,
				           "prefix of an incomplete line is complete or hostile");
			break;
		}
		check_cmd(p, n, got, &c, deep);
		if (deep) {
			if ((size_t)got < n) {
				ssize_t again = smtp_cmd_parse(p, (size_t)got, &c2);
				FUZZ_CHECK(again == got && c2.flags == c.flags &&
				               c2.verb.len == c.verb.len && c2.args.off == c.args.off &&
				               c2.args.len == c.args.len,
				           "command differs when parsed alone");
			}
			FUZZ_CHECK(smtp_cmd_parse(p, (size_t)got - 1, &c2) == 0,
			           "one byte less than a complete line is complete");
		}
		off += (size_t)got;
	}
	return 0;
}

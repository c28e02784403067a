/* SPDX-License-Identifier: MIT */
/*
 * scenario: the .scn parser and its canonical dump.
 * Oracles: a parse that fails reports at least one diagnostic, and every
 * diagnostic is "file:line:col: message" for our file name; a parse that
 * succeeds dumps to text that parses again without any diagnostic and
 * dumps byte-identically (dump(parse(dump(parse(x)))) == dump(parse(x))).
 */
#include "fuzz.h"
#include "scenario.h"

#include <string.h>

int FuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void FuzzerCleanup(void)
{
}

#define FILE_NAME "fuzz.scn"

static void check_diag(const struct scn_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *m = d->msgs[i];
		FUZZ_CHECK(fuzz_starts_with(m, strlen(m), FILE_NAME ":"),
		           "diagnostic without the file name: %s", m);
		const char *p = m + strlen(FILE_NAME) + 1;
		size_t digits = strspn(p, "0123456789");
		FUZZ_CHECK(digits > 0 && p[digits] == ':', "diagnostic without a line: %s", m);
		p += digits + 1;
		digits = strspn(p, "0123456789");
		FUZZ_CHECK(digits > 0 && p[digits] == ':' && p[digits + 1] == ' ',
		           "diagnostic without a column: %s", m);
	}
}

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct scn_diag d = {0};
	struct scenario *s = scenario_parse(FILE_NAME, buf, len, &d);
	check_diag(&d);
	if (s == NULL) {
		FUZZ_CHECK(d.n > 0, "parse failed without a diagnostic");
		scenario_diag_free(&d);
		return 0;
	}
	scenario_diag_free(&d);
	char *d1 = scenario_dump(s);
	struct scn_diag d2 = {0};
	struct scenario *s2 = scenario_parse(FILE_NAME, (const uint8_t *)d1, strlen(d1), &d2);
	FUZZ_CHECK(s2 != NULL, "the canonical dump does not parse: %s\n---\n%s---",
	           d2.n ? d2.msgs[0] : "(no diagnostic)", d1);
	FUZZ_CHECK(d2.n == 0, "the canonical dump has diagnostics: %s", d2.msgs[0]);
	char *dd = scenario_dump(s2);
	FUZZ_CHECK(strcmp(d1, dd) == 0, "dump is not a fixed point:\n---\n%s---\n%s---", d1, dd);
	FUZZ_CHECK(s2->role == s->role && s2->body.n == s->body.n, "re-parsed tree differs");
	free(dd);
	free(d1);
	scenario_diag_free(&d2);
	scenario_free(s2);
	scenario_free(s);
	return 0;
}

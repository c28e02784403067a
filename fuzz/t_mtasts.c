/* SPDX-License-Identifier: MIT */
/*
 * mtasts: the MTA-STS and TLS-RPT parsers (mtasts.c, tlsrpt.c), which read
 * what a remote domain publishes: TXT records and an HTTPS body. The first
 * byte picks the parser, the rest is its input:
 *   0 mtasts_txt_parse   1 mtasts_policy_parse (raw bytes, NULs included)
 *   2 tlsrpt_parse       3 mtasts_pattern_match ("pattern\nhost")
 * Oracles, from the RFC grammars rather than the parsers' code: a TXT
 * record is taken as STS iff it starts "v=STSv1" then ';', a space, a tab
 * or its end, and a valid one has an id of 1..32 letters and digits; a
 * valid policy has a mode, max_age <= 31557600 and an mx unless the mode
 * is none, every mx a lower-case host or "*." host that matches what it
 * should (itself; one label in place of '*', never zero or two); a failed
 * parse leaves no mx; a valid TLS-RPT record has a mailto: or https: URI;
 * a match ignores case and one trailing dot.
 */
#include "fuzz.h"
#include "mtasts.h"
#include "tlsrpt.h"

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

static void txt(const char *s)
{
	struct mtasts_txt t;
	char err[256];
	int rc = mtasts_txt_parse(s, &t, err, sizeof err);
	bool sts = strncmp(s, "v=STSv1", 7) == 0 && (s[7] == '\0' || s[7] == ';' || s[7] == ' ' || s[7] == '\t');
	FUZZ_CHECK((rc == 1) == !sts, "rc %d for '%s'", rc, s);
	if (rc == 0) {
		size_t n = strlen(t.id);
		FUZZ_CHECK(n >= 1 && n <= MTASTS_ID_MAX, "id '%s'", t.id);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(isalnum((unsigned char)t.id[i]), "id '%s'", t.id);
		FUZZ_CHECK(strstr(s, t.id) != NULL, "id '%s' not in '%s'", t.id, s);
	}
}

static void policy(const uint8_t *p, size_t n)
{
	struct mtasts_policy pol;
	char err[256];
	int rc = mtasts_policy_parse((const char *)p, n, &pol, err, sizeof err);
	if (rc != 0) {
		FUZZ_CHECK(pol.nmx == 0 && pol.mx == NULL, "a failed parse keeps %zu mx", pol.nmx);
		FUZZ_CHECK(err[0] != '\0', "no reason");
		mtasts_policy_free(&pol);
		return;
	}
	FUZZ_CHECK(pol.max_age >= 0 && pol.max_age <= MTASTS_MAX_AGE_MAX, "max_age %ld", pol.max_age);
	FUZZ_CHECK(pol.mode == MTASTS_MODE_NONE || pol.nmx > 0, "mode %d without mx", pol.mode);
	FUZZ_CHECK(memmem(p, n, "version", 7) != NULL, "valid without a version key");
	for (size_t i = 0; i < pol.nmx; i++) {
		const char *m = pol.mx[i];
		for (const char *c = m; *c; c++)
			FUZZ_CHECK(!isupper((unsigned char)*c), "mx '%s' not lower-cased", m);
		if (strncmp(m, "*.", 2) == 0) {
			char one[300], two[300];
			snprintf(one, sizeof one, "a.%s", m + 2);
			snprintf(two, sizeof two, "a.b.%s", m + 2);
			FUZZ_CHECK(mtasts_pattern_match(m, one), "'%s' misses '%s'", m, one);
			FUZZ_CHECK(!mtasts_pattern_match(m, two), "'%s' takes '%s'", m, two);
			FUZZ_CHECK(!mtasts_pattern_match(m, m + 2), "'%s' takes '%s'", m, m + 2);
		} else {
			FUZZ_CHECK(mtasts_pattern_match(m, m), "'%s' misses itself", m);
			FUZZ_CHECK(mtasts_mx_match(&pol, m), "the policy misses '%s'", m);
		}
	}
	mtasts_policy_free(&pol);
}

static void rpt(const char *s)
{
	struct tlsrpt_record r;
	char err[256];
	int rc = tlsrpt_parse(s, &r, err, sizeof err);
	bool is = strncmp(s, "v=TLSRPTv1", 10) == 0 &&
	          (s[10] == '\0' || s[10] == ';' || s[10] == ' ' || s[10] == '\t');
	FUZZ_CHECK((rc == 1) == !is, "rc %d for '%s'", rc, s);
	FUZZ_CHECK(rc == 0 ? r.nrua >= 1 : r.nrua == 0, "rc %d with %zu URIs", rc, r.nrua);
	for (size_t i = 0; i < r.nrua; i++)
		FUZZ_CHECK(strncasecmp(r.rua[i], "mailto:", 7) == 0 || strncasecmp(r.rua[i], "https://", 8) == 0,
		           "rua '%s'", r.rua[i]);
	tlsrpt_record_free(&r);
}

static void match(const char *s)
{
	const char *nl = strchr(s, '\n');
	if (nl == NULL)
		return;
	char pat[300], host[300], up[302];
	snprintf(pat, sizeof pat, "%.*s", (int)(nl - s), s);
	snprintf(host, sizeof host, "%s", nl + 1);
	bool m = mtasts_pattern_match(pat, host);
	size_t hl = strlen(host);
	for (size_t i = 0; i <= hl; i++)
		up[i] = (char)toupper((unsigned char)host[i]);
	FUZZ_CHECK(mtasts_pattern_match(pat, up) == m, "case changes '%s' vs '%s'", pat, host);
	if (hl && host[hl - 1] != '.') {
		snprintf(up, sizeof up, "%s.", host);
		FUZZ_CHECK(mtasts_pattern_match(pat, up) == m, "a trailing dot changes '%s' vs '%s'", pat, host);
	}
	if (m && strncmp(pat, "*.", 2) != 0)
		FUZZ_CHECK(strncasecmp(pat, host, strlen(pat)) == 0, "'%s' took '%s'", pat, host);
}

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	if (len < 1 || len > 70000)
		return 0;
	if (buf[0] % 4 == 1) {
		policy(buf + 1, len - 1);
		return 0;
	}
	char *s = malloc(len);
	memcpy(s, buf + 1, len - 1);
	s[len - 1] = '\0';
	switch (buf[0] % 4) {
	case 0: txt(s); break;
	case 2: rpt(s); break;
	case 3: match(s); break;
	}
	free(s);
	return 0;
}

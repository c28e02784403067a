/* SPDX-License-Identifier: MIT */
/*
 * hello: the raw ServerHello / server flight parser (harness/hello.c,
 * hello_parse), which reads whatever a server answers to stark's raw
 * ClientHello probes.
 * Oracles: the result is one of the enum values and equals r.kind;
 * consumed <= len; counts within their arrays (extensions, SSLv2 kinds,
 * session id); a decided reply (ServerHello, alert, SSLv2) rests on the
 * consumed bytes only (parsing
 * exactly those bytes decides the same kind); an undecided input's
 * prefixes are undecided too; GARBAGE/MALFORMED carry a reason; every
 * recorded certificate (cert_der) is non-empty and lies inside the input.
 */
#include "fuzz.h"
#include "hello.h"

int FuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void FuzzerCleanup(void)
{
}

static struct hello_reply r1, r2;

int FuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	enum hello_kind k = hello_parse(buf, len, &r1);
	FUZZ_CHECK(k == r1.kind, "returned %d, r.kind %d", k, r1.kind);
	FUZZ_CHECK(k >= HELLO_MALFORMED && k <= HELLO_SSL2_ERROR, "kind %d", k);
	FUZZ_CHECK(r1.consumed <= len, "consumed %zu > len %zu", r1.consumed, len);
	FUZZ_CHECK(r1.nexts <= HELLO_EXTS_MAX && r1.nssl2_kinds <= HELLO_SSL2_KINDS_MAX &&
	               r1.session_id_len <= 32,
	           "counts out of range");
	FUZZ_CHECK(r1.ncert_der <= HELLO_CERTS_MAX && r1.ncert_der <= r1.cert_count,
	           "%zu certificate places for %zu certificates", r1.ncert_der, r1.cert_count);
	for (size_t i = 0; i < r1.ncert_der; i++)
		FUZZ_CHECK(r1.cert_der[i].len > 0 && r1.cert_der[i].off <= len &&
		               r1.cert_der[i].len <= len - r1.cert_der[i].off,
		           "certificate %zu at %zu+%zu outside the %zu-byte input", i, r1.cert_der[i].off,
		           r1.cert_der[i].len, len);
	if (k == HELLO_GARBAGE || k == HELLO_MALFORMED)
		FUZZ_CHECK(r1.why != NULL && r1.why[0] != '\0', "%s without a reason", hello_kind_name(k));
	FUZZ_CHECK(hello_kind_name(k) != NULL, "no name for kind %d", k);
	if (k == HELLO_NEED_MORE) {
		if (len > 0)
			FUZZ_CHECK(hello_parse(buf, len - 1, &r2) == HELLO_NEED_MORE,
			           "a prefix of an undecided input is decided");
	} else if (r1.consumed < len && k > 0) {
		/* (GARBAGE/MALFORMED report consumed 0: the check is for decided replies) */
		enum hello_kind k2 = hello_parse(buf, r1.consumed, &r2);
		FUZZ_CHECK(k2 == k, "decision %d does not rest on the %zu consumed bytes (alone: %d)", k,
		           r1.consumed, k2);
	}
	return 0;
}

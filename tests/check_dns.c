/* SPDX-License-Identifier: MIT */
/*
 * check_dns: what no real DNS server serves: malformed rdata handed to the
 * field extractors (dns.c), bad --resolver / --trust-anchor arguments, and
 * the digests DANE matches on (wtls_digest_hex, known vectors). Lookups and
 * DNSSEC validation are tested against a real NSD (tests/real/domain.sh).
 * Public: dns_suite().
 */
#include <check.h>
#include <string.h>

#include "dns.h"
#include "wtls.h"

static struct dns_rr rr(const void *p, size_t n)
{
	return (struct dns_rr){(uint8_t *)p, n};
}

START_TEST(mx_fields)
{
	unsigned pref;
	char host[64];
	static const uint8_t good[] = {0, 10, 3, 'm', 'x', '1', 4, 't', 'e', 's', 't', 0};
	struct dns_rr r = rr(good, sizeof good);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, sizeof host), 0);
	ck_assert_uint_eq(pref, 10);
	ck_assert_str_eq(host, "mx1.test.");
	/* the null MX (RFC 7505): preference 0, the root */
	static const uint8_t null_mx[] = {0, 0, 0};
	r = rr(null_mx, sizeof null_mx);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, sizeof host), 0);
	ck_assert_str_eq(host, ".");
	/* truncated label, a compression pointer, trailing bytes, too short */
	static const uint8_t trunc[] = {0, 10, 5, 'm', 'x'};
	static const uint8_t ptr[] = {0, 10, 0xc0, 12};
	static const uint8_t trail[] = {0, 10, 0, 7};
	r = rr(trunc, sizeof trunc);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, sizeof host), -1);
	r = rr(ptr, sizeof ptr);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, sizeof host), -1);
	r = rr(trail, sizeof trail);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, sizeof host), -1);
	r = rr(good, 2);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, sizeof host), -1);
	/* a name longer than the caller's buffer is refused, not cut */
	r = rr(good, sizeof good);
	ck_assert_int_eq(dns_rr_mx(&r, &pref, host, 6), -1);
}
END_TEST

START_TEST(tlsa_txt_addr_fields)
{
	unsigned u, s, m;
	const uint8_t *d;
	size_t n;
	static const uint8_t tlsa[] = {3, 1, 1, 0xab, 0xcd};
	struct dns_rr r = rr(tlsa, sizeof tlsa);
	ck_assert_int_eq(dns_rr_tlsa(&r, &u, &s, &m, &d, &n), 0);
	ck_assert_uint_eq(u * 100 + s * 10 + m, 311);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(d[1], 0xcd);
	char txt[64];
	dns_rr_text(DNS_T_TLSA, &r, txt, sizeof txt);
	ck_assert_str_eq(txt, "3 1 1 abcd");
	r = rr(tlsa, 3);
	ck_assert_int_eq(dns_rr_tlsa(&r, &u, &s, &m, &d, &n), -1);

	/* a TXT record is its strings joined (RFC 8461 3.1, RFC 8460 3) */
	static const uint8_t t2[] = {7, 'v', '=', 'S', 'T', 'S', 'v', '1', 4, ';', 'i', 'd', '='};
	r = rr(t2, sizeof t2);
	ck_assert_int_eq(dns_rr_txt(&r, txt, sizeof txt), 0);
	ck_assert_str_eq(txt, "v=STSv1;id=");
	r = rr(t2, sizeof t2 - 1);
	ck_assert_int_eq(dns_rr_txt(&r, txt, sizeof txt), -1);
	static const uint8_t nul[] = {3, 'a', 0, 'b'};
	r = rr(nul, sizeof nul);
	ck_assert_int_eq(dns_rr_txt(&r, txt, sizeof txt), 0);
	ck_assert_str_eq(txt, "a?b"); /* a NUL never ends the text early */

	static const uint8_t a4[] = {127, 0, 0, 2}, a6[16] = {[15] = 1};
	r = rr(a4, sizeof a4);
	ck_assert_int_eq(dns_rr_addr(DNS_T_A, &r, txt, sizeof txt), 0);
	ck_assert_str_eq(txt, "127.0.0.2");
	ck_assert_int_eq(dns_rr_addr(DNS_T_AAAA, &r, txt, sizeof txt), -1);
	r = rr(a6, sizeof a6);
	ck_assert_int_eq(dns_rr_addr(DNS_T_AAAA, &r, txt, sizeof txt), 0);
	ck_assert_str_eq(txt, "::1");
}
END_TEST

START_TEST(bad_setup_refused)
{
	char err[512];
	static const char *bad[] = {"ns.example", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x",
	                            "[::1", "[::1]x", "1.2.3.4:"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dns_opts o = {.resolver = bad[i], .trust_anchor = "/dev/null", .timeout_ms = 100};
		err[0] = '\0';
		ck_assert_ptr_null(dns_new(&o, err, sizeof err));
		ck_assert_msg(strstr(err, "--resolver wants ADDR[:PORT]"), "%s: %s", bad[i], err);
	}
	struct dns_opts o = {.resolver = "127.0.0.1", .trust_anchor = "/nonexistent/anchor"};
	ck_assert_ptr_null(dns_new(&o, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "trust anchor /nonexistent/anchor"));
	/* well-formed: v4 with and without a port, v6 bare and bracketed */
	static const char *good[] = {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:53"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct dns_opts g = {.resolver = good[i], .trust_anchor = "/dev/null", .timeout_ms = 100};
		struct dns *d = dns_new(&g, err, sizeof err);
		ck_assert_msg(d != NULL, "%s: %s", good[i], err);
		ck_assert_uint_eq(dns_lookups(d), 0);
		dns_free(d);
	}
}
END_TEST

START_TEST(digests)
{
	char out[129];
	ck_assert_int_eq(wtls_digest_hex(256, (const uint8_t *)"abc", 3, out, sizeof out), 0);
	ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(wtls_digest_hex(512, (const uint8_t *)"abc", 3, out, sizeof out), 0);
	ck_assert_str_eq(out, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	                      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	ck_assert_int_eq(wtls_digest_hex(256, (const uint8_t *)"abc", 3, out, 64), -1);
	ck_assert_int_eq(wtls_digest_hex(384, (const uint8_t *)"abc", 3, out, sizeof out), -1);
}
END_TEST

Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");
	tcase_add_test(tc, mx_fields);
	tcase_add_test(tc, tlsa_txt_addr_fields);
	tcase_add_test(tc, bad_setup_refused);
	tcase_add_test(tc, digests);
	suite_add_tcase(s, tc);
	return s;
}

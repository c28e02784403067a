/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for probe: against stark's reference target configured like
 * the seed (TLS 1.2 only, ECDHE-RSA-AES128-SHA256: exactly those facts),
 * the default reference target (enumeration, connection budget, the full
 * scan's facts), a throttling target (421), a listener without STARTTLS,
 * and scripted peers (support_peer scripts): silent from the start, silent after 220,
 * plaintext instead of a ServerHello, an SSLv2 SERVER-HELLO; every one
 * within its deadline. A fake server that stalls handshakes: the scan and
 * fleet_node_probe stop after two stalls. A fake with only static-RSA
 * AES128-SHA: the X- checks judge the certificate of the raw probe.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert.h"
#include "conn.h"
#include "fleet.h"
#include "hello.h"
#include "policy.h"
#include "probe.h"
#include "refsrv.h"
#include "support.h"
#include "util.h"
#include "wtls.h"

static struct probe *probe_for(const char *port, int64_t timeout_ms)
{
	struct probe_target t = {.host = "127.0.0.1", .port = port, .timeout_ms = timeout_ms};
	struct probe *p = probe_new(&t);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Scan 127.0.0.1:port with so (NULL: everything): probe_scan must return
 * want, and a scan that ran (0) must have no errors. The probe in *pp. */
static struct probe_report *scan_port(const char *port, int64_t timeout_ms,
                                      const struct probe_scan_opts *so, int want, struct probe **pp)
{
	*pp = probe_for(port, timeout_ms);
	struct probe_report *r = xcalloc(1, sizeof *r);
	ck_assert_int_eq(probe_scan(*pp, so, r), want);
	if (want == 0)
		ck_assert_msg(r->nerrors == 0, "%s", r->errors[0]);
	return r;
}

/* The same against a fresh reference target with options o (in *srv). */
static struct probe_report *scan_ref(const struct refsrv_opts *o, int64_t timeout_ms,
                                     const struct probe_scan_opts *so, int want,
                                     struct refsrv **srv, struct probe **pp)
{
	char port[16];
	*srv = support_refsrv_start(o, port);
	return scan_port(port, timeout_ms, so, want, pp);
}

static void scan_done(struct probe_report *r, struct probe *p, struct refsrv *srv)
{
	free(r);
	probe_free(p);
	if (srv)
		refsrv_stop(srv);
}

static size_t total_suites(const struct probe_report *r)
{
	size_t n = 0;
	for (int i = 0; i < PV__COUNT; i++)
		n += r->v[i].nsuites + r->v[i].nssl2;
	return n;
}

/* ------------------------------------------------------------------ */
/* the reference target */

/* The seed: "TLS 1.2 with ECDHE-RSA-AES128-SHA256" must come out exactly. */
START_TEST(seed_config_exact)
{
	struct refsrv_opts o = {.tls_vmin = 0x0303, .tls_vmax = 0x0303,
	                        .ciphers = "ECDHE-RSA-AES128-SHA256", .cert = "good-rsa"};
	struct refsrv *srv;
	struct probe *p;
	struct probe_report *r = scan_ref(&o, 5000, NULL, 0, &srv, &p);
	for (int i = 0; i < PV__COUNT; i++) {
		ck_assert(r->v[i].tested);
		ck_assert_msg(r->v[i].supported == (i == PV_TLS12 ? PROBE_TRI_YES : PROBE_TRI_NO),
		              "%s: %s (%s)", hello_version_name(r->v[i].version),
		              probe_tri_name(r->v[i].supported), r->v[i].why);
		if (i != PV_TLS12)
			ck_assert_uint_eq(r->v[i].nsuites, 0);
	}
	ck_assert_uint_eq(r->v[PV_TLS12].nsuites, 1);
	ck_assert_uint_eq(r->v[PV_TLS12].suites[0], 0xC027);
	ck_assert(r->v[PV_TLS12].suites_complete);
	ck_assert_uint_eq(r->max_version, 0x0303);
	ck_assert_uint_eq(r->first_cipher, 0xC027);
	ck_assert_int_eq(r->v[PV_TLS12].server_order, PROBE_TRI_UNKNOWN); /* one suite: no order */
	ck_assert_int_eq(r->fallback_scsv, PROBE_TRI_UNKNOWN);            /* one version */
	ck_assert_uint_eq(r->facts_version, 0x0303);
	ck_assert_int_eq(r->secure_reneg, PROBE_TRI_YES);
	ck_assert_int_eq(r->ems, PROBE_TRI_YES);
	ck_assert_int_eq(r->compression, PROBE_TRI_NO); /* DEFLATE offered, null chosen */
	ck_assert_int_eq(r->downgrade_sentinel, PROBE_TRI_NO); /* no TLS 1.3 here */
	ck_assert_uint_ge(r->ngroups12, 1);
	ck_assert(r->groups12_complete);
	ck_assert_uint_ge(r->nsigalgs, 1);
	for (size_t i = 0; i < r->nsigalgs; i++)
		ck_assert_ptr_nonnull(strstr(hello_sigalg_name(r->sigalgs[i]), "rsa"));
	ck_assert_uint_eq(r->connections, probe_connections(p));
	ck_assert_uint_gt(r->connections, 6);
	ck_assert_uint_lt(r->connections, 60);
	scan_done(r, p, srv);
}
END_TEST

/* Enumeration only: both modern versions non-empty, and the connection
 * count stays within suites + versions + a few (the chunk refusals). */
START_TEST(default_enumeration_budget)
{
	struct refsrv_opts o = {0};
	struct probe_scan_opts so = {.checks = PROBE_C_SUITES};
	struct refsrv *srv;
	struct probe *p;
	struct probe_report *r = scan_ref(&o, 5000, &so, 0, &srv, &p);
	ck_assert_int_eq(r->v[PV_TLS13].supported, PROBE_TRI_YES);
	ck_assert_int_eq(r->v[PV_TLS12].supported, PROBE_TRI_YES);
	ck_assert_uint_gt(r->v[PV_TLS13].nsuites, 0);
	ck_assert_uint_gt(r->v[PV_TLS12].nsuites, 0);
	ck_assert_int_eq(r->v[PV_SSL2].supported, PROBE_TRI_NO);
	ck_assert_int_eq(r->v[PV_SSL3].supported, PROBE_TRI_NO);
	ck_assert_int_eq(r->v[PV_TLS10].supported, PROBE_TRI_NO); /* Debian's wolfSSL has no 1.0 */
	ck_assert_uint_eq(r->max_version, 0x0304);
	/* the certificate is ECDSA: no suite that needs an RSA certificate */
	for (int i = PV_SSL3; i <= PV_TLS13; i++)
		for (size_t j = 0; j < r->v[i].nsuites; j++) {
			const struct hello_suite *s = hello_suite_find(r->v[i].suites[j]);
			ck_assert_ptr_nonnull(s);
			ck_assert_msg(!(s->flags & CS_AU_RSA), "0x%04X needs RSA", s->id);
			if (i == PV_TLS13)
				ck_assert(s->flags & CS_TLS13);
			else
				ck_assert(!(s->flags & CS_TLS13));
		}
	for (int i = 0; i < PV__COUNT; i++)
		if (r->v[i].supported == PROBE_TRI_YES)
			ck_assert(r->v[i].suites_complete);
	size_t budget = total_suites(r) + PV__COUNT + 6;
	ck_assert_msg(r->connections <= budget, "%zu connections for %zu suites", r->connections,
	              total_suites(r));
	ck_assert_uint_eq(r->connections, probe_connections(p));
	/* nothing beyond the enumeration was asked */
	ck_assert_int_eq(r->v[PV_TLS12].server_order, PROBE_TRI_UNKNOWN);
	ck_assert_uint_eq(r->ngroups13, 0);
	scan_done(r, p, srv);
}
END_TEST

START_TEST(default_full_scan)
{
	struct refsrv_opts o = {0};
	struct refsrv *srv;
	struct probe *p;
	struct probe_report *r = scan_ref(&o, 5000, NULL, 0, &srv, &p);
	ck_assert_int_eq(r->v[PV_TLS13].server_order, PROBE_TRI_YES);
	ck_assert_int_eq(r->v[PV_TLS12].server_order, PROBE_TRI_YES);
	ck_assert_int_eq(r->fallback_scsv, PROBE_TRI_YES); /* RFC 7507 */
	ck_assert_uint_eq(r->fallback_version, 0x0303);
	ck_assert_int_eq(r->secure_reneg, PROBE_TRI_YES);
	ck_assert_int_eq(r->ems, PROBE_TRI_YES);
	ck_assert_int_eq(r->compression, PROBE_TRI_NO);
	ck_assert_int_eq(r->downgrade_sentinel, PROBE_TRI_YES); /* 1.3 server answering 1.2 */
	bool x25519 = false;
	for (size_t i = 0; i < r->ngroups13; i++)
		x25519 |= r->groups13[i] == HELLO_GROUP_X25519;
	ck_assert(x25519);
	ck_assert(r->groups13_complete);
	ck_assert_uint_ge(r->ngroups12, 1);
	bool p256 = false;
	for (size_t i = 0; i < r->nsigalgs; i++)
		p256 |= r->sigalgs[i] == 0x0403;
	ck_assert(p256);
	/* the order check costs one connection per version with >= 2 suites */
	ck_assert_uint_eq(r->connections, probe_connections(p));
	ck_assert_uint_lt(r->wall_ms, 60000);
	scan_done(r, p, srv);
}
END_TEST

START_TEST(throttled_421)
{
	struct refsrv_opts o = {.flaws = FLAW_THROTTLE};
	char port[16];
	struct refsrv *srv = support_refsrv_start(&o, port);
	struct probe *p = probe_for(port, 3000);
	static const uint16_t suites[] = {0xC02B};
	struct hello_opts h;
	support_hello_opts(&h, HELLO_TLS12, suites, 1);
	struct probe_result res;
	ck_assert_int_eq(probe_hello(p, &h, false, &res), PROBE_THROTTLED);
	ck_assert_int_eq(res.smtp_code, 421);
	ck_assert_ptr_nonnull(strstr(res.detail, "421"));
	ck_assert_uint_eq(probe_connections(p), 1);

	/* a scan: one retry after a short wait, then it gives up, saying why */
	struct probe_report *r = xcalloc(1, sizeof *r);
	struct probe_scan_opts so = {.throttle_retries = 1, .throttle_backoff_ms = 50};
	ck_assert_int_eq(probe_scan(p, &so, r), -1);
	ck_assert(r->throttled);
	ck_assert_uint_eq(r->connections, 2);
	ck_assert_uint_ge(r->nerrors, 1);
	ck_assert_ptr_nonnull(strstr(r->errors[0], "throttled"));
	for (int i = 0; i < PV__COUNT; i++)
		ck_assert_int_eq(r->v[i].supported, PROBE_TRI_UNKNOWN); /* never "no" */
	scan_done(r, p, srv);
}
END_TEST

START_TEST(no_starttls)
{
	struct refsrv_opts o = {.no_tls = true};
	struct refsrv *srv;
	struct probe *p;
	struct probe_report *r = scan_ref(&o, 3000, NULL, -1, &srv, &p);
	ck_assert_uint_eq(r->connections, 1);
	ck_assert_ptr_nonnull(strstr(r->errors[0], "does not offer STARTTLS"));
	scan_done(r, p, srv);
}
END_TEST

START_TEST(connect_refused)
{
	/* a port that was just free: nobody listens */
	char port[16];
	support_closed_port(port);
	struct probe *p = probe_for(port, 2000);
	static const uint16_t suites[] = {0x002F};
	struct hello_opts h;
	support_hello_opts(&h, HELLO_TLS12, suites, 1);
	struct probe_result res;
	ck_assert_int_eq(probe_hello(p, &h, false, &res), PROBE_ERROR);
	ck_assert_uint_eq(probe_connections(p), 0);
	probe_free(p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* scripted peers */

/* Read until a line ends (or EOF / 10 s). */
static bool read_line(int fd)
{
	char c;
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 10000) <= 0)
			return false;
		ssize_t n = recv(fd, &c, 1, 0);
		if (n <= 0)
			return false;
		if (c == '\n')
			return true;
	}
}

static void say(int fd, const char *s)
{
	(void)send(fd, s, strlen(s), MSG_NOSIGNAL);
}

static void drain_until_eof(int fd)
{
	uint8_t b[1024];
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 10000) <= 0)
			return;
		if (recv(fd, b, sizeof b, 0) <= 0)
			return;
	}
}

/* The SMTP part (a multi-line greeting, a lowercase STARTTLS keyword:
 * both must be understood), up to the 220 for STARTTLS. */
#define TO_220                                                                                     \
	"< 220-peer.test ESMTP\\r\\n220 multi-line greeting\\r\\n\n> \\n\n"                           \
	"< 250-peer.test\\r\\n250-PIPELINING\\r\\n250 starttls\\r\\n\n> \\n\n"                        \
	"< 220 2.0.0 go ahead\\r\\n\n"

/* accept, never say a word: the client must give up on its own */
static const char PEER_SILENT[] = "silent\n";
/* the SMTP part, then silence after the hello */
static const char PEER_SILENT_AFTER_220[] = TO_220 "read\n";
/* answers the hello with an SMTP error */
static const char PEER_PLAINTEXT[] = TO_220 "read\n< 500 5.5.2 Error: command not recognized\\r\\n\n";
/* answers with an SSLv2 SERVER-HELLO */
static const char PEER_SSL2[] = TO_220 "read\n"
                                "< \\x80\\x11\\x04\\x00\\x01\\x00\\x02\\x00\\x00\\x00\\x03\\x00"
                                "\\x03\\x01\\x00\\x80\\x41\\x42\\x43\n";
/* closes right after the 220 */
static const char PEER_CLOSE_AFTER_220[] = TO_220 "close\n";

/* One hello against a fresh scripted peer, which must have played its
 * script; the joined peer (what it received) in *pe, freed by the caller. */
static enum probe_outcome probe_peer(struct support_peer **pe, const char *script,
                                     int64_t timeout, uint16_t version, struct probe_result *res,
                                     int64_t *elapsed)
{
	static const uint16_t suites[] = {0xC02B, 0xC02F, 0x1301};
	*pe = support_peer_start(script);
	struct probe *p = probe_for((*pe)->portstr, timeout);
	struct hello_opts h;
	hello_opts_init(&h, version);
	h.suites = version == HELLO_TLS13 ? suites + 2 : suites;
	h.nsuites = version == HELLO_TLS13 ? 1 : 2;
	int64_t t0 = mono_ms();
	enum probe_outcome oc = probe_hello(p, &h, true, res);
	*elapsed = mono_ms() - t0;
	probe_free(p);
	support_peer_join(*pe);
	ck_assert_msg((*pe)->failed[0] == '\0', "%s", (*pe)->failed);
	return oc;
}

START_TEST(deadline_silent_peer)
{
	struct support_peer *pe;
	struct probe_result res;
	int64_t ms;
	ck_assert_int_eq(probe_peer(&pe, PEER_SILENT, 300, HELLO_TLS12, &res, &ms), PROBE_ERROR);
	ck_assert_ptr_nonnull(strstr(res.detail, "greeting: no reply within 300 ms"));
	ck_assert_int_ge(ms, 290);
	ck_assert_int_lt(ms, 1500);
	support_peer_free(pe);
}
END_TEST

START_TEST(deadline_silent_after_220)
{
	struct support_peer *pe;
	struct probe_result res;
	int64_t ms;
	ck_assert_int_eq(probe_peer(&pe, PEER_SILENT_AFTER_220, 300, HELLO_TLS12, &res, &ms),
	                 PROBE_SILENT);
	ck_assert_int_ge(ms, 290);
	ck_assert_int_lt(ms, 1500);
	/* what arrived after the 220 is exactly one ClientHello record */
	const uint8_t *hello = pe->rx.data + pe->mark;
	size_t hello_len = pe->rx.len - pe->mark;
	ck_assert_uint_gt(hello_len, 9);
	ck_assert_uint_eq(hello[0], 0x16);
	ck_assert_uint_eq(hello[5], 0x01);
	ck_assert_uint_eq((size_t)(hello[3] << 8 | hello[4]) + 5, hello_len);
	support_peer_free(pe);
}
END_TEST

START_TEST(plaintext_answer_is_garbage)
{
	struct support_peer *pe;
	struct probe_result res;
	int64_t ms;
	ck_assert_int_eq(probe_peer(&pe, PEER_PLAINTEXT, 3000, HELLO_TLS13, &res, &ms), PROBE_GARBAGE);
	ck_assert_int_eq(res.reply.kind, HELLO_GARBAGE);
	ck_assert_ptr_nonnull(strstr(res.detail, "500 5.5.2"));
	ck_assert_int_lt(ms, 2500); /* decided on the first byte, not at the deadline */
	support_peer_free(pe);
}
END_TEST

START_TEST(ssl2_server_hello)
{
	struct support_peer *pe;
	struct probe_result res;
	int64_t ms;
	ck_assert_int_eq(probe_peer(&pe, PEER_SSL2, 3000, HELLO_SSL2, &res, &ms), PROBE_HELLO);
	ck_assert_int_eq(res.reply.kind, HELLO_SSL2_HELLO);
	ck_assert_uint_eq(res.reply.nssl2_kinds, 1);
	ck_assert_uint_eq(res.reply.ssl2_kinds[0], 0x010080);
	const uint8_t *hello = pe->rx.data + pe->mark;
	ck_assert_uint_ge(pe->rx.len - pe->mark, 3);
	ck_assert_uint_eq(hello[0] & 0x80, 0x80); /* an SSLv2 CLIENT-HELLO went out */
	ck_assert_uint_eq(hello[2], 1);
	support_peer_free(pe);
}
END_TEST

/* The scan's own budgets: connections and wall time. */
START_TEST(scan_budgets)
{
	struct refsrv_opts o = {0};
	char port[16];
	struct refsrv *srv = support_refsrv_start(&o, port);
	struct probe *p = probe_for(port, 5000);
	struct probe_report *r = xcalloc(1, sizeof *r);
	struct probe_scan_opts so = {.max_connections = 3};
	ck_assert_int_eq(probe_scan(p, &so, r), 0); /* something was learned */
	ck_assert_uint_eq(r->connections, 3);
	ck_assert_ptr_nonnull(strstr(r->errors[r->nerrors - 1], "budget of 3"));
	probe_free(p);
	refsrv_stop(srv);

	/* a tarpit after STARTTLS: one probe at 300 ms, then the 100 ms budget is gone */
	struct support_peer *pe = support_peer_start(PEER_SILENT_AFTER_220);
	p = probe_for(pe->portstr, 300);
	so = (struct probe_scan_opts){.max_ms = 100};
	int64_t t0 = mono_ms();
	probe_scan(p, &so, r);
	ck_assert_int_lt(mono_ms() - t0, 2000);
	ck_assert_uint_eq(r->connections, 1);
	ck_assert_int_eq(r->v[PV_TLS13].supported, PROBE_TRI_NO);
	ck_assert_ptr_nonnull(strstr(r->v[PV_TLS13].why, "no answer"));
	ck_assert_ptr_nonnull(strstr(r->errors[0], "time budget"));
	free(r);
	probe_free(p);
	support_peer_join(pe);
	support_peer_free(pe);
}
END_TEST

START_TEST(closed_after_220)
{
	struct support_peer *pe;
	struct probe_result res;
	int64_t ms;
	enum probe_outcome oc = probe_peer(&pe, PEER_CLOSE_AFTER_220, 3000, HELLO_TLS12, &res, &ms);
	ck_assert_int_eq(oc, PROBE_CLOSED);
	ck_assert_int_lt(ms, 2500);
	support_peer_free(pe);
}
END_TEST

/* ------------------------------------------------------------------ */
/* a fake TLS server: SMTP preamble, then a ServerHello chosen by a known
 * policy, so the enumeration and order logic can be checked exactly */

struct fake {
	int lfd;
	char port[16];
	pthread_t th;
	volatile int stop;
	uint16_t version;       /* the one version it speaks (<= TLS 1.2) */
	const uint16_t *prefs;  /* what it accepts, in its preference order */
	size_t nprefs;
	bool client_order;      /* pick by the client's order instead */
	size_t max_suites;      /* above this many: close without a word (0 = no limit) */
	size_t stall_from;      /* from this connection on (1 = the first), the SMTP part
	                           and then silence until the client closes (0 = never) */
	const uint8_t *certs;   /* non-NULL: a Certificate message with this body (the
	                           certificate_list) and a ServerHelloDone follow the
	                           ServerHello, in its record */
	size_t certs_len;
	size_t conns;           /* connections accepted (read after fake_stop) */
};

static bool recv_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 5000) <= 0)
			return false;
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void fake_conn(struct fake *f, int fd)
{
	say(fd, "220 fake.test ESMTP\r\n");
	if (!read_line(fd))
		return;
	say(fd, "250-fake.test\r\n250 STARTTLS\r\n");
	if (!read_line(fd))
		return;
	say(fd, "220 go ahead\r\n");
	if (f->stall_from && f->conns >= f->stall_from) {
		drain_until_eof(fd); /* the ClientHello, then nothing back */
		return;
	}
	uint8_t h[5], body[16384];
	if (!recv_full(fd, h, 5) || h[0] != 22)
		return;
	size_t len = (size_t)(h[3] << 8 | h[4]);
	if (len > sizeof body || len < 4 + 2 + 32 + 1 || !recv_full(fd, body, len))
		return;
	const uint8_t *p = body + 4;
	uint16_t cv = (uint16_t)(p[0] << 8 | p[1]);
	p += 2 + 32;
	p += 1 + *p;
	size_t ns = (size_t)(p[0] << 8 | p[1]) / 2;
	const uint8_t *cs = p + 2;
	if (f->max_suites && ns > f->max_suites)
		return; /* like wolfSSL: too many suites, hang up */
	if (cv < f->version) {
		static const uint8_t a[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70};
		(void)send(fd, a, sizeof a, MSG_NOSIGNAL);
		return;
	}
	uint16_t pick = 0;
	if (f->client_order) {
		for (size_t i = 0; i < ns && !pick; i++)
			for (size_t j = 0; j < f->nprefs; j++)
				if (f->prefs[j] == (cs[2 * i] << 8 | cs[2 * i + 1]))
					pick = f->prefs[j];
	} else {
		for (size_t j = 0; j < f->nprefs && !pick; j++)
			for (size_t i = 0; i < ns; i++)
				if (f->prefs[j] == (cs[2 * i] << 8 | cs[2 * i + 1]))
					pick = f->prefs[j];
	}
	if (!pick) {
		static const uint8_t a[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40};
		(void)send(fd, a, sizeof a, MSG_NOSIGNAL);
		return;
	}
	uint8_t sh[5 + 16384];
	memset(sh, 0, 5 + 4 + 38);
	memcpy(sh, (const uint8_t[]){22, 3, 3, 0, 42, 2, 0, 0, 38}, 9);
	sh[9] = (uint8_t)(f->version >> 8);
	sh[10] = (uint8_t)f->version;
	sh[43] = 0; /* no session id */
	sh[44] = (uint8_t)(pick >> 8);
	sh[45] = (uint8_t)pick;
	sh[46] = 0;
	size_t n = 5 + 4 + 38;
	if (f->certs && n + 4 + f->certs_len + 4 <= sizeof sh) { /* else: no certificate */
		memcpy(sh + n, (const uint8_t[]){11, (uint8_t)(f->certs_len >> 16),
		                                 (uint8_t)(f->certs_len >> 8), (uint8_t)f->certs_len}, 4);
		memcpy(sh + n + 4, f->certs, f->certs_len);
		n += 4 + f->certs_len;
		memcpy(sh + n, (const uint8_t[]){14, 0, 0, 0}, 4);
		n += 4;
		sh[3] = (uint8_t)((n - 5) >> 8);
		sh[4] = (uint8_t)(n - 5);
	}
	(void)send(fd, sh, n, MSG_NOSIGNAL);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	while (!f->stop) {
		struct pollfd pf = {.fd = f->lfd, .events = POLLIN};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		f->conns++;
		fake_conn(f, fd);
		shutdown(fd, SHUT_WR);
		drain_until_eof(fd);
		close(fd);
	}
	return NULL;
}

static void fake_start(struct fake *f)
{
	f->lfd = support_listen(f->port);
	f->th = support_thread_start(fake_main, f);
}

static void fake_stop(struct fake *f)
{
	f->stop = 1;
	support_thread_join(f->th, 30000);
	close(f->lfd);
}

/* Preferences that interleave strong and weak suites, so they fall into
 * different chunks of 128 and the merge has real work to do. */
static const uint16_t INTERLEAVED[] = {0x0005, 0xC02F, 0x000A, 0xC013, 0x009C, 0x002F,
                                       0xC030, 0x0001, 0xC027, 0x0035, 0x0018};

START_TEST(fake_server_order_across_chunks)
{
	struct fake f = {.version = 0x0303, .prefs = INTERLEAVED,
	                 .nprefs = sizeof INTERLEAVED / sizeof INTERLEAVED[0], .max_suites = 150};
	fake_start(&f);
	struct probe_scan_opts so = {.checks = PROBE_C_SUITES | PROBE_C_ORDER,
	                             .versions = 1u << PV_TLS12 | 1u << PV_TLS13 | 1u << PV_TLS11};
	struct probe *p;
	struct probe_report *r = scan_port(f.port, 3000, &so, 0, &p);
	const struct probe_version_report *v = &r->v[PV_TLS12];
	ck_assert_int_eq(v->supported, PROBE_TRI_YES);
	ck_assert_uint_eq(v->nsuites, f.nprefs);
	for (size_t i = 0; i < f.nprefs; i++)
		ck_assert_msg(v->suites[i] == f.prefs[i], "position %zu: 0x%04X, want 0x%04X", i,
		              v->suites[i], f.prefs[i]);
	ck_assert_int_eq(v->server_order, PROBE_TRI_YES);
	/* no 1.3 suite it knows: refused; 1.1 hello: protocol_version, one connection */
	ck_assert_int_eq(r->v[PV_TLS13].supported, PROBE_TRI_NO);
	ck_assert_int_eq(r->v[PV_TLS11].supported, PROBE_TRI_NO);
	ck_assert_uint_eq(r->v[PV_TLS11].connections, 1);
	/* the first hello of 1.2 carried every candidate and was refused by
	 * hanging up; the chunks then cost one refusal each; placing the 7
	 * suites of later chunks costs at most 1 + log2(11) probes each (this
	 * order interleaves on purpose: the worst case); one order check */
	ck_assert_msg(v->connections <= 1 + f.nprefs + 3 + 7 * 5 + 1, "%zu connections", v->connections);
	scan_done(r, p, NULL);
	fake_stop(&f);
}
END_TEST

START_TEST(fake_client_order)
{
	struct fake f = {.version = 0x0303, .prefs = INTERLEAVED,
	                 .nprefs = sizeof INTERLEAVED / sizeof INTERLEAVED[0], .client_order = true};
	fake_start(&f);
	struct probe_scan_opts so = {.checks = PROBE_C_SUITES | PROBE_C_ORDER, .versions = 1u << PV_TLS12};
	struct probe *p;
	struct probe_report *r = scan_port(f.port, 3000, &so, 0, &p);
	const struct probe_version_report *v = &r->v[PV_TLS12];
	ck_assert_uint_eq(v->nsuites, f.nprefs);
	ck_assert_int_eq(v->server_order, PROBE_TRI_NO);
	/* no size limit: everything in one hello, |A| + 1 refusal + 1 order check */
	ck_assert_uint_eq(v->connections, f.nprefs + 2);
	scan_done(r, p, NULL);
	fake_stop(&f);
}
END_TEST

/* A server that accepts STARTTLS and then never answers a ClientHello:
 * two stalls, then the scan stops and says so, with no version judged by
 * the silence (the old way: 14 connections, every version "no"). */
START_TEST(scan_stops_after_two_stalls)
{
	struct fake f = {.version = 0x0303, .prefs = INTERLEAVED,
	                 .nprefs = sizeof INTERLEAVED / sizeof INTERLEAVED[0], .stall_from = 1};
	fake_start(&f);
	struct probe *p = probe_for(f.port, 300);
	struct probe_report *r = xcalloc(1, sizeof *r);
	int64_t t0 = mono_ms();
	ck_assert_int_eq(probe_scan(p, NULL, r), -1); /* nothing learned */
	int64_t took = mono_ms() - t0;
	ck_assert_uint_eq(r->connections, 2);
	ck_assert_int_ge(took, 2 * 290);
	ck_assert_int_lt(took, 2 * 300 + 700);
	ck_assert_uint_ge(r->nerrors, 1);
	ck_assert_str_eq(r->errors[0], "the server stalled the TLS handshake twice; probing stopped");
	for (int i = 0; i < PV__COUNT; i++)
		ck_assert_msg(r->v[i].supported == PROBE_TRI_UNKNOWN, "%s: %s (%s)",
		              hello_version_name(r->v[i].version), probe_tri_name(r->v[i].supported),
		              r->v[i].why);
	ck_assert_uint_eq(r->max_version, 0);
	/* the probe opens no more connections to this server */
	static const uint16_t suites[] = {0xC02F};
	struct hello_opts h;
	support_hello_opts(&h, HELLO_TLS12, suites, 1);
	struct probe_result res;
	t0 = mono_ms();
	ck_assert_int_eq(probe_hello(p, &h, false, &res), PROBE_SILENT);
	ck_assert_int_lt(mono_ms() - t0, 100);
	ck_assert_str_eq(res.detail, r->errors[0]);
	ck_assert_uint_eq(probe_connections(p), 2);
	free(r);
	probe_free(p);
	fake_stop(&f);
	ck_assert_uint_eq(f.conns, 2);
}
END_TEST

/* fleet_node_probe on a fake that answers hellos; stall_from: as struct
 * fake. Returns the connections the fake accepted; the node in *n. */
static size_t fleet_probe_fake(size_t stall_from, struct fleet_node *n, int64_t *took)
{
	static const uint16_t prefs[] = {0xC02F, 0x009C};
	struct fake f = {.version = 0x0303, .prefs = prefs, .nprefs = 2, .stall_from = stall_from};
	fake_start(&f);
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	ck_assert_ptr_nonnull(cfg);
	struct fleet_opts o = {.servername = "fake.test", .timeout_ms = 300, .tls = cfg};
	memset(n, 0, sizeof *n);
	n->target = xasprintf("127.0.0.1:%s", f.port);
	int64_t t0 = mono_ms();
	fleet_node_probe(n, &o);
	*took = mono_ms() - t0;
	wtls_config_free(cfg);
	fake_stop(&f);
	return f.conns;
}

/* The full handshakes: the one without SNI is not tried after the one
 * with SNI stalled. */
START_TEST(fleet_no_second_handshake_after_stall)
{
	struct fleet_node n;
	int64_t took;
	/* the fake answers every hello: the scan's connections, then both
	 * handshakes (which fail fast: a bare ServerHello, then EOF) */
	size_t all = fleet_probe_fake(0, &n, &took);
	size_t scan = n.probe.connections;
	ck_assert_int_eq(n.probe_rc, 0);
	ck_assert_uint_eq(n.probe.max_version, 0x0303);
	ck_assert(n.has_tls && n.has_nosni);
	/* and the attack batteries, which count their own, and, where the
	 * build can renegotiate, the T-13 attempt (whose handshake fails the
	 * same way) */
	ck_assert(n.attacks.ran);
	ck_assert_uint_gt(n.attacks.connections, 0);
	bool reneg = wtls_has(WTLS_F_RENEGOTIATION);
	ck_assert_uint_eq(all, scan + 2 + n.attacks.connections + (reneg ? 1 : 0));
	ck_assert_int_eq(n.reneg, reneg ? FLEET_RENEG_NO_SESSION : FLEET_RENEG_LIBRARY);
	fleet_node_free(&n);

	/* the same fake stalling from the first handshake on */
	all = fleet_probe_fake(scan + 1, &n, &took);
	ck_assert_uint_eq(n.probe.connections, scan);
	ck_assert_uint_eq(n.probe.max_version, 0x0303);
	ck_assert(n.has_tls);
	ck_assert(!n.tls_ok);
	ck_assert_msg(strstr(n.tls_error, "timeout") != NULL, "%s", n.tls_error);
	ck_assert(!n.has_nosni);
	ck_assert(!n.attacks.ran); /* each battery would cost the timeout again */
	ck_assert_int_eq(n.reneg, FLEET_RENEG_NOT_RUN); /* nor the T-13 one */
	ck_assert_uint_eq(all, scan + 1);
	fleet_node_free(&n);
}
END_TEST

/* ------------------------------------------------------------------ */
/* a handshake stark cannot make: the certificate the raw probe saw */

/* The DER of the first certificate of a PEM text, appended to out as a
 * certificate_list entry (24-bit length, DER). */
static void pem_entry(const char *pem, uint8_t *out, size_t cap, size_t *n)
{
	const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----");
	ck_assert_ptr_nonnull(b);
	b += strlen("-----BEGIN CERTIFICATE-----");
	const char *e = strstr(b, "-----END");
	ck_assert_ptr_nonnull(e);
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t start = *n + 3, len = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *p = b; p < e; p++) {
		const char *v = *p ? strchr(tab, *p) : NULL;
		if (v == NULL)
			continue; /* newlines, '=' */
		acc = acc << 6 | (uint32_t)(v - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ck_assert_uint_lt(start + len, cap);
			out[start + len++] = (uint8_t)(acc >> bits);
		}
	}
	out[*n] = (uint8_t)(len >> 16);
	out[*n + 1] = (uint8_t)(len >> 8);
	out[*n + 2] = (uint8_t)len;
	*n = start + len;
}

static const struct result *scan_finding(const struct run *run, const char *id)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->results[i].id, id) == 0)
			return &run->results[i];
	ck_abort_msg("no finding %s", id);
	return NULL;
}

/* Like an OpenSSL server with only static-RSA AES128-SHA, which stark's
 * wolfSSL lacks: stark's hello is refused, the raw hello is not. The X-
 * checks judge the chain of one more raw hello (a weak RSA-1024 leaf and
 * the CA): X-01 is ERROR naming stark's limitation, the leaf's own facts
 * are judged from it. */
START_TEST(fleet_certificate_from_the_probe)
{
	static uint8_t list[16384];
	size_t n = 3;
	const struct cert_pem *leaf = cert_set_get(support_certs, CERT_RSA1024);
	ck_assert_ptr_nonnull(leaf);
	pem_entry(leaf->chain, list, sizeof list, &n);
	pem_entry(cert_set_ca_pem(support_certs), list, sizeof list, &n);
	list[0] = (uint8_t)((n - 3) >> 16), list[1] = (uint8_t)((n - 3) >> 8), list[2] = (uint8_t)(n - 3);
	static const uint16_t prefs[] = {0x002F};
	struct fake f = {.version = 0x0303, .prefs = prefs, .nprefs = 1, .certs = list, .certs_len = n};
	fake_start(&f);
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(wtls_config_add_ca_mem(cfg, (const uint8_t *)cert_set_ca_pem(support_certs),
	                                        strlen(cert_set_ca_pem(support_certs))),
	                 0);
	struct fleet_opts o = {.servername = SUPPORT_SERVERNAME, .timeout_ms = 3000, .tls = cfg};
	struct fleet_node node;
	memset(&node, 0, sizeof node);
	node.target = xasprintf("127.0.0.1:%s", f.port);
	fleet_node_probe(&node, &o);
	wtls_config_free(cfg);
	fake_stop(&f);

	ck_assert_int_eq(node.probe.v[PV_TLS12].supported, PROBE_TRI_YES);
	ck_assert(!node.tls_ok && node.tls.hello_refused);
	ck_assert(node.cert_from_probe);
	ck_assert_msg(strstr(node.tls_error, "lacks static RSA key exchange") &&
	                  strstr(node.tls_error, "certificate from the raw probe"),
	              "%s", node.tls_error);
	ck_assert_uint_eq(node.tls.nchain, 2);
	ck_assert_str_eq(node.tls.chain[0].key_type, "RSA");
	ck_assert_int_eq(node.tls.chain[0].key_bits, 1024);
	ck_assert(node.tls.chain[1].self_signed); /* the CA */
	ck_assert(node.tls.host_ok);
	ck_assert(!node.tls.verify_ok);

	struct run run;
	memset(&run, 0, sizeof run);
	policy_eval(policy_find("rfc"), &node, SUPPORT_SERVERNAME, &run);
	const struct result *r = scan_finding(&run, "cert/x01-chain");
	ck_assert_int_eq(r->verdict, V_ERROR);
	ck_assert_msg(strstr(r->reason, "chain not verified: stark cannot negotiate with this target: "
	                                "it accepts AES128-SHA"),
	              "%s", r->reason);
	r = scan_finding(&run, "cert/x05-key");
	ck_assert_int_eq(r->verdict, V_FAIL);
	ck_assert_msg(strstr(r->reason, "RSA 1024 bits [certificate from the raw probe]"), "%s", r->reason);
	static const char *const pass[] = {"cert/x02-name", "cert/x03-validity", "cert/x04-self-signed",
	                                   "cert/x06-signature", "cert/x07-san", "cert/x08-wildcard"};
	for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
		r = scan_finding(&run, pass[i]);
		ck_assert_msg(r->verdict == V_PASS, "%s: %s %s", pass[i], result_verdict_name(r->verdict),
		              r->reason);
	}
	run_free(&run);
	fleet_node_free(&node);
}
END_TEST

Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *t = tcase_create("reference");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, seed_config_exact);
	tcase_add_test(t, default_enumeration_budget);
	tcase_add_test(t, default_full_scan);
	tcase_add_test(t, throttled_421);
	tcase_add_test(t, no_starttls);
	tcase_add_test(t, connect_refused);
	suite_add_tcase(s, t);

	t = tcase_create("peers");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, deadline_silent_peer);
	tcase_add_test(t, deadline_silent_after_220);
	tcase_add_test(t, plaintext_answer_is_garbage);
	tcase_add_test(t, ssl2_server_hello);
	tcase_add_test(t, closed_after_220);
	tcase_add_test(t, scan_budgets);
	tcase_add_test(t, fake_server_order_across_chunks);
	tcase_add_test(t, fake_client_order);
	tcase_add_test(t, scan_stops_after_two_stalls);
	tcase_add_test(t, fleet_no_second_handshake_after_stall);
	suite_add_tcase(s, t);

	t = tcase_create("certificate fallback");
	tcase_set_timeout(t, 60);
	tcase_add_unchecked_fixture(t, support_certs_setup, support_certs_teardown);
	tcase_add_test(t, fleet_certificate_from_the_probe);
	suite_add_tcase(s, t);
	return s;
}

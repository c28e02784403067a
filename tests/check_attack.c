/* SPDX-License-Identifier: MIT */
/*
 * Unit and mirror tests of the attack batteries (attack.c, attack_tls.c,
 * attack_records.c). The fact batteries and the Ticketbleed oracle are
 * pure functions of plain data. The vulnerable side of the active ones is
 * played by a fake server on loopback: an SMTP preamble, then raw records
 * answering like a vulnerable TLS stack would (a Heartbleed echo of server
 * memory, an early ChangeCipherSpec accepted, a PKCS#1 padding oracle, an
 * SSLv2 SERVER-HELLO, a hang or a crash on malformed records). No real
 * peer can play these: every Debian MTA links OpenSSL 3 or GnuTLS 3.7,
 * which have none of these flaws (tests/real/attacks.sh shows them
 * refusing), and stark's own refserver is wolfSSL.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "cert.h"
#include "support.h"
#include "util.h"
#include "wtls.h"

/* ---- pure: the fact batteries ---- */

static void report_base(struct probe_report *rep)
{
	memset(rep, 0, sizeof *rep);
	for (int v = 0; v < PV__COUNT; v++) {
		rep->v[v].version = probe_vidx_version((enum probe_vidx)v);
		rep->v[v].tested = true;
		rep->v[v].supported = PROBE_TRI_NO;
		snprintf(rep->v[v].why, sizeof rep->v[v].why, "alert protocol_version");
	}
}

static void accept_suites(struct probe_report *rep, int v, const uint16_t *s, size_t n)
{
	rep->v[v].supported = PROBE_TRI_YES;
	memcpy(rep->v[v].suites, s, n * sizeof *s);
	rep->v[v].nsuites = n;
	if (rep->max_version < rep->v[v].version)
		rep->max_version = rep->v[v].version;
}

static struct attack_report *facts_of(const struct probe_report *rep)
{
	struct attack_report *a = xcalloc(1, sizeof *a);
	attack_facts(rep, a);
	return a;
}

START_TEST(facts_modern_server_is_clean)
{
	struct probe_report rep;
	report_base(&rep);
	static const uint16_t s12[] = {0xC02F, 0xC030}, s13[] = {0x1301};
	accept_suites(&rep, PV_TLS12, s12, 2);
	accept_suites(&rep, PV_TLS13, s13, 1);
	rep.dh_bits = 0;
	struct attack_report *a = facts_of(&rep);
	for (int i = ATK_POODLE; i <= ATK_BEAST; i++)
		ck_assert_msg(a->r[i].state == ATK_NOT_VULNERABLE, "%s: %s (%s)", attack_name(i),
		              attack_state_name(a->r[i].state), a->r[i].detail);
	free(a);
}
END_TEST

START_TEST(facts_legacy_server_shows_each_attack)
{
	struct probe_report rep;
	report_base(&rep);
	/* SSLv3 with AES128-SHA (CBC), TLS 1.0 with 3DES, IDEA, EXP-RC4-MD5 (RSA
	 * export), EXP-EDH-RSA-DES-CBC-SHA (DHE export); SSLv2 on */
	static const uint16_t s3[] = {0x002F}, s10[] = {0x000A, 0x0007, 0x0003, 0x0014};
	accept_suites(&rep, PV_SSL3, s3, 1);
	accept_suites(&rep, PV_TLS10, s10, 4);
	rep.v[PV_SSL2].supported = PROBE_TRI_YES;
	rep.v[PV_SSL2].nssl2 = 1;
	rep.v[PV_SSL2].ssl2_kinds[0] = 0x0700C0; /* SSL_CK_DES_192_EDE3_CBC_WITH_MD5 */
	rep.dh_bits = 512;
	struct attack_report *a = facts_of(&rep);
	ck_assert_int_eq(a->r[ATK_POODLE].state, ATK_VULNERABLE);
	ck_assert_ptr_nonnull(strstr(a->r[ATK_POODLE].detail, "SSLv3 AES128-SHA"));
	ck_assert_int_eq(a->r[ATK_SWEET32].state, ATK_VULNERABLE);
	ck_assert_ptr_nonnull(strstr(a->r[ATK_SWEET32].detail, "DES-CBC3-SHA"));
	ck_assert_ptr_nonnull(strstr(a->r[ATK_SWEET32].detail, "IDEA"));
	ck_assert_ptr_nonnull(strstr(a->r[ATK_SWEET32].detail, "SSLv2"));
	ck_assert_int_eq(a->r[ATK_FREAK].state, ATK_VULNERABLE);
	ck_assert_ptr_nonnull(strstr(a->r[ATK_FREAK].detail, "EXP-RC4-MD5"));
	ck_assert_int_eq(a->r[ATK_LOGJAM].state, ATK_VULNERABLE);
	ck_assert_int_eq(a->r[ATK_DROWN].state, ATK_VULNERABLE);
	ck_assert_int_eq(a->r[ATK_LUCKY13].state, ATK_FACT);
	ck_assert_int_eq(a->r[ATK_BEAST].state, ATK_FACT);
	free(a);

	/* a small DH group alone is Logjam too; 1024 is named, not failed */
	report_base(&rep);
	static const uint16_t dhe[] = {0x0033};
	accept_suites(&rep, PV_TLS12, dhe, 1);
	rep.dh_bits = 768;
	a = facts_of(&rep);
	ck_assert_int_eq(a->r[ATK_LOGJAM].state, ATK_VULNERABLE);
	ck_assert_ptr_nonnull(strstr(a->r[ATK_LOGJAM].detail, "768-bit"));
	free(a);
	rep.dh_bits = 1024;
	a = facts_of(&rep);
	ck_assert_int_eq(a->r[ATK_LOGJAM].state, ATK_NOT_VULNERABLE);
	ck_assert_ptr_nonnull(strstr(a->r[ATK_LOGJAM].detail, "1024"));
	free(a);
}
END_TEST

/* An undecided version is never read as "refused". */
START_TEST(facts_unknown_versions_are_inconclusive)
{
	struct probe_report rep;
	report_base(&rep);
	static const uint16_t s12[] = {0xC02F};
	accept_suites(&rep, PV_TLS12, s12, 1);
	rep.v[PV_SSL3].supported = PROBE_TRI_UNKNOWN;
	rep.v[PV_SSL2].supported = PROBE_TRI_UNKNOWN;
	struct attack_report *a = facts_of(&rep);
	ck_assert_int_eq(a->r[ATK_POODLE].state, ATK_INCONCLUSIVE);
	ck_assert_int_eq(a->r[ATK_DROWN].state, ATK_INCONCLUSIVE);
	ck_assert_int_eq(a->r[ATK_SWEET32].state, ATK_INCONCLUSIVE);
	free(a);
}
END_TEST

START_TEST(ticketbleed_oracle)
{
	static const uint8_t sent[1] = {0x42};
	static const uint8_t same[1] = {0x42}, leak[32] = {0x42, 1, 2, 3}, other[32] = {0x43};
	ck_assert(!attack_ticketbleed_leaks(sent, 1, same, 1));
	ck_assert(attack_ticketbleed_leaks(sent, 1, leak, 32));
	ck_assert(!attack_ticketbleed_leaks(sent, 1, other, 32)); /* a new session id */
	ck_assert(!attack_ticketbleed_leaks(sent, 1, NULL, 0));
}
END_TEST

/* ---- the fake server (loopback) ---- */

enum fake_mode {
	F_HEARTBEAT = 1u << 0,   /* negotiate heartbeats, echo well-formed requests */
	F_HB_LEAK = 1u << 1,     /* ... and answer an overlong one with 16 KiB of "memory" */
	F_CCS_ACCEPT = 1u << 2,  /* take an early ChangeCipherSpec (CVE-2014-0224) */
	F_ROBOT = 1u << 3,       /* alert by PKCS#1 validity: a padding oracle */
	F_HANG = 1u << 4,        /* say nothing to malformed records */
	F_CRASH = 1u << 5,       /* stop accepting after a malformed record */
	F_SSL2 = 1u << 6,        /* answer an SSLv2 CLIENT-HELLO */
};

struct fake {
	int lfd;
	char port[16];
	pthread_t th;
	volatile int stop;
	unsigned mode;
	uint8_t cert[4096];      /* DER of the RSA leaf */
	size_t cert_len;
	const char *key_pem;
	volatile int dead;       /* F_CRASH fired */
	size_t conns;
};

static bool rd(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 3000) <= 0)
			return false;
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static bool line(int fd)
{
	uint8_t c;
	do
		if (!rd(fd, &c, 1))
			return false;
	while (c != '\n');
	return true;
}

static void tx(int fd, const void *p, size_t n)
{
	(void)send(fd, p, n, MSG_NOSIGNAL);
}

static void alert(int fd, uint8_t desc)
{
	uint8_t a[7] = {21, 3, 3, 0, 2, 2, desc};
	tx(fd, a, sizeof a);
}

static void silent_until_eof(int fd)
{
	uint8_t b[512];
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 3000) <= 0 || recv(fd, b, sizeof b, 0) <= 0)
			return;
	}
}

/* A record: header into h, body into b (cap 20000). false on EOF. */
static bool rec(int fd, uint8_t h[5], uint8_t *b, size_t *len)
{
	if (!rd(fd, h, 5))
		return false;
	*len = (size_t)(h[3] << 8 | h[4]);
	return *len <= 20000 && rd(fd, b, *len);
}

static void malformed(struct fake *f, int fd, uint8_t desc)
{
	if (f->mode & F_CRASH) {
		f->dead = 1;
		return;
	}
	if (f->mode & F_HANG) {
		silent_until_eof(fd);
		return;
	}
	alert(fd, desc);
}

static void ssl2_hello(struct fake *f, int fd)
{
	uint8_t m[4200];
	size_t n = 0;
	m[n++] = 4;          /* SERVER-HELLO */
	m[n++] = 0;          /* session id hit */
	m[n++] = 1;          /* X.509 */
	m[n++] = 0, m[n++] = 2;
	m[n++] = (uint8_t)(f->cert_len >> 8), m[n++] = (uint8_t)f->cert_len;
	m[n++] = 0, m[n++] = 3; /* one cipher kind */
	m[n++] = 0, m[n++] = 16;
	memcpy(m + n, f->cert, f->cert_len);
	n += f->cert_len;
	m[n++] = 0x07, m[n++] = 0x00, m[n++] = 0xC0;
	memset(m + n, 0x11, 16);
	n += 16;
	uint8_t h[2] = {(uint8_t)(0x80 | n >> 8), (uint8_t)n};
	tx(fd, h, 2);
	tx(fd, m, n);
}

static void fake_conn(struct fake *f, int fd)
{
	tx(fd, "220 fake.test ESMTP\r\n", 21);
	if (!line(fd))
		return;
	tx(fd, "250-fake.test\r\n250 STARTTLS\r\n", 29);
	if (!line(fd))
		return;
	tx(fd, "220 go ahead\r\n", 14);
	uint8_t h[5], *b = xmalloc(20000), hs[20000];
	size_t len, hslen = 0;
	/* the ClientHello, gathered across records; warnings are ignored */
	for (;;) {
		if (!rd(fd, h, 1))
			goto out;
		if (h[0] & 0x80) { /* SSLv2 */
			if (f->mode & F_SSL2)
				ssl2_hello(f, fd);
			goto out;
		}
		if (!rd(fd, h + 1, 4))
			goto out;
		len = (size_t)(h[3] << 8 | h[4]);
		if (h[1] != 3 || len > 16384 + 2048 || (h[0] != 21 && h[0] != 22)) {
			malformed(f, fd, h[1] != 3 ? 70 : len > 16384 + 2048 ? 22 : 10);
			goto out;
		}
		if (!rd(fd, b, len))
			goto out;
		if (h[0] == 21)
			continue;
		memcpy(hs + hslen, b, len);
		hslen += len;
		if (hslen >= 4 && hslen >= 4 + (size_t)(hs[1] << 16 | hs[2] << 8 | hs[3]))
			break;
	}
	/* the first suite offered */
	const uint8_t *p = hs + 4 + 2 + 32;
	p += 1 + *p;
	uint16_t pick = (uint16_t)(p[2] << 8 | p[3]), v = (uint16_t)(hs[4] << 8 | hs[5]);
	uint8_t sh[8192];
	size_t n = 5;
	size_t ext = f->mode & F_HEARTBEAT ? 2 + 5 : 0;
	size_t shl = 2 + 32 + 1 + 2 + 1 + ext;
	uint8_t shm[] = {2, 0, 0, (uint8_t)shl, (uint8_t)(v >> 8), (uint8_t)v};
	memcpy(sh + n, shm, sizeof shm);
	n += sizeof shm;
	memset(sh + n, 0x33, 32);
	n += 32;
	sh[n++] = 0;
	sh[n++] = (uint8_t)(pick >> 8), sh[n++] = (uint8_t)pick, sh[n++] = 0;
	if (ext) {
		uint8_t e[] = {0, 5, 0, 15, 0, 1, 1};
		memcpy(sh + n, e, sizeof e);
		n += sizeof e;
	}
	size_t cl = f->cert_len;
	uint8_t cm[] = {11, (uint8_t)((cl + 6) >> 16), (uint8_t)((cl + 6) >> 8), (uint8_t)(cl + 6),
	                (uint8_t)((cl + 3) >> 16), (uint8_t)((cl + 3) >> 8), (uint8_t)(cl + 3),
	                (uint8_t)(cl >> 16), (uint8_t)(cl >> 8), (uint8_t)cl};
	memcpy(sh + n, cm, sizeof cm);
	n += sizeof cm;
	memcpy(sh + n, f->cert, cl);
	n += cl;
	memcpy(sh + n, (const uint8_t[]){14, 0, 0, 0}, 4);
	n += 4;
	uint8_t rh[5] = {22, 3, 3, (uint8_t)((n - 5) >> 8), (uint8_t)(n - 5)};
	memcpy(sh, rh, 5);
	tx(fd, sh, n);

	/* what follows the flight */
	unsigned ccs = 0;
	while (rec(fd, h, b, &len)) {
		if (h[0] == 24 && (f->mode & F_HEARTBEAT) && len >= 3) {
			size_t pl = (size_t)(b[1] << 8 | b[2]);
			if (3 + pl + 16 > len) {
				if (!(f->mode & F_HB_LEAK))
					continue; /* RFC 6520 4: discard silently */
				pl = 16384 - 19; /* what a vulnerable one sends: memory */
			}
			uint8_t *r = xcalloc(1, 5 + 3 + pl + 16);
			memcpy(r, (const uint8_t[]){24, 3, 3, (uint8_t)((3 + pl + 16) >> 8),
			                            (uint8_t)(3 + pl + 16), 2, (uint8_t)(pl >> 8), (uint8_t)pl}, 8);
			if (pl <= len - 3)
				memcpy(r + 8, b + 3, pl);
			else
				memset(r + 8, 0xEE, pl);
			tx(fd, r, 5 + 3 + pl + 16);
			free(r);
			continue;
		}
		if (h[0] == 20) {
			if (!(f->mode & F_CCS_ACCEPT)) {
				alert(fd, 10);
				break;
			}
			if (++ccs == 2) { /* "decrypting" the second with premature keys */
				alert(fd, 20);
				break;
			}
			continue;
		}
		if (h[0] == 22 && len > 6 && b[0] == 16) {
			/* ClientKeyExchange */
			size_t k = (size_t)(b[4] << 8 | b[5]);
			uint8_t m[1024];
			bool valid = false;
			if (k <= sizeof m && len >= 6 + k && cert_rsa_decrypt_raw(f->key_pem, b + 6, k, m, k) == 0)
				valid = m[0] == 0 && m[1] == 2;
			alert(fd, (f->mode & F_ROBOT) && !valid ? 40 : 20);
			break;
		}
	}
out:
	free(b);
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
		if (!f->dead) {
			fake_conn(f, fd);
			/* no RST for unread bytes: the client reads all we sent */
			shutdown(fd, SHUT_WR);
			silent_until_eof(fd);
		}
		close(fd); /* a dead one accepts (the kernel would) and closes at once */
	}
	return NULL;
}

/* The DER of the first certificate of a PEM text. */
static size_t pem_der(const char *pem, uint8_t *out, size_t cap)
{
	const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----");
	ck_assert_ptr_nonnull(b);
	b += strlen("-----BEGIN CERTIFICATE-----");
	const char *e = strstr(b, "-----END");
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *p = b; p < e; p++) {
		const char *q = *p ? strchr(tab, *p) : NULL;
		if (q == NULL)
			continue;
		acc = acc << 6 | (uint32_t)(q - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ck_assert_uint_lt(n, cap);
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void fake_start(struct fake *f, unsigned mode)
{
	memset(f, 0, sizeof *f);
	f->mode = mode;
	const struct cert_pem *c = cert_set_get(support_certs, CERT_GOOD_RSA);
	ck_assert_ptr_nonnull(c);
	f->cert_len = pem_der(c->chain, f->cert, sizeof f->cert);
	f->key_pem = c->key;
	f->lfd = support_listen(f->port);
	f->th = support_thread_start(fake_main, f);
}

static void fake_stop(struct fake *f)
{
	f->stop = 1;
	support_thread_join(f->th, 30000);
	close(f->lfd);
}

/* What the probe found on the fake: TLS 1.2 with a static-RSA suite. */
static void fake_report(struct probe_report *rep, bool ssl2)
{
	report_base(rep);
	static const uint16_t s12[] = {0x002F, 0x009C};
	accept_suites(rep, PV_TLS12, s12, 2);
	rep->facts_version = 0x0303;
	rep->ticket = PROBE_TRI_NO;
	if (ssl2) {
		rep->v[PV_SSL2].supported = PROBE_TRI_YES;
		rep->v[PV_SSL2].nssl2 = 1;
		rep->v[PV_SSL2].ssl2_kinds[0] = 0x0700C0;
	}
}

static struct attack_report *run_on(struct fake *f, bool ssl2, const char *leaf_sha, int64_t *took)
{
	struct probe_target t = {.host = "127.0.0.1", .port = f->port, .servername = "",
	                         .timeout_ms = 400};
	struct probe *p = probe_new(&t);
	struct probe_report *rep = xmalloc(sizeof *rep);
	fake_report(rep, ssl2);
	struct attack_report *a = xmalloc(sizeof *a);
	struct attack_opts o = {.tls_leaf_sha256 = leaf_sha};
	int64_t t0 = mono_ms();
	attack_run(p, rep, &o, a);
	if (took)
		*took = mono_ms() - t0;
	probe_free(p);
	free(rep);
	return a;
}

static void ck_state(const struct attack_report *a, enum attack_id id, enum attack_state want,
                     const char *words)
{
	const struct attack_result *r = &a->r[id];
	ck_assert_msg(r->state == want, "%s: %s, want %s (%s)", attack_name(id),
	              attack_state_name(r->state), attack_state_name(want), r->detail);
	if (words)
		ck_assert_msg(strstr(r->detail, words), "%s: '%s' lacks '%s'", attack_name(id), r->detail,
		              words);
}

/* the evidence: bytes received in the battery's own transcript */
static size_t received(const struct attack_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->tr.n; i++)
		if (r->tr.ev[i].dir == TDIR_RECV)
			n += r->tr.ev[i].len;
	return n;
}

/* A patched server: every active battery comes out clean, with the bytes. */
START_TEST(patched_fake_is_clean)
{
	struct fake f;
	fake_start(&f, F_HEARTBEAT);
	struct attack_report *a = run_on(&f, false, NULL, NULL);
	fake_stop(&f);
	ck_state(a, ATK_HEARTBLEED, ATK_NOT_VULNERABLE, "dropped and the well-formed one echoed");
	ck_state(a, ATK_CCS, ATK_NOT_VULNERABLE, "unexpected_message");
	ck_state(a, ATK_TICKETBLEED, ATK_NOT_VULNERABLE, "no session tickets");
	ck_state(a, ATK_ROBOT, ATK_NOT_VULNERABLE, "all got fatal alert bad_record_mac(20)");
	ck_assert_uint_eq(a->r[ATK_ROBOT].connections, 5);
	ck_state(a, ATK_REC_LENGTH, ATK_NOT_VULNERABLE, "record_overflow");
	ck_state(a, ATK_REC_VERSION, ATK_NOT_VULNERABLE, "protocol_version");
	ck_state(a, ATK_REC_FRAGMENTED, ATK_NOT_VULNERABLE, "ServerHello");
	ck_state(a, ATK_REC_INTERLEAVED, ATK_NOT_VULNERABLE, "unexpected_message");
	ck_state(a, ATK_ALERT_STORM, ATK_NOT_VULNERABLE, "warnings were ignored");
	ck_state(a, ATK_STILL_SERVING, ATK_NOT_VULNERABLE, NULL);
	for (int i = 0; i < ATK__COUNT; i++)
		if (a->r[i].connections)
			ck_assert_msg(received(&a->r[i]) > 0, "%s: no evidence", attack_name(i));
	ck_assert_uint_eq(a->connections, f.conns);
	attack_report_free(a);
	free(a);
}
END_TEST

START_TEST(heartbleed_echo_is_found)
{
	struct fake f;
	fake_start(&f, F_HEARTBEAT | F_HB_LEAK);
	struct attack_report *a = run_on(&f, false, NULL, NULL);
	fake_stop(&f);
	ck_state(a, ATK_HEARTBLEED, ATK_VULNERABLE, "server memory");
	ck_assert_uint_gt(received(&a->r[ATK_HEARTBLEED]), 16384);
	attack_report_free(a);
	free(a);
}
END_TEST

START_TEST(ccs_accepted_is_found)
{
	struct fake f;
	fake_start(&f, F_CCS_ACCEPT);
	struct attack_report *a = run_on(&f, false, NULL, NULL);
	fake_stop(&f);
	ck_state(a, ATK_CCS, ATK_VULNERABLE, "bad_record_mac");
	ck_state(a, ATK_HEARTBLEED, ATK_NOT_VULNERABLE, "no heartbeat extension");
	attack_report_free(a);
	free(a);
}
END_TEST

/* The fake decrypts each ClientKeyExchange with its key and alerts by the
 * padding's validity: the wrong-first-bytes variant stands out, twice. */
START_TEST(robot_oracle_is_found)
{
	struct fake f;
	fake_start(&f, F_ROBOT);
	struct attack_report *a = run_on(&f, false, NULL, NULL);
	fake_stop(&f);
	ck_state(a, ATK_ROBOT, ATK_VULNERABLE, "wrong first bytes 41 17 -> fatal alert handshake_failure(40)");
	ck_assert_uint_eq(a->r[ATK_ROBOT].connections, 10); /* five, and five to reproduce */
	attack_report_free(a);
	free(a);
}
END_TEST

START_TEST(drown_names_the_shared_certificate)
{
	struct fake f;
	fake_start(&f, F_SSL2);
	struct wtls_cert leaf;
	ck_assert_int_eq(wtls_cert_from_der(f.cert, f.cert_len, &leaf), 0);
	struct attack_report *a = run_on(&f, true, leaf.sha256, NULL);
	fake_stop(&f);
	ck_state(a, ATK_DROWN, ATK_VULNERABLE, "the same certificate (and key) as TLS");
	ck_assert_uint_eq(a->r[ATK_DROWN].connections, 1);
	attack_report_free(a);
	free(a);
}
END_TEST

/* Malformed records: a server that hangs is found within the deadline per
 * case; one that dies is found by the hello afterwards. */
START_TEST(records_hang_and_crash_are_found)
{
	struct fake f;
	int64_t took;
	fake_start(&f, F_HANG);
	struct attack_report *a = run_on(&f, false, NULL, &took);
	fake_stop(&f);
	ck_state(a, ATK_REC_LENGTH, ATK_VULNERABLE, "a hang");
	ck_state(a, ATK_REC_VERSION, ATK_VULNERABLE, "a hang");
	ck_state(a, ATK_STILL_SERVING, ATK_NOT_VULNERABLE, NULL);
	ck_assert_int_lt(took, 10000);
	attack_report_free(a);
	free(a);

	fake_start(&f, F_CRASH);
	a = run_on(&f, false, NULL, NULL);
	fake_stop(&f);
	ck_state(a, ATK_REC_LENGTH, ATK_NOT_VULNERABLE, "closed");
	ck_state(a, ATK_STILL_SERVING, ATK_VULNERABLE, "after the malformed records");
	attack_report_free(a);
	free(a);
}
END_TEST

/* Nobody listening: every active battery is an ERROR, quickly, none a verdict. */
START_TEST(dead_target_is_error_not_verdict)
{
	char port[16];
	support_closed_port(port);
	struct probe_target t = {.host = "127.0.0.1", .port = port, .servername = "", .timeout_ms = 300};
	struct probe *p = probe_new(&t);
	struct probe_report rep;
	fake_report(&rep, false);
	struct attack_report a;
	int64_t t0 = mono_ms();
	attack_run(p, &rep, NULL, &a);
	ck_assert_int_lt(mono_ms() - t0, 5000);
	static const enum attack_id active[] = {ATK_CCS, ATK_ROBOT, ATK_REC_LENGTH, ATK_STILL_SERVING};
	for (size_t i = 0; i < sizeof active / sizeof active[0]; i++) {
		enum attack_state s = a.r[active[i]].state;
		ck_assert_msg(s == ATK_ERROR || s == ATK_INCONCLUSIVE || active[i] == ATK_STILL_SERVING,
		              "%s: %s", attack_name(active[i]), attack_state_name(s));
	}
	ck_assert_uint_eq(a.connections, 0);
	probe_free(p);
	attack_report_free(&a);
}
END_TEST

/* A tarpit (greets, then says nothing to any hello): the batteries stop
 * after two silent hellos, within a few deadlines. */
START_TEST(tarpit_stops_the_batteries)
{
	char port[16];
	int lfd = support_listen(port); /* connections complete in the backlog; no greeting ever */
	struct probe_target t = {.host = "127.0.0.1", .port = port, .servername = "", .timeout_ms = 300};
	struct probe *p = probe_new(&t);
	struct probe_report rep;
	fake_report(&rep, false);
	struct attack_report a;
	int64_t t0 = mono_ms();
	attack_run(p, &rep, NULL, &a);
	int64_t took = mono_ms() - t0;
	ck_assert_msg(took < 15000, "took %lld ms", (long long)took);
	for (int i = ATK_HEARTBLEED; i <= ATK_ROBOT; i++)
		ck_assert_msg(a.r[i].state == ATK_ERROR || a.r[i].state == ATK_INCONCLUSIVE ||
		                  a.r[i].state == ATK_NOT_VULNERABLE,
		              "%s: %s", attack_name(i), attack_state_name(a.r[i].state));
	ck_assert_int_ne(a.r[ATK_CCS].state, ATK_NOT_VULNERABLE);
	probe_free(p);
	attack_report_free(&a);
	close(lfd);
}
END_TEST

Suite *attack_suite(void)
{
	Suite *s = suite_create("attack");
	TCase *tc = tcase_create("facts");
	tcase_add_test(tc, facts_modern_server_is_clean);
	tcase_add_test(tc, facts_legacy_server_shows_each_attack);
	tcase_add_test(tc, facts_unknown_versions_are_inconclusive);
	tcase_add_test(tc, ticketbleed_oracle);
	suite_add_tcase(s, tc);
	tc = tcase_create("mirror");
	tcase_add_unchecked_fixture(tc, support_certs_setup, support_certs_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, patched_fake_is_clean);
	tcase_add_test(tc, heartbleed_echo_is_found);
	tcase_add_test(tc, ccs_accepted_is_found);
	tcase_add_test(tc, robot_oracle_is_found);
	tcase_add_test(tc, drown_names_the_shared_certificate);
	tcase_add_test(tc, records_hang_and_crash_are_found);
	tcase_add_test(tc, dead_target_is_error_not_verdict);
	tcase_add_test(tc, tarpit_stops_the_batteries);
	suite_add_tcase(s, tc);
	return s;
}

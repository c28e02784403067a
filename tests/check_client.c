/* SPDX-License-Identifier: MIT */
/*
 * Mirror tests of the client suite (scenarios/client): stark plays the
 * server with exec_run_fd on one end of a socketpair(2); a tiny SMTP client
 * (a thread on the other end, plaintext over the fd and TLS through wtls)
 * plays the target. Each client flaw the real clients of tests/real/clients.sh
 * do not all show is switched on in turn: the matching shipped scenario must
 * FAIL, at the scenario line that names the flaw; the well-behaved client
 * must PASS the same file. A client that re-greets with HELO after TLS (RFC
 * 3207 4.2: SHOULD send EHLO) PASSes with a note. Public function: client_suite().
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cert.h"
#include "exec.h"
#include "result.h"
#include "runner.h"
#include "scenario.h"
#include "support.h"
#include "util.h"
#include "wtls.h"

#ifndef STARK_SOURCE_DIR
#define STARK_SOURCE_DIR "."
#endif

#define EXEC_TIMEOUT_MS 1500 /* stark's deadline for every expectation */
#define MC_TIMEOUT_MS 3000   /* the mini client's per-read deadline (longer: stark decides) */

/* The flaws of the mini client, one per catalog check. */
enum flaw {
	F_PLAIN_WITHOUT_STARTTLS = 1u << 0,   /* C-01: STARTTLS not offered: mails in plaintext */
	F_IGNORE_STARTTLS_REFUSAL = 1u << 1,  /* C-02..C-04: STARTTLS refused: mails in plaintext
	                                       * (CVE-2016-0772) */
	F_HELO_FALLBACK = 1u << 2,            /* C-05: EHLO refused: HELO, then mails in plaintext */
	F_KEEP_BUFFER = 1u << 3,              /* C-06/C-07: bytes read with the 220 stay buffered and
	                                       * answer the post-TLS EHLO (CVE-2020-14954) */
	F_FIRST_LINE_220 = 1u << 4,           /* C-08: starts TLS after the first line of a
	                                       * multi-line 220 (and reads byte by byte) */
	F_NO_EHLO_AFTER_TLS = 1u << 5,        /* C-09: no EHLO after TLS, mails at once */
	F_STALE_PIPELINING = 1u << 6,         /* C-09: pipelines because the pre-TLS EHLO offered it */
	F_SECOND_STARTTLS = 1u << 7,          /* C-10: STARTTLS again when the post-TLS EHLO lies */
	F_PLAIN_AFTER_TLS_FAIL = 1u << 8,     /* C-11: failed handshake: EHLO and mail in plaintext */
	F_PLAIN_AFTER_CLOSE_NOTIFY = 1u << 9, /* C-12: close_notify: reads and writes plaintext */
	F_NO_VERIFY = 1u << 10,               /* C-13: ignores the certificate verification */
	F_IGNORE_GREETING = 1u << 11,         /* C-16: 421/554 greeting: EHLO and mail anyway */
	F_ACCEPT_6XX = 1u << 12,              /* C-15: an out-of-range reply counts as success */
	F_PIPELINE_STARTTLS = 1u << 13,       /* C-19: "STARTTLS\r\nEHLO ...\r\n" in one write */
	F_HELO_AFTER_TLS = 1u << 14,          /* RFC 3207 4.2 SHOULD: re-greets with HELO after TLS
	                                       * (s-nail); not a flaw of any check by itself */
};

struct mc {
	int fd;
	unsigned flaws;
	struct wtls_config *cfg; /* verifying client config (stark's CA), borrowed */
	struct wtls *tls;
	uint8_t in[16384]; /* the client's own read buffer (what C-06 is about) */
	size_t inlen;
	int64_t deadline;
	/* the last reply */
	int code;
	bool starttls, auth, pipelining;
};

static ssize_t mc_raw_recv(void *ctx, uint8_t *b, size_t n)
{
	struct mc *m = ctx;
	for (;;) {
		int64_t left = m->deadline - mono_ms();
		if (left <= 0)
			return WTLS_WANT;
		struct pollfd p = {.fd = m->fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r == 0)
			return WTLS_WANT;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		ssize_t k = recv(m->fd, b, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno == ECONNRESET ? 0 : -1;
		return k;
	}
}

static ssize_t mc_raw_send(void *ctx, const uint8_t *b, size_t n)
{
	struct mc *m = ctx;
	return send(m->fd, b, n, MSG_NOSIGNAL);
}

/* Read more into m->in: 1 read, 0 EOF (or close_notify), -1 error/timeout. */
static int mc_fill(struct mc *m)
{
	if (m->inlen == sizeof m->in)
		return -1;
	/* The C-08 flaw reads byte by byte, like an unbuffered reader: the
	 * second line of the 220 stays in the socket. */
	size_t want = (m->flaws & F_FIRST_LINE_220) && !m->tls ? 1 : sizeof m->in - m->inlen;
	m->deadline = mono_ms() + MC_TIMEOUT_MS;
	ssize_t k;
	if (m->tls) {
		do
			k = wtls_read(m->tls, m->in + m->inlen, want);
		while (k == WTLS_WANT && mono_ms() < m->deadline);
		if (k == 0 && (m->flaws & F_PLAIN_AFTER_CLOSE_NOTIFY) && wtls_got_close_notify(m->tls)) {
			/* the flaw: TLS ended, so read on in plaintext */
			wtls_free(m->tls);
			m->tls = NULL;
			return mc_fill(m);
		}
	} else {
		k = mc_raw_recv(m, m->in + m->inlen, want);
	}
	if (k == 0)
		return 0;
	if (k < 0)
		return -1;
	m->inlen += (size_t)k;
	return 1;
}

/* The next line without its terminator; -1 on EOF or timeout. */
static int mc_line(struct mc *m, char *line, size_t max)
{
	for (;;) {
		uint8_t *nl = memchr(m->in, '\n', m->inlen);
		if (nl) {
			size_t n = (size_t)(nl - m->in) + 1, l = n;
			while (l > 0 && (m->in[l - 1] == '\n' || m->in[l - 1] == '\r'))
				l--;
			if (l >= max)
				l = max - 1;
			memcpy(line, m->in, l);
			line[l] = '\0';
			memmove(m->in, m->in + n, m->inlen - n);
			m->inlen -= n;
			return (int)l;
		}
		if (mc_fill(m) <= 0)
			return -1;
	}
}

/* One reply: its code (also m->code) and its EHLO keywords; -1 if none. */
static int mc_reply(struct mc *m)
{
	char line[1100];
	m->starttls = m->auth = m->pipelining = false;
	for (;;) {
		int n = mc_line(m, line, sizeof line);
		if (n < 3)
			return m->code = -1;
		int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		const char *kw = n > 4 ? line + 4 : "";
		if (strncasecmp(kw, "STARTTLS", 8) == 0)
			m->starttls = true;
		else if (strncasecmp(kw, "AUTH", 4) == 0)
			m->auth = true;
		else if (strncasecmp(kw, "PIPELINING", 10) == 0)
			m->pipelining = true;
		if (n == 3 || line[3] == ' ')
			return m->code = code;
		if (line[3] != '-')
			return m->code = -1;
		if ((m->flaws & F_FIRST_LINE_220) && code == 220)
			return m->code = code; /* the flaw: the first line is taken as the reply */
	}
}

static void mc_send(struct mc *m, const char *s)
{
	size_t n = strlen(s);
	if (m->tls)
		(void)wtls_write(m->tls, (const uint8_t *)s, n);
	else
		(void)send(m->fd, s, n, MSG_NOSIGNAL);
}

static void mc_quit(struct mc *m)
{
	mc_send(m, "QUIT\r\n");
	mc_reply(m);
}

static bool positive(const struct mc *m, int code)
{
	return code / 100 == 2 || (code / 100 == 6 && (m->flaws & F_ACCEPT_6XX));
}

static void mc_mail(struct mc *m, bool pipelining)
{
	static const char *const cmds[] = {"MAIL FROM:<a@mirror.test>\r\n", "RCPT TO:<b@mirror.test>\r\n",
	                                   "DATA\r\n"};
	if (pipelining) {
		/* RFC 2920: the group up to DATA in one write */
		mc_send(m, "MAIL FROM:<a@mirror.test>\r\nRCPT TO:<b@mirror.test>\r\nDATA\r\n");
		if (!positive(m, mc_reply(m)) || !positive(m, mc_reply(m)) || mc_reply(m) != 354) {
			if (m->code > 0)
				mc_quit(m);
			return;
		}
	} else {
		for (int i = 0; i < 3; i++) {
			mc_send(m, cmds[i]);
			int c = mc_reply(m);
			if (i < 2 ? !positive(m, c) : c != 354) {
				if (c > 0)
					mc_quit(m);
				return;
			}
		}
	}
	mc_send(m, "Subject: mirror\r\n\r\nhello\r\n.\r\n");
	if (mc_reply(m) > 0)
		mc_quit(m);
}

static int mc_starttls(struct mc *m)
{
	m->tls = wtls_new(m->cfg, "localhost", mc_raw_recv, mc_raw_send, m);
	if (m->tls == NULL)
		return -1;
	m->deadline = mono_ms() + MC_TIMEOUT_MS;
	if (wtls_handshake(m->tls) != 0) {
		wtls_free(m->tls);
		m->tls = NULL;
		return -1;
	}
	return 0;
}

static void mc_session(struct mc *m)
{
	int c = mc_reply(m); /* greeting */
	if (c != 220 && !(m->flaws & F_IGNORE_GREETING)) {
		if (c > 0)
			mc_quit(m); /* RFC 5321 3.1 */
		return;
	}
	mc_send(m, "EHLO mirror.test\r\n");
	c = mc_reply(m);
	if (c < 0)
		return;
	if (c / 100 != 2) {
		if (!(m->flaws & F_HELO_FALLBACK)) {
			mc_quit(m);
			return;
		}
		mc_send(m, "HELO mirror.test\r\n");
		if (mc_reply(m) / 100 == 2)
			mc_mail(m, false);
		return;
	}
	bool pipelining_before = m->pipelining;
	if (!m->starttls) {
		if (m->flaws & F_PLAIN_WITHOUT_STARTTLS)
			mc_mail(m, m->pipelining);
		else
			mc_quit(m);
		return;
	}
	mc_send(m, (m->flaws & F_PIPELINE_STARTTLS) ? "STARTTLS\r\nEHLO mirror.test\r\n" : "STARTTLS\r\n");
	c = mc_reply(m);
	if (c != 220) {
		if (c > 0 && (m->flaws & F_IGNORE_STARTTLS_REFUSAL))
			mc_mail(m, m->pipelining);
		else if (c > 0)
			mc_quit(m);
		return;
	}
	if (!(m->flaws & F_KEEP_BUFFER))
		m->inlen = 0; /* RFC 3207 6: discard what came with the 220 */
	if (mc_starttls(m) != 0) {
		if (m->flaws & F_PLAIN_AFTER_TLS_FAIL) {
			mc_send(m, "EHLO mirror.test\r\n");
			if (mc_reply(m) / 100 == 2)
				mc_mail(m, false);
		}
		return;
	}
	if (!(m->flaws & F_NO_VERIFY)) {
		const struct wtls_facts *f = wtls_facts(m->tls);
		if (!f->verify_ok || !f->host_ok) {
			mc_quit(m); /* RFC 3207 4: QUIT right after the handshake */
			return;
		}
	}
	if (m->flaws & F_NO_EHLO_AFTER_TLS) {
		mc_mail(m, false);
		return;
	}
	mc_send(m, (m->flaws & F_HELO_AFTER_TLS) ? "HELO mirror.test\r\n" : "EHLO mirror.test\r\n");
	if (mc_reply(m) / 100 != 2)
		return;
	if (m->starttls && (m->flaws & F_SECOND_STARTTLS)) {
		mc_send(m, "STARTTLS\r\n");
		if (mc_reply(m) > 0)
			mc_quit(m);
		return;
	}
	mc_mail(m, (m->flaws & F_STALE_PIPELINING) ? pipelining_before : m->pipelining);
}

static void *mc_thread(void *arg)
{
	struct mc *m = arg;
	mc_session(m);
	wtls_free(m->tls);
	m->tls = NULL;
	close(m->fd);
	wtls_thread_cleanup();
	return NULL;
}

/* ---- running a shipped scenario against the mini client ---- */

static char *scn_path(const char *name)
{
	return xasprintf("%s/scenarios/client/%s.scn", STARK_SOURCE_DIR, name);
}

/* 1-based number of the first line of the file that contains needle. */
static int line_of(const char *name, const char *needle)
{
	char *path = scn_path(name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	char line[2048];
	int n = 0, found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		n++;
		if (strstr(line, needle))
			found = n;
	}
	fclose(f);
	ck_assert_msg(found > 0, "%s: no line contains \"%s\"", path, needle);
	free(path);
	return found;
}

/* Play s against a mini client with the given flaws (o: stark's side,
 * its certs used); fills r. */
static void mirror_play(const struct scenario *s, const struct exec_opts *o, unsigned flaws,
                        struct result *r)
{
	const char *ca = cert_set_ca_pem(o->certs);
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	ck_assert(cfg != NULL);
	ck_assert_int_eq(wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca)), 0);
	int sv[2];
	support_socketpair(sv, 0);
	struct mc *m = xcalloc(1, sizeof *m);
	m->fd = sv[1];
	m->flaws = flaws;
	m->cfg = cfg;
	pthread_t t = support_thread_start(mc_thread, m);
	exec_run_fd(s, o, sv[0], r); /* takes sv[0]; closes it when done */
	support_thread_join(t, 30000);
	free(m);
	wtls_config_free(cfg);
}

/* Play scenario NAME (profile require-tls unless given) against a mini
 * client with the given flaws; fills r (result_free by the caller). */
static void mirror(const char *name, const char *profile, unsigned flaws, struct result *r)
{
	char *path = scn_path(name);
	struct scn_diag d = {0};
	struct scenario *s = scenario_load(path, &d);
	ck_assert_msg(s != NULL, "%s: %s", path, d.n ? d.msgs[0] : "?");
	scenario_diag_free(&d);
	free(path);

	struct cert_set *certs = cert_set_new("localhost");
	ck_assert(certs != NULL);
	struct exec_opts o = {
		.servername = "localhost",
		.helo = "stark.test",
		.timeout_ms = EXEC_TIMEOUT_MS,
		.profile = profile ? profile : "require-tls",
		.certs = certs,
	};
	mirror_play(s, &o, flaws, r);
	cert_set_free(certs);
	scenario_free(s);
}

static void dump_transcript(const struct result *r)
{
	for (size_t i = 0; i < r->tr.n; i++) {
		const struct tevent *e = &r->tr.ev[i];
		char *t = escape_bytes(e->data, e->len);
		fprintf(stderr, "    %s %s %s\n",
		        e->dir == TDIR_SEND ? "send" : e->dir == TDIR_RECV ? "recv" : "note",
		        e->layer == TLAYER_TLS ? "tls  " : "plain", t);
		free(t);
	}
}

/* The flawed client FAILs at the line of NAME that contains NEEDLE, and the
 * reason carries that line's message (WHAT). */
static void expect_fail_at(const char *name, const char *profile, unsigned flaws, const char *needle,
                           const char *what)
{
	struct result r;
	mirror(name, profile, flaws, &r);
	int line = line_of(name, needle);
	char prefix[32];
	snprintf(prefix, sizeof prefix, "line %d: ", line);
	if (r.verdict != V_FAIL || strncmp(r.reason, prefix, strlen(prefix)) != 0 ||
	    strstr(r.reason, what) == NULL || getenv("STARK_TEST_VERBOSE")) {
		fprintf(stderr, "%s (flaws 0x%x): %s \"%s\"\n", name, flaws, result_verdict_label(r.verdict),
		        r.reason ? r.reason : "");
		dump_transcript(&r);
	}
	ck_assert_msg(r.verdict == V_FAIL, "%s: expected FAIL, got %s: %s", name,
	              result_verdict_label(r.verdict), r.reason ? r.reason : "");
	ck_assert_msg(strncmp(r.reason, prefix, strlen(prefix)) == 0, "%s: expected %s..., got \"%s\"",
	              name, prefix, r.reason);
	ck_assert_msg(strstr(r.reason, what) != NULL, "%s: \"%s\" does not say \"%s\"", name, r.reason,
	              what);
	result_free(&r);
}

/* The well-behaved client PASSes NAME. */
static void expect_pass(const char *name, const char *profile)
{
	struct result r;
	mirror(name, profile, 0, &r);
	if (r.verdict != V_PASS) {
		fprintf(stderr, "%s (good client): %s \"%s\"\n", name, result_verdict_label(r.verdict),
		        r.reason ? r.reason : "");
		dump_transcript(&r);
	}
	ck_assert_msg(r.verdict == V_PASS, "%s: the good client got %s: %s", name,
	              result_verdict_label(r.verdict), r.reason ? r.reason : "");
	result_free(&r);
}

/* ---- the tests: one per flaw, each with its well-behaved twin ---- */

struct flaw_case {
	const char *test;     /* the Check test this row belongs to */
	const char *scenario; /* scenarios/client/<scenario>.scn */
	unsigned flaws;       /* 0: only the well-behaved client, which must PASS */
	const char *needle;   /* the flawed client FAILs at the line containing this ... */
	const char *what;     /* ... with this in the reason */
	bool twin;            /* and the well-behaved client PASSes the same file */
};

static const struct flaw_case FLAWS[] = {
    {"good_client_sanity", "00-sanity", 0, NULL, NULL, false},
    {"c01_plaintext_after_stripping", "c01-starttls-stripped", F_PLAIN_WITHOUT_STARTTLS,
     "verify no-plaintext", "went on in plaintext after STARTTLS was stripped", true},
    {"c02_starttls_refusal_ignored", "c02-starttls-502", F_IGNORE_STARTTLS_REFUSAL,
     "verify no-plaintext", "went on in plaintext after STARTTLS was answered with 502", true},
    {"c03_starttls_454_ignored", "c03-starttls-454", F_IGNORE_STARTTLS_REFUSAL,
     "verify no-plaintext", "went on in plaintext after STARTTLS was answered with 454", true},
    {"c04_starttls_200_ignored", "c04-starttls-200", F_IGNORE_STARTTLS_REFUSAL,
     "verify no-plaintext", "went on in plaintext after STARTTLS was answered with 200", true},
    {"c05_helo_fallback", "c05-ehlo-refused-helo", F_HELO_FALLBACK, "verify no-plaintext",
     "went on in plaintext after EHLO was refused", true},
    {"c06_injected_reply_read", "c06-injection-glued-to-220", F_KEEP_BUFFER,
     "fail   \"read the reply injected", "read the reply injected before the TLS handshake", true},
    /* the 220's line end travels with the injection: deterministic */
    {"c07_injected_later_segment_read", "c07-injection-later-segment", F_KEEP_BUFFER,
     "fail   \"read the reply injected", "injected in the segment after the 220", true},
    {"c08_tls_after_first_line_of_220", "c08-multiline-220", F_FIRST_LINE_220,
     "fail   \"did not complete", "did not complete the TLS handshake after a multi-line 220",
     true},
    {"c09_no_ehlo_after_tls", "c09-capabilities-discarded", F_NO_EHLO_AFTER_TLS,
     "fail   \"did not send EHLO first", "did not send EHLO first after the TLS handshake", true},
    {"c09_stale_pipelining", "c09-capabilities-discarded", F_STALE_PIPELINING,
     "fail   \"pipelined", "pipelined a command behind MAIL", false},
    {"c10_second_starttls", "c10-no-second-starttls", F_SECOND_STARTTLS,
     "fail   \"sent STARTTLS again", "sent STARTTLS again inside TLS", true},
    {"c11_plaintext_after_failed_handshake", "c11-plaintext-454-for-serverhello",
     F_PLAIN_AFTER_TLS_FAIL, "fail   \"went on in plaintext",
     "went on in plaintext after the TLS handshake failed", true},
    {"c12_plaintext_after_close_notify", "c12-plaintext-after-handshake",
     F_PLAIN_AFTER_CLOSE_NOTIFY, "verify no-plaintext",
     "went on in plaintext after the TLS session was cut", true},
    {"c13_expired_certificate_accepted", "c13-cert-expired", F_NO_VERIFY, "and sent EHLO\"",
     "completed the TLS handshake with an expired certificate and sent EHLO", true},
    {"c13_unknown_ca_accepted", "c13-cert-unknown-ca", F_NO_VERIFY, "and sent EHLO\"",
     "with a certificate issued by an unknown CA and sent EHLO", true},
    /* a valid chain is accepted by the verifying client */
    {"c13_unknown_ca_accepted", "c13-cert-chain", 0, NULL, NULL, false},
    {"c15_6xx_taken_as_success", "c15-6xx-code", F_ACCEPT_6XX, "fail   \"went on with the mail",
     "after the out-of-range reply 650 to MAIL", true},
    {"c16_greeting_421_ignored", "c16-greeting-421", F_IGNORE_GREETING,
     "fail   \"went on after a 421", "went on after a 421 greeting", true},
    {"c19_pipelined_behind_starttls", "c19-starttls-last-in-group", F_PIPELINE_STARTTLS,
     "fail   \"pipelined", "pipelined a command behind STARTTLS", true},
};

/* Every row of the named test, at least one. */
static void run_flaws(const char *test)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof FLAWS / sizeof FLAWS[0]; i++) {
		const struct flaw_case *c = &FLAWS[i];
		if (strcmp(c->test, test) != 0)
			continue;
		n++;
		if (c->flaws)
			expect_fail_at(c->scenario, NULL, c->flaws, c->needle, c->what);
		if (!c->flaws || c->twin)
			expect_pass(c->scenario, NULL);
	}
	ck_assert_msg(n > 0, "no table rows for %s", test);
}

SUPPORT_TABLE_TEST(good_client_sanity, run_flaws)
SUPPORT_TABLE_TEST(c01_plaintext_after_stripping, run_flaws)
SUPPORT_TABLE_TEST(c02_starttls_refusal_ignored, run_flaws)
SUPPORT_TABLE_TEST(c03_starttls_454_ignored, run_flaws)
SUPPORT_TABLE_TEST(c04_starttls_200_ignored, run_flaws)
SUPPORT_TABLE_TEST(c05_helo_fallback, run_flaws)
SUPPORT_TABLE_TEST(c06_injected_reply_read, run_flaws)
SUPPORT_TABLE_TEST(c07_injected_later_segment_read, run_flaws)
SUPPORT_TABLE_TEST(c08_tls_after_first_line_of_220, run_flaws)
SUPPORT_TABLE_TEST(c09_no_ehlo_after_tls, run_flaws)
SUPPORT_TABLE_TEST(c09_stale_pipelining, run_flaws)
SUPPORT_TABLE_TEST(c10_second_starttls, run_flaws)
SUPPORT_TABLE_TEST(c11_plaintext_after_failed_handshake, run_flaws)
SUPPORT_TABLE_TEST(c12_plaintext_after_close_notify, run_flaws)
SUPPORT_TABLE_TEST(c13_expired_certificate_accepted, run_flaws)
SUPPORT_TABLE_TEST(c13_unknown_ca_accepted, run_flaws)
SUPPORT_TABLE_TEST(c15_6xx_taken_as_success, run_flaws)
SUPPORT_TABLE_TEST(c16_greeting_421_ignored, run_flaws)
SUPPORT_TABLE_TEST(c19_pipelined_behind_starttls, run_flaws)

START_TEST(c01_opportunistic_plaintext_is_noted)
{
	/* the same flaw is allowed for an opportunistic client: PASS, with a note */
	struct result r;
	mirror("c01-starttls-stripped-opportunistic", "opportunistic", F_PLAIN_WITHOUT_STARTTLS, &r);
	ck_assert_msg(r.verdict == V_PASS, "%s: %s", result_verdict_label(r.verdict), r.reason);
	ck_assert_msg(r.notes && strstr(r.notes, "went on in plaintext after STARTTLS was stripped"),
	              "notes: %s", r.notes ? r.notes : "(none)");
	result_free(&r);
	/* and the require-tls file does not run under that profile */
	mirror("c01-starttls-stripped", "opportunistic", F_PLAIN_WITHOUT_STARTTLS, &r);
	ck_assert_int_eq(r.verdict, V_SKIP);
	result_free(&r);
}
END_TEST

/* ---- HELO after TLS, and claims that need evidence ---- */

#define HELO_NOTE "re-greeted with HELO after TLS"

/* RFC 3207 4.2 only says the client SHOULD send EHLO after the handshake: a
 * client that re-greets with HELO (s-nail does) and is otherwise correct
 * PASSes every scenario that greets after TLS, each with the note. */
START_TEST(helo_after_tls_passes_with_a_note)
{
	static const char *const names[] = {
	    "00-sanity", "c06-injection-glued-to-220", "c07-injection-later-segment",
	    "c08-multiline-220", "c09-capabilities-discarded", "c10-no-second-starttls",
	    "c12-plaintext-after-handshake", "c13-cert-good-rsa", "c13-cert-chain",
	    "c15-6xx-code", "c16-421-mid-session", "c19-starttls-last-in-group",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct result r;
		mirror(names[i], NULL, F_HELO_AFTER_TLS, &r);
		if (r.verdict != V_PASS)
			dump_transcript(&r);
		ck_assert_msg(r.verdict == V_PASS, "%s: the HELO client got %s: %s", names[i],
		              result_verdict_label(r.verdict), r.reason ? r.reason : "");
		ck_assert_msg(r.notes && strstr(r.notes, HELO_NOTE), "%s: notes: %s", names[i],
		              r.notes ? r.notes : "(none)");
		result_free(&r);
	}
	/* the EHLO client gets no such note */
	struct result r;
	mirror("00-sanity", NULL, 0, &r);
	ck_assert_int_eq(r.verdict, V_PASS);
	ck_assert_msg(r.notes == NULL || strstr(r.notes, HELO_NOTE) == NULL, "notes: %s", r.notes);
	result_free(&r);
	/* opportunistic: the certificate note and the HELO note */
	mirror("c13-cert-expired-opportunistic", "opportunistic", F_HELO_AFTER_TLS | F_NO_VERIFY, &r);
	ck_assert_msg(r.verdict == V_PASS, "%s: %s", result_verdict_label(r.verdict), r.reason);
	ck_assert_msg(r.notes && strstr(r.notes, "accepted an expired certificate") &&
	                  strstr(r.notes, HELO_NOTE),
	              "notes: %s", r.notes ? r.notes : "(none)");
	result_free(&r);
}
END_TEST

/* HELO is no way around a check: the flaws are still found after it. */
START_TEST(helo_after_tls_is_still_judged)
{
	expect_fail_at("c06-injection-glued-to-220", NULL, F_HELO_AFTER_TLS | F_KEEP_BUFFER,
	               "reply to its post-TLS HELO", "read the reply injected before the TLS handshake");
	expect_fail_at("c09-capabilities-discarded", NULL, F_HELO_AFTER_TLS | F_STALE_PIPELINING,
	               "fail   \"pipelined", "pipelined a command behind MAIL");
	expect_fail_at("c12-plaintext-after-handshake", NULL,
	               F_HELO_AFTER_TLS | F_PLAIN_AFTER_CLOSE_NOTIFY, "verify no-plaintext",
	               "went on in plaintext after the TLS session was cut");
	expect_fail_at("c13-cert-expired", NULL, F_HELO_AFTER_TLS | F_NO_VERIFY, "and went on\"",
	               "completed the TLS handshake with an expired certificate and went on");
}
END_TEST

/* A client that sends no greeting at all after TLS FAILs for that, and the
 * reason claims nothing the wire does not show: it never read an injected
 * reply (it sent no command such a reply could answer). */
START_TEST(no_injection_claim_without_evidence)
{
	static const char *const names[] = {"c06-injection-glued-to-220", "c07-injection-later-segment",
	                                    "c09-capabilities-discarded"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		expect_fail_at(names[i], NULL, F_NO_EHLO_AFTER_TLS, "fail   \"did not send EHLO first",
		               "did not send EHLO first after the TLS handshake, nor HELO");
		struct result r;
		mirror(names[i], NULL, F_NO_EHLO_AFTER_TLS, &r);
		ck_assert_msg(strstr(r.reason, "inject") == NULL && strstr(r.reason, "used") == NULL &&
		                  strstr(r.reason, "relied") == NULL,
		              "%s: a claim without evidence: %s", names[i], r.reason);
		/* the evidence that is there: the command it sent instead */
		ck_assert_msg(strstr(r.reason, "(got \"MAIL FROM:<a@mirror.test>\")") != NULL, "%s: %s",
		              names[i], r.reason);
		result_free(&r);
	}
}
END_TEST

/* ---- one cause, one failure (the runner's requires/provides) ---- */

static void play_flawed(const struct scenario *s, const struct exec_opts *o, struct result *r,
                        void *ctx)
{
	mirror_play(s, o, *(const unsigned *)ctx, r);
}

/* The whole client suite through the runner against the mini client. */
static void mirror_suite(unsigned flaws, struct run *run)
{
	char *paths[] = {STARK_SOURCE_DIR "/scenarios/client"};
	struct scenario **scn;
	size_t n;
	struct scn_diag d = {0};
	ck_assert_msg(runner_load(paths, 1, &scn, &n, &d) == 0, "%s", d.n ? d.msgs[0] : "?");
	scenario_diag_free(&d);
	struct cert_set *certs = cert_set_new("localhost");
	struct runner_opts ro = {
	    .ex = {.servername = "localhost", .helo = "stark.test", .timeout_ms = EXEC_TIMEOUT_MS,
	           .profile = "require-tls", .certs = certs},
	    .role = SCN_TARGET_CLIENT,
	    .jobs = 1,
	    .play = play_flawed,
	    .play_ctx = &flaws,
	};
	run_init(run);
	runner_run(scn, n, &ro, run);
	cert_set_free(certs);
	runner_free_scenarios(scn, n);
}

static char *describe(const struct run *run)
{
	struct buf b = {0};
	for (size_t i = 0; i < run->n; i++)
		buf_appendf(&b, "  %-5s %s %s\n", result_verdict_label(run->results[i].verdict),
		            run->results[i].id, run->results[i].reason ? run->results[i].reason : "");
	return buf_cstr(&b);
}

static bool failed_in(const struct run *run, const char *id)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->results[i].id, id) == 0)
			return run->results[i].verdict == V_FAIL;
	return false;
}

/* A client that never re-sends EHLO after TLS: one FAIL more than the
 * well-behaved mini client gets (C-09, which provides ehlo-after-tls), and
 * every scenario that needs that greeting SKIPs naming it. The mini
 * client's own findings (it accepts TLS 1.1, weak suites, SHA-1 and
 * RSA-1024 certificates) are judged before the greeting and stand. */
START_TEST(no_ehlo_after_tls_is_one_failure)
{
	const char *root = "client/c09-capabilities-discarded";
	struct run good, run;
	mirror_suite(0, &good);
	mirror_suite(F_NO_EHLO_AFTER_TLS, &run);
	char *all = describe(&run);
	if (getenv("STARK_TEST_VERBOSE"))
		fprintf(stderr, "%s", all);
	size_t fails = 0, good_fails = 0, blocked = 0;
	bool ok = true;
	for (size_t i = 0; i < good.n; i++) {
		good_fails += good.results[i].verdict == V_FAIL;
		ok &= good.results[i].blocked_by == NULL;
	}
	for (size_t i = 0; i < run.n; i++) {
		const struct result *r = &run.results[i];
		if (r->verdict == V_FAIL) {
			fails++;
			ok &= strcmp(r->id, root) == 0 ? strstr(r->reason, "did not send EHLO first") != NULL
			                               : failed_in(&good, r->id);
		}
		ok &= r->verdict != V_ERROR;
		if (r->blocked_by) {
			blocked++;
			ok &= r->verdict == V_SKIP && strcmp(r->blocked_by, root) == 0 &&
			      strncmp(r->reason, "blocked: precondition ehlo-after-tls failed in "
			                         "client/c09-capabilities-discarded (line ", 79) == 0;
		}
	}
	if (!ok || fails > good_fails + 1 || blocked < 15)
		fprintf(stderr, "%s", all);
	ck_assert_msg(ok, "see the results above");
	/* (at most: a handshake timeout on a loaded machine is a FAIL of the good run only) */
	ck_assert_msg(fails <= good_fails + 1, "%zu FAILs, the good client %zu", fails, good_fails);
	ck_assert_msg(failed_in(&run, root), "C-09 did not FAIL");
	ck_assert_msg(!failed_in(&good, root), "the good client FAILs C-09");
	/* both sanity runs and the scenarios that judge after the greeting */
	ck_assert_msg(blocked >= 15, "only %zu blocked", blocked);
	free(all);
	run_free(&run);
	run_free(&good);
}
END_TEST

Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("mirror");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, good_client_sanity);
	tcase_add_test(tc, c01_plaintext_after_stripping);
	tcase_add_test(tc, c01_opportunistic_plaintext_is_noted);
	tcase_add_test(tc, c02_starttls_refusal_ignored);
	tcase_add_test(tc, c03_starttls_454_ignored);
	tcase_add_test(tc, c04_starttls_200_ignored);
	tcase_add_test(tc, c05_helo_fallback);
	tcase_add_test(tc, c06_injected_reply_read);
	tcase_add_test(tc, c07_injected_later_segment_read);
	tcase_add_test(tc, c08_tls_after_first_line_of_220);
	tcase_add_test(tc, c09_no_ehlo_after_tls);
	tcase_add_test(tc, c09_stale_pipelining);
	tcase_add_test(tc, c10_second_starttls);
	tcase_add_test(tc, c11_plaintext_after_failed_handshake);
	tcase_add_test(tc, c12_plaintext_after_close_notify);
	tcase_add_test(tc, c13_expired_certificate_accepted);
	tcase_add_test(tc, c13_unknown_ca_accepted);
	tcase_add_test(tc, c15_6xx_taken_as_success);
	tcase_add_test(tc, c16_greeting_421_ignored);
	tcase_add_test(tc, c19_pipelined_behind_starttls);
	tcase_add_test(tc, helo_after_tls_passes_with_a_note);
	tcase_add_test(tc, helo_after_tls_is_still_judged);
	tcase_add_test(tc, no_injection_claim_without_evidence);
	tcase_add_test(tc, no_ehlo_after_tls_is_one_failure);
	suite_add_tcase(s, tc);
	return s;
}

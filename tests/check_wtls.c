/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for wtls: real handshakes over socketpair(2) with one side in a
 * thread (TLS 1.3 and 1.2 pinned, 1.1, 1.0 where the build has it), facts,
 * application data both ways, close_notify, version mismatch, a peer that
 * talks HTTP, a peer that hangs up mid-handshake, WTLS_WANT deadlines, SNI,
 * cipher selection, trust anchors and the host-name match table (RFC 9525).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cert.h"
#include "support.h"
#include "wtls.h"

#define SERVERNAME SUPPORT_SERVERNAME


/* ---- plumbing: blocking fd callbacks, the peer thread ---- */

enum peer_mode {
	PEER_TLS,     /* handshake, then the echo exchange if it worked */
	PEER_GARBAGE, /* read the ClientHello, answer like an HTTP server */
	PEER_HANGUP,  /* read the ClientHello, then close */
};

struct peer {
	enum peer_mode mode;
	struct wtls_config *cfg;
	const char *servername;
	int fd;
	int rc;
	char err[256];
	struct wtls_facts facts;
	char got[64];      /* client: what came back; server: what came in */
	ssize_t last_read; /* client: the read after the echo (0 = closed) */
	bool close_notify;
	size_t pending;
	ssize_t first_read;
	bool io_ok;    /* the writes (and close_notify) after the handshake */
	bool truncate; /* server: after one read, drop the transport */
};

static const char PING[] = "EHLO over TLS\r\n";

/* Runs in a thread: records outcomes for the test's thread to assert
 * (Check's asserts belong to the test's own thread). */
static void peer_tls(struct peer *p)
{
	struct wtls *t = wtls_new(p->cfg, p->servername, support_fd_recv, support_fd_send, &p->fd);
	if (t == NULL) {
		snprintf(p->err, sizeof p->err, "wtls_new failed");
		return;
	}
	p->rc = wtls_handshake(t);
	snprintf(p->err, sizeof p->err, "%s", wtls_error(t));
	p->facts = *wtls_facts(t);
	if (p->rc == 0) {
		uint8_t buf[64];
		if (p->servername == NULL) {
			/* server (servers get no name here): echo one read,
			 * then close_notify, or just drop the transport */
			ssize_t n = wtls_read(t, buf, sizeof buf - 1);
			if (n > 0) {
				memcpy(p->got, buf, (size_t)n);
				p->got[n] = '\0';
			}
			if (n > 0 && !p->truncate)
				p->io_ok = wtls_write(t, buf, (size_t)n) == n && wtls_close_notify(t) == 0;
		} else {
			p->io_ok = wtls_write(t, (const uint8_t *)PING, strlen(PING)) == (ssize_t)strlen(PING);
			/* a short first read leaves the rest of the record pending */
			p->first_read = wtls_read(t, (uint8_t *)p->got, 4);
			p->pending = wtls_pending(t);
			size_t got = p->first_read > 0 ? (size_t)p->first_read : 0;
			while (p->first_read > 0 && got < strlen(PING)) {
				ssize_t n = wtls_read(t, (uint8_t *)p->got + got, sizeof p->got - 1 - got);
				if (n <= 0)
					break;
				got += (size_t)n;
			}
			p->got[got] = '\0';
			p->last_read = p->first_read > 0 ? wtls_read(t, buf, sizeof buf) : p->first_read;
			p->close_notify = wtls_got_close_notify(t);
		}
	}
	wtls_free(t);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	uint8_t buf[4096];
	switch (p->mode) {
	case PEER_TLS:
		peer_tls(p);
		break;
	case PEER_GARBAGE:
		if (recv(p->fd, buf, sizeof buf, 0) > 0)
			(void)send(p->fd, "HTTP/1.0 200\r\n\r\n", 16, MSG_NOSIGNAL);
		break;
	case PEER_HANGUP:
		(void)recv(p->fd, buf, sizeof buf, 0);
		break;
	}
	/* Whatever happened, the other side must see EOF rather than wait. */
	shutdown(p->fd, SHUT_RDWR);
	wtls_thread_cleanup();
	return NULL;
}

/* Run server and client over one socketpair (peer_main records, never asserts). */
static void run_pair(struct peer *srv, struct peer *cli)
{
	support_pair_run(peer_main, srv, &srv->fd, peer_main, cli, &cli->fd);
}

static struct wtls_config *server_cfg(enum cert_variant v, enum wtls_version lo, enum wtls_version hi)
{
	const struct cert_pem *p = cert_set_get(support_certs, v);
	ck_assert_ptr_nonnull(p);
	struct wtls_config *cfg = wtls_config_new(WTLS_SERVER);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_msg(wtls_config_set_keypair_mem(cfg, (const uint8_t *)p->chain, strlen(p->chain),
	                                          (const uint8_t *)p->key, strlen(p->key)) == 0,
	              "%s", wtls_config_error(cfg));
	ck_assert_msg(wtls_config_set_versions(cfg, lo, hi) == 0, "%s", wtls_config_error(cfg));
	return cfg;
}

static struct wtls_config *client_cfg(enum wtls_version lo, enum wtls_version hi, bool with_ca)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_msg(wtls_config_set_versions(cfg, lo, hi) == 0, "%s", wtls_config_error(cfg));
	if (with_ca) {
		const char *ca = cert_set_ca_pem(support_certs);
		ck_assert_msg(wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca)) == 0, "%s",
		              wtls_config_error(cfg));
	}
	return cfg;
}

/* Both sides heap-allocated: wtls_facts is ~25 KB. */
static struct peer *peer_new(enum peer_mode mode, struct wtls_config *cfg, const char *servername)
{
	struct peer *p = calloc(1, sizeof *p);
	ck_assert_ptr_nonnull(p);
	p->mode = mode;
	p->cfg = cfg;
	p->servername = servername;
	p->rc = -2; /* "never ran" */
	return p;
}

/* A TLS server with sc and a TLS client with cc (checking SERVERNAME), run once. */
static void run_tls(struct wtls_config *sc, struct wtls_config *cc, struct peer **srv,
                    struct peer **cli)
{
	*srv = peer_new(PEER_TLS, sc, NULL);
	*cli = peer_new(PEER_TLS, cc, SERVERNAME);
	run_pair(*srv, *cli);
}

/* Both peers and both configs of one exchange. */
static void exchange_free(struct peer *srv, struct peer *cli, struct wtls_config *sc,
                          struct wtls_config *cc)
{
	free(srv);
	free(cli);
	wtls_config_free(sc);
	wtls_config_free(cc);
}

/* A full good exchange at a pinned version, with every fact checked. */
static void good_exchange(enum wtls_version v, const char *want_version)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, v, v), *cc = client_cfg(v, v, true);
	struct peer *srv, *cli;
	run_tls(sc, cc, &srv, &cli);

	ck_assert_msg(cli->rc == 0, "client: %s", cli->err);
	ck_assert_msg(srv->rc == 0, "server: %s", srv->err);
	const struct wtls_facts *f = &cli->facts;
	ck_assert(f->handshake_ok);
	ck_assert_str_eq(f->version, want_version);
	ck_assert_str_eq(srv->facts.version, want_version);
	ck_assert_str_ne(f->cipher, "");
	ck_assert_str_eq(f->cipher, srv->facts.cipher);
	ck_assert_str_ne(f->group, "");
	ck_assert_msg(f->verify_ok, "%s", f->verify_error);
	ck_assert_str_eq(f->verify_error, "");
	ck_assert(f->host_ok);
	ck_assert_str_eq(f->servername, SERVERNAME);
	ck_assert_uint_eq(f->nchain, 1);
	ck_assert_str_eq(f->chain[0].subject, "CN=" SERVERNAME ", O=stark");
	ck_assert_str_eq(f->chain[0].issuer, "CN=stark test CA, O=stark");
	/* SNI as the server saw it */
	ck_assert_str_eq(srv->facts.client_sni, SERVERNAME);
	/* application data both ways, then close_notify reads as 0 */
	ck_assert_str_eq(srv->got, PING);
	ck_assert_str_eq(cli->got, PING);
	ck_assert(srv->io_ok);
	ck_assert(cli->io_ok);
	ck_assert_int_eq(cli->last_read, 0);
	ck_assert(cli->close_notify);
	ck_assert_uint_eq(cli->pending, strlen(PING) - 4);

	exchange_free(srv, cli, sc, cc);
}

START_TEST(tls13_pinned)
{
	good_exchange(WTLS_V13, "TLSv1.3");
}
END_TEST

START_TEST(tls12_pinned)
{
	good_exchange(WTLS_V12, "TLSv1.2");
}
END_TEST

START_TEST(tls11_pinned)
{
	good_exchange(WTLS_V11, "TLSv1.1");
}
END_TEST

START_TEST(tls10_selectable)
{
	if (wtls_tls10_supported()) {
		good_exchange(WTLS_V10, "TLSv1");
		return;
	}
	/* Debian's wolfSSL has no TLS 1.0: refuse instead of silently
	 * negotiating TLS 1.1. */
	struct wtls_config *cc = wtls_config_new(WTLS_CLIENT);
	ck_assert_int_eq(wtls_config_set_versions(cc, WTLS_V10, WTLS_V10), -1);
	ck_assert_ptr_nonnull(strstr(wtls_config_error(cc), "TLS 1.0"));
	ck_assert_int_eq(wtls_config_set_versions(cc, WTLS_V10, WTLS_V13), -1);
	wtls_config_free(cc);
}
END_TEST

/* The bundled build has TLS 1.0 and static RSA compiled in, yet a default
 * client offers neither: a server with nothing else is refused, and only
 * a config widened by wtls_config_set_legacy (what a scenario or probe
 * asks for) reaches it. Debian's build has neither, and says so. */
static void legacy_server_exchange(enum wtls_version v, bool legacy, struct peer **srv,
                                   struct peer **cli)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD_RSA, v, v);
	ck_assert_msg(wtls_config_set_ciphers(sc, "AES128-SHA") == 0, "%s", wtls_config_error(sc));
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	if (legacy)
		ck_assert_msg(wtls_config_set_legacy(cc) == 0, "%s", wtls_config_error(cc));
	run_tls(sc, cc, srv, cli);
	wtls_config_free(sc);
	wtls_config_free(cc);
}

START_TEST(default_client_refuses_tls10_and_static_rsa)
{
	if (!wtls_has(WTLS_F_STATIC_RSA) || !wtls_has(WTLS_F_TLS10)) {
		ck_assert_ptr_nonnull(strstr(wtls_lacks_reason(WTLS_F_STATIC_RSA), "Debian's libwolfssl"));
		ck_assert_ptr_nonnull(strstr(wtls_build_info(), "system"));
		ck_assert(!wtls_suite_available("AES128-SHA"));
		return;
	}
	ck_assert_ptr_nonnull(strstr(wtls_build_info(), "bundled"));
	ck_assert(!wtls_suite_available("AES128-SHA"));
	ck_assert(wtls_suite_available("ECDHE-RSA-AES128-GCM-SHA256"));
	struct peer *srv, *cli;
	/* static RSA at TLS 1.2 */
	legacy_server_exchange(WTLS_V12, false, &srv, &cli);
	ck_assert_int_eq(cli->rc, -1);
	ck_assert(cli->facts.hello_refused);
	free(srv);
	free(cli);
	/* TLS 1.0 with static RSA */
	legacy_server_exchange(WTLS_V10, false, &srv, &cli);
	ck_assert_int_eq(cli->rc, -1);
	free(srv);
	free(cli);
}
END_TEST

START_TEST(legacy_client_reaches_tls10_static_rsa)
{
	if (!wtls_has(WTLS_F_STATIC_RSA) || !wtls_has(WTLS_F_TLS10))
		return; /* Debian's build: the test above shows what it lacks */
	struct peer *srv, *cli;
	legacy_server_exchange(WTLS_V10, true, &srv, &cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	ck_assert_str_eq(cli->facts.version, "TLSv1");
	ck_assert_ptr_nonnull(strstr(cli->facts.cipher, "RSA_WITH_AES_128_CBC_SHA"));
	ck_assert_msg(cli->facts.verify_ok, "%s", cli->facts.verify_error);
	free(srv);
	free(cli);
	legacy_server_exchange(WTLS_V12, true, &srv, &cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	ck_assert_str_eq(cli->facts.version, "TLSv1.2");
	free(srv);
	free(cli);
}
END_TEST

START_TEST(defaults_negotiate_tls13)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V_ANY, WTLS_V_ANY);
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	struct peer *srv, *cli;
	run_tls(sc, cc, &srv, &cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	ck_assert_str_eq(cli->facts.version, "TLSv1.3");
	/* a 1.2 ceiling on one side brings both down to 1.2 */
	wtls_config_free(sc);
	sc = server_cfg(CERT_GOOD, WTLS_V_ANY, WTLS_V12);
	free(srv);
	free(cli);
	run_tls(sc, cc, &srv, &cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	ck_assert_str_eq(cli->facts.version, "TLSv1.2");
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(eof_without_close_notify_reads_as_zero)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V_ANY, WTLS_V_ANY);
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	struct peer *srv = peer_new(PEER_TLS, sc, NULL), *cli = peer_new(PEER_TLS, cc, SERVERNAME);
	srv->truncate = true;
	run_pair(srv, cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	/* the server read the ping and left: the client reads EOF (0, not
	 * -1) and can tell that no close_notify came */
	ck_assert_str_eq(srv->got, PING);
	ck_assert(cli->io_ok);
	ck_assert_int_eq(cli->first_read, 0);
	ck_assert_str_eq(cli->got, "");
	ck_assert(!cli->close_notify);
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(versions_can_be_reset)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	ck_assert_int_eq(wtls_config_set_versions(cfg, WTLS_V13, WTLS_V13), 0);
	ck_assert_int_eq(wtls_config_set_versions(cfg, WTLS_V11, WTLS_V11), 0);
	ck_assert_int_eq(wtls_config_set_versions(cfg, WTLS_V12, WTLS_V_ANY), 0);
	ck_assert_int_eq(wtls_config_set_versions(cfg, WTLS_V_ANY, WTLS_V12), 0);
	ck_assert_int_eq(wtls_config_set_versions(cfg, WTLS_V13, WTLS_V13), 0);
	wtls_config_free(cfg);
}
END_TEST

/* ---- WTLS_WANT: the recv callback's deadline is not fatal after the
 * handshake, and is a "timeout" failure inside it ---- */

struct dio {
	int fd;
	int timeout_ms; /* poll budget per recv; changed between phases */
};

static ssize_t dio_recv(void *ctx, uint8_t *buf, size_t len)
{
	struct dio *d = ctx;
	struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
	int r;
	do
		r = poll(&pfd, 1, d->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return WTLS_WANT;
	return r < 0 ? -1 : support_fd_recv(&d->fd, buf, len);
}

static ssize_t dio_send(void *ctx, const uint8_t *buf, size_t len)
{
	return support_fd_send(&((struct dio *)ctx)->fd, buf, len);
}

/* Server for the WANT test: handshake, wait for "go", answer "late". */
static void *late_server(void *arg)
{
	struct peer *p = arg;
	struct wtls *t = wtls_new(p->cfg, NULL, support_fd_recv, support_fd_send, &p->fd);
	if (t != NULL && (p->rc = wtls_handshake(t)) == 0) {
		uint8_t buf[16];
		ssize_t n = wtls_read(t, buf, sizeof buf);
		p->io_ok = n == 2 && memcmp(buf, "go", 2) == 0 && wtls_write(t, (const uint8_t *)"late", 4) == 4 &&
		           wtls_close_notify(t) == 0;
	}
	wtls_free(t);
	shutdown(p->fd, SHUT_RDWR);
	wtls_thread_cleanup();
	return NULL;
}

static void want_case(enum wtls_version v)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, v, v), *cc = client_cfg(v, v, true);
	struct peer *srv = peer_new(PEER_TLS, sc, NULL);
	int sv[2];
	support_socketpair(sv, 0);
	srv->fd = sv[0];
	struct dio d = {.fd = sv[1], .timeout_ms = 10000};
	pthread_t th = support_thread_start(late_server, srv);

	struct wtls *t = wtls_new(cc, SERVERNAME, dio_recv, dio_send, &d);
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(wtls_handshake(t) == 0, "%s", wtls_error(t));
	/* The server says nothing until it hears "go" (a TLS 1.3 server's
	 * ticket may arrive meanwhile): the deadline passes, the session
	 * survives. */
	uint8_t buf[16];
	d.timeout_ms = 50;
	ck_assert_int_eq(wtls_read(t, buf, sizeof buf), WTLS_WANT);
	ck_assert_int_eq(wtls_read(t, buf, sizeof buf), WTLS_WANT);
	d.timeout_ms = 10000;
	ck_assert_int_eq(wtls_write(t, (const uint8_t *)"go", 2), 2);
	ssize_t n = wtls_read(t, buf, sizeof buf);
	ck_assert_msg(n == 4, "read %zd: %s", n, wtls_error(t));
	ck_assert_int_eq(memcmp(buf, "late", 4), 0);
	ck_assert_int_eq(wtls_read(t, buf, sizeof buf), 0);
	ck_assert(wtls_got_close_notify(t));
	wtls_free(t);
	support_thread_join(th, 30000);
	ck_assert_int_eq(srv->rc, 0);
	ck_assert(srv->io_ok);
	close(sv[0]);
	close(sv[1]);
	free(srv);
	wtls_config_free(sc);
	wtls_config_free(cc);
}

START_TEST(want_after_handshake_keeps_session)
{
	want_case(WTLS_V13);
	want_case(WTLS_V12);
}
END_TEST

START_TEST(want_during_handshake_is_timeout)
{
	/* A peer that takes the ClientHello and says nothing. */
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	int sv[2];
	support_socketpair(sv, 0);
	struct dio d = {.fd = sv[1], .timeout_ms = 50};
	struct wtls *t = wtls_new(cc, SERVERNAME, dio_recv, dio_send, &d);
	ck_assert_int_eq(wtls_handshake(t), -1);
	ck_assert_msg(strstr(wtls_error(t), "timeout") != NULL, "%s", wtls_error(t));
	ck_assert(!wtls_facts(t)->handshake_ok);
	ck_assert_int_eq(wtls_handshake(t), -1); /* the outcome sticks */
	wtls_free(t);
	close(sv[0]);
	close(sv[1]);
	wtls_config_free(cc);
}
END_TEST

START_TEST(version_mismatch_fails_both)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V12, WTLS_V12);
	struct wtls_config *cc = client_cfg(WTLS_V13, WTLS_V13, true);
	struct peer *srv, *cli;
	run_tls(sc, cc, &srv, &cli);
	ck_assert_int_eq(cli->rc, -1);
	ck_assert_int_eq(srv->rc, -1);
	ck_assert_str_ne(cli->err, "");
	ck_assert_str_ne(srv->err, "");
	ck_assert(!cli->facts.handshake_ok);
	ck_assert(!cli->facts.verify_ok);
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(garbage_peer_fails_cleanly)
{
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	struct peer *srv = peer_new(PEER_GARBAGE, NULL, NULL), *cli = peer_new(PEER_TLS, cc, SERVERNAME);
	run_pair(srv, cli);
	ck_assert_int_eq(cli->rc, -1);
	ck_assert_str_ne(cli->err, "");
	ck_assert(!cli->facts.handshake_ok);
	ck_assert_uint_eq(cli->facts.nchain, 0);
	free(srv);
	free(cli);
	wtls_config_free(cc);
}
END_TEST

START_TEST(hangup_mid_handshake_fails_cleanly)
{
	/* client side sees EOF */
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	struct peer *srv = peer_new(PEER_HANGUP, NULL, NULL), *cli = peer_new(PEER_TLS, cc, SERVERNAME);
	run_pair(srv, cli);
	ck_assert_int_eq(cli->rc, -1);
	ck_assert_msg(strstr(cli->err, "closed") != NULL, "%s", cli->err);
	free(srv);
	free(cli);
	/* server side: the client goes away before saying anything */
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V_ANY, WTLS_V_ANY);
	srv = peer_new(PEER_TLS, sc, NULL);
	int sv[2];
	support_socketpair(sv, 0);
	close(sv[1]);
	srv->fd = sv[0];
	peer_main(srv);
	ck_assert_int_eq(srv->rc, -1);
	ck_assert_msg(strstr(srv->err, "closed") != NULL, "%s", srv->err);
	close(sv[0]);
	free(srv);
	wtls_config_free(sc);
	wtls_config_free(cc);
}
END_TEST

START_TEST(ip_literal_no_sni_ip_san)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V_ANY, WTLS_V_ANY);
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, true);
	struct peer *srv = peer_new(PEER_TLS, sc, NULL), *cli = peer_new(PEER_TLS, cc, "127.0.0.1");
	run_pair(srv, cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	/* RFC 6066 section 3: no IP literal in SNI */
	ck_assert_str_eq(srv->facts.client_sni, "");
	ck_assert(cli->facts.host_ok);
	ck_assert(cli->facts.verify_ok);
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(no_trust_anchor_is_not_verified)
{
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V_ANY, WTLS_V_ANY);
	struct wtls_config *cc = client_cfg(WTLS_V_ANY, WTLS_V_ANY, false);
	struct peer *srv, *cli;
	run_tls(sc, cc, &srv, &cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	ck_assert(!cli->facts.verify_ok);
	ck_assert_str_eq(cli->facts.verify_error, "no trust anchors configured");
	ck_assert(cli->facts.host_ok); /* the name is still checked */
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(cipher_selection)
{
	struct wtls_config *cc = client_cfg(WTLS_V12, WTLS_V12, true);
	ck_assert_int_eq(wtls_config_set_ciphers(cc, "NO-SUCH-CIPHER"), -1);
	ck_assert_str_ne(wtls_config_error(cc), "");
	ck_assert_int_eq(wtls_config_set_ciphers(cc, "ECDHE-ECDSA-AES128-GCM-SHA256"), 0);
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V12, WTLS_V12);
	struct peer *srv, *cli;
	run_tls(sc, cc, &srv, &cli);
	ck_assert_msg(cli->rc == 0, "%s", cli->err);
	ck_assert_str_eq(cli->facts.cipher, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(no_shared_cipher_reports_alert)
{
	/* An RSA-only suite against an ECDSA certificate: the server refuses,
	 * and the client's error names the alert it received. */
	struct wtls_config *cc = client_cfg(WTLS_V12, WTLS_V12, true);
	ck_assert_int_eq(wtls_config_set_ciphers(cc, "ECDHE-RSA-AES128-GCM-SHA256"), 0);
	struct wtls_config *sc = server_cfg(CERT_GOOD, WTLS_V12, WTLS_V12);
	struct peer *srv, *cli;
	run_tls(sc, cc, &srv, &cli);
	ck_assert_int_eq(cli->rc, -1);
	ck_assert_int_eq(srv->rc, -1);
	ck_assert_msg(strstr(cli->err, "alert received: handshake_failure") != NULL, "%s", cli->err);
	ck_assert_msg(strstr(srv->err, "alert sent: handshake_failure") != NULL, "%s", srv->err);
	exchange_free(srv, cli, sc, cc);
}
END_TEST

START_TEST(ca_file_and_system_store)
{
	char path[] = "/tmp/stark-wtls-ca-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *ca = cert_set_ca_pem(support_certs);
	ck_assert_int_eq(write(fd, ca, strlen(ca)), (ssize_t)strlen(ca));
	close(fd);
	struct wtls_config *cc = wtls_config_new(WTLS_CLIENT);
	ck_assert_msg(wtls_config_add_ca_file(cc, path) == 0, "%s", wtls_config_error(cc));
	unlink(path);
	ck_assert_int_eq(wtls_config_add_ca_file(cc, "/nonexistent/ca.pem"), -1);
	ck_assert_str_ne(wtls_config_error(cc), "");
	ck_assert_int_eq(wtls_config_add_ca_mem(cc, (const uint8_t *)"junk", 4), -1);
	/* The system store may be empty in a minimal container: either way
	 * the call must answer, not crash. */
	if (wtls_config_use_system_ca(cc) != 0)
		ck_assert_str_ne(wtls_config_error(cc), "");
	wtls_config_free(cc);

	struct wtls_config *sc = wtls_config_new(WTLS_SERVER);
	ck_assert_int_eq(wtls_config_set_keypair_mem(sc, (const uint8_t *)"x", 1, (const uint8_t *)"y", 1), -1);
	ck_assert_str_ne(wtls_config_error(sc), "");
	ck_assert_int_eq(wtls_config_set_versions(sc, WTLS_V13, WTLS_V12), -1);
	ck_assert_int_eq(wtls_config_set_versions(sc, (enum wtls_version)0x0200, WTLS_V12), -1);
	wtls_config_free(sc);
	wtls_config_free(NULL);
	wtls_free(NULL);
}
END_TEST

START_TEST(cert_from_pem)
{
	struct wtls_cert c;
	const char *ca = cert_set_ca_pem(support_certs);
	ck_assert_int_eq(wtls_cert_from_pem(ca, strlen(ca), &c), 0);
	ck_assert_str_eq(c.subject, "CN=stark test CA, O=stark");
	ck_assert_str_eq(c.subject, c.issuer);
	ck_assert(c.self_signed);
	ck_assert_str_eq(c.key_type, "EC");
	ck_assert_int_eq(c.key_bits, 256);
	ck_assert_str_eq(c.sig_alg, "ecdsa-with-SHA256");
	ck_assert_uint_eq(strlen(c.sha256), 64);
	ck_assert_int_lt(c.not_before, c.not_after);
	ck_assert_int_eq(wtls_cert_from_pem("nope", 4, &c), -1);
	ck_assert_int_eq(wtls_cert_from_der((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &c), -1);
}
END_TEST

/* ---- host match table (no network) ---- */

static struct wtls_cert *fake(const char *const *sans)
{
	static struct wtls_cert c;
	memset(&c, 0, sizeof c);
	for (; *sans != NULL; sans++)
		snprintf(c.san[c.nsan++], sizeof c.san[0], "%s", *sans);
	return &c;
}

START_TEST(host_match_table)
{
	static const struct {
		const char *san, *name;
		bool want;
	} cases[] = {
		{"DNS:mail.example.com", "mail.example.com", true},
		{"DNS:mail.example.com", "MAIL.Example.COM", true},   /* case-insensitive */
		{"DNS:MAIL.EXAMPLE.COM", "mail.example.com", true},
		{"DNS:mail.example.com", "mail.example.com.", true},  /* absolute form */
		{"DNS:mail.example.com", "mail.example.co", false},
		{"DNS:mail.example.com", "xmail.example.com", false},
		{"DNS:*.example.com", "a.example.com", true},
		{"DNS:*.example.com", "A.EXAMPLE.com", true},
		{"DNS:*.example.com", "a.b.example.com", false},      /* one label only */
		{"DNS:*.example.com", "example.com", false},          /* never zero labels */
		{"DNS:*.example.com", ".example.com", false},
		{"DNS:*.com", "example.com", false},                  /* no public-suffix-wide star */
		{"DNS:*", "localhost", false},
		{"DNS:a.*.example.com", "a.b.example.com", false},    /* left-most only */
		{"DNS:*.*.example.com", "a.b.example.com", false},
		{"DNS:w*.example.com", "www.example.com", false},     /* partial label (RFC 9525) */
		{"DNS:*w.example.com", "www.example.com", false},
		{"DNS:*.example.com", "127.0.0.1", false},
		{"DNS:127.0.0.1", "127.0.0.1", false},                /* IPs only match IP SANs */
		{"IP:127.0.0.1", "127.0.0.1", true},
		{"IP:127.0.0.1", "127.0.0.2", false},
		{"IP:::1", "::1", true},
		{"IP:::1", "0:0:0:0:0:0:0:1", true},                 /* compared as addresses */
		{"IP:::1", "[::1]", true},
		{"IP:127.0.0.1", "localhost", false},
		{"DNS:mail.example.com\\x00.evil.com", "mail.example.com", false}, /* escaped NUL */
		{"DNS:mail.example.com...", "mail.example.com", false}, /* truncation marker */
		{"URI:mail.example.com", "mail.example.com", false},
		{"DNS:", "", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *sans[] = {cases[i].san, NULL};
		ck_assert_msg(wtls_host_match(fake(sans), cases[i].name) == cases[i].want, "%s vs %s: want %d",
		              cases[i].san, cases[i].name, cases[i].want);
	}
	const char *several[] = {"DNS:wrong.invalid", "IP:10.0.0.1", "DNS:*.example.com", NULL};
	ck_assert(wtls_host_match(fake(several), "mx.example.com"));
	ck_assert(wtls_host_match(fake(several), "10.0.0.1"));
	ck_assert(!wtls_host_match(fake(several), "example.com"));
	ck_assert(!wtls_host_match(fake(several), NULL));
	ck_assert(!wtls_host_match(NULL, "example.com"));
}
END_TEST

Suite *wtls_suite(void)
{
	Suite *s = suite_create("wtls");
	TCase *tc = tcase_create("handshake");
	tcase_add_unchecked_fixture(tc, support_certs_setup, support_certs_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tls13_pinned);
	tcase_add_test(tc, tls12_pinned);
	tcase_add_test(tc, tls11_pinned);
	tcase_add_test(tc, tls10_selectable);
	tcase_add_test(tc, default_client_refuses_tls10_and_static_rsa);
	tcase_add_test(tc, legacy_client_reaches_tls10_static_rsa);
	tcase_add_test(tc, defaults_negotiate_tls13);
	tcase_add_test(tc, eof_without_close_notify_reads_as_zero);
	tcase_add_test(tc, versions_can_be_reset);
	tcase_add_test(tc, want_after_handshake_keeps_session);
	tcase_add_test(tc, want_during_handshake_is_timeout);
	tcase_add_test(tc, version_mismatch_fails_both);
	tcase_add_test(tc, garbage_peer_fails_cleanly);
	tcase_add_test(tc, hangup_mid_handshake_fails_cleanly);
	tcase_add_test(tc, ip_literal_no_sni_ip_san);
	tcase_add_test(tc, no_trust_anchor_is_not_verified);
	tcase_add_test(tc, cipher_selection);
	tcase_add_test(tc, no_shared_cipher_reports_alert);
	tcase_add_test(tc, ca_file_and_system_store);
	tcase_add_test(tc, cert_from_pem);
	suite_add_tcase(s, tc);

	TCase *hm = tcase_create("host_match");
	tcase_add_test(hm, host_match_table);
	suite_add_tcase(s, hm);
	return s;
}

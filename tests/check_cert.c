/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cert: every variant is generated, loaded into a real wolfSSL
 * server through wtls and shown to a real wtls client over socketpair(2);
 * the client's facts must say what the variant is (trusted, expired, wrong
 * host, weak key, SHA-1, ...). Also names, the CA, IP servernames, client
 * certificates checked by a server, concurrent generation, files on disk.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "support.h"
#include "wtls.h"

#define SERVERNAME SUPPORT_SERVERNAME
#define DAY 86400

/* Made once in the parent (unchecked fixture), every variant included, so
 * forked tests do not each pay for the RSA keys again. */

/* ---- plumbing: one server thread, the client in the test's thread ---- */

struct side {
	struct wtls_config *cfg;
	const char *servername;
	int fd;
	int rc;
	char err[256];
	struct wtls_facts facts;
};

static void *side_main(void *arg)
{
	struct side *s = arg;
	struct wtls *t = wtls_new(s->cfg, s->servername, support_fd_recv, support_fd_send, &s->fd);
	if (t != NULL) {
		s->rc = wtls_handshake(t);
		snprintf(s->err, sizeof s->err, "%s", wtls_error(t));
		s->facts = *wtls_facts(t);
		if (s->rc == 0)
			wtls_close_notify(t);
		wtls_free(t);
	}
	shutdown(s->fd, SHUT_RDWR); /* never leave the other side waiting */
	wtls_thread_cleanup();
	return NULL;
}

/* A server with sc and a client with cc checking SERVERNAME, one handshake. */
static void handshake(struct side *srv, struct wtls_config *sc, struct side *cli,
                      struct wtls_config *cc)
{
	memset(srv, 0, sizeof *srv);
	memset(cli, 0, sizeof *cli);
	srv->cfg = sc;
	cli->cfg = cc;
	cli->servername = SERVERNAME;
	srv->rc = cli->rc = -2;
	support_pair_run(side_main, srv, &srv->fd, side_main, cli, &cli->fd);
}

static struct wtls_config *keypair_cfg(enum wtls_role role, const struct cert_pem *p)
{
	struct wtls_config *cfg = wtls_config_new(role);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_msg(wtls_config_set_keypair_mem(cfg, (const uint8_t *)p->chain, strlen(p->chain),
	                                          (const uint8_t *)p->key, strlen(p->key)) == 0,
	              "%s", wtls_config_error(cfg));
	return cfg;
}

static void add_ca(struct wtls_config *cfg, struct cert_set *cs)
{
	const char *ca = cert_set_ca_pem(cs);
	ck_assert_msg(wtls_config_add_ca_mem(cfg, (const uint8_t *)ca, strlen(ca)) == 0, "%s",
	              wtls_config_error(cfg));
}

static bool has_san(const struct wtls_cert *c, const char *san)
{
	for (size_t i = 0; i < c->nsan; i++)
		if (strcmp(c->san[i], san) == 0)
			return true;
	return false;
}

/* ---- names ---- */

START_TEST(variant_names)
{
	static const char *const want[] = {"good",    "good-rsa",        "expired", "not-yet-valid", "wrong-host",
	                                   "self-signed", "unknown-ca", "no-intermediate", "chain",
	                                   "rsa1024", "sha1",           "bad-wildcard", "ecdsa",
	                                   "self-signed-rsa"};
	ck_assert_uint_eq(sizeof want / sizeof want[0], CERT__COUNT);
	for (int v = 0; v < CERT__COUNT; v++) {
		ck_assert_str_eq(cert_variant_name((enum cert_variant)v), want[v]);
		ck_assert_int_eq(cert_variant_from_name(want[v]), v);
	}
	ck_assert_int_eq(cert_variant_from_name("Good"), -1);
	ck_assert_int_eq(cert_variant_from_name(""), -1);
	ck_assert_int_eq(cert_variant_from_name(NULL), -1);
	ck_assert_str_eq(cert_variant_name(CERT__COUNT), "unknown");
	ck_assert_ptr_null(cert_set_get(support_certs, CERT__COUNT));
	ck_assert_str_ne(cert_set_error(support_certs), "");
	ck_assert_ptr_null(cert_set_new(NULL));
	ck_assert_ptr_null(cert_set_new(""));
	cert_set_free(NULL);
}
END_TEST

START_TEST(ca_is_a_ca)
{
	struct wtls_cert c;
	const char *pem = cert_set_ca_pem(support_certs);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	ck_assert_int_eq(wtls_cert_from_pem(pem, strlen(pem), &c), 0);
	ck_assert_str_eq(c.subject, "CN=stark test CA, O=stark");
	ck_assert(c.self_signed);
	ck_assert_str_eq(c.key_type, "EC");
	ck_assert_int_eq(c.key_bits, 256);
	/* cached: the same PEM every time, and each set has its own CA */
	ck_assert_ptr_eq(cert_set_get(support_certs, CERT_GOOD), cert_set_get(support_certs, CERT_GOOD));
	struct cert_set *other = cert_set_new(SERVERNAME);
	ck_assert_ptr_nonnull(other);
	ck_assert_str_ne(cert_set_ca_pem(other), pem);
	cert_set_free(other);
}
END_TEST

/* ---- every variant through a real handshake (loop test: one per variant) ---- */

START_TEST(variant_handshake)
{
	enum cert_variant v = (enum cert_variant)_i;
	const struct cert_pem *p = cert_set_get(support_certs, v);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p->key, "PRIVATE KEY-----"));

	struct wtls_config *sc = keypair_cfg(WTLS_SERVER, p);
	struct wtls_config *cc = wtls_config_new(WTLS_CLIENT);
	add_ca(cc, support_certs);
	static struct side srv, cli; /* facts are big: keep them off the stack */
	handshake(&srv, sc, &cli, cc);

	/* Verification never aborts: every variant completes the handshake. */
	ck_assert_msg(cli.rc == 0, "%s: client: %s", cert_variant_name(v), cli.err);
	ck_assert_msg(srv.rc == 0, "%s: server: %s", cert_variant_name(v), srv.err);
	const struct wtls_facts *f = &cli.facts;
	ck_assert(f->nchain >= 1);
	const struct wtls_cert *leaf = &f->chain[0];
	int64_t now = (int64_t)time(NULL);
	ck_assert_uint_eq(strlen(leaf->sha256), 64);
	if (v != CERT_SELF_SIGNED && v != CERT_SELF_SIGNED_RSA)
		ck_assert(!leaf->self_signed);
	if (!f->verify_ok)
		ck_assert_str_ne(f->verify_error, "");
	if (v != CERT_GOOD_RSA && v != CERT_RSA1024 && v != CERT_SELF_SIGNED_RSA) {
		ck_assert_str_eq(leaf->key_type, "EC");
		ck_assert_int_eq(leaf->key_bits, 256);
	}

	switch (v) {
	case CERT_GOOD:
	case CERT_ECDSA:
		ck_assert_msg(f->verify_ok, "%s", f->verify_error);
		ck_assert(f->host_ok);
		ck_assert_uint_eq(f->nchain, 1);
		ck_assert_str_eq(leaf->subject, "CN=" SERVERNAME ", O=stark");
		ck_assert_str_eq(leaf->issuer, "CN=stark test CA, O=stark");
		ck_assert_str_eq(leaf->sig_alg, "ecdsa-with-SHA256");
		ck_assert(has_san(leaf, "DNS:" SERVERNAME));
		ck_assert(has_san(leaf, "IP:127.0.0.1"));
		ck_assert(has_san(leaf, "IP:::1"));
		ck_assert_uint_eq(leaf->nsan, 3);
		ck_assert(wtls_host_match(leaf, "127.0.0.1"));
		ck_assert(wtls_host_match(leaf, "::1"));
		ck_assert_int_le(leaf->not_before, now - DAY + 60);
		ck_assert_int_ge(leaf->not_before, now - DAY - 60);
		ck_assert_int_ge(leaf->not_after, now + 364 * DAY);
		ck_assert_int_le(leaf->not_after, now + 366 * DAY);
		break;
	case CERT_GOOD_RSA:
		ck_assert_msg(f->verify_ok, "%s", f->verify_error);
		ck_assert(f->host_ok);
		ck_assert_str_eq(leaf->key_type, "RSA");
		ck_assert_int_eq(leaf->key_bits, 2048);
		break;
	case CERT_EXPIRED:
		ck_assert(!f->verify_ok);
		ck_assert_msg(strstr(f->verify_error, "expired") != NULL, "%s", f->verify_error);
		ck_assert(f->host_ok);
		ck_assert_int_lt(leaf->not_after, now);
		break;
	case CERT_NOT_YET_VALID:
		ck_assert(!f->verify_ok);
		ck_assert_msg(strstr(f->verify_error, "not yet valid") != NULL, "%s", f->verify_error);
		ck_assert_int_gt(leaf->not_before, now);
		break;
	case CERT_WRONG_HOST:
		ck_assert_msg(f->verify_ok, "%s", f->verify_error);
		ck_assert(!f->host_ok);
		ck_assert_uint_eq(leaf->nsan, 1);
		ck_assert_str_eq(leaf->san[0], "DNS:wrong.invalid");
		break;
	case CERT_SELF_SIGNED:
		ck_assert(leaf->self_signed);
		ck_assert(!f->verify_ok);
		ck_assert_msg(strstr(f->verify_error, "self-signed") != NULL, "%s", f->verify_error);
		ck_assert(f->host_ok);
		ck_assert_str_eq(leaf->subject, leaf->issuer);
		break;
	case CERT_SELF_SIGNED_RSA:
		ck_assert(leaf->self_signed);
		ck_assert(!f->verify_ok);
		ck_assert_msg(strstr(f->verify_error, "self-signed") != NULL, "%s", f->verify_error);
		ck_assert_str_eq(leaf->key_type, "RSA");
		ck_assert_int_eq(leaf->key_bits, 2048);
		ck_assert_str_eq(leaf->sig_alg, "sha256WithRSAEncryption");
		ck_assert(f->host_ok);
		break;
	case CERT_UNKNOWN_CA:
		ck_assert(!f->verify_ok);
		ck_assert_msg(strstr(f->verify_error, "issuer") != NULL, "%s", f->verify_error);
		ck_assert_str_eq(leaf->issuer, "CN=stark unknown CA, O=stark");
		ck_assert(f->host_ok);
		break;
	case CERT_NO_INTERMEDIATE:
		ck_assert(!f->verify_ok);
		ck_assert_uint_eq(f->nchain, 1);
		ck_assert_str_eq(leaf->issuer, "CN=stark test intermediate CA, O=stark");
		ck_assert_msg(strstr(f->verify_error, "unable to get local issuer") != NULL, "%s", f->verify_error);
		break;
	case CERT_CHAIN:
		ck_assert_msg(f->verify_ok, "%s", f->verify_error);
		ck_assert(f->host_ok);
		ck_assert_uint_eq(f->nchain, 2);
		ck_assert_str_eq(f->chain[1].subject, "CN=stark test intermediate CA, O=stark");
		ck_assert_str_eq(f->chain[1].issuer, "CN=stark test CA, O=stark");
		ck_assert_str_eq(leaf->issuer, f->chain[1].subject);
		break;
	case CERT_RSA1024:
		ck_assert_str_eq(leaf->key_type, "RSA");
		ck_assert_int_eq(leaf->key_bits, 1024);
		ck_assert(f->host_ok);
		break;
	case CERT_SHA1:
		ck_assert_msg(strcasestr(leaf->sig_alg, "sha1") != NULL, "%s", leaf->sig_alg);
		ck_assert(f->host_ok);
		break;
	case CERT_BAD_WILDCARD:
		ck_assert_msg(f->verify_ok, "%s", f->verify_error);
		ck_assert(!f->host_ok);
		ck_assert(has_san(leaf, "DNS:*." SERVERNAME));
		ck_assert(has_san(leaf, "DNS:*"));
		ck_assert(has_san(leaf, "DNS:m*.stark.test"));
		ck_assert(!has_san(leaf, "IP:127.0.0.1"));
		/* a real wildcard certificate, just not for this name */
		ck_assert(wtls_host_match(leaf, "x." SERVERNAME));
		break;
	default:
		ck_abort_msg("untested variant %d", (int)v);
	}
	wtls_config_free(sc);
	wtls_config_free(cc);
}
END_TEST

/* ---- the rest ---- */

START_TEST(ip_servername)
{
	struct cert_set *cs = cert_set_new("192.0.2.7");
	ck_assert_ptr_nonnull(cs);
	const struct cert_pem *p = cert_set_get(cs, CERT_GOOD);
	ck_assert_ptr_nonnull(p);
	struct wtls_cert c;
	ck_assert_int_eq(wtls_cert_from_pem(p->chain, strlen(p->chain), &c), 0);
	ck_assert(has_san(&c, "IP:192.0.2.7"));
	ck_assert(has_san(&c, "IP:127.0.0.1"));
	ck_assert(!has_san(&c, "DNS:192.0.2.7"));
	ck_assert(wtls_host_match(&c, "192.0.2.7"));
	cert_set_free(cs);
}
END_TEST

START_TEST(client_certificate_checked_by_server)
{
	/* The server trusts the stark CA, so it asks for a certificate; the
	 * client presents the good leaf (EKU has clientAuth). */
	struct wtls_config *sc = keypair_cfg(WTLS_SERVER, cert_set_get(support_certs, CERT_GOOD));
	add_ca(sc, support_certs);
	struct wtls_config *cc = keypair_cfg(WTLS_CLIENT, cert_set_get(support_certs, CERT_ECDSA));
	add_ca(cc, support_certs);
	static struct side srv, cli;
	handshake(&srv, sc, &cli, cc);
	ck_assert_msg(srv.rc == 0, "%s", srv.err);
	ck_assert_uint_eq(srv.facts.nchain, 1);
	ck_assert_msg(srv.facts.verify_ok, "%s", srv.facts.verify_error);
	ck_assert(!srv.facts.host_ok); /* servers check no name */
	ck_assert_str_eq(srv.facts.client_sni, SERVERNAME);
	wtls_config_free(sc);
	wtls_config_free(cc);
}
END_TEST

struct getter {
	struct cert_set *cs;
	const struct cert_pem *got[CERT__COUNT];
};

static void *getter_main(void *arg)
{
	struct getter *g = arg;
	static const enum cert_variant vs[] = {CERT_GOOD, CERT_EXPIRED, CERT_CHAIN, CERT_SHA1, CERT_BAD_WILDCARD};
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
		g->got[vs[i]] = cert_set_get(g->cs, vs[i]);
	wtls_thread_cleanup();
	return NULL;
}

START_TEST(concurrent_gets_generate_once)
{
	struct cert_set *cs = cert_set_new("localhost");
	ck_assert_ptr_nonnull(cs);
	struct getter g[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		memset(&g[i], 0, sizeof g[i]);
		g[i].cs = cs;
		ck_assert_int_eq(pthread_create(&th[i], NULL, getter_main, &g[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int v = 0; v < CERT__COUNT; v++)
		for (int i = 1; i < 4; i++)
			ck_assert_ptr_eq(g[i].got[v], g[0].got[v]);
	ck_assert_ptr_nonnull(g[0].got[CERT_GOOD]);
	cert_set_free(cs);
}
END_TEST

static char *slurp(const char *path)
{
	size_t len;
	return support_slurp(path, &len);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

START_TEST(write_dir_writes_everything)
{
	char tmp[] = "/tmp/stark-cert-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	char dir[128], err[256] = "";
	snprintf(dir, sizeof dir, "%s/a/b", tmp); /* mkdir -p */
	ck_assert_msg(cert_set_write_dir(support_certs, dir, err, sizeof err) == 0, "%s", err);

	char path[256];
	snprintf(path, sizeof path, "%s/ca.pem", dir);
	char *s = slurp(path);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, cert_set_ca_pem(support_certs));
	free(s);
	unlink(path);
	for (int v = 0; v < CERT__COUNT; v++) {
		const char *name = cert_variant_name((enum cert_variant)v);
		const struct cert_pem *p = cert_set_get(support_certs, (enum cert_variant)v);
		snprintf(path, sizeof path, "%s/%s.pem", dir, name);
		s = slurp(path);
		ck_assert_msg(s != NULL, "%s", path);
		ck_assert_str_eq(s, p->chain);
		ck_assert_uint_eq(count(s, "BEGIN CERTIFICATE"), v == CERT_CHAIN ? 2 : 1);
		free(s);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s.key", dir, name);
		struct stat st;
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0600);
		s = slurp(path);
		ck_assert_str_eq(s, p->key);
		free(s);
		unlink(path);
	}
	ck_assert_int_eq(rmdir(dir), 0); /* nothing else was written */
	snprintf(path, sizeof path, "%s/a", tmp);
	rmdir(path);
	rmdir(tmp);

	ck_assert_int_eq(cert_set_write_dir(support_certs, "", err, sizeof err), -1);
	ck_assert_int_eq(cert_set_write_dir(support_certs, "/proc/stark-no-such/dir", err, sizeof err), -1);
	ck_assert_str_ne(err, "");
}
END_TEST

Suite *cert_suite(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("variants");
	tcase_add_unchecked_fixture(tc, support_certs_setup, support_certs_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, variant_names);
	tcase_add_test(tc, ca_is_a_ca);
	tcase_add_loop_test(tc, variant_handshake, 0, CERT__COUNT);
	tcase_add_test(tc, ip_servername);
	tcase_add_test(tc, client_certificate_checked_by_server);
	tcase_add_test(tc, concurrent_gets_generate_once);
	tcase_add_test(tc, write_dir_writes_everything);
	suite_add_tcase(s, tc);
	return s;
}

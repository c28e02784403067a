/* SPDX-License-Identifier: MIT */
/*
 * wtls: wolfSSL behind a libtls-shaped API, the I/O half of the TLS wrapper:
 * init once, config (one CTX), connection (one WOLFSSL) over the caller's
 * blocking I/O callbacks, handshake, read/write/close_notify, error text
 * (and whether a failure was a refused ClientHello); the public wtls_*
 * names of wtls.h. The facts half (certificate facts, host match,
 * verification that records and never aborts, negotiated facts) is
 * wtls_facts.c; both share struct wtls through wtls_int.h. Invariants: only
 * wtls.c, wtls_facts.c and cert.c include wolfSSL; no global mutable state
 * but what is set once (init, the default client's suite list); nothing is
 * printed.
 */
#include "wtls_int.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "util.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wtls_config {
	enum wtls_role role;
	WOLFSSL_CTX *ctx;
	bool have_ca; /* any trust anchor (file, memory or system store) loaded */
	bool legacy;  /* wtls_config_set_legacy: the build's whole range */
	bool reneg;   /* wtls_config_allow_renegotiation */
	int max;      /* the version ceiling set last */
	char *suites; /* the suite list asked for (NULL: wtls_default_suites) */
	/* The system store, asked for but loaded only by the first client
	 * connection (it costs 30-40 ms; a run that never verifies a peer
	 * never pays it), once, under mu. */
	bool want_system_ca, system_ca_tried;
	pthread_mutex_t mu;
	char err[256];
};


/* The version floor of a default config (as Debian's build, which has
 * no TLS 1.0); lower only when a scenario asks or in legacy mode. */
#define DEFAULT_FLOOR WTLS_V11

/* ---------------------------------------------------------------- init */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;

static void do_init(void)
{
	init_rc = wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

int wtls_global_init(void)
{
	pthread_once(&init_once, do_init);
	return init_rc;
}

void wtls_thread_cleanup(void)
{
#ifdef FP_ECC
	/* FP_ECC keeps a fixed-point cache per thread that only this frees. */
	wc_ecc_fp_free();
#endif
}

/* ---------------------------------------------------------------- I/O */

/* wolfSSL's callback contract: bytes, or a WOLFSSL_CBIO_ERR_* code. */
static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct wtls *t = ctx;
	(void)ssl;
	if (sz <= 0)
		return 0;
	ssize_t n = t->recv(t->io_ctx, (uint8_t *)buf, (size_t)sz);
	if (n > 0) {
		t->io_rx += (size_t)(n > sz ? sz : n);
		return (int)(n > sz ? sz : n);
	}
	if (n == WTLS_WANT) {
		/* The caller's deadline, not a broken transport: wolfSSL keeps
		 * its record state and the next read resumes. */
		t->io_want = true;
		return WOLFSSL_CBIO_ERR_WANT_READ;
	}
	if (n == 0) {
		t->io_eof = true;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	t->io_err = true;
	return WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct wtls *t = ctx;
	(void)ssl;
	if (sz <= 0)
		return 0;
	ssize_t n = t->send(t->io_ctx, (const uint8_t *)buf, (size_t)sz);
	if (n > 0)
		return (int)(n > sz ? sz : n);
	t->io_err = true;
	t->io_err_send = true;
	return WOLFSSL_CBIO_ERR_GENERAL;
}

/* ---------------------------------------------------------------- SNI */

/* Server side: note the client's SNI while the ClientHello is processed
 * (after the handshake wolfSSL may already have dropped it). Never refuses:
 * which name a client asks for is a fact, not a reason to fail. */
static int sni_cb(WOLFSSL *ssl, int *alert, void *arg)
{
	(void)alert;
	(void)arg;
	struct wtls *t = wolfSSL_GetIOReadCtx(ssl);
	char *sni = NULL;
	word16 n = wolfSSL_SNI_GetRequest(ssl, WOLFSSL_SNI_HOST_NAME, (void **)&sni);
	if (t != NULL && sni != NULL && n > 0) {
		char *esc = escape_bytes((const uint8_t *)sni, n);
		snprintf(t->facts.client_sni, sizeof t->facts.client_sni, "%s", esc);
		free(esc);
	}
	return 0; /* SSL_TLSEXT_ERR_OK */
}

/* ---------------------------------------------------------------- config */

struct wtls_config *wtls_config_new(enum wtls_role role)
{
	if (wtls_global_init() != 0)
		return NULL;
	WOLFSSL_METHOD *m = role == WTLS_CLIENT ? wolfSSLv23_client_method() : wolfSSLv23_server_method();
	if (m == NULL)
		return NULL;
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(m); /* takes ownership of m */
	if (ctx == NULL)
		return NULL;
	struct wtls_config *cfg = xcalloc(1, sizeof *cfg);
	cfg->role = role;
	cfg->ctx = ctx;
	pthread_mutex_init(&cfg->mu, NULL);
	wolfSSL_CTX_SetIORecv(ctx, io_recv);
	wolfSSL_CTX_SetIOSend(ctx, io_send);
	if (role == WTLS_SERVER)
		wolfSSL_CTX_set_servername_callback(ctx, sni_cb);
	/* A probe must be able to talk to weak peers and report them: accept
	 * the smallest keys the build allows (failures just keep defaults). */
	(void)wolfSSL_CTX_SetMinRsaKey_Sz(ctx, 512);
	(void)wolfSSL_CTX_SetMinEccKey_Sz(ctx, 160);
	/* Strict by default, whatever the build has compiled in: TLS 1.1 to
	 * 1.3 and the explicit default offer (wtls_config_set_legacy and the
	 * scenario's `tls version/ciphers` widen it). */
	if (wtls_config_set_versions(cfg, WTLS_V_ANY, WTLS_V_ANY) != 0) {
		wtls_config_free(cfg);
		return NULL;
	}
	cfg->err[0] = '\0';
	return cfg;
}

void wtls_config_free(struct wtls_config *cfg)
{
	if (cfg == NULL)
		return;
	/* The CTX is reference counted by wolfSSL: live connections keep it. */
	wolfSSL_CTX_free(cfg->ctx);
	free(cfg->suites);
	pthread_mutex_destroy(&cfg->mu);
	free(cfg);
}

int wtls_config_want_ticket(struct wtls_config *cfg)
{
#ifdef HAVE_SESSION_TICKET
	if (cfg->role == WTLS_CLIENT && wolfSSL_CTX_UseSessionTicket(cfg->ctx) == WOLFSSL_SUCCESS)
		return 0;
#endif
	snprintf(cfg->err, sizeof cfg->err, "this wolfSSL build cannot ask for session tickets");
	return -1;
}

ssize_t wtls_session_ticket(struct wtls *t, uint8_t *buf, size_t cap)
{
#ifdef HAVE_SESSION_TICKET
	word32 n = cap > UINT32_MAX ? UINT32_MAX : (word32)cap;
	if (t && wolfSSL_get_SessionTicket(t->ssl, buf, &n) == WOLFSSL_SUCCESS)
		return (ssize_t)n;
#else
	(void)t, (void)buf, (void)cap;
#endif
	return -1;
}

const char *wtls_config_error(const struct wtls_config *cfg)
{
	return cfg->err;
}

/* A suite only TLS 1.2 and later define (AEAD, SHA-256/384 PRF and MAC,
 * TLS 1.3): RFC 5246 A.5, RFC 8446 B.4. Keywords ("ALL") are not. */
static bool tls12_suite(const char *name, size_t n)
{
	char s[96];
	snprintf(s, sizeof s, "%.*s", (int)(n < sizeof s ? n : sizeof s - 1), name);
	return strstr(s, "GCM") || strstr(s, "CCM") || strstr(s, "CHACHA") || strstr(s, "SHA256") ||
	       strstr(s, "SHA384") || strncmp(s, "TLS13-", 6) == 0 || strncmp(s, "TLS_AES", 7) == 0;
}

/* Hand wolfSSL the suite list asked for. With an explicit list wolfSSL
 * offers and accepts its suites at any version (its own defaults are
 * rebuilt per version), so below TLS 1.2 the TLS 1.2 suites are left out
 * here: a config pinned to TLS 1.1 must not negotiate a GCM suite. */
static int apply_suites(struct wtls_config *cfg)
{
#ifndef STARK_WOLFSSL_BUNDLED
	/* Debian's build: its own per-version defaults are today's strict
	 * offer (no static RSA/DH, no TLS 1.0 compiled in); a list asked for
	 * is handed over as is. */
	if (cfg->suites == NULL)
		return 0;
	return wolfSSL_CTX_set_cipher_list(cfg->ctx, cfg->suites) == WOLFSSL_SUCCESS ? 0 : -1;
#endif
	const char *list = cfg->suites ? cfg->suites : wtls_default_suites;
	if (cfg->legacy && cfg->suites == NULL)
		list = wtls_legacy_suites;
	struct buf b = {0};
	if (cfg->max != 0 && cfg->max < WTLS_V12) {
		for (const char *p = list; *p;) {
			size_t n = strcspn(p, ":");
			if (n > 0 && !tls12_suite(p, n))
				buf_appendf(&b, "%s%.*s", b.len ? ":" : "", (int)n, p);
			p += n;
			if (*p == ':')
				p++;
		}
		/* a list of TLS 1.2 suites only stays as asked: what wolfSSL
		 * makes of it at this version is then the peer's to judge */
		if (b.len > 0)
			list = buf_cstr(&b);
	}
	int rc = *list && wolfSSL_CTX_set_cipher_list(cfg->ctx, list) == WOLFSSL_SUCCESS ? 0 : -1;
	buf_free(&b);
	return rc;
}

static const char *version_name(int v)
{
	switch (v) {
	case WTLS_V10: return "TLS 1.0";
	case WTLS_V11: return "TLS 1.1";
	case WTLS_V12: return "TLS 1.2";
	case WTLS_V13: return "TLS 1.3";
	default: return "unknown version";
	}
}

/* The lowest version this build can speak (0x0300 = SSLv3). */
static int lowest_version(void)
{
	return wtls_has(WTLS_F_SSL3) ? 0x0300 : wtls_has(WTLS_F_TLS10) ? WTLS_V10 : WTLS_V11;
}

static bool version_valid(enum wtls_version v)
{
	return v == WTLS_V_ANY || v == WTLS_V10 || v == WTLS_V11 || v == WTLS_V12 || v == WTLS_V13;
}

int wtls_config_set_versions(struct wtls_config *cfg, enum wtls_version min, enum wtls_version max)
{
	if (!version_valid(min) || !version_valid(max)) {
		snprintf(cfg->err, sizeof cfg->err, "invalid TLS version 0x%04x", !version_valid(min) ? min : max);
		return -1;
	}
	if (min != WTLS_V_ANY && max != WTLS_V_ANY && min > max) {
		snprintf(cfg->err, sizeof cfg->err, "minimum %s above maximum %s", version_name(min),
		         version_name(max));
		return -1;
	}
	if ((min == WTLS_V10 || max == WTLS_V10) && !wtls_tls10_supported()) {
		snprintf(cfg->err, sizeof cfg->err, "TLS 1.0 is not supported by this wolfSSL build");
		return -1;
	}
	int lo = min != WTLS_V_ANY ? (int)min : cfg->legacy ? lowest_version() : DEFAULT_FLOOR;
	int hi = max == WTLS_V_ANY ? WTLS_V13 : (int)max;
	/* Floor down first so the new ceiling never sits under an old
	 * floor, then the ceiling (wolfSSL derives the method's version from
	 * it), then the real floor. The read-backs catch silent rounding. */
	(void)wolfSSL_CTX_set_min_proto_version(cfg->ctx, lowest_version());
	if (wolfSSL_CTX_set_max_proto_version(cfg->ctx, hi) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_get_max_proto_version(cfg->ctx) != hi) {
		snprintf(cfg->err, sizeof cfg->err, "cannot set maximum version %s", version_name(hi));
		return -1;
	}
	if (wolfSSL_CTX_set_min_proto_version(cfg->ctx, lo) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_get_min_proto_version(cfg->ctx) != lo) {
		snprintf(cfg->err, sizeof cfg->err, "cannot set minimum version %s", version_name(lo));
		return -1;
	}
	cfg->max = hi;
	if (apply_suites(cfg) != 0) {
		snprintf(cfg->err, sizeof cfg->err, "no cipher suite of the list is usable at %s",
		         version_name(hi));
		return -1;
	}
	return 0;
}

int wtls_config_set_ciphers(struct wtls_config *cfg, const char *list)
{
	if (list == NULL) {
		snprintf(cfg->err, sizeof cfg->err, "no usable cipher in \"(null)\"");
		return -1;
	}
	char *old = cfg->suites;
	cfg->suites = xstrdup(list);
	if (apply_suites(cfg) != 0) {
		snprintf(cfg->err, sizeof cfg->err, "no usable cipher in \"%.200s\"", list);
		free(cfg->suites);
		cfg->suites = old;
		(void)apply_suites(cfg);
		return -1;
	}
	free(old);
	return 0;
}

int wtls_config_set_legacy(struct wtls_config *cfg)
{
	cfg->legacy = true;
	if (wtls_config_set_versions(cfg, WTLS_V_ANY, WTLS_V_ANY) != 0)
		return -1;
#ifdef HAVE_ANON
	(void)wolfSSL_CTX_allow_anon_cipher(cfg->ctx);
#endif
	free(cfg->suites);
	cfg->suites = NULL;
	if (apply_suites(cfg) != 0) {
		snprintf(cfg->err, sizeof cfg->err, "cannot set the legacy suite list");
		return -1;
	}
#ifndef NO_DH
	(void)wolfSSL_CTX_SetMinDhKey_Sz(cfg->ctx, 512);
#endif
	return 0;
}

int wtls_config_allow_renegotiation(struct wtls_config *cfg)
{
	if (!wtls_has(WTLS_F_RENEGOTIATION)) {
		snprintf(cfg->err, sizeof cfg->err, "%s", wtls_lacks_reason(WTLS_F_RENEGOTIATION));
		return -1;
	}
	cfg->reneg = true;
	return 0;
}

static void set_wolf_err(char *out, size_t outlen, const char *what, int code)
{
	char reason[WOLFSSL_MAX_ERROR_SZ];
	wolfSSL_ERR_error_string_n((unsigned long)code, reason, sizeof reason);
	char *msg = xasprintf("%s: %s (%d)", what, reason, code);
	snprintf(out, outlen, "%s", msg); /* long paths are cut, never overflow */
	free(msg);
}

int wtls_config_add_ca_file(struct wtls_config *cfg, const char *path)
{
	int rc = wolfSSL_CTX_load_verify_locations(cfg->ctx, path, NULL);
	if (rc != WOLFSSL_SUCCESS) {
		char *what = xasprintf("cannot load CA file %s", path);
		set_wolf_err(cfg->err, sizeof cfg->err, what, rc);
		free(what);
		return -1;
	}
	cfg->have_ca = true;
	return 0;
}

int wtls_config_add_ca_mem(struct wtls_config *cfg, const uint8_t *pem, size_t len)
{
	if (len > LONG_MAX)
		len = LONG_MAX;
	int rc = wolfSSL_CTX_load_verify_buffer(cfg->ctx, pem, (long)len, WOLFSSL_FILETYPE_PEM);
	if (rc != WOLFSSL_SUCCESS) {
		set_wolf_err(cfg->err, sizeof cfg->err, "cannot load CA certificates", rc);
		return -1;
	}
	cfg->have_ca = true;
	return 0;
}

int wtls_config_use_system_ca(struct wtls_config *cfg)
{
	/* Loaded by the first connection that verifies (load_system_ca). */
	cfg->want_system_ca = true;
	return 0;
}

/* Before a client connection: the system store, once per config. A store
 * that does not load leaves the other anchors (have_ca says whether any). */
static void load_system_ca(struct wtls_config *cfg)
{
	pthread_mutex_lock(&cfg->mu);
	if (cfg->want_system_ca && !cfg->system_ca_tried) {
		cfg->system_ca_tried = true;
		if (wolfSSL_CTX_load_system_CA_certs(cfg->ctx) == WOLFSSL_SUCCESS)
			cfg->have_ca = true;
	}
	pthread_mutex_unlock(&cfg->mu);
}

int wtls_config_set_keypair_mem(struct wtls_config *cfg, const uint8_t *chain_pem, size_t chain_len,
                                const uint8_t *key_pem, size_t key_len)
{
	if (chain_len > LONG_MAX || key_len > LONG_MAX) {
		snprintf(cfg->err, sizeof cfg->err, "keypair too large");
		return -1;
	}
	int rc = wolfSSL_CTX_use_certificate_chain_buffer(cfg->ctx, chain_pem, (long)chain_len);
	if (rc != WOLFSSL_SUCCESS) {
		set_wolf_err(cfg->err, sizeof cfg->err, "cannot load certificate chain", rc);
		return -1;
	}
	rc = wolfSSL_CTX_use_PrivateKey_buffer(cfg->ctx, key_pem, (long)key_len, WOLFSSL_FILETYPE_PEM);
	if (rc != WOLFSSL_SUCCESS) {
		set_wolf_err(cfg->err, sizeof cfg->err, "cannot load private key", rc);
		return -1;
	}
	if (wolfSSL_CTX_check_private_key(cfg->ctx) != WOLFSSL_SUCCESS) {
		snprintf(cfg->err, sizeof cfg->err, "private key does not match the certificate");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- connection */

struct wtls *wtls_new(struct wtls_config *cfg, const char *servername, wtls_recv_fn recv,
                      wtls_send_fn send, void *io_ctx)
{
	if (cfg->role == WTLS_CLIENT)
		load_system_ca(cfg);
	WOLFSSL *ssl = wolfSSL_new(cfg->ctx);
	if (ssl == NULL) {
		snprintf(cfg->err, sizeof cfg->err, "cannot create a TLS connection (no certificate for a server?)");
		return NULL;
	}
	struct wtls *t = xcalloc(1, sizeof *t);
	t->role = cfg->role;
	pthread_mutex_lock(&cfg->mu);
	t->have_ca = cfg->have_ca;
	pthread_mutex_unlock(&cfg->mu);
	t->ssl = ssl;
	t->recv = recv;
	t->send = send;
	t->io_ctx = io_ctx;
	wolfSSL_SetIOReadCtx(ssl, t);
	wolfSSL_SetIOWriteCtx(ssl, t);
	wolfSSL_SetCertCbCtx(ssl, t);
	if (servername != NULL)
		snprintf(t->facts.servername, sizeof t->facts.servername, "%s", servername);
#ifdef HAVE_SECURE_RENEGOTIATION
	if (cfg->reneg && wolfSSL_UseSecureRenegotiation(ssl) != WOLFSSL_SUCCESS) {
		snprintf(cfg->err, sizeof cfg->err, "cannot enable secure renegotiation");
		wtls_free(t);
		return NULL;
	}
#endif

	if (t->role == WTLS_CLIENT) {
		/* Debian's wolfSSL does not verify unless told to: always verify,
		 * never abort (wtls_facts_verify_cb returns 1). */
		wolfSSL_set_verify(ssl, WOLFSSL_VERIFY_PEER, wtls_facts_verify_cb);
		uint8_t ip[16];
		size_t n = servername ? strlen(servername) : 0;
		/* RFC 6066 section 3: HostName carries no trailing dot. */
		if (n > 1 && servername[n - 1] == '.')
			n--;
		if (n > 0 && n <= UINT16_MAX && wtls_facts_parse_ip(servername, ip) == 0 &&
		    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, servername, (word16)n) != WOLFSSL_SUCCESS) {
			snprintf(cfg->err, sizeof cfg->err, "cannot set SNI \"%.200s\"", servername);
			wtls_free(t);
			return NULL;
		}
		/* Key exchange ordered for speed (docs/design.md, "Key exchange
		 * groups"): wolfSSL's own TLS 1.3 key share is P-256 (2.5-2.9 ms
		 * a handshake) where X25519 costs 1.35 ms, and no check of a
		 * wolfSSL session is about the group: the offered
		 * supported_groups list stays wolfSSL's, a server that wants
		 * another group asks for it by HelloRetryRequest, and the
		 * checks about groups send raw hellos (hello.c). The group
		 * negotiated is still reported (wtls_facts). Failure only
		 * leaves wolfSSL's default share. */
		if (wolfSSL_CTX_get_max_proto_version(cfg->ctx) == WTLS_V13)
			(void)wolfSSL_UseKeyShare(ssl, WOLFSSL_ECC_X25519);
	} else {
		/* A server asks for a client certificate only when it was given
		 * trust anchors to check one against; otherwise the request
		 * would change what the client under test does. */
		wolfSSL_set_verify(ssl, t->have_ca ? WOLFSSL_VERIFY_PEER : WOLFSSL_VERIFY_NONE,
		                   t->have_ca ? wtls_facts_verify_cb : NULL);
	}
	return t;
}

void wtls_free(struct wtls *t)
{
	if (t == NULL)
		return;
	wolfSSL_free(t->ssl);
	free(t);
}

static void alert_text(const WOLFSSL_ALERT *a, char *out, size_t outlen)
{
	const char *s = wolfSSL_alert_desc_string_long(a->code);
	if (s != NULL && *s != '\0')
		snprintf(out, outlen, "%s", s);
	else
		snprintf(out, outlen, "alert %d", a->code);
}

bool wtls_peer_fatal_alert(struct wtls *t, char *desc, size_t desclen)
{
	WOLFSSL_ALERT_HISTORY h;
	memset(&h, 0, sizeof h);
	if (t == NULL || t->ssl == NULL || wolfSSL_get_alert_history(t->ssl, &h) != WOLFSSL_SUCCESS ||
	    h.last_rx.level != alert_fatal)
		return false;
	alert_text(&h.last_rx, desc, desclen);
	return true;
}

/* Human reason for a failed wolfSSL call: the alert received (usually the
 * real reason), wolfSSL's own reason unless it only says "socket error",
 * the alert we sent, then what the transport did. */
static void describe_failure(struct wtls *t, const char *what, int ret)
{
	int err = wolfSSL_get_error(t->ssl, ret);
	bool sock = err == SOCKET_ERROR_E || err == SOCKET_PEER_CLOSED_E || err == SOCKET_NODATA ||
	            err == WOLFSSL_ERROR_SYSCALL;
	WOLFSSL_ALERT_HISTORY h;
	memset(&h, 0, sizeof h);
	bool have_hist = wolfSSL_get_alert_history(t->ssl, &h) == WOLFSSL_SUCCESS;
	bool rx = have_hist && h.last_rx.level > 0, tx = have_hist && h.last_tx.level > 0;
	struct buf b = {0};
	const char *sep = "";
	char a[64];

	buf_appendf(&b, "%s failed: ", what);
	if (rx) {
		alert_text(&h.last_rx, a, sizeof a);
		buf_appendf(&b, "alert received: %s", a);
		sep = "; ";
	}
	/* FATAL_ERROR only repeats "an alert came in"; WANT_READ and socket
	 * errors are said better by the transport note below. */
	bool want = err == WOLFSSL_ERROR_WANT_READ && t->io_want;
	if (!want && !(sock && (t->io_eof || t->io_err)) && !(rx && err == FATAL_ERROR)) {
		char reason[WOLFSSL_MAX_ERROR_SZ];
		wolfSSL_ERR_error_string_n((unsigned long)err, reason, sizeof reason);
		buf_appendf(&b, "%s%s (%d)", sep, reason, err);
		sep = "; ";
	}
	if (tx) {
		alert_text(&h.last_tx, a, sizeof a);
		buf_appendf(&b, "%salert sent: %s", sep, a);
		sep = "; ";
	}
	if (t->io_want && err == WOLFSSL_ERROR_WANT_READ)
		buf_appendf(&b, "%stimeout waiting for the peer", sep);
	else if (t->io_eof)
		buf_appendf(&b, "%speer closed the connection", sep);
	else if (t->io_err)
		buf_appendf(&b, "%sI/O error on %s", sep, t->io_err_send ? "send" : "receive");
	snprintf(t->err, sizeof t->err, "%s", buf_cstr(&b));
	buf_free(&b);
}

/* The server's whole answer to our ClientHello was one fatal alert that
 * says it found nothing to agree on: handshake_failure, protocol_version
 * or insufficient_security (RFC 8446 6.2, RFC 5246 7.2.2). One alert
 * record is 7 bytes; anything more means a ServerHello came first, and
 * then the failure is about something else. */
static bool hello_refused(struct wtls *t)
{
	WOLFSSL_ALERT_HISTORY h;
	memset(&h, 0, sizeof h);
	if (wolfSSL_get_alert_history(t->ssl, &h) != WOLFSSL_SUCCESS || h.last_rx.level != 2)
		return false;
	int d = h.last_rx.code;
	return t->io_rx <= 7 && (d == 40 || d == 70 || d == 71);
}

/* The suites a default client session offers, as
 * ":name:name:" (wolfSSL's OpenSSL-style names); written once, read-only
 * after. wolfSSL_get_cipher_list_ex cannot list them (before a handshake
 * it answers "None"): the session's own stack of suites does. */
static char suite_list[8192];
static pthread_once_t suite_once = PTHREAD_ONCE_INIT;

static void list_suites(char *out, size_t outlen)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	WOLFSSL *ssl = cfg ? wolfSSL_new(cfg->ctx) : NULL;
	WOLF_STACK_OF(WOLFSSL_CIPHER) *sk = ssl ? wolfSSL_get_ciphers_compat(ssl) : NULL;
	struct buf b = {0};
	buf_appendf(&b, ":");
	int n = sk ? wolfSSL_sk_SSL_CIPHER_num(sk) : 0;
	for (int i = 0; i < n; i++) {
		const char *name = wolfSSL_CIPHER_get_name(wolfSSL_sk_SSL_CIPHER_value(sk, i));
		if (name)
			buf_appendf(&b, "%s:", name);
	}
	snprintf(out, outlen, "%s", buf_cstr(&b));
	buf_free(&b);
	wolfSSL_free(ssl);
	wtls_config_free(cfg);
}

static void fill_suite_list(void)
{
	list_suites(suite_list, sizeof suite_list);
}

static bool in_list(const char *list, const char *name)
{
	char *needle = xasprintf(":%s:", name);
	bool found = strstr(list, needle) != NULL;
	free(needle);
	return found;
}

bool wtls_suite_available(const char *name)
{
	pthread_once(&suite_once, fill_suite_list);
	return in_list(suite_list, name);
}

int wtls_handshake(struct wtls *t)
{
	if (t->handshaken)
		return t->facts.handshake_ok ? 0 : -1;
	t->handshaken = true;
	t->io_want = false;
	/* With blocking callbacks wolfSSL only stops early on WTLS_WANT: a
	 * deadline inside the handshake is a failure ("timeout"). */
	int ret = t->role == WTLS_CLIENT ? wolfSSL_connect(t->ssl) : wolfSSL_accept(t->ssl);
	bool ok = ret == WOLFSSL_SUCCESS;
	if (!ok) {
		describe_failure(t, "TLS handshake", ret);
		/* A TLS 1.3 server sends its NewSessionTicket inside accept,
		 * after both Finished: a client that hangs up right after
		 * the handshake makes that send fail although the handshake
		 * itself completed. Report what happened on the wire. */
		if (t->role == WTLS_SERVER && wolfSSL_is_init_finished(t->ssl))
			ok = true;
	}
	wtls_facts_collect(t, ok);
	const char *v = t->facts.version, *c = t->facts.cipher;
	if (ok && t->role == WTLS_CLIENT &&
	    (strcmp(v, "SSLv3") == 0 || strcmp(v, "TLSv1") == 0 || strcmp(v, "TLSv1.1") == 0) &&
	    (strstr(c, "GCM") || strstr(c, "CCM") || strstr(c, "CHACHA") || strstr(c, "SHA256") ||
	     strstr(c, "SHA384"))) {
		/* wolfSSL accepts what its explicit suite list holds at any
		 * version; a TLS 1.2 suite below TLS 1.2 is the server's error
		 * (RFC 5246 A.5), which an OpenSSL client refuses as well. */
		snprintf(t->err, sizeof t->err,
		         "TLS handshake failed: the server chose %s, a TLS 1.2 suite, at %s", c, v);
		ok = false;
		t->facts.handshake_ok = false;
	}
	if (!ok && t->role == WTLS_CLIENT)
		t->facts.hello_refused = hello_refused(t);
	return ok ? 0 : -1;
}

ssize_t wtls_read(struct wtls *t, uint8_t *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (t->got_close_notify)
		return 0;
	t->io_want = false;
	int n = wolfSSL_read(t->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n > 0)
		return n;
	int err = wolfSSL_get_error(t->ssl, n);
	if (err == WOLFSSL_ERROR_WANT_READ && t->io_want)
		return WTLS_WANT; /* e.g. only a TLS 1.3 ticket arrived in time */
	if (err == WOLFSSL_ERROR_ZERO_RETURN) {
		t->got_close_notify = true;
		return 0;
	}
	if (t->io_eof && !t->io_err)
		return 0; /* EOF without close_notify: see wtls_got_close_notify */
	describe_failure(t, "TLS read", n);
	return -1;
}

ssize_t wtls_write(struct wtls *t, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t chunk = len - done;
		if (chunk > INT_MAX)
			chunk = INT_MAX;
		int n = wolfSSL_write(t->ssl, buf + done, (int)chunk);
		if (n <= 0) {
			describe_failure(t, "TLS write", n);
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

size_t wtls_pending(struct wtls *t)
{
	int n = wolfSSL_pending(t->ssl);
	return n > 0 ? (size_t)n : 0;
}

int wtls_close_notify(struct wtls *t)
{
	int ret = wolfSSL_shutdown(t->ssl);
	/* 1: done both ways; WOLFSSL_SHUTDOWN_NOT_DONE: ours sent, theirs
	 * not awaited (which is all this call promises). */
	if ((ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE) && !t->io_err)
		return 0;
	describe_failure(t, "TLS close_notify", ret);
	return -1;
}

bool wtls_peer_secure_renegotiation(const struct wtls *t)
{
#ifdef HAVE_SECURE_RENEGOTIATION
	return wolfSSL_SSL_get_secure_renegotiation_support(t->ssl) == 1;
#else
	(void)t;
	return false;
#endif
}

void wtls_last_alert(const struct wtls *t, char *out, size_t outlen)
{
	WOLFSSL_ALERT_HISTORY h;
	memset(&h, 0, sizeof h);
	out[0] = '\0';
	if (wolfSSL_get_alert_history(t->ssl, &h) != WOLFSSL_SUCCESS || h.last_rx.level <= 0)
		return;
	char a[64];
	alert_text(&h.last_rx, a, sizeof a);
	snprintf(out, outlen, "%s (%s)", a, h.last_rx.level == 1 ? "warning" : "fatal");
}

int wtls_renegotiate(struct wtls *t)
{
	if (!t->facts.handshake_ok) {
		snprintf(t->err, sizeof t->err, "renegotiation: no handshake to renegotiate");
		return -2;
	}
#ifdef HAVE_SECURE_RENEGOTIATION
	if (wolfSSL_version(t->ssl) == TLS1_3_VERSION) {
		snprintf(t->err, sizeof t->err, "renegotiation: TLS 1.3 has none (RFC 8446 4.1.2)");
		return -2;
	}
	if (!wtls_peer_secure_renegotiation(t)) {
		snprintf(t->err, sizeof t->err,
		         "renegotiation: the peer did not send the RFC 5746 extension (wolfSSL renegotiates "
		         "only securely)");
		return -2;
	}
	t->io_want = false;
	t->io_eof = false;
	int ret = wolfSSL_Rehandshake(t->ssl);
	if (ret == WOLFSSL_SUCCESS)
		return 0;
	describe_failure(t, "renegotiation", ret);
	return -1;
#else
	snprintf(t->err, sizeof t->err, "%s", wtls_lacks_reason(WTLS_F_RENEGOTIATION));
	return -2;
#endif
}

bool wtls_got_close_notify(const struct wtls *t)
{
	return t->got_close_notify;
}

const struct wtls_facts *wtls_facts(const struct wtls *t)
{
	return &t->facts;
}

/* The certificate facts live in wtls_facts.c; their public names stay here. */
bool wtls_host_match(const struct wtls_cert *leaf, const char *name)
{
	return wtls_facts_host_match(leaf, name);
}

int wtls_cert_from_der(const uint8_t *der, size_t len, struct wtls_cert *out)
{
	return wtls_facts_cert_from_der(der, len, out);
}

int wtls_cert_from_pem(const char *pem, size_t len, struct wtls_cert *out)
{
	return wtls_facts_cert_from_pem(pem, len, out);
}

const char *wtls_error(const struct wtls *t)
{
	return t->err;
}

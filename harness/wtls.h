/* SPDX-License-Identifier: MIT */
/*
 * wtls: the TLS wrapper, the only module (with cert) that includes wolfSSL;
 * its files are wtls.c (config, handshake, I/O) and wtls_facts.c (certificate
 * and negotiated facts, verification), sharing wtls_int.h. A small
 * libtls-shaped API: a config (role, versions, ciphers, trust anchors,
 * own certificate), a connection over caller-supplied I/O callbacks,
 * handshake / read / write / close_notify, and the negotiated facts as plain
 * data. No wolfSSL type leaks through this header.
 *
 * Verification is always performed explicitly (Debian's wolfSSL does not
 * verify unless told to) but never aborts the handshake: stark tests the
 * STARTTLS state machine first, and reports verification as a fact.
 */
#ifndef STARK_WTLS_H
#define STARK_WTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum wtls_role { WTLS_CLIENT, WTLS_SERVER };
/* Protocol versions as on the wire (major<<8|minor). */
enum wtls_version {
	WTLS_V_ANY = 0,
	WTLS_V10 = 0x0301,
	WTLS_V11 = 0x0302,
	WTLS_V12 = 0x0303,
	WTLS_V13 = 0x0304,
};

#define WTLS_CHAIN_MAX 8
#define WTLS_SAN_MAX 16

struct wtls_cert {
	char subject[256];
	char issuer[256];
	int64_t not_before; /* seconds since the epoch (UTC) */
	int64_t not_after;
	char key_type[16]; /* "RSA", "EC", "Ed25519", ... */
	int key_bits;
	char sig_alg[48];    /* e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA256" */
	char sha256[65];     /* hex fingerprint of the DER */
	/* For DANE (RFC 6698 2.1.2/2.1.3): SHA-512 of the DER, SHA-256 and
	 * SHA-512 of the SubjectPublicKeyInfo; exact matching (type 0)
	 * compares SHA-512s of the data. "" when unavailable. */
	char sha512[129];
	char spki_sha256[65];
	char spki_sha512[129];
	bool self_signed;    /* subject == issuer and the signature verifies by itself */
	size_t nsan;
	char san[WTLS_SAN_MAX][128]; /* DNS and IP SANs as text ("DNS:x", "IP:1.2.3.4") */
};

struct wtls_facts {
	bool handshake_ok;
	char version[16]; /* "TLSv1.2", "TLSv1.3" */
	char cipher[64];  /* IANA/OpenSSL-style name as wolfSSL reports it */
	char group[32];   /* key exchange group / curve, "" if unknown */
	size_t nchain;
	struct wtls_cert chain[WTLS_CHAIN_MAX]; /* as sent by the peer, leaf first */
	/* Verification against the configured trust anchors (--ca) and/or the
	 * system store, and host name match against the servername. */
	bool verify_ok;
	char verify_error[160]; /* "" when verify_ok */
	bool host_ok;
	char servername[256]; /* name checked / sent as SNI ("" = none) */
	/* Server role only: what the client offered. */
	char client_sni[256];
	/* Client role, failed handshake: the server answered our ClientHello
	 * with nothing but a handshake_failure, protocol_version or
	 * insufficient_security alert (no suite or version in common). */
	bool hello_refused;
};

struct wtls_config;
struct wtls;

/*
 * I/O callbacks. recv returns bytes read (>0), 0 on orderly EOF, -1 on
 * error (the callee records why), or WTLS_WANT when its deadline passed
 * with nothing to read: that is NOT fatal (mapped to wolfSSL's WANT_READ),
 * so a TLS 1.3 session ticket arriving during a silence window does not
 * break the session. send returns bytes written (>0) or -1. Both block
 * until they can make progress, fail, or (recv) reach their deadline.
 */
#define WTLS_WANT (-2)
typedef ssize_t (*wtls_recv_fn)(void *ctx, uint8_t *buf, size_t len);
typedef ssize_t (*wtls_send_fn)(void *ctx, const uint8_t *buf, size_t len);

/* Call once per process before anything else (thread-safe after). */
int wtls_global_init(void);
struct wtls_config *wtls_config_new(enum wtls_role role);
void wtls_config_free(struct wtls_config *cfg);
/* 0 ok, -1 with the reason in wtls_config_error(). */
int wtls_config_set_versions(struct wtls_config *cfg, enum wtls_version min, enum wtls_version max);
int wtls_config_set_ciphers(struct wtls_config *cfg, const char *list); /* OpenSSL-style list */
int wtls_config_add_ca_file(struct wtls_config *cfg, const char *path);  /* PEM trust anchors */
int wtls_config_add_ca_mem(struct wtls_config *cfg, const uint8_t *pem, size_t len);
/* The system store: loaded by the config's first client connection, once. */
int wtls_config_use_system_ca(struct wtls_config *cfg);
/* Own certificate chain (PEM, leaf first) and private key (PEM). */
int wtls_config_set_keypair_mem(struct wtls_config *cfg, const uint8_t *chain_pem, size_t chain_len,
                                const uint8_t *key_pem, size_t key_len);
const char *wtls_config_error(const struct wtls_config *cfg);

/* Client role: ask for a session ticket (an empty session_ticket extension,
 * RFC 5077 3.2), for the Ticketbleed battery. 0, or -1 if the build cannot. */
int wtls_config_want_ticket(struct wtls_config *cfg);

/* servername: SNI to send and name to verify (client role); may be NULL. */
struct wtls *wtls_new(struct wtls_config *cfg, const char *servername, wtls_recv_fn recv,
                      wtls_send_fn send, void *io_ctx);
void wtls_free(struct wtls *t);
/* 0 ok, -1 failed (wtls_error says why, e.g. "alert received: handshake_failure").
 * A WTLS_WANT from the recv callback during the handshake is a failure
 * ("timeout"). */
int wtls_handshake(struct wtls *t);
/* >0 bytes, 0 close_notify / EOF, -1 error, WTLS_WANT if the recv callback
 * returned WTLS_WANT (deadline; the session stays usable). */
ssize_t wtls_read(struct wtls *t, uint8_t *buf, size_t len);
/* Returns len or -1. */
ssize_t wtls_write(struct wtls *t, const uint8_t *buf, size_t len);
/* Bytes already decrypted and waiting inside the TLS layer. */
size_t wtls_pending(struct wtls *t);
/* Send close_notify (does not wait for the peer's). 0 ok, -1 error. */
int wtls_close_notify(struct wtls *t);
const struct wtls_facts *wtls_facts(const struct wtls *t); /* valid until wtls_free */
const char *wtls_error(const struct wtls *t);
/* After a handshake: the session ticket the server issued (TLS <= 1.2
 * NewSessionTicket), its length into buf[0..cap); -1 if none. */
ssize_t wtls_session_ticket(struct wtls *t, uint8_t *buf, size_t cap);

/*
 * Additions used by tests and by other modules (no wolfSSL types either).
 */
/* Host name check of a leaf against a reference name (RFC 9525 section 6.3,
 * RFC 6125 6.4): DNS names against DNS SANs case-insensitively, a wildcard
 * only as the whole left-most label matching exactly one label, IP literals
 * only against IP SANs; no CN fallback. */
bool wtls_host_match(const struct wtls_cert *leaf, const char *name);
/* Parse one certificate (DER, or the first in a PEM buffer) into facts.
 * 0 ok, -1 unparsable (out is zeroed but for what could be filled). */
int wtls_cert_from_der(const uint8_t *der, size_t len, struct wtls_cert *out);
int wtls_cert_from_pem(const char *pem, size_t len, struct wtls_cert *out);
/* Hex SHA-256 (bits 256) or SHA-512 (bits 512) of data into out (at least
 * 129 bytes). 0 ok, -1 otherwise. */
int wtls_digest_hex(int bits, const uint8_t *data, size_t len, char *out, size_t outlen);
/* Raw RSA for the ROBOT battery (attack_tls.c): plain bytes, no padding
 * added or checked. The modulus size in bytes of the RSA key of a
 * certificate (DER), 0 if it does not parse or is not RSA. */
size_t wtls_cert_rsa_modulus_bytes(const uint8_t *cert_der, size_t len);
/* m^e mod n with that key: in is exactly the modulus size (big-endian,
 * < n); out gets as many bytes. 0, or -1 (not RSA, bad sizes). */
int wtls_cert_rsa_encrypt_raw(const uint8_t *cert_der, size_t len, const uint8_t *in, size_t inlen,
                              uint8_t *out, size_t outlen);
/* Whether this wolfSSL build can speak TLS 1.0 at all (Debian's cannot;
 * wtls_config_set_versions then refuses WTLS_V10 rather than silently
 * using TLS 1.1). Raw probes belong to the hello module. */
bool wtls_tls10_supported(void);
/* Whether stark's default client session offers the suite (wolfSSL's
 * OpenSSL-style name, e.g. "AES128-SHA"); static RSA key exchange, for one,
 * is compiled out of Debian's wolfSSL and left out of every default offer. */
bool wtls_suite_available(const char *name);
/* What this wolfSSL build can do beyond a default handshake: stark's
 * bundled build (scripts/build-wolfssl.sh) has all of it, Debian's
 * libwolfssl none. */
enum wtls_feature {
	WTLS_F_TLS10,        /* TLS 1.0 handshakes */
	WTLS_F_SSL3,         /* SSLv3 handshakes */
	WTLS_F_STATIC_RSA,   /* static RSA (and static DH) key exchange */
	WTLS_F_RENEGOTIATION, /* client- and server-initiated renegotiation (RFC 5746 only) */
	WTLS_F_EARLY_DATA,   /* TLS 1.3 0-RTT early data */
};
bool wtls_has(enum wtls_feature f);
/* The reason a check needs a feature this build lacks, naming the build:
 * "needs stark's bundled wolfSSL: Debian's libwolfssl lacks ..." */
const char *wtls_lacks_reason(enum wtls_feature f);
/* "wolfSSL 5.5.4 (bundled: static RSA, TLS 1.0-1.3, ...)" or
 * "wolfSSL 5.5.4 (Debian libwolfssl, system)". */
const char *wtls_build_info(void);
/* Every config starts strict: TLS 1.1 to 1.3 and an explicit suite list
 * (the one Debian's build offers by default: no static RSA/DH, whatever
 * the library has compiled in). This widens cfg to everything the build
 * has, for a scenario or probe that asks: its lowest version (SSLv3 or
 * TLS 1.0 in the bundled build), every suite including static RSA/DH,
 * anon and NULL, the smallest DH and RSA keys. 0 ok. */
int wtls_config_set_legacy(struct wtls_config *cfg);
/* Offer RFC 5746 secure renegotiation (the extension) on connections of
 * cfg, so wtls_renegotiate can be used. 0 ok, -1 when the build lacks it. */
int wtls_config_allow_renegotiation(struct wtls_config *cfg);
/* After a successful handshake: renegotiate (client: a new ClientHello;
 * server: a HelloRequest) and run that handshake to its end within the
 * callbacks' deadlines. 0 renegotiated; -1 failed (wtls_error says how:
 * the alert, a close, a timeout); -2 not attempted (TLS 1.3, the peer
 * lacks RFC 5746, or the build lacks renegotiation; wtls_error says
 * which). */
int wtls_renegotiate(struct wtls *t);
/* The peer sent the RFC 5746 renegotiation_info extension. */
bool wtls_peer_secure_renegotiation(const struct wtls *t);
/* The last alert received on t, "" if none: "no_renegotiation (warning)". */
void wtls_last_alert(const struct wtls *t, char *out, size_t outlen);
/* Call before any thread that used wtls or cert exits: wolfSSL built with
 * FP_ECC (Debian's is) keeps a per-thread ECC cache that leaks otherwise. */
void wtls_thread_cleanup(void);
/* After wtls_read returned 0: true if the peer sent close_notify, false if
 * the transport just ended (truncation, RFC 8446 section 6.1). */
bool wtls_got_close_notify(const struct wtls *t);
/* After a failed read: true if the peer sent a fatal alert (its
 * description in desc), i.e. it ended the session on purpose, e.g. a
 * TLS 1.3 client refusing the certificate after the server's side of the
 * handshake was complete. */
bool wtls_peer_fatal_alert(struct wtls *t, char *desc, size_t desclen);

#endif

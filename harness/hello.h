/* SPDX-License-Identifier: MIT */
/*
 * hello: raw ClientHello builder and server-reply parser, so stark can ask a
 * server about any protocol version (SSLv2 .. TLS 1.3) and any IANA cipher
 * suite id, including the ones wolfSSL does not implement (EXPORT, RC4,
 * NULL, anon, DES, CAMELLIA, ARIA, GOST, ...). Also the tables that give
 * those ids, groups, signature schemes and alerts their names.
 *
 * Pure: no I/O, no clock, no RNG, no wolfSSL. Never completes a handshake:
 * it builds the first flight and reads the server's answer to it.
 */
#ifndef STARK_HELLO_H
#define STARK_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Protocol versions as on the wire; SSLv2 is 0x0002 (RFC 6101 appendix E). */
enum hello_version {
	HELLO_SSL2 = 0x0002,
	HELLO_SSL3 = 0x0300,
	HELLO_TLS10 = 0x0301,
	HELLO_TLS11 = 0x0302,
	HELLO_TLS12 = 0x0303,
	HELLO_TLS13 = 0x0304,
};

/* "SSLv2", "SSLv3", "TLSv1.0" .. "TLSv1.3"; "unknown" otherwise. */
const char *hello_version_name(uint16_t v);

/* ---------------------------------------------------------------- suites */

/* Cipher suite ids with a meaning of their own. */
#define HELLO_CS_EMPTY_RENEGOTIATION_INFO_SCSV 0x00FF /* RFC 5746 3.3 */
#define HELLO_CS_FALLBACK_SCSV 0x5600                 /* RFC 7507 */

/* Classification of a cipher suite (struct hello_suite.flags). */
enum hello_cs_flag {
	CS_EXPORT = 1u << 0,    /* export grade (40/56-bit, FREAK/Logjam class) */
	CS_RC4 = 1u << 1,       /* RC4 (RFC 7465 forbids it) */
	CS_NULL = 1u << 2,      /* no encryption (incl. TLS 1.3 integrity-only, RFC 9150) */
	CS_ANON = 1u << 3,      /* no authentication (anon DH/ECDH, NULL_WITH_NULL) */
	CS_DES = 1u << 4,       /* single DES (incl. DES40) */
	CS_3DES = 1u << 5,      /* triple DES (SWEET32) */
	CS_FS = 1u << 6,        /* forward secret: authenticated ephemeral (EC)DH, all TLS 1.3
	                           suites; anon suites are ephemeral but NOT flagged (as testssl) */
	CS_AEAD = 1u << 7,      /* GCM, CCM, ChaCha20-Poly1305, MGM */
	CS_TLS13 = 1u << 8,     /* a TLS 1.3 suite (RFC 8446 B.4 and later) */
	CS_TLS12 = 1u << 9,     /* needs TLS 1.2 (AEAD or SHA-256/384 PRF); never chosen below it */
	CS_SCSV = 1u << 10,     /* a signalling value, not a suite */
	CS_PSK = 1u << 11,
	CS_SRP = 1u << 12,
	CS_KRB5 = 1u << 13,
	CS_ECDHE = 1u << 14,    /* ephemeral elliptic-curve DH (incl. ECDH_anon, CECPQ1) */
	CS_DHE = 1u << 15,      /* ephemeral finite-field DH (incl. DH_anon) */
	CS_RSA_KX = 1u << 16,   /* RSA key transport (no forward secrecy; ROBOT class) */
	CS_STATIC_DH = 1u << 17,/* fixed DH/ECDH from the certificate */
	CS_AU_RSA = 1u << 18,   /* authenticated by an RSA certificate */
	CS_AU_ECDSA = 1u << 19,
	CS_AU_DSS = 1u << 20,
	CS_CBC = 1u << 21,      /* a CBC-mode block cipher (Lucky13/BEAST class) */
	CS_MD5 = 1u << 22,      /* HMAC-MD5 record MAC */
	CS_SHA1 = 1u << 23,     /* HMAC-SHA1 record MAC */
	CS_CAMELLIA = 1u << 24,
	CS_ARIA = 1u << 25,
	CS_CHACHA = 1u << 26,
	CS_GOST = 1u << 27,
	CS_NONSTD = 1u << 28,   /* not in the IANA registry (drafts, vendor ids, old ChaCha) */
};

struct hello_suite {
	uint16_t id;
	uint16_t bits;          /* nominal symmetric key bits (3DES = 168, NULL = 0) */
	const char *iana;       /* IANA name, NULL when the id was never registered */
	const char *openssl;    /* OpenSSL-style name, NULL when OpenSSL never had one */
	uint32_t flags;         /* enum hello_cs_flag */
};

/* The table, sorted by id (378 entries: every IANA TLS suite plus the
 * non-standard ones scanners know). Static storage. */
const struct hello_suite *hello_suites(size_t *n);
/* NULL if the id is not in the table. */
const struct hello_suite *hello_suite_find(uint16_t id);
/* The id of an IANA or OpenSSL-style name (case-insensitive), -1 if unknown. */
int hello_suite_by_name(const char *name);
/* A name for humans: OpenSSL-style if any, else IANA, else "0xNNNN"
 * written into out (>= 8 bytes). Returns out or a static string. */
const char *hello_suite_label(uint16_t id, char *out, size_t outlen);

/* SSLv2 CIPHER-KINDs (three bytes, RFC draft "The SSL Protocol" appendix C). */
struct hello_ssl2_kind {
	uint32_t id;
	const char *name;    /* SSL_CK_... */
	const char *openssl;
	uint32_t flags;      /* CS_EXPORT, CS_RC4, CS_DES, CS_3DES, CS_MD5 */
};
const struct hello_ssl2_kind *hello_ssl2_kinds(size_t *n);
const struct hello_ssl2_kind *hello_ssl2_find(uint32_t id);

/* ---------------------------------------------------------------- groups, signature schemes, alerts */

/* TLS supported groups (RFC 8422, 7919, 8446 4.2.7) */
enum {
	HELLO_GROUP_SECP256R1 = 23,
	HELLO_GROUP_SECP384R1 = 24,
	HELLO_GROUP_SECP521R1 = 25,
	HELLO_GROUP_X25519 = 29,
	HELLO_GROUP_X448 = 30,
	HELLO_GROUP_FFDHE2048 = 256,
	HELLO_GROUP_FFDHE3072 = 257,
	HELLO_GROUP_FFDHE4096 = 258,
	HELLO_GROUP_FFDHE6144 = 259,
	HELLO_GROUP_FFDHE8192 = 260,
};
const char *hello_group_name(uint16_t g);      /* "x25519", "secp256r1", ...; NULL if unknown */
bool hello_group_is_ffdhe(uint16_t g);
/* Every group id named by hello_group_name, in a sensible offering order
 * (strong and common first). Static storage. */
const uint16_t *hello_groups_all(size_t *n);
/* Whether hello_build can make a key_share for this group (x25519, x448,
 * secp256r1/384r1/521r1, ffdhe*). */
bool hello_group_has_share(uint16_t g);

const char *hello_sigalg_name(uint16_t s);     /* "rsa_pss_rsae_sha256", ...; NULL if unknown */
const uint16_t *hello_sigalgs_all(size_t *n);  /* every named scheme, strong first */

const char *hello_alert_name(uint8_t desc);    /* "handshake_failure", ...; NULL if unknown */
enum {
	HELLO_ALERT_CLOSE_NOTIFY = 0,
	HELLO_ALERT_HANDSHAKE_FAILURE = 40,
	HELLO_ALERT_ILLEGAL_PARAMETER = 47,
	HELLO_ALERT_DECODE_ERROR = 50,
	HELLO_ALERT_PROTOCOL_VERSION = 70,
	HELLO_ALERT_INSUFFICIENT_SECURITY = 71,
	HELLO_ALERT_INTERNAL_ERROR = 80,
	HELLO_ALERT_INAPPROPRIATE_FALLBACK = 86,
};

/* TLS extension types used here (IANA "ExtensionType Values"). */
enum {
	HELLO_EXT_TYPE_SERVER_NAME = 0,
	HELLO_EXT_TYPE_STATUS_REQUEST = 5,
	HELLO_EXT_TYPE_SUPPORTED_GROUPS = 10,
	HELLO_EXT_TYPE_EC_POINT_FORMATS = 11,
	HELLO_EXT_TYPE_SIGNATURE_ALGORITHMS = 13,
	HELLO_EXT_TYPE_HEARTBEAT = 15,
	HELLO_EXT_TYPE_ALPN = 16,
	HELLO_EXT_TYPE_PADDING = 21,
	HELLO_EXT_TYPE_ENCRYPT_THEN_MAC = 22,
	HELLO_EXT_TYPE_EXTENDED_MASTER_SECRET = 23,
	HELLO_EXT_TYPE_SESSION_TICKET = 35,
	HELLO_EXT_TYPE_SUPPORTED_VERSIONS = 43,
	HELLO_EXT_TYPE_COOKIE = 44,
	HELLO_EXT_TYPE_PSK_KEY_EXCHANGE_MODES = 45,
	HELLO_EXT_TYPE_KEY_SHARE = 51,
	HELLO_EXT_TYPE_RENEGOTIATION_INFO = 0xff01,
};

/* ---------------------------------------------------------------- builder */

/* Extensions hello_build adds (struct hello_opts.ext). */
enum hello_ext {
	HELLO_EXT_SNI = 1u << 0,            /* server_name (RFC 6066 3); needs opts.sni */
	HELLO_EXT_GROUPS = 1u << 1,         /* supported_groups (RFC 8422 5.1.1, RFC 7919) */
	HELLO_EXT_POINT_FORMATS = 1u << 2,  /* ec_point_formats: uncompressed (RFC 8422 5.1.2) */
	HELLO_EXT_SIGALGS = 1u << 3,        /* signature_algorithms (RFC 5246 7.4.1.4.1, 8446 4.2.3) */
	HELLO_EXT_RENEG = 1u << 4,          /* renegotiation_info, empty (RFC 5746 3.4) */
	HELLO_EXT_EMS = 1u << 5,            /* extended_master_secret (RFC 7627) */
	HELLO_EXT_TICKET = 1u << 6,         /* session_ticket, empty (RFC 5077 3.2) */
	HELLO_EXT_STATUS = 1u << 7,         /* status_request, OCSP, empty lists (RFC 6066 8) */
	HELLO_EXT_VERSIONS = 1u << 8,       /* supported_versions (RFC 8446 4.2.1) */
	HELLO_EXT_KEY_SHARE = 1u << 9,      /* key_share (RFC 8446 4.2.8) */
	HELLO_EXT_PSK_MODES = 1u << 10,     /* psk_key_exchange_modes: psk_dhe_ke (RFC 8446 4.2.9) */
	HELLO_EXT_PADDING = 1u << 11,       /* padding to opts.pad_to (RFC 7685) */
	HELLO_EXT_ETM = 1u << 12,           /* encrypt_then_mac (RFC 7366) */
};

#define HELLO_SUITES_MAX 4096   /* more than fits in one record anyway */
#define HELLO_RECORD_MAX 16384  /* TLSPlaintext.length limit, RFC 8446 5.1 / RFC 5246 6.2.1 */
#define HELLO_BUILD_MAX (5 + HELLO_RECORD_MAX)

struct hello_opts {
	uint16_t version;        /* HELLO_SSL2 .. HELLO_TLS13: what is offered */
	uint16_t record_version; /* 0 = default: 0x0300 for SSLv3, else 0x0301 (RFC 8446 5.1,
	                            the value every interoperable client uses) */
	uint16_t legacy_version; /* 0 = default: version, capped at 0x0303 (TLS 1.3 goes in
	                            supported_versions). For SSLv2 hellos: the version inside
	                            the CLIENT-HELLO (default 0x0002; 0x0301+ makes it a
	                            version-2-compatible hello for TLS, RFC 5246 E.2) */
	const uint16_t *suites;  /* cipher suite ids in preference order, SCSVs included */
	size_t nsuites;
	const uint32_t *ssl2_kinds; /* SSLv2 hello only: CIPHER-KINDs; NULL = every known kind,
	                               followed by the suites above as 0x00XXXX */
	size_t nssl2_kinds;
	const uint8_t *compression; /* compression methods; NULL = {0} (null only) */
	size_t ncompression;
	uint32_t ext;            /* enum hello_ext */
	const char *sni;         /* host name for HELLO_EXT_SNI */
	const uint16_t *groups;  /* supported_groups; NULL = the default list */
	size_t ngroups;
	const uint16_t *sigalgs; /* signature_algorithms; NULL = the default list */
	size_t nsigalgs;
	const uint16_t *versions;/* supported_versions; NULL = {version} */
	size_t nversions;
	const uint16_t *shares;  /* groups to send key shares for; NULL = the first of
	                            x25519, secp256r1 found in groups; nshares 0 with a
	                            non-NULL pointer = an empty client_shares (asks for HRR) */
	size_t nshares;
	size_t pad_to;           /* HELLO_EXT_PADDING: pad the handshake message to this many
	                            bytes (0 = 512, the F5 workaround of RFC 7685 section 1) */
	uint8_t random[32];      /* ClientHello.random; SSLv2: the first 16 bytes are the challenge */
	uint8_t session_id[32];
	uint8_t session_id_len;  /* 0..32 */
};

/* Defaults for a version, suites left NULL. Extensions (TLS 1.0+; none for
 * SSLv3 and SSLv2): supported_groups, ec_point_formats, status_request,
 * signature_algorithms from TLS 1.2 on, renegotiation_info + EMS +
 * session_ticket below TLS 1.3; for TLS 1.3 supported_versions, key_share,
 * psk_key_exchange_modes and a 32-byte legacy_session_id (middlebox
 * compatibility, RFC 8446 D.4). server_name only when the caller sets sni
 * and HELLO_EXT_SNI. */
void hello_opts_init(struct hello_opts *o, uint16_t version);

/*
 * Build the ClientHello as it goes on the wire (record header included) into
 * out. Returns the length, or -1 with a static reason in *why when the
 * options are invalid (unknown version, no suites, a key share for a group
 * without a known encoding, session id > 32) or the result does not fit in
 * cap / in one record (HELLO_RECORD_MAX).
 */
ssize_t hello_build(const struct hello_opts *o, uint8_t *out, size_t cap, const char **why);

/* ---------------------------------------------------------------- parser */

enum hello_kind {
	HELLO_NEED_MORE = 0,     /* no decision yet: read more */
	HELLO_SERVER_HELLO = 1,  /* a ServerHello (or HelloRetryRequest, r->hrr) */
	HELLO_ALERT = 2,         /* an alert record came first */
	HELLO_SSL2_HELLO = 3,    /* an SSLv2 SERVER-HELLO */
	HELLO_SSL2_ERROR = 4,    /* an SSLv2 ERROR message */
	HELLO_GARBAGE = -1,      /* not TLS at all (e.g. a plaintext SMTP reply) */
	HELLO_MALFORMED = -2,    /* TLS framing whose contents break the grammar */
};

/* Anomalies seen while parsing (flags; never fatal by themselves). */
enum hello_anomaly {
	HELLO_A_DUP_EXT = 1u << 0,         /* an extension twice (RFC 5246 7.4.1.4, RFC 8446 4.2) */
	HELLO_A_RECORD_VERSION = 1u << 1,  /* record version not 3.x matching expectations */
	HELLO_A_RENEG_NONEMPTY = 1u << 2,  /* renegotiation_info not empty on an initial handshake */
	HELLO_A_EMS_NONEMPTY = 1u << 3,    /* extended_master_secret with data (RFC 7627 5.1) */
	HELLO_A_LATE_ALERT = 1u << 4,      /* an alert after the ServerHello */
	HELLO_A_SKE_BAD = 1u << 5,         /* a Certificate or ServerKeyExchange we could not parse */
	HELLO_A_EMPTY_RECORD = 1u << 6,    /* a zero-length handshake record (RFC 5246 6.2.1) */
	HELLO_A_UNEXPECTED_MSG = 1u << 7,  /* a handshake message that has no place in this flight */
};

#define HELLO_EXTS_MAX 64
#define HELLO_SSL2_KINDS_MAX 64

struct hello_reply {
	enum hello_kind kind;
	const char *why;          /* static reason for GARBAGE/MALFORMED, "" otherwise */
	size_t consumed;          /* bytes of the messages decided on (HELLO, ALERT, SSLv2);
	                             0 for NEED_MORE, GARBAGE and MALFORMED */
	uint32_t anomalies;       /* enum hello_anomaly */

	/* alert (kind ALERT, or a late one with HELLO_A_LATE_ALERT) */
	uint8_t alert_level, alert_desc;

	/* ServerHello */
	uint16_t record_version;
	uint16_t legacy_version;  /* ServerHello.server_version */
	uint16_t version;         /* negotiated: supported_versions if present, else legacy */
	uint8_t random[32];
	bool hrr;                 /* HelloRetryRequest (RFC 8446 4.1.3 special random) */
	bool downgrade_sentinel;  /* random ends in DOWNGRD\x01 / \x00 (RFC 8446 4.1.3) */
	uint8_t session_id[32];
	uint8_t session_id_len;
	uint16_t cipher;
	uint8_t compression;
	bool has_extensions;      /* an extensions block was present (even empty) */
	size_t nexts;
	uint16_t exts[HELLO_EXTS_MAX]; /* extension types in the order received */
	bool ext_reneg;           /* renegotiation_info present (RFC 5746) */
	bool ext_ems;             /* extended_master_secret present (RFC 7627) */
	bool ext_ticket;          /* session_ticket present: a ticket will follow (RFC 5077) */
	bool ext_status;          /* status_request present: OCSP will be stapled */
	bool ext_etm;             /* encrypt_then_mac */
	uint16_t key_share_group; /* TLS 1.3: ServerHello key_share group, or HRR selected group */

	/* The rest of a TLS <= 1.2 server flight, when present in the buffer. */
	bool flight_done;         /* ServerHelloDone seen, or TLS 1.3 / HRR (the rest is
	                             encrypted), or an alert ended it */
	size_t cert_count;        /* certificates in the Certificate message */
	size_t cert_bytes;        /* length of the Certificate message body */
	bool cert_status;         /* a CertificateStatus message (OCSP stapled) */
	bool cert_request;        /* a CertificateRequest message */
	bool ske;                 /* a ServerKeyExchange was parsed */
	uint16_t ske_group;       /* ECDHE: the named curve; 0 otherwise */
	uint16_t ske_dh_bits;     /* DHE: bits of the prime p */
	uint16_t ske_sigalg;      /* TLS 1.2: signature scheme of the SKE; 0 otherwise */

	/* SSLv2 SERVER-HELLO / ERROR */
	uint16_t ssl2_version;
	uint16_t ssl2_error;
	size_t nssl2_kinds;
	uint32_t ssl2_kinds[HELLO_SSL2_KINDS_MAX];
};

/*
 * Parse what a server answered to a ClientHello. buf may hold several
 * records, partial data, or anything at all; it is parsed from its start
 * every call (stateless), so feed the whole buffer received so far.
 * Returns the kind (also in r->kind). Every length field is checked
 * against its container and its RFC limit; nothing is read past len.
 * For TLS <= 1.2, r->flight_done tells whether the Certificate ..
 * ServerHelloDone part has been read too (for the SKE facts).
 * Allocates scratch memory only when handshake messages span records.
 */
enum hello_kind hello_parse(const uint8_t *buf, size_t len, struct hello_reply *r);

/* "need more", "ServerHello", "alert", "SSLv2 server hello", "SSLv2 error",
 * "garbage", "malformed". */
const char *hello_kind_name(enum hello_kind k);

#endif

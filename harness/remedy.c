/* SPDX-License-Identifier: MIT */
/*
 * remedy: the remedies table (what it means, why it matters, how to fix it
 * on Postfix, Exim, OpenSMTPD, Sendmail and Haraka) and its lookup by
 * catalog id. Data only: no formatting, no verdicts; the reports and the
 * catalog render it. A group shares one text where the checks share a
 * cause and a fix; where no setting changes the behaviour (it is the MTA's
 * code), the fix is NULL and the readers say so (remedy_no_setting).
 */
#include "remedy.h"

#include <string.h>

const char *const remedy_mta_name[REMEDY__MTAS] = {"Postfix", "Exim", "OpenSMTPD", "Sendmail", "Haraka"};

const char remedy_no_setting[] =
    "no setting changes this: it is how the software's code behaves. Upgrade to a current "
    "release, or report it to the vendor with the evidence below.";

const char remedy_no_setting_short[] = "no setting: the code; upgrade, or report it to the vendor";

const char remedy_sources[] =
    "Setting names checked against Postfix postconf(5) and HISTORY (3.7, Debian 12), the Exim specification "
    "(doc/doc-docbook/spec.xfpt) and ChangeLog, OpenSMTPD smtpd.conf(5), sendmail cf/README, "
    "doc/op/op.me and RELEASE_NOTES (8.18), and Haraka's docs/plugins/tls.md, docs/Outbound.md "
    "and docs/plugins/auth/flat_file.md (3.1).";

/* Fixes of the certificate a server presents: the files to install. */
#define CERT_FIX_POSTFIX "`smtpd_tls_chain_files` (the key, then the certificate, then its intermediates)"
#define CERT_FIX_EXIM "`tls_certificate` (the certificate followed by its intermediates) and `tls_privatekey`"
#define CERT_FIX_OPENSMTPD "`pki NAME cert FILE` (full chain) and `pki NAME key FILE`, used by `listen on ... tls pki NAME`"
#define CERT_FIX_SENDMAIL "`confSERVER_CERT`, `confSERVER_KEY` and `confCACERT` (the intermediates)"
#define CERT_FIX_HARAKA "`cert` and `key` in config/tls.ini (the certificate with its intermediates appended), or a PEM bundle per name in config/tls/"

static const struct remedy table[] = {
    {"S-01 S-02 S-11", "STARTTLS offered and working",
     "The server does not offer STARTTLS in its EHLO reply, or the TLS handshake after its 220 "
     "fails.",
     "Without STARTTLS every message and credential crosses the network in clear; a sender "
     "cannot protect mail to this server (RFC 3207).",
     {"`smtpd_tls_security_level = may` with a certificate in " CERT_FIX_POSTFIX,
      "`tls_advertise_hosts = *` with " CERT_FIX_EXIM, "`listen on ... tls pki NAME` with " CERT_FIX_OPENSMTPD,
      CERT_FIX_SENDMAIL " (STARTTLS is offered once a certificate is configured)",
      "the `tls` plugin in config/plugins with " CERT_FIX_HARAKA}},
    {"S-08 S-09", "Command injection across STARTTLS (CVE-2011-0411)",
     "Commands sent in plaintext behind STARTTLS were executed inside the TLS session: the server "
     "kept its plaintext input buffer across the switch to TLS.",
     "A man in the middle can inject commands that the server runs as if the authenticated, "
     "encrypted client had sent them (RFC 3207 6; CVE-2011-0411, CVE-2021-33515).",
     {"upgrade: Postfix discards plaintext that follows STARTTLS since 2.8 (HISTORY, 20110105)",
      NULL, NULL, NULL, NULL}},
    {"S-03 S-04 S-05 S-06 S-07 S-10", "The STARTTLS state machine",
     "The server keeps state across STARTTLS that RFC 3207 says it must discard (the EHLO, an open "
     "transaction, the STARTTLS offer), or answers STARTTLS where it must refuse it.",
     "State carried over from the plaintext part of a session is state an attacker could have "
     "chosen; a second STARTTLS or a lost pipeline breaks clients (RFC 3207 4.2; RFC 2920).",
     {NULL, NULL, NULL, NULL, NULL}},
    {"S-15 S-16", "Plaintext after TLS",
     "After a failed handshake or a close_notify the server went on answering in plaintext on the "
     "same connection.",
     "A client that believes it is protected can be talked into going on in clear; RFC 3207 4 "
     "requires the connection to be dropped or the handshake to succeed.",
     {NULL, NULL, NULL, NULL, NULL}},
    {"S-17 S-18 S-19 S-20", "SMTP framing and replies",
     "Replies break the RFC 5321 grammar (bare LF, codes out of range), junk before STARTTLS breaks "
     "the session, or throttling was mistaken for a missing feature.",
     "Clients parse replies strictly; a server that answers outside the grammar or dies on junk "
     "input loses mail or can be driven into states nobody tested (RFC 5321 4.2, 3.8).",
     {NULL, NULL, NULL, NULL, NULL}},
    {"S-12", "Credentials only inside TLS",
     "AUTH is offered or accepted before STARTTLS, or a submission server accepts mail before TLS.",
     "A password sent before TLS is readable by anyone on the path (RFC 3207 4; RFC 8314 4.1).",
     {"`smtpd_tls_auth_only = yes`; on the submission service `smtpd_tls_security_level = encrypt`",
      "`auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}`; for submission, an ACL that denies "
      "unless `encrypted = *`",
      "AUTH is advertised only inside TLS; on the submission listener use `tls-require` with `auth`",
      "`confAUTH_OPTIONS` with `p` (no PLAIN or LOGIN without a security layer)",
      "the auth plugins (e.g. `auth/flat_file`) advertise AUTH only after STARTTLS: keep them behind "
      "the `tls` plugin"}},
    {"S-13", "A public MX accepts mail without TLS",
     "The MX refused mail before STARTTLS.",
     "Senders that cannot do TLS (or whose TLS fails) must still be able to deliver to a public MX; "
     "RFC 3207 4 forbids requiring it there.",
     {"`smtpd_tls_security_level = may`, not `encrypt`, on port 25",
      "no ACL that denies unencrypted sessions on port 25",
      "`listen on ... tls`, not `tls-require`, on port 25", "the default (STARTTLS offered, not required)",
      "the default (`tls` plugin; no plugin that rejects plaintext on port 25)"}},
    {"S-21", "SMTP smuggling",
     "An end-of-data sequence with a bare CR or LF ended the message: a second message hidden in "
     "the first was accepted.",
     "A sender can smuggle a message with a forged envelope past SPF and DMARC checks "
     "(CVE-2023-51764, CVE-2023-51765, CVE-2023-51766).",
     {"`smtpd_forbid_bare_newline = normalize` (the default from Postfix 3.9)",
      "upgrade to Exim 4.97.1 or later (ChangeLog JH/12: a bare LF dot no longer ends DATA)", NULL,
      "the `srv_features` option `o` (sendmail 8.18.1: only CR LF . CR LF ends a message)", NULL}},
    {"T-01 T-02 T-03 T-04 T-05", "TLS protocol versions",
     "The server accepts SSL 2, SSL 3, TLS 1.0 or TLS 1.1, or does not offer TLS 1.2 or TLS 1.3.",
     "The old versions have known attacks and are deprecated (RFC 6176, RFC 7568, RFC 8996); "
     "RFC 9325 asks for TLS 1.2 and TLS 1.3.",
     {"`smtpd_tls_protocols = >=TLSv1.2` and `smtpd_tls_mandatory_protocols = >=TLSv1.2`",
      "`openssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1` (OpenSSL builds)",
      "`listen on ... protocols \"tlsv1.2,tlsv1.3\"`",
      "`confSERVER_SSL_OPTIONS` with `+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 "
      "+SSL_OP_NO_TLSv1_1`",
      "`minVersion=TLSv1.2` in config/tls.ini"}},
    {"T-06 T-07 T-09 T-10", "Cipher suites and key exchange",
     "The server accepts NULL, EXPORT, RC4, DES, 3DES, MD5 or anonymous suites, lacks an AEAD suite, "
     "prefers a key exchange without forward secrecy, uses DH under 2048 bits, or signs the key "
     "exchange with SHA-1 or MD5.",
     "Weak suites can be broken or downgraded to (RFC 7465, RFC 9325 4.1); without forward secrecy "
     "a stolen key decrypts recorded sessions.",
     {"`smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5` and "
      "`smtpd_tls_mandatory_ciphers = high`; 2048-bit DH in `smtpd_tls_dh1024_param_file`",
      "`tls_require_ciphers` (an OpenSSL or GnuTLS cipher list without them); `tls_dhparam`",
      "`listen on ... ciphers \"...\"`; `pki NAME dhe auto`", "`confCIPHER_LIST`; `confDH_PARAMETERS`",
      "`ciphers` and `dhparam` in config/tls.ini"}},
    {"T-08", "Server cipher order",
     "The server lets the client choose the cipher suite.",
     "A client that lists a weak suite first gets it even when both sides support a better one "
     "(RFC 9325 4.2.1).",
     {"`tls_preempt_cipherlist = yes`", "`openssl_options = +cipher_server_preference`",
      "no setting in smtpd.conf(5): the `ciphers` list is used in the TLS library's order",
      "`confSERVER_SSL_OPTIONS` with `+SSL_OP_CIPHER_SERVER_PREFERENCE`", "`honorCipherOrder=true` in config/tls.ini"}},
    {"T-11 T-12 T-14 T-19", "TLS protocol features",
     "The server accepts TLS compression, lacks secure renegotiation, extended master secret or "
     "TLS_FALLBACK_SCSV.",
     "Compression leaks secrets (CRIME, RFC 7457); the others close known downgrade and "
     "renegotiation attacks (RFC 5746, RFC 7627, RFC 7507).",
     {"`tls_ssl_options = NO_COMPRESSION`; the rest comes with a current OpenSSL",
      "`openssl_options = +no_compression`; the rest comes with a current TLS library",
      NULL, "`confSERVER_SSL_OPTIONS` with `+SSL_OP_NO_COMPRESSION`; the rest comes with a current OpenSSL",
      NULL}},
    {"T-17 T-21", "Resumption and OCSP stapling",
     "The server does not resume TLS sessions or does not staple an OCSP response (information).",
     "Resumption saves a full handshake per connection; stapling lets a client check revocation "
     "without asking the CA (RFC 5077, RFC 6066 8).",
     {"`smtpd_tls_session_cache_database`", "`tls_resumption_hosts`; `tls_ocsp_file`", NULL, NULL,
      "`requestOCSP=true` in config/tls.ini"}},
    {"X-01 X-03 X-04 X-05 X-06", "The certificate",
     "The certificate chain does not verify: it is self-signed, expired or not yet valid, misses "
     "an intermediate, has a weak key (RSA under 2048 bits, EC under 256) or a SHA-1 or MD5 "
     "signature.",
     "A sender that authenticates the MX (MTA-STS, DANE, or a policy of its own) refuses to "
     "deliver; others cannot tell this server from a man in the middle (RFC 5280 6, RFC 8314).",
     {CERT_FIX_POSTFIX, CERT_FIX_EXIM, CERT_FIX_OPENSMTPD, CERT_FIX_SENDMAIL, CERT_FIX_HARAKA}},
    {"X-02 X-07 X-08 X-10", "Names in the certificate",
     "The certificate does not name the host the client asked for (as a DNS subjectAltName, "
     "wildcards only as a whole left-most label), or another certificate is served without SNI.",
     "MTA-STS and RFC 7817 clients match the MX host name against the certificate; a mismatch "
     "blocks delivery (RFC 6125 6, RFC 8461 4.2).",
     {"a certificate for the MX host name; per-name certificates with `tls_server_sni_maps`",
      "a certificate for the MX host name; `tls_certificate` may be expanded on `$tls_in_sni`",
      "a certificate for the MX host name in the `pki` of its listener",
      "a certificate for the MX host name in `confSERVER_CERT`",
      "a certificate for the MX host name; per-name PEM bundles in config/tls/ are chosen by SNI"}},
    {"C-01 C-02 C-03 C-04 C-05 C-11 C-12 C-13 C-14", "A client that must protect mail",
     "The client went on in plaintext after STARTTLS was stripped, refused or broken, sent "
     "credentials in clear, or accepted a certificate or TLS version it should refuse.",
     "A man in the middle who strips STARTTLS or presents his own certificate reads the mail and the "
     "password (RFC 3207 6; CVE-2016-0772).",
     {"`smtp_tls_security_level = encrypt` (or `verify`/`secure`), per destination with "
      "`smtp_tls_policy_maps`; `smtp_tls_mandatory_protocols = >=TLSv1.2`",
      "on the smtp transport: `hosts_require_tls` and `tls_verify_certificates`",
      "`action NAME relay tls` (without `no-verify`)",
      "access map entries `TLS_Srv:` with `VERIFY` or `ENCR:bits`",
      "`force_tls_hosts[]` in the `[outbound]` section of config/tls.ini"}},
    {"C-06 C-07 C-08 C-09 C-10 C-15 C-16 C-17 C-18 C-19", "The client's STARTTLS state machine",
     "The client read replies that arrived before the handshake as if they came inside TLS, kept "
     "capabilities from before TLS, sent a second STARTTLS, or misparsed a reply.",
     "Data an attacker injected in plaintext is believed as if the server had sent it inside TLS "
     "(CVE-2020-14954, CVE-2021-38371).",
     {NULL, NULL, NULL, NULL, NULL}},
};

const struct remedy *remedy_all(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

/* Is id[0..len) one of the space separated words of ids? */
static int listed(const char *ids, const char *id, size_t len)
{
	for (const char *w = ids; *w;) {
		size_t wl = strcspn(w, " ");
		if (wl == len && strncmp(w, id, len) == 0)
			return 1;
		w += wl;
		w += strspn(w, " ");
	}
	return 0;
}

const struct remedy *remedy_find(const char *catalog_id)
{
	size_t len = strlen(catalog_id);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (len > 0 && listed(table[i].ids, catalog_id, len))
			return &table[i];
		/* "S-09a" under "S-09" */
		if (len == 5 && catalog_id[4] >= 'a' && catalog_id[4] <= 'z' &&
		    listed(table[i].ids, catalog_id, 4))
			return &table[i];
	}
	return NULL;
}

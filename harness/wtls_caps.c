/* SPDX-License-Identifier: MIT */
/*
 * wtls_caps: what this wolfSSL build can do and what a config offers by
 * default, part of the TLS wrapper (wtls.h): the feature queries
 * (wtls_has, wtls_tls10_supported), the SKIP reason that names the build
 * (wtls_lacks_reason), wtls_build_info, and the two suite lists wtls.c
 * hands wolfSSL (the strict default offer, the legacy "everything").
 * Never configures or opens a connection; nothing mutable but what
 * pthread_once writes.
 */
#include "wtls_int.h"

#include <pthread.h>
#include <stdio.h>

#include "util.h"

/* The explicit default offer of every config: the suites Debian's wolfSSL
 * 5.5.4 lists for a default session (TLS 1.3, ECDHE/DHE, the PSK suites
 * it only sends with a PSK callback) less anon and NULL ones, so a bundled build that also has static RSA/DH,
 * SSLv3 and TLS 1.0 offers exactly what the system build does unless a
 * scenario or probe asks for more (wtls_config_set_legacy, `tls ciphers`). */
const char wtls_default_suites[] =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "TLS13-AES128-CCM-SHA256:TLS13-AES128-CCM-8-SHA256:TLS13-SHA256-SHA256:TLS13-SHA384-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:"
    "DHE-PSK-AES256-GCM-SHA384:DHE-PSK-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-RC4-SHA:"
    "ECDHE-ECDSA-DES-CBC3-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-RC4-SHA:"
    "ECDHE-RSA-DES-CBC3-SHA:ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES128-CCM-8:"
    "ECDHE-ECDSA-AES256-CCM-8:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA256:EDH-RSA-DES-CBC3-SHA:"
    "ECDHE-ECDSA-CHACHA20-POLY1305-OLD:ECDHE-RSA-CHACHA20-POLY1305-OLD:"
    "DHE-RSA-CHACHA20-POLY1305-OLD:DHE-PSK-AES256-CBC-SHA384:"
    "DHE-PSK-AES128-CBC-SHA256:DHE-PSK-AES128-CCM:DHE-PSK-AES256-CCM:PSK-CHACHA20-POLY1305:"
    "ECDHE-PSK-CHACHA20-POLY1305:DHE-PSK-CHACHA20-POLY1305:ECDHE-PSK-AES128-CBC-SHA256:"
    "ECDHE-PSK-AES128-GCM-SHA256:"
    "DHE-RSA-CAMELLIA128-SHA:DHE-RSA-CAMELLIA256-SHA:DHE-RSA-CAMELLIA128-SHA256:"
    "DHE-RSA-CAMELLIA256-SHA256";

/* Every suite the build has, strongest first as wolfSSL orders them, then
 * what "ALL" leaves out (anon, NULL). */
const char wtls_legacy_suites[] = "ALL:aNULL:eNULL";

bool wtls_tls10_supported(void)
{
	return wtls_has(WTLS_F_TLS10);
}

bool wtls_has(enum wtls_feature f)
{
	switch (f) {
	case WTLS_F_TLS10:
		/* Debian builds wolfSSL without WOLFSSL_ALLOW_TLSV10: TLS 1.0 is
		 * then compiled out and set_min_proto_version(TLS1_VERSION)
		 * silently becomes TLS 1.1. */
#if defined(WOLFSSL_ALLOW_TLSV10) && !defined(NO_OLD_TLS)
		return true;
#else
		return false;
#endif
	case WTLS_F_SSL3:
#if defined(WOLFSSL_ALLOW_SSLV3) && !defined(NO_OLD_TLS)
		return true;
#else
		return false;
#endif
	case WTLS_F_STATIC_RSA:
#ifdef WOLFSSL_STATIC_RSA
		return true;
#else
		return false;
#endif
	case WTLS_F_RENEGOTIATION:
#ifdef HAVE_SECURE_RENEGOTIATION
		return true;
#else
		return false;
#endif
	case WTLS_F_EARLY_DATA:
#if defined(WOLFSSL_EARLY_DATA) && defined(HAVE_SESSION_TICKET)
		return true;
#else
		return false;
#endif
	}
	return false;
}

static const char *feature_name(enum wtls_feature f)
{
	switch (f) {
	case WTLS_F_TLS10: return "TLS 1.0";
	case WTLS_F_SSL3: return "SSLv3";
	case WTLS_F_STATIC_RSA: return "static RSA key exchange";
	case WTLS_F_RENEGOTIATION: return "client- and server-initiated renegotiation";
	case WTLS_F_EARLY_DATA: return "TLS 1.3 early data";
	}
	return "this feature";
}

/* Written once (pthread_once), read-only after. */
static char lacks_text[WTLS_F_EARLY_DATA + 1][160];
static char build_info[256];
static pthread_once_t info_once = PTHREAD_ONCE_INIT;

static void fill_info(void)
{
	for (int f = 0; f <= WTLS_F_EARLY_DATA; f++)
		snprintf(lacks_text[f], sizeof lacks_text[f],
		         "needs stark's bundled wolfSSL: %s lacks %s",
#ifdef STARK_WOLFSSL_BUNDLED
		         "this bundled wolfSSL build",
#else
		         "Debian's libwolfssl",
#endif
		         feature_name((enum wtls_feature)f));
	struct buf b = {0};
	buf_appendf(&b, "wolfSSL %s (%s: ", LIBWOLFSSL_VERSION_STRING,
#ifdef STARK_WOLFSSL_BUNDLED
	            "bundled"
#else
	            "Debian libwolfssl, system"
#endif
	);
	if (wtls_has(WTLS_F_STATIC_RSA))
		buf_appendf(&b, "static RSA/DH, ");
	buf_appendf(&b, "%s-1.3",
	            wtls_has(WTLS_F_SSL3) ? "SSLv3" : wtls_has(WTLS_F_TLS10) ? "TLS 1.0" : "TLS 1.1");
	if (wtls_has(WTLS_F_RENEGOTIATION))
		buf_appendf(&b, ", renegotiation");
	if (wtls_has(WTLS_F_EARLY_DATA))
		buf_appendf(&b, ", early data");
	buf_appendf(&b, ")");
	snprintf(build_info, sizeof build_info, "%s", buf_cstr(&b));
	buf_free(&b);
}

const char *wtls_lacks_reason(enum wtls_feature f)
{
	pthread_once(&info_once, fill_info);
	return lacks_text[(unsigned)f <= WTLS_F_EARLY_DATA ? (unsigned)f : 0];
}

const char *wtls_build_info(void)
{
	pthread_once(&info_once, fill_info);
	return build_info;
}


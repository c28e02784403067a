/* SPDX-License-Identifier: MIT */
/*
 * refsrv: stark's embedded reference target on a loopback socket, a small
 * SMTP server with STARTTLS built on the same core (conn, wtls, cert) that
 * drives the pure session of refsess.h (which also defines the FLAW_* bits
 * it plants); the flaws' command-line names live here.
 */
#ifndef STARK_REFSRV_H
#define STARK_REFSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refsess.h"

/* TLS 1.3 suites and the forward-secret AEAD TLS 1.2 suites (BCP 195). */
#define REFSRV_DEFAULT_CIPHERS                                                             \
	"TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"   \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                         \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"

struct refsrv_opts {
	/* the session's (struct refsess_opts) */
	unsigned flaws;        /* enum refsess_flaw bits */
	bool submission;       /* RFC 3207 4: 530 before STARTTLS; AUTH only inside TLS */
	bool no_tls;           /* a listener without TLS: STARTTLS not offered, answered 502 */
	const char *hostname;  /* greeting/EHLO name; default "stark.test" */
	/* the server's */
	const char *servername;/* the name its certificate is issued for; default "localhost" */
	const char *cert;      /* certificate variant name (cert.h); default "good" */
	uint16_t tls_vmin, tls_vmax; /* 0 = TLS 1.2 .. 1.3 */
	const char *ciphers;   /* NULL = REFSRV_DEFAULT_CIPHERS */
	int64_t idle_timeout_ms; /* per read; default 10000 */
};

struct refsrv;
/* Listen on host:port (port "0" = any free port) and serve in background
 * threads until refsrv_stop. NULL with err on failure. */
struct refsrv *refsrv_start(const struct refsrv_opts *o, const char *host, const char *port,
                            char *err, size_t errlen);
int refsrv_port(const struct refsrv *r);
const char *refsrv_ca_pem(const struct refsrv *r); /* CA of its certificate */
void refsrv_stop(struct refsrv *r);

/* "inject,keep-state" -> bits. 0 ok, -1 with err. "all" = every flaw. */
int refsrv_flaw_parse(const char *list, unsigned *flaws, char *err, size_t errlen);
const char *refsrv_flaw_name(unsigned bit);
const char *refsrv_flaw_help(unsigned bit);

#endif

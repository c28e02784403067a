/* SPDX-License-Identifier: MIT */
/*
 * exec: the scripted peer. Turns a scenario's steps into actions on a conn,
 * bytes into events (reply, close, silence, TLS outcome), matches them
 * against expectations and alternatives, and always ends in a verdict with
 * a reason that names the scenario line. Never touches sockets directly.
 */
#ifndef STARK_EXEC_H
#define STARK_EXEC_H

#include <signal.h>
#include <stdint.h>

#include "result.h"
#include "scenario.h"
#include "wtls.h"

struct exec_opts {
	const char *host, *port;   /* target (stark is the client) */
	const char *servername;    /* SNI and name to verify; NULL: host */
	const char *helo;          /* ${helo} */
	int64_t timeout_ms;        /* every connect, expectation and handshake */
	const char *profile;       /* "mx" or "submission" */
	struct wtls_config *tls;   /* default client config (trust anchors); shared, read-only */
	const char *ca_file;       /* for per-step configs (tls version/ciphers options) */
	bool system_ca;
	const volatile sig_atomic_t *stop; /* SIGINT/SIGTERM flag, may be NULL */
};

/* Connect to o->host:o->port and play s. Fills r completely (r is zeroed
 * first). Never fails: every outcome is a verdict. */
void exec_run(const struct scenario *s, const struct exec_opts *o, struct result *r);
/* Play s over an already connected socket (takes ownership of fd). */
void exec_run_fd(const struct scenario *s, const struct exec_opts *o, int fd, struct result *r);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * exec: the scripted peer, in both roles. Turns a scenario's steps into
 * actions on a conn, bytes into events (reply or command, close, silence,
 * TLS outcome), matches them
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

struct cert_set;

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
	/* Client role (stark serve): stark is the server. */
	const char *trigger;       /* shell command line that makes the client connect (CLI only) */
	int64_t start_ms;          /* how long the trigger may take to connect, and to exit after
	                            * stark closed (a client's own
	                            * start-up: Node, a JVM, a loaded machine); 0: timeout_ms */
	const char *listen_host;   /* default 127.0.0.1 */
	const char *listen_port;   /* "0": a free port per scenario */
	const char *ca_path;       /* STARK_CA: PEM of the CA of stark's certificates */
	struct cert_set *certs;    /* certificate variants for `tls cert NAME` (thread-safe) */
};

/* Connect to o->host:o->port and play s. Fills r completely (r is zeroed
 * first). Never fails: every outcome is a verdict. */
void exec_run(const struct scenario *s, const struct exec_opts *o, struct result *r);
/* Play s over an already connected socket (takes ownership of fd), in the
 * role the scenario's target asks for. */
void exec_run_fd(const struct scenario *s, const struct exec_opts *o, int fd, struct result *r);
/* Client role: listen, start o->trigger, accept its one connection, play s
 * as the server, then wait (bounded) for the trigger and record its exit
 * status and output. Never fails: every outcome is a verdict. */
void exec_serve(const struct scenario *s, const struct exec_opts *o, struct result *r);

#endif

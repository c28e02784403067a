/* SPDX-License-Identifier: MIT */
/*
 * support: scaffolding shared by the Check suites, one copy each.
 *  - support_fd_recv/send: blocking wtls I/O callbacks over a socket whose
 *    descriptor is *(int *)ctx (socketpair or loopback TCP).
 *  - SUPPORT_TABLE_TEST: a named Check test over the table rows named after it.
 *  - support_rand: the seeded xorshift64* of the property and mutation tests.
 *  - support_slurp / support_golden: golden files under tests/golden;
 *    STARK_UPDATE_GOLDEN=1 rewrites them instead of comparing.
 *  - support_socketpair, support_thread_start/join, support_pair_run,
 *    support_stop_later: the thread peer (a function on one end of a
 *    socketpair in a thread, joined with a deadline), the interruption helper.
 *  - support_certs: stark's certificates, made once per test case.
 *  - support_hello_opts, support_listen, support_closed_port,
 *    support_refsrv_start: a test hello, a loopback listener on a free
 *    port, a closed port, the reference target on a free port.
 *  - support_peer_*: a scripted SMTP peer on 127.0.0.1:0 in a thread,
 *    driven by a small declarative script (see support_peer_start).
 */
#ifndef STARK_TEST_SUPPORT_H
#define STARK_TEST_SUPPORT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

ssize_t support_fd_recv(void *ctx, uint8_t *buf, size_t len);
ssize_t support_fd_send(void *ctx, const uint8_t *buf, size_t len);

/* A Check test that runs every table row named after it:
 * runner(#name) must assert that there was at least one. */
#define SUPPORT_TABLE_TEST(name, runner)                                                           \
	START_TEST(name) { runner(#name); }                                                        \
	END_TEST

/* xorshift64*: the next pseudo-random number from *state (seeded by the
 * caller, never 0), the same sequence on every libc. */
uint32_t support_rand(uint64_t *state);

/* ---- golden files ---- */

/* The whole file, NUL-terminated (len excludes the NUL); NULL if missing. */
char *support_slurp(const char *path, size_t *len);
/* STARK_UPDATE_GOLDEN=1 is set: write goldens instead of comparing. */
bool support_update_golden(void);
/* Compare got[0..len) with the golden file at path byte for byte (a Check
 * failure names the first differing byte and leaves the actual output in
 * /tmp/stark-golden-<basename>); in update mode write it instead, creating
 * the file's directory if needed. */
void support_golden(const char *path, const void *got, size_t len);

/* ---- thread peers ---- */

/* A connected AF_UNIX stream pair (close-on-exec). timeout_s > 0: reads and
 * writes on both ends give up after that long, so a stuck peer cannot hang
 * the test; 0: plain blocking sockets. */
void support_socketpair(int sv[2], int timeout_s);
/* Run fn(arg) in a new thread (a Check failure if it cannot start). */
pthread_t support_thread_start(void *(*fn)(void *), void *arg);
/* Wait for the thread at most deadline_ms: a Check failure if it is still
 * running then (the test fails rather than hangs). */
void support_thread_join(pthread_t t, int deadline_ms);
/* The thread peer pair: a socketpair with 10 s timeouts, its ends in
 * *srv_fd and *cli_fd; srv_fn(srv) runs in a thread, cli_fn(cli) in this
 * one (neither may use Check's asserts: they record, the test asserts);
 * then the thread is joined and both ends closed. */
void support_pair_run(void *(*srv_fn)(void *), void *srv, int *srv_fd, void *(*cli_fn)(void *),
                      void *cli, int *cli_fd);
/* A thread that sets *flag = 1 after ms and records when in *set_at
 * (mono_ms; may be NULL). Join it with support_thread_join. */
pthread_t support_stop_later(volatile sig_atomic_t *flag, int ms, int64_t *set_at);

/* ---- stark's certificates (an unchecked fixture) ---- */

#define SUPPORT_SERVERNAME "mail.stark.test"
struct cert_set;
/* Every variant of stark's certificates for SUPPORT_SERVERNAME: made by
 * support_certs_setup (with wtls_global_init), freed by the teardown.
 * Use them as tcase_add_unchecked_fixture(tc, setup, teardown). */
extern struct cert_set *support_certs;
void support_certs_setup(void);
void support_certs_teardown(void);

/* ---- hellos and ports ---- */

struct hello_opts;
/* hello_opts_init(o, version) offering suites[0..n) (a test hello's usual start). */
void support_hello_opts(struct hello_opts *o, uint16_t version, const uint16_t *suites, size_t n);
/* A listener on 127.0.0.1, a free port (its number in port). */
int support_listen(char port[16]);
/* A loopback port nobody listens on (bound, then closed) into port. */
void support_closed_port(char port[16]);

/* ---- the reference target ---- */

struct refsrv;
struct refsrv_opts;
/* refsrv on 127.0.0.1, a free port (its number in port); o NULL: defaults. */
struct refsrv *support_refsrv_start(const struct refsrv_opts *o, char port[16]);

/* ---- scripted peer ---- */

/*
 * A peer that accepts one connection on 127.0.0.1 (port in portstr) and
 * plays script, one step per line:
 *   < BYTES       one write of BYTES (escapes \r \n \t \\ \xHH; nothing added)
 *   > BYTES       read until BYTES has arrived (after the last match)
 *   sleep MS      pause
 *   close         close now (otherwise the peer waits for the client to close)
 *   hello         read a TLS record header (the ClientHello)
 *   read          read whatever comes next (at least one byte)
 *   silent        say nothing until the client closes
 *   drip          one 'a' every 100 ms until the client closes
 *   flood N BYTES BYTES repeated, N bytes in all (0: until the client closes)
 *   garbage       seeded pseudo-random bytes until the client closes
 * No peer lives longer than SUPPORT_PEER_BUDGET_MS. A script that does not
 * parse is a Check failure in support_peer_start.
 */
#define SUPPORT_PEER_BUDGET_MS 5000

struct support_step;

struct support_peer {
	int lfd, fd;
	char portstr[16];
	pthread_t t;
	struct support_step *steps;
	size_t nsteps;
	struct buf rx;      /* everything received */
	size_t cursor;      /* end of the last '>' match (or of what hello/read took) */
	size_t mark;        /* where what the last hello/read took starts in rx */
	bool accepted;
	char failed[256];   /* the script did not go as written ("" if it did) */
	bool client_closed; /* the peer saw the client close */
	int64_t t_start;
};

struct support_peer *support_peer_start(const char *script);
/* Wait for the peer's thread (bounded by its budget) and close the listener. */
void support_peer_join(struct support_peer *p);
void support_peer_free(struct support_peer *p);

#endif

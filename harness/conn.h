/* SPDX-License-Identifier: MIT */
/*
 * conn: one TCP connection, and the only owner of sockets in stark (no other
 * file calls socket/poll/accept/close/getpeername/setsockopt on a network
 * descriptor or reads c->fd). Connect/listen/accept, one input buffer,
 * deadline-bounded reads (monotonic clock), one send = one write(2) (or one
 * TLS record), and the switch to TLS through wtls. Every byte read or
 * written is added to the transcript before anyone parses it. Knows how many
 * plaintext bytes were buffered at the TLS switch. Never parses SMTP.
 */
#ifndef STARK_CONN_H
#define STARK_CONN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transcript.h"
#include "util.h"
#include "wtls.h"

#define CONN_READ_CHUNK 16384
#define CONN_INBUF_MAX (256u * 1024u) /* more unconsumed input than this is hostile */

enum conn_status {
	CONN_OK = 0,
	CONN_EOF = -1,     /* orderly close or reset by the peer */
	CONN_TIMEOUT = -2, /* deadline passed */
	CONN_ERROR = -3,   /* I/O or TLS error, see conn->err */
	CONN_STOPPED = -4, /* the process is being interrupted (SIGINT/SIGTERM) */
};

/*
 * An optional I/O seam: when c->io is set, conn calls these instead of
 * poll/recv/send on c->fd (fuzz targets drive conn over memory this way;
 * fd may then be -1). recv and send return as recv(2)/send(2), -1 with
 * errno; wait returns as poll(2) for one descriptor and sets *revents.
 */
struct conn_io {
	ssize_t (*recv)(void *ctx, void *buf, size_t n);
	ssize_t (*send)(void *ctx, const void *buf, size_t n);
	int (*wait)(void *ctx, short events, short *revents, int timeout_ms);
	void *ctx;
};

struct conn {
	int fd;
	const struct conn_io *io; /* NULL: the socket fd */
	struct buf in;            /* bytes received and not yet consumed (plaintext or decrypted) */
	struct transcript *tr;    /* borrowed; may be NULL */
	struct wtls *tls;         /* NULL while plaintext */
	int64_t deadline;         /* absolute mono_ms() for the current operation; 0 = none */
	bool eof;                 /* peer closed (or reset) */
	size_t rx_total;          /* bytes ever received on this connection (all layers) */
	size_t switched_discarded;/* plaintext bytes buffered and discarded at the TLS switch */
	struct buf glue;          /* prepended to the next raw write (first TLS record) */
	bool gather;              /* TLS records of one conn_send collect in out ... */
	struct buf out;           /* ... and leave in one write(2) */
	const volatile sig_atomic_t *stop; /* set by signal handlers; may be NULL */
	bool tls_tried;           /* a handshake was attempted */
	bool tls_ok;              /* ... and the last one completed */
	struct wtls_facts facts;  /* facts of the last handshake (copied: survive failure) */
	bool close_notify;        /* the peer ended TLS with close_notify (TCP still open) */
	bool in_handshake;
	struct buf hs_raw;        /* raw bytes received during the last handshake (capped), evidence */
	char err[256];
};

void conn_init(struct conn *c, int fd, struct transcript *tr);
/* Connect to host:port (names resolved with getaddrinfo; loopback or what the
 * user named), within timeout_ms. Returns CONN_OK or CONN_ERROR/TIMEOUT. */
int conn_connect(struct conn *c, const char *host, const char *port, int64_t timeout_ms);
/* Listening socket on host:port (port "0" = any free one); returns fd or -1 with err. */
/*
 * Resolve host:port as conn_connect will, within timeout_ms (getaddrinfo has
 * no deadline of its own: the lookup runs on a thread left behind if it is
 * late) or until *stop. 0, with *loopback (may be NULL) true when every
 * address is a loopback one; -1 with the reason in err.
 */
int conn_resolve(const char *host, const char *port, int64_t timeout_ms,
                 const volatile sig_atomic_t *stop, bool *loopback, char *err, size_t errlen);
int conn_listen(const char *host, const char *port, int backlog, char *err, size_t errlen);
/* Local port of a socket, or -1. */
int conn_local_port(int fd);
/* Close a listening socket from conn_listen; -1 is a no-op. */
void conn_listen_close(int lfd);
/* Wait up to timeout_ms for a connection on the listening socket lfd, in
 * slices that look at c->stop, and make c that connection (as conn_init,
 * keeping c->tr and c->stop). c must hold no connection (conn_init'ed with
 * fd -1, or conn_close'd). CONN_OK, CONN_TIMEOUT, CONN_STOPPED, or
 * CONN_ERROR with c->err (c then still holds no connection). */
int conn_accept(struct conn *c, int lfd, int64_t timeout_ms);
/* The peer's numeric address ("127.0.0.1", "::1") into buf. 0, or -1 with
 * buf set to "" (no socket, or the address cannot be had). */
int conn_peer_addr(const struct conn *c, char *buf, size_t len);
void conn_set_timeout(struct conn *c, int64_t ms); /* deadline = now + ms */

/* Read more bytes into c->in (TLS-decrypted when TLS is active) until at
 * least one byte arrives or the deadline passes. CONN_OK, CONN_EOF,
 * CONN_TIMEOUT, CONN_ERROR, CONN_STOPPED. */
int conn_fill(struct conn *c);
/* Wait until input is available (buffered, pending in TLS, or readable
 * socket) without consuming it; CONN_OK or CONN_TIMEOUT/EOF/STOPPED. */
int conn_wait_readable(struct conn *c);
/* Exactly one write(2) of the bytes (continued only if the kernel took part
 * of them) or one wtls_write. CONN_OK or an error. */
int conn_send(struct conn *c, const uint8_t *p, size_t n);
/* Switch to TLS: discard (and count) buffered plaintext, run the handshake
 * against the deadline. glue (may be NULL/0) is prepended to the first
 * record on the wire. CONN_OK or CONN_ERROR (reason in err). Either way the
 * facts are in c->facts; after a failure the connection is plaintext again
 * (whatever the peer sends next is read raw, as evidence). */
int conn_starttls(struct conn *c, struct wtls_config *cfg, enum wtls_role role,
                  const char *servername, const uint8_t *glue, size_t gluelen);
/* Send close_notify and go back to plaintext on the same TCP connection. */
int conn_tls_close(struct conn *c);
/* After the peer's close_notify (conn_fill gave CONN_EOF with
 * c->close_notify): drop the TLS layer without answering and go on in
 * plaintext on the same TCP connection (a flawed server does this). */
void conn_tls_drop(struct conn *c);
/* Plaintext only, c->in consumed: read the bytes already on the socket up
 * to, not including, the first byte equal to stop_byte, which stays unread
 * for the next reader (e.g. 0x16, a TLS handshake record, for the
 * handshake). Does not wait. >0 bytes read into p (and the transcript);
 * 0 when the next byte is stop_byte or nothing is there (or EOF);
 * CONN_ERROR with c->err (also over an I/O seam, which cannot peek). */
ssize_t conn_read_before(struct conn *c, uint8_t stop_byte, uint8_t *p, size_t n);
void conn_close(struct conn *c);
enum tlayer conn_layer(const struct conn *c);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * memtls: what the transition targets share. In-memory byte pipes, the
 * fuzz side's own TLS peer (plain wolfSSL, non-blocking over the pipes,
 * so one thread interleaves both ends of a handshake without sockets,
 * threads or sleeps), stark's fuzz certificates, and the per-input seed of
 * the deterministic RNG (honoured when the targets are linked against the
 * wolfSSL that scripts/fuzz-build-wolfssl.sh builds; Debian's library has
 * its own RNG, which changes handshake bytes, never the control flow the
 * oracles look at).
 */
#ifndef STARK_FUZZ_MEMTLS_H
#define STARK_FUZZ_MEMTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One direction of a connection: bytes written and not yet read. */
struct mpipe {
	struct buf b;
	size_t off;
};
void mpipe_put(struct mpipe *p, const void *d, size_t n);
size_t mpipe_get(struct mpipe *p, void *d, size_t n);
size_t mpipe_avail(const struct mpipe *p);
const uint8_t *mpipe_peek(const struct mpipe *p);
void mpipe_drop(struct mpipe *p, size_t n);
void mpipe_free(struct mpipe *p);

/* TLS versions the fuzz side's peer offers/accepts. */
enum memtls_ver { MT_ANY = 0, MT_TLS12 = 1, MT_TLS13 = 2 };

/* The fuzz side's TLS endpoint (plain wolfSSL, non-blocking). */
struct mpeer;
enum mpeer_state { MP_WANT = 0, MP_DONE = 1, MP_FAILED = -1 };
int memtls_init(void); /* once: wolfSSL, contexts; 0 ok */
void memtls_cleanup(void);
/* rx: what the peer reads, tx: what it writes. glue: plaintext prepended to
 * its first write (S-09c), may be NULL. */
struct mpeer *mpeer_new(bool server, enum memtls_ver v, struct mpipe *rx, struct mpipe *tx,
                        const uint8_t *glue, size_t gluelen);
void mpeer_free(struct mpeer *p);
/* One non-blocking step of the handshake: MP_DONE, MP_WANT (needs bytes) or MP_FAILED. */
enum mpeer_state mpeer_handshake(struct mpeer *p);
/* Application data: one record per call. 0 ok, -1 failed. */
int mpeer_write(struct mpeer *p, const uint8_t *d, size_t n);
/* Everything readable now, appended to out. 0 ok (maybe nothing), 1 the peer
 * sent close_notify / EOF, -1 error. */
int mpeer_read_all(struct mpeer *p, struct buf *out);
int mpeer_close_notify(struct mpeer *p);

/* stark's fuzz certificates (fuzz/certs, ECDSA P-256, 100 years). */
extern const char *const memtls_ca_pem, *const memtls_leaf_pem, *const memtls_leaf_key;

/* Per-input RNG seed (see fuzz/wolfssl_seam.c). */
void stark_fuzz_rand_seed(const uint8_t *p, size_t n);

#endif

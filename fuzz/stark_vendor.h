/* SPDX-License-Identifier: MIT */
/*
 * stark_vendor.h: how a vendor links its own SMTP server session code to
 * stark's STARTTLS transition fuzz target (transition_server, catalog F-03).
 *
 * The target plays the SMTP client from the fuzz input and owns the TLS
 * layer (an in-memory wolfSSL handshake: no sockets, threads or clock).
 * The vendor's code owns the SMTP session: it is fed the bytes the client
 * sent (plaintext, or decrypted inside TLS), writes its replies through
 * stark_vendor_emit(), and says when TLS must start. Nothing else is
 * needed: no I/O, no TLS library, no event loop.
 *
 * One adapter object defines STARK_VENDOR (see adapter_refsess.c, the
 * first adapter: stark's own reference target) and is linked instead of
 * adapter_refsess.c (fuzz/CMakeLists.txt: STARK_FUZZ_VENDOR_ADAPTER=path.c
 * [STARK_FUZZ_VENDOR_LIBS=...]). docs/fuzzing.md has a complete example.
 *
 * Contract for the vendor code, per session:
 *  - session_new(cfg): a fresh session. cfg/cfglen are the mode byte(s) of
 *    the input, to vary options (profiles, limits) if the vendor wants to.
 *  - greeting(): write the greeting.
 *  - input(bytes): everything the client sent since the last call. Process
 *    complete command lines, emit replies. Return STARK_V_STARTTLS right
 *    after emitting the "220 Ready to start TLS" reply: the target then
 *    runs the handshake. Bytes that followed the STARTTLS line in the same
 *    input stay in the vendor's buffer: what the vendor does with them at
 *    tls_started() is exactly what F-03 tests (RFC 3207 section 6: discard).
 *  - tls_started(): the handshake completed; reset the session state
 *    (RFC 3207 4.2). tls_failed(raw): it failed after consuming raw.
 *    tls_ended(): the client sent close_notify. Each returns the next action.
 *  - injected() (optional, NULL if unknown): how many commands that arrived
 *    before the handshake the session executed inside TLS. Must stay 0.
 *
 * The target's oracles (any violation aborts = a finding):
 *  1. injected() == 0 after every call, when provided;
 *  2. (when STARK_VOPT_REPLY_ORACLE is set) the number of complete replies
 *     the session sends inside TLS never exceeds the number of command-line
 *     terminators (LF) the client sent inside TLS: a reply without a command
 *     inside TLS answers a byte that arrived before the handshake. This one
 *     needs no cooperation from the vendor code at all;
 *  3. no crash, leak or sanitizer report (ASan/UBSan).
 */
#ifndef STARK_VENDOR_H
#define STARK_VENDOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum stark_vendor_action {
	STARK_V_CONTINUE = 0, /* keep going */
	STARK_V_STARTTLS = 1, /* the 220 to STARTTLS was emitted: run the TLS handshake now */
	STARK_V_CLOSE = 2,    /* close the connection (after flushing what was emitted) */
};

/* Where replies go: opaque, owned by the target. */
struct stark_vendor_out;
/* Append n bytes of server output (plaintext or, inside TLS, what is to be encrypted). */
void stark_vendor_emit(struct stark_vendor_out *out, const void *p, size_t n);

enum stark_vendor_opts {
	STARK_VOPT_REPLY_ORACLE = 1u << 0, /* enable oracle 2 (needs: at most one reply per line) */
};

struct stark_vendor_ops {
	const char *name; /* shown in findings */
	unsigned opts;    /* enum stark_vendor_opts */
	/* Optional, once per process (NULL: nothing to do). 0 = ok. */
	int (*global_init)(void);
	void (*global_cleanup)(void);
	void *(*session_new)(const uint8_t *cfg, size_t cfglen);
	void (*session_free)(void *s);
	enum stark_vendor_action (*greeting)(void *s, struct stark_vendor_out *out);
	enum stark_vendor_action (*input)(void *s, const uint8_t *p, size_t n,
	                                  struct stark_vendor_out *out);
	enum stark_vendor_action (*tls_started)(void *s, struct stark_vendor_out *out);
	enum stark_vendor_action (*tls_failed)(void *s, const uint8_t *raw, size_t n,
	                                       struct stark_vendor_out *out);
	enum stark_vendor_action (*tls_ended)(void *s, struct stark_vendor_out *out);
	/* Optional (NULL): F-03 count kept by the session itself. */
	size_t (*injected)(void *s);
};

/* Defined by exactly one adapter object. */
extern const struct stark_vendor_ops STARK_VENDOR;

#ifdef __cplusplus
}
#endif

#endif

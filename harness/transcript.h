/* SPDX-License-Identifier: MIT */
/*
 * transcript: the evidence. Every byte that crosses the socket is added here
 * before anything parses it, with direction, layer (plain/TLS) and time.
 * Notes record harness events (connected, handshake result, close, timeout).
 * Plain data, never prints. Size is capped (TRANSCRIPT_MAX_BYTES) so a
 * hostile peer cannot exhaust memory; what is dropped is counted.
 */
#ifndef STARK_TRANSCRIPT_H
#define STARK_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSCRIPT_MAX_BYTES (256u * 1024u)

enum tdir { TDIR_SEND, TDIR_RECV, TDIR_NOTE };
enum tlayer { TLAYER_PLAIN, TLAYER_TLS };

struct tevent {
	int64_t t_us; /* since transcript start */
	enum tdir dir;
	enum tlayer layer;
	uint8_t *data; /* bytes for SEND/RECV, UTF-8/ASCII text for NOTE */
	size_t len;
};

struct transcript {
	struct tevent *ev;
	size_t n, cap;
	int64_t t0_us;   /* mono_us() at start */
	size_t bytes;    /* data bytes stored */
	size_t dropped;  /* data bytes not stored because of the cap */
};

void transcript_init(struct transcript *t);
void transcript_add(struct transcript *t, enum tdir dir, enum tlayer layer, const uint8_t *p,
                    size_t n);
void transcript_note(struct transcript *t, enum tlayer layer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A deep copy of src into dst (not initialised before): the same events,
 * times and counts. */
void transcript_copy(struct transcript *dst, const struct transcript *src);
void transcript_free(struct transcript *t);
const char *transcript_dir_name(enum tdir d);     /* "send" "recv" "note" */
const char *transcript_layer_name(enum tlayer l); /* "plain" "tls" */

#endif

/* SPDX-License-Identifier: MIT */
/*
 * util: allocation that aborts on failure, fatalx() for broken invariants,
 * monotonic/wall clocks and mono_sleep, a growable byte buffer, the one byte
 * escaper used for humans (transcripts, reports), duration parsing,
 * mkdir_all (the one mkdir -p).
 */
#ifndef STARK_UTIL_H
#define STARK_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef STARK_VERSION
#error "STARK_VERSION comes from project(VERSION) in CMakeLists.txt (the one source of truth)"
#endif
/* Defaults every command shares: the EHLO argument (a name under RFC 6761's
 * test., which no real host claims) and the deadline of each wait. */
#define STARK_DEFAULT_HELO "stark.test"
#define STARK_DEFAULT_TIMEOUT_MS 5000
/* stark serve: the least time a triggered client has to connect */
#define STARK_DEFAULT_START_MS 10000

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Our own broken invariant only, never bad input. */
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t mono_ms(void); /* CLOCK_MONOTONIC in milliseconds */
int64_t mono_us(void);
int64_t wall_ms(void); /* CLOCK_REALTIME in milliseconds since the epoch */
/* Sleep ms milliseconds on the monotonic clock, in slices of at most 100 ms
 * so that a set *stop (SIGINT/SIGTERM; may be NULL) ends it early. */
void mono_sleep(int64_t ms, const volatile sig_atomic_t *stop);
/* ISO 8601 UTC, e.g. 2026-11-29T08:20:05.123Z; out must hold 32 bytes. */
void iso8601_ms(int64_t wall, char out[32]);

struct buf {
	uint8_t *data;
	size_t len, cap;
};
/* Make room for need more bytes (and a NUL) without changing len. */
void buf_reserve(struct buf *b, size_t need);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_consume(struct buf *b, size_t n); /* drop n bytes from the front */
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* NUL-terminate (not counted in len) and return data as char *. */
char *buf_cstr(struct buf *b);

/*
 * Render bytes for humans: printable ASCII as is, \r \n \t \\ \" as escapes,
 * everything else as \xHH. Returns a malloc'd NUL-terminated string.
 */
char *escape_bytes(const uint8_t *p, size_t n);
void buf_escape(struct buf *out, const uint8_t *p, size_t n);

/* "host:port" or "[v6addr]:port" (digits) into malloc'd parts. 0 or -1. */
int split_hostport(const char *s, char **host, char **port);
/* Free n strings and the vector (NULL-safe). */
void strv_free(char **v, size_t n);

/*
 * AddressSanitizer's manual poisoning, for stark's arenas (scenario_lex.c,
 * fuzz/wolfssl_heap.c): a block handed out is unpoisoned, the rest stays
 * poisoned. STARK_ASAN is defined in ASan builds; elsewhere these are no-ops.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STARK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(STARK_ASAN)
#define STARK_ASAN 1
#endif
#ifdef STARK_ASAN
#include <sanitizer/asan_interface.h>
#define STARK_POISON(p, n) __asan_poison_memory_region((p), (n))
#define STARK_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define STARK_POISON(p, n) ((void)(p), (void)(n))
#define STARK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* "250ms", "2s", "1.5s", "1m" -> milliseconds. 0 ok, -1 invalid. */
int parse_duration(const char *s, int64_t *ms);

/* mkdir -p with mode 0755 (before umask): every missing component, then the
 * leaf must be a directory. 0, or -1 with "cannot create directory D: why". */
int mkdir_all(const char *dir, char *err, size_t errlen);

/* vsnprintf into a caller's error buffer err[n]; nothing when err is NULL
 * or n is 0. */
void errf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write text to path (created or truncated). 0, or -1 with "path: why". */
int write_text_file(const char *path, const char *text, char *err, size_t errlen);

#endif

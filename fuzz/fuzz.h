/* SPDX-License-Identifier: MIT */
/*
 * fuzz: the one contract every fuzz target implements (OpenSSL's:
 * init / test-one-input / cleanup). Two drivers call it: driver_libfuzzer.c
 * (LLVMFuzzerInitialize / LLVMFuzzerTestOneInput, -DSTARK_FUZZ=ON) and
 * driver_replay.c (a main that runs files and directories through it, so
 * every corpus under corpus/<target>/ is a ctest regression test in
 * ordinary builds).
 *
 * Oracle failures are never "return -1": they print what broke and abort(),
 * so libFuzzer saves the input as a crash and the replay run dies (ctest
 * fails). FuzzerTestOneInput returns 0 for every input, valid or not.
 * Targets read no clock and no RNG that is not seeded from the input.
 */
#ifndef STARK_FUZZ_H
#define STARK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int FuzzerInitialize(int *argc, char ***argv);
int FuzzerTestOneInput(const uint8_t *buf, size_t len);
void FuzzerCleanup(void);

/* An oracle: if cond is false, say which and abort. */
#define FUZZ_CHECK(cond, ...)                                                            \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "fuzz oracle failed at %s:%d: %s: ", __FILE__,   \
			        __LINE__, #cond);                                        \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			abort();                                                         \
		}                                                                        \
	} while (0)

/*
 * p[0..n) starts with s. For oracles: a loop, not memcmp/strncmp, because
 * libFuzzer hooks those to learn from their operands, and an oracle's own
 * compares (one per entity of an escaped text, one per diagnostic) have
 * nothing to teach the mutator and cost a hook call each.
 */
static inline bool fuzz_starts_with(const void *p, size_t n, const char *s)
{
	const uint8_t *b = p;
	for (size_t i = 0; s[i] != '\0'; i++)
		if (i >= n || b[i] != (uint8_t)s[i])
			return false;
	return true;
}

#endif

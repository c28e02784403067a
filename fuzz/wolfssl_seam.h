/* SPDX-License-Identifier: MIT */
/*
 * wolfssl_seam: the determinism seam of the fuzz wolfSSL. The wolfSSL that
 * scripts/fuzz-build-wolfssl.sh builds is configured with
 *   CUSTOM_RAND_GENERATE_BLOCK=stark_fuzz_rand_block  (every random byte)
 *   TIME_OVERRIDES, XTIME=stark_fuzz_time, XGMTIME=stark_fuzz_gmtime
 *     (certificate dates, LowResTimer, TLS 1.3 ticket age: all via XTIME)
 * and this header force-included (-include) into every wolfSSL file. The
 * fuzz targets define the functions (fuzz/wolfssl_seam.c) and reseed the
 * generator from each input, so one input always produces the same
 * handshake bytes. Never linked into the live tool.
 */
#ifndef STARK_WOLFSSL_SEAM_H
#define STARK_WOLFSSL_SEAM_H
/* force-included into wolfSSL's assembler files too: C declarations only for C */
#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* 2030-01-01T00:00:00Z: inside the fuzz certificates' validity (fuzz/certs). */
#define STARK_FUZZ_PINNED_TIME 1893456000

int stark_fuzz_rand_block(unsigned char *out, unsigned int sz);
time_t stark_fuzz_time(time_t *t);
struct tm *stark_fuzz_gmtime(const time_t *t, struct tm *out);
void stark_fuzz_rand_seed(const uint8_t *p, size_t n);

#endif /* !__ASSEMBLER__ */
#endif

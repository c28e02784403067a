/* SPDX-License-Identifier: MIT */
/*
 * wolfssl_heap: wolfSSL's heap in the transition targets and the bare
 * handshake loop. wolfSSL is not built with ASan (only with coverage), so
 * ASan's allocator gave its ~100 allocations a handshake nothing but cost:
 * quarantine churn, page faults, malloc fill and two stack traces each,
 * about a third of a handshake. Here, during one input, wolfSSL allocates
 * from a bump arena instead:
 *  - every block is unpoisoned on allocation and poisoned again on free,
 *    with a poisoned redzone after it, so our code (which is ASan
 *    instrumented) and the memcpy/memset interceptors wolfSSL calls still
 *    trap overflows and use after free of wolfSSL's memory;
 *  - at the end of the input, if every block was freed, the arena starts
 *    over (a block alive across inputs keeps it growing until it is full,
 *    and then malloc serves, as it does outside an input).
 * Blocks from malloc are freed by free: the arena tells its own by address.
 */
#ifndef STARK_FUZZ_WOLFSSL_HEAP_H
#define STARK_FUZZ_WOLFSSL_HEAP_H

#include <stddef.h>

/* Once, before wolfSSL_Init. 0 ok. */
int fuzz_heap_install(void);
/* Around one input. */
void fuzz_heap_begin(void);
void fuzz_heap_end(void);
/* Blocks still alive in the arena (for tests and the trace). */
size_t fuzz_heap_live(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pool: the one worker pool of the process. pool_run() hands items
 * 0..n-1, in index order, to up to `jobs` threads (the caller is one of
 * them) and returns when every started item is done. Used by the runner
 * (scenarios) and by scan (nodes).
 */
#ifndef STARK_POOL_H
#define STARK_POOL_H

#include <signal.h>
#include <stddef.h>

/* Call fn(ctx, i) once for each i < n that starts before *stop (may be
 * NULL) is set; items not started then are skipped, never half-run. fn runs
 * concurrently on distinct i. */
void pool_run(size_t n, int jobs, const volatile sig_atomic_t *stop,
              void (*fn)(void *ctx, size_t i), void *ctx);

#endif

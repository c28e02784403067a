/* SPDX-License-Identifier: MIT */
/*
 * pool: pool_run, a work queue over item indexes served by jobs-1 extra
 * threads plus the caller. Invariants: each index is taken at most once,
 * in increasing order; no item starts after a stop was requested; every
 * extra thread releases wolfSSL's per-thread state before it ends.
 */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util.h"
#include "wtls.h"

struct pool {
	size_t n, next;
	const volatile sig_atomic_t *stop;
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	pthread_mutex_t mu;
};

static void serve(struct pool *p)
{
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next;
		bool go = i < p->n && !(p->stop && *p->stop);
		if (go)
			p->next++;
		pthread_mutex_unlock(&p->mu);
		if (!go)
			return;
		p->fn(p->ctx, i);
	}
}

static void *thread_main(void *arg)
{
	serve(arg);
	wtls_thread_cleanup(); /* wolfSSL's per-thread ECC cache (FP_ECC) */
	return NULL;
}

void pool_run(size_t n, int jobs, const volatile sig_atomic_t *stop,
              void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct pool p = {.n = n, .stop = stop, .fn = fn, .ctx = ctx};
	pthread_mutex_init(&p.mu, NULL);
	size_t nt = jobs > 1 ? (size_t)jobs : 1;
	if (nt > n)
		nt = n ? n : 1;
	pthread_t *t = xcalloc(nt, sizeof *t);
	size_t made = 1;
	/* A thread that cannot be made only means less parallelism. */
	while (made < nt && pthread_create(&t[made], NULL, thread_main, &p) == 0)
		made++;
	serve(&p);
	for (size_t i = 1; i < made; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&p.mu);
}

/* SPDX-License-Identifier: MIT */
/*
 * progress: the counters of a run's progress (bumped by runner and scan)
 * and the live terminal line the CLI draws from them on its own thread.
 * Invariants: counting never blocks a worker (atomics only); the drawer
 * only reads the counters; nothing is written unless progress_line_start
 * was called (the CLI calls it only for a TTY, without -q).
 */
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

void progress_plan(struct progress *p, size_t n)
{
	if (p)
		atomic_fetch_add(&p->total, n);
}

void progress_unplan(struct progress *p, size_t n)
{
	if (p)
		atomic_fetch_sub(&p->total, n);
}

void progress_begin(struct progress *p)
{
	if (p)
		atomic_fetch_add(&p->running, 1);
}

void progress_end(struct progress *p, bool failing)
{
	if (p == NULL)
		return;
	if (failing)
		atomic_fetch_add(&p->failing, 1);
	atomic_fetch_add(&p->done, 1);
	atomic_fetch_sub(&p->running, 1);
}

void progress_format(const struct progress *p, const char *what, int64_t elapsed_ms,
                     bool colour, char *out, size_t outlen)
{
	size_t done = atomic_load(&p->done), total = atomic_load(&p->total),
	       running = atomic_load(&p->running), failing = atomic_load(&p->failing);
	int64_t s = elapsed_ms / 1000;
	bool red = colour && failing > 0;
	snprintf(out, outlen, "stark %s: %zu/%zu done, %zu running, %s%zu failing%s, %lld:%02lld elapsed",
	         what, done, total, running, red ? "\033[31m" : "", failing, red ? "\033[0m" : "",
	         (long long)(s / 60), (long long)(s % 60));
}

struct progress_line {
	const struct progress *p;
	const char *what;
	FILE *f;
	bool colour;
	int64_t t0;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void draw(struct progress_line *l)
{
	char line[256];
	progress_format(l->p, l->what, mono_ms() - l->t0, l->colour, line, sizeof line);
	fprintf(l->f, "\r\033[K%s", line);
	fflush(l->f);
}

static void *line_main(void *arg)
{
	struct progress_line *l = arg;
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		draw(l);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

struct progress_line *progress_line_start(const struct progress *p, const char *what, FILE *f,
                                          bool colour)
{
	struct progress_line *l = xcalloc(1, sizeof *l);
	l->p = p;
	l->what = what;
	l->f = f;
	l->colour = colour;
	l->t0 = mono_ms();
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (pthread_create(&l->th, NULL, line_main, l) != 0) {
		/* no line is no harm: the run goes on silently */
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		free(l);
		return NULL;
	}
	return l;
}

void progress_line_stop(struct progress_line *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->th, NULL);
	fputs("\r\033[K", l->f);
	fflush(l->f);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* SPDX-License-Identifier: MIT */
/*
 * transcript: append-only evidence log (transcript_add/_note/_free).
 * Invariant: at most TRANSCRIPT_MAX_BYTES data bytes are stored; anything
 * beyond is counted in `dropped` and a single note says so.
 */
#include "transcript.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void transcript_init(struct transcript *t)
{
	memset(t, 0, sizeof *t);
	t->t0_us = mono_us();
}

static struct tevent *push(struct transcript *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->ev = xrealloc(t->ev, t->cap * sizeof *t->ev);
	}
	struct tevent *e = &t->ev[t->n++];
	memset(e, 0, sizeof *e);
	e->t_us = mono_us() - t->t0_us;
	return e;
}

void transcript_add(struct transcript *t, enum tdir dir, enum tlayer layer, const uint8_t *p,
                    size_t n)
{
	if (n == 0)
		return;
	size_t room = t->bytes < TRANSCRIPT_MAX_BYTES ? TRANSCRIPT_MAX_BYTES - t->bytes : 0;
	size_t keep = n < room ? n : room;
	if (keep > 0) {
		struct tevent *e = push(t);
		e->dir = dir;
		e->layer = layer;
		e->data = xmalloc(keep);
		memcpy(e->data, p, keep);
		e->len = keep;
		t->bytes += keep;
	}
	if (keep < n) {
		if (t->dropped == 0)
			transcript_note(t, layer, "transcript cap of %u bytes reached: further data counted, not stored",
			                TRANSCRIPT_MAX_BYTES);
		t->dropped += n - keep;
	}
}

void transcript_note(struct transcript *t, enum tlayer layer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	struct tevent *e = push(t);
	e->dir = TDIR_NOTE;
	e->layer = layer;
	e->data = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)e->data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	e->len = (size_t)n;
}

void transcript_copy(struct transcript *dst, const struct transcript *src)
{
	*dst = *src;
	dst->ev = src->n ? xmalloc(src->n * sizeof *dst->ev) : NULL;
	dst->cap = src->n;
	for (size_t i = 0; i < src->n; i++) {
		dst->ev[i] = src->ev[i];
		/* notes carry their NUL */
		size_t sz = src->ev[i].len + (src->ev[i].dir == TDIR_NOTE);
		dst->ev[i].data = xmalloc(sz ? sz : 1);
		memcpy(dst->ev[i].data, src->ev[i].data, sz);
	}
}

void transcript_free(struct transcript *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ev[i].data);
	free(t->ev);
	memset(t, 0, sizeof *t);
}

const char *transcript_dir_name(enum tdir d)
{
	switch (d) {
	case TDIR_SEND: return "send";
	case TDIR_RECV: return "recv";
	case TDIR_NOTE: return "note";
	}
	return "?";
}

const char *transcript_layer_name(enum tlayer l)
{
	return l == TLAYER_TLS ? "tls" : "plain";
}

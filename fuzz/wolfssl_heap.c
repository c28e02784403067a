/* SPDX-License-Identifier: MIT */
/* wolfssl_heap: a per-input bump arena for wolfSSL's allocations (see wolfssl_heap.h). */
#include "wolfssl_heap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/memory.h>

#include "util.h"

#define ARENA_SIZE (16u << 20) /* a TLS 1.3 handshake allocates about 300 KiB */
#define ALIGN 16u
#define REDZONE 16u

/* In front of every arena block: its size (for realloc and poisoning). */
struct hdr {
	size_t size;
	size_t pad;
};

static uint8_t *arena;
static size_t used, live;
static bool active;

static bool mine(const void *p)
{
	return arena != NULL && (const uint8_t *)p >= arena && (const uint8_t *)p < arena + ARENA_SIZE;
}

static void *heap_malloc(size_t n)
{
	size_t need = sizeof(struct hdr) + ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + REDZONE;
	if (!active || n > ARENA_SIZE || need > ARENA_SIZE - used)
		return malloc(n);
	struct hdr *h = (struct hdr *)(arena + used);
	STARK_UNPOISON(h, sizeof *h);
	h->size = n;
	STARK_POISON(h, sizeof *h); /* the header is ours alone */
	uint8_t *p = (uint8_t *)(h + 1);
	STARK_UNPOISON(p, n);
	used += need;
	live++;
	return p;
}

static size_t block_size(const void *p)
{
	struct hdr *h = (struct hdr *)p - 1;
	STARK_UNPOISON(h, sizeof *h);
	size_t n = h->size;
	STARK_POISON(h, sizeof *h);
	return n;
}

static void heap_free(void *p)
{
	if (p == NULL)
		return;
	if (!mine(p)) {
		free(p);
		return;
	}
	STARK_POISON(p, block_size(p));
	live--;
}

static void *heap_realloc(void *p, size_t n)
{
	if (p == NULL)
		return heap_malloc(n);
	if (!mine(p))
		return realloc(p, n);
	size_t old = block_size(p);
	void *q = heap_malloc(n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	heap_free(p);
	return q;
}

int fuzz_heap_install(void)
{
	if (arena != NULL)
		return 0;
	void *m = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	arena = m;
	STARK_POISON(arena, ARENA_SIZE);
	return wolfSSL_SetAllocators(heap_malloc, heap_free, heap_realloc) == 0 ? 0 : -1;
}

void fuzz_heap_begin(void)
{
	active = arena != NULL;
}

void fuzz_heap_end(void)
{
	active = false;
	if (live == 0)
		used = 0; /* every block is poisoned already */
}

size_t fuzz_heap_live(void)
{
	return live;
}

/* SPDX-License-Identifier: MIT */
/*
 * hsloop: the bare in-memory handshake loop bench/fuzz-bench.sh prints
 * beside the transition targets' exec/s: N full handshakes (client and
 * server both plain non-blocking wolfSSL over memory pipes, one thread,
 * stark's fuzz ECDSA P-256 certificate, the same library and the same
 * instrumentation as the fuzz targets), then handshakes/s.
 * Usage: fuzz_hsloop [N] [any|1.2|1.3]
 */
#include "memtls.h"
#include "wolfssl_heap.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int once(enum memtls_ver v, unsigned i)
{
	struct mpipe c2s = {0}, s2c = {0};
	uint8_t seed[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), (uint8_t)(i >> 24)};
	stark_fuzz_rand_seed(seed, sizeof seed);
	fuzz_heap_begin();
	struct mpeer *cl = mpeer_new(false, v, &s2c, &c2s, NULL, 0);
	struct mpeer *sv = mpeer_new(true, v, &c2s, &s2c, NULL, 0);
	enum mpeer_state a = MP_WANT, b = MP_WANT;
	for (int k = 0; k < 20 && (a == MP_WANT || b == MP_WANT); k++) {
		if (a == MP_WANT)
			a = mpeer_handshake(cl);
		if (b == MP_WANT)
			b = mpeer_handshake(sv);
	}
	mpeer_free(cl);
	mpeer_free(sv);
	mpipe_free(&c2s);
	mpipe_free(&s2c);
	fuzz_heap_end();
	return a == MP_DONE && b == MP_DONE ? 0 : -1;
}

/* --flights DIR: write the server's first flight (TLS 1.2 and 1.3) as seeds
 * for the hello target. */
static int flights(const char *dir)
{
	for (int v = MT_TLS12; v <= MT_TLS13; v++) {
		struct mpipe c2s = {0}, s2c = {0};
		struct mpeer *cl = mpeer_new(false, (enum memtls_ver)v, &s2c, &c2s, NULL, 0);
		struct mpeer *sv = mpeer_new(true, (enum memtls_ver)v, &c2s, &s2c, NULL, 0);
		mpeer_handshake(cl);
		mpeer_handshake(sv);
		char *path = xasprintf("%s/hand-server-flight-tls1%d", dir, v == MT_TLS12 ? 2 : 3);
		FILE *f = fopen(path, "wb");
		if (f) {
			fwrite(mpipe_peek(&s2c), 1, mpipe_avail(&s2c), f);
			fclose(f);
		}
		free(path);
		mpeer_free(cl);
		mpeer_free(sv);
		mpipe_free(&c2s);
		mpipe_free(&s2c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--flights") == 0)
		return memtls_init() == 0 ? flights(argv[2]) : 2;
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	enum memtls_ver v = MT_ANY;
	if (argc > 2 && strcmp(argv[2], "1.2") == 0)
		v = MT_TLS12;
	else if (argc > 2 && strcmp(argv[2], "1.3") == 0)
		v = MT_TLS13;
	if (memtls_init() != 0) {
		fprintf(stderr, "hsloop: TLS init failed\n");
		return 2;
	}
	once(v, 0); /* warm up */
	int fails = 0;
	int64_t t0 = mono_us();
	for (int i = 0; i < n; i++)
		fails += once(v, (unsigned)i + 1) != 0;
	int64_t t1 = mono_us();
	double hs = n / ((t1 - t0) / 1e6);
	printf("bare in-memory handshakes: %d, %d failed, %.0f handshakes/s\n", n, fails, hs);
	memtls_cleanup();
	return fails ? 1 : 0;
}

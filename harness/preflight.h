/* SPDX-License-Identifier: MIT */
/*
 * preflight: the checks a run passes before its first connection, so a bad
 * argument costs no run and loses nothing: target syntax (HOST:PORT, port
 * 1..65535), a --targets file, name resolution within the deadline, a
 * report directory stark can write in, where a listener would be reachable.
 */
#ifndef STARK_PREFLIGHT_H
#define STARK_PREFLIGHT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why s is no target stark can connect to, or NULL: HOST:PORT with a port
 * of 1..65535 (0 would mean "any port" to the resolver). */
const char *preflight_target_syntax(const char *s);
/* Append the targets of a --targets file (one HOST:PORT per line, '#'
 * comments) to *v (xrealloc'd, strings malloc'd). 0, or -1 with
 * "path:line: why: 'text'" in err. */
int preflight_read_targets(const char *path, char ***v, size_t *n, char *err, size_t errlen);
/* Each HOST:PORT target resolves, once, within timeout_ms (SIGINT cuts it
 * short). 0, or -1 with why. */
int preflight_targets(char *const *targets, size_t n, int64_t timeout_ms,
                      const volatile sig_atomic_t *stop, char *err, size_t errlen);
/* A listener's address resolves; *exposed: some address is not loopback
 * (anyone on the network could connect). 0, or -1 with why. */
int preflight_listen(const char *host, const char *port, int64_t timeout_ms,
                     const volatile sig_atomic_t *stop, bool *exposed, char *err, size_t errlen);
/* The report directory exists or can be made, and a file can be created in
 * it. 0, or -1 with why. */
int preflight_out(const char *dir, char *err, size_t errlen);

#endif

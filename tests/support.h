/* SPDX-License-Identifier: MIT */
/*
 * support: plumbing shared by the Check suites. Blocking wtls I/O
 * callbacks over a socket whose descriptor is *(int *)ctx (socketpair or
 * loopback TCP), for tests that play a TLS peer in a thread.
 */
#ifndef STARK_TEST_SUPPORT_H
#define STARK_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

ssize_t test_fd_recv(void *ctx, uint8_t *buf, size_t len);
ssize_t test_fd_send(void *ctx, const uint8_t *buf, size_t len);

#endif

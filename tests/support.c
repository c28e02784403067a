/* SPDX-License-Identifier: MIT */
/*
 * support: blocking wtls callbacks over a descriptor (test_fd_recv/send).
 * recv: >0 bytes, 0 EOF, -1 error; send: bytes written or -1.
 */
#include "support.h"

#include <errno.h>
#include <sys/socket.h>

ssize_t test_fd_recv(void *ctx, uint8_t *buf, size_t len)
{
	ssize_t n;
	do
		n = recv(*(int *)ctx, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n;
}

ssize_t test_fd_send(void *ctx, const uint8_t *buf, size_t len)
{
	ssize_t n;
	do
		n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n <= 0 ? -1 : n;
}

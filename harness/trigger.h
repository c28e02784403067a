/* SPDX-License-Identifier: MIT */
/*
 * trigger: the command that makes a client under test connect to stark
 * (stark serve --trigger CMD). Runs it with /bin/sh -c in its own process
 * group with extra environment variables, captures stdout+stderr (capped),
 * and bounds its life: whatever it does, trigger_wait returns by the
 * deadline (killing the whole group if needed).
 */
#ifndef STARK_TRIGGER_H
#define STARK_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRIGGER_OUTPUT_MAX (64u * 1024u)

struct trigger;

/* env: NULL-terminated "NAME=value" strings added to the environment.
 * NULL with err on failure (fork/pipe). */
struct trigger *trigger_start(const char *cmd, char *const env[], char *err, size_t errlen);
/* Non-blocking: true (and *status) if the process has exited. */
bool trigger_exited(struct trigger *t, int *status);
/* Wait until exit or the absolute mono_ms() deadline, then kill the group.
 * Returns the exit status, or 128+signal; sets *killed if stark killed it. */
int trigger_wait(struct trigger *t, int64_t deadline, bool *killed);
/* Captured output so far (NUL-terminated; may hold any bytes). */
const char *trigger_output(struct trigger *t, size_t *len);
void trigger_free(struct trigger *t); /* kills a process still running */

#endif

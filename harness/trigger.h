/* SPDX-License-Identifier: MIT */
/*
 * trigger: the command that makes a client under test connect to stark
 * (stark serve --trigger CMD). Runs it with /bin/sh -c in its own process
 * group with extra environment variables, captures stdout+stderr (capped),
 * and bounds its life: whatever it does, trigger_wait returns by the
 * deadline (plus TRIGGER_DRAIN_MS) or soon after the stop flag is set,
 * killing the whole group, even when a process that left the group keeps
 * the output open.
 */
#ifndef STARK_TRIGGER_H
#define STARK_TRIGGER_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define TRIGGER_OUTPUT_MAX (64u * 1024u)
/* After the group is killed, what is still in the pipe arrives at once;
 * an EOF later than this means a process that left the group (setsid, a
 * daemon) holds the pipe, and stark stops reading. */
#define TRIGGER_DRAIN_MS 250

struct trigger;

/* env: NULL-terminated "NAME=value" strings added to the environment.
 * NULL with err on failure (fork/pipe). */
struct trigger *trigger_start(const char *cmd, char *const env[], char *err, size_t errlen);
/* Non-blocking: true (and *status) if the process has exited. */
bool trigger_exited(struct trigger *t, int *status);
/* How trigger_wait ended, beside the status. */
struct trigger_end {
	bool killed;  /* stark killed the main process (deadline or stop) */
	bool stopped; /* *stop ended the wait (or the reading of the output) */
	bool cut;     /* stark stopped reading before EOF: a process outside the
	               * group held the output open (or *stop was set) */
};
/* Wait until exit, the absolute mono_ms() deadline or *stop (may be NULL;
 * looked at every 10 ms), then kill the group and read the output to EOF,
 * but no longer than TRIGGER_DRAIN_MS after that (nor once *stop is set).
 * Returns the exit status, or 128+signal; fills *end (may be NULL). Later
 * calls return the same at once. */
int trigger_wait(struct trigger *t, int64_t deadline, const volatile sig_atomic_t *stop,
                 struct trigger_end *end);
/* Captured output so far (NUL-terminated; may hold any bytes). */
const char *trigger_output(struct trigger *t, size_t *len);
void trigger_free(struct trigger *t); /* kills a process still running */

#endif

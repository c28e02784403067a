/* SPDX-License-Identifier: MIT */
/*
 * trigger: run the client-under-test command (trigger_start/exited/wait/
 * output/free). Invariants: the child runs in its own process group so a
 * kill reaches everything it spawned; output is read by one thread into a
 * buffer capped at TRIGGER_OUTPUT_MAX (the rest is drained and counted)
 * until EOF or a byte on its wake pipe, so a process that escaped the group
 * cannot hold stark; no call blocks past its deadline or a set stop flag.
 */
#include "trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

struct trigger {
	pid_t pid;
	int out_fd;
	int wake[2]; /* a byte on wake[1] ends the reader before EOF */
	pthread_t reader;
	pthread_mutex_t mu;
	struct buf out;
	size_t dropped;
	bool eof; /* under mu */
	bool reaped;
	int status;
	struct trigger_end end; /* of the first trigger_wait */
};

static void *reader_thread(void *p)
{
	struct trigger *t = p;
	uint8_t tmp[4096];
	for (;;) {
		struct pollfd pf[2] = {{.fd = t->out_fd, .events = POLLIN},
		                       {.fd = t->wake[0], .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			return NULL; /* cut: eof stays false */
		ssize_t n = read(t->out_fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pthread_mutex_lock(&t->mu);
		size_t room = t->out.len < TRIGGER_OUTPUT_MAX ? TRIGGER_OUTPUT_MAX - t->out.len : 0;
		size_t keep = (size_t)n < room ? (size_t)n : room;
		buf_append(&t->out, tmp, keep);
		t->dropped += (size_t)n - keep;
		pthread_mutex_unlock(&t->mu);
	}
	pthread_mutex_lock(&t->mu);
	t->eof = true;
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct trigger *trigger_start(const char *cmd, char *const env[], char *err, size_t errlen)
{
	int pfd[2], wake[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	if (pipe2(wake, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	/* Build the environment before fork: after fork only async-signal-safe
	 * calls are allowed in a threaded program. */
	size_t ne = 0, na = 0;
	while (environ[ne])
		ne++;
	while (env && env[na])
		na++;
	char **envp = xcalloc(ne + na + 1, sizeof *envp);
	size_t k = 0;
	for (size_t i = 0; i < ne; i++) {
		bool overridden = false;
		for (size_t j = 0; j < na && !overridden; j++) {
			size_t l = strcspn(env[j], "=");
			overridden = strncmp(environ[i], env[j], l) == 0 && environ[i][l] == '=';
		}
		if (!overridden)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < na; j++)
		envp[k++] = env[j];
	envp[k] = NULL;

	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		free(envp);
		close(pfd[0]);
		close(pfd[1]);
		close(wake[0]);
		close(wake[1]);
		return NULL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		signal(SIGPIPE, SIG_DFL);
		char *argv[] = {"sh", "-c", (char *)cmd, NULL};
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with an early kill */
	free(envp);
	close(pfd[1]);
	struct trigger *t = xcalloc(1, sizeof *t);
	t->pid = pid;
	t->out_fd = pfd[0];
	t->wake[0] = wake[0];
	t->wake[1] = wake[1];
	pthread_mutex_init(&t->mu, NULL);
	pthread_create(&t->reader, NULL, reader_thread, t);
	return t;
}

static int decode(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

bool trigger_exited(struct trigger *t, int *status)
{
	if (!t->reaped) {
		int st;
		pid_t r = waitpid(t->pid, &st, WNOHANG);
		if (r == t->pid) {
			t->reaped = true;
			t->status = decode(st);
		}
	}
	if (t->reaped && status)
		*status = t->status;
	return t->reaped;
}

static bool stopped(const volatile sig_atomic_t *stop)
{
	return stop && *stop;
}

int trigger_wait(struct trigger *t, int64_t deadline, const volatile sig_atomic_t *stop,
                 struct trigger_end *end)
{
	if (t->out_fd < 0) { /* waited before */
		if (end)
			*end = t->end;
		return t->status;
	}
	while (!trigger_exited(t, NULL) && mono_ms() < deadline && !stopped(stop))
		mono_sleep(10, stop);
	/* Kill the group either way: a process the trigger left behind in it
	 * must not keep the output pipe open. */
	kill(-t->pid, SIGKILL);
	if (!t->reaped) {
		t->end.killed = true;
		t->end.stopped = stopped(stop);
		int st;
		if (waitpid(t->pid, &st, 0) == t->pid) {
			t->reaped = true;
			t->status = decode(st);
		}
	}
	/* What is left in the pipe arrives at once; a later EOF needs a
	 * process outside the group (setsid, a daemon), which stark does not
	 * wait for. */
	int64_t until = mono_ms() + TRIGGER_DRAIN_MS;
	for (;;) {
		pthread_mutex_lock(&t->mu);
		bool eof = t->eof;
		pthread_mutex_unlock(&t->mu);
		if (eof)
			break;
		if (mono_ms() >= until || stopped(stop)) {
			t->end.cut = true;
			t->end.stopped |= stopped(stop);
			(void)!write(t->wake[1], "", 1);
			break;
		}
		mono_sleep(5, stop);
	}
	pthread_join(t->reader, NULL);
	close(t->out_fd);
	close(t->wake[0]);
	close(t->wake[1]);
	t->out_fd = -1;
	if (end)
		*end = t->end;
	return t->status;
}

const char *trigger_output(struct trigger *t, size_t *len)
{
	pthread_mutex_lock(&t->mu);
	const char *p = buf_cstr(&t->out);
	if (len)
		*len = t->out.len;
	pthread_mutex_unlock(&t->mu);
	return p;
}

void trigger_free(struct trigger *t)
{
	if (t == NULL)
		return;
	trigger_wait(t, mono_ms(), NULL, NULL);
	buf_free(&t->out);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

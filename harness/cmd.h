/* SPDX-License-Identifier: MIT */
/*
 * cmd: the commands of the CLI that play scenarios (run, serve, demo, scan)
 * and what every command shares: the command record, usage errors, --help,
 * the SIGINT/SIGTERM flag. Part of the stark executable with main.c (which
 * holds the commands table and the commands that play nothing); not in
 * starkcore.
 */
#ifndef STARK_CMD_H
#define STARK_CMD_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct command {
	const char *name;
	int (*fn)(const struct command *cmd, int argc, char **argv);
	const char *synopsis; /* arguments after "stark NAME" */
	const char *summary;  /* one line for `stark help` */
	const char *options;  /* the rest of `stark NAME --help` */
	void (*more_help)(FILE *f); /* help that depends on tables (flaws), or NULL */
};

/* Set by SIGINT/SIGTERM (cmd_signals). */
extern volatile sig_atomic_t cmd_stop;
/* Catch SIGINT and SIGTERM into cmd_stop; ignore SIGPIPE. */
void cmd_signals(void);
/* "stark: <message>" and where to read more; returns 2 (bad usage). */
int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* usage, summary and options of one command. */
void cmd_help(const struct command *cmd, FILE *f);

/* A listener stark serves on: it resolves, with a warning when the network
 * can reach it. 0, or 2 after saying why. */
int cmd_check_listen(const char *host, const char *port, int64_t timeout_ms);

int cmd_run(const struct command *cmd, int argc, char **argv);
int cmd_serve(const struct command *cmd, int argc, char **argv);
int cmd_demo(const struct command *cmd, int argc, char **argv);
int cmd_scan(const struct command *cmd, int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * exec_int.h: what the two files of the scripted peer share (exec.c: steps,
 * events, expectations, verdicts; exec_serve.c: the client role's sink,
 * verifications and trigger). Not a public header: only exec*.c include it.
 */
#ifndef STARK_EXEC_INT_H
#define STARK_EXEC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "exec.h"
#include "smtp.h"
#include "trigger.h"
#include "util.h"

enum evkind {
	EV_NONE,
	EV_REPLY,   /* a complete reply is at the front of c.in (stark is the client) */
	EV_COMMAND, /* a complete command line is at the front of c.in (stark is the server) */
	EV_CLOSE,   /* the peer closed */
	EV_SILENCE, /* nothing arrived during a silence window */
	EV_TIMEOUT, /* the scenario timeout passed while waiting */
	EV_HOSTILE, /* input that cannot be a reply (too long, too many lines) */
	EV_ERROR,   /* I/O or TLS error */
	EV_STOPPED, /* SIGINT/SIGTERM */
};

struct ex {
	const struct scenario *s;
	const struct exec_opts *o;
	struct result *r;
	struct conn c;
	enum evkind ev;
	bool server;           /* stark plays the server (target client) */
	struct smtp_reply rep; /* valid when ev == EV_REPLY; spans into c.in */
	bool rep_alone;
	struct smtp_cmd cmd;   /* valid when ev == EV_COMMAND */
	bool unanswered;       /* the last matched command got no `send` yet (for sink) */
	char lastverb[16];
	struct buf lastargs;   /* arguments of the last matched command (for sink) */
	struct trigger *trig;  /* client role */
	bool finished;         /* connection closed and trigger reaped */
	bool listening;        /* client role: lfd is open (closed before the trigger is awaited) */
	int lfd;
	bool trig_killed;      /* the trigger outlived the deadline after our close */
	char everr[256];
	bool done; /* verdict decided */
	/* The last matched reply, for evidence in fail messages. */
	char last[160];
	bool last_fresh; /* the previous step matched a reply */
	/* Once the peer has closed, stark writes nothing more (no send, no
	 * ClientHello, no close_notify): the steps it skips are counted and
	 * the result says after which line the peer closed. */
	int sent_line;     /* line of the last send that was written */
	bool close_seen;   /* closed_after is known */
	int closed_after;  /* sent_line when the close was first seen; 0: before any send */
	int unsent_first;  /* first step not run because of the close */
	int unsent;        /* how many steps that wrote something were not run */
	int send_cut;      /* line of a send the peer stopped reading (closed or reset mid-write) */
};

/* exec.c */
/* ${name} of a scenario string: helo, servername (ctx is the exec_opts). */
const char *exec_lookup_var(void *ctx, const char *name);
/* A scenario's own message for a verdict: printable ASCII as written,
 * other bytes as \xHH (malloc'd). */
char *exec_message_text(const uint8_t *p, size_t n);
/* Decide the verdict once ("line N: ..." when line > 0); later calls do
 * nothing. */
void exec_verdict(struct ex *x, enum verdict v, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The next event into x->ev unless one is pending; silence_ms > 0 accepts
 * a silence window as an event. */
void exec_fetch(struct ex *x, int64_t silence_ms);
/* SKIP r when the scenario is for another profile. */
bool exec_profile_skips(const struct scenario *s, const struct exec_opts *o, struct result *r);
/* Run the body, close, and PASS unless a step decided otherwise. */
void exec_play(struct ex *x);

/* exec_serve.c */
/* sink: the permissive server answers every command until QUIT or silence. */
void exec_serve_sink(struct ex *x, const struct step *st);
/* expect sni: does the SNI of the last ClientHello satisfy st? why says what
 * it was otherwise. No waiting: the handshake has recorded it. */
bool exec_serve_sni_matches(struct ex *x, const struct step *st, char *why, size_t whylen);
/* verify no-plaintext | no-command | trigger ok|fail. */
void exec_serve_verify(struct ex *x, const struct step *st);
/* Close our side, then let the trigger finish (bounded) and record it;
 * once. */
void exec_serve_finish(struct ex *x);

#endif

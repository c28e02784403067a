/* SPDX-License-Identifier: MIT */
/*
 * attack_int: what the files of the attack module share and nobody else may
 * use: the run's state, the battery bookkeeping (one transcript and
 * connection count per battery), the hello choice from the probe's facts
 * and the record reader that goes on where the hello stops. attack.c owns
 * the run and the fact batteries, attack_tls.c the handshake oracles
 * (Heartbleed, CCS injection, Ticketbleed, ROBOT), attack_records.c the
 * malformed records of T-22. Invariant: included by those three only.
 */
#ifndef STARK_ATTACK_INT_H
#define STARK_ATTACK_INT_H

#include "attack.h"
#include "conn.h"

struct atk {
	struct probe *p;
	const struct probe_report *rep;
	const struct attack_opts *o;
	struct attack_report *out;
	int64_t timeout_ms;
	size_t conns0;            /* probe_connections() when the current battery began */
	unsigned silent_hellos;   /* ClientHellos answered by silence until the deadline */
	bool stop;                /* no more connections: stalled, interrupted, throttled */
	char stop_why[200];
};

/* A ClientHello left unanswered this many times ends the batteries. */
#define ATK_SILENT_HELLOS_MAX 2

/* Start battery id: its transcript gets the probe's bytes until atk_end.
 * false (state already set) when the run has stopped. */
bool atk_begin(struct atk *a, enum attack_id id);
void atk_end(struct atk *a, enum attack_id id);
void atk_set(struct attack_result *r, enum attack_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The highest version in [lo, hi] the probe found, with its accepted
 * suites that have all flags of want and none of not (at most
 * PROBE_SUITES_PER_HELLO). false if none. */
bool atk_pick(const struct probe_report *rep, uint16_t lo, uint16_t hi, uint32_t want, uint32_t not,
              uint16_t *version, uint16_t *suites, size_t *n);

/* One hello on a new connection (probe_hello_open), c left open. Sets the
 * battery's state to ERROR/INCONCLUSIVE and returns false when the answer
 * is not a ServerHello at the version offered; counts silent hellos. */
bool atk_hello(struct atk *a, struct attack_result *r, const struct hello_opts *h, bool want_flight,
               struct probe_result *res, struct conn *c);

enum atk_rec {
	ATK_REC_OK,       /* a whole record at the front of c->in */
	ATK_REC_CLOSED,   /* EOF or reset before a whole record */
	ATK_REC_SILENT,   /* no whole record before the deadline */
	ATK_REC_GARBAGE,  /* bytes that are not a TLS record header */
	ATK_REC_STOPPED,  /* interrupted */
};
struct atk_record {
	uint8_t type;
	uint16_t version;
	size_t len;
	const uint8_t *body;  /* into c->in; valid until atk_next */
};
/* Drop the record read last (if any) and read the next one, waiting at most
 * timeout_ms. */
enum atk_rec atk_next(struct conn *c, int64_t timeout_ms, struct atk_record *rec);
/* "alert bad_record_mac(20)" / "closed" / ... for a read outcome. */
void atk_describe(enum atk_rec e, const struct atk_record *rec, char *out, size_t outlen);

/* The batteries of attack_tls.c and attack_records.c. */
void atk_heartbleed(struct atk *a);
void atk_ccs(struct atk *a);
void atk_ticketbleed(struct atk *a);
void atk_robot(struct atk *a);
void atk_records(struct atk *a);

#endif

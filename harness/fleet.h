/* SPDX-License-Identifier: MIT */
/*
 * fleet: the TLS facts of one or many nodes behind STARTTLS, as plain data.
 * Per node: raw hello probing (probe) and a full handshake with and without
 * SNI for the certificate facts (wtls, through conn); across nodes, the
 * consistency table that flags what differs (fleet view). Judging the facts
 * is policy's job, running it all is scan's.
 */
#ifndef STARK_FLEET_H
#define STARK_FLEET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attack.h"
#include "probe.h"
#include "run.h"
#include "wtls.h"

struct fleet_opts {
	const char *servername;   /* SNI and the name the certificate must match; NULL: host */
	const char *helo;
	int64_t timeout_ms;
	struct wtls_config *tls;  /* client config with the trust anchors (--ca, system) */
	struct wtls_config *tls_legacy; /* the same widened by wtls_config_set_legacy, for a
	                                   node that refuses the default offer; NULL: none */
	const volatile sig_atomic_t *stop;
};

struct fleet_node {
	char *target;             /* "host:port" as given */
	char *host, *port;
	char *group;              /* the MX host it serves (stark scan --domain), or NULL */
	int probe_rc;             /* probe_scan's return: -1 = could not be probed at all */
	struct probe_report probe;
	bool has_tls;             /* a full handshake (with SNI) was attempted */
	bool tls_ok;
	struct wtls_facts tls;    /* tls.chain: from the handshake, or cert_from_probe */
	char tls_error[256];
	bool tls_legacy;          /* the handshake needed the legacy offer (TLS 1.0, static
	                             RSA, ...): the node's suite runs with it too */
	bool cert_from_probe;     /* no handshake (stark's limitation, tls_error says which):
	                             tls.chain, host_ok come from a raw hello's Certificate,
	                             verify_ok is false with verify_error "not verified: ..." */
	struct attack_report attacks; /* T-15, T-16, T-22 (attacks.ran: they were run) */
	/* T-13: client-initiated renegotiation, tried on one more connection
	 * at TLS <= 1.2 (the widest offer the build has: a probe asking). */
	enum fleet_reneg {
		FLEET_RENEG_NOT_RUN = 0, /* interrupted, or a handshake stalled before */
		FLEET_RENEG_LIBRARY,     /* this wolfSSL build cannot renegotiate */
		FLEET_RENEG_TLS13_ONLY,  /* no TLS <= 1.2: nothing to renegotiate */
		FLEET_RENEG_NO_SESSION,  /* the TLS <= 1.2 handshake failed (reneg_detail) */
		FLEET_RENEG_NO_RFC5746,  /* the server sent no renegotiation_info */
		FLEET_RENEG_ACCEPTED,    /* the renegotiation handshake completed */
		FLEET_RENEG_REFUSED,     /* alert, close or silence (reneg_detail) */
	} reneg;
	char reneg_detail[256];
	bool has_nosni;           /* the same without SNI */
	char nosni_sha256[65];    /* leaf fingerprint without SNI ("" if the handshake failed) */
	int64_t elapsed_ms;
};

/* Probe one node, take its certificate facts and run the attack batteries
 * (attack.h). Never fails: problems are in probe_rc / probe.errors /
 * tls_error / attacks. When only stark's TLS library
 * keeps the handshake from happening, the certificate facts come from one
 * more raw TLS <= 1.2 hello (cert_from_probe). */
void fleet_node_probe(struct fleet_node *n, const struct fleet_opts *o);
void fleet_node_free(struct fleet_node *n);
/* TCP connections spent on the node: probe, handshakes, the raw hello of a
 * certificate fallback, the attack batteries. */
size_t fleet_node_connections(const struct fleet_node *n);

/* After stark's own ClientHello was refused outright (wtls_facts.
 * hello_refused): raw hellos offering only the suites stark's TLS library
 * lacks. 1 with why = "stark cannot negotiate with this target: it accepts
 * X, and stark's TLS library lacks static RSA key exchange" when the target
 * picks one (its refusal was stark's limitation); 0 when it refuses them
 * all too (the target's own doing); -1 when it cannot tell. */
int fleet_unnegotiable(const struct probe_target *pt, char *why, size_t whylen);

/* One row of the fleet view: a property and its value on each node. */
struct fleet_row {
	char *property;  /* "certificate", "versions", "suites TLSv1.2", "T-03", "server/s08-..." */
	bool consistent;
	char **values;   /* one per node, in node order */
};

/* stark scan --domain: a mail domain and its MX hosts (the nodes' groups). */
struct fleet_domain {
	char *name;
	size_t nmx;
	char **mx;        /* MX host names, in preference order */
	unsigned *pref;
};

struct fleet {
	char *policy;
	struct fleet_domain *domains; /* stark scan --domain, else none */
	size_t ndomains;
	struct fleet_node *nodes;
	size_t nnodes;
	struct fleet_row *rows;
	size_t nrows;
};
void fleet_free(struct fleet *f);

/* Build the consistency table from the nodes and the run's results (each
 * result's node field says where it belongs), and append one FAIL result
 * per inconsistent property (id "fleet/<property>") so every report format
 * shows it. */
void fleet_consistency(struct fleet *f, struct run *run);

/* "TLSv1.2 TLSv1.3" style summary of supported versions into out. */
void fleet_versions_str(const struct probe_report *p, char *out, size_t outlen);

#endif

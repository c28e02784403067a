/* SPDX-License-Identifier: MIT */
/*
 * fleet: per-node fact gathering (fleet_node_probe: probe_scan, then full
 * handshakes with and without SNI for the certificate, or the certificate
 * of a raw hello when stark's TLS library cannot make the handshake),
 * telling a handshake stark's TLS library cannot make from a target's fault
 * (fleet_unnegotiable) and the fleet view (fleet_consistency). Invariants: a node that cannot be
 * reached still yields a node with the reason; every wait is bounded by
 * opts.timeout_ms, and a stalled handshake is not followed by another; rows
 * keep node order.
 */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "hello.h"
#include "util.h"

/* ---- handshakes stark's TLS library cannot make ------------------------- */

/* A suite the target may speak that this wolfSSL build lacks (static RSA,
 * static DH, PSK, ...). TLS 1.3 suites are wolfSSL's own ground. */
static bool stark_lacks(uint16_t id)
{
	const struct hello_suite *s = hello_suite_find(id);
	if (s == NULL || (s->flags & (CS_SCSV | CS_TLS13)))
		return false;
	return !(s->openssl && wtls_suite_available(s->openssl)) &&
	       !(s->iana && wtls_suite_available(s->iana));
}

static const char *lack_kind(uint16_t id)
{
	const struct hello_suite *s = hello_suite_find(id);
	uint32_t f = s ? s->flags : 0;
	return f & CS_RSA_KX      ? "static RSA key exchange"
	       : f & CS_STATIC_DH ? "static DH key exchange"
	       : f & CS_ANON      ? "anonymous suites"
	       : f & (CS_PSK | CS_SRP | CS_KRB5) ? "PSK, SRP and Kerberos suites"
	       : f & CS_EXPORT    ? "export suites"
	       : "this suite";
}

static void limitation_text(const uint16_t *ids, size_t n, char *why, size_t whylen)
{
	struct buf b = {0};
	char lab[64];
	for (size_t i = 0; i < n && i < 4; i++)
		buf_appendf(&b, "%s%s", i ? ", " : "", hello_suite_label(ids[i], lab, sizeof lab));
	snprintf(why, whylen,
	         "stark cannot negotiate with this target: it accepts %s%s, and stark's TLS library "
	         "lacks %s",
	         buf_cstr(&b), n > 4 ? ", ..." : "", lack_kind(ids[0]));
	buf_free(&b);
}

/* From a finished probe: every suite the target accepted (at any version)
 * is one stark lacks. */
static bool probe_shows_limitation(const struct probe_report *p, char *why, size_t whylen)
{
	uint16_t ids[PV__COUNT * PROBE_SUITES_MAX];
	size_t n = 0;
	for (int v = 0; v < PV__COUNT; v++) {
		const struct probe_version_report *vr = &p->v[v];
		if (vr->supported != PROBE_TRI_YES)
			continue;
		for (size_t k = 0; k < vr->nsuites; k++) {
			const struct hello_suite *s = hello_suite_find(vr->suites[k]);
			if (s && (s->flags & CS_SCSV))
				continue;
			if (!stark_lacks(vr->suites[k]))
				return false;
			ids[n++] = vr->suites[k];
		}
	}
	if (n == 0)
		return false;
	limitation_text(ids, n, why, whylen);
	return true;
}

int fleet_unnegotiable(const struct probe_target *pt, char *why, size_t whylen)
{
	/* Offer only what stark lacks: a ServerHello then proves the target
	 * negotiates with clients that have it. Chunks, as the probe does,
	 * for servers that choke on long hellos. */
	size_t nall;
	const struct hello_suite *all = hello_suites(&nall);
	uint16_t *ids = xcalloc(nall, sizeof *ids);
	size_t n = 0;
	for (size_t i = 0; i < nall; i++)
		if (stark_lacks(all[i].id))
			ids[n++] = all[i].id;
	struct probe *p = probe_new(pt);
	int rc = 0;
	for (size_t off = 0; off < n && rc == 0; off += PROBE_SUITES_PER_HELLO) {
		struct hello_opts ho;
		hello_opts_init(&ho, HELLO_TLS12);
		ho.suites = ids + off;
		ho.nsuites = n - off < PROBE_SUITES_PER_HELLO ? n - off : PROBE_SUITES_PER_HELLO;
		struct probe_result res;
		enum probe_outcome o = probe_hello(p, &ho, false, &res);
		if (o == PROBE_HELLO && !res.reply.hrr && stark_lacks(res.reply.cipher)) {
			limitation_text(&res.reply.cipher, 1, why, whylen);
			rc = 1;
		} else if (o != PROBE_ALERT && o != PROBE_CLOSED) {
			rc = -1; /* cannot tell */
		}
	}
	probe_free(p);
	free(ids);
	return rc;
}

/* ---- per node ------------------------------------------------------------ */

/* A full handshake after STARTTLS, for the certificate facts (the probe
 * only reads hellos). sni NULL: none sent. *stalled: the server let the
 * handshake run into the timeout (or the probe refuses to connect after
 * its stalls): another handshake would only cost the timeout again. */
static void handshake(struct probe *p, const struct fleet_opts *o, struct wtls_config *cfg,
                      const char *sni, struct wtls_facts *facts, bool *ok, bool *stalled, char *err,
                      size_t errlen)
{
	struct conn c;
	struct probe_result res;
	*ok = false;
	*stalled = false;
	if (probe_starttls(p, &c, &res) != 0) {
		snprintf(err, errlen, "%s", res.detail);
		*stalled = res.outcome == PROBE_SILENT;
		conn_close(&c);
		return;
	}
	conn_set_timeout(&c, o->timeout_ms);
	int rc = conn_starttls(&c, cfg, WTLS_CLIENT, sni, NULL, 0);
	*ok = rc == CONN_OK;
	*facts = c.facts;
	if (!*ok) {
		*stalled = rc == CONN_ERROR && mono_ms() >= c.deadline;
		snprintf(err, errlen, "%s", c.err);
	} else {
		conn_send(&c, (const uint8_t *)"QUIT\r\n", 6);
	}
	conn_close(&c);
}

/* The chain of one more raw hello, at the highest TLS <= 1.2 version the
 * probe found with the first suite it accepted there: before TLS 1.3 the
 * Certificate message travels in clear (RFC 5246 7.4.2). No handshake, so
 * no verification against the trust anchors: verify_ok stays false and
 * says so; the name is matched as wtls would (RFC 9525 6.3). True when
 * f->chain holds at least the leaf. */
static bool probe_chain(struct probe *p, const struct probe_report *rep, const char *sni,
                        struct wtls_facts *f)
{
	f->nchain = 0;
	for (int v = PV_TLS12; v >= PV_SSL3; v--) {
		const struct probe_version_report *vr = &rep->v[v];
		size_t k = 0;
		while (k < vr->nsuites && hello_suite_find(vr->suites[k]) &&
		       (hello_suite_find(vr->suites[k])->flags & CS_SCSV))
			k++;
		if (vr->supported != PROBE_TRI_YES || k == vr->nsuites)
			continue;
		struct hello_opts ho;
		hello_opts_init(&ho, probe_vidx_version(v));
		ho.suites = &vr->suites[k];
		ho.nsuites = 1;
		struct probe_result res;
		struct buf answer = {0};
		if (probe_hello_keep(p, &ho, true, &res, &answer) == PROBE_HELLO)
			for (size_t i = 0; i < res.reply.ncert_der && f->nchain < WTLS_CHAIN_MAX; i++) {
				const struct hello_der *d = &res.reply.cert_der[i];
				if (wtls_cert_from_der(answer.data + d->off, d->len, &f->chain[f->nchain]) != 0)
					break; /* the chain stops at what could be read */
				f->nchain++;
			}
		buf_free(&answer);
		break; /* one hello: the probe already knows what is accepted */
	}
	if (f->nchain == 0)
		return false;
	f->verify_ok = false;
	snprintf(f->verify_error, sizeof f->verify_error,
	         "not verified: no handshake (certificate from the raw probe)");
	snprintf(f->servername, sizeof f->servername, "%s", sni);
	f->host_ok = wtls_host_match(&f->chain[0], sni);
	return true;
}

/* T-13: a TLS <= 1.2 session after STARTTLS, then a new ClientHello
 * inside it. The session uses the widest offer the build has (this probe
 * asks for it), capped at TLS 1.2: TLS 1.3 has no renegotiation. */
static void reneg_check(struct probe *p, const struct fleet_opts *o, const char *sni,
                        struct fleet_node *n)
{
	if (!wtls_has(WTLS_F_RENEGOTIATION)) {
		n->reneg = FLEET_RENEG_LIBRARY;
		snprintf(n->reneg_detail, sizeof n->reneg_detail, "%s",
		         wtls_lacks_reason(WTLS_F_RENEGOTIATION));
		return;
	}
	bool old = false;
	for (int v = PV_SSL3; v <= PV_TLS12; v++)
		old |= n->probe.v[v].supported == PROBE_TRI_YES;
	if (!old) {
		n->reneg = FLEET_RENEG_TLS13_ONLY;
		snprintf(n->reneg_detail, sizeof n->reneg_detail, "no TLS <= 1.2 accepted");
		return;
	}
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	if (cfg == NULL || wtls_config_set_legacy(cfg) != 0 ||
	    wtls_config_set_versions(cfg, WTLS_V_ANY, WTLS_V12) != 0 ||
	    wtls_config_allow_renegotiation(cfg) != 0) {
		n->reneg = FLEET_RENEG_NO_SESSION;
		snprintf(n->reneg_detail, sizeof n->reneg_detail, "TLS configuration: %s",
		         cfg ? wtls_config_error(cfg) : "no memory");
		wtls_config_free(cfg);
		return;
	}
	struct conn c;
	struct probe_result res;
	if (probe_starttls(p, &c, &res) != 0) {
		n->reneg = FLEET_RENEG_NO_SESSION;
		snprintf(n->reneg_detail, sizeof n->reneg_detail, "%s", res.detail);
		conn_close(&c);
		wtls_config_free(cfg);
		return;
	}
	conn_set_timeout(&c, o->timeout_ms);
	if (conn_starttls(&c, cfg, WTLS_CLIENT, sni, NULL, 0) != CONN_OK) {
		n->reneg = FLEET_RENEG_NO_SESSION;
		snprintf(n->reneg_detail, sizeof n->reneg_detail, "TLS <= 1.2 handshake: %s", c.err);
	} else {
		int rc = wtls_renegotiate(c.tls);
		char alert[96];
		wtls_last_alert(c.tls, alert, sizeof alert);
		n->reneg = rc == 0 ? FLEET_RENEG_ACCEPTED : rc == -2 ? FLEET_RENEG_NO_RFC5746 : FLEET_RENEG_REFUSED;
		if (rc == 0)
			snprintf(n->reneg_detail, sizeof n->reneg_detail,
			         "a second handshake completed inside the %s session (%s)", c.facts.version,
			         c.facts.cipher);
		else
			snprintf(n->reneg_detail, sizeof n->reneg_detail, "%s (%s)", wtls_error(c.tls),
			         c.facts.version);
		if (rc != -1)
			conn_send(&c, (const uint8_t *)"QUIT\r\n", 6);
	}
	conn_close(&c);
	wtls_config_free(cfg);
}

void fleet_node_probe(struct fleet_node *n, const struct fleet_opts *o)
{
	int64_t t0 = mono_ms();
	if (n->host == NULL && split_hostport(n->target, &n->host, &n->port) != 0) {
		n->probe_rc = -1;
		snprintf(n->probe.errors[0], sizeof n->probe.errors[0], "not HOST:PORT: %s", n->target);
		n->probe.nerrors = 1;
		return;
	}
	struct probe_target pt = {
	    .host = n->host,
	    .port = n->port,
	    .helo = o->helo,
	    .servername = o->servername,
	    .timeout_ms = o->timeout_ms,
	    .stop = o->stop,
	};
	struct probe *p = probe_new(&pt);
	n->probe_rc = probe_scan(p, NULL, &n->probe);
	if (n->probe_rc == 0 || n->probe.max_version != 0) {
		const char *sni = o->servername ? o->servername : n->host;
		n->has_tls = true;
		bool stalled;
		handshake(p, o, o->tls, sni, &n->tls, &n->tls_ok, &stalled, n->tls_error,
		          sizeof n->tls_error);
		/* Refused by a target that speaks only what the default offer
		 * leaves out (TLS 1.0, static RSA, ...): the legacy offer, when
		 * the build has it, makes the handshake (and the node's suite). */
		char why[200];
		if (!n->tls_ok && n->tls.hello_refused && o->tls_legacy != NULL &&
		    probe_shows_limitation(&n->probe, why, sizeof why)) {
			struct wtls_facts f;
			bool ok;
			char err[256];
			handshake(p, o, o->tls_legacy, sni, &f, &ok, &stalled, err, sizeof err);
			if (ok) {
				n->tls = f;
				n->tls_ok = true;
				n->tls_legacy = true;
				n->tls_error[0] = '\0';
			}
		}
		/* Not the target's fault: the X- checks judge the certificate
		 * a raw hello gets instead. */
		if (!n->tls_ok && n->tls.hello_refused &&
		    probe_shows_limitation(&n->probe, why, sizeof why)) {
			n->cert_from_probe = probe_chain(p, &n->probe, sni, &n->tls);
			snprintf(n->tls_error, sizeof n->tls_error, "%s (%s)", why,
			         n->cert_from_probe
			             ? "certificate from the raw probe: stark's TLS library cannot complete "
			               "a handshake with this target"
			             : "the raw probe got no certificate to judge instead");
		}
		/* which certificate does a client without SNI get? Not
		 * asked of a server that just stalled a handshake. */
		if (!stalled) {
			struct wtls_facts f;
			bool ok;
			char err[256];
			n->has_nosni = true;
			handshake(p, o, n->tls_legacy ? o->tls_legacy : o->tls, NULL, &f, &ok, &stalled,
			          err, sizeof err);
			if (ok && f.nchain > 0)
				snprintf(n->nosni_sha256, sizeof n->nosni_sha256, "%s", f.chain[0].sha256);
		}
		if (!stalled && !(o->stop && *o->stop))
			reneg_check(p, o, sni, n);
		/* T-15/T-16/T-22: not against a server that stalls handshakes (each
		 * battery would cost the timeout) or a scan cut short */
		if (!stalled && !n->probe.stopped && !(o->stop && *o->stop)) {
			struct attack_opts ao = {
			    .tls_leaf_sha256 = (n->tls_ok || n->cert_from_probe) && n->tls.nchain
			                           ? n->tls.chain[0].sha256
			                           : NULL,
			    .servername = sni,
			};
			attack_run(p, &n->probe, &ao, &n->attacks);
		} else {
			snprintf(n->attacks.why_not, sizeof n->attacks.why_not, "%s",
			         stalled ? "the server stalled a TLS handshake: every battery would cost the timeout"
			                 : "interrupted");
		}
	}
	probe_free(p);
	n->elapsed_ms = mono_ms() - t0;
}

size_t fleet_node_connections(const struct fleet_node *n)
{
	return n->probe.connections + (n->has_tls ? 1 : 0) + (n->has_nosni ? 1 : 0) +
	       (n->cert_from_probe ? 1 : 0) + n->attacks.connections;
}

void fleet_node_free(struct fleet_node *n)
{
	attack_report_free(&n->attacks);
	free(n->target);
	free(n->host);
	free(n->port);
	free(n->group);
	memset(n, 0, sizeof *n);
}

void fleet_versions_str(const struct probe_report *p, char *out, size_t outlen)
{
	struct buf b = {0};
	for (int i = 0; i < PV__COUNT; i++)
		if (p->v[i].supported == PROBE_TRI_YES)
			buf_appendf(&b, "%s%s", b.len ? " " : "", hello_version_name(probe_vidx_version(i)));
	snprintf(out, outlen, "%s", b.len ? buf_cstr(&b) : "none");
	buf_free(&b);
}

static void suites_str(const struct probe_version_report *v, struct buf *b)
{
	char lab[64];
	for (size_t k = 0; k < v->nsuites; k++)
		buf_appendf(b, "%s%s", k ? " " : "", hello_suite_label(v->suites[k], lab, sizeof lab));
	if (v->nsuites == 0)
		buf_appendf(b, "none");
}

void fleet_free(struct fleet *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nnodes; i++)
		fleet_node_free(&f->nodes[i]);
	free(f->nodes);
	for (size_t r = 0; r < f->nrows; r++) {
		free(f->rows[r].property);
		for (size_t i = 0; i < f->nnodes; i++)
			free(f->rows[r].values[i]);
		free(f->rows[r].values);
	}
	free(f->rows);
	free(f->policy);
	for (size_t d = 0; d < f->ndomains; d++) {
		strv_free(f->domains[d].mx, f->domains[d].nmx);
		free(f->domains[d].pref);
		free(f->domains[d].name);
	}
	free(f->domains);
	memset(f, 0, sizeof *f);
}

static struct fleet_row *add_row(struct fleet *f, const char *property)
{
	f->rows = xrealloc(f->rows, (f->nrows + 1) * sizeof *f->rows);
	struct fleet_row *r = &f->rows[f->nrows++];
	r->property = xstrdup(property);
	r->values = xcalloc(f->nnodes + 1, sizeof *r->values);
	return r;
}

static void finish_row(struct fleet *f, struct fleet_row *r, const char *severity,
                       const char *catalog, struct run *run)
{
	/* Nodes in groups (the addresses of one MX host) must agree within
	 * their group; different MX hosts may differ (their names, hence
	 * certificates, do), which the domain view shows. */
	r->consistent = true;
	for (size_t i = 1; i < f->nnodes; i++)
		for (size_t k = 0; k < i; k++)
			if (((f->nodes[i].group == NULL && f->nodes[k].group == NULL) ||
			     (f->nodes[i].group && f->nodes[k].group &&
			      strcmp(f->nodes[i].group, f->nodes[k].group) == 0)) &&
			    strcmp(r->values[i], r->values[k]) != 0)
				r->consistent = false;
	if (r->consistent || f->nnodes < 2)
		return;
	/* One FAIL per inconsistent property: nodes behind one name must
	 * behave alike (catalog O-02: every MX x every IP). */
	struct result res;
	memset(&res, 0, sizeof res);
	transcript_init(&res.tr);
	res.id = xasprintf("fleet/%s", r->property);
	res.title = xasprintf("All nodes agree on %s", r->property);
	res.file = xstrdup("");
	res.severity = xstrdup(severity);
	res.catalog = xcalloc(2, sizeof *res.catalog);
	res.catalog[0] = xstrdup(catalog);
	res.ncatalog = 1;
	res.refs = xcalloc(1, sizeof *res.refs);
	res.keywords = xcalloc(2, sizeof *res.keywords);
	res.keywords[0] = xstrdup("fleet");
	res.nkeywords = 1;
	res.verdict = V_FAIL;
	res.started_ms = wall_ms();
	struct buf b = {0};
	buf_appendf(&b, "nodes differ in %s: ", r->property);
	for (size_t i = 0; i < f->nnodes; i++)
		buf_appendf(&b, "%s%s = %s", i ? "; " : "", f->nodes[i].target, r->values[i]);
	res.reason = xstrdup(buf_cstr(&b));
	buf_free(&b);
	run_add(run, &res);
}

/* The verdict of result id on node, or "-" */
static const char *verdict_on(const struct run *run, const char *id, const char *node)
{
	for (size_t i = 0; i < run->n; i++)
		if (run->results[i].node && strcmp(run->results[i].node, node) == 0 &&
		    strcmp(run->results[i].id, id) == 0)
			return result_verdict_name(run->results[i].verdict);
	return "-";
}

void fleet_consistency(struct fleet *f, struct run *run)
{
	char tmp[512];
	struct fleet_row *r = add_row(f, "certificate");
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct fleet_node *n = &f->nodes[i];
		r->values[i] = xstrdup((n->tls_ok || n->cert_from_probe) && n->tls.nchain
		                           ? n->tls.chain[0].sha256
		                           : "none");
	}
	finish_row(f, r, "medium", "X-01", run);

	r = add_row(f, "versions");
	for (size_t i = 0; i < f->nnodes; i++) {
		fleet_versions_str(&f->nodes[i].probe, tmp, sizeof tmp);
		r->values[i] = xstrdup(tmp);
	}
	finish_row(f, r, "high", "T-03", run);

	for (int v = 0; v < PV__COUNT; v++) {
		bool any = false;
		for (size_t i = 0; i < f->nnodes; i++)
			any |= f->nodes[i].probe.v[v].supported == PROBE_TRI_YES;
		if (!any)
			continue;
		char prop[64];
		snprintf(prop, sizeof prop, "suites %s", hello_version_name(probe_vidx_version(v)));
		r = add_row(f, prop);
		for (size_t i = 0; i < f->nnodes; i++) {
			struct buf b = {0};
			suites_str(&f->nodes[i].probe.v[v], &b);
			r->values[i] = xstrdup(buf_cstr(&b));
			buf_free(&b);
		}
		finish_row(f, r, "medium", "T-06", run);
		snprintf(prop, sizeof prop, "server preference %s",
		         hello_version_name(probe_vidx_version(v)));
		r = add_row(f, prop);
		for (size_t i = 0; i < f->nnodes; i++)
			r->values[i] = xstrdup(probe_tri_name(f->nodes[i].probe.v[v].server_order));
		finish_row(f, r, "low", "T-08", run);
	}

	/* Every finding and state-machine verdict, as long as it was judged on
	 * at least one node. Snapshot n: fleet results are appended as we go. */
	size_t nres = run->n;
	for (size_t k = 0; k < nres; k++) {
		const struct result *x = &run->results[k];
		if (x->node == NULL || strcmp(x->node, f->nodes[0].target) != 0)
			continue;
		char *id = xstrdup(x->id), *sev = xstrdup(x->severity),
		     *cat = xstrdup(x->ncatalog ? x->catalog[0] : "O-02");
		r = add_row(f, id);
		for (size_t i = 0; i < f->nnodes; i++)
			r->values[i] = xstrdup(verdict_on(run, id, f->nodes[i].target));
		finish_row(f, r, sev, cat, run);
		free(id);
		free(sev);
		free(cat);
	}
}

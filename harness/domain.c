/* SPDX-License-Identifier: MIT */
/*
 * domain: domain_run, the order of a domain scan: per domain the MX RRset
 * (none: the domain itself, RFC 5321 5.1), per MX host its A and AAAA and
 * its TLSA at _25._tcp.<host> (RFC 7672 2.2.3: always port 25, whatever
 * --port the scan connects to), then one scan (scan_run) over every address
 * of every MX host with the host as the name to check and the group to
 * compare within, then DANE per MX host (dane_eval) and the domain view:
 * one result per domain with the MX set as evidence and one per domain
 * with the seed-style summary per MX and the domain verdict.
 * Invariants: results come in domain order after the scan's; a lookup that
 * failed is an ERROR, never a guess. Never prints or writes reports.
 */
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dane.h"
#include "mtasts.h"
#include "tlsrpt.h"
#include "util.h"

static char *strip_dot(const char *s)
{
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '.')
		n--;
	return xstrndup(s, n);
}

static void lookup_domain(struct dns *dns, const char *name, struct domain *d)
{
	d->name = strip_dot(name);
	dns_query(dns, d->name, DNS_T_MX, &d->mx);
	if (!d->mx.ok || d->mx.sec == DNS_SEC_BOGUS || d->mx.rcode != DNS_RCODE_NOERROR)
		return;
	if (d->mx.n == 0) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX */
		d->implicit_mx = true;
		d->mxs = xcalloc(1, sizeof *d->mxs);
		d->mxs[0].host = xstrdup(d->name);
		d->nmx = 1;
	} else {
		d->mxs = xcalloc(d->mx.n, sizeof *d->mxs);
		for (size_t i = 0; i < d->mx.n; i++) {
			char host[300];
			unsigned pref;
			if (dns_rr_mx(&d->mx.rr[i], &pref, host, sizeof host) != 0 || strcmp(host, ".") == 0)
				continue; /* malformed, or the null MX (RFC 7505): no host to scan */
			struct domain_mx *m = &d->mxs[d->nmx++];
			m->host = strip_dot(host);
			m->pref = pref;
		}
		/* by preference, then name: the order senders try them in */
		for (size_t i = 1; i < d->nmx; i++)
			for (size_t k = i; k > 0 && (d->mxs[k].pref < d->mxs[k - 1].pref ||
			                             (d->mxs[k].pref == d->mxs[k - 1].pref &&
			                              strcmp(d->mxs[k].host, d->mxs[k - 1].host) < 0));
			     k--) {
				struct domain_mx t = d->mxs[k];
				d->mxs[k] = d->mxs[k - 1];
				d->mxs[k - 1] = t;
			}
	}
	for (size_t i = 0; i < d->nmx; i++) {
		struct domain_mx *m = &d->mxs[i];
		dns_query(dns, m->host, DNS_T_A, &m->addr[0]);
		dns_query(dns, m->host, DNS_T_AAAA, &m->addr[1]);
		char *q = xasprintf("_25._tcp.%s", m->host);
		dns_query(dns, q, DNS_T_TLSA, &m->tlsa);
		free(q);
	}
}

/* ---- results ------------------------------------------------------------- */

static void push_result(struct run *run, const char *id, const char *node, const char *title,
                        const char *severity, enum verdict v, const char *reason,
                        const char *notes, const struct buf *evidence)
{
	struct result r;
	memset(&r, 0, sizeof r);
	transcript_init(&r.tr);
	r.id = xstrdup(id);
	r.node = xstrdup(node);
	r.title = xstrdup(title);
	r.file = xstrdup("");
	r.severity = xstrdup(severity);
	r.catalog = xcalloc(2, sizeof *r.catalog);
	r.catalog[0] = xstrdup("O-02");
	r.ncatalog = 1;
	r.refs = xcalloc(2, sizeof *r.refs);
	r.refs[0] = xstrdup("RFC 5321 5.1");
	r.nrefs = 1;
	r.keywords = xcalloc(2, sizeof *r.keywords);
	r.keywords[0] = xstrdup("domain");
	r.nkeywords = 1;
	r.verdict = v;
	r.started_ms = wall_ms();
	r.reason = xstrdup(v == V_PASS ? "" : reason);
	if (notes && notes[0])
		r.notes = xstrdup(notes);
	if (evidence && evidence->len) {
		char *copy = xstrdup(buf_cstr((struct buf *)evidence));
		for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n"))
			transcript_note(&r.tr, TLAYER_PLAIN, "%s", l);
		free(copy);
	}
	run_add(run, &r);
}

static void describe_dns(const struct domain *d, struct buf *b)
{
	dns_answer_describe(&d->mx, b);
	for (size_t i = 0; i < d->nmx; i++) {
		dns_answer_describe(&d->mxs[i].addr[0], b);
		dns_answer_describe(&d->mxs[i].addr[1], b);
	}
}

/* The MX set of d: PASS with the set as notes, FAIL when senders cannot use
 * it, ERROR when it could not be looked up. */
static void mx_result(const struct domain *d, struct run *run)
{
	struct buf ev = {0}, notes = {0};
	char sum[400], why[800];
	describe_dns(d, &ev);
	dns_answer_summary(&d->mx, sum, sizeof sum);
	enum verdict v = V_PASS;
	why[0] = '\0';
	if (!d->mx.ok) {
		v = V_ERROR;
		snprintf(why, sizeof why, "MX lookup failed: %s", sum);
	} else if (d->mx.sec == DNS_SEC_BOGUS) {
		v = V_FAIL;
		snprintf(why, sizeof why, "the MX RRset of %s is %s: senders that validate DNSSEC "
		         "cannot deliver", d->name, sum);
	} else if (d->mx.rcode != DNS_RCODE_NOERROR) {
		v = V_ERROR;
		snprintf(why, sizeof why, "%s: %s, no mail domain to scan", d->name, sum);
	} else if (d->nmx == 0) {
		v = V_ERROR;
		snprintf(why, sizeof why, "%s publishes a null MX (RFC 7505): it accepts no mail, "
		         "nothing to scan", d->name);
	}
	buf_appendf(&notes, "MX of %s: %s%s", d->name, sum, d->implicit_mx ? " (implicit MX: the "
	            "domain itself, RFC 5321 5.1)" : "");
	for (size_t i = 0; i < d->nmx; i++) {
		const struct domain_mx *m = &d->mxs[i];
		buf_appendf(&notes, "; %s (preference %u):", m->host, m->pref);
		size_t naddr = 0;
		for (int k = 0; k < 2; k++) {
			const struct dns_answer *a = &m->addr[k];
			for (size_t j = 0; j < a->n; j++) {
				char addr[64];
				if (dns_rr_addr(a->qtype, &a->rr[j], addr, sizeof addr) == 0)
					buf_appendf(&notes, " %s", addr), naddr++;
			}
		}
		if (v != V_PASS)
			continue;
		for (int k = 0; k < 2; k++)
			if (!m->addr[k].ok) {
				dns_answer_summary(&m->addr[k], sum, sizeof sum);
				v = V_ERROR;
				snprintf(why, sizeof why, "%s: %s", m->host, sum);
			} else if (m->addr[k].sec == DNS_SEC_BOGUS) {
				v = V_FAIL;
				snprintf(why, sizeof why, "the %s records of MX %s are bogus: validating "
				         "senders cannot reach it", dns_type_name(m->addr[k].qtype), m->host);
			}
		if (v == V_PASS && naddr == 0) {
			v = V_FAIL;
			snprintf(why, sizeof why, "MX %s has no A or AAAA record: mail to it cannot be "
			         "delivered", m->host);
		}
	}
	push_result(run, "domain/mx", d->name, "The domain's MX set resolves to reachable addresses",
	            "high", v, why, buf_cstr(&notes), &ev);
	buf_free(&ev);
	buf_free(&notes);
}

static const struct fleet_node *const *nodes_of(const struct domain_set *ds,
                                                const struct domain_mx *m)
{
	static const struct fleet_node *none[1];
	if (m->nnodes == 0)
		return none;
	const struct fleet_node **v = xcalloc(m->nnodes, sizeof *v);
	for (size_t i = 0; i < m->nnodes; i++)
		v[i] = &ds->fl.nodes[m->node[i]];
	return v;
}

static bool node_of_domain(const struct domain *d, const struct domain_set *ds, const char *node)
{
	if (strcmp(node, d->name) == 0)
		return true;
	for (size_t i = 0; i < d->nmx; i++) {
		if (strcmp(node, d->mxs[i].host) == 0)
			return true;
		for (size_t k = 0; k < d->mxs[i].nnodes; k++)
			if (strcmp(node, ds->fl.nodes[d->mxs[i].node[k]].target) == 0)
				return true;
	}
	return false;
}

/* The domain view: per MX and address the seed-style line, and one verdict
 * over every result that belongs to the domain (its name, MX hosts and
 * nodes; fleet/ rows when the domain has them). */
static void view_result(const struct domain *d, const struct domain_set *ds, size_t from,
                        struct run *run, int64_t now)
{
	struct buf notes = {0};
	for (size_t i = 0; i < d->nmx; i++) {
		const struct domain_mx *m = &d->mxs[i];
		const struct fleet_node *const *nodes = nodes_of(ds, m);
		char dane[200];
		dane_status(&(struct dane_mx){.host = m->host,
		                              .mx = d->implicit_mx ? NULL : &d->mx,
		                              .addr = {&m->addr[0], &m->addr[1]},
		                              .tlsa = &m->tlsa},
		            nodes, m->nnodes, now, dane, sizeof dane);
		buf_appendf(&notes, "%sMX %u %s: DANE %s; MTA-STS %s", i ? "; " : "", m->pref, m->host,
		            dane, m->sts[0] ? m->sts : "not judged");
		for (size_t k = 0; k < m->nnodes; k++) {
			const struct fleet_node *n = nodes[k];
			if (n->tls_ok && n->tls.nchain)
				buf_appendf(&notes, " | %s: %s %s, certificate %s (%s, %s)", n->target,
				            n->tls.version, n->tls.cipher, n->tls.chain[0].subject,
				            n->tls.verify_ok ? "verified" : n->tls.verify_error,
				            n->tls.host_ok ? "names the host" : "does not name the host");
			else
				buf_appendf(&notes, " | %s: no TLS (%s)", n->target,
				            n->tls_error[0] ? n->tls_error : "not reached");
		}
		if (m->nnodes)
			free((void *)nodes);
	}
	size_t counts[V__COUNT] = {0};
	struct buf bad = {0};
	for (size_t i = from; i < run->n; i++) {
		const struct result *r = &run->results[i];
		bool mine = r->node ? node_of_domain(d, ds, r->node) : strncmp(r->id, "fleet/", 6) == 0;
		if (!mine)
			continue;
		counts[r->verdict]++;
		if (r->verdict == V_FAIL || r->verdict == V_ERROR)
			buf_appendf(&bad, "%s%s %s on %s", bad.len ? ", " : "",
			            result_verdict_label(r->verdict), r->id, r->node ? r->node : "the fleet");
	}
	enum verdict v = counts[V_FAIL]     ? V_FAIL
	                 : counts[V_ERROR]  ? V_ERROR
	                 : counts[V_WARN]   ? V_WARN
	                 : counts[V_PASS]   ? V_PASS
	                                    : V_ERROR;
	buf_appendf(&notes, "; domain verdict: %s (%zu FAIL, %zu ERROR, %zu WARN, %zu PASS)",
	            result_verdict_label(v), counts[V_FAIL], counts[V_ERROR], counts[V_WARN],
	            counts[V_PASS]);
	char *why = bad.len ? xasprintf("%s: %s", d->name, buf_cstr(&bad))
	                    : xasprintf("%s: %s", d->name, v == V_WARN ? "warnings only"
	                                                               : "nothing was judged");
	push_result(run, "domain/verdict", d->name,
	            "Every MX of the domain passes every check (the domain verdict)", "info", v, why,
	            buf_cstr(&notes), NULL);
	free(why);
	buf_free(&notes);
	buf_free(&bad);
}

/* ---- MTA-STS and TLS-RPT (mtasts.c, tlsrpt.c judge; this file looks up) -- */

/* A TXT answer as mtasts wants it; strings in *txt (free with strv_free). */
static void txtset_of(const struct dns_answer *a, struct mtasts_txtset *set, char ***txt,
                      char *err, size_t errlen)
{
	memset(set, 0, sizeof *set);
	*txt = NULL;
	set->qname = a->qname;
	set->dnssec = a->ok ? dns_sec_name(a->sec) : NULL;
	if (!a->ok || a->sec == DNS_SEC_BOGUS ||
	    (a->rcode != DNS_RCODE_NOERROR && a->rcode != DNS_RCODE_NXDOMAIN)) {
		dns_answer_summary(a, err, errlen);
		set->status = MTASTS_DNS_FAIL;
		set->error = err;
		return;
	}
	if (a->n == 0) {
		set->status = MTASTS_DNS_NONE;
		return;
	}
	set->status = MTASTS_DNS_ANSWER;
	*txt = xcalloc(a->n, sizeof **txt);
	for (size_t i = 0; i < a->n; i++) {
		char buf[4096];
		if (dns_rr_txt(&a->rr[i], buf, sizeof buf) != 0)
			buf[0] = '\0';
		(*txt)[i] = xstrdup(buf);
	}
	set->txt = (const char *const *)*txt;
	set->ntxt = a->n;
}

static const char *mode_name(enum mtasts_mode m)
{
	return m == MTASTS_MODE_ENFORCE ? "enforce" : m == MTASTS_MODE_TESTING ? "testing" : "none";
}

static void mta_sts(const struct domain_cfg *cfg, struct domain *d,
                    const struct domain_set *ds, struct run *run)
{
	struct dns_answer txt, addr[2];
	struct mtasts_txtset set;
	struct mtasts_state st;
	struct result r;
	char **strs, err[400];
	char *q = xasprintf("_mta-sts.%s", d->name);
	dns_query(cfg->dns, q, DNS_T_TXT, &txt);
	free(q);
	txtset_of(&txt, &set, &strs, err, sizeof err);
	mtasts_state_init(&st);
	mtasts_judge_txt(&st, d->name, &set, &r);
	run_add(run, &r);
	strv_free(strs, set.ntxt);
	dns_answer_free(&txt);

	if (st.txt_ok) {
		char *host = xasprintf("mta-sts.%s", d->name);
		dns_query(cfg->dns, host, DNS_T_A, &addr[0]);
		dns_query(cfg->dns, host, DNS_T_AAAA, &addr[1]);
		free(host);
		char *addrs[32];
		size_t na = 0;
		struct mtasts_fetch_opts fo = {.addrs = (const char *const *)addrs,
		                               .port = cfg->sts_port,
		                               .ca_file = cfg->scan.ex.ca_file,
		                               .no_system_ca = !cfg->scan.ex.system_ca,
		                               .stop = cfg->scan.ex.stop,
		                               .timeout_ms = (int)cfg->scan.ex.timeout_ms};
		bool failed = false, any = false;
		for (int k = 0; k < 2; k++) {
			const struct dns_answer *a = &addr[k];
			if (!a->ok || a->sec == DNS_SEC_BOGUS) {
				failed = true;
				dns_answer_summary(a, err, sizeof err);
			}
			for (size_t j = 0; a->ok && a->sec != DNS_SEC_BOGUS && j < a->n && na < 32; j++) {
				char ip[64];
				if (dns_rr_addr(a->qtype, &a->rr[j], ip, sizeof ip) == 0)
					addrs[na++] = xstrdup(ip), any = true;
			}
		}
		fo.naddrs = na;
		fo.addr_status = any ? MTASTS_DNS_ANSWER : failed ? MTASTS_DNS_FAIL : MTASTS_DNS_NONE;
		fo.addr_error = failed && !any ? err : NULL;
		struct mtasts_fetched f;
		memset(&f, 0, sizeof f);
		mtasts_fetch(d->name, &fo, &f);
		mtasts_judge_policy(&st, d->name, &f, &r);
		/* the policy host's DNS answers are evidence too */
		struct buf ev = {0};
		dns_answer_describe(&addr[0], &ev);
		dns_answer_describe(&addr[1], &ev);
		char *copy = xstrdup(buf_cstr(&ev));
		for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n"))
			transcript_note(&r.tr, TLAYER_PLAIN, "%s", l);
		free(copy);
		buf_free(&ev);
		run_add(run, &r);
		mtasts_fetched_free(&f);
		for (size_t i = 0; i < na; i++)
			free(addrs[i]);
		dns_answer_free(&addr[0]);
		dns_answer_free(&addr[1]);
	} else {
		mtasts_judge_policy(&st, d->name, NULL, &r);
		run_add(run, &r);
	}

	struct mtasts_mx *mx = xcalloc(d->nmx ? d->nmx : 1, sizeof *mx);
	for (size_t i = 0; i < d->nmx; i++) {
		struct domain_mx *m = &d->mxs[i];
		if (!st.policy_ok)
			snprintf(m->sts, sizeof m->sts, "%s", st.published ? "no valid policy" : "not published");
		else
			snprintf(m->sts, sizeof m->sts, "mode %s, %s", mode_name(st.policy.mode),
			         mtasts_mx_match(&st.policy, m->host) ? "matches the policy"
			                                               : "outside the policy's mx patterns");
		const char **targets = xcalloc(m->nnodes ? m->nnodes : 1, sizeof *targets);
		for (size_t k = 0; k < m->nnodes; k++)
			targets[k] = ds->fl.nodes[m->node[k]].target;
		mtasts_mx_from_run(&mx[i], m->host, run, targets, m->nnodes);
		free(targets);
	}
	mtasts_judge_mx(&st, d->name, mx, d->nmx, &r);
	run_add(run, &r);
	free(mx);
	mtasts_state_free(&st);

	q = xasprintf("_smtp._tls.%s", d->name);
	dns_query(cfg->dns, q, DNS_T_TXT, &txt);
	free(q);
	txtset_of(&txt, &set, &strs, err, sizeof err);
	tlsrpt_judge(d->name, &set, &r);
	run_add(run, &r);
	strv_free(strs, set.ntxt);
	dns_answer_free(&txt);
}

void domain_run(const struct domain_cfg *cfg, struct domain_set *ds, struct run *run)
{
	int64_t t0 = mono_ms();
	ds->n = cfg->ndomains;
	ds->d = xcalloc(ds->n ? ds->n : 1, sizeof *ds->d);
	for (size_t i = 0; i < ds->n; i++)
		lookup_domain(cfg->dns, cfg->domains[i], &ds->d[i]);

	/* every address of every MX host, one scan; a node is an (MX host,
	 * address) pair, labelled "HOST[ADDR]:PORT", scanned once however many
	 * domains name that host */
	char **targets = NULL, **names = NULL, **connect = NULL;
	size_t nt = 0;
	for (size_t i = 0; i < ds->n; i++)
		for (size_t m = 0; m < ds->d[i].nmx; m++) {
			struct domain_mx *mx = &ds->d[i].mxs[m];
			for (int k = 0; k < 2; k++)
				for (size_t j = 0; j < mx->addr[k].n; j++) {
					char addr[64];
					if (mx->addr[k].sec == DNS_SEC_BOGUS ||
					    dns_rr_addr(mx->addr[k].qtype, &mx->addr[k].rr[j], addr, sizeof addr))
						continue; /* bogus addresses are where an attacker sends you */
					char *label = xasprintf("%s[%s]:%s", mx->host, addr, cfg->port);
					size_t at = 0;
					while (at < nt && strcmp(targets[at], label) != 0)
						at++;
					if (at == nt) {
						targets = xrealloc(targets, (nt + 1) * sizeof *targets);
						names = xrealloc(names, (nt + 1) * sizeof *names);
						connect = xrealloc(connect, (nt + 1) * sizeof *connect);
						targets[nt] = label;
						names[nt] = xstrdup(mx->host);
						connect[nt] = xasprintf(k ? "[%s]:%s" : "%s:%s", addr, cfg->port);
						nt++;
					} else {
						free(label);
					}
					mx->node = xrealloc(mx->node, (mx->nnodes + 1) * sizeof *mx->node);
					mx->node[mx->nnodes++] = at;
				}
		}
	struct scan_cfg sc = cfg->scan;
	sc.targets = targets;
	sc.ntargets = nt;
	sc.servernames = names;
	sc.groups = names; /* the addresses of one MX host must agree */
	sc.connect = connect;
	scan_run(&sc, &ds->fl, run);
	ds->fl.ndomains = ds->n;
	ds->fl.domains = xcalloc(ds->n ? ds->n : 1, sizeof *ds->fl.domains);
	for (size_t i = 0; i < ds->n; i++) {
		struct fleet_domain *fd = &ds->fl.domains[i];
		fd->name = xstrdup(ds->d[i].name);
		fd->nmx = ds->d[i].nmx;
		fd->mx = xcalloc(fd->nmx ? fd->nmx : 1, sizeof *fd->mx);
		fd->pref = xcalloc(fd->nmx ? fd->nmx : 1, sizeof *fd->pref);
		for (size_t m = 0; m < fd->nmx; m++) {
			fd->mx[m] = xstrdup(ds->d[i].mxs[m].host);
			fd->pref[m] = ds->d[i].mxs[m].pref;
		}
	}
	size_t from = 0;
	int64_t now = (int64_t)time(NULL);
	bool stop = cfg->scan.ex.stop && *cfg->scan.ex.stop;
	for (size_t i = 0; i < ds->n && !stop; i++) {
		struct domain *d = &ds->d[i];
		mx_result(d, run);
		for (size_t m = 0; m < d->nmx; m++) {
			const struct domain_mx *mx = &d->mxs[m];
			struct dane_mx dm = {.host = mx->host,
			                     .mx = d->implicit_mx ? NULL : &d->mx,
			                     .addr = {&mx->addr[0], &mx->addr[1]},
			                     .tlsa = &mx->tlsa};
			const struct fleet_node *const *nodes = nodes_of(ds, mx);
			dane_eval(&dm, nodes, mx->nnodes, now, run);
			if (mx->nnodes)
				free((void *)nodes);
		}
		if (d->nmx)
			mta_sts(cfg, d, ds, run);
		view_result(d, ds, from, run, now);
	}
	ds->lookups = dns_lookups(cfg->dns);
	strv_free(targets, nt);
	strv_free(names, nt);
	strv_free(connect, nt);
	run->elapsed_ms = mono_ms() - t0;
}

void domain_free(struct domain_set *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		struct domain *d = &ds->d[i];
		for (size_t m = 0; m < d->nmx; m++) {
			free(d->mxs[m].host);
			free(d->mxs[m].node);
			dns_answer_free(&d->mxs[m].addr[0]);
			dns_answer_free(&d->mxs[m].addr[1]);
			dns_answer_free(&d->mxs[m].tlsa);
		}
		free(d->mxs);
		dns_answer_free(&d->mx);
		free(d->name);
	}
	free(ds->d);
	fleet_free(&ds->fl);
	memset(ds, 0, sizeof *ds);
}

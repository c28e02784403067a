/* SPDX-License-Identifier: MIT */
/*
 * report: report_write_all (mkdir -p, each writer to "<name>.tmp" then
 * rename) and report_terminal (facts first, then every non-PASS line).
 * The top of the report modules: it calls the writers (report_json,
 * report_junit, report_md, report_html), which share report_view and
 * report_escape; none of them calls back into this file.
 */
#include "report.h"
#include "hello.h"
#include "report_escape.h"
#include "report_html.h"
#include "report_json.h"
#include "report_junit.h"
#include "report_md.h"
#include "report_sarif.h"
#include "report_view.h"
#include "fleet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- terminal ---------------------------------------------------------- */

static const char *colour_of(enum verdict v)
{
	switch (v) {
	case V_PASS: return "\033[32m";
	case V_FAIL:
	case V_XPASS: return "\033[1;31m";
	case V_ERROR: return "\033[1;35m";
	case V_WARN: return "\033[1;33m";
	default: return "\033[33m";
	}
}

/* Sanitised, so a certificate subject or a reply quoted in a reason cannot
 * drive the terminal. */
static void put_san(FILE *f, struct buf *tmp, const char *s, size_t n)
{
	buf_reset(tmp);
	report_escape_sanitize(tmp, (const uint8_t *)s, n, false);
	fwrite(tmp->data, 1, tmp->len, f);
}
#define PUT_FACT(f, tmp, arr) put_san((f), (tmp), (arr), REPORT_VIEW_FLEN(arr))
#define PUT_STR(f, tmp, str) put_san((f), (tmp), (str), strlen(str))

/* stark scan: one block per node, the facts a person checks first. */
static void terminal_scan(const struct run *run, FILE *f, struct buf *tmp)
{
	const struct fleet *fl = run->scan;
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct fleet_node *n = &fl->nodes[i];
		char vers[128];
		fputs("Node ", f);
		PUT_STR(f, tmp, n->target);
		fputc('\n', f);
		if (n->probe_rc != 0 && n->probe.max_version == 0) {
			fputs("  not probed: ", f);
			PUT_STR(f, tmp, n->probe.nerrors ? n->probe.errors[0] : "unknown error");
			fputc('\n', f);
			continue;
		}
		fleet_versions_str(&n->probe, vers, sizeof vers);
		fprintf(f, "  SSL/TLS versions offered: %s\n", vers);
		if (n->tls_ok) {
			fputs("  TLS version in use: ", f);
			PUT_FACT(f, tmp, n->tls.version);
			fputs("\n  Cipher in use: ", f);
			int id = hello_suite_by_name(n->tls.cipher);
			const struct hello_suite *hs = id >= 0 ? hello_suite_find((uint16_t)id) : NULL;
			PUT_STR(f, tmp, hs && hs->openssl ? hs->openssl : n->tls.cipher);
			if (hs && hs->openssl && hs->iana && strcmp(hs->openssl, hs->iana) != 0)
				fprintf(f, " (%s)", hs->iana);
			fputc('\n', f);
		} else {
			fputs("  handshake: ", f);
			PUT_STR(f, tmp, n->tls_error[0] ? n->tls_error : "failed");
			fputc('\n', f);
		}
		if ((n->tls_ok || n->cert_from_probe) && n->tls.nchain > 0) {
			const struct wtls_cert *c = &n->tls.chain[0];
			char until[32];
			report_view_iso_sec(c->not_after, until);
			fputs("  Certificate: ", f);
			PUT_FACT(f, tmp, c->subject);
			fprintf(f, "%s, %s %d, valid until %s, verify: ", c->self_signed ? " (self-signed)" : "",
			        c->key_type, c->key_bits, until);
			if (n->tls.verify_ok) {
				fputs("ok", f);
			} else {
				fputs("FAILED (", f);
				PUT_FACT(f, tmp, n->tls.verify_error);
				fputs(")", f);
			}
			fprintf(f, ", host match: %s\n", n->tls.host_ok ? "yes" : "no");
		}
		fprintf(f, "  %zu connections, %lld ms\n",
		        fleet_node_connections(n),
		        (long long)n->elapsed_ms);
	}
	fprintf(f, "Policy: %s\n", fl->policy);
}

static void terminal_facts(const struct run *run, FILE *f, struct buf *tmp)
{
	if (run->scan) {
		terminal_scan(run, f, tmp);
		return;
	}
	if (!run->has_tls) {
		fputs("TLS: no successful handshake with the target\n", f);
		return;
	}
	const struct wtls_facts *t = &run->tls;
	/* Client role: stark was the server, so there is no peer certificate
	 * to judge; what the client offered (SNI) is the fact that matters. */
	bool client = run->role && strcmp(run->role, "client") == 0;
	fputs("TLS version in use: ", f);
	PUT_FACT(f, tmp, t->version);
	fputs("\nCipher in use: ", f);
	PUT_FACT(f, tmp, t->cipher);
	if (t->group[0]) {
		fputs(" (group ", f);
		PUT_FACT(f, tmp, t->group);
		fputs(")", f);
	}
	fputc('\n', f);
	if (t->nchain > 0) {
		const struct wtls_cert *c = &t->chain[0];
		char until[32];
		report_view_iso_sec(c->not_after, until);
		fputs("Certificate: ", f);
		PUT_FACT(f, tmp, c->subject);
		fputs(" issued by ", f);
		PUT_FACT(f, tmp, c->issuer);
		fprintf(f, " valid until %s, verify: ", until);
		if (t->verify_ok) {
			fputs("ok", f);
		} else {
			fputs("FAILED (", f);
			PUT_FACT(f, tmp, t->verify_error);
			fputs(")", f);
		}
		fprintf(f, ", host match: %s\n",
		        !t->servername[0] ? "not checked" : t->host_ok ? "yes" : "no");
	} else if (t->verify_error[0] && !client) {
		fputs("Certificate: none, verify: FAILED (", f);
		PUT_FACT(f, tmp, t->verify_error);
		fputs(")\n", f);
	}
	if (t->client_sni[0]) {
		fputs("Client SNI: ", f);
		PUT_FACT(f, tmp, t->client_sni);
		fputc('\n', f);
	} else if (client) {
		fputs("Client SNI: none sent\n", f);
	}
}

void report_terminal(const struct run *run, const char *dir, FILE *f)
{
	bool colour = isatty(fileno(f)) && getenv("NO_COLOR") == NULL;
	struct buf tmp = {0}, reason = {0};
	size_t counts[V__COUNT];

	terminal_facts(run, f, &tmp);

	size_t *idx = xcalloc(run->n, sizeof *idx);
	size_t roots = report_view_order(run, idx);
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[idx[k]];
		if (k == 0 && roots > 0)
			fputs("Root causes (each made the scenarios that need what it checks SKIP):\n", f);
		if (k == roots && roots > 0)
			fputs("Other results:\n", f);
		if (r->verdict == V_PASS) {
			/* A PASS with a remark (e.g. an opportunistic client that fell
			 * back to plaintext) is reported, not failed. */
			if (r->notes) {
				fputs("NOTE  ", f);
				put_san(f, &tmp, report_view_str(r->id), strlen(report_view_str(r->id)));
				fputs("  ", f);
				put_san(f, &tmp, r->notes, strlen(r->notes));
				fputc('\n', f);
			}
			continue;
		}
		/* "FAIL  id": labels padded to 5 so ids line up for the common verdicts. */
		const char *label = result_verdict_label(r->verdict);
		if (colour)
			fprintf(f, "%s%s\033[0m", colour_of(r->verdict), label);
		else
			fputs(label, f);
		fprintf(f, "%*s ", (int)(strlen(label) < 5 ? 5 - strlen(label) : 0), "");
		put_san(f, &tmp, report_view_str(r->id), strlen(report_view_str(r->id)));
		buf_reset(&reason);
		if (r->blocked_by) /* the root cause above says why */
			buf_appendf(&reason, "blocked by %s", r->blocked_by);
		else
			report_view_reason(&reason, r);
		if (k < roots)
			buf_appendf(&reason, " [blocks %zu]", report_view_blocks(run, r));
		if (reason.len > 0) {
			fputs("  ", f);
			put_san(f, &tmp, (const char *)reason.data, reason.len);
		}
		fputc('\n', f);
	}
	free(idx);

	run_summary(run, counts);
	fprintf(f, "%zu %s%s: %zu pass", run->n, run->scan ? "result" : "scenario", run->n == 1 ? "" : "s",
	        counts[V_PASS]);
	for (int v = V_PASS + 1; v < V__COUNT; v++)
		if (counts[v] > 0)
			fprintf(f, ", %zu %s", counts[v], result_verdict_name((enum verdict)v));
	fputc('\n', f);
	if (run->interrupted)
		fputs("Run interrupted: results are partial.\n", f);
	if (dir != NULL) {
		fputs("Reports: ", f);
		put_san(f, &tmp, dir, strlen(dir));
		fputs("/results.json (also junit.xml, summary.md, index.html)\n", f);
	}
	buf_free(&tmp);
	buf_free(&reason);
}

/* ---- writing files ----------------------------------------------------- */

static int fail_errno(char *err, size_t errlen, const char *what, const char *path, int e)
{
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
	return -1;
}

static int write_one(const struct run *run, const char *dir, const char *name,
                     int (*writer)(const struct run *, FILE *), char *err, size_t errlen)
{
	char *tmp = xasprintf("%s/%s.tmp", dir, name);
	char *final = xasprintf("%s/%s", dir, name);
	int rc = -1;

	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		fail_errno(err, errlen, "cannot write", tmp, errno);
		goto out;
	}
	errno = 0;
	int wrc = writer(run, f);
	int e = errno;
	if (fflush(f) != 0 || ferror(f))
		wrc = -1, e = errno ? errno : e;
	if (fclose(f) != 0 && wrc == 0)
		wrc = -1, e = errno;
	if (wrc != 0) {
		fail_errno(err, errlen, "cannot write", tmp, e ? e : EIO);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, final) != 0) {
		fail_errno(err, errlen, "cannot rename to", final, errno);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(final);
	return rc;
}

int report_write_all(const struct run *run, const char *dir, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int (*fn)(const struct run *, FILE *);
		bool (*wanted)(const struct run *); /* NULL: always */
	} writers[] = {
		/* Canonical first: if a later view fails, the evidence is on disk. */
		{"results.json", report_json, NULL},
		{"junit.xml", report_junit, NULL},
		{"summary.md", report_md, NULL},
		{"index.html", report_html, NULL},
		{"results.sarif", report_sarif, NULL},
		{"fleet.html", report_html_fleet, report_html_fleet_wanted},
	};
	if (mkdir_all(dir, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
		if ((writers[i].wanted == NULL || writers[i].wanted(run)) &&
		    write_one(run, dir, writers[i].name, writers[i].fn, err, errlen) != 0)
			return -1;
	return 0;
}

char *report_default_dir(const char *role)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
	return xasprintf("reports/%s-%s-%d", role, ts, (int)getpid());
}

/* SPDX-License-Identifier: MIT */
/*
 * report: report_write_all (mkdir -p, write to "<name>.tmp" then rename),
 * report_terminal and the helpers every report_*.c writer shares (event
 * lines, ordering, TLS facts). The escapers live in report_escape.c.
 */
#include "report.h"
#include "hello.h"
#include "scan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- small formatting helpers ----------------------------------------- */

/* Unsigned magnitude, so INT64_MIN from a corrupt clock is not UB. */
static void fixed3(struct buf *out, int64_t v)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	buf_appendf(out, "%s%" PRIu64 ".%03u", v < 0 ? "-" : "", a / 1000, (unsigned)(a % 1000));
}

void report_ms(struct buf *out, int64_t us)
{
	fixed3(out, us);
}

void report_secs(struct buf *out, int64_t ms)
{
	fixed3(out, ms);
}

void report_iso_sec(int64_t sec, char out[32])
{
	/* Certificate dates come from the peer: anything time_t or gmtime_r
	 * cannot represent is reported, not trusted. */
	struct tm tm;
	time_t t = (time_t)sec;
	if ((int64_t)t != sec || gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 - 1900 ||
	    tm.tm_year > 9999 - 1900) {
		snprintf(out, 32, "invalid");
		return;
	}
	/* Range-checked above; the modulos only let the compiler see the width. */
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
	         (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
	         (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

void report_event_line(struct buf *out, const struct tevent *e, size_t maxdata)
{
	size_t show = (maxdata > 0 && e->len > maxdata) ? maxdata : e->len;
	buf_append(out, "[+", 2);
	report_ms(out, e->t_us);
	buf_appendf(out, "ms] %s %s ", tdir_name(e->dir), tlayer_name(e->layer));
	if (e->dir == TDIR_NOTE) {
		report_sanitize(out, e->data, show, false);
	} else {
		buf_append(out, "\"", 1);
		buf_escape(out, e->data, show);
		buf_append(out, "\"", 1);
	}
	if (show < e->len)
		buf_appendf(out, " ... (%zu of %zu bytes shown)", show, e->len);
}

bool report_is_bad(enum verdict v)
{
	return v == V_FAIL || v == V_XPASS || v == V_ERROR;
}

void report_order(const struct run *run, size_t *idx)
{
	size_t k = 0;
	for (size_t i = 0; i < run->n; i++)
		if (report_is_bad(run->results[i].verdict))
			idx[k++] = i;
	for (size_t i = 0; i < run->n; i++)
		if (!report_is_bad(run->results[i].verdict))
			idx[k++] = i;
}

void report_reason(struct buf *out, const struct result *r)
{
	const char *reason = report_str(r->reason);
	if (r->verdict == V_XPASS) {
		buf_appendf(out, "passed, but expected to fail");
		if (r->xfail_reason != NULL && *r->xfail_reason)
			buf_appendf(out, ": %s", r->xfail_reason);
		if (*reason)
			buf_appendf(out, " (%s)", reason);
		return;
	}
	buf_append(out, reason, strlen(reason));
	if (r->verdict == V_XFAIL && r->xfail_reason != NULL && *r->xfail_reason)
		buf_appendf(out, "%sexpected failure: %s", *reason ? "; " : "", r->xfail_reason);
	/* remarks reach every view (e.g. an opportunistic client's fallback) */
	if (r->notes != NULL && *r->notes)
		buf_appendf(out, "%snote: %s", out->len ? "; " : "", r->notes);
}

static void append_field(struct buf *out, const char *arr, size_t len)
{
	buf_append(out, arr, len);
}
#define APPEND_FACT(out, arr) append_field((out), (arr), REPORT_FLEN(arr))

void report_tls_brief(struct buf *out, const struct wtls_facts *f)
{
	if (!f->handshake_ok) {
		buf_appendf(out, "handshake failed");
		if (f->version[0]) {
			buf_appendf(out, " (");
			APPEND_FACT(out, f->version);
			buf_appendf(out, ")");
		}
		return;
	}
	APPEND_FACT(out, f->version);
	buf_appendf(out, ", ");
	APPEND_FACT(out, f->cipher);
	if (f->group[0]) {
		buf_appendf(out, " (");
		APPEND_FACT(out, f->group);
		buf_appendf(out, ")");
	}
	if (f->nchain > 0 || f->verify_error[0]) {
		buf_appendf(out, ", verify: ");
		if (f->verify_ok) {
			buf_appendf(out, "ok");
		} else {
			buf_appendf(out, "FAILED (");
			APPEND_FACT(out, f->verify_error);
			buf_appendf(out, ")");
		}
		buf_appendf(out, ", host match: %s", !f->servername[0] ? "not checked" : f->host_ok ? "yes" : "no");
	}
	if (f->client_sni[0]) {
		buf_appendf(out, ", client SNI: ");
		APPEND_FACT(out, f->client_sni);
	}
}

static void kv_add(struct report_kv *rows, size_t *n, const char *key, struct buf *b)
{
	if (*n >= REPORT_FACT_ROWS)
		fatalx("report rows: more than %d", REPORT_FACT_ROWS);
	rows[*n].key = key;
	rows[*n].val = xstrdup(buf_cstr(b));
	(*n)++;
	buf_reset(b);
}

size_t report_detail_rows(const struct result *r, struct report_kv rows[REPORT_FACT_ROWS])
{
	struct buf b = {0};
	size_t n = 0;
	char ts[32];
	buf_appendf(&b, "%s", report_str(r->file));
	if (r->line > 0)
		buf_appendf(&b, ", line %d", r->line);
	kv_add(rows, &n, "File", &b);
	report_reason(&b, r);
	if (b.len == 0)
		buf_appendf(&b, "(none)");
	kv_add(rows, &n, "Reason", &b);
	buf_appendf(&b, "%s", r->severity && *r->severity ? r->severity : "(none)");
	for (size_t i = 0; i < r->ncatalog; i++)
		buf_appendf(&b, "%s%s", i ? ", " : "; catalog: ", r->catalog[i]);
	for (size_t i = 0; i < r->nrefs; i++)
		buf_appendf(&b, "%s%s", i ? "; " : "; refs: ", r->refs[i]);
	kv_add(rows, &n, "Severity", &b);
	iso8601_ms(r->started_ms, ts);
	buf_appendf(&b, "%s, elapsed %lld ms", ts, (long long)r->elapsed_ms);
	kv_add(rows, &n, "Started", &b);
	if (r->has_tls) {
		report_tls_brief(&b, &r->tls);
		kv_add(rows, &n, "TLS", &b);
	}
	if (r->has_trigger) {
		buf_appendf(&b, "%d", r->trigger_status);
		kv_add(rows, &n, "Trigger exit status", &b);
	}
	buf_free(&b);
	return n;
}

size_t report_facts_rows(const struct wtls_facts *f, struct report_kv rows[REPORT_FACT_ROWS])
{
	struct buf b = {0};
	size_t n = 0;
	char t0[32], t1[32];

	if (!f->handshake_ok) {
		buf_appendf(&b, "none (handshake failed)");
		kv_add(rows, &n, "TLS version in use", &b);
	} else {
		APPEND_FACT(&b, f->version);
		kv_add(rows, &n, "TLS version in use", &b);
		APPEND_FACT(&b, f->cipher);
		kv_add(rows, &n, "Cipher in use", &b);
		if (f->group[0]) {
			APPEND_FACT(&b, f->group);
			kv_add(rows, &n, "Key exchange group", &b);
		}
	}
	size_t nchain = f->nchain < WTLS_CHAIN_MAX ? f->nchain : WTLS_CHAIN_MAX;
	if (nchain > 0) {
		const struct wtls_cert *c = &f->chain[0];
		APPEND_FACT(&b, c->subject);
		kv_add(rows, &n, "Certificate subject", &b);
		APPEND_FACT(&b, c->issuer);
		kv_add(rows, &n, "Certificate issuer", &b);
		report_iso_sec(c->not_before, t0);
		report_iso_sec(c->not_after, t1);
		buf_appendf(&b, "%s to %s", t0, t1);
		kv_add(rows, &n, "Certificate validity", &b);
		APPEND_FACT(&b, c->key_type);
		buf_appendf(&b, " %d bits, ", c->key_bits);
		APPEND_FACT(&b, c->sig_alg);
		if (c->self_signed)
			buf_appendf(&b, ", self-signed");
		kv_add(rows, &n, "Certificate key", &b);
		size_t nsan = c->nsan < WTLS_SAN_MAX ? c->nsan : WTLS_SAN_MAX;
		for (size_t i = 0; i < nsan; i++) {
			if (i)
				buf_appendf(&b, ", ");
			APPEND_FACT(&b, c->san[i]);
		}
		if (nsan == 0)
			buf_appendf(&b, "none");
		kv_add(rows, &n, "Certificate names (SAN)", &b);
		buf_appendf(&b, "%zu certificate%s sent: ", nchain, nchain == 1 ? "" : "s");
		for (size_t i = 0; i < nchain; i++) {
			if (i)
				buf_appendf(&b, "; ");
			APPEND_FACT(&b, f->chain[i].subject);
		}
		kv_add(rows, &n, "Chain", &b);
	}
	if (nchain > 0 || f->verify_error[0]) {
		if (f->verify_ok) {
			buf_appendf(&b, "ok");
		} else {
			buf_appendf(&b, "FAILED: ");
			APPEND_FACT(&b, f->verify_error);
		}
		kv_add(rows, &n, "Verification", &b);
		if (!f->servername[0]) {
			buf_appendf(&b, "not checked (no server name)");
		} else {
			buf_appendf(&b, "%s (", f->host_ok ? "yes" : "no");
			APPEND_FACT(&b, f->servername);
			buf_appendf(&b, ")");
		}
		kv_add(rows, &n, "Host name match", &b);
	}
	if (f->client_sni[0]) {
		APPEND_FACT(&b, f->client_sni);
		kv_add(rows, &n, "Client SNI", &b);
	}
	if (nchain > 0) {
		APPEND_FACT(&b, f->chain[0].sha256);
		kv_add(rows, &n, "Certificate SHA-256", &b);
	}
	buf_free(&b);
	return n;
}

void report_kv_free(struct report_kv *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].val);
		rows[i].val = NULL;
	}
}

/* ---- terminal ---------------------------------------------------------- */

static const char *colour_of(enum verdict v)
{
	switch (v) {
	case V_PASS: return "\033[32m";
	case V_FAIL:
	case V_XPASS: return "\033[1;31m";
	case V_ERROR: return "\033[1;35m";
	default: return "\033[33m";
	}
}

/* Sanitised, so a certificate subject or a reply quoted in a reason cannot
 * drive the terminal. */
static void put_san(FILE *f, struct buf *tmp, const char *s, size_t n)
{
	buf_reset(tmp);
	report_sanitize(tmp, (const uint8_t *)s, n, false);
	fwrite(tmp->data, 1, tmp->len, f);
}
#define PUT_FACT(f, tmp, arr) put_san((f), (tmp), (arr), REPORT_FLEN(arr))
#define PUT_STR(f, tmp, str) put_san((f), (tmp), (str), strlen(str))

const char *const report_node_heads[REPORT_NODE_COLS] = {
	"node", "versions", "TLS in use", "cipher in use", "certificate", "verify", "connections"};

void report_node_cells(const struct scan_node *n, char *cells[REPORT_NODE_COLS])
{
	char vers[128];
	scan_versions_str(&n->probe, vers, sizeof vers);
	bool cert = n->tls_ok && n->tls.nchain > 0;
	cells[0] = xstrdup(n->target);
	cells[1] = xstrdup(vers);
	cells[2] = xstrdup(n->tls_ok ? n->tls.version : "-");
	cells[3] = xstrdup(n->tls_ok ? n->tls.cipher : "-");
	cells[4] = cert ? xasprintf("%s%s, sha256 %.16s…", n->tls.chain[0].subject,
	                            n->tls.chain[0].self_signed ? " (self-signed)" : "",
	                            n->tls.chain[0].sha256)
	                : xstrdup("-");
	cells[5] = xstrdup(!n->tls_ok ? "-" : n->tls.verify_ok ? "ok" : n->tls.verify_error);
	cells[6] = xasprintf("%zu", n->probe.connections + (n->has_tls ? 1 : 0) + (n->has_nosni ? 1 : 0));
}

/* stark scan: one block per node, the facts a person checks first. */
static void terminal_scan(const struct run *run, FILE *f, struct buf *tmp)
{
	const struct scan_fleet *fl = run->scan;
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct scan_node *n = &fl->nodes[i];
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
		scan_versions_str(&n->probe, vers, sizeof vers);
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
		if (n->tls_ok && n->tls.nchain > 0) {
			const struct wtls_cert *c = &n->tls.chain[0];
			char until[32];
			report_iso_sec(c->not_after, until);
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
		        n->probe.connections + (n->has_tls ? 1 : 0) + (n->has_nosni ? 1 : 0),
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
		report_iso_sec(c->not_after, until);
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
	report_order(run, idx);
	for (size_t k = 0; k < run->n; k++) {
		const struct result *r = &run->results[idx[k]];
		if (r->verdict == V_PASS) {
			/* A PASS with a remark (e.g. an opportunistic client that fell
			 * back to plaintext) is reported, not failed. */
			if (r->notes) {
				fputs("NOTE  ", f);
				put_san(f, &tmp, report_str(r->id), strlen(report_str(r->id)));
				fputs("  ", f);
				put_san(f, &tmp, r->notes, strlen(r->notes));
				fputc('\n', f);
			}
			continue;
		}
		/* "FAIL  id": labels padded to 5 so ids line up for the common verdicts. */
		const char *label = verdict_label(r->verdict);
		if (colour)
			fprintf(f, "%s%s\033[0m", colour_of(r->verdict), label);
		else
			fputs(label, f);
		fprintf(f, "%*s ", (int)(strlen(label) < 5 ? 5 - strlen(label) : 0), "");
		put_san(f, &tmp, report_str(r->id), strlen(report_str(r->id)));
		buf_reset(&reason);
		report_reason(&reason, r);
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
			fprintf(f, ", %zu %s", counts[v], verdict_name((enum verdict)v));
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
	} writers[] = {
		/* Canonical first: if a later view fails, the evidence is on disk. */
		{"results.json", report_json},
		{"junit.xml", report_junit},
		{"summary.md", report_markdown},
		{"index.html", report_html},
	};
	if (mkdir_all(dir, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
		if (write_one(run, dir, writers[i].name, writers[i].fn, err, errlen) != 0)
			return -1;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * probe: raw-hello probing behind STARTTLS, one connection at a time.
 * Public: probe_new/free/connections, probe_starttls (connect to the pinned
 * address, greeting, EHLO, STARTTLS), probe_hello (one ClientHello, the
 * answer classified; probe_hello_keep also hands back its bytes), probe_scan (its strategy lives in probescan.c), and
 * the name/index helpers of probe.h. Invariants: every step has a deadline
 * (target timeout); every connection is counted; after PROBE_STALLS_MAX
 * hellos left unanswered no connection is opened; a 421 is never taken
 * for an answer about TLS; results are plain data.
 */
#include "probe.h"
#include "probe_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "conn.h"
#include "smtp.h"
#include "util.h"

const char *probe_outcome_name(enum probe_outcome o)
{
	switch (o) {
	case PROBE_HELLO: return "hello";
	case PROBE_ALERT: return "alert";
	case PROBE_CLOSED: return "closed";
	case PROBE_SILENT: return "silent";
	case PROBE_GARBAGE: return "garbage";
	case PROBE_THROTTLED: return "throttled";
	case PROBE_NO_STARTTLS: return "no STARTTLS";
	case PROBE_STARTTLS_REFUSED: return "STARTTLS refused";
	case PROBE_ERROR: return "error";
	case PROBE_STOPPED: return "stopped";
	}
	return "?";
}

const char *probe_tri_name(enum probe_tri t)
{
	return t == PROBE_TRI_YES ? "yes" : t == PROBE_TRI_NO ? "no" : "unknown";
}

static const uint16_t vidx_versions[PV__COUNT] = {HELLO_SSL2, HELLO_SSL3, HELLO_TLS10,
                                                  HELLO_TLS11, HELLO_TLS12, HELLO_TLS13};

uint16_t probe_vidx_version(enum probe_vidx i)
{
	return i < PV__COUNT ? vidx_versions[i] : 0;
}

int probe_version_vidx(uint16_t version)
{
	for (int i = 0; i < PV__COUNT; i++)
		if (vidx_versions[i] == version)
			return i;
	return -1;
}

static bool is_ip_literal(const char *h)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, h, tmp) == 1 || inet_pton(AF_INET6, h, tmp) == 1;
}

struct probe *probe_new(const struct probe_target *t)
{
	struct probe *p = xcalloc(1, sizeof *p);
	p->t = *t;
	p->host = xstrdup(t->host ? t->host : "127.0.0.1");
	p->port = xstrdup(t->port ? t->port : "25");
	p->helo = xstrdup(t->helo ? t->helo : STARK_DEFAULT_HELO);
	/* RFC 6066 3: SNI carries host names only, never address literals */
	if (t->servername)
		p->sni = t->servername[0] ? xstrdup(t->servername) : NULL;
	else
		p->sni = is_ip_literal(p->host) ? NULL : xstrdup(p->host);
	p->t.host = p->host;
	p->t.port = p->port;
	p->t.helo = p->helo;
	p->t.servername = p->sni;
	if (p->t.timeout_ms <= 0)
		p->t.timeout_ms = STARK_DEFAULT_TIMEOUT_MS;
	return p;
}

void probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	free(p->host);
	free(p->port);
	free(p->helo);
	free(p->sni);
	free(p);
}

size_t probe_connections(const struct probe *p)
{
	return p->connections;
}

/* ------------------------------------------------------------------ */
/* one probe */

static void fill_random(uint8_t *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t r = getrandom(p + off, n - off, 0);
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* No kernel RNG: the hello random only has to be unique-ish,
		 * nothing secret depends on it (we never finish a handshake). */
		uint64_t x = (uint64_t)mono_us() ^ ((uint64_t)getpid() << 32);
		for (; off < n; off++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			p[off] = (uint8_t)x;
		}
	}
}

static enum probe_outcome done(struct probe_result *res, enum probe_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum probe_outcome done(struct probe_result *res, enum probe_outcome o, const char *fmt, ...)
{
	res->outcome = o;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(res->detail, sizeof res->detail, fmt, ap);
		va_end(ap);
	}
	return o;
}

/* The first line of a reply, escaped, for details. */
static void first_line(const struct conn *c, const struct smtp_reply *r, char *out, size_t outlen)
{
	size_t n = r->nlines > 0 ? r->line[0].len : 0;
	if (n > 80)
		n = 80;
	char *e = escape_bytes(c->in.data + (r->nlines > 0 ? r->line[0].off : 0), n);
	snprintf(out, outlen, "%s", e);
	free(e);
}

/* Read one SMTP reply. Returns bytes to consume (>0) or a negative outcome
 * with res filled. */
static ssize_t read_reply(struct probe *p, struct conn *c, const char *what, struct smtp_reply *rep,
                          struct probe_result *res)
{
	conn_set_timeout(c, p->t.timeout_ms);
	for (;;) {
		const char *why = NULL;
		ssize_t n = smtp_reply_parse(c->in.data, c->in.len, rep, &why);
		if (n > 0)
			return n;
		if (n < 0) {
			done(res, PROBE_ERROR, "%s: unusable reply (%s)", what, why ? why : "?");
			return -1;
		}
		int rc = conn_fill(c);
		if (rc == CONN_OK)
			continue;
		if (rc == CONN_STOPPED)
			done(res, PROBE_STOPPED, "interrupted");
		else if (rc == CONN_TIMEOUT)
			done(res, PROBE_ERROR, "%s: no reply within %lld ms", what, (long long)p->t.timeout_ms);
		else if (rc == CONN_EOF)
			/* A server that hangs up instead of greeting is often rate limiting. */
			done(res, PROBE_ERROR, "%s: connection closed before a reply", what);
		else
			done(res, PROBE_ERROR, "%s: %s", what, c->err);
		return -1;
	}
}

static int send_line(struct probe *p, struct conn *c, const char *line, struct probe_result *res)
{
	conn_set_timeout(c, p->t.timeout_ms);
	if (conn_send(c, (const uint8_t *)line, strlen(line)) != CONN_OK) {
		done(res, PROBE_ERROR, "sending %.*s: %s", (int)strcspn(line, "\r"), line,
		     c->err[0] ? c->err : "failed");
		return -1;
	}
	return 0;
}

/* Greeting, EHLO, STARTTLS. 0 when the server said 220 to STARTTLS. */
static int preamble(struct probe *p, struct conn *c, struct probe_result *res)
{
	struct smtp_reply *rep = xmalloc(sizeof *rep); /* 8 KB: off the stack */
	char line[128];
	int rc = -1;
	ssize_t n = read_reply(p, c, "greeting", rep, res);
	if (n < 0)
		goto out;
	first_line(c, rep, line, sizeof line);
	res->smtp_code = rep->code;
	if (rep->code == 421) { /* RFC 5321 3.8: service not available, e.g. rate limits */
		done(res, PROBE_THROTTLED, "greeting: %s", line);
		goto out;
	}
	if (rep->code != 220) {
		done(res, PROBE_ERROR, "greeting: %s", line);
		goto out;
	}
	buf_consume(&c->in, (size_t)n);

	char ehlo[300];
	snprintf(ehlo, sizeof ehlo, "EHLO %s\r\n", p->helo);
	if (send_line(p, c, ehlo, res) < 0 || (n = read_reply(p, c, "EHLO", rep, res)) < 0)
		goto out;
	first_line(c, rep, line, sizeof line);
	res->smtp_code = rep->code;
	if (rep->code == 421) {
		done(res, PROBE_THROTTLED, "EHLO: %s", line);
		goto out;
	}
	if (rep->code != 250) {
		done(res, PROBE_ERROR, "EHLO: %s", line);
		goto out;
	}
	bool has = smtp_ehlo_has(c->in.data, rep, "STARTTLS", NULL);
	buf_consume(&c->in, (size_t)n);
	if (!has) {
		done(res, PROBE_NO_STARTTLS, "the EHLO reply does not offer STARTTLS");
		goto out;
	}

	if (send_line(p, c, "STARTTLS\r\n", res) < 0 || (n = read_reply(p, c, "STARTTLS", rep, res)) < 0)
		goto out;
	first_line(c, rep, line, sizeof line);
	res->smtp_code = rep->code;
	if (rep->code == 421) {
		done(res, PROBE_THROTTLED, "STARTTLS: %s", line);
		goto out;
	}
	if (rep->code != 220) {
		done(res, PROBE_STARTTLS_REFUSED, "STARTTLS: %s", line);
		goto out;
	}
	/* RFC 3207 6: nothing from before the handshake counts; a server that
	 * sent more after its 220 is another scenario's business. */
	buf_reset(&c->in);
	rc = 0;
out:
	free(rep);
	return rc;
}

static void describe_reply(const struct hello_reply *r, char *out, size_t outlen)
{
	char tmp[16];
	switch (r->kind) {
	case HELLO_SERVER_HELLO:
		snprintf(out, outlen, "%s%s %s", r->hrr ? "HelloRetryRequest " : "",
		         hello_version_name(r->version), hello_suite_label(r->cipher, tmp, sizeof tmp));
		break;
	case HELLO_SSL2_HELLO:
		snprintf(out, outlen, "SSLv2 SERVER-HELLO with %zu cipher kinds", r->nssl2_kinds);
		break;
	case HELLO_ALERT: {
		const char *a = hello_alert_name(r->alert_desc);
		snprintf(out, outlen, "alert %s%s(%u)", a ? a : "", a ? " " : "", r->alert_desc);
		break;
	}
	case HELLO_SSL2_ERROR:
		snprintf(out, outlen, "SSLv2 ERROR 0x%04x", r->ssl2_error);
		break;
	default:
		snprintf(out, outlen, "%s: %s", hello_kind_name(r->kind), r->why);
		break;
	}
}

int probe_starttls(struct probe *p, struct conn *c, struct probe_result *res)
{
	memset(res, 0, sizeof *res);
	conn_init(c, -1, p->t.tr);
	c->stop = p->t.stop;
	if (p->stalls >= PROBE_STALLS_MAX) {
		done(res, PROBE_SILENT, PROBE_STALLED_MSG);
		return -1;
	}
	/* Every probe of one target goes to the address the first one reached:
	 * behind round-robin DNS the answers must come from one node. */
	int rc = conn_connect(c, p->pinned[0] ? p->pinned : p->t.host, p->t.port, p->t.timeout_ms);
	if (rc == CONN_OK && p->pinned[0] == '\0')
		conn_peer_addr(c, p->pinned, sizeof p->pinned); /* "" when it cannot say */
	if (rc != CONN_OK) {
		if (rc == CONN_STOPPED)
			done(res, PROBE_STOPPED, "interrupted");
		else
			done(res, PROBE_ERROR, "%s", c->err);
		return -1;
	}
	p->connections++;
	c->stop = p->t.stop; /* conn_connect re-initialises the conn */
	return preamble(p, c, res);
}

enum probe_outcome probe_hello(struct probe *p, const struct hello_opts *opts, bool want_flight,
                               struct probe_result *res)
{
	return probe_hello_keep(p, opts, want_flight, res, NULL);
}

enum probe_outcome probe_hello_keep(struct probe *p, const struct hello_opts *opts,
                                    bool want_flight, struct probe_result *res, struct buf *answer)
{
	if (answer)
		buf_reset(answer);
	struct conn c;
	enum probe_outcome o = probe_hello_open(p, opts, want_flight, res, &c);
	if (answer && res->hello_sent)
		buf_append(answer, c.in.data, c.in.len); /* res->reply's offsets index into it */
	conn_close(&c);
	return o;
}

struct transcript *probe_set_transcript(struct probe *p, struct transcript *tr)
{
	struct transcript *old = p->t.tr;
	p->t.tr = tr;
	return old;
}

int64_t probe_timeout_ms(const struct probe *p)
{
	return p->t.timeout_ms;
}

void probe_random(uint8_t *buf, size_t n)
{
	fill_random(buf, n);
}

enum probe_outcome probe_hello_open(struct probe *p, const struct hello_opts *opts, bool want_flight,
                                    struct probe_result *res, struct conn *cp)
{
	memset(res, 0, sizeof *res);
	conn_init(cp, -1, p->t.tr);
	int64_t t0 = mono_ms();
	struct hello_opts o = *opts;
	if (!o.keep_random)
		fill_random(o.random, sizeof o.random);
	if (o.session_id_len > 0 && !o.keep_session_id)
		fill_random(o.session_id, o.session_id_len);
	if (o.version >= HELLO_TLS10 && o.sni == NULL && p->sni) {
		o.sni = p->sni;
		o.ext |= HELLO_EXT_SNI;
	}
	uint8_t *hello = xmalloc(HELLO_BUILD_MAX);
	const char *why = NULL;
	ssize_t hlen = hello_build(&o, hello, HELLO_BUILD_MAX, &why);
	if (hlen < 0) {
		free(hello);
		return done(res, PROBE_ERROR, "cannot build the ClientHello: %s", why);
	}

	if (probe_starttls(p, cp, res) != 0)
		goto out;

	conn_set_timeout(cp, p->t.timeout_ms);
	if (conn_send(cp, hello, (size_t)hlen) != CONN_OK) {
		/* A server may close right after its 220 when it has no TLS to offer. */
		done(res, PROBE_CLOSED, "sending the ClientHello: %s", cp->err);
		goto out;
	}
	res->hello_sent = true;
	conn_set_timeout(cp, p->t.timeout_ms);
	for (;;) {
		enum hello_kind k = hello_parse(cp->in.data, cp->in.len, &res->reply);
		bool decided = k != HELLO_NEED_MORE &&
		               (k != HELLO_SERVER_HELLO || !want_flight || res->reply.flight_done);
		if (decided)
			break;
		int rc = conn_fill(cp);
		if (rc == CONN_OK)
			continue;
		if (rc == CONN_STOPPED) {
			done(res, PROBE_STOPPED, "interrupted");
			goto out;
		}
		if (k == HELLO_SERVER_HELLO)
			break; /* the flight stays incomplete; the ServerHello stands */
		if (rc == CONN_TIMEOUT)
			p->stalls++; /* a stalled handshake: PROBE_SILENT below */
		if (rc == CONN_EOF && cp->in.len > 0)
			done(res, PROBE_CLOSED, "closed after %zu bytes of an incomplete answer", cp->in.len);
		else if (rc == CONN_EOF)
			done(res, PROBE_CLOSED, "closed without an answer");
		else if (rc == CONN_TIMEOUT && cp->in.len > 0)
			done(res, PROBE_SILENT, "%zu bytes of an incomplete answer, then silence", cp->in.len);
		else if (rc == CONN_TIMEOUT)
			done(res, PROBE_SILENT, "no answer within %lld ms", (long long)p->t.timeout_ms);
		else
			done(res, PROBE_ERROR, "reading the answer: %s", cp->err);
		goto out;
	}
	char d[200];
	describe_reply(&res->reply, d, sizeof d);
	switch (res->reply.kind) {
	case HELLO_SERVER_HELLO:
	case HELLO_SSL2_HELLO:
		done(res, PROBE_HELLO, "%s", d);
		break;
	case HELLO_ALERT:
	case HELLO_SSL2_ERROR:
		done(res, PROBE_ALERT, "%s", d);
		break;
	default: {
		char *e = escape_bytes(cp->in.data, cp->in.len > 60 ? 60 : cp->in.len);
		done(res, PROBE_GARBAGE, "%s: \"%s\"", d, e);
		free(e);
		break;
	}
	}
out:
	free(hello);
	res->ms = mono_ms() - t0;
	return res->outcome;
}

/* The strategy is probescan.c's; this keeps the public name in its file. */
int probe_scan(struct probe *p, const struct probe_scan_opts *o, struct probe_report *rep)
{
	return probescan_run(p, o, rep);
}

/* SPDX-License-Identifier: MIT */
/*
 * probe: raw-hello probing behind STARTTLS. probe_hello runs one connection
 * (greeting, EHLO, STARTTLS, one ClientHello, the answer); probe_scan
 * combines them: per version, offer every candidate suite, record the pick,
 * remove it, repeat until the server refuses; then preference, fallback
 * SCSV, groups and signature schemes by the same elimination. Invariants:
 * every step has a deadline (target timeout); every connection is counted;
 * a 421 is never taken for an answer about TLS; the report is plain data.
 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "smtp.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_HELO "stark.test"

struct probe {
	struct probe_target t;
	char *host, *port, *helo, *sni; /* owned copies */
	char pinned[64];                /* numeric address of the first connection */
	size_t connections;
};

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
	p->helo = xstrdup(t->helo ? t->helo : DEFAULT_HELO);
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
		p->t.timeout_ms = DEFAULT_TIMEOUT_MS;
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
	memset(res, 0, sizeof *res);
	int64_t t0 = mono_ms();
	struct hello_opts o = *opts;
	fill_random(o.random, sizeof o.random);
	if (o.session_id_len > 0)
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

	struct conn c;
	if (probe_starttls(p, &c, res) != 0)
		goto out;

	conn_set_timeout(&c, p->t.timeout_ms);
	if (conn_send(&c, hello, (size_t)hlen) != CONN_OK) {
		/* A server may close right after its 220 when it has no TLS to offer. */
		done(res, PROBE_CLOSED, "sending the ClientHello: %s", c.err);
		goto out;
	}
	conn_set_timeout(&c, p->t.timeout_ms);
	for (;;) {
		enum hello_kind k = hello_parse(c.in.data, c.in.len, &res->reply);
		bool decided = k != HELLO_NEED_MORE &&
		               (k != HELLO_SERVER_HELLO || !want_flight || res->reply.flight_done);
		if (decided)
			break;
		int rc = conn_fill(&c);
		if (rc == CONN_OK)
			continue;
		if (rc == CONN_STOPPED) {
			done(res, PROBE_STOPPED, "interrupted");
			goto out;
		}
		if (k == HELLO_SERVER_HELLO)
			break; /* the flight stays incomplete; the ServerHello stands */
		if (rc == CONN_EOF && c.in.len > 0)
			done(res, PROBE_CLOSED, "closed after %zu bytes of an incomplete answer", c.in.len);
		else if (rc == CONN_EOF)
			done(res, PROBE_CLOSED, "closed without an answer");
		else if (rc == CONN_TIMEOUT && c.in.len > 0)
			done(res, PROBE_SILENT, "%zu bytes of an incomplete answer, then silence", c.in.len);
		else if (rc == CONN_TIMEOUT)
			done(res, PROBE_SILENT, "no answer within %lld ms", (long long)p->t.timeout_ms);
		else
			done(res, PROBE_ERROR, "reading the answer: %s", c.err);
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
		char *e = escape_bytes(c.in.data, c.in.len > 60 ? 60 : c.in.len);
		done(res, PROBE_GARBAGE, "%s: \"%s\"", d, e);
		free(e);
		break;
	}
	}
out:
	conn_close(&c);
	free(hello);
	res->ms = mono_ms() - t0;
	return res->outcome;
}

/* ------------------------------------------------------------------ */
/* scan */

struct scan {
	struct probe *p;
	struct probe_scan_opts o;
	struct probe_report *rep;
	bool fatal;             /* stop everything: no more connections */
	size_t start_conns;
	int64_t end_ms;         /* mono_ms() deadline of the whole scan, 0 = none */
	size_t chunk;           /* suites per hello; 0 = not known yet (try all at once) */
};

static void add_error(struct probe_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(struct probe_report *rep, const char *fmt, ...)
{
	if (rep->nerrors >= PROBE_ERRORS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->errors[rep->nerrors++], sizeof rep->errors[0], fmt, ap);
	va_end(ap);
}

static void sleep_ms(struct scan *s, int64_t ms)
{
	int64_t end = mono_ms() + ms;
	while (mono_ms() < end && !(s->p->t.stop && *s->p->t.stop)) {
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/*
 * One probe inside a scan: retries after 421 with backoff, counts, and
 * turns target-level failures (no STARTTLS, unreachable, interrupted,
 * throttled for good) into s->fatal. Returns the outcome.
 */
static enum probe_outcome scan_probe(struct scan *s, const struct hello_opts *h, bool want_flight,
                                     struct probe_result *res, size_t *counter)
{
	if (s->fatal) {
		memset(res, 0, sizeof *res);
		return done(res, PROBE_STOPPED, "scan stopped");
	}
	int64_t wait = s->o.throttle_backoff_ms;
	for (int attempt = 0;; attempt++) {
		if (s->end_ms && mono_ms() >= s->end_ms) {
			add_error(s->rep, "scan time budget of %lld ms exhausted", (long long)s->o.max_ms);
			s->fatal = true;
			memset(res, 0, sizeof *res);
			return done(res, PROBE_STOPPED, "time budget exhausted");
		}
		if (s->p->connections - s->start_conns >= s->o.max_connections) {
			add_error(s->rep, "connection budget of %zu exhausted", s->o.max_connections);
			s->fatal = true;
			memset(res, 0, sizeof *res);
			return done(res, PROBE_STOPPED, "connection budget exhausted");
		}
		size_t before = s->p->connections;
		enum probe_outcome oc = probe_hello(s->p, h, want_flight, res);
		if (counter)
			*counter += s->p->connections - before;
		if (oc == PROBE_THROTTLED && attempt < s->o.throttle_retries) {
			sleep_ms(s, wait);
			wait *= 2;
			continue;
		}
		switch (oc) {
		case PROBE_THROTTLED:
			s->rep->throttled = true;
			add_error(s->rep, "throttled: %s", res->detail);
			s->fatal = true;
			break;
		case PROBE_NO_STARTTLS:
		case PROBE_STARTTLS_REFUSED:
		case PROBE_ERROR:
			add_error(s->rep, "%s", res->detail);
			s->fatal = true;
			break;
		case PROBE_STOPPED:
			s->rep->stopped = true;
			add_error(s->rep, "interrupted");
			s->fatal = true;
			break;
		default:
			break;
		}
		return oc;
	}
}

static bool contains16(const uint16_t *a, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

static size_t remove16(uint16_t *a, size_t n, uint16_t v)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] != v)
			a[j++] = a[i];
	return j;
}

/* Offering rank: what a careful client puts first (forward secret AEAD,
 * then forward secret, then AEAD, then the rest). Only matters for servers
 * that follow the client's order. */
static int rank(uint32_t f)
{
	if (f & (CS_EXPORT | CS_NULL | CS_ANON | CS_RC4 | CS_DES))
		return 5;
	if ((f & CS_FS) && (f & CS_AEAD))
		return 0;
	if (f & CS_FS)
		return 1;
	if (f & CS_AEAD)
		return 2;
	return f & CS_3DES ? 4 : 3;
}

/* Candidate suites for a version, in our offering order (by rank, then
 * by id). SCSVs are added by the callers that want them. */
static size_t candidates(uint16_t version, uint16_t *out, size_t max)
{
	size_t n, k = 0;
	const struct hello_suite *t = hello_suites(&n);
	for (int r = 0; r <= 5; r++) {
		for (size_t i = 0; i < n && k < max; i++) {
			uint32_t f = t[i].flags;
			if (rank(f) != r || (f & CS_SCSV))
				continue;
			if (version == HELLO_TLS13 ? !(f & CS_TLS13) : (f & CS_TLS13) != 0)
				continue;
			if (version < HELLO_TLS12 && (f & CS_TLS12))
				continue; /* RFC 5246: never negotiable below 1.2; keeps the hello small */
			out[k++] = t[i].id;
		}
	}
	return k;
}

/* At most as many suites as this server reads in one hello. */
static size_t cap(const struct scan *s, size_t n)
{
	return s->chunk && n > s->chunk ? s->chunk : n;
}

/* Hello options for a version with the given suites. */
static void opts_for(struct hello_opts *h, uint16_t version, const uint16_t *suites, size_t n)
{
	hello_opts_init(h, version);
	h->suites = suites;
	h->nsuites = n;
}

/* Whether an answer to a hello at `version` accepted that version. */
static bool accepted_at(const struct probe_result *r, uint16_t version);

/* The server's pick between two suites it accepts; 0 if no usable answer. */
static uint16_t prefer(struct scan *s, struct probe_version_report *v, uint16_t a, uint16_t b,
                       struct probe_result *res)
{
	uint16_t offer[2] = {b, a}; /* the challenger first */
	struct hello_opts h;
	opts_for(&h, v->version, offer, 2);
	scan_probe(s, &h, false, res, &v->connections);
	if (!accepted_at(res, v->version) || (res->reply.cipher != a && res->reply.cipher != b))
		return 0;
	return res->reply.cipher;
}

/*
 * Merge the picks of later chunks into the order of the first ones. Each
 * chunk's picks are already in server order, so an element only needs its
 * place: first compare it with the last one placed (weak suites live in
 * later chunks, so this one probe usually settles the whole rest of the
 * chunk), else binary search. Typical cost: one connection per chunk.
 */
static void merge_chunks(struct scan *s, struct probe_version_report *v, const uint8_t *chunk_of,
                         struct probe_result *res)
{
	uint16_t out[PROBE_SUITES_MAX];
	size_t nout = 0;
	for (unsigned ch = 0; ch < 256 && nout < v->nsuites; ch++) {
		uint16_t l[PROBE_SUITES_MAX];
		size_t nl = 0;
		for (size_t i = 0; i < v->nsuites; i++)
			if (chunk_of[i] == ch)
				l[nl++] = v->suites[i];
		if (nl == 0)
			continue;
		if (nout == 0) {
			memcpy(out, l, nl * sizeof *l);
			nout = nl;
			continue;
		}
		size_t lo = 0;
		for (size_t j = 0; j < nl; j++) {
			uint16_t b = l[j];
			uint16_t w = prefer(s, v, out[nout - 1], b, res);
			if (w == 0)
				goto fail;
			if (w == out[nout - 1]) { /* below everything placed: so is the rest */
				memcpy(out + nout, l + j, (nl - j) * sizeof *l);
				nout += nl - j;
				break;
			}
			size_t a = lo, z = nout - 1; /* b beats out[z]; find the first it beats */
			while (a < z) {
				size_t mid = a + (z - a) / 2;
				if ((w = prefer(s, v, out[mid], b, res)) == 0)
					goto fail;
				if (w == b)
					z = mid;
				else
					a = mid + 1;
			}
			memmove(out + a + 1, out + a, (nout - a) * sizeof *out);
			out[a] = b;
			nout++;
			lo = a + 1;
		}
	}
	if (nout == v->nsuites)
		memcpy(v->suites, out, nout * sizeof *out);
	return;
fail:
	if (!s->fatal)
		add_error(s->rep, "%s: could not merge the preference order of the chunks: %s",
		          hello_version_name(v->version), res->detail);
}


static bool accepted_at(const struct probe_result *r, uint16_t version)
{
	if (r->outcome != PROBE_HELLO)
		return false;
	if (version == HELLO_SSL2)
		return r->reply.kind == HELLO_SSL2_HELLO;
	return r->reply.kind == HELLO_SERVER_HELLO && r->reply.version == version;
}

static void record_facts(struct probe_report *rep, const struct hello_reply *r, bool deflate_offered)
{
	if (r->version > HELLO_TLS12 || r->version < rep->facts_version)
		return;
	if (r->version == rep->facts_version && rep->facts_version != 0)
		return; /* the first answer at a version is the one we keep */
	rep->facts_version = r->version;
	rep->secure_reneg = r->ext_reneg ? PROBE_TRI_YES : PROBE_TRI_NO;
	rep->ems = r->ext_ems ? PROBE_TRI_YES : PROBE_TRI_NO;
	rep->ticket = r->ext_ticket ? PROBE_TRI_YES : PROBE_TRI_NO;
	rep->ocsp_stapling = r->ext_status ? PROBE_TRI_YES : PROBE_TRI_NO;
	rep->etm = r->ext_etm ? PROBE_TRI_YES : PROBE_TRI_NO;
	rep->downgrade_sentinel = r->downgrade_sentinel ? PROBE_TRI_YES : PROBE_TRI_NO;
	rep->compression_method = r->compression;
	if (deflate_offered)
		rep->compression = r->compression != 0 ? PROBE_TRI_YES : PROBE_TRI_NO;
	else if (r->compression != 0)
		rep->compression = PROBE_TRI_YES; /* chose a method nobody offered */
}

/*
 * Enumerate one version: offer all remaining candidates, note the pick,
 * remove it, repeat until the server refuses. The first probe also decides
 * whether the version is supported at all.
 */
static void enum_version(struct scan *s, enum probe_vidx vi)
{
	struct probe_version_report *v = &s->rep->v[vi];
	uint16_t version = vidx_versions[vi];
	v->version = version;
	v->tested = true;
	struct probe_result *res = xmalloc(sizeof *res);
	struct hello_opts h;

	if (version == HELLO_SSL2) {
		/* T-01: a true SSLv2 CLIENT-HELLO with every SSLv2 CIPHER-KIND; the
		 * SERVER-HELLO lists all the server shares with us (one connection) */
		hello_opts_init(&h, HELLO_SSL2);
		scan_probe(s, &h, false, res, &v->connections);
		if (accepted_at(res, version)) {
			v->supported = PROBE_TRI_YES;
			v->nssl2 = res->reply.nssl2_kinds;
			memcpy(v->ssl2_kinds, res->reply.ssl2_kinds, sizeof v->ssl2_kinds);
			v->suites_complete = true;
		} else if (!s->fatal) {
			v->supported = PROBE_TRI_NO;
			snprintf(v->why, sizeof v->why, "%s", res->detail);
		}
		free(res);
		return;
	}

	uint16_t *rem = xmalloc(HELLO_SUITES_MAX * sizeof *rem);
	size_t nrem = candidates(version, rem, HELLO_SUITES_MAX);
	bool all = (s->o.checks & PROBE_C_SUITES) != 0;
	size_t chunk = s->chunk ? s->chunk : nrem; /* unknown yet: try everything at once */
	bool trial = s->chunk == 0 && nrem > PROBE_SUITES_PER_HELLO;
	size_t base = 0;          /* start of the current chunk in rem */
	size_t picked_chunks = 0; /* chunks the server took something from */
	size_t picks_here = 0, chunk_no = 0;
	uint8_t *chunk_of = xcalloc(PROBE_SUITES_MAX, 1); /* chunk of each accepted suite */
	uint16_t offer[HELLO_SUITES_MAX + 1];

	while (!s->fatal) {
		size_t n = nrem - base < chunk ? nrem - base : chunk;
		if (n == 0) {
			v->suites_complete = true;
			break;
		}
		memcpy(offer, rem + base, n * sizeof *offer);
		size_t noffer = n;
		if (version == HELLO_SSL3)
			offer[noffer++] = HELLO_CS_EMPTY_RENEGOTIATION_INFO_SCSV;
		opts_for(&h, version, offer, noffer);
		bool deflate = version <= HELLO_TLS12;
		static const uint8_t comp[2] = {1, 0}; /* DEFLATE, null (T-11, RFC 3749) */
		if (deflate) {
			h.compression = comp;
			h.ncompression = 2;
		}
		scan_probe(s, &h, false, res, &v->connections);
		if (s->fatal)
			break;
		if (trial) {
			/* The first big hello tells whether this server reads them:
			 * an answer, or a refusal that speaks of suites or versions,
			 * means yes; a close, silence or a parse error means chunks. */
			trial = false;
			uint8_t d = res->reply.alert_desc;
			bool big_ok = accepted_at(res, version) ||
			              (res->outcome == PROBE_HELLO && res->reply.kind == HELLO_SERVER_HELLO) ||
			              (res->outcome == PROBE_ALERT && res->reply.kind == HELLO_ALERT &&
			               (d == HELLO_ALERT_HANDSHAKE_FAILURE || d == HELLO_ALERT_PROTOCOL_VERSION ||
			                d == HELLO_ALERT_INSUFFICIENT_SECURITY));
			s->chunk = big_ok ? SIZE_MAX : s->o.max_suites_per_hello;
			if (!big_ok) {
				chunk = s->chunk;
				continue; /* the same version again, in chunks */
			}
		}
		if (accepted_at(res, version)) {
			uint16_t c = res->reply.cipher;
			if (v->supported != PROBE_TRI_YES) {
				v->supported = PROBE_TRI_YES;
				v->why[0] = '\0';
			}
			record_facts(s->rep, &res->reply, deflate);
			if (!contains16(offer, n, c)) {
				add_error(s->rep, "%s: the server chose 0x%04X, which was not offered",
				          hello_version_name(version), c);
				break;
			}
			if (contains16(v->suites, v->nsuites, c)) {
				add_error(s->rep, "%s: the server chose 0x%04X again", hello_version_name(version), c);
				break;
			}
			if (v->nsuites < PROBE_SUITES_MAX) {
				chunk_of[v->nsuites] = (uint8_t)(chunk_no > 255 ? 255 : chunk_no);
				v->suites[v->nsuites++] = c;
			}
			if (picks_here++ == 0)
				picked_chunks++;
			if (!all)
				break;
			/* remove c from rem, keeping the chunk boundaries */
			for (size_t i = base; i < nrem; i++)
				if (rem[i] == c) {
					memmove(rem + i, rem + i + 1, (nrem - i - 1) * sizeof *rem);
					nrem--;
					break;
				}
			continue;
		}
		/* refused (or answered at another version). protocol_version, or a
		 * ServerHello at another version, says "not this version" whatever
		 * the suites (RFC 5246 E.1, RFC 8446 4.2.1): no need for more chunks. */
		bool version_no = v->nsuites == 0 &&
		                  ((res->outcome == PROBE_ALERT && res->reply.kind == HELLO_ALERT &&
		                    res->reply.alert_desc == HELLO_ALERT_PROTOCOL_VERSION) ||
		                   (res->outcome == PROBE_HELLO && res->reply.kind == HELLO_SERVER_HELLO));
		if (v->nsuites == 0 && (base + n >= nrem || version_no)) {
			/* nothing accepted from any chunk: the version is not supported */
			v->supported = PROBE_TRI_NO;
			if (res->outcome == PROBE_HELLO && res->reply.kind == HELLO_SERVER_HELLO)
				snprintf(v->why, sizeof v->why, "answered %s instead",
				         hello_version_name(res->reply.version));
			else
				snprintf(v->why, sizeof v->why, "%s", res->detail);
		} else if (res->outcome == PROBE_HELLO && v->nsuites > 0) {
			add_error(s->rep, "%s: after %zu suites the server switched to %s",
			          hello_version_name(version), v->nsuites,
			          hello_version_name(res->reply.version));
			break;
		} else if (res->outcome == PROBE_SILENT && v->nsuites > 0) {
			add_error(s->rep, "%s: no answer after %zu suites: %s", hello_version_name(version),
			          v->nsuites, res->detail);
			break;
		}
		if (base + n >= nrem || version_no) {
			v->suites_complete = v->supported == PROBE_TRI_YES;
			break;
		}
		base += n; /* this chunk is exhausted: next one */
		picks_here = 0;
		chunk_no++;
	}

	/* Picks are ordered within a chunk only: when several chunks gave
	 * suites, merge them into the server's order. */
	if (picked_chunks > 1 && (s->o.checks & PROBE_C_ORDER) && !s->fatal)
		merge_chunks(s, v, chunk_of, res);
	free(chunk_of);
	free(rem);
	free(res);
}

/* T-08: the accepted list reversed. A server that enforces its order still
 * picks its favourite; one that follows the client picks our first. */
static void check_order(struct scan *s, enum probe_vidx vi)
{
	struct probe_version_report *v = &s->rep->v[vi];
	if (v->nsuites < 2 || s->fatal)
		return;
	uint16_t rev[PROBE_SUITES_MAX];
	for (size_t i = 0; i < v->nsuites; i++)
		rev[i] = v->suites[v->nsuites - 1 - i];
	struct hello_opts h;
	/* the server's top suites (as many as it reads), reversed */
	const uint16_t *offer = rev + (v->nsuites - cap(s, v->nsuites));
	opts_for(&h, v->version, offer, cap(s, v->nsuites));
	struct probe_result *res = xmalloc(sizeof *res);
	scan_probe(s, &h, false, res, &v->connections);
	if (accepted_at(res, v->version)) {
		if (res->reply.cipher == v->suites[0])
			v->server_order = PROBE_TRI_YES;
		else if (res->reply.cipher == offer[0])
			v->server_order = PROBE_TRI_NO;
		else
			add_error(s->rep, "%s: preference check picked 0x%04X, neither first",
			          hello_version_name(v->version), res->reply.cipher);
	} else if (!s->fatal) {
		add_error(s->rep, "%s: preference check refused: %s", hello_version_name(v->version),
		          res->detail);
	}
	free(res);
}

/* T-14: a hello at the second-highest supported version with the SCSV. */
static void check_fallback(struct scan *s)
{
	struct probe_report *rep = s->rep;
	int hi = -1, lo = -1;
	for (int i = PV_TLS13; i >= PV_TLS10; i--) {
		if (rep->v[i].supported != PROBE_TRI_YES)
			continue;
		if (hi < 0)
			hi = i;
		else if (lo < 0)
			lo = i;
	}
	if (hi < 0 || lo < 0) {
		snprintf(rep->fallback_why, sizeof rep->fallback_why,
		         "not applicable: fewer than two TLS versions supported");
		return;
	}
	struct probe_version_report *v = &rep->v[lo];
	uint16_t offer[PROBE_SUITES_MAX + 1];
	size_t n = v->nsuites > 0 ? cap(s, v->nsuites + 1) - 1 : 0;
	memcpy(offer, v->suites, n * sizeof *offer);
	offer[n++] = HELLO_CS_FALLBACK_SCSV;
	struct hello_opts h;
	opts_for(&h, v->version, offer, n);
	rep->fallback_version = v->version;
	struct probe_result *res = xmalloc(sizeof *res);
	scan_probe(s, &h, false, res, NULL);
	if (res->outcome == PROBE_ALERT && res->reply.kind == HELLO_ALERT &&
	    res->reply.alert_desc == HELLO_ALERT_INAPPROPRIATE_FALLBACK) {
		rep->fallback_scsv = PROBE_TRI_YES;
	} else if (res->outcome == PROBE_HELLO) {
		rep->fallback_scsv = PROBE_TRI_NO;
	} else if (!s->fatal) {
		/* another refusal says nothing about the SCSV itself */
		rep->fallback_scsv = PROBE_TRI_UNKNOWN;
	}
	snprintf(rep->fallback_why, sizeof rep->fallback_why, "%s + TLS_FALLBACK_SCSV: %s",
	         hello_version_name(v->version), res->detail);
	free(res);
}

/*
 * Elimination over a list of values the server picks from (groups or
 * signature schemes): offer all remaining, read the pick, remove it, until
 * refused. pick() extracts the chosen value from an answer (0 = none).
 */
typedef uint16_t (*pick_fn)(const struct probe_result *r);

static void eliminate(struct scan *s, struct hello_opts *h, uint16_t *rem, size_t nrem,
                      const uint16_t **slot, size_t *slotn, bool want_flight, pick_fn pick, uint16_t *out,
                      size_t *nout, size_t max, bool *complete, uint16_t *unoffered, const char *what)
{
	struct probe_result *res = xmalloc(sizeof *res);
	while (nrem > 0 && !s->fatal && *nout < max) {
		*slot = rem;
		*slotn = nrem;
		scan_probe(s, h, want_flight, res, NULL);
		if (s->fatal)
			break;
		if (res->outcome != PROBE_HELLO) {
			*complete = true; /* refused: nothing left it will take */
			break;
		}
		uint16_t g = pick(res);
		if (g == 0) {
			add_error(s->rep, "%s: accepted without showing its choice (%s)", what, res->detail);
			break;
		}
		if (!contains16(rem, nrem, g)) {
			*unoffered = g; /* chose one we did not offer */
			break;
		}
		out[(*nout)++] = g;
		nrem = remove16(rem, nrem, g);
	}
	if (nrem == 0)
		*complete = true;
	free(res);
}

static uint16_t pick_ske_group(const struct probe_result *r)
{
	return r->reply.kind == HELLO_SERVER_HELLO && r->reply.ske ? r->reply.ske_group : 0;
}

static uint16_t pick_key_share(const struct probe_result *r)
{
	return r->reply.kind == HELLO_SERVER_HELLO && r->reply.version == HELLO_TLS13
	           ? r->reply.key_share_group
	           : 0;
}

static uint16_t pick_ske_sigalg(const struct probe_result *r)
{
	return r->reply.kind == HELLO_SERVER_HELLO && r->reply.ske ? r->reply.ske_sigalg : 0;
}

/* Accepted suites of a version with all of `want` flags and none of `not`. */
static size_t suites_with(const struct probe_version_report *v, uint32_t want, uint32_t not,
                          uint16_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < v->nsuites; i++) {
		const struct hello_suite *cs = hello_suite_find(v->suites[i]);
		if (cs && (cs->flags & want) == want && !(cs->flags & not))
			out[k++] = v->suites[i];
	}
	return k;
}

/* T-09 */
static void check_groups(struct scan *s)
{
	struct probe_report *rep = s->rep;
	size_t nall;
	const uint16_t *all = hello_groups_all(&nall);
	uint16_t suites[PROBE_SUITES_MAX], rem[PROBE_GROUPS_MAX];
	struct hello_opts h;

	/* TLS 1.2 (or the highest TLS <= 1.2 version): ECDHE curves, read from the SKE */
	int vi = -1;
	for (int i = PV_TLS12; i >= PV_TLS10; i--)
		if (rep->v[i].supported == PROBE_TRI_YES) {
			vi = i;
			break;
		}
	if (vi >= 0) {
		struct probe_version_report *v = &rep->v[vi];
		size_t ns = suites_with(v, CS_ECDHE, 0, suites);
		if (ns > 0) {
			size_t nrem = 0;
			for (size_t i = 0; i < nall && nrem < PROBE_GROUPS_MAX; i++)
				if (all[i] <= 30) /* the RFC 8422 / 7027 / 8446 EC curves usable in 1.2 */
					rem[nrem++] = all[i];
			opts_for(&h, v->version, suites, cap(s, ns));
			eliminate(s, &h, rem, nrem, &h.groups, &h.ngroups, true, pick_ske_group,
			          rep->groups12, &rep->ngroups12, PROBE_GROUPS_MAX, &rep->groups12_complete,
			          &rep->groups12_unoffered, "ECDHE curves");
		}
		ns = suites_with(v, CS_DHE, CS_PSK, suites);
		if (ns > 0 && !s->fatal) {
			struct probe_result *res = xmalloc(sizeof *res);
			opts_for(&h, v->version, suites, cap(s, ns));
			scan_probe(s, &h, true, res, NULL);
			if (res->outcome == PROBE_HELLO && res->reply.ske)
				rep->dh_bits = res->reply.ske_dh_bits;
			else if (!s->fatal)
				add_error(rep, "DHE: no ServerKeyExchange seen (%s)", res->detail);
			free(res);
		}
	}

	/* TLS 1.3: the group of the ServerHello key_share or of the HRR */
	struct probe_version_report *v13 = &rep->v[PV_TLS13];
	if (v13->supported == PROBE_TRI_YES && v13->nsuites > 0 && !s->fatal) {
		size_t nrem = 0;
		for (size_t i = 0; i < nall && nrem < PROBE_GROUPS_MAX; i++)
			rem[nrem++] = all[i];
		struct probe_result *res = xmalloc(sizeof *res);
		while (nrem > 0 && !s->fatal && rep->ngroups13 < PROBE_GROUPS_MAX) {
			opts_for(&h, HELLO_TLS13, v13->suites, cap(s, v13->nsuites));
			h.groups = rem;
			h.ngroups = nrem;
			/* one share if we have one for x25519 or P-256; else an empty
			 * list, which asks for a HelloRetryRequest (RFC 8446 4.2.8) */
			uint16_t share[1];
			h.shares = share;
			h.nshares = 0;
			for (size_t i = 0; i < nrem && h.nshares == 0; i++)
				if (rem[i] == HELLO_GROUP_X25519 || rem[i] == HELLO_GROUP_SECP256R1)
					share[h.nshares++] = rem[i];
			scan_probe(s, &h, false, res, NULL);
			if (s->fatal)
				break;
			if (res->outcome != PROBE_HELLO) {
				rep->groups13_complete = true;
				break;
			}
			uint16_t g = pick_key_share(res);
			if (g == 0) {
				/* e.g. a cookie-only HelloRetryRequest: no group chosen from
				 * what is left, which is a refusal as far as groups go */
				rep->groups13_complete = true;
				break;
			}
			if (!contains16(rem, nrem, g)) {
				rep->groups13_unoffered = g;
				break;
			}
			rep->groups13[rep->ngroups13++] = g;
			nrem = remove16(rem, nrem, g);
		}
		if (nrem == 0)
			rep->groups13_complete = true;
		free(res);
	}
}

/* T-10: signature schemes of the TLS 1.2 ServerKeyExchange. */
static void check_sigalgs(struct scan *s)
{
	struct probe_report *rep = s->rep;
	struct probe_version_report *v = &rep->v[PV_TLS12];
	if (v->supported != PROBE_TRI_YES)
		return;
	uint16_t suites[PROBE_SUITES_MAX], rem[PROBE_SIGALGS_MAX];
	size_t ns = suites_with(v, CS_FS, CS_PSK | CS_ANON | CS_TLS13, suites);
	if (ns == 0)
		return; /* no signed key exchange to look at */
	size_t nall;
	const uint16_t *all = hello_sigalgs_all(&nall);
	size_t nrem = 0;
	for (size_t i = 0; i < nall && nrem < PROBE_SIGALGS_MAX; i++)
		rem[nrem++] = all[i];
	struct hello_opts h;
	opts_for(&h, HELLO_TLS12, suites, cap(s, ns));
	eliminate(s, &h, rem, nrem, &h.sigalgs, &h.nsigalgs, true, pick_ske_sigalg,
	          rep->sigalgs, &rep->nsigalgs, PROBE_SIGALGS_MAX, &rep->sigalgs_complete,
	          &rep->sigalgs_unoffered, "signature schemes");
}

int probe_scan(struct probe *p, const struct probe_scan_opts *o, struct probe_report *rep)
{
	memset(rep, 0, sizeof *rep);
	int64_t t0 = mono_ms();
	struct scan s = {.p = p, .rep = rep, .start_conns = p->connections};
	if (o)
		s.o = *o;
	if (s.o.checks == 0)
		s.o.checks = PROBE_C_ALL;
	if (s.o.versions == 0)
		s.o.versions = (1u << PV__COUNT) - 1;
	if (s.o.throttle_retries == 0)
		s.o.throttle_retries = 2;
	else if (s.o.throttle_retries < 0)
		s.o.throttle_retries = 0;
	if (s.o.throttle_backoff_ms <= 0)
		s.o.throttle_backoff_ms = 1000;
	if (s.o.max_connections == 0)
		s.o.max_connections = 1000;
	if (s.o.max_ms > 0)
		s.end_ms = t0 + s.o.max_ms;
	if (s.o.max_suites_per_hello == 0)
		s.o.max_suites_per_hello = PROBE_SUITES_PER_HELLO;
	else
		s.chunk = s.o.max_suites_per_hello; /* the caller knows: no trial */
	for (int i = 0; i < PV__COUNT; i++)
		rep->v[i].version = vidx_versions[i];

	/* Modern first: if a legacy hello upsets the server, the facts that
	 * matter most are already in. */
	static const enum probe_vidx order[] = {PV_TLS13, PV_TLS12, PV_TLS11, PV_TLS10, PV_SSL3, PV_SSL2};
	for (size_t i = 0; i < sizeof order / sizeof order[0] && !s.fatal; i++)
		if (s.o.versions & (1u << order[i]))
			enum_version(&s, order[i]);
	for (int i = PV_TLS13; i >= PV_SSL2; i--)
		if (rep->v[i].supported == PROBE_TRI_YES) {
			rep->max_version = vidx_versions[i];
			rep->first_cipher = i == PV_SSL2 ? 0 : rep->v[i].suites[0];
			break;
		}
	if (s.o.checks & PROBE_C_ORDER)
		for (int i = PV_TLS13; i >= PV_SSL3 && !s.fatal; i--)
			if (rep->v[i].supported == PROBE_TRI_YES)
				check_order(&s, (enum probe_vidx)i);
	if ((s.o.checks & PROBE_C_FALLBACK) && !s.fatal)
		check_fallback(&s);
	if ((s.o.checks & PROBE_C_GROUPS) && !s.fatal)
		check_groups(&s);
	if ((s.o.checks & PROBE_C_SIGALGS) && !s.fatal)
		check_sigalgs(&s);

	rep->connections = p->connections - s.start_conns;
	rep->wall_ms = mono_ms() - t0;
	/* Unusable target: nothing was learned before the scan had to stop. */
	bool learned = false;
	for (int i = 0; i < PV__COUNT; i++)
		learned |= rep->v[i].supported != PROBE_TRI_UNKNOWN;
	return s.fatal && !learned ? -1 : 0;
}

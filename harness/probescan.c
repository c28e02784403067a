/* SPDX-License-Identifier: MIT */
/*
 * probescan: the enumeration strategy behind probe_scan, built on
 * probe_hello. Per version, offer every candidate suite, record the pick,
 * remove it, repeat until the server refuses (in chunks when it cannot
 * read them all); then preference, fallback SCSV, groups and signature
 * schemes by the same elimination. Public (probe_int.h): probescan_run.
 * Invariants: a 421 is retried with backoff (100 ms doubling) and paces every later
 * connection (a pause learned from it, halving after 8 accepted), never read
 * as a TLS answer;
 * the connection and time budgets stop the scan, and so does a server that
 * stalls the handshake PROBE_STALLS_MAX times (what its silence decided is
 * then unknown again, not "no"); the report is plain data.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"
#include "util.h"

struct scan {
	struct probe *p;
	struct probe_scan_opts o;
	struct probe_report *rep;
	bool fatal;             /* stop everything: no more connections */
	size_t start_conns;
	int64_t end_ms;         /* mono_ms() deadline of the whole scan, 0 = none */
	size_t chunk;           /* suites per hello; 0 = not known yet (try all at once) */
	bool stalled;           /* stopped: the server stalled PROBE_STALLS_MAX handshakes */
	unsigned silent_no;     /* versions (1 << enum probe_vidx) found "no" by a silence */
	int64_t pace_ms;        /* learned from a 421: the pause before each connection (0: none) */
	unsigned paced_ok;      /* connections accepted since pace_ms last changed */
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

/*
 * One probe inside a scan: retries after 421 with backoff, counts, and
 * turns target-level failures (no STARTTLS, unreachable, interrupted,
 * throttled for good) into s->fatal. Returns the outcome.
 */
/* A probe the scan did not run: res says why, like any other outcome. */
static enum probe_outcome stopped(struct probe_result *res, const char *why)
{
	memset(res, 0, sizeof *res);
	res->outcome = PROBE_STOPPED;
	snprintf(res->detail, sizeof res->detail, "%s", why);
	return PROBE_STOPPED;
}

static enum probe_outcome scan_probe(struct scan *s, const struct hello_opts *h, bool want_flight,
                                     struct probe_result *res, size_t *counter)
{
	if (s->fatal) {
		return stopped(res, "scan stopped");
	}
	int64_t wait = s->o.throttle_backoff_ms;
	for (int attempt = 0;; attempt++) {
		if (s->end_ms && mono_ms() >= s->end_ms) {
			add_error(s->rep, "scan time budget of %lld ms exhausted", (long long)s->o.max_ms);
			s->fatal = true;
			return stopped(res, "time budget exhausted");
		}
		if (s->p->connections - s->start_conns >= s->o.max_connections) {
			add_error(s->rep, "connection budget of %zu exhausted", s->o.max_connections);
			s->fatal = true;
			return stopped(res, "connection budget exhausted");
		}
		size_t before = s->p->connections;
		if (s->pace_ms > 0)
			mono_sleep(s->pace_ms, s->p->t.stop);
		enum probe_outcome oc = probe_hello(s->p, h, want_flight, res);
		if (counter)
			*counter += s->p->connections - before;
		if (oc == PROBE_THROTTLED && attempt < s->o.throttle_retries) {
			mono_sleep(wait, s->p->t.stop);
			/* Pacing: what the target needed this time, every
			 * connection waits from now on (a throttle answers the
			 * rate or the count of connections not yet torn down,
			 * one at a time as the probe connects). */
			if (wait > s->pace_ms)
				s->pace_ms = wait;
			s->paced_ok = 0;
			wait *= 2;
			continue;
		}
		/* Accepted: after 8 in a row the pause halves again. */
		if (oc != PROBE_THROTTLED && s->pace_ms > 0 && ++s->paced_ok >= 8) {
			s->pace_ms = s->pace_ms >= 20 ? s->pace_ms / 2 : 0;
			s->paced_ok = 0;
		}
		if (oc == PROBE_SILENT && s->p->stalls >= PROBE_STALLS_MAX) {
			/* every further hello would cost the whole timeout too */
			add_error(s->rep, "%s", PROBE_STALLED_MSG);
			s->stalled = true;
			s->fatal = true;
			return oc;
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
	uint16_t version = probe_vidx_version(vi);
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
			if (res->outcome == PROBE_SILENT)
				s->silent_no |= 1u << vi;
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
			if (res->outcome == PROBE_SILENT)
				s->silent_no |= 1u << vi;
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

int probescan_run(struct probe *p, const struct probe_scan_opts *o, struct probe_report *rep)
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
	/* 100 ms first, doubled: 5 retries wait 3.1 s in all, as long as
	 * the old 1 s + 2 s, but a target that only needed a moment loses
	 * 0.1 s instead of a second. */
	if (s.o.throttle_retries == 0)
		s.o.throttle_retries = 5;
	else if (s.o.throttle_retries < 0)
		s.o.throttle_retries = 0;
	if (s.o.throttle_backoff_ms <= 0)
		s.o.throttle_backoff_ms = 100;
	if (s.o.max_connections == 0)
		s.o.max_connections = 1000;
	if (s.o.max_ms > 0)
		s.end_ms = t0 + s.o.max_ms;
	if (s.o.max_suites_per_hello == 0)
		s.o.max_suites_per_hello = PROBE_SUITES_PER_HELLO;
	else
		s.chunk = s.o.max_suites_per_hello; /* the caller knows: no trial */
	for (int i = 0; i < PV__COUNT; i++)
		rep->v[i].version = probe_vidx_version((enum probe_vidx)i);

	/* Modern first: if a legacy hello upsets the server, the facts that
	 * matter most are already in. */
	static const enum probe_vidx order[] = {PV_TLS13, PV_TLS12, PV_TLS11, PV_TLS10, PV_SSL3, PV_SSL2};
	for (size_t i = 0; i < sizeof order / sizeof order[0] && !s.fatal; i++)
		if (s.o.versions & (1u << order[i]))
			enum_version(&s, order[i]);
	/* A silence read as "no" was the first of the stalls: undecided. */
	for (int i = 0; i < PV__COUNT && s.stalled; i++)
		if (s.silent_no & (1u << i)) {
			rep->v[i].supported = PROBE_TRI_UNKNOWN;
			rep->v[i].why[0] = '\0';
		}
	for (int i = PV_TLS13; i >= PV_SSL2; i--)
		if (rep->v[i].supported == PROBE_TRI_YES) {
			rep->max_version = probe_vidx_version((enum probe_vidx)i);
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

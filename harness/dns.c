/* SPDX-License-Identifier: MIT */
/*
 * dns: lookups through libunbound with stark's own DNSSEC validation (the
 * trust anchor is stark's: --trust-anchor, else dns-root-data's root key),
 * forwarding to --resolver or the system's resolvers. Each lookup runs
 * asynchronously on libunbound's thread and is cancelled at the deadline,
 * so a silent, slow or garbage-answering server costs at most --timeout.
 * Owns: the ub_ctx, the answers as plain data, rdata field extraction and
 * the presentation form for evidence. Never: parses a DNS message, decides
 * what the records mean (dane, domain do), prints.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>
#include <unistd.h>

#define DNS_ROOT_ANCHOR "/usr/share/dns/root.key"

struct dns {
	struct ub_ctx *ctx;
	int64_t timeout_ms;
	const volatile sig_atomic_t *stop;
	unsigned lookups;
};

/* "ADDR[:PORT]" or "[V6]:PORT" into unbound's "ADDR@PORT". */
static int fwd_addr(const char *s, char *out, size_t outlen)
{
	char host[128];
	const char *port = NULL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL || (size_t)(e - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		if (e[1] == ':')
			port = e + 2;
		else if (e[1] != '\0')
			return -1;
	} else {
		const char *c = strchr(s, ':');
		bool v6 = c && strchr(c + 1, ':');
		size_t hl = (c && !v6) ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (c && !v6)
			port = c + 1;
	}
	uint8_t tmp[16];
	if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1)
		return -1;
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
			return -1;
		snprintf(out, outlen, "%s@%ld", host, p);
	} else {
		snprintf(out, outlen, "%s", host);
	}
	return 0;
}

struct dns *dns_new(const struct dns_opts *o, char *err, size_t errlen)
{
	struct ub_ctx *ctx = ub_ctx_create();
	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create the DNS resolver context");
		return NULL;
	}
	int r = ub_ctx_async(ctx, 1); /* a thread, not a fork */
	/* a loopback resolver is what the tests and many hosts use */
	if (r == 0)
		r = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no");
	/* unbound answers the special-use name test. (RFC 6761 6.2) itself
	 * with NXDOMAIN; stark is a test tool and its fixtures live there, so
	 * test. goes to the resolver like any other name */
	if (r == 0)
		r = ub_ctx_set_option(ctx, "local-zone:", "test. transparent");
	if (r == 0) {
		const char *ta = o->trust_anchor ? o->trust_anchor : DNS_ROOT_ANCHOR;
		if (access(ta, R_OK) != 0) {
			snprintf(err, errlen, "trust anchor %s: %s%s", ta, strerror(errno),
			         o->trust_anchor ? "" : " (install dns-root-data, or give --trust-anchor)");
			ub_ctx_delete(ctx);
			return NULL;
		}
		if ((r = ub_ctx_add_ta_file(ctx, ta)) != 0) {
			snprintf(err, errlen, "trust anchor %s: %s", ta, ub_strerror(r));
			ub_ctx_delete(ctx);
			return NULL;
		}
	}
	if (r == 0 && o->resolver) {
		char fwd[160];
		if (fwd_addr(o->resolver, fwd, sizeof fwd) != 0) {
			snprintf(err, errlen, "--resolver wants ADDR[:PORT] (an IP address), got '%s'",
			         o->resolver);
			ub_ctx_delete(ctx);
			return NULL;
		}
		r = ub_ctx_set_fwd(ctx, fwd);
	} else if (r == 0) {
		r = ub_ctx_resolvconf(ctx, NULL);
	}
	if (r != 0) {
		snprintf(err, errlen, "DNS resolver setup: %s", ub_strerror(r));
		ub_ctx_delete(ctx);
		return NULL;
	}
	struct dns *d = xcalloc(1, sizeof *d);
	d->ctx = ctx;
	d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	d->stop = o->stop;
	return d;
}

void dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	ub_ctx_delete(d->ctx);
	free(d);
}

unsigned dns_lookups(const struct dns *d)
{
	return d->lookups;
}

struct pending {
	bool done;
	int err;
	struct ub_result *res;
};

static void on_result(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;
	p->done = true;
	p->err = err;
	p->res = res;
}

void dns_query(struct dns *d, const char *name, int type, struct dns_answer *a)
{
	memset(a, 0, sizeof *a);
	a->qname = xstrdup(name);
	a->qtype = type;
	d->lookups++;
	int64_t t0 = mono_ms(), deadline = t0 + d->timeout_ms;
	struct pending p = {0};
	int id = 0;
	int r = ub_resolve_async(d->ctx, name, type, 1 /* IN */, &p, on_result, &id);
	if (r != 0) {
		snprintf(a->error, sizeof a->error, "lookup not started: %s", ub_strerror(r));
		return;
	}
	while (!p.done) {
		int64_t now = mono_ms();
		if (now >= deadline || (d->stop && *d->stop)) {
			ub_cancel(d->ctx, id);
			if (now >= deadline)
				snprintf(a->error, sizeof a->error, "%s %s: no answer within %lld ms", name,
				         dns_type_name(type), (long long)d->timeout_ms);
			else
				snprintf(a->error, sizeof a->error, "%s %s: interrupted", name,
				         dns_type_name(type));
			a->elapsed_ms = mono_ms() - t0;
			return;
		}
		struct pollfd pfd = {.fd = ub_fd(d->ctx), .events = POLLIN};
		int64_t left = deadline - now;
		poll(&pfd, 1, left > 100 ? 100 : (int)left);
		if (pfd.revents & POLLIN)
			ub_process(d->ctx);
	}
	a->elapsed_ms = mono_ms() - t0;
	if (p.err != 0 || p.res == NULL) {
		snprintf(a->error, sizeof a->error, "%s %s: %s", name, dns_type_name(type),
		         ub_strerror(p.err));
		ub_resolve_free(p.res);
		return;
	}
	struct ub_result *res = p.res;
	a->rcode = res->rcode;
	a->sec = res->bogus ? DNS_SEC_BOGUS : res->secure ? DNS_SEC_SECURE : DNS_SEC_INSECURE;
	if (res->why_bogus)
		snprintf(a->why_bogus, sizeof a->why_bogus, "%s", res->why_bogus);
	if (res->rcode == DNS_RCODE_SERVFAIL && !res->bogus) {
		snprintf(a->error, sizeof a->error, "%s %s: the resolver answered SERVFAIL", name,
		         dns_type_name(type));
		ub_resolve_free(res);
		return;
	}
	a->ok = true;
	if (res->havedata) {
		size_t n = 0;
		while (res->data[n])
			n++;
		a->rr = xcalloc(n ? n : 1, sizeof *a->rr);
		for (size_t i = 0; i < n; i++) {
			size_t len = res->len[i] > 0 ? (size_t)res->len[i] : 0;
			a->rr[i].data = xmalloc(len ? len : 1);
			memcpy(a->rr[i].data, res->data[i], len);
			a->rr[i].len = len;
		}
		a->n = n;
	}
	ub_resolve_free(res);
}

void dns_answer_free(struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rr[i].data);
	free(a->rr);
	free(a->qname);
	memset(a, 0, sizeof *a);
}

const char *dns_sec_name(enum dns_sec s)
{
	return s == DNS_SEC_SECURE ? "secure" : s == DNS_SEC_BOGUS ? "bogus" : "insecure";
}

const char *dns_type_name(int type)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_TLSA: return "TLSA";
	default: return "TYPE?";
	}
}

const char *dns_rcode_name(int rcode)
{
	switch (rcode) {
	case 0: return "NOERROR";
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 3: return "NXDOMAIN";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	default: return "RCODE?";
	}
}

void dns_answer_summary(const struct dns_answer *a, char *out, size_t outlen)
{
	if (!a->ok) {
		snprintf(out, outlen, "%s", a->error);
	} else if (a->sec == DNS_SEC_BOGUS) {
		snprintf(out, outlen, "bogus (DNSSEC validation failed: %s)",
		         a->why_bogus[0] ? a->why_bogus : "no reason given");
	} else if (a->n == 0) {
		snprintf(out, outlen, "%s%s, %s%s", dns_rcode_name(a->rcode),
		         a->rcode == DNS_RCODE_NOERROR ? " (no records)" : "", dns_sec_name(a->sec),
		         a->sec == DNS_SEC_SECURE ? " (authenticated denial)" : "");
	} else {
		snprintf(out, outlen, "%s, %s, %zu record%s", dns_rcode_name(a->rcode),
		         dns_sec_name(a->sec), a->n, a->n == 1 ? "" : "s");
	}
}

void dns_answer_describe(const struct dns_answer *a, struct buf *out)
{
	char sum[400];
	dns_answer_summary(a, sum, sizeof sum);
	buf_appendf(out, "dns: %s %s: %s (%lld ms)\n", a->qname, dns_type_name(a->qtype), sum,
	            (long long)a->elapsed_ms);
	for (size_t i = 0; i < a->n; i++) {
		char txt[600];
		dns_rr_text(a->qtype, &a->rr[i], txt, sizeof txt);
		buf_appendf(out, "dns:   %s %s %s\n", a->qname, dns_type_name(a->qtype), txt);
	}
}

/* ---- rdata fields ------------------------------------------------------- */

/* An uncompressed wire name at p[0..len) to text with the trailing dot;
 * returns bytes consumed or -1. */
static int wire_name(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	if (outlen < 2)
		return -1;
	while (i < len) {
		uint8_t l = p[i++];
		if (l == 0) {
			if (o == 0)
				out[o++] = '.';
			out[o] = '\0';
			return (int)i;
		}
		if (l > 63 || i + l > len || o + l + 2 > outlen)
			return -1;
		for (uint8_t k = 0; k < l; k++) {
			uint8_t c = p[i + k];
			out[o++] = (c > 32 && c < 127 && c != '.') ? (char)c : '?';
		}
		out[o++] = '.';
		i += l;
	}
	return -1;
}

int dns_rr_mx(const struct dns_rr *rr, unsigned *pref, char *host, size_t hostlen)
{
	if (rr->len < 3)
		return -1;
	*pref = (unsigned)rr->data[0] << 8 | rr->data[1];
	int n = wire_name(rr->data + 2, rr->len - 2, host, hostlen);
	return n > 0 && (size_t)n == rr->len - 2 ? 0 : -1;
}

int dns_rr_tlsa(const struct dns_rr *rr, unsigned *usage, unsigned *selector, unsigned *mtype,
                const uint8_t **data, size_t *len)
{
	if (rr->len < 4)
		return -1;
	*usage = rr->data[0];
	*selector = rr->data[1];
	*mtype = rr->data[2];
	*data = rr->data + 3;
	*len = rr->len - 3;
	return 0;
}

int dns_rr_txt(const struct dns_rr *rr, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	while (i < rr->len) {
		size_t l = rr->data[i++];
		if (i + l > rr->len)
			return -1;
		for (size_t k = 0; k < l && o + 1 < outlen; k++)
			out[o++] = rr->data[i + k] ? (char)rr->data[i + k] : '?';
		i += l;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return 0;
}

int dns_rr_addr(int type, const struct dns_rr *rr, char *out, size_t outlen)
{
	if (type == DNS_T_A && rr->len == 4)
		return inet_ntop(AF_INET, rr->data, out, (socklen_t)outlen) ? 0 : -1;
	if (type == DNS_T_AAAA && rr->len == 16)
		return inet_ntop(AF_INET6, rr->data, out, (socklen_t)outlen) ? 0 : -1;
	return -1;
}

void dns_rr_text(int type, const struct dns_rr *rr, char *out, size_t outlen)
{
	unsigned a, b, c;
	char host[300];
	const uint8_t *data;
	size_t len;
	if ((type == DNS_T_A || type == DNS_T_AAAA) && dns_rr_addr(type, rr, out, outlen) == 0)
		return;
	if (type == DNS_T_MX && dns_rr_mx(rr, &a, host, sizeof host) == 0) {
		snprintf(out, outlen, "%u %s", a, host);
		return;
	}
	if (type == DNS_T_TLSA && dns_rr_tlsa(rr, &a, &b, &c, &data, &len) == 0) {
		int o = snprintf(out, outlen, "%u %u %u ", a, b, c);
		for (size_t i = 0; i < len && o > 0 && (size_t)o + 3 < outlen; i++)
			o += snprintf(out + o, outlen - (size_t)o, "%02x", data[i]);
		return;
	}
	if (type == DNS_T_TXT && outlen > 2) {
		out[0] = '"';
		if (dns_rr_txt(rr, out + 1, outlen - 2) == 0) {
			size_t l = strlen(out);
			out[l] = '"';
			out[l + 1] = '\0';
			return;
		}
	}
	snprintf(out, outlen, "(%zu bytes of rdata)", rr->len);
}

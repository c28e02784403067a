/* SPDX-License-Identifier: MIT */
/*
 * mtasts-drive: runs the shipped MTA-STS and TLS-RPT code (mtasts.c,
 * mtasts_fetch.c, tlsrpt.c) for one domain with the DNS facts given on the
 * command line, so tests/real/mtasts.sh can fetch policies from a real
 * nginx before (and independently of) the domain scan that resolves them.
 * Prints one line per result, "P-0N VERDICT text", and with -v the
 * evidence (transcript) under it. Never resolves a name: the policy host's
 * addresses are --addr. SIGINT raises the fetch's stop flag.
 *
 * usage: mtasts-drive --domain D [--addr IP]... [--no-addr] [--port N]
 *          [--ca FILE] [--no-system-ca] [--timeout MS] [--txt RECORD]... [--no-txt]
 *          [--mx HOST=ok|fail|unknown]... [--tlsrpt RECORD]... [-v]
 * Without --txt, the TXT set is one "v=STSv1; id=drive1" record.
 * exit: 0 the results were printed, 2 bad usage.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "tlsrpt.h"
#include "util.h"

#define MAXN 16

/* SIGINT raises it, as stark's own handler does: the fetch gives up */
static volatile sig_atomic_t stop;
static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

static void print(const struct result *r, bool verbose)
{
	const char *text = r->verdict == V_PASS ? (r->notes ? r->notes : "") : r->reason;
	printf("%s %s %s\n", r->catalog[0], result_verdict_label(r->verdict), text);
	if (r->verdict != V_PASS && r->notes)
		printf("  notes: %s\n", r->notes);
	if (r->blocked_by)
		printf("  blocked by: %s\n", r->blocked_by);
	for (size_t i = 0; verbose && i < r->tr.n; i++) {
		const struct tevent *e = &r->tr.ev[i];
		char *s = escape_bytes(e->data, e->len);
		printf("  %s %s\n", transcript_dir_name(e->dir), s);
		free(s);
	}
}

static int usage(const char *why)
{
	fprintf(stderr, "mtasts-drive: %s\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	const char *domain = NULL, *ca = NULL, *addrs[MAXN], *txt[MAXN], *rpt[MAXN];
	struct mtasts_mx mx[MAXN];
	size_t naddrs = 0, ntxt = 0, nrpt = 0, nmx = 0;
	bool no_addr = false, no_txt = false, verbose = false, no_system_ca = false;
	long port = 0, timeout = 3000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-v") == 0) {
			verbose = true;
			continue;
		}
		if (strcmp(a, "--no-addr") == 0) {
			no_addr = true;
			continue;
		}
		if (strcmp(a, "--no-system-ca") == 0) {
			no_system_ca = true;
			continue;
		}
		if (strcmp(a, "--no-txt") == 0) {
			no_txt = true;
			continue;
		}
		if (v == NULL)
			return usage("an option lacks its value");
		i++;
		if (strcmp(a, "--domain") == 0)
			domain = v;
		else if (strcmp(a, "--ca") == 0)
			ca = v;
		else if (strcmp(a, "--port") == 0)
			port = strtol(v, NULL, 10);
		else if (strcmp(a, "--timeout") == 0)
			timeout = strtol(v, NULL, 10);
		else if (strcmp(a, "--addr") == 0 && naddrs < MAXN)
			addrs[naddrs++] = v;
		else if (strcmp(a, "--txt") == 0 && ntxt < MAXN)
			txt[ntxt++] = v;
		else if (strcmp(a, "--tlsrpt") == 0 && nrpt < MAXN)
			rpt[nrpt++] = v;
		else if (strcmp(a, "--mx") == 0 && nmx < MAXN) {
			char *h = xstrdup(v), *eq = strchr(h, '=');
			if (eq == NULL)
				return usage("--mx HOST=ok|fail|unknown");
			*eq = '\0';
			mx[nmx].host = h;
			mx[nmx].tls_known = strcmp(eq + 1, "unknown") != 0;
			mx[nmx].tls_ok = strcmp(eq + 1, "ok") == 0;
			snprintf(mx[nmx].detail, sizeof mx[nmx].detail, "%s",
			         mx[nmx].tls_ok ? "" : mx[nmx].tls_known ? "the scan failed it" : "not scanned");
			nmx++;
		} else
			return usage("unknown option or too many values");
	}
	if (domain == NULL || port < 0 || port > 65535)
		return usage("--domain D is required, --port 0..65535");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	if (ntxt == 0 && !no_txt)
		txt[ntxt++] = "v=STSv1; id=drive1";

	char qname[300];
	snprintf(qname, sizeof qname, "_mta-sts.%s", domain);
	struct mtasts_txtset set = {qname, no_txt ? MTASTS_DNS_NONE : MTASTS_DNS_ANSWER, NULL, NULL, txt,
	                            no_txt ? 0 : ntxt};
	struct mtasts_state st;
	mtasts_state_init(&st);
	struct result r;
	mtasts_judge_txt(&st, domain, &set, &r);
	print(&r, verbose);
	result_free(&r);

	struct mtasts_fetched f;
	bool fetched = false;
	if (st.txt_ok) {
		struct mtasts_fetch_opts o = {addrs, naddrs, no_addr ? MTASTS_DNS_NONE : MTASTS_DNS_ANSWER, NULL,
		                              (uint16_t)port, ca, no_system_ca, (int)timeout, &stop};
		int64_t t0 = mono_ms();
		mtasts_fetch(domain, &o, &f);
		fprintf(stderr, "mtasts-drive: fetch took %lld ms\n", (long long)(mono_ms() - t0));
		fetched = true;
	}
	mtasts_judge_policy(&st, domain, fetched ? &f : NULL, &r);
	print(&r, verbose);
	result_free(&r);
	if (fetched)
		mtasts_fetched_free(&f);

	mtasts_judge_mx(&st, domain, mx, nmx, &r);
	print(&r, verbose);
	result_free(&r);
	mtasts_state_free(&st);

	snprintf(qname, sizeof qname, "_smtp._tls.%s", domain);
	struct mtasts_txtset rs = {qname, nrpt ? MTASTS_DNS_ANSWER : MTASTS_DNS_NONE, NULL, NULL, rpt, nrpt};
	tlsrpt_judge(domain, &rs, &r);
	print(&r, verbose);
	result_free(&r);
	for (size_t i = 0; i < nmx; i++)
		free((char *)mx[i].host);
	return 0;
}

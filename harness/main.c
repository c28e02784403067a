/* SPDX-License-Identifier: MIT */
/*
 * main: the stark command line (run, scan, serve, demo, lint, dump, refserver,
 * certs).
 * The only file outside the core library. Parses options, builds the
 * shared TLS client config, hands scenarios to the runner, writes reports,
 * maps the run to an exit status (0 clean, 1 FAIL/XPASS, 2 error/usage).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "cert.h"
#include "policy.h"
#include "scan.h"
#include "refsrv.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"
#include "util.h"
#include "wtls.h"

#ifndef STARK_SOURCE_DIR
#define STARK_SOURCE_DIR "."
#endif

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("stark: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see stark help)\n", stderr);
	return 2;
}

static void help(FILE *f)
{
	fputs(
	    "stark " STARK_VERSION " - SMTP STARTTLS conformance and fuzz harness\n"
	    "\n"
	    "usage:\n"
	    "  stark run --target HOST:PORT [options]   play the server suite against an SMTP server\n"
	    "  stark demo [--out DIR] [-j N]             the suite against the embedded reference target\n"
	    "  stark scan --target HOST:PORT... [options] TLS facts behind STARTTLS judged by a policy,\n"
	    "                                            the server suite per node, a fleet view\n"
	    "  stark serve --trigger CMD [options]       play the client suite (stark is the server) against\n"
	    "                                            the SMTP client that CMD starts\n"
	    "  stark lint FILE|DIR...                    check scenario files (file:line:col: message)\n"
	    "  stark dump FILE                           print a scenario in canonical form\n"
	    "  stark refserver [options]                 serve the reference target (see refserver --help)\n"
	    "  stark certs --out DIR [--servername N]    write stark's CA and certificate variants\n"
	    "  stark catalog [--format md|json]          every catalog id and where it is checked (--scenarios)\n"
	    "\n"
	    "run options:\n"
	    "  --target HOST:PORT     the server to test ([::1]:25 for IPv6)\n"
	    "  --scenarios PATH       scenario file or directory, repeatable (default: the server suite)\n"
	    "  -k KEYWORD             only scenarios with this keyword or id substring (repeatable)\n"
	    "  --servername NAME      SNI and the name certificates are checked against (default: host)\n"
	    "  --ca FILE              trust anchors (PEM) for the verification facts\n"
	    "  --no-system-ca         do not also trust the system store\n"
	    "  --helo NAME            EHLO/HELO argument (default stark.test)\n"
	    "  --timeout DURATION     deadline of every connect, reply and handshake (default 5s)\n"
	    "  --profile mx|submission  which RFC 3207 profile the target claims (default mx)\n"
	    "  --xfail FILE           expected failures of this target: 'ID reason' per line\n"
	    "  --out DIR              report directory (default reports/<role>-<time>)\n"
	    "  -j N                   scenarios in parallel (default 4)\n"
	    "  -q                     no terminal summary\n"
	    "\n"
	    "\n"
	    "scan options (and --servername, --ca, --helo, --timeout, --out, -j, -k, -q):\n"
	    "  --target HOST:PORT     a node; repeat for a fleet (or --targets FILE, one per line)\n"
	    "  --policy rfc|mta-sts   rule set for the findings (default rfc)\n"
	    "  --no-suite             only TLS facts, no state-machine scenarios\n"
	    "\n"
	    "serve options (and --scenarios, -k, --servername, --timeout, --xfail, --out, -j, -q):\n"
	    "  --trigger CMD          shell command that makes the client connect; it gets STARK_HOST,\n"
	    "                         STARK_PORT, STARK_CA, STARK_SERVERNAME, STARK_SCENARIO\n"
	    "  --listen HOST:PORT     where stark listens (default 127.0.0.1:0, a free port per scenario)\n"
	    "  --client-profile require-tls|opportunistic  what the client claims (default require-tls)\n"
	    "\n"
	    "exit status: 0 no FAIL/XPASS/ERROR, 1 any FAIL or XPASS, 2 ERROR, interruption or bad usage\n",
	    f);
}

struct cli {
	char *host, *port;
	bool scan;                /* stark scan: TLS facts, policy, fleet view */
	char **targets;
	size_t ntargets;
	const char *policy;
	bool no_suite;
	bool serve;               /* stark serve: client role */
	const char *trigger;
	char *lhost, *lport;
	const char *client_profile;
	char **scn;
	size_t nscn;
	char **kw;
	size_t nkw;
	const char *servername, *ca, *helo, *profile, *xfail, *out;
	int64_t timeout_ms;
	int jobs;
	bool no_system_ca, quiet;
};

static void push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = (char *)s;
}

enum { OPT_TARGET = 256, OPT_SCEN, OPT_SNI, OPT_CA, OPT_HELO, OPT_TIMEOUT, OPT_PROFILE, OPT_XFAIL,
       OPT_OUT, OPT_NOSYS, OPT_LISTEN, OPT_FLAW, OPT_SUBM, OPT_NOTLS, OPT_CERT, OPT_TLSV,
       OPT_CIPHERS, OPT_CAOUT, OPT_HELP, OPT_TRIGGER, OPT_CPROFILE, OPT_TARGETS, OPT_POLICY,
       OPT_NOSUITE };

static const struct option run_longopts[] = {
	{"target", required_argument, 0, OPT_TARGET}, {"scenarios", required_argument, 0, OPT_SCEN},
	{"servername", required_argument, 0, OPT_SNI}, {"ca", required_argument, 0, OPT_CA},
	{"helo", required_argument, 0, OPT_HELO},     {"timeout", required_argument, 0, OPT_TIMEOUT},
	{"profile", required_argument, 0, OPT_PROFILE}, {"xfail", required_argument, 0, OPT_XFAIL},
	{"out", required_argument, 0, OPT_OUT},       {"no-system-ca", no_argument, 0, OPT_NOSYS},
	{"help", no_argument, 0, OPT_HELP},           {"trigger", required_argument, 0, OPT_TRIGGER},
	{"listen", required_argument, 0, OPT_LISTEN}, {"client-profile", required_argument, 0, OPT_CPROFILE},
	{"targets", required_argument, 0, OPT_TARGETS}, {"policy", required_argument, 0, OPT_POLICY},
	{"no-suite", no_argument, 0, OPT_NOSUITE},
	{0, 0, 0, 0},
};

static int parse_run_opts(int argc, char **argv, struct cli *c, bool need_target)
{
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:j:q", run_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_TARGET:
			if (c->scan) {
				char *h, *p;
				if (split_hostport(optarg, &h, &p) != 0)
					return usage_error("--target wants HOST:PORT, got '%s'", optarg);
				free(h);
				free(p);
				push(&c->targets, &c->ntargets, xstrdup(optarg));
				break;
			}
			if (c->host)
				return usage_error("run takes one --target (several: stark scan)");
			if (split_hostport(optarg, &c->host, &c->port) != 0)
				return usage_error("--target wants HOST:PORT, got '%s'", optarg);
			break;
		case OPT_TARGETS: {
			if (!c->scan)
				return usage_error("--targets belongs to stark scan");
			FILE *tf = fopen(optarg, "r");
			if (tf == NULL)
				return usage_error("--targets %s: %s", optarg, strerror(errno));
			char line[512];
			int ln = 0;
			while (fgets(line, sizeof line, tf)) {
				ln++;
				char *t = line + strspn(line, " \t");
				t[strcspn(t, " \t\r\n#")] = '\0';
				if (*t == '\0')
					continue;
				char *h, *p;
				if (split_hostport(t, &h, &p) != 0) {
					fclose(tf);
					return usage_error("%s:%d: not HOST:PORT: '%s'", optarg, ln, t);
				}
				free(h);
				free(p);
				push(&c->targets, &c->ntargets, xstrdup(t));
			}
			fclose(tf);
			break;
		}
		case OPT_POLICY:
			if (policy_find(optarg) == NULL)
				return usage_error("unknown --policy '%s' (rfc, mta-sts)", optarg);
			c->policy = optarg;
			break;
		case OPT_NOSUITE: c->no_suite = true; break;
		case OPT_SCEN: push(&c->scn, &c->nscn, optarg); break;
		case 'k': push(&c->kw, &c->nkw, optarg); break;
		case OPT_SNI: c->servername = optarg; break;
		case OPT_CA: c->ca = optarg; break;
		case OPT_HELO: c->helo = optarg; break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &c->timeout_ms) != 0 || c->timeout_ms <= 0)
				return usage_error("--timeout wants a duration like 5s or 500ms, got '%s'", optarg);
			break;
		case OPT_PROFILE:
			if (strcmp(optarg, "mx") != 0 && strcmp(optarg, "submission") != 0)
				return usage_error("--profile is mx or submission, got '%s'", optarg);
			c->profile = optarg;
			break;
		case OPT_XFAIL: c->xfail = optarg; break;
		case OPT_OUT: c->out = optarg; break;
		case OPT_NOSYS: c->no_system_ca = true; break;
		case 'j':
			c->jobs = atoi(optarg);
			if (c->jobs < 1 || c->jobs > 64)
				return usage_error("-j wants 1..64, got '%s'", optarg);
			break;
		case 'q': c->quiet = true; break;
		case OPT_TRIGGER: c->trigger = optarg; break;
		case OPT_LISTEN:
			if (split_hostport(optarg, &c->lhost, &c->lport) != 0)
				return usage_error("--listen wants HOST:PORT, got '%s'", optarg);
			break;
		case OPT_CPROFILE:
			if (strcmp(optarg, "require-tls") != 0 && strcmp(optarg, "opportunistic") != 0)
				return usage_error("--client-profile is require-tls or opportunistic, got '%s'",
				                   optarg);
			c->client_profile = optarg;
			break;
		case OPT_HELP: help(stdout); exit(0);
		default: return usage_error("bad option");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (c->scan) {
		if (c->ntargets == 0)
			return usage_error("scan needs --target HOST:PORT (repeatable) or --targets FILE");
		return 0;
	}
	if (c->policy || c->no_suite)
		return usage_error("--policy and --no-suite belong to stark scan");
	if (need_target && c->host == NULL)
		return usage_error("run needs --target HOST:PORT");
	if (c->serve != (c->trigger != NULL))
		return usage_error(c->serve ? "serve needs --trigger CMD"
		                            : "--trigger belongs to stark serve");
	if (!c->serve && (c->lhost || c->client_profile))
		return usage_error("--listen and --client-profile belong to stark serve");
	if (c->serve && c->host)
		return usage_error("serve takes no --target: the trigger's client connects to stark");
	if (c->serve && c->profile)
		return usage_error("--profile is for servers; clients use --client-profile");
	return 0;
}

static int write_file(const char *path, const char *text, char *err, size_t errlen);
static int mkdir_p(const char *dir);

static char *default_out(const char *role)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
	return xasprintf("reports/%s-%s-%d", role, ts, (int)getpid());
}

/* Load scenarios, run, write reports, print the summary. */
static int do_run(struct cli *c, int argc, char **argv)
{
	char err[512];
	int rc = 2;
	struct scenario **scns = NULL;
	size_t nscns = 0;
	struct scn_diag diag = {0};
	struct runner_opts ro = {0};
	struct run run;
	run_init(&run);

	const char *role = c->serve ? "client" : "server";
	char *defscn = getenv("STARK_SCENARIOS") ? xstrdup(getenv("STARK_SCENARIOS"))
	                                         : xasprintf(STARK_SOURCE_DIR "/scenarios/%s", role);
	struct cert_set *certs = NULL;
	char *out = c->out ? xstrdup(c->out) : default_out(c->serve ? "client" : "server");
	char *ca_path = NULL;
	if (c->nscn == 0)
		push(&c->scn, &c->nscn, defscn);
	if (runner_load(c->scn, c->nscn, &scns, &nscns, &diag) != 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		fprintf(stderr, "stark: %zu error(s) in scenarios; nothing was sent to the target\n",
		        diag.n);
		goto out;
	}
	if (c->xfail &&
	    runner_load_xfail(c->xfail, &ro.xfail, &ro.nxfail, err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s\n", err);
		goto out;
	}
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	if (c->ca && wtls_config_add_ca_file(cfg, c->ca) != 0) {
		fprintf(stderr, "stark: --ca %s: %s\n", c->ca, wtls_config_error(cfg));
		wtls_config_free(cfg);
		goto out;
	}
	if (!c->no_system_ca)
		wtls_config_use_system_ca(cfg);
	if (c->serve) {
		/* The CA of stark's certificates, for STARK_CA and for users. */
		certs = cert_set_new(c->servername ? c->servername : "localhost");
		char *abs = realpath(".", NULL);
		ca_path = out[0] == '/' ? xasprintf("%s/stark-ca.pem", out)
		                        : xasprintf("%s/%s/stark-ca.pem", abs ? abs : ".", out);
		free(abs);
		if (certs == NULL || mkdir_p(out) != 0 ||
		    write_file(ca_path, cert_set_ca_pem(certs), err, sizeof err) != 0) {
			fprintf(stderr, "stark: cannot prepare %s: %s\n", ca_path,
			        certs ? (err[0] ? err : strerror(errno)) : "certificate generation failed");
			wtls_config_free(cfg);
			goto out;
		}
	}
	ro.role = c->serve ? SCN_TARGET_CLIENT : SCN_TARGET_SERVER;
	ro.ex = (struct exec_opts){
		.host = c->host,
		.port = c->port,
		.servername = c->serve && !c->servername ? "localhost" : c->servername,
		.helo = c->helo ? c->helo : "stark.test",
		.timeout_ms = c->timeout_ms ? c->timeout_ms : 5000,
		.profile = c->serve ? (c->client_profile ? c->client_profile : "require-tls")
		                    : (c->profile ? c->profile : "mx"),
		.tls = cfg,
		.ca_file = c->ca,
		.system_ca = !c->no_system_ca,
		.stop = &stop_flag,
		.trigger = c->trigger,
		.listen_host = c->lhost ? c->lhost : "127.0.0.1",
		.listen_port = c->lport ? c->lport : "0",
		.ca_path = ca_path,
		.certs = certs,
	};
	ro.jobs = c->jobs ? c->jobs : 4;
	if (c->serve && strcmp(ro.ex.listen_port, "0") != 0 && ro.jobs > 1) {
		/* one fixed port serves one scenario at a time */
		ro.jobs = 1;
	}
	ro.keywords = c->kw;
	ro.nkeywords = c->nkw;

	run.role = xstrdup(role);
	if (c->serve)
		run.target = xstrdup(c->trigger);
	else
		run.target = xasprintf(strchr(c->host, ':') ? "[%s]:%s" : "%s:%s", c->host, c->port);
	run.profile = xstrdup(ro.ex.profile);
	run.argc = (size_t)argc;
	run.argv = xcalloc((size_t)argc + 1, sizeof *run.argv);
	for (int i = 0; i < argc; i++)
		run.argv[i] = xstrdup(argv[i]);
	runner_run(scns, nscns, &ro, &run);
	wtls_config_free(cfg);

	for (size_t i = 0; i < ro.nxfail; i++) {
		bool used = false;
		for (size_t k = 0; k < nscns && !used; k++)
			used = strcmp(scns[k]->id, ro.xfail[i].id) == 0;
		if (!used)
			fprintf(stderr, "stark: warning: xfail entry '%s' names no loaded scenario\n",
			        ro.xfail[i].id);
	}
	if (report_write_all(&run, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: cannot write reports: %s\n", err);
		goto out;
	}
	if (!c->quiet)
		report_terminal(&run, out, stdout);
	rc = run_exit_status(&run);
out:
	free(out);
	free(ca_path);
	cert_set_free(certs);
	runner_free_xfail(ro.xfail, ro.nxfail);
	runner_free_scenarios(scns, nscns);
	scn_diag_free(&diag);
	run_free(&run);
	free(defscn);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	struct cli c = {0};
	int r = parse_run_opts(argc, argv, &c, true);
	if (r == 0)
		r = do_run(&c, argc, argv);
	free(c.host);
	free(c.port);
	free(c.scn);
	free(c.kw);
	return r;
}


struct scan_job {
	struct scan_node *node;
	const struct scan_opts *o;
};

static void *scan_thread(void *p)
{
	struct scan_job *j = p;
	scan_node_run(j->node, j->o);
	wtls_thread_cleanup();
	return NULL;
}

/* stark scan: facts per node (in parallel), findings under the policy, the
 * server suite per node, and the fleet view when there are several. */
static int do_scan(struct cli *c, int argc, char **argv)
{
	char err[512];
	int rc = 2;
	const struct policy *pol = c->policy ? policy_find(c->policy) : policy_default();
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	if (c->ca && wtls_config_add_ca_file(cfg, c->ca) != 0) {
		fprintf(stderr, "stark: --ca %s: %s\n", c->ca, wtls_config_error(cfg));
		wtls_config_free(cfg);
		return 2;
	}
	if (!c->no_system_ca)
		wtls_config_use_system_ca(cfg);
	struct scan_opts so = {
	    .servername = c->servername,
	    .helo = c->helo ? c->helo : "stark.test",
	    .timeout_ms = c->timeout_ms ? c->timeout_ms : 5000,
	    .tls = cfg,
	    .stop = &stop_flag,
	};
	struct run run;
	run_init(&run);
	run.role = xstrdup("scan");
	struct buf tg = {0};
	for (size_t i = 0; i < c->ntargets; i++)
		buf_appendf(&tg, "%s%s", i ? " " : "", c->targets[i]);
	run.target = xstrdup(buf_cstr(&tg));
	buf_free(&tg);
	run.profile = xstrdup(c->profile ? c->profile : "mx");
	run.argc = (size_t)argc;
	run.argv = xcalloc((size_t)argc + 1, sizeof *run.argv);
	for (int i = 0; i < argc; i++)
		run.argv[i] = xstrdup(argv[i]);
	struct scan_fleet *fl = xcalloc(1, sizeof *fl);
	run.scan = fl;
	fl->policy = xstrdup(pol->name);
	fl->nnodes = c->ntargets;
	fl->nodes = xcalloc(fl->nnodes, sizeof *fl->nodes);
	for (size_t i = 0; i < fl->nnodes; i++)
		fl->nodes[i].target = xstrdup(c->targets[i]);

	int64_t t0 = mono_ms();
	/* Nodes are independent: probe them side by side (each probes its own
	 * versions in sequence, one connection at a time, as servers prefer). */
	size_t jobs = c->jobs ? (size_t)c->jobs : 4;
	for (size_t base = 0; base < fl->nnodes; base += jobs) {
		size_t n = fl->nnodes - base < jobs ? fl->nnodes - base : jobs;
		pthread_t t[64];
		struct scan_job sj[64];
		for (size_t i = 0; i < n; i++) {
			sj[i] = (struct scan_job){&fl->nodes[base + i], &so};
			pthread_create(&t[i], NULL, scan_thread, &sj[i]);
		}
		for (size_t i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	}
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct scan_node *n = &fl->nodes[i];
		if (!run.has_tls && n->tls_ok) {
			run.has_tls = true;
			run.tls = n->tls;
		}
		policy_eval(pol, n, c->servername, &run);
	}

	struct scenario **scns = NULL;
	size_t nscns = 0;
	struct scn_diag diag = {0};
	if (!c->no_suite && !stop_flag) {
		/* The state machine per node, so the fleet view compares it too. */
		char *defscn = xstrdup(STARK_SOURCE_DIR "/scenarios/server");
		if (c->nscn == 0)
			push(&c->scn, &c->nscn, defscn);
		if (runner_load(c->scn, c->nscn, &scns, &nscns, &diag) != 0) {
			for (size_t i = 0; i < diag.n; i++)
				fprintf(stderr, "%s\n", diag.msgs[i]);
			fprintf(stderr, "stark: errors in scenarios; nothing was sent\n");
			free(defscn);
			goto out;
		}
		for (size_t i = 0; i < fl->nnodes && !stop_flag; i++) {
			struct scan_node *n = &fl->nodes[i];
			if (n->host == NULL)
				continue;
			struct runner_opts ro = {0};
			ro.role = SCN_TARGET_SERVER;
			ro.ex = (struct exec_opts){
			    .host = n->host,
			    .port = n->port,
			    .servername = c->servername,
			    .helo = so.helo,
			    .timeout_ms = so.timeout_ms,
			    .profile = run.profile,
			    .tls = cfg,
			    .ca_file = c->ca,
			    .system_ca = !c->no_system_ca,
			    .stop = &stop_flag,
			};
			ro.jobs = (int)jobs;
			ro.keywords = c->kw;
			ro.nkeywords = c->nkw;
			struct run sub;
			run_init(&sub);
			runner_run(scns, nscns, &ro, &sub);
			for (size_t k = 0; k < sub.n; k++) {
				sub.results[k].node = xstrdup(n->target);
				if (run.n == run.cap) {
					run.cap = run.cap ? run.cap * 2 : 64;
					run.results = xrealloc(run.results, run.cap * sizeof *run.results);
				}
				run.results[run.n++] = sub.results[k];
			}
			sub.n = 0;
			run_free(&sub);
		}
		free(defscn);
	}
	if (fl->nnodes > 1)
		scan_consistency(fl, &run);
	run.elapsed_ms = mono_ms() - t0;
	run.interrupted = stop_flag != 0;

	char *out = c->out ? xstrdup(c->out) : default_out("scan");
	if (report_write_all(&run, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: cannot write reports: %s\n", err);
		free(out);
		goto out;
	}
	if (!c->quiet)
		report_terminal(&run, out, stdout);
	free(out);
	rc = run_exit_status(&run);
out:
	runner_free_scenarios(scns, nscns);
	scn_diag_free(&diag);
	run_free(&run);
	wtls_config_free(cfg);
	return rc;
}

static int cmd_scan(int argc, char **argv)
{
	struct cli c = {.scan = true};
	int r = parse_run_opts(argc, argv, &c, false);
	if (r == 0)
		r = do_scan(&c, argc, argv);
	for (size_t i = 0; i < c.ntargets; i++)
		free(c.targets[i]);
	free(c.targets);
	free(c.scn);
	free(c.kw);
	return r;
}

static int cmd_serve(int argc, char **argv)
{
	struct cli c = {.serve = true};
	int r = parse_run_opts(argc, argv, &c, false);
	if (r == 0)
		r = do_run(&c, argc, argv);
	free(c.lhost);
	free(c.lport);
	free(c.scn);
	free(c.kw);
	return r;
}

static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	char *d = xstrdup(dir);
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0755);
			*p = '/';
		}
	int r = mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : -1;
	free(d);
	return r;
}

/* stark demo: the reference target on a free loopback port, the default
 * suite against it, reports in --out. */
static int cmd_demo(int argc, char **argv)
{
	struct cli c = {0};
	int r = parse_run_opts(argc, argv, &c, false);
	if (r != 0)
		return r;
	if (c.host)
		return usage_error("demo runs against its own reference target; use run --target");
	struct refsrv_opts o = {0};
	char err[512];
	struct refsrv *srv = refsrv_start(&o, "127.0.0.1", "0", err, sizeof err);
	if (srv == NULL) {
		fprintf(stderr, "stark: cannot start the reference target: %s\n", err);
		return 2;
	}
	char *out = c.out ? xstrdup(c.out) : default_out("demo");
	char *ca = xasprintf("%s/reference-ca.pem", out);
	if (mkdir_p(out) != 0 || write_file(ca, refsrv_ca_pem(srv), err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s: %s\n", out, err[0] ? err : strerror(errno));
		refsrv_stop(srv);
		return 2;
	}
	printf("stark demo: reference target listening on 127.0.0.1:%d (certificate for localhost, CA in %s)\n",
	       refsrv_port(srv), ca);
	fflush(stdout);
	c.host = xstrdup("127.0.0.1");
	c.port = xasprintf("%d", refsrv_port(srv));
	c.servername = c.servername ? c.servername : "localhost";
	c.ca = c.ca ? c.ca : ca;
	c.out = out;
	r = do_run(&c, argc, argv);
	refsrv_stop(srv);
	free(ca);
	free(out);
	free(c.host);
	free(c.port);
	free(c.scn);
	free(c.kw);
	return r;
}

static int cmd_lint(int argc, char **argv, bool dump)
{
	if (argc < 2)
		return usage_error("%s needs at least one scenario file", dump ? "dump" : "lint");
	struct scenario **s = NULL;
	size_t n = 0;
	struct scn_diag d = {0};
	int rc = runner_load(argv + 1, (size_t)argc - 1, &s, &n, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (rc == 0 && dump) {
		for (size_t i = 0; i < n; i++) {
			char *t = scenario_dump(s[i]);
			fputs(t, stdout);
			free(t);
		}
	} else if (rc == 0) {
		printf("%zu scenario(s) ok\n", n);
	}
	runner_free_scenarios(s, n);
	scn_diag_free(&d);
	return rc == 0 ? 0 : 1;
}

static const struct option ref_longopts[] = {
	{"listen", required_argument, 0, OPT_LISTEN}, {"flaw", required_argument, 0, OPT_FLAW},
	{"submission", no_argument, 0, OPT_SUBM},     {"no-tls", no_argument, 0, OPT_NOTLS},
	{"cert", required_argument, 0, OPT_CERT},     {"tls-version", required_argument, 0, OPT_TLSV},
	{"ciphers", required_argument, 0, OPT_CIPHERS}, {"servername", required_argument, 0, OPT_SNI},
	{"ca-out", required_argument, 0, OPT_CAOUT},  {"help", no_argument, 0, OPT_HELP},
	{0, 0, 0, 0},
};

static void refserver_help(void)
{
	printf("usage: stark refserver [--listen HOST:PORT] [--flaw LIST] [--submission] [--no-tls]\n"
	       "         [--cert VARIANT] [--tls-version V|V-V] [--ciphers LIST] [--servername NAME]\n"
	       "         [--ca-out FILE]\n"
	       "Serves the reference target (default 127.0.0.1:0, a free port) until SIGINT/SIGTERM.\n"
	       "Prints 'listening on HOST:PORT' once ready. Flaws (comma separated, or 'all'):\n");
	for (unsigned b = 1; b & FLAW__ALL; b <<= 1)
		printf("  %-18s %s\n", refsrv_flaw_name(b), refsrv_flaw_help(b));
}

static int parse_version_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	static const struct {
		const char *n;
		uint16_t v;
	} vs[] = {{"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304}};
	char a[8] = "", b[8] = "";
	if (sscanf(s, "%7[0-9.]-%7[0-9.]", a, b) < 1)
		return -1;
	if (b[0] == '\0')
		strcpy(b, a);
	*lo = *hi = 0;
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(a, vs[i].n) == 0)
			*lo = vs[i].v;
		if (strcmp(b, vs[i].n) == 0)
			*hi = vs[i].v;
	}
	return *lo && *hi && *lo <= *hi ? 0 : -1;
}

static int cmd_refserver(int argc, char **argv)
{
	struct refsrv_opts o = {0};
	char *host = xstrdup("127.0.0.1"), *port = xstrdup("0");
	const char *caout = NULL;
	char err[512];
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", ref_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN:
			free(host);
			free(port);
			if (split_hostport(optarg, &host, &port) != 0)
				return usage_error("--listen wants HOST:PORT, got '%s'", optarg);
			break;
		case OPT_FLAW:
			if (refsrv_flaw_parse(optarg, &o.flaws, err, sizeof err) != 0)
				return usage_error("%s", err);
			break;
		case OPT_SUBM: o.submission = true; break;
		case OPT_NOTLS: o.no_tls = true; break;
		case OPT_CERT: o.cert = optarg; break;
		case OPT_TLSV:
			if (parse_version_range(optarg, &o.tls_vmin, &o.tls_vmax) != 0)
				return usage_error("--tls-version wants 1.2 or 1.0-1.3, got '%s'", optarg);
			break;
		case OPT_CIPHERS: o.ciphers = optarg; break;
		case OPT_SNI: o.servername = optarg; break;
		case OPT_CAOUT: caout = optarg; break;
		case OPT_HELP: refserver_help(); return 0;
		default: return usage_error("bad option");
		}
	}
	struct refsrv *srv = refsrv_start(&o, host, port, err, sizeof err);
	if (srv == NULL) {
		fprintf(stderr, "stark: refserver: %s\n", err);
		return 2;
	}
	if (caout && refsrv_ca_pem(srv) && write_file(caout, refsrv_ca_pem(srv), err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s\n", err);
		refsrv_stop(srv);
		return 2;
	}
	printf(strchr(host, ':') ? "listening on [%s]:%d\n" : "listening on %s:%d\n", host,
	       refsrv_port(srv));
	fflush(stdout);
	while (!stop_flag)
		pause();
	refsrv_stop(srv);
	free(host);
	free(port);
	return 0;
}

static int cmd_certs(int argc, char **argv)
{
	const char *out = NULL, *sn = "localhost";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--servername") == 0 && i + 1 < argc)
			sn = argv[++i];
		else
			return usage_error("certs: unexpected argument '%s'", argv[i]);
	}
	if (out == NULL)
		return usage_error("certs needs --out DIR");
	char err[512];
	struct cert_set *cs = cert_set_new(sn);
	if (cs == NULL || cert_set_write_dir(cs, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: certs: %s\n", cs ? err : "cannot create CA");
		cert_set_free(cs);
		return 2;
	}
	cert_set_free(cs);
	printf("wrote ca.pem and %d certificate variants for %s to %s\n", CERT__COUNT, sn, out);
	return 0;
}

/* The test catalog from the scenarios, the policy table and the pending
 * file (docs/catalog.md is its Markdown; a ctest keeps them equal). */
static int cmd_catalog(int argc, char **argv)
{
	bool json = false;
	char **paths = NULL;
	size_t npaths = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			json = strcmp(argv[++i], "json") == 0;
			if (!json && strcmp(argv[i], "md") != 0) {
				free(paths);
				return usage_error("catalog: --format is md or json, got '%s'", argv[i]);
			}
		} else if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc) {
			push(&paths, &npaths, argv[++i]);
		} else {
			free(paths);
			return usage_error("catalog: unexpected argument '%s' (--format md|json, --scenarios PATH)",
			                   argv[i]);
		}
	}
	char *def = xstrdup(STARK_SOURCE_DIR "/scenarios");
	if (npaths == 0)
		push(&paths, &npaths, def);
	struct catalog c;
	struct scn_diag d = {0};
	int rc = catalog_build(&c, paths, npaths, STARK_SOURCE_DIR "/docs/catalog-pending.tsv", &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (rc == 0) {
		char *text = json ? catalog_json(&c) : catalog_markdown(&c);
		fputs(text, stdout);
		free(text);
	}
	catalog_free(&c);
	scn_diag_free(&d);
	free(paths);
	free(def);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return 2;
	}
	install_signals();
	wtls_global_init();
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(cmd, "lint") == 0)
		return cmd_lint(argc - 1, argv + 1, false);
	if (strcmp(cmd, "dump") == 0)
		return cmd_lint(argc - 1, argv + 1, true);
	if (strcmp(cmd, "refserver") == 0)
		return cmd_refserver(argc - 1, argv + 1);
	if (strcmp(cmd, "certs") == 0)
		return cmd_certs(argc - 1, argv + 1);
	if (strcmp(cmd, "catalog") == 0)
		return cmd_catalog(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		help(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("stark %s\n", STARK_VERSION);
		return 0;
	}
	return usage_error("unknown command '%s'", cmd);
}

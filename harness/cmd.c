/* SPDX-License-Identifier: MIT */
/*
 * cmd: the commands that play scenarios, run, serve, demo and scan: their
 * options, the checks before work (preflight), the inputs of a run built
 * once (TLS client config, scenarios, exec options), then the core (runner,
 * scan, refsrv), the reports and the exit status; plus the signal flag,
 * usage errors and --help that every command shares. Public: cmd_*.
 */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "datadir.h"
#include "dns.h"
#include "domain.h"
#include "diff.h"
#include "policy.h"
#include "progress.h"
#include "preflight.h"
#include "refsrv.h"
#include "report.h"
#include "runner.h"
#include "scan.h"
#include "scenario.h"
#include "util.h"
#include "wtls.h"

volatile sig_atomic_t cmd_stop;

static void on_signal(int sig)
{
	(void)sig;
	cmd_stop = 1;
}

void cmd_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("stark: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\n(see stark %s --help)\n", cmd->name);
	else
		fputs("\n(see stark help)\n", stderr);
	return 2;
}

void cmd_help(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: stark %s %s\n%s.\n", cmd->name, cmd->synopsis, cmd->summary);
	if (cmd->options[0])
		fprintf(f, "\n%s", cmd->options);
	if (cmd->more_help) {
		fputc('\n', f);
		cmd->more_help(f);
	}
}

struct cli {
	const struct command *cmd;
	char *host, *port;
	bool scan;                /* stark scan: TLS facts, policy, fleet view */
	char **targets;
	size_t ntargets;
	const char *policy;
	bool no_suite;
	char **domains;           /* stark scan --domain / --domains */
	size_t ndomains;
	const char *resolver, *trust_anchor, *mx_port, *sts_port;
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
	int64_t start_ms; /* --start-timeout (serve) */
	int jobs;
	bool no_system_ca, quiet;
	const char *baseline;     /* --baseline OLD.json: judge the change (diff) */
	int shard_index, shard_count; /* --shard I/N of a scan's target list */
};

static void cli_free(struct cli *c)
{
	free(c->host);
	free(c->port);
	strv_free(c->targets, c->ntargets);
	strv_free(c->domains, c->ndomains);
	free(c->lhost);
	free(c->lport);
	free(c->scn);
	free(c->kw);
}

static void push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = (char *)s;
}

enum { OPT_TARGET = 256, OPT_SCEN, OPT_SNI, OPT_CA, OPT_HELO, OPT_TIMEOUT, OPT_PROFILE, OPT_XFAIL,
       OPT_OUT, OPT_NOSYS, OPT_LISTEN, OPT_FLAW, OPT_SUBM, OPT_NOTLS, OPT_CERT, OPT_TLSV,
       OPT_CIPHERS, OPT_CAOUT, OPT_HELP, OPT_TRIGGER, OPT_CPROFILE, OPT_TARGETS, OPT_POLICY,
       OPT_NOSUITE, OPT_DOMAIN, OPT_DOMAINS, OPT_RESOLVER, OPT_TANCHOR, OPT_PORT,
       OPT_STSPORT, OPT_BASELINE, OPT_SHARD, OPT_START };

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
	{"domain", required_argument, 0, OPT_DOMAIN}, {"domains", required_argument, 0, OPT_DOMAINS},
	{"resolver", required_argument, 0, OPT_RESOLVER},
	{"trust-anchor", required_argument, 0, OPT_TANCHOR}, {"port", required_argument, 0, OPT_PORT},
	{"mta-sts-port", required_argument, 0, OPT_STSPORT},
	{"baseline", required_argument, 0, OPT_BASELINE},
	{"shard", required_argument, 0, OPT_SHARD},
	{"start-timeout", required_argument, 0, OPT_START},
	{0, 0, 0, 0},
};


/* --targets FILE: one HOST:PORT per line, '#' comments. */
static int read_targets(struct cli *c, const char *path)
{
	char err[600];
	if (preflight_read_targets(path, &c->targets, &c->ntargets, err, sizeof err) != 0)
		return cmd_usage_error(c->cmd, "%s", err);
	return 0;
}

/* A mail domain as a user types it: LDH labels of 1..63, 253 in all, an
 * optional final dot. NULL when fine, else why not. */
static const char *domain_syntax(const char *d)
{
	size_t n = strlen(d), label = 0;
	if (n == 0 || n > 254 || (n == 254 && d[n - 1] != '.'))
		return "not a domain name";
	for (size_t i = 0; i < n; i++) {
		char ch = d[i];
		if (ch == '.') {
			if (label == 0)
				return "empty label";
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
			if (++label > 63)
				return "a label longer than 63";
		} else {
			return "only letters, digits, '-' and '.' belong in a domain name";
		}
	}
	return NULL;
}

static int add_domain(struct cli *c, const char *d, const char *where)
{
	const char *why = domain_syntax(d);
	if (why)
		return cmd_usage_error(c->cmd, "%s: %s: '%s'", where, why, d);
	push(&c->domains, &c->ndomains, xstrdup(d));
	return 0;
}

/* --domains FILE: one domain per line, '#' comments. */
static int read_domains(struct cli *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return cmd_usage_error(c->cmd, "--domains %s: %s", path, strerror(errno));
	char line[512], where[600];
	int ln = 0, r = 0;
	while (r == 0 && fgets(line, sizeof line, f)) {
		ln++;
		char *t = line + strspn(line, " \t");
		t[strcspn(t, " \t\r\n#")] = '\0';
		snprintf(where, sizeof where, "%s:%d", path, ln);
		if (*t)
			r = add_domain(c, t, where);
	}
	fclose(f);
	if (r == 0 && c->ndomains == 0)
		return cmd_usage_error(c->cmd, "--domains %s: no domain in it", path);
	return r;
}

/* --shard I/N: "I/N", 0 <= I < N. 0 or -1. */
static int shard_parse(const char *arg, int *index, int *count)
{
	char *end;
	errno = 0;
	long i = strtol(arg, &end, 10);
	if (end == arg || *end != '/' || errno)
		return -1;
	const char *q = end + 1;
	long n = strtol(q, &end, 10);
	if (end == q || *end || errno || n < 1 || n > 10000 || i < 0 || i >= n)
		return -1;
	*index = (int)i;
	*count = (int)n;
	return 0;
}

/* Keep the targets of shard I/N: those at list positions p with
 * p mod N == I (docs/scale-out.md says why index, not hash). The list
 * is the one the user gave, in order, each --target and --targets line
 * in turn; stark merge interleaves the shards back by the same rule. */
static void shard_select(struct cli *c)
{
	size_t k = 0;
	for (size_t p = 0; p < c->ntargets; p++) {
		if (p % (size_t)c->shard_count == (size_t)c->shard_index)
			c->targets[k++] = c->targets[p];
		else
			free(c->targets[p]);
	}
	c->ntargets = k;
}

/* The live progress line: on stderr when it is a terminal and -q is not
 * given; coloured unless NO_COLOR is set (https://no-color.org) or
 * TERM=dumb. NULL: no line. */
static struct progress_line *line_start(const struct cli *c, struct progress *p, const char *what)
{
	if (c->quiet || !isatty(STDERR_FILENO))
		return NULL;
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	bool colour = !(nc && nc[0]) && !(term && strcmp(term, "dumb") == 0);
	return progress_line_start(p, what, stderr, colour);
}

#define HELP_SHOWN (-1) /* parse_run_opts printed --help: exit 0 */

static int parse_run_opts(int argc, char **argv, struct cli *c, bool need_target)
{
	const struct command *cmd = c->cmd;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:j:qh", run_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_TARGET:
			if (preflight_target_syntax(optarg))
				return cmd_usage_error(cmd, "--target wants HOST:PORT (port 1..65535), got '%s'",
				                   optarg);
			if (c->scan) {
				push(&c->targets, &c->ntargets, xstrdup(optarg));
				break;
			}
			if (c->host)
				return cmd_usage_error(cmd, "run takes one --target (several: stark scan)");
			split_hostport(optarg, &c->host, &c->port);
			break;
		case OPT_TARGETS: {
			if (!c->scan)
				return cmd_usage_error(cmd, "--targets belongs to stark scan");
			int r = read_targets(c, optarg);
			if (r != 0)
				return r;
			break;
		}
		case OPT_POLICY:
			if (policy_find(optarg) == NULL)
				return cmd_usage_error(cmd, "unknown --policy '%s' (rfc, mta-sts)", optarg);
			c->policy = optarg;
			break;
		case OPT_NOSUITE: c->no_suite = true; break;
		case OPT_DOMAIN:
		case OPT_DOMAINS: {
			if (!c->scan)
				return cmd_usage_error(cmd, "--domain and --domains belong to stark scan");
			int r = ch == OPT_DOMAIN ? add_domain(c, optarg, "--domain") : read_domains(c, optarg);
			if (r != 0)
				return r;
			break;
		}
		case OPT_RESOLVER: c->resolver = optarg; break;
		case OPT_TANCHOR: c->trust_anchor = optarg; break;
		case OPT_PORT:
		case OPT_STSPORT: {
			char *end;
			long p = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || p < 1 || p > 65535)
				return cmd_usage_error(cmd, "--%s wants 1..65535, got '%s'",
				                       ch == OPT_PORT ? "port" : "mta-sts-port", optarg);
			*(ch == OPT_PORT ? &c->mx_port : &c->sts_port) = optarg;
			break;
		}
		case OPT_BASELINE: c->baseline = optarg; break;
		case OPT_SHARD:
			if (shard_parse(optarg, &c->shard_index, &c->shard_count) != 0)
				return cmd_usage_error(cmd, "--shard wants I/N with 0 <= I < N <= 10000, got '%s'",
				                   optarg);
			break;
		case OPT_SCEN: push(&c->scn, &c->nscn, optarg); break;
		case 'k': push(&c->kw, &c->nkw, optarg); break;
		case OPT_SNI: c->servername = optarg; break;
		case OPT_CA: c->ca = optarg; break;
		case OPT_HELO: c->helo = optarg; break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &c->timeout_ms) != 0 || c->timeout_ms <= 0)
				return cmd_usage_error(cmd, "--timeout wants a duration like 5s or 500ms, got '%s'",
				                   optarg);
			break;
		case OPT_START:
			if (parse_duration(optarg, &c->start_ms) != 0 || c->start_ms <= 0)
				return cmd_usage_error(cmd,
				                   "--start-timeout wants a duration like 30s, got '%s'", optarg);
			break;
		case OPT_PROFILE:
			if (strcmp(optarg, "mx") != 0 && strcmp(optarg, "submission") != 0)
				return cmd_usage_error(cmd, "--profile is mx or submission, got '%s'", optarg);
			c->profile = optarg;
			break;
		case OPT_XFAIL: c->xfail = optarg; break;
		case OPT_OUT: c->out = optarg; break;
		case OPT_NOSYS: c->no_system_ca = true; break;
		case 'j':
			c->jobs = atoi(optarg);
			if (c->jobs < 1 || c->jobs > 64)
				return cmd_usage_error(cmd, "-j wants 1..64, got '%s'", optarg);
			break;
		case 'q': c->quiet = true; break;
		case OPT_TRIGGER: c->trigger = optarg; break;
		case OPT_LISTEN:
			if (split_hostport(optarg, &c->lhost, &c->lport) != 0)
				return cmd_usage_error(cmd, "--listen wants HOST:PORT, got '%s'", optarg);
			break;
		case OPT_CPROFILE:
			if (strcmp(optarg, "require-tls") != 0 && strcmp(optarg, "opportunistic") != 0)
				return cmd_usage_error(cmd,
				                   "--client-profile is require-tls or opportunistic, got '%s'",
				                   optarg);
			c->client_profile = optarg;
			break;
		case 'h':
		case OPT_HELP: cmd_help(cmd, stdout); return HELP_SHOWN;
		default: return cmd_usage_error(cmd, "bad option");
		}
	}
	if (optind < argc)
		return cmd_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (c->baseline) {
		char err[600];
		if (diff_check_baseline(c->baseline, err, sizeof err) != 0)
			return cmd_usage_error(cmd, "--baseline: %s", err);
	}
	if (c->shard_count && !c->scan)
		return cmd_usage_error(cmd, "--shard splits the target list of stark scan");
	if ((c->resolver || c->trust_anchor || c->mx_port || c->sts_port) && c->ndomains == 0)
		return cmd_usage_error(cmd, "--resolver, --trust-anchor, --port and --mta-sts-port belong "
		                            "to stark scan --domain");
	if (c->scan) {
		if (c->ntargets && c->ndomains)
			return cmd_usage_error(cmd, "scan takes nodes (--target, --targets) or mail domains "
			                            "(--domain, --domains), not both");
		if (c->ntargets == 0 && c->ndomains == 0)
			return cmd_usage_error(cmd, "scan needs --target HOST:PORT (repeatable), --targets FILE, "
			                            "--domain NAME (repeatable) or --domains FILE");
		if (c->ndomains && c->servername)
			return cmd_usage_error(cmd, "--servername is not a domain scan option: each MX is "
			                            "checked against its own host name");
		if (c->ndomains && c->shard_count)
			return cmd_usage_error(cmd, "--shard splits a --target list, not --domain");
		if (c->shard_count) {
			size_t all = c->ntargets;
			shard_select(c);
			if (c->ntargets == 0)
				return cmd_usage_error(cmd, "--shard %d/%d of %zu target(s) is empty: use at most "
				                        "%zu shards", c->shard_index, c->shard_count, all, all);
		}
		if (c->xfail || c->trigger || c->lhost || c->client_profile || c->start_ms)
			return cmd_usage_error(cmd, "--xfail, --trigger, --listen, --client-profile and --start-timeout are not "
			                        "scan options");
		return 0;
	}
	if (c->policy || c->no_suite)
		return cmd_usage_error(cmd, "--policy and --no-suite belong to stark scan");
	if (need_target && c->host == NULL)
		return cmd_usage_error(cmd, "run needs --target HOST:PORT");
	if (c->serve != (c->trigger != NULL))
		return cmd_usage_error(cmd, c->serve ? "serve needs --trigger CMD"
		                                 : "--trigger belongs to stark serve");
	if (!c->serve && (c->lhost || c->client_profile || c->start_ms))
		return cmd_usage_error(cmd,
		                   "--listen, --client-profile and --start-timeout belong to stark serve");
	if (c->serve && c->host)
		return cmd_usage_error(cmd, "serve takes no --target: the trigger's client connects to stark");
	if (c->serve && c->profile)
		return cmd_usage_error(cmd, "--profile is for servers; clients use --client-profile");
	return 0;
}

/* The TLS client config of a run: --ca, then the system store unless
 * --no-system-ca. NULL after printing why. */
static struct wtls_config *client_tls_config(const struct cli *c)
{
	struct wtls_config *cfg = wtls_config_new(WTLS_CLIENT);
	if (c->ca && wtls_config_add_ca_file(cfg, c->ca) != 0) {
		fprintf(stderr, "stark: --ca %s: %s\n", c->ca, wtls_config_error(cfg));
		wtls_config_free(cfg);
		return NULL;
	}
	if (!c->no_system_ca)
		wtls_config_use_system_ca(cfg);
	return cfg;
}

/* The scenarios named by --scenarios, else the suite of role. 0, or 2
 * after printing every diagnostic. */
static int load_scenarios(struct cli *c, const char *role, struct scenario ***scns,
                          size_t *nscns)
{
	char *defscn = NULL;
	if (c->nscn == 0 && getenv("STARK_SCENARIOS")) {
		defscn = xstrdup(getenv("STARK_SCENARIOS"));
	} else if (c->nscn == 0) {
		char rel[64], err[2048];
		snprintf(rel, sizeof rel, "scenarios/%s", role);
		defscn = datadir_find(rel, err, sizeof err);
		if (defscn == NULL) {
			fprintf(stderr, "stark: %s\nstark: name the %s suite with --scenarios PATH (or "
			        "STARK_SCENARIOS)\n", err, role);
			return 2;
		}
	}
	struct scn_diag diag = {0};
	int rc = runner_load(c->nscn ? c->scn : &defscn, c->nscn ? c->nscn : 1, scns, nscns, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	if (rc != 0)
		fprintf(stderr, "stark: %zu error(s) in scenarios; nothing was sent to the target\n",
		        diag.n);
	scenario_diag_free(&diag);
	free(defscn);
	return rc == 0 ? 0 : 2;
}

/* Print "stark: why" and return 2, the status of a run refused before work. */
static int refuse(const char *why)
{
	fprintf(stderr, "stark: %s\n", why);
	return 2;
}

/* No green run without work: after the role and -k something besides
 * sanity must be left. 0, or 2 after saying why. */
static int check_selection(const struct cli *c, enum scn_role role, struct scenario *const *s,
                           size_t n)
{
	struct runner_opts o = {.role = role, .keywords = c->kw, .nkeywords = c->nkw};
	char err[512];
	return runner_check_selection(s, n, &o, err, sizeof err) ? refuse(err) : 0;
}

/* --out: a directory stark can create and write in, so a finished run is
 * never lost to a bad path. 0, or 2 after saying why. */
static int check_out(const char *out)
{
	char err[600];
	return preflight_out(out, err, sizeof err) ? refuse(err) : 0;
}

/* Every target resolves, each once, within --timeout, so a typo costs no
 * run. 0, or 2 after saying why. */
static int check_targets(const struct cli *c)
{
	char err[512], why[600];
	char *one = c->host ? xasprintf(strchr(c->host, ':') ? "[%s]:%s" : "%s:%s", c->host, c->port)
	                    : NULL;
	int r = preflight_targets(c->scan ? c->targets : &one, c->scan ? c->ntargets : one != NULL,
	                          c->timeout_ms ? c->timeout_ms : STARK_DEFAULT_TIMEOUT_MS, &cmd_stop,
	                          err, sizeof err);
	free(one);
	snprintf(why, sizeof why, "--target: %s; nothing was sent", err);
	return r ? refuse(why) : 0;
}

/* A listener stark serves hostile replies on: say so when the network can
 * reach it. 0, or 2 when the address does not resolve. */
int cmd_check_listen(const char *host, const char *port, int64_t timeout_ms)
{
	char err[512];
	bool exposed = false;
	if (preflight_listen(host, port, timeout_ms, &cmd_stop, &exposed, err, sizeof err) != 0) {
		fprintf(stderr, "stark: --listen: %s\n", err);
		return 2;
	}
	if (exposed)
		fprintf(stderr, "stark: warning: --listen %s is not a loopback address: anyone on the "
		                "network can connect to it\n", host);
	return 0;
}

/* The exec options every role shares, from the command line. */
/* -j when none is given: scenarios wait on the network far more than they
 * compute (a suite against Postfix spends >90 % of its wall time waiting
 * for replies, 2 s alone in its smuggling checks), so 8 per core, at most
 * 16 (below Exim's default smtp_accept_max of 20 and Postfix's per-client
 * limit of 50); a throttled target is paced by the probes' 421 handling. */
static int default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	long j = n > 0 ? 8 * n : 8;
	return (int)(j > 16 ? 16 : j);
}

static struct exec_opts exec_opts_from(const struct cli *c, struct wtls_config *cfg)
{
	return (struct exec_opts){
	    .servername = c->servername,
	    .helo = c->helo ? c->helo : STARK_DEFAULT_HELO,
	    .timeout_ms = c->timeout_ms ? c->timeout_ms : STARK_DEFAULT_TIMEOUT_MS,
	    .start_ms = c->start_ms                           ? c->start_ms
	                : c->timeout_ms > STARK_DEFAULT_START_MS ? c->timeout_ms
	                                                         : STARK_DEFAULT_START_MS,
	    .profile = c->profile ? c->profile : "mx",
	    .tls = cfg,
	    .ca_file = c->ca,
	    .system_ca = !c->no_system_ca,
	    .stop = &cmd_stop,
	};
}

/* Reports, the terminal summary and the exit status of a finished run. */
static int finish_run(const struct cli *c, struct run *run, const char *out)
{
	char err[512];
	if (report_write_all(run, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: cannot write reports: %s\n", err);
		return 2;
	}
	if (!c->quiet)
		report_terminal(run, out, stdout);
	if (c->baseline == NULL)
		return run_exit_status(run);
	/* The gate: the change against the baseline decides, read back from
	 * the results.json just written, exactly as `stark diff` would. */
	char *now = xasprintf("%s/results.json", out);
	struct diff d;
	int rc = diff_files(c->baseline, now, &d, err, sizeof err);
	free(now);
	if (rc != 0) {
		fprintf(stderr, "stark: --baseline: %s\n", err);
		return 2;
	}
	if (diff_write(&d, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: cannot write the diff: %s\n", err);
		diff_free(&d);
		return 2;
	}
	diff_terminal(&d, c->quiet, stdout);
	rc = diff_exit_status(&d);
	diff_free(&d);
	return rc;
}

/* stark run / serve / demo: load scenarios, run them, write reports. */
static int do_run(struct cli *c, int argc, char **argv)
{
	char err[512];
	int rc = 2;
	struct scenario **scns = NULL;
	size_t nscns = 0;
	struct runner_opts ro = {0};
	struct run run;
	run_init(&run);
	const char *role = c->serve ? "client" : "server";
	struct cert_set *certs = NULL;
	struct wtls_config *cfg = NULL;
	char *out = c->out ? xstrdup(c->out) : report_default_dir(role);
	char *ca_path = NULL;
	if (load_scenarios(c, role, &scns, &nscns) != 0 ||
	    check_selection(c, c->serve ? SCN_TARGET_CLIENT : SCN_TARGET_SERVER, scns, nscns) != 0)
		goto out;
	if (c->xfail &&
	    runner_load_xfail(c->xfail, &ro.xfail, &ro.nxfail, err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s\n", err);
		goto out;
	}
	/* the report directory last: a run refused for anything else leaves none */
	if (check_targets(c) != 0 ||
	    (c->serve && c->lhost &&
	     cmd_check_listen(c->lhost, c->lport,
	                  c->timeout_ms ? c->timeout_ms : STARK_DEFAULT_TIMEOUT_MS) != 0) ||
	    check_out(out) != 0)
		goto out;
	if ((cfg = client_tls_config(c)) == NULL)
		goto out;
	if (c->serve) {
		/* The CA of stark's certificates, for STARK_CA and for users. */
		certs = cert_set_new(c->servername ? c->servername : "localhost");
		char *abs = realpath(".", NULL);
		ca_path = out[0] == '/' ? xasprintf("%s/stark-ca.pem", out)
		                        : xasprintf("%s/%s/stark-ca.pem", abs ? abs : ".", out);
		free(abs);
		err[0] = '\0';
		if (certs == NULL || mkdir_all(out, err, sizeof err) != 0 ||
		    write_text_file(ca_path, cert_set_ca_pem(certs), err, sizeof err) != 0) {
			fprintf(stderr, "stark: cannot prepare %s: %s\n", ca_path,
			        certs ? (err[0] ? err : strerror(errno)) : "certificate generation failed");
			goto out;
		}
	}
	ro.role = c->serve ? SCN_TARGET_CLIENT : SCN_TARGET_SERVER;
	ro.ex = exec_opts_from(c, cfg);
	ro.ex.host = c->host;
	ro.ex.port = c->port;
	if (c->serve) {
		ro.ex.servername = c->servername ? c->servername : "localhost";
		ro.ex.profile = c->client_profile ? c->client_profile : "require-tls";
		ro.ex.trigger = c->trigger;
		ro.ex.listen_host = c->lhost ? c->lhost : "127.0.0.1";
		ro.ex.listen_port = c->lport ? c->lport : "0";
		ro.ex.ca_path = ca_path;
		ro.ex.certs = certs;
	}
	ro.jobs = c->jobs ? c->jobs : default_jobs();
	if (c->serve && strcmp(ro.ex.listen_port, "0") != 0 && ro.jobs > 1) {
		/* one fixed port serves one scenario at a time */
		ro.jobs = 1;
	}
	ro.keywords = c->kw;
	ro.nkeywords = c->nkw;

	char *target = c->serve ? xstrdup(c->trigger)
	                        : xasprintf(strchr(c->host, ':') ? "[%s]:%s" : "%s:%s", c->host,
	                                    c->port);
	run_describe(&run, role, target, ro.ex.profile, argc, argv);
	free(target);
	run.servername = c->servername ? xstrdup(c->servername) : NULL;
	run.suite = runner_suite_digest(scns, nscns, &ro, NULL);
	struct progress prog = {0};
	ro.progress = &prog;
	struct progress_line *line = line_start(c, &prog, role);
	runner_run(scns, nscns, &ro, &run);
	progress_line_stop(line);

	for (size_t i = 0; i < ro.nxfail; i++) {
		bool used = false;
		for (size_t k = 0; k < nscns && !used; k++)
			used = strcmp(scns[k]->id, ro.xfail[i].id) == 0;
		if (!used)
			fprintf(stderr, "stark: warning: xfail entry '%s' names no loaded scenario\n",
			        ro.xfail[i].id);
	}
	rc = finish_run(c, &run, out);
out:
	wtls_config_free(cfg);
	free(out);
	free(ca_path);
	cert_set_free(certs);
	runner_free_xfail(ro.xfail, ro.nxfail);
	runner_free_scenarios(scns, nscns);
	run_free(&run);
	return rc;
}

int cmd_run(const struct command *cmd, int argc, char **argv)
{
	struct cli c = {.cmd = cmd};
	int r = parse_run_opts(argc, argv, &c, true);
	if (r == 0)
		r = do_run(&c, argc, argv);
	cli_free(&c);
	return r == HELP_SHOWN ? 0 : r;
}

int cmd_serve(const struct command *cmd, int argc, char **argv)
{
	struct cli c = {.cmd = cmd, .serve = true};
	int r = parse_run_opts(argc, argv, &c, false);
	if (r == 0)
		r = do_run(&c, argc, argv);
	cli_free(&c);
	return r == HELP_SHOWN ? 0 : r;
}

/* stark scan --domain: the MX set of every domain through a validating
 * resolver, then scan, DANE and the domain view (domain_run), the reports. */
static int scan_domains(const struct cli *c, struct dns *dns, const struct scan_cfg *sc,
                        struct run *run, const char *out, int argc, char **argv)
{
	struct domain_cfg dc = {.domains = c->domains, .ndomains = c->ndomains, .dns = dns,
	                        .port = c->mx_port ? c->mx_port : "25",
	                        .sts_port = (uint16_t)(c->sts_port ? atoi(c->sts_port) : 0),
	                        .scan = *sc};
	struct domain_set ds = {0};
	struct buf tg = {0};
	for (size_t i = 0; i < c->ndomains; i++)
		buf_appendf(&tg, "%s%s", i ? " " : "", c->domains[i]);
	run_describe(run, "scan", buf_cstr(&tg), sc->ex.profile, argc, argv);
	buf_free(&tg);
	domain_run(&dc, &ds, run);
	if (!c->quiet)
		printf("stark: %u DNS lookups (DNSSEC validated by stark, libunbound)\n", ds.lookups);
	int r = finish_run(c, run, out);
	/* the run borrows the fleet: reports first, then free it */
	run->scan = NULL;
	domain_free(&ds);
	return r;
}

/* stark scan: facts, findings, the suite per node and the fleet view
 * (scan_run), then the reports. */
int cmd_scan(const struct command *cmd, int argc, char **argv)
{
	struct cli c = {.cmd = cmd, .scan = true};
	int r = parse_run_opts(argc, argv, &c, false);
	if (r != 0) {
		cli_free(&c);
		return r == HELP_SHOWN ? 0 : r;
	}
	struct scenario **scns = NULL;
	size_t nscns = 0;
	struct wtls_config *cfg = NULL;
	struct fleet fl = {0};
	struct dns *dns = NULL;
	struct run run;
	run_init(&run);
	r = 2;
	char *out = c.out ? xstrdup(c.out) : report_default_dir("scan");
	if (!c.no_suite && (load_scenarios(&c, "server", &scns, &nscns) != 0 ||
	                    check_selection(&c, SCN_TARGET_SERVER, scns, nscns) != 0))
		goto out;
	/* --resolver and --trust-anchor before the report directory: a refused
	 * run leaves none */
	if (c.ndomains) {
		char err[512];
		struct dns_opts dno = {.resolver = c.resolver, .trust_anchor = c.trust_anchor,
		                       .timeout_ms = c.timeout_ms ? c.timeout_ms : STARK_DEFAULT_TIMEOUT_MS,
		                       .stop = &cmd_stop};
		if ((dns = dns_new(&dno, err, sizeof err)) == NULL) {
			refuse(err);
			goto out;
		}
	}
	if ((c.ntargets && check_targets(&c) != 0) || check_out(out) != 0 ||
	    (cfg = client_tls_config(&c)) == NULL)
		goto out;
	struct scan_cfg sc = {
	    .targets = c.targets,
	    .ntargets = c.ntargets,
	    .policy = c.policy ? policy_find(c.policy) : policy_default(),
	    .ex = exec_opts_from(&c, cfg),
	    .scns = scns,
	    .nscns = nscns,
	    .keywords = c.kw,
	    .nkeywords = c.nkw,
	    .jobs = c.jobs ? c.jobs : default_jobs(),
	    .no_fleet_view = c.shard_count > 0,
	};
	struct progress prog = {0};
	sc.progress = &prog;
	if (c.ndomains) {
		struct runner_opts dsel = {.role = SCN_TARGET_SERVER, .keywords = c.kw,
		                           .nkeywords = c.nkw};
		run.suite = runner_suite_digest(scns, nscns, &dsel, sc.policy->name);
		r = scan_domains(&c, dns, &sc, &run, out, argc, argv);
		goto out;
	}
	struct buf tg = {0};
	for (size_t i = 0; i < c.ntargets; i++)
		buf_appendf(&tg, "%s%s", i ? " " : "", c.targets[i]);
	run_describe(&run, "scan", buf_cstr(&tg), sc.ex.profile, argc, argv);
	buf_free(&tg);
	run.servername = c.servername ? xstrdup(c.servername) : NULL;
	struct runner_opts sel = {.role = SCN_TARGET_SERVER, .keywords = c.kw, .nkeywords = c.nkw};
	run.suite = runner_suite_digest(scns, nscns, &sel, sc.policy->name);
	run.shard_index = c.shard_index;
	run.shard_count = c.shard_count;
	struct progress_line *line = line_start(&c, &prog, "scan");
	scan_run(&sc, &fl, &run);
	progress_line_stop(line);
	r = finish_run(&c, &run, out);
out:
	dns_free(dns);
	free(out);
	run_free(&run);
	fleet_free(&fl);
	runner_free_scenarios(scns, nscns);
	wtls_config_free(cfg);
	cli_free(&c);
	return r;
}

/* stark demo: the reference target on a free loopback port, the default
 * suite against it, reports in --out. */
int cmd_demo(const struct command *cmd, int argc, char **argv)
{
	struct cli c = {.cmd = cmd};
	int r = parse_run_opts(argc, argv, &c, false);
	if (r != 0) {
		cli_free(&c);
		return r == HELP_SHOWN ? 0 : r;
	}
	if (c.host) {
		cli_free(&c);
		return cmd_usage_error(cmd, "demo runs against its own reference target; use run --target");
	}
	struct refsrv_opts o = {0};
	char err[512];
	struct refsrv *srv = refsrv_start(&o, "127.0.0.1", "0", err, sizeof err);
	if (srv == NULL) {
		fprintf(stderr, "stark: cannot start the reference target: %s\n", err);
		cli_free(&c);
		return 2;
	}
	char *out = c.out ? xstrdup(c.out) : report_default_dir("demo");
	char *ca = xasprintf("%s/reference-ca.pem", out);
	err[0] = '\0';
	if (mkdir_all(out, err, sizeof err) != 0 || write_text_file(ca, refsrv_ca_pem(srv), err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s: %s\n", out, err[0] ? err : strerror(errno));
		r = 2;
		goto out;
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
out:
	refsrv_stop(srv);
	free(ca);
	free(out);
	cli_free(&c);
	return r;
}

/*
 * main: the stark command line's table and dispatch. One commands[] table
 * gives each command its name, handler, one-line summary and --help text;
 * the commands that play scenarios (run, serve, demo, scan) are cmd.c's,
 * the ones that play nothing (lint, dump, catalog, refserver, certs, diff,
 * merge, help, version) live here. Outside starkcore with cmd.c.
 */
/*
 * main: the stark command line, and nothing else. One commands[] table
 * gives each command its name, handler, one-line summary and --help text;
 * handlers parse options, build the run's inputs (TLS client config,
 * scenarios, exec options) once, refuse before any connection what would
 * waste a run (nothing selected, bad port, unresolvable target, bad --out),
 * call the core (runner, scan, refsrv, cert), write the reports and map the
 * run to an exit status (run_exit_status; 2 for bad usage). The only file
 * outside starkcore.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "cert.h"
#include "cmd.h"
#include "datadir.h"
#include "diff.h"
#include "merge.h"
#include "report.h"
#include "results_read.h"
#include "hello.h"
#include "refsrv.h"
#include "runner.h"
#include "scenario.h"
#include "util.h"
#include "wtls.h"

/* ---- options shared by run, demo, scan and serve ---- */

#define OPTS_COMMON                                                                          \
	"  -k KEYWORD             only scenarios with this keyword or id substring (repeatable;\n" \
	"                         sanity always runs)\n"                                          \
	"  --scenarios PATH       scenario file or directory, repeatable\n"                       \
	"  --servername NAME      SNI and the name certificates are checked against\n"            \
	"  --timeout DURATION     deadline of every connect, reply and handshake (default 5s)\n"  \
	"  --out DIR              report directory (default reports/<role>-<time>-<pid>)\n"       \
	"  -j N                   scenarios (and scan nodes) in parallel (default 8 a core, <= 16)\n"\
	"  -q                     no terminal summary and no progress line\n"                 \
	"  --baseline OLD.json    judge the change: exit 1 only on a regression (stark diff),\n" \
	"                         diff.json and diff.md beside the reports\n"
#define OPTS_TRUST                                                                           \
	"  --ca FILE              trust anchors (PEM) for the verification facts\n"               \
	"  --no-system-ca         do not also trust the system store\n"                           \
	"  --helo NAME            EHLO/HELO argument (default " STARK_DEFAULT_HELO ")\n"
#define OPTS_SERVER                                                                          \
	"  --profile mx|submission  which RFC 3207 profile the target claims (default mx)\n"
#define OPTS_XFAIL                                                                           \
	"  --xfail FILE           expected failures of this target: 'ID reason' per line\n"
#define EXIT_HELP                                                                            \
	"\nexit status: 0 no FAIL/XPASS/ERROR, 1 any FAIL or XPASS, 2 ERROR, interruption,\n"    \
	"bad usage, nothing to run, or nothing shown (nothing PASSed, e.g. all INCONCLUSIVE;\n" \
	"or sanity never PASSed)\n"

/* stark lint / dump: scenario files only, nothing on the wire. */
static int lint_or_dump(const struct command *cmd, int argc, char **argv, bool dump)
{
	if (argc < 2)
		return cmd_usage_error(cmd, "%s needs at least one scenario file", cmd->name);
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
	scenario_diag_free(&d);
	return rc == 0 ? 0 : 1;
}

static int cmd_lint(const struct command *cmd, int argc, char **argv)
{
	return lint_or_dump(cmd, argc, argv, false);
}

static int cmd_dump(const struct command *cmd, int argc, char **argv)
{
	return lint_or_dump(cmd, argc, argv, true);
}

enum { OPT_LISTEN = 256, OPT_FLAW, OPT_SUBM, OPT_NOTLS, OPT_CERT, OPT_TLSV, OPT_CIPHERS, OPT_SNI,
       OPT_CAOUT, OPT_HELP };

static const struct option ref_longopts[] = {
	{"listen", required_argument, 0, OPT_LISTEN}, {"flaw", required_argument, 0, OPT_FLAW},
	{"submission", no_argument, 0, OPT_SUBM},     {"no-tls", no_argument, 0, OPT_NOTLS},
	{"cert", required_argument, 0, OPT_CERT},     {"tls-version", required_argument, 0, OPT_TLSV},
	{"ciphers", required_argument, 0, OPT_CIPHERS}, {"servername", required_argument, 0, OPT_SNI},
	{"ca-out", required_argument, 0, OPT_CAOUT},  {"help", no_argument, 0, OPT_HELP},
	{0, 0, 0, 0},
};

static void refserver_flaws_help(FILE *f)
{
	fputs("flaws (comma separated, or 'all'):\n", f);
	for (unsigned b = 1; b & FLAW__ALL; b <<= 1)
		fprintf(f, "  %-18s %s\n", refsrv_flaw_name(b), refsrv_flaw_help(b));
}

static int cmd_refserver(const struct command *cmd, int argc, char **argv)
{
	struct refsrv_opts o = {0};
	char *host = NULL, *port = NULL;
	const char *caout = NULL;
	char err[512];
	int ch, rc = 2;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", ref_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN:
			free(host);
			free(port);
			if (split_hostport(optarg, &host, &port) != 0) {
				rc = cmd_usage_error(cmd, "--listen wants HOST:PORT, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_FLAW:
			if (refsrv_flaw_parse(optarg, &o.flaws, err, sizeof err) != 0) {
				rc = cmd_usage_error(cmd, "%s", err);
				goto out;
			}
			break;
		case OPT_SUBM: o.submission = true; break;
		case OPT_NOTLS: o.no_tls = true; break;
		case OPT_CERT: o.cert = optarg; break;
		case OPT_TLSV:
			if (hello_parse_version_range(optarg, &o.tls_vmin, &o.tls_vmax) != 0) {
				rc = cmd_usage_error(cmd, "--tls-version wants 1.2 or 1.0-1.3, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_CIPHERS: o.ciphers = optarg; break;
		case OPT_SNI: o.servername = optarg; break;
		case OPT_CAOUT: caout = optarg; break;
		case 'h':
		case OPT_HELP: cmd_help(cmd, stdout); rc = 0; goto out;
		default: rc = cmd_usage_error(cmd, "bad option"); goto out;
		}
	}
	if (optind < argc) {
		rc = cmd_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	const char *lh = host ? host : "127.0.0.1";
	if (cmd_check_listen(lh, port ? port : "0", STARK_DEFAULT_TIMEOUT_MS) != 0)
		goto out;
	struct refsrv *srv = refsrv_start(&o, lh, port ? port : "0", err, sizeof err);
	if (srv == NULL) {
		fprintf(stderr, "stark: refserver: %s\n", err);
		goto out;
	}
	if (caout && refsrv_ca_pem(srv) && write_text_file(caout, refsrv_ca_pem(srv), err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s\n", err);
		refsrv_stop(srv);
		goto out;
	}
	printf(strchr(lh, ':') ? "listening on [%s]:%d\n" : "listening on %s:%d\n", lh,
	       refsrv_port(srv));
	fflush(stdout);
	while (!cmd_stop)
		pause();
	refsrv_stop(srv);
	rc = 0;
out:
	free(host);
	free(port);
	return rc;
}

static int cmd_certs(const struct command *cmd, int argc, char **argv)
{
	const char *out = NULL, *sn = "localhost";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--servername") == 0 && i + 1 < argc)
			sn = argv[++i];
		else
			return cmd_usage_error(cmd, "certs: unexpected argument '%s'", argv[i]);
	}
	if (out == NULL)
		return cmd_usage_error(cmd, "certs needs --out DIR");
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

static int help_cmd(const struct command *cmd, int argc, char **argv);
/* stark catalog: every id from the scenarios, the policy table and the
 * pending file (docs/catalog.md is its Markdown; a ctest keeps them equal). */
static int cmd_catalog(const struct command *cmd, int argc, char **argv)
{
	bool json = false;
	char **paths = NULL;
	size_t npaths = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			json = strcmp(argv[++i], "json") == 0;
			if (!json && strcmp(argv[i], "md") != 0) {
				free(paths);
				return cmd_usage_error(cmd, "--format is md or json, got '%s'", argv[i]);
			}
		} else if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc) {
			paths = xrealloc(paths, (npaths + 1) * sizeof *paths);
			paths[npaths++] = argv[++i];
		} else {
			free(paths);
			return cmd_usage_error(cmd, "unexpected argument '%s'", argv[i]);
		}
	}
	char err[2048];
	char *pending = datadir_find("catalog-pending.tsv", err, sizeof err);
	char *def = npaths ? NULL : datadir_find("scenarios", err, sizeof err);
	if (pending == NULL || (npaths == 0 && def == NULL)) {
		fprintf(stderr, "stark: catalog: %s\n", err);
		free(paths);
		free(pending);
		free(def);
		return 2;
	}
	if (npaths == 0)
		paths = xrealloc(paths, sizeof *paths), paths[npaths++] = def;
	struct catalog c;
	struct scn_diag d = {0};
	int rc = catalog_build(&c, paths, npaths, pending, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (rc == 0) {
		char *text = json ? catalog_json(&c) : catalog_markdown(&c);
		fputs(text, stdout);
		free(text);
	}
	catalog_free(&c);
	scenario_diag_free(&d);
	free(paths);
	free(def);
	free(pending);
	return rc == 0 ? 0 : 1;
}

/* The options diff and merge share: --out DIR and -q; 0, or -1 on a bad
 * option. Leaves optind at the first operand. */
static int out_quiet_options(int argc, char **argv, const char **out, bool *quiet)
{
	static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		if (ch == 'o')
			*out = optarg;
		else if (ch == 'q')
			*quiet = true;
		else
			return -1;
	}
	return 0;
}

/* stark diff OLD.json NEW.json [--out DIR] [-q]: the CI gate on two
 * finished runs (diff.c; the rules in docs/ci.md). */
static int cmd_diff(const struct command *cmd, int argc, char **argv)
{
	const char *out = NULL;
	bool quiet = false;
	if (out_quiet_options(argc, argv, &out, &quiet) != 0)
		return cmd_usage_error(cmd, "bad option");
	if (argc - optind != 2)
		return cmd_usage_error(cmd, "diff needs OLD.json and NEW.json");
	char err[600];
	struct diff d;
	if (diff_files(argv[optind], argv[optind + 1], &d, err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s\n", err);
		return 2;
	}
	int rc = diff_exit_status(&d);
	if (out && diff_write(&d, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: %s\n", err);
		rc = 2;
	}
	diff_terminal(&d, quiet, stdout);
	diff_free(&d);
	return rc;
}

/* stark merge A.json B.json ... --out DIR [-q]: the parts of a scan
 * (--shard I/N, or disjoint target lists) as one run (merge.c), every
 * report format, the exit status of that one run. */
static int cmd_merge(const struct command *cmd, int argc, char **argv)
{
	const char *out = NULL;
	bool quiet = false;
	if (out_quiet_options(argc, argv, &out, &quiet) != 0)
		return cmd_usage_error(cmd, "bad option");
	size_t n = (size_t)(argc - optind);
	if (n == 0)
		return cmd_usage_error(cmd, "merge needs the results.json of every part");
	if (out == NULL)
		return cmd_usage_error(cmd, "merge needs --out DIR");
	char err[600];
	struct run *parts = xcalloc(n, sizeof *parts);
	struct fleet *pfl = xcalloc(n, sizeof *pfl);
	struct run run;
	struct fleet fl = {0};
	run_init(&run);
	int rc = 2;
	for (size_t i = 0; i < n; i++) {
		run_init(&parts[i]);
		if (results_read(argv[optind + (int)i], true, &parts[i], &pfl[i], err, sizeof err) != 0) {
			fprintf(stderr, "stark: %s\n", err);
			goto out;
		}
	}
	if (merge_runs(parts, pfl, (const char *const *)argv + optind, n, &run, &fl, err,
	               sizeof err) != 0) {
		fprintf(stderr, "stark: merge: %s\n", err);
		goto out;
	}
	run.argc = (size_t)argc + 1;
	run.argv = xcalloc(run.argc + 1, sizeof *run.argv);
	run.argv[0] = xstrdup("stark");
	for (int i = 0; i < argc; i++)
		run.argv[i + 1] = xstrdup(argv[i]);
	if (report_write_all(&run, out, err, sizeof err) != 0) {
		fprintf(stderr, "stark: cannot write reports: %s\n", err);
		goto out;
	}
	if (!quiet)
		report_terminal(&run, out, stdout);
	rc = run_exit_status(&run);
out:
	for (size_t i = 0; i < n; i++) {
		run_free(&parts[i]);
		fleet_free(&pfl[i]);
	}
	free(parts);
	free(pfl);
	run_free(&run);
	fleet_free(&fl);
	return rc;
}

static int cmd_version(const struct command *cmd, int argc, char **argv)
{
	char err[2048];
	char *scn = datadir_find("scenarios", err, sizeof err);
	printf("stark %s\nTLS: %s\nscenarios: %s\n", STARK_VERSION, wtls_build_info(),
	       scn ? scn : "none found (pass --scenarios PATH)");
	free(scn);
	return 0;
}

static const struct command commands[] = {
    {"run", cmd_run, "--target HOST:PORT [options]", "play the server suite against an SMTP server",
     "  --target HOST:PORT     the server to test ([::1]:25 for IPv6)\n" OPTS_COMMON OPTS_TRUST
         OPTS_SERVER OPTS_XFAIL "\ndefault scenarios: the server suite, scenarios/server in stark's data\n"
         "directory (stark version shows where it is)\n"
         EXIT_HELP,
     NULL},
    {"demo", cmd_demo, "[options]", "the server suite against the embedded reference target",
     OPTS_COMMON OPTS_TRUST OPTS_SERVER OPTS_XFAIL EXIT_HELP, NULL},
    {"scan", cmd_scan, "--target HOST:PORT... | --domain NAME... [options]",
     "TLS facts judged by a policy, the suite per node, a fleet view; or every MX of a mail "
     "domain with DANE, MTA-STS and TLS-RPT",
     "  --target HOST:PORT     a node; repeat for a fleet\n"
     "  --targets FILE         nodes, one HOST:PORT per line ('#' comments)\n"
     "  --domain NAME          a mail domain: every address of every MX host (MX, A, AAAA),\n"
     "                         each scanned and checked against its MX host name, DANE\n"
     "                         (TLSA, DNSSEC validated by stark), MTA-STS, TLS-RPT and the\n"
     "                         domain view (repeatable)\n"
     "  --domains FILE         mail domains, one per line ('#' comments)\n"
     "  --resolver ADDR[:PORT] DNS server to send queries to (default: /etc/resolv.conf);\n"
     "                         its AD bit is never trusted\n"
     "  --trust-anchor FILE    DNSSEC trust anchor, DS or DNSKEY in zone-file form (default\n"
     "                         /usr/share/dns/root.key, Debian's dns-root-data)\n"
     "  --port PORT            connect to every MX on PORT instead of 25 (test set-ups; TLSA\n"
     "                         is still looked up at _25._tcp.<mx>)\n"
     "  --mta-sts-port PORT    fetch the MTA-STS policy from mta-sts.<domain> on PORT\n"
     "                         instead of 443 (test set-ups)\n"
     "  --policy rfc|mta-sts   rule set for the findings (default rfc)\n"
     "  --no-suite             only TLS facts, no state-machine scenarios\n"
     "  --shard I/N            only the targets at list positions p with p mod N = I\n"
     "                         (0 <= I < N); stark merge joins the shards\n" OPTS_COMMON
         OPTS_TRUST OPTS_SERVER EXIT_HELP,
     NULL},
    {"serve", cmd_serve, "--trigger CMD [options]",
     "play the client suite against the SMTP client that CMD starts",
     "  --trigger CMD          shell command that makes the client connect; it gets STARK_HOST,\n"
     "                         STARK_PORT, STARK_CA, STARK_SERVERNAME, STARK_SCENARIO; the client\n"
     "                         has the longer of --timeout and 10s to connect\n"
     "  --start-timeout DURATION  how long the trigger may take to make the client\n"
     "                         connect, and to exit after stark closed (default: the\n"
     "                         longer of --timeout and 10s; an MTA's queue may need more)\n"
     "  --listen HOST:PORT     where stark listens (default 127.0.0.1:0, a free port per\n"
     "                         scenario)\n"
     "  --client-profile require-tls|opportunistic  what the client claims (default\n"
     "                         require-tls)\n" OPTS_COMMON OPTS_TRUST OPTS_XFAIL
     "\ndefault scenarios: the client suite, scenarios/client in stark's data\n"
     "directory (stark version shows where it is)\n" EXIT_HELP,
     NULL},
    {"lint", cmd_lint, "FILE|DIR...", "check scenario files (file:line:col: message)",
     "exit status: 0 every file is valid, 1 any error, 2 bad usage\n", NULL},
    {"dump", cmd_dump, "FILE|DIR...", "print scenarios in canonical form",
     "exit status: 0 every file is valid, 1 any error, 2 bad usage\n", NULL},
    {"refserver", cmd_refserver, "[options]",
     "serve the reference target, with planted flaws if asked",
     "  --listen HOST:PORT     where to listen (default 127.0.0.1:0, a free port); prints\n"
     "                         'listening on HOST:PORT' once ready\n"
     "  --flaw LIST            plant flaws (below)\n"
     "  --submission           behave as a submission server (AUTH after TLS, TLS required)\n"
     "  --no-tls               do not offer STARTTLS\n"
     "  --cert VARIANT         certificate variant (see stark certs)\n"
     "  --tls-version V|V-V    TLS versions, e.g. 1.2 or 1.2-1.3\n"
     "  --ciphers LIST         cipher suites (wolfSSL names, ':' separated)\n"
     "  --servername NAME      the name in its certificate (default localhost)\n"
     "  --ca-out FILE          write the CA certificate of its chain there\n",
     refserver_flaws_help},
    {"certs", cmd_certs, "--out DIR [--servername NAME]",
     "write stark's CA and certificate variants",
     "  --out DIR              where to write ca.pem and the variants\n"
     "  --servername NAME      the name the good variants are issued for (default localhost)\n",
     NULL},
    {"catalog", cmd_catalog, "[--format md|json] [--scenarios PATH]...",
     "every catalog id: title, severity, references, where it is checked",
     "  --format md|json       output format (default md; docs/catalog.md is this output)\n"
     "  --scenarios PATH       scenario file or directory, repeatable (default: scenarios\n"
     "                         in stark's data directory)\n",
     NULL},
    {"diff", cmd_diff, "OLD.json NEW.json [--out DIR] [-q]",
     "the CI gate: what got worse, what was fixed between two runs",
     "  --out DIR              also write diff.json and diff.md there\n"
     "  -q                     no summary\n"
     "\nregression: a FAIL, ERROR or XPASS where the baseline had none (or a FAIL/XPASS\n"
     "where it had an ERROR), a new id that fails, or an id the baseline PASSed that is\n"
     "missing from a run of the same suite and target (docs/ci.md)\n"
     "\nexit status: 1 any regression, 2 bad input or a run that cannot gate (other role,\n"
     "interrupted, nothing shown), else 0\n",
     NULL},
    {"merge", cmd_merge, "PART.json... --out DIR [-q]",
     "the parts of a scan (--shard I/N) as one run, with every report",
     "  --out DIR              where the merged reports go (results.json, junit.xml, ...)\n"
     "  -q                     no terminal summary\n"
     "\nshards are put back in the order of the whole target list (docs/scale-out.md);\n"
     "the fleet view is computed over all nodes. Every shard 0..N-1 must be given once.\n"
     "\nexit status: as the merged scan's (stark scan --help); 2 also when the parts are\n"
     "not of one scan\n",
     NULL},
    {"help", help_cmd, "[COMMAND]", "this list, or one command's options", "", NULL},
    {"version", cmd_version, "", "print stark's version, TLS library and scenario directory", "", NULL},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}


static void overview(FILE *f)
{
	fputs("stark " STARK_VERSION " - SMTP STARTTLS conformance and fuzz harness\n\nusage:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", commands[i].name, commands[i].synopsis);
		if (strlen(head) > 30)
			fprintf(f, "  stark %s\n  %-36s %s\n", head, "", commands[i].summary);
		else
			fprintf(f, "  stark %-30s %s\n", head, commands[i].summary);
	}
	fputs("\n'stark COMMAND --help' (or 'stark help COMMAND') lists a command's options.\n", f);
}

static int help_cmd(const struct command *cmd, int argc, char **argv)
{
	if (argc < 2) {
		overview(stdout);
		return 0;
	}
	const struct command *c = find_command(argv[1]);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		c = cmd;
	if (c == NULL)
		return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
	cmd_help(c, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		overview(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	else if (strcmp(name, "--version") == 0)
		name = "version";
	const struct command *cmd = find_command(name);
	if (cmd == NULL)
		return cmd_usage_error(NULL, "unknown command '%s'", name);
	/* Every command answers --help alike, whatever else it parses. */
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) &&
	    cmd->fn != help_cmd) {
		cmd_help(cmd, stdout);
		return 0;
	}
	cmd_signals();
	wtls_global_init();
	return cmd->fn(cmd, argc - 1, argv + 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * scan: scan_run, the order of a scan: facts of every node (in parallel on
 * the pool, each node probing one connection at a time as servers prefer),
 * findings under the policy, the suites of the nodes (each right after its
 * node's probe, nodes overlapping on the pool, each node at most -j
 * scenarios at once), the fleet view. Invariants:
 * results appear in node order, whatever finished first; a node whose
 * probe never started (SIGINT/SIGTERM first) gets no findings at all, and
 * an interrupted scan has no fleet view.
 */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "runner.h"
#include "util.h"

struct probe_ctx {
	struct fleet *fl;
	const struct fleet_opts *o;
	bool *started; /* per node: its probe ran (pool_run skips the rest after a stop) */
	char *const *servernames; /* per node, or NULL */
	struct progress *progress;
};

static void probe_node(void *ctx, size_t i)
{
	struct probe_ctx *pc = ctx;
	pc->started[i] = true;
	struct fleet_opts o = *pc->o;
	if (pc->servernames && pc->servernames[i])
		o.servername = pc->servernames[i];
	progress_begin(pc->progress);
	fleet_node_probe(&pc->fl->nodes[i], &o);
	progress_end(pc->progress, pc->fl->nodes[i].probe_rc != 0);
}

static bool stopped(const struct scan_cfg *cfg)
{
	return cfg->ex.stop && *cfg->ex.stop;
}

static const char *servername_of(const struct scan_cfg *cfg, size_t i)
{
	return cfg->servernames && cfg->servernames[i] ? cfg->servernames[i] : cfg->ex.servername;
}

struct suite_ctx {
	const struct scan_cfg *cfg;
	struct fleet *fl;
	struct run *sub; /* per node: its suite's results */
	bool *ran;       /* per node: sub[i] holds a run */
	struct probe_ctx *pc;
	struct wtls_config *legacy; /* for the nodes that refuse the default offer, or NULL */
};

static void suite_node(struct suite_ctx *sc, size_t i)
{
	const struct scan_cfg *cfg = sc->cfg;
	const struct fleet_node *n = &sc->fl->nodes[i];
	if (n->host == NULL || stopped(cfg))
		return;
	struct runner_opts ro = {
	    .ex = cfg->ex,
	    .role = SCN_TARGET_SERVER,
	    .jobs = cfg->jobs,
	    .keywords = cfg->keywords,
	    .nkeywords = cfg->nkeywords,
	    .progress = cfg->progress,
	    .progress_planned = true,
	};
	ro.ex.host = n->host;
	ro.ex.servername = servername_of(cfg, i);
	ro.ex.port = n->port;
	if (n->tls_legacy)
		ro.ex.tls = sc->legacy;
	run_init(&sc->sub[i]);
	runner_run(cfg->scns, cfg->nscns, &ro, &sc->sub[i]);
	sc->ran[i] = true;
}

/* Each node: its probe, then at once its suite (no barrier between the
 * nodes' probes and suites: a fast node's suite overlaps a slow node's
 * probe). Findings and results join the run in node order afterwards. */
static void node_task(void *ctx, size_t i)
{
	struct suite_ctx *sc = ctx;
	probe_node(sc->pc, i);
	if (sc->cfg->nscns)
		suite_node(sc, i);
}

void scan_run(const struct scan_cfg *cfg, struct fleet *fl, struct run *run)
{
	int64_t t0 = mono_ms();
	fl->policy = xstrdup(cfg->policy->name);
	fl->nnodes = cfg->ntargets;
	fl->nodes = xcalloc(fl->nnodes, sizeof *fl->nodes);
	for (size_t i = 0; i < fl->nnodes; i++) {
		fl->nodes[i].target = xstrdup(cfg->targets[i]);
		if (cfg->groups && cfg->groups[i])
			fl->nodes[i].group = xstrdup(cfg->groups[i]);
		if (cfg->connect && cfg->connect[i] &&
		    split_hostport(cfg->connect[i], &fl->nodes[i].host, &fl->nodes[i].port) != 0)
			fl->nodes[i].host = fl->nodes[i].port = NULL; /* fleet_node_probe says why */
	}
	run->scan = fl;

	struct fleet_opts fo = {
	    .servername = cfg->ex.servername,
	    .helo = cfg->ex.helo,
	    .timeout_ms = cfg->ex.timeout_ms,
	    .tls = cfg->ex.tls,
	    .stop = cfg->ex.stop,
	};
	/* The legacy offer (TLS 1.0, static RSA, ...) with the same trust
	 * anchors, for the nodes that refuse the default one; only where the
	 * wolfSSL build has it. */
	struct wtls_config *legacy = NULL;
	if (wtls_has(WTLS_F_STATIC_RSA) && cfg->ex.tls != NULL) {
		legacy = wtls_config_new(WTLS_CLIENT);
		if (legacy && (wtls_config_set_legacy(legacy) != 0 ||
		               (cfg->ex.ca_file && wtls_config_add_ca_file(legacy, cfg->ex.ca_file) != 0) ||
		               (cfg->ex.system_ca && wtls_config_use_system_ca(legacy) != 0))) {
			wtls_config_free(legacy);
			legacy = NULL;
		}
	}
	fo.tls_legacy = legacy;
	struct probe_ctx pc = {fl, &fo, xcalloc(fl->nnodes ? fl->nnodes : 1, sizeof(bool)),
	                       cfg->servernames, cfg->progress};
	struct runner_opts count = {.role = SCN_TARGET_SERVER, .keywords = cfg->keywords,
	                            .nkeywords = cfg->nkeywords};
	progress_plan(cfg->progress, fl->nnodes * (1 + (cfg->nscns ? runner_count_jobs(
	                                                     cfg->scns, cfg->nscns, &count) : 0)));
	struct suite_ctx sc = {cfg, fl, xcalloc(fl->nnodes ? fl->nnodes : 1, sizeof(struct run)),
	                       xcalloc(fl->nnodes ? fl->nnodes : 1, sizeof(bool)), &pc, legacy};
	pool_run(fl->nnodes, cfg->jobs, cfg->ex.stop, node_task, &sc);
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct fleet_node *n = &fl->nodes[i];
		if (!pc.started[i])
			continue; /* nothing measured: nothing to judge */
		if (!run->has_tls && n->tls_ok) {
			run->has_tls = true;
			run->tls = n->tls;
		}
		policy_eval(cfg->policy, n, servername_of(cfg, i), run);
	}
	free(pc.started);

	/* The state machine per node, so the fleet view compares it too. */
	for (size_t i = 0; i < fl->nnodes; i++) {
		const struct fleet_node *n = &fl->nodes[i];
		if (cfg->nscns && !sc.ran[i] && n->host == NULL)
			/* no address: no suite, so its runs leave the plan */
			progress_unplan(cfg->progress, runner_count_jobs(cfg->scns, cfg->nscns, &count));
		if (!sc.ran[i])
			continue;
		for (size_t k = 0; k < sc.sub[i].n; k++) {
			sc.sub[i].results[k].node = xstrdup(n->target);
			run_add(run, &sc.sub[i].results[k]);
		}
		run_free(&sc.sub[i]);
	}
	free(sc.sub);
	free(sc.ran);
	/* An interrupted scan compares facts and verdicts some nodes never
	 * got: every "inconsistency" would be made up. */
	wtls_config_free(legacy);
	if (fl->nnodes > 1 && !stopped(cfg) && !cfg->no_fleet_view)
		fleet_consistency(fl, run);
	run->elapsed_ms = mono_ms() - t0;
	run->interrupted = stopped(cfg);
}

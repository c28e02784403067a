/* SPDX-License-Identifier: MIT */
/*
 * merge: merge_runs. Node order: shards interleave back by the rule of
 * --shard (shard I's k-th node was at list position I + k*N); whole scans
 * follow one another in the order given. Result order is scan_run's:
 * every node's policy findings (results without a scenario file) node by
 * node, then every node's suite results node by node, then the fleet view.
 * Invariant: a merge of the shards of a scan writes the same results.json
 * as the scan itself, but for times and the command line.
 */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

struct slot {
	size_t part, node; /* where the node comes from */
	size_t pos;        /* its position in the whole list */
};

static int by_pos(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

struct name {
	const char *target;
	size_t pos, part;
};

static int by_target(const void *a, const void *b)
{
	return strcmp(((const struct name *)a)->target, ((const struct name *)b)->target);
}

struct ent {
	int phase;      /* 0 policy finding, 1 suite result, 2 no node */
	size_t pos;     /* the node's position in the merged list */
	size_t part, k; /* where the result is */
};

static int by_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static int check_parts(struct run *parts, struct fleet *pfl, const char *const *names, size_t n,
                       char *err, size_t errlen)
{
	static const char *const what[] = {"stark version", "profile", "servername", "suite",
	                                   "policy"};
	size_t sharded = 0;
	for (size_t i = 0; i < n; i++) {
		if (!same(parts[i].role, "scan")) {
			snprintf(err, errlen, "%s: a %s run; stark merge joins the parts of a scan", names[i],
			         parts[i].role ? parts[i].role : "?");
			return -1;
		}
		sharded += parts[i].shard_count > 0;
		const char *a[] = {parts[0].tool_version, parts[0].profile, parts[0].servername,
		                   parts[0].suite, pfl[0].policy};
		const char *b[] = {parts[i].tool_version, parts[i].profile, parts[i].servername,
		                   parts[i].suite, pfl[i].policy};
		for (size_t k = 0; k < sizeof what / sizeof what[0]; k++)
			if (!same(a[k], b[k])) {
				snprintf(err, errlen, "%s and %s are not parts of one scan: %s %s vs %s", names[0],
				         names[i], what[k], a[k] ? a[k] : "none", b[k] ? b[k] : "none");
				return -1;
			}
	}
	if (sharded == 0)
		return 0;
	if (sharded != n) {
		snprintf(err, errlen, "shards (--shard) and whole scans cannot be merged together");
		return -1;
	}
	int count = parts[0].shard_count;
	bool *seen = xcalloc((size_t)count, sizeof *seen);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (parts[i].shard_count != count) {
			snprintf(err, errlen, "%s is shard %d/%d, %s of %d shards", names[i],
			         parts[i].shard_index, parts[i].shard_count, names[0], count);
			rc = -1;
		} else if (seen[parts[i].shard_index]) {
			snprintf(err, errlen, "shard %d/%d given twice (%s)", parts[i].shard_index, count,
			         names[i]);
			rc = -1;
		} else {
			seen[parts[i].shard_index] = true;
		}
	}
	for (int s = 0; s < count && rc == 0; s++)
		if (!seen[s]) {
			snprintf(err, errlen, "shard %d/%d is missing: a merge of some shards is not the scan",
			         s, count);
			rc = -1;
		}
	free(seen);
	return rc;
}

int merge_runs(struct run *parts, struct fleet *pfl, const char *const *names, size_t n,
               struct run *out, struct fleet *fl, char *err, size_t errlen)
{
	if (n == 0) {
		snprintf(err, errlen, "nothing to merge");
		return -1;
	}
	if (check_parts(parts, pfl, names, n, err, errlen) != 0)
		return -1;
	size_t total = 0, base = 0;
	for (size_t i = 0; i < n; i++)
		total += pfl[i].nnodes;
	struct slot *sl = xcalloc(total + 1, sizeof *sl);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct run *p = &parts[i];
		for (size_t k = 0; k < pfl[i].nnodes; k++, m++) {
			sl[m].part = i;
			sl[m].node = k;
			sl[m].pos = p->shard_count ? (size_t)p->shard_index + k * (size_t)p->shard_count
			                           : base + k;
		}
		base += pfl[i].nnodes;
	}
	qsort(sl, total, sizeof *sl, by_pos);
	/* targets sorted, for the duplicate check and each result's node */
	struct name *names_by = xcalloc(total + 1, sizeof *names_by);
	for (size_t a = 0; a < total; a++) {
		names_by[a].target = pfl[sl[a].part].nodes[sl[a].node].target;
		names_by[a].pos = a;
		names_by[a].part = sl[a].part;
	}
	qsort(names_by, total, sizeof *names_by, by_target);
	for (size_t a = 0; a + 1 < total; a++)
		if (strcmp(names_by[a].target, names_by[a + 1].target) == 0) {
			snprintf(err, errlen, "node %s is in %s and in %s", names_by[a].target,
			         names[names_by[a].part], names[names_by[a + 1].part]);
			free(names_by);
			free(sl);
			return -1;
		}

	/* the run: what every part shares, the span of their times */
	out->role = xstrdup("scan");
	out->profile = parts[0].profile ? xstrdup(parts[0].profile) : NULL;
	out->servername = parts[0].servername ? xstrdup(parts[0].servername) : NULL;
	out->suite = parts[0].suite ? xstrdup(parts[0].suite) : NULL;
	free(out->tool_version);
	out->tool_version = xstrdup(parts[0].tool_version ? parts[0].tool_version : STARK_VERSION);
	int64_t start = parts[0].started_ms, end = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].started_ms < start)
			start = parts[i].started_ms;
		if (parts[i].started_ms + parts[i].elapsed_ms > end)
			end = parts[i].started_ms + parts[i].elapsed_ms;
		out->interrupted |= parts[i].interrupted;
	}
	out->started_ms = start;
	out->elapsed_ms = end - start;

	fl->policy = pfl[0].policy ? xstrdup(pfl[0].policy) : NULL;
	fl->nodes = xcalloc(total + 1, sizeof *fl->nodes);
	struct buf tg = {0};
	for (size_t a = 0; a < total; a++) {
		struct fleet_node *src = &pfl[sl[a].part].nodes[sl[a].node];
		fl->nodes[fl->nnodes++] = *src;
		memset(src, 0, sizeof *src); /* moved */
		buf_appendf(&tg, "%s%s", a ? " " : "", fl->nodes[a].target);
	}
	out->target = xstrdup(buf_cstr(&tg));
	buf_free(&tg);
	out->scan = fl;
	/* scan_run: the run's facts are the first node's that shook hands */
	for (size_t a = 0; a < fl->nnodes && !out->has_tls; a++)
		if (fl->nodes[a].tls_ok) {
			out->has_tls = true;
			out->tls = fl->nodes[a].tls;
		}
	/* policy findings node by node, then the suite node by node, then
	 * what has no node: one sort of every result by (phase, node position,
	 * part, index), linear in the results but for the sort */
	size_t nres = 0;
	for (size_t i = 0; i < n; i++)
		nres += parts[i].n;
	struct ent *e = xcalloc(nres + 1, sizeof *e);
	size_t ne = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < parts[i].n; k++) {
			const struct result *r = &parts[i].results[k];
			struct name key = {.target = r->node}, *hit = NULL;
			if (r->node)
				hit = bsearch(&key, names_by, total, sizeof *names_by, by_target);
			e[ne++] = (struct ent){
			    .phase = hit == NULL ? 2 : (r->file && r->file[0]) ? 1 : 0,
			    .pos = hit ? hit->pos : 0, .part = i, .k = k};
		}
	qsort(e, ne, sizeof *e, by_ent);
	for (size_t x = 0; x < ne; x++)
		run_add(out, &parts[e[x].part].results[e[x].k]);
	free(e);
	free(names_by);
	free(sl);
	if (fl->nnodes > 1 && !out->interrupted)
		fleet_consistency(fl, out);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * runner: load, select, order (providers of preconditions first, then
 * sanity, the rest, sanity again: the sanity runs prove the target stayed
 * up, as tlsfuzzer does), run on a worker pool (in a phase the longest
 * scripted waits first), turn what a failed
 * precondition made a dependant fail into SKIP naming the root cause,
 * apply xfail.
 * Invariants: results keep listing order; each phase is a barrier, so what
 * is blocked does not depend on -j; scenarios not started when a stop was
 * requested are left out, started ones end as ERROR "interrupted".
 * Loading opens regular files only, walks each directory once (symlink
 * loops are errors) and refuses a path without scenarios or an id twice.
 */
#include "runner.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pool.h"
#include "util.h"

struct strvec {
	char **v;
	size_t n, cap;
};

static void sv_push(struct strvec *s, char *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = p;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directories entered so far, by device and inode: a symlink back up the
 * tree (or the same directory named twice) would otherwise be walked again
 * and again, each pass doubling every result. */
struct seen {
	struct stat *v;
	size_t n;
};

static bool seen_before(struct seen *sn, const struct stat *st)
{
	for (size_t i = 0; i < sn->n; i++)
		if (sn->v[i].st_dev == st->st_dev && sn->v[i].st_ino == st->st_ino)
			return true;
	sn->v = xrealloc(sn->v, (sn->n + 1) * sizeof *sn->v);
	sn->v[sn->n++] = *st;
	return false;
}

static bool is_scn(const char *path)
{
	size_t l = strlen(path);
	return l > 4 && strcmp(path + l - 4, ".scn") == 0;
}

/* path: a scenario file, or a directory walked for *.scn (sorted). Only
 * regular files are ever opened: a FIFO would block the open forever. */
static int collect(const char *path, struct strvec *files, struct seen *sn,
                   struct scn_diag *diag)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		scenario_diag_add(diag, path,
		             errno == ELOOP ? "symbolic link loop" : strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		sv_push(files, xstrdup(path));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		scenario_diag_add(diag, path, "not a regular file or directory (FIFO, device or socket): "
		                         "not read");
		return -1;
	}
	if (seen_before(sn, &st)) {
		scenario_diag_add(diag, path, "directory reached twice (symbolic link loop?): not walked again");
		return -1;
	}
	DIR *d = opendir(path);
	if (d == NULL) {
		scenario_diag_add(diag, path, strerror(errno));
		return -1;
	}
	struct strvec sub = {0};
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		sv_push(&sub, xasprintf("%s/%s", path, e->d_name));
	}
	closedir(d);
	if (sub.n > 1)
		qsort(sub.v, sub.n, sizeof *sub.v, cmpstr);
	int rc = 0;
	for (size_t i = 0; i < sub.n; i++) {
		struct stat s2;
		/* an entry stat cannot follow is an error only where a scenario or
		 * a directory of them may hide: *.scn, or a link loop */
		if (stat(sub.v[i], &s2) != 0) {
			if (is_scn(sub.v[i]) || errno == ELOOP)
				rc |= collect(sub.v[i], files, sn, diag);
		} else if (S_ISDIR(s2.st_mode) || is_scn(sub.v[i])) {
			rc |= collect(sub.v[i], files, sn, diag);
		}
		free(sub.v[i]);
	}
	free(sub.v);
	return rc;
}

/* Two files with one scenario id would give two results under one name. */
static int unique_ids(struct scenario *const *v, size_t n, struct scn_diag *diag)
{
	int rc = 0;
	for (size_t i = 1; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(v[i]->id, v[k]->id) == 0) {
				char *m = xasprintf("duplicate scenario id '%s' (also in %s)", v[i]->id,
				                    v[k]->file);
				scenario_diag_add(diag, v[i]->file, m);
				free(m);
				rc = -1;
				break;
			}
	return rc;
}

/* ---------- preconditions (requires/provides) ---------- */

static bool has_name(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

/*
 * depth[i]: 0 for a scenario whose requirements no other of s[0..n)
 * provides, else one more than its deepest provider. false on a cycle
 * (those stay -1).
 */
static bool depths(const struct scenario *const *s, size_t n, int *depth)
{
	for (size_t i = 0; i < n; i++)
		depth[i] = -1;
	bool progress = true;
	size_t done = 0;
	while (progress && done < n) {
		progress = false;
		for (size_t i = 0; i < n; i++) {
			if (depth[i] >= 0)
				continue;
			int d = 0;
			for (size_t q = 0; q < s[i]->nrequires && d >= 0; q++)
				for (size_t k = 0; k < n && d >= 0; k++)
					if (k != i && has_name(s[k]->provides, s[k]->nprovides, s[i]->requires[q]))
						d = depth[k] < 0 ? -1 : (depth[k] + 1 > d ? depth[k] + 1 : d);
			if (d >= 0) {
				depth[i] = d;
				done++;
				progress = true;
			}
		}
	}
	return done == n;
}

static int check_cycles(struct scenario *const *s, size_t n, struct scn_diag *diag)
{
	int *depth = xcalloc(n + 1, sizeof *depth);
	int rc = 0;
	if (!depths((const struct scenario *const *)s, n, depth)) {
		for (size_t i = 0; i < n; i++)
			if (depth[i] < 0)
				scenario_diag_add(diag, s[i]->file,
				             "requires a precondition that depends on itself (requires/provides cycle)");
		rc = -1;
	}
	free(depth);
	return rc;
}

int runner_load(char *const *paths, size_t npaths, struct scenario ***out, size_t *nout,
                struct scn_diag *diag)
{
	struct strvec files = {0};
	struct seen sn = {0};
	int rc = 0;
	struct scn_diag local = {0};
	if (diag == NULL)
		diag = &local;
	for (size_t i = 0; i < npaths; i++) {
		size_t before = files.n;
		int r = collect(paths[i], &files, &sn, diag);
		if (r == 0 && files.n == before) {
			scenario_diag_add(diag, paths[i], "no .scn scenario file here");
			r = -1;
		}
		rc |= r;
	}
	free(sn.v);
	struct scenario **v = xcalloc(files.n + 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < files.n; i++) {
		struct scenario *s = scenario_load(files.v[i], diag);
		if (s == NULL)
			rc = -1;
		else
			v[n++] = s;
		free(files.v[i]);
	}
	free(files.v);
	rc |= unique_ids(v, n, diag);
	if (check_cycles(v, n, diag) != 0)
		rc = -1;
	if (local.n)
		scenario_diag_free(&local);
	*out = v;
	*nout = n;
	return rc ? -1 : 0;
}

void runner_free_scenarios(struct scenario **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		scenario_free(s[i]);
	free(s);
}

int runner_load_xfail(const char *path, struct xfail_entry **out, size_t *nout, char *err,
                      size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct xfail_entry *v = NULL;
	size_t n = 0;
	char line[2048];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		size_t idl = strcspn(p, " \t");
		char *rest = p + idl;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (*rest == '\0') {
			snprintf(err, errlen, "%s:%d:%zu: xfail entry needs a reason after the id", path,
			         lineno, (size_t)(p - line) + idl + 1);
			fclose(f);
			runner_free_xfail(v, n);
			return -1;
		}
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n].id = xstrndup(p, idl);
		v[n].reason = xstrdup(rest);
		n++;
	}
	fclose(f);
	*out = v;
	*nout = n;
	return 0;
}

void runner_free_xfail(struct xfail_entry *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].id);
		free(x[i].reason);
	}
	free(x);
}

static bool selected(const struct scenario *s, const struct runner_opts *o)
{
	if (s->role != o->role)
		return false;
	if (o->nkeywords == 0 || scenario_has_keyword(s, "sanity"))
		return true;
	for (size_t i = 0; i < o->nkeywords; i++)
		if (scenario_has_keyword(s, o->keywords[i]) || strstr(s->id, o->keywords[i]))
			return true;
	return false;
}

size_t runner_count_selected(struct scenario *const *s, size_t n, const struct runner_opts *o,
                             size_t *nsanity)
{
	size_t rest = 0;
	*nsanity = 0;
	for (size_t i = 0; i < n; i++)
		if (selected(s[i], o)) {
			if (scenario_has_keyword(s[i], "sanity"))
				(*nsanity)++;
			else
				rest++;
		}
	return rest;
}

size_t runner_count_jobs(struct scenario *const *s, size_t n, const struct runner_opts *o)
{
	size_t nsanity, rest = runner_count_selected(s, n, o, &nsanity);
	return rest + 2 * nsanity;
}

static uint64_t fnv1a(uint64_t h, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *runner_suite_digest(struct scenario *const *s, size_t n, const struct runner_opts *o,
                          const char *extra)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	if (extra)
		h = fnv1a(h, extra, strlen(extra) + 1);
	for (size_t i = 0; i < n; i++) {
		if (!selected(s[i], o))
			continue;
		char *d = scenario_dump(s[i]);
		h = fnv1a(h, d, strlen(d) + 1);
		free(d);
	}
	return xasprintf("fnv1a64:%016llx", (unsigned long long)h);
}

int runner_check_selection(struct scenario *const *s, size_t n, const struct runner_opts *o,
                           char *err, size_t errlen)
{
	size_t nsanity, rest = runner_count_selected(s, n, o, &nsanity);
	if (rest + nsanity == 0) {
		snprintf(err, errlen, "none of the %zu loaded scenario(s) targets a%s; nothing to run", n,
		         o->role == SCN_TARGET_SERVER ? " server (client scenarios are for stark serve)"
		                                      : " client (server scenarios are for stark run)");
		return -1;
	}
	if (o->nkeywords && rest == 0) {
		snprintf(err, errlen, "-k %s%s matches no scenario but sanity; nothing to run",
		         o->keywords[0], o->nkeywords > 1 ? " (and the others)" : "");
		return -1;
	}
	return 0;
}

struct job {
	const struct scenario *s;
	bool closing; /* the closing sanity run */
	bool started;
	int phase;
	const struct job *root; /* blamed: the FAIL/ERROR job that broke a precondition */
	struct result r;
};

/*
 * Pacing for a throttled target (one per runner_run, i.e. per node): a 421
 * greeting with k scenarios in flight says the target accepts fewer than k
 * at once, so the cap drops to k-1 (at least 1) and the scenario runs
 * again once a slot is free, after a short pause that doubles (100 ms
 * first) while the target still refuses; no fixed second. A node has
 * PACE_BUDGET retries in all (a target that refuses everything costs a
 * few pauses, not a pause per scenario). The last
 * refusal stands as the INCONCLUSIVE it is (exec.c); a throttle is never
 * a finding.
 */
enum { PACE_RETRIES = 3, PACE_FIRST_MS = 100, PACE_BUDGET = 8 };

struct pacer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int cap, inflight;
	int budget; /* retries left for this node */
};

struct phase {
	struct job *jobs;  /* all of the run's, for the providers' results */
	size_t nopen;      /* jobs[0..nopen): the opening runs, each scenario once */
	size_t *idx;       /* this phase's jobs */
	const struct runner_opts *o;
	struct pacer *pace;
};

static void pace_enter(struct pacer *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->inflight >= p->cap)
		pthread_cond_wait(&p->cv, &p->mu);
	p->inflight++;
	pthread_mutex_unlock(&p->mu);
}

/* Leaves the slot; throttled: the cap learned from this refusal. True
 * when want_retry and the node's retry budget allows one more. */
static bool pace_leave(struct pacer *p, bool throttled, bool want_retry)
{
	pthread_mutex_lock(&p->mu);
	if (throttled && p->inflight - 1 < p->cap)
		p->cap = p->inflight > 1 ? p->inflight - 1 : 1;
	p->inflight--;
	bool again = want_retry && p->budget > 0;
	if (again)
		p->budget--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return again;
}

/* Did provider p (finished in an earlier phase) fail a precondition? Only
 * a FAIL or ERROR up to its `provides ... at` statement does: what it
 * found later is its own finding, not a broken precondition. */
static bool broke(const struct job *p)
{
	if (!p->started)
		return false;
	if (p->root != NULL)
		return true; /* blocked itself: nothing it provides was established */
	return (p->r.verdict == V_FAIL || p->r.verdict == V_ERROR) &&
	       p->r.line < p->s->provides_until;
}

/*
 * A FAIL or ERROR of j from its `requires ... at` line on, when a
 * precondition it requires failed, is that precondition's, not a finding
 * of its own: SKIP naming the precondition and the root cause; its own
 * reason stays in the notes and its transcript stays as evidence. What j
 * found before that line is judged without the precondition and stands.
 */
static void blame(struct job *j, const struct phase *ph)
{
	const struct scenario *s = j->s;
	struct result *r = &j->r;
	if ((r->verdict != V_FAIL && r->verdict != V_ERROR) || r->line < s->requires_at)
		return;
	for (size_t q = 0; q < s->nrequires; q++)
		for (size_t k = 0; k < ph->nopen; k++) {
			const struct job *p = &ph->jobs[k];
			if (p->s == s || p->phase >= j->phase ||
			    !has_name(p->s->provides, p->s->nprovides, s->requires[q]) || !broke(p))
				continue;
			j->root = p->root ? p->root : p;
			char *own = r->reason;
			char *notes = xasprintf("%s%s%s (not judged: precondition %s failed)",
			                        r->notes ? r->notes : "", r->notes ? "; " : "",
			                        own ? own : "", s->requires[q]);
			free(r->notes);
			r->notes = notes;
			if (p->root)
				r->reason = xasprintf("blocked: precondition %s not established: %s was "
				                      "blocked by %s (%s)",
				                      s->requires[q], p->r.id, j->root->r.id,
				                      j->root->r.reason ? j->root->r.reason : "");
			else
				r->reason = xasprintf("blocked: precondition %s failed in %s (%s)",
				                      s->requires[q], p->r.id, p->r.reason ? p->r.reason : "");
			free(own);
			r->verdict = V_SKIP;
			r->blocked_by = xstrdup(j->root->r.id);
			return;
		}
}

static const struct xfail_entry *xfail_of(const struct result *r, const struct runner_opts *o)
{
	size_t idl = strcspn(r->id, "#");
	for (size_t i = 0; i < o->nxfail; i++)
		if (strlen(o->xfail[i].id) == idl && strncmp(o->xfail[i].id, r->id, idl) == 0)
			return &o->xfail[i];
	return NULL;
}

/* For the progress count: FAIL, ERROR or XPASS once xfail is applied. */
static bool failing(const struct result *r, const struct runner_opts *o)
{
	bool xf = xfail_of(r, o) != NULL;
	return r->verdict == V_ERROR || (r->verdict == V_FAIL && !xf) || (r->verdict == V_PASS && xf);
}

static void run_job(void *ctx, size_t i)
{
	const struct phase *ph = ctx;
	const struct runner_opts *o = ph->o;
	struct job *j = &ph->jobs[ph->idx[i]];
	j->started = true;
	progress_begin(o->progress);
	int64_t wait = PACE_FIRST_MS;
	for (int attempt = 0;; attempt++) {
		pace_enter(ph->pace);
		if (o->play)
			o->play(j->s, &o->ex, &j->r, o->play_ctx);
		else if (o->role == SCN_TARGET_CLIENT)
			exec_serve(j->s, &o->ex, &j->r);
		else
			exec_run(j->s, &o->ex, &j->r);
		bool want = j->r.throttled && attempt < PACE_RETRIES && !(o->ex.stop && *o->ex.stop);
		if (!pace_leave(ph->pace, j->r.throttled, want))
			break;
		result_free(&j->r);
		mono_sleep(wait, o->ex.stop);
		wait *= 2;
	}
	blame(j, ph);
	if (j->closing) {
		char *id = xasprintf("%s#end", j->r.id);
		free(j->r.id);
		j->r.id = id;
	}
	progress_end(o->progress, failing(&j->r, o));
}

static void apply_xfail(struct result *r, const struct runner_opts *o)
{
	const struct xfail_entry *x = xfail_of(r, o);
	if (x == NULL)
		return;
	r->xfail_reason = xstrdup(x->reason);
	if (r->verdict == V_FAIL) {
		r->verdict = V_XFAIL;
	} else if (r->verdict == V_PASS) {
		r->verdict = V_XPASS;
		free(r->reason);
		r->reason = xasprintf("expected to fail (%s) but passed", x->reason);
	}
}

/*
 * Phases, each a barrier: the providers by depth (a provider runs after
 * the providers of what it requires), the opening sanity, the rest, the
 * closing sanity. Without requires/provides that is sanity, rest, sanity.
 */
static void assign_phases(struct job *jobs, size_t nopen, size_t nj)
{
	const struct scenario **s = xcalloc(nopen + 1, sizeof *s);
	int *depth = xcalloc(nopen + 1, sizeof *depth);
	for (size_t i = 0; i < nopen; i++)
		s[i] = jobs[i].s;
	(void)depths(s, nopen, depth); /* runner_load refused cycles; a cycle's jobs get depth -1 */
	int after = 0; /* the first phase after every provider */
	bool *prov = xcalloc(nopen + 1, sizeof *prov);
	for (size_t i = 0; i < nopen; i++)
		for (size_t k = 0; k < nopen && !prov[i]; k++)
			for (size_t q = 0; k != i && q < s[k]->nrequires && !prov[i]; q++)
				if (has_name(s[i]->provides, s[i]->nprovides, s[k]->requires[q]) && depth[i] >= 0) {
					prov[i] = true;
					if (depth[i] + 1 > after)
						after = depth[i] + 1;
				}
	for (size_t i = 0; i < nj; i++) {
		size_t k = i < nopen ? i : i - nopen;
		bool sanity = scenario_has_keyword(jobs[i].s, "sanity");
		if (i >= nopen)
			jobs[i].phase = after + 2; /* the closing sanity */
		else if (prov[k])
			jobs[i].phase = depth[k];
		else
			jobs[i].phase = sanity ? after : after + 1;
	}
	free(prov);
	free(depth);
	free(s);
}

/* Is a expected to take longer than b? */
static bool longer(const struct scenario *a, const struct scenario *b)
{
	int64_t wa = scenario_scripted_ms(a), wb = scenario_scripted_ms(b);
	if (wa != wb)
		return wa > wb;
	return scenario_round_trips(a) > scenario_round_trips(b);
}

void runner_run(struct scenario *const *s, size_t n, const struct runner_opts *o, struct run *run)
{
	int64_t t0 = mono_ms();
	/* Listing order: sanity, the rest in listing order, sanity again. */
	struct job *jobs = xcalloc(2 * n + 2, sizeof *jobs);
	size_t nj = 0, nsan = 0;
	for (size_t i = 0; i < n; i++)
		if (selected(s[i], o) && scenario_has_keyword(s[i], "sanity"))
			jobs[nj++].s = s[i], nsan++;
	for (size_t i = 0; i < n; i++)
		if (selected(s[i], o) && !scenario_has_keyword(s[i], "sanity"))
			jobs[nj++].s = s[i];
	size_t nopen = nj;
	for (size_t i = 0; i < nsan; i++) {
		jobs[nj].s = jobs[i].s;
		jobs[nj++].closing = true;
	}
	assign_phases(jobs, nopen, nj);
	if (!o->progress_planned)
		progress_plan(o->progress, nj);
	size_t *idx = xcalloc(nj + 1, sizeof *idx);
	struct pacer pace = {.cap = o->jobs > 1 ? o->jobs : 1, .budget = PACE_BUDGET};
	pthread_mutex_init(&pace.mu, NULL);
	pthread_cond_init(&pace.cv, NULL);
	int last = 0;
	for (size_t i = 0; i < nj; i++)
		if (jobs[i].phase > last)
			last = jobs[i].phase;
	for (int ph = 0; ph <= last; ph++) {
		size_t m = 0;
		for (size_t i = 0; i < nj; i++)
			if (jobs[i].phase == ph)
				idx[m++] = i;
		/* Longest expected first, known from the file: scripted waits,
		 * then round trips (a scenario that waits 4 s starting last
		 * would alone set the wall time). Results keep listing order
		 * (jobs[]), whatever order they ran in. Insertion sort, stable:
		 * ties keep listing order. */
		for (size_t a = 1; a < m; a++) {
			size_t v = idx[a], b = a;
			while (b > 0 && longer(jobs[v].s, jobs[idx[b - 1]].s)) {
				idx[b] = idx[b - 1];
				b--;
			}
			idx[b] = v;
		}
		struct phase p = {jobs, nopen, idx, o, &pace};
		if (m)
			pool_run(m, o->jobs, o->ex.stop, run_job, &p);
	}
	free(idx);
	pthread_cond_destroy(&pace.cv);
	pthread_mutex_destroy(&pace.mu);
	for (size_t i = 0; i < nj; i++) {
		if (!jobs[i].started)
			continue;
		apply_xfail(&jobs[i].r, o);
		run_add(run, &jobs[i].r);
	}
	free(jobs);
	if (o->ex.stop && *o->ex.stop)
		run->interrupted = true;
	run->elapsed_ms += mono_ms() - t0;
}

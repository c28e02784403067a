/* SPDX-License-Identifier: MIT */
/*
 * runner: load, select, order (sanity first and last, as tlsfuzzer does:
 * it proves the target stayed up), run on a worker pool, apply xfail.
 * Invariants: results keep listing order; scenarios not started when a
 * stop was requested are left out, started ones end as ERROR "interrupted".
 * Loading opens regular files only, walks each directory once (symlink
 * loops are errors) and refuses a path without scenarios or an id twice.
 */
#include "runner.h"

#include <dirent.h>
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
	struct result r;
};

struct phase {
	struct job *jobs;
	const struct runner_opts *o;
};

static void run_job(void *ctx, size_t i)
{
	const struct runner_opts *o = ((struct phase *)ctx)->o;
	struct job *j = &((struct phase *)ctx)->jobs[i];
	j->started = true;
	if (o->role == SCN_TARGET_CLIENT)
		exec_serve(j->s, &o->ex, &j->r);
	else
		exec_run(j->s, &o->ex, &j->r);
	if (j->closing) {
		char *id = xasprintf("%s#end", j->r.id);
		free(j->r.id);
		j->r.id = id;
	}
}

static void run_parallel(struct job *jobs, size_t n, const struct runner_opts *o)
{
	struct phase ph = {jobs, o};
	pool_run(n, o->jobs, o->ex.stop, run_job, &ph);
}

static void apply_xfail(struct result *r, const struct runner_opts *o)
{
	size_t idl = strcspn(r->id, "#");
	for (size_t i = 0; i < o->nxfail; i++) {
		if (strlen(o->xfail[i].id) != idl || strncmp(o->xfail[i].id, r->id, idl) != 0)
			continue;
		r->xfail_reason = xstrdup(o->xfail[i].reason);
		if (r->verdict == V_FAIL) {
			r->verdict = V_XFAIL;
		} else if (r->verdict == V_PASS) {
			r->verdict = V_XPASS;
			free(r->reason);
			r->reason = xasprintf("expected to fail (%s) but passed", o->xfail[i].reason);
		}
		return;
	}
}

void runner_run(struct scenario *const *s, size_t n, const struct runner_opts *o, struct run *run)
{
	int64_t t0 = mono_ms();
	/* Order: sanity, the rest in listing order, sanity again. */
	struct job *jobs = xcalloc(2 * n + 2, sizeof *jobs);
	size_t nj = 0, nsan = 0;
	for (size_t i = 0; i < n; i++)
		if (selected(s[i], o) && scenario_has_keyword(s[i], "sanity"))
			jobs[nj++].s = s[i], nsan++;
	size_t first_rest = nj;
	for (size_t i = 0; i < n; i++)
		if (selected(s[i], o) && !scenario_has_keyword(s[i], "sanity"))
			jobs[nj++].s = s[i];
	size_t first_end = nj;
	for (size_t i = 0; i < nsan; i++) {
		jobs[nj].s = jobs[i].s;
		jobs[nj++].closing = true;
	}
	/* The opening sanity runs before anything else, the closing one after
	 * everything: each phase is a barrier. */
	run_parallel(jobs, first_rest, o);
	run_parallel(jobs + first_rest, first_end - first_rest, o);
	if (first_end > first_rest || nsan)
		run_parallel(jobs + first_end, nj - first_end, o);
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

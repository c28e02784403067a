/* SPDX-License-Identifier: MIT */
/*
 * datadir: finds stark's data files from the running binary (datadir.h):
 * the build tree beside the binary, else the install's share/stark. Owns the
 * order of that lookup and the error that names the places tried; never
 * reads the working directory or the environment, never writes.
 */
#include "datadir.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#ifndef STARK_DATADIR_REL
#define STARK_DATADIR_REL "../share/stark"
#endif

/* One more place tried, and why it was not taken, onto err. */
static void tried(char *err, size_t errlen, const char *place, const char *why)
{
	size_t used = strlen(err);
	if (used < errlen)
		snprintf(err + used, errlen - used, "%s %s (%s)",
		         strchr(err, '(') ? ";" : "", place, why);
}

/* rel under dir if it exists: the path (malloc'd), else NULL and why in err. */
static char *try_dir(const char *dir, const char *rel, const char *what, char *err, size_t errlen)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	if (stat(p, &st) == 0)
		return p;
	char why[128];
	snprintf(why, sizeof why, "%s: %s", what, strerror(errno));
	tried(err, errlen, p, why);
	free(p);
	return NULL;
}

char *datadir_find(const char *rel, char *err, size_t errlen)
{
	if (errlen)
		snprintf(err, errlen, "no %s in stark's data directory; tried", rel);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || (size_t)n >= sizeof exe - 1) {
		tried(err, errlen, "/proc/self/exe, the binary's own path",
		      n <= 0 ? strerror(errno) : "too long");
		return NULL;
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL) {
		tried(err, errlen, exe, "not an absolute path");
		return NULL;
	}
	*slash = '\0';
	const char *bindir = exe[0] ? exe : "/";

	/* a build tree: CMake's cache beside the binary */
	char *cache = xasprintf("%s/CMakeCache.txt", bindir);
	bool build_tree = access(cache, F_OK) == 0;
	free(cache);
	char *p;
	if (build_tree) {
		p = try_dir(bindir, rel, "build tree", err, errlen);
		if (p)
			return p;
	} else {
		tried(err, errlen, bindir, "not a build tree: no CMakeCache.txt");
	}
	/* the install: <prefix>/bin -> <prefix>/share/stark */
	char *share = xasprintf("%s/%s", bindir, STARK_DATADIR_REL);
	char real[PATH_MAX];
	p = try_dir(realpath(share, real) ? real : share, rel, "installed", err, errlen);
	free(share);
	return p;
}

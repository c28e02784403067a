/* SPDX-License-Identifier: MIT */
/*
 * preflight: checks before work. Public: preflight_target_syntax,
 * preflight_read_targets, preflight_targets, preflight_listen, preflight_out. Invariants:
 * nothing here sends a byte to a target; every wait is bounded by the
 * caller's deadline; each failure is one line that names the argument.
 */
#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "util.h"

const char *preflight_target_syntax(const char *s)
{
	char *h, *p;
	if (split_hostport(s, &h, &p) != 0)
		return "not HOST:PORT";
	char *end;
	errno = 0;
	long port = strtol(p, &end, 10);
	bool ok = *p && *end == '\0' && errno == 0 && port >= 1 && port <= 65535;
	free(h);
	free(p);
	return ok ? NULL : "the port is not a number in 1..65535";
}

int preflight_read_targets(const char *path, char ***v, size_t *n, char *err, size_t errlen)
{
	FILE *tf = fopen(path, "r");
	if (tf == NULL) {
		snprintf(err, errlen, "--targets %s: %s", path, strerror(errno));
		return -1;
	}
	char line[512];
	int ln = 0;
	while (fgets(line, sizeof line, tf)) {
		ln++;
		char *t = line + strspn(line, " \t");
		t[strcspn(t, " \t\r\n#")] = '\0';
		if (*t == '\0')
			continue;
		const char *why = preflight_target_syntax(t);
		if (why) {
			snprintf(err, errlen, "%s:%d: %s: '%s'", path, ln, why, t);
			fclose(tf);
			return -1;
		}
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		(*v)[(*n)++] = xstrdup(t);
	}
	fclose(tf);
	return 0;
}

int preflight_targets(char *const *targets, size_t n, int64_t timeout_ms,
                      const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char *h = NULL, *p = NULL;
		if (split_hostport(targets[i], &h, &p) != 0) {
			snprintf(err, errlen, "%s: not HOST:PORT", targets[i]);
			return -1;
		}
		int r = conn_resolve(h, p, timeout_ms, stop, NULL, err, errlen);
		free(h);
		free(p);
		if (r != 0)
			return -1;
	}
	return 0;
}

int preflight_listen(const char *host, const char *port, int64_t timeout_ms,
                     const volatile sig_atomic_t *stop, bool *exposed, char *err, size_t errlen)
{
	bool loopback = false;
	if (conn_resolve(host, port, timeout_ms, stop, &loopback, err, errlen) != 0)
		return -1;
	*exposed = !loopback;
	return 0;
}

int preflight_out(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--out %s exists and is not a directory", dir);
		return -1;
	}
	char why[512] = "";
	if (mkdir_all(dir, why, sizeof why) != 0) {
		snprintf(err, errlen, "--out %s: %s", dir, why[0] ? why : strerror(errno));
		return -1;
	}
	char *probe = xasprintf("%s/.stark-write-XXXXXX", dir);
	int fd = mkstemp(probe);
	if (fd < 0) {
		snprintf(err, errlen, "--out %s is not writable: %s", dir, strerror(errno));
		free(probe);
		return -1;
	}
	close(fd);
	unlink(probe);
	free(probe);
	return 0;
}

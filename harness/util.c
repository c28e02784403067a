/* SPDX-License-Identifier: MIT */
/*
 * util: x*alloc (abort on allocation failure), fatalx, clocks and mono_sleep,
 * struct buf, the byte escaper, duration parsing, mkdir_all (the one mkdir -p), errf (a formatted
 * message into a caller's err buffer).
 * Invariant: nothing here reads input from the network; escape_bytes is the
 * one renderer of protocol bytes for humans.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "stark: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (p == NULL)
		oom(n * sz);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vappendf(&b, fmt, ap);
	va_end(ap);
	return buf_cstr(&b);
}

_Noreturn void fatalx(const char *fmt, ...)
{
	va_list ap;
	fputs("stark: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_ms(void)
{
	return mono_us() / 1000;
}

int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void iso8601_ms(int64_t wall, char out[32])
{
	time_t s = (time_t)(wall / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall % 1000));
}

void buf_reserve(struct buf *b, size_t need)
{
	if (b->len + need + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0)
		fatalx("bad format %s", fmt);
	buf_reserve(b, (size_t)n);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vappendf(b, fmt, ap);
	va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *buf_cstr(struct buf *b)
{
	buf_reserve(b, 0);
	b->data[b->len] = '\0';
	return (char *)b->data;
}

void buf_escape(struct buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0; /* p[run..i) is printable as is, not yet appended */
	if (n == 0)
		return;
	buf_reserve(out, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			continue;
		char e[4];
		size_t k = 0;
		e[k++] = '\\';
		switch (c) {
		case '\r': e[k++] = 'r'; break;
		case '\n': e[k++] = 'n'; break;
		case '\t': e[k++] = 't'; break;
		case '\\': e[k++] = '\\'; break;
		case '"': e[k++] = '"'; break;
		default:
			e[k++] = 'x';
			e[k++] = hex[c >> 4];
			e[k++] = hex[c & 15];
		}
		if (i > run)
			buf_append(out, p + run, i - run);
		buf_append(out, e, k);
		run = i + 1;
	}
	buf_append(out, p + run, n - run);
}

char *escape_bytes(const uint8_t *p, size_t n)
{
	struct buf b = {0};
	buf_escape(&b, p, n);
	return buf_cstr(&b);
}

int parse_duration(const char *s, int64_t *ms)
{
	char *end;
	/* digits first: strtod would also take "nan", "inf", "0x1p3", " 5" */
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (const char *q = s; *q; q++)
		if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'm' || *q == 's'))
			return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 86400.0 * 1000)
		return -1;
	double mult;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else
		return -1;
	double r = v * mult;
	if (r > 86400.0 * 1000)
		return -1;
	*ms = (int64_t)(r + 0.5);
	return 0;
}

int split_hostport(const char *s, char **host, char **port)
{
	const char *h = s, *hend, *p;
	if (s[0] == '[') { /* [v6]:port */
		h = s + 1;
		hend = strchr(h, ']');
		if (hend == NULL || hend[1] != ':')
			return -1;
		p = hend + 2;
	} else {
		hend = strrchr(s, ':');
		if (hend == NULL || strchr(s, ':') != hend) /* a bare v6 address needs [] */
			return -1;
		p = hend + 1;
	}
	if (hend == h || *p == '\0' || strspn(p, "0123456789") != strlen(p))
		return -1;
	*host = xstrndup(h, (size_t)(hend - h));
	*port = xstrdup(p);
	return 0;
}

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void mono_sleep(int64_t ms, const volatile sig_atomic_t *stop)
{
	int64_t until = mono_ms() + ms;
	for (;;) {
		int64_t left = until - mono_ms();
		if (left <= 0 || (stop && *stop))
			return;
		if (left > 100)
			left = 100;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
		nanosleep(&ts, NULL); /* EINTR: the loop looks at the clock and *stop again */
	}
}

static int mkdir_fail(char *err, size_t errlen, const char *path, int e)
{
	snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(e));
	return -1;
}

/*
 * One mode for everything stark creates (report and certificate
 * directories): 0755, so even under umask 0 nobody but the owner can add or
 * replace files in them (a swapped ca.pem or results.json would be a lie);
 * the key files themselves are 0600 (cert.c).
 */
int mkdir_all(const char *dir, char *err, size_t errlen)
{
	if (*dir == '\0')
		return mkdir_fail(err, errlen, "\"\"", EINVAL);
	char *path = xstrdup(dir);
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			int e = errno;
			mkdir_fail(err, errlen, path, e);
			free(path);
			return -1;
		}
		*s = '/';
	}
	struct stat st;
	int rc = 0;
	if (mkdir(path, 0755) != 0) {
		if (errno != EEXIST)
			rc = mkdir_fail(err, errlen, path, errno);
		else if (stat(path, &st) != 0)
			rc = mkdir_fail(err, errlen, path, errno);
		else if (!S_ISDIR(st.st_mode))
			rc = mkdir_fail(err, errlen, path, ENOTDIR);
	}
	free(path);
	return rc;
}

void errf(char *err, size_t n, const char *fmt, ...)
{
	if (err == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

int write_text_file(const char *path, const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	bool ok = f != NULL && fputs(text, f) >= 0;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (!ok) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

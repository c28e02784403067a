/* SPDX-License-Identifier: MIT */
/*
 * fuzz-to-scenario: turn a transition_server input (a crash or an oracle
 * failure found by libFuzzer) into a .scn (target server) that replays the
 * same bytes against a live target over TCP with `stark run --scenarios`:
 * the same segmentation (one `send` per segment, one write each), the same
 * TLS options (version, glue), then the checks of S-08: the 220 must come
 * alone, the replies inside TLS must be the ones to the commands sent inside
 * TLS, and a final QUIT must be answered 221, or the close that ends the
 * session must come instead of a reply (one reply too many = a command
 * injected in plaintext was executed inside TLS). No `expect silence`
 * inside TLS: a TLS 1.3 session ticket ends exec's silence window early.
 *
 * How many replies each segment earns is learnt by running the input
 * through a CORRECT reference session in memory (refsess with the input's
 * options but no planted flaw), so the scenario expects exactly what a
 * correct server answers and a flawed one stands out.
 *
 * Usage: fuzz-to-scenario [-o OUT.scn] [--id ID] INPUT
 */
#include "stark_vendor.h"
#include "smtp.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stark_vendor_out {
	struct buf b;
};

void stark_vendor_emit(struct stark_vendor_out *out, const void *p, size_t n)
{
	buf_append(&out->b, p, n);
}

#define MAX_SEGMENTS 64
#define SEP 0xFF

static void scn_string(FILE *f, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		switch (c) {
		case '\r': fputs("\\r", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '$': fputs("\\x24", f); break; /* never a ${variable} */
		default:
			if (c >= 0x20 && c < 0x7f)
				fputc(c, f);
			else
				fprintf(f, "\\x%c%c", hex[c >> 4], hex[c & 15]);
		}
	}
	fputc('"', f);
}

/* Complete replies in out, consumed from *off on. */
static size_t count_replies(struct buf *out, size_t *off)
{
	size_t n = 0;
	struct smtp_reply *r = xmalloc(sizeof *r);
	for (;;) {
		ssize_t k = smtp_reply_parse(out->data + *off, out->len - *off, r, NULL);
		if (k <= 0)
			break;
		*off += (size_t)k;
		n++;
	}
	free(r);
	return n;
}

static void indent(FILE *f, int level)
{
	for (int i = 0; i < level; i++)
		fputs("    ", f);
}

/* alt { EXPECT } or { any reply: fail }: the verdict of S-08 inside TLS,
 * where a reply instead of EXPECT answers a command that arrived in
 * plaintext before the handshake. */
static void expect_or_extra_reply(FILE *f, int level, const char *expect)
{
	indent(f, level);
	fputs("alt {\n", f);
	indent(f, level + 1);
	fprintf(f, "%s\n", expect);
	indent(f, level);
	fputs("} or {\n", f);
	indent(f, level + 1);
	fputs("expect reply any\n", f);
	indent(f, level + 1);
	fputs("fail   \"one reply too many inside TLS: a command sent in plaintext before the "
	      "handshake was executed\"\n",
	      f);
	indent(f, level);
	fputs("}\n", f);
}

static void expect_n(FILE *f, int level, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		indent(f, level);
		fputs("expect reply any\n", f);
	}
}

int main(int argc, char **argv)
{
	const char *outpath = NULL, *in = NULL, *id = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			outpath = argv[++i];
		else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
			id = argv[++i];
		else if (argv[i][0] != '-' && in == NULL)
			in = argv[i];
		else {
			fprintf(stderr, "usage: fuzz-to-scenario [-o OUT.scn] [--id ID] INPUT\n");
			return 2;
		}
	}
	if (in == NULL) {
		fprintf(stderr, "usage: fuzz-to-scenario [-o OUT.scn] [--id ID] INPUT\n");
		return 2;
	}
	FILE *fi = fopen(in, "rb");
	if (fi == NULL) {
		fprintf(stderr, "fuzz-to-scenario: %s: %s\n", in, strerror(errno));
		return 2;
	}
	struct buf data = {0};
	uint8_t tmp[4096];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, fi)) > 0)
		buf_append(&data, tmp, k);
	fclose(fi);
	if (data.len < 2) {
		fprintf(stderr, "fuzz-to-scenario: %s: shorter than the 2 header bytes\n", in);
		return 2;
	}
	const uint8_t *buf = data.data;
	uint8_t mode = buf[1];
	struct {
		const uint8_t *p;
		size_t n;
	} seg[MAX_SEGMENTS];
	size_t nseg = 0, start = 2;
	for (size_t i = 2; i <= data.len && nseg < MAX_SEGMENTS; i++)
		if (i == data.len || buf[i] == SEP) {
			seg[nseg].p = buf + start;
			seg[nseg].n = i - start;
			nseg++;
			start = i + 1;
		}

	FILE *f = outpath ? fopen(outpath, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "fuzz-to-scenario: %s: %s\n", outpath, strerror(errno));
		return 2;
	}
	char idbuf[128];
	if (id == NULL) {
		const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
		size_t j = 0;
		for (; *base && j < 80; base++)
			idbuf[j++] = (strchr("._-", *base) || (*base >= '0' && *base <= '9') ||
			              (*base >= 'a' && *base <= 'z') || (*base >= 'A' && *base <= 'Z'))
			                 ? *base
			                 : '-';
		idbuf[j] = '\0';
		char *full = xasprintf("fuzz/%s", idbuf);
		snprintf(idbuf, sizeof idbuf, "%s", full);
		free(full);
		id = idbuf;
	}
	fprintf(f, "scenario  %s\n", id);
	fprintf(f, "target    server\n");
	fprintf(f, "summary   transition_server input replayed: bytes sent around STARTTLS must not run inside TLS\n");
	fprintf(f, "catalog   S-08, F-03\n");
	fprintf(f, "ref       RFC 3207 4.2, 6; CVE-2011-0411\n");
	fprintf(f, "severity  critical\n");
	fprintf(f, "keywords  starttls injection fuzz\n\n");
	fprintf(f, "# generated by fuzz-to-scenario from %zu bytes (mode 0x%02x, %zu segments)\n",
	        data.len, mode, nseg);

	/* The correct session: the input's options, no planted flaw. */
	void *s = STARK_VENDOR.session_new(buf, 1);
	struct stark_vendor_out out = {{0}};
	size_t off = 0;
	enum stark_vendor_action a = STARK_VENDOR.greeting(s, &out);
	fprintf(f, "expect reply any\n");
	count_replies(&out.b, &off);
	size_t next = 0;
	int level = 0;
	bool in_tls = false;
	while (a == STARK_V_CONTINUE && next < nseg) {
		size_t i = next++;
		if (seg[i].n == 0)
			continue;
		indent(f, level);
		fputs("send   ", f);
		scn_string(f, seg[i].p, seg[i].n);
		fputc('\n', f);
		a = STARK_VENDOR.input(s, seg[i].p, seg[i].n, &out);
		size_t n = count_replies(&out.b, &off);
		if (a == STARK_V_STARTTLS && !in_tls) {
			/* replies before the 220, then the S-08 checks */
			expect_n(f, level, n - 1);
			indent(f, level);
			fputs("alt {\n", f);
			indent(f, level + 1);
			fputs("expect reply 220 alone\n", f);
			indent(f, level + 1);
			fputs("tls", f);
			if ((mode & 3) == 1)
				fputs(" version 1.2", f);
			else if ((mode & 3) == 2)
				fputs(" version 1.3", f);
			if ((mode & 4) && next < nseg && seg[next].n > 0) {
				fputs(" glue ", f);
				scn_string(f, seg[next].p, seg[next].n);
			}
			if (mode & 4)
				next++;
			fputc('\n', f);
			indent(f, level + 1);
			fputs("alt {\n", f);
			indent(f, level + 2);
			fputs("expect tls fail\n", f);
			indent(f, level + 1);
			fputs("} or {\n", f);
			indent(f, level + 2);
			fputs("expect tls ok\n", f);
			level += 2;
			in_tls = true;
			a = STARK_VENDOR.tls_started(s, &out);
			count_replies(&out.b, &off);
			continue;
		}
		expect_n(f, level, n);
	}
	if (a == STARK_V_CLOSE && !in_tls) {
		indent(f, level);
		fputs("expect close\n", f);
	} else if (a == STARK_V_CLOSE) {
		expect_or_extra_reply(f, level, "expect close");
	} else if (in_tls && a == STARK_V_CONTINUE) {
		/* S-08's sentinel: one reply too many shows up as a non-221 here */
		indent(f, level);
		fputs("send   \"QUIT\\r\\n\"\n", f);
		expect_or_extra_reply(f, level, "expect reply 221");
	}
	if (in_tls) {
		level -= 2;
		indent(f, level + 1);
		fputs("}\n", f);
		indent(f, level);
		fputs("} or {\n", f);
		indent(f, level + 1);
		fputs("expect reply 4xx|5xx\n", f);
		indent(f, level);
		fputs("} or {\n", f);
		indent(f, level + 1);
		fputs("expect reply 220\n", f);
		indent(f, level + 1);
		fputs("fail   \"answered the input pipelined behind STARTTLS in plaintext, together with "
		      "the 220\"\n",
		      f);
		indent(f, level);
		fputs("}\n", f);
	}
	STARK_VENDOR.session_free(s);
	buf_free(&out.b);
	buf_free(&data);
	if (outpath)
		fclose(f);
	return 0;
}

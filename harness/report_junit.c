/* SPDX-License-Identifier: MIT */
/*
 * report_junit: junit.xml for CI (one <testsuite> for the run's role, one
 * <testcase> per result). Public: report_junit(). Mapping: FAIL and XPASS
 * are <failure>, ERROR is <error>, SKIP, XFAIL and INCONCLUSIVE <skipped>;
 * the transcript goes to <system-out>. Invariant: well-formed XML 1.0 for
 * any input (every string goes through report_escape_xml*).
 */
#include <stdlib.h>
#include <string.h>

#include "report_junit.h"
#include "report_escape.h"
#include "report_view.h"

static void attr(struct buf *b, const char *name, const char *val)
{
	buf_appendf(b, " %s=\"", name);
	report_escape_xml(b, (const uint8_t *)val, strlen(val));
	buf_append(b, "\"", 1);
}

static void attr_secs(struct buf *b, const char *name, int64_t ms)
{
	buf_appendf(b, " %s=\"", name);
	report_view_secs(b, ms < 0 ? 0 : ms);
	buf_append(b, "\"", 1);
}

/* The <failure>/<error>/<skipped> child, or nothing for PASS. */
static void outcome(struct buf *b, const struct result *r)
{
	struct buf msg = {0};
	const char *elem = NULL, *type = NULL;

	switch (r->verdict) {
	case V_PASS:
	case V_WARN: /* a finding that does not fail the run: text in <system-out> */
	default:
		return;
	case V_FAIL:
		elem = "failure", type = "fail";
		report_view_reason(&msg, r);
		break;
	case V_XPASS:
		elem = "failure", type = "xpass";
		report_view_reason(&msg, r);
		break;
	case V_ERROR:
		elem = "error", type = "error";
		report_view_reason(&msg, r);
		break;
	case V_SKIP:
		elem = "skipped";
		report_view_reason(&msg, r);
		break;
	case V_XFAIL:
		elem = "skipped";
		buf_appendf(&msg, "expected failure: %s", report_view_str(r->reason));
		if (r->xfail_reason != NULL && *r->xfail_reason)
			buf_appendf(&msg, " [xfail: %s]", r->xfail_reason);
		break;
	case V_INCONCLUSIVE:
		elem = "skipped";
		buf_appendf(&msg, "inconclusive: %s", report_view_str(r->reason));
		break;
	}
	buf_appendf(b, "      <%s", elem);
	attr(b, "message", buf_cstr(&msg));
	if (type != NULL)
		attr(b, "type", type);
	buf_appendf(b, "/>\n");
	buf_free(&msg);
}

static void system_out(struct buf *b, const struct result *r)
{
	struct buf text = {0};
	/* JUnit has no warning outcome; a failure would fail CI where stark's
	 * exit status does not, so WARN is a passing case that says it first. */
	if (r->verdict == V_WARN) {
		buf_appendf(&text, "WARN: ");
		report_view_reason(&text, r);
		buf_append(&text, "\n", 1);
	}
	for (size_t i = 0; i < r->tr.n; i++) {
		report_view_event_line(&text, &r->tr.ev[i], 0);
		buf_append(&text, "\n", 1);
	}
	if (r->tr.dropped > 0)
		buf_appendf(&text, "(transcript cap reached: %zu bytes not stored)\n", r->tr.dropped);
	if (r->has_tls) {
		buf_appendf(&text, "TLS: ");
		report_view_tls_brief(&text, &r->tls);
		buf_append(&text, "\n", 1);
	}
	if (r->has_trigger) {
		buf_appendf(&text, "trigger exit status: %d\n", r->trigger_status);
		if (r->trigger_output != NULL) {
			buf_appendf(&text, "trigger output:\n");
			report_escape_sanitize(&text, (const uint8_t *)r->trigger_output,
			                       strlen(r->trigger_output), true);
			if (text.len > 0 && text.data[text.len - 1] != '\n')
				buf_append(&text, "\n", 1);
		}
	}
	if (text.len > 0) {
		buf_appendf(b, "      <system-out>");
		report_escape_xml_text(b, text.data, text.len);
		buf_appendf(b, "</system-out>\n");
	}
	buf_free(&text);
}

int report_junit(const struct run *run, FILE *f)
{
	size_t c[V__COUNT];
	struct buf b = {0};
	char ts[32];

	run_summary(run, c);
	size_t failures = c[V_FAIL] + c[V_XPASS];
	size_t skipped = c[V_SKIP] + c[V_XFAIL] + c[V_INCONCLUSIVE];
	char *suite = xasprintf("stark.%s", report_view_str(run->role));

	buf_appendf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	attr(&b, "name", "stark");
	buf_appendf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", run->n,
	            failures, c[V_ERROR], skipped);
	attr_secs(&b, "time", run->elapsed_ms);
	buf_appendf(&b, ">\n  <testsuite");
	attr(&b, "name", suite);
	buf_appendf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", run->n,
	            failures, c[V_ERROR], skipped);
	attr_secs(&b, "time", run->elapsed_ms);
	iso8601_ms(run->started_ms, ts);
	attr(&b, "timestamp", ts);
	buf_appendf(&b, ">\n");

	/* The run's parameters, so a CI page says what was tested and how. */
	buf_appendf(&b, "    <properties>\n");
	buf_appendf(&b, "      <property name=\"target\"");
	attr(&b, "value", report_view_str(run->target));
	buf_appendf(&b, "/>\n      <property name=\"profile\"");
	attr(&b, "value", report_view_str(run->profile));
	buf_appendf(&b, "/>\n      <property name=\"tool_version\"");
	attr(&b, "value", report_view_str(run->tool_version));
	buf_appendf(&b, "/>\n      <property name=\"interrupted\" value=\"%s\"/>\n",
	            run->interrupted ? "true" : "false");
	if (run->has_tls) {
		struct buf tls = {0};
		report_view_tls_brief(&tls, &run->tls);
		buf_appendf(&b, "      <property name=\"target_tls\"");
		attr(&b, "value", buf_cstr(&tls));
		buf_appendf(&b, "/>\n");
		buf_free(&tls);
	}
	buf_appendf(&b, "    </properties>\n");

	for (size_t i = 0; i < run->n; i++) {
		const struct result *r = &run->results[i];
		buf_appendf(&b, "    <testcase");
		/* stark scan: one class per node, so CI groups a fleet's cases */
		if (r->node) {
			char *cls = xasprintf("%s.%s", suite, r->node);
			attr(&b, "classname", cls);
			free(cls);
		} else {
			attr(&b, "classname", suite);
		}
		attr(&b, "name", report_view_str(r->id));
		attr_secs(&b, "time", r->elapsed_ms);
		attr(&b, "file", report_view_str(r->file));
		if (r->line > 0)
			buf_appendf(&b, " line=\"%d\"", r->line);
		buf_appendf(&b, ">\n");
		outcome(&b, r);
		system_out(&b, r);
		buf_appendf(&b, "    </testcase>\n");
		/* Flush per case: a long run's XML is not held twice in memory. */
		fwrite(b.data, 1, b.len, f);
		buf_reset(&b);
	}
	buf_appendf(&b, "  </testsuite>\n</testsuites>\n");
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
	free(suite);
	return ferror(f) ? -1 : 0;
}

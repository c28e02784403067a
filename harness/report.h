/* SPDX-License-Identifier: MIT */
/*
 * report: writers for one run, every format a view of the same results.
 * results.json is canonical (schema in reports/README.md); junit.xml,
 * summary.md and index.html are derived. Escaping helpers are public so
 * they can be fuzzed. Never decides a verdict.
 */
#ifndef STARK_REPORT_H
#define STARK_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "util.h"

/* Write results.json, junit.xml, summary.md, index.html into dir (created if
 * missing). Each file is written to a temporary name and renamed, so a
 * reader never sees half a report. 0 ok, -1 with err filled. */
int report_write_all(const struct run *run, const char *dir, char *err, size_t errlen);

/* Single formats, to a stream (used by report_write_all and the tests). */
int report_json(const struct run *run, FILE *f);
int report_junit(const struct run *run, FILE *f);
int report_markdown(const struct run *run, FILE *f);
int report_html(const struct run *run, FILE *f);

/* Escapers: bytes in, escaped text appended to out. */
void report_escape_xml(struct buf *out, const uint8_t *p, size_t n);  /* XML 1.0 text/attr; invalid chars as \xHH */
void report_escape_html(struct buf *out, const uint8_t *p, size_t n);
void report_escape_md(struct buf *out, const uint8_t *p, size_t n);   /* inside a table cell */

/* The terminal summary printed after a run (facts first, then counts). */
void report_terminal(const struct run *run, const char *dir, FILE *f);

#endif

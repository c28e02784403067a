/* SPDX-License-Identifier: MIT */
/*
 * report_html: index.html, the audit report, and fleet.html, the per-node
 * page of a scan of several nodes; self-contained pages.
 * Called by report_write_all and the tests.
 */
#ifndef STARK_REPORT_HTML_H
#define STARK_REPORT_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

/* Writes index.html for run to f. 0 ok, -1 on a write error. */
int report_html(const struct run *run, FILE *f);
/* fleet.html is written for a scan of two nodes or more. */
bool report_html_fleet_wanted(const struct run *run);
/* Writes fleet.html for run to f. 0 ok, -1 on a write error. */
int report_html_fleet(const struct run *run, FILE *f);

#endif

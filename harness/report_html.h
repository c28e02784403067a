/* SPDX-License-Identifier: MIT */
/*
 * report_html: index.html, one self-contained page.
 * Called by report_write_all and the tests.
 */
#ifndef STARK_REPORT_HTML_H
#define STARK_REPORT_HTML_H

#include <stdio.h>

#include "run.h"

/* Writes index.html for run to f. 0 ok, -1 on a write error. */
int report_html(const struct run *run, FILE *f);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * datadir: where stark's data files (the scenario suites, the pending
 * catalog list) are when no path is given. Looked up from the running
 * binary (/proc/self/exe), never from the working directory nor a path
 * compiled in: next to the binary in a build tree (a CMakeCache.txt beside
 * it; CMake links scenarios/ and catalog-pending.tsv there), else
 * <bindir>/STARK_DATADIR_REL (the install's <prefix>/share/stark, relative to
 * <prefix>/bin, so an install can move). Reads the file system only.
 */
#ifndef STARK_DATADIR_H
#define STARK_DATADIR_H

#include <stddef.h>

/* The path of rel (e.g. "scenarios/server") in stark's data directory: the
 * first place that has it. NULL when none does, with err naming every place
 * tried and why each was not taken. The result is the caller's to free. */
char *datadir_find(const char *rel, char *err, size_t errlen);

#endif

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README command 1: install what is missing, build if needed, run stark's
# main job against its embedded reference target. Extra arguments go to
# `stark demo` (e.g. --out DIR, -j N).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/stark" ] || [ -n "$(find harness CMakeLists.txt -newer "$BUILD/stark" -print -quit)" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j2 --target stark >/dev/null
fi
exec "$BUILD/stark" demo "$@"

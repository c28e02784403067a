#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs CMD inside the namespaces and root of the smtpd of an instance made
# by opensmtpd/instance.bash (where its control socket is): the CMD_PREFIX
# of opensmtpd/trigger.sh for that instance. Fails while the daemon is not
# up (no INSTANCE_DIR/pid1 yet).
# usage: in-instance.sh INSTANCE_DIR CMD [ARG...]   (INSTANCE_DIR: the host path)
set -u
dir=${1:?usage: in-instance.sh INSTANCE_DIR CMD [ARG...]}
shift
[ -s "$dir/pid1" ] || exit 1
exec nsenter -t "$(cat "$dir/pid1")" -m -p -r -w "$@"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# exim4 -C CONFIG ARG... inside the Debian root of an instance made by
# exim/instance.bash (its /etc/hosts, and resolv.conf when it has one,
# bind-mounted from the instance directory): the EXIM_COMMAND of exim/trigger.sh for that instance.
# usage: exim-in-root.sh INSTANCE_DIR ARG...   (INSTANCE_DIR: the host path)
set -u
dir=${1:?usage: exim-in-root.sh INSTANCE_DIR ARG...}
shift
# shellcheck source=bench/mta-root.sh
. "$(dirname "$0")/../../../../bench/mta-root.sh"
root=${dir%/srv/*}
idir=/srv/${dir##*/}
binds="$idir/hosts:/etc/hosts"
# an instance with a resolver of its own (mode dane): its resolv.conf
[ -e "$dir/resolv.conf" ] && binds+=" $idir/resolv.conf:/etc/resolv.conf"
MTA_ROOT_HOSTNAME=client.stark.test MTA_ROOT_BIND="$binds" \
	mta_root_run "$root" exim4 -C "$idir/exim.conf" "$@"

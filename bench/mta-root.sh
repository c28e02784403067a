#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2016,SC2034
# (SC2016: mmdebstrap hooks expand $1 themselves; SC2034: MTA_ROOT_PID is
# output to the caller)
#
# mta-root.sh: cached, minimal Debian 12 (bookworm) roots for MTAs that
# cannot be installed beside the host's Postfix (Debian allows one
# mail-transport-agent per system). bench/exim-instance.sh and
# bench/opensmtpd-instance.sh run their daemon inside one; see
# docs/mta-roots.md.
#
# Source it, then:
#
#   mta_root_ensure NAME PACKAGE...   build MTA_ROOT_CACHE/NAME unless it is
#                                     there with the same recipe; print its
#                                     path. PACKAGE/SUITE (e.g.
#                                     opensmtpd/bookworm-backports) adds SUITE
#                                     to the root's sources and installs that
#                                     package with apt-get -t SUITE.
#   mta_root_preset NAME              the package list of a known root
#                                     (exim, opensmtpd, sendmail), one per line
#   mta_root_run ROOT CMD [ARG...]    run CMD inside ROOT (see below)
#
# or run it: bench/mta-root.sh [NAME...]  (default: every preset) builds
# the preset roots and prints their paths; bench/mta-root.sh --remove NAME...
# deletes them.
#
# Knobs: MTA_ROOT_CACHE (default /var/cache/stark/roots),
# MTA_ROOT_BUILD_TIMEOUT (seconds for one mmdebstrap run, default 1200),
# MTA_ROOT_LOCK_TIMEOUT (seconds to wait for another build of the same root,
# default MTA_ROOT_BUILD_TIMEOUT + 60), MTA_ROOT_MIRROR (Debian archive URI;
# default: the one in the host's own apt sources), MTA_ROOT_SECURITY_MIRROR
# (likewise for bookworm-security; "none" leaves it out).
#
# Build: mmdebstrap --mode=root --variant=minbase into NAME.new, then an
# atomic rename; the log stays in MTA_ROOT_CACHE/NAME.log. The recipe (suite,
# packages, this file's recipe version) is stamped into NAME/.stark-root; a
# root whose stamp differs is rebuilt. Nothing is ever left mounted: mmdebstrap
# unmounts what it mounted, and mta_root_run mounts /proc only inside a
# private mount namespace that dies with the command.
#
# Inside every root: /usr/sbin/policy-rc.d refuses to start services (a
# package's postinst could otherwise start a daemon on the host's network:
# a chroot shares the network namespace), and /etc/resolv.conf names
# 127.0.0.1 only, so a lookup the MTA configuration failed to switch off
# fails at once instead of leaving the machine.

MTA_ROOT_CACHE=${MTA_ROOT_CACHE:-/var/cache/stark/roots}
MTA_ROOT_SUITE=bookworm
# bump when the build recipe below changes: cached roots are rebuilt
MTA_ROOT_RECIPE=2

mta_root_preset()
{
	case $1 in
	exim) echo exim4-daemon-light ;;
	# 6.8 in bookworm cannot finish a TLS handshake with OpenSSL 3
	# ca-certificates: smtpd loads the default CA file at start-up
	opensmtpd) printf '%s\n' ca-certificates opensmtpd/bookworm-backports ;;
	# sendmail-cf: the m4 macros bench/sendmail-instance.sh builds its .cf with
	sendmail) printf '%s\n' sendmail-bin sendmail-cf m4 ;;
	*)
		echo "mta_root_preset: unknown root '$1' (exim, opensmtpd, sendmail)" >&2
		return 1
		;;
	esac
}

# "MAIN SECURITY": the Debian archive URIs of the host's own apt sources
# (deb822 *.sources and one-line *.list), for suite bookworm (or stable)
# and bookworm-security. MTA_ROOT_MIRROR / MTA_ROOT_SECURITY_MIRROR win.
mta_root__mirrors()
{
	python3 - "${MTA_ROOT_MIRROR:-}" "${MTA_ROOT_SECURITY_MIRROR:-}" <<'EOF'
import glob, os, sys
want_main, want_sec = sys.argv[1], sys.argv[2]
entries = []  # (types, uris, suites, components, enabled)
def deb822(path):
    for stanza in open(path).read().split("\n\n"):
        f = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                f[key] += " " + line.strip()
                continue
            if ":" in line:
                key, _, v = line.partition(":")
                key = key.strip().lower()
                f[key] = v.strip()
        if not f:
            continue
        entries.append((f.get("types", "").split(), f.get("uris", "").split(),
                        f.get("suites", "").split(), f.get("components", "").split(),
                        f.get("enabled", "yes").lower() != "no"))
def oneline(path):
    for line in open(path):
        line = line.split("#", 1)[0].split()
        if len(line) < 3 or line[0] != "deb":
            continue
        if line[1].startswith("["):  # options
            while line and not line[0].endswith("]"):
                line.pop(0)
            line.pop(0)
            line.insert(0, "deb")
        entries.append((["deb"], [line[1]], [line[2]], line[3:], True))
for p in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    deb822(p)
for p in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    if os.path.isfile(p):
        oneline(p)
main = sec = None
for types, uris, suites, comps, enabled in entries:
    if not enabled or "deb" not in types or "main" not in comps or not uris:
        continue
    if main is None and ("bookworm" in suites or "stable" in suites):
        main = uris[0]
    if sec is None and ("bookworm-security" in suites or "stable-security" in suites):
        sec = uris[0]
main = want_main or main
sec = want_sec or sec or "none"
if not main:
    sys.exit("mta-root: no Debian 'bookworm' (or 'stable') main source in /etc/apt; set MTA_ROOT_MIRROR")
print(main.rstrip("/"), sec.rstrip("/"))
EOF
}

# Is anything mounted at or below $1? (never delete through a mount)
mta_root__mounted()
{
	local d
	d=$(realpath -m "$1")
	awk -v d="$d" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts
}

mta_root__remove()
{
	local dir=$1
	[ -e "$dir" ] || return 0
	if mta_root__mounted "$dir"; then
		echo "mta-root: refusing to delete $dir: something is mounted below it" >&2
		return 1
	fi
	rm -rf --one-file-system -- "$dir"
}

# Delete the outdated roots set aside by a rebuild (ROOT.old.*) once no
# instance in them can still be alive (all their .expires are past).
mta_root__reap_old()
{
	local old e live now
	now=$(date +%s)
	for old in "$1".old.*; do
		[ -d "$old" ] || continue
		live=0
		for e in "$old"/srv/*/.expires; do
			if [ -f "$e" ] && [ "$(cat "$e")" -ge "$now" ]; then
				live=1
			fi
		done
		[ "$live" = 1 ] || mta_root__remove "$old" || true
	done
}

mta_root_ensure()
{
	local name=$1
	shift
	local root=$MTA_ROOT_CACHE/$name new=$MTA_ROOT_CACHE/$name.new log=$MTA_ROOT_CACHE/$name.log
	local stamp plain=() extra=() suites=() p s mirrors main sec t0 rc
	local tmo=${MTA_ROOT_BUILD_TIMEOUT:-1200}
	if [ $# -eq 0 ]; then
		echo "usage: mta_root_ensure NAME PACKAGE..." >&2
		return 2
	fi
	for p in "$@"; do
		case $p in
		*/*)
			extra+=("$p")
			s=${p#*/}
			case " ${suites[*]} " in *" $s "*) ;; *) suites+=("$s") ;; esac
			;;
		*) plain+=("$p") ;;
		esac
	done
	stamp="recipe=$MTA_ROOT_RECIPE suite=$MTA_ROOT_SUITE variant=minbase packages=$*"
	if [ -f "$root/.stark-root" ] && [ "$(cat "$root/.stark-root")" = "$stamp" ]; then
		mta_root__reap_old "$root"
		echo "$root"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "mta-root: building $root needs root" >&2
		return 1
	fi
	if ! command -v mmdebstrap >/dev/null; then
		echo "mta-root: mmdebstrap is missing (apt-get install mmdebstrap)" >&2
		return 1
	fi
	mkdir -p "$MTA_ROOT_CACHE" || return 1
	# one builder per root; the others wait and then find it built
	(
		if ! flock -w "${MTA_ROOT_LOCK_TIMEOUT:-$((tmo + 60))}" 9; then
			echo "mta-root: timed out waiting for another build of $root" >&2
			exit 1
		fi
		if [ -f "$root/.stark-root" ] && [ "$(cat "$root/.stark-root")" = "$stamp" ]; then
			exit 0
		fi
		mirrors=$(mta_root__mirrors) || exit 1
		main=${mirrors% *}
		sec=${mirrors#* }
		mta_root__remove "$new" || exit 1
		local lines=("deb $main $MTA_ROOT_SUITE main" "deb $main $MTA_ROOT_SUITE-updates main")
		[ "$sec" = none ] || lines+=("deb $sec $MTA_ROOT_SUITE-security main")
		for s in "${suites[@]}"; do
			lines+=("deb $main $s main")
		done
		local hooks=()
		# packages from another suite (backports): apt-get -t SUITE, so
		# their dependencies may come from there as well
		for s in "${suites[@]}"; do
			local pk=()
			for p in "${extra[@]}"; do
				[ "${p#*/}" = "$s" ] && pk+=("${p%%/*}")
			done
			hooks+=(--customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t $s ${pk[*]}")
		done
		hooks+=(
			--customize-hook='printf "#!/bin/sh\n# stark MTA root: never start services\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"'
			--customize-hook='printf "stark-mta-root\n" >"$1/etc/hostname"'
			--customize-hook='printf "127.0.0.1\tlocalhost\n::1\tlocalhost\n" >"$1/etc/hosts"'
			# glibc reads nameserver/options; OpenSMTPD's resolver
			# (libasr) reads "lookup": /etc/hosts only
			--customize-hook='printf "# stark MTA root: no DNS beyond loopback\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\nlookup file\n" >"$1/etc/resolv.conf"'
			# bind-mount targets for per-instance files (MTA_ROOT_BIND)
			--customize-hook='printf "stark-mta-root\n" >"$1/etc/mailname"'
		)
		local incl=()
		[ ${#plain[@]} -eq 0 ] || incl=(--include="$(
			IFS=,
			echo "${plain[*]}"
		)")
		echo "mta-root: building $root ($*), log in $log" >&2
		t0=$SECONDS
		rc=0
		printf '%s\n' "${lines[@]}" |
			timeout -k 30 "$tmo" mmdebstrap --mode=root --variant=minbase --format=directory \
				--aptopt='Acquire::Languages "none"' \
				--dpkgopt='path-exclude=/usr/share/doc/*' \
				--dpkgopt='path-exclude=/usr/share/man/*' \
				--dpkgopt='path-exclude=/usr/share/locale/*' \
				"${incl[@]}" "${hooks[@]}" \
				"$MTA_ROOT_SUITE" "$new" - >"$log" 2>&1 || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "mta-root: mmdebstrap failed ($rc; 124 = timed out after ${tmo}s); last lines of $log:" >&2
			tail -n 25 "$log" >&2
			mta_root__remove "$new"
			exit 1
		fi
		printf '%s\n' "$stamp" >"$new/.stark-root"
		# an outdated root may still run an instance (its mounts are in
		# that instance's namespace, invisible here): move it aside, and
		# delete the set-aside roots no live instance uses
		if [ -e "$root" ]; then
			mv -T -- "$root" "$root.old.$$" || exit 1
		fi
		mv -T -- "$new" "$root" || exit 1
		mta_root__reap_old "$root"
		echo "mta-root: built $root in $((SECONDS - t0)) s" >&2
	) 9>"$MTA_ROOT_CACHE/.$name.lock" || return 1
	echo "$root"
}

# mta_root_run ROOT CMD [ARG...]: CMD chrooted into ROOT, in new mount, PID
# and UTS namespaces (the network namespace is the host's: 127.0.0.1 is the
# host's loopback). /proc of the new PID namespace is mounted inside ROOT in
# the private mount namespace only, so it disappears with it. CMD is PID 1
# of its namespace: when it exits, the kernel kills everything it started,
# and --kill-child kills CMD when this unshare process dies. Replaces the
# calling shell (exec): run it in a subshell or in the background.
# MTA_ROOT_HOSTNAME sets the namespace's host name (default: stark-mta-root),
# MTA_ROOT_TMPFS lists directories (inside ROOT) that get a private tmpfs
# first (DIR or DIR:MODE, default mode 0755), e.g. a daemon's fixed run and
# spool directories, so that two instances can share one root; MTA_ROOT_BIND lists SRC:DST pairs (paths
# inside ROOT, no blanks) bind-mounted next, e.g. an instance's own
# /etc/hosts. All of them exist in the private mount namespace only.
mta_root_run()
{
	local root=$1
	shift
	exec unshare --mount --propagation private --pid --uts --fork --kill-child=SIGKILL \
		--mount-proc=/proc --root="$root" --wd=/ \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		sh -c '
			hostname "$1" || exit 1
			for d in $2; do
				m=0755
				case $d in *:*) m=${d#*:} d=${d%%:*} ;; esac
				mkdir -p "$d" && mount -t tmpfs -o "mode=$m,size=64m" stark "$d" || exit 1
			done
			for b in $3; do mount --bind "${b%%:*}" "${b#*:}" || exit 1; done
			shift 3
			exec "$@"' \
		sh "${MTA_ROOT_HOSTNAME:-stark-mta-root}" "${MTA_ROOT_TMPFS:-}" "${MTA_ROOT_BIND:-}" "$@"
}

# mta_root_spawn ROOT LOG LIFETIME CMD [ARG...]: mta_root_run in the
# background, stdout and stderr to LOG (a host path), killed (SIGKILL, the
# whole namespace with it) after LIFETIME seconds even if nobody stops it,
# e.g. because the caller was SIGKILLed. Sets MTA_ROOT_PID; stop it with
# mta_root_kill "$MTA_ROOT_PID".
mta_root_spawn()
{
	local root=$1 log=$2 life=$3
	shift 3
	timeout -s KILL "$life" bash -c "$(declare -f mta_root_run); mta_root_run \"\$@\"" \
		mta_root_run "$root" "$@" </dev/null >"$log" 2>&1 &
	MTA_ROOT_PID=$!
}

# mta_root_kill PID: stop what mta_root_spawn started (SIGTERM to timeout,
# which passes it to unshare, whose death SIGKILLs the namespace's PID 1 and
# so every process in it), wait up to 5 s, then SIGKILL. Idempotent.
mta_root_kill()
{
	local pid=$1
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# mta_root_instance_dir ROOT PREFIX LIFETIME: a new per-instance directory
# ROOT/srv/PREFIX.XXXXXX (host path printed; /srv/... inside the root). It
# records when its daemon's LIFETIME ends (mta_root_spawn kills it then at
# the latest), and directories of earlier instances past that point are
# removed first: what a SIGKILLed caller could not clean up.
mta_root_instance_dir()
{
	local root=$1 prefix=$2 life=$3 d now
	now=$(date +%s)
	mkdir -p "$root/srv" || return 1
	for d in "$root/srv/$prefix".*; do
		[ -f "$d/.expires" ] || continue
		if [ "$(cat "$d/.expires")" -lt "$now" ] && ! mta_root__mounted "$d"; then
			rm -rf --one-file-system -- "$d"
		fi
	done
	d=$(mktemp -d "$root/srv/$prefix.XXXXXX") || return 1
	echo $((now + life + 60)) >"$d/.expires"
	chmod 755 "$d"
	echo "$d"
}

# A free loopback port, chosen by the kernel (another process could take it
# before the daemon binds it: callers retry).
mta_root_free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Is a 220 greeting on 127.0.0.1:$1 within about a second?
mta_root_greets()
{
	# shellcheck disable=SC2016
	timeout 2 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r -t 1 line <&3 || exit 1
		printf "QUIT\r\n" >&3
		case "$line" in 220*) exit 0 ;; *) exit 1 ;; esac
	' _ "$1" 2>/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	if [ "${1:-}" = --remove ]; then
		shift
		for n in "$@"; do
			mta_root__remove "$MTA_ROOT_CACHE/$n"
			rm -f -- "$MTA_ROOT_CACHE/$n.log" "$MTA_ROOT_CACHE/.$n.lock"
		done
		exit 0
	fi
	[ $# -gt 0 ] || set -- exim opensmtpd sendmail
	for n in "$@"; do
		mapfile -t pk < <(mta_root_preset "$n")
		[ ${#pk[@]} -gt 0 ] || exit 2
		mta_root_ensure "$n" "${pk[@]}"
	done
fi

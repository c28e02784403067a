#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peers, client role: the client suite (scenarios/client) against the
# SMTP clients of sending MTAs, each in one TLS mode, stark serve playing the
# receiving MX at a loopback address of its own on port 25
# (tests/real/mta-clients/<mta>/: instance, trigger, expected verdicts;
# docs/mta-clients.md):
#
#   mta/mode           client profile  MX address    what the MTA is told
#   postfix/may        opportunistic   127.0.25.1    smtp_tls_security_level = may
#   postfix/encrypt    require-tls     127.0.25.2    = encrypt
#   postfix/verify     require-tls     127.0.25.3    = verify, match=mx.stark.test, stark's CA
#   postfix/secure     require-tls     127.0.25.4    = secure, match=mx.stark.test, stark's CA
#   exim/default       opportunistic   127.0.26.1    smtp transport defaults
#   exim/require       require-tls     127.0.26.2    hosts_require_tls = *
#   exim/verify        require-tls     127.0.26.3    hosts_require_tls, tls_verify_hosts = *, stark's CA
#   opensmtpd/default  opportunistic   127.0.27.1    relay host smtp://mx.stark.test:25
#   opensmtpd/tls      require-tls     127.0.27.2    ... tls no-verify
#   opensmtpd/verify   require-tls     127.0.27.3    ... tls (stark's CA loaded at start-up)
#
# Each scenario is one message: the trigger queues it, has the MTA make its
# delivery attempt at once and exits 0 (delivered) or 1 (deferred or
# bounced) when the MTA's log says the attempt is over.
# Each mode's verdicts must equal tests/real/mta-clients/<mta>/<mode>.expected
# ('#' comments explain every fail); <mode>.xfail, if present, is --xfail.
#
# Nothing leaves the machine: the script runs itself in a new network
# namespace (unshare --net) whose only interface is lo, and checks that;
# the MTAs route the MX's domain to its loopback address without DNS and
# discard everything else.
#
# Which modes: STARK_MTA_CLIENTS="postfix/may exim/verify" names them;
# otherwise STARK_LONG=1 runs all but the experimental ones, and without it
# the CI set (marked ci below: postfix/verify, exim/verify), to stay inside
# the test's time budget. OpenSMTPD's modes (marked x) run only when named:
# its mta retries a message that failed with a TempFail on its own schedule,
# from memory (also after smtpctl remove), and that retry can reach the next
# scenario's listener at the same address: the next scenario then judges
# the previous message's session (seen for C-15 bare-code and C-17 after a
# 6xx and a 421). Until each scenario has an address of its own, their
# verdicts are not reliable.
#
# usage: tests/real/mta-clients.sh STARK_BINARY SOURCE_DIR
# env:   STARK_MTA_CLIENTS, STARK_LONG, STARK_REAL_KEEP=DIR (copy the reports),
#        STARK_MTA_PARALLEL=1 (the MTAs side by side, each in its own namespace)
#        STARK_MTA_CLIENTS_TIMEOUT (stark's per-step --timeout, default 3s)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
HERE=$SRC/tests/real/mta-clients
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

if [ "$(id -u)" -ne 0 ]; then
	echo "mta-clients: SKIP: needs root (MTAs, network namespace)"
	exit 77
fi
# The parent picks the modes and runs each MTA's modes in a child of its own
# network namespace (unshare --net: lo only, checked), one MTA after the
# other (STARK_MTA_PARALLEL=1: side by side).
GROUP=${STARK_MTA_GROUP:-}
if [ -n "$GROUP" ]; then
	ip link set lo up
	others=$(ip -o link show | awk -F': ' '$2 != "lo" { print $2 }')
	if [ -n "$others" ]; then
		echo "mta-clients[$GROUP]: FAIL: the network namespace has more than lo: $others" >&2
		exit 1
	fi
	echo "mta-clients[$GROUP]: network namespace with lo only ($(ip -o -4 addr show lo | awk '{ print $4 }'))"
fi

# shellcheck source=tests/real/lib/client-suite.bash
. "$SRC/tests/real/lib/client-suite.bash"

STEP_TIMEOUT=${STARK_MTA_CLIENTS_TIMEOUT:-3s}
# an MTA's queue, a daemon in its root (OpenSMTPD's first scenario waits for
# its start-up) and a loaded machine need more than stark's default 10 s to
# make the client connect, and to report the attempt's end
START_TIMEOUT=${STARK_MTA_CLIENTS_START:-30s}
RUN_TIMEOUT=900

# mta mode profile address ci
ALL_MODES="postfix may opportunistic 127.0.25.1 -
postfix encrypt require-tls 127.0.25.2 -
postfix verify require-tls 127.0.25.3 ci
postfix secure require-tls 127.0.25.4 -
exim default opportunistic 127.0.26.1 -
exim require require-tls 127.0.26.2 -
exim verify require-tls 127.0.26.3 ci
opensmtpd default opportunistic 127.0.27.1 x
opensmtpd tls require-tls 127.0.27.2 x
opensmtpd verify require-tls 127.0.27.3 x"

WORK=
INSTANCE_STOP=:
SPID=
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	$INSTANCE_STOP
	if [ -n "${STARK_REAL_KEEP:-}" ] && [ -n "$WORK" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null
	fi
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -n "$GROUP" ]; then
	WORK=${STARK_MTA_WORK:?}
	trap - EXIT # the parent owns WORK
	trap '[ -z "$SPID" ] || kill -TERM "$SPID" 2>/dev/null; $INSTANCE_STOP; exit 130' INT
	trap '[ -z "$SPID" ] || kill -TERM "$SPID" 2>/dev/null; $INSTANCE_STOP; exit 143' TERM
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-mta-clients.XXXXXX")
fi

# shellcheck source=tests/real/mta-clients/postfix/instance.bash
. "$HERE/postfix/instance.bash"
# shellcheck source=tests/real/mta-clients/exim/instance.bash
. "$HERE/exim/instance.bash"
# shellcheck source=tests/real/mta-clients/opensmtpd/instance.bash
. "$HERE/opensmtpd/instance.bash"

# start_mta MTA MODE ADDR: start the instance (OpenSMTPD: prepare it only,
# see start_late); sets TRIGGER and LOGTAIL
start_mta()
{
	LATE=
	case $1 in
	postfix)
		INSTANCE_STOP=pfc_stop
		pfc_start "$STARK" "$2" "$3" || return 1
		TRIGGER="'$HERE/postfix/trigger.sh' '$PFC_CONF'"
		LOGTAIL=pfc_log_tail
		;;
	exim)
		INSTANCE_STOP=exc_stop
		exc_start "$STARK" "$2" "$3" || return 1
		TRIGGER="'$HERE/exim/trigger.sh' '$EXC_LOG' '$EXC_CA' '$HERE/exim/exim-in-root.sh' '$EXC_DIR'"
		LOGTAIL=exc_log_tail
		;;
	opensmtpd)
		INSTANCE_STOP=osc_stop
		osc_prepare "$STARK" "$2" "$3" || return 1
		TRIGGER="STARK_MTA_PURGE=1 RCPTS='$(osc_rcpts)' SOURCES='$(osc_sources)' RCPT_STATE='$OSC_DIR/rcpt-state' '$HERE/opensmtpd/trigger.sh' '$OSC_LOG' '$HERE/opensmtpd/in-instance.sh' '$OSC_DIR'"
		LOGTAIL=osc_log_tail
		LATE=osc_start
		;;
	*) return 1 ;;
	esac
}

selected=${STARK_MTA_CLIENTS:-}
HDR="$(printf '%-18s %-14s %5s %5s %5s %5s %5s %5s %5s %8s  %s' mta/mode profile pass fail xfail xpass skip error incon ms result)"

# row NAME PROFILE TEXT...: a line of the table (into $WORK/rows.MTA)
row()
{
	local name=$1 profile=$2
	shift 2
	printf '%-18s %-14s %s\n' "$name" "$profile" "$*" >>"$WORK/rows.${name%%/*}"
}

# run_mode MTA MODE PROFILE ADDR: one mode, start to stop; its output goes to
# $WORK/log.MTA, its table row to $WORK/rows.MTA; status 1 on a difference
run_mode()
{
	local mta=$1 mode=$2 profile=$3 addr=$4 name=$1/$2 expected out t0 ms rc spid result
	expected=$HERE/$mta/$mode.expected
	if [ ! -f "$expected" ]; then
		echo "mta-clients[$name]: FAIL: no $expected"
		row "$name" "$profile" "no expected file"
		return 1
	fi
	local xfail=()
	[ -f "$HERE/$mta/$mode.xfail" ] && xfail=(--xfail "$HERE/$mta/$mode.xfail")
	out=$WORK/$mta-$mode
	t0=$(date +%s%N)
	if ! start_mta "$mta" "$mode" "$addr"; then
		echo "mta-clients[$name]: FAIL: the MTA did not start"
		row "$name" "$profile" "MTA did not start"
		$INSTANCE_STOP
		INSTANCE_STOP=:
		return 1
	fi
	rc=0
	timeout -k 5 "$RUN_TIMEOUT" "$STARK" serve --listen "$addr:25" --servername mx.stark.test \
		--trigger "$TRIGGER" --client-profile "$profile" \
		--scenarios "$SRC/scenarios/client" --timeout "$STEP_TIMEOUT" \
		--start-timeout "$START_TIMEOUT" -q --out "$out" "${xfail[@]}" &
	spid=$!
	SPID=$spid
	# An MTA that reads its trust anchors once at start-up (OpenSMTPD)
	# starts when stark has written its CA (before the first scenario);
	# the trigger waits for the daemon.
	if [ -n "$LATE" ]; then
		for _ in $(seq 300); do
			[ -s "$out/stark-ca.pem" ] || ! kill -0 "$spid" 2>/dev/null && break
			sleep 0.1
		done
		if [ ! -s "$out/stark-ca.pem" ] || ! $LATE "$out/stark-ca.pem"; then
			echo "mta-clients[$name]: the MTA did not start after stark's CA was written"
			kill "$spid" 2>/dev/null
		fi
	fi
	wait "$spid" || rc=$?
	SPID=
	ms=$((($(date +%s%N) - t0) / 1000000))
	result=0
	if [ "$rc" -ge 124 ] || [ ! -f "$out/results.json" ]; then
		echo "mta-clients[$name]: FAIL: stark exited $rc without a report (timeout ${RUN_TIMEOUT}s?)"
		$LOGTAIL 30
		row "$name" "$profile" "no report (exit $rc)"
		result=1
	else
		local verdict=ok p f xf xp s e i
		if ! diff -u --label "expected ($mta/$mode.expected)" --label "actual ($name, --client-profile $profile)" \
			<(csuite_expected_lines "$expected") <(csuite_report_lines "$out/results.json" | sort) \
			>"$WORK/$mta-$mode.diff"; then
			verdict=DIFF
			result=1
			echo "mta-clients[$name]: FAIL: verdicts differ from $expected (- expected, + actual):"
			cat "$WORK/$mta-$mode.diff"
			echo "mta-clients[$name]: details:"
			csuite_explain "$out/results.json" "$expected"
			echo "mta-clients[$name]: the MTA's log:"
			$LOGTAIL 40
		fi
		read -r p f xf xp s e i < <(csuite_counts "$out/results.json")
		row "$name" "$profile" "$(printf '%5s %5s %5s %5s %5s %5s %5s %8s  %s' \
			"$p" "$f" "$xf" "$xp" "$s" "$e" "$i" "$ms" "$verdict")"
	fi
	$INSTANCE_STOP
	INSTANCE_STOP=:
	return "$result"
}

# A child: this MTA's modes, one after the other.
if [ -n "$GROUP" ]; then
	st=0
	while read -r mode profile addr; do
		[ -n "$mode" ] || continue
		run_mode "$GROUP" "$mode" "$profile" "$addr" || st=1
	done <<<"${STARK_MTA_TODO:-}"
	exit "$st"
fi

# The parent: which modes, then one child per MTA.
declare -A todo=()
while read -r mta mode profile addr ci; do
	if [ -n "$selected" ]; then
		grep -qw -- "$mta/$mode" <<<"$selected" || continue
	elif [ "$ci" = x ] || { [ "${STARK_LONG:-0}" != 1 ] && [ "$ci" != ci ]; }; then
		continue
	fi
	todo[$mta]+="$mode $profile $addr"$'\n'
done <<<"$ALL_MODES"
if [ ${#todo[@]} -eq 0 ]; then
	echo "mta-clients: no mode selected (STARK_MTA_CLIENTS='$selected')" >&2
	exit 1
fi
pids=()
failed=0
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 143' TERM
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 130' INT
for mta in postfix exim opensmtpd; do
	[ -n "${todo[$mta]:-}" ] || continue
	STARK_MTA_GROUP=$mta STARK_MTA_WORK=$WORK STARK_MTA_TODO=${todo[$mta]} \
		unshare --net "$0" "$@" >"$WORK/log.$mta" 2>&1 &
	# one MTA at a time unless told otherwise: on a loaded machine each
	# MTA's own latency must stay inside stark's deadlines
	if [ "${STARK_MTA_PARALLEL:-0}" = 1 ]; then
		pids+=($!)
	else
		pids=($!)
		wait "$!" || failed=1
		pids=()
	fi
done
for pid in "${pids[@]}"; do
	wait "$pid" || failed=1
done
for mta in postfix exim opensmtpd; do
	[ -f "$WORK/log.$mta" ] && cat "$WORK/log.$mta"
done
echo
echo "$HDR"
cat "$WORK"/rows.* 2>/dev/null
echo
if [ "$failed" -ne 0 ]; then
	echo "mta-clients: FAIL"
	exit 1
fi
echo "mta-clients: PASS (every verdict as expected; fail lines are explained in tests/real/mta-clients/*/*.expected)"

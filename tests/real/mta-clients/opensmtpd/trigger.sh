#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The --trigger of stark serve for OpenSMTPD's mta: enqueues one message
# (OpenSMTPD's sendmail, through the daemon's control socket), schedules the
# queue at once (smtpctl schedule all: no retry timer), and exits with what
# the mta did, read from smtpd's log ("mta delivery evpid=... from=<the
# unique sender of this message> ... result=Ok|TempFail|PermFail"):
#
#   0  delivered (result="Ok")
#   1  not delivered (TempFail: the envelope is then removed with smtpctl
#      remove so that nothing retries it later; PermFail)
#   3  could not enqueue
#   4  no result within STARK_MTA_WAIT seconds (default 60), or no daemon
#
# It owns one message per run, never the configuration or the daemon.
#
# usage (as stark serve --trigger): trigger.sh SMTPD_LOG CMD_PREFIX...
#   SMTPD_LOG   smtpd's log (smtpd -d -v output; a host path)
#   CMD_PREFIX  how to run a command where smtpd's control socket is, e.g.
#               env (OpenSMTPD on this host), or opensmtpd/in-instance.sh DIR
# env: RCPT (default stark@mx.stark.test), or RCPTS="a@x b@y ..." and
#      RCPT_STATE=FILE: the recipients taken in turn, the next index kept in
#      FILE (opensmtpd/instance.bash: one relay per recipient domain, so that
#      no scenario meets the session or route state an earlier one left);
#      SOURCES="a.b.c.d ...": the source address of each of those relays: a
#      failed session is over when smtpd logs "Disabling route SOURCE <-> ..."
#      (the envelope's TempFail comes only once the relay gives up, 15 s or
#      more later, after stark's scenario);
#      STARK_MTA_WAIT (default 60);
#      STARK_MTA_PURGE=1: first remove every envelope still queued (only for
#      a dedicated test instance: a trigger that stark killed leaves its
#      message queued, and "smtpctl schedule all" would retry it during the
#      next scenario)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
log=${1:?usage: trigger.sh SMTPD_LOG CMD_PREFIX...}
shift
[ $# -gt 0 ] || { echo "trigger: no CMD_PREFIX" >&2; exit 3; }
rcpt=${RCPT:-stark@mx.stark.test}
src=
if [ -n "${RCPTS:-}" ] && [ -n "${RCPT_STATE:-}" ]; then
	read -r -a all <<<"$RCPTS"
	i=$(cat "$RCPT_STATE" 2>/dev/null || echo 0)
	case $i in '' | *[!0-9]*) i=0 ;; esac
	rcpt=${all[$((i % ${#all[@]}))]}
	if [ -n "${SOURCES:-}" ]; then
		read -r -a srcs <<<"$SOURCES"
		src=${srcs[$((i % ${#srcs[@]}))]:-}
	fi
	# replaced, never truncated: a reader never sees it empty
	echo $(((i + 1) % ${#all[@]})) >"$RCPT_STATE.$$" && mv "$RCPT_STATE.$$" "$RCPT_STATE"
fi
wait_s=${STARK_MTA_WAIT:-60}
deadline=$(($(date +%s) + wait_s))
# the daemon may still be starting (verify: it starts once stark's CA exists)
until "$@" smtpctl show status >/dev/null 2>&1; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "trigger: smtpd does not answer on its control socket" >&2
		exit 4
	fi
	sleep 0.1
done
if [ "${STARK_MTA_PURGE:-0}" = 1 ]; then
	"$@" smtpctl remove all >/dev/null 2>&1
fi
from0=1
[ -f "$log" ] && from0=$(($(wc -l <"$log") + 1))
tag=$(printf '%s' "${STARK_SCENARIO:-manual}" | tr -c 'A-Za-z0-9.-' '.')
sender="sender+$tag.$$.$(date +%s%N)@client.stark.test"
printf 'From: <sender@client.stark.test>\nTo: <%s>\nSubject: stark %s\n\nTest message from tests/real/mta-clients (OpenSMTPD).\n' \
	"$rcpt" "${STARK_SCENARIO:-}" |
	"$@" sendmail -f "$sender" -- "$rcpt" || {
	echo "trigger: sendmail failed" >&2
	exit 3
}
"$@" smtpctl schedule all >/dev/null 2>&1
result=
while [ "$(date +%s)" -lt "$deadline" ]; do
	result=$(tail -n +"$from0" "$log" | grep -F " mta delivery " | grep -F "from=<$sender>" |
		grep -E ' result="(Ok|TempFail|PermFail|Loop)"' | head -n 1)
	[ -n "$result" ] && break
	if [ -n "$src" ]; then
		result=$(tail -n +"$from0" "$log" | grep -F "smtp-out: Disabling route $src <-> " | head -n 1)
		[ -n "$result" ] && break
	fi
	sleep 0.05
done
if [ -z "$result" ]; then
	echo "trigger: no delivery result within ${wait_s}s; log:" >&2
	tail -n +"$from0" "$log" | tail -n 20 >&2
	exit 4
fi
echo "opensmtpd: $result"
tail -n +"$from0" "$log" | grep -E ' mta (error|tls|cert-check) ' | head -n 5 | sed 's/^/opensmtpd: /'
case $result in
*"Disabling route"*) exit 1 ;; # the session failed; nothing was delivered
*'result="Ok"'*) exit 0 ;;
*'result="TempFail"'*)
	evp=$(printf '%s' "$result" | sed -n 's/.* evpid=\([0-9a-f]*\) .*/\1/p')
	[ -n "$evp" ] && "$@" smtpctl remove "$evp" >/dev/null 2>&1
	# After a TempFail the mta may already be reconnecting for this message
	# (seen 1-2 s later). stark's listener is closed now, so that retry is
	# refused and the route disabled; wait for that (at most 5 s) so that
	# the retry cannot reach the next scenario's listener.
	if [ -n "$src" ]; then
		until2=$(($(date +%s) + 5))
		while [ "$(date +%s)" -lt "$until2" ]; do
			tail -n +"$from0" "$log" | grep -qF "smtp-out: Disabling route $src <-> " && break
			sleep 0.05
		done
	fi
	exit 1
	;;
*) exit 1 ;;
esac

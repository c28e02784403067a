#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The --trigger of stark serve for Exim's smtp transport: queues one message
# (exim -odq), runs its delivery attempt now (exim -M ID, in the foreground:
# it returns when the attempt is over) and exits with what Exim did, read from
# its mainlog:
#
#   0  delivered ("ID => ...")
#   1  not delivered ("ID == ..." deferred: the message is then removed with
#      exim -Mrm so that nothing retries it later; "ID ** ..." failed)
#   3  could not queue the message
#   4  no result in the log after the attempt (or within STARK_MTA_WAIT s)
#
# It owns one message per run: it never changes the configuration, never
# waits for a retry timer and never sleeps on a guess.
#
# usage (as stark serve --trigger): trigger.sh MAINLOG CA_FILE EXIM_COMMAND...
#   MAINLOG       Exim's mainlog (a host path)
#   CA_FILE       where the configuration's tls_verify_certificates points
#                 (a host path; STARK_CA is copied there when it differs), or -
#   EXIM_COMMAND  how to call Exim with the configuration under test, e.g.
#                 exim4 -C /etc/exim4/exim4.conf, or exim/exim-in-root.sh DIR
# env: RCPT (default stark@mx.stark.test), STARK_MTA_WAIT (default 60)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
log=${1:?usage: trigger.sh MAINLOG CA_FILE EXIM_COMMAND...}
cafile=${2:?}
shift 2
[ $# -gt 0 ] || { echo "trigger: no EXIM_COMMAND" >&2; exit 3; }
rcpt=${RCPT:-stark@mx.stark.test}
wait_s=${STARK_MTA_WAIT:-60}
if [ "$cafile" != - ] && [ -n "${STARK_CA:-}" ] && ! cmp -s "$STARK_CA" "$cafile"; then
	cp "$STARK_CA" "$cafile.new" && chmod 644 "$cafile.new" && mv "$cafile.new" "$cafile"
fi
from0=1
[ -f "$log" ] && from0=$(($(wc -l <"$log") + 1))
tag=$(printf '%s' "${STARK_SCENARIO:-manual}" | tr -c 'A-Za-z0-9.-' '.')
msgid="$tag.$$.$(date +%s%N)@client.stark.test"
printf 'From: <sender@client.stark.test>\nTo: <%s>\nSubject: stark %s\nMessage-ID: <%s>\n\nTest message from tests/real/mta-clients (Exim).\n' \
	"$rcpt" "${STARK_SCENARIO:-}" "$msgid" |
	"$@" -odq -f sender@client.stark.test -- "$rcpt" || {
	echo "trigger: exim -odq failed" >&2
	exit 3
}
# "<ID> <= sender@... id=<msgid>" names the message's Exim ID
id=$(tail -n +"$from0" "$log" 2>/dev/null | grep -F " id=$msgid" | awk '$4 == "<=" { print $3; exit }')
if [ -z "$id" ]; then
	echo "trigger: the message is not in $log" >&2
	tail -n 5 "$log" >&2
	exit 3
fi
# the attempt, in the foreground: returns when it is over (bounded)
timeout -k 2 "$wait_s" "$@" -M "$id"
result=$(tail -n +"$from0" "$log" | awk -v id="$id" '$3 == id && ($4 == "=>" || $4 == "==" || $4 == "**") { print; exit }')
if [ -z "$result" ]; then
	echo "trigger: no delivery result for $id after exim -M; log:" >&2
	tail -n +"$from0" "$log" | tail -n 20 >&2
	exit 4
fi
echo "exim: $result"
tail -n +"$from0" "$log" | grep -F " $id " | grep -v -F "$result" | head -n 10 | sed 's/^/exim: /'
case $(printf '%s' "$result" | awk '{ print $4 }') in
"=>") exit 0 ;;
"==")
	"$@" -Mrm "$id" >/dev/null 2>&1 || true
	exit 1
	;;
*) exit 1 ;;
esac

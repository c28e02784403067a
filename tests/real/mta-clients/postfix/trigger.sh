#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The --trigger of stark serve for Postfix's smtp(8) client: queues one
# message in a Postfix instance for a recipient whose delivery goes to stark,
# waits until Postfix has finished its one delivery attempt, and exits with
# what Postfix did:
#
#   0  delivered (status=sent)
#   1  not delivered (status=deferred, bounced or expired); a deferred
#      message is deleted so that it is never retried during a later scenario
#   3  could not queue the message
#   4  no result within STARK_MTA_WAIT seconds (default 60)
#
# It owns one message per run, nothing else: it never changes the instance's
# configuration, never waits for a retry timer and never sleeps on a guess;
# it reads the attempt's end from the Postfix log.
#
# usage (as stark serve --trigger): trigger.sh CONFIG_DIR [RECIPIENT]
#   CONFIG_DIR  the instance's config directory (postconf -c); /etc/postfix for the system one
#   RECIPIENT   default stark@mx.stark.test (route its domain to stark in transport_maps)
# env: STARK_CA (set by stark serve): copied to the instance's smtp_tls_CAfile
#        when that file differs (verify/secure need stark's CA; set
#        max_use = 1 or restart smtp(8) so the next delivery reads it)
#      MAILLOG: the log file when the instance logs through syslog
#        (default: its maillog_file)
#      STARK_MTA_WAIT: seconds to wait for the result (default 60)
#
# How the end is known: cleanup logs "ID: message-id=<...>" (the unique
# Message-ID this script writes gives the queue ID), then the delivery agent
# logs "ID: to=<RECIPIENT>, relay=..., status=sent|deferred|bounced|expired"
# once the attempt is over. Both are polled every 50 ms in the log lines
# written after the message was queued.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
conf=${1:?usage: trigger.sh CONFIG_DIR [RECIPIENT]}
rcpt=${2:-stark@mx.stark.test}
wait_s=${STARK_MTA_WAIT:-60}
log=${MAILLOG:-$(postconf -c "$conf" -h maillog_file)}
if [ -z "$log" ] || [ ! -r "$log" ]; then
	echo "trigger: no readable log (maillog_file or MAILLOG): '$log'" >&2
	exit 3
fi
if [ -n "${STARK_CA:-}" ]; then
	cafile=$(postconf -c "$conf" -h smtp_tls_CAfile)
	if [ -n "$cafile" ] && ! cmp -s "$STARK_CA" "$cafile"; then
		cp "$STARK_CA" "$cafile.new" && mv "$cafile.new" "$cafile"
	fi
fi

tag=$(printf '%s' "${STARK_SCENARIO:-manual}" | tr -c 'A-Za-z0-9.-' '.')
msgid="<$tag.$$.$(date +%s%N)@client.stark.test>"
from0=$(($(wc -l <"$log") + 1))
printf 'From: <sender@client.stark.test>\nTo: <%s>\nSubject: stark %s\nMessage-ID: %s\n\nTest message from tests/real/mta-clients (Postfix).\n' \
	"$rcpt" "${STARK_SCENARIO:-}" "$msgid" |
	sendmail -C "$conf" -f sender@client.stark.test -i -- "$rcpt" || {
	echo "trigger: sendmail failed" >&2
	exit 3
}

deadline=$(($(date +%s) + wait_s))
id=
result=
while [ "$(date +%s)" -lt "$deadline" ]; do
	if [ -z "$id" ]; then
		id=$(tail -n +"$from0" "$log" | grep -F " message-id=$msgid" |
			sed -n 's/.* \([0-9A-Za-z]\{6,\}\): message-id=.*/\1/p' | head -n 1)
	fi
	if [ -n "$id" ]; then
		result=$(tail -n +"$from0" "$log" | grep -F " $id: to=<$rcpt>" |
			grep -E ' status=(sent|deferred|bounced|expired) ' | head -n 1)
		[ -n "$result" ] && break
	fi
	sleep 0.05
done
if [ -z "$result" ]; then
	echo "trigger: no delivery result for ${id:-the message} within ${wait_s}s; log:" >&2
	tail -n +"$from0" "$log" | tail -n 20 >&2
	exit 4
fi
echo "postfix: $result"
case $result in
*" status=sent "*) exit 0 ;;
*" status=deferred "*)
	# delete it (from deferred/, where qmgr moves it right after the attempt)
	# so it is never retried during a later scenario
	qdir=$(postconf -c "$conf" -h queue_directory)
	for _ in $(seq 100); do
		[ -n "$(find "$qdir/deferred" -name "$id" -print -quit 2>/dev/null)" ] && break
		sleep 0.02
	done
	postsuper -c "$conf" -d "$id" >/dev/null 2>&1 || true
	exit 1
	;;
*) exit 1 ;;
esac

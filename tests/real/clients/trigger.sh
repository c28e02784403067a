#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The --trigger of tests/real/clients.sh: makes one real SMTP client send one
# message to stark. Every client but curl-opportunistic REQUIRES STARTTLS;
# every client but smtplib-noverify verifies the certificate against STARK_CA
# for STARK_SERVERNAME.
#
# usage (as stark serve --trigger): trigger.sh CLIENT, CLIENT one of
#   curl swaks msmtp smtplib-noverify smtplib-verify s-nail nodemailer
#                                                      (require STARTTLS)
#   curl-opportunistic                                 (curl --ssl: STARTTLS if offered)
# env (set by stark serve): STARK_HOST STARK_PORT STARK_CA STARK_SERVERNAME STARK_SCENARIO
#
# Every client connects to STARK_HOST:STARK_PORT (loopback: stark serve
# listens on 127.0.0.1 unless told otherwise) and nowhere else: curl gets
# --resolve and no proxy, msmtp --host and no configuration file, swaks -s,
# nodemailer host, s-nail the name localhost (see there).
# The server name only drives SNI and the certificate check.
set -u
: "${STARK_HOST:?run by stark serve}" "${STARK_PORT:?}" "${STARK_CA:?}" "${STARK_SERVERNAME:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
# Clients give up on their own well after stark's deadline (stark kills the
# process group anyway once its timeout passes).
CLIENT_TIMEOUT=${STARK_CLIENT_TIMEOUT:-10}
FROM=a@stark.test
TO=b@stark.test
MAIL="From: <$FROM>
To: <$TO>
Subject: stark ${STARK_SCENARIO:-}

Test message from tests/real/clients.sh.
"

case "${1:-}" in
curl)
	# --ssl-reqd: STARTTLS required; curl verifies the chain and the host
	# name by default (OpenSSL). --crlf: the message lines end in CRLF
	# (curl uploads the file as is otherwise).
	printf '%s' "$MAIL" | exec curl -q -sS --ssl-reqd --crlf --noproxy '*' -m "$CLIENT_TIMEOUT" \
		--cacert "$STARK_CA" \
		--resolve "$STARK_SERVERNAME:$STARK_PORT:$STARK_HOST" \
		--mail-from "$FROM" --mail-rcpt "$TO" -T - \
		"smtp://$STARK_SERVERNAME:$STARK_PORT"
	;;
curl-opportunistic)
	# --ssl: use STARTTLS when offered, go on in plaintext otherwise
	# (CURLUSESSL_TRY); the certificate is still verified.
	printf '%s' "$MAIL" | exec curl -q -sS --ssl --crlf --noproxy '*' -m "$CLIENT_TIMEOUT" \
		--cacert "$STARK_CA" \
		--resolve "$STARK_SERVERNAME:$STARK_PORT:$STARK_HOST" \
		--mail-from "$FROM" --mail-rcpt "$TO" -T - \
		"smtp://$STARK_SERVERNAME:$STARK_PORT"
	;;
swaks)
	# --tls: "Require connection to use STARTTLS"; --tls-verify: verify the
	# chain against --tls-ca-path.
	printf '%s' "$MAIL" | exec swaks -s "$STARK_HOST" -p "$STARK_PORT" --helo client.stark.test \
		--tls --tls-verify --tls-ca-path "$STARK_CA" --tls-sni "$STARK_SERVERNAME" \
		--timeout "$CLIENT_TIMEOUT" -f "$FROM" -t "$TO" --data -
	;;
msmtp)
	# --host: command-line settings only (no /etc/msmtprc, no ~/.msmtprc);
	# --tls=on --tls-starttls=on: STARTTLS required; certificate checked
	# against --tls-trust-file for --tls-host-override.
	printf '%s' "$MAIL" | exec msmtp --host="$STARK_HOST" --port="$STARK_PORT" \
		--domain=client.stark.test --auth=off --timeout="$CLIENT_TIMEOUT" \
		--tls=on --tls-starttls=on --tls-certcheck=on --tls-trust-file="$STARK_CA" \
		--tls-host-override="$STARK_SERVERNAME" --syslog=off --logfile= \
		-f "$FROM" "$TO"
	;;
smtplib-noverify | smtplib-verify)
	# Debian's python3 (package python3.11) unless told otherwise; its ssl
	# module uses Debian's OpenSSL
	PY=${STARK_CLIENT_PYTHON:-python3}
	if [ -z "${STARK_CLIENT_PYTHON:-}" ] && [ -x /usr/bin/python3 ]; then
		PY=/usr/bin/python3
	fi
	printf '%s' "$MAIL" | exec "$PY" "$HERE/smtplib-send.py" "${1#smtplib-}" "$CLIENT_TIMEOUT"
	;;
s-nail)
	# Built-in SMTP of s-nail (OpenSSL): -:/ reads no resource file;
	# smtp-use-starttls makes STARTTLS a must; tls-verify=strict checks the
	# chain against tls-ca-file only and the name of the mta URL; sendwait
	# makes the exit status the delivery's; nosave writes no dead.letter.
	# s-nail dials the host it checks the certificate against (no separate
	# address to connect to), so the name must be one that resolves to
	# loopback: stark serve's default, localhost.
	if [ "$STARK_SERVERNAME" != localhost ]; then
		echo "trigger.sh s-nail: STARK_SERVERNAME must be localhost (s-nail dials it)" >&2
		exit 2
	fi
	printf 'Test message from tests/real/clients.sh.\n' |
		exec s-nail -:/ -Sv15-compat -Ssendwait -Snosave -Sttycharset=utf-8 \
			-Smta="smtp://localhost:$STARK_PORT" -Ssmtp-use-starttls -Ssmtp-auth=none \
			-Stls-ca-file="$STARK_CA" -Stls-ca-no-defaults -Stls-verify=strict \
			-Shostname=client.stark.test -Ssmtp-hostname=client.stark.test -Sverbose \
			-s "stark ${STARK_SCENARIO:-}" -r "$FROM" "$TO"
	;;
nodemailer)
	# nodemailer from tests/real/node (npm ci there; scripts/install-deps.sh):
	# requireTLS, certificate checked against STARK_CA for STARK_SERVERNAME
	exec node "$HERE/../node/nodemailer-send.js" "$CLIENT_TIMEOUT" </dev/null
	;;
*)
	echo "usage: $0 curl|curl-opportunistic|swaks|msmtp|smtplib-noverify|smtplib-verify|s-nail|nodemailer" >&2
	exit 2
	;;
esac

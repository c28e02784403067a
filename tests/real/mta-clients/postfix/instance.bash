# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034
# (SC2034: PFC_* variables are this file's output to its caller)
#
# postfix/instance.bash: a private, throw-away Postfix whose smtp(8) client is
# the client under test of tests/real/mta-clients.sh. It owns the instance's
# configuration (one TLS mode of smtp_tls_security_level) and its life; it
# never touches the system instance (no postfix(1), no postmulti) and never
# sends mail anywhere but the one loopback address it is given.
# Source it, then:
#
#   pfc_start STARK_BINARY MODE MX_ADDR   start it; sets PFC_DIR PFC_CONF PFC_LOG PFC_RCPT
#   pfc_stop                              stop it, remove PFC_DIR (idempotent)
#   pfc_log_tail [N]                      last N lines of its log
#
# MODE: may | encrypt | verify | secure | dane (smtp_tls_security_level; dane:
# the recipient domain PFC_DANE_DOMAIN, default dane.stark.test, goes by its
# DNSSEC-validated MX and TLSA records, see the dane case below). MX_ADDR:
# the IPv4 address where the receiving MX (stark serve --listen MX_ADDR:25)
# listens. Knob: PFC_NAME, the MX's name (default mx.stark.test: the name
# verify/secure match and smtp_tls_servername sends as SNI).
#
# Routing without DNS: the recipient's domain mx.stark.test goes to
# smtp:[MX_ADDR]:25 by transport_maps (no MX lookup: a bracketed next hop),
# everything else (the bounces Postfix writes to the sender) to discard:.
# smtp_dns_support_level = disabled. verify and secure name the MX in
# smtp_tls_policy_maps (match=mx.stark.test): a bracketed IP next hop has no
# name of its own. smtp_tls_CAfile is $PFC_CONF/stark-ca.pem, which the
# trigger (postfix/trigger.sh) fills from STARK_CA; smtp processes serve one
# delivery each (max_use = 1), so each delivery reads it afresh.
#
# One scenario is one delivery attempt, never a retry: qmgr never declares
# the MX dead however often it fails (failed cohort limit far above a suite),
# no connection cache (a cached session would outlive stark's scenario),
# and retries are an hour away (the trigger deletes what was deferred).
#
# How: as bench/postfix-instance.sh, master runs directly with -c DIR,
# logging through postlogd to one file.

PFC_LIBEXEC=${PFC_LIBEXEC:-/usr/lib/postfix/sbin}
PFC_DIR=${PFC_DIR:-}
PFC_MASTER_PID=${PFC_MASTER_PID:-}

pfc_log_tail()
{
	[ -n "$PFC_DIR" ] && [ -f "$PFC_DIR/maillog" ] && tail -n "${1:-40}" "$PFC_DIR/maillog"
	[ -n "$PFC_DIR" ] && [ -s "$PFC_DIR/master.out" ] && tail -n "${1:-40}" "$PFC_DIR/master.out"
	return 0
}

pfc__write_config()
{
	local mode=$1 addr=$2 conf=$PFC_CONF name=$PFC_NAME policy='' dns=disabled lookup=native
	local transport="inline:{ {$name = smtp:[$addr]:25}, {* = discard:} }" sni=$name
	local cafile=$conf/stark-ca.pem
	case $mode in
	may | encrypt) ;;
	verify | secure) policy="smtp_tls_policy_maps = inline:{ {[$addr]:25 = $mode match=$name} }" ;;
	dane)
		# DANE (tests/real/mta-dane.sh): the recipient domain's MX and
		# TLSA records come from DNS, through the validating resolver of
		# /etc/resolv.conf (the caller's private one, with trust-ad);
		# no smtp_tls_servername: in dane mode Postfix sends the TLSA
		# base domain as SNI on its own; no smtp_tls_CAfile: only the
		# TLSA records can make stark's certificates trusted
		dns=dnssec lookup=dns sni='' cafile=''
		transport="inline:{ {$PFC_DANE_DOMAIN = smtp:}, {* = discard:} }"
		;;
	*)
		echo "pfc_start: unknown mode '$mode' (may|encrypt|verify|secure|dane)" >&2
		return 1
		;;
	esac
	cat >"$conf/main.cf" <<EOF
# private stark MTA-client instance (tests/real/mta-clients/postfix/instance.bash), mode $mode
compatibility_level = 3.6
queue_directory = $PFC_DIR/queue
data_directory = $PFC_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = client.stark.test
mydomain = stark.test
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no

# no DNS: the MX is a bracketed address, everything else is discarded
smtp_dns_support_level = $dns
smtp_host_lookup = $lookup
transport_maps = $transport

# one delivery attempt per scenario
default_destination_concurrency_failed_cohort_limit = 1000000
smtp_connection_cache_on_demand = no
smtp_tls_connection_reuse = no
max_use = 1
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
queue_run_delay = 3600s
smtp_connect_timeout = 10s
smtp_helo_timeout = 30s

# the mode under test
smtp_tls_security_level = $mode
smtp_tls_CAfile = $cafile
smtp_tls_servername = $sni
smtp_tls_loglevel = 1
$policy

maillog_file = $PFC_DIR/maillog
maillog_file_prefixes = $PFC_DIR
EOF
	cat >"$conf/master.cf" <<EOF
# service  type       private unpriv chroot wakeup maxproc command
pickup     unix       n       -      n      60     1       pickup
cleanup    unix       n       -      n      -      0       cleanup
qmgr       unix       n       -      n      300    1       qmgr
tlsmgr     unix       -       -      n      1000?  1       tlsmgr
rewrite    unix       -       -      n      -      -       trivial-rewrite
bounce     unix       -       -      n      -      0       bounce
defer      unix       -       -      n      -      0       bounce
trace      unix       -       -      n      -      0       bounce
flush      unix       n       -      n      1000?  0       flush
proxymap   unix       -       -      n      -      -       proxymap
smtp       unix       -       -      n      -      -       smtp
showq      unix       n       -      n      -      -       showq
error      unix       -       -      n      -      -       error
retry      unix       -       -      n      -      -       error
discard    unix       -       -      n      -      -       discard
anvil      unix       -       -      n      -      1       anvil
scache     unix       -       -      n      -      1       scache
postlog    unix-dgram n       -      n      -      1       postlogd
EOF
	# an empty CA file until the trigger copies STARK_CA there
	: >"$conf/stark-ca.pem"
	# Postfix waits ~2 s before reading a main.cf younger than a second
	touch -d '-1 minute' "$conf/main.cf" "$conf/master.cf"
}

pfc_start()
{
	local stark=$1 mode=$2 addr=$3 d deadline
	PFC_NAME=${PFC_NAME:-mx.stark.test}
	PFC_DANE_DOMAIN=${PFC_DANE_DOMAIN:-dane.stark.test}
	if [ ! -x "$PFC_LIBEXEC/master" ]; then
		echo "pfc_start: $PFC_LIBEXEC/master not found (apt-get install postfix)" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "pfc_start: Postfix's master must run as root" >&2
		return 1
	fi
	PFC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/stark-pfc.XXXXXX") || return 1
	chmod 755 "$PFC_DIR"
	PFC_CONF=$PFC_DIR/etc
	PFC_LOG=$PFC_DIR/maillog
	PFC_RCPT=stark@$PFC_NAME
	mkdir -p "$PFC_CONF" "$PFC_DIR/data" "$PFC_DIR/queue/pid"
	chown postfix "$PFC_DIR/data"
	for d in incoming active deferred defer bounce trace flush hold corrupt saved private; do
		mkdir -p "$PFC_DIR/queue/$d"
		chown postfix "$PFC_DIR/queue/$d"
		chmod 700 "$PFC_DIR/queue/$d"
	done
	mkdir -p "$PFC_DIR/queue/maildrop" "$PFC_DIR/queue/public"
	chown postfix:postdrop "$PFC_DIR/queue/maildrop" "$PFC_DIR/queue/public"
	chmod 730 "$PFC_DIR/queue/maildrop"
	chmod 710 "$PFC_DIR/queue/public"
	pfc__write_config "$mode" "$addr" || return 1
	if ! postconf -c "$PFC_CONF" -n >/dev/null 2>"$PFC_DIR/postconf.err" ||
		[ -s "$PFC_DIR/postconf.err" ]; then
		cat "$PFC_DIR/postconf.err" >&2
		return 1
	fi
	"$PFC_LIBEXEC/master" -c "$PFC_CONF" -s -e "${PFC_MAX_LIFETIME:-1800}" \
		</dev/null >"$PFC_DIR/master.out" 2>&1 &
	PFC_MASTER_PID=$!
	# up when the queue manager listens (its fifo/socket in public/)
	deadline=$((SECONDS + 15))
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$PFC_MASTER_PID" 2>/dev/null || break
		if [ -S "$PFC_DIR/queue/public/qmgr" ] || [ -p "$PFC_DIR/queue/public/qmgr" ] ||
			[ -e "$PFC_DIR/queue/public/qmgr" ]; then
			[ -e "$PFC_DIR/queue/public/pickup" ] && return 0
		fi
		sleep 0.05
	done
	echo "pfc_start: Postfix did not start" >&2
	pfc_log_tail 20 >&2
	return 1
}

pfc_stop()
{
	if [ -n "$PFC_MASTER_PID" ]; then
		if kill -0 "$PFC_MASTER_PID" 2>/dev/null; then
			kill -TERM "$PFC_MASTER_PID" 2>/dev/null || true
			for _ in $(seq 50); do
				kill -0 "$PFC_MASTER_PID" 2>/dev/null || break
				sleep 0.1
			done
		fi
		kill -KILL -- "-$PFC_MASTER_PID" 2>/dev/null || true
		wait "$PFC_MASTER_PID" 2>/dev/null || true
		PFC_MASTER_PID=
	fi
	if [ -n "$PFC_DIR" ] && [ -d "$PFC_DIR" ]; then
		rm -rf -- "$PFC_DIR"
	fi
	PFC_DIR=
}

# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034
# (SC2034: SM_* variables are this file's output to its caller)
#
# sendmail-instance.sh: a private, throw-away Sendmail (Debian 12's
# sendmail-bin 8.17, TLS by OpenSSL 3) on loopback, run inside its own
# Debian root (bench/mta-root.sh "sendmail": Debian allows one
# mail-transport-agent per system and the host has Postfix). Source it, then:
#
#   sendmail_start STARK_BINARY   start it; sets SM_PORT SM_NAME SM_CA SM_DIR
#                                 SM_PID
#   sendmail_stop                 stop it, remove SM_DIR (idempotent; call it
#                                 from an EXIT trap, also when sendmail_start
#                                 failed)
#   sendmail_log_tail [N]         last N lines of its traffic log and output
#
# Knobs (set before sendmail_start): SM_START_TIMEOUT (seconds, default 20,
# not counting a first build of the root), SM_MAX_LIFETIME (seconds after
# which the whole instance is SIGKILLed even if sendmail_stop never runs;
# default 1800), MTA_ROOT_* (bench/mta-root.sh).
#
# How: sendmail.cf is built with m4 from a minimal .mc (sendmail-cf's
# cf.m4, OSTYPE linux, no Debian wrapper) in the instance directory
# (SM_DIR, a host path; /srv/stark-sendmail.* inside the root), then
# "sendmail -bD" (the daemon in the foreground) runs as PID 1 of new
# PID/mount/UTS namespaces chrooted into the root (mta_root_spawn) with the
# host name "localhost", listening on 127.0.0.1:SM_PORT only. STARTTLS with
# stark's RSA certificate good-rsa.pem for SM_NAME (localhost); no client
# certificate is asked for. Mail is queued in SM_DIR and never delivered:
# delivery mode queue-only, no queue runner, no smtp mailer (only "local",
# for the domain localhost). Sendmail logs only to syslog, which the root
# lacks: -X keeps a traffic log (every SMTP line in and out) instead.
#
# DNS: none. The service switch file (hosts and aliases: files only) keeps
# Sendmail on the instance's own /etc/hosts (bound over the root's: it
# names localhost, so the host name qualifies at once instead of Sendmail
# sleeping for a retry, and stark.test, the domain of stark's sender, which
# would get "553 5.1.2 ... Unrecognized host name" otherwise), nocanonify, accept_unresolvable_domains, no
# resolver search options; and the root's resolv.conf names 127.0.0.1 only.

# shellcheck source=bench/mta-root.sh
. "$(dirname "${BASH_SOURCE[0]}")/mta-root.sh"

SM_DIR=${SM_DIR:-}
SM_PID=${SM_PID:-}

sendmail_log_tail()
{
	local n=${1:-40} f
	[ -n "$SM_DIR" ] || return 0
	for f in "$SM_DIR"/traffic.log "$SM_DIR"/daemon.out; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f"):"
		tail -n "$n" "$f"
	done
}

# sendmail__write_mc IDIR PORT: the m4 source of sendmail.cf (paths inside
# the root)
sendmail__write_mc()
{
	local idir=$1 port=$2
	cat <<EOF
divert(-1)dnl
# stark test instance: bench/sendmail-instance.sh
divert(0)dnl
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`localhost')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confSERVICE_SWITCH_FILE', \`$idir/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confCHECK_ALIASES', \`False')dnl
define(\`ALIAS_FILE', \`$idir/aliases')dnl
define(\`QUEUE_DIR', \`$idir/queue')dnl
define(\`STATUS_FILE', \`$idir/sendmail.st')dnl
define(\`confPID_FILE', \`$idir/sendmail.pid')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confLOG_LEVEL', \`9')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings')dnl
define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confQUEUE_LA', \`1000')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confCACERT_PATH', \`$idir/certs')dnl
define(\`confCACERT', \`$idir/certs/ca.pem')dnl
define(\`confSERVER_CERT', \`$idir/certs/good-rsa.pem')dnl
define(\`confSERVER_KEY', \`$idir/certs/good-rsa.key')dnl
define(\`confTLS_SRV_OPTIONS', \`V')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Family=inet, Addr=127.0.0.1, Port=$port, Name=MTA')dnl
LOCAL_DOMAIN(\`localhost')dnl
MAILER(\`local')dnl
EOF
}

sendmail_start()
{
	local stark=$1 root try deadline idir
	SM_NAME=localhost
	if [ "$(id -u)" -ne 0 ]; then
		echo "sendmail_start: needs root (chroot, namespaces)" >&2
		return 1
	fi
	# shellcheck disable=SC2046
	root=$(mta_root_ensure sendmail $(mta_root_preset sendmail)) || return 1
	if [ ! -x "$root/usr/libexec/sendmail/sendmail" ] || [ ! -f "$root/usr/share/sendmail/cf/m4/cf.m4" ]; then
		echo "sendmail_start: $root has no sendmail (sendmail-bin) / cf.m4 (sendmail-cf)" >&2
		return 1
	fi
	SM_DIR=$(mta_root_instance_dir "$root" stark-sendmail "${SM_MAX_LIFETIME:-1800}") || return 1
	idir=/srv/${SM_DIR##*/}
	mkdir -p "$SM_DIR/certs" "$SM_DIR/queue"
	chmod 700 "$SM_DIR/queue"
	SM_CA=$SM_DIR/certs/ca.pem
	"$stark" certs --out "$SM_DIR/certs" --servername "$SM_NAME" >/dev/null || return 1
	# Sendmail refuses a key file others can read
	chmod 600 "$SM_DIR"/certs/*.key
	printf 'hosts files\naliases files\n' >"$SM_DIR/service.switch"
	printf '127.0.0.1 localhost stark.test\n' >"$SM_DIR/hosts"
	printf 'postmaster: root\n' >"$SM_DIR/aliases"
	# the cf.m4 checks and the daemon's safe-file checks want them root-owned
	# and not group/world-writable
	chmod 644 "$SM_DIR/service.switch" "$SM_DIR/hosts" "$SM_DIR/aliases"
	# a copy without Debian's set-group-ID bit: exec of a set-group-ID file
	# clears the parent-death signal, so unshare --kill-child (mta_root_run)
	# could not take the daemon down with it (prctl(2), PR_SET_PDEATHSIG)
	install -m 755 "$root/usr/libexec/sendmail/sendmail" "$SM_DIR/sendmail"

	for try in 1 2 3; do
		SM_PORT=$(mta_root_free_port) || return 1
		sendmail__write_mc "$idir" "$SM_PORT" >"$SM_DIR/sendmail.mc" || return 1
		# shellcheck disable=SC2016 # m4 "$1" is expanded by the inner sh
		if ! timeout 20 bash -c "$(declare -f mta_root_run); mta_root_run \"\$@\"" _ "$root" \
			sh -c 'm4 "$1" >"$2"' _ "$idir/sendmail.mc" "$idir/sendmail.cf" \
			>"$SM_DIR/m4.out" 2>&1; then
			echo "sendmail_start: m4 rejects the configuration:" >&2
			cat "$SM_DIR/m4.out" >&2
			return 1
		fi
		chmod 644 "$SM_DIR/sendmail.cf"
		# -bD: the daemon in the foreground (PID 1 of the namespace); no
		# -q: no queue runner; -X: the traffic log (no syslog in the root)
		MTA_ROOT_HOSTNAME=$SM_NAME MTA_ROOT_BIND="$idir/hosts:/etc/hosts" \
			mta_root_spawn "$root" "$SM_DIR/daemon.out" "${SM_MAX_LIFETIME:-1800}" \
			"$idir/sendmail" -bD -C "$idir/sendmail.cf" -X "$idir/traffic.log"
		SM_PID=$MTA_ROOT_PID
		deadline=$((SECONDS + ${SM_START_TIMEOUT:-20}))
		while [ $SECONDS -lt $deadline ]; do
			kill -0 "$SM_PID" 2>/dev/null || break
			if mta_root_greets "$SM_PORT"; then
				return 0
			fi
			sleep 0.1
		done
		echo "sendmail_start: attempt $try: Sendmail did not answer on 127.0.0.1:$SM_PORT" >&2
		sendmail_log_tail 20 >&2
		mta_root_kill "$SM_PID"
		SM_PID=
	done
	return 1
}

sendmail_stop()
{
	mta_root_kill "$SM_PID"
	SM_PID=
	if [ -n "$SM_DIR" ] && [ -d "$SM_DIR" ]; then
		rm -rf --one-file-system -- "$SM_DIR"
	fi
	SM_DIR=
}

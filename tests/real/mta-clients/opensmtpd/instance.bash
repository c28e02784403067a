# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034
# (SC2034: OSC_* variables are this file's output to its caller)
#
# opensmtpd/instance.bash: a private OpenSMTPD 7.4 (bookworm-backports,
# OpenSSL 3 behind its bundled libtls) in its own Debian root
# (bench/mta-root.sh) whose mta is the client under test of
# tests/real/mta-clients.sh. It owns the instance's configuration (one relay
# mode), directory and daemon. Source it, then:
#
#   osc_prepare STARK_BINARY MODE MX_ADDR  write the instance; sets OSC_ROOT OSC_DIR
#                                          (host path) OSC_IDIR (inside) OSC_LOG
#   osc_start [CA_FILE]                    start smtpd (foreground, PID 1 of its
#                                          namespaces); CA_FILE: the trust anchors
#                                          it loads at start-up (stark's CA for
#                                          verify; default: the root's own bundle)
#   osc_stop                               stop it, remove OSC_DIR (idempotent)
#   osc_log_tail [N]                       last N lines of its log
#   osc_rcpts, osc_sources                 the recipients and source addresses
#                                          (one per relay), for the trigger's
#                                          RCPTS and SOURCES
#
# MODE (action "to-stark" relay host smtp://mx.stark.test:25 ...):
#   default   nothing more: STARTTLS when offered, certificate not required to verify
#   tls       tls no-verify: STARTTLS required, any certificate
#   verify    tls: STARTTLS required and the certificate verified (chain
#             against the CA file smtpd loaded at start-up, name mx.stark.test)
# These are smarthost ("relay host") modes: without DNS, OpenSMTPD cannot be
# given the MX of a domain (its resolver, libasr, reads MX records from DNS
# only), so the MX lookup modes ("relay" alone, "relay tls") are not run here.
#
# smtpd loads the CA file once, at start-up, so verify needs stark's CA
# before the daemon starts: tests/real/mta-clients.sh starts stark serve
# first, waits for its stark-ca.pem, then osc_start; the trigger waits for
# the daemon (OSC_DIR/pid1). The CA file is bind-mounted over the root's
# /etc/ssl/certs/ca-certificates.crt (smtpd's default).
#
# One relay per scenario: OpenSMTPD's mta keeps state per relay and per
# route (source and destination address) that would leak from one scenario
# into the next: after a delivery it keeps the relay's session open
# ("hanging on") up to 10 s and hands the next message to it even after the
# MX closed it (the next message then fails with "IO Error: read failed"),
# and after a failed connection it holds the route back ("cannot use relay
# before 2s", "no route available: must wait a bit"). So the instance has
# OSC_RELAYS (80, more than the suite has scenarios) relays, identical but
# for their source address (src 127.0.29.<i+1>) and HELO name
# (c<i>.client.stark.test), one per recipient domain r<i>.mx.stark.test,
# and the trigger takes them in turn (RCPTS, RCPT_STATE): no relay or route
# is used twice in a run.
#
# No DNS: mx.stark.test is in the instance's /etc/hosts (bind-mounted) with
# MX_ADDR, the root's resolv.conf says "lookup file"; every other domain (the
# bounces to the sender) goes to an mda that discards. Queue and control
# socket live on private tmpfs mounts of the daemon's mount namespace; the
# trigger enters it with nsenter.

# shellcheck source=bench/mta-root.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../../bench/mta-root.sh"

OSC_DIR=${OSC_DIR:-}
OSC_PID=${OSC_PID:-}

osc_log_tail()
{
	[ -n "$OSC_DIR" ] && [ -s "$OSC_DIR/smtpd.log" ] && tail -n "${1:-40}" "$OSC_DIR/smtpd.log"
	return 0
}

osc_rcpts()
{
	local i
	for i in $(seq 0 $((OSC_RELAYS - 1))); do
		printf 'stark@r%s.%s ' "$i" "$OSC_NAME"
	done
}

osc_sources()
{
	local i
	for i in $(seq 0 $((OSC_RELAYS - 1))); do
		printf '127.0.29.%s ' $((i + 1))
	done
}

osc__write_config()
{
	local mode=$1 tls
	case $mode in
	default) tls= ;;
	tls) tls="tls no-verify" ;;
	verify) tls="tls" ;;
	*)
		echo "osc_prepare: unknown mode '$mode' (default|tls|verify)" >&2
		return 1
		;;
	esac
	local i
	echo "# private stark MTA-client instance (tests/real/mta-clients/opensmtpd/instance.bash), mode $mode"
	echo "table aliases { postmaster = nobody, root = nobody }"
	for i in $(seq 0 $((OSC_RELAYS - 1))); do
		echo "action \"to-stark-$i\" relay host smtp://$OSC_NAME:25 $tls src 127.0.29.$((i + 1)) helo c$i.client.stark.test"
		echo "match from local for domain \"r$i.$OSC_NAME\" action \"to-stark-$i\""
	done
	echo "action \"drop\" mda \"cat >/dev/null\" alias <aliases> user nobody"
	echo "match from any for any action \"drop\""
}

osc_prepare()
{
	local stark=$1 mode=$2 addr=$3
	OSC_NAME=${OSC_NAME:-mx.stark.test}
	OSC_RELAYS=${OSC_RELAYS:-80}
	if [ "$(id -u)" -ne 0 ]; then
		echo "osc_prepare: needs root (chroot, namespaces)" >&2
		return 1
	fi
	# shellcheck disable=SC2046
	OSC_ROOT=$(mta_root_ensure opensmtpd $(mta_root_preset opensmtpd)) || return 1
	[ -x "$OSC_ROOT/usr/sbin/smtpd" ] || {
		echo "osc_prepare: $OSC_ROOT has no /usr/sbin/smtpd" >&2
		return 1
	}
	OSC_DIR=$(mta_root_instance_dir "$OSC_ROOT" stark-osc "${OSC_MAX_LIFETIME:-3600}") || return 1
	OSC_IDIR=/srv/${OSC_DIR##*/}
	OSC_LOG=$OSC_DIR/smtpd.log
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tclient.stark.test\n%s\t%s\n' "$addr" "$OSC_NAME" >"$OSC_DIR/hosts"
	printf 'client.stark.test\n' >"$OSC_DIR/mailname"
	cp "$OSC_ROOT/etc/ssl/certs/ca-certificates.crt" "$OSC_DIR/ca.pem"
	chmod 644 "$OSC_DIR/hosts" "$OSC_DIR/mailname" "$OSC_DIR/ca.pem"
	osc__write_config "$mode" >"$OSC_DIR/smtpd.conf" || return 1
	chmod 644 "$OSC_DIR/smtpd.conf"
	if ! MTA_ROOT_HOSTNAME=client.stark.test MTA_ROOT_BIND="$OSC_IDIR/hosts:/etc/hosts $OSC_IDIR/mailname:/etc/mailname" \
		timeout 20 bash -c "$(declare -f mta_root_run); mta_root_run \"\$@\"" _ "$OSC_ROOT" \
		smtpd -n -f "$OSC_IDIR/smtpd.conf" >"$OSC_DIR/check.out" 2>&1; then
		echo "osc_prepare: OpenSMTPD rejects the configuration:" >&2
		cat "$OSC_DIR/check.out" >&2
		return 1
	fi
}

osc_start()
{
	local ca=${1:-} deadline unsh pid1
	if [ -n "$ca" ]; then
		cp "$ca" "$OSC_DIR/ca.pem"
		chmod 644 "$OSC_DIR/ca.pem"
	fi
	MTA_ROOT_HOSTNAME=client.stark.test MTA_ROOT_TMPFS="/var/run /var/spool/smtpd:0711" \
		MTA_ROOT_BIND="$OSC_IDIR/hosts:/etc/hosts $OSC_IDIR/mailname:/etc/mailname $OSC_IDIR/ca.pem:/etc/ssl/certs/ca-certificates.crt" \
		mta_root_spawn "$OSC_ROOT" "$OSC_LOG" "${OSC_MAX_LIFETIME:-3600}" smtpd -d -v -f "$OSC_IDIR/smtpd.conf"
	OSC_PID=$MTA_ROOT_PID
	# the namespace's PID 1 (smtpd): timeout -> unshare -> smtpd
	deadline=$((SECONDS + 20))
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$OSC_PID" 2>/dev/null || break
		unsh=$(pgrep -P "$OSC_PID" | head -n 1)
		pid1=
		[ -n "$unsh" ] && pid1=$(pgrep -P "$unsh" | head -n 1)
		if [ -n "$pid1" ] &&
			nsenter -t "$pid1" -m -p -r -w smtpctl show status >/dev/null 2>&1; then
			echo "$pid1" >"$OSC_DIR/pid1.new" && mv "$OSC_DIR/pid1.new" "$OSC_DIR/pid1"
			return 0
		fi
		sleep 0.1
	done
	echo "osc_start: OpenSMTPD did not start" >&2
	osc_log_tail 20 >&2
	return 1
}

osc_stop()
{
	mta_root_kill "$OSC_PID"
	OSC_PID=
	if [ -n "$OSC_DIR" ] && [ -d "$OSC_DIR" ]; then
		rm -rf --one-file-system -- "$OSC_DIR"
	fi
	OSC_DIR=
}

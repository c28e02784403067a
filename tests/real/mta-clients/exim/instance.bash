# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034
# (SC2034: EXC_* variables are this file's output to its caller)
#
# exim/instance.bash: a private Exim (Debian 12's exim4-daemon-light 4.96,
# GnuTLS) in its own Debian root (bench/mta-root.sh) whose smtp transport is
# the client under test of tests/real/mta-clients.sh. It owns the instance's
# configuration (one TLS mode) and directory; no daemon runs: every exim4
# call (exim/trigger.sh) is a fresh process in the root (mta_root_run).
# Source it, then:
#
#   exc_start STARK_BINARY MODE MX_ADDR   prepare it; sets EXC_ROOT EXC_DIR (host path)
#                                         EXC_IDIR (the same inside the root) EXC_LOG EXC_CA
#   exc_stop                              remove EXC_DIR (idempotent)
#   exc_log_tail [N]                      last N lines of its logs
#   exc_exim ARG...                       run exim4 -C <the config> ARG... in the root
#
# MODE (smtp transport options):
#   default   none: Exim's defaults, i.e. STARTTLS when offered,
#             tls_try_verify_hosts = * against the system CAs (a failed
#             verification is logged, not fatal), tls_tempfail_tryclear = true
#   require   hosts_require_tls = *
#   verify    hosts_require_tls = * and tls_verify_hosts = * with
#             tls_verify_certificates = stark's CA, name checked
#             (tls_verify_cert_hostnames, default *)
#   dane      hosts_require_dane = *, the MX of EXC_DANE_DOMAIN (default
#             dane.stark.test) and its TLSA records from DNSSEC-validated
#             DNS (dns_dnssec_ok, dnssec_request_domains), through the
#             instance's resolv.conf (tests/real/mta-dane.sh runs the resolver)
# MX_ADDR: where the receiving MX (stark serve --listen MX_ADDR:25) listens.
# Knob: EXC_NAME, the MX's name (default mx.stark.test).
#
# Routing without DNS: a manualroute router sends the domain EXC_NAME to the
# host EXC_NAME "byname" (gethostbyname), which the root's /etc/hosts,
# bind-mounted from the instance directory for each call, maps to MX_ADDR;
# tls_sni = EXC_NAME. Every other domain (the bounces Exim writes to the
# sender) goes to a :blackhole: redirect. The root's resolv.conf names only
# 127.0.0.1, and no DNS router exists. stark's CA: tls_verify_certificates
# reads EXC_DIR/stark-ca.pem, which the trigger fills from STARK_CA.

# shellcheck source=bench/mta-root.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../../bench/mta-root.sh"

EXC_DIR=${EXC_DIR:-}

exc_log_tail()
{
	local f
	[ -n "$EXC_DIR" ] || return 0
	for f in "$EXC_DIR"/log/mainlog "$EXC_DIR"/log/paniclog; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f"):"
		tail -n "${1:-40}" "$f"
	done
}

exc_exim()
{
	local binds="$EXC_IDIR/hosts:/etc/hosts"
	[ -e "$EXC_DIR/resolv.conf" ] && binds+=" $EXC_IDIR/resolv.conf:/etc/resolv.conf"
	(MTA_ROOT_HOSTNAME=client.stark.test MTA_ROOT_BIND="$binds" \
		mta_root_run "$EXC_ROOT" exim4 -C "$EXC_IDIR/exim.conf" "$@")
}

exc__write_config()
{
	local mode=$1 idir=$2 tls sni="tls_sni = $EXC_NAME" main='' router
	router="to_stark:
  driver = manualroute
  domains = $EXC_NAME
  transport = remote_smtp
  route_list = * $EXC_NAME byname"
	case $mode in
	default) tls="# Exim's defaults" ;;
	require) tls="hosts_require_tls = *" ;;
	verify)
		tls="hosts_require_tls = *
  tls_verify_hosts = *
  tls_verify_certificates = $idir/stark-ca.pem"
		;;
	dane)
		# DANE (tests/real/mta-dane.sh): a dnslookup router finds the MX
		# of EXC_DANE_DOMAIN, and the transport its TLSA records, through
		# the validating resolver of the instance's resolv.conf (bound
		# over the root's, with trust-ad); no tls_sni: what Exim sends in
		# DANE on its own is under test (P-12)
		main="dns_dnssec_ok = 1"
		router="to_stark:
  driver = dnslookup
  domains = $EXC_DANE_DOMAIN
  transport = remote_smtp
  dnssec_request_domains = *
  no_more"
		sni="# no tls_sni"
		tls="hosts_require_dane = *
  dnssec_request_domains = *"
		;;
	*)
		echo "exc_start: unknown mode '$mode' (default|require|verify|dane)" >&2
		return 1
		;;
	esac
	cat <<EOF
# private stark MTA-client instance (tests/real/mta-clients/exim/instance.bash), mode $mode
primary_hostname = client.stark.test
qualify_domain = client.stark.test
spool_directory = $idir/spool
log_file_path = $idir/log/%slog
keep_environment =
log_selector = +tls_cipher +tls_sni +tls_certificate_verified +outgoing_port +received_recipients
host_lookup =
rfc1413_hosts =
# a failed message is never retried on its own: the trigger runs each attempt
# (exim -M) and removes what was deferred
ignore_bounce_errors_after = 0s
timeout_frozen_after = 1s
$main

begin routers
$router
everything_else:
  driver = redirect
  data = :blackhole:

begin transports
remote_smtp:
  driver = smtp
  port = 25
  connect_timeout = 10s
  command_timeout = 30s
  $sni
  $tls

begin retry
* * F,1h,1h
EOF
}

exc_start()
{
	local stark=$1 mode=$2 addr=$3 uid gid
	EXC_NAME=${EXC_NAME:-mx.stark.test}
	EXC_DANE_DOMAIN=${EXC_DANE_DOMAIN:-dane.stark.test}
	if [ "$(id -u)" -ne 0 ]; then
		echo "exc_start: needs root (chroot, namespaces)" >&2
		return 1
	fi
	# shellcheck disable=SC2046
	EXC_ROOT=$(mta_root_ensure exim $(mta_root_preset exim)) || return 1
	uid=$(awk -F: '$1 == "Debian-exim" { print $3 }' "$EXC_ROOT/etc/passwd")
	gid=$(awk -F: '$1 == "Debian-exim" { print $4 }' "$EXC_ROOT/etc/passwd")
	if [ -z "$uid" ] || [ ! -x "$EXC_ROOT/usr/sbin/exim4" ]; then
		echo "exc_start: $EXC_ROOT has no exim4 / Debian-exim user" >&2
		return 1
	fi
	EXC_DIR=$(mta_root_instance_dir "$EXC_ROOT" stark-exc "${EXC_MAX_LIFETIME:-3600}") || return 1
	EXC_IDIR=/srv/${EXC_DIR##*/}
	mkdir -p "$EXC_DIR/spool" "$EXC_DIR/log"
	chown "$uid:$gid" "$EXC_DIR/spool" "$EXC_DIR/log"
	chmod 750 "$EXC_DIR/spool" "$EXC_DIR/log"
	EXC_LOG=$EXC_DIR/log/mainlog
	EXC_CA=$EXC_DIR/stark-ca.pem
	: >"$EXC_CA"
	chmod 644 "$EXC_CA"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tclient.stark.test\n%s\t%s\n' "$addr" "$EXC_NAME" >"$EXC_DIR/hosts"
	if [ "$mode" = dane ]; then
		# no /etc/hosts entry for the MX: its address must come from
		# the signed zone; a resolv.conf that trusts the AD bit
		printf '127.0.0.1\tlocalhost\n127.0.1.1\tclient.stark.test\n' >"$EXC_DIR/hosts"
		printf 'nameserver 127.0.0.1\noptions trust-ad timeout:2 attempts:2\n' >"$EXC_DIR/resolv.conf"
		chmod 644 "$EXC_DIR/resolv.conf"
	fi
	exc__write_config "$mode" "$EXC_IDIR" >"$EXC_DIR/exim.conf" || return 1
	chmod 644 "$EXC_DIR/exim.conf"
	if ! exc_exim -bV >"$EXC_DIR/check.out" 2>&1; then
		echo "exc_start: Exim rejects the configuration:" >&2
		cat "$EXC_DIR/check.out" >&2
		return 1
	fi
}

exc_stop()
{
	if [ -n "$EXC_DIR" ] && [ -d "$EXC_DIR" ]; then
		rm -rf --one-file-system -- "$EXC_DIR"
	fi
	EXC_DIR=
}

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what a fresh Debian 12 machine lacks to build and test stark.
# Only Debian packages, by name, through the machine's own apt sources, and
# npm ci for the pinned Node.js peers in tests/real/node.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail

PKGS=(
	# build
	build-essential cmake pkg-config clang libclang-rt-14-dev llvm
	# libraries: TLS, JSON, unit tests
	libwolfssl-dev libjansson-dev check
	# DNS with DNSSEC validation (stark scan --domain) and the root trust anchor
	libunbound-dev dns-root-data
	# MTA-STS policy fetch: libcurl, GnuTLS flavour (the OpenSSL one would share the
	# process with wolfSSL's OpenSSL-compatible symbols)
	libcurl4-gnutls-dev
	# tests: report well-formedness and schema, real peers
	libxml2-utils python3 python3-jsonschema postfix swaks bc curl msmtp s-nail
	# tests: a pty for the progress line (script), sharded scans (GNU parallel)
	bsdutils parallel
	# swaks --tls needs Net::SSLeay (only a Recommends of swaks)
	libnet-ssleay-perl
	# fuzzing: wolfSSL rebuilt from its Debian source package (scripts/fuzz-build-wolfssl.sh)
	autoconf automake libtool dpkg-dev
	# the HTML report rendered in a browser (tests/report-browser.py)
	chromium chromium-driver python3-selenium
	# TLS comparison: testssl.sh, and roots for Exim and OpenSMTPD (bench/mta-root.sh)
	testssl.sh mmdebstrap
	# bench/limit-bench.sh: scan beside sslscan --starttls-smtp
	sslscan
	# the DNS fixture (tests/real/lib/dnsfix.bash): NSD, ldns-signzone, openssl
	nsd ldnsutils openssl
	# DANE enforcement of sending MTAs (tests/real/mta-dane.sh): the
	# validating resolver the MTA asks
	unbound
	# MTA-STS tests: the policy host (tests/real/mtasts.sh)
	nginx
	# install: the man page (scdoc), the Debian package and its checks
	# (scripts/package-test.sh), the workflow files' YAML check
	scdoc debhelper lintian python3-yaml
	# MTA clients (tests/real/mta-clients.sh): lo up in its network
	# namespace (ip), the OpenSMTPD daemon's pid (pgrep)
	iproute2 procps
)
# npm for tests/real/node (nodemailer): Debian's package, unless an npm is
# there already (NodeSource's nodejs bundles one and conflicts with Debian's)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
# Node's headers, for Haraka's native iconv module: node-gyp would download
# them from the Node.js project (no network here); Debian's libnode-dev has
# them in /usr/include/node (NodeSource's nodejs ships them itself)
[ -f /usr/include/node/common.gypi ] || PKGS+=(libnode-dev)

# tests/real/node: the versions pinned in its package-lock.json, once
node_modules()
{
	local dir
	dir="$(cd "$(dirname "$0")/.." && pwd)/tests/real/node"
	# again when the lock changed since the last npm ci (npm keeps a copy)
	[ -f "$dir/node_modules/.package-lock.json" ] &&
		[ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ] && return 0
	echo "install-deps: npm ci in $dir"
	(cd "$dir" && npm_config_nodedir=/usr npm ci --no-audit --no-fund)
}

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	node_modules
	exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not ask questions nor configure a system mail service: the
# tests run their own instance on a loopback port.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
node_modules

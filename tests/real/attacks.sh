#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peers, the attack batteries (T-15, T-16, T-22; harness/attack*.c):
# `stark scan --no-suite` against Postfix (host), Exim (GnuTLS) and
# OpenSMTPD (OpenSSL 3, libtls) on loopback, in their default
# configurations, plus two legacy ones that show the facts: Postfix with
# only static-RSA suites from TLS 1.0 up, Exim (GnuTLS) with static RSA
# and 3DES added (Debian's OpenSSL 3 has no 3DES in TLS at all, so
# SWEET32 can only be shown with GnuTLS). Every battery's verdict per target
# must be the one in attacks.expected, with the words given there in its
# reason or notes (the "why"), and every battery must appear. None of
# these servers is vulnerable to anything; the vulnerable side is mirrored
# in tests/check_attack.c.
#
# usage: tests/real/attacks.sh STARK_BINARY SOURCE_DIR
# env:   ATTACKS_TARGETS (default: every target of attacks.expected)
#        STARK_REAL_KEEP=DIR  keep the reports there
# exit:  0 all as expected, 1 otherwise, 77 cannot run here (not root,
#        Postfix or what builds the MTA roots missing)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
EXPECTED=$SRC/tests/real/attacks.expected

skip()
{
	echo "attacks: SKIP: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (Postfix's master, chroot and namespaces for Exim/OpenSMTPD)"
[ -x /usr/lib/postfix/sbin/master ] || skip "Postfix is not installed (scripts/install-deps.sh)"
for m in exim opensmtpd; do
	if [ ! -f "/var/cache/stark/roots/$m/.stark-root" ] && ! command -v mmdebstrap >/dev/null; then
		skip "mmdebstrap is not installed and there is no $m root yet (scripts/install-deps.sh)"
	fi
done

TARGETS=${ATTACKS_TARGETS:-$(awk '!/^#/ && NF { print $1 }' "$EXPECTED" | uniq | tr '\n' ' ')}

export PF_MAX_LIFETIME=${PF_MAX_LIFETIME:-300}
export EXIM_MAX_LIFETIME=${EXIM_MAX_LIFETIME:-300}
export OSMTPD_MAX_LIFETIME=${OSMTPD_MAX_LIFETIME:-300}
# shellcheck source=bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"
# shellcheck source=bench/exim-instance.sh
. "$SRC/bench/exim-instance.sh"
# shellcheck source=bench/opensmtpd-instance.sh
. "$SRC/bench/opensmtpd-instance.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-attacks.XXXXXX")
cleanup()
{
	local rc=$?
	set +e
	pf_stop
	exim_stop
	osmtpd_stop
	if [ -n "${STARK_REAL_KEEP:-}" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/
	fi
	rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# scan TARGET: start it, scan it, stop it; the report in $WORK/MTA-CONFIG
scan()
{
	local t=$1 mta=${1%/*} config=${1#*/} port name ca dir t0 rc=0
	dir=$WORK/${t/\//-}
	mkdir -p "$dir"
	case $mta in
	postfix)
		case $config in
		default) PF_MAIN_CF_EXTRA= ;;
		legacy)
			# static RSA only, TLS 1.0 to 1.2 (@SECLEVEL=0: OpenSSL 3 refuses
			# TLS < 1.2 at its default level)
			PF_MAIN_CF_EXTRA='smtpd_tls_protocols = >=TLSv1, <=TLSv1.2
smtpd_tls_ciphers = high
tls_high_cipherlist = AES128-SHA:AES256-GCM-SHA384:@SECLEVEL=0
smtpd_tls_chain_files = @CERTS@/good-rsa.key, @CERTS@/good-rsa.pem' ;;
		*) echo "attacks: unknown Postfix configuration $config" >&2; return 1 ;;
		esac
		export PF_MAIN_CF_EXTRA
		pf_start "$STARK" >"$dir/start.out" 2>&1 || { tail -n 5 "$dir/start.out"; return 1; }
		port=$PF_PORT name=$PF_NAME ca=$PF_CA ;;
	exim)
		exim_start "$STARK" "$config" >"$dir/start.out" 2>&1 || { tail -n 5 "$dir/start.out"; return 1; }
		port=$EXIM_PORT name=$EXIM_NAME ca=$EXIM_CA ;;
	opensmtpd)
		osmtpd_start "$STARK" "$config" >"$dir/start.out" 2>&1 || { tail -n 5 "$dir/start.out"; return 1; }
		port=$OSMTPD_PORT name=$OSMTPD_NAME ca=$OSMTPD_CA ;;
	esac
	t0=$(date +%s%N)
	"$STARK" scan --target "127.0.0.1:$port" --servername "$name" --ca "$ca" --no-suite \
		--out "$dir/report" -q >"$dir/stark.out" 2>&1 || rc=$?
	echo "attacks[$t]: stark scan exit $rc in $((($(date +%s%N) - t0) / 1000000)) ms"
	case $mta in
	postfix) pf_stop ;;
	exim) exim_stop ;;
	opensmtpd) osmtpd_stop ;;
	esac
	# 0/1 are verdicts; 2 is an incomplete run, which is fine only if the
	# expected file says which battery could not be run
	[ -f "$dir/report/results.json" ] || { echo "attacks[$t]: no report"; tail -n 5 "$dir/stark.out"; return 1; }
}

for t in $TARGETS; do
	case ${t%/*} in
	exim | opensmtpd)
		# shellcheck disable=SC2046
		mta_root_ensure "${t%/*}" $(mta_root_preset "${t%/*}") >/dev/null || {
			echo "attacks: FAIL: could not build the ${t%/*} root"
			exit 1
		} ;;
	esac
	scan "$t" || { echo "attacks: FAIL: $t could not be scanned"; exit 1; }
done

python3 - "$WORK" "$EXPECTED" $TARGETS <<'PY'
import json, os, sys
work, expected, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
want = {}
for n, line in enumerate(open(expected), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    f = line.split(None, 3)
    if len(f) < 3:
        sys.exit("%s:%d: want 'TARGET ID VERDICT [WORDS]'" % (expected, n))
    want[(f[0], f[1])] = (f[2], f[3] if len(f) > 3 else "", n)
bad = 0
for t in targets:
    r = json.load(open(os.path.join(work, t.replace("/", "-"), "report", "results.json")))
    got = {x["id"]: x for x in r["results"]
           if x["id"].startswith(("tls/t15-", "tls/t16-", "tls/t22-"))}
    if len(got) != 17:
        print("attacks[%s]: FAIL: %d battery results, want 17" % (t, len(got)))
        bad += 1
    for i, x in sorted(got.items()):
        why = x.get("reason") or x.get("notes") or ""
        w = want.get((t, i))
        if w is None:
            print("attacks[%s]: FAIL: %s %s not in %s (%s)" % (t, i, x["verdict"], expected, why))
            bad += 1
        elif w[0] != x["verdict"] or w[1] not in why:
            print("attacks[%s]: FAIL: %s is %s '%s'; expected %s with '%s' (line %d)"
                  % (t, i, x["verdict"], why, w[0], w[1], w[2]))
            bad += 1
        else:
            print("attacks[%s]: %-28s %-5s %s" % (t, i, x["verdict"], why[:150]))
    for (tt, i), w in want.items():
        if tt == t and i not in got:
            print("attacks[%s]: FAIL: no result %s (line %d)" % (t, i, w[2]))
            bad += 1
print("attacks: %s" % ("PASS" if bad == 0 else "FAIL (%d)" % bad))
sys.exit(1 if bad else 0)
PY

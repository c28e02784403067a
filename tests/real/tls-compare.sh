#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peers, TLS facts: stark scan beside testssl.sh against Postfix, Exim
# and OpenSMTPD (Debian packages), each in three TLS configurations, all on
# loopback (issue 4). Per target, both tools' offered protocol versions and
# cipher suites (per version, by 16-bit suite id) must agree; every
# difference must be listed, with its reason, in tls-compare/known-differences,
# else the test fails and shows the difference. The testssl side also has to
# show what the configuration asks for (tls12: exactly TLS 1.2 with 0xC027
# and 0xC030; tls13: TLS 1.3 only), so a configuration the MTA silently
# ignored cannot pass as a comparison. Wall times of both tools are printed
# per target.
#
# Targets (docs/mta-roots.md):
#   postfix/{default,tls12,tls13}    host Postfix, bench/postfix-instance.sh
#   exim/{default,tls12,tls13}       Exim 4.96 (GnuTLS) in its own root
#   opensmtpd/{default,tls12,tls13}  OpenSMTPD 7.4 (OpenSSL 3) in its own root
# Exim and OpenSMTPD run chrooted into roots built by bench/mta-root.sh
# (mmdebstrap, cached in /var/cache/stark/roots; the first build needs the
# Debian mirror and takes about a minute per root).
#
# usage: tests/real/tls-compare.sh STARK_BINARY SOURCE_DIR
# env:   TLS_COMPARE_MTAS     (default "postfix exim opensmtpd")
#        TLS_COMPARE_CONFIGS  (default "tls12 tls13"; with STARK_LONG=1
#                             "default tls12 tls13": testssl alone needs
#                             4-7 min per default target, which offers
#                             every suite its library has)
#        TLS_COMPARE_JOBS     targets probed at once (default 3; each target
#                             runs testssl, then stark, one after the other)
#        TLS_COMPARE_TESTSSL_TIMEOUT / TLS_COMPARE_STARK_TIMEOUT  seconds per
#                             run (defaults 400 / 120)
#        TLS_COMPARE_ATTACKS  1: also testssl's vulnerability checks (-H -I -T
#                             -BB -O -W -F -J -D -A -L, a second testssl run
#                             per target) against stark's batteries (T-15,
#                             T-16); default 1 with STARK_LONG=1, else 0
#                             (testssl's ROBOT check alone takes minutes)
#        STARK_REAL_KEEP=DIR  keep testssl's and stark's reports there
# exit:  0 all agree (or every difference is explained), 1 otherwise,
#        77 cannot run here: not root, or testssl.sh, Postfix or what builds
#        the MTA roots is missing. Nothing about stark is ever a SKIP: a
#        `stark scan` that is unknown, crashes, exits 2 or writes no report,
#        or a report that does not validate against reports/results.schema.json,
#        fails the test.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
DATA=$SRC/tests/real/tls-compare
MTAS=${TLS_COMPARE_MTAS:-postfix exim opensmtpd}
if [ "${STARK_LONG:-0}" = 1 ]; then
	CONFIGS=${TLS_COMPARE_CONFIGS:-default tls12 tls13}
else
	CONFIGS=${TLS_COMPARE_CONFIGS:-tls12 tls13}
fi
JOBS=${TLS_COMPARE_JOBS:-3}
ATTACKS=${TLS_COMPARE_ATTACKS:-${STARK_LONG:-0}}
TESTSSL_TIMEOUT=${TLS_COMPARE_TESTSSL_TIMEOUT:-400}
SCAN_TIMEOUT=${TLS_COMPARE_STARK_TIMEOUT:-120}

skip()
{
	echo "tls-compare: SKIP: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (Postfix's master, chroot and namespaces for Exim/OpenSMTPD)"
command -v testssl >/dev/null || skip "testssl.sh is not installed (scripts/install-deps.sh)"
for m in $MTAS; do
	case $m in
	postfix)
		[ -x /usr/lib/postfix/sbin/master ] || skip "Postfix is not installed (scripts/install-deps.sh)"
		;;
	exim | opensmtpd)
		if [ ! -f "/var/cache/stark/roots/$m/.stark-root" ] && ! command -v mmdebstrap >/dev/null; then
			skip "mmdebstrap is not installed and there is no $m root yet (scripts/install-deps.sh)"
		fi
		;;
	*)
		echo "tls-compare: unknown MTA '$m' (postfix, exim, opensmtpd)" >&2
		exit 2
		;;
	esac
done

# Should this script be SIGKILLed, the daemons still end on their own soon
# after the longest a target can take.
LIFETIME=$((2 * TESTSSL_TIMEOUT + SCAN_TIMEOUT + 120))
export PF_MAX_LIFETIME=${PF_MAX_LIFETIME:-$LIFETIME}
export EXIM_MAX_LIFETIME=${EXIM_MAX_LIFETIME:-$LIFETIME}
export OSMTPD_MAX_LIFETIME=${OSMTPD_MAX_LIFETIME:-$LIFETIME}

# shellcheck source=bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"
# shellcheck source=bench/exim-instance.sh
. "$SRC/bench/exim-instance.sh"
# shellcheck source=bench/opensmtpd-instance.sh
. "$SRC/bench/opensmtpd-instance.sh"

# Postfix's TLS configurations, on top of bench/postfix-instance.sh's main.cf
# (its "default" is that file unchanged: Postfix's defaults, ECDSA and RSA
# certificates), as PF_MAIN_CF_EXTRA lines.
pf_tls_config()
{
	case $1 in
	default) PF_MAIN_CF_EXTRA= ;;
	tls12)
		PF_MAIN_CF_EXTRA='smtpd_tls_protocols = >=TLSv1.2, <=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2, <=TLSv1.2
smtpd_tls_ciphers = high
smtpd_tls_mandatory_ciphers = high
tls_high_cipherlist = ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-GCM-SHA384
tls_preempt_cipherlist = yes
smtpd_tls_chain_files = @CERTS@/good-rsa.key, @CERTS@/good-rsa.pem' ;;
	tls13)
		PF_MAIN_CF_EXTRA='smtpd_tls_protocols = >=TLSv1.3
smtpd_tls_mandatory_protocols = >=TLSv1.3
smtpd_tls_chain_files = @CERTS@/good.key, @CERTS@/good.pem' ;;
	*)
		echo "tls-compare: unknown Postfix configuration '$1'" >&2
		return 1 ;;
	esac
	export PF_MAIN_CF_EXTRA
}

WORK=
PIDS=()
cleanup()
{
	local rc=$? p
	trap - EXIT INT TERM
	set +e
	# every target runs in its own subshell, which stops its MTA on exit
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ -n "${STARK_REAL_KEEP:-}" ] && [ -n "$WORK" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null
	fi
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-tls-compare.XXXXXX")

# Build the roots first, once, in the foreground (a first build takes about
# a minute each; the instances would otherwise queue on the build lock).
for m in $MTAS; do
	case $m in exim | opensmtpd) ;; *) continue ;; esac
	t0=$SECONDS
	# shellcheck disable=SC2046
	if ! root=$(mta_root_ensure "$m" $(mta_root_preset "$m")); then
		echo "tls-compare: FAIL: could not build the $m root (see above)"
		exit 1
	fi
	echo "tls-compare: $m root $root ready in $((SECONDS - t0)) s"
done

# stark scan is what this test is about: if it cannot even show its usage,
# fail now rather than after the testssl runs.
if ! out=$("$STARK" scan --help 2>&1); then
	echo "tls-compare: FAIL: '$STARK scan --help' did not succeed: $out"
	exit 1
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run_target MTA CONFIG DIR: start the MTA in that configuration, run testssl
# and stark scan against it, stop it. Runs in a subshell; writes
# DIR/{instance,testssl.json,testssl.out,testssl.ms,testssl.rc,stark/,
# stark.out,stark.ms,stark.rc,mta.log,error}.
run_target()
{
	local mta=$1 config=$2 dir=$3 port name ca t0 rc
	# globals (this is a subshell): the EXIT trap runs after the function
	# has returned
	TC_CHILD='' TC_MTA=$1 TC_DIR=$3
	# shellcheck disable=SC2317  # (called by the EXIT trap)
	stop_it()
	{
		set +e
		if [ -n "$TC_CHILD" ]; then
			kill -TERM "$TC_CHILD" 2>/dev/null
			wait "$TC_CHILD" 2>/dev/null
		fi
		case $TC_MTA in
		postfix) pf_log_tail 60 >"$TC_DIR/mta.log" 2>&1 ;;
		exim) exim_log_tail 60 >"$TC_DIR/mta.log" 2>&1 ;;
		opensmtpd) osmtpd_log_tail 60 >"$TC_DIR/mta.log" 2>&1 ;;
		esac
		pf_stop
		exim_stop
		osmtpd_stop
	}
	trap 'stop_it' EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	mkdir -p "$dir"
	case $mta in
	postfix)
		pf_tls_config "$config" || return 1
		pf_start "$STARK" >"$dir/start.out" 2>&1 || {
			echo "could not start Postfix ($config): $(tail -n 5 "$dir/start.out")" >"$dir/error"
			return 1
		}
		port=$PF_PORT name=$PF_NAME ca=$PF_CA
		;;
	exim)
		exim_start "$STARK" "$config" >"$dir/start.out" 2>&1 || {
			echo "could not start Exim ($config): $(tail -n 5 "$dir/start.out")" >"$dir/error"
			return 1
		}
		port=$EXIM_PORT name=$EXIM_NAME ca=$EXIM_CA
		;;
	opensmtpd)
		osmtpd_start "$STARK" "$config" >"$dir/start.out" 2>&1 || {
			echo "could not start OpenSMTPD ($config): $(tail -n 5 "$dir/start.out")" >"$dir/error"
			return 1
		}
		port=$OSMTPD_PORT name=$OSMTPD_NAME ca=$OSMTPD_CA
		;;
	esac
	echo "127.0.0.1:$port $name" >"$dir/instance"

	# testssl.sh: only the protocol check (-p) and every cipher per
	# protocol (-E); IP literal and --nodns none: no DNS at all; no
	# banner, colour or prompts. It tests the suites its OpenSSL lacks
	# with its own sockets code.
	t0=$(now_ms)
	rc=0
	timeout -k 10 "$TESTSSL_TIMEOUT" testssl --quiet --color 0 --warnings off --nodns none \
		--connect-timeout 10 --openssl-timeout 10 \
		--starttls smtp --protocols --cipher-per-proto \
		--jsonfile "$dir/testssl.json" "127.0.0.1:$port" >"$dir/testssl.out" 2>&1 &
	TC_CHILD=$!
	wait "$TC_CHILD" || rc=$?
	TC_CHILD=
	echo $(($(now_ms) - t0)) >"$dir/testssl.ms"
	echo "$rc" >"$dir/testssl.rc"

	# the vulnerability checks stark's batteries also run (issue 12)
	if [ "$ATTACKS" = 1 ]; then
		t0=$(now_ms)
		rc=0
		timeout -k 10 "$TESTSSL_TIMEOUT" testssl --quiet --color 0 --warnings off --nodns none \
			--connect-timeout 10 --openssl-timeout 10 --starttls smtp \
			-H -I -T -BB -O -W -F -J -D -A -L \
			--jsonfile "$dir/testssl-attacks.json" "127.0.0.1:$port" >"$dir/testssl-attacks.out" 2>&1 &
		TC_CHILD=$!
		wait "$TC_CHILD" || rc=$?
		TC_CHILD=
		echo $(($(now_ms) - t0)) >"$dir/testssl-attacks.ms"
		echo "$rc" >"$dir/testssl-attacks.rc"
	fi

	t0=$(now_ms)
	rc=0
	timeout -k 10 "$SCAN_TIMEOUT" "$STARK" scan --target "127.0.0.1:$port" --servername "$name" \
		--ca "$ca" --out "$dir/stark" -q --no-suite >"$dir/stark.out" 2>&1 &
	TC_CHILD=$!
	wait "$TC_CHILD" || rc=$?
	TC_CHILD=
	echo $(($(now_ms) - t0)) >"$dir/stark.ms"
	echo "$rc" >"$dir/stark.rc"
	return 0
}

# configurations outer: the three long default runs start first
TARGETS=()
for c in $CONFIGS; do
	for m in $MTAS; do
		TARGETS+=("$m/$c")
	done
done
echo "tls-compare: ${#TARGETS[@]} targets (${TARGETS[*]}), $JOBS at a time"
t_all=$SECONDS
running=0
for t in "${TARGETS[@]}"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	(run_target "${t%/*}" "${t#*/}" "$WORK/${t/\//-}") &
	PIDS+=($!)
	running=$((running + 1))
done
for p in "${PIDS[@]}"; do
	wait "$p" || true
done
PIDS=()
echo "tls-compare: all targets probed in $((SECONDS - t_all)) s"

# Compare. Exit 1 on an unexplained difference, a broken target or a broken
# stark scan (no report, exit status other than 0/1).
rc=0
JOBS=$JOBS ATTACKS=$ATTACKS python3 - "$WORK" "$DATA/known-differences" "${TARGETS[@]}" <<'EOF' || rc=$?
import fnmatch, json, os, sys

work, known_path, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
VERSIONS = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
TS_PROTO = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1",
            "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
TS_CIPHER = {"ssl2": "SSLv2", "ssl3": "SSLv3", "tls1": "TLSv1.0", "tls1_1": "TLSv1.1",
             "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}

def read(path, default=""):
    try:
        return open(path).read().strip()
    except OSError:
        return default

def sid(v, x):
    return ("0x%06X" if v == "SSLv2" else "0x%04X") % x

def testssl_facts(path):
    """({version: True/False/None}, {version: {id: name}}) from testssl's flat JSON"""
    vers, suites = {}, {v: {} for v in VERSIONS}
    for x in json.load(open(path)):
        i, f = x.get("id", ""), x.get("finding", "")
        if i in TS_PROTO:
            vers[TS_PROTO[i]] = False if "not offered" in f or f.startswith("no protocol") \
                else True if "offered" in f else None
        elif i.startswith("cipher-") and "_x" in i:
            proto, hexid = i[len("cipher-"):].rsplit("_x", 1)
            v = TS_CIPHER.get(proto)
            if v:
                suites[v][sid(v, int(hexid, 16))] = f.split()[-1] if f.split() else "?"
    return vers, suites

def stark_facts(path, target):
    r = json.load(open(path))
    nodes = (r.get("scan") or {}).get("nodes") or []
    node = next((n for n in nodes if n.get("target") == target), nodes[0] if nodes else None)
    if node is None:
        raise ValueError("no scan.nodes in %s" % path)
    if node.get("error"):
        raise ValueError("stark scan error: %s" % node["error"])
    vers = {v: bool((node.get("versions") or {}).get(v)) for v in VERSIONS}
    suites = {v: {} for v in VERSIONS}
    for v, lst in (node.get("suites") or {}).items():
        if v in suites:
            for s in lst:
                suites[v][sid(v, int(str(s["id"]), 16))] = s.get("name", "?")
    return vers, suites, node

# stark's battery (result id) and the testssl ids that test the same thing.
# LUCKY13 and BEAST are facts for stark (a PASS naming the CBC suites) and
# "potentially VULNERABLE" / "VULNERABLE" for testssl: both say "exposed".
ATTACKS = [
    ("heartbleed", "tls/t15-heartbleed", ["heartbleed"]),
    ("ccs-injection", "tls/t15-ccs-injection", ["CCS"]),
    ("ticketbleed", "tls/t15-ticketbleed", ["ticketbleed"]),
    ("robot", "tls/t15-robot", ["ROBOT"]),
    ("poodle", "tls/t16-poodle", ["POODLE_SSL"]),
    ("sweet32", "tls/t16-sweet32", ["SWEET32"]),
    ("freak", "tls/t16-freak", ["FREAK"]),
    ("logjam", "tls/t16-logjam", ["LOGJAM"]),
    ("drown", "tls/t16-drown", ["DROWN"]),
    ("lucky13", "tls/t16-lucky13", ["LUCKY13"]),
    ("beast", "tls/t16-beast", ["BEAST"]),
]

def testssl_attacks(path):
    """{name: (exposed True/False/None, finding)} from testssl's flat JSON"""
    by_id = {}
    for x in json.load(open(path)):
        by_id.setdefault(x.get("id", ""), x)
    out = {}
    for name, _, ids in ATTACKS:
        x = next((by_id[i] for i in ids if i in by_id), None)
        if x is None:
            out[name] = (None, "not in testssl's output")
            continue
        f = x.get("finding", "")
        low = f.lower()
        if "not vulnerable" in low or x.get("severity") == "OK" or low.startswith("no "):
            out[name] = (False, f)
        elif "vulnerable" in low:
            out[name] = (True, f)
        else:
            out[name] = (None, f)  # "test skipped", "not applicable", ...
    return out

def stark_attacks(path):
    r = json.load(open(path))
    out = {}
    for name, rid, _ in ATTACKS:
        x = next((y for y in r["results"] if y["id"] == rid), None)
        if x is None:
            out[name] = (None, "no result")
            continue
        why = x.get("reason") or x.get("notes") or ""
        v = x["verdict"]
        exposed = True if v == "fail" or why.startswith("fact:") else \
            False if v == "pass" else None
        out[name] = (exposed, "%s: %s" % (v, why))
    return out

def lines(vers, suites):
    out = {}
    for v in VERSIONS:
        if vers.get(v):
            out["version %s" % v] = ""
        for i, name in suites[v].items():
            out["suite %s %s" % (v, i)] = name
    return out

known = []  # (target glob, side, what glob, reason, lineno)
for n, line in enumerate(open(known_path), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    f = line.split()
    kind = f[2] if len(f) > 2 else ""
    width = 5 if kind == "suite" else 4
    if len(f) <= width or f[1] not in ("testssl-only", "stark-only") or \
            kind not in ("suite", "version", "attack"):
        sys.exit("%s:%d: want 'TARGET testssl-only|stark-only version V REASON', "
                 "'... suite V 0xID REASON' or '... attack NAME REASON'" % (known_path, n))
    if kind == "suite" and all(c in "0123456789abcdefABCDEF" for c in f[4][2:]) and f[4][:2] in ("0x", "0X"):
        f[4] = sid(f[3], int(f[4], 16))  # canonical spelling: 0xC02F
    known.append((f[0], f[1], " ".join(f[2:width]), " ".join(f[width:]), n))
used = set()

def explain(target, side, what):
    for tg, sd, wh, reason, n in known:
        if sd == side and fnmatch.fnmatchcase(target, tg) and fnmatch.fnmatchcase(what, wh):
            used.add(n)
            return reason
    return None

def sanity(target, vers, suites):
    """does testssl's view show what the configuration asks for?"""
    cfg = target.split("/")[1]
    on = [v for v in VERSIONS if vers.get(v)]
    if cfg == "tls12":
        if on != ["TLSv1.2"] or sorted(suites["TLSv1.2"]) != ["0xC027", "0xC030"]:
            return "tls12 must offer exactly TLS 1.2 with 0xC027, 0xC030; testssl saw %s %s" % (
                on, sorted(suites["TLSv1.2"]))
    elif cfg == "tls13":
        if on != ["TLSv1.3"] or not suites["TLSv1.3"]:
            return "tls13 must offer TLS 1.3 only; testssl saw %s" % on
    elif "TLSv1.2" not in on and "TLSv1.3" not in on:
        return "offers neither TLS 1.2 nor 1.3 according to testssl: %s" % on
    return None

failed = False
times = []
for t in targets:
    d = os.path.join(work, t.replace("/", "-"))
    tag = "tls-compare[%s]" % t
    err = read(os.path.join(d, "error"))
    if err:
        print("%s: FAIL: %s" % (tag, err))
        failed = True
        continue
    inst = read(os.path.join(d, "instance")).split()
    tms, trc = read(os.path.join(d, "testssl.ms"), "?"), read(os.path.join(d, "testssl.rc"), "?")
    try:
        if trc != "0":
            raise ValueError("testssl exited %s (124: timed out)" % trc)
        tv, ts = testssl_facts(os.path.join(d, "testssl.json"))
    except (OSError, ValueError) as e:
        print("%s: FAIL: no testssl result: %s" % (tag, e))
        print("  " + "\n  ".join(read(os.path.join(d, "testssl.out")).splitlines()[-15:]))
        failed = True
        continue
    print("%s: testssl (%s ms): %s" % (tag, tms, " ".join(
        "%s=%s" % (v, {True: "yes", False: "no", None: "?"}[tv.get(v)]) for v in VERSIONS)))
    for v in VERSIONS:
        if ts[v]:
            print("    %s: %s" % (v, " ".join("%s(%s)" % (i, n) for i, n in ts[v].items())))
    bad = sanity(t, tv, ts)
    if bad:
        print("%s: FAIL: configuration not in effect: %s" % (tag, bad))
        failed = True
    unknown = [v for v in VERSIONS if tv.get(v) is None]
    if unknown:
        print("%s: FAIL: testssl could not tell whether %s is offered" % (tag, ", ".join(unknown)))
        failed = True
    sms, src = read(os.path.join(d, "stark.ms"), "?"), read(os.path.join(d, "stark.rc"), "?")
    try:
        if src not in ("0", "1"):
            raise ValueError("stark scan exited %s (124: timed out)" % src)
        sv, ss, node = stark_facts(os.path.join(d, "stark", "results.json"), inst[0] if inst else "")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("%s: FAIL: no stark result: %s" % (tag, e))
        print("  " + "\n  ".join(read(os.path.join(d, "stark.out")).splitlines()[-15:]))
        failed = True
        times.append((t, tms, sms, None))
        continue
    times.append((t, tms, sms, node.get("connections")))
    a, b = lines(tv, ts), lines(sv, ss)
    diffs = [("testssl-only", w, a[w]) for w in sorted(set(a) - set(b))] + \
            [("stark-only", w, b[w]) for w in sorted(set(b) - set(a))]
    unexplained = []
    for side, what, name in diffs:
        reason = explain(t, side, what)
        if reason is None:
            unexplained.append((side, what, name))
        else:
            print("%s: known difference: %s %s %s: %s" % (tag, side, what, name, reason))
    if unexplained:
        failed = True
        print("%s: FAIL: %d unexplained difference(s) between testssl and stark:" % (tag, len(unexplained)))
        for side, what, name in unexplained:
            print("    %-12s %s %s" % (side, what, name))
        print("  (- testssl, + stark):")
        for w in sorted(set(a) | set(b)):
            print("    %s %s %s" % (" " if w in a and w in b else "-" if w in a else "+", w, a.get(w) or b.get(w)))
        print("  explain each in %s as: %s <testssl-only|stark-only> <version V|suite V 0xID> <reason>"
              % (known_path, t))
    else:
        print("%s: stark agrees with testssl: %d versions and suites%s" % (
            tag, len(set(a) & set(b)), ", apart from %d known difference(s)" % len(diffs) if diffs else ""))
    apath = os.path.join(d, "testssl-attacks.json")
    if os.environ.get("ATTACKS") == "1":
        arc = read(os.path.join(d, "testssl-attacks.rc"), "?")
        ams = read(os.path.join(d, "testssl-attacks.ms"), "?")
        try:
            if arc != "0":
                raise ValueError("testssl exited %s (124: timed out)" % arc)
            ta = testssl_attacks(apath)
        except (OSError, ValueError) as e:
            print("%s: FAIL: no testssl vulnerability result: %s" % (tag, e))
            failed = True
            continue
        sa = stark_attacks(os.path.join(d, "stark", "results.json"))
        agree = 0
        for name, _, _ in ATTACKS:
            (te, tf), (se, sf) = ta[name], sa[name]
            if te is None or se is None or te == se:
                agree += te is not None and te == se
                if te is None or se is None:
                    print("%s: %s: not compared (testssl: %s; stark: %s)" % (tag, name, tf, sf[:120]))
                continue
            side = "testssl-only" if te else "stark-only"
            reason = explain(t, side, "attack " + name)
            if reason is None:
                failed = True
                print("%s: FAIL: %s: testssl says %s, stark says %s" % (tag, name, tf, sf[:160]))
                print("  explain it in %s as: %s %s attack %s <reason>" % (known_path, t, side, name))
            else:
                print("%s: known difference: %s attack %s: %s" % (tag, side, name, reason))
        print("%s: stark agrees with testssl (%s ms) on %d vulnerability checks" % (tag, ams, agree))

print("\nwall times per target (testssl -p -E vs stark scan; %s targets probed at once, "
      "each tool alone on its target):" % os.environ.get("JOBS", "?"))
print("  %-22s %12s %12s %12s %8s" % ("target", "testssl ms", "stark ms", "stark conns", "ratio"))
for t, tms, sms, conns in times:
    ratio = "%.1fx" % (float(tms) / float(sms)) if sms and tms.isdigit() and sms.isdigit() and int(sms) else "-"
    print("  %-22s %12s %12s %12s %8s" % (t, tms, sms or "-", "-" if conns is None else conns, ratio))
for tg, sd, wh, reason, n in known:
    if n not in used and any(fnmatch.fnmatchcase(t, tg) for t in targets):
        print("note: %s:%d did not occur in this run: %s %s %s" % (os.path.basename(known_path), n, tg, sd, wh))
sys.exit(1 if failed else 0)
EOF
# every report stark wrote is a valid results.json (a missing one failed above)
python3 "$SRC/tests/validate-reports.py" --min 0 "$WORK" || rc=1
if [ "$rc" -eq 0 ]; then
	echo "tls-compare: PASS"
else
	echo "tls-compare: FAIL"
	exit 1
fi

# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034
# (SC2034: DNSFIX_* variables are this file's output to its caller)
#
# dnsfix.bash: a real, DNSSEC-signed authoritative DNS server on loopback
# for stark's domain tests (DANE, MTA-STS, TLS-RPT; issue 13) and for the
# sending-MTA tests (issue 14). NSD (Debian's nsd) serves zones signed with
# ldns-signzone (Debian's ldnsutils); stark validates them itself with
# libunbound against the trust anchor this fixture writes. Source it, then:
#
#   dnsfix_init                  new work dir DNSFIX_DIR, free port DNSFIX_PORT
#   dnsfix_zone ZONE [MODE]      a zone under the fixture's root "test."
#                                (e.g. example.test); MODE signed (default:
#                                DS in test., chain of trust) or unsigned
#                                (delegated without DS: provably insecure)
#   dnsfix_rr ZONE 'RR'          one record in zone-file syntax, owner names
#                                absolute ("mx1.example.test.") or relative
#                                to ZONE ("mx1"), e.g.
#                                dnsfix_rr example.test '@ MX 10 mx1'
#                                dnsfix_rr example.test 'mx1 A 127.0.0.2'
#                                dnsfix_rr example.test '_mta-sts TXT "v=STSv1; id=1"'
#   dnsfix_tlsa ZONE OWNER CERT.pem U S M
#                                a TLSA record U S M for the certificate
#                                (S 0: whole DER, 1: SPKI; M 0 exact, 1
#                                SHA-256, 2 SHA-512), via openssl
#   dnsfix_bogus ZONE OWNER TYPE after signing, the RRSIG over OWNER/TYPE gets
#                                a flipped signature byte (validation: bogus)
#   dnsfix_start                 sign, start nsd on 127.0.0.1:DNSFIX_PORT;
#                                sets DNSFIX_RESOLVER (127.0.0.1:PORT, for
#                                stark --resolver) and DNSFIX_ANCHOR (the DS
#                                of "test.", for stark --trust-anchor)
#   dnsfix_queries               queries NSD answered so far (nsd-control stats)
#   dnsfix_fake MODE             a broken DNS server on a free loopback port,
#                                MODE silent (reads, never answers), slow
#                                (answers after 30 s) or garbage (random
#                                bytes with the query id); sets DNSFIX_FAKE
#                                (127.0.0.1:PORT)
#   dnsfix_stop                  stop everything, remove DNSFIX_DIR (idempotent;
#                                call it from an EXIT trap)
#
# Nothing here leaves the machine: nsd listens on 127.0.0.1 only, and the
# callers run stark with --resolver $DNSFIX_RESOLVER and --trust-anchor
# $DNSFIX_ANCHOR (libunbound forwards every query there, and validates from
# the anchor of "test."); tests/real/domain.sh also runs everything in a
# network namespace with only lo up (unshare -n), so not even a stray query
# could get out. Safe under set -e. Needs nsd, ldnsutils, openssl, python3.

DNSFIX_DIR=${DNSFIX_DIR:-}
DNSFIX_PIDS=()

dnsfix__free_port()
{
	# a port free for UDP and TCP alike (the kernel picks the UDP one; the
	# TCP one may be taken, e.g. in TIME_WAIT: then another)
	python3 -c 'import socket
for _ in range(100):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    try:
        t = socket.socket(); t.bind(("127.0.0.1", s.getsockname()[1]))
    except OSError:
        continue
    print(s.getsockname()[1]); break
else:
    raise SystemExit("dnsfix: no port free for both UDP and TCP")'
}

dnsfix_init()
{
	DNSFIX_DIR=$(mktemp -d /tmp/dnsfix.XXXXXX)
	mkdir -p "$DNSFIX_DIR/zones"
	DNSFIX_PORT=$(dnsfix__free_port)
	DNSFIX_RESOLVER=127.0.0.1:$DNSFIX_PORT
	DNSFIX_ANCHOR=$DNSFIX_DIR/anchor.ds
	: >"$DNSFIX_DIR/zonelist"
	dnsfix__zone_file test signed
}

dnsfix__zone_file()
{
	local z=$1 mode=$2 f="$DNSFIX_DIR/zones/$1.zone"
	cat >"$f" <<EOF
\$ORIGIN $z.
\$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ NS ns.test.
EOF
	echo "$z $mode" >>"$DNSFIX_DIR/zonelist"
}

dnsfix_zone()
{
	local z=$1 mode=${2:-signed}
	case "$mode" in signed | unsigned) ;; *) echo "dnsfix_zone: MODE signed|unsigned" >&2; return 1 ;; esac
	dnsfix__zone_file "$z" "$mode"
	echo "$z. NS ns.test." >>"$DNSFIX_DIR/zones/test.zone"
}

dnsfix_rr()
{
	echo "$2" >>"$DNSFIX_DIR/zones/$1.zone"
}

dnsfix_tlsa()
{
	local zone=$1 owner=$2 pem=$3 u=$4 s=$5 m=$6 der data
	if [ "$s" = 0 ]; then
		der=$(openssl x509 -in "$pem" -outform DER | od -An -v -tx1 | tr -d ' \n')
	else
		der=$(openssl x509 -in "$pem" -noout -pubkey | openssl pkey -pubin -outform DER |
			od -An -v -tx1 | tr -d ' \n')
	fi
	case "$m" in
	0) data=$der ;;
	1 | 2) data=$(python3 -c 'import sys, hashlib
print(hashlib.new(sys.argv[2], bytes.fromhex(sys.argv[1])).hexdigest())' "$der" "sha$((m * 256))") ;;
	*) echo "dnsfix_tlsa: matching type $m" >&2; return 1 ;;
	esac
	echo "$owner TLSA $u $s $m $data" >>"$DNSFIX_DIR/zones/$zone.zone"
}

dnsfix_bogus()
{
	echo "$2 $3" >>"$DNSFIX_DIR/zones/$1.bogus"
}

# Sign ZONE into ZONE.signed with a fresh ECDSA P-256 key (one key, SEP flag,
# as a CSK); echo its DS.
dnsfix__sign()
{
	local z=$1 key
	(cd "$DNSFIX_DIR/zones" && key=$(ldns-keygen -a ECDSAP256SHA256 -k "$z." 2>/dev/null) &&
		ldns-signzone -o "$z." -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" \
			-i "$(date -u -d '-1 day' +%Y%m%d%H%M%S)" "$z.zone" "$key" &&
		ldns-key2ds -n -2 "$key.key")
}

# Flip one byte in the signature of the RRSIG over OWNER TYPE (the last
# field, base64): the record still parses, its validation fails.
dnsfix__corrupt()
{
	local z=$1 owner=$2 type=$3
	python3 - "$DNSFIX_DIR/zones/$z.zone.signed" "$owner" "$type" "$z" <<'PY'
import base64, sys
path, owner, rtype, zone = sys.argv[1:5]
if not owner.endswith("."):
    owner = (zone + ".") if owner == "@" else f"{owner}.{zone}."
lines = open(path).read().split("\n")
hit = 0
for i, l in enumerate(lines):
    f = l.split()
    if len(f) >= 13 and f[0].lower() == owner.lower() and f[3] == "RRSIG" and f[4] == rtype:
        sig = bytearray(base64.b64decode("".join(f[12:])))
        sig[len(sig) // 2] ^= 0x55
        lines[i] = " ".join(f[:12] + [base64.b64encode(bytes(sig)).decode()])
        hit += 1
if not hit:
    sys.exit(f"dnsfix_bogus: no RRSIG over {owner} {rtype}")
open(path, "w").write("\n".join(lines))
PY
}

dnsfix_start()
{
	local z mode conf=$DNSFIX_DIR/nsd.conf ds
	# children first: their DS go into test. before it is signed
	while read -r z mode; do
		[ "$z" = test ] && continue
		if [ "$mode" = signed ]; then
			ds=$(dnsfix__sign "$z") || { echo "dnsfix: signing $z failed" >&2; return 1; }
			echo "$ds" >>"$DNSFIX_DIR/zones/test.zone"
		else
			cp "$DNSFIX_DIR/zones/$z.zone" "$DNSFIX_DIR/zones/$z.zone.signed"
		fi
	done <"$DNSFIX_DIR/zonelist"
	echo "ns A 127.0.0.1" >>"$DNSFIX_DIR/zones/test.zone"
	dnsfix__sign test >"$DNSFIX_ANCHOR" || { echo "dnsfix: signing test. failed" >&2; return 1; }
	for f in "$DNSFIX_DIR"/zones/*.bogus; do
		[ -e "$f" ] || continue
		z=$(basename "$f" .bogus)
		while read -r owner type; do dnsfix__corrupt "$z" "$owner" "$type" || return 1; done <"$f"
	done
	cat >"$conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $DNSFIX_PORT
	username: ""
	chroot: ""
	zonesdir: "$DNSFIX_DIR/zones"
	pidfile: "$DNSFIX_DIR/nsd.pid"
	xfrdfile: "$DNSFIX_DIR/xfrd.state"
	zonelistfile: "$DNSFIX_DIR/zone.list"
	database: ""
	logfile: "$DNSFIX_DIR/nsd.log"
	server-count: 1
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: yes
	control-interface: "$DNSFIX_DIR/nsd.sock"
EOF
	while read -r z mode; do
		printf 'zone:\n\tname: "%s."\n\tzonefile: "%s.zone.signed"\n' "$z" "$z" >>"$conf"
	done <"$DNSFIX_DIR/zonelist"
	nsd-checkconf "$conf" || return 1
	nsd -d -c "$conf" >"$DNSFIX_DIR/nsd.out" 2>&1 &
	DNSFIX_PIDS+=($!)
	local i
	for i in $(seq 100); do
		if python3 - "$DNSFIX_PORT" 2>/dev/null <<'PY'; then return 0; fi
import socket, sys
q = bytes.fromhex("1234010000010000000000000474657374000006" "0001")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
a = s.recv(512)
sys.exit(0 if a[:2] == q[:2] and a[3] & 15 == 0 else 1)
PY
		sleep 0.1
	done
	echo "dnsfix: nsd did not answer on $DNSFIX_RESOLVER" >&2
	cat "$DNSFIX_DIR/nsd.out" "$DNSFIX_DIR/nsd.log" >&2 2>/dev/null
	return 1
}

dnsfix_queries()
{
	nsd-control -c "$DNSFIX_DIR/nsd.conf" stats_noreset 2>/dev/null |
		awk -F= '$1 == "num.queries" { print $2 }'
}

dnsfix_fake()
{
	local mode=$1 port
	port=$(dnsfix__free_port)
	python3 - "$mode" "$port" >/dev/null 2>&1 <<'PY' &
import os, socket, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", port))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port)); t.listen(16)
def answer(q):
    if mode == "silent":
        return None
    if mode == "slow":
        time.sleep(30)
        return q[:2] + bytes.fromhex("8180") + q[4:6] + b"\0\0\0\0\0\0" + q[12:]
    return q[:2] + os.urandom(40)  # garbage: the id, then noise
def tcp():
    while True:
        c, _ = t.accept()
        def one(c=c):
            try:
                q = c.recv(4096)[2:]
                a = answer(q)
                if a is None:
                    time.sleep(3600)
                c.sendall(len(a).to_bytes(2, "big") + a)
            except OSError:
                pass
        threading.Thread(target=one, daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
while True:
    q, peer = u.recvfrom(4096)
    def one(q=q, peer=peer):
        a = answer(q)
        if a is not None:
            u.sendto(a, peer)
    threading.Thread(target=one, daemon=True).start()
PY
	DNSFIX_PIDS+=($!)
	DNSFIX_FAKE=127.0.0.1:$port
	sleep 0.3
}

dnsfix_stop()
{
	local p
	for p in "${DNSFIX_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${DNSFIX_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	DNSFIX_PIDS=()
	[ -n "$DNSFIX_DIR" ] && rm -rf "$DNSFIX_DIR"
	DNSFIX_DIR=
}

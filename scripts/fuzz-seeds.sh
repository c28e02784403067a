#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-seeds.sh [BUILD_DIR] : (re)record the seed corpora under corpus/ from
# the scenario suite's transcripts. Runs `stark demo` (the server suite
# against the embedded reference target), reads every transcript of
# results.json and writes, deduplicated and named after the scenario:
#   corpus/smtp_reply/   every reply received (plaintext and inside TLS)
#   corpus/smtp_cmd/     every command sent
#   corpus/ehlo/         every multi-line 250 reply
#   corpus/transition_server/  the client's sends of each scenario in the
#       target's input format (docs/fuzzing.md): segment = one send
#   corpus/transition_client/  the server's replies of each scenario, turns
#   corpus/scenario/     scenarios/server/*.scn
# Hand-written seeds (names starting with "hand-") are kept. Needs python3.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/stark" demo --out "$out/r" >/dev/null || true
[ -f "$out/r/results.json" ] || { echo "no results.json from stark demo" >&2; exit 2; }
for t in smtp_reply smtp_cmd ehlo transition_server transition_client scenario; do
	mkdir -p "$here/corpus/$t"
	find "$here/corpus/$t" -type f ! -name 'hand-*' -delete
done
cp "$here"/scenarios/server/*.scn "$here/corpus/scenario/"
python3 - "$out/r/results.json" "$here/corpus" <<'PY'
import hashlib, json, os, re, sys

def unescape(s):
    # the inverse of escape_bytes(): \r \n \t \\ \" \xHH, printable ASCII as is
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x':
                out.append(int(s[i + 2:i + 4], 16)); i += 4; continue
            out += {'r': b'\r', 'n': b'\n', 't': b'\t', '\\': b'\\', '"': b'"'}[n]; i += 2; continue
        out += c.encode('latin-1'); i += 1
    return bytes(out)

res, corpus = json.load(open(sys.argv[1])), sys.argv[2]
seen = {}
def put(target, name, data):
    h = hashlib.sha1(data).hexdigest()[:12]
    if (target, h) in seen or not data:
        return
    seen[(target, h)] = 1
    with open(os.path.join(corpus, target, '%s-%s' % (name, h)), 'wb') as f:
        f.write(data)

for r in res['results']:
    name = re.sub(r'[^a-z0-9-]', '', r['id'].split('/')[-1])[:40]
    ev = r['transcript']['events']
    sends, turns, tls_sends = [], [], 0
    mode, glue, after_220, closed = 0, False, False, False
    for e in ev:
        data = unescape(e['data']) if e['dir'] in ('send', 'recv') else None
        if e['dir'] == 'recv':
            put('smtp_reply', name, data)
            if data.startswith(b'250-'):
                put('ehlo', name, data)
            turns.append(data)
            if data.startswith(b'220 ') and len(sends) and sends[-1].upper().startswith(b'STARTTLS'):
                after_220 = True
        elif e['dir'] == 'send':
            put('smtp_cmd', name, data)
            if closed:
                continue
            if e['layer'] == 'plain' and after_220:
                glue = True   # plaintext glued to the ClientHello (S-09c)
            if e['layer'] == 'tls':
                tls_sends += 1
            sends.append(data)
        elif e['dir'] == 'note':
            if e['data'].startswith('TLS handshake ok') and 'TLSv1.2' in e['data']:
                mode |= 1
            if e['data'].startswith('close_notify sent'):
                mode |= 8; closed = True
            if e['data'].startswith('TLS handshake'):
                after_220 = False
    if sends:
        put('transition_server', name, bytes([0, mode | (4 if glue else 0)]) + b'\xff'.join(sends))
    if turns:
        put('transition_client', name, bytes([(min(tls_sends, 3) << 2)]) + b'\xff'.join(turns))
PY
for t in smtp_reply smtp_cmd ehlo transition_server transition_client scenario; do
	printf '%-20s %s files\n' "$t" "$(find "$here/corpus/$t" -type f | wc -l)"
done

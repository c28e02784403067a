# SPDX-License-Identifier: MIT
# The MTA-STS policy host for tests: one real nginx (Debian's) on 127.0.0.1
# only, one listener per variant of https://mta-sts.$MTASTS_DOMAIN/.well-known/mta-sts.txt,
# with certificates from `stark certs`. Sourced by tests/real/mtasts.sh (and
# by whatever else needs a policy host: the domain scan's tests).
#
#   mtasts_https_start STARK WORKDIR   start nginx; fills MTASTS_PORT[variant],
#                                      MTASTS_CA (the CA file to trust),
#                                      MTASTS_SILENT_PORT (accepts, never answers),
#                                      MTASTS_REFUSED_PORT (nothing listens)
#   mtasts_https_stop                  stop what start started (by pid)
#   mtasts_https_log                   nginx's error and access logs (on failure)
#
# Variants (policy for mx1.$D and *.mx.$D unless said otherwise):
#   good       mode enforce, text/plain, valid certificate
#   testing    mode testing
#   none       mode none, no mx
#   maxage     max_age 31557601 (one above RFC 8461 3.2's bound)
#   notfound   404
#   redirect   301 to a path that serves the good policy (must not be followed)
#   html       Content-Type text/html
#   wronghost  certificate for wrong.invalid
#   unknownca  certificate from a CA that is not MTASTS_CA
#   big        a valid policy padded past 64 KiB
#   slow       the good policy at 1 byte/s (nginx limit_rate)
#   wildcard   only the pattern *.mx.$D
MTASTS_DOMAIN=${MTASTS_DOMAIN:-example.test}
declare -gA MTASTS_PORT=()
MTASTS_VARIANTS="good testing none maxage notfound redirect html wronghost unknownca big slow wildcard"
MTASTS_PID=
MTASTS_SILENT_PID=
MTASTS_DIR=

mtasts__free_ports()
{
	python3 - "$1" <<'EOF'
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
EOF
}

# mtasts__policy FILE MODE MAXAGE [MX...]
mtasts__policy()
{
	local f=$1 mode=$2 age=$3
	shift 3
	{
		printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
		for m in "$@"; do printf 'mx: %s\r\n' "$m"; done
		printf 'max_age: %s\r\n' "$age"
	} >"$f"
}

mtasts_https_start()
{
	local stark=$1 w=$2 d=$MTASTS_DOMAIN
	command -v nginx >/dev/null || { echo "mtasts-https: no nginx (scripts/install-deps.sh)" >&2; return 1; }
	MTASTS_DIR=$w
	mkdir -p "$w/tmp" "$w/www"
	"$stark" certs --out "$w/certs" --servername "mta-sts.$d" >/dev/null || return 1
	MTASTS_CA=$w/certs/ca.pem
	local v
	for v in $MTASTS_VARIANTS; do mkdir -p "$w/www/$v/.well-known"; done
	local wk=.well-known/mta-sts.txt
	mtasts__policy "$w/www/good/$wk" enforce 604800 "mx1.$d" "*.mx.$d"
	mtasts__policy "$w/www/testing/$wk" testing 86400 "mx1.$d" "*.mx.$d"
	mtasts__policy "$w/www/none/$wk" none 86400
	mtasts__policy "$w/www/maxage/$wk" enforce 31557601 "mx1.$d" "*.mx.$d"
	mtasts__policy "$w/www/redirect/.well-known/policy.txt" enforce 604800 "mx1.$d" "*.mx.$d"
	for v in html wronghost unknownca slow; do cp "$w/www/good/$wk" "$w/www/$v/$wk"; done
	mtasts__policy "$w/www/wildcard/$wk" enforce 604800 "*.mx.$d"
	{
		cat "$w/www/good/$wk"
		python3 -c 'import sys; sys.stdout.write(("x-pad: " + "a" * 90 + "\r\n") * 800)'
	} >"$w/www/big/$wk"
	# notfound: no file

	local ports n=0
	read -r -a ports <<<"$(mtasts__free_ports 14)"
	for v in $MTASTS_VARIANTS; do MTASTS_PORT[$v]=${ports[$n]}; n=$((n + 1)); done
	MTASTS_SILENT_PORT=${ports[$n]}
	MTASTS_REFUSED_PORT=${ports[$((n + 1))]}

	{
		cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $w/nginx.pid;
error_log $w/error.log info;
events { worker_connections 64; }
http {
	access_log $w/access.log;
	client_body_temp_path $w/tmp/body;
	proxy_temp_path $w/tmp/proxy;
	fastcgi_temp_path $w/tmp/fastcgi;
	uwsgi_temp_path $w/tmp/uwsgi;
	scgi_temp_path $w/tmp/scgi;
	server_tokens off;
	types { }
	default_type text/plain;
	ssl_protocols TLSv1.2 TLSv1.3;
EOF
		for v in $MTASTS_VARIANTS; do
			local cert=good extra=""
			case $v in
			wronghost) cert=wrong-host ;;
			unknownca) cert=unknown-ca ;;
			html) extra="default_type text/html;" ;;
			slow) extra="limit_rate_after 250; limit_rate 1; sendfile off;" ;;
			redirect) extra="location = /$wk { return 301 https://mta-sts.$d:${MTASTS_PORT[$v]}/.well-known/policy.txt; }" ;;
			esac
			cat <<EOF
	server {
		listen 127.0.0.1:${MTASTS_PORT[$v]} ssl;
		server_name mta-sts.$d;
		ssl_certificate $w/certs/$cert.pem;
		ssl_certificate_key $w/certs/$cert.key;
		root $w/www/$v;
		$extra
	}
EOF
		done
		echo "}"
	} >"$w/nginx.conf"
	nginx -t -q -c "$w/nginx.conf" -p "$w" 2>"$w/nginx-t.err" || { cat "$w/nginx-t.err" >&2; return 1; }
	nginx -c "$w/nginx.conf" -p "$w" >"$w/nginx.out" 2>&1 &
	MTASTS_PID=$!
	# the silent peer: the kernel completes the TCP handshake (listen
	# backlog), nothing ever reads or answers
	python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(600)' "$MTASTS_SILENT_PORT" &
	MTASTS_SILENT_PID=$!
	local i
	for i in $(seq 1 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/${MTASTS_PORT[wildcard]}") 2>/dev/null &&
			(exec 3<>"/dev/tcp/127.0.0.1/$MTASTS_SILENT_PORT") 2>/dev/null; then
			return 0
		fi
		kill -0 "$MTASTS_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "mtasts-https: nginx did not start" >&2
	mtasts_https_log >&2
	return 1
}

mtasts_https_stop()
{
	local p
	for p in $MTASTS_PID $MTASTS_SILENT_PID; do
		kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }
	done
	MTASTS_PID= MTASTS_SILENT_PID=
	return 0
}

mtasts_https_log()
{
	[ -n "$MTASTS_DIR" ] || return 0
	local f
	for f in nginx.out error.log access.log; do
		[ -s "$MTASTS_DIR/$f" ] && { echo "--- $f"; tail -n 30 "$MTASTS_DIR/$f"; }
	done
	return 0
}

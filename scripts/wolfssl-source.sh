#!/bin/sh
# SPDX-License-Identifier: MIT
#
# wolfssl-source.sh DIR [VERSION] : unpack Debian's wolfSSL source package
# (`apt-get source wolfssl[=VERSION]`) under DIR/src once and print the path
# of the unpacked tree (DIR/src/wolfssl-<upstream>). What
# scripts/build-wolfssl.sh (stark's bundled wolfSSL) and
# scripts/fuzz-build-wolfssl.sh (the fuzzing builds) share; it owns getting
# the source, never building it.
#
# The deb-src entries are derived from the machine's own apt sources (their
# deb entries for this release's suites: VERSION_CODENAME, -updates,
# -security, turned into deb-src) in a private apt state directory DIR/apt,
# so no host name is written here, the machine's apt state is left alone,
# no root is needed, and third-party repositories (NodeSource, ...) are not
# asked for sources they do not have. A fresh Debian 12 root (mmdebstrap
# with the host's sources, scripts/clean-root.sh) has only deb entries: this
# is what makes `apt-get source` work there. Needs dpkg-dev (dpkg-source).
# A tree unpacked before is reused when its Debian version is VERSION (or
# when no VERSION is asked for).
set -eu
dir=${1:?usage: wolfssl-source.sh DIR [VERSION]}
want=${2:-}
mkdir -p "$dir/src"
dir=$(cd "$dir" && pwd)

# Debian version of an unpacked tree (debian/changelog's first line)
tree_version() {
	sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$1/debian/changelog" 2>/dev/null
}

for t in "$dir"/src/wolfssl-*/; do
	[ -d "$t" ] || continue
	t=${t%/}
	if [ -z "$want" ] || [ "$(tree_version "$t")" = "$want" ]; then
		echo "$t"
		exit 0
	fi
done

# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { echo "wolfssl-source: no VERSION_CODENAME in /etc/os-release" >&2; exit 2; }
apt="$dir/apt"
rm -rf "$apt"
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
# deb822 stanzas whose Suites name this release: Types -> deb-src
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk -v c="$codename" 'BEGIN { RS = ""; ORS = "\n\n" }
		{
			keep = 0; n = split($0, l, "\n"); out = ""
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^Suites:/) {
					m = split(l[i], w, /[ \t]+/)
					for (j = 2; j <= m; j++)
						if (w[j] == c || w[j] == c "-updates" || w[j] == c "-security")
							keep = 1
				}
				if (l[i] ~ /^Types:/)
					l[i] = "Types: deb-src"
				out = out l[i] "\n"
			}
			if (keep)
				print out
		}' "$f" >"$apt/sources.list.d/$(basename "$f")"
done
# one-line entries of this release: deb -> deb-src
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	awk -v c="$codename" '$1 == "deb" {
			for (i = 2; i <= NF; i++)
				if ($i == c || $i == c "-updates" || $i == c "-security") {
					$1 = "deb-src"; print; break
				}
		}' "$f" >"$apt/sources.list.d/$(basename "$f").list"
done
opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt/sources.list.d \
-o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache -o Debug::NoLocking=1 \
-o Acquire::Languages=none"
# shellcheck disable=SC2086
apt-get $opts update >"$apt/update.log" 2>&1 || {
	tail -n 20 "$apt/update.log" >&2
	echo "wolfssl-source: apt-get update of the deb-src entries failed" >&2
	exit 1
}
pkg=wolfssl
[ -z "$want" ] || pkg="wolfssl=$want"
# shellcheck disable=SC2086
(cd "$dir/src" && apt-get $opts source "$pkg" >"$apt/source.log" 2>&1) || {
	tail -n 20 "$apt/source.log" >&2
	echo "wolfssl-source: apt-get source $pkg failed" >&2
	exit 1
}
for t in "$dir"/src/wolfssl-*/; do
	[ -d "$t" ] || continue
	t=${t%/}
	if [ -z "$want" ] || [ "$(tree_version "$t")" = "$want" ]; then
		echo "$t"
		exit 0
	fi
done
echo "wolfssl-source: apt-get source $pkg left no matching tree in $dir/src" >&2
exit 1

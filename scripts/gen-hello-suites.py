#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write harness/hello_suites.c, hello's name tables, from data files.

  data/iana-tls-cipher-suites.csv   the IANA "TLS Cipher Suites" registry: ids, names
  data/extra-cipher-suites.csv      ids the registry lacks that scanners probe for, and
                                    registry ids left out of the table (Flags OMIT)
  data/openssl-cipher-names.csv     OpenSSL-style names by id
  data/ssl2-cipher-kinds.csv        SSLv2 CIPHER-KINDs with names and flags
  data/tls-groups.csv               supported groups in offering order (Offer = Y:
                                    in hello_groups_all)
  data/tls-signature-schemes.csv    signature schemes, strong first
  data/tls-alerts.csv               alert descriptions

Key bits and classification flags (hello.h, enum hello_cs_flag) are derived from
the IANA-style name by classify() below; only ids without such a name give them
in extra-cipher-suites.csv. Python 3 standard library only.

usage: gen-hello-suites.py [-o OUT | --check FILE] [SRCDIR]
  default: write to stdout; SRCDIR defaults to the directory above this script.
  --check: exit 1 with a diff when FILE differs from what would be generated.
"""
import csv
import difflib
import os
import re
import sys

# The order flags are written in (a flag's place in the expression only).
FLAG_ORDER = [
    "EXPORT", "NULL", "SCSV", "RC4", "ANON", "DES", "3DES", "STATIC_DH", "KRB5",
    "PSK", "SRP", "RSA_KX", "DHE", "ECDHE", "FS", "AU_RSA", "AU_DSS", "AU_ECDSA",
    "AEAD", "TLS12", "TLS13", "CBC", "CHACHA", "MD5", "SHA1", "ARIA", "GOST",
    "CAMELLIA", "NONSTD",
]

# Key exchange / authentication part of TLS_<KX>_WITH_... (EXPORT, EXPORT1024
# stripped first). Static (EC)DH authenticates with the certificate's key and is
# not flagged AU_*; anon DH is ephemeral but not FS (as testssl counts it).
KX = {
    "NULL": {"ANON"},
    "RSA": {"RSA_KX", "AU_RSA"},
    "RSA_FIPS": {"RSA_KX", "AU_RSA"},
    "DH_DSS": {"STATIC_DH"}, "DH_RSA": {"STATIC_DH"},
    "ECDH_ECDSA": {"STATIC_DH"}, "ECDH_RSA": {"STATIC_DH"},
    "DHE_DSS": {"DHE", "FS", "AU_DSS"}, "DHE_RSA": {"DHE", "FS", "AU_RSA"},
    "ECDHE_ECDSA": {"ECDHE", "FS", "AU_ECDSA"}, "ECDHE_RSA": {"ECDHE", "FS", "AU_RSA"},
    "CECPQ1_ECDSA": {"ECDHE", "FS", "AU_ECDSA"}, "CECPQ1_RSA": {"ECDHE", "FS", "AU_RSA"},
    "DH_anon": {"ANON", "DHE"}, "ECDH_anon": {"ANON", "ECDHE"},
    "KRB5": {"KRB5"},
    "PSK": {"PSK"}, "RSA_PSK": {"PSK", "RSA_KX", "AU_RSA"},
    "DHE_PSK": {"PSK", "DHE", "FS"}, "PSK_DHE": {"PSK", "DHE", "FS"},
    "ECDHE_PSK": {"PSK", "ECDHE", "FS"},
    "SRP_SHA": {"SRP"}, "SRP_SHA_RSA": {"SRP", "AU_RSA"}, "SRP_SHA_DSS": {"SRP", "AU_DSS"},
    "ECCPWD": set(),
    "GOSTR341094": set(), "GOSTR341001": set(), "GOSTR341112_256": set(),
    "GOSTR341094_RSA": {"RSA_KX", "AU_RSA"},
}

# Bulk cipher: (regex on the part after WITH_, key bits, flags). First match wins.
CIPHERS = [
    (r"NULL", 0, {"NULL"}),
    (r"RC4_(\d+)", None, {"RC4"}),
    (r"RC2_CBC_(\d+)", None, {"CBC"}),
    (r"IDEA_CBC", 128, {"CBC"}),
    (r"DES40_CBC", 40, {"DES", "CBC"}),
    (r"DES_CBC_40", 40, {"DES", "CBC"}),
    (r"DES_CBC", 56, {"DES", "CBC"}),
    (r"3DES_EDE_CBC", 168, {"3DES", "CBC"}),
    (r"SEED_CBC", 128, {"CBC"}),
    (r"(?:AES|CAMELLIA|ARIA)_(\d+)_CBC", None, {"CBC"}),
    (r"(?:AES|CAMELLIA|ARIA)_(\d+)_(?:GCM|CCM_8|CCM)", None, {"AEAD"}),
    (r"CHACHA20_POLY1305", 256, {"AEAD", "CHACHA"}),
    (r"28147_CNT", 256, set()),
    (r"(?:KUZNYECHIK|MAGMA)_CTR", 256, set()),
    (r"(?:KUZNYECHIK|MAGMA)_MGM_[LS]", 256, {"AEAD"}),
]


def classify(name):
    """(bits, flags) of a suite from its IANA-style name; ValueError if unknown."""
    flags = set()
    if name.endswith("_SCSV"):
        return 0, {"SCSV"}
    m = re.fullmatch(r"TLS_(?:AES_(\d+)_(?:GCM|CCM|CCM_8)|(CHACHA20)_POLY1305|(SM4)_(?:GCM|CCM)"
                     r"|(SHA256|SHA384))_(?:SHA\d+|SM3)", name)
    if m:  # TLS 1.3 (RFC 8446 B.4, RFC 8998, RFC 9150): no key exchange in the name
        if m.group(4):
            return 0, {"NULL", "FS", "TLS13"}
        bits = int(m.group(1)) if m.group(1) else 256 if m.group(2) else 128
        return bits, {"FS", "AEAD", "TLS13"} | ({"CHACHA"} if m.group(2) else set())
    m = re.fullmatch(r"(?:TLS|SSL)_(\w+?)_WITH_(\w+?)(?:_OLD)?", name)
    if not m:
        raise ValueError(f"cannot classify {name}")
    kx, rest = m.group(1), m.group(2)
    e = re.fullmatch(r"(\w+)_EXPORT(?:1024)?", kx)
    if e:
        flags.add("EXPORT")
        kx = e.group(1)
    if kx not in KX:
        raise ValueError(f"unknown key exchange {kx} in {name}")
    flags |= KX[kx]
    for rx, bits, fl in CIPHERS:
        c = re.match(rx + r"(?:_|$)", rest)
        if c:
            break
    else:
        raise ValueError(f"unknown cipher in {name}")
    if bits is None:
        bits = int(c.group(1))
    flags |= fl
    mac = rest[c.end():]
    if "MGM" in rest:  # RFC 9367: TLS 1.3 GOST suites keep a TLS 1.2-style name
        flags |= {"FS", "TLS13"}
    elif "AEAD" in flags or kx == "GOSTR341112_256":  # RFC 5288 4; RFC 9189 is TLS 1.2 only
        flags.add("TLS12")
    elif mac in ("SHA256", "SHA384") and "PSK" not in flags:
        # a SHA-256/384 MAC means the TLS 1.2 PRF (RFC 5246 5). Not for PSK:
        # RFC 5487 and 5489 define their SHA-256/384 suites for TLS 1.0/1.1 too
        # (with the TLS 1.0 PRF); the table treats the PSK CAMELLIA/ARIA
        # suites of RFC 6367 / 6209 alike.
        flags.add("TLS12")
    if mac == "MD5":
        flags.add("MD5")
    elif mac == "SHA":
        flags.add("SHA1")
    if re.search(r"GOST|28147|KUZNYECHIK|MAGMA", name):
        flags.add("GOST")
    if "CAMELLIA" in rest:
        flags.add("CAMELLIA")
    if "ARIA" in rest:
        flags.add("ARIA")
    return bits, flags


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def suite_id(value):
    """0xNNNN from "0xHH,0xLL" (IANA) or "0xNNNN"; None for ranges."""
    m = re.fullmatch(r"0x([0-9A-F]{2}),0x([0-9A-F]{2})", value) or \
        re.fullmatch(r"0x([0-9A-F]{2})([0-9A-F]{2})", value)
    return int(m.group(1) + m.group(2), 16) if m else None


def build(src):
    table = {}  # id -> [bits, iana name or None, flags]
    for r in rows(os.path.join(src, "data/iana-tls-cipher-suites.csv")):
        i = suite_id(r["Value"])
        if i is not None and r["Description"].startswith("TLS_"):
            table[i] = [None, r["Description"], None]
    for r in rows(os.path.join(src, "data/extra-cipher-suites.csv")):
        i = suite_id(r["Value"])
        extra = set(r["Flags"].split())
        if "OMIT" in extra:
            if table.pop(i, None) is None:
                sys.exit(f"OMIT {r['Value']}: not in the registry")
            continue
        if i in table:
            sys.exit(f"{r['Value']} is in the registry already")
        if r["Description"]:
            bits, flags = classify(r["Description"])
            table[i] = [bits, r["Description"], flags | extra]
        else:
            table[i] = [int(r["Bits"]), None, extra]
    for e in table.values():
        if e[2] is None:
            e[0], e[2] = classify(e[1])
    openssl = {}
    for r in rows(os.path.join(src, "data/openssl-cipher-names.csv")):
        i = suite_id(r["Value"])
        if i not in table:
            sys.exit(f"OpenSSL name for {r['Value']}, which is not in the table")
        openssl[i] = r["OpenSSL"]
    return table, openssl


HEAD = """\
/* SPDX-License-Identifier: MIT */
/*
 * hello_suites: hello's name tables: the cipher suites (every IANA TLS suite
 * plus the unregistered ids scanners probe for), SSLv2 cipher kinds, groups,
 * signature schemes, alerts. Public: hello_suite*, hello_ssl2_*,
 * hello_group_name, hello_groups_all, hello_sigalg_name, hello_sigalgs_all,
 * hello_alert_name. Invariant: suites sorted by id; ids unique in each table.
 *
 * GENERATED by scripts/gen-hello-suites.py from the CSV files in data/ (the
 * suites from the IANA registry, data/iana-tls-cipher-suites.csv): do not
 * edit; change those and run the script (ctest gen_hello_suites_current).
 */
#include "hello.h"

#include <stdio.h>
#include <strings.h>

static const struct hello_suite suites[] = {
"""

TAIL = """\
};
#define NSUITES (sizeof suites / sizeof suites[0])

const struct hello_suite *hello_suites(size_t *n)
{
	*n = NSUITES;
	return suites;
}

const struct hello_suite *hello_suite_find(uint16_t id)
{
	size_t lo = 0, hi = NSUITES;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (suites[mid].id == id)
			return &suites[mid];
		if (suites[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int hello_suite_by_name(const char *name)
{
	for (size_t i = 0; i < NSUITES; i++)
		if ((suites[i].iana && strcasecmp(suites[i].iana, name) == 0) ||
		    (suites[i].openssl && strcasecmp(suites[i].openssl, name) == 0))
			return suites[i].id;
	return -1;
}

const char *hello_suite_label(uint16_t id, char *out, size_t outlen)
{
	const struct hello_suite *s = hello_suite_find(id);
	if (s && s->openssl)
		return s->openssl;
	if (s && s->iana)
		return s->iana;
	snprintf(out, outlen, "0x%04X", id);
	return out;
}
"""


def flag_expr(flags):
    unknown = set(flags) - set(FLAG_ORDER)
    if unknown:
        sys.exit(f"unknown flags {unknown}")
    return " | ".join("CS_" + f for f in FLAG_ORDER if f in flags) or "0"


def id_names(src, name):
    """[(id, name, row)] of a Value,Name,... file, ids unique, order kept."""
    out, seen = [], set()
    for r in rows(os.path.join(src, "data", name)):
        i = int(r["Value"], 0)
        if i in seen:
            sys.exit(f"data/{name}: {r['Value']} twice")
        seen.add(i)
        out.append((i, r["Name"], r))
    return out


def group_fmt(i):
    return str(i) if i < 0x100 else f"0x{i:04X}"  # the IANA registry's decimal for the small ones


def sigalg_fmt(i):
    return f"0x{i:04x}"


def name_table(var, entries, fmt):
    body = "".join(f"\t{{{fmt(i)}, \"{n}\"}},\n" for i, n, _ in entries)
    return f"\nstatic const struct id_name {var}[] = {{\n{body}}};\n"


def id_list(var, ids, fmt):
    lines, line = [], "\t"
    for i in ids:
        item = fmt(i) + ","
        if len(line) + len(item) + 1 > 88:
            lines.append(line.rstrip() + "\n")
            line = "\t"
        line += item + " "
    lines.append(line.rstrip() + "\n")
    return f"static const uint16_t {var}[] = {{\n{''.join(lines)}}};\n"

SSL2_HEAD = """
/* SSLv2 CIPHER-KINDs ("The SSL Protocol", Hickman 1995, appendix C). */
static const struct hello_ssl2_kind ssl2_kinds[] = {
"""

SSL2_TAIL = """\
};
#define NSSL2 (sizeof ssl2_kinds / sizeof ssl2_kinds[0])

const struct hello_ssl2_kind *hello_ssl2_kinds(size_t *n)
{
	*n = NSSL2;
	return ssl2_kinds;
}

const struct hello_ssl2_kind *hello_ssl2_find(uint32_t id)
{
	for (size_t i = 0; i < NSSL2; i++)
		if (ssl2_kinds[i].id == id)
			return &ssl2_kinds[i];
	return NULL;
}
"""

NAMES_HEAD = """
/* groups, signature schemes, alerts: IANA registry names (data/README.md
 * says where they differ); the lists in stark's offering order */
struct id_name {
	uint16_t id;
	const char *name;
};
"""

NAMES_TAIL = """\
#define COUNT(a) (sizeof a / sizeof a[0])

static const char *name_of(const struct id_name *t, size_t n, unsigned id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].name;
	return NULL;
}

const char *hello_group_name(uint16_t g)
{
	return name_of(group_names, COUNT(group_names), g);
}

const uint16_t *hello_groups_all(size_t *n)
{
	*n = COUNT(groups_all);
	return groups_all;
}

const char *hello_sigalg_name(uint16_t s)
{
	return name_of(sigalg_names, COUNT(sigalg_names), s);
}

const uint16_t *hello_sigalgs_all(size_t *n)
{
	*n = COUNT(sigalgs_all);
	return sigalgs_all;
}

const char *hello_alert_name(uint8_t d)
{
	return name_of(alert_names, COUNT(alert_names), d);
}
"""


def render(src, table, openssl):
    def cstr(s):
        return f'"{s}"' if s else "NULL"
    out = [HEAD]
    for i in sorted(table):
        bits, name, flags = table[i]
        out.append(f"\t{{0x{i:04X}, {bits}, {cstr(name)}, {cstr(openssl.get(i))},\n"
                   f"\t {flag_expr(flags)}}},\n")
    out.append(TAIL)
    out.append(SSL2_HEAD)
    for i, n, r in id_names(src, "ssl2-cipher-kinds.csv"):
        out.append(f'\t{{0x{i:06X}, "{n}", "{r["OpenSSL"]}", {flag_expr(r["Flags"].split())}}},\n')
    out.append(SSL2_TAIL)
    groups = id_names(src, "tls-groups.csv")
    out.append(NAMES_HEAD)
    out.append(name_table("group_names", groups, group_fmt))
    out.append("/* offering order: common and strong first */\n")
    out.append(id_list("groups_all", [i for i, _, r in groups if r["Offer"] == "Y"], group_fmt))
    sigalgs = id_names(src, "tls-signature-schemes.csv")
    out.append(name_table("sigalg_names", sigalgs, sigalg_fmt))
    out.append("/* strong first */\n")
    out.append(id_list("sigalgs_all", [i for i, _, _ in sigalgs], sigalg_fmt))
    out.append(name_table("alert_names", id_names(src, "tls-alerts.csv"), str))
    out.append("\n" + NAMES_TAIL)
    return "".join(out)


def main(argv):
    mode, path = None, None
    if len(argv) >= 2 and argv[0] in ("-o", "--check"):
        mode, path, argv = argv[0], argv[1], argv[2:]
    src = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    try:
        text = render(src, *build(src))
    except ValueError as e:
        sys.exit(f"gen-hello-suites: {e}")
    if mode == "-o":
        with open(path, "w") as f:
            f.write(text)
    elif mode == "--check":
        with open(path) as f:
            have = f.read()
        if have != text:
            sys.stdout.writelines(difflib.unified_diff(
                have.splitlines(True), text.splitlines(True), path, "generated"))
            sys.exit(f"{path} is stale: run scripts/gen-hello-suites.py -o {path}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])

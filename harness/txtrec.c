/* SPDX-License-Identifier: MIT */
/*
 * txtrec: the field loop the MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3)
 * TXT record grammars share: version, ';'-delimited name=value fields with
 * optional WSP around the delimiters, an optional trailing delimiter,
 * ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). Owns that
 * loop and the extension-value scan. Never judges a field (mtasts.c and
 * tlsrpt.c do, through a callback), never does DNS or printing.
 */
#include "txtrec.h"

#include <stdbool.h>
#include <string.h>

#include "util.h"

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t txtrec_ext_name_len(const char *s)
{
	size_t i = 0;
	if (!is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < 32 && (is_alnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.');
	     i++)
		;
	return i;
}

const char *txtrec_ext_value(const char *name, size_t namelen, const char *v, char *err, size_t n)
{
	const char *e = v;
	while (*e >= 0x21 && *e <= 0x7e && *e != ';' && *e != '=')
		e++;
	if (e == v) {
		errf(err, n, "empty value for '%.*s'", (int)namelen, name);
		return NULL;
	}
	return e;
}

int txtrec_parse(const char *txt, const char *version, txtrec_field_fn field, void *ctx, char *err, size_t n)
{
	size_t vl = strlen(version);
	if (strncmp(txt, version, vl) != 0 || (txt[vl] && txt[vl] != ';' && !is_wsp(txt[vl])))
		return 1;
	const char *p = txt + vl;
	size_t fields = 0;
	for (;;) {
		const char *d = p;
		while (is_wsp(*d))
			d++;
		if (*d == '\0' && fields > 0 && d == p)
			break;
		if (*d != ';') {
			errf(err, n, "expected ';' at offset %zu", (size_t)(d - txt));
			return -1;
		}
		d++;
		while (is_wsp(*d))
			d++;
		if (*d == '\0')
			break; /* the optional trailing delimiter, or "v;" with no field (the caller judges) */
		p = d;
		size_t k = txtrec_ext_name_len(p);
		if (k == 0 || p[k] != '=') {
			errf(err, n, "expected a field name=value at offset %zu", (size_t)(p - txt));
			return -1;
		}
		p = field(ctx, txt, p, k, p + k + 1, err, n);
		if (p == NULL)
			return -1;
		fields++;
		if (*p && *p != ';' && !is_wsp(*p)) {
			errf(err, n, "unexpected '%c' at offset %zu", *p, (size_t)(p - txt));
			return -1;
		}
	}
	return 0;
}

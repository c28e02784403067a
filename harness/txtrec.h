/* SPDX-License-Identifier: MIT */
/*
 * txtrec: the shared shape of the RFC 8461 3.1 (MTA-STS) and RFC 8460 3
 * (TLS-RPT) TXT records: a version, then 1*(field-delim name=value)
 * [field-delim], field-delim = *WSP ";" *WSP. Owns that loop and the
 * extension-value scan; never knows a field's meaning (the callers do).
 */
#ifndef STARK_TXTREC_H
#define STARK_TXTREC_H

#include <stddef.h>

/* One field: name (namelen bytes) and its value at v, inside txt (for
 * offsets in messages). Returns the end of the value it read, or NULL
 * with err set when the field is malformed. */
typedef const char *(*txtrec_field_fn)(void *ctx, const char *txt, const char *name, size_t namelen,
                                       const char *v, char *err, size_t n);

/* 1: txt does not start with version followed by the end, WSP or ';'
 * (err untouched: the caller says what record it is not); -1: malformed
 * (err set); 0: every field went through field(). */
int txtrec_parse(const char *txt, const char *version, txtrec_field_fn field, void *ctx, char *err, size_t n);

/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."): its
 * length at s, 0 when s does not start with one. */
size_t txtrec_ext_name_len(const char *s);

/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E): its end, or NULL with
 * "empty value for 'name'" in err. */
const char *txtrec_ext_value(const char *name, size_t namelen, const char *v, char *err, size_t n);

#endif

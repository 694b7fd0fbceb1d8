/* Per-argument-kind behaviour, once for every target: how a handle, an enum, a bounded
 * integer and a string are decoded from bytes, encoded, printed and parsed. The binary
 * and text modules loop over an op's descriptor and dispatch through esc_kinds[].
 *
 * Binary layout per kind:
 *   handle: 1 byte, index modulo the live resources of its kind;
 *   enum:   1 byte modulo nvalues;
 *   int:    1, 2, 4 or 8 little-endian bytes (by the width of max - min), value
 *           min + raw mod (max - min + 1);
 *   string: 1 tag byte t; t mod (ndict + 1) < ndict names dict[t mod (ndict + 1)],
 *           otherwise a length byte (mod ESC_MAX_STR + 1) and that many raw bytes, NUL
 *           bytes read as 0x01 (a string never holds NUL).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- handle ---- */

static int handle_decode(esc_rd *r, const esc_target *t, const esc_arg_desc *d,
			 const esc_live *live, esc_arg *a)
{
	uint8_t b = esc_rd_u8(r);
	unsigned n = live->n[d->res];
	if (n == 0)
		return -1;
	a->i = live->ops[d->res][b % n];
	return 0;
}

static void handle_encode(esc_wr *w, const esc_target *t, const esc_arg_desc *d,
			  const esc_live *live, const esc_scn *s, const esc_arg *a)
{
	unsigned k = 0;
	while (k < live->n[d->res] && live->ops[d->res][k] != a->i)
		k++;
	esc_wr_u8(w, (uint8_t)k);
}

static void handle_print(esc_sb *b, const esc_arg_desc *d, const esc_names *nm,
			 const esc_arg *a)
{
	esc_sb_printf(b, "$%d", nm->name[a->i]);
}

static int handle_parse(esc_lex *lx, const char *tok_end, const esc_target *t,
			const esc_arg_desc *d, const esc_symtab *st, unsigned opidx,
			const esc_scn *s, esc_arg *a)
{
	const char *start = lx->p;
	if (*start != '$')
		return esc_lex_error(lx, start, "expected a handle ($name) for %s", d->name);
	size_t len = (size_t)(tok_end - start - 1);
	for (unsigned k = 0; k < st->n; k++) {
		if (strlen(st->name[k]) == len && memcmp(st->name[k], start + 1, len) == 0) {
			int op = st->op[k];
			unsigned produced = t->ops[s->ops[op].op].produces;
			if (produced != d->res)
				return esc_lex_error(lx, start, "%.*s is a %s, %s needs a %s",
						     (int)(len + 1), start,
						     produced == ESC_NO_RES ? "nothing" :
						     t->res_kinds[produced], d->name,
						     t->res_kinds[d->res]);
			a->i = op;
			lx->p = tok_end;
			return 0;
		}
	}
	return esc_lex_error(lx, start, "%.*s is not defined by an earlier op", (int)(len + 1),
			     start);
}

static int handle_is_default(const esc_arg_desc *d, const esc_arg *a)
{
	return 0;
}

static void handle_set_default(const esc_arg_desc *d, esc_arg *a)
{
	a->i = -1;
}

/* ---- enum ---- */

static int enum_decode(esc_rd *r, const esc_target *t, const esc_arg_desc *d,
		       const esc_live *live, esc_arg *a)
{
	a->i = esc_rd_u8(r) % d->nvalues;
	return 0;
}

static void enum_encode(esc_wr *w, const esc_target *t, const esc_arg_desc *d,
			const esc_live *live, const esc_scn *s, const esc_arg *a)
{
	esc_wr_u8(w, (uint8_t)a->i);
}

static void enum_print(esc_sb *b, const esc_arg_desc *d, const esc_names *nm, const esc_arg *a)
{
	esc_sb_puts(b, d->values[a->i]);
}

static int enum_parse(esc_lex *lx, const char *tok_end, const esc_target *t,
		      const esc_arg_desc *d, const esc_symtab *st, unsigned opidx,
		      const esc_scn *s, esc_arg *a)
{
	size_t len = (size_t)(tok_end - lx->p);
	for (unsigned k = 0; k < d->nvalues; k++) {
		if (strlen(d->values[k]) == len && memcmp(d->values[k], lx->p, len) == 0) {
			a->i = k;
			lx->p = tok_end;
			return 0;
		}
	}
	char list[256];
	esc_join(list, sizeof(list), d->values, d->nvalues);
	return esc_lex_error(lx, lx->p, "unknown value '%.*s' for %s (one of: %s)", (int)len,
			     lx->p, d->name, list);
}

static int enum_is_default(const esc_arg_desc *d, const esc_arg *a)
{
	return a->i == 0;
}

static void enum_set_default(const esc_arg_desc *d, esc_arg *a)
{
	a->i = 0;
}

/* ---- int ---- */

static unsigned int_width(const esc_arg_desc *d)
{
	uint64_t range = (uint64_t)d->max - (uint64_t)d->min;
	return range < 0x100 ? 1 : range < 0x10000 ? 2 : range < 0x100000000ull ? 4 : 8;
}

static int int_decode(esc_rd *r, const esc_target *t, const esc_arg_desc *d,
		      const esc_live *live, esc_arg *a)
{
	uint64_t raw = 0, range = (uint64_t)d->max - (uint64_t)d->min;
	unsigned w = int_width(d);
	for (unsigned k = 0; k < w; k++)
		raw |= (uint64_t)esc_rd_u8(r) << (8 * k);
	if (range != UINT64_MAX)
		raw %= range + 1;
	a->i = (int64_t)((uint64_t)d->min + raw);
	return 0;
}

static void int_encode(esc_wr *w, const esc_target *t, const esc_arg_desc *d,
		       const esc_live *live, const esc_scn *s, const esc_arg *a)
{
	uint64_t raw = (uint64_t)a->i - (uint64_t)d->min;
	unsigned width = int_width(d);
	for (unsigned k = 0; k < width; k++)
		esc_wr_u8(w, (uint8_t)(raw >> (8 * k)));
}

static void int_print(esc_sb *b, const esc_arg_desc *d, const esc_names *nm, const esc_arg *a)
{
	esc_sb_printf(b, "%lld", (long long)a->i);
}

static int int_parse(esc_lex *lx, const char *tok_end, const esc_target *t,
		     const esc_arg_desc *d, const esc_symtab *st, unsigned opidx,
		     const esc_scn *s, esc_arg *a)
{
	char buf[32];
	size_t len = (size_t)(tok_end - lx->p);
	if (len == 0 || len >= sizeof(buf))
		return esc_lex_error(lx, lx->p, "expected an integer for %s", d->name);
	memcpy(buf, lx->p, len);
	buf[len] = 0;
	char *e;
	errno = 0;
	long long v = strtoll(buf, &e, 10);
	if (*e || errno)
		return esc_lex_error(lx, lx->p, "expected an integer for %s, got '%s'", d->name,
				     buf);
	if (v < d->min || v > d->max)
		return esc_lex_error(lx, lx->p, "%s=%lld out of range [%lld, %lld]", d->name, v,
				     (long long)d->min, (long long)d->max);
	a->i = v;
	lx->p = tok_end;
	return 0;
}

static int int_is_default(const esc_arg_desc *d, const esc_arg *a)
{
	return a->i == d->min;
}

static void int_set_default(const esc_arg_desc *d, esc_arg *a)
{
	a->i = d->min;
}

/* ---- string ---- */

static int str_decode(esc_rd *r, const esc_target *t, const esc_arg_desc *d,
		      const esc_live *live, esc_arg *a)
{
	unsigned tag = esc_rd_u8(r) % (t->ndict + 1);
	if (tag < t->ndict) {
		snprintf(a->s, sizeof(a->s), "%s", t->dict[tag]);
		return 0;
	}
	unsigned len = esc_rd_u8(r) % (ESC_MAX_STR + 1);
	for (unsigned k = 0; k < len; k++) {
		uint8_t c = esc_rd_u8(r);
		a->s[k] = (char)(c ? c : 1);
	}
	a->s[len] = 0;
	return 0;
}

static void str_encode(esc_wr *w, const esc_target *t, const esc_arg_desc *d,
		       const esc_live *live, const esc_scn *s, const esc_arg *a)
{
	for (unsigned k = 0; k < t->ndict; k++) {
		if (strcmp(t->dict[k], a->s) == 0) {
			esc_wr_u8(w, (uint8_t)k);
			return;
		}
	}
	size_t len = strlen(a->s);
	esc_wr_u8(w, (uint8_t)t->ndict);
	esc_wr_u8(w, (uint8_t)len);
	for (size_t k = 0; k < len; k++)
		esc_wr_u8(w, (uint8_t)a->s[k]);
}

static void str_print(esc_sb *b, const esc_arg_desc *d, const esc_names *nm, const esc_arg *a)
{
	esc_sb_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)a->s; *p; p++) {
		if (*p == '"' || *p == '\\')
			esc_sb_printf(b, "\\%c", *p);
		else if (*p == '\n')
			esc_sb_puts(b, "\\n");
		else if (*p == '\t')
			esc_sb_puts(b, "\\t");
		else if (*p < 0x20 || *p >= 0x7f)
			esc_sb_printf(b, "\\x%02x", *p);
		else
			esc_sb_putc(b, (char)*p);
	}
	esc_sb_putc(b, '"');
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The string token was delimited by the parser (closing quote found); tok_end points
 * just past the closing quote. */
static int str_parse(esc_lex *lx, const char *tok_end, const esc_target *t,
		     const esc_arg_desc *d, const esc_symtab *st, unsigned opidx,
		     const esc_scn *s, esc_arg *a)
{
	const char *p = lx->p;
	if (*p != '"')
		return esc_lex_error(lx, p, "expected a quoted string for %s", d->name);
	p++;
	size_t n = 0;
	while (p < tok_end - 1) {
		int c = (unsigned char)*p++;
		if (c == '\\') {
			int e = (unsigned char)*p++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '"': case '\\': c = e; break;
			case 'x': {
				int hi = p < tok_end - 1 ? hexval(p[0]) : -1;
				int lo = p + 1 < tok_end - 1 ? hexval(p[1]) : -1;
				if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
					return esc_lex_error(lx, p - 2, "bad \\x escape (two hex digits, not 00)");
				c = hi * 16 + lo;
				p += 2;
				break;
			}
			default:
				return esc_lex_error(lx, p - 2, "unknown escape '\\%c'", e);
			}
		}
		if (n >= ESC_MAX_STR)
			return esc_lex_error(lx, lx->p, "string longer than %d bytes", ESC_MAX_STR);
		a->s[n++] = (char)c;
	}
	a->s[n] = 0;
	lx->p = tok_end;
	return 0;
}

static int str_is_default(const esc_arg_desc *d, const esc_arg *a)
{
	return a->s[0] == 0;
}

static void str_set_default(const esc_arg_desc *d, esc_arg *a)
{
	a->s[0] = 0;
}

const esc_kind_ops esc_kinds[ESC_ARG_NKINDS] = {
	[ESC_ARG_HANDLE] = { handle_decode, handle_encode, handle_print, handle_parse,
			     handle_is_default, handle_set_default },
	[ESC_ARG_ENUM] = { enum_decode, enum_encode, enum_print, enum_parse, enum_is_default,
			   enum_set_default },
	[ESC_ARG_INT] = { int_decode, int_encode, int_print, int_parse, int_is_default,
			  int_set_default },
	[ESC_ARG_STR] = { str_decode, str_encode, str_print, str_parse, str_is_default,
			  str_set_default },
};

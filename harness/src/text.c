/* The text form (.scn): what people read and what regressions are stored as.
 *
 *   # escapade scenario            (magic first line, optional on input)
 *   target vm2model                (before anything else but comments)
 *   expect vm2-3.11.4 escape privilege-amplification
 *   expect hardened   contained
 *   note free text
 *   $0 = vm.new nesting=true require=array
 *        host.exec $3 "id"
 *
 * Header lines come before the first op. Full-line comments are kept: among the header
 * they print before the target line, before an op they stay attached to it, after the
 * last op they print last. A result is named ($k) only when a later op uses it; print
 * renumbers names 0, 1, ... and aligns columns, so print(parse(t)) is canonical and
 * parse(print(s)) == s. Errors are reported as "LINE:COL: reason", first error only.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAGIC "# escapade scenario"

int esc_lex_error(esc_lex *lx, const char *at, const char *fmt, ...)
{
	if (lx->err && lx->errlen) {
		int n = snprintf(lx->err, lx->errlen, "%u:%u: ", lx->line,
				 (unsigned)(at - lx->bol) + 1);
		if (n >= 0 && (size_t)n < lx->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return ESC_E_PARSE;
}

int esc_looks_like_text(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return 0;
	}
	size_t i = 0;
	while (i < len && isspace(buf[i]))
		i++;
	if (i == len)
		return 1; /* only blanks: text, and the parser says what is missing */
	return buf[i] == '#' || (len - i >= 6 && memcmp(buf + i, "target", 6) == 0);
}

static void skip_ws(esc_lex *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
}

static const char *word_end(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

/* End of a quoted string starting at p ('"'): just past the closing quote, or NULL. */
static const char *quote_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static int append_line(char **dst, const char *s, size_t n)
{
	size_t old = *dst ? strlen(*dst) : 0;
	if (n > SIZE_MAX - old - 2)
		return ESC_E_NOMEM;
	char *p = realloc(*dst, old + n + 2);
	if (!p)
		return ESC_E_NOMEM;
	if (old)
		p[old++] = '\n';
	memcpy(p + old, s, n);
	p[old + n] = 0;
	*dst = p;
	return 0;
}

typedef struct parser {
	esc_lex lx;
	esc_scn *s;
	const esc_target *const *targets;
	esc_symtab st;
	char *pending; /* comments not yet attached */
} parser;

static int parse_target(parser *ps)
{
	esc_lex *lx = &ps->lx;
	if (ps->s->target)
		return esc_lex_error(lx, lx->p, "second 'target' line");
	skip_ws(lx);
	const char *e = word_end(lx->p, lx->end);
	if (e == lx->p)
		return esc_lex_error(lx, lx->p, "'target' needs a name");
	for (const esc_target *const *t = ps->targets; *t; t++) {
		if (strlen((*t)->name) == (size_t)(e - lx->p) &&
		    memcmp((*t)->name, lx->p, (size_t)(e - lx->p)) == 0) {
			ps->s->target = *t;
			lx->p = e;
			return 0;
		}
	}
	char known[256] = "";
	size_t used = 0;
	for (const esc_target *const *t = ps->targets; *t && used < sizeof(known); t++) {
		int n = snprintf(known + used, sizeof(known) - used, "%s%s",
				 t == ps->targets ? "" : " ", (*t)->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return esc_lex_error(lx, lx->p, "unknown target '%.*s' (known: %s)", (int)(e - lx->p),
			     lx->p, known);
}

static int parse_expect(parser *ps)
{
	esc_lex *lx = &ps->lx;
	const esc_target *t = ps->s->target;
	skip_ws(lx);
	const char *pe = word_end(lx->p, lx->end);
	char name[64];
	size_t n = (size_t)(pe - lx->p);
	if (n == 0)
		return esc_lex_error(lx, lx->p, "'expect' needs a profile");
	snprintf(name, sizeof(name), "%.*s", (int)n, lx->p);
	int prof = n < sizeof(name) ? esc_profile_index(t, name) : -1;
	if (prof < 0) {
		char known[512];
		esc_join(known, sizeof(known), t->profiles, t->nprofiles);
		return esc_lex_error(lx, lx->p, "unknown profile '%.*s' for %s (known: %s)",
				     (int)n, lx->p, t->name, known);
	}
	if (esc_scn_find_expect(ps->s, (unsigned)prof) >= 0)
		return esc_lex_error(lx, lx->p, "second expectation for profile %s", name);
	lx->p = pe;
	skip_ws(lx);
	const char *we = word_end(lx->p, lx->end);
	esc_verdict_kind kind;
	if ((size_t)(we - lx->p) == 9 && memcmp(lx->p, "contained", 9) == 0) {
		kind = ESC_CONTAINED;
	} else if ((size_t)(we - lx->p) == 6 && memcmp(lx->p, "escape", 6) == 0) {
		lx->p = we;
		skip_ws(lx);
		we = word_end(lx->p, lx->end);
		char kbuf[64];
		snprintf(kbuf, sizeof(kbuf), "%.*s", (int)(we - lx->p), lx->p);
		int k = esc_verdict_from_name(kbuf);
		if (k <= 0)
			return esc_lex_error(lx, lx->p,
					     "expected a verdict kind after 'escape' (privilege-amplification, "
					     "reference-leak, host-execution, policy-bypass, forged-authority, "
					     "integrity-violation, audit-gap)");
		kind = (esc_verdict_kind)k;
	} else {
		return esc_lex_error(lx, lx->p, "expected 'contained' or 'escape KIND'");
	}
	lx->p = we;
	if (esc_scn_set_expect(ps->s, (unsigned)prof, kind))
		return esc_lex_error(lx, lx->p, "too many expectations");
	return 0;
}

static int parse_note(parser *ps)
{
	esc_lex *lx = &ps->lx;
	skip_ws(lx);
	const char *e = lx->end;
	while (e > lx->p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (ps->s->nnotes >= ESC_MAX_NOTES)
		return esc_lex_error(lx, lx->p, "more than %d notes", ESC_MAX_NOTES);
	char **dst = &ps->s->notes[ps->s->nnotes];
	*dst = NULL;
	if (append_line(dst, lx->p, (size_t)(e - lx->p)))
		return ESC_E_NOMEM;
	ps->s->nnotes++;
	lx->p = lx->end;
	return 0;
}

/* Parses "[$name =] op args..." */
static int parse_op(parser *ps)
{
	esc_lex *lx = &ps->lx;
	esc_scn *s = ps->s;
	const esc_target *t = s->target;
	const char *bind = NULL;
	size_t bindlen = 0;
	if (s->nops >= ESC_MAX_OPS)
		return esc_lex_error(lx, lx->p, "more than %d ops", ESC_MAX_OPS);
	if (*lx->p == '$') {
		bind = lx->p + 1;
		const char *q = bind;
		while (q < lx->end && (isalnum((unsigned char)*q) || *q == '_'))
			q++;
		bindlen = (size_t)(q - bind);
		if (bindlen == 0 || bindlen >= sizeof(ps->st.name[0]))
			return esc_lex_error(lx, lx->p, "bad result name (letters, digits, _; at most 15)");
		lx->p = q;
		skip_ws(lx);
		if (lx->p >= lx->end || *lx->p != '=')
			return esc_lex_error(lx, lx->p, "expected '=' after $%.*s", (int)bindlen, bind);
		lx->p++;
		skip_ws(lx);
		for (unsigned k = 0; k < ps->st.n; k++)
			if (strlen(ps->st.name[k]) == bindlen && memcmp(ps->st.name[k], bind, bindlen) == 0)
				return esc_lex_error(lx, bind - 1, "$%.*s defined twice", (int)bindlen, bind);
	}
	const char *ne = word_end(lx->p, lx->end);
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)(ne - lx->p), lx->p);
	int opidx = (size_t)(ne - lx->p) < sizeof(name) ? esc_op_index(t, name) : -1;
	if (opidx < 0)
		return esc_lex_error(lx, lx->p, "unknown op '%.*s' for target %s", (int)(ne - lx->p),
				     lx->p, t->name);
	const esc_op_desc *d = &t->ops[opidx];
	if (bind && d->produces == ESC_NO_RES)
		return esc_lex_error(lx, lx->p, "%s produces nothing to name", d->name);
	lx->p = ne;
	unsigned idx = s->nops;
	esc_op *op = &s->ops[idx];
	memset(op, 0, sizeof(*op));
	op->op = (uint8_t)opidx;
	unsigned seen = 0, npos = 0;
	for (unsigned j = 0; j < d->nargs; j++)
		esc_kinds[d->args[j].kind].set_default(&d->args[j], &op->args[j]);
	for (;;) {
		skip_ws(lx);
		if (lx->p >= lx->end)
			break;
		if (*lx->p == '#')
			return esc_lex_error(lx, lx->p, "comments go on their own line");
		/* named argument? */
		int which = -1;
		const char *q = lx->p;
		while (q < lx->end && is_ident((unsigned char)*q))
			q++;
		if (q > lx->p && q < lx->end && *q == '=') {
			for (unsigned j = 0; j < d->nargs; j++)
				if (!d->args[j].positional && strlen(d->args[j].name) == (size_t)(q - lx->p) &&
				    memcmp(d->args[j].name, lx->p, (size_t)(q - lx->p)) == 0)
					which = (int)j;
			if (which < 0)
				return esc_lex_error(lx, lx->p, "unknown argument '%.*s' for %s",
						     (int)(q - lx->p), lx->p, d->name);
			if (seen & (1u << which))
				return esc_lex_error(lx, lx->p, "%s given twice", d->args[which].name);
			lx->p = q + 1;
		} else {
			while (npos < d->nargs && !d->args[npos].positional)
				npos++;
			if (npos >= d->nargs || !d->args[npos].positional)
				return esc_lex_error(lx, lx->p, "too many arguments for %s", d->name);
			which = (int)npos++;
		}
		const char *te;
		if (lx->p < lx->end && *lx->p == '"') {
			te = quote_end(lx->p, lx->end);
			if (!te)
				return esc_lex_error(lx, lx->p, "unterminated string");
			if (te < lx->end && *te != ' ' && *te != '\t')
				return esc_lex_error(lx, te, "expected a space after the string");
		} else {
			te = word_end(lx->p, lx->end);
		}
		const esc_arg_desc *ad = &d->args[which];
		if (te == lx->p)
			return esc_lex_error(lx, lx->p, "missing value for %s", ad->name);
		int rc = esc_kinds[ad->kind].parse(lx, te, t, ad, &ps->st, idx, s, &op->args[which]);
		if (rc)
			return rc;
		seen |= 1u << which;
	}
	for (unsigned j = 0; j < d->nargs; j++)
		if (d->args[j].positional && !(seen & (1u << j)))
			return esc_lex_error(lx, lx->end, "%s: missing argument %s", d->name,
					     d->args[j].name);
	op->comment = ps->pending;
	ps->pending = NULL;
	s->nops++;
	if (bind) {
		snprintf(ps->st.name[ps->st.n], sizeof(ps->st.name[0]), "%.*s", (int)bindlen, bind);
		ps->st.op[ps->st.n++] = (int)idx;
	}
	return 0;
}

static int parse_line(parser *ps, int first)
{
	esc_lex *lx = &ps->lx;
	skip_ws(lx);
	if (lx->p >= lx->end)
		return 0;
	if (*lx->p == '#') {
		const char *e = lx->end;
		while (e > lx->p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (first && (size_t)(e - lx->p) == strlen(MAGIC) && memcmp(lx->p, MAGIC, strlen(MAGIC)) == 0)
			return 0;
		return append_line(&ps->pending, lx->p, (size_t)(e - lx->p));
	}
	const char *we = word_end(lx->p, lx->end);
	size_t wl = (size_t)(we - lx->p);
	int is_target = wl == 6 && memcmp(lx->p, "target", 6) == 0;
	int is_expect = wl == 6 && memcmp(lx->p, "expect", 6) == 0;
	int is_note = wl == 4 && memcmp(lx->p, "note", 4) == 0;
	if (!ps->s->target && !is_target)
		return esc_lex_error(lx, lx->p, "expected 'target NAME' before anything else");
	if (is_target || is_expect || is_note) {
		if (ps->s->nops)
			return esc_lex_error(lx, lx->p, "header line '%.*s' after the first op",
					     (int)wl, lx->p);
		if (ps->pending) {
			if (append_line(&ps->s->head, ps->pending, strlen(ps->pending)))
				return ESC_E_NOMEM;
			free(ps->pending);
			ps->pending = NULL;
		}
		lx->p = we;
		int rc = is_target ? parse_target(ps) : is_expect ? parse_expect(ps) : parse_note(ps);
		if (rc)
			return rc;
		skip_ws(lx);
		if (lx->p < lx->end)
			return esc_lex_error(lx, lx->p, "unexpected text at end of line");
		return 0;
	}
	return parse_op(ps);
}

int esc_parse(esc_scn *s, const esc_target *const *targets, const char *text, size_t len,
	      char *err, size_t errlen)
{
	parser ps;
	memset(&ps, 0, sizeof(ps));
	esc_scn_blank(s, NULL); /* every op is written whole as it is parsed */
	ps.s = s;
	ps.targets = targets;
	ps.lx.err = err;
	ps.lx.errlen = errlen;
	const char *p = text, *end = text + len;
	int rc = 0;
	unsigned line = 0;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		/* control bytes other than tab and \r are not text: refusing them
		 * here keeps every parsed scenario printable to text that loads as text */
		const char *bad = NULL;
		for (const char *q = p; q < le && !bad; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t' && *q != '\r') ||
			    *q == 0x7f)
				bad = q;
		if (bad) {
			ps.lx.line = line;
			ps.lx.bol = p;
			rc = *bad ? esc_lex_error(&ps.lx, bad, "control byte 0x%02x in text",
						  (unsigned char)*bad)
				  : esc_lex_error(&ps.lx, bad, "NUL byte in text");
			break;
		}
		ps.lx.bol = ps.lx.p = p;
		ps.lx.end = (le > p && le[-1] == '\r') ? le - 1 : le;
		ps.lx.line = line;
		rc = parse_line(&ps, line == 1);
		if (rc == ESC_E_NOMEM && err && errlen)
			snprintf(err, errlen, "%u:1: out of memory", line);
		p = nl ? nl + 1 : end;
	}
	if (!rc && !s->target) {
		ps.lx.line = line ? line : 1;
		ps.lx.bol = ps.lx.p = p;
		rc = esc_lex_error(&ps.lx, p, line ? "no 'target' line" : "empty file");
	}
	if (!rc) {
		s->trailer = ps.pending;
		ps.pending = NULL;
		char why[160];
		if (esc_scn_validate(s, why, sizeof(why))) {
			if (err && errlen)
				snprintf(err, errlen, "%u:1: %s", line, why);
			rc = ESC_E_INVALID;
		}
	}
	free(ps.pending);
	if (rc) {
		const esc_target *t = s->target;
		esc_scn_clear(s);
		s->target = t;
	}
	return rc;
}

/* ---- printing ---- */

static void print_op(esc_sb *b, const esc_scn *s, const esc_names *nm, unsigned i,
		     int prefix_w, int name_w)
{
	const esc_op *op = &s->ops[i];
	const esc_op_desc *d = &s->target->ops[op->op];
	size_t start = b->len;
	if (nm->name[i] >= 0)
		esc_sb_printf(b, "$%d = ", nm->name[i]);
	while ((int)(b->len - start) < prefix_w && !b->oom)
		esc_sb_putc(b, ' ');
	esc_sb_puts(b, d->name);
	int any = 0;
	for (unsigned j = 0; j < d->nargs; j++) {
		const esc_arg_desc *ad = &d->args[j];
		if (!ad->positional && esc_kinds[ad->kind].is_default(ad, &op->args[j]))
			continue;
		if (!any) {
			for (int k = (int)strlen(d->name); k < name_w; k++)
				esc_sb_putc(b, ' ');
			any = 1;
		}
		esc_sb_putc(b, ' ');
		if (!ad->positional)
			esc_sb_printf(b, "%s=", ad->name);
		esc_kinds[ad->kind].print(b, ad, nm, &op->args[j]);
	}
}

char *esc_print(const esc_scn *s)
{
	const esc_target *t = s->target;
	esc_sb b = { 0 };
	esc_names nm;
	esc_names_compute(s, &nm);
	esc_sb_puts(&b, MAGIC "\n");
	if (s->head)
		esc_sb_printf(&b, "%s\n", s->head);
	esc_sb_printf(&b, "target %s\n", t->name);
	int pw = 0;
	for (unsigned i = 0; i < s->nexpect; i++) {
		int l = (int)strlen(t->profiles[s->expect[i].profile]);
		pw = l > pw ? l : pw;
	}
	for (unsigned i = 0; i < s->nexpect; i++) {
		const esc_expect *e = &s->expect[i];
		if (e->kind == ESC_CONTAINED)
			esc_sb_printf(&b, "expect %-*s contained\n", pw, t->profiles[e->profile]);
		else
			esc_sb_printf(&b, "expect %-*s escape %s\n", pw, t->profiles[e->profile],
				      esc_verdict_name(e->kind));
	}
	for (unsigned i = 0; i < s->nnotes; i++)
		esc_sb_printf(&b, "note %s\n", s->notes[i]);
	int prefix_w = 0, name_w = 0;
	for (unsigned i = 0; i < s->nops; i++) {
		if (nm.name[i] >= 0) {
			int l = snprintf(NULL, 0, "$%d = ", nm.name[i]);
			prefix_w = l > prefix_w ? l : prefix_w;
		}
		int l = (int)strlen(t->ops[s->ops[i].op].name);
		name_w = l > name_w ? l : name_w;
	}
	if (s->nops || s->trailer)
		esc_sb_putc(&b, '\n');
	for (unsigned i = 0; i < s->nops; i++) {
		if (s->ops[i].comment)
			esc_sb_printf(&b, "%s\n", s->ops[i].comment);
		print_op(&b, s, &nm, i, prefix_w, name_w);
		esc_sb_putc(&b, '\n');
	}
	if (s->trailer)
		esc_sb_printf(&b, "%s\n", s->trailer);
	return esc_sb_take(&b);
}

char *esc_print_op(const esc_scn *s, unsigned i, char *buf, size_t len)
{
	esc_sb b = { 0 };
	esc_names nm;
	esc_names_compute(s, &nm);
	print_op(&b, s, &nm, i, 0, 0);
	char *p = esc_sb_take(&b);
	snprintf(buf, len, "%s", p ? p : "?");
	free(p);
	return buf;
}

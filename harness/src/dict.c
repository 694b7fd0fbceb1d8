/* Fuzzer dictionary generation from a target's tables (see escapade/dict.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/dict.h"
#include "internal.h"

typedef struct dict {
	esc_sb sb;
	unsigned n;
	char **seen;
	unsigned nseen, capseen;
} dict;

static void add(dict *d, const char *prefix, const char *tok, const char *suffix)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s%s%s", prefix, tok, suffix);
	if (!buf[0])
		return;
	for (unsigned i = 0; i < d->nseen; i++)
		if (strcmp(d->seen[i], buf) == 0)
			return;
	if (d->nseen == d->capseen) {
		unsigned cap = d->capseen ? d->capseen * 2 : 64;
		char **p = realloc(d->seen, cap * sizeof(*p));
		if (!p) {
			d->sb.oom = 1;
			return;
		}
		d->seen = p;
		d->capseen = cap;
	}
	char *copy = strdup(buf);
	if (!copy) {
		d->sb.oom = 1;
		return;
	}
	d->seen[d->nseen++] = copy;
	esc_sb_printf(&d->sb, "kw_%u=\"", d->n++);
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		if (*p == '"' || *p == '\\')
			esc_sb_printf(&d->sb, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			esc_sb_printf(&d->sb, "\\x%02x", *p);
		else
			esc_sb_putc(&d->sb, (char)*p);
	}
	esc_sb_puts(&d->sb, "\"\n");
}

char *esc_dict_text(const esc_target *t)
{
	dict d;
	memset(&d, 0, sizeof(d));
	esc_sb_printf(&d.sb, "# %s: generated from the %s target's tables (escapade_gendict)\n",
		      t->name, t->name);
	static const char *const keywords[] = { "# escapade scenario\n", "target ", "expect ",
						"note ", "contained", "escape ", " = ", "$0", "$1",
						"\n" };
	for (unsigned i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		add(&d, "", keywords[i], "");
	add(&d, "target ", t->name, "\n");
	for (unsigned k = 1; k < ESC_NVERDICTS; k++)
		add(&d, "", esc_verdict_name((esc_verdict_kind)k), "");
	for (unsigned i = 0; i < t->nprofiles; i++)
		add(&d, "", t->profiles[i], "");
	for (unsigned i = 0; i < t->nops; i++) {
		const esc_op_desc *op = &t->ops[i];
		add(&d, "", op->name, " ");
		for (unsigned j = 0; j < op->nargs; j++) {
			const esc_arg_desc *a = &op->args[j];
			if (!a->positional)
				add(&d, "", a->name, "=");
			if (a->kind == ESC_ARG_ENUM)
				for (unsigned v = 0; v < a->nvalues; v++)
					add(&d, "", a->values[v], "");
		}
	}
	for (unsigned i = 0; i < t->ndict; i++)
		add(&d, "\"", t->dict[i], "\"");
	for (unsigned i = 0; i < d.nseen; i++)
		free(d.seen[i]);
	free(d.seen);
	return esc_sb_take(&d.sb);
}

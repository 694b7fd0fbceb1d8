/* Structure-aware mutation and crossover of scenarios (see escapade/mutate.h). Works on
 * the IR, so every result is a valid scenario: handles are chosen among earlier
 * producers of the right kind and re-targeted whenever ops move or disappear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/mutate.h"
#include "internal.h"

const esc_mut_weights esc_mut_defaults = {
	.insert = 30, .remove = 12, .dup = 6, .swap = 6, .arg = 36, .str = 10, .soft_ops = 8,
};

void esc_rng_seed(esc_rng *r, uint64_t seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	if (!r->s)
		r->s = 1;
}

uint64_t esc_rng_next(esc_rng *r)
{
	/* xorshift64* */
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t esc_rng_below(esc_rng *r, uint32_t n)
{
	return n ? (uint32_t)(esc_rng_next(r) % n) : 0;
}

static const esc_op_desc *desc(const esc_scn *s, unsigned i)
{
	return &s->target->ops[s->ops[i].op];
}

/* Producers of resource kind res among ops [0, before), into list; returns the count. */
unsigned esc_mut_producers(const esc_scn *s, unsigned before, unsigned res, uint8_t *list)
{
	unsigned n = 0;
	for (unsigned k = 0; k < before; k++)
		if (desc(s, k)->produces == res)
			list[n++] = (uint8_t)k;
	return n;
}

static int64_t pick_int(const esc_arg_desc *d, int64_t cur, esc_rng *r)
{
	int64_t v;
	switch (esc_rng_below(r, 8)) {
	case 0: v = d->min; break;
	case 1: v = d->max; break;
	case 2: v = 0; break;
	case 3: v = 1; break;
	case 4: v = -1; break;
	case 5: v = cur == INT64_MAX ? cur : cur + 1; break;
	case 6: v = cur == INT64_MIN ? cur : cur - 1; break;
	default: {
		uint64_t range = (uint64_t)d->max - (uint64_t)d->min;
		uint64_t raw = esc_rng_next(r);
		if (range != UINT64_MAX)
			raw %= range + 1;
		v = (int64_t)((uint64_t)d->min + raw);
	}
	}
	return v < d->min ? d->min : v > d->max ? d->max : v;
}

static void pick_str(const esc_target *t, char *s, esc_rng *r)
{
	unsigned k = esc_rng_below(r, t->ndict + 1);
	if (k < t->ndict)
		snprintf(s, ESC_MAX_STR + 1, "%s", t->dict[k]);
	else
		s[0] = 0;
}

/* Whether argument b can take a value of argument a: the same parameter (same name and
 * kind; enums: same value table; integers: same bounds), or, unless strict, any string
 * (a path, a name, a piece of code flows anywhere). */
static int alike(const esc_arg_desc *a, const esc_arg_desc *b, int strict)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == ESC_ARG_STR && !strict)
		return 1;
	if (strcmp(a->name, b->name) != 0)
		return 0;
	switch (a->kind) {
	case ESC_ARG_STR: return 1;
	case ESC_ARG_ENUM: return a->values == b->values;
	case ESC_ARG_INT: return a->min == b->min && a->max == b->max;
	default: return 0;
	}
}

/* Copies into a a value some op of s already has for an argument like ad (other than
 * self): escapes need two steps to agree (two tokens on one resource, one action twice),
 * which independent draws hit rarely. Strings come from the same parameter one time in
 * two when it has a value elsewhere. Returns 0, or -1 when s has no such value. */
static int reuse_value(const esc_scn *s, const esc_arg_desc *ad, const esc_arg *self,
		       esc_rng *r, esc_arg *a)
{
	for (int strict = ad->kind == ESC_ARG_STR ? esc_rng_below(r, 2) : 1; strict >= 0; strict--) {
		unsigned n = 0;
		for (int pass = 0; pass < 2; pass++) {
			unsigned k = pass ? esc_rng_below(r, n) : 0;
			for (unsigned i = 0; i < s->nops; i++) {
				const esc_op_desc *d = desc(s, i);
				for (unsigned j = 0; j < d->nargs; j++) {
					if (&s->ops[i].args[j] == self || !alike(&d->args[j], ad, strict))
						continue;
					if (!pass) {
						n++;
					} else if (k-- == 0) {
						*a = s->ops[i].args[j];
						return 0;
					}
				}
			}
			if (!n)
				break;
		}
		if (ad->kind != ESC_ARG_STR)
			break;
	}
	return -1;
}

/* Fills op's arguments with fresh values valid at position pos; returns -1 when a handle
 * has no producer there. */
static int fill_args(const esc_scn *s, unsigned pos, esc_op *op, esc_rng *r)
{
	const esc_op_desc *d = &s->target->ops[op->op];
	uint8_t list[ESC_MAX_OPS];
	for (unsigned j = 0; j < d->nargs; j++) {
		const esc_arg_desc *ad = &d->args[j];
		esc_arg *a = &op->args[j];
		switch (ad->kind) {
		case ESC_ARG_HANDLE: {
			unsigned n = esc_mut_producers(s, pos, ad->res, list);
			if (!n)
				return -1;
			/* favour recent producers: they are what a chain builds on */
			unsigned k = esc_rng_below(r, 2) ? n - 1 : esc_rng_below(r, n);
			a->i = list[k];
			break;
		}
		case ESC_ARG_ENUM:
		case ESC_ARG_INT:
		case ESC_ARG_STR:
			if (esc_rng_below(r, 2) && reuse_value(s, ad, NULL, r, a) == 0)
				break;
			if (ad->kind == ESC_ARG_ENUM)
				a->i = esc_rng_below(r, ad->nvalues);
			else if (ad->kind == ESC_ARG_INT)
				a->i = pick_int(ad, ad->min, r);
			else
				pick_str(s->target, a->s, r);
			break;
		default: break;
		}
	}
	return 0;
}

/* Opens a hole at pos (ops at and after it move up by one; handles follow). */
static void open_hole(esc_scn *s, unsigned pos)
{
	memmove(&s->ops[pos + 1], &s->ops[pos], (s->nops - pos) * sizeof(esc_op));
	s->nops++;
	for (unsigned k = pos + 1; k < s->nops; k++) {
		const esc_op_desc *d = desc(s, k);
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE && s->ops[k].args[j].i >= (int64_t)pos)
				s->ops[k].args[j].i++;
	}
	memset(&s->ops[pos], 0, sizeof(esc_op));
}

static int is_root(const esc_op_desc *d)
{
	for (unsigned j = 0; j < d->nargs; j++)
		if (d->args[j].kind == ESC_ARG_HANDLE)
			return 0;
	return 1;
}

/* A random op of the target that produces resource kind res, or -1. One time in two it
 * is a root (an op that needs no handle: an issuer, a constructor) when there is one:
 * the shortest way to a fresh resource, as syzkaller prefers constructors. */
int esc_mut_pick_producer(const esc_target *t, unsigned res, esc_rng *r)
{
	unsigned n = 0, nroot = 0;
	for (unsigned o = 0; o < t->nops; o++)
		if (t->ops[o].produces == res) {
			n++;
			nroot += is_root(&t->ops[o]);
		}
	if (!n)
		return -1;
	int roots = nroot && esc_rng_below(r, 2);
	unsigned k = esc_rng_below(r, roots ? nroot : n);
	for (unsigned o = 0; o < t->nops; o++)
		if (t->ops[o].produces == res && (!roots || is_root(&t->ops[o])) && k-- == 0)
			return (int)o;
	return -1;
}

#define GEN_DEPTH 5 /* producers generated for one insert, nested */

/* Inserts op opidx at *pos with valid arguments, generating first, at *pos, a producer
 * for every handle that has none before it (and, one time in four, a fresh one even
 * when there is): a consumer deep in a chain arrives with the chain that feeds it, the
 * way syzkaller creates the resources a call needs. Argument fixed_j (if < ESC_MAX_ARGS)
 * is the handle fixed_h, which must lie before *pos. *pos moves past what was generated.
 * Returns the number of ops inserted; producers inserted before a failure stay (they
 * are valid ops). */
int esc_mut_gen_op(esc_scn *s, unsigned *pos, unsigned opidx, unsigned fixed_j, unsigned fixed_h,
		   esc_rng *r, unsigned depth)
{
	const esc_target *t = s->target;
	const esc_op_desc *d = &t->ops[opidx];
	uint8_t list[ESC_MAX_OPS];
	int added = 0;
	for (unsigned j = 0; j < d->nargs; j++) {
		const esc_arg_desc *ad = &d->args[j];
		if (ad->kind != ESC_ARG_HANDLE || j == fixed_j)
			continue;
		int have = esc_mut_producers(s, *pos, ad->res, list) > 0;
		if (have && esc_rng_below(r, 4))
			continue;
		int p = depth < GEN_DEPTH ? esc_mut_pick_producer(t, ad->res, r) : -1;
		if (p >= 0 && s->nops < ESC_MAX_OPS - 1)
			added += esc_mut_gen_op(s, pos, (unsigned)p, ESC_MAX_ARGS, 0, r, depth + 1);
	}
	if (s->nops >= ESC_MAX_OPS)
		return added;
	esc_op op;
	memset(&op, 0, sizeof(op));
	op.op = (uint8_t)opidx;
	if (fill_args(s, *pos, &op, r))
		return added;
	if (fixed_j < ESC_MAX_ARGS)
		op.args[fixed_j].i = fixed_h;
	open_hole(s, *pos);
	s->ops[(*pos)++] = op;
	return added + 1;
}

/* Extends a chain: appends an op that consumes the result of an existing producer
 * (recent ones favoured), so a multi-step escape grows one link per mutation; its other
 * handles come from gen_op (existing producers, or fresh ones). */
static int mut_extend(esc_scn *s, esc_rng *r)
{
	const esc_target *t = s->target;
	if (s->nops >= ESC_MAX_OPS || s->nops == 0)
		return 0;
	unsigned from = esc_rng_below(r, 2) ? s->nops - 1 - esc_rng_below(r, s->nops < 3 ? s->nops : 3)
					    : esc_rng_below(r, s->nops);
	unsigned res = desc(s, from)->produces;
	if (res == ESC_NO_RES)
		return 0;
	/* ops taking a handle of that kind, and which argument */
	uint8_t cand_op[256], cand_arg[256];
	unsigned n = 0;
	for (unsigned o = 0; o < t->nops; o++)
		for (unsigned j = 0; j < t->ops[o].nargs; j++)
			if (t->ops[o].args[j].kind == ESC_ARG_HANDLE && t->ops[o].args[j].res == res &&
			    n < 256) {
				cand_op[n] = (uint8_t)o;
				cand_arg[n++] = (uint8_t)j;
			}
	if (!n)
		return 0;
	unsigned k = esc_rng_below(r, n), pos = s->nops;
	return esc_mut_gen_op(s, &pos, cand_op[k], cand_arg[k], from, r, 0) > 0;
}

static int mut_insert(esc_scn *s, esc_rng *r)
{
	if (s->nops >= ESC_MAX_OPS)
		return 0;
	if (esc_rng_below(r, 2) && mut_extend(s, r))
		return 1;
	unsigned pos = esc_rng_below(r, s->nops + 1);
	/* append more often than not: escapes are chains that grow at the end */
	if (esc_rng_below(r, 2))
		pos = s->nops;
	return esc_mut_gen_op(s, &pos, esc_rng_below(r, s->target->nops), ESC_MAX_ARGS, 0, r, 0) > 0;
}

void esc_scn_remove_op(esc_scn *s, unsigned i)
{
	if (i >= s->nops)
		return;
	uint8_t gone[ESC_MAX_OPS] = { 0 };
	uint8_t list[ESC_MAX_OPS];
	gone[i] = 1;
	for (unsigned k = i + 1; k < s->nops; k++) {
		const esc_op_desc *d = desc(s, k);
		for (unsigned j = 0; j < d->nargs && !gone[k]; j++) {
			esc_arg *a = &s->ops[k].args[j];
			if (d->args[j].kind != ESC_ARG_HANDLE || !gone[a->i])
				continue;
			/* nearest earlier producer of the same kind that stays */
			unsigned n = esc_mut_producers(s, k, d->args[j].res, list);
			int to = -1;
			while (n-- > 0)
				if (!gone[list[n]]) {
					to = list[n];
					break;
				}
			if (to < 0)
				gone[k] = 1;
			else
				a->i = to;
		}
	}
	int map[ESC_MAX_OPS];
	unsigned n = 0;
	for (unsigned k = 0; k < s->nops; k++) {
		if (gone[k]) {
			free(s->ops[k].comment);
			map[k] = -1;
			continue;
		}
		map[k] = (int)n;
		s->ops[n++] = s->ops[k];
	}
	s->nops = n;
	for (unsigned k = 0; k < n; k++) {
		const esc_op_desc *d = desc(s, k);
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE)
				s->ops[k].args[j].i = map[s->ops[k].args[j].i];
	}
}

static int mut_remove(esc_scn *s, esc_rng *r)
{
	if (!s->nops)
		return 0;
	esc_scn_remove_op(s, esc_rng_below(r, s->nops));
	return 1;
}

static int mut_dup(esc_scn *s, esc_rng *r)
{
	if (!s->nops || s->nops >= ESC_MAX_OPS)
		return 0;
	unsigned i = esc_rng_below(r, s->nops);
	esc_op copy = s->ops[i];
	copy.comment = NULL;
	open_hole(s, i + 1);
	s->ops[i + 1] = copy;
	return 1;
}

static int uses(const esc_scn *s, unsigned user, unsigned producer)
{
	const esc_op_desc *d = desc(s, user);
	for (unsigned j = 0; j < d->nargs; j++)
		if (d->args[j].kind == ESC_ARG_HANDLE && s->ops[user].args[j].i == (int64_t)producer)
			return 1;
	return 0;
}

static int mut_swap(esc_scn *s, esc_rng *r)
{
	if (s->nops < 2)
		return 0;
	unsigned i = esc_rng_below(r, s->nops - 1);
	if (uses(s, i + 1, i))
		return 0;
	esc_op tmp = s->ops[i];
	s->ops[i] = s->ops[i + 1];
	s->ops[i + 1] = tmp;
	for (unsigned k = i + 2; k < s->nops; k++) {
		const esc_op_desc *d = desc(s, k);
		for (unsigned j = 0; j < d->nargs; j++) {
			esc_arg *a = &s->ops[k].args[j];
			if (d->args[j].kind != ESC_ARG_HANDLE)
				continue;
			if (a->i == (int64_t)i)
				a->i = i + 1;
			else if (a->i == (int64_t)i + 1)
				a->i = i;
		}
	}
	return 1;
}

/* Picks a random (op, arg) pair whose arg kind matches want (or any when want < 0). */
static int pick_arg(const esc_scn *s, esc_rng *r, int want, unsigned *oi, unsigned *aj)
{
	unsigned cand = 0;
	for (unsigned i = 0; i < s->nops; i++) {
		const esc_op_desc *d = desc(s, i);
		for (unsigned j = 0; j < d->nargs; j++)
			cand += want < 0 || (int)d->args[j].kind == want;
	}
	if (!cand)
		return -1;
	unsigned k = esc_rng_below(r, cand);
	for (unsigned i = 0; i < s->nops; i++) {
		const esc_op_desc *d = desc(s, i);
		for (unsigned j = 0; j < d->nargs; j++)
			if (want < 0 || (int)d->args[j].kind == want) {
				if (k-- == 0) {
					*oi = i;
					*aj = j;
					return 0;
				}
			}
	}
	return -1;
}

/* A number argument through the engine's byte mutator: the value (an enum's index, an
 * integer's offset from its minimum) as a little-endian word the width the target's
 * comparisons use, so the engine's comparison-guided mutations (a word seen in a recent
 * comparison replaced by the other side) apply to it, then reduced into range. */
static int bytes_number(const esc_arg_desc *ad, esc_arg *a, esc_bytes_fn bytes)
{
	uint8_t buf[8];
	int is_enum = ad->kind == ESC_ARG_ENUM;
	uint64_t raw = (uint64_t)a->i - (is_enum ? 0 : (uint64_t)ad->min);
	size_t n = is_enum ? 4 : 8;
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)(raw >> (8 * k));
	size_t m = bytes(buf, n, n);
	raw = 0;
	for (size_t k = 0; k < m && k < n; k++)
		raw |= (uint64_t)buf[k] << (8 * k);
	if (is_enum) {
		a->i = (int64_t)(raw % ad->nvalues);
	} else {
		uint64_t range = (uint64_t)ad->max - (uint64_t)ad->min;
		if (range != UINT64_MAX)
			raw %= range + 1;
		a->i = (int64_t)((uint64_t)ad->min + raw);
	}
	return 1;
}

static int mut_arg(esc_scn *s, esc_rng *r, esc_bytes_fn bytes)
{
	unsigned i, j;
	if (pick_arg(s, r, -1, &i, &j))
		return 0;
	const esc_arg_desc *ad = &desc(s, i)->args[j];
	esc_arg *a = &s->ops[i].args[j];
	uint8_t list[ESC_MAX_OPS];
	if (ad->kind != ESC_ARG_HANDLE && esc_rng_below(r, 4) == 0) {
		esc_arg v;
		if (reuse_value(s, ad, a, r, &v) == 0) {
			*a = v;
			return 1;
		}
	}
	switch (ad->kind) {
	case ESC_ARG_HANDLE: {
		unsigned n = esc_mut_producers(s, i, ad->res, list);
		if (n < 2)
			return 0;
		a->i = list[esc_rng_below(r, n)];
		return 1;
	}
	case ESC_ARG_ENUM:
		if (ad->nvalues < 2)
			return 0;
		if (bytes && esc_rng_below(r, 2))
			return bytes_number(ad, a, bytes);
		a->i = (a->i + 1 + esc_rng_below(r, ad->nvalues - 1)) % ad->nvalues;
		return 1;
	case ESC_ARG_INT:
		if (bytes && esc_rng_below(r, 2))
			return bytes_number(ad, a, bytes);
		a->i = pick_int(ad, a->i, r);
		return 1;
	case ESC_ARG_STR:
		pick_str(s->target, a->s, r);
		return 1;
	default:
		return 0;
	}
}

static size_t builtin_bytes(uint8_t *d, size_t size, size_t max, esc_rng *r)
{
	if (size > max)
		size = max;
	switch (esc_rng_below(r, 3)) {
	case 0: /* flip */
		if (size)
			d[esc_rng_below(r, (uint32_t)size)] ^= (uint8_t)(1u << esc_rng_below(r, 8));
		return size;
	case 1: /* insert */
		if (size < max) {
			size_t at = esc_rng_below(r, (uint32_t)size + 1);
			memmove(d + at + 1, d + at, size - at);
			d[at] = (uint8_t)esc_rng_next(r);
			return size + 1;
		}
		return size;
	default: /* erase */
		if (size) {
			size_t at = esc_rng_below(r, (uint32_t)size);
			memmove(d + at, d + at + 1, size - at - 1);
			return size - 1;
		}
		return size;
	}
}

static int mut_str(esc_scn *s, esc_rng *r, esc_bytes_fn bytes)
{
	unsigned i, j;
	if (pick_arg(s, r, ESC_ARG_STR, &i, &j))
		return 0;
	esc_arg *a = &s->ops[i].args[j];
	uint8_t buf[ESC_MAX_STR + 1];
	size_t n = strlen(a->s);
	memcpy(buf, a->s, n);
	n = bytes ? bytes(buf, n, ESC_MAX_STR) : builtin_bytes(buf, n, ESC_MAX_STR, r);
	if (n > ESC_MAX_STR)
		n = ESC_MAX_STR;
	for (size_t k = 0; k < n; k++)
		a->s[k] = buf[k] ? (char)buf[k] : 1;
	a->s[n] = 0;
	return 1;
}

int esc_mutate(esc_scn *s, esc_rng *r, const esc_mut_weights *w, esc_bytes_fn bytes)
{
	if (!w)
		w = &esc_mut_defaults;
	if (!(w->insert + w->remove + w->dup + w->swap + w->arg + w->str))
		return 0;
	unsigned rounds = 1 + (esc_rng_below(r, 4) == 0) + (esc_rng_below(r, 8) == 0);
	int changed = 0;
	for (unsigned k = 0; k < rounds; k++) {
		/* past soft_ops, growing gets rarer in proportion to the length */
		unsigned wins = w->insert, wdup = w->dup;
		if (w->soft_ops && s->nops > w->soft_ops) {
			wins = (unsigned)((uint64_t)wins * w->soft_ops / s->nops);
			wdup = (unsigned)((uint64_t)wdup * w->soft_ops / s->nops);
		}
		unsigned total = wins + w->remove + wdup + w->swap + w->arg + w->str;
		if (!total)
			break;
		unsigned x = esc_rng_below(r, total);
		if (x < wins) {
			changed += mut_insert(s, r);
			continue;
		}
		x -= wins;
		if (x < w->remove) {
			changed += mut_remove(s, r);
			continue;
		}
		x -= w->remove;
		if (x < wdup) {
			changed += mut_dup(s, r);
			continue;
		}
		x -= wdup;
		if (x < w->swap) {
			changed += mut_swap(s, r);
			continue;
		}
		x -= w->swap;
		if (x < w->arg) {
			changed += mut_arg(s, r, bytes);
			continue;
		}
		changed += mut_str(s, r, bytes);
	}
	/* nothing applied (e.g. an empty scenario and a failed insert): try inserting */
	for (int tries = 0; !changed && tries < 4; tries++)
		changed += mut_insert(s, r);
	return changed;
}

void esc_crossover(esc_scn *out, const esc_scn *a, const esc_scn *b, esc_rng *r)
{
	esc_scn_clear(out);
	out->target = a->target;
	unsigned ca = esc_rng_below(r, a->nops + 1);
	for (unsigned k = 0; k < ca; k++) {
		out->ops[k] = a->ops[k];
		out->ops[k].comment = NULL;
	}
	out->nops = ca;
	if (!b->nops)
		return;
	unsigned jb = esc_rng_below(r, b->nops);
	unsigned len = 1 + esc_rng_below(r, b->nops - jb);
	int map[ESC_MAX_OPS];
	uint8_t list[ESC_MAX_OPS];
	for (unsigned k = 0; k < b->nops; k++)
		map[k] = -1;
	for (unsigned k = jb; k < jb + len && out->nops < ESC_MAX_OPS; k++) {
		esc_op op = b->ops[k];
		op.comment = NULL;
		const esc_op_desc *d = &b->target->ops[op.op];
		int ok = 1;
		for (unsigned j = 0; j < d->nargs && ok; j++) {
			if (d->args[j].kind != ESC_ARG_HANDLE)
				continue;
			int64_t src = op.args[j].i;
			if (src >= jb && map[src] >= 0) {
				op.args[j].i = map[src];
				continue;
			}
			/* its producer did not come along: take one of the same kind */
			unsigned n = esc_mut_producers(out, out->nops, d->args[j].res, list);
			if (!n)
				ok = 0;
			else
				op.args[j].i = list[(unsigned)src % n];
		}
		if (!ok)
			continue;
		map[k] = (int)out->nops;
		out->ops[out->nops++] = op;
	}
}

long esc_mut_encode_fit(esc_scn *s, uint8_t *out, size_t max)
{
	long n;
	while ((n = esc_encode(s, out, max)) < 0 && s->nops > 0)
		esc_scn_clear_tail(s, s->nops - 1);
	return n < 0 ? 0 : n;
}

void esc_mut_load(esc_scn *s, const esc_target *t, const uint8_t *d, size_t n)
{
	const esc_target *targets[2] = { t, NULL };
	if (esc_looks_like_text(d, n) && esc_parse(s, targets, (const char *)d, n, NULL, 0) == 0)
		return;
	esc_decode(s, t, d, n);
}

size_t esc_mutate_buffer(const esc_target *t, uint8_t *data, size_t size, size_t max,
			 uint64_t seed, esc_bytes_fn bytes)
{
	esc_scn s;
	esc_rng r;
	esc_scn_blank(&s, t);
	esc_rng_seed(&r, seed);
	esc_mut_load(&s, t, data, size);
	esc_mutate(&s, &r, NULL, bytes);
	long n = esc_mut_encode_fit(&s, data, max);
	esc_scn_clear(&s);
	return (size_t)n;
}

size_t esc_crossover_buffer(const esc_target *t, const uint8_t *d1, size_t s1,
			    const uint8_t *d2, size_t s2, uint8_t *out, size_t max, uint64_t seed)
{
	esc_scn a, b, c;
	esc_rng r;
	esc_scn_blank(&a, t);
	esc_scn_blank(&b, t);
	esc_scn_blank(&c, t);
	esc_rng_seed(&r, seed);
	esc_mut_load(&a, t, d1, s1);
	esc_mut_load(&b, t, d2, s2);
	esc_crossover(&c, &a, &b, &r);
	long n = esc_mut_encode_fit(&c, out, max);
	esc_scn_clear(&a);
	esc_scn_clear(&b);
	esc_scn_clear(&c);
	return (size_t)n;
}

void esc_oplimit_init(esc_oplimit *l)
{
	l->limit = ESC_OPLIMIT_START;
	l->quiet = 0;
}

void esc_oplimit_entry(esc_oplimit *l)
{
	l->quiet = 0;
}

unsigned esc_oplimit_call(esc_oplimit *l)
{
	if (++l->quiet > (unsigned long)ESC_OPLIMIT_QUIET * l->limit && l->limit < ESC_MAX_OPS) {
		l->limit++;
		l->quiet = 0;
	}
	return l->limit;
}

void esc_mut_cap(esc_scn *s, unsigned max_ops, esc_rng *r)
{
	while (s->nops > max_ops) {
		/* the newest op's chain: the ops it depends on through handles */
		uint8_t need[ESC_MAX_OPS] = { 0 };
		unsigned last = s->nops - 1, spare = 0;
		need[last] = 1;
		for (unsigned k = last + 1; k-- > 0;) {
			if (!need[k])
				continue;
			const esc_op_desc *d = desc(s, k);
			for (unsigned j = 0; j < d->nargs; j++)
				if (d->args[j].kind == ESC_ARG_HANDLE)
					need[s->ops[k].args[j].i] = 1;
		}
		for (unsigned k = 0; k < last; k++)
			spare += !need[k];
		/* an op off that chain, else any but the newest */
		unsigned pick = spare ? esc_rng_below(r, spare) : esc_rng_below(r, last ? last : 1);
		unsigned victim = pick;
		if (spare)
			for (unsigned k = 0; k < last; k++)
				if (!need[k] && pick-- == 0) {
					victim = k;
					break;
				}
		esc_scn_remove_op(s, victim);
	}
}

size_t esc_cap_buffer(const esc_target *t, uint8_t *data, size_t size, size_t max,
		      unsigned max_ops, uint64_t seed)
{
	esc_scn s;
	esc_rng r;
	esc_scn_blank(&s, t);
	esc_mut_load(&s, t, data, size);
	if (s.nops > max_ops) {
		esc_rng_seed(&r, seed);
		esc_mut_cap(&s, max_ops, &r);
		size = (size_t)esc_mut_encode_fit(&s, data, max);
	}
	esc_scn_clear(&s);
	return size;
}

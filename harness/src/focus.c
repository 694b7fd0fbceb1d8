/* Neighbourhoods of new corpus entries, tried newest first (see escapade/focus.h).
 *
 * A move is one step from an entry: append op `op` consuming the result of op `at`
 * through its handle argument `slot` (slot NOSLOT: a root op, consuming nothing), the
 * other arguments given by `combo`, a mixed-radix number over their choices; or set
 * argument `slot` of op `at` to its choice `combo`. Choices, per argument kind: a handle
 * takes an existing producer (newest first) or, in an append, a fresh one generated with
 * its own producers, or a copy of an existing producer; an enum every value; an integer its boundaries; a string every
 * string the scenario already holds (two steps that must agree on a path), every
 * dictionary word and the empty string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/focus.h"
#include "escapade/mutate.h"
#include "escapade/run.h"
#include "internal.h"

#define NOSLOT 0xffu
#define MAX_TRIES 64 /* moves that do not apply, skipped in one call */

enum { MV_APPEND, MV_ARG };

typedef struct mv {
	uint8_t kind, op, at, slot;
	uint32_t combo;
} mv;

#define MV_DEFERRED 0x80u /* in kind: sent to the back of its entry's list once already */

typedef struct entry {
	esc_scn *s;
	mv *moves; /* room for twice the planned moves: each may be deferred once */
	unsigned nmoves, next;
	uint64_t seed; /* with the move itself: its fresh producers' choices */
	int first;     /* its last op showed an outcome no run had: served before the rest */
} entry;

struct esc_focus {
	const esc_target *t;
	entry e[ESC_FOCUS_DEPTH]; /* a stack: e[n - 1] is the newest */
	unsigned n;
	esc_scn work;
	uint8_t *seen; /* ESC_FOCUS_FEATURES bits: the outcome features runs have shown */
};

static int follow_on = -1;

/* Moves per shape in a first entry's follow-up (add_follow): 1, or
 * ESCAPADE_FOCUS_FOLLOW (0: none; at most ESC_FOCUS_GROUP). */
static unsigned follow(void)
{
	if (follow_on < 0) {
		const char *e = getenv("ESCAPADE_FOCUS_FOLLOW");
		follow_on = e ? atoi(e) : 1;
		if (follow_on < 0 || follow_on > ESC_FOCUS_GROUP)
			follow_on = ESC_FOCUS_GROUP;
	}
	return (unsigned)follow_on;
}

#define ESC_FOCUS_FEATURES (1u << 16)

/* A growable move list. */
typedef struct mvlist {
	mv *p;
	unsigned n, cap;
	int oom;
} mvlist;

static void mv_add(mvlist *l, mv m)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 256;
		mv *p = realloc(l->p, cap * sizeof(mv));
		if (!p) {
			l->oom = 1;
			return;
		}
		l->p = p;
		l->cap = cap;
	}
	l->p[l->n++] = m;
}

static void shuffle(mv *m, unsigned n, esc_rng *r)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = esc_rng_below(r, i);
		mv x = m[i - 1];
		m[i - 1] = m[j];
		m[j] = x;
	}
}

static int interleave_on = -1;

/* Orders m (runs of moves of one shape, as add_group left them) so that every shape's
 * first move comes before any shape's second: shapes in a random order, each shape's
 * moves shuffled. A small group (an enum's values) is then tried whole early, and a large
 * one (strings x handles) does not crowd the others out. */
static void interleave(mv *m, unsigned n, esc_rng *r)
{
	if (interleave_on < 0) {
		const char *e = getenv("ESCAPADE_FOCUS_INTERLEAVE");
		interleave_on = !(e && strcmp(e, "0") == 0);
	}
	if (!interleave_on || n < 2) {
		shuffle(m, n, r);
		return;
	}
	struct grp {
		unsigned start, len;
	} *g = malloc(n * sizeof(*g));
	mv *out = malloc(n * sizeof(mv));
	if (!g || !out) {
		free(g);
		free(out);
		shuffle(m, n, r);
		return;
	}
	unsigned ng = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i == 0 || m[i].kind != m[i - 1].kind || m[i].op != m[i - 1].op ||
		    m[i].at != m[i - 1].at || m[i].slot != m[i - 1].slot)
			g[ng++] = (struct grp){ i, 0 };
		g[ng - 1].len++;
	}
	for (unsigned k = 0; k < ng; k++)
		shuffle(m + g[k].start, g[k].len, r);
	for (unsigned k = ng; k > 1; k--) { /* the groups in a random order */
		unsigned j = esc_rng_below(r, k);
		struct grp x = g[k - 1];
		g[k - 1] = g[j];
		g[j] = x;
	}
	unsigned k = 0;
	for (unsigned round = 0; k < n; round++)
		for (unsigned q = 0; q < ng; q++)
			if (round < g[q].len)
				out[k++] = m[g[q].start + round];
	memcpy(m, out, n * sizeof(mv));
	free(g);
	free(out);
}

/* Distinct boundary values of an integer argument, into v; returns how many. */
static unsigned int_choices(const esc_arg_desc *d, int64_t *v)
{
	const int64_t cand[] = { d->min, d->max, 0, 1, -1 };
	unsigned n = 0;
	for (unsigned k = 0; k < sizeof(cand) / sizeof(cand[0]); k++) {
		int64_t x = cand[k] < d->min ? d->min : cand[k] > d->max ? d->max : cand[k];
		int dup = 0;
		for (unsigned j = 0; j < n; j++)
			dup |= v[j] == x;
		if (!dup)
			v[n++] = x;
	}
	return n;
}

static int has_producer_op(const esc_target *t, unsigned res)
{
	for (unsigned o = 0; o < t->nops; o++)
		if (t->ops[o].produces == res)
			return 1;
	return 0;
}

/* The distinct strings of s's arguments, into out (first occurrence first); returns how
 * many. */
static unsigned scn_strings(const esc_scn *s, const char **out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nops; i++) {
		const esc_op_desc *d = &s->target->ops[s->ops[i].op];
		for (unsigned j = 0; j < d->nargs; j++) {
			if (d->args[j].kind != ESC_ARG_STR || !s->ops[i].args[j].s[0])
				continue;
			unsigned k = 0;
			while (k < n && strcmp(out[k], s->ops[i].args[j].s) != 0)
				k++;
			if (k == n)
				out[n++] = s->ops[i].args[j].s;
		}
	}
	return n;
}

/* Choices of argument d of an op at position pos; fresh: a handle may also be a new
 * producer. */
static unsigned nchoices(const esc_scn *s, unsigned pos, const esc_arg_desc *d, int fresh)
{
	uint8_t list[ESC_MAX_OPS];
	int64_t iv[8];
	const char *strs[ESC_MAX_OPS * ESC_MAX_ARGS];
	switch (d->kind) {
	case ESC_ARG_HANDLE: {
		unsigned np = esc_mut_producers(s, pos, d->res, list);
		return np + (fresh ? np + has_producer_op(s->target, d->res) : 0);
	}
	case ESC_ARG_ENUM: return d->nvalues;
	case ESC_ARG_INT: return int_choices(d, iv);
	case ESC_ARG_STR: return scn_strings(s, strs) + s->target->ndict + 1;
	default: return 0;
	}
}

/* Sets a to choice k of argument d at position pos (see nchoices); a fresh handle's
 * producer is generated at the end of s (pos must be s->nops then). Returns 0, or -1. */
static int set_choice(esc_scn *s, unsigned pos, const esc_arg_desc *d, unsigned k, esc_arg *a,
		      esc_rng *r)
{
	uint8_t list[ESC_MAX_OPS];
	int64_t iv[8];
	const char *strs[ESC_MAX_OPS * ESC_MAX_ARGS];
	unsigned ns;
	switch (d->kind) {
	case ESC_ARG_HANDLE: {
		unsigned np = esc_mut_producers(s, pos, d->res, list);
		if (k < np) {
			a->i = list[np - 1 - k];
			return 0;
		}
		if (k > np) {
			/* a copy of an existing producer (newest first): a second token, realm or
			 * jail made like the first, which confused-deputy chains need */
			if (k - np - 1 >= np || pos != s->nops || s->nops >= ESC_MAX_OPS - 1)
				return -1;
			s->ops[s->nops] = s->ops[list[np - 1 - (k - np - 1)]];
			s->ops[s->nops].comment = NULL; /* the original's stays with it */
			a->i = s->nops++;
			return 0;
		}
		int p = esc_mut_pick_producer(s->target, d->res, r);
		unsigned at = s->nops;
		if (p < 0 || pos != s->nops || s->nops >= ESC_MAX_OPS - 1 ||
		    esc_mut_gen_op(s, &at, (unsigned)p, ESC_MAX_ARGS, 0, r, 1) <= 0 ||
		    s->target->ops[s->ops[at - 1].op].produces != d->res)
			return -1;
		a->i = at - 1;
		return 0;
	}
	case ESC_ARG_ENUM:
		a->i = k;
		return 0;
	case ESC_ARG_INT:
		int_choices(d, iv);
		a->i = iv[k];
		return 0;
	case ESC_ARG_STR:
		ns = scn_strings(s, strs);
		if (k < ns)
			memmove(a->s, strs[k], strlen(strs[k]) + 1); /* may be a->s itself */
		else if (k - ns < s->target->ndict)
			snprintf(a->s, sizeof(a->s), "%s", s->target->dict[k - ns]);
		else
			a->s[0] = 0;
		return 0;
	default: return -1;
	}
}

/* Combinations of op o's arguments other than slot, appended at the end of s. */
static uint64_t append_combos(const esc_scn *s, unsigned o, unsigned slot)
{
	const esc_op_desc *d = &s->target->ops[o];
	uint64_t total = 1;
	for (unsigned j = 0; j < d->nargs; j++) {
		if (j == slot)
			continue;
		total *= nchoices(s, s->nops, &d->args[j], 1);
		if (total > UINT32_MAX)
			total = UINT32_MAX;
	}
	return total;
}

/* A group of moves of one shape: every combo below total, or ESC_FOCUS_GROUP of them
 * drawn at random. */
static void add_group(mvlist *l, mv m, uint64_t total, esc_rng *r)
{
	if (total <= ESC_FOCUS_GROUP) {
		for (uint32_t c = 0; c < total; c++) {
			m.combo = c;
			mv_add(l, m);
		}
		return;
	}
	for (unsigned k = 0; k < ESC_FOCUS_GROUP; k++) {
		m.combo = (uint32_t)(esc_rng_next(r) % total);
		mv_add(l, m);
	}
}

/* Appends consuming op at's result (at < nops), or root ops (at == NOSLOT). */
static void add_appends(const esc_scn *s, unsigned at, mvlist *l, esc_rng *r)
{
	const esc_target *t = s->target;
	if (s->nops >= ESC_MAX_OPS)
		return;
	for (unsigned o = 0; o < t->nops; o++) {
		const esc_op_desc *d = &t->ops[o];
		if (at == NOSLOT) {
			int root = 1;
			for (unsigned j = 0; j < d->nargs; j++)
				root &= d->args[j].kind != ESC_ARG_HANDLE;
			if (root)
				add_group(l, (mv){ MV_APPEND, (uint8_t)o, 0, NOSLOT, 0 },
					  append_combos(s, o, NOSLOT), r);
			continue;
		}
		unsigned res = t->ops[s->ops[at].op].produces;
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE && d->args[j].res == res)
				add_group(l, (mv){ MV_APPEND, (uint8_t)o, (uint8_t)at, (uint8_t)j, 0 },
					  append_combos(s, o, j), r);
	}
}

/* Appends of op o consuming op at's result through handle argument j, with string
 * argument m set to choice k (an index into the scenario's strings), the other arguments
 * drawn at random: follow() of them (all, when there are no more). */
static void add_pinned(const esc_scn *s, unsigned o, unsigned at, unsigned j, unsigned m,
		       unsigned k, mvlist *l, esc_rng *r)
{
	const esc_op_desc *d = &s->target->ops[o];
	uint64_t place[ESC_MAX_ARGS], radix[ESC_MAX_ARGS], p = 1, rest = 1;
	for (unsigned a = 0; a < d->nargs; a++) { /* apply's mixed radix: every argument but j */
		if (a == j)
			continue;
		radix[a] = nchoices(s, s->nops, &d->args[a], 1);
		place[a] = p;
		p *= radix[a];
		if (a != m)
			rest *= radix[a];
	}
	if (p > UINT32_MAX || !rest)
		return;
	unsigned n = rest <= follow() ? (unsigned)rest : follow();
	for (unsigned c = 0; c < n; c++) {
		uint64_t x = rest <= follow() ? c : esc_rng_next(r) % rest, combo = k * place[m];
		for (unsigned a = 0; a < d->nargs; a++) {
			if (a == j || a == m)
				continue;
			combo += (x % radix[a]) * place[a];
			x /= radix[a];
		}
		mv_add(l, (mv){ MV_APPEND, (uint8_t)o, (uint8_t)at, (uint8_t)j, (uint32_t)combo });
	}
}

/* A first entry whose last op produces nothing acted on what its handles and strings
 * name (a jail and a path, an object and a key): the ops that act on the same, each op
 * (but the last's own) appended consuming one of those handles with one of its string
 * arguments set to one of those strings. */
static void add_follow(const esc_scn *s, mvlist *l, esc_rng *r)
{
	const esc_target *t = s->target;
	const esc_op *nv = &s->ops[s->nops - 1];
	const esc_op_desc *dn = &t->ops[nv->op];
	const char *strs[ESC_MAX_OPS * ESC_MAX_ARGS];
	unsigned ns = scn_strings(s, strs), idx[ESC_MAX_ARGS], ni = 0;
	if (dn->produces != ESC_NO_RES || s->nops >= ESC_MAX_OPS)
		return;
	for (unsigned j = 0; j < dn->nargs; j++) { /* its distinct strings, as choices */
		unsigned k = 0, q = 0;
		if (dn->args[j].kind != ESC_ARG_STR || !nv->args[j].s[0])
			continue;
		while (k < ns && strcmp(strs[k], nv->args[j].s) != 0)
			k++;
		while (q < ni && idx[q] != k)
			q++;
		if (k < ns && q == ni)
			idx[ni++] = k;
	}
	for (unsigned h = 0; h < dn->nargs; h++) {
		if (dn->args[h].kind != ESC_ARG_HANDLE)
			continue;
		for (unsigned o = 0; o < t->nops; o++) {
			const esc_op_desc *d = &t->ops[o];
			for (unsigned j = 0; j < d->nargs && o != nv->op; j++) {
				if (d->args[j].kind != ESC_ARG_HANDLE || d->args[j].res != dn->args[h].res)
					continue;
				for (unsigned m = 0; m < d->nargs; m++)
					for (unsigned q = 0; q < ni && d->args[m].kind == ESC_ARG_STR; q++)
						add_pinned(s, o, (unsigned)nv->args[h].i, j, m, idx[q], l, r);
			}
		}
	}
}

/* Every other value of every argument of op i. */
static void add_args(const esc_scn *s, unsigned i, mvlist *l, esc_rng *r)
{
	const esc_op_desc *d = &s->target->ops[s->ops[i].op];
	for (unsigned j = 0; j < d->nargs; j++)
		add_group(l, (mv){ MV_ARG, 0, (uint8_t)i, (uint8_t)j, 0 },
			  nchoices(s, i, &d->args[j], 0), r);
}

/* The entry's moves: the newest producer's consumers and the last op's values first,
 * then the rest; each tier shuffled; ESC_FOCUS_MOVES at most, with room for each to be
 * deferred once (esc_focus_next). */
static int plan(entry *e, esc_rng *r)
{
	const esc_scn *s = e->s;
	mvlist a = { 0 }, b = { 0 }, z = { 0 };
	int newest = -1;
	if (e->first && s->nops && follow())
		add_follow(s, &z, r);
	interleave(z.p, z.n, r);
	for (unsigned i = 0; i < s->nops; i++)
		if (s->target->ops[s->ops[i].op].produces != ESC_NO_RES)
			newest = (int)i;
	if (newest >= 0)
		add_appends(s, (unsigned)newest, &a, r);
	if (s->nops) {
		add_args(s, s->nops - 1, &a, r);
		if (newest >= 0 && (unsigned)newest != s->nops - 1)
			add_args(s, (unsigned)newest, &a, r);
	}
	for (unsigned i = 0; i < s->nops; i++) {
		if ((int)i == newest)
			continue;
		if (s->target->ops[s->ops[i].op].produces != ESC_NO_RES)
			add_appends(s, i, &b, r);
		if (i != s->nops - 1)
			add_args(s, i, &b, r);
	}
	add_appends(s, NOSLOT, &b, r);
	interleave(a.p, a.n, r);
	interleave(b.p, b.n, r);
	for (unsigned k = 0; k < a.n && z.n < ESC_FOCUS_MOVES && !z.oom; k++)
		mv_add(&z, a.p[k]);
	for (unsigned k = 0; k < b.n && z.n < ESC_FOCUS_MOVES && !z.oom; k++)
		mv_add(&z, b.p[k]);
	int oom = a.oom || b.oom || z.oom;
	free(a.p);
	free(b.p);
	a = z;
	if (oom) {
		free(a.p);
		return ESC_E_NOMEM;
	}
	unsigned n = a.n < ESC_FOCUS_MOVES ? a.n : ESC_FOCUS_MOVES;
	mv *room = realloc(a.p, (2 * n + 1) * sizeof(mv));
	if (!room) {
		free(a.p);
		return ESC_E_NOMEM;
	}
	e->moves = room;
	e->nmoves = n;
	e->next = 0;
	return 0;
}

/* Applies m to s; returns 0, or -1 when it does not apply or changes nothing. */
static int apply(esc_scn *s, const mv *m, esc_rng *r)
{
	if ((m->kind & ~MV_DEFERRED) == MV_ARG) {
		if (m->at >= s->nops)
			return -1;
		const esc_arg_desc *d = &s->target->ops[s->ops[m->at].op].args[m->slot];
		esc_arg *a = &s->ops[m->at].args[m->slot], old = *a;
		if (set_choice(s, m->at, d, m->combo, a, r))
			return -1;
		return d->kind == ESC_ARG_STR ? strcmp(old.s, a->s) == 0 ? -1 : 0
					      : old.i == a->i ? -1 : 0;
	}
	if (s->nops >= ESC_MAX_OPS)
		return -1;
	const esc_op_desc *d = &s->target->ops[m->op];
	esc_op op;
	memset(&op, 0, sizeof(op));
	op.op = m->op;
	uint32_t c = m->combo;
	for (unsigned j = 0; j < d->nargs; j++) {
		if (j == m->slot) {
			op.args[j].i = m->at;
			continue;
		}
		unsigned n = nchoices(s, s->nops, &d->args[j], 1);
		if (!n || set_choice(s, s->nops, &d->args[j], c % n, &op.args[j], r))
			return -1;
		c /= n;
	}
	if (s->nops >= ESC_MAX_OPS)
		return -1;
	s->ops[s->nops++] = op;
	return 0;
}

esc_focus *esc_focus_new(const esc_target *t)
{
	esc_focus *f = calloc(1, sizeof(*f));
	if (f) {
		f->t = t;
		esc_scn_init(&f->work, t);
	}
	return f;
}

static void drop(entry *e)
{
	esc_scn_clear(e->s);
	free(e->s);
	free(e->moves);
	memset(e, 0, sizeof(*e));
}

void esc_focus_free(esc_focus *f)
{
	if (!f)
		return;
	for (unsigned k = 0; k < f->n; k++)
		drop(&f->e[k]);
	esc_scn_clear(&f->work);
	free(f->seen);
	free(f);
}

/* Drops entry k, keeping the others' order. */
static void remove_entry(esc_focus *f, unsigned k)
{
	drop(&f->e[k]);
	memmove(&f->e[k], &f->e[k + 1], (f->n - k - 1) * sizeof(entry));
	memset(&f->e[f->n - 1], 0, sizeof(entry));
	f->n--;
}

/* Stacks a copy of s (first: served before every ordinary entry). */
static int push(esc_focus *f, const esc_scn *s, uint64_t seed, int first)
{
	for (unsigned k = 0; k < f->n; k++)
		if (esc_scn_cmp_ops(f->e[k].s, s) == 0) {
			f->e[k].first |= first;
			return 0;
		}
	if (f->n == ESC_FOCUS_DEPTH) { /* the oldest goes, the oldest ordinary one first */
		unsigned k = 0;
		while (k < f->n && f->e[k].first)
			k++;
		remove_entry(f, k < f->n ? k : 0);
	}
	entry *e = &f->e[f->n];
	e->first = first;
	e->s = malloc(sizeof(esc_scn));
	if (!e->s)
		return ESC_E_NOMEM;
	esc_scn_init(e->s, f->t);
	esc_rng r;
	esc_rng_seed(&r, seed);
	e->seed = esc_rng_next(&r);
	if (esc_scn_copy(e->s, s) || plan(e, &r)) {
		drop(e);
		return ESC_E_NOMEM;
	}
	f->n++;
	return 0;
}

int esc_focus_push_scn(esc_focus *f, const esc_scn *s, uint64_t seed)
{
	return push(f, s, seed, 0);
}

static uint32_t mix32(uint32_t h, uint32_t x)
{
	h ^= x;
	h *= 0x01000193u;
	h ^= h >> 15;
	return h;
}

int esc_focus_observe(esc_focus *f, const esc_scn *s, const esc_runner *r, unsigned nsteps,
		      uint64_t seed)
{
	const esc_target *t = f->t;
	if (!t->outcomes || s->target != t)
		return -1;
	if (!f->seen && !(f->seen = calloc(ESC_FOCUS_FEATURES / 8, 1)))
		return -1;
	if (nsteps > s->nops)
		nsteps = s->nops;
	int found = -1;
	for (unsigned i = 0; i < nsteps; i++) {
		if (r->status[i] == ESC_STEP_SKIPPED)
			continue;
		uint32_t h = mix32(0x811c9dc5u, s->ops[i].op);
		h = mix32(h, r->status[i]);
		h = mix32(h, r->outcome[i]) & (ESC_FOCUS_FEATURES - 1);
		if (f->seen[h >> 3] & (1u << (h & 7)))
			continue;
		f->seen[h >> 3] |= (uint8_t)(1u << (h & 7));
		/* the run up to op i shows it again (ops after i cannot change it) */
		esc_scn *p = malloc(sizeof(esc_scn));
		if (!p)
			return found;
		esc_scn_init(p, t);
		int rc = esc_scn_copy(p, s);
		if (rc == 0) {
			esc_scn_clear_tail(p, i + 1);
			rc = push(f, p, seed + i, 1);
		}
		esc_scn_clear(p);
		free(p);
		if (rc == 0 && found < 0)
			found = (int)i;
	}
	return found;
}

int esc_focus_push(esc_focus *f, const uint8_t *data, size_t n, uint64_t seed)
{
	esc_scn *s = malloc(sizeof(esc_scn));
	if (!s)
		return ESC_E_NOMEM;
	esc_scn_blank(s, f->t);
	esc_mut_load(s, f->t, data, n);
	int rc = esc_focus_push_scn(f, s, seed);
	esc_scn_clear(s);
	free(s);
	return rc;
}

/* The next neighbour into out (see esc_focus_next_scn); *pe and *pm: its entry (valid
 * until the next call) and move. A move's random choices (fresh producers) are seeded by
 * its entry and the move itself, so a deferred move comes back the same. */
static int take(esc_focus *f, esc_scn *out, entry **pe, mv *pm)
{
	for (unsigned tries = 0; f->n && tries < MAX_TRIES;) {
		unsigned k = f->n - 1; /* the newest entry, or the newest served first */
		for (unsigned q = f->n; q-- > 0;)
			if (f->e[q].first) {
				k = q;
				break;
			}
		entry *e = &f->e[k];
		if (e->next >= e->nmoves) {
			remove_entry(f, k);
			continue;
		}
		const mv *m = &e->moves[e->next++];
		esc_rng r;
		esc_rng_seed(&r, e->seed ^ ((uint64_t)m->combo | (uint64_t)m->op << 32 |
					    (uint64_t)m->at << 40 | (uint64_t)m->slot << 48 |
					    (uint64_t)(m->kind & ~MV_DEFERRED) << 56));
		esc_scn_clear(out);
		if (esc_scn_copy(out, e->s) == 0 && apply(out, m, &r) == 0) {
			*pe = e;
			*pm = *m;
			return 0;
		}
		tries++;
	}
	esc_scn_clear(out);
	return -1;
}

int esc_focus_next_scn(esc_focus *f, esc_scn *out)
{
	entry *e;
	mv m;
	return take(f, out, &e, &m);
}

/* A neighbour too long for the engine's current length limit goes to the back of its
 * entry's list, once: libFuzzer's limit starts at a few bytes and grows as the corpus
 * stops finding coverage, and skipping loses most appends to the first entries. */
size_t esc_focus_next(esc_focus *f, uint8_t *out, size_t max)
{
	esc_scn *s = &f->work;
	size_t ret = 0;
	entry *e;
	mv m;
	for (unsigned tries = 0; tries < MAX_TRIES && take(f, s, &e, &m) == 0; tries++) {
		long n = esc_encode(s, out, max);
		if (n > 0) {
			ret = (size_t)n;
			break;
		}
		if (!(m.kind & MV_DEFERRED)) {
			m.kind |= MV_DEFERRED;
			e->moves[e->nmoves++] = m;
		}
	}
	esc_scn_clear(s);
	return ret;
}

unsigned esc_focus_entries(const esc_focus *f)
{
	return f->n;
}

size_t esc_focus_pending(const esc_focus *f)
{
	size_t n = 0;
	for (unsigned k = 0; k < f->n; k++)
		n += f->e[k].nmoves - f->e[k].next;
	return n;
}

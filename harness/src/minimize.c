/* The scenario minimizer (see escapade/minimize.h for the order of its phases and why it
 * ends). It works on a comment-free copy of the scenario and remembers, for each op of
 * the current best, which input op it came from, so the result keeps the comments of the
 * ops it kept. Candidates already tried are skipped by a set of 64-bit hashes of their
 * binary encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/minimize.h"

typedef struct min_state {
	const esc_min_opts *o;
	esc_min_stats st;
	unsigned max_tries;
	esc_scn cur; /* best so far, no comments */
	uint8_t orig[ESC_MAX_OPS];
	esc_scn cand;
	uint8_t cand_orig[ESC_MAX_OPS];
	uint8_t *enc;
	size_t enccap;
	uint64_t *seen; /* open addressing; 0 marks a free slot */
	size_t seen_cap, seen_n;
	int err;
	int exhausted;
} min_state;

/* ---- removal ---- */

static unsigned remove_core(esc_scn *s, uint8_t drop[ESC_MAX_OPS], uint8_t *orig)
{
	const esc_target *t = s->target;
	int newidx[ESC_MAX_OPS];
	for (unsigned i = 0; i < s->nops; i++) {
		if (drop[i])
			continue;
		const esc_op_desc *d = &t->ops[s->ops[i].op];
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE && drop[s->ops[i].args[j].i])
				drop[i] = 1;
	}
	unsigned n = 0, old = s->nops;
	for (unsigned i = 0; i < old; i++) {
		if (drop[i]) {
			free(s->ops[i].comment);
			s->ops[i].comment = NULL;
			newidx[i] = -1;
			continue;
		}
		newidx[i] = (int)n;
		if (n != i) {
			s->ops[n] = s->ops[i];
			s->ops[i].comment = NULL;
			if (orig)
				orig[n] = orig[i];
		}
		n++;
	}
	for (unsigned k = 0; k < n; k++) {
		const esc_op_desc *d = &t->ops[s->ops[k].op];
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE)
				s->ops[k].args[j].i = newidx[s->ops[k].args[j].i];
	}
	s->nops = n;
	return old - n;
}

unsigned esc_min_remove_ops(esc_scn *s, uint8_t drop[ESC_MAX_OPS])
{
	for (unsigned i = s->nops; i < ESC_MAX_OPS; i++)
		drop[i] = 0;
	return remove_core(s, drop, NULL);
}

/* ---- the set of tried candidates ---- */

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Returns 1 if h was already in the set, 0 after adding it, ESC_E_NOMEM. */
static int seen_add(min_state *ms, uint64_t h)
{
	if (h == 0)
		h = 1;
	if (ms->seen_n * 2 >= ms->seen_cap) {
		size_t cap = ms->seen_cap ? ms->seen_cap * 2 : 1024;
		uint64_t *p = calloc(cap, sizeof(*p));
		if (!p)
			return ESC_E_NOMEM;
		for (size_t i = 0; i < ms->seen_cap; i++) {
			uint64_t v = ms->seen[i];
			if (!v)
				continue;
			size_t k = (size_t)(v % cap);
			while (p[k])
				k = (k + 1) % cap;
			p[k] = v;
		}
		free(ms->seen);
		ms->seen = p;
		ms->seen_cap = cap;
	}
	size_t k = (size_t)(h % ms->seen_cap);
	while (ms->seen[k]) {
		if (ms->seen[k] == h)
			return 1;
		k = (k + 1) % ms->seen_cap;
	}
	ms->seen[k] = h;
	ms->seen_n++;
	return 0;
}

static int scn_key(min_state *ms, const esc_scn *s, uint64_t *key)
{
	long n = esc_encode(s, ms->enc, ms->enccap);
	if (n < 0)
		return (int)n;
	uint8_t nops = (uint8_t)s->nops;
	uint64_t h = fnv(0xcbf29ce484222325ull, &nops, 1);
	*key = fnv(h, ms->enc, (size_t)n);
	return 0;
}

/* ---- trying a candidate ---- */

/* Tries ms->cand. Returns 1 when accepted (it became ms->cur), 0 otherwise; errors and
 * the try budget stop the search through ms->err and ms->exhausted. */
static int try_cand(min_state *ms)
{
	if (ms->err || ms->exhausted)
		return 0;
	uint64_t key;
	int rc = scn_key(ms, &ms->cand, &key);
	if (!rc)
		rc = seen_add(ms, key);
	if (rc < 0) {
		ms->err = rc;
		return 0;
	}
	if (rc == 1) {
		ms->st.cached++;
		return 0;
	}
	if (esc_scn_validate(&ms->cand, NULL, 0)) {
		ms->err = ESC_E_INVALID; /* a bug of the minimizer: never hand it on */
		return 0;
	}
	if (ms->st.tries >= ms->max_tries) {
		ms->exhausted = 1;
		return 0;
	}
	ms->st.tries++;
	rc = ms->o->pred(&ms->cand, ms->o->pred_arg);
	if (rc < 0) {
		ms->err = rc;
	} else if (rc == 1) {
		memcpy(&ms->cur, &ms->cand, sizeof(ms->cur));
		memcpy(ms->orig, ms->cand_orig, sizeof(ms->orig));
		ms->st.accepted++;
		ms->st.nops = ms->cur.nops;
	}
	if (ms->o->progress)
		ms->o->progress(&ms->st, ms->o->progress_arg);
	return rc == 1;
}

static void cand_from_cur(min_state *ms)
{
	memcpy(&ms->cand, &ms->cur, sizeof(ms->cand));
	memcpy(ms->cand_orig, ms->orig, sizeof(ms->cand_orig));
}

/* Tries cur without the ops in [lo, hi) (and their users). */
static int try_drop_range(min_state *ms, unsigned lo, unsigned hi)
{
	uint8_t drop[ESC_MAX_OPS] = { 0 };
	for (unsigned i = lo; i < hi && i < ms->cur.nops; i++)
		drop[i] = 1;
	cand_from_cur(ms);
	if (!remove_core(&ms->cand, drop, ms->cand_orig))
		return 0;
	return try_cand(ms);
}

static int stopped(const min_state *ms)
{
	return ms->err || ms->exhausted;
}

static void phase_chunks(min_state *ms)
{
	ms->st.phase = "chunks";
	for (unsigned size = ms->cur.nops / 2; size >= 2 && !stopped(ms); size /= 2) {
		unsigned nchunks = (ms->cur.nops + size - 1) / size;
		for (unsigned k = nchunks; k-- > 0 && !stopped(ms);) {
			unsigned lo = k * size;
			if (lo >= ms->cur.nops)
				continue;
			try_drop_range(ms, lo, lo + size);
		}
	}
}

static void phase_ops(min_state *ms)
{
	ms->st.phase = "ops";
	for (unsigned i = ms->cur.nops; i-- > 0 && !stopped(ms);)
		if (i < ms->cur.nops)
			try_drop_range(ms, i, i + 1);
}

/* Rank of an integer: 0 for the first choice of its kind, 1 for the second, 2 else. */
static unsigned int_rank(const esc_arg_desc *d, int64_t v)
{
	int64_t first = d->positional ? 0 : d->min, second = d->positional ? d->min : 0;
	if (first < d->min || first > d->max)
		first = second; /* 0 out of range: the minimum is the only choice */
	return v == first ? 0 : v == second ? 1 : 2;
}

/* Rank of a string: "" 0, dictionary entry k 1 + k, anything else ndict + 1. */
static unsigned str_rank(const esc_target *t, const char *s)
{
	if (!*s)
		return 0;
	for (unsigned k = 0; k < t->ndict; k++)
		if (strcmp(t->dict[k], s) == 0)
			return 1 + k;
	return t->ndict + 1;
}

/* Tries the simpler values of argument j of op i, simplest first; stops at the first
 * accepted one. */
static void simplify_arg(min_state *ms, unsigned i, unsigned j)
{
	const esc_target *t = ms->cur.target;
	const esc_arg_desc *d = &t->ops[ms->cur.ops[i].op].args[j];
	const esc_arg a = ms->cur.ops[i].args[j];
	switch (d->kind) {
	case ESC_ARG_ENUM:
		if (a.i != 0) {
			cand_from_cur(ms);
			ms->cand.ops[i].args[j].i = 0;
			try_cand(ms);
		}
		break;
	case ESC_ARG_INT: {
		/* named: the minimum first (the default, not printed), then 0; positional: 0
		 * first, then the minimum; only to a value of lower rank */
		int64_t order[2] = { d->min, 0 };
		if (d->positional) {
			order[0] = 0;
			order[1] = d->min;
		}
		unsigned r = int_rank(d, a.i);
		for (unsigned k = 0; k < 2 && !stopped(ms); k++) {
			int64_t val = order[k];
			if (val < d->min || val > d->max || int_rank(d, val) >= r)
				continue;
			cand_from_cur(ms);
			ms->cand.ops[i].args[j].i = val;
			if (try_cand(ms))
				break;
		}
		break;
	}
	case ESC_ARG_STR: {
		unsigned r = str_rank(t, a.s);
		for (unsigned k = 0; k < r && !stopped(ms); k++) {
			cand_from_cur(ms);
			char *dst = ms->cand.ops[i].args[j].s;
			if (k == 0)
				dst[0] = 0;
			else
				snprintf(dst, sizeof(ms->cand.ops[i].args[j].s), "%s", t->dict[k - 1]);
			if (try_cand(ms))
				break;
		}
		break;
	}
	case ESC_ARG_HANDLE:
		for (int64_t p = 0; p < a.i && !stopped(ms); p++) {
			if (t->ops[ms->cur.ops[p].op].produces != d->res)
				continue;
			cand_from_cur(ms);
			ms->cand.ops[i].args[j].i = p;
			if (try_cand(ms))
				break;
		}
		break;
	default:
		break;
	}
}

static void phase_args(min_state *ms)
{
	ms->st.phase = "args";
	for (unsigned i = 0; i < ms->cur.nops && !stopped(ms); i++) {
		const esc_op_desc *d = &ms->cur.target->ops[ms->cur.ops[i].op];
		for (unsigned j = 0; j < d->nargs && !stopped(ms); j++)
			simplify_arg(ms, i, j);
	}
}

/* Moves the result into s: ops of cur, comments of the input ops they came from. */
static void commit(min_state *ms, esc_scn *s)
{
	uint8_t kept[ESC_MAX_OPS] = { 0 };
	char *comments[ESC_MAX_OPS];
	for (unsigned k = 0; k < ms->cur.nops; k++) {
		comments[k] = s->ops[ms->orig[k]].comment;
		kept[ms->orig[k]] = 1;
	}
	for (unsigned i = 0; i < s->nops; i++)
		if (!kept[i])
			free(s->ops[i].comment);
	for (unsigned k = 0; k < ms->cur.nops; k++) {
		s->ops[k] = ms->cur.ops[k];
		s->ops[k].comment = comments[k];
	}
	for (unsigned k = ms->cur.nops; k < s->nops; k++)
		s->ops[k].comment = NULL;
	s->nops = ms->cur.nops;
}

int esc_min_run(esc_scn *s, const esc_min_opts *o, esc_min_stats *st)
{
	if (!s->target || !o || !o->pred || esc_scn_validate(s, NULL, 0))
		return ESC_E_INVALID;
	min_state *ms = calloc(1, sizeof(*ms));
	if (!ms)
		return ESC_E_NOMEM;
	ms->o = o;
	ms->max_tries = o->max_tries ? o->max_tries : ESC_MIN_DEFAULT_TRIES;
	ms->st.phase = "start";
	ms->st.nops_start = ms->st.nops = s->nops;
	ms->enccap = esc_encode_bound(s->target);
	ms->enc = malloc(ms->enccap);
	int rc = 0;
	if (!ms->enc) {
		rc = ESC_E_NOMEM;
		goto out;
	}
	memcpy(&ms->cur, s, sizeof(ms->cur));
	ms->cur.nnotes = 0;
	ms->cur.head = ms->cur.trailer = NULL;
	for (unsigned i = 0; i < ms->cur.nops; i++) {
		ms->cur.ops[i].comment = NULL;
		ms->orig[i] = (uint8_t)i;
	}
	/* the input itself must have the property */
	cand_from_cur(ms);
	if (!try_cand(ms)) {
		rc = ms->err ? ms->err : ESC_E_INVALID;
		goto out;
	}
	ms->st.accepted = 0;
	if (o->step >= 0 && (unsigned)o->step + 1 < ms->cur.nops) {
		ms->st.phase = "tail";
		try_drop_range(ms, (unsigned)o->step + 1, ms->cur.nops);
	}
	for (;;) {
		unsigned before = ms->st.accepted;
		ms->st.rounds++;
		phase_chunks(ms);
		phase_ops(ms);
		phase_args(ms);
		if (stopped(ms) || ms->st.accepted == before)
			break;
	}
	if (ms->err) {
		rc = ms->err;
		goto out;
	}
	commit(ms, s);
	ms->st.phase = "done";
out:
	if (st)
		*st = ms->st;
	free(ms->enc);
	free(ms->seen);
	free(ms);
	return rc;
}

int esc_min_same_verdict(const esc_scn *cand, void *arg)
{
	esc_min_verdict *m = arg;
	esc_verdict v;
	int rc = esc_run(m->runner, cand, &v, NULL);
	if (rc)
		return rc;
	if (v.kind == ESC_CONTAINED || v.kind != m->kind || v.signature != m->signature)
		return 0;
	m->last = v;
	return 1;
}

/* escapade scenario minimizer: delta debugging on the scenario (ops and arguments), not
 * on bytes, driven by a predicate the caller supplies ("same verdict kind and same
 * signature?"), so a minimized escape cannot slide onto another escape.
 *
 * Order, coarse to fine, repeated until a whole round changes nothing:
 *   tail:   drop the ops after the violating step (when the caller knows it);
 *   chunks: drop halves, quarters, ... of the ops;
 *   ops:    drop single ops, from the last to the first;
 *   args:   simplify arguments: enum -> 0; int -> its default (min) for a named argument,
 *           which then disappears from the text, else 0, and 0 before min for a
 *           positional one; string -> "", else a dictionary entry (an earlier one than
 *           the current); handle -> an earlier producer of the same resource kind.
 * Dropping an op also drops every op that uses its result, transitively (handles point
 * backwards to their producers, so the rest stays valid). Every candidate is validated;
 * a candidate already tried (keyed by a hash of its binary encoding) is not tried again.
 * An argument change is accepted only when strictly simpler (by a fixed rank per kind:
 * "" < dictionary entry k < entry k+1 < any other string; an earlier producer), so the
 * process ends;
 * it is deterministic: same input and predicate, same result.
 */
#ifndef ESCAPADE_MINIMIZE_H
#define ESCAPADE_MINIMIZE_H

#include "escapade/run.h"
#include "escapade/scenario.h"

#define ESC_MIN_DEFAULT_TRIES 10000u

typedef struct esc_min_stats {
	const char *phase;    /* "tail", "chunks", "ops", "args", "done" */
	unsigned tries;       /* predicate calls */
	unsigned cached;      /* candidates skipped because already tried */
	unsigned accepted;    /* candidates that kept the property */
	unsigned nops_start;  /* ops of the input */
	unsigned nops;        /* ops of the current best */
	unsigned rounds;
} esc_min_stats;

/* Returns 1 when cand still shows the property, 0 when it does not, or a negative
 * ESC_E_* code to stop minimizing (esc_min_run then returns it). */
typedef int (*esc_min_pred)(const esc_scn *cand, void *arg);
/* Called after every predicate call. */
typedef void (*esc_min_progress)(const esc_min_stats *st, void *arg);

typedef struct esc_min_opts {
	esc_min_pred pred;
	void *pred_arg;
	esc_min_progress progress; /* may be NULL */
	void *progress_arg;
	int step;                  /* violating step of the input, -1 if unknown */
	unsigned max_tries;        /* predicate calls at most; 0: ESC_MIN_DEFAULT_TRIES */
} esc_min_opts;

/* Minimizes s in place. Kept ops keep their comments; notes, head, trailer and
 * expectations are kept as they are (the caller refills expectations if it wants).
 * Returns 0 (s is the smallest scenario found: it satisfies the predicate), ESC_E_INVALID
 * when s itself does not satisfy it, ESC_E_NOMEM, or the predicate's negative code; s is
 * unchanged on error. st (may be NULL) receives the final statistics. */
ESC_API int esc_min_run(esc_scn *s, const esc_min_opts *o, esc_min_stats *st);

/* Removes from s the ops i with drop[i] != 0 and every op that uses their results,
 * transitively, renumbering handles; frees the comments of removed ops. drop has
 * ESC_MAX_OPS entries and is updated to the full set removed. Returns how many ops went. */
ESC_API unsigned esc_min_remove_ops(esc_scn *s, uint8_t drop[ESC_MAX_OPS]);

/* The usual predicate: esc_run under runner and compare kind and signature. */
typedef struct esc_min_verdict {
	esc_runner *runner;
	esc_verdict_kind kind;
	uint64_t signature;
	esc_verdict last;          /* verdict of the last accepted candidate */
} esc_min_verdict;

/* esc_min_pred for esc_min_verdict: returns 1 on the same kind and signature, 0 when
 * not, or esc_run's negative code (ESC_E_UNAVAILABLE ...). */
ESC_API int esc_min_same_verdict(const esc_scn *cand, void *arg);

#endif

/* Focus on new corpus entries: when a scenario finds new coverage, its neighbourhood is
 * tried next, before the engine's corpus schedule gets back to it (syzkaller's "smash"
 * of a new input, AFL's deterministic stages on a new queue entry).
 *
 * An escape is a chain, and each link is one step away from the scenario that found the
 * link before it: a consumer appended to the newest result, an argument of the newest op
 * changed. A random mutation of a given entry takes such a step with odds of about 1 in
 * 500 (which op, which handle, which value), and the engine picks that entry among
 * hundreds (a JavaScript engine's coverage makes a new entry every few dozen execs). The
 * focus enumerates the steps instead, each once:
 *   - first, the newest producer's consumers (every op taking its result, with up to
 *     ESC_FOCUS_GROUP combinations of its other arguments: enum values, dictionary
 *     strings, boundary integers, existing, fresh or copied handles) and every value of
 *     every argument of the last op;
 *   - then the same for the other producers and ops, and the root ops appended;
 *   - in each tier the shapes (op appended, argument changed) take turns, each shape's
 *     combinations in a random order (seeded per entry) (ESCAPADE_FOCUS_INTERLEAVE=0:
 *     one shuffle of the tier instead); ESC_FOCUS_MOVES moves at most.
 * New entries stack (the newest first, depth-first along a chain); past ESC_FOCUS_DEPTH
 * the oldest is dropped. A JavaScript engine or a kernel makes a new entry every few
 * dozen execs, so an entry holding the next link is soon buried. A target that reports
 * outcomes (esc_ctx.outcome: what crossed a bridge, what a nested jail adds to its
 * parent, where an open landed) lets the fuzz glue tell the focus which runs did
 * something the layer never did before (esc_focus_observe): those are stacked apart and
 * served first, the newest first, and dropped last. When such a run's last op produces
 * nothing (a symlink planted, a property set), what it did can only matter to ops that
 * act where it acted: its neighbours start with every other op appended on one of its
 * handles with one of its strings (the jail and the link's path), the rest of its
 * arguments drawn at random, each such shape once (ESCAPADE_FOCUS_FOLLOW=N: N times;
 * 0: not at all).
 *
 * The engine glue says which inputs are new (libFuzzer: fuzz_driver.c infers it from its
 * mutation loop; AFL++: afl_custom_queue_new_entry) and how often a call takes the next
 * neighbour instead of a mutation. Deterministic: the same pushes and seeds give the same
 * neighbours.
 */
#ifndef ESCAPADE_FOCUS_H
#define ESCAPADE_FOCUS_H

#include <stddef.h>
#include <stdint.h>

#include "escapade/scenario.h"

#define ESC_FOCUS_DEPTH 32  /* entries kept */
#define ESC_FOCUS_MOVES 512 /* neighbours per entry at most */
#define ESC_FOCUS_GROUP 24  /* argument combinations per (op, consumed handle) at most */

typedef struct esc_focus esc_focus;
struct esc_runner;

/* Returns a focus for target t, or NULL when out of memory. */
ESC_API esc_focus *esc_focus_new(const esc_target *t);
ESC_API void esc_focus_free(esc_focus *f);

/* A new corpus entry (binary or text form of f's target). An entry whose ops equal one
 * already stacked is ignored. Returns 0, or ESC_E_NOMEM. */
ESC_API int esc_focus_push(esc_focus *f, const uint8_t *data, size_t n, uint64_t seed);
/* The same for a scenario (copied). */
ESC_API int esc_focus_push_scn(esc_focus *f, const esc_scn *s, uint64_t seed);

/* After r ran s (its first nsteps ops), for a target that reports outcomes (esc_target
 * .outcomes): every op whose (op, status, outcome) no run showed before is marked seen,
 * and s up to that op is stacked as an entry served before every ordinary one (its
 * neighbours then start with that op's consumers and values). An engine's coverage cannot
 * tell a new kind of value in the layer from one of the thousands of new paths a
 * JavaScript engine or a kernel shows; the layer can. Returns the first such op's index,
 * or -1 when nothing was new (or out of memory). */
ESC_API int esc_focus_observe(esc_focus *f, const esc_scn *s, const struct esc_runner *r,
			      unsigned nsteps, uint64_t seed);

/* Writes into out (initialized, of f's target; cleared first) the next neighbour of the
 * newest entry that has neighbours left. Returns 0, or -1 when there is none. */
ESC_API int esc_focus_next_scn(esc_focus *f, esc_scn *out);
/* The same, encoded into out (capacity max); a neighbour that does not fit goes to the
 * back of its entry's list, once (up to 64 in one call). Returns its size, or 0 when none
 * was found. */
ESC_API size_t esc_focus_next(esc_focus *f, uint8_t *out, size_t max);

/* Entries stacked, and neighbours left over all of them. */
ESC_API unsigned esc_focus_entries(const esc_focus *f);
ESC_API size_t esc_focus_pending(const esc_focus *f);

#endif

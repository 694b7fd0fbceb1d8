/* Structure-aware mutation of scenarios, one mutator for every target and both engines
 * (libFuzzer's custom mutator hooks and the AFL++ custom mutator library).
 *
 * Every strategy keeps the scenario valid (esc_scn_validate holds after each call):
 * handles always point to an earlier producer of the right kind, at most ESC_MAX_OPS
 * ops. The mutator is deterministic: the same scenario, seed and weights give the same
 * result. Strategies and their weights live in one struct with defaults.
 */
#ifndef ESCAPADE_MUTATE_H
#define ESCAPADE_MUTATE_H

#include <stddef.h>
#include <stdint.h>

#include "escapade/scenario.h"

typedef struct esc_rng {
	uint64_t s;
} esc_rng;

/* Seeds the generator; any seed (0 too) is fine. */
ESC_API void esc_rng_seed(esc_rng *r, uint64_t seed);
ESC_API uint64_t esc_rng_next(esc_rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
ESC_API uint32_t esc_rng_below(esc_rng *r, uint32_t n);

/* Strategy weights: the chance of a strategy is its weight over the sum. */
typedef struct esc_mut_weights {
	unsigned insert;   /* a new op at a random position, with producers for its handles */
	unsigned remove;   /* drop an op; its users are re-targeted or dropped */
	unsigned dup;      /* duplicate an op right after itself */
	unsigned swap;     /* swap two adjacent independent ops */
	unsigned arg;      /* change one argument within its kind */
	unsigned str;      /* byte-level mutation of a string argument */
	/* Length bias: past soft_ops ops, insert and dup weigh weight * soft_ops / nops, so
	 * scenarios stay as short as escapes are (a few ops) unless length pays; 0: none.
	 * (libFuzzer turns its own length control off for a custom mutator.) */
	unsigned soft_ops;
} esc_mut_weights;

ESC_API extern const esc_mut_weights esc_mut_defaults;

/* Byte-level mutator (LLVMFuzzerMutate's shape): mutates data[0..size) in place within
 * max bytes and returns the new size. May be NULL: strings then mutate by a simple
 * built-in byte flip/insert/erase. */
typedef size_t (*esc_bytes_fn)(uint8_t *data, size_t size, size_t max);

/* Applies 1 to 4 strategies to s. w NULL means esc_mut_defaults. Returns the number of
 * strategies that changed s (0 when none could apply, e.g. an empty scenario of a target
 * whose every op needs a handle). s stays valid either way. */
ESC_API int esc_mutate(esc_scn *s, esc_rng *rng, const esc_mut_weights *w, esc_bytes_fn bytes);

/* Splices: out = a prefix of a followed by a run of ops of b, with b's handles
 * re-targeted to producers of the same kind in the result (an op whose handle has no
 * producer is dropped). out must be initialized; a and b must share out's target.
 * Notes, comments and expectations are not carried over. */
ESC_API void esc_crossover(esc_scn *out, const esc_scn *a, const esc_scn *b, esc_rng *rng);

/* Removes op i; a later op using its result is re-targeted to another earlier producer
 * of that kind when one exists, else removed too (recursively). Keeps s valid. */
ESC_API void esc_scn_remove_op(esc_scn *s, unsigned i);

/* The engine glue: decodes data (binary form, or text form), mutates, encodes into data
 * (capacity max). Falls back to bytes() on the raw data when the mutated scenario does
 * not fit in max. Returns the new size. */
ESC_API size_t esc_mutate_buffer(const esc_target *t, uint8_t *data, size_t size, size_t max,
				 uint64_t seed, esc_bytes_fn bytes);
/* Crossover glue: decodes both, splices, encodes into out (capacity max). */
ESC_API size_t esc_crossover_buffer(const esc_target *t, const uint8_t *d1, size_t s1,
				    const uint8_t *d2, size_t s2, uint8_t *out, size_t max,
				    uint64_t seed);

/* Length control in ops. The engines' own controls count bytes (libFuzzer's -len_control
 * starts at a few bytes and grows as the corpus stops finding coverage; AFL++ has none),
 * but an op's cost is what its step does (a jail spawned, JavaScript compiled, a token
 * signed), and a scenario under a few dozen bytes cannot hold a 3-op chain with its
 * strings. The glue holds mutations and cross-overs to limit ops: it starts at
 * ESC_OPLIMIT_START (every minimal escape kept as a regression has 5 ops or fewer) and
 * grows by one after ESC_OPLIMIT_QUIET x limit calls without a new corpus entry, up to
 * ESC_MAX_OPS. The focus's neighbours (escapade/focus.h) are not held to it: they are
 * one step from an entry, and an entry at the limit would lose every append (measured:
 * trustgate discharge-unbound took 3x the execs with them held). Deterministic: the
 * limit depends only on the calls and the entries. */
#define ESC_OPLIMIT_START 6
#define ESC_OPLIMIT_QUIET 200
typedef struct esc_oplimit {
	unsigned limit;
	unsigned long quiet; /* calls since the last new entry (or growth) */
} esc_oplimit;

ESC_API void esc_oplimit_init(esc_oplimit *l);
/* A new corpus entry: the limit stays, its quiet count restarts. */
ESC_API void esc_oplimit_entry(esc_oplimit *l);
/* One mutation call; returns the limit for its output. */
ESC_API unsigned esc_oplimit_call(esc_oplimit *l);

/* Removes ops until s has max_ops at most, first ops the newest op does not depend on
 * (through handles, transitively), then any but the newest; each removal re-targets or
 * drops the users of what it removes (esc_scn_remove_op). The newest op is what a
 * mutation that went over the limit most likely appended: it and its chain stay while
 * they fit. */
ESC_API void esc_mut_cap(esc_scn *s, unsigned max_ops, esc_rng *rng);
/* The same on an encoded scenario (binary or text form) in data (capacity max): data is
 * re-encoded only when it had more than max_ops ops. Returns the new size. */
ESC_API size_t esc_cap_buffer(const esc_target *t, uint8_t *data, size_t size, size_t max,
			      unsigned max_ops, uint64_t seed);

#endif

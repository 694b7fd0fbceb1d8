/* escapade runner: executes a scenario against its target, asks the target's oracle
 * after every op, stops at the first divergence with a verdict, and optionally records a
 * human-readable trace. The runner owns the target state; esc_run resets it before every
 * run, so one runner can be reused across runs (libFuzzer and AFL++ persistent mode).
 */
#ifndef ESCAPADE_RUN_H
#define ESCAPADE_RUN_H

#include <stdio.h>
#include "escapade/scenario.h"

typedef struct esc_verdict {
	esc_verdict_kind kind; /* ESC_CONTAINED when no divergence */
	int step;              /* op index of the divergence, -1 when contained */
	char chain[160];       /* principal chain, "host > vm#1 > vm#2" */
	char expected[160];    /* authority the reference model allows */
	char actual[160];      /* authority actually held or used */
	char summary[256];     /* one line */
	uint64_t signature;    /* target + kind + data-flow slice to the violating op */
} esc_verdict;

typedef enum esc_step_status { ESC_STEP_OK, ESC_STEP_FAILED, ESC_STEP_SKIPPED } esc_step_status;

/* Per-run context handed to ops; targets write explanations with esc_note. */
typedef struct esc_ctx {
	FILE *trace;      /* NULL: tracing off, esc_note costs nothing */
	unsigned step;
	/* What the op did, as the layer sees it, for the fuzzers' focus (escapade/focus.h):
	 * a number naming the kind of value it produced (a wrapped host function, a jail
	 * whose Landlock domain grants more than it asked for ...) or the branch of the
	 * layer's checks it took; the runner zeroes it before every op. Only a target whose
	 * table sets `outcomes` fills it; it must depend only on the scenario and the
	 * profile, never on addresses, counters or time. */
	uint32_t outcome;
} esc_ctx;

/* Appends one explanatory line to the trace for the current step (no-op if tracing is
 * off). Keep the format short: "vm#2: guard passed; resolver = {vm2}". */
ESC_API void esc_note(esc_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int esc_tracing(const esc_ctx *ctx) { return ctx && ctx->trace; }

typedef struct esc_runner {
	const esc_target *target;
	unsigned profile;
	void *state;
	unsigned res[ESC_MAX_OPS];          /* target id of each op's result */
	esc_step_status status[ESC_MAX_OPS];
	uint32_t outcome[ESC_MAX_OPS];      /* ctx.outcome of each op (0: skipped) */
} esc_runner;

/* Allocates the target state. Returns 0, ESC_E_NOMEM, or ESC_E_INVALID for a bad
 * profile index; r is then unusable. */
ESC_API int esc_runner_init(esc_runner *r, const esc_target *t, unsigned profile);
/* Releases the state; accepts a zeroed or failed runner. */
ESC_API void esc_runner_fini(esc_runner *r);
/* Runs s (its target must be r's). Writes the trace to trace when non-NULL. Returns 0
 * and fills *v (kind ESC_CONTAINED when no escape), or a negative code when the layer
 * is unavailable (ESC_E_UNAVAILABLE) or s is invalid. */
ESC_API int esc_run(esc_runner *r, const esc_scn *s, esc_verdict *v, FILE *trace);

/* Prints the verdict report (kind, step, chain, expected vs actual, summary, signature). */
ESC_API void esc_verdict_print(const esc_scn *s, unsigned profile, const esc_verdict *v, FILE *f);

/* Signature of a verdict found at step of s: FNV-1a over the target name, the kind, and
 * the ops on the data-flow path (handle producers, transitively) to step, with handles
 * expressed relative to that slice, so unrelated ops around it do not change it. */
ESC_API uint64_t esc_signature(const esc_scn *s, esc_verdict_kind kind, unsigned step);

/* Fuzz builds: prints nothing, aborts through a function named after the kind
 * (escape_privilege_amplification() ...) so engines keep the input and stack-based
 * dedupe sees the kind. Never returns. */
ESC_API void esc_abort_verdict(esc_verdict_kind kind) __attribute__((noreturn));

#endif

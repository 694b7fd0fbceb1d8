/* Generic fuzz entry point, compiled once per target with -DESC_FUZZ_TARGET=<symbol>.
 * Accepts the binary form (what the engine mutates), the text form (so a regression
 * file can be handed straight to the fuzz binary) and the binary container of its own
 * target (`escapade encode`), told apart as escapade's loader does. Profile from
 * ESCAPADE_PROFILE (default hardened). On an escape it prints the report and the
 * scenario, then aborts through the function named after the verdict kind so the engine
 * keeps the input.
 *
 * With ESC_CUSTOM_MUTATOR (the libFuzzer build of fuzz_<target>; fuzz_<target>_bytes
 * leaves it out as the byte-level baseline) libFuzzer mutates scenarios, not bytes,
 * through the core's structure-aware mutator.
 *
 * ESCAPADE_CONTINUE=1 (benchmarks only) counts escapes instead of aborting, so the
 * throughput of a vulnerable profile can be measured over a fixed time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/focus.h"
#include "escapade/load.h"
#include "escapade/mutate.h"
#include "escapade/run.h"
#include "escapade/scenario.h"

#ifndef ESC_FUZZ_TARGET
#error "define ESC_FUZZ_TARGET to the target's esc_target symbol"
#endif

extern const esc_target ESC_FUZZ_TARGET;

static esc_runner runner;
static esc_scn scn;
static int ready, keep_going;
static unsigned long escapes;

static void report_escapes(void)
{
	if (keep_going)
		fprintf(stderr, "escapade: %lu escapes counted (ESCAPADE_CONTINUE)\n", escapes);
}

static void setup(void)
{
	const esc_target *t = &ESC_FUZZ_TARGET;
	char why[200];
	if (esc_target_validate(t, why, sizeof(why))) {
		fprintf(stderr, "fuzz_%s: malformed target table: %s\n", t->name, why);
		exit(2);
	}
	const char *p = getenv("ESCAPADE_PROFILE");
	if (!p || !*p)
		p = t->profiles[0];
	int prof = esc_profile_index(t, p);
	if (prof < 0) {
		fprintf(stderr, "fuzz_%s: unknown profile '%s' in ESCAPADE_PROFILE (known:", t->name, p);
		for (unsigned i = 0; i < t->nprofiles; i++)
			fprintf(stderr, " %s", t->profiles[i]);
		fprintf(stderr, ")\n");
		exit(2);
	}
	if (esc_runner_init(&runner, t, (unsigned)prof)) {
		fprintf(stderr, "fuzz_%s: out of memory\n", t->name);
		exit(2);
	}
	esc_scn_init(&scn, t);
	const char *c = getenv("ESCAPADE_CONTINUE");
	keep_going = c && *c && strcmp(c, "0") != 0;
	if (keep_going)
		atexit(report_escapes);
	ready = 1;
}

#ifdef ESC_CUSTOM_MUTATOR
/* Focus on new corpus entries (escapade/focus.h), and the length limit in ops
 * (esc_oplimit, escapade/mutate.h). libFuzzer does not tell a custom mutator which inputs
 * it kept, but its loop shows it: it picks a corpus entry and mutates it up to
 * -mutate_depth times in a row, each call on the previous call's output, and stops early
 * only when an output was added to the corpus. So an input that is not our last output
 * starts a new round, and if the round before had fewer calls than the depth, its last
 * output is a new entry (one found by a round's last call is missed). -reduce_depth=1
 * also stops rounds early: the inference is off then (the op limit then grows on calls
 * alone). While the focus has neighbours left, a quarter of all calls take the next one
 * instead of mutating their input (see SHARE_FOCUS). ESCAPADE_FOCUS=0 turns it off. */
static esc_focus *focus;
static esc_oplimit oplimit = { ESC_OPLIMIT_START, 0 };
static unsigned mutate_depth = 5, round_calls;
static int infer = 1;
static uint8_t *last_out;
static size_t last_len, last_cap;
static int have_last;

static void focus_flags(int argc, char **argv)
{
	esc_oplimit_init(&oplimit);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-mutate_depth=", 14) == 0 && atoi(argv[i] + 14) > 0)
			mutate_depth = (unsigned)atoi(argv[i] + 14);
		if (strncmp(argv[i], "-reduce_depth=", 14) == 0 && atoi(argv[i] + 14) != 0)
			infer = 0;
	}
	const char *e = getenv("ESCAPADE_FOCUS");
	if (!infer || (e && strcmp(e, "0") == 0))
		return;
	focus = esc_focus_new(&ESC_FUZZ_TARGET);
	if (focus) {
		/* the empty scenario's neighbours: every root op with its argument values */
		esc_scn empty;
		esc_scn_init(&empty, &ESC_FUZZ_TARGET);
		esc_focus_push_scn(focus, &empty, 0);
	}
}

static void remember(const uint8_t *d, size_t n)
{
	if (n > last_cap) {
		uint8_t *p = realloc(last_out, n);
		if (!p) {
			have_last = 0;
			return;
		}
		last_out = p;
		last_cap = n;
	}
	if (n)
		memcpy(last_out, d, n);
	last_len = n;
	have_last = 1;
}

/* Before a call: a new round? (A call that returned nothing leaves its input as the
 * last output: libFuzzer then tries again on the same input.) */
static void round_input(const uint8_t *d, size_t n, unsigned seed)
{
	if (have_last && !(n == last_len && memcmp(d, last_out, n) == 0)) {
		if (infer && round_calls < mutate_depth) {
			esc_oplimit_entry(&oplimit);
			if (focus)
				esc_focus_push(focus, last_out, last_len, seed);
		}
		round_calls = 0;
	}
	remember(d, n);
}

static void round_output(const uint8_t *d, size_t n)
{
	if (n) {
		remember(d, n);
		round_calls++;
	}
}

/* libFuzzer turns its length control off when a custom mutator is linked; without any,
 * the corpus fills with long scenarios at once (median 3x the byte-level length on
 * trustgate, where every op signs and checks messages) and execs/s falls with their
 * length (to a fifth there). Its byte-level control (e.g. -len_control=30) held inputs
 * under 21 bytes for the first few thousand execs, too short for most 3-op chains with
 * their strings. The op limit replaces it (esc_oplimit): -len_control=0 unless the
 * command line sets it. Against -len_control=30, 20 seeds, median execs (s) to the
 * escape: procjail landlock-parent-widens 903 (3.0 s) vs 4,641 (8.45 s), trustgate
 * discharge-unbound 11,127 (2.1 s) vs 19,809 (4.15 s). Flags are parsed after this
 * hook. */
static void default_len_control(int *argc, char ***argv)
{
	static char flag[] = "-len_control=0";
	static char *args[256];
	if (!argc || !argv || *argc < 1 || *argc >= (int)(sizeof(args) / sizeof(args[0])) - 1)
		return;
	for (int i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-len_control=", 13) == 0)
			return;
	args[0] = (*argv)[0];
	args[1] = flag;
	for (int i = 1; i < *argc; i++)
		args[i + 1] = (*argv)[i];
	args[++*argc] = NULL;
	*argv = args;
}
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
#ifdef ESC_CUSTOM_MUTATOR
	default_len_control(argc, argv);
	if (argc && argv)
		focus_flags(*argc, *argv);
#else
	(void)argc;
	(void)argv;
#endif
	if (!ready)
		setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const esc_target *targets[2] = { &ESC_FUZZ_TARGET, NULL };
	if (!ready)
		setup();
	/* the forms escapade's loader tells apart (escapade/load.h), told apart the same way,
	 * so triage reads an artifact as the scenario that ran here */
	static const size_t ml = sizeof(ESC_CONTAINER_MAGIC) - 1;
	if (size >= ml && memcmp(data, ESC_CONTAINER_MAGIC, ml) == 0) {
		size_t nl = size > ml ? data[ml] : 0, tl = strlen(ESC_FUZZ_TARGET.name);
		if (size == ml || size - ml - 1 < nl || nl != tl ||
		    memcmp(data + ml + 1, ESC_FUZZ_TARGET.name, tl) != 0)
			return 0; /* a truncated container, or another target's: nothing to run */
		esc_decode(&scn, &ESC_FUZZ_TARGET, data + ml + 1 + nl, size - ml - 1 - nl);
	} else if (esc_looks_like_text(data, size)) {
		if (esc_parse(&scn, targets, (const char *)data, size, NULL, 0))
			return 0; /* not a valid text scenario: nothing to run */
	} else {
		esc_decode(&scn, &ESC_FUZZ_TARGET, data, size);
	}
	esc_verdict v;
	int rc = esc_run(&runner, &scn, &v, NULL); /* validates first: ESC_E_INVALID */
	char why[200];
	if (rc == ESC_E_INVALID && esc_scn_validate(&scn, why, sizeof(why))) {
		fprintf(stderr, "escapade: core bug: invalid scenario after decode: %s\n", why);
		abort();
	}
	if (rc == ESC_E_UNAVAILABLE) {
		fprintf(stderr, "escapade: %s cannot run on this machine\n", ESC_FUZZ_TARGET.name);
		exit(77);
	}
#ifdef ESC_CUSTOM_MUTATOR
	if (rc == 0 && focus) {
		static uint64_t observed;
		esc_focus_observe(focus, &scn, &runner,
				  v.kind == ESC_CONTAINED ? scn.nops : (unsigned)v.step + 1, ++observed);
	}
#endif
	if (rc == 0 && v.kind != ESC_CONTAINED) {
		if (keep_going) {
			escapes++;
		} else {
			esc_verdict_print(&scn, runner.profile, &v, stderr);
			esc_scn_clear_tail(&scn, (unsigned)v.step + 1); /* later ops never ran */
			char *text = esc_print(&scn);
			if (text) {
				fprintf(stderr, "scenario (up to the escape):\n%s", text);
				free(text);
			}
			esc_abort_verdict(v.kind);
		}
	}
	esc_scn_clear(&scn);
	return 0;
}

#ifdef ESC_CUSTOM_MUTATOR
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed);

/* How the calls are shared. libFuzzer calls the custom mutator and the custom cross-over
 * equally often (they are its only two mutations when both are defined): SHARE_CROSS of
 * 8 cross-over calls splice two scenarios; every other call, of either hook, is one of
 * libFuzzer's byte mutations of the whole binary form, the focus's next neighbour (while
 * it has one) or a scenario mutation, in the proportions SHARE_BYTES : SHARE_FOCUS :
 * SHARE_SCN. Of all calls: a quarter each.
 *   Byte mutations: on vm2model's nesting profiles they are worth 10x (vm2-3.11.0, 5
 * seeds: median 2.4 s with half the calls, 25 s without: a byte that turns one op into
 * another keeping its arguments, comparison-guided values); they kept their quarter.
 *   Cross-over had half the calls, the focus an eighth. Half of the cross-over's share
 * given to the focus and to scenario mutations, with the focus deferring neighbours too
 * long for libFuzzer's length limit instead of skipping them, against neither (20 seeds,
 * median execs to the escape): trustgate discharge-unbound 15,420 vs 18,605, procjail
 * landlock-parent-widens 4,466 vs 7,218, dukrealm host-function-ctor 35,786 (17/20
 * escaped within 60 s) vs 72,816 (12/20). */
#define SHARE_CROSS 4
#define SHARE_BYTES 1
#define SHARE_FOCUS 1
#define SHARE_SCN 1

/* One call that is not a cross-over, on data (size bytes, room for max_size), its
 * output held to max_ops ops unless it is the focus's. */
static size_t mutate_one(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
			 unsigned max_ops)
{
	size_t n = 0;
	unsigned q = (seed >> 3) % (SHARE_BYTES + SHARE_FOCUS + SHARE_SCN);
	if (focus && q >= SHARE_BYTES && q < SHARE_BYTES + SHARE_FOCUS && esc_focus_entries(focus)) {
		n = esc_focus_next(focus, data, max_size);
		if (n)
			return n; /* not held to the limit (see esc_oplimit) */
	}
	if (q < SHARE_BYTES)
		n = LLVMFuzzerMutate(data, size, max_size);
	if (!n)
		n = esc_mutate_buffer(&ESC_FUZZ_TARGET, data, size, max_size, seed, LLVMFuzzerMutate);
	return n ? esc_cap_buffer(&ESC_FUZZ_TARGET, data, n, max_size, max_ops, seed) : 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	round_input(data, size, seed);
	size_t n = mutate_one(data, size, max_size, seed, esc_oplimit_call(&oplimit));
	round_output(data, n);
	return n;
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	round_input(d1, s1, seed);
	unsigned max_ops = esc_oplimit_call(&oplimit);
	size_t n;
	if ((seed & 7) < SHARE_CROSS || s1 > max_out) {
		n = esc_crossover_buffer(&ESC_FUZZ_TARGET, d1, s1, d2, s2, out, max_out, seed);
		n = n ? esc_cap_buffer(&ESC_FUZZ_TARGET, out, n, max_out, max_ops, seed) : 0;
	} else {
		memcpy(out, d1, s1);
		n = mutate_one(out, s1, max_out, seed, max_ops);
	}
	round_output(out, n);
	return n;
}
#endif

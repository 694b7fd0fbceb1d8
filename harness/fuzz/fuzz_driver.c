/* Generic fuzz entry point, compiled once per target with -DESC_FUZZ_TARGET=<symbol>.
 * Accepts the binary form (what the engine mutates) and the text form (so a regression
 * file can be handed straight to the fuzz binary). Profile from ESCAPADE_PROFILE (default
 * hardened). On an escape it prints the report and the scenario, then aborts through the
 * function named after the verdict kind so the engine keeps the input.
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

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
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
	if (esc_looks_like_text(data, size)) {
		if (esc_parse(&scn, targets, (const char *)data, size, NULL, 0))
			return 0; /* not a valid text scenario: nothing to run */
	} else {
		esc_decode(&scn, &ESC_FUZZ_TARGET, data, size);
	}
	char why[200];
	if (esc_scn_validate(&scn, why, sizeof(why))) {
		fprintf(stderr, "escapade: core bug: invalid scenario after decode: %s\n", why);
		abort();
	}
	esc_verdict v;
	int rc = esc_run(&runner, &scn, &v, NULL);
	if (rc == ESC_E_UNAVAILABLE) {
		fprintf(stderr, "escapade: %s cannot run on this machine\n", ESC_FUZZ_TARGET.name);
		exit(77);
	}
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

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	/* one time in two, plain byte mutation (with its CMP-guided: it reaches decoder corners the IR never
	 * produces (odd lengths, unresolvable handles) */
	if ((seed & 1) == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	return esc_mutate_buffer(&ESC_FUZZ_TARGET, data, size, max_size, seed, LLVMFuzzerMutate);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	return esc_crossover_buffer(&ESC_FUZZ_TARGET, d1, s1, d2, s2, out, max_out, seed);
}
#endif

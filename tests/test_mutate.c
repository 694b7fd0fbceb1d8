/* Check suite for the structure-aware mutator (harness/src/mutate.c) over the synthetic
 * test_target and every real target of the build: every mutation and every cross-over
 * of a valid scenario is valid and survives the binary form; the mutator is a function
 * of (input, seed); inserts bring the producers their handles need; values are reused
 * across ops; the length bias keeps scenarios short.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/mutate.h"
#include "escapade/run.h"
#include "testtarget.h"

extern const esc_target *const esc_all_targets[];

/* Scenarios are large (ESC_MAX_OPS ops): file-scope, initialized per test. */
static esc_scn sa, sb, sc;

/* Every target under test: the synthetic one first, then the build's real ones. */
static const esc_target *target_at(unsigned i)
{
	return i == 0 ? &test_target : esc_all_targets[i - 1];
}

static unsigned ntargets(void)
{
	unsigned n = 1;
	while (esc_all_targets[n - 1])
		n++;
	return n;
}

/* A valid scenario of t from seed: random bytes through the total decoder. */
static void random_scn(esc_scn *s, const esc_target *t, uint64_t seed, size_t len)
{
	esc_rng r;
	uint8_t buf[512];
	esc_rng_seed(&r, seed);
	if (len > sizeof(buf))
		len = sizeof(buf);
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)esc_rng_next(&r);
	esc_decode(s, t, buf, len);
}

/* s is valid, and encoding then decoding it gives the same ops. */
static void assert_valid_roundtrip(const esc_scn *s, const char *what, uint64_t seed)
{
	char why[200] = "";
	ck_assert_msg(esc_scn_validate(s, why, sizeof(why)) == 0, "%s %s seed %llu: %s",
		      s->target->name, what, (unsigned long long)seed, why);
	ck_assert_uint_le(s->nops, ESC_MAX_OPS);
	static uint8_t enc[ESC_MAX_OPS * (1 + ESC_MAX_ARGS * (2 + ESC_MAX_STR))];
	long n = esc_encode(s, enc, sizeof(enc));
	ck_assert_int_ge(n, 0);
	esc_decode(&sc, s->target, enc, (size_t)n);
	ck_assert_msg(esc_scn_cmp_ops(s, &sc) == 0, "%s %s seed %llu: binary round trip differs",
		      s->target->name, what, (unsigned long long)seed);
}

START_TEST(mutations_stay_valid)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	esc_scn_init(&sc, t);
	unsigned grew = 0, shrank = 0, changed = 0;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		random_scn(&sa, t, seed, 8 + seed * 3);
		esc_rng r;
		esc_rng_seed(&r, seed);
		/* a walk: each step mutates the previous result, as a fuzzer's lineage does */
		for (int step = 0; step < 40; step++) {
			unsigned before = sa.nops;
			int k = esc_mutate(&sa, &r, NULL, NULL);
			ck_assert_int_ge(k, 0);
			changed += k > 0;
			grew += sa.nops > before;
			shrank += sa.nops < before;
			assert_valid_roundtrip(&sa, "mutation", seed);
		}
	}
	/* the strategies do run: the walk both grows and shrinks scenarios */
	ck_assert_uint_gt(changed, 60 * 40 / 2);
	ck_assert_uint_gt(grew, 50);
	ck_assert_uint_gt(shrank, 50);
	esc_scn_clear(&sa);
	esc_scn_clear(&sc);
}
END_TEST

START_TEST(buffer_glue_stays_valid)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	esc_scn_init(&sc, t);
	uint8_t buf[4096];
	for (uint64_t seed = 1; seed <= 300; seed++) {
		size_t max = seed % 3 == 0 ? 24 : sizeof(buf); /* a small cap: ops are trimmed */
		random_scn(&sa, t, seed, 40);
		long n = esc_encode(&sa, buf, max);
		if (n < 0)
			n = 0;
		size_t out = esc_mutate_buffer(t, buf, (size_t)n, max, seed, NULL);
		ck_assert_uint_le(out, max);
		esc_decode(&sb, t, buf, out);
		assert_valid_roundtrip(&sb, "mutate_buffer", seed);
	}
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	esc_scn_clear(&sc);
}
END_TEST

START_TEST(crossover_keeps_handles_in_range)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	esc_scn_init(&sb, t);
	esc_scn_init(&sc, t);
	esc_scn out;
	esc_scn_init(&out, t);
	unsigned longer = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		random_scn(&sa, t, seed, 60);
		random_scn(&sb, t, seed + 1000, 60);
		esc_rng r;
		esc_rng_seed(&r, seed);
		esc_crossover(&out, &sa, &sb, &r);
		/* every handle names an earlier op that produces its kind */
		for (unsigned i = 0; i < out.nops; i++) {
			const esc_op_desc *d = &t->ops[out.ops[i].op];
			for (unsigned j = 0; j < d->nargs; j++) {
				if (d->args[j].kind != ESC_ARG_HANDLE)
					continue;
				int64_t h = out.ops[i].args[j].i;
				ck_assert_int_ge(h, 0);
				ck_assert_int_lt(h, i);
				ck_assert_uint_eq(t->ops[out.ops[h].op].produces, d->args[j].res);
			}
		}
		assert_valid_roundtrip(&out, "crossover", seed);
		longer += out.nops > sa.nops;
	}
	ck_assert_uint_gt(longer, 0); /* b's ops do come along */
	esc_scn_clear(&out);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	esc_scn_clear(&sc);
}
END_TEST

START_TEST(deterministic_for_a_seed)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	uint8_t in[1024], a[1024], b[1024], c[1024], d[1024];
	unsigned differ = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		random_scn(&sa, t, seed, 30);
		long n = esc_encode(&sa, in, sizeof(in));
		ck_assert_int_ge(n, 0);
		memcpy(a, in, (size_t)n);
		memcpy(b, in, (size_t)n);
		size_t na = esc_mutate_buffer(t, a, (size_t)n, sizeof(a), seed, NULL);
		size_t nb = esc_mutate_buffer(t, b, (size_t)n, sizeof(b), seed, NULL);
		ck_assert_uint_eq(na, nb);
		ck_assert_int_eq(memcmp(a, b, na), 0);
		size_t nc = esc_crossover_buffer(t, in, (size_t)n, a, na, c, sizeof(c), seed);
		size_t nd = esc_crossover_buffer(t, in, (size_t)n, a, na, d, sizeof(d), seed);
		ck_assert_uint_eq(nc, nd);
		ck_assert_int_eq(memcmp(c, d, nc), 0);
		/* and another seed gives another result, mostly */
		memcpy(b, in, (size_t)n);
		nb = esc_mutate_buffer(t, b, (size_t)n, sizeof(b), seed + 7919, NULL);
		differ += na != nb || memcmp(a, b, na) != 0;
	}
	ck_assert_uint_gt(differ, 150);
	esc_scn_clear(&sa);
}
END_TEST

/* An insert into an empty scenario of an op that needs handles arrives with producers:
 * `send $sock $fd` comes with a socket and an open (or dup, accept...) before it. */
START_TEST(insert_brings_producers)
{
	const esc_mut_weights only_insert = { .insert = 1 };
	unsigned chains = 0, sends = 0;
	esc_scn_init(&sa, &test_target);
	esc_scn_init(&sc, &test_target);
	for (uint64_t seed = 1; seed <= 400; seed++) {
		esc_scn_clear(&sa);
		esc_rng r;
		esc_rng_seed(&r, seed);
		ck_assert_int_gt(esc_mutate(&sa, &r, &only_insert, NULL), 0);
		assert_valid_roundtrip(&sa, "insert", seed);
		chains += sa.nops > 1;
		for (unsigned i = 0; i < sa.nops; i++)
			sends += sa.ops[i].op == TT_OP_SEND;
	}
	ck_assert_uint_gt(chains, 40);
	ck_assert_uint_gt(sends, 5);
	esc_scn_clear(&sa);
	esc_scn_clear(&sc);
}
END_TEST

/* A string no dictionary holds, once in the scenario, turns up in ops the mutator adds:
 * values are reused across ops (two steps that must agree on a path). */
START_TEST(values_are_reused)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = open \"/zz/unique\"\n";
	const esc_mut_weights only_insert = { .insert = 1 };
	unsigned copies = 0, opens = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		char err[200];
		ck_assert_int_eq(esc_parse(&sa, tl, text, strlen(text), err, sizeof(err)), 0);
		esc_rng r;
		esc_rng_seed(&r, seed);
		esc_mutate(&sa, &r, &only_insert, NULL);
		/* the original may have moved (an insert before it); inserts remove nothing */
		unsigned n = 0;
		for (unsigned i = 0; i < sa.nops; i++) {
			if (sa.ops[i].op != TT_OP_OPEN)
				continue;
			opens++;
			n += strcmp(sa.ops[i].args[0].s, "/zz/unique") == 0;
		}
		ck_assert_uint_ge(n, 1);
		opens--;
		copies += n - 1;
		esc_scn_clear(&sa);
	}
	ck_assert_uint_gt(opens, 20);
	ck_assert_uint_gt(copies, opens / 8);
}
END_TEST

/* Past soft_ops, growth slows: a long walk from an empty scenario stays far below the
 * cap with the defaults, and runs into it without the bias. */
START_TEST(length_bias)
{
	esc_mut_weights flat = esc_mut_defaults;
	flat.soft_ops = 0;
	const esc_mut_weights *w[2] = { &esc_mut_defaults, &flat };
	unsigned long mean[2];
	esc_scn_init(&sc, &test_target);
	for (int k = 0; k < 2; k++) {
		unsigned long sum = 0;
		esc_scn_init(&sa, &test_target);
		esc_rng r;
		esc_rng_seed(&r, 42);
		for (int step = 0; step < 3000; step++) {
			esc_mutate(&sa, &r, w[k], NULL);
			if (step >= 1000)
				sum += sa.nops;
		}
		mean[k] = sum / 2000;
		assert_valid_roundtrip(&sa, "walk", 42);
		esc_scn_clear(&sa);
	}
	ck_assert_uint_lt(mean[0], 36);
	ck_assert_uint_gt(mean[1], 48);
	esc_scn_clear(&sc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mutate");
	TCase *tc = tcase_create("mutate");
	tcase_set_timeout(tc, 120);
	unsigned n = ntargets();
	tcase_add_loop_test(tc, mutations_stay_valid, 0, (int)n);
	tcase_add_loop_test(tc, buffer_glue_stays_valid, 0, (int)n);
	tcase_add_loop_test(tc, crossover_keeps_handles_in_range, 0, (int)n);
	tcase_add_loop_test(tc, deterministic_for_a_seed, 0, (int)n);
	tcase_add_test(tc, insert_brings_producers);
	tcase_add_test(tc, values_are_reused);
	tcase_add_test(tc, length_bias);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

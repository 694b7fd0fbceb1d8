/* Check suite for the structure-aware mutator (harness/src/mutate.c) over the synthetic
 * test_target and every real target of the build: every mutation and every cross-over
 * of a valid scenario is valid and survives the binary form; the mutator is a function
 * of (input, seed); inserts bring the producers their handles need; values are reused
 * across ops; the length bias keeps scenarios short. And the focus on new entries
 * (harness/src/focus.c): every neighbour valid and one step from its entry, the newest
 * producer's consumers first, newest entry first, deterministic.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/focus.h"
#include "escapade/mutate.h"
#include "escapade/run.h"
#include "testtarget.h"
#include "testutil.h"

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
		tu_parse(&sa, tl, text);
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

/* Every neighbour of every entry is valid, survives the binary form and differs from its
 * entry; an entry gives neighbours until it is used up, then leaves the stack. */
START_TEST(focus_neighbours_valid)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	esc_scn_init(&sb, t);
	esc_scn_init(&sc, t);
	esc_focus *f = esc_focus_new(t);
	ck_assert_ptr_nonnull(f);
	unsigned total = 0;
	for (uint64_t seed = 1; seed <= 12; seed++) {
		random_scn(&sa, t, seed, 4 + seed * 4);
		ck_assert_int_eq(esc_focus_push_scn(f, &sa, seed), 0);
		ck_assert_uint_eq(esc_focus_entries(f), 1);
		ck_assert_uint_le(esc_focus_pending(f), ESC_FOCUS_MOVES);
		ck_assert_uint_gt(esc_focus_pending(f), 0);
		unsigned n = 0;
		while (esc_focus_entries(f)) {
			if (esc_focus_next_scn(f, &sb))
				continue;
			assert_valid_roundtrip(&sb, "focus neighbour", seed);
			ck_assert_msg(esc_scn_cmp_ops(&sb, &sa) != 0, "%s seed %llu: a neighbour "
				      "equal to its entry", t->name, (unsigned long long)seed);
			ck_assert_uint_le(++n, ESC_FOCUS_MOVES);
		}
		ck_assert_int_eq(esc_focus_next_scn(f, &sb), -1);
		total += n;
	}
	ck_assert_uint_gt(total, 12 * 8);
	esc_focus_free(f);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

static int consumes(const esc_scn *s, unsigned i, unsigned producer)
{
	const esc_op_desc *d = &s->target->ops[s->ops[i].op];
	for (unsigned j = 0; j < d->nargs; j++)
		if (d->args[j].kind == ESC_ARG_HANDLE && s->ops[i].args[j].i == (int64_t)producer)
			return 1;
	return 0;
}

/* From `$0 = open; $1 = socket`, the ops appended to use the socket and not the fd (the
 * newest result: accept $1, send $1 with a fresh fd) all come before any op appended to
 * use the fd and not the socket (write $0, dup $0, send $0 on a fresh socket): the next
 * link of a chain hangs off its newest result. */
START_TEST(focus_newest_result_first)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = open \"/etc/passwd\"\n$1 = socket\n";
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tu_parse(&sa, tl, text);
		esc_scn_init(&sb, &test_target);
		esc_focus *f = esc_focus_new(&test_target);
		ck_assert_int_eq(esc_focus_push_scn(f, &sa, seed), 0);
		int last_sock = -1, first_fd = -1, accepts = 0;
		for (int k = 0; esc_focus_entries(f); k++) {
			if (esc_focus_next_scn(f, &sb))
				continue;
			unsigned i = sb.nops - 1;
			if (sb.nops <= sa.nops)
				continue; /* an argument changed */
			int sock = consumes(&sb, i, 1), fd = consumes(&sb, i, 0);
			if (sock && !fd) {
				last_sock = k;
				accepts += sb.ops[i].op == TT_OP_ACCEPT;
			} else if (fd && !sock && first_fd < 0) {
				first_fd = k;
			}
		}
		ck_assert_int_ge(last_sock, 0);
		ck_assert_int_ge(first_fd, 0);
		ck_assert_int_gt(accepts, 0);
		ck_assert_msg(last_sock < first_fd, "seed %llu: an fd consumer at %d before a "
			      "socket consumer at %d", (unsigned long long)seed, first_fd, last_sock);
		esc_focus_free(f);
		esc_scn_clear(&sa);
		esc_scn_clear(&sb);
	}
}
END_TEST

/* A string the entry holds and no dictionary does turns up in appended ops: the focus
 * offers an entry's own strings first. */
START_TEST(focus_reuses_strings)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = open \"/zz/unique\"\n$1 = socket\n";
	tu_parse(&sa, tl, text);
	esc_scn_init(&sb, &test_target);
	esc_focus *f = esc_focus_new(&test_target);
	ck_assert_int_eq(esc_focus_push_scn(f, &sa, 5), 0);
	unsigned copies = 0;
	while (esc_focus_entries(f)) {
		if (esc_focus_next_scn(f, &sb))
			continue;
		for (unsigned i = 1; i < sb.nops; i++) {
			const esc_op_desc *d = &test_target.ops[sb.ops[i].op];
			for (unsigned j = 0; j < d->nargs; j++)
				copies += d->args[j].kind == ESC_ARG_STR &&
					  strcmp(sb.ops[i].args[j].s, "/zz/unique") == 0;
		}
	}
	ck_assert_uint_ge(copies, 8); /* 11 with the reuse, 2 (fresh producers') without */
	esc_focus_free(f);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

/* Within the first tier, shapes of moves (an op appended to use the newest result, an
 * argument of the last op changed) take turns, each shape's first move before any shape's
 * second: from `$0 = open; $1 = socket`, the one `accept $1` comes among the first four
 * neighbours (four shapes: accept, send, the port, the family), not anywhere among the
 * first tier's 30-odd moves behind two dozen `send` combinations. */
START_TEST(focus_interleaves_shapes)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = open \"/etc/passwd\"\n$1 = socket\n";
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tu_parse(&sa, tl, text);
		esc_scn_init(&sb, &test_target);
		esc_focus *f = esc_focus_new(&test_target);
		ck_assert_int_eq(esc_focus_push_scn(f, &sa, seed), 0);
		int at = -1;
		for (int k = 0; at < 0 && esc_focus_entries(f);) {
			if (esc_focus_next_scn(f, &sb))
				continue;
			if (sb.nops == 3 && sb.ops[2].op == TT_OP_ACCEPT && consumes(&sb, 2, 1))
				at = k;
			k++;
		}
		ck_assert_msg(at >= 0 && at < 4, "seed %llu: accept $1 came at %d",
			      (unsigned long long)seed, at);
		esc_focus_free(f);
		esc_scn_clear(&sa);
		esc_scn_clear(&sb);
	}
}
END_TEST

/* A producer's copy is a handle choice of an append: from `$0 = socket ...; $1 = open`,
 * `send` gets a socket made exactly like $0 and appended before it (a second token made
 * like the first, in trustgate terms). */
START_TEST(focus_copies_producers)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = socket port=4242 family=unix\n"
				   "$1 = open \"/etc/passwd\"\n";
	tu_parse(&sa, tl, text);
	esc_scn_init(&sb, &test_target);
	esc_focus *f = esc_focus_new(&test_target);
	ck_assert_int_eq(esc_focus_push_scn(f, &sa, 9), 0);
	unsigned copies = 0;
	while (esc_focus_entries(f)) {
		if (esc_focus_next_scn(f, &sb) || sb.nops != 4 || sb.ops[3].op != TT_OP_SEND)
			continue;
		copies += sb.ops[2].op == TT_OP_SOCKET && consumes(&sb, 3, 2) && consumes(&sb, 3, 1) &&
			  memcmp(sb.ops[2].args, sa.ops[0].args, sizeof(sa.ops[0].args)) == 0;
	}
	ck_assert_uint_ge(copies, 3); /* 7; 2 (fresh sockets that happen to match) without */
	esc_focus_free(f);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

/* The newest entry goes first; an entry already stacked is not stacked twice; past
 * ESC_FOCUS_DEPTH the stack keeps its depth. */
START_TEST(focus_stack)
{
	const esc_target *t = &test_target;
	esc_scn_init(&sa, t);
	esc_scn_init(&sb, t);
	esc_scn_init(&sc, t);
	esc_focus *f = esc_focus_new(t);
	random_scn(&sa, t, 7, 24);
	random_scn(&sb, t, 8, 40);
	ck_assert(esc_scn_cmp_ops(&sa, &sb) != 0);
	ck_assert_int_eq(esc_focus_push_scn(f, &sa, 1), 0);
	ck_assert_int_eq(esc_focus_push_scn(f, &sb, 2), 0);
	ck_assert_int_eq(esc_focus_push_scn(f, &sb, 3), 0);
	ck_assert_uint_eq(esc_focus_entries(f), 2);
	ck_assert_int_eq(esc_focus_next_scn(f, &sc), 0);
	/* one step from sb: sb's ops then more (an append), or sb with one argument changed */
	unsigned same = 0;
	for (unsigned i = 0; i < sb.nops && i < sc.nops; i++)
		same += sc.ops[i].op == sb.ops[i].op &&
			memcmp(sc.ops[i].args, sb.ops[i].args, sizeof(sc.ops[i].args)) == 0;
	ck_assert_msg(same == sb.nops || (sc.nops == sb.nops && same == sb.nops - 1),
		      "the first neighbour is not one step from the newest entry");
	for (uint64_t seed = 100; seed < 100 + ESC_FOCUS_DEPTH + 5; seed++) {
		random_scn(&sa, t, seed, 16 + seed % 32);
		ck_assert_int_eq(esc_focus_push_scn(f, &sa, seed), 0);
	}
	ck_assert_uint_eq(esc_focus_entries(f), ESC_FOCUS_DEPTH);
	/* the encoded form: what fits is valid; nothing fits in one byte */
	uint8_t buf[4096];
	size_t n = esc_focus_next(f, buf, sizeof(buf));
	ck_assert_uint_gt(n, 0);
	esc_decode(&sc, t, buf, n);
	assert_valid_roundtrip(&sc, "focus buffer", 0);
	ck_assert_uint_eq(esc_focus_next(f, buf, 1), 0);
	esc_focus_free(f);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	esc_scn_clear(&sc);
}
END_TEST

/* A neighbour too long for the engine's length limit is not lost: it comes back once the
 * limit allows it. One draw through a limit that only the entry's own size passes (the
 * appends do not fit: up to 64 go to the back), then every neighbour without a limit:
 * as many as without the first draw. */
START_TEST(focus_defers_long_neighbours)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = open \"/a\"\n$1 = socket\n";
	uint8_t buf[4096];
	tu_parse(&sa, tl, text);
	long small = esc_encode(&sa, buf, sizeof(buf));
	ck_assert_int_gt(small, 0);
	unsigned count[2] = { 0, 0 };
	for (int limited = 0; limited < 2; limited++) {
		esc_focus *f = esc_focus_new(&test_target);
		ck_assert_int_eq(esc_focus_push_scn(f, &sa, 3), 0);
		if (limited) {
			count[1] += esc_focus_next(f, buf, (size_t)small) > 0;
			ck_assert_uint_eq(esc_focus_entries(f), 1);
		}
		while (esc_focus_next(f, buf, sizeof(buf)) > 0)
			count[limited]++;
		esc_focus_free(f);
	}
	ck_assert_uint_gt(count[0], 64);
	ck_assert_uint_eq(count[1], count[0]);
	esc_scn_clear(&sa);
}
END_TEST

/* The op limit: esc_mut_cap leaves a valid scenario of at most the limit, the same for a
 * seed; the buffer glue leaves an input within the limit byte for byte as it was. */
START_TEST(cap_holds_the_limit)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	esc_scn_init(&sb, t);
	unsigned capped = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		random_scn(&sa, t, seed, 64 + seed % 200);
		unsigned was = sa.nops, lim = (unsigned)(seed % 9);
		ck_assert_int_eq(esc_scn_copy(&sb, &sa), 0);
		esc_rng r1, r2;
		esc_rng_seed(&r1, seed);
		esc_rng_seed(&r2, seed);
		esc_mut_cap(&sa, lim, &r1);
		esc_mut_cap(&sb, lim, &r2);
		assert_valid_roundtrip(&sa, "cap", seed);
		ck_assert_uint_le(sa.nops, lim);
		ck_assert_int_eq(esc_scn_cmp_ops(&sa, &sb), 0);
		capped += was > lim;
	}
	ck_assert_uint_gt(capped, 100);
	/* the buffer glue */
	uint8_t buf[4096], copy[4096];
	random_scn(&sa, t, 7, 300);
	long n = esc_encode(&sa, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	memcpy(copy, buf, (size_t)n);
	ck_assert_uint_eq(esc_cap_buffer(t, buf, (size_t)n, sizeof(buf), sa.nops, 1), (size_t)n);
	ck_assert_int_eq(memcmp(buf, copy, (size_t)n), 0);
	if (sa.nops > 2) {
		size_t m = esc_cap_buffer(t, buf, (size_t)n, sizeof(buf), 2, 1);
		esc_decode(&sb, t, buf, m);
		assert_valid_roundtrip(&sb, "cap buffer", 1);
		ck_assert_uint_le(sb.nops, 2);
	}
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

/* Capping keeps the newest op and its chain: a 5-op scenario whose last op uses the first
 * op's result, capped to 2 ops, is the first and the last, for every seed. */
START_TEST(cap_keeps_the_newest_op)
{
	const esc_target *const tl[] = { &test_target, NULL };
	static const char text[] = "target test\n$0 = open \"/a\"\n$1 = socket\nnop\nnop\n"
				   "write $0 5\n";
	tu_parse(&sa, tl, text);
	ck_assert_uint_eq(sa.nops, 5);
	unsigned last = sa.ops[4].op;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tu_parse(&sb, tl, text);
		esc_rng r;
		esc_rng_seed(&r, seed);
		esc_mut_cap(&sb, 2, &r);
		ck_assert_uint_eq(sb.nops, 2);
		ck_assert_uint_eq(sb.ops[0].op, sa.ops[0].op);
		ck_assert_uint_eq(sb.ops[1].op, last);
		ck_assert_int_eq(sb.ops[1].args[0].i, 0);
		esc_scn_clear(&sb);
	}
	esc_scn_clear(&sa);
}
END_TEST

/* The op limit starts at ESC_OPLIMIT_START, holds while new entries keep coming, grows
 * by one after ESC_OPLIMIT_QUIET x limit quiet calls, and stops at ESC_MAX_OPS. */
START_TEST(oplimit_grows_when_quiet)
{
	esc_oplimit l;
	esc_oplimit_init(&l);
	for (int k = 0; k < 100000; k++) {
		ck_assert_uint_eq(esc_oplimit_call(&l), ESC_OPLIMIT_START);
		if (k % 100 == 0)
			esc_oplimit_entry(&l);
	}
	unsigned long calls = 0;
	while (esc_oplimit_call(&l) == ESC_OPLIMIT_START)
		calls++;
	ck_assert_uint_eq(calls, (unsigned long)ESC_OPLIMIT_QUIET * ESC_OPLIMIT_START - 99);
	ck_assert_uint_eq(esc_oplimit_call(&l), ESC_OPLIMIT_START + 1);
	for (unsigned long k = 0; k < 100000000ul && l.limit < ESC_MAX_OPS; k++)
		esc_oplimit_call(&l);
	ck_assert_uint_eq(l.limit, ESC_MAX_OPS);
	ck_assert_uint_eq(esc_oplimit_call(&l), ESC_MAX_OPS);
}
END_TEST

/* The same pushes and seeds give the same neighbours; another seed another order. */
START_TEST(focus_deterministic)
{
	const esc_target *t = target_at((unsigned)_i);
	esc_scn_init(&sa, t);
	esc_scn_init(&sb, t);
	esc_scn_init(&sc, t);
	esc_focus *f[3] = { esc_focus_new(t), esc_focus_new(t), esc_focus_new(t) };
	for (uint64_t seed = 1; seed <= 3; seed++) {
		random_scn(&sa, t, seed * 11, 30);
		for (int k = 0; k < 3; k++)
			ck_assert_int_eq(esc_focus_push_scn(f[k], &sa, k == 2 ? seed + 99 : seed), 0);
	}
	unsigned differ = 0;
	for (int step = 0; step < 200; step++) {
		int a = esc_focus_next_scn(f[0], &sb), b = esc_focus_next_scn(f[1], &sc);
		ck_assert_int_eq(a, b);
		if (a)
			continue;
		ck_assert_msg(esc_scn_cmp_ops(&sb, &sc) == 0, "%s: neighbour %d differs", t->name,
			      step);
		if (esc_focus_next_scn(f[2], &sc) == 0)
			differ += esc_scn_cmp_ops(&sb, &sc) != 0;
	}
	ck_assert_uint_gt(differ, 0);
	for (int k = 0; k < 3; k++)
		esc_focus_free(f[k]);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
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
	tcase_add_loop_test(tc, focus_neighbours_valid, 0, (int)n);
	tcase_add_test(tc, focus_newest_result_first);
	tcase_add_test(tc, focus_reuses_strings);
	tcase_add_test(tc, focus_copies_producers);
	tcase_add_test(tc, focus_interleaves_shapes);
	tcase_add_test(tc, focus_stack);
	tcase_add_test(tc, focus_defers_long_neighbours);
	tcase_add_loop_test(tc, focus_deterministic, 0, (int)n);
	tcase_add_loop_test(tc, cap_holds_the_limit, 0, (int)n);
	tcase_add_test(tc, cap_keeps_the_newest_op);
	tcase_add_test(tc, oplimit_grows_when_quiet);
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

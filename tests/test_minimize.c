/* Check suite for the scenario minimizer (harness/src/minimize.c), driven by the
 * synthetic test_target (every argument kind) and by vm2model: removal with transitive
 * users, the same-verdict predicate keeping kind and signature (noise around the three
 * hand-minimal vm2 regressions goes, the regression comes back exactly), argument
 * simplification and its order, handles moved to an earlier producer, no candidate tried
 * twice, every candidate valid, determinism, the try budget, errors leaving the input
 * unchanged, comments of kept ops kept.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/load.h"
#include "escapade/minimize.h"
#include "escapade/run.h"
#include "testtarget.h"
#include "testutil.h"
#include "vm2model.h"

#define REGRESSIONS ESC_SOURCE_DIR "/corpora/regressions/vm2model"

static const esc_target *const targets[] = { &test_target, &vm2model_target, NULL };

static esc_scn sa, sb;

static char *print_ops(const esc_scn *s)
{
	esc_scn tmp;
	esc_scn_init(&tmp, s->target);
	ck_assert_int_eq(esc_scn_copy(&tmp, s), 0);
	tmp.nexpect = 0;
	for (unsigned i = 0; i < tmp.nnotes; i++)
		free(tmp.notes[i]);
	tmp.nnotes = 0;
	char *t = esc_print(&tmp);
	esc_scn_clear(&tmp);
	return t;
}

/* ---- predicates ---- */

typedef struct counting {
	esc_min_verdict mv;
	unsigned calls;
	uint64_t seen[4096];
	unsigned nseen;
	int invalid;
	int duplicate;
} counting;

static uint64_t key_of(const esc_scn *s)
{
	static uint8_t buf[1 << 16];
	long n = esc_encode(s, buf, sizeof(buf));
	uint64_t h = 0xcbf29ce484222325ull ^ s->nops;
	for (long i = 0; i < n; i++) {
		h ^= buf[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* same verdict, and bookkeeping: every candidate valid, none twice */
static int counting_pred(const esc_scn *cand, void *arg)
{
	counting *c = arg;
	c->calls++;
	if (esc_scn_validate(cand, NULL, 0))
		c->invalid++;
	uint64_t k = key_of(cand);
	for (unsigned i = 0; i < c->nseen; i++)
		if (c->seen[i] == k)
			c->duplicate++;
	if (c->nseen < 4096)
		c->seen[c->nseen++] = k;
	return esc_min_same_verdict(cand, &c->mv);
}

/* kind only (lets the minimizer simplify the slice's arguments too) */
typedef struct kind_only {
	esc_runner *r;
	esc_verdict_kind kind;
	unsigned min_opens; /* also demand at least this many open ops */
	int no_empty;       /* and refuse an open of "" */
} kind_only;

static int kind_pred(const esc_scn *cand, void *arg)
{
	kind_only *k = arg;
	unsigned opens = 0;
	for (unsigned i = 0; i < cand->nops; i++) {
		opens += cand->ops[i].op == TT_OP_OPEN;
		if (k->no_empty && cand->ops[i].op == TT_OP_OPEN && !cand->ops[i].args[0].s[0])
			return 0;
	}
	if (opens < k->min_opens)
		return 0;
	esc_verdict v;
	int rc = esc_run(k->r, cand, &v, NULL);
	return rc ? rc : v.kind == k->kind;
}

static int failing_pred(const esc_scn *cand, void *arg)
{
	(void)cand;
	unsigned *n = arg;
	return ++*n >= 3 ? ESC_E_IO : 1;
}

static esc_verdict run_ok(esc_runner *r, const esc_scn *s)
{
	esc_verdict v;
	ck_assert_int_eq(esc_run(r, s, &v, NULL), 0);
	return v;
}

/* ---- tests ---- */

START_TEST(remove_drops_transitive_users)
{
	tu_parse(&sa, targets,
		 "target test\n"
		 "$0 = open \"/tmp/x\"\n"
		 "$1 = dup $0\n"
		 "     nop\n"
		 "$2 = socket port=7\n"
		 "     write $1 42\n"
		 "     send $2 $0\n"
		 "$3 = accept $2\n"
		 "     send $3 $1\n");
	uint8_t drop[ESC_MAX_OPS] = { 0 };
	drop[0] = 1; /* open: dup, write and both sends go with it */
	ck_assert_uint_eq(esc_min_remove_ops(&sa, drop), 5);
	ck_assert_uint_eq(sa.nops, 3);
	ck_assert_int_eq(esc_scn_validate(&sa, NULL, 0), 0);
	char *t = print_ops(&sa);
	ck_assert_str_eq(t, "# escapade scenario\ntarget test\n\n"
			    "     nop\n$0 = socket port=7\n     accept $0\n");
	free(t);
	esc_scn_clear(&sa);
}
END_TEST

/* The three hand-minimal escapes with noise around and between their ops come back
 * exactly as the regression, same kind and signature, never longer (the "must show"). */
START_TEST(noise_goes_regression_stays)
{
	static const char *const files[] = {
		REGRESSIONS "/GHSA-8hg8-63c5-gwmx.scn",
		REGRESSIONS "/GHSA-8hr7-r645-pc6w.scn",
		REGRESSIONS "/nesting-hatch.scn",
	};
	static const char *const noise[] = {
		("$n1 = vm.new require=object builtin=fs\n$n2 = vm.require $n1 \"fs\"\n"
		 "     fs.write $n2 \"/tmp/escapade-canary\"\n"),
		"     vm.new nesting=false require=null\n",
		"$n3 = vm.new require=object builtin=path\n     vm.require $n3 \"child_process\"\n",
	};
	esc_scn *hand = &sb;
	tu_load(hand, targets, files[_i]);
	char *ops = print_ops(hand);
	const char *body = strstr(ops, "\n\n") + 2;
	/* noise before, between the 2nd and 3rd op, and after */
	char text[4096];
	const char *third = body;
	for (int k = 0; k < 2; k++)
		third = strchr(third, '\n') + 1;
	snprintf(text, sizeof(text), "target vm2model\n%s%.*s%s%s%s", noise[0],
		 (int)(third - body), body, noise[1], third, noise[2]);
	free(ops);
	tu_parse(&sa, targets, text);
	ck_assert_uint_gt(sa.nops, hand->nops);
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &vm2model_target, VM2_3_11_0), 0);
	esc_verdict v0 = run_ok(&r, &sa), vh = run_ok(&r, hand);
	ck_assert_int_eq(v0.kind, ESC_PRIVILEGE_AMPLIFICATION);
	ck_assert(v0.signature == vh.signature);
	static counting c;
	memset(&c, 0, sizeof(c));
	c.mv = (esc_min_verdict){ .runner = &r, .kind = v0.kind, .signature = v0.signature };
	esc_min_opts o = { .pred = counting_pred, .pred_arg = &c, .step = v0.step };
	esc_min_stats st;
	ck_assert_int_eq(esc_min_run(&sa, &o, &st), 0);
	ck_assert_int_eq(c.invalid, 0);
	ck_assert_int_eq(c.duplicate, 0);
	ck_assert_uint_eq(st.tries, c.calls);
	ck_assert_uint_le(sa.nops, hand->nops);
	ck_assert_int_eq(esc_scn_cmp_ops(&sa, hand), 0);
	esc_verdict v1 = run_ok(&r, &sa);
	ck_assert_int_eq(v1.kind, v0.kind);
	ck_assert(v1.signature == v0.signature);
	ck_assert(c.mv.last.signature == v0.signature);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
	esc_scn_clear(hand);
}
END_TEST

/* Every kept escape minimizes to no more ops than it has, under every profile it escapes
 * on, and deterministically. */
START_TEST(regressions_do_not_grow_and_are_stable)
{
	static const char *const files[] = {
		REGRESSIONS "/GHSA-8hg8-63c5-gwmx.scn",
		REGRESSIONS "/GHSA-8hr7-r645-pc6w.scn",
		REGRESSIONS "/GHSA-m4wx-m65x-ghrr.scn",
		REGRESSIONS "/GHSA-m4wx-m65x-ghrr-truthy-nesting.scn",
		REGRESSIONS "/nesting-hatch.scn",
	};
	for (unsigned f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		tu_load(&sb, targets, files[f]);
		for (unsigned x = 0; x < sb.nexpect; x++) {
			if (sb.expect[x].kind == ESC_CONTAINED)
				continue;
			esc_runner r;
			ck_assert_int_eq(esc_runner_init(&r, sb.target, sb.expect[x].profile), 0);
			esc_verdict v = run_ok(&r, &sb);
			uint64_t keys[2];
			for (int rep = 0; rep < 2; rep++) {
				esc_scn_init(&sa, sb.target);
				ck_assert_int_eq(esc_scn_copy(&sa, &sb), 0);
				esc_min_verdict mv = { .runner = &r, .kind = v.kind, .signature = v.signature };
				esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv, .step = v.step };
				ck_assert_int_eq(esc_min_run(&sa, &o, NULL), 0);
				ck_assert_uint_le(sa.nops, sb.nops);
				keys[rep] = key_of(&sa);
				esc_scn_clear(&sa);
			}
			ck_assert_msg(keys[0] == keys[1], "%s: not deterministic", files[f]);
			esc_runner_fini(&r);
		}
		esc_scn_clear(&sb);
	}
}
END_TEST

/* With a predicate on the kind only, arguments go to their simplest values: string ->
 * "", enum -> first value, int -> 0 (or min), unrelated ops gone. */
START_TEST(arguments_simplified)
{
	tu_parse(&sa, targets,
		 "target test\n"
		 "$0 = open \"hello world\" mode=append\n"
		 "$1 = socket port=8080 family=unix\n"
		 "     mix 5 beta wide=7 half=-9 label=\"x\"\n"
		 "     send $1 $0 data=\"/tmp/x\"\n"
		 "     write $0 42 off=1000\n"
		 "     nop\n");
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	kind_only k = { &r, ESC_POLICY_BYPASS, 0, 0 };
	esc_min_opts o = { .pred = kind_pred, .pred_arg = &k, .step = -1 };
	ck_assert_int_eq(esc_min_run(&sa, &o, NULL), 0);
	char *t = print_ops(&sa);
	ck_assert_str_eq(t, "# escapade scenario\ntarget test\n\n"
			    "$0 = open  \"\"\n     write $0 42\n");
	free(t);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
}
END_TEST

/* A string not in the dictionary goes to "" when it can; when "" does not do (the
 * predicate needs two opens, and dict strings rank before others), to a dictionary
 * entry, an earlier one first. A handle moves to an earlier producer of its kind. */
START_TEST(handles_move_to_earlier_producers)
{
	tu_parse(&sa, targets,
		 "target test\n"
		 "$0 = open \"a\"\n"
		 "     nop\n"
		 "$1 = open \"hello world\"\n"
		 "     write $1 42\n");
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	kind_only k = { &r, ESC_POLICY_BYPASS, 2, 1 };
	esc_min_opts o = { .pred = kind_pred, .pred_arg = &k, .step = 3 };
	ck_assert_int_eq(esc_min_run(&sa, &o, NULL), 0);
	char *t = print_ops(&sa);
	ck_assert_str_eq(t, "# escapade scenario\ntarget test\n\n"
			    "$0 = open  \"" TT_DICT0 "\"\n     open  \"" TT_DICT0 "\"\n"
			    "     write $0 42\n");
	free(t);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(tail_after_violation_dropped_first)
{
	tu_parse(&sa, targets,
		 "target test\n"
		 "$0 = open \"/tmp/x\"\n"
		 "     write $0 42\n"
		 "     nop\n     nop\n     nop\n     nop\n");
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	esc_verdict v = run_ok(&r, &sa);
	ck_assert_int_eq(v.step, 1);
	esc_min_verdict mv = { .runner = &r, .kind = v.kind, .signature = v.signature };
	/* one try for the input, one for the tail: nothing else is needed */
	esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv, .step = v.step,
			   .max_tries = 2 };
	esc_min_stats st;
	ck_assert_int_eq(esc_min_run(&sa, &o, &st), 0);
	ck_assert_uint_eq(st.tries, 2);
	ck_assert_uint_eq(sa.nops, 2);
	ck_assert_uint_eq(st.nops_start, 6);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(budget_is_respected)
{
	tu_load(&sa, targets, REGRESSIONS "/exec-within-grants.scn");
	/* an escape with 6 ops of noise after a privilege amplification */
	tu_parse(&sb, targets,
		 "target vm2model\n"
		 "$0 = vm.new nesting=true require=array\n"
		 "     vm.new\n     vm.new\n     vm.new\n"
		 "$1 = vm.require $0 \"vm2\"\n"
		 "     vm.new\n     vm.new\n"
		 "$2 = vm.construct $1 NodeVM require=object builtin=child_process\n"
		 "     vm.require $2 \"child_process\"\n");
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &vm2model_target, VM2_3_11_4), 0);
	esc_verdict v = run_ok(&r, &sb);
	esc_min_verdict mv = { .runner = &r, .kind = v.kind, .signature = v.signature };
	esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv, .step = v.step,
			   .max_tries = 4 };
	esc_min_stats st;
	ck_assert_int_eq(esc_min_run(&sb, &o, &st), 0);
	ck_assert_uint_le(st.tries, 4);
	esc_verdict v2 = run_ok(&r, &sb);
	ck_assert(v2.signature == v.signature);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

START_TEST(errors_leave_input_unchanged)
{
	tu_parse(&sa, targets,
		 "target test\n$0 = open \"/tmp/x\"\n     nop\n     write $0 42\n     nop\n");
	esc_scn_init(&sb, sa.target);
	ck_assert_int_eq(esc_scn_copy(&sb, &sa), 0);
	/* the input lacks the property */
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_LAX), 0);
	esc_min_verdict mv = { .runner = &r, .kind = ESC_POLICY_BYPASS, .signature = 1 };
	esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv, .step = -1 };
	ck_assert_int_eq(esc_min_run(&sa, &o, NULL), ESC_E_INVALID);
	ck_assert_int_eq(esc_scn_cmp(&sa, &sb), 0);
	/* the predicate fails on its third call */
	unsigned n = 0;
	esc_min_opts o2 = { .pred = failing_pred, .pred_arg = &n, .step = -1 };
	ck_assert_int_eq(esc_min_run(&sa, &o2, NULL), ESC_E_IO);
	ck_assert_int_eq(esc_scn_cmp(&sa, &sb), 0);
	/* no predicate */
	esc_min_opts o3 = { .pred = NULL };
	ck_assert_int_eq(esc_min_run(&sa, &o3, NULL), ESC_E_INVALID);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

START_TEST(comments_and_notes_of_kept_ops_survive)
{
	tu_parse(&sa, targets,
		 "# head comment\ntarget test\nnote a note\n"
		 "# about the open\n$0 = open \"/tmp/x\"\n"
		 "# about the nop\n     nop\n"
		 "# about the write\n     write $0 42\n# trailer\n");
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	esc_verdict v = run_ok(&r, &sa);
	esc_min_verdict mv = { .runner = &r, .kind = v.kind, .signature = v.signature };
	esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv, .step = v.step };
	ck_assert_int_eq(esc_min_run(&sa, &o, NULL), 0);
	char *t = esc_print(&sa);
	ck_assert_str_eq(t, "# escapade scenario\n# head comment\ntarget test\nnote a note\n\n"
			    "# about the open\n$0 = open  \"/tmp/x\"\n"
			    "# about the write\n     write $0 42\n# trailer\n");
	free(t);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
}
END_TEST

/* Progress is reported after every predicate call, with growing counts. */
typedef struct prog {
	unsigned calls, last_tries;
	int monotonic;
} prog;

static void on_progress(const esc_min_stats *st, void *arg)
{
	prog *p = arg;
	p->calls++;
	if (st->tries < p->last_tries)
		p->monotonic = 0;
	p->last_tries = st->tries;
}

START_TEST(progress_reported)
{
	tu_parse(&sa, targets,
		 "target test\n$0 = open \"/tmp/x\"\n     nop\n     nop\n     write $0 42\n");
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	esc_verdict v = run_ok(&r, &sa);
	esc_min_verdict mv = { .runner = &r, .kind = v.kind, .signature = v.signature };
	prog p = { 0, 0, 1 };
	esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv, .step = v.step,
			   .progress = on_progress, .progress_arg = &p };
	esc_min_stats st;
	ck_assert_int_eq(esc_min_run(&sa, &o, &st), 0);
	ck_assert_uint_eq(p.calls, st.tries);
	ck_assert(p.monotonic);
	ck_assert_str_eq(st.phase, "done");
	ck_assert_uint_eq(st.nops, 2);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
}
END_TEST

static Suite *minimize_suite(void)
{
	Suite *s = suite_create("minimize");
	TCase *tc = tcase_create("minimize");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, remove_drops_transitive_users);
	tcase_add_loop_test(tc, noise_goes_regression_stays, 0, 3);
	tcase_add_test(tc, regressions_do_not_grow_and_are_stable);
	tcase_add_test(tc, arguments_simplified);
	tcase_add_test(tc, handles_move_to_earlier_producers);
	tcase_add_test(tc, tail_after_violation_dropped_first);
	tcase_add_test(tc, budget_is_respected);
	tcase_add_test(tc, errors_leave_input_unchanged);
	tcase_add_test(tc, comments_and_notes_of_kept_ops_survive);
	tcase_add_test(tc, progress_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(minimize_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

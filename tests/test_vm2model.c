/* Check suites for the vm2model target's nesting half: vm2_guard and vm2_normalize
 * against a table derived independently from the advisories (every require shape x
 * nesting value x release), every other profile applying its release's guard, the
 * regression corpus replayed per profile, and the oracle's must-flag cases. The membrane
 * half has its own suite (test_vm2membrane.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/run.h"
#include "testutil.h"
#include "vm2model.h"

#ifndef ESC_SOURCE_DIR
#error "tests/CMakeLists.txt must define ESC_SOURCE_DIR"
#endif
#define REGRESSIONS ESC_SOURCE_DIR "/corpora/regressions/vm2model"

static const esc_target *const targets[] = { &vm2model_target, NULL };
static esc_scn scn;

/* ---- JavaScript facts, from vm2-escape-classes.md ("Nesting") ----
 * Each require shape: is it falsy; is typeof x === 'object' && x !== null; is it a plain
 * object (prototype Object.prototype or null); is it a Resolver instance. */
static const struct js_value {
	unsigned char falsy, object, plain, resolver;
} js_require[SH_NSHAPES] = {
	[SH_UNDEFINED] = { 1, 0, 0, 0 },     [SH_FALSE] = { 1, 0, 0, 0 },
	[SH_NULL] = { 1, 0, 0, 0 },          [SH_TRUE] = { 0, 0, 0, 0 },
	[SH_NUMBER] = { 0, 0, 0, 0 },        [SH_ZERO] = { 1, 0, 0, 0 },
	[SH_STRING] = { 0, 0, 0, 0 },        [SH_EMPTY_STRING] = { 1, 0, 0, 0 },
	[SH_SYMBOL] = { 0, 0, 0, 0 },        [SH_FUNCTION] = { 0, 0, 0, 0 },
	[SH_ARRAY] = { 0, 1, 0, 0 },         [SH_DATE] = { 0, 1, 0, 0 },
	[SH_MAP] = { 0, 1, 0, 0 },           [SH_BOXED] = { 0, 1, 0, 0 },
	[SH_OBJECT] = { 0, 1, 1, 0 },        [SH_NULL_PROTO] = { 0, 1, 1, 0 },
	[SH_RESOLVER] = { 0, 1, 0, 1 },
};

/* truthy nesting values: true, 1, 'x', {} */
static const unsigned char js_nest_truthy[NE_NVALUES] = {
	[NE_TRUE] = 1, [NE_ONE] = 1, [NE_STRING] = 1, [NE_OBJECT] = 1,
};

/* ---- guard: expected outcome, written out by hand ----
 * One string per (shape, profile), one character per nesting value in enum vm2_nest
 * order (undefined false true null zero one string empty-string object): 'X' the
 * constructor throws, '.' it accepts. */
#define ACCEPT "........."
#define NESTED "..X..XX.X" /* throws whenever nesting is truthy */
#define RAWTRU "..X......" /* throws only for nesting === true */

static const char *const guard_table[SH_NSHAPES][VM2_NRELEASES] = {
	/*                  hardened 3.11.0  3.11.1  3.11.4  3.11.7 */
	[SH_UNDEFINED] =    { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_FALSE] =        { NESTED, ACCEPT, RAWTRU, NESTED, NESTED },
	[SH_NULL] =         { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_TRUE] =         { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_NUMBER] =       { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_ZERO] =         { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_STRING] =       { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_EMPTY_STRING] = { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_SYMBOL] =       { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_FUNCTION] =     { NESTED, ACCEPT, ACCEPT, NESTED, NESTED },
	[SH_ARRAY] =        { NESTED, ACCEPT, ACCEPT, ACCEPT, NESTED },
	[SH_DATE] =         { NESTED, ACCEPT, ACCEPT, ACCEPT, NESTED },
	[SH_MAP] =          { NESTED, ACCEPT, ACCEPT, ACCEPT, NESTED },
	[SH_BOXED] =        { NESTED, ACCEPT, ACCEPT, ACCEPT, NESTED },
	[SH_OBJECT] =       { ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT },
	[SH_NULL_PROTO] =   { ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT },
	[SH_RESOLVER] =     { ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT },
};

/* The same guard from the rules, as a cross-check of the hand-written table. */
static int rule_guard(unsigned profile, unsigned rq, unsigned nest)
{
	/* {require: requireOpts = false}: the default replaces undefined only */
	const struct js_value *d = &js_require[rq == SH_UNDEFINED ? SH_FALSE : rq];
	int on = js_nest_truthy[nest];
	switch (profile) {
	case VM2_3_11_0:
		return 0;
	case VM2_3_11_1: /* raw options: nesting === true && require === false */
		return nest == NE_TRUE && rq == SH_FALSE ? -1 : 0;
	case VM2_3_11_4:
		return on && !(d->resolver || d->object) ? -1 : 0;
	default: /* 3.11.7, hardened */
		return on && !(d->resolver || d->plain) ? -1 : 0;
	}
}

/* ---- normalize: a reference written from the rules, not from vm2model.c ----
 * Returns -1 when the release refuses in normalize, else 0 with the resolver's caps. */
static int expected_resolver(unsigned profile, unsigned rq, unsigned nest, unsigned builtin,
			     unsigned *caps)
{
	const struct js_value *r = &js_require[rq];
	unsigned nesting_grant = js_nest_truthy[nest] ? CAP_VM2 : 0;
	int checks_plain = profile == VM2_3_11_7 || profile == VM2_HARDENED;
	if (checks_plain && nesting_grant && !(r->plain || r->resolver))
		return -1;
	if (r->resolver)
		*caps = builtin; /* used as given, vm2 not added */
	else if (r->falsy)
		*caps = nesting_grant;
	else if (r->plain)
		*caps = builtin | nesting_grant;
	else
		*caps = nesting_grant; /* truthy but no config fields */
	return 0;
}

static const unsigned builtin_sets[] = {
	0, CAP_FS, CAP_CHILD_PROCESS | CAP_FS,
	CAP_CHILD_PROCESS | CAP_FS | CAP_PATH | CAP_OS, CAP_VM2 | CAP_OS,
};

START_TEST(js_truthiness)
{
	for (unsigned s = 0; s < SH_NSHAPES; s++)
		ck_assert_msg(vm2_shape_truthy((enum vm2_shape)s) == !js_require[s].falsy,
			      "shape %u", s);
	for (unsigned n = 0; n < NE_NVALUES; n++)
		ck_assert_msg(vm2_nest_truthy((enum vm2_nest)n) == js_nest_truthy[n], "nest %u", n);
}
END_TEST

/* One iteration per profile: every shape x nesting value. */
START_TEST(guard_every_shape)
{
	unsigned p = (unsigned)_i, throws = 0;
	for (unsigned s = 0; s < SH_NSHAPES; s++) {
		ck_assert_uint_eq(strlen(guard_table[s][p]), NE_NVALUES);
		for (unsigned n = 0; n < NE_NVALUES; n++) {
			int want = guard_table[s][p][n] == 'X' ? -1 : 0;
			ck_assert_msg(rule_guard(p, s, n) == want, "table and rules disagree: %u %u %u",
				      p, s, n);
			const char *why = NULL;
			int got = vm2_guard(p, (enum vm2_shape)s, (enum vm2_nest)n, &why);
			ck_assert_msg(got == want, "%s: guard(require #%u, nesting #%u) = %d, want %d",
				      vm2model_target.profiles[p], s, n, got, want);
			ck_assert_ptr_nonnull(why);
			ck_assert_int_eq(vm2_guard(p, (enum vm2_shape)s, (enum vm2_nest)n, NULL), want);
			throws += want != 0;
		}
	}
	/* 4 truthy nesting values x 14 non-plain shapes on the strict releases */
	static const unsigned nthrows[VM2_NRELEASES] = {
		[VM2_HARDENED] = 56, [VM2_3_11_0] = 0, [VM2_3_11_1] = 1, [VM2_3_11_4] = 40,
		[VM2_3_11_7] = 56,
	};
	ck_assert_uint_eq(throws, nthrows[p]);
}
END_TEST

START_TEST(normalize_every_shape)
{
	unsigned p = (unsigned)_i;
	for (unsigned b = 0; b < sizeof(builtin_sets) / sizeof(builtin_sets[0]); b++)
		for (unsigned s = 0; s < SH_NSHAPES; s++)
			for (unsigned n = 0; n < NE_NVALUES; n++) {
				unsigned want_caps = 0xdead, caps = 0xbeef;
				int want = expected_resolver(p, s, n, builtin_sets[b], &want_caps);
				const char *why = NULL;
				int got = vm2_normalize(p, (enum vm2_shape)s, (enum vm2_nest)n,
							builtin_sets[b], &caps, &why);
				ck_assert_msg(got == want, "%s: normalize(require #%u, nesting #%u) = %d",
					      vm2model_target.profiles[p], s, n, got);
				ck_assert_ptr_nonnull(why);
				if (want == 0)
					ck_assert_msg(caps == want_caps,
						      "%s: require #%u nesting #%u builtin %#x: caps %#x, want %#x",
						      vm2model_target.profiles[p], s, n, builtin_sets[b], caps,
						      want_caps);
			}
}
END_TEST

/* The advisories, spelled out. */
START_TEST(advisory_cases)
{
	static const struct {
		enum vm2_shape rq;
		const char *passes; /* per release in enum order: hardened .0 .1 .4 .7 */
	} cases[] = {
		{ SH_FALSE, ".X..." },     /* GHSA-8hg8-63c5-gwmx: only 3.11.0 accepts */
		{ SH_UNDEFINED, ".XX.." }, /* GHSA-m4wx-m65x-ghrr: 3.11.1 checked the raw value */
		{ SH_ARRAY, ".XXX." },     /* GHSA-8hr7-r645-pc6w: 3.11.4 took any object */
		{ SH_OBJECT, "XXXXX" },    /* the documented escape hatch: accepted everywhere */
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		for (unsigned p = 0; p < VM2_NRELEASES; p++) {
			int pass = cases[k].passes[p] == 'X';
			ck_assert_msg((vm2_guard(p, cases[k].rq, NE_TRUE, NULL) == 0) == pass,
				      "case %u on %s", k, vm2model_target.profiles[p]);
		}
	/* what a passing {nesting: true, require: ...} gets from normalize */
	unsigned caps = 0;
	ck_assert_int_eq(vm2_normalize(VM2_3_11_0, SH_FALSE, NE_TRUE, CAP_FS, &caps, NULL), 0);
	ck_assert_uint_eq(caps, CAP_VM2); /* the "no require" sandbox can nest */
	ck_assert_int_eq(vm2_normalize(VM2_3_11_4, SH_ARRAY, NE_TRUE, CAP_FS, &caps, NULL), 0);
	ck_assert_uint_eq(caps, CAP_VM2); /* an array has no builtin field */
	ck_assert_int_eq(vm2_normalize(VM2_3_11_7, SH_ARRAY, NE_TRUE, CAP_FS, &caps, NULL), -1);
	ck_assert_int_eq(vm2_normalize(VM2_3_11_7, SH_OBJECT, NE_TRUE, CAP_FS, &caps, NULL), 0);
	ck_assert_uint_eq(caps, CAP_FS | CAP_VM2);
	ck_assert_int_eq(vm2_normalize(VM2_HARDENED, SH_RESOLVER, NE_ONE, CAP_OS, &caps, NULL), 0);
	ck_assert_uint_eq(caps, CAP_OS);
	/* the embedder's reference: config fields only from config objects */
	ck_assert_uint_eq(vm2_reference(SH_OBJECT, NE_TRUE, CAP_FS), CAP_FS | CAP_VM2);
	ck_assert_uint_eq(vm2_reference(SH_ARRAY, NE_FALSE, CAP_FS), 0);
	ck_assert_uint_eq(vm2_builtin_caps(0), 0);
}
END_TEST

/* ---- the corpus and the oracle ---- */

START_TEST(regressions_per_profile)
{
	unsigned files = 0, checked = 0, escapes = 0, hatch = 0;
	tu_scn_dir it;
	for (tu_scn_open(&it, REGRESSIONS); tu_scn_next(&it);) {
		tu_load(&scn, targets, it.path);
		files++;
		hatch += strcmp(it.name, "nesting-hatch.scn") == 0;
		ck_assert_msg(scn.nexpect > 0, "%s has no expectation", it.path);
		for (unsigned p = 0; p < VM2_NPROFILES; p++) {
			int x = esc_scn_find_expect(&scn, p);
			if (x < 0)
				continue;
			esc_verdict v = tu_expect(&scn, p, scn.expect[x].kind, it.path);
			if (v.kind != ESC_CONTAINED) {
				escapes++;
				ck_assert_int_ge(v.step, 0);
				ck_assert_int_lt(v.step, (int)scn.nops);
				ck_assert(v.signature == esc_signature(&scn, v.kind, (unsigned)v.step));
			} else {
				ck_assert_int_eq(v.step, -1);
			}
			checked++;
		}
		esc_scn_clear(&scn);
	}
	ck_assert_uint_ge(files, 6 + VM2_NPROFILES - VM2_NRELEASES - 4);
	ck_assert_uint_eq(hatch, 1);
	ck_assert_uint_ge(checked, files);
	ck_assert_uint_gt(escapes, 0);
}
END_TEST

/* A deliberately escaping case: the harness passes only if the oracle reports it. */
START_TEST(oracle_must_flag_nesting_hatch)
{
	tu_load(&scn, targets, REGRESSIONS "/nesting-hatch.scn");
	esc_verdict v = tu_run(&scn, VM2_3_11_7);
	ck_assert_int_eq(v.kind, ESC_PRIVILEGE_AMPLIFICATION);
	ck_assert_int_eq(v.step, 3);
	ck_assert_str_eq(v.chain, "host > vm#1 > vm#2");
	ck_assert_str_eq(v.actual, "{child_process}");
	ck_assert_str_eq(v.expected, "{}");
	esc_verdict again = tu_run(&scn, VM2_3_11_7);
	ck_assert(again.signature == v.signature);
	tu_expect(&scn, VM2_HARDENED, ESC_CONTAINED, "nesting-hatch");
	esc_scn_clear(&scn);

	/* a Resolver is used as given: no vm2 is added, so no release lets it nest */
	static const char root[] = "target vm2model\n"
				   "$0 = vm.new nesting=true require=resolver builtin=fs\n"
				   "$1 = vm.require $0 \"fs\"\n"
				   "$2 = vm.require $0 \"vm2\"\n";
	tu_parse(&scn, targets, root);
	for (unsigned p = 0; p < VM2_NPROFILES; p++) /* a Resolver gets no vm2: require fails */
		tu_expect(&scn, p, ESC_CONTAINED, "a Resolver as require");
	esc_scn_clear(&scn);
}
END_TEST

/* hardened bounds a nested VM by its parent: builtin=all under a {vm2} parent. */
START_TEST(hardened_clamps_children)
{
	static const char text[] = "target vm2model\n"
				   "$0 = vm.new nesting=true require=object\n"
				   "$1 = vm.require $0 \"vm2\"\n"
				   "$2 = vm.construct $1 NodeVM nesting=true require=object builtin=all\n"
				   "$3 = vm.require $2 \"vm2\"\n"
				   "$4 = vm.require $2 \"child_process\"\n"
				   "     host.exec $4 \"id\"\n";
	tu_parse(&scn, targets, text);

	esc_runner r;
	esc_verdict v = tu_run_on(&scn, VM2_HARDENED, NULL, &r);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ck_assert_int_eq(r.status[2], ESC_STEP_OK);      /* the child is built ... */
	ck_assert_int_eq(r.status[3], ESC_STEP_OK);      /* ... keeps vm2, its parent has it */
	ck_assert_int_eq(r.status[4], ESC_STEP_FAILED);  /* ... but not child_process */
	ck_assert_int_eq(r.status[5], ESC_STEP_SKIPPED);
	esc_runner_fini(&r);

	v = tu_run_on(&scn, VM2_3_11_7, NULL, &r);
	ck_assert_int_eq(v.kind, ESC_PRIVILEGE_AMPLIFICATION);
	ck_assert_int_eq(v.step, 4);
	ck_assert_str_eq(v.chain, "host > vm#1 > vm#2");
	ck_assert_int_eq(r.status[4], ESC_STEP_OK);
	esc_runner_fini(&r);
	esc_scn_clear(&scn);
}
END_TEST

/* Every other profile applies the guard and normalize of its release: the per-class
 * profiles hardened's, the "-all" ones the release they are named after. */
START_TEST(profiles_apply_their_release)
{
	static const struct {
		unsigned profile, release;
	} groups[] = {
		{ VM2_R_3_10_0, VM2_3_11_0 }, { VM2_R_3_11_1, VM2_3_11_1 },
		{ VM2_R_3_11_4, VM2_3_11_4 }, { VM2_R_3_11_7, VM2_3_11_7 },
	};
	for (unsigned p = 0; p < VM2_NPROFILES; p++) {
		unsigned rel = p < VM2_NRELEASES ? p : VM2_HARDENED;
		for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			if (groups[g].profile == p)
				rel = groups[g].release;
		ck_assert_uint_eq(vm2_guard_level(p), rel);
		/* only hardened and the per-class profiles bound nested grants */
		ck_assert_int_eq(vm2_clamps_children(p), rel == VM2_HARDENED);
		for (unsigned sh = 0; sh < SH_NSHAPES; sh++)
			for (unsigned n = 0; n < NE_NVALUES; n++) {
				unsigned a = 1, b = 2;
				ck_assert_int_eq(vm2_guard(p, sh, n, NULL), vm2_guard(rel, sh, n, NULL));
				ck_assert_int_eq(vm2_normalize(p, sh, n, CAP_FS, &a, NULL),
						 vm2_normalize(rel, sh, n, CAP_FS, &b, NULL));
				ck_assert_uint_eq(a, b);
			}
		/* the nesting releases keep every membrane defence on */
		if (p < VM2_NRELEASES)
			ck_assert_uint_eq(vm2_defences(p), D_ALL);
	}
	/* builtins: '*' minus child_process lists every safe builtin and denies one */
	ck_assert_uint_eq(vm2_builtin_caps(BI_STAR_MINUS_CP), vm2_builtin_caps(BI_ALL));
	ck_assert_uint_eq(vm2_builtin_deny(BI_STAR_MINUS_CP), CAP_CHILD_PROCESS);
	ck_assert_uint_eq(vm2_builtin_deny(BI_ALL), 0);
	ck_assert_uint_eq(vm2_module_cap("node:child_process"), CAP_CHILD_PROCESS);
	ck_assert_uint_eq(vm2_module_cap("module"), CAP_MODULE);
	ck_assert_uint_eq(vm2_module_cap("node:"), 0);
	ck_assert_uint_eq(vm2_module_cap("worker_threads"), 0);
}
END_TEST

static Suite *vm2model_suite(void)
{
	Suite *s = suite_create("vm2model");
	TCase *tc = tcase_create("options");
	tcase_add_test(tc, js_truthiness);
	tcase_add_loop_test(tc, guard_every_shape, 0, VM2_NRELEASES);
	tcase_add_loop_test(tc, normalize_every_shape, 0, VM2_NRELEASES);
	tcase_add_test(tc, advisory_cases);
	tcase_add_test(tc, profiles_apply_their_release);
	suite_add_tcase(s, tc);

	tc = tcase_create("oracle");
	tcase_add_test(tc, regressions_per_profile);
	tcase_add_test(tc, oracle_must_flag_nesting_hatch);
	tcase_add_test(tc, hardened_clamps_children);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vm2model_suite());
	srunner_set_fork_status(sr, CK_NOFORK); /* one process: LeakSanitizer sees everything */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

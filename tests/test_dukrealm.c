/* Check suites for the dukrealm target (a vm2-style membrane on Duktape): the bridge's
 * wrap/unwrap identity, each defence switch changing the outcome of its regression, reset
 * leaving no realm and no growth behind (pooled and unpooled), and cases the oracle must
 * flag on each vulnerable profile while hardened holds.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/focus.h"
#include "escapade/run.h"
#include "dukrealm.h"
#include "testutil.h"

#ifndef ESC_SOURCE_DIR
#error "tests/CMakeLists.txt must define ESC_SOURCE_DIR"
#endif
#define REGRESSIONS ESC_SOURCE_DIR "/corpora/regressions/dukrealm"

static const esc_target *const targets[] = { &dukrealm_target, NULL };

/* Parses text into a fresh scenario s; the caller clears s. */
static void parse(esc_scn *s, const char *text)
{
	esc_scn_init(s, &dukrealm_target);
	tu_parse(s, targets, text);
}

static esc_verdict run_text(esc_runner *r, const char *text)
{
	esc_scn s;
	esc_verdict v;
	parse(&s, text);
	ck_assert_int_eq(esc_run(r, &s, &v, NULL), 0);
	esc_scn_clear(&s);
	return v;
}

#define HDR "# escapade scenario\ntarget dukrealm\n\n"

/* ---- the bridge's identity maps ---- */

START_TEST(wrap_identity)
{
	esc_runner r;
	ck_assert_int_eq(esc_runner_init(&r, &dukrealm_target, DUKREALM_HARDENED), 0);
	esc_verdict v = run_text(&r, HDR "$0 = realm.new\n$1 = realm.new\n     js.let $0 host\n"
				       "     js.let $1 host\n");
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ck_assert_uint_eq(dukrealm_live_realms(r.state), 2);

	void *h = dukrealm_host_object(r.state);
	ck_assert_ptr_nonnull(h);
	void *p1 = dukrealm_wrap(r.state, 1, h), *p1b = dukrealm_wrap(r.state, 1, h);
	void *p2 = dukrealm_wrap(r.state, 2, h);
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_ne(p1, h);           /* a realm never gets the host object itself */
	ck_assert_ptr_eq(p1, p1b);         /* wrapping twice gives the same proxy */
	ck_assert_ptr_ne(p1, p2);          /* each realm has its own membrane */
	ck_assert_ptr_eq(dukrealm_unwrap(r.state, 1, p1), h); /* unwrap(wrap(x)) == x */
	ck_assert_ptr_eq(dukrealm_unwrap(r.state, 2, p2), h);

	/* the other direction: a realm object seen by the host, and back */
	void *w = dukrealm_unwrap(r.state, 2, p1); /* realm 2 sees p1 as one of its objects */
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_ne(w, p1);
	ck_assert_ptr_eq(dukrealm_unwrap(r.state, 2, p1), w);
	ck_assert_ptr_eq(dukrealm_wrap(r.state, 2, w), p1);
	ck_assert_ptr_null(dukrealm_wrap(r.state, 3, h)); /* no realm#3 in that run */
	esc_runner_fini(&r);
}
END_TEST

/* ---- each defence switch decides its regression ---- */

static const struct {
	unsigned profile;
	const char *file;
	esc_verdict_kind kind;
} switches[] = {
	{ DUKREALM_RAW_HOST_OBJECT, "raw-host-object.scn", ESC_REFERENCE_LEAK },
	{ DUKREALM_UNWRAPPED_EXCEPTION, "unwrapped-exception.scn", ESC_REFERENCE_LEAK },
	{ DUKREALM_GETTER_RAW_RECEIVER, "getter-raw-receiver.scn", ESC_REFERENCE_LEAK },
	{ DUKREALM_NESTED_UNBOUNDED, "nested-unbounded.scn", ESC_PRIVILEGE_AMPLIFICATION },
	{ DUKREALM_HOST_PROTO_WRITE, "host-proto-write.scn", ESC_INTEGRITY_VIOLATION },
	{ DUKREALM_HOST_FUNCTION_CTOR, "host-function-ctor.scn", ESC_HOST_EXECUTION },
};
#define NSWITCHES (sizeof(switches) / sizeof(switches[0]))

START_TEST(switch_decides_regression)
{
	char path[512];
	esc_scn s;
	snprintf(path, sizeof(path), "%s/%s", REGRESSIONS, switches[_i].file);
	tu_load(&s, targets, path);
	for (unsigned p = 0; p < DUKREALM_NPROFILES; p++)
		tu_expect(&s, p, p == switches[_i].profile ? switches[_i].kind : ESC_CONTAINED,
			  switches[_i].file);
	esc_scn_clear(&s);
}
END_TEST

/* ---- cases the oracle must flag (other paths than the regressions take) ---- */

static const struct {
	unsigned profile;
	esc_verdict_kind kind;
	const char *text;
} must_flag[] = {
	{ DUKREALM_RAW_HOST_OBJECT, ESC_REFERENCE_LEAK,
	  HDR "$0 = realm.new\n$1 = js.let $0 host\n     js.invoke $1 \"make\" $1\n" },
	{ DUKREALM_UNWRAPPED_EXCEPTION, ESC_REFERENCE_LEAK,
	  HDR "$0 = realm.new\n$1 = js.let $0 host\n$2 = js.str $0 \"id\"\n"
	      "     js.catch $1 \"check\" $2\n" },
	{ DUKREALM_GETTER_RAW_RECEIVER, ESC_REFERENCE_LEAK,
	  HDR "$0 = realm.new\n$1 = js.let $0 object\n$2 = js.getter $1 \"grants\"\n"
	      "     host.call $2 fn=realm\n" },
	{ DUKREALM_NESTED_UNBOUNDED, ESC_PRIVILEGE_AMPLIFICATION,
	  HDR "$0 = realm.new grants=exec\n     realm.child $0 grants=all\n" },
	{ DUKREALM_HOST_PROTO_WRITE, ESC_INTEGRITY_VIOLATION,
	  HDR "$0 = realm.new\n$1 = js.let $0 host\n$2 = host.call $1 fn=make\n"
	      "$3 = js.get $2 \"constructor\"\n     js.set $3 \"x\" $1\n" },
	{ DUKREALM_HOST_FUNCTION_CTOR, ESC_INTEGRITY_VIOLATION,
	  HDR "$0 = realm.new grants=exec\n$1 = js.let $0 host\n$2 = js.get $1 \"info\"\n"
	      "$3 = js.get $2 \"constructor\"\n"
	      "     js.code $3 return-writeFile\n" },
};
#define NMUST (sizeof(must_flag) / sizeof(must_flag[0]))

START_TEST(oracle_must_flag)
{
	esc_scn s;
	parse(&s, must_flag[_i].text);
	esc_verdict v = tu_expect(&s, must_flag[_i].profile, must_flag[_i].kind, "must-flag case");
	ck_assert_int_ge(v.step, 1);
	tu_expect(&s, DUKREALM_HARDENED, ESC_CONTAINED, "must-flag case");
	esc_scn_clear(&s);
}
END_TEST

/* ---- reset: no realm, no growth, the same verdict every time ---- */

static const char two_realms[] =
	HDR "$0 = realm.new grants=exec\n$1 = realm.child $0 grants=exec\n$2 = js.let $1 host\n"
	    "$3 = host.call $2 fn=info\n$4 = js.let $1 func\n     js.set $3 \"x\" $4\n"
	    "$6 = js.getter $4 \"name\"\n     host.call $6 fn=inspect\n";
static const char empty[] = HDR;
static const char dirty[] =
	HDR "$0 = realm.new\n$1 = js.let $0 object\n$2 = js.get $1 \"__proto__\"\n"
	    "     js.set $2 \"x\" $1\n";

static void reset_cycle(int pooled)
{
	esc_runner r;
	size_t obj[4], thr[4], base_obj, base_thr;
	if (pooled)
		unsetenv("DUKREALM_NO_POOL");
	else
		setenv("DUKREALM_NO_POOL", "1", 1);
	ck_assert_int_eq(esc_runner_init(&r, &dukrealm_target, DUKREALM_GETTER_RAW_RECEIVER), 0);
	esc_verdict first = run_text(&r, empty);
	ck_assert_uint_eq(dukrealm_live_realms(r.state), 0);
	dukrealm_census(r.state, &base_obj, &base_thr);
	for (int k = 0; k < 4; k++) {
		esc_verdict v = run_text(&r, two_realms);
		if (k == 0)
			first = v;
		ck_assert_int_eq(v.kind, first.kind);
		ck_assert_int_eq(v.step, first.step);
		ck_assert(v.signature == first.signature);
		ck_assert_uint_eq(dukrealm_live_realms(r.state), 2);
		run_text(&r, dirty); /* leaves its realm's Object.prototype changed */
		run_text(&r, empty);
		ck_assert_uint_eq(dukrealm_live_realms(r.state), 0);
		dukrealm_census(r.state, &obj[k], &thr[k]);
		ck_assert_uint_eq(obj[k], obj[0]); /* nothing grows from run to run */
		ck_assert_uint_eq(thr[k], thr[0]);
	}
	ck_assert_int_eq(first.kind, ESC_REFERENCE_LEAK);
	if (!pooled) { /* every realm thread is gone: the heap is back to the bare host */
		ck_assert_uint_eq(thr[0], base_thr);
		ck_assert_uint_eq(obj[0], base_obj);
	}
	esc_runner_fini(&r);
	unsetenv("DUKREALM_NO_POOL");
}

START_TEST(reset_pooled)
{
	reset_cycle(1);
}
END_TEST

START_TEST(reset_unpooled)
{
	reset_cycle(0);
}
END_TEST

/* The same scenario in one runner, around others that dirty realms, traces identically. */
START_TEST(trace_is_deterministic)
{
	esc_runner r;
	esc_scn s;
	esc_verdict v;
	char *buf[2];
	size_t len[2];
	ck_assert_int_eq(esc_runner_init(&r, &dukrealm_target, DUKREALM_HOST_FUNCTION_CTOR), 0);
	parse(&s, two_realms);
	for (int k = 0; k < 2; k++) {
		FILE *f = open_memstream(&buf[k], &len[k]);
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(esc_run(&r, &s, &v, f), 0);
		fclose(f);
		run_text(&r, dirty);
	}
	ck_assert_uint_eq(len[0], len[1]);
	ck_assert_str_eq(buf[0], buf[1]);
	free(buf[0]);
	free(buf[1]);
	esc_scn_clear(&s);
	esc_runner_fini(&r);
}
END_TEST

/* ---- outcomes (esc_ctx.outcome) and the focus that serves them first ---- */

static const char crossing[] = HDR "$0 = realm.new grants=exec\n"
				   "$1 = js.let $0 hostfn\n"
				   "$2 = js.get $1 \"constructor\"\n"
				   "$3 = js.let $0 object\n"
				   "$4 = js.str $0 \"name\"\n";

/* What crossed the bridge has a name; what the realm made itself is 0; the same run
 * names it the same way again (after runs that dirty realms). Hardened maps the host's
 * Function to the realm's own. */
START_TEST(outcomes_name_what_crossed)
{
	esc_runner r;
	esc_scn s;
	esc_verdict v;
	uint32_t first[5];
	ck_assert_int_eq(esc_runner_init(&r, &dukrealm_target, DUKREALM_HOST_FUNCTION_CTOR), 0);
	parse(&s, crossing);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	memcpy(first, r.outcome, sizeof(first));
	ck_assert_uint_eq(first[0], 0x10000u | 1u); /* a realm holding exec */
	ck_assert_uint_ne(first[1], 0);             /* a proxy of the host's echo */
	ck_assert_uint_ne(first[2], 0);             /* a proxy of the host's Function */
	ck_assert_uint_ne(first[2], first[1]);
	ck_assert_uint_eq(first[3], 0);             /* the realm's own object */
	ck_assert_uint_eq(first[4], 0);             /* a string */
	run_text(&r, dirty);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_mem_eq(r.outcome, first, sizeof(first));
	esc_scn_clear(&s);
	parse(&s, HDR "realm.new grants=all\n");
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_uint_eq(r.outcome[0], 0x10000u | 3u);
	esc_scn_clear(&s);
	esc_runner_fini(&r);

	ck_assert_int_eq(esc_runner_init(&r, &dukrealm_target, DUKREALM_HARDENED), 0);
	parse(&s, crossing);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_uint_eq(r.outcome[1], first[1]);
	ck_assert_uint_eq(r.outcome[2], 0); /* the realm's own Function */
	esc_scn_clear(&s);
	esc_runner_fini(&r);
}
END_TEST

/* A run whose op shows an outcome no run showed is served before a newer ordinary entry:
 * the next neighbour extends that run's prefix, up to the newest new outcome. Nothing is
 * new the second time. */
START_TEST(focus_serves_new_outcomes_first)
{
	esc_runner r;
	esc_scn s, plain, out;
	esc_verdict v;
	esc_focus *f = esc_focus_new(&dukrealm_target);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(esc_runner_init(&r, &dukrealm_target, DUKREALM_HOST_FUNCTION_CTOR), 0);
	parse(&s, HDR "$0 = realm.new grants=exec\n$1 = js.let $0 object\n");
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_int_eq(esc_focus_observe(f, &s, &r, s.nops, 1), 0); /* all new */
	ck_assert_int_eq(esc_focus_observe(f, &s, &r, s.nops, 1), -1);
	esc_scn_clear(&s);
	parse(&s, crossing);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	/* its first three ops: the proxies of echo and of Function are new */
	ck_assert_int_eq(esc_focus_observe(f, &s, &r, 3, 3), 1);
	ck_assert_int_eq(esc_focus_observe(f, &s, &r, 3, 3), -1);
	/* a newer ordinary entry */
	parse(&plain, HDR "$0 = realm.new grants=write\n$1 = js.let $0 object\n");
	ck_assert_int_eq(esc_focus_push_scn(f, &plain, 2), 0);
	esc_scn_init(&out, &dukrealm_target);
	ck_assert_int_eq(esc_focus_next_scn(f, &out), 0);
	/* from the newest new outcome (the Function proxy, op 2), not from plain */
	ck_assert_uint_ge(out.nops, 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(out.ops[i].op, s.ops[i].op);
	ck_assert_int_eq(out.ops[0].args[0].i, 1); /* grants=exec, not plain's write */
	esc_scn_clear(&out);
	esc_scn_clear(&plain);
	esc_scn_clear(&s);
	esc_focus_free(f);
	esc_runner_fini(&r);
}
END_TEST

static Suite *dukrealm_suite(void)
{
	Suite *s = suite_create("dukrealm");
	TCase *tc = tcase_create("bridge");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, wrap_identity);
	tcase_add_loop_test(tc, switch_decides_regression, 0, NSWITCHES);
	tcase_add_loop_test(tc, oracle_must_flag, 0, NMUST);
	suite_add_tcase(s, tc);

	tc = tcase_create("reset");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reset_pooled);
	tcase_add_test(tc, reset_unpooled);
	tcase_add_test(tc, trace_is_deterministic);
	suite_add_tcase(s, tc);

	tc = tcase_create("outcomes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, outcomes_name_what_crossed);
	tcase_add_test(tc, focus_serves_new_outcomes_first);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dukrealm_suite());
	srunner_set_fork_status(sr, CK_NOFORK); /* one process: LeakSanitizer sees everything */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

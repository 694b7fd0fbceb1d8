/* Check suites for the vm2model target's membrane half: the wrap/unwrap identity maps
 * and intrinsic pairing, read-only inheritance, every defence switch (its profile is
 * hardened with exactly that defence off; its regression escapes there with the class's
 * verdict kind and is contained on hardened), must-flag cases for every verdict kind the
 * membrane oracle gives, and the JavaScript emitter (every op has JavaScript; every
 * regression emits a program that `node --check` accepts, when node is installed).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escapade/run.h"
#include "testutil.h"
#include "vm2int.h"

#ifndef ESC_SOURCE_DIR
#error "tests/CMakeLists.txt must define ESC_SOURCE_DIR"
#endif
#define REGRESSIONS ESC_SOURCE_DIR "/corpora/regressions/vm2model"

static const esc_target *const targets[] = { &vm2model_target, NULL };

static vm2_state *fresh(unsigned profile)
{
	vm2_state *st = calloc(1, sizeof(*st));
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(vm2model_target.reset(st, profile), 0);
	return st;
}

/* A root NodeVM with no require: its index. */
static unsigned new_vm(vm2_state *st)
{
	static const esc_val args[3] = { { .e = NE_UNDEFINED }, { .e = SH_UNDEFINED }, { .e = 0 } };
	unsigned out = 99;
	esc_ctx ctx = { NULL, 0, 0 };
	ck_assert_int_eq(vm2model_target.ops[0].run(st, args, &out, &ctx), 0);
	return out;
}

static vm2_oid host_object(vm2_state *st)
{
	return vm2_alloc(st, 0, OK_PLAIN, vm2_intrinsic(st, 0, I_OBJECT_PROTO));
}

/* Loads the regression called name (REGRESSIONS/name.scn) into s; the caller clears s. */
static void load_named(esc_scn *s, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.scn", REGRESSIONS, name);
	tu_load(s, targets, path);
}

/* ---- identity maps ---- */

START_TEST(wrap_twice_same_proxy)
{
	vm2_state *st = fresh(VM2_HARDENED);
	unsigned v = new_vm(st), w = new_vm(st);
	vm2_oid h = host_object(st);
	vm2_oid p = vm2_wrap(st, v, h, H_PLAIN);
	ck_assert_uint_ne(p, VM2_NIL);
	ck_assert_uint_ne(p, h);
	ck_assert_uint_eq(st->obj[p].kind, OK_PROXY);
	ck_assert_uint_eq(st->obj[p].realm, vm2_realm(v));
	ck_assert_uint_eq(vm2_wrap(st, v, h, H_PLAIN), p); /* the same proxy */
	ck_assert_uint_eq(vm2_unwrap(st, v, p), h);        /* unwrap(wrap(x)) == x */
	/* another VM's membrane has its own proxy; one proxy per membrane, whatever handler
	 * a later path asks for (vm2's identity cache) */
	vm2_oid q = vm2_wrap(st, w, h, H_PLAIN);
	ck_assert_uint_ne(q, p);
	ck_assert_uint_eq(st->obj[q].realm, vm2_realm(w));
	ck_assert_uint_eq(vm2_wrap(st, v, h, H_READONLY), p);
	/* an object the embedder froze is read-only on every path, in every VM */
	vm2_oid f = host_object(st);
	st->obj[f].flags |= OF_EXPOSED;
	st->obj[f].handler = H_READONLY;
	vm2_oid r = vm2_wrap(st, v, f, H_PLAIN);
	ck_assert_uint_eq(st->obj[r].handler, H_READONLY);
	ck_assert_uint_eq(st->obj[vm2_wrap(st, w, f, H_PROTECTED)].handler, H_READONLY);
	ck_assert_uint_eq(vm2_unwrap(st, v, r), f);
	/* a proxy of v handed back to v is itself; wrap of NIL is NIL */
	ck_assert_uint_eq(vm2_wrap(st, v, p, H_PLAIN), p);
	ck_assert_uint_eq(vm2_wrap(st, v, VM2_NIL, H_PLAIN), VM2_NIL);
	ck_assert_uint_eq(vm2_unwrap(st, v, VM2_NIL), VM2_NIL);
	char why[128] = "";
	ck_assert_msg(vm2_membrane_check(st, why, sizeof(why)) == 0, "%s", why);
	free(st);
}
END_TEST

START_TEST(sandbox_values_round_trip)
{
	vm2_state *st = fresh(VM2_HARDENED);
	unsigned v = new_vm(st);
	vm2_oid s = vm2_alloc(st, vm2_realm(v), OK_PLAIN, vm2_intrinsic(st, vm2_realm(v), I_OBJECT_PROTO));
	vm2_oid hv = vm2_unwrap(st, v, s); /* what host code sees: a reverse proxy */
	ck_assert_uint_ne(hv, s);
	ck_assert_uint_eq(st->obj[hv].realm, 0);
	ck_assert_uint_eq(st->obj[hv].kind, OK_PROXY);
	ck_assert_uint_eq(vm2_unwrap(st, v, s), hv);     /* one host view */
	ck_assert_uint_eq(vm2_wrap(st, v, hv, H_PLAIN), s); /* wrap(unwrap(s)) == s */
	ck_assert(vm2_may_hold(st, v, s));
	ck_assert(!vm2_may_hold(st, v, hv)); /* its own value's host view is a host object */
	char why[128] = "";
	ck_assert_msg(vm2_membrane_check(st, why, sizeof(why)) == 0, "%s", why);
	free(st);
}
END_TEST

START_TEST(intrinsic_pairing)
{
	vm2_state *st = fresh(VM2_HARDENED);
	unsigned v = new_vm(st);
	for (unsigned i = I_OBJECT_PROTO; i <= I_PROMISE_PROTO; i++) {
		vm2_oid h = vm2_intrinsic(st, 0, i), s = vm2_intrinsic(st, vm2_realm(v), i);
		ck_assert_uint_ne(h, s);
		ck_assert_uint_eq(vm2_wrap(st, v, h, H_PLAIN), s);
		ck_assert_uint_eq(vm2_unwrap(st, v, s), h);
	}
	/* hardened: the host Function constructor is the sandbox's own; issue #32 profile:
	 * a proxy of the host one */
	vm2_oid hf = vm2_intrinsic(st, 0, I_FUNCTION);
	ck_assert_uint_eq(vm2_wrap(st, v, hf, H_PLAIN), vm2_intrinsic(st, vm2_realm(v), I_FUNCTION));
	free(st);
	st = fresh(VM2_P_CTOR);
	v = new_vm(st);
	hf = vm2_intrinsic(st, 0, I_FUNCTION);
	vm2_oid p = vm2_wrap(st, v, hf, H_PLAIN);
	ck_assert_uint_eq(st->obj[p].kind, OK_PROXY);
	ck_assert_uint_eq(st->obj[p].target, hf);
	/* other host constructors are proxied, never paired */
	vm2_oid ho = vm2_intrinsic(st, 0, I_OBJECT);
	ck_assert_uint_eq(st->obj[vm2_wrap(st, v, ho, H_PLAIN)].kind, OK_PROXY);
	free(st);
}
END_TEST

/* What is read through a read-only proxy is read-only, and refuses writes. */
START_TEST(readonly_inherited)
{
	vm2_state *st = fresh(VM2_HARDENED);
	unsigned v = new_vm(st);
	vm2_oid h = host_object(st), sub = host_object(st);
	ck_assert_int_eq(vm2_store(st, h, K_X, sub, "host"), 0);
	vm2_oid p = vm2_wrap(st, v, h, H_READONLY), got;
	ck_assert_int_eq(vm2_get(st, v, p, K_X, &got, NULL), 0);
	ck_assert_uint_eq(st->obj[got].kind, OK_PROXY);
	ck_assert_uint_eq(st->obj[got].target, sub);
	ck_assert_uint_eq(st->obj[got].handler, H_READONLY);
	ck_assert_int_eq(vm2_set(st, v, got, K_X, p, NULL), -1);
	ck_assert_int_eq(vm2_set(st, v, p, K_X, p, NULL), -1);
	ck_assert(vm2_own(st, sub, K_X) == NULL);
	ck_assert_int_eq(st->ev, EV_NONE);
	/* the same host object reached again is still read-only */
	ck_assert_uint_eq(vm2_wrap(st, v, sub, H_PLAIN), got);
	/* a plain proxy writes through, the host object sees the host value */
	vm2_oid other = host_object(st);
	vm2_oid q = vm2_wrap(st, v, other, H_PLAIN);
	ck_assert_int_eq(vm2_set(st, v, q, K_X, q, NULL), 0);
	ck_assert_uint_eq(vm2_own(st, other, K_X)->val, other);
	ck_assert_int_eq(st->ev, EV_NONE);
	free(st);
}
END_TEST

/* The heap and the identity maps after every regression under every profile. */
START_TEST(membrane_invariants_over_regressions)
{
	static const char *const files[] = {
		"issue32-ctor-chain", "issue138-host-exception", "issue174-bridge-throw",
		"GHSA-grj5-species", "GHSA-55hx-host-then", "GHSA-x965-sanitize-memo",
		"GHSA-c4cf-set-receiver", "nesting-hatch",
	};
	for (unsigned f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		esc_scn s;
		load_named(&s, files[f]);
		for (unsigned p = 0; p < VM2_NPROFILES; p++) {
			esc_runner r;
			tu_run_on(&s, p, NULL, &r);
			char why[128] = "";
			ck_assert_msg(vm2_membrane_check(r.state, why, sizeof(why)) == 0, "%s [%s]: %s",
				      files[f], vm2model_target.profiles[p], why);
			esc_runner_fini(&r);
		}
		esc_scn_clear(&s);
	}
}
END_TEST

/* ---- defence switches ---- */

static const struct {
	unsigned defence;
	const char *file;
	esc_verdict_kind kind;
} classes[D_NDEFENCES] = {
	{ D_CTOR, "issue32-ctor-chain", ESC_HOST_EXECUTION },
	{ D_THROW, "issue138-host-exception", ESC_REFERENCE_LEAK },
	{ D_BRIDGE_THROW, "issue174-bridge-throw", ESC_REFERENCE_LEAK },
	{ D_DESC_PROTO, "issue175-descriptor-get", ESC_REFERENCE_LEAK },
	{ D_LOOKUP, "issue184-lookup-getter", ESC_REFERENCE_LEAK },
	{ D_CACHED_CALL, "bridge-patched-call", ESC_REFERENCE_LEAK },
	{ D_CONTAINER, "GHSA-9qj6-array-setter", ESC_REFERENCE_LEAK },
	{ D_SPECIES_ARRAY, "GHSA-grj5-species", ESC_REFERENCE_LEAK },
	{ D_SPECIES_PROMISE, "GHSA-76w7-promise-species", ESC_REFERENCE_LEAK },
	{ D_STACK, "CVE-2022-36067-stack", ESC_REFERENCE_LEAK },
	{ D_INSPECT, "CVE-2023-37903-inspect", ESC_REFERENCE_LEAK },
	{ D_THEN, "GHSA-55hx-host-then", ESC_REFERENCE_LEAK },
	{ D_INDIRECT, "GHSA-647f-call-indirection", ESC_REFERENCE_LEAK },
	{ D_ERROR_FIELDS, "GHSA-m283-error-fields", ESC_REFERENCE_LEAK },
	{ D_MEMO, "GHSA-x965-sanitize-memo", ESC_REFERENCE_LEAK },
	{ D_CATCH_SITES, "GHSA-248r-catch-sites", ESC_REFERENCE_LEAK },
	{ D_PROTECT, "GHSA-vwrp-host-intrinsics", ESC_INTEGRITY_VIOLATION },
	{ D_RECEIVER, "GHSA-c4cf-set-receiver", ESC_INTEGRITY_VIOLATION },
	{ D_BUILTINS, "GHSA-947f-dangerous-builtins", ESC_POLICY_BYPASS },
};

/* One iteration per defence. */
START_TEST(defence_switch)
{
	unsigned i = (unsigned)_i, p = VM2_P_CTOR + i;
	ck_assert_uint_eq(classes[i].defence, i);
	/* its profile is hardened with exactly this defence off */
	ck_assert_uint_eq(vm2_defences(p), D_ALL & ~(1u << i));
	ck_assert_uint_eq(vm2_guard_level(p), VM2_HARDENED);
	ck_assert(vm2_clamps_children(p));
	esc_scn s;
	load_named(&s, classes[i].file);
	esc_verdict v = tu_expect(&s, p, classes[i].kind, classes[i].file);
	ck_assert_str_eq(v.chain, "host > vm#1");
	tu_expect(&s, VM2_HARDENED, ESC_CONTAINED, classes[i].file);
	/* and no other single defence opens this file's path, except the known overlaps
	 * (the same channel guarded by the class it builds on) */
	for (unsigned d = 0; d < D_NDEFENCES; d++) {
		if (d == i)
			continue;
		int overlap = (i == D_INDIRECT && d == D_THEN) ||
			      (i == D_THROW && d == D_ERROR_FIELDS) ||
			      (i == D_MEMO && d == D_ERROR_FIELDS);
		v = tu_run(&s, VM2_P_CTOR + d);
		ck_assert_msg((v.kind != ESC_CONTAINED) == overlap, "%s on %s: %s", classes[i].file,
			      vm2model_target.profiles[VM2_P_CTOR + d], esc_verdict_name(v.kind));
	}
	esc_scn_clear(&s);
}
END_TEST

/* ---- must-flag cases, one per kind ---- */

START_TEST(must_flag_each_kind)
{
	/* reference-leak: a raw host object delivered to a sandbox frame */
	vm2_state *st = fresh(VM2_HARDENED);
	unsigned v = new_vm(st);
	vm2_oid h = host_object(st);
	vm2_deliver(st, v, h, "test");
	ck_assert_int_eq(st->ev, EV_LEAK);
	esc_verdict verdict;
	memset(&verdict, 0, sizeof(verdict));
	ck_assert_int_eq(vm2model_target.check(st, 0, &verdict), 1);
	ck_assert_int_eq(verdict.kind, ESC_REFERENCE_LEAK);
	ck_assert_int_eq(st->ev, EV_NONE); /* the check consumes the event */
	/* its own proxy is fine; so is another proxy read from it */
	vm2_deliver(st, v, vm2_wrap(st, v, h, H_PLAIN), "test");
	ck_assert_int_eq(st->ev, EV_NONE);
	/* a raw host object stored into a sandbox object is reachable: a leak */
	vm2_oid s = vm2_alloc(st, vm2_realm(v), OK_PLAIN, VM2_NIL);
	vm2_store(st, s, K_X, h, "test");
	ck_assert_int_eq(st->ev, EV_LEAK);
	st->ev = EV_NONE;
	/* host-execution: host process, raw or proxied */
	vm2_oid proc = vm2_intrinsic(st, 0, I_PROCESS);
	vm2_deliver(st, v, vm2_wrap(st, v, proc, H_PLAIN), "test");
	ck_assert_int_eq(st->ev, EV_HOSTAUTH);
	ck_assert_int_eq(vm2model_target.check(st, 0, &verdict), 1);
	ck_assert_int_eq(verdict.kind, ESC_HOST_EXECUTION);
	/* ... but the sandbox's own process shim is not */
	vm2_deliver(st, v, vm2_intrinsic(st, vm2_realm(v), I_PROCESS), "test");
	ck_assert_int_eq(st->ev, EV_NONE);
	/* integrity-violation: a landed write on a host intrinsic or a read-only exposure */
	vm2_landed(st, v, vm2_intrinsic(st, 0, I_OBJECT_PROTO), VM2_NIL, "test");
	ck_assert_int_eq(st->ev, EV_INTEGRITY);
	ck_assert_int_eq(vm2model_target.check(st, 0, &verdict), 1);
	ck_assert_int_eq(verdict.kind, ESC_INTEGRITY_VIOLATION);
	st->obj[h].flags |= OF_EXPOSED;
	st->obj[h].handler = H_PROTECTED;
	vm2_landed(st, v, h, s, "test"); /* a plain value on a protected object: allowed */
	ck_assert_int_eq(st->ev, EV_NONE);
	vm2_oid fn = vm2_alloc(st, vm2_realm(v), OK_FUNC, VM2_NIL);
	st->obj[fn].fn = FB_SANDBOX;
	vm2_landed(st, v, h, fn, "test"); /* a function on it: refused by policy */
	ck_assert_int_eq(st->ev, EV_INTEGRITY);
	st->ev = EV_NONE;
	free(st);

	/* identity broken: the x965 profile's sanitizer returns the raw original on a revisit */
	st = fresh(VM2_P_MEMO);
	v = new_vm(st);
	vm2_oid agg = vm2_alloc(st, 0, OK_ERROR, vm2_intrinsic(st, 0, I_ERROR_PROTO));
	vm2_oid e = vm2_alloc(st, 0, OK_ERROR, vm2_intrinsic(st, 0, I_ERROR_PROTO));
	vm2_store(st, agg, K_ERRORS, e, "host");
	vm2_store(st, agg, K_CAUSE, e, "host");
	vm2_oid r = vm2_sanitize(st, v, agg);
	ck_assert_uint_eq(st->obj[r].realm, vm2_realm(v));
	ck_assert_int_eq(st->ev, EV_IDENTITY);
	ck_assert_int_eq(vm2model_target.check(st, 0, &verdict), 1);
	ck_assert_int_eq(verdict.kind, ESC_REFERENCE_LEAK);
	ck_assert_msg(strstr(verdict.summary, "identity") != NULL, "%s", verdict.summary);
	free(st);
	/* hardened: the same pass gives one replacement for e, reached twice */
	st = fresh(VM2_HARDENED);
	v = new_vm(st);
	agg = vm2_alloc(st, 0, OK_ERROR, vm2_intrinsic(st, 0, I_ERROR_PROTO));
	e = vm2_alloc(st, 0, OK_ERROR, vm2_intrinsic(st, 0, I_ERROR_PROTO));
	vm2_store(st, agg, K_ERRORS, e, "host");
	vm2_store(st, agg, K_CAUSE, e, "host");
	r = vm2_sanitize(st, v, agg);
	ck_assert_int_eq(st->ev, EV_NONE);
	ck_assert_uint_eq(vm2_own(st, r, K_ERRORS)->val, vm2_own(st, r, K_CAUSE)->val);
	ck_assert_uint_eq(st->obj[vm2_own(st, r, K_CAUSE)->val].realm, vm2_realm(v));
	free(st);
}
END_TEST

/* A run leaves nothing for the next: the same runner, an escaping scenario, then a
 * harmless one, then the escaping one again. */
START_TEST(reset_forgets_everything)
{
	esc_runner r;
	esc_verdict v;
	esc_scn bad, good;
	tu_load(&bad, targets, REGRESSIONS "/GHSA-55hx-host-then.scn");
	static const char text[] = "target vm2model\n$0 = vm.new\nmicrotasks.run\n"
				   "$1 = obj.new $0 function\n";
	tu_parse(&good, targets, text);
	ck_assert_int_eq(esc_runner_init(&r, &vm2model_target, VM2_P_THEN), 0);
	ck_assert_int_eq(esc_run(&r, &bad, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_REFERENCE_LEAK);
	ck_assert_int_eq(esc_run(&r, &good, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED); /* no job survived the run that queued it */
	const vm2_state *st = r.state;
	ck_assert_uint_eq(st->njob, 0);
	ck_assert_uint_lt(st->nobj, 40);
	ck_assert_int_eq(esc_run(&r, &bad, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_REFERENCE_LEAK);
	esc_runner_fini(&r);
	esc_scn_clear(&bad);
	esc_scn_clear(&good);
}
END_TEST

/* ---- JavaScript ---- */

START_TEST(every_op_has_javascript)
{
	for (unsigned i = 0; i < vm2model_target.nops; i++) {
		const esc_op_desc *d = &vm2model_target.ops[i];
		ck_assert_msg(d->js && *d->js, "op %s has no JavaScript", d->name);
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_ENUM) {
				ck_assert_msg(d->args[j].js_values != NULL, "%s.%s", d->name, d->args[j].name);
				for (unsigned k = 0; k < d->args[j].nvalues; k++)
					ck_assert_msg(d->args[j].js_values[k] != NULL, "%s.%s[%u]", d->name,
						      d->args[j].name, k);
			}
	}
	ck_assert_ptr_nonnull(vm2model_target.emit_js);
}
END_TEST

static int have_node(void)
{
	return system("node --version >/dev/null 2>&1") == 0;
}

/* Every regression emits a program; node --check accepts it when node is installed. No
 * scenario string reaches code: commands and paths only in comments, unknown modules a
 * placeholder. */
START_TEST(regressions_emit_valid_javascript)
{
	static const char *const files[] = {
		"GHSA-8hg8-63c5-gwmx", "GHSA-m4wx-m65x-ghrr", "GHSA-8hr7-r645-pc6w", "nesting-hatch",
		"exec-within-grants", "issue32-ctor-chain", "issue138-host-exception",
		"issue174-bridge-throw", "issue175-descriptor-get", "issue184-lookup-getter",
		"bridge-patched-call", "GHSA-9qj6-array-setter", "GHSA-grj5-species",
		"GHSA-76w7-promise-species", "CVE-2022-36067-stack", "CVE-2023-37903-inspect",
		"GHSA-55hx-host-then", "GHSA-647f-call-indirection", "GHSA-m283-error-fields",
		"GHSA-x965-sanitize-memo", "GHSA-248r-catch-sites", "GHSA-vwrp-host-intrinsics",
		"GHSA-c4cf-set-receiver", "GHSA-947f-dangerous-builtins",
	};
	int node = have_node();
	if (!node)
		fprintf(stderr, "vm2membrane: node not installed: syntax checks skipped\n");
	char dir[] = "/tmp/escapade-emit-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (unsigned f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char err[256], out[600];
		esc_scn s;
		load_named(&s, files[f]);
		snprintf(out, sizeof(out), "%s/%s.js", dir, files[f]);
		FILE *fp = fopen(out, "w");
		ck_assert_ptr_nonnull(fp);
		ck_assert_msg(vm2_emit_js(&s, fp, err, sizeof(err)) == 0, "%s: %s", files[f], err);
		ck_assert_int_eq(fclose(fp), 0);
		esc_scn_clear(&s);
		if (node) {
			char cmd[1400];
			snprintf(cmd, sizeof(cmd), "node --check '%s'", out);
			ck_assert_msg(system(cmd) == 0, "node --check rejects %s", out);
		}
		unlink(out);
	}
	/* hostile strings: a command, a path and an unknown module never become code */
	static const char text[] =
		"target vm2model\n"
		"$0 = vm.new nesting=true require=object builtin=all\n"
		"$1 = vm.require $0 \"child_process\"\n"
		"host.exec $1 \"rm -rf ~ */ ; '\\n' \\\\ \"\n"
		"$3 = vm.require $0 \"./evil.js\"\n";
	esc_scn s;
	char err[256];
	tu_parse(&s, targets, text);
	char *prog = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&prog, &len);
	ck_assert_int_eq(vm2_emit_js(&s, fp, err, sizeof(err)), 0);
	fclose(fp);
	ck_assert_ptr_null(strstr(prog, "require(\\'.\\/evil")); /* only in the step's text */
	ck_assert_ptr_nonnull(strstr(prog, "escapade-unknown-module"));
	ck_assert_ptr_nonnull(strstr(prog, "execSync(\\'true\\')"));
	ck_assert_ptr_null(strstr(prog, "rm -rf ~ */"));
	if (node) {
		char out[600], cmd[700];
		snprintf(out, sizeof(out), "%s/hostile.js", dir);
		fp = fopen(out, "w");
		ck_assert_ptr_nonnull(fp);
		fwrite(prog, 1, len, fp);
		fclose(fp);
		snprintf(cmd, sizeof(cmd), "node --check '%s'", out);
		ck_assert_msg(system(cmd) == 0, "node --check rejects %s", out);
		unlink(out);
	}
	free(prog);
	esc_scn_clear(&s);
	rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vm2membrane");
	TCase *tc = tcase_create("identity");
	tcase_add_test(tc, wrap_twice_same_proxy);
	tcase_add_test(tc, sandbox_values_round_trip);
	tcase_add_test(tc, intrinsic_pairing);
	tcase_add_test(tc, readonly_inherited);
	tcase_add_test(tc, membrane_invariants_over_regressions);
	suite_add_tcase(s, tc);

	tc = tcase_create("defences");
	tcase_add_loop_test(tc, defence_switch, 0, D_NDEFENCES);
	tcase_add_test(tc, must_flag_each_kind);
	tcase_add_test(tc, reset_forgets_everything);
	suite_add_tcase(s, tc);

	tc = tcase_create("javascript");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_op_has_javascript);
	tcase_add_test(tc, regressions_emit_valid_javascript);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_set_fork_status(sr, CK_NOFORK); /* one process: LeakSanitizer sees everything */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

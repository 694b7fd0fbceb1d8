/* Check suites for the engine-independent core, driven by the synthetic test_target and
 * by vm2model_target: target tables, total binary decoding, text and binary round trips,
 * parser errors, the runner (reset, skipped ops), verdict signatures and esc_load_buf.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/load.h"
#include "escapade/run.h"
#include "testtarget.h"
#include "testutil.h"
#include "vm2model.h"

static const esc_target *const targets[] = { &test_target, &vm2model_target, NULL };
static const esc_target *const both[] = { &test_target, &vm2model_target };

/* Scenarios are large (ESC_MAX_OPS ops); tests share these and clear them before return. */
static esc_scn sa, sb, sc;

/* xorshift64: fixed seeds, so every run sees the same inputs */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* ---- target tables ---- */

static int dummy_run(void *state, const esc_val *args, unsigned *out, struct esc_ctx *ctx)
{
	(void)state, (void)args, (void)out, (void)ctx;
	return 0;
}

static const esc_op_desc bad_order_ops[] = {
	{ .name = "x", .nargs = 2, .produces = ESC_NO_RES, .run = dummy_run,
	  .args = { { .name = "a", .kind = ESC_ARG_INT, .positional = 0, .max = 1 },
		    { .name = "b", .kind = ESC_ARG_INT, .positional = 1, .max = 1 } } },
};
static const esc_op_desc dup_name_ops[] = {
	{ .name = "x", .produces = ESC_NO_RES, .run = dummy_run },
	{ .name = "x", .produces = ESC_NO_RES, .run = dummy_run },
};

START_TEST(target_tables_validate)
{
	char why[160] = "";
	ck_assert_msg(esc_target_validate(&test_target, why, sizeof(why)) == 0, "%s", why);
	ck_assert_msg(esc_target_validate(&vm2model_target, why, sizeof(why)) == 0, "%s", why);

	esc_target bad = test_target;
	bad.ops = bad_order_ops;
	bad.nops = 1;
	ck_assert_int_eq(esc_target_validate(&bad, why, sizeof(why)), ESC_E_INVALID);
	bad.ops = dup_name_ops;
	bad.nops = 2;
	ck_assert_int_eq(esc_target_validate(&bad, NULL, 0), ESC_E_INVALID);
}
END_TEST

/* ---- binary form ---- */

START_TEST(decode_is_total)
{
	const esc_target *t = both[_i];
	size_t cap = esc_encode_bound(t);
	uint8_t in[600], *enc = malloc(cap), *enc2 = malloc(cap);
	char why[160];
	ck_assert_ptr_nonnull(enc);
	ck_assert_ptr_nonnull(enc2);
	rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
	unsigned nonempty = 0;
	for (unsigned iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(rng() % 601);
		/* half the inputs from a small alphabet, so handles resolve more often */
		uint64_t mask = (iter & 1) ? 0xff : 0x0f;
		for (size_t k = 0; k < len; k++)
			in[k] = (uint8_t)(rng() & mask);
		esc_decode(&sa, t, in, len);
		ck_assert_msg(esc_scn_validate(&sa, why, sizeof(why)) == 0, "iter %u: %s", iter, why);
		ck_assert_uint_le(sa.nops, ESC_MAX_OPS);
		ck_assert_ptr_eq(sa.target, t);
		nonempty += sa.nops > 0;
		long n = esc_encode(&sa, enc, cap);
		ck_assert_int_ge(n, 0);
		ck_assert_uint_le((size_t)n, cap);
		esc_decode(&sb, t, enc, (size_t)n);
		ck_assert_msg(esc_scn_cmp_ops(&sa, &sb) == 0, "iter %u: decode(encode(s)) != s", iter);
		/* the encoding of a decoded scenario is a fixpoint */
		ck_assert_int_eq(esc_encode(&sb, enc2, cap), n);
		ck_assert_mem_eq(enc, enc2, (size_t)n);
	}
	ck_assert_uint_gt(nonempty, 10000);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	free(enc);
	free(enc2);
}
END_TEST

START_TEST(decode_exhausted_gives_minimum)
{
	uint8_t b = TT_OP_MIX;
	esc_decode(&sa, &test_target, &b, 1);
	ck_assert_uint_eq(sa.nops, 1);
	ck_assert_uint_eq(sa.ops[0].op, TT_OP_MIX);
	ck_assert_int_eq(sa.ops[0].args[0].i, -3);        /* small: min */
	ck_assert_int_eq(sa.ops[0].args[1].i, 0);         /* tag: first value */
	ck_assert(sa.ops[0].args[2].i == INT64_MIN);      /* wide: min */
	ck_assert_int_eq(sa.ops[0].args[3].i, -32768);    /* half: min */
	ck_assert_str_eq(sa.ops[0].args[4].s, TT_DICT0); /* string: tag 0 = dict[0] */

	b = TT_OP_SOCKET + TT_NOPS; /* the selector is taken modulo the op count */
	esc_decode(&sa, &test_target, &b, 1);
	ck_assert_uint_eq(sa.nops, 1);
	ck_assert_uint_eq(sa.ops[0].op, TT_OP_SOCKET);
	ck_assert_int_eq(sa.ops[0].args[0].i, 0);
	ck_assert_int_eq(sa.ops[0].args[1].i, 0);

	/* a write with no live fd is consumed (11 bytes) and dropped; the nop after it stays */
	uint8_t w[] = { TT_OP_WRITE, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0x80, TT_OP_NOP };
	esc_decode(&sa, &test_target, w, sizeof(w));
	ck_assert_uint_eq(sa.nops, 1);
	ck_assert_uint_eq(sa.ops[0].op, TT_OP_NOP);

	esc_decode(&sa, &test_target, NULL, 0);
	ck_assert_uint_eq(sa.nops, 0);

	b = 0; /* vm.new with every enum at its first value */
	esc_decode(&sa, &vm2model_target, &b, 1);
	ck_assert_uint_eq(sa.nops, 1);
	ck_assert_int_eq(sa.ops[0].args[0].i, NE_UNDEFINED);
	ck_assert_int_eq(sa.ops[0].args[1].i, SH_UNDEFINED);
	ck_assert_int_eq(sa.ops[0].args[2].i, 0);
	esc_scn_clear(&sa);
}
END_TEST

/* The byte layout documented in argkind.c, on a hand-made scenario. */
START_TEST(encode_layout)
{
	tu_parse(&sa, targets,
		 "target test\n"
		 "$0 = open \"/tmp/x\" mode=rw\n"
		 "write $0 42 off=0\n"
		 "$1 = open \"zz\"\n"
		 "write $1 0\n"
		 "mix 5 beta wide=-1 half=-1\n");
	static const uint8_t want[] = {
		TT_OP_OPEN, 1, 1,
		TT_OP_WRITE, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0x80,
		TT_OP_OPEN, 4, 2, 'z', 'z', 0,
		TT_OP_WRITE, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0,
		TT_OP_MIX, 8, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0x7f, 4, 0,
	};
	uint8_t buf[128];
	long n = esc_encode(&sa, buf, sizeof(buf));
	ck_assert_int_eq(n, (long)sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(esc_encode(&sa, buf, sizeof(want) - 1), ESC_E_TOOBIG);

	/* handles resolve modulo the live resources of their kind: 3 % 2 -> the 2nd fd */
	static const uint8_t h[] = { TT_OP_OPEN, 0, 0, TT_OP_OPEN, 1, 0, TT_OP_SOCKET, 0, 0, 0,
				     TT_OP_WRITE, 3, 3 };
	esc_decode(&sb, &test_target, h, sizeof(h));
	ck_assert_uint_eq(sb.nops, 4);
	ck_assert_uint_eq(sb.ops[3].op, TT_OP_WRITE);
	ck_assert_int_eq(sb.ops[3].args[0].i, 1);
	ck_assert_int_eq(sb.ops[3].args[1].i, 0);
	ck_assert(sb.ops[3].args[2].i == INT64_MIN);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

/* ---- text form ---- */

START_TEST(text_roundtrip_random)
{
	const esc_target *t = both[_i];
	uint8_t in[600];
	char err[256];
	rng_state = 0x2545f4914f6cdd1dull + (uint64_t)_i;
	for (unsigned iter = 0; iter < 3000; iter++) {
		size_t len = (size_t)(rng() % 601);
		uint64_t mask = (iter & 1) ? 0xff : 0x0f;
		for (size_t k = 0; k < len; k++)
			in[k] = (uint8_t)(rng() & mask);
		esc_decode(&sa, t, in, len);
		if (iter % 3 == 0)
			ck_assert_int_eq(esc_scn_set_expect(&sa, (unsigned)(iter % t->nprofiles),
							    (esc_verdict_kind)(iter % ESC_NVERDICTS)), 0);
		char *text = esc_print(&sa);
		ck_assert_ptr_nonnull(text);
		/* what print writes, a loader takes for text (no raw control bytes, no DEL) */
		ck_assert(esc_looks_like_text((const uint8_t *)text, strlen(text)));
		int rc = esc_parse(&sb, targets, text, strlen(text), err, sizeof(err));
		ck_assert_msg(rc == 0, "iter %u: %s\n%s", iter, err, text);
		ck_assert_msg(esc_scn_cmp(&sa, &sb) == 0, "iter %u: parse(print(s)) != s\n%s", iter,
			      text);
		char *again = esc_print(&sb);
		ck_assert_ptr_nonnull(again);
		ck_assert_str_eq(text, again);
		free(text);
		free(again);
	}
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

static const char messy[] =
	"# a header comment   \r\n"
	"target   test  \r\n"
	"expect lax    contained\r\n"
	"\t# between expects\r\n"
	"expect   hardened escape   policy-bypass\r\n"
	"note   first note  \r\n"
	"\r\n"
	"# comment before open\r\n"
	"$foo   =  open   \"/tmp/x\"   mode=rw\r\n"
	"$sock = socket port=80\r\n"
	"   nop\r\n"
	"$bar = open \"hello world\"\r\n"
	"# two-line\r\n"
	"#   comment\r\n"
	"write $foo 42 off=-5\r\n"
	"send $sock   $foo data=\"a\\x41\\\"\"\r\n"
	"\r\n"
	"   # trailing comment\r\n";

static const char canonical[] =
	"# escapade scenario\n"
	"# a header comment\n"
	"# between expects\n"
	"target test\n"
	"expect hardened escape policy-bypass\n"
	"expect lax      contained\n"
	"note first note\n"
	"\n"
	"# comment before open\n"
	"$0 = open   \"/tmp/x\" mode=rw\n"
	"$1 = socket port=80\n"
	"     nop\n"
	"     open   \"hello world\"\n"
	"# two-line\n"
	"#   comment\n"
	"     write  $0 42 off=-5\n"
	"     send   $1 $0 data=\"aA\\\"\"\n"
	"# trailing comment\n";

START_TEST(text_canonical_form)
{
	tu_parse(&sa, targets, messy);
	ck_assert_uint_eq(sa.nops, 6);
	ck_assert_uint_eq(sa.nexpect, 2);
	ck_assert_uint_eq(sa.expect[0].profile, TT_HARDENED);
	ck_assert_int_eq(sa.expect[0].kind, ESC_POLICY_BYPASS);
	ck_assert_uint_eq(sa.expect[1].profile, TT_LAX);
	ck_assert_int_eq(sa.expect[1].kind, ESC_CONTAINED);
	ck_assert_str_eq(sa.ops[5].args[2].s, "aA\"");
	char *text = esc_print(&sa);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, canonical);

	/* the canonical text is a fixpoint and describes the same scenario */
	tu_parse(&sb, targets, text);
	ck_assert_int_eq(esc_scn_cmp(&sa, &sb), 0);
	char *again = esc_print(&sb);
	ck_assert_ptr_nonnull(again);
	ck_assert_str_eq(again, canonical);

	/* esc_print_op: no padding, "$k = " only when used */
	char buf[64];
	ck_assert_str_eq(esc_print_op(&sa, 0, buf, sizeof(buf)), "$0 = open \"/tmp/x\" mode=rw");
	ck_assert_str_eq(esc_print_op(&sa, 3, buf, sizeof(buf)), "open \"hello world\"");
	free(text);
	free(again);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);

	/* stray carriage returns at the end of notes and comments are blanks too */
	static const char cr[] = "target test\r\nnote x \r\r\n# c\r \r\nnop\r\n";
	tu_parse(&sa, targets, cr);
	text = esc_print(&sa);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "# escapade scenario\ntarget test\nnote x\n\n# c\nnop\n");
	tu_parse(&sb, targets, text);
	ck_assert_int_eq(esc_scn_cmp(&sa, &sb), 0);
	free(text);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

static const struct {
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *pos, *reason;
} parse_errors[] = {
	{ "target nosuch\n", 0, "1:8: ", "unknown target 'nosuch'" },
	{ "# escapade scenario\n# c\ntarget  bogus\n", 0, "3:9: ", "unknown target 'bogus'" },
	{ "target test\n$0 = open \"/x\"\n  frob $0\n", 0, "3:3: ", "unknown op 'frob'" },
	{ "target vm2model\nvm.new nesting=yes\n", 0, "2:16: ", "unknown value 'yes' for nesting" },
	{ "target test\n$0 = open \"/x\" mode=wr\n", 0, "2:21: ", "unknown value 'wr' for mode" },
	{ "target test\nmix 1 delta\n", 0, "2:7: ", "unknown value 'delta' for tag" },
	{ "target test\nwrite $9 1\n", 0, "2:7: ", "$9 is not defined" },
	{ "target test\n$s = socket\nwrite $s 1\n", 0, "3:7: ", "$s is a sock, fd needs a fd" },
	{ "target test\n$a = open \"/x\"\n$b = socket\nsend $b $b\n", 0, "4:9: ",
	  "$b is a sock, fd needs a fd" },
	{ "target test\nopen \"abc\n", 0, "2:6: ", "unterminated string" },
	{ "target test\nnop\nopen \"ab\\\"\n", 0, "3:6: ", "unterminated string" },
	{ "target test\n$0 = open \"/x\"\nwrite $0\n", 0, "3:9: ", "write: missing argument n" },
	{ "target test\r\n$0 = open \"/x\"\r\nwrite $0\r\n", 0, "3:9: ",
	  "write: missing argument n" },
	{ "target test\nopen mode=rw\n", 0, "2:13: ", "open: missing argument path" },
	{ "target test\nsocket port=1 port=2\n", 0, "2:15: ", "port given twice" },
	{ "target test\nsocket speed=1\n", 0, "2:8: ", "unknown argument 'speed'" },
	{ "target test\nnop 1\n", 0, "2:5: ", "too many arguments" },
	{ "target test\nmix 201 alpha\n", 0, "2:5: ", "out of range" },
	{ "target test\nnop # x\n", 0, "2:5: ", "comments go on their own line" },
	{ "target test\nnop\nexpect lax contained\n", 0, "3:1: ", "header line 'expect' after" },
	{ "target test\nnop\n  note x\n", 0, "3:3: ", "header line 'note' after" },
	{ "target test\nnop\ntarget test\n", 0, "3:1: ", "header line 'target' after" },
	{ "target test\nexpect strict contained\n", 0, "2:8: ", "unknown profile 'strict'" },
	{ "target vm2model\nexpect  vm2-3.11.9 contained\n", 0, "2:9: ",
	  "unknown profile 'vm2-3.11.9'" },
	{ "nop\n", 0, "1:1: ", "expected 'target NAME'" },
	{ "", 0, "1:1: ", "empty file" },
	{ "target test\nno\0p\n", 17, "2:3: ", "NUL byte" },
	{ "\0", 1, "1:1: ", "NUL byte" },
};

START_TEST(parse_error_positions)
{
	const char *text = parse_errors[_i].text;
	size_t len = parse_errors[_i].len ? parse_errors[_i].len : strlen(text);
	char err[256] = "";
	int rc = esc_parse(&sa, targets, text, len, err, sizeof(err));
	ck_assert_msg(rc == ESC_E_PARSE, "case %d: rc %d, err '%s'", _i, rc, err);
	size_t pl = strlen(parse_errors[_i].pos);
	ck_assert_msg(strncmp(err, parse_errors[_i].pos, pl) == 0, "case %d: '%s', want '%s...'",
		      _i, err, parse_errors[_i].pos);
	ck_assert_msg(strstr(err + pl, parse_errors[_i].reason) != NULL,
		      "case %d: '%s' does not say '%s'", _i, err, parse_errors[_i].reason);
	ck_assert_uint_eq(sa.nops, 0); /* s is empty after an error */
	ck_assert_uint_eq(sa.nexpect, 0);
	ck_assert_ptr_null(sa.head);
}
END_TEST

START_TEST(looks_like_text)
{
#define LLT(lit) esc_looks_like_text((const uint8_t *)(lit), sizeof(lit) - 1)
	ck_assert(LLT("# escapade scenario\ntarget test\n"));
	ck_assert(LLT("target test\r\nnop\r\n"));
	ck_assert(LLT("\n\t  target test\n"));
	ck_assert(LLT(" \n"));
	ck_assert(!LLT(""));
	ck_assert(!LLT("nop\n"));
	ck_assert(!LLT("ESC\x01\x04test"));
	ck_assert(!LLT("target test\n\0"));
	ck_assert(!LLT("# x\x7f\n"));
	ck_assert(!LLT("\x00\x01\x02"));
	ck_assert(!LLT("# x\x1b[0m\n"));
#undef LLT
}
END_TEST

/* ---- runner ---- */

static const char escaping[] = "target test\n"
			       "$0 = open \"/tmp/x\"\n"
			       "nop\n"
			       "write $0 42\n"
			       "nop\n";
static const char harmless[] = "target test\n"
			       "$0 = open \"/tmp/x\"\n"
			       "write $0 41\n"
			       "write $0 43\n";

START_TEST(runner_reset_between_runs)
{
	esc_runner r;
	esc_verdict v1, v2, v3;
	tu_parse(&sa, targets, escaping);
	tu_parse(&sb, targets, harmless);
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	ck_assert_int_eq(esc_run(&r, &sa, &v1, NULL), 0);
	ck_assert_int_eq(v1.kind, ESC_POLICY_BYPASS);
	ck_assert_int_eq(v1.step, 2);
	ck_assert_str_eq(v1.chain, "host > fd#100");
	ck_assert_str_eq(v1.summary, "step 2: write 42 after 3 ops since reset");
	ck_assert(v1.signature == esc_signature(&sa, ESC_POLICY_BYPASS, 2));
	for (unsigned i = 0; i <= 2; i++)
		ck_assert_int_eq(r.status[i], ESC_STEP_OK);
	for (unsigned k = 0; k < 5; k++) {
		ck_assert_int_eq(esc_run(&r, &sb, &v2, NULL), 0);
		ck_assert_int_eq(v2.kind, ESC_CONTAINED);
		ck_assert_int_eq(v2.step, -1);
	}
	ck_assert_int_eq(esc_run(&r, &sa, &v3, NULL), 0);
	ck_assert_int_eq(v3.kind, v1.kind);
	ck_assert_int_eq(v3.step, v1.step);
	ck_assert(v3.signature == v1.signature);
	ck_assert_str_eq(v3.chain, v1.chain);
	ck_assert_str_eq(v3.summary, v1.summary);
	ck_assert_int_eq(memcmp(&v1, &v3, sizeof(v1)), 0);
	esc_runner_fini(&r);
	esc_runner_fini(&r); /* accepts a released runner */

	/* the profile reaches the target: lax allows the write */
	v2 = tu_run(&sa, TT_LAX);
	ck_assert_int_eq(v2.kind, ESC_CONTAINED);
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_NPROFILES), ESC_E_INVALID);
	esc_runner_fini(&r);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

/* esc_run refuses what esc_scn_validate refuses, before any op runs. */
START_TEST(runner_refuses_invalid)
{
	esc_runner r;
	esc_verdict v;
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	esc_scn_init(&sa, &test_target);
	sa.nops = 1;
	sa.ops[0].op = TT_OP_WRITE;
	sa.ops[0].args[0].i = -1; /* no producer */
	sa.ops[0].args[1].i = TT_BAD_VALUE;
	ck_assert_int_eq(esc_run(&r, &sa, &v, NULL), ESC_E_INVALID);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	sa.ops[0].args[0].i = 0; /* itself: not an earlier op */
	ck_assert_int_eq(esc_run(&r, &sa, &v, NULL), ESC_E_INVALID);
	sa.ops[0].op = TT_OP_SOCKET;
	sa.ops[0].args[1].i = 3; /* family has 3 values */
	ck_assert_int_eq(esc_run(&r, &sa, &v, NULL), ESC_E_INVALID);
	sa.ops[0].args[1].i = 2;
	sa.ops[0].args[0].i = 65536; /* port out of range */
	ck_assert_int_eq(esc_run(&r, &sa, &v, NULL), ESC_E_INVALID);
	sa.ops[0].args[0].i = 65535;
	ck_assert_int_eq(esc_run(&r, &sa, &v, NULL), 0);
	esc_scn_init(&sb, &vm2model_target); /* another target's scenario */
	ck_assert_int_eq(esc_run(&r, &sb, &v, NULL), ESC_E_INVALID);
	esc_runner_fini(&r);
}
END_TEST

/* The oracle above would notice a missed reset: replaying the escaping ops twice on one
 * state without reset no longer flags the second time. */
START_TEST(oracle_detects_missing_reset)
{
	tu_parse(&sa, targets, escaping);
	void *st = calloc(1, test_target.state_size);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(test_target.reset(st, TT_HARDENED), 0);
	int flagged[2] = { 0, 0 };
	for (int round = 0; round < 2; round++) {
		unsigned res[ESC_MAX_OPS] = { 0 };
		for (unsigned i = 0; i < sa.nops; i++) {
			esc_val vals[ESC_MAX_ARGS] = { { 0 } };
			const esc_op_desc *d = &test_target.ops[sa.ops[i].op];
			for (unsigned j = 0; j < d->nargs; j++) {
				vals[j].h = d->args[j].kind == ESC_ARG_HANDLE ? res[sa.ops[i].args[j].i] : 0;
				vals[j].e = (unsigned)sa.ops[i].args[j].i;
				vals[j].i = sa.ops[i].args[j].i;
				vals[j].s = sa.ops[i].args[j].s;
			}
			ck_assert_int_eq(d->run(st, vals, &res[i], NULL), 0);
			esc_verdict v;
			memset(&v, 0, sizeof(v));
			flagged[round] |= test_target.check(st, i, &v);
		}
	}
	ck_assert_int_eq(flagged[0], 1);
	ck_assert_int_eq(flagged[1], 0);
	free(st);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(runner_skips_users_of_failed_ops)
{
	static const char text[] = "target test\n"
				   "$0 = fail 7\n"          /* 0 failed */
				   "$1 = dup $0\n"          /* 1 skipped */
				   "write $1 42\n"          /* 2 skipped: no verdict */
				   "$2 = open \"/tmp/x\"\n" /* 3 */
				   "$3 = dup $2\n"          /* 4 */
				   "write $3 1\n"           /* 5 */
				   "$4 = socket\n"          /* 6 */
				   "send $4 $1\n"           /* 7 skipped */
				   "send $4 $3\n"           /* 8 */
				   "$5 = accept $4\n"       /* 9 */
				   "nop\n";                 /* 10 */
	static const esc_step_status want[] = {
		ESC_STEP_FAILED, ESC_STEP_SKIPPED, ESC_STEP_SKIPPED, ESC_STEP_OK, ESC_STEP_OK,
		ESC_STEP_OK, ESC_STEP_OK, ESC_STEP_SKIPPED, ESC_STEP_OK, ESC_STEP_OK, ESC_STEP_OK,
	};
	tu_parse(&sa, targets, text);
	ck_assert_uint_eq(sa.nops, sizeof(want) / sizeof(want[0]));
	esc_runner r;
	esc_verdict v;
	char *trace = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&trace, &tlen);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(esc_runner_init(&r, &test_target, TT_HARDENED), 0);
	ck_assert_int_eq(esc_run(&r, &sa, &v, f), 0);
	fclose(f);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ck_assert_int_eq(v.step, -1);
	for (unsigned i = 0; i < sa.nops; i++)
		ck_assert_msg(r.status[i] == want[i], "step %u: status %d, want %d", i, r.status[i],
			      want[i]);
	ck_assert_uint_eq(r.res[3], 100);  /* first fd */
	ck_assert_uint_eq(r.res[4], 1100); /* dup */
	ck_assert_uint_eq(r.res[6], 200);  /* first socket */
	ck_assert_uint_eq(r.res[9], 1200); /* accept */
	ck_assert_ptr_nonnull(strstr(trace, "skipped"));

	/* the same plus a bad write through the dup'ed fd: flagged at its step */
	static const char more[] = "write $3 42\n";
	char *t2 = malloc(sizeof(text) + sizeof(more));
	ck_assert_ptr_nonnull(t2);
	snprintf(t2, sizeof(text) + sizeof(more), "%s%s", text, more);
	tu_parse(&sb, targets, t2);
	ck_assert_int_eq(esc_run(&r, &sb, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_POLICY_BYPASS);
	ck_assert_int_eq(v.step, 11);
	ck_assert_str_eq(v.chain, "host > fd#1100");
	esc_runner_fini(&r);
	free(trace);
	free(t2);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
}
END_TEST

/* Random decoded scenarios on every profile: esc_run succeeds, a verdict names a step
 * that ran (ok or refused, never skipped), and carries that step's signature. */
START_TEST(runner_on_random_scenarios)
{
	const esc_target *t = both[_i];
	uint8_t in[300];
	FILE *devnull = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(devnull);
	rng_state = 0xd1b54a32d192ed03ull + (uint64_t)_i;
	unsigned escapes = 0;
	for (unsigned p = 0; p < t->nprofiles; p++) {
		esc_runner r;
		ck_assert_int_eq(esc_runner_init(&r, t, p), 0);
		for (unsigned iter = 0; iter < 1000; iter++) {
			size_t len = (size_t)(rng() % sizeof(in));
			for (size_t k = 0; k < len; k++)
				in[k] = (uint8_t)(rng() & 0x3f);
			esc_decode(&sa, t, in, len);
			esc_verdict v;
			ck_assert_int_eq(esc_run(&r, &sa, &v, iter % 50 ? NULL : devnull), 0);
			ck_assert_int_lt(v.kind, ESC_NVERDICTS);
			if (v.kind == ESC_CONTAINED) {
				ck_assert_int_eq(v.step, -1);
				continue;
			}
			escapes++;
			ck_assert_int_ge(v.step, 0);
			ck_assert_int_lt(v.step, (int)sa.nops);
			/* the violating op ran (a throwing op can be the escape: a raw host
			 * exception reaching the sandbox), it was not skipped */
			ck_assert_int_ne(r.status[v.step], ESC_STEP_SKIPPED);
			ck_assert(v.signature == esc_signature(&sa, v.kind, (unsigned)v.step));
			ck_assert_uint_gt(strlen(v.chain), 0);
		}
		esc_runner_fini(&r);
	}
	ck_assert_uint_gt(escapes, 0);
	fclose(devnull);
	esc_scn_clear(&sa);
}
END_TEST

/* ---- signatures ---- */

START_TEST(signature_follows_data_flow)
{
	tu_parse(&sa, targets,
		 "target test\n"
		 "$0 = open \"/tmp/x\" mode=rw\n"
		 "write $0 42\n");
	tu_parse(&sb, targets,
		 "target test\n"
		 "nop\n"
		 "$0 = socket port=7\n"
		 "$1 = open \"/etc/passwd\"\n"
		 "mix 3 gamma label=\"x\"\n"
		 "$2 = open \"/tmp/x\" mode=rw\n"
		 "write $1 5\n"
		 "send $0 $1\n"
		 "$3 = accept $0\n"
		 "write $2 42\n"
		 "nop\n"
		 "write $2 3\n");
	esc_verdict va = tu_run(&sa, TT_HARDENED), vb = tu_run(&sb, TT_HARDENED);
	ck_assert_int_eq(va.kind, ESC_POLICY_BYPASS);
	ck_assert_int_eq(vb.kind, ESC_POLICY_BYPASS);
	ck_assert_int_eq(va.step, 1);
	ck_assert_int_eq(vb.step, 8);
	uint64_t sig = esc_signature(&sa, ESC_POLICY_BYPASS, 1);
	ck_assert(va.signature == sig);
	ck_assert(vb.signature == sig);
	ck_assert(esc_signature(&sb, ESC_POLICY_BYPASS, 8) == sig);
	ck_assert(esc_signature(&sa, ESC_HOST_EXECUTION, 1) != sig); /* the kind counts */

	/* changing an op on the path changes it */
	static const char *const changed[] = {
		"target test\n$0 = open \"/tmp/x\" mode=append\nwrite $0 42\n",
		"target test\n$0 = open \"/tmp/y\" mode=rw\nwrite $0 42\n",
		"target test\n$0 = open \"/tmp/x\" mode=rw\nwrite $0 42 off=1\n",
		"target test\n$0 = open \"/tmp/x\" mode=rw\n$1 = dup $0\nwrite $1 42\n",
	};
	for (unsigned k = 0; k < sizeof(changed) / sizeof(changed[0]); k++) {
		tu_parse(&sc, targets, changed[k]);
		esc_verdict vc = tu_run(&sc, TT_HARDENED);
		ck_assert_int_eq(vc.kind, ESC_POLICY_BYPASS);
		ck_assert_msg(vc.signature != sig, "case %u: same signature", k);
	}

	/* a longer path with unrelated ops interleaved keeps its own signature */
	tu_parse(&sa, targets, "target test\n$0 = open \"/tmp/x\"\n$1 = dup $0\nwrite $1 42\n");
	tu_parse(&sb, targets,
		 "target test\n$0 = open \"/tmp/x\"\n$9 = open \"/tmp/x\"\nnop\n"
		 "$1 = dup $0\n$2 = dup $9\nwrite $2 1\nwrite $1 42\n");
	va = tu_run(&sa, TT_HARDENED);
	vb = tu_run(&sb, TT_HARDENED);
	ck_assert_int_eq(vb.step, 6);
	ck_assert(va.signature == vb.signature);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	esc_scn_clear(&sc);
}
END_TEST

/* ---- loading ---- */

START_TEST(load_buf_forms)
{
	char err[512];
	uint8_t *buf = NULL;
	size_t len = 0;
	tu_parse(&sa, targets,
		 "target test\n$0 = open \"raw\\x01bytes\" mode=append\n$1 = socket port=65535\n"
		 "send $1 $0 data=\"hello world\"\nmix -3 gamma wide=-9223372036854775808\n");
	ck_assert_int_eq(esc_container(&sa, &buf, &len), 0);
	ck_assert_uint_gt(len, 9);
	ck_assert_mem_eq(buf, "ESC\x01\x04test", 9);
	ck_assert_int_eq(esc_load_buf(&sb, targets, "mem", buf, len, NULL, err, sizeof(err)), 0);
	ck_assert_ptr_eq(sb.target, &test_target);
	ck_assert_int_eq(esc_scn_cmp_ops(&sa, &sb), 0);

	/* a truncated container header is refused, however short */
	for (size_t cut = 4; cut < 9; cut++) {
		ck_assert_int_eq(esc_load_buf(&sb, targets, "mem", buf, cut, NULL, err, sizeof(err)),
				 ESC_E_PARSE);
		ck_assert_str_eq(err, "mem: truncated binary container header");
	}
	static const uint8_t unknown[] = "ESC\x01\x03xyz\x07";
	ck_assert_int_eq(esc_load_buf(&sb, targets, "mem", unknown, sizeof(unknown) - 1, NULL, err,
				      sizeof(err)), ESC_E_PARSE);
	ck_assert_ptr_nonnull(strstr(err, "unknown target 'xyz'"));
	free(buf);

	/* raw binary: refused without raw_target, decoded with it */
	static const uint8_t raw[] = { TT_OP_OPEN, 1, 2, TT_OP_WRITE, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(esc_load_buf(&sb, targets, "raw", raw, sizeof(raw), NULL, err, sizeof(err)),
			 ESC_E_PARSE);
	ck_assert_uint_eq(strncmp(err, "raw: not a scenario", 19), 0);
	ck_assert_int_eq(esc_load_buf(&sb, targets, "raw", raw, sizeof(raw), &test_target, err,
				      sizeof(err)), 0);
	esc_decode(&sc, &test_target, raw, sizeof(raw));
	ck_assert_uint_eq(sb.nops, 2);
	ck_assert_int_eq(esc_scn_cmp_ops(&sb, &sc), 0);

	/* empty: a raw fuzzer input's empty scenario (what the fuzz binary ran), else refused */
	ck_assert_int_eq(esc_load_buf(&sb, targets, "e", raw, 0, &test_target, err, sizeof(err)), 0);
	ck_assert_ptr_eq(sb.target, &test_target);
	ck_assert_uint_eq(sb.nops, 0);
	ck_assert_int_eq(esc_load_buf(&sb, targets, "e", raw, 0, NULL, err, sizeof(err)),
			 ESC_E_PARSE);
	ck_assert_str_eq(err, "e: empty file");
	/* a refusal is one line: control bytes of the input become '?'; a NUL in a
	 * container's target name names no target */
	static const uint8_t nl_name[] = "ESC\x01\x03" "a\nb\x07";
	ck_assert_int_eq(esc_load_buf(&sb, targets, "n", nl_name, sizeof(nl_name) - 1, NULL, err,
				      sizeof(err)), ESC_E_PARSE);
	ck_assert_str_eq(err, "n: unknown target 'a?b' in binary container");
	static const uint8_t nul_name[] = "ESC\x01\x05test\0\x07";
	ck_assert_int_eq(esc_load_buf(&sb, targets, "z", nul_name, sizeof(nul_name) - 1, NULL, err,
				      sizeof(err)), ESC_E_PARSE);
	ck_assert_ptr_nonnull(strstr(err, "unknown target 'test' in binary container"));
	static const char cr_token[] = "target test\nno\rp\n";
	ck_assert_int_eq(esc_load_buf(&sb, targets, "c", (const uint8_t *)cr_token,
				      sizeof(cr_token) - 1, NULL, err, sizeof(err)), ESC_E_PARSE);
	ck_assert_ptr_null(strchr(err, '\r'));
	/* oversized */
	uint8_t *big = calloc(1, (size_t)ESC_MAX_FILE + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(esc_load_buf(&sb, targets, "big", big, ESC_MAX_FILE + 1, &test_target, err,
				      sizeof(err)), ESC_E_TOOBIG);
	ck_assert_uint_eq(strncmp(err, "big: too large", 14), 0);
	free(big);

	/* text: errors carry the name, then LINE:COL */
	static const char bad[] = "target test\nwrite $9 1\n";
	ck_assert_int_eq(esc_load_buf(&sb, targets, "t.scn", (const uint8_t *)bad, sizeof(bad) - 1,
				      NULL, err, sizeof(err)), ESC_E_PARSE);
	ck_assert_uint_eq(strncmp(err, "t.scn:2:7: ", 11), 0);
	ck_assert_int_eq(esc_load_file(&sb, targets, "/nonexistent/escapade.scn", NULL, err,
				       sizeof(err)), ESC_E_IO);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	esc_scn_clear(&sc);
}
END_TEST

/* ---- scenario housekeeping ---- */

START_TEST(scn_copy_and_expect)
{
	tu_parse(&sa, targets, "target test\nexpect lax contained\nnote n1\n# c\nnop\n# t\n");
	esc_scn_init(&sb, NULL);
	ck_assert_int_eq(esc_scn_copy(&sb, &sa), 0);
	ck_assert_int_eq(esc_scn_cmp(&sa, &sb), 0);
	ck_assert_ptr_ne(sa.notes[0], sb.notes[0]); /* deep */
	sb.notes[0][0] = 'X';
	ck_assert_int_ne(esc_scn_cmp(&sa, &sb), 0);
	ck_assert_int_eq(esc_scn_cmp_ops(&sa, &sb), 0);

	ck_assert_int_eq(esc_scn_set_expect(&sa, TT_HARDENED, ESC_AUDIT_GAP), 0);
	ck_assert_uint_eq(sa.nexpect, 2);
	ck_assert_uint_eq(sa.expect[0].profile, TT_HARDENED); /* kept sorted */
	ck_assert_int_eq(esc_scn_set_expect(&sa, TT_HARDENED, ESC_REFERENCE_LEAK), 0);
	ck_assert_uint_eq(sa.nexpect, 2);
	ck_assert_int_eq(sa.expect[esc_scn_find_expect(&sa, TT_HARDENED)].kind, ESC_REFERENCE_LEAK);
	ck_assert_int_eq(esc_scn_find_expect(&sc, TT_LAX), -1);
	for (int k = 0; k < ESC_NVERDICTS; k++)
		ck_assert_int_eq(esc_verdict_from_name(esc_verdict_name((esc_verdict_kind)k)), k);
	ck_assert_int_eq(esc_verdict_from_name("nonsense"), -1);
	esc_scn_clear(&sa);
	esc_scn_clear(&sb);
	esc_scn_clear(NULL);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, target_tables_validate);
	tcase_add_test(tc, scn_copy_and_expect);
	suite_add_tcase(s, tc);

	tc = tcase_create("binary");
	tcase_set_timeout(tc, 0);
	tcase_add_loop_test(tc, decode_is_total, 0, 2);
	tcase_add_test(tc, decode_exhausted_gives_minimum);
	tcase_add_test(tc, encode_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_set_timeout(tc, 0);
	tcase_add_loop_test(tc, text_roundtrip_random, 0, 2);
	tcase_add_test(tc, text_canonical_form);
	tcase_add_loop_test(tc, parse_error_positions, 0,
			    (int)(sizeof(parse_errors) / sizeof(parse_errors[0])));
	tcase_add_test(tc, looks_like_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_test(tc, runner_reset_between_runs);
	tcase_add_test(tc, runner_refuses_invalid);
	tcase_add_test(tc, oracle_detects_missing_reset);
	tcase_add_test(tc, runner_skips_users_of_failed_ops);
	tcase_add_loop_test(tc, runner_on_random_scenarios, 0, 2);
	tcase_add_test(tc, signature_follows_data_flow);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, load_buf_forms);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(core_suite());
	/* one process: leaks are reported by LeakSanitizer at exit */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

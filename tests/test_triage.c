/* Check suite for triage (repro/: replay.c, triage.c, the report writers, files.c),
 * linked with the escapade command's library. A synthetic target `crashy` whose ops
 * crash, hang, overflow a heap buffer, leak, or escape every other time lets the forked
 * replays be tested on what real targets do when they break: each is classified by its
 * report (sanitizer type, top frames), hangs by the time bound, flaky escapes by replaying.
 * The whole `escapade triage` then runs in process on a folder of such inputs, and its
 * SARIF is checked field by field against what SARIF 2.1.0 and code scanning require
 * (no copy of the schema is available offline).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "escapade/run.h"
#include "known.h"
#include "replay.h"
#include "testtarget.h"
#include "testutil.h"
#include "triage.h"
#include "vm2model.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

/* ---- the crashy target ---- */

typedef struct cr_state {
	int ev;
} cr_state;

static int cr_reset(void *state, unsigned profile)
{
	(void)profile;
	((cr_state *)state)->ev = 0;
	return 0;
}

__attribute__((noinline)) static int op_nop(void *state, const esc_val *a, unsigned *out,
					    esc_ctx *ctx)
{
	(void)state, (void)a, (void)out, (void)ctx;
	return 0;
}

__attribute__((noinline)) static int op_segv(void *state, const esc_val *a, unsigned *out,
					     esc_ctx *ctx)
{
	(void)state, (void)a, (void)out, (void)ctx;
	raise(SIGSEGV);
	return 0;
}

__attribute__((noinline)) static int op_spin(void *state, const esc_val *a, unsigned *out,
					     esc_ctx *ctx)
{
	(void)state, (void)a, (void)out, (void)ctx;
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

__attribute__((noinline)) static int op_overflow(void *state, const esc_val *a, unsigned *out,
						 esc_ctx *ctx)
{
	(void)state, (void)a, (void)out, (void)ctx;
	char *p = malloc(8);
	volatile char *volatile q = p; /* hidden from UBSan's object-size check, and kept */
	volatile int i = 8;
	if (q)
		q[i] = 1;
	free(p);
#ifndef HAVE_ASAN
	raise(SIGBUS);
#endif
	return 0;
}

__attribute__((noinline)) static void *leak_make(void)
{
	char *p = malloc(64);
	if (p)
		memset(p, 1, 64);
	return p;
}

__attribute__((noinline)) static int op_leak(void *state, const esc_val *a, unsigned *out,
					     esc_ctx *ctx)
{
	(void)state, (void)a, (void)out, (void)ctx;
	void *volatile p = leak_make();
	p = NULL; /* lost */
	(void)p;
	volatile char scrub[1024]; /* and no copy left in this frame's neighbourhood */
	memset((char *)scrub, 0, sizeof(scrub));
	return 0;
}

/* escapes on every odd call, counted in the file $ESC_TEST_COUNTER (across processes) */
static int op_flaky(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	(void)a, (void)out, (void)ctx;
	const char *path = getenv("ESC_TEST_COUNTER");
	int fd = path ? open(path, O_RDWR | O_CREAT, 0644) : -1;
	unsigned n = 0;
	if (fd >= 0) {
		if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
			n = 0;
		n++;
		if (pwrite(fd, &n, sizeof(n), 0) != (ssize_t)sizeof(n))
			n = 0;
		close(fd);
	}
	((cr_state *)state)->ev = n % 2;
	return 0;
}

static int op_bad(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	(void)a, (void)out, (void)ctx;
	((cr_state *)state)->ev = 1;
	return 0;
}

static int cr_check(void *state, unsigned step, esc_verdict *v)
{
	cr_state *st = state;
	if (!st->ev)
		return 0;
	st->ev = 0;
	v->kind = ESC_POLICY_BYPASS;
	snprintf(v->chain, sizeof(v->chain), "host > cr#1");
	snprintf(v->summary, sizeof(v->summary), "step %u did what it must not", step);
	return 1;
}

static unsigned cr_principals(void *state, esc_principal *out, unsigned max)
{
	(void)state;
	if (!max)
		return 0;
	snprintf(out[0].name, sizeof(out[0].name), "cr#1");
	out[0].parent = -1;
	snprintf(out[0].label, sizeof(out[0].label), "the only one");
	return 1;
}

static const char *const cr_profiles[] = { "hardened" };
static const char *const cr_res[] = { "none" };
static const esc_op_desc cr_ops[] = {
	{ .name = "cr.nop", .produces = ESC_NO_RES, .run = op_nop },
	{ .name = "cr.segv", .produces = ESC_NO_RES, .run = op_segv },
	{ .name = "cr.spin", .produces = ESC_NO_RES, .run = op_spin },
	{ .name = "cr.overflow", .produces = ESC_NO_RES, .run = op_overflow },
	{ .name = "cr.leak", .produces = ESC_NO_RES, .run = op_leak },
	{ .name = "cr.flaky", .produces = ESC_NO_RES, .run = op_flaky },
	{ .name = "cr.bad", .produces = ESC_NO_RES, .run = op_bad },
};

static const esc_target crashy_target = {
	.name = "crashy",
	.res_kinds = cr_res,
	.nres = 1,
	.ops = cr_ops,
	.nops = sizeof(cr_ops) / sizeof(cr_ops[0]),
	.profiles = cr_profiles,
	.nprofiles = 1,
	.state_size = sizeof(cr_state),
	.reset = cr_reset,
	.check = cr_check,
	.principals = cr_principals,
};

/* the command's library looks targets up here */
const esc_target *const esc_targets[] = { &vm2model_target, &crashy_target, &test_target, NULL };

/* ---- helpers ---- */

static esc_scn sa;

static char tmpdir[256];

static void make_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/escapade-test-triage.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* tmpdir/rel, in a static buffer (one at a time) */
static const char *at(const char *rel)
{
	static char path[1024];
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", tmpdir, rel), (int)sizeof(path));
	return path;
}

static int exists(const char *rel)
{
	struct stat st;
	return stat(at(rel), &st) == 0;
}

/* Number of entries of tmpdir whose name starts with prefix. */
static unsigned count_prefix(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	unsigned n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

static int triage(const char *const *args, int n)
{
	char *argv[32];
	ck_assert_int_lt(n, 32);
	for (int i = 0; i < n; i++)
		argv[i] = (char *)args[i];
	return cmd_triage(n, argv);
}

/* ---- report classification ---- */

START_TEST(classify_asan_heap_overflow)
{
	const char *rep =
		"=================================================================\n"
		"==123==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602 at pc 0x55 bp sp\n"
		"WRITE of size 1 at 0x602000000018 thread T0\n"
		"    #0 0x55d0c1 in op_overflow /src/t.c:12\n"
		"    #1 0x55d0c2 in esc_run /src/run.c:99\n"
		"    #2 0x55d0c3 in job_replay /src/replay.c:10\n"
		"    #3 0x55d0c4 in main /src/main.c:1\n"
		"\n"
		"0x602000000018 is located 0 bytes to the right of 8-byte region\n"
		"allocated by thread T0 here:\n"
		"    #0 0x7f in __interceptor_malloc asan_malloc_linux.cpp:69\n"
		"    #1 0x55 in op_overflow /src/t.c:10\n"
		"SUMMARY: AddressSanitizer: heap-buffer-overflow /src/t.c:12 in op_overflow\n";
	char type[64], fr[RP_NFRAMES][128];
	unsigned n;
	ck_assert_int_eq(rp_classify_report(rep, type, sizeof(type), fr, &n), RP_CRASH);
	ck_assert_str_eq(type, "heap-buffer-overflow");
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(fr[0], "op_overflow");
	ck_assert_str_eq(fr[1], "esc_run");
	ck_assert_str_eq(fr[2], "job_replay");
}
END_TEST

START_TEST(classify_other_reports)
{
	char type[64], fr[RP_NFRAMES][128];
	unsigned n;
	const char *dfree = "==1==ERROR: AddressSanitizer: attempting double-free on 0x60 in thread T0:\n"
			    "    #0 0x7f in __interceptor_free x.cpp:1\n"
			    "    #1 0x55 in release_thing /a.c:3\n";
	ck_assert_int_eq(rp_classify_report(dfree, type, sizeof(type), fr, &n), RP_CRASH);
	ck_assert_str_eq(type, "double-free");
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(fr[0], "release_thing");
	const char *leak = "\n=================================================================\n"
			   "==9==ERROR: LeakSanitizer: detected memory leaks\n\n"
			   "Direct leak of 64 byte(s) in 1 object(s) allocated from:\n"
			   "    #0 0x7f in __interceptor_malloc x.cpp:69\n"
			   "    #1 0x55 in op_leak /t.c:5\n"
			   "    #2 0x55 in esc_run /run.c:9\n";
	ck_assert_int_eq(rp_classify_report(leak, type, sizeof(type), fr, &n), RP_LEAK);
	ck_assert_str_eq(type, "leak");
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(fr[0], "op_leak");
	const char *ub = "/work/x/targets/foo/foo.c:41:12: runtime error: signed integer overflow: "
			 "2147483647 + 1 cannot be represented in type 'int'\n"
			 "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior foo.c:41:12 in\n";
	ck_assert_int_eq(rp_classify_report(ub, type, sizeof(type), fr, &n), RP_CRASH);
	ck_assert_str_eq(type, "undefined-behavior");
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(fr[0], "foo.c:41:12");
	const char *segv = "==5==ERROR: AddressSanitizer: SEGV on unknown address 0x000 (pc 0x1)\n"
			   "==5==The signal is caused by a READ memory access.\n"
			   "    #0 0x1 in deref_it /d.c:2\n";
	ck_assert_int_eq(rp_classify_report(segv, type, sizeof(type), fr, &n), RP_CRASH);
	ck_assert_str_eq(type, "SEGV");
	ck_assert_str_eq(fr[0], "deref_it");
	ck_assert_int_eq(rp_classify_report("just some output\nERROR: nothing\n", type,
					    sizeof(type), fr, &n), RP_CONTAINED);
	ck_assert_int_eq(rp_classify_report(NULL, type, sizeof(type), fr, &n), RP_CONTAINED);
	/* what the target printed is not trusted to be tidy (found by fuzz_triage): a report
	 * that names no type, an empty frame name, control bytes in names */
	const char *odd = "==1==ERROR: AddressSanitizer:  odd\n"
			  "    #0 0x1 in \x1b[31mfake\n"
			  "    #1 0x2 in  x\n"
			  "    #2 0x3 in real_one /r.c:1\n";
	ck_assert_int_eq(rp_classify_report(odd, type, sizeof(type), fr, &n), RP_CRASH);
	ck_assert_str_eq(type, "unknown");
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(fr[0], "?[31mfake");
	ck_assert_str_eq(fr[1], "real_one");
	ck_assert_int_eq(rp_classify_report(": runtime error: x\n", type, sizeof(type), fr, &n),
			 RP_CRASH);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- forked replays ---- */

START_TEST(replay_escape_with_principals)
{
	tu_load(&sa, esc_targets,
		ESC_SOURCE_DIR "/corpora/regressions/vm2model/GHSA-8hr7-r645-pc6w.scn");
	rp_result r;
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rp_replay(&sa, VM2_3_11_4, 10000, &r), 0);
	ck_assert_int_eq(r.cls, RP_ESCAPE);
	ck_assert_int_eq(r.v.kind, ESC_PRIVILEGE_AMPLIFICATION);
	ck_assert_int_eq(r.v.step, 3);
	ck_assert_int_eq(r.last_step, 3);
	ck_assert_str_eq(r.v.chain, "host > vm#1 > vm#2");
	ck_assert_uint_eq(r.nprin, 2);
	ck_assert_str_eq(r.prin[0].name, "vm#1");
	ck_assert_int_eq(r.prin[0].parent, -1);
	ck_assert_int_eq(r.prin[1].parent, 0);
	char kind[32];
	uint64_t sig;
	rp_key(&sa, &r, kind, sizeof(kind), &sig);
	ck_assert_str_eq(kind, "privilege-amplification");
	ck_assert(sig == r.v.signature);
	rp_result_clear(&r);
	ck_assert_int_eq(rp_replay(&sa, VM2_3_11_7, 10000, &r), 0);
	ck_assert_int_eq(r.cls, RP_CONTAINED);
	rp_result_clear(&r);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(replay_crash_is_classified)
{
	tu_parse(&sa, esc_targets,
		 "target crashy\n     cr.nop\n     cr.nop\n     cr.segv\n     cr.nop\n");
	rp_result r;
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rp_replay(&sa, 0, 10000, &r), 0);
	ck_assert_int_eq(r.cls, RP_CRASH);
	ck_assert_int_eq(r.last_step, 2);
	ck_assert_msg(strstr(r.crash_type, "SEGV") != NULL, "type %s", r.crash_type);
#ifdef HAVE_ASAN
	ck_assert_uint_ge(r.nframes, 1);
	ck_assert_str_eq(r.frames[0], "op_segv");
	ck_assert_ptr_nonnull(strstr(r.report, "AddressSanitizer"));
#endif
	char k1[32], k2[32];
	uint64_t s1, s2;
	rp_key(&sa, &r, k1, sizeof(k1), &s1);
	ck_assert_str_eq(k1, "sanitizer");
	rp_result_clear(&r);
	/* the same crash with other noise has the same key */
	esc_scn_clear(&sa);
	tu_parse(&sa, esc_targets, "target crashy\n     cr.segv\n");
	ck_assert_int_eq(rp_replay(&sa, 0, 10000, &r), 0);
	rp_key(&sa, &r, k2, sizeof(k2), &s2);
	ck_assert_str_eq(k2, "sanitizer");
	ck_assert(s1 == s2);
	rp_result_clear(&r);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(replay_hang_is_bounded)
{
	tu_parse(&sa, esc_targets, "target crashy\n     cr.nop\n     cr.spin\n");
	rp_result r;
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rp_replay(&sa, 0, 300, &r), 0);
	ck_assert_int_eq(r.cls, RP_HANG);
	ck_assert_int_eq(r.last_step, 1);
	char kind[32];
	uint64_t sig;
	rp_key(&sa, &r, kind, sizeof(kind), &sig);
	ck_assert_str_eq(kind, "hang");
	rp_result_clear(&r);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(replay_memory_errors)
{
#ifdef HAVE_ASAN
	tu_parse(&sa, esc_targets, "target crashy\n     cr.overflow\n");
	rp_result r;
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rp_replay(&sa, 0, 10000, &r), 0);
	ck_assert_int_eq(r.cls, RP_CRASH);
	ck_assert_str_eq(r.crash_type, "heap-buffer-overflow");
	ck_assert_str_eq(r.frames[0], "op_overflow");
	rp_result_clear(&r);
	esc_scn_clear(&sa);
	tu_parse(&sa, esc_targets, "target crashy\n     cr.leak\n     cr.nop\n");
	ck_assert_int_eq(rp_replay(&sa, 0, 10000, &r), 0);
	ck_assert_int_eq(r.cls, RP_LEAK);
	ck_assert_str_eq(r.frames[0], "leak_make");
	ck_assert_str_eq(r.frames[1], "op_leak");
	rp_result_clear(&r);
	esc_scn_clear(&sa);
#endif
}
END_TEST

/* ---- lines, files ---- */

START_TEST(op_lines_follow_the_canonical_text)
{
	tu_parse(&sa, esc_targets,
		 "target test\nexpect hardened escape policy-bypass\nnote n1\nnote n2\n"
		 "# c1\n# c2\n$0 = open \"x\"\n     nop\n# c3\n     write $0 42\n");
	char *text = esc_print(&sa);
	/* find each op's line in the printed text */
	unsigned want[3] = { 0 }, line = 1, k = 0;
	for (const char *p = text; *p && k < 3; p++) {
		if (p == text || p[-1] == '\n') {
			if (!strncmp(p, "$0 = open", 9) || !strncmp(p, "     nop", 8) ||
			    !strncmp(p, "     write", 10))
				want[k++] = line;
		}
		line += *p == '\n';
	}
	free(text);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(kn_op_line(&sa, i), want[i]);
	esc_scn_clear(&sa);
}
END_TEST

START_TEST(write_new_never_overwrites)
{
	make_tmp();
	char path[512];
	snprintf(path, sizeof(path), "%s/r.scn", tmpdir);
	ck_assert_int_eq(cli_write_new(path, "one\n", 4), 0);
	errno = 0;
	ck_assert_int_eq(cli_write_new(path, "two\n", 4), -1);
	ck_assert_int_eq(errno, EEXIST);
	size_t len;
	char *got = cli_slurp(path, 100, &len);
	ck_assert_str_eq(got, "one\n");
	free(got);
	ck_assert_uint_eq(count_prefix(".r.scn.tmp"), 0);
	/* a failed write leaves nothing */
	setenv("ESCAPADE_FAULT", "write:2", 1); /* one write so far (the refused one wrote nothing) */
	snprintf(path, sizeof(path), "%s/s.scn", tmpdir);
	ck_assert_int_eq(cli_write_new(path, "x", 1), -1);
	ck_assert_int_eq(errno, EIO);
	unsetenv("ESCAPADE_FAULT");
	ck_assert(!exists("s.scn"));
	ck_assert_uint_eq(count_prefix(".s.scn.tmp"), 0);
	cli_rm_tree(tmpdir);
}
END_TEST

/* ---- the whole triage, in process ---- */

static json_t *load_json(const char *rel)
{
	char path[512];
	json_error_t je;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	json_t *j = json_load_file(path, 0, &je);
	ck_assert_msg(j != NULL, "%s: %s (line %d)", path, je.text, je.line);
	return j;
}

static const char *str_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}

/* What SARIF 2.1.0 requires (and what GitHub code scanning reads) of our log. */
static void check_sarif(json_t *s, size_t nresults)
{
	ck_assert_str_eq(str_at(s, "version"), "2.1.0");
	ck_assert_ptr_nonnull(strstr(str_at(s, "$schema"), "sarif"));
	json_t *runs = json_object_get(s, "runs");
	ck_assert(json_is_array(runs) && json_array_size(runs) == 1);
	json_t *run = json_array_get(runs, 0);
	json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
	ck_assert(json_is_object(driver));
	ck_assert_str_eq(str_at(driver, "name"), "escapade");
	str_at(driver, "version");
	json_t *rules = json_object_get(driver, "rules");
	ck_assert(json_is_array(rules) && json_array_size(rules) >= 10);
	size_t i;
	json_t *rule;
	json_array_foreach(rules, i, rule) {
		str_at(rule, "id");
		str_at(json_object_get(rule, "shortDescription"), "text");
		json_t *props = json_object_get(rule, "properties");
		json_t *tags = json_object_get(props, "tags");
		ck_assert(json_is_array(tags));
		int security = 0;
		for (size_t t = 0; t < json_array_size(tags); t++)
			security |= !strcmp(json_string_value(json_array_get(tags, t)), "security");
		ck_assert(security);
		const char *sev = str_at(props, "security-severity"); /* a string, per GitHub */
		char *end;
		double d = strtod(sev, &end);
		ck_assert(!*end && d > 0.0 && d <= 10.0);
	}
	json_t *results = json_object_get(run, "results");
	ck_assert(json_is_array(results));
	ck_assert_uint_eq(json_array_size(results), nresults);
	json_t *res;
	json_array_foreach(results, i, res) {
		const char *rid = str_at(res, "ruleId");
		json_t *ri = json_object_get(res, "ruleIndex");
		ck_assert(json_is_integer(ri));
		ck_assert_str_eq(str_at(json_array_get(rules, (size_t)json_integer_value(ri)), "id"), rid);
		const char *level = str_at(res, "level");
		ck_assert(!strcmp(level, "error") || !strcmp(level, "warning") ||
			  !strcmp(level, "note") || !strcmp(level, "none"));
		ck_assert(strlen(str_at(json_object_get(res, "message"), "text")) > 0);
		json_t *locs = json_object_get(res, "locations");
		ck_assert(json_is_array(locs) && json_array_size(locs) >= 1);
		json_t *pl = json_object_get(json_array_get(locs, 0), "physicalLocation");
		const char *uri = str_at(json_object_get(pl, "artifactLocation"), "uri");
		json_t *base = json_object_get(json_object_get(pl, "artifactLocation"), "uriBaseId");
		if (base) {
			ck_assert(uri[0] != '/' && strncmp(uri, "file:", 5));
			json_t *bases = json_object_get(run, "originalUriBaseIds");
			ck_assert_ptr_nonnull(json_object_get(bases, json_string_value(base)));
		} else {
			ck_assert(!strncmp(uri, "file:///", 8));
		}
		json_t *line = json_object_get(json_object_get(pl, "region"), "startLine");
		ck_assert(json_is_integer(line) && json_integer_value(line) >= 1);
		json_t *fp = json_object_get(res, "partialFingerprints");
		const char *sig = str_at(fp, "escapadeSignature/v1");
		ck_assert_ptr_nonnull(strstr(sig, rid)); /* target/kind/sig16 */
	}
}

static json_t *entry_of(json_t *report, const char *kind)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(report, "entries"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "kind")), kind))
			return e;
	return NULL;
}

START_TEST(triage_folder_of_breakage)
{
	make_tmp();
	char counter[300];
	snprintf(counter, sizeof(counter), "%s/counter", tmpdir);
	setenv("ESC_TEST_COUNTER", counter, 1);
	ck_assert_int_eq(mkdir(at("in"), 0755), 0);
	put("in/segv-a.scn", "target crashy\n     cr.nop\n     cr.segv\n");
	put("in/segv-b.scn", "target crashy\n     cr.nop\n     cr.nop\n     cr.nop\n     cr.segv\n     cr.nop\n");
	put("in/hang.scn", "target crashy\n     cr.spin\n");
	put("in/flaky.scn", "target crashy\n     cr.nop\n     cr.flaky\n");
	put("in/bad.scn", "target crashy\n     cr.nop\n     cr.bad\n     cr.nop\n");
	put("in/contained.scn", "target crashy\n     cr.nop\n");
	put("in/garbage.scn", "target crashy\n     cr.frobnicate\n");
	put("in/README.txt", "not an input\n");
#ifdef HAVE_ASAN
	put("in/overflow.scn", "target crashy\n     cr.nop\n     cr.overflow\n");
#endif
	char in[512], out[512], regs[512];
	snprintf(in, sizeof(in), "%s/in", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(regs, sizeof(regs), "%s/corpora/regressions", ESC_SOURCE_DIR);
	const char *args[] = { in, "-o", out, "--timeout", "1", "--regressions", regs };
	ck_assert_int_eq(triage(args, 7), EXIT_ESCAPE);
	ck_assert_uint_eq(count_prefix(".out."), 0);

	json_t *rep = load_json("out/report.json");
	json_t *inputs = json_object_get(rep, "inputs");
#ifdef HAVE_ASAN
	size_t nent = 5, nread = 7;
#else
	size_t nent = 4, nread = 6;
#endif
	ck_assert_int_eq(json_integer_value(json_object_get(inputs, "read")), (json_int_t)nread);
	ck_assert_int_eq(json_integer_value(json_object_get(inputs, "skipped")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(inputs, "not_reproduced")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(inputs, "ignored")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(rep, "entries")), nent);
	json_t *skipped = json_array_get(json_object_get(rep, "skipped"), 0);
	ck_assert_ptr_nonnull(strstr(str_at(skipped, "path"), "garbage.scn"));
	ck_assert_ptr_nonnull(strstr(str_at(skipped, "reason"), "unknown op 'cr.frobnicate'"));

	/* the two segfaults are one finding, minimized to the crashing op */
	json_t *sanitizer = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(rep, "entries"), i, e) {
		const char *cls = str_at(e, "class");
		if (!strcmp(cls, "sanitizer") &&
		    json_array_size(json_object_get(e, "inputs")) == 2)
			sanitizer = e;
		ck_assert_str_eq(str_at(e, "status"), "new");
		char rel[300];
		snprintf(rel, sizeof(rel), "out/%s", str_at(e, "scenario"));
		ck_assert(exists(rel));
	}
	ck_assert_ptr_nonnull(sanitizer);
	ck_assert_int_eq(json_integer_value(json_object_get(sanitizer, "ops")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(sanitizer, "ops_before")), 2);
	ck_assert(json_is_true(json_object_get(sanitizer, "minimized")));
	ck_assert_ptr_nonnull(strstr(str_at(json_object_get(sanitizer, "crash"), "type"), "SEGV"));
#ifdef HAVE_ASAN
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(json_object_get(sanitizer, "crash"), "frames"), 0)),
			 "op_segv");
#endif
	json_t *hang = entry_of(rep, "hang");
	ck_assert_ptr_nonnull(hang);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(hang, "hang"),
							    "last_step")), 0);
	/* the policy-bypass entries: the reliable one and the flaky one */
	unsigned nbypass = 0, nflaky = 0;
	json_array_foreach(json_object_get(rep, "entries"), i, e) {
		if (strcmp(str_at(e, "kind"), "policy-bypass"))
			continue;
		nbypass++;
		if (json_is_true(json_object_get(e, "flaky"))) {
			nflaky++;
			ck_assert_int_lt(json_integer_value(json_object_get(e, "reproduced")),
					 json_integer_value(json_object_get(e, "replays")));
		} else {
			ck_assert_int_eq(json_integer_value(json_object_get(e, "ops")), 1);
			ck_assert(json_is_object(json_object_get(e, "picture")));
			char rel[300];
			snprintf(rel, sizeof(rel), "out/%s",
				 str_at(json_object_get(e, "picture"), "png"));
			ck_assert(exists(rel));
		}
	}
	ck_assert_uint_eq(nbypass, 2);
	ck_assert_uint_eq(nflaky, 1);
	/* rank: severity descending */
	double last = 11;
	json_array_foreach(json_object_get(rep, "entries"), i, e) {
		double sev = json_real_value(json_object_get(e, "severity"));
		ck_assert(sev <= last);
		last = sev;
	}
	json_decref(rep);

	json_t *sarif = load_json("out/report.sarif");
	check_sarif(sarif, nent);
	json_decref(sarif);
	ck_assert(exists("out/summary.md"));

	/* an existing report is not replaced without --force */
	ck_assert_int_eq(triage(args, 7), EXIT_BAD);
	ck_assert(exists("out/report.json"));
	const char *forced[] = { in, "-o", out, "--timeout", "1", "--regressions", regs,
				 "--force", "--replays", "1", "--no-minimize" };
	ck_assert_int_eq(triage(forced, 11), EXIT_ESCAPE);
	rep = load_json("out/report.json");
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "replays")), 1);
	json_decref(rep);
	ck_assert_uint_eq(count_prefix(".out."), 0);
	unsetenv("ESC_TEST_COUNTER");
	cli_rm_tree(tmpdir);
}
END_TEST

/* A write that fails halfway (fault injection) leaves neither the report folder nor its
 * temporary sibling. */
START_TEST(triage_interrupted_write_leaves_nothing)
{
	make_tmp();
	put("bad.scn", "target crashy\n     cr.bad\n");
	char in[512], out[512];
	snprintf(in, sizeof(in), "%s/bad.scn", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	const char *args[] = { in, "-o", out, "--replays", "1" };
	for (int n = 1; n <= 5; n++) { /* .scn, picture, json, sarif, md */
		char f[32];
		snprintf(f, sizeof(f), "write:%d", n);
		setenv("ESCAPADE_FAULT", f, 1);
		pid_t pid = fork(); /* the fault counter is per process */
		if (pid == 0)
			_exit(triage(args, 5));
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), EXIT_BAD);
		ck_assert(!exists("out"));
		ck_assert_uint_eq(count_prefix(".out."), 0);
	}
	unsetenv("ESCAPADE_FAULT");
	ck_assert_int_eq(triage(args, 5), EXIT_ESCAPE);
	ck_assert(exists("out/report.sarif"));
	cli_rm_tree(tmpdir);
}
END_TEST

START_TEST(triage_nothing_readable)
{
	make_tmp();
	char missing[512], out[512];
	snprintf(missing, sizeof(missing), "%s/nope", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	const char *args[] = { missing, "-o", out };
	ck_assert_int_eq(triage(args, 3), EXIT_BAD);
	ck_assert(!exists("out"));
	const char *none[] = { "-o", out };
	ck_assert_int_eq(triage(none, 2), EXIT_BAD);
	const char *badopt[] = { missing, "--replays", "0" };
	ck_assert_int_eq(triage(badopt, 3), EXIT_BAD);
	cli_rm_tree(tmpdir);
}
END_TEST

static Suite *triage_suite(void)
{
	Suite *s = suite_create("triage");
	TCase *tc = tcase_create("triage");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, classify_asan_heap_overflow);
	tcase_add_test(tc, classify_other_reports);
	tcase_add_test(tc, replay_escape_with_principals);
	tcase_add_test(tc, replay_crash_is_classified);
	tcase_add_test(tc, replay_hang_is_bounded);
	tcase_add_test(tc, replay_memory_errors);
	tcase_add_test(tc, op_lines_follow_the_canonical_text);
	tcase_add_test(tc, write_new_never_overwrites);
	tcase_add_test(tc, triage_folder_of_breakage);
	tcase_add_test(tc, triage_interrupted_write_leaves_nothing);
	tcase_add_test(tc, triage_nothing_readable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(triage_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Check suites for the procjail target: the reference model's intersection, the library's
 * flattening against it, the broker's normalization and decisions, the compiled filters
 * run through a small BPF interpreter (the Chromium verifier's differential check), every
 * regression flagged with its kind per profile, the negative control, and nothing left
 * behind after a run. Kernel-dependent cases pass with a note where procjail cannot run.
 */
#include <check.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escapade/focus.h"
#include "escapade/run.h"
#include "procjail.h"
#include "testutil.h"

#ifndef ESC_SOURCE_DIR
#error "tests/CMakeLists.txt must define ESC_SOURCE_DIR"
#endif
#define REGRESSIONS ESC_SOURCE_DIR "/corpora/regressions/procjail"
#define SEEDS ESC_SOURCE_DIR "/corpora/procjail"

static const esc_target *const targets[] = { &procjail_target, NULL };

/* 1 when the kernel offers what procjail needs (else the case notes it and passes). */
static int usable(void)
{
	esc_runner r;
	esc_scn s;
	esc_verdict v;
	esc_scn_init(&s, &procjail_target);
	ck_assert_int_eq(esc_runner_init(&r, &procjail_target, PJ_HARDENED), 0);
	int rc = esc_run(&r, &s, &v, NULL);
	esc_runner_fini(&r);
	if (rc == ESC_E_UNAVAILABLE)
		fprintf(stderr, "test_procjail: procjail cannot run here; kernel cases pass unchecked\n");
	return rc == 0;
}

/* ---- the reference model ---- */

static pj_policy pol(uint32_t sys, int net, unsigned nrules, const pj_rule *rules)
{
	pj_policy p;
	memset(&p, 0, sizeof(p));
	p.sys = sys;
	p.net = (uint8_t)net;
	for (unsigned k = 0; k < nrules; k++)
		pj_policy_add_rule(&p, rules[k].dir, rules[k].access);
	return p;
}

START_TEST(model_intersects_down_the_chain)
{
	const pj_rule pub_rw[] = { { PJ_DIR_PUB, PJ_R | PJ_W } };
	const pj_rule tree[] = { { PJ_DIR_JAIL, PJ_R | PJ_W | PJ_X } };
	const pj_rule ro[] = { { PJ_DIR_JAIL, PJ_R }, { PJ_DIR_PUB, PJ_W } };
	pj_policy root = pol(1u << PJ_SYS_OPENAT | 1u << PJ_SYS_KILL, 1, 1, pub_rw);
	pj_policy kid = pol(PJ_SYS_ALL, 1, 1, tree);
	pj_policy split = pol(0, 0, 2, ro);
	const pj_policy *chain[] = { &root, &kid };
	unsigned who = 99;

	ck_assert(pjm_sys(chain, 2, PJ_SYS_KILL, &who));
	ck_assert(!pjm_sys(chain, 2, PJ_SYS_MOUNT, &who));
	ck_assert_uint_eq(who, 0); /* the root denies what the nested jail asked for */
	ck_assert(pjm_fs(chain, 2, "/jail/pub/file", PJ_R | PJ_W, &who));
	ck_assert(pjm_fs(chain, 2, "/jail/pub", PJ_R, &who));
	ck_assert(!pjm_fs(chain, 2, "/jail/secret/key", PJ_R, &who));
	ck_assert_uint_eq(who, 0);
	ck_assert(!pjm_fs(chain, 2, "/jail/pub/file", PJ_X, &who));
	ck_assert(!pjm_fs(chain, 2, "/jail/publish", PJ_R, &who)); /* components, not prefixes */
	ck_assert(!pjm_fs(chain, 2, "/canary", PJ_R, &who));
	ck_assert(pjm_fs(chain, 2, "pipe:[42]", PJ_R, &who)); /* no place in the tree */
	ck_assert(pjm_fs(chain, 2, "anon_inode:[eventfd]", PJ_R, &who));
	ck_assert(!pjm_fs(chain, 2, "(outside the scratch root)", PJ_R, &who));
	ck_assert(!pjm_fs(chain, 2, "relative/path", PJ_R, &who));
	ck_assert(pjm_fs(chain, 1, "/jail//pub/./file", PJ_W, &who));
	ck_assert(pjm_connect(chain, 2, &who) == 0); /* connect is in neither jail's set */
	root.sys |= 1u << PJ_SYS_CONNECT;
	ck_assert(pjm_connect(chain, 2, &who));
	kid.net = 0;
	ck_assert(!pjm_connect(chain, 2, &who));
	ck_assert_uint_eq(who, 1);

	/* one jail: access bits add up over its rules along the path */
	const pj_policy *one[] = { &split };
	ck_assert(pjm_fs(one, 1, "/jail/pub/x", PJ_R | PJ_W, &who));
	ck_assert(!pjm_fs(one, 1, "/jail/ro/x", PJ_W, &who));

	/* prctl: every argument rule of the chain must hold, on all 64 bits */
	root.sys |= 1u << PJ_SYS_PRCTL;
	root.has_arg = 1;
	root.arg2 = 0;
	ck_assert(pjm_prctl(chain, 2, 0, &who));
	ck_assert(!pjm_prctl(chain, 2, 1ull << 32, &who));
	kid.has_arg = 1;
	kid.arg2 = 1;
	ck_assert(!pjm_prctl(chain, 2, 0, &who));
	ck_assert_uint_eq(who, 1);

	/* rlimits: the smallest one of the chain */
	ck_assert(pjm_nofile(chain, 2, &who) == UINT64_MAX);
	root.nofile = 64;
	kid.nofile = 128;
	ck_assert(pjm_nofile(chain, 2, &who) == 64);
	ck_assert_uint_eq(who, 0);
}
END_TEST

/* The library's flattening, exact, must agree with the model layer by layer; the
 * widening variant must not, exactly where a nested rule names a parent directory. */
START_TEST(flatten_agrees_with_model)
{
	static const char *const paths[] = {
		"/jail", "/jail/pub", "/jail/pub/file", "/jail/pub/sub/x", "/jail/ro/file",
		"/jail/bin/helper", "/jail/secret/key", "/canary", "/",
	};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (unsigned iter = 0; iter < 3000; iter++) {
		pj_policy p[3];
		const pj_policy *chain[3];
		unsigned n = 1 + iter % 3;
		for (unsigned k = 0; k < n; k++) {
			memset(&p[k], 0, sizeof(p[k]));
			unsigned nr = (unsigned)(seed >> 60) % 4;
			for (unsigned r = 0; r < nr; r++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				pj_policy_add_rule(&p[k], (unsigned)(seed >> 33) % PJ_NDIRS,
						   1 + (unsigned)(seed >> 45) % 7);
			}
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			chain[k] = &p[k];
		}
		pj_rule flat[PJ_MAX_FLAT];
		unsigned nf = pj_flatten(chain, n, 1, flat, PJ_MAX_FLAT);
		for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			for (unsigned need = 1; need < 8; need++) {
				unsigned who;
				ck_assert_msg(pj_rules_allow(flat, nf, paths[i], need) ==
					      pjm_fs(chain, n, paths[i], need, &who),
					      "iteration %u: %s need %u", iter, paths[i], need);
			}
		}
	}
	const pj_rule pub[] = { { PJ_DIR_PUB, PJ_R | PJ_W } }, tree[] = { { PJ_DIR_JAIL, 7 } };
	pj_policy a = pol(0, 0, 1, pub), b = pol(0, 0, 1, tree);
	const pj_policy *chain[] = { &a, &b };
	pj_rule flat[PJ_MAX_FLAT];
	unsigned nf = pj_flatten(chain, 2, 0, flat, PJ_MAX_FLAT);
	ck_assert_uint_eq(nf, 1);
	ck_assert_uint_eq(flat[0].dir, PJ_DIR_JAIL); /* the widening: the upper directory */
	ck_assert(pj_rules_allow(flat, nf, "/jail/secret/key", PJ_R));
	nf = pj_flatten(chain, 2, 1, flat, PJ_MAX_FLAT);
	ck_assert_uint_eq(flat[0].dir, PJ_DIR_PUB);
	ck_assert(!pj_rules_allow(flat, nf, "/jail/secret/key", PJ_R));
}
END_TEST

/* ---- the broker ---- */

START_TEST(broker_normalizes)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} cases[] = {
		{ "/jail/pub/file", "/jail/pub/file" },
		{ "/jail/pub/../../canary", "/canary" },
		{ "/jail/pub/./sub/../new", "/jail/pub/new" },
		{ "//jail///pub//", "/jail/pub" },
		{ "/", "/" },
		{ "/..", NULL },
		{ "/jail/../..", NULL },
		{ "jail/pub", NULL },
		{ "", NULL },
		{ "/jail/pub/...", "/jail/pub/..." },
		{ "/jail/pub/..x/..", "/jail/pub" },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char out[PJ_PATH];
		int rc = pj_normalize(cases[k].in, out, sizeof(out));
		if (!cases[k].out) {
			ck_assert_msg(rc == -1, "\"%s\" should not normalize", cases[k].in);
		} else {
			ck_assert_msg(rc == 0, "\"%s\" should normalize", cases[k].in);
			ck_assert_str_eq(out, cases[k].out);
		}
	}
	char small[8];
	ck_assert_int_eq(pj_normalize("/jail/pub/file", small, sizeof(small)), -1);
}
END_TEST

static int broker_try(unsigned profile, const char *path, unsigned mode, char *real)
{
	const pj_rule rules[] = { { PJ_DIR_PUB, PJ_R | PJ_W } };
	pj_breq req = { .mode = mode };
	char note[200];
	int fd;
	snprintf(req.path, sizeof(req.path), "%s", path);
	int e = pj_broker_open(pj_profile_defences(profile), rules, 1, &req, &fd, real, note,
			       sizeof(note));
	if (fd >= 0)
		close(fd);
	return e;
}

START_TEST(broker_decisions)
{
	char real[PJ_PATH], why[100];
	if (!usable())
		return;
	ck_assert_int_ge(pj_root_fd(why, sizeof(why)), 0);
	ck_assert_int_eq(pj_tree_reset(1), 0);
	ck_assert_int_eq(broker_try(PJ_HARDENED, "/jail/pub/file", PJ_MODE_READ, real), 0);
	ck_assert_str_eq(real, "/jail/pub/file");
	ck_assert_int_eq(broker_try(PJ_HARDENED, "/jail/pub/sub/../file", PJ_MODE_WRITE, real), 0);
	ck_assert_str_eq(real, "/jail/pub/file");
	ck_assert_int_eq(broker_try(PJ_HARDENED, "/jail/pub/../../canary", PJ_MODE_READ, real),
			 PJ_E_BROKER);
	ck_assert_int_eq(broker_try(PJ_HARDENED, "/jail/ro/file", PJ_MODE_READ, real), PJ_E_BROKER);
	ck_assert_int_eq(broker_try(PJ_HARDENED, "/jail/pubx", PJ_MODE_READ, real), PJ_E_BROKER);
	/* without normalization the check passes and the kernel resolves the dot-dots */
	ck_assert_int_eq(broker_try(PJ_BROKER_NO_NORMALIZE, "/jail/pub/../../canary", PJ_MODE_READ,
				    real), 0);
	ck_assert_str_eq(real, "/canary");
	/* a planted symlink: refused by the open (ELOOP) unless the broker follows it */
	ck_assert_int_eq(symlinkat("/canary", pj_root_fd(why, sizeof(why)), "jail/pub/link"), 0);
	ck_assert_int_eq(broker_try(PJ_HARDENED, "/jail/pub/link", PJ_MODE_READ, real), ELOOP);
	ck_assert_int_eq(broker_try(PJ_BROKER_FOLLOWS_SYMLINK, "/jail/pub/link", PJ_MODE_READ, real),
			 0);
	ck_assert_str_eq(real, "/canary");
	/* whatever it is told, the open stays inside the scratch root */
	ck_assert_int_eq(broker_try(PJ_BROKER_NO_NORMALIZE, "/jail/pub/../../../../../etc/passwd",
				    PJ_MODE_READ, real), ENOENT);
	pj_tree_dirty();
	ck_assert_int_eq(pj_tree_reset(0), 0);
	ck_assert(pj_canaries_ok(why, sizeof(why)));
}
END_TEST

/* ---- the compiled filters, run through a classic BPF interpreter ---- */

static uint32_t bpf_run(const pj_prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insn[pc];
		uint32_t k = f->k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			ck_assert_uint_le(k + 4, sizeof(*d));
			memcpy(&a, (const char *)d + k, 4);
			break;
		case BPF_LD | BPF_MEM: a = mem[k % BPF_MEMWORDS]; break;
		case BPF_LDX | BPF_MEM: x = mem[k % BPF_MEMWORDS]; break;
		case BPF_ST: mem[k % BPF_MEMWORDS] = a; break;
		case BPF_STX: mem[k % BPF_MEMWORDS] = x; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_JMP | BPF_JA: pc += k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return k;
		default: ck_abort_msg("unknown BPF instruction %#x at %u", f->code, pc);
		}
	}
	ck_abort_msg("the filter ran off its end");
	return 0;
}

static int passes(const pj_prog *p, uint32_t arch, int nr, uint64_t arg0, uint64_t arg1)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { arg0, arg1 } };
	uint32_t r = bpf_run(p, &d);
	if ((r & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
		return 1;
	ck_assert_uint_eq(r, SECCOMP_RET_ERRNO | PJ_E_FILTER);
	return 0;
}

START_TEST(filters_match_policy)
{
	for (unsigned prof = 0; prof < PJ_NPROFILES; prof++) {
		const pj_defences *d = pj_profile_defences(prof);
		for (uint32_t sys = 0; sys <= PJ_SYS_ALL; sys += 0x55) {
			pj_policy p;
			pj_prog prog;
			memset(&p, 0, sizeof(p));
			p.sys = sys;
			p.net = (uint8_t)(sys & 1);
			ck_assert_int_eq(pj_compile_filter(d, &p, &prog), 0);
			for (unsigned s = 0; s < PJ_NSYS; s++) {
				int want = (sys >> s) & 1;
				if (s == PJ_SYS_CONNECT && !p.net)
					want = 0;
				ck_assert_msg(passes(&prog, AUDIT_ARCH_X86_64, pj_sys_nr[s], 0xff, 0) == want,
					      "%s: %s with policy %#x", pj_profile_names[prof],
					      pj_sys_names[s], sys);
				/* foreign entries: refused with the arch check, waved through without */
				ck_assert(passes(&prog, AUDIT_ARCH_I386, pj_sys_nr_i386[s], 0xff, 0) ==
					  !d->arch_check);
				ck_assert(passes(&prog, AUDIT_ARCH_X86_64, 0x40000000 | pj_sys_nr_x32[s],
						 0xff, 0) == !d->arch_check);
			}
			/* installing a stricter filter is always allowed: that is how jails nest */
			ck_assert(passes(&prog, AUDIT_ARCH_X86_64, pj_sys_nr[PJ_SYS_SECCOMP],
					 SECCOMP_SET_MODE_FILTER, 0));
			ck_assert(passes(&prog, AUDIT_ARCH_X86_64, 1, 0, 0)); /* write: machinery */
		}
		/* the argument rule: prctl only with arg2 == 1 */
		pj_policy p;
		pj_prog arg;
		memset(&p, 0, sizeof(p));
		p.has_arg = 1;
		p.arg2 = 1;
		pj_compile_argfilter(d, &p, &arg);
		int prctl = pj_sys_nr[PJ_SYS_PRCTL];
		ck_assert(passes(&arg, AUDIT_ARCH_X86_64, prctl, 4, 1));
		ck_assert(!passes(&arg, AUDIT_ARCH_X86_64, prctl, 4, 0));
		ck_assert(passes(&arg, AUDIT_ARCH_X86_64, prctl, 4, (1ull << 32) | 1) == !d->arg_full64);
		ck_assert(passes(&arg, AUDIT_ARCH_X86_64, pj_sys_nr[PJ_SYS_KILL], 0, 7));
		p.has_arg = 0;
		pj_compile_argfilter(d, &p, &arg);
		ck_assert_uint_eq(arg.len, 0);
	}
}
END_TEST

/* ---- the regressions, the negative control, cleanliness ---- */

START_TEST(regressions_flag_their_kind)
{
	if (!usable())
		return;
	unsigned files = 0, escapes = 0;
	unsigned flagged[PJ_NPROFILES] = { 0 };
	tu_scn_dir it;
	for (tu_scn_open(&it, REGRESSIONS); tu_scn_next(&it);) {
		const char *path = it.path;
		esc_scn scn;
		tu_load(&scn, targets, path);
		ck_assert_msg(scn.nexpect == PJ_NPROFILES, "%s: an expect line for every profile", path);
		for (unsigned x = 0; x < scn.nexpect; x++) {
			esc_runner r;
			esc_verdict v;
			unsigned prof = scn.expect[x].profile;
			ck_assert_int_eq(esc_runner_init(&r, &procjail_target, prof), 0);
			int rc = esc_run(&r, &scn, &v, NULL);
			esc_runner_fini(&r);
			if (rc == ESC_E_UNAVAILABLE)
				continue; /* e.g. no i386 entry for seccomp-no-arch-check */
			ck_assert_int_eq(rc, 0);
			ck_assert_msg(v.kind == scn.expect[x].kind, "%s on %s: %s, expected %s", path,
				      pj_profile_names[prof], esc_verdict_name(v.kind),
				      esc_verdict_name(scn.expect[x].kind));
			if (v.kind != ESC_CONTAINED) {
				escapes++;
				flagged[prof]++;
				ck_assert(v.signature == esc_signature(&scn, v.kind, (unsigned)v.step));
			}
			if (prof == PJ_HARDENED)
				ck_assert_msg(v.kind == ESC_CONTAINED, "%s escapes hardened", path);
		}
		esc_scn_clear(&scn);
		files++;
	}
	ck_assert_uint_ge(files, PJ_NPROFILES);
	ck_assert_uint_gt(escapes, 0);
	for (unsigned p = 1; p < PJ_NPROFILES; p++)
		ck_assert_msg(flagged[p] > 0 || (p == PJ_SECCOMP_NO_ARCH_CHECK &&
						 !pj_features_get()->i386 && !pj_features_get()->x32),
			      "no regression flags %s", pj_profile_names[p]);
}
END_TEST

START_TEST(seeds_contained_on_hardened)
{
	if (!usable())
		return;
	tu_scn_dir it;
	for (tu_scn_open(&it, SEEDS); tu_scn_next(&it);) {
		esc_scn scn;
		tu_load(&scn, targets, it.path);
		tu_expect(&scn, PJ_HARDENED, ESC_CONTAINED, it.path);
		esc_scn_clear(&scn);
	}
}
END_TEST

/* Legitimate use works on every profile: every op succeeds, nothing is flagged. */
START_TEST(negative_control_works_everywhere)
{
	if (!usable())
		return;
	esc_scn scn;
	tu_load(&scn, targets, REGRESSIONS "/legitimate-use.scn");
	for (unsigned p = 0; p < PJ_NPROFILES; p++) {
		esc_runner r;
		esc_verdict v;
		ck_assert_int_eq(esc_runner_init(&r, &procjail_target, p), 0);
		if (esc_run(&r, &scn, &v, NULL) == 0) {
			ck_assert_int_eq(v.kind, ESC_CONTAINED);
			for (unsigned i = 0; i < scn.nops; i++)
				ck_assert_msg(r.status[i] == ESC_STEP_OK, "%s: op %u did not succeed",
					      pj_profile_names[p], i);
		}
		esc_runner_fini(&r);
	}
	esc_scn_clear(&scn);
}
END_TEST

/* Outcomes (esc_ctx.outcome): what a nested jail adds to its parent's grants, where an
 * allowed open landed, a denial; the same again in a second run. */
START_TEST(outcomes_name_widening_and_landing)
{
	if (!usable())
		return;
	static const char text[] = "# escapade scenario\ntarget procjail\n\n"
				   "$0 = jail.new  sys=files fs=pub\n"
				   "$1 = jail.nest $0 sys=files fs=tree-ro\n"
				   "$2 = jail.nest $0 sys=files fs=pub\n"
				   "     fs.open   $0 \"/jail/pub/file\"\n"
				   "     fs.open   $0 \"/jail/secret/key\"\n";
	esc_runner r;
	esc_scn s;
	esc_verdict v;
	uint32_t first[5];
	esc_scn_init(&s, &procjail_target);
	tu_parse(&s, targets, text);
	ck_assert_int_eq(esc_runner_init(&r, &procjail_target, PJ_HARDENED), 0);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	memcpy(first, r.outcome, sizeof(first));
	ck_assert_uint_eq(first[0], 0); /* made by the host */
	ck_assert_uint_eq(first[1] & (0x1000000u | 1u << PJ_DIR_JAIL | 1u << PJ_DIR_SECRET),
			  0x1000000u | 1u << PJ_DIR_JAIL | 1u << PJ_DIR_SECRET);
	ck_assert_uint_eq(first[1] & (1u << PJ_DIR_PUB), 0); /* the parent reads pub already */
	ck_assert_uint_eq(first[2], 0);                      /* asks for what it has */
	ck_assert_uint_eq(first[3], 4u | (PJ_DIR_PUB + 1u) << 4);
	ck_assert_uint_eq(first[4], 0); /* denied: the op fails */
	ck_assert_int_eq(r.status[4], ESC_STEP_FAILED);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_mem_eq(r.outcome, first, sizeof(first));
	esc_runner_fini(&r);
	esc_scn_clear(&s);
}
END_TEST

/* A run whose last op did something new and produced nothing (a planted symlink) is
 * followed up where that op acted: its first neighbours append each of the other ops
 * that take the same jail and a string, with the path as that string, once before any
 * other move of that entry. Without that the broker's open of the link waits
 * behind ~20 other shapes. */
START_TEST(focus_follows_where_the_op_acted)
{
	if (!usable())
		return;
	static const char text[] = "# escapade scenario\ntarget procjail\n\n"
				   "$0 = jail.new   sys=files fs=pub\n"
				   "     fs.symlink $0 \"/jail/pub/link\" canary\n";
	/* the ops that take a jail and a string, fs.symlink aside */
	static const char *const want[] = { "fs.open", "fs.mkdir", "fs.rename", "broker.open",
					    "proc.exec" };
	enum { NWANT = sizeof(want) / sizeof(want[0]) };
	esc_runner r;
	esc_scn s, out;
	esc_verdict v;
	int seen[NWANT] = { 0 };
	esc_scn_init(&s, &procjail_target);
	esc_scn_init(&out, &procjail_target);
	tu_parse(&s, targets, text);
	ck_assert_int_eq(esc_runner_init(&r, &procjail_target, PJ_BROKER_FOLLOWS_SYMLINK), 0);
	ck_assert_int_eq(esc_run(&r, &s, &v, NULL), 0);
	ck_assert_int_eq(r.status[1], ESC_STEP_OK);
	esc_focus *f = esc_focus_new(&procjail_target);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(esc_focus_observe(f, &s, &r, s.nops, 7), 0);
	unsigned got = 0;
	for (unsigned k = 0; k < 200 && got < NWANT; k++) {
		ck_assert_int_eq(esc_focus_next_scn(f, &out), 0);
		/* a neighbour of the symlink's entry that appends one op to it */
		if (out.nops != 3 || out.ops[1].op != s.ops[1].op ||
		    strcmp(out.ops[1].args[1].s, "/jail/pub/link") != 0 ||
		    out.ops[1].args[2].i != s.ops[1].args[2].i)
			continue;
		const esc_op_desc *d = &procjail_target.ops[out.ops[2].op];
		ck_assert_int_eq(d->args[0].kind, ESC_ARG_HANDLE);
		ck_assert_int_eq(out.ops[2].args[0].i, 0); /* the symlink's jail */
		int on_path = 0;
		for (unsigned j = 1; j < d->nargs; j++)
			on_path |= d->args[j].kind == ESC_ARG_STR &&
				   strcmp(out.ops[2].args[j].s, "/jail/pub/link") == 0;
		unsigned w = 0;
		while (w < NWANT && strcmp(d->name, want[w]) != 0)
			w++;
		ck_assert_msg(w < NWANT && on_path && !seen[w], "neighbour %u of the symlink's "
			      "entry appends %s%s", got, d->name,
			      on_path ? " again" : " not on the symlink's path");
		seen[w] = 1;
		got++;
	}
	ck_assert_uint_eq(got, NWANT);
	esc_focus_free(f);
	esc_runner_fini(&r);
	esc_scn_clear(&out);
	esc_scn_clear(&s);
}
END_TEST

static unsigned mount_count(void)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	unsigned n = 0;
	int c;
	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* After a run the jailed process lives until the next reset or the runner's end; then it
 * and its namespaces are gone, and no mount was added to ours. The spare started by a
 * spawn is what the next run's jail takes, and it too ends with the runner. */
START_TEST(nothing_left_behind)
{
	if (!usable())
		return;
	esc_scn scn;
	char err[256];
	unsigned mounts = mount_count();
	tu_load(&scn, targets, REGRESSIONS "/broker-dotdot.scn");
	esc_runner r;
	esc_verdict v;
	ck_assert_int_eq(esc_runner_init(&r, &procjail_target, PJ_BROKER_NO_NORMALIZE), 0);
	ck_assert_int_eq(esc_run(&r, &scn, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_INTEGRITY_VIOLATION);
	pid_t first = procjail_child_pid(r.state);
	ck_assert_int_gt(first, 0);
	ck_assert_int_eq(kill(first, 0), 0);
	pid_t spare = pj_spare_pid();
	ck_assert_int_gt(spare, 0);
	ck_assert_int_eq(kill(spare, 0), 0);
	ck_assert_int_eq(esc_run(&r, &scn, &v, NULL), 0); /* the canary is rebuilt: same verdict */
	ck_assert_int_eq(v.kind, ESC_INTEGRITY_VIOLATION);
	ck_assert_int_eq(kill(first, 0), -1); /* reset killed and reaped the first one */
	ck_assert_int_eq(errno, ESRCH);
	pid_t second = procjail_child_pid(r.state);
	ck_assert_int_gt(second, 0);
	ck_assert_int_eq(kill(spare, 0), 0); /* taken: now the keeper of the second */
	pid_t spare2 = pj_spare_pid();
	ck_assert_int_gt(spare2, 0);
	ck_assert_int_ne(spare2, spare);
	esc_runner_fini(&r);
	ck_assert_int_eq(kill(second, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(kill(spare, 0), -1);
	ck_assert_int_eq(kill(spare2, 0), -1); /* the spare went with the runner */
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(pj_spare_pid(), 0);
	ck_assert_uint_eq(mount_count(), mounts);
	ck_assert(pj_canaries_ok(err, sizeof(err)) == 0); /* still as the escape left it */
	ck_assert_int_eq(pj_tree_reset(0), 0);
	ck_assert_msg(pj_canaries_ok(err, sizeof(err)), "%s", err);
	esc_scn_clear(&scn);
}
END_TEST

/* Inode number of a tree entry (changes when the tree is rebuilt). */
static ino_t tree_ino(const char *path)
{
	char why[160];
	struct stat st;
	int root = pj_root_fd(why, sizeof(why));
	ck_assert_msg(root >= 0, "%s", why);
	ck_assert_int_eq(fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

/* A write that failed leaves the tree as built and the next reset keeps it; a write that
 * landed makes the next reset rebuild it (the content comes back). */
START_TEST(rebuilds_after_a_write_only)
{
	if (!usable())
		return;
	esc_scn denied, wrote;
	esc_runner r;
	esc_verdict v;
	char buf[16] = { 0 };
	tu_parse(&denied, targets, "target procjail\n$0 = jail.new sys=app fs=app\n"
				    "fs.open $0 \"/jail/ro/file\" mode=write\n");
	tu_parse(&wrote, targets, "target procjail\n$0 = jail.new sys=app fs=app\n"
				  "fs.open $0 \"/jail/pub/file\" mode=write\n");
	ck_assert_int_eq(esc_runner_init(&r, &procjail_target, PJ_HARDENED), 0);
	ck_assert_int_eq(esc_run(&r, &denied, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ino_t ro = tree_ino("jail/ro/file"), pub = tree_ino("jail/pub/file");
	ck_assert_int_eq(esc_run(&r, &denied, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ck_assert(tree_ino("jail/ro/file") == ro); /* denied: nothing to rebuild */
	ck_assert_int_eq(esc_run(&r, &wrote, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ck_assert(tree_ino("jail/pub/file") == pub); /* written, not yet rebuilt */
	char why[160];
	int fd = openat(pj_root_fd(why, sizeof(why)), "jail/pub/file", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf) - 1, 0), 4);
	close(fd);
	ck_assert_str_eq(buf, "xub\n"); /* the jailed process wrote one byte */
	ck_assert_int_eq(esc_run(&r, &denied, &v, NULL), 0);
	ck_assert(tree_ino("jail/pub/file") != pub); /* this reset rebuilt the tree */
	ck_assert(tree_ino("jail/ro/file") != ro);
	fd = openat(pj_root_fd(why, sizeof(why)), "jail/pub/file", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(pread(fd, buf, sizeof(buf) - 1, 0), 4);
	close(fd);
	ck_assert_str_eq(buf, "pub\n");
	esc_runner_fini(&r);
	esc_scn_clear(&denied);
	esc_scn_clear(&wrote);
}
END_TEST

static Suite *procjail_suite(void)
{
	Suite *s = suite_create("procjail");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, model_intersects_down_the_chain);
	tcase_add_test(tc, flatten_agrees_with_model);
	tcase_add_test(tc, broker_normalizes);
	tcase_add_test(tc, filters_match_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("kernel");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, broker_decisions);
	tcase_add_test(tc, regressions_flag_their_kind);
	tcase_add_test(tc, seeds_contained_on_hardened);
	tcase_add_test(tc, negative_control_works_everywhere);
	tcase_add_test(tc, outcomes_name_widening_and_landing);
	tcase_add_test(tc, focus_follows_where_the_op_acted);
	tcase_add_test(tc, nothing_left_behind);
	tcase_add_test(tc, rebuilds_after_a_write_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(procjail_suite());
	srunner_set_fork_status(sr, CK_NOFORK); /* one process: LeakSanitizer sees everything */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

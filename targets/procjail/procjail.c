/* procjail target: the ops table, reset, the jails of a run and entering them (the
 * library's nesting per profile: stacked layers, or a respawn under a computed policy),
 * and the broker's view of the running jail. Probes are in probes.c, the oracle in
 * oracle.c (see procjail.h for the layer and its model).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jailstate.h"

static const char *const res_kinds[] = { "jail" };

static const char *const sys_tpl_names[] = { "none", "files", "app", "all" };
static const uint32_t sys_tpl[] = {
	0, 1u << PJ_SYS_OPENAT,
	(1u << PJ_SYS_OPENAT) | (1u << PJ_SYS_EXECVE) | (1u << PJ_SYS_CONNECT), PJ_SYS_ALL,
};
static const char *const fs_tpl_names[] = { "none", "pub", "app", "tree-ro", "tree" };
static const pj_rule fs_tpl[][3] = {
	{ { 0, 0 } },
	{ { PJ_DIR_PUB, PJ_R | PJ_W } },
	{ { PJ_DIR_PUB, PJ_R | PJ_W }, { PJ_DIR_RO, PJ_R }, { PJ_DIR_BIN, PJ_R | PJ_X } },
	{ { PJ_DIR_JAIL, PJ_R } },
	{ { PJ_DIR_JAIL, PJ_R | PJ_W | PJ_X } },
};
static const char *const net_names[] = { "none", "loopback" };
static const char *const dir_names[PJ_NDIRS] = { "jail", "pub", "sub", "ro", "bin", "secret" };
static const char *const access_names[] = { "r", "w", "x", "rw", "rx", "wx", "rwx" };
static const unsigned access_vals[] = { PJ_R, PJ_W, PJ_X, PJ_R | PJ_W, PJ_R | PJ_X,
					PJ_W | PJ_X, PJ_R | PJ_W | PJ_X };
static const char *const rule_arg_names[] = { "zero", "one" };
static const char *const arg2_names[] = { "zero", "one", "hi-zero", "hi-one" };
static const char *const port_names[] = { "harness", "closed" };

/* Paths the string arguments draw from: the tree, the canaries, and the classic broker
 * and Landlock tricks (dot-dot, planted symlinks, /proc/self magic links). */
static const char *const dict[] = {
	"/jail/pub/link", "/jail/pub/file", "/jail/pub/new", "/jail/ro/file", "/jail/secret/key",
	"/jail/bin/helper", "/canary", "/jail/pub/../../canary", "/jail/pub/../secret/key",
	"/proc/self/root/canary", "/jail/pub/link/key", "/proc/self/exe",
};

const char *pj_ename(int e)
{
	switch (e) {
	case PJ_E_FILTER: return "EHWPOISON (the syscall filter)";
	case PJ_E_BROKER: return "ENOTRECOVERABLE (the broker)";
	default: {
		const char *n = strerrorname_np(e);
		return n ? n : "E?";
	}
	}
}

/* An errno of a filesystem probe: there EACCES can only be Landlock's. */
const char *pj_fsname(int e)
{
	return e == EACCES ? "EACCES (Landlock)" : pj_ename(e);
}

/* Jails from the root to j: fills ids (root first), returns how many. */
unsigned pj_ancestors(const pj_state *st, int j, unsigned *ids)
{
	unsigned rev[PJ_MAX_JAILS], n = 0;
	for (int x = j; x >= 0 && n < PJ_MAX_JAILS; x = st->jails[x].parent)
		rev[n++] = (unsigned)x;
	for (unsigned k = 0; k < n; k++)
		ids[k] = rev[n - 1 - k];
	return n;
}

unsigned pj_policies(const pj_state *st, const unsigned *ids, unsigned n,
			 const pj_policy **out)
{
	for (unsigned k = 0; k < n; k++)
		out[k] = &st->jails[ids[k]].pol;
	return n;
}

/* The jails whose policies the library believes apply to the running process: the
 * chain, or after a replacing respawn the running jail alone. */
static unsigned lib_chain(const pj_state *st, unsigned *ids)
{
	if (!st->def->nest_stack && !st->def->respawn_chain) {
		ids[0] = (unsigned)st->current;
		return 1;
	}
	return pj_ancestors(st, st->current, ids);
}

void pj_chain_str(const pj_state *st, int j, char *buf, size_t len)
{
	unsigned ids[PJ_MAX_JAILS];
	unsigned n = pj_ancestors(st, j, ids);
	size_t used = (size_t)snprintf(buf, len, "host");
	for (unsigned k = 0; k < n && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, " > jail#%u", ids[k] + 1);
}

/* ---- the broker's policy: the library's view of the running process ---- */

static int broker_serve(void *arg, const pj_breq *req, int *fd)
{
	pj_state *st = arg;
	unsigned ids[PJ_MAX_JAILS];
	const pj_policy *chain[PJ_MAX_JAILS];
	pj_rule eff[PJ_MAX_FLAT];
	char real[PJ_PATH];
	if (st->current < 0)
		return PJ_E_BROKER;
	unsigned n = pj_policies(st, ids, lib_chain(st, ids), chain);
	unsigned neff = pj_flatten(chain, n, st->def->flatten_exact, eff, PJ_MAX_FLAT);
	int e = pj_broker_open(st->def, eff, neff, req, fd, real, st->broker_note,
			       sizeof(st->broker_note));
	if (e)
		return e;
	pj_event *ev = &st->ev;
	ev->kind = EV_FS;
	ev->need = req->mode == PJ_MODE_READ ? PJ_R : PJ_W;
	ev->npaths = 1;
	memcpy(ev->path[0], real, PJ_PATH);
	snprintf(ev->what, sizeof(ev->what), "the broker opened %.80s for %s and passed the fd to "
		 "jail#%d", real, ev->need == PJ_R ? "read" : "write", st->current + 1);
	st->broker_granted = 1;
	return 0;
}

/* ---- target hooks ---- */

/* Spawns a jailed process with the loopback listener and waits for its first answer.
 * Returns 0, or -1 with why. */
static int spawn_checked(pj_box *b, char *why, size_t len)
{
	pj_cmd c;
	pj_reply r;
	if (pj_box_spawn(b, 1, why, len))
		return -1;
	memset(&c, 0, sizeof(c));
	c.kind = PJ_CMD_RLIMIT;
	if (pj_box_call(b, &c, -1, &r) || r.rc) {
		snprintf(why, len, "the jailed process's set-up failed at %.60s: %s",
			 r.path[0] ? r.path : "?", strerror(r.err));
		pj_box_kill(b);
		return -1;
	}
	return 0;
}

static void forkbench(void)
{
	const char *s = getenv("ESCAPADE_PROCJAIL_FORKBENCH");
	double secs = s ? atof(s) : 0;
	if (secs <= 0)
		return;
	struct timespec t0, t1;
	unsigned long n = 0, m = 0;
	double el = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0)
			while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
				;
		n++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (el < secs);
	double bare = (double)n / el;
	pj_box b;
	char why[160];
	pj_box_init(&b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (spawn_checked(&b, why, sizeof(why)))
			break;
		pj_box_kill(&b);
		m++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (el < secs);
	fprintf(stderr, "procjail: bare fork+wait: %.0f/s; jailed child spawn+answer+kill (user, "
		"mount, pid, net namespaces, pivot, lo; each taking the spare the last one "
		"started): %.0f/s (this process, %.1f s each)\n",
		bare, el > 0 ? (double)m / el : 0.0, secs);
}

static int pj_reset(void *state, unsigned profile)
{
	static int checked, usable;
	pj_state *st = state;
	char why[200];
	if (!st->box.inited)
		pj_box_init(&st->box);
	pj_box_kill(&st->box);
	if (!checked) {
		checked = 1;
		const pj_features *f = pj_features_get();
		snprintf(why, sizeof(why), "%s", f->why);
		if (!why[0] && pj_root_fd(why, sizeof(why)) >= 0 && pj_tree_reset(1) == 0) {
			if (spawn_checked(&st->box, why, sizeof(why)) == 0)
				usable = 1;
			pj_box_kill(&st->box);
		} else if (!why[0]) {
			snprintf(why, sizeof(why), "cannot build the scratch tree");
		}
		if (!usable)
			fprintf(stderr, "procjail: cannot run here: %s\n", why);
		else
			forkbench();
	}
	if (!usable)
		return ESC_E_UNAVAILABLE;
	if (profile == PJ_SECCOMP_NO_ARCH_CHECK && !pj_features_get()->i386 && !pj_features_get()->x32)
		return ESC_E_UNAVAILABLE; /* no foreign syscall entry to slip through */
	if (pj_tree_reset(0))
		return ESC_E_IO;
	pj_box box = st->box;
	memset(st, 0, sizeof(*st));
	st->box = box;
	st->box.broker = broker_serve;
	st->box.broker_arg = st;
	st->profile = profile;
	st->def = pj_profile_defences(profile);
	st->current = -1;
	return 0;
}

static void pj_release(void *state)
{
	pj_state *st = state;
	pj_box_kill(&st->box);
	pj_spare_drop();
}

pid_t procjail_child_pid(const void *state)
{
	return pj_box_pid(&((const pj_state *)state)->box);
}

/* ---- policy ops ---- */

/* What jail j grants beyond its parent (the op's outcome, esc_ctx): bit d for a jail
 * directory d it adds some access to, then syscalls, then the network; 0 for a jail the
 * host made. The library's nesting defences are about exactly this. */
static uint32_t widening(const pj_state *st, unsigned j)
{
	const pj_jail *c = &st->jails[j];
	if (c->parent < 0)
		return 0;
	const pj_policy *cp = &c->pol, *pp = &st->jails[c->parent].pol;
	uint32_t w = 0;
	for (unsigned d = 0; d < PJ_NDIRS; d++)
		for (unsigned need = PJ_R; need <= PJ_X; need <<= 1)
			if (pj_rules_allow(cp->rules, cp->nrules, pj_dir_paths[d], need) &&
			    !pj_rules_allow(pp->rules, pp->nrules, pj_dir_paths[d], need))
				w |= 1u << d;
	if (cp->sys & ~pp->sys)
		w |= 1u << PJ_NDIRS;
	if (cp->net && !pp->net)
		w |= 2u << PJ_NDIRS;
	return w ? 0x1000000u | w : 0;
}

static int make_jail(pj_state *st, int parent, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	char buf[200];
	if (st->njails >= PJ_MAX_JAILS) {
		esc_note(ctx, "too many jails");
		return -1;
	}
	pj_jail *j = &st->jails[st->njails];
	memset(j, 0, sizeof(*j));
	j->parent = parent;
	j->pol.sys = sys_tpl[a[0].e];
	j->pol.net = (uint8_t)a[2].e;
	for (unsigned k = 0; k < 3 && fs_tpl[a[1].e][k].access; k++)
		pj_policy_add_rule(&j->pol, fs_tpl[a[1].e][k].dir, fs_tpl[a[1].e][k].access);
	*out = st->njails++;
	if (ctx)
		ctx->outcome = widening(st, *out);
	if (esc_tracing(ctx)) {
		pj_policy_str(&j->pol, buf, sizeof(buf));
		if (parent < 0)
			esc_note(ctx, "host made jail#%u: %s", *out + 1, buf);
		else
			esc_note(ctx, "jail#%u asked for jail#%u nested in it: %s", parent + 1, *out + 1, buf);
	}
	return 0;
}

static int op_new(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return make_jail(s, -1, a, out, ctx);
}

static int op_nest(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return make_jail(s, (int)a[0].h, a + 1, out, ctx);
}

/* The jail a rule op changes, or NULL once it was entered (policies freeze). */
static pj_policy *editable(pj_state *st, unsigned j, esc_ctx *ctx)
{
	if (st->jails[j].entered) {
		esc_note(ctx, "jail#%u was entered: its policy is frozen", j + 1);
		return NULL;
	}
	return &st->jails[j].pol;
}

static int op_allow(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_policy *p = editable(s, a[0].h, ctx);
	if (!p)
		return -1;
	p->sys |= 1u << a[1].e;
	esc_note(ctx, "jail#%u allows %s", a[0].h + 1, pj_sys_names[a[1].e]);
	if (ctx)
		ctx->outcome = widening(s, a[0].h);
	return 0;
}

static int op_deny(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_policy *p = editable(s, a[0].h, ctx);
	if (!p)
		return -1;
	p->sys &= ~(1u << a[1].e);
	esc_note(ctx, "jail#%u denies %s", a[0].h + 1, pj_sys_names[a[1].e]);
	if (ctx)
		ctx->outcome = widening(s, a[0].h);
	return 0;
}

static int op_fs(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_policy *p = editable(s, a[0].h, ctx);
	if (!p || pj_policy_add_rule(p, a[1].e, access_vals[a[2].e])) {
		if (p)
			esc_note(ctx, "jail#%u has too many rules", a[0].h + 1);
		return -1;
	}
	esc_note(ctx, "jail#%u: %s %s", a[0].h + 1, pj_dir_paths[a[1].e], access_names[a[2].e]);
	if (ctx)
		ctx->outcome = widening(s, a[0].h);
	return 0;
}

static int op_prctl_rule(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_policy *p = editable(s, a[0].h, ctx);
	if (!p)
		return -1;
	p->sys |= 1u << PJ_SYS_PRCTL; /* "prctl, but only with arg2 == v" */
	p->has_arg = 1;
	p->arg2 = a[1].e;
	esc_note(ctx, "jail#%u allows prctl only with arg2 == %u", a[0].h + 1, a[1].e);
	return 0;
}

static int op_nofile(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_policy *p = editable(s, a[0].h, ctx);
	if (!p)
		return -1;
	p->nofile = (uint32_t)a[1].i;
	esc_note(ctx, "jail#%u: RLIMIT_NOFILE %u", a[0].h + 1, (unsigned)p->nofile);
	return 0;
}

/* ---- entering ---- */

/* Sends one APPLY: p's filters (p may be NULL), a Landlock layer from rules when
 * landlock, flags, nofile. Returns 0, or -1 with a note. */
static int apply(pj_state *st, const pj_policy *p, int landlock, const pj_rule *rules,
		 unsigned nrules, uint32_t flags, uint64_t nofile, pj_reply *r, esc_ctx *ctx)
{
	pj_cmd c;
	memset(&c, 0, sizeof(c));
	c.kind = PJ_CMD_APPLY;
	c.flags = flags;
	c.v = nofile;
	if (p) {
		if (pj_compile_filter(st->def, p, &c.prog[0])) {
			esc_note(ctx, "libseccomp could not compile the filter");
			return -1;
		}
		pj_compile_argfilter(st->def, p, &c.prog[1]);
	}
	int fd = -1;
	if (landlock) {
		fd = pj_landlock_ruleset(pj_root_fd(NULL, 0), rules, nrules);
		if (fd < 0) {
			esc_note(ctx, "Landlock ruleset: %s", pj_ename(-fd));
			return -1;
		}
		c.flags |= PJ_APPLY_LANDLOCK;
	}
	int rc = pj_box_call(&st->box, &c, fd, r);
	if (fd >= 0)
		close(fd);
	if (rc) {
		esc_note(ctx, "the jailed process did not answer within %d ms: killed", PJ_TIMEOUT_MS);
		return -1;
	}
	if (r->rc) {
		esc_note(ctx, "entering failed at %s: %s", r->path, pj_ename(r->err));
		return -1;
	}
	return 0;
}

/* Respawns the process under the library's computed policy for a nested jail j. */
static int respawn(pj_state *st, unsigned j, pj_reply *r, esc_ctx *ctx)
{
	const pj_defences *d = st->def;
	unsigned ids[PJ_MAX_JAILS];
	const pj_policy *chain[PJ_MAX_JAILS];
	char why[160];
	unsigned n = d->respawn_chain ? pj_ancestors(st, (int)j, ids) : (ids[0] = j, 1u);
	pj_policies(st, ids, n, chain);
	int net = 1;
	uint64_t nofile = UINT64_MAX;
	for (unsigned k = 0; k < n; k++) {
		net &= chain[k]->net;
		if (chain[k]->nofile && chain[k]->nofile < nofile)
			nofile = chain[k]->nofile;
	}
	pj_rule flat[PJ_MAX_FLAT];
	unsigned nflat = pj_flatten(chain, n, d->flatten_exact, flat, PJ_MAX_FLAT);
	if (pj_box_spawn(&st->box, net, why, sizeof(why))) {
		esc_note(ctx, "respawn: %s", why);
		return -1;
	}
	esc_note(ctx, "the supervisor respawned the process for jail#%u with %s", j + 1,
		 n == 1 ? "the nested jail's policy alone" : "the chain's filters and one flattened "
		 "Landlock layer");
	for (unsigned k = 0; k < n; k++) {
		uint32_t fl = (k == 0 && d->nnp ? PJ_APPLY_NNP : 0) | (k == n - 1 ? PJ_APPLY_DROPCAPS : 0);
		if (apply(st, chain[k], k == n - 1, flat, nflat, fl,
			  k == n - 1 && nofile != UINT64_MAX ? nofile : 0, r, ctx)) {
			pj_box_kill(&st->box);
			st->current = -1;
			return -1;
		}
	}
	return 0;
}

/* Makes the process enter jail j: a root jail spawns it, a nested one needs it to run
 * in j's parent. Returns 0, or -1 with a note. */
static int enter(pj_state *st, unsigned j, esc_ctx *ctx)
{
	pj_jail *jl = &st->jails[j];
	const pj_policy *p = &jl->pol;
	pj_reply r;
	char why[160];
	if (jl->entered) {
		esc_note(ctx, "jail#%u was entered already", j + 1);
		return -1;
	}
	if (jl->parent < 0) {
		if (st->box.pid) {
			esc_note(ctx, "a jailed process runs already (one per run)");
			return -1;
		}
		if (pj_box_spawn(&st->box, p->net, why, sizeof(why))) {
			esc_note(ctx, "%s", why);
			return -1;
		}
		st->ev.acted = 1;
		if (apply(st, p, 1, p->rules, p->nrules,
			  PJ_APPLY_DROPCAPS | (st->def->nnp ? PJ_APPLY_NNP : 0), p->nofile, &r, ctx)) {
			pj_box_kill(&st->box);
			return -1;
		}
		esc_note(ctx, "the process (pid 1 in fresh user, mount, pid, net namespaces) entered "
			 "jail#%u", j + 1);
	} else {
		if (st->current != jl->parent || !st->box.pid) {
			esc_note(ctx, "jail#%u is nested in jail#%d, which is not where the process runs",
				 j + 1, jl->parent + 1);
			return -1;
		}
		st->ev.acted = 1;
		if (st->def->nest_stack) {
			if (apply(st, p, 1, p->rules, p->nrules, 0, p->nofile, &r, ctx)) {
				if (!st->box.pid)
					st->current = -1;
				return -1;
			}
			esc_note(ctx, "the process stacked jail#%u's filters and Landlock layer on "
				 "jail#%d's", j + 1, jl->parent + 1);
		} else if (respawn(st, j, &r, ctx)) {
			return -1;
		}
	}
	jl->entered = 1;
	st->current = (int)j;
	if (r.val > st->ev.caps)
		st->ev.caps = r.val;
	return 0;
}

static int op_enter(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return enter(s, a[0].h, ctx);
}

/* Brings the process into jail j for a probe: it must run there already, or run in one
 * of j's ancestors (or not at all), and then enters down the chain to j. */
int pj_ensure_in(pj_state *st, unsigned j, esc_ctx *ctx)
{
	unsigned ids[PJ_MAX_JAILS], k = 0;
	unsigned n = pj_ancestors(st, (int)j, ids);
	if (st->current == (int)j && st->box.pid)
		return 0;
	if (st->current >= 0 && st->box.pid) {
		while (k < n && ids[k] != (unsigned)st->current)
			k++;
		if (k == n) {
			esc_note(ctx, "the process runs in jail#%d, not in jail#%u's chain", st->current + 1,
				 j + 1);
			return -1;
		}
		k++;
	}
	for (; k < n; k++)
		if (enter(st, ids[k], ctx))
			return -1;
	return 0;
}

/* ---- the table ---- */

#define ENUM(n, vals, pos) { .name = n, .kind = ESC_ARG_ENUM, .positional = pos, .values = vals, \
			     .nvalues = sizeof(vals) / sizeof(vals[0]) }
#define JAIL { .name = "jail", .kind = ESC_ARG_HANDLE, .positional = 1, .res = 0 }
#define STR(n) { .name = n, .kind = ESC_ARG_STR, .positional = 1 }

static const esc_op_desc ops[] = {
	{ .name = "jail.new", .nargs = 3, .produces = 0, .run = op_new,
	  .args = { ENUM("sys", sys_tpl_names, 0), ENUM("fs", fs_tpl_names, 0),
		    ENUM("net", net_names, 0) } },
	{ .name = "jail.nest", .nargs = 4, .produces = 0, .run = op_nest,
	  .args = { JAIL, ENUM("sys", sys_tpl_names, 0), ENUM("fs", fs_tpl_names, 0),
		    ENUM("net", net_names, 0) } },
	{ .name = "jail.allow", .nargs = 2, .produces = ESC_NO_RES, .run = op_allow,
	  .args = { JAIL, ENUM("syscall", pj_sys_names, 1) } },
	{ .name = "jail.deny", .nargs = 2, .produces = ESC_NO_RES, .run = op_deny,
	  .args = { JAIL, ENUM("syscall", pj_sys_names, 1) } },
	{ .name = "jail.fs", .nargs = 3, .produces = ESC_NO_RES, .run = op_fs,
	  .args = { JAIL, ENUM("dir", dir_names, 1), ENUM("access", access_names, 1) } },
	{ .name = "jail.prctl", .nargs = 2, .produces = ESC_NO_RES, .run = op_prctl_rule,
	  .args = { JAIL, ENUM("arg2", rule_arg_names, 0) } },
	{ .name = "jail.rlimit", .nargs = 2, .produces = ESC_NO_RES, .run = op_nofile,
	  .args = { JAIL, { .name = "nofile", .kind = ESC_ARG_INT, .min = 16, .max = 1024 } } },
	{ .name = "jail.enter", .nargs = 1, .produces = ESC_NO_RES, .run = op_enter,
	  .args = { JAIL } },
	{ .name = "fs.open", .nargs = 3, .produces = ESC_NO_RES, .run = pj_op_open,
	  .args = { JAIL, STR("path"), ENUM("mode", pj_mode_names, 0) } },
	{ .name = "fs.mkdir", .nargs = 2, .produces = ESC_NO_RES, .run = pj_op_mkdir,
	  .args = { JAIL, STR("path") } },
	{ .name = "fs.symlink", .nargs = 3, .produces = ESC_NO_RES, .run = pj_op_symlink,
	  .args = { JAIL, STR("path"), ENUM("target", pj_link_names, 1) } },
	{ .name = "fs.rename", .nargs = 3, .produces = ESC_NO_RES, .run = pj_op_rename,
	  .args = { JAIL, STR("from"), STR("to") } },
	{ .name = "broker.open", .nargs = 3, .produces = ESC_NO_RES, .run = pj_op_broker,
	  .args = { JAIL, STR("path"), ENUM("mode", pj_mode_names, 0) } },
	{ .name = "proc.exec", .nargs = 2, .produces = ESC_NO_RES, .run = pj_op_exec,
	  .args = { JAIL, STR("path") } },
	{ .name = "sys.call", .nargs = 3, .produces = ESC_NO_RES, .run = pj_op_syscall,
	  .args = { JAIL, ENUM("syscall", pj_sys_names, 1), ENUM("abi", pj_abi_names, 0) } },
	{ .name = "sys.prctl", .nargs = 3, .produces = ESC_NO_RES, .run = pj_op_sprctl,
	  .args = { JAIL, ENUM("option", pj_prctl_names, 1), ENUM("arg2", arg2_names, 0) } },
	{ .name = "net.connect", .nargs = 2, .produces = ESC_NO_RES, .run = pj_op_connect,
	  .args = { JAIL, ENUM("port", port_names, 0) } },
	{ .name = "sys.rlimit", .nargs = 1, .produces = ESC_NO_RES, .run = pj_op_rlimit,
	  .args = { JAIL } },
};

const esc_target procjail_target = {
	.name = "procjail",
	.res_kinds = res_kinds,
	.nres = 1,
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.profiles = pj_profile_names,
	.nprofiles = PJ_NPROFILES,
	.dict = dict,
	.ndict = sizeof(dict) / sizeof(dict[0]),
	.state_size = sizeof(pj_state),
	.reset = pj_reset,
	.check = pj_check,
	.describe = pj_describe,
	.release = pj_release,
	.principals = pj_principals,
	.outcomes = 1,
};

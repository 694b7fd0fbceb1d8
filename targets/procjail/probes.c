/* procjail probes: the actions a jailed process runs on command (opens, tree changes,
 * brokered opens, execve, syscalls through the native, i386 or x32 entry, prctl, connect,
 * rlimits). Each records what the kernel or the broker let happen in the run's event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jailstate.h"

const char *const pj_mode_names[PJ_NMODES] = { "read", "write", "create", "trunc" };
const char *const pj_abi_names[PJ_NABI] = { "native", "i386", "x32" };
const char *const pj_prctl_names[PJ_NPRCTL] = { "child-subreaper", "dumpable", "keepcaps",
						 "no-new-privs" };
const uint64_t pj_arg2_vals[PJ_NARG2] = { 0, 1, 1ull << 32, (1ull << 32) | 1 };
/* What a planted symlink points at: mostly out of every jail's reach (the first is the
 * default, so a planted link leads out unless told otherwise). */
const char *const pj_link_names[PJ_NLINKS] = { "canary", "host-secret", "secret-key",
					       "secret-dir", "up-canary", "ro-file", "pub-file",
					       "pub-dir", "root" };
static const char *const link_targets[PJ_NLINKS] = { "/canary", "/host/secret",
						     "/jail/secret/key", "/jail/secret",
						     "../../canary", "/jail/ro/file",
						     "/jail/pub/file", "/jail/pub", "/" };

/* Where path lies: 1 + the deepest jail directory it is in, 15 outside /jail, 0 none. */
static uint32_t area(const char *path)
{
	uint32_t best = 0;
	size_t bestlen = 0;
	if (!path[0])
		return 0;
	for (unsigned d = 0; d < PJ_NDIRS; d++) {
		size_t len = strlen(pj_dir_paths[d]);
		if (len > bestlen && strncmp(path, pj_dir_paths[d], len) == 0 &&
		    (path[len] == '\0' || path[len] == '/')) {
			best = d + 1;
			bestlen = len;
		}
	}
	return best ? best : 15;
}

/* Runs c in the process, in jail j (entered on first use). Returns 0 and the reply, or
 * -1. The outcome of an op the jail let through (esc_ctx): where the paths the kernel or
 * the broker resolved lie, and whether the jail is nested. */
static int probe(pj_state *st, unsigned j, pj_cmd *c, pj_reply *r, esc_ctx *ctx)
{
	if (pj_ensure_in(st, j, ctx))
		return -1;
	st->ev.acted = 1;
	if (pj_box_call(&st->box, c, -1, r)) {
		esc_note(ctx, "the jailed process did not answer within %d ms: killed", PJ_TIMEOUT_MS);
		st->current = -1;
		return -1;
	}
	if (ctx && !r->rc) { /* where it landed (a denial is the op failing) */
		unsigned ids[PJ_MAX_JAILS];
		uint32_t nested = pj_ancestors(st, (int)j, ids) > 1;
		ctx->outcome = 4u | area(r->path) << 4 | area(r->path2) << 8 | nested << 12;
	}
	return 0;
}

static void cmd_init(pj_cmd *c, uint32_t kind, const char *s1, const char *s2)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (s1)
		snprintf(c->s1, sizeof(c->s1), "%s", s1);
	if (s2)
		snprintf(c->s2, sizeof(c->s2), "%s", s2);
}

/* probe for a command whose operands are numbers only (a, b, v): returns 0 and the reply
 * in *r, or -1. */
static int probe_num(pj_state *st, unsigned j, uint32_t kind, uint32_t a, uint32_t b, uint64_t v,
		     pj_reply *r, esc_ctx *ctx)
{
	pj_cmd c;
	cmd_init(&c, kind, NULL, NULL);
	c.a = a;
	c.b = b;
	c.v = v;
	return probe(st, j, &c, r, ctx);
}

/* The reply's outcome as the notes give it: "0", or the name of its error. */
static const char *outcome(const pj_reply *r)
{
	return r->rc ? pj_ename(r->err) : "0";
}

/* Records that the op reached what it probed: the event's kind and its one-line what.
 * Returns 0. */
static int reached(pj_state *st, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int reached(pj_state *st, int kind, const char *fmt, ...)
{
	va_list ap;
	st->ev.kind = kind;
	va_start(ap, fmt);
	vsnprintf(st->ev.what, sizeof(st->ev.what), fmt, ap);
	va_end(ap);
	return 0;
}

static int fs_event(pj_state *st, const pj_reply *r, unsigned need, const char *what)
{
	pj_event *ev = &st->ev;
	if (r->rc)
		return -1;
	ev->kind = EV_FS;
	ev->need = need;
	ev->npaths = r->path2[0] ? 2 : 1;
	memcpy(ev->path[0], r->path, PJ_PATH);
	memcpy(ev->path[1], r->path2, PJ_PATH);
	snprintf(ev->what, sizeof(ev->what), "%s: the kernel let it touch %.60s%s%.60s", what,
		 r->path, r->path2[0] ? " and " : "", r->path2);
	return 0;
}

int pj_op_open(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_cmd c;
	pj_reply r;
	cmd_init(&c, PJ_CMD_OPEN, a[1].s, NULL);
	c.a = a[2].e;
	if (c.a != PJ_MODE_READ)
		pj_tree_dirty();
	if (probe(st, a[0].h, &c, &r, ctx))
		return -1;
	if (r.rc)
		esc_note(ctx, "open(\"%s\", %s) failed: %s", a[1].s, pj_mode_names[a[2].e],
			 pj_fsname(r.err));
	else if (strcmp(r.path, a[1].s) == 0)
		esc_note(ctx, "open(\"%s\", %s) opened it", a[1].s, pj_mode_names[a[2].e]);
	else /* through dot-dots, symlinks or /proc magic links */
		esc_note(ctx, "open(\"%s\", %s) opened %s", a[1].s, pj_mode_names[a[2].e], r.path);
	char what[40];
	snprintf(what, sizeof(what), "open(%s)", pj_mode_names[a[2].e]);
	return fs_event(st, &r, a[2].e == PJ_MODE_READ ? PJ_R : PJ_W, what);
}

/* mkdir, symlink, rename by the jailed process. sep joins the two operands in notes
 * (" -> " for a symlink's target, " to " for a rename). */
static int fs_op(pj_state *st, const esc_val *a, uint32_t kind, const char *name,
		 const char *s2, const char *sep, esc_ctx *ctx)
{
	pj_cmd c;
	pj_reply r;
	char what[ESC_MAX_STR * 2 + 40];
	cmd_init(&c, kind, a[1].s, s2);
	pj_tree_dirty();
	if (probe(st, a[0].h, &c, &r, ctx))
		return -1;
	snprintf(what, sizeof(what), "%s \"%s\"%s%s%s%s", name, a[1].s, s2 ? sep : "",
		 s2 ? "\"" : "", s2 ? s2 : "", s2 ? "\"" : "");
	if (r.rc)
		esc_note(ctx, "%s failed: %s", what, pj_fsname(r.err));
	else
		esc_note(ctx, "%s: made %s%s%s", what, r.path, r.path2[0] ? " -> " : "", r.path2);
	return fs_event(st, &r, PJ_W, name);
}

int pj_op_mkdir(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return fs_op(s, a, PJ_CMD_MKDIR, "mkdir", NULL, NULL, ctx);
}

int pj_op_symlink(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	int rc = fs_op(s, a, PJ_CMD_SYMLINK, "symlink", link_targets[a[2].e], " -> ", ctx);
	if (rc == 0 && ctx) /* and where the link points: followed later, by whoever opens it */
		ctx->outcome |= area(link_targets[a[2].e]) << 8;
	return rc;
}

int pj_op_rename(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return fs_op(s, a, PJ_CMD_RENAME, "rename", a[2].s, " to ", ctx);
}

int pj_op_broker(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_cmd c;
	pj_reply r;
	cmd_init(&c, PJ_CMD_BROKER, a[1].s, NULL);
	c.a = a[2].e;
	if (c.a != PJ_MODE_READ)
		pj_tree_dirty();
	st->broker_granted = 0;
	snprintf(st->broker_note, sizeof(st->broker_note), "broker: no request arrived");
	if (probe(st, a[0].h, &c, &r, ctx))
		return -1;
	esc_note(ctx, "%s", st->broker_note);
	if (r.rc)
		esc_note(ctx, "jail#%u: broker open(\"%s\", %s) failed: %s", a[0].h + 1, a[1].s,
			 pj_mode_names[a[2].e], pj_ename(r.err));
	return st->broker_granted ? 0 : -1;
}

int pj_op_exec(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_cmd c;
	pj_reply r;
	cmd_init(&c, PJ_CMD_EXEC, a[1].s, NULL);
	if (probe(st, a[0].h, &c, &r, ctx))
		return -1;
	if (r.rc) {
		esc_note(ctx, "execve(\"%s\") failed: %s", a[1].s, pj_fsname(r.err));
		return -1;
	}
	if (ctx && r.val == 1)
		ctx->outcome |= 1u << 24; /* the new program holds capabilities */
	pj_event *ev = &st->ev;
	ev->kind = EV_EXEC;
	ev->npaths = 1;
	ev->need = PJ_X;
	memcpy(ev->path[0], r.path, PJ_PATH);
	ev->val = r.val;
	snprintf(ev->what, sizeof(ev->what), "execve(%.100s) ran; the new program %s", r.path,
		 r.val == 1 ? "holds capabilities" : r.val == 0 ? "holds none" : "exited oddly");
	esc_note(ctx, "execve(\"%s\") ran %s: exit %lld (%s)", a[1].s, r.path, (long long)r.val,
		 r.val == 1 ? "it holds capabilities" : r.val == 0 ? "no capabilities" :
		 "capget failed");
	return 0;
}

int pj_op_syscall(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_reply r;
	const pj_features *f = pj_features_get();
	if ((a[2].e == PJ_ABI_I386 && !f->i386) || (a[2].e == PJ_ABI_X32 && !f->x32)) {
		esc_note(ctx, "the %s syscall ABI is not in this kernel", pj_abi_names[a[2].e]);
		return -1;
	}
	if (probe_num(st, a[0].h, PJ_CMD_SYSCALL, a[1].e, a[2].e, 0, &r, ctx))
		return -1;
	int passed = r.rc == 0 || (r.err != PJ_E_FILTER && r.err != ENOSYS);
	esc_note(ctx, "%s (%s entry) = %s", pj_sys_names[a[1].e], pj_abi_names[a[2].e],
		 outcome(&r));
	if (!passed)
		return -1;
	st->ev.sys = a[1].e;
	return reached(st, EV_SYS, "%s through the %s entry reached the kernel (%s)",
		       pj_sys_names[a[1].e], pj_abi_names[a[2].e], outcome(&r));
}

int pj_op_sprctl(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_reply r;
	uint64_t v = pj_arg2_vals[a[2].e];
	if (probe_num(st, a[0].h, PJ_CMD_PRCTL, a[1].e, 0, v, &r, ctx))
		return -1;
	esc_note(ctx, "prctl(%s, %#llx) = %s; reads back %lld", pj_prctl_names[a[1].e],
		 (unsigned long long)v, outcome(&r), (long long)r.val);
	if (r.rc && r.err == PJ_E_FILTER)
		return -1;
	st->ev.arg2 = v;
	return reached(st, EV_PRCTL, "prctl(%s, arg2=%#llx) reached the kernel (%s)",
		       pj_prctl_names[a[1].e], (unsigned long long)v, outcome(&r));
}

int pj_op_connect(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_reply r;
	if (probe_num(st, a[0].h, PJ_CMD_CONNECT, a[1].e, 0, 0, &r, ctx))
		return -1;
	int seen = pj_box_drain(&st->box);
	esc_note(ctx, "connect(127.0.0.1:%d) = %s; the harness accepted %d connection(s)",
		 PJ_PORT + (int)a[1].e, outcome(&r), seen);
	if (r.rc)
		return -1;
	return reached(st, EV_CONNECT, "connected to 127.0.0.1:%d", PJ_PORT + (int)a[1].e);
}

int pj_op_rlimit(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	pj_state *st = s;
	pj_reply r;
	if (probe_num(st, a[0].h, PJ_CMD_RLIMIT, 0, 0, 0, &r, ctx) || r.rc)
		return -1;
	esc_note(ctx, "RLIMIT_NOFILE hard %lld; raising it: %s", (long long)r.val,
		 r.rc2 ? pj_ename(r.err2) : "done");
	st->ev.val = r.val;
	st->ev.raised = r.rc2 == 0;
	return reached(st, EV_RLIMIT, "RLIMIT_NOFILE hard limit %lld%s", (long long)r.val,
		       r.rc2 == 0 ? ", and raising it worked" : "");
}

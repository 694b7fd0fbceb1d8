/* vm2model: NodeVM creation, require and nesting as vm2 3.11.x does them, and the
 * reference authority oracle (see vm2model.h for the model and its invariants).
 *
 * Facts modelled (vm2 lib/nodevm.js, lib/resolver-compat.js, advisories):
 *  - options are destructured as {require: requireOpts = false, nesting = false}: the
 *    default applies only to undefined, so null, 0 and '' stay what they are;
 *  - `nesting` truthy adds the builtin 'vm2' (host VM/NodeVM classes through the
 *    membrane) to the resolver; sandbox code constructing a NodeVM builds a new
 *    top-level VM in the host from options it chose; nothing of the parent carries over;
 *  - GHSA-8hg8-63c5-gwmx (fixed 3.11.1): {nesting: true, require: false} was accepted;
 *  - GHSA-m4wx-m65x-ghrr (fixed 3.11.4): 3.11.1's check looked at the raw option for
 *    `=== true` / `=== false` only;
 *  - GHSA-8hr7-r645-pc6w (fixed 3.11.7): 3.11.4 accepted any typeof 'object';
 *  - by design in every release: nesting with a plain require object lets the sandbox
 *    build a NodeVM with any builtins. hardened bounds a child's resolver by its parent's.
 */
#include <stdio.h>
#include <string.h>

#include "escapade/run.h"
#include "vm2model.h"

#define VM2_MAX 64

typedef struct vm2_vm {
	int parent;         /* index of the parent VM, -1 for a root VM (host-made) */
	unsigned caps;      /* effective resolver */
	unsigned reference; /* what the reference model allows */
	unsigned cls_vm;    /* 1 for class VM (no require at all) */
} vm2_vm;

typedef struct vm2_mod {
	unsigned vm;  /* VM that required it */
	unsigned cap; /* one capability bit */
} vm2_mod;

typedef enum vm2_event_kind { EV_NONE, EV_REACH, EV_EXEC, EV_FSWRITE } vm2_event_kind;

typedef struct vm2_state {
	unsigned profile;
	unsigned nvms, nmods;
	vm2_vm vms[VM2_MAX];
	vm2_mod mods[VM2_MAX];
	/* what the last op did, for the oracle */
	vm2_event_kind ev;
	unsigned ev_vm, ev_cap;
	char ev_what[128];
} vm2_state;

static const char *const profile_names[VM2_NPROFILES] = {
	[VM2_HARDENED] = "hardened",
	[VM2_3_11_0] = "vm2-3.11.0",
	[VM2_3_11_1] = "vm2-3.11.1",
	[VM2_3_11_4] = "vm2-3.11.4",
	[VM2_3_11_7] = "vm2-3.11.7",
};

static const char *const shape_names[SH_NSHAPES] = {
	"undefined", "false", "null", "true", "number", "zero", "string", "empty-string",
	"symbol", "function", "array", "date", "map", "boxed", "object", "null-proto",
	"resolver",
};

/* How each shape reads in JavaScript, for traces. */
static const char *const shape_js[SH_NSHAPES] = {
	"(omitted)", "false", "null", "true", "1", "0", "'x'", "''", "Symbol()",
	"function(){}", "[]", "new Date()", "new Map()", "new Boolean(false)", "{builtin}",
	"Object.create(null)+{builtin}", "new Resolver({builtin})",
};

static const char *const nest_names[NE_NVALUES] = {
	"undefined", "false", "true", "null", "zero", "one", "string", "empty-string", "object",
};

static const char *const builtin_names[] = {
	"none", "fs", "child_process", "path", "os", "fs+path", "all",
};
#define NBUILTIN (sizeof(builtin_names) / sizeof(builtin_names[0]))

static const char *const class_names[] = { "NodeVM", "VM" };

static const char *const dict[] = {
	"vm2", "child_process", "fs", "path", "os", "node:child_process", "node:fs",
	"id", "echo PWN", "/etc/passwd", "/tmp/escapade-canary",
};

static const struct {
	const char *name;
	unsigned cap;
} modules[] = {
	{ "vm2", CAP_VM2 }, { "child_process", CAP_CHILD_PROCESS }, { "fs", CAP_FS },
	{ "path", CAP_PATH }, { "os", CAP_OS },
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

unsigned vm2_builtin_caps(unsigned b)
{
	static const unsigned caps[NBUILTIN] = {
		0, CAP_FS, CAP_CHILD_PROCESS, CAP_PATH, CAP_OS, CAP_FS | CAP_PATH,
		CAP_FS | CAP_CHILD_PROCESS | CAP_PATH | CAP_OS,
	};
	return b < NBUILTIN ? caps[b] : 0;
}

int vm2_nest_truthy(enum vm2_nest n)
{
	return n == NE_TRUE || n == NE_ONE || n == NE_STRING || n == NE_OBJECT;
}

int vm2_shape_truthy(enum vm2_shape s)
{
	return !(s == SH_UNDEFINED || s == SH_FALSE || s == SH_NULL || s == SH_ZERO ||
		 s == SH_EMPTY_STRING);
}

/* typeof x === 'object' && x !== null */
static int shape_is_object(enum vm2_shape s)
{
	return s == SH_ARRAY || s == SH_DATE || s == SH_MAP || s == SH_BOXED || s == SH_OBJECT ||
	       s == SH_NULL_PROTO || s == SH_RESOLVER;
}

/* prototype is Object.prototype or null */
static int shape_is_plain(enum vm2_shape s)
{
	return s == SH_OBJECT || s == SH_NULL_PROTO;
}

/* Only config objects have a `builtin` field to read. */
static int shape_has_fields(enum vm2_shape s)
{
	return shape_is_plain(s) || s == SH_RESOLVER;
}

/* `{require: requireOpts = false} = options` */
static enum vm2_shape destructured(enum vm2_shape s)
{
	return s == SH_UNDEFINED ? SH_FALSE : s;
}

int vm2_guard(unsigned profile, enum vm2_shape rq, enum vm2_nest nest, const char **why)
{
	const char *w = "no check";
	int rc = 0;
	enum vm2_shape d = destructured(rq);
	switch (profile) {
	case VM2_3_11_0:
		w = "3.11.0 has no nesting guard";
		break;
	case VM2_3_11_1:
		/* the raw option, before the default */
		w = "raw check: nesting === true && require === false";
		if (nest == NE_TRUE && rq == SH_FALSE)
			rc = -1;
		break;
	case VM2_3_11_4:
		w = "nesting requires a Resolver or typeof require === 'object' && !== null";
		if (vm2_nest_truthy(nest) && !shape_is_object(d))
			rc = -1;
		break;
	case VM2_3_11_7:
	case VM2_HARDENED:
	default:
		w = "nesting requires a Resolver or a plain require object";
		if (vm2_nest_truthy(nest) && !(shape_is_plain(d) || d == SH_RESOLVER))
			rc = -1;
		break;
	}
	if (why)
		*why = w;
	return rc;
}

int vm2_normalize(unsigned profile, enum vm2_shape rq, enum vm2_nest nest, unsigned builtin,
		  unsigned *caps, const char **why)
{
	enum vm2_shape d = destructured(rq);
	unsigned vm2 = vm2_nest_truthy(nest) ? CAP_VM2 : 0;
	if ((profile == VM2_3_11_7 || profile == VM2_HARDENED) && vm2 &&
	    !(shape_is_plain(d) || d == SH_RESOLVER)) {
		if (why)
			*why = "normalize refuses a non-plain require with nesting";
		*caps = 0;
		return -1;
	}
	if (d == SH_RESOLVER) {
		*caps = builtin; /* a Resolver is used as given; no vm2 override */
		if (why)
			*why = "require is a Resolver: used as given";
	} else if (!vm2_shape_truthy(d)) {
		*caps = vm2;
		if (why)
			*why = vm2 ? "falsy require + nesting: resolver with builtin vm2 only"
				   : "falsy require: deny-all resolver";
	} else {
		*caps = (shape_has_fields(d) ? builtin : 0) | vm2;
		if (why)
			*why = shape_has_fields(d) ? "config object: its builtins (+ vm2 if nesting)"
						   : "require has no config fields: builtins none (+ vm2 if nesting)";
	}
	return 0;
}

unsigned vm2_reference(enum vm2_shape rq, enum vm2_nest nest, unsigned builtin)
{
	return (shape_has_fields(rq) ? builtin : 0) | (vm2_nest_truthy(nest) ? CAP_VM2 : 0);
}

static void caps_str(unsigned caps, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "{");
	int first = 1;
	for (unsigned k = 0; k < NMODULES && used < len; k++) {
		if (!(caps & modules[k].cap))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", first ? "" : ", ",
					 modules[k].name);
		first = 0;
	}
	if (used < len)
		snprintf(buf + used, len - used, "}");
}

static void chain_str(const vm2_state *st, unsigned v, char *buf, size_t len)
{
	unsigned path[VM2_MAX];
	unsigned n = 0;
	for (int x = (int)v; x >= 0 && n < VM2_MAX; x = st->vms[x].parent)
		path[n++] = (unsigned)x;
	size_t used = (size_t)snprintf(buf, len, "host");
	while (n-- > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, " > vm#%u", path[n] + 1);
}

static int vm2_reset(void *state, unsigned profile)
{
	vm2_state *st = state;
	st->profile = profile;
	st->nvms = st->nmods = 0;
	st->ev = EV_NONE;
	return 0;
}

/* Creates a VM from options; returns 0 and its index in *out, or -1 (the constructor
 * threw). parent < 0: the embedder; otherwise sandbox code in VM parent through vm2. */
static int make_vm(vm2_state *st, int parent, unsigned cls_vm, unsigned rq, unsigned nest,
		   unsigned builtin, unsigned *out, esc_ctx *ctx)
{
	const char *who = parent < 0 ? "embedder" : "sandbox";
	unsigned bcaps = vm2_builtin_caps(builtin);
	char a[96], b[96];
	if (st->nvms >= VM2_MAX) {
		esc_note(ctx, "too many VMs");
		return -1;
	}
	unsigned caps = 0;
	if (!cls_vm) {
		const char *why;
		if (vm2_guard(st->profile, (enum vm2_shape)rq, (enum vm2_nest)nest, &why)) {
			esc_note(ctx, "%s: new NodeVM({nesting: %s, require: %s}) throws: %s", who,
				 nest_names[nest], shape_js[rq], why);
			return -1;
		}
		if (vm2_normalize(st->profile, (enum vm2_shape)rq, (enum vm2_nest)nest, bcaps, &caps, &why)) {
			esc_note(ctx, "%s: NodeVM throws in normalize: %s", who, why);
			return -1;
		}
		if (esc_tracing(ctx)) {
			caps_str(caps, a, sizeof(a));
			esc_note(ctx, "guard passed; normalize: %s -> resolver %s", why, a);
		}
	}
	unsigned ref = cls_vm ? 0 : vm2_reference((enum vm2_shape)rq, (enum vm2_nest)nest, bcaps);
	if (parent >= 0) {
		ref &= st->vms[parent].reference;
		if (st->profile == VM2_HARDENED)
			caps &= st->vms[parent].caps; /* child grants never exceed the parent's */
	}
	unsigned id = st->nvms++;
	st->vms[id] = (vm2_vm){ .parent = parent, .caps = caps, .reference = ref, .cls_vm = cls_vm };
	if (esc_tracing(ctx)) {
		caps_str(caps, a, sizeof(a));
		caps_str(ref, b, sizeof(b));
		if (parent < 0)
			esc_note(ctx, "embedder created vm#%u: resolver %s, reference %s", id + 1, a, b);
		else
			esc_note(ctx, "vm#%d built %s in the HOST as vm#%u (nested in vm#%d): resolver %s, "
				 "reference %s (asked ∩ parent)", parent + 1, class_names[cls_vm], id + 1,
				 parent + 1, a, b);
	}
	*out = id;
	return 0;
}

static int op_new(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	return make_vm(state, -1, 0, args[1].e, args[0].e, args[2].e, out, ctx);
}

static int op_require(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h;
	const char *name = args[1].s;
	if (strncmp(name, "node:", 5) == 0)
		name += 5;
	unsigned cap = 0;
	for (unsigned k = 0; k < NMODULES; k++)
		if (strcmp(modules[k].name, name) == 0)
			cap = modules[k].cap;
	if (!cap || st->vms[v].cls_vm || !(st->vms[v].caps & cap)) {
		esc_note(ctx, "vm#%u: require('%s') throws: %s", v + 1, args[1].s,
			 st->vms[v].cls_vm ? "VM has no require" :
			 cap ? "not allowed by its resolver" : "cannot find module");
		return -1;
	}
	if (st->nmods >= VM2_MAX)
		return -1;
	st->mods[st->nmods] = (vm2_mod){ .vm = v, .cap = cap };
	*out = st->nmods++;
	st->ev = EV_REACH;
	st->ev_vm = v;
	st->ev_cap = cap;
	snprintf(st->ev_what, sizeof(st->ev_what), "require('%s')", args[1].s);
	esc_note(ctx, "vm#%u: require('%s') -> host module through the membrane%s", v + 1,
		 args[1].s, cap == CAP_VM2 ? " (host VM/NodeVM classes)" : "");
	return 0;
}

static int op_construct(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	const vm2_mod *m = &st->mods[args[0].h];
	if (m->cap != CAP_VM2) {
		esc_note(ctx, "vm#%u: TypeError: not a constructor", m->vm + 1);
		return -1;
	}
	return make_vm(st, (int)m->vm, args[1].e, args[3].e, args[2].e, args[4].e, out, ctx);
}

static int use_module(vm2_state *st, const esc_val *args, unsigned cap, vm2_event_kind ev,
		      const char *fn, esc_ctx *ctx)
{
	const vm2_mod *m = &st->mods[args[0].h];
	if (m->cap != cap) {
		esc_note(ctx, "vm#%u: TypeError: %s is not a function", m->vm + 1, fn);
		return -1;
	}
	st->ev = ev;
	st->ev_vm = m->vm;
	st->ev_cap = cap;
	snprintf(st->ev_what, sizeof(st->ev_what), "%s(\"%.40s\")", fn, args[1].s);
	esc_note(ctx, "vm#%u: %s(\"%s\") runs in the host", m->vm + 1, fn, args[1].s);
	return 0;
}

static int op_exec(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	(void)out;
	return use_module(state, args, CAP_CHILD_PROCESS, EV_EXEC, "child_process.execSync", ctx);
}

static int op_fswrite(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	(void)out;
	return use_module(state, args, CAP_FS, EV_FSWRITE, "fs.writeFileSync", ctx);
}

static int vm2_check(void *state, unsigned step, esc_verdict *v)
{
	(void)step;
	vm2_state *st = state;
	vm2_event_kind ev = st->ev;
	st->ev = EV_NONE;
	if (ev == EV_NONE)
		return 0;
	const vm2_vm *vm = &st->vms[st->ev_vm];
	if (vm->reference & st->ev_cap)
		return 0;
	int nested = vm->parent >= 0;
	if (ev == EV_EXEC)
		v->kind = ESC_HOST_EXECUTION;
	else if (ev == EV_FSWRITE)
		v->kind = ESC_INTEGRITY_VIOLATION;
	else
		v->kind = nested ? ESC_PRIVILEGE_AMPLIFICATION : ESC_POLICY_BYPASS;
	chain_str(st, st->ev_vm, v->chain, sizeof(v->chain));
	caps_str(vm->reference, v->expected, sizeof(v->expected));
	caps_str(st->ev_cap, v->actual, sizeof(v->actual));
	if (nested)
		snprintf(v->summary, sizeof(v->summary),
			 "vm#%u, nested in vm#%d, reached %s: its parent's grants do not include it",
			 st->ev_vm + 1, vm->parent + 1, st->ev_what);
	else
		snprintf(v->summary, sizeof(v->summary),
			 "vm#%u reached %s beyond the embedder's grants", st->ev_vm + 1, st->ev_what);
	return 1;
}

static void describe_vm(const vm2_state *st, unsigned v, unsigned depth, esc_ctx *ctx)
{
	char a[96], b[96], ind[VM2_MAX * 3 + 1];
	unsigned d = depth < VM2_MAX ? depth : VM2_MAX;
	memset(ind, ' ', d * 3);
	ind[d * 3] = 0;
	caps_str(st->vms[v].caps, a, sizeof(a));
	caps_str(st->vms[v].reference, b, sizeof(b));
	esc_note(ctx, "%s└─ vm#%u (%s) resolver %s reference %s%s", ind, v + 1,
		 class_names[st->vms[v].cls_vm], a, b,
		 (st->vms[v].caps & ~st->vms[v].reference) ? "  <- exceeds reference" : "");
	for (unsigned c = 0; c < st->nvms; c++)
		if (st->vms[c].parent == (int)v)
			describe_vm(st, c, depth + 1, ctx);
}

static void vm2_describe(void *state, esc_ctx *ctx)
{
	const vm2_state *st = state;
	esc_note(ctx, "host");
	for (unsigned v = 0; v < st->nvms; v++)
		if (st->vms[v].parent < 0)
			describe_vm(st, v, 0, ctx);
}

static unsigned vm2_principals(void *state, esc_principal *out, unsigned max)
{
	const vm2_state *st = state;
	unsigned n = st->nvms < max ? st->nvms : max;
	for (unsigned v = 0; v < n; v++) {
		char a[96], b[96];
		caps_str(st->vms[v].caps, a, sizeof(a));
		caps_str(st->vms[v].reference, b, sizeof(b));
		snprintf(out[v].name, sizeof(out[v].name), "vm#%u", v + 1);
		out[v].parent = st->vms[v].parent;
		snprintf(out[v].label, sizeof(out[v].label), "%s resolver %.36s ref %.36s",
			 class_names[st->vms[v].cls_vm], a, b);
	}
	return n;
}

enum { RES_VM, RES_MODULE };
static const char *const res_kinds[] = { [RES_VM] = "vm", [RES_MODULE] = "module" };

#define ENUM_ARG(n, vals, pos) \
	{ .name = n, .kind = ESC_ARG_ENUM, .positional = pos, .values = vals, \
	  .nvalues = sizeof(vals) / sizeof(vals[0]) }
#define HANDLE_ARG(n, r) { .name = n, .kind = ESC_ARG_HANDLE, .positional = 1, .res = r }
#define STR_ARG(n) { .name = n, .kind = ESC_ARG_STR, .positional = 1 }

static const esc_op_desc ops[] = {
	{ .name = "vm.new", .nargs = 3, .produces = RES_VM, .run = op_new,
	  .args = { ENUM_ARG("nesting", nest_names, 0), ENUM_ARG("require", shape_names, 0),
		    ENUM_ARG("builtin", builtin_names, 0) } },
	{ .name = "vm.require", .nargs = 2, .produces = RES_MODULE, .run = op_require,
	  .args = { HANDLE_ARG("vm", RES_VM), STR_ARG("module") } },
	{ .name = "vm.construct", .nargs = 5, .produces = RES_VM, .run = op_construct,
	  .args = { HANDLE_ARG("vm2", RES_MODULE), ENUM_ARG("class", class_names, 1),
		    ENUM_ARG("nesting", nest_names, 0), ENUM_ARG("require", shape_names, 0),
		    ENUM_ARG("builtin", builtin_names, 0) } },
	{ .name = "host.exec", .nargs = 2, .produces = ESC_NO_RES, .run = op_exec,
	  .args = { HANDLE_ARG("child_process", RES_MODULE), STR_ARG("command") } },
	{ .name = "fs.write", .nargs = 2, .produces = ESC_NO_RES, .run = op_fswrite,
	  .args = { HANDLE_ARG("fs", RES_MODULE), STR_ARG("path") } },
};

const esc_target vm2model_target = {
	.name = "vm2model",
	.res_kinds = res_kinds,
	.nres = sizeof(res_kinds) / sizeof(res_kinds[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.profiles = profile_names,
	.nprofiles = VM2_NPROFILES,
	.dict = dict,
	.ndict = sizeof(dict) / sizeof(dict[0]),
	.state_size = sizeof(vm2_state),
	.reset = vm2_reset,
	.check = vm2_check,
	.describe = vm2_describe,
	.principals = vm2_principals,
};

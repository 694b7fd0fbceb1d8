/* vm2model: the ops (each a thin layer over nesting.c, membrane.c and channels.c), the
 * op table with each op's JavaScript, and the oracle (see vm2model.h for the model and
 * the verdicts, vm2int.h for the object model; profiles.c for the profiles).
 */
#include <stdio.h>
#include <string.h>

#include "escapade/run.h"
#include "vm2int.h"

/* ---- names of enum values, with their JavaScript ---- */

static const char *const shape_names[SH_NSHAPES] = {
	"undefined", "false", "null", "true", "number", "zero", "string", "empty-string",
	"symbol", "function", "array", "date", "map", "boxed", "object", "null-proto",
	"resolver",
};

/* How each shape reads in JavaScript: traces and emitted programs ({builtin}: the
 * builtin argument's JavaScript). */
static const char *const shape_js[SH_NSHAPES] = {
	"undefined", "false", "null", "true", "1", "0", "'x'", "''", "Symbol()",
	"function () {}", "[]", "new Date()", "new Map()", "new Boolean(false)",
	"{builtin: {builtin}}", "Object.assign(Object.create(null), {builtin: {builtin}})",
	"__resolver({builtin: {builtin}})",
};

static const char *const nest_names[NE_NVALUES] = {
	"undefined", "false", "true", "null", "zero", "one", "string", "empty-string", "object",
};
static const char *const nest_js[NE_NVALUES] = {
	"undefined", "false", "true", "null", "0", "1", "'x'", "''", "{}",
};

static const char *const builtin_names[BI_NVALUES] = {
	"none", "fs", "child_process", "path", "os", "fs+path", "all", "star-minus-cp",
};
static const char *const builtin_js[BI_NVALUES] = {
	"[]", "['fs']", "['child_process']", "['path']", "['os']", "['fs', 'path']",
	"['fs', 'child_process', 'path', 'os']", "['*', '-child_process']",
};

static const char *const class_names[] = { "NodeVM", "VM" };

static const char *const what_names[] = {
	"object", "array", "function", "thrower", "aggregate", "promise", "rejected",
};
static const char *const what_js[] = {
	"'object'", "'array'", "'function'", "'thrower'", "'aggregate'", "'promise'", "'rejected'",
};
enum { W_OBJECT = 0, W_ARRAY, W_FUNCTION, W_THROWER, W_AGGREGATE, W_PROMISE, W_REJECTED };

static const char *const mode_names[H_NHANDLERS] = { "plain", "readonly", "protected" };
static const char *const mode_js[H_NHANDLERS] = { "'plain'", "'readonly'", "'protected'" };

static const char *const kind_names[] = { "object", "array", "function", "error", "promise",
					  "hostile" };
static const char *const kind_js[] = {
	"{}", "[]", "__fn()", "new Error('escapade')", "Promise.resolve()",
	"new Proxy({}, {getPrototypeOf() { throw __fn(); }})",
};
enum { NK_OBJECT = 0, NK_ARRAY, NK_FUNCTION, NK_ERROR, NK_PROMISE, NK_HOSTILE };

static const char *const which_names[I_NPUBLIC] = {
	"Object.prototype", "Function.prototype", "Array.prototype", "Error.prototype",
	"Promise.prototype", "Object", "Function", "Array", "Error", "Promise",
};

/* keys: as a member access suffix, and as a property name expression */
static const char *const key_suffix_js[K_NKEYS] = {
	".escapade_x", "[0]", ".constructor", ".__proto__", ".cause", ".errors",
	"[Symbol.species]", "[Symbol.for('nodejs.util.inspect.custom')]", ".prepareStackTrace",
	".call", ".get", ".toString",
};
static const char *const key_name_js[K_NKEYS] = {
	"'escapade_x'", "0", "'constructor'", "'__proto__'", "'cause'", "'errors'",
	"Symbol.species", "Symbol.for('nodejs.util.inspect.custom')", "'prepareStackTrace'",
	"'call'", "'get'", "'toString'",
};

static const char *const acc_names[] = { "getter", "setter" };
static const char *const acc_js[] = { "get", "set" };

static const char *const how_names[] = { "getter", "setter", "descriptor" };
static const char *const how_js[] = {
	"{o}.__lookupGetter__({key})", "{o}.__lookupSetter__({key})",
	"Object.getOwnPropertyDescriptor({o}, {key})",
};

static const char *const via_names[VIA_N] = { "direct", "call", "apply", "bind", "reflect",
					      "new", "reflect-construct" };
static const char *const via_js[VIA_N] = {
	"{f}({arg})", "{f}.call(undefined, {arg})", "{f}.apply(undefined, [{arg}])",
	"{f}.bind(undefined, {arg})()", "Reflect.apply({f}, undefined, [{arg}])", "new {f}({arg})",
	"Reflect.construct({f}, [{arg}])",
};

static const char *const code_names[] = { "return-process", "return-this", "empty" };
static const char *const code_js[] = { "'return process'", "'return this'", "''" };
enum { CODE_PROCESS = 0 };

static const char *const method_names[M_N] = { "then", "catch", "finally" };
static const char *const method_js[M_N] = { "then", "catch", "finally" };
static const char *const ivia_names[] = { "direct", "call", "apply", "bind", "reflect" };
static const char *const ivia_js[] = {
	"{o}.{method}({arg})", "{o}.{method}.call({o}, {arg})", "{o}.{method}.apply({o}, [{arg}])",
	"{o}.{method}.bind({o})({arg})", "Reflect.apply({o}.{method}, {o}, [{arg}])",
};

static const char *const err_names[] = { "cause", "aggregate", "suppressed" };
static const char *const err_js[] = {
	"new Error('escapade', {cause: {o}})", "new AggregateError([{o}], 'escapade')",
	("(typeof SuppressedError === 'function' ? new SuppressedError({o}, undefined, 'escapade') "
	 ": new Error('escapade', {cause: {o}}))"),
};

/* catch sites: the emitter wraps the op that threw ({body}) and stores what is caught */
static const char *const site_names[SITE_N] = { "plain", "reject", "asyncgen" };
static const char *const site_js[SITE_N] = {
	"try { {body} } catch (e) { {store} = e; }",
	"(async () => { {body} })().catch((e) => { {store} = e; });",
	"__asyncgen(() => { {body} }, (e) => { {store} = e; });",
};

static const char *const alg_names[ALG_N] = { "map", "then", "inspect", "stack", "string" };
static const char *const alg_js[ALG_N] = {
	"__host.map({o})", "__host.then({o})", "__host.inspect({o})",
	"__host.stack({o}, () => new Error('escapade').stack)", "__host.string({o})",
};

/* hook.set: a sandbox function planted on one of the realm's intrinsics */
static const char *const rhook_names[] = { "Object.prototype.get", "Function.prototype.call",
					   "Array.prototype.0", "Error.prepareStackTrace" };
static const char *const rhook_js[] = {
	"Object.prototype.get = {r};", "Function.prototype.call = {r};",
	"Object.defineProperty(Array.prototype, 0, {set: {r}, configurable: true});",
	"Error.prepareStackTrace = {r};",
};
static const struct {
	uint8_t intrinsic, key, setter;
} rhooks[] = {
	{ I_OBJECT_PROTO, K_GET, 0 }, { I_FUNCTION_PROTO, K_CALL, 0 }, { I_ARRAY_PROTO, K_0, 1 },
	{ I_ERROR, K_PREPARE_STACK, 0 },
};

/* hook.on: a sandbox function planted on an object */
static const char *const ohook_names[] = { "species", "inspect", "toString" };
static const char *const ohook_js[] = {
	"{o}.constructor = {r}; {r}[Symbol.species] = {r};",
	"{o}[Symbol.for('nodejs.util.inspect.custom')] = {r};", "{o}.toString = {r};",
};
enum { OH_SPECIES = 0, OH_INSPECT, OH_TOSTRING };

static const char *const dict[] = {
	"vm2", "child_process", "fs", "path", "os", "node:child_process", "node:fs",
	"id", "echo PWN", "/etc/passwd", "/tmp/escapade-canary", "module", "node:module",
};

/* ---- run state ---- */

static int vm2_reset(void *state, unsigned profile)
{
	vm2_state *st = state;
	st->profile = profile;
	st->def = vm2_defences(profile);
	st->nvms = st->nmods = 0;
	st->ev = EV_NONE;
	vm2_membrane_reset(st);
	return 0;
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

/* Records a value sandbox code of VM v now holds; returns 0 and its id, or -1. */
static int hold(vm2_state *st, unsigned v, vm2_oid o, unsigned *out)
{
	if (st->nheld >= VM2_MAX)
		return -1;
	st->held[st->nheld] = (vm2_held){ .vm = (uint8_t)v, .obj = o };
	*out = st->nheld++;
	return 0;
}

/* ---- nesting ops ---- */

/* Creates a VM from options; returns 0 and its index in *out, or -1 (the constructor
 * threw). parent < 0: the embedder; otherwise sandbox code in VM parent through vm2. */
static int make_vm(vm2_state *st, int parent, unsigned cls_vm, unsigned rq, unsigned nest,
		   unsigned builtin, unsigned *out, esc_ctx *ctx)
{
	const char *who = parent < 0 ? "embedder" : "sandbox";
	unsigned bcaps = vm2_builtin_caps(builtin), deny = vm2_builtin_deny(builtin);
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
				 nest_names[nest], shape_names[rq], why);
			return -1;
		}
		if (vm2_normalize(st->profile, (enum vm2_shape)rq, (enum vm2_nest)nest, bcaps, &caps, &why)) {
			esc_note(ctx, "%s: NodeVM throws in normalize: %s", who, why);
			return -1;
		}
		if (esc_tracing(ctx)) {
			vm2_caps_str(caps, a, sizeof(a));
			esc_note(ctx, "guard passed; normalize: %s -> resolver %s", why, a);
		}
	}
	unsigned uses_fields = !cls_vm && (caps & bcaps & ~CAP_VM2) != 0;
	if (uses_fields)
		caps &= ~deny; /* the effective resolver: '-name' entries removed */
	unsigned ref = cls_vm ? 0 : vm2_reference((enum vm2_shape)rq, (enum vm2_nest)nest, bcaps & ~deny);
	if (parent >= 0) {
		ref &= st->vms[parent].reference;
		if (vm2_clamps_children(st->profile))
			caps &= st->vms[parent].caps; /* child grants never exceed the parent's */
	}
	unsigned id = st->nvms++;
	vm2_vm *vm = &st->vms[id];
	vm->parent = parent;
	vm->caps = caps;
	vm->deny = uses_fields ? deny : 0;
	vm->reference = ref;
	vm->cls_vm = cls_vm;
	vm->wild = uses_fields && builtin == BI_STAR_MINUS_CP;
	vm2_realm_init(st, id);
	if (esc_tracing(ctx)) {
		vm2_caps_str(caps, a, sizeof(a));
		vm2_caps_str(ref, b, sizeof(b));
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

/* Adds a module VM v reached; returns 0 and its id, or -1. */
static int reach_module(vm2_state *st, unsigned v, unsigned cap, const char *name,
			unsigned *out, esc_ctx *ctx)
{
	if (st->nmods >= VM2_MAX)
		return -1;
	st->mods[st->nmods] = (vm2_mod){ .vm = v, .cap = cap };
	*out = st->nmods++;
	st->ev = EV_REACH;
	st->ev_vm = v;
	st->ev_cap = cap;
	snprintf(st->ev_what, sizeof(st->ev_what), "require('%s')", name);
	esc_note(ctx, "vm#%u: require('%s') -> host module through the membrane%s", v + 1,
		 name, cap == CAP_VM2 ? " (host VM/NodeVM classes)" : "");
	return 0;
}

static int op_require(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h;
	const char *name = args[1].s;
	const vm2_vm *vm = &st->vms[v];
	unsigned cap = vm2_module_cap(name);
	const char *no = NULL;
	if (vm->cls_vm)
		no = "VM has no require";
	else if (!cap)
		no = "cannot find module";
	else if (cap == CAP_MODULE) {
		/* a host-passthrough builtin: never granted, whatever the spelling;
		 * GHSA-947f: before 3.11.0 the '*' wildcard expanded to it */
		if (!vm->wild || vm2_on(st, D_BUILTINS))
			no = "a dangerous builtin is never granted";
	} else if (!(vm->caps & cap)) {
		no = vm->deny & cap ? "denied by its config" : "not allowed by its resolver";
	}
	if (no) {
		esc_note(ctx, "vm#%u: require('%s') throws: %s", v + 1, name, no);
		return -1;
	}
	return reach_module(st, v, cap, name, out, ctx);
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
	return use_module(state, args, CAP_CHILD_PROCESS, EV_EXEC, "child_process.execSync", ctx);
}

static int op_fswrite(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	return use_module(state, args, CAP_FS, EV_FSWRITE, "fs.writeFileSync", ctx);
}

/* Module._load(name) / process.getBuiltinModule(name): any builtin, no allowlist. */
static int op_load(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	const vm2_mod *m = &st->mods[args[0].h];
	unsigned cap = vm2_module_cap(args[1].s);
	if (m->cap != CAP_MODULE || !cap) {
		esc_note(ctx, "vm#%u: TypeError: _load is not a function", m->vm + 1);
		return -1;
	}
	return reach_module(st, m->vm, cap, args[1].s, out, ctx);
}

/* ---- membrane ops ---- */

/* The VM and object of obj handle h. */
#define HV(h) (st->held[(h)].vm)
#define HO(h) (st->held[(h)].obj)

/* Two handles must be values of the same sandbox. */
static int same_vm(vm2_state *st, unsigned a, unsigned b, esc_ctx *ctx)
{
	if (HV(a) == HV(b))
		return 1;
	esc_note(ctx, "the two values live in different sandboxes");
	return 0;
}

/* Holds r for VM v after a successful channel call; returns the op's result. */
static int result(vm2_state *st, unsigned v, int rc, vm2_oid r, unsigned *out, esc_ctx *ctx)
{
	if (rc)
		return -1;
	if (esc_tracing(ctx)) {
		char a[80];
		esc_note(ctx, "vm#%u holds %s", v + 1, vm2_describe_obj(st, r, a, sizeof(a)));
	}
	return hold(st, v, r, out);
}

static vm2_oid host_obj(vm2_state *st, unsigned kind, unsigned proto)
{
	return vm2_alloc(st, 0, kind, vm2_intrinsic(st, 0, proto));
}

static vm2_oid host_error(vm2_state *st)
{
	return host_obj(st, OK_ERROR, I_ERROR_PROTO);
}

static int op_expose(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h, what = args[1].e, mode = args[2].e;
	vm2_oid h = VM2_NIL, sub = host_obj(st, OK_PLAIN, I_OBJECT_PROTO);
	switch (what) {
	case W_OBJECT:
		h = host_obj(st, OK_PLAIN, I_OBJECT_PROTO);
		vm2_store(st, h, K_X, sub, "host");
		break;
	case W_ARRAY:
		h = host_obj(st, OK_ARRAY, I_ARRAY_PROTO);
		vm2_store(st, h, K_0, sub, "host");
		break;
	case W_PROMISE:
	case W_REJECTED:
		h = host_obj(st, OK_PROMISE, I_PROMISE_PROTO);
		if (h != VM2_NIL) {
			st->obj[h].state = what == W_PROMISE ? PS_FULFILLED : PS_REJECTED;
			st->obj[h].value = what == W_PROMISE ? sub : host_error(st);
		}
		break;
	default: { /* functions */
		static const uint8_t fb[] = { [W_FUNCTION] = FB_HOST_IDENTITY,
					      [W_THROWER] = FB_HOST_THROW,
					      [W_AGGREGATE] = FB_HOST_THROW_AGG };
		h = host_obj(st, OK_FUNC, I_FUNCTION_PROTO);
		if (h == VM2_NIL)
			break;
		st->obj[h].fn = fb[what];
		if (what == W_THROWER) {
			vm2_oid e = host_error(st), cause = host_error(st);
			vm2_store(st, e, K_CAUSE, cause, "host");
			st->obj[h].value = e;
		} else if (what == W_AGGREGATE) {
			/* AggregateError([e], {cause: e}): one host error reached twice */
			vm2_oid a = host_error(st), e = host_error(st);
			vm2_store(st, a, K_ERRORS, e, "host");
			vm2_store(st, a, K_CAUSE, e, "host");
			st->obj[h].value = a;
		}
		break;
	}
	}
	if (h == VM2_NIL || st->ev != EV_NONE)
		return -1;
	st->obj[h].flags |= OF_EXPOSED;
	st->obj[h].handler = (uint8_t)mode;
	vm2_oid p = vm2_wrap(st, v, h, mode);
	esc_note(ctx, "embedder exposed a host %s to vm#%u (%s)", what_names[what], v + 1,
		 mode_names[mode]);
	return result(st, v, p == VM2_NIL, vm2_deliver(st, v, p, "exposed by the embedder"), out, ctx);
}

static int op_obj_new(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h, realm = vm2_realm(v);
	static const struct {
		uint8_t kind, proto, fn;
	} spec[] = {
		[NK_OBJECT] = { OK_PLAIN, I_OBJECT_PROTO, FB_NONE },
		[NK_ARRAY] = { OK_ARRAY, I_ARRAY_PROTO, FB_NONE },
		[NK_FUNCTION] = { OK_FUNC, I_FUNCTION_PROTO, FB_SANDBOX },
		[NK_ERROR] = { OK_ERROR, I_ERROR_PROTO, FB_NONE },
		[NK_PROMISE] = { OK_PROMISE, I_PROMISE_PROTO, FB_NONE },
		[NK_HOSTILE] = { OK_HOSTILE, I_OBJECT_PROTO, FB_NONE },
	};
	unsigned k = args[1].e;
	vm2_oid o = vm2_alloc(st, realm, spec[k].kind, vm2_intrinsic(st, realm, spec[k].proto));
	if (o == VM2_NIL)
		return -1;
	st->obj[o].fn = spec[k].fn;
	if (k == NK_PROMISE)
		st->obj[o].state = PS_FULFILLED;
	if (k == NK_HOSTILE) {
		/* its getPrototypeOf trap throws a sandbox function */
		vm2_oid f = vm2_alloc(st, realm, OK_FUNC, vm2_intrinsic(st, realm, I_FUNCTION_PROTO));
		if (f == VM2_NIL)
			return -1;
		st->obj[f].fn = FB_SANDBOX;
		st->obj[o].value = f;
	}
	return hold(st, v, o, out);
}

static int op_intrinsic(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h;
	vm2_oid o = vm2_intrinsic(st, vm2_realm(v), args[1].e);
	return o == VM2_NIL ? -1 : hold(st, v, o, out);
}

static int op_create(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h), realm = vm2_realm(v);
	vm2_oid o = vm2_alloc(st, realm, OK_PLAIN, HO(args[0].h));
	return o == VM2_NIL ? -1 : hold(st, v, o, out);
}

static int op_get(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h);
	vm2_oid r;
	int rc = vm2_get(st, v, HO(args[0].h), args[1].e, &r, ctx);
	return result(st, v, rc, r, out, ctx);
}

static int op_set(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	if (!same_vm(st, args[0].h, args[2].h, ctx))
		return -1;
	return vm2_set(st, HV(args[0].h), HO(args[0].h), args[1].e, HO(args[2].h), ctx);
}

static int op_define(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	if (!same_vm(st, args[0].h, args[3].h, ctx))
		return -1;
	return vm2_define(st, HV(args[0].h), HO(args[0].h), args[1].e, args[2].e == 1,
			  HO(args[3].h), ctx);
}

static int op_lookup(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h);
	vm2_oid r;
	int rc = vm2_lookup_op(st, v, HO(args[0].h), args[1].e, args[2].e, &r, ctx);
	return result(st, v, rc, r, out, ctx);
}

static int op_call(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	if (!same_vm(st, args[0].h, args[1].h, ctx))
		return -1;
	unsigned v = HV(args[0].h);
	vm2_oid r;
	int rc = vm2_call(st, v, HO(args[0].h), VM2_NIL, HO(args[1].h), args[2].e, &r, ctx);
	return result(st, v, rc, r, out, ctx);
}

/* Function(code)(): compiles in the realm the constructor belongs to. */
static int op_eval(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h);
	vm2_oid fn, r = VM2_NIL;
	vm2_oid f = HO(args[0].h);
	vm2_oid target = f != VM2_NIL && st->obj[f].kind == OK_PROXY ? st->obj[f].target : f;
	if (target == VM2_NIL || st->obj[target].fn != FB_FUNCTION_CTOR) {
		esc_note(ctx, "not a Function constructor");
		return -1;
	}
	if (vm2_call(st, v, f, VM2_NIL, VM2_NIL, VIA_DIRECT, &fn, ctx))
		return -1;
	if (args[1].e == CODE_PROCESS && vm2_call(st, v, fn, VM2_NIL, VM2_NIL, VIA_DIRECT, &r, ctx))
		return -1;
	return result(st, v, 0, r, out, ctx);
}

static int op_invoke(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	if (!same_vm(st, args[0].h, args[2].h, ctx))
		return -1;
	unsigned v = HV(args[0].h);
	vm2_oid r;
	int rc = vm2_invoke(st, v, HO(args[0].h), args[1].e, HO(args[2].h), args[3].e, &r, ctx);
	return result(st, v, rc, r, out, ctx);
}

static int op_err_new(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h), realm = vm2_realm(v);
	vm2_oid e = vm2_alloc(st, realm, OK_ERROR, vm2_intrinsic(st, realm, I_ERROR_PROTO));
	if (e == VM2_NIL || vm2_store(st, e, args[1].e == 1 ? K_ERRORS : K_CAUSE, HO(args[0].h),
				      "put in an error container"))
		return -1;
	return hold(st, v, e, out);
}

static int op_throw(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	vm2_throw(st, HV(args[0].h), HO(args[0].h));
	return 0;
}

/* Recursion through a host function until the stack overflows: when the last frame is
 * the bridge's, the RangeError is a host object the apply trap never converted. */
static int op_overflow(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h);
	vm2_oid f = HO(args[0].h);
	int through_host = f != VM2_NIL && st->obj[f].kind == OK_PROXY &&
			   st->obj[f].realm == vm2_realm(v) && st->obj[f].fn != FB_NONE;
	vm2_oid e = through_host ? host_error(st)
				 : vm2_alloc(st, vm2_realm(v), OK_ERROR,
					     vm2_intrinsic(st, vm2_realm(v), I_ERROR_PROTO));
	if (e == VM2_NIL)
		return -1;
	esc_note(ctx, "RangeError: Maximum call stack size exceeded (%s realm)",
		 through_host ? "host" : "sandbox");
	vm2_throw(st, v, e);
	return 0;
}

static int op_catch(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h;
	vm2_oid r;
	int rc = vm2_catch(st, v, args[1].e, &r, ctx);
	return result(st, v, rc, r, out, ctx);
}

static int op_jobs(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_run_jobs(state, ctx);
	return 0;
}

static int op_alg(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h);
	vm2_oid r;
	int rc = vm2_host_alg(st, v, HO(args[0].h), args[1].e, &r, ctx);
	return result(st, v, rc, r, out, ctx);
}

/* A new sandbox function of VM v, or VM2_NIL. */
static vm2_oid sandbox_function(vm2_state *st, unsigned v)
{
	vm2_oid f = vm2_alloc(st, vm2_realm(v), OK_FUNC,
			      vm2_intrinsic(st, vm2_realm(v), I_FUNCTION_PROTO));
	if (f != VM2_NIL)
		st->obj[f].fn = FB_SANDBOX;
	return f;
}

/* hook.set: `Object.prototype.get = f` and the like, in one step. */
static int op_hook_set(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = args[0].h, h = args[1].e;
	vm2_oid f = sandbox_function(st, v);
	vm2_oid t = vm2_intrinsic(st, vm2_realm(v), rhooks[h].intrinsic);
	if (f == VM2_NIL || t == VM2_NIL)
		return -1;
	int rc = rhooks[h].setter ? vm2_define(st, v, t, rhooks[h].key, 1, f, ctx)
				  : vm2_set(st, v, t, rhooks[h].key, f, ctx);
	return rc ? -1 : hold(st, v, f, out);
}

/* hook.on: o.constructor = f; f[Symbol.species] = f (or inspect.custom, toString). */
static int op_hook_on(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	vm2_state *st = state;
	unsigned v = HV(args[0].h);
	vm2_oid o = HO(args[0].h), f = sandbox_function(st, v);
	if (f == VM2_NIL)
		return -1;
	int rc;
	switch (args[1].e) {
	case OH_SPECIES:
		rc = vm2_set(st, v, o, K_CONSTRUCTOR, f, ctx) || vm2_set(st, v, f, K_SPECIES, f, ctx);
		break;
	case OH_INSPECT:
		rc = vm2_set(st, v, o, K_INSPECT, f, ctx);
		break;
	default:
		rc = vm2_set(st, v, o, K_TOSTRING, f, ctx);
		break;
	}
	return rc ? -1 : hold(st, v, f, out);
}

/* ---- oracle ---- */

static int vm2_check(void *state, unsigned step, esc_verdict *v)
{
	vm2_state *st = state;
	vm2_event_kind ev = st->ev;
	st->ev = EV_NONE;
	if (ev == EV_NONE)
		return 0;
	const vm2_vm *vm = &st->vms[st->ev_vm];
	chain_str(st, st->ev_vm, v->chain, sizeof(v->chain));
	char a[80];
	switch (ev) {
	case EV_LEAK:
	case EV_IDENTITY:
		v->kind = ESC_REFERENCE_LEAK;
		snprintf(v->expected, sizeof(v->expected), "%s",
			 ev == EV_IDENTITY ? "one sanitized replacement per host error"
					   : "its own objects and its membrane's proxies");
		snprintf(v->actual, sizeof(v->actual), "%s",
			 vm2_describe_obj(st, st->ev_obj, a, sizeof(a)));
		snprintf(v->summary, sizeof(v->summary), "%s%s",
			 ev == EV_IDENTITY ? "membrane identity broken: " : "", st->ev_what);
		return 1;
	case EV_HOSTAUTH:
		v->kind = ESC_HOST_EXECUTION;
		snprintf(v->expected, sizeof(v->expected), "no host Function constructor, no host process");
		snprintf(v->actual, sizeof(v->actual), "%s", vm2_describe_obj(st, st->ev_obj, a, sizeof(a)));
		snprintf(v->summary, sizeof(v->summary), "%s", st->ev_what);
		return 1;
	case EV_INTEGRITY:
		v->kind = ESC_INTEGRITY_VIOLATION;
		snprintf(v->expected, sizeof(v->expected), "host intrinsics and read-only/protected host objects unchanged");
		snprintf(v->actual, sizeof(v->actual), "%s", vm2_describe_obj(st, st->ev_obj, a, sizeof(a)));
		snprintf(v->summary, sizeof(v->summary), "%s", st->ev_what);
		return 1;
	default:
		break;
	}
	if (vm->reference & st->ev_cap)
		return 0;
	int nested = vm->parent >= 0;
	if (ev == EV_EXEC)
		v->kind = ESC_HOST_EXECUTION;
	else if (ev == EV_FSWRITE)
		v->kind = ESC_INTEGRITY_VIOLATION;
	else
		v->kind = nested ? ESC_PRIVILEGE_AMPLIFICATION : ESC_POLICY_BYPASS;
	vm2_caps_str(vm->reference, v->expected, sizeof(v->expected));
	vm2_caps_str(st->ev_cap, v->actual, sizeof(v->actual));
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
	vm2_caps_str(st->vms[v].caps, a, sizeof(a));
	vm2_caps_str(st->vms[v].reference, b, sizeof(b));
	unsigned proxies = 0;
	for (unsigned i = 0; i < st->nobj; i++)
		proxies += st->obj[i].kind == OK_PROXY && st->obj[i].vm == v && st->obj[i].realm != 0;
	esc_note(ctx, "%s└─ vm#%u (%s) resolver %s reference %s, %u host proxies%s", ind, v + 1,
		 class_names[st->vms[v].cls_vm], a, b, proxies,
		 (st->vms[v].caps & ~st->vms[v].reference) ? "  <- exceeds reference" : "");
	for (unsigned c = 0; c < st->nvms; c++)
		if (st->vms[c].parent == (int)v)
			describe_vm(st, c, depth + 1, ctx);
}

static void vm2_describe_tree(void *state, esc_ctx *ctx)
{
	const vm2_state *st = state;
	esc_note(ctx, "host (%u objects in every realm)", st->nobj);
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
		vm2_caps_str(st->vms[v].caps, a, sizeof(a));
		vm2_caps_str(st->vms[v].reference, b, sizeof(b));
		snprintf(out[v].name, sizeof(out[v].name), "vm#%u", v + 1);
		out[v].parent = st->vms[v].parent;
		snprintf(out[v].label, sizeof(out[v].label), "%s resolver %.36s ref %.36s",
			 class_names[st->vms[v].cls_vm], a, b);
	}
	return n;
}

/* ---- the op table ---- */

enum { RES_VM, RES_MODULE, RES_OBJ };
static const char *const res_kinds[] = { [RES_VM] = "vm", [RES_MODULE] = "module",
					 [RES_OBJ] = "obj" };

#define N(a) (sizeof(a) / sizeof(a[0]))
#define ENUM_ARG(n, vals, js, pos) \
	{ .name = n, .kind = ESC_ARG_ENUM, .positional = pos, .values = vals, \
	  .nvalues = N(vals), .js_values = js }
#define HANDLE_ARG(n, r) { .name = n, .kind = ESC_ARG_HANDLE, .positional = 1, .res = r }
#define STR_ARG(n) { .name = n, .kind = ESC_ARG_STR, .positional = 1 }

/* Each op's JavaScript (emit_js.c interprets it): {name} is an argument (a handle is the
 * sandbox global holding it, an enum value its JavaScript, a string a quoted literal),
 * {r} the result's global, {i} the op's index. "@host " code runs in the host program;
 * "@give VALUE MODE" hands a host value to the VM; "@catch " marks a catch op, whose
 * site wraps the op that threw; everything else runs as sandbox code in the VM that
 * holds the first handle. */
static const esc_op_desc ops[] = {
	{ .name = "vm.new", .nargs = 3, .produces = RES_VM, .run = op_new,
	  .args = { ENUM_ARG("nesting", nest_names, nest_js, 0),
		    ENUM_ARG("require", shape_names, shape_js, 0),
		    ENUM_ARG("builtin", builtin_names, builtin_js, 0) },
	  .js = "@host {r} = new NodeVM({nesting: {nesting}, require: {require}});" },
	{ .name = "vm.require", .nargs = 2, .produces = RES_MODULE, .run = op_require,
	  .args = { HANDLE_ARG("vm", RES_VM), STR_ARG("module") },
	  .js = "{r} = require({module});" },
	{ .name = "vm.construct", .nargs = 5, .produces = RES_VM, .run = op_construct,
	  .args = { HANDLE_ARG("vm2", RES_MODULE), ENUM_ARG("class", class_names, class_names, 1),
		    ENUM_ARG("nesting", nest_names, nest_js, 0),
		    ENUM_ARG("require", shape_names, shape_js, 0),
		    ENUM_ARG("builtin", builtin_names, builtin_js, 0) },
	  .js = "{r} = new {vm2}.{class}({nesting: {nesting}, require: {require}});" },
	{ .name = "host.exec", .nargs = 2, .produces = ESC_NO_RES, .run = op_exec,
	  .args = { HANDLE_ARG("child_process", RES_MODULE), STR_ARG("command") },
	  .js = "{child_process}.execSync('true'); /* the scenario's command is not run: {command} */" },
	{ .name = "fs.write", .nargs = 2, .produces = ESC_NO_RES, .run = op_fswrite,
	  .args = { HANDLE_ARG("fs", RES_MODULE), STR_ARG("path") },
	  .js = "{fs}.existsSync('.'); /* the scenario's path is not written: {path} */" },
	{ .name = "module.load", .nargs = 2, .produces = RES_MODULE, .run = op_load,
	  .args = { HANDLE_ARG("module", RES_MODULE), STR_ARG("name") },
	  .js = "{r} = {module}._load({name});" },
	{ .name = "host.expose", .nargs = 3, .produces = RES_OBJ, .run = op_expose,
	  .args = { HANDLE_ARG("vm", RES_VM), ENUM_ARG("what", what_names, what_js, 1),
		    ENUM_ARG("mode", mode_names, mode_js, 0) },
	  .js = "@give __hostvalue({what}) {mode}" },
	{ .name = "obj.new", .nargs = 2, .produces = RES_OBJ, .run = op_obj_new,
	  .args = { HANDLE_ARG("vm", RES_VM), ENUM_ARG("kind", kind_names, kind_js, 1) },
	  .js = "{r} = {kind};" },
	{ .name = "obj.intrinsic", .nargs = 2, .produces = RES_OBJ, .run = op_intrinsic,
	  .args = { HANDLE_ARG("vm", RES_VM), ENUM_ARG("which", which_names, which_names, 1) },
	  .js = "{r} = {which};" },
	{ .name = "obj.create", .nargs = 1, .produces = RES_OBJ, .run = op_create,
	  .args = { HANDLE_ARG("proto", RES_OBJ) },
	  .js = "{r} = Object.create({proto});" },
	{ .name = "obj.get", .nargs = 2, .produces = RES_OBJ, .run = op_get,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("key", vm2_key_names, key_suffix_js, 1) },
	  .js = "{r} = {o}{key};" },
	{ .name = "obj.set", .nargs = 3, .produces = ESC_NO_RES, .run = op_set,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("key", vm2_key_names, key_suffix_js, 1),
		    HANDLE_ARG("value", RES_OBJ) },
	  .js = "{o}{key} = {value};" },
	{ .name = "obj.define", .nargs = 4, .produces = ESC_NO_RES, .run = op_define,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("key", vm2_key_names, key_name_js, 1),
		    ENUM_ARG("kind", acc_names, acc_js, 1), HANDLE_ARG("fn", RES_OBJ) },
	  .js = "Object.defineProperty({o}, {key}, {{kind}: {fn}, configurable: true});" },
	{ .name = "obj.lookup", .nargs = 3, .produces = RES_OBJ, .run = op_lookup,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("key", vm2_key_names, key_name_js, 1),
		    ENUM_ARG("how", how_names, how_js, 1) },
	  .js = "{r} = {how};" },
	{ .name = "fn.call", .nargs = 3, .produces = RES_OBJ, .run = op_call,
	  .args = { HANDLE_ARG("f", RES_OBJ), HANDLE_ARG("arg", RES_OBJ),
		    ENUM_ARG("via", via_names, via_js, 0) },
	  .js = "{r} = {via};" },
	{ .name = "fn.eval", .nargs = 2, .produces = RES_OBJ, .run = op_eval,
	  .args = { HANDLE_ARG("F", RES_OBJ), ENUM_ARG("code", code_names, code_js, 1) },
	  .js = "{r} = {F}({code})();" },
	{ .name = "obj.invoke", .nargs = 4, .produces = RES_OBJ, .run = op_invoke,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("method", method_names, method_js, 1),
		    HANDLE_ARG("arg", RES_OBJ), ENUM_ARG("via", ivia_names, ivia_js, 0) },
	  .js = "{r} = {via};" },
	{ .name = "err.new", .nargs = 2, .produces = RES_OBJ, .run = op_err_new,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("kind", err_names, err_js, 1) },
	  .js = "{r} = {kind};" },
	{ .name = "exc.throw", .nargs = 1, .produces = ESC_NO_RES, .run = op_throw,
	  .args = { HANDLE_ARG("value", RES_OBJ) },
	  .js = "throw {value};" },
	{ .name = "exc.overflow", .nargs = 1, .produces = ESC_NO_RES, .run = op_overflow,
	  .args = { HANDLE_ARG("f", RES_OBJ) },
	  .js = "__overflow({f});" },
	{ .name = "exc.catch", .nargs = 2, .produces = RES_OBJ, .run = op_catch,
	  .args = { HANDLE_ARG("vm", RES_VM), ENUM_ARG("site", site_names, site_js, 1) },
	  .js = "@catch {r} = __caught({i});" },
	{ .name = "microtasks.run", .nargs = 0, .produces = ESC_NO_RES, .run = op_jobs,
	  .js = "@host await __tick();" },
	{ .name = "host.alg", .nargs = 2, .produces = RES_OBJ, .run = op_alg,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("alg", alg_names, alg_js, 1) },
	  .js = "{r} = {alg};" },
	{ .name = "hook.set", .nargs = 2, .produces = RES_OBJ, .run = op_hook_set,
	  .args = { HANDLE_ARG("vm", RES_VM), ENUM_ARG("which", rhook_names, rhook_js, 1) },
	  .js = "{r} = __fn(); {which}" },
	{ .name = "hook.on", .nargs = 2, .produces = RES_OBJ, .run = op_hook_on,
	  .args = { HANDLE_ARG("o", RES_OBJ), ENUM_ARG("which", ohook_names, ohook_js, 1) },
	  .js = "{r} = __fn(); {which}" },
};

const esc_target vm2model_target = {
	.name = "vm2model",
	.res_kinds = res_kinds,
	.nres = N(res_kinds),
	.ops = ops,
	.nops = N(ops),
	.profiles = vm2_profile_names,
	.nprofiles = VM2_NPROFILES,
	.dict = dict,
	.ndict = N(dict),
	.state_size = sizeof(vm2_state),
	.reset = vm2_reset,
	.check = vm2_check,
	.describe = vm2_describe_tree,
	.principals = vm2_principals,
	.emit_js = vm2_emit_js,
};

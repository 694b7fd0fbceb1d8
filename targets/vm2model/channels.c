/* vm2model channels: how sandbox code and host code reach each other through the
 * membrane, and each class's defence on its channel:
 *   - property reads and writes through proxies (get/set/defineProperty traps,
 *     receiver-respecting set, protected host intrinsics, read-only inheritance);
 *   - calls through the apply/construct traps (argument conversion, throws inside the
 *     conversion, exceptions converted, the bridge's own calls and containers);
 *   - accessor and descriptor lookups (__lookupGetter__, getOwnPropertyDescriptor);
 *   - exceptions: a VM's pending exception and the catch sites that receive it;
 *   - promise jobs: host then/catch/finally callbacks, and microtasks;
 *   - host algorithms the embedder's API runs on sandbox values: Array map and Promise
 *     then with species, util.inspect with inspect.custom, stack formatting with
 *     Error.prepareStackTrace, String() with toString.
 * Every value handed to sandbox code goes through vm2_deliver, which is the oracle.
 */
#include <stdio.h>
#include <string.h>

#include "vm2int.h"

static vm2_obj *O(vm2_state *st, vm2_oid x)
{
	return &st->obj[x];
}

static int callable(const vm2_state *st, vm2_oid x)
{
	return x != VM2_NIL && st->obj[x].fn != FB_NONE;
}

/* A forward proxy of VM v's membrane (sandbox side of a host object). */
static int fwd_proxy(const vm2_state *st, unsigned v, vm2_oid x)
{
	return x != VM2_NIL && st->obj[x].kind == OK_PROXY && st->obj[x].realm == vm2_realm(v);
}

/* The host view of a sandbox object of some VM: a reverse proxy. */
static int rev_proxy(const vm2_state *st, vm2_oid x)
{
	return x != VM2_NIL && st->obj[x].kind == OK_PROXY && st->obj[x].realm == 0;
}

/* A sandbox function (user code) of VM w's realm. */
static int sandbox_fn(const vm2_state *st, unsigned w, vm2_oid x)
{
	return x != VM2_NIL && st->obj[x].realm == vm2_realm(w) && st->obj[x].fn == FB_SANDBOX;
}

void vm2_throw(vm2_state *st, unsigned v, vm2_oid e)
{
	st->vms[v].pending = e;
	st->vms[v].has_pending = 1;
}

/* Sandbox code of VM w runs: it sees self and arg (delivered). Returns its result. */
static vm2_oid run_sandbox_fn(vm2_state *st, unsigned w, vm2_oid self, vm2_oid arg,
			      const char *how)
{
	vm2_deliver(st, w, self, how);
	vm2_deliver(st, w, arg, how);
	return arg;
}

/* ---- property reads ---- */

/* Host code reads t[key] (t a host object, or the host view of a sandbox object). */
static vm2_oid host_get(vm2_state *st, vm2_oid t, unsigned key)
{
	if (t == VM2_NIL)
		return VM2_NIL;
	if (rev_proxy(st, t)) {
		unsigned w = O(st, t)->vm;
		vm2_oid r = VM2_NIL;
		if (vm2_get(st, w, O(st, t)->target, key, &r, NULL))
			return VM2_NIL;
		return vm2_unwrap(st, w, r);
	}
	vm2_oid trap, getter, setter;
	vm2_oid r = vm2_lookup(st, t, key, &trap, &getter, &setter);
	if (trap != VM2_NIL)
		return host_get(st, trap, key);
	if (getter != VM2_NIL && O(st, getter)->fn == FB_PROTO_GETTER)
		return O(st, t)->proto;
	return r;
}

int vm2_get(vm2_state *st, unsigned v, vm2_oid o, unsigned key, vm2_oid *out, esc_ctx *ctx)
{
	*out = VM2_NIL;
	if (o == VM2_NIL) {
		esc_note(ctx, "TypeError: cannot read properties of undefined");
		return -1;
	}
	vm2_obj *x = O(st, o);
	vm2_oid r;
	if (fwd_proxy(st, v, o)) {
		/* get / getPrototypeOf trap: read the host target, wrap what comes back with
		 * the proxy's handler (read-only and protected are inherited) */
		r = vm2_wrap(st, v, host_get(st, x->target, key), x->handler);
	} else if (x->realm == vm2_realm(v)) {
		vm2_oid trap, getter, setter;
		r = vm2_lookup(st, o, key, &trap, &getter, &setter);
		if (trap != VM2_NIL)
			return vm2_get(st, v, trap, key, out, ctx);
		if (getter != VM2_NIL && vm2_call(st, v, getter, o, VM2_NIL, VIA_DIRECT, &r, ctx))
			return -1;
	} else {
		r = host_get(st, o, key); /* a raw foreign object: host semantics, raw result */
	}
	*out = vm2_deliver(st, v, r, "property read");
	return 0;
}

/* ---- property writes ---- */

/* Sandbox code planted something the bridge or host code may pick up later. The store
 * itself is generic, so each kind of hook gets a branch of its own (a call, never a
 * select): coverage then rewards each link of a chain that plants a hook. */
static void hook_planted(vm2_state *st, unsigned v, vm2_oid o, unsigned key, vm2_oid val,
			 int accessor, esc_ctx *ctx)
{
	const vm2_obj *x = O(st, o);
	if (!sandbox_fn(st, v, val))
		return;
	if (x->flags & OF_INTRINSIC) {
		switch (x->state) {
		case I_OBJECT_PROTO:
			if (key == K_GET)
				esc_note(ctx, "planted Object.prototype.get");
			break;
		case I_FUNCTION_PROTO:
			if (key == K_CALL)
				esc_note(ctx, "planted Function.prototype.call");
			break;
		case I_ARRAY_PROTO:
			if (key == K_0 && accessor)
				esc_note(ctx, "planted a setter on Array.prototype[0]");
			break;
		case I_ERROR:
			if (key == K_PREPARE_STACK)
				esc_note(ctx, "planted Error.prepareStackTrace");
			break;
		default:
			break;
		}
		return;
	}
	switch (key) {
	case K_SPECIES:
		esc_note(ctx, "planted Symbol.species");
		break;
	case K_CONSTRUCTOR:
		esc_note(ctx, "planted a sandbox constructor%s", x->kind == OK_PROXY ? " on a host object" : "");
		break;
	case K_INSPECT:
		esc_note(ctx, "planted inspect.custom");
		break;
	case K_TOSTRING:
		esc_note(ctx, "planted toString");
		break;
	default:
		break;
	}
}

/* A write to host object t (or to the sandbox object behind a host view). */
static void host_write(vm2_state *st, unsigned v, vm2_oid t, unsigned key, vm2_oid hv,
		       vm2_oid val, const char *how)
{
	if (rev_proxy(st, t)) {
		unsigned w = O(st, t)->vm;
		vm2_store(st, O(st, t)->target, key, vm2_wrap(st, w, hv, H_PLAIN), how);
		return;
	}
	vm2_store(st, t, key, hv, how);
	vm2_landed(st, v, t, val, how);
}

/* The set/defineProperty traps' refusals; returns the reason or NULL. */
static const char *trap_refuses(vm2_state *st, const vm2_obj *p, vm2_oid val)
{
	if (p->handler == H_READONLY)
		return "read-only proxy";
	if (p->handler == H_PROTECTED && callable(st, val))
		return "protected proxy refuses functions";
	if ((O(st, p->target)->flags & OF_INTRINSIC) && O(st, p->target)->realm == 0 &&
	    vm2_on(st, D_PROTECT))
		return "protected host intrinsic";
	return NULL;
}

int vm2_set(vm2_state *st, unsigned v, vm2_oid o, unsigned key, vm2_oid val, esc_ctx *ctx)
{
	if (o == VM2_NIL)
		return -1;
	vm2_obj *x = O(st, o);
	const char *no;
	if (fwd_proxy(st, v, o)) {
		if (key == K_PROTO) {
			esc_note(ctx, "TypeError: the membrane refuses setPrototypeOf on a proxy");
			return -1;
		}
		if ((no = trap_refuses(st, x, val)) != NULL) {
			esc_note(ctx, "set trap refuses: %s", no);
			return -1;
		}
		host_write(st, v, x->target, key, vm2_unwrap(st, v, val), val, "set through a proxy");
		esc_note(ctx, "set trap: written to the host object");
		hook_planted(st, v, o, key, val, 0, ctx);
		return 0;
	}
	if (x->realm != vm2_realm(v)) {
		host_write(st, v, o, key, val, val, "written to a raw host object");
		return 0;
	}
	if (key == K_PROTO) {
		x->proto = val;
		vm2_deliver(st, v, val, "set as a prototype");
		return 0;
	}
	vm2_slot *s = vm2_own(st, o, key);
	if (s && s->acc) {
		vm2_oid r;
		return s->set == VM2_NIL ? -1 : vm2_call(st, v, s->set, o, val, VIA_DIRECT, &r, ctx);
	}
	if (!s) {
		/* [[Set]] walks the prototype chain for a setter or a proxy */
		vm2_oid p = x->proto;
		for (unsigned d = 0; p != VM2_NIL && d < VM2_CHAIN; d++) {
			vm2_obj *q = O(st, p);
			if (fwd_proxy(st, v, p)) {
				if (vm2_on(st, D_RECEIVER)) {
					esc_note(ctx, "set trap with receiver: installed on the receiver");
					break;
				}
				/* GHSA-c4cf: the set trap ignored its receiver and wrote the target */
				if (q->handler == H_READONLY ||
				    ((O(st, q->target)->flags & OF_INTRINSIC) && vm2_on(st, D_PROTECT))) {
					esc_note(ctx, "set trap refuses");
					return -1;
				}
				esc_note(ctx, "set trap ignored the receiver: written to the host target");
				host_write(st, v, q->target, key, vm2_unwrap(st, v, val), val,
					   "set through a proxy on the prototype chain, receiver ignored");
				return 0;
			}
			const vm2_slot *ps = vm2_own(st, p, key);
			if (ps) {
				if (ps->acc) {
					vm2_oid r;
					return ps->set == VM2_NIL ? -1 :
						vm2_call(st, v, ps->set, o, val, VIA_DIRECT, &r, ctx);
				}
				break;
			}
			p = q->proto;
		}
	}
	if (vm2_store(st, o, key, val, "stored in a sandbox object")) {
		esc_note(ctx, "no room for another property");
		return -1;
	}
	hook_planted(st, v, o, key, val, 0, ctx);
	return 0;
}

/* A descriptor the bridge builds or reads for a proxied host object t (getOwnProperty-
 * Descriptor and defineProperty traps): without null prototypes (issue #175) it inherits
 * the sandbox's Object.prototype, and a `get` planted there (a function, or an accessor
 * whose getter is one) is taken as the descriptor's getter and run on the raw target. */
static void descriptor_pollution(vm2_state *st, unsigned v, vm2_oid t, esc_ctx *ctx)
{
	if (vm2_on(st, D_DESC_PROTO))
		return;
	const vm2_slot *pg = vm2_own(st, st->vms[v].intr[I_OBJECT_PROTO], K_GET);
	if (!pg)
		return;
	if (sandbox_fn(st, v, pg->acc ? pg->get : pg->val)) {
		esc_note(ctx, "the descriptor inherits Object.prototype.get: the bridge runs it");
		run_sandbox_fn(st, v, t, VM2_NIL, "`this` of an inherited descriptor getter");
	}
}

int vm2_define(vm2_state *st, unsigned v, vm2_oid o, unsigned key, int setter, vm2_oid fn,
	       esc_ctx *ctx)
{
	if (o == VM2_NIL || key == K_PROTO)
		return -1;
	vm2_obj *x = O(st, o);
	vm2_oid g = setter ? VM2_NIL : fn, s = setter ? fn : VM2_NIL;
	if (fwd_proxy(st, v, o)) {
		descriptor_pollution(st, v, x->target, ctx);
		const char *no = trap_refuses(st, x, fn);
		if (no) {
			esc_note(ctx, "defineProperty trap refuses: %s", no);
			return -1;
		}
		vm2_oid hf = vm2_unwrap(st, v, fn), t = x->target;
		if (rev_proxy(st, t))
			return -1;
		if (vm2_store_accessor(st, t, key, setter ? VM2_NIL : hf, setter ? hf : VM2_NIL))
			return -1;
		vm2_landed(st, v, t, fn, "accessor defined through a proxy");
		return 0;
	}
	if (x->realm != vm2_realm(v)) {
		if (vm2_store_accessor(st, o, key, g, s))
			return -1;
		vm2_landed(st, v, o, fn, "accessor defined on a raw host object");
		return 0;
	}
	if (vm2_store_accessor(st, o, key, g, s))
		return -1;
	hook_planted(st, v, o, key, fn, 1, ctx);
	return 0;
}

/* ---- accessor and descriptor lookups ---- */

int vm2_lookup_op(vm2_state *st, unsigned v, vm2_oid o, unsigned key, unsigned how,
		  vm2_oid *out, esc_ctx *ctx)
{
	enum { HOW_GETTER = 0, HOW_SETTER, HOW_DESCRIPTOR };
	*out = VM2_NIL;
	if (o == VM2_NIL)
		return -1;
	vm2_obj *x = O(st, o);
	vm2_oid r = VM2_NIL;
	if (fwd_proxy(st, v, o)) {
		vm2_oid t = x->target;
		if (how == HOW_DESCRIPTOR) {
			descriptor_pollution(st, v, t, ctx);
			const vm2_slot *s = rev_proxy(st, t) ? NULL : vm2_own(st, t, key);
			if (s)
				r = vm2_wrap(st, v, s->acc ? s->get : s->val, x->handler);
		} else if (key == K_PROTO) {
			if (how == HOW_GETTER) {
				if (vm2_on(st, D_LOOKUP)) {
					r = vm2_intrinsic(st, vm2_realm(v), I_PROTO_GETTER);
					esc_note(ctx, "lookup walks the paired sandbox prototypes");
				} else {
					/* issue #184: the walk over raw host prototypes returns the raw getter */
					r = vm2_intrinsic(st, 0, I_PROTO_GETTER);
					esc_note(ctx, "lookup walked the raw host prototypes");
				}
			}
		} else {
			vm2_oid trap, getter, setter;
			vm2_lookup(st, t, key, &trap, &getter, &setter);
			r = vm2_wrap(st, v, how == HOW_GETTER ? getter : setter, x->handler);
		}
	} else if (x->realm == vm2_realm(v)) {
		if (how == HOW_DESCRIPTOR) {
			const vm2_slot *s = vm2_own(st, o, key);
			r = s ? (s->acc ? s->get : s->val) : VM2_NIL;
		} else if (key == K_PROTO) {
			r = how == HOW_GETTER ? vm2_intrinsic(st, vm2_realm(v), I_PROTO_GETTER) : VM2_NIL;
		} else {
			vm2_oid trap, getter, setter;
			vm2_lookup(st, o, key, &trap, &getter, &setter);
			if (trap != VM2_NIL)
				return vm2_lookup_op(st, v, trap, key, how, out, ctx);
			r = how == HOW_GETTER ? getter : setter;
		}
	} else {
		const vm2_slot *s = vm2_own(st, o, key);
		r = s ? (s->acc ? s->get : s->val) : VM2_NIL;
	}
	*out = vm2_deliver(st, v, r, how == HOW_DESCRIPTOR ? "property descriptor" : "accessor lookup");
	return 0;
}

/* ---- calls ---- */

/* What the bridge itself does on every call into the host (GHSA-9qj6, the cached call
 * primitives): with a defence off, sandbox code sees the raw callee. */
static void bridge_call_hooks(vm2_state *st, unsigned v, vm2_oid h, esc_ctx *ctx)
{
	if (!vm2_on(st, D_CACHED_CALL)) {
		vm2_oid fp = st->vms[v].intr[I_FUNCTION_PROTO];
		const vm2_slot *s = vm2_own(st, fp, K_CALL);
		if (s && !s->acc && sandbox_fn(st, v, s->val)) {
			esc_note(ctx, "the bridge called the sandbox's patched Function.prototype.call");
			run_sandbox_fn(st, v, h, VM2_NIL,
				       "`this` of the patched Function.prototype.call the bridge used");
		}
	}
	if (!vm2_on(st, D_CONTAINER)) {
		vm2_oid ap = st->vms[v].intr[I_ARRAY_PROTO];
		const vm2_slot *s = vm2_own(st, ap, K_0);
		if (s && s->acc && sandbox_fn(st, v, s->set)) {
			esc_note(ctx, "the bridge stored its record in a sandbox array: Array.prototype[0] setter ran");
			run_sandbox_fn(st, v, VM2_NIL, h,
				       "bridge record written through a sandbox Array.prototype[0] setter");
		}
	}
}

static vm2_oid new_host(vm2_state *st, unsigned kind, unsigned proto_which)
{
	return vm2_alloc(st, 0, kind, vm2_intrinsic(st, 0, proto_which));
}

/* Registers a promise job; returns 0. */
static void add_job(vm2_state *st, unsigned v, vm2_oid cb, vm2_oid value, int wrapped)
{
	if (st->njob >= VM2_MAXJOB)
		return;
	st->jobs[st->njob++] = (vm2_job){ .vm = (uint8_t)v, .wrapped = (uint8_t)wrapped,
					  .cb = cb, .value = value };
}

/* then/catch/finally of promise p (host or sandbox) called from VM v with callback cb. */
static int promise_method(vm2_state *st, unsigned v, vm2_oid p, unsigned method, vm2_oid cb,
			  int recognized, vm2_oid *out, esc_ctx *ctx)
{
	const vm2_obj *x = O(st, p);
	if (x->kind != OK_PROMISE)
		return -1;
	int host = x->realm == 0;
	int wrapped = !host || recognized;
	if (callable(st, cb)) {
		if (method == M_THEN && x->state == PS_FULFILLED)
			add_job(st, v, cb, x->value, wrapped);
		else if (method == M_CATCH && x->state == PS_REJECTED)
			add_job(st, v, cb, x->value, wrapped);
		else if (method == M_FINALLY && x->state != PS_PENDING)
			add_job(st, v, cb, VM2_NIL, wrapped);
	}
	if (host)
		esc_note(ctx, "host Promise.prototype.%s %s", method == M_THEN ? "then" :
			 method == M_CATCH ? "catch" : "finally",
			 recognized ? "recognized: callbacks wrapped" : "not recognized: callbacks get raw values");
	vm2_oid np = host ? new_host(st, OK_PROMISE, I_PROMISE_PROTO)
			  : vm2_alloc(st, vm2_realm(v), OK_PROMISE,
				      vm2_intrinsic(st, vm2_realm(v), I_PROMISE_PROTO));
	*out = host ? vm2_wrap(st, v, np, H_PLAIN) : np;
	return 0;
}

/* Host function h runs with host values hs, ha (from VM v's call). Returns 0 with the
 * host result in *r, or -1 when it threw (the exception is VM v's pending one). */
static int host_run(vm2_state *st, unsigned v, vm2_oid h, vm2_oid hs, vm2_oid ha,
		    int construct, vm2_oid *r, esc_ctx *ctx)
{
	vm2_obj *x = O(st, h);
	*r = VM2_NIL;
	switch (x->fn) {
	case FB_HOST_IDENTITY:
		*r = construct ? new_host(st, OK_PLAIN, I_OBJECT_PROTO) : ha;
		return 0;
	case FB_HOST_THROW:
	case FB_HOST_THROW_AGG:
		if (vm2_on(st, D_THROW)) {
			esc_note(ctx, "host function threw: the apply trap converts the exception");
			vm2_throw(st, v, vm2_sanitize(st, v, x->value));
		} else {
			esc_note(ctx, "host function threw: the exception crosses unconverted");
			vm2_throw(st, v, x->value);
		}
		return -1;
	case FB_FUNCTION_CTOR:
		*r = new_host(st, OK_FUNC, I_FUNCTION_PROTO);
		if (*r != VM2_NIL)
			O(st, *r)->fn = FB_COMPILED;
		esc_note(ctx, "the HOST Function constructor compiled a host function");
		return 0;
	case FB_COMPILED:
		*r = vm2_intrinsic(st, 0, I_PROCESS);
		return 0;
	case FB_OBJECT_CTOR:
		*r = ha != VM2_NIL ? ha : new_host(st, OK_PLAIN, I_OBJECT_PROTO);
		return 0;
	case FB_ARRAY_CTOR:
		*r = new_host(st, OK_ARRAY, I_ARRAY_PROTO);
		return 0;
	case FB_ERROR_CTOR:
		*r = new_host(st, OK_ERROR, I_ERROR_PROTO);
		return 0;
	case FB_PROMISE_CTOR:
		*r = new_host(st, OK_PROMISE, I_PROMISE_PROTO);
		return 0;
	case FB_PROTO_GETTER:
		*r = hs == VM2_NIL ? VM2_NIL : O(st, hs)->proto;
		return 0;
	case FB_THEN:
	case FB_CATCH:
	case FB_FINALLY: {
		/* a host promise method called as a plain function: indirection */
		if (hs == VM2_NIL || O(st, hs)->kind != OK_PROMISE)
			return -1;
		vm2_oid out;
		int rec = vm2_on(st, D_THEN) && vm2_on(st, D_INDIRECT);
		if (promise_method(st, v, hs, x->fn - FB_THEN, vm2_wrap(st, v, ha, H_PLAIN), rec, &out, ctx))
			return -1;
		*r = vm2_unwrap(st, v, out);
		return 0;
	}
	case FB_HOST_EXECUTOR:
		return 0;
	case FB_SANDBOX:
	default:
		break;
	}
	if (rev_proxy(st, h)) {
		/* host code calls the host view of a sandbox function of VM w */
		unsigned w = x->vm;
		vm2_oid out;
		if (vm2_call(st, w, x->target, vm2_wrap(st, w, hs, H_PLAIN), vm2_wrap(st, w, ha, H_PLAIN),
			     construct ? VIA_NEW : VIA_DIRECT, &out, ctx))
			return -1;
		*r = vm2_unwrap(st, w, out);
		return 0;
	}
	return -1;
}

/* Converting sandbox value a for the host throws when it is a hostile proxy. */
static int convert_throws(vm2_state *st, unsigned v, vm2_oid a, esc_ctx *ctx)
{
	if (a == VM2_NIL || O(st, a)->kind != OK_HOSTILE || O(st, a)->realm != vm2_realm(v))
		return 0;
	vm2_oid thrown = O(st, a)->value;
	if (vm2_on(st, D_BRIDGE_THROW)) {
		esc_note(ctx, "a trap threw inside the conversion: the bridge caught and re-wrapped it");
		vm2_throw(st, v, thrown);
	} else {
		/* issue #174: the exception crossed one half of the membrane only */
		esc_note(ctx, "a trap threw inside the conversion: it escaped half-converted");
		vm2_throw(st, v, vm2_unwrap(st, v, thrown));
	}
	return 1;
}

/* The apply/construct traps of forward proxy p (VM v). */
static int membrane_apply(vm2_state *st, unsigned v, vm2_oid p, vm2_oid self, vm2_oid arg,
			  int construct, vm2_oid *out, esc_ctx *ctx)
{
	vm2_oid h = O(st, p)->target;
	bridge_call_hooks(st, v, h, ctx);
	if (convert_throws(st, v, self, ctx) || convert_throws(st, v, arg, ctx))
		return -1;
	vm2_oid r;
	if (host_run(st, v, h, vm2_unwrap(st, v, self), vm2_unwrap(st, v, arg), construct, &r, ctx))
		return -1;
	*out = vm2_wrap(st, v, r, H_PLAIN);
	return 0;
}

int vm2_call(vm2_state *st, unsigned v, vm2_oid f, vm2_oid self, vm2_oid arg, unsigned via,
	     vm2_oid *out, esc_ctx *ctx)
{
	*out = VM2_NIL;
	if (!callable(st, f)) {
		esc_note(ctx, "TypeError: not a function");
		return -1;
	}
	int construct = via == VIA_NEW || via == VIA_REFLECT_CONSTRUCT;
	vm2_obj *x = O(st, f);
	unsigned realm = vm2_realm(v);
	vm2_oid r = VM2_NIL;
	if (fwd_proxy(st, v, f)) {
		if (membrane_apply(st, v, f, self, arg, construct, &r, ctx))
			return -1;
	} else if (x->realm == realm) {
		switch (x->fn) {
		case FB_SANDBOX:
			run_sandbox_fn(st, v, self, arg, "argument of a sandbox function");
			r = construct ? vm2_alloc(st, realm, OK_PLAIN, vm2_intrinsic(st, realm, I_OBJECT_PROTO))
				      : arg;
			break;
		case FB_FUNCTION_CTOR:
			r = vm2_alloc(st, realm, OK_FUNC, vm2_intrinsic(st, realm, I_FUNCTION_PROTO));
			if (r != VM2_NIL)
				O(st, r)->fn = FB_COMPILED;
			break;
		case FB_COMPILED:
			r = vm2_intrinsic(st, realm, I_PROCESS);
			if (r == VM2_NIL) {
				esc_note(ctx, "ReferenceError: process is not defined");
				vm2_throw(st, v, vm2_alloc(st, realm, OK_ERROR,
							   vm2_intrinsic(st, realm, I_ERROR_PROTO)));
				return -1;
			}
			break;
		case FB_PROTO_GETTER:
			if (fwd_proxy(st, v, self))
				r = vm2_wrap(st, v, O(st, O(st, self)->target)->proto, O(st, self)->handler);
			else
				r = self == VM2_NIL ? VM2_NIL : O(st, self)->proto;
			break;
		case FB_OBJECT_CTOR:
		case FB_ARRAY_CTOR:
		case FB_ERROR_CTOR:
		case FB_PROMISE_CTOR: {
			static const uint8_t kinds[] = { OK_PLAIN, OK_ARRAY, OK_ERROR, OK_PROMISE };
			static const uint8_t protos[] = { I_OBJECT_PROTO, I_ARRAY_PROTO, I_ERROR_PROTO,
							  I_PROMISE_PROTO };
			unsigned k = x->fn - FB_OBJECT_CTOR;
			if (x->fn == FB_OBJECT_CTOR && arg != VM2_NIL)
				r = arg;
			else
				r = vm2_alloc(st, realm, kinds[k], vm2_intrinsic(st, realm, protos[k]));
			if (x->fn == FB_PROMISE_CTOR && callable(st, arg)) {
				/* the sandbox's own Promise hands the executor sandbox functions */
				vm2_oid res = vm2_alloc(st, realm, OK_FUNC,
							vm2_intrinsic(st, realm, I_FUNCTION_PROTO));
				vm2_oid ign;
				if (res != VM2_NIL)
					O(st, res)->fn = FB_HOST_EXECUTOR;
				if (vm2_call(st, v, arg, VM2_NIL, res, VIA_DIRECT, &ign, ctx))
					return -1;
			}
			break;
		}
		case FB_THEN:
		case FB_CATCH:
		case FB_FINALLY:
			if (self == VM2_NIL)
				return -1;
			return vm2_invoke(st, v, self, x->fn - FB_THEN, arg, VIA_CALL, out, ctx);
		default:
			r = VM2_NIL;
			break;
		}
	} else {
		/* a raw foreign function in sandbox hands: it runs with host semantics and
		 * whatever it returns is raw */
		if (host_run(st, v, f, self, arg, construct, &r, ctx))
			return -1;
	}
	*out = vm2_deliver(st, v, r, "return value");
	return 0;
}

int vm2_invoke(vm2_state *st, unsigned v, vm2_oid o, unsigned method, vm2_oid cb,
	       unsigned via, vm2_oid *out, esc_ctx *ctx)
{
	*out = VM2_NIL;
	if (o == VM2_NIL)
		return -1;
	if (fwd_proxy(st, v, o)) {
		vm2_oid h = O(st, o)->target;
		if (O(st, h)->kind != OK_PROMISE) {
			esc_note(ctx, "TypeError: not a promise");
			return -1;
		}
		bridge_call_hooks(st, v, vm2_intrinsic(st, 0, I_THEN + method), ctx);
		if (convert_throws(st, v, cb, ctx))
			return -1;
		/* the bridge recognizes host then/catch/finally by identity: only a direct call
		 * unless it unwinds call/apply/bind (GHSA-647f) */
		int rec = vm2_on(st, D_THEN) && (via == VIA_DIRECT || vm2_on(st, D_INDIRECT));
		return promise_method(st, v, h, method, cb, rec, out, ctx);
	}
	if (O(st, o)->realm == vm2_realm(v) && O(st, o)->kind == OK_PROMISE)
		return promise_method(st, v, o, method, cb, 1, out, ctx);
	esc_note(ctx, "TypeError: not a promise");
	return -1;
}

void vm2_run_jobs(vm2_state *st, esc_ctx *ctx)
{
	for (unsigned i = 0; i < st->njob; i++) {
		vm2_job j = st->jobs[i];
		if (!sandbox_fn(st, j.vm, j.cb))
			continue; /* a host callback: host code with host values */
		vm2_oid val = j.wrapped ? vm2_wrap(st, j.vm, j.value, H_PLAIN) : j.value;
		esc_note(ctx, "job: vm#%u callback gets %s value", j.vm + 1, j.wrapped ? "a wrapped" : "the RAW");
		run_sandbox_fn(st, j.vm, VM2_NIL, val,
			       j.wrapped ? "promise job value" : "host promise job handed the raw value");
	}
	st->njob = 0;
}

/* ---- exceptions ---- */

int vm2_catch(vm2_state *st, unsigned v, unsigned site, vm2_oid *out, esc_ctx *ctx)
{
	static const char *const sites[SITE_N] = { "rewritten catch", "promise rejection",
						   "async generator return(thenable)" };
	vm2_vm *vm = &st->vms[v];
	*out = VM2_NIL;
	if (!vm->has_pending) {
		esc_note(ctx, "nothing was thrown");
		return -1;
	}
	vm2_oid e = vm->pending;
	vm->has_pending = 0;
	vm->pending = VM2_NIL;
	/* who sanitizes at each site: the catch rewriter (D_THROW), the rejection sanitizer
	 * (D_BRIDGE_THROW), the async-generator result wrapper (D_CATCH_SITES) */
	int sanitized = site == SITE_PLAIN ? vm2_on(st, D_THROW) :
			site == SITE_REJECT ? vm2_on(st, D_BRIDGE_THROW) : vm2_on(st, D_CATCH_SITES);
	if (sanitized)
		e = vm2_sanitize(st, v, e);
	esc_note(ctx, "caught at a %s site, %s", sites[site], sanitized ? "sanitized" : "NOT sanitized");
	char how[64];
	snprintf(how, sizeof(how), "caught at a %s site", sites[site]);
	*out = vm2_deliver(st, v, e, how);
	return 0;
}

/* ---- host algorithms ---- */

/* The sandbox species constructor host code would use for sandbox-controlled object hv:
 * hv.constructor is the host view of a sandbox function x with x[Symbol.species] a
 * sandbox function. Returns it (in VM *w's realm), or VM2_NIL. */
static vm2_oid sandbox_species(vm2_state *st, vm2_oid hv, unsigned *w)
{
	vm2_oid c = host_get(st, hv, K_CONSTRUCTOR);
	if (!rev_proxy(st, c))
		return VM2_NIL;
	*w = O(st, c)->vm;
	vm2_oid trap, g, s;
	vm2_oid sp = vm2_lookup(st, O(st, c)->target, K_SPECIES, &trap, &g, &s);
	return sandbox_fn(st, *w, sp) ? sp : VM2_NIL;
}

int vm2_host_alg(vm2_state *st, unsigned v, vm2_oid o, unsigned alg, vm2_oid *out,
		 esc_ctx *ctx)
{
	*out = VM2_NIL;
	if (convert_throws(st, v, o, ctx))
		return -1;
	vm2_oid hv = vm2_unwrap(st, v, o);
	unsigned w = v;
	switch (alg) {
	case ALG_MAP: {
		if (hv == VM2_NIL)
			return -1;
		vm2_oid res = new_host(st, OK_PLAIN, I_OBJECT_PROTO); /* ({e}) for element 0 */
		if (res != VM2_NIL)
			vm2_store(st, res, K_X, host_get(st, hv, K_0), "map result");
		vm2_oid sp = sandbox_species(st, hv, &w);
		if (sp != VM2_NIL && !vm2_on(st, D_SPECIES_ARRAY)) {
			/* GHSA-grj5: ArraySpeciesCreate built the result with the sandbox species;
			 * host map stores its raw results in it */
			esc_note(ctx, "map built its result with the sandbox's Symbol.species");
			vm2_oid a = vm2_alloc(st, vm2_realm(w), OK_PLAIN,
					      vm2_intrinsic(st, vm2_realm(w), I_OBJECT_PROTO));
			if (a == VM2_NIL)
				return -1;
			vm2_store(st, a, K_0, res, "host map stored its raw result in a species-made array");
			*out = vm2_wrap(st, v, vm2_unwrap(st, w, a), H_PLAIN);
		} else {
			if (sp != VM2_NIL)
				esc_note(ctx, "species neutralized: map builds a host array");
			vm2_oid a = new_host(st, OK_ARRAY, I_ARRAY_PROTO);
			if (a != VM2_NIL)
				vm2_store(st, a, K_0, res, "map result");
			*out = vm2_wrap(st, v, a, H_PLAIN);
		}
		break;
	}
	case ALG_THEN: {
		if (hv == VM2_NIL || (rev_proxy(st, hv) ? O(st, O(st, hv)->target)->kind
						     : O(st, hv)->kind) != OK_PROMISE)
			return -1;
		vm2_oid sp = sandbox_species(st, hv, &w);
		if (sp != VM2_NIL && !vm2_on(st, D_SPECIES_PROMISE)) {
			/* GHSA-76w7: SpeciesConstructor handed the sandbox constructor V8's raw
			 * resolving functions */
			esc_note(ctx, "then built its promise with the sandbox's Symbol.species");
			vm2_oid ex = new_host(st, OK_FUNC, I_FUNCTION_PROTO);
			if (ex != VM2_NIL)
				O(st, ex)->fn = FB_HOST_EXECUTOR;
			run_sandbox_fn(st, w, VM2_NIL, ex,
				       "host executor handed to a sandbox species constructor");
			*out = vm2_alloc(st, vm2_realm(v), OK_PLAIN,
					 vm2_intrinsic(st, vm2_realm(v), I_OBJECT_PROTO));
		} else {
			*out = vm2_wrap(st, v, new_host(st, OK_PROMISE, I_PROMISE_PROTO), H_PLAIN);
		}
		break;
	}
	case ALG_INSPECT:
	case ALG_STRING: {
		if (!rev_proxy(st, hv))
			break; /* host objects have no sandbox hooks */
		unsigned key = alg == ALG_INSPECT ? K_INSPECT : K_TOSTRING;
		w = O(st, hv)->vm;
		vm2_oid s = O(st, hv)->target, trap, g, set;
		vm2_oid f = vm2_lookup(st, s, key, &trap, &g, &set);
		if (!sandbox_fn(st, w, f))
			break;
		if (alg == ALG_STRING) {
			/* an ordinary call through the membrane: `this` is the sandbox object */
			run_sandbox_fn(st, w, vm2_wrap(st, w, hv, H_PLAIN), VM2_NIL, "toString");
		} else if (vm2_on(st, D_INSPECT)) {
			esc_note(ctx, "inspect.custom filtered at the bridge: not called");
		} else {
			/* CVE-2023-37903: util.inspect calls it with host options and inspect */
			esc_note(ctx, "host util.inspect called the sandbox's inspect.custom");
			run_sandbox_fn(st, w, VM2_NIL, new_host(st, OK_PLAIN, I_OBJECT_PROTO),
				       "util.inspect options handed to inspect.custom");
		}
		break;
	}
	case ALG_STACK: {
		vm2_oid ec = st->vms[v].intr[I_ERROR];
		const vm2_slot *s = vm2_own(st, ec, K_PREPARE_STACK);
		if (!s || s->acc || !sandbox_fn(st, v, s->val))
			break;
		if (vm2_on(st, D_STACK)) {
			esc_note(ctx, "Error.prepareStackTrace gets sandboxed call sites");
			run_sandbox_fn(st, v, VM2_NIL,
				       vm2_alloc(st, vm2_realm(v), OK_PLAIN,
						 vm2_intrinsic(st, vm2_realm(v), I_OBJECT_PROTO)),
				       "call sites");
		} else {
			/* CVE-2022-36067: the raw host CallSite (getThis gives host objects) */
			esc_note(ctx, "Error.prepareStackTrace gets the host's raw CallSite objects");
			run_sandbox_fn(st, v, VM2_NIL, new_host(st, OK_PLAIN, I_OBJECT_PROTO),
				       "host CallSite handed to Error.prepareStackTrace");
		}
		break;
	}
	default:
		return -1;
	}
	vm2_deliver(st, v, *out, "host API result");
	return 0;
}

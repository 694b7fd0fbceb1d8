/* vm2model membrane: the object heap, realms and their intrinsics, properties, the
 * wrap/unwrap identity maps between the host and each VM, sanitizing of thrown host
 * values, and the oracle's primitive checks (what a sandbox frame may hold, what a
 * landed write may touch). See vm2int.h for the model and its invariants.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vm2int.h"

const char *const vm2_key_names[K_NKEYS] = {
	"x", "0", "constructor", "__proto__", "cause", "errors", "species", "inspect",
	"prepareStackTrace", "call", "get", "toString",
};

static const char *const intrinsic_names[I_N] = {
	"Object.prototype", "Function.prototype", "Array.prototype", "Error.prototype",
	"Promise.prototype", "Object", "Function", "Array", "Error", "Promise",
	"__proto__ getter", "Promise.prototype.then", "Promise.prototype.catch",
	"Promise.prototype.finally", "process",
};

void vm2_membrane_reset(vm2_state *st)
{
	st->nobj = st->nheld = st->njob = 0;
	for (unsigned i = 0; i < I_N; i++)
		st->host_intr[i] = VM2_NIL;
}

void vm2_realm_init(vm2_state *st, unsigned v)
{
	vm2_vm *vm = &st->vms[v];
	vm->has_pending = 0;
	vm->pending = VM2_NIL;
	for (unsigned i = 0; i < I_N; i++)
		vm->intr[i] = VM2_NIL;
}

vm2_oid vm2_alloc(vm2_state *st, unsigned realm, unsigned kind, vm2_oid proto)
{
	if (st->nobj >= VM2_MAXOBJ)
		return VM2_NIL;
	vm2_oid id = (vm2_oid)st->nobj++;
	vm2_obj *o = &st->obj[id];
	o->realm = (uint8_t)realm;
	o->kind = (uint8_t)kind;
	o->fn = FB_NONE;
	o->flags = 0;
	o->handler = H_PLAIN;
	o->vm = 0;
	o->state = 0;
	o->nslot = 0;
	o->proto = proto;
	o->target = o->value = o->proxies = o->next = VM2_NIL;
	return id;
}

static vm2_oid *intr_table(vm2_state *st, unsigned realm)
{
	return realm == 0 ? st->host_intr : st->vms[realm - 1].intr;
}

vm2_oid vm2_intrinsic(vm2_state *st, unsigned realm, unsigned which)
{
	vm2_oid *tab = intr_table(st, realm);
	if (tab[which] != VM2_NIL)
		return tab[which];
	static const struct {
		uint8_t kind, fn, proto;
	} spec[I_N] = {
		[I_OBJECT_PROTO] = { OK_PLAIN, FB_NONE, I_N },
		[I_FUNCTION_PROTO] = { OK_FUNC, FB_NONE, I_OBJECT_PROTO },
		[I_ARRAY_PROTO] = { OK_ARRAY, FB_NONE, I_OBJECT_PROTO },
		[I_ERROR_PROTO] = { OK_PLAIN, FB_NONE, I_OBJECT_PROTO },
		[I_PROMISE_PROTO] = { OK_PLAIN, FB_NONE, I_OBJECT_PROTO },
		[I_OBJECT] = { OK_FUNC, FB_OBJECT_CTOR, I_FUNCTION_PROTO },
		[I_FUNCTION] = { OK_FUNC, FB_FUNCTION_CTOR, I_FUNCTION_PROTO },
		[I_ARRAY] = { OK_FUNC, FB_ARRAY_CTOR, I_FUNCTION_PROTO },
		[I_ERROR] = { OK_FUNC, FB_ERROR_CTOR, I_FUNCTION_PROTO },
		[I_PROMISE] = { OK_FUNC, FB_PROMISE_CTOR, I_FUNCTION_PROTO },
		[I_PROTO_GETTER] = { OK_FUNC, FB_PROTO_GETTER, I_FUNCTION_PROTO },
		[I_THEN] = { OK_FUNC, FB_THEN, I_FUNCTION_PROTO },
		[I_CATCH] = { OK_FUNC, FB_CATCH, I_FUNCTION_PROTO },
		[I_FINALLY] = { OK_FUNC, FB_FINALLY, I_FUNCTION_PROTO },
		[I_PROCESS] = { OK_PROCESS, FB_NONE, I_OBJECT_PROTO },
	};
	/* a class VM's realm has no process; NodeVM's has a harmless shim */
	if (which == I_PROCESS && realm != 0 && st->vms[realm - 1].cls_vm)
		return VM2_NIL;
	vm2_oid proto = VM2_NIL;
	if (spec[which].proto != I_N) {
		proto = vm2_intrinsic(st, realm, spec[which].proto);
		if (proto == VM2_NIL)
			return VM2_NIL;
	}
	vm2_oid id = vm2_alloc(st, realm, spec[which].kind, proto);
	if (id == VM2_NIL)
		return VM2_NIL;
	st->obj[id].fn = spec[which].fn;
	st->obj[id].flags = OF_INTRINSIC;
	st->obj[id].state = (uint8_t)which;
	tab[which] = id;
	return id;
}

vm2_slot *vm2_own(vm2_state *st, vm2_oid o, unsigned key)
{
	if (o == VM2_NIL)
		return NULL;
	vm2_obj *x = &st->obj[o];
	for (unsigned i = 0; i < x->nslot; i++)
		if (x->slot[i].key == key)
			return &x->slot[i];
	return NULL;
}

/* Properties of intrinsics that exist without being stored. */
static vm2_oid implied(vm2_state *st, vm2_oid o, unsigned key)
{
	const vm2_obj *x = &st->obj[o];
	if (!(x->flags & OF_INTRINSIC))
		return VM2_NIL;
	unsigned which = x->state;
	if (key == K_CONSTRUCTOR && which < I_OBJECT)
		return vm2_intrinsic(st, x->realm, which + I_OBJECT); /* X.prototype.constructor */
	if (key == K_SPECIES && (which == I_ARRAY || which == I_PROMISE))
		return o;
	return VM2_NIL;
}

vm2_oid vm2_lookup(vm2_state *st, vm2_oid o, unsigned key, vm2_oid *trap, vm2_oid *getter,
		   vm2_oid *setter)
{
	*trap = *getter = *setter = VM2_NIL;
	if (o == VM2_NIL)
		return VM2_NIL;
	if (key == K_PROTO)
		return st->obj[o].proto;
	vm2_oid p = o;
	for (unsigned depth = 0; p != VM2_NIL && depth < VM2_CHAIN; depth++) {
		const vm2_obj *x = &st->obj[p];
		if (x->kind == OK_PROXY) {
			*trap = p;
			return VM2_NIL;
		}
		const vm2_slot *s = vm2_own(st, p, key);
		if (s) {
			if (!s->acc)
				return s->val;
			*getter = s->get;
			*setter = s->set;
			return VM2_NIL;
		}
		vm2_oid im = implied(st, p, key);
		if (im != VM2_NIL)
			return im;
		p = x->proto;
	}
	return VM2_NIL;
}

static vm2_slot *slot_for(vm2_state *st, vm2_oid o, unsigned key)
{
	vm2_slot *s = vm2_own(st, o, key);
	if (s)
		return s;
	vm2_obj *x = &st->obj[o];
	if (x->nslot >= VM2_NSLOT)
		return NULL;
	s = &x->slot[x->nslot++];
	s->key = (uint8_t)key;
	s->acc = 0;
	s->val = s->get = s->set = VM2_NIL;
	return s;
}

/* A value stored into a sandbox object becomes reachable by that VM's code. */
static void reach(vm2_state *st, vm2_oid o, vm2_oid val, const char *how)
{
	unsigned realm = st->obj[o].realm;
	if (realm != 0 && val != VM2_NIL)
		vm2_deliver(st, realm - 1, val, how);
}

int vm2_store(vm2_state *st, vm2_oid o, unsigned key, vm2_oid val, const char *how)
{
	if (o == VM2_NIL)
		return -1;
	vm2_slot *s = slot_for(st, o, key);
	if (!s)
		return -1;
	s->acc = 0;
	s->val = val;
	s->get = s->set = VM2_NIL;
	reach(st, o, val, how);
	return 0;
}

int vm2_store_accessor(vm2_state *st, vm2_oid o, unsigned key, vm2_oid get, vm2_oid set)
{
	if (o == VM2_NIL)
		return -1;
	vm2_slot *s = slot_for(st, o, key);
	if (!s)
		return -1;
	if (!s->acc)
		s->get = s->set = VM2_NIL;
	s->acc = 1;
	s->val = VM2_NIL;
	if (get != VM2_NIL)
		s->get = get;
	if (set != VM2_NIL)
		s->set = set;
	reach(st, o, get, "stored as a getter");
	reach(st, o, set, "stored as a setter");
	return 0;
}

/* The proxy of membrane v in realm `realm` standing for x, or VM2_NIL. */
static vm2_oid find_proxy(const vm2_state *st, vm2_oid x, unsigned v, unsigned realm)
{
	for (vm2_oid p = st->obj[x].proxies; p != VM2_NIL; p = st->obj[p].next) {
		const vm2_obj *q = &st->obj[p];
		if (q->vm == v && q->realm == realm)
			return p;
	}
	return VM2_NIL;
}

/* The stricter of two handlers: read-only > protected > plain. */
static unsigned stricter(unsigned a, unsigned b)
{
	if (a == H_READONLY || b == H_READONLY)
		return H_READONLY;
	return a == H_PROTECTED || b == H_PROTECTED ? H_PROTECTED : H_PLAIN;
}

/* One proxy per (object, membrane, realm), as vm2's identity cache: the first wrap
 * decides its handler, and an object the embedder froze or protected is always
 * wrapped with that policy, whatever path reaches it. */
static vm2_oid make_proxy(vm2_state *st, vm2_oid x, unsigned v, unsigned realm, unsigned h)
{
	vm2_oid p = find_proxy(st, x, v, realm);
	if (p != VM2_NIL)
		return p;
	if (st->obj[x].flags & OF_EXPOSED)
		h = stricter(h, st->obj[x].handler);
	p = vm2_alloc(st, realm, OK_PROXY, VM2_NIL);
	if (p == VM2_NIL)
		return VM2_NIL;
	vm2_obj *q = &st->obj[p];
	q->target = x;
	q->vm = (uint8_t)v;
	q->handler = (uint8_t)h;
	q->fn = st->obj[x].fn;
	q->next = st->obj[x].proxies;
	st->obj[x].proxies = p;
	return p;
}

vm2_oid vm2_wrap(vm2_state *st, unsigned v, vm2_oid x, unsigned handler)
{
	if (x == VM2_NIL)
		return VM2_NIL;
	const vm2_obj *o = &st->obj[x];
	unsigned realm = vm2_realm(v);
	if (o->realm == realm)
		return x; /* its own value (or its own membrane's proxy) */
	if (o->realm != 0)
		return vm2_wrap(st, v, vm2_unwrap(st, o->realm - 1, x), handler); /* another VM's */
	if (o->kind == OK_PROXY && o->vm == v)
		return o->target; /* host view of v's own value: identity */
	if (o->flags & OF_INTRINSIC) {
		if (o->state < I_OBJECT)
			return vm2_intrinsic(st, realm, o->state); /* prototype pairing */
		if (o->state == I_FUNCTION && vm2_on(st, D_CTOR))
			return vm2_intrinsic(st, realm, I_FUNCTION); /* issue #32 */
	}
	return make_proxy(st, x, v, realm, handler);
}

vm2_oid vm2_unwrap(vm2_state *st, unsigned v, vm2_oid x)
{
	if (x == VM2_NIL)
		return VM2_NIL;
	const vm2_obj *o = &st->obj[x];
	if (o->realm == 0)
		return x;
	if (o->realm != vm2_realm(v))
		return vm2_unwrap(st, o->realm - 1, x);
	if (o->kind == OK_PROXY)
		return o->target;
	if ((o->flags & OF_INTRINSIC) && o->state < I_OBJECT)
		return vm2_intrinsic(st, 0, o->state); /* prototype pairing, reversed */
	return make_proxy(st, x, v, 0, H_PLAIN);
}

/* ---- sanitizing (handleException) ---- */

typedef struct memo {
	unsigned n;
	vm2_oid from[8], to[8];
} memo;

static vm2_oid sanitize(vm2_state *st, unsigned v, vm2_oid e, memo *m, unsigned depth)
{
	if (e == VM2_NIL)
		return VM2_NIL;
	const vm2_obj *o = &st->obj[e];
	if (o->realm == vm2_realm(v))
		return e;
	if (o->realm != 0 || o->kind != OK_ERROR || depth > 8)
		return vm2_wrap(st, v, e, H_PLAIN);
	for (unsigned i = 0; i < m->n; i++) {
		if (m->from[i] != e)
			continue;
		if (vm2_on(st, D_MEMO))
			return m->to[i];
		/* GHSA-x965: the memo said "seen" and the revisit returned the raw carrier */
		char a[64], b[64];
		vm2_event(st, EV_IDENTITY, v, e,
			  "sanitizing %s a second time in one pass gave the raw original, not %s",
			  vm2_describe_obj(st, e, a, sizeof(a)), vm2_describe_obj(st, m->to[i], b, sizeof(b)));
		return e;
	}
	vm2_oid r = vm2_alloc(st, vm2_realm(v), OK_ERROR,
			      vm2_intrinsic(st, vm2_realm(v), I_ERROR_PROTO));
	if (r == VM2_NIL)
		return vm2_wrap(st, v, e, H_PLAIN);
	if (m->n < 8) {
		m->from[m->n] = e;
		m->to[m->n++] = r;
	}
	static const unsigned fields[] = { K_ERRORS, K_CAUSE };
	for (unsigned k = 0; k < 2; k++) {
		const vm2_slot *s = vm2_own(st, e, fields[k]);
		if (!s || s->acc || s->val == VM2_NIL)
			continue;
		vm2_oid val = s->val;
		if (vm2_on(st, D_ERROR_FIELDS))
			val = sanitize(st, v, val, m, depth + 1);
		vm2_store(st, r, fields[k], val,
			  fields[k] == K_CAUSE ? "copied into a sanitized error's cause"
					       : "copied into a sanitized error's errors[]");
	}
	return r;
}

vm2_oid vm2_sanitize(vm2_state *st, unsigned v, vm2_oid e)
{
	memo m = { 0 };
	return sanitize(st, v, e, &m, 0);
}

/* ---- the oracle's primitives ---- */

int vm2_may_hold(const vm2_state *st, unsigned v, vm2_oid x)
{
	if (x == VM2_NIL)
		return 1;
	const vm2_obj *o = &st->obj[x];
	return o->realm == vm2_realm(v) && (o->kind != OK_PROXY || o->vm == v);
}

/* Host authority: the host Function constructor or the host process, raw or behind
 * a proxy. */
static int host_authority(const vm2_state *st, vm2_oid x)
{
	const vm2_obj *o = &st->obj[x];
	if (o->kind == OK_PROXY && o->realm != 0)
		o = &st->obj[o->target];
	return o->realm == 0 && (o->flags & OF_INTRINSIC) &&
	       (o->state == I_FUNCTION || o->state == I_PROCESS);
}

void vm2_event(vm2_state *st, vm2_event_kind ev, unsigned v, vm2_oid o, const char *fmt, ...)
{
	if (st->ev != EV_NONE)
		return;
	st->ev = ev;
	st->ev_vm = v;
	st->ev_obj = o;
	st->ev_cap = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->ev_what, sizeof(st->ev_what), fmt, ap);
	va_end(ap);
}

vm2_oid vm2_deliver(vm2_state *st, unsigned v, vm2_oid x, const char *how)
{
	if (x == VM2_NIL || st->ev != EV_NONE)
		return x;
	char a[64];
	if (host_authority(st, x))
		vm2_event(st, EV_HOSTAUTH, v, x, "vm#%u got %s (%s)", v + 1,
			  vm2_describe_obj(st, x, a, sizeof(a)), how);
	else if (!vm2_may_hold(st, v, x))
		vm2_event(st, EV_LEAK, v, x, "vm#%u got %s (%s)", v + 1,
			  vm2_describe_obj(st, x, a, sizeof(a)), how);
	return x;
}

static int callable(const vm2_state *st, vm2_oid x)
{
	return x != VM2_NIL && st->obj[x].fn != FB_NONE;
}

void vm2_landed(vm2_state *st, unsigned v, vm2_oid t, vm2_oid val, const char *how)
{
	const vm2_obj *o = &st->obj[t];
	if (o->realm != 0 || o->kind == OK_PROXY)
		return; /* a sandbox object (or the host view of one): not host state */
	unsigned h = (o->flags & OF_EXPOSED) ? o->handler : H_PLAIN;
	int bad = (o->flags & OF_INTRINSIC) || h == H_READONLY ||
		  (h == H_PROTECTED && callable(st, val));
	if (bad) {
		char a[64];
		vm2_event(st, EV_INTEGRITY, v, t, "a write by vm#%u landed on %s (%s)", v + 1,
			  vm2_describe_obj(st, t, a, sizeof(a)), how);
	}
}

const char *vm2_describe_obj(const vm2_state *st, vm2_oid x, char *buf, size_t len)
{
	static const char *const kinds[] = { "object", "array", "function", "Error", "promise",
					     "proxy", "process", "hostile proxy" };
	if (x == VM2_NIL) {
		snprintf(buf, len, "undefined");
		return buf;
	}
	const vm2_obj *o = &st->obj[x];
	char where[16];
	if (o->realm == 0)
		snprintf(where, sizeof(where), "host");
	else
		snprintf(where, sizeof(where), "vm#%u", o->realm);
	if (o->kind == OK_PROXY) {
		const vm2_obj *t = &st->obj[o->target];
		if (t->flags & OF_INTRINSIC)
			snprintf(buf, len, "%s proxy of %s %s", where, t->realm ? "sandbox" : "host",
				 intrinsic_names[t->state]);
		else
			snprintf(buf, len, "%s proxy of %s %s#%u", where, t->realm ? "sandbox" : "host",
				 kinds[t->kind], (unsigned)o->target);
	} else if (o->flags & OF_INTRINSIC) {
		snprintf(buf, len, "%s %s", where, intrinsic_names[o->state]);
	} else {
		snprintf(buf, len, "%s %s#%u", where, kinds[o->kind], (unsigned)x);
	}
	return buf;
}

int vm2_membrane_check(vm2_state *st, char *why, size_t len)
{
	for (unsigned i = 0; i < st->nobj; i++) {
		const vm2_obj *p = &st->obj[i];
		if (p->kind != OK_PROXY)
			continue;
		if (p->target == VM2_NIL || p->target >= st->nobj) {
			snprintf(why, len, "proxy #%u has no target", i);
			return -1;
		}
		const vm2_obj *t = &st->obj[p->target];
		int fwd = p->realm != 0;
		if (fwd ? (p->realm != vm2_realm(p->vm) || t->realm != 0)
			: (t->realm != vm2_realm(p->vm))) {
			snprintf(why, len, "proxy #%u joins the wrong realms", i);
			return -1;
		}
		unsigned seen = 0;
		for (vm2_oid q = t->proxies; q != VM2_NIL; q = st->obj[q].next) {
			if (q == i)
				seen++;
			else if (st->obj[q].vm == p->vm && st->obj[q].realm == p->realm) {
				snprintf(why, len, "two proxies #%u and #%u for one target", i, (unsigned)q);
				return -1;
			}
		}
		if (seen != 1) {
			snprintf(why, len, "proxy #%u missing from its target's identity map", i);
			return -1;
		}
		if (vm2_unwrap(st, p->vm, fwd ? (vm2_oid)i : p->target) !=
		    (fwd ? p->target : (vm2_oid)i)) {
			snprintf(why, len, "unwrap of proxy #%u is not its target", i);
			return -1;
		}
	}
	return 0;
}

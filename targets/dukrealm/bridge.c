/* dukrealm bridge: the membrane between the host realm and each sandbox realm, in C.
 * Host objects reach a realm as Duktape Proxy objects whose traps run the operation on a
 * host thread (so host code keeps the host's intrinsics); realm objects reach the host as
 * proxies whose traps run on a realm thread. Identity maps make wrapping stable
 * (wrap(h) is always the same proxy; unwrap(wrap(h)) == h). Each defence of the layer is
 * one test of st->def at the point where vm2's membrane enforces it.
 */
#include <string.h>

#include "dk.h"

enum { T_GET, T_SET, T_HAS, T_DEL, T_APPLY, T_NEW };
static const char *const trap_verb[] = { "get", "set", "has", "delete", "call", "construct" };

#define DK_MAX_ARGS 16

/* ---- identity maps: open addressing on the object pointer ---- */

DK_NOCOV static unsigned map_slot(const void *key)
{
	uintptr_t k = (uintptr_t)key;
	return (unsigned)(((k >> 4) ^ (k >> 20)) * 0x9e3779b1u) & (DK_MAP_CAP - 1);
}

DK_NOCOV void dk_map_clear(dk_map *m)
{
	memset(m, 0, sizeof(*m));
}

DK_NOCOV void *dk_map_get(const dk_map *m, void *key, enum dk_role role)
{
	for (unsigned i = map_slot(key), n = 0; n < DK_MAP_CAP; i = (i + 1) & (DK_MAP_CAP - 1), n++) {
		if (!m->e[i].key)
			return NULL;
		if (m->e[i].key == key)
			return m->e[i].role == role ? m->e[i].val : NULL;
	}
	return NULL;
}

DK_NOCOV int dk_map_put(dk_map *m, void *key, void *val, enum dk_role role)
{
	for (unsigned i = map_slot(key), n = 0; n < DK_MAP_CAP; i = (i + 1) & (DK_MAP_CAP - 1), n++) {
		if (m->e[i].key && m->e[i].key != key)
			continue;
		if (!m->e[i].key) {
			if (m->n >= DK_MAP_CAP * 3 / 4)
				return -1;
			m->n++;
		}
		m->e[i] = (dk_map_ent){ key, val, (unsigned char)role };
		return 0;
	}
	return -1;
}

/* Room for one more wrapped object (three entries) in m? */
DK_NOCOV static int map_room(const dk_map *m)
{
	return m->n + 3 <= DK_MAP_CAP * 3 / 4;
}

DK_NOCOV int dk_bridge_kind(const dk_state *st, int slot, void *obj)
{
	const dk_realm *r = &st->slot[slot];
	if (dk_map_get(&r->in, obj, IN_TARGET_OF))
		return 1;
	if (dk_map_get(&r->out, obj, OUT_TARGET_OF))
		return 2;
	return 0;
}

/* ---- conversions ---- */

static duk_ret_t shadow_fn(duk_context *c)
{
	(void)c;
	return 0; /* never called: every proxy has apply and construct traps */
}

/* Pushes a proxy for an object of the other side: a shadow target (callable if the
 * object is) and handler. Returns the proxy; *shadow gets the target. */
static void *push_proxy(duk_context *dst, int callable, void *handler, void **shadow)
{
	if (callable)
		duk_push_c_function(dst, shadow_fn, DUK_VARARGS);
	else
		duk_push_bare_object(dst);
	*shadow = duk_get_heapptr(dst, -1);
	duk_push_heapptr(dst, handler);
	duk_push_proxy(dst, 0);
	return duk_get_heapptr(dst, -1);
}

static void copy_value(duk_context *src, duk_idx_t idx, duk_context *dst)
{
	duk_dup(src, idx);
	duk_xmove_top(dst, src, 1);
}

/* Does the profile keep host intrinsic `bidx` at home (the realm gets its own instead)? */
static int maps_intrinsic(const dk_state *st, int bidx)
{
	if (bidx == DKE_BIDX_FUNCTION_CONSTRUCTOR)
		return (st->def & DEF_MAP_FUNCTION_CTOR) != 0;
	return (st->def & DEF_PROTECT_INTRINSICS) != 0;
}

void dk_to_realm(dk_state *st, int slot, duk_context *src, duk_idx_t idx, duk_context *dst, int raw)
{
	dk_realm *r = &st->slot[slot];
	idx = duk_normalize_index(src, idx);
	if (!duk_is_object(src, idx)) {
		copy_value(src, idx, dst);
		return;
	}
	void *h = duk_get_heapptr(src, idx), *v;
	if ((v = dk_map_get(&r->out, h, OUT_TARGET_OF)) != NULL) {
		duk_push_heapptr(dst, v); /* the host's proxy of one of the realm's own objects */
		return;
	}
	if (raw) {
		copy_value(src, idx, dst);
		return;
	}
	int owner, b, intrinsic = dk_intrinsic_owner(st, h, &owner, &b);
	if (intrinsic && owner == DK_HOST && maps_intrinsic(st, b)) {
		duk_push_heapptr(dst, r->bidx[b]);
		return;
	}
	if ((v = dk_map_get(&r->in, h, IN_PROXY_OF)) != NULL) {
		duk_push_heapptr(dst, v);
		return;
	}
	if (!map_room(&r->in)) {
		(void)duk_range_error(dst, "bridge: identity map full");
		return;
	}
	/* distinct edges per kind of host object crossing, so the fuzzer sees a new kind; an
	 * intrinsic of a realm (the host's Function constructor, a prototype) is a kind of
	 * its own: a wrapped host intrinsic is where membranes break */
	if (intrinsic)
		st->crossed[4]++;
	else if (duk_is_ecmascript_function(src, idx))
		st->crossed[0]++;
	else if (duk_is_c_function(src, idx))
		st->crossed[1]++;
	else if (duk_is_error(src, idx))
		st->crossed[2]++;
	else if (duk_is_array(src, idx))
		st->crossed[3]++;
	void *shadow;
	void *p = push_proxy(dst, duk_is_callable(src, idx), r->hin, &shadow);
	dk_keep(r, dst, h);
	dk_keep(r, dst, p);
	dk_map_put(&r->in, h, p, IN_PROXY_OF);
	dk_map_put(&r->in, p, h, IN_TARGET_OF);
	dk_map_put(&r->in, shadow, h, IN_SHADOW_OF);
}

void dk_to_host(dk_state *st, int slot, duk_context *src, duk_idx_t idx, duk_context *dst)
{
	dk_realm *r = &st->slot[slot];
	idx = duk_normalize_index(src, idx);
	if (!duk_is_object(src, idx)) {
		copy_value(src, idx, dst);
		return;
	}
	void *o = duk_get_heapptr(src, idx), *v;
	if ((v = dk_map_get(&r->in, o, IN_TARGET_OF)) != NULL) {
		duk_push_heapptr(dst, v); /* a proxy of a host object: the host object itself */
		return;
	}
	if (dk_map_get(&r->out, o, OUT_TARGET_OF)) {
		copy_value(src, idx, dst); /* already a host-side object */
		return;
	}
	if ((v = dk_map_get(&r->out, o, OUT_PROXY_OF)) != NULL) {
		duk_push_heapptr(dst, v);
		return;
	}
	if (!map_room(&r->out)) {
		(void)duk_range_error(dst, "bridge: identity map full");
		return;
	}
	void *shadow;
	void *w = push_proxy(dst, duk_is_callable(src, idx), r->hout, &shadow);
	dk_keep(r, dst, o);
	dk_keep(r, dst, w);
	dk_map_put(&r->out, o, w, OUT_PROXY_OF);
	dk_map_put(&r->out, w, o, OUT_TARGET_OF);
	dk_map_put(&r->out, shadow, o, OUT_SHADOW_OF);
}

/* ---- traps ---- */

typedef struct xop {
	dk_state *st;
	int slot, op;
	duk_context *src; /* the trap's thread; its arguments are the operands */
	void *obj;        /* the object the proxy stands for */
} xop;

static void key_text(duk_context *c, duk_idx_t idx, char *buf, size_t len)
{
	if (duk_is_string(c, idx))
		snprintf(buf, len, "\"%.32s\"", duk_get_string(c, idx));
	else
		snprintf(buf, len, "(%s)", duk_is_symbol(c, idx) ? "symbol" : "key");
}

/* side_op and push_operand are inlined into each caller, where to_host is a constant:
 * each side then has its own coverage edges per operation (one shared copy would show the
 * fuzzer a host-side set and a realm-side set as the same edge). */
#define DK_PER_CALLER static inline __attribute__((always_inline))

/* Pushes onto dst operand src[idx] of the trap, converted to the host (to_host) or to
 * the realm (a realm's own objects unwrapped, host objects wrapped). */
DK_PER_CALLER void push_operand(xop *x, duk_idx_t idx, duk_context *dst, int to_host)
{
	if (to_host)
		dk_to_host(x->st, x->slot, x->src, idx, dst);
	else
		dk_to_realm(x->st, x->slot, x->src, idx, dst, 0);
}

/* Pushes the converted elements of the argument array at src[idx]; returns their count. */
static duk_idx_t push_args(xop *x, duk_idx_t idx, duk_context *dst, int to_host)
{
	duk_size_t n = duk_is_object(x->src, idx) ? duk_get_length(x->src, idx) : 0;
	if (n > DK_MAX_ARGS)
		n = DK_MAX_ARGS;
	for (duk_size_t i = 0; i < n; i++) {
		duk_get_prop_index(x->src, idx, (duk_uarridx_t)i);
		push_operand(x, -1, dst, to_host);
		duk_pop(x->src);
	}
	return (duk_idx_t)n;
}

/* [s key] on t: the value of key as the realm sees it, getters called with a receiver
 * converted to the realm (or, without that defence, the host-side receiver as is). Only
 * own properties of descriptors count, so a polluted Object.prototype cannot fake one. */
static duk_ret_t realm_get(xop *x, duk_context *t)
{
	duk_dup(t, -2);
	for (int depth = 0; depth < 64 && duk_is_object(t, -1); depth++) {
		duk_dup(t, -2);
		duk_get_prop_desc(t, -2, 0);
		if (!duk_is_object(t, -1)) {
			duk_pop(t);
			duk_get_prototype(t, -1);
			duk_remove(t, -2);
			continue;
		}
		void *desc = duk_get_heapptr(t, -1);
		if (!dke_own(t, desc, "get", NULL, NULL, NULL) && !dke_own(t, desc, "set", NULL, NULL, NULL)) {
			duk_get_prop_string(t, -1, "value");
			return 1;
		}
		duk_get_prop_string(t, -1, "get");
		if (!duk_is_callable(t, -1)) {
			duk_push_undefined(t);
			return 1;
		}
		if (x->st->def & DEF_CONVERT_RECEIVER) {
			dk_to_realm(x->st, x->slot, x->src, 2, t, 0);
		} else {
			copy_value(x->src, 2, t);
			DK_NOTE(x->st, "bridge: getter of a realm#%d object called with the host-side receiver",
				x->st->slot[x->slot].id);
		}
		duk_call_method(t, 0);
		return 1;
	}
	duk_push_undefined(t);
	return 1;
}

/* Runs operation x->op on object x->obj on thread t, of the host (to_host) or of a realm,
 * with the trap's operands converted to t's side; leaves the result on t. A realm's getters
 * run through realm_get, so they see a receiver of their own realm. */
DK_PER_CALLER duk_ret_t side_op(xop *x, duk_context *t, int to_host)
{
	duk_push_heapptr(t, x->obj);
	switch (x->op) {
	case T_GET:
		push_operand(x, 1, t, to_host);
		if (!to_host)
			return realm_get(x, t);
		duk_get_prop(t, -2);
		return 1;
	case T_SET:
		push_operand(x, 1, t, to_host);
		push_operand(x, 2, t, to_host);
		duk_put_prop(t, -3);
		duk_push_true(t);
		return 1;
	case T_HAS:
		push_operand(x, 1, t, to_host);
		duk_push_boolean(t, duk_has_prop(t, -2));
		return 1;
	case T_DEL:
		push_operand(x, 1, t, to_host);
		duk_push_boolean(t, duk_del_prop(t, -2));
		return 1;
	case T_APPLY: {
		push_operand(x, 1, t, to_host);
		duk_idx_t n = push_args(x, 2, t, to_host);
		duk_call_method(t, n);
		return 1;
	}
	default: {
		duk_idx_t n = push_args(x, 1, t, to_host);
		duk_new(t, n);
		return 1;
	}
	}
}

/* Runs on a host thread: the operation a realm asked of host object x->obj. */
static duk_ret_t in_host_side(duk_context *th, void *ud)
{
	return side_op(ud, th, 1);
}

/* A realm's proxy of a host object was used: do it on a host thread, convert back. */
static duk_ret_t in_trap(duk_context *c, int op)
{
	dk_state *st = dk_state_of(c);
	int slot = duk_get_current_magic(c) >> 1;
	dk_realm *r = &st->slot[slot], *host = &st->slot[DK_HOST];
	void *h = dk_map_get(&r->in, duk_get_heapptr(c, 0), IN_SHADOW_OF);
	char key[48] = "", what[96];
	if (!h)
		return duk_type_error(c, "bridge: not a live proxy");
	if (op <= T_DEL)
		key_text(c, 1, key, sizeof(key));
	if ((op == T_SET || op == T_DEL) && dk_is_host_intrinsic(st, h)) {
		int owner, b;
		const char *name = dk_intrinsic_owner(st, h, &owner, &b) ? dk_bidx_name(b) : "builtin object";
		if (st->def & DEF_PROTECT_INTRINSICS) {
			DK_NOTE(st, "bridge: realm#%d %s %s on host %s refused (host intrinsic)", r->id,
				trap_verb[op], key, name);
			return duk_type_error(c, "bridge: host intrinsics are read-only");
		}
		dk_record(st, ESC_INTEGRITY_VIOLATION, slot, 0, 0, "%s %s on host %s", trap_verb[op], key, name);
	}
	if (host->busy >= DK_DEPTH || st->ncross >= DK_MAX_CROSS)
		return duk_range_error(c, "bridge: re-entry too deep");
	duk_context *th = host->thr[host->busy];
	xop x = { st, slot, op, c, h };
	st->host_ran = 1;
	st->cross[st->ncross++] = slot;
	host->busy++;
	duk_int_t rc = duk_safe_call(th, in_host_side, &x, 0, 1);
	host->busy--;
	st->ncross--;
	if (rc == DUK_EXEC_SUCCESS) {
		int raw = (op == T_APPLY || op == T_NEW) && !(st->def & DEF_WRAP_RESULTS);
		dk_to_realm(st, slot, th, -1, c, raw);
		duk_pop(th);
		if (esc_tracing(st->ctx)) {
			dk_describe(st, c, -1, what, sizeof(what));
			esc_note(st->ctx, "bridge: realm#%d %s%s%s on host %s -> %s%s", r->id, trap_verb[op],
				 *key ? " " : "", key, dk_host_name(st, c, h), what,
				 raw ? " (result NOT wrapped)" : "");
		}
		return 1;
	}
	int raw = !(st->def & DEF_CONVERT_EXCEPTIONS);
	dk_to_realm(st, slot, th, -1, c, raw);
	duk_pop(th);
	if (esc_tracing(st->ctx)) {
		dk_describe(st, c, -1, what, sizeof(what));
		esc_note(st->ctx, "bridge: realm#%d %s%s%s on host %s threw %s%s", r->id, trap_verb[op],
			 *key ? " " : "", key, dk_host_name(st, c, h), what,
			 raw ? " (exception NOT converted)" : "");
	}
	return duk_throw(c);
}

/* Runs on a realm thread: the operation host code asked of realm object x->obj. */
static duk_ret_t out_realm_side(duk_context *t, void *ud)
{
	return side_op(ud, t, 0);
}

/* Host code used the host-side proxy at c[0] of a realm object: runs fn with *x (operation
 * op on that object) on a free thread of its realm, *t, where fn leaves its result or its
 * error. Throws on c when c[0] is not a live proxy or the realm is re-entered too deeply.
 * Returns duk_safe_call's code. */
DK_PER_CALLER duk_int_t on_realm_thread(duk_context *c, int op, duk_safe_call_function fn, xop *x,
					duk_context **t)
{
	dk_state *st = dk_state_of(c);
	int slot = duk_get_current_magic(c) >> 1;
	dk_realm *r = &st->slot[slot];
	void *s = dk_map_get(&r->out, duk_get_heapptr(c, 0), OUT_SHADOW_OF);
	if (!s)
		(void)duk_type_error(c, "bridge: not a live proxy");
	if (r->busy >= DK_DEPTH)
		(void)duk_range_error(c, "bridge: re-entry too deep");
	*t = r->thr[r->busy];
	*x = (xop){ st, slot, op, c, s };
	r->busy++;
	duk_int_t rc = duk_safe_call(*t, fn, x, 0, 1);
	r->busy--;
	return rc;
}

/* The host-side proxy of a realm object was used: do it on a realm thread. */
static duk_ret_t out_trap(duk_context *c, int op)
{
	xop x;
	duk_context *t;
	duk_int_t rc = on_realm_thread(c, op, out_realm_side, &x, &t);
	dk_to_host(x.st, x.slot, t, -1, c);
	duk_pop(t);
	if (rc == DUK_EXEC_SUCCESS)
		return 1;
	return duk_throw(c);
}

/* Runs on a realm thread: the own string keys of realm object x->obj, as a realm array. */
static duk_ret_t keys_realm_side(duk_context *t, void *ud)
{
	xop *x = ud;
	duk_push_heapptr(t, x->obj);
	duk_enum(t, -1, DUK_ENUM_OWN_PROPERTIES_ONLY | DUK_ENUM_INCLUDE_NONENUMERABLE);
	duk_push_array(t);
	for (duk_uarridx_t n = 0; n < DK_MAX_ARGS && duk_next(t, -2, 0); n++)
		duk_put_prop_index(t, -2, n);
	return 1;
}

/* Host code enumerates the host-side proxy of a realm object (ownKeys): its own keys,
 * strings copied into a host array. */
static duk_ret_t out_ownkeys(duk_context *c)
{
	xop x;
	duk_context *t;
	if (on_realm_thread(c, T_GET, keys_realm_side, &x, &t) != DUK_EXEC_SUCCESS) {
		dk_to_host(x.st, x.slot, t, -1, c);
		duk_pop(t);
		return duk_throw(c);
	}
	duk_push_array(c);
	duk_size_t n = duk_get_length(t, -1);
	for (duk_size_t i = 0; i < n; i++) {
		duk_get_prop_index(t, -1, (duk_uarridx_t)i);
		duk_xmove_top(c, t, 1); /* a key: a string, nothing to wrap */
		duk_put_prop_index(c, -2, (duk_uarridx_t)i);
	}
	duk_pop(t);
	return 1;
}

#define TRAP_PAIR(name, op)                                                        \
	static duk_ret_t in_##name(duk_context *c) { return in_trap(c, op); }     \
	static duk_ret_t out_##name(duk_context *c) { return out_trap(c, op); }
TRAP_PAIR(get, T_GET)
TRAP_PAIR(set, T_SET)
TRAP_PAIR(has, T_HAS)
TRAP_PAIR(del, T_DEL)
TRAP_PAIR(apply, T_APPLY)
TRAP_PAIR(construct, T_NEW)

void dk_push_handler(duk_context *c, int slot, int dir)
{
	static const struct {
		const char *name;
		duk_c_function in, out;
	} traps[] = {
		{ "get", in_get, out_get }, { "set", in_set, out_set }, { "has", in_has, out_has },
		{ "deleteProperty", in_del, out_del }, { "apply", in_apply, out_apply },
		{ "construct", in_construct, out_construct },
	};
	duk_push_bare_object(c); /* no prototype: nothing polluted can become a trap */
	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++) {
		duk_push_c_function(c, dir ? traps[i].out : traps[i].in, DUK_VARARGS);
		duk_set_magic(c, -1, slot * 2 + dir);
		duk_put_prop_string(c, -2, traps[i].name);
	}
	if (dir) { /* host code may enumerate realm objects; realms see host objects' keys not */
		duk_push_c_function(c, out_ownkeys, DUK_VARARGS);
		duk_set_magic(c, -1, slot * 2 + dir);
		duk_put_prop_string(c, -2, "ownKeys");
	}
}

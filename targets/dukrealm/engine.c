/* Compiles Duktape's single-file source (/usr/share/duktape/duktape.c from duktape-dev) into
 * the dukrealm target with the project's sanitizer and coverage flags, after two config
 * changes (see engine.h), and implements the read-only internal helpers of engine.h.
 * This file is built with warnings off: almost all of it is Duktape's code, not ours.
 */
#define DUK_COMPILING_DUKTAPE
#include "duk_config.h" /* Debian's config first; its include guard keeps it from re-running */

#define DUK_USE_INTERRUPT_COUNTER
#undef DUK_USE_EXEC_TIMEOUT_CHECK
#define DUK_USE_EXEC_TIMEOUT_CHECK(udata) dke_exec_timeout(udata)
#undef DUK_USE_NATIVE_CALL_RECLIMIT
#define DUK_USE_NATIVE_CALL_RECLIMIT 200

static int dke_exec_timeout(void *udata);

#include "duktape.c"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

#if DUK_NUM_BUILTINS != DKE_NBUILTINS || DUK_BIDX_FUNCTION_CONSTRUCTOR != DKE_BIDX_FUNCTION_CONSTRUCTOR
#error "engine.h's builtin indices do not match this Duktape"
#endif

static int dke_exec_timeout(void *udata)
{
	dke_budget *b = udata;
	if (!b || !b->limit)
		return 0;
	if (b->ticks >= b->limit)
		return 1; /* stays expired until the caller resets ticks */
	b->ticks++;
	return 0;
}

static duk_heap *heap_of(duk_context *ctx)
{
	return ((duk_hthread *) ctx)->heap;
}

DK_NOCOV void dke_builtins(duk_context *ctx, void **out)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	for (int i = 0; i < DUK_NUM_BUILTINS; i++)
		out[i] = thr->builtins[i];
}

DK_NOCOV void *dke_proto(void *obj)
{
	return obj ? DUK_HOBJECT_GET_PROTOTYPE(NULL, (duk_hobject *) obj) : NULL;
}

DK_NOCOV int dke_is_proxy(void *obj)
{
	return obj && DUK_HOBJECT_IS_PROXY((duk_hobject *) obj);
}

DK_NOCOV int dke_is_thread(void *obj)
{
	return obj && DUK_HOBJECT_IS_THREAD((duk_hobject *) obj);
}

DK_NOCOV const char *dke_class(duk_context *ctx, void *obj)
{
	duk_hstring *s = DUK_HOBJECT_GET_CLASS_STRING(heap_of(ctx), (duk_hobject *) obj);
	return s ? (const char *) DUK_HSTRING_GET_DATA(s) : "?";
}

DK_NOCOV static int visit_tval(duk_tval *tv, dke_visit fn, void *ud)
{
	if (DUK_TVAL_IS_OBJECT(tv))
		return fn(ud, DUK_TVAL_GET_OBJECT(tv));
	return 0;
}

DK_NOCOV static int visit_entry(duk_heap *heap, duk_hobject *h, duk_uint_fast32_t i, dke_visit fn, void *ud)
{
	if (DUK_HOBJECT_E_SLOT_IS_ACCESSOR(heap, h, i)) {
		duk_hobject *g = DUK_HOBJECT_E_GET_VALUE_GETTER(heap, h, i);
		duk_hobject *s = DUK_HOBJECT_E_GET_VALUE_SETTER(heap, h, i);
		int rc = g ? fn(ud, g) : 0;
		return rc ? rc : s ? fn(ud, s) : 0;
	}
	return visit_tval(DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(heap, h, i), fn, ud);
}

DK_NOCOV int dke_children(duk_context *ctx, void *obj, dke_visit fn, void *ud)
{
	duk_heap *heap = heap_of(ctx);
	duk_hobject *h = obj;
	int rc;
	for (duk_uint_fast32_t i = 0; i < DUK_HOBJECT_GET_ENEXT(h); i++) {
		if (!DUK_HOBJECT_E_GET_KEY(heap, h, i))
			continue;
		if ((rc = visit_entry(heap, h, i, fn, ud)) != 0)
			return rc;
	}
	for (duk_uint_fast32_t i = 0; i < DUK_HOBJECT_GET_ASIZE(h); i++)
		if ((rc = visit_tval(DUK_HOBJECT_A_GET_VALUE_PTR(heap, h, i), fn, ud)) != 0)
			return rc;
	return 0;
}

DK_NOCOV static int key_is(duk_hstring *k, const char *key, size_t klen)
{
	return k && DUK_HSTRING_GET_BYTELEN(k) == klen &&
	       memcmp(DUK_HSTRING_GET_DATA(k), key, klen) == 0;
}

DK_NOCOV int dke_own(duk_context *ctx, void *obj, const char *key, dke_visit fn, void *ud, int *is_data)
{
	duk_heap *heap = heap_of(ctx);
	duk_hobject *h = obj;
	size_t klen = strlen(key);
	for (duk_uint_fast32_t i = 0; i < DUK_HOBJECT_GET_ENEXT(h); i++) {
		if (!key_is(DUK_HOBJECT_E_GET_KEY(heap, h, i), key, klen))
			continue;
		if (is_data)
			*is_data = !DUK_HOBJECT_E_SLOT_IS_ACCESSOR(heap, h, i);
		if (fn)
			visit_entry(heap, h, i, fn, ud);
		return 1;
	}
	return 0;
}

DK_NOCOV int dke_data_string(duk_context *ctx, void *obj, const char *key, char *buf, size_t len)
{
	duk_heap *heap = heap_of(ctx);
	size_t klen = strlen(key);
	duk_hobject *h = obj;
	for (int depth = 0; h && depth < 16 && !DUK_HOBJECT_IS_PROXY(h); depth++) {
		for (duk_uint_fast32_t i = 0; i < DUK_HOBJECT_GET_ENEXT(h); i++) {
			if (!key_is(DUK_HOBJECT_E_GET_KEY(heap, h, i), key, klen))
				continue;
			if (DUK_HOBJECT_E_SLOT_IS_ACCESSOR(heap, h, i))
				return 0;
			duk_tval *tv = DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(heap, h, i);
			if (!DUK_TVAL_IS_STRING(tv))
				return 0;
			duk_hstring *s = DUK_TVAL_GET_STRING(tv);
			size_t n = DUK_HSTRING_GET_BYTELEN(s);
			if (len == 0)
				return 1;
			if (n >= len)
				n = len - 1;
			memcpy(buf, DUK_HSTRING_GET_DATA(s), n);
			buf[n] = 0;
			return 1;
		}
		h = DUK_HOBJECT_GET_PROTOTYPE(heap, h);
	}
	return 0;
}

/* ---- fingerprints ---- */

DK_NOCOV static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

DK_NOCOV static uint64_t mix_tval(uint64_t h, duk_tval *tv)
{
	duk_small_uint_t tag = DUK_TVAL_GET_TAG(tv);
	h = mix(h, tag);
	if (DUK_TVAL_IS_NUMBER(tv)) {
		duk_double_t d = DUK_TVAL_GET_NUMBER(tv);
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		return mix(h, bits);
	}
	if (DUK_TVAL_IS_BOOLEAN(tv))
		return mix(h, DUK_TVAL_GET_BOOLEAN(tv));
	if (DUK_TVAL_IS_HEAP_ALLOCATED(tv))
		return mix(h, (uint64_t) (uintptr_t) DUK_TVAL_GET_HEAPHDR(tv));
	if (DUK_TVAL_IS_POINTER(tv))
		return mix(h, (uint64_t) (uintptr_t) DUK_TVAL_GET_POINTER(tv));
	if (DUK_TVAL_IS_LIGHTFUNC(tv)) {
		duk_c_function f = DUK_TVAL_GET_LIGHTFUNC_FUNCPTR(tv);
		uint64_t bits = 0;
		memcpy(&bits, &f, sizeof(f) < sizeof(bits) ? sizeof(f) : sizeof(bits));
		return mix(mix(h, bits), DUK_TVAL_GET_LIGHTFUNC_FLAGS(tv));
	}
	return h; /* undefined, null, unused: the tag says it all */
}

DK_NOCOV uint64_t dke_hash_object(duk_context *ctx, void *obj)
{
	duk_heap *heap = heap_of(ctx);
	duk_hobject *h = obj;
	uint64_t x = 0xcbf29ce484222325ull;
	x = mix(x, DUK_HOBJECT_GET_CLASS_NUMBER(h));
	x = mix(x, DUK_HOBJECT_HAS_EXTENSIBLE(h) ? 1 : 0);
	x = mix(x, (uint64_t) (uintptr_t) DUK_HOBJECT_GET_PROTOTYPE(heap, h));
	for (duk_uint_fast32_t i = 0; i < DUK_HOBJECT_GET_ENEXT(h); i++) {
		duk_hstring *k = DUK_HOBJECT_E_GET_KEY(heap, h, i);
		if (!k)
			continue;
		x = mix(x, (uint64_t) (uintptr_t) k);
		x = mix(x, DUK_HOBJECT_E_GET_FLAGS(heap, h, i));
		if (DUK_HOBJECT_E_SLOT_IS_ACCESSOR(heap, h, i)) {
			x = mix(x, (uint64_t) (uintptr_t) DUK_HOBJECT_E_GET_VALUE_GETTER(heap, h, i));
			x = mix(x, (uint64_t) (uintptr_t) DUK_HOBJECT_E_GET_VALUE_SETTER(heap, h, i));
		} else {
			x = mix_tval(x, DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(heap, h, i));
		}
	}
	for (duk_uint_fast32_t i = 0; i < DUK_HOBJECT_GET_ASIZE(h); i++) {
		duk_tval *tv = DUK_HOBJECT_A_GET_VALUE_PTR(heap, h, i);
		if (DUK_TVAL_IS_UNUSED(tv))
			continue;
		x = mix(x, i);
		x = mix_tval(x, tv);
	}
	if (DUK_HOBJECT_HAS_EXOTIC_ARRAY(h)) {
		duk_harray *a = (duk_harray *) h;
		x = mix(mix(x, a->length), a->length_nonwritable);
	}
	return x;
}

/* Breadth-first walk over own-property references; visited objects are kept in an open
 * addressing set. Bounded: at most WALK_MAX objects. */
#define WALK_MAX 8192u
#define WALK_SET (WALK_MAX * 2u)

typedef struct walk {
	void **queue;
	unsigned char *depth;
	void **set;
	unsigned n;
} walk;

DK_NOCOV static int walk_add(void *ud, void *child);

typedef struct walk_child {
	walk *w;
	unsigned char d;
} walk_child;

DK_NOCOV static int walk_seen(walk *w, void *p)
{
	uintptr_t k = (uintptr_t) p;
	unsigned i = (unsigned) ((k >> 4) * 0x9e3779b1u) & (WALK_SET - 1);
	while (w->set[i]) {
		if (w->set[i] == p)
			return 1;
		i = (i + 1) & (WALK_SET - 1);
	}
	w->set[i] = p;
	return 0;
}

DK_NOCOV static void walk_push(walk *w, void *p, unsigned char d)
{
	if (!p || w->n >= WALK_MAX || walk_seen(w, p))
		return;
	w->queue[w->n] = p;
	w->depth[w->n] = d;
	w->n++;
}

static int walk_add(void *ud, void *child)
{
	walk_child *c = ud;
	walk_push(c->w, child, c->d);
	return 0;
}

DK_NOCOV int dke_walk(duk_context *ctx, void *const *roots, unsigned nroots, unsigned depth, dke_visit fn,
	     void *ud)
{
	walk w;
	w.queue = malloc(WALK_MAX * sizeof(void *));
	w.depth = malloc(WALK_MAX);
	w.set = calloc(WALK_SET, sizeof(void *));
	w.n = 0;
	int rc = 0;
	if (!w.queue || !w.depth || !w.set) {
		rc = -1;
		goto out;
	}
	for (unsigned i = 0; i < nroots; i++)
		walk_push(&w, roots[i], 0);
	for (unsigned i = 0; i < w.n; i++) {
		void *o = w.queue[i];
		if ((rc = fn(ud, o)) != 0)
			break;
		if (w.depth[i] < depth && !DUK_HOBJECT_IS_PROXY((duk_hobject *) o) &&
		    !DUK_HOBJECT_IS_THREAD((duk_hobject *) o)) {
			walk_child c = { &w, (unsigned char) (w.depth[i] + 1) };
			dke_children(ctx, o, walk_add, &c);
		}
	}
out:
	free(w.queue);
	free(w.depth);
	free(w.set);
	return rc;
}

DK_NOCOV uint64_t dke_hash_list(duk_context *ctx, void *const *objs, size_t n)
{
	uint64_t x = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		x = mix(x, dke_hash_object(ctx, objs[i]));
	return x;
}

DK_NOCOV void dke_census(duk_context *ctx, size_t *objects, size_t *threads)
{
	duk_heap *heap = heap_of(ctx);
	size_t n = 0, t = 0;
	for (duk_heaphdr *h = heap->heap_allocated; h; h = DUK_HEAPHDR_GET_NEXT(heap, h)) {
		n++;
		if (DUK_HEAPHDR_GET_TYPE(h) == DUK_HTYPE_OBJECT && DUK_HOBJECT_IS_THREAD((duk_hobject *) h))
			t++;
	}
	*objects = n;
	*threads = t;
}

/* dukrealm realms: the Duktape heap (one per runner, reused across runs), the pool of realm
 * threads (the host realm and sandbox realms), opening a realm for a run, per-run teardown
 * with the fingerprint that decides whether a realm may be recycled, value descriptions
 * for traces, and the test hooks. See dk.h for the invariants.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

#define DK_ALLOC_MAX (16u << 20) /* larger single allocations fail: a RangeError in JS */
#define DK_FP_DEPTH 3            /* depth of the intrinsic graph a fingerprint covers */
#define DK_HOSTSET_DEPTH 2       /* depth of the protected host intrinsic set */
#define DK_BUDGET 24             /* executor interrupts per op (~6M instructions) */

enum { REC_HIN = DK_DEPTH, REC_HOUT, REC_KEEP, REC_GRAPH }; /* stash record after the threads */

#define DK_BALLAST 262144u      /* blocks held in all (heap + own + ballast) between runs */

/* The heap's allocator: malloc with a size cap, counting the blocks the heap holds. The
 * udata is the state (its first member is the budget the engine also reads). */
static void *dk_alloc(void *ud, duk_size_t n)
{
	dk_state *st = ud;
	void *p = n > DK_ALLOC_MAX ? NULL : malloc(n);
	if (p)
		st->duk_blocks++;
	return p;
}

static void dk_free(void *ud, void *p)
{
	dk_state *st = ud;
	if (p) {
		st->duk_blocks--;
		free(p);
	}
}

static void *dk_realloc(void *ud, void *p, duk_size_t n)
{
	if (!p)
		return dk_alloc(ud, n);
	if (n == 0) {
		dk_free(ud, p);
		return NULL;
	}
	return n > DK_ALLOC_MAX ? NULL : realloc(p, n);
}

DK_NOCOV void dk_balance(dk_state *st)
{
	if (!st->ballast) {
		st->ballast = malloc(DK_BALLAST * sizeof(void *));
		if (!st->ballast)
			return;
		st->own_blocks++;
	}
	size_t held = st->duk_blocks + st->own_blocks;
	size_t want = held < DK_BALLAST ? DK_BALLAST - held : 0;
	while (st->nballast < want) {
		void *b = malloc(1);
		if (!b)
			break;
		st->ballast[st->nballast++] = b;
	}
	while (st->nballast > want)
		free(st->ballast[--st->nballast]);
}

static void dk_fatal(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "dukrealm: Duktape fatal error: %s\n", msg ? msg : "(no message)");
	fflush(stderr);
	abort();
}

dk_state *dk_state_of(duk_context *ctx)
{
	duk_memory_functions f;
	duk_get_memory_functions(ctx, &f);
	return f.udata;
}

static const char *const bidx_names[DKE_NBUILTINS] = {
	"global object", "global environment", "Object", "Object.prototype", "Function",
	"Function.prototype", "native Function.prototype", "Array", "Array.prototype", "String",
	"String.prototype", "Boolean", "Boolean.prototype", "Number", "Number.prototype", "Date",
	"Date.prototype", "RegExp", "RegExp.prototype", "Error", "Error.prototype", "EvalError",
	"EvalError.prototype", "RangeError", "RangeError.prototype", "ReferenceError",
	"ReferenceError.prototype", "SyntaxError", "SyntaxError.prototype", "TypeError",
	"TypeError.prototype", "URIError", "URIError.prototype", "TypeError thrower", "Duktape",
	"Thread.prototype", "Pointer.prototype", "double error", "Symbol.prototype",
	"ArrayBuffer.prototype", "DataView.prototype", "Int8Array.prototype",
	"Uint8Array.prototype", "Uint8ClampedArray.prototype", "Int16Array.prototype",
	"Uint16Array.prototype", "Int32Array.prototype", "Uint32Array.prototype",
	"Float32Array.prototype", "Float64Array.prototype", "Buffer.prototype",
};

const char *dk_bidx_name(int bidx)
{
	return bidx >= 0 && bidx < DKE_NBUILTINS ? bidx_names[bidx] : "?";
}

void dk_caps_str(unsigned caps, char *buf, size_t len)
{
	snprintf(buf, len, "{%s%s%s}", caps & DK_CAP_EXEC ? "exec" : "",
		 (caps & DK_CAP_EXEC) && (caps & DK_CAP_WRITE) ? ", " : "",
		 caps & DK_CAP_WRITE ? "write" : "");
}

void dk_chain(const dk_state *st, int slot, char *buf, size_t len)
{
	int path[DK_MAX_REALMS];
	unsigned n = 0;
	for (int s = slot; s >= 0 && s < DK_MAX_REALMS && n < DK_MAX_REALMS; s = st->slot[s].parent)
		path[n++] = s;
	size_t used = (size_t)snprintf(buf, len, "host");
	while (n-- > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, " > realm#%d", st->slot[path[n]].id);
}

void dk_record(dk_state *st, esc_verdict_kind kind, int slot, unsigned expected, unsigned actual,
	       const char *fmt, ...)
{
	if (st->ev.kind != ESC_CONTAINED)
		return; /* the first divergence of the op is the one reported */
	st->ev.kind = kind;
	st->ev.slot = slot;
	st->ev.expected = expected;
	st->ev.actual = actual;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->ev.what, sizeof(st->ev.what), fmt, ap);
	va_end(ap);
}

/* ---- threads and principals ---- */

DK_NOCOV int dk_slot_of_thread(const dk_state *st, duk_context *ctx)
{
	for (int s = 0; s < DK_NSLOTS; s++) {
		if (!st->slot[s].live)
			continue;
		for (int d = 0; d < DK_DEPTH; d++)
			if (st->slot[s].thr[d] == ctx)
				return s;
	}
	return -1;
}

DK_NOCOV int dk_principal(const dk_state *st, duk_context *ctx)
{
	int s = dk_slot_of_thread(st, ctx);
	if (s >= 0 && s != DK_HOST)
		return s;
	return st->ncross ? st->cross[st->ncross - 1] : DK_HOST;
}

duk_context *dk_host_ctx(dk_state *st)
{
	dk_realm *h = &st->slot[DK_HOST];
	return h->busy < DK_DEPTH ? h->thr[h->busy] : NULL;
}

/* ---- intrinsics ---- */

DK_NOCOV int dk_intrinsic_owner(const dk_state *st, void *obj, int *slot, int *bidx)
{
	void *v = dk_map_get(&st->owner, obj, ROLE_OWNER);
	if (!v)
		return 0;
	uintptr_t code = (uintptr_t)v;
	*slot = (int)(code >> 8) - 1;
	*bidx = (int)(code & 0xff);
	return 1;
}

DK_NOCOV int dk_object_owner(const dk_state *st, void *obj)
{
	int slot, bidx;
	for (int depth = 0; obj && depth < 64; depth++, obj = dke_proto(obj))
		if (dk_intrinsic_owner(st, obj, &slot, &bidx))
			return slot;
	return -1;
}

DK_NOCOV int dk_is_host_intrinsic(const dk_state *st, void *obj)
{
	return dk_map_get(&st->hostset, obj, ROLE_MEMBER) != NULL;
}

DK_NOCOV static void owner_rebuild(dk_state *st)
{
	dk_map_clear(&st->owner);
	for (int s = 0; s < DK_NSLOTS; s++) {
		if (!st->slot[s].live)
			continue;
		for (int b = 0; b < DKE_NBUILTINS; b++)
			if (st->slot[s].bidx[b])
				dk_map_put(&st->owner, st->slot[s].bidx[b],
					   (void *)(uintptr_t)((unsigned)(s + 1) << 8 | (unsigned)b), ROLE_OWNER);
	}
}

DK_NOCOV static int hostset_add(void *ud, void *obj)
{
	dk_map_put(ud, obj, obj, ROLE_MEMBER);
	return 0;
}

typedef struct graph {
	void **v;
	size_t n, cap;
} graph;

DK_NOCOV static int graph_add(void *ud, void *obj)
{
	graph *g = ud;
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 1024;
		void **v = realloc(g->v, cap * sizeof(*v));
		if (!v)
			return -1;
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n++] = obj;
	return 0;
}

DK_NOCOV static uint64_t realm_fingerprint(dk_state *st, const dk_realm *r)
{
	return dke_hash_list(st->heap, r->graph, r->ngraph);
}

/* ---- the pool ---- */

/* [... rec] -> [...] : stores slot s's record in stash.dk. */
static void put_record(duk_context *c, int s)
{
	duk_push_heap_stash(c);
	duk_get_prop_string(c, -1, "dk");
	duk_dup(c, -3);
	duk_put_prop_index(c, -2, (duk_uarridx_t)s);
	duk_pop_3(c);
}

/* Pushes slot s's record (undefined if none). */
static void get_record(duk_context *c, int s)
{
	duk_push_heap_stash(c);
	duk_get_prop_string(c, -1, "dk");
	duk_get_prop_index(c, -1, (duk_uarridx_t)s);
	duk_remove(c, -2);
	duk_remove(c, -2);
}

/* Creates slot s's threads (and handlers, or for the host its canaries) with c as scratch.
 * May throw on c. */
static void slot_create(dk_state *st, int s, duk_context *c)
{
	dk_realm *r = &st->slot[s];
	memset(r, 0, sizeof(*r));
	r->parent = -1;
	duk_push_array(c);
	duk_push_thread_new_globalenv(c);
	r->thr[0] = duk_get_context(c, -1);
	duk_put_prop_index(c, -2, 0);
	for (int d = 1; d < DK_DEPTH; d++) {
		duk_push_thread(r->thr[0]); /* shares thr[0]'s intrinsics and globals */
		duk_xmove_top(c, r->thr[0], 1);
		r->thr[d] = duk_get_context(c, -1);
		duk_put_prop_index(c, -2, (duk_uarridx_t)d);
	}
	if (s == DK_HOST) {
		duk_push_c_function(r->thr[0], dk_canary_exec, 1);
		st->host_exec = duk_get_heapptr(r->thr[0], -1);
		duk_put_global_string(r->thr[0], "exec");
		duk_push_c_function(r->thr[0], dk_canary_write, 2);
		st->host_write = duk_get_heapptr(r->thr[0], -1);
		duk_put_global_string(r->thr[0], "writeFile");
	} else {
		dk_push_handler(c, s, 0);
		r->hin = duk_get_heapptr(c, -1);
		duk_put_prop_index(c, -2, REC_HIN);
		dk_push_handler(c, s, 1);
		r->hout = duk_get_heapptr(c, -1);
		duk_put_prop_index(c, -2, REC_HOUT);
	}
	dke_builtins(r->thr[0], r->bidx);
	/* the intrinsic graph whose fingerprint decides whether the realm can be recycled;
	 * the record keeps its objects alive, so a detached one is never hashed after free */
	graph g = { NULL, 0, 0 };
	if (dke_walk(st->heap, r->bidx, DKE_NBUILTINS, DK_FP_DEPTH, graph_add, &g)) {
		free(g.v);
		(void)duk_error(c, DUK_ERR_RANGE_ERROR, "dukrealm: out of memory");
		return;
	}
	duk_push_array(c);
	for (size_t i = 0; i < g.n; i++) {
		duk_push_heapptr(c, g.v[i]);
		duk_put_prop_index(c, -2, (duk_uarridx_t)i);
	}
	duk_put_prop_index(c, -2, REC_GRAPH);
	put_record(c, s);
	r->graph = g.v;
	r->ngraph = g.n;
	st->own_blocks += g.v != NULL;
	r->baseline = realm_fingerprint(st, r);
	r->live = 1;
	if (s == DK_HOST) {
		dk_map_clear(&st->hostset);
		dke_walk(st->heap, r->bidx, DKE_NBUILTINS, DK_HOSTSET_DEPTH, hostset_add, &st->hostset);
		for (int b = 0; b < DKE_NBUILTINS; b++)
			st->host_tables[b] = r->bidx[b] ? dke_hash_object(st->heap, r->bidx[b]) : 0;
	}
	owner_rebuild(st);
}

static void slot_destroy(dk_state *st, int s)
{
	duk_push_undefined(st->heap);
	put_record(st->heap, s);
	st->own_blocks -= st->slot[s].graph != NULL;
	free(st->slot[s].graph);
	memset(&st->slot[s], 0, sizeof(st->slot[s]));
	st->slot[s].parent = -1;
	owner_rebuild(st);
}

void dk_keep(dk_realm *r, duk_context *c, void *ptr)
{
	duk_push_heapptr(c, r->keep);
	duk_push_heapptr(c, ptr);
	duk_put_prop_index(c, -2, r->nkeep++);
	duk_pop(c);
}

/* Gives r a fresh keep array (pushes and pops on c). */
static void new_keep(dk_realm *r, int s, duk_context *c)
{
	get_record(c, s);
	duk_push_array(c);
	r->keep = duk_get_heapptr(c, -1);
	r->nkeep = 0;
	duk_put_prop_index(c, -2, REC_KEEP);
	duk_pop(c);
}

int dk_realm_open(dk_state *st, duk_context *scratch, int parent, unsigned grants,
		  unsigned reference, unsigned requested, const char **why)
{
	int s = -1;
	if (st->nrun >= DK_MAX_REALMS) {
		*why = "too many realms";
		return -1;
	}
	for (int k = 0; k < DK_MAX_REALMS && s < 0; k++)
		if (!st->slot[k].used && st->slot[k].live)
			s = k;
	for (int k = 0; k < DK_MAX_REALMS && s < 0; k++)
		if (!st->slot[k].used)
			s = k;
	if (s < 0) {
		*why = "no free realm slot";
		return -1;
	}
	dk_realm *r = &st->slot[s];
	if (!r->live)
		slot_create(st, s, scratch);
	r->used = 1;
	r->id = (int)++st->nrun;
	st->order[r->id - 1] = s;
	r->parent = parent;
	r->grants = grants;
	r->reference = reference;
	r->requested = requested;
	r->busy = 0;
	new_keep(r, s, scratch);
	if (!st->slot[DK_HOST].keep)
		new_keep(&st->slot[DK_HOST], DK_HOST, scratch);

	/* the realm's globals: the bridged API, and the privileged functions it was granted */
	duk_context *hc = dk_slot_of_thread(st, scratch) == DK_HOST ? scratch : dk_host_ctx(st);
	if (!hc) {
		*why = "bridge re-entry too deep";
		return -1;
	}
	duk_context *t = r->thr[0];
	dk_push_api(hc);
	dk_to_realm(st, s, hc, -1, t, 0);
	duk_put_global_string(t, "host");
	duk_pop(hc);
	if (grants & DK_CAP_EXEC) {
		duk_push_heapptr(hc, st->host_exec);
		dk_to_realm(st, s, hc, -1, t, 0);
		duk_put_global_string(t, "exec");
		duk_pop(hc);
	}
	if (grants & DK_CAP_WRITE) {
		duk_push_heapptr(hc, st->host_write);
		dk_to_realm(st, s, hc, -1, t, 0);
		duk_put_global_string(t, "writeFile");
		duk_pop(hc);
	}
	return s;
}

/* ---- teardown and reset ---- */

typedef struct del_job {
	dk_state *st;
	int slot;
} del_job;

static duk_ret_t del_globals(duk_context *c, void *ud)
{
	del_job *j = ud;
	dk_realm *r = &j->st->slot[j->slot];
	char name[16];
	duk_push_heapptr(c, r->bidx[DKE_BIDX_GLOBAL]);
	for (unsigned k = 0; k < j->st->nvars; k++) {
		if (j->st->vars[k].slot != j->slot)
			continue;
		snprintf(name, sizeof(name), "v%u", k);
		duk_del_prop_string(c, -1, name);
	}
	duk_del_prop_string(c, -1, "host");
	duk_del_prop_string(c, -1, "exec");
	duk_del_prop_string(c, -1, "writeFile");
	return 0;
}

/* Ends slot s's part in the run; keeps its threads only if its intrinsics are exactly
 * those of a fresh realm. Returns 1 when the slot was destroyed. */
static int slot_teardown(dk_state *st, int s)
{
	dk_realm *r = &st->slot[s];
	if (!r->live)
		return 0;
	if (s != DK_HOST && r->used) {
		del_job j = { st, s };
		duk_safe_call(st->heap, del_globals, &j, 0, 1);
		duk_pop(st->heap);
	}
	if (r->keep) {
		get_record(st->heap, s);
		duk_push_undefined(st->heap);
		duk_put_prop_index(st->heap, -2, REC_KEEP);
		duk_pop(st->heap);
	}
	r->keep = NULL;
	r->nkeep = 0;
	r->busy = 0;
	r->used = 0;
	r->id = 0;
	r->parent = -1;
	dk_map_clear(&r->in);
	dk_map_clear(&r->out);
	for (int d = 0; d < DK_DEPTH; d++)
		duk_set_top(r->thr[d], 0);
	if ((st->no_pool && s != DK_HOST) || realm_fingerprint(st, r) != r->baseline) {
		slot_destroy(st, s);
		return 1;
	}
	return 0;
}

typedef struct create_job {
	dk_state *st;
	int slot;
} create_job;

static duk_ret_t create_safe(duk_context *c, void *ud)
{
	create_job *j = ud;
	duk_push_heap_stash(c);
	if (!duk_has_prop_string(c, -1, "dk")) {
		duk_push_array(c);
		duk_put_prop_string(c, -2, "dk");
	}
	duk_pop(c);
	slot_create(j->st, j->slot, c);
	return 0;
}

int dk_reset(dk_state *st, unsigned profile)
{
	static const unsigned off[DUKREALM_NPROFILES] = {
		[DUKREALM_HARDENED] = 0,
		[DUKREALM_RAW_HOST_OBJECT] = DEF_WRAP_RESULTS,
		[DUKREALM_UNWRAPPED_EXCEPTION] = DEF_CONVERT_EXCEPTIONS,
		[DUKREALM_GETTER_RAW_RECEIVER] = DEF_CONVERT_RECEIVER,
		[DUKREALM_NESTED_UNBOUNDED] = DEF_BOUND_NESTING,
		[DUKREALM_HOST_PROTO_WRITE] = DEF_PROTECT_INTRINSICS,
		[DUKREALM_HOST_FUNCTION_CTOR] = DEF_MAP_FUNCTION_CTOR,
	};
	if (!st->heap) {
		const char *np = getenv("DUKREALM_NO_POOL");
		st->no_pool = np && *np && strcmp(np, "0") != 0;
		for (int s = 0; s < DK_NSLOTS; s++)
			st->slot[s].parent = -1;
		st->heap = duk_create_heap(dk_alloc, dk_realloc, dk_free, &st->budget, dk_fatal);
		if (!st->heap)
			return ESC_E_NOMEM;
	}
	int changed = 0, ran = st->nrun > 0 || st->slot[DK_HOST].keep;
	for (int s = 0; s < DK_NSLOTS; s++)
		if (st->slot[s].used || (s == DK_HOST && ran))
			changed |= slot_teardown(st, s);
	if (!st->slot[DK_HOST].live) {
		create_job j = { st, DK_HOST };
		duk_int_t rc = duk_safe_call(st->heap, create_safe, &j, 0, 1);
		duk_pop(st->heap);
		if (rc != DUK_EXEC_SUCCESS)
			return ESC_E_NOMEM;
		changed = 1;
	}
	/* Refcounting frees the run's acyclic garbage as keep arrays drop; a full collection
	 * (twice: the second pass frees what the first one's finalization rescued) runs when
	 * realms were destroyed or made, and Duktape's voluntary collection takes the cycles.
	 * No finalizer is reachable from sandbox code, so collection timing never shows. */
	if (changed) {
		duk_gc(st->heap, 0);
		duk_gc(st->heap, 0);
	}
	st->profile = profile;
	st->def = DEF_ALL & ~(profile < DUKREALM_NPROFILES ? off[profile] : 0);
	st->nrun = 0;
	st->nvars = 0;
	st->ncross = 0;
	st->created = -1;
	st->op_slot = -1;
	st->host_ran = 0;
	st->ctx = NULL;
	memset(&st->ev, 0, sizeof(st->ev));
	st->budget.ticks = 0;
	st->budget.limit = DK_BUDGET;
	dk_balance(st);
	return 0;
}

void dk_release(dk_state *st)
{
	if (!st)
		return;
	for (int s = 0; s < DK_NSLOTS; s++) {
		free(st->slot[s].graph);
		st->slot[s].graph = NULL;
	}
	if (st->heap) {
		duk_destroy_heap(st->heap);
		st->heap = NULL;
	}
	while (st->nballast)
		free(st->ballast[--st->nballast]);
	free(st->ballast);
	st->ballast = NULL;
}

/* ---- descriptions for traces (never run JavaScript) ---- */

const char *dk_host_name(const dk_state *st, duk_context *ctx, void *h)
{
	static char buf[64];
	int owner, b;
	if (dk_intrinsic_owner(st, h, &owner, &b) && owner == DK_HOST) {
		snprintf(buf, sizeof(buf), "intrinsic %s", dk_bidx_name(b));
		return buf;
	}
	return dke_class(ctx, h);
}

/* The realm whose bridge made proxy o, and *kind: 1 a proxy of a host object in that
 * realm, 2 a host-side proxy of that realm's object, 0 neither (returns -1). */
DK_NOCOV static int proxy_maker(const dk_state *st, void *o, int *kind)
{
	for (int s = 0; s < DK_MAX_REALMS; s++)
		if (st->slot[s].used && (*kind = dk_bridge_kind(st, s, o)) != 0)
			return s;
	*kind = 0;
	return -1;
}

void dk_describe(dk_state *st, duk_context *ctx, duk_idx_t idx, char *buf, size_t len)
{
	switch (duk_get_type(ctx, idx)) {
	case DUK_TYPE_UNDEFINED: snprintf(buf, len, "undefined"); return;
	case DUK_TYPE_NULL: snprintf(buf, len, "null"); return;
	case DUK_TYPE_BOOLEAN: snprintf(buf, len, "%s", duk_get_boolean(ctx, idx) ? "true" : "false"); return;
	case DUK_TYPE_NUMBER: snprintf(buf, len, "%g", duk_get_number(ctx, idx)); return;
	case DUK_TYPE_STRING: snprintf(buf, len, "\"%.40s\"", duk_get_string(ctx, idx)); return;
	case DUK_TYPE_OBJECT: break;
	default: snprintf(buf, len, "(%s)", duk_is_function(ctx, idx) ? "lightfunc" : "buffer/pointer"); return;
	}
	void *o = duk_get_heapptr(ctx, idx);
	if (dke_is_proxy(o)) {
		int k, s = proxy_maker(st, o, &k);
		if (k == 1) {
			void *h = dk_map_get(&st->slot[s].in, o, IN_TARGET_OF);
			char msg[64] = "";
			if (!h || !dke_data_string(ctx, h, "message", msg, sizeof(msg)))
				msg[0] = 0;
			snprintf(buf, len, "realm#%d proxy of host %s%s%s", st->slot[s].id,
				 h ? dk_host_name(st, ctx, h) : "?", *msg ? ": " : "", msg);
			return;
		}
		if (k == 2) {
			snprintf(buf, len, "HOST-SIDE proxy of a realm#%d object", st->slot[s].id);
			return;
		}
		snprintf(buf, len, "proxy");
		return;
	}
	int slot, b;
	if (dk_intrinsic_owner(st, o, &slot, &b)) {
		if (slot == DK_HOST)
			snprintf(buf, len, "HOST intrinsic %s", dk_bidx_name(b));
		else
			snprintf(buf, len, "realm#%d intrinsic %s", st->slot[slot].id, dk_bidx_name(b));
		return;
	}
	char msg[64] = "";
	const char *cls = dke_class(ctx, o);
	if (strcmp(cls, "Error") != 0 || !dke_data_string(ctx, o, "message", msg, sizeof(msg)))
		msg[0] = 0;
	slot = dk_object_owner(st, o);
	if (slot == DK_HOST)
		snprintf(buf, len, "RAW HOST %s%s%s", cls, *msg ? ": " : "", msg);
	else if (slot >= 0)
		snprintf(buf, len, "realm#%d %s%s%s", st->slot[slot].id, cls, *msg ? ": " : "", msg);
	else
		snprintf(buf, len, "%s (no realm)", cls);
}

DK_NOCOV static uint32_t name_hash(const char *s)
{
	uint32_t h = 0x811c9dc5u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x01000193u;
	return h;
}

/* What a value in realm `slot` is, as far as the bridge is concerned (see dk.h). */
DK_NOCOV uint32_t dk_value_class(dk_state *st, int slot, duk_context *ctx, duk_idx_t idx)
{
	if (duk_get_type(ctx, idx) != DUK_TYPE_OBJECT)
		return 0; /* primitives cross by value */
	void *o = duk_get_heapptr(ctx, idx);
	if (dke_is_proxy(o)) {
		int k, s = proxy_maker(st, o, &k);
		if (k == 1) {
			void *h = dk_map_get(&st->slot[s].in, o, IN_TARGET_OF);
			return (s == slot ? 0x100u : 0x200u) ^
			       (h ? name_hash(dk_host_name(st, ctx, h)) << 12 : 0);
		}
		return k == 2 ? 0x300u : 0; /* 0: a proxy the realm made itself */
	}
	int owner, b;
	if (dk_intrinsic_owner(st, o, &owner, &b))
		return owner == slot ? 0 : (owner == DK_HOST ? 0x400u : 0x500u) | ((uint32_t)b << 12);
	owner = dk_object_owner(st, o);
	if (owner == slot)
		return 0;
	return (owner == DK_HOST ? 0x600u : owner >= 0 ? 0x700u : 0x800u) ^
	       name_hash(dke_class(ctx, o)) << 12;
}

/* ---- test hooks ---- */

typedef struct hook_job {
	dk_state *st;
	int slot, dir;
	void *in, *out;
} hook_job;

static duk_ret_t hook_convert(duk_context *c, void *ud)
{
	hook_job *j = ud;
	duk_context *hc = j->st->slot[DK_HOST].thr[0], *rc = j->st->slot[j->slot].thr[0];
	if (j->dir == 0) {
		duk_push_heapptr(hc, j->in);
		dk_to_realm(j->st, j->slot, hc, -1, rc, 0);
		j->out = duk_get_heapptr(rc, -1);
		duk_pop(rc);
		duk_pop(hc);
	} else if (j->dir == 1) {
		duk_push_heapptr(rc, j->in);
		dk_to_host(j->st, j->slot, rc, -1, hc);
		j->out = duk_get_heapptr(hc, -1);
		duk_pop(hc);
		duk_pop(rc);
	} else {
		duk_push_object(hc);
		j->out = duk_get_heapptr(hc, -1);
		dk_keep(&j->st->slot[DK_HOST], c, j->out);
		duk_pop(hc);
	}
	return 0;
}

static void *hook(void *state, unsigned realm, int dir, void *in)
{
	dk_state *st = state;
	if (!st || !st->heap || !st->slot[DK_HOST].keep)
		return NULL;
	hook_job j = { st, DK_HOST, dir, in, NULL };
	if (dir != 2) {
		if (realm == 0 || realm > st->nrun || !in)
			return NULL;
		j.slot = st->order[realm - 1];
	}
	if (duk_safe_call(st->heap, hook_convert, &j, 0, 1) != DUK_EXEC_SUCCESS)
		j.out = NULL;
	duk_pop(st->heap);
	return j.out;
}

void *dukrealm_host_object(void *state)
{
	return hook(state, 0, 2, NULL);
}

void *dukrealm_wrap(void *state, unsigned realm, void *h)
{
	return hook(state, realm, 0, h);
}

void *dukrealm_unwrap(void *state, unsigned realm, void *p)
{
	return hook(state, realm, 1, p);
}

unsigned dukrealm_live_realms(void *state)
{
	dk_state *st = state;
	return st ? st->nrun : 0;
}

void dukrealm_census(void *state, size_t *objects, size_t *threads)
{
	dk_state *st = state;
	*objects = *threads = 0;
	if (!st || !st->heap)
		return;
	duk_gc(st->heap, 0);
	duk_gc(st->heap, 0);
	dke_census(st->heap, objects, threads);
}

/* dukrealm ops, oracle and target table. Every op is a tiny JavaScript program (loop-free,
 * call-free bodies) run in one realm with duk_peval; values live in realm globals v<k>,
 * and handles name them. The oracle, after each op: events the layer reported (a canary
 * called without its grant, a nested realm granted more than its parent, a write landing
 * on a host intrinsic), then the host intrinsics' own tables, then a walk over what every
 * realm holds looking for objects that reached it without passing its bridge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

#define JS_MAX 640

static const char *const profile_names[DUKREALM_NPROFILES] = {
	[DUKREALM_HARDENED] = "hardened",
	[DUKREALM_RAW_HOST_OBJECT] = "raw-host-object",
	[DUKREALM_UNWRAPPED_EXCEPTION] = "unwrapped-exception",
	[DUKREALM_GETTER_RAW_RECEIVER] = "getter-raw-receiver",
	[DUKREALM_NESTED_UNBOUNDED] = "nested-unbounded",
	[DUKREALM_HOST_PROTO_WRITE] = "host-proto-write",
	[DUKREALM_HOST_FUNCTION_CTOR] = "host-function-ctor",
};

/* Every string argument must be one of these: property names and values of generated
 * programs come from this list only (code comes from js.code's own table). */
static const char *const dict[] = {
	"constructor", "__proto__", "prototype", "name", "grants", "x", "info", "make", "check",
	"echo", "inspect", "realm", "call", "__lookupGetter__", "exec", "writeFile", "id",
};
#define NDICT (sizeof(dict) / sizeof(dict[0]))

static const char *const grant_names[] = { "none", "exec", "write", "all" };
static const unsigned grant_caps[] = { 0, DK_CAP_EXEC, DK_CAP_WRITE, DK_CAP_ALL };
static const char *const grant_js[] = { "", "\"exec\"", "\"write\"", "\"exec\", \"write\"" };

static const char *const let_names[] = {
	"host", "hostfn", "object", "array", "func", "thisfn", "global", "number", "opts",
};
static const char *const let_js[] = {
	"host", "host.echo", "{}", "[]", "function (a) { return a; }", "function () { return this; }",
	"this", "1", "{grants: [\"exec\", \"write\"]}",
};

static const char *const getter_names[] = { "this", "throw" };
static const char *const code_names[] = {
	"return-this", "return-exec", "return-writeFile", "return-typeof-exec",
};
static const char *const code_js[] = {
	"return this", "return exec('id')", "return writeFile('/tmp/escapade-canary')",
	"return typeof exec",
};
static const char *const host_fn_names[] = {
	"info", "make", "check", "echo", "inspect", "realm", "exec", "writeFile",
};

/* ---- helpers ---- */

static int in_dict(const char *s)
{
	for (size_t i = 0; i < NDICT; i++)
		if (strcmp(dict[i], s) == 0)
			return 1;
	return 0;
}

/* A dictionary string as a JavaScript string literal. */
static void js_lit(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	if (len < 3)
		return;
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = 0;
}

static int new_var(dk_state *st, int slot, unsigned *out)
{
	if (st->nvars >= DK_MAX_VARS)
		return -1;
	st->vars[st->nvars].slot = slot;
	*out = st->nvars++;
	return 0;
}

DK_NOCOV static uint64_t src_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Pushes onto t the program js as a function of t's realm, from the bytecode cache or
 * compiled (then cached). Returns 0, or -1 with the SyntaxError pushed instead. */
static int push_program(dk_state *st, duk_context *t, const char *js)
{
	uint64_t h = src_hash(js);
	if (!st->code && (st->code = calloc(DK_CODE_SLOTS, sizeof(*st->code))) != NULL)
		st->own_blocks++;
	dk_code *c = st->code ? &st->code[h & (DK_CODE_SLOTS - 1)] : NULL;
	if (c && c->src && c->hash == h && strcmp(c->src, js) == 0) {
		memcpy(duk_push_fixed_buffer(t, c->len), c->bytecode, c->len);
		duk_load_function(t);
		return 0;
	}
	if (duk_pcompile_string(t, DUK_COMPILE_EVAL, js))
		return -1;
	if (!c)
		return 0;
	duk_dup(t, -1);
	duk_dump_function(t);
	duk_size_t len;
	void *bc = duk_get_buffer(t, -1, &len);
	char *src = strdup(js);
	void *copy = malloc(len);
	if (src && copy) {
		if (c->src)
			st->own_blocks -= 2;
		free(c->src);
		free(c->bytecode);
		memcpy(copy, bc, len);
		*c = (dk_code){ h, src, copy, len };
		st->own_blocks += 2;
	} else {
		free(src);
		free(copy);
	}
	duk_pop(t);
	return 0;
}

typedef struct js_job {
	dk_state *st;
	const char *js;
	duk_int_t rc;
} js_job;

/* [] -> [result or error]: the program's completion value, as duk_peval gives it. */
static duk_ret_t js_safe(duk_context *t, void *ud)
{
	js_job *j = ud;
	j->rc = DUK_EXEC_ERROR;
	if (push_program(j->st, t, j->js) == 0) {
		duk_push_global_object(t);
		j->rc = duk_pcall_method(t, 0);
	}
	return 1;
}

/* Runs js in realm `slot` (its first thread) as eval code with the global object as
 * `this`, like duk_peval. Returns 0, or -1 when it threw. */
static int run_js(dk_state *st, int slot, const char *js, esc_ctx *ctx)
{
	dk_realm *r = &st->slot[slot];
	duk_context *t = r->thr[0];
	char what[160];
	js_job j = { st, js, DUK_EXEC_ERROR };
	esc_note(ctx, "realm#%d> %s", r->id, js);
	st->ctx = ctx;
	st->op_slot = slot;
	st->created = -1;
	st->budget.ticks = 0;
	r->busy = 1;
	duk_int_t rc = duk_safe_call(t, js_safe, &j, 0, 1);
	if (rc == DUK_EXEC_SUCCESS)
		rc = j.rc;
	r->busy = 0;
	if (ctx) /* the completion value, or what the program threw (the op fails then) */
		ctx->outcome = dk_value_class(st, slot, t, -1);
	if (esc_tracing(ctx)) {
		dk_describe(st, t, -1, what, sizeof(what));
		esc_note(ctx, "%s %s", rc ? "throws" : "->", what);
	}
	duk_pop(t);
	st->ctx = NULL;
	return rc == DUK_EXEC_SUCCESS ? 0 : -1;
}

/* Realm of var a, or -1 (with a note) when b is given and lives elsewhere. */
static int realm_of(dk_state *st, unsigned a, int b, esc_ctx *ctx)
{
	int s = st->vars[a].slot;
	if (b >= 0 && st->vars[b].slot != s) {
		esc_note(ctx, "v%u and v%d live in different realms", a, b);
		return -1;
	}
	return s;
}

static int need_dict(const char *s, esc_ctx *ctx)
{
	if (in_dict(s))
		return 1;
	esc_note(ctx, "refused: \"%.40s\" is not a dictionary string", s);
	return 0;
}

/* ---- ops ---- */

typedef struct open_job {
	dk_state *st;
	unsigned grants;
	int slot;
	const char *why;
} open_job;

static duk_ret_t open_safe(duk_context *c, void *ud)
{
	open_job *j = ud;
	j->slot = dk_realm_open(j->st, c, -1, j->grants, j->grants, j->grants, &j->why);
	return 0;
}

static int op_realm_new(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	open_job j = { st, grant_caps[a[0].e], -1, "" };
	duk_int_t rc = duk_safe_call(st->heap, open_safe, &j, 0, 1);
	duk_pop(st->heap);
	if (rc != DUK_EXEC_SUCCESS || j.slot < 0) {
		esc_note(ctx, "embedder: no realm: %s", rc ? "engine error" : j.why);
		return -1;
	}
	char g[32];
	dk_caps_str(j.grants, g, sizeof(g));
	esc_note(ctx, "embedder: realm#%d with grants %s", st->slot[j.slot].id, g);
	if (ctx)
		ctx->outcome = 0x10000u | st->slot[j.slot].grants;
	*out = (unsigned)j.slot;
	return 0;
}

static int op_realm_child(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	int slot = (int)a[0].h;
	unsigned k;
	char js[JS_MAX];
	if (new_var(st, slot, &k))
		return -1;
	snprintf(js, sizeof(js), "v%u = host.realm({grants: [%s]});", k, grant_js[a[1].e]);
	if (run_js(st, slot, js, ctx))
		return -1;
	if (st->created < 0) {
		esc_note(ctx, "no realm was made");
		return -1;
	}
	if (ctx) /* what the child holds, not how the factory answered */
		ctx->outcome = 0x20000u | st->slot[st->created].grants;
	*out = (unsigned)st->created;
	return 0;
}

static int op_let(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	char js[JS_MAX];
	if (new_var(st, (int)a[0].h, out))
		return -1;
	snprintf(js, sizeof(js), "v%u = %s;", *out, let_js[a[1].e]);
	return run_js(st, (int)a[0].h, js, ctx);
}

static int op_str(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	char js[JS_MAX], lit[ESC_MAX_STR * 2 + 3];
	if (!need_dict(a[1].s, ctx) || new_var(st, (int)a[0].h, out))
		return -1;
	js_lit(lit, sizeof(lit), a[1].s);
	snprintf(js, sizeof(js), "v%u = %s;", *out, lit);
	return run_js(st, (int)a[0].h, js, ctx);
}

/* Ops over vars: shapes of the program, %K the result var, %A %B the handles. */
enum shape { SH_GET, SH_SET, SH_CALL, SH_INVOKE, SH_NEW, SH_CATCH };

static int op_vars(dk_state *st, enum shape sh, unsigned va, int vb, const char *key,
		   unsigned *out, esc_ctx *ctx)
{
	char js[JS_MAX], lit[ESC_MAX_STR * 2 + 3] = "";
	unsigned k = 0;
	int slot = realm_of(st, va, vb, ctx);
	if (slot < 0)
		return -1;
	if (key) {
		if (!need_dict(key, ctx))
			return -1;
		js_lit(lit, sizeof(lit), key);
	}
	if (sh != SH_SET && new_var(st, slot, &k))
		return -1;
	switch (sh) {
	case SH_GET: snprintf(js, sizeof(js), "v%u = v%u[%s];", k, va, lit); break;
	case SH_SET: snprintf(js, sizeof(js), "v%u[%s] = v%d;", va, lit, vb); break;
	case SH_CALL: snprintf(js, sizeof(js), "v%u = v%u(v%d);", k, va, vb); break;
	case SH_INVOKE: snprintf(js, sizeof(js), "v%u = v%u[%s](v%d);", k, va, lit, vb); break;
	case SH_NEW: snprintf(js, sizeof(js), "v%u = new v%u(v%d);", k, va, vb); break;
	case SH_CATCH:
		snprintf(js, sizeof(js), "try { v%u = v%u[%s](v%d); } catch (e) { v%u = e; }", k, va,
			 lit, vb, k);
		break;
	}
	if (out)
		*out = k;
	return run_js(st, slot, js, ctx);
}

static int op_get(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return op_vars(state, SH_GET, a[0].h, -1, a[1].s, out, ctx);
}

static int op_set(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	(void)out;
	return op_vars(state, SH_SET, a[0].h, (int)a[2].h, a[1].s, NULL, ctx);
}

static int op_call(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return op_vars(state, SH_CALL, a[0].h, (int)a[1].h, NULL, out, ctx);
}

static int op_invoke(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return op_vars(state, SH_INVOKE, a[0].h, (int)a[2].h, a[1].s, out, ctx);
}

static int op_new(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return op_vars(state, SH_NEW, a[0].h, (int)a[1].h, NULL, out, ctx);
}

static int op_catch(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return op_vars(state, SH_CATCH, a[0].h, (int)a[2].h, a[1].s, out, ctx);
}

static int op_code(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	char js[JS_MAX], lit[96];
	int slot = st->vars[a[0].h].slot;
	if (new_var(st, slot, out))
		return -1;
	js_lit(lit, sizeof(lit), code_js[a[1].e]);
	snprintf(js, sizeof(js), "v%u = v%u(%s)();", *out, a[0].h, lit);
	return run_js(st, slot, js, ctx);
}

static int op_getter(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	char js[JS_MAX], lit[ESC_MAX_STR * 2 + 3], body[64];
	int slot = st->vars[a[0].h].slot;
	if (!need_dict(a[1].s, ctx) || new_var(st, slot, out))
		return -1;
	js_lit(lit, sizeof(lit), a[1].s);
	/* the result is the object itself, until the getter runs: then whatever `this` the
	 * getter was given (the object again, unless the bridge passed another receiver) */
	if (a[2].e == 0)
		snprintf(body, sizeof(body), "v%u = this; return 1;", *out);
	else
		snprintf(body, sizeof(body), "throw new Error(\"getter\");");
	snprintf(js, sizeof(js),
		 "v%u = v%u; Object.defineProperty(v%u, %s, {get: function () { %s }, "
		 "configurable: true});", *out, a[0].h, a[0].h, lit, body);
	return run_js(st, slot, js, ctx);
}

static int op_host(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	dk_state *st = state;
	char js[JS_MAX];
	int slot = st->vars[a[0].h].slot;
	const char *fn = host_fn_names[a[1].e];
	if (new_var(st, slot, out))
		return -1;
	if (a[1].e >= 6) /* exec, writeFile: the realm's own global, present only if granted */
		snprintf(js, sizeof(js), "v%u = %s(v%u);", *out, fn, a[0].h);
	else
		snprintf(js, sizeof(js), "v%u = host.%s(v%u);", *out, fn, a[0].h);
	return run_js(st, slot, js, ctx);
}

/* ---- oracle ---- */

static void fill(dk_state *st, esc_verdict *v, esc_verdict_kind kind, int slot)
{
	v->kind = kind;
	dk_chain(st, slot, v->chain, sizeof(v->chain));
}

DK_NOCOV static int check_event(dk_state *st, esc_verdict *v)
{
	dk_event ev = st->ev;
	memset(&st->ev, 0, sizeof(st->ev));
	if (ev.kind == ESC_CONTAINED)
		return 0;
	int id = st->slot[ev.slot].id;
	char a[32], b[32];
	dk_caps_str(ev.expected, a, sizeof(a));
	dk_caps_str(ev.actual, b, sizeof(b));
	fill(st, v, ev.kind, ev.slot);
	switch (ev.kind) {
	case ESC_PRIVILEGE_AMPLIFICATION:
		snprintf(v->expected, sizeof(v->expected), "grants within the parent's: %s", a);
		snprintf(v->actual, sizeof(v->actual), "granted %s", b);
		snprintf(v->summary, sizeof(v->summary), "%s", ev.what);
		break;
	case ESC_HOST_EXECUTION:
	case ESC_INTEGRITY_VIOLATION:
		if (ev.actual) { /* a canary */
			snprintf(v->expected, sizeof(v->expected), "realm#%d may use %s", id, a);
			snprintf(v->actual, sizeof(v->actual), "%.120s ran in the host", ev.what);
			snprintf(v->summary, sizeof(v->summary),
				 "realm#%d reached the host's %.120s without that grant", id, ev.what);
		} else {
			snprintf(v->expected, sizeof(v->expected), "host intrinsics are read-only to realm#%d", id);
			snprintf(v->actual, sizeof(v->actual), "%s", ev.what);
			snprintf(v->summary, sizeof(v->summary), "realm#%d wrote through the bridge: %s", id,
				 ev.what);
		}
		break;
	default:
		snprintf(v->summary, sizeof(v->summary), "%s", ev.what);
		break;
	}
	return 1;
}

/* Host intrinsics' own property tables, compared with the fresh host's. */
DK_NOCOV static int check_host_tables(dk_state *st, int slot, esc_verdict *v)
{
	const dk_realm *h = &st->slot[DK_HOST];
	for (int b = 0; b < DKE_NBUILTINS; b++) {
		if (!h->bidx[b] || dke_hash_object(st->heap, h->bidx[b]) == st->host_tables[b])
			continue;
		fill(st, v, ESC_INTEGRITY_VIOLATION, slot);
		snprintf(v->expected, sizeof(v->expected), "host %s unchanged", dk_bidx_name(b));
		snprintf(v->actual, sizeof(v->actual), "host %s modified", dk_bidx_name(b));
		snprintf(v->summary, sizeof(v->summary), "host %s changed during realm#%d's step",
			 dk_bidx_name(b), slot >= 0 ? st->slot[slot].id : 0);
		return 1;
	}
	return 0;
}

typedef struct leak {
	dk_state *st;
	int slot;       /* the realm whose holdings are walked */
	unsigned var;
	unsigned depth, nseen;
	void *seen[256];
	char what[160];
} leak;

DK_NOCOV static int leak_visit(void *ud, void *obj)
{
	leak *l = ud;
	dk_state *st = l->st;
	for (unsigned i = 0; i < l->nseen; i++)
		if (l->seen[i] == obj)
			return 0;
	if (l->nseen < sizeof(l->seen) / sizeof(l->seen[0]))
		l->seen[l->nseen++] = obj;
	else
		return 0;
	if (dke_is_proxy(obj)) {
		if (dk_bridge_kind(st, l->slot, obj) == 1)
			return 0; /* its own bridge's proxy of a host object */
		for (int s = 0; s < DK_MAX_REALMS; s++) {
			if (!st->slot[s].used)
				continue;
			int k = dk_bridge_kind(st, s, obj);
			if (k == 2) {
				snprintf(l->what, sizeof(l->what),
					 "v%u is the host side's proxy of a realm#%d object", l->var,
					 st->slot[s].id);
				return 1;
			}
			if (k == 1) {
				snprintf(l->what, sizeof(l->what), "v%u is realm#%d's proxy of a host object",
					 l->var, st->slot[s].id);
				return 1;
			}
		}
		return 0;
	}
	void *p = obj;
	int owner = -1, b = 0;
	for (int depth = 0; p && depth < 64; depth++, p = dke_proto(p))
		if (dk_intrinsic_owner(st, p, &owner, &b))
			break;
	if (owner >= 0 && owner != l->slot) {
		if (owner == DK_HOST)
			snprintf(l->what, sizeof(l->what), "v%u reaches a raw host %s (chain hits host %s)",
				 l->var, dke_class(st->heap, obj), dk_bidx_name(b));
		else
			snprintf(l->what, sizeof(l->what), "v%u reaches a realm#%d %s", l->var,
				 st->slot[owner].id, dke_class(st->heap, obj));
		return 1;
	}
	if (p == obj || l->depth >= 3)
		return 0; /* the realm's own intrinsics are not walked into */
	l->depth++;
	int rc = dke_children(st->heap, obj, leak_visit, l);
	l->depth--;
	return rc;
}

DK_NOCOV static int check_leaks(dk_state *st, esc_verdict *v)
{
	char name[16];
	for (unsigned k = 0; k < st->nvars; k++) {
		int slot = st->vars[k].slot;
		leak l = { .st = st, .slot = slot, .var = k };
		snprintf(name, sizeof(name), "v%u", k);
		dke_own(st->heap, st->slot[slot].bidx[DKE_BIDX_GLOBAL], name, leak_visit, &l, NULL);
		if (!l.what[0])
			continue;
		fill(st, v, ESC_REFERENCE_LEAK, slot);
		snprintf(v->expected, sizeof(v->expected),
			 "realm#%d holds its own objects and its bridge's proxies only", st->slot[slot].id);
		snprintf(v->actual, sizeof(v->actual), "%s", l.what);
		snprintf(v->summary, sizeof(v->summary), "membrane breach in realm#%d: %s",
			 st->slot[slot].id, l.what);
		return 1;
	}
	return 0;
}

DK_NOCOV static int oracle(dk_state *st, esc_verdict *v);

static int dr_check(void *state, unsigned step, esc_verdict *v)
{
	(void)step;
	int rc = oracle(state, v);
	dk_balance(state);
	return rc;
}

DK_NOCOV static int oracle(dk_state *st, esc_verdict *v)
{
	int slot = st->op_slot;
	if (check_event(st, v))
		return 1;
	/* host intrinsics change only if host code ran (sandbox code holding a raw host
	 * reference was flagged at the step that gave it one) */
	int ran = st->host_ran;
	st->host_ran = 0;
	if (ran && check_host_tables(st, slot, v))
		return 1;
	return check_leaks(st, v);
}

/* ---- target ---- */

static void describe_realm(dk_state *st, int s, unsigned depth, esc_ctx *ctx)
{
	const dk_realm *r = &st->slot[s];
	char g[32], ref[32], ind[3 * DK_MAX_REALMS + 1];
	unsigned nv = 0, np = 0, nw = 0, d = depth < DK_MAX_REALMS ? depth : DK_MAX_REALMS;
	memset(ind, ' ', 3 * d);
	ind[3 * d] = 0;
	for (unsigned k = 0; k < st->nvars; k++)
		nv += st->vars[k].slot == s;
	for (unsigned i = 0; i < DK_MAP_CAP; i++) {
		np += r->in.e[i].role == IN_TARGET_OF;
		nw += r->out.e[i].role == OUT_TARGET_OF;
	}
	dk_caps_str(r->grants, g, sizeof(g));
	dk_caps_str(r->reference, ref, sizeof(ref));
	esc_note(ctx, "%s└─ realm#%d grants %s reference %s: %u vars, %u proxies of host objects, "
		 "%u host-side proxies%s", ind, r->id, g, ref, nv, np, nw,
		 (r->grants & ~r->reference) ? "  <- exceeds reference" : "");
	for (unsigned i = 0; i < st->nrun; i++)
		if (st->slot[st->order[i]].parent == s)
			describe_realm(st, st->order[i], depth + 1, ctx);
}

static void dr_describe(void *state, esc_ctx *ctx)
{
	dk_state *st = state;
	esc_note(ctx, "host (Duktape %ld; privileged: exec, writeFile)", (long)DUK_VERSION);
	for (unsigned i = 0; i < st->nrun; i++)
		if (st->slot[st->order[i]].parent < 0)
			describe_realm(st, st->order[i], 0, ctx);
}

static int dr_reset(void *state, unsigned profile)
{
	return dk_reset(state, profile);
}

static void dr_release(void *state)
{
	dk_state *st = state;
	if (st && st->code) {
		for (unsigned i = 0; i < DK_CODE_SLOTS; i++) {
			free(st->code[i].src);
			free(st->code[i].bytecode);
		}
		free(st->code);
		st->code = NULL;
		st->own_blocks--;
	}
	dk_release(st);
}

enum { RES_REALM, RES_VAL };
static const char *const res_kinds[] = { [RES_REALM] = "realm", [RES_VAL] = "val" };

#define ENUM_ARG(n, vals, pos) \
	{ .name = n, .kind = ESC_ARG_ENUM, .positional = pos, .values = vals, \
	  .nvalues = sizeof(vals) / sizeof(vals[0]) }
#define HANDLE_ARG(n, r) { .name = n, .kind = ESC_ARG_HANDLE, .positional = 1, .res = r }
#define STR_ARG(n) { .name = n, .kind = ESC_ARG_STR, .positional = 1 }

static const esc_op_desc ops[] = {
	{ .name = "realm.new", .nargs = 1, .produces = RES_REALM, .run = op_realm_new,
	  .args = { ENUM_ARG("grants", grant_names, 0) } },
	{ .name = "realm.child", .nargs = 2, .produces = RES_REALM, .run = op_realm_child,
	  .args = { HANDLE_ARG("realm", RES_REALM), ENUM_ARG("grants", grant_names, 0) } },
	{ .name = "js.let", .nargs = 2, .produces = RES_VAL, .run = op_let,
	  .args = { HANDLE_ARG("realm", RES_REALM), ENUM_ARG("expr", let_names, 1) } },
	{ .name = "js.str", .nargs = 2, .produces = RES_VAL, .run = op_str,
	  .args = { HANDLE_ARG("realm", RES_REALM), STR_ARG("string") } },
	{ .name = "js.get", .nargs = 2, .produces = RES_VAL, .run = op_get,
	  .args = { HANDLE_ARG("obj", RES_VAL), STR_ARG("key") } },
	{ .name = "js.set", .nargs = 3, .produces = ESC_NO_RES, .run = op_set,
	  .args = { HANDLE_ARG("obj", RES_VAL), STR_ARG("key"), HANDLE_ARG("value", RES_VAL) } },
	{ .name = "js.call", .nargs = 2, .produces = RES_VAL, .run = op_call,
	  .args = { HANDLE_ARG("fn", RES_VAL), HANDLE_ARG("arg", RES_VAL) } },
	{ .name = "js.invoke", .nargs = 3, .produces = RES_VAL, .run = op_invoke,
	  .args = { HANDLE_ARG("obj", RES_VAL), STR_ARG("key"), HANDLE_ARG("arg", RES_VAL) } },
	{ .name = "js.new", .nargs = 2, .produces = RES_VAL, .run = op_new,
	  .args = { HANDLE_ARG("ctor", RES_VAL), HANDLE_ARG("arg", RES_VAL) } },
	{ .name = "js.catch", .nargs = 3, .produces = RES_VAL, .run = op_catch,
	  .args = { HANDLE_ARG("obj", RES_VAL), STR_ARG("key"), HANDLE_ARG("arg", RES_VAL) } },
	{ .name = "js.getter", .nargs = 3, .produces = RES_VAL, .run = op_getter,
	  .args = { HANDLE_ARG("obj", RES_VAL), STR_ARG("key"), ENUM_ARG("body", getter_names, 0) } },
	{ .name = "js.code", .nargs = 2, .produces = RES_VAL, .run = op_code,
	  .args = { HANDLE_ARG("fn", RES_VAL), ENUM_ARG("source", code_names, 1) } },
	{ .name = "host.call", .nargs = 2, .produces = RES_VAL, .run = op_host,
	  .args = { HANDLE_ARG("arg", RES_VAL), ENUM_ARG("fn", host_fn_names, 0) } },
};

const esc_target dukrealm_target = {
	.name = "dukrealm",
	.res_kinds = res_kinds,
	.nres = sizeof(res_kinds) / sizeof(res_kinds[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.profiles = profile_names,
	.nprofiles = DUKREALM_NPROFILES,
	.dict = dict,
	.ndict = NDICT,
	.state_size = sizeof(dk_state),
	.reset = dr_reset,
	.check = dr_check,
	.describe = dr_describe,
	.release = dr_release,
	.outcomes = 1,
};

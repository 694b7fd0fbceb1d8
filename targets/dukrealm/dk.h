/* dukrealm internals shared by realm.c (heap, realm pool, host API, canaries), bridge.c
 * (the membrane) and dukrealm.c (ops, oracle, target table).
 *
 * Model. One Duktape heap per runner, created on the first reset and kept until release.
 * A realm is a Duktape thread with its own global environment and intrinsics
 * (duk_push_thread_new_globalenv) plus DK_DEPTH - 1 more threads sharing them, used when
 * the bridge re-enters the realm while its first thread is suspended in a trap. Realm
 * threads live in the heap stash under "dk" (record per slot: threads, handlers, keep).
 * Slot DK_HOST is the host realm; slots 0 .. DK_MAX_REALMS-1 are sandbox realms.
 *
 * Invariants:
 *   - JavaScript of a realm runs only on that realm's threads; host functions reached
 *     through the bridge run on host threads. A thread is used by the bridge only when it
 *     is not running (threads [busy, DK_DEPTH) of a realm are idle).
 *   - Every object a realm obtains from the host passes to_realm() and every object the
 *     host obtains from a realm passes to_host(); both keep identity maps per realm
 *     (in: host object <-> proxy in the realm; out: realm object <-> proxy on the host
 *     side) and keep everything they map alive in the realm's per-run keep array.
 *   - Between runs no sandbox value survives: keep arrays, identity maps and realm
 *     globals added during the run are dropped; a realm whose intrinsics no longer
 *     fingerprint like a fresh one is destroyed (only clean realms are recycled).
 */
#ifndef DUKREALM_DK_H
#define DUKREALM_DK_H

#include <stdint.h>

#include "engine.h"
#include "escapade/run.h"
#include "dukrealm.h"

#define DK_MAX_REALMS 8
#define DK_HOST DK_MAX_REALMS /* slot index of the host realm */
#define DK_NSLOTS (DK_MAX_REALMS + 1)
#define DK_DEPTH 4            /* threads per realm: bridge re-entry depth */
#define DK_MAP_CAP 2048u      /* entries per identity map (power of two) */
#define DK_MAX_VARS ESC_MAX_OPS
#define DK_MAX_CROSS 16

/* Capabilities a realm can be granted. */
enum { DK_CAP_EXEC = 1u << 0, DK_CAP_WRITE = 1u << 1, DK_CAP_ALL = 3u };

/* Defences; hardened has all, every other profile lacks exactly one. */
enum {
	DEF_WRAP_RESULTS = 1u << 0,       /* host call results are wrapped */
	DEF_CONVERT_EXCEPTIONS = 1u << 1, /* host exceptions cross wrapped */
	DEF_CONVERT_RECEIVER = 1u << 2,   /* getters see the realm's own receiver */
	DEF_BOUND_NESTING = 1u << 3,      /* child grants within the parent's */
	DEF_PROTECT_INTRINSICS = 1u << 4, /* host intrinsics map to the realm's, never written */
	DEF_MAP_FUNCTION_CTOR = 1u << 5,  /* the host Function constructor maps to the realm's */
	DEF_ALL = (1u << 6) - 1,
};

/* Identity map roles: what key -> val means. */
enum dk_role {
	ROLE_NONE = 0,
	IN_PROXY_OF,   /* key host object  -> its proxy in the realm */
	IN_TARGET_OF,  /* key proxy        -> the host object it stands for */
	IN_SHADOW_OF,  /* key shadow target -> the host object */
	OUT_PROXY_OF,  /* key realm object -> its proxy on the host side */
	OUT_TARGET_OF, /* key host-side proxy -> the realm object */
	OUT_SHADOW_OF, /* key shadow target -> the realm object */
	ROLE_OWNER,    /* key intrinsic -> (slot + 1) << 8 | builtin index */
	ROLE_MEMBER,   /* key host intrinsic (set membership) */
};

typedef struct dk_map_ent {
	void *key, *val;
	unsigned char role;
} dk_map_ent;

typedef struct dk_map {
	unsigned n;
	dk_map_ent e[DK_MAP_CAP];
} dk_map;

typedef struct dk_realm {
	/* pool: survives runs while the realm stays clean */
	int live;
	uint64_t baseline;           /* fingerprint of the fresh realm's intrinsics */
	void **graph;                /* those intrinsics (kept alive in the stash record) */
	size_t ngraph;
	duk_context *thr[DK_DEPTH];
	void *bidx[DKE_NBUILTINS];   /* its intrinsics, by Duktape builtin index */
	void *hin, *hout;            /* proxy handlers: realm side, host side */
	/* per run */
	int used, id, parent;        /* id: realm#id in this run; parent: slot or -1 */
	unsigned grants, reference, requested;
	unsigned busy;               /* threads of this realm currently running */
	void *keep;                  /* keep-alive array of this run */
	unsigned nkeep;
	dk_map in, out;
} dk_realm;

typedef struct dk_event {
	esc_verdict_kind kind;       /* ESC_CONTAINED: none */
	int slot;                    /* principal */
	unsigned expected, actual;   /* capability sets, where they apply */
	char what[160];
} dk_event;

typedef struct dk_var {
	int slot;                    /* realm holding the global v<k> */
} dk_var;

/* A compiled op program, as Duktape bytecode (duk_dump_function), keyed by its source:
 * loading it again in any realm binds it to that realm's globals, exactly like compiling. */
typedef struct dk_code {
	uint64_t hash;
	char *src;
	void *bytecode;
	size_t len;
} dk_code;
#define DK_CODE_SLOTS 4096u

typedef struct dk_state {
	dke_budget budget;           /* first member: the heap's udata points here */
	duk_context *heap;           /* heap thread; NULL until the first reset */
	int no_pool;                 /* DUKREALM_NO_POOL: destroy every realm at reset */
	unsigned profile, def;
	dk_realm slot[DK_NSLOTS];
	int order[DK_MAX_REALMS];    /* realm#(i+1) of this run -> slot */
	unsigned nrun;
	dk_map owner;                /* intrinsic of any live realm -> (slot+1) << 8 | bidx */
	dk_map hostset;              /* host intrinsics reachable from its builtins */
	uint64_t host_tables[DKE_NBUILTINS]; /* per-step baseline of host intrinsic tables */
	void *host_exec, *host_write;
	dk_var vars[DK_MAX_VARS];
	unsigned nvars;
	int cross[DK_MAX_CROSS];     /* realms whose calls are inside the host, innermost last */
	unsigned ncross;
	dk_event ev;                 /* first divergence the layer reported in this op */
	int created;                 /* slot the factory made during this op, -1 none */
	int op_slot;                 /* realm whose program the current op runs, -1 none */
	int host_ran;                /* the bridge ran host code since the last oracle check */
	unsigned long crossed[5];    /* host objects wrapped, by kind (coverage only) */
	esc_ctx *ctx;                /* trace of the running op, NULL outside ops */
	dk_code *code;               /* DK_CODE_SLOTS entries, allocated on first use */
	/* malloc'd blocks this target holds across runs: the Duktape heap's, and its own
	 * (bytecode cache, intrinsic lists); see dk_balance */
	size_t duk_blocks, own_blocks;
	void **ballast;
	size_t nballast;
} dk_state;

/* ---- realm.c ---- */
dk_state *dk_state_of(duk_context *ctx);
/* Host thread (or the heap thread) that is safe to push on from C right now. */
duk_context *dk_host_ctx(dk_state *st);
/* Slot of the realm that owns thread ctx: a sandbox slot, DK_HOST, or -1 (heap thread). */
int dk_slot_of_thread(const dk_state *st, duk_context *ctx);
/* The principal on whose behalf code on ctx runs: a sandbox slot or DK_HOST. */
int dk_principal(const dk_state *st, duk_context *ctx);
/* Acquires a sandbox realm for this run (embedder: parent -1; factory: parent slot),
 * pushing nothing. scratch is the current thread. Returns the slot or -1 (refused; *why
 * says why). */
int dk_realm_open(dk_state *st, duk_context *scratch, int parent, unsigned grants,
		  unsigned reference, unsigned requested, const char **why);
/* Keeps ptr alive until the end of the run (pushes and pops on c). */
void dk_keep(dk_realm *r, duk_context *c, void *ptr);
void dk_record(dk_state *st, esc_verdict_kind kind, int slot, unsigned expected,
	       unsigned actual, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void dk_chain(const dk_state *st, int slot, char *buf, size_t len);
void dk_caps_str(unsigned caps, char *buf, size_t len);
int dk_is_host_intrinsic(const dk_state *st, void *obj);
/* Owner of an intrinsic object: *slot and *bidx, or 0 when obj is no realm's intrinsic. */
int dk_intrinsic_owner(const dk_state *st, void *obj, int *slot, int *bidx);
/* Owner realm of an ordinary object by its prototype chain: slot, or -1 unknown. */
int dk_object_owner(const dk_state *st, void *obj);
const char *dk_bidx_name(int bidx);
/* One line for a value (never runs JavaScript). */
void dk_describe(dk_state *st, duk_context *ctx, duk_idx_t idx, char *buf, size_t len);
/* What a value held in realm `slot` is to the bridge, for esc_ctx.outcome: 0 for a
 * primitive or the realm's own object; otherwise a number naming a proxy of which host
 * object (in this realm or another), a host-side proxy, another realm's or the host's
 * intrinsic, or a raw object of the host or of another realm, and its class. */
uint32_t dk_value_class(dk_state *st, int slot, duk_context *ctx, duk_idx_t idx);
/* "intrinsic Object.prototype" or the class of host object h (a static buffer). */
const char *dk_host_name(const dk_state *st, duk_context *ctx, void *h);
int dk_reset(dk_state *st, unsigned profile);
/* Keeps the number of malloc'd blocks this target holds constant (DK_BALLAST) at the end
 * of every op and reset, by holding tiny "ballast" blocks for the difference. The heap
 * outlives runs, so without it a run that grows the heap looks to libFuzzer like a run
 * that leaks (more mallocs than frees), and every such input pays a LeakSanitizer scan.
 * Blocks the target does not account for still show, and LeakSanitizer still checks at
 * exit. */
void dk_balance(dk_state *st);
void dk_release(dk_state *st);

/* ---- host.c ---- */
/* Pushes onto c (a host thread) a fresh API object for one realm. */
void dk_push_api(duk_context *c);
duk_ret_t dk_canary_exec(duk_context *c);
duk_ret_t dk_canary_write(duk_context *c);

/* ---- bridge.c ---- */
void dk_map_clear(dk_map *m);
void *dk_map_get(const dk_map *m, void *key, enum dk_role role);
int dk_map_put(dk_map *m, void *key, void *val, enum dk_role role);
/* Pushes onto c a new proxy handler for slot's proxies: realm side (dir 0, proxies of host
 * objects) or host side (dir 1, proxies of the realm's objects). */
void dk_push_handler(duk_context *c, int slot, int dir);
/* Pushes onto dst the realm r's view of the host value at src[idx]. raw: no wrapping
 * (used only where a profile's defence is off). May throw on dst. */
void dk_to_realm(dk_state *st, int slot, duk_context *src, duk_idx_t idx, duk_context *dst,
		 int raw);
/* Pushes onto dst the host's view of realm r's value at src[idx]. May throw on dst. */
void dk_to_host(dk_state *st, int slot, duk_context *src, duk_idx_t idx, duk_context *dst);
/* What kind of bridge object obj is for slot: its proxy of a host object (1), a host-side
 * proxy of one of its objects (2), or neither (0). */
int dk_bridge_kind(const dk_state *st, int slot, void *obj);

#define DK_NOTE(st, ...)                                  \
	do {                                              \
		if ((st)->ctx && esc_tracing((st)->ctx))  \
			esc_note((st)->ctx, __VA_ARGS__); \
	} while (0)

#endif

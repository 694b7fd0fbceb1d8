/* vm2model internals shared by its files: the run state (VMs, modules, the object heap,
 * held values, promise jobs), the membrane's functions (membrane.c), the channels and
 * host algorithms (channels.c) and the oracle's event record.
 *
 * Object model. Every object lives in one realm: 0 is the host, v + 1 is VM v's realm.
 * An object has a kind, a call behaviour (fn), a prototype and up to VM2_NSLOT own
 * properties (data or accessor) keyed by enum vm2_key. Each realm's intrinsics
 * (Object.prototype ... Promise, the `__proto__` getter, `process`) are created lazily
 * on first use; some properties of intrinsics are implied and never stored (a prototype's
 * `constructor`, a constructor's Symbol.species, Promise.prototype.then).
 *
 * Membrane. One per VM, always to the host. A proxy is an object of kind OK_PROXY with a
 * target and the VM whose membrane made it: a forward proxy lives in the VM's realm and
 * stands for a host object; a reverse proxy lives in the host realm and stands for an
 * object of the VM's realm (what host code sees of a sandbox value). Identity maps:
 * every object keeps the list of proxies standing for it (proxies, next), one per
 * membrane (as vm2's cache), so wrapping the same object twice gives the same proxy, and
 * a proxy's target is its unwrap. Invariants (checked by vm2_membrane_check in tests):
 *   - wrap(v, x) == wrap(v, x); unwrap(v, wrap(v, x)) == x; wrap(v, unwrap(v, s)) == s;
 *   - host intrinsic prototypes wrap to the VM's own intrinsic prototypes (pairing);
 *   - what is first read through a read-only or protected proxy is wrapped with that
 *     handler; an object the embedder froze or protected always is.
 * A sandbox frame may hold objects of its own realm and forward proxies of its own
 * membrane, nothing else; the oracle flags anything else it is handed.
 *
 * Reset is cheap: counters go to zero; an object, a VM or a job is initialized when it
 * is allocated. Nothing is allocated with malloc.
 */
#ifndef ESCAPADE_VM2INT_H
#define ESCAPADE_VM2INT_H

#include <stdint.h>

#include "escapade/run.h"
#include "vm2model.h"

#define VM2_MAX 64      /* VMs, modules and held values per run */
#define VM2_MAXOBJ 1024 /* objects per run, every realm */
#define VM2_NSLOT 6     /* own properties per object */
#define VM2_MAXJOB 32   /* pending promise jobs */
#define VM2_NIL 0xffffu /* no object: undefined */
#define VM2_CHAIN 16    /* prototype chain walks stop after this many links */

typedef uint16_t vm2_oid;

enum vm2_okind {
	OK_PLAIN = 0, OK_ARRAY, OK_FUNC, OK_ERROR, OK_PROMISE, OK_PROXY, OK_PROCESS,
	OK_HOSTILE /* a sandbox Proxy whose getPrototypeOf trap throws */
};

/* What calling an object does. */
enum vm2_fnb {
	FB_NONE = 0,      /* not callable */
	FB_SANDBOX,       /* sandbox code: returns its first argument */
	FB_FUNCTION_CTOR, /* Function(code) compiles in its realm */
	FB_COMPILED,      /* what Function('return process') made: returns its realm's process */
	FB_OBJECT_CTOR, FB_ARRAY_CTOR, FB_ERROR_CTOR, FB_PROMISE_CTOR,
	FB_PROTO_GETTER,  /* Object.prototype.__proto__'s getter */
	FB_THEN, FB_CATCH, FB_FINALLY,
	FB_HOST_IDENTITY, /* exposed host function: returns its argument */
	FB_HOST_THROW,    /* exposed host function: throws its host Error (cause: another) */
	FB_HOST_THROW_AGG,/* exposed host function: throws AggregateError([E], {cause: E}) */
	FB_HOST_EXECUTOR, /* the resolving functions host Promise code hands a constructor */
};

enum vm2_oflag {
	OF_INTRINSIC = 1u << 0, /* a realm intrinsic (protected in the host realm) */
	OF_EXPOSED = 1u << 1,   /* handed to a VM by the embedder (handler = its policy) */
};

enum vm2_handler { H_PLAIN = 0, H_READONLY, H_PROTECTED, H_NHANDLERS };

enum vm2_pstate { PS_PENDING = 0, PS_FULFILLED, PS_REJECTED };

/* Property keys (the op table's key enum, in this order). */
enum vm2_key {
	K_X = 0, K_0, K_CONSTRUCTOR, K_PROTO, K_CAUSE, K_ERRORS, K_SPECIES, K_INSPECT,
	K_PREPARE_STACK, K_CALL, K_GET, K_TOSTRING, K_NKEYS
};

/* Realm intrinsics; the first I_NPUBLIC are what obj.intrinsic can name, in order. */
enum vm2_intrinsic {
	I_OBJECT_PROTO = 0, I_FUNCTION_PROTO, I_ARRAY_PROTO, I_ERROR_PROTO, I_PROMISE_PROTO,
	I_OBJECT, I_FUNCTION, I_ARRAY, I_ERROR, I_PROMISE,
	I_NPUBLIC,
	I_PROTO_GETTER = I_NPUBLIC, I_THEN, I_CATCH, I_FINALLY, I_PROCESS,
	I_N
};

typedef struct vm2_slot {
	uint8_t key;  /* enum vm2_key */
	uint8_t acc;  /* 0: data (val); 1: accessor (get, set) */
	vm2_oid val, get, set;
} vm2_slot;

typedef struct vm2_obj {
	uint8_t realm;   /* 0 host, v + 1 for VM v */
	uint8_t kind;    /* enum vm2_okind */
	uint8_t fn;      /* enum vm2_fnb */
	uint8_t flags;   /* enum vm2_oflag */
	uint8_t handler; /* proxy: enum vm2_handler; exposed host object: its policy */
	uint8_t vm;      /* proxy: the VM whose membrane made it */
	uint8_t state;   /* promise: enum vm2_pstate; intrinsic: enum vm2_intrinsic */
	uint8_t nslot;
	vm2_oid proto;
	vm2_oid target;  /* proxy: what it stands for */
	vm2_oid value;   /* promise: settlement value; thrower: what it throws */
	vm2_oid proxies; /* identity map: first proxy standing for this object */
	vm2_oid next;    /* proxy: next proxy of the same target */
	vm2_slot slot[VM2_NSLOT];
} vm2_obj;

typedef struct vm2_vm {
	int parent;         /* index of the parent VM, -1 for a root VM (host-made) */
	unsigned caps;      /* effective resolver ('-name' entries already removed) */
	unsigned deny;      /* builtins its config denies by name ('-name'), for traces */
	unsigned reference; /* what the reference model allows */
	unsigned cls_vm;    /* 1 for class VM (no require at all) */
	unsigned wild;      /* the config holds a '*' wildcard */
	vm2_oid pending;    /* exception thrown in this VM and not caught yet */
	uint8_t has_pending;
	vm2_oid intr[I_N];  /* the realm's intrinsics, VM2_NIL until first use */
} vm2_vm;

typedef struct vm2_mod {
	unsigned vm;  /* VM that required it */
	unsigned cap; /* one capability bit */
} vm2_mod;

/* A value sandbox code holds (an `obj` resource of the scenario). */
typedef struct vm2_held {
	uint8_t vm;
	vm2_oid obj;
} vm2_held;

/* A promise job: call cb (in VM vm) with value; wrapped: through the membrane. */
typedef struct vm2_job {
	uint8_t vm, wrapped;
	vm2_oid cb, value;
} vm2_job;

typedef enum vm2_event_kind {
	EV_NONE = 0,
	EV_REACH,     /* require reached a module (checked against the reference) */
	EV_EXEC,      /* child_process ran (checked against the reference) */
	EV_FSWRITE,   /* fs wrote (checked against the reference) */
	EV_LEAK,      /* sandbox code can reach a host object that is not its proxy */
	EV_HOSTAUTH,  /* host Function constructor or process reached sandbox code */
	EV_INTEGRITY, /* a sandbox-started write landed on a protected host object */
	EV_IDENTITY,  /* the membrane's identity broken */
} vm2_event_kind;

typedef struct vm2_state {
	unsigned profile;
	uint32_t def;       /* defences on (enum vm2_defence bits) */
	unsigned nvms, nmods, nobj, nheld, njob;
	vm2_oid host_intr[I_N];
	vm2_vm vms[VM2_MAX];
	vm2_mod mods[VM2_MAX];
	vm2_held held[VM2_MAX];
	vm2_job jobs[VM2_MAXJOB];
	vm2_obj obj[VM2_MAXOBJ];
	/* what the last op did, for the oracle: the first event of an op wins */
	vm2_event_kind ev;
	unsigned ev_vm, ev_cap;
	vm2_oid ev_obj;
	char ev_what[128];
} vm2_state;

static inline int vm2_on(const vm2_state *st, enum vm2_defence d)
{
	return (st->def >> d) & 1u;
}

static inline unsigned vm2_realm(unsigned vm)
{
	return vm + 1;
}

/* ---- membrane.c: heap, realms, properties, wrap and unwrap, sanitizing ---- */

/* Allocates an object of realm with kind and prototype; returns its id or VM2_NIL
 * (heap full: the op fails). */
vm2_oid vm2_alloc(vm2_state *st, unsigned realm, unsigned kind, vm2_oid proto);
/* The intrinsic which of realm (0 host, v + 1), created on first use; VM2_NIL when the
 * heap is full or the realm has none (no `process` in a class VM realm). */
vm2_oid vm2_intrinsic(vm2_state *st, unsigned realm, unsigned which);
/* Own slot of o for key, or NULL. */
vm2_slot *vm2_own(vm2_state *st, vm2_oid o, unsigned key);
/* Plain [[Get]] in o's own realm: own slots, implied intrinsic properties, then the
 * prototype chain. Stops at a proxy on the chain and returns it in *trap (else
 * VM2_NIL); *getter receives an accessor's getter (the caller calls it). */
vm2_oid vm2_lookup(vm2_state *st, vm2_oid o, unsigned key, vm2_oid *trap, vm2_oid *getter,
		   vm2_oid *setter);
/* Defines (or replaces) own data property key of o; a raw foreign value landing in a
 * sandbox object is a leak. Returns 0, or -1 when o has no free slot. */
int vm2_store(vm2_state *st, vm2_oid o, unsigned key, vm2_oid val, const char *how);
int vm2_store_accessor(vm2_state *st, vm2_oid o, unsigned key, vm2_oid get, vm2_oid set);

/* wrap: a host-realm value as VM v's code sees it (host -> sandbox); handler is the one
 * of the proxy it was read through (read-only and protected are inherited). */
vm2_oid vm2_wrap(vm2_state *st, unsigned v, vm2_oid x, unsigned handler);
/* unwrap: a value of VM v's code as host code sees it (sandbox -> host). */
vm2_oid vm2_unwrap(vm2_state *st, unsigned v, vm2_oid x);
/* A thrown host value converted for VM v (handleException): host errors become sandbox
 * errors, their cause/errors converted recursively (D_ERROR_FIELDS) with a per-pass
 * memo (D_MEMO); other values are wrapped. */
vm2_oid vm2_sanitize(vm2_state *st, unsigned v, vm2_oid e);

/* 1 when VM v's code may hold x: its own realm's objects and its membrane's proxies. */
int vm2_may_hold(const vm2_state *st, unsigned v, vm2_oid x);
/* Records that x is now reachable by VM v's code through channel `how`: a host
 * Function constructor or process (raw or proxied) is host authority; anything v may
 * not hold is a leak. Returns x. */
vm2_oid vm2_deliver(vm2_state *st, unsigned v, vm2_oid x, const char *how);
/* A write started by VM v's code landed on host object t: flags it when t is protected
 * (host intrinsic, or exposed read-only, or exposed protected and val is a function). */
void vm2_landed(vm2_state *st, unsigned v, vm2_oid t, vm2_oid val, const char *how);
/* Records the op's event (the first one of an op wins). */
void vm2_event(vm2_state *st, vm2_event_kind ev, unsigned v, vm2_oid o, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* One-line description of object o ("host Function constructor", "proxy#12 of host
 * Error#7"), into buf. */
const char *vm2_describe_obj(const vm2_state *st, vm2_oid o, char *buf, size_t len);
/* Membrane invariants over the whole heap (identity maps, pairing); 0 or -1 with a
 * reason in why. For tests. */
int vm2_membrane_check(vm2_state *st, char *why, size_t len);
/* Starts the membrane part of a run: no objects, host intrinsics unset. */
void vm2_membrane_reset(vm2_state *st);
/* Initializes the realm of a new VM v. */
void vm2_realm_init(vm2_state *st, unsigned v);

/* ---- channels.c: calls, exceptions, promise jobs, host algorithms ---- */

enum vm2_via { VIA_DIRECT = 0, VIA_CALL, VIA_APPLY, VIA_BIND, VIA_REFLECT, VIA_NEW,
	       VIA_REFLECT_CONSTRUCT, VIA_N };
enum vm2_site { SITE_PLAIN = 0, SITE_REJECT, SITE_ASYNCGEN, SITE_N };
enum vm2_alg { ALG_MAP = 0, ALG_THEN, ALG_INSPECT, ALG_STACK, ALG_STRING, ALG_N };
enum vm2_method { M_THEN = 0, M_CATCH, M_FINALLY, M_N };

/* Sandbox code of VM v calls f with this and one argument (via: how). Returns 0 and the
 * result in *out, or -1 when it throws (the VM's pending exception is set) or f is not
 * callable. */
int vm2_call(vm2_state *st, unsigned v, vm2_oid f, vm2_oid self, vm2_oid arg, unsigned via,
	     vm2_oid *out, esc_ctx *ctx);
/* Sandbox code of VM v reads o[key] (through traps and getters). Returns 0 or -1. */
int vm2_get(vm2_state *st, unsigned v, vm2_oid o, unsigned key, vm2_oid *out, esc_ctx *ctx);
/* Sandbox code of VM v runs o[key] = val. Returns 0 or -1 (refused: a TypeError). */
int vm2_set(vm2_state *st, unsigned v, vm2_oid o, unsigned key, vm2_oid val, esc_ctx *ctx);
/* Sandbox code of VM v runs o.then/catch/finally(cb) through via. */
int vm2_invoke(vm2_state *st, unsigned v, vm2_oid o, unsigned method, vm2_oid cb,
	       unsigned via, vm2_oid *out, esc_ctx *ctx);
/* Runs every pending promise job. */
void vm2_run_jobs(vm2_state *st, esc_ctx *ctx);
/* Catches VM v's pending exception at a catch site; -1 when nothing is pending. */
int vm2_catch(vm2_state *st, unsigned v, unsigned site, vm2_oid *out, esc_ctx *ctx);
/* The embedder's host API runs algorithm alg on what sandbox code of VM v passed. */
int vm2_host_alg(vm2_state *st, unsigned v, vm2_oid o, unsigned alg, vm2_oid *out,
		 esc_ctx *ctx);
/* Sandbox code of VM v runs Object.defineProperty(o, key, {get|set: fn}). */
int vm2_define(vm2_state *st, unsigned v, vm2_oid o, unsigned key, int setter, vm2_oid fn,
	       esc_ctx *ctx);
/* Sandbox code of VM v runs o.__lookupGetter__(key) (how 0), __lookupSetter__ (1) or
 * Object.getOwnPropertyDescriptor(o, key) (2: the getter or the value). */
int vm2_lookup_op(vm2_state *st, unsigned v, vm2_oid o, unsigned key, unsigned how,
		  vm2_oid *out, esc_ctx *ctx);
/* Sets VM v's pending exception. */
void vm2_throw(vm2_state *st, unsigned v, vm2_oid e);

/* ---- nesting.c ---- */

/* "{vm2, fs}" into buf. */
void vm2_caps_str(unsigned caps, char *buf, size_t len);

/* ---- emit_js.c ---- */

/* Writes s as a Node.js program (the target's emit_js hook). */
int vm2_emit_js(const esc_scn *s, FILE *out, char *err, size_t errlen);

extern const char *const vm2_key_names[K_NKEYS];
/* Profile names in enum vm2_profile order (profiles.c). */
extern const char *const vm2_profile_names[VM2_NPROFILES];

#endif

/* vm2model: a model of vm2 (npm package vm2): NodeVM creation and nesting, and the
 * membrane ("bridge") between the host realm and each VM's realm, with one defence switch
 * per escape class of vm2's history (docs: /work/shared/reference/vm2-escape-classes.md).
 *
 * Nesting (nesting.c), as in vm2's lib/nodevm.js:
 *   guard:     throws on option combinations the release refuses (raw options in
 *              3.11.1; after destructuring in 3.11.4; plain-object rule in 3.11.7);
 *   normalize: builds the effective resolver (makeResolverFromLegacyOptions): falsy
 *              require + truthy nesting gives a resolver whose only builtin is vm2;
 *              a truthy require that is not a config object has no fields, so again
 *              only vm2 when nesting is on.
 * Membrane (membrane.c, channels.c): realms with intrinsics, objects, proxies, the wrap
 * and unwrap identity maps, exception sanitizing, and the channels on which host code
 * calls sandbox code. See vm2int.h for the object model and its invariants.
 *
 * The oracle keeps the reference authority of every VM (the embedder's grants for a root
 * VM; what a nested VM asked for intersected with its parent's reference) and flags:
 *   privilege-amplification / policy-bypass: a module beyond that reference is reached;
 *   host-execution:      the host Function constructor or host `process` reaches sandbox
 *                        code (raw or proxied), or child_process runs beyond the grants;
 *   reference-leak:      sandbox code can reach a host object that is not its own
 *                        membrane's proxy (as a value, a callback argument, a caught
 *                        exception, or stored into a sandbox object); also the membrane's
 *                        identity broken (sanitizing the same host error twice in one
 *                        pass gives different values);
 *   integrity-violation: a sandbox-started write lands on a protected host object (a host
 *                        intrinsic, or a host object exposed read-only or protected), or
 *                        fs writes beyond the grants.
 *
 * Profiles: a profile is a nesting release (which guard) plus a set of defences. hardened
 * has every defence on and bounds a nested VM's grants by its parent's. The four nesting
 * release profiles keep every membrane defence on: they model the nesting bugs only. One
 * profile per membrane class is hardened with exactly that defence off. The "-all"
 * profiles group what a real release lacked (nesting guard and membrane fixes together),
 * from vm2's CHANGELOG and the advisory IDs each release's source cites.
 */
#ifndef ESCAPADE_VM2MODEL_H
#define ESCAPADE_VM2MODEL_H

#include <stdint.h>

#include "escapade/scenario.h"

extern const esc_target vm2model_target;

/* Profiles, in the order of vm2model_target.profiles. The first five are the nesting
 * profiles of the first model (their behaviour is fixed by the nesting regressions). */
enum vm2_profile {
	VM2_HARDENED = 0,
	VM2_3_11_0,  /* before GHSA-8hg8-63c5-gwmx */
	VM2_3_11_1,  /* GHSA-m4wx-m65x-ghrr open */
	VM2_3_11_4,  /* GHSA-8hr7-r645-pc6w open */
	VM2_3_11_7,  /* all three fixed; nesting + explicit require object still a hatch */
	VM2_NRELEASES,
	/* one membrane defence off each (hardened otherwise) */
	VM2_P_CTOR = VM2_NRELEASES,
	VM2_P_THROW,
	VM2_P_BRIDGE_THROW,
	VM2_P_DESC_PROTO,
	VM2_P_LOOKUP,
	VM2_P_CACHED_CALL,
	VM2_P_CONTAINER,
	VM2_P_SPECIES_ARRAY,
	VM2_P_SPECIES_PROMISE,
	VM2_P_STACK,
	VM2_P_INSPECT,
	VM2_P_THEN,
	VM2_P_INDIRECT,
	VM2_P_ERROR_FIELDS,
	VM2_P_MEMO,
	VM2_P_CATCH_SITES,
	VM2_P_PROTECT,
	VM2_P_RECEIVER,
	VM2_P_BUILTINS,
	/* releases: everything the model's classes say that release lacked */
	VM2_R_3_10_0,
	VM2_R_3_11_1,
	VM2_R_3_11_4,
	VM2_R_3_11_7,
	VM2_NPROFILES
};

/* Membrane defences: bit i is on in hardened. The same order as the per-class profiles
 * (profile VM2_P_CTOR + i turns off bit i). */
enum vm2_defence {
	D_CTOR = 0,      /* issue #32: host Function-family constructors never cross */
	D_THROW,         /* #138 #197 #285: host exceptions converted, rewritten catches sanitized */
	D_BRIDGE_THROW,  /* #174 #224: a throw in the bridge's conversion is caught and re-wrapped
			  * (also: the promise-rejection sanitizer) */
	D_DESC_PROTO,    /* #175: descriptors and handlers the bridge builds have a null prototype */
	D_LOOKUP,        /* #184: accessor lookups map host intrinsic prototypes to sandbox ones */
	D_CACHED_CALL,   /* bridge calls Function.prototype.call/apply cached at start-up */
	D_CONTAINER,     /* GHSA-9qj6-qjgg-37qq: bridge-internal containers written with
			  * defineProperty */
	D_SPECIES_ARRAY, /* GHSA-grj5-jjm8-h35p: host Array methods ignore sandbox species */
	D_SPECIES_PROMISE, /* GHSA-76w7-j9cq-rx2j: host Promise methods ignore sandbox species */
	D_STACK,         /* CVE-2022-36067: sandbox stack formatter sees sandboxed call sites */
	D_INSPECT,       /* CVE-2023-37903: inspect.custom never reaches host util.inspect */
	D_THEN,          /* GHSA-55hx-c926-fr95, CVE-2026-22709: host then/catch/finally callbacks
			  * wrapped (host methods recognized by identity) */
	D_INDIRECT,      /* GHSA-647f-g98j-qq25: that recognition unwinds call/apply/bind */
	D_ERROR_FIELDS,  /* GHSA-m283-3h24-438v: error sanitizing recurses into cause/errors */
	D_MEMO,          /* GHSA-x965-fc75-jpqh: a revisited error yields its replacement */
	D_CATCH_SITES,   /* GHSA-248r-7h7q-cr24: catch sites the rewriter never sees sanitize too */
	D_PROTECT,       /* GHSA-vwrp-x96c-mhwq: host intrinsics are write-protected */
	D_RECEIVER,      /* GHSA-c4cf-2hgv-2qv6: a proxy's set trap honours its receiver */
	D_BUILTINS,      /* GHSA-947f-4v7f-x2v8: '*' never grants a host-passthrough builtin
			  * (module: Module._load loads any builtin) */
	D_NDEFENCES
};
#define D_ALL ((1u << D_NDEFENCES) - 1)

/* Which nesting guard a profile applies (the release's): one of VM2_HARDENED ..
 * VM2_3_11_7. */
unsigned vm2_guard_level(unsigned profile);
/* The membrane defences on in profile (bit set of enum vm2_defence). */
uint32_t vm2_defences(unsigned profile);
/* 1 when profile bounds a nested VM's resolver by its parent's (hardened, per class). */
int vm2_clamps_children(unsigned profile);

/* JavaScript shapes of the `require` option. */
enum vm2_shape {
	SH_UNDEFINED = 0, SH_FALSE, SH_NULL, SH_TRUE, SH_NUMBER, SH_ZERO, SH_STRING,
	SH_EMPTY_STRING, SH_SYMBOL, SH_FUNCTION, SH_ARRAY, SH_DATE, SH_MAP, SH_BOXED,
	SH_OBJECT, SH_NULL_PROTO, SH_RESOLVER, SH_NSHAPES
};

/* JavaScript values of the `nesting` option. */
enum vm2_nest {
	NE_UNDEFINED = 0, NE_FALSE, NE_TRUE, NE_NULL, NE_ZERO, NE_ONE, NE_STRING,
	NE_EMPTY_STRING, NE_OBJECT, NE_NVALUES
};

/* Capabilities a VM can reach through require. */
enum vm2_cap {
	CAP_VM2 = 1u << 0,
	CAP_CHILD_PROCESS = 1u << 1,
	CAP_FS = 1u << 2,
	CAP_PATH = 1u << 3,
	CAP_OS = 1u << 4,
	CAP_MODULE = 1u << 5, /* `module`: Module._load loads any builtin (host passthrough) */
};

/* Values of the `builtin` option, in enum order. */
enum vm2_builtin {
	BI_NONE = 0, BI_FS, BI_CHILD_PROCESS, BI_PATH, BI_OS, BI_FS_PATH, BI_ALL,
	BI_STAR_MINUS_CP, /* ['*', '-child_process']: every safe builtin but child_process */
	BI_NVALUES
};

/* Returns 0 when release `profile` accepts the options, -1 (the constructor throws)
 * otherwise; *why (may be NULL) says which check. Any profile index is accepted: the
 * guard of its release applies (vm2_guard_level). */
int vm2_guard(unsigned profile, enum vm2_shape rq, enum vm2_nest nest, const char **why);
/* Computes the effective resolver's capabilities into *caps for options that passed the
 * guard; builtin is the capability set the config object lists (used only when the shape
 * has fields). Returns 0, or -1 when normalize itself refuses (3.11.7, hardened). */
int vm2_normalize(unsigned profile, enum vm2_shape rq, enum vm2_nest nest, unsigned builtin,
		  unsigned *caps, const char **why);
/* The embedder's intended grants for a root VM with these options. */
unsigned vm2_reference(enum vm2_shape rq, enum vm2_nest nest, unsigned builtin);
int vm2_nest_truthy(enum vm2_nest n);
int vm2_shape_truthy(enum vm2_shape s);
/* Capability set listed by the builtin enum value b (a wildcard lists every safe one). */
unsigned vm2_builtin_caps(unsigned b);
/* Capabilities the builtin value b denies with a '-name' entry. */
unsigned vm2_builtin_deny(unsigned b);
/* The capability a module name stands for (a `node:` prefix is what Node strips), or 0. */
unsigned vm2_module_cap(const char *name);

#endif

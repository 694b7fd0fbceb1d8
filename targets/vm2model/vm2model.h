/* vm2model: a model of vm2's NodeVM creation and nesting, faithful to how vm2 3.11.x
 * checks and normalizes the `require` and `nesting` options, with one profile per
 * release line of the nesting advisories and a hardened profile.
 *
 * Two steps decide what a VM can load, as in vm2's lib/nodevm.js:
 *   guard:     throws on option combinations the release refuses (raw options in
 *              3.11.1; after destructuring in 3.11.4; plain-object rule in 3.11.7);
 *   normalize: builds the effective resolver (makeResolverFromLegacyOptions): falsy
 *              require + truthy nesting gives a resolver whose only builtin is vm2;
 *              a truthy require that is not a config object has no fields, so again
 *              only vm2 when nesting is on.
 * The oracle keeps the reference authority of every VM: the embedder's grants for the
 * root VM, and for a nested VM what it asked for intersected with its parent's
 * reference. Reaching a module outside that set is the divergence.
 */
#ifndef ESCAPADE_VM2MODEL_H
#define ESCAPADE_VM2MODEL_H

#include "escapade/scenario.h"

extern const esc_target vm2model_target;

/* Profiles, in the order of vm2model_target.profiles. */
enum vm2_profile {
	VM2_HARDENED = 0,
	VM2_3_11_0,  /* before GHSA-8hg8-63c5-gwmx */
	VM2_3_11_1,  /* GHSA-m4wx-m65x-ghrr open */
	VM2_3_11_4,  /* GHSA-8hr7-r645-pc6w open */
	VM2_3_11_7,  /* all three fixed; nesting + explicit require object still a hatch */
	VM2_NPROFILES
};

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
};

/* Returns 0 when release `profile` accepts the options, -1 (the constructor throws)
 * otherwise; *why (may be NULL) says which check. */
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
/* Capability set listed by the builtin enum value b. */
unsigned vm2_builtin_caps(unsigned b);

#endif

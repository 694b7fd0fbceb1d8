/* vm2model nesting: the `require` and `nesting` options as vm2 3.11.x checks and
 * normalizes them, the embedder's reference grants, and module names and builtins.
 *
 * Facts modelled (vm2 lib/nodevm.js, lib/resolver-compat.js, lib/builtin.js):
 *  - options are destructured as {require: requireOpts = false, nesting = false}: the
 *    default applies only to undefined, so null, 0 and '' stay what they are;
 *  - `nesting` truthy adds the builtin 'vm2' (host VM/NodeVM classes through the
 *    membrane) to the resolver; sandbox code constructing a NodeVM builds a new
 *    top-level VM in the host from options it chose; nothing of the parent carries over;
 *  - GHSA-8hg8-63c5-gwmx (fixed 3.11.1): {nesting: true, require: false} was accepted;
 *  - GHSA-m4wx-m65x-ghrr (fixed 3.11.4): 3.11.1's check looked at the raw option for
 *    `=== true` / `=== false` only;
 *  - GHSA-8hr7-r645-pc6w (fixed 3.11.7): 3.11.4 accepted any typeof 'object';
 *  - by design in every release: nesting with a plain require object lets the sandbox
 *    build a NodeVM with any builtins. hardened bounds a child's resolver by its parent's;
 *  - builtin '*' expands to the safe builtins; '-name' entries deny; the dangerous
 *    host-passthrough builtins (module, ...) are never granted, in either spelling
 *    (`module`, `node:module`); before 3.11.0 '*' expanded to them (GHSA-947f-4v7f-x2v8).
 */
#include <stdio.h>
#include <string.h>

#include "vm2int.h"

static const struct {
	const char *name;
	unsigned cap;
} modules[] = {
	{ "vm2", CAP_VM2 }, { "child_process", CAP_CHILD_PROCESS }, { "fs", CAP_FS },
	{ "path", CAP_PATH }, { "os", CAP_OS }, { "module", CAP_MODULE },
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

unsigned vm2_module_cap(const char *name)
{
	if (strncmp(name, "node:", 5) == 0)
		name += 5;
	for (unsigned k = 0; k < NMODULES; k++)
		if (strcmp(modules[k].name, name) == 0)
			return modules[k].cap;
	return 0;
}

#define SAFE_ALL (CAP_FS | CAP_CHILD_PROCESS | CAP_PATH | CAP_OS)

unsigned vm2_builtin_caps(unsigned b)
{
	static const unsigned caps[BI_NVALUES] = {
		[BI_NONE] = 0, [BI_FS] = CAP_FS, [BI_CHILD_PROCESS] = CAP_CHILD_PROCESS,
		[BI_PATH] = CAP_PATH, [BI_OS] = CAP_OS, [BI_FS_PATH] = CAP_FS | CAP_PATH,
		[BI_ALL] = SAFE_ALL, [BI_STAR_MINUS_CP] = SAFE_ALL,
	};
	return b < BI_NVALUES ? caps[b] : 0;
}

unsigned vm2_builtin_deny(unsigned b)
{
	return b == BI_STAR_MINUS_CP ? CAP_CHILD_PROCESS : 0;
}

int vm2_nest_truthy(enum vm2_nest n)
{
	return n == NE_TRUE || n == NE_ONE || n == NE_STRING || n == NE_OBJECT;
}

int vm2_shape_truthy(enum vm2_shape s)
{
	return !(s == SH_UNDEFINED || s == SH_FALSE || s == SH_NULL || s == SH_ZERO ||
		 s == SH_EMPTY_STRING);
}

/* typeof x === 'object' && x !== null */
static int shape_is_object(enum vm2_shape s)
{
	return s == SH_ARRAY || s == SH_DATE || s == SH_MAP || s == SH_BOXED || s == SH_OBJECT ||
	       s == SH_NULL_PROTO || s == SH_RESOLVER;
}

/* prototype is Object.prototype or null */
static int shape_is_plain(enum vm2_shape s)
{
	return s == SH_OBJECT || s == SH_NULL_PROTO;
}

/* Only config objects have a `builtin` field to read. */
static int shape_has_fields(enum vm2_shape s)
{
	return shape_is_plain(s) || s == SH_RESOLVER;
}

/* `{require: requireOpts = false} = options` */
static enum vm2_shape destructured(enum vm2_shape s)
{
	return s == SH_UNDEFINED ? SH_FALSE : s;
}

int vm2_guard(unsigned profile, enum vm2_shape rq, enum vm2_nest nest, const char **why)
{
	const char *w = "no check";
	int rc = 0;
	enum vm2_shape d = destructured(rq);
	switch (vm2_guard_level(profile)) {
	case VM2_3_11_0:
		w = "3.11.0 has no nesting guard";
		break;
	case VM2_3_11_1:
		/* the raw option, before the default */
		w = "raw check: nesting === true && require === false";
		if (nest == NE_TRUE && rq == SH_FALSE)
			rc = -1;
		break;
	case VM2_3_11_4:
		w = "nesting requires a Resolver or typeof require === 'object' && !== null";
		if (vm2_nest_truthy(nest) && !shape_is_object(d))
			rc = -1;
		break;
	case VM2_3_11_7:
	case VM2_HARDENED:
	default:
		w = "nesting requires a Resolver or a plain require object";
		if (vm2_nest_truthy(nest) && !(shape_is_plain(d) || d == SH_RESOLVER))
			rc = -1;
		break;
	}
	if (why)
		*why = w;
	return rc;
}

int vm2_normalize(unsigned profile, enum vm2_shape rq, enum vm2_nest nest, unsigned builtin,
		  unsigned *caps, const char **why)
{
	enum vm2_shape d = destructured(rq);
	unsigned vm2 = vm2_nest_truthy(nest) ? CAP_VM2 : 0;
	unsigned level = vm2_guard_level(profile);
	if ((level == VM2_3_11_7 || level == VM2_HARDENED) && vm2 &&
	    !(shape_is_plain(d) || d == SH_RESOLVER)) {
		if (why)
			*why = "normalize refuses a non-plain require with nesting";
		*caps = 0;
		return -1;
	}
	if (d == SH_RESOLVER) {
		*caps = builtin; /* a Resolver is used as given; no vm2 override */
		if (why)
			*why = "require is a Resolver: used as given";
	} else if (!vm2_shape_truthy(d)) {
		*caps = vm2;
		if (why)
			*why = vm2 ? "falsy require + nesting: resolver with builtin vm2 only"
				   : "falsy require: deny-all resolver";
	} else {
		*caps = (shape_has_fields(d) ? builtin : 0) | vm2;
		if (why)
			*why = shape_has_fields(d) ? "config object: its builtins (+ vm2 if nesting)"
						   : "require has no config fields: builtins none (+ vm2 if nesting)";
	}
	return 0;
}

unsigned vm2_reference(enum vm2_shape rq, enum vm2_nest nest, unsigned builtin)
{
	return (shape_has_fields(rq) ? builtin : 0) | (vm2_nest_truthy(nest) ? CAP_VM2 : 0);
}

void vm2_caps_str(unsigned caps, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "{");
	int first = 1;
	for (unsigned k = 0; k < NMODULES && used < len; k++) {
		if (!(caps & modules[k].cap))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", first ? "" : ", ",
					 modules[k].name);
		first = 0;
	}
	if (used < len)
		snprintf(buf + used, len - used, "}");
}

/* dukrealm host side: the API object the host hands each realm (info, make, check, echo,
 * inspect, and realm: the nested-realm factory that bounds a child's grants by its
 * parent's) and the privileged canaries exec and writeFile, which record a divergence when
 * they run for a realm whose reference grants lack them. All run on host threads.
 */
#include <string.h>

#include "dk.h"

static duk_ret_t api_info(duk_context *c)
{
	duk_push_object(c);
	duk_push_string(c, "host");
	duk_put_prop_string(c, -2, "name");
	duk_push_int(c, 27);
	duk_put_prop_string(c, -2, "version");
	return 1;
}

static duk_ret_t api_make(duk_context *c)
{
	duk_push_object(c);
	return 1;
}

static duk_ret_t api_check(duk_context *c)
{
	if (!duk_is_number(c, 0))
		return duk_type_error(c, "check: a number is required");
	duk_dup(c, 0);
	return 1;
}

static duk_ret_t api_echo(duk_context *c)
{
	duk_dup(c, 0);
	return 1;
}

/* A host-side inspector, as util.inspect would: every own property (at most eight), then
 * the name. For a realm object each read goes through the bridge; getters run in its realm. */
static duk_ret_t api_inspect(duk_context *c)
{
	if (!duk_is_object(c, 0))
		return 0;
	duk_enum(c, 0, DUK_ENUM_OWN_PROPERTIES_ONLY | DUK_ENUM_INCLUDE_NONENUMERABLE);
	for (int n = 0; n < 8 && duk_next(c, -1, 1); n++)
		duk_pop_2(c);
	duk_pop(c);
	duk_get_prop_string(c, 0, "name");
	return 1;
}

static unsigned read_grants(duk_context *c)
{
	unsigned req = 0;
	if (!duk_is_object(c, 0))
		return 0;
	duk_get_prop_string(c, 0, "grants");
	if (duk_is_object(c, -1)) {
		duk_size_t n = duk_get_length(c, -1);
		for (duk_size_t i = 0; i < n && i < 8; i++) {
			duk_get_prop_index(c, -1, (duk_uarridx_t)i);
			const char *g = duk_is_string(c, -1) ? duk_get_string(c, -1) : "";
			if (strcmp(g, "exec") == 0)
				req |= DK_CAP_EXEC;
			else if (strcmp(g, "write") == 0)
				req |= DK_CAP_WRITE;
			duk_pop(c);
		}
	}
	duk_pop(c);
	return req;
}

/* The nested-realm factory: sandbox code asks for a child realm with options it chose. */
static duk_ret_t api_realm(duk_context *c)
{
	dk_state *st = dk_state_of(c);
	int parent = dk_principal(st, c);
	int pslot = parent == DK_HOST ? -1 : parent;
	unsigned req = read_grants(c);
	unsigned pgrants = pslot >= 0 ? st->slot[pslot].grants : DK_CAP_ALL;
	unsigned pref = pslot >= 0 ? st->slot[pslot].reference : DK_CAP_ALL;
	unsigned grants = (st->def & DEF_BOUND_NESTING) ? req & pgrants : req;
	unsigned reference = req & pref;
	const char *why = "";
	int s = dk_realm_open(st, c, pslot, grants, reference, req, &why);
	if (s < 0)
		return duk_range_error(c, "realm: %s", why);
	char a[32], b[32], g[32];
	dk_caps_str(req, a, sizeof(a));
	dk_caps_str(pgrants, b, sizeof(b));
	dk_caps_str(grants, g, sizeof(g));
	DK_NOTE(st, "factory: realm#%d asks %s, holds %s -> realm#%d granted %s",
		pslot >= 0 ? st->slot[pslot].id : 0, a, b, st->slot[s].id, g);
	if (grants & ~reference) {
		dk_record(st, ESC_PRIVILEGE_AMPLIFICATION, s, reference, grants,
			  "realm#%d was granted %s but its parent holds %s", st->slot[s].id, g, b);
	}
	st->created = s;
	duk_push_int(c, st->slot[s].id); /* the child's number: code runs in it through ops */
	return 1;
}

static duk_ret_t canary(duk_context *c, unsigned cap, const char *fn)
{
	dk_state *st = dk_state_of(c);
	int p = dk_principal(st, c);
	const char *arg = duk_is_string(c, 0) ? duk_get_string(c, 0) : "?";
	if (p != DK_HOST) {
		const dk_realm *r = &st->slot[p];
		int ok = (r->reference & cap) != 0;
		DK_NOTE(st, "canary: %s(\"%.40s\") runs for realm#%d (%s)", fn, arg, r->id,
			ok ? "granted" : "NOT GRANTED");
		if (!ok)
			dk_record(st, cap == DK_CAP_EXEC ? ESC_HOST_EXECUTION : ESC_INTEGRITY_VIOLATION,
				  p, r->reference, cap, "%s(\"%.40s\")", fn, arg);
	}
	duk_push_string(c, "done");
	return 1;
}

duk_ret_t dk_canary_exec(duk_context *c)
{
	return canary(c, DK_CAP_EXEC, "exec");
}

duk_ret_t dk_canary_write(duk_context *c)
{
	return canary(c, DK_CAP_WRITE, "writeFile");
}

void dk_push_api(duk_context *c)
{
	static const struct {
		const char *name;
		duk_c_function fn;
		duk_idx_t nargs;
	} api[] = {
		{ "info", api_info, 0 }, { "make", api_make, 0 }, { "check", api_check, 1 },
		{ "echo", api_echo, 1 }, { "inspect", api_inspect, 1 }, { "realm", api_realm, 1 },
	};
	duk_push_object(c);
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		duk_push_c_function(c, api[i].fn, api[i].nargs);
		duk_put_prop_string(c, -2, api[i].name);
	}
}

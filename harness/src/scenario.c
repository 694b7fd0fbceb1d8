/* Scenario IR housekeeping: names of verdicts and errors, life cycle of esc_scn,
 * comparison, and validation of scenarios and target tables (the invariants are in
 * escapade/scenario.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/scenario.h"
#include "internal.h"

static const char *const verdict_names[ESC_NVERDICTS] = {
	[ESC_CONTAINED] = "contained",
	[ESC_PRIVILEGE_AMPLIFICATION] = "privilege-amplification",
	[ESC_REFERENCE_LEAK] = "reference-leak",
	[ESC_HOST_EXECUTION] = "host-execution",
	[ESC_POLICY_BYPASS] = "policy-bypass",
	[ESC_FORGED_AUTHORITY] = "forged-authority",
	[ESC_INTEGRITY_VIOLATION] = "integrity-violation",
	[ESC_AUDIT_GAP] = "audit-gap",
};

const char *esc_verdict_name(esc_verdict_kind k)
{
	return (unsigned)k < ESC_NVERDICTS ? verdict_names[k] : "unknown";
}

int esc_verdict_from_name(const char *s)
{
	for (unsigned k = 0; k < ESC_NVERDICTS; k++)
		if (strcmp(s, verdict_names[k]) == 0)
			return (int)k;
	return -1;
}

const char *esc_strerror(int rc)
{
	switch (rc) {
	case 0: return "success";
	case ESC_E_NOMEM: return "out of memory";
	case ESC_E_PARSE: return "parse error";
	case ESC_E_INVALID: return "invalid scenario";
	case ESC_E_TOOBIG: return "too big";
	case ESC_E_IO: return "i/o error";
	case ESC_E_UNAVAILABLE: return "layer unavailable on this machine";
	case ESC_E_USAGE: return "usage error";
	default: return "unknown error";
	}
}

int esc_profile_index(const esc_target *t, const char *s)
{
	for (unsigned i = 0; i < t->nprofiles; i++)
		if (strcmp(t->profiles[i], s) == 0)
			return (int)i;
	return -1;
}

int esc_op_index(const esc_target *t, const char *s)
{
	for (unsigned i = 0; i < t->nops; i++)
		if (strcmp(t->ops[i].name, s) == 0)
			return (int)i;
	return -1;
}

void esc_scn_init(esc_scn *s, const esc_target *t)
{
	memset(s, 0, sizeof(*s));
	s->target = t;
}

void esc_scn_blank(esc_scn *s, const esc_target *t)
{
	s->target = t;
	s->nops = s->nexpect = s->nnotes = 0;
	s->head = s->trailer = NULL;
}

void esc_scn_clear(esc_scn *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nops; i++)
		free(s->ops[i].comment);
	for (unsigned i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->head);
	free(s->trailer);
	/* only the ops that were in use: the whole array is ~28 KiB, and the fuzz loop
	 * clears several scenarios per exec */
	memset(s->ops, 0, s->nops * sizeof(s->ops[0]));
	esc_scn_blank(s, s->target);
}

void esc_scn_clear_tail(esc_scn *s, unsigned n)
{
	for (unsigned i = n; i < s->nops; i++) {
		free(s->ops[i].comment);
		s->ops[i].comment = NULL;
	}
	if (n < s->nops)
		s->nops = n;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : ESC_E_NOMEM;
}

int esc_scn_copy(esc_scn *dst, const esc_scn *src)
{
	esc_scn_clear(dst);
	memcpy(dst, src, sizeof(*dst));
	/* detach every heap pointer before duplicating, so a failure frees only ours */
	for (unsigned i = 0; i < dst->nops; i++)
		dst->ops[i].comment = NULL;
	dst->nnotes = 0;
	dst->head = dst->trailer = NULL;
	int rc = 0;
	for (unsigned i = 0; i < src->nops && !rc; i++)
		rc = dup_opt(&dst->ops[i].comment, src->ops[i].comment);
	for (unsigned i = 0; i < src->nnotes && !rc; i++) {
		rc = dup_opt(&dst->notes[i], src->notes[i]);
		if (!rc)
			dst->nnotes++;
	}
	if (!rc)
		rc = dup_opt(&dst->head, src->head);
	if (!rc)
		rc = dup_opt(&dst->trailer, src->trailer);
	if (rc)
		esc_scn_clear(dst);
	return rc;
}

static int arg_cmp(const esc_arg_desc *d, const esc_arg *a, const esc_arg *b)
{
	if (d->kind == ESC_ARG_STR)
		return strcmp(a->s, b->s);
	return a->i != b->i;
}

int esc_scn_cmp_ops(const esc_scn *a, const esc_scn *b)
{
	if (a->target != b->target || a->nops != b->nops)
		return 1;
	for (unsigned i = 0; i < a->nops; i++) {
		if (a->ops[i].op != b->ops[i].op)
			return 1;
		const esc_op_desc *d = &a->target->ops[a->ops[i].op];
		for (unsigned j = 0; j < d->nargs; j++)
			if (arg_cmp(&d->args[j], &a->ops[i].args[j], &b->ops[i].args[j]))
				return 1;
	}
	return 0;
}

static int str_cmp_opt(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b);
}

int esc_scn_cmp(const esc_scn *a, const esc_scn *b)
{
	if (esc_scn_cmp_ops(a, b) || a->nexpect != b->nexpect || a->nnotes != b->nnotes)
		return 1;
	for (unsigned i = 0; i < a->nexpect; i++)
		if (a->expect[i].profile != b->expect[i].profile ||
		    a->expect[i].kind != b->expect[i].kind)
			return 1;
	for (unsigned i = 0; i < a->nnotes; i++)
		if (str_cmp_opt(a->notes[i], b->notes[i]))
			return 1;
	for (unsigned i = 0; i < a->nops; i++)
		if (str_cmp_opt(a->ops[i].comment, b->ops[i].comment))
			return 1;
	return str_cmp_opt(a->head, b->head) || str_cmp_opt(a->trailer, b->trailer);
}

int esc_scn_find_expect(const esc_scn *s, unsigned profile)
{
	for (unsigned i = 0; i < s->nexpect; i++)
		if (s->expect[i].profile == profile)
			return (int)i;
	return -1;
}

int esc_scn_set_expect(esc_scn *s, unsigned profile, esc_verdict_kind kind)
{
	int at = esc_scn_find_expect(s, profile);
	if (at >= 0) {
		s->expect[at].kind = kind;
		return 0;
	}
	if (s->nexpect >= ESC_MAX_EXPECT)
		return ESC_E_TOOBIG;
	unsigned i = s->nexpect;
	while (i > 0 && s->expect[i - 1].profile > profile) {
		s->expect[i] = s->expect[i - 1];
		i--;
	}
	s->expect[i] = (esc_expect){ .profile = profile, .kind = kind };
	s->nexpect++;
	return 0;
}

int esc_scn_result_used(const esc_scn *s, unsigned i)
{
	for (unsigned k = i + 1; k < s->nops; k++) {
		const esc_op_desc *d = &s->target->ops[s->ops[k].op];
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE && s->ops[k].args[j].i == (int64_t)i)
				return 1;
	}
	return 0;
}

#define WHY(...) (why ? (void)snprintf(why, whylen, __VA_ARGS__) : (void)0)

int esc_scn_validate(const esc_scn *s, char *why, size_t whylen)
{
	const esc_target *t = s->target;
	if (!t) {
		WHY("no target");
		return ESC_E_INVALID;
	}
	if (s->nops > ESC_MAX_OPS) {
		WHY("%u ops, limit %d", s->nops, ESC_MAX_OPS);
		return ESC_E_INVALID;
	}
	for (unsigned i = 0; i < s->nops; i++) {
		if (s->ops[i].op >= t->nops) {
			WHY("op %u: op index %u out of range", i, s->ops[i].op);
			return ESC_E_INVALID;
		}
		const esc_op_desc *d = &t->ops[s->ops[i].op];
		for (unsigned j = 0; j < d->nargs; j++) {
			const esc_arg_desc *ad = &d->args[j];
			const esc_arg *a = &s->ops[i].args[j];
			switch (ad->kind) {
			case ESC_ARG_HANDLE:
				if (a->i < 0 || a->i >= (int64_t)i ||
				    t->ops[s->ops[a->i].op].produces != ad->res) {
					WHY("op %u (%s): argument %s does not name an earlier %s", i,
					    d->name, ad->name, t->res_kinds[ad->res]);
					return ESC_E_INVALID;
				}
				break;
			case ESC_ARG_ENUM:
				if (a->i < 0 || a->i >= (int64_t)ad->nvalues) {
					WHY("op %u (%s): %s out of range", i, d->name, ad->name);
					return ESC_E_INVALID;
				}
				break;
			case ESC_ARG_INT:
				if (a->i < ad->min || a->i > ad->max) {
					WHY("op %u (%s): %s out of [%lld, %lld]", i, d->name, ad->name,
					    (long long)ad->min, (long long)ad->max);
					return ESC_E_INVALID;
				}
				break;
			case ESC_ARG_STR:
				if (memchr(a->s, 0, sizeof(a->s)) == NULL) {
					WHY("op %u (%s): %s unterminated", i, d->name, ad->name);
					return ESC_E_INVALID;
				}
				break;
			default:
				WHY("op %u (%s): bad argument kind", i, d->name);
				return ESC_E_INVALID;
			}
		}
	}
	for (unsigned i = 0; i < s->nexpect; i++)
		if (s->expect[i].profile >= t->nprofiles || s->expect[i].kind >= ESC_NVERDICTS ||
		    (i > 0 && s->expect[i - 1].profile >= s->expect[i].profile)) {
			WHY("expectation %u malformed or out of order", i);
			return ESC_E_INVALID;
		}
	return 0;
}

int esc_target_validate(const esc_target *t, char *why, size_t whylen)
{
	if (!t->name || !t->nops || t->nops > 256 || !t->nprofiles ||
	    t->nprofiles > ESC_MAX_PROFILES || t->ndict >= 255 || t->nres > ESC_MAX_RES) {
		WHY("target %s: bad table sizes", t->name ? t->name : "?");
		return ESC_E_INVALID;
	}
	for (unsigned i = 0; i < t->nops; i++) {
		const esc_op_desc *d = &t->ops[i];
		if (!d->run || d->nargs > ESC_MAX_ARGS ||
		    (d->produces != ESC_NO_RES && d->produces >= t->nres) ||
		    esc_op_index(t, d->name) != (int)i) {
			WHY("op %s: malformed or duplicate", d->name);
			return ESC_E_INVALID;
		}
		int named = 0;
		for (unsigned j = 0; j < d->nargs; j++) {
			const esc_arg_desc *a = &d->args[j];
			int bad = !a->name || a->kind >= ESC_ARG_NKINDS ||
				  (a->positional && named) ||
				  (a->kind == ESC_ARG_HANDLE && (!a->positional || a->res >= t->nres)) ||
				  (a->kind == ESC_ARG_ENUM && (a->nvalues == 0 || a->nvalues > 256)) ||
				  (a->kind == ESC_ARG_INT && a->min > a->max);
			named |= !a->positional;
			if (bad) {
				WHY("op %s: argument %u (%s) malformed (handles and positionals "
				    "come first)", d->name, j, a->name ? a->name : "?");
				return ESC_E_INVALID;
			}
		}
	}
	return 0;
}

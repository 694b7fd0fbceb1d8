/* procjail reference model: what a process that entered a chain of jails may do, decided
 * layer by layer (every jail of the chain must allow it), on the real path the kernel
 * reported. Written apart from the library's flattening and prefix check in policy.c, so
 * a bug there cannot hide in here.
 */
#include <string.h>

#include "procjail.h"

/* Next path component of *p: sets *len and returns its start, advancing *p past it;
 * NULL at the end. Empty components and "." are skipped. */
static const char *component(const char **p, size_t *len)
{
	for (;;) {
		const char *s = *p;
		while (*s == '/')
			s++;
		if (!*s)
			return NULL;
		const char *e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		*p = e;
		*len = (size_t)(e - s);
		if (!(*len == 1 && s[0] == '.'))
			return s;
	}
}

/* 1 when every component of dir matches the leading components of real. */
static int beneath(const char *dir, const char *real)
{
	const char *d = dir, *r = real;
	size_t dl, rl;
	const char *dc;
	while ((dc = component(&d, &dl)) != NULL) {
		const char *rc = component(&r, &rl);
		if (!rc || rl != dl || memcmp(dc, rc, dl) != 0)
			return 0;
	}
	return 1;
}

/* Access bits one jail grants at real. */
static unsigned layer_grants(const pj_policy *p, const char *real)
{
	unsigned g = 0;
	for (unsigned k = 0; k < p->nrules; k++)
		if (p->rules[k].dir < PJ_NDIRS && beneath(pj_dir_paths[p->rules[k].dir], real))
			g |= p->rules[k].access;
	return g;
}

/* 1 for what the kernel names without a path: "pipe:[7]", "socket:[7]", "net:[4026]",
 * "anon_inode:[eventfd]". Such objects have no place in the tree, and no fs rule (nor
 * Landlock) speaks of them; a jailed process only reaches ones it already holds. */
static int pathless(const char *real)
{
	const char *p = real;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	return p > real && p[0] == ':' && p[1] == '[';
}

int pjm_fs(const pj_policy *const *chain, unsigned n, const char *real, unsigned need,
	   unsigned *who)
{
	if (pathless(real) || strncmp(real, "anon_inode:", 11) == 0)
		return 1;
	if (real[0] != '/') { /* anything else that is not a path of the tree */
		*who = 0;
		return 0;
	}
	for (unsigned k = 0; k < n; k++) {
		if (need & ~layer_grants(chain[k], real)) {
			*who = k;
			return 0;
		}
	}
	return 1;
}

int pjm_sys(const pj_policy *const *chain, unsigned n, unsigned sys, unsigned *who)
{
	for (unsigned k = 0; k < n; k++) {
		if (!(chain[k]->sys & (1u << sys))) {
			*who = k;
			return 0;
		}
	}
	return 1;
}

int pjm_prctl(const pj_policy *const *chain, unsigned n, uint64_t arg2, unsigned *who)
{
	for (unsigned k = 0; k < n; k++) {
		if (!(chain[k]->sys & (1u << PJ_SYS_PRCTL)) ||
		    (chain[k]->has_arg && chain[k]->arg2 != arg2)) {
			*who = k;
			return 0;
		}
	}
	return 1;
}

int pjm_connect(const pj_policy *const *chain, unsigned n, unsigned *who)
{
	for (unsigned k = 0; k < n; k++) {
		if (!chain[k]->net || !(chain[k]->sys & (1u << PJ_SYS_CONNECT))) {
			*who = k;
			return 0;
		}
	}
	return 1;
}

uint64_t pjm_nofile(const pj_policy *const *chain, unsigned n, unsigned *who)
{
	uint64_t lim = UINT64_MAX;
	*who = 0;
	for (unsigned k = 0; k < n; k++) {
		if (chain[k]->nofile && chain[k]->nofile < lim) {
			lim = chain[k]->nofile;
			*who = k;
		}
	}
	return lim;
}

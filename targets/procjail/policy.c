/* procjail policy logic, the library side: profile defences, the names of the syscall
 * universe and of the jail tree, policy rendering, the flattening of a nested chain into
 * one rule list (what the broker checks and what a respawned jail gets) and the broker's
 * path normalization and prefix check. The reference model (model.c) shares none of it.
 */
#include <stdio.h>
#include <string.h>

#include "procjail.h"

const char *const pj_profile_names[PJ_NPROFILES] = {
	[PJ_HARDENED] = "hardened",
	[PJ_BROKER_NO_NORMALIZE] = "broker-no-normalize",
	[PJ_BROKER_FOLLOWS_SYMLINK] = "broker-follows-symlink",
	[PJ_NESTED_REPLACES_PARENT] = "nested-replaces-parent",
	[PJ_NO_NNP] = "no-nnp",
	[PJ_SECCOMP_NO_ARCH_CHECK] = "seccomp-no-arch-check",
	[PJ_SECCOMP_ARG_LOW32] = "seccomp-arg-low32",
	[PJ_LANDLOCK_PARENT_WIDENS] = "landlock-parent-widens",
};

/* Each column: normalize, nofollow, stack, respawn chain, exact flatten, nnp, arch, 64-bit */
#define DEF(a, b, c, d, e, f, g, h) { .broker_normalize = a, .broker_nofollow = b, \
	.nest_stack = c, .respawn_chain = d, .flatten_exact = e, .nnp = f, .arch_check = g, \
	.arg_full64 = h }

static const pj_defences defences[PJ_NPROFILES] = {
	[PJ_HARDENED] = DEF(1, 1, 1, 1, 1, 1, 1, 1),
	[PJ_BROKER_NO_NORMALIZE] = DEF(0, 1, 1, 1, 1, 1, 1, 1),
	[PJ_BROKER_FOLLOWS_SYMLINK] = DEF(1, 0, 1, 1, 1, 1, 1, 1),
	/* a nested jail respawns the process with its own policy only */
	[PJ_NESTED_REPLACES_PARENT] = DEF(1, 1, 0, 0, 1, 1, 1, 1),
	[PJ_NO_NNP] = DEF(1, 1, 1, 1, 1, 0, 1, 1),
	[PJ_SECCOMP_NO_ARCH_CHECK] = DEF(1, 1, 1, 1, 1, 1, 0, 1),
	[PJ_SECCOMP_ARG_LOW32] = DEF(1, 1, 1, 1, 1, 1, 1, 0),
	/* a nested jail respawns the process with the chain flattened into one Landlock layer */
	[PJ_LANDLOCK_PARENT_WIDENS] = DEF(1, 1, 0, 1, 0, 1, 1, 1),
};

const pj_defences *pj_profile_defences(unsigned profile)
{
	return &defences[profile < PJ_NPROFILES ? profile : PJ_HARDENED];
}

const char *const pj_sys_names[PJ_NSYS] = {
	[PJ_SYS_OPENAT] = "openat", [PJ_SYS_CONNECT] = "connect", [PJ_SYS_EXECVE] = "execve",
	[PJ_SYS_KILL] = "kill", [PJ_SYS_PTRACE] = "ptrace", [PJ_SYS_UNSHARE] = "unshare",
	[PJ_SYS_MOUNT] = "mount", [PJ_SYS_SETNS] = "setns", [PJ_SYS_PRCTL] = "prctl",
	[PJ_SYS_SECCOMP] = "seccomp",
};

const char *const pj_dir_paths[PJ_NDIRS] = {
	[PJ_DIR_JAIL] = "/jail", [PJ_DIR_PUB] = "/jail/pub", [PJ_DIR_SUB] = "/jail/pub/sub",
	[PJ_DIR_RO] = "/jail/ro", [PJ_DIR_BIN] = "/jail/bin", [PJ_DIR_SECRET] = "/jail/secret",
};

char *pj_access_str(unsigned access, char *buf)
{
	buf[0] = (access & PJ_R) ? 'r' : '-';
	buf[1] = (access & PJ_W) ? 'w' : '-';
	buf[2] = (access & PJ_X) ? 'x' : '-';
	buf[3] = 0;
	return buf;
}

void pj_policy_str(const pj_policy *p, char *buf, size_t len)
{
	size_t used = 0;
	char acc[4];
#define PUT(...) do { \
		if (used < len) \
			used += (size_t)snprintf(buf + used, len - used, __VA_ARGS__); \
	} while (0)
	PUT("sys{");
	const char *sep = "";
	for (unsigned s = 0; s < PJ_NSYS; s++) {
		if (p->sys & (1u << s)) {
			PUT("%s%s", sep, pj_sys_names[s]);
			sep = ",";
		}
	}
	PUT("} fs{");
	for (unsigned k = 0; k < p->nrules; k++)
		PUT("%s%s:%s", k ? "," : "", pj_dir_paths[p->rules[k].dir],
		    pj_access_str(p->rules[k].access, acc));
	PUT("}%s", p->net ? " net" : "");
	if (p->has_arg)
		PUT(" prctl.arg2==%llu", (unsigned long long)p->arg2);
	if (p->nofile)
		PUT(" nofile=%u", (unsigned)p->nofile);
#undef PUT
}

int pj_policy_add_rule(pj_policy *p, unsigned dir, unsigned access)
{
	for (unsigned k = 0; k < p->nrules; k++) {
		if (p->rules[k].dir == dir) {
			p->rules[k].access |= (uint8_t)access;
			return 0;
		}
	}
	if (p->nrules >= PJ_MAX_RULES)
		return -1;
	p->rules[p->nrules++] = (pj_rule){ .dir = (uint8_t)dir, .access = (uint8_t)access };
	return 0;
}

/* 1 when directory a is b or one of b's ancestors. */
static int dir_covers(unsigned a, unsigned b)
{
	const char *pa = pj_dir_paths[a], *pb = pj_dir_paths[b];
	size_t n = strlen(pa);
	return strncmp(pa, pb, n) == 0 && (pb[n] == '\0' || pb[n] == '/');
}

static unsigned add_flat(pj_rule *out, unsigned n, unsigned max, unsigned dir, unsigned acc)
{
	for (unsigned k = 0; k < n; k++) {
		if (out[k].dir == dir) {
			out[k].access |= (uint8_t)acc;
			return n;
		}
	}
	if (n < max)
		out[n++] = (pj_rule){ .dir = (uint8_t)dir, .access = (uint8_t)acc };
	return n;
}

unsigned pj_flatten(const pj_policy *const *chain, unsigned n, int exact, pj_rule *out,
		    unsigned max)
{
	pj_rule cur[PJ_MAX_FLAT], next[PJ_MAX_FLAT];
	unsigned ncur = 0;
	if (n == 0)
		return 0;
	for (unsigned k = 0; k < chain[0]->nrules; k++)
		ncur = add_flat(cur, ncur, PJ_MAX_FLAT, chain[0]->rules[k].dir, chain[0]->rules[k].access);
	for (unsigned layer = 1; layer < n; layer++) {
		const pj_policy *p = chain[layer];
		unsigned nn = 0;
		for (unsigned i = 0; i < ncur; i++) {
			for (unsigned j = 0; j < p->nrules; j++) {
				unsigned a = cur[i].dir, b = p->rules[j].dir;
				unsigned acc = cur[i].access & p->rules[j].access;
				if (!acc)
					continue;
				if (dir_covers(a, b)) /* the new rule is at or below the old one */
					nn = add_flat(next, nn, PJ_MAX_FLAT, b, acc);
				else if (dir_covers(b, a)) /* the new rule names a parent directory */
					nn = add_flat(next, nn, PJ_MAX_FLAT, exact ? a : b, acc);
			}
		}
		memcpy(cur, next, nn * sizeof(next[0]));
		ncur = nn;
	}
	unsigned w = ncur < max ? ncur : max;
	memcpy(out, cur, w * sizeof(cur[0]));
	return w;
}

int pj_normalize(const char *path, char *out, size_t len)
{
	size_t starts[ESC_MAX_STR + 1];
	unsigned depth = 0;
	size_t used = 0;
	if (path[0] != '/' || len < 2)
		return -1;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (depth == 0)
				return -1;
			used = starts[--depth];
		} else {
			if (depth > ESC_MAX_STR || n + 1 >= len - used)
				return -1;
			starts[depth++] = used;
			out[used++] = '/';
			memcpy(out + used, p, n);
			used += n;
		}
		p = e;
	}
	if (used == 0)
		out[used++] = '/';
	out[used] = 0;
	return 0;
}

int pj_rules_allow(const pj_rule *rules, unsigned n, const char *path, unsigned need)
{
	unsigned granted = 0;
	for (unsigned k = 0; k < n; k++) {
		const char *d = pj_dir_paths[rules[k].dir];
		size_t len = strlen(d);
		if (strncmp(path, d, len) == 0 && (path[len] == '\0' || path[len] == '/'))
			granted |= rules[k].access;
	}
	return (need & ~granted) == 0;
}

/* procjail oracle: after every op, compares what the kernel or the broker let the
 * jailed process do with the reference model (model.c) down its chain, checks the
 * canaries and the process's capabilities; and the pictures of the jail tree.
 */
#include <stdio.h>
#include <string.h>

#include "jailstate.h"

/* 1 when the chain allows what ev says happened; *who is the first jail denying it. */
static int allowed(const pj_event *ev, const pj_policy *const *chain, unsigned n, unsigned *who)
{
	switch (ev->kind) {
	case EV_SYS:
		return pjm_sys(chain, n, ev->sys, who);
	case EV_PRCTL:
		return pjm_prctl(chain, n, ev->arg2, who);
	case EV_CONNECT:
		return pjm_connect(chain, n, who);
	case EV_FS:
		for (unsigned k = 0; k < ev->npaths; k++)
			if (!pjm_fs(chain, n, ev->path[k], ev->need, who))
				return 0;
		return 1;
	case EV_EXEC:
		return pjm_sys(chain, n, PJ_SYS_EXECVE, who) && pjm_fs(chain, n, ev->path[0], PJ_X, who);
	case EV_RLIMIT: {
		uint64_t lim = pjm_nofile(chain, n, who);
		return (uint64_t)ev->val <= lim && !(ev->raised && (uint64_t)ev->val + 1 > lim);
	}
	default:
		return 1;
	}
}

int pj_check(void *state, unsigned step, esc_verdict *v)
{
	pj_state *st = state;
	pj_event *ev = &st->ev;
	unsigned ids[PJ_MAX_JAILS], who = 0;
	const pj_policy *chain[PJ_MAX_JAILS];
	char why[160], pol[200];
	int flagged = 0;
	if (!ev->acted)
		return 0;
	int cur = st->current;
	unsigned n = cur >= 0 ? pj_policies(st, ids, pj_ancestors(st, cur, ids), chain) : 0;
	pj_chain_str(st, cur, v->chain, sizeof(v->chain));
	if (!pj_canaries_ok(why, sizeof(why))) {
		v->kind = ESC_INTEGRITY_VIOLATION;
		snprintf(v->expected, sizeof(v->expected),
			 "/canary and /host/secret untouched, nothing new outside /jail");
		snprintf(v->actual, sizeof(v->actual), "%s", why);
		snprintf(v->summary, sizeof(v->summary), "host state outside the jail tree changed: %s",
			 why);
		flagged = 1;
	} else if (n && (ev->caps > 0 ||
			 (ev->kind == EV_EXEC && ev->val == 1 && allowed(ev, chain, n, &who)))) {
		/* the model: no process in any jail holds a capability, before or after execve */
		v->kind = ESC_PRIVILEGE_AMPLIFICATION;
		snprintf(v->expected, sizeof(v->expected), "no capabilities in any jail");
		if (ev->caps > 0)
			snprintf(v->actual, sizeof(v->actual), "effective capabilities %#llx after entering",
				 (unsigned long long)ev->caps);
		else
			snprintf(v->actual, sizeof(v->actual), "%s", ev->what);
		snprintf(v->summary, sizeof(v->summary),
			 "a process of jail#%d %s: capabilities the jail dropped came back", cur + 1,
			 ev->caps > 0 ? "holds capabilities after entering" :
			 "executed a program that holds capabilities");
		flagged = 1;
	} else if (n && !allowed(ev, chain, n, &who)) {
		/* the running jail's own policy allows it, an ancestor's does not: amplification */
		const pj_policy *self[1] = { chain[n - 1] };
		unsigned w2;
		int own = allowed(ev, self, 1, &w2);
		v->kind = own ? ESC_PRIVILEGE_AMPLIFICATION : ESC_POLICY_BYPASS;
		pj_policy_str(chain[who], pol, sizeof(pol));
		snprintf(v->expected, sizeof(v->expected), "denied by jail#%u: %.120s", ids[who] + 1, pol);
		snprintf(v->actual, sizeof(v->actual), "%s", ev->what);
		if (own)
			snprintf(v->summary, sizeof(v->summary),
				 "jail#%d, nested in jail#%u, did what jail#%u denies: %.140s", cur + 1,
				 ids[n - 2] + 1, ids[who] + 1, ev->what);
		else
			snprintf(v->summary, sizeof(v->summary), "jail#%d did what its policy denies: %.150s",
				 cur + 1, ev->what);
		flagged = 1;
	}
	memset(ev, 0, sizeof(*ev));
	return flagged;
}

static void describe_jail(const pj_state *st, unsigned j, unsigned depth, esc_ctx *ctx)
{
	char pol[200], ind[2 * PJ_MAX_JAILS + 1];
	unsigned d = depth < PJ_MAX_JAILS ? depth : PJ_MAX_JAILS;
	memset(ind, ' ', 2 * d);
	ind[2 * d] = 0;
	pj_policy_str(&st->jails[j].pol, pol, sizeof(pol));
	esc_note(ctx, "%s└─ jail#%u %s%s%s", ind, j + 1, pol, st->jails[j].entered ? " [entered]" : "",
		 st->current == (int)j ? " <- the process runs here" : "");
	for (unsigned c = 0; c < st->njails; c++)
		if (st->jails[c].parent == (int)j)
			describe_jail(st, c, depth + 1, ctx);
}

void pj_describe(void *state, esc_ctx *ctx)
{
	const pj_state *st = state;
	esc_note(ctx, "host (profile %s)", pj_profile_names[st->profile]);
	for (unsigned j = 0; j < st->njails; j++)
		if (st->jails[j].parent < 0)
			describe_jail(st, j, 0, ctx);
}

unsigned pj_principals(void *state, esc_principal *out, unsigned max)
{
	const pj_state *st = state;
	unsigned n = st->njails < max ? st->njails : max;
	for (unsigned j = 0; j < n; j++) {
		char pol[200];
		pj_policy_str(&st->jails[j].pol, pol, sizeof(pol));
		snprintf(out[j].name, sizeof(out[j].name), "jail#%u", j + 1);
		out[j].parent = st->jails[j].parent < (int)n ? st->jails[j].parent : -1;
		snprintf(out[j].label, sizeof(out[j].label), "%.90s", pol);
	}
	return n;
}

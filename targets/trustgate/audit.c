/* trustgate audit log: one record per boundary crossing, allowed or denied, chained by
 * BLAKE2b (hash[i] = H(hash[i-1] || bytes(rec[i])), hash[-1] a fixed genesis value), so a
 * changed byte, a removed record or two swapped records break verification.
 */
#include <sodium.h>
#include <string.h>

#include "trustgate.h"

#define REC_BYTES (4 * 3 + 5 + 8 + TG_ID_MAX)

const char *const tg_reason_names[TG_R_NREASONS] = {
	[TG_R_OK] = "ok",
	[TG_R_MALFORMED] = "malformed",
	[TG_R_POLICY] = "policy",
	[TG_R_SIGNATURE] = "signature",
	[TG_R_REPLAY] = "replay",
	[TG_R_MISSING] = "missing-part",
	[TG_R_TOKEN] = "capability",
	[TG_R_REVOKED] = "revoked",
};

static const uint8_t *genesis(void)
{
	static uint8_t g[32];
	static int ready;
	if (!ready) {
		static const char label[] = "escapade/trustgate audit genesis";
		crypto_generichash(g, sizeof(g), (const unsigned char *)label, sizeof(label) - 1,
				   NULL, 0);
		ready = 1;
	}
	return g;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

/* The record's canonical bytes: fixed layout, no struct padding. */
static void encode(const tg_record *r, uint8_t out[REC_BYTES])
{
	put32(out, r->seq);
	put32(out + 4, r->clock);
	put32(out + 8, r->msg_id);
	out[12] = r->type;
	out[13] = r->from;
	out[14] = r->to;
	out[15] = r->allow;
	out[16] = r->reason;
	memcpy(out + 17, r->wire, 8);
	memset(out + 25, 0, TG_ID_MAX);
	memcpy(out + 25, r->token, strnlen(r->token, TG_ID_MAX));
}

static void link_hash(const uint8_t prev[32], const tg_record *r, uint8_t out[32])
{
	uint8_t bytes[REC_BYTES];
	crypto_generichash_state s;
	encode(r, bytes);
	crypto_generichash_init(&s, NULL, 0, 32);
	crypto_generichash_update(&s, prev, 32);
	crypto_generichash_update(&s, bytes, sizeof(bytes));
	crypto_generichash_final(&s, out, 32);
}

void tg_audit_init(tg_audit *a)
{
	a->n = 0;
}

int tg_audit_append(tg_audit *a, const tg_record *r)
{
	if (a->n >= TG_AUDIT_MAX)
		return -1;
	tg_record *dst = &a->rec[a->n];
	*dst = *r;
	dst->seq = a->n;
	link_hash(a->n ? a->hash[a->n - 1] : genesis(), dst, a->hash[a->n]);
	a->n++;
	return 0;
}

int tg_audit_verify(const tg_audit *a, unsigned from)
{
	uint8_t h[32];
	if (a->n > TG_AUDIT_MAX)
		return 0;
	for (unsigned i = from; i < a->n; i++) {
		if (a->rec[i].seq != i)
			return (int)i;
		link_hash(i ? a->hash[i - 1] : genesis(), &a->rec[i], h);
		if (sodium_memcmp(h, a->hash[i], sizeof(h)) != 0)
			return (int)i;
	}
	return -1;
}

const uint8_t *tg_audit_head(const tg_audit *a)
{
	return a->n ? a->hash[a->n - 1] : genesis();
}

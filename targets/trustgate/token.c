/* trustgate tokens and wire: the fixed-seed keys and seeded randomness, memoized Ed25519,
 * capability macaroons through libmacaroons (issue, attenuate, discharge, bind), the
 * packet-level edits a compromised holder makes, and the signed wire format of a message.
 */
#include <macaroons.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "trustgate.h"

#define LOC_GATE "gate"
#define LOC_B "b"
#define SEED_LABEL "escapade/trustgate fixed seed v1" /* 32 bytes: a BLAKE2b key */
#define MAX_PACKETS 96
#define RAW_MAX (TG_BLOB_MAX * 3 / 4 + 4)

const char *const tg_principal_names[TG_NPRINC] = { "orch", "a", "b", "c" };
const char *const tg_level_names[TG_NPRINC] = { "control", "generate", "review", "execute" };
const char *const tg_msg_names[TG_NMSG] = {
	"read", "grant", "delegate", "submit", "discharge", "run", "revoke",
};

static void derive(const char *what, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)what, strlen(what),
			   (const unsigned char *)SEED_LABEL, sizeof(SEED_LABEL) - 1);
}

/* ---- deterministic randomness ----
 * libmacaroons draws the nonce of a third-party caveat from randombytes_buf. A verdict
 * must depend only on the scenario, and traces should be identical run to run, so
 * randombytes is a ChaCha20 stream under a fixed key, rewound at every reset. This is
 * process-wide: in a process that links trustgate, libsodium's randomness is seeded. */
static uint8_t rng_key[32];
static uint64_t rng_counter;

static void rng_buf(void *buf, size_t n)
{
	uint8_t nonce[8];
	for (int k = 0; k < 8; k++)
		nonce[k] = (uint8_t)(rng_counter >> (8 * k));
	rng_counter++;
	crypto_stream_chacha20(buf, n, nonce, rng_key);
}

static uint32_t rng_random(void)
{
	uint32_t v;
	rng_buf(&v, sizeof(v));
	return v;
}

static uint32_t rng_uniform(const uint32_t upper)
{
	if (upper < 2)
		return 0;
	uint32_t min = (1u + ~upper) % upper, r;
	do
		r = rng_random();
	while (r < min);
	return r % upper;
}

static void rng_stir(void)
{
}

static int rng_close(void)
{
	return 0;
}

static const char *rng_name(void)
{
	return "escapade-trustgate-seeded";
}

static randombytes_implementation rng = {
	.implementation_name = rng_name, .random = rng_random, .stir = rng_stir,
	.uniform = rng_uniform, .buf = rng_buf, .close = rng_close,
};

void tg_rng_rewind(void)
{
	rng_counter = 0;
}

/* ---- Ed25519, memoized ----
 * Fuzz inputs share long prefixes, so the same messages are signed and checked again and
 * again. Both are pure functions of their inputs; a small direct-mapped memo (keyed by a
 * 128-bit hash of key, message and signature) returns the same answer as recomputing,
 * so no outcome depends on it. */
#define MEMO_SLOTS 16384
#if defined(__clang__)
/* A memo hit or miss must not look like new coverage to the fuzzer. */
#define TG_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define TG_NO_COVERAGE
#endif
typedef struct memo {
	uint8_t key[16];
	uint8_t sig[64];
	uint8_t full;  /* 1: slot in use */
	uint8_t valid; /* verify memo: the signature verified */
} memo;
static memo sign_memo[MEMO_SLOTS], verify_memo[MEMO_SLOTS];

TG_NO_COVERAGE static memo *memo_slot(memo *table, const uint8_t *k1, size_t n1, const uint8_t *k2, size_t n2,
		       const uint8_t *m, size_t n, uint8_t key[16])
{
	crypto_generichash_state s;
	crypto_generichash_init(&s, NULL, 0, 16);
	crypto_generichash_update(&s, k1, n1);
	crypto_generichash_update(&s, k2, n2);
	crypto_generichash_update(&s, m, n);
	crypto_generichash_final(&s, key, 16);
	memo *slot = &table[(key[0] | key[1] << 8) % MEMO_SLOTS];
	uint8_t diff = (uint8_t)!slot->full;
	for (int i = 0; i < 16; i++) /* not memcmp: its interceptor feeds the fuzzer */
		diff |= slot->key[i] ^ key[i];
	return diff ? NULL : slot;
}

TG_NO_COVERAGE void tg_sign(const uint8_t sk[64], const uint8_t *m, size_t n, uint8_t sig[64])
{
	uint8_t key[16];
	memo *hit = memo_slot(sign_memo, sk, 64, NULL, 0, m, n, key);
	if (hit) {
		memcpy(sig, hit->sig, 64);
		return;
	}
	crypto_sign_detached(sig, NULL, m, n, sk);
	memo *slot = &sign_memo[(key[0] | key[1] << 8) % MEMO_SLOTS];
	memcpy(slot->key, key, 16);
	memcpy(slot->sig, sig, 64);
	slot->full = 1;
}

TG_NO_COVERAGE int tg_verify(const uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t pk[32])
{
	uint8_t key[16];
	memo *hit = memo_slot(verify_memo, pk, 32, sig, 64, m, n, key);
	if (hit)
		return hit->valid ? 0 : -1;
	int rc = crypto_sign_verify_detached(sig, m, n, pk);
	memo *slot = &verify_memo[(key[0] | key[1] << 8) % MEMO_SLOTS];
	memcpy(slot->key, key, 16);
	slot->valid = rc == 0;
	slot->full = 1;
	return rc == 0 ? 0 : -1;
}

int tg_keys_derive(tg_keys *k)
{
	static int rng_ready;
	if (!rng_ready) {
		derive("randombytes stream", rng_key);
		randombytes_set_implementation(&rng);
		rng_ready = 1;
	}
	if (sodium_init() < 0)
		return -1;
	for (unsigned p = 0; p < TG_NPRINC; p++) {
		char label[32];
		uint8_t seed[32];
		snprintf(label, sizeof(label), "ed25519 %s", tg_principal_names[p]);
		derive(label, seed);
		crypto_sign_seed_keypair(k->pk[p], k->sk[p], seed);
	}
	derive("macaroon root key", k->root);
	derive("orch-b third-party secret", k->tp);
	return 0;
}

void tg_caveat_key(const tg_keys *k, const char *id, uint8_t key[32])
{
	crypto_generichash(key, 32, (const unsigned char *)id, strlen(id), k->tp, sizeof(k->tp));
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

void tg_code_hash(const char *code, char out[TG_HEX_MAX])
{
	uint8_t h[16];
	crypto_generichash(h, sizeof(h), (const unsigned char *)code, strlen(code), NULL, 0);
	hex(h, sizeof(h), out);
}

/* ---- macaroons ---- */

static struct macaroon *load(const tg_blob *b)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	if (b->n == 0 || memchr(b->s, 0, b->n) != NULL)
		return NULL;
	return macaroon_deserialize(b->s, &err);
}

/* Serializes m into out. Returns 0, or -2 when it does not fit. */
static int store(const struct macaroon *m, tg_blob *out)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	if (macaroon_serialize_size_hint(m) > sizeof(out->s))
		return -2;
	if (macaroon_serialize(m, out->s, sizeof(out->s), &err) < 0)
		return -1;
	out->n = (unsigned)strlen(out->s);
	return 0;
}

/* Adds a first-party caveat and frees m; NULL (m freed) on failure. */
static struct macaroon *add1(struct macaroon *m, const char *pred)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	if (!m)
		return NULL;
	struct macaroon *n = macaroon_add_first_party_caveat(m, (const unsigned char *)pred,
							     strlen(pred), &err);
	macaroon_destroy(m);
	return n;
}

int tg_tok_issue(const uint8_t key[32], const tg_keys *k, unsigned serial, unsigned aud,
		 unsigned actions, const char *resource, uint32_t expiry, int once, tg_blob *out)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	char id[TG_ID_MAX], pred[TG_STR_MAX + 32];
	snprintf(id, sizeof(id), "tok#%u", serial);
	struct macaroon *m = macaroon_create((const unsigned char *)LOC_GATE, strlen(LOC_GATE), key,
					     32, (const unsigned char *)id, strlen(id), &err);
	size_t used = (size_t)snprintf(pred, sizeof(pred), "agent in ");
	int first = 1;
	for (unsigned p = 0; p < TG_NPRINC; p++) {
		if (!(aud & (1u << p)))
			continue;
		used += (size_t)snprintf(pred + used, sizeof(pred) - used, "%s%s", first ? "" : ",",
					 tg_principal_names[p]);
		first = 0;
	}
	m = add1(m, pred);
	snprintf(pred, sizeof(pred), "action = %s", actions & TG_ACT_EXECUTE ? "execute" : "read");
	m = add1(m, pred);
	snprintf(pred, sizeof(pred), "resource = %s", resource);
	m = add1(m, pred);
	snprintf(pred, sizeof(pred), "expires < %u", (unsigned)expiry);
	m = add1(m, pred);
	if (once) {
		snprintf(pred, sizeof(pred), "nonce = %s", id);
		m = add1(m, pred);
	}
	if (m && (actions & TG_ACT_EXECUTE)) {
		uint8_t ck[32];
		/* one check for B, shared by every exec token: only the discharge's
		 * [for = tok#N] ties it to the request it answered */
		snprintf(pred, sizeof(pred), "%s", TG_CAVEAT_VALIDATE);
		tg_caveat_key(k, pred, ck);
		struct macaroon *n = macaroon_add_third_party_caveat(
			m, (const unsigned char *)LOC_B, strlen(LOC_B), ck, sizeof(ck),
			(const unsigned char *)pred, strlen(pred), &err);
		macaroon_destroy(m);
		m = n;
	}
	if (!m)
		return -1;
	int rc = store(m, out);
	macaroon_destroy(m);
	return rc;
}

int tg_tok_attenuate(const tg_blob *in, const char *pred, tg_blob *out)
{
	struct macaroon *m = add1(load(in), pred);
	if (!m)
		return -1;
	int rc = store(m, out);
	macaroon_destroy(m);
	return rc;
}

int tg_tok_id(const tg_blob *t, char id[TG_ID_MAX])
{
	struct macaroon *m = load(t);
	if (!m)
		return -1;
	const unsigned char *p;
	size_t n;
	macaroon_identifier(m, &p, &n);
	if (n >= TG_ID_MAX)
		n = TG_ID_MAX - 1;
	memcpy(id, p, n);
	id[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (id[i] == 0)
			id[i] = '?';
	macaroon_destroy(m);
	return 0;
}

int tg_tok_ref(const tg_blob *t, char ref[TG_REF_MAX])
{
	char id[TG_ID_MAX];
	struct macaroon *m = load(t);
	if (!m)
		return -1;
	const unsigned char *sig;
	size_t n;
	char hx[17];
	macaroon_signature(m, &sig, &n);
	sodium_bin2hex(hx, sizeof(hx), sig, n < 8 ? n : 8);
	macaroon_destroy(m);
	if (tg_tok_id(t, id))
		return -1;
	snprintf(ref, TG_REF_MAX, "%s/%s", id, hx);
	return 0;
}

int tg_tok_third_party(const tg_blob *t, char *id, size_t idlen)
{
	struct macaroon *m = load(t);
	int rc = -1;
	if (!m)
		return -1;
	const unsigned char *loc, *cid;
	size_t locn, cidn;
	if (macaroon_num_third_party_caveats(m) > 0 &&
	    macaroon_third_party_caveat(m, 0, &loc, &locn, &cid, &cidn) == 0 && cidn < idlen &&
	    memchr(cid, 0, cidn) == NULL) {
		memcpy(id, cid, cidn);
		id[cidn] = 0;
		rc = 0;
	}
	macaroon_destroy(m);
	return rc;
}

int tg_dis_mint(const uint8_t key[32], const char *id, const char *code_hex, const char *for_id,
		tg_blob *out)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	char pred[TG_STR_MAX + 32];
	struct macaroon *m = macaroon_create((const unsigned char *)LOC_B, strlen(LOC_B), key, 32,
					     (const unsigned char *)id, strlen(id), &err);
	snprintf(pred, sizeof(pred), "code = %s", code_hex);
	m = add1(m, pred);
	snprintf(pred, sizeof(pred), "for = %s", for_id);
	m = add1(m, pred);
	if (!m)
		return -1;
	int rc = store(m, out);
	macaroon_destroy(m);
	return rc;
}

int tg_dis_bind(const tg_blob *tok, const tg_blob *dis, tg_blob *out)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	struct macaroon *t = load(tok), *d = load(dis), *b = NULL;
	int rc = -1;
	if (t && d)
		b = macaroon_prepare_for_request(t, d, &err);
	if (b)
		rc = store(b, out);
	macaroon_destroy(t);
	macaroon_destroy(d);
	macaroon_destroy(b);
	return rc;
}

/* ---- packets (libmacaroons v1: base64url of "LLLLkey value\n" packets) ---- */

typedef struct pkt {
	char key[12];
	const uint8_t *val;
	unsigned n;
} pkt;

typedef struct pkts {
	unsigned n;
	pkt p[MAX_PACKETS];
	uint8_t raw[RAW_MAX];
} pkts;

static int unhex4(const uint8_t *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v * 16 + (unsigned)d;
	}
	return 0;
}

/* Splits a serialized macaroon into packets. Returns 0 or -1. */
static int split(const tg_blob *b, pkts *ps)
{
	size_t len = 0;
	ps->n = 0;
	if (sodium_base642bin(ps->raw, sizeof(ps->raw), b->s, b->n, NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	for (size_t off = 0; off < len;) {
		unsigned plen;
		if (len - off < 6 || unhex4(ps->raw + off, &plen) || plen < 7 || plen > len - off ||
		    ps->raw[off + plen - 1] != '\n' || ps->n >= MAX_PACKETS)
			return -1;
		const uint8_t *kv = ps->raw + off + 4, *sp = memchr(kv, ' ', plen - 5);
		if (!sp || (size_t)(sp - kv) >= sizeof(ps->p[0].key))
			return -1;
		pkt *p = &ps->p[ps->n++];
		memcpy(p->key, kv, (size_t)(sp - kv));
		p->key[sp - kv] = 0;
		p->val = sp + 1;
		p->n = (unsigned)(plen - 5 - (size_t)(sp - kv) - 1);
		off += plen;
	}
	return 0;
}

/* Joins packets (in order idx[0..n)) back into a serialized macaroon. */
static int join(const pkts *ps, const unsigned *idx, unsigned n, const uint8_t *flip_at,
		uint8_t flip, tg_blob *out)
{
	uint8_t raw[RAW_MAX];
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		const pkt *p = &ps->p[idx[i]];
		size_t klen = strlen(p->key), plen = 4 + klen + 1 + p->n + 1;
		if (plen > 0xffff || plen > sizeof(raw) - len)
			return -2;
		snprintf((char *)raw + len, 5, "%04zx", plen);
		memcpy(raw + len + 4, p->key, klen);
		raw[len + 4 + klen] = ' ';
		for (unsigned k = 0; k < p->n; k++)
			raw[len + 5 + klen + k] = p->val[k] ^ (p->val + k == flip_at ? flip : 0);
		raw[len + plen - 1] = '\n';
		len += plen;
	}
	if (sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > sizeof(out->s))
		return -2;
	sodium_bin2base64(out->s, sizeof(out->s), raw, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out->n = (unsigned)strlen(out->s);
	return 0;
}

/* Index of the first packet of each caveat (a cid, with its vid and cl if any). */
static unsigned caveats(const pkts *ps, unsigned *first, unsigned *count)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].key, "cid") != 0)
			continue;
		unsigned c = 1;
		while (i + c < ps->n && (strcmp(ps->p[i + c].key, "vid") == 0 ||
					 strcmp(ps->p[i + c].key, "cl") == 0))
			c++;
		first[n] = i;
		count[n++] = c;
	}
	return n;
}

static int same_caveat(const pkts *ps, unsigned a, unsigned na, unsigned b, unsigned nb)
{
	if (na != nb)
		return 0;
	for (unsigned k = 0; k < na; k++) {
		const pkt *x = &ps->p[a + k], *y = &ps->p[b + k];
		if (strcmp(x->key, y->key) || x->n != y->n || memcmp(x->val, y->val, x->n))
			return 0;
	}
	return 1;
}

static int edit(const tg_blob *in, enum tg_edit e, unsigned a, unsigned b, tg_blob *out,
		int *harmless)
{
	static pkts ps; /* large; this is not reentrant anyway (one runner per process) */
	unsigned first[MAX_PACKETS], count[MAX_PACKETS], idx[MAX_PACKETS], n = 0;
	*harmless = 0;
	if (split(in, &ps))
		return -1;
	unsigned nc = caveats(&ps, first, count);
	if (e == TG_EDIT_FLIP) {
		size_t total = 0;
		for (unsigned i = 0; i < ps.n; i++)
			total += ps.p[i].n;
		if (total == 0 || b == 0 || b > 255)
			return -1;
		size_t at = a % total;
		const uint8_t *where = NULL;
		for (unsigned i = 0; i < ps.n; i++) {
			idx[i] = i;
			if (!where && at < ps.p[i].n) {
				/* location hints are not covered by the HMAC chain */
				*harmless = strcmp(ps.p[i].key, "location") == 0 ||
					    strcmp(ps.p[i].key, "cl") == 0;
				where = ps.p[i].val + at;
			} else if (!where) {
				at -= ps.p[i].n;
			}
		}
		return join(&ps, idx, ps.n, where, (uint8_t)b, out);
	}
	if (nc == 0 || (e == TG_EDIT_REORDER && nc < 2))
		return -1;
	unsigned i = a % nc, j = (i + 1) % nc;
	if (e == TG_EDIT_REORDER) {
		if (j < i) {
			unsigned t = i;
			i = j;
			j = t;
		}
		if (same_caveat(&ps, first[i], count[i], first[j], count[j]))
			return -1; /* swapping identical caveats changes nothing */
	}
	for (unsigned p = 0; p < ps.n;) {
		if (e == TG_EDIT_STRIP && p == first[i]) {
			p += count[i];
			continue;
		}
		if (e == TG_EDIT_REORDER && p == first[i]) {
			for (unsigned k = 0; k < count[j]; k++)
				idx[n++] = first[j] + k;
			for (unsigned k = 0; k < count[i]; k++)
				idx[n++] = first[i] + k;
			p = first[j] + count[j];
			continue;
		}
		idx[n++] = p++;
	}
	return join(&ps, idx, n, NULL, 0, out);
}

int tg_tok_edit(const tg_blob *in, enum tg_edit e, unsigned a, unsigned b, tg_blob *out,
		int *harmless)
{
	int rc = edit(in, e, a, b, out, harmless);
	if (rc == 0) { /* a holder can only present what still parses as a macaroon */
		struct macaroon *m = load(out);
		rc = m ? 0 : -1;
		macaroon_destroy(m);
	}
	return rc;
}

int tg_tok_resource(const tg_blob *t, char *out, size_t len)
{
	static pkts ps;
	int rc = -1;
	if (split(t, &ps))
		return -1;
	for (unsigned i = 0; i < ps.n; i++) {
		const pkt *p = &ps.p[i];
		if (strcmp(p->key, "cid") || p->n < 11 || memcmp(p->val, "resource = ", 11) ||
		    p->n - 11 >= len || memchr(p->val, 0, p->n))
			continue;
		memcpy(out, p->val + 11, p->n - 11);
		out[p->n - 11] = 0;
		rc = 0; /* keep going: the last one is the narrowest */
	}
	return rc;
}

int tg_tok_digest(const tg_blob *t, uint8_t out[16])
{
	static pkts ps;
	crypto_generichash_state h;
	if (split(t, &ps))
		return -1;
	crypto_generichash_init(&h, NULL, 0, 16);
	for (unsigned i = 0; i < ps.n; i++) {
		const pkt *p = &ps.p[i];
		if (strcmp(p->key, "location") == 0 || strcmp(p->key, "cl") == 0)
			continue; /* hints: not covered by the signature chain */
		uint8_t len[4] = { (uint8_t)p->n, (uint8_t)(p->n >> 8), 0, 0 };
		crypto_generichash_update(&h, (const unsigned char *)p->key, strlen(p->key) + 1);
		crypto_generichash_update(&h, len, sizeof(len));
		crypto_generichash_update(&h, p->val, p->n);
	}
	crypto_generichash_final(&h, out, 16);
	return 0;
}

void tg_tok_describe(const tg_blob *t, char *buf, size_t len)
{
	static pkts ps;
	size_t used = 0;
	buf[0] = 0;
	if (split(t, &ps)) {
		snprintf(buf, len, "(not a macaroon)");
		return;
	}
	for (unsigned i = 0; i < ps.n && used < len; i++) {
		const pkt *p = &ps.p[i];
		int w = 0;
		int printable = 1;
		for (unsigned k = 0; k < p->n; k++)
			printable &= p->val[k] >= 0x20 && p->val[k] < 0x7f;
		if (strcmp(p->key, "cid") == 0 && i + 1 < ps.n && strcmp(ps.p[i + 1].key, "vid") == 0)
			w = snprintf(buf + used, len - used, "%s[third-party: %.*s]", used ? " " : "",
				     printable ? (int)p->n : 3, printable ? (const char *)p->val : "???");
		else if (strcmp(p->key, "cid") == 0)
			w = snprintf(buf + used, len - used, "%s[%.*s]", used ? " " : "",
				     printable ? (int)p->n : 3, printable ? (const char *)p->val : "???");
		if (w > 0)
			used += (size_t)w;
	}
	if (!used)
		snprintf(buf, len, "(no caveats)");
}

/* ---- the wire ----
 * "TG" 1 | type | from | to | id (u32 LE) | u8 len, resource | u16 len, token |
 * u16 len, discharge | u8 len, code | Ed25519 signature (64) over everything before it.
 */

static int put(tg_wire *w, const char *s, unsigned width, unsigned max)
{
	size_t n = strlen(s);
	if (n > max || w->n + width + n + 64 > sizeof(w->b))
		return -1;
	for (unsigned k = 0; k < width; k++)
		w->b[w->n++] = (uint8_t)(n >> (8 * k));
	memcpy(w->b + w->n, s, n);
	w->n += (unsigned)n;
	return 0;
}

int tg_wire_build(const uint8_t sk[64], const tg_msg *m, tg_wire *w)
{
	w->n = 0;
	w->b[w->n++] = 'T';
	w->b[w->n++] = 'G';
	w->b[w->n++] = 1;
	w->b[w->n++] = (uint8_t)m->type;
	w->b[w->n++] = (uint8_t)m->from;
	w->b[w->n++] = (uint8_t)m->to;
	for (unsigned k = 0; k < 4; k++)
		w->b[w->n++] = (uint8_t)(m->id >> (8 * k));
	if (put(w, m->resource, 1, TG_STR_MAX - 1) || put(w, m->token, 2, TG_BLOB_MAX - 1) ||
	    put(w, m->discharge, 2, TG_BLOB_MAX - 1) || put(w, m->code, 1, TG_STR_MAX - 1))
		return -1;
	tg_sign(sk, w->b, w->n, w->b + w->n);
	w->n += 64;
	return 0;
}

/* Reads a length-prefixed string into dst (cap bytes with the NUL). */
static int get(const uint8_t *buf, unsigned n, unsigned *off, unsigned width, char *dst,
	       size_t cap)
{
	unsigned len = 0;
	if (n - *off < width)
		return -1;
	for (unsigned k = 0; k < width; k++)
		len |= (unsigned)buf[(*off)++] << (8 * k);
	if (len >= cap || n - *off < len || memchr(buf + *off, 0, len))
		return -1;
	memcpy(dst, buf + *off, len);
	dst[len] = 0;
	*off += len;
	return 0;
}

int tg_wire_parse(const uint8_t *buf, unsigned n, tg_view *v)
{
	unsigned off = 10;
	if (n < off + 6 + 64 || buf[0] != 'T' || buf[1] != 'G' || buf[2] != 1 ||
	    buf[3] >= TG_NMSG || buf[4] >= TG_NPRINC || buf[5] >= TG_NPRINC)
		return -1;
	v->type = buf[3];
	v->from = buf[4];
	v->to = buf[5];
	v->id = (uint32_t)buf[6] | (uint32_t)buf[7] << 8 | (uint32_t)buf[8] << 16 |
		(uint32_t)buf[9] << 24;
	unsigned body = n - 64;
	if (get(buf, body, &off, 1, v->resource, sizeof(v->resource)) ||
	    get(buf, body, &off, 2, v->token.s, sizeof(v->token.s)) ||
	    get(buf, body, &off, 2, v->discharge.s, sizeof(v->discharge.s)) ||
	    get(buf, body, &off, 1, v->code, sizeof(v->code)) || off != body)
		return -1;
	v->token.n = (unsigned)strlen(v->token.s);
	v->discharge.n = (unsigned)strlen(v->discharge.s);
	v->signed_len = body;
	v->sig = buf + body;
	return 0;
}

void tg_wire_digest(const uint8_t *buf, unsigned n, uint8_t out[8])
{
	uint8_t h[16];
	crypto_generichash(h, sizeof(h), buf, n, NULL, 0);
	memcpy(out, h, 8);
}

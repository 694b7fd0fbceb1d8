/* The binary form of a scenario: what fuzzers mutate. One byte selects the op (modulo the
 * target's op count), then each argument follows in descriptor order in the layout of
 * its kind (argkind.c). Decoding is total: it never fails and never yields an invalid
 * scenario.
 */
#include <string.h>

#include "internal.h"

static void live_add(esc_live *live, const esc_target *t, unsigned opidx, unsigned scn_idx)
{
	unsigned res = t->ops[opidx].produces;
	if (res != ESC_NO_RES && live->n[res] < ESC_MAX_OPS)
		live->ops[res][live->n[res]++] = (uint8_t)scn_idx;
}

void esc_decode(esc_scn *s, const esc_target *t, const uint8_t *buf, size_t len)
{
	esc_scn_clear(s);
	s->target = t;
	esc_rd r = { buf, len, 0 };
	esc_live live;
	memset(live.n, 0, sizeof(live.n));
	while (r.pos < r.n && s->nops < ESC_MAX_OPS) {
		unsigned opidx = esc_rd_u8(&r) % t->nops;
		const esc_op_desc *d = &t->ops[opidx];
		esc_op *op = &s->ops[s->nops];
		memset(op, 0, sizeof(*op));
		op->op = (uint8_t)opidx;
		int ok = 1;
		for (unsigned j = 0; j < d->nargs; j++)
			if (esc_kinds[d->args[j].kind].decode(&r, t, &d->args[j], &live, &op->args[j]))
				ok = 0; /* keep consuming: the layout stays aligned */
		if (!ok)
			continue;
		live_add(&live, t, opidx, s->nops);
		s->nops++;
	}
}

long esc_encode(const esc_scn *s, uint8_t *buf, size_t cap)
{
	const esc_target *t = s->target;
	esc_wr w = { buf, cap, 0, 0 };
	esc_live live;
	memset(live.n, 0, sizeof(live.n));
	for (unsigned i = 0; i < s->nops; i++) {
		const esc_op_desc *d = &t->ops[s->ops[i].op];
		esc_wr_u8(&w, s->ops[i].op);
		for (unsigned j = 0; j < d->nargs; j++)
			esc_kinds[d->args[j].kind].encode(&w, t, &d->args[j], &live, s,
							  &s->ops[i].args[j]);
		live_add(&live, t, s->ops[i].op, i);
	}
	return w.overflow ? ESC_E_TOOBIG : (long)w.len;
}

size_t esc_encode_bound(const esc_target *t)
{
	(void)t;
	/* op byte + per arg at most: string tag + length + ESC_MAX_STR, or 8 int bytes */
	return (size_t)ESC_MAX_OPS * (1 + (size_t)ESC_MAX_ARGS * (2 + ESC_MAX_STR));
}

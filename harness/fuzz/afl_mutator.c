/* AFL++ custom mutator (AFL_CUSTOM_MUTATOR_LIBRARY=afl_mutator_<target>.so), built from
 * the same IR-level mutator as libFuzzer's hooks, compiled once per target with
 * -DESC_FUZZ_TARGET=<symbol>, without sanitizers or AFL instrumentation (it is loaded into
 * afl-fuzz itself). One call in four splices with AFL's second input (add_buf) when it
 * has one; otherwise the scenario is mutated. New queue entries (AFL tells the module,
 * afl_custom_queue_new_entry) go to the focus (escapade/focus.h): while it has neighbours
 * left, one call in two takes the next one instead. Other outputs are held to the op
 * limit (esc_oplimit, escapade/mutate.h; AFL++ has no length control of its own), which
 * grows when the queue stops growing. Deterministic for AFL's seed and queue.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/focus.h"
#include "escapade/mutate.h"

#ifndef ESC_FUZZ_TARGET
#error "define ESC_FUZZ_TARGET to the target's esc_target symbol"
#endif

extern const esc_target ESC_FUZZ_TARGET;

typedef struct esc_afl {
	esc_rng rng;
	uint8_t *buf;
	size_t cap;
	esc_focus *focus; /* NULL: out of memory, or ESCAPADE_FOCUS=0 */
	esc_oplimit oplimit;
} esc_afl;

#define AFL_API __attribute__((visibility("default")))

AFL_API void *afl_custom_init(void *afl, unsigned int seed);
AFL_API size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
			       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
AFL_API uint8_t afl_custom_queue_new_entry(void *data, const uint8_t *filename_new_queue,
					   const uint8_t *filename_orig_queue);
AFL_API void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	esc_afl *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	esc_rng_seed(&m->rng, seed);
	esc_oplimit_init(&m->oplimit);
	const char *e = getenv("ESCAPADE_FOCUS");
	if (!e || strcmp(e, "0") != 0)
		m->focus = esc_focus_new(&ESC_FUZZ_TARGET);
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	esc_afl *m = data;
	size_t need = max_size > buf_size ? max_size : buf_size;
	if (need > m->cap) {
		uint8_t *p = realloc(m->buf, need);
		if (!p) {
			*out_buf = buf; /* no memory: hand the input back unchanged */
			return buf_size;
		}
		m->buf = p;
		m->cap = need;
	}
	uint64_t seed = esc_rng_next(&m->rng);
	unsigned max_ops = esc_oplimit_call(&m->oplimit);
	size_t n = 0;
	if (m->focus && (seed & 4) && esc_focus_entries(m->focus))
		n = esc_focus_next(m->focus, m->buf, max_size); /* not held to the limit */
	if (!n) {
		if (add_buf && add_buf_size && (seed & 3) == 0) {
			n = esc_crossover_buffer(&ESC_FUZZ_TARGET, buf, buf_size, add_buf,
						 add_buf_size, m->buf, max_size, seed >> 2);
		} else {
			memcpy(m->buf, buf, buf_size);
			n = esc_mutate_buffer(&ESC_FUZZ_TARGET, m->buf, buf_size, max_size, seed >> 2,
					      NULL);
		}
		if (n)
			n = esc_cap_buffer(&ESC_FUZZ_TARGET, m->buf, n, max_size, max_ops, seed >> 2);
	}
	*out_buf = m->buf;
	return n;
}

/* A new queue entry: its neighbours go first (the file is not changed: returns 0). */
uint8_t afl_custom_queue_new_entry(void *data, const uint8_t *filename_new_queue,
				   const uint8_t *filename_orig_queue)
{
	esc_afl *m = data;
	(void)filename_orig_queue;
	if (m)
		esc_oplimit_entry(&m->oplimit);
	if (!m || !m->focus || !filename_new_queue)
		return 0;
	FILE *f = fopen((const char *)filename_new_queue, "rb");
	if (!f)
		return 0;
	static uint8_t in[1 << 16];
	size_t n = fread(in, 1, sizeof(in), f);
	fclose(f);
	esc_focus_push(m->focus, in, n, esc_rng_next(&m->rng));
	return 0;
}

void afl_custom_deinit(void *data)
{
	esc_afl *m = data;
	if (m) {
		free(m->buf);
		esc_focus_free(m->focus);
	}
	free(m);
}

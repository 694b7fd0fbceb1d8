/* AFL++ custom mutator (AFL_CUSTOM_MUTATOR_LIBRARY=afl_mutator_<target>.so), built from
 * the same IR-level mutator as libFuzzer's hooks, compiled once per target with
 * -DESC_FUZZ_TARGET=<symbol>, without sanitizers or AFL instrumentation (it is loaded into
 * afl-fuzz itself). One call in four splices with AFL's second input (add_buf) when it
 * has one; otherwise the scenario is mutated. Deterministic for AFL's seed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/mutate.h"

#ifndef ESC_FUZZ_TARGET
#error "define ESC_FUZZ_TARGET to the target's esc_target symbol"
#endif

extern const esc_target ESC_FUZZ_TARGET;

typedef struct esc_afl {
	esc_rng rng;
	uint8_t *buf;
	size_t cap;
} esc_afl;

#define AFL_API __attribute__((visibility("default")))

AFL_API void *afl_custom_init(void *afl, unsigned int seed);
AFL_API size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
			       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
AFL_API void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	esc_afl *m = calloc(1, sizeof(*m));
	if (m)
		esc_rng_seed(&m->rng, seed);
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
	size_t n;
	if (add_buf && add_buf_size && (seed & 3) == 0) {
		n = esc_crossover_buffer(&ESC_FUZZ_TARGET, buf, buf_size, add_buf, add_buf_size,
					 m->buf, max_size, seed >> 2);
	} else {
		memcpy(m->buf, buf, buf_size);
		n = esc_mutate_buffer(&ESC_FUZZ_TARGET, m->buf, buf_size, max_size, seed >> 2, NULL);
	}
	*out_buf = m->buf;
	return n;
}

void afl_custom_deinit(void *data)
{
	esc_afl *m = data;
	if (m)
		free(m->buf);
	free(m);
}

/* Fuzz target for the harness's own input surfaces: the .scn text parser and printer and
 * the binary decoder/encoder, over every target of the build. It checks the core's
 * promises and aborts on the first broken one:
 *   text:   parse(t) ok => s valid, print(s) parses to s again, and printing is stable;
 *   binary: decode(b) valid, decode(encode(s)) == s, and print(s) parses back to s.
 * The first input byte picks the target for the binary path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/scenario.h"

extern const esc_target *const esc_all_targets[];

static void fail(const char *what, const esc_scn *s)
{
	fprintf(stderr, "fuzz_scn: core promise broken: %s\n", what);
	char *t = s ? esc_print(s) : NULL;
	if (t)
		fprintf(stderr, "scenario:\n%s", t);
	free(t);
	abort();
}

static void check_text_round_trip(const esc_scn *s)
{
	char why[200];
	if (esc_scn_validate(s, why, sizeof(why)))
		fail(why, s);
	char *t1 = esc_print(s);
	if (!t1)
		return; /* out of memory */
	esc_scn back;
	esc_scn_init(&back, NULL);
	char err[256];
	if (esc_parse(&back, esc_all_targets, t1, strlen(t1), err, sizeof(err))) {
		fprintf(stderr, "printed text:\n%s\nparse error: %s\n", t1, err);
		fail("print(s) does not parse", s);
	}
	if (esc_scn_cmp(s, &back))
		fail("parse(print(s)) != s", s);
	char *t2 = esc_print(&back);
	if (t2 && strcmp(t1, t2) != 0)
		fail("printing is not stable", s);
	free(t1);
	free(t2);
	esc_scn_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[1 << 16];
	esc_scn s;
	esc_scn_init(&s, NULL);
	if (esc_parse(&s, esc_all_targets, (const char *)data, size, NULL, 0) == 0) {
		check_text_round_trip(&s);
		esc_scn_clear(&s);
	}
	if (size == 0)
		return 0;
	unsigned nt = 0;
	while (esc_all_targets[nt])
		nt++;
	const esc_target *t = esc_all_targets[data[0] % nt];
	esc_decode(&s, t, data + 1, size - 1);
	check_text_round_trip(&s);
	if (esc_encode_bound(t) > sizeof(enc))
		fail("encode bound larger than the test buffer", &s);
	long n = esc_encode(&s, enc, sizeof(enc));
	if (n < 0)
		fail("encode failed within its bound", &s);
	esc_scn again;
	esc_scn_init(&again, t);
	esc_decode(&again, t, enc, (size_t)n);
	if (esc_scn_cmp_ops(&s, &again))
		fail("decode(encode(s)) != s", &s);
	esc_scn_clear(&again);
	esc_scn_clear(&s);
	return 0;
}

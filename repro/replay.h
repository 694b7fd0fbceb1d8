/* Replays in a forked child, so that a sanitizer crash, a deadly signal or a hang in a
 * target cannot take the command down. The child runs the scenario once and hands its
 * verdict, the last step it started and the principals of the run back through a shared
 * memory block; its stderr is captured and, when it died, classified as a sanitizer
 * report ("ERROR: AddressSanitizer: heap-buffer-overflow", crash state = the top three
 * "#N 0x... in func" frames outside the sanitizer runtime). A time bound classifies hangs.
 * The minimizer can run in a child the same way (rp_minimize).
 */
#ifndef ESCAPADE_REPLAY_H
#define ESCAPADE_REPLAY_H

#include "escapade/minimize.h"
#include "escapade/run.h"

#define RP_MAX_PRIN 64
#define RP_REPORT_MAX (64u * 1024u) /* bytes of a child's stderr kept */
#define RP_NFRAMES 3

typedef enum rp_class {
	RP_CONTAINED = 0,
	RP_ESCAPE,      /* an oracle verdict */
	RP_CRASH,       /* sanitizer report or deadly signal */
	RP_LEAK,        /* LeakSanitizer report */
	RP_HANG,        /* over the time bound */
	RP_UNAVAILABLE, /* the layer cannot run on this machine */
	RP_FAILED,      /* the replay itself failed (fork, memory): see why */
} rp_class;

typedef struct rp_result {
	rp_class cls;
	esc_verdict v;            /* RP_ESCAPE (kind ESC_CONTAINED otherwise) */
	int last_step;            /* last step started, -1 none */
	char crash_type[64];      /* RP_CRASH / RP_LEAK: "heap-buffer-overflow", "SEGV", ... */
	char frames[RP_NFRAMES][128];
	unsigned nframes;
	unsigned nprin;
	esc_principal prin[RP_MAX_PRIN];
	char *report;             /* captured stderr, NUL-terminated, or NULL */
	char why[160];
} rp_result;

/* Frees what r holds (the report); accepts a zeroed r. */
void rp_result_clear(rp_result *r);

/* Runs s under profile in a child, at most timeout_ms. Fills *out (cleared first; the
 * caller clears it after use). Returns 0, or -1 with out->cls RP_FAILED and out->why. */
int rp_replay(const esc_scn *s, unsigned profile, unsigned timeout_ms, rp_result *out);

/* Parses a sanitizer report: sets type (one word: "heap-buffer-overflow", "leak",
 * "undefined-behavior", "unknown" when the report names none) and the top frames (never
 * empty; control bytes as '?', since they end up in one-line notes). Returns RP_CRASH,
 * RP_LEAK, or RP_CONTAINED (type "" and no frames) when report holds no sanitizer
 * error. */
rp_class rp_classify_report(const char *report, char *type, size_t typelen,
			    char frames[RP_NFRAMES][128], unsigned *nframes);

/* Dedupe key of a non-contained result: kind name ("privilege-amplification",
 * "sanitizer", "leak", "hang") into kind, and a 64-bit signature: the verdict's for an
 * escape; a hash of crash type and frames (or of the data-flow slice to the last step
 * when there are no frames) for crashes and leaks; of the slice for hangs. */
void rp_key(const esc_scn *s, const rp_result *r, char *kind, size_t kindlen, uint64_t *sig);

/* Minimizes the escape v of s (found under profile) in a child bounded by timeout_ms,
 * with at most max_tries predicate calls (0: the default). On success replaces the ops of
 * s with the minimized ones (notes and expectations kept, op comments dropped) and
 * returns 0; returns -1 with a reason in why when the child failed or timed out (s then
 * unchanged). progress: print progress on stderr (the child inherits it). */
int rp_minimize(esc_scn *s, unsigned profile, const esc_verdict *v, unsigned timeout_ms,
		unsigned max_tries, int progress, esc_min_stats *st, char *why, size_t whylen);

/* Runs fn(arg) in a child bounded by timeout_ms (no leak check: for libraries that keep
 * memory until exit). Returns fn's value, or -1 with a reason in why (the child died or
 * timed out; its first stderr line is quoted). A nonzero fn value also quotes it. */
typedef int (*rp_fn)(void *arg);
int rp_call(rp_fn fn, void *arg, unsigned timeout_ms, char *why, size_t whylen);

/* Prints a one-line progress of a minimization on stderr ("\r..."), for terminals. */
void rp_print_progress(const esc_min_stats *st, void *arg);

#endif

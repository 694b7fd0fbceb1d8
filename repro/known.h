/* The escapes already kept as regressions: for one target, every .scn file in
 * <root>/<target>/ replayed under each profile it expects an escape on, indexed by the
 * actual verdict kind and signature. An escape is "known" when one of them matches.
 */
#ifndef ESCAPADE_KNOWN_H
#define ESCAPADE_KNOWN_H

#include <limits.h>

#include "escapade/run.h"

typedef struct kn_entry {
	char path[PATH_MAX];   /* as found: <root>/<target>/<file>.scn */
	const esc_target *target;
	esc_verdict_kind kind;
	uint64_t sig;
	unsigned profile;
	unsigned line;         /* line of the violating op in the file */
} kn_entry;

typedef struct kn_index {
	kn_entry *e;
	size_t n, cap;
	const esc_target *loaded[32]; /* targets already scanned */
	unsigned nloaded;
	unsigned nfiles;              /* regression files read */
	unsigned nbad;                /* files that could not be read (warned) */
} kn_index;

/* Scans root/<t->name>/ once per target (a missing folder: nothing known). Replays run
 * in forked children bounded by timeout_ms. Prints a warning per unreadable file.
 * Returns 0, or -1 when root/<t> exists but cannot be read (message printed). */
int kn_load(kn_index *ix, const char *root, const esc_target *t, unsigned timeout_ms);
/* The first file escaping with kind and sig, or NULL. */
const kn_entry *kn_find(const kn_index *ix, const esc_target *t, esc_verdict_kind kind,
			uint64_t sig);
void kn_free(kn_index *ix);

/* 1-based line of op step in the canonical text of s (what esc_print writes). */
unsigned kn_op_line(const esc_scn *s, unsigned step);

#endif

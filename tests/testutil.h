/* testutil: what the Check suites share: parsing or loading a scenario that must
 * succeed, running one on a fresh runner, running one and asserting its verdict, and
 * walking a folder's scenario files. Every helper fails the running test (ck_assert)
 * instead of returning an error; none keeps state between calls.
 */
#ifndef ESC_TESTUTIL_H
#define ESC_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>

#include "escapade/run.h"
#include "escapade/scenario.h"

/* Parses the NUL-terminated text into s (holding nothing to free, as esc_parse wants it),
 * finding its target in targets (NULL-terminated); fails the test with the parser's
 * message and the text on an error. The caller clears s. */
void tu_parse(esc_scn *s, const esc_target *const *targets, const char *text);

/* Loads the scenario file at path into s (initialized here); fails the test with the
 * loader's one-line message on an error. The caller clears s. */
void tu_load(esc_scn *s, const esc_target *const *targets, const char *path);

/* Runs s for profile on a fresh runner of s->target, writing the trace to trace (NULL:
 * none); fails the test unless the runner starts and the run completes. With keep NULL
 * the runner is freed; else it goes to *keep and the caller calls esc_runner_fini.
 * Returns the verdict. */
esc_verdict tu_run_on(const esc_scn *s, unsigned profile, FILE *trace, esc_runner *keep);

/* tu_run_on with no trace, the runner freed. */
esc_verdict tu_run(const esc_scn *s, unsigned profile);

/* tu_run, and fails the test unless the verdict's kind is want; the message names what
 * (a file, a case), the profile, both kinds and the verdict's summary. Returns the
 * verdict. */
esc_verdict tu_expect(const esc_scn *s, unsigned profile, esc_verdict_kind want,
		      const char *what);

/* The *.scn files of one folder, in readdir order:
 *     tu_scn_dir it;
 *     for (tu_scn_open(&it, dir); tu_scn_next(&it);) ... it.path, it.name ...
 * tu_scn_open fails the test when dir cannot be opened; tu_scn_next returns 0 and
 * closes the folder after the last file. */
typedef struct tu_scn_dir {
	const char *dir;
	DIR *d;
	const char *name; /* the file's name in dir */
	char path[1024];  /* dir/name */
} tu_scn_dir;

void tu_scn_open(tu_scn_dir *it, const char *dir);
int tu_scn_next(tu_scn_dir *it);

#endif

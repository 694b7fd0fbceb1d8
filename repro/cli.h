/* Shared pieces of the `escapade` command: exit codes, option parsing, profile choice,
 * and the file helpers every command that writes uses (atomic replace, create-only,
 * cleanup of half-written output on an error or a signal, fault injection for tests).
 */
#ifndef ESCAPADE_CLI_H
#define ESCAPADE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "escapade/load.h"
#include "escapade/run.h"

extern const esc_target *const esc_targets[]; /* every target of this build (generated) */

enum {
	EXIT_CONTAINED = 0,
	EXIT_ESCAPE = 1,
	EXIT_BAD = 2,
	EXIT_SKIP = 77,
	EXIT_BISECT_SKIP = 125,
};

/* ---- commands (each in its own file) ---- */

int cmd_minimize(int argc, char **argv); /* minimize_cmd.c */
int cmd_encode(int argc, char **argv);   /* minimize_cmd.c */
int cmd_record(int argc, char **argv);   /* record.c */
int cmd_triage(int argc, char **argv);   /* triage.c */

/* ---- options ---- */

/* One option: "--name VALUE" / "--name=VALUE" when val is set, a flag otherwise. */
typedef struct cli_opt {
	const char *name;  /* "--profile", "-o" */
	const char **val;  /* receives the value */
	int *flag;         /* set to 1 */
} cli_opt;

/* Parses argv against opts; other words go to files[] (at most maxfiles). Prints one
 * line "escapade CMD: reason" and returns -1 on an unknown option, a missing value or
 * too many files; 0 otherwise. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, const char **files,
	      int maxfiles, int *nfiles);
/* The profile named by name, else $ESCAPADE_PROFILE, else the target's default. Prints
 * "where: unknown profile ..." and returns -1 when it does not exist. */
int cli_profile(const esc_target *t, const char *name, const char *where);
/* Parses a whole number in [lo, hi]; returns 0 or -1. */
int cli_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);
/* Finds the target named name; prints "escapade: unknown target" and returns NULL. */
const esc_target *cli_target(const char *name);

/* 1 when s ends with suf, else 0. */
int cli_ends_with(const char *s, const char *suf);

/* Room for one more element in a growing array v of n elements of size bytes, *cap of
 * them allocated: returns v itself while n < *cap, else v reallocated to twice *cap
 * elements (first when *cap is 0) with *cap updated. Returns NULL when memory runs out;
 * v and *cap are then unchanged and v is still the caller's to free. */
void *cli_grow(void *v, size_t n, size_t *cap, size_t size, size_t first);

/* Adds text to s as a note, each control byte (newlines too) turned into a space and
 * blanks trimmed at both ends, as the text form keeps it: a note can name an artifact
 * whose file name holds any byte and the scenario still prints to text that loads back.
 * Returns 0, or -1 when s holds ESC_MAX_NOTES notes already or memory ran out (s is then
 * unchanged). */
int cli_add_note(esc_scn *s, const char *text);

/* ---- files ---- */

/* Reads a whole regular file of at most max bytes into a NUL-terminated malloc'd buffer.
 * Returns it (caller frees) or NULL with errno set (EFBIG when larger). */
char *cli_slurp(const char *path, size_t max, size_t *len);
/* Writes data to path through a temporary file in the same folder and rename(2): readers
 * see the old file or the new one. Returns 0 or -1 (errno set, nothing left behind). */
int cli_write_atomic(const char *path, const void *data, size_t len);
/* Creates path with data through a temporary file and link(2): never overwrites (errno
 * EEXIST when path exists). Returns 0 or -1 (errno set, nothing left behind). */
int cli_write_new(const char *path, const void *data, size_t len);
/* Creates path (which must not exist) inside a folder registered with cli_cleanup_dir,
 * and registers it for cleanup. Returns 0 or -1 (errno set; a partial file is removed). */
int cli_write_file(const char *path, const void *data, size_t len);
/* Removes a folder and what is directly or indirectly in it (no symlinks followed).
 * Returns 0 or -1. */
int cli_rm_tree(const char *path);

/* Cleanup on error or signal: output under construction is registered; on SIGINT,
 * SIGTERM or SIGHUP the handler removes every registered file and folder (in reverse
 * order) and dies of the signal. cli_cleanup_commit forgets them (they are final);
 * cli_cleanup_abort removes them now. Children of fork() must call cli_cleanup_child. */
void cli_cleanup_install(void);
int cli_cleanup_dir(const char *path);
int cli_cleanup_file(const char *path);
void cli_cleanup_commit(void);
void cli_cleanup_abort(void);
void cli_cleanup_child(void);

/* Fault injection for tests, from $ESCAPADE_FAULT: "write:N" makes the Nth output write
 * fail with EIO; "stall:N" sleeps 30 s before the Nth (so a test can interrupt it).
 * Called by the writers above before each write; returns 0 or -1 with errno set. */
int cli_fault_point(void);

/* Relative path of p from the current directory when p is under it, else p; into buf. */
const char *cli_display_path(const char *p, char *buf, size_t len);

#endif

/* `escapade triage`: what the night found, as one report. The model shared by the
 * triage driver (triage.c), the input walker (inputs.c) and the writers of the report
 * (report_json.c, report_sarif.c, report_md.c, graph.c).
 *
 * An entry is one distinct finding: inputs with the same target, kind and signature
 * (escape kinds, or "sanitizer", "leak", "hang") merged, the smallest of them minimized,
 * its expectations filled for every profile, marked new or known against the kept
 * regressions, and ranked by severity (severity desc, new before known, then name).
 */
#ifndef ESCAPADE_TRIAGE_H
#define ESCAPADE_TRIAGE_H

#include <limits.h>

#include "escapade/run.h"
#include "replay.h"

/* ---- inputs ---- */

typedef struct tr_src {
	char *path;
	const char *origin;  /* "libfuzzer-crash", "afl-hang", "scenario", "file", ... */
	const esc_target *hint; /* target named by a path component, or NULL */
} tr_src;

typedef struct tr_note {
	char *path;
	char *reason;
} tr_note;

typedef struct tr_srcs {
	tr_src *v;
	size_t n, cap;
	tr_note *bad;   /* paths that could not be walked */
	size_t nbad, badcap;
	unsigned ignored; /* files in walked folders that are not artifacts */
} tr_srcs;

/* Collects inputs from files and folders (libFuzzer crash-/leak-/timeout-/oom-/slow-unit-
 * files, AFL++ crashes/id:* and hangs/id:*, *.scn), sorted by path, with the target hint
 * from forced (--target) or a path component naming a target. Returns 0, or -1 on out
 * of memory. Unreadable paths go to srcs->bad. */
int tr_collect(tr_srcs *srcs, const char *const *paths, int npaths, const esc_target *forced);
void tr_srcs_free(tr_srcs *srcs);

/* ---- entries ---- */

typedef struct tr_entry {
	const esc_target *target;
	unsigned profile;           /* triage profile of this target */
	rp_class cls;               /* RP_ESCAPE, RP_CRASH, RP_LEAK or RP_HANG */
	char kind[32];              /* verdict kind, "sanitizer", "leak", "hang" */
	uint64_t sig;
	char base[64];              /* "<kind>-<sig16>": name of its files */
	double severity;
	int known;
	char known_path[PATH_MAX];  /* the regression that reproduces it */
	unsigned known_line;
	unsigned known_profile;
	unsigned replays, reproduced; /* over all its inputs */
	int flaky;                  /* reproduced < replays */
	char **inputs;              /* paths merged into it, sorted */
	unsigned ninputs;
	esc_scn *scn;               /* minimized, expectations filled */
	unsigned ops_before;        /* ops of the input it came from */
	int minimized;
	char min_note[160];         /* why it was not minimized, or "" */
	rp_result r;                /* replay of scn under the triage profile */
	unsigned op_line;           /* line of the violating op in <base>.scn */
	int picture;                /* .svg/.png were rendered */
} tr_entry;

typedef struct tr_report {
	const char *profile_name;   /* NULL: each target's default */
	unsigned replays;
	unsigned timeout_ms;
	const char *regressions;
	tr_entry *e;
	size_t n;
	tr_note *skipped;           /* inputs that could not be read or run */
	size_t nskipped;
	tr_note *unreproduced;      /* read, but contained every time */
	size_t nunrepro;
	unsigned nread;             /* inputs loaded */
	unsigned ignored;
	char outdir[PATH_MAX];      /* final folder, absolute */
	const char *showdir;        /* the folder as the user named it, for messages */
	char srcroot[PATH_MAX];     /* repository root for SARIF URIs, "" if none */
} tr_report;

/* Severity (CVSS-like, 0..10) of a kind name; see README "Triage". */
double tr_severity(const char *kind);
/* One-line description of a kind, for SARIF rules and the summary. */
const char *tr_kind_text(const char *kind);
/* Every kind a report can hold, in a fixed order, NULL-terminated. */
extern const char *const tr_all_kinds[];

/* URI of a file for SARIF: relative to rep->srcroot when under it (*base_id set to
 * "SRCROOT"), else an absolute file:// URI (*base_id NULL). abs is an absolute path. */
void tr_uri(const tr_report *rep, const char *abs, char *uri, size_t len, const char **base_id);
/* Absolute path of the entry's location: the regression (known) or <outdir>/<base>.scn. */
void tr_location(const tr_report *rep, const tr_entry *e, char *abs, size_t len);
/* "escapade repro <file> --profile P --trace" for the entry, into buf. */
const char *tr_repro_cmd(const tr_report *rep, const tr_entry *e, char *buf, size_t len);

/* Writers: each writes one file into dir (a temporary folder) with cli_write_file.
 * Return 0, or -1 with a message printed. */
int tr_write_json(const tr_report *rep, const char *dir);
int tr_write_sarif(const tr_report *rep, const char *dir);
int tr_write_md(const tr_report *rep, const char *dir);
/* Renders <base>.dot, .svg and .png of an escape's chain in dir (in a child process).
 * Returns 0, or -1 with a reason in why (no file of it left). */
int tr_write_graph(const tr_report *rep, const tr_entry *e, const char *dir, char *why,
		   size_t whylen);

int cmd_triage(int argc, char **argv);

#endif

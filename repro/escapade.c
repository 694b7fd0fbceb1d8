/* The `escapade` command: replay scenarios for people and for ctest, and turn what the
 * fuzzers find into reports and regressions.
 *   escapade repro FILE [--profile P] [--target T] [--trace] [--bisect]
 *   escapade repro FILE --emit js [-o OUT]   (a program replaying FILE on the real layer)
 *   escapade check FILE... [--profile P]
 *   escapade minimize IN [-o OUT]            (minimize_cmd.c)
 *   escapade triage PATH... [-o DIR]         (triage.c and the report_*.c, graph.c writers)
 *   escapade record IN                       (record.c)
 *   escapade fmt [--check] FILE...
 *   escapade list
 * Exit codes (DESIGN.md): 0 contained / expectations met, 1 escape / an expectation
 * failed, 2 bad input or usage (one line: file[:line:col]: reason), 77 the layer cannot
 * run on this machine; repro --bisect maps them to git bisect run's 0 / 1 / 125.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: escapade COMMAND [ARGS]\n"
		"  repro FILE [--profile P] [--target T] [--trace] [--bisect]\n"
		"        replay one scenario (text form, binary container, or a raw fuzzer input\n"
		"        with --target); exit 0 contained, 1 escape, 2 bad input, 77 unavailable;\n"
		"        --bisect: 0 contained, 1 escape, 125 bad input or unavailable (git bisect run)\n"
		"  repro FILE --emit js [-o OUT]\n"
		"        write FILE as a Node.js program that replays it against the real layer and\n"
		"        prints 'ESCAPADE: ...' marker lines (targets with an emitter: vm2model;\n"
		"        run it with targets/vm2model/run-js.sh VERSION OUT); exit 0 written, 2 bad\n"
		"        input or the target cannot emit\n"
		"  check FILE... [--profile P]\n"
		"        replay each file under every profile it has an expectation for (or only P)\n"
		"        and compare; exit 0 all met, 1 one failed, 2 bad input\n"
		"  fmt [--check] FILE...\n"
		"        rewrite text scenarios in canonical form (atomically); --check only\n"
		"        reports files that are not canonical (exit 1)\n"
		"  minimize IN [-o OUT] [--profile P] [--target T] [--max-tries N]\n"
		"        shrink an escape (ops, then arguments) keeping its kind and signature;\n"
		"        writes the text form with an expectation for every profile\n"
		"  triage PATH... [-o DIR] [--force] [--profile P] [--target T] [--regressions DIR]\n"
		"         [--replays N] [--timeout S] [--min-timeout S] [--no-minimize]\n"
		"        replay, minimize, dedupe and rank fuzzer artifacts (libFuzzer crash-*,\n"
		"        leak-*, timeout-*, AFL++ crashes/ hangs/, .scn); writes report.json,\n"
		"        report.sarif, summary.md, and per finding .scn and .dot/.svg/.png into DIR\n"
		"        (default triage-out); exit 0 nothing new, 1 new findings, 2 bad input\n"
		"  record IN [--profile P] [--target T] [--regressions DIR] [--name NAME]\n"
		"        minimize an escape and keep it as a new regression under\n"
		"        DIR/<target>/ (default corpora/regressions); never overwrites\n"
		"  encode IN -o OUT [--raw] [--target T]\n"
		"        write a scenario as a binary container (or raw, as fuzzers keep it)\n"
		"  list  targets, their profiles and ops\n"
		"Profile default: $ESCAPADE_PROFILE, else hardened.\n");
}

typedef struct opts {
	const char *profile;
	const char *target;
	int trace;
	int check;
	int bisect;
	const char *emit;   /* repro --emit LANG */
	const char *output; /* repro --emit: -o FILE (default stdout) */
	const char *files[256];
	int nfiles;
} opts;

static int parse_opts(int argc, char **argv, opts *o)
{
	memset(o, 0, sizeof(*o));
	o->profile = getenv("ESCAPADE_PROFILE");
	if (o->profile && !*o->profile)
		o->profile = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--trace") == 0) {
			o->trace = 1;
		} else if (strcmp(a, "--check") == 0) {
			o->check = 1;
		} else if (strcmp(a, "--bisect") == 0) {
			o->bisect = 1;
		} else if (strcmp(a, "--profile") == 0 || strcmp(a, "--target") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "escapade: %s needs a value\n", a);
				return -1;
			}
			*(a[2] == 'p' ? &o->profile : &o->target) = argv[++i];
		} else if (strcmp(a, "--emit") == 0 || strcmp(a, "-o") == 0 ||
			   strcmp(a, "--output") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "escapade: %s needs a value\n", a);
				return -1;
			}
			*(a[1] == 'o' || a[2] == 'o' ? &o->output : &o->emit) = argv[++i];
		} else if (strncmp(a, "--emit=", 7) == 0) {
			o->emit = a + 7;
		} else if (strncmp(a, "--output=", 9) == 0) {
			o->output = a + 9;
		} else if (strncmp(a, "--profile=", 10) == 0) {
			o->profile = a + 10;
		} else if (strncmp(a, "--target=", 9) == 0) {
			o->target = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "escapade: unknown option %s\n", a);
			return -1;
		} else if (o->nfiles < (int)(sizeof(o->files) / sizeof(o->files[0]))) {
			o->files[o->nfiles++] = a;
		} else {
			fprintf(stderr, "escapade: too many files\n");
			return -1;
		}
	}
	return 0;
}

/* Loads path; prints the one-line error and returns -1 on failure. */
static int load(esc_scn *s, const char *path, const opts *o)
{
	const esc_target *raw = NULL;
	if (o->target) {
		raw = esc_find_target(esc_targets, o->target);
		if (!raw) {
			fprintf(stderr, "escapade: unknown target '%s' (see escapade list)\n", o->target);
			return -1;
		}
	}
	char err[512];
	if (esc_load_file(s, esc_targets, path, raw, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int profile_of(const esc_target *t, const char *name, const char *path)
{
	if (!name)
		return 0;
	int p = esc_profile_index(t, name);
	if (p < 0) {
		fprintf(stderr, "%s: unknown profile '%s' for target %s (known:", path, name, t->name);
		for (unsigned i = 0; i < t->nprofiles; i++)
			fprintf(stderr, " %s", t->profiles[i]);
		fprintf(stderr, ")\n");
	}
	return p;
}

/* Runs s under profile; returns 0 with *v filled, or an exit code. */
static int run_one(const esc_scn *s, unsigned profile, esc_verdict *v, FILE *trace,
		   const char *path)
{
	esc_runner r;
	if (esc_runner_init(&r, s->target, profile)) {
		fprintf(stderr, "%s: out of memory\n", path);
		return EXIT_BAD;
	}
	int rc = esc_run(&r, s, v, trace);
	esc_runner_fini(&r);
	if (rc == ESC_E_UNAVAILABLE) {
		fprintf(stderr, "%s: target %s cannot run on this machine (skipped)\n", path,
			s->target->name);
		return EXIT_SKIP;
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, esc_strerror(rc));
		return EXIT_BAD;
	}
	return 0;
}

static int repro(const opts *o);

/* repro --emit LANG: writes the scenario as a program (only "js" exists). Exit 0 or 2. */
static int emit(const opts *o, const esc_scn *s, const char *path)
{
	if (strcmp(o->emit, "js") != 0) {
		fprintf(stderr, "escapade repro: --emit %s: unknown language (known: js)\n", o->emit);
		return EXIT_BAD;
	}
	if (!s->target->emit_js) {
		fprintf(stderr, "%s: target %s cannot emit js\n", path, s->target->name);
		return EXIT_BAD;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char err[256] = "";
	int rc = f ? s->target->emit_js(s, f, err, sizeof(err)) : ESC_E_NOMEM;
	if (f && fclose(f) && !rc)
		rc = ESC_E_NOMEM;
	if (rc) {
		fprintf(stderr, "%s: cannot emit js: %s\n", path, err[0] ? err : esc_strerror(rc));
		free(text);
		return EXIT_BAD;
	}
	if (o->output && strcmp(o->output, "-") != 0) {
		if (cli_write_atomic(o->output, text, len)) {
			fprintf(stderr, "%s: cannot write: %s\n", o->output, strerror(errno));
			free(text);
			return EXIT_BAD;
		}
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "escapade repro: cannot write the program to stdout\n");
		free(text);
		return EXIT_BAD;
	}
	free(text);
	return EXIT_CONTAINED;
}

/* git bisect run: 0 good (contained), 1 bad (escape), 125 skip (cannot tell). */
static int bisect_code(int rc)
{
	return rc == EXIT_CONTAINED ? 0 : rc == EXIT_ESCAPE ? 1 : EXIT_BISECT_SKIP;
}

static int cmd_repro(int argc, char **argv)
{
	opts o;
	int bisect = 0;
	for (int i = 0; i < argc; i++)
		bisect |= strcmp(argv[i], "--bisect") == 0;
	if (parse_opts(argc, argv, &o))
		return bisect ? EXIT_BISECT_SKIP : EXIT_BAD;
	int rc = repro(&o);
	return o.bisect ? bisect_code(rc) : rc;
}

static int repro(const opts *o)
{
	if (o->nfiles != 1) {
		fprintf(stderr, "escapade repro: exactly one FILE, got %d (see escapade help)\n", o->nfiles);
		return EXIT_BAD;
	}
	const char *path = o->files[0];
	esc_scn s;
	if (load(&s, path, o))
		return EXIT_BAD;
	if (o->emit) {
		int rc = emit(o, &s, path);
		esc_scn_clear(&s);
		return rc;
	}
	if (o->output) {
		fprintf(stderr, "escapade repro: -o is for --emit\n");
		esc_scn_clear(&s);
		return EXIT_BAD;
	}
	int prof = profile_of(s.target, o->profile, path);
	if (prof < 0) {
		esc_scn_clear(&s);
		return EXIT_BAD;
	}
	esc_verdict v;
	int rc = run_one(&s, (unsigned)prof, &v, o->trace ? stdout : NULL, path);
	if (!rc) {
		esc_verdict_print(&s, (unsigned)prof, &v, stdout);
		int e = esc_scn_find_expect(&s, (unsigned)prof);
		if (e >= 0) {
			esc_verdict_kind want = s.expect[e].kind;
			printf("expected:  %s%s%s\n", want == ESC_CONTAINED ? "contained" : "escape ",
			       want == ESC_CONTAINED ? "" : esc_verdict_name(want),
			       want == v.kind ? " (met)" : " (NOT MET)");
		}
		rc = v.kind == ESC_CONTAINED ? EXIT_CONTAINED : EXIT_ESCAPE;
	}
	esc_scn_clear(&s);
	return rc;
}

/* --emit and -o belong to repro; other commands refuse them as before. */
static int no_emit(const opts *o, const char *cmd)
{
	if (!o->emit && !o->output)
		return 0;
	fprintf(stderr, "escapade %s: unknown option %s (see escapade help)\n", cmd,
		o->emit ? "--emit" : "-o");
	return -1;
}

static int cmd_check(int argc, char **argv)
{
	opts o;
	if (parse_opts(argc, argv, &o) || no_emit(&o, "check"))
		return EXIT_BAD;
	if (o.nfiles == 0) {
		fprintf(stderr, "escapade check: no FILE given\n");
		return EXIT_BAD;
	}
	int worst = 0, skipped = 0;
	for (int f = 0; f < o.nfiles; f++) {
		const char *path = o.files[f];
		esc_scn s;
		if (load(&s, path, &o))
			return EXIT_BAD;
		int only = -1;
		if (o.profile) {
			only = profile_of(s.target, o.profile, path);
			if (only < 0 || esc_scn_find_expect(&s, (unsigned)only) < 0) {
				if (only >= 0)
					fprintf(stderr, "%s: no expectation for profile %s\n", path, o.profile);
				esc_scn_clear(&s);
				return EXIT_BAD;
			}
		}
		if (s.nexpect == 0) {
			fprintf(stderr, "%s: no 'expect' lines to check\n", path);
			esc_scn_clear(&s);
			return EXIT_BAD;
		}
		for (unsigned i = 0; i < s.nexpect; i++) {
			const esc_expect *e = &s.expect[i];
			if (only >= 0 && e->profile != (unsigned)only)
				continue;
			esc_verdict v;
			int rc = run_one(&s, e->profile, &v, NULL, path);
			if (rc == EXIT_SKIP) {
				skipped = 1;
				continue;
			}
			if (rc) {
				esc_scn_clear(&s);
				return rc;
			}
			const char *pn = s.target->profiles[e->profile];
			if (v.kind == e->kind) {
				printf("ok    %s [%s] %s\n", path, pn, esc_verdict_name(v.kind));
			} else {
				printf("FAIL  %s [%s] expected %s, got %s\n", path, pn,
				       esc_verdict_name(e->kind), esc_verdict_name(v.kind));
				if (v.kind != ESC_CONTAINED)
					esc_verdict_print(&s, e->profile, &v, stdout);
				worst = EXIT_ESCAPE;
			}
		}
		esc_scn_clear(&s);
	}
	return worst ? worst : skipped ? EXIT_SKIP : 0;
}

/* Reads a whole file (at most ESC_MAX_FILE bytes) into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(ESC_MAX_FILE + 1);
	size_t n = buf ? fread(buf, 1, ESC_MAX_FILE, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* Writes text to path through a temporary file in the same folder and rename(2), so a
 * reader never sees a partial file. Returns 0 or -1 (errno set; nothing left behind). */
static int write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd) || rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static int cmd_fmt(int argc, char **argv)
{
	opts o;
	if (parse_opts(argc, argv, &o) || no_emit(&o, "fmt"))
		return EXIT_BAD;
	if (o.nfiles == 0) {
		fprintf(stderr, "escapade fmt: no FILE given\n");
		return EXIT_BAD;
	}
	int changed = 0;
	for (int f = 0; f < o.nfiles; f++) {
		const char *path = o.files[f];
		esc_scn s;
		if (load(&s, path, &o))
			return EXIT_BAD;
		size_t len = 0;
		char *old = slurp(path, &len);
		char *text = esc_print(&s);
		esc_scn_clear(&s);
		if (!old || !text) {
			fprintf(stderr, "%s: out of memory\n", path);
			free(old);
			free(text);
			return EXIT_BAD;
		}
		if (!esc_looks_like_text((const uint8_t *)old, len)) {
			fprintf(stderr, "%s: not a text scenario (fmt rewrites only the text form)\n", path);
			free(old);
			free(text);
			return EXIT_BAD;
		}
		if (strlen(text) != len || memcmp(old, text, len) != 0) {
			changed = 1;
			if (o.check) {
				printf("not canonical: %s\n", path);
			} else if (write_atomic(path, text)) {
				fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
				free(old);
				free(text);
				return EXIT_BAD;
			} else {
				printf("formatted %s\n", path);
			}
		}
		free(old);
		free(text);
	}
	return o.check && changed ? EXIT_ESCAPE : 0;
}

static int cmd_list(void)
{
	for (const esc_target *const *t = esc_targets; *t; t++) {
		printf("%s\n  profiles:", (*t)->name);
		for (unsigned i = 0; i < (*t)->nprofiles; i++)
			printf(" %s", (*t)->profiles[i]);
		printf("\n  ops:");
		for (unsigned i = 0; i < (*t)->nops; i++)
			printf(" %s", (*t)->ops[i].name);
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "repro") == 0)
		return cmd_repro(argc - 2, argv + 2);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	if (strcmp(cmd, "fmt") == 0)
		return cmd_fmt(argc - 2, argv + 2);
	if (strcmp(cmd, "list") == 0)
		return cmd_list();
	if (strcmp(cmd, "minimize") == 0)
		return cmd_minimize(argc - 2, argv + 2);
	if (strcmp(cmd, "triage") == 0)
		return cmd_triage(argc - 2, argv + 2);
	if (strcmp(cmd, "record") == 0)
		return cmd_record(argc - 2, argv + 2);
	if (strcmp(cmd, "encode") == 0)
		return cmd_encode(argc - 2, argv + 2);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "escapade: unknown command '%s' (see escapade help)\n", cmd);
	return EXIT_BAD;
}

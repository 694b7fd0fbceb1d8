/* Fuzz target for the readers of artifact files in repro/: the input walker (tr_collect:
 * names and folders to origin and target), the loader as triage, record and minimize use
 * it (raw libFuzzer and AFL++ artifacts, text scenarios, binary containers), the index of
 * kept regressions (kn_load, kn_op_line) and the sanitizer-report classifier. Each input
 * is one artifact file, written into a scratch folder of this process under a layout
 * picked by its first byte, and the readers must keep their promises:
 *   - the walk finds it once, with the origin its name says and the target its folders say;
 *   - a hinted fuzzer artifact loads as the scenario fuzz_<target> ran from those bytes
 *     (text, its own container, else the raw binary form; an empty file included);
 *   - what is accepted is valid, loads the same from memory, and prints, encodes and
 *     reloads (as text, as a container, as raw bytes) to the same scenario; the line
 *     kn_op_line names is that op's line; a note with the artifact's path keeps the text
 *     loadable;
 *   - what is refused gets one line "path: reason" and no scenario; `escapade triage`,
 *     `record` and `minimize` on it exit 2 with that one line (triage adds its closing
 *     line), print nothing on stdout and leave no file behind;
 *   - a sanitizer report classifies to a kind with a one-word type and printable frames.
 * The first broken promise aborts with what broke.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "escapade/load.h"
#include "known.h"
#include "replay.h"
#include "triage.h"

static char root[1024]; /* <TMPDIR>/fuzz_triage.XXXXXX, this process's own */
static unsigned ntargets;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_triage: promise broken: %s\n", what);
	if (detail)
		fprintf(stderr, "%s\n", detail);
	abort();
}

static void remove_root(void)
{
	if (root[0])
		cli_rm_tree(root);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(root, sizeof(root), "%s/fuzz_triage.XXXXXX", tmp) >= (int)sizeof(root) ||
	    !mkdtemp(root)) {
		fprintf(stderr, "fuzz_triage: cannot make a scratch folder under %s: %s\n", tmp,
			strerror(errno));
		exit(2);
	}
	atexit(remove_root);
	while (esc_targets[ntargets])
		ntargets++;
	/* the layouts below say which target the folders name: the scratch path must name none */
	char copy[sizeof(root)];
	snprintf(copy, sizeof(copy), "%s", root);
	for (char *c = strtok(copy, "/"); c; c = strtok(NULL, "/"))
		if (esc_find_target(esc_targets, c)) {
			fprintf(stderr, "fuzz_triage: %s names target %s: use another TMPDIR\n", root, c);
			exit(2);
		}
}

/* ---- the scratch folder ---- */

static void mkdirs(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) {
		fprintf(stderr, "fuzz_triage: cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

/* Every path under dir (relative to root, sorted), one per line, into buf. */
static void list_tree(const char *dir, char *buf, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	for (int k = 0; k < n; k++) {
		const char *nm = names[k]->d_name;
		char sub[PATH_MAX];
		struct stat st;
		if (strcmp(nm, ".") && strcmp(nm, "..") &&
		    snprintf(sub, sizeof(sub), "%s/%s", dir, nm) < (int)sizeof(sub)) {
			size_t used = strlen(buf);
			snprintf(buf + used, len - used, "%s\n", sub + strlen(root) + 1);
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				list_tree(sub, buf, len);
		}
		free(names[k]);
	}
	free(n >= 0 ? names : NULL);
}

/* ---- layouts: where the artifact lies, what the walk must make of it ---- */

typedef struct layout {
	const char *dir;    /* under root; %1$s the target, %2$s another target */
	const char *prefix; /* of the file name */
	const char *origin;
	int hinted;         /* a folder names the target */
} layout;

static const layout layouts[8] = {
	{ "art/artifacts/%1$s", "crash-", "libfuzzer-crash", 1 },
	{ "art/artifacts/%1$s", "leak-", "libfuzzer-leak", 1 },
	{ "art/%2$s/artifacts/%1$s", "timeout-", "libfuzzer-timeout", 1 }, /* deepest wins */
	{ "art/%1$s/merge", "oom-", "libfuzzer-oom", 1 },
	{ "art/afl/%1$s/main/crashes", "id:000000,sig:06,src:000001,op:havoc,rep:4", "afl-crash", 1 },
	{ "art/afl/%1$s/s1/hangs", "id_000002,src:000000", "afl-hang", 1 },
	{ "art/night", "input-", "scenario", 0 },      /* + ".scn" */
	{ "art/night/run", "slow-unit-", "libfuzzer-slow", 0 }, /* odd bytes in the name */
};

/* ---- the fuzz binary's reading of an artifact (the spec of fuzz_driver.c) ---- */

/* Returns 1 and fills d when fuzz_<t> runs a scenario for these bytes, else 0. */
static int driver_runs(esc_scn *d, const esc_target *t, const uint8_t *data, size_t size)
{
	const esc_target *only[2] = { t, NULL };
	size_t ml = sizeof(ESC_CONTAINER_MAGIC) - 1, tl = strlen(t->name);
	esc_scn_init(d, t);
	if (size >= ml && memcmp(data, ESC_CONTAINER_MAGIC, ml) == 0) {
		if (size < ml + 1 + tl || data[ml] != tl || memcmp(data + ml + 1, t->name, tl))
			return 0;
		esc_decode(d, t, data + ml + 1 + tl, size - ml - 1 - tl);
		return 1;
	}
	if (esc_looks_like_text(data, size))
		return esc_parse(d, only, (const char *)data, size, NULL, 0) == 0;
	esc_decode(d, t, data, size);
	return 1;
}

/* ---- capturing what a command prints ---- */

typedef struct capture {
	char *out, *err;
	size_t outlen, errlen;
	FILE *saved_out, *saved_err;
	struct sigaction sa[3];
} capture;

static const int cleanup_sigs[3] = { SIGINT, SIGTERM, SIGHUP };

/* stdout and stderr as FILE* go to memory (a sanitizer still writes to fd 2); the
 * command's signal handlers are undone afterwards. */
static void capture_start(capture *c)
{
	memset(c, 0, sizeof(*c));
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++)
		sigaction(cleanup_sigs[i], NULL, &c->sa[i]);
	c->saved_out = stdout;
	c->saved_err = stderr;
	FILE *o = open_memstream(&c->out, &c->outlen);
	FILE *e = open_memstream(&c->err, &c->errlen);
	if (!o || !e)
		fail("open_memstream", strerror(errno));
	stdout = o;
	stderr = e;
}

static void capture_end(capture *c)
{
	fclose(stdout);
	fclose(stderr);
	stdout = c->saved_out;
	stderr = c->saved_err;
	for (int i = 0; i < 3; i++)
		sigaction(cleanup_sigs[i], &c->sa[i], NULL);
}

static void capture_free(capture *c)
{
	free(c->out);
	free(c->err);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* No control byte in s but a final newline: one line of text. */
static int one_line(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || s[n - 1] != '\n')
		return 0;
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The message of a refusal: "path: reason" or "path:line:col: reason", where the reason
 * is one line of text (the path is the file's name, whatever bytes it holds). */
static void check_error_line(const char *msg, const char *path, const char *what)
{
	char buf[1200];
	size_t pl = strlen(path);
	snprintf(buf, sizeof(buf), "%s: %s", what, msg);
	if (strncmp(msg, path, pl) != 0 || msg[pl] != ':')
		fail("a refusal does not start with the file's name", buf);
	char line[1100];
	snprintf(line, sizeof(line), "%s\n", msg + pl);
	if (!one_line(line) || strlen(msg + pl) < 3)
		fail("a refusal is not one line of text", buf);
}

/* Runs cmd(argv) with its output captured; returns its exit code. */
static int run_cmd(int (*cmd)(int, char **), char **argv, int argc, capture *c)
{
	capture_start(c);
	int rc = cmd(argc, argv);
	capture_end(c);
	return rc;
}

/* ---- accepted: the round trips ---- */

static void must_equal(const esc_scn *a, const esc_scn *b, int whole, const char *what,
		       const char *text)
{
	if (a->target != b->target || (whole ? esc_scn_cmp(a, b) : esc_scn_cmp_ops(a, b)))
		fail(what, text);
}

static void check_accepted(const esc_scn *s, const char *path)
{
	char why[200], err[600], p[PATH_MAX];
	if (esc_scn_validate(s, why, sizeof(why)))
		fail("an accepted artifact is not a valid scenario", why);
	char *text = esc_print(s);
	if (!text)
		fail("out of memory", NULL);
	if (!esc_looks_like_text((const uint8_t *)text, strlen(text)))
		fail("the printed scenario does not look like text to the loader", text);
	/* as text, through a file */
	snprintf(p, sizeof(p), "%s/out", root);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/out/again.scn", root);
	put_file(p, text, strlen(text));
	esc_scn back;
	if (esc_load_file(&back, esc_targets, p, NULL, err, sizeof(err)))
		fail("the printed scenario does not load back", err);
	must_equal(s, &back, 1, "print, load: not the same scenario", text);
	char *text2 = esc_print(&back);
	if (!text2 || strcmp(text, text2))
		fail("printing is not stable", text);
	free(text2);
	esc_scn_clear(&back);
	/* every op's line, as triage reports it */
	for (unsigned k = 0; k < s->nops; k++) {
		unsigned want = kn_op_line(s, k), line = 1;
		const char *l = text;
		while (line < want && (l = strchr(l, '\n')))
			l++, line++;
		if (!l)
			fail("kn_op_line is past the end of the text", text);
		while (*l == ' ')
			l++;
		if (*l == '$') {
			const char *eq = strstr(l, " = ");
			l = eq ? eq + 3 : l;
			while (*l == ' ')
				l++;
		}
		const char *name = s->target->ops[s->ops[k].op].name;
		size_t nl = strlen(name);
		if (strncmp(l, name, nl) || (l[nl] != ' ' && l[nl] != '\n')) {
			snprintf(why, sizeof(why), "op %u (%s) is not on line %u", k, name, want);
			fail(why, text);
		}
	}
	/* as a binary container */
	uint8_t *box;
	size_t boxlen;
	if (esc_container(s, &box, &boxlen))
		fail("esc_container failed", text);
	snprintf(p, sizeof(p), "%s/out/again.bin", root);
	put_file(p, box, boxlen);
	if (esc_load_file(&back, esc_targets, p, NULL, err, sizeof(err)))
		fail("the container does not load back", err);
	must_equal(s, &back, 0, "container, load: not the same ops", text);
	esc_scn_clear(&back);
	/* as a raw artifact of its target, which is what fuzz_<target> would keep */
	size_t hl = 5 + strlen(s->target->name);
	if (esc_load_buf(&back, esc_targets, "raw", box + hl, boxlen - hl, s->target, err,
			 sizeof(err)) == 0) {
		esc_scn ran;
		if (driver_runs(&ran, s->target, box + hl, boxlen - hl))
			must_equal(&ran, &back, 0, "raw bytes: the loader and the fuzz binary differ", text);
		esc_scn_clear(&ran);
		if (!esc_looks_like_text(box + hl, boxlen - hl) && memcmp(box + hl, "ESC\1", 4))
			must_equal(s, &back, 0, "encode, load raw: not the same ops", text);
		esc_scn_clear(&back);
	}
	free(box);
	/* triage's note naming the artifact keeps the scenario loadable */
	esc_scn noted;
	esc_scn_init(&noted, s->target);
	if (esc_scn_copy(&noted, s))
		fail("out of memory", NULL);
	char note[PATH_MAX + 64];
	snprintf(note, sizeof(note), "triaged by escapade from 1 input(s), first %s", path);
	if (noted.nnotes < ESC_MAX_NOTES) {
		if (cli_add_note(&noted, note))
			fail("cli_add_note failed with room left", NULL);
		char *t3 = esc_print(&noted);
		if (!t3)
			fail("out of memory", NULL);
		if (esc_load_buf(&back, esc_targets, "noted.scn", (const uint8_t *)t3, strlen(t3),
				 NULL, err, sizeof(err)))
			fail("a note naming the artifact makes the scenario unloadable", err);
		must_equal(&noted, &back, 1, "a noted scenario does not load back the same", t3);
		esc_scn_clear(&back);
		free(t3);
	}
	esc_scn_clear(&noted);
	free(text);
}

/* ---- refused: one line, exit 2, nothing written ---- */

static void check_refused_cli(const char *art, const char *path, const esc_target *forced,
			      const esc_target *hint, const char *err)
{
	char out[PATH_MAX], regs[PATH_MAX], before[4096] = "", after[4096] = "";
	snprintf(out, sizeof(out), "%s/report", root);
	snprintf(regs, sizeof(regs), "%s/regs", root);
	mkdir(regs, 0755);
	list_tree(root, before, sizeof(before));
	capture c;
	/* triage takes the target from the folders, or --target; the others need --target */
	char *forced_name = forced ? (char *)forced->name : NULL;
	char *hint_name = hint ? (char *)hint->name : NULL;
	char line[1800];

	char *tv[] = { (char *)art, "-o", out, "--regressions", regs, "--target", forced_name, NULL };
	int rc = run_cmd(cmd_triage, tv, forced ? 7 : 5, &c);
	/* "path: skipped: reason" (the path as it is, whatever bytes it holds), then the
	 * closing line */
	size_t pl = strlen(path);
	const char *reason = err + pl + (err[pl + 1] == ' ' ? 2 : 1);
	snprintf(line, sizeof(line), "%s: skipped: ", path);
	size_t ll = strlen(line);
	if (rc != EXIT_BAD || c.outlen || !c.err || strncmp(c.err, line, ll))
		fail("triage of a refused artifact: not exit 2 with its line", c.err);
	const char *second = strchr(c.err + ll, '\n');
	if (!second || count_lines(c.err + ll) != 2 ||
	    strncmp(second + 1, "escapade triage: no input could be read", 39))
		fail("triage of a refused artifact: not one line for it and the closing line", c.err);
	if (!strstr(err, "--target NAME") &&
	    ((size_t)(second - c.err) - ll != strlen(reason) ||
	     strncmp(c.err + ll, reason, strlen(reason))))
		fail("triage gives another reason than the loader", c.err);
	capture_free(&c);

	char *rv[] = { (char *)path, "--regressions", regs, "--target", hint_name, NULL };
	rc = run_cmd(cmd_record, rv, hint ? 5 : 3, &c);
	snprintf(line, sizeof(line), "%s\n", err);
	if (rc != EXIT_BAD || c.outlen || !c.err || strcmp(c.err, line))
		fail("record of a refused artifact: not exit 2 with the loader's line", c.err);
	capture_free(&c);

	char *mv[] = { (char *)path, "-o", out, "--target", hint_name, NULL };
	rc = run_cmd(cmd_minimize, mv, hint ? 5 : 3, &c);
	if (rc != EXIT_BAD || c.outlen || !c.err || strcmp(c.err, line))
		fail("minimize of a refused artifact: not exit 2 with the loader's line", c.err);
	capture_free(&c);

	list_tree(root, after, sizeof(after));
	if (strcmp(before, after))
		fail("a refused artifact left files behind", after);
}

/* ---- the regressions index on the same bytes ---- */

static void check_known(const uint8_t *data, size_t size, const esc_target *t)
{
	char dir[1400], p[1500], err[600];
	snprintf(dir, sizeof(dir), "%s/kept/%s", root, t->name);
	mkdirs(dir);
	snprintf(p, sizeof(p), "%s/r.scn", dir);
	put_file(p, data, size);
	esc_scn s;
	int rc = esc_load_file(&s, esc_targets, p, NULL, err, sizeof(err));
	if (rc == 0) {
		for (unsigned x = 0; x < s.nexpect; x++)
			if (s.target == t && s.expect[x].kind != ESC_CONTAINED) {
				esc_scn_clear(&s);
				return; /* kn_load would replay it in a child: not here */
			}
		esc_scn_clear(&s);
	}
	kn_index ix;
	memset(&ix, 0, sizeof(ix));
	snprintf(dir, sizeof(dir), "%s/kept", root);
	capture c;
	capture_start(&c);
	int lrc = kn_load(&ix, dir, t, 1000);
	capture_end(&c);
	char want[700];
	snprintf(want, sizeof(want), "warning: regression %s\n", err);
	if (lrc || ix.n || ix.nfiles + ix.nbad != 1 || (rc == 0) != (ix.nfiles == 1) ||
	    (rc == 0 ? c.errlen != 0 : strcmp(c.err, want) != 0))
		fail("kn_load of one file: not one file read, or not the loader's one line", c.err);
	capture_free(&c);
	kn_free(&ix);
}

/* ---- sanitizer reports ---- */

static void check_classify(const uint8_t *data, size_t size)
{
	size_t n = size < RP_REPORT_MAX ? size : RP_REPORT_MAX; /* what a replay keeps */
	char *rep = malloc(n + 1);
	if (!rep)
		return;
	memcpy(rep, data, n);
	rep[n] = 0;
	char type[64], frames[RP_NFRAMES][128], type2[64], frames2[RP_NFRAMES][128];
	unsigned nf, nf2;
	rp_class c = rp_classify_report(rep, type, sizeof(type), frames, &nf);
	rp_class c2 = rp_classify_report(rep, type2, sizeof(type2), frames2, &nf2);
	if (c != c2 || nf != nf2 || strcmp(type, type2))
		fail("classifying a report twice gives two answers", rep);
	if (c != RP_CONTAINED && c != RP_CRASH && c != RP_LEAK)
		fail("a report classified as something else than crash, leak or nothing", rep);
	if (c == RP_CONTAINED && (type[0] || nf))
		fail("no sanitizer error, yet a type or frames", rep);
	if (nf > RP_NFRAMES)
		fail("more frames than RP_NFRAMES", rep);
	if (c != RP_CONTAINED) {
		if (!type[0])
			fail("a sanitizer error without a type", rep);
		for (const char *p = type; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				fail("a crash type that is not one word", rep);
	}
	for (unsigned i = 0; i < nf; i++) {
		char l[140];
		snprintf(l, sizeof(l), "%s\n", frames[i]);
		if (!frames[i][0] || !one_line(l) || strcmp(frames[i], frames2[i]))
			fail("a frame that is empty or not one line of text", rep);
	}
	free(rep);
}

/* ---- one input ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0])
		setup();
	if (size > ESC_MAX_FILE)
		return 0;
	cli_rm_tree(root);
	if (mkdir(root, 0700)) {
		fprintf(stderr, "fuzz_triage: cannot make %s: %s\n", root, strerror(errno));
		exit(2);
	}
	check_classify(data, size);

	unsigned sel = size ? data[0] : 0;
	const layout *lo = &layouts[sel & 7];
	const esc_target *t = esc_targets[(sel >> 3) % ntargets];
	const esc_target *other = esc_targets[((sel >> 3) + 1) % ntargets];
	const esc_target *forced = !lo->hinted && (sel & 0x80) ? t : NULL; /* --target */
	const esc_target *hint = lo->hinted ? t : forced;

	char dir[1400], path[1600], art[1100], sub[256], name[128];
	snprintf(sub, sizeof(sub), lo->dir, t->name, other->name);
	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	snprintf(art, sizeof(art), "%s/art", root);
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	if ((sel & 7) == 6) {
		snprintf(name, sizeof(name), "%s%016llx.scn", lo->prefix, (unsigned long long)h);
	} else if ((sel & 7) == 7) {
		/* up to 8 bytes of the input in the name: any byte but '/' and NUL */
		size_t k = strlen(lo->prefix);
		memcpy(name, lo->prefix, k);
		for (size_t i = 1; i < size && i <= 8; i++)
			name[k++] = data[i] == '/' ? '_' : data[i] ? (char)data[i] : '0';
		name[k] = 0;
	} else if (lo->prefix[0] == 'i') {
		snprintf(name, sizeof(name), "%s", lo->prefix);
	} else {
		snprintf(name, sizeof(name), "%s%016llx", lo->prefix, (unsigned long long)h);
	}
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	put_file(path, data, size);

	/* the walk */
	tr_srcs srcs;
	memset(&srcs, 0, sizeof(srcs));
	const char *paths[1] = { art };
	if (tr_collect(&srcs, paths, 1, forced))
		fail("tr_collect: out of memory", NULL);
	if (srcs.n != 1 || srcs.nbad || srcs.ignored || strcmp(srcs.v[0].path, path) ||
	    strcmp(srcs.v[0].origin, lo->origin) || srcs.v[0].hint != hint) {
		char d[PATH_MAX + 200];
		snprintf(d, sizeof(d), "%s as %s (target %s): found %zu, %zu bad, %u ignored; %s %s %s",
			 path, lo->origin, hint ? hint->name : "none", srcs.n, srcs.nbad, srcs.ignored,
			 srcs.n ? srcs.v[0].path : "-", srcs.n ? srcs.v[0].origin : "-",
			 srcs.n && srcs.v[0].hint ? srcs.v[0].hint->name : "-");
		fail("the walk does not find the artifact as its name and folders say", d);
	}
	tr_srcs_free(&srcs);

	/* the load, as triage does it */
	char err[600] = "", err2[600] = "";
	esc_scn s, m;
	int rc = esc_load_file(&s, esc_targets, path, hint, err, sizeof(err));
	int rc2 = esc_load_buf(&m, esc_targets, path, data, size, hint, err2, sizeof(err2));
	if (rc != rc2 || (rc && strcmp(err, err2)) || (!rc && (m.target != s.target || esc_scn_cmp(&s, &m))))
		fail("loading from the file and from memory differ", rc ? err : err2);
	esc_scn_clear(&m);
	if (hint) {
		esc_scn ran;
		if (driver_runs(&ran, hint, data, size)) {
			if (rc)
				fail("fuzz binary ran it, triage refuses it (a lost finding)", err);
			must_equal(&ran, &s, 0, "triage reads another scenario than the fuzz binary ran", NULL);
		}
		esc_scn_clear(&ran);
	}
	if (rc == 0) {
		check_accepted(&s, path);
	} else {
		check_error_line(err, path, "esc_load_file");
		if (s.nops || s.nnotes || s.nexpect || s.head || s.trailer)
			fail("a refused artifact left a scenario behind", err);
		check_refused_cli(art, path, forced, hint, err);
	}
	esc_scn_clear(&s);
	check_known(data, size, t);
	return 0;
}

/* `escapade triage PATH...` (see triage.h): replays every input several times in forked
 * children, groups them by target, kind and signature, minimizes the smallest input of
 * each group, fills its expectations for every profile, marks it new or known against
 * the kept regressions, ranks by severity, and writes report.json, report.sarif,
 * summary.md, and per finding <kind>-<sig16>.scn (+ .dot/.svg/.png for escapes) into a
 * temporary sibling folder renamed into place at the end: an interrupted triage never
 * leaves a half-written report.
 *
 * Exit: 0 nothing new, 1 at least one new finding, 2 usage, nothing readable, or the
 * report could not be written.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "known.h"
#include "triage.h"

#define MAX_OUTCOMES 8

const char *const tr_all_kinds[] = {
	"host-execution", "privilege-amplification", "reference-leak", "forged-authority",
	"policy-bypass", "integrity-violation", "audit-gap", "sanitizer", "leak", "hang", NULL,
};

double tr_severity(const char *kind)
{
	static const struct {
		const char *kind;
		double sev;
	} tab[] = {
		{ "host-execution", 9.8 }, { "privilege-amplification", 9.1 },
		{ "reference-leak", 8.6 }, { "forged-authority", 8.1 }, { "policy-bypass", 7.5 },
		{ "integrity-violation", 7.1 }, { "sanitizer", 7.0 }, { "audit-gap", 5.3 },
		{ "leak", 4.0 }, { "hang", 3.0 },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].kind, kind) == 0)
			return tab[i].sev;
	return 5.0;
}

const char *tr_kind_text(const char *kind)
{
	static const struct {
		const char *kind, *text;
	} tab[] = {
		{ "host-execution", "Sandboxed code triggered a host-only capability (exec, native load)" },
		{ "privilege-amplification", "A principal holds or uses authority its parent or grantor lacked" },
		{ "reference-leak", "A lower-trust principal holds a raw reference to a higher-trust object" },
		{ "forged-authority", "An action was accepted on a forged, tampered, replayed, revoked or expired credential" },
		{ "policy-bypass", "An operation the policy denies succeeded" },
		{ "integrity-violation", "Sandboxed code changed protected host state" },
		{ "audit-gap", "A boundary crossing left no audit record, or the audit chain no longer verifies" },
		{ "sanitizer", "A sanitizer reported a memory error or undefined behaviour, or the target died of a signal" },
		{ "leak", "LeakSanitizer reported leaked memory" },
		{ "hang", "A scenario ran past the time bound" },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].kind, kind) == 0)
			return tab[i].text;
	return kind;
}

/* ---- paths for the report ---- */

void tr_uri(const tr_report *rep, const char *abs, char *uri, size_t len, const char **base_id)
{
	size_t n = strlen(rep->srcroot);
	if (n && strncmp(abs, rep->srcroot, n) == 0 && abs[n] == '/') {
		snprintf(uri, len, "%s", abs + n + 1);
		*base_id = "SRCROOT";
	} else {
		snprintf(uri, len, "file://%s", abs);
		*base_id = NULL;
	}
}

void tr_location(const tr_report *rep, const tr_entry *e, char *abs, size_t len)
{
	if (e->known) {
		char *r = realpath(e->known_path, NULL);
		snprintf(abs, len, "%s", r ? r : e->known_path);
		free(r);
	} else {
		snprintf(abs, len, "%s/%s.scn", rep->outdir, e->base);
	}
}

const char *tr_repro_cmd(const tr_report *rep, const tr_entry *e, char *buf, size_t len)
{
	char abs[PATH_MAX], shown[PATH_MAX];
	const char *file;
	if (e->known) {
		file = e->known_path;
	} else {
		tr_location(rep, e, abs, sizeof(abs));
		file = cli_display_path(abs, shown, sizeof(shown));
	}
	snprintf(buf, len, "escapade repro %s --profile %s --trace", file,
		 e->target->profiles[e->profile]);
	return buf;
}

/* Walks up from the current directory to a folder holding .git. */
static void find_srcroot(char *root, size_t len)
{
	char cwd[PATH_MAX];
	root[0] = 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return;
	for (;;) {
		char probe[PATH_MAX + 8];
		struct stat st;
		snprintf(probe, sizeof(probe), "%s/.git", cwd);
		if (stat(probe, &st) == 0) {
			snprintf(root, len, "%s", cwd);
			return;
		}
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			return;
		*slash = 0;
	}
}

/* ---- notes ---- */

static int note_push(tr_note **v, size_t *n, const char *path, const char *reason)
{
	tr_note *p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		return -1;
	*v = p;
	char *a = strdup(path), *b = strdup(reason);
	if (!a || !b) {
		free(a);
		free(b);
		return -1;
	}
	p[(*n)++] = (tr_note){ a, b };
	return 0;
}

static void notes_free(tr_note *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].reason);
	}
	free(v);
}

/* ---- replaying one input ---- */

typedef struct outcome {
	rp_result r;
	char kind[32];
	uint64_t sig;
	unsigned count;
} outcome;

static void describe(const rp_result *r, char *buf, size_t len)
{
	switch (r->cls) {
	case RP_ESCAPE: snprintf(buf, len, "escape %s", esc_verdict_name(r->v.kind)); break;
	case RP_CRASH: snprintf(buf, len, "crash %s", r->crash_type); break;
	case RP_LEAK: snprintf(buf, len, "leak"); break;
	case RP_HANG: snprintf(buf, len, "hang (%s)", r->crash_type); break;
	case RP_CONTAINED: snprintf(buf, len, "contained"); break;
	case RP_UNAVAILABLE: snprintf(buf, len, "layer unavailable on this machine"); break;
	default: snprintf(buf, len, "replay failed: %s", r->why); break;
	}
}

typedef struct triage_run {
	tr_report *rep;
	int tty;
	unsigned min_timeout_ms;
	int no_minimize;
	int oom;
} triage_run;

static tr_entry *find_entry(tr_report *rep, const esc_target *t, const char *kind, uint64_t sig)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->e[i].target == t && rep->e[i].sig == sig && strcmp(rep->e[i].kind, kind) == 0)
			return &rep->e[i];
	return NULL;
}

static int entry_add_input(tr_entry *e, const char *path)
{
	char **p = realloc(e->inputs, (e->ninputs + 1) * sizeof(*p));
	if (!p)
		return -1;
	e->inputs = p;
	if (!(p[e->ninputs] = strdup(path)))
		return -1;
	e->ninputs++;
	return 0;
}

/* Adds the outcome o of input s (ownership of s and o->r moves on success or failure). */
static int group(triage_run *tr, const tr_src *src, esc_scn *s, unsigned profile, outcome *o,
		 unsigned replays)
{
	tr_report *rep = tr->rep;
	tr_entry *e = find_entry(rep, s->target, o->kind, o->sig);
	if (!e) {
		tr_entry *p = realloc(rep->e, (rep->n + 1) * sizeof(*p));
		if (!p) {
			esc_scn_clear(s);
			free(s);
			rp_result_clear(&o->r);
			return -1;
		}
		rep->e = p;
		e = &rep->e[rep->n++];
		memset(e, 0, sizeof(*e));
		e->target = s->target;
		e->profile = profile;
		e->cls = o->r.cls;
		snprintf(e->kind, sizeof(e->kind), "%s", o->kind);
		e->sig = o->sig;
		e->scn = s;
		e->r = o->r;
	} else if (s->nops < e->scn->nops) {
		esc_scn_clear(e->scn);
		free(e->scn);
		rp_result_clear(&e->r);
		e->scn = s;
		e->r = o->r;
	} else {
		esc_scn_clear(s);
		free(s);
		rp_result_clear(&o->r);
	}
	memset(&o->r, 0, sizeof(o->r));
	e->replays += replays;
	e->reproduced += o->count;
	return entry_add_input(e, src->path);
}

static int process_input(triage_run *tr, const tr_src *src, size_t idx, size_t total)
{
	tr_report *rep = tr->rep;
	char err[600], what[200];
	esc_scn *s = malloc(sizeof(*s));
	if (!s)
		return -1;
	if (esc_load_file(s, esc_targets, src->path, src->hint, err, sizeof(err))) {
		free(s);
		size_t plen = strlen(src->path);
		const char *reason = err; /* "path: reason" or "path:line:col: reason" */
		if (strncmp(err, src->path, plen) == 0 && err[plen] == ':')
			reason = err + plen + 1 + (err[plen + 1] == ' ');
		if (strstr(err, "--target NAME"))
			reason = "raw input of unknown target (pass --target NAME, or keep it under "
				 "a folder named after its target)";
		fprintf(stderr, "%s: skipped: %s\n", src->path, reason);
		return note_push(&rep->skipped, &rep->nskipped, src->path, reason);
	}
	int prof = 0;
	if (rep->profile_name) {
		prof = esc_profile_index(s->target, rep->profile_name);
		if (prof < 0) {
			snprintf(what, sizeof(what), "target %s has no profile '%s'", s->target->name,
				 rep->profile_name);
			fprintf(stderr, "%s: skipped: %s\n", src->path, what);
			esc_scn_clear(s);
			free(s);
			return note_push(&rep->skipped, &rep->nskipped, src->path, what);
		}
	}
	rep->nread++;
	outcome oc[MAX_OUTCOMES];
	unsigned noc = 0, contained = 0;
	memset(oc, 0, sizeof(oc));
	const char *fail = NULL;
	for (unsigned i = 0; i < rep->replays && !fail; i++) {
		rp_result r;
		memset(&r, 0, sizeof(r));
		rp_replay(s, (unsigned)prof, rep->timeout_ms, &r);
		if (r.cls == RP_FAILED || r.cls == RP_UNAVAILABLE) {
			describe(&r, what, sizeof(what));
			fail = what;
		} else if (r.cls == RP_CONTAINED) {
			contained++;
		} else {
			char kind[32];
			uint64_t sig;
			rp_key(s, &r, kind, sizeof(kind), &sig);
			unsigned k = 0;
			while (k < noc && !(oc[k].sig == sig && strcmp(oc[k].kind, kind) == 0))
				k++;
			if (k < noc) {
				oc[k].count++;
			} else if (noc < MAX_OUTCOMES) {
				oc[noc].r = r;
				memset(&r, 0, sizeof(r));
				snprintf(oc[noc].kind, sizeof(oc[noc].kind), "%s", kind);
				oc[noc].sig = sig;
				oc[noc].count = 1;
				noc++;
			}
		}
		rp_result_clear(&r);
	}
	int rc = 0;
	if (fail) {
		fprintf(stderr, "%s: skipped: %s\n", src->path, fail);
		rep->nread--;
		rc = note_push(&rep->skipped, &rep->nskipped, src->path, fail);
		esc_scn_clear(s);
		free(s);
	} else if (noc == 0) {
		snprintf(what, sizeof(what), "contained in %u of %u replays under %s (%s)", contained,
			 rep->replays, s->target->profiles[prof], src->origin);
		if (tr->tty)
			fprintf(stderr, "[%zu/%zu] %s: not reproduced\n", idx + 1, total, src->path);
		rc = note_push(&rep->unreproduced, &rep->nunrepro, src->path, what);
		esc_scn_clear(s);
		free(s);
	} else {
		unsigned best = 0;
		for (unsigned k = 1; k < noc; k++)
			if (oc[k].count > oc[best].count ||
			    (oc[k].count == oc[best].count &&
			     tr_severity(oc[k].kind) > tr_severity(oc[best].kind)))
				best = k;
		if (tr->tty) {
			describe(&oc[best].r, what, sizeof(what));
			fprintf(stderr, "[%zu/%zu] %s: %s (%u/%u)\n", idx + 1, total, src->path, what,
				oc[best].count, rep->replays);
		}
		rc = group(tr, src, s, (unsigned)prof, &oc[best], rep->replays);
	}
	for (unsigned k = 0; k < noc; k++)
		rp_result_clear(&oc[k].r);
	return rc;
}

/* ---- finishing an entry ---- */

typedef struct crash_pred_arg {
	const tr_entry *e;
	unsigned timeout_ms;
} crash_pred_arg;

static int crash_pred(const esc_scn *cand, void *arg)
{
	const crash_pred_arg *a = arg;
	rp_result r;
	memset(&r, 0, sizeof(r));
	rp_replay(cand, a->e->profile, a->timeout_ms, &r);
	char kind[32];
	uint64_t sig;
	rp_key(cand, &r, kind, sizeof(kind), &sig);
	int ok = r.cls == a->e->cls && sig == a->e->sig && strcmp(kind, a->e->kind) == 0;
	rp_result_clear(&r);
	return ok;
}

static void add_note(esc_scn *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(esc_scn *s, const char *fmt, ...)
{
	if (s->nnotes >= ESC_MAX_NOTES)
		return;
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cli_add_note(s, buf); /* an input's path may hold any byte */
}

static void minimize_entry(triage_run *tr, tr_entry *e)
{
	tr_report *rep = tr->rep;
	esc_min_stats st;
	char why[200] = "";
	memset(&st, 0, sizeof(st));
	if (tr->no_minimize) {
		snprintf(e->min_note, sizeof(e->min_note), "not minimized (--no-minimize)");
		return;
	}
	if (e->cls == RP_HANG) {
		snprintf(e->min_note, sizeof(e->min_note),
			 "hangs are not minimized: every try would cost the time bound");
		return;
	}
	esc_scn *keep = malloc(sizeof(*keep));
	if (!keep) {
		tr->oom = 1;
		return;
	}
	esc_scn_init(keep, e->target);
	if (esc_scn_copy(keep, e->scn)) {
		free(keep);
		tr->oom = 1;
		return;
	}
	int rc;
	if (tr->tty)
		fprintf(stderr, "minimizing %s-%016llx (%u ops)\n", e->kind,
			(unsigned long long)e->sig, e->scn->nops);
	if (e->cls == RP_ESCAPE) {
		rc = rp_minimize(e->scn, e->profile, &e->r.v, tr->min_timeout_ms, 0, tr->tty, &st,
				 why, sizeof(why));
	} else {
		crash_pred_arg a = { e, rep->timeout_ms };
		esc_min_opts o = { .pred = crash_pred, .pred_arg = &a, .step = e->r.last_step,
				   .max_tries = 200,
				   .progress = tr->tty ? rp_print_progress : NULL };
		rc = esc_min_run(e->scn, &o, &st);
		if (tr->tty)
			fprintf(stderr, "\n");
		if (rc)
			snprintf(why, sizeof(why), "%s", esc_strerror(rc));
	}
	/* the minimized scenario must still show the finding under the triage profile */
	if (!rc) {
		rp_result r;
		memset(&r, 0, sizeof(r));
		rp_replay(e->scn, e->profile, rep->timeout_ms, &r);
		char kind[32];
		uint64_t sig;
		rp_key(e->scn, &r, kind, sizeof(kind), &sig);
		if (r.cls == e->cls && sig == e->sig && strcmp(kind, e->kind) == 0) {
			rp_result_clear(&e->r);
			e->r = r;
			e->minimized = 1;
		} else {
			rp_result_clear(&r);
			snprintf(why, sizeof(why), "the minimized scenario did not reproduce it");
			rc = -1;
		}
	}
	if (rc) {
		snprintf(e->min_note, sizeof(e->min_note), "not minimized: %s", why);
		fprintf(stderr, "%s-%016llx: %s; keeping the input as it is\n", e->kind,
			(unsigned long long)e->sig, e->min_note);
		esc_scn_clear(e->scn);
		memcpy(e->scn, keep, sizeof(*keep)); /* ownership of keep's strings moves */
	} else {
		esc_scn_clear(keep);
	}
	free(keep);
}

/* Expectations for every profile, by replaying (hangs: the triage profile only). */
static void fill_expectations(triage_run *tr, tr_entry *e)
{
	esc_scn *s = e->scn;
	s->nexpect = 0;
	for (unsigned p = 0; p < e->target->nprofiles; p++) {
		rp_result r, *use = &r;
		memset(&r, 0, sizeof(r));
		if (p == e->profile)
			use = &e->r;
		else if (e->cls == RP_HANG)
			continue;
		else
			rp_replay(s, p, tr->rep->timeout_ms, &r);
		if (use->cls == RP_ESCAPE)
			esc_scn_set_expect(s, p, use->v.kind);
		else if (use->cls == RP_CONTAINED)
			esc_scn_set_expect(s, p, ESC_CONTAINED);
		else {
			char what[200];
			describe(use, what, sizeof(what));
			add_note(s, "profile %s: %s (no expectation can say so)", e->target->profiles[p],
				 what);
		}
		rp_result_clear(&r);
	}
}

static void finish_entry(triage_run *tr, tr_entry *e, kn_index *kn)
{
	tr_report *rep = tr->rep;
	e->ops_before = e->scn->nops;
	minimize_entry(tr, e);
	e->flaky = e->reproduced < e->replays;
	snprintf(e->base, sizeof(e->base), "%s-%016llx", e->kind, (unsigned long long)e->sig);
	e->severity = tr_severity(e->kind);
	if (e->cls == RP_ESCAPE && rep->regressions) {
		kn_load(kn, rep->regressions, e->target, rep->timeout_ms);
		const kn_entry *k = kn_find(kn, e->target, e->r.v.kind, e->sig);
		if (k) {
			e->known = 1;
			snprintf(e->known_path, sizeof(e->known_path), "%s", k->path);
			e->known_line = k->line;
			e->known_profile = k->profile;
		}
	}
	fill_expectations(tr, e);
	if (e->cls == RP_ESCAPE)
		add_note(e->scn, "%s (%s): %s", e->kind, e->target->profiles[e->profile],
			 e->r.v.summary);
	else if (e->cls == RP_HANG)
		add_note(e->scn, "hang: no verdict within %u ms under %s (last step %d)",
			 rep->timeout_ms, e->target->profiles[e->profile], e->r.last_step);
	else
		add_note(e->scn, "%s %s under %s%s%s%s%s%s", e->kind, e->r.crash_type,
			 e->target->profiles[e->profile], e->r.nframes ? " in " : "",
			 e->r.nframes ? e->r.frames[0] : "", e->r.nframes > 1 ? " < " : "",
			 e->r.nframes > 1 ? e->r.frames[1] : "", "");
	add_note(e->scn, "triaged by escapade from %u input(s), first %s", e->ninputs,
		 e->inputs[0]);
	int step = e->cls == RP_ESCAPE ? e->r.v.step : e->r.last_step;
	e->op_line = kn_op_line(e->scn, step > 0 ? (unsigned)step : 0);
}

static int entry_cmp(const void *a, const void *b)
{
	const tr_entry *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->known != y->known)
		return x->known ? 1 : -1;
	return strcmp(x->base, y->base);
}

static void report_free(tr_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		tr_entry *e = &rep->e[i];
		for (unsigned k = 0; k < e->ninputs; k++)
			free(e->inputs[k]);
		free(e->inputs);
		esc_scn_clear(e->scn);
		free(e->scn);
		rp_result_clear(&e->r);
	}
	free(rep->e);
	notes_free(rep->skipped, rep->nskipped);
	notes_free(rep->unreproduced, rep->nunrepro);
}

/* ---- the output folder ---- */

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* Splits out into an absolute parent folder and a base name. Returns 0 or -1. */
static int split_out(const char *out, char *parent, size_t plen, char *base, size_t blen)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", out);
	size_t n = strlen(tmp);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = 0;
	char *slash = strrchr(tmp, '/');
	const char *dir = ".";
	int over;
	if (slash == tmp) {
		dir = "/";
		over = snprintf(base, blen, "%s", tmp + 1) >= (int)blen;
	} else if (slash) {
		*slash = 0;
		dir = tmp;
		over = snprintf(base, blen, "%s", slash + 1) >= (int)blen;
	} else {
		over = snprintf(base, blen, "%s", tmp) >= (int)blen;
	}
	if (over) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = EINVAL;
		return -1;
	}
	char *r = realpath(dir, NULL);
	if (!r)
		return -1;
	snprintf(parent, plen, "%s", r);
	free(r);
	return 0;
}

static int write_entry_files(tr_report *rep, tr_entry *e, const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s.scn", dir, e->base) >= (int)sizeof(path)) {
		fprintf(stderr, "%s: path too long\n", dir);
		return -1;
	}
	char *text = esc_print(e->scn);
	if (!text) {
		fprintf(stderr, "escapade triage: out of memory\n");
		return -1;
	}
	int rc = cli_write_file(path, text, strlen(text));
	free(text);
	if (rc) {
		fprintf(stderr, "%s/%s.scn: cannot write: %s\n", rep->showdir, e->base, strerror(errno));
		return -1;
	}
	if (e->cls == RP_ESCAPE) {
		char why[300];
		if (tr_write_graph(rep, e, dir, why, sizeof(why))) {
			if (errno == EIO || errno == ENOSPC) {
				fprintf(stderr, "%s/%s.svg: cannot write the picture: %s\n",
					rep->showdir, e->base, why);
				return -1;
			}
			fprintf(stderr, "warning: %s: no picture: %s\n", e->base, why);
		} else {
			e->picture = 1;
		}
	}
	return 0;
}

static int write_outputs(tr_report *rep, const char *out, int force)
{
	char parent[PATH_MAX], base[NAME_MAX + 1], tmp[PATH_MAX], old[PATH_MAX] = "";
	if (split_out(out, parent, sizeof(parent), base, sizeof(base))) {
		fprintf(stderr, "%s: cannot use as the output folder: %s\n", out, strerror(errno));
		return -1;
	}
	if (snprintf(rep->outdir, sizeof(rep->outdir), "%s/%s", strcmp(parent, "/") ? parent : "",
		     base) >= (int)sizeof(rep->outdir) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.XXXXXX", parent, base) >= (int)sizeof(tmp) ||
	    !mkdtemp(tmp)) {
		fprintf(stderr, "%s: cannot create the output folder: %s\n", out, strerror(errno));
		return -1;
	}
	mode_t um = umask(0);
	umask(um);
	chmod(tmp, 0777 & ~um); /* mkdtemp made it 0700 */
	if (cli_cleanup_dir(tmp)) {
		rmdir(tmp);
		fprintf(stderr, "%s: %s\n", out, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < rep->n && !rc; i++)
		rc = write_entry_files(rep, &rep->e[i], tmp);
	if (!rc)
		rc = tr_write_json(rep, tmp);
	if (!rc)
		rc = tr_write_sarif(rep, tmp);
	if (!rc)
		rc = tr_write_md(rep, tmp);
	struct stat st;
	if (!rc && stat(out, &st) == 0 && !dir_is_empty(out)) {
		if (!force) { /* appeared meanwhile */
			fprintf(stderr, "%s: exists and is not empty (use --force to replace it)\n", out);
			rc = -1;
		} else if (snprintf(old, sizeof(old), "%s/.%s.old.XXXXXX", parent, base) >=
				   (int)sizeof(old) ||
			   !mkdtemp(old) || rename(out, old)) {
			fprintf(stderr, "%s: cannot replace: %s\n", out, strerror(errno));
			if (old[0])
				rmdir(old);
			old[0] = 0;
			rc = -1;
		}
	}
	if (!rc && rename(tmp, out)) {
		fprintf(stderr, "%s: cannot move the report into place: %s\n", out, strerror(errno));
		if (old[0])
			rename(old, out);
		old[0] = 0;
		rc = -1;
	}
	if (rc) {
		cli_cleanup_abort();
		return -1;
	}
	cli_cleanup_commit();
	if (old[0])
		cli_rm_tree(old);
	return 0;
}

/* ---- the command ---- */

static void print_summary(const tr_report *rep, const char *out)
{
	unsigned nnew = 0;
	for (size_t i = 0; i < rep->n; i++)
		nnew += !rep->e[i].known;
	printf("triage: %u input(s) read, %zu skipped, %zu not reproduced: %zu finding(s), %u new, "
	       "%zu known\n", rep->nread, rep->nskipped, rep->nunrepro, rep->n, nnew,
	       rep->n - nnew);
	for (size_t i = 0; i < rep->n; i++) {
		const tr_entry *e = &rep->e[i];
		char cmd[PATH_MAX + 100];
		printf("  %4.1f  %-5s %s/%s/%016llx  %u -> %u ops, %u input(s)%s\n", e->severity,
		       e->known ? "known" : "NEW", e->target->name, e->kind,
		       (unsigned long long)e->sig, e->ops_before, e->scn->nops, e->ninputs,
		       e->flaky ? ", FLAKY" : "");
		if (e->known)
			printf("        known as %s\n", e->known_path);
		printf("        Reproduce with: %s\n", tr_repro_cmd(rep, e, cmd, sizeof(cmd)));
	}
	printf("report: %s/summary.md (with report.json, report.sarif)\n", out);
}

static const char triage_usage[] =
	"usage: escapade triage PATH... [-o DIR] [--force] [--profile P] [--target T]\n"
	"       [--regressions DIR] [--replays N] [--timeout S] [--min-timeout S] [--no-minimize]";

int cmd_triage(int argc, char **argv)
{
	const char *out = "triage-out", *profile = NULL, *target = NULL, *regs = NULL;
	const char *replays_s = NULL, *timeout_s = NULL, *mint_s = NULL;
	int force = 0, no_min = 0, help = 0;
	const cli_opt opts[] = {
		{ "-o", &out, NULL }, { "--out", &out, NULL }, { "--force", NULL, &force },
		{ "--profile", &profile, NULL }, { "--target", &target, NULL },
		{ "--regressions", &regs, NULL }, { "--replays", &replays_s, NULL },
		{ "--timeout", &timeout_s, NULL }, { "--min-timeout", &mint_s, NULL },
		{ "--no-minimize", NULL, &no_min }, { "--help", NULL, &help }, { NULL, NULL, NULL },
	};
	const char *paths[1024];
	int npaths;
	if (cli_parse("triage", argc, argv, opts, paths, 1024, &npaths))
		return EXIT_BAD;
	if (help) {
		printf("%s\n", triage_usage);
		return 0;
	}
	unsigned replays = 3, timeout = 10, mint = 120;
	if ((replays_s && cli_uint(replays_s, 1, 100, &replays)) ||
	    (timeout_s && cli_uint(timeout_s, 1, 3600, &timeout)) ||
	    (mint_s && cli_uint(mint_s, 1, 86400, &mint))) {
		fprintf(stderr, "escapade triage: --replays wants 1..100, --timeout 1..3600 s, "
				"--min-timeout 1..86400 s\n");
		return EXIT_BAD;
	}
	if (npaths == 0) {
		fprintf(stderr, "escapade triage: no PATH given (%s)\n", triage_usage);
		return EXIT_BAD;
	}
	const esc_target *forced = NULL;
	if (target && !(forced = cli_target(target)))
		return EXIT_BAD;
	if (!profile) {
		profile = getenv("ESCAPADE_PROFILE");
		if (profile && !*profile)
			profile = NULL;
	}
	struct stat st;
	if (stat(out, &st) == 0 && (!S_ISDIR(st.st_mode) || (!dir_is_empty(out) && !force))) {
		fprintf(stderr, "%s: %s\n", out,
			S_ISDIR(st.st_mode) ? "exists and is not empty (use --force to replace it, or "
					      "-o another folder)"
					    : "exists and is not a folder (use -o another folder)");
		return EXIT_BAD;
	}
	if (regs) {
		errno = 0;
		if (stat(regs, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "%s: not a regressions folder: %s\n", regs,
				errno && stat(regs, &st) ? strerror(errno) : "not a folder");
			return EXIT_BAD;
		}
	} else if (stat("corpora/regressions", &st) == 0 && S_ISDIR(st.st_mode)) {
		regs = "corpora/regressions";
	} else {
		fprintf(stderr, "warning: no corpora/regressions here (pass --regressions DIR): "
				"every finding counts as new\n");
	}

	cli_cleanup_install();
	tr_report rep;
	memset(&rep, 0, sizeof(rep));
	rep.profile_name = profile;
	rep.replays = replays;
	rep.timeout_ms = timeout * 1000;
	rep.showdir = out;
	rep.regressions = regs;
	find_srcroot(rep.srcroot, sizeof(rep.srcroot));
	triage_run tr = { &rep, isatty(2), mint * 1000, no_min, 0 };

	tr_srcs srcs;
	memset(&srcs, 0, sizeof(srcs));
	int rc = EXIT_BAD;
	if (tr_collect(&srcs, paths, npaths, forced)) {
		fprintf(stderr, "escapade triage: out of memory\n");
		goto out;
	}
	rep.ignored = srcs.ignored;
	for (size_t i = 0; i < srcs.nbad; i++) {
		fprintf(stderr, "%s: skipped: %s\n", srcs.bad[i].path, srcs.bad[i].reason);
		if (note_push(&rep.skipped, &rep.nskipped, srcs.bad[i].path, srcs.bad[i].reason))
			goto oom;
	}
	for (size_t i = 0; i < srcs.n; i++)
		if (process_input(&tr, &srcs.v[i], i, srcs.n))
			goto oom;
	if (rep.nread == 0) {
		fprintf(stderr, "escapade triage: no input could be read (%zu skipped, %u other "
				"files ignored); no report written\n", rep.nskipped, rep.ignored);
		goto out;
	}
	kn_index kn;
	memset(&kn, 0, sizeof(kn));
	for (size_t i = 0; i < rep.n; i++)
		finish_entry(&tr, &rep.e[i], &kn);
	kn_free(&kn);
	if (tr.oom)
		goto oom;
	if (rep.n)
		qsort(rep.e, rep.n, sizeof(rep.e[0]), entry_cmp);
	if (write_outputs(&rep, out, force))
		goto out;
	print_summary(&rep, out);
	rc = EXIT_CONTAINED;
	for (size_t i = 0; i < rep.n; i++)
		if (!rep.e[i].known)
			rc = EXIT_ESCAPE;
	goto out;
oom:
	fprintf(stderr, "escapade triage: out of memory\n");
	rc = EXIT_BAD;
out:
	tr_srcs_free(&srcs);
	report_free(&rep);
	return rc;
}

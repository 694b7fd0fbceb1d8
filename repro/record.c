/* `escapade record IN`: turns an escape into a permanent regression without anyone
 * editing files. Replays IN (forked) under the profile; refuses what is not an escape
 * and a signature some regression already reproduces (naming that file); minimizes it;
 * fills an expectation for every profile by replaying; writes
 * <regressions>/<target>/<kind>-<sig16>.scn (or --name) through a temporary file and
 * link(2), so an existing file is never overwritten and nothing partial is left behind.
 * Exit 0 recorded; 2 refused, bad input or the file could not be written; 77 the layer
 * cannot run here.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "known.h"
#include "replay.h"

static int name_ok(const char *n)
{
	if (!*n || n[0] == '.' || strlen(n) > 120)
		return 0;
	for (const char *p = n; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-' || *p == '+'))
			return 0;
	return 1;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}


static void describe_refusal(const rp_result *r, char *buf, size_t len)
{
	switch (r->cls) {
	case RP_CONTAINED: snprintf(buf, len, "contained"); break;
	case RP_CRASH: snprintf(buf, len, "a crash (%s), not an escape: fix it, do not record it", r->crash_type); break;
	case RP_LEAK: snprintf(buf, len, "a leak, not an escape"); break;
	case RP_HANG: snprintf(buf, len, "a hang (%s), not an escape", r->crash_type); break;
	default: snprintf(buf, len, "not replayable: %s", r->why); break;
	}
}

int cmd_record(int argc, char **argv)
{
	const char *profile = NULL, *target = NULL, *regs = "corpora/regressions", *name = NULL;
	const char *timeout_s = NULL;
	const cli_opt opts[] = {
		{ "--profile", &profile, NULL }, { "--target", &target, NULL },
		{ "--regressions", &regs, NULL }, { "--name", &name, NULL },
		{ "--timeout", &timeout_s, NULL }, { NULL, NULL, NULL },
	};
	const char *files[1];
	int nfiles;
	if (cli_parse("record", argc, argv, opts, files, 1, &nfiles))
		return EXIT_BAD;
	unsigned timeout = 10;
	if (timeout_s && cli_uint(timeout_s, 1, 3600, &timeout)) {
		fprintf(stderr, "escapade record: --timeout wants 1..3600 seconds\n");
		return EXIT_BAD;
	}
	if (nfiles != 1) {
		fprintf(stderr, "escapade record: exactly one IN (usage: escapade record IN "
				"[--profile P] [--target T] [--regressions DIR] [--name NAME])\n");
		return EXIT_BAD;
	}
	if (name && !name_ok(name)) {
		fprintf(stderr, "escapade record: --name '%s': use letters, digits, . _ - + "
				"(not starting with '.')\n", name);
		return EXIT_BAD;
	}
	const char *in = files[0];
	struct stat st;
	errno = 0;
	if (stat(regs, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: no regressions folder here (%s; run from the repository root "
				"or pass --regressions DIR)\n", regs,
			errno && stat(regs, &st) ? strerror(errno) : "not a folder");
		return EXIT_BAD;
	}
	const esc_target *raw = NULL;
	if (target && !(raw = cli_target(target)))
		return EXIT_BAD;
	esc_scn *s = calloc(1, sizeof(*s));
	char err[600];
	if (!s) {
		fprintf(stderr, "%s: out of memory\n", in);
		return EXIT_BAD;
	}
	if (esc_load_file(s, esc_targets, in, raw, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		free(s);
		return EXIT_BAD;
	}
	int ret = EXIT_BAD;
	kn_index kn;
	memset(&kn, 0, sizeof(kn));
	rp_result r;
	memset(&r, 0, sizeof(r));
	int prof = cli_profile(s->target, profile, in);
	if (prof < 0)
		goto out;
	char dir[PATH_MAX], path[PATH_MAX], what[300];
	if (snprintf(dir, sizeof(dir), "%s/%s", regs, s->target->name) >= (int)sizeof(dir)) {
		fprintf(stderr, "%s: path too long\n", regs);
		goto out;
	}
	errno = 0;
	if (stat(dir, &st) == 0 ? !S_ISDIR(st.st_mode) : mkdir(dir, 0755) != 0) {
		fprintf(stderr, "%s: cannot create the regression folder: %s\n", dir,
			errno ? strerror(errno) : "not a folder");
		goto out;
	}
	if (access(dir, W_OK)) {
		fprintf(stderr, "%s: cannot write a regression here: %s\n", dir, strerror(errno));
		goto out;
	}
	unsigned tmo = timeout * 1000;
	rp_replay(s, (unsigned)prof, tmo, &r);
	if (r.cls == RP_UNAVAILABLE) {
		fprintf(stderr, "%s: target %s cannot run on this machine\n", in, s->target->name);
		ret = EXIT_SKIP;
		goto out;
	}
	if (r.cls != RP_ESCAPE) {
		describe_refusal(&r, what, sizeof(what));
		fprintf(stderr, "%s: nothing to record: %s under profile %s\n", in, what,
			s->target->profiles[prof]);
		goto out;
	}
	esc_verdict v = r.v;
	if (kn_load(&kn, regs, s->target, tmo))
		goto out;
	const kn_entry *k = kn_find(&kn, s->target, v.kind, v.signature);
	if (k) {
		fprintf(stderr, "%s: already recorded: %s/%s/%016llx is reproduced by %s "
				"(profile %s); nothing written\n",
			in, s->target->name, esc_verdict_name(v.kind),
			(unsigned long long)v.signature, k->path, s->target->profiles[k->profile]);
		goto out;
	}
	if (name)
		snprintf(what, sizeof(what), "%s%s", name,
			 strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".scn") ? "" : ".scn");
	else
		snprintf(what, sizeof(what), "%s-%016llx.scn", esc_verdict_name(v.kind),
			 (unsigned long long)v.signature);
	if (snprintf(path, sizeof(path), "%s/%s", dir, what) >= (int)sizeof(path)) {
		fprintf(stderr, "%s: path too long\n", dir);
		goto out;
	}
	if (lstat(path, &st) == 0) {
		fprintf(stderr, "%s: exists; refusing to overwrite it (pass --name NAME)\n", path);
		goto out;
	}
	unsigned before = s->nops;
	esc_min_stats mst;
	char why[200];
	if (rp_minimize(s, (unsigned)prof, &v, 120000, 0, isatty(2), &mst, why, sizeof(why)))
		fprintf(stderr, "%s: warning: %s; recording it unminimized\n", in, why);
	s->nexpect = 0;
	for (unsigned p = 0; p < s->target->nprofiles; p++) {
		rp_result x;
		memset(&x, 0, sizeof(x));
		rp_replay(s, p, tmo, &x);
		if (x.cls == RP_ESCAPE || x.cls == RP_CONTAINED) {
			esc_scn_set_expect(s, p, x.cls == RP_ESCAPE ? x.v.kind : ESC_CONTAINED);
		} else if (x.cls != RP_UNAVAILABLE) {
			describe_refusal(&x, why, sizeof(why));
			char note[300];
			snprintf(note, sizeof(note), "profile %s: %s", s->target->profiles[p], why);
			cli_add_note(s, note);
		}
		if (p == (unsigned)prof && !(x.cls == RP_ESCAPE && x.v.kind == v.kind &&
					     x.v.signature == v.signature)) {
			fprintf(stderr, "%s: the minimized scenario no longer escapes the same way "
					"under %s; nothing written\n", in, s->target->profiles[p]);
			rp_result_clear(&x);
			goto out;
		}
		rp_result_clear(&x);
	}
	char note[400];
	snprintf(note, sizeof(note), "recorded by escapade from %s: %s under %s: %s",
		 basename_of(in), esc_verdict_name(v.kind), s->target->profiles[prof], v.summary);
	cli_add_note(s, note);
	char *text = esc_print(s);
	if (!text) {
		fprintf(stderr, "%s: out of memory\n", in);
		goto out;
	}
	cli_cleanup_install();
	int wrc = cli_write_new(path, text, strlen(text));
	free(text);
	if (wrc) {
		if (errno == EEXIST)
			fprintf(stderr, "%s: exists; refusing to overwrite it (pass --name NAME)\n", path);
		else
			fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
		goto out;
	}
	printf("recorded %s: %s under %s, %u -> %u ops, signature %s/%s/%016llx\n", path,
	       esc_verdict_name(v.kind), s->target->profiles[prof], before, s->nops,
	       s->target->name, esc_verdict_name(v.kind), (unsigned long long)v.signature);
	printf("Reproduce with: escapade repro %s --profile %s --trace\n", path,
	       s->target->profiles[prof]);
	printf("Minimize with: escapade minimize %s%s%s --profile %s -o %s.min.scn\n", in,
	       raw ? " --target " : "", raw ? raw->name : "", s->target->profiles[prof],
	       basename_of(in));
	ret = 0;
out:
	rp_result_clear(&r);
	kn_free(&kn);
	esc_scn_clear(s);
	free(s);
	return ret;
}

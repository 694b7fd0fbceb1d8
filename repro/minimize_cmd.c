/* `escapade minimize IN [-o OUT]`: the scenario minimizer for people. Replays IN under
 * the profile, minimizes it keeping the verdict kind and signature (in process, like
 * repro: comments of kept ops survive), refills the expectation of every profile by
 * replaying, and writes the text form to OUT (atomically) or stdout. Progress goes to
 * stderr when it is a terminal.
 *
 * `escapade encode IN -o OUT [--raw]`: writes IN as a binary container (or the raw
 * binary form a fuzzer mutates), e.g. to build fuzzer-like artifacts for tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "escapade/minimize.h"
#include "replay.h"

static int load_input(esc_scn *s, const char *path, const char *target)
{
	const esc_target *raw = NULL;
	if (target && !(raw = cli_target(target)))
		return -1;
	char err[600];
	if (esc_load_file(s, esc_targets, path, raw, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

/* Runs s under every profile in process and sets its expectations. */
static int fill_expect_inproc(esc_scn *s, const char *path)
{
	s->nexpect = 0;
	for (unsigned p = 0; p < s->target->nprofiles; p++) {
		esc_runner r;
		esc_verdict v;
		if (esc_runner_init(&r, s->target, p)) {
			fprintf(stderr, "%s: out of memory\n", path);
			return -1;
		}
		int rc = esc_run(&r, s, &v, NULL);
		esc_runner_fini(&r);
		if (rc == ESC_E_UNAVAILABLE)
			continue;
		if (rc) {
			fprintf(stderr, "%s: %s\n", path, esc_strerror(rc));
			return -1;
		}
		esc_scn_set_expect(s, p, v.kind);
	}
	return 0;
}

int cmd_minimize(int argc, char **argv)
{
	const char *out = NULL, *profile = NULL, *target = NULL, *tries_s = NULL;
	const cli_opt opts[] = {
		{ "-o", &out, NULL }, { "--out", &out, NULL }, { "--profile", &profile, NULL },
		{ "--target", &target, NULL }, { "--max-tries", &tries_s, NULL },
		{ NULL, NULL, NULL },
	};
	const char *files[1];
	int nfiles;
	if (cli_parse("minimize", argc, argv, opts, files, 1, &nfiles))
		return EXIT_BAD;
	unsigned tries = 0;
	if (tries_s && cli_uint(tries_s, 1, 10000000, &tries)) {
		fprintf(stderr, "escapade minimize: --max-tries wants a number >= 1\n");
		return EXIT_BAD;
	}
	if (nfiles != 1) {
		fprintf(stderr, "escapade minimize: exactly one IN (usage: escapade minimize IN "
				"[-o OUT] [--profile P] [--target T] [--max-tries N])\n");
		return EXIT_BAD;
	}
	const char *path = files[0];
	esc_scn s;
	if (load_input(&s, path, target))
		return EXIT_BAD;
	int prof = cli_profile(s.target, profile, path);
	if (prof < 0) {
		esc_scn_clear(&s);
		return EXIT_BAD;
	}
	esc_runner r;
	if (esc_runner_init(&r, s.target, (unsigned)prof)) {
		fprintf(stderr, "%s: out of memory\n", path);
		esc_scn_clear(&s);
		return EXIT_BAD;
	}
	esc_verdict v;
	int rc = esc_run(&r, &s, &v, NULL);
	int ret = EXIT_BAD;
	if (rc == ESC_E_UNAVAILABLE) {
		fprintf(stderr, "%s: target %s cannot run on this machine\n", path, s.target->name);
		ret = EXIT_SKIP;
		goto out;
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, esc_strerror(rc));
		goto out;
	}
	if (v.kind == ESC_CONTAINED) {
		fprintf(stderr, "%s: contained under profile %s: nothing to minimize (pick the "
				"profile it escapes on with --profile)\n",
			path, s.target->profiles[prof]);
		goto out;
	}
	int tty = isatty(2);
	esc_min_verdict mv = { .runner = &r, .kind = v.kind, .signature = v.signature };
	esc_min_opts o = { .pred = esc_min_same_verdict, .pred_arg = &mv,
			   .progress = tty ? rp_print_progress : NULL, .step = v.step,
			   .max_tries = tries };
	esc_min_stats st;
	rc = esc_min_run(&s, &o, &st);
	if (tty)
		fprintf(stderr, "\n");
	if (rc) {
		fprintf(stderr, "%s: minimization failed: %s\n", path, esc_strerror(rc));
		goto out;
	}
	if (fill_expect_inproc(&s, path))
		goto out;
	char *text = esc_print(&s);
	if (!text) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (out) {
		cli_cleanup_install();
		if (cli_write_atomic(out, text, strlen(text))) {
			fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
			free(text);
			goto out;
		}
	} else {
		fputs(text, stdout);
	}
	free(text);
	fprintf(stderr, "minimized %s: %u -> %u ops (%u tries%s); %s under %s, signature "
			"%s/%s/%016llx\n",
		path, st.nops_start, s.nops, st.tries,
		st.tries >= (tries ? tries : ESC_MIN_DEFAULT_TRIES) ? ", budget used up" : "",
		esc_verdict_name(v.kind), s.target->profiles[prof], s.target->name,
		esc_verdict_name(v.kind), (unsigned long long)v.signature);
	ret = 0;
out:
	esc_runner_fini(&r);
	esc_scn_clear(&s);
	return ret;
}

int cmd_encode(int argc, char **argv)
{
	const char *out = NULL, *target = NULL;
	int raw = 0;
	const cli_opt opts[] = {
		{ "-o", &out, NULL }, { "--out", &out, NULL }, { "--target", &target, NULL },
		{ "--raw", NULL, &raw }, { NULL, NULL, NULL },
	};
	const char *files[1];
	int nfiles;
	if (cli_parse("encode", argc, argv, opts, files, 1, &nfiles))
		return EXIT_BAD;
	if (nfiles != 1 || !out) {
		fprintf(stderr, "escapade encode: usage: escapade encode IN -o OUT [--raw] [--target T]\n");
		return EXIT_BAD;
	}
	esc_scn s;
	if (load_input(&s, files[0], target))
		return EXIT_BAD;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;
	if (raw) {
		size_t cap = esc_encode_bound(s.target);
		buf = malloc(cap ? cap : 1);
		long n = buf ? esc_encode(&s, buf, cap) : ESC_E_NOMEM;
		rc = n < 0 ? (int)n : 0;
		len = n < 0 ? 0 : (size_t)n;
	} else {
		rc = esc_container(&s, &buf, &len);
	}
	esc_scn_clear(&s);
	if (rc) {
		fprintf(stderr, "%s: %s\n", files[0], esc_strerror(rc));
		free(buf);
		return EXIT_BAD;
	}
	if (raw && len == 0) {
		fprintf(stderr, "%s: no ops: the raw form would be an empty file\n", files[0]);
		free(buf);
		return EXIT_BAD;
	}
	cli_cleanup_install();
	rc = cli_write_atomic(out, buf, len);
	free(buf);
	if (rc) {
		fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
		return EXIT_BAD;
	}
	return 0;
}

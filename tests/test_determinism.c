/* Soundness of the harness across every target of the build, measured on the kept
 * regressions: determinism (many back-to-back replays in one runner, as persistent mode
 * does, give identical verdicts and traces; interleaving other scenarios changes
 * nothing), hardened holds on every regression, and no profile is a dead switch (each
 * vulnerable profile has a regression whose verdict differs from hardened's).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/load.h"
#include "escapade/run.h"

extern const esc_target *const esc_all_targets[];

#define REPEATS 12
#define MAX_FILES 128

typedef struct outcome {
	esc_verdict v;
	char *trace;
} outcome;

typedef struct corpus {
	const esc_target *t;
	unsigned n;
	char *path[MAX_FILES];
	esc_scn scn[MAX_FILES];
} corpus;

static int load_corpus(corpus *c, const esc_target *t)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/corpora/regressions/%s", ESC_SOURCE_DIR, t->name);
	c->t = t;
	c->n = 0;
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	for (int k = 0; k < n; k++) {
		const char *nm = names[k]->d_name;
		size_t l = strlen(nm);
		if (l > 4 && strcmp(nm + l - 4, ".scn") == 0 && c->n < MAX_FILES) {
			char path[4600], err[512];
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			int rc = esc_load_file(&c->scn[c->n], esc_all_targets, path, NULL, err, sizeof(err));
			ck_assert_msg(rc == 0, "%s", err);
			c->path[c->n++] = strdup(path);
		}
		free(names[k]);
	}
	free(names);
	return (int)c->n;
}

static void free_corpus(corpus *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		esc_scn_clear(&c->scn[i]);
		free(c->path[i]);
	}
}

/* Runs s once with r, capturing the trace; returns 0, or ESC_E_UNAVAILABLE. */
static int run_capture(esc_runner *r, const esc_scn *s, outcome *o)
{
	size_t len = 0;
	FILE *f = open_memstream(&o->trace, &len);
	ck_assert_ptr_nonnull(f);
	int rc = esc_run(r, s, &o->v, f);
	fclose(f);
	ck_assert_msg(rc == 0 || rc == ESC_E_UNAVAILABLE, "esc_run failed: %s", esc_strerror(rc));
	return rc;
}

static void same(const outcome *a, const outcome *b, const char *what, const char *path,
		 const char *profile, int rep)
{
	ck_assert_msg(a->v.kind == b->v.kind && a->v.step == b->v.step &&
			      a->v.signature == b->v.signature &&
			      strcmp(a->v.summary, b->v.summary) == 0,
		      "%s [%s]: %s run %d: verdict %s@%d differs from %s@%d", path, profile, what,
		      rep, esc_verdict_name(b->v.kind), b->v.step, esc_verdict_name(a->v.kind),
		      a->v.step);
	ck_assert_msg(strcmp(a->trace, b->trace) == 0, "%s [%s]: %s run %d: trace differs", path,
		      profile, what, rep);
}

/* Every (regression, profile): REPEATS runs back to back in one runner equal the first;
 * then a second runner replaying all files in turn, twice, matches too. Unavailable
 * layers are skipped. */
START_TEST(deterministic_replays)
{
	unsigned checked = 0, runs = 0;
	for (const esc_target *const *tp = esc_all_targets; *tp; tp++) {
		corpus c;
		if (!load_corpus(&c, *tp))
			continue;
		unsigned checked_before = checked, nprof = 0;
		for (unsigned p = 0; p < c.t->nprofiles; p++) {
			outcome *first = calloc(c.n, sizeof(*first));
			esc_runner r;
			ck_assert_int_eq(esc_runner_init(&r, c.t, p), 0);
			int unavailable = 0;
			for (unsigned i = 0; i < c.n && !unavailable; i++) {
				if (run_capture(&r, &c.scn[i], &first[i]) == ESC_E_UNAVAILABLE) {
					unavailable = 1;
					break;
				}
				for (int rep = 1; rep < REPEATS; rep++) {
					outcome o = { 0 };
					run_capture(&r, &c.scn[i], &o);
					same(&first[i], &o, "back-to-back", c.path[i], c.t->profiles[p], rep);
					free(o.trace);
					checked++;
				}
			}
			if (!unavailable) {
				nprof++;
				/* interleaved: all files in turn, twice, in another runner */
				esc_runner r2;
				ck_assert_int_eq(esc_runner_init(&r2, c.t, p), 0);
				for (int round = 0; round < 2; round++)
					for (unsigned i = 0; i < c.n; i++) {
						outcome o = { 0 };
						run_capture(&r2, &c.scn[i], &o);
						same(&first[i], &o, "interleaved", c.path[i], c.t->profiles[p], round);
						free(o.trace);
						checked++;
					}
				esc_runner_fini(&r2);
			}
			for (unsigned i = 0; i < c.n; i++)
				free(first[i].trace);
			free(first);
			esc_runner_fini(&r);
		}
		/* the figures README's "Harness soundness" table quotes */
		fprintf(stderr, "determinism: %s: %u regressions x %u profiles x (%d back-to-back + 2 "
				"interleaved) = %u replays compared to a first run\n", c.t->name, c.n, nprof,
			REPEATS - 1, checked - checked_before);
		runs += (checked - checked_before) + c.n * nprof;
		free_corpus(&c);
	}
	ck_assert_uint_gt(checked, 0);
	fprintf(stderr, "determinism: %u replays compared (%u runs in all)\n", checked, runs);
}
END_TEST

/* hardened holds on every regression; every other profile is told apart from hardened by
 * at least one regression (else its defence switch is dead); and every expectation
 * written in a file is what the run gives. */
START_TEST(oracles_sound_no_dead_switch)
{
	for (const esc_target *const *tp = esc_all_targets; *tp; tp++) {
		corpus c;
		if (!load_corpus(&c, *tp))
			continue;
		unsigned differs[ESC_MAX_PROFILES] = { 0 };
		int unavailable[ESC_MAX_PROFILES] = { 0 };
		for (unsigned i = 0; i < c.n; i++) {
			esc_verdict hard = { .kind = ESC_CONTAINED };
			for (unsigned p = 0; p < c.t->nprofiles; p++) {
				esc_runner r;
				esc_verdict v;
				ck_assert_int_eq(esc_runner_init(&r, c.t, p), 0);
				int rc = esc_run(&r, &c.scn[i], &v, NULL);
				esc_runner_fini(&r);
				if (rc == ESC_E_UNAVAILABLE) {
					unavailable[p] = 1;
					continue;
				}
				ck_assert_int_eq(rc, 0);
				if (p == 0) {
					hard = v;
					ck_assert_msg(v.kind == ESC_CONTAINED,
						      "%s: escapes on hardened (%s at step %d): a real finding",
						      c.path[i], esc_verdict_name(v.kind), v.step);
				} else if (v.kind != hard.kind) {
					differs[p]++;
				}
				int e = esc_scn_find_expect(&c.scn[i], p);
				if (e >= 0)
					ck_assert_msg(c.scn[i].expect[e].kind == v.kind,
						      "%s [%s]: expected %s, got %s", c.path[i],
						      c.t->profiles[p], esc_verdict_name(c.scn[i].expect[e].kind),
						      esc_verdict_name(v.kind));
			}
		}
		for (unsigned p = 1; p < c.t->nprofiles; p++)
			ck_assert_msg(unavailable[p] || differs[p] > 0,
				      "%s: profile %s is a dead switch: no regression tells it from hardened",
				      c.t->name, c.t->profiles[p]);
		free_corpus(&c);
	}
}
END_TEST

/* A deliberately broken oracle must be caught: with the oracle removed, a regression
 * that escapes would read as contained, and the comparison above must notice. */
START_TEST(broken_oracle_is_noticed)
{
	for (const esc_target *const *tp = esc_all_targets; *tp; tp++) {
		corpus c;
		if (!load_corpus(&c, *tp))
			continue;
		esc_target blind = *c.t;
		blind.check = NULL; /* an oracle that never flags */
		int noticed = 0;
		for (unsigned i = 0; i < c.n && !noticed; i++) {
			for (unsigned e = 0; e < c.scn[i].nexpect && !noticed; e++) {
				if (c.scn[i].expect[e].kind == ESC_CONTAINED)
					continue;
				esc_scn copy;
				esc_scn_init(&copy, &blind);
				ck_assert_int_eq(esc_scn_copy(&copy, &c.scn[i]), 0);
				copy.target = &blind;
				esc_runner r;
				esc_verdict v;
				ck_assert_int_eq(esc_runner_init(&r, &blind, c.scn[i].expect[e].profile), 0);
				int rc = esc_run(&r, &copy, &v, NULL);
				esc_runner_fini(&r);
				esc_scn_clear(&copy);
				if (rc == 0)
					noticed = v.kind != c.scn[i].expect[e].kind;
			}
		}
		ck_assert_msg(noticed, "%s: a blind oracle went unnoticed", c.t->name);
		free_corpus(&c);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("determinism");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, deterministic_replays);
	tcase_add_test(tc, oracles_sound_no_dead_switch);
	tcase_add_test(tc, broken_oracle_is_noticed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

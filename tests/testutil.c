/* testutil: the helpers every Check suite links (see testutil.h): parse, load, run and
 * assert a verdict, walk a folder's scenarios.
 */
#include <check.h>
#include <string.h>

#include "escapade/load.h"
#include "testutil.h"

void tu_parse(esc_scn *s, const esc_target *const *targets, const char *text)
{
	char err[256] = "";
	int rc = esc_parse(s, targets, text, strlen(text), err, sizeof(err));
	ck_assert_msg(rc == 0, "parse failed (%d): %s\n%s", rc, err, text);
}

void tu_load(esc_scn *s, const esc_target *const *targets, const char *path)
{
	char err[512] = "";
	esc_scn_init(s, NULL);
	int rc = esc_load_file(s, targets, path, NULL, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
}

esc_verdict tu_run_on(const esc_scn *s, unsigned profile, FILE *trace, esc_runner *keep)
{
	esc_runner r;
	esc_verdict v;
	ck_assert_int_eq(esc_runner_init(&r, s->target, profile), 0);
	ck_assert_int_eq(esc_run(&r, s, &v, trace), 0);
	if (keep)
		*keep = r;
	else
		esc_runner_fini(&r);
	return v;
}

esc_verdict tu_run(const esc_scn *s, unsigned profile)
{
	return tu_run_on(s, profile, NULL, NULL);
}

esc_verdict tu_expect(const esc_scn *s, unsigned profile, esc_verdict_kind want,
		      const char *what)
{
	esc_verdict v = tu_run(s, profile);
	ck_assert_msg(v.kind == want, "%s on %s: got %s, want %s: %s", what,
		      s->target->profiles[profile], esc_verdict_name(v.kind),
		      esc_verdict_name(want), v.summary);
	return v;
}

void tu_scn_open(tu_scn_dir *it, const char *dir)
{
	it->dir = dir;
	it->d = opendir(dir);
	it->name = NULL;
	it->path[0] = 0;
	ck_assert_msg(it->d != NULL, "cannot open %s", dir);
}

int tu_scn_next(tu_scn_dir *it)
{
	struct dirent *e;
	while ((e = readdir(it->d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".scn") != 0)
			continue;
		snprintf(it->path, sizeof(it->path), "%s/%s", it->dir, e->d_name);
		it->name = e->d_name;
		return 1;
	}
	closedir(it->d);
	it->d = NULL;
	return 0;
}

/* Finding triage inputs: files named on the command line are taken as they are; folders
 * are walked for what fuzzers leave behind (libFuzzer crash-, leak-, timeout-, oom-,
 * slow-unit- files; AFL++ crashes/id:* and hangs/id:*) and for text scenarios (*.scn).
 * A raw input's target is --target, else a path component naming a target (the campaign
 * keeps artifacts/<target>/crash-*).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "triage.h"

#define WALK_DEPTH 8

static int note_add(tr_srcs *s, const char *path, const char *reason)
{
	tr_note *bad = cli_grow(s->bad, s->nbad, &s->badcap, sizeof(*bad), 8);
	if (!bad)
		return -1;
	s->bad = bad;
	char *a = strdup(path), *b = strdup(reason);
	if (!a || !b) {
		free(a);
		free(b);
		return -1;
	}
	s->bad[s->nbad++] = (tr_note){ a, b };
	return 0;
}

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Name of the folder holding path ("crashes" for x/crashes/id:1), into buf. */
static const char *parent_name(const char *path, char *buf, size_t len)
{
	const char *end = strrchr(path, '/');
	if (!end) {
		buf[0] = 0;
		return buf;
	}
	const char *start = end;
	while (start > path && start[-1] != '/')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

/* Origin of a file by its name, or NULL when a walked folder should ignore it. */
static const char *origin_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char parent[256];
	parent_name(path, parent, sizeof(parent));
	if (starts(base, "crash-"))
		return "libfuzzer-crash";
	if (starts(base, "leak-"))
		return "libfuzzer-leak";
	if (starts(base, "timeout-"))
		return "libfuzzer-timeout";
	if (starts(base, "oom-"))
		return "libfuzzer-oom";
	if (starts(base, "slow-unit-"))
		return "libfuzzer-slow";
	if ((starts(base, "id:") || starts(base, "id_")) && strcmp(parent, "crashes") == 0)
		return "afl-crash";
	if ((starts(base, "id:") || starts(base, "id_")) && strcmp(parent, "hangs") == 0)
		return "afl-hang";
	if (cli_ends_with(base, ".scn"))
		return "scenario";
	return NULL;
}

static const esc_target *hint_of(const char *path)
{
	const esc_target *hit = NULL;
	char comp[256];
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (e && n < sizeof(comp)) { /* folders only, not the file name */
			memcpy(comp, p, n);
			comp[n] = 0;
			const esc_target *t = esc_find_target(esc_targets, comp);
			if (t)
				hit = t; /* the deepest wins */
		}
		p = e ? e + 1 : p + n;
	}
	return hit;
}

static int src_add(tr_srcs *s, const char *path, const char *origin, const esc_target *forced)
{
	tr_src *v = cli_grow(s->v, s->n, &s->cap, sizeof(*v), 32);
	if (!v)
		return -1;
	s->v = v;
	char *dup = strdup(path);
	if (!dup)
		return -1;
	s->v[s->n++] = (tr_src){ dup, origin, forced ? forced : hint_of(path) };
	return 0;
}

static int walk(tr_srcs *s, const char *dir, int depth, const esc_target *forced)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return note_add(s, dir, strerror(errno));
	int rc = 0;
	for (int k = 0; k < n; k++) {
		const char *nm = names[k]->d_name;
		char path[PATH_MAX];
		struct stat st;
		if (!rc && nm[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, nm) < (int)sizeof(path) &&
		    lstat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				if (strcmp(nm, "queue") && depth < WALK_DEPTH)
					rc = walk(s, path, depth + 1, forced);
			} else if (S_ISREG(st.st_mode)) {
				const char *o = origin_of(path);
				if (o)
					rc = src_add(s, path, o, forced);
				else
					s->ignored++;
			}
		}
		free(names[k]);
	}
	free(names);
	return rc;
}

static int src_cmp(const void *a, const void *b)
{
	return strcmp(((const tr_src *)a)->path, ((const tr_src *)b)->path);
}

int tr_collect(tr_srcs *srcs, const char *const *paths, int npaths, const esc_target *forced)
{
	for (int i = 0; i < npaths; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s", paths[i]);
		size_t len = strlen(p);
		while (len > 1 && p[len - 1] == '/')
			p[--len] = 0;
		struct stat st;
		int rc;
		if (stat(p, &st))
			rc = note_add(srcs, p, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = walk(srcs, p, 0, forced);
		else {
			const char *o = origin_of(p);
			rc = src_add(srcs, p, o ? o : "file", forced);
		}
		if (rc)
			return -1;
	}
	if (srcs->n)
		qsort(srcs->v, srcs->n, sizeof(srcs->v[0]), src_cmp);
	/* the same file named twice counts once */
	size_t w = 0;
	for (size_t r = 0; r < srcs->n; r++) {
		if (w && strcmp(srcs->v[w - 1].path, srcs->v[r].path) == 0) {
			free(srcs->v[r].path);
			continue;
		}
		srcs->v[w++] = srcs->v[r];
	}
	srcs->n = w;
	return 0;
}

void tr_srcs_free(tr_srcs *srcs)
{
	if (!srcs)
		return;
	for (size_t i = 0; i < srcs->n; i++)
		free(srcs->v[i].path);
	for (size_t i = 0; i < srcs->nbad; i++) {
		free(srcs->bad[i].path);
		free(srcs->bad[i].reason);
	}
	free(srcs->v);
	free(srcs->bad);
	memset(srcs, 0, sizeof(*srcs));
}

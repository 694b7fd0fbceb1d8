/* Index of the regressions already kept (see known.h): new or known, and where. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "known.h"
#include "replay.h"

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

unsigned kn_op_line(const esc_scn *s, unsigned step)
{
	esc_scn *hdr = malloc(sizeof(*hdr));
	if (!hdr)
		return 1;
	memcpy(hdr, s, sizeof(*hdr)); /* shallow: printed, never freed */
	hdr->nops = 0;
	hdr->trailer = NULL;
	char *text = esc_print(hdr);
	free(hdr);
	unsigned line = count_lines(text) + 1; /* the blank line before the ops */
	free(text);
	for (unsigned k = 0; k <= step && k < s->nops; k++) {
		if (s->ops[k].comment)
			line += count_lines(s->ops[k].comment) + 1;
		line++;
	}
	return line;
}

static int scn_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && cli_ends_with(d->d_name, ".scn");
}

static int add_entry(kn_index *ix, const kn_entry *e)
{
	kn_entry *v = cli_grow(ix->e, ix->n, &ix->cap, sizeof(*v), 16);
	if (!v)
		return -1;
	ix->e = v;
	ix->e[ix->n++] = *e;
	return 0;
}

int kn_load(kn_index *ix, const char *root, const esc_target *t, unsigned timeout_ms)
{
	for (unsigned i = 0; i < ix->nloaded; i++)
		if (ix->loaded[i] == t)
			return 0;
	if (ix->nloaded < sizeof(ix->loaded) / sizeof(ix->loaded[0]))
		ix->loaded[ix->nloaded++] = t;
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/%s", root, t->name) >= (int)sizeof(dir)) {
		fprintf(stderr, "%s: path too long\n", root);
		return -1;
	}
	struct dirent **names;
	int n = scandir(dir, &names, scn_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: cannot read the regressions folder: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int k = 0; k < n; k++) {
		kn_entry e;
		memset(&e, 0, sizeof(e));
		int long_path = snprintf(e.path, sizeof(e.path), "%s/%s", dir, names[k]->d_name) >=
				(int)sizeof(e.path);
		free(names[k]);
		if (long_path || rc)
			continue;
		esc_scn s;
		char err[512];
		if (esc_load_file(&s, esc_targets, e.path, NULL, err, sizeof(err))) {
			fprintf(stderr, "warning: regression %s\n", err);
			ix->nbad++;
			continue;
		}
		ix->nfiles++;
		for (unsigned x = 0; x < s.nexpect && !rc; x++) {
			if (s.expect[x].kind == ESC_CONTAINED || s.target != t)
				continue;
			rp_result r;
			memset(&r, 0, sizeof(r));
			rp_replay(&s, s.expect[x].profile, timeout_ms, &r);
			if (r.cls == RP_ESCAPE) {
				e.target = t;
				e.kind = r.v.kind;
				e.sig = r.v.signature;
				e.profile = s.expect[x].profile;
				e.line = kn_op_line(&s, (unsigned)r.v.step);
				if (add_entry(ix, &e)) {
					fprintf(stderr, "escapade: out of memory\n");
					rc = -1;
				}
			}
			rp_result_clear(&r);
		}
		esc_scn_clear(&s);
	}
	free(names);
	return rc;
}

const kn_entry *kn_find(const kn_index *ix, const esc_target *t, esc_verdict_kind kind,
			uint64_t sig)
{
	for (size_t i = 0; i < ix->n; i++)
		if (ix->e[i].target == t && ix->e[i].kind == kind && ix->e[i].sig == sig)
			return &ix->e[i];
	return NULL;
}

void kn_free(kn_index *ix)
{
	if (!ix)
		return;
	free(ix->e);
	memset(ix, 0, sizeof(*ix));
}

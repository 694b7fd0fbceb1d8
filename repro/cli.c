/* Option parsing and the small lookups every command shares: profile by name (or
 * $ESCAPADE_PROFILE, or the target's default), target by name, bounded numbers; growing
 * arrays; notes added to a scenario the commands write.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, const char **files,
	      int maxfiles, int *nfiles)
{
	*nfiles = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const cli_opt *hit = NULL;
		const char *val = NULL;
		if (a[0] == '-' && a[1]) {
			for (const cli_opt *o = opts; o->name; o++) {
				size_t n = strlen(o->name);
				if (strncmp(a, o->name, n) == 0 && (a[n] == 0 || (a[n] == '=' && o->val))) {
					hit = o;
					val = a[n] == '=' ? a + n + 1 : NULL;
					break;
				}
			}
			if (!hit) {
				fprintf(stderr, "escapade %s: unknown option %s (see escapade help)\n", cmd, a);
				return -1;
			}
			if (hit->val) {
				if (!val) {
					if (i + 1 >= argc) {
						fprintf(stderr, "escapade %s: %s needs a value\n", cmd, a);
						return -1;
					}
					val = argv[++i];
				}
				*hit->val = val;
			} else {
				*hit->flag = 1;
			}
			continue;
		}
		if (*nfiles >= maxfiles) {
			fprintf(stderr, "escapade %s: too many arguments (at most %d)\n", cmd, maxfiles);
			return -1;
		}
		files[(*nfiles)++] = a;
	}
	return 0;
}

int cli_profile(const esc_target *t, const char *name, const char *where)
{
	if (!name) {
		name = getenv("ESCAPADE_PROFILE");
		if (!name || !*name)
			return 0;
	}
	int p = esc_profile_index(t, name);
	if (p < 0) {
		fprintf(stderr, "%s: unknown profile '%s' for target %s (known:", where, name, t->name);
		for (unsigned i = 0; i < t->nprofiles; i++)
			fprintf(stderr, " %s", t->profiles[i]);
		fprintf(stderr, ")\n");
	}
	return p;
}

int cli_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *e;
	errno = 0;
	unsigned long v = strtoul(s, &e, 10);
	if (!*s || *e || errno || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

const esc_target *cli_target(const char *name)
{
	const esc_target *t = esc_find_target(esc_targets, name);
	if (!t)
		fprintf(stderr, "escapade: unknown target '%s' (see escapade list)\n", name);
	return t;
}

int cli_ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

void *cli_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return v;
	if (*cap > SIZE_MAX / 2 / size)
		return NULL;
	size_t want = *cap ? *cap * 2 : first;
	void *p = realloc(v, want * size);
	if (p)
		*cap = want;
	return p;
}

int cli_add_note(esc_scn *s, const char *text)
{
	if (s->nnotes >= ESC_MAX_NOTES)
		return -1;
	while (*text == ' ' || (*text > 0 && *text < 0x20) || *text == 0x7f)
		text++;
	char *d = strdup(text);
	if (!d)
		return -1;
	size_t n = 0;
	for (char *p = d; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
		if (*p != ' ')
			n = (size_t)(p - d) + 1;
	}
	d[n] = 0;
	s->notes[s->nnotes++] = d;
	return 0;
}

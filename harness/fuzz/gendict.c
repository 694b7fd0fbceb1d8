/* escapade_gendict TARGET OUT: writes the fuzzer dictionary of TARGET (generated from its
 * tables, see escapade/dict.h) to OUT atomically. Run by the build for every target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/dict.h"

extern const esc_target *const esc_all_targets[];

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: escapade_gendict TARGET OUT\n");
		return 2;
	}
	for (const esc_target *const *t = esc_all_targets; *t; t++) {
		if (strcmp((*t)->name, argv[1]) != 0)
			continue;
		char *text = esc_dict_text(*t);
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
		FILE *f = text ? fopen(tmp, "w") : NULL;
		int ok = f && fputs(text, f) >= 0;
		ok = f && fclose(f) == 0 && ok;
		free(text);
		if (!ok || rename(tmp, argv[2]) != 0) {
			remove(tmp);
			fprintf(stderr, "escapade_gendict: cannot write %s\n", argv[2]);
			return 2;
		}
		return 0;
	}
	fprintf(stderr, "escapade_gendict: unknown target '%s'\n", argv[1]);
	return 2;
}

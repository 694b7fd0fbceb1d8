/* Standalone replay driver, linked into fuzz_<target> when no fuzzing engine is (gcc
 * builds, ctest): runs LLVMFuzzerTestOneInput once on every file named, descending one
 * level into directories, the way libFuzzer runs files given on its command line.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* optional, as with libFuzzer */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (1u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 2;
	}
	uint8_t *buf = malloc(REPLAY_MAX);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "%s: out of memory\n", path);
		return 2;
	}
	size_t n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	fprintf(stderr, "Running: %s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, n);
	fprintf(stderr, "Executed %s\n", path);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int rc = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR... (standalone replay; no fuzzing engine linked)\n",
			argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (argv[i][0] == '-')
			continue; /* libFuzzer flags are accepted and ignored */
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int n = scandir(argv[i], &names, NULL, alphasort);
			for (int k = 0; k < n; k++) {
				char path[4096];
				if (names[k]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
					if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
						rc |= run_file(path);
				}
				free(names[k]);
			}
			free(n >= 0 ? names : NULL);
		} else {
			rc |= run_file(argv[i]);
		}
	}
	return rc;
}

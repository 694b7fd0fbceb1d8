/* Loading scenario files for the command-line tools (see escapade/load.h): a size limit,
 * the choice between text form, binary container and raw binary, and one-line errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escapade/load.h"

const esc_target *esc_find_target(const esc_target *const *targets, const char *name)
{
	for (; *targets; targets++)
		if (strcmp((*targets)->name, name) == 0)
			return *targets;
	return NULL;
}

/* Turns the control bytes of s ('\r' of a quoted token, bytes of a binary header) into
 * '?' in place, so that an error message stays one line. Returns s. */
static char *printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

int esc_load_buf(esc_scn *s, const esc_target *const *targets, const char *name,
		 const uint8_t *buf, size_t len, const esc_target *raw_target, char *err,
		 size_t errlen)
{
	esc_scn_init(s, NULL);
	if (len == 0 && raw_target) {
		/* what a fuzz binary runs for an empty input (libFuzzer tries it first): a
		 * crash on it is a finding like any other */
		esc_decode(s, raw_target, buf, 0);
		return 0;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s: empty file", name);
		return ESC_E_PARSE;
	}
	if (len > ESC_MAX_FILE) {
		snprintf(err, errlen, "%s: too large (%zu bytes; a scenario file is at most %u)",
			 name, len, ESC_MAX_FILE);
		return ESC_E_TOOBIG;
	}
	size_t ml = sizeof(ESC_CONTAINER_MAGIC) - 1;
	if (len >= ml && memcmp(buf, ESC_CONTAINER_MAGIC, ml) == 0) {
		if (len < ml + 1 || len < ml + 1 + buf[ml]) {
			snprintf(err, errlen, "%s: truncated binary container header", name);
			return ESC_E_PARSE;
		}
		char tname[256];
		memcpy(tname, buf + ml + 1, buf[ml]);
		tname[buf[ml]] = 0;
		/* a NUL inside the name is no target's name (strcmp would stop at it) */
		const esc_target *t = memchr(tname, 0, buf[ml]) ? NULL : esc_find_target(targets, tname);
		if (!t) {
			snprintf(err, errlen, "%s: unknown target '%s' in binary container", name,
				 printable(tname));
			return ESC_E_PARSE;
		}
		size_t off = ml + 1 + buf[ml];
		esc_decode(s, t, buf + off, len - off);
		return 0;
	}
	if (esc_looks_like_text(buf, len)) {
		char perr[400];
		int rc = esc_parse(s, targets, (const char *)buf, len, perr, sizeof(perr));
		if (rc)
			snprintf(err, errlen, "%s:%s", name, printable(perr));
		return rc;
	}
	if (!raw_target) {
		snprintf(err, errlen,
			 "%s: not a scenario (neither the text form nor an escapade binary "
			 "container; for a raw fuzzer input pass --target NAME)", name);
		return ESC_E_PARSE;
	}
	esc_decode(s, raw_target, buf, len);
	return 0;
}

int esc_load_file(esc_scn *s, const esc_target *const *targets, const char *path,
		  const esc_target *raw_target, char *err, size_t errlen)
{
	esc_scn_init(s, NULL);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ESC_E_IO;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		snprintf(err, errlen, "%s: is a directory", path);
		return ESC_E_IO;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > (off_t)ESC_MAX_FILE) {
		fclose(f);
		snprintf(err, errlen, "%s: too large (%lld bytes; a scenario file is at most %u)",
			 path, (long long)st.st_size, ESC_MAX_FILE);
		return ESC_E_TOOBIG;
	}
	uint8_t *buf = malloc(ESC_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return ESC_E_NOMEM;
	}
	size_t n = fread(buf, 1, ESC_MAX_FILE + 1, f);
	int ioerr = ferror(f);
	fclose(f);
	int rc;
	if (ioerr) {
		snprintf(err, errlen, "%s: read error", path);
		rc = ESC_E_IO;
	} else {
		rc = esc_load_buf(s, targets, path, buf, n, raw_target, err, errlen);
	}
	free(buf);
	return rc;
}

int esc_container(const esc_scn *s, uint8_t **out, size_t *outlen)
{
	size_t ml = sizeof(ESC_CONTAINER_MAGIC) - 1, nl = strlen(s->target->name);
	size_t cap = ml + 1 + nl + esc_encode_bound(s->target);
	uint8_t *p = malloc(cap);
	if (!p || nl > 255) {
		free(p);
		return ESC_E_NOMEM;
	}
	memcpy(p, ESC_CONTAINER_MAGIC, ml);
	p[ml] = (uint8_t)nl;
	memcpy(p + ml + 1, s->target->name, nl);
	long n = esc_encode(s, p + ml + 1 + nl, cap - ml - 1 - nl);
	if (n < 0) {
		free(p);
		return (int)n;
	}
	*out = p;
	*outlen = ml + 1 + nl + (size_t)n;
	return 0;
}

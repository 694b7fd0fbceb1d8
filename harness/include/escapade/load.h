/* Loading scenario files for the command-line tools: size limit, text-or-binary choice,
 * and one-line error messages ("FILE:LINE:COL: reason").
 *
 * Forms a file may take:
 *   - text form (.scn), recognised by esc_looks_like_text;
 *   - binary container: the 4 bytes "ESC\x01", a length byte n, n bytes of target name,
 *     then the raw binary form;
 *   - raw binary form (a fuzzer artifact): needs the target named by the caller; an empty
 *     file is then the empty scenario.
 * A fuzz binary (harness/fuzz/fuzz_driver.c) tells the forms apart the same way, so a
 * fuzzer artifact loaded with its target is the scenario the fuzz binary ran; where the
 * fuzz binary runs nothing (bad text, another target's container) the loader refuses.
 */
#ifndef ESCAPADE_LOAD_H
#define ESCAPADE_LOAD_H

#include "escapade/scenario.h"

#define ESC_MAX_FILE (1u << 20) /* larger files are refused: no scenario is that big */
#define ESC_CONTAINER_MAGIC "ESC\x01"

/* Reads path and loads it into s (initialized by the caller). raw_target names the target
 * for a raw binary file (NULL: refuse raw files, since any bytes would decode).
 * Returns 0, or a negative code with one line "path[:line:col]: reason" in err; s is then
 * empty. */
ESC_API int esc_load_file(esc_scn *s, const esc_target *const *targets, const char *path,
			  const esc_target *raw_target, char *err, size_t errlen);
/* Same from memory; name is used in messages. */
ESC_API int esc_load_buf(esc_scn *s, const esc_target *const *targets, const char *name,
			 const uint8_t *buf, size_t len, const esc_target *raw_target, char *err,
			 size_t errlen);
/* Writes the container form of s into a malloc'd buffer (*out, *outlen). Returns 0 or
 * ESC_E_NOMEM. */
ESC_API int esc_container(const esc_scn *s, uint8_t **out, size_t *outlen);
/* Finds a target by name in a NULL-terminated table; NULL if absent. */
ESC_API const esc_target *esc_find_target(const esc_target *const *targets, const char *name);

#endif

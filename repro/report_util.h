/* Helpers the JSON and SARIF writers share (report_json.c). */
#ifndef ESCAPADE_REPORT_UTIL_H
#define ESCAPADE_REPORT_UTIL_H

#include <jansson.h>

#include "replay.h"

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. NULL on oom. */
json_t *rj_str(const char *s);
/* "escape", "sanitizer", "leak", "hang". */
const char *rj_class_name(rp_class c);
/* Dumps root (indented, newline-terminated) to dir/name with cli_write_file. Returns 0,
 * or -1 with a message naming show/name printed. */
int rj_write(json_t *root, const char *dir, const char *show, const char *name);

#endif

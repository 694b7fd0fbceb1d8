/* Fuzzer dictionaries generated from a target's tables (libFuzzer / AFL++ -x format):
 * the tokens of the text form (keywords, op and argument names, enum values, profiles,
 * verdict kinds) and the target's dictionary strings, so the engines' dictionary
 * mutations speak the scenario language without anyone keeping a list by hand.
 */
#ifndef ESCAPADE_DICT_H
#define ESCAPADE_DICT_H

#include "escapade/scenario.h"

/* Returns the dictionary text (one `kw_N="..."` line per token, duplicates removed), a
 * malloc'd string the caller frees, or NULL when out of memory. */
ESC_API char *esc_dict_text(const esc_target *t);

#endif

/* Internals shared by the core's files: byte reader and writer of the binary form, a
 * growable string buffer, and the per-argument-kind function table (argkind.c) through
 * which decode, encode, print and parse treat every kind in one place.
 */
#ifndef ESCAPADE_INTERNAL_H
#define ESCAPADE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "escapade/scenario.h"

/* Reader over the binary form: reads past the end yield 0 (the minimum value). */
typedef struct esc_rd {
	const uint8_t *p;
	size_t n, pos;
} esc_rd;

static inline uint8_t esc_rd_u8(esc_rd *r)
{
	return r->pos < r->n ? r->p[r->pos++] : 0;
}

typedef struct esc_wr {
	uint8_t *p;
	size_t cap, len;
	int overflow;
} esc_wr;

static inline void esc_wr_u8(esc_wr *w, uint8_t b)
{
	if (w->len < w->cap)
		w->p[w->len++] = b;
	else
		w->overflow = 1;
}

/* Growable NUL-terminated string; on allocation failure sets oom and stops growing. */
typedef struct esc_sb {
	char *p;
	size_t len, cap;
	int oom;
} esc_sb;

void esc_sb_printf(esc_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void esc_sb_putc(esc_sb *b, char c);
void esc_sb_puts(esc_sb *b, const char *s);
/* Returns the string (caller frees) or NULL on oom (buffer freed either way). */
char *esc_sb_take(esc_sb *b);

/* Joins n names with spaces into buf (truncating); returns buf. */
char *esc_join(char *buf, size_t len, const char *const *names, unsigned n);

/* Live resources while decoding or parsing: for each resource kind, the producer op
 * indices in order. */
typedef struct esc_live {
	uint8_t n[ESC_MAX_RES];
	uint8_t ops[ESC_MAX_RES][ESC_MAX_OPS];
} esc_live;

/* Handle names while printing: name[i] = canonical $-number of op i's result, or -1. */
typedef struct esc_names {
	int name[ESC_MAX_OPS];
} esc_names;

void esc_names_compute(const esc_scn *s, esc_names *nm);

/* Text lexer position, for the parser and per-kind parse functions. */
typedef struct esc_lex {
	const char *p;   /* current */
	const char *end; /* end of line */
	const char *bol; /* beginning of line, for columns */
	unsigned line;
	char *err;
	size_t errlen;
} esc_lex;

int esc_lex_error(esc_lex *lx, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Handle names defined so far: text name -> producer op index (or -1). */
typedef struct esc_symtab {
	unsigned n;
	char name[ESC_MAX_OPS][16];
	int op[ESC_MAX_OPS];
} esc_symtab;

/* One row per argument kind. Each function handles exactly one kind. */
typedef struct esc_kind_ops {
	/* Reads one argument; returns 0, or -1 when a handle cannot resolve. */
	int (*decode)(esc_rd *r, const esc_target *t, const esc_arg_desc *d,
		      const esc_live *live, esc_arg *a);
	void (*encode)(esc_wr *w, const esc_target *t, const esc_arg_desc *d,
		       const esc_live *live, const esc_scn *s, const esc_arg *a);
	void (*print)(esc_sb *b, const esc_arg_desc *d, const esc_names *nm, const esc_arg *a);
	/* Parses one value at lx->p (token ends at tok_end); returns 0 or ESC_E_PARSE. */
	int (*parse)(esc_lex *lx, const char *tok_end, const esc_target *t,
		     const esc_arg_desc *d, const esc_symtab *st, unsigned opidx,
		     const esc_scn *s, esc_arg *a);
	/* True when a equals the kind's default (named args at default are not printed). */
	int (*is_default)(const esc_arg_desc *d, const esc_arg *a);
	void (*set_default)(const esc_arg_desc *d, esc_arg *a);
} esc_kind_ops;

extern const esc_kind_ops esc_kinds[ESC_ARG_NKINDS];

/* The mutator's pieces focus.c builds on (mutate.c). */
struct esc_rng;
/* Producers of resource kind res among ops [0, before), into list; returns the count. */
unsigned esc_mut_producers(const esc_scn *s, unsigned before, unsigned res, uint8_t *list);
/* A random op producing res (a root one time in two when there is one), or -1. */
int esc_mut_pick_producer(const esc_target *t, unsigned res, struct esc_rng *r);
/* Inserts op opidx at *pos with producers for its handles (see mutate.c); returns the
 * number of ops inserted, *pos moves past them. */
int esc_mut_gen_op(esc_scn *s, unsigned *pos, unsigned opidx, unsigned fixed_j, unsigned fixed_h,
		   struct esc_rng *r, unsigned depth);
/* Encodes s into out, dropping ops from the end until it fits; returns the size. */
long esc_mut_encode_fit(esc_scn *s, uint8_t *out, size_t max);
/* Loads text or binary form of target t. */
void esc_mut_load(esc_scn *s, const esc_target *t, const uint8_t *d, size_t n);

#endif

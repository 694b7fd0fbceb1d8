/* escapade scenario IR and target descriptors.
 *
 * A scenario is a short program (at most ESC_MAX_OPS ops) against one target. A target is
 * a const table of op descriptors; the core does every per-kind job (decode, encode,
 * parse, print, validate) from that table, so no target writes a parser.
 *
 * Invariants of a valid scenario (checked by esc_scn_validate):
 *   - 0 <= nops <= ESC_MAX_OPS, every op index < target->nops;
 *   - every argument has the kind its descriptor says;
 *   - a handle argument names an EARLIER op (its producer) whose descriptor produces the
 *     resource kind the argument asks for;
 *   - an enum is < nvalues, an int lies in [min, max], a string is at most ESC_MAX_STR
 *     bytes and holds no NUL.
 * The IR holds no pointers into the input it came from, so a scenario outlives its
 * source buffer. Only notes and comments are heap-allocated (see esc_scn_clear).
 */
#ifndef ESCAPADE_SCENARIO_H
#define ESCAPADE_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define ESC_API __attribute__((visibility("default")))
#else
#define ESC_API
#endif

#define ESC_MAX_OPS 64
#define ESC_MAX_ARGS 6
#define ESC_MAX_STR 63
#define ESC_MAX_NOTES 16
#define ESC_MAX_EXPECT 32
#define ESC_MAX_PROFILES 32
#define ESC_MAX_RES 16 /* resource kinds per target */
#define ESC_NO_RES 0xffu /* op produces nothing */

typedef enum esc_arg_kind {
	ESC_ARG_HANDLE = 0, /* a resource an earlier op produced */
	ESC_ARG_ENUM,       /* one of nvalues named values */
	ESC_ARG_INT,        /* integer in [min, max] */
	ESC_ARG_STR,        /* string, preferably from the target's dictionary */
	ESC_ARG_NKINDS
} esc_arg_kind;

/* Verdict kinds: DESIGN.md's table. ESC_CONTAINED is "no divergence". */
typedef enum esc_verdict_kind {
	ESC_CONTAINED = 0,
	ESC_PRIVILEGE_AMPLIFICATION,
	ESC_REFERENCE_LEAK,
	ESC_HOST_EXECUTION,
	ESC_POLICY_BYPASS,
	ESC_FORGED_AUTHORITY,
	ESC_INTEGRITY_VIOLATION,
	ESC_AUDIT_GAP,
	ESC_NVERDICTS
} esc_verdict_kind;

typedef struct esc_arg_desc {
	const char *name;  /* printed as name=value unless positional */
	esc_arg_kind kind;
	unsigned positional; /* 1: printed bare, in order, before named args */
	unsigned res;      /* HANDLE: resource kind index */
	const char *const *values; /* ENUM: value names */
	unsigned nvalues;
	int64_t min, max;  /* INT: bounds, min <= max */
	/* Optional (NULL for targets that do not emit programs): ENUM: per value, the text a
	 * target's program emitter substitutes for it (nvalues entries; see emit_js below). */
	const char *const *js_values;
} esc_arg_desc;

struct esc_ctx;
typedef struct esc_val {
	unsigned h;        /* HANDLE: the target's id of the resource (from its producer) */
	unsigned e;        /* ENUM */
	int64_t i;         /* INT */
	const char *s;     /* STR: NUL-terminated, valid during the call */
} esc_val;

/* Runs one op. args[] follows the descriptor. On success stores the produced resource's
 * target-side id in *out (when the op produces one) and returns 0; returns a negative
 * value when the op failed the way the layer refuses something (a throw, EPERM): the run
 * goes on, and ops using its result are skipped. Explain either outcome with esc_note. */
typedef int (*esc_op_fn)(void *state, const esc_val *args, unsigned *out, struct esc_ctx *ctx);

typedef struct esc_op_desc {
	const char *name;
	unsigned nargs;
	esc_arg_desc args[ESC_MAX_ARGS];
	unsigned produces; /* resource kind index, or ESC_NO_RES */
	esc_op_fn run;
	/* Optional (NULL for targets that do not emit programs): the op as JavaScript, a
	 * template the target's emit_js hook interprets. The core only stores it. */
	const char *js;
} esc_op_desc;

struct esc_verdict;
struct esc_scn;

/* One principal of a run (a VM, a jail, an agent), for pictures of escape chains. */
typedef struct esc_principal {
	char name[32];   /* as it appears in a verdict chain: "vm#2" ("host" is implicit) */
	int parent;      /* index in the array filled by the hook, -1: child of host */
	char label[96];  /* one line: what it holds */
} esc_principal;

/* A target: one isolation layer under test. Every hook but the ops' run functions may be
 * NULL when the target does not need it. State is state_size bytes owned by the runner. */
typedef struct esc_target {
	const char *name;
	const char *const *res_kinds; /* resource kind names */
	unsigned nres;
	const esc_op_desc *ops;
	unsigned nops;
	const char *const *profiles; /* profiles[0] is the default: "hardened" */
	unsigned nprofiles;
	const char *const *dict;     /* strings the binary form can name by index */
	unsigned ndict;
	size_t state_size;
	/* Puts state into its initial condition for profile; the runner calls it before
	 * every run, so nothing survives from one run to the next. Returns 0, or a negative
	 * value (ESC_E_UNAVAILABLE when the layer cannot run on this machine). */
	int (*reset)(void *state, unsigned profile);
	/* Oracle: called after every op (step = op index). Returns nonzero and fills the
	 * verdict's kind, chain, expected, actual and summary on the first divergence. */
	int (*check)(void *state, unsigned step, struct esc_verdict *v);
	/* Prints the principal tree (trace footer). */
	void (*describe)(void *state, struct esc_ctx *ctx);
	void (*release)(void *state); /* frees what reset acquired; may be NULL */
	/* Fills up to max principals of the current run (after esc_run); returns how many.
	 * May be NULL: pictures then show the verdict chain only. */
	unsigned (*principals)(void *state, esc_principal *out, unsigned max);
	/* Optional: writes s as a standalone JavaScript program that replays it against the
	 * real layer (`escapade repro FILE --emit js`). Returns 0, or a negative code with a
	 * one-line reason in err. NULL: the target cannot emit programs. */
	int (*emit_js)(const struct esc_scn *s, FILE *out, char *err, size_t errlen);
	/* Nonzero: its ops report what they did in esc_ctx.outcome (escapade/run.h), and the
	 * focus (escapade/focus.h) tries first the neighbours of an op whose (op, status,
	 * outcome) no run showed before. */
	int outcomes;
} esc_target;

typedef struct esc_arg {
	int64_t i;                  /* HANDLE: producer op index; ENUM: value; INT: value */
	char s[ESC_MAX_STR + 1];    /* STR */
} esc_arg;

typedef struct esc_op {
	uint8_t op;
	esc_arg args[ESC_MAX_ARGS];
	char *comment;              /* full-line comments before the op, joined by '\n' */
} esc_op;

typedef struct esc_expect {
	unsigned profile;
	esc_verdict_kind kind;
} esc_expect;

typedef struct esc_scn {
	const esc_target *target;
	unsigned nops;
	esc_op ops[ESC_MAX_OPS];
	unsigned nexpect;
	esc_expect expect[ESC_MAX_EXPECT];
	unsigned nnotes;
	char *notes[ESC_MAX_NOTES];
	char *head;                 /* comments among the header lines */
	char *trailer;              /* comments after the last op */
} esc_scn;

/* Error codes (negative errno style); esc_strerror names them. */
enum {
	ESC_E_NOMEM = -1,
	ESC_E_PARSE = -2,
	ESC_E_INVALID = -3,
	ESC_E_TOOBIG = -4,
	ESC_E_IO = -5,
	ESC_E_UNAVAILABLE = -6,
	ESC_E_USAGE = -7,
};

ESC_API const char *esc_strerror(int rc);
ESC_API const char *esc_verdict_name(esc_verdict_kind k);
/* Returns the kind named s ("privilege-amplification"), or -1. */
ESC_API int esc_verdict_from_name(const char *s);

/* Returns the profile index named s, or -1. */
ESC_API int esc_profile_index(const esc_target *t, const char *s);
ESC_API int esc_op_index(const esc_target *t, const char *s);

/* Initializes an empty scenario of target t, every op slot zeroed. Never fails. */
ESC_API void esc_scn_init(esc_scn *s, const esc_target *t);
/* Empties s for a filler that writes every op it adds whole (decode, parse, cross-over):
 * like esc_scn_init without zeroing the op slots. s must hold nothing to free. */
ESC_API void esc_scn_blank(esc_scn *s, const esc_target *t);
/* Frees notes and comments and empties s; keeps its target. Accepts NULL. Zeroes the op
 * slots that were in use; slots at and past nops are otherwise unspecified. */
ESC_API void esc_scn_clear(esc_scn *s);
/* Drops ops n.. (and their comments); the rest stays valid since handles only point
 * backwards. No-op when n >= nops. */
ESC_API void esc_scn_clear_tail(esc_scn *s, unsigned n);
/* Deep copy; returns 0 or ESC_E_NOMEM (dst then empty). dst must be initialized. */
ESC_API int esc_scn_copy(esc_scn *dst, const esc_scn *src);
/* Returns 0 when both have the same ops and arguments (ignores notes, comments,
 * expectations); nonzero otherwise. */
ESC_API int esc_scn_cmp_ops(const esc_scn *a, const esc_scn *b);
/* Returns 0 when equal in everything, text metadata included. */
ESC_API int esc_scn_cmp(const esc_scn *a, const esc_scn *b);

/* Sets (or replaces) the expectation for profile, keeping expect[] sorted by profile.
 * Returns 0, or ESC_E_TOOBIG when the table is full. */
ESC_API int esc_scn_set_expect(esc_scn *s, unsigned profile, esc_verdict_kind kind);
/* Returns the index in expect[] of profile's expectation, or -1. */
ESC_API int esc_scn_find_expect(const esc_scn *s, unsigned profile);
/* Returns 1 if op i's result is used by a later op. */
ESC_API int esc_scn_result_used(const esc_scn *s, unsigned i);
/* Returns 0 when t's tables are well formed (handles positional, enums <= 256 values,
 * dict < 255 entries, names unique); ESC_E_INVALID with a reason otherwise. */
ESC_API int esc_target_validate(const esc_target *t, char *why, size_t whylen);

/* Returns 0 if s satisfies the invariants above, else ESC_E_INVALID with a reason in
 * why (may be NULL). */
ESC_API int esc_scn_validate(const esc_scn *s, char *why, size_t whylen);

/* Binary form. Decoding never fails: every byte string is a valid scenario; when bytes
 * run out, remaining fields take their minimum value. Handles resolve modulo the live
 * resources of their kind; an op whose handle has none is consumed and dropped. */
ESC_API void esc_decode(esc_scn *s, const esc_target *t, const uint8_t *buf, size_t len);
/* Encodes s's ops into buf (capacity cap); returns the number of bytes, or
 * ESC_E_TOOBIG if cap is too small (buf contents then unspecified). Always
 * decode(encode(s)) has the same ops as s. */
ESC_API long esc_encode(const esc_scn *s, uint8_t *buf, size_t cap);
/* Upper bound of esc_encode's output for any scenario of target t. */
ESC_API size_t esc_encode_bound(const esc_target *t);

/* Text form. Parses text (len bytes, need not be NUL-terminated) into s, finding the
 * target by its "target" line in targets[] (NULL-terminated). Returns 0, or a negative
 * code with "LINE:COL: reason" in err; s is then empty. */
ESC_API int esc_parse(esc_scn *s, const esc_target *const *targets, const char *text,
		      size_t len, char *err, size_t errlen);
/* True when buf looks like the text form (starts with '#', "target" or whitespace and
 * holds no NUL and no control bytes other than \t \r \n). */
ESC_API int esc_looks_like_text(const uint8_t *buf, size_t len);
/* Prints s canonically. Returns a malloc'd string the caller frees, or NULL. */
ESC_API char *esc_print(const esc_scn *s);
/* Prints op i as it appears in the canonical text (with its "$k = " prefix when its
 * result is used, no padding, no newline) into buf, truncating to len. Returns buf. */
ESC_API char *esc_print_op(const esc_scn *s, unsigned i, char *buf, size_t len);

#endif

/* dukrealm engine glue: Duktape 2.7 (Debian's duktape-dev single-file source) compiled into
 * the target by engine.c, plus read-only helpers that look at Duktape's internal object
 * layout without running any JavaScript (the oracles must never execute sandbox code).
 *
 * Configuration changes over Debian's duk_config.h, all made in engine.c:
 *   - DUK_USE_EXEC_TIMEOUT_CHECK + DUK_USE_INTERRUPT_COUNTER: an instruction budget per op
 *     (dke_budget), so no generated program can hang the fuzzer;
 *   - DUK_USE_NATIVE_CALL_RECLIMIT lowered, so native recursion ends in a RangeError well
 *     before the C stack of a sanitizer build runs out.
 * Helpers take heap pointers (duk_get_heapptr) of live objects; none allocates on the
 * Duktape heap except where noted, and none can throw.
 */
#ifndef DUKREALM_ENGINE_H
#define DUKREALM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "duktape.h"

/* The oracles and identity maps are not what the fuzzer should learn from (their loops
 * depend on pointer layout and heap size): no coverage instrumentation, never inlined into
 * code that has it. */
#if defined(__clang__)
#define DK_NOCOV __attribute__((no_sanitize("coverage"), noinline))
#else
#define DK_NOCOV __attribute__((noinline))
#endif

#define DKE_NBUILTINS 51            /* DUK_NUM_BUILTINS: per-thread intrinsics */
#define DKE_BIDX_GLOBAL 0
#define DKE_BIDX_GLOBAL_ENV 1
#define DKE_BIDX_FUNCTION_CONSTRUCTOR 4

/* The heap's udata points at one of these (first member of the target state). The
 * budget counts executor interrupts (one per op entry, then one per ~256k bytecode
 * instructions); once ticks reaches limit every further check fails until ticks is
 * reset, which Duktape turns into a RangeError that unwinds to the op's protected call. */
typedef struct dke_budget {
	unsigned long ticks, limit;
} dke_budget;

/* Copies ctx's DKE_NBUILTINS intrinsic objects (NULL where absent) into out. */
void dke_builtins(duk_context *ctx, void **out);
/* Internal prototype of obj, NULL at the end of the chain. */
void *dke_proto(void *obj);
int dke_is_proxy(void *obj);
int dke_is_thread(void *obj);
/* "Object", "Function", "Error", ... (Duktape's class name), for traces. */
const char *dke_class(duk_context *ctx, void *obj);

/* Calls fn for every object obj refers to through its own properties: data values,
 * getters and setters, array items. Stops early when fn returns nonzero (returned). */
typedef int (*dke_visit)(void *ud, void *child);
int dke_children(duk_context *ctx, void *obj, dke_visit fn, void *ud);
/* Same for one own property named key: its value, or its getter and setter. Returns 1
 * when obj has that own property (and sets *is_data), else 0. */
int dke_own(duk_context *ctx, void *obj, const char *key, dke_visit fn, void *ud, int *is_data);
/* Own data property key (no accessor, no proxy trap) holding a string: copies it into buf
 * and returns 1, else 0. Walks the prototype chain. Used to describe errors in traces. */
int dke_data_string(duk_context *ctx, void *obj, const char *key, char *buf, size_t len);

/* Semantic fingerprint of one object's own state: extensibility, prototype, every own
 * property (key, attributes, value or accessor pair) in order, array items and length. */
uint64_t dke_hash_object(duk_context *ctx, void *obj);
/* Fingerprint of a list of objects: their own states (dke_hash_object), in order. The
 * caller keeps them alive. */
uint64_t dke_hash_list(duk_context *ctx, void *const *objs, size_t n);
/* Calls fn for each object of the graph reached from roots through own properties, depth
 * levels deep (proxies and threads are not walked into), each once, in a fixed order.
 * Returns what fn returned to stop the walk, 0, or -1 when out of memory. */
int dke_walk(duk_context *ctx, void *const *roots, unsigned nroots, unsigned depth, dke_visit fn,
	     void *ud);

/* Live heap objects and threads (objects on the heap's allocated list). */
void dke_census(duk_context *ctx, size_t *objects, size_t *threads);

#endif

/* dukrealm: a vm2-style membrane on a real JavaScript engine (Duktape 2.7). A host realm
 * and sandbox realms share one Duktape heap; every host object a realm sees is a Proxy of
 * the bridge, every value crossing back is unwrapped, exceptions are converted, and
 * privileged host functions (exec, writeFile) are reachable only where granted. Ops
 * generate small JavaScript programs; oracles watch what the engine actually did.
 *
 * Profiles (each vulnerable one turns exactly one defence off):
 *   hardened             every defence on
 *   raw-host-object      host call results cross unwrapped
 *   unwrapped-exception  host exceptions reach sandbox catch blocks unwrapped
 *   getter-raw-receiver  sandbox getters read by the host get the host-side receiver
 *   nested-unbounded     a nested realm's grants are not bounded by its parent's
 *   host-proto-write     host intrinsics cross (wrapped) and accept writes
 *   host-function-ctor   the host Function constructor crosses (wrapped): code compiled
 *                        through it runs in the host realm
 */
#ifndef DUKREALM_H
#define DUKREALM_H

#include <stddef.h>

#include "escapade/scenario.h"

extern const esc_target dukrealm_target;

enum dukrealm_profile {
	DUKREALM_HARDENED = 0,
	DUKREALM_RAW_HOST_OBJECT,
	DUKREALM_UNWRAPPED_EXCEPTION,
	DUKREALM_GETTER_RAW_RECEIVER,
	DUKREALM_NESTED_UNBOUNDED,
	DUKREALM_HOST_PROTO_WRITE,
	DUKREALM_HOST_FUNCTION_CTOR,
	DUKREALM_NPROFILES
};

/* Test hooks. `state` is an esc_runner's state after at least one esc_run of
 * dukrealm_target; realm is a realm number of the last run (1 = the first realm made).
 * Objects returned stay alive until the next run. All return NULL/0 on misuse. */
/* A fresh host-realm object. */
void *dukrealm_host_object(void *state);
/* The bridge's view in realm `realm` of host object h, and back. */
void *dukrealm_wrap(void *state, unsigned realm, void *h);
void *dukrealm_unwrap(void *state, unsigned realm, void *p);
/* Realms of the last run (0 after a reset that ran nothing). */
unsigned dukrealm_live_realms(void *state);
/* Objects and threads alive on the heap right now (after a full collection). */
void dukrealm_census(void *state, size_t *objects, size_t *threads);

#endif

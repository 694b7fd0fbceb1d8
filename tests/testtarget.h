/* test_target: a synthetic target (like syzkaller's sys/test) that exercises every
 * argument kind, both handle kinds, positional and named args, failing ops and a trivial
 * oracle, so the core can be tested without any real isolation layer.
 *
 * Resource kinds: fd (TT_RES_FD), sock (TT_RES_SOCK). Profiles: hardened (default), lax.
 * Ops (index: text form -> produces):
 *   TT_OP_OPEN:   open PATH [mode=ro|rw|append]                        -> fd
 *   TT_OP_SOCKET: socket [port=0..65535] [family=inet|inet6|unix]      -> sock
 *   TT_OP_WRITE:  write $fd N(-3..200) [off=INT64_MIN..INT64_MAX]      -> nothing
 *   TT_OP_SEND:   send $sock $fd [data="..."]                          -> nothing
 *   TT_OP_ACCEPT: accept $sock                                         -> sock
 *   TT_OP_DUP:    dup $fd                                              -> fd
 *   TT_OP_FAIL:   fail CODE(-3..200)            always fails (-1)      -> fd
 *   TT_OP_NOP:    nop                                                  -> nothing
 *   TT_OP_MIX:    mix SMALL(-3..200) TAG(alpha|beta|gamma) [wide=INT64_MIN..INT64_MAX]
 *                     [half=-32768..32767] [label="..."]               -> nothing
 * Resource ids: an fd opened by the k-th successful open since reset is 100 + k, a
 * socket is 200 + k, accept and dup yield their input + 1000; so tests can see handle plumbing.
 *
 * Oracle: `write $fd 42` on profile hardened is ESC_POLICY_BYPASS with chain
 * "host > fd#ID" and a summary naming how many ops ran since reset; lax allows it. It
 * flags only the FIRST such write since reset, and flags ESC_AUDIT_GAP when more than
 * ESC_MAX_OPS ops ran since reset: both only happen when a reset was missed.
 */
#ifndef ESC_TESTTARGET_H
#define ESC_TESTTARGET_H

#include "escapade/scenario.h"

extern const esc_target test_target;

enum { TT_RES_FD = 0, TT_RES_SOCK, TT_NRES };
enum { TT_HARDENED = 0, TT_LAX, TT_NPROFILES };
enum {
	TT_OP_OPEN = 0, TT_OP_SOCKET, TT_OP_WRITE, TT_OP_SEND, TT_OP_ACCEPT, TT_OP_DUP,
	TT_OP_FAIL, TT_OP_NOP, TT_OP_MIX, TT_NOPS
};

#define TT_BAD_VALUE 42 /* write with this N is the oracle's violation */

/* Dictionary of the string kind; TT_DICT0 is dict[0], what an exhausted input yields. */
#define TT_DICT0 "/etc/passwd"

#endif

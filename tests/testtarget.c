/* test_target: the synthetic target of the unit tests (see testtarget.h for its ops and
 * its oracle). Its op descriptors are data; its runtime state is a few counters.
 */
#include <stdio.h>
#include <string.h>

#include "escapade/run.h"
#include "testtarget.h"

typedef struct tt_state {
	unsigned profile;
	unsigned since_reset; /* ops run (ok or failed) since the last reset */
	unsigned hits;        /* writes of TT_BAD_VALUE since the last reset */
	unsigned nfd, nsock;  /* successful opens / sockets since the last reset */
	int ev;               /* the last op wrote TT_BAD_VALUE */
	unsigned ev_fd;
} tt_state;

static const char *const res_kinds[TT_NRES] = { [TT_RES_FD] = "fd", [TT_RES_SOCK] = "sock" };
static const char *const profiles[TT_NPROFILES] = { [TT_HARDENED] = "hardened",
						    [TT_LAX] = "lax" };
static const char *const dict[] = { TT_DICT0, "/tmp/x", "hello world", "a \"q\" b\\c" };
static const char *const modes[] = { "ro", "rw", "append" };
static const char *const families[] = { "inet", "inet6", "unix" };
static const char *const tags[] = { "alpha", "beta", "gamma" };

static int tt_reset(void *state, unsigned profile)
{
	tt_state *st = state;
	memset(st, 0, sizeof(*st));
	st->profile = profile;
	return 0;
}

static int tt_open(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	tt_state *st = state;
	st->since_reset++;
	*out = 100 + st->nfd++;
	esc_note(ctx, "open(\"%s\", mode %u) -> fd#%u", args[0].s, args[1].e, *out);
	return 0;
}

static int tt_socket(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	tt_state *st = state;
	st->since_reset++;
	*out = 200 + st->nsock++;
	esc_note(ctx, "socket(port %lld) -> sock#%u", (long long)args[0].i, *out);
	return 0;
}

static int tt_write(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	(void)out;
	tt_state *st = state;
	st->since_reset++;
	if (args[1].i == TT_BAD_VALUE) {
		st->hits++;
		st->ev = 1;
		st->ev_fd = args[0].h;
	}
	esc_note(ctx, "write(fd#%u, %lld)", args[0].h, (long long)args[1].i);
	return 0;
}

static int tt_send(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	(void)out;
	tt_state *st = state;
	st->since_reset++;
	esc_note(ctx, "send(sock#%u, fd#%u)", args[0].h, args[1].h);
	return 0;
}

/* accept and dup: a new resource of the same kind, id = input + 1000 */
static int tt_derive(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	tt_state *st = state;
	st->since_reset++;
	*out = args[0].h + 1000;
	esc_note(ctx, "#%u -> #%u", args[0].h, *out);
	return 0;
}

static int tt_fail(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	(void)out;
	tt_state *st = state;
	st->since_reset++;
	esc_note(ctx, "fail(%lld): refused", (long long)args[0].i);
	return -1;
}

static int tt_nop(void *state, const esc_val *args, unsigned *out, esc_ctx *ctx)
{
	(void)args;
	(void)out;
	(void)ctx;
	tt_state *st = state;
	st->since_reset++;
	return 0;
}

static int tt_check(void *state, unsigned step, esc_verdict *v)
{
	tt_state *st = state;
	int ev = st->ev;
	st->ev = 0;
	if (st->since_reset > ESC_MAX_OPS) {
		v->kind = ESC_AUDIT_GAP;
		snprintf(v->chain, sizeof(v->chain), "host");
		snprintf(v->summary, sizeof(v->summary), "state survived a reset (%u ops)",
			 st->since_reset);
		return 1;
	}
	if (!ev || st->profile != TT_HARDENED || st->hits != 1)
		return 0;
	v->kind = ESC_POLICY_BYPASS;
	snprintf(v->chain, sizeof(v->chain), "host > fd#%u", st->ev_fd);
	snprintf(v->expected, sizeof(v->expected), "write n != %d", TT_BAD_VALUE);
	snprintf(v->actual, sizeof(v->actual), "write n = %d", TT_BAD_VALUE);
	snprintf(v->summary, sizeof(v->summary), "step %u: write %d after %u ops since reset",
		 step, TT_BAD_VALUE, st->since_reset);
	return 1;
}

static void tt_describe(void *state, esc_ctx *ctx)
{
	const tt_state *st = state;
	esc_note(ctx, "host: %u fds, %u sockets, %u ops since reset", st->nfd, st->nsock,
		 st->since_reset);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HANDLE(n, r) { .name = n, .kind = ESC_ARG_HANDLE, .positional = 1, .res = r }
#define ENUM(n, v, pos) { .name = n, .kind = ESC_ARG_ENUM, .positional = pos, .values = v, \
			  .nvalues = N(v) }
#define INT(n, lo, hi, pos) { .name = n, .kind = ESC_ARG_INT, .positional = pos, .min = lo, \
			      .max = hi }
#define STR(n, pos) { .name = n, .kind = ESC_ARG_STR, .positional = pos }

static const esc_op_desc ops[TT_NOPS] = {
	[TT_OP_OPEN] = { .name = "open", .nargs = 2, .produces = TT_RES_FD, .run = tt_open,
			 .args = { STR("path", 1), ENUM("mode", modes, 0) } },
	[TT_OP_SOCKET] = { .name = "socket", .nargs = 2, .produces = TT_RES_SOCK,
			   .run = tt_socket,
			   .args = { INT("port", 0, 65535, 0), ENUM("family", families, 0) } },
	[TT_OP_WRITE] = { .name = "write", .nargs = 3, .produces = ESC_NO_RES, .run = tt_write,
			  .args = { HANDLE("fd", TT_RES_FD), INT("n", -3, 200, 1),
				    INT("off", INT64_MIN, INT64_MAX, 0) } },
	[TT_OP_SEND] = { .name = "send", .nargs = 3, .produces = ESC_NO_RES, .run = tt_send,
			 .args = { HANDLE("sock", TT_RES_SOCK), HANDLE("fd", TT_RES_FD),
				   STR("data", 0) } },
	[TT_OP_ACCEPT] = { .name = "accept", .nargs = 1, .produces = TT_RES_SOCK,
			   .run = tt_derive, .args = { HANDLE("sock", TT_RES_SOCK) } },
	[TT_OP_DUP] = { .name = "dup", .nargs = 1, .produces = TT_RES_FD, .run = tt_derive,
			.args = { HANDLE("fd", TT_RES_FD) } },
	[TT_OP_FAIL] = { .name = "fail", .nargs = 1, .produces = TT_RES_FD, .run = tt_fail,
			 .args = { INT("code", -3, 200, 1) } },
	[TT_OP_NOP] = { .name = "nop", .nargs = 0, .produces = ESC_NO_RES, .run = tt_nop },
	[TT_OP_MIX] = { .name = "mix", .nargs = 5, .produces = ESC_NO_RES, .run = tt_nop,
			.args = { INT("small", -3, 200, 1), ENUM("tag", tags, 1),
				  INT("wide", INT64_MIN, INT64_MAX, 0),
				  INT("half", -32768, 32767, 0), STR("label", 0) } },
};

const esc_target test_target = {
	.name = "test",
	.res_kinds = res_kinds,
	.nres = TT_NRES,
	.ops = ops,
	.nops = TT_NOPS,
	.profiles = profiles,
	.nprofiles = TT_NPROFILES,
	.dict = dict,
	.ndict = N(dict),
	.state_size = sizeof(tt_state),
	.reset = tt_reset,
	.check = tt_check,
	.describe = tt_describe,
};

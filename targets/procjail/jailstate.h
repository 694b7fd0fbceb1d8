/* procjail target internals, shared by procjail.c (tables, jails, entering), probes.c
 * (the actions the jailed process runs) and oracle.c (the check after every op): the
 * run's state and the event an op leaves for the oracle.
 */
#ifndef ESCAPADE_PROCJAIL_JAILSTATE_H
#define ESCAPADE_PROCJAIL_JAILSTATE_H

#include "escapade/run.h"
#include "procjail.h"

enum ev_kind { EV_NONE, EV_SYS, EV_PRCTL, EV_CONNECT, EV_FS, EV_EXEC, EV_RLIMIT };

/* What the last op made the kernel or the broker do, for the oracle. */
typedef struct pj_event {
	int kind;
	int acted;       /* something ran in the child or the broker: check the canaries */
	unsigned sys;
	uint64_t arg2;
	unsigned need;   /* EV_FS: access bits used on every path */
	unsigned npaths;
	char path[2][PJ_PATH];
	int64_t val;     /* EV_EXEC: helper status; EV_RLIMIT: hard limit */
	int64_t caps;    /* effective capabilities reported after entering a jail in this op */
	int raised;      /* EV_RLIMIT: the hard limit went up */
	char what[160];  /* the outcome, one line */
} pj_event;

typedef struct pj_jail {
	int parent;      /* -1: made by the host */
	int entered;
	pj_policy pol;
} pj_jail;

typedef struct pj_state {
	unsigned profile;
	const pj_defences *def;
	unsigned njails;
	pj_jail jails[PJ_MAX_JAILS];
	int current;     /* the jail the child runs in, -1: no jailed process */
	pj_box box;
	pj_event ev;
	int broker_granted;
	char broker_note[200];
} pj_state;

#define PJ_NPRCTL 4
#define PJ_NARG2 4
extern const char *const pj_mode_names[PJ_NMODES];
extern const char *const pj_abi_names[PJ_NABI];
extern const char *const pj_prctl_names[PJ_NPRCTL];
extern const uint64_t pj_arg2_vals[PJ_NARG2];
#define PJ_NLINKS 9
extern const char *const pj_link_names[PJ_NLINKS];

/* errno names for notes; pj_fsname says "Landlock" for a filesystem probe's EACCES */
const char *pj_ename(int e);
const char *pj_fsname(int e);
/* Jails from the root to j into ids (root first); returns how many. */
unsigned pj_ancestors(const pj_state *st, int j, unsigned *ids);
/* The policies of ids[0..n) into out; returns n. */
unsigned pj_policies(const pj_state *st, const unsigned *ids, unsigned n, const pj_policy **out);
/* "host > jail#1 > jail#2" for jail j (-1: "host"). */
void pj_chain_str(const pj_state *st, int j, char *buf, size_t len);
/* Brings the process into jail j, entering down its chain; 0, or -1 with a note. */
int pj_ensure_in(pj_state *st, unsigned j, esc_ctx *ctx);

/* the probes (probes.c), as ops */
int pj_op_open(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_mkdir(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_symlink(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_rename(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_broker(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_exec(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_syscall(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_sprctl(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_connect(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);
int pj_op_rlimit(void *s, const esc_val *a, unsigned *out, esc_ctx *ctx);

/* the oracle and the pictures (oracle.c), as target hooks */
int pj_check(void *state, unsigned step, esc_verdict *v);
void pj_describe(void *state, esc_ctx *ctx);
unsigned pj_principals(void *state, esc_principal *out, unsigned max);

#endif

/* procjail: a process jail library on Linux primitives (seccomp-bpf through libseccomp,
 * Landlock, no_new_privs, capabilities, rlimits, user/mount/pid/net namespaces) with
 * nested jails and a file broker, and the escapade target that fuzzes it.
 *
 * Who runs what. The harness process (coverage-instrumented) holds the library's policy
 * logic (policy.c, kernel.c), the broker (broker.c), the reference model (model.c) and
 * the target (procjail.c, probes.c, oracle.c). The jailed side is one process per run:
 * sandbox.c spawns the child program (child.c, built plain and embedded by blob.c), which
 * makes fresh user, mount, net and pid namespaces, forks the jailed process (pid 1 there)
 * and pivots it into the per-process scratch root; it applies the layers the harness
 * compiled and runs probes on command. The kernel decides every probe; the oracle
 * compares the outcome with the model.
 *
 * The scratch root, as every jailed process sees it (its "/"):
 *   /canary, /host/secret   canaries: no policy ever grants them; checked after every action
 *   /jail/{pub/{file,sub/},ro/file,bin/helper,secret/key}   the jail tree
 *   /proc                   the child's own procfs
 * Rules name directories of the jail tree only (enum pj_dir). Access comes in three
 * classes mapped onto Landlock rights (kernel.c): r (read file, read dir), w (write,
 * truncate, make reg/dir/sym/fifo/sock, remove file, refer), x (execute). Removing or
 * renaming a directory is handled and never granted, so rule directories stay where the
 * model thinks they are (Landlock binds rules to inodes, the model to paths).
 *
 * Invariants the model states (model.c), for a process that entered jails j1 > ... > jn:
 *   - a syscall of the universe, a prctl argument, a connect, a file access is allowed
 *     iff every jail of the chain allows it (the intersection down the chain);
 *   - its RLIMIT_NOFILE hard limit is at most the smallest limit of the chain;
 *   - it holds no capability, before or after an execve.
 * Denials carry sentinels: a syscall filter returns PJ_E_FILTER, the broker PJ_E_BROKER;
 * Landlock returns EACCES, which nothing else in the tree can (every file is owned by the
 * jailed uid and has owner rw).
 */
#ifndef ESCAPADE_PROCJAIL_H
#define ESCAPADE_PROCJAIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

#include "escapade/scenario.h"

extern const esc_target procjail_target;

#define PJ_E_FILTER EHWPOISON        /* 133: a seccomp filter's denial */
#define PJ_E_BROKER ENOTRECOVERABLE  /* 131: the broker's refusal */
#define PJ_PORT 4242                 /* the embedder's listener in the jail's netns */
#define PJ_PATH 160                  /* real paths reported back */
#define PJ_MAX_RULES 8               /* fs rules per jail */
#define PJ_MAX_FLAT 32               /* rules of a flattened chain */
#define PJ_MAX_INSN 96               /* instructions of one compiled filter */
#define PJ_MAX_JAILS 16
#define PJ_TIMEOUT_MS 2000           /* bound on every exchange with the jailed child */

enum pj_profile {
	PJ_HARDENED = 0,
	PJ_BROKER_NO_NORMALIZE,
	PJ_BROKER_FOLLOWS_SYMLINK,
	PJ_NESTED_REPLACES_PARENT,
	PJ_NO_NNP,
	PJ_SECCOMP_NO_ARCH_CHECK,
	PJ_SECCOMP_ARG_LOW32,
	PJ_LANDLOCK_PARENT_WIDENS,
	PJ_NPROFILES
};

/* The defences of the library; hardened has all, every other profile drops one. */
typedef struct pj_defences {
	unsigned broker_normalize : 1; /* broker resolves . and .. before checking a path */
	unsigned broker_nofollow : 1;  /* broker opens with RESOLVE_NO_SYMLINKS */
	unsigned nest_stack : 1;       /* nested jails stack kernel layers in the process;
					* else the supervisor respawns the process */
	unsigned respawn_chain : 1;    /* a respawn re-applies the ancestors' filters */
	unsigned flatten_exact : 1;    /* flattening keeps the deeper of two nested rules */
	unsigned nnp : 1;              /* no_new_privs set on entering */
	unsigned arch_check : 1;       /* filters refuse foreign syscall ABIs */
	unsigned arg_full64 : 1;       /* argument rules compare all 64 bits */
} pj_defences;

extern const char *const pj_profile_names[PJ_NPROFILES];
const pj_defences *pj_profile_defences(unsigned profile);

/* The syscall universe: the syscalls a policy allows or denies (everything else is the
 * process's own machinery and always allowed). */
enum pj_sys {
	PJ_SYS_OPENAT, PJ_SYS_CONNECT, PJ_SYS_EXECVE, PJ_SYS_KILL, PJ_SYS_PTRACE,
	PJ_SYS_UNSHARE, PJ_SYS_MOUNT, PJ_SYS_SETNS, PJ_SYS_PRCTL, PJ_SYS_SECCOMP, PJ_NSYS
};
#define PJ_SYS_ALL ((1u << PJ_NSYS) - 1)
extern const char *const pj_sys_names[PJ_NSYS];
extern const int pj_sys_nr[PJ_NSYS];      /* x86_64 */
extern const int pj_sys_nr_i386[PJ_NSYS]; /* the i386 entry (int 0x80) */
extern const int pj_sys_nr_x32[PJ_NSYS];  /* without __X32_SYSCALL_BIT */

enum pj_abi { PJ_ABI_NATIVE, PJ_ABI_I386, PJ_ABI_X32, PJ_NABI };

enum pj_dir { PJ_DIR_JAIL, PJ_DIR_PUB, PJ_DIR_SUB, PJ_DIR_RO, PJ_DIR_BIN, PJ_DIR_SECRET, PJ_NDIRS };
extern const char *const pj_dir_paths[PJ_NDIRS];
enum { PJ_R = 1, PJ_W = 2, PJ_X = 4 };

typedef struct pj_rule {
	uint8_t dir;    /* enum pj_dir */
	uint8_t access; /* PJ_R | PJ_W | PJ_X */
} pj_rule;

/* One jail's own policy (what it asks for; nesting intersects). */
typedef struct pj_policy {
	uint32_t sys;     /* bit s: the jail allows pj_sys s */
	uint8_t net;      /* 1: the embedder's loopback port is reachable */
	uint8_t has_arg;  /* 1: prctl only when its arg2 == arg2 */
	uint64_t arg2;
	uint32_t nofile;  /* RLIMIT_NOFILE (soft = hard); 0: not limited */
	uint8_t nrules;
	pj_rule rules[PJ_MAX_RULES];
} pj_policy;

/* ---- the library's policy logic (policy.c) ---- */

/* Renders access bits as "rwx" with dashes; buf holds at least 4 bytes. Returns buf. */
char *pj_access_str(unsigned access, char *buf);
/* Renders a policy in one line ("sys{openat} fs{/jail/pub:rw-} net nofile=16"). */
void pj_policy_str(const pj_policy *p, char *buf, size_t len);
/* Adds rule (dir, access) to p, merging with a rule on the same dir. Returns 0, or -1
 * when p has PJ_MAX_RULES rules already (p unchanged). */
int pj_policy_add_rule(pj_policy *p, unsigned dir, unsigned access);
/* The library's flattening of a chain (root first) into one rule list: the intersection
 * of the layers. exact = 0 is the widening bug: of two nested rule dirs it keeps the
 * upper one. Returns the number of rules written (at most max). */
unsigned pj_flatten(const pj_policy *const *chain, unsigned n, int exact, pj_rule *out,
		    unsigned max);
/* Lexical normalization of an absolute path: collapses //, . and .. Returns 0, or -1
 * (out undefined) when path is not absolute, climbs above / or does not fit in len. */
int pj_normalize(const char *path, char *out, size_t len);
/* The library's path check: 1 when every bit of need is granted by a rule whose
 * directory is path or a prefix of it at a '/', 0 otherwise. */
int pj_rules_allow(const pj_rule *rules, unsigned n, const char *path, unsigned need);

/* ---- the broker (broker.c) ---- */

enum pj_mode { PJ_MODE_READ, PJ_MODE_WRITE, PJ_MODE_CREATE, PJ_MODE_TRUNC, PJ_NMODES };

typedef struct pj_breq {
	uint32_t mode;
	char path[ESC_MAX_STR + 1];
} pj_breq;

typedef struct pj_brep {
	int32_t err; /* 0: granted, an fd follows */
} pj_brep;


/* Serves one brokered open: checks req against eff (the flattened policy of the
 * requesting jail) the way defences d say, opens it under the scratch root and stores the
 * real path it opened (as the jail sees it) in real (PJ_PATH bytes). Returns 0 with the
 * fd in *fd (the caller closes it), PJ_E_BROKER for a refusal, or the errno of a failed
 * open. note gets one line saying what the broker decided. */
int pj_broker_open(const pj_defences *d, const pj_rule *eff, unsigned neff,
		   const pj_breq *req, int *fd, char *real, char *note, size_t notelen);

/* ---- the reference model (model.c): independent of the library ---- */

/* Each returns 1 when the chain (root first, n >= 1) allows the action, else 0 and the
 * index of the first jail that denies it in *who. */
int pjm_sys(const pj_policy *const *chain, unsigned n, unsigned sys, unsigned *who);
int pjm_prctl(const pj_policy *const *chain, unsigned n, uint64_t arg2, unsigned *who);
int pjm_connect(const pj_policy *const *chain, unsigned n, unsigned *who);
int pjm_fs(const pj_policy *const *chain, unsigned n, const char *real, unsigned need,
	   unsigned *who);
/* The smallest RLIMIT_NOFILE of the chain (UINT64_MAX: none) and the jail that set it. */
uint64_t pjm_nofile(const pj_policy *const *chain, unsigned n, unsigned *who);

/* ---- kernel layers (kernel.c) ---- */

typedef struct pj_prog {
	uint16_t len;
	struct sock_filter insn[PJ_MAX_INSN];
} pj_prog;

typedef struct pj_features {
	int probed;
	int userns;       /* user+mount+pid+net namespaces can be created */
	int landlock_abi; /* 0: none */
	int seccomp;      /* filters can be installed */
	int i386;         /* int 0x80 reaches the i386 syscall table */
	int x32;          /* the x32 ABI is built in */
	char why[128];    /* what is missing, when something is */
} pj_features;

/* Probes the kernel once per process (forks throwaway children); never fails. */
const pj_features *pj_features_get(void);
/* Compiles p's syscall rules with libseccomp under defences d into *out: default allow,
 * the universe minus p->sys (minus connect when !p->net) denied with PJ_E_FILTER,
 * seccomp() other than installing a filter denied unless allowed, foreign ABIs denied
 * when d->arch_check. Returns 0, or -1 with *out empty. */
int pj_compile_filter(const pj_defences *d, const pj_policy *p, pj_prog *out);
/* Emits p's argument rule (prctl arg2 == value) as a hand-built filter; out->len = 0
 * when p has none. Never fails. */
void pj_compile_argfilter(const pj_defences *d, const pj_policy *p, pj_prog *out);
/* Builds a Landlock ruleset from rules, with directories opened under rootfd (the
 * scratch root). Returns the ruleset fd (the caller closes it) or -errno. */
int pj_landlock_ruleset(int rootfd, const pj_rule *rules, unsigned n);
/* Writes the static x86_64 helper that exits 1 when it holds any effective capability,
 * 0 when none, 2 when capget fails. Returns its size, or 0 when cap is too small. */
size_t pj_helper_elf(uint8_t *buf, size_t cap);

/* ---- the harness side of the jailed process (sandbox.c) ---- */

enum pj_cmd_kind {
	PJ_CMD_APPLY = 1, PJ_CMD_OPEN, PJ_CMD_MKDIR, PJ_CMD_SYMLINK, PJ_CMD_RENAME, PJ_CMD_BROKER,
	PJ_CMD_EXEC, PJ_CMD_SYSCALL, PJ_CMD_PRCTL, PJ_CMD_CONNECT, PJ_CMD_RLIMIT,
	PJ_CMD_START, /* first message only: set up (v: with the listener); no reply of its own */
};
enum { PJ_APPLY_NNP = 1, PJ_APPLY_DROPCAPS = 2, PJ_APPLY_LANDLOCK = 4 };

typedef struct pj_cmd {
	uint32_t kind;
	uint32_t a, b;   /* OPEN/BROKER: mode; SYSCALL: sys, abi; PRCTL: option; CONNECT: port */
	uint32_t flags;  /* APPLY: PJ_APPLY_* */
	uint64_t v;      /* PRCTL: arg2; APPLY: nofile (0: leave) */
	char s1[ESC_MAX_STR + 1], s2[ESC_MAX_STR + 1];
	pj_prog prog[2]; /* APPLY: filters to install, in order (len 0: none) */
} pj_cmd;

typedef struct pj_reply {
	int32_t rc;      /* 0 done, -1 failed with err */
	int32_t err;
	int64_t val;     /* APPLY: effective caps; EXEC: helper status; RLIMIT: hard limit;
			  * PRCTL: value read back */
	int32_t rc2, err2; /* RLIMIT: the raise attempt */
	char path[PJ_PATH], path2[PJ_PATH]; /* real paths of what was touched */
} pj_reply;

/* Serves one broker request: returns 0 and an open fd in *fd (the caller closes it), or a
 * positive errno (PJ_E_BROKER for a refusal). */
typedef int (*pj_broker_fn)(void *arg, const pj_breq *req, int *fd);

typedef struct pj_box {
	int inited;
	pid_t pid;        /* the keeper (procjail-child, waits for the jailed process), 0: none */
	pid_t jpid;       /* the jailed process, pid 1 of its namespaces, in ours */
	int jpidfd;       /* a pidfd of it, -1 when none */
	int ctl, brk;     /* command and broker sockets, -1 when none */
	int listen_fd;    /* the embedder's listener inside the child's netns, or -1 */
	int net;          /* the child was set up with the listener */
	int pending;      /* spawned; its set-up words come with the first exchange */
	pj_broker_fn broker;
	void *broker_arg;
} pj_box;

/* The per-process scratch root: created on first use under $ESCAPADE_TMPDIR, /dev/shm,
 * $TMPDIR or /tmp (the first that is writable and allows exec), removed at exit; stale
 * roots of dead processes are swept. Returns an O_PATH fd of it, or -1 (why says what
 * failed). */
int pj_root_fd(char *why, size_t len);
/* Absolute host path of the scratch root ("" before pj_root_fd succeeded). */
const char *pj_root_path(void);
/* Rebuilds the tree (force: always) when an action may have changed it and the kernel
 * saw a change (inotify on every directory of the tree: an op whose write was denied
 * costs no rebuild). Returns 0 or -1. */
int pj_tree_reset(int force);
/* Marks the tree as possibly changed (every op that may write calls it). */
void pj_tree_dirty(void);
/* Returns 1 when the canaries and the entries outside /jail are as built, else 0 with
 * one line in why, until the tree is rebuilt. Cheap when nothing changed: inotify
 * watches everything outside /jail, and only an event runs the full comparison. */
int pj_canaries_ok(char *why, size_t len);

/* Sends one message with at most one fd (fd < 0: none). Returns 0, or -1. */
int pj_send(int sock, const void *buf, size_t len, int fd);
/* Receives one message and at most one fd into *fd (-1 when none). Returns its length,
 * 0 at end of stream, or -1. */
long pj_recv(int sock, void *buf, size_t len, int *fd);

/* Initializes a box (no child). Never fails. */
void pj_box_init(pj_box *b);
/* Spawns the jailed child (net: it brings lo up and listens on PJ_PORT). Kills any child
 * of another box first. Does not wait: the set-up's outcome comes with the first
 * pj_box_call, so a spawn and the first command cost one round trip. The namespaces are
 * made ahead: each spawn takes the spare the last one started (its keeper and jailed
 * process made, unused, waiting for PJ_CMD_START) and starts the next, which the kernel
 * builds while this run goes on; ESCAPADE_PROCJAIL_SPARE=0 turns that off. Returns 0, or
 * -1 (why) when the program cannot be started. */
int pj_box_spawn(pj_box *b, int net, char *why, size_t len);
/* Ends the spare, if any (a runner's end: nothing of it outlives the runner). */
void pj_spare_drop(void);
/* Pid of the spare's keeper, 0 when none (tests). */
pid_t pj_spare_pid(void);
/* Kills the child and reaps it; closes the sockets. Accepts a box without a child. */
void pj_box_kill(pj_box *b);
/* Sends c (with fd when >= 0) and waits for the reply, serving broker requests meanwhile.
 * Returns 0 (a failed set-up of a fresh spawn: r->rc = -1, r->path says where, the child
 * is killed), or -1 when the child died or timed out (the child is then killed). */
int pj_box_call(pj_box *b, const pj_cmd *c, int fd, pj_reply *r);
/* Accepts and closes pending connections on the listener; returns how many. */
int pj_box_drain(pj_box *b);
/* Pid of the jailed process (for tests: it must be gone after the runner is done). */
pid_t pj_box_pid(const pj_box *b);

/* ---- the target (procjail.c) ---- */

/* Pid of the jailed child of a runner's state, 0 when none (tests). */
pid_t procjail_child_pid(const void *state);

#endif

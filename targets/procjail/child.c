/* procjail-child: the program of the jailed side, built plain (no sanitizer, no coverage)
 * and exec'd by the harness, so no copy of the harness's address space ever reaches a
 * jail. Its process pivots into the scratch root inside fresh namespaces, then serves the
 * harness's commands: apply a layer (rlimit, no_new_privs, filters, Landlock, drop
 * capabilities), run a probe, report raw outcomes (return value, errno, the real path the
 * kernel touched). It decides nothing. Probes are harmless when allowed: bad fds, NULL
 * pointers, nonexistent pids.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procjail.h"

#define CTL 3
#define BRK 4
#define X32_BIT 0x40000000L

static const int mode_flags[PJ_NMODES] = {
	[PJ_MODE_READ] = O_RDONLY, [PJ_MODE_WRITE] = O_WRONLY,
	[PJ_MODE_CREATE] = O_WRONLY | O_CREAT, [PJ_MODE_TRUNC] = O_WRONLY | O_TRUNC,
};

/* Harmless arguments per syscall: each fails with an ordinary errno when allowed. */
static const long probe_args[PJ_NSYS][5] = {
	[PJ_SYS_OPENAT] = { AT_FDCWD, 0, 0 },          /* NULL path: EFAULT */
	[PJ_SYS_CONNECT] = { -1, 0, 0 },               /* EBADF */
	[PJ_SYS_EXECVE] = { 0, 0, 0 },                 /* NULL path: EFAULT */
	[PJ_SYS_KILL] = { 0x3fffffff, 0 },             /* no such pid: ESRCH */
	[PJ_SYS_PTRACE] = { 3 /* PEEKUSER */, 0x3fffffff, 0, 0 }, /* ESRCH */
	[PJ_SYS_UNSHARE] = { 0x80000000L },            /* CLONE_IO: EINVAL */
	[PJ_SYS_MOUNT] = { 0, 0, 0, 0, 0 },            /* NULL target: EFAULT */
	[PJ_SYS_SETNS] = { -1, 0 },                    /* EBADF */
	[PJ_SYS_PRCTL] = { 0x5000000 },                /* unknown option: EINVAL */
	[PJ_SYS_SECCOMP] = { 0xff, 0, 0 },             /* unknown operation: EINVAL */
};

static const int prctl_set[] = { PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_KEEPCAPS,
				 PR_SET_NO_NEW_PRIVS };
static const int prctl_get[] = { PR_GET_CHILD_SUBREAPER, PR_GET_DUMPABLE, PR_GET_KEEPCAPS,
				 PR_GET_NO_NEW_PRIVS };

static void fail(pj_reply *r, const char *stage)
{
	r->rc = -1;
	r->err = errno;
	if (stage)
		snprintf(r->path, sizeof(r->path), "%s", stage);
}

static long i386_call(long nr, const long *a)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

static int64_t caps_effective(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -1;
	return (int64_t)d[0].effective | ((int64_t)d[1].effective << 32);
}

/* What fd refers to, as the kernel names it. An object with no path ("net:[4026532]",
 * "pipe:[77]") loses its inode number, so reports stay the same from run to run. */
static void real_of_fd(int fd, char *out)
{
	char p[40];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, out, PJ_PATH - 1);
	out[n > 0 ? n : 0] = 0;
	char *b = out[0] != '/' ? strstr(out, ":[") : NULL;
	if (b && b[2] >= '0' && b[2] <= '9')
		snprintf(b, PJ_PATH - (size_t)(b - out), ":[]");
}

/* Real path of where path's last component lives: realpath of its directory (fstatat
 * and readlink only, so a policy that denies openat cannot blind it) + the component. */
static void real_entry(const char *path, char *out)
{
	char dir[ESC_MAX_STR + 2], rp[PATH_MAX];
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	const char *base = path;
	size_t dlen = 0;
	for (size_t k = n; k > 0; k--) {
		if (path[k - 1] == '/') {
			base = path + k;
			dlen = k - 1;
			break;
		}
	}
	if (base == path) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		if (dlen == 0)
			dlen = 1; /* "/x": the root */
		snprintf(dir, sizeof(dir), "%.*s", (int)dlen, path);
	}
	if (!realpath(dir, rp)) {
		out[0] = 0;
		return;
	}
	snprintf(out, PJ_PATH, "%.90s%s%.*s", rp, strcmp(rp, "/") ? "/" : "",
		 (int)(path + n - base), base);
}

static void use_fd(int fd, unsigned mode)
{
	char c;
	if (mode == PJ_MODE_READ) {
		if (read(fd, &c, 1) < 0) {
			/* a directory or nothing to read: the open is what counts */
		}
	} else if (write(fd, "x", 1) < 0) {
		/* same */
	}
}

static void do_apply(pj_cmd *c, int fd, pj_reply *r)
{
	if (c->v) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl))
			return fail(r, "getrlimit");
		rlim_t n = (rlim_t)c->v < rl.rlim_max ? (rlim_t)c->v : rl.rlim_max;
		rl.rlim_cur = rl.rlim_max = n;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return fail(r, "setrlimit");
	}
	if ((c->flags & PJ_APPLY_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail(r, "no_new_privs");
	for (unsigned i = 0; i < 2; i++) {
		if (!c->prog[i].len)
			continue;
		struct sock_fprog p = { .len = c->prog[i].len, .filter = c->prog[i].insn };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p))
			return fail(r, "seccomp");
	}
	if ((c->flags & PJ_APPLY_LANDLOCK) &&
	    (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0)))
		return fail(r, "landlock");
	if (c->flags & PJ_APPLY_DROPCAPS) {
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];
		memset(d, 0, sizeof(d));
		if (syscall(SYS_capset, &h, d))
			return fail(r, "capset");
	}
	r->val = caps_effective();
}

/* posix_spawn (clone with CLONE_VM | CLONE_VFORK, then execve): no copy of this large,
 * sanitized address space; an execve error comes back as its return value. */
static void do_exec(const pj_cmd *c, pj_reply *r)
{
	static char arg0[] = "helper";
	char *argv[] = { arg0, NULL }, *envp[] = { NULL };
	char rp[PATH_MAX];
	pid_t g;
	int st = 0;
	if (realpath(c->s1, rp))
		snprintf(r->path, sizeof(r->path), "%.150s", rp);
	int e = posix_spawn(&g, c->s1, NULL, NULL, argv, envp);
	if (e) {
		r->rc = -1;
		r->err = e;
		return;
	}
	while (waitpid(g, &st, 0) < 0 && errno == EINTR)
		;
	r->val = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void do_broker(const pj_cmd *c, pj_reply *r)
{
	pj_breq q = { .mode = c->a };
	pj_brep rep;
	int fd;
	snprintf(q.path, sizeof(q.path), "%s", c->s1);
	if (pj_send(BRK, &q, sizeof(q), -1))
		return fail(r, NULL);
	if (pj_recv(BRK, &rep, sizeof(rep), &fd) != (long)sizeof(rep)) {
		if (fd >= 0)
			close(fd);
		errno = EPIPE;
		return fail(r, NULL);
	}
	if (rep.err || fd < 0) {
		if (fd >= 0)
			close(fd);
		r->rc = -1;
		r->err = rep.err ? rep.err : EBADF;
		return;
	}
	use_fd(fd, c->a);
	close(fd);
}

static void do_syscall(const pj_cmd *c, pj_reply *r)
{
	const long *a = probe_args[c->a];
	long rv;
	errno = 0;
	if (c->b == PJ_ABI_I386) {
		rv = i386_call(pj_sys_nr_i386[c->a], a);
		if (rv < 0 && rv > -4096) {
			errno = (int)-rv;
			rv = -1;
		}
	} else {
		long nr = c->b == PJ_ABI_X32 ? (X32_BIT | pj_sys_nr_x32[c->a]) : pj_sys_nr[c->a];
		rv = syscall(nr, a[0], a[1], a[2], a[3], a[4]);
	}
	if (rv < 0)
		return fail(r, NULL);
	r->val = rv;
}

static void do_prctl(const pj_cmd *c, pj_reply *r)
{
	if (syscall(SYS_prctl, prctl_set[c->a], (unsigned long)c->v, 0UL, 0UL, 0UL))
		fail(r, NULL);
	int v = -1;
	if (prctl_set[c->a] == PR_SET_CHILD_SUBREAPER)
		r->val = syscall(SYS_prctl, prctl_get[c->a], &v, 0UL, 0UL, 0UL) ? -1 : v;
	else
		r->val = syscall(SYS_prctl, prctl_get[c->a], 0UL, 0UL, 0UL, 0UL);
}

static void do_connect(const pj_cmd *c, pj_reply *r)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(r, NULL);
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)(c->a ? PJ_PORT + 1 : PJ_PORT)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		fail(r, NULL);
	close(s);
}

static void do_rlimit(pj_reply *r)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return fail(r, NULL);
	r->val = rl.rlim_max == RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_max;
	r->rc2 = -1;
	r->err2 = EINVAL;
	if (rl.rlim_max != RLIM_INFINITY) {
		struct rlimit up = { .rlim_cur = rl.rlim_cur, .rlim_max = rl.rlim_max + 1 };
		r->rc2 = setrlimit(RLIMIT_NOFILE, &up);
		r->err2 = r->rc2 ? errno : 0;
	}
}

static void dispatch(pj_cmd *c, int fd, pj_reply *r)
{
	c->s1[sizeof(c->s1) - 1] = c->s2[sizeof(c->s2) - 1] = 0;
	switch (c->kind) {
	case PJ_CMD_APPLY:
		do_apply(c, fd, r);
		break;
	case PJ_CMD_OPEN: {
		if (c->a >= PJ_NMODES)
			break;
		int f = open(c->s1, mode_flags[c->a] | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
		if (f < 0)
			return fail(r, NULL);
		real_of_fd(f, r->path);
		use_fd(f, c->a);
		close(f);
		break;
	}
	case PJ_CMD_MKDIR:
		if (mkdir(c->s1, 0755))
			return fail(r, NULL);
		real_entry(c->s1, r->path);
		break;
	case PJ_CMD_SYMLINK:
		if (symlink(c->s2, c->s1))
			return fail(r, NULL);
		real_entry(c->s1, r->path);
		break;
	case PJ_CMD_RENAME: {
		char src[PJ_PATH], dst[PJ_PATH];
		real_entry(c->s1, src);
		real_entry(c->s2, dst);
		if (rename(c->s1, c->s2))
			return fail(r, NULL);
		memcpy(r->path, src, sizeof(src));
		memcpy(r->path2, dst, sizeof(dst));
		break;
	}
	case PJ_CMD_BROKER:
		do_broker(c, r);
		break;
	case PJ_CMD_EXEC:
		do_exec(c, r);
		break;
	case PJ_CMD_SYSCALL:
		if (c->a < PJ_NSYS && c->b < PJ_NABI)
			do_syscall(c, r);
		break;
	case PJ_CMD_PRCTL:
		if (c->a < sizeof(prctl_set) / sizeof(prctl_set[0]))
			do_prctl(c, r);
		break;
	case PJ_CMD_CONNECT:
		do_connect(c, r);
		break;
	case PJ_CMD_RLIMIT:
		do_rlimit(r);
		break;
	default:
		errno = EINVAL;
		fail(r, NULL);
	}
}

/* Pivots into root with a fresh /proc; with net, brings lo up and listens on PJ_PORT
 * (the listener goes to the harness, which holds it). */
static void setup(const char *root, int net, pj_reply *r, int *lfd)
{
	char proc[PATH_MAX];
	*lfd = -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return fail(r, "making / private");
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL))
		return fail(r, "binding the scratch root");
	snprintf(proc, sizeof(proc), "%s/proc", root);
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return fail(r, "mounting /proc");
	if (chdir(root) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) ||
	    chdir("/"))
		return fail(r, "pivot_root");
	if (!net)
		return;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr))) {
		fail(r, "bringing lo up");
		if (s >= 0)
			close(s);
		return;
	}
	close(s);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PJ_PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 64)) {
		fail(r, "listening on the loopback port");
		if (l >= 0)
			close(l);
		return;
	}
	*lfd = l;
}

/* Serves commands until the harness goes away. */
static void serve(void)
{
	pj_cmd cmd;
	pj_reply r;
	int fd;
	for (;;) {
		long n = pj_recv(CTL, &cmd, sizeof(cmd), &fd);
		if (n <= 0)
			_exit(0);
		memset(&r, 0, sizeof(r));
		if (n == (long)sizeof(cmd))
			dispatch(&cmd, fd, &r);
		else
			r.rc = -1, r.err = EPROTO;
		if (fd >= 0)
			close(fd);
		if (pj_send(CTL, &r, sizeof(r), -1))
			_exit(0);
	}
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Waits until the harness closes the command socket (or kills us), then exits 0. */
static void __attribute__((noreturn)) wait_end(void)
{
	char b[64];
	int fd;
	while (pj_recv(CTL, b, sizeof(b), &fd) > 0)
		if (fd >= 0)
			close(fd);
	_exit(0);
}

/* Tells the harness why the set-up failed, then waits for the end. */
static void __attribute__((noreturn)) setup_failed(pj_reply *r)
{
	pj_send(CTL, r, sizeof(r[0]), -1);
	wait_end();
}

/* procjail-child ROOT, with its command socket on fd 3 and the broker's on fd 4. This
 * process (the keeper) makes a user namespace mapping its uid to 0, then mount, net and
 * pid namespaces, forks the jailed process (pid 1 there), tells the harness its pid, and
 * waits for it: the harness kills the jailed process, the keeper then exits. The jailed
 * process waits for PJ_CMD_START (v: bring lo up and listen) before its set-up, so the
 * harness can make one ahead of need (a spare) while a run goes on. */
int main(int argc, char **argv)
{
	pj_reply r;
	char map[64];
	int go[2];
	memset(&r, 0, sizeof(r));
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (argc != 2)
		return 2;
	if (syscall(SYS_close_range, BRK + 1, ~0U, 0))
		for (int fd = BRK + 1; fd < 1024; fd++)
			close(fd);
	/* stdio too: a jailed process must not reopen the harness's pipes through
	 * /proc/self/fd (Landlock cannot govern a pipe) */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; null >= 0 && fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER)) {
		fail(&r, "unshare(CLONE_NEWUSER)");
		setup_failed(&r);
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") || write_file("/proc/self/uid_map", map)) {
		fail(&r, "writing uid_map");
		setup_failed(&r);
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map)) {
		fail(&r, "writing gid_map");
		setup_failed(&r);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID)) {
		fail(&r, "unshare(mount, net, pid)");
		setup_failed(&r);
	}
	if (pipe2(go, O_CLOEXEC)) {
		fail(&r, "pipe");
		setup_failed(&r);
	}
	pid_t c = fork();
	if (c < 0) {
		fail(&r, "fork");
		setup_failed(&r);
	}
	if (c == 0) {
		char b;
		int lfd;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(0); /* the keeper is gone */
		close(go[0]);
		/* a spare waits here, namespaces made, until the harness takes it */
		pj_cmd start;
		int sfd;
		long n = pj_recv(CTL, &start, sizeof(start), &sfd);
		if (sfd >= 0)
			close(sfd);
		if (n != (long)sizeof(start) || start.kind != PJ_CMD_START)
			_exit(0); /* the harness dropped it */
		setup(argv[1], start.v != 0, &r, &lfd);
		if (pj_send(CTL, &r, sizeof(r), lfd))
			_exit(0);
		if (lfd >= 0)
			close(lfd);
		if (r.rc)
			wait_end();
		serve();
	}
	/* the keeper: first message, the jailed process's pid; then it may start */
	close(go[0]);
	r.val = c;
	if (pj_send(CTL, &r, sizeof(r), -1) || write(go[1], "g", 1) != 1)
		_exit(0);
	close(go[1]);
	close(CTL);
	close(BRK);
	int st;
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			_exit(0);
	/* 0: it ended (its stream closed, or our SIGKILL); else it crashed */
	if (WIFEXITED(st))
		_exit(WEXITSTATUS(st) ? 3 : 0);
	_exit(WTERMSIG(st) == SIGKILL ? 0 : 4);
}

/* procjail sandbox, harness side: the per-process scratch root and its tree, the
 * canaries, and the jailed side's life (posix_spawn of the child program, which makes
 * the namespaces; the command exchange bounded by PJ_TIMEOUT_MS; kill and reap). Nothing
 * outlives the process: the jailed side dies with it (PR_SET_PDEATHSIG, and pid 1 takes
 * its namespace along), the root is removed at exit, and roots of dead processes are
 * swept.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procjail.h"

#define ROOT_PREFIX "escapade-procjail."

static char root_path[PATH_MAX];
static int root_fd = -1;
static int tree_dirty = 1;
static int watch_fd = -1; /* inotify on everything outside /jail: a change wakes the full check */
static int jail_watch_fd = -1; /* inotify on the jail tree's directories: a change, a rebuild */
static int outside_seen; /* a check read events of watch_fd since the last rebuild */
static char tainted[160];  /* why the last full check failed; "" until the tree is rebuilt */
static pj_box *live; /* the box whose child is running: one jailed child per process */
static pj_box spare; /* a child started ahead, waiting for PJ_CMD_START; pid 0: none */

static const char canary_text[] = "escapade canary: nothing jailed may touch this\n";
static const char secret_text[] = "escapade host secret\n";

static const struct node {
	const char *path;
	int dir;
	mode_t mode;
	const char *text; /* NULL for the helper */
} tree[] = {
	{ "canary", 0, 0644, canary_text },  { "host", 1, 0755, "" },
	{ "host/secret", 0, 0644, secret_text }, { "jail", 1, 0755, "" },
	{ "jail/pub", 1, 0755, "" },         { "jail/pub/file", 0, 0644, "pub\n" },
	{ "jail/pub/sub", 1, 0755, "" },     { "jail/ro", 1, 0755, "" },
	{ "jail/ro/file", 0, 0644, "ro\n" }, { "jail/bin", 1, 0755, "" },
	{ "jail/bin/helper", 0, 0755, NULL }, { "jail/secret", 1, 0755, "" },
	{ "jail/secret/key", 0, 0644, "key\n" },
};

/* Entries expected outside the jail tree, per directory (NULL-terminated). */
static const char *const root_names[] = { "canary", "host", "jail", "proc", NULL };
static const char *const host_names[] = { "secret", NULL };
static const char *const proc_names[] = { NULL };

/* ---- the scratch root ---- */

static int rm_tree(int dfd, const char *name);

/* Removes everything inside the directory open as fd (which it closes). Returns 0 or -1. */
static int empty_dir(int fd)
{
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rm_tree(dirfd(d), e->d_name);
	closedir(d);
	return 0;
}

/* Removes name under dfd, recursively. Returns 0 or -1. */
static int rm_tree(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		if (empty_dir(openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)))
			return -1;
		return unlinkat(dfd, name, AT_REMOVEDIR);
	}
	return unlinkat(dfd, name, 0);
}

/* Removes the roots of processes that are gone (they aborted on an escape). */
static void sweep(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ROOT_PREFIX, sizeof(ROOT_PREFIX) - 1))
			continue;
		char *end;
		long pid = strtol(e->d_name + sizeof(ROOT_PREFIX) - 1, &end, 10);
		struct stat st;
		if (*end != '.' || pid <= 0 || pid > INT_MAX ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			rm_tree(dirfd(d), e->d_name);
	}
	closedir(d);
}

/* The per-process directory holds root/ (the jailed side's "/") and, outside it, the
 * child program: a real file, so Landlock sees an execve of /proc/self/exe like any other
 * (a memfd has no place in the hierarchy, and Landlock could not deny executing it). */
static char dir_path[PATH_MAX];
static char child_path[PATH_MAX];

static void cleanup(void)
{
	if (live)
		pj_box_kill(live);
	pj_box_kill(&spare);
	if (root_fd >= 0) {
		close(root_fd);
		root_fd = -1;
	}
	char *slash = strrchr(dir_path, '/');
	if (slash) {
		*slash = 0;
		int d = open(dir_path[0] ? dir_path : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		if (d >= 0) {
			rm_tree(d, slash + 1);
			close(d);
		}
	}
	dir_path[0] = root_path[0] = child_path[0] = 0;
}

/* Writes the embedded child program (blob.c) to child_path. Returns 0 or -1. */
static int write_child(void)
{
	extern const unsigned char pj_child_blob[], pj_child_blob_end[];
	size_t n = (size_t)(pj_child_blob_end - pj_child_blob), done = 0;
	int fd = open(child_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0500);
	if (fd < 0)
		return -1;
	while (done < n) {
		ssize_t w = write(fd, pj_child_blob + done, n - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(fd);
	return done == n ? 0 : -1;
}

/* An escape in a fuzz build aborts (esc_abort_verdict): before the engine's handler
 * runs, kill and reap the jailed side, so no zombie is left to init. The scratch root is
 * left to the next process's sweep (removing it is not async-signal-safe). */
static struct sigaction prev_abort;
static void end_unstarted(pid_t pid, int *ctl, int *brk, int bound_ms);

static void on_abort(int sig, siginfo_t *si, void *uc)
{
	if (spare.pid > 0) {
		end_unstarted(spare.pid, &spare.ctl, &spare.brk, 100);
		spare.pid = 0;
	}
	if (live && live->pid > 0 && live->jpidfd < 0) {
		end_unstarted(live->pid, &live->ctl, &live->brk, 100);
		live->pid = 0;
	} else if (live && live->pid > 0) {
		syscall(SYS_pidfd_send_signal, live->jpidfd, SIGKILL, NULL, 0);
		while (waitpid(live->pid, NULL, 0) < 0 && errno == EINTR)
			;
		live->pid = 0;
	}
	sigaction(SIGABRT, &prev_abort, NULL);
	if ((prev_abort.sa_flags & SA_SIGINFO) && prev_abort.sa_sigaction)
		prev_abort.sa_sigaction(sig, si, uc);
	else if (prev_abort.sa_handler != SIG_DFL && prev_abort.sa_handler != SIG_IGN)
		prev_abort.sa_handler(sig);
	else
		raise(sig);
}

static void catch_abort(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_abort;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, &prev_abort);
}

int pj_root_fd(char *why, size_t len)
{
	if (root_fd >= 0)
		return root_fd;
	/* tmpfs first: the tree is rebuilt after every run that wrote to it */
	const char *cands[] = { getenv("ESCAPADE_TMPDIR"), "/dev/shm", getenv("TMPDIR"), "/tmp" };
	for (unsigned i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		struct statvfs vfs;
		const char *dir = cands[i];
		if (!dir || !*dir || statvfs(dir, &vfs) || (vfs.f_flag & ST_NOEXEC) ||
		    access(dir, W_OK | X_OK))
			continue;
		sweep(dir);
		int n = snprintf(dir_path, sizeof(dir_path), "%s/" ROOT_PREFIX "%d.XXXXXX", dir,
				 (int)getpid());
		if (n < 0 || (size_t)n >= sizeof(dir_path) - 64 || !mkdtemp(dir_path)) {
			dir_path[0] = 0;
			continue;
		}
		snprintf(root_path, sizeof(root_path), "%.4000s/root", dir_path);
		snprintf(child_path, sizeof(child_path), "%.4000s/procjail-child", dir_path);
		if (mkdir(root_path, 0755) || write_child() ||
		    (root_fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		    mkdirat(root_fd, "proc", 0555)) {
			cleanup();
			continue;
		}
		tree_dirty = 1;
		atexit(cleanup);
		catch_abort();
		return root_fd;
	}
	snprintf(why, len, "no writable temporary directory that allows exec for the scratch root");
	return -1;
}

const char *pj_root_path(void)
{
	return root_path;
}

void pj_tree_dirty(void)
{
	tree_dirty = 1;
}

static int write_at(int dfd, const char *path, mode_t mode, const void *buf, size_t n)
{
	int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	int rc = (write(fd, buf, n) == (ssize_t)n && fchmod(fd, mode) == 0) ? 0 : -1;
	close(fd);
	return rc;
}

/* Arms the watches on the entries outside the jail tree (the old ones went with the old
 * inodes) and drops the events of the rebuild. One inotify instance for the process:
 * closing one waits for an SRCU grace period. On failure every check is a full one. */
static void watch_tree(void)
{
	static const char *const dirs[] = { "", "/host", "/proc" };
	static const char *const files[] = { "/canary", "/host/secret" };
	const uint32_t dmask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
			       IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY;
	const uint32_t fmask = IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
	char p[PATH_MAX + 16];
	union {
		struct inotify_event e;
		char buf[4096];
	} u;
	if (watch_fd < 0)
		watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (unsigned k = 0; watch_fd >= 0 && k < 5; k++) {
		int dir = k < 3;
		snprintf(p, sizeof(p), "%.4000s%s", root_path, dir ? dirs[k] : files[k - 3]);
		if (inotify_add_watch(watch_fd, p, (dir ? dmask : fmask) | IN_DONT_FOLLOW) < 0) {
			close(watch_fd);
			watch_fd = -1;
		}
	}
	while (watch_fd >= 0 && read(watch_fd, &u, sizeof(u)) > 0)
		;
	outside_seen = 0;
	/* the jail tree's directories on a second instance: an event there (an entry made,
	 * removed, renamed, written or chmod'ed in any of them, or under a directory made
	 * in one) means the next reset rebuilds */
	static const char *const jdirs[] = { "/jail", "/jail/pub", "/jail/pub/sub", "/jail/ro",
					     "/jail/bin", "/jail/secret" };
	if (jail_watch_fd < 0)
		jail_watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (unsigned k = 0; jail_watch_fd >= 0 && k < sizeof(jdirs) / sizeof(jdirs[0]); k++) {
		snprintf(p, sizeof(p), "%.4000s%s", root_path, jdirs[k]);
		if (inotify_add_watch(jail_watch_fd, p, dmask | IN_DONT_FOLLOW) < 0) {
			close(jail_watch_fd);
			jail_watch_fd = -1;
		}
	}
	while (jail_watch_fd >= 0 && read(jail_watch_fd, &u, sizeof(u)) > 0)
		;
}

/* 1 when the kernel saw no change anywhere in the tree since the last rebuild. */
static int tree_unchanged(void)
{
	struct pollfd p[2] = { { .fd = watch_fd, .events = POLLIN },
			       { .fd = jail_watch_fd, .events = POLLIN } };
	if (watch_fd < 0 || jail_watch_fd < 0 || tainted[0] || outside_seen)
		return 0;
	return poll(p, 2, 0) == 0;
}

int pj_tree_reset(int force)
{
	uint8_t elf[512];
	if (root_fd < 0)
		return -1;
	if (!force && (!tree_dirty || tree_unchanged())) {
		/* an op that may write asked for a rebuild, but nothing was written */
		tree_dirty = 0;
		return 0;
	}
	if (empty_dir(openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)))
		return -1;
	if (mkdirat(root_fd, "proc", 0555))
		return -1;
	size_t helper = pj_helper_elf(elf, sizeof(elf));
	for (unsigned i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		const struct node *n = &tree[i];
		int rc;
		if (n->dir)
			rc = mkdirat(root_fd, n->path, n->mode) || fchmodat(root_fd, n->path, n->mode, 0);
		else if (n->text)
			rc = write_at(root_fd, n->path, n->mode, n->text, strlen(n->text));
		else
			rc = write_at(root_fd, n->path, n->mode, elf, helper);
		if (rc)
			return -1;
	}
	tree_dirty = 0;
	tainted[0] = 0;
	watch_tree();
	return 0;
}

static int check_file(const char *path, const char *text, char *why, size_t len)
{
	struct stat st;
	char buf[128];
	size_t n = strlen(text);
	if (fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW)) {
		snprintf(why, len, "/%s is gone", path);
		return 0;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || (st.st_mode & 07777) != 0644 ||
	    (size_t)st.st_size != n) {
		snprintf(why, len, "/%s changed (mode %o, %ld links, %lld bytes)", path,
			 (unsigned)st.st_mode, (long)st.st_nlink, (long long)st.st_size);
		return 0;
	}
	int fd = openat(root_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t got = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)n || memcmp(buf, text, n)) {
		snprintf(why, len, "/%s: its content was changed", path);
		return 0;
	}
	return 1;
}

/* 1 when dir (relative to the root) holds exactly names. */
static int check_dir(const char *dir, const char *const *names, char *why, size_t len)
{
	int fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	unsigned want = 0, seen = 0;
	int ok = 1;
	if (!d) {
		if (fd >= 0)
			close(fd);
		snprintf(why, len, "/%s is gone", strcmp(dir, ".") ? dir : "");
		return 0;
	}
	while (names[want])
		want++;
	struct dirent *e;
	while (ok && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		unsigned k = 0;
		while (names[k] && strcmp(names[k], e->d_name))
			k++;
		if (!names[k]) {
			snprintf(why, len, "/%s%s%.64s appeared outside the jail tree",
				 strcmp(dir, ".") ? dir : "", strcmp(dir, ".") ? "/" : "", e->d_name);
			ok = 0;
		}
		seen++;
	}
	closedir(d);
	if (ok && seen != want) {
		snprintf(why, len, "an entry of /%s is gone", strcmp(dir, ".") ? dir : "");
		ok = 0;
	}
	return ok;
}

int pj_canaries_ok(char *why, size_t len)
{
	union {
		struct inotify_event e;
		char buf[4096];
	} u;
	if (root_fd < 0)
		return 1;
	if (tainted[0]) {
		snprintf(why, len, "%s", tainted);
		return 0;
	}
	if (watch_fd >= 0 && read(watch_fd, &u, sizeof(u)) < 0 && errno == EAGAIN)
		return 1; /* nothing outside /jail changed since the last look */
	outside_seen = 1;
	while (watch_fd >= 0 && read(watch_fd, &u, sizeof(u)) > 0)
		;
	if (check_file("canary", canary_text, why, len) &&
	    check_file("host/secret", secret_text, why, len) && check_dir(".", root_names, why, len) &&
	    check_dir("host", host_names, why, len) && check_dir("proc", proc_names, why, len))
		return 1;
	snprintf(tainted, sizeof(tainted), "%s", why);
	tree_dirty = 1;
	return 0;
}

/* ---- the child ---- */

void pj_box_init(pj_box *b)
{
	memset(b, 0, sizeof(*b));
	b->inited = 1;
	b->ctl = b->brk = b->listen_fd = b->jpidfd = -1;
}

pid_t pj_box_pid(const pj_box *b)
{
	return b->jpid;
}

/* The keeper exits 0 when the jailed process ended by our SIGKILL or at the end of its
 * stream; anything else means the jailed program crashed or the keeper could not run:
 * a bug of the target, loud and never an escape. */
static void died_alone(int st)
{
	char what[64];
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFSIGNALED(st))
		snprintf(what, sizeof(what), "the keeper got signal %d", WTERMSIG(st));
	else
		snprintf(what, sizeof(what), "exit %d", WEXITSTATUS(st));
	fprintf(stderr, "procjail: the jailed side died by itself (%s): a bug of the target, "
		"not an escape\n", what);
	abort();
}

/* Ends a child whose jailed process this side does not know yet (a spare, a spawn never
 * called, a failed set-up): closing its command socket ends the jailed process and the
 * keeper at once (end of stream), so the keeper reaps it and no orphan is left to init;
 * a keeper still there after bound_ms is killed. Closes *ctl and *brk. Async-signal-safe. */
static void end_unstarted(pid_t pid, int *ctl, int *brk, int bound_ms)
{
	if (*ctl >= 0)
		close(*ctl);
	if (*brk >= 0)
		close(*brk);
	*ctl = *brk = -1;
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int n = -1;
	while (pfd >= 0 && (n = poll(&p, 1, bound_ms)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		kill(pid, SIGKILL);
	if (pfd >= 0)
		close(pfd);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void pj_box_kill(pj_box *b)
{
	if (!b->inited)
		return;
	if (b->pid > 0 && b->jpidfd < 0) {
		end_unstarted(b->pid, &b->ctl, &b->brk, PJ_TIMEOUT_MS);
	} else if (b->pid > 0) {
		int st;
		/* pid 1 of its namespaces: they go with it; through a pidfd, so a pid the keeper
		 * reaped and the system reused is never hit */
		syscall(SYS_pidfd_send_signal, b->jpidfd, SIGKILL, NULL, 0);
		while (waitpid(b->pid, &st, 0) < 0 && errno == EINTR)
			;
		died_alone(st);
	}
	if (b->jpidfd >= 0)
		close(b->jpidfd);
	b->jpidfd = -1;
	b->pid = b->jpid = 0;
	b->pending = 0;
	if (b->ctl >= 0)
		close(b->ctl);
	if (b->brk >= 0)
		close(b->brk);
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	b->ctl = b->brk = b->listen_fd = -1;
	if (live == b)
		live = NULL;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static void serve_broker(pj_box *b)
{
	pj_breq req;
	int in = -1, fd = -1;
	long n = pj_recv(b->brk, &req, sizeof(req), &in);
	if (in >= 0)
		close(in);
	if (n != (long)sizeof(req))
		return;
	req.path[sizeof(req.path) - 1] = 0;
	pj_brep rep = { .err = b->broker ? b->broker(b->broker_arg, &req, &fd) : PJ_E_BROKER };
	if (rep.err)
		fd = -1;
	pj_send(b->brk, &rep, sizeof(rep), fd);
	if (fd >= 0)
		close(fd);
}

/* Waits for one reply (serving broker requests meanwhile); *fd_in gets an fd that came
 * with it, or -1. Returns 0, or -1 when the other side died or the bound passed (the
 * jailed side is then killed). */
static int wait_reply(pj_box *b, pj_reply *r, int *fd_in)
{
	struct timespec deadline;
	*fd_in = -1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += PJ_TIMEOUT_MS / 1000;
	deadline.tv_nsec += (PJ_TIMEOUT_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		long left = ms_left(&deadline);
		if (left <= 0)
			break;
		struct pollfd p[2] = { { .fd = b->ctl, .events = POLLIN }, { .fd = b->brk, .events = POLLIN } };
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p[1].revents & POLLIN)
			serve_broker(b);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (pj_recv(b->ctl, r, sizeof(*r), fd_in) == (long)sizeof(*r))
				return 0;
			break;
		}
	}
	if (*fd_in >= 0)
		close(*fd_in);
	*fd_in = -1;
	pj_box_kill(b);
	r->rc = -1;
	r->err = ETIMEDOUT;
	return -1;
}


/* Moves fd above the numbers a spawn sets up; returns the new fd (fd is closed), or fd
 * itself when that fails. */
static int above(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (n < 0)
		return fd;
	close(fd);
	return n;
}

/* Collects the two words of a fresh spawn: the keeper's (the jailed process's pid, or
 * why the namespaces failed) and the jailed process's (pivoted, lo up, the listener).
 * Returns 0, or -1 with the failure in *r (the jailed side is then killed). */
static int finish_spawn(pj_box *b, pj_reply *r)
{
	int lfd;
	b->pending = 0;
	if (wait_reply(b, r, &lfd) || r->rc || r->val <= 0) {
		if (lfd >= 0)
			close(lfd);
		if (!r->rc || r->err == ETIMEDOUT) {
			r->err = ECHILD;
			snprintf(r->path, sizeof(r->path), "starting the child program");
		}
		pj_box_kill(b);
		r->rc = -1;
		return -1;
	}
	b->jpid = (pid_t)r->val;
	b->jpidfd = (int)syscall(SYS_pidfd_open, b->jpid, 0);
	if (b->jpidfd < 0) {
		r->rc = -1;
		r->err = errno;
		snprintf(r->path, sizeof(r->path), "pidfd_open");
		pj_box_kill(b);
		return -1;
	}
	b->jpidfd = above(b->jpidfd);
	if (wait_reply(b, r, &lfd) || r->rc) {
		if (lfd >= 0)
			close(lfd);
		r->rc = -1;
		pj_box_kill(b);
		return -1;
	}
	if (lfd >= 0)
		fcntl(lfd, F_SETFL, O_NONBLOCK);
	b->listen_fd = lfd;
	return 0;
}

int pj_box_call(pj_box *b, const pj_cmd *c, int fd, pj_reply *r)
{
	int in;
	memset(r, 0, sizeof(*r));
	if (b->pid <= 0 || pj_send(b->ctl, c, sizeof(*c), fd)) {
		pj_box_kill(b);
		r->rc = -1;
		r->err = ESRCH;
		return -1;
	}
	if (b->pending && finish_spawn(b, r))
		return 0; /* the set-up failed: r says where */
	int rc = wait_reply(b, r, &in);
	if (in >= 0)
		close(in);
	return rc;
}

/* Starts the child program for b: its keeper makes the namespaces and forks the jailed
 * process, which then waits for PJ_CMD_START. Returns 0, or -1 (why). */
static int start_child(pj_box *b, char *why, size_t len)
{
	int cs[2], bs[2];
	static char arg0[] = "procjail-child";
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cs)) {
		snprintf(why, len, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bs)) {
		snprintf(why, len, "socketpair: %s", strerror(errno));
		close(cs[0]);
		close(cs[1]);
		return -1;
	}
	for (int k = 0; k < 2; k++) {
		cs[k] = above(cs[k]);
		bs[k] = above(bs[k]);
	}
	/* the child's ends become its fds 3 and 4; nothing else crosses the exec */
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, cs[1], 3);
	posix_spawn_file_actions_adddup2(&fa, bs[1], 4);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	char *argv[] = { arg0, root_path, NULL }, *envp[] = { NULL };
	pid_t pid;
	int e = posix_spawn(&pid, child_path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(cs[1]);
	close(bs[1]);
	if (e) {
		close(cs[0]);
		close(bs[0]);
		snprintf(why, len, "spawning the child program: %s", strerror(e));
		return -1;
	}
	b->pid = pid;
	b->ctl = cs[0];
	b->brk = bs[0];
	b->pending = 1; /* the first exchange collects the set-up's two words */
	return 0;
}

int pj_box_spawn(pj_box *b, int net, char *why, size_t len)
{
	if (live && live != b)
		pj_box_kill(live);
	pj_box_kill(b);
	if (root_fd < 0) {
		snprintf(why, len, "no scratch root");
		return -1;
	}
	if (spare.pid > 0) {
		/* the spare's namespaces were made while the last run went on; nothing of it
		 * was used, so it is the same fresh child a spawn would give */
		b->pid = spare.pid;
		b->ctl = spare.ctl;
		b->brk = spare.brk;
		b->pending = 1;
		spare.pid = 0;
		spare.ctl = spare.brk = -1;
	} else if (start_child(b, why, len)) {
		return -1;
	}
	b->net = net;
	live = b;
	pj_cmd start;
	memset(&start, 0, sizeof(start));
	start.kind = PJ_CMD_START;
	start.v = (uint64_t)net;
	/* a dead spare fails here unseen: the first pj_box_call reports it as a set-up failure */
	(void)pj_send(b->ctl, &start, sizeof(start), -1);
	if (!spare.inited)
		pj_box_init(&spare);
	static int no_spare = -1;
	if (no_spare < 0) {
		const char *e = getenv("ESCAPADE_PROCJAIL_SPARE");
		no_spare = e && !strcmp(e, "0");
	}
	char ignored[160];
	if (!no_spare)
		start_child(&spare, ignored, sizeof(ignored)); /* none: the next spawn starts one */
	return 0;
}

void pj_spare_drop(void)
{
	pj_box_kill(&spare);
}

pid_t pj_spare_pid(void)
{
	return spare.pid;
}

int pj_box_drain(pj_box *b)
{
	int n = 0;
	if (b->listen_fd < 0)
		return 0;
	for (;;) {
		int c = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			return n;
		close(c);
		n++;
	}
}

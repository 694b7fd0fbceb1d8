/* File helpers of the escapade command: reading with a limit, atomic replace, create-only
 * writes, removal of half-written output on errors and signals, and the fault points the
 * command-line tests use to interrupt a write. Nothing here leaves a partial file behind:
 * every write goes to a temporary name first, and what is not final is registered so an
 * error path or a signal handler can remove it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

char *cli_slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	char *buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	size_t n = 0;
	for (;;) {
		if (n > max) {
			free(buf);
			close(fd);
			errno = EFBIG;
			return NULL;
		}
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* ---- fault injection ---- */

int cli_fault_point(void)
{
	static unsigned count;
	const char *f = getenv("ESCAPADE_FAULT");
	count++;
	if (!f || !*f)
		return 0;
	unsigned n = 0;
	if (sscanf(f, "write:%u", &n) == 1 && n == count) {
		errno = EIO;
		return -1;
	}
	if (sscanf(f, "stall:%u", &n) == 1 && n == count) {
		for (unsigned s = 30; s > 0;)
			s = sleep(s); /* a test sends a signal meanwhile */
	}
	return 0;
}

/* ---- cleanup registry ---- */

/* Registered paths, newest last. Grown with the signals that run the cleanup blocked, so
 * the handler never sees the array half-moved; the handler only unlinks and rmdirs. */
static struct {
	char **path;
	unsigned char *is_dir;
	volatile sig_atomic_t n;
	size_t cap;
	pid_t owner;
} clean;

static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

static int clean_add(const char *path, int is_dir)
{
	char *dup = strdup(path);
	if (!dup)
		return -1;
	sigset_t old;
	block_signals(&old);
	int rc = 0;
	if ((size_t)clean.n == clean.cap) {
		size_t cap = clean.cap ? clean.cap * 2 : 64;
		char **p = realloc(clean.path, cap * sizeof(*p));
		unsigned char *d = p ? realloc(clean.is_dir, cap) : NULL;
		if (p)
			clean.path = p;
		if (d) {
			clean.is_dir = d;
			clean.cap = cap;
		} else {
			rc = -1;
		}
	}
	if (!rc) {
		clean.path[clean.n] = dup;
		clean.is_dir[clean.n] = (unsigned char)is_dir;
		clean.owner = getpid();
		clean.n++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		free(dup);
		errno = ENOMEM;
	}
	return rc;
}

int cli_cleanup_dir(const char *path)
{
	return clean_add(path, 1);
}

int cli_cleanup_file(const char *path)
{
	return clean_add(path, 0);
}

/* Async-signal-safe: unlink and rmdir only (the strings are freed outside handlers). */
static void clean_remove_all(void)
{
	if (clean.owner != getpid())
		return;
	for (int k = clean.n; k-- > 0;) {
		if (clean.is_dir[k])
			rmdir(clean.path[k]);
		else
			unlink(clean.path[k]);
	}
}

/* Forgets every entry (after removing them or making them final). */
static void clean_forget(void)
{
	sigset_t old;
	block_signals(&old);
	for (int k = 0; k < clean.n; k++)
		free(clean.path[k]);
	clean.n = 0;
	free(clean.path);
	free(clean.is_dir);
	clean.path = NULL;
	clean.is_dir = NULL;
	clean.cap = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void on_signal(int sig)
{
	clean_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_cleanup_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

void cli_cleanup_commit(void)
{
	clean_forget();
}

void cli_cleanup_abort(void)
{
	clean_remove_all();
	clean_forget();
}

void cli_cleanup_child(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	clean.owner = 0; /* the parent's entries are not ours to remove */
}

/* ---- writers ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t off = 0;
	if (cli_fault_point())
		return -1;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return fsync(fd);
}

/* Creates a temporary file next to path; returns its fd with the name in tmp, or -1. */
static int make_temp(const char *path, char *tmp, size_t tmplen)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	if (snprintf(tmp, tmplen, "%.*s.%s.tmp.XXXXXX", dirlen, path, base) >= (int)tmplen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	if (cli_cleanup_file(tmp)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	return fd;
}

/* Forgets the last registered entry (the temporary file, after it was handled). */
static void clean_pop(void)
{
	sigset_t old;
	block_signals(&old);
	if (clean.n > 0) {
		clean.n--;
		free(clean.path[clean.n]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int finish_temp(int fd, const char *tmp, const char *path, const void *data, size_t len,
		       int create_only)
{
	int rc = write_all(fd, data, len);
	int e = errno;
	if (close(fd) && !rc) {
		rc = -1;
		e = errno;
	}
	if (!rc) {
		chmod(tmp, 0644); /* mkstemp made it 0600 */
		rc = create_only ? link(tmp, path) : rename(tmp, path);
		e = errno;
	}
	if (rc || create_only)
		unlink(tmp);
	clean_pop();
	errno = e;
	return rc ? -1 : 0;
}

int cli_write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd = make_temp(path, tmp, sizeof(tmp));
	if (fd < 0)
		return -1;
	return finish_temp(fd, tmp, path, data, len, 0);
}

int cli_write_new(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	struct stat st;
	if (lstat(path, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	int fd = make_temp(path, tmp, sizeof(tmp));
	if (fd < 0)
		return -1;
	return finish_temp(fd, tmp, path, data, len, 1);
}

int cli_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (cli_cleanup_file(path)) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	int rc = write_all(fd, data, len);
	int e = errno;
	if (close(fd) && !rc) {
		rc = -1;
		e = errno;
	}
	if (rc) {
		unlink(path);
		clean_pop();
	}
	errno = e;
	return rc;
}

int cli_rm_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[PATH_MAX];
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub)) {
			rc = -1;
			continue;
		}
		if (cli_rm_tree(sub))
			rc = -1;
	}
	closedir(d);
	if (rmdir(path))
		rc = -1;
	return rc;
}

const char *cli_display_path(const char *p, char *buf, size_t len)
{
	char cwd[PATH_MAX];
	size_t n;
	if (p[0] == '/' && getcwd(cwd, sizeof(cwd)) && (n = strlen(cwd)) > 1 &&
	    strncmp(p, cwd, n) == 0 && p[n] == '/') {
		snprintf(buf, len, "%s", p + n + 1);
		return buf;
	}
	snprintf(buf, len, "%s", p);
	return buf;
}

/* procjail file broker (the Chromium / sandbox2 pattern): the jailed process asks over a
 * unix socket, the broker, unjailed in the harness, checks the path and mode against the
 * jail's policy and passes an fd back. Its two defences: the path is normalized before it
 * is checked, and the open does not follow symlinks (which the jailed side can plant).
 * Whatever it is told, the open stays under the scratch root (RESOLVE_IN_ROOT): that is
 * the harness's safety net, not a defence of the layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procjail.h"

static const int mode_flags[PJ_NMODES] = {
	[PJ_MODE_READ] = O_RDONLY, [PJ_MODE_WRITE] = O_WRONLY,
	[PJ_MODE_CREATE] = O_WRONLY | O_CREAT, [PJ_MODE_TRUNC] = O_WRONLY | O_TRUNC,
};
static const char *const mode_names[PJ_NMODES] = { "read", "write", "create", "trunc" };

/* The path of fd as a jailed process sees it (the root prefix cut off). */
static void jail_view(int fd, char *out)
{
	char link[40], real[PJ_PATH + 64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, real, sizeof(real) - 1);
	real[k > 0 ? k : 0] = 0;
	const char *root = pj_root_path();
	size_t rl = strlen(root);
	if (rl && strncmp(real, root, rl) == 0 && (real[rl] == '/' || real[rl] == 0))
		snprintf(out, PJ_PATH, "%s", real[rl] ? real + rl : "/");
	else
		snprintf(out, PJ_PATH, "(outside the scratch root)");
}

int pj_broker_open(const pj_defences *d, const pj_rule *eff, unsigned neff,
		   const pj_breq *req, int *fd, char *real, char *note, size_t notelen)
{
	char path[PJ_PATH];
	unsigned mode = req->mode < PJ_NMODES ? req->mode : PJ_MODE_READ;
	unsigned need = mode == PJ_MODE_READ ? PJ_R : PJ_W;
	*fd = -1;
	if (d->broker_normalize) {
		if (pj_normalize(req->path, path, sizeof(path))) {
			snprintf(note, notelen, "broker: \"%s\" does not normalize: refused", req->path);
			return PJ_E_BROKER;
		}
	} else if (req->path[0] == '/') {
		snprintf(path, sizeof(path), "%s", req->path); /* checked as written */
	} else {
		snprintf(note, notelen, "broker: \"%s\" is not absolute: refused", req->path);
		return PJ_E_BROKER;
	}
	if (!pj_rules_allow(eff, neff, path, need)) {
		snprintf(note, notelen, "broker: %s of \"%s\" is not in the jail's policy: refused",
			 need == PJ_R ? "read" : "write", path);
		return PJ_E_BROKER;
	}
	struct open_how how = {
		.flags = (uint64_t)(mode_flags[mode] | O_CLOEXEC | O_NOCTTY | O_NONBLOCK),
		.mode = mode == PJ_MODE_CREATE ? 0644 : 0, /* openat2 wants 0 without O_CREAT */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
			   (d->broker_nofollow ? RESOLVE_NO_SYMLINKS : 0),
	};
	/* With RESOLVE_IN_ROOT the kernel refuses a ".." it cannot prove safe while a rename
	 * or a mount happens anywhere on the machine (EAGAIN, "the caller may retry"): a jail
	 * being set up by another process must not turn this open into a refusal (it did:
	 * broker-dotdot read as contained now and then with another procjail test running). */
	int f;
	for (unsigned tries = 0;; tries++) {
		f = (int)syscall(SYS_openat2, pj_root_fd(NULL, 0), path, &how, sizeof(how));
		if (f >= 0 || errno != EAGAIN || tries == 1000)
			break;
		sched_yield();
	}
	if (f < 0) {
		int e = errno;
		snprintf(note, notelen, "broker: \"%s\" (%s) checks out; the open fails: %s", path,
			 mode_names[mode], strerrorname_np(e) ? strerrorname_np(e) : "E?");
		return e == PJ_E_BROKER ? EIO : e;
	}
	jail_view(f, real);
	if (strcmp(real, path) == 0)
		snprintf(note, notelen, "broker: \"%s\" (%s) checks out; opened, fd passed", path,
			 mode_names[mode]);
	else /* the kernel resolved it elsewhere: dot-dots or a symlink on the way */
		snprintf(note, notelen, "broker: \"%s\" (%s) checks out; the open resolved to %s, "
			 "fd passed", path, mode_names[mode], real);
	*fd = f;
	return 0;
}

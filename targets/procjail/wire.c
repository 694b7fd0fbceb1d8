/* procjail wire: what both sides of the jail share, the harness and the jailed child
 * program: one message with at most one fd over a SOCK_SEQPACKET socket, and the
 * syscall numbers of the universe per entry (x86_64, i386, x32).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "procjail.h"

const int pj_sys_nr[PJ_NSYS] = {
	[PJ_SYS_OPENAT] = 257, [PJ_SYS_CONNECT] = 42, [PJ_SYS_EXECVE] = 59, [PJ_SYS_KILL] = 62,
	[PJ_SYS_PTRACE] = 101, [PJ_SYS_UNSHARE] = 272, [PJ_SYS_MOUNT] = 165, [PJ_SYS_SETNS] = 308,
	[PJ_SYS_PRCTL] = 157, [PJ_SYS_SECCOMP] = 317,
};
const int pj_sys_nr_i386[PJ_NSYS] = {
	[PJ_SYS_OPENAT] = 295, [PJ_SYS_CONNECT] = 362, [PJ_SYS_EXECVE] = 11, [PJ_SYS_KILL] = 37,
	[PJ_SYS_PTRACE] = 26, [PJ_SYS_UNSHARE] = 310, [PJ_SYS_MOUNT] = 21, [PJ_SYS_SETNS] = 346,
	[PJ_SYS_PRCTL] = 172, [PJ_SYS_SECCOMP] = 354,
};
const int pj_sys_nr_x32[PJ_NSYS] = {
	[PJ_SYS_OPENAT] = 257, [PJ_SYS_CONNECT] = 42, [PJ_SYS_EXECVE] = 520, [PJ_SYS_KILL] = 62,
	[PJ_SYS_PTRACE] = 521, [PJ_SYS_UNSHARE] = 272, [PJ_SYS_MOUNT] = 165, [PJ_SYS_SETNS] = 308,
	[PJ_SYS_PRCTL] = 157, [PJ_SYS_SECCOMP] = 317,
};

int pj_send(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

long pj_recv(int sock, void *buf, size_t len, int *fd)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (long)n;
}

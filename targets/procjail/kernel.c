/* procjail kernel layers, built in the harness: syscall filters through libseccomp (and a
 * hand-emitted filter for argument rules), Landlock rulesets, the static helper that
 * reports capabilities after an execve, and the once-per-process probe of what this
 * kernel offers (namespaces, Landlock ABI, seccomp, the i386 and x32 entries).
 */
#include <elf.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procjail.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#define X32_BIT 0x40000000

/* ---- syscall filters ---- */

/* Compiled filters by (denied set, arch check): libseccomp takes ~100 us, a run enters a
 * handful of jails, the set of distinct policies is small. */
#define CACHE_KEYS (1u << (PJ_NSYS + 1))
static pj_prog *filter_cache[CACHE_KEYS];

static int compile_uncached(int arch_check, uint32_t deny, pj_prog *out)
{
	int rc = -1, fd = -1;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -1;
	/* the library sets no_new_privs itself (or forgets to: profile no-nnp) */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     arch_check ? SCMP_ACT_ERRNO(PJ_E_FILTER) : SCMP_ACT_ALLOW))
		goto out;
	for (unsigned s = 0; s < PJ_NSYS; s++) {
		if (!(deny & (1u << s)))
			continue;
		int r;
		if (s == PJ_SYS_SECCOMP) { /* installing a stricter filter stays allowed: nesting */
			struct scmp_arg_cmp op = { .arg = 0, .op = SCMP_CMP_NE,
						   .datum_a = SECCOMP_SET_MODE_FILTER, .datum_b = 0 };
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(PJ_E_FILTER), pj_sys_nr[s], 1, op);
		} else {
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(PJ_E_FILTER), pj_sys_nr[s], 0);
		}
		if (r)
			goto out;
	}
	fd = memfd_create("procjail-filter", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd))
		goto out;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size > (off_t)sizeof(out->insn))
		goto out;
	if (pread(fd, out->insn, (size_t)size, 0) != size)
		goto out;
	out->len = (uint16_t)(size / (off_t)sizeof(struct sock_filter));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (rc)
		out->len = 0;
	return rc;
}

int pj_compile_filter(const pj_defences *d, const pj_policy *p, pj_prog *out)
{
	uint32_t deny = PJ_SYS_ALL & ~p->sys;
	if (!p->net)
		deny |= 1u << PJ_SYS_CONNECT;
	unsigned key = deny | (d->arch_check ? 1u << PJ_NSYS : 0);
	if (!filter_cache[key]) {
		pj_prog *prog = calloc(1, sizeof(*prog));
		if (!prog || compile_uncached(d->arch_check, deny, prog)) {
			free(prog);
			out->len = 0;
			return -1;
		}
		filter_cache[key] = prog;
	}
	*out = *filter_cache[key];
	return 0;
}

#define LD_ABS(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define ARG1_LO (offsetof(struct seccomp_data, args) + sizeof(uint64_t))
#define ARG1_HI (ARG1_LO + sizeof(uint32_t))

void pj_compile_argfilter(const pj_defences *d, const pj_policy *p, pj_prog *out)
{
	unsigned n = 0;
	const uint32_t deny = SECCOMP_RET_ERRNO | PJ_E_FILTER;
	out->len = 0;
	if (!p->has_arg)
		return;
	if (d->arch_check) {
		out->insn[n++] = (struct sock_filter)LD_ABS(offsetof(struct seccomp_data, arch));
		out->insn[n++] = (struct sock_filter)JEQ(AUDIT_ARCH_X86_64, 1, 0);
		out->insn[n++] = (struct sock_filter)RET(deny);
	}
	out->insn[n++] = (struct sock_filter)LD_ABS(offsetof(struct seccomp_data, nr));
	out->insn[n++] = (struct sock_filter)JEQ((uint32_t)pj_sys_nr[PJ_SYS_PRCTL], 1, 0);
	out->insn[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
	if (d->arg_full64) { /* profile seccomp-arg-low32 leaves the upper half unchecked */
		out->insn[n++] = (struct sock_filter)LD_ABS(ARG1_HI);
		out->insn[n++] = (struct sock_filter)JEQ((uint32_t)(p->arg2 >> 32), 1, 0);
		out->insn[n++] = (struct sock_filter)RET(deny);
	}
	out->insn[n++] = (struct sock_filter)LD_ABS(ARG1_LO);
	out->insn[n++] = (struct sock_filter)JEQ((uint32_t)p->arg2, 0, 1);
	out->insn[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
	out->insn[n++] = (struct sock_filter)RET(deny);
	out->len = (uint16_t)n;
}

/* ---- Landlock ---- */

#define LL_R (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_W (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
	      LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	      LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM | \
	      LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REFER)
#define LL_X LANDLOCK_ACCESS_FS_EXECUTE
/* handled and never granted: directories stay put, no device nodes */
#define LL_NEVER (LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
		  LANDLOCK_ACCESS_FS_MAKE_BLOCK)

static uint64_t ll_access(unsigned access)
{
	return ((access & PJ_R) ? LL_R : 0) | ((access & PJ_W) ? LL_W : 0) |
	       ((access & PJ_X) ? LL_X : 0);
}

int pj_landlock_ruleset(int rootfd, const pj_rule *rules, unsigned n)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LL_R | LL_W | LL_X | LL_NEVER };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return -errno;
	for (unsigned k = 0; k < n; k++) {
		if (!rules[k].access)
			continue;
		int dfd = openat(rootfd, pj_dir_paths[rules[k].dir] + 1,
				 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			int e = errno;
			close(rs);
			return -e;
		}
		struct landlock_path_beneath_attr pb = {
			.allowed_access = ll_access(rules[k].access), .parent_fd = dfd,
		};
		long r = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
		int e = errno;
		close(dfd);
		if (r) {
			close(rs);
			return -e;
		}
	}
	return rs;
}

/* ---- the capability helper ----
 *   sub $64,%rsp; movl $0x20080522,(%rsp); movl $0,4(%rsp)    header: v3, this process
 *   mov %rsp,%rdi; lea 8(%rsp),%rsi; mov $125,%eax; syscall    capget
 *   test %eax,%eax; jnz fail
 *   mov 8(%rsp),%edi; or 20(%rsp),%edi                         effective, both words
 *   xor %eax,%eax; test %edi,%edi; setnz %al; mov %eax,%edi
 *   mov $231,%eax; syscall                                     exit_group(caps != 0)
 * fail: mov $2,%edi; mov $231,%eax; syscall                    exit_group(2)  */
static const uint8_t helper_code[] = {
	0x48, 0x83, 0xec, 0x40, 0xc7, 0x04, 0x24, 0x22, 0x05, 0x08, 0x20, 0xc7, 0x44, 0x24,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0xe7, 0x48, 0x8d, 0x74, 0x24, 0x08, 0xb8,
	0x7d, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x85, 0xc0, 0x75, 0x18, 0x8b, 0x7c, 0x24, 0x08,
	0x0b, 0x7c, 0x24, 0x14, 0x31, 0xc0, 0x85, 0xff, 0x0f, 0x95, 0xc0, 0x89, 0xc7, 0xb8,
	0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xbf, 0x02, 0x00, 0x00, 0x00, 0xb8, 0xe7, 0x00,
	0x00, 0x00, 0x0f, 0x05,
};

size_t pj_helper_elf(uint8_t *buf, size_t cap)
{
	const uint64_t vaddr = 0x400000;
	const size_t hdr = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	const size_t size = hdr + sizeof(helper_code);
	if (cap < size)
		return 0;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
			     ELFOSABI_SYSV },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = vaddr + hdr, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = vaddr,
		.p_paddr = vaddr, .p_filesz = size, .p_memsz = size, .p_align = 0x1000,
	};
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + hdr, helper_code, sizeof(helper_code));
	return size;
}

/* ---- what this kernel offers ---- */

static long i386_getpid(void)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	return r;
}

/* Runs fn in a throwaway child; 1 when it exits 0. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(fn());
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int try_i386(void)
{
	/* without the i386 entry int 0x80 faults: die of it quietly, past the sanitizer's
	 * SIGSEGV handler (a raw rt_sigaction, which no interceptor sees) */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl;
	memset(&dfl, 0, sizeof(dfl)); /* SIG_DFL */
	syscall(SYS_rt_sigaction, SIGSEGV, &dfl, NULL, sizeof(dfl.mask));
	return i386_getpid() > 0 ? 0 : 1;
}

static int try_x32(void)
{
	return syscall(X32_BIT | 39 /* getpid */) > 0 ? 0 : 1;
}

static int try_seccomp(void)
{
	struct sock_filter allow = RET(SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return 1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? 1 : 0;
}

static int try_userns(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
				   CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(0);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

const pj_features *pj_features_get(void)
{
	static pj_features f;
	if (f.probed)
		return &f;
	f.probed = 1;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	f.landlock_abi = abi > 0 ? (int)abi : 0;
	f.seccomp = in_child(try_seccomp);
	f.userns = in_child(try_userns);
	f.i386 = in_child(try_i386);
	f.x32 = in_child(try_x32);
	if (!f.userns)
		snprintf(f.why, sizeof(f.why), "cannot create user+mount+pid+net namespaces");
	else if (f.landlock_abi < 3)
		snprintf(f.why, sizeof(f.why), "Landlock ABI %d, procjail needs 3 (truncate)",
			 f.landlock_abi);
	else if (!f.seccomp)
		snprintf(f.why, sizeof(f.why), "seccomp filters are not available");
	return &f;
}

/* Forked replays and minimizations (see replay.h). The child shares one anonymous
 * MAP_SHARED block with the parent: it writes the last step it started (parsed from its
 * own trace through a cookie stream), the verdict, the principals and, for a
 * minimization, the binary encoding of the result, and sets `done` last. The parent
 * reads the child's stderr until EOF or the time bound, kills it past the bound, and
 * trusts the block only when `done` is set.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"

/* In sanitizer builds: check for leaks before the child exits (it leaves through _exit,
 * which skips LeakSanitizer's own check at exit). */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

typedef struct rp_shm {
	volatile sig_atomic_t done;
	volatile int last_step;
	int rc;
	esc_verdict v;
	unsigned nprin;
	esc_principal prin[RP_MAX_PRIN];
	int min_rc;
	esc_min_stats min_st;
	size_t enclen;
	uint8_t enc[];
} rp_shm;

void rp_result_clear(rp_result *r)
{
	if (!r)
		return;
	free(r->report);
	memset(r, 0, sizeof(*r));
	r->last_step = -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the child's trace: only "step N" lines matter ---- */

typedef struct step_cookie {
	rp_shm *shm;
	int pos;    /* chars of "step " matched at the start of this line; -1: skip line */
	int value;  /* digits read so far, -1 none */
} step_cookie;

static ssize_t step_write(void *c, const char *buf, size_t n)
{
	step_cookie *ck = c;
	static const char pre[] = "step ";
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			ck->pos = 0;
			ck->value = -1;
			continue;
		}
		if (ck->pos < 0)
			continue;
		if (ck->pos < 5) {
			ck->pos = ch == pre[ck->pos] ? ck->pos + 1 : -1;
			continue;
		}
		if (ch >= '0' && ch <= '9' && ck->value < 100000) {
			ck->value = (ck->value < 0 ? 0 : ck->value * 10) + (ch - '0');
		} else {
			if (ck->value >= 0)
				ck->shm->last_step = ck->value;
			ck->pos = -1;
		}
	}
	return (ssize_t)n;
}

/* ---- running a job in a child ---- */

typedef void (*rp_job)(rp_shm *shm, void *arg);

typedef struct child_out {
	int status;
	int timed_out;
	char *report;
} child_out;

static void append_report(char **rep, size_t *len, const char *buf, size_t n)
{
	if (*len >= RP_REPORT_MAX)
		return;
	if (n > RP_REPORT_MAX - *len)
		n = RP_REPORT_MAX - *len;
	if (!*rep) {
		*rep = malloc(RP_REPORT_MAX + 1);
		if (!*rep)
			return;
	}
	memcpy(*rep + *len, buf, n);
	*len += n;
	(*rep)[*len] = 0;
}

/* Forks, runs job in the child, waits at most timeout_ms. capture: the child's stderr
 * is collected into out->report. Returns 0 or -1 with why. */
static int run_child(rp_job job, void *arg, rp_shm *shm, unsigned timeout_ms, int capture,
		     int leak_check, child_out *out, char *why, size_t whylen)
{
	int p[2] = { -1, -1 };
	memset(out, 0, sizeof(*out));
	if (capture && pipe(p)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		if (capture) {
			close(p[0]);
			close(p[1]);
		}
		return -1;
	}
	if (pid == 0) {
		cli_cleanup_child();
		/* never outlive the parent, nor the time bound if the parent is gone */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(timeout_ms / 1000 + 5);
		if (capture) {
			dup2(p[1], 2);
			close(p[0]);
			close(p[1]);
		}
		job(shm, arg);
		int leaked = 0;
		if (leak_check && __lsan_do_recoverable_leak_check)
			leaked = __lsan_do_recoverable_leak_check();
		_exit(leaked ? 23 : 0);
	}
	uint64_t deadline = now_ms() + timeout_ms;
	size_t len = 0;
	if (capture) {
		close(p[1]);
		for (;;) {
			uint64_t t = now_ms();
			if (t >= deadline) {
				out->timed_out = 1;
				break;
			}
			struct pollfd pf = { .fd = p[0], .events = POLLIN };
			int r = poll(&pf, 1, (int)(deadline - t));
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0) {
				out->timed_out = 1;
				break;
			}
			char buf[4096];
			ssize_t n = read(p[0], buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			append_report(&out->report, &len, buf, (size_t)n);
		}
		close(p[0]);
	}
	for (;;) {
		pid_t w = out->timed_out ? 0 : waitpid(pid, &out->status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (out->timed_out || now_ms() >= deadline) {
			out->timed_out = 1;
			kill(pid, SIGKILL);
			while (waitpid(pid, &out->status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

static rp_shm *shm_new(size_t extra)
{
	void *p = mmap(NULL, sizeof(rp_shm) + extra, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	rp_shm *shm = p;
	shm->last_step = -1;
	return shm;
}

static void shm_free(rp_shm *shm, size_t extra)
{
	if (shm)
		munmap(shm, sizeof(rp_shm) + extra);
}

/* ---- sanitizer reports ---- */

static const char *const runtime_frames[] = {
	"__asan", "__interceptor", "__sanitizer", "__lsan", "__ubsan", "__msan", "__libc_",
	"__GI_", "raise", "abort", "malloc", "calloc", "realloc", "free", "strdup", "__strdup",
	"operator new", "operator delete", "fuzzer::", "__pthread_kill", "pthread_kill",
	"_start", "__sigsetjmp", NULL,
};

static int is_runtime_frame(const char *f)
{
	for (const char *const *r = runtime_frames; *r; r++)
		if (strncmp(f, *r, strlen(*r)) == 0)
			return 1;
	return 0;
}

/* "    #3 0x55d0c1 in func file.c:12" -> func; returns the frame number or -1. */
static int parse_frame(const char *line, const char *end, char *func, size_t funclen)
{
	const char *p = line;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p != '#')
		return -1;
	char *e;
	long num = strtol(p + 1, &e, 10);
	if (e == p + 1 || e >= end || *e != ' ')
		return -1;
	const char *in = strstr(e, " in ");
	if (!in || in >= end)
		return -1;
	in += 4;
	size_t n = 0;
	while (in + n < end && in[n] != ' ' && in[n] != '\n')
		n++;
	/* "operator new(unsigned long)" has a space: keep the two words */
	if (n == 8 && strncmp(in, "operator", 8) == 0)
		while (in + n < end && in[n] != '(' && in[n] != '\n')
			n++;
	snprintf(func, funclen, "%.*s", (int)n, in);
	return (int)num;
}

/* Control bytes of s into '?': what a report names goes into one-line notes and
 * messages. Returns s. */
static char *printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static void word_after(const char *p, const char *end, char *out, size_t outlen)
{
	size_t n = 0;
	while (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_'))
		n++;
	snprintf(out, outlen, "%.*s", (int)n, p);
}

rp_class rp_classify_report(const char *report, char *type, size_t typelen,
			    char frames[RP_NFRAMES][128], unsigned *nframes)
{
	rp_class cls = RP_CONTAINED;
	*nframes = 0;
	if (typelen)
		type[0] = 0;
	if (!report)
		return cls;
	int started = 0;
	for (const char *line = report; *line;) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (cls == RP_CONTAINED) {
			const char *err = strstr(line, "ERROR: ");
			const char *san = err && err < end ? strstr(err, "Sanitizer: ") : NULL;
			const char *ub = strstr(line, ": runtime error: ");
			if (san && san < end) {
				if (strncmp(san - 4, "Leak", 4) == 0 && san - 4 >= err) {
					cls = RP_LEAK;
					snprintf(type, typelen, "leak");
				} else {
					cls = RP_CRASH;
					const char *w = san + 11;
					word_after(w, end, type, typelen);
					if (strcmp(type, "attempting") == 0)
						word_after(w + 11, end, type, typelen);
					if (!type[0] && typelen)
						snprintf(type, typelen, "unknown");
				}
			} else if (ub && ub < end) {
				cls = RP_CRASH;
				snprintf(type, typelen, "undefined-behavior");
				const char *loc = line;
				for (const char *q = line; q < ub; q++)
					if (*q == '/')
						loc = q + 1;
				snprintf(frames[0], 128, "%.*s", (int)(ub - loc), loc);
				*nframes = frames[0][0] != 0; /* no location: no frame */
				printable(frames[0]);
			}
		} else if (*nframes < RP_NFRAMES) {
			char func[128];
			int num = parse_frame(line, end, func, sizeof(func));
			if (num == 0 && started)
				break; /* the next stack ("allocated by", "previously freed by") */
			if (num >= 0) {
				started = 1;
				if (func[0] && !is_runtime_frame(func))
					printable(strcpy(frames[(*nframes)++], func));
			}
		}
		line = *end ? end + 1 : end;
	}
	return cls;
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void rp_key(const esc_scn *s, const rp_result *r, char *kind, size_t kindlen, uint64_t *sig)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *k = "contained";
	switch (r->cls) {
	case RP_ESCAPE:
		snprintf(kind, kindlen, "%s", esc_verdict_name(r->v.kind));
		*sig = r->v.signature;
		return;
	case RP_CRASH:
	case RP_LEAK:
		k = r->cls == RP_LEAK ? "leak" : "sanitizer";
		h = fnv_bytes(h, s->target->name, strlen(s->target->name) + 1);
		h = fnv_bytes(h, r->crash_type, strlen(r->crash_type) + 1);
		for (unsigned i = 0; i < r->nframes; i++)
			h = fnv_bytes(h, r->frames[i], strlen(r->frames[i]) + 1);
		if (!r->nframes) {
			uint64_t sl = esc_signature(s, ESC_CONTAINED, r->last_step > 0 ? (unsigned)r->last_step : 0);
			h = fnv_bytes(h, &sl, sizeof(sl));
		}
		break;
	case RP_HANG: {
		k = "hang";
		uint64_t sl = esc_signature(s, ESC_CONTAINED, r->last_step > 0 ? (unsigned)r->last_step : 0);
		h = fnv_bytes(h, "hang", 5);
		h = fnv_bytes(h, &sl, sizeof(sl));
		break;
	}
	default:
		h = 0;
		break;
	}
	snprintf(kind, kindlen, "%s", k);
	*sig = h;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGKILL: return "SIGKILL";
	case SIGTERM: return "SIGTERM";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	default: return "signal";
	}
}

/* ---- replay ---- */

typedef struct replay_arg {
	const esc_scn *s;
	unsigned profile;
} replay_arg;

static void job_replay(rp_shm *shm, void *arg)
{
	const replay_arg *a = arg;
	esc_runner r;
	if (esc_runner_init(&r, a->s->target, a->profile)) {
		shm->rc = ESC_E_NOMEM;
		shm->done = 1;
		return;
	}
	step_cookie ck = { shm, 0, -1 };
	cookie_io_functions_t io = { .write = step_write };
	FILE *trace = fopencookie(&ck, "w", io);
	if (trace)
		setvbuf(trace, NULL, _IOLBF, 0);
	shm->rc = esc_run(&r, a->s, &shm->v, trace);
	if (trace)
		fclose(trace);
	if (!shm->rc && r.target->principals)
		shm->nprin = r.target->principals(r.state, shm->prin, RP_MAX_PRIN);
	if (shm->nprin > RP_MAX_PRIN)
		shm->nprin = RP_MAX_PRIN;
	esc_runner_fini(&r);
	shm->done = 1;
}

int rp_replay(const esc_scn *s, unsigned profile, unsigned timeout_ms, rp_result *out)
{
	rp_result_clear(out);
	rp_shm *shm = shm_new(0);
	if (!shm) {
		out->cls = RP_FAILED;
		snprintf(out->why, sizeof(out->why), "mmap: %s", strerror(errno));
		return -1;
	}
	replay_arg a = { s, profile };
	child_out co;
	if (run_child(job_replay, &a, shm, timeout_ms, 1, 1, &co, out->why, sizeof(out->why))) {
		shm_free(shm, 0);
		out->cls = RP_FAILED;
		return -1;
	}
	out->report = co.report;
	out->last_step = shm->last_step;
	rp_class san = rp_classify_report(co.report, out->crash_type, sizeof(out->crash_type),
					  out->frames, &out->nframes);
	if (co.timed_out) {
		out->cls = RP_HANG;
		out->nframes = 0;
		snprintf(out->crash_type, sizeof(out->crash_type), "timeout after %u ms", timeout_ms);
	} else if (shm->done && shm->rc == ESC_E_UNAVAILABLE) {
		out->cls = RP_UNAVAILABLE;
	} else if (shm->done && shm->rc) {
		out->cls = RP_FAILED;
		snprintf(out->why, sizeof(out->why), "%s", esc_strerror(shm->rc));
	} else if (shm->done && shm->v.kind != ESC_CONTAINED) {
		out->cls = RP_ESCAPE; /* even if a leak report follows: the escape matters more */
		out->v = shm->v;
	} else if (san != RP_CONTAINED) {
		out->cls = san;
	} else if (WIFSIGNALED(co.status) || (WIFEXITED(co.status) && WEXITSTATUS(co.status))) {
		out->cls = RP_CRASH;
		if (WIFSIGNALED(co.status))
			snprintf(out->crash_type, sizeof(out->crash_type), "%s",
				 signame(WTERMSIG(co.status)));
		else
			snprintf(out->crash_type, sizeof(out->crash_type), "exit %d",
				 WEXITSTATUS(co.status));
	} else if (!shm->done) {
		out->cls = RP_FAILED;
		snprintf(out->why, sizeof(out->why), "the replay ended without a verdict");
	} else {
		out->cls = RP_CONTAINED;
		out->v = shm->v;
	}
	if (out->cls == RP_ESCAPE || out->cls == RP_CONTAINED) {
		out->nprin = shm->nprin;
		memcpy(out->prin, shm->prin, sizeof(out->prin[0]) * shm->nprin);
	}
	shm_free(shm, 0);
	return out->cls == RP_FAILED ? -1 : 0;
}

/* ---- minimization in a child ---- */

typedef struct min_arg {
	const esc_scn *s;
	unsigned profile;
	const esc_verdict *v;
	unsigned max_tries;
	int progress;
	size_t cap;
} min_arg;

void rp_print_progress(const esc_min_stats *st, void *arg)
{
	(void)arg;
	static const char *last_phase;
	static unsigned last_nops;
	if (st->phase == last_phase && st->nops == last_nops && st->tries % 32)
		return;
	last_phase = st->phase;
	last_nops = st->nops;
	fprintf(stderr, "\r\033[Kminimize: %-6s %u -> %u ops, %u tries", st->phase,
		st->nops_start, st->nops, st->tries);
	fflush(stderr);
}

static void job_minimize(rp_shm *shm, void *arg)
{
	const min_arg *a = arg;
	esc_scn s;
	esc_scn_init(&s, a->s->target);
	esc_runner r;
	shm->min_rc = ESC_E_NOMEM;
	if (esc_scn_copy(&s, a->s) || esc_runner_init(&r, s.target, a->profile)) {
		esc_scn_clear(&s);
		shm->done = 1;
		return;
	}
	esc_min_verdict mv = { .runner = &r, .kind = a->v->kind, .signature = a->v->signature };
	esc_min_opts o = {
		.pred = esc_min_same_verdict, .pred_arg = &mv,
		.progress = a->progress ? rp_print_progress : NULL,
		.step = a->v->step, .max_tries = a->max_tries,
	};
	shm->min_rc = esc_min_run(&s, &o, &shm->min_st);
	if (a->progress)
		fprintf(stderr, "\n");
	if (!shm->min_rc) {
		long n = esc_encode(&s, shm->enc, a->cap);
		if (n < 0) {
			shm->min_rc = (int)n;
		} else {
			shm->enclen = (size_t)n;
			shm->v = mv.last;
		}
	}
	esc_runner_fini(&r);
	esc_scn_clear(&s);
	shm->done = 1;
}

int rp_minimize(esc_scn *s, unsigned profile, const esc_verdict *v, unsigned timeout_ms,
		unsigned max_tries, int progress, esc_min_stats *st, char *why, size_t whylen)
{
	size_t cap = esc_encode_bound(s->target);
	rp_shm *shm = shm_new(cap);
	if (!shm) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -1;
	}
	min_arg a = { s, profile, v, max_tries, progress, cap };
	child_out co;
	int rc = run_child(job_minimize, &a, shm, timeout_ms, 0, 0, &co, why, whylen);
	if (!rc && co.timed_out) {
		snprintf(why, whylen, "minimization took more than %u s", timeout_ms / 1000);
		rc = -1;
	} else if (!rc && !shm->done) {
		snprintf(why, whylen, "the minimizer died (%s %d)",
			 WIFSIGNALED(co.status) ? "signal" : "exit status",
			 WIFSIGNALED(co.status) ? WTERMSIG(co.status) : WEXITSTATUS(co.status));
		rc = -1;
	} else if (!rc && shm->min_rc) {
		snprintf(why, whylen, "the minimizer failed: %s", esc_strerror(shm->min_rc));
		rc = -1;
	}
	if (!rc) {
		esc_scn m;
		esc_scn_init(&m, s->target);
		esc_decode(&m, s->target, shm->enc, shm->enclen);
		for (unsigned i = 0; i < s->nops; i++) {
			free(s->ops[i].comment);
			s->ops[i].comment = NULL;
		}
		memcpy(s->ops, m.ops, sizeof(m.ops[0]) * m.nops);
		s->nops = m.nops;
		if (st)
			*st = shm->min_st;
	}
	free(co.report);
	shm_free(shm, cap);
	return rc;
}

/* ---- any function in a child ---- */

typedef struct call_arg {
	rp_fn fn;
	void *arg;
} call_arg;

static void job_call(rp_shm *shm, void *arg)
{
	const call_arg *c = arg;
	shm->rc = c->fn(c->arg);
	shm->done = 1;
}

int rp_call(rp_fn fn, void *arg, unsigned timeout_ms, char *why, size_t whylen)
{
	rp_shm *shm = shm_new(0);
	if (!shm) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -1;
	}
	call_arg c = { fn, arg };
	child_out co;
	int rc = run_child(job_call, &c, shm, timeout_ms, 1, 0, &co, why, whylen);
	if (!rc && co.timed_out) {
		snprintf(why, whylen, "took more than %u s", timeout_ms / 1000);
		rc = -1;
	} else if (!rc && !shm->done) {
		const char *nl = co.report ? strchr(co.report, '\n') : NULL;
		snprintf(why, whylen, "died (%s %d)%s%.*s",
			 WIFSIGNALED(co.status) ? "signal" : "exit status",
			 WIFSIGNALED(co.status) ? WTERMSIG(co.status) : WEXITSTATUS(co.status),
			 co.report ? ": " : "", co.report ? (int)(nl ? nl - co.report : 100) : 0,
			 co.report ? co.report : "");
		rc = -1;
	} else if (!rc) {
		rc = shm->rc;
		if (rc && co.report) {
			const char *nl = strchr(co.report, '\n');
			snprintf(why, whylen, "%.*s", (int)(nl ? nl - co.report : 100), co.report);
		}
	}
	free(co.report);
	shm_free(shm, 0);
	return rc;
}

/* The runner: executes a scenario op by op against its target, consults the target's
 * oracle after every op and stops at the first divergence. It resets the target before
 * every run, so a runner may be reused across runs in one process (persistent mode).
 * Also: the trace (esc_note), the verdict report, the dedupe signature, and the abort
 * functions named after each verdict kind for fuzz builds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/run.h"
#include "internal.h"

void esc_note(esc_ctx *ctx, const char *fmt, ...)
{
	if (!ctx || !ctx->trace)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("        ", ctx->trace);
	vfprintf(ctx->trace, fmt, ap);
	fputc('\n', ctx->trace);
	va_end(ap);
}

int esc_runner_init(esc_runner *r, const esc_target *t, unsigned profile)
{
	memset(r, 0, sizeof(*r));
	if (profile >= t->nprofiles)
		return ESC_E_INVALID;
	r->state = calloc(1, t->state_size ? t->state_size : 1);
	if (!r->state)
		return ESC_E_NOMEM;
	r->target = t;
	r->profile = profile;
	return 0;
}

void esc_runner_fini(esc_runner *r)
{
	if (!r)
		return;
	if (r->state && r->target && r->target->release)
		r->target->release(r->state);
	free(r->state);
	memset(r, 0, sizeof(*r));
}

static void verdict_clear(esc_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = ESC_CONTAINED;
	v->step = -1;
}

int esc_run(esc_runner *r, const esc_scn *s, esc_verdict *v, FILE *trace)
{
	const esc_target *t = r->target;
	verdict_clear(v);
	if (s->target != t || esc_scn_validate(s, NULL, 0))
		return ESC_E_INVALID; /* ops would index by unchecked handles and enums */
	if (t->reset) {
		int rc = t->reset(r->state, r->profile);
		if (rc)
			return rc;
	}
	esc_ctx ctx = { trace, 0, 0 };
	if (trace)
		fprintf(trace, "run %s, profile %s, %u ops\n", t->name, t->profiles[r->profile],
			s->nops);
	for (unsigned i = 0; i < s->nops; i++) {
		const esc_op *op = &s->ops[i];
		const esc_op_desc *d = &t->ops[op->op];
		esc_val vals[ESC_MAX_ARGS];
		int skip = 0;
		memset(vals, 0, sizeof(vals));
		for (unsigned j = 0; j < d->nargs; j++) {
			const esc_arg *a = &op->args[j];
			switch (d->args[j].kind) {
			case ESC_ARG_HANDLE:
				if (r->status[a->i] != ESC_STEP_OK)
					skip = 1;
				else
					vals[j].h = r->res[a->i];
				break;
			case ESC_ARG_ENUM: vals[j].e = (unsigned)a->i; break;
			case ESC_ARG_INT: vals[j].i = a->i; break;
			case ESC_ARG_STR: vals[j].s = a->s; break;
			default: break;
			}
		}
		ctx.step = i;
		if (trace) {
			char buf[512];
			fprintf(trace, "step %-2u %s\n", i, esc_print_op(s, i, buf, sizeof(buf)));
		}
		r->res[i] = 0;
		r->outcome[i] = 0;
		if (skip) {
			r->status[i] = ESC_STEP_SKIPPED;
			esc_note(&ctx, "skipped: an input was not produced");
			continue;
		}
		unsigned out = 0;
		ctx.outcome = 0;
		int rc = d->run(r->state, vals, &out, &ctx);
		r->status[i] = rc == 0 ? ESC_STEP_OK : ESC_STEP_FAILED;
		r->res[i] = out;
		r->outcome[i] = ctx.outcome;
		if (t->check && t->check(r->state, i, v)) {
			if (v->kind == ESC_CONTAINED)
				v->kind = ESC_POLICY_BYPASS; /* an oracle that flags must say what */
			v->step = (int)i;
			v->signature = esc_signature(s, v->kind, i);
			break;
		}
	}
	if (trace && t->describe) {
		fprintf(trace, "principals:\n");
		t->describe(r->state, &ctx);
	}
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t esc_signature(const esc_scn *s, esc_verdict_kind kind, unsigned step)
{
	const esc_target *t = s->target;
	uint8_t in[ESC_MAX_OPS] = { 0 };
	int slot[ESC_MAX_OPS];
	if (step >= s->nops)
		step = s->nops ? s->nops - 1 : 0;
	if (s->nops)
		in[step] = 1;
	for (int k = (int)step; k >= 0; k--) {
		if (!in[k])
			continue;
		const esc_op_desc *d = &t->ops[s->ops[k].op];
		for (unsigned j = 0; j < d->nargs; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE)
				in[s->ops[k].args[j].i] = 1;
	}
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, t->name, strlen(t->name) + 1);
	uint32_t kk = (uint32_t)kind;
	h = fnv(h, &kk, sizeof(kk));
	int n = 0;
	for (unsigned k = 0; k <= step && k < s->nops; k++) {
		if (!in[k])
			continue;
		slot[k] = n++;
		const esc_op_desc *d = &t->ops[s->ops[k].op];
		h = fnv(h, d->name, strlen(d->name) + 1);
		for (unsigned j = 0; j < d->nargs; j++) {
			const esc_arg *a = &s->ops[k].args[j];
			int64_t v;
			switch (d->args[j].kind) {
			case ESC_ARG_HANDLE:
				v = slot[a->i];
				h = fnv(h, &v, sizeof(v));
				break;
			case ESC_ARG_STR:
				h = fnv(h, a->s, strlen(a->s) + 1);
				break;
			default:
				v = a->i;
				h = fnv(h, &v, sizeof(v));
				break;
			}
		}
	}
	return h;
}

void esc_verdict_print(const esc_scn *s, unsigned profile, const esc_verdict *v, FILE *f)
{
	const esc_target *t = s->target;
	if (v->kind == ESC_CONTAINED) {
		fprintf(f, "verdict: contained (target %s, profile %s, %u ops)\n", t->name,
			t->profiles[profile], s->nops);
		return;
	}
	char buf[512];
	fprintf(f, "verdict: ESCAPE %s at step %d (target %s, profile %s)\n",
		esc_verdict_name(v->kind), v->step, t->name, t->profiles[profile]);
	if (v->step >= 0 && (unsigned)v->step < s->nops)
		fprintf(f, "  op:        %s\n", esc_print_op(s, (unsigned)v->step, buf, sizeof(buf)));
	fprintf(f, "  chain:     %s\n", v->chain);
	fprintf(f, "  expected:  %s\n", v->expected);
	fprintf(f, "  actual:    %s\n", v->actual);
	fprintf(f, "  summary:   %s\n", v->summary);
	fprintf(f, "  signature: %s/%s/%016llx\n", t->name, esc_verdict_name(v->kind),
		(unsigned long long)v->signature);
}

/* One function per kind, never inlined and each with a distinct body (so identical-code
 * folding cannot merge them), so the engine's stack shows the kind. */
static volatile int esc_aborted_kind;
#define ABORT_FN(fn, k)                                \
	__attribute__((noinline, noreturn)) void fn(void); \
	__attribute__((noinline, noreturn)) void fn(void) \
	{                                                  \
		esc_aborted_kind = (k);                        \
		fflush(stderr);                                \
		abort();                                       \
	}
ABORT_FN(escape_privilege_amplification, ESC_PRIVILEGE_AMPLIFICATION)
ABORT_FN(escape_reference_leak, ESC_REFERENCE_LEAK)
ABORT_FN(escape_host_execution, ESC_HOST_EXECUTION)
ABORT_FN(escape_policy_bypass, ESC_POLICY_BYPASS)
ABORT_FN(escape_forged_authority, ESC_FORGED_AUTHORITY)
ABORT_FN(escape_integrity_violation, ESC_INTEGRITY_VIOLATION)
ABORT_FN(escape_audit_gap, ESC_AUDIT_GAP)

void esc_abort_verdict(esc_verdict_kind kind)
{
	switch (kind) {
	case ESC_PRIVILEGE_AMPLIFICATION: escape_privilege_amplification();
	case ESC_REFERENCE_LEAK: escape_reference_leak();
	case ESC_HOST_EXECUTION: escape_host_execution();
	case ESC_POLICY_BYPASS: escape_policy_bypass();
	case ESC_FORGED_AUTHORITY: escape_forged_authority();
	case ESC_INTEGRITY_VIOLATION: escape_integrity_violation();
	case ESC_AUDIT_GAP: escape_audit_gap();
	default: abort();
	}
}

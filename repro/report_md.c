/* summary.md: the triage for people. A table of findings in rank order, then one
 * section per finding: what escaped, how to reproduce it, its minimized scenario and the
 * picture of its chain; then the inputs that were skipped or did not reproduce.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "triage.h"

/* Markdown table cells: no '|' and no newline. */
static void cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
}

static void entry_md(FILE *f, const tr_report *rep, const tr_entry *e, size_t idx)
{
	char cmd[PATH_MAX + 100];
	fprintf(f, "\n## %zu. %s %s (%s)\n\n", idx + 1, e->known ? "Known" : "New", e->kind,
		e->target->name);
	fprintf(f, "- severity: %.1f\n", e->severity);
	fprintf(f, "- signature: `%s/%s/%016llx`\n", e->target->name, e->kind,
		(unsigned long long)e->sig);
	fprintf(f, "- profile: `%s`; reproduced %u of %u replays%s\n",
		e->target->profiles[e->profile], e->reproduced, e->replays,
		e->flaky ? " (**flaky**)" : "");
	if (e->known)
		fprintf(f, "- known as: `%s` (line %u)\n", e->known_path, e->known_line);
	if (e->cls == RP_ESCAPE) {
		fprintf(f, "- summary: ");
		cell(f, e->r.v.summary);
		fprintf(f, "\n- chain: `%s`; step %d\n", e->r.v.chain, e->r.v.step);
		fprintf(f, "- expected `%s`, actual `%s`\n", e->r.v.expected, e->r.v.actual);
	} else {
		fprintf(f, "- %s: %s", e->cls == RP_HANG ? "hang" : "report", e->r.crash_type);
		for (unsigned i = 0; i < e->r.nframes; i++)
			fprintf(f, "%s`%s`", i ? " < " : " in ", e->r.frames[i]);
		fprintf(f, "\n");
	}
	fprintf(f, "- ops: %u (from %u)%s%s\n", e->scn->nops, e->ops_before,
		e->min_note[0] ? "; " : "", e->min_note);
	fprintf(f, "- inputs (%u):", e->ninputs);
	for (unsigned i = 0; i < e->ninputs && i < 10; i++)
		fprintf(f, " `%s`", e->inputs[i]);
	if (e->ninputs > 10)
		fprintf(f, " and %u more", e->ninputs - 10);
	fprintf(f, "\n\nReproduce with:\n\n    %s\n\n", tr_repro_cmd(rep, e, cmd, sizeof(cmd)));
	char *text = esc_print(e->scn);
	fprintf(f, "Minimized scenario (`%s.scn`):\n\n```\n%s```\n", e->base, text ? text : "?\n");
	free(text);
	if (e->picture)
		fprintf(f, "\n![chain of %s](%s.svg)\n", e->base, e->base);
}

int tr_write_md(const tr_report *rep, const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		fprintf(stderr, "escapade triage: out of memory\n");
		return -1;
	}
	unsigned nnew = 0;
	for (size_t i = 0; i < rep->n; i++)
		nnew += !rep->e[i].known;
	fprintf(f, "# escapade triage: %zu finding%s, %u new, %zu known\n\n", rep->n,
		rep->n == 1 ? "" : "s", nnew, rep->n - nnew);
	fprintf(f, "%u input(s) read, %zu skipped, %zu not reproduced; profile `%s`; %u replays "
		   "each; regressions from `%s`.\n",
		rep->nread, rep->nskipped, rep->nunrepro,
		rep->profile_name ? rep->profile_name : "hardened", rep->replays,
		rep->regressions ? rep->regressions : "(none)");
	if (rep->n) {
		fprintf(f, "\n| # | severity | status | kind | target | signature | ops | inputs | flaky |\n");
		fprintf(f, "|---|---|---|---|---|---|---|---|---|\n");
	}
	for (size_t i = 0; i < rep->n; i++) {
		const tr_entry *e = &rep->e[i];
		fprintf(f, "| %zu | %.1f | %s | %s | %s | `%016llx` | %u (from %u) | %u | %s |\n",
			i + 1, e->severity, e->known ? "known" : "**new**", e->kind, e->target->name,
			(unsigned long long)e->sig, e->scn->nops, e->ops_before, e->ninputs,
			e->flaky ? "yes" : "no");
	}
	for (size_t i = 0; i < rep->n; i++)
		entry_md(f, rep, &rep->e[i], i);
	if (rep->nskipped || rep->nunrepro) {
		fprintf(f, "\n## Inputs not triaged\n\n");
		for (size_t i = 0; i < rep->nskipped; i++) {
			fprintf(f, "- skipped `%s`: ", rep->skipped[i].path);
			cell(f, rep->skipped[i].reason);
			fprintf(f, "\n");
		}
		for (size_t i = 0; i < rep->nunrepro; i++)
			fprintf(f, "- not reproduced `%s`: %s\n", rep->unreproduced[i].path,
				rep->unreproduced[i].reason);
	}
	fprintf(f, "\nSeverity: host-execution 9.8, privilege-amplification 9.1, reference-leak "
		   "8.6, forged-authority 8.1, policy-bypass 7.5, integrity-violation 7.1, "
		   "sanitizer 7.0, audit-gap 5.3, leak 4.0, hang 3.0; new before known.\n");
	if (fclose(f)) {
		free(buf);
		fprintf(stderr, "escapade triage: out of memory\n");
		return -1;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/summary.md", dir);
	int rc = cli_write_file(path, buf, len);
	if (rc)
		fprintf(stderr, "%s/summary.md: cannot write: %s\n", rep->showdir, strerror(errno));
	free(buf);
	return rc;
}

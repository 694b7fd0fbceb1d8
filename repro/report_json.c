/* report.json: the whole triage as data, built with jansson. One object per finding, in
 * rank order, plus the inputs that were skipped or did not reproduce. Strings that are
 * not valid UTF-8 (raw fuzzer bytes, odd paths) are written with '?' for the bad bytes.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report_util.h"
#include "triage.h"

json_t *rj_str(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	char *c = strdup(s);
	if (!c)
		return NULL;
	for (unsigned char *p = (unsigned char *)c; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

const char *rj_class_name(rp_class c)
{
	switch (c) {
	case RP_ESCAPE: return "escape";
	case RP_CRASH: return "sanitizer";
	case RP_LEAK: return "leak";
	case RP_HANG: return "hang";
	default: return "other";
	}
}

int rj_write(json_t *root, const char *dir, const char *show, const char *name)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		fprintf(stderr, "%s/%s: path too long\n", show, name);
		return -1;
	}
	char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(4)) : NULL;
	if (!text) {
		fprintf(stderr, "%s/%s: out of memory\n", show, name);
		return -1;
	}
	size_t n = strlen(text);
	char *buf = realloc(text, n + 2);
	if (!buf) {
		free(text);
		fprintf(stderr, "%s/%s: out of memory\n", show, name);
		return -1;
	}
	buf[n] = '\n';
	buf[n + 1] = 0;
	int rc = cli_write_file(path, buf, n + 1);
	if (rc)
		fprintf(stderr, "%s/%s: cannot write: %s\n", show, name, strerror(errno));
	free(buf);
	return rc;
}

static json_t *notes_json(const tr_note *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "path", rj_str(v[i].path), "reason",
						   rj_str(v[i].reason)));
	return a;
}

static json_t *entry_json(const tr_report *rep, const tr_entry *e)
{
	char sig[128], buf[PATH_MAX + 100];
	snprintf(sig, sizeof(sig), "%s/%s/%016llx", e->target->name, e->kind,
		 (unsigned long long)e->sig);
	json_t *o = json_object();
	json_object_set_new(o, "id", rj_str(e->base));
	json_object_set_new(o, "target", rj_str(e->target->name));
	json_object_set_new(o, "class", rj_str(rj_class_name(e->cls)));
	json_object_set_new(o, "kind", rj_str(e->kind));
	json_object_set_new(o, "severity", json_real(e->severity));
	json_object_set_new(o, "status", rj_str(e->known ? "known" : "new"));
	json_object_set_new(o, "known_as", e->known ? rj_str(e->known_path) : json_null());
	json_object_set_new(o, "signature", rj_str(sig));
	json_object_set_new(o, "profile", rj_str(e->target->profiles[e->profile]));
	json_object_set_new(o, "flaky", json_boolean(e->flaky));
	json_object_set_new(o, "reproduced", json_integer(e->reproduced));
	json_object_set_new(o, "replays", json_integer(e->replays));
	json_object_set_new(o, "ops", json_integer(e->scn->nops));
	json_object_set_new(o, "ops_before", json_integer(e->ops_before));
	json_object_set_new(o, "minimized", json_boolean(e->minimized));
	if (e->min_note[0])
		json_object_set_new(o, "minimize_note", rj_str(e->min_note));
	snprintf(buf, sizeof(buf), "%s.scn", e->base);
	json_object_set_new(o, "scenario", rj_str(buf));
	json_object_set_new(o, "line", json_integer(e->op_line));
	if (e->cls == RP_ESCAPE) {
		json_object_set_new(o, "verdict",
				    json_pack("{s:i, s:o, s:o, s:o, s:o}", "step", e->r.v.step, "chain",
					      rj_str(e->r.v.chain), "expected", rj_str(e->r.v.expected),
					      "actual", rj_str(e->r.v.actual), "summary",
					      rj_str(e->r.v.summary)));
	} else {
		json_t *fr = json_array();
		for (unsigned i = 0; i < e->r.nframes; i++)
			json_array_append_new(fr, rj_str(e->r.frames[i]));
		json_object_set_new(o, e->cls == RP_HANG ? "hang" : "crash",
				    json_pack("{s:o, s:o, s:i}", "type", rj_str(e->r.crash_type),
					      "frames", fr, "last_step", e->r.last_step));
	}
	if (e->picture) {
		char d[128], s[128], p[128];
		snprintf(d, sizeof(d), "%s.dot", e->base);
		snprintf(s, sizeof(s), "%s.svg", e->base);
		snprintf(p, sizeof(p), "%s.png", e->base);
		json_object_set_new(o, "picture", json_pack("{s:s, s:s, s:s}", "dot", d, "svg", s,
							      "png", p));
	} else {
		json_object_set_new(o, "picture", json_null());
	}
	json_t *ex = json_object();
	for (unsigned i = 0; i < e->scn->nexpect; i++) {
		const esc_expect *x = &e->scn->expect[i];
		snprintf(buf, sizeof(buf), "%s%s", x->kind == ESC_CONTAINED ? "contained" : "escape ",
			 x->kind == ESC_CONTAINED ? "" : esc_verdict_name(x->kind));
		json_object_set_new(ex, e->target->profiles[x->profile], rj_str(buf));
	}
	json_object_set_new(o, "expect", ex);
	json_t *in = json_array();
	for (unsigned i = 0; i < e->ninputs; i++)
		json_array_append_new(in, rj_str(e->inputs[i]));
	json_object_set_new(o, "inputs", in);
	json_object_set_new(o, "reproduce", rj_str(tr_repro_cmd(rep, e, buf, sizeof(buf))));
	return o;
}

int tr_write_json(const tr_report *rep, const char *dir)
{
	unsigned nnew = 0;
	for (size_t i = 0; i < rep->n; i++)
		nnew += !rep->e[i].known;
	json_t *root = json_object();
	json_object_set_new(root, "tool", rj_str("escapade"));
	json_object_set_new(root, "version", rj_str(ESCAPADE_VERSION));
	json_object_set_new(root, "profile", rep->profile_name ? rj_str(rep->profile_name)
							       : json_null());
	json_object_set_new(root, "replays", json_integer(rep->replays));
	json_object_set_new(root, "timeout_ms", json_integer(rep->timeout_ms));
	json_object_set_new(root, "regressions", rep->regressions ? rj_str(rep->regressions)
								 : json_null());
	json_object_set_new(root, "inputs",
			    json_pack("{s:i, s:i, s:i, s:i}", "read", (int)rep->nread, "skipped",
				      (int)rep->nskipped, "not_reproduced", (int)rep->nunrepro,
				      "ignored", (int)rep->ignored));
	json_object_set_new(root, "findings",
			    json_pack("{s:i, s:i, s:i}", "total", (int)rep->n, "new", (int)nnew,
				      "known", (int)(rep->n - nnew)));
	json_t *ents = json_array();
	for (size_t i = 0; i < rep->n; i++)
		json_array_append_new(ents, entry_json(rep, &rep->e[i]));
	json_object_set_new(root, "entries", ents);
	json_object_set_new(root, "skipped", notes_json(rep->skipped, rep->nskipped));
	json_object_set_new(root, "not_reproduced", notes_json(rep->unreproduced, rep->nunrepro));
	int rc = rj_write(root, dir, rep->showdir, "report.json");
	json_decref(root);
	return rc;
}

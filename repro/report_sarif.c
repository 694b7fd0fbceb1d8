/* report.sarif: SARIF 2.1.0 for code scanning. One rule per kind (verdict kinds, and
 * "sanitizer", "leak", "hang") with its security-severity; one result per finding with
 * ruleId = kind, the location of the scenario that reproduces it (the kept regression
 * when known, the report's .scn when new) at the violating op's line, and
 * partialFingerprints "escapadeSignature/v1" = target/kind/sig16 so a finding seen again
 * is the same alert.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "report_util.h"
#include "triage.h"

#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

static int kind_index(const char *kind)
{
	for (int i = 0; tr_all_kinds[i]; i++)
		if (strcmp(tr_all_kinds[i], kind) == 0)
			return i;
	return -1;
}

static json_t *rules_json(void)
{
	json_t *rules = json_array();
	for (int i = 0; tr_all_kinds[i]; i++) {
		const char *k = tr_all_kinds[i];
		double sev = tr_severity(k);
		char sevs[16];
		snprintf(sevs, sizeof(sevs), "%.1f", sev);
		json_array_append_new(
			rules,
			json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:[s], s:s, s:s}}", "id", k,
				  "name", k, "shortDescription", "text", tr_kind_text(k),
				  "fullDescription", "text", tr_kind_text(k), "defaultConfiguration",
				  "level", sev >= 7.0 ? "error" : sev >= 4.0 ? "warning" : "note",
				  "properties", "tags", "security", "security-severity", sevs,
				  "precision", "high"));
	}
	return rules;
}

static json_t *result_json(const tr_report *rep, const tr_entry *e)
{
	char abs[PATH_MAX], uri[PATH_MAX + 16], fp[160], msg[1200], cmd[PATH_MAX + 100];
	const char *base_id;
	tr_location(rep, e, abs, sizeof(abs));
	tr_uri(rep, abs, uri, sizeof(uri), &base_id);
	snprintf(fp, sizeof(fp), "%s/%s/%016llx", e->target->name, e->kind,
		 (unsigned long long)e->sig);
	const char *what = e->cls == RP_ESCAPE ? e->r.v.summary : e->r.crash_type;
	snprintf(msg, sizeof(msg), "[%s] %s %s under profile %s: %s%s%s. Reproduce with: %s",
		 e->known ? "known" : "new", e->target->name, e->kind,
		 e->target->profiles[e->profile], what, e->cls == RP_ESCAPE ? " (chain " : "",
		 e->cls == RP_ESCAPE ? e->r.v.chain : "", tr_repro_cmd(rep, e, cmd, sizeof(cmd)));
	if (e->cls == RP_ESCAPE) { /* close the parenthesis before ". Reproduce" */
		char *rp = strstr(msg, ". Reproduce with:");
		if (rp && strlen(msg) + 1 < sizeof(msg)) {
			memmove(rp + 1, rp, strlen(rp) + 1);
			*rp = ')';
		}
	}
	unsigned line = e->known ? e->known_line : e->op_line;
	json_t *art = json_pack("{s:o}", "uri", rj_str(uri));
	if (base_id)
		json_object_set_new(art, "uriBaseId", json_string(base_id));
	double sev = e->severity;
	json_t *r = json_pack(
		"{s:s, s:i, s:s, s:{s:o}, s:[{s:{s:o, s:{s:i}}}], s:{s:s}, s:{s:s, s:s, s:s, s:b, s:s}}",
		"ruleId", e->kind, "ruleIndex", kind_index(e->kind), "level",
		sev >= 7.0 ? "error" : sev >= 4.0 ? "warning" : "note", "message", "text", rj_str(msg),
		"locations", "physicalLocation", "artifactLocation", art, "region", "startLine",
		(int)(line ? line : 1), "partialFingerprints", "escapadeSignature/v1", fp,
		"properties", "status", e->known ? "known" : "new", "target", e->target->name,
		"profile", e->target->profiles[e->profile], "flaky", e->flaky, "scenario", e->base);
	return r;
}

int tr_write_sarif(const tr_report *rep, const char *dir)
{
	json_t *results = json_array();
	for (size_t i = 0; i < rep->n; i++)
		json_array_append_new(results, result_json(rep, &rep->e[i]));
	json_t *run = json_pack("{s:{s:{s:s, s:s, s:s, s:o}}, s:o}", "tool", "driver", "name",
				"escapade", "version", ESCAPADE_VERSION, "semanticVersion",
				ESCAPADE_VERSION, "rules", rules_json(), "results", results);
	if (run && rep->srcroot[0]) {
		char uri[PATH_MAX + 16];
		snprintf(uri, sizeof(uri), "file://%s/", rep->srcroot);
		json_object_set_new(run, "originalUriBaseIds",
				    json_pack("{s:{s:o}}", "SRCROOT", "uri", rj_str(uri)));
	}
	json_t *root = json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
				 "runs", run);
	int rc = rj_write(root, dir, rep->showdir, "report.sarif");
	json_decref(root);
	return rc;
}

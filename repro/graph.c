/* Pictures of escape chains: the principal tree of the run (the host, and every
 * principal the target's `principals` hook reports after replaying the minimized
 * scenario), edges parent -> child, the principals named in the verdict chain
 * ("host > vm#1 > vm#2") and the edges between them highlighted, the violating principal
 * filled red and labelled with the kind. Built with libcgraph, laid out and rendered to
 * SVG and PNG with libgvc, in a child process: Graphviz keeps memory until exit and a
 * crash in it must not take the triage down.
 */
#include <errno.h>
#include <gvc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "triage.h"

#define GRAPH_TIMEOUT_MS 30000u

typedef struct gr_job {
	const tr_entry *e;
	char dot[PATH_MAX], svg[PATH_MAX], png[PATH_MAX];
} gr_job;

/* Graphviz reads backslashes in labels as escapes (\N, \G ...): keep them out. */
static void label_clean(char *s)
{
	for (; *s; s++)
		if (*s == '\\')
			*s = '/';
}

static void set(void *obj, const char *attr, const char *val)
{
	char a[32], v[512], def[4] = "";
	snprintf(a, sizeof(a), "%s", attr);
	snprintf(v, sizeof(v), "%s", val);
	if (agobjkind(obj) == AGNODE && strcmp(attr, "label") == 0)
		snprintf(def, sizeof(def), "\\N"); /* Graphviz's own default: the node's name */
	agsafeset(obj, a, v, def);
}

static Agnode_t *node(Agraph_t *g, const char *name)
{
	char n[ESC_MAX_STR * 3];
	if (snprintf(n, sizeof(n), "%s", name) >= (int)sizeof(n))
		n[sizeof(n) - 1] = 0;
	return agnode(g, n, 1);
}

static Agedge_t *edge(Agraph_t *g, Agnode_t *t, Agnode_t *h)
{
	Agedge_t *e = agedge(g, t, h, NULL, 0);
	return e ? e : agedge(g, t, h, NULL, 1);
}

static int render(void *arg)
{
	const gr_job *j = arg;
	const tr_entry *e = j->e;
	char buf[600];
	GVC_t *gvc = gvContext();
	char gname[] = "escape";
	Agraph_t *g = agopen(gname, Agdirected, NULL);
	if (!gvc || !g)
		return 1;
	char summary[sizeof(e->r.v.summary)];
	snprintf(summary, sizeof(summary), "%s", e->r.v.summary);
	label_clean(summary);
	snprintf(buf, sizeof(buf), "%s: %s under %s\\n%s", e->target->name, e->kind,
		 e->target->profiles[e->profile], summary);
	set(g, "label", buf);
	set(g, "labelloc", "b");
	set(g, "fontname", "Helvetica");
	set(g, "fontsize", "11");
	set(g, "rankdir", "TB");
	Agnode_t *host = node(g, "host");
	set(host, "shape", "box");
	set(host, "style", "rounded,filled");
	set(host, "fillcolor", "#e8eef7");
	set(host, "fontname", "Helvetica");
	Agnode_t *nodes[RP_MAX_PRIN];
	for (unsigned i = 0; i < e->r.nprin; i++) {
		const esc_principal *p = &e->r.prin[i];
		nodes[i] = node(g, p->name);
		char lab[sizeof(p->label)];
		snprintf(lab, sizeof(lab), "%s", p->label);
		label_clean(lab);
		snprintf(buf, sizeof(buf), "%s\\n%s", p->name, lab);
		set(nodes[i], "label", buf);
		set(nodes[i], "shape", "box");
		set(nodes[i], "style", "rounded,filled");
		set(nodes[i], "fillcolor", "white");
		set(nodes[i], "fontname", "Helvetica");
	}
	for (unsigned i = 0; i < e->r.nprin; i++) {
		int par = e->r.prin[i].parent;
		Agnode_t *from = par >= 0 && (unsigned)par < e->r.nprin ? nodes[par] : host;
		Agedge_t *ed = edge(g, from, nodes[i]);
		set(ed, "color", "gray50");
	}
	/* the chain: "host > vm#1 > vm#2" */
	char chain[sizeof(e->r.v.chain)];
	snprintf(chain, sizeof(chain), "%s", e->r.v.chain);
	Agnode_t *prev = NULL, *last = NULL;
	for (char *tok = chain, *next; tok && *tok; tok = next) {
		next = strstr(tok, " > ");
		if (next) {
			*next = 0;
			next += 3;
		}
		Agnode_t *n = node(g, tok);
		set(n, "color", "red");
		set(n, "penwidth", "2");
		const char *style = agget(n, "style");
		if (n != host && (!style || !*style))
			set(n, "style", "rounded,filled");
		set(n, "fillcolor", n == host ? "#e8eef7" : "#fde0dc");
		if (prev) {
			Agedge_t *ed = edge(g, prev, n);
			set(ed, "color", "red");
			set(ed, "penwidth", "2.5");
		}
		prev = last = n;
	}
	if (last && last != host) {
		const char *old = agget(last, "label");
		if (!old || !*old || strcmp(old, "\\N") == 0)
			old = agnameof(last);
		snprintf(buf, sizeof(buf), "%s\\n%s", old, e->kind);
		set(last, "label", buf);
		set(last, "fillcolor", "red");
		set(last, "fontcolor", "white");
	}
	FILE *f = fopen(j->dot, "wx");
	int rc = !f || agwrite(g, f) != 0;
	if (f && fclose(f))
		rc = 1;
	if (!rc)
		rc = gvLayout(gvc, g, "dot") != 0;
	if (!rc)
		rc = gvRenderFilename(gvc, g, "svg", j->svg) != 0;
	if (!rc)
		rc = gvRenderFilename(gvc, g, "png", j->png) != 0;
	if (!rc)
		gvFreeLayout(gvc, g);
	if (rc)
		fprintf(stderr, "graphviz could not lay out or render the picture\n");
	agclose(g);
	gvFreeContext(gvc);
	return rc;
}

int tr_write_graph(const tr_report *rep, const tr_entry *e, const char *dir, char *why,
		   size_t whylen)
{
	(void)rep;
	static gr_job j; /* static: the child reads it after fork, PATH_MAX x 3 is big */
	memset(&j, 0, sizeof(j));
	j.e = e;
	snprintf(j.dot, sizeof(j.dot), "%s/%s.dot", dir, e->base);
	snprintf(j.svg, sizeof(j.svg), "%s/%s.svg", dir, e->base);
	snprintf(j.png, sizeof(j.png), "%s/%s.png", dir, e->base);
	if (cli_fault_point()) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (cli_cleanup_file(j.dot) || cli_cleanup_file(j.svg) || cli_cleanup_file(j.png)) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	int rc = rp_call(render, &j, GRAPH_TIMEOUT_MS, why, whylen);
	struct stat st;
	if (!rc && (stat(j.svg, &st) || stat(j.png, &st) || st.st_size == 0)) {
		snprintf(why, whylen, "graphviz wrote no picture");
		rc = -1;
	} else if (rc > 0 && !why[0]) {
		snprintf(why, whylen, "graphviz failed");
	}
	if (rc) {
		unlink(j.dot);
		unlink(j.svg);
		unlink(j.png);
		errno = 0;
		return -1;
	}
	return 0;
}

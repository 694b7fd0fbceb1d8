/* vm2model JavaScript emitter: `escapade repro FILE --emit js` writes a vm2model
 * scenario as a Node.js program that replays it against the real vm2 package.
 *
 * Shape of the program: the embedder's root VMs are built with the scenario's options
 * (`new NodeVM({nesting, require})`); every other op is one step, run in the VM that
 * holds its first handle: root VMs by the host (`v0.run(code)`), nested VMs by their
 * parent's sandbox code (`$2.run(code)` inside `v0.run(...)`), quoted here once per
 * level. Results live in sandbox globals ($3). Each op's code comes from the op table
 * (esc_op_desc.js, and per enum value esc_arg_desc.js_values); see vm2model.c for the
 * template syntax. A catch op's site wraps the op whose exception it catches (the
 * latest sandbox op before it in the same VM).
 *
 * Oracle: a sandbox prelude defines __probe, which tries to turn a value into host
 * execution (execSync, Module._load, a host process, x.constructor.constructor('return
 * process')(), a CallSite's getThis()). When it succeeds, an exec'd `echo` prints
 * "ESCAPADE: host-execution reached" and touches $ESCAPADE_FLAG: host authority prints
 * the marker. Every object an op produces is probed; a module is probed only when it
 * lies beyond the embedder's grants (the model's reference, computed here), so a granted
 * child_process never prints. After the run the host checks protected host objects for
 * writes ("ESCAPADE: integrity-violation reached") and prints "ESCAPADE: contained"
 * when nothing was reached.
 *
 * Safety: the program never runs a scenario string as code or as a command: commands
 * and paths only appear in comments, unknown module names become a placeholder, and
 * Function bodies come from a fixed enum.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm2int.h"

typedef struct buf {
	char *p;
	size_t len, cap;
	int oom;
} buf;

static void bput(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n >= b->cap - b->len || !b->p) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len <= n) {
			if (cap > ((size_t)1 << 28)) {
				b->oom = 1;
				return;
			}
			cap *= 2;
		}
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void bputs(buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		bput(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bput(b, big, (size_t)n);
	free(big);
}

/* A single-quoted JavaScript string literal of n bytes of s, ASCII only: quotes,
 * backslashes, '/' (so it never closes a comment), controls and non-ASCII escaped. */
static void quote_n(buf *b, const char *s, size_t n)
{
	bputs(b, "'");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\'' || c == '\\' || c == '/')
			bprintf(b, "\\%c", c);
		else if (c == '\n')
			bputs(b, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			bprintf(b, "\\x%02x", c);
		else
			bput(b, (const char *)&c, 1);
	}
	bputs(b, "'");
}

static void quote(buf *b, const char *s)
{
	quote_n(b, s, strlen(s));
}

/* Comment text: printable ASCII only (a line terminator would end a comment). */
static void comment_text(buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char ch = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		bput(b, &ch, 1);
	}
}

typedef struct emitter {
	const esc_scn *s;
	int place[ESC_MAX_OPS];     /* the VM-producing op whose sandbox runs op i; -1 host */
	int parent[ESC_MAX_OPS];    /* VM-producing ops: the parent VM's op, -1 for a root */
	unsigned ref[ESC_MAX_OPS];  /* VM-producing ops: the reference grants */
	unsigned cap[ESC_MAX_OPS];  /* module-producing ops: the capability */
	int catch_for[ESC_MAX_OPS]; /* op i's exception is caught by op catch_for[i], or -1 */
	uint8_t has_host[ESC_MAX_OPS];
	char err[160];
} emitter;

static const esc_op_desc *desc(const emitter *em, unsigned i)
{
	return &em->s->target->ops[em->s->ops[i].op];
}

static int prefixed(const char *tpl, const char *pfx)
{
	return strncmp(tpl, pfx, strlen(pfx)) == 0;
}

static int arg_index(const esc_op_desc *d, const char *name, size_t n)
{
	for (unsigned j = 0; j < d->nargs; j++)
		if (strlen(d->args[j].name) == n && memcmp(d->args[j].name, name, n) == 0)
			return (int)j;
	return -1;
}

static unsigned enum_arg(const emitter *em, unsigned i, const char *name)
{
	int j = arg_index(desc(em, i), name, strlen(name));
	return j < 0 ? 0 : (unsigned)em->s->ops[i].args[j].i;
}

/* Extra placeholders while rendering a catch site's wrapper. */
typedef struct extra {
	const char *body, *store;
} extra;

static void render(emitter *em, buf *b, const char *tpl, unsigned i, const extra *x,
		   unsigned depth);

static void render_arg(emitter *em, buf *b, unsigned i, unsigned j, unsigned depth)
{
	const esc_op_desc *d = desc(em, i);
	const esc_arg_desc *a = &d->args[j];
	const esc_arg *v = &em->s->ops[i].args[j];
	switch (a->kind) {
	case ESC_ARG_HANDLE:
		bprintf(b, "$%lld", (long long)v->i);
		break;
	case ESC_ARG_ENUM:
		if (a->js_values && a->js_values[v->i])
			render(em, b, a->js_values[v->i], i, NULL, depth + 1);
		else
			quote(b, a->values[v->i]);
		break;
	case ESC_ARG_INT:
		bprintf(b, "%lld", (long long)v->i);
		break;
	case ESC_ARG_STR:
		/* module names load code: only the names the model knows */
		if ((strcmp(a->name, "module") == 0 || strcmp(a->name, "name") == 0) &&
		    !vm2_module_cap(v->s))
			bputs(b, "'escapade-unknown-module'");
		else
			quote(b, v->s);
		break;
	default:
		break;
	}
}

static void render(emitter *em, buf *b, const char *tpl, unsigned i, const extra *x,
		   unsigned depth)
{
	if (depth > 4)
		return;
	const esc_op_desc *d = desc(em, i);
	for (const char *p = tpl; *p;) {
		const char *q = p;
		if (*p == '{') {
			q = p + 1;
			while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
			       (*q >= '0' && *q <= '9'))
				q++;
			if (*q == '}' && q > p + 1) {
				size_t n = (size_t)(q - p - 1);
				const char *name = p + 1;
				int j;
				if (n == 1 && name[0] == 'r')
					bprintf(b, em->place[i] < 0 ? "v%u" : "globalThis.$%u", i);
				else if (n == 1 && name[0] == 'i')
					bprintf(b, "%u", i);
				else if (x && n == 4 && memcmp(name, "body", 4) == 0)
					bputs(b, x->body);
				else if (x && n == 5 && memcmp(name, "store", 5) == 0)
					bputs(b, x->store);
				else if ((j = arg_index(d, name, n)) >= 0)
					render_arg(em, b, i, (unsigned)j, depth);
				else
					bput(b, p, (size_t)(q - p + 1));
				p = q + 1;
				continue;
			}
		}
		q = p + 1;
		while (*q && *q != '{')
			q++;
		bput(b, p, (size_t)(q - p));
		p = q;
	}
}

/* The host statement that runs sandbox code in the VM made by op k. */
static void in_vm(emitter *em, buf *out, unsigned k, const char *code)
{
	buf inner = { 0 };
	if (em->parent[k] < 0) {
		bprintf(out, "v%u.run(", k);
		quote(out, code);
		bputs(out, ");");
		return;
	}
	bprintf(&inner, "$%u.run(", k);
	quote(&inner, code);
	bputs(&inner, ");");
	if (inner.oom)
		out->oom = 1;
	else
		in_vm(em, out, (unsigned)em->parent[k], inner.p);
	free(inner.p);
}

/* Host statements handing host expression hv to VM k's global `name` with a policy
 * (a JavaScript string literal): a root VM directly, a nested one through its parents. */
static void give(emitter *em, buf *out, unsigned k, const char *name, const char *hv,
		 const char *mode, unsigned tag)
{
	if (em->parent[k] < 0) {
		bprintf(out, "__give(v%u, '%s', %s, %s); ", k, name, hv, mode);
		return;
	}
	char tmp[32], code[160];
	snprintf(tmp, sizeof(tmp), "__g%u_%u", tag, k);
	give(em, out, (unsigned)em->parent[k], tmp, hv, "'plain'", tag);
	snprintf(code, sizeof(code), "__give($%u, '%s', %s, %s);", k, name, tmp, mode);
	in_vm(em, out, (unsigned)em->parent[k], code);
	bputs(out, " ");
}

/* Reference grants of the VM op i makes (the model's, without any release's bugs). */
static unsigned vm_reference(emitter *em, unsigned i, int parent)
{
	unsigned rq = enum_arg(em, i, "require"), nest = enum_arg(em, i, "nesting");
	unsigned b = enum_arg(em, i, "builtin");
	if (arg_index(desc(em, i), "class", 5) >= 0 && enum_arg(em, i, "class") == 1)
		return 0; /* class VM: no require at all */
	unsigned ref = vm2_reference((enum vm2_shape)rq, (enum vm2_nest)nest,
				     vm2_builtin_caps(b) & ~vm2_builtin_deny(b));
	return parent < 0 ? ref : ref & em->ref[parent];
}

static int analyse(emitter *em)
{
	const esc_scn *s = em->s;
	for (unsigned i = 0; i < s->nops; i++) {
		const esc_op_desc *d = desc(em, i);
		em->place[i] = em->parent[i] = em->catch_for[i] = -1;
		em->ref[i] = em->cap[i] = 0;
		em->has_host[i] = 0;
		if (!d->js) {
			snprintf(em->err, sizeof(em->err), "op %s has no JavaScript", d->name);
			return -1;
		}
		int first = -1;
		for (unsigned j = 0; j < d->nargs && first < 0; j++)
			if (d->args[j].kind == ESC_ARG_HANDLE)
				first = (int)s->ops[i].args[j].i;
		if (first >= 0) {
			unsigned res = desc(em, (unsigned)first)->produces;
			em->place[i] = strcmp(s->target->res_kinds[res], "vm") == 0 ? first : em->place[first];
		}
		if (prefixed(d->js, "@host"))
			em->place[i] = -1;
		if (d->produces != ESC_NO_RES && strcmp(s->target->res_kinds[d->produces], "vm") == 0) {
			em->parent[i] = em->place[i];
			em->ref[i] = vm_reference(em, i, em->parent[i]);
		}
		if (d->produces != ESC_NO_RES && strcmp(s->target->res_kinds[d->produces], "module") == 0) {
			int j = arg_index(d, "module", 6);
			if (j < 0 || d->args[j].kind != ESC_ARG_STR)
				j = arg_index(d, "name", 4);
			if (j >= 0)
				em->cap[i] = vm2_module_cap(s->ops[i].args[j].s);
		}
		if (prefixed(d->js, "@catch")) {
			for (int k = (int)i - 1; k >= 0; k--) {
				const char *tpl = desc(em, (unsigned)k)->js;
				if (em->place[k] != em->place[i] || prefixed(tpl, "@"))
					continue;
				if (em->catch_for[k] < 0)
					em->catch_for[k] = (int)i;
				break;
			}
		}
	}
	return 0;
}

/* The sandbox code of op i, followed by its probe, wrapped by the site that catches it. */
static void sandbox_code(emitter *em, buf *code, unsigned i)
{
	const esc_op_desc *d = desc(em, i);
	const char *tpl = d->js;
	if (prefixed(tpl, "@catch "))
		tpl += 7;
	buf body = { 0 };
	render(em, &body, tpl, i, NULL, 0);
	const char *res = d->produces == ESC_NO_RES ? "" : em->s->target->res_kinds[d->produces];
	int k = em->place[i];
	if (strcmp(res, "obj") == 0)
		bprintf(&body, " __probe(globalThis.$%u);", i);
	else if (strcmp(res, "module") == 0 && k >= 0 && !(em->ref[k] & em->cap[i]))
		bprintf(&body, " __probe(globalThis.$%u);", i); /* beyond the embedder's grants */
	else if (strcmp(res, "vm") == 0)
		bprintf(&body, " $%u.setGlobal('__PRELUDE', __PRELUDE); $%u.run(__PRELUDE);", i, i);
	int j = em->catch_for[i];
	if (j >= 0 && !body.oom) {
		int site = arg_index(desc(em, (unsigned)j), "site", 4);
		const esc_arg_desc *a = &desc(em, (unsigned)j)->args[site];
		char store[32];
		snprintf(store, sizeof(store), "globalThis.__c%d", j);
		extra x = { body.p, store };
		render(em, code, a->js_values[em->s->ops[j].args[site].i], (unsigned)j, &x, 0);
	} else {
		bputs(code, body.p ? body.p : "");
	}
	if (body.oom)
		code->oom = 1;
	free(body.p);
}

/* One step: the host statements of op i. */
static void step(emitter *em, buf *out, unsigned i)
{
	const esc_op_desc *d = desc(em, i);
	buf st = { 0 };
	if (prefixed(d->js, "@host ")) {
		render(em, &st, d->js + 6, i, NULL, 0);
		if (d->produces != ESC_NO_RES &&
		    strcmp(em->s->target->res_kinds[d->produces], "vm") == 0)
			bprintf(&st, " v%u.setGlobal('__PRELUDE', __PRELUDE); v%u.run(__PRELUDE);", i, i);
	} else if (prefixed(d->js, "@give ")) {
		/* "@give VALUE MODE": the host value, then the chain of hand-overs */
		const char *sp = strrchr(d->js + 6, ' ');
		buf value = { 0 }, mode = { 0 };
		char name[16];
		if (sp) {
			char *vt = strndup(d->js + 6, (size_t)(sp - (d->js + 6)));
			if (vt)
				render(em, &value, vt, i, NULL, 0);
			else
				st.oom = 1;
			free(vt);
			render(em, &mode, sp + 1, i, NULL, 0);
		}
		snprintf(name, sizeof(name), "$%u", i);
		bprintf(&st, "const __t = %s; ", value.p ? value.p : "undefined");
		bprintf(&st, "if (%s !== 'plain') __guarded.push([__t, %s]); ", mode.p ? mode.p : "'plain'",
			mode.p ? mode.p : "'plain'");
		if (em->place[i] >= 0)
			give(em, &st, (unsigned)em->place[i], name, "__t", mode.p ? mode.p : "'plain'", i);
		st.oom |= value.oom | mode.oom;
		free(value.p);
		free(mode.p);
		if (em->place[i] >= 0) {
			char code[64];
			snprintf(code, sizeof(code), "__probe($%u);", i);
			in_vm(em, &st, (unsigned)em->place[i], code);
		}
	} else if (em->place[i] >= 0) {
		unsigned k = (unsigned)em->place[i];
		buf code = { 0 };
		sandbox_code(em, &code, i);
		if (code.p && strstr(code.p, "__host.") && !em->has_host[k]) {
			give(em, &st, k, "__host", "__host", "'plain'", i);
			em->has_host[k] = 1;
		}
		in_vm(em, &st, k, code.p ? code.p : "");
		st.oom |= code.oom;
		free(code.p);
	}
	char text[512];
	esc_print_op(em->s, i, text, sizeof(text));
	bprintf(out, "\tawait __step(%u, ", i);
	quote(out, text);
	bputs(out, ", async () => { ");
	bputs(out, st.p ? st.p : "");
	bputs(out, " });\n");
	if (st.oom)
		out->oom = 1;
	free(st.p);
}

/* The fixed parts of every program: what the host provides, and the sandbox prelude
 * (a function shipped into each VM as source). */
static const char program_head[] =
	"'use strict';\n"
	"const vm2 = require('vm2');\n"
	"const {NodeVM, VM} = vm2;\n"
	"const __fs = require('fs'), __os = require('os'), __path = require('path');\n"
	"const __util = require('util');\n"
	"process.env.ESCAPADE_FLAG = __path.join(__os.tmpdir(), `escapade-${process.pid}.flag`);\n"
	"const __FSFLAG = __path.join(__os.tmpdir(), `escapade-${process.pid}.fs`);\n"
	"for (const f of [process.env.ESCAPADE_FLAG, __FSFLAG]) try { __fs.unlinkSync(f); } catch (e) {}\n"
	"\n"
	"// require: a Resolver. vm2 exports makeResolverFromLegacyOptions since 3.9.10; where it\n"
	"// does not, the plain config object is passed instead (vm2 then treats it as one).\n"
	"function __resolver(opts) {\n"
	"\treturn typeof vm2.makeResolverFromLegacyOptions === 'function' ?\n"
	"\t\tvm2.makeResolverFromLegacyOptions(opts) : opts;\n"
	"}\n"
	"\n"
	"// Host values the embedder hands to a VM (host.expose).\n"
	"function __hostvalue(what) {\n"
	"\tconst sub = {escapade: 'host object'};\n"
	"\tswitch (what) {\n"
	"\tcase 'object': return {escapade_x: sub};\n"
	"\tcase 'array': return [sub];\n"
	"\tcase 'function': return function escapadeHostIdentity(a) { return a; };\n"
	"\tcase 'thrower': {\n"
	"\t\tconst e = new Error('escapade host error', {cause: new Error('escapade host cause')});\n"
	"\t\treturn function escapadeHostThrower() { throw e; };\n"
	"\t}\n"
	"\tcase 'aggregate': {\n"
	"\t\tconst e = new Error('escapade host error');\n"
	"\t\tconst a = new AggregateError([e], 'escapade host aggregate', {cause: e});\n"
	"\t\treturn function escapadeHostAggregate() { throw a; };\n"
	"\t}\n"
	"\tcase 'promise': return Promise.resolve(sub);\n"
	"\tcase 'rejected': { const p = Promise.reject(new Error('escapade host rejection')); p.catch(() => {}); return p; }\n"
	"\t}\n"
	"\treturn sub;\n"
	"}\n"
	"\n"
	"// The embedder's host API (host.alg): host algorithms run on what the sandbox passes.\n"
	"const __host = {\n"
	"\tmap(a) { return Array.prototype.map.call(a, (e) => ({e})); },\n"
	"\tthen(p) { return Promise.prototype.then.call(p, (x) => x); },\n"
	"\tinspect(o) { return __util.inspect(o); },\n"
	"\tstack(o, f) { return f(); },\n"
	"\tstring(o) { return String(o); },\n"
	"};\n"
	"\n"
	"// Hands a value to a VM's global: plain, read-only (freeze) or protected.\n"
	"function __give(vm, name, value, mode) {\n"
	"\tif (mode === 'readonly') vm.freeze(value, name);\n"
	"\telse if (mode === 'protected') vm.protect(value, name);\n"
	"\telse vm.setGlobal(name, value);\n"
	"}\n"
	"const __guarded = [];\n"
	"\n"
	"// Runs in every VM (shipped as source): the probe, sandbox functions, catch helpers.\n"
	"function __sandboxPrelude(FSFLAG) {\n"
	"\tconst g = globalThis;\n"
	"\tconst MARK = 'echo \"ESCAPADE: host-execution reached\"; : > \"$ESCAPADE_FLAG\"';\n"
	"\tconst isObj = (x) => x !== null && (typeof x === 'object' || typeof x === 'function');\n"
	"\tlet depth = 0;\n"
	"\tfunction viaProcess(P) {\n"
	"\t\tif (!isObj(P)) return false;\n"
	"\t\tlet load = null;\n"
	"\t\ttry { if (typeof P.getBuiltinModule === 'function') load = (n) => P.getBuiltinModule(n); } catch (e) {}\n"
	"\t\ttry { if (!load && P.mainModule && typeof P.mainModule.require === 'function') load = (n) => P.mainModule.require(n); } catch (e) {}\n"
	"\t\tif (!load) return false;\n"
	"\t\tload('child_process').execSync(MARK, {stdio: 'inherit'});\n"
	"\t\treturn true;\n"
	"\t}\n"
	"\tfunction tryOne(x) {\n"
	"\t\tif (!isObj(x)) return false;\n"
	"\t\ttry { if (typeof x.execSync === 'function') { x.execSync(MARK, {stdio: 'inherit'}); return true; } } catch (e) {}\n"
	"\t\ttry { if (typeof x.writeFileSync === 'function' && typeof x.existsSync === 'function') { x.writeFileSync(FSFLAG, 'escapade'); return true; } } catch (e) {}\n"
	"\t\ttry { if (typeof x._load === 'function') { x._load('child_process').execSync(MARK, {stdio: 'inherit'}); return true; } } catch (e) {}\n"
	"\t\ttry { if (viaProcess(x)) return true; } catch (e) {}\n"
	"\t\ttry { if (viaProcess(x.constructor.constructor('return process')())) return true; } catch (e) {}\n"
	"\t\ttry { if (typeof x.getThis === 'function' && tryOne(x.getThis())) return true; } catch (e) {}\n"
	"\t\treturn false;\n"
	"\t}\n"
	"\tg.__probe = function (x) {\n"
	"\t\tif (depth > 2) return;\n"
	"\t\tdepth++;\n"
	"\t\ttry {\n"
	"\t\t\tif (tryOne(x)) return;\n"
	"\t\t\tconst keys = [0, 1, 'cause', 'errors', 'error', 'value', 'get', 'set', 'e'];\n"
	"\t\t\tfor (let i = 0; i < keys.length; i++) {\n"
	"\t\t\t\ttry {\n"
	"\t\t\t\t\tconst y = x[keys[i]];\n"
	"\t\t\t\t\tif (tryOne(y) || (isObj(y) && (tryOne(y[0]) || tryOne(y[1]) || tryOne(y.e)))) return;\n"
	"\t\t\t\t} catch (e) {}\n"
	"\t\t\t}\n"
	"\t\t} finally { depth--; }\n"
	"\t};\n"
	"\t// sandbox functions (obj.new function): probe what they are handed\n"
	"\tg.__fn = function () {\n"
	"\t\treturn function escapadeFn(...a) {\n"
	"\t\t\tg.__probe(this);\n"
	"\t\t\tfor (let i = 0; i < a.length; i++) g.__probe(a[i]);\n"
	"\t\t\treturn a[0];\n"
	"\t\t};\n"
	"\t};\n"
	"\tg.__caught = function (j) {\n"
	"\t\tif (!(('__c' + j) in g)) throw new Error('nothing was caught');\n"
	"\t\treturn g['__c' + j];\n"
	"\t};\n"
	"\tg.__overflow = function (f) {\n"
	"\t\tconst r = (d) => { f(d); return r(d + 1) + 1; };\n"
	"\t\tr(0);\n"
	"\t};\n"
	"\t// i.return(thenable) on an async generator delegating to an iterator without return:\n"
	"\t// a synchronous throw in then() surfaces as the iterator's result (GHSA-248r).\n"
	"\tg.__asyncgen = function (body, store) {\n"
	"\t\tconst inner = {[Symbol.asyncIterator]() { return this; }, next() { return Promise.resolve({value: 0, done: false}); }};\n"
	"\t\tconst it = (async function* () { yield* inner; })();\n"
	"\t\tit.next().then(() => it.return({then() { body(); }})).then((r) => store(r && r.value), store);\n"
	"\t};\n"
	"\tg.__give = function (vm, name, value, mode) {\n"
	"\t\tif (mode === 'readonly') vm.freeze(value, name);\n"
	"\t\telse if (mode === 'protected') vm.protect(value, name);\n"
	"\t\telse vm.setGlobal(name, value);\n"
	"\t};\n"
	"\t// require: a Resolver inside a sandbox: require('vm2') there is {VM, NodeVM} only, so\n"
	"\t// makeResolverFromLegacyOptions is out of reach: a plain config object instead.\n"
	"\tg.__resolver = function (opts) { return opts; };\n"
	"}\n"
	"const __PRELUDE = '(' + __sandboxPrelude.toString() + ')(' + JSON.stringify(__FSFLAG) + ');';\n"
	"\n"
	"const __tick = () => new Promise((resolve) => setImmediate(resolve));\n"
	"function __msg(e) {\n"
	"\ttry { return String((e && e.message) || e).split('\\n')[0].slice(0, 160); } catch (x) { return '(unprintable)'; }\n"
	"}\n"
	"async function __step(i, text, fn) {\n"
	"\ttry { await fn(); console.log(`# step ${i}: ${text}`); } catch (e) { console.log(`# step ${i}: ${text}: threw: ${__msg(e)}`); }\n"
	"\tawait __tick();\n"
	"}\n"
	"\n"
	"// After the run: host-side checks of protected host state, then the verdict line.\n"
	"function __verdict() {\n"
	"\tlet reached = false;\n"
	"\ttry { __fs.unlinkSync(process.env.ESCAPADE_FLAG); reached = true; } catch (e) {}\n"
	"\tconst own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);\n"
	"\tconst intrinsics = {Object, 'Object.prototype': Object.prototype, Function,\n"
	"\t\t'Function.prototype': Function.prototype, Array, 'Array.prototype': Array.prototype, Error,\n"
	"\t\t'Error.prototype': Error.prototype, Promise, 'Promise.prototype': Promise.prototype};\n"
	"\tfor (const [name, o] of Object.entries(intrinsics)) {\n"
	"\t\tif (own(o, 'escapade_x')) {\n"
	"\t\t\tconsole.log(`ESCAPADE: integrity-violation reached (host ${name}.escapade_x written)`);\n"
	"\t\t\treached = true;\n"
	"\t\t}\n"
	"\t}\n"
	"\tfor (const [o, mode] of __guarded) {\n"
	"\t\tif (own(o, 'escapade_x') && (mode === 'readonly' || typeof o.escapade_x === 'function')) {\n"
	"\t\t\tconsole.log(`ESCAPADE: integrity-violation reached (a ${mode} host object got escapade_x)`);\n"
	"\t\t\treached = true;\n"
	"\t\t}\n"
	"\t}\n"
	"\ttry { __fs.unlinkSync(__FSFLAG); console.log('ESCAPADE: integrity-violation reached (fs beyond the grants wrote a host file)'); reached = true; } catch (e) {}\n"
	"\tif (!reached) console.log('ESCAPADE: contained');\n"
	"}\n";

int vm2_emit_js(const esc_scn *s, FILE *out, char *err, size_t errlen)
{
	emitter *em = calloc(1, sizeof(*em));
	if (!em) {
		snprintf(err, errlen, "out of memory");
		return ESC_E_NOMEM;
	}
	em->s = s;
	if (analyse(em)) {
		snprintf(err, errlen, "%s", em->err);
		free(em);
		return ESC_E_INVALID;
	}
	buf b = { 0 };
	bputs(&b, "#!/usr/bin/env node\n"
		  "// Emitted by `escapade repro FILE --emit js` from a vm2model scenario: replays its\n"
		  "// ops against the real vm2 package (NODE_PATH or node_modules). Prints\n"
		  "// 'ESCAPADE: host-execution reached' (an exec'd echo: host authority), or\n"
		  "// 'ESCAPADE: integrity-violation reached (...)' (host-side check after the run), or\n"
		  "// 'ESCAPADE: contained'. Run: targets/vm2model/run-js.sh VERSION THIS.js\n");
	for (unsigned n = 0; n < s->nnotes; n++) {
		bputs(&b, "// note: ");
		comment_text(&b, s->notes[n]);
		bputs(&b, "\n");
	}
	for (unsigned e = 0; e < s->nexpect; e++) {
		const esc_expect *x = &s->expect[e];
		bprintf(&b, "// model: %s %s%s\n", s->target->profiles[x->profile],
			x->kind == ESC_CONTAINED ? "contained" : "escape ",
			x->kind == ESC_CONTAINED ? "" : esc_verdict_name(x->kind));
	}
	bputs(&b, program_head);
	bputs(&b, "\n");
	int any = 0;
	for (unsigned i = 0; i < s->nops; i++) {
		const char *js = desc(em, i)->js;
		if (prefixed(js, "@host ") && em->place[i] < 0 && desc(em, i)->produces != ESC_NO_RES) {
			bprintf(&b, "%s v%u", any ? "," : "let", i);
			any = 1;
		}
	}
	if (any)
		bputs(&b, ";\n");
	bputs(&b, "(async () => {\n");
	for (unsigned i = 0; i < s->nops; i++)
		step(em, &b, i);
	bputs(&b, "\tawait __tick();\n\tawait __tick();\n"
		  "})().catch((e) => console.log(`# program error: ${__msg(e)}`)).finally(__verdict);\n");
	int rc = 0;
	if (b.oom) {
		snprintf(err, errlen, "out of memory");
		rc = ESC_E_NOMEM;
	} else if (fwrite(b.p, 1, b.len, out) != b.len) {
		snprintf(err, errlen, "write error");
		rc = ESC_E_IO;
	}
	free(b.p);
	free(em);
	return rc;
}

/* Small helpers of the core: the growable string buffer and canonical handle names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int sb_reserve(esc_sb *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void esc_sb_printf(esc_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void esc_sb_putc(esc_sb *b, char c)
{
	if (sb_reserve(b, 1))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

void esc_sb_puts(esc_sb *b, const char *s)
{
	size_t n = strlen(s);
	if (sb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

char *esc_sb_take(esc_sb *b)
{
	if (b->oom) {
		free(b->p);
		memset(b, 0, sizeof(*b));
		return NULL;
	}
	if (!b->p && sb_reserve(b, 0))
		return NULL;
	char *p = b->p;
	if (p)
		p[b->len] = 0;
	memset(b, 0, sizeof(*b));
	return p;
}

void esc_names_compute(const esc_scn *s, esc_names *nm)
{
	int next = 0;
	for (unsigned i = 0; i < s->nops; i++)
		nm->name[i] = esc_scn_result_used(s, i) ? next++ : -1;
}

char *esc_join(char *buf, size_t len, const char *const *names, unsigned n)
{
	size_t used = 0;
	if (len)
		buf[0] = 0;
	for (unsigned k = 0; k < n && used < len; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k ? " " : "", names[k]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

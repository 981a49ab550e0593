/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Memory, strings, lists, diagnostics and clocks for pg_migrate.
 *
 * Allocation failures end the program (exit status 1, "out of memory"):
 * a command-line client has nothing better to do.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Diag	   *diags = NULL;
size_t		n_diags = 0;
static size_t diags_cap = 0;

void
pgm_fatal_oom(void)
{
	fprintf(stderr, "%s: error: out of memory\n", progname);
	exit(PGM_EXIT_FAIL);
}

void *
pgm_malloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		pgm_fatal_oom();
	return p;
}

void *
pgm_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		pgm_fatal_oom();
	return p;
}

char *
pgm_strdup(const char *s)
{
	return pgm_strndup(s, strlen(s));
}

char *
pgm_strndup(const char *s, size_t n)
{
	char	   *p = pgm_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *vpsprintf(const char *fmt, va_list ap) PGM_PRINTF(1, 0);

static char *
vpsprintf(const char *fmt, va_list ap)
{
	va_list		ap2;
	int			n;
	char	   *out;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return pgm_strdup("");
	out = pgm_malloc((size_t) n + 1);
	vsnprintf(out, (size_t) n + 1, fmt, ap);
	return out;
}

char *
pgm_psprintf(const char *fmt,...)
{
	va_list		ap;
	char	   *out;

	va_start(ap, fmt);
	out = vpsprintf(fmt, ap);
	va_end(ap);
	return out;
}

/* ---------------------------------------------------------------------
 * StrBuf
 * ---------------------------------------------------------------------
 */
void
sb_init(StrBuf *sb)
{
	sb->cap = 256;
	sb->len = 0;
	sb->data = pgm_malloc(sb->cap);
	sb->data[0] = '\0';
}

static void
sb_reserve(StrBuf *sb, size_t more)
{
	if (sb->len + more + 1 > sb->cap)
	{
		while (sb->len + more + 1 > sb->cap)
			sb->cap *= 2;
		sb->data = pgm_realloc(sb->data, sb->cap);
	}
}

void
sb_appendn(StrBuf *sb, const char *s, size_t n)
{
	sb_reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
sb_append(StrBuf *sb, const char *s)
{
	sb_appendn(sb, s, strlen(s));
}

void
sb_appendc(StrBuf *sb, char c)
{
	sb_appendn(sb, &c, 1);
}

void
sb_appendf(StrBuf *sb, const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = vpsprintf(fmt, ap);
	va_end(ap);
	sb_append(sb, s);
	free(s);
}

void
sb_free(StrBuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* ---------------------------------------------------------------------
 * StrList
 * ---------------------------------------------------------------------
 */
void
sl_add(StrList *sl, const char *s)
{
	if (sl->n == sl->cap)
	{
		sl->cap = sl->cap ? sl->cap * 2 : 8;
		sl->items = pgm_realloc(sl->items, sl->cap * sizeof(char *));
	}
	sl->items[sl->n++] = pgm_strdup(s);
}

bool
sl_contains(const StrList *sl, const char *s)
{
	for (size_t i = 0; i < sl->n; i++)
		if (strcmp(sl->items[i], s) == 0)
			return true;
	return false;
}

void
sl_add_unique(StrList *sl, const char *s)
{
	if (!sl_contains(sl, s))
		sl_add(sl, s);
}

char *
sl_join(const StrList *sl, const char *sep)
{
	StrBuf		sb;

	sb_init(&sb);
	for (size_t i = 0; i < sl->n; i++)
	{
		if (i > 0)
			sb_append(&sb, sep);
		sb_append(&sb, sl->items[i]);
	}
	return sb.data;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void
sl_sort(StrList *sl)
{
	if (sl->n > 1)
		qsort(sl->items, sl->n, sizeof(char *), cmp_str);
}

void
sl_free(StrList *sl)
{
	for (size_t i = 0; i < sl->n; i++)
		free(sl->items[i]);
	free(sl->items);
	sl->items = NULL;
	sl->n = sl->cap = 0;
}

/* ---------------------------------------------------------------------
 * Clocks
 * ---------------------------------------------------------------------
 */
double
pgm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

char *
pgm_format_seconds(double s)
{
	static char buf[4][32];
	static int	next = 0;
	char	   *b = buf[next++ % 4];

	if (s < 0)
		s = 0;
	if (s < 1)
		snprintf(b, 32, "%.0f ms", s * 1000);
	else if (s < 60)
		snprintf(b, 32, "%.1f s", s);
	else
		snprintf(b, 32, "%dm%02ds", (int) (s / 60), (int) s % 60);
	return b;
}

/* ---------------------------------------------------------------------
 * Diagnostics
 * ---------------------------------------------------------------------
 */
static Diag *
new_diag(const char *severity, char *message)
{
	Diag	   *d;

	if (n_diags == diags_cap)
	{
		diags_cap = diags_cap ? diags_cap * 2 : 16;
		diags = pgm_realloc(diags, diags_cap * sizeof(Diag));
	}
	d = &diags[n_diags++];
	memset(d, 0, sizeof(*d));
	d->severity = severity;
	d->message = message;
	return d;
}

void
pgm_error(const char *fmt,...)
{
	va_list		ap;
	char	   *msg;

	va_start(ap, fmt);
	msg = vpsprintf(fmt, ap);
	va_end(ap);
	new_diag("error", msg);
	fprintf(stderr, "%s: error: %s\n", progname, msg);
}

/* A server error: "message (SQLSTATE 42P07)" on stderr, both kept apart */
void
pgm_error_sqlstate(const char *prefix, const char *message, const char *sqlstate)
{
	Diag	   *d = new_diag("error", pgm_psprintf("%s%s", prefix ? prefix : "", message));

	if (sqlstate != NULL)
	{
		d->sqlstate = pgm_strdup(sqlstate);
		fprintf(stderr, "%s: error: %s (SQLSTATE %s)\n", progname, d->message, sqlstate);
	}
	else
		fprintf(stderr, "%s: error: %s\n", progname, d->message);
}

/* The one-line form of a diagnostic, for summaries. */
char *
diag_text(const Diag *d)
{
	if (d->sqlstate != NULL)
		return pgm_psprintf("%s (SQLSTATE %s)", d->message, d->sqlstate);
	return pgm_strdup(d->message);
}

void
pgm_warning(const char *fmt,...)
{
	va_list		ap;
	char	   *msg;

	va_start(ap, fmt);
	msg = vpsprintf(fmt, ap);
	va_end(ap);
	new_diag("warning", msg);
	fprintf(stderr, "%s: warning: %s\n", progname, msg);
}

/* "path:line: error: message", the compilers' form that editors follow */
void
pgm_file_error(const char *file, size_t line, const char *fmt,...)
{
	va_list		ap;
	char	   *msg;
	Diag	   *d;

	va_start(ap, fmt);
	msg = vpsprintf(fmt, ap);
	va_end(ap);
	d = new_diag("error", msg);
	d->file = pgm_strdup(file);
	d->line = line;
	if (line > 0)
		fprintf(stderr, "%s:%zu: error: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: error: %s\n", file, msg);
}

void
pgm_error_hint(const char *hint)
{
	if (n_diags == 0)
		return;
	diags[n_diags - 1].hint = pgm_strdup(hint);
	fprintf(stderr, "HINT:  %s\n", hint);
}

void
pgm_error_detail(const char *detail)
{
	if (n_diags == 0)
		return;
	diags[n_diags - 1].detail = pgm_strdup(detail);
	fprintf(stderr, "DETAIL:  %s\n", detail);
}

void
pgm_info(const char *fmt,...)
{
	va_list		ap;

	if (opt.quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

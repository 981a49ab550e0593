/*-------------------------------------------------------------------------
 *
 * revfile.c
 *	  A strict parser for revision files, in plain C99 (see revfile.h for
 *	  the format).
 *
 * One parser for every reader of revision files: the extension's
 * migrate.add_file (src/revfile_sql.c), the client (pg_migrate) and the fuzz
 * harness link this file as it is, with idrule.c for the id rule.  No
 * PostgreSQL header here.  The parser works on (pointer, length), never
 * past "len", keeps no global state, and allocates only through the
 * caller's allocator; every allocation hangs off the RevFile, so
 * revfile_free releases all of it whatever happened, allocation failures
 * included.
 *
 * IDENTIFICATION
 *	  common/revfile.c
 *
 *-------------------------------------------------------------------------
 */
#include "revfile.h"
#include "idrule.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* how much of an offending id or key an error message shows */
#define SHOW_MAX	64
#define SHOW(len)	((int) ((len) > SHOW_MAX ? SHOW_MAX : (len)))
#define ELLIPSIS(len)	((len) > SHOW_MAX ? "..." : "")

typedef enum Key
{
	KEY_REVISION,
	KEY_DOWN_REVISION,
	KEY_MESSAGE,
	KEY_BRANCH_LABELS,
	KEY_DEPENDS_ON,
	KEY_TRANSACTIONAL,
	KEY_UPGRADE,
	KEY_DOWNGRADE,
	NKEYS,
	KEY_UNKNOWN = NKEYS
} Key;

static const char *const key_names[NKEYS] = {
	"revision", "down_revision", "message", "branch_labels", "depends_on",
	"transactional", "upgrade", "downgrade"
};

#define KNOWN_KEYS "revision, down_revision, message, branch_labels, " \
	"depends_on, transactional, upgrade, downgrade"

typedef enum State
{
	ST_HEADER,					/* before the upgrade marker */
	ST_UPGRADE,					/* inside the upgrade body */
	ST_DOWNGRADE,				/* inside the downgrade body */
	ST_IGNORE					/* after a misplaced marker: skip text */
} State;

typedef struct Parser
{
	RevFile    *rf;
	const char *data;
	size_t		len;
	State		state;
	size_t		key_line[NKEYS];	/* line of the first use of each key */
	bool		stray_reported;
	bool		nul_reported;
	size_t		up_start,
				up_end;
	size_t		down_start,
				down_end;
	size_t		nlines;
} Parser;

/* ---------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------
 */
static void *
default_alloc(size_t size, void *arg)
{
	(void) arg;
	return malloc(size ? size : 1);
}

static void
default_release(void *ptr, void *arg)
{
	(void) arg;
	free(ptr);
}

static void *
rf_alloc(RevFile *rf, size_t size)
{
	void	   *p;

	if (rf->out_of_memory)
		return NULL;
	p = rf->allocator.alloc(size, rf->allocator.arg);
	if (p == NULL)
		rf->out_of_memory = true;
	return p;
}

static void
rf_release(RevFile *rf, void *ptr)
{
	if (ptr != NULL)
		rf->allocator.release(ptr, rf->allocator.arg);
}

static char *
rf_strndup(RevFile *rf, const char *s, size_t n)
{
	char	   *out;

	if (n == (size_t) -1)
	{
		rf->out_of_memory = true;
		return NULL;
	}
	out = rf_alloc(rf, n + 1);
	if (out == NULL)
		return NULL;
	if (n > 0)
		memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static void
free_list(RevFile *rf, char **items, size_t n)
{
	if (items == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		rf_release(rf, items[i]);
	rf_release(rf, items);
}

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
rf_add_error(Parser *p, size_t line, const char *fmt,...)
{
	RevFile    *rf = p->rf;
	char		buf[512];
	va_list		ap;
	int			n;
	char	   *msg;

	if (rf->out_of_memory)
		return;
	rf->n_errors_total++;
	if (rf->n_errors >= REVFILE_MAX_ERRORS)
	{
		rf->errors_truncated = true;
		return;
	}
	if (rf->errors == NULL)
	{
		rf->errors = rf_alloc(rf, sizeof(RevFileError) * REVFILE_MAX_ERRORS);
		if (rf->errors == NULL)
			return;
	}

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';

	msg = rf_strndup(rf, buf, strlen(buf));
	if (msg == NULL)
		return;
	rf->errors[rf->n_errors].line = line;
	rf->errors[rf->n_errors].message = msg;
	rf->n_errors++;
}

/* stable insertion sort by line (at most REVFILE_MAX_ERRORS entries) */
static void
rf_sort_errors(RevFile *rf)
{
	for (size_t i = 1; i < rf->n_errors; i++)
	{
		RevFileError e = rf->errors[i];
		size_t		j = i;

		while (j > 0 && rf->errors[j - 1].line > e.line)
		{
			rf->errors[j] = rf->errors[j - 1];
			j--;
		}
		rf->errors[j] = e;
	}
}

/* ---------------------------------------------------------------------
 * Ids (the rule itself is idrule.c's)
 * ---------------------------------------------------------------------
 */
static unsigned char
to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char) (c - 'A' + 'a') : c;
}

/* case-insensitive (ASCII) comparison of s[0..n) with a lower-case word */
static bool
equals_ci(const char *s, size_t n, const char *word)
{
	size_t		wl = strlen(word);

	if (n != wl)
		return false;
	for (size_t i = 0; i < n; i++)
		if (to_lower((unsigned char) s[i]) != (unsigned char) word[i])
			return false;
	return true;
}

bool
revfile_id_is_valid(const char *s, const char **reason)
{
	MigrateIdProblem problem = migrate_id_problem(s);

	if (reason != NULL)
		*reason = migrate_id_problem_clause(problem);
	return problem == MIGRATE_ID_OK;
}

/* ---------------------------------------------------------------------
 * Lines
 * ---------------------------------------------------------------------
 */
static bool
rf_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
trim(const char *data, size_t *start, size_t *end)
{
	while (*start < *end && rf_is_blank(data[*start]))
		(*start)++;
	while (*end > *start && rf_is_blank(data[*end - 1]))
		(*end)--;
}

static const char *
key_what(Key k)
{
	switch (k)
	{
		case KEY_DOWN_REVISION:
			return "parent revision id";
		case KEY_BRANCH_LABELS:
			return "branch label";
		case KEY_DEPENDS_ON:
			return "dependency revision id";
		default:
			return "revision id";
	}
}

/*
 * A dependency: a revision id, or "project:id", a revision of another
 * project of the database (':' cannot occur in an id).
 */
bool
revfile_dependency_is_valid(const char *s, const char **reason)
{
	const char *colon = strchr(s, ':');
	char		project[MIGRATE_ID_MAXLEN + 1];
	size_t		len;

	if (colon == NULL)
		return revfile_id_is_valid(s, reason);
	len = (size_t) (colon - s);
	if (len == 0 || len > MIGRATE_ID_MAXLEN)
	{
		*reason = len == 0 ? "\"project:id\" names a project before the colon"
			: "a project name has at most 128 characters";
		return false;
	}
	memcpy(project, s, len);
	project[len] = '\0';
	if (!revfile_id_is_valid(project, reason))
		return false;
	return revfile_id_is_valid(colon + 1, reason);
}

/*
 * Parse the comma list data[vs..ve) of directive k on "line" into
 * (*items, *n).  Empty value: empty list.  On any error the list is freed
 * and left empty (the errors are recorded).
 */
static void
parse_list(Parser *p, size_t line, Key k, size_t vs, size_t ve,
		   char ***items, size_t *n)
{
	RevFile    *rf = p->rf;
	const char *d = p->data;
	size_t		count = 1;
	size_t		got = 0;
	bool		failed = false;
	char	  **out;
	size_t		pos;

	*items = NULL;
	*n = 0;
	if (vs == ve)
		return;

	for (size_t i = vs; i < ve; i++)
		if (d[i] == ',')
			count++;
	out = rf_alloc(rf, sizeof(char *) * count);
	if (out == NULL)
		return;

	pos = vs;
	for (size_t item = 0; item < count; item++)
	{
		size_t		s = pos;
		size_t		e = pos;
		char	   *id;
		const char *reason;

		while (e < ve && d[e] != ',')
			e++;
		pos = e + 1;
		trim(d, &s, &e);
		if (s == e)
		{
			rf_add_error(p, line, "empty item in the list of \"-- migrate:%s\" (item %zu of %zu)",
					  key_names[k], item + 1, count);
			failed = true;
			continue;
		}
		id = rf_strndup(rf, d + s, e - s);
		if (id == NULL)
		{
			failed = true;
			break;
		}
		if (k == KEY_DEPENDS_ON ? !revfile_dependency_is_valid(id, &reason)
			: !revfile_id_is_valid(id, &reason))
		{
			rf_add_error(p, line, "invalid %s \"%.*s%s\" in \"-- migrate:%s\": %s",
					  key_what(k), SHOW(e - s), id, ELLIPSIS(e - s),
					  key_names[k], reason);
			rf_release(rf, id);
			failed = true;
			continue;
		}
		for (size_t j = 0; j < got; j++)
		{
			if (strcmp(out[j], id) == 0)
			{
				rf_add_error(p, line, "\"-- migrate:%s\" lists \"%s\" twice",
						  key_names[k], id);
				rf_release(rf, id);
				id = NULL;
				failed = true;
				break;
			}
		}
		if (id != NULL)
			out[got++] = id;
	}

	if (failed)
	{
		free_list(rf, out, got);
		return;
	}
	*items = out;
	*n = got;
}

/* A header directive (k is neither upgrade nor downgrade) in the header. */
static void
header_directive(Parser *p, size_t line, Key k, size_t vs, size_t ve)
{
	RevFile    *rf = p->rf;
	const char *d = p->data;
	size_t		vlen = ve - vs;

	if (p->key_line[k] != 0)
	{
		rf_add_error(p, line, "repeated \"-- migrate:%s\" (first on line %zu)",
				  key_names[k], p->key_line[k]);
		return;
	}
	p->key_line[k] = line;

	switch (k)
	{
		case KEY_REVISION:
			{
				char	   *id;
				const char *reason;

				if (vlen == 0)
				{
					rf_add_error(p, line, "\"-- migrate:revision\" needs an id");
					return;
				}
				id = rf_strndup(rf, d + vs, vlen);
				if (id == NULL)
					return;
				if (!revfile_id_is_valid(id, &reason))
				{
					rf_add_error(p, line, "invalid revision id \"%.*s%s\": %s",
							  SHOW(vlen), id, ELLIPSIS(vlen), reason);
					rf_release(rf, id);
					return;
				}
				rf->revision = id;
				return;
			}
		case KEY_DOWN_REVISION:
			parse_list(p, line, k, vs, ve, &rf->down_revision, &rf->n_down_revision);
			return;
		case KEY_BRANCH_LABELS:
			parse_list(p, line, k, vs, ve, &rf->branch_labels, &rf->n_branch_labels);
			return;
		case KEY_DEPENDS_ON:
			parse_list(p, line, k, vs, ve, &rf->depends_on, &rf->n_depends_on);
			return;
		case KEY_MESSAGE:
			if (vlen > 0)
				rf->message = rf_strndup(rf, d + vs, vlen);
			return;
		case KEY_TRANSACTIONAL:
			if (equals_ci(d + vs, vlen, "true"))
				rf->transactional = true;
			else if (equals_ci(d + vs, vlen, "false"))
				rf->transactional = false;
			else
				rf_add_error(p, line, "\"-- migrate:transactional\" must be true or false, not \"%.*s%s\"",
						  SHOW(vlen), d + vs, ELLIPSIS(vlen));
			return;
		default:
			return;
	}
}

/* End the body being collected (if any) where the marker line starts. */
static void
close_body(Parser *p, size_t at)
{
	if (p->state == ST_UPGRADE)
		p->up_end = at;
	else if (p->state == ST_DOWNGRADE)
		p->down_end = at;
}

static void
section_marker(Parser *p, size_t line, Key k, size_t vs, size_t ve,
			   size_t start, size_t next)
{
	RevFile    *rf = p->rf;
	const char *name = key_names[k];

	if (ve > vs)
		rf_add_error(p, line, "\"-- migrate:%s\" takes no value (found \"%.*s%s\")",
				  name, SHOW(ve - vs), p->data + vs, ELLIPSIS(ve - vs));
	close_body(p, start);

	if (k == KEY_UPGRADE)
	{
		if (rf->upgrade_line != 0)
		{
			rf_add_error(p, line, "second \"-- migrate:upgrade\" section (the first is on line %zu)",
					  rf->upgrade_line);
			p->state = ST_IGNORE;
			return;
		}
		/* after a misplaced downgrade marker too: that one was reported */
		rf->upgrade_line = line;
		p->up_start = p->up_end = next;
		p->state = ST_UPGRADE;
	}
	else
	{
		if (rf->upgrade_line == 0)
		{
			rf_add_error(p, line, "\"-- migrate:downgrade\" section before the \"-- migrate:upgrade\" section");
			p->state = ST_IGNORE;
			return;
		}
		if (rf->downgrade_line != 0)
		{
			rf_add_error(p, line, "second \"-- migrate:downgrade\" section (the first is on line %zu)",
					  rf->downgrade_line);
			p->state = ST_IGNORE;
			return;
		}
		rf->downgrade_line = line;
		p->down_start = p->down_end = next;
		p->state = ST_DOWNGRADE;
	}
}

/*
 * One line: data[start..end) without its '\n'; the next line starts at
 * "next".
 */
static void
process_line(Parser *p, size_t line, size_t start, size_t end, size_t next)
{
	const char *d = p->data;
	size_t		cend = end;
	size_t		i = start;
	const char *nul;

	if (cend > start && d[cend - 1] == '\r')
		cend--;

	nul = memchr(d + start, '\0', end - start);
	if (nul != NULL)
	{
		if (!p->nul_reported)
			rf_add_error(p, line, "NUL byte at column %zu", (size_t) (nul - (d + start)) + 1);
		p->nul_reported = true;
		p->stray_reported = true;	/* do not report that line again */
		return;
	}

	while (i < cend && rf_is_blank(d[i]))
		i++;

	/* blank line */
	if (i == cend)
		return;

	if (cend - i >= 2 && d[i] == '-' && d[i + 1] == '-')
	{
		size_t		j = i + 2;

		while (j < cend && rf_is_blank(d[j]))
			j++;
		if (cend - j >= 8 && equals_ci(d + j, 8, "migrate:"))
		{
			size_t		ks = j + 8;
			size_t		ke = ks;
			size_t		vs,
						ve = cend;
			Key			k = KEY_UNKNOWN;

			while (ke < cend && !rf_is_blank(d[ke]))
				ke++;
			vs = ke;
			trim(d, &vs, &ve);

			for (int n = 0; n < NKEYS; n++)
				if (strlen(key_names[n]) == ke - ks &&
					memcmp(d + ks, key_names[n], ke - ks) == 0)
					k = (Key) n;

			if (k == KEY_UNKNOWN)
			{
				bool		wrong_case = false;

				for (int n = 0; n < NKEYS; n++)
					if (equals_ci(d + ks, ke - ks, key_names[n]))
						wrong_case = true;
				if (ke == ks)
					rf_add_error(p, line, "directive \"-- migrate:\" without a key (known: " KNOWN_KEYS ")");
				else if (wrong_case)
					rf_add_error(p, line, "unknown directive \"-- migrate:%.*s\" (keys are lower case)",
							  SHOW(ke - ks), d + ks);
				else
					rf_add_error(p, line, "unknown directive \"-- migrate:%.*s%s\" (known: " KNOWN_KEYS ")",
							  SHOW(ke - ks), d + ks, ELLIPSIS(ke - ks));
				return;
			}
			if (k == KEY_UPGRADE || k == KEY_DOWNGRADE)
			{
				section_marker(p, line, k, vs, ve, start, next);
				return;
			}
			if (p->state != ST_HEADER)
			{
				rf_add_error(p, line, "\"-- migrate:%s\" after a section marker: header lines come before \"-- migrate:upgrade\"",
						  key_names[k]);
				return;
			}
			header_directive(p, line, k, vs, ve);
			return;
		}
		/* an ordinary comment: fine anywhere */
		return;
	}

	if (p->state == ST_HEADER && !p->stray_reported)
	{
		rf_add_error(p, line, "unexpected text before \"-- migrate:upgrade\": the header has only \"-- migrate:<key> <value>\" lines, \"--\" comments and blank lines");
		p->stray_reported = true;
	}
}

/* ---------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------
 */
bool
revfile_parse(RevFile *rf, const char *data, size_t len,
			  const RevFileAllocator *allocator)
{
	Parser		p;
	size_t		pos = 0;
	size_t		last_line;

	memset(rf, 0, sizeof(*rf));
	rf->transactional = true;
	if (allocator != NULL && allocator->alloc != NULL && allocator->release != NULL)
		rf->allocator = *allocator;
	else
	{
		rf->allocator.alloc = default_alloc;
		rf->allocator.release = default_release;
		rf->allocator.arg = NULL;
	}
	if (data == NULL)
		len = 0;

	memset(&p, 0, sizeof(p));
	p.rf = rf;
	p.data = data;
	p.len = len;
	p.state = ST_HEADER;

	/* a UTF-8 byte-order mark */
	if (len >= 3 && (unsigned char) data[0] == 0xEF &&
		(unsigned char) data[1] == 0xBB && (unsigned char) data[2] == 0xBF)
		pos = 3;

	while (pos < len && !rf->out_of_memory)
	{
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t		end = nl ? (size_t) (nl - data) : len;
		size_t		next = nl ? end + 1 : len;

		p.nlines++;
		process_line(&p, p.nlines, pos, end, next);
		pos = next;
	}
	close_body(&p, len);
	last_line = p.nlines > 0 ? p.nlines : 1;

	if (p.key_line[KEY_REVISION] == 0)
		rf_add_error(&p, rf->upgrade_line ? rf->upgrade_line : last_line,
				  "missing \"-- migrate:revision\" header");
	if (rf->upgrade_line == 0)
		rf_add_error(&p, last_line, "missing \"-- migrate:upgrade\" section (end of file reached)");

	if (rf->upgrade_line != 0)
		rf->upgrade = rf_strndup(rf, data + p.up_start, p.up_end - p.up_start);
	if (rf->downgrade_line != 0)
		rf->downgrade = rf_strndup(rf, data + p.down_start, p.down_end - p.down_start);

	rf_sort_errors(rf);
	return rf->n_errors == 0 && !rf->out_of_memory;
}

void
revfile_free(RevFile *rf)
{
	if (rf->allocator.release != NULL)
	{
		rf_release(rf, rf->revision);
		free_list(rf, rf->down_revision, rf->n_down_revision);
		free_list(rf, rf->branch_labels, rf->n_branch_labels);
		free_list(rf, rf->depends_on, rf->n_depends_on);
		rf_release(rf, rf->message);
		rf_release(rf, rf->upgrade);
		rf_release(rf, rf->downgrade);
		for (size_t i = 0; i < rf->n_errors; i++)
			rf_release(rf, rf->errors[i].message);
		rf_release(rf, rf->errors);
	}
	memset(rf, 0, sizeof(*rf));
}

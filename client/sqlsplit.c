/*-------------------------------------------------------------------------
 *
 * sqlsplit.c
 *	  Where the statements of an SQL body end, as psql reads them, for the
 *	  client's offline work without a server to parse: the statements of
 *	  a non-transactional body in an offline script (each goes to the
 *	  server on its own, as CALL migrate.run runs them), whether a body has
 *	  any statement at all (check's empty_upgrade warning), and whether a
 *	  statement adds an enum value (an offline script commits after it).
 *
 * The rules are psql's (psqlscan.l): a semicolon ends a statement unless
 * it is inside a quoted literal ('...' with '', E'...' with backslash
 * escapes), a quoted identifier, a dollar-quoted string ($tag$...$tag$), a
 * comment (-- to the end of the line, nested block comments), parentheses,
 * or the BEGIN ... END of a CREATE statement (BEGIN ATOMIC bodies; CASE
 * ... END counts the same).  standard_conforming_strings is taken as on,
 * PostgreSQL's default; a body that turns it off is refused by the
 * extension, and an offline script's guards stop if one does.
 *
 * A misreading here cannot make a script unsafe: each statement still
 * reaches the server as dollar-quoted text through \gexec
 * (common/psqlscript.c); at worst the server gets a statement cut at the
 * wrong place and reports a syntax error.
 *
 * IDENTIFICATION
 *	  client/sqlsplit.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool
ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* The length of a dollar-quote tag starting at p ("$$", "$tag$"), or 0. */
static size_t
dollar_tag_len(const char *p)
{
	size_t		n = 1;

	if (p[0] != '$')
		return 0;
	if (p[1] == '$')
		return 2;
	if (!ident_start((unsigned char) p[1]))
		return 0;
	while (p[n] && ident_char((unsigned char) p[n]) && p[n] != '$')
		n++;
	return p[n] == '$' ? n + 1 : 0;
}

static bool
word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static void
emit(StrList *out, const char *start, const char *end)
{
	char	   *text;

	while (start < end && isspace((unsigned char) *start))
		start++;
	while (end > start && isspace((unsigned char) end[-1]))
		end--;
	if (out == NULL)
		return;
	text = pgm_strndup(start, (size_t) (end - start));
	sl_add(out, text);
	free(text);
}

/*
 * Split "body" into its statements (out may be NULL), each without its
 * semicolon and surrounding blanks; a statement of comments and blanks
 * alone is none.  Returns how many there are.
 */
int
sql_split(const char *body, StrList *out)
{
	const char *p = body ? body : "";
	const char *start = p;
	int			n = 0;
	int			parens = 0;
	int			begin_depth = 0;
	bool		has_code = false;
	int			nwords = 0;
	bool		first_is_create = false;

	while (*p)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (c == '/' && p[1] == '*')
		{
			int			depth = 1;

			p += 2;
			while (*p && depth > 0)
			{
				if (p[0] == '/' && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (p[0] == '*' && p[1] == '/')
				{
					depth--;
					p += 2;
				}
				else
					p++;
			}
			continue;
		}
		if (isspace(c))
		{
			p++;
			continue;
		}
		has_code = true;
		if (c == '\'' || ((c == 'E' || c == 'e') && p[1] == '\'' &&
						  (p == body || !ident_char((unsigned char) p[-1]))))
		{
			bool		escapes = c != '\'';

			p += escapes ? 2 : 1;
			while (*p)
			{
				if (escapes && *p == '\\' && p[1])
					p += 2;
				else if (*p == '\'' && p[1] == '\'')
					p += 2;
				else if (*p == '\'')
				{
					p++;
					break;
				}
				else
					p++;
			}
			continue;
		}
		if (c == '"')
		{
			p++;
			while (*p)
			{
				if (*p == '"' && p[1] == '"')
					p += 2;
				else if (*p++ == '"')
					break;
			}
			continue;
		}
		if (c == '$' && (p == body || !ident_char((unsigned char) p[-1])))
		{
			size_t		tl = dollar_tag_len(p);

			if (tl > 0)
			{
				const char *close = p + tl;

				while (*close && strncmp(close, p, tl) != 0)
					close++;
				p = *close ? close + tl : close;
				continue;
			}
		}
		if (ident_start(c))
		{
			const char *w = p;

			while (*p && ident_char((unsigned char) *p))
				p++;
			if (nwords++ == 0)
				first_is_create = word_is(w, (size_t) (p - w), "create");
			else if (first_is_create &&
					 (word_is(w, (size_t) (p - w), "begin") || word_is(w, (size_t) (p - w), "case")))
				begin_depth++;
			else if (begin_depth > 0 && word_is(w, (size_t) (p - w), "end"))
				begin_depth--;
			continue;
		}
		if (c == '(')
			parens++;
		else if (c == ')' && parens > 0)
			parens--;
		else if (c == ';' && parens == 0 && begin_depth == 0)
		{
			if (sql_split_has_code(start, p))
			{
				emit(out, start, p);
				n++;
			}
			has_code = false;
			start = p + 1;
			nwords = 0;
			first_is_create = false;
		}
		p++;
	}
	if (has_code && sql_split_has_code(start, p))
	{
		emit(out, start, p);
		n++;
	}
	return n;
}

/* Is there anything but blanks and comments in [start, end)? */
bool
sql_split_has_code(const char *start, const char *end)
{
	const char *p = start;

	while (p < end)
	{
		if (p[0] == '-' && p + 1 < end && p[1] == '-')
		{
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p + 1 < end && p[1] == '*')
		{
			int			depth = 1;

			p += 2;
			while (p < end && depth > 0)
			{
				if (p + 1 < end && p[0] == '/' && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (p + 1 < end && p[0] == '*' && p[1] == '/')
				{
					depth--;
					p += 2;
				}
				else
					p++;
			}
			continue;
		}
		if (!isspace((unsigned char) *p) && *p != ';')
			return true;
		p++;
	}
	return false;
}

/*
 * Does a statement add an enum value (ALTER TYPE ... ADD VALUE)?  A value
 * added in a transaction cannot be used before it commits.
 */
bool
sql_adds_enum_value(const char *stmt)
{
	const char *p = stmt;
	const char *words[4] = {0};
	size_t		lens[4] = {0};
	int			nw = 0;

	/* the first two words, then ADD VALUE anywhere after */
	while (*p && nw < 2)
	{
		while (*p && !ident_start((unsigned char) *p))
		{
			if (p[0] == '-' && p[1] == '-')
				while (*p && *p != '\n')
					p++;
			else
				p++;
		}
		if (!*p)
			break;
		words[nw] = p;
		while (*p && ident_char((unsigned char) *p))
			p++;
		lens[nw] = (size_t) (p - words[nw]);
		nw++;
	}
	if (nw < 2 || !word_is(words[0], lens[0], "alter") || !word_is(words[1], lens[1], "type"))
		return false;
	while (*p)
	{
		if (ident_start((unsigned char) *p) && (p == stmt || !ident_char((unsigned char) p[-1])))
		{
			const char *w = p;

			while (*p && ident_char((unsigned char) *p))
				p++;
			if (word_is(w, (size_t) (p - w), "add"))
			{
				while (*p && isspace((unsigned char) *p))
					p++;
				if (strncasecmp(p, "value", 5) == 0 && !ident_char((unsigned char) p[5]))
					return true;
			}
			continue;
		}
		p++;
	}
	return false;
}

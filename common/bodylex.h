/*-------------------------------------------------------------------------
 *
 * bodylex.h
 *	  Where the line ends of an SQL body fall: inside a quoted literal or
 *	  not; and the lines of the normalised body built on that.  Plain C99,
 *	  header only, with no PostgreSQL header, because two computations must
 *	  agree on it byte for byte: the checksum's normalisation
 *	  (common/checksum.c, which the extension and the client both build)
 *	  and the extension's fast content hash (src/ids.c).  Both walk the
 *	  body with bodylines_next().
 *
 * Normalising a body (line endings to \n, trailing blanks and blank lines
 * at either end dropped) must not change what it means.  Inside a string
 * constant or a quoted identifier the trailing blanks and the CR of a CRLF
 * are part of the value, so a line that ends inside one is kept verbatim,
 * line break included, and the next line is content however blank it
 * looks.  Comments are not literals: their trailing blanks may go.
 *
 * Dollar quotes are transparent: $tag$ ... $tag$ is lexed as code.  A
 * dollar-quoted string is nearly always a function or DO body, that is
 * code whose line endings and trailing blanks an editor or a CRLF checkout
 * changes without changing its meaning, and whose own string constants
 * ('...' inside the body) are data like any other.  The price: trailing
 * blanks inside a dollar-quoted *data* string ($$a  \nb$$) do not count,
 * and an apostrophe in dollar-quoted prose (COMMENT ... IS $$it's$$) makes
 * the rest of the body count byte for byte; the first errs towards calling
 * a change cosmetic, the second towards calling a cosmetic edit a change.
 *
 * The quoting rules are scan.l's: '...' with '' (standard_conforming_strings
 * on, the default since 9.1), E'...' with backslash escapes, "..." with "",
 * -- to the end of the line, nested block comments.  The lexer never fails:
 * a body it misreads is one the parser rejects anyway.
 *
 * IDENTIFICATION
 *	  common/bodylex.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_BODYLEX_H
#define MIGRATE_BODYLEX_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef enum BodyLexState
{
	BODYLEX_CODE,
	BODYLEX_STRING,				/* '...' */
	BODYLEX_ESTRING,			/* E'...' */
	BODYLEX_IDENT,				/* "..." */
	BODYLEX_COMMENT				/* nested block comment */
} BodyLexState;

typedef struct BodyLexer
{
	BodyLexState state;
	int			comment_depth;
} BodyLexer;

static inline void
bodylex_init(BodyLexer *lx)
{
	memset(lx, 0, sizeof(*lx));
	lx->state = BODYLEX_CODE;
}

/*
 * Can s[0 .. len) hold a literal at all?  Without a quote character the
 * lexer never leaves BODYLEX_CODE (comments matter only because a quote
 * inside one is not a quote), so a body of plain DDL skips the lexer: the
 * normalisation is the same and memchr is an order of magnitude faster
 * than lexing byte by byte.
 */
static inline bool
bodylex_may_have_literal(const char *s, size_t len)
{
	return memchr(s, '\'', len) != NULL || memchr(s, '"', len) != NULL;
}

/* Is the lexer inside a literal whose bytes are its value? */
static inline bool
bodylex_in_literal(const BodyLexer *lx)
{
	return lx->state == BODYLEX_STRING || lx->state == BODYLEX_ESTRING ||
		lx->state == BODYLEX_IDENT;
}

static inline bool
bodylex_ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/*
 * Advance over one line's bytes [p, end), its terminator excluded.  A line
 * ends a "--" comment, and the escape of an E'' string whose backslash ends
 * the line (the line break is the escaped character).
 */
static inline void
bodylex_line(BodyLexer *lx, const char *p, const char *end)
{
	size_t		ident_run = 0;	/* length of the identifier ending at p */

	while (p < end)
	{
		unsigned char c = (unsigned char) *p;

		switch (lx->state)
		{
			case BODYLEX_CODE:
				if (c == '-' && p + 1 < end && p[1] == '-')
					return;		/* comment to the end of the line */
				if (c == '/' && p + 1 < end && p[1] == '*')
				{
					lx->state = BODYLEX_COMMENT;
					lx->comment_depth = 1;
					p += 2;
					ident_run = 0;
					continue;
				}
				if (c == '\'')
				{
					lx->state = (ident_run == 1 && (p[-1] == 'E' || p[-1] == 'e'))
						? BODYLEX_ESTRING : BODYLEX_STRING;
					ident_run = 0;
					p++;
					continue;
				}
				if (c == '"')
				{
					lx->state = BODYLEX_IDENT;
					ident_run = 0;
					p++;
					continue;
				}
				ident_run = bodylex_ident_char(c) ? ident_run + 1 : 0;
				p++;
				continue;

			case BODYLEX_STRING:
			case BODYLEX_ESTRING:
				if (c == '\\' && lx->state == BODYLEX_ESTRING)
				{
					/* at the end of the line, the line break is escaped */
					p = (p + 1 < end) ? p + 2 : end;
					continue;
				}
				if (c == '\'')
				{
					if (p + 1 < end && p[1] == '\'')
					{
						p += 2;	/* '' is a quote inside the string */
						continue;
					}
					lx->state = BODYLEX_CODE;
				}
				p++;
				continue;

			case BODYLEX_IDENT:
				if (c == '"')
				{
					if (p + 1 < end && p[1] == '"')
					{
						p += 2;
						continue;
					}
					lx->state = BODYLEX_CODE;
				}
				p++;
				continue;

			case BODYLEX_COMMENT:
				if (c == '*' && p + 1 < end && p[1] == '/')
				{
					if (--lx->comment_depth == 0)
						lx->state = BODYLEX_CODE;
					p += 2;
					continue;
				}
				if (c == '/' && p + 1 < end && p[1] == '*')
				{
					lx->comment_depth++;
					p += 2;
					continue;
				}
				p++;
				continue;
		}
	}
}

/*
 * The lines of a normalised body, one at a time: what the checksum's
 * normalisation writes and the fast content hash hashes.  Each kept line
 * comes with what goes before it: the line break (none before the first
 * line; "\n", or the literal's own line break where the previous line
 * ended inside a literal) and the count of blank lines in between.  Blank
 * lines at either end are dropped.
 */
typedef struct BodyLine
{
	const char *sep;			/* "" for the first line */
	size_t		seplen;
	unsigned	blank;			/* blank lines after sep */
	const char *text;			/* the line, trailing blanks trimmed unless
								 * it ends inside a literal */
	size_t		len;
} BodyLine;

typedef struct BodyLines
{
	const char *body;
	const char *p;
	const char *end;
	BodyLexer	lx;
	bool		lex;			/* bodylex_may_have_literal() */
	bool		seen_content;
	bool		final_line;
	const char *prev_term;		/* the previous line's line break ... */
	size_t		prev_termlen;	/* ... if it ended inside a literal, else 0 */
} BodyLines;

static inline void
bodylines_init(BodyLines *it, const char *body, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->body = it->p = body;
	it->end = body + len;
	bodylex_init(&it->lx);
	it->lex = bodylex_may_have_literal(body, len);
}

static inline bool
bodylines_next(BodyLines *it, BodyLine *out)
{
	unsigned	pending_blank = 0;

	for (;;)
	{
		const char *line = it->p;
		const char *stop;
		bool		starts_in_literal = bodylex_in_literal(&it->lx);
		bool		ends_in_literal;

		/*
		 * A body that ends with a line break inside a literal ends with an
		 * empty line of that literal: keep it, or normalising again would
		 * drop the line break before it.
		 */
		if (it->p == it->end)
		{
			if (it->final_line || !starts_in_literal || it->p == it->body ||
				(it->p[-1] != '\n' && it->p[-1] != '\r'))
				return false;
			it->final_line = true;
		}

		while (it->p < it->end && *it->p != '\n' && *it->p != '\r')
			it->p++;
		stop = it->p;
		if (it->p + 1 < it->end && it->p[0] == '\r' && it->p[1] == '\n')
			it->p += 2;
		else if (it->p < it->end)
			it->p++;
		if (it->lex)
			bodylex_line(&it->lx, line, stop);
		ends_in_literal = bodylex_in_literal(&it->lx);

		out->text = line;
		if (!ends_in_literal)
			while (stop > line && (stop[-1] == ' ' || stop[-1] == '\t'))
				stop--;
		if (stop == line && !starts_in_literal)
		{
			/* a blank line counts only if content follows */
			if (it->seen_content)
				pending_blank++;
			continue;
		}
		out->len = (size_t) (stop - line);
		out->blank = pending_blank;
		if (!it->seen_content)
		{
			out->sep = "";
			out->seplen = 0;
		}
		else if (it->prev_termlen > 0)
		{
			out->sep = it->prev_term;
			out->seplen = it->prev_termlen;
		}
		else
		{
			out->sep = "\n";
			out->seplen = 1;
		}
		it->seen_content = true;
		/* inside a literal the line break is part of the value */
		it->prev_term = line + out->len;
		it->prev_termlen = ends_in_literal ? (size_t) (it->p - it->prev_term) : 0;
		return true;
	}
}

/*
 * Whether a body holds any statement: anything but blanks, semicolons and
 * comments (-- to the end of the line, nested block comments).  An upgrade
 * body without one does nothing: validate() and pg_migrate check warn.
 */
static inline bool
bodylex_has_statement(const char *text, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		char		c = text[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
			c == '\v' || c == ';')
			i++;
		else if (c == '-' && i + 1 < len && text[i + 1] == '-')
		{
			while (i < len && text[i] != '\n')
				i++;
		}
		else if (c == '/' && i + 1 < len && text[i + 1] == '*')
		{
			int			depth = 0;

			while (i < len)
			{
				if (text[i] == '/' && i + 1 < len && text[i + 1] == '*')
				{
					depth++;
					i += 2;
				}
				else if (text[i] == '*' && i + 1 < len && text[i + 1] == '/')
				{
					i += 2;
					if (--depth == 0)
						break;
				}
				else
					i++;
			}
		}
		else
			return true;
	}
	return false;
}

#endif							/* MIGRATE_BODYLEX_H */

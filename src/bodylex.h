/*-------------------------------------------------------------------------
 *
 * bodylex.h
 *	  Where the line ends of an SQL body fall: inside a quoted literal or
 *	  not.  Plain C99, header only, with no PostgreSQL header, because three
 *	  places must agree on it byte for byte: the checksum's normalisation
 *	  and the fast content hash (src/ids.c) and the client's copy of the
 *	  checksum (client/checksum.c).
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

#endif							/* MIGRATE_BODYLEX_H */

/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  The content checksum of a revision, computed as the extension does
 *	  (migrate_checksum in src/ids.c), so that sync can tell an unchanged
 *	  file by comparing with migrate.revision.checksum, without sending it.
 *
 * The canonical form (version 1):
 *
 *	   migrate-checksum-v1\n
 *	   transactional:t|f\n
 *	   parents:<n>[:<id>]...\n        ids sorted bytewise
 *	   depends:<n>[:<id>]...\n
 *	   labels:<n>[:<label>]...\n
 *	   upgrade:<len>:<normalised body>\n
 *	   downgrade:null\n  or  downgrade:<len>:<normalised body>\n
 *
 * and the checksum is its SHA-256 in lower-case hex.  A body is normalised
 * by ending lines with \n (CRLF and lone CR end lines too), dropping the
 * spaces and tabs that end each line, and dropping blank lines at the start
 * and the end; a line that ends inside a quoted literal keeps its blanks
 * and its line break (src/bodylex.h, shared with the extension).
 *
 * Sync never trusts this alone: a file whose checksum differs is sent to
 * migrate.add_file, which decides with the server's own computation.  If
 * the two ever disagreed (a new canonical form in the extension, a database
 * encoding other than UTF-8), files would be sent every time, correctly
 * but more slowly.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"
#include "bodylex.h"

#include <stdlib.h>
#include <string.h>

char *
normalize_body(const char *body)
{
	StrBuf		out;
	const char *p = body;
	bool		seen_content = false;
	int			pending_blank = 0;
	const char *prev_term = NULL;	/* a kept line break, see bodylex.h */
	size_t		prev_termlen = 0;
	BodyLexer	lx;
	bool		lex;

	sb_init(&out);
	bodylex_init(&lx);
	lex = bodylex_may_have_literal(body, strlen(body));
	for (bool final_line = false;; )
	{
		const char *line = p;
		const char *end;
		const char *trim;
		bool		starts_in_literal = bodylex_in_literal(&lx);

		/*
		 * A body that ends with a line break inside a literal ends with an
		 * empty line of that literal: keep it, or normalising again would
		 * drop the line break before it.
		 */
		if (*p == '\0')
		{
			if (final_line || !starts_in_literal || p == body ||
				(p[-1] != '\n' && p[-1] != '\r'))
				break;
			final_line = true;
		}

		while (*p && *p != '\n' && *p != '\r')
			p++;
		end = p;
		if (*p == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
		if (lex)
			bodylex_line(&lx, line, end);

		trim = end;
		if (!bodylex_in_literal(&lx))
			while (trim > line && (trim[-1] == ' ' || trim[-1] == '\t'))
				trim--;
		if (trim == line && !starts_in_literal)
		{
			if (seen_content)
				pending_blank++;
			continue;
		}
		if (seen_content)
		{
			if (prev_termlen > 0)
				sb_appendn(&out, prev_term, prev_termlen);
			else
				sb_appendc(&out, '\n');
			for (; pending_blank > 0; pending_blank--)
				sb_appendc(&out, '\n');
		}
		sb_appendn(&out, line, (size_t) (trim - line));
		seen_content = true;
		prev_term = end;
		prev_termlen = bodylex_in_literal(&lx) ? (size_t) (p - end) : 0;
	}
	return out.data;
}

static void
append_sorted_list(StrBuf *sb, const char *tag, char **items, size_t n)
{
	StrList		l = {0};

	for (size_t i = 0; i < n; i++)
		sl_add(&l, items[i]);
	sl_sort(&l);
	sb_appendf(sb, "%s:%zu", tag, n);
	for (size_t i = 0; i < l.n; i++)
	{
		sb_appendc(sb, ':');
		sb_append(sb, l.items[i]);
	}
	sb_appendc(sb, '\n');
	sl_free(&l);
}

static void
append_body(StrBuf *sb, const char *tag, const char *body)
{
	char	   *norm;

	if (body == NULL)
	{
		sb_appendf(sb, "%s:null\n", tag);
		return;
	}
	norm = normalize_body(body);
	sb_appendf(sb, "%s:%zu:", tag, strlen(norm));
	sb_append(sb, norm);
	sb_appendc(sb, '\n');
	free(norm);
}

void
revision_checksum(const RevFile *rf, char out[65])
{
	StrBuf		sb;

	sb_init(&sb);
	sb_append(&sb, "migrate-checksum-v1\n");
	sb_appendf(&sb, "transactional:%s\n", rf->transactional ? "t" : "f");
	append_sorted_list(&sb, "parents", rf->down_revision, rf->n_down_revision);
	append_sorted_list(&sb, "depends", rf->depends_on, rf->n_depends_on);
	append_sorted_list(&sb, "labels", rf->branch_labels, rf->n_branch_labels);
	append_body(&sb, "upgrade", rf->upgrade);
	append_body(&sb, "downgrade", rf->downgrade);
	sha256_hex(sb.data, sb.len, out);
	sb_free(&sb);
}

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
 * and the end.
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

#include <stdlib.h>
#include <string.h>

char *
normalize_body(const char *body)
{
	StrBuf		out;
	const char *p = body;
	bool		seen_content = false;
	int			pending_newlines = 0;

	sb_init(&out);
	while (*p)
	{
		const char *line = p;
		const char *end;
		const char *trim;

		while (*p && *p != '\n' && *p != '\r')
			p++;
		end = p;
		if (*p == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;

		trim = end;
		while (trim > line && (trim[-1] == ' ' || trim[-1] == '\t'))
			trim--;
		if (trim == line)
		{
			if (seen_content)
				pending_newlines++;
			continue;
		}
		if (seen_content)
			pending_newlines++;
		while (pending_newlines > 0)
		{
			sb_appendc(&out, '\n');
			pending_newlines--;
		}
		sb_appendn(&out, line, (size_t) (trim - line));
		seen_content = true;
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

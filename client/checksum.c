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
	BodyLines	lines;
	BodyLine	line;

	sb_init(&out);
	bodylines_init(&lines, body, strlen(body));
	while (bodylines_next(&lines, &line))
	{
		sb_appendn(&out, line.sep, line.seplen);
		for (unsigned i = 0; i < line.blank; i++)
			sb_appendc(&out, '\n');
		sb_appendn(&out, line.text, line.len);
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

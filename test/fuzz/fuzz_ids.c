/*
 * libFuzzer harness for the pure parts of src/ids.c and of what it builds
 * on in common/: the id and label rule (common/idrule.c, as
 * migrate_id_is_valid and as the revision-file parser's
 * revfile_id_is_valid), body normalisation (migrate_normalize_body,
 * common/checksum.c), the content checksum (migrate_checksum), the fast
 * content hash (migrate_content_hash) and the source file-name rule
 * (migrate_source_matches).
 *
 * This is the extension's own ids.c and common/ code, compiled against the
 * PostgreSQL server headers and linked with PostgreSQL's frontend
 * libpgcommon/libpgport (StringInfo, hashing, SHA-256, palloc); the few
 * backend-only functions ids.c also references (ereport, arrays, text) are
 * stubbed below and abort if reached: the harness calls none of the
 * functions that use them.
 *
 * Differential checks, beyond the sanitizers (ASan, UBSan):
 *   - the id rule as the extension words it and as the revision-file
 *     parser (common/revfile.c, shared with the client) words it agree on
 *     every string;
 *   - the checksum as the client computes it (migrate_checksum_hex over a
 *     parsed file's lists, as client/revdir.c calls it, for pg_migrate sync
 *     to skip unchanged files) agrees with the extension's;
 *   - normalising is idempotent; the checksum and the content hash of a
 *     body equal those of its normalised form and, unless a line ends
 *     inside a literal (common/bodylex.h), of the body with CRLF endings and
 *     trailing blanks; the content hash and the checksum always agree on
 *     whether that reformatting changed anything (validate() relies on the
 *     content hash normalising exactly as the checksum does);
 *   - migrate_source_matches agrees with a direct reading of its rule.
 *
 * Input layout: bytes up to the first NUL are the body; the first line of
 * the body doubles as an id, a source and a list of parents (split on
 * spaces).
 *
 * Build and run: test/fuzz/run_ids.sh [seconds]
 */
#include "migrate.h"

#include "revfile.h"
#include "bodylex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ----------------------------------------------------------------------
 * Stubs for the backend-only symbols ids.c references.
 * ----------------------------------------------------------------------
 */
#include "ids_backend.h"

bool
errstart_cold(int elevel, const char *domain)
{
	UNREACHABLE("ereport");
	return false;
}
void		errfinish(const char *filename, int lineno, const char *funcname) { UNREACHABLE("errfinish"); }
int			errcode(int sqlerrcode) { UNREACHABLE("errcode"); return 0; }
int			errmsg(const char *fmt,...) { UNREACHABLE("errmsg"); return 0; }
int			errmsg_internal(const char *fmt,...) { UNREACHABLE("errmsg_internal"); return 0; }
int			errdetail_internal(const char *fmt,...) { UNREACHABLE("errdetail_internal"); return 0; }
int			pg_mbcliplen(const char *mbstr, int len, int limit) { UNREACHABLE("pg_mbcliplen"); return 0; }

/* ----------------------------------------------------------------------
 * The harness
 * ----------------------------------------------------------------------
 */
static void
check(int ok, const char *what, const char *input)
{
	if (!ok)
	{
		fprintf(stderr, "invariant violated: %s\ninput: \"%s\"\n", what, input);
		abort();
	}
}

/* CRLF endings and a trailing blank on every line: formatting only */
static char *
reformat(const char *s)
{
	size_t		n = strlen(s);
	char	   *out = malloc(n * 4 + 8);
	char	   *o = out;

	for (const char *p = s; *p; p++)
	{
		if (*p == '\n' || *p == '\r')
		{
			/* every line break (LF, CRLF, lone CR) becomes " \t\r\n" */
			if (*p == '\r' && p[1] == '\n')
				p++;
			memcpy(o, " \t\r\n", 4);
			o += 4;
		}
		else
			*o++ = *p;
	}
	strcpy(o, " \r\n\r\n");
	return out;
}

/* Does any line of s end (its last line too) inside a literal? */
static bool
breaks_inside_literal(const char *s)
{
	BodyLexer	lx;
	const char *p = s;

	bodylex_init(&lx);
	while (*p)
	{
		const char *line = p;

		while (*p && *p != '\n' && *p != '\r')
			p++;
		bodylex_line(&lx, line, p);
		if (bodylex_in_literal(&lx))
			return true;
		if (*p == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
	return false;
}

static bool
reference_source_matches(const char *source, const char *id)
{
	const char *slash = strrchr(source, '/');
	const char *back = strrchr(source, '\\');
	const char *base = source;
	size_t		idlen = strlen(id);

	if (slash && slash + 1 > base)
		base = slash + 1;
	if (back && back + 1 > base)
		base = back + 1;
	if (strncmp(base, id, idlen) != 0)
		return false;
	return strchr("_-.", base[idlen]) != NULL;	/* "" matches the NUL too */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *body = malloc(size + 1);
	char	   *line;
	char	   *nl;
	const char *reason;
	char	   *norm;
	char	   *norm2;
	const char *hash_error;
	char	   *ref;
	char	   *parents[8];
	int			nparents = 0;
	char	   *sum,
			   *sum_norm,
			   *sum_ref;
	char		client_sum[MIGRATE_CHECKSUM_LEN + 1];
	RevFile		rf;
	bool		literal_break;

	memcpy(body, data, size);
	body[size] = '\0';			/* a NUL inside cuts the input short */

	/* the first line: an id, a source, parents */
	nl = strpbrk(body, "\r\n");
	line = nl ? strndup(body, nl - body) : strdup(body);

	check(migrate_id_is_valid(line, &reason) == revfile_id_is_valid(line, NULL),
		  "ids.c and revfile.c disagree on an id", line);
	check(migrate_source_matches(line, "r1") == reference_source_matches(line, "r1"),
		  "migrate_source_matches(line, r1)", line);
	if (*line)
		check(migrate_source_matches(line, line) == (strpbrk(line, "/\\") == NULL),
			  "a file name is its own id", line);

	for (char *tok = strtok(line, " "); tok && nparents < 8; tok = strtok(NULL, " "))
		if (revfile_id_is_valid(tok, NULL))
			parents[nparents++] = tok;

	/* normalisation: idempotent */
	norm = migrate_normalize_body(body);
	norm2 = migrate_normalize_body(norm);
	check(strcmp(norm, norm2) == 0, "normalising is not idempotent", body);

	/* the checksum ignores formatting, and the client computes the same */
	ref = reformat(body);
	sum = migrate_checksum(body, norm, parents, nparents, NULL, 0, parents, nparents, size % 2);
	sum_norm = migrate_checksum(norm, norm, parents, nparents, NULL, 0, parents, nparents, size % 2);
	sum_ref = migrate_checksum(ref, body, parents, nparents, NULL, 0, parents, nparents, size % 2);
	check(strcmp(sum, sum_norm) == 0, "the checksum of a body differs from its normalised form's", body);
	/* (a line break inside a literal is part of the value: bodylex.h) */
	literal_break = breaks_inside_literal(body);
	if (!literal_break)
		check(strcmp(sum, sum_ref) == 0, "CRLF and trailing blanks change the checksum", body);

	memset(&rf, 0, sizeof(rf));
	rf.upgrade = body;
	rf.downgrade = norm;
	rf.down_revision = parents;
	rf.n_down_revision = nparents;
	rf.branch_labels = parents;
	rf.n_branch_labels = nparents;
	rf.transactional = size % 2;
	check(migrate_checksum_hex(rf.upgrade, rf.downgrade,
							   rf.down_revision, (int) rf.n_down_revision,
							   rf.depends_on, (int) rf.n_depends_on,
							   rf.branch_labels, (int) rf.n_branch_labels,
							   rf.transactional, client_sum, &hash_error),
		  "the client's call of the checksum fails", body);
	check(strcmp(sum, client_sum) == 0, "the client computes another checksum", body);

	/* the fast content hash normalises as the checksum does */
	check(migrate_content_hash(body, strlen(body), NULL, -1, parents, nparents, NULL, 0, NULL, 0, true) ==
		  migrate_content_hash(norm, strlen(norm), NULL, -1, parents, nparents, NULL, 0, NULL, 0, true),
		  "the content hash of a body differs from its normalised form's", body);
	{
		uint64		h_body = migrate_content_hash(body, strlen(body), norm, strlen(norm),
												  NULL, 0, NULL, 0, NULL, 0, false);
		uint64		h_ref = migrate_content_hash(ref, strlen(ref), body, strlen(body),
												 NULL, 0, NULL, 0, NULL, 0, false);

		if (!literal_break)
			check(h_body == h_ref, "CRLF and trailing blanks change the content hash", body);
		check((strcmp(sum, sum_ref) == 0) == (h_body == h_ref),
			  "the content hash and the checksum disagree on whether reformatting changed anything", body);
	}
	/* and tells a missing downgrade from an empty one, as the checksum does */
	check(migrate_content_hash(body, strlen(body), NULL, -1, NULL, 0, NULL, 0, NULL, 0, true) !=
		  migrate_content_hash(body, strlen(body), "", 0, NULL, 0, NULL, 0, NULL, 0, true),
		  "the content hash confuses a NULL downgrade with an empty one", body);

	pfree(norm);
	pfree(norm2);
	pfree(sum);
	pfree(sum_norm);
	pfree(sum_ref);
	free(ref);
	free(line);
	free(body);
	return 0;
}

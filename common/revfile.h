/*-------------------------------------------------------------------------
 *
 * revfile.h
 *	  A strict parser for revision files, in plain C99.
 *
 * This file and revfile.c include no PostgreSQL header: the extension
 * (src/revfile_sql.c, migrate.add_file), the command-line client and the
 * fuzz harness (test/fuzz/) link the same code.
 *
 * A revision file (one per revision, named <id>_<slug>.sql):
 *
 *	   -- migrate:revision 2a3f4c9d1cde
 *	   -- migrate:down_revision 189b1231afd4
 *	   -- migrate:message add cascade deletes
 *	   -- migrate:branch_labels habits
 *	   -- migrate:depends_on 7cce0565853d
 *	   -- migrate:transactional false
 *	   -- migrate:upgrade
 *	   ...SQL...
 *	   -- migrate:downgrade
 *	   ...SQL...
 *
 * Lines end with LF or CRLF.  A "directive" is a line that, after optional
 * spaces or tabs, starts with "--", optional spaces or tabs and "migrate:"
 * (any case); its key runs up to the next space or tab, its value is the
 * rest of the line without surrounding blanks.  Directives are recognised on
 * every line, inside bodies too, whatever SQL quoting surrounds them, so a
 * misspelt marker is an error rather than SQL that silently joins a body.
 *
 * Header: every line before "-- migrate:upgrade" is a header directive
 * (revision, down_revision, message, branch_labels, depends_on,
 * transactional; each at most once), a blank line, or an ordinary "--"
 * comment.  Anything else there is an error.  A UTF-8 byte-order mark at the
 * very start is skipped.
 *
 *	 revision        required; one id
 *	 down_revision   comma list of ids; absent or empty: a base
 *	 branch_labels   comma list of labels; absent or empty: none
 *	 depends_on      comma list of ids; absent or empty: none
 *	 message         free text; absent or empty: none (NULL)
 *	 transactional   true or false (any case); absent: true
 *
 * Ids and labels: idrule.h's rule (1 to 128 characters of [A-Za-z0-9_.-],
 * starting with a letter or a digit, and not head, heads or base in any
 * case).  Blanks around
 * commas are ignored; an empty item ("a,,b", "a,", ",a") and an item listed
 * twice are errors.
 *
 * Sections: "-- migrate:upgrade" (required, exactly once) and
 * "-- migrate:downgrade" (optional, at most once, after the upgrade
 * section; absent means irreversible).  Markers take no value.  A body is
 * the exact text between its marker line and the next marker line or the
 * end of the input, byte for byte (CRLF endings included); it may be empty.
 * Header directives after the upgrade marker, unknown keys, NUL bytes are
 * errors.
 *
 * Errors: the parser never exits or aborts.  It collects up to
 * REVFILE_MAX_ERRORS errors, each with a 1-based line number and a message
 * (lower case, no final period), and goes on after each where it can.
 *
 * IDENTIFICATION
 *	  common/revfile.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef REVFILE_H
#define REVFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "idrule.h"

#define REVFILE_MAX_ERRORS		50

/*
 * Memory: every allocation goes through "alloc" and is released with
 * "release" (both given the "arg" pointer).  Pass NULL to revfile_parse for
 * malloc and free.  "alloc" may return NULL (the result then says
 * out_of_memory) or may not return at all (PostgreSQL's palloc raising an
 * error): the parser keeps no state outside the result.
 */
typedef struct RevFileAllocator
{
	void	   *(*alloc) (size_t size, void *arg);
	void		(*release) (void *ptr, void *arg);
	void	   *arg;
} RevFileAllocator;

typedef struct RevFileError
{
	size_t		line;			/* 1-based */
	char	   *message;		/* e.g. "unknown directive \"-- migrate:foo\"" */
} RevFileError;

typedef struct RevFile
{
	char	   *revision;		/* NULL if missing */
	char	  **down_revision;
	size_t		n_down_revision;
	char	  **branch_labels;
	size_t		n_branch_labels;
	char	  **depends_on;
	size_t		n_depends_on;
	char	   *message;		/* NULL if absent or empty */
	bool		transactional;	/* true unless "-- migrate:transactional false" */
	char	   *upgrade;		/* NULL if there is no upgrade section */
	char	   *downgrade;		/* NULL if irreversible */
	size_t		upgrade_line;	/* line of the marker, 0 if absent */
	size_t		downgrade_line;

	RevFileError *errors;
	size_t		n_errors;
	bool		errors_truncated;	/* more than REVFILE_MAX_ERRORS */
	size_t		n_errors_total; /* all problems found, kept or not */
	bool		out_of_memory;	/* an allocation failed; result incomplete */

	RevFileAllocator allocator; /* for revfile_free */
} RevFile;

/*
 * Parse "len" bytes at "data" (need not be NUL-terminated; NUL bytes are an
 * error) into *rf.  Returns true when the file is valid (no errors and no
 * allocation failure).  Whatever it returns, call revfile_free(rf) once done.
 */
extern bool revfile_parse(RevFile *rf, const char *data, size_t len,
						  const RevFileAllocator *allocator);

/* Release everything revfile_parse allocated; *rf is zeroed. */
extern void revfile_free(RevFile *rf);

/*
 * Is "s" (NUL-terminated) a valid id or label (idrule.h)?  On failure
 * *reason (if not NULL) points to a static clause without final period.
 */
extern bool revfile_id_is_valid(const char *s, const char **reason);
/* a depends_on item: an id, or "project:id" (another project's revision) */
extern bool revfile_dependency_is_valid(const char *s, const char **reason);

#endif							/* REVFILE_H */

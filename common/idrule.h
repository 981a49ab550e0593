/*-------------------------------------------------------------------------
 *
 * idrule.h
 *	  What a revision may be called: the rule for ids and branch labels,
 *	  the target words, and the file name that declares an id.
 *
 * Plain C99, no PostgreSQL header: the extension (migrate.add, targets,
 * validate), the revision-file parser (revfile.c) and so the client, and
 * the fuzz harnesses all apply these rules, and must agree to the byte.
 *
 * Ids and labels (the contract's rule): 1 to 128 characters of
 * [A-Za-z0-9_.-], starting with a letter or a digit, and not one of the
 * target words head, heads, base (in any case).
 *
 * A source (the file a revision was loaded from) declares an id when its
 * file-name part, after the last "/" or "\", is the id, or the id followed
 * by "_", "-" or ".".
 *
 * IDENTIFICATION
 *	  common/idrule.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_IDRULE_H
#define MIGRATE_IDRULE_H

#include <stdbool.h>

#define MIGRATE_ID_MAXLEN		128

/* What is wrong with an id, in the order the rule checks it. */
typedef enum MigrateIdProblem
{
	MIGRATE_ID_OK = 0,
	MIGRATE_ID_EMPTY,
	MIGRATE_ID_TOO_LONG,
	MIGRATE_ID_BAD_START,
	MIGRATE_ID_BAD_CHAR,
	MIGRATE_ID_TARGET_WORD
} MigrateIdProblem;

extern MigrateIdProblem migrate_id_problem(const char *id);

/*
 * The problem in words, as a clause for the parser's messages ("an id
 * starts with a letter or a digit") or as a sentence for an errdetail ("An
 * id starts with a letter or a digit.").  NULL for MIGRATE_ID_OK.
 */
extern const char *migrate_id_problem_clause(MigrateIdProblem problem);
extern const char *migrate_id_problem_sentence(MigrateIdProblem problem);

/* Is "id" a valid id or label?  If not, *reason is the sentence. */
extern bool migrate_id_is_valid(const char *id, const char **reason);

/* head, heads or base, in any (ASCII) case */
extern bool migrate_is_target_word(const char *s);

/* The file-name part of a source: after the last "/" or "\". */
extern const char *migrate_source_file(const char *source);

/* Does the file named by "source" declare "id"? */
extern bool migrate_source_matches(const char *source, const char *id);

#endif							/* MIGRATE_IDRULE_H */

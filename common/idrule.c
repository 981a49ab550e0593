/*-------------------------------------------------------------------------
 *
 * idrule.c
 *	  The rule for revision ids and branch labels, the target words, and
 *	  the rule that ties a file name to the id it declares (idrule.h).
 *
 * Written once here for the extension (migrate_check_id in src/ids.c, the
 * target grammar, validate()'s source_mismatch), the revision-file parser
 * (common/revfile.c, which the client links) and the fuzz harnesses.
 * Plain C99: no PostgreSQL header, no allocation.
 *
 * IDENTIFICATION
 *	  common/idrule.c
 *
 *-------------------------------------------------------------------------
 */
#include "idrule.h"

#include <string.h>

static const char *const target_words[] = {"head", "heads", "base"};

/* each problem as a clause and as a sentence, indexed by MigrateIdProblem */
static const struct
{
	const char *clause;
	const char *sentence;
}			id_problem_text[] =
{
	[MIGRATE_ID_OK] = {NULL, NULL},
	[MIGRATE_ID_EMPTY] = {
		"an id must not be empty",
		"An id must not be empty."
	},
	[MIGRATE_ID_TOO_LONG] = {
		"an id has at most 128 characters",
		"An id has at most 128 characters."
	},
	[MIGRATE_ID_BAD_START] = {
		"an id starts with a letter or a digit",
		"An id starts with a letter or a digit."
	},
	[MIGRATE_ID_BAD_CHAR] = {
		"an id consists of ASCII letters, digits, \"_\", \".\" and \"-\"",
		"An id consists of ASCII letters, digits, \"_\", \".\" and \"-\"."
	},
	[MIGRATE_ID_TARGET_WORD] = {
		"the words head, heads and base are targets and cannot be ids or labels",
		"The words head, heads and base are targets and cannot be ids or labels."
	},
};

static bool
id_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char) (c - 'A' + 'a') : c;
}

bool
migrate_is_target_word(const char *s)
{
	for (size_t w = 0; w < sizeof(target_words) / sizeof(target_words[0]); w++)
	{
		const char *word = target_words[w];
		size_t		i = 0;

		while (s[i] != '\0' && word[i] != '\0' &&
			   ascii_lower((unsigned char) s[i]) == (unsigned char) word[i])
			i++;
		if (s[i] == '\0' && word[i] == '\0')
			return true;
	}
	return false;
}

MigrateIdProblem
migrate_id_problem(const char *id)
{
	size_t		len = strlen(id);

	if (len == 0)
		return MIGRATE_ID_EMPTY;
	if (len > MIGRATE_ID_MAXLEN)
		return MIGRATE_ID_TOO_LONG;
	if (!id_alnum((unsigned char) id[0]))
		return MIGRATE_ID_BAD_START;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) id[i];

		if (!id_alnum(c) && c != '_' && c != '.' && c != '-')
			return MIGRATE_ID_BAD_CHAR;
	}
	if (migrate_is_target_word(id))
		return MIGRATE_ID_TARGET_WORD;
	return MIGRATE_ID_OK;
}

const char *
migrate_id_problem_clause(MigrateIdProblem problem)
{
	return id_problem_text[problem].clause;
}

const char *
migrate_id_problem_sentence(MigrateIdProblem problem)
{
	return id_problem_text[problem].sentence;
}

bool
migrate_id_is_valid(const char *id, const char **reason)
{
	MigrateIdProblem problem = migrate_id_problem(id);

	if (reason != NULL)
		*reason = migrate_id_problem_sentence(problem);
	return problem == MIGRATE_ID_OK;
}

const char *
migrate_source_file(const char *source)
{
	const char *base = source;

	for (const char *p = source; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return base;
}

bool
migrate_source_matches(const char *source, const char *id)
{
	const char *base = migrate_source_file(source);
	size_t		idlen = strlen(id);

	if (strncmp(base, id, idlen) != 0)
		return false;
	return base[idlen] == '\0' || base[idlen] == '_' ||
		base[idlen] == '-' || base[idlen] == '.';
}

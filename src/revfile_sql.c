/*-------------------------------------------------------------------------
 *
 * revfile_sql.c
 *	  migrate.add_file(content text, source text, project text): register a
 *	  revision from the text of a revision file, in a project (NULL: the
 *	  setting migrate.project).
 *
 * The file is parsed by revfile.c (plain C, shared with the command-line
 * client and the fuzz harness), with palloc as its allocator, and then
 * registered by migrate_register(), exactly as migrate.add would register
 * the same fields.
 *
 * A malformed file is one error, SQLSTATE 22P02 (invalid_text_representation:
 * the argument is not a valid representation of a revision), with
 *	  errmsg	"invalid revision file \"<source>\""
 *	  errdetail	"Line N: <message>." for each of the first 20 problems, one
 *				per line, then "... and M more problems." if there are more
 * Errors after parsing (an applied revision changed, a revision that is its
 * own parent, ...) are migrate.add's, with the file named in the context.
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "revfile.h"

PG_FUNCTION_INFO_V1(migrate_add_file);

/* problems listed in the error's detail; the rest are counted */
#define ADD_FILE_ERRORS_SHOWN 20

static void *
revfile_palloc(size_t size, void *arg)
{
	return palloc(size);
}

static void
revfile_pfree(void *ptr, void *arg)
{
	pfree(ptr);
}

static void
revfile_error_context(void *arg)
{
	const char *source = arg;

	if (source != NULL)
		errcontext("revision file \"%s\"", source);
	else
		errcontext("revision file");
}

Datum
migrate_add_file(PG_FUNCTION_ARGS)
{
	text	   *content;
	char	   *source = NULL;
	const char *project = migrate_project_arg(fcinfo, 2);
	RevFile		rf;
	RevFileAllocator allocator = {revfile_palloc, revfile_pfree, NULL};
	ErrorContextCallback errcallback;
	text	   *result;

	migrate_forbid_in_body("add_file");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("content must not be NULL")));
	content = PG_GETARG_TEXT_PP(0);
	if (!PG_ARGISNULL(1))
		source = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (!revfile_parse(&rf, VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content),
					   &allocator))
	{
		StringInfoData detail;

		if (rf.out_of_memory)	/* palloc raises instead; kept for safety */
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while parsing a revision file")));

		initStringInfo(&detail);
		for (size_t i = 0; i < rf.n_errors && i < ADD_FILE_ERRORS_SHOWN; i++)
			appendStringInfo(&detail, "%sLine %zu: %s.", i > 0 ? "\n" : "",
							 rf.errors[i].line, rf.errors[i].message);
		if (rf.n_errors_total > ADD_FILE_ERRORS_SHOWN)
			appendStringInfo(&detail, "\n... and %zu more problems.",
							 rf.n_errors_total - ADD_FILE_ERRORS_SHOWN);

		if (source != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid revision file \"%s\"", source),
					 errdetail_internal("%s", detail.data)));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid revision file"),
					 errdetail_internal("%s", detail.data)));
	}

	errcallback.callback = revfile_error_context;
	errcallback.arg = source;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	/* a file that declares another id than its name: say so now */
	if (source != NULL && !migrate_source_matches(source, rf.revision))
		ereport(WARNING,
				(errmsg("revision file \"%s\" declares revision \"%s\"",
						source, rf.revision),
				 errdetail("A revision file is named <id>_<slug>.sql after the revision it declares."),
				 errhint("Rename the file or correct its \"-- migrate:revision\" line; until then migrate.validate() reports source_mismatch.")));

	migrate_register(project, rf.revision, rf.upgrade, rf.downgrade,
					 rf.down_revision, (int) rf.n_down_revision,
					 rf.message,
					 rf.branch_labels, (int) rf.n_branch_labels,
					 rf.depends_on, (int) rf.n_depends_on,
					 rf.transactional, source);

	error_context_stack = errcallback.previous;

	result = cstring_to_text(rf.revision);
	revfile_free(&rf);
	PG_RETURN_TEXT_P(result);
}

/*-------------------------------------------------------------------------
 *
 * stmtguard.c
 *	  What is checked around each statement of a running body, in both
 *	  engines (apply.c through migrate_run_statement, run.c for statements
 *	  run at top level).
 *
 * statement_timeout: PostgreSQL arms it once per top-level statement, and
 * the whole upgrade() call, or CALL migrate.run, is one.  psql sends each
 * statement of a migration file on its own, so there a SET statement_timeout
 * bounds each later statement.  The same here: when the setting differs
 * from the one the run started with (the body SET it), each statement gets
 * its own deadline, never later than the caller's own deadline, which is
 * put back after the statement, error or not.
 *
 * standard_conforming_strings: every body of a plan was parsed before the
 * first one ran, with the setting as it was then; a statement that changes
 * it (set_config(), a function) would make the later statements mean
 * something else than what was checked (and a string that was harmless
 * would end early).  Such a statement is an error (0A000), the moment it
 * returns.  SET and RESET of it are refused before anything runs (body.c).
 *
 * IDENTIFICATION
 *	  src/stmtguard.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "parser/parser.h"
#include "storage/proc.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

/* When a run starts: the settings and deadline its bodies start from. */
void
migrate_guard_init(Run *run)
{
	run->std_strings = standard_conforming_strings;
	run->start_statement_timeout = StatementTimeout;
	run->caller_timeout_active = get_timeout_active(STATEMENT_TIMEOUT);
	run->caller_deadline = run->caller_timeout_active ?
		get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;
	run->body_timeout_armed = false;
}

/* Before a statement: arm the body's statement_timeout, if it set one. */
void
migrate_guard_statement_begin(Run *run)
{
	TimestampTz deadline;

	if (StatementTimeout == run->start_statement_timeout)
		return;
	/* turned off: the caller's own deadline, if any, stays armed */
	if (StatementTimeout <= 0)
		return;
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   StatementTimeout);
	if (run->caller_timeout_active && run->caller_deadline < deadline)
		deadline = run->caller_deadline;
	enable_timeout_at(STATEMENT_TIMEOUT, deadline);
	run->body_timeout_armed = true;
}

/* After a statement (also after its error): the caller's deadline again. */
void
migrate_guard_statement_end(Run *run)
{
	if (!run->body_timeout_armed)
		return;
	run->body_timeout_armed = false;
	if (run->caller_timeout_active)
		enable_timeout_at(STATEMENT_TIMEOUT, run->caller_deadline);
	else
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/* After a statement succeeded: the settings the bodies were parsed with. */
void
migrate_guard_statement_check(Run *run, Step *st)
{
	if (standard_conforming_strings != run->std_strings)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("statement %d of revision \"%s\" changed standard_conforming_strings",
						run->cur_stmt + 1, st->id),
				 errdetail("Every body of the plan was parsed with standard_conforming_strings = %s before the first one ran; after the change, its later statements would not mean what was checked.",
						   run->std_strings ? "on" : "off"),
				 errhint("Do not change standard_conforming_strings in a revision body; write E'...' for a string with backslash escapes.")));
}

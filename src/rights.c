/*-------------------------------------------------------------------------
 *
 * rights.c
 *	  Whose rights a revision body runs with (the role boundary), and who
 *	  may read the private text of runs (errors, checksums).
 *
 * The role boundary.  A body never runs with more rights than the role
 * that registered it (migrate.revision.registered_by: the role that last
 * added or replaced it).  Let R be that role, S the session's user
 * (session_user), L the role the session logged in as (the same unless a
 * superuser did SET SESSION AUTHORIZATION) and C the current role:
 *
 *	  - when S and L are R, and R may become C (C is R, or a role R is a
 *		member of), the body runs as it always did, as C, and may SET ROLE
 *		to any role the session may take: nothing it can reach is beyond R;
 *	  - otherwise the body runs as R: a superuser runs a deployer's body;
 *		a superuser did SET ROLE deployer (RESET ROLE would bring the
 *		superuser back) or SET SESSION AUTHORIZATION deployer (so would
 *		RESET SESSION AUTHORIZATION); a SECURITY DEFINER function owned by
 *		another role calls upgrade().  It runs as R,
 *		the way PostgreSQL runs a SECURITY DEFINER function and a
 *		maintenance command runs index expressions as the table's owner:
 *		SetUserIdAndSecContext(R, SECURITY_LOCAL_USERID_CHANGE |
 *		SECURITY_RESTRICTED_OPERATION).  The first flag makes SET ROLE,
 *		RESET ROLE and SET SESSION AUTHORIZATION fail inside the body.  The
 *		second closes what would run later with the caller's rights:
 *		deferred triggers queued by the body (they fire at the caller's
 *		COMMIT, as the caller) and temporary tables (pg_temp comes first in
 *		the caller's search_path); it also refuses PREPARE, LISTEN,
 *		cursors WITH HOLD and DISCARD, which keep state in the session.
 *		The caller must be a member of R (as SET ROLE R would require),
 *		checked for every step of the plan before the first one runs;
 *		otherwise SQLSTATE 42501.
 *
 * Registering a body therefore never raises the rights of whoever
 * registered it.  The engines (apply.c, run.c) enter and leave the
 * boundary around each body; settings a body changes are discarded by
 * them as before (and the procedure engine puts back every setting,
 * settings.c, since a contained body could otherwise leave a search_path
 * for the caller's next statements).
 *
 * Private text.  The message, detail, hint and context of a failed run,
 * and checksums, are visible to the role that ran (or registered, or
 * applied) it and roles with its privileges, to members of
 * pg_read_all_stats and to superusers, as pg_stat_activity shows query
 * text; everyone else sees the revision, the SQLSTATE and the status.  The
 * view migrate.run and migrate.revision_checksum mask with
 * migrate.may_read_private(role); status(), validate() and add() ask
 * migrate_may_read_private_of().
 *
 * IDENTIFICATION
 *	  src/rights.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(migrate_may_read_private);

bool
migrate_may_read_all_private(Oid viewer)
{
	return has_privs_of_role(viewer, ROLE_PG_READ_ALL_STATS);
}

/* May "viewer" read the private text of what role "role" (a name) did? */
bool
migrate_may_read_private_of(Oid viewer, const char *role)
{
	Oid			roleid;

	if (migrate_may_read_all_private(viewer))
		return true;
	if (role == NULL)
		return false;
	roleid = get_role_oid(role, true);
	return OidIsValid(roleid) && has_privs_of_role(viewer, roleid);
}

/* migrate.may_read_private(role name): for the current role. */
Datum
migrate_may_read_private(PG_FUNCTION_ARGS)
{
	Name		role = PG_GETARG_NAME(0);

	PG_RETURN_BOOL(migrate_may_read_private_of(GetUserId(), NameStr(*role)));
}

/* The context line of a refusal found in step k before anything ran. */
static int
boundary_context(Run *run, int k)
{
	return errcontext("%s body of revision \"%s\" (step %d of %d), checked before anything ran",
					  migrate_body_kind(run->dir), run->steps[k].id,
					  k + 1, run->nsteps);
}

/*
 * Decide, for step k, whether its body runs as the caller (run_as stays
 * InvalidOid) or as the role that registered it; refuse (42501) when the
 * caller may not act as that role.
 */
void
migrate_step_resolve_role(Run *run, int k)
{
	Step	   *st = &run->steps[k];
	Oid			session = GetSessionUserId();
	Oid			login = GetAuthenticatedUserId();
	Oid			current = GetUserId();
	Oid			registrant;

	st->run_as = InvalidOid;
	if (st->registered_by == NULL)
		elog(ERROR, "revision \"%s\" has no registrant", st->id);
	registrant = get_role_oid(st->registered_by, true);
	if (!OidIsValid(registrant))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("revision \"%s\" cannot run: role \"%s\", which registered it, does not exist",
						st->id, st->registered_by),
				 errdetail("A body runs with the rights of the role that registered it; nothing was run."),
				 errhint("After reviewing the body, a superuser can name the role it runs as: UPDATE migrate.revision SET registered_by = '<role>' WHERE project = '%s' AND id = '%s'.",
						 run->project, st->id),
				 boundary_context(run, k)));

	/* the session is the registrant's own, and the caller a role it may be */
	if (registrant == session && registrant == login &&
		is_member_of_role(registrant, current))
		return;

	if (!is_member_of_role(current, registrant))
	{
		char	   *caller = GetUserNameFromId(current, false);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to run revision \"%s\", registered by role \"%s\"",
						st->id, st->registered_by),
				 errdetail("A body runs with the rights of the role that registered it, and role \"%s\" is not a member of role \"%s\"; nothing was run.",
						   caller, st->registered_by),
				 errhint("Run it as a member of role \"%s\", or have a role you are a member of register the revision.",
						 st->registered_by),
				 boundary_context(run, k)));
	}
	st->run_as = registrant;
}

/* Every step of the plan, before the first one runs. */
void
migrate_run_resolve_roles(Run *run)
{
	for (int k = 0; k < run->nsteps; k++)
	{
		CHECK_FOR_INTERRUPTS();
		migrate_step_resolve_role(run, k);
	}
}

/*
 * Enter the step's boundary: from here until migrate_boundary_leave, the
 * body's statements run as the registrant when the step says so.  "b"
 * keeps the caller's user and security context.
 */
void
migrate_boundary_enter(Step *st, MigrateBoundary *b)
{
	GetUserIdAndSecContext(&b->save_userid, &b->save_sec_context);
	b->active = OidIsValid(st->run_as);
	if (b->active)
		SetUserIdAndSecContext(st->run_as,
							   b->save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
}

/* Back to the caller (also after an error caught outside the body). */
void
migrate_boundary_leave(MigrateBoundary *b)
{
	if (b->active)
		SetUserIdAndSecContext(b->save_userid, b->save_sec_context);
}

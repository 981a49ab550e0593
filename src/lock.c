/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  The migration lock: one transaction-scoped advisory lock per project
 *	  of a database.
 *
 * Every function that changes a project's history (add, remove, upgrade,
 * downgrade, stamp) takes the project's lock before it reads what it is
 * going to change, and keeps it until the transaction ends, so concurrent
 * callers on one project serialize and the one that waited computes its
 * plan from what the other committed.  Two projects have two locks: their
 * migrations run at the same time.
 *
 * The lock of a project is the two-key advisory lock
 * (MIGRATE_LOCK_KEY1, migrate_lock_key2(project)) of the current database,
 * defined in common/lockkey.h with the key derivation (0 for 'default',
 * hashtext(project) otherwise), which the client (client/sync.c) and the
 * offline script (script.c) take too.

 * A migration that needs another project's revision (depends_on
 * 'project:id') takes that project's lock in share mode, so that project
 * cannot revert the revision while the dependency is checked and used
 * (projects.c).
 *
 * migrate.run, whose revisions span transactions, holds its project's lock
 * at session level for the whole CALL.
 *
 * The wait is bounded by migrate.lock_wait: the lock manager's own timeout
 * is set for the duration of the wait, so the waiter queues fairly instead
 * of polling, and the timeout becomes an error that says what was waited for.
 *
 * IDENTIFICATION
 *	  src/lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "lockkey.h"			/* the key, shared with the client */

#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/memutils.h"

static void
set_tag(LOCKTAG *tag, const char *project)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 (uint32) migrate_lock_key2(project), 2);
}

static void
lock_wait_failed(const char *project)
{
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("could not obtain the migration lock within migrate.lock_wait (%d ms)",
					migrate_lock_wait_ms),
			 errdetail("Another session is changing the history of project \"%s\" in this database: pg_locks shows it holding the advisory lock (%d, %d).",
					   project, MIGRATE_LOCK_KEY1, migrate_lock_key2(project)),
			 errhint("Retry when it has finished, or raise migrate.lock_wait.")));
}

static void
lock_acquire(const char *project, LOCKMODE mode, bool session)
{
	LOCKTAG		tag;
	int			save_lock_timeout = LockTimeout;
	MemoryContext oldcontext = CurrentMemoryContext;
	LockAcquireResult res;

	set_tag(&tag, project);

	/* already ours (in this transaction, or for the session) */
	if (!session && (LockHeldByMe(&tag, ExclusiveLock) ||
					 (mode == ShareLock && LockHeldByMe(&tag, ShareLock))))
		return;

	if (migrate_lock_wait_ms == 0)
	{
		res = LockAcquire(&tag, mode, session, true);
		if (res == LOCKACQUIRE_NOT_AVAIL)
			lock_wait_failed(project);
		return;
	}

	LockTimeout = migrate_lock_wait_ms;
	PG_TRY();
	{
		(void) LockAcquire(&tag, mode, session, false);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		LockTimeout = save_lock_timeout;
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		/* the transaction is aborting anyway: replace the generic message */
		FlushErrorState();
		FreeErrorData(edata);
		lock_wait_failed(project);
	}
	PG_END_TRY();
	LockTimeout = save_lock_timeout;
}

/* The transaction-scoped lock of a project: released when the transaction ends. */
void
migrate_lock_acquire(const char *project)
{
	lock_acquire(project, ExclusiveLock, false);
}

/*
 * The same lock in share mode, transaction-scoped: for a migration that
 * relies on another project's applied revision.  It waits for that
 * project's running migration and keeps the next one from starting; other
 * projects relying on the same one do not wait for each other.
 */
void
migrate_lock_acquire_shared(const char *project)
{
	lock_acquire(project, ShareLock, false);
}

/*
 * The session-scoped lock, for migrate.run, whose revisions span several
 * transactions.  The caller must release it on every exit path, errors
 * included (session locks survive an abort).
 */
void
migrate_session_lock_acquire(const char *project)
{
	lock_acquire(project, ExclusiveLock, true);
}

void
migrate_session_lock_release(const char *project)
{
	LOCKTAG		tag;

	set_tag(&tag, project);
	(void) LockRelease(&tag, ExclusiveLock, true);
}

/* Is the project's lock still held (between transactions: at session level)? */
bool
migrate_lock_held(const char *project)
{
	LOCKTAG		tag;

	set_tag(&tag, project);
	return LockHeldByMe(&tag, ExclusiveLock);
}

/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  The migration lock: one transaction-scoped advisory lock per database.
 *
 * Every function that changes the catalog (add, remove, upgrade, downgrade,
 * stamp) takes it before it reads what it is going to change, and keeps it
 * until the transaction ends, so concurrent callers serialize and the one
 * that waited computes its plan from what the other committed.
 *
 * The lock is the two-key advisory lock (1835624306, 0) in the current
 * database: pg_locks shows it as locktype 'advisory', classid 1835624306
 * ('migr'), objid 0, objsubid 2.  A script may take it with
 * pg_advisory_xact_lock(1835624306, 0) to hold migrations off.
 *
 * migrate.run, whose revisions span transactions, holds the same lock at
 * session level for the whole CALL.
 *
 * The wait is bounded by migrate.lock_wait: the lock manager's own timeout
 * is set for the duration of the wait, so the waiter queues fairly instead
 * of polling, and the timeout becomes an error that says what was waited for.
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
lock_wait_failed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("could not obtain the migration lock within migrate.lock_wait (%d ms)",
					migrate_lock_wait_ms),
			 errdetail("Another session is changing the migration catalog of this database: pg_locks shows it holding the advisory lock (%d, %d).",
					   MIGRATE_LOCK_KEY1, MIGRATE_LOCK_KEY2),
			 errhint("Retry when it has finished, or raise migrate.lock_wait.")));
}

static void
lock_acquire(bool session)
{
	LOCKTAG		tag;
	int			save_lock_timeout = LockTimeout;
	MemoryContext oldcontext = CurrentMemoryContext;
	LockAcquireResult res;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_LOCK_KEY2, 2);

	/* already ours (in this transaction, or for the session) */
	if (!session && LockHeldByMe(&tag, ExclusiveLock))
		return;

	if (migrate_lock_wait_ms == 0)
	{
		res = LockAcquire(&tag, ExclusiveLock, session, true);
		if (res == LOCKACQUIRE_NOT_AVAIL)
			lock_wait_failed();
		return;
	}

	LockTimeout = migrate_lock_wait_ms;
	PG_TRY();
	{
		(void) LockAcquire(&tag, ExclusiveLock, session, false);
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
		lock_wait_failed();
	}
	PG_END_TRY();
	LockTimeout = save_lock_timeout;
}

/* The transaction-scoped lock: released when the transaction ends. */
void
migrate_lock_acquire(void)
{
	lock_acquire(false);
}

/*
 * The session-scoped lock, for migrate.run, whose revisions span several
 * transactions.  The caller must release it on every exit path, errors
 * included (session locks survive an abort).
 */
void
migrate_session_lock_acquire(void)
{
	lock_acquire(true);
}

void
migrate_session_lock_release(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_LOCK_KEY2, 2);
	(void) LockRelease(&tag, ExclusiveLock, true);
}

/* Is the lock still held (between transactions: at session level)? */
bool
migrate_lock_held(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_LOCK_KEY2, 2);
	return LockHeldByMe(&tag, ExclusiveLock);
}

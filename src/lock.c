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
 *
 * A migration that needs another project's revision (depends_on
 * 'project:id') takes that project's lock in share mode, so that project
 * cannot revert the revision while the dependency is checked and used
 * (projects.c).
 *
 * migrate.run, whose revisions span transactions, holds its project's lock
 * at session level for the whole CALL, and at transaction level in each of
 * its transactions as well.  A body may call pg_advisory_unlock_all(),
 * which releases every session-level advisory lock of the backend, ours
 * included; the transaction-level hold keeps other sessions out until the
 * transaction ends, and migrate_session_lock_check(), called after each
 * statement and before each revision is recorded, notices the loss (a
 * second, private session-level lock, the sentinel, is gone too) and takes
 * the lock back while nobody else can have it.  The sentinel is the
 * one-key (bigint) advisory lock (1835624306 << 32) | pid, so that it can
 * never be taken for a project's two-key lock.  Also for the whole CALL: a
 * session-level AccessShareLock on the extension itself, so that DROP
 * EXTENSION waits until the run ends rather than dropping the catalog
 * between two of its transactions.
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

#include "catalog/pg_extension.h"
#include "commands/extension.h"
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

	/*
	 * Already ours (in this transaction, or for the session): make sure this
	 * transaction holds it too, at no wait, so that a body releasing the
	 * session-level lock leaves the transaction's in place.  A share lock
	 * is implied by the exclusive one.
	 */
	if (!session && LockHeldByMe(&tag, ExclusiveLock))
	{
		(void) LockAcquire(&tag, ExclusiveLock, false, true);
		return;
	}
	if (!session && mode == ShareLock && LockHeldByMe(&tag, ShareLock))
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
 * The sentinel: a session-level lock of this backend alone, in the
 * one-key (bigint) form, which no project's two-key lock can be.
 */
static void
sentinel_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 (uint32) MyProcPid, 1);
}

/*
 * The session-scoped lock, for migrate.run, whose revisions span several
 * transactions, with its sentinel.  The caller must release it on every
 * exit path, errors included (session locks survive an abort).
 */
void
migrate_session_lock_acquire(const char *project)
{
	LOCKTAG		sentinel;

	lock_acquire(project, ExclusiveLock, true);
	sentinel_tag(&sentinel);
	(void) LockAcquire(&sentinel, ExclusiveLock, true, false);
}

void
migrate_session_lock_release(const char *project)
{
	LOCKTAG		tag;

	set_tag(&tag, project);
	/* a body may have released them: no WARNING for a lock already gone */
	if (LockHeldByMe(&tag, ExclusiveLock))
		(void) LockRelease(&tag, ExclusiveLock, true);
	sentinel_tag(&tag);
	if (LockHeldByMe(&tag, ExclusiveLock))
		(void) LockRelease(&tag, ExclusiveLock, true);
}

/*
 * After a statement of "revision" in migrate.run, with the transaction-level
 * hold still in place: if a body released the session-level lock (the
 * sentinel is gone with it), take both back.  Nobody else can hold the lock
 * meanwhile, so this does not wait.
 */
void
migrate_session_lock_check(const char *project, const char *revision)
{
	LOCKTAG		tag;
	LOCKTAG		sentinel;

	sentinel_tag(&sentinel);
	if (LockHeldByMe(&sentinel, ExclusiveLock))
		return;
	set_tag(&tag, project);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision \"%s\" released the migration lock, and another session took it", revision),
				 errdetail("A statement of its body released the session's advisory locks (pg_advisory_unlock_all()); the rest of the plan was not run."),
				 errhint("Remove the pg_advisory_unlock_all call from the body, then run migrate.run again.")));
	(void) LockAcquire(&sentinel, ExclusiveLock, true, true);
	ereport(WARNING,
			(errmsg("revision \"%s\" released the migration lock; migrate.run took it back", revision),
			 errdetail("A statement of its body released the session's advisory locks (pg_advisory_unlock_all()). No other session could take the migration lock meanwhile: this transaction still held it."),
			 errhint("Release a lock of the body's own with pg_advisory_unlock(key) instead.")));
}

/* the extension locked by migrate_extension_lock_acquire, for its release */
static Oid	locked_extension = InvalidOid;

/*
 * For the whole of CALL migrate.run: DROP EXTENSION (which takes
 * AccessExclusiveLock on the extension) waits until the run has ended.
 * Released on every exit path, errors included, without catalog access.
 */
void
migrate_extension_lock_acquire(void)
{
	LOCKTAG		tag;

	locked_extension = get_extension_oid("migrate", false);
	SET_LOCKTAG_OBJECT(tag, MyDatabaseId, ExtensionRelationId, locked_extension, 0);
	(void) LockAcquire(&tag, AccessShareLock, true, false);
}

void
migrate_extension_lock_release(void)
{
	LOCKTAG		tag;

	if (!OidIsValid(locked_extension))
		return;
	SET_LOCKTAG_OBJECT(tag, MyDatabaseId, ExtensionRelationId, locked_extension, 0);
	if (LockHeldByMe(&tag, AccessShareLock))
		(void) LockRelease(&tag, AccessShareLock, true);
	locked_extension = InvalidOid;
}

/* Is the project's lock still held (between transactions: at session level)? */
bool
migrate_lock_held(const char *project)
{
	LOCKTAG		tag;

	set_tag(&tag, project);
	return LockHeldByMe(&tag, ExclusiveLock);
}

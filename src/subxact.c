/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  One way to run code in an internal subtransaction, and one retry loop
 *	  for lock timeouts, used by registration (parsing a body), the
 *	  transactional engine (a revision) and the procedure engine (a
 *	  statement of a non-transactional revision).
 *
 * The pattern is PL/Python's plpy_spi.c: BeginInternalSubTransaction, run,
 * then ReleaseCurrentSubTransaction or, on error, copy the error data,
 * flush the error state and RollbackAndReleaseCurrentSubTransaction; both
 * ways restore the caller's memory context and resource owner, which the
 * subtransaction calls change.  The caller gets the error as data and
 * decides: record it, retry, re-raise.  Query cancels and shutdowns are
 * returned like any error; callers re-raise them.
 *
 * Lock timeouts: a revision (or statement) whose lock wait reached
 * lock_timeout is rolled back and tried again after a pause that grows
 * with each try (at most 1 s, with jitter so that two waiting sessions do
 * not retry in step), up to migrate.lock_retries times.  Only our own
 * lock timeout counts (migrate_is_lock_timeout): a 55P03 that a body
 * raises otherwise (NOWAIT, dblink) is an error like any other.
 *
 * IDENTIFICATION
 *	  src/subxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/xact.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/*
 * Run fn(arg) in an internal subtransaction.  Returns true when it
 * committed; false when it failed and was rolled back, with *error set to
 * the error (allocated in the caller's memory context).
 */
bool
migrate_subxact_try(MigrateSubxactFn fn, void *arg, ErrorData **error)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = false;

	*error = NULL;
	BeginInternalSubTransaction(NULL);
	/* the subtransaction's context is for its own work, not the caller's */
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		ok = true;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		*error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();
	return ok;
}

/* Pause before retrying after a lock timeout: 50-100 ms, doubling to 1 s. */
static void
lock_retry_pause(int tries)
{
	long		ms = Min(1000L, 100L << Min(tries, 4));

	ms = ms / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (ms / 2));
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Did this error come from our own lock_timeout (migrate.lock_timeout, set
 * around each body), and not from a body that raised 55P03 itself: a
 * NOWAIT lock ("could not obtain lock on relation"), a remote error that
 * dblink passed on, a RAISE?  Only PostgreSQL's lock-timeout cancel has
 * this message id; anything else keeps its own message and is not retried.
 */
bool
migrate_is_lock_timeout(const ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
		edata->message_id != NULL &&
		strcmp(edata->message_id, "canceling statement due to lock timeout") == 0;
}

/*
 * Run fn(arg) in a subtransaction, again after each lock timeout, up to
 * migrate.lock_retries more times.  describe(arg) names the work that
 * waited, in the NOTICE of each retry ("revision "x""); it is called after
 * the failed try, so it may name the part of the work that failed.
 * Returns NULL when it committed, else the error that ended it: another
 * error, or the last lock timeout.  *tries is the number of retries made.
 */
ErrorData *
migrate_subxact_with_lock_retries_described(MigrateSubxactFn fn, void *arg,
											MigrateDescribeFn describe,
											int *tries)
{
	ErrorData  *edata;

	*tries = 0;
	while (!migrate_subxact_try(fn, arg, &edata))
	{
		if (!migrate_is_lock_timeout(edata) || *tries >= migrate_lock_retries)
			return edata;
		ereport(NOTICE,
				(errmsg("%s timed out waiting for a lock; retrying (%d of %d)",
						describe(arg), *tries + 1, migrate_lock_retries)));
		(*tries)++;
		FreeErrorData(edata);
		lock_retry_pause(*tries);
	}
	return NULL;
}

typedef struct FixedDescription
{
	MigrateSubxactFn fn;
	void	   *arg;
	const char *what;
} FixedDescription;

static void
call_fixed(void *arg)
{
	FixedDescription *d = (FixedDescription *) arg;

	d->fn(d->arg);
}

static char *
describe_fixed(void *arg)
{
	return (char *) ((FixedDescription *) arg)->what;
}

/* The same, for work whose description is known before it runs. */
ErrorData *
migrate_subxact_with_lock_retries(MigrateSubxactFn fn, void *arg,
								  const char *what, int *tries)
{
	FixedDescription d = {fn, arg, what};

	return migrate_subxact_with_lock_retries_described(call_fixed, &d,
													   describe_fixed, tries);
}

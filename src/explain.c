/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  migrate.explain(target, project): run the plan's transactional bodies
 *	  in a subtransaction that is always rolled back, and report per
 *	  statement the locks this backend really took, the relations whose
 *	  storage was replaced (a rewrite) and the time it took.
 *
 * The plan is the one upgrade() would run, planned the same way (steps.c,
 * under the migration lock) and run by the same engine
 * (migrate_run_transactional_step in apply.c: each revision in its own
 * subtransaction, as the caller or, across the role boundary, as the role
 * that registered it (rights.c), with migrate.lock_timeout and
 * migrate.lock_retries, settings discarded afterwards), inside one more
 * subtransaction (migrate_subxact_try in subxact.c) whose function ends by
 * raising a private error, so that everything the bodies did is rolled
 * back, always, and every lock they took is released.
 *
 * Measuring, through the engine's statement hook (Run.stmt_hook):
 *	  - locks: before and after each statement, the relation locks this
 *	    backend holds in this database, from the lock manager
 *	    (GetLockStatusData, fast-path locks included); a mode held after
 *	    and not before was taken by the statement, and the strongest such
 *	    mode per relation is reported.  A mode the transaction already held
 *	    (from an earlier statement of the plan, or before explain() was
 *	    called) is not seen again: run explain() in a transaction of its
 *	    own, and read a later statement's row for a relation an earlier one
 *	    locked as "no stronger lock than before".
 *	  - rewrites: a snapshot taken before the statement still sees each
 *	    relation's old pg_class row; a relfilenode that differs after the
 *	    statement is storage written anew (a rewrite, a TRUNCATE, an index
 *	    rebuilt, a SET TABLESPACE).  Every relation locked after the
 *	    statement is compared, since a rewrite needs AccessExclusiveLock.
 *	  - the relations of pg_catalog, pg_toast, information_schema and the
 *	    migrate schema are left out: bodies touch catalogs all the time.
 *
 * It takes the locks it measures, and holds them while the plan runs: it
 * is a tool for a staging copy of the production database, not for
 * production.  Not executable by PUBLIC.
 *
 * IDENTIFICATION
 *	  src/explain.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(migrate_explain);

/* the private error that ends every explain() run: roll everything back */
#define ERRCODE_MIGRATE_EXPLAIN_DONE	MAKE_SQLSTATE('M','G','X','0','1')

typedef struct HeldLock
{
	Oid			relid;
	LOCKMASK	mask;
} HeldLock;

typedef struct ExplainRow
{
	const char *revision;
	int			statement;
	int64		duration_us;	/* -1: not run (non-transactional revision) */
	char	   *relation;
	LOCKMODE	lock;
	int			rewrite;		/* -1 NULL */
} ExplainRow;

typedef struct ExplainState
{
	MemoryContext cxt;			/* rows live here, outside every subtransaction */
	List	   *rows;			/* ExplainRow * of finished revisions */
	List	   *step_rows;		/* of the revision running (a retry drops them) */
	HeldLock   *before;
	int			nbefore;
	Snapshot	before_snap;
	TimestampTz started;
	bool		completed;
} ExplainState;

typedef struct ExplainCall
{
	Run		   *run;
	ExplainState *es;
} ExplainCall;

/* The relation locks this backend holds in this database. */
static HeldLock *
held_locks(MemoryContext cxt, int *n)
{
	LockData   *ld = GetLockStatusData();
	HeldLock   *held = MemoryContextAlloc(cxt, sizeof(HeldLock) * Max(ld->nelements, 1));

	*n = 0;
	for (int i = 0; i < ld->nelements; i++)
	{
		LockInstanceData *inst = &ld->locks[i];
		bool		merged = false;

		if (inst->pid != MyProcPid || inst->holdMask == 0 ||
			inst->locktag.locktag_type != LOCKTAG_RELATION ||
			inst->locktag.locktag_field1 != MyDatabaseId)
			continue;
		for (int j = 0; j < *n && !merged; j++)
			if (held[j].relid == inst->locktag.locktag_field2)
			{
				held[j].mask |= inst->holdMask;
				merged = true;
			}
		if (!merged)
		{
			held[*n].relid = inst->locktag.locktag_field2;
			held[*n].mask = inst->holdMask;
			(*n)++;
		}
	}
	pfree(ld->locks);
	pfree(ld);
	return held;
}

static LOCKMASK
mask_of(HeldLock *held, int n, Oid relid)
{
	for (int i = 0; i < n; i++)
		if (held[i].relid == relid)
			return held[i].mask;
	return 0;
}

static LOCKMODE
strongest(LOCKMASK mask)
{
	for (LOCKMODE m = MaxLockMode; m > NoLock; m--)
		if (mask & LOCKBIT_ON(m))
			return m;
	return NoLock;
}

/* A relation's pg_class row as a snapshot saw it. */
static bool
class_as_of(Oid relid, Snapshot snap, Form_pg_class out)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ClassOidIndexId, true, snap, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		memcpy(out, GETSTRUCT(tup), sizeof(FormData_pg_class));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* Catalogs, TOAST and migrate's own tables are not what a body is about. */
static bool
is_internal_namespace(Oid nsp)
{
	char	   *name;

	if (nsp == PG_CATALOG_NAMESPACE || nsp == PG_TOAST_NAMESPACE ||
		isTempToastNamespace(nsp))
		return true;
	if (nsp == migrate_schema_oid())
		return true;
	name = get_namespace_name(nsp);
	return name == NULL || strcmp(name, "information_schema") == 0 ||
		strncmp(name, "pg_toast", 8) == 0;
}

static int
row_cmp(const ListCell *a, const ListCell *b)
{
	ExplainRow *ra = (ExplainRow *) lfirst(a);
	ExplainRow *rb = (ExplainRow *) lfirst(b);

	return strcmp(ra->relation, rb->relation);
}

/* After a statement: one row per relation it newly locked or rewrote. */
static void
measure_statement(Run *run, Step *st, ExplainState *es)
{
	int64		duration = GetCurrentTimestamp() - es->started;
	int			nafter;
	HeldLock   *after = held_locks(CurrentMemoryContext, &nafter);
	List	   *rows = NIL;
	MemoryContext old;

	for (int i = 0; i < nafter; i++)
	{
		Oid			relid = after[i].relid;
		LOCKMASK	fresh = after[i].mask & ~mask_of(es->before, es->nbefore, relid);
		FormData_pg_class oldform;
		bool		existed = class_as_of(relid, es->before_snap, &oldform);
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		Form_pg_class now = HeapTupleIsValid(tup) ? (Form_pg_class) GETSTRUCT(tup) : NULL;
		bool		rewritten;
		ExplainRow *row;

		rewritten = existed && now != NULL && oldform.relfilenode != 0 &&
			now->relfilenode != oldform.relfilenode;
		if ((fresh != 0 || rewritten) && (existed || now != NULL) &&
			!is_internal_namespace(now ? now->relnamespace : oldform.relnamespace))
		{
			old = MemoryContextSwitchTo(es->cxt);
			row = palloc0(sizeof(ExplainRow));
			row->revision = st->id;
			row->statement = run->cur_stmt + 1;
			row->duration_us = duration;
			/* named as the statement named it: before a RENAME or SET SCHEMA */
			row->relation = existed ?
				quote_qualified_identifier(get_namespace_name(oldform.relnamespace),
										   NameStr(oldform.relname)) :
				quote_qualified_identifier(get_namespace_name(now->relnamespace),
										   NameStr(now->relname));
			row->lock = strongest(fresh);
			row->rewrite = rewritten ? 1 : 0;
			rows = lappend(rows, row);
			MemoryContextSwitchTo(old);
		}
		if (HeapTupleIsValid(tup))
			ReleaseSysCache(tup);
	}
	old = MemoryContextSwitchTo(es->cxt);
	if (rows == NIL)
	{
		ExplainRow *row = palloc0(sizeof(ExplainRow));

		row->revision = st->id;
		row->statement = run->cur_stmt + 1;
		row->duration_us = duration;
		row->rewrite = -1;
		rows = list_make1(row);
	}
	else
		list_sort(rows, row_cmp);
	es->step_rows = list_concat(es->step_rows, rows);
	MemoryContextSwitchTo(old);
}

/* The engine's statement hook: before and after each statement. */
static void
explain_hook(Run *run, Step *st, bool after)
{
	ExplainState *es = (ExplainState *) run->hook_arg;

	if (!after)
	{
		if (run->cur_stmt == 0)
			es->step_rows = NIL;	/* a retry after a lock timeout starts over */
		if (es->before)
			pfree(es->before);
		es->before = held_locks(es->cxt, &es->nbefore);
		/* (a snapshot left by a failed try was released by its abort) */
		es->before_snap = RegisterSnapshot(GetLatestSnapshot());
		es->started = GetCurrentTimestamp();
		return;
	}
	measure_statement(run, st, es);
	UnregisterSnapshot(es->before_snap);
	es->before_snap = NULL;
}

/* Rows for a revision explain() does not run: it needs migrate.run. */
static void
skipped_rows(ExplainState *es, Step *st)
{
	MemoryContext old = MemoryContextSwitchTo(es->cxt);

	for (int i = 0; i < list_length(st->stmts); i++)
	{
		ExplainRow *row = palloc0(sizeof(ExplainRow));

		row->revision = st->id;
		row->statement = i + 1;
		row->duration_us = -1;
		row->rewrite = -1;
		es->rows = lappend(es->rows, row);
	}
	MemoryContextSwitchTo(old);
}

/* Inside the outer subtransaction: run every step, then roll back. */
static void
explain_run(void *arg)
{
	ExplainCall *call = (ExplainCall *) arg;
	Run		   *run = call->run;
	ExplainState *es = call->es;

	for (int k = 0; k < run->nsteps; k++)
	{
		Step	   *st = &run->steps[k];

		CHECK_FOR_INTERRUPTS();
		if (!st->transactional)
		{
			skipped_rows(es, st);
			continue;
		}
		es->step_rows = NIL;
		migrate_run_transactional_step(run, st, k, false);
		es->rows = list_concat(es->rows, es->step_rows);
		es->step_rows = NIL;
	}
	es->completed = true;
	ereport(ERROR,
			(errcode(ERRCODE_MIGRATE_EXPLAIN_DONE),
			 errmsg_internal("migrate.explain() rolls back what it ran")));
}

Datum
migrate_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = migrate_target_arg(fcinfo, 0);
	/* the project whose plan is explained: the one place it flows in */
	const char *project = migrate_project_arg(fcinfo, 1);
	Run			run;
	ExplainState es;
	ExplainCall call = {&run, &es};
	ErrorData  *edata;
	ListCell   *lc;

	migrate_forbid_in_body("explain");
	migrate_srf_init(fcinfo);
	migrate_run_init(&run, project, MIGRATE_UP, "explain", target);
	migrate_run_plan(&run, CurrentMemoryContext);
	if (run.nsteps == 0)
	{
		migrate_graph_free(run.graph, "migrate.explain");
		return (Datum) 0;
	}
	migrate_run_parse_bodies(&run, true);
	/* whose rights each body runs with, as upgrade() (rights.c): a caller
	 * who may not run a body is refused before anything runs */
	migrate_run_resolve_roles(&run);

	memset(&es, 0, sizeof(es));
	es.cxt = CurrentMemoryContext;
	run.stmt_hook = explain_hook;
	run.hook_arg = &es;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (migrate_subxact_try(explain_run, &call, &edata))
		elog(ERROR, "migrate.explain() ran its plan without rolling it back");
	if (!es.completed || edata->sqlerrcode != ERRCODE_MIGRATE_EXPLAIN_DONE)
	{
		/* a body failed: its own error, after everything rolled back */
		migrate_body_reset();
		SPI_finish();
		ReThrowError(edata);
	}
	FreeErrorData(edata);
	SPI_finish();

	foreach(lc, es.rows)
	{
		ExplainRow *r = (ExplainRow *) lfirst(lc);
		Datum		v[6];
		bool		n[6] = {false, false, false, false, false, false};

		v[0] = CStringGetTextDatum(r->revision);
		v[1] = Int32GetDatum(r->statement);
		if (r->duration_us < 0)
			n[2] = true;
		else
		{
			Interval   *iv = palloc0(sizeof(Interval));

			iv->time = r->duration_us;
			v[2] = IntervalPGetDatum(iv);
		}
		n[3] = r->relation == NULL;
		v[3] = n[3] ? (Datum) 0 : CStringGetTextDatum(r->relation);
		n[4] = r->lock == NoLock;
		v[4] = n[4] ? (Datum) 0 : CStringGetTextDatum(migrate_lint_lock_name(r->lock));
		n[5] = r->rewrite < 0;
		v[5] = BoolGetDatum(r->rewrite > 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	migrate_graph_free(run.graph, "migrate.explain");
	return (Datum) 0;
}

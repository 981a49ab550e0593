/*-------------------------------------------------------------------------
 *
 * lint_locks.c
 *	  The lock each kind of statement takes on the relation it works on.
 *
 * ALTER TABLE (and ALTER INDEX, VIEW, SEQUENCE ... which share its parse
 * node) asks PostgreSQL itself: AlterTableGetLockLevel() in
 * commands/tablecmds.c is the function ProcessUtilitySlow calls to decide
 * the lock of the very statement it is about to run, and it reads only the
 * subcommands of the raw parse tree, which is what lint has.
 *
 * Every other statement kind has its lock in a table below, read from
 * PostgreSQL 15's source (the function that takes the lock is named on each
 * line) and checked against what migrate.explain() measures in the lock
 * manager, by test/pgtap/lint_explain.sql over a corpus of DDL.
 *
 * Foreign keys reach a second table: dropping a table or a foreign-key
 * constraint takes AccessExclusiveLock on the referenced table too (the
 * triggers on it are dropped: RemoveTriggerById in trigger.c, and
 * ATExecDropConstraint in tablecmds.c "must match lock taken by
 * RemoveTriggerById"); those relations come from pg_constraint here.
 *
 * IDENTIFICATION
 *	  src/lint_locks.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "executor/spi.h"
#include "storage/lock.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* the names pg_locks shows */
const char *
migrate_lint_lock_name(LOCKMODE mode)
{
	if (mode == NoLock)
		return NULL;
	return GetLockmodeName(DEFAULT_LOCKMETHOD, mode);
}

/* What a lock mode blocks, for messages. */
const char *
migrate_lint_lock_blocks(LOCKMODE mode)
{
	switch (mode)
	{
		case AccessExclusiveLock:
			return "blocks every read and write of";
		case ExclusiveLock:
			return "blocks every write and most reads of";
		case ShareRowExclusiveLock:
		case ShareLock:
			return "blocks every write to";
		case ShareUpdateExclusiveLock:
			return "blocks other schema changes, VACUUM and ANALYZE of";
		default:
			return "blocks little on";
	}
}

/* REINDEX (CONCURRENTLY) */
bool
migrate_lint_reindex_concurrently(ReindexStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->params)
		if (strcmp(lfirst_node(DefElem, lc)->defname, "concurrently") == 0)
			return true;
	return false;
}

/* ALTER TABLE and the statements that share its node: PostgreSQL decides. */
LOCKMODE
migrate_lint_alter_table_lock(AlterTableStmt *stmt)
{
	if (stmt->cmds == NIL)
		return NoLock;
	return AlterTableGetLockLevel(stmt->cmds);
}

static bool
is_relation_objtype(ObjectType type)
{
	switch (type)
	{
		case OBJECT_TABLE:
		case OBJECT_INDEX:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
			return true;
		default:
			return false;
	}
}

/*
 * The lock a statement takes on the relation it is about (the one
 * lint_rules.c resolves for it).  *known is false for kinds that take no
 * lock on a relation that lint can name.
 */
LOCKMODE
migrate_lint_statement_lock(Node *stmt, bool *known)
{
	*known = true;
	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			return migrate_lint_alter_table_lock((AlterTableStmt *) stmt);

		case T_IndexStmt:
			/* indexcmds.c DefineIndex */
			return ((IndexStmt *) stmt)->concurrent ?
				ShareUpdateExclusiveLock : ShareLock;

		case T_DropStmt:
			{
				DropStmt   *d = (DropStmt *) stmt;

				/* tablecmds.c RemoveRelations (index: its table too) */
				if (is_relation_objtype(d->removeType))
					return d->concurrent ? ShareUpdateExclusiveLock :
						AccessExclusiveLock;
				/* trigger.c RemoveTriggerById, policy.c RemovePolicyById,
				 * rewriteRemove.c RemoveRewriteRuleById */
				if (d->removeType == OBJECT_TRIGGER ||
					d->removeType == OBJECT_POLICY ||
					d->removeType == OBJECT_RULE)
					return AccessExclusiveLock;
				break;
			}

		case T_RenameStmt:
			switch (((RenameStmt *) stmt)->renameType)
			{
				case OBJECT_INDEX:
					/* tablecmds.c RenameRelation: ShareUpdateExclusive for an index */
					return ShareUpdateExclusiveLock;
				case OBJECT_TABLE:
				case OBJECT_VIEW:
				case OBJECT_MATVIEW:
				case OBJECT_SEQUENCE:
				case OBJECT_FOREIGN_TABLE:
				case OBJECT_COLUMN:		/* tablecmds.c renameatt */
				case OBJECT_TABCONSTRAINT:	/* tablecmds.c RenameConstraint */
				case OBJECT_TRIGGER:	/* trigger.c renametrig */
				case OBJECT_RULE:		/* rewriteDefine.c RenameRewriteRule */
				case OBJECT_POLICY:		/* policy.c rename_policy */
					return AccessExclusiveLock;
				default:
					break;
			}
			break;

		case T_TruncateStmt:	/* tablecmds.c ExecuteTruncate */
		case T_RuleStmt:		/* rewriteDefine.c DefineQueryRewrite */
		case T_CreatePolicyStmt:	/* policy.c CreatePolicy */
		case T_AlterPolicyStmt: /* policy.c AlterPolicy */
		case T_AlterObjectSchemaStmt:	/* tablecmds.c AlterTableNamespace */
		case T_ViewStmt:		/* view.c DefineView, OR REPLACE */
			return AccessExclusiveLock;

		case T_ClusterStmt:		/* cluster.c cluster_rel */
			return AccessExclusiveLock;

		case T_CreateTrigStmt:	/* trigger.c CreateTrigger */
		case T_AlterSeqStmt:	/* sequence.c AlterSequence */
			return ShareRowExclusiveLock;

		case T_CommentStmt:		/* comment.c CommentObject */
		case T_CreateStatsStmt: /* statscmds.c CreateStatistics */
			return ShareUpdateExclusiveLock;

		case T_ReindexStmt:
			/* indexcmds.c ReindexTable / ReindexIndex: ShareLock on the table,
			 * AccessExclusiveLock on each index rebuilt;
			 * ReindexRelationConcurrently: ShareUpdateExclusiveLock on both */
			return migrate_lint_reindex_concurrently((ReindexStmt *) stmt) ?
				ShareUpdateExclusiveLock : ShareLock;

		case T_RefreshMatViewStmt:	/* matview.c ExecRefreshMatView */
			return ((RefreshMatViewStmt *) stmt)->concurrent ?
				ExclusiveLock : AccessExclusiveLock;

		case T_VacuumStmt:
			{
				VacuumStmt *v = (VacuumStmt *) stmt;
				ListCell   *lc;

				/* vacuum.c vacuum_rel / analyze_rel */
				foreach(lc, v->options)
					if (strcmp(lfirst_node(DefElem, lc)->defname, "full") == 0)
						return AccessExclusiveLock;
				return ShareUpdateExclusiveLock;
			}

		case T_LockStmt:		/* lockcmds.c LockTableCommand */
			return ((LockStmt *) stmt)->mode;

		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
#endif
			/* parse_relation.c setTargetTable */
			return RowExclusiveLock;

		case T_CreateStmt:
		case T_CreateTableAsStmt:
			/* heap.c heap_create_with_catalog: the new relation */
			return AccessExclusiveLock;

		default:
			break;
	}
	*known = false;
	return NoLock;
}

/*
 * Scan pg_constraint for the foreign keys of (or to) a table: the tables
 * they reference ("referencing" false) or the tables that reference it.
 */
static List *
fk_tables(Oid relid, bool referencing)
{
	List	   *result = NIL;
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	if (!referencing)
	{
		ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
								  NULL, 1, &key);
	}
	else
	{
		/* no index on confrelid: a full scan, as pg_dump's queries do */
		ScanKeyInit(&key, Anum_pg_constraint_confrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	}
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		Oid			other = referencing ? con->conrelid : con->confrelid;

		if (con->contype != CONSTRAINT_FOREIGN || other == relid ||
			list_member_oid(result, other))
			continue;
		/* a partition's inherited copy locks nothing more than its parent's */
		if (OidIsValid(con->conparentid))
			continue;
		result = lappend_oid(result, other);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* Tables that the foreign keys of relid reference. */
List *
migrate_lint_fk_referenced(Oid relid)
{
	return fk_tables(relid, false);
}

/* The referenced table of relid's foreign key conname, or InvalidOid. */
Oid
migrate_lint_fk_of_constraint(Oid relid, const char *conname)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan;
	ScanKeyData key[3];
	HeapTuple	tup;
	Oid			result = InvalidOid;

	ScanKeyInit(&key[0], Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_constraint_contypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(InvalidOid));
	ScanKeyInit(&key[2], Anum_pg_constraint_conname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(conname));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 3, key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		if (con->contype == CONSTRAINT_FOREIGN && con->confrelid != relid)
			result = con->confrelid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* Tables whose foreign keys reference relid (DROP TABLE ... CASCADE). */
List *
migrate_lint_fk_referencing(Oid relid)
{
	return fk_tables(relid, true);
}

/* The indexes of a table (REINDEX TABLE rebuilds each). */
List *
migrate_lint_indexes_of(Oid relid)
{
	List	   *result = NIL;
	Relation	rel = table_open(IndexRelationId, AccessShareLock);
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		result = lappend_oid(result, ((Form_pg_index) GETSTRUCT(tup))->indexrelid);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* The table of an index, or InvalidOid. */
Oid
migrate_lint_table_of_index(Oid indexid)
{
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));
	Oid			result;

	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	result = ((Form_pg_index) GETSTRUCT(tup))->indrelid;
	ReleaseSysCache(tup);
	return result;
}

/*
 * The relations a DROP TYPE / DROP DOMAIN ... CASCADE reaches: the
 * composite type's own relation, typed tables, tables with a column of the
 * type (dependency.c drops each, under AccessExclusiveLock).
 */
List *
migrate_lint_type_users(Oid typid)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *result = NIL;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(typid)};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT t.typrelid FROM pg_catalog.pg_type t"
							  " WHERE t.oid = $1 AND t.typrelid <> 0"
							  " UNION SELECT c.oid FROM pg_catalog.pg_class c WHERE c.reloftype = $1"
							  " UNION SELECT a.attrelid FROM pg_catalog.pg_attribute a"
							  "  WHERE a.atttypid = $1 AND NOT a.attisdropped",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the users of a type");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext spicxt = MemoryContextSwitchTo(cxt);

			result = lappend_oid(result, DatumGetObjectId(d));
			MemoryContextSwitchTo(spicxt);
		}
	}
	SPI_finish();
	return result;
}

/*-------------------------------------------------------------------------
 *
 * lint_stmts.c
 *	  The rules of migrate.lint for the statements that are neither DDL
 *	  that creates, alters, drops or renames (lint_rules.c, lint_alter.c):
 *	  TRUNCATE, REINDEX, CLUSTER, REFRESH MATERIALIZED VIEW, VACUUM FULL,
 *	  data changes (a whole-table UPDATE), and the statements that take one
 *	  lock on one named relation and have no rule of their own (CREATE
 *	  TRIGGER, CREATE POLICY, COMMENT ON, LOCK, ALTER SEQUENCE ...): their
 *	  lock row.
 *
 * IDENTIFICATION
 *	  src/lint_stmts.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "nodes/makefuncs.h"

/* TRUNCATE: every row gone, a new relfilenode, AccessExclusiveLock. */
static void
lint_truncate(LintState *ls, TruncateStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->relations)
	{
		LintRel    *rel = migrate_lint_rel(ls, lfirst_node(RangeVar, lc));
		MigrateSeverity sev = migrate_lint_scaled(ls, rel);

		if (sev == MIGRATE_INFO && !rel->created && !rel->missing && rel->rows > 0)
			sev = MIGRATE_WARNING;
		migrate_lint_add(ls, sev, "truncate", rel, AccessExclusiveLock,
						 rel->created ? -1 : 1,
						 psprintf("TRUNCATE %s (%s) removes every row%s, under AccessExclusiveLock",
								  rel->name, migrate_lint_size_text(rel),
								  stmt->behavior == DROP_CASCADE ?
								  ", and CASCADE empties every table that references it too" : ""),
						 pstrdup("If emptying the table is meant, make sure nothing writes it any more; to remove rows while the application runs, DELETE them in batches."));
		if (OidIsValid(rel->relid) && stmt->behavior == DROP_CASCADE)
		{
			ListCell   *fc;

			foreach(fc, migrate_lint_fk_referencing(rel->relid))
				migrate_lint_lock_row(ls, migrate_lint_rel_oid(ls, lfirst_oid(fc)),
									  AccessExclusiveLock, 1, "TRUNCATE ... CASCADE");
		}
	}
}

/* REINDEX TABLE / INDEX: ShareLock on the table, each index rebuilt. */
static void
lint_reindex(LintState *ls, ReindexStmt *stmt)
{
	LintRel    *rel;
	LintRel    *table;
	List	   *indexes = NIL;
	ListCell   *lc;
	MigrateSeverity sev;

	if (stmt->relation == NULL)
		return;
	rel = migrate_lint_rel(ls, stmt->relation);
	if (stmt->kind == REINDEX_OBJECT_INDEX)
	{
		Oid			t = OidIsValid(rel->relid) ?
			migrate_lint_table_of_index(rel->relid) : InvalidOid;

		if (!OidIsValid(t))
			return;
		table = migrate_lint_rel_oid(ls, t);
		indexes = list_make1_oid(rel->relid);
	}
	else
	{
		table = rel;
		if (OidIsValid(rel->relid))
			indexes = migrate_lint_indexes_of(rel->relid);
	}
	if (migrate_lint_reindex_concurrently(stmt))
	{
		/* builds new indexes beside the old ones: no write waits */
		migrate_lint_lock_row(ls, table, ShareUpdateExclusiveLock, 0,
							  "REINDEX CONCURRENTLY");
		foreach(lc, indexes)
			migrate_lint_lock_row(ls, migrate_lint_rel_oid(ls, lfirst_oid(lc)),
								  ShareUpdateExclusiveLock, 1, "REINDEX CONCURRENTLY");
		return;
	}
	sev = migrate_lint_scaled(ls, table);
	migrate_lint_add(ls, sev, "blocking_index", table, ShareLock, 0,
					 psprintf("REINDEX takes ShareLock on %s (%s) and AccessExclusiveLock on each index it rebuilds: writes wait, and so does every query whose planning opens those indexes",
							  table->name, migrate_lint_size_text(table)),
					 sev == MIGRATE_INFO ? NULL :
					 pstrdup("Use REINDEX ... CONCURRENTLY in a revision registered with transactional => false."));
	foreach(lc, indexes)
		migrate_lint_lock_row(ls, migrate_lint_rel_oid(ls, lfirst_oid(lc)),
							  AccessExclusiveLock, 1, "REINDEX");
}

/* Statements that take one lock on one named relation and have no rule. */
void
migrate_lint_other(LintState *ls, Node *stmt)
{
	bool		known;
	LOCKMODE	lock = migrate_lint_statement_lock(stmt, &known);
	const char *what = migrate_lint_command_name(stmt);
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_TruncateStmt:
			lint_truncate(ls, (TruncateStmt *) stmt);
			break;
		case T_ReindexStmt:
			lint_reindex(ls, (ReindexStmt *) stmt);
			break;
		case T_CreateTrigStmt:
			migrate_lint_lock_rv(ls, ((CreateTrigStmt *) stmt)->relation, lock, 0, what);
			break;
		case T_RuleStmt:
			migrate_lint_lock_rv(ls, ((RuleStmt *) stmt)->relation, lock, 0, what);
			break;
		case T_CreatePolicyStmt:
			migrate_lint_lock_rv(ls, ((CreatePolicyStmt *) stmt)->table, lock, 0, what);
			break;
		case T_AlterPolicyStmt:
			migrate_lint_lock_rv(ls, ((AlterPolicyStmt *) stmt)->table, lock, 0, what);
			break;
		case T_CreateStatsStmt:
			foreach(lc, ((CreateStatsStmt *) stmt)->relations)
				if (IsA(lfirst(lc), RangeVar))
					migrate_lint_lock_rv(ls, lfirst_node(RangeVar, lc), lock, 0, what);
			break;
		case T_LockStmt:
			foreach(lc, ((LockStmt *) stmt)->relations)
				migrate_lint_lock_rv(ls, lfirst_node(RangeVar, lc), lock, 0, what);
			break;
		case T_AlterSeqStmt:
			{
				AlterSeqStmt *s = (AlterSeqStmt *) stmt;
				bool		rewrite = false;

				/* sequence.c init_params: every option but OWNED BY writes a new relfilenode */
				foreach(lc, s->options)
					if (strcmp(lfirst_node(DefElem, lc)->defname, "owned_by") != 0)
						rewrite = true;
				migrate_lint_lock_rv(ls, s->sequence, lock, rewrite ? 1 : 0, what);
				break;
			}
		case T_CommentStmt:
			{
				CommentStmt *c = (CommentStmt *) stmt;

				if (c->objtype == OBJECT_TABLE || c->objtype == OBJECT_VIEW ||
					c->objtype == OBJECT_MATVIEW || c->objtype == OBJECT_INDEX ||
					c->objtype == OBJECT_SEQUENCE ||
					c->objtype == OBJECT_FOREIGN_TABLE)
					migrate_lint_lock_rv(ls, migrate_lint_rv_from_names((List *) c->object, 0), lock, 0, what);
				else if (c->objtype == OBJECT_COLUMN)
					migrate_lint_lock_rv(ls, migrate_lint_rv_from_names((List *) c->object, 1), lock, 0, what);
				else if (c->objtype == OBJECT_TABCONSTRAINT ||
						 c->objtype == OBJECT_TRIGGER ||
						 c->objtype == OBJECT_RULE || c->objtype == OBJECT_POLICY)
					/* objectaddress.c get_object_address_relobject: the
					 * table is only opened (AccessShareLock); the lock is on
					 * the object itself */
					migrate_lint_lock_rv(ls, migrate_lint_rv_from_names((List *) c->object, 1),
							AccessShareLock, 0, what);
				break;
			}
		case T_VacuumStmt:
			foreach(lc, ((VacuumStmt *) stmt)->rels)
			{
				VacuumRelation *vr = lfirst_node(VacuumRelation, lc);

				if (lock == AccessExclusiveLock && vr->relation)
				{
					LintRel    *rel = migrate_lint_rel(ls, vr->relation);

					migrate_lint_add(ls, migrate_lint_scaled(ls, rel), "table_rewrite",
									 rel, lock, 1,
									 psprintf("VACUUM FULL rewrites %s (%s) under AccessExclusiveLock: every read and write waits for the whole rewrite",
											  rel->name, migrate_lint_size_text(rel)),
									 pstrdup("Let autovacuum reclaim the space, or rebuild the table online with a tool such as pg_repack."));
				}
				else
					migrate_lint_lock_rv(ls, vr->relation, lock, 0, what);
			}
			break;
		case T_InsertStmt:
			migrate_lint_lock_rv(ls, ((InsertStmt *) stmt)->relation, lock, 0, what);
			break;
		case T_DeleteStmt:
		case T_UpdateStmt:
			{
				RangeVar   *rv = IsA(stmt, UpdateStmt) ?
					((UpdateStmt *) stmt)->relation : ((DeleteStmt *) stmt)->relation;
				Node	   *where = IsA(stmt, UpdateStmt) ?
					((UpdateStmt *) stmt)->whereClause : ((DeleteStmt *) stmt)->whereClause;
				LintRel    *rel = migrate_lint_rel(ls, rv);
				MigrateSeverity sev = migrate_lint_scaled(ls, rel);

				if (where == NULL && sev != MIGRATE_INFO)
					migrate_lint_add(ls, sev, "full_table_update", rel, lock, 0,
									 psprintf("%s of every row of %s (%s) in the migration's transaction: each row stays locked, and concurrent writes of it wait, until the transaction commits",
											  what, rel->name, migrate_lint_size_text(rel)),
									 pstrdup("Backfill in batches: from the application, or in a revision registered with transactional => false, where each statement commits on its own."));
				else
					migrate_lint_lock_row(ls, rel, lock, 0, what);
				break;
			}
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			migrate_lint_lock_rv(ls, ((MergeStmt *) stmt)->relation, lock, 0, what);
			break;
#endif
		case T_ClusterStmt:
			{
				ClusterStmt *c = (ClusterStmt *) stmt;
				LintRel    *rel;

				if (c->relation == NULL)
					break;
				rel = migrate_lint_rel(ls, c->relation);
				migrate_lint_add(ls, migrate_lint_scaled(ls, rel), "table_rewrite",
								 rel, lock, 1,
								 psprintf("CLUSTER rewrites %s (%s) under AccessExclusiveLock: every read and write waits for the whole rewrite",
										  rel->name, migrate_lint_size_text(rel)),
								 pstrdup("Rebuild the table online with a tool such as pg_repack, outside the migration."));
				break;
			}
		case T_RefreshMatViewStmt:
			{
				RefreshMatViewStmt *r = (RefreshMatViewStmt *) stmt;
				LintRel    *rel = migrate_lint_rel(ls, r->relation);

				if (r->concurrent)
					migrate_lint_lock_row(ls, rel, lock, 0, what);
				else
					migrate_lint_add(ls, migrate_lint_scaled(ls, rel), "table_rewrite",
									 rel, lock, 1,
									 psprintf("REFRESH MATERIALIZED VIEW rebuilds %s (%s) under AccessExclusiveLock: every read of it waits",
											  rel->name, migrate_lint_size_text(rel)),
									 pstrdup("Use REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index), which lets reads go on."));
				break;
			}
		case T_ViewStmt:
			{
				ViewStmt   *v = (ViewStmt *) stmt;
				LintRel    *rel = migrate_lint_rel(ls, v->view);

				if (v->replace && !rel->missing)
					migrate_lint_lock_row(ls, rel, lock, 0, "CREATE OR REPLACE VIEW");
				else
					migrate_lint_rel_created(ls, v->view);
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *a = (AlterObjectSchemaStmt *) stmt;
				LintRel    *rel;

				if (a->relation == NULL)
					break;
				rel = migrate_lint_rel(ls, a->relation);
				migrate_lint_add(ls, (rel->created || rel->missing) ? MIGRATE_INFO : MIGRATE_WARNING,
								 "rename", rel, lock, 0,
								 psprintf("moving %s to schema %s breaks every running client that still names it in its old schema",
										  rel->name, a->newschema),
								 pstrdup(HINT_EXPAND_CONTRACT));
				migrate_lint_rel_dropped(ls, a->relation);
				migrate_lint_rel_created(ls, makeRangeVar(a->newschema, a->relation->relname, -1));
				break;
			}
		default:
			break;
	}
}

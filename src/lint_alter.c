/*-------------------------------------------------------------------------
 *
 * lint_alter.c
 *	  The rules for ALTER TABLE (and ALTER INDEX / VIEW / SEQUENCE /
 *	  MATERIALIZED VIEW / FOREIGN TABLE, which share its parse node), one
 *	  subcommand at a time.
 *
 * The whole statement takes one lock on its table, the strongest any of its
 * subcommands needs, as AlterTableGetLockLevel() decides (lint_locks.c),
 * and rewrites the table if any subcommand does: every row of the
 * statement reports that lock and that rewrite flag.  Two passes: the
 * first decides the rewrite, the second emits the findings.
 *
 * IDENTIFICATION
 *	  src/lint_alter.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "miscadmin.h"
#include "utils/syscache.h"

#define HINT_NOT_VALID \
	"Add it NOT VALID (a brief lock, no scan), then VALIDATE CONSTRAINT in a later transaction: validation takes only ShareUpdateExclusiveLock, which blocks no reads or writes."
#define HINT_SET_NOT_NULL \
	"ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later transaction; then SET NOT NULL finds the column proven and skips its scan (and the CHECK may be dropped)."
#define HINT_UNIQUE \
	"CREATE UNIQUE INDEX CONCURRENTLY in a revision registered with transactional => false, then ADD CONSTRAINT name UNIQUE USING INDEX name (or PRIMARY KEY USING INDEX): a brief lock, no build."
#define HINT_NEW_COLUMN \
	"Add a new column of the new type, fill it in batches (a trigger keeps new writes in step), move the application to it, then drop the old column."

/* What pg_class says of a relation that lint's rewrite decisions need. */
typedef struct RelFacts
{
	bool		known;
	char		persistence;
	Oid			tablespace;
	Oid			am;
} RelFacts;

static RelFacts
rel_facts(LintRel *rel)
{
	RelFacts	f = {false, 0, InvalidOid, InvalidOid};
	HeapTuple	tup;

	if (!OidIsValid(rel->relid))
		return f;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel->relid));
	if (!HeapTupleIsValid(tup))
		return f;
	f.known = true;
	f.persistence = ((Form_pg_class) GETSTRUCT(tup))->relpersistence;
	f.tablespace = ((Form_pg_class) GETSTRUCT(tup))->reltablespace;
	f.am = ((Form_pg_class) GETSTRUCT(tup))->relam;
	ReleaseSysCache(tup);
	return f;
}

static bool
is_serial(TypeName *tn)
{
	const char *t;

	if (tn == NULL || tn->names == NIL || list_length(tn->names) != 1)
		return false;
	t = strVal(linitial(tn->names));
	return strcmp(t, "serial") == 0 || strcmp(t, "serial4") == 0 ||
		strcmp(t, "bigserial") == 0 || strcmp(t, "serial8") == 0 ||
		strcmp(t, "smallserial") == 0 || strcmp(t, "serial2") == 0;
}

static Constraint *
column_constraint(ColumnDef *col, ConstrType type)
{
	ListCell   *lc;

	foreach(lc, col->constraints)
		if (lfirst_node(Constraint, lc)->contype == type)
			return lfirst_node(Constraint, lc);
	return NULL;
}

/*
 * Does ADD COLUMN rewrite the table?  tablecmds.c ATExecAddColumn: unless
 * the default is a non-volatile expression (stored once as the missing
 * value) and the type no domain with constraints, every row is written.
 */
static int
add_column_rewrites(ColumnDef *col, const char **cause)
{
	Constraint *def = column_constraint(col, CONSTR_DEFAULT);
	int			v;

	if (is_serial(col->typeName))
		return (*cause = "a serial column takes nextval() for every row", 1);
	if (column_constraint(col, CONSTR_IDENTITY))
		return (*cause = "an identity column takes a value for every row", 1);
	if (column_constraint(col, CONSTR_GENERATED))
		return (*cause = "a stored generated column is computed for every row", 1);
	if (def && (v = migrate_lint_default_volatile(def->raw_expr)) != 0)
		return (*cause = v > 0 ? "its default is volatile: evaluated for every row" :
				"its default could not be analysed now", v);
	if (migrate_lint_type_has_constraints(col->typeName))
		return (*cause = "its type is a domain with constraints, checked on every row", 1);
	return 0;
}

/* Pass 1: does this subcommand rewrite the table (1, 0, -1 unknown)? */
static int
cmd_rewrites(AlterTableStmt *stmt, LintRel *rel, RelFacts *f,
			 AlterTableCmd *cmd, const char **cause)
{
	*cause = NULL;
	if (stmt->objtype != OBJECT_TABLE && stmt->objtype != OBJECT_MATVIEW)
		return 0;
	switch (cmd->subtype)
	{
		case AT_AddColumn:
			if (rel->relkind == RELKIND_FOREIGN_TABLE)
				return 0;
			return add_column_rewrites(castNode(ColumnDef, cmd->def), cause);
		case AT_AlterColumnType:
			{
				ColumnDef  *col = castNode(ColumnDef, cmd->def);

				*cause = "the column's values are converted";
				return migrate_lint_type_change_rewrites(rel, cmd->name, col->typeName,
														 col->raw_default);
			}
		case AT_SetLogged:
		case AT_SetUnLogged:
			*cause = "changing persistence copies every row";
			if (!f->known)
				return -1;
			return (cmd->subtype == AT_SetLogged) ==
				(f->persistence == RELPERSISTENCE_UNLOGGED) ? 1 : 0;
		case AT_SetTableSpace:
			{
				Oid			ts = get_tablespace_oid(cmd->name, true);

				*cause = "moving to another tablespace copies every block";
				if (!f->known || !OidIsValid(ts))
					return -1;
				return (ts == f->tablespace ||
						(ts == MyDatabaseTableSpace && f->tablespace == InvalidOid)) ? 0 : 1;
			}
#if PG_VERSION_NUM >= 150000
		case AT_SetAccessMethod:
			{
				Oid			am = get_table_am_oid(cmd->name, true);

				*cause = "a new access method writes every row";
				if (!f->known || !OidIsValid(am))
					return -1;
				return am == f->am ? 0 : 1;
			}
#endif
		default:
			return 0;
	}
}

/* "col IS NOT NULL", the CHECK of the NOT NULL recipe: the column, or NULL. */
static const char *
not_null_check_column(Constraint *c)
{
	NullTest   *nt;
	ColumnRef  *cr;

	if (c->contype != CONSTR_CHECK || c->raw_expr == NULL ||
		!IsA(c->raw_expr, NullTest))
		return NULL;
	nt = (NullTest *) c->raw_expr;
	if (nt->nulltesttype != IS_NOT_NULL || !IsA(nt->arg, ColumnRef))
		return NULL;
	cr = (ColumnRef *) nt->arg;
	if (list_length(cr->fields) != 1 || !IsA(linitial(cr->fields), String))
		return NULL;
	return strVal(linitial(cr->fields));
}

static void
lint_add_constraint(LintState *ls, LintRel *rel, Constraint *c, LOCKMODE lock,
					int rewrite)
{
	const char *name = c->conname ? c->conname : "";
	const char *nn_col = not_null_check_column(c);
	char	   *key = rel->name;
	MigrateSeverity sev = migrate_lint_scaled(ls, rel);

	switch (c->contype)
	{
		case CONSTR_CHECK:
		case CONSTR_FOREIGN:
			if (c->contype == CONSTR_FOREIGN)
				migrate_lint_referenced(ls, rel, c->pktable, ShareRowExclusiveLock,
										c->skip_validation ? MIGRATE_INFO : sev,
										"ADD FOREIGN KEY");
			if (c->skip_validation)
			{
				migrate_lint_fact(ls, LINT_FACT_NOT_VALID, key, name, NULL);
				if (nn_col)
					migrate_lint_fact(ls, LINT_FACT_NOT_NULL_CHECK_PENDING, key, name, nn_col);
				migrate_lint_lock_row(ls, rel, lock, rewrite,
									  "ADD CONSTRAINT ... NOT VALID (no scan)");
				return;
			}
			if (nn_col)
				migrate_lint_fact(ls, LINT_FACT_NOT_NULL_CHECK, key, nn_col, NULL);
			migrate_lint_add(ls, sev, "scan_under_lock", rel, lock, rewrite,
							 psprintf("ADD %s%s checks every row of %s (%s) under %s, which %s it for the whole scan",
									  c->contype == CONSTR_CHECK ? "CHECK" : "FOREIGN KEY",
									  c->conname ? psprintf(" %s", c->conname) : "",
									  rel->name, migrate_lint_size_text(rel),
									  migrate_lint_lock_name(lock),
									  migrate_lint_lock_blocks(lock)),
							 sev == MIGRATE_INFO ? NULL : pstrdup(HINT_NOT_VALID));
			return;
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
		case CONSTR_EXCLUSION:
			if (c->indexname)
			{
				migrate_lint_lock_row(ls, rel, lock, rewrite,
									  "ADD CONSTRAINT ... USING INDEX (no build)");
				return;
			}
			migrate_lint_add(ls, sev, "unique_constraint_blocking", rel, lock, rewrite,
							 psprintf("ADD %s builds its index on %s (%s) under %s: every read and write waits for the whole build",
									  c->contype == CONSTR_PRIMARY ? "PRIMARY KEY" :
									  c->contype == CONSTR_UNIQUE ? "UNIQUE" : "EXCLUDE",
									  rel->name, migrate_lint_size_text(rel),
									  migrate_lint_lock_name(lock)),
							 sev == MIGRATE_INFO ? NULL : pstrdup(HINT_UNIQUE));
			return;
		default:
			migrate_lint_lock_row(ls, rel, lock, rewrite, "ADD CONSTRAINT");
			return;
	}
}

static void
lint_add_column(LintState *ls, LintRel *rel, ColumnDef *col, LOCKMODE lock,
				int rewrite, const char *cause)
{
	MigrateSeverity sev = migrate_lint_scaled(ls, rel);
	Constraint *def = column_constraint(col, CONSTR_DEFAULT);
	bool		generated = is_serial(col->typeName) ||
		column_constraint(col, CONSTR_IDENTITY) ||
		column_constraint(col, CONSTR_GENERATED);
	ListCell   *lc;

	migrate_lint_column_types(ls, rel, col);
	if (cause != NULL)
	{
		/* a default evaluated per row (serial's is nextval()) is the rule's
		 * own code; an identity, a generated column or a domain's checks
		 * are another kind of rewrite */
		bool		volatile_default = is_serial(col->typeName) ||
			(def != NULL && !column_constraint(col, CONSTR_IDENTITY) &&
			 !column_constraint(col, CONSTR_GENERATED) &&
			 migrate_lint_default_volatile(def->raw_expr) != 0);

		migrate_lint_add(ls, sev, volatile_default ? "volatile_default" : "table_rewrite",
						 rel, lock, rewrite,
						 psprintf("ADD COLUMN %s %s %s (%s): %s, under %s",
								  col->colname,
								  rewrite > 0 ? "rewrites" : "may rewrite",
								  rel->name, migrate_lint_size_text(rel), cause,
								  migrate_lint_lock_name(lock)),
						 sev == MIGRATE_INFO ? NULL :
						 pstrdup(volatile_default ?
								 "Add the column without a default (or with a constant one: stored once, no rewrite), SET DEFAULT for new rows, and fill the existing rows in batches." :
								 "Add a plain nullable column, fill it in batches, then add the constraint or identity."));
	}
	if (column_constraint(col, CONSTR_NOTNULL) && def == NULL && !generated)
		migrate_lint_add(ls, (rel->created || rel->missing || (rel->sized && rel->rows == 0)) ?
						 MIGRATE_INFO : MIGRATE_ERROR,
						 "required_column", rel, lock, rewrite,
						 psprintf("ADD COLUMN %s NOT NULL without a default fails on %s (%s): the existing rows would hold NULL",
								  col->colname, rel->name, migrate_lint_size_text(rel)),
						 pstrdup("Add it with a DEFAULT (a constant one is stored without a rewrite), or nullable; fill it; then SET NOT NULL the safe way (CHECK ... NOT VALID, VALIDATE, SET NOT NULL)."));
	foreach(lc, col->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);

		if (c->contype == CONSTR_PRIMARY || c->contype == CONSTR_UNIQUE ||
			c->contype == CONSTR_CHECK)
			lint_add_constraint(ls, rel, c, lock, rewrite);
		else if (c->contype == CONSTR_FOREIGN)
		{
			/* tablecmds.c validateForeignKeyConstraint scans the table, even
			 * when the new column holds only NULLs */
			migrate_lint_add(ls, sev, "scan_under_lock", rel, lock, rewrite,
							 psprintf("ADD COLUMN %s ... REFERENCES validates every row of %s (%s) under %s",
									  col->colname, rel->name, migrate_lint_size_text(rel),
									  migrate_lint_lock_name(lock)),
							 sev == MIGRATE_INFO ? NULL : pstrdup(HINT_NOT_VALID));
			migrate_lint_referenced(ls, rel, c->pktable, ShareRowExclusiveLock,
									sev, "ADD COLUMN ... REFERENCES");
		}
	}
}

/* Pass 2: the findings of one subcommand. */
static void
lint_cmd(LintState *ls, AlterTableStmt *stmt, LintRel *rel, AlterTableCmd *cmd,
		 LOCKMODE lock, int rewrite, int cmd_rewrite, const char *cause)
{
	MigrateSeverity sev = migrate_lint_scaled(ls, rel);
	bool		fresh = rel->created || rel->missing;
	LintFact   *f;

	switch (cmd->subtype)
	{
		case AT_AddColumn:
			lint_add_column(ls, rel, castNode(ColumnDef, cmd->def), lock, rewrite,
							cmd_rewrite != 0 ? cause : NULL);
			break;
		case AT_DropColumn:
			if (cmd->missing_ok && OidIsValid(rel->relid) &&
				!SearchSysCacheExistsAttName(rel->relid, cmd->name))
				break;			/* IF EXISTS of a column that is not there */
			migrate_lint_add(ls, fresh ? MIGRATE_INFO : MIGRATE_WARNING, "drop_column",
							 rel, lock, rewrite,
							 psprintf("DROP COLUMN %s of %s: its data is gone for good, and every running client that still reads or writes it fails",
									  cmd->name, rel->name),
							 pstrdup("Stop using the column in a release of the application first (ignore it in the ORM), then drop it in a later revision."));
			break;
		case AT_DropNotNull:
			migrate_lint_add(ls, fresh ? MIGRATE_INFO : MIGRATE_WARNING, "drop_not_null",
							 rel, lock, rewrite,
							 psprintf("DROP NOT NULL on %s.%s: readers that rely on a value get NULLs",
									  rel->name, cmd->name),
							 pstrdup("Make every reader handle NULL before writers may store it."));
			break;
		case AT_SetNotNull:
			if (migrate_lint_find_fact(ls, LINT_FACT_NOT_NULL_CHECK, rel->name, cmd->name) ||
				migrate_lint_not_null_proven(rel, cmd->name))
				migrate_lint_lock_row(ls, rel, lock, rewrite,
									  "SET NOT NULL (proven by a valid CHECK: no scan)");
			else
				migrate_lint_add(ls, sev, "scan_under_lock", rel, lock, rewrite,
								 psprintf("SET NOT NULL on %s.%s checks every row of %s (%s) under %s: every read and write waits for the scan",
										  rel->name, cmd->name, rel->name,
										  migrate_lint_size_text(rel), migrate_lint_lock_name(lock)),
								 sev == MIGRATE_INFO ? NULL : pstrdup(HINT_SET_NOT_NULL));
			break;
		case AT_AlterColumnType:
			if (stmt->objtype != OBJECT_TABLE)
				break;
			migrate_lint_add(ls, cmd_rewrite > 0 ? sev :
							 cmd_rewrite < 0 ? (fresh ? MIGRATE_INFO : MIGRATE_WARNING) : MIGRATE_INFO,
							 "type_change", rel, lock, rewrite,
							 psprintf("ALTER COLUMN %s TYPE %s on %s (%s) %s, under %s; clients that read the old type may break",
									  cmd->name,
									  migrate_lint_type_name(castNode(ColumnDef, cmd->def)->typeName),
									  rel->name, migrate_lint_size_text(rel),
									  cmd_rewrite > 0 ? "rewrites the table and rebuilds its indexes" :
									  cmd_rewrite < 0 ? "may rewrite the table" : "needs no rewrite",
									  migrate_lint_lock_name(lock)),
							 cmd_rewrite == 0 ? NULL : pstrdup(HINT_NEW_COLUMN));
			break;
		case AT_AddConstraint:
			lint_add_constraint(ls, rel, castNode(Constraint, cmd->def), lock, rewrite);
			break;
		case AT_ValidateConstraint:
			f = migrate_lint_find_fact(ls, LINT_FACT_NOT_VALID, rel->name, cmd->name);
			if (f && f->txn == ls->txn && !f->non_transactional && ls->transactional)
				migrate_lint_add(ls, MIGRATE_WARNING, "validate_in_same_transaction",
								 rel, lock, rewrite,
								 psprintf("VALIDATE CONSTRAINT %s runs in the transaction that added it NOT VALID (%s%s): the lock taken by ADD is still held during the scan, so NOT VALID gained nothing",
										  cmd->name,
										  f->revision ? "revision " : "statement ",
										  f->revision ? f->revision : psprintf("%d", f->statement)),
								 pstrdup("Validate in a later transaction: a later revision, with the plan run by CALL migrate.run or pg_migrate upgrade, which commit after each revision."));
			else
				migrate_lint_lock_row(ls, rel, lock, rewrite, "VALIDATE CONSTRAINT");
			if ((f = migrate_lint_find_fact(ls, LINT_FACT_NOT_NULL_CHECK_PENDING,
											rel->name, cmd->name)) != NULL)
				migrate_lint_fact(ls, LINT_FACT_NOT_NULL_CHECK, rel->name, f->extra, NULL);
			break;
		case AT_DropConstraint:
			if (OidIsValid(rel->relid))
			{
				Oid			ref = migrate_lint_fk_of_constraint(rel->relid, cmd->name);

				if (OidIsValid(ref))
					migrate_lint_lock_row(ls, migrate_lint_rel_oid(ls, ref),
										  AccessExclusiveLock, 0,
										  "DROP CONSTRAINT (a foreign key's triggers on the referenced table)");
			}
			break;
		case AT_SetLogged:
		case AT_SetUnLogged:
		case AT_SetTableSpace:
#if PG_VERSION_NUM >= 150000
		case AT_SetAccessMethod:
#endif
			if (cmd_rewrite != 0)
				migrate_lint_add(ls, cmd_rewrite > 0 ? sev : MIGRATE_WARNING,
								 "table_rewrite", rel, lock, rewrite,
								 psprintf("%s %s (%s): %s, under %s",
										  cmd_rewrite > 0 ? "rewrites" : "may rewrite",
										  rel->name, migrate_lint_size_text(rel), cause,
										  migrate_lint_lock_name(lock)),
								 pstrdup("Do it in a maintenance window, or build a copy of the table online and switch to it."));
			break;
		case AT_AttachPartition:
		case AT_DetachPartition:
			{
				PartitionCmd *pc = castNode(PartitionCmd, cmd->def);
				LintRel    *part = migrate_lint_rel(ls, pc->name);
				LOCKMODE	plock = (cmd->subtype == AT_DetachPartition && pc->concurrent) ?
					ShareUpdateExclusiveLock : AccessExclusiveLock;

				if (cmd->subtype == AT_AttachPartition &&
					migrate_lint_scaled(ls, part) != MIGRATE_INFO)
					migrate_lint_add(ls, MIGRATE_WARNING, "scan_under_lock", part, plock, 0,
									 psprintf("ATTACH PARTITION %s (%s) scans it under AccessExclusiveLock to check the bound, unless a valid CHECK constraint already proves it",
											  part->name, migrate_lint_size_text(part)),
									 pstrdup("Add a CHECK constraint matching the bound NOT VALID, VALIDATE it in a later transaction, then ATTACH (the scan is skipped)."));
				else
					migrate_lint_lock_row(ls, part, plock, 0,
										  cmd->subtype == AT_AttachPartition ?
										  "ATTACH PARTITION" : "DETACH PARTITION");
				break;
			}
		case AT_AddInherit:
		case AT_DropInherit:
			/* tablecmds.c ATExecAddInherit / ATExecDropInherit: the parent */
			migrate_lint_lock_row(ls, migrate_lint_rel(ls, castNode(RangeVar, cmd->def)),
								  cmd->subtype == AT_AddInherit ?
								  ShareUpdateExclusiveLock : AccessShareLock, 0,
								  cmd->subtype == AT_AddInherit ? "INHERIT" : "NO INHERIT");
			break;
		default:
			break;
	}
}

void
migrate_lint_alter_table(LintState *ls, AlterTableStmt *stmt)
{
	LintRel    *rel = migrate_lint_rel(ls, stmt->relation);
	LOCKMODE	lock = migrate_lint_alter_table_lock(stmt);
	RelFacts	facts = rel_facts(rel);
	int			ncmds = list_length(stmt->cmds);
	int		   *rewrites = palloc0(sizeof(int) * Max(ncmds, 1));
	const char **causes = palloc0(sizeof(char *) * Max(ncmds, 1));
	int			rewrite = 0;
	int			i = 0;
	ListCell   *lc;

	if (stmt->missing_ok && rel->missing)
		return;					/* IF EXISTS: nothing happens */
	foreach(lc, stmt->cmds)
	{
		rewrites[i] = cmd_rewrites(stmt, rel, &facts, lfirst_node(AlterTableCmd, lc),
								   &causes[i]);
		if (rewrites[i] > 0)
			rewrite = 1;
		else if (rewrites[i] < 0 && rewrite == 0)
			rewrite = -1;
		i++;
	}
	i = 0;
	foreach(lc, stmt->cmds)
	{
		CHECK_FOR_INTERRUPTS();
		lint_cmd(ls, stmt, rel, lfirst_node(AlterTableCmd, lc), lock, rewrite,
				 rewrites[i], causes[i]);
		i++;
	}
	migrate_lint_lock_row(ls, rel, lock, rewrite, "ALTER TABLE");
}

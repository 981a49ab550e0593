/*-------------------------------------------------------------------------
 *
 * lint.h
 *	  The safety-analysis family: what each statement of a plan (or of a
 *	  body) will lock, whether it rewrites a table, how big that table is
 *	  now, and which rule says it is dangerous.
 *
 *	  lint.c        migrate.lint / migrate.lint_sql: the plan, its bodies,
 *	                the transactions they run in, rows out
 *	  lint_rules.c  the rules: one analysis per statement kind over the raw
 *	                parse tree, findings with their codes and hints
 *	  lint_alter.c  the same for each subcommand of ALTER TABLE
 *	  lint_stmts.c  the same for TRUNCATE, REINDEX, data changes,
 *	                maintenance and the statements with one lock, no rule
 *	  lint_locks.c  the lock each statement kind takes on each relation:
 *	                AlterTableGetLockLevel() for ALTER TABLE, a table read
 *	                from PostgreSQL 15's source for the others
 *	  lint_rels.c   relations as lint sees them: resolved in the catalog or
 *	                created earlier in the plan, their sizes, the objects an
 *	                earlier statement of the plan made or changed
 *	  lint_exprs.c  decisions that need parse analysis: volatile defaults,
 *	                type changes that rewrite, NOT NULL proven by a CHECK
 *	  explain.c     migrate.explain: the plan run in a subtransaction that
 *	                is always rolled back, locks measured in the lock manager
 *
 * Nothing in lint*.c runs a statement of a body or takes a lock on a user
 * table that it waits for: sizes are read under a conditional
 * AccessShareLock, released at once, and estimated from pg_class when the
 * table is busy.
 *
 * IDENTIFICATION
 *	  src/lint.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_LINT_H
#define MIGRATE_LINT_H

#include "engine.h"

#include "storage/lockdefs.h"
#include "utils/hsearch.h"

/* the safe recipe of every rule that renames (rename) */
#define HINT_EXPAND_CONTRACT \
	"Expand and contract: add the new name beside the old one (a new column kept in step by the application or a trigger, or a view under the old name), move every reader and writer to it, and drop the old name in a later release."

/* the setting migrate.lint_large_table, in kB (migrate.c) */
extern int	migrate_lint_large_table_kb;

/* A relation as a statement names it, resolved by lint_rels.c. */
typedef struct LintRel
{
	char	   *name;			/* schema-qualified, as rows report it */
	Oid			relid;			/* in the catalog now; InvalidOid if not */
	char		relkind;		/* pg_class.relkind, or 0 if unknown */
	bool		created;		/* created earlier in the plan: empty */
	bool		missing;		/* neither in the catalog nor in the plan */
	bool		sized;			/* rows and bytes known */
	int64		rows;
	int64		bytes;
	int			nchildren;		/* partitions or inheritance children */
} LintRel;

/* One finding, one output row. */
typedef struct LintRow
{
	const char *revision;		/* NULL for lint_sql */
	int			statement;		/* 1-based, in its body */
	int			line;			/* 1-based line in its body */
	MigrateSeverity severity;
	const char *code;
	char	   *relation;
	LOCKMODE	lock;			/* NoLock: none */
	int			rewrite;		/* -1 unknown (NULL), 0, 1 */
	bool		sized;
	int64		rows;
	int64		bytes;
	char	   *message;
	char	   *hint;
} LintRow;

/* Something an earlier statement of the plan did that later ones depend on. */
typedef enum LintFactKind
{
	LINT_FACT_ENUM_VALUE,		/* ALTER TYPE name ADD VALUE 'label' */
	LINT_FACT_ENUM_TYPE,		/* CREATE TYPE name AS ENUM */
	LINT_FACT_NOT_VALID,		/* constraint name on table added NOT VALID */
	LINT_FACT_NOT_NULL_CHECK,	/* table.column proven NOT NULL by a valid CHECK */
	LINT_FACT_NOT_NULL_CHECK_PENDING	/* same, still NOT VALID: name = constraint */
} LintFactKind;

typedef struct LintFact
{
	LintFactKind kind;
	char	   *object;			/* type or relation name, as lint keys it */
	char	   *name;			/* enum label, constraint or column */
	char	   *extra;			/* NOT NULL check: the column */
	const char *revision;
	int			statement;
	int			txn;			/* the transaction it happened in */
	bool		non_transactional;	/* its revision commits per statement */
} LintFact;

/* The analysis of one plan (lint) or one body (lint_sql). */
typedef struct LintState
{
	MemoryContext cxt;			/* everything below lives here */
	List	   *rows;			/* LintRow * */
	int64		large_bytes;	/* migrate.lint_large_table */

	/* where the analysis is */
	const char *revision;
	bool		transactional;	/* of the current revision or body */
	int			statement;
	int			line;
	const char *stmt_text;		/* the statement's text in its body */
	int			stmt_len;
	List	   *stmt_rels;		/* relation names with a row for it */
	int			txn;			/* transaction number in the plan's model */
	bool		one_transaction;	/* the whole plan in one transaction */

	/* what earlier statements of the plan did */
	HTAB	   *plan_rels;		/* relations created / dropped in the plan */
	HTAB	   *sizes;			/* relid -> sizes read once */
	List	   *facts;			/* LintFact * */

	/* where a later statement uses an enum value an earlier one added
	 * (commit_boundary.c, over the whole plan), and which body is this */
	MigrateCommitBoundary *boundaries;
	int			nboundaries;
	int			body_index;
} LintState;

/* lint.c */
extern void migrate_lint_add(LintState *ls, MigrateSeverity severity,
							 const char *code, LintRel *rel, LOCKMODE lock,
							 int rewrite, char *message, char *hint);
extern void migrate_lint_lock_row(LintState *ls, LintRel *rel, LOCKMODE lock,
								  int rewrite, const char *what);

/* lint_rules.c */
extern void migrate_lint_statement(LintState *ls, Node *stmt);
extern void migrate_lint_column_types(LintState *ls, LintRel *rel,
									  ColumnDef *col);
extern void migrate_lint_referenced(LintState *ls, LintRel *rel,
									RangeVar *pktable, LOCKMODE lock,
									MigrateSeverity severity,
									const char *what);

extern const char *migrate_lint_command_name(Node *stmt);
extern RangeVar *migrate_lint_rv_from_names(List *names, int drop_last);
extern void migrate_lint_lock_rv(LintState *ls, RangeVar *rv, LOCKMODE lock,
								 int rewrite, const char *what);

/* lint_stmts.c */
extern void migrate_lint_other(LintState *ls, Node *stmt);

/* lint_alter.c */
extern void migrate_lint_alter_table(LintState *ls, AlterTableStmt *stmt);

/* lint_locks.c */
extern LOCKMODE migrate_lint_statement_lock(Node *stmt, bool *known);
extern LOCKMODE migrate_lint_alter_table_lock(AlterTableStmt *stmt);
extern bool migrate_lint_reindex_concurrently(ReindexStmt *stmt);
extern const char *migrate_lint_lock_name(LOCKMODE mode);
extern const char *migrate_lint_lock_blocks(LOCKMODE mode);
extern List *migrate_lint_fk_referenced(Oid relid);
extern Oid	migrate_lint_fk_of_constraint(Oid relid, const char *conname);
extern List *migrate_lint_fk_referencing(Oid relid);
extern List *migrate_lint_indexes_of(Oid relid);
extern Oid	migrate_lint_table_of_index(Oid indexid);
extern List *migrate_lint_type_users(Oid typid);

/* lint_rels.c */
extern void migrate_lint_rels_init(LintState *ls);
extern LintRel *migrate_lint_rel(LintState *ls, RangeVar *rv);
extern LintRel *migrate_lint_rel_oid(LintState *ls, Oid relid);
extern void migrate_lint_rel_created(LintState *ls, RangeVar *rv);
extern void migrate_lint_rel_dropped(LintState *ls, RangeVar *rv);
extern void migrate_lint_rel_renamed(LintState *ls, RangeVar *rv,
									 const char *newname);
extern char *migrate_lint_rel_key(RangeVar *rv);
extern MigrateSeverity migrate_lint_scaled(LintState *ls, LintRel *rel);
extern char *migrate_lint_size_text(LintRel *rel);
extern void migrate_lint_fact(LintState *ls, LintFactKind kind,
							  const char *object, const char *name,
							  const char *extra);
extern LintFact *migrate_lint_find_fact(LintState *ls, LintFactKind kind,
										const char *object, const char *name);

/* lint_exprs.c */
extern int	migrate_lint_default_volatile(Node *raw_default);
extern int	migrate_lint_type_change_rewrites(LintRel *rel, const char *column,
											  TypeName *newtype,
											  Node *using_expr);
extern bool migrate_lint_type_has_constraints(TypeName *tn);
extern Oid	migrate_lint_type_oid(TypeName *tn);
extern bool migrate_lint_not_null_proven(LintRel *rel, const char *column);
extern char *migrate_lint_type_name(TypeName *tn);

#endif							/* MIGRATE_LINT_H */

/*-------------------------------------------------------------------------
 *
 * ensure.h
 *	  Declarations shared by the files of migrate.ensure(), and only by them.
 *
 * ensure.c parses the statement and hands it, by kind, to one of the
 * ensure_*() checks below.  A check looks the object up where the statement
 * would create it and returns ENSURE_MISSING (ensure.c then runs the
 * statement) or ENSURE_UNCHANGED, or raises the error that says how the
 * existing object differs.  The helpers keep the wording of those errors the
 * same for every kind.
 *
 *	  ensure.c         migrate_ensure(): parsing, dispatch, shared helpers
 *	  ensure_index.c   CREATE INDEX
 *	  ensure_table.c   CREATE TABLE, ALTER TABLE ... ADD COLUMN
 *	  ensure_enum.c    CREATE TYPE ... AS ENUM
 *	  ensure_schema.c  CREATE SCHEMA, CREATE EXTENSION
 *
 * Include it after migrate.h (which brings postgres.h).
 *
 * IDENTIFICATION
 *	  src/ensure.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ENSURE_H
#define ENSURE_H

#include "nodes/parsenodes.h"

typedef enum EnsureResult
{
	ENSURE_MISSING,
	ENSURE_UNCHANGED
} EnsureResult;

/*
 * The checks, one per statement kind.  "query" is the whole text given to
 * ensure() (positions in parse trees point into it); "requested" is the
 * statement's own text, for messages.
 */
extern EnsureResult ensure_index(IndexStmt *stmt, const char *query,
								 const char *requested);
extern EnsureResult ensure_table(CreateStmt *stmt, const char *requested);
extern EnsureResult ensure_add_column(AlterTableStmt *stmt, const char *query,
									  const char *requested);
extern EnsureResult ensure_enum(CreateEnumStmt *stmt, const char *requested);
extern EnsureResult ensure_schema(CreateSchemaStmt *stmt);
extern EnsureResult ensure_extension(CreateExtensionStmt *stmt);

/* shared helpers (ensure.c) */
extern void ensure_error_unsupported(const char *what,
									 const char *detail) pg_attribute_noreturn();
extern void ensure_error_wrong_kind(const char *name, const char *is,
									const char *want) pg_attribute_noreturn();
extern char *ensure_qualified_relname(Oid relid);
extern const char *ensure_with_article(const char *noun);

#endif							/* ENSURE_H */

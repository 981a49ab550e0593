/*-------------------------------------------------------------------------
 *
 * lint_rels.c
 *	  Relations as lint sees them: a name in a statement resolved the way
 *	  the statement will resolve it when it runs, against the catalog as it
 *	  is now and the relations that earlier statements of the same plan
 *	  create, rename or drop; and the size of each, read once.
 *
 * A relation created earlier in the plan is empty when the statement runs
 * (whatever a table of that name holds now); one dropped earlier does not
 * exist.  Names resolve as the parser resolves them: a schema-qualified
 * name in that schema, an unqualified one in the search_path order (the
 * temporary schema first), created or dropped objects of the plan taking
 * precedence over the catalog in the same schema.
 *
 * Sizes: rows and bytes of the table's main fork (pg_relation_size), summed
 * over its partitions or inheritance children, which every ALTER TABLE
 * without ONLY reaches too.  The table is opened under a conditional
 * AccessShareLock that is released at once: lint never queues behind a
 * running migration or in front of one.  When the lock is not free, the
 * sizes are pg_class's (relpages, reltuples as of the last VACUUM or
 * ANALYZE).  Rows are estimated as the planner does: reltuples scaled to
 * the current number of pages, or, for a table never analysed, from the
 * width of its columns.
 *
 * IDENTIFICATION
 *	  src/lint_rels.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "access/relation.h"
#include "miscadmin.h"
#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "optimizer/plancat.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#define LINT_KEY_LEN	(NAMEDATALEN * 2 + 2)

typedef enum PlanRelState
{
	PLAN_REL_CREATED,			/* created earlier in the plan */
	PLAN_REL_DROPPED,			/* dropped (or renamed away) earlier */
	PLAN_REL_RENAMED			/* an existing relation under a new name */
} PlanRelState;

typedef struct PlanRelEntry
{
	char		key[LINT_KEY_LEN];	/* schema \001 name */
	PlanRelState state;
	Oid			relid;			/* PLAN_REL_RENAMED: the catalog relation */
} PlanRelEntry;

typedef struct SizeEntry
{
	Oid			relid;
	bool		sized;
	int64		rows;
	int64		bytes;
	int			nchildren;
} SizeEntry;

void
migrate_lint_rels_init(LintState *ls)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = LINT_KEY_LEN;
	ctl.entrysize = sizeof(PlanRelEntry);
	ctl.hcxt = ls->cxt;
	ls->plan_rels = hash_create("migrate lint plan relations", 256, &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(SizeEntry);
	ctl.hcxt = ls->cxt;
	ls->sizes = hash_create("migrate lint sizes", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
make_key(char *key, const char *schema, const char *name)
{
	snprintf(key, LINT_KEY_LEN, "%s\001%s", schema ? schema : "", name);
}

/* The schema key of a namespace of the search path ("pg_temp" for ours). */
static const char *
namespace_key(Oid nsp)
{
	if (isTempNamespace(nsp))
		return "pg_temp";
	return get_namespace_name(nsp);
}

/*
 * The schema a CREATE puts an unqualified name in: the first schema of the
 * search_path that exists ("" when none does yet: a schema the plan
 * creates, say).
 */
static const char *
creation_schema(RangeVar *rv)
{
	List	   *path;
	ListCell   *lc;

	if (rv->schemaname)
		return strcmp(rv->schemaname, "pg_temp") == 0 ? "pg_temp" : rv->schemaname;
	if (rv->relpersistence == RELPERSISTENCE_TEMP)
		return "pg_temp";
	path = fetch_search_path(false);
	foreach(lc, path)
	{
		Oid			nsp = lfirst_oid(lc);

		if (!isTempNamespace(nsp))
			return get_namespace_name(nsp);
	}
	return "";
}

/* The key under which a CREATE of rv records its relation. */
char *
migrate_lint_rel_key(RangeVar *rv)
{
	char	   *key = palloc(LINT_KEY_LEN);

	make_key(key, creation_schema(rv), rv->relname);
	return key;
}

static char *
display_name(const char *schema, const char *name)
{
	if (schema == NULL || schema[0] == '\0')
		return pstrdup(quote_identifier(name));
	return quote_qualified_identifier(schema, name);
}

/* Rows of a relation opened under a lock: the planner's estimate. */
static int64
estimate_rows(Relation rel, Form_pg_class form, BlockNumber curpages)
{
	double		density;

	if (curpages == 0)
		return 0;
	if (form->reltuples >= 0 && form->relpages > 0)
		density = form->reltuples / (double) form->relpages;
	else
	{
		int32		width = get_rel_data_width(rel, NULL);

		width += MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData);
		density = (BLCKSZ - SizeOfPageHeaderData) / (double) width;
	}
	return (int64) rint(density * curpages);
}

/* Add one relation's own size (not its children's) to *rows and *bytes. */
static void
add_own_size(Oid relid, int64 *rows, int64 *bytes)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;

	if (!HeapTupleIsValid(tup))
		return;
	form = (Form_pg_class) GETSTRUCT(tup);
	if (RELKIND_HAS_STORAGE(form->relkind) &&
		ConditionalLockRelationOid(relid, AccessShareLock))
	{
		Relation	rel = try_relation_open(relid, NoLock);

		if (rel != NULL)
		{
			BlockNumber pages = RelationGetNumberOfBlocks(rel);

			*bytes += (int64) pages * BLCKSZ;
			*rows += estimate_rows(rel, form, pages);
			relation_close(rel, NoLock);
		}
		UnlockRelationOid(relid, AccessShareLock);
	}
	else if (RELKIND_HAS_STORAGE(form->relkind))
	{
		/* busy: what the last VACUUM or ANALYZE saw */
		*bytes += (int64) form->relpages * BLCKSZ;
		*rows += form->reltuples > 0 ? (int64) form->reltuples : 0;
	}
	ReleaseSysCache(tup);
}

static SizeEntry *
sizes_of(LintState *ls, Oid relid, bool has_children)
{
	bool		found;
	SizeEntry  *e = hash_search(ls->sizes, &relid, HASH_ENTER, &found);

	if (found)
		return e;
	e->sized = true;
	e->rows = 0;
	e->bytes = 0;
	e->nchildren = 0;
	if (has_children)
	{
		/* no locks: the list may be stale by the time the plan runs */
		List	   *all = find_all_inheritors(relid, NoLock, NULL);
		ListCell   *lc;

		foreach(lc, all)
		{
			CHECK_FOR_INTERRUPTS();
			add_own_size(lfirst_oid(lc), &e->rows, &e->bytes);
		}
		e->nchildren = list_length(all) - 1;
	}
	else
		add_own_size(relid, &e->rows, &e->bytes);
	return e;
}

/* A relation of the catalog, with its sizes. */
LintRel *
migrate_lint_rel_oid(LintState *ls, Oid relid)
{
	LintRel    *r = palloc0(sizeof(LintRel));
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	SizeEntry  *size;

	if (!HeapTupleIsValid(tup))
	{
		r->missing = true;
		r->name = psprintf("%u", relid);
		return r;
	}
	form = (Form_pg_class) GETSTRUCT(tup);
	r->relid = relid;
	r->relkind = form->relkind;
	r->name = display_name(get_namespace_name(form->relnamespace),
						   NameStr(form->relname));
	size = sizes_of(ls, relid, form->relhassubclass);
	ReleaseSysCache(tup);
	r->sized = size->sized;
	r->rows = size->rows;
	r->bytes = size->bytes;
	r->nchildren = size->nchildren;
	return r;
}

/* A relation that the plan made (empty) or removed (missing). */
static LintRel *
plan_rel(LintState *ls, PlanRelEntry *e, const char *schema, const char *name)
{
	LintRel    *r;

	if (e->state == PLAN_REL_RENAMED)
	{
		r = migrate_lint_rel_oid(ls, e->relid);
		r->name = display_name(schema, name);
		return r;
	}
	r = palloc0(sizeof(LintRel));
	r->name = display_name(schema, name);
	if (e->state == PLAN_REL_CREATED)
	{
		r->created = true;
		r->sized = true;
	}
	else
		r->missing = true;
	return r;
}

static PlanRelEntry *
plan_lookup(LintState *ls, const char *schema, const char *name)
{
	char		key[LINT_KEY_LEN];

	make_key(key, schema, name);
	return hash_search(ls->plan_rels, key, HASH_FIND, NULL);
}

/*
 * Resolve a relation named in a statement.  Never NULL: a relation that is
 * nowhere comes back "missing" (the statement will fail, or has IF EXISTS).
 */
LintRel *
migrate_lint_rel(LintState *ls, RangeVar *rv)
{
	PlanRelEntry *e;
	LintRel    *r;

	if (rv->schemaname)
	{
		const char *schema = strcmp(rv->schemaname, "pg_temp") == 0 ?
			"pg_temp" : rv->schemaname;
		Oid			nsp;

		if ((e = plan_lookup(ls, schema, rv->relname)) != NULL)
			return plan_rel(ls, e, rv->schemaname, rv->relname);
		nsp = strcmp(schema, "pg_temp") == 0 ?
			LookupExplicitNamespace("pg_temp", true) :
			get_namespace_oid(schema, true);
		if (OidIsValid(nsp) && OidIsValid(get_relname_relid(rv->relname, nsp)))
			return migrate_lint_rel_oid(ls, get_relname_relid(rv->relname, nsp));
	}
	else
	{
		List	   *path = fetch_search_path(true);
		ListCell   *lc;

		foreach(lc, path)
		{
			Oid			nsp = lfirst_oid(lc);
			const char *schema = namespace_key(nsp);
			Oid			relid;

			if (schema && (e = plan_lookup(ls, schema, rv->relname)) != NULL)
				return plan_rel(ls, e, strcmp(schema, "pg_temp") == 0 ?
								get_namespace_name(nsp) : schema, rv->relname);
			if (OidIsValid(relid = get_relname_relid(rv->relname, nsp)))
				return migrate_lint_rel_oid(ls, relid);
		}
		/* created in a schema that did not exist yet, or in pg_temp */
		if ((e = plan_lookup(ls, "", rv->relname)) != NULL ||
			(e = plan_lookup(ls, "pg_temp", rv->relname)) != NULL)
			return plan_rel(ls, e, NULL, rv->relname);
	}
	r = palloc0(sizeof(LintRel));
	r->missing = true;
	r->name = display_name(rv->schemaname, rv->relname);
	return r;
}

static PlanRelEntry *
plan_enter(LintState *ls, const char *key)
{
	PlanRelEntry *e = hash_search(ls->plan_rels, key, HASH_ENTER, NULL);

	e->relid = InvalidOid;
	return e;
}

/* CREATE TABLE / INDEX / VIEW ... rv: later statements see it empty. */
void
migrate_lint_rel_created(LintState *ls, RangeVar *rv)
{
	plan_enter(ls, migrate_lint_rel_key(rv))->state = PLAN_REL_CREATED;
}

/* DROP ... rv: later statements do not see it. */
void
migrate_lint_rel_dropped(LintState *ls, RangeVar *rv)
{
	LintRel    *r = migrate_lint_rel(ls, rv);
	char		key[LINT_KEY_LEN];

	if (r->missing && !rv->schemaname)
		return;
	if (r->relid != InvalidOid)
		make_key(key, namespace_key(get_rel_namespace(r->relid)),
				 get_rel_name(r->relid));
	else
		make_key(key, creation_schema(rv), rv->relname);
	plan_enter(ls, key)->state = PLAN_REL_DROPPED;
}

/* ALTER ... rv RENAME TO newname. */
void
migrate_lint_rel_renamed(LintState *ls, RangeVar *rv, const char *newname)
{
	LintRel    *r = migrate_lint_rel(ls, rv);
	const char *schema;
	char		key[LINT_KEY_LEN];
	PlanRelEntry *e;

	if (r->missing)
		return;
	schema = OidIsValid(r->relid) ?
		namespace_key(get_rel_namespace(r->relid)) : creation_schema(rv);
	migrate_lint_rel_dropped(ls, rv);
	make_key(key, schema, newname);
	e = plan_enter(ls, key);
	if (r->created)
		e->state = PLAN_REL_CREATED;
	else
	{
		e->state = PLAN_REL_RENAMED;
		e->relid = r->relid;
	}
}

/*
 * Severity that grows with the size of what is locked: info on a table the
 * plan created or an empty one, error above migrate.lint_large_table,
 * warning in between (and when the size is unknown).
 */
MigrateSeverity
migrate_lint_scaled(LintState *ls, LintRel *rel)
{
	if (rel == NULL || rel->created || rel->missing)
		return MIGRATE_INFO;
	if (!rel->sized)
		return MIGRATE_WARNING;
	if (rel->bytes > ls->large_bytes)
		return MIGRATE_ERROR;
	if (rel->rows == 0)
		return MIGRATE_INFO;
	return MIGRATE_WARNING;
}

/* "created earlier in the plan", "about 1200 rows, 96 kB", "not found" */
char *
migrate_lint_size_text(LintRel *rel)
{
	char	   *pretty;
	char	   *children = "";

	if (rel->created)
		return pstrdup("created earlier in the plan, empty");
	if (rel->missing)
		return pstrdup("does not exist now");
	if (!rel->sized)
		return pstrdup("size unknown");
	pretty = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
																Int64GetDatum(rel->bytes))));
	if (rel->nchildren > 0)
		children = psprintf(", with %d partitions or children", rel->nchildren);
	return psprintf("about " INT64_FORMAT " rows, %s%s", rel->rows, pretty,
					children);
}

/* Record what a statement did, for later statements of the plan. */
void
migrate_lint_fact(LintState *ls, LintFactKind kind, const char *object,
				  const char *name, const char *extra)
{
	MemoryContext old = MemoryContextSwitchTo(ls->cxt);
	LintFact   *f = palloc0(sizeof(LintFact));

	f->kind = kind;
	f->object = object ? pstrdup(object) : NULL;
	f->name = name ? pstrdup(name) : NULL;
	f->extra = extra ? pstrdup(extra) : NULL;
	f->revision = ls->revision;
	f->statement = ls->statement;
	f->txn = ls->txn;
	f->non_transactional = !ls->transactional;
	ls->facts = lappend(ls->facts, f);
	MemoryContextSwitchTo(old);
}

/* The latest fact of that kind about object (and name, unless NULL). */
LintFact *
migrate_lint_find_fact(LintState *ls, LintFactKind kind, const char *object,
					   const char *name)
{
	LintFact   *found = NULL;
	ListCell   *lc;

	foreach(lc, ls->facts)
	{
		LintFact   *f = (LintFact *) lfirst(lc);

		if (f->kind == kind &&
			(object == NULL || (f->object && strcmp(f->object, object) == 0)) &&
			(name == NULL || (f->name && strcmp(f->name, name) == 0)))
			found = f;
	}
	return found;
}

/*-------------------------------------------------------------------------
 *
 * fingerprint.c
 *	  migrate.fingerprint(): a hash of a canonical description of the
 *	  database's own schema.  The engines record it in migrate.run after
 *	  each run (runlog.c), once per run: on a schema of a few thousand
 *	  tables it costs milliseconds, which a 1,000-revision run would pay a
 *	  thousand times per revision.
 *
 * The description is a set of lines, one per object, each starting with
 * the kind of object and its schema-qualified name:
 *
 *	  schema   owner and privileges
 *	  ext      extensions (name, version, schema), migrate itself left out
 *	  rel      tables, partitioned and foreign tables, views, materialized
 *	           views, sequences: kind, owner, privileges, persistence, row
 *	           security, storage options, partition key and bound, parents,
 *	           a view's definition, a sequence's parameters
 *	  col      columns of those and of composite types: type and typmod,
 *	           NOT NULL, default expression, identity, generated,
 *	           collation (when not the type's), column privileges
 *	  con      constraints of tables and domains (pg_get_constraintdef)
 *	  idx      indexes: method, key columns by name, operator classes,
 *	           collations, options, expressions, predicate, uniqueness,
 *	           valid and clustered flags
 *	  trg      triggers (pg_get_triggerdef) and whether they are enabled
 *	  pol      row security policies
 *	  rule     rules other than a view's own
 *	  fn       functions and procedures (pg_get_functiondef), aggregates,
 *	           with owner and privileges
 *	  type     enums (labels in their sort order), domains, ranges, base
 *	           types; composite types by their columns
 *
 * Left out: the schemas migrate, pg_catalog, information_schema and
 * pg_toast, temporary schemas, every object that belongs to an extension
 * (its version stands for it), a table's row type and the array types
 * PostgreSQL makes by itself, comments, statistics targets, tablespaces,
 * sequence values and data.  Columns are listed by name, not position:
 * a table whose columns were added in another order has the same
 * fingerprint (ORMs create columns in model order, migrations append them).
 * Privileges are compared as sorted lists, an explicit list equal to the
 * default counts as the default, and every name and expression is printed
 * with search_path = pg_catalog, so that nothing depends on OIDs, on the
 * order objects were made in, or on the caller's search_path.
 *
 * Each kind is one query, sorted by the line itself (COLLATE "C"), read
 * through a cursor and fed to SHA-256 as it comes: no per-object queries.
 *
 * IDENTIFICATION
 *	  src/fingerprint.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(migrate_fingerprint);

/* The schemas whose objects count. */
#define FP_SCHEMAS \
	"WITH s AS (" \
	"  SELECT n.oid, pg_catalog.quote_ident(n.nspname) AS q" \
	"    FROM pg_catalog.pg_namespace n" \
	"   WHERE n.nspname NOT IN ('migrate', 'pg_catalog', 'information_schema', 'pg_toast')" \
	"     AND n.nspname !~ '^pg_(toast_)?temp_'" \
	"     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d" \
	"                      WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass" \
	"                        AND d.objid = n.oid AND d.deptype = 'e'))," \
	" ext AS (" \
	"  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e')"

/* Relations of those schemas that no extension owns. */
#define FP_RELS \
	FP_SCHEMAS "," \
	" rels AS (" \
	"  SELECT c.oid, c.relkind, c.relowner, s.q || '.' || pg_catalog.quote_ident(c.relname) AS q" \
	"    FROM pg_catalog.pg_class c JOIN s ON s.oid = c.relnamespace" \
	"   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')" \
	"     AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::pg_catalog.regclass" \
	"                        AND ext.objid = c.oid)" \
	"     AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass" \
	"                        AND ext.objid = c.reltype))"

/*
 * A privilege list: sorted, '' for the default (NULL, or a list equal to
 * the default for that kind of object and owner).  Evaluated only for
 * objects that have a list of their own.
 */
#define FP_ACL(col, kind, owner) \
	"CASE WHEN " col " IS NULL THEN '' ELSE coalesce(nullif(" \
	"  (SELECT pg_catalog.string_agg(i::text, ',' ORDER BY i::text COLLATE \"C\")" \
	"     FROM pg_catalog.unnest(" col ") i)," \
	"  (SELECT pg_catalog.string_agg(i::text, ',' ORDER BY i::text COLLATE \"C\")" \
	"     FROM pg_catalog.unnest(pg_catalog.acldefault('" kind "', " owner ")) i)), '') END"

/* NULLS NOT DISTINCT exists from PostgreSQL 15 */
#if PG_VERSION_NUM >= 150000
#define FP_NULLS_NOT_DISTINCT "i.indnullsnotdistinct"
#else
#define FP_NULLS_NOT_DISTINCT "false"
#endif

/* A column's privileges (no default list: NULL is none). */
#define FP_COLACL(col) \
	"CASE WHEN " col " IS NULL THEN '' ELSE" \
	"  (SELECT pg_catalog.string_agg(i::text, ',' ORDER BY i::text COLLATE \"C\")" \
	"     FROM pg_catalog.unnest(" col ") i) END"

static const char *const fingerprint_queries[] = {
	/* schemas */
	FP_SCHEMAS
	" SELECT pg_catalog.format('schema %s owner=%s acl=%s', s.q,"
	"        pg_catalog.pg_get_userbyid(n.nspowner), " FP_ACL("n.nspacl", "n", "n.nspowner") ")"
	"   FROM s JOIN pg_catalog.pg_namespace n ON n.oid = s.oid",

	/* extensions */
	"SELECT pg_catalog.format('ext %s version=%s schema=%s', pg_catalog.quote_ident(e.extname),"
	"       e.extversion, pg_catalog.quote_ident(n.nspname))"
	"  FROM pg_catalog.pg_extension e"
	"  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
	" WHERE e.extname <> 'migrate'",

	/* relations */
	FP_RELS ","
	" inh AS (SELECT i.inhrelid,"
	"                pg_catalog.string_agg(i.inhparent::pg_catalog.regclass::text, ','"
	"                                      ORDER BY i.inhparent::pg_catalog.regclass::text COLLATE \"C\") AS parents"
	"           FROM pg_catalog.pg_inherits i GROUP BY i.inhrelid)"
	" SELECT pg_catalog.format('rel %s kind=%s owner=%s acl=%s persistence=%s rls=%s/%s opts=%s"
	"                           partkey=%s bound=%s inherits=%s def=%s seq=%s',"
	"        r.q, r.relkind, pg_catalog.pg_get_userbyid(c.relowner),"
	"        " FP_ACL("c.relacl", "r", "c.relowner") ","
	"        c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,"
	"        CASE WHEN c.reloptions IS NOT NULL THEN"
	"          (SELECT pg_catalog.string_agg(o, ',' ORDER BY o COLLATE \"C\")"
	"             FROM pg_catalog.unnest(c.reloptions) o) END,"
	"        CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,"
	"        CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END,"
	"        inh.parents,"
	"        CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,"
	"        CASE WHEN c.relkind = 'S' THEN"
	"          (SELECT pg_catalog.format('%s %s %s %s %s %s %s', q.seqtypid::pg_catalog.regtype,"
	"                  q.seqstart, q.seqincrement, q.seqmax, q.seqmin, q.seqcache, q.seqcycle)"
	"             FROM pg_catalog.pg_sequence q WHERE q.seqrelid = c.oid) END)"
	"   FROM rels r JOIN pg_catalog.pg_class c ON c.oid = r.oid"
	"   LEFT JOIN inh ON inh.inhrelid = c.oid"
	"  WHERE r.relkind <> 'c'",

	/* columns */
	FP_RELS
	" SELECT pg_catalog.format('col %s.%s type=%s notnull=%s default=%s identity=%s generated=%s"
	"                           collation=%s acl=%s',"
	"        r.q, pg_catalog.quote_ident(a.attname),"
	"        pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
	"        pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,"
	"        CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::pg_catalog.regcollation::text END,"
	"        " FP_COLACL("a.attacl") ")"
	"   FROM rels r"
	"   JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped"
	"   JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
	"   LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum",

	/* constraints of tables and of domains */
	FP_RELS
	" SELECT pg_catalog.format('con %s on %s type=%s def=%s', pg_catalog.quote_ident(co.conname),"
	"        r.q, co.contype, pg_catalog.pg_get_constraintdef(co.oid))"
	"   FROM rels r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid"
	" UNION ALL"
	" SELECT pg_catalog.format('con %s on domain %s type=%s def=%s', pg_catalog.quote_ident(co.conname),"
	"        pg_catalog.format_type(co.contypid, NULL), co.contype, pg_catalog.pg_get_constraintdef(co.oid))"
	"   FROM pg_catalog.pg_constraint co"
	"   JOIN pg_catalog.pg_type t ON t.oid = co.contypid"
	"   JOIN s ON s.oid = t.typnamespace"
	"  WHERE co.contypid <> 0"
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass"
	"                       AND ext.objid = t.oid)",

	/*
	 * indexes, from the catalog rather than pg_get_indexdef() (which costs
	 * ~20 us an index): key columns by name (an index's own attributes are
	 * named after its table's columns), operator classes and collations by
	 * OID when built in (stable) and by name otherwise, expressions and
	 * predicate deparsed only when there are any
	 */
	FP_RELS ","
	" keys AS (SELECT a.attrelid, pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ','"
	"                                                   ORDER BY a.attnum) AS names"
	"            FROM pg_catalog.pg_attribute a"
	"           WHERE a.attrelid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i"
	"                                  JOIN rels r ON r.oid = i.indrelid)"
	"           GROUP BY a.attrelid)"
	" SELECT pg_catalog.format('idx %s.%s on %s am=%s unique=%s/%s primary=%s exclusion=%s immediate=%s"
	"                           keys=%s/%s columns=%s opclass=%s collation=%s options=%s exprs=%s pred=%s"
	"                           valid=%s clustered=%s',"
	"        s.q, pg_catalog.quote_ident(c.relname), r.q, am.amname, i.indisunique, " FP_NULLS_NOT_DISTINCT ","
	"        i.indisprimary, i.indisexclusion, i.indimmediate, i.indnkeyatts, i.indnatts,"
	"        keys.names,"
	"        CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indclass::pg_catalog.oid[]) o WHERE o >= 16384)"
	"             THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(oc.opcname), ','"
	"                                                ORDER BY u.n)"
	"                     FROM pg_catalog.unnest(i.indclass::pg_catalog.oid[]) WITH ORDINALITY AS u(o, n)"
	"                     JOIN pg_catalog.pg_opclass oc ON oc.oid = u.o"
	"                     JOIN pg_catalog.pg_namespace n ON n.oid = oc.opcnamespace)"
	"             ELSE i.indclass::text END,"
	"        CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indcollation::pg_catalog.oid[]) o WHERE o >= 16384)"
	"             THEN (SELECT pg_catalog.string_agg(u.o::pg_catalog.regcollation::text, ',' ORDER BY u.n)"
	"                     FROM pg_catalog.unnest(i.indcollation::pg_catalog.oid[]) WITH ORDINALITY AS u(o, n))"
	"             ELSE i.indcollation::text END,"
	"        i.indoption::text || coalesce(' ' || c.reloptions::text, ''),"
	"        CASE WHEN i.indexprs IS NOT NULL THEN pg_catalog.pg_get_expr(i.indexprs, i.indrelid) END,"
	"        CASE WHEN i.indpred IS NOT NULL THEN pg_catalog.pg_get_expr(i.indpred, i.indrelid) END,"
	"        i.indisvalid, i.indisclustered)"
	"   FROM rels r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid"
	"   JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	"   JOIN s ON s.oid = c.relnamespace"
	"   JOIN pg_catalog.pg_am am ON am.oid = c.relam"
	"   LEFT JOIN keys ON keys.attrelid = i.indexrelid",

	/* triggers */
	FP_RELS
	" SELECT pg_catalog.format('trg %s enabled=%s', pg_catalog.pg_get_triggerdef(g.oid), g.tgenabled)"
	"   FROM rels r JOIN pg_catalog.pg_trigger g ON g.tgrelid = r.oid"
	"  WHERE NOT g.tgisinternal",

	/* row security policies */
	FP_RELS
	" SELECT pg_catalog.format('pol %s on %s cmd=%s permissive=%s roles=%s using=%s check=%s',"
	"        pg_catalog.quote_ident(p.polname), r.q, p.polcmd, p.polpermissive,"
	"        (SELECT pg_catalog.string_agg(x.n, ',' ORDER BY x.n COLLATE \"C\")"
	"           FROM (SELECT CASE WHEN o = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(o)::text END"
	"                   FROM pg_catalog.unnest(p.polroles) o) AS x(n)),"
	"        pg_catalog.pg_get_expr(p.polqual, p.polrelid),"
	"        pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))"
	"   FROM rels r JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid",

	/* rules (a view's own _RETURN rule is its definition) */
	FP_RELS
	" SELECT pg_catalog.format('rule %s', pg_catalog.pg_get_ruledef(w.oid))"
	"   FROM rels r JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid"
	"  WHERE w.rulename <> '_RETURN'",

	/* functions, procedures, aggregates */
	FP_SCHEMAS
	" SELECT pg_catalog.format('fn %s.%s(%s) owner=%s acl=%s def=%s', s.q,"
	"        pg_catalog.quote_ident(p.proname), pg_catalog.pg_get_function_identity_arguments(p.oid),"
	"        pg_catalog.pg_get_userbyid(p.proowner), " FP_ACL("p.proacl", "f", "p.proowner") ","
	"        CASE WHEN p.prokind = 'a' THEN"
	"          (SELECT pg_catalog.format('aggregate returns %s kind=%s sfunc=%s stype=%s final=%s combine=%s init=%s sort=%s',"
	"                  pg_catalog.format_type(p.prorettype, NULL), g.aggkind, g.aggtransfn,"
	"                  pg_catalog.format_type(g.aggtranstype, NULL), g.aggfinalfn, g.aggcombinefn,"
	"                  g.agginitval, g.aggsortop::pg_catalog.regoperator)"
	"             FROM pg_catalog.pg_aggregate g WHERE g.aggfnoid = p.oid)"
	"        ELSE pg_catalog.pg_get_functiondef(p.oid) END)"
	"   FROM pg_catalog.pg_proc p JOIN s ON s.oid = p.pronamespace"
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
	"                       AND ext.objid = p.oid)",

	/* types: not a table's row type, not an array or multirange made by itself */
	FP_SCHEMAS
	" SELECT pg_catalog.format('type %s kind=%s owner=%s acl=%s detail=%s',"
	"        pg_catalog.format_type(t.oid, NULL), t.typtype, pg_catalog.pg_get_userbyid(t.typowner),"
	"        " FP_ACL("t.typacl", "T", "t.typowner") ","
	"        CASE t.typtype"
	"          WHEN 'e' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ','"
	"                                                      ORDER BY e.enumsortorder)"
	"                           FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)"
	"          WHEN 'd' THEN pg_catalog.format('%s notnull=%s default=%s collation=%s',"
	"                          pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
	"                          t.typdefault, t.typcollation::pg_catalog.regcollation)"
	"          WHEN 'r' THEN (SELECT pg_catalog.format('%s %s %s %s', pg_catalog.format_type(g.rngsubtype, NULL),"
	"                                g.rngsubopc, g.rngcollation, g.rngsubdiff)"
	"                           FROM pg_catalog.pg_range g WHERE g.rngtypid = t.oid)"
	"          WHEN 'b' THEN pg_catalog.format('%s %s %s %s %s %s', t.typinput, t.typoutput,"
	"                          t.typreceive, t.typsend, t.typlen, t.typalign)"
	"          ELSE '' END)"
	"   FROM pg_catalog.pg_type t JOIN s ON s.oid = t.typnamespace"
	"   LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid"
	"  WHERE (t.typrelid = 0 OR c.relkind = 'c')"
	"    AND t.typtype <> 'm'"
	"    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type a WHERE a.typarray = t.oid)"
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass"
	"                       AND ext.objid = t.oid)",
};

#define FP_FETCH 2000

/* Feed one query's lines, sorted, to the hash. */
static void
hash_query(pg_cryptohash_ctx *ctx, const char *query)
{
	char	   *sql = psprintf("SELECT l FROM (%s) AS x(l) WHERE l IS NOT NULL ORDER BY l COLLATE \"C\"",
							   query);
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	Portal		portal;

	if (plan == NULL)
		elog(ERROR, "could not prepare a fingerprint query: %s",
			 SPI_result_code_string(SPI_result));
	/* read_only false: a fresh snapshot, which sees what the bodies just did */
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FP_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);
			text	   *t;

			if (isnull)
				continue;
			t = DatumGetTextPP(d);
			if (pg_cryptohash_update(ctx, (uint8 *) VARDATA_ANY(t),
									 VARSIZE_ANY_EXHDR(t)) < 0 ||
				pg_cryptohash_update(ctx, (uint8 *) "\n", 1) < 0)
				elog(ERROR, "could not compute the schema fingerprint");
			if ((Pointer) t != DatumGetPointer(d))
				pfree(t);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	pfree(sql);
}

/*
 * The fingerprint of the database's schema now: hex SHA-256 of the
 * description above, computed as the calling user with search_path
 * pinned to pg_catalog (every catalog it reads is readable by everyone).
 */
char *
migrate_fingerprint_compute(void)
{
	MigrateBookkeeping bk;
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not compute the schema fingerprint");
	migrate_caller_query_begin(&bk);
	for (int i = 0; i < lengthof(fingerprint_queries); i++)
	{
		TimestampTz start = GetCurrentTimestamp();

		hash_query(ctx, fingerprint_queries[i]);
		elog(DEBUG1, "fingerprint: query %d took %.1f ms", i + 1,
			 (double) (GetCurrentTimestamp() - start) / 1000.0);
	}
	migrate_bookkeeping_end(&bk);
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute the schema fingerprint");
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, PG_SHA256_DIGEST_LENGTH, hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

Datum
migrate_fingerprint(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(migrate_fingerprint_compute()));
}

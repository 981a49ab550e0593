-- The shape of the migrate extension's catalog, one normalised line per
-- fact, for test/scenario/upgrade_path.sh: a database updated with ALTER
-- EXTENSION migrate UPDATE must print what a new install prints.  Column
-- positions are left out (ALTER TABLE ADD COLUMN can only append, while an
-- install script may keep related columns together); everything else a
-- user, pg_dump or the C code can tell apart is in: relations and their
-- kinds, columns (type, NOT NULL, default, collation, privileges,
-- comments), constraints, indexes, sequences and what owns them, views,
-- triggers, rules and policies, functions (signature, defaults, result,
-- kind, volatility, strictness, security, parallel safety, settings, body
-- or C symbol, privileges, comments), types, privileges on everything and
-- their initial (extension) privileges, membership in the extension, and
-- the tables marked for pg_dump.
\pset format unaligned
\pset tuples_only on
\pset footer off
WITH ext AS (
    SELECT e.oid, e.extowner, e.extconfig, e.extcondition
      FROM pg_extension e WHERE e.extname = 'migrate'
), nsp AS (
    SELECT 'migrate'::regnamespace AS oid
), own(owner_name) AS (              -- the owner's name, replaced by OWNER in ACLs
    SELECT pg_get_userbyid(extowner)::text FROM ext
), facts(line) AS (
    -- the schema
    SELECT 'schema migrate acl=' || coalesce(replace(n.nspacl::text, (SELECT owner_name FROM own), 'OWNER'), '-')
           || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')
      FROM pg_namespace n WHERE n.oid = (SELECT oid FROM nsp)
    UNION ALL
    -- relations
    SELECT 'rel ' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
           || ' owner=' || CASE WHEN c.relowner = (SELECT extowner FROM ext) THEN 'OWNER' ELSE pg_get_userbyid(c.relowner)::text END
           || ' acl=' || coalesce(replace(c.relacl::text, (SELECT owner_name FROM own), 'OWNER'), '-')
           || ' options=' || coalesce(c.reloptions::text, '-')
           || ' rowsecurity=' || c.relrowsecurity
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '-')
      FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM nsp)
    UNION ALL
    -- columns, without their positions
    SELECT 'col ' || c.relname || '.' || a.attname || ' type=' || format_type(a.atttypid, a.atttypmod)
           || ' notnull=' || a.attnotnull
           || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' collation=' || coalesce((SELECT collname FROM pg_collation WHERE oid = a.attcollation), '-')
           || ' acl=' || coalesce(replace(a.attacl::text, (SELECT owner_name FROM own), 'OWNER'), '-')
           || ' comment=' || coalesce(col_description(c.oid, a.attnum), '-')
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = (SELECT oid FROM nsp) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    UNION ALL
    -- constraints
    SELECT 'constraint ' || coalesce(c.relname, '-') || '.' || k.conname || ' type=' || k.contype::text
           || ' def=' || pg_get_constraintdef(k.oid)
           || ' deferrable=' || k.condeferrable || ' deferred=' || k.condeferred || ' valid=' || k.convalidated
      FROM pg_constraint k LEFT JOIN pg_class c ON c.oid = k.conrelid
     WHERE k.connamespace = (SELECT oid FROM nsp)
    UNION ALL
    -- indexes
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = (SELECT oid FROM nsp)
    UNION ALL
    -- sequences and what owns them
    SELECT 'sequence ' || c.relname || ' type=' || format_type(s.seqtypid, NULL)
           || ' start=' || s.seqstart || ' increment=' || s.seqincrement || ' min=' || s.seqmin
           || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle
           || ' owned_by=' || coalesce((SELECT t.relname || '.' || a.attname || ' (' || dp.deptype::text || ')'
                                          FROM pg_depend dp
                                          JOIN pg_class t ON t.oid = dp.refobjid
                                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dp.refobjsubid
                                         WHERE dp.classid = 'pg_class'::regclass AND dp.objid = c.oid
                                           AND dp.refclassid = 'pg_class'::regclass AND dp.deptype IN ('a', 'i')), '-')
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
     WHERE c.relnamespace = (SELECT oid FROM nsp)
    UNION ALL
    -- views
    SELECT 'view ' || c.relname || ' def=' || regexp_replace(pg_get_viewdef(c.oid, true), '\s+', ' ', 'g')
      FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM nsp) AND c.relkind IN ('v', 'm')
    UNION ALL
    -- triggers, rules (other than views' own), policies
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = (SELECT oid FROM nsp) AND NOT t.tgisinternal
    UNION ALL
    SELECT 'rule ' || r.rulename || ' on ' || c.relname || ' def=' || pg_get_ruledef(r.oid)
      FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
     WHERE c.relnamespace = (SELECT oid FROM nsp) AND r.rulename <> '_RETURN'
    UNION ALL
    SELECT 'policy ' || p.polname || ' on ' || c.relname || ' cmd=' || p.polcmd::text
           || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
           || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
     WHERE c.relnamespace = (SELECT oid FROM nsp)
    UNION ALL
    -- functions and procedures
    SELECT 'function ' || p.oid::regprocedure || ' kind=' || p.prokind::text
           || ' args=' || pg_get_function_arguments(p.oid)
           || ' result=' || coalesce(pg_get_function_result(p.oid), '-')
           || ' lang=' || l.lanname || ' volatile=' || p.provolatile::text || ' strict=' || p.proisstrict
           || ' secdef=' || p.prosecdef || ' leakproof=' || p.proleakproof || ' parallel=' || p.proparallel::text
           || ' cost=' || p.procost || ' rows=' || p.prorows
           || ' config=' || coalesce(p.proconfig::text, '-')
           || ' src=' || regexp_replace(p.prosrc, '\s+', ' ', 'g') || ' bin=' || coalesce(p.probin, '-')
           || ' owner=' || CASE WHEN p.proowner = (SELECT extowner FROM ext) THEN 'OWNER' ELSE pg_get_userbyid(p.proowner)::text END
           || ' acl=' || coalesce(replace(p.proacl::text, (SELECT owner_name FROM own), 'OWNER'), '-')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = (SELECT oid FROM nsp)
    UNION ALL
    -- types of the schema (but the row types of its relations)
    SELECT 'type ' || t.typname || ' kind=' || t.typtype::text
           || ' enum=' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '-')
           || ' acl=' || coalesce(replace(t.typacl::text, (SELECT owner_name FROM own), 'OWNER'), '-')
      FROM pg_type t
     WHERE t.typnamespace = (SELECT oid FROM nsp) AND t.typrelid = 0 AND t.typelem = 0
    UNION ALL
    -- operators, event triggers, casts of the extension
    SELECT 'operator ' || o.oid::regoperator FROM pg_operator o WHERE o.oprnamespace = (SELECT oid FROM nsp)
    UNION ALL
    SELECT 'event_trigger ' || et.evtname || ' on ' || et.evtevent || ' fn=' || et.evtfoid::regproc
           || ' tags=' || coalesce(et.evttags::text, '-') || ' enabled=' || et.evtenabled::text
      FROM pg_event_trigger et
      JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = et.oid
                      AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM ext)
    UNION ALL
    -- what belongs to the extension
    SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
      FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM ext) AND d.deptype = 'e'
    UNION ALL
    -- the initial privileges pg_dump compares with
    SELECT 'init_privs ' || pg_describe_object(ip.classoid, ip.objoid, ip.objsubid) || ' type=' || ip.privtype::text
           || ' acl=' || replace(ip.initprivs::text, (SELECT owner_name FROM own), 'OWNER')
      FROM pg_init_privs ip
     WHERE EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = ip.classoid AND d.objid = ip.objoid
                      AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = (SELECT oid FROM ext))
    UNION ALL
    -- the tables marked for pg_dump, with their conditions
    SELECT 'config_dump ' || x.rel::regclass || ' condition=' || coalesce(x.cond, '-')
      FROM ext, unnest(ext.extconfig, ext.extcondition) AS x(rel, cond)
)
SELECT line FROM facts ORDER BY line COLLATE "C";

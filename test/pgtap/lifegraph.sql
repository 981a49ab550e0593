\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The life graph example chain (examples/lifegraph), registered from its
-- revision files with migrate.add_file: upgrade head, downgrade base,
-- upgrade head, and single steps, with the catalog checked at every step.
-- psql reads the files: run from the repository root (scripts/run-tests does).
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(91);

\set f1 `cat examples/lifegraph/001_extensions.sql`
\set f2 `cat examples/lifegraph/002_parties_roles_commitments.sql`
\set f3 `cat examples/lifegraph/003_documents_metadata.sql`
\set f4 `cat examples/lifegraph/004_signals_links_interactions.sql`

CREATE FUNCTION cur() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM migrate.current() c $f$;
CREATE FUNCTION last_run() RETURNS bigint LANGUAGE sql AS $f$ SELECT max(id) FROM migrate.run $f$;
CREATE FUNCTION documents_columns() RETURNS bigint LANGUAGE sql AS $f$
    SELECT count(*) FROM pg_attribute
     WHERE attrelid = to_regclass('public.documents') AND attnum > 0 AND NOT attisdropped
$f$;
-- What each revision makes, to check all of it at once.
CREATE TABLE made (rev text, kind text, name text);
INSERT INTO made VALUES
    ('001', 'extension', 'pgcrypto'), ('001', 'extension', 'pg_trgm'), ('001', 'extension', 'btree_gist'),
    ('002', 'table', 'parties'), ('002', 'table', 'roles'), ('002', 'table', 'commitments'), ('002', 'table', 'documents'),
    ('002', 'type', 'commitment_type'), ('002', 'type', 'commitment_state'),
    ('002', 'index', 'parties_name_trgm_idx'), ('002', 'index', 'parties_tax_id_idx'), ('002', 'index', 'roles_tags_idx'),
    ('002', 'index', 'commitments_open_due_idx'), ('002', 'index', 'commitments_debtor_idx'),
    ('003', 'index', 'documents_sha256_idx'), ('003', 'index', 'documents_owner_live_idx'),
    ('003', 'index', 'documents_issued_on_idx'),
    ('004', 'table', 'signals'), ('004', 'table', 'document_links'), ('004', 'table', 'interactions'),
    ('004', 'index', 'signals_open_idx'), ('004', 'index', 'document_links_pkey'),
    ('004', 'index', 'document_links_target_idx'), ('004', 'index', 'interactions_party_period_idx');
CREATE FUNCTION exists_(kind text, name text) RETURNS boolean LANGUAGE sql AS $f$
    SELECT CASE kind WHEN 'extension' THEN migrate.extension_exists(name)
                     WHEN 'table' THEN migrate.table_exists(name)
                     WHEN 'type' THEN migrate.type_exists(name)
                     WHEN 'index' THEN migrate.index_exists(name) END
$f$;
-- the objects of revisions up to "upto" that are missing, and those of later ones that exist
CREATE FUNCTION wrong(upto text) RETURNS text LANGUAGE sql AS $f$
    SELECT coalesce(string_agg(CASE WHEN rev <= upto THEN 'missing ' ELSE 'present ' END || kind || ' ' || name,
                               ', ' ORDER BY rev, kind, name), 'none')
      FROM made WHERE exists_(kind, name) <> (rev <= upto)
$f$;

--------------------------------------------------------------------------
-- register the four files
--------------------------------------------------------------------------
SELECT is(migrate.add_file(:'f1', '001_extensions.sql'), '001', 'add_file 001_extensions.sql');
SELECT is(migrate.add_file(:'f2', '002_parties_roles_commitments.sql'), '002', 'add_file 002_parties_roles_commitments.sql');
SELECT is(migrate.add_file(:'f3', '003_documents_metadata.sql'), '003', 'add_file 003_documents_metadata.sql');
SELECT is(migrate.add_file(:'f4', '004_signals_links_interactions.sql'), '004', 'add_file 004_signals_links_interactions.sql');
SELECT is_empty($$SELECT * FROM migrate.validate() WHERE severity IN ('error', 'warning')$$, 'the chain validates cleanly');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['004'], 'one head: 004');
SELECT is(wrong('000'), 'none', 'before: none of the objects exist');

--------------------------------------------------------------------------
-- upgrade head
--------------------------------------------------------------------------
SELECT results_eq($$SELECT step, revision, message FROM migrate.upgrade('head')$$,
    $$VALUES (1, '001', 'extensions: pgcrypto, pg_trgm, btree_gist'),
             (2, '002', 'parties, roles, commitments (and a minimal documents table)'),
             (3, '003', 'documents: nine metadata columns, hash, owner and date indexes'),
             (4, '004', 'signals, document_links, interactions')$$,
    'upgrade(head) applies 001 to 004 in order');
SELECT is(wrong('004'), 'none', 'every object of 001 to 004 exists');
SELECT has_extension('public', 'pgcrypto', 'pgcrypto is installed');
SELECT has_extension('public', 'pg_trgm', 'pg_trgm is installed');
SELECT has_extension('public', 'btree_gist', 'btree_gist is installed');
SELECT has_table('public', t, 'table ' || t || ' exists')
  FROM unnest(ARRAY['parties', 'roles', 'commitments', 'documents', 'signals', 'document_links', 'interactions']) t;
SELECT has_type('public', t, 'type ' || t || ' exists') FROM unnest(ARRAY['commitment_type', 'commitment_state']) t;
SELECT has_index('public', 'parties', 'parties_name_trgm_idx', 'the trigram index on parties.name');
SELECT has_index('public', 'documents', 'documents_sha256_idx', 'the unique index on documents.sha256');
SELECT has_index('public', 'interactions', 'interactions_party_period_idx', 'the GiST index on interactions');
SELECT index_is_unique('public', 'documents', 'documents_sha256_idx', 'documents_sha256_idx is unique');
SELECT is((SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'public.parties_tax_id_idx'::regclass), true,
          'parties_tax_id_idx is partial');
SELECT is((SELECT amname::text FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'public.roles_tags_idx'::regclass),
          'gin', 'roles_tags_idx is a GIN index');
SELECT is(documents_columns(), 12::bigint, 'documents has its 3 columns and the 9 of 003');
SELECT has_column('public', 'documents', 'sha256', 'documents.sha256 exists');
SELECT ok(migrate.constraint_exists('public.roles', 'roles_no_overlap'), 'the exclusion constraint on roles exists');
SELECT is(enum_range(NULL::commitment_state)::text, '{proposed,active,fulfilled,broken,cancelled}', 'commitment_state values');
SELECT col_is_pk('public', 'document_links', ARRAY['document_id', 'target_kind', 'target_id', 'relation'],
                 'document_links has a composite primary key');
-- the schema works
INSERT INTO parties (kind, name) VALUES ('person', 'Ada'), ('org', 'Acme');
INSERT INTO roles (party_id, role) SELECT id, 'employee' FROM parties WHERE name = 'Ada';
SELECT throws_ok($$INSERT INTO roles (party_id, role) SELECT id, 'employee' FROM parties WHERE name = 'Ada'$$,
                 '23P01', NULL, 'the exclusion constraint (btree_gist) refuses an overlapping role');
SELECT is((SELECT count(*) FROM parties WHERE name % 'Adda'), 1::bigint, 'trigram search finds Ada');
INSERT INTO documents (title, sha256) VALUES ('lease', encode(digest('lease', 'sha256'), 'hex'));
SELECT throws_ok($$INSERT INTO documents (title, sha256) VALUES ('copy', encode(digest('lease', 'sha256'), 'hex'))$$,
                 '23505', NULL, 'the same bytes are stored once');
-- state and records
SELECT is(cur(), '004', 'current() is 004');
SELECT results_eq($$SELECT revision FROM migrate.applied ORDER BY revision$$, ARRAY['001', '002', '003', '004'],
                  'migrate.applied has the four revisions');
SELECT results_eq($$SELECT kind, target, status, from_heads, to_heads FROM migrate.run WHERE id = last_run()$$,
                  $$VALUES ('upgrade', 'head', 'succeeded', '{}'::text[], '{004}'::text[])$$, 'the upgrade run');
SELECT results_eq($$SELECT step, revision, direction, status FROM migrate.run_step WHERE run_id = last_run() ORDER BY step$$,
                  $$VALUES (1, '001', 'up', 'succeeded'), (2, '002', 'up', 'succeeded'),
                           (3, '003', 'up', 'succeeded'), (4, '004', 'up', 'succeeded')$$, 'its four steps');
SELECT results_eq($$SELECT revision, applied, is_current, source FROM migrate.history()$$,
                  $$VALUES ('001', true, false, '001_extensions.sql'), ('002', true, false, '002_parties_roles_commitments.sql'),
                           ('003', true, false, '003_documents_metadata.sql'), ('004', true, true, '004_signals_links_interactions.sql')$$,
                  'history(): all applied, 004 current, sources are the file names');
SELECT is((SELECT at_head FROM migrate.status()), true, 'status(): at head');

--------------------------------------------------------------------------
-- downgrade base
--------------------------------------------------------------------------
SELECT results_eq($$SELECT step, revision FROM migrate.downgrade('base')$$,
                  $$VALUES (1, '004'), (2, '003'), (3, '002'), (4, '001')$$,
                  'downgrade(base) reverts 004 to 001, newest first');
SELECT is(wrong('000'), 'none', 'none of the objects exist any more');
SELECT hasnt_extension('public', e, 'extension ' || e || ' is gone') FROM unnest(ARRAY['pgcrypto', 'pg_trgm', 'btree_gist']) e;
SELECT hasnt_table('public', t, 'table ' || t || ' is gone')
  FROM unnest(ARRAY['parties', 'roles', 'commitments', 'documents', 'signals', 'document_links', 'interactions']) t;
SELECT hasnt_type('public', t, 'type ' || t || ' is gone') FROM unnest(ARRAY['commitment_type', 'commitment_state']) t;
SELECT is(cur(), '', 'current() is empty');
SELECT is((SELECT count(*) FROM migrate.applied), 0::bigint, 'migrate.applied is empty');
SELECT results_eq($$SELECT kind, target, status, from_heads, to_heads FROM migrate.run WHERE id = last_run()$$,
                  $$VALUES ('downgrade', 'base', 'succeeded', '{004}'::text[], '{}'::text[])$$, 'the downgrade run');
SELECT results_eq($$SELECT step, revision, direction FROM migrate.run_step WHERE run_id = last_run() ORDER BY step$$,
                  $$VALUES (1, '004', 'down'), (2, '003', 'down'), (3, '002', 'down'), (4, '001', 'down')$$, 'its four steps');

--------------------------------------------------------------------------
-- upgrade head again: the chain is sound
--------------------------------------------------------------------------
SELECT results_eq($$SELECT revision FROM migrate.upgrade('head')$$, ARRAY['001', '002', '003', '004'], 'upgrade(head) again');
SELECT is(wrong('004'), 'none', 'every object exists again');
SELECT is(documents_columns(), 12::bigint, 'documents has its 12 columns again');
SELECT is((SELECT count(*) FROM parties), 0::bigint, 'and the tables are new (empty)');
SELECT is(cur(), '004', 'current() is 004');
SELECT is((SELECT count(*) FROM migrate.run WHERE status = 'succeeded'), 3::bigint, 'three runs: up, down, up');

--------------------------------------------------------------------------
-- one step at a time
--------------------------------------------------------------------------
SELECT results_eq($$SELECT revision FROM migrate.downgrade('-1')$$, ARRAY['004'], 'downgrade(-1) reverts 004');
SELECT is(wrong('003'), 'none', 'the objects of 001 to 003 exist, those of 004 do not');
SELECT is(cur(), '003', 'current() is 003');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('lifegraph@-1')$$, ARRAY['003'], 'downgrade(lifegraph@-1) reverts 003');
SELECT is(wrong('002'), 'none', 'the objects of 001 and 002 exist, those of 003 and 004 do not');
SELECT is(documents_columns(), 3::bigint, 'documents is back to its 3 columns');
SELECT hasnt_column('public', 'documents', 'sha256', 'documents.sha256 is gone');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('001')$$, ARRAY['002'], 'downgrade(001) reverts 002');
SELECT is(wrong('001'), 'none', 'only the extensions of 001 exist');
SELECT is(cur(), '001', 'current() is 001');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('00')$$, '42P09', NULL, 'upgrade(00): ambiguous prefix');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('+1')$$, ARRAY['002'], 'upgrade(+1) applies 002');
SELECT is(wrong('002'), 'none', 'the objects of 002 exist');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('003')$$, ARRAY['003'], 'upgrade(003) applies 003');
SELECT is(wrong('003'), 'none', 'the objects of 003 exist');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('lifegraph@head')$$, ARRAY['004'], 'upgrade(lifegraph@head) applies 004');
SELECT is(wrong('004'), 'none', 'the objects of 004 exist');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('001+1')$$, ARRAY['004', '003'], 'downgrade(001+1) reverts 004 and 003');
SELECT is(wrong('002'), 'none', 'back at 002');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('lifegraph@base')$$, ARRAY['002', '001'], 'downgrade(lifegraph@base)');
SELECT is(wrong('000'), 'none', 'nothing is left');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('002+2')$$, ARRAY['001', '002', '003', '004'],
                  'upgrade(002+2) from nothing applies the whole chain');
SELECT is(wrong('004'), 'none', 'every object exists');
SELECT is(cur(), '004', 'current() is 004');

-- re-registering the same files is a no-op, applied or not
SELECT is(migrate.add_file(:'f2', '002_parties_roles_commitments.sql'), '002', 're-adding an applied file is a no-op');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE severity = 'error'), 0::bigint, 'and the chain still validates');

SELECT * FROM finish();
ROLLBACK;

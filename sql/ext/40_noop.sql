--------------------------------------------------------------------------
-- The no-op shortcut (src/noop.c)
--------------------------------------------------------------------------

-- Every statement that changes migrate.revision or migrate.applied takes a
-- number from this sequence (a statement trigger), so an unchanged number
-- means an unchanged catalog.  A sequence, not a counter row: it costs no
-- dead tuple per registration, and a number taken by a transaction that
-- rolled back only makes the next call take the long way once.
CREATE SEQUENCE migrate.catalog_generation;

-- upgrade('head') (or 'heads') found nothing to do, or left nothing to do,
-- when the catalog was at this generation: while the generation is the
-- same, the next such call answers at once, without loading the graph.
-- Derived data: not dumped (a restored database takes the long way once).
CREATE TABLE migrate.noop_state (
    project          text   NOT NULL PRIMARY KEY,
    head_generation  bigint,
    heads_generation bigint
);

COMMENT ON TABLE migrate.noop_state IS
'Per project, the catalog generation at which upgrade(''head'') and upgrade(''heads'') last had, or left, nothing to do (internal: the no-op shortcut).';
COMMENT ON SEQUENCE migrate.catalog_generation IS
'Taken by every statement that changes migrate.revision or migrate.applied (internal: the no-op shortcut).';

CREATE FUNCTION migrate.bump_generation()
RETURNS trigger
AS 'MODULE_PATHNAME', 'migrate_bump_generation'
LANGUAGE C;
COMMENT ON FUNCTION migrate.bump_generation() IS
'Trigger: takes the next migrate.catalog_generation after every statement that changes migrate.revision or migrate.applied (internal: keeps the no-op shortcut of upgrade() honest).';

CREATE TRIGGER bump_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON migrate.revision
    FOR EACH STATEMENT EXECUTE FUNCTION migrate.bump_generation();
CREATE TRIGGER bump_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON migrate.applied
    FOR EACH STATEMENT EXECUTE FUNCTION migrate.bump_generation();

REVOKE ALL ON migrate.noop_state, migrate.catalog_generation FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION migrate.bump_generation() FROM PUBLIC;

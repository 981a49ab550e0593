--------------------------------------------------------------------------
-- The client (pg_migrate): what it asks the extension for
--------------------------------------------------------------------------

-- A deploy that changed nothing learns it from one value (src/registry_digest.c).
-- New in 0.2; sql/update/0.1--0.2/70_client.sql is a link to this file (a
-- new function only, no catalog change: the update adds it as is).
CREATE FUNCTION migrate.registry_digest(project text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_registry_digest'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.registry_digest(text) IS
'One SHA-256 (hex) over the registered revisions of a project (NULL: migrate.project): id, checksum, file name, message and whether applied, in id order (common/regdigest.c). pg_migrate computes the same over its directory of files: equal, every file is registered unchanged, none is missing and all are applied, learnt from one value. NULL when the caller may not read every checksum of the project (migrate.revision_checksum).
Example: SELECT migrate.registry_digest();';

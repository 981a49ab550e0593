-- What a person sees when a target cannot be resolved, and plans that can.
-- Runs in a transaction on a fresh catalog and rolls back at the end.
\set ON_ERROR_ROLLBACK on
\pset null '(null)'
BEGIN;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.plan('head');
SELECT count(*) FROM (
    SELECT migrate.add(id, 'SELECT 1', 'SELECT 1', CASE WHEN p IS NOT NULL THEN ARRAY[p] END, message => m)
      FROM (VALUES ('1a2b3c', NULL, 'base'), ('1a2b4d', '1a2b3c', 'users'),
                   ('5e6f70', '1a2b4d', 'orders'), ('5e6f71', '5e6f70', 'order lines'),
                   ('9a0001', '5e6f71', 'audit'), ('9b0001', '5e6f71', 'reports')) AS v(id, p, m)) s;
SELECT * FROM migrate.plan('heads');
SELECT * FROM migrate.plan('1a2b4');
-- two heads
SELECT * FROM migrate.plan('head');
SELECT * FROM migrate.plan('5e6f71+1');
-- prefixes
SELECT * FROM migrate.resolve('1a2b');
SELECT * FROM migrate.resolve('7');
SELECT * FROM migrate.resolve('9');
-- malformed
SELECT * FROM migrate.resolve('');
SELECT * FROM migrate.resolve('+');
SELECT * FROM migrate.resolve('+0');
SELECT * FROM migrate.resolve('+99999999999999999999');
SELECT * FROM migrate.resolve('a@b@c');
SELECT * FROM migrate.resolve('1a2b3c+x');
SELECT * FROM migrate.resolve('x; DROP TABLE migrate.revision');
SELECT * FROM migrate.resolve('nolabel@head');
SELECT * FROM migrate.resolve(NULL);
SELECT * FROM migrate.plan('head', 'sideways');
SELECT * FROM migrate.plan('1a2b3c+9');
-- a merge, labels and applied state
SELECT migrate.add('c0ffee', 'SELECT 1', 'SELECT 1', '{9a0001,9b0001}', message => 'merge');
SELECT migrate.add('d00d01', 'SELECT 1', NULL, '{c0ffee}', message => 'irreversible', branch_labels => '{main}');
SELECT migrate.add('d00d02', 'SELECT 1', 'SELECT 1', '{d00d01}', message => 'after');
INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id <> 'd00d02';
SELECT * FROM migrate.current();
SELECT * FROM migrate.plan('+1');
SELECT * FROM migrate.plan('main@head');
SELECT * FROM migrate.plan('-1', 'down');
SELECT * FROM migrate.plan('-2', 'down');
SELECT * FROM migrate.plan('c0ffee-1', 'down');
SELECT * FROM migrate.plan('d00d02', 'down');
SELECT * FROM migrate.plan('+1', 'down');
SELECT * FROM migrate.plan('main@base');
DELETE FROM migrate.applied WHERE revision = 'd00d01';
SELECT * FROM migrate.plan('-2', 'down');
SELECT * FROM migrate.plan('5e6f70', 'down');
ROLLBACK;

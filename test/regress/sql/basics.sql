-- What a person sees in psql: registering a small chain and asking about it.
\pset null '(null)'
SELECT migrate.add('0001_init', 'CREATE TABLE t1 (id int)', 'DROP TABLE t1',
                   message => 'create t1', source => 'migrations/0001_init.sql');
SELECT migrate.add('0002_more', 'CREATE TABLE t2 (id int)', 'DROP TABLE t2',
                   down_revision => '{0001_init}', message => 'create t2');
SELECT revision, down_revision, message, applied, is_head, is_base
  FROM migrate.history();
SELECT * FROM migrate.heads();
SELECT * FROM migrate.bases();
SELECT * FROM migrate.validate();
SELECT current, heads, at_head, pending, applied, registered, errors, warnings
  FROM migrate.status();
SELECT * FROM migrate.plan('head');
-- errors a person meets
SELECT migrate.add('head', 'SELECT 1');
SELECT migrate.add('bad id', 'SELECT 1');
SELECT * FROM migrate.plan('0');
SELECT * FROM migrate.plan('nope');

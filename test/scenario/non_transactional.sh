#!/usr/bin/env bash
# Non-transactional revisions: upgrade() refuses them before running
# anything; CALL migrate.run() applies them (CREATE INDEX CONCURRENTLY,
# ALTER TYPE ... ADD VALUE then its use, VACUUM) one statement at a time at
# top level; a failed concurrent build is reported with its INVALID index.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_nontx
fresh_db $db
q $db "SELECT migrate.add('n1', \$\$CREATE TABLE big (id int, v text); INSERT INTO big SELECT g, g::text FROM generate_series(1, 5000) g; CREATE TYPE mood AS ENUM ('ok');\$\$, 'DROP TABLE big; DROP TYPE mood;')" >/dev/null
q $db "SELECT migrate.add('n2', \$\$CREATE INDEX CONCURRENTLY big_v ON big (v); ALTER TYPE mood ADD VALUE 'great'; CREATE TABLE m (x mood DEFAULT 'great'); VACUUM big;\$\$, 'DROP INDEX CONCURRENTLY big_v; DROP TABLE m;', '{n1}', transactional => false)" >/dev/null
q $db "SELECT migrate.add('n3', 'CREATE TABLE after_n2 (id int)', 'DROP TABLE after_n2', '{n2}')" >/dev/null

err=$(psql -X -q -A -t -d $db -v VERBOSITY=verbose -c "SELECT * FROM migrate.upgrade('head')" 2>&1)
like "$err" "25001" "upgrade() refuses a plan with a non-transactional revision (25001)"
like "$err" 'revision "n2" is not transactional' "naming the revision"
like "$err" "CALL migrate.run" "and the way to run it"
is "$(q $db 'SELECT count(*) FROM migrate.applied')" "0" "nothing ran"

err=$(psql -X -q -A -t -d $db -c "BEGIN" -c "CALL migrate.run('head')" -c "ROLLBACK" 2>&1)
like "$err" "must be invoked with CALL outside a transaction block" "CALL migrate.run() inside BEGIN is refused"

out=$(psql -X -q -A -t -d $db -v ON_ERROR_STOP=1 -c "CALL migrate.run('head')" 2>&1)
ok $? "CALL migrate.run('head') succeeds"
like "$out" "applied 3 revisions" "and reports 3 revisions"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "n3" "current is n3"
is "$(q $db "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass")" "t" "the concurrent index is valid"
is "$(q $db "SELECT enum_range(NULL::mood)::text")" "{ok,great}" "the enum value was added"
is "$(q $db "SELECT column_default FROM information_schema.columns WHERE table_name = 'm'")" "'great'::mood" "and used after its commit"
is "$(q $db "SELECT status || ' ' || array_to_string(to_heads, ',') FROM migrate.run ORDER BY id DESC LIMIT 1")" "succeeded n3" "the run is recorded as succeeded"
is "$(q $db "SELECT string_agg(revision || ':' || status, ',' ORDER BY step) FROM migrate.run_step WHERE run_id = (SELECT max(id) FROM migrate.run)")" \
   "n1:succeeded,n2:succeeded,n3:succeeded" "one step per revision"
is "$(q $db "SELECT count(*) FROM migrate.run WHERE status <> 'succeeded'")" "0" "no failed or running runs"

out=$(psql -X -q -A -t -d $db -c "CALL migrate.run('head')" 2>&1)
ok $? "a second CALL is a no-op"
is "$(q $db "SELECT count(*) FROM migrate.run")" "1" "and records no run"

# a unique concurrent index over duplicates fails and leaves an INVALID index
q $db "SELECT migrate.add('n4', 'CREATE UNIQUE INDEX CONCURRENTLY big_dup ON big ((id % 2))', 'DROP INDEX CONCURRENTLY big_dup', '{n3}', transactional => false)" >/dev/null
err=$(psql -X -q -A -t -d $db -v VERBOSITY=verbose -c "CALL migrate.run('head')" 2>&1)
like "$err" "23505" "the failed concurrent build keeps its SQLSTATE (23505)"
like "$err" "INVALID index" "the hint tells of the INVALID index"
like "$err" "big_dup" "by name"
is "$(q $db "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_dup'::regclass")" "f" "the index is INVALID indeed"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = 'n4'")" "0" "n4 is not applied"
like "$err" "left the INVALID index (public\.)?big_dup" "the error detail names the INVALID index it left"
like "$err" "DROP INDEX CONCURRENTLY (public\.)?big_dup" "and the hint how to clean it"
is "$(q $db "SELECT status || ' ' || error_revision || ' ' || error_sqlstate FROM migrate.run WHERE id = (SELECT max(id) FROM migrate.run WHERE kind = 'upgrade')")" "failed n4 23505" \
   "the failed run is recorded at once, although the command ran at top level"
like "$(q $db "SELECT error_detail FROM migrate.run WHERE id = (SELECT max(id) FROM migrate.run WHERE kind = 'upgrade')")" "big_dup" \
   "its record names the INVALID index"
is "$(q $db "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1835624306")" "0" \
   "no migration lock is left behind"
q $db "DROP INDEX big_dup" >/dev/null
q $db "SELECT migrate.add('n4', 'CREATE INDEX CONCURRENTLY big_dup ON big ((id % 2))', 'DROP INDEX CONCURRENTLY big_dup', '{n3}', transactional => false)" >/dev/null
psql -X -q -A -t -d $db -v ON_ERROR_STOP=1 -c "CALL migrate.run('head')" >/dev/null 2>&1
ok $? "after the fix, the run succeeds"

# a failing ordinary statement in a non-transactional body is recorded at once
q $db "SELECT migrate.add('n5', 'CREATE TABLE n5a (id int); SELECT 1/0; CREATE TABLE n5b (id int);', 'DROP TABLE n5b; DROP TABLE n5a;', '{n4}', transactional => false)" >/dev/null
err=$(psql -X -q -A -t -d $db -v VERBOSITY=verbose -c "CALL migrate.run('head')" 2>&1)
like "$err" "22012" "division by zero inside a non-transactional body keeps 22012"
is "$(q $db "SELECT status || ' ' || error_revision || ' ' || error_sqlstate FROM migrate.run ORDER BY id DESC LIMIT 1")" "failed n5 22012" \
   "the run is recorded as failed at once"
is "$(q $db "SELECT to_regclass('n5a') IS NOT NULL, to_regclass('n5b') IS NULL")" "t|t" \
   "statements before the failure stay committed (documented), later ones did not run"

# settings a non-transactional body makes hold for its later statements, then go
q $db "CREATE SCHEMA s1" >/dev/null
q $db "SELECT migrate.add('n6', 'SET search_path = s1; CREATE TABLE nt_tab (x int); SET maintenance_work_mem = ''77MB''; CREATE INDEX CONCURRENTLY nt_idx ON nt_tab (x);', 'DROP TABLE s1.nt_tab', '{n5}', transactional => false)" >/dev/null
q $db "SELECT migrate.remove('n5')" >/dev/null 2>&1
q $db "SELECT migrate.add('n6', 'SET search_path = s1; CREATE TABLE nt_tab (x int); SET maintenance_work_mem = ''77MB''; CREATE INDEX CONCURRENTLY nt_idx ON nt_tab (x);', 'DROP TABLE s1.nt_tab', '{n4}', transactional => false)" >/dev/null 2>&1
out=$(psql -X -q -A -t -d $db -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '5MB'" -c "CALL migrate.run('head')" -c "SHOW search_path" -c "SHOW maintenance_work_mem" -c "SHOW lock_timeout" 2>&1)
like "$out" "applied 1 revision" "a non-transactional body with SET statements runs"
is "$(q $db "SELECT to_regclass('s1.nt_tab') IS NOT NULL AND to_regclass('public.nt_tab') IS NULL")" "t" \
   "its SET search_path held for its next statement"
like "$out" $'\n"\\$user", public\n5MB\n0$' "and the caller's search_path, maintenance_work_mem and lock_timeout are back"
dropdb $db
done_testing

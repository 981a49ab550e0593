#!/usr/bin/env bash
# CALL migrate.run under what outside testing did to it (issue 13):
#  - several CREATE INDEX CONCURRENTLY in one non-transactional body, up
#    and down, and the CONTEXT line of a failing downgrade body;
#  - an enum value added by one revision and used by the next: run() goes
#    through where upgrade() refuses;
#  - a body that calls pg_advisory_unlock_all() cannot let a second caller
#    apply the same revision;
#  - settings after a non-transactional revision: restored as the caller,
#    before the revision is recorded (log_statement with SET ROLE,
#    default_transaction_read_only);
#  - SET statement_timeout in a non-transactional body bounds its later
#    statements;
#  - DROP EXTENSION waits while a CALL migrate.run is running;
#  - a NOWAIT lock failure in a body is not retried as a lock timeout.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_run_hard
fresh_db $db
run() { psql -X -q -A -t -d $db -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "$@" 2>&1; }

#---------------------------------------------------------------- several CONCURRENTLY
q $db "CREATE TABLE t (x int, name text); INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 2000) g" >/dev/null
q $db "SELECT migrate.add('c0', 'CREATE TABLE c0t (id int)', 'DROP TABLE c0t')" >/dev/null
q $db "SELECT migrate.add('c1', 'CREATE INDEX CONCURRENTLY t_a ON t (x); CREATE INDEX CONCURRENTLY t_b ON t (name); SELECT 1; VACUUM t; CREATE INDEX CONCURRENTLY t_c ON t (x, name);',
                          'DROP INDEX CONCURRENTLY t_a; DROP INDEX CONCURRENTLY t_b; DROP INDEX CONCURRENTLY t_c;', '{c0}', transactional => false)" >/dev/null
out=$(run -c "CALL migrate.run('head')")
ok $? "a body with three CREATE INDEX CONCURRENTLY (and VACUUM between) runs"
is "$(q $db "SELECT string_agg(indexrelid::regclass::text || '=' || indisvalid, ',' ORDER BY 1) FROM pg_index WHERE indrelid = 't'::regclass")" \
   "t_a=true,t_b=true,t_c=true" "every index is built and valid"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "c1" "c1 is applied"
out=$(run -c "CALL migrate.run('c0', 'down')")
ok $? "its downgrade, three DROP INDEX CONCURRENTLY, runs"
is "$(q $db "SELECT count(*) FROM pg_index WHERE indrelid = 't'::regclass")" "0" "the indexes are gone"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "c0" "c1 is reverted"
# a failing top-level statement of a downgrade body says it is one
q $db "SELECT migrate.stamp('c1')" >/dev/null
out=$(run -c "CALL migrate.run('c0', 'down')")
ok_if "$? != 0" "a downgrade body whose DROP INDEX CONCURRENTLY fails stops the run"
like "$out" 'non-transactional downgrade body of revision "c1"' "the CONTEXT line says downgrade body"

#---------------------------------------------------------------- enum values
q $db "SELECT migrate.stamp('c0'); SELECT migrate.remove('c1')" >/dev/null
q $db "SELECT migrate.add('e1', 'CREATE TYPE visibility AS ENUM (''Public''); CREATE TABLE post (id int, v visibility)', 'DROP TABLE post; DROP TYPE visibility', '{c0}')" >/dev/null
q $db "SELECT migrate.add('e2', 'ALTER TYPE visibility ADD VALUE ''Private''', NULL, '{e1}')" >/dev/null
q $db "SELECT migrate.add('e3', 'CREATE INDEX post_public ON post (id) WHERE v <> ''Private''', 'DROP INDEX post_public', '{e2}')" >/dev/null
out=$(run -c "SELECT count(*) FROM migrate.upgrade('head')")
like "$out" "55P04" "upgrade() refuses the plan (55P04)"
like "$out" 'revision "e3" uses the value "Private" that revision "e2" adds' "naming both revisions"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "c0" "nothing ran"
out=$(run -c "CALL migrate.run('head')")
ok $? "CALL migrate.run('head') applies the same plan"
like "$out" "applied 3 revisions" "all three revisions"
is "$(q $db "SELECT to_regclass('post_public') IS NOT NULL")" "t" "the index that uses the new value exists"

#---------------------------------------------------------------- pg_advisory_unlock_all
q $db "CREATE TABLE hits (n int)" >/dev/null
q $db "SELECT migrate.add('u1', 'INSERT INTO hits VALUES (1); SELECT pg_advisory_unlock_all(); SELECT pg_sleep(1.5); INSERT INTO hits VALUES (2);', 'SELECT 1', '{e3}', transactional => false)" >/dev/null
q $db "SELECT migrate.add('u2', 'INSERT INTO hits VALUES (3); SELECT pg_advisory_unlock_all(); SELECT pg_sleep(1);', 'SELECT 1', '{u1}')" >/dev/null
q $db "SELECT migrate.add('u3', 'INSERT INTO hits VALUES (4)', 'SELECT 1', '{u2}')" >/dev/null
run -c "CALL migrate.run('head')" >"$SESS_DIR/u_a.out" &
pid_a=$!
sleep 0.5
run -c "CALL migrate.run('head')" >"$SESS_DIR/u_b.out" &
pid_b=$!
wait $pid_a; rc_a=$?
wait $pid_b; rc_b=$?
is "$rc_a" "0" "the first CALL, whose bodies call pg_advisory_unlock_all(), succeeds"
is "$(q $db "SELECT string_agg(n::text, ',' ORDER BY n) FROM hits")" "1,2,3,4" \
   "every statement ran exactly once: the second CALL did not apply them again"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision IN ('u1', 'u2', 'u3')")" "3" "each revision is recorded once"
like "$(cat "$SESS_DIR/u_a.out")" "released the migration lock" "the first caller is told its body released the lock"
is "$(q $db "SELECT count(*) FROM migrate.run WHERE status = 'running'")" "0" "no run is left running"

#---------------------------------------------------------------- settings after a non-transactional revision
q $db "CREATE ROLE scn_run_hard_nobody NOLOGIN" >/dev/null 2>&1
q $db "GRANT scn_run_hard_nobody TO CURRENT_USER" >/dev/null
q $db "SELECT migrate.add('g1', 'SET log_statement = ''none''; SET ROLE scn_run_hard_nobody; SELECT 1', 'SELECT 1', '{u3}', transactional => false)" >/dev/null
out=$(run -c "SET log_statement = 'all'" -c "CALL migrate.run('head')" -c "SHOW log_statement" -c "SELECT current_user = session_user")
like "$out" $'all\nt$' "after a body that SETs log_statement then ROLE, the caller's log_statement and role are back"
q $db "SELECT migrate.add('g2', 'SET default_transaction_read_only = on; SELECT 1', 'SELECT 1', '{g1}', transactional => false)" >/dev/null
out=$(run -c "CALL migrate.run('head')" -c "SHOW default_transaction_read_only")
like "$out" $'applied 1 revision.*\noff$' "a body that sets default_transaction_read_only on: recorded, and the setting is off again"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = 'g2'")" "1" "g2 is recorded as applied"
is "$(q $db "SELECT count(*) FROM migrate.run WHERE status = 'running'")" "0" "no run is left running"

#---------------------------------------------------------------- statement_timeout
q $db "SELECT migrate.add('st', 'SET statement_timeout = ''200ms''; SELECT pg_sleep(3); CREATE TABLE st_after (id int)', 'SELECT 1', '{g2}', transactional => false)" >/dev/null
start=$(date +%s%N)
out=$(run -c "CALL migrate.run('head')" -c "SHOW statement_timeout")
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
like "$out" "57014" "SET statement_timeout in a non-transactional body bounds its next statement (57014)"
ok_if "elapsed_ms < 2500" "the 3 s statement was cancelled after 200 ms (${elapsed_ms} ms)"
is "$(q $db "SELECT to_regclass('st_after') IS NULL")" "t" "the statement after it did not run"
q $db "SELECT migrate.remove('st')" >/dev/null

#---------------------------------------------------------------- DROP EXTENSION during a run
q $db "SELECT migrate.add('d1', 'SELECT pg_sleep(2); CREATE TABLE d1_after (id int)', 'DROP TABLE d1_after', '{g2}', transactional => false)" >/dev/null
run -c "CALL migrate.run('head')" >"$SESS_DIR/d1.out" &
pid_a=$!
sleep 0.7
out=$(run -c "SET lock_timeout = '400ms'" -c "DROP EXTENSION migrate")
rc=$?
wait $pid_a; rc_a=$?
ok_if "rc != 0" "DROP EXTENSION while CALL migrate.run runs does not go through"
like "$out" "55P03" "it waits for the run (here: until its lock_timeout)"
is "$rc_a" "0" "the run finishes"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = 'd1'")" "1" "and records its revision"

#---------------------------------------------------------------- NOWAIT
q $db "CREATE TABLE lk (id int)" >/dev/null
q $db "SELECT migrate.add('n1', 'LOCK TABLE lk IN ACCESS EXCLUSIVE MODE NOWAIT', 'SELECT 1', '{d1}')" >/dev/null
session_start holder $db
session_send holder "BEGIN; LOCK TABLE lk IN ACCESS SHARE MODE;"
session_wait holder
out=$(run -c "SET client_min_messages = notice" -c "SET migrate.lock_retries = 2" -c "SELECT count(*) FROM migrate.upgrade('head')")
like "$out" 'could not obtain lock on relation "lk"' "a NOWAIT failure keeps its own message"
ok_if "$(grep -c retrying <<<"$out") == 0" "and is not retried as a lock timeout"
session_send holder "ROLLBACK;"
session_end holder

dropdb $db
q postgres "DROP ROLE IF EXISTS scn_run_hard_nobody" >/dev/null 2>&1
done_testing

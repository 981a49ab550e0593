#!/usr/bin/env bash
# lint() and explain() beside other sessions:
#  - lint() and lint_sql() never wait: not for a running migration (no
#    migration lock), not for a table another session holds in
#    AccessExclusiveLock (its size comes from pg_class then);
#  - explain() runs the plan as upgrade() would: it waits for the migration
#    lock at most migrate.lock_wait, and for a table lock at most
#    migrate.lock_timeout per statement (with migrate.lock_retries), ending
#    in 55P03; it leaves nothing behind and no lock held.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_lint
fresh_db $db
q $db "CREATE TABLE public.accounts (id int, note text); INSERT INTO public.accounts SELECT g, 'x' FROM generate_series(1, 1000) g; ANALYZE public.accounts" >/dev/null
q $db "SELECT migrate.add('a1', 'CREATE TABLE public.side (id int)', 'DROP TABLE public.side')" >/dev/null
q $db "SELECT migrate.add('a2', 'CREATE INDEX accounts_id ON public.accounts (id)', 'DROP INDEX public.accounts_id', '{a1}')" >/dev/null

q $db "SELECT migrate.add('a3', 'ALTER TABLE public.accounts ADD COLUMN flag boolean', NULL, '{a2}')" >/dev/null

# another session is migrating: it holds the migration lock and, through a2,
# a ShareLock on accounts
session_start migrator $db
session_send migrator "BEGIN; SET client_min_messages = warning; SELECT count(*) FROM migrate.upgrade('a2');"
session_wait migrator

start=$(date +%s%N)
out=$(psql -X -q -A -t -d $db -c "SET statement_timeout = '10s'" \
      -c "SELECT string_agg(revision || ':' || code, ' ' ORDER BY revision, statement, code) FROM migrate.lint('head') WHERE code <> 'lock'" 2>&1)
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok $rc "lint() answers while another session migrates"
ok_if "elapsed_ms < 3000" "... without waiting for it (${elapsed_ms} ms)"
like "$out" "a2:blocking_index" "... from what its snapshot sees (a2 still pending)"


start=$(date +%s%N)
err=$(psql -X -q -A -t -d $db -c "SET migrate.lock_wait = '300ms'" -c "SELECT count(*) FROM migrate.explain('head')" 2>&1)
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok_if "rc != 0" "explain() waits for the migration lock like upgrade()"
like "$err" "migrate.lock_wait" "... and gives up after migrate.lock_wait"
ok_if "elapsed_ms < 5000" "... in bounded time (${elapsed_ms} ms)"
session_send migrator "ROLLBACK;"
session_wait migrator

# a table another session holds in AccessExclusiveLock
session_send migrator "BEGIN; LOCK TABLE public.accounts IN ACCESS EXCLUSIVE MODE;"
session_wait migrator
out=$(psql -X -q -A -t -d $db -c "SET statement_timeout = '10s'" \
      -c "SELECT rows || ' ' || (bytes > 0) FROM migrate.lint_sql('ALTER TABLE public.accounts ADD COLUMN c int8 DEFAULT random()') WHERE code = 'volatile_default'" 2>&1)
rc=$?
ok $rc "lint_sql() on a table another session holds in AccessExclusiveLock does not wait"
is "$out" "1000 true" "... and reports its size from pg_class"
session_send migrator "ROLLBACK;"
session_wait migrator

# a long reader holds accounts: explain's ALTER times out like upgrade's would
session_send migrator "BEGIN; SELECT count(*) FROM public.accounts;"
session_wait migrator
start=$(date +%s%N)
err=$(psql -X -q -A -t -d $db -c "SET migrate.lock_timeout = '200ms'; SET migrate.lock_retries = 1;" \
      -c "SELECT count(*) FROM migrate.explain('head')" 2>&1)
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok_if "rc != 0" "explain() behind a long transaction fails"
like "$err" 'could not lock relation "public.accounts"' "... naming the table (migrate.lock_timeout honoured)"
like "$err" "2 tries" "... after migrate.lock_retries retries"
ok_if "elapsed_ms < 10000" "... in bounded time (${elapsed_ms} ms)"
session_send migrator "COMMIT;"
session_wait migrator
session_end migrator

out=$(q $db "SELECT string_agg(revision || '/' || statement || ':' || coalesce(relation, '-') || ':' || coalesce(lock, '-'), ' ' ORDER BY revision, statement, relation) FROM migrate.explain('head')")
is "$out" "a1/1:public.side:AccessExclusiveLock a2/1:public.accounts:ShareLock a2/1:public.accounts_id:AccessExclusiveLock a3/1:public.accounts:AccessExclusiveLock" \
   "explain() in a transaction of its own: every lock each statement takes"
is "$(q $db "SELECT to_regclass('public.side') IS NULL AND to_regclass('public.accounts_id') IS NULL")" "t" "explain() left nothing behind"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "0" "... applied nothing"
is "$(q $db "SELECT count(*) FROM migrate.run")" "0" "... and recorded no run"

dropdb $db
done_testing

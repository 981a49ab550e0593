#!/usr/bin/env bash
# Lock safety and failure records across sessions:
#  - a revision whose ALTER TABLE waits behind a long transaction times out
#    after migrate.lock_timeout, is retried migrate.lock_retries times, then
#    fails with 55P03 naming the table; readers are not queued behind it for
#    long; nothing is applied; the failed run is visible from another session;
#  - once the long transaction ends, the same upgrade succeeds;
#  - migrate.lock_wait bounds the wait for another session's migration.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_locks
fresh_db $db
q $db "CREATE TABLE public.accounts (id int); INSERT INTO public.accounts VALUES (1)" >/dev/null
q $db "SELECT migrate.add('a1', 'CREATE TABLE public.other (id int)', 'DROP TABLE public.other')" >/dev/null
q $db "SELECT migrate.add('a2', 'ALTER TABLE public.accounts ADD COLUMN note text', 'ALTER TABLE public.accounts DROP COLUMN note', '{a1}')" >/dev/null

# a long transaction holds a lock on accounts
session_start holder $db
session_send holder "BEGIN; SELECT count(*) FROM public.accounts;"
session_wait holder

start=$(date +%s%N)
err=$(psql -X -q -A -t -d $db -v VERBOSITY=verbose \
      -c "SET migrate.lock_timeout = '200ms'; SET migrate.lock_retries = 2;" \
      -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok_if "rc != 0" "upgrade behind a long transaction fails"
like "$err" "55P03" "with SQLSTATE 55P03"
like "$err" 'could not lock relation "public.accounts"' "naming the table it waited for"
like "$err" "3 tries" "after the first try and 2 retries"
like "$err" "The lock is held by PID" "naming who holds the lock"
like "$err" "DETAIL:  Statement 1 of the body waited for its lock: ALTER TABLE public.accounts ADD COLUMN note text\. The lock is held by PID [0-9]+ \([^)]*\)\." \
     "the DETAIL is two sentences: the statement, then who holds the lock"
ok_if "elapsed_ms < 10000" "gives up in bounded time (${elapsed_ms} ms)"
is "$(q $db 'SELECT count(*) FROM migrate.applied')" "0" "nothing of the run is applied (a1 rolled back too)"
is "$(q $db "SELECT to_regclass('public.other') IS NULL")" "t" "a1's table is gone with the run"
is "$(q $db "SELECT status || ' ' || error_revision || ' ' || error_sqlstate FROM migrate.run ORDER BY id DESC LIMIT 1")" \
   "failed a2 55P03" "the failed run is recorded and visible from another session"

# readers are not stuck behind the waiting ALTER for long
psql -X -q -A -t -d $db -c "SET migrate.lock_timeout = '300ms'; SET migrate.lock_retries = 0;" \
     -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null 2>&1 &
upg=$!
sleep 0.1
rstart=$(date +%s%N)
psql -X -q -A -t -d $db -c "SET statement_timeout = '5s'; SELECT count(*) FROM public.accounts" >/dev/null 2>&1
rrc=$?
r_ms=$(( ($(date +%s%N) - rstart) / 1000000 ))
wait $upg
ok $rrc "a reader arriving while the ALTER waits gets its rows (${r_ms} ms)"
ok_if "r_ms < 3000" "the reader waited at most about one lock_timeout"

session_send holder "COMMIT;"
session_wait holder
is "$(q $db "SELECT count(*) FROM migrate.upgrade('head')")" "2" "after the long transaction ends, the upgrade succeeds"

# lock_wait: another session's migration holds the migration lock
q $db "SELECT migrate.add('a3', 'SELECT 1', 'SELECT 1', '{a2}')" >/dev/null
session_send holder "BEGIN; SELECT pg_advisory_xact_lock(1835624306, 0);"
session_wait holder
start=$(date +%s%N)
err=$(psql -X -q -A -t -d $db -c "SET migrate.lock_wait = '300ms'" -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok_if "rc != 0" "a caller that cannot get the migration lock fails"
like "$err" "could not obtain the migration lock within migrate.lock_wait" "with a clear message"
ok_if "elapsed_ms < 5000" "after about migrate.lock_wait (${elapsed_ms} ms)"
session_send holder "COMMIT;"
session_wait holder
session_end holder

# a failing body: error keeps its SQLSTATE, run recorded as failed, nothing applied
q $db "SELECT migrate.add('a4', 'CREATE TABLE public.x4 (id int); SELECT 1/0;', 'DROP TABLE public.x4', '{a3}')" >/dev/null
err=$(psql -X -q -A -t -d $db -v VERBOSITY=verbose -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
like "$err" "22012" "division by zero keeps SQLSTATE 22012"
like "$err" 'revision "a4"' "the error names the revision"
is "$(q $db "SELECT error_revision || ' ' || error_sqlstate || ' ' || error_message FROM migrate.run WHERE status = 'failed' ORDER BY id DESC LIMIT 1")" \
   "a4 22012 division by zero" "the failure record has revision, SQLSTATE and message"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "a2" "a3 and a4 are not applied (all or nothing)"
is "$(q $db "SELECT count(*) FROM migrate.run_step s JOIN migrate.run r ON r.id = s.run_id WHERE r.status = 'failed' AND s.revision = 'a4' AND s.status = 'failed'")" "1" \
   "the failed step is recorded"

# a caller that rolls back leaves no success record
before=$(q $db "SELECT count(*) FROM migrate.run")
psql -X -q -d $db -c "BEGIN" -c "SELECT migrate.remove('a4')" -c "SELECT * FROM migrate.upgrade('head')" -c "ROLLBACK" >/dev/null 2>&1
is "$(q $db "SELECT count(*) FROM migrate.run")" "$before" "an upgrade rolled back by its caller leaves no run"

# a retried plan runs the same parse trees again: statements whose parse
# analysis writes into their tree (CREATE TABLE AS, EXPLAIN) before the
# statement that times out, which succeeds once the holder commits
db2=scn_locks_retry
fresh_db $db2
q $db2 "CREATE TABLE public.busy (id int)" >/dev/null
q $db2 "SELECT migrate.add('c1', 'CREATE TABLE public.c1_copy AS SELECT 1 AS one; EXPLAIN SELECT * FROM public.c1_copy; CREATE INDEX c1_one ON public.c1_copy (one); ALTER TABLE public.busy ADD COLUMN n int;', 'SELECT 1')" >/dev/null
session_start holder2 $db2
session_send holder2 "BEGIN; SELECT count(*) FROM public.busy; SELECT pg_sleep(0.7); COMMIT;"
sleep 0.2
err=$(psql -X -q -A -t -d $db2 -c "SET migrate.lock_timeout = '150ms'; SET migrate.lock_retries = 6;" \
      -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
rc=$?
session_wait holder2
session_end holder2
is "$rc" "0" "a plan retried after lock timeouts succeeds once the lock is free"
like "$err" "retrying \(1 of 6\)" "after at least one retry"
is "$(q $db2 "SELECT (SELECT count(*) FROM public.c1_copy) || ' ' || (to_regclass('public.c1_one') IS NOT NULL) || ' ' || (SELECT count(*) FROM migrate.applied)")" \
   "1 true 1" "the retried CREATE TABLE AS and CREATE INDEX ran again from their trees, once in effect"
dropdb $db2

dropdb $db
done_testing

#!/usr/bin/env bash
# The DDL ledger never makes DDL fail (issue 17), with another session in
# the way: while a session holds the ledger locked, DDL elsewhere does not
# wait beyond lock_timeout for its record -- it runs, with a WARNING, and
# the record is missing; a lock held for a moment only delays the record.
# Uses the cluster named by the PG* variables; prints TAP.
set -uo pipefail
PG_MAJOR=${PG_MAJOR:-15}
[ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ] && export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
source "$(dirname "$0")/tap.bash"

db="migrate_drift_busy_$$"
cleanup() { session_end locker 2>/dev/null; dropdb --if-exists "$db" >/dev/null 2>&1; }
trap cleanup EXIT

fresh_db "$db"
q "$db" "CREATE TABLE public.before_lock (id int)" >/dev/null
is "$(q "$db" "SELECT count(*) FROM migrate.ddl_log WHERE object_identity = 'public.before_lock'")" "1" "recorded as usual"

session_start locker "$db"
session_send locker "BEGIN; LOCK TABLE migrate.ddl_log IN ACCESS EXCLUSIVE MODE;"
session_wait locker
out=$(PGOPTIONS="-c lock_timeout=300ms" psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE TABLE public.busy (id int)" 2>&1)
is "$?" "0" "the ledger locked by another session: CREATE TABLE still succeeds (lock_timeout)"
like "$out" "WARNING:  could not record CREATE TABLE in migrate.ddl_log" "with a WARNING"
session_send locker "ROLLBACK;"
session_wait locker
is "$(q "$db" "SELECT to_regclass('public.busy') IS NOT NULL")" "t" "the table is there"
is "$(q "$db" "SELECT count(*) FROM migrate.ddl_log WHERE object_identity = 'public.busy'")" "0" "without its record"

# a lock held for a moment: the command waits for it, and is recorded
session_send locker "BEGIN; LOCK TABLE migrate.ddl_log IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1); COMMIT;"
sleep 0.3
out=$(psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE TABLE public.waited (id int)" 2>&1)
is "$?" "0" "a lock held for a moment: CREATE TABLE succeeds"
session_wait locker
is "$(q "$db" "SELECT count(*) FROM migrate.ddl_log WHERE object_identity = 'public.waited'")" "1" "and is recorded once the lock is gone"
is "$out" "" "without a WARNING"
done_testing

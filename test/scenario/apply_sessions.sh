#!/usr/bin/env bash
# What other sessions see of a running migration:
#  - progress: pg_stat_activity.query of the migrating backend reads
#    "migrate: applying i/n: <id> <message>" (or "reverting") while that
#    revision runs, for upgrade(), downgrade() and CALL migrate.run(); the
#    caller gets one NOTICE per revision; afterwards the backend shows its
#    own statement again;
#  - a failed run is visible in migrate.run from another session as soon as
#    the caller has its error, while the caller's transaction is still open
#    (aborted), and after it rolled back.
set -u
source "$(dirname "$0")/tap.bash"
PG_MAJOR=${PG_MAJOR:-15}
if [ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ]; then
    export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
fi
db=${SCN_DB_PREFIX:-scn_apply}_sessions
WORK=$(mktemp -d)
trap 'dropdb --if-exists "$db" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
fresh_db "$db"

# poll_activity <application_name> <LIKE pattern>: the matching query text of
# that backend, as soon as it appears (within 10 s)
poll_activity() {
    local i v
    for i in $(seq 1 200); do
        v=$(q "$db" "SELECT query || ' [' || state || ']' FROM pg_stat_activity
                      WHERE application_name = '$1' AND query LIKE '$2'")
        if [ -n "$v" ]; then echo "$v"; return 0; fi
        sleep 0.05
    done
    return 1
}

q "$db" "SELECT migrate.add('p1', 'CREATE TABLE p1t (id int)', 'DROP TABLE p1t', message => 'quick one');
         SELECT migrate.add('p2', 'SELECT pg_sleep(2); CREATE TABLE p2t (id int);', 'DROP TABLE p2t', '{p1}',
                            message => 'slow upgrade');
         SELECT migrate.add('p3', 'CREATE TABLE p3t (id int)', 'SELECT pg_sleep(2); DROP TABLE p3t;', '{p2}',
                            message => 'slow downgrade');" >/dev/null

#---------------------------------------------------------------- upgrade
PGAPPNAME=scn_progress_up psql -X -q -A -t -d "$db" -c "SELECT count(*) FROM migrate.upgrade('p3')" \
    >"$WORK/up.out" 2>"$WORK/up.err" &
bg=$!
# p1 is on screen only for a moment: wait for the step that sleeps
seen=$(poll_activity scn_progress_up 'migrate: applying 2/%')
wait $bg
is "$seen" "migrate: applying 2/3: p2 slow upgrade [active]" \
   "while p2 runs, another session sees 'migrate: applying 2/3: p2 slow upgrade' in pg_stat_activity"
is "$(cat "$WORK/up.out")" "3" "the upgrade applied 3 revisions"
is "$(grep -o 'applying .*' "$WORK/up.err" | tr '\n' '|')" \
   "applying 1/3: p1 quick one|applying 2/3: p2 slow upgrade|applying 3/3: p3 slow downgrade|" \
   "the caller got one NOTICE per revision, in order"
is "$(q "$db" "SELECT count(*) FROM migrate.run WHERE kind = 'upgrade' AND status = 'succeeded'")" "1" "the run is recorded"

#---------------------------------------------------------------- downgrade
PGAPPNAME=scn_progress_down psql -X -q -A -t -d "$db" -c "SELECT count(*) FROM migrate.downgrade('p1')" \
    >"$WORK/down.out" 2>"$WORK/down.err" &
bg=$!
seen=$(poll_activity scn_progress_down 'migrate: reverting 1/%')
wait $bg
is "$seen" "migrate: reverting 1/2: p3 slow downgrade [active]" \
   "while p3's downgrade runs, another session sees 'migrate: reverting 1/2: p3 slow downgrade'"
is "$(cat "$WORK/down.out")" "2" "the downgrade reverted 2 revisions"
is "$(grep -o 'reverting .*' "$WORK/down.err" | tr '\n' '|')" \
   "reverting 1/2: p3 slow downgrade|reverting 2/2: p2 slow upgrade|" "one NOTICE per reverted revision"

#---------------------------------------------------------------- CALL migrate.run
q "$db" "SELECT count(*) FROM migrate.stamp('p3')" >/dev/null
q "$db" "SELECT migrate.add('p4', 'SELECT pg_sleep(2)', 'SELECT 1', '{p3}', message => 'slow in run')" >/dev/null
PGAPPNAME=scn_progress_run psql -X -q -A -t -d "$db" -c "CALL migrate.run('head')" \
    >"$WORK/run.out" 2>"$WORK/run.err" &
bg=$!
seen=$(poll_activity scn_progress_run 'migrate: %')
wait $bg
is "$seen" "migrate: applying 1/1: p4 slow in run [active]" "CALL migrate.run() shows its progress too"
like "$(cat "$WORK/run.err")" "applied 1 revision" "and reports what it applied"

#---------------------------------------------------------------- afterwards
q "$db" "SELECT migrate.add('p5', 'CREATE TABLE p5t (id int)', 'DROP TABLE p5t', '{p4}')" >/dev/null
PGAPPNAME=scn_after session_start after "$db"
session_send after "SELECT count(*) FROM migrate.upgrade('head');"
session_wait after
is "$(q "$db" "SELECT state || ': ' || query FROM pg_stat_activity WHERE application_name = 'scn_after'")" \
   "idle: SELECT count(*) FROM migrate.upgrade('head');" \
   "after the upgrade, the backend shows its own statement again, not the last revision"
session_end after

#---------------------------------------------------------------- a failure, seen from elsewhere
q "$db" "SELECT migrate.add('p6', E'CREATE TABLE p6t (id int);\nSELECT 1/0;', 'DROP TABLE p6t', '{p5}', message => 'fails')" >/dev/null
failed_before=$(q "$db" "SELECT count(*) FROM migrate.run WHERE status = 'failed'")
session_start failing "$db"
session_send failing "BEGIN;"
session_send failing "CREATE TABLE public.callers_table (id int);"
session_send failing "SELECT count(*) FROM migrate.upgrade('head');"
session_wait failing
like "$(session_output failing)" "division by zero" "the caller gets the body's error"
is "$(q "$db" "SELECT count(*) FROM migrate.run WHERE status = 'failed'")" "$((failed_before + 1))" \
   "while the caller's transaction is still open, another session sees one more failed run"
is "$(q "$db" "SELECT error_revision || ' ' || error_sqlstate || ' ' || error_message FROM migrate.run WHERE status = 'failed' ORDER BY id DESC LIMIT 1")" \
   "p6 22012 division by zero" "with the revision, SQLSTATE and message"
session_send failing "ROLLBACK;"
session_wait failing
session_end failing
is "$(q "$db" "SELECT count(*) FROM migrate.run WHERE status = 'failed'")" "$((failed_before + 1))" \
   "after the caller rolled back, the failed run is still there"
is "$(q "$db" "SELECT to_regclass('public.callers_table') IS NULL AND to_regclass('public.p6t') IS NULL")" "t" \
   "while the caller's own work and the revision's are gone"
is "$(q "$db" "SELECT string_agg(c, ',') FROM migrate.current() c")" "p5" "p5 stays current"

done_testing

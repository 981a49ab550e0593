#!/usr/bin/env bash
# Crashes and interruptions in the middle of a revision, for both ways of
# applying: SELECT migrate.upgrade() (all or nothing in the caller's
# transaction; records nothing until it finishes) and CALL migrate.run()
# (one transaction per revision; records its run as 'running' first).
#
# Interruptions: kill -9 of the backend (the postmaster then restarts every
# backend and recovers), pg_terminate_backend, statement_timeout, and
# pg_ctl restart -m immediate.  The interrupted revision's body is
# "CREATE TABLE; SELECT pg_sleep(...)", interrupted while it sleeps.
#
# After each: the interrupted revision is not applied and its table does
# not exist (for run(), the revision before it stays applied: run() commits
# per revision), no migration lock is left, status() tells what happened to
# a run that was recorded as started, the next upgrade succeeds (and marks
# an interrupted run failed), and validate() finds no error.
#
# Needs a cluster of its own (it kills backends and restarts the server):
# initdb in a temporary directory, as the postgres user when run as root.
# Prints TAP.
set -u
source "$(dirname "$0")/tap.bash"
PG_MAJOR=${PG_MAJOR:-15}
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/migrate-crash.XXXXXX")
chmod 755 "$WORK"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$WORK"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
PORT=$(( 40000 + RANDOM % 10000 ))
export PGHOST=$WORK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
unset PGPASSWORD PGSERVICE
export PGOPTIONS="-c client_min_messages=warning"
pg_ctl_() { as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" "$@"; }

cleanup() {
    pg_ctl_ stop -m immediate >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$WORK/data" -A trust -U postgres --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; echo "Bail out! initdb failed"; exit 1; }
pg_ctl_ -w -t 60 start -o "-p $PORT -k $WORK -c listen_addresses='' -c fsync=off -c restart_after_crash=on" \
    >/dev/null 2>&1 || { cat "$WORK/server.log"; echo "Bail out! the crash cluster does not start"; exit 1; }

wait_ready() {   # until the server accepts connections again (after a crash or restart)
    for _ in $(seq 1 300); do
        psql -X -q -A -t -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# wait_running <db> <revision>: the pid of the backend running that
# revision's body, once it sleeps in it
wait_running() {
    local pid
    for _ in $(seq 1 200); do
        pid=$(q "$1" "SELECT pid FROM pg_stat_activity
                       WHERE datname = current_database() AND query LIKE 'migrate: applying %: $2%'
                         AND wait_event = 'PgSleep' LIMIT 1" 2>/dev/null)
        [ -n "$pid" ] && { echo "$pid"; return 0; }
        sleep 0.05
    done
    return 1
}

# setup <db>: c1 creates a table; c2 creates one and then sleeps when the
# session asks for it (crash.sleep); c3 creates one
setup() {
    fresh_db "$1"
    q "$1" "SELECT migrate.add('c1', 'CREATE TABLE public.c1 (id int)', 'DROP TABLE public.c1');
            SELECT migrate.add('c2', \$\$CREATE TABLE public.c2 (id int);
SELECT pg_sleep(CASE WHEN current_setting('crash.sleep', true) = 'on' THEN 120 ELSE 0 END);\$\$,
                               'DROP TABLE public.c2', '{c1}');
            SELECT migrate.add('c3', 'CREATE TABLE public.c3 (id int)', 'DROP TABLE public.c3', '{c2}')" >/dev/null
}

# start <db> <upgrade|run>: the migration that will be interrupted, in the background
start() {
    local sql
    if [ "$2" = run ]; then sql="CALL migrate.run('head')"; else sql="SELECT count(*) FROM migrate.upgrade('head')"; fi
    psql -X -q -A -t -v VERBOSITY=verbose -d "$1" -c "SET crash.sleep = on" ${3:+-c "$3"} -c "$sql" \
        >"$WORK/victim.out" 2>&1 &
    victim=$!
}

# after <db> <how> <upgrade|run>: the checks after the interruption
after() {
    local db=$1 how=$2 mode=$3 label="$2 during $3()"
    wait "$victim" 2>/dev/null
    wait_ready
    ok $? "$label: the server accepts connections again"
    is "$(q "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1835624306")" "0" \
       "$label: no migration lock is left"
    is "$(q "$db" "SELECT to_regclass('public.c2') IS NULL AND NOT EXISTS (SELECT 1 FROM migrate.applied WHERE revision = 'c2')")" "t" \
       "$label: nothing of the interrupted revision is applied"
    if [ "$mode" = upgrade ]; then
        is "$(q "$db" "SELECT count(*) FROM migrate.applied")|$(q "$db" "SELECT to_regclass('public.c1') IS NULL")" "0|t" \
           "$label: nothing of the interrupted upgrade() is applied (all or nothing)"
    else
        is "$(q "$db" "SELECT string_agg(revision, ',') FROM migrate.applied")|$(q "$db" "SELECT to_regclass('public.c1') IS NOT NULL")" "c1|t" \
           "$label: run() keeps the revision it committed before the interrupted one"
    fi
    # what the catalog says happened, before anything else runs
    local runs
    runs=$(q "$db" "SELECT coalesce(string_agg(kind || ':' || status || ':' || coalesce(error_revision, '') || ':' || coalesce(error_sqlstate, ''), ',' ORDER BY id), '')
                      FROM migrate.run")
    case "$how" in
        statement_timeout)
            is "$runs" "upgrade:failed:c2:57014" "$label: the failed run is recorded with the revision and SQLSTATE 57014"
            like "$(q "$db" "SELECT last_run_status || ' ' || last_run_error FROM migrate.status()")" \
                 "^failed c2: 57014 canceling statement due to statement timeout" \
                 "$label: status() tells of the failed run" ;;
        *)
            if [ "$mode" = upgrade ]; then
                is "$runs" "" "$label: upgrade() recorded no run (it records nothing until it finishes)"
                is "$(q "$db" "SELECT coalesce(last_run_status, 'none') FROM migrate.status()")" "none" \
                   "$label: status() shows no last run"
            else
                is "$runs" "upgrade:running::" "$label: run() left its run recorded as started"
                like "$(q "$db" "SELECT last_run_status || ' ' || last_run_error FROM migrate.status()")" \
                     "^interrupted interrupted: the run did not finish" \
                     "$label: status() says the run was interrupted, not that it is running"
            fi ;;
    esac
    # the next upgrade: no wait for a lock nobody holds, and it finishes
    local out
    out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "SET migrate.lock_wait = '3s'" \
              -c "SET client_min_messages = warning" \
              -c "SELECT string_agg(revision, ',' ORDER BY step) FROM migrate.upgrade('head')" 2>&1)
    if [ "$mode" = upgrade ]; then
        is "$out" "c1,c2,c3" "$label: the next upgrade applies everything"
    else
        like "$out" "earlier run did not finish and is now marked failed" "$label: the next upgrade warns of the interrupted run"
        like "$out" "c2,c3\$" "$label: and applies the rest"
    fi
    is "$(q "$db" "SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate.applied")" "c1,c2,c3" \
       "$label: everything is applied once"
    is "$(q "$db" "SELECT count(*) FROM migrate.run WHERE status = 'running'")" "0" "$label: no run is left 'running'"
    if [ "$mode" = run ] && [ "$how" != statement_timeout ]; then
        like "$(q "$db" "SELECT status || ' ' || error_message FROM migrate.run ORDER BY id LIMIT 1")" \
             "^failed interrupted: the run did not finish" "$label: the interrupted run is now recorded as failed"
    fi
    is "$(q "$db" "SELECT last_run_status FROM migrate.status()")" "succeeded" "$label: status() shows the last run succeeded"
    is "$(q "$db" "SELECT count(*) FROM migrate.validate() WHERE severity = 'error'")" "0" "$label: validate() finds no error"
}

for mode in upgrade run; do
    # ------------------------------------------------ kill -9 of the backend
    db=crash_kill_$mode
    setup $db
    start $db $mode
    pid=$(wait_running $db c2)
    ok $? "kill -9 during $mode(): the backend sleeps in c2 (pid ${pid:-?})"
    [ -n "$pid" ] && kill -9 "$pid"
    after $db "kill -9" $mode

    # ------------------------------------------------ pg_terminate_backend
    db=crash_term_$mode
    setup $db
    start $db $mode
    pid=$(wait_running $db c2)
    is "$(q $db "SELECT pg_terminate_backend(${pid:-0})")" "t" "pg_terminate_backend during $mode(): terminated"
    after $db "pg_terminate_backend" $mode

    # ------------------------------------------------ statement_timeout
    db=crash_timeout_$mode
    setup $db
    if [ "$mode" = run ]; then
        # run() records its own failure in its own transaction
        start $db $mode "SET statement_timeout = '3s'"
        wait "$victim"
        like "$(cat "$WORK/victim.out")" "57014" "statement_timeout during run(): the caller gets 57014"
        wait_ready
        is "$(q $db "SELECT status || ':' || error_revision || ':' || error_sqlstate FROM migrate.run")" "failed:c2:57014" \
           "statement_timeout during run(): the run is recorded as failed in c2 with 57014"
        is "$(q $db "SELECT string_agg(revision, ',') FROM migrate.applied")|$(q $db "SELECT to_regclass('public.c2') IS NULL")" "c1|t" \
           "statement_timeout during run(): c1 stays applied, nothing of c2 is"
        is "$(q $db "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1835624306")" "0" \
           "statement_timeout during run(): no migration lock is left"
        is "$(q $db "SELECT last_run_status FROM migrate.status()")" "failed" "statement_timeout during run(): status() tells it failed"
        is "$(q $db "SET migrate.lock_wait = '3s'; SELECT string_agg(revision, ',' ORDER BY step) FROM migrate.upgrade('head')")" "c2,c3" \
           "statement_timeout during run(): the next upgrade applies the rest"
    else
        start $db $mode "SET statement_timeout = '3s'"
        wait "$victim"
        like "$(cat "$WORK/victim.out")" "57014" "statement_timeout during upgrade(): the caller gets 57014"
        victim=
        after $db statement_timeout $mode
    fi

    # ------------------------------------------------ immediate restart
    db=crash_restart_$mode
    setup $db
    start $db $mode
    pid=$(wait_running $db c2)
    ok $? "restart -m immediate during $mode(): the backend sleeps in c2"
    pg_ctl_ -w -t 60 restart -m immediate >/dev/null 2>&1
    ok $? "restart -m immediate during $mode(): the server restarted"
    after $db "restart -m immediate" $mode
done

grep -q "was terminated by signal 9" "$WORK/server.log"
ok $? "the server log shows the killed backend"
grep -qE "database system was (interrupted|not properly shut down)" "$WORK/server.log"
ok $? "the server log shows crash recovery"
done_testing

#!/usr/bin/env bash
# A failed upgrade is recorded by a background worker.  When every worker
# slot is taken (max_worker_processes, here by parallel query workers), the
# failing call waits for a slot (at most migrate.lock_wait) instead of
# giving up: the failure is recorded once a slot frees.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_slots
fresh_db $db
q $db "CREATE TABLE par AS SELECT g FROM generate_series(1, 40000) g;
       ALTER TABLE par SET (parallel_workers = 64); ANALYZE par;
       CREATE FUNCTION slow(int) RETURNS boolean LANGUAGE plpgsql PARALLEL SAFE AS
         \$\$BEGIN PERFORM pg_sleep(0.0005); RETURN true; END\$\$;
       SELECT migrate.add('f1', 'SELECT 1/0', 'SELECT 1')" >/dev/null

hog() {   # hog <name>: a parallel query that keeps its workers (every free slot) for a few seconds
    psql -X -q -A -t -d $db -c "SET application_name = 'hog'" \
         -c "SET max_parallel_workers_per_gather = 64" -c "SET parallel_setup_cost = 0" \
         -c "SET parallel_tuple_cost = 0" -c "SET min_parallel_table_scan_size = 0" \
         -c "SELECT count(*) FROM par WHERE slow(g)" >"$SESS_DIR/$1.out" 2>&1 &
}
hog h1; p1=$!
# wait until the parallel workers run, and see whether they took every slot
t=0
until [ "$(q $db "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'parallel worker'")" = "t" ] || [ $t -ge 50 ]; do
    sleep 0.1; t=$((t + 1))
done
full=$(q $db "SELECT (SELECT count(*) FROM pg_stat_activity
                      WHERE backend_type IN ('parallel worker', 'logical replication launcher', 'logical replication worker', 'background worker'))
                     >= current_setting('max_worker_processes')::int")

out=$(psql -X -q -A -t -d $db -v VERBOSITY=verbose -c "SET migrate.lock_wait = '30s'" -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
like "$out" "22012" "the failing upgrade reports its own error"
if [ "$full" = "t" ]; then
    ok 0 "every worker slot was taken when it failed"
else
    ok 0 "# SKIP the parallel queries did not take every worker slot"
fi
ok_if "$(grep -c 'could not record' <<<"$out") == 0" "no warning that the failure could not be recorded"
is "$(q $db "SELECT status || ' ' || error_revision || ' ' || error_sqlstate FROM migrate.run ORDER BY id DESC LIMIT 1")" \
   "failed f1 22012" "the failed run is recorded"
wait $p1
like "$(cat "$SESS_DIR/h1.out")" "^40000$" "(the parallel query finished normally)"

dropdb $db
done_testing

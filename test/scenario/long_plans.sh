#!/usr/bin/env bash
# Plans on a chain of 200,000 applied revisions (written straight into the
# catalog, as a superuser may, to keep this fast): plan('-200000', 'down')
# is linear, and a long call ends promptly on statement_timeout and on
# pg_cancel_backend.  No timing is asserted beyond "promptly" (seconds,
# against minutes or hours before).
set -u
source "$(dirname "$0")/tap.bash"
db=scn_long
N=${LONG_PLANS_N:-200000}
fresh_db $db
q $db "INSERT INTO migrate.revision (id, down_revision, checksum, content_hash, upgrade, downgrade)
       SELECT 'r' || lpad(i::text, 6, '0'),
              CASE WHEN i > 1 THEN ARRAY['r' || lpad((i - 1)::text, 6, '0')] ELSE '{}' END,
              'x', 0, 'SELECT 1', 'SELECT 1'
         FROM generate_series(1, $N) i;
       INSERT INTO migrate.applied (revision, checksum)
       SELECT 'r' || lpad(i::text, 6, '0'), 'x' FROM generate_series(1, $N) i;
       ANALYZE migrate.revision; ANALYZE migrate.applied" >/dev/null
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "r$(printf '%06d' $N)" "a chain of $N applied revisions"

# timed <seconds> <psql args...>: run psql, killed after <seconds>; sets rc, ms, out
timed() {
    local limit=$1; shift
    local start=$(date +%s%N)
    out=$(timeout "$limit" psql -X -q -A -t -d $db "$@" 2>&1)
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
}

timed 60 -c "SET statement_timeout = '20s'" -c "SELECT count(*) FROM migrate.plan('-$N', 'down')"
is "$out" "$N" "plan('-$N', 'down') lists every revision"
ok_if "ms < 10000" "in linear time (${ms} ms)"

timed 60 -c "SET statement_timeout = '500ms'" \
      -c "SELECT count(*) FROM generate_series(1, 200) g, LATERAL migrate.plan('-' || ($N - g % 2), 'down') p"
like "$out" "canceling statement due to statement timeout" "200 such plans in one statement end on statement_timeout"
ok_if "ms < 3000" "promptly (${ms} ms)"

psql -X -q -A -t -d $db -c "SET application_name = 'long_plan'" \
     -c "SELECT count(*) FROM generate_series(1, 200) g, LATERAL migrate.plan('-' || ($N - g % 2), 'down') p" \
     >"$SESS_DIR/cancel.out" 2>&1 &
pid=$!
t=0
until [ "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'long_plan' AND state = 'active'")" = "1" ] || [ $t -ge 50 ]; do
    sleep 0.1; t=$((t + 1))
done
sleep 1
start=$(date +%s%N)
q $db "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_plan'" >/dev/null
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok_if "ms < 2000" "pg_cancel_backend ends it promptly (${ms} ms)"
kill $pid 2>/dev/null; wait $pid 2>/dev/null
like "$(cat "$SESS_DIR/cancel.out")" "canceling statement due to user request" "with the cancel's own error"
q $db "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_plan'" >/dev/null

dropdb $db
done_testing

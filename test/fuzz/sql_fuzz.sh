#!/usr/bin/env bash
# In-server fuzzing of target resolution, the id rule and the name parsers
# (test/fuzz/sql_fuzz.sql): the code under test is the extension itself,
# loaded by a real server, which a libFuzzer harness cannot link.
#
#   test/fuzz/sql_fuzz.sh [SECONDS] [SEED]     default 60 s, a random seed
#
# Uses the cluster named by the PG* variables (a database of its own,
# dropped at the end).  Prints TAP: the session survived (no backend
# crash), every error had an expected SQLSTATE and left the catalog
# unchanged, every success left a consistent state; then the figures.
set -u
SECONDS_TO_RUN=${1:-60}
SEED=${2:-0.$(( RANDOM % 1000 ))}
HERE=$(cd "$(dirname "$0")" && pwd)
db=fuzz_sql_$$
export PGOPTIONS="-c client_min_messages=warning"
n=0; failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

createdb $db || { echo "Bail out! createdb $db"; exit 1; }
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -c "CREATE EXTENSION migrate" -f "$HERE/sql_fuzz.sql" >/dev/null
ok $? "set up the fuzzing database"

psql -X -q -v ON_ERROR_STOP=1 -d $db -c "CALL fuzz_run($SECONDS_TO_RUN, $SEED)" >/tmp/sql_fuzz_$$.out 2>&1
rc=$?
ok $rc "the session ran ${SECONDS_TO_RUN}s (seed $SEED) without a backend crash or an uncaught error"
[ $rc -ne 0 ] && sed 's/^/# /' /tmp/sql_fuzz_$$.out | head -20
rm -f /tmp/sql_fuzz_$$.out

q() { psql -X -q -A -t -d $db -c "$1"; }
bad=$(q "SELECT count(*) FROM fuzz_result")
ok $([ "${bad:-1}" = 0 ]; echo $?) "every error had an expected SQLSTATE and left the catalog unchanged; every success left a consistent state"
if [ "${bad:-1}" != 0 ]; then
    q "SELECT fn || ' (' || sqlstate || '): ' || bad || ' -- input ' || quote_literal(left(input, 80)) || ' -- ' || coalesce(message, '')
         FROM fuzz_result ORDER BY n LIMIT 20" | sed 's/^/# /'
fi
internal=$(q "SELECT coalesce(sum(calls), 0) FROM fuzz_stats WHERE sqlstate ~ '^(XX|58)'")
ok $([ "${internal:-1}" = 0 ]; echo $?) "no internal (XX000) or system error"
echo "# sql fuzz: $(q "SELECT sum(calls) FROM fuzz_stats") calls ($(q "SELECT sum(calls)::bigint / 14 FROM fuzz_stats") inputs x 14 functions) in ${SECONDS_TO_RUN}s, seed $SEED"
echo "# sql fuzz outcomes: $(q "SELECT string_agg(sqlstate || '=' || c, ' ' ORDER BY c DESC) FROM (SELECT sqlstate, sum(calls) c FROM fuzz_stats GROUP BY 1) s")"
echo "1..$n"
[ $failed -eq 0 ]

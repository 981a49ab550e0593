#!/usr/bin/env bash
# Schema helpers benchmark (issue: schema helpers): what one call of an
# existence helper costs.  Each case is one statement that calls the helper
# HELPER_CALLS times (default 100,000) over generate_series, timed on the
# server (fastest of HELPER_ROUNDS runs); the same statement without the
# call, measured right before, is the baseline, so the difference divided
# by the number of calls is the cost of one call.  to_regclass() and the pg_catalog query health-check
# scripts run today are measured the same way for comparison.
#
# Runs against the cluster named by the PG* variables (bash bench/run
# schema_helpers starts a throwaway one); creates and drops its own database.
set -euo pipefail
source "$(dirname "$0")/common.sh"
N=${HELPER_CALLS:-100000}
ROUNDS=${HELPER_ROUNDS:-7}
db=${BENCH_DB:-bench_helpers_$$}

createdb "$db"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
q "$db" "CREATE EXTENSION migrate;
         CREATE TABLE public.bench_t (id int PRIMARY KEY, email text);
         CREATE INDEX bench_t_email ON public.bench_t (email);
         CREATE TYPE public.bench_mood AS ENUM ('a', 'b');
         CREATE SCHEMA app; CREATE SCHEMA billing;
         SET search_path = app, billing, public" >/dev/null
q "$db" "ALTER DATABASE \"$db\" SET search_path = app, billing, public" >/dev/null

# the same row source for every case; a STABLE function is called once per
# row even with constant arguments (only IMMUTABLE ones are folded), and x
# is computed per row so a subquery that uses it stays correlated
stmt() {  # stmt PREDICATE [VALUE OF x]
    echo "SELECT count(*) FILTER (WHERE $1) FROM (SELECT '${2:-x}' || left(g::text, 0) AS x FROM generate_series(1, $N) g) s"
}
# fastest of N runs, in ms: on a shared machine the minimum is the stable
# figure, and each case is paired with a baseline measured right before it
server_min_ms() {  # server_min_ms DB N SQL
    q "$1" "CREATE OR REPLACE FUNCTION pg_temp.bench(sql text, n int) RETURNS SETOF float8 LANGUAGE plpgsql AS \$\$
            DECLARE t0 timestamptz; BEGIN
              FOR i IN 1..n LOOP t0 := clock_timestamp(); EXECUTE sql;
                RETURN NEXT extract(epoch FROM clock_timestamp() - t0) * 1000; END LOOP; END \$\$;
          SELECT min(t) FROM pg_temp.bench(\$x\$$3\$x\$, $2) t"
}
base=$(server_min_ms "$db" "$ROUNDS" "$(stmt "x IS NOT NULL")")

printf '%-58s %12s %12s\n' "call ($N per statement, fastest of $ROUNDS)" "statement ms" "per call us"
measure() {  # measure LABEL PREDICATE [VALUE OF x]
    local ms b
    b=$(server_min_ms "$db" "$ROUNDS" "$(stmt "x IS NOT NULL" "${3:-x}")")
    ms=$(server_min_ms "$db" "$ROUNDS" "$(stmt "$2" "${3:-x}")")
    awk -v l="$1" -v ms="$ms" -v b="$b" -v n="$N" \
        'BEGIN {printf "%-58s %12.1f %12.3f\n", l, ms, (ms - b) * 1000 / n}'
}
printf '%-58s %12.1f %12s\n' "baseline (no call)" "$base" "-"
measure "table_exists('public.bench_t')"                "migrate.table_exists('public.bench_t')"
measure "table_exists('bench_t')  (3 schemas on path)"  "migrate.table_exists('bench_t')"
measure "table_exists('nosuch.bench_t')  (missing)"     "migrate.table_exists('nosuch.bench_t')"
measure "index_exists('public.bench_t_email')"          "migrate.index_exists('public.bench_t_email')"
measure "column_exists('public.bench_t', 'email')"      "migrate.column_exists('public.bench_t', 'email')"
measure "constraint_exists('public.bench_t', 'bench_t_pkey')" "migrate.constraint_exists('public.bench_t', 'bench_t_pkey')"
measure "type_exists('bench_mood')"                     "migrate.type_exists('bench_mood')"
measure "function_exists('lower(text)')"                "migrate.function_exists('lower(text)')"
measure "schema_exists('billing')"                      "migrate.schema_exists('billing')"
measure "extension_exists('migrate')"                   "migrate.extension_exists('migrate')"
measure "for comparison: to_regclass('public.bench_t')" "to_regclass('public.bench_t') IS NOT NULL"
measure "for comparison: pg_class/pg_namespace subquery" \
        "EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = x AND c.relkind IN ('r', 'p'))" bench_t

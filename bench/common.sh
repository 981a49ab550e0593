# Helpers for the benchmarks (sourced).
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1000000}'; }
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# server-side time of a statement, in ms, median of N runs (plpgsql loop, no round trips)
server_ms() {  # server_ms DB N SQL
    q "$1" "CREATE OR REPLACE FUNCTION pg_temp.bench(sql text, n int) RETURNS SETOF float8 LANGUAGE plpgsql AS \$\$
            DECLARE t0 timestamptz; BEGIN
              FOR i IN 1..n LOOP t0 := clock_timestamp(); EXECUTE sql;
                RETURN NEXT extract(epoch FROM clock_timestamp() - t0) * 1000; END LOOP; END \$\$;
          SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM pg_temp.bench(\$x\$$3\$x\$, $2) t"
}
# peak memory (kB) a statement adds to a fresh backend: VmHWM after - before
peak_kb() {  # peak_kb DB SQL
    local out
    out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" \
          -c "SELECT pg_backend_pid()" -c "\\o /dev/null" -c "$2" -c "\\o" -c "SELECT pg_backend_pid()" 2>/dev/null | head -1)
    echo "$out"
}

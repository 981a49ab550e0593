#!/usr/bin/env bash
# Graph memory and first calls (issue 15, items 3 and 7): validate(),
# status() and heads() at N = 10,000 and 100,000 revisions (GRAPH_SIZES),
# each measured
#   - as a fresh connection's first call, whole psql process, interleaved
#     with `psql -c 'SELECT 1'` in the same round (PAIRS rounds, default 9):
#     median, range, and the median of the per-round differences;
#   - in the server: the backend's CPU time for the first call of a fresh
#     connection (/proc/self/schedstat: on-CPU time, which the machine's
#     load does not inflate as it does wall time), and warm: the 2nd to 6th
#     call of one connection, median;
#   - memory: bytes per revision of the graph (migrate.report_memory) and the
#     page faults (minflt of the backend, /proc/self/stat) of a warm call.
# Prints a table; asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SIZES=${GRAPH_SIZES:-10000 100000}
PAIRS=${PAIRS:-9}
tag=$$

wall_ms() {  # wall_ms DB SQL: a whole psql process, fresh connection
    local t0 t1
    t0=$(now_ms)
    psql -X -q -A -t -d "$1" -c "$2" >/dev/null
    t1=$(now_ms)
    awk -v a=$t0 -v b=$t1 'BEGIN {printf "%.2f\n", b - a}'
}
stats() {  # median min max of stdin
    local s
    s=$(cat)
    printf '%s %s %s' "$(printf '%s\n' "$s" | median)" \
        "$(printf '%s\n' "$s" | sort -n | head -1)" "$(printf '%s\n' "$s" | sort -n | tail -1)"
}
# on-CPU ms of a backend for a statement, its first call in a fresh backend
cpu="SELECT 'cpu ' || split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)"
cpu_ms() {  # cpu_ms DB SQL
    psql -X -q -A -t -d "$1" -c "$cpu" -c "$2" -c "$cpu" 2>/dev/null \
        | awk '/^cpu / {c[++n] = $2} END {printf "%.2f\n", (c[2] - c[1]) / 1e6}'
}
# minor page faults of a statement: its first call in a fresh backend, and
# its third (the backend has run it twice before)
minflt="SELECT 'minflt ' || split_part(pg_read_file('/proc/self/stat'), ' ', 10)"
faults() {  # faults DB SQL: "first warm"
    psql -X -q -A -t -d "$1" -c "$minflt" -c "$2" -c "$minflt" -c "$2" -c "$2" -c "$minflt" \
        -c "$2" -c "$minflt" 2>/dev/null \
        | awk '/^minflt / {f[++n] = $2} END {printf "%d %d", f[2] - f[1], f[4] - f[3]}'
}

echo "graph memory and first calls, fresh connections (issue 15)"
for n in $SIZES; do
    db=bench_gcold_${tag}_$n
    createdb $db
    q $db "CREATE EXTENSION migrate"
    # a chain with a branch and a merge every 300, as bench/graph.sh; applied
    q $db "SELECT count(*) FROM (
         SELECT migrate.add(
           revision      => 'r' || lpad(i::text, 6, '0'),
           upgrade       => 'SELECT 1',
           downgrade     => 'SELECT 1',
           message       => format('revision %s', i),
           down_revision => CASE
             WHEN i = 1 THEN NULL
             WHEN i % 300 = 2 AND i > 300 THEN ARRAY['r' || lpad((i - 1)::text, 6, '0'), 'b' || lpad((i - 2)::text, 6, '0')]
             ELSE ARRAY['r' || lpad((i - 1)::text, 6, '0')] END)
         FROM generate_series(1, $n) i
         UNION ALL
         SELECT migrate.add('b' || lpad(i::text, 6, '0'), 'SELECT 1', 'SELECT 1',
                            ARRAY['r' || lpad(i::text, 6, '0')])
         FROM generate_series(300, $n - 2, 300) i) s" >/dev/null
    q $db "INSERT INTO migrate.applied (revision, checksum)
           SELECT id, checksum FROM migrate.revision" >/dev/null
    q $db "VACUUM ANALYZE migrate.revision" >/dev/null
    q $db "VACUUM ANALYZE migrate.applied" >/dev/null
    total=$(q $db "SELECT count(*) FROM migrate.revision")
    echo
    echo "N = $total revisions (all applied); $PAIRS interleaved rounds"
    printf '  %-34s %22s %12s %12s %10s %9s\n' "call" "fresh psql ms (range)" "- SELECT 1" "1st CPU ms" "warm" "B/rev"
    calls=("count(*) FROM migrate.validate()" "* FROM migrate.status()" "count(*) FROM migrate.heads()")
    declare -A wall diff first
    wall[base]=""
    for c in "${calls[@]}"; do wall[$c]=""; diff[$c]=""; first[$c]=""; done
    for r in $(seq 1 $PAIRS); do
        b=$(wall_ms $db "SELECT 1")
        wall[base]+="$b"$'\n'
        for c in "${calls[@]}"; do
            w=$(wall_ms $db "SELECT $c")
            wall[$c]+="$w"$'\n'
            diff[$c]+="$(awk -v a=$w -v b=$b 'BEGIN {printf "%.2f", a - b}')"$'\n'
            first[$c]+="$(cpu_ms $db "SELECT $c")"$'\n'
        done
    done
    read -r m lo hi <<<"$(printf '%s' "${wall[base]}" | stats)"
    printf '  %-34s %8.1f (%5.1f-%5.1f) %12s\n' "SELECT 1" "$m" "$lo" "$hi" "baseline"
    for c in "${calls[@]}"; do
        read -r m lo hi <<<"$(printf '%s' "${wall[$c]}" | stats)"
        read -r dm dlo dhi <<<"$(printf '%s' "${diff[$c]}" | stats)"
        read -r fm flo fhi <<<"$(printf '%s' "${first[$c]}" | stats)"
        warm=$(server_ms $db 5 "SELECT $c")
        fn=${c#* FROM }
        kb=$(psql -X -q -A -t -d $db -c "SET migrate.report_memory = on" -c "SET client_min_messages = notice" \
               -c "SELECT $c" 2>&1 | grep -o 'graph [0-9]* kB' | head -1 | grep -o '[0-9]*' || true)
        printf '  %-34s %8.1f (%5.1f-%5.1f) %+12.1f %5.1f (%4.1f-%5.1f) %7.1f %9.0f\n' "SELECT $c" "$m" "$lo" "$hi" "$dm" \
            "$fm" "$flo" "$fhi" "$warm" "$(awk -v k=${kb:-0} -v n=$total 'BEGIN {print k * 1024 / n}')"
    done
    printf '  minor page faults (4 kB each), first call / warm call:'
    for c in "${calls[@]}"; do read -r f w <<<"$(faults $db "SELECT $c")"; printf '  %s %s / %s' "${c#* FROM migrate.}" "$f" "$w"; done
    echo
    unset wall diff first
    dropdb $db
done

#!/usr/bin/env bash
# Graph benchmark (issue: foundation): register 100,000 revisions (a long
# chain with a branch and a merge every 300) and measure validate(),
# heads() and history(): server-side time (median of 5) and memory.
set -euo pipefail
source "$(dirname "$0")/common.sh"
N=${GRAPH_REVISIONS:-100000}
db=bench_graph_$$
createdb $db
q $db "CREATE EXTENSION migrate"
t0=$(now_ms)
q $db "SELECT count(*) FROM (
         SELECT migrate.add(
           revision      => 'r' || lpad(i::text, 6, '0'),
           upgrade       => format('CREATE TABLE t%s (id int)', i),
           downgrade     => format('DROP TABLE t%s', i),
           down_revision => CASE
             WHEN i = 1 THEN NULL
             WHEN i % 300 = 2 AND i > 300 THEN ARRAY['r' || lpad((i - 1)::text, 6, '0'), 'b' || lpad((i - 2)::text, 6, '0')]
             ELSE ARRAY['r' || lpad((i - 1)::text, 6, '0')] END)
         FROM generate_series(1, $N) i
         UNION ALL
         SELECT migrate.add('b' || lpad(i::text, 6, '0'), 'SELECT 1', 'SELECT 1',
                            ARRAY['r' || lpad(i::text, 6, '0')])
         FROM generate_series(300, $N - 2, 300) i) s" >/dev/null
t1=$(now_ms)
total=$(q $db "SELECT count(*) FROM migrate.revision")
echo "graph: registered $total revisions in $(awk -v a=$t0 -v b=$t1 'BEGIN {printf "%.0f", b - a}') ms ($(awk -v a=$t0 -v b=$t1 -v n=$total 'BEGIN {printf "%.1f", (b - a) * 1000 / n}') us each)"
q $db "VACUUM ANALYZE migrate.revision" >/dev/null

base=$(server_ms $db 5 "SELECT count(*) FROM migrate.revision")
v=$(server_ms $db 5 "SELECT count(*) FROM migrate.validate()")
h=$(server_ms $db 5 "SELECT count(*) FROM migrate.heads()")
hi=$(server_ms $db 5 "SELECT count(*) FROM migrate.history()")
st=$(server_ms $db 5 "SELECT * FROM migrate.status()")
noop=$(server_ms $db 5 "SELECT count(*) FROM migrate.plan('r000001')")
printf 'graph: %d revisions, median of 5, server side\n' "$total"
printf '  %-34s %9.1f ms   (baseline)\n' "count(*) FROM migrate.revision" "$base"
printf '  %-34s %9.1f ms   %6.1fx baseline   goal < 100 ms\n' "validate()" "$v" "$(awk -v a=$v -v b=$base 'BEGIN {print a / b}')"
printf '  %-34s %9.1f ms   %6.1fx baseline\n' "heads()" "$h" "$(awk -v a=$h -v b=$base 'BEGIN {print a / b}')"
printf '  %-34s %9.1f ms   %6.1fx baseline\n' "history()" "$hi" "$(awk -v a=$hi -v b=$base 'BEGIN {print a / b}')"
printf '  %-34s %9.1f ms   %6.1fx baseline\n' "status()" "$st" "$(awk -v a=$st -v b=$base 'BEGIN {print a / b}')"
printf '  %-34s %9.1f ms   %6.1fx baseline\n' "plan() (graph load + resolve)" "$noop" "$(awk -v a=$noop -v b=$base 'BEGIN {print a / b}')"
# a fresh connection's first call (library load, cold caches): 7 fresh
# connections each, median and range
cold() {  # cold SQL
    local t=() i
    for i in 1 2 3 4 5 6 7; do t+=("$(server_ms $db 1 "$1")"); done
    printf '%s %s %s' "$(printf '%s\n' "${t[@]}" | median)" \
        "$(printf '%s\n' "${t[@]}" | sort -n | head -1)" "$(printf '%s\n' "${t[@]}" | sort -n | tail -1)"
}
echo "  first call of a fresh connection (median of 7, range):"
for f in "count(*) FROM migrate.validate()" "count(*) FROM migrate.heads()" "* FROM migrate.status()"; do
    read -r m lo hi <<<"$(cold "SELECT $f")"
    printf '    %-32s %9.1f ms   (%.1f-%.1f)   goal < 100 ms\n' "SELECT $f" "$m" "$lo" "$hi"
done
echo "  memory (migrate.report_memory):"
for f in "migrate.validate()" "migrate.heads()" "migrate.history()"; do
    psql -X -q -A -t -d $db -c "SET migrate.report_memory = on" -c "SELECT count(*) FROM $f" 2>&1 \
        | grep NOTICE | sed 's/^NOTICE:  /    /'
done
findings=$(q $db "SELECT string_agg(code || '=' || n, ' ') FROM (SELECT code, count(*) n FROM migrate.validate() GROUP BY code ORDER BY code) s")
echo "  validate() findings: $findings"
dropdb $db

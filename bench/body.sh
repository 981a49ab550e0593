#!/usr/bin/env bash
# Body-size benchmark (issue 13, item 4): one revision whose upgrade body
# has N statements (an INSERT each), applied by SELECT migrate.upgrade()
# and, as the baseline, the same body run by psql -1 -f on a fresh
# database; N = 10,000, 20,000, 40,000 (BODY_SIZES).  Time per statement
# must stay flat as N grows: the engine is linear in the size of a body.
# Wall clock, median of BODY_ROUNDS rounds (default 3); asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SIZES=${BODY_SIZES:-10000 20000 40000}
ROUNDS=${BODY_ROUNDS:-3}
work=$(mktemp -d)
tag=$$
echo "body: one revision of N statements, upgrade() against psql -1 -f, median of $ROUNDS rounds, wall clock"
printf '  %8s %12s %12s %8s %14s\n' "N" "psql -1 ms" "upgrade ms" "ratio" "upgrade us/stmt"
for n in $SIZES; do
    gen="SELECT string_agg(format('INSERT INTO t VALUES (%s, ''row %s'');', i, i), E'\\n' ORDER BY i) FROM generate_series(1, $n) i"
    q postgres "$gen" >"$work/body.sql"
    createdb tmpl_body_$tag
    q tmpl_body_$tag "CREATE EXTENSION migrate; CREATE TABLE t (id int, v text)"
    q tmpl_body_$tag "SELECT migrate.add('big', ($gen), 'TRUNCATE t')" >/dev/null
    ps=(); ms=()
    for r in $(seq 1 $ROUNDS); do
        createdb -T tmpl_body_$tag body_p_${tag}_$r
        createdb -T tmpl_body_$tag body_m_${tag}_$r
        t0=$(now_ms); psql -X -q -1 -v ON_ERROR_STOP=1 -d body_p_${tag}_$r -f "$work/body.sql" >/dev/null; t1=$(now_ms)
        ps+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')")
        t0=$(now_ms); psql -X -q -v ON_ERROR_STOP=1 -d body_m_${tag}_$r -c "SET client_min_messages = warning" -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null; t1=$(now_ms)
        ms+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')")
        check=$(q body_m_${tag}_$r "SELECT count(*) FROM t")
        [ "$check" = "$n" ] || { echo "upgrade inserted $check rows, not $n" >&2; exit 1; }
        dropdb body_p_${tag}_$r; dropdb body_m_${tag}_$r
    done
    pm=$(printf '%s\n' "${ps[@]}" | median)
    mm=$(printf '%s\n' "${ms[@]}" | median)
    printf '  %8d %12.1f %12.1f %7.2fx %14.1f\n' "$n" "$pm" "$mm" \
        "$(awk -v a=$mm -v b=$pm 'BEGIN {print a / b}')" "$(awk -v a=$mm -v n=$n 'BEGIN {print a * 1000 / n}')"
    dropdb tmpl_body_$tag
done
rm -rf "$work"

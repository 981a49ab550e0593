#!/usr/bin/env bash
# Long-chain benchmark (issue 13, item 5): plan('-N', 'down') on a chain of
# N applied revisions (written straight into the catalog), N = 20,000,
# 40,000, 80,000 (CHAIN_SIZES): reverting the whole chain step by step.
# Baseline: plan('base', 'down') on the same chain, the same plan computed
# without relative steps.  Time per revision must stay flat as N grows.
# Server side, median of 3; asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SIZES=${CHAIN_SIZES:-20000 40000 80000}
tag=$$
echo "long chain: plan('-N', 'down') on N applied revisions, median of 3, server side"
printf '  %8s %14s %14s %8s %12s\n' "N" "base ms" "-N ms" "ratio" "-N us/rev"
for n in $SIZES; do
    db=bench_chain_${tag}_$n
    createdb $db
    q $db "CREATE EXTENSION migrate"
    q $db "INSERT INTO migrate.revision (id, down_revision, checksum, content_hash, upgrade, downgrade)
           SELECT 'r' || lpad(i::text, 7, '0'),
                  CASE WHEN i > 1 THEN ARRAY['r' || lpad((i - 1)::text, 7, '0')] ELSE '{}' END,
                  'x', 0, 'SELECT 1', 'SELECT 1' FROM generate_series(1, $n) i;
           INSERT INTO migrate.applied (revision, checksum)
           SELECT 'r' || lpad(i::text, 7, '0'), 'x' FROM generate_series(1, $n) i" >/dev/null
    q $db "VACUUM ANALYZE migrate.revision" >/dev/null
    q $db "VACUUM ANALYZE migrate.applied" >/dev/null
    base=$(server_ms $db 3 "SELECT count(*) FROM migrate.plan('base', 'down')")
    rel=$(server_ms $db 3 "SELECT count(*) FROM migrate.plan('-$n', 'down')")
    printf '  %8d %14.1f %14.1f %7.2fx %12.2f\n' "$n" "$base" "$rel" \
        "$(awk -v a=$rel -v b=$base 'BEGIN {print a / b}')" "$(awk -v a=$rel -v n=$n 'BEGIN {print a * 1000 / n}')"
    dropdb $db
done

#!/usr/bin/env bash
# Lint benchmark (issue 16: safety analysis before running).
#  1. The cost of migrate.lint('head') over a pending plan of 1,000
#     revisions (a table, its index, and a column added to a big existing
#     table each), next to what an upgrade pays before it runs anything:
#     migrate.plan() (graph and plan) and migrate.sql() (plan, bodies, every
#     body parsed: the parse-before-run path).  Medians, server side.
#  2. lint compared with squawk (npm squawk-cli, installed into a temporary
#     directory if npm can reach its registry) over the corpus of
#     test/pgtap/lint_explain.sql: which findings each makes on each
#     statement, as a table, with counts of where they differ.
# Prints figures and ratios; asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${LINT_REVISIONS:-1000}
RUNS=${LINT_RUNS:-7}
work=$(mktemp -d)
tag=$$
trap 'rm -rf "$work"' EXIT

# --- 1. cost of lint next to the plan and parse-before-run ---------------
db=lint_bench_$tag
createdb $db
q $db "CREATE EXTENSION migrate"
q $db "CREATE TABLE big (id bigint PRIMARY KEY, x bigint, note text);
       INSERT INTO big SELECT g, g, 'n' FROM generate_series(1, 200000) g; ANALYZE big" >/dev/null
q $db "SELECT count(migrate.add(
    revision => 'v' || lpad(i::text, 5, '0'),
    upgrade => format('CREATE TABLE t_%s (id bigint, v text, created timestamptz DEFAULT now()); CREATE INDEX t_%s_v ON t_%s (v); ALTER TABLE big ADD COLUMN c_%s int DEFAULT 0;', i, i, i, i),
    downgrade => format('DROP TABLE t_%s; ALTER TABLE big DROP COLUMN c_%s', i, i),
    down_revision => CASE WHEN i > 1 THEN ARRAY['v' || lpad((i - 1)::text, 5, '0')] END))
  FROM generate_series(1, $N) i" >/dev/null
q $db "VACUUM ANALYZE" >/dev/null
plan_ms=$(server_ms $db $RUNS "SELECT count(*) FROM migrate.plan('head')")
sql_ms=$(server_ms $db $RUNS "SELECT length(migrate.sql('head'))")
lint_ms=$(server_ms $db $RUNS "SELECT count(*) FROM migrate.lint('head')")
rows=$(q $db "SELECT count(*) FROM migrate.lint('head')")
echo "lint: pending plan of $N revisions (3 statements each, one on a 200,000-row table), median of $RUNS, server side"
printf '  %-52s %9.1f ms\n' "migrate.plan('head')   graph and plan" "$plan_ms"
printf '  %-52s %9.1f ms   (baseline)\n' "migrate.sql('head')    + bodies, parse-before-run" "$sql_ms"
printf '  %-52s %9.1f ms   %.2fx baseline, %s rows\n' "migrate.lint('head')   + every statement analysed" "$lint_ms" \
       "$(awk -v a=$lint_ms -v b=$sql_ms 'BEGIN {print a / b}')" "$rows"
printf '  %-52s %9.3f ms\n' "  lint per statement" "$(awk -v a=$lint_ms -v n=$N 'BEGIN {print a / (3 * n)}')"
dropdb $db

# --- 2. lint and squawk over the same corpus ------------------------------
cdb=lint_corpus_$tag
createdb $cdb
if ! psql -X -q -d $cdb -c "CREATE EXTENSION pgtap" >/dev/null 2>&1; then
    echo "lint vs squawk: skipped (pgTAP is not installed: the corpus is test/pgtap/lint_explain.sql)"
    dropdb $cdb; exit 0
fi
psql -X -q -d $cdb -f "$ROOT/test/pgtap/lint_explain.sql" >/dev/null 2>&1 || true
squawk=""
if command -v squawk >/dev/null 2>&1; then
    squawk=$(command -v squawk)
elif command -v npm >/dev/null 2>&1 &&
     npm install --silent --no-audit --no-fund --prefix "$work/npm" squawk-cli >/dev/null 2>&1 &&
     [ -x "$work/npm/node_modules/.bin/squawk" ]; then
    squawk="$work/npm/node_modules/.bin/squawk"
fi
if [ -z "$squawk" ]; then
    echo "lint vs squawk: skipped (squawk-cli could not be installed from npm)"
    dropdb $cdb; exit 0
fi
mkdir -p "$work/corpus"
psql -X -q -A -t -d $cdb -c "SELECT n FROM corpus ORDER BY n" | while read -r n; do
    psql -X -q -A -t -d $cdb -c "SELECT stmt || ';' FROM corpus WHERE n = $n" >"$work/corpus/$n.sql"
done
# squawk per statement, as the revision runs it (in a transaction or not)
: >"$work/squawk.tsv"
psql -X -q -A -t -F $'\t' -d $cdb -c "SELECT n, transactional FROM corpus ORDER BY n" | while IFS=$'\t' read -r n tx; do
    args=(--pg-version=15.0 --reporter=json)
    [ "$tx" = t ] && args+=(--assume-in-transaction)
    # (squawk exits 1 when it finds something)
    { "$squawk" "${args[@]}" "$work/corpus/$n.sql" 2>/dev/null || true; } |
        python3 -c "
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    d = []
rules = sorted({v.get('rule_name') or v.get('rule') or '?' for v in (d if isinstance(d, list) else d.get('violations', []))})
print('$n\t' + ','.join(rules))" >>"$work/squawk.tsv"
done
psql -X -q -d $cdb -c "CREATE TABLE squawk (n int, rules text)" -c "\\copy squawk FROM '$work/squawk.tsv'" >/dev/null
echo
echo "lint vs squawk $("$squawk" --version 2>/dev/null | awk '{print $2}') over the $(q $cdb "SELECT count(*) FROM corpus") statements of test/pgtap/lint_explain.sql"
echo "(lint: its rule codes, (i) for info, the lock rows left out; squawk: its rules, less require-*-timeout and prefer-robust-stmts,"
echo " which fire on nearly every statement and do not apply to migrate: see docs/lint.md)"
psql -X -q -d $cdb -P pager=off -c "
WITH l AS (
    SELECT n, string_agg(DISTINCT code || CASE WHEN severity = 'info' THEN '(i)' ELSE '' END, ',')
                  FILTER (WHERE code <> 'lock') AS codes
      FROM linted GROUP BY n),
s AS (
    SELECT n, nullif(array_to_string(ARRAY(
             SELECT r FROM unnest(string_to_array(rules, ',')) r
              WHERE r !~ '^(require-(lock|statement)-timeout|require-timeout-settings|prefer-robust-stmts)$' ORDER BY r), ','), '') AS rules
      FROM squawk)
SELECT c.n, left(c.stmt, 58) AS statement, coalesce(l.codes, '-') AS \"migrate lint\", coalesce(s.rules, '-') AS squawk,
       CASE WHEN l.codes IS NULL AND s.rules IS NULL THEN ''
            WHEN l.codes IS NULL THEN 'squawk only'
            WHEN s.rules IS NULL THEN 'lint only'
            ELSE 'both' END AS who
  FROM corpus c LEFT JOIN l USING (n) LEFT JOIN s USING (n) ORDER BY c.n"
psql -X -q -d $cdb -P pager=off -c "
WITH l AS (SELECT n, bool_or(code <> 'lock') AS flagged FROM linted GROUP BY n),
s AS (SELECT n, coalesce(rules ~ '(^|,)(?!require-(lock|statement)-timeout|require-timeout-settings|prefer-robust-stmts)[a-z-]+', false) AS flagged FROM squawk)
SELECT count(*) FILTER (WHERE coalesce(l.flagged, false) AND s.flagged) AS both,
       count(*) FILTER (WHERE coalesce(l.flagged, false) AND NOT s.flagged) AS lint_only,
       count(*) FILTER (WHERE NOT coalesce(l.flagged, false) AND s.flagged) AS squawk_only,
       count(*) FILTER (WHERE NOT coalesce(l.flagged, false) AND NOT s.flagged) AS neither
  FROM corpus c LEFT JOIN l USING (n) JOIN s USING (n)"
dropdb $cdb

#!/usr/bin/env bash
# Apply benchmark (issue: apply engine).
#  1. 1,000 revisions of CREATE TABLE + CREATE INDEX applied by
#     SELECT migrate.upgrade('head') against the same SQL run by psql -1 -f,
#     each on a fresh database created from a template before timing (old
#     ones dropped after timing), rounds interleaved: wall clock and the
#     backend's CPU time, each round's ratio to psql of the same round
#     (median and range), with and without the progress NOTICEs.
#  2. A no-op upgrade('head') with 10,000 revisions applied.
#  3. Memory of a 10,000-revision upgrade.
# APPLY_REVISIONS, APPLY_ROUNDS, APPLY_ONLY=1 (skip 2 and 3).
set -euo pipefail
source "$(dirname "$0")/common.sh"
N=${APPLY_REVISIONS:-1000}
ROUNDS=${APPLY_ROUNDS:-5}
work=$(mktemp -d)
tag=$$

# the same bodies for both
q postgres "SELECT string_agg(format('CREATE TABLE t_%s (id bigint, v text, created timestamptz DEFAULT now()); CREATE INDEX t_%s_v ON t_%s (v);', i, i, i), E'\n' ORDER BY i) FROM generate_series(1, $N) i" >"$work/plain.sql"

createdb tmpl_plain_$tag
createdb tmpl_migrate_$tag
q tmpl_migrate_$tag "CREATE EXTENSION migrate"
q tmpl_migrate_$tag "SELECT count(migrate.add(
    revision => 'v' || lpad(i::text, 5, '0'),
    upgrade => format('CREATE TABLE t_%s (id bigint, v text, created timestamptz DEFAULT now()); CREATE INDEX t_%s_v ON t_%s (v);', i, i, i),
    downgrade => format('DROP TABLE t_%s', i),
    down_revision => CASE WHEN i > 1 THEN ARRAY['v' || lpad((i - 1)::text, 5, '0')] END))
  FROM generate_series(1, $N) i" >/dev/null

for r in $(seq 1 $ROUNDS); do
    createdb -T tmpl_plain_$tag plain_${tag}_$r
    createdb -T tmpl_migrate_$tag mig_${tag}_$r
    createdb -T tmpl_migrate_$tag note_${tag}_$r
done
psql_times=(); mig_times=(); note_times=()
psql_cpu=(); mig_cpu=(); note_cpu=()
# the backend's CPU time (user + system, ms) from its /proc/self/stat: less
# sensitive than wall clock to what else runs on the machine
CPU="SELECT ((s[14])::bigint + (s[15])::bigint) * 10 FROM (SELECT string_to_array(pg_read_file('/proc/self/stat'), ' ') s) x"
cpu_of() { grep -E '^[0-9]+$' | sed -n '1p;$p' | tr '\n' ' ' | awk '{print $NF - $1}'; }
for r in $(seq 1 $ROUNDS); do
    # rotate which goes first
    case $((r % 3)) in
        0) order="psql migrate notice" ;;
        1) order="migrate notice psql" ;;
        *) order="notice psql migrate" ;;
    esac
    for which in $order; do
        if [ $which = psql ]; then
            t0=$(now_ms); out=$(psql -X -q -A -t -1 -v ON_ERROR_STOP=1 -d plain_${tag}_$r -c "$CPU" -f "$work/plain.sql" -c "$CPU"); t1=$(now_ms)
            psql_times+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')"); psql_cpu+=("$(echo "$out" | cpu_of)")
        elif [ $which = migrate ]; then
            t0=$(now_ms); out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d mig_${tag}_$r -c "SET client_min_messages = warning" -c "$CPU" -c "SELECT count(*) FROM migrate.upgrade('head')" -c "$CPU"); t1=$(now_ms)
            mig_times+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')"); mig_cpu+=("$(echo "$out" | cpu_of)")
        else
            # the progress NOTICE of every revision sent to the client, as a person sees it
            t0=$(now_ms); out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d note_${tag}_$r -c "$CPU" -c "SELECT count(*) FROM migrate.upgrade('head')" -c "$CPU" 2>/dev/null); t1=$(now_ms)
            note_times+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')"); note_cpu+=("$(echo "$out" | cpu_of)")
        fi
    done
done
# per-round ratios (the rounds are interleaved, so a round's load is shared
# by its contestants): median (lowest-highest)
ratios() { paste <(printf '%s\n' $1) <(printf '%s\n' $2) | awk '{print $1 / $2}' | sort -n |
           awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3fx (%.3f-%.3f)", m, a[1], a[NR]}'; }
spread() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%7.1f (%.0f-%.0f)", m, a[1], a[NR]}'; }
echo "apply: $N revisions of CREATE TABLE + CREATE INDEX, $ROUNDS interleaved rounds, fresh databases"
echo "  median (lowest-highest) of the rounds; ratios per round against psql -1 -f of the same round"
printf '  %-34s | %-24s | %-26s | %-22s | %s\n' "" "wall ms" "wall vs psql" "backend CPU ms" "CPU vs psql"
printf '  %-34s | %-24s | %-26s | %-22s | %s\n' "psql -1 -f (same SQL)" "$(spread "${psql_times[@]}")" "baseline" "$(spread "${psql_cpu[@]}")" "baseline"
printf '  %-34s | %-24s | %-26s | %-22s | %s\n' "upgrade('head'), NOTICEs hidden" "$(spread "${mig_times[@]}")" "$(ratios "${mig_times[*]}" "${psql_times[*]}")" \
    "$(spread "${mig_cpu[@]}")" "$(ratios "${mig_cpu[*]}" "${psql_cpu[*]}")   goal <= 1.00x"
printf '  %-34s | %-24s | %-26s | %-22s | %s\n' "upgrade('head'), NOTICEs to client" "$(spread "${note_times[@]}")" "$(ratios "${note_times[*]}" "${psql_times[*]}")" \
    "$(spread "${note_cpu[@]}")" "$(ratios "${note_cpu[*]}" "${psql_cpu[*]}")"
echo "  the NOTICE per revision, with NOTICEs against hidden: wall $(ratios "${note_times[*]}" "${mig_times[*]}"), backend CPU $(ratios "${note_cpu[*]}" "${mig_cpu[*]}")"
echo "  rounds psql:    ${psql_times[*]}"
echo "  rounds migrate: ${mig_times[*]}"
echo "  rounds notices: ${note_times[*]}"
applied=$(q mig_${tag}_1 "SELECT count(*) FROM migrate.applied")
echo "  check: $applied revisions applied in round 1"

# re-registering 1,000 unchanged revisions (what a deploy does every time)
rereg=$(server_ms mig_${tag}_1 3 "SELECT count(migrate.add(revision => r.id, upgrade => r.upgrade, downgrade => r.downgrade, down_revision => r.down_revision)) FROM migrate.revision r")
printf '  %-40s %9.1f ms\n' "re-add $N unchanged revisions" "$rereg"

# APPLY_ONLY=1: the apply rounds alone (N = 5,000)
if [ -z "${APPLY_ONLY:-}" ]; then
# no-op and memory with 10,000 applied
M=${NOOP_REVISIONS:-10000}
createdb noop_$tag
q noop_$tag "CREATE EXTENSION migrate"
q noop_$tag "SELECT count(migrate.add('w' || lpad(i::text, 6, '0'), 'SELECT 1', 'SELECT 1',
    CASE WHEN i > 1 THEN ARRAY['w' || lpad((i - 1)::text, 6, '0')] END)) FROM generate_series(1, $M) i" >/dev/null
mem=$(psql -X -q -A -t -d noop_$tag -c "SET migrate.report_memory = on" -c "SET client_min_messages = notice" \
      -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1 | grep -E "NOTICE:  upgrade:" | sed 's/NOTICE:  //')
echo "  memory of a $M-revision upgrade: $mem"
q noop_$tag "VACUUM ANALYZE" >/dev/null
noop=$(server_ms noop_$tag 21 "SELECT count(*) FROM migrate.upgrade('head')")
long=$(server_ms noop_$tag 21 "SELECT count(*) FROM migrate.plan('head')")
base=$(server_ms noop_$tag 21 "SELECT count(*) FROM migrate.applied")
printf '  %-40s %9.2f ms   (baseline: count(*) of migrate.applied %.2f ms)\n' "no-op upgrade('head'), $M applied" "$noop" "$base"
printf '  %-40s %9.2f ms   (plan(head) loads the graph: what the shortcut saves)\n' "  the long way" "$long"

# whole processes, fresh connections: psql -c 'SELECT 1' against psql -c
# "upgrade('head')", interleaved, 21 pairs; the difference of medians
one=(); up=()
for i in $(seq 1 21); do
    t0=$(now_ms); psql -X -q -A -t -d noop_$tag -c "SELECT 1" >/dev/null; t1=$(now_ms)
    one+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')")
    t0=$(now_ms); psql -X -q -A -t -d noop_$tag -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null; t1=$(now_ms)
    up+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')")
done
om=$(printf '%s\n' "${one[@]}" | median); um=$(printf '%s\n' "${up[@]}" | median)
omin=$(printf '%s\n' "${one[@]}" | sort -n | head -1); omax=$(printf '%s\n' "${one[@]}" | sort -n | tail -1)
umin=$(printf '%s\n' "${up[@]}" | sort -n | head -1); umax=$(printf '%s\n' "${up[@]}" | sort -n | tail -1)
printf '  %-40s %9.2f ms   (%s-%s)\n' "psql -c 'SELECT 1' (fresh connection)" "$om" "$omin" "$omax"
printf '  %-40s %9.2f ms   (%s-%s)   +%.2f ms   goal: +5 ms\n' "psql -c \"upgrade('head')\", $M applied" "$um" "$umin" "$umax" \
    "$(awk -v a=$um -v b=$om 'BEGIN {print a - b}')"
fi

# drop after timing
for r in $(seq 1 $ROUNDS); do dropdb plain_${tag}_$r; dropdb mig_${tag}_$r; dropdb note_${tag}_$r; done
dropdb tmpl_plain_$tag; dropdb tmpl_migrate_$tag; dropdb --if-exists noop_$tag
rm -rf "$work"

#!/usr/bin/env bash
# pg_migrate against SQL (issue 15, item 6): with 1,000 revision files, all
# registered and applied (a deploy where nothing changed),
#   1. pg_migrate upgrade   against   psql -c "SELECT migrate.upgrade()"
#      (goal: within 1.1x);
#   2. pg_migrate sync      (goal: under 0.3 s),
# each a whole process with a fresh connection, the contestants
# interleaved in every round (the order rotated), median and range of
# ROUNDS; ratios against psql measured in the same run: the ratio of the
# medians, and the median and quartiles of the ratio in each round (a
# round's pg_migrate against the same round's psql, run side by side, so
# a burst of load on the machine moves both).  psql is the binary of
# pg_config --bindir (Debian's /usr/bin/psql is a Perl wrapper that adds
# 15 ms).  Also the read-only status and check, for scale.  With
# PG_MIGRATE_BEFORE=/path/to/another/pg_migrate, that build's upgrade runs
# in every round too (a change measured against what it replaces, under
# the same load).  Asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${CLIENT_FILES:-1000}
ROUNDS=${CLIENT_ROUNDS:-21}
PGM=${PG_MIGRATE:-}
if [ -z "$PGM" ]; then
    PGM="$(pg_config --bindir 2>/dev/null)/pg_migrate"
    [ -x "$PGM" ] || PGM="$ROOT/client/pg_migrate"
fi
PSQL="$(pg_config --bindir 2>/dev/null)/psql"
[ -x "$PSQL" ] || PSQL=psql
work=$(mktemp -d)
db=bench_client_$$
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT

python3 - "$work/m" "$N" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
prev = None
for i in range(1, n + 1):
    rid = 'k%05d' % i
    with open(os.path.join(d, rid + '_table.sql'), 'w') as f:
        f.write('-- migrate:revision %s\n' % rid)
        if prev:
            f.write('-- migrate:down_revision %s\n' % prev)
        f.write('-- migrate:message table %d\n-- migrate:upgrade\n'
                'CREATE TABLE t_%d (id int PRIMARY KEY, v text);\n'
                'CREATE INDEX t_%d_v ON t_%d (v);\n'
                '-- migrate:downgrade\nDROP TABLE t_%d;\n' % (i, i, i, i, i))
    prev = rid
EOF
createdb "$db"
q "$db" "CREATE EXTENSION migrate"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
"$PGM" -q -D "$work/m" -d "$db" upgrade >/dev/null
q "$db" "VACUUM ANALYZE" >/dev/null
applied=$(q "$db" "SELECT count(*) FROM migrate.applied")

declare -A times
declare -A last
run() {   # run NAME CMD...: one timed process
    local t0 t1
    t0=$(now_ms); "${@:2}" >/dev/null 2>&1; t1=$(now_ms)
    last[$1]=$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')
    times[$1]="${times[$1]:-} ${last[$1]}"
}
ratios_upgrade=""
ratios_sync=""
names=(psql upgrade sync status check)
BEFORE=${PG_MIGRATE_BEFORE:-}
[ -n "$BEFORE" ] && names+=(before)
ratios_before=""
for r in $(seq 1 "$ROUNDS"); do
    # rotate which goes first
    k=$((r % ${#names[@]}))
    for j in $(seq 0 $((${#names[@]} - 1))); do
        which=${names[$(( (j + k) % ${#names[@]} ))]}
        case $which in
            psql) run psql "$PSQL" -X -q -A -t -d "$db" -c "SELECT migrate.upgrade()" ;;
            upgrade) run upgrade "$PGM" -q -D "$work/m" -d "$db" upgrade ;;
            sync) run sync "$PGM" -q -D "$work/m" -d "$db" sync ;;
            status) run status "$PGM" -q -D "$work/m" -d "$db" status ;;
            check) run check "$PGM" -q -D "$work/m" -d "$db" check ;;
            before) run before "$BEFORE" -q -D "$work/m" -d "$db" upgrade ;;
        esac
    done
    ratios_upgrade="$ratios_upgrade $(awk -v a="${last[upgrade]}" -v b="${last[psql]}" 'BEGIN {print a / b}')"
    ratios_sync="$ratios_sync $(awk -v a="${last[sync]}" -v b="${last[psql]}" 'BEGIN {print a / b}')"
    [ -n "$BEFORE" ] && ratios_before="$ratios_before $(awk -v a="${last[before]}" -v b="${last[psql]}" 'BEGIN {print a / b}')"
done
quartiles() {  # quartiles VALUES...: "q1 median q3" (nearest rank)
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
        q1 = a[int((NR + 3) / 4)]; q3 = a[int((3 * NR + 3) / 4)];
        m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
        printf "%.2f %.2f %.2f %.2f %.2f\n", q1, m, q3, a[1], a[NR]}'
}
stat() {  # stat NAME: "median min max"
    local m lo hi
    m=$(printf '%s\n' ${times[$1]} | median)
    lo=$(printf '%s\n' ${times[$1]} | sort -n | head -1)
    hi=$(printf '%s\n' ${times[$1]} | sort -n | tail -1)
    echo "$m $lo $hi"
}
read -r pm plo phi <<<"$(stat psql)"
echo "client: $N revision files, all registered and $applied applied; whole processes, fresh connections,"
echo "        interleaved, median (range) of $ROUNDS rounds"
printf '  %-42s %8.1f ms (%s-%s)   (baseline)\n' "psql -c \"SELECT migrate.upgrade()\"" "$pm" "$plo" "$phi"
read -r um ulo uhi <<<"$(stat upgrade)"
printf '  %-42s %8.1f ms (%s-%s)   %.2fx baseline   goal <= 1.10x\n' "pg_migrate upgrade" "$um" "$ulo" "$uhi" \
    "$(awk -v a="$um" -v b="$pm" 'BEGIN {print a / b}')"
read -r q1 qm q3 qlo qhi <<<"$(quartiles $ratios_upgrade)"
printf '  %-42s %.2fx median of the rounds'"'"' ratios, quartiles %.2f-%.2f, range %.2f-%.2f\n' "  per round, upgrade / psql" "$qm" "$q1" "$q3" "$qlo" "$qhi"
if [ -n "$BEFORE" ]; then
    read -r bm blo bhi <<<"$(stat before)"
    printf '  %-42s %8.1f ms (%s-%s)   %.2fx baseline\n' "before: $(basename "$(dirname "$BEFORE")")/$(basename "$BEFORE") upgrade" "$bm" "$blo" "$bhi" \
        "$(awk -v a="$bm" -v b="$pm" 'BEGIN {print a / b}')"
    read -r q1 qm q3 qlo qhi <<<"$(quartiles $ratios_before)"
    printf '  %-42s %.2fx median of the rounds'"'"' ratios, quartiles %.2f-%.2f, range %.2f-%.2f\n' "  per round, before / psql" "$qm" "$q1" "$q3" "$qlo" "$qhi"
fi
read -r sm slo shi <<<"$(stat sync)"
printf '  %-42s %8.1f ms (%s-%s)   goal < 300 ms\n' "pg_migrate sync" "$sm" "$slo" "$shi"
read -r q1 qm q3 qlo qhi <<<"$(quartiles $ratios_sync)"
printf '  %-42s %.2fx median of the rounds'"'"' ratios, quartiles %.2f-%.2f, range %.2f-%.2f\n' "  per round, sync / psql" "$qm" "$q1" "$q3" "$qlo" "$qhi"
read -r tm tlo thi <<<"$(stat status)"
printf '  %-42s %8.1f ms (%s-%s)   %.2fx baseline\n' "pg_migrate status (reads, compares in memory)" "$tm" "$tlo" "$thi" \
    "$(awk -v a="$tm" -v b="$pm" 'BEGIN {print a / b}')"
read -r cm clo chi <<<"$(stat check)"
printf '  %-42s %8.1f ms (%s-%s)   %.2fx baseline\n' "pg_migrate check" "$cm" "$clo" "$chi" \
    "$(awk -v a="$cm" -v b="$pm" 'BEGIN {print a / b}')"
# where the client's time goes without a server: reading, parsing, hashing
t0=$(now_ms)
for i in 1 2 3 4 5; do "$PGM" -q -D "$work/m" check --offline >/dev/null; done
t1=$(now_ms)
printf '  %-42s %8.1f ms   (per run, the files alone)\n' "pg_migrate check --offline" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 5}')"

#!/usr/bin/env bash
# Drift benchmark (issue 17): what the DDL ledger costs a DDL-heavy workload.
#  1. 1,000 revisions of CREATE TABLE + CREATE INDEX applied by
#     SELECT migrate.upgrade('head') with migrate.track_ddl on against off
#     (the fingerprint recorded after the run is paid in both).
#  2. 10,000 CREATE TABLE run by psql -f outside migrations (one
#     transaction each), tracking on against off, and against a database
#     without the extension.
#  3. migrate.fingerprint() of a schema with 10,000 tables and their
#     indexes, as the first call of a fresh connection (library load and
#     cold catalog caches included), and warm.
# Every timed round uses a fresh database made from a template before the
# timing and dropped after it; the order of on/off alternates per round.
# Prints medians, ratios and every round; asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
N=${DRIFT_REVISIONS:-1000}
T=${DRIFT_TABLES:-10000}
ROUNDS=${DRIFT_ROUNDS:-5}
PARTS=${DRIFT_PARTS:-"1 2 3"}   # which of the three to run
part() { case " $PARTS " in *" $1 "*) return 0;; esac; return 1; }
work=$(mktemp -d)
tag=$$
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
spread() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {printf "%.1f-%.1f", a[1], a[NR]}'; }

createdb tmpl_drift_$tag
q tmpl_drift_$tag "CREATE EXTENSION migrate"
# ---------------------------------------------------------------- 1. apply
if part 1; then
q tmpl_drift_$tag "SELECT count(migrate.add(
    revision => 'v' || lpad(i::text, 5, '0'),
    upgrade => format('CREATE TABLE t_%s (id bigint, v text, created timestamptz DEFAULT now()); CREATE INDEX t_%s_v ON t_%s (v);', i, i, i),
    downgrade => format('DROP TABLE t_%s', i),
    down_revision => CASE WHEN i > 1 THEN ARRAY['v' || lpad((i - 1)::text, 5, '0')] END))
  FROM generate_series(1, $N) i" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    createdb -T tmpl_drift_$tag on_${tag}_$r
    createdb -T tmpl_drift_$tag off_${tag}_$r
done
on_t=(); off_t=()
for r in $(seq 1 "$ROUNDS"); do
    for which in $( [ $((r % 2)) -eq 0 ] && echo "on off" || echo "off on"); do
        t0=$(now_ms)
        psql -X -q -v ON_ERROR_STOP=1 -d ${which}_${tag}_$r -c "SET client_min_messages = warning" \
             -c "SET migrate.track_ddl = $which" -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
        t1=$(now_ms)
        if [ "$which" = on ]; then on_t+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')")
        else off_t+=("$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')"); fi
    done
done
rows=$(q on_${tag}_1 "SELECT count(*) FROM migrate.ddl_log")
rows_off=$(q off_${tag}_1 "SELECT count(*) FROM migrate.ddl_log")
fp_rec=$(q on_${tag}_1 "SELECT count(fingerprint) FROM migrate.run_log")
on_m=$(printf '%s\n' "${on_t[@]}" | median); off_m=$(printf '%s\n' "${off_t[@]}" | median)
echo "drift: the DDL ledger's cost, median of $ROUNDS rounds, wall clock"
printf '  %-52s %9.1f ms   (baseline)   spread %s\n' "upgrade('head'), $N revisions, track_ddl off" "$off_m" "$(spread "${off_t[@]}")"
printf '  %-52s %9.1f ms   %sx          spread %s   goal < 1.05x\n' "upgrade('head'), $N revisions, track_ddl on" "$on_m" "$(ratio "$on_m" "$off_m")" "$(spread "${on_t[@]}")"
echo "    check: $rows ledger rows with tracking on, $rows_off off; $fp_rec fingerprint recorded"
for r in $(seq 1 "$ROUNDS"); do dropdb on_${tag}_$r; dropdb off_${tag}_$r; done
fi

# ------------------------------------------------------ 2. psql CREATE TABLE
if part 2; then
q postgres "SELECT string_agg(format('CREATE TABLE c_%s (id bigint PRIMARY KEY, v text);', i), E'\n' ORDER BY i) FROM generate_series(1, $T) i" >"$work/create.sql"
# last, the backend's own CPU time (user + system, in clock ticks, from
# /proc/self/stat): what the ledger costs the server, steadier than the wall
# clock on a machine shared with other work
echo "SELECT f[12]::bigint + f[13]::bigint FROM (SELECT pg_catalog.string_to_array(pg_catalog.split_part(pg_catalog.pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f) s;" >>"$work/create.sql"
tick_ms=$(awk -v t="$(getconf CLK_TCK)" 'BEGIN {print 1000 / t}')
createdb tmpl_plain_$tag
R2=${DRIFT_CREATE_ROUNDS:-5}
for r in $(seq 1 "$R2"); do
    createdb -T tmpl_drift_$tag con_${tag}_$r
    createdb -T tmpl_drift_$tag coff_${tag}_$r
    createdb -T tmpl_plain_$tag cnone_${tag}_$r
done
# each round runs the three back to back (order alternating): the ratio
# is taken within a round, where the machine's load is the most alike
con=(); coff=(); cnone=(); r_on=(); r_none=(); c_on=(); c_off=(); c_none=(); rc_on=(); rc_none=()
for r in $(seq 1 "$R2"); do
    order="con coff cnone"; [ $((r % 2)) -eq 0 ] && order="cnone coff con"
    for which in $order; do
        opts=""; [ "$which" = coff ] && opts="-c migrate.track_ddl=off"
        t0=$(now_ms)
        ticks=$(PGOPTIONS="$opts" psql -X -q -A -t -v ON_ERROR_STOP=1 -d ${which}_${tag}_$r -f "$work/create.sql" | tail -1)
        t1=$(now_ms)
        d=$(awk -v a=$t0 -v b=$t1 'BEGIN {print b - a}')
        cpu=$(awk -v n="$ticks" -v m="$tick_ms" 'BEGIN {print n * m}')
        case $which in
            con) d_on=$d; con+=("$d"); u_on=$cpu; c_on+=("$cpu");;
            coff) d_off=$d; coff+=("$d"); u_off=$cpu; c_off+=("$cpu");;
            cnone) d_none=$d; cnone+=("$d"); u_none=$cpu; c_none+=("$cpu");;
        esac
    done
    r_on+=("$(ratio "$d_on" "$d_off")"); r_none+=("$(ratio "$d_none" "$d_off")")
    rc_on+=("$(ratio "$u_on" "$u_off")"); rc_none+=("$(ratio "$u_none" "$u_off")")
done
crows=$(q con_${tag}_1 "SELECT count(*) FROM migrate.ddl_log")
m_on=$(printf '%s\n' "${con[@]}" | median); m_off=$(printf '%s\n' "${coff[@]}" | median); m_none=$(printf '%s\n' "${cnone[@]}" | median)
rspread() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {printf "%.3f-%.3f", a[1], a[NR]}'; }
echo "  $T CREATE TABLE (id bigint PRIMARY KEY, v text) by psql -f, one transaction each, $R2 rounds, wall clock"
printf '  %-52s %9.1f ms   (baseline)   spread %s\n' "track_ddl off" "$m_off" "$(spread "${coff[@]}")"
printf '  %-52s %9.1f ms   spread %s\n' "track_ddl on" "$m_on" "$(spread "${con[@]}")"
printf '  %-52s %9.1f ms   spread %s\n' "no extension in the database" "$m_none" "$(spread "${cnone[@]}")"
printf '  %-52s %9sx   rounds %s   goal < 1.05x\n' "on/off, median of the rounds' ratios" "$(printf '%s\n' "${r_on[@]}" | median)" "$(rspread "${r_on[@]}")"
printf '  %-52s %9sx   rounds %s\n' "no extension/off, median of the rounds' ratios" "$(printf '%s\n' "${r_none[@]}" | median)" "$(rspread "${r_none[@]}")"
echo "  the same, the backend's CPU time (user + system)"
printf '  %-52s %9.1f ms   (baseline)   spread %s\n' "track_ddl off" "$(printf '%s\n' "${c_off[@]}" | median)" "$(spread "${c_off[@]}")"
printf '  %-52s %9.1f ms   spread %s\n' "track_ddl on" "$(printf '%s\n' "${c_on[@]}" | median)" "$(spread "${c_on[@]}")"
printf '  %-52s %9.1f ms   spread %s\n' "no extension in the database" "$(printf '%s\n' "${c_none[@]}" | median)" "$(spread "${c_none[@]}")"
printf '  %-52s %9sx   rounds %s   goal < 1.05x\n' "on/off, median of the rounds' ratios" "$(printf '%s\n' "${rc_on[@]}" | median)" "$(rspread "${rc_on[@]}")"
printf '  %-52s %9sx   rounds %s\n' "no extension/off, median of the rounds' ratios" "$(printf '%s\n' "${rc_none[@]}" | median)" "$(rspread "${rc_none[@]}")"
echo "    check: $crows ledger rows (a table and its primary key index each)"
# dropped after the figures are out (10,000 tables each: slow on a busy disk)
for r in $(seq 1 "$R2"); do dropdb con_${tag}_$r; dropdb coff_${tag}_$r; dropdb cnone_${tag}_$r; done
dropdb tmpl_plain_$tag
fi

# ----------------------------------------------------------- 3. fingerprint
if part 3; then
createdb fp_$tag
q fp_$tag "CREATE EXTENSION migrate"
# one transaction per table: 10,000 tables in one would need more locks
# than max_locks_per_transaction allows
q postgres "SELECT string_agg(format('CREATE TABLE f_%s (id bigint PRIMARY KEY, v text NOT NULL DEFAULT ''x'', created timestamptz DEFAULT now()); CREATE INDEX f_%s_v ON f_%s (v);', i, i, i), E'\n' ORDER BY i) FROM generate_series(1, $T) i" >"$work/fp.sql"
PGOPTIONS="-c migrate.track_ddl=off" psql -X -q -v ON_ERROR_STOP=1 -d fp_$tag -f "$work/fp.sql" >/dev/null
q fp_$tag "VACUUM ANALYZE" >/dev/null
first=()
for r in $(seq 1 "$ROUNDS"); do
    ms=$(psql -X -q -A -t -d fp_$tag -c "\\timing on" -c "SELECT length(migrate.fingerprint())" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    first+=("$ms")
done
warm=$(server_ms fp_$tag 5 "SELECT migrate.fingerprint()")
printf '  %-52s %9.1f ms   spread %s   goal < 200 ms\n' "fingerprint(), $T tables + $((2 * T)) indexes, first call" "$(printf '%s\n' "${first[@]}" | median)" "$(spread "${first[@]}")"
printf '  %-52s %9.1f ms\n' "  same, warm (median of 5 in one session)" "$warm"
dropdb fp_$tag
fi

dropdb tmpl_drift_$tag
rm -rf "$work"

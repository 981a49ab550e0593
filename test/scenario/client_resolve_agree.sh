#!/usr/bin/env bash
# The client's own target resolver (client/resolve.c: "pg_migrate show",
# "history -r", "sql --offline") and the server's (src/target.c,
# src/range.c) answer alike: a list of targets goes through
# "pg_migrate show TARGET" and SELECT migrate.resolve(TARGET), and a list
# of ranges through "pg_migrate history -r A:B" and migrate.history('A:B'),
# on graphs with branches, labels, a merge and depends_on, in several
# applied states.  Each pair must name the same revisions, or both refuse
# (with the same message: the client's resolver is a port of the server's).
#
# Known, intended differences are not in the target list: "-N",
# "<label>@-N" and "<label>@base" are downgrade targets, which
# migrate.resolve() refuses (it reads targets as upgrade() does) while
# "show" names the state they leave (as migrate.history(':-1') does: they
# are in the range lists); "current" is the applied state for the client
# (and in a range on the server), not a target of migrate.resolve().
#
# The binary: $PG_MIGRATE, else the installed one, else client/pg_migrate.
# Databases are named ${PGM_PREFIX}resolve_* (default "pgm_").
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"

P=${PGM_PREFIX:-pgm_}
if [ -z "${PG_MIGRATE:-}" ]; then
    PG_MIGRATE="$(pg_config --bindir 2>/dev/null)/pg_migrate"
    [ -x "$PG_MIGRATE" ] || PG_MIGRATE="$ROOT/client/pg_migrate"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PGM_NO_COLOR=1

# mk DIR ID PARENTS(comma) [LABELS] [DEPENDS]
mk() {
    local d=$1 id=$2 par=$3 lab=${4:-} dep=${5:-}
    mkdir -p "$d"
    {
        echo "-- migrate:revision $id"
        [ -n "$par" ] && echo "-- migrate:down_revision $par"
        echo "-- migrate:message msg $id"
        [ -n "$lab" ] && echo "-- migrate:branch_labels $lab"
        [ -n "$dep" ] && echo "-- migrate:depends_on $dep"
        echo "-- migrate:upgrade"
        echo "SELECT 1;"
        echo "-- migrate:downgrade"
        echo "SELECT 2;"
    } >"$d/${id}_rev.sql"
}

# ids of a --json document's "revisions" or "history" array, sorted, or
# ERR: <first error message>
json_ids() {  # json_ids KEY FILE RC ERRFILE
    if [ "$3" -ne 0 ]; then
        echo "ERR: $(sed -n 's/^pg_migrate: error: //p' "$4" | head -1)"
        return
    fi
    python3 -c '
import json, sys
d = json.load(open(sys.argv[2]))
print(",".join(sorted(r["revision"] for r in d.get(sys.argv[1]) or [])))' "$1" "$2"
}

server() {  # server DB SQL-returning-one-text: the value or ERR: message
    local out
    if out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>"$WORK/srv.err"); then
        echo "$out"
    else
        echo "ERR: $(sed -n 's/^ERROR:  //p' "$WORK/srv.err" | head -1)"
    fi
}

# same TAG CLIENT SERVER: both name the same ids, or both refuse with the
# same message.  Two wordings differ on purpose: the client, whose
# revisions are the files and the registered ones, says a missing revision
# "is not registered and no file declares it"; and "show" refuses a target
# that names no revision (base), where migrate.resolve() returns no row.
same() {
    local c=${2/ and no file declares it/}
    [ "$c" = 'ERR: target "base" names no revision' ] && c=''
    is "$c" "$3" "$1"
}

targets_agree() {  # targets_agree DB DIR STATE TARGET...
    local db=$1 dir=$2 state=$3 t c s rc
    shift 3
    for t in "$@"; do
        "$PG_MIGRATE" -q --json -d "$db" -D "$dir" show "$t" >"$WORK/c.json" 2>"$WORK/c.err"
        rc=$?
        c=$(json_ids revisions "$WORK/c.json" $rc "$WORK/c.err")
        s=$(server "$db" "SELECT coalesce(string_agg(x, ',' ORDER BY x), '') FROM migrate.resolve(\$t\$$t\$t\$) x")
        same "[$state] show '$t' = migrate.resolve('$t')" "$c" "$s"
    done
}

ranges_agree() {  # ranges_agree DB DIR STATE RANGE...
    local db=$1 dir=$2 state=$3 r c s rc
    shift 3
    for r in "$@"; do
        "$PG_MIGRATE" -q --json -d "$db" -D "$dir" history -r "$r" >"$WORK/c.json" 2>"$WORK/c.err"
        rc=$?
        c=$(json_ids history "$WORK/c.json" $rc "$WORK/c.err")
        s=$(server "$db" "SELECT coalesce(string_agg(revision, ',' ORDER BY revision), '') FROM migrate.history(\$r\$$r\$r\$)")
        same "[$state] history -r '$r' = migrate.history('$r')" "$c" "$s"
    done
}

apply_to() { q "$1" "SELECT count(*) FROM migrate.upgrade('$2')" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------
# G1: trunk r1..r4, a branch at r2: f1 (label feat), f2, f3
G1=$WORK/g1
mk "$G1" r1 ""; mk "$G1" r2 r1; mk "$G1" r3 r2; mk "$G1" r4 r3
mk "$G1" f1 r2 feat; mk "$G1" f2 f1; mk "$G1" f3 f2
DB1=${P}resolve_g1
fresh_db "$DB1"
"$PG_MIGRATE" -q -d "$DB1" -D "$G1" sync >/dev/null 2>&1

T1=(base heads head feat feat@heads feat@head f2@head r3@head r1@head
    feat@f2 feat@r4 feat@r1 feat@r3 feat@f1+1 feat@r2+1 feat@r1+1 feat@head-1
    feat@head-2 feat@heads-1 feat@head-9 feat@f3-1 f1@head-1 r2@head
    head-1 heads-1 head-0 head+1 heads+1 feat@head+1 base+1 base+2 base+3 base+0 base+x base+ base-1
    r1+1 r1+2 r3-1 r3-5 r2+1 f+1 r4+1 +1 +2 +0 +x - + "" r "r*" 'f1;' feat@
    @head feat@@head nosuch nosuch@head feat@nosuch feat@+0 feat@+x
    r1:r2 r1:r2:r3)
targets_agree "$DB1" "$G1" "g1 nothing applied" "${T1[@]}"
apply_to "$DB1" r3
targets_agree "$DB1" "$G1" "g1 at r3" +1 +2 +3 feat@+1 feat@+2 r3-1 feat@r3 base+2
apply_to "$DB1" f2
targets_agree "$DB1" "$G1" "g1 at r3,f2" +1 feat@+1 feat@+2 r3@head feat@head-1

R1=(r1:r4 f1:r4 r4:r1 r2:feat@head :r3 r3: : r1:r1 current: :current
    current:r4 -1: feat@-1: :feat@base feat@base: head-1: r2:heads base:r2
    r1:r2:r3 r1:nosuch r2:+1)
ranges_agree "$DB1" "$G1" "g1 at r3,f2" "${R1[@]}"

# Scripts: "sql --offline A:B" (no database) plans the steps that
# migrate.sql('A:B') plans, B moving from state A (the ends here do not
# depend on what this database has applied), or both refuse alike
# the steps ("1/2 r3"), or the error, of a script
steps() { sed -nE 's/^-- ([0-9]+\/[0-9]+ [^:]+):.*/\1/p; s/^(pg_migrate: error: |ERROR:  )(.*)/ERR: \2/p' | tr '\n' ' '; }
for r in r1:r4 r2:feat@head base:feat@+1 r2:+1 r2:+2 feat@f1:+1 :feat@head-1 r1:heads base:r1@head; do
    c=$("$PG_MIGRATE" -q -D "$G1" -h /nonexistent sql --offline "$r" 2>&1 | steps)
    s=$(q "$DB1" "SELECT migrate.sql(\$r\$$r\$r\$)" 2>&1 | steps)
    is "$c" "$s" "sql --offline '$r' plans what migrate.sql('$r') plans"
done
for r in r4:r2 r4:-1 r4:-2 f3:feat@base f3:feat@-1 heads:r2 r4:base; do
    c=$("$PG_MIGRATE" -q -D "$G1" -h /nonexistent sql --offline --down "$r" 2>&1 | steps)
    s=$(q "$DB1" "SELECT migrate.sql(\$r\$$r\$r\$, 'down')" 2>&1 | steps)
    is "$c" "$s" "sql --offline --down '$r' plans what migrate.sql('$r', 'down') plans"
done

# A range that runs backwards: history says so (exit 0, the empty list is
# true); sql writes no empty script (exit 1); --down the other way round too
out=$("$PG_MIGRATE" -q -d "$DB1" -D "$G1" history -r r4:r1 2>&1); rc=$?
is "$rc" 0 "history -r r4:r1 exits 0"
like "$out" 'warning: range "r4:r1" runs backwards: r1 is below r4' "history -r r4:r1 warns that B is below A"
out=$("$PG_MIGRATE" -q -D "$G1" -h /nonexistent sql --offline r4:r1 2>&1); rc=$?
is "$rc" 1 "sql --offline r4:r1 exits 1"
like "$out" 'error: range "r4:r1" runs backwards: r1 is below r4.*no script was written' "sql --offline r4:r1 says the range runs backwards"
like "$out" 'add --down' "sql --offline r4:r1 names --down"
out=$("$PG_MIGRATE" -q -D "$G1" -h /nonexistent sql --offline --down r1:r4 2>&1); rc=$?
is "$rc" 1 "sql --offline --down r1:r4 exits 1"
like "$out" 'runs upwards: r4 is above r1' "sql --offline --down r1:r4 says the range runs upwards"
out=$("$PG_MIGRATE" -q -D "$G1" -h /nonexistent sql --offline --down r4:r1 2>&1); rc=$?
is "$rc" 0 "sql --offline --down r4:r1 writes the downgrade script"
out=$("$PG_MIGRATE" help history 2>&1)
ok_if "$(grep -c 'only the revisions above A' <<<"$out") == 0" "help history no longer says A is left out"
like "$out" 'A is listed when state B holds' "help history says when A is listed"
dropdb --if-exists "$DB1" >/dev/null 2>&1

# ---------------------------------------------------------------------------
# G2: a merge with a label above it, and a depends_on chain
#   m0 -> p1, p2 -> mg (merge) -> L1 (lab) -> L2
#   x1 (xl) -> x2;  y1 (yl) -> y2 -> y3 (depends on x2)
G2=$WORK/g2
mk "$G2" m0 ""; mk "$G2" p1 m0; mk "$G2" p2 m0; mk "$G2" mg p1,p2
mk "$G2" L1 mg lab; mk "$G2" L2 L1
mk "$G2" x1 "" xl; mk "$G2" x2 x1; mk "$G2" y1 "" yl; mk "$G2" y2 y1
mk "$G2" y3 y2 "" x2
DB2=${P}resolve_g2
fresh_db "$DB2"
"$PG_MIGRATE" -q -d "$DB2" -D "$G2" sync >/dev/null 2>&1

T2=(heads head lab lab@head lab@heads mg@head m0@head m0@heads p1@head
    lab@p1 lab@m0+1 lab@mg-1 mg-1 p1+1 m0+1 x1@head xl@head yl@head yl@y2+1
    base+1 +1 lab@+1 xl@+1 yl@+2 head-1 y3-1 y3-2 xl@x2-1 lab@L2-2)
targets_agree "$DB2" "$G2" "g2 nothing applied" "${T2[@]}"
apply_to "$DB2" p1; apply_to "$DB2" p2
targets_agree "$DB2" "$G2" "g2 at p1,p2" +1 lab@+1 lab@+2 mg@head
apply_to "$DB2" y3
targets_agree "$DB2" "$G2" "g2 at p1,p2,y3" +1 yl@+1 xl@+1 lab@+1
R2=(:y3 y2:y3 x2:y3 y3: -1: yl@-1: xl@-1: current: :lab@base p1:mg
    mg:L2 :mg lab@base: p2:heads)
ranges_agree "$DB2" "$G2" "g2 at p1,p2,y3" "${R2[@]}"
apply_to "$DB2" L2
ranges_agree "$DB2" "$G2" "g2 at L2,y3" -1: -2: lab@-1: lab@-3: lab@base: current:L2 x1:y3
dropdb --if-exists "$DB2" >/dev/null 2>&1

# ---------------------------------------------------------------------------
# Offline (no database: nothing is applied) the client gives what the
# server gives in a database where nothing is applied
DB3=${P}resolve_g1off
fresh_db "$DB3"
"$PG_MIGRATE" -q -d "$DB3" -D "$G1" sync >/dev/null 2>&1
for t in feat@heads-1 feat@r2+1 feat@r3 base+0 head-0 feat@ @head feat@@head base+x +2 feat@+1 base+3; do
    "$PG_MIGRATE" -q --json -D "$G1" -h /nonexistent show --offline "$t" >"$WORK/c.json" 2>"$WORK/c.err"
    rc=$?
    c=$(json_ids revisions "$WORK/c.json" $rc "$WORK/c.err")
    s=$(server "$DB3" "SELECT coalesce(string_agg(x, ',' ORDER BY x), '') FROM migrate.resolve(\$t\$$t\$t\$) x")
    same "[offline] show --offline '$t' = migrate.resolve('$t') with nothing applied" "$c" "$s"
done
dropdb --if-exists "$DB3" >/dev/null 2>&1

done_testing

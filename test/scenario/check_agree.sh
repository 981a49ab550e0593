#!/usr/bin/env bash
# "pg_migrate check --offline" and "pg_migrate check" (online: the findings
# of migrate.validate()) hold the same chain to the same rules: both run
# common/chain.c.  Side by side on the same files, they must print the same
# findings (codes, severities, revisions, files, messages) and exit with the
# same status, --strict included:
#   - a labelled two-head chain (two branches, each with its own branch
#     label): several heads are info on both sides, so --strict passes
#     (offline check used to call them a warning and fail);
#   - an unlabelled two-head chain: a warning on both sides;
#   - a chain that breaks every chain rule at once: missing parent and
#     dependency, a file named for another id, a label on two revisions,
#     cycles (through parents, and through depends_on), several bases, no
#     downgrade.
#
# The binary: $PG_MIGRATE, else the installed one, else client/pg_migrate.
# Databases are named ${PGM_PREFIX}agree_* (default "pgm_").
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

# revfile DIR FILE ID PARENTS [extra header lines] [downgrade]
revfile() {
    local dir=$1 file=$2 id=$3 parents=$4 extra=${5-} down=${6-DROP TABLE IF EXISTS t_$3;}
    {
        echo "-- migrate:revision $id"
        [ -n "$parents" ] && echo "-- migrate:down_revision $parents"
        echo "-- migrate:message revision $id"
        [ -n "$extra" ] && printf '%b\n' "$extra"
        echo "-- migrate:upgrade"
        echo "CREATE TABLE t_$id (id int);"
        if [ -n "$down" ]; then echo "-- migrate:downgrade"; echo "$down"; fi
    } >"$dir/$file"
}

# check_both NAME DIR ARGS...: run check --offline and check (online, on a
# fresh database) with ARGS; sets OFF/ON (the finding lines), RC_OFF/RC_ON,
# JSON_OFF/JSON_ON (the findings of --json, one per line)
check_both() {
    local name=$1 dir=$2 db=${P}agree_$1
    shift 2
    fresh_db "$db"
    "$PG_MIGRATE" -D "$dir" check --offline "$@" >"$WORK/off" 2>"$WORK/off.err"
    RC_OFF=$?
    "$PG_MIGRATE" -D "$dir" -d "$db" check "$@" >"$WORK/on" 2>"$WORK/on.err"
    RC_ON=$?
    OFF=$(grep -v '^check: ' "$WORK/off")
    ON=$(grep -v '^check: ' "$WORK/on")
    JSON_OFF=$("$PG_MIGRATE" -D "$dir" check --offline --json "$@" 2>/dev/null | findings_json)
    JSON_ON=$("$PG_MIGRATE" -D "$dir" -d "$db" check --json "$@" 2>/dev/null | findings_json)
    dropdb --if-exists "$db" >/dev/null 2>&1
}
findings_json() {
    python3 -c 'import json, sys
for f in json.load(sys.stdin)["findings"]:
    print(f["severity"], f["code"], f["revision"], f["file"], f["line"], f["message"])'
}

# ---------------------------------------------------------------- two labelled branches
mkdir -p "$WORK/lab"
revfile "$WORK/lab" a1_base.sql a1 ""
revfile "$WORK/lab" b1_billing.sql b1 a1 "-- migrate:branch_labels billing"
revfile "$WORK/lab" c1_auth.sql c1 a1 "-- migrate:branch_labels auth"
check_both lab "$WORK/lab" --strict -v
is "$RC_OFF" "0" "two labelled branches: check --offline --strict passes (exit 0)"
is "$RC_ON" "0" "two labelled branches: check --strict (migrate.validate()) passes (exit 0)"
is "$OFF" "$ON" "two labelled branches: offline and online print the same findings"
is "$OFF" "info: 2 heads: b1, c1 [multiple_heads]" "several heads, each on a branch of its own label: info on both sides"
is "$JSON_OFF" "$JSON_ON" "two labelled branches: the same findings in --json"
like "$(cat "$WORK/off")" "check: no problems \(3 revisions, files only\)" "offline: no problems"
like "$(cat "$WORK/on")" "check: no problems \(3 revisions\)" "online: no problems"

# ---------------------------------------------------------------- two unlabelled branches
mkdir -p "$WORK/unl"
revfile "$WORK/unl" a1_base.sql a1 ""
revfile "$WORK/unl" b1_left.sql b1 a1
revfile "$WORK/unl" c1_right.sql c1 a1
check_both unl "$WORK/unl" --strict
is "$RC_OFF" "1" "two unlabelled branches: check --offline --strict fails (exit 1)"
is "$RC_ON" "1" "two unlabelled branches: check --strict fails (exit 1)"
is "$OFF" "$ON" "two unlabelled branches: the same findings"
is "$OFF" "warning: 2 heads: b1, c1 [multiple_heads]" "several unlabelled heads: a warning on both sides"
is "$JSON_OFF" "$JSON_ON" "two unlabelled branches: the same findings in --json"

# ---------------------------------------------------------------- every chain rule at once
mkdir -p "$WORK/bad"
revfile "$WORK/bad" a1_base.sql a1 ""
revfile "$WORK/bad" a2_other_base.sql a2 "" "-- migrate:branch_labels shared"
revfile "$WORK/bad" b1_child.sql b1 "a1, nosuch" "-- migrate:depends_on gone\n-- migrate:branch_labels shared"
revfile "$WORK/bad" c9_misnamed.sql c1 a1 "" ""
revfile "$WORK/bad" x1_loop.sql x1 x2
revfile "$WORK/bad" x2_loop.sql x2 x1
revfile "$WORK/bad" y1_loop.sql y1 y3
revfile "$WORK/bad" y2_loop.sql y2 y1
revfile "$WORK/bad" y3_loop.sql y3 "" "-- migrate:depends_on y2"
check_both bad "$WORK/bad" -v
is "$RC_OFF" "1" "a broken chain: check --offline fails (exit 1)"
is "$RC_ON" "1" "a broken chain: check fails (exit 1)"
is "$OFF" "$ON" "a broken chain: offline and online print the same findings"
is "$JSON_OFF" "$JSON_ON" "a broken chain: the same findings in --json"
codes=$(printf '%s\n' "$OFF" | grep -oE '\[[a-z_]+\]$' | sort -u | tr -d '[]' | tr '\n' ' ')
is "$codes" "cycle duplicate_label irreversible missing_dependency missing_parent multiple_bases multiple_heads source_mismatch " \
   "every chain rule is among them"
like "$OFF" "c9_misnamed.sql: error: source 'c9_misnamed.sql' is named for another revision than \"c1\" \[source_mismatch\]" \
     "the server's wording, with the file"
is "$(printf '%s\n' "$OFF" | grep -c '\[cycle\]$')" "2" "both cycles, the one through depends_on too"

done_testing

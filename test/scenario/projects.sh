#!/usr/bin/env bash
# Three services share one database through pg_migrate, each in a directory
# of its own with its own project (pg_migrate init --project): each upgrades
# with a plain "pg_migrate upgrade" (also the day another service arrives);
# downgrade base and sync --prune in one leave the others; a dependency on
# another project's revision; two projects upgrading at the same time do
# not wait for each other, the same project still serializes; the lock a
# project takes in pg_locks; pg_migrate projects; where the project comes
# from (--project, PG_MIGRATE_PROJECT, the settings file); fleets per
# project; the offline script of a project.
#
# The binary: $PG_MIGRATE, else the installed one, else the build tree's.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
unset PG_MIGRATE_PROJECT PG_MIGRATE_DIR

source "$HERE/pgm.bash"   # $PG_MIGRATE and json; pgm is redefined below
# pgm DIR ARGS...: run the client in a service's directory (its migrations
# are ./migrations there); stdout in $OUT, stderr in $ERR, status in $RC
pgm() {
    local dir=$1
    shift
    (cd "$dir" && "$PG_MIGRATE" "$@") >"$WORK/out" 2>"$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}
# revfile SERVICE ID PARENT UPGRADE DOWNGRADE [extra header line]
revfile() {
    local svc=$1 id=$2 parent=$3 up=$4 down=$5 extra=${6-}
    {
        echo "-- migrate:revision $id"
        [ -n "$parent" ] && echo "-- migrate:down_revision $parent"
        echo "-- migrate:message $svc $id"
        [ -n "$extra" ] && echo "$extra"
        echo "-- migrate:upgrade"
        echo "$up"
        echo "-- migrate:downgrade"
        echo "$down"
    } >"$WORK/$svc/migrations/${id}_rev.sql"
}
ms() { date +%s%3N; }

db=scn_projects
fresh_db $db
D=(-d "$db")

# ---------------------------------------------------------------- init --project
for svc in habits meals billing; do
    mkdir -p "$WORK/$svc"
    pgm "$WORK/$svc" init --project "$svc"
    is "$RC" "0" "$svc: init --project $svc"
done
like "$OUT" "wrote migrations/pg_migrate.conf \(project billing\)" "init says it wrote the settings file"
like "$(cat "$WORK/billing/migrations/pg_migrate.conf")" "project = billing" "the settings file names the project"
pgm "$WORK/billing" init --project billing
is "$RC" "0" "init --project again with the same project"
like "$OUT" "kept migrations/pg_migrate.conf" "keeps the file"
pgm "$WORK/billing" init --project meals
is "$RC" "2" "init --project with another project than the file's exits 2"
like "$ERR" "names project \"billing\", not \"meals\"" "and says which"

# every service has ids 0001 .. 0003, in a schema of its own
for svc in habits meals billing; do
    revfile $svc 0001 "" "CREATE SCHEMA $svc;" "DROP SCHEMA $svc;"
    revfile $svc 0002 0001 "CREATE TABLE $svc.item (id int);" "DROP TABLE $svc.item;"
done

# ---------------------------------------------------------------- day 1: one service
pgm "$WORK/habits" "${D[@]}" upgrade
is "$RC" "0" "habits: plain upgrade on day 1"
like "$OUT" "2 revisions applied" "applies habits' two revisions"

# other services arrive, with the same ids
pgm "$WORK/meals" "${D[@]}" upgrade
is "$RC" "0" "meals: plain upgrade, the same ids in another project"
pgm "$WORK/billing" "${D[@]}" upgrade
is "$RC" "0" "billing: plain upgrade"
is "$(q $db "SELECT string_agg(project || ':' || revision, ',' ORDER BY project, revision) FROM migrate.applied")" \
   "billing:0001,billing:0002,habits:0001,habits:0002,meals:0001,meals:0002" "each project's revisions applied once, in its project"

# the deploy of day 1 keeps working: habits' next revision, a plain upgrade
revfile habits 0003 0002 "ALTER TABLE habits.item ADD COLUMN name text;" "ALTER TABLE habits.item DROP COLUMN name;"
pgm "$WORK/habits" "${D[@]}" upgrade
is "$RC" "0" "habits: plain upgrade again with three projects registered"
like "$OUT" "1 revision applied" "one revision, no 'head is ambiguous'"
pgm "$WORK/habits" "${D[@]}" heads
is "$OUT" "0003 (head) (current), habits 0003" "heads: habits' head only"
pgm "$WORK/meals" "${D[@]}" current
like "$OUT" "^0002 \(head\)" "current in meals: meals' revision"
pgm "$WORK/habits" "${D[@]}" status --json
is "$(json "d['project'], d['heads'], d['pending']")" "habits ['0003'] 0" "status --json names the project, its heads"
pgm "$WORK/habits" "${D[@]}" status
like "$OUT" "project: +habits" "status names the project"
pgm "$WORK/meals" "${D[@]}" history
is "$(printf '%s\n' "$OUT" | wc -l)" "2" "history in meals: its two revisions"
pgm "$WORK/meals" "${D[@]}" check
is "$RC" "0" "check in meals: sound"

# ---------------------------------------------------------------- projects
pgm "$WORK/meals" "${D[@]}" projects
is "$RC" "0" "pg_migrate projects"
is "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" "3" "one line per project"
like "$OUT" "\* meals +0002 +0002 +0 +2 +0 +succeeded" "meals is marked as this directory's, with its state"
like "$OUT" "  habits +0003 +0003 +0 +3 " "habits' state"
pgm "$WORK/meals" "${D[@]}" projects --json
is "$(json "[(p['project'], p['this_directory'], p['current'], p['pending']) for p in d['projects']]")" \
   "[('billing', False, ['0002'], 0), ('habits', False, ['0003'], 0), ('meals', True, ['0002'], 0)]" "projects --json"

# ---------------------------------------------------------------- downgrade base in one
pgm "$WORK/meals" "${D[@]}" downgrade base
is "$RC" "0" "meals: downgrade base"
is "$(q $db "SELECT to_regclass('meals.item') IS NULL AND to_regnamespace('meals') IS NULL")" "t" "meals' schema is gone"
is "$(q $db "SELECT to_regclass('habits.item') IS NOT NULL AND to_regclass('billing.item') IS NOT NULL")" "t" "habits' and billing's tables stay"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current('habits') c")" "0003" "habits stays at 0003"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current('billing') c")" "0002" "billing stays at 0002"
pgm "$WORK/billing" "${D[@]}" stamp base
is "$RC" "0" "billing: stamp base"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE project = 'billing'")|$(q $db "SELECT count(*) FROM migrate.applied WHERE project = 'habits'")" \
   "0|3" "clears billing's applied rows only"
pgm "$WORK/billing" "${D[@]}" stamp head
pgm "$WORK/meals" "${D[@]}" upgrade
is "$RC" "0" "meals upgrades again"

# ---------------------------------------------------------------- sync --prune in one
revfile habits 0004 0003 "SELECT 1;" "SELECT 1;"
pgm "$WORK/habits" "${D[@]}" sync
is "$RC" "0" "habits: sync registers 0004 (pending)"
revfile billing 0003 0002 "SELECT 3;" "SELECT 3;"
pgm "$WORK/billing" "${D[@]}" sync
rm "$WORK/billing/migrations/0003_rev.sql"
pgm "$WORK/billing" "${D[@]}" sync
like "$ERR" "missing +0003" "billing: sync reports its own missing file"
ok "$(printf '%s' "$ERR" | grep -q "0004"; echo $((1 - $?)))" "and not habits' pending 0004"
pgm "$WORK/billing" "${D[@]}" sync --prune
is "$RC" "0" "billing: sync --prune"
is "$(q $db "SELECT count(*) FROM migrate.revision WHERE project = 'billing' AND id = '0003'")|$(q $db "SELECT count(*) FROM migrate.revision WHERE project = 'habits' AND id = '0004'")" \
   "0|1" "prune removed billing's 0003, not habits' pending 0004"
pgm "$WORK/habits" "${D[@]}" upgrade
is "$RC" "0" "habits applies its 0004"

# ---------------------------------------------------------------- where the project comes from
pgm "$WORK/habits" "${D[@]}" current --json
is "$(json "d['project']")" "habits" "the settings file"
(cd "$WORK/habits" && PG_MIGRATE_PROJECT=meals "$PG_MIGRATE" "${D[@]}" current --json) >"$WORK/out" 2>"$WORK/err"
OUT=$(cat "$WORK/out")
is "$(json "d['project'], [c['revision'] for c in d['current']]")" "meals ['0002']" "PG_MIGRATE_PROJECT wins over the settings file"
(cd "$WORK/habits" && PG_MIGRATE_PROJECT=meals "$PG_MIGRATE" --project billing "${D[@]}" current --json) >"$WORK/out" 2>"$WORK/err"
OUT=$(cat "$WORK/out")
is "$(json "d['project']")" "billing" "--project wins over both"
mkdir -p "$WORK/plain"
pgm "$WORK/plain" "${D[@]}" --no-sync current --json
is "$(json "d['project']")" "default" "no setting: the project default"
pgm "$WORK/plain" "${D[@]}" --project 'bad name' current
is "$RC" "2" "an invalid --project exits 2"
like "$ERR" "invalid project \"bad name\" \(from --project\)" "saying where it came from"
mkdir -p "$WORK/broken/migrations"
printf 'project = ok\nprojct = x\n' >"$WORK/broken/migrations/pg_migrate.conf"
pgm "$WORK/broken" "${D[@]}" current
is "$RC" "2" "an unknown setting exits 2"
like "$ERR" "pg_migrate.conf:2: error: unknown setting \"projct\"" "with file and line"
printf 'project = head\n' >"$WORK/broken/migrations/pg_migrate.conf"
pgm "$WORK/broken" "${D[@]}" current
is "$RC" "2" "a reserved word as project exits 2"

# ---------------------------------------------------------------- a dependency on another project
revfile meals 0003 0002 "ALTER TABLE meals.item ADD COLUMN invoice int;" "ALTER TABLE meals.item DROP COLUMN invoice;" \
    "-- migrate:depends_on billing:0005"
pgm "$WORK/meals" "${D[@]}" check --offline
ok "$(printf '%s' "$OUT$ERR" | grep -q missing_dependency; echo $((1 - $?)))" "check --offline leaves another project's revision to the server"
pgm "$WORK/meals" "${D[@]}" upgrade
is "$RC" "1" "meals: upgrade with an unregistered dependency of billing fails"
like "$ERR" "depends on \"billing:0005\": project \"billing\" has no revision \"0005\"" "validate says which (missing_dependency)"
revfile billing 0005 0002 "CREATE TABLE billing.invoice (id int);" "DROP TABLE billing.invoice;"
pgm "$WORK/billing" "${D[@]}" sync
pgm "$WORK/meals" "${D[@]}" upgrade
is "$RC" "1" "registered but not applied: upgrade still fails"
like "$ERR" "depends on revision \"0005\" of project \"billing\", which is not applied.*55000" "with 55000, naming it"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE project = 'meals' AND revision = '0003'")" "0" "nothing of meals ran"
pgm "$WORK/billing" "${D[@]}" upgrade
pgm "$WORK/meals" "${D[@]}" upgrade
is "$RC" "0" "after billing's upgrade, meals' upgrade goes through"
pgm "$WORK/billing" "${D[@]}" downgrade base
is "$RC" "1" "billing: downgrade base refuses while meals depends on its 0005"
like "$ERR" "needed by revision \"0003\" of project \"meals\"" "naming meals' revision"
is "$(q $db "SELECT to_regclass('billing.invoice') IS NOT NULL")" "t" "billing kept everything"

# ---------------------------------------------------------------- two projects at the same time
revfile habits 0005 0004 "SELECT pg_sleep(3);" "SELECT 1;"
revfile billing 0006 0005 "CREATE TABLE billing.fast (id int);" "DROP TABLE billing.fast;"
pgm "$WORK/billing" "${D[@]}" sync
t0=$(ms)
(cd "$WORK/habits" && "$PG_MIGRATE" "${D[@]}" -q upgrade >"$WORK/slow.out" 2>&1; echo "$?" >"$WORK/slow.rc"; ms >"$WORK/slow.end") &
slow=$!
for _ in $(seq 1 100); do
    [ "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'migrate: applying%0005%'")" = "1" ] && break
    sleep 0.05
done
is "$(q $db "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1835624306 AND objsubid = 2
                AND objid = (hashtext('habits')::bigint & 4294967295)::oid AND granted")" "1" \
   "pg_locks: habits' upgrade holds (1835624306, hashtext('habits'))"
pgm "$WORK/billing" "${D[@]}" upgrade
fast_end=$(ms)
is "$RC" "0" "billing upgrades while habits' revision sleeps"
ok_if "$fast_end - t0 < 2500" "billing did not wait for habits (finished after $((fast_end - t0)) ms)"
ok "$([ ! -e "$WORK/slow.end" ]; echo $?)" "billing finished before habits"
wait $slow
is "$(cat "$WORK/slow.rc")" "0" "habits' slow upgrade succeeds"
ok_if "$(cat "$WORK/slow.end") - t0 >= 2900" "habits took its three seconds ($(($(cat "$WORK/slow.end") - t0)) ms)"

# ---------------------------------------------------------------- the same project serializes
revfile habits 0006 0005 "SELECT pg_sleep(2); INSERT INTO habits.item VALUES (6);" "DELETE FROM habits.item WHERE id = 6;"
t0=$(ms)
(cd "$WORK/habits" && "$PG_MIGRATE" "${D[@]}" -q upgrade >"$WORK/r1.out" 2>&1; echo "$?" >"$WORK/r1.rc"; ms >"$WORK/r1.end") &
r1=$!
for _ in $(seq 1 100); do
    [ "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'migrate: applying%0006%'")" = "1" ] && break
    sleep 0.05
done
pgm "$WORK/habits" "${D[@]}" upgrade
r2_end=$(ms)
wait $r1
is "$(cat "$WORK/r1.rc")|$RC" "0|0" "two replicas of habits upgrade at once: both succeed"
# r1's 0006 sleeps 2 s from about t0; the second cannot finish before it
# unless it did not wait (comparing the two end stamps races: r1's shell
# writes its stamp after pg_migrate exits, r2 may be quicker)
ok_if "$r2_end - t0 >= 1900" "the second waited for the first (finished after $((r2_end - t0)) ms)"
like "$OUT" "nothing (left )?to upgrade" "and found nothing left to do"
is "$(q $db "SELECT count(*) FROM habits.item WHERE id = 6")" "1" "habits' 0006 ran once"

# ---------------------------------------------------------------- the offline script of a project
revfile habits 0007 0006 "CREATE TABLE habits.offline (id int);" "DROP TABLE habits.offline;"
# upgrade --sql writes nothing (issue 14): 0007 is not registered, so the
# script is built from the files and registers 0007 itself, in habits
pgm "$WORK/habits" "${D[@]}" upgrade --sql -o "$WORK/habits.sql"
is "$RC" "0" "habits: upgrade --sql"
is "$(q $db "SELECT count(*) FROM migrate.revision WHERE project = 'habits' AND id = '0007'")" "0" "upgrade --sql registered nothing"
like "$(cat "$WORK/habits.sql")" "pg_advisory_xact_lock\(1835624306, $(q $db "SELECT hashtext('habits')")\)" "the script takes habits' lock"
like "$(cat "$WORK/habits.sql")" "migrate\.add_file\(.*, 'habits'\) AS registered" "it registers 0007 in habits"
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$WORK/habits.sql" >/dev/null 2>&1
is "$?" "0" "psql runs it"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current('habits') c")|$(q $db "SELECT string_agg(c, ',') FROM migrate.current('billing') c")" \
   "0007|0006" "it moved habits to 0007 and left billing"

# ---------------------------------------------------------------- non-transactional revision, per project
revfile billing 0007 0006 "CREATE INDEX CONCURRENTLY fast_idx ON billing.fast (id);" "DROP INDEX CONCURRENTLY billing.fast_idx;" \
    "-- migrate:transactional false"
pgm "$WORK/billing" "${D[@]}" upgrade
is "$RC" "0" "billing: a CREATE INDEX CONCURRENTLY revision (CALL migrate.run with the project)"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE project = 'billing' AND revision = '0007'")" "1" "applied in billing"
is "$(q $db "SELECT project FROM migrate.run ORDER BY id DESC LIMIT 1")" "billing" "its run is billing's"

# ---------------------------------------------------------------- fleets, per project
for f in 1 2; do
    fresh_db scn_projects_fleet_$f
    # (meals' 0003 needs billing, which these databases do not have)
    pgm "$WORK/meals" -d scn_projects_fleet_$f upgrade 0002 --skip-validation
done
pgm "$WORK/habits" upgrade --each-db 'scn_projects_fleet_*' -j 2
is "$RC" "0" "habits: upgrade --each-db over two databases"
like "$ERR" "upgrade of project habits on 2 databases" "the fleet names the project"
is "$(q scn_projects_fleet_1 "SELECT string_agg(project || ':' || revision, ',' ORDER BY project, revision) FROM migrate.applied")" \
   "habits:0001,habits:0002,habits:0003,habits:0004,habits:0005,habits:0006,habits:0007,meals:0001,meals:0002" \
   "each database got habits' revisions, and meals' stayed as they were"
pgm "$WORK/meals" status --each-db 'scn_projects_fleet_*' --json
is "$(json "[r['result']['project'] for r in d['results']]")" "['meals', 'meals']" "a fleet's children act on the directory's project"

done_testing

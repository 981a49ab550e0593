#!/usr/bin/env bash
# pg_migrate sql --offline [A:]B (issue 14, item 4): the script of an
# upgrade built from the files alone, with no database, as
# "alembic upgrade A:B --sql" builds it.  Run with psql into a fresh
# database it leaves the same schema and applied state as pg_migrate
# upgrade, and no applied_unknown (it registers what it records and checks
# that at its start); it refuses a database in another state; ranges and
# --down scripts; the same rules as migrate.sql() for what psql reads
# (bodies through \gexec, guards), so no body can make psql run a
# meta-command; a non-transactional body runs statement by statement; an
# enum value added and then used commits in between; no stray ";" lines.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
P=${PGM_PREFIX:-pgm_off_}
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
WORK=$(mktemp -d)
source "$HERE/pgm.bash"
DBS="${P}up ${P}sc ${P}mid ${P}fresh ${P}on ${P}nt_a ${P}nt_b ${P}h"
trap 'rm -rf "$WORK"; for d in $DBS; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT
# run_script, schema, state: shared with offline_sql.sh
source "$HERE/offline_script.bash"
nowhere=(-d "host=/nonexistent-socket-dir port=1")

mkdir -p "$WORK/lg"
cp "$ROOT"/examples/lifegraph/*.sql "$WORK/lg/"
L=(-D "$WORK/lg")

# ------------------------------------------------------------- from base
pgm "${L[@]}" "${nowhere[@]}" sql --offline
is "$RC" "0" "sql --offline needs no database (a -d that cannot connect is not used)"
echo "$OUT" >"$WORK/full.sql"
like "$(head -1 "$WORK/full.sql")" "^-- migrate: upgrade base:head, 4 revisions, offline from the files in " "the script announces its range and size"
is "$(grep -c '^;$' "$WORK/full.sql")" "0" "no stray \";\" line"
is "$(grep -c 'migrate.add_file' "$WORK/full.sql")" "4" "it registers the four files it records"
for d in up sc; do fresh_db "${P}$d"; done
run_script "${P}sc" "$WORK/full.sql"
ok $? "psql -v ON_ERROR_STOP=1 -f runs it into a fresh database"
pgm "${L[@]}" -d "${P}up" upgrade
is "$RC" "0" "pg_migrate upgrade on another fresh database"
is "$(schema "${P}sc")" "$(schema "${P}up")" "the same schema"
is "$(state "${P}sc")" "$(state "${P}up")" "the same current() and applied revisions (with checksums)"
is "$(q "${P}sc" "SELECT count(*) FROM migrate.validate() WHERE severity = 'error'")" "0" "no validation error: no applied_unknown"
is "$(q "${P}sc" "SELECT kind || ' ' || target || ' ' || status || ' ' || from_heads::text || ' ' || to_heads::text || ' ' || application_name FROM migrate.run ORDER BY id DESC LIMIT 1")" \
   "upgrade base:head succeeded {} {004} pg_migrate sql --offline" "it records its run"
pgm "${L[@]}" -d "${P}sc" check
is "$RC" "0" "pg_migrate check agrees: files and database match"
run_script "${P}sc" "$WORK/full.sql"
ok_if "$? != 0" "the same script again is refused"
like "$(cat "$WORK/err")" "this script expects the current revisions to be \{\}" "naming the state it expects"

# ------------------------------------------------------------- a range
fresh_db "${P}mid"
pgm "${L[@]}" -d "${P}mid" upgrade 002
pgm "${L[@]}" "${nowhere[@]}" sql 002:head
is "$RC" "0" "a range A:B is an offline script (no --offline needed)"
echo "$OUT" >"$WORK/range.sql"
like "$OUT" "offline from the files" "(it says so)"
is "$(grep -c '^-- [0-9]/2 ' "$WORK/range.sql")" "2" "002:head: 2 revisions"
fresh_db "${P}fresh"
run_script "${P}fresh" "$WORK/range.sql"
ok_if "$? != 0" "refused on a database at base"
like "$(cat "$WORK/err")" "expects the current revisions to be \{002\}" "which is not at 002"
is "$(q "${P}fresh" "SELECT (SELECT count(*) FROM migrate.revision) || ' ' || (SELECT count(*) FROM migrate.applied)")" "0 0" "and nothing was registered or recorded there"
run_script "${P}mid" "$WORK/range.sql"
ok $? "it runs on the database at 002"
is "$(state "${P}mid")" "$(state "${P}up")" "and leaves it as upgrade does"
pgm "${L[@]}" sql --offline --down head:002 -o "$WORK/down.sql"
is "$RC" "0" "sql --offline --down head:002 -o FILE"
run_script "${P}mid" "$WORK/down.sql"
ok $? "the downgrade script runs"
is "$(q "${P}mid" "SELECT string_agg(c, ',') FROM migrate.current() c")" "002" "back at 002"
pgm "${L[@]}" sql --offline --down 002
is "$RC" "2" "--down without FROM:TO is a usage error"
like "$ERR" "needs FROM:TO" "saying what it needs"
pgm "${L[@]}" sql --offline nosuch
is "$RC" "1" "an unknown target: exit 1"
like "$ERR" "revision \"nosuch\" is not declared by any file" "naming it"
# moves resolve as migrate.sql('A:B') resolves them: B moves from state A
# (offline, A defaults to base, where nothing is applied)
pgm "${L[@]}" sql --offline lifegraph@+1
is "$RC" "0" "a move from base: lifegraph@+1 is the branch's first revision"
like "$OUT" "-- migrate: upgrade base:lifegraph@\+1, 1 revision," "(one revision)"
pgm "${L[@]}" sql --offline 002:+1
is "$RC" "0" "002:+1 moves from state 002"
like "$OUT" "-- migrate: upgrade 002:\+1, 1 revision," "one revision"
like "$OUT" "-- 1/1 003" "003"
pgm "${L[@]}" sql --offline --down 003:-1
is "$RC" "0" "--down 003:-1 moves back from state 003"
like "$OUT" "-- 1/1 003" "reverting 003"

# ------------------------------------------------------------- the online form keeps checking the database
fresh_db "${P}on"
pgm "${L[@]}" -d "${P}on" sync
pgm "${L[@]}" -d "${P}on" sql
is "$RC" "0" "sql (online) from a database with the revisions registered"
echo "$OUT" >"$WORK/online.sql"
fresh_db "${P}fresh"
run_script "${P}fresh" "$WORK/online.sql"
ok_if "$? != 0" "the online script run into a fresh database is refused"
like "$(cat "$WORK/err")" "records revisions that are not registered here" "because what it records is not registered there"
is "$(q "${P}fresh" "SELECT count(*) FROM migrate.applied")" "0" "so it leaves no applied_unknown"
is "$(grep -c '^;$' "$WORK/online.sql")" "0" "and has no stray \";\" line"

# ------------------------------------------------------------- non-transactional, enum values
mkdir -p "$WORK/nt"
cat >"$WORK/nt/n1_big.sql" <<'EOF'
-- migrate:revision n1
-- migrate:upgrade
CREATE TABLE big (id int, v text);
CREATE TYPE mood AS ENUM ('ok');
-- migrate:downgrade
DROP TABLE big; DROP TYPE mood;
EOF
cat >"$WORK/nt/n2_concurrently.sql" <<'EOF'
-- migrate:revision n2
-- migrate:down_revision n1
-- migrate:transactional false
-- migrate:upgrade
CREATE INDEX CONCURRENTLY big_v ON big (v);
CREATE INDEX big_id ON big (id) WHERE v <> 'a;b';
DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;
-- migrate:downgrade
DROP INDEX big_id;
DROP INDEX CONCURRENTLY big_v;
EOF
cat >"$WORK/nt/n3_enum.sql" <<'EOF'
-- migrate:revision n3
-- migrate:down_revision n2
-- migrate:upgrade
ALTER TYPE mood ADD VALUE 'great';
EOF
cat >"$WORK/nt/n4_use.sql" <<'EOF'
-- migrate:revision n4
-- migrate:down_revision n3
-- migrate:upgrade
CREATE TABLE m (x mood DEFAULT 'great');
-- migrate:downgrade
DROP TABLE m;
EOF
fresh_db "${P}nt_a"; fresh_db "${P}nt_b"
pgm -D "$WORK/nt" sql --offline -o "$WORK/nt.sql"
like "$(cat "$WORK/nt.sql")" "not transactional: each statement runs on its own" "the non-transactional body runs outside a transaction"
is "$(grep -c 'migrate_guard' "$WORK/nt.sql")" "$(( 2 + 4 ))" "a guard before its 2nd and 3rd statements, and after each revision"
like "$(cat "$WORK/nt.sql")" "adds an enum value a later revision may use: commit it first" "and commits after the enum value"
run_script "${P}nt_b" "$WORK/nt.sql"
ok $? "the script with CREATE INDEX CONCURRENTLY and ADD VALUE runs"
[ $? = 0 ] || echo "# $(cat "$WORK/err")"
pgm -D "$WORK/nt" -d "${P}nt_a" upgrade
is "$RC" "0" "pg_migrate upgrade does the same on another database"
is "$(schema "${P}nt_b")" "$(schema "${P}nt_a")" "the same schema"
is "$(state "${P}nt_b")" "$(state "${P}nt_a")" "the same applied revisions"

# ------------------------------------------------------------- hostile bodies
hostile_settings     # h2, h3, h4 (offline_script.bash)
fresh_db "${P}h"
for r in h2 h3 h4; do
    mkdir -p "$WORK/h_$r"; cp "$WORK/hostile/${r}_hostile.sql" "$WORK/h_$r/"
    pgm -D "$WORK/h_$r" sql --offline -o "$WORK/$r.sql"
    run_script "${P}h" "$WORK/$r.sql"
    ok_if "$? != 0" "$r: the offline script stops when a body changes how psql reads the rest"
    ok_if "$([ -e "$marker" ]; echo $?) != 0" "$r: and psql ran no meta-command"
    rm -f "$marker"
    is "$(q "${P}h" "SELECT count(*) FROM migrate.applied WHERE revision = '$r'")" "0" "$r: nothing is recorded"
done
hfile h5 true <<'EOF'
CREATE TABLE h5_done (id int);
SELECT E'\\! touch MARKER', 'a''b', $q$ \! touch MARKER $q$;
-- \! touch MARKER
SELECT 1 /* \! touch MARKER */;
SELECT $migrate$ \! touch MARKER $migrate$, $migrate_1$ x $migrate_1$;
SELECT 'ends in a comment' -- \! touch MARKER
EOF
mkdir -p "$WORK/h_h5"; cp "$WORK/hostile/h5_hostile.sql" "$WORK/h_h5/"
pgm -D "$WORK/h_h5" sql --offline -o "$WORK/h5.sql"
run_script "${P}h" "$WORK/h5.sql"
ok $? "a body full of backslashes, quotes, dollar quotes and comments runs from the offline script"
ok_if "$([ -e "$marker" ]; echo $?) != 0" "and runs no meta-command"
is "$(q "${P}h" "SELECT count(*) FROM migrate.applied WHERE revision = 'h5'")" "1" "h5 is recorded"

done_testing

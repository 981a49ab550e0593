#!/usr/bin/env bash
# migrate.sql(target): the offline script, run with psql -v ON_ERROR_STOP=1 -f
# on a database, leaves the same schema (pg_dump --schema-only of public),
# the same migrate.current() and the same applied rows as upgrade(target)
# (or downgrade, or CALL migrate.run for non-transactional revisions) on
# another database in the same starting state; and it refuses to run on a
# database in another state.  Uses the life graph example chain.
set -u
source "$(dirname "$0")/tap.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
if [ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ]; then
    export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
fi
# progress NOTICEs are apply_output's subject, not this test's
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
P=${SCN_DB_PREFIX:-scn_sql}
up=${P}_up          # migrated by the functions
sc=${P}_script      # migrated by the scripts
other=${P}_other    # another state
WORK=$(mktemp -d)
cleanup() {
    for db in "$up" "$sc" "$other" "${P}_nt_a" "${P}_nt_b" "${P}_mh_a" "${P}_mh_b" "${P}_h" "${P}_h_up" "${P}_en_a" "${P}_en_b"; do
        dropdb --if-exists "$db" >/dev/null 2>&1
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

register_lifegraph() {   # register_lifegraph <db>
    local f
    for f in "$ROOT"/examples/lifegraph/0*.sql; do
        psql -X -q -v ON_ERROR_STOP=1 -d "$1" -v content="$(cat "$f")" -v src="$(basename "$f")" \
            <<<"SELECT migrate.add_file(:'content', :'src');" >/dev/null || return 1
    done
}
# run_script, schema, state: shared with client_offline_sql.sh
source "$(dirname "$0")/offline_script.bash"
# gen <db> <target> [direction] > file
gen() {
    q "$1" "SELECT migrate.sql('$2', '${3:-up}')"
}
same_as() {   # same_as <what>: the script database matches the function one
    local a b
    a=$(schema "$up"); b=$(schema "$sc")
    is "$b" "$a" "$1: the same schema (pg_dump of public)"
    is "$(state "$sc")" "$(state "$up")" "$1: the same current() and applied revisions"
}

fresh_db "$up" && fresh_db "$sc" && fresh_db "$other"
ok $? "three fresh databases"
register_lifegraph "$up" && register_lifegraph "$sc" && register_lifegraph "$other"
ok $? "the life graph chain is registered in each"

# the same starting state: 001 applied
q "$up" "SELECT count(*) FROM migrate.upgrade('001')" >/dev/null
q "$sc" "SELECT count(*) FROM migrate.upgrade('001')" >/dev/null
is "$(q "$sc" "SELECT string_agg(c, ',') FROM migrate.current() c")" "001" "both start at 001"

#---------------------------------------------------------------- upgrade
gen "$sc" head >"$WORK/up.sql"
like "$(head -1 "$WORK/up.sql")" "^-- migrate: upgrade to 'head', 3 revisions" "the script announces 3 revisions"
is "$(q "$sc" "SELECT count(*) FROM migrate.applied")" "1" "generating it ran nothing"
run_script "$sc" "$WORK/up.sql"
ok $? "psql -v ON_ERROR_STOP=1 -f runs the upgrade script"
is "$(q "$up" "SELECT count(*) FROM migrate.upgrade('head')")" "3" "upgrade('head') applies 3 revisions on the other database"
like "$(schema "$sc")" "CREATE TABLE public.interactions" "the script made the tables of 004"
same_as "upgrade head"
is "$(q "$sc" "SELECT kind || ' ' || target || ' ' || status || ' ' || from_heads::text || ' ' || to_heads::text FROM migrate.run ORDER BY id DESC LIMIT 1")" \
   "upgrade head succeeded {001} {004}" "the script records its run"
before=$(schema "$sc")

# the same script again, now that the database is at 004: refused
run_script "$sc" "$WORK/up.sql"
ok_if "$? != 0" "the script refuses to run a second time"
like "$(cat "$WORK/err")" "this script expects the current revisions to be \{001\}" "saying which state it expects"
is "$(schema "$sc")" "$before" "the schema is unchanged"
is "$(q "$sc" "SELECT string_agg(c, ',') FROM migrate.current() c")" "004" "current() is still 004"

# a database in another state (nothing applied): refused, nothing changes
run_script "$other" "$WORK/up.sql"
ok_if "$? != 0" "the script refuses to run on a database in another state"
like "$(cat "$WORK/err")" "this script expects the current revisions to be \{001\}" "with the same message"
is "$(q "$other" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "0" "no table was made there"
is "$(q "$other" "SELECT count(*) FROM pg_extension WHERE extname IN ('pgcrypto', 'pg_trgm', 'btree_gist')")" "0" "no extension either"
is "$(q "$other" "SELECT (SELECT count(*) FROM migrate.applied) || ' ' || (SELECT count(*) FROM migrate.run)")" "0 0" \
   "nothing recorded there"

#---------------------------------------------------------------- downgrade
gen "$sc" 002 down >"$WORK/down.sql"
like "$(head -1 "$WORK/down.sql")" "^-- migrate: downgrade to '002', 2 revisions" "the downgrade script announces 2 revisions"
run_script "$sc" "$WORK/down.sql"
ok $? "the downgrade script runs"
is "$(q "$up" "SELECT string_agg(revision, ',' ORDER BY step) FROM migrate.downgrade('002')")" "004,003" \
   "downgrade('002') reverts 004 and 003 on the other database"
same_as "downgrade to 002"
is "$(q "$sc" "SELECT kind || ' ' || target || ' ' || from_heads::text || ' ' || to_heads::text FROM migrate.run ORDER BY id DESC LIMIT 1")" \
   "downgrade 002 {004} {002}" "the downgrade script records its run"

gen "$sc" base down >"$WORK/base.sql"
run_script "$sc" "$WORK/base.sql"
ok $? "the downgrade-to-base script runs"
q "$up" "SELECT count(*) FROM migrate.downgrade('base')" >/dev/null
same_as "downgrade to base"
is "$(q "$sc" "SELECT count(*) FROM pg_extension WHERE extname IN ('pgcrypto', 'pg_trgm', 'btree_gist')")" "0" \
   "the script dropped the extensions of 001"
is "$(q "$sc" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "0" "and every table"

# nothing to do
gen "$sc" base down >"$WORK/noop.sql"
like "$(cat "$WORK/noop.sql")" "-- nothing to do" "a script with nothing to do says so"
runs=$(q "$sc" "SELECT count(*) FROM migrate.run")
run_script "$sc" "$WORK/noop.sql"
ok $? "and runs cleanly"
is "$(q "$sc" "SELECT count(*) FROM migrate.run")" "$runs" "recording no run"

# from nothing to a prefix target, then to head from there
gen "$sc" 003 >"$WORK/to3.sql"
run_script "$sc" "$WORK/to3.sql"
ok $? "the script to 003 from nothing runs"
q "$up" "SELECT count(*) FROM migrate.upgrade('003')" >/dev/null
same_as "upgrade to 003 from nothing"

#---------------------------------------------------------------- several current revisions
a=${P}_mh_a; b=${P}_mh_b
for db in "$a" "$b"; do
    fresh_db "$db"
    q "$db" "SELECT migrate.add('x0', 'CREATE TABLE x0 (id int)', 'DROP TABLE x0');
             SELECT migrate.add('xb', 'CREATE TABLE xb (id int)', 'DROP TABLE xb', '{x0}');
             SELECT migrate.add('xa', 'CREATE TABLE xa (id int)', 'DROP TABLE xa', '{x0}');
             SELECT count(*) FROM migrate.upgrade('heads');
             SELECT migrate.add('xm', 'CREATE TABLE xm (id int)', 'DROP TABLE xm', '{xb,xa}');" >/dev/null
done
gen "$b" head >"$WORK/merge.sql"
run_script "$b" "$WORK/merge.sql"
ok $? "a script that starts from two current revisions (xa, xb) runs"
q "$a" "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
is "$(state "$b")" "$(state "$a")" "merge: the same current() and applied revisions"
is "$(schema "$b")" "$(schema "$a")" "merge: the same schema"

#---------------------------------------------------------------- non-transactional revisions
a=${P}_nt_a; b=${P}_nt_b
for db in "$a" "$b"; do
    fresh_db "$db"
    q "$db" "SELECT migrate.add('n1', \$\$CREATE TABLE big (id int, v text); CREATE TYPE mood AS ENUM ('ok');\$\$, 'DROP TABLE big; DROP TYPE mood;');
             SELECT migrate.add('n2', \$\$CREATE INDEX CONCURRENTLY big_v ON big (v); ALTER TYPE mood ADD VALUE 'great'; CREATE TABLE m (x mood DEFAULT 'great');\$\$,
                                'DROP INDEX CONCURRENTLY big_v; DROP TABLE m;', '{n1}', transactional => false);
             SELECT migrate.add('n3', 'CREATE TABLE after_n2 (id int)', 'DROP TABLE after_n2', '{n2}');" >/dev/null
done
gen "$b" head >"$WORK/nt.sql"
like "$(cat "$WORK/nt.sql")" "not transactional: each statement runs on its own" "the script runs the non-transactional body outside a transaction"
run_script "$b" "$WORK/nt.sql"
ok $? "the script with CREATE INDEX CONCURRENTLY and ALTER TYPE ... ADD VALUE runs"
psql -X -q -v ON_ERROR_STOP=1 -d "$a" -c "CALL migrate.run('head')" >/dev/null 2>&1
ok $? "CALL migrate.run('head') on the other database"
like "$(schema "$b")" "CREATE INDEX big_v" "the script built the concurrent index"
is "$(schema "$b")" "$(schema "$a")" "non-transactional upgrade: the same schema"
is "$(state "$b")" "$(state "$a")" "non-transactional upgrade: the same current() and applied revisions"
is "$(q "$b" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass")" "t" "the index is valid"
gen "$b" n1 down >"$WORK/ntdown.sql"
run_script "$b" "$WORK/ntdown.sql"
ok $? "the downgrade script with DROP INDEX CONCURRENTLY runs"
psql -X -q -v ON_ERROR_STOP=1 -d "$a" -c "CALL migrate.run('n1', 'down')" >/dev/null 2>&1
ok $? "CALL migrate.run('n1', 'down') on the other database"
is "$(schema "$b")" "$(schema "$a")" "non-transactional downgrade: the same schema"
is "$(state "$b")" "$(state "$a")" "non-transactional downgrade: the same current() and applied revisions"

#---------------------------------------------------------------- hostile bodies
# Whatever a body holds, psql runs no meta-command of it and no SQL the
# server did not check as the body's own.  Every attempt below would touch
# $marker; it must never exist.
PG_MIGRATE=${PG_MIGRATE:-}
if [ -z "$PG_MIGRATE" ]; then
    PG_MIGRATE="$(pg_config --bindir 2>/dev/null)/pg_migrate"
    [ -x "$PG_MIGRATE" ] || PG_MIGRATE="$ROOT/client/pg_migrate"
fi
# the body of the report, as it was
hfile h1 true <<'EOF'
SET standard_conforming_strings = off;
SELECT 'x\', '
\! touch MARKER #' AS y;
EOF
# the same, with the setting changed where no parser sees it (h2, h3, h4)
hostile_settings
# meta-command lookalikes that are the body's own text: they run as SQL
hfile h5 true <<'EOF'
CREATE TABLE h5_done (id int);
SELECT E'\\! touch MARKER', 'a''b', $q$ \! touch MARKER $q$;
-- \! touch MARKER
SELECT 1 /* \! touch MARKER */;
SELECT '\gexec', '\\', '"', 'unbalanced "quote';
SELECT $migrate$ \! touch MARKER $migrate$, $migrate_1$ x $migrate_1$;
SELECT 'ends in a comment' -- \! touch MARKER
EOF
hfile h6 false <<'EOF'
CREATE TABLE h6_done (id int);
SELECT E'\\! touch MARKER', 'a''b', $q$ \! touch MARKER $q$;
SELECT 1 /* \! touch MARKER */;
CREATE INDEX CONCURRENTLY h6_idx ON h6_done (id);
SELECT 'trailing backslash\'
EOF
# one that ends without a newline, in a line comment
printf -- '-- migrate:revision h7\n-- migrate:upgrade\nCREATE TABLE h7_done (id int); -- \\! touch %s' "$marker" >"$WORK/hostile/h7_hostile.sql"
h=${P}_h
hu=${P}_h_up
fresh_db "$h" && fresh_db "$hu"
for f in "$WORK"/hostile/*.sql; do
    for db in "$h" "$hu"; do
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v content="$(cat "$f")" -v src="$(basename "$f")" \
            <<<"SELECT migrate.add_file(:'content', :'src');" >/dev/null 2>&1
    done
done
is "$(q "$h" "SELECT count(*) FROM migrate.revision")" "7" "seven hostile revisions are registered"

out=$(psql -X -q -A -t -d "$h" -c "SELECT migrate.sql('h1')" 2>&1)
like "$out" "standard_conforming_strings is not allowed" "the body of the report: migrate.sql() refuses to write a script for it"
"$PG_MIGRATE" -D "$WORK/hostile" -d "$h" sql h1 >"$WORK/h1.sql" 2>"$WORK/h1.err"
ok_if "$? != 0" "and so does pg_migrate sql"
out=$(psql -X -q -A -t -d "$h" -v VERBOSITY=verbose -c "SELECT count(*) FROM migrate.upgrade('h1')" 2>&1)
like "$out" "0A000" "upgrade() refuses it before running anything"

for r in h2 h3 h4; do
    gen "$h" "$r" >"$WORK/$r.sql"
    run_script "$h" "$WORK/$r.sql"
    ok_if "$? != 0" "$r: the script stops when the body changes how the rest is read"
    like "$(cat "$WORK/err")" "changed (standard_conforming_strings|client_encoding)" "$r: saying why"
    ok_if "$([ -e "$marker" ]; echo $?) != 0" "$r: and psql ran no meta-command"
    rm -f "$marker"
    is "$(q "$h" "SELECT count(*) FROM migrate.applied WHERE revision = '$r'")" "0" "$r: nothing is recorded"
done
"$PG_MIGRATE" -D "$WORK/hostile" -d "$h" sql h3 >"$WORK/h3c.sql" 2>/dev/null
ok $? "pg_migrate sql h3 writes the script"
run_script "$h" "$WORK/h3c.sql"
ok_if "$? != 0 && $([ -e "$marker" ]; echo $?) != 0" "which stops as well, with no meta-command run"
rm -f "$marker"

for r in h5 h7; do
    gen "$h" "$r" >"$WORK/$r.sql"
    run_script "$h" "$WORK/$r.sql"
    ok $? "$r: a body full of backslashes, quotes and comments runs from the script"
done
gen "$h" h6 >"$WORK/h6.sql"
run_script "$h" "$WORK/h6.sql"
ok $? "h6: and so does a non-transactional one"
ok_if "$([ -e "$marker" ]; echo $?) != 0" "none of them ran a meta-command"
q "$hu" "SELECT count(*) FROM migrate.upgrade('h5'); SELECT count(*) FROM migrate.upgrade('h7')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$hu" -c "CALL migrate.run('h6')" >/dev/null 2>&1
is "$(q "$h" "SELECT string_agg(c, ',' ORDER BY c) FROM migrate.current() c")" "h5,h6,h7" "the scripts recorded h5, h6 and h7"
is "$(schema "$h")" "$(schema "$hu")" "the same schema as upgrade() and CALL migrate.run() made"
like "$(schema "$h")" "h6_idx" "(with h6's concurrent index)"

#---------------------------------------------------------------- enum values used in the same plan
a=${P}_en_a; b=${P}_en_b
for db in "$a" "$b"; do
    fresh_db "$db"
    q "$db" "SELECT migrate.add('v1', 'CREATE TYPE vis AS ENUM (''Public''); CREATE TABLE post (id int, v vis)', 'DROP TABLE post; DROP TYPE vis');
             SELECT migrate.add('v2', 'ALTER TYPE vis ADD VALUE ''Private''', NULL, '{v1}');
             SELECT migrate.add('v3', 'CREATE INDEX post_public ON post (id) WHERE v <> ''Private''', 'DROP INDEX post_public', '{v2}')" >/dev/null
done
gen "$b" head >"$WORK/enum.sql"
run_script "$b" "$WORK/enum.sql"
ok $? "the script of a plan that adds an enum value, then uses it, runs (it commits in between)"
psql -X -q -v ON_ERROR_STOP=1 -d "$a" -c "CALL migrate.run('head')" >/dev/null 2>&1
is "$(schema "$b")" "$(schema "$a")" "the same schema as CALL migrate.run"
is "$(state "$b")" "$(state "$a")" "the same applied revisions"

#---------------------------------------------------------------- ranges A:B
# migrate.sql('A:B') is written from state A whatever the database it is
# generated in has applied (as alembic upgrade A:B --sql): here from a
# database at base, for one at 001; and 'A:B' down from one at head.
a=${P}_rg_a; b=${P}_rg_b; g=${P}_rg_gen
for db in "$a" "$b" "$g"; do
    fresh_db "$db" && register_lifegraph "$db"
done
q "$a" "SELECT count(*) FROM migrate.upgrade('001')" >/dev/null
q "$b" "SELECT count(*) FROM migrate.upgrade('001')" >/dev/null
gen "$g" "001:003" >"$WORK/range.sql"
like "$(head -1 "$WORK/range.sql")" "^-- migrate: upgrade over the range '001:003', 2 revisions" "sql('001:003') from a database at base plans 002 and 003"
is "$(q "$g" "SELECT count(*) FROM migrate.applied")" "0" "generating it recorded nothing where it was generated"
run_script "$a" "$WORK/range.sql"
ok $? "the range script runs on a database at 001"
q "$b" "SELECT count(*) FROM migrate.upgrade('003')" >/dev/null
is "$(schema "$a")" "$(schema "$b")" "the same schema as upgrade('003') from 001"
is "$(state "$a")" "$(state "$b")" "the same applied revisions"
is "$(q "$a" "SELECT target || ' ' || from_heads::text || ' ' || to_heads::text FROM migrate.run ORDER BY id DESC LIMIT 1")" \
   "001:003 {001} {003}" "the run records the range"
run_script "$g" "$WORK/range.sql"
ok_if "$? != 0" "the range script refuses a database that is not at 001"
like "$(cat "$WORK/err")" "expects the current revisions to be \{001\}" "saying so"
gen "$g" ":001" >"$WORK/range0.sql"
run_script "$g" "$WORK/range0.sql"
ok $? "sql(':001') (from base) runs on a database at base"
is "$(q "$g" "SELECT string_agg(c, ',') FROM migrate.current() c")" "001" "leaving it at 001"
gen "$g" "004:002" down >"$WORK/rangedown.sql"
like "$(head -1 "$WORK/rangedown.sql")" "^-- migrate: downgrade over the range '004:002', 2 revisions" "sql('004:002', 'down') from a database at 001 reverts 004 and 003"
q "$b" "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
run_script "$b" "$WORK/rangedown.sql"
ok $? "and runs on a database at head"
is "$(q "$b" "SELECT string_agg(c, ',') FROM migrate.current() c")" "002" "leaving it at 002"
for db in "$a" "$b" "$g"; do dropdb --if-exists "$db" >/dev/null 2>&1; done

done_testing

#!/usr/bin/env bash
# The upgrade path from a real 0.1 database: 0.1 is built from its release
# commit (57c8fd8) and installed, a database gets a history with it
# (revisions, an applied chain, a CALL migrate.run run, a failed run from a
# body's error, a stamp, a revision registered by another role), then the
# library under test is installed again and:
#   - against the 0.1 catalog, every function that touches the catalog says
#     to run ALTER EXTENSION migrate UPDATE (55000), never "column does not
#     exist", and so does pg_migrate;
#   - ALTER EXTENSION migrate UPDATE keeps every revision, applied row,
#     checksum, run and step; the current state is unchanged; validate() is
#     clean; PUBLIC still cannot run the changing functions;
#   - the updated catalog is the catalog of a new install, fact by fact
#     (test/scenario/catalog_shape.sql): what catches an update part in
#     sql/update/ that drifts from sql/ext/;
#   - the updated database keeps working (upgrade, the role boundary, the
#     private run errors).
# It installs into the server's directories, like every scenario (run it
# through scripts/test), and puts the library under test back at the end.
# Without the git history of the repository (a source tarball), it skips.
# Prints TAP.
set -u
source "$(dirname "$0")/tap.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RELEASE_0_1=57c8fd8
PG_CONFIG=${PG_CONFIG:-$(command -v pg_config || echo /usr/lib/postgresql/15/bin/pg_config)}
PG_MIGRATE=${PG_MIGRATE:-$("$PG_CONFIG" --bindir 2>/dev/null)/pg_migrate}
[ -x "$PG_MIGRATE" ] || PG_MIGRATE="$ROOT/client/pg_migrate"

if ! git -C "$ROOT" cat-file -e "$RELEASE_0_1^{commit}" 2>/dev/null; then
    echo "1..0 # SKIP the release commit of 0.1 ($RELEASE_0_1) is not in $ROOT (no git history: a source tarball or a shallow clone)"
    exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
if ! as_root true 2>/dev/null; then
    echo "1..0 # SKIP installing 0.1 into the server's directories needs root (or sudo without a password)"
    exit 0
fi

db=scn_upgrade_path
fresh=scn_upgrade_fresh
sfx=$$
deployer=up_deployer_$sfx
nobody=up_nobody_$sfx
pw=pw-$sfx
WORK=$(mktemp -d)
PKGLIB=$("$PG_CONFIG" --pkglibdir)
EXTDIR=$("$PG_CONFIG" --sharedir)/extension
export PGOPTIONS="-c client_min_messages=warning"

# the library under test, as scripts/test installed it: put back at the end
cp "$PKGLIB/migrate.so" "$WORK/migrate.so.current"
had_01_script=false
[ -e "$EXTDIR/migrate--0.1.sql" ] && had_01_script=true
install_so() {  # a new file, not a rewrite: sessions that mapped the old one keep it
    as_root install -m 755 "$1" "$PKGLIB/migrate.so.new.$sfx" &&
        as_root mv -f "$PKGLIB/migrate.so.new.$sfx" "$PKGLIB/migrate.so"
}
cleanup() {
    install_so "$WORK/migrate.so.current"
    $had_01_script || as_root rm -f "$EXTDIR/migrate--0.1.sql"
    dropdb --if-exists $db >/dev/null 2>&1
    dropdb --if-exists $fresh >/dev/null 2>&1
    for r in $deployer $nobody; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
    rm -rf "$WORK"
}
trap cleanup EXIT
state() { grep -oE '^ERROR:  [0-9A-Z]{5}' <<<"$1" | head -1 | cut -c9-; }

# ---------------------------------------------------------------- 0.1
mkdir -p "$WORK/v0.1"
git -C "$ROOT" archive "$RELEASE_0_1" | tar -x -C "$WORK/v0.1"
start=$(date +%s)
make -C "$WORK/v0.1" -s -j4 PG_CONFIG="$PG_CONFIG" with_llvm=no migrate.so sql/migrate--0.1.sql >"$WORK/build.log" 2>&1
ok $? "0.1 builds from its release commit $RELEASE_0_1 ($(( $(date +%s) - start ))s)"
install_so "$WORK/v0.1/migrate.so" && as_root install -m 644 "$WORK/v0.1/sql/migrate--0.1.sql" "$EXTDIR/"
ok $? "0.1 installed (its library and its install script)"

dropdb --if-exists $db >/dev/null 2>&1
createdb $db
q $db "CREATE EXTENSION migrate VERSION '0.1'" >/dev/null
is "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'migrate'")" "0.1" "a database at 0.1"
q $db "CREATE ROLE $deployer LOGIN PASSWORD '$pw'; CREATE ROLE $nobody LOGIN PASSWORD '$pw';
       GRANT EXECUTE ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text) TO $deployer;
       GRANT CREATE, USAGE ON SCHEMA public TO $deployer;
       CREATE TABLE public.who (step text, cur name);
       GRANT ALL ON public.who TO PUBLIC;
       SELECT migrate.add('r1', 'CREATE TABLE public.items (id int PRIMARY KEY, email text)', 'DROP TABLE public.items',
                          message => 'items', source => 'r1_items.sql');
       SELECT migrate.add('r2', 'ALTER TABLE public.items ADD name text', 'ALTER TABLE public.items DROP name', '{r1}',
                          message => 'name', branch_labels => '{core}');
       SELECT migrate.add('r3', 'CREATE INDEX CONCURRENTLY items_name ON public.items (name)',
                          'DROP INDEX CONCURRENTLY public.items_name', '{r2}', message => 'index', transactional => false);
       SELECT migrate.add('r4', 'CREATE UNIQUE INDEX items_email ON public.items (email)', 'DROP INDEX public.items_email', '{r3}',
                          message => 'unique email');
       SELECT migrate.add('r5', 'SELECT 1', NULL, '{r3}', message => 'stamped', depends_on => '{r1}');
       SELECT count(*) FROM migrate.upgrade('r2');
       INSERT INTO public.items VALUES (1, 'alice@example.com'), (2, 'alice@example.com')" >/dev/null
psql -X -q -d $db -c "CALL migrate.run('r3')" >/dev/null 2>&1
ok $? "0.1: CALL migrate.run applies the non-transactional r3"
out=$(psql -X -q -A -t -d $db -c "SELECT * FROM migrate.upgrade('r4')" 2>&1)
like "$out" 'could not create unique index' "0.1: r4's body fails on a duplicate (a failed run with a row value)"
q $db "SELECT count(*) FROM migrate.stamp('r5')" >/dev/null
PGUSER=$deployer PGPASSWORD=$pw psql -X -q -d $db \
    -c "SELECT migrate.add('r6', \$\$INSERT INTO public.who VALUES ('r6', current_user)\$\$, 'SELECT 1', '{r5}')" >/dev/null 2>&1
is "$(q $db "SELECT string_agg(kind || ':' || status, ',' ORDER BY id) FROM migrate.run")" \
   "upgrade:succeeded,upgrade:succeeded,upgrade:failed,stamp:succeeded" "0.1: four runs, one failed"
is "$(q $db "SELECT string_agg(c, ',' ORDER BY c) FROM migrate.current() c")" "r5" "0.1: current is r5"

# what must survive, as 0.1 shows it (the run log through the columns 0.1 has)
snapshot() {
    local db=$1 runrel=$2
    q $db "SELECT string_agg(t::text, E'\n' ORDER BY t.id) FROM (SELECT id, down_revision, depends_on, branch_labels,
             transactional, registered_at, checksum, message, source, upgrade_problem, downgrade_problem, registered_by,
             content_hash, upgrade, downgrade FROM migrate.revision) t"
    q $db "SELECT string_agg(t::text, E'\n' ORDER BY t.revision) FROM (SELECT revision, checksum, applied_at, applied_by, run_id FROM migrate.applied) t"
    q $db "SELECT string_agg(t::text, E'\n' ORDER BY t.id) FROM (SELECT id, kind, target, status, started_at, finished_at, from_heads,
             to_heads, db_user, application_name, pid, error_revision, error_sqlstate, error_message, error_detail, error_hint,
             error_context FROM $runrel) t"
    q $db "SELECT string_agg(t::text, E'\n' ORDER BY t.run_id, t.step) FROM (SELECT run_id, step, revision, direction, started_at,
             duration, status FROM migrate.run_step) t"
    q $db "SELECT last_value || ' ' || is_called FROM migrate.run_id_seq"
}
state_of() {
    q $db "SELECT (SELECT string_agg(c, ',' ORDER BY c) FROM migrate.current() c) || ' | ' ||
                  (SELECT string_agg(h, ',' ORDER BY h) FROM migrate.heads() h) || ' | ' ||
                  (SELECT string_agg(revision || ':' || applied, ',') FROM migrate.history()) || ' | ' ||
                  (SELECT s::text FROM (SELECT current, heads, at_head, pending, applied, registered, errors, warnings,
                                               last_run_id, last_run_kind, last_run_status, last_run_at, last_run_error
                                          FROM migrate.status()) s)"
}
snapshot $db migrate.run >"$WORK/before.txt"
state_of >"$WORK/state_before.txt"
schema_before=$(q $db "SELECT string_agg(indexrelid::regclass::text || ':' || indisvalid, ',' ORDER BY 1) FROM pg_index WHERE indrelid = 'public.items'::regclass")

# ---------------------------------------------------------------- the new library, the 0.1 catalog
install_so "$WORK/migrate.so.current"
ok $? "the library under test installed again"
bad=0
for call in "SELECT * FROM migrate.current()" "SELECT * FROM migrate.heads()" "SELECT * FROM migrate.bases()" \
            "SELECT * FROM migrate.history()" "SELECT * FROM migrate.status()" "SELECT * FROM migrate.resolve('head')" \
            "SELECT * FROM migrate.plan('head')" "SELECT * FROM migrate.validate()" "SELECT migrate.check()" \
            "SELECT * FROM migrate.verify()" "SELECT migrate.add('x1', 'SELECT 1')" "SELECT migrate.remove('r6')" \
            "SELECT migrate.add_file(E'-- migrate:revision x2\n-- migrate:upgrade\nSELECT 1', 'x2.sql')" \
            "SELECT * FROM migrate.upgrade('head')" "SELECT * FROM migrate.downgrade('base')" \
            "SELECT * FROM migrate.stamp('head')" "SELECT migrate.sql('head')" "CALL migrate.run('head')"; do
    out=$(psql -X -q -A -t -v VERBOSITY=verbose -d $db -c "$call" 2>&1)
    if [ "$(state "$out")" != "55000" ] || [[ "$out" != *"is at version 0.1, the installed migrate library at version"* ]] ||
       [[ "$out" != *"HINT:  Run ALTER EXTENSION migrate UPDATE;"* ]] || [[ "$out" == *"does not exist"* ]]; then
        bad=$((bad + 1)); echo "# $call: $out"
    fi
done
is "$bad" "0" "against the 0.1 catalog, every function that reads it says: run ALTER EXTENSION migrate UPDATE (55000)"
is "$(q $db "SELECT migrate.table_exists('public.items')")" "t" "the existence helpers, which do not read it, work"
"$PG_MIGRATE" --no-sync -d $db status >"$WORK/pgm.out" 2>&1
rc=$?
ok "$([ $rc -ne 0 ] && grep -q 'ALTER EXTENSION migrate UPDATE' "$WORK/pgm.out"; echo $?)" \
   "pg_migrate says the same (exit $rc: $(head -1 "$WORK/pgm.out"))"
snapshot $db migrate.run >"$WORK/between.txt"
ok "$(cmp -s "$WORK/before.txt" "$WORK/between.txt"; echo $?)" "nothing was read wrongly or changed before the update"

# ---------------------------------------------------------------- ALTER EXTENSION migrate UPDATE
out=$(psql -X -q -v ON_ERROR_STOP=1 -d $db -c "ALTER EXTENSION migrate UPDATE" 2>&1)
ok $? "ALTER EXTENSION migrate UPDATE ${out:+($out)}"
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/migrate.control")
is "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'migrate'")" "$version" "the database is at $version"
snapshot $db migrate.run >"$WORK/after.txt"
diff "$WORK/before.txt" "$WORK/after.txt" >"$WORK/data.diff"
ok $? "every revision (checksums and bodies), applied row, run (errors included), step and the run id sequence kept"
[ -s "$WORK/data.diff" ] && sed 's/^/# /' "$WORK/data.diff" | head -40
state_of >"$WORK/state_after.txt"
ok "$(cmp -s "$WORK/state_before.txt" "$WORK/state_after.txt"; echo $?)" "current, heads, history and status() unchanged"
[ -s "$WORK/state_after.txt" ] && ! cmp -s "$WORK/state_before.txt" "$WORK/state_after.txt" && \
    { echo "# before: $(cat "$WORK/state_before.txt")"; echo "# after:  $(cat "$WORK/state_after.txt")"; }
is "$(q $db "SELECT coalesce(string_agg(code || ' ' || message, '; '), 'clean') FROM migrate.validate() WHERE severity = 'error'")" \
   "clean" "validate() is clean"
is "$(q $db "SELECT string_agg(indexrelid::regclass::text || ':' || indisvalid, ',' ORDER BY 1) FROM pg_index WHERE indrelid = 'public.items'::regclass")" \
   "$schema_before" "the application's schema untouched"
if q $db "SELECT 1 FROM pg_attribute WHERE attrelid = 'migrate.revision'::regclass AND attname = 'project'" | grep -q 1; then
    is "$(q $db "SELECT string_agg(DISTINCT project, ',') FROM migrate.revision")|$(q $db "SELECT string_agg(DISTINCT project, ',') FROM migrate.run")" \
       "default|default" "the existing history lands in project 'default'"
fi
is "$(q $db "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), 'none') FROM pg_proc p
              WHERE p.pronamespace = 'migrate'::regnamespace
                AND p.proname IN ('add', 'add_file', 'remove', 'upgrade', 'downgrade', 'stamp', 'ensure', 'run', 'sql', 'explain')
                AND has_function_privilege('$nobody', p.oid, 'EXECUTE')")" "none" \
   "PUBLIC still cannot run a changing function"
is "$(PGUSER=$nobody PGPASSWORD=$pw psql -X -q -A -t -d $db -c "SELECT error_revision || ' ' || error_sqlstate || ' ' || (error_detail IS NULL) FROM migrate.run WHERE status = 'failed'" 2>&1)|$(PGUSER=$nobody PGPASSWORD=$pw psql -X -q -A -t -d $db -c "SELECT checksum FROM migrate.applied" 2>&1 | grep -c 'permission denied')" \
   "r4 23505 true|1" "PUBLIC reads the revision and SQLSTATE of the 0.1 failed run, not its detail or a checksum"

# ---------------------------------------------------------------- the same catalog as a new install
dropdb --if-exists $fresh >/dev/null 2>&1
# a new install with the grant this test made in the 0.1 database (on the
# signature add() has now: the update carries grants on a replaced
# function's old signature to its new one)
createdb $fresh && q $fresh "CREATE EXTENSION migrate;
    GRANT EXECUTE ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text) TO $deployer" >/dev/null
psql -X -q -d $db -f "$ROOT/test/scenario/catalog_shape.sql" >"$WORK/shape_updated.txt" 2>&1
psql -X -q -d $fresh -f "$ROOT/test/scenario/catalog_shape.sql" >"$WORK/shape_fresh.txt" 2>&1
diff "$WORK/shape_fresh.txt" "$WORK/shape_updated.txt" >"$WORK/shape.diff"
ok $? "the updated catalog is a new install's: $(wc -l <"$WORK/shape_fresh.txt") facts compared (< new install, > updated)"
[ -s "$WORK/shape.diff" ] && sed 's/^/# /' "$WORK/shape.diff" | head -60
ok "$([ "$(wc -l <"$WORK/shape_fresh.txt")" -gt 100 ] && ! grep -q ERROR "$WORK/shape_fresh.txt"; echo $?)" \
   "(and the comparison saw the catalog: more than 100 facts, no error)"
like "$(pg_dump -d $db 2>/dev/null | grep "TO $deployer" | tr '\n' ' ')" \
     "GRANT ALL ON FUNCTION migrate.add\(.*project text\) TO $deployer" \
     "the deployer's grant, carried to add()'s new signature, is the administrator's: pg_dump dumps it"

# ---------------------------------------------------------------- and it keeps working
out=$(psql -X -q -A -t -d $db -c "DELETE FROM public.items WHERE id = 2" -c "SELECT string_agg(revision, ',') FROM migrate.upgrade('heads')" 2>&1)
is "$out" "r4,r6" "upgrade('heads') applies r4 and the deployer's r6 on the updated catalog"
is "$(q $db "SELECT cur FROM public.who WHERE step = 'r6'")" "$deployer" \
   "r6, registered by the deployer under 0.1, ran with the deployer's rights"
is "$(q $db "SELECT count(*) FROM migrate.run WHERE kind = 'upgrade' AND status = 'succeeded'")" "3" "and is recorded"

done_testing

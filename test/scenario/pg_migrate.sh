#!/usr/bin/env bash
# pg_migrate, the command-line client, driven against the cluster of the PG*
# variables: the life graph chain as files (upgrade, downgrade, upgrade), the
# sync report, a broken base caught by check (exit 1), two heads merged by
# "revision --merge", four upgrades racing, CREATE INDEX CONCURRENTLY (and a
# failed one), --json parsed by python3, exit statuses, graph, fleets,
# adopt alembic, a pending revision whose file was deleted (refused), and
# 1,000 unchanged files synced in well under a second.
#
# The binary: $PG_MIGRATE, else the installed one (pg_config --bindir), else
# the build tree's client/pg_migrate.  Databases are named ${PGM_PREFIX}*
# (default "pgm_").
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"

P=${PGM_PREFIX:-pgm_}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# pgm ARGS...: run the client; stdout in $OUT, stderr in $ERR, status in $RC
source "$HERE/pgm.bash"
newdb() { fresh_db "$1"; }
# revfile DIR ID PARENTS UPGRADE [DOWNGRADE] [extra header lines]
revfile() {
    local dir=$1 id=$2 parents=$3 up=$4 down=${5-} extra=${6-}
    {
        echo "-- migrate:revision $id"
        [ -n "$parents" ] && echo "-- migrate:down_revision $parents"
        echo "-- migrate:message revision $id"
        [ -n "$extra" ] && echo "$extra"
        echo "-- migrate:upgrade"
        echo "$up"
        if [ -n "$down" ]; then echo "-- migrate:downgrade"; echo "$down"; fi
    } >"$dir/${id}_rev.sql"
}

ok "$([ -x "$PG_MIGRATE" ]; echo $?)" "pg_migrate is built and executable ($PG_MIGRATE)"
pgm --version
like "$OUT" "^pg_migrate \(migrate\) " "--version"
pgm --help
is "$RC" "0" "--help exits 0"
like "$OUT" "Exit status: 0 success; 1 validation or migration failure" "--help documents the exit statuses"
fails=0
for c in init revision upgrade downgrade stamp current heads history show branches check sql status graph sync adopt; do
    "$PG_MIGRATE" "$c" --help >/dev/null 2>&1 || fails=$((fails + 1))
done
is "$fails" "0" "every command has --help"

# ---------------------------------------------------------------- usage, exit 2
pgm bogus
is "$RC" "2" "an unknown command exits 2"
pgm upgrade --merge
is "$RC" "2" "an option the command does not take exits 2"
like "$ERR" "does not apply to \"upgrade\"" "and says so"
pgm downgrade
is "$RC" "2" "a missing TARGET exits 2"
pgm -D "$WORK/lg" -d "host=/nonexistent-socket-dir port=1" current
is "$RC" "2" "a connection failure exits 2"
like "$ERR" "could not connect" "with libpq's message"

# ---------------------------------------------------------------- init
pgm -D "$WORK/lg" init
is "$RC" "0" "init creates the directory"
ok "$([ -f "$WORK/lg/README.md" ]; echo $?)" "and a README"
pgm -D "$WORK/lg" init
is "$RC" "0" "init again keeps what is there"

# ---------------------------------------------------------------- life graph
db=${P}life
newdb $db
cp "$ROOT"/examples/lifegraph/*.sql "$WORK/lg/"
L=(-D "$WORK/lg" -d "$db")
pgm "${L[@]}" check
is "$RC" "0" "check: the life graph chain is sound (exit 0)"
like "$ERR" "4 files, 4 not registered, 0 changed" "check compares the files with the database: 4 not registered"
is "$(q $db "SELECT count(*) FROM migrate.revision")" "0" "and registers nothing (check only reads)"
pgm "${L[@]}" upgrade
is "$RC" "0" "upgrade: the life graph chain applies"
like "$ERR" "\[4/4\] applying 004 .*elapsed" "progress: revision i of n with the elapsed time"
like "$OUT" "4 revisions applied" "and the result says 4 were applied"
pgm "${L[@]}" current
is "$OUT" "004 (head), signals, document_links, interactions" "current: 004, the head"
is "$(q $db "SELECT count(*) FROM pg_tables WHERE tablename IN ('parties','roles','commitments','documents','signals','document_links','interactions')")" "7" "the seven tables exist"
pgm "${L[@]}" history
is "$(printf '%s\n' "$OUT" | wc -l)" "4" "history: four revisions"
like "$(printf '%s\n' "$OUT" | head -1)" "^003 -> 004 \(head\) \(current\)" "newest first, as alembic"
pgm "${L[@]}" history --verbose
like "$OUT" "Applied: .* by " "history --verbose: when and by whom"
like "$OUT" "Latest runs:" "and the runs"
pgm "${L[@]}" upgrade
is "$RC" "0" "upgrade again: nothing to do"
like "$ERR" "0 new, 0 changed, 4 unchanged" "the sync skips the unchanged files"
like "$OUT" "nothing to upgrade" "and says there is nothing to do"
pgm "${L[@]}" downgrade -1
is "$RC" "0" "downgrade -1"
pgm "${L[@]}" current
like "$OUT" "^003" "current: 003"
pgm "${L[@]}" downgrade base
is "$RC" "0" "downgrade base"
is "$(q $db "SELECT count(*) FROM pg_tables WHERE tablename IN ('parties','roles','documents','signals')")" "0" "the tables are gone"
pgm "${L[@]}" current
is "$OUT" "" "nothing is current"
pgm "${L[@]}" upgrade +2
is "$RC" "0" "upgrade +2"
pgm "${L[@]}" upgrade head
pgm "${L[@]}" current
like "$OUT" "^004 \(head\)" "upgrade, downgrade, upgrade: back at 004"
pgm "${L[@]}" sql base --down
like "$OUT" "DROP TABLE" "sql base --down: the offline downgrade script"
pgm "${L[@]}" upgrade --sql
is "$RC" "0" "upgrade --sql at head"
pgm "${L[@]}" stamp 002
is "$RC" "0" "stamp 002"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "002" "stamp records 002 as current"
pgm "${L[@]}" stamp head
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "004" "stamp head"

# sync: message only, a changed applied body, a missing file
sed -i 's/^-- migrate:message extensions.*/-- migrate:message extensions (renamed)/' "$WORK/lg/001_extensions.sql"
pgm "${L[@]}" sync
is "$RC" "0" "sync: a changed message is fine"
is "$(q $db "SELECT message FROM migrate.revision WHERE id = '001'")" "extensions (renamed)" "and refreshed"
cp "$WORK/lg/003_documents_metadata.sql" "$WORK/003.bak"
echo "SELECT 1;" >>"$WORK/lg/003_documents_metadata.sql"
sed -i 's/^-- migrate:downgrade/SELECT 2;\n-- migrate:downgrade/' "$WORK/lg/003_documents_metadata.sql"
pgm "${L[@]}" upgrade
is "$RC" "1" "an applied revision whose file changed: exit 1"
like "$ERR" "the file of applied revision 003 differs from the version that ran \(.*003_documents_metadata.sql\); nothing was registered or run" "naming the file, before registering anything"
like "$ERR" "HINT:  Restore the file .*new revision.*--no-sync" "and the ways out in the hint"
cp "$WORK/003.bak" "$WORK/lg/003_documents_metadata.sql"
mv "$WORK/lg/004_signals_links_interactions.sql" "$WORK/004.bak"
pgm "${L[@]}" sync --json
is "$(json "d['sync']['missing'], d['sync']['missing_applied']")" "['004'] ['004']" "a deleted file is reported missing (and applied)"
mv "$WORK/004.bak" "$WORK/lg/004_signals_links_interactions.sql"
# a pending revision whose file was deleted is not run behind the user's back
revfile "$WORK/lg" 005 004 "CREATE TABLE gone_file (id int);" "DROP TABLE gone_file;"
pgm "${L[@]}" sync
is "$RC" "0" "sync registers 005"
rm "$WORK/lg/005_rev.sql"
pgm "${L[@]}" upgrade
is "$RC" "1" "upgrade: a pending revision with no file exits 1"
like "$ERR" "would run 1 revision that no file in .* declares: 005; nothing was run" "naming the revision"
like "$ERR" "HINT:  .*--allow-missing" "with the way out in the hint"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = '005'") $(q $db "SELECT to_regclass('gone_file') IS NULL")" "0 t" "and nothing ran"
pgm "${L[@]}" check
is "$RC" "0" "check: a pending revision without a file is a warning (exit 0)"
like "$OUT" "warning: pending revision \"005\" is registered but no file .* \[missing_file\]" "check reports it as missing_file"
pgm "${L[@]}" check --strict
is "$RC" "1" "check --strict fails on it"
pgm "${L[@]}" upgrade --allow-missing
is "$RC" "0" "upgrade --allow-missing runs the registered body"
is "$(q $db "SELECT to_regclass('gone_file') IS NOT NULL")" "t" "005 is applied"
pgm "${L[@]}" check
like "$OUT" "warning: applied revision \"005\" is registered but no file .* \[missing_file\]" "check reports an applied revision whose file was deleted (a warning)"
is "$RC" "0" "which does not fail check without --strict"
pgm "${L[@]}" downgrade 004
is "$RC" "0" "downgrade of a revision without a file uses its registered downgrade"
pgm "${L[@]}" sync --prune
is "$(q $db "SELECT count(*) FROM migrate.revision WHERE id = '005'")" "0" "sync --prune unregisters it"

# the client's checksum is the server's, on awkward content too: the second
# sync sends nothing
db=${P}checksum
newdb $db
mkdir -p "$WORK/ck"
printf '\xef\xbb\xbf-- migrate:revision ck1\r\n-- migrate:message CRLF, BOM \xc3\xa9\r\n-- migrate:upgrade\r\n\r\nSELECT 1;  \r\n\t\r\nSELECT 2;\t\r\n\r\n-- migrate:downgrade\r\nSELECT 3;\r\n' >"$WORK/ck/ck1_crlf.sql"
printf -- '-- migrate:revision ck2\n-- migrate:down_revision ck1\n-- migrate:upgrade\nSELECT 1;\rSELECT 2;\n\n\n' >"$WORK/ck/ck2_lone_cr.sql"
printf -- '-- migrate:revision ck3\n-- migrate:upgrade\nSELECT 3;\n-- migrate:downgrade\n' >"$WORK/ck/ck3_empty_down.sql"
printf -- '-- migrate:revision ck4\n-- migrate:down_revision  ck3 ,ck2\n-- migrate:branch_labels zeta, alpha\n-- migrate:depends_on ck1\n-- migrate:transactional FALSE\n-- migrate:upgrade\nSELECT \x27\xe2\x9c\x93\x27;\n' >"$WORK/ck/ck4_merge.sql"
pgm -D "$WORK/ck" -d $db sync
is "$RC" "0" "awkward files load"
pgm -D "$WORK/ck" -d $db sync --json
is "$(json "d['sync']['unchanged'], d['sync']['sent']")" "4 0" "the client computes the server's checksum (CRLF, BOM, lone CR, blanks, sets, UTF-8): nothing re-sent"

# ---------------------------------------------------------------- JSON
for c in current heads history status check "upgrade --dry-run" "sql" graph sync; do
    pgm "${L[@]}" $c --json
    printf '%s' "$OUT" | python3 -m json.tool >/dev/null 2>&1
    ok $? "--json of \"$c\" is valid JSON"
done
pgm "${L[@]}" status --json
is "$(json "d['command'], d['ok'], d['at_head'], d['current'], d['pending'], d['errors']")" "status True True ['004'] 0 0" "status --json: at head 004, nothing pending"
pgm "${L[@]}" history --json
is "$(json "[h['revision'] for h in d['history']], d['history'][0]['applied']")" "['001', '002', '003', '004'] True" "history --json: base first"
pgm "${L[@]}" upgrade nosuch --json
is "$RC" "1" "an unknown target: exit 1"
is "$(json "d['ok'], [x['sqlstate'] for x in d['diagnostics'] if x['severity'] == 'error']")" "False ['42704']" "its JSON carries ok=false and the SQLSTATE"
# control characters and non-ASCII survive the JSON writer
printf -- '-- migrate:revision j1\n-- migrate:message tab\there "quoted" back\\slash é ✓ \x01\n-- migrate:upgrade\nSELECT 1;\n' >"$WORK/j1_json.sql"
mkdir -p "$WORK/jd" && mv "$WORK/j1_json.sql" "$WORK/jd/"
pgm -D "$WORK/jd" graph --json
is "$(json "d['nodes'][0]['message']")" "$(printf 'tab\there "quoted" back\\slash é ✓ \x01')" "JSON strings escape tabs, quotes, backslashes and control characters, and keep UTF-8"

# ---------------------------------------------------------------- broken base
db=${P}broken
newdb $db
mkdir -p "$WORK/bb"
revfile "$WORK/bb" 2a3f4c9d1cde "" "CREATE TABLE boot (id int);" "DROP TABLE boot;"
mv "$WORK/bb/2a3f4c9d1cde_rev.sql" "$WORK/bb/189b1231afd4_bootstrap_tables.sql"
revfile "$WORK/bb" 7cce0565853d 189b1231afd4 "CREATE TABLE casc (id int);" "DROP TABLE casc;"
pgm -D "$WORK/bb" -d $db check
is "$RC" "1" "check: a base file declaring another id exits 1"
like "$OUT" "189b1231afd4_bootstrap_tables.sql: error: .*\[source_mismatch\]" "source_mismatch, with the file name"
like "$OUT" "7cce0565853d_rev.sql: error: .*189b1231afd4.*\[missing_parent\]" "missing_parent, with the file name"
pgm -D "$WORK/bb" -d $db check --offline
is "$RC" "1" "check --offline finds it without a database"
like "$OUT" "189b1231afd4_bootstrap_tables.sql: error: .*\[source_mismatch\]" "the same source_mismatch"
pgm -D "$WORK/bb" -d $db check --json
is "$(json "d['valid'], sorted(set(f['code'] for f in d['findings'] if f['severity'] == 'error'))")" "False ['missing_parent', 'source_mismatch']" "check --json: the findings"
pgm -D "$WORK/bb" -d $db upgrade
is "$RC" "1" "upgrade refuses a chain with errors (exit 1)"
like "$ERR" "nothing was run" "before running anything"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "0" "nothing is applied"
printf -- '-- migrate:revision x1\n-- migrate:down_revison 2a3f4c9d1cde\n-- migrate:upgrade\nSELECT 1;\n' >"$WORK/bb/x1_typo.sql"
pgm -D "$WORK/bb" -d $db check
is "$RC" "1" "a malformed header: exit 1"
like "$OUT" "x1_typo.sql:2: error: unknown directive \"-- migrate:down_revison\"" "reported as file:line"
pgm -D "$WORK/bb" -d $db upgrade
is "$RC" "1" "upgrade with a malformed file: exit 1"
like "$ERR" "x1_typo.sql:2: error" "file:line before connecting"

# ---------------------------------------------------------------- two heads, merge
db=${P}merge
newdb $db
mkdir -p "$WORK/mg"
M=(-D "$WORK/mg" -d $db)
pgm "${M[@]}" revision -m "create users" --rev-id m1
is "$RC" "0" "revision: a first revision"
is "$OUT" "$WORK/mg/m1_create_users.sql" "named <id>_<slug>.sql"
printf 'CREATE TABLE users (id int);\n' >"$WORK/m1.up"
sed -i "/^-- migrate:upgrade/r $WORK/m1.up" "$WORK/mg/m1_create_users.sql"
pgm "${M[@]}" revision -m "add email" --rev-id m2a
like "$(cat "$WORK/mg/m2a_add_email.sql")" "down_revision m1" "the next revision's parent is the head"
pgm "${M[@]}" revision -m "add phone" --rev-id m2b --head m1
is "$RC" "0" "a second child of m1 (--head)"
pgm "${M[@]}" revision -m "third"
is "$RC" "1" "revision with two heads and no --merge: exit 1"
like "$ERR" "there are 2 heads \(m2a, m2b\)" "naming the heads"
pgm "${M[@]}" heads
is "$(printf '%s\n' "$OUT" | wc -l)" "2" "heads: two heads"
pgm "${M[@]}" check
like "$OUT" "warning: 2 heads: m2a, m2b \[multiple_heads\]" "check warns about two heads"
is "$RC" "0" "a warning alone does not fail check"
pgm "${M[@]}" check --strict
is "$RC" "1" "but does with --strict"
pgm "${M[@]}" revision --merge -m "merge email and phone" --rev-id m3
is "$RC" "0" "revision --merge"
like "$(cat "$WORK/mg/m3_merge_email_and_phone.sql")" "down_revision m2a, m2b" "the merge names both heads"
pgm "${M[@]}" heads
is "$OUT" "m3 (head) (mergepoint) (pending) (not registered), merge email and phone" "one head again (read from the files: not registered yet)"
pgm "${M[@]}" upgrade
is "$RC" "0" "the merged chain upgrades"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "m3" "to the merge"
pgm "${M[@]}" graph
like "$OUT" "\"m2a\" -> \"m3\";" "graph: DOT edges"
like "$OUT" "\"m3\" \[label=\"m3 \(current\)\\\\nmerge email and phone\", peripheries=2" "the head drawn double, marked current (a database was named)"
pgm "${M[@]}" graph --mermaid
like "$OUT" "^flowchart TD" "graph --mermaid"
like "$OUT" "n[0-9]+ --> n[0-9]+" "with edges"

# ---------------------------------------------------------------- racing upgrades
db=${P}race
newdb $db
q $db "CREATE TABLE public.apply_log (revision text, pid int)" >/dev/null
mkdir -p "$WORK/race"
prev=""
for i in $(seq -w 1 40); do
    revfile "$WORK/race" "r$i" "$prev" \
        "CREATE TABLE t_$i (id int); INSERT INTO public.apply_log VALUES ('r$i', pg_backend_pid()); SELECT pg_sleep(0.005);" \
        "DROP TABLE t_$i;"
    prev="r$i"
done
for s in 1 2 3 4; do
    "$PG_MIGRATE" -D "$WORK/race" -d $db upgrade >"$WORK/race.$s.out" 2>"$WORK/race.$s.err" &
    pids[$s]=$!
done
rfails=0
for s in 1 2 3 4; do wait "${pids[$s]}" || rfails=$((rfails + 1)); done
is "$rfails" "0" "four pg_migrate upgrade processes at once all succeed"
is "$(q $db "SELECT count(*) || ' ' || count(DISTINCT revision) FROM public.apply_log")" "40 40" "each of the 40 revisions ran exactly once"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "40" "40 revisions recorded as applied"
is "$(grep -l "40 revisions applied" "$WORK"/race.[1-4].out | wc -l)" "1" "one process applied them, the others found nothing left"

# ---------------------------------------------------------------- CREATE INDEX CONCURRENTLY
db=${P}cic
newdb $db
mkdir -p "$WORK/cic"
revfile "$WORK/cic" c1 "" "CREATE TABLE big (id int, v text); INSERT INTO big SELECT g, g::text FROM generate_series(1, 20000) g;" "DROP TABLE big;"
revfile "$WORK/cic" c2 c1 "CREATE INDEX CONCURRENTLY big_v ON big (v);" "DROP INDEX CONCURRENTLY big_v;" "-- migrate:transactional false"
revfile "$WORK/cic" c3 c2 "CREATE TABLE after_c2 (id int);" "DROP TABLE after_c2;"
pgm -D "$WORK/cic" -d $db upgrade
is "$RC" "0" "upgrade runs a CREATE INDEX CONCURRENTLY revision"
like "$ERR" "\[2/3\] applying c2" "with progress"
is "$(q $db "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass")" "t" "the concurrent index is valid"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "c3" "and the chain is at c3"
revfile "$WORK/cic" c4 c3 "CREATE UNIQUE INDEX CONCURRENTLY big_dup ON big ((id % 2));" "DROP INDEX CONCURRENTLY big_dup;" "-- migrate:transactional false"
pgm -D "$WORK/cic" -d $db upgrade
is "$RC" "1" "a failed concurrent build: exit 1"
like "$ERR" "could not create unique index \"big_dup\" \(SQLSTATE 23505\)" "the server's error with its SQLSTATE"
like "$ERR" "DETAIL:  Key" "its detail"
like "$ERR" "INVALID index public.big_dup on public.big" "the INVALID index it left"
like "$ERR" "DROP INDEX CONCURRENTLY public.big_dup;" "and how to clean it"
like "$OUT" "upgrade failed at revision c4" "the failing revision is named"
pgm -D "$WORK/cic" -d $db upgrade --json
is "$(json "d['ok'], d['failed_revision'], d['invalid_indexes']")" "False c4 ['public.big_dup']" "upgrade --json: the failed revision and the INVALID index"
q $db "DROP INDEX big_dup" >/dev/null
pgm -D "$WORK/cic" -d $db downgrade c1
is "$RC" "0" "downgrade through a non-transactional revision"
is "$(q $db "SELECT to_regclass('big_v') IS NULL")" "t" "its index is dropped"

# ---------------------------------------------------------------- adopt alembic
db=${P}alembic
newdb $db
mkdir -p "$WORK/al"
revfile "$WORK/al" ae1027a6acf "" "CREATE TABLE accounts (id int);" "DROP TABLE accounts;"
revfile "$WORK/al" 27c6a30d7c24 ae1027a6acf "CREATE TABLE orders (id int);" "DROP TABLE orders;"
revfile "$WORK/al" 3f4a92b1c0de 27c6a30d7c24 "CREATE TABLE invoices (id int);" "DROP TABLE invoices;"
q $db "CREATE TABLE accounts (id int); CREATE TABLE orders (id int);
       CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
       INSERT INTO alembic_version VALUES ('27c6a30d7c24')" >/dev/null
pgm -D "$WORK/al" -d $db adopt alembic --dry-run
like "$OUT" "would stamp 27c6a30d7c24" "adopt alembic --dry-run"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "0" "stamps nothing"
pgm -D "$WORK/al" -d $db adopt alembic
is "$RC" "0" "adopt alembic"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "27c6a30d7c24" "stamps the revision alembic_version records"
pgm -D "$WORK/al" -d $db upgrade
is "$RC" "0" "then upgrade"
like "$OUT" "1 revision applied" "runs only what Alembic had not"
pgm -D "$WORK/al" -d $db adopt alembic
like "$OUT" "nothing to do" "adopt again: nothing to do"
q $db "UPDATE alembic_version SET version_num = 'feedbeef0001'" >/dev/null
pgm -D "$WORK/al" -d $db adopt alembic --force
is "$RC" "1" "an Alembic id with no file: exit 1"
like "$ERR" "feedbeef0001, which no revision file declares" "naming it"

# ---------------------------------------------------------------- fleets
for d in a b c; do newdb "${P}fleet_$d"; done
q "${P}fleet_b" "CREATE TABLE t_02 (id int)" >/dev/null
mkdir -p "$WORK/fl"
revfile "$WORK/fl" f01 "" "CREATE TABLE t_01 (id int);" "DROP TABLE t_01;"
revfile "$WORK/fl" f02 f01 "CREATE TABLE t_02 (id int);" "DROP TABLE t_02;"
pgm -D "$WORK/fl" upgrade --each-db "${P}fleet_*" -j 2
is "$RC" "1" "a fleet with a failing database exits 1"
is "$(printf '%s\n' "$OUT" | grep -cE "^(ok|FAILED) ")" "3" "one summary line per database"
like "$OUT" "FAILED +${P}fleet_b +revision f02: relation \"t_02\" already exists \(SQLSTATE 42P07\)" "the failure, with revision and SQLSTATE"
like "$OUT" "ok +${P}fleet_a +2 revisions applied" "the others succeed"
is "$(q "${P}fleet_c" "SELECT string_agg(c, ',') FROM migrate.current() c")" "f02" "and are at head"
printf '# fleet\ndbname=%s\n\n  dbname=%s  \n' "${P}fleet_a" "${P}fleet_c" >"$WORK/fleet.txt"
pgm -D "$WORK/fl" status --db-file "$WORK/fleet.txt" --json
is "$RC" "0" "--db-file: status of two databases"
is "$(json "d['databases'], d['failed'], [r['result']['at_head'] for r in d['results']]")" "2 0 [True, True]" "fleet --json holds every database's document"
printf 'dbname=%s\ndbname=%s\n' "${P}fleet_a" "${P}fleet_a" >"$WORK/fleet2.txt"
pgm -D "$WORK/fl" upgrade --db-file "$WORK/fleet2.txt"
is "$RC" "2" "a fleet file with a repeated line: exit 2"
like "$ERR" "fleet2.txt:2: error: the same connection string as line 1" "reported as file:line"

# ---------------------------------------------------------------- 1,000 files
db=${P}thousand
newdb $db
mkdir -p "$WORK/k"
python3 - "$WORK/k" <<'EOF'
import os, sys
d = sys.argv[1]
prev = None
for i in range(1, 1001):
    rid = 'k%04d' % i
    with open(os.path.join(d, rid + '_table.sql'), 'w') as f:
        f.write('-- migrate:revision %s\n' % rid)
        if prev:
            f.write('-- migrate:down_revision %s\n' % prev)
        f.write('-- migrate:message table %d\n-- migrate:upgrade\n'
                'CREATE TABLE t_%d (id int PRIMARY KEY, v text);\n'
                '-- migrate:downgrade\nDROP TABLE t_%d;\n' % (i, i, i))
    prev = rid
EOF
pgm -D "$WORK/k" -d $db sync
is "$RC" "0" "1,000 new files load"
start=$(date +%s%N)
pgm -D "$WORK/k" -d $db sync --json
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
is "$(json "d['sync']['unchanged'], d['sync']['sent']")" "1000 0" "1,000 unchanged files: none is sent"
ok_if "$ms < 1000" "and the whole sync takes well under a second (${ms} ms)"

done_testing

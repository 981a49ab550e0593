#!/usr/bin/env bash
# pg_migrate's read-only commands write nothing, and no edited file is a
# dead end (issue 14, items 3 and 5):
#   - status, history, heads, current, check, sql, graph, show, branches,
#     adopt --dry-run, lint and upgrade/downgrade --dry-run leave the
#     catalog as it was (revisions, registration
#     times, the catalog generation); they compare the files with the
#     database in memory and say what differs; only upgrade, downgrade,
#     stamp, sync and adopt register;
#   - "status" from another service's folder registers nothing, and its
#     exit status and message say the files differ;
#   - an applied revision's file edited by mistake: upgrade refuses with
#     the ways out, downgrade runs the registered body and says the file
#     differs, check reports it; a deleted file of an applied revision is
#     reported by check; an empty upgrade body is a check warning.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
P=${PGM_PREFIX:-pgm_ro_}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; for d in ${P}a ${P}b; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT
source "$HERE/pgm.bash"
# everything a registration would change
catalog() {
    q "$1" "SELECT count(*) || ' ' || coalesce(string_agg(id || '=' || checksum || '@' || registered_at || '/' || coalesce(source, ''), ',' ORDER BY id), '-')
              || ' applied ' || (SELECT count(*) FROM migrate.applied)
              || ' runs ' || (SELECT count(*) FROM migrate.run)
              FROM migrate.revision"
}
# the catalog's generation: check registers files in a transaction it rolls
# back (the server judges their bodies), which takes a number of it
generation() { q "$1" "SELECT last_value FROM migrate.catalog_generation"; }

db=${P}a
fresh_db $db
mkdir -p "$WORK/app" "$WORK/other"
cp "$ROOT"/examples/lifegraph/*.sql "$WORK/app/"
A=(-D "$WORK/app" -d $db)
pgm "${A[@]}" upgrade 003
is "$RC" "0" "the service's files are registered and applied up to 003"

# another service's folder: one revision of its own
printf -- '-- migrate:revision svc_0001\n-- migrate:message billing tables\n-- migrate:upgrade\nCREATE TABLE billing (id int);\n-- migrate:downgrade\nDROP TABLE billing;\n' >"$WORK/other/svc_0001_billing.sql"
O=(-D "$WORK/other" -d $db)
before=$(catalog $db)
pgm "${O[@]}" status
is "$RC" "1" "status from another service's folder exits 1"
like "$OUT" "files: +differ from the database: 1 not registered" "and says the files differ from the database"
like "$ERR" "not registered +svc_0001 \(svc_0001_billing.sql\)" "naming the file that is not registered"
like "$ERR" "no file +001 \(registered and applied; no file\)" "and the registered revisions with no file"
like "$ERR" "status only reads: nothing was registered" "saying it registered nothing"
is "$(catalog $db)" "$before" "the catalog is untouched"
pgm "${O[@]}" status --json
is "$(json "d['ok'], d['files']['differ'], d['files']['not_registered'], d['files']['no_file_applied']")" \
   "False True ['svc_0001'] ['001', '002', '003']" "status --json: ok is false, and the files' differences"

# every read-only command, from both folders: nothing written
for dir in app other; do
    D=(-D "$WORK/$dir" -d $db)
    for c in status history "history -v" "history -r 001:003" heads "heads -v" current check "check --strict" \
             "sql" "sql head" "graph" "graph --mermaid" "show 002" "branches" "adopt alembic --dry-run" \
             lint "lint heads" "upgrade --dry-run" "upgrade heads --dry-run" "downgrade 001 --dry-run"; do
        gen=$(generation $db)
        "$PG_MIGRATE" "${D[@]}" $c >/dev/null 2>&1
        is "$(catalog $db)" "$before" "\"$c\" from the $dir folder writes nothing"
        # check, lint and dry runs register the files in a transaction they
        # roll back (the server judges them): that takes a generation number
        case $c in check*|lint*|*--dry-run) ;; *) is "$(generation $db)" "$gen" "\"$c\" from the $dir folder does not even touch the catalog's generation" ;; esac
    done
done

# lint and upgrade --dry-run from another service's folder that declares
# an id this database has registered (pending) with other content: they
# used to register the folder (two heads, "revision 004 replaced")
mkdir -p "$WORK/other2"
cp "$WORK/other/svc_0001_billing.sql" "$WORK/other2/"
printf -- '-- migrate:revision svc_0002\n-- migrate:down_revision svc_0001\n-- migrate:message more\n-- migrate:upgrade\nCREATE TABLE billing2 (id int);\n' >"$WORK/other2/svc_0002_more.sql"
printf -- '-- migrate:revision 004\n-- migrate:down_revision 003\n-- migrate:message other 004\n-- migrate:upgrade\nCREATE TABLE zzz (id int);\n' >"$WORK/other2/004_other.sql"
O2=(-D "$WORK/other2" -d $db)
rows() { q "$1" "SELECT count(*) || ' ' || md5(coalesce(string_agg(r::text, '|' ORDER BY project, id), '')) FROM migrate.revision r"; }
rows_before=$(rows $db)
pgm "${O2[@]}" lint
is "$(rows $db)" "$rows_before" "lint from another service's folder: migrate.revision unchanged (count and md5 of the rows)"
like "$ERR" "lint only reads: nothing was registered" "lint says it registered nothing"
pgm "${O2[@]}" upgrade --dry-run
is "$(rows $db)" "$rows_before" "upgrade --dry-run from another service's folder: migrate.revision unchanged"
like "$ERR" "upgrade --dry-run only reads: nothing was registered" "upgrade --dry-run says it registered nothing"
[ -n "$OUT$ERR" ] && echo "$OUT$ERR" | sed 's/^/# /' | head -12
pgm "${O2[@]}" upgrade svc_0002 --dry-run
is "$RC" "0" "upgrade svc_0002 --dry-run plans with the folder's files (registered only for the dry run)"
like "$OUT" "would apply 1/2: svc_0001.*would apply 2/2: svc_0002" "and lists their plan"
is "$(rows $db)" "$rows_before" "and registers nothing"
is "$(catalog $db)" "$before" "the catalog is as before"

# the files of this service, a pending one not registered: read, then registered by sync
revfile() {
    printf -- '-- migrate:revision %s\n-- migrate:down_revision %s\n-- migrate:message %s\n-- migrate:upgrade\n%s\n-- migrate:downgrade\n%s\n' \
        "$2" "$3" "$4" "$5" "$6" >"$1/$2_rev.sql"
}
revfile "$WORK/app" 005 004 "notes" "CREATE TABLE notes (id int);" "DROP TABLE notes;"
pgm "${A[@]}" history
like "$OUT" "004 -> 005 \(head\) \(pending\) \(not registered\), notes" "history shows the new file, marked not registered"
like "$OUT" "002 -> 003 \(current\)" "and the applied state of the database"
pgm "${A[@]}" heads
is "$OUT" "005 (head) (pending) (not registered), notes" "heads reads the files' head"
pgm "${A[@]}" status
like "$OUT" "pending: +2 \(1 not registered yet\)" "status counts the pending revisions, the new file included"
is "$(catalog $db)" "$before" "still nothing registered"
pgm "${A[@]}" sync
is "$RC" "0" "sync registers"
like "$ERR" "1 new" "the new file"
is "$(q $db "SELECT count(*) FROM migrate.revision WHERE id = '005'")" "1" "005 is registered now"
pgm "${A[@]}" status
is "$RC" "0" "status: the files and the database agree again (exit 0)"

# -------------------------------------------------------- an applied file edited
cp "$WORK/app/003_documents_metadata.sql" "$WORK/003.orig"
sed -i 's/^CREATE INDEX documents_issued_on_idx.*/CREATE INDEX documents_issued_on_idx ON documents (issued_on);/' "$WORK/app/003_documents_metadata.sql"
sed -i 's/^DROP INDEX documents_issued_on_idx;/DROP INDEX documents_issued_on_idx; -- edited/' "$WORK/app/003_documents_metadata.sql"
pgm "${A[@]}" check
is "$RC" "1" "check: an applied revision's file edited exits 1"
like "$OUT" "003_documents_metadata.sql: error: the file of applied revision \"003\" differs from the version that ran.*\[applied_file_changed\]" \
     "check reports the edit, with the file"
pgm "${A[@]}" status
is "$RC" "1" "status says the files differ (exit 1)"
like "$OUT" "1 changed" "one changed"
pgm "${A[@]}" history
is "$RC" "0" "history still works"
like "$OUT" "002 -> 003 \(current\) \(file differs from what was applied\)" "and marks the edited revision"
pgm "${A[@]}" upgrade
is "$RC" "1" "upgrade refuses the edit (exit 1)"
like "$ERR" "the file of applied revision 003 differs from the version that ran" "saying which file"
like "$ERR" "HINT:  Restore the file \(git checkout -- FILE\), or put the change in a new revision \(pg_migrate revision\).*--no-sync" \
     "and the ways out, --no-sync among them"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "3" "nothing ran"
pgm "${A[@]}" upgrade --no-sync
is "$RC" "0" "upgrade --no-sync runs with the registered revisions"
like "$OUT" "2 revisions applied" "(004 and 005, registered before)"
pgm "${A[@]}" downgrade 002
is "$RC" "0" "downgrade through the edited revision works"
like "$ERR" "warning: the file of applied revision 003 differs from the version that ran .*: the database keeps that version" \
     "and says the file differs"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "002" "now at 002"
is "$(q $db "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'documents_%_idx'")" "0" "the registered downgrade ran (its indexes are gone)"
pgm "${A[@]}" sync
is "$RC" "0" "003 is not applied any more: sync registers the edited file"
like "$ERR" "1 changed" "as a change"
cp "$WORK/003.orig" "$WORK/app/003_documents_metadata.sql"
pgm "${A[@]}" upgrade
is "$RC" "0" "the file restored: upgrade registers it again and applies"
pgm "${A[@]}" downgrade -1
is "$RC" "0" "downgrade -1"
# sync on its own: registers the rest, fails on the edited applied file
sed -i 's/^CREATE INDEX documents_issued_on_idx.*/CREATE INDEX documents_issued_on_idx ON documents (issued_on);/' "$WORK/app/003_documents_metadata.sql"
revfile "$WORK/app" 006 005 "more notes" "CREATE TABLE notes2 (id int);" "DROP TABLE notes2;"
pgm "${A[@]}" sync
is "$RC" "1" "sync with an edited applied file exits 1"
like "$ERR" "1 new" "after registering the rest"
is "$(q $db "SELECT count(*) FROM migrate.revision WHERE id = '006'")" "1" "006 is registered"
like "$ERR" "error: the file of applied revision 003 differs" "and names the edited file"
cp "$WORK/003.orig" "$WORK/app/003_documents_metadata.sql"

# -------------------------------------------------------- a deleted file, an empty body
pgm "${A[@]}" upgrade 004
mv "$WORK/app/004_signals_links_interactions.sql" "$WORK/004.bak"
pgm "${A[@]}" check
like "$OUT" "warning: applied revision \"004\" is registered but no file in .* declares it.*\[missing_file\]" \
     "check reports the deleted file of an applied revision"
mv "$WORK/004.bak" "$WORK/app/004_signals_links_interactions.sql"
revfile "$WORK/app" 007 006 "forgot the body" "-- TODO" "SELECT 1;"
pgm "${A[@]}" check
is "$RC" "0" "an empty upgrade body does not fail check"
like "$OUT" "007_rev.sql:4: warning: the upgrade section of revision \"007\" has no statement.*\[empty_upgrade\]" \
     "but is a warning, with its file and line"
is "$(grep -c 'empty_upgrade' <<<"$OUT")" "1" "once: the server's validate() says the same and is not repeated"
pgm "${A[@]}" check --offline
like "$OUT" "warning: .*\[empty_upgrade\]" "check --offline too"
pgm "${A[@]}" check --strict
is "$RC" "1" "and check --strict fails on it"
rm "$WORK/app/007_rev.sql"

# -------------------------------------------------------- a read-only role
q $db "CREATE ROLE ${P}reader LOGIN PASSWORD '${PGPASSWORD:-x}'" >/dev/null 2>&1
pgm -D "$WORK/app" -d "dbname=$db user=${P}reader" history
is "$RC" "0" "a role that may not register reads the history with the files compared"
[ "$RC" = 0 ] || echo "# $ERR"
like "$OUT" "005 -> 006 \(head\) \(pending\)" "(006, registered by sync)"
q $db "DROP ROLE ${P}reader" >/dev/null 2>&1

done_testing

#!/usr/bin/env bash
# pg_migrate on a deploy that changed nothing (issue 15, item 6): one
# round trip, migrate.registry_digest compared with the digest of the
# files, answers "nothing to upgrade" and "N unchanged" without reading the
# registry; and whatever differs (an edited body, a message, a file name, a
# new file, a deleted one, a pending revision, a checksum the role may not
# read) still takes the long way and is reported as before.  An edited
# file is always detected: the digest covers each file's checksum, and a
# body with other trailing blanks only is the same revision.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
P=${PGM_PREFIX:-pgm_noop_}
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
WORK=$(mktemp -d)
source "$HERE/pgm.bash"
db=${P}db
trap 'rm -rf "$WORK"; dropdb --if-exists "$db" >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS ${P}reader" >/dev/null 2>&1' EXIT
revfile() {   # revfile <id> <parent> <body> [message]
    {
        echo "-- migrate:revision $1"
        [ -n "$2" ] && echo "-- migrate:down_revision $2"
        echo "-- migrate:message ${4:-table $1}"
        echo "-- migrate:upgrade"
        echo "$3"
        echo "-- migrate:downgrade"
        echo "DROP TABLE t$1;"
    } >"$WORK/m/$1_t.sql"
}
# calls of a function by this database's backends since the last reset
# (track_functions = all), once the client's backend has reported them
calls() {
    local n
    for _ in $(seq 1 40); do
        n=$(q "$db" "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
                      WHERE schemaname = 'migrate' AND funcname = '$1'")
        [ "$n" -ge "${2:-0}" ] && break
        sleep 0.05
    done
    echo "$n"
}
# reset them once every earlier client's backend has gone (a backend
# reports its calls when it exits, which may be after its client has)
reset_calls() {
    for _ in $(seq 1 40); do
        [ "$(q "$db" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = "0" ] && break
        sleep 0.05
    done
    q "$db" "SELECT pg_stat_reset()" >/dev/null
}
M=(-D "$WORK/m" -d "$db")

mkdir -p "$WORK/m"
fresh_db "$db"
q "$db" "ALTER DATABASE $db SET track_functions = 'all'" >/dev/null
revfile 001 "" "CREATE TABLE t001 (id int);"
revfile 002 001 "CREATE TABLE t002 (id int);"
revfile 003 002 "CREATE TABLE t003 (id int);"
pgm "${M[@]}" upgrade
is "$RC|$OUT" "0|upgrade to head: 3 revisions applied in ${OUT##*applied in }" "three files registered and applied"

# ------------------------------------------------------------- nothing changed
reset_calls
pgm "${M[@]}" upgrade
is "$RC|$OUT" "0|nothing to upgrade: at 003" "upgrade with nothing changed: nothing to upgrade"
like "$ERR" "^sync .*: 3 files, 0 new, 0 changed, 3 unchanged \(" "the sync's line as before"
is "$(calls registry_digest 1)" "1" "one call of registry_digest"
is "$(calls may_read_private)" "0" "and no read of the registry (migrate.revision_checksum calls may_read_private per row)"
is "$(calls plan)|$(calls validate)|$(calls current)|$(calls upgrade)" "0|0|0|0" "nor of validate, current, plan or upgrade"
pgm "${M[@]}" sync
is "$RC" "0" "sync with nothing changed"
like "$ERR" "^sync .*: 3 files, 0 new, 0 changed, 3 unchanged \(" "3 unchanged"
pgm "${M[@]}" sync --json
is "$RC|$(printf '%s' "$OUT" | python3 -c "import json,sys; s=json.load(sys.stdin)['sync']; print(s['files'], s['unchanged'], s['sent'], s['new'], s['missing'])")" \
   "0|3 3 0 [] []" "sync --json: 3 files, 3 unchanged, none sent"

# trailing blanks and CRLF are not a change (the checksum normalises them)
sed -i 's/^CREATE TABLE t002 (id int);$/CREATE TABLE t002 (id int);   \r/' "$WORK/m/002_t.sql"
reset_calls
pgm "${M[@]}" upgrade
is "$RC|$OUT" "0|nothing to upgrade: at 003" "trailing blanks only: nothing to upgrade"
is "$(calls registry_digest 1)|$(calls may_read_private)" "1|0" "answered by the digest alone"

# ------------------------------------------------------------- an applied file edited
cp "$WORK/m/002_t.sql" "$WORK/002.keep"
sed -i 's/^CREATE TABLE t002 (id int);.*$/CREATE TABLE t002 (id bigint);/' "$WORK/m/002_t.sql"
pgm "${M[@]}" upgrade
is "$RC" "1" "an edited applied file: upgrade refuses"
like "$ERR" "the file of applied revision 002 differs from the version that ran" "naming it"
pgm "${M[@]}" sync
is "$RC" "1" "sync reports it too"
cp "$WORK/002.keep" "$WORK/m/002_t.sql"
pgm "${M[@]}" upgrade
is "$RC|$OUT" "0|nothing to upgrade: at 003" "restored: nothing to upgrade"

# ------------------------------------------------------------- a message, a file name
revfile 003 002 "CREATE TABLE t003 (id int);" "the third table"
reset_calls
pgm "${M[@]}" sync
is "$RC" "0" "a new message: sync"
ok_if "$(calls may_read_private 1) > 0" "which takes the long way (reads the registry)"
is "$(q "$db" "SELECT message FROM migrate.revision WHERE id = '003'")" "the third table" "the message was refreshed"
mv "$WORK/m/003_t.sql" "$WORK/m/003_third.sql"
pgm "${M[@]}" sync
like "$ERR" "1 renamed" "a renamed file: sync says so"
is "$(q "$db" "SELECT source FROM migrate.revision WHERE id = '003'")" "003_third.sql" "and records the new name"
reset_calls
pgm "${M[@]}" upgrade
is "$RC|$OUT|$(calls registry_digest 1)|$(calls may_read_private)" "0|nothing to upgrade: at 003|1|0" \
   "then the digest answers again"

# ------------------------------------------------------------- new, pending, missing
revfile 004 003 "CREATE TABLE t004 (id int);"
pgm "${M[@]}" sync
like "$ERR" "1 new" "a new file: registered"
pgm "${M[@]}" upgrade
is "$RC|$OUT" "0|upgrade to head: 1 revision applied in ${OUT##*applied in }" "a registered, pending revision: applied"
pgm "${M[@]}" upgrade
is "$RC|$OUT" "0|nothing to upgrade: at 004" "then nothing to upgrade"
mv "$WORK/m/004_t.sql" "$WORK/004.keep"
pgm "${M[@]}" sync
like "$ERR" "1 missing" "a deleted file: missing"
pgm "${M[@]}" upgrade
is "$RC" "0" "upgrade with a registered revision that has no file"
like "$OUT" "nothing to upgrade: at 004" "and nothing pending"
mv "$WORK/004.keep" "$WORK/m/004_t.sql"

# ------------------------------------------------------------- another role
pw=noop_pw_$$
q "$db" "CREATE ROLE ${P}reader LOGIN PASSWORD '$pw';
         GRANT EXECUTE ON FUNCTION migrate.add_file(text, text, text) TO ${P}reader" >/dev/null
is "$(PGUSER=${P}reader PGPASSWORD=$pw psql -X -q -A -t -d "$db" -c "SELECT migrate.registry_digest() IS NULL")" "t" \
   "registry_digest() is NULL for a role that may not read the checksums"
PGUSER=${P}reader PGPASSWORD=$pw pgm -D "$WORK/m" -d "$db" upgrade
is "$RC|$OUT" "0|nothing to upgrade: at 004" "that role's upgrade takes the long way to the same answer"

done_testing

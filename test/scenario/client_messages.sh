#!/usr/bin/env bash
# pg_migrate's messages tell the truth (issue 14, item 6):
#   - a non-transactional revision that fails after statements of it
#     committed says which committed and what to do, instead of "nothing
#     was applied" (the column it added stays);
#   - the extension's hints that name SQL functions read as pg_migrate
#     commands ("Use pg_migrate upgrade +1.", "pg_migrate history lists
#     ...", "use pg_migrate stamp");
#   - the lock-wait DETAIL is two sentences;
#   - the sync summary shows a renamed file;
#   - a connection lost during a run: the client connects again and reads
#     the state it reports, or says the state is unknown and how to see it,
#     never "still at base" on a guess; "no connection to the server" once;
#   - the hints that name the project in SQL (migrate.run WHERE project =
#     ..., migrate.upgrade('head', 'other')) read as commands too.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
P=${PGM_PREFIX:-pgm_msg_}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; for d in ${P}a ${P}b ${P}c ${P}d ${P}e; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT
source "$HERE/pgm.bash"
# nfile DIR ID PARENT TRANSACTIONAL: the upgrade body on stdin
nfile() {
    {
        echo "-- migrate:revision $2"
        [ -n "$3" ] && echo "-- migrate:down_revision $3"
        echo "-- migrate:transactional $4"
        echo "-- migrate:upgrade"
        cat
    } >"$1/$2_rev.sql"
}

# ------------------------------------------------------------- what committed
db=${P}a
fresh_db $db
mkdir -p "$WORK/nt"
printf -- '-- migrate:revision n0\n-- migrate:upgrade\nCREATE TABLE accounts (id int);\n-- migrate:downgrade\nDROP TABLE accounts;\n' >"$WORK/nt/n0_rev.sql"
nfile "$WORK/nt" n1 n0 false <<'EOF'
ALTER TABLE accounts ADD COLUMN email text;
CREATE INDEX CONCURRENTLY accounts_email ON accounts (email);
SELECT 1 / 0;
EOF
N=(-D "$WORK/nt" -d $db)
pgm "${N[@]}" upgrade
is "$RC" "1" "a non-transactional revision failing at its third statement: exit 1"
like "$ERR" "division by zero \(SQLSTATE 22012\)" "the server's error"
like "$OUT" "upgrade failed at revision n1 after 1 of 2 revisions \(committed one by one\); now at n0" "what was recorded"
like "$OUT" "statements 1 to 2 of revision n1 committed before statement 3 failed \(a non-transactional revision commits each statement\) and stay; n1 is not recorded as applied" \
     "which statements committed"
like "$OUT" "before running it again, undo what they did, or make n1's statements safe to repeat" "and what to do"
unlike() { if [[ "$1" =~ $2 ]]; then ok 1 "$3"; else ok 0 "$3"; fi; }
unlike "$OUT" "nothing was applied" "it does not claim that nothing was applied"
is "$(q $db "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'")" "1" "(the column did stay)"
# failing at its second statement (an ordinary one)
fresh_db ${P}b
nfile "$WORK/nt" n1 n0 false <<'EOF'
ALTER TABLE accounts ADD COLUMN email text;
ALTER TABLE accounts ADD COLUMN email text;
EOF
pgm -D "$WORK/nt" -d ${P}b upgrade
like "$OUT" "statement 1 of revision n1 committed before statement 2 failed .* and stays; n1 is not recorded as applied" \
     "one statement committed: said in the singular"
# failing at a statement that runs at top level (CREATE INDEX CONCURRENTLY)
fresh_db ${P}e
nfile "$WORK/nt" n1 n0 false <<'EOF'
ALTER TABLE accounts ADD COLUMN email text;
INSERT INTO accounts VALUES (1, 'a'), (2, 'a');
CREATE UNIQUE INDEX CONCURRENTLY accounts_email ON accounts (email);
EOF
pgm -D "$WORK/nt" -d ${P}e upgrade
like "$ERR" "CONTEXT:  non-transactional upgrade body of revision \"n1\", run at top level, statement 3" \
     "a statement run at top level is named in the context"
like "$OUT" "statements 1 to 2 of revision n1 committed before statement 3 failed" "and the client says what committed"
like "$ERR" "INVALID index public.accounts_email" "with the INVALID index it left"
# failing at its first statement: nothing of it committed
fresh_db ${P}c
nfile "$WORK/nt" n1 n0 false <<'EOF'
SELECT 1 / 0;
ALTER TABLE accounts ADD COLUMN email text;
EOF
pgm -D "$WORK/nt" -d ${P}c upgrade
unlike "$OUT" "committed before" "failing at its first statement, nothing of the revision committed"
# a transactional revision: nothing of it stays
nfile "$WORK/nt" n1 n0 true <<'EOF'
ALTER TABLE accounts ADD COLUMN phone text;
SELECT 1 / 0;
EOF
pgm -D "$WORK/nt" -d ${P}c upgrade
like "$OUT" "upgrade failed at revision n1: nothing was applied; still at n0" "a transactional revision: nothing was applied"
is "$(q ${P}c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'phone'")" "0" "(true)"

# ------------------------------------------------------------- hints as commands
db=${P}d
fresh_db $db
mkdir -p "$WORK/h"
printf -- '-- migrate:revision h1\n-- migrate:upgrade\nCREATE TABLE h1 (id int);\n-- migrate:downgrade\nDROP TABLE h1;\n' >"$WORK/h/h1_rev.sql"
printf -- '-- migrate:revision h2\n-- migrate:down_revision h1\n-- migrate:upgrade\nCREATE TABLE h2 (id int);\n' >"$WORK/h/h2_rev.sql"
H=(-D "$WORK/h" -d $db)
pgm "${H[@]}" upgrade h1
pgm "${H[@]}" downgrade +1
is "$RC" "1" "downgrade +1: exit 1"
like "$ERR" "HINT:  Use pg_migrate upgrade \+1\." "the hint names the client's command, not migrate.upgrade('+1')"
pgm "${H[@]}" upgrade -1
like "$ERR" "HINT:  Use pg_migrate downgrade -1\." "upgrade -1: Use pg_migrate downgrade -1."
pgm "${H[@]}" upgrade nosuch
like "$ERR" "HINT:  pg_migrate history lists the revisions\." "an unknown target: pg_migrate history lists the revisions"
pgm "${H[@]}" upgrade nosuch --json
is "$(json "[x['hint'] for x in d['diagnostics'] if 'hint' in x]")" "['pg_migrate history lists the revisions.']" "the --json diagnostics carry the translated hint"
pgm "${H[@]}" upgrade
pgm "${H[@]}" downgrade base
is "$RC" "1" "downgrade through an irreversible revision: exit 1"
like "$ERR" "use pg_migrate stamp" "the hint says pg_migrate stamp"
unlike "$ERR" "migrate\.(stamp|upgrade|downgrade|history|validate)" "no SQL function is named to the client's user"

# ------------------------------------------------------------- the lock-wait DETAIL
session_start holder $db
session_send holder "BEGIN; SELECT count(*) FROM public.h2;"
session_wait holder
printf -- '-- migrate:revision h3\n-- migrate:down_revision h2\n-- migrate:upgrade\nALTER TABLE h2 ADD COLUMN note text;\n' >"$WORK/h/h3_rev.sql"
pgm "${H[@]}" upgrade --lock-timeout 100 --lock-retries 0
is "$RC" "1" "an upgrade behind a lock: exit 1"
like "$ERR" "DETAIL:  Statement 1 of the body waited for its lock: ALTER TABLE h2 ADD COLUMN note text\. The lock is held by PID [0-9]+ \(AccessShareLock, [^)]*\)\." \
     "the DETAIL is two sentences"
like "$ERR" "raise --lock-timeout or --lock-retries" "and the hint names the client's options"
session_end holder

# ------------------------------------------------------------- a rename in the sync summary
mv "$WORK/h/h1_rev.sql" "$WORK/h/h1_create_h1.sql"
pgm "${H[@]}" sync
is "$RC" "0" "sync of a renamed file"
like "$ERR" "1 renamed" "the summary counts the rename"
like "$ERR" "renamed +h1 \(h1_rev.sql -> h1_create_h1.sql\)" "and shows it"
pgm "${H[@]}" sync --json
is "$(json "d['sync']['renamed']")" "[]" "the next sync has nothing to rename"
is "$(q $db "SELECT source FROM migrate.revision WHERE id = 'h1'")" "h1_create_h1.sql" "the source is the new name"

# ------------------------------------------------------------- a lost connection
# A non-transactional revision is interrupted by a lost connection (its
# backend terminated) after L1 was applied: the client reads the state on
# a new connection instead of claiming "still at base (nothing applied)",
# and says "no connection to the server" at most once, with no blank line.
db=${P}e
fresh_db $db
mkdir -p "$WORK/lost"
printf -- '-- migrate:revision L1\n-- migrate:upgrade\nCREATE TABLE l1 (id int);\n-- migrate:downgrade\nDROP TABLE l1;\n' >"$WORK/lost/L1_rev.sql"
nfile "$WORK/lost" L3 L1 false <<'EOF'
CREATE TABLE before_sleep (id int);
SELECT pg_sleep(30);
CREATE TABLE after_sleep (id int);
EOF
LP=(--project lp -D "$WORK/lost")
pgm "${LP[@]}" -d $db upgrade L1
is "$RC" "0" "L1 applied"
# kill_run [SQL]: once the client's backend is in the sleep (its activity
# reads "migrate: applying ..." while a body runs, and it waits on the
# sleep), run SQL, then terminate that backend
RUNNING="application_name = 'pg_migrate' AND pid <> pg_backend_pid() AND query LIKE 'migrate: applying%' AND wait_event = 'PgSleep'"
kill_run() {
    local t=0
    until [ "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE $RUNNING")" != "0" ] || [ $t -ge 200 ]; do
        sleep 0.1; t=$((t + 1))
    done
    [ -n "${1:-}" ] && q $db "$1" >/dev/null
    q $db "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE $RUNNING" >/dev/null
}
"$PG_MIGRATE" "${LP[@]}" -d $db upgrade >"$WORK/out" 2>"$WORK/err" &
bg=$!
kill_run
wait $bg
RC=$?; OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
is "$RC" "1" "a lost connection during a non-transactional revision: exit 1"
like "$ERR" "connected again to read the state" "the client connects again to read the state"
like "$OUT" "upgrade failed at revision L3; still at L1" "and reports the state it read (L1), not base"
unlike "$OUT" "nothing applied" "it does not claim that nothing is applied"
ok_if "$(grep -c 'no connection to the server' "$WORK/err") <= 1" "\"no connection to the server\" is said at most once"
ok_if "$(grep -c '^$' "$WORK/err") == 0" "no blank lines on stderr"
[ "$RC" = 1 ] || { echo "$OUT" | sed 's/^/# /'; echo "$ERR" | sed 's/^/# /'; }
# the next run marks the interrupted one failed: its hint is the client's command
nfile "$WORK/lost" L3 L1 false <<'EOF'
CREATE TABLE IF NOT EXISTS before_sleep (id int);
CREATE TABLE after_sleep (id int);
EOF
pgm "${LP[@]}" -d $db upgrade
is "$RC" "0" "the next upgrade runs L3 (made safe to repeat)"
like "$ERR" "earlier run did not finish and is now marked failed" "and says the interrupted run is marked failed"
like "$ERR" "HINT:  pg_migrate history -v shows the latest runs and their failures\." \
     "with the client's command (the server's hint names the project in SQL)"
unlike "$ERR" "migrate\.run WHERE" "not the SQL"

# the connection cannot be had back: the state is unknown, and said so
q $db "CREATE ROLE ${P}mover LOGIN SUPERUSER PASSWORD '${PGPASSWORD:-x}'" >/dev/null 2>&1
nfile "$WORK/lost" L4 L3 false <<'EOF'
SELECT pg_sleep(30);
EOF
"$PG_MIGRATE" "${LP[@]}" -d "dbname=$db user=${P}mover" upgrade >"$WORK/out" 2>"$WORK/err" &
bg=$!
kill_run "ALTER ROLE ${P}mover NOLOGIN"
wait $bg
RC=$?; OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
is "$RC" "1" "a lost connection that cannot be made again: exit 1"
like "$ERR" "the connection to the server was lost and could not be made again" "says the connection could not be made again"
like "$OUT" "upgrade failed at revision L4 and the connection to the server was lost: what is applied now was not read \(\"pg_migrate status\" shows it\)" \
     "claims no state, and names pg_migrate status"
unlike "$OUT" "still at|now at" "no state is claimed"
ok_if "$(grep -c 'no connection to the server' "$WORK/err") <= 1" "\"no connection to the server\" is said at most once"
ok_if "$(grep -c '^$' "$WORK/err") == 0" "no blank lines on stderr"
[ "$RC" = 1 ] || { echo "$OUT" | sed 's/^/# /'; echo "$ERR" | sed 's/^/# /'; }
q $db "DROP ROLE ${P}mover" >/dev/null 2>&1

# another project's dependency not applied: the hint is the client's command
mkdir -p "$WORK/pa" "$WORK/pb"
printf -- '-- migrate:revision b1\n-- migrate:upgrade\nSELECT 1;\n' >"$WORK/pb/b1_rev.sql"
printf -- '-- migrate:revision a1\n-- migrate:depends_on pb:b1\n-- migrate:upgrade\nSELECT 1;\n' >"$WORK/pa/a1_rev.sql"
pgm --project pb -D "$WORK/pb" -d $db sync
pgm --project pa -D "$WORK/pa" -d $db upgrade
is "$RC" "1" "a dependency on another project's unapplied revision: exit 1"
like "$ERR" "HINT:  Upgrade project \"pb\" first, e.g\. pg_migrate --project pb upgrade\." "the hint is pg_migrate --project pb upgrade"
[ "$RC" = 1 ] || echo "$ERR" | sed 's/^/# /'

done_testing

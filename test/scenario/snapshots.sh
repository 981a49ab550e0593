#!/usr/bin/env bash
# add() and remove() in a REPEATABLE READ (or SERIALIZABLE) transaction
# whose snapshot is older than another session's upgrade: they decide from
# the state as it is now, under the migration lock, never from the old
# snapshot.  An applied revision is never replaced or removed (55000); a
# change the old snapshot cannot see is a serialization failure (40001).
set -u
source "$(dirname "$0")/tap.bash"
db=scn_snap
fresh_db $db
q $db "SELECT migrate.add('v1', 'CREATE TABLE v1t (id int)', 'DROP TABLE v1t');
       SELECT migrate.add('v2', 'CREATE TABLE v2t (id int)', 'DROP TABLE v2t', '{v1}')" >/dev/null

# snap <isolation>: a new session with a transaction whose snapshot is taken now
n=0
snap() {
    n=$((n + 1))
    session_start s$n $db
    session_send s$n "\\set VERBOSITY verbose"
    session_send s$n "BEGIN ISOLATION LEVEL $1; SELECT count(*) FROM migrate.applied;"
    session_wait s$n
}
# in_snap <sql>: run it in that transaction, end the session, print what it printed
in_snap() {
    session_send s$n "$1"
    session_send s$n "ROLLBACK;"
    session_wait s$n
    session_end s$n
    session_output s$n
}

#---------------------------------------------------------------- add() of an applied revision
snap "REPEATABLE READ"
q $db "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
out=$(in_snap "SELECT migrate.add('v1', 'CREATE TABLE v1t (id int, changed int)', 'DROP TABLE v1t');")
like "$out" "55000" "add() of a revision applied after the snapshot: refused (55000)"
like "$out" 'revision "v1" is applied and cannot be changed' "saying it is applied"
ok_if "$(grep -c 'replaced' <<<"$out") == 0" "nothing is replaced"
is "$(q $db "SELECT count(*) FROM migrate.validate() WHERE severity = 'error'")" "0" "validate() finds nothing wrong"

#---------------------------------------------------------------- remove() of an applied revision
q $db "SELECT count(*) FROM migrate.downgrade('v1')" >/dev/null
snap "REPEATABLE READ"
q $db "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
out=$(in_snap "SELECT migrate.remove('v2');")
like "$out" "55000" "remove() of a revision applied after the snapshot: refused (55000)"
is "$(q $db "SELECT count(*) FROM migrate.revision WHERE id = 'v2'")" "1" "v2 is still registered"

#---------------------------------------------------------------- the same in SERIALIZABLE
q $db "SELECT count(*) FROM migrate.downgrade('v1')" >/dev/null
snap "SERIALIZABLE"
q $db "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
out=$(in_snap "SELECT migrate.add('v2', 'CREATE TABLE v2t (id int, changed int)', 'DROP TABLE v2t', '{v1}');")
like "$out" "55000" "SERIALIZABLE: add() of a revision applied after the snapshot is refused (55000)"

#---------------------------------------------------------------- a change the snapshot cannot see
snap "REPEATABLE READ"
q $db "SELECT migrate.add('v3', 'CREATE TABLE v3t (id int)', 'DROP TABLE v3t', '{v2}')" >/dev/null
out=$(in_snap "SELECT migrate.add('v3', 'CREATE TABLE v3t (id int, other int)', 'DROP TABLE v3t', '{v2}');")
like "$out" "40001" "replacing a revision registered after the snapshot: serialization failure (40001)"
is "$(q $db "SELECT upgrade FROM migrate.revision WHERE id = 'v3'")" "CREATE TABLE v3t (id int)" "the other session's v3 stands"

snap "REPEATABLE READ"
q $db "SELECT migrate.add('v4', 'CREATE TABLE v4t (id int)', 'DROP TABLE v4t', '{v3}')" >/dev/null
out=$(in_snap "SELECT migrate.remove('v4');")
like "$out" "40001" "removing a revision registered after the snapshot: 40001, not 'not registered'"

# without a concurrent change, RR transactions register as before
snap "REPEATABLE READ"
out=$(in_snap "SELECT migrate.add('v5', 'SELECT 1', 'SELECT 1', '{v4}'); SELECT migrate.remove('v5');")
like "$out" "v5"$'\n'"v5" "with nothing changed meanwhile, add() and remove() work in REPEATABLE READ"

dropdb $db
done_testing

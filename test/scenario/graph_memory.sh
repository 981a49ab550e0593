#!/usr/bin/env bash
# The graph's memory is kept by a backend between calls (src/graph.c), never
# its contents: a session that has built graphs sees another session's
# registration, upgrade and rolled-back registration at once, keeps two
# projects apart, builds a second graph while the first is in use (a body
# that reads the graph during an upgrade), and gets its kept memory back
# after a call that failed with a graph loaded.  migrate.report_memory says
# which memory each graph used ("kept 0 kB": a graph's own memory).
source "$(dirname "$0")/tap.bash"
db=graph_memory_scenario
fresh_db $db
q $db "SELECT count(migrate.add('g' || lpad(i::text, 4, '0'), 'SELECT 1', 'SELECT 1',
        CASE WHEN i > 1 THEN ARRAY['g' || lpad((i - 1)::text, 4, '0')] END)) FROM generate_series(1, 500) i" >/dev/null
q $db "SELECT migrate.add('o1', 'SELECT 1', project => 'other')" >/dev/null

# session A keeps its backend (and its kept graph memory) throughout
session_start a $db
# session_wait counts in a variable, which a $(...) subshell loses: wait on
# a file of a name of its own instead
wait_a() {
    local f="$SESS_DIR/a.done.$BASHPID.$RANDOM$RANDOM" t=0
    session_send a "\\! touch $f"
    while [ ! -e "$f" ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
}
since() {  # since SQL: what session A printed for SQL
    local n
    n=$(stat -c %s "$SESS_DIR/a.out")
    session_send a "$1"
    wait_a
    tail -c +$((n + 1)) "$SESS_DIR/a.out"
}
ask() {  # ask SQL: its result (written to a file, which psql closes: no buffering)
    rm -f "$SESS_DIR/a.res"
    session_send a "${1%;} \\g $SESS_DIR/a.res"
    wait_a
    cat "$SESS_DIR/a.res" 2>/dev/null
}
notice() { since "$1" | grep '^NOTICE' | tail -1; }    # notice SQL: its last NOTICE (stderr)
session_send a "SET client_min_messages = notice;"
session_send a "SET migrate.report_memory = on;"

is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0500" "A: heads"
is "$(ask "SELECT count(*) FROM migrate.validate() WHERE severity = 'error';")" "0" "A: validate"
is "$(ask "SELECT pending FROM migrate.status();")" "500" "A: status, nothing applied"

q $db "SELECT migrate.add('g0501', 'SELECT 1', 'SELECT 1', '{g0500}')" >/dev/null
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "B registered: A's heads sees it at once"
is "$(ask "SELECT pending FROM migrate.status();")" "501" "and A's status"
q $db "SELECT migrate.add('g0502', 'SELECT 1', 'SELECT 1', '{g0499}')" >/dev/null
is "$(ask "SELECT string_agg(code, ',') FROM migrate.validate() WHERE severity <> 'info';")" "multiple_heads" \
    "B made a second head: A's validate reports it"
q $db "SELECT migrate.remove('g0502')" >/dev/null
is "$(ask "SELECT count(*) FROM migrate.validate() WHERE severity <> 'info';")" "0" "B removed it: A's validate is clean again"

q $db "SET client_min_messages = warning; SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
is "$(ask "SELECT pending || ' ' || at_head FROM migrate.status();")" "0 true" "B upgraded: A's status is at head"
is "$(ask "SELECT string_agg(c, ',') FROM migrate.current() c;")" "g0501" "A's current"

# two projects, asked in turn by one backend
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads('other') h;")" "o1" "A: the other project's heads"
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "then the default project's again"
q $db "SELECT migrate.add('o2', 'SELECT 1', NULL, '{o1}', project => 'other')" >/dev/null
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads('other') h;")" "o2" "B registered in the other project: A sees it"
is "$(ask "SELECT pending FROM migrate.status('other');")" "2" "the other project's status"
is "$(ask "SELECT pending FROM migrate.status();")" "0" "the default project's status unchanged"

# a registration that rolls back, in another session and in A's own
session_start b $db
session_send b "BEGIN;"
session_send b "SELECT migrate.add('g0503', 'SELECT 1', 'SELECT 1', '{g0501}');"
session_wait b
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "B's uncommitted registration: not in A's heads"
session_send b "ROLLBACK;"
session_wait b
session_end b
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "B rolled back: A's heads unchanged"
session_send a "BEGIN;"
session_send a "SELECT migrate.add('g0504', 'SELECT 1', 'SELECT 1', '{g0501}');"
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0504" "A's own uncommitted registration is in its heads"
is "$(ask "SELECT pending FROM migrate.status();")" "1" "and its status"
session_send a "ROLLBACK;"
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "A rolled back: gone from its heads"
is "$(ask "SELECT pending FROM migrate.status();")" "0" "and from its status"
session_send a "BEGIN;"
session_send a "SAVEPOINT s;"
session_send a "SELECT migrate.add('g0505', 'SELECT 1', 'SELECT 1', '{g0501}');"
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0505" "registered in a savepoint: in A's heads"
session_send a "ROLLBACK TO SAVEPOINT s;"
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "rolled back to the savepoint: gone"
session_send a "COMMIT;"

# the memory is kept and reused: the same blocks call after call
k1=$(notice "SELECT count(*) FROM migrate.validate();" | grep -o 'kept [0-9]*')
k2=$(notice "SELECT count(*) FROM migrate.validate();" | grep -o 'kept [0-9]*')
k3=$(notice "SELECT count(*) FROM migrate.validate();" | grep -o 'kept [0-9]*')
like "$k1" "^kept [1-9][0-9]*$" "validate's graph was built in kept memory ($k1 kB)"
ok_if "$([ "$k1" = "$k2" ] && [ "$k2" = "$k3" ] && echo 1 || echo 0)" "the kept memory does not grow call after call ($k1, $k2, $k3)"

# a call that fails with its graph loaded gives the kept memory back
like "$(since "SELECT * FROM migrate.resolve('nosuch');")" "ERROR" "resolve of an unknown target fails after loading the graph"
like "$(notice "SELECT count(*) FROM migrate.heads();")" "kept [1-9]" "the next graph is built in the kept memory again"
session_send a "DO \$\$ BEGIN PERFORM * FROM migrate.resolve('nosuch'); EXCEPTION WHEN OTHERS THEN NULL; END \$\$;"
like "$(notice "SELECT count(*) FROM migrate.heads();")" "kept [1-9]" "after a failure caught in a subtransaction too"
is "$(ask "SELECT string_agg(h, ',') FROM migrate.heads() h;")" "g0501" "and its heads are right"

# a graph built while another is in use: a body that reads the graph
q $db "SELECT migrate.add('g0506', 'CREATE TABLE seen AS SELECT h FROM migrate.heads() h', 'DROP TABLE seen', '{g0501}')" >/dev/null
out=$(psql -X -q -A -t -d $db -c "SET client_min_messages = notice" -c "SET migrate.report_memory = on" \
        -c "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
like "$out" "migrate.current/heads/bases: 502 revisions, graph [0-9]+ kB, call [0-9]+ kB, kept 0 kB" \
    "heads() inside the upgrade builds its graph in memory of its own"
like "$out" "upgrade: 502 revisions, graph [0-9]+ kB, call [0-9]+ kB, kept [1-9]" "the upgrade's graph is in the kept memory"
is "$(q $db "SELECT string_agg(h, ',') FROM seen")" "g0506" "the body saw the graph as it was"
is "$(ask "SELECT string_agg(c, ',') FROM migrate.current() c;")" "g0506" "A sees the upgrade"
session_end a
dropdb $db
done_testing

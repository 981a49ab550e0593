#!/usr/bin/env bash
# Eight sessions race migrate.upgrade('head') over 200 pending revisions:
# every revision is applied exactly once and every session succeeds.  Then
# REPEATABLE READ: a caller whose snapshot predates another session's
# upgrade gets a serialization failure, not a second application.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_concurrency
fresh_db $db
q $db "CREATE TABLE public.apply_log (revision text, pid int)" >/dev/null
q $db "SELECT count(migrate.add(
          revision      => format('r%s', lpad(i::text, 4, '0')),
          upgrade       => format('CREATE TABLE t_%s (id int); INSERT INTO public.apply_log VALUES (%L, pg_backend_pid());', i, format('r%s', lpad(i::text, 4, '0'))),
          downgrade     => format('DROP TABLE t_%s', i),
          down_revision => CASE WHEN i > 1 THEN ARRAY[format('r%s', lpad((i - 1)::text, 4, '0'))] END))
        FROM generate_series(1, 200) AS i" >/dev/null

out=$(mktemp -d)
for s in 1 2 3 4 5 6 7 8; do
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db \
        -c "SELECT count(*) FROM migrate.upgrade('head')" >"$out/$s" 2>"$out/$s.err" &
    pids[$s]=$!
done
fails=0
for s in 1 2 3 4 5 6 7 8; do
    wait "${pids[$s]}" || fails=$((fails + 1))
done
is "$fails" "0" "all 8 racing sessions succeed"
total=$(cat "$out"/[1-8] | awk '{s += $1} END {print s}')
is "$total" "200" "the sessions together report 200 revisions applied"
winners=$(cat "$out"/[1-8] | grep -cv '^0$')
is "$winners" "1" "exactly one session applied them; the others found nothing left"
is "$(q $db 'SELECT count(*) FROM public.apply_log')" "200" "200 bodies ran"
is "$(q $db 'SELECT count(DISTINCT revision) FROM public.apply_log')" "200" "each body ran once"
is "$(q $db 'SELECT count(*) FROM migrate.applied')" "200" "200 revisions recorded as applied"
is "$(q $db "SELECT count(*) FROM migrate.run WHERE kind = 'upgrade'")" "1" "one run recorded (no-op upgrades record none)"
is "$(q $db 'SELECT count(*) FROM migrate.run_step')" "200" "one step per revision"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "r0200" "current is the head"

# REPEATABLE READ: snapshot taken before another session's upgrade
q $db "SELECT migrate.add('r0201', 'CREATE TABLE t_201 (id int)', 'DROP TABLE t_201', '{r0200}')" >/dev/null
session_start rr $db
session_send rr "BEGIN ISOLATION LEVEL REPEATABLE READ;"
session_send rr "SELECT count(*) FROM migrate.applied;"
session_wait rr
q $db "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
session_send rr "SELECT count(*) FROM migrate.upgrade('head');"
session_send rr "ROLLBACK;"
session_wait rr
session_end rr
like "$(session_output rr)" "could not serialize access due to a concurrent migration" \
    "REPEATABLE READ caller with an old snapshot gets a serialization failure"
is "$(q $db "SELECT count(*) FROM public.apply_log")" "200" "r0201 did not log (it has no log insert)"
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = 'r0201'")" "1" "r0201 applied once"

# SERIALIZABLE with a fresh snapshot works
is "$(psql -X -q -A -t -d $db -c "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT count(*) FROM migrate.upgrade('head'); COMMIT;" 2>&1 | head -1)" "0" \
    "SERIALIZABLE caller with a current snapshot finds nothing to do"

dropdb $db
done_testing

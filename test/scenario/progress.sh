#!/usr/bin/env bash
# Progress NOTICEs as a client receives them: one per revision, in order
# among the body's own NOTICEs, whether sent at once (plans of up to 100
# revisions) or queued and flushed together (longer plans, steps.c
# progress_notice); a short plan's line for a slow revision reaches the
# client while that revision runs; pg_stat_activity names it.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_progress
fresh_db $db
err=$(mktemp)

# 1. a short plan: each line at once, the slow revision's while it runs
q $db "SELECT migrate.add('s1', 'CREATE TABLE s1 (id int)', 'DROP TABLE s1');
       SELECT migrate.add('s2', 'CREATE INDEX s1_id ON s1 (id)', 'DROP INDEX s1_id', '{s1}');
       SELECT migrate.add('s3', 'SELECT pg_sleep(6)', 'SELECT 1', '{s2}', message => 'slow one')" >/dev/null
psql -X -q -A -t -d $db -c "SET application_name = 'progress_short'" \
     -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null 2>"$err" &
pid=$!
seen=no
for i in $(seq 1 100); do
    if grep -q 'applying 3/3: s3 slow one' "$err"; then seen=yes; break; fi
    sleep 0.05
done
running=$(kill -0 $pid 2>/dev/null && echo running || echo done)
is "$seen $running" "yes running" "a short plan: the slow revision's NOTICE reaches the client while it runs"
like "$(q $db "SELECT query FROM pg_stat_activity WHERE application_name = 'progress_short'")" \
     "migrate: applying 3/3: s3 slow one" "pg_stat_activity names the running revision"
wait $pid
is "$(grep -c 'NOTICE:  applying' "$err")" "3" "one NOTICE per revision"

# 2. a long plan: every line, in order, among the body's own NOTICEs
fresh_db $db
q $db "SELECT count(migrate.add('l' || lpad(i::text, 3, '0'),
           format('DO \$\$ BEGIN RAISE NOTICE ''body %s''; END \$\$; CREATE TABLE l%s (id int)', i, i),
           'SELECT 1', CASE WHEN i > 1 THEN ARRAY['l' || lpad((i - 1)::text, 3, '0')] END))
         FROM generate_series(1, 250) i" >/dev/null
psql -X -q -A -t -d $db -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null 2>"$err"
expected=$(for i in $(seq 1 250); do printf 'NOTICE:  applying %d/250: l%03d\nNOTICE:  body %d\n' $i $i $i; done)
got=$(grep '^NOTICE' "$err")
is "$(echo "$got" | wc -l)" "500" "a plan of 250 revisions: 250 progress NOTICEs and the bodies' 250"
ok $([ "$got" == "$expected" ]; echo $?) "each revision's line comes before its body's NOTICE, in plan order"

# 3. a long plan with a slow revision at the end: what was queued is sent
fresh_db $db
q $db "SELECT count(migrate.add('m' || lpad(i::text, 3, '0'), 'SELECT 1', 'SELECT 1',
           CASE WHEN i > 1 THEN ARRAY['m' || lpad((i - 1)::text, 3, '0')] END))
         FROM generate_series(1, 200) i;
       SELECT migrate.add('m201', 'SELECT pg_sleep(4)', 'SELECT 1', '{m200}')" >/dev/null
psql -X -q -A -t -d $db -c "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null 2>"$err" &
pid=$!
during=0
for i in $(seq 1 60); do
    during=$(grep -c 'NOTICE:  applying' "$err")
    [ "$during" -ge 1 ] && break
    sleep 0.05
done
running=$(kill -0 $pid 2>/dev/null && echo running || echo done)
is "$([ "$during" -ge 1 ] && echo yes) $running" "yes running" "a long plan: lines reach the client while it runs"
wait $pid
is "$(grep -c 'NOTICE:  applying' "$err")" "201" "and all 201 by the end"
is "$(grep 'NOTICE:  applying' "$err" | tail -1)" "NOTICE:  applying 201/201: m201" "the last one last"

# 4. the same through a DO block (an error context: ereport's way) and
#    with NOTICEs hidden
q $db "SELECT count(*) FROM migrate.downgrade('base')" >/dev/null 2>&1
psql -X -q -A -t -d $db -c "DO \$\$ BEGIN PERFORM migrate.upgrade('m200'); END \$\$" >/dev/null 2>"$err"
is "$(grep -c 'NOTICE:  applying' "$err")" "200" "called from a DO block: one NOTICE per revision"
q $db "SELECT count(*) FROM migrate.downgrade('base')" >/dev/null 2>&1
psql -X -q -A -t -d $db -c "SET client_min_messages = warning" -c "SELECT count(*) FROM migrate.upgrade('m200')" >/dev/null 2>"$err"
is "$(grep -c 'NOTICE' "$err")" "0" "client_min_messages = warning: no NOTICE"

rm -f "$err"
dropdb $db
done_testing

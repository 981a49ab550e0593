#!/usr/bin/env bash
# Dump and restore of a database migrated for real (dump_restore.sh checks
# a catalog written by hand): upgrade(), CALL migrate.run() with a
# non-transactional revision, a failed upgrade recorded by the failure
# recorder, an interrupted run() marked failed, a downgrade and a stamp.
# After pg_dump -Fc | pg_restore and pg_dump | psql into fresh databases:
# the same revisions, applied state, run history and schema; and migration
# continues there: the pending revisions upgrade, run ids follow the old
# ones, downgrade and upgrade cycle, validate() stays clean.  Prints TAP.
set -u
source "$(dirname "$0")/tap.bash"
PG_MAJOR=${PG_MAJOR:-15}
export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
export PGOPTIONS="-c client_min_messages=warning"
src=scn_dumpc_src
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists $src >/dev/null 2>&1; dropdb --if-exists scn_dumpc_custom >/dev/null 2>&1; dropdb --if-exists scn_dumpc_plain >/dev/null 2>&1' EXIT

fresh_db $src
q $src "SELECT migrate.add('d1', 'CREATE TABLE public.d1 (id int PRIMARY KEY)', 'DROP TABLE public.d1', message => 'first');
        SELECT migrate.add('d2', 'ALTER TABLE public.d1 ADD COLUMN name text', 'ALTER TABLE public.d1 DROP COLUMN name', '{d1}', branch_labels => '{core}');
        SELECT migrate.add('d3', 'CREATE INDEX CONCURRENTLY d1_name ON public.d1 (name)', 'DROP INDEX public.d1_name', '{d2}', transactional => false);
        SELECT migrate.add('d4', 'INSERT INTO public.d1 VALUES (1, ''x'')', 'DELETE FROM public.d1', '{d3}');
        SELECT migrate.add('d5', 'CREATE TABLE public.d5 (id int)', 'DROP TABLE IF EXISTS public.d5', '{d4}');
        SELECT migrate.add('d6', 'CREATE TABLE public.d6 (id int)', 'DROP TABLE public.d6', '{d5}')" >/dev/null
q $src "SELECT count(*) FROM migrate.upgrade('d2')" >/dev/null
psql -X -q -d $src -c "CALL migrate.run('d4')" >/dev/null 2>&1
ok $? "CALL migrate.run with a non-transactional revision"
# a failed upgrade (recorded by the background recorder), then fixed
q $src "SELECT migrate.add('d5', 'CREATE TABLE public.d5 (id int); SELECT 1/0', 'DROP TABLE IF EXISTS public.d5', '{d4}')" >/dev/null
q $src "SELECT count(*) FROM migrate.upgrade('d5')" >/dev/null 2>&1
q $src "SELECT migrate.add('d5', 'CREATE TABLE public.d5 (id int)', 'DROP TABLE IF EXISTS public.d5', '{d4}')" >/dev/null
# an interrupted run: a 'running' row whose session is gone
psql -X -q -d $src -c "SET statement_timeout = '300ms'" \
     -c "INSERT INTO migrate.run (kind, target, status) VALUES ('upgrade', 'head', 'running')" >/dev/null 2>&1
q $src "SELECT count(*) FROM migrate.upgrade('d5')" >/dev/null 2>&1
q $src "SELECT count(*) FROM migrate.downgrade('d4')" >/dev/null
q $src "SELECT count(*) FROM migrate.stamp('d5')" >/dev/null
is "$(q $src "SELECT string_agg(kind || ':' || status, ',' ORDER BY id) FROM migrate.run")" \
   "upgrade:succeeded,upgrade:succeeded,upgrade:failed,upgrade:failed,upgrade:succeeded,downgrade:succeeded,stamp:succeeded" \
   "source: runs of every kind, failed ones included"
is "$(q $src "SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate.applied")" "d1,d2,d3,d4,d5" "source: d1..d5 applied, d6 pending"

snapshot() {  # what must survive
    q "$1" "SELECT id, down_revision, depends_on, branch_labels, message, md5(upgrade), md5(coalesce(downgrade, '')),
                   transactional, source, checksum, upgrade_problem, registered_at, registered_by, content_hash
              FROM migrate.revision ORDER BY id"
    q "$1" "SELECT revision, checksum, applied_at, applied_by, run_id FROM migrate.applied ORDER BY revision"
    q "$1" "SELECT id, kind, target, status, started_at, finished_at, from_heads, to_heads, db_user, pid,
                   error_revision, error_sqlstate, error_message, error_detail, error_context FROM migrate.run ORDER BY id"
    q "$1" "SELECT * FROM migrate.run_step ORDER BY run_id, step"
    q "$1" "SELECT current, heads, pending, applied, registered, errors, last_run_id, last_run_status FROM migrate.status()"
    q "$1" "SELECT * FROM migrate.validate()"
    q "$1" "SELECT to_regclass('public.d1') IS NOT NULL, to_regclass('public.d1_name') IS NOT NULL,
                   (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('public.d1_name')),
                   to_regclass('public.d5') IS NULL, (SELECT count(*) FROM public.d1)"
}
snapshot $src >"$work/src.txt"
max_run=$(q $src "SELECT max(id) FROM migrate.run")

pg_dump -Fc -d $src -f "$work/dump.custom" 2>"$work/dump.err"
ok $? "pg_dump -Fc"
createdb scn_dumpc_custom && pg_restore --exit-on-error -d scn_dumpc_custom "$work/dump.custom" 2>"$work/restore.err"
ok $? "pg_restore into a fresh database"
createdb scn_dumpc_plain && pg_dump -d $src 2>/dev/null | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d scn_dumpc_plain >"$work/plain.out" 2>&1
ok $? "pg_dump | psql into a fresh database"

for db in scn_dumpc_custom scn_dumpc_plain; do
    snapshot $db >"$work/$db.txt"
    if diff -u "$work/src.txt" "$work/$db.txt" >"$work/$db.diff"; then ok 0 "$db: revisions, applied state, runs, steps, status and schema are identical"
    else ok 1 "$db: revisions, applied state, runs, steps, status and schema are identical"; sed 's/^/# /' "$work/$db.diff" | head -20; fi
    is "$(q $db "SELECT string_agg(revision, ',' ORDER BY step) FROM migrate.upgrade('head')")" "d6" "$db: the next upgrade applies the pending d6"
    is "$(q $db "SELECT min(id) > $max_run FROM migrate.run WHERE id > $max_run - 1 AND target = 'head' AND kind = 'upgrade' AND status = 'succeeded' AND started_at > now() - interval '1 hour'")" "t" \
       "$db: its run id follows the restored ones"
    is "$(q $db "SELECT string_agg(revision, ',' ORDER BY step) FROM migrate.downgrade('d4')")" "d6,d5" "$db: downgrade to d4 runs d6's and d5's downgrades"
    is "$(q $db "SELECT to_regclass('public.d6') IS NULL")" "t" "$db: d6's table is gone again"
    psql -X -q -d $db -c "CALL migrate.run('d2', 'down')" >/dev/null 2>&1
    ok $? "$db: CALL migrate.run('d2', 'down') reverts the non-transactional d3"
    is "$(q $db "SELECT to_regclass('public.d1_name') IS NULL")" "t" "$db: the concurrent index is dropped"
    like "$(psql -X -q -d $db -c "SET client_min_messages = notice" -c "CALL migrate.run('head')" 2>&1)" "applied 4 revisions" \
         "$db: CALL migrate.run('head') applies d3..d6 again"
    is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "d6" "$db: at head"
    is "$(q $db "SELECT count(*) FROM migrate.validate() WHERE severity = 'error'")" "0" "$db: validate() is clean"
done
done_testing

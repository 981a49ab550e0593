#!/usr/bin/env bash
# The drift part of the 0.1 -> 0.2 update (sql/update/0.1--0.2/50_drift.sql):
# the 0.2 library on a 0.1 catalog asks for the update (and records
# nothing: no event triggers yet), ALTER EXTENSION migrate UPDATE brings the
# ledger and the fingerprint, and revisions are kept.  Skipped when migrate--0.1.sql is not installed.
# Uses the cluster named by the PG* variables; prints TAP.
set -uo pipefail
PG_MAJOR=${PG_MAJOR:-15}
[ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ] && export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
source "$(dirname "$0")/tap.bash"
db="migrate_drift_upd_$$"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
share=$(pg_config --sharedir)/extension
if [ ! -f "$share/migrate--0.1.sql" ] || [ ! -f "$share/migrate--0.1--0.2.sql" ]; then
    ok 0 "# SKIP migrate--0.1.sql is not installed"
    done_testing
    exit 0
fi
createdb "$db" >/dev/null
q "$db" "CREATE EXTENSION migrate VERSION '0.1'" >/dev/null
ok $? "CREATE EXTENSION migrate VERSION '0.1'"
psql -X -q -d "$db" -c "INSERT INTO migrate.revision (id, upgrade, downgrade, checksum, content_hash) VALUES ('0001', 'CREATE TABLE public.a (id int)', 'DROP TABLE public.a', 'x', 0)" >/dev/null 2>&1 ||
    q "$db" "SELECT migrate.add('0001', 'CREATE TABLE public.a (id int)', 'DROP TABLE public.a')" >/dev/null 2>&1
out=$(q "$db" "SET client_min_messages = warning; SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
like "$out" "ALTER EXTENSION migrate UPDATE" "the 0.2 library asks for the update on a 0.1 catalog"
is "$(q "$db" "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'migrate%'")" "0" "a 0.1 catalog has no event triggers"
q "$db" "ALTER EXTENSION migrate UPDATE TO '0.2'" >/dev/null 2>"$SESS_DIR/upd.err"
ok $? "ALTER EXTENSION migrate UPDATE TO '0.2'"
is "$(q "$db" "SELECT count(*) FROM migrate.revision")" "1" "revisions kept"
is "$(q "$db" "SELECT string_agg(evtevent, ',' ORDER BY evtevent) FROM pg_event_trigger WHERE evtfoid = 'migrate.ddl_trigger()'::regprocedure")" \
   "ddl_command_end,sql_drop" "the update created the event triggers"
q "$db" "CREATE TABLE public.b (id int)" >/dev/null
is "$(q "$db" "SELECT count(*) FROM migrate.ddl_log WHERE object_identity = 'public.b'")" "1" "DDL is recorded after the update"
is "$(q "$db" "SELECT count(*) FROM migrate.drift()")" "1" "drift() lists it (no fingerprint recorded yet: no fingerprint row)"
q "$db" "SELECT migrate.add('0002', 'CREATE TABLE public.c (id int)', 'DROP TABLE public.c', '{0001}')" >/dev/null
q "$db" "SET client_min_messages = warning; SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
is "$(q "$db" "SELECT fingerprint = migrate.fingerprint() FROM migrate.run_log ORDER BY id DESC LIMIT 1")" "t" \
   "the next run records its fingerprint"
is "$(q "$db" "SELECT count(*) FROM migrate.drift()")" "0" "and drift() is clean"
is "$(q "$db" "SELECT has_column_privilege('public', 'migrate.ddl_log', 'statement', 'SELECT')::text || has_column_privilege('public', 'migrate.ddl_log', 'object_identity', 'SELECT')::text")" \
   "falsetrue" "the update grants what the install grants"
done_testing

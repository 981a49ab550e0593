#!/usr/bin/env bash
# Drift (issue 17): the application's role builds tables the way an ORM's
# create_all() does, in its own session, outside migrations; a superuser
# edits a migrated table by hand; drift() and blame() name both, with who
# and which application.  Then dump and restore keep the ledger (custom
# format with pg_restore, plain with psql), and pg_migrate check --drift
# fails on drift and passes once a run made the state the new starting
# point.  Uses the cluster named by the PG* variables; prints TAP.
set -uo pipefail
PG_MAJOR=${PG_MAJOR:-15}
[ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ] && export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
source "$(dirname "$0")/tap.bash"

db="migrate_drift_$$"
dst_c="migrate_drift_c_$$"
dst_p="migrate_drift_p_$$"
app="drift_app_$$"
WORK=$(mktemp -d)
cleanup() {
    for d in "$db" "$dst_c" "$dst_p"; do dropdb --if-exists "$d" >/dev/null 2>&1; done
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $app" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

fresh_db "$db"
psql -X -q -d postgres -c "CREATE ROLE $app LOGIN PASSWORD 'app'" >/dev/null
q "$db" "GRANT CREATE ON SCHEMA public TO $app" >/dev/null

# the migrations: one revision, applied by the superuser
q "$db" "SELECT migrate.add('0001_accounts', 'CREATE TABLE public.accounts (id int PRIMARY KEY, email text)', 'DROP TABLE public.accounts', message => 'accounts')" >/dev/null
q "$db" "SET client_min_messages = warning; SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
is "$(q "$db" "SELECT count(*) FROM migrate.drift()")" "0" "right after the run: no drift"

# the application connects as itself and creates its tables, create_all() style
PGUSER=$app PGPASSWORD=app PGAPPNAME=orm_create_all psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$WORK/app.out" 2>&1 <<'SQL'
BEGIN;
CREATE TABLE IF NOT EXISTS public.sessions (id bigserial PRIMARY KEY, account int, token text NOT NULL);
CREATE INDEX IF NOT EXISTS ix_sessions_token ON public.sessions (token);
CREATE TABLE IF NOT EXISTS public.accounts (id int PRIMARY KEY, email text);
COMMIT;
SQL
ok $? "the application's role creates its tables"
# a superuser edits a migrated table by hand
PGAPPNAME=psql-by-hand psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER TABLE public.accounts ADD COLUMN last_login timestamptz" >/dev/null 2>&1
ok $? "a superuser adds a column by hand"
su_user=$(q "$db" "SELECT current_user")

drift=$(q "$db" "SELECT db_user || '|' || command_tag || '|' || object_identity FROM migrate.drift() WHERE command_tag IS NOT NULL ORDER BY at")
like "$drift" "$app\|CREATE TABLE\|public.sessions" "drift() names the table create_all() made, and the application's role"
like "$drift" "$app\|CREATE INDEX\|public.ix_sessions_token" "and its index"
like "$drift" "$su_user\|ALTER TABLE\|public.accounts.last_login" "and the superuser's column, by name"
like "$(q "$db" "SELECT message FROM migrate.drift() WHERE object_identity = 'public.sessions'")" \
     "created outside migrations by $app, application orm_create_all" "with the application's name"
like "$(q "$db" "SELECT message FROM migrate.drift() WHERE command_tag IS NULL")" \
     "^schema differs from what revision 0001_accounts left" "and the schema's fingerprint differs from what the run left"
is "$(q "$db" "SELECT count(*) FROM migrate.drift() WHERE object_identity = 'public.accounts' AND command_tag = 'CREATE TABLE'")" "0" \
   "CREATE TABLE IF NOT EXISTS of an existing table made nothing and is not drift"

blame=$(q "$db" "SELECT action || '|' || coalesce(revision, 'outside') || '|' || db_user FROM migrate.blame('sessions') ORDER BY at")
is "$blame" "create|outside|$app" "blame(sessions): created outside migrations by the application's role"
blame=$(q "$db" "SELECT action || '|' || coalesce(revision, 'outside') || '|' || db_user FROM migrate.blame('accounts.last_login') ORDER BY at")
is "$blame" "$(printf 'create|0001_accounts|%s\ncreate|outside|%s' "$su_user" "$su_user")" \
   "blame(accounts.last_login): its table by the revision, the column by hand"
is "$(q "$db" "SELECT string_agg(severity || ' ' || object, ',') FROM migrate.verify() WHERE code = 'schema_drift'")" \
   "warning 0001_accounts" "verify() warns: schema differs from what revision 0001_accounts left"

# the application's role reads its own statements, not the superuser's
is "$(PGUSER=$app PGPASSWORD=app q "$db" "SELECT count(*) FROM migrate.ddl_statement WHERE db_user::text <> current_user")" "0" \
   "the application's role sees no other role's statement text"
like "$(PGUSER=$app PGPASSWORD=app q "$db" "SELECT string_agg(statement, ' ') FROM migrate.ddl_statement")" \
     "CREATE TABLE IF NOT EXISTS public.sessions" "but its own"

# pg_migrate check --drift
if command -v pg_migrate >/dev/null 2>&1 && pg_migrate help check 2>&1 | grep -q -- "--drift"; then
    pg_migrate -d "$db" --no-sync check --drift >"$WORK/check.out" 2>&1
    is "$?" "1" "pg_migrate check --drift exits 1 on drift"
    like "$(cat "$WORK/check.out")" "public.sessions" "and says what drifted"
    pg_migrate -d "$db" blame sessions >"$WORK/blame.out" 2>&1
    like "$(cat "$WORK/blame.out")" "outside" "pg_migrate blame sessions"
    like "$(pg_migrate -d "$db" --json blame sessions 2>&1)" '"action": *"create"' "pg_migrate --json blame"
else
    for i in 1 2 3 4; do ok 0 "# SKIP pg_migrate has no drift commands in this build"; done
fi

# ------------------------------------------------------------------ dump
rows_before=$(q "$db" "SELECT count(*) FROM migrate.ddl_log")
sums_before=$(q "$db" "SELECT md5(string_agg(format('%s %s %s %s %s %s', id, at, db_user, command_tag, object_identity, revision), ',' ORDER BY id)) FROM migrate.ddl_log")
fp_before=$(q "$db" "SELECT migrate.fingerprint()")
pg_dump -Fc -f "$WORK/db.dump" "$db" 2>"$WORK/dump.err"
ok $? "pg_dump -Fc"
pg_dump -f "$WORK/db.sql" "$db" 2>>"$WORK/dump.err"
ok $? "pg_dump (plain)"

createdb "$dst_c"
PGOPTIONS="-c migrate.track_ddl=off" pg_restore -d "$dst_c" "$WORK/db.dump" >"$WORK/restore_c.out" 2>&1
ok $? "pg_restore (tracking off for the restore, as docs/drift.md says)"
is "$(q "$dst_c" "SELECT count(*) FROM migrate.ddl_log")" "$rows_before" "custom: the ledger's rows come back"
is "$(q "$dst_c" "SELECT md5(string_agg(format('%s %s %s %s %s %s', id, at, db_user, command_tag, object_identity, revision), ',' ORDER BY id)) FROM migrate.ddl_log")" \
   "$sums_before" "custom: the same rows"
is "$(q "$dst_c" "SELECT migrate.fingerprint()")" "$fp_before" "custom: the same fingerprint (nothing depends on OIDs)"
is "$(q "$dst_c" "SELECT count(*) FROM migrate.drift() WHERE command_tag IS NULL")" "1" \
   "custom: drift still sees that the schema differs from what 0001_accounts left"
q "$dst_c" "CREATE TABLE public.after_restore (id int)" >/dev/null
is "$(q "$dst_c" "SELECT count(*) FROM migrate.ddl_log WHERE object_identity = 'public.after_restore' AND id > (SELECT max(id) FROM migrate.ddl_log WHERE object_identity <> 'public.after_restore')")" "1" \
   "custom: new rows continue after the restored ids"

createdb "$dst_p"
psql -X -q -d "$dst_p" -f "$WORK/db.sql" >"$WORK/restore_p.out" 2>&1
ok $? "psql -f plain dump, tracking on: the restore does not fail on the ledger"
is "$(q "$dst_p" "SELECT count(*) FROM migrate.ddl_log WHERE at <= (SELECT max(at) FROM migrate.ddl_log WHERE application_name = 'orm_create_all')")" \
   "$(q "$db" "SELECT count(*) FROM migrate.ddl_log WHERE at <= (SELECT max(at) FROM migrate.ddl_log WHERE application_name = 'orm_create_all')")" \
   "plain: the dumped rows are all there"
is "$(q "$dst_p" "SELECT migrate.fingerprint()")" "$fp_before" "plain: the same fingerprint"

# a run makes the outside changes the new starting point
q "$db" "SELECT migrate.add('0002_sessions', 'SELECT 1', 'SELECT 1', down_revision => '{0001_accounts}')" >/dev/null
q "$db" "SET client_min_messages = warning; SELECT count(*) FROM migrate.upgrade('head')" >/dev/null
is "$(q "$db" "SELECT count(*) FROM migrate.drift()")" "0" "after the next run: no drift"
if command -v pg_migrate >/dev/null 2>&1 && pg_migrate help check 2>&1 | grep -q -- "--drift"; then
    pg_migrate -d "$db" --no-sync check --drift >/dev/null 2>&1
    is "$?" "0" "pg_migrate check --drift exits 0"
else
    ok 0 "# SKIP pg_migrate has no drift commands in this build"
fi
done_testing

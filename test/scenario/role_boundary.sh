#!/usr/bin/env bash
# The role boundary and private run errors, with roles that log in as
# themselves (test/pgtap/role_boundary.sql and private.sql cover the same
# from a superuser's session):
#   (a) a deployer that may only register registers ALTER ROLE deployer
#       SUPERUSER; a superuser's upgrade('heads') runs it as the deployer:
#       permission denied, the deployer stays what it was;
#   (b) a revision a superuser registered and reviewed, replaced by the
#       deployer while unapplied, runs as the deployer (and add() says so);
#   (c) a superuser who did SET ROLE deployer (or SET SESSION AUTHORIZATION)
#       is not the deployer: the body's RESET ROLE fails;
#   (d) a caller that is not a member of the registrant is refused (42501)
#       before anything runs;
#   (e) a role upgrading its own revisions runs them as before: a body's
#       SET ROLE to a role it is a member of works;
#   (f) CALL migrate.run with non-transactional bodies across the boundary:
#       CREATE INDEX CONCURRENTLY runs as the deployer, a hostile body fails,
#       a set_config() of the body does not reach the caller's session, and
#       the session is the caller's again after a failure;
#   (g) the offline script runs the deployer's bodies under SET ROLE, and a
#       session that may not take the role stops before the first body;
#   (h) a failed run's detail (a row value) is not readable by another role
#       through migrate.run, status() or pg_migrate, and is by the role that
#       ran it and a pg_read_all_stats member;
#   (i) a superuser's SECURITY DEFINER function that calls upgrade() for the
#       deployer runs the deployer's body as the deployer, not as its owner.
# Roles get a per-run suffix and are dropped at the end.  Prints TAP.
set -u
source "$(dirname "$0")/tap.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PG_MIGRATE=${PG_MIGRATE:-$(pg_config --bindir 2>/dev/null)/pg_migrate}
[ -x "$PG_MIGRATE" ] || PG_MIGRATE="$ROOT/client/pg_migrate"
db=scn_role_boundary
export PGOPTIONS="-c client_min_messages=notice"
sfx=$$
deployer=rb_deployer_$sfx
owner=rb_owner_$sfx
ops=rb_ops_$sfx
monitor=rb_monitor_$sfx
nobody=rb_nobody_$sfx
pw=pw-$sfx
su=$(psql -X -q -A -t -d postgres -c "SELECT current_user")
WORK=$(mktemp -d)

fresh_db $db
cleanup() {
    dropdb --if-exists $db >/dev/null 2>&1
    for r in $deployer $owner $ops $monitor $nobody; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

q $db "CREATE ROLE $deployer LOGIN PASSWORD '$pw'; CREATE ROLE $owner NOLOGIN;
       CREATE ROLE $ops LOGIN PASSWORD '$pw'; CREATE ROLE $monitor LOGIN PASSWORD '$pw' IN ROLE pg_read_all_stats;
       CREATE ROLE $nobody LOGIN PASSWORD '$pw';
       GRANT $owner TO $deployer;
       GRANT EXECUTE ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text),
             migrate.add_file(text, text, text), migrate.upgrade(text, text), migrate.downgrade(text, text),
             migrate.sql(text, text, text)
             TO $deployer, $ops;
       GRANT EXECUTE ON PROCEDURE migrate.run(text, text, text) TO $deployer, $ops;
       GRANT CREATE, USAGE ON SCHEMA public TO $deployer, $owner, $ops;
       CREATE TABLE public.who (step text, cur name, sess name);
       GRANT ALL ON public.who TO PUBLIC;" >/dev/null

# login_as <role> <psql args...>: a session that logged in as the role
login_as() {
    local role=$1; shift
    PGUSER=$role PGPASSWORD=$pw psql -X -q -A -t -v VERBOSITY=verbose -d $db "$@" 2>&1
}
su_psql() { psql -X -q -A -t -v VERBOSITY=verbose -d $db "$@" 2>&1; }
state() { grep -oE '^ERROR:  [0-9A-Z]{5}' <<<"$1" | head -1 | cut -c9-; }
rolsuper() { q $db "SELECT rolsuper FROM pg_roles WHERE rolname = '$1'"; }

# ---------------------------------------------------------------- (a)
out=$(login_as $deployer -c "SELECT migrate.add('a1', 'ALTER ROLE $deployer SUPERUSER', 'SELECT 1')")
is "$(state "$out")" "" "(a) the deployer registers ALTER ROLE ... SUPERUSER"
out=$(su_psql -c "SELECT * FROM migrate.upgrade('heads')")
is "$(state "$out")" "42501" "(a) a superuser's upgrade('heads') runs it as the deployer: permission denied (42501)"
like "$out" 'revision "a1"' "(a) naming the revision"
is "$(rolsuper $deployer)" "f" "(a) the deployer is not a superuser"
q $db "SELECT migrate.remove('a1')" >/dev/null

# ---------------------------------------------------------------- (b)
q $db "SELECT migrate.add('r1', \$\$INSERT INTO public.who VALUES ('r1', current_user, session_user)\$\$, 'SELECT 1')" >/dev/null
out=$(login_as $deployer -c "SELECT migrate.add('r1', 'ALTER ROLE $deployer SUPERUSER', 'SELECT 1')")
like "$out" 'NOTICE:  00000: revision "r1" replaced' "(b) the deployer replaces the reviewed, unapplied r1"
like "$out" "It was registered by role \"$su\"; it now runs with the rights of role \"$deployer\"" \
     "(b) and add() says whose rights it now runs with"
out=$(su_psql -c "SELECT * FROM migrate.upgrade('heads')")
is "$(state "$out")" "42501" "(b) the replaced r1 runs as the deployer: permission denied"
is "$(rolsuper $deployer)" "f" "(b) the deployer is not a superuser"
q $db "SELECT migrate.remove('r1')" >/dev/null

# ---------------------------------------------------------------- (c)
login_as $deployer -c "SELECT migrate.add('c1', 'RESET ROLE; ALTER ROLE $deployer SUPERUSER', 'SELECT 1')" >/dev/null
out=$(su_psql -c "SET ROLE $deployer" -c "SELECT * FROM migrate.upgrade('heads')")
is "$(state "$out")" "42501" "(c) SET ROLE deployer, then upgrade: refused"
like "$out" 'cannot set parameter "role" within security-definer function' "(c) the body's RESET ROLE fails"
out=$(su_psql -c "SET SESSION AUTHORIZATION $deployer" -c "SELECT * FROM migrate.upgrade('heads')" \
              -c "SELECT current_user || ' ' || session_user")
like "$out" 'cannot set parameter "role" within security-definer function' \
     "(c) SET SESSION AUTHORIZATION deployer, then upgrade: the same"
like "$out" "$deployer $deployer\$" "(c) and the session is as it was"
is "$(rolsuper $deployer)" "f" "(c) the deployer is not a superuser"
q $db "SELECT migrate.remove('c1')" >/dev/null

# ---------------------------------------------------------------- (d)
login_as $ops -c "SELECT migrate.add('d1', 'CREATE TABLE public.d1 (id int)', 'DROP TABLE public.d1')" >/dev/null
login_as $deployer -c "SELECT migrate.add('d2', 'CREATE TABLE public.d2 (id int)', 'DROP TABLE public.d2', '{d1}')" >/dev/null
runs=$(q $db "SELECT count(*) FROM migrate.run")
out=$(login_as $ops -c "SELECT * FROM migrate.upgrade('head')")
is "$(state "$out")" "42501" "(d) ops, not a member of the deployer, is refused (42501)"
like "$out" "permission denied to run revision \"d2\", registered by role \"$deployer\"" "(d) naming the revision and the role"
like "$out" "checked before anything ran" "(d) before anything ran"
is "$(q $db "SELECT count(*) FROM migrate.applied")|$(q $db "SELECT to_regclass('public.d1') IS NULL")|$(q $db "SELECT count(*) FROM migrate.run")" \
   "0|t|$runs" "(d) its own d1 did not run, and no run is recorded"

# ---------------------------------------------------------------- (e)
q $db "SELECT migrate.remove('d2'); SELECT migrate.remove('d1')" >/dev/null
out=$(login_as $deployer -c "SELECT migrate.add('e1', \$\$SET ROLE $owner; CREATE TABLE public.e1 (id int); INSERT INTO public.who VALUES ('e1', current_user, session_user)\$\$, 'DROP TABLE public.e1')" \
                         -c "SELECT count(*) FROM migrate.upgrade('head')" -c "SELECT current_user")
is "$(state "$out")" "" "(e) the deployer upgrades its own revision"
is "$(q $db "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.e1'::regclass")|$(q $db "SELECT cur || ' ' || sess FROM public.who WHERE step = 'e1'")" \
   "$owner|$owner $deployer" "(e) the body's SET ROLE to a role the deployer is a member of worked"
like "$out" "$deployer\$" "(e) and did not reach the deployer's session"

# ---------------------------------------------------------------- (f)
q $db "CREATE SCHEMA trap; GRANT USAGE ON SCHEMA trap TO PUBLIC" >/dev/null
login_as $deployer -c "SELECT migrate.add('f1', 'CREATE TABLE public.f1 (id int, name text)', 'DROP TABLE public.f1', '{e1}')" \
                   -c "SELECT migrate.add('f2', \$\$SELECT set_config('search_path', 'trap, public', false); SET work_mem = '77MB'; CREATE INDEX CONCURRENTLY f1_name ON public.f1 (name); INSERT INTO public.who VALUES ('f2', current_user, session_user)\$\$, 'DROP INDEX CONCURRENTLY public.f1_name', '{f1}', transactional => false)" >/dev/null
out=$(su_psql -c "SET work_mem = '5MB'" -c "CALL migrate.run('head')" \
              -c "SELECT current_user || ' ' || current_setting('search_path') || ' ' || current_setting('work_mem')")
is "$(state "$out")" "" "(f) a superuser's CALL migrate.run applies the deployer's non-transactional revision"
is "$(q $db "SELECT cur FROM public.who WHERE step = 'f2'")|$(q $db "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.f1_name'::regclass")" \
   "$deployer|t" "(f) its statements, CREATE INDEX CONCURRENTLY included, ran as the deployer"
like "$out" "$su \"\\\$user\", public 5MB\$" "(f) the body's set_config(search_path) and SET did not reach the caller"
login_as $deployer -c "SELECT migrate.add('f3', \$\$CREATE INDEX CONCURRENTLY f1_id ON public.f1 (id); RESET ROLE; ALTER ROLE $deployer SUPERUSER\$\$, NULL, '{f2}', transactional => false)" >/dev/null
out=$(su_psql -c "CALL migrate.run('head')" -c "SELECT current_user || ' ' || session_user" -c "SET ROLE $ops" -c "SELECT current_user")
is "$(state "$out")" "42501" "(f) a non-transactional body's RESET ROLE after CREATE INDEX CONCURRENTLY fails"
like "$out" 'cannot set parameter "role" within security-definer function' "(f) with the reason"
like "$out" "$su $su
$ops\$" "(f) afterwards the session is the caller's again, and may SET ROLE"
is "$(rolsuper $deployer)" "f" "(f) the deployer is not a superuser"
out=$(login_as $ops -c "CALL migrate.run('head')")
is "$(state "$out")" "42501" "(f) CALL migrate.run by a non-member: refused (42501)"
like "$out" "permission denied to run revision \"f3\"" "(f) naming the revision"
q $db "SELECT migrate.remove('f3')" >/dev/null

# ---------------------------------------------------------------- (g)
login_as $deployer -c "SELECT migrate.add('g1', \$\$INSERT INTO public.who VALUES ('g1', current_user, session_user)\$\$, 'DELETE FROM public.who WHERE step = ''g1''', '{f2}')" >/dev/null
q $db "SELECT migrate.sql('head')" >"$WORK/script.sql"
like "$(cat "$WORK/script.sql")" "SET ROLE $deployer;
SELECT \\\$migrate\\\$INSERT INTO public.who" "(g) the offline script runs the deployer's body under SET ROLE"
PGUSER=$ops PGPASSWORD=$pw psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$WORK/script.sql" >"$WORK/ops.out" 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "(g) run by a role that may not SET ROLE to the deployer, the script stops"
like "$(cat "$WORK/ops.out")" "permission denied to set role" "(g) at the SET ROLE"
is "$(q $db "SELECT count(*) FROM public.who WHERE step = 'g1'")|$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = 'g1'")" \
   "0|0" "(g) before the first body ran"
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$WORK/script.sql" >/dev/null 2>&1
ok $? "(g) a superuser runs it"
is "$(q $db "SELECT cur || ' ' || sess FROM public.who WHERE step = 'g1'")" "$deployer $su" "(g) the body ran as the deployer"

# ---------------------------------------------------------------- (h)
q $db "CREATE TABLE public.users (email text UNIQUE); GRANT ALL ON public.users TO $deployer;
       INSERT INTO public.users VALUES ('alice@example.com')" >/dev/null
out=$(login_as $deployer -c "SELECT migrate.add('h1', \$\$INSERT INTO public.users VALUES ('alice@example.com')\$\$, NULL, '{g1}')" \
                         -c "SELECT * FROM migrate.upgrade('head')")
like "$out" 'Key \(email\)=\(alice@example.com\) already exists' "(h) the deployer's upgrade fails on a row value; it sees it"
for role in $nobody $ops; do
    is "$(login_as $role -c "SELECT error_revision || ' ' || error_sqlstate || ' ' || status || ' ' || (error_message IS NULL) || (error_detail IS NULL) FROM migrate.run ORDER BY id DESC LIMIT 1")" \
       "h1 23505 failed truetrue" "(h) another role ($role) reads the revision, SQLSTATE and status, not the message or detail"
    is "$(login_as $role -c "SELECT count(*) FROM migrate.run r WHERE r::text LIKE '%alice%'")|$(login_as $role -c "SELECT last_run_error FROM migrate.status()")" \
       "0|h1: 23505" "(h) nor through status() ($role)"
done
PGUSER=$nobody PGPASSWORD=$pw "$PG_MIGRATE" --no-sync -d $db status >"$WORK/st.out" 2>&1
is "$(grep -c alice "$WORK/st.out")" "0" "(h) pg_migrate status as another role: no row value"
like "$(cat "$WORK/st.out")" "h1" "(h) but the failing revision"
PGUSER=$nobody PGPASSWORD=$pw "$PG_MIGRATE" --no-sync -d $db history --json >"$WORK/hist.out" 2>&1
is "$(grep -c alice "$WORK/hist.out")" "0" "(h) pg_migrate history --json as another role: no row value"
PGUSER=$deployer PGPASSWORD=$pw "$PG_MIGRATE" --no-sync -d $db status >"$WORK/st2.out" 2>&1
like "$(cat "$WORK/st2.out")" "duplicate key value" "(h) pg_migrate status as the role that ran it: the message"
like "$(login_as $deployer -c "SELECT error_detail FROM migrate.run ORDER BY id DESC LIMIT 1")" 'alice@example.com' \
     "(h) the role that ran it reads the detail"
like "$(login_as $monitor -c "SELECT error_detail FROM migrate.run ORDER BY id DESC LIMIT 1")" 'alice@example.com' \
     "(h) a pg_read_all_stats member reads the detail"
is "$(login_as $nobody -c "SELECT count(*) FROM migrate.revision_checksum WHERE checksum IS NOT NULL")|$(login_as $deployer -c "SELECT count(*) FROM migrate.revision_checksum WHERE checksum IS NOT NULL AND registered_by = current_user")" \
   "0|$(q $db "SELECT count(*) FROM migrate.revision WHERE registered_by = '$deployer'")" \
   "(h) checksums: none for another role, every one of its own for the deployer"

# ---------------------------------------------------------------- (i)
# a SECURITY DEFINER function of a superuser that runs upgrade() for the
# deployer: the deployer's own session, but the body runs as the deployer,
# not as the function's owner
q $db "SELECT migrate.remove('h1');
       CREATE FUNCTION public.deploy() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
           AS \$f\$ SELECT count(*) FROM migrate.upgrade('head') \$f\$;
       REVOKE EXECUTE ON FUNCTION public.deploy() FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.deploy() TO $deployer" >/dev/null
out=$(login_as $deployer -c "SELECT migrate.add('i1', 'ALTER ROLE $deployer SUPERUSER', NULL, '{g1}')" -c "SELECT public.deploy()")
is "$(state "$out")" "42501" "(i) the deployer's body, run through a superuser's SECURITY DEFINER function: permission denied"
is "$(rolsuper $deployer)" "f" "(i) the deployer is not a superuser"

done_testing

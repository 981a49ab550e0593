#!/usr/bin/env bash
# Privileges across roles and sessions, beyond test/pgtap/security.sql
# (which covers the grants on tables and functions, reading status as a
# role without grants, and add/remove/status under a hijacked search_path):
#   - a role without grants cannot call any changing function (upgrade,
#     downgrade, stamp, add, add_file, remove, ensure, sql, run), and cannot
#     read a body through a side channel: the failed-run record
#     (migrate.run.error_context), the parser's verdict (upgrade_problem,
#     validate());
#   - a body the caller registered itself (the same role, logged in as
#     itself: test/scenario/role_boundary.sh has the other cases) runs with
#     the caller's rights: a caller granted upgrade cannot create in a
#     schema it has no rights on, write the catalog, take another role, or
#     read bodies from inside a body; a SET ROLE inside a body does not
#     reach the next revision or the caller; a caller that is not a member
#     of the role that registered a body is refused (42501);
#   - lookalike objects ahead of pg_catalog in the caller's search_path
#     (tables named like the catalog, now(), pg_advisory_xact_lock(),
#     array_agg, the = operator on text[]) are never used by upgrade,
#     downgrade, stamp, CALL run, sql, add_file, ensure or verify;
#   - every SECURITY DEFINER function of the extension pins search_path;
#   - the script of migrate.sql(), run with psql by a superuser, is not
#     hijacked by objects another role planted in public.
# Roles are created with a per-run suffix and dropped at the end.  Prints TAP.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_privileges
export PGOPTIONS="-c client_min_messages=warning"
sfx=$$
nobody=priv_nobody_$sfx
deployer=priv_deployer_$sfx
helper=priv_helper_$sfx
mallory=priv_mallory_$sfx

fresh_db $db
cleanup() {
    dropdb --if-exists $db >/dev/null 2>&1
    for r in $nobody $deployer $helper $mallory; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
    done
}
trap cleanup EXIT

q $db "CREATE ROLE $nobody NOLOGIN; CREATE ROLE $deployer LOGIN PASSWORD 'pw-$sfx'; CREATE ROLE $helper NOLOGIN;
       CREATE ROLE $mallory NOLOGIN;
       GRANT $helper TO $deployer;
       GRANT EXECUTE ON FUNCTION migrate.upgrade(text, text), migrate.downgrade(text, text),
             migrate.stamp(text, text), migrate.sql(text, text, text), migrate.ensure(text) TO $deployer;
       GRANT EXECUTE ON PROCEDURE migrate.run(text, text, text) TO $deployer;
       GRANT CREATE, USAGE ON SCHEMA public TO $deployer;
       CREATE SCHEMA locked;
       CREATE TABLE public.who (step text, cur name, sess name);
       GRANT ALL ON public.who TO $deployer;" >/dev/null

# as <role> <sql...>: run statements as a role (session_user and current_user
# both become the role), errors to stdout with their SQLSTATE
as() {
    local role=$1; shift
    psql -X -q -A -t -v VERBOSITY=verbose -d $db -c "SET SESSION AUTHORIZATION $role" "$@" 2>&1
}
state() { grep -oE '^ERROR:  [0-9A-Z]{5}' <<<"$1" | head -1 | cut -c9-; }
# login_as <role> <sql...>: a session that logs in as the role itself
login_as() {
    local role=$1; shift
    PGUSER=$role PGPASSWORD=pw-$sfx psql -X -q -A -t -v VERBOSITY=verbose -d $db "$@" 2>&1
}
# registered_as <role> <id>...: the revisions count as registered by the role
# (as if it had called add(); the deployer here may not, so that a body's
# call of add() stays refused)
registered_as() {
    local role=$1; shift
    local ids; ids=$(printf "'%s'," "$@")
    q $db "UPDATE migrate.revision SET registered_by = '$role' WHERE id IN (${ids%,})" >/dev/null
}

# ---------------------------------------------------------------- no grants
q $db "SELECT migrate.add('p1', 'CREATE TABLE public.p1 (id int)', 'DROP TABLE public.p1')" >/dev/null
for call in "SELECT * FROM migrate.upgrade('head')" "SELECT * FROM migrate.downgrade('base')" \
            "SELECT * FROM migrate.stamp('head')" "SELECT migrate.sql('head')" \
            "SELECT migrate.add('p9', 'SELECT 1')" \
            "SELECT migrate.add_file(E'-- migrate:revision p9\n-- migrate:upgrade\nSELECT 1')" \
            "SELECT migrate.remove('p1')" "SELECT migrate.ensure('CREATE TABLE public.e (id int)')" \
            "CALL migrate.run('head')" "CALL migrate.run('base', 'down')"; do
    is "$(state "$(as $nobody -c "$call")")" "42501" "a role without grants: $call is refused (42501)"
done
is "$(q $db "SELECT count(*) FROM migrate.applied")|$(q $db "SELECT count(*) FROM migrate.run")" "0|0" \
   "a role without grants changed nothing"

# ---------------------------------------------------------------- bodies run as the caller
q $db "SELECT migrate.add('p2', \$\$INSERT INTO public.who VALUES ('p2', current_user, session_user)\$\$, 'SELECT 1', '{p1}');
       SELECT migrate.add('p3', 'CREATE TABLE locked.t (id int)', 'DROP TABLE locked.t', '{p2}')" >/dev/null
out=$(as $deployer -c "SELECT count(*) FROM migrate.upgrade('head')")
is "$(state "$out")" "42501" "bodies a superuser registered: a caller that is not a member of it is refused (42501)"
like "$out" "permission denied to run revision \"p1\", registered by role \"$(q $db "SELECT current_user")\"" \
   "naming the first revision and the role"
is "$(q $db "SELECT count(*) FROM migrate.applied")|$(q $db "SELECT to_regclass('public.p1') IS NULL")" "0|t" \
   "before anything ran"
registered_as $deployer p1 p2 p3
out=$(login_as $deployer -c "SELECT count(*) FROM migrate.upgrade('head')")
is "$(state "$out")" "42501" "a granted caller cannot create in a schema it has no rights on (42501)"
like "$out" 'permission denied for schema locked' "the body's own error"
like "$out" 'revision "p3"' "naming the revision"
is "$(q $db "SELECT count(*) FROM migrate.applied")|$(q $db "SELECT to_regclass('public.p1') IS NULL")" "0|t" \
   "nothing of that upgrade stays applied"
q $db "SELECT migrate.remove('p3')" >/dev/null
is "$(login_as $deployer -c "SELECT string_agg(revision, ',') FROM migrate.upgrade('head')")" "p1,p2" \
   "without the forbidden revision, the granted caller upgrades"
is "$(q $db "SELECT cur || ' ' || sess FROM public.who WHERE step = 'p2'")" "$deployer $deployer" \
   "the body ran as the caller (current_user), never as the extension's owner"
is "$(q $db "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.p1'::regclass")" "$deployer" \
   "and what it created belongs to the caller"
is "$(q $db "SELECT applied_by FROM migrate.applied WHERE revision = 'p1'")" "$deployer" "recorded as applied by the caller"

for body in "INSERT INTO migrate.applied (revision) VALUES ('forged')" \
            "UPDATE migrate.revision SET upgrade = 'DROP TABLE everything'" \
            "DELETE FROM migrate.run" "SELECT upgrade FROM migrate.revision" \
            "SELECT migrate.add('p9', 'SELECT 1')" "SET ROLE postgres" \
            "ALTER ROLE $deployer SUPERUSER" "SELECT pg_advisory_unlock_all()"; do
    q $db "SELECT migrate.add('p4', \$b\$$body\$b\$, 'SELECT 1', '{p2}')" >/dev/null
    registered_as $deployer p4
    out=$(login_as $deployer -c "SELECT count(*) FROM migrate.upgrade('head')")
    if [ "$body" = "SELECT pg_advisory_unlock_all()" ]; then
        # allowed (the caller may release its own locks), but the migration
        # lock is not an ordinary advisory lock of the session: check below
        is "$(state "$out")" "" "a body may call pg_advisory_unlock_all() (it runs as the caller)"
        q $db "SELECT count(*) FROM migrate.downgrade('p2')" >/dev/null
    else
        like "$(state "$out")" "^(42501|0A000)$" "a body cannot: $body ($(state "$out"))"
    fi
done
q $db "SELECT migrate.remove('p4')" >/dev/null
is "$(q $db "SELECT count(*) FROM migrate.applied WHERE revision = 'forged'")|$(q $db "SELECT count(*) FROM migrate.revision WHERE upgrade LIKE '%everything%'")" \
   "0|0" "the catalog was not written by any body"

# SET ROLE inside a body: discarded after the revision
q $db "SELECT migrate.add('p5', 'SET ROLE $helper', 'SELECT 1', '{p2}');
       SELECT migrate.add('p6', \$\$INSERT INTO public.who VALUES ('p6', current_user, session_user)\$\$, 'SELECT 1', '{p5}')" >/dev/null
registered_as $deployer p5 p6
out=$(login_as $deployer -c "SELECT count(*) FROM migrate.upgrade('head')" -c "SELECT current_user")
is "$(q $db "SELECT cur FROM public.who WHERE step = 'p6'")" "$deployer" "a SET ROLE in one body does not reach the next revision"
like "$out" "$deployer\$" "nor the caller's session"
is "$(q $db "SELECT applied_by FROM migrate.applied WHERE revision = 'p6'")" "$deployer" "and the bookkeeping names the caller"

# ---------------------------------------------------------------- side channels to bodies
q $db "SELECT migrate.add('s1', \$\$CREATE ROLE app_$sfx PASSWORD 'hunter2-$sfx'; CREATE ROLE app_$sfx PASSWORD 'hunter2-$sfx';\$\$, NULL, '{p6}')" >/dev/null
out=$(q $db "SELECT count(*) FROM migrate.upgrade('head')" 2>&1)
like "$out" "hunter2" "the caller sees its own failing statement in the error"
is "$(as $nobody -c "SELECT count(*) FROM migrate.run WHERE concat_ws(' ', error_message, error_detail, error_hint, error_context) LIKE '%hunter2%'")" "0" \
   "a role without grants cannot read the failing statement from migrate.run"
like "$(q $db "SELECT error_context FROM migrate.run WHERE error_revision = 's1'")" 'upgrade body of revision "s1" \(step 1 of 1\), statement 2' \
   "the recorded context still says where it failed (to the role that ran it)"
is "$(q $db "SELECT count(*) FROM migrate.run_log WHERE concat_ws(' ', error_message, error_detail, error_hint, error_context) LIKE '%hunter2%'")" "0" \
   "and the run log never quotes the body, even for them"
is "$(as $nobody -c "SELECT error_revision || ' ' || error_sqlstate || ' ' || (error_context IS NULL) FROM migrate.run WHERE error_revision = 's1'")" "s1 42710 true" \
   "a role without grants sees the revision and the SQLSTATE, not the context"
q $db "SELECT migrate.remove('s1');
       SELECT migrate.add('s2', E'CREATE ROLE app2_$sfx LOGIN;\nALTER ROLE app2_$sfx PASSWORD ''hunter2-$sfx;\nSELECT 1;', NULL, '{p6}')" >/dev/null
is "$(as $nobody -c "SELECT count(*) FROM migrate.revision WHERE concat_ws(' ', upgrade_problem, downgrade_problem) LIKE '%hunter2%'")" "0" \
   "a role without grants cannot read a body through the parser's verdict (an unterminated quote)"
like "$(as $nobody -c "SELECT message FROM migrate.validate() WHERE code = 'unparsable_body'")" \
   '^upgrade body of "s2": line 2, column [0-9]+: unterminated quoted string$' "validate() says where, without quoting the body"
is "$(as $nobody -c "SELECT count(*) FROM migrate.verify() WHERE message LIKE '%hunter2%'")" "0" "nor does verify()"
q $db "SELECT migrate.remove('s2')" >/dev/null

# ---------------------------------------------------------------- SECURITY DEFINER
is "$(q $db "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'migrate'::regnamespace AND p.prosecdef
                AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\\_path=%')")" "0" \
   "every SECURITY DEFINER function of the extension pins search_path"
echo "# SECURITY DEFINER functions in schema migrate: $(q $db "SELECT coalesce(string_agg(oid::regprocedure::text, ', '), 'none') FROM pg_proc WHERE pronamespace = 'migrate'::regnamespace AND prosecdef")"

# ---------------------------------------------------------------- lookalikes ahead of pg_catalog
q $db "CREATE SCHEMA evil; GRANT USAGE ON SCHEMA evil TO PUBLIC;
       CREATE TABLE evil.revision (id text, upgrade text); CREATE TABLE evil.applied (revision text);
       CREATE TABLE evil.run (id bigint); CREATE TABLE evil.run_step (run_id bigint);
       CREATE TABLE evil.trap (what text); GRANT ALL ON evil.trap TO PUBLIC;
       CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('now'); RETURN pg_catalog.now(); END \$f\$;
       CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('clock_timestamp'); RETURN pg_catalog.now(); END \$f\$;
       CREATE FUNCTION evil.pg_advisory_xact_lock(bigint) RETURNS void LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('lock1'); END \$f\$;
       CREATE FUNCTION evil.pg_advisory_xact_lock(integer, integer) RETURNS void LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('lock2'); END \$f\$;
       CREATE FUNCTION evil.pg_backend_pid() RETURNS integer LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('pid'); RETURN 0; END \$f\$;
       CREATE FUNCTION evil.sfunc(text[], text) RETURNS text[] LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('array_agg'); RETURN \$1 || \$2; END \$f\$;
       CREATE AGGREGATE evil.array_agg(text) (SFUNC = evil.sfunc, STYPE = text[]);
       CREATE FUNCTION evil.eq(text[], text[]) RETURNS boolean LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('='); RETURN true; END \$f\$;
       CREATE OPERATOR evil.= (LEFTARG = text[], RIGHTARG = text[], FUNCTION = evil.eq);
       CREATE FUNCTION evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('text ='); RETURN \$1 OPERATOR(pg_catalog.=) \$2; END \$f\$;
       CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
       SELECT migrate.add('h1', 'CREATE TABLE public.h1 (id int)', 'DROP TABLE public.h1', '{p6}');
       SELECT migrate.add('h2', 'CREATE INDEX CONCURRENTLY h1_id ON public.h1 (id)', 'DROP INDEX public.h1_id', '{h1}', transactional => false)" >/dev/null
registered_as $deployer h1 h2
hj() {  # hj <sql>: as the deployer, with evil ahead of pg_catalog
    login_as $deployer -c "SET search_path = evil, pg_catalog, public" "$@"
}
for call in "SELECT count(*) FROM migrate.upgrade('h1')" "SELECT count(*) FROM migrate.downgrade('p6')" \
            "SELECT count(*) FROM migrate.stamp('h1')" "SELECT count(*) FROM migrate.stamp('p6')" \
            "CALL migrate.run('head')" "CALL migrate.run('p6', 'down')" "SELECT length(migrate.sql('head'))" \
            "SELECT migrate.ensure('CREATE TABLE public.e1 (id int)')" "SELECT migrate.ensure('CREATE TABLE public.e1 (id int)')" \
            "SELECT count(*) FROM migrate.verify(tables => '{public.e1}')" "SELECT count(*) FROM migrate.status()"; do
    out=$(hj -c "$call")
    is "$(state "$out")|$(q $db "SELECT coalesce(string_agg(DISTINCT what, ','), '') FROM evil.trap")" "|" \
       "search_path = evil, pg_catalog: $call works and uses no lookalike"
done
out=$(psql -X -q -A -t -v VERBOSITY=verbose -d $db -c "SET search_path = evil, pg_catalog, public" \
        -c "SELECT migrate.add_file(E'-- migrate:revision h3\n-- migrate:down_revision h1\n-- migrate:upgrade\nSELECT 1', 'h3.sql')" \
        -c "SELECT migrate.remove('h3')" 2>&1)
is "$(state "$out")|$(q $db "SELECT coalesce(string_agg(DISTINCT what, ','), '') FROM evil.trap")" "|" \
   "search_path = evil, pg_catalog: add_file() and remove() use no lookalike"
is "$(q $db "SELECT count(*) FROM evil.revision") $(q $db "SELECT count(*) FROM evil.applied") $(q $db "SELECT count(*) FROM evil.run")" "0 0 0" \
   "the lookalike tables were never written"

# ---------------------------------------------------------------- the offline script
# mallory may create in public (as in databases created before PostgreSQL 15,
# or where CREATE on public was granted); a superuser runs the script.
q $db "GRANT CREATE ON SCHEMA public TO $mallory; TRUNCATE evil.trap;
       SELECT count(*) FROM migrate.downgrade('p6')" >/dev/null
as $mallory -c "CREATE FUNCTION public.sfunc(text[], text) RETURNS text[] LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('script array_agg as ' || current_user); RETURN \$1 || \$2; END \$f\$" \
            -c "CREATE AGGREGATE public.array_agg(text) (SFUNC = public.sfunc, STYPE = text[])" \
            -c "CREATE FUNCTION public.eq(text[], text[]) RETURNS boolean LANGUAGE plpgsql AS \$f\$ BEGIN INSERT INTO evil.trap VALUES ('script = as ' || current_user); RETURN true; END \$f\$" \
            -c "CREATE OPERATOR public.= (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.eq)" >/dev/null
q $db "SELECT migrate.sql('h1')" >"$SESS_DIR/script.sql"
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$SESS_DIR/script.sql" >/dev/null 2>&1
ok $? "the offline script runs"
is "$(q $db "SELECT coalesce(string_agg(DISTINCT what, ','), '') FROM evil.trap")" "" \
   "the offline script uses no object planted in public (array_agg, = on text[])"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "h1" "the script moved the state"

done_testing

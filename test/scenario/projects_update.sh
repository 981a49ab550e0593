#!/usr/bin/env bash
# ALTER EXTENSION migrate UPDATE from 0.1, the projects part
# (sql/update/0.1--0.2/10_projects.sql): rows of a 0.1 catalog land in the
# project 'default'; the catalog, functions, comments, privileges and
# initial privileges end up as a fresh 0.2 install has them (column order
# aside: project comes last in an updated migrate.revision); grants an
# administrator gave on the 0.1 signatures move to the new ones and are
# still dumped by pg_dump.
#
# Needs the 0.1 install script (migrate--0.1.sql) in the server's extension
# directory; without it every test is skipped.  (The update from a real 0.1
# library and database is tested by the upgrade-path test.)
set -u
source "$(dirname "$0")/tap.bash"

sharedir=$(pg_config --sharedir 2>/dev/null)
if [ ! -f "$sharedir/extension/migrate--0.1.sql" ]; then
    echo "1..0 # SKIP migrate--0.1.sql is not installed in $sharedir/extension"
    exit 0
fi

u=scn_projects_update
f=scn_projects_update_fresh
for db in $u $f; do dropdb --if-exists $db >/dev/null 2>&1; createdb $db; done
q $f "CREATE EXTENSION migrate" >/dev/null
q $u "CREATE EXTENSION migrate VERSION '0.1'" >/dev/null
q $u "DROP ROLE IF EXISTS scn_update_deployer; CREATE ROLE scn_update_deployer" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $u >/dev/null <<'SQL'
INSERT INTO migrate.run (kind, target, status, finished_at) VALUES ('upgrade', 'head', 'succeeded', now());
INSERT INTO migrate.revision (id, checksum, content_hash, upgrade, downgrade)
     VALUES ('r1', 'x', 0, 'CREATE TABLE t1 (id int)', 'DROP TABLE t1');
INSERT INTO migrate.revision (id, down_revision, checksum, content_hash, upgrade, downgrade)
     VALUES ('r2', '{r1}', 'y', 0, 'CREATE TABLE t2 (id int)', 'DROP TABLE t2');
INSERT INTO migrate.applied (revision, checksum, run_id) VALUES ('r1', 'x', 1);
INSERT INTO migrate.run_step (run_id, step, revision, direction, started_at, status)
     VALUES (1, 1, 'r1', 'up', now(), 'succeeded');
CREATE TABLE t1 (id int);
GRANT EXECUTE ON FUNCTION migrate.upgrade(text), migrate.downgrade(text) TO scn_update_deployer;
GRANT EXECUTE ON PROCEDURE migrate.run(text, text) TO scn_update_deployer WITH GRANT OPTION;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d $u -c "ALTER EXTENSION migrate UPDATE TO '0.2'" >/dev/null 2>&1
is "$?" "0" "ALTER EXTENSION migrate UPDATE TO '0.2'"
is "$(q $u "SELECT string_agg(project || ':' || id, ',' ORDER BY id) FROM migrate.revision")" "default:r1,default:r2" \
   "revisions kept, in the project default"
is "$(q $u "SELECT string_agg(project || ':' || revision || ':' || run_id, ',') FROM migrate.applied")" "default:r1:1" "applied rows kept"
is "$(q $u "SELECT string_agg(project || ':' || id, ',') FROM migrate.run")|$(q $u "SELECT string_agg(project || ':' || revision, ',') FROM migrate.run_step")" \
   "default:1|default:r1" "runs and steps kept"
is "$(q $u "SELECT string_agg(c, ',') FROM migrate.current() c")" "r1" "current() reads the updated catalog (project last in migrate.revision)"
is "$(q $u "SELECT string_agg(revision, ',') FROM migrate.upgrade()")" "r2" "upgrade() works on it"
is "$(q $u "SELECT has_function_privilege('scn_update_deployer', 'migrate.upgrade(text,text)', 'EXECUTE')
              AND has_function_privilege('scn_update_deployer', 'migrate.downgrade(text,text)', 'EXECUTE')
              AND NOT has_function_privilege('scn_update_deployer', 'migrate.stamp(text,text)', 'EXECUTE')
              AND has_function_privilege('scn_update_deployer', 'migrate.run(text,text,text)', 'EXECUTE WITH GRANT OPTION')")" \
   "t" "grants on the 0.1 signatures moved to the new ones, and no others"
like "$(pg_dump -d $u 2>/dev/null | grep 'scn_update_deployer' | tr '\n' ' ')" \
     "GRANT ALL ON FUNCTION migrate.upgrade\(target text, project text.* TO scn_update_deployer" \
     "pg_dump still dumps them (they are not initial privileges)"

same() {  # same QUERY DESCRIPTION: the query's rows in the fresh and the updated database
    local a b
    a=$(q $f "$1"); b=$(q $u "$1")
    if [ "$a" == "$b" ]; then ok 0 "$2"; else ok 1 "$2"; diff <(echo "$a") <(echo "$b") | sed 's/^/# /'; fi
}
same "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc'),
             array(SELECT x::text FROM unnest(p.proacl) x WHERE x::text NOT LIKE 'scn_update_deployer%' ORDER BY 1)
        FROM pg_proc p WHERE p.pronamespace = 'migrate'::regnamespace ORDER BY 1" \
     "functions, comments and privileges as a fresh install has them"
same "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
             pg_get_expr(d.adbin, d.adrelid), a.attacl
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = 'migrate'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2" \
     "columns, defaults and column privileges (in any order)"
same "SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint
       WHERE connamespace = 'migrate'::regnamespace ORDER BY 1, 2" "keys and foreign keys"
same "SELECT c.relname, c.relacl FROM pg_class c
       WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'S', 'i') ORDER BY 1" "tables, indexes, sequences"
same "SELECT extconfig::regclass[]::text FROM pg_extension WHERE extname = 'migrate'" "the tables pg_dump keeps"
same "SELECT objoid::regprocedure::text, initprivs FROM pg_init_privs
       WHERE classoid = 'pg_proc'::regclass
         AND objoid IN (SELECT oid FROM pg_proc WHERE pronamespace = 'migrate'::regnamespace) ORDER BY 1" \
     "initial privileges"

dropdb $u; dropdb $f
q postgres "DROP ROLE scn_update_deployer" >/dev/null
done_testing

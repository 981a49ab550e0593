#!/usr/bin/env bash
# Hostile input to CALL migrate.run(target, direction), which test/pgtap/
# hostile.sql cannot reach (a procedure that commits cannot run inside the
# test's transaction or an exception block): each call is a session of its
# own, its SQLSTATE is the expected one (never XX000, never a crash), and
# the catalog is unchanged after every error.  Prints TAP.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_hostile_run
export PGOPTIONS="-c client_min_messages=warning"
fresh_db $db
q $db "SELECT migrate.add('a1', 'SELECT 1', 'SELECT 1', branch_labels => '{core}');
       SELECT migrate.add('a2', 'SELECT 2', 'SELECT 2', '{a1}');
       SELECT migrate.add('a3', 'SELECT 3', NULL, '{a2}');
       SELECT count(*) FROM migrate.upgrade('a2')" >/dev/null
fingerprint() {
    q $db "SELECT md5(string_agg(v, ',' ORDER BY v)) FROM (
             SELECT 'r' || ctid || xmin AS v FROM migrate.revision UNION ALL
             SELECT 'a' || ctid || xmin FROM migrate.applied UNION ALL
             SELECT 'u' || ctid || xmin FROM migrate.run_log UNION ALL
             SELECT 's' || ctid || xmin FROM migrate.run_step) q"
}
# target (SQL literal) | direction (SQL literal) | expected SQLSTATE
cases=(
  "NULL|'up'|22004"
  "'head'|NULL|22004"
  "''|'up'|22023"
  "'+-1'|'up'|22023"
  "'-0'|'down'|22023"
  "'+0'|'up'|22023"
  "'+99999999999999999999'|'up'|22003"
  "'-99999999999999999999'|'down'|22003"
  "'@'|'up'|22023"
  "'head@'|'up'|22023"
  "'a@b@c'|'up'|22023"
  "'nolabel@head'|'up'|42704"
  "'core@base'|'up'|22023"
  "'-1'|'up'|22023"
  "'+1'|'down'|22023"
  "'a'|'up'|42P09"
  "'a9'|'up'|42704"
  "'a3'|'down'|55000"
  "'core@-3'|'down'|22023"
  "'head'|'sideways'|22023"
  "'head'|'up; DROP TABLE migrate.revision'|22023"
  "'''; DROP TABLE migrate.revision; --'|'up'|22023"
  "'a1; DELETE FROM migrate.applied'|'down'|22023"
  "repeat('a', 129)|'up'|22023"
  "repeat('x', 10485760)|'up'|22023"
  "'é'|'up'|22023"
  "'%s%n'|'up'|22023"
  "E'a1\\n'|'down'|22023"
)
for c in "${cases[@]}"; do
    IFS='|' read -r target dir expect <<<"$c"
    before=$(fingerprint)
    out=$(psql -X -q -A -t -v VERBOSITY=verbose -d $db -c "CALL migrate.run($target, $dir)" 2>&1)
    got=$(grep -oE '^ERROR:  [0-9A-Z]{5}' <<<"$out" | head -1 | cut -c9-)
    after=$(fingerprint)
    label=$(cut -c1-60 <<<"run($target, $dir)")
    is "${got:-ok}|$([ "$before" = "$after" ] && echo unchanged || echo changed)" "$expect|unchanged" \
       "CALL migrate.$label: $expect, the catalog unchanged"
done
# and the server is still there, the state as it was
is "$(q $db "SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate.applied")" "a1,a2" "the applied state is as it was"
out=$(psql -X -q -d $db -c "CALL migrate.run('a1', 'down')" 2>&1)
is "$out|$(q $db "SELECT string_agg(revision, ',') FROM migrate.applied")" "|a1" "a well-formed CALL still works"
dropdb $db
done_testing

#!/usr/bin/env bash
# The no-op shortcut seen from outside: a fresh connection's upgrade('head')
# with nothing pending answers without loading the graph (migrate.report_memory
# reports every graph load as a NOTICE; the shortcut loads none), and a
# registration from another session sends it the long way again.
source "$(dirname "$0")/tap.bash"
db=noop_scenario
fresh_db $db
q $db "SELECT count(migrate.add('n' || lpad(i::text, 5, '0'), 'SELECT 1', NULL,
        CASE WHEN i > 1 THEN ARRAY['n' || lpad((i - 1)::text, 5, '0')] END)) FROM generate_series(1, 2000) i" >/dev/null
loads() {  # graph loads reported by one fresh connection's upgrade(target)
    psql -X -q -A -t -d $db -c "SET migrate.report_memory = on" -c "SET client_min_messages = notice" \
        -c "SELECT count(*) FROM migrate.upgrade('$1')" 2>&1 | grep -c "NOTICE:  upgrade:"
}
is "$(loads head)" "1" "the first upgrade(head) loads the graph and applies"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "2000" "everything is applied"
is "$(loads head)" "0" "a fresh connection's upgrade(head) with nothing pending loads no graph"
is "$(loads head)" "0" "nor does the next one"
is "$(loads heads)" "1" "upgrade(heads) is remembered apart: the long way once"
is "$(loads heads)" "0" "then the shortcut"
q $db "SELECT migrate.add('n02001', 'SELECT 1', NULL, '{n02000}')" >/dev/null
is "$(loads head)" "1" "after another session registered a revision: the long way"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "2001" "and the new revision is applied"
is "$(loads head)" "0" "then the shortcut again"
psql -X -q -d $db -c "SET ROLE postgres" -c "DELETE FROM migrate.applied WHERE revision = 'n02001'" >/dev/null
is "$(loads head)" "1" "a row deleted by hand: the long way, and it is applied again"
is "$(q $db "SELECT count(*) FROM migrate.applied")" "2001" "applied again"
dropdb $db
done_testing

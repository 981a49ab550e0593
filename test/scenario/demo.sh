#!/usr/bin/env bash
# The demo (scripts/run-demo, what scripts/demo runs in a throwaway cluster)
# runs to its end and shows the file-based flow with pg_migrate: check,
# status, a malformed file refused with its lines, upgrade, history,
# upgrade again with nothing to do (issue 14, item 8); three parse errors
# count as three errors, the database not checked being a note.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
db=pgm_demo_$$
trap 'dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
out=$(DEMO_DB=$db bash "$ROOT/scripts/run-demo" 2>&1)
rc=$?
is "$rc" "0" "scripts/run-demo runs to its end"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
like "$out" "== pg_migrate check" "it runs pg_migrate check"
like "$out" "check: no problems \(4 revisions\)" "which finds the chain sound"
like "$out" "status only reads: nothing was registered" "status registers nothing"
like "$out" "005_broken.sql:2: error: empty item in the list of \"-- migrate:down_revision\"" "a malformed file is refused with its line"
like "$out" "005_broken.sql:3: error: unknown directive \"-- migrate:mesage\"" "every problem with its line"
like "$out" "check: 3 errors, 0 warnings; the database was not checked: fix the files first" \
     "three parse errors are three errors: the database not checked is a note, not a fourth"
unlike() { if [[ "$1" =~ $2 ]]; then ok 1 "$3"; else ok 0 "$3"; fi; }
unlike "$out" "error: the database was not checked" "and no error line for it"
like "$out" "\[4/4\] applying 004 signals, document_links, interactions" "pg_migrate upgrade shows its progress"
like "$out" "upgrade to head: 4 revisions applied" "and applies the chain"
like "$out" "003 -> 004 \(head\) \(current\), signals, document_links, interactions" "pg_migrate history"
like "$out" "nothing to upgrade: at 004" "upgrading again: nothing to do"
like "$out" "public \| interactions" "the tables the chain made"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "004" "the demo database is at 004"
done_testing

#!/usr/bin/env bash
# Every example of README.md and docs/*.md runs (issue 14, item 10): the
# fenced sql, psql, sh and console blocks of each page, in order, in a
# fresh database and a temporary directory of the page's own, failing on
# any error or any transcript line the command does not print; a block it
# cannot run (another language, an indented code block) must be marked
# no-test with a reason, which the test prints, or it fails.  The
# convention (and the directives that hide setup or skip a block) is in
# test/scenario/docs_examples.py and docs/contributing.md.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
[ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ] && export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
# the pg_migrate of $PG_MIGRATE, else the installed one, else the build tree's
if [ -n "${PG_MIGRATE:-}" ]; then
    export PATH="$(dirname "$PG_MIGRATE"):$PATH"
elif ! command -v pg_migrate >/dev/null 2>&1; then
    export PATH="$ROOT/client:$PATH"
fi
export MIGRATE_ROOT=$ROOT
exec python3 "$HERE/docs_examples.py" "$@"

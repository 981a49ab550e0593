#!/usr/bin/env bash
# pg_migrate lint, and the lint findings of upgrade --dry-run and check:
# file:line positions in the revision files, exit statuses (1 on errors,
# --strict for warnings), --json, files not registered yet (lint FILE...),
# --down, usage errors, and a role that may not run migrate.lint().
#
# The binary: $PG_MIGRATE, else the installed one, else client/pg_migrate.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
source "$HERE/pgm.bash"

db=pgm_lint
fresh_db $db
export PGDATABASE=$db
dir=$WORK/migrations
mkdir -p "$dir"
cat >"$dir/001_big.sql" <<'EOF'
-- migrate:revision 001
-- migrate:message a table with rows
-- migrate:upgrade
CREATE TABLE public.big (id bigint PRIMARY KEY, x bigint, note text);
INSERT INTO public.big SELECT g, g, 'n' FROM generate_series(1, 5000) g;
ANALYZE public.big;
-- migrate:downgrade
DROP TABLE public.big;
EOF
pgm -D "$dir" upgrade
is "$RC" "0" "001 applied"
pgm -D "$dir" lint
is "$RC" "0" "lint with nothing pending: exit 0"
like "$OUT" "lint: 0 errors, 0 warnings" "... and says so"

cat >"$dir/002_index.sql" <<'EOF'
-- migrate:revision 002
-- migrate:down_revision 001
-- migrate:message index big by x

-- migrate:upgrade
-- the index the report needs
COMMENT ON TABLE public.big IS 'the big one';

CREATE INDEX big_x ON public.big (x);
-- migrate:downgrade
DROP INDEX public.big_x;
EOF
pgm -D "$dir" lint
is "$RC" "0" "lint with a warning: exit 0"
like "$OUT" "002_index.sql:9: warning: CREATE INDEX big_x takes ShareLock on public.big \(about 5000 rows" \
     "the finding at file:line of the revision file, with the table's size"
like "$OUT" "\[blocking_index\]" "... its rule code"
like "$OUT" "hint: Build it with CREATE INDEX CONCURRENTLY" "... and the safe way"
pgm -D "$dir" lint --strict
is "$RC" "1" "lint --strict: a warning fails"
pgm -D "$dir" lint -v
like "$OUT" "002_index.sql:7: info: COMMENT takes ShareUpdateExclusiveLock on public.big" "-v shows the info findings (every lock)"
pgm -D "$dir" lint --json
is "$RC" "0" "lint --json"
is "$(json "[(f['file'].split('/')[-1], f['line'], f['code'], f['lock'], f['rows']) for f in d['findings'] if f['severity'] != 'info']")" \
   "[('002_index.sql', 9, 'blocking_index', 'ShareLock', 5000)]" "--json: file, line, code, lock, rows"
is "$(json "(d['errors'], d['warnings'], d['target'], d['direction'])")" "(0, 1, 'head', 'up')" "--json: counts, target, direction"

PGOPTIONS="-c migrate.lint_large_table=0" pgm -D "$dir" lint
is "$RC" "1" "above migrate.lint_large_table: an error, exit 1"
like "$OUT" "002_index.sql:9: error: " "... the same finding as an error"

pgm -D "$dir" upgrade --dry-run
is "$RC" "0" "upgrade --dry-run: exit 0"
like "$OUT" "would apply" "... the plan"
like "$OUT" "002_index.sql:9: warning: .*\[blocking_index\]" "... and the lint findings"
pgm -D "$dir" upgrade --dry-run --json
is "$(json "[f['code'] for f in d['lint'] if f['severity'] != 'info']")" "['blocking_index']" "upgrade --dry-run --json: lint"

pgm -D "$dir" check
is "$RC" "0" "check with a lint warning: exit 0"
like "$OUT" "002_index.sql:9: warning: .*\[blocking_index\]" "check shows the pending plan's lint findings"
PGOPTIONS="-c migrate.lint_large_table=0" pgm -D "$dir" check
is "$RC" "0" "check with a lint error: exit 0 without --strict"
like "$OUT" "lint errors fail with --strict" "... and says what would fail"
PGOPTIONS="-c migrate.lint_large_table=0" pgm -D "$dir" check --strict
is "$RC" "1" "check --strict fails on a lint error"
pgm -D "$dir" check --json
is "$(json "(d['lint_errors'], d['lint_warnings'])")" "(0, 1)" "check --json: lint counts"

# the downgrade of what is applied
pgm -D "$dir" lint base --down
is "$RC" "0" "lint base --down"
like "$OUT" "001_big.sql:8: warning: DROP TABLE public.big .*\[drop_table\]" "... lints the downgrade section, at its lines"

# files not registered: lint FILE...
cat >"$WORK/003_new.sql" <<'EOF'
-- migrate:revision 003
-- migrate:down_revision 002
-- migrate:upgrade
ALTER TABLE public.big ADD COLUMN flag boolean NOT NULL;
ALTER TABLE public.big RENAME COLUMN note TO remark;
EOF
pgm lint "$WORK/003_new.sql"
is "$RC" "1" "lint FILE: an error, exit 1"
like "$OUT" "003_new.sql:4: error: ADD COLUMN flag NOT NULL without a default fails on public.big .*\[required_column\]" \
     "... at the file's line"
like "$OUT" "003_new.sql:5: warning: renaming column note of public.big .*\[rename\]" "... every statement"
is "$(psql -X -A -t -c "SELECT count(*) FROM migrate.revision WHERE id = '003'")" "0" "... without registering the file"
printf -- '-- migrate:revision 004\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY big_n ON public.big (note);\n' >"$WORK/004_tx.sql"
pgm lint "$WORK/004_tx.sql"
is "$RC" "1" "lint FILE: CONCURRENTLY in a transactional file is an error"
like "$OUT" "004_tx.sql:3: error: .*\[concurrently_in_transaction\]" "... concurrently_in_transaction"
printf -- '-- migrate:revision 005\n-- migrate:nonsense x\n-- migrate:upgrade\nSELECT 1;\n' >"$WORK/005_bad.sql"
pgm lint "$WORK/005_bad.sql"
is "$RC" "1" "lint FILE: a file that does not parse, exit 1"
like "$ERR" "005_bad.sql:2: " "... its error at file:line"
pgm lint "$WORK/no_such.sql"
is "$RC" "1" "lint FILE: a missing file, exit 1"

# another project's directory: lint and check act on its plan alone
pdir=$WORK/meals
mkdir -p "$pdir"
printf -- '-- migrate:revision m1\n-- migrate:upgrade\nCREATE INDEX big_note ON public.big (note);\n' >"$pdir/m1_meals.sql"
pgm -D "$pdir" --project meals lint
is "$RC" "0" "lint --project meals: exit 0"
like "$OUT" "m1_meals.sql:3: warning: CREATE INDEX big_note .*\[blocking_index\]" "... lints the project's own plan"
pgm -D "$pdir" --project meals check
is "$RC" "0" "check --project meals (its pending plan linted): exit 0"
like "$OUT" "m1_meals.sql:3: warning: .*\[blocking_index\]" "... with the project's lint findings"
pgm -D "$dir" lint
like "$OUT" "002_index.sql:9: warning" "the default project's plan is its own"
if [[ "$OUT" == *m1_meals* ]]; then ok 1 "... without the other project's"; else ok 0 "... without the other project's"; fi

# usage
pgm -D "$dir" lint head extra
is "$RC" "2" "lint TARGET and more: usage error"
pgm lint "$WORK/003_new.sql" --down
is "$RC" "2" "lint FILE --down: usage error"
pgm -D "$dir" lint nosuch
is "$RC" "1" "lint of an unknown target: exit 1"

# a role that may not run migrate.lint(): lint says so, check goes on without it
psql -X -q -c "CREATE ROLE lint_reader LOGIN PASSWORD 'lint-pw'; GRANT USAGE ON SCHEMA public TO lint_reader" >/dev/null
PGUSER=lint_reader PGPASSWORD=lint-pw pgm -D "$dir" --no-sync lint
is "$RC" "2" "lint as a role without EXECUTE on migrate.lint(): exit 2"
like "$ERR" "this role may not run it" "... with the reason"
PGUSER=lint_reader PGPASSWORD=lint-pw pgm -D "$dir" --no-sync check
is "$RC" "0" "check as that role still works (no lint findings)"
PGUSER=lint_reader PGPASSWORD=lint-pw pgm lint "$WORK/003_new.sql"
is "$RC" "1" "lint FILE works for every role (migrate.lint_sql() is public)"

dropdb $db
psql -X -q -d postgres -c "DROP ROLE lint_reader" >/dev/null
done_testing

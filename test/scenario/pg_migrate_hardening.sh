#!/usr/bin/env bash
# pg_migrate after outside testing (issue 13): a plan whose revision uses an
# enum value an earlier one adds goes through CALL migrate.run; Mermaid
# output marks non-transactional revisions as DOT does; a body's problem is
# reported at its line in the file; a NOTICE the server repeats (each parse
# of a body repeats "identifier ... will be truncated") is shown once.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
P=${PGM_PREFIX:-pgm_}h_
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
source "$HERE/pgm.bash"

#---------------------------------------------------------------- enum values
db=${P}enum
fresh_db $db
mkdir -p "$WORK/enum"
cat >"$WORK/enum/e1_type.sql" <<'EOF'
-- migrate:revision e1
-- migrate:upgrade
CREATE TYPE visibility AS ENUM ('Public');
CREATE TABLE post (id int, v visibility);
-- migrate:downgrade
DROP TABLE post;
DROP TYPE visibility;
EOF
cat >"$WORK/enum/e2_private.sql" <<'EOF'
-- migrate:revision e2
-- migrate:down_revision e1
-- migrate:upgrade
ALTER TYPE visibility ADD VALUE 'Private';
EOF
cat >"$WORK/enum/e3_index.sql" <<'EOF'
-- migrate:revision e3
-- migrate:down_revision e2
-- migrate:upgrade
CREATE INDEX post_public ON post (id) WHERE v <> 'Private';
-- migrate:downgrade
DROP INDEX post_public;
EOF
pgm -D "$WORK/enum" -d $db check
like "$OUT" "enum_value_used_too_early" "check reports the pair (enum_value_used_too_early)"
pgm -D "$WORK/enum" -d $db check --strict
is "$RC" "1" "and check --strict fails on it"
pgm -D "$WORK/enum" -d $db --json upgrade
is "$RC" "0" "pg_migrate upgrade applies a plan that adds an enum value and then uses it"
is "$(json 'd["mode"]')" "per-revision (CALL migrate.run)" "through CALL migrate.run, which commits after each revision"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "e3" "all three are applied"

#---------------------------------------------------------------- Mermaid
mkdir -p "$WORK/g"
cat >"$WORK/g/g1_base.sql" <<'EOF'
-- migrate:revision g1
-- migrate:upgrade
CREATE TABLE g (id int);
EOF
cat >"$WORK/g/g2_index.sql" <<'EOF'
-- migrate:revision g2
-- migrate:down_revision g1
-- migrate:transactional false
-- migrate:upgrade
CREATE INDEX CONCURRENTLY g_id ON g (id);
EOF
pgm -D "$WORK/g" graph --mermaid
like "$OUT" 'g2<br/>\(non-transactional\)' "graph --mermaid says which revision is non-transactional"
like "$OUT" $'\n  class n1 nontransactional' "and draws it in a class of its own"
pgm -D "$WORK/g" graph
like "$OUT" '"g2" \[label="g2", peripheries=2, color=blue\]' "(as DOT draws it blue)"

#---------------------------------------------------------------- line numbers in the file
db=${P}lines
fresh_db $db
mkdir -p "$WORK/l"
cat >"$WORK/l/l1_broken.sql" <<'EOF'
-- migrate:revision l1
-- migrate:message a syntax error on line 7 of the file
-- migrate:upgrade
CREATE TABLE l1 (id int);

-- the next statement is broken
SELEC 1;
-- migrate:downgrade
DROP TABLE l1;
EOF
pgm -D "$WORK/l" -d $db check
is "$RC" "1" "check fails on a body with a syntax error"
like "$OUT" 'l1_broken\.sql:7: error: upgrade body of "l1": column 1: syntax error' \
     "the problem is reported at line 7 of the file, not line 4 of the body"
pgm -D "$WORK/l" -d $db upgrade
like "$ERR" 'l1_broken\.sql:7: upgrade body of "l1": column 1: syntax error' "upgrade's check says the same"

#---------------------------------------------------------------- a notice shown once
db=${P}notice
fresh_db $db
mkdir -p "$WORK/n"
long=t_$(printf 'x%.0s' $(seq 1 70))
cat >"$WORK/n/n1_long.sql" <<EOF
-- migrate:revision n1
-- migrate:upgrade
CREATE TABLE $long (id int);
-- migrate:downgrade
DROP TABLE $long;
EOF
pgm -D "$WORK/n" -d $db upgrade
is "$RC" "0" "a revision with a 72-character table name applies"
is "$(grep -c 'will be truncated' <<<"$ERR")" "1" "the server's truncation NOTICE, repeated by every parse of the body, is shown once"

for d in enum lines notice; do dropdb --if-exists "${P}$d" >/dev/null 2>&1; done
done_testing

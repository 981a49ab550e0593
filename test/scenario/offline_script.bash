# Helpers of the tests of offline scripts (sourced after tap.bash, with
# $WORK set): offline_sql.sh (migrate.sql()) and client_offline_sql.sh
# (pg_migrate sql --offline) both run a script into one database and the
# same change by other means into another, then compare the two.

# run_script <db> <file>: psql as the contract says; stderr kept in $WORK/err
run_script() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" >/dev/null 2>"$WORK/err"
}
# the public schema as pg_dump sees it, without comments, blank lines and
# the per-dump \restrict key
schema() {
    pg_dump --schema-only --no-owner --no-privileges -n public -d "$1" \
        | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sed '/^$/d'
}
state() {   # current revisions, then applied revisions with their checksums
    q "$1" "SELECT coalesce(string_agg(c, ',' ORDER BY c), '-') FROM migrate.current() c"
    q "$1" "SELECT coalesce(string_agg(revision || '=' || coalesce(checksum, 'NULL'), ',' ORDER BY revision), '-') FROM migrate.applied"
}

# Hostile bodies: a body that changes how psql reads the rest of a script
# must not make psql run a meta-command (\! touch $marker).
marker="$WORK/pwned"
mkdir -p "$WORK/hostile"
hfile() {   # hfile <id> <transactional>: upgrade body on stdin, MARKER replaced
    {
        echo "-- migrate:revision $1"
        echo "-- migrate:transactional $2"
        echo "-- migrate:upgrade"
        sed "s|MARKER|$marker|g"
        echo "-- migrate:downgrade"
        echo "SELECT 1;"
    } >"$WORK/hostile/$1_hostile.sql"
}
# h2, h3 (non-transactional), h4: settings changed where no parser sees them
hostile_settings() {
    hfile h2 true <<'EOS'
SELECT set_config('standard_conforming_strings', 'off', false);
SELECT 'x\', '
\! touch MARKER #' AS y;
EOS
    hfile h3 false <<'EOS'
SELECT set_config('standard_conforming_strings', 'off', false);
SELECT 'x\', '
\! touch MARKER #' AS y;
EOS
    hfile h4 true <<'EOS'
SELECT set_config('client_encoding', 'SQL_ASCII', false);
SELECT '\! touch MARKER';
EOS
}

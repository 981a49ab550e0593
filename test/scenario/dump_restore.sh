#!/usr/bin/env bash
# Dump and restore keep the migration history: revisions (bodies and
# checksums), applied state, runs and run steps, and the run id sequence.
# pg_dump -Fc | pg_restore into one fresh database, plain pg_dump | psql into
# another.  Uses the cluster named by the PG* variables; prints TAP.
set -uo pipefail

PG_MAJOR=${PG_MAJOR:-15}
if [ -d "/usr/lib/postgresql/$PG_MAJOR/bin" ]; then
    export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
fi

SRC="migrate_dump_src_$$"
DST_C="migrate_dump_custom_$$"
DST_P="migrate_dump_plain_$$"
WORK=$(mktemp -d)

cleanup() {
    for db in "$SRC" "$DST_C" "$DST_P"; do
        dropdb --if-exists "$db" >/dev/null 2>&1
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

n=0
failed=0
ok() {   # ok <condition status> <description>
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}
is() {   # is <got> <expected> <description>
    n=$((n + 1))
    if [ "$1" == "$2" ]; then
        echo "ok $n - $3"
    else
        echo "not ok $n - $3"
        echo "#      got: '$1'"
        echo "# expected: '$2'"
        failed=$((failed + 1))
    fi
}
q() {    # q <db> <sql>: one value, unaligned
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>&1
}

echo "1..28"

# ---------------------------------------------------------------- source
createdb "$SRC" >/dev/null 2>&1
ok $? "create the source database"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$SRC" >"$WORK/setup.out" 2>&1 <<'SQL'
CREATE EXTENSION migrate;
SELECT migrate.add('0001_init', E'CREATE TABLE t1 (id int);\nCREATE INDEX t1_id ON t1 (id);',
                   'DROP TABLE t1', message => 'create t1', source => 'versions/0001_init.sql');
SELECT migrate.add('0002_more', 'ALTER TABLE t1 ADD name text', 'ALTER TABLE t1 DROP name',
                   down_revision => '{0001_init}', message => 'name column',
                   branch_labels => '{core}');
SELECT migrate.add('0003_idx', 'CREATE INDEX CONCURRENTLY t1_name ON t1 (name)', NULL,
                   down_revision => '{0002_more}', message => 'name index', transactional => false,
                   depends_on => '{0001_init}');
-- applied state and run history, written directly (the apply engine is
-- tested elsewhere)
INSERT INTO migrate.run (kind, target, status, started_at, finished_at, from_heads, to_heads, db_user)
    VALUES ('upgrade', '0002_more', 'succeeded', '2025-03-01 10:00+00', '2025-03-01 10:00:05+00',
            '{}', '{0002_more}', 'deployer');
INSERT INTO migrate.run_log (kind, target, status, started_at, finished_at, error_revision,
                         error_sqlstate, error_message)
    VALUES ('upgrade', 'head', 'failed', '2025-03-02 10:00+00', '2025-03-02 10:00:01+00',
            '0003_idx', '42P07', 'relation "t1_name" already exists');
INSERT INTO migrate.run_step (run_id, step, revision, direction, started_at, duration, status)
    SELECT r.id, s.step, s.rev, 'up', r.started_at, '1 second', 'succeeded'
      FROM migrate.run r, (VALUES (1, '0001_init'), (2, '0002_more')) AS s(step, rev)
     WHERE r.status = 'succeeded';
INSERT INTO migrate.applied (revision, checksum, applied_at, applied_by, run_id)
    SELECT v.id, v.checksum, ('2025-03-01 10:00:0' || v.n || '+00')::timestamptz, 'deployer', r.id
      FROM (SELECT id, checksum, row_number() OVER (ORDER BY id) AS n FROM migrate.revision
             WHERE id IN ('0001_init', '0002_more')) v,
           migrate.run r
     WHERE r.status = 'succeeded';
CREATE TABLE t1 (id int, name text);
SQL
ok $? "register revisions, applied state, runs and run steps"
[ -s "$WORK/setup.out" ] && sed 's/^/# /' "$WORK/setup.out"

# what must survive, as one text per aspect
snapshot() {  # snapshot <db> <file>
    {
        echo "-- revisions"
        q "$1" "SELECT id, down_revision, depends_on, branch_labels, message, md5(upgrade),
                       md5(coalesce(downgrade, '<null>')), transactional, source, checksum,
                       upgrade_problem, downgrade_problem, registered_at, registered_by
                  FROM migrate.revision ORDER BY id"
        echo "-- applied"
        q "$1" "SELECT a.revision, a.checksum, a.applied_at, a.applied_by, r.kind, r.target
                  FROM migrate.applied a LEFT JOIN migrate.run r ON r.id = a.run_id ORDER BY 1"
        echo "-- runs"
        q "$1" "SELECT id, kind, target, status, started_at, finished_at, from_heads, to_heads,
                       db_user, error_revision, error_sqlstate, error_message
                  FROM migrate.run ORDER BY id"
        echo "-- steps"
        q "$1" "SELECT run_id, step, revision, direction, started_at, duration, status
                  FROM migrate.run_step ORDER BY run_id, step"
        echo "-- status"
        q "$1" "SELECT current, heads, at_head, pending, applied, registered, errors, warnings,
                       last_run_kind, last_run_status, last_run_error FROM migrate.status()"
        echo "-- history"
        q "$1" "SELECT revision, applied, is_head, is_current, is_base FROM migrate.history()"
        echo "-- validate"
        q "$1" "SELECT * FROM migrate.validate()"
    } >"$2"
}
snapshot "$SRC" "$WORK/src.txt"
! grep -q ERROR "$WORK/src.txt" && grep -q '^0003_idx|' "$WORK/src.txt" && grep -q '^2|upgrade|head|failed|' "$WORK/src.txt"
ok $? "source: the snapshot to compare with reads cleanly"
is "$(q "$SRC" "SELECT count(*) FROM migrate.revision")" "3" "source: 3 revisions"
is "$(q "$SRC" "SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate.applied")" \
   "0001_init,0002_more" "source: 2 applied"
is "$(q "$SRC" "SELECT count(*) FROM migrate.run")|$(q "$SRC" "SELECT count(*) FROM migrate.run_step")" \
   "2|2" "source: 2 runs, 2 steps"
is "$(q "$SRC" "SELECT count(*) FROM migrate.validate() WHERE severity = 'error'")" "0" \
   "source: no validation error"
max_run=$(q "$SRC" "SELECT max(id) FROM migrate.run")

check_copy() {  # check_copy <db> <label>
    local db=$1 label=$2
    snapshot "$db" "$WORK/$db.txt"
    if diff -u "$WORK/src.txt" "$WORK/$db.txt" >"$WORK/$db.diff"; then
        ok 0 "$label: revisions, bodies, checksums, applied state, runs, steps, status and history are identical"
    else
        ok 1 "$label: revisions, bodies, checksums, applied state, runs, steps, status and history are identical"
        sed 's/^/# /' "$WORK/$db.diff"
    fi
    is "$(q "$db" "SELECT count(*) FROM migrate.revision")" "3" "$label: 3 revisions"
    is "$(q "$db" "SELECT count(*) FROM migrate.revision r WHERE r.checksum = (SELECT checksum FROM migrate.applied a WHERE a.revision = r.id)")" \
       "2" "$label: applied checksums match the registered ones"
    is "$(q "$db" "SELECT count(*) FROM migrate.validate() WHERE severity = 'error'")" "0" \
       "$label: validate() finds no error (no checksum_mismatch)"
    is "$(q "$db" "SELECT string_agg(x, ',') FROM migrate.current() x")" "0002_more" "$label: current()"
    is "$(q "$db" "SELECT migrate.add('0001_init', E'CREATE TABLE t1 (id int);\nCREATE INDEX t1_id ON t1 (id);', 'DROP TABLE t1')")" \
       "0001_init" "$label: re-adding an applied revision is a no-op"
    local out
    out=$(q "$db" "SELECT migrate.add('0001_init', 'CREATE TABLE t1 (id bigint)', 'DROP TABLE t1')")
    [[ "$out" == *"is applied and cannot be changed"* ]]
    ok $? "$label: changing an applied revision is still refused"
    is "$(q "$db" "SELECT nextval('migrate.run_id_seq') > $max_run")" "t" \
       "$label: the run id sequence continues after the restored runs"
    is "$(q "$db" "SELECT count(*) FROM pg_extension WHERE extname = 'migrate'")" "1" \
       "$label: the extension is installed, not loose objects"
}

# ---------------------------------------------------------------- custom format
pg_dump -Fc -d "$SRC" -f "$WORK/src.dump" 2>"$WORK/dump_c.err"
ok $? "pg_dump -Fc"
[ -s "$WORK/dump_c.err" ] && sed 's/^/# /' "$WORK/dump_c.err"
createdb "$DST_C" >/dev/null 2>&1 && pg_restore --exit-on-error -d "$DST_C" "$WORK/src.dump" 2>"$WORK/restore_c.err"
ok $? "pg_restore into a fresh database"
[ -s "$WORK/restore_c.err" ] && sed 's/^/# /' "$WORK/restore_c.err"
check_copy "$DST_C" "pg_restore"

# ---------------------------------------------------------------- plain format
createdb "$DST_P" >/dev/null 2>&1 && pg_dump -d "$SRC" 2>"$WORK/dump_p.err" \
    | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$DST_P" >"$WORK/restore_p.out" 2>&1
ok $? "pg_dump | psql into a fresh database"
[ -s "$WORK/restore_p.out" ] && sed 's/^/# /' "$WORK/restore_p.out"
check_copy "$DST_P" "plain dump"

[ "$failed" -eq 0 ]

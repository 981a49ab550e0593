#!/usr/bin/env bash
# Projects benchmark (issue 12): what one project's graph load costs when
# the catalog holds other projects too, and with the column layout of a
# catalog updated from 0.1 (project appended last by ALTER TABLE ADD
# COLUMN) against a fresh install (project first, filtered after one
# column is deformed).  Server-side time, median of 7; ratios against
# heads() of the same project alone in a fresh install, measured in this
# run.  Asserts nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
N=${PROJECT_REVISIONS:-20000}
OTHERS=${PROJECT_OTHERS:-5}

# register N revisions (a chain) in a project
register() {  # register DB PROJECT
    q "$1" "SELECT count(*) FROM (
              SELECT migrate.add('r' || lpad(i::text, 6, '0'),
                                 format('CREATE TABLE %s_t%s (id int)', '$2', i),
                                 format('DROP TABLE %s_t%s', '$2', i),
                                 CASE WHEN i = 1 THEN NULL ELSE ARRAY['r' || lpad((i - 1)::text, 6, '0')] END,
                                 project => '$2')
                FROM generate_series(1, $N) i) s" >/dev/null
}

alone=bench_projects_alone_$$
shared=bench_projects_shared_$$
updated=bench_projects_updated_$$
for db in $alone $shared $updated; do
    createdb $db
    q $db "CREATE EXTENSION migrate"
done
# the layout ALTER EXTENSION UPDATE leaves: project after every other column
# (the view migrate.revision_checksum, which reads the column, is set aside
# in this throwaway database; the graph load does not use it)
q $updated "ALTER EXTENSION migrate DROP VIEW migrate.revision_checksum;
            DROP VIEW migrate.revision_checksum;
            ALTER TABLE migrate.revision DROP CONSTRAINT revision_pkey;
            ALTER TABLE migrate.revision DROP COLUMN project;
            ALTER TABLE migrate.revision ADD COLUMN project text NOT NULL DEFAULT 'default';
            ALTER TABLE migrate.revision ADD CONSTRAINT revision_pkey PRIMARY KEY (project, id)"
register $alone svc
register $updated svc
for i in $(seq 1 "$OTHERS"); do register $shared "other$i"; done
register $shared svc
for db in $alone $shared $updated; do q $db "VACUUM ANALYZE migrate.revision" >/dev/null; done

base=$(server_ms $alone 7 "SELECT count(*) FROM migrate.heads('svc')")
printf 'projects: %d revisions per project, median of 7, server side\n' "$N"
row() {  # row LABEL DB SQL
    local t
    t=$(server_ms "$2" 7 "$3")
    printf '  %-58s %8.1f ms   %5.2fx\n' "$1" "$t" "$(awk -v a=$t -v b=$base 'BEGIN {print a / b}')"
}
row "heads(svc), svc alone, fresh layout (baseline)" $alone "SELECT count(*) FROM migrate.heads('svc')"
row "heads(svc), svc among $OTHERS other projects, fresh layout" $shared "SELECT count(*) FROM migrate.heads('svc')"
row "heads(svc), svc alone, layout of a catalog updated from 0.1" $updated "SELECT count(*) FROM migrate.heads('svc')"
row "validate(svc), svc alone, fresh layout" $alone "SELECT count(*) FROM migrate.validate('svc')"
row "validate(svc), svc among $OTHERS other projects" $shared "SELECT count(*) FROM migrate.validate('svc')"
row "validate(svc), layout of a catalog updated from 0.1" $updated "SELECT count(*) FROM migrate.validate('svc')"
row "projects(), $((OTHERS + 1)) projects" $shared "SELECT count(*) FROM migrate.projects()"
for db in $alone $shared $updated; do dropdb $db; done

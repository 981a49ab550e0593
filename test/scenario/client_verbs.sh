#!/usr/bin/env bash
# Alembic's verbs in pg_migrate (issue 14, item 7) and readable graphs and
# status at any size (item 9): show REV, branches, history -r A:B, the
# (branchpoint) / (mergepoint) / label marks of history, heads -v; graph
# collapses linear runs unless --full, keeping branch points, merges,
# heads, labels, current and non-transactional revisions; status lists
# the first pending revisions and counts the rest.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/tap.bash"
P=${PGM_PREFIX:-pgm_verbs_}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; for d in ${P}a ${P}b; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT
source "$HERE/pgm.bash"
NL=$'\n'
# revfile DIR ID PARENTS [extra header lines]
revfile() {
    {
        echo "-- migrate:revision $2"
        [ -n "$3" ] && echo "-- migrate:down_revision $3"
        echo "-- migrate:message revision $2"
        [ -n "${4-}" ] && printf '%s\n' "$4"
        echo "-- migrate:upgrade"
        echo "CREATE TABLE t_$2 (id int);"
        echo "-- migrate:downgrade"
        echo "DROP TABLE t_$2;"
    } >"$1/$2_rev.sql"
}

# b0 - b1 < x1 (billing) - x2 >  m3 - z1 (depends on x1)
#           y1 (auth)    - y2 >
mkdir -p "$WORK/v"
revfile "$WORK/v" b0 ""
revfile "$WORK/v" b1 b0
revfile "$WORK/v" x1 b1 "-- migrate:branch_labels billing"
revfile "$WORK/v" x2 x1
revfile "$WORK/v" y1 b1 "-- migrate:branch_labels auth"
revfile "$WORK/v" y2 y1
revfile "$WORK/v" m3 "x2, y2"
revfile "$WORK/v" z1 m3 "-- migrate:depends_on x1"
db=${P}a
fresh_db $db
V=(-D "$WORK/v" -d $db)
pgm "${V[@]}" upgrade x2
is "$RC" "0" "upgrade to x2"

# ------------------------------------------------------------- history marks
pgm "${V[@]}" history
like "$OUT" "(^|${NL})b0 -> b1 \(branchpoint\), revision b1" "history marks the branch point"
like "$OUT" "x2, y2 -> m3 \(mergepoint\) \(pending\), revision m3" "and the merge point"
like "$OUT" "b1 -> x1 \(billing\), revision x1" "and the branch labels"
like "$OUT" "x1 -> x2 \(current\), revision x2" "and the current revision"
like "$OUT" "m3 -> z1 \(head\) \(pending\), revision z1" "and the head"
pgm "${V[@]}" history --json
is "$(json "[(h['revision'], h['is_branchpoint'], h['is_mergepoint']) for h in d['history'] if h['is_branchpoint'] or h['is_mergepoint']]")" \
   "[('b1', True, False), ('m3', False, True)]" "history --json says so too"

# ------------------------------------------------------------- history -r
pgm "${V[@]}" history -r b1:x2
is "$(printf '%s\n' "$OUT" | sed 's/.* -> \([^ ,]*\).*/\1/' | tr '\n' ' ')" "x2 x1 b1 " "history -r b1:x2: from b1 up to x2, newest first (alembic lists both ends)"
pgm "${V[@]}" history -r x2:
is "$(printf '%s\n' "$OUT" | sed 's/.* -> \([^ ,]*\).*/\1/' | tr '\n' ' ')" "z1 m3 y2 y1 x2 " "history -r x2: up to the heads, with what the merge needs"
pgm "${V[@]}" history -r :b1
is "$(printf '%s\n' "$OUT" | sed 's/.* -> \([^ ,]*\).*/\1/' | tr '\n' ' ')" "b1 b0 " "history -r :b1 from base"
pgm "${V[@]}" history -r current:head
is "$(printf '%s\n' "$OUT" | sed 's/.* -> \([^ ,]*\).*/\1/' | tr '\n' ' ')" "z1 m3 y2 y1 x2 " "history -r current:head"
pgm "${V[@]}" history -r billing@head:auth
is "$RC" "0" "labels as the ends of a range"
pgm "${V[@]}" history -r b1:nosuch
is "$RC" "1" "an unknown end: exit 1"
like "$ERR" "revision \"nosuch\" is not registered and no file declares it" "naming it"
pgm "${V[@]}" history -r a:b:c
is "$RC" "1" "two colons: exit 1"

# ------------------------------------------------------------- show
pgm "${V[@]}" show x1
is "$RC" "0" "show x1"
like "$OUT" "^Rev: x1 \(billing\)" "its id and label"
like "$OUT" "Parent: b1" "its parent"
like "$OUT" "Branch names: billing" "its branch names"
like "$OUT" "File: .*/x1_rev.sql" "its file"
like "$OUT" "Applied: [0-9-]+ [0-9:]+[^ ]* by [a-z_]+ in [0-9]+ ms \(run #1\)" "when, by whom, how long, in which run"
like "$OUT" "revision x1" "its message"
like "$OUT" "-- migrate:upgrade${NL}CREATE TABLE t_x1 \(id int\);" "its upgrade body"
like "$OUT" "-- migrate:downgrade${NL}DROP TABLE t_x1;" "its downgrade body"
pgm "${V[@]}" show b1
like "$OUT" "Branches into: x1, y1" "show of a branch point names its branches"
pgm "${V[@]}" show billing@head
like "$OUT" "^Rev: z1 \(head\)" "show billing@head: the head of the label's branch"
pgm "${V[@]}" show head-1
like "$OUT" "^Rev: m3" "show head-1"
pgm "${V[@]}" show head-2
is "$RC" "1" "show head-2 steps below a merge: ambiguous, exit 1"
like "$ERR" "revision \"m3\" is a merge of 2 parents" "saying why"
pgm "${V[@]}" show x2-1
like "$OUT" "^Rev: x1" "show x2-1"
pgm "${V[@]}" show m
like "$OUT" "^Rev: m3" "show by a unique prefix"
pgm "${V[@]}" show nosuch
is "$RC" "1" "show of an unknown revision: exit 1"
pgm "${V[@]}" show y
is "$RC" "1" "an ambiguous prefix: exit 1"
like "$ERR" "It matches 2 revisions: y1, y2" "listing the candidates"
pgm "${V[@]}" show z1 --json
is "$(json "d['revisions'][0]['revision'], d['revisions'][0]['depends_on'], d['revisions'][0]['applied'], d['upgrade'].strip()")" \
   "z1 ['x1'] False CREATE TABLE t_z1 (id int);" "show --json"
rm "$WORK/v/b0_rev.sql"
pgm "${V[@]}" show b0
like "$OUT" "-- migrate:upgrade${NL}CREATE TABLE t_b0" "show of a revision without a file: the registered bodies"
like "$OUT" "File: b0_rev.sql \(registered; no file in" "and says the file is gone"
revfile "$WORK/v" b0 ""
pgm -D "$WORK/v" show x2 --offline
like "$OUT" "^Rev: x2" "show --offline reads the files alone"
pgm -D "$WORK/v" -d "host=/nonexistent-socket-dir port=1" branches --offline
is "$RC" "0" "branches --offline needs no database"

# ------------------------------------------------------------- branches, heads -v
pgm "${V[@]}" branches
is "$RC" "0" "branches"
is "$OUT" "b1 (branchpoint), revision b1
  -> x1 ... x2 (current): 2 revisions, from revision x1
  -> y1 ... y2: 2 revisions, from revision y1" "branches: each branch point with its branches"
pgm "${V[@]}" branches --json
is "$(json "[(b['first'], b['last'], b['revisions']) for b in d['branchpoints'][0]['branches']]")" \
   "[('x1', 'x2', 2), ('y1', 'y2', 2)]" "branches --json"
pgm "${V[@]}" heads -v
like "$OUT" "^Rev: z1 \(head\)" "heads -v: one block per head"
like "$OUT" "Depends on: x1" "with its dependencies"
like "$OUT" "Applied: no" "and whether it is applied"

# ------------------------------------------------------------- graphs at any size
mkdir -p "$WORK/long"
prev=""
for i in $(seq -w 1 300); do
    revfile "$WORK/long" "r$i" "$prev" "$([ "$i" = 150 ] && echo '-- migrate:transactional false')"
    prev="r$i"
done
revfile "$WORK/long" side r100
pgm -D "$WORK/long" graph
is "$RC" "0" "graph of 301 revisions"
like "$OUT" "\"r002 ... r099\" \[label=\"r002 ... r099\\\\n98 revisions\"" "a linear run is one node"
like "$OUT" "\"r100\" \[label=" "the branch point stays"
like "$OUT" "\"r150\" \[label=\"r150.*color=blue" "the non-transactional revision stays"
like "$OUT" "\"r300\" \[label=\"r300.*peripheries=2" "the head stays"
like "$OUT" "\"side\" \[label=" "and the other head"
like "$OUT" "\"r100\" -> \"r101 ... r149\";" "edges join the runs"
nodes=$(printf '%s\n' "$OUT" | grep -c '\[label=')
ok_if "$nodes <= 10" "at most 10 nodes instead of 301 ($nodes)"
like "$ERR" "301 revisions in $nodes nodes" "and it says what it collapsed"
pgm -D "$WORK/long" graph --full
is "$(printf '%s\n' "$OUT" | grep -c '\[label=')" "301" "graph --full draws every revision"
pgm -D "$WORK/long" graph --mermaid
like "$OUT" "n[0-9]+\(\[\"r002 ... r099<br/>98 revisions\"\]\)" "Mermaid collapses too"
pgm -D "$WORK/long" graph --json
is "$(json "len(d['nodes']), d['runs'][0]")" "301 {'first': 'r002', 'last': 'r099', 'revisions': 98}" "--json lists every revision and the runs"
fresh_db ${P}b
pgm -D "$WORK/long" -d ${P}b upgrade r120 --no-sync
pgm -D "$WORK/long" -d ${P}b sync
pgm -D "$WORK/long" -d ${P}b upgrade r120
pgm -D "$WORK/long" -d ${P}b graph
like "$OUT" "\"r120\" \[label=\"r120 \(current\)" "with a database, the current revision stays visible"
like "$OUT" "\"r101 ... r119\"" "splitting the run it was in"

# ------------------------------------------------------------- status at any size
pgm -D "$WORK/long" -d ${P}b status
like "$OUT" "pending: +181" "status counts every pending revision"
is "$(printf '%s\n' "$OUT" | grep -cE '^ {13}r[0-9]+ ')" "5" "lists the next five"
like "$OUT" "\.\.\. and 176 more \(-v lists them all\)" "and counts the rest"
pgm -D "$WORK/long" -d ${P}b status -v
is "$(printf '%s\n' "$OUT" | grep -cE '^ {13}(r[0-9]+|side) ')" "181" "status -v lists them all"
pgm -D "$WORK/long" -d ${P}b status --json
is "$(json "d['pending'], len(d['pending_revisions'])")" "181 181" "status --json lists them all"

done_testing

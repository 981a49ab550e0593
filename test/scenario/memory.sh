#!/usr/bin/env bash
# No memory that grows with repetition: every SQL function of the
# extension is called 2 x MEM_CALLS times (default 1000; 10000 by hand:
# MEM_CALLS=10000) in one session, after a warm-up, measuring after each
# half (a leak grows in both halves, a cache filled once in one only), in
# two ways:
#   - across transactions (a procedure that commits every 50 calls): the
#     backend's memory contexts (pg_backend_memory_contexts, all of them)
#     and its anonymous resident memory (RssAnon, /proc/self/status) must
#     not grow: a leak into TopMemoryContext, CacheMemoryContext or malloc;
#   - within one transaction (one DO block): the memory contexts must not
#     grow either: a leak into the transaction's context, which a deploy
#     script registering 10,000 files in one transaction would feel.
# Error paths too (a bad target, a bad id, a failing body recorded by the
# failure recorder).  The growth of the test's own loop is measured and
# taken off: plain, with an exception block, and rewriting one row (combo
# command ids, PostgreSQL's cost of a transaction that writes a row twice).
# (At 10,000, the write paths within one transaction get slow, not big:
# the catalog rows they delete stay in the scans until the commit.
# MEM_ONLY='<regex>' runs only the calls whose names match.)  Threshold: 256 kB of growth in all, for any number of
# calls (an allocator's block more or less), i.e. under 26 bytes per call
# at 10,000.  Prints TAP and each function's growth.
set -u
source "$(dirname "$0")/tap.bash"
db=scn_memory
N=${MEM_CALLS:-1000}
export PGOPTIONS="-c client_min_messages=warning"
fresh_db $db
# Bodies do no DDL: CREATE and DROP in one transaction grow PostgreSQL's
# own caches (relcache, lock table, pgstat) until commit, by design.
q $db "SELECT migrate.add('m1', 'SELECT 1', 'SELECT 1', message => 'one', branch_labels => '{core}');
       SELECT migrate.add('m2', 'SELECT 2', 'SELECT 2', '{m1}', message => 'two');
       SELECT migrate.add('m3', 'SELECT 1/0', NULL, '{m2}');
       SELECT count(*) FROM migrate.upgrade('m1');
       CREATE TABLE public.tt (id int);
       CREATE FUNCTION public.mem() RETURNS bigint LANGUAGE sql AS
         \$\$ SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts \$\$;
       CREATE FUNCTION public.rss_kb() RETURNS bigint LANGUAGE sql AS
         \$\$ SELECT substring(pg_read_file('/proc/self/status') FROM 'RssAnon:\\s+(\\d+)')::bigint \$\$;
       CREATE PROCEDURE public.repeat_call(sql text, n int) LANGUAGE plpgsql AS \$\$
       BEGIN
           FOR i IN 1 .. n LOOP
               BEGIN
                   EXECUTE sql;
               EXCEPTION WHEN OTHERS THEN NULL;   -- error paths are repeated too
               END;
               IF i % 50 = 0 THEN COMMIT; END IF;
           END LOOP;
       END \$\$;" >/dev/null

# name | statement (one call; errors are part of some)
calls=(
  "status()|SELECT * FROM migrate.status()"
  "current()|SELECT * FROM migrate.current()"
  "heads()|SELECT * FROM migrate.heads()"
  "bases()|SELECT * FROM migrate.bases()"
  "history()|SELECT * FROM migrate.history()"
  "validate()|SELECT * FROM migrate.validate()"
  "check()|SELECT migrate.check()"
  "resolve()|SELECT * FROM migrate.resolve('core@head')"
  "resolve() error|SELECT * FROM migrate.resolve('nope+1')"
  "plan()|SELECT * FROM migrate.plan('m2')"
  "plan(down)|SELECT * FROM migrate.plan('base', 'down')"
  "sql()|SELECT migrate.sql('m2')"
  "add() identical|SELECT migrate.add('m2', 'SELECT 2', 'SELECT 2', '{m1}')"
  "add() new message|SELECT migrate.add('m2', 'SELECT 2', 'SELECT 2', '{m1}', message => 'two ' || random())"
  "add() error|SELECT migrate.add('bad id', 'SELECT 1')"
  "add()+remove()|SELECT migrate.add('m9', 'SELECT 9', NULL, '{m2}'), migrate.remove('m9')"
  "add_file()|SELECT migrate.add_file(E'-- migrate:revision m1\n-- migrate:branch_labels core\n-- migrate:message one\n-- migrate:upgrade\nSELECT 1\n-- migrate:downgrade\nSELECT 1')"
  "add_file() error|SELECT migrate.add_file('-- migrate:nonsense')"
  "upgrade()+downgrade()|SELECT (SELECT count(*) FROM migrate.upgrade('m2')) + (SELECT count(*) FROM migrate.downgrade('m1'))"
  "upgrade() failing body|SELECT count(*) FROM migrate.upgrade('m3')"
  "stamp()|SELECT (SELECT count(*) FROM migrate.stamp('m2')) + (SELECT count(*) FROM migrate.stamp('m1'))"
  "table_exists()|SELECT migrate.table_exists('public.tt')"
  "column_exists()|SELECT migrate.column_exists('public.tt', 'id')"
  "function_exists()|SELECT migrate.function_exists('public.mem()')"
  "type_exists()|SELECT migrate.type_exists('integer[]')"
  "ensure() unchanged|SELECT migrate.ensure('CREATE TABLE public.tt (id int)')"
  "ensure() error|SELECT migrate.ensure('CREATE TABLE public.tt (id bigint)')"
  "verify()|SELECT * FROM migrate.verify(tables => '{public.tt}')"
)

within() {  # within <plpgsql loop body> <n>: context growth over n calls in one transaction
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db -c "DO \$d\$
        DECLARE m0 bigint; m1 bigint; BEGIN
          FOR i IN 1 .. 100 LOOP $1 END LOOP;
          m0 := public.mem();
          FOR i IN 1 .. $2 LOOP $1 END LOOP;
          m1 := public.mem();
          FOR i IN 1 .. $2 LOOP $1 END LOOP;
          -- a leak grows in both halves; a cache filled once, in one only
          RAISE WARNING 'growth %', least(m1 - m0, public.mem() - m1);
        END \$d\$" 2>&1 | grep -oE 'growth -?[0-9]+' | cut -d' ' -f2
}
base_ok=$(within "EXECUTE 'SELECT 1';" $N)
base_err=$(within "BEGIN EXECUTE 'SELECT 1/0'; EXCEPTION WHEN OTHERS THEN NULL; END;" $N)
# A row written twice in one transaction needs a combo command id, kept
# until the end of the transaction (PostgreSQL's combocid.c): the cost of
# the calls that update or delete a catalog row their own transaction wrote.
q $db "CREATE TABLE public.wt (v int); INSERT INTO public.wt VALUES (0)" >/dev/null
base_write=$(within "EXECUTE 'UPDATE public.wt SET v = v + 1';" $N)
echo "# baseline growth of the loop itself: $base_ok bytes (plain), $base_err bytes (with an exception block), $base_write bytes (rewriting one row)"

limit=262144
worst_across=0; worst_within=0
for c in "${calls[@]}"; do
    name=${c%%|*}; sql=${c#*|}
    # MEM_ONLY: a regular expression of the call names to run (by hand)
    [[ -n "${MEM_ONLY:-}" && ! "$name" =~ $MEM_ONLY ]] && continue
    n=$N
    [ "$name" = "upgrade() failing body" ] && n=$(( N / 10 > 0 ? N / 10 : 1 ))   # a worker per call
    # across transactions: warm up, measure, repeat, measure
    res=$(psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -d $db \
            -c "CALL public.repeat_call(\$s\$$sql\$s\$, 100)" \
            -c "SELECT public.mem(), public.rss_kb()" \
            -c "CALL public.repeat_call(\$s\$$sql\$s\$, $n)" \
            -c "SELECT public.mem(), public.rss_kb()" \
            -c "CALL public.repeat_call(\$s\$$sql\$s\$, $n)" \
            -c "SELECT public.mem(), public.rss_kb()" 2>&1)
    read -r m0 r0 m1 r1 m2 r2 <<<"$(echo $res)"
    # a leak grows in both halves; a cache filled once, in one only
    [ $(( m2 - m1 )) -lt $(( m1 - m0 )) ] && { m0=$m1; m1=$m2; }
    [ $(( r2 - r1 )) -lt $(( r1 - r0 )) ] && { r0=$r1; r1=$r2; }
    # within one transaction; calls that fail need an exception block (a
    # subtransaction), whose own cost is measured on SELECT 1/0 and taken off
    if [[ "$name" == *error* || "$name" == *failing* ]]; then
        loop="BEGIN EXECUTE \$s\$$sql\$s\$; EXCEPTION WHEN OTHERS THEN NULL; END;"
        base=$base_err
    else
        loop="EXECUTE \$s\$$sql\$s\$;"
        base=$base_ok
    fi
    case "$name" in
        "add() new message"|"add()+remove()"|"upgrade()+downgrade()"|"stamp()") base=$base_write ;;
    esac
    res2=$(within "$loop" $n)
    [ -n "$res2" ] && res2=$(( res2 - base ))
    if ! [[ "$m0$m1$r0$r1" =~ ^[0-9]+$ ]] || [ -z "$res2" ]; then
        ok 1 "$name: measured"; echo "# $res $res2"; continue
    fi
    ga=$(( m1 - m0 )); gr=$(( (r1 - r0) * 1024 )); gw=$res2
    ok_if "ga < limit && gr < 4 * limit" "$name x $n, across transactions: contexts +$ga bytes, RssAnon +$gr bytes"
    ok_if "gw < limit" "$name x $n, within one transaction: contexts +$gw bytes"
    [ $ga -gt $worst_across ] && worst_across=$ga
    [ $gw -gt $worst_within ] && worst_within=$gw
done
echo "# memory: ${#calls[@]} calls x $N; largest growth across transactions $worst_across bytes, within one $worst_within bytes"
dropdb $db
done_testing

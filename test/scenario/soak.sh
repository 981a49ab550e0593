#!/usr/bin/env bash
# Concurrency soak: SOAK_SESSIONS sessions (default 16) race to migrate a
# chain of SOAK_REVISIONS pending revisions (default 500) to 'head', for
# SOAK_ROUNDS rounds (default 20), with a random downgrade before every
# round after the first.  In the same rounds, other sessions stamp, add
# (identical re-adds, a refused change of an applied revision, one new
# revision that extends the chain) and read the status functions.
#
# The racers are of three kinds: SELECT migrate.upgrade('head') in READ
# COMMITTED, the same in REPEATABLE READ with a snapshot taken before the
# race (a serialization failure, 40001, is its clear error when someone
# else migrated first), and CALL migrate.run('head').
#
# Every body logs itself into public.ops in the transaction that applies
# it, so the log holds exactly what was committed.  After each round:
#   - no double apply: per revision, the committed log alternates
#     up/down (a stamp counts as up), starting with up;
#   - no lost revision: everything registered is applied, the applied state
#     equals the log's last word for every revision, and a table exists
#     exactly for the revisions whose last word is 'up';
#   - bookkeeping agrees with what ran: run_step 'up' rows = 'up' log rows;
#   - every session ended in success or a clear error (40001, 55P03, or
#     55000 for the refused change), no run is left 'running', no lock is
#     left, validate() finds no error.
# Prints TAP; the figures go to the diagnostics ("# soak: ...").
set -u
source "$(dirname "$0")/tap.bash"
db=${SOAK_DB:-scn_soak}
ROUNDS=${SOAK_ROUNDS:-20}
SESSIONS=${SOAK_SESSIONS:-16}
NREV=${SOAK_REVISIONS:-500}
SEED=${SOAK_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
export PGOPTIONS="-c client_min_messages=warning"
echo "# soak: seed $SEED (SOAK_SEED=$SEED repeats this run's downgrade targets and session mix)"
start_all=$(date +%s)

fresh_db $db
q $db "CREATE TABLE public.ops (id bigserial PRIMARY KEY, rev text NOT NULL, dir text NOT NULL,
                                round int, pid int DEFAULT pg_backend_pid())" >/dev/null
q $db "CREATE TABLE public.soak_ctl (done boolean NOT NULL)" >/dev/null
q $db "INSERT INTO public.soak_ctl VALUES (false)" >/dev/null
# rev(i) = r0001 ...; bodies log themselves with the round they ran in
q $db "CREATE FUNCTION public.soak_rev(i int) RETURNS text LANGUAGE sql IMMUTABLE
         AS \$\$ SELECT format('r%s', lpad(i::text, 4, '0')) \$\$" >/dev/null
q $db "CREATE FUNCTION public.soak_add(i int) RETURNS text LANGUAGE sql AS \$\$
         SELECT migrate.add(
           revision      => public.soak_rev(i),
           upgrade       => format('CREATE TABLE public.t_%s (id int);
INSERT INTO public.ops (rev, dir, round) VALUES (%L, ''up'', current_setting(''soak.round'', true)::int);', i, public.soak_rev(i)),
           downgrade     => format('DROP TABLE IF EXISTS public.t_%s;
INSERT INTO public.ops (rev, dir, round) VALUES (%L, ''down'', current_setting(''soak.round'', true)::int);', i, public.soak_rev(i)),
           down_revision => CASE WHEN i > 1 THEN ARRAY[public.soak_rev(i - 1)] END,
           message       => 'soak ' || i) \$\$" >/dev/null
q $db "SELECT count(public.soak_add(i)) FROM generate_series(1, $NREV) AS i" >/dev/null
is "$(q $db 'SELECT pending FROM migrate.status()')" "$NREV" "$NREV revisions pending at the start"

# A status reader: calls the read functions until soak_ctl.done, checking
# that each answer is consistent in itself; returns 'calls bad'.
q $db "CREATE FUNCTION public.soak_reader() RETURNS text LANGUAGE plpgsql AS \$f\$
DECLARE
    calls int := 0; bad int := 0; s record; n bigint; ok boolean;
BEGIN
    LOOP
        EXIT WHEN (SELECT done FROM public.soak_ctl);
        BEGIN
            SELECT * INTO s FROM migrate.status();
            ok := s.pending + s.applied = s.registered AND cardinality(s.current) <= 1
                  AND s.errors = 0 AND cardinality(s.heads) = 1;
            SELECT count(*) INTO n FROM migrate.history();
            ok := ok AND n >= $NREV;
            SELECT count(*) INTO n FROM migrate.current();
            ok := ok AND n <= 1;
            SELECT count(*) INTO n FROM migrate.plan('head');
            SELECT count(*) INTO n FROM migrate.validate() WHERE severity = 'error';
            ok := ok AND n = 0;
            PERFORM * FROM migrate.heads();
            calls := calls + 6;
            IF NOT ok THEN bad := bad + 1; END IF;
        EXCEPTION WHEN OTHERS THEN
            bad := bad + 1;
            RAISE WARNING 'reader: % %', SQLSTATE, SQLERRM;
        END;
        PERFORM pg_sleep(0.005);
    END LOOP;
    RETURN calls || ' ' || bad;
END \$f\$" >/dev/null

out=$(mktemp -d)
tip=$NREV
tot_ok=0; tot_noop=0; tot_40001=0; tot_55P03=0; tot_other=0
tot_run=0; tot_stamp_calls=0; tot_stamped=0; tot_adds=0; tot_refused=0
tot_reader_calls=0; tot_reader_bad=0; tot_stale=0; tot_down=0; tot_sweep=0; tot_up=0
max_round_s=0

for round in $(seq 1 "$ROUNDS"); do
    round_start=$(date +%s)
    # -------------------------------------------------- random downgrade
    if [ "$round" -gt 1 ]; then
        k=$(( RANDOM % (tip + 1) ))
        if [ $k -eq 0 ]; then target=base
        elif [ $((RANDOM % 4)) -eq 0 ]; then target="-$(( tip - k > 0 ? tip - k : 1 ))"
        else target=$(printf 'r%04d' $k); fi
        n=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db -c "SET soak.round = $round" \
              -c "SELECT count(*) FROM migrate.downgrade('$target')" 2>"$out/down.err")
        if [ $? -ne 0 ]; then
            ok 1 "round $round: downgrade('$target')"; cat "$out/down.err" | sed 's/^/# /'
        fi
        tot_down=$((tot_down + ${n:-0}))
    fi
    q $db "UPDATE public.soak_ctl SET done = false" >/dev/null
    pending=$(q $db 'SELECT pending FROM migrate.status()')

    # -------------------------------------------------- the race
    # a stamper (every third round), after a random delay
    stamper=
    if [ $((round % 3)) -eq 0 ]; then
        # every sixth round it starts first, so that it sometimes wins the lock
        ( [ $((round % 6)) -eq 0 ] || sleep "0.0$((RANDOM % 5))"
          psql -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d $db \
              -c "SET migrate.lock_wait = '120s'" \
              -c "WITH s AS (SELECT * FROM migrate.stamp('head'))
                  , i AS (INSERT INTO public.ops (rev, dir, round)
                          SELECT revision, 'stamp', $round FROM s WHERE change = 'applied' RETURNING 1)
                  SELECT count(*) FROM i" ) >"$out/stamp" 2>"$out/stamp.err" &
        stamper=$!
    fi
    pids=()
    [ -n "$stamper" ] && [ $((round % 6)) -eq 0 ] && sleep 0.05
    kinds=()
    for s in $(seq 1 "$SESSIONS"); do
        case $(( (s + round) % 4 )) in
            0) kind=rr ;;
            1) kind=run ;;
            *) kind=rc ;;
        esac
        kinds[$s]=$kind
        case $kind in
            rc)  sql="SELECT count(*) FROM migrate.upgrade('head');" ;;
            rr)  sql="BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM migrate.applied \\g /dev/null
SELECT count(*) FROM migrate.upgrade('head');
COMMIT;" ;;
            run) sql="CALL migrate.run('head');" ;;
        esac
        printf '%s\n' "SET soak.round = $round;" "SET migrate.lock_wait = '120s';" "SELECT pg_backend_pid();" "$sql" |
            psql -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d $db \
                >"$out/s$s" 2>"$out/s$s.err" &
        pids[$s]=$!
    done
    # an adder: a deploy re-registering 100 files, one refused change, one new revision
    new=$((tip + 1))
    sample=$(( tip > 101 ? (RANDOM % (tip - 100)) + 1 : 1 ))
    ( psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db -c "SET migrate.lock_wait = '120s'" \
          -c "SELECT public.soak_add($new)" \
          -c "SELECT count(public.soak_add(i)) FROM generate_series($sample, $((sample + 99))) i"
      psql -X -q -A -t -v VERBOSITY=verbose -d $db -c "SET migrate.lock_wait = '120s'" \
          -c "SELECT migrate.add(revision => 'r0001', upgrade => 'DROP TABLE everything')"
    ) >"$out/add" 2>"$out/add.err" &
    adder=$!
    # two status readers until the racers are done
    for r in 1 2; do
        q $db "SELECT public.soak_reader()" >"$out/reader$r" 2>"$out/reader$r.err" &
        rpids[$r]=$!
    done

    round_fail=0
    for s in $(seq 1 "$SESSIONS"); do
        wait "${pids[$s]}"
        rc=$?
        if [ $rc -eq 0 ]; then
            if [ "${kinds[$s]}" = run ]; then
                got=$(q $db "SELECT count(*) FROM public.ops WHERE round = $round AND dir = 'up' AND pid = $(head -1 "$out/s$s")")
            else
                got=$(sed -n 2p "$out/s$s")
            fi
            if [ "$got" = 0 ]; then tot_noop=$((tot_noop + 1))
            else
                tot_ok=$((tot_ok + 1))
                [ "${kinds[$s]}" = run ] && tot_run=$((tot_run + 1))
            fi
        elif grep -q '^ERROR:  40001' "$out/s$s.err" && [ "${kinds[$s]}" = rr ]; then
            tot_40001=$((tot_40001 + 1))
        elif grep -q '^ERROR:  55P03' "$out/s$s.err"; then
            tot_55P03=$((tot_55P03 + 1))
        elif grep -q '^ERROR:  55000: revision "r[0-9]*" has no upgrade body' "$out/s$s.err"; then
            # the bug this soak found (fixed in apply.c): the bodies were
            # read under the statement's snapshot, older than the plan's
            tot_stale=$((tot_stale + 1)); round_fail=1
        else
            tot_other=$((tot_other + 1)); round_fail=1
            echo "# round $round session $s (${kinds[$s]}) failed:"; sed 's/^/#   /' "$out/s$s.err"
        fi
    done
    if [ -n "$stamper" ]; then
        wait "$stamper"
        if [ $? -eq 0 ]; then
            tot_stamp_calls=$((tot_stamp_calls + 1)); tot_stamped=$((tot_stamped + $(cat "$out/stamp")))
        else
            round_fail=1; echo "# round $round stamp failed:"; sed 's/^/#   /' "$out/stamp.err"
        fi
    fi
    wait "$adder"
    if [ "$(sed -n 1p "$out/add")" = "r$(printf '%04d' $new)" ] &&
       grep -q '^ERROR:  55000: revision "r0001" is applied and cannot be changed' "$out/add.err" &&
       [ "$(grep -c '^ERROR' "$out/add.err")" = 1 ]; then
        tot_adds=$((tot_adds + 101)); tot_refused=$((tot_refused + 1)); tip=$new
    else
        round_fail=1; echo "# round $round adder:"; sed 's/^/#   /' "$out/add" "$out/add.err"
    fi
    q $db "UPDATE public.soak_ctl SET done = true" >/dev/null
    for r in 1 2; do
        wait "${rpids[$r]}"
        read -r calls bad <"$out/reader$r"
        tot_reader_calls=$((tot_reader_calls + ${calls:-0})); tot_reader_bad=$((tot_reader_bad + ${bad:-1}))
        [ "${bad:-1}" = 0 ] || { round_fail=1; echo "# round $round reader $r: ${calls:-?} calls, ${bad:-?} bad"; sed 's/^/#   /' "$out/reader$r.err"; }
    done

    # -------------------------------------------------- after the round
    # the new revision may have been added after the last racer planned
    sweep=$(q $db "SET soak.round = $round; SELECT count(*) FROM migrate.upgrade('head')")
    tot_sweep=$((tot_sweep + ${sweep:-99}))
    [ "${sweep:-99}" -le 1 ] || { round_fail=1; echo "# round $round: the final sweep applied $sweep"; }
    tot_up=$((tot_up + $(q $db "SELECT count(*) FROM public.ops WHERE round = $round AND dir = 'up'")))
    check=$(q $db "
      WITH seq AS (
        SELECT rev, dir, lag(dir) OVER (PARTITION BY rev ORDER BY id) AS prev,
               row_number() OVER (PARTITION BY rev ORDER BY id DESC) AS back
          FROM public.ops),
      last AS (SELECT rev, dir FROM seq WHERE back = 1)
      SELECT
        (SELECT count(*) FROM seq WHERE dir <> 'down' AND prev IS DISTINCT FROM 'down' AND prev IS NOT NULL)
          || ' ' ||
        (SELECT count(*) FROM seq WHERE (dir = 'down' AND (prev = 'down' OR prev IS NULL)))
          || ' ' ||
        (SELECT count(*) FROM migrate.revision r
          WHERE NOT EXISTS (SELECT 1 FROM migrate.applied a WHERE a.revision = r.id)
             OR NOT EXISTS (SELECT 1 FROM last l WHERE l.rev = r.id AND l.dir <> 'down'))
          || ' ' ||
        (SELECT count(*) FROM last l
          WHERE (l.dir = 'up') <> (to_regclass('public.t_' || ltrim(substr(l.rev, 2), '0')) IS NOT NULL))
          || ' ' ||
        ((SELECT count(*) FROM migrate.run_step s JOIN migrate.run r ON r.id = s.run_id
           WHERE s.direction = 'up' AND s.status = 'succeeded' AND r.kind = 'upgrade')
         - (SELECT count(*) FROM public.ops WHERE dir = 'up'))
          || ' ' ||
        (SELECT count(*) FROM migrate.run WHERE status = 'running')
          || ' ' ||
        (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1835624306)
          || ' ' ||
        (SELECT count(*) FROM migrate.validate() WHERE severity = 'error')
          || ' ' ||
        (SELECT pending FROM migrate.status())")
    read -r dbl dbl_down lost tables bookkeeping running locks verrs pend <<<"$check"
    if [ "$dbl $dbl_down $lost $tables $bookkeeping $running $locks $verrs $pend" != "0 0 0 0 0 0 0 0 0" ]; then
        round_fail=1
        echo "# round $round: double=$dbl double_down=$dbl_down lost=$lost table_mismatch=$tables" \
             "run_step-vs-log=$bookkeeping running=$running locks=$locks validate_errors=$verrs pending=$pend"
    fi
    ok $round_fail "round $round: $pending pending (+1 added), $SESSIONS racers, stamp=$([ -n "$stamper" ] && echo yes || echo no): no double or lost apply, every session succeeded or failed clearly"
    t=$(( $(date +%s) - round_start )); [ $t -gt $max_round_s ] && max_round_s=$t
done

is "$tot_other" "0" "no session ended in an unexpected error"
is "$tot_stale" "0" "no racer planned a revision it then could not read (bodies read under a snapshot older than the plan's)"
is "$dbl" "0" "double applies over all rounds"
is "$lost" "0" "lost revisions over all rounds"
is "$tot_reader_bad" "0" "status readers saw only consistent states"
ok_if "tot_reader_calls > 0" "status readers ran"
is "$(q $db "SELECT count(*) FROM migrate.revision")" "$tip" "every added revision is registered"
is "$(q $db "SELECT string_agg(c, ',') FROM migrate.current() c")" "r$(printf '%04d' $tip)" "current is the last added revision"

# Deterministic form of the stale snapshot: a pending revision is replaced
# (migrate.add with a changed body) by a transaction that holds the lock
# while an upgrade waits for it.  The waiter plans from the new catalog and
# must run the new body.
tipid="r$(printf '%04d' $tip)"
q $db "SELECT migrate.add('z1', \$\$INSERT INTO public.ops (rev, dir) VALUES ('z1', 'v1')\$\$, NULL, '{$tipid}')" >/dev/null
( psql -X -q -d $db -c "BEGIN" \
      -c "SELECT migrate.add('z1', \$\$INSERT INTO public.ops (rev, dir) VALUES ('z1', 'v2')\$\$, NULL, '{$tipid}')" \
      -c "SELECT pg_sleep(1)" -c "COMMIT" >/dev/null 2>&1 ) &
holder=$!
sleep 0.3
q $db "SELECT count(*) FROM migrate.upgrade('head')" >/dev/null 2>&1
wait $holder
ran=$(q $db "SELECT string_agg(dir, ',') FROM public.ops WHERE rev = 'z1'")
is "$ran" "v2" "an upgrade that waited for the lock runs the body registered before it got it"
is "$(q $db "SELECT count(*) FROM migrate.revision r JOIN migrate.applied a ON a.revision = r.id
              WHERE a.checksum IS DISTINCT FROM r.checksum AND r.id <> 'z1'")" "0" \
   "every other applied revision was applied with its registered checksum"

echo "# soak: sessions=$SESSIONS rounds=$ROUNDS revisions=$NREV (+$((tip - NREV)) added during the rounds) seed=$SEED"
echo "# soak: racer outcomes: applied=$tot_ok (of which CALL migrate.run=$tot_run) found-nothing=$tot_noop serialization-failure(40001)=$tot_40001 lock-wait(55P03)=$tot_55P03 stale-snapshot-bug(55000)=$tot_stale other=$tot_other"
echo "# soak: bodies applied=$tot_up reverted=$tot_down stamped=$tot_stamped (in $tot_stamp_calls stamp calls) swept-after-round=$tot_sweep"
echo "# soak: adds=$tot_adds (identical re-adds + new) refused-changes=$tot_refused status-calls=$tot_reader_calls"
echo "# soak: double applies=$dbl lost=$lost; $(( $(date +%s) - start_all ))s in all, slowest round ${max_round_s}s"
dropdb $db
done_testing

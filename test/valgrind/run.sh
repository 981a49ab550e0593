#!/usr/bin/env bash
# The test suite against a server that runs under valgrind (memcheck).
# Not part of CI: it takes 15 to 30 minutes on a 2-core machine.
#
#   test/valgrind/run.sh [pgtap files...]     default: test/pgtap/*.sql
#
# Starts a throwaway cluster (initdb in a temporary directory, as the
# postgres user when run as root) whose postmaster runs under valgrind;
# every backend and background worker (the failure recorder included) is
# a fork of it and runs under valgrind too.  Runs pg_regress (make
# installcheck), the pgTAP files and a small soak (VALGRIND_SOAK=0 skips
# it) against it, stops it, and reads valgrind's logs: an error (invalid
# read or write, use of uninitialised memory, invalid free) whose stack
# passes through migrate.so fails the run; errors elsewhere (PostgreSQL's
# own, built without USE_VALGRIND, so its memory contexts are opaque to
# valgrind) are counted and shown, not failed: test/valgrind/postgres.supp
# suppresses the ones known to be harmless.
#
# Limits, said plainly: Debian's PostgreSQL is not built with USE_VALGRIND,
# so palloc'd chunks live inside blocks valgrind sees as one allocation: an
# overrun of a small palloc'd chunk into its neighbour in the same block is
# not seen (one past a block, or any malloc'd memory, is).  Leak checking
# is off: backends exit with memory still in contexts by design; the
# growth of memory with repetition is tested by test/scenario/memory.sh.
set -u
PG_MAJOR=${PG_MAJOR:-15}
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/test/valgrind
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/migrate-valgrind.XXXXXX")
chmod 755 "$WORK"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$WORK"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
PORT=$(( 50000 + RANDOM % 10000 ))
export PGHOST=$WORK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
unset PGPASSWORD PGSERVICE
export PGOPTIONS="-c client_min_messages=warning"
export PATH="$PGBIN:$PATH"
echo "== cluster in $WORK (valgrind logs: $WORK/vg.*.log)"

as_pg "$PGBIN/initdb" -D "$WORK/data" -A trust -U postgres --no-sync >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 1; }
cp "$HERE/postgres.supp" "$WORK/postgres.supp"
chmod 644 "$WORK/postgres.supp"
as_pg valgrind --quiet --trace-children=yes --track-origins=yes --num-callers=30 \
    --read-var-info=no --leak-check=no --error-limit=no --gen-suppressions=all \
    --suppressions="$WORK/postgres.supp" \
    --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
    --log-file="$WORK/vg.%p.log" \
    "$PGBIN/postgres" -D "$WORK/data" -p "$PORT" -k "$WORK" -c listen_addresses= \
    -c fsync=off -c huge_pages=off -c max_connections=30 -c max_worker_processes=8 \
    -c statement_timeout=0 -c log_min_messages=warning >"$WORK/server.log" 2>&1 &
pm=$!
for _ in $(seq 1 600); do
    psql -X -q -c "SELECT 1" >/dev/null 2>&1 && break
    kill -0 $pm 2>/dev/null || break
    sleep 0.5
done
psql -X -q -A -t -c "SELECT 'server up: ' || version()" || { cat "$WORK/server.log" "$WORK"/vg.*.log | head -40; exit 1; }
start=$(date +%s)

echo "== pg_regress"
mkdir -p "$WORK/regress"
env -u PGOPTIONS make -C "$ROOT" -s installcheck PG_CONFIG="$PGBIN/pg_config" \
    REGRESS_OPTS="--load-extension=migrate --outputdir=$WORK/regress" >"$WORK/regress.out" 2>&1
tail -3 "$WORK/regress.out"

echo "== pgTAP"
createdb tap_template && psql -X -q -d tap_template -c "CREATE EXTENSION pgtap" >/dev/null
files=("$@")
[ ${#files[@]} -eq 0 ] && files=("$ROOT"/test/pgtap/*.sql)
for f in "${files[@]}"; do
    db="vg_$(basename "$f" .sql | tr -c 'a-z0-9_\n' '_')"
    createdb -T tap_template "$db"
    t0=$(date +%s)
    pg_prove -d "$db" "$f" >"$WORK/$(basename "$f").out" 2>&1
    echo "$(basename "$f"): $(grep -E '^Result|^Files=' "$WORK/$(basename "$f").out" | tr '\n' ' ') ($(( $(date +%s) - t0 ))s)"
done

if [ "${VALGRIND_SOAK:-1}" != 0 ]; then
    echo "== a small soak (4 sessions, 2 rounds, 60 revisions)"
    SOAK_SESSIONS=4 SOAK_ROUNDS=2 SOAK_REVISIONS=110 bash "$ROOT/test/scenario/soak.sh" 2>&1 | grep -E '^not ok|^# soak: double' || true
    echo "== privileges"
    bash "$ROOT/test/scenario/privileges.sh" 2>&1 | grep -E '^not ok|^1\.\.' || true
fi

echo "== stopping"
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w -t 600 stop >/dev/null 2>&1
wait $pm 2>/dev/null
echo "ran $(( $(date +%s) - start ))s under valgrind"

# errors: one block per VALGRINDERROR-BEGIN..END
ours=0; theirs=0
: >"$WORK/errors.ours"; : >"$WORK/errors.theirs"
for log in "$WORK"/vg.*.log; do
    awk -v ours="$WORK/errors.ours" -v theirs="$WORK/errors.theirs" -v logf="$log" '
        /VALGRINDERROR-BEGIN/ { block = "== " logf "\n"; inblock = 1; next }
        /VALGRINDERROR-END/   { if (block ~ /migrate\.so/) print block >> ours; else print block >> theirs; inblock = 0; next }
        inblock { block = block $0 "\n" }' "$log"
done
ours=$(grep -c '^== ' "$WORK/errors.ours")
theirs=$(grep -c '^== ' "$WORK/errors.theirs")
kinds=$(cat "$WORK"/errors.* | grep -oE '(Invalid (read|write|free)|uninitialised|Mismatched free|Source and destination overlap)[^=]*' | sed 's/ of size.*//' | sort | uniq -c | sed 's/^/   /')
echo "valgrind: $ours error(s) in migrate.so, $theirs elsewhere (PostgreSQL itself)"
[ -n "$kinds" ] && echo "$kinds"
if [ "$ours" -gt 0 ]; then
    head -c 20000 "$WORK/errors.ours"
    echo "valgrind: FAILED; logs in $WORK"
    exit 1
fi
[ "$theirs" -gt 0 ] && echo "(the first of them, for the suppression file:)" && head -c 4000 "$WORK/errors.theirs"
echo "valgrind: clean (logs in $WORK)"

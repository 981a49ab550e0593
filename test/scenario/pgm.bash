# pg_migrate for the client's scenario tests (sourced after tap.bash, with
# $ROOT and $WORK set): $PG_MIGRATE, the client under test (the installed
# one, else the tree's), and pgm, which runs it and keeps its exit status,
# stdout and stderr in $RC, $OUT and $ERR; json EXPR, a Python expression
# over the JSON document in $OUT (as d).
if [ -z "${PG_MIGRATE:-}" ]; then
    PG_MIGRATE="$(pg_config --bindir 2>/dev/null)/pg_migrate"
    [ -x "$PG_MIGRATE" ] || PG_MIGRATE="$ROOT/client/pg_migrate"
fi
pgm() {
    "$PG_MIGRATE" "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}
json() { printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>&1; }

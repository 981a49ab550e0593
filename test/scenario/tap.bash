# TAP helpers for the multi-session scenario tests (sourced, not run).
# The cluster comes from the PG* variables (scripts/test starts one).
_tap_n=0
_tap_failed=0
ok() {   # ok <condition-exit-status> <description>
    _tap_n=$((_tap_n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"
    else echo "not ok $_tap_n - $2"; _tap_failed=$((_tap_failed + 1)); fi
}
is() {   # is <got> <expected> <description>
    _tap_n=$((_tap_n + 1))
    if [ "$1" == "$2" ]; then echo "ok $_tap_n - $3"
    else
        echo "not ok $_tap_n - $3"
        echo "#   got:      '$1'"
        echo "#   expected: '$2'"
        _tap_failed=$((_tap_failed + 1))
    fi
}
like() { # like <got> <regex> <description>
    _tap_n=$((_tap_n + 1))
    if [[ "$1" =~ $2 ]]; then echo "ok $_tap_n - $3"
    else
        echo "not ok $_tap_n - $3"
        echo "#   got: '$1'"
        echo "#   does not match: '$2'"
        _tap_failed=$((_tap_failed + 1))
    fi
}
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; }

# q <db> <sql>: one value, unaligned, errors to stderr
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

fresh_db() {   # fresh_db <name>: a new database with the extension
    dropdb --if-exists "$1" >/dev/null 2>&1
    createdb "$1" && q "$1" "CREATE EXTENSION migrate" >/dev/null
}

# A psql session that stays open: session_start NAME DB; session_send NAME SQL;
# session_wait NAME (waits until everything sent so far has run).
declare -A _sess_fd _sess_pid _sess_seq
SESS_DIR=$(mktemp -d)
session_start() {
    mkfifo "$SESS_DIR/$1.in"
    psql -X -q -A -t -d "$2" <"$SESS_DIR/$1.in" >"$SESS_DIR/$1.out" 2>&1 &
    _sess_pid[$1]=$!
    exec {fd}>"$SESS_DIR/$1.in"
    _sess_fd[$1]=$fd
    _sess_seq[$1]=0
}
session_send() { echo "$2" >&"${_sess_fd[$1]}"; }
session_wait() {  # session_wait NAME [timeout_s]
    local seq=$(( ${_sess_seq[$1]} + 1 )) t=0 limit=$(( ${2:-30} * 10 ))
    _sess_seq[$1]=$seq
    echo "\\! touch $SESS_DIR/$1.done$seq" >&"${_sess_fd[$1]}"
    while [ ! -e "$SESS_DIR/$1.done$seq" ] && [ $t -lt $limit ]; do sleep 0.1; t=$((t + 1)); done
    [ -e "$SESS_DIR/$1.done$seq" ]
}
session_output() { cat "$SESS_DIR/$1.out"; }
session_end() {
    echo "\\q" >&"${_sess_fd[$1]}" 2>/dev/null
    exec {_sess_fd[$1]}>&-
    wait "${_sess_pid[$1]}" 2>/dev/null
}
ok_if() { # ok_if <arithmetic expression> <description>
    if (( $1 )); then ok 0 "$2"; else ok 1 "$2"; fi
}

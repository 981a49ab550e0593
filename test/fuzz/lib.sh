# Shared by the libFuzzer scripts of test/fuzz (source it after
# scripts/lib.sh): the work directory, the build of a harness that links
# backend files of the extension against PostgreSQL's frontend libraries,
# and the run with its report.

# fuzz_workdir NAME: $WORK (FUZZ_WORKDIR, else a new temporary directory)
# with corpus/ and artifacts/
fuzz_workdir() {
    WORK=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")}
    mkdir -p "$WORK/corpus" "$WORK/artifacts"
}

# build_pg_harness OUTPUT SOURCE...: extension files compiled against the
# server headers, linked with libpgcommon and libpgport (ASan, UBSan)
build_pg_harness() {
    local out=$1
    shift
    local pglib=/usr/lib/postgresql/$PG_MAJOR/lib
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Wall -Wno-ignored-attributes -Wno-unused-parameter -D_GNU_SOURCE \
        -I"$ROOT/src" -I"$ROOT/common" -I"/usr/include/postgresql/$PG_MAJOR/server" \
        -I/usr/include/postgresql/internal -I/usr/include/postgresql \
        "$@" "$pglib/libpgcommon.a" "$pglib/libpgport.a" -lcrypto -lm -o "$out"
}

# run_libfuzzer NAME SECONDS MAX_LEN [DICT]: run $WORK/NAME on $WORK/corpus,
# print its statistics, exit non-zero (with the end of its log) on a crash
# or a broken invariant
run_libfuzzer() {
    local name=$1 seconds=$2 max_len=$3 dict=${4:-} rc
    local args=(-max_total_time="$seconds" -max_len="$max_len"
                -artifact_prefix="$WORK/artifacts/" -print_final_stats=1)
    if [ -n "$dict" ]; then args+=(-dict="$dict"); fi
    echo "== fuzzing for ${seconds}s in $WORK"
    cd "$WORK"
    set +e
    "./$name" "${args[@]}" corpus >"$WORK/fuzz.log" 2>&1
    rc=$?
    set -e
    grep -aE '^(stat::|#[0-9]+ +DONE)|ERROR|SUMMARY|invariant' "$WORK/fuzz.log" || true
    if [ $rc -ne 0 ]; then
        tail -n 40 "$WORK/fuzz.log"
        echo "$name: FAILED (exit $rc); artifacts in $WORK/artifacts"
        exit $rc
    fi
    echo "$name: no crash in ${seconds}s; log $WORK/fuzz.log"
}

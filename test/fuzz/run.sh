#!/usr/bin/env bash
# Fuzz the revision-file parser (common/revfile.c) with libFuzzer.
#
#   test/fuzz/run.sh [SECONDS]      default 60
#
# Builds, with clang -fsanitize=fuzzer,address,undefined, the unit tests
# (test/fuzz/revfile_test.c, run first; under valgrind too when it is
# installed) and the harness
# (test/fuzz/fuzz_revfile.c), then fuzzes for SECONDS, seeded with
# test/fuzz/corpus/ and examples/*/*.sql.  The work directory (corpus
# grown by the run, crash-* files) is printed; set FUZZ_WORKDIR to choose
# it.  Exits non-zero on a test failure or a crash.  Installs clang and its
# runtime with apt-get when missing (as root, or with sudo).
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib.sh"     # as_root, need_packages, ROOT
source "$HERE/lib.sh"

if ! command -v clang >/dev/null 2>&1 ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
    need_packages clang libclang-rt-dev
fi

fuzz_workdir migrate-fuzz
CFLAGS=(-std=c99 -g -O1 -Wall -Wextra -Werror -I"$ROOT/common"
        -fsanitize=address,undefined -fno-sanitize-recover=all)

echo "== unit tests (ASan, UBSan)"
PARSER=("$ROOT/common/revfile.c" "$ROOT/common/idrule.c")
clang "${CFLAGS[@]}" "$HERE/revfile_test.c" "${PARSER[@]}" -o "$WORK/revfile_test"
"$WORK/revfile_test" | grep -v '^ok ' || true
"$WORK/revfile_test" >/dev/null

if command -v valgrind >/dev/null 2>&1; then
    echo "== unit tests (valgrind)"
    cc -std=c99 -g -O0 -Wall -Wextra -Werror -I"$ROOT/common" "$HERE/revfile_test.c" \
        "${PARSER[@]}" -o "$WORK/revfile_test_plain"
    valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=3 \
        "$WORK/revfile_test_plain" >/dev/null
    echo "valgrind: clean"
fi

echo "== building the fuzzer"
clang "${CFLAGS[@]}" -fsanitize=fuzzer "$HERE/fuzz_revfile.c" "${PARSER[@]}" \
    -o "$WORK/fuzz_revfile"

cp "$HERE"/corpus/* "$WORK/corpus/" 2>/dev/null || true
for f in "$ROOT"/examples/*/*.sql; do
    [ -f "$f" ] && cp "$f" "$WORK/corpus/example_$(basename "$(dirname "$f")")_$(basename "$f")"
done

run_libfuzzer fuzz_revfile "$SECONDS_TO_RUN" 4096 "$HERE/revfile.dict"

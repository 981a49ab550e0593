#!/usr/bin/env bash
# Fuzz the fleet-file parser of pg_migrate (client/fleetfile.c) with
# libFuzzer, as test/fuzz/run.sh fuzzes the revision-file parser.
#
#   test/fuzz/run_fleetfile.sh [SECONDS]      default 60
#
# Builds test/fuzz/fuzz_fleetfile.c with clang -fsanitize=fuzzer,address,
# undefined and fuzzes for SECONDS, seeded with test/fuzz/corpus_fleetfile/.
# The work directory (grown corpus, crash-* files) is printed; set
# FUZZ_WORKDIR to choose it.  Exits non-zero on a crash.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib.sh"     # as_root, need_packages, ROOT
source "$HERE/lib.sh"

if ! command -v clang >/dev/null 2>&1 ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
    need_packages clang libclang-rt-dev
fi

fuzz_workdir pg_migrate-fleetfuzz
CFLAGS=(-std=c99 -g -O1 -Wall -Wextra -Werror -I"$ROOT/client"
        -fsanitize=address,undefined -fno-sanitize-recover=all)

echo "== building the fuzzer"
clang "${CFLAGS[@]}" -fsanitize=fuzzer "$HERE/fuzz_fleetfile.c" "$ROOT/client/fleetfile.c" \
    -o "$WORK/fuzz_fleetfile"
cp "$HERE"/corpus_fleetfile/* "$WORK/corpus/" 2>/dev/null || true

run_libfuzzer fuzz_fleetfile "$SECONDS_TO_RUN" 20000

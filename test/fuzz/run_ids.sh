#!/usr/bin/env bash
# Fuzz src/ids.c and the common/ code it builds on (id rule, normalisation,
# checksum, content hash, source rule) differentially against
# common/revfile.c's wording of the id rule and the client's call of the
# checksum, with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   test/fuzz/run_ids.sh [SECONDS]      default 60
#
# ids.c is compiled against the PostgreSQL server headers and linked with
# PostgreSQL's frontend libpgcommon and libpgport (see fuzz_ids.c).  The
# work directory (corpus, crash-* files, log) is printed; FUZZ_WORKDIR
# chooses it.  Exits non-zero on a crash or a broken invariant.  Installs
# clang, its runtime and libssl-dev with apt-get when missing.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib.sh"     # as_root, need_packages, ROOT, PG_MAJOR
source "$HERE/lib.sh"
fuzz_packages

fuzz_workdir migrate-fuzz-ids

echo "== building fuzz_ids (ASan, UBSan)"
build_pg_harness "$WORK/fuzz_ids" "$HERE/fuzz_ids.c" "$ROOT/src/ids.c" \
    "$ROOT/common/idrule.c" "$ROOT/common/checksum.c" "$ROOT/common/revfile.c"

# seeds: revision files and bodies of the repository
cp "$HERE"/corpus/* "$WORK/corpus/" 2>/dev/null || true
for f in "$ROOT"/examples/*/*.sql; do
    [ -f "$f" ] && cp "$f" "$WORK/corpus/example_$(basename "$(dirname "$f")")_$(basename "$f")"
done
printf 'r1 r2\r\nCREATE TABLE t (id int);  \r\n\r\n' >"$WORK/corpus/seed_crlf"
printf 'a/b\\r1_x.sql\nSELECT 1\r' >"$WORK/corpus/seed_cr"

run_libfuzzer fuzz_ids "$SECONDS_TO_RUN" 8192 "$HERE/revfile.dict"

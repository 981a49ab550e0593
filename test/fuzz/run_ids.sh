#!/usr/bin/env bash
# Fuzz src/ids.c (id rule, normalisation, checksum, content hash, source
# rule) differentially against src/revfile.c and client/checksum.c, with
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.
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
fuzz_packages

PGLIB=/usr/lib/postgresql/$PG_MAJOR/lib
WORK=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/migrate-fuzz-ids.XXXXXX")}
mkdir -p "$WORK/corpus" "$WORK/artifacts"

echo "== building fuzz_ids (ASan, UBSan)"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wno-ignored-attributes -Wno-unused-parameter -D_GNU_SOURCE \
    -I"$ROOT/src" -I"/usr/include/postgresql/$PG_MAJOR/server" \
    -I/usr/include/postgresql/internal -I/usr/include/postgresql \
    "$HERE/fuzz_ids.c" "$ROOT/src/ids.c" "$ROOT/src/revfile.c" \
    "$ROOT/client/checksum.c" "$ROOT/client/util.c" "$ROOT/client/sha256.c" \
    "$PGLIB/libpgcommon.a" "$PGLIB/libpgport.a" -lcrypto -lm \
    -o "$WORK/fuzz_ids"

# seeds: revision files and bodies of the repository
cp "$HERE"/corpus/* "$WORK/corpus/" 2>/dev/null || true
for f in "$ROOT"/examples/*/*.sql; do
    [ -f "$f" ] && cp "$f" "$WORK/corpus/example_$(basename "$(dirname "$f")")_$(basename "$f")"
done
printf 'r1 r2\r\nCREATE TABLE t (id int);  \r\n\r\n' >"$WORK/corpus/seed_crlf"
printf 'a/b\\r1_x.sql\nSELECT 1\r' >"$WORK/corpus/seed_cr"

echo "== fuzzing for ${SECONDS_TO_RUN}s in $WORK"
cd "$WORK"
set +e
./fuzz_ids -max_total_time="$SECONDS_TO_RUN" -max_len=8192 \
    -dict="$HERE/revfile.dict" -artifact_prefix="$WORK/artifacts/" \
    -print_final_stats=1 corpus >"$WORK/fuzz.log" 2>&1
rc=$?
set -e
grep -aE '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY|invariant' "$WORK/fuzz.log" || true
if [ $rc -ne 0 ]; then
    tail -n 40 "$WORK/fuzz.log"
    echo "fuzz_ids: FAILED (exit $rc); artifacts in $WORK/artifacts"
    exit $rc
fi
echo "fuzz_ids: no crash in ${SECONDS_TO_RUN}s; log $WORK/fuzz.log"

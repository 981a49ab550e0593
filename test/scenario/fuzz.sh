#!/usr/bin/env bash
# A short fuzz run for CI: each libFuzzer harness (test/fuzz/run.sh for the
# revision-file parser, run_ids.sh for ids.c and common/ against
# revfile.c's id rule and the client's checksum call, run_fleetfile.sh for pg_migrate's --db-file parser,
# run_target.sh for the target grammar and the plans) for FUZZ_SECONDS
# (default 15), and the in-server fuzzer (test/fuzz/sql_fuzz.sh) for
# FUZZ_SQL_SECONDS (default 20).  The full runs are by hand: each script
# with 600.  The libFuzzer parts are skipped when clang cannot be had.
# Prints TAP.
set -u
HERE=$(cd "$(dirname "$0")/../fuzz" && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
FUZZ_SQL_SECONDS=${FUZZ_SQL_SECONDS:-20}
n=0
failed=0
if (source "$HERE/../../scripts/lib.sh" && fuzz_packages) >/dev/null 2>&1 && command -v clang >/dev/null 2>&1; then
    for h in run.sh run_ids.sh run_fleetfile.sh run_target.sh; do
        out=$(FUZZ_WORKDIR=$(mktemp -d) bash "$HERE/$h" "$FUZZ_SECONDS" 2>&1)
        rc=$?
        n=$((n + 1))
        execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' <<<"$out" | grep -oE '[0-9]+$' | tail -1)
        if [ $rc -eq 0 ]; then echo "ok $n - $h: ${FUZZ_SECONDS}s of libFuzzer (ASan, UBSan) without a crash (${execs:-?} executions)"
        else echo "not ok $n - $h: a crash or a broken invariant"; failed=$((failed + 1)); sed 's/^/# /' <<<"$out" | tail -40; fi
    done
else
    n=$((n + 1)); echo "ok $n # SKIP clang with libFuzzer is not available"
fi
while IFS= read -r line; do
    case "$line" in
        ok\ *|not\ ok\ *)
            n=$((n + 1))
            [[ "$line" == not* ]] && failed=$((failed + 1))
            echo "$(sed -E "s/^(not ok|ok) [0-9]+/\1 $n/" <<<"$line")" ;;
        1..*) ;;
        *) echo "$line" ;;
    esac
done < <(bash "$HERE/sql_fuzz.sh" "$FUZZ_SQL_SECONDS" 2>&1)
echo "1..$n"
[ $failed -eq 0 ]

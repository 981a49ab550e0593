#!/usr/bin/env bash
# Fuzz the target grammar and the plans (src/target.c and src/plan.c on src/graph.c) with
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer: a graph and a
# target per input, see fuzz_target.c for the layout and the invariants.
#
#   test/fuzz/run_target.sh [SECONDS]      default 60
#
# target.c, plan.c, graph.c and ids.c are compiled against the PostgreSQL server
# headers, with fuzz_target.c standing in for the backend services they
# use, and linked with PostgreSQL's frontend libpgcommon and libpgport.
# The work directory (corpus, crash-* files, log) is printed; FUZZ_WORKDIR
# chooses it.  Exits non-zero on a crash or a broken invariant.  Installs
# clang, its runtime and libssl-dev with apt-get when missing.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib.sh"     # as_root, need_packages, ROOT, PG_MAJOR
source "$HERE/lib.sh"
fuzz_packages

fuzz_workdir migrate-fuzz-target

echo "== building fuzz_target (ASan, UBSan)"
build_pg_harness "$WORK/fuzz_target" "$HERE/fuzz_target.c" "$ROOT/src/target.c" "$ROOT/src/plan.c" "$ROOT/src/graph.c" "$ROOT/src/graph_memory.c" "$ROOT/src/ids.c" \
    "$ROOT/common/idrule.c" "$ROOT/common/checksum.c"

# seeds: the grammar's forms on small graphs (a chain, branches and a
# merge, labels, applied and applied-only revisions, a cycle)
seed() { printf -- "$2" >"$WORK/corpus/seed_$1"; }
CHAIN='a1||||a\na2|a1|||a\na3|a2|||\na4|a3|||i\n'
BRANCHES='b0|||core|a\nb1|b0||auth|a\nb2|b0||billing\nb3|b1,b2|||\nc0|||other|u\n'
seed head "head\n\n$CHAIN"
seed heads "heads\n\n$BRANCHES"
seed base "base\nD\n$CHAIN"
seed plus "+2\n\n$CHAIN"
seed minus "-1\nD\n$CHAIN"
seed idplus "a1+2\n0\n$CHAIN"
seed prefix "a\n1\n$CHAIN"
seed label_head "auth@head\n\n$BRANCHES"
seed label_base "billing@base\nD\n$BRANCHES"
seed label_plus "core@+1\nS\n$BRANCHES"
seed label_minus "auth@-1\nD\n$BRANCHES"
seed cycle "head\nM\nx1|x2|||\nx2|x1|||\nx3||x1||\n"
seed deps "d2\n2\nd0||||\nd1|d0|||\nd2||d1||\n"
seed garbage "+-1\n\na||||\n"
seed at "a@b@c\n\na|||l|\n"
seed huge "+99999999999999999999\n\n$CHAIN"

cat >"$WORK/target.dict" <<'DICT'
"head"
"heads"
"base"
"@head"
"@base"
"@+"
"@-"
"+1"
"-1"
"+0"
"-0"
"|"
"||||"
"|a"
"|u"
"|i"
"|n"
","
"\x0a"
DICT

run_libfuzzer fuzz_target "$SECONDS_TO_RUN" 4096 "$WORK/target.dict"

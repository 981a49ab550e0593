#!/usr/bin/env bash
# The docs examples harness (docs_examples.py) leaves no example aside
# silently (issue 14, item 10): an indented code block or a fence it cannot
# run fails unless a "no-test: REASON" directive marks it, and the reason
# is printed as the test's SKIP; a "no-test" without a reason fails.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/tap.bash"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
harness() {  # harness PAGE: its TAP in OUT, exit status in RC
    OUT=$(DOCS_DB_PREFIX=docs_harness_ bash "$HERE/docs_examples.sh" "$1" 2>&1)
    RC=$?
}

printf 'An example:\n\n    SELECT 1;\n\nand a fence:\n\n```\nSELECT 2;\n```\n' >"$WORK/unmarked.md"
harness "$WORK/unmarked.md"
is "$RC" "1" "a page with an unmarked indented block and an unmarked fence fails"
like "$OUT" "not ok 1 - .*unmarked.md:3 \(indented text\) is an example that is neither run nor marked" "the indented block is named"
like "$OUT" "not ok 2 - .*unmarked.md:7 \(text\) is an example that is neither run nor marked" "and the fence"

printf 'A synopsis:\n\n<!-- no-test: a synopsis, not a command -->\n```\nf(x)\n```\n\n<!-- no-test -->\n```sh\nfalse\n```\n\n```sql\nSELECT 1;\n```\n' >"$WORK/marked.md"
harness "$WORK/marked.md"
like "$OUT" "ok 1 - .*marked.md:4 \(text\) # SKIP not run: a synopsis, not a command" "a marked block is skipped with its reason"
like "$OUT" "not ok 2 - .*marked.md:9 \(sh\) is marked no-test without a reason" "a no-test without a reason fails"
like "$OUT" "ok 3 - .*marked.md:13 \(sql\) runs" "a sql fence runs"
is "$RC" "1" "(so the page fails)"

printf '```sql\nSELECT 1;\n```\n\n- a list item\n\n    continued in the item, not code\n' >"$WORK/list.md"
harness "$WORK/list.md"
is "$RC" "0" "a list item's indented paragraph is not taken for a code block"
done_testing

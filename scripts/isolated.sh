#!/usr/bin/env bash
# scripts/isolated.sh DIR CMD...: run CMD in DIR inside a private mount
# namespace in which PostgreSQL's install directories (and /usr/local/bin,
# where pg_migrate is linked) are private copies, so that `make install`
# and the tests of one working tree do not disturb another's: several
# trees (git worktrees) can build, install and run the suite at once.
# Root only (unshare -m).  Example:
#   scripts/isolated.sh ../wt-x bash scripts/test
# PG_MAJOR selects the server version (default 15).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "isolated.sh: needs root (unshare -m)" >&2; exit 2; }
[ $# -ge 2 ] || { echo "usage: scripts/isolated.sh DIR CMD..." >&2; exit 2; }
dir=$(cd "$1" && pwd); shift
W=$(mktemp -d /tmp/iso.XXXXXX)
trap 'rm -rf "$W"' EXIT
PG_MAJOR=${PG_MAJOR:-15}
DIRS="/usr/lib/postgresql/$PG_MAJOR/lib /usr/lib/postgresql/$PG_MAJOR/bin /usr/share/postgresql/$PG_MAJOR/extension /usr/local/bin"
for d in $DIRS; do mkdir -p "$W$d"; cp -a "$d/." "$W$d/"; done
chmod -R a+rX "$W"
export ISO_W=$W ISO_DIRS=$DIRS ISO_DIR=$dir
unshare -m --propagation private bash -c 'for d in $ISO_DIRS; do mount --bind "$ISO_W$d" "$d"; done; cd "$ISO_DIR"; exec "$@"' isolated "$@"

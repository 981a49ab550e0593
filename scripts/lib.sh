# Shared by scripts/demo and scripts/test: install what is missing, build,
# install the extension.  Works as root (CI) and as a user with sudo.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "== installing: ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# libssl-dev: pg_migrate links libpgcommon, whose SHA-256 is OpenSSL's
# (-lcrypto) on Debian.
base_packages() {
    need_packages make gcc libc6-dev \
        "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" \
        "postgresql-client-$PG_MAJOR" postgresql-common libpq-dev libssl-dev
}

test_packages() {
    need_packages "postgresql-$PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl perl
}

# The fuzz harnesses (test/fuzz/): clang with libFuzzer and the sanitizer
# runtimes, OpenSSL's libcrypto (PostgreSQL's libpgcommon uses it for
# SHA-256).
fuzz_packages() {
    if ! command -v clang >/dev/null 2>&1 ||
       ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
        need_packages clang libclang-rt-dev
    fi
    need_packages libssl-dev
}

build_and_install() {
    local pg_config="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
    echo "== building with $pg_config"
    make -C "$ROOT" -s PG_CONFIG="$pg_config" >/dev/null
    as_root make -C "$ROOT" -s PG_CONFIG="$pg_config" install >/dev/null
}

# Run "$@" inside a throwaway cluster (pg_virtualenv sets PGHOST, PGPORT,
# PGUSER, PGPASSWORD and PGDATABASE).  -t keeps the cluster in a temporary
# directory, so that runs side by side do not collide on a cluster name; as
# root, pg_virtualenv runs the server as the postgres user.
free_port() {
    local p start=$((5433 + RANDOM % 400))
    for p in $(seq "$start" 5999) $(seq 5433 "$start"); do
        if [ ! -e "/var/run/postgresql/.s.PGSQL.$p" ] && [ ! -e "/tmp/.s.PGSQL.$p" ] &&
           ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return
        fi
    done
    echo 5433
}

in_throwaway_cluster() {
    local opts=(-v "$PG_MAJOR" -t)
    # pg_virtualenv takes PGPORT from the environment: never a port in use
    export PGPORT
    PGPORT=$(free_port)
    # MIGRATE_PG_SETTINGS: more settings, "name=value" separated by blanks
    # (bench/apply.sh at N = 5,000 needs max_locks_per_transaction)
    local s
    for s in ${MIGRATE_PG_SETTINGS:-}; do opts+=(-o "$s"); done
    pg_virtualenv "${opts[@]}" -o "max_connections=60" -o "fsync=off" "$@"
}

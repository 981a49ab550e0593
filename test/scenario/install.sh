#!/usr/bin/env bash
# What `make install` leaves: pg_migrate on PATH (Debian's pg_config
# --bindir is not), the extension's control file, install and update
# scripts.
source "$(dirname "$0")/tap.bash"
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/${PG_MAJOR:-15}/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
sharedir=$("$PG_CONFIG" --sharedir)

# a PATH without pg_config --bindir, as a login shell on Debian has
found=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v pg_migrate || true)
is "$found" "/usr/local/bin/pg_migrate" "pg_migrate is on a plain PATH"
is "$(readlink /usr/local/bin/pg_migrate)" "$bindir/pg_migrate" "it is a link to pg_config --bindir"
PATH=/usr/local/bin:/usr/bin:/bin pg_migrate --version >/dev/null 2>&1
ok $? "pg_migrate --version runs from the plain PATH"

version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$sharedir/extension/migrate.control")
ok $([ -n "$version" ] && [ -f "$sharedir/extension/migrate--$version.sql" ]; echo $?) "the install script of the default version ($version) is installed"
ok $([ -f "$sharedir/extension/migrate--0.1--$version.sql" ]; echo $?) "the update script from 0.1 is installed"
done_testing

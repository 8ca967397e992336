#!/bin/bash
# scripts/citus-build.sh: finds Citus for the multi-node tests, building it
# from the vendored source archive when it is not installed.
#
# Prints one line on stdout and exits 0:
#   system        Citus is installed in the PostgreSQL that pg_config names
#   <directory>   a build of Citus, installed with DESTDIR=<directory> (its
#                 files under <directory>/usr/...), kept in a cache so that
#                 the next run does not build it again
# Exits 3, with the reason on stderr, when Citus is neither installed nor
# buildable (no source archive); exits 1 when the build fails (its log is
# named).
#
# The source is release v13.0.5 (../shared/vendor/citus-13.0.5.tar.xz beside
# the clone, or beside the main worktree of a git worktree, or
# DURPRED_CITUS_TARBALL).  The cache is DURPRED_CITUS_CACHE, by default
# ${XDG_CACHE_HOME:-~/.cache}/durpred/citus-13.0.5-pg<major>; the build
# needs the Debian packages that scripts/deps.sh installs.  Nothing is
# installed into the system PostgreSQL: scripts/citus-install.sh lays a build
# over a private copy of PostgreSQL.
set -euo pipefail

CITUS_VERSION=13.0.5
top=$(cd "$(dirname "$0")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}

pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)
if [ -f "$pkglibdir/citus.so" ] && [ -f "$sharedir/extension/citus.control" ]; then
	echo system
	exit 0
fi

major=$($PG_CONFIG --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
cache=${DURPRED_CITUS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/durpred/citus-$CITUS_VERSION-pg$major}
if [ -f "$cache/.done" ]; then
	echo "$cache"
	exit 0
fi

tarball=${DURPRED_CITUS_TARBALL:-}
if [ -z "$tarball" ]; then
	for dir in "$top/.." \
		"$(dirname "$(git -C "$top" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo /nonexistent/.git)")/.."; do
		if [ -f "$dir/shared/vendor/citus-$CITUS_VERSION.tar.xz" ]; then
			tarball=$(cd "$dir/shared/vendor" && pwd)/citus-$CITUS_VERSION.tar.xz
			break
		fi
	done
fi
if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
	echo "citus-build: Citus is not installed for PostgreSQL $major and ../shared/vendor/citus-$CITUS_VERSION.tar.xz is not there" >&2
	exit 3
fi

mkdir -p "$(dirname "$cache")"
log=$cache.log
work=$(mktemp -d "${TMPDIR:-/tmp}/citus-build.XXXXXX")
trap 'rm -rf "$work" "$cache.tmp"' EXIT
rm -rf "$cache" "$cache.tmp"
start=$(date +%s)
echo "citus-build: building Citus $CITUS_VERSION for PostgreSQL $major from $tarball (log: $log)" >&2
if ! (
	set -e
	tar -xJf "$tarball" -C "$work"
	cd "$work"
	./configure PG_CONFIG="$(command -v "$PG_CONFIG")" --without-libcurl
	# no LLVM bitcode for the JIT: it would double the build's time
	make -j"$(nproc)" with_llvm=no
	make install with_llvm=no DESTDIR="$cache.tmp"
) >"$log" 2>&1; then
	echo "citus-build: error: the build of Citus failed; see $log" >&2
	tail -20 "$log" >&2
	exit 1
fi
mv "$cache.tmp" "$cache"
touch "$cache/.done"
echo "citus-build: built in $(($(date +%s) - start)) s, cached in $cache" >&2
echo "$cache"

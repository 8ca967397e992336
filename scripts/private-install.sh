#!/bin/bash
# scripts/private-install.sh PREFIX: a PostgreSQL of our own with durpred in
# it, without touching the system installation.
#
# PostgreSQL finds its share and library directories relative to the real
# path of its binary, so a copy of its installation directories under
# PREFIX, in the same layout (PREFIX/usr/lib/postgresql/15 and
# PREFIX/usr/share/postgresql/15 on Debian), is a complete server that loads
# its extensions from the copy.  `make install DESTDIR=PREFIX` then puts
# durpred into that copy.  Nothing outside PREFIX is written, so no lock is
# needed, and a later `make install` by anyone else does not change it.
#
# Prints the copy's bindir.  Needs write access to PREFIX only; builds
# durpred first when needed (make).
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: ${0##*/} PREFIX" >&2
	exit 2
fi
prefix=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$($PG_CONFIG --bindir)
sharedir=$($PG_CONFIG --sharedir)
pkglibdir=$($PG_CONFIG --pkglibdir)
# the directory that holds bin/ and lib/ (Debian: /usr/lib/postgresql/15)
home=$(dirname "$bindir")
case "$pkglibdir" in
	"$home"/*) ;;
	*)
		echo "${0##*/}: error: $pkglibdir is not under $home: this layout cannot be copied" >&2
		exit 1
		;;
esac

mkdir -p "$prefix$(dirname "$home")" "$prefix$(dirname "$sharedir")"
rm -rf "$prefix$home" "$prefix$sharedir"
# real copies: the server resolves symbolic links to find its directories
cp -rL "$home" "$prefix$home"
cp -rL "$sharedir" "$prefix$sharedir"
# the headers (8 MB), for what compiles against the copy: its pg_config
# names them under PREFIX too (a copy, not a link, so that Citus's headers
# can be laid over it)
includedir=$($PG_CONFIG --includedir)
rm -rf "$prefix$includedir"
mkdir -p "$prefix$(dirname "$includedir")"
cp -rL "$includedir" "$prefix$includedir"
# only this tree's durpred: no script or library of another install
rm -f "$prefix$pkglibdir"/durpred.so "$prefix$sharedir"/extension/durpred[.-]* \
	"$prefix$bindir"/durpred-train
# stdout is for the bindir alone
make -s PG_CONFIG="$PG_CONFIG" >&2
make -s PG_CONFIG="$PG_CONFIG" install DESTDIR="$prefix" >/dev/null

# the copy reports its own directories
got=$("$prefix$bindir"/pg_config --pkglibdir)
if [ "$got" != "$prefix$pkglibdir" ] || [ ! -f "$got/durpred.so" ]; then
	echo "${0##*/}: error: the copy's pg_config says its libraries are in $got, not $prefix$pkglibdir" >&2
	exit 1
fi
echo "$prefix$bindir"

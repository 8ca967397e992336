#!/bin/bash
# scripts/citus-install.sh PREFIX: a private PostgreSQL with this tree's
# durpred and Citus in it, for the multi-node tests (test/t/140_citus.pl).
#
# Finds or builds Citus (scripts/citus-build.sh), makes the private copy of
# PostgreSQL (scripts/private-install.sh PREFIX) and, when Citus is not
# installed in the system PostgreSQL, lays the cached build of Citus over the
# copy.  Prints the copy's bindir; exits as citus-build.sh does (3: no Citus
# and no source to build it from).  Writes nothing outside PREFIX and the
# cache.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: ${0##*/} PREFIX" >&2
	exit 2
fi
prefix=$1
top=$(cd "$(dirname "$0")/.." && pwd)

set +e
citus=$("$top/scripts/citus-build.sh")
rc=$?
set -e
[ $rc = 0 ] || exit $rc

bindir=$("$top/scripts/private-install.sh" "$prefix")
if [ "$citus" != system ]; then
	# the build's files, installed with DESTDIR, in the layout of the copy
	cp -r "$citus/usr/." "$prefix/usr/"
fi
if [ ! -f "$("$bindir/pg_config" --pkglibdir)/citus.so" ]; then
	echo "${0##*/}: error: citus.so is not in the private copy's libraries" >&2
	exit 1
fi
echo "$bindir"

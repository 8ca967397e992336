#!/bin/sh
# scripts/deps.sh: installs the Debian packages durpred needs, when missing.
#
# Runs apt-get as root directly, otherwise through sudo; says what to do
# when neither is possible.  Installs nothing when everything is present.
set -eu

cd "$(dirname "$0")/.."
. scripts/lib.sh

# The last eight build Citus from its source for the multi-node tests when
# Citus is not installed (scripts/citus-build.sh).
PACKAGES="
gcc
clang
make
postgresql-15
postgresql-contrib
postgresql-server-dev-15
postgresql-15-pgtap
postgresql-15-cron
libtap-parser-sourcehandler-pgtap-perl
libipc-run-perl
libpq-dev
libxgboost-dev
libjansson-dev
python3-xgboost
python3-numpy
python3-psycopg2
procps
time
valgrind
liblz4-dev
libzstd-dev
libkrb5-dev
libselinux1-dev
libpam0g-dev
autoconf
flex
bison
"

missing=""
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
		*" installed") ;;
		*) missing="$missing $pkg" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all $(echo $PACKAGES | wc -w) packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
	echo "deps: error: missing Debian packages:$missing" >&2
	echo "deps: run this as root, or install sudo, or install them with:" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi

echo "deps: installing:$missing"
# shellcheck disable=SC2086
if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; then
	echo "deps: package lists may be stale, updating them"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

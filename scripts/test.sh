#!/bin/bash
# scripts/test.sh: what `make test` runs, once `make deps` has installed
# the missing packages.
#
# Builds and installs durpred, then runs every suite against throwaway
# clusters (scripts/test-suites.sh).  PostgreSQL refuses to run as root, and
# the TAP tests start clusters of their own, so as root the suites run as the
# "postgres" user on a copy of the tree.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

. scripts/lib.sh

MAKE=${MAKE:-make}
echo "test: building"
$MAKE -s
echo "test: checking what durpred.so exports"
scripts/check-exports.sh
echo "test: installing"
as_root $MAKE -s install

# The reference service's model, when the shared folder is beside the clone.
if [ -z "${DURPRED_REFERENCE_DIR:-}" ] && [ -d "$top/../shared/reference" ]; then
	DURPRED_REFERENCE_DIR=$(cd "$top/../shared/reference" && pwd)
fi
export DURPRED_REFERENCE_DIR="${DURPRED_REFERENCE_DIR:-}"

# The multi-node suite (test/t/140_citus.pl) needs Citus: the installed one,
# else a build of the vendored source (scripts/citus-build.sh, cached after
# the first time), laid with this tree's durpred over a private copy of
# PostgreSQL (scripts/citus-install.sh); without either, it is skipped.
citus_prefix=$(mktemp -d /tmp/durpred-citus.XXXXXX)
stage=""
trap 'rm -rf "$citus_prefix" ${stage:+"$stage"}' EXIT
export DURPRED_CITUS_INSTALL="" DURPRED_CITUS_ERROR=""
echo "test: finding Citus for the multi-node suite"
set +e
citus_bindir=$(scripts/citus-install.sh "$citus_prefix")
rc=$?
set -e
case $rc in
	0) DURPRED_CITUS_INSTALL=$(dirname "$citus_bindir") ;;
	3) echo "test: skipping test/t/140_citus.pl: Citus is not installed for PostgreSQL 15 and ../shared/vendor/citus-13.0.5.tar.xz is not there" ;;
	*) DURPRED_CITUS_ERROR="scripts/citus-install.sh failed (exit status $rc): Citus could not be built or installed" ;;
esac

if [ "$(id -u)" != 0 ]; then
	set +e
	scripts/test-suites.sh
	exit $?
fi
chown -R postgres:postgres "$citus_prefix"

stage=$(mktemp -d /tmp/durpred-test.XXXXXX)
tar --exclude=./.git --exclude=./results --exclude=./tmp_check -cf - . | tar -C "$stage" -xf -
chown -R postgres:postgres "$stage"
chmod 755 "$stage"
echo "test: running the suites as user postgres in $stage"
set +e
runuser -u postgres -- env DURPRED_REFERENCE_DIR="$DURPRED_REFERENCE_DIR" \
	DURPRED_CITUS_INSTALL="$DURPRED_CITUS_INSTALL" DURPRED_CITUS_ERROR="$DURPRED_CITUS_ERROR" \
	CI="${CI:-}" PATH="$PATH" HOME="$stage" "$stage/scripts/test-suites.sh"
rc=$?
set -e
# keep pg_regress output and the TAP logs where a developer looks for them
rm -rf "$top/results" "$top/regression.diffs" "$top/regression.out" "$top/tmp_check"
for f in regression.diffs regression.out results; do
	[ -e "$stage/$f" ] && cp -r "$stage/$f" "$top/"
done
if [ -d "$stage/tmp_check/log" ]; then
	mkdir -p "$top/tmp_check" && cp -r "$stage/tmp_check/log" "$top/tmp_check/"
fi
exit $rc

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

if [ "$(id -u)" != 0 ]; then
	exec scripts/test-suites.sh
fi

stage=$(mktemp -d /tmp/durpred-test.XXXXXX)
trap 'rm -rf "$stage"' EXIT
tar --exclude=./.git --exclude=./results --exclude=./tmp_check -cf - . | tar -C "$stage" -xf -
chown -R postgres:postgres "$stage"
chmod 755 "$stage"
echo "test: running the suites as user postgres in $stage"
set +e
runuser -u postgres -- env DURPRED_REFERENCE_DIR="$DURPRED_REFERENCE_DIR" \
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

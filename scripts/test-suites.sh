#!/bin/bash
# scripts/test-suites.sh: runs every test suite, as a user that may run
# PostgreSQL, and prints one summary line "N passed, N failed".
#
#   pg_regress           test/sql/*.sql against expected/*.out
#   isolation tester     test/specs/*.spec against expected/*.out
#   pgTAP (pg_prove)     test/pgtap/*.sql
#   TAP (prove)          test/t/*.pl, each starting clusters of its own
#
# The first three run in one throwaway cluster made by pg_virtualenv.
# Assumes durpred is built and installed (scripts/test.sh does both).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ -z "${IN_PG_VIRTUALENV:-}" ]; then
	# -t: a temporary cluster directory even as root, so that runs do not
	# collide; the options make room for parallel-query tests.
	exec env IN_PG_VIRTUALENV=1 pg_virtualenv -t \
		-o max_worker_processes=16 -o max_parallel_workers=8 \
		-o fsync=off "$0" "$@"
fi

PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$($PG_CONFIG --bindir)
pgxs_dir=$(cd "$(dirname "$($PG_CONFIG --pgxs)")/../.." && pwd)
pg_regress="$pgxs_dir/src/test/regress/pg_regress"
pg_isolation_regress="$pgxs_dir/src/test/isolation/pg_isolation_regress"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

passed=0
failed=0

# pg_regress and the isolation tester end with "All N tests passed." or
# "M of N tests failed."
count_regress() {
	local out=$1 n m
	if n=$(grep -oE 'All [0-9]+ tests passed' "$out" | grep -oE '[0-9]+'); then
		passed=$((passed + n))
	elif m=$(grep -oE '[0-9]+ of [0-9]+ tests failed' "$out"); then
		n=$(echo "$m" | awk '{print $3}')
		m=$(echo "$m" | awk '{print $1}')
		passed=$((passed + n - m))
		failed=$((failed + m))
	else
		failed=$((failed + 1))
	fi
}

# prove and pg_prove: "Files=F, Tests=T" and, on failure, one summary line
# per failing file "(Wstat: W Tests: T Failed: K)".  A file that died
# without a failed assertion counts as one failure.
count_tap() {
	local out=$1 total bad
	total=$(grep -oE '^Files=[0-9]+, Tests=[0-9]+' "$out" | grep -oE '[0-9]+$')
	total=${total:-0}
	bad=$(grep -oE 'Wstat: [0-9]+ Tests: [0-9]+ Failed: [0-9]+' "$out" |
		awk '{ f = $NF; if (f == 0) f = 1; s += f } END { print s + 0 }')
	if [ "$bad" -gt "$total" ]; then total=$bad; fi
	if [ "$total" = 0 ] && ! grep -q '^Result: PASS' "$out"; then bad=1; fi
	passed=$((passed + total - bad))
	failed=$((failed + bad))
}

echo "== pg_regress"
mapfile -t regress < <(ls test/sql/*.sql 2>/dev/null | sed 's|test/sql/||; s|\.sql$||' | sort)
rm -f regression.diffs regression.out
if [ ${#regress[@]} -gt 0 ]; then
	"$pg_regress" --inputdir=test --outputdir=. --bindir="$bindir" \
		--dbname=durpred_regression "${regress[@]}" 2>&1 | tee "$log/regress"
	count_regress "$log/regress"
	if [ -s regression.diffs ]; then
		echo "== regression.diffs"
		cat regression.diffs
	fi
fi

echo "== isolation"
mapfile -t specs < <(ls test/specs/*.spec 2>/dev/null | sed 's|test/specs/||; s|\.spec$||' | sort)
if [ ${#specs[@]} -gt 0 ]; then
	# one expected/ for both suites: the isolation tester reads <outputdir>/expected
	rm -rf output_iso && mkdir output_iso && ln -s ../expected output_iso/expected
	"$pg_isolation_regress" --inputdir=test --outputdir=output_iso --bindir="$bindir" \
		--dbname=durpred_isolation "${specs[@]}" 2>&1 | tee "$log/isolation"
	count_regress "$log/isolation"
	if [ -s output_iso/regression.diffs ]; then
		echo "== output_iso/regression.diffs"
		cat output_iso/regression.diffs
	fi
fi

echo "== pgTAP"
if ls test/pgtap/*.sql >/dev/null 2>&1; then
	psql -X -q -c 'DROP DATABASE IF EXISTS durpred_pgtap' -c 'CREATE DATABASE durpred_pgtap' postgres
	pg_prove --dbname durpred_pgtap --ext .sql test/pgtap/ 2>&1 | tee "$log/pgtap"
	count_tap "$log/pgtap"
fi

echo "== TAP"
if ls test/t/*.pl >/dev/null 2>&1; then
	rm -rf tmp_check
	mkdir -p tmp_check
	TESTDIR="$top" PATH="$bindir:$PATH" PG_REGRESS="$pg_regress" \
		prove -I "$pgxs_dir/src/test/perl" -I test/t test/t/*.pl 2>&1 | tee "$log/tap"
	count_tap "$log/tap"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]

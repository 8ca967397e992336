#!/bin/bash
# scripts/test-suites.sh: runs every test suite, as a user that may run
# PostgreSQL, and prints one summary line "N passed, N failed".
#
#   pg_regress           test/sql/*.sql against expected/*.out
#   isolation tester     test/specs/*.spec against expected/*.out
#   pgTAP (pg_prove)     test/pgtap/*.sql
#   TAP (prove)          test/t/*.pl, each starting clusters of its own
#   fuzz replay          the fuzzing harness over fuzz/regressions and its
#                        seeds (make fuzz-replay; no server)
#
# The suites are the Makefile's: the first three are PGXS's installcheck,
# run here one suite at a time so that a failing suite hides no other, and
# pgTAP is its installcheck-pgtap.  pg_regress, the isolation tester and
# pgTAP run in one throwaway cluster made by pg_virtualenv.  Assumes durpred
# is built and installed (scripts/test.sh does both).
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
MAKE=${MAKE:-make}
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
# per failing file "(Wstat: W Tests: T Failed: K)", which newer
# Test::Harness writes "(Wstat: W (exited N) Tests: T Failed: K)".  A file
# that died without a failed assertion counts as one failure, and so does a
# run whose result is not PASS when nothing else was counted.
count_tap() {
	local out=$1 total bad
	total=$(grep -oE '^Files=[0-9]+, Tests=[0-9]+' "$out" | grep -oE '[0-9]+$')
	total=${total:-0}
	bad=$(grep -oE 'Wstat: [0-9]+( \([a-z]+ [0-9]+\))? Tests: [0-9]+ Failed: [0-9]+' "$out" |
		awk '{ f = $NF; if (f == 0) f = 1; s += f } END { print s + 0 }')
	if [ "$bad" -gt "$total" ]; then total=$bad; fi
	if [ "$bad" = 0 ] && ! grep -q '^Result: PASS' "$out"; then bad=1; fi
	passed=$((passed + total - bad))
	failed=$((failed + bad))
}

# suite NAME MAKE-ARGUMENTS...
#	Runs one suite through make, its output also in $log/NAME (counted from
#	there: a suite that prints no summary counts as one failure).
suite() {
	local name=$1
	shift
	echo "== $name"
	"$MAKE" --no-print-directory PG_CONFIG="$PG_CONFIG" "$@" 2>&1 | tee "$log/$name"
}

# pg_regress and the isolation tester write the same regression.diffs and
# regression.out: each suite's are shown and kept, and both are put back
# together at the end
rm -f regression.diffs regression.out
keep_diffs() {
	if [ -s regression.diffs ]; then
		echo "== regression.diffs ($1)"
		cat regression.diffs
		cat regression.diffs >>"$log/regression.diffs"
	fi
	[ -s regression.out ] && cat regression.out >>"$log/regression.out"
	rm -f regression.diffs regression.out
}

suite pg_regress installcheck ISOLATION= TAP_TESTS=
count_regress "$log/pg_regress"
keep_diffs pg_regress

suite isolation installcheck REGRESS= TAP_TESTS=
count_regress "$log/isolation"
keep_diffs isolation

for f in regression.diffs regression.out; do
	[ -s "$log/$f" ] && cp "$log/$f" "$f"
done

suite pgTAP installcheck-pgtap
count_tap "$log/pgTAP"

suite TAP installcheck REGRESS= ISOLATION=
count_tap "$log/TAP"

# the fuzzing harness over its seeds and every input that ever crashed it
# (fuzz/regressions): one test, which passes when all ran clean
suite fuzz-replay fuzz-replay
if grep -qE '^fuzz-replay: [0-9]+ inputs ran clean' "$log/fuzz-replay"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]

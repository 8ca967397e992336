#!/bin/bash
# scripts/check-valgrind.sh: what `make check-valgrind` runs.
#
# The pg_regress suites (test/sql against expected/) against a server
# started under valgrind memcheck, as PostgreSQL's valgrind build farm
# animals run theirs: every server process (postmaster, backends, parallel
# workers, auxiliary processes) is checked, with one log per process, and a
# process with an error exits with code 128, which the postmaster treats as
# a crash, so that an error also fails the tests.
#
# The server is a private copy of the installed PostgreSQL with this tree's
# durpred installed into it (scripts/private-install.sh): nothing is
# installed into the system, no lock is needed, and a `make install` by
# someone else during the run does not swap the library under it.
#
# Suppressions: test/valgrind.supp, the known false positives of PostgreSQL
# and of the libraries, each documented there; never a durpred frame.
#
# Output: valgrind-output/ (one log per process under valgrind/, the
# server's log, pg_regress's output).  Ends with a summary line; exits 0
# only when every suite passed and no process reported an error.
#
# Environment: VALGRIND_TESTS (names of test/sql files, default all),
# VALGRIND_OPTS (more valgrind options, after ours: --error-exitcode=0 lets
# a run go on past errors to collect them all), VALGRIND_OUTPUT (default
# valgrind-output), KEEP=1 keeps the temporary directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG

if [ "${1:-}" != --run ]; then
	start=$(date +%s)
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "check-valgrind: installing valgrind"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind ||
			{ as_root apt-get update -q &&
				as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind; }
	fi
	work=$(mktemp -d /tmp/durpred-valgrind.XXXXXX)
	if [ -z "${KEEP:-}" ]; then
		trap 'rm -rf "$work"' EXIT
	fi
	echo "check-valgrind: a private PostgreSQL with this tree's durpred in $work/install"
	bindir=$(scripts/private-install.sh "$work/install")
	out=${VALGRIND_OUTPUT:-$top/valgrind-output}
	rm -rf "$out"
	mkdir -p "$out"
	set +e
	if [ "$(id -u)" = 0 ]; then
		# PostgreSQL refuses to run as root: a copy of the tree, as postgres
		mkdir "$work/tree" "$work/out"
		tar --exclude=./.git --exclude=./results --exclude=./tmp_check --exclude=./valgrind-output \
			-cf - . | tar -C "$work/tree" -xf -
		chown -R postgres:postgres "$work/tree" "$work/out"
		chmod 755 "$work"
		runuser -u postgres -- env PATH="$PATH" HOME="$work/tree" \
			VALGRIND_TESTS="${VALGRIND_TESTS:-}" VALGRIND_OPTS="${VALGRIND_OPTS:-}" \
			"$work/tree/scripts/check-valgrind.sh" --run "$bindir" "$work/out"
		rc=$?
		cp -r "$work/out/." "$out/"
	else
		"$0" --run "$bindir" "$out"
		rc=$?
	fi
	set -e
	echo "check-valgrind: $(($(date +%s) - start)) s in all; logs in $out"
	exit $rc
fi

# --run BINDIR OUT: as a user that may run PostgreSQL
bindir=$2
out=$3
pgxs_dir=$(cd "$(dirname "$("$bindir"/pg_config --pgxs)")/../.." && pwd)
pg_regress="$pgxs_dir/src/test/regress/pg_regress"
data=$(mktemp -d "${TMPDIR:-/tmp}/durpred-valgrind-data.XXXXXX")
sock=$data
port=${VALGRIND_PORT:-$((50000 + $$ % 10000))}
mkdir -p "$out/valgrind"
trap 'rm -rf "$data"' EXIT

"$bindir"/initdb -D "$data/db" -A trust -N --no-instructions >"$out/initdb.log" 2>&1
# The settings of scripts/test-suites.sh; no JIT (its generated code would
# need --smc-check, and the Debian server has it on); pg_regress's own
# timeouts do not apply to an external server.
cat >>"$data/db/postgresql.conf" <<EOF
port = $port
listen_addresses = ''
unix_socket_directories = '$sock'
fsync = off
max_worker_processes = 16
max_parallel_workers = 8
jit = off
EOF

valgrind_opts=(
	--trace-children=yes
	--track-origins=yes
	--read-inline-info=yes
	--num-callers=40
	--leak-check=no
	--error-limit=no
	--gen-suppressions=all
	--suppressions="$PWD/test/valgrind.supp"
	--error-exitcode=128
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END
	--show-error-list=yes
	--log-file="$out/valgrind/%p.log"
)
# shellcheck disable=SC2206
valgrind_opts+=(${VALGRIND_OPTS:-})
echo "check-valgrind: starting the server under valgrind $(valgrind --version | sed 's/valgrind-//')"
valgrind "${valgrind_opts[@]}" "$bindir"/postgres -D "$data/db" >"$out/server.log" 2>&1 &
server=$!
ready=0
for _ in $(seq 1 600); do
	if "$bindir"/pg_isready -q -h "$sock" -p "$port"; then
		ready=1
		break
	fi
	if ! kill -0 $server 2>/dev/null; then
		break
	fi
	sleep 1
done
if [ $ready = 0 ]; then
	echo "check-valgrind: error: the server did not start; see $out/server.log" >&2
	kill $server 2>/dev/null || true
	exit 1
fi

if [ -n "${VALGRIND_TESTS:-}" ]; then
	read -r -a regress <<<"$VALGRIND_TESTS"
else
	mapfile -t regress < <(ls test/sql/*.sql | sed 's|test/sql/||; s|\.sql$||' | sort)
fi
rm -f regression.diffs regression.out
# from here on every failure is counted, none stops the script
set +e
"$pg_regress" --inputdir=test --outputdir=. --bindir="$bindir" \
	--host="$sock" --port="$port" --dbname=durpred_valgrind "${regress[@]}" 2>&1 | tee "$out/regress.log"
for f in regression.diffs regression.out results; do
	if [ -e "$f" ]; then
		cp -r "$f" "$out/"
	fi
done

"$bindir"/pg_ctl -D "$data/db" -m fast -t 600 -w stop >/dev/null || kill $server
wait $server
server_rc=$?

# The logs: one per process; a process that exited has an ERROR SUMMARY.
# An error with a durpred frame names durpred.so, one of its sources, or a
# durpred_ function; one in XGBoost names its library or OpenMP's.
sources=$(cd src && ls -- *.c | sed 's/\.c$//' | paste -sd '|')
ours="durpred\\.so|durpred_[a-z_]+|\\(($sources)\\.c:[0-9]+\\)"
xgboost="libxgboost|libgomp"
# has_frame LOG REGEX: an error of LOG has a frame that matches REGEX
has_frame() {
	re=$2 awk '/VALGRINDERROR-BEGIN/ { e = 1 } e && $0 ~ ENVIRON["re"] { f = 1 }
		/VALGRINDERROR-END/ { e = 0 } END { exit !f }' "$1"
}
processes=0
errors=0
failing=()
durpred=()
library=()
for log in "$out"/valgrind/*.log; do
	n=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
	[ -n "$n" ] || continue
	processes=$((processes + 1))
	if [ "$n" -gt 0 ]; then
		errors=$((errors + n))
		failing+=("$log")
		if has_frame "$log" "$ours"; then
			durpred+=("$log")
		fi
		if has_frame "$log" "$xgboost"; then
			library+=("$log")
		fi
	fi
done
unfinished=$(grep -L 'ERROR SUMMARY' "$out"/valgrind/*.log 2>/dev/null | wc -l)

regress_ok=0
grep -qE 'All [0-9]+ tests passed' "$out/regress.log" && regress_ok=1
echo "check-valgrind: server exit code $server_rc; $processes processes checked, $unfinished without a summary"
for log in "${failing[@]}"; do
	echo "check-valgrind: errors in valgrind/${log##*/}"
done
for log in "${durpred[@]}"; do
	echo "check-valgrind: an error in durpred's code in valgrind/${log##*/}"
done
echo "check-valgrind: ${#durpred[@]} processes with an error in durpred's code, ${#library[@]} in XGBoost's or OpenMP's"
# how often each suppression was used ("used_suppression: N name file:line")
cat "$out"/valgrind/*.log | sed -n 's/.*used_suppression: *\([0-9]*\) \(.*\) [^ ]*:[0-9]*$/\2\t\1/p' |
	awk -F '\t' '{ n[$1] += $2 } END { for (s in n) printf "check-valgrind: suppressed %d times: %s\n", n[s], s }' | sort
echo "check-valgrind: pg_regress: $(grep -oE 'All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests failed' "$out/regress.log" || echo 'no result')"
echo "check-valgrind: $errors errors"
[ $errors = 0 ] && [ $regress_ok = 1 ] && [ "$processes" -gt 0 ]

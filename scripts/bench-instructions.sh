#!/bin/bash
# scripts/bench-instructions.sh [RESULTS]: the serving trigger's cost per
# single-row insert in instructions (valgrind's callgrind), a figure that
# the machine's other load does not move, beside make bench's rates and
# CPU times, which it moves by a third.
#
# On a server of its own with the demo data (50,000 runs), the demo's
# model and extract/serving.sql, a backend in single-user mode runs 3,000
# autocommit inserts of a pending run on a random page under callgrind,
# with the trigger and with it disabled, each on a fresh copy of the data;
# a run of their first 100 is subtracted from each (the backend's start,
# the first load of the model and of the plans).  Prints a row of make
# bench's table, and appends it to RESULTS when given.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

figure() {
	printf '| %s | %s | %s |\n' "$1" "$2" "$3"
}

if [ "${1:-}" != --run ]; then
	results=${1:-/dev/null}
	if ! command -v valgrind >/dev/null 2>&1; then
		figure "the trigger's instructions per INSERT" "skipped" "valgrind is not installed" | tee -a "$results"
		exit 0
	fi
	work=$(mktemp -d /tmp/durpred-bench-instructions.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$work"
		runuser -u postgres -- "$0" --run "$work" | tee -a "$results"
	else
		"$0" --run "$work" | tee -a "$results"
	fi
	exit 0
fi

work=$2
export PATH="$(pg_config --bindir):$PATH"
export PGHOST=$work PGPORT=$((60000 + $$ % 5000)) PGDATABASE=postgres
export PGOPTIONS="-c client_min_messages=warning"
step() { printf '%s bench-instructions: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

step "a server with the demo data, the demo's model and the serving trigger"
initdb -D "$work/data" -A trust >/dev/null
pg_ctl -D "$work/data" -l "$work/server.log" -w \
	-o "-p $PGPORT -k $work -c listen_addresses='' -c fsync=off" start >/dev/null
trap 'pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
for script in extract/schema.sql extract/demo_data.sql extract/features.sql; do
	psqlq -f "$script" >/dev/null
done
durpred-train -o "$work/model" --quiet --install demo --activate >/dev/null
psqlq -f extract/serving.sql >/dev/null
psqlq -c 'VACUUM ANALYZE' -c CHECKPOINT
pg_ctl -D "$work/data" -w stop >/dev/null

awk 'BEGIN {
	srand(42)
	for (i = 0; i < 3000; i++)
		printf "INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at) " \
			"SELECT id, workspace_id, %cpending%c, now() FROM app.notebook_page WHERE id = %d;\n",
			39, 39, 1 + int(rand() * 750)
}' >"$work/inserts.sql"
head -n 100 "$work/inserts.sql" >"$work/first.sql"

# instructions FILE [SQL]: callgrind's count for a single-user backend that
# runs SQL (unmeasured) and then the statements of FILE, on a fresh copy
instructions() {
	rm -rf "$work/copy"
	cp -a "$work/data" "$work/copy"
	if [ -n "${2:-}" ]; then
		echo "$2" | postgres --single -D "$work/copy" -c fsync=off postgres >/dev/null 2>>"$work/single.log"
	fi
	valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
		postgres --single -D "$work/copy" -c fsync=off postgres <"$1" >/dev/null 2>"$work/valgrind.log"
	sed -n 's/^summary: //p' "$work/callgrind.out"
}
# per_insert FILE_COUNT FIRST_COUNT: instructions per insert beyond the first 100
per_insert() {
	echo $((($1 - $2) / 2900))
}

step "3,000 inserts under callgrind, with the trigger"
with=$(per_insert "$(instructions "$work/inserts.sql")" "$(instructions "$work/first.sql")")
step "3,000 inserts under callgrind, without"
off='ALTER TABLE app.noteflow_run DISABLE TRIGGER estimate_completion;'
without=$(per_insert "$(instructions "$work/inserts.sql" "$off")" "$(instructions "$work/first.sql" "$off")")
figure "instructions per single-row INSERT into \`app.noteflow_run\`, 50,000 runs of history" \
	"$with with the trigger, $without without: the trigger adds $((with - without)); without / with = $(awk -v a="$without" -v b="$with" 'BEGIN { printf "%.3f", a / b }')" \
	"callgrind (scripts/bench-instructions.sh): 3,000 autocommit inserts in a single-user backend, less a run of their first 100; noise-free"

#!/bin/bash
# scripts/bench-instructions.sh [RESULTS]: the serving path's costs in
# instructions (valgrind's callgrind), figures that the machine's other
# load does not move, beside make bench's rates and CPU times, which it
# moves by a third.
#
# On a server of its own with the demo data (50,000 runs), the demo's
# model, extract/serving.sql and the history pages of make bench
# (bench/history_pages.sql), a backend in single-user mode runs, under
# callgrind, on a fresh copy of the data each time:
#
#   3,000 autocommit inserts of a pending run on a random demo page: with
#   the trigger, without it, with a shadow model set, and with the same
#   trees as the active model but no interval data;
#   2,000 autocommit UPDATEs that finish runs of the page with 100,000
#   finished runs: with the history summary's upkeep and without.
#
# From each count a run of the first 100 statements is subtracted (the
# backend's start, the first load of the models and of the plans).
# Prints rows of make bench's table, and appends them to RESULTS when
# given.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

. scripts/lib.sh
figure() { bench_row "$@"; }

if [ "${1:-}" != --run ]; then
	results=${1:-/dev/null}
	if ! command -v valgrind >/dev/null 2>&1; then
		figure "the trigger's instructions per INSERT" "skipped" "valgrind is not installed" | tee -a "$results"
		exit 0
	fi
	work=$(mktemp -d /tmp/durpred-bench-instructions.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	[ "$(id -u)" != 0 ] || chown postgres:postgres "$work"
	as_postgres "$0" --run "$work" | tee -a "$results"
	exit 0
fi

work=$2
export PATH="$(pg_config --bindir):$PATH"
export PGHOST=$work PGPORT=$((60000 + $$ % 5000)) PGDATABASE=postgres
export PGOPTIONS="-c client_min_messages=warning"
step() { printf '%s bench-instructions: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

step "a server with the demo data, the demo's model, a shadow model and the history pages"
initdb -D "$work/data" -A trust >/dev/null
pg_ctl -D "$work/data" -l "$work/server.log" -w \
	-o "-p $PGPORT -k $work -c listen_addresses='' -c fsync=off" start >/dev/null
trap 'pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
for script in extract/schema.sql extract/demo_data.sql extract/features.sql; do
	psqlq -f "$script" >/dev/null
done
durpred-train -o "$work/model" --quiet --install demo --activate >/dev/null
durpred-train -o "$work/shadow" --quiet --seed 7 --install shadow >/dev/null
psqlq -c "SELECT durpred.install_model('plain', durpred.export_model(m.id), m.info - 'intervals')
	FROM durpred.model m WHERE m.name = 'demo'" >/dev/null
for script in extract/serving.sql extract/lifecycle.sql bench/history_pages.sql; do
	psqlq -f "$script" >/dev/null
done
psqlq -c "INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at)
		  SELECT 20000000 + g, 1000000, 1, 'running', now(), now() FROM generate_series(1, 2100) g" \
	-c 'VACUUM ANALYZE' -c CHECKPOINT
pg_ctl -D "$work/data" -w stop >/dev/null

random_inserts 3000 >"$work/inserts.sql"
for i in $(seq 1 2100); do
	echo "UPDATE app.noteflow_run SET status = 'success', finished_at = started_at + interval '$((i % 90 + 1)) seconds' WHERE id = $((20000000 + i));"
done >"$work/finishes.sql"

# instructions FILE COUNT [SQL]: callgrind's count per statement of FILE
# beyond its first 100, for a single-user backend that runs SQL first
# (unmeasured), on a fresh copy of the data
instructions() {
	local total
	head -n 100 "$1" >"$work/first.sql"
	for part in "$1" "$work/first.sql"; do
		rm -rf "$work/copy"
		cp -a "$work/data" "$work/copy"
		if [ -n "${3:-}" ]; then
			echo "$3" | postgres --single -D "$work/copy" -c fsync=off postgres >/dev/null 2>>"$work/single.log"
		fi
		valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
			postgres --single -D "$work/copy" -c fsync=off postgres <"$part" >/dev/null 2>"$work/valgrind.log"
		sed -n 's/^summary: //p' "$work/callgrind.out"
	done | { read -r all && read -r first && echo $(((all - first) / ($2 - 100))); }
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

step "3,000 inserts under callgrind: with the trigger, without, with a shadow model, without interval data"
with=$(instructions "$work/inserts.sql" 3000)
without=$(instructions "$work/inserts.sql" 3000 'ALTER TABLE app.noteflow_run DISABLE TRIGGER estimate_completion;')
shadow=$(instructions "$work/inserts.sql" 3000 "SELECT durpred.set_shadow_model('shadow');")
plain=$(instructions "$work/inserts.sql" 3000 "SELECT durpred.activate_model('plain');")
step "2,100 finishes under callgrind: with the summary's upkeep, without"
finish=$(instructions "$work/finishes.sql" 2100)
finish_off=$(instructions "$work/finishes.sql" 2100 'ALTER TABLE app.noteflow_run DISABLE TRIGGER page_history_update;')

how="callgrind (scripts/bench-instructions.sh): autocommit statements in a single-user backend, less a run of their first 100; noise-free"
figure "instructions per single-row INSERT into \`app.noteflow_run\`, 50,000 runs of history" \
	"$with with the trigger, $without without: the trigger adds $((with - without)); without / with = $(ratio "$without" "$with")" \
	"3,000 inserts; $how"
figure "the trigger's instructions per INSERT with a shadow model" \
	"$((shadow - without)) with, $((with - without)) without = $(ratio "$((shadow - without))" "$((with - without))")x" \
	"the trigger's share; $how; target <= 1.25x"
figure "the trigger's instructions per INSERT with prediction intervals (logged) against without" \
	"$((with - without)) with, $((plain - without)) without = $(ratio "$((with - without))" "$((plain - without))")x" \
	"the trigger's share; the same trees without interval data; $how; target <= 1.1x"
figure "instructions to finish a run on the page with 100,000 finished runs" \
	"$finish with the summary's upkeep, $finish_off without: the upkeep adds $((finish - finish_off))" \
	"2,000 UPDATEs; $how"

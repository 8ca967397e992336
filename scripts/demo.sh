#!/bin/bash
# scripts/demo.sh: what `make demo` runs - the whole job on generated data.
#
# Installs what is missing, builds and installs durpred, then in a throwaway
# PostgreSQL cluster of its own: creates the extension, generates the demo
# production data, builds the training set in SQL, exports data.csv, trains
# and installs a model, installs the serving trigger, inserts new runs and
# shows their estimates, the scored queue, model_info() and the accuracy
# of estimates once the queued runs have finished.
#
# With PGDATABASE set, the demo uses that database instead (PGHOST, PGPORT,
# PGUSER as psql reads them).  It then creates the schemas app and analytics
# only if they are absent, refuses to touch an app schema it did not create,
# and never drops anything.
#
# Artifacts (model.json, model_info.json, data.csv) land in demo-output/.
# DEMO_RUNS sets the number of finished runs (default 50000);
# DEMO_SKIP_INSTALL=1 skips the dependency, build and install steps.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out="$top/demo-output"
runs=${DEMO_RUNS:-50000}
start=$(date +%s.%N)

# one progress line per step, with the elapsed time
step() {
	printf '\n[%6.1f s] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')" "$*"
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo "$@"
	else
		echo "demo: error: installing into PostgreSQL needs root or sudo: $*" >&2
		exit 1
	fi
}

if [ -z "${IN_DEMO_CLUSTER:-}" ]; then
	if [ -z "${DEMO_SKIP_INSTALL:-}" ]; then
		step "installing missing dependencies"
		scripts/deps.sh
		step "building and installing durpred and durpred-train"
		make -s
		as_root make -s install
	fi
	mkdir -p "$out"
	if [ -z "${PGDATABASE:-}" ]; then
		step "starting a throwaway PostgreSQL cluster"
		exec env IN_DEMO_CLUSTER=1 DEMO_START="$start" pg_virtualenv -t \
			-o shared_buffers=256MB -o work_mem=64MB "$0" "$@"
	fi
	step "using database \"$PGDATABASE\""
fi
start=${DEMO_START:-$start}
# make install puts the trainer with PostgreSQL's programs, not on PATH
trainer="$(pg_config --bindir)/durpred-train"
export PGOPTIONS="-c client_min_messages=warning"
psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# never replace production tables: the app schema must be absent or the demo's
owner=$(psql -X -At -v ON_ERROR_STOP=1 -c \
	"SELECT COALESCE(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = 'app'")
if [ -n "$(psql -X -At -c "SELECT 1 FROM pg_namespace WHERE nspname = 'app'")" ] &&
	[ "$owner" != "durpred demo data" ]; then
	echo "demo: error: database \"${PGDATABASE:-}\" has an app schema the demo did not create" >&2
	echo "demo: hint: the demo replaces the contents of app.*; run it in another database, or without PGDATABASE" >&2
	exit 1
fi

step "creating the extension and the production tables"
psqlq -c 'CREATE EXTENSION IF NOT EXISTS durpred' -f extract/schema.sql \
	-c "COMMENT ON SCHEMA app IS 'durpred demo data'"

step "generating the demo production data ($runs finished runs)"
psqlq -v runs="$runs" -f extract/demo_data.sql

step "building the training set (analytics.run_features)"
psqlq -f extract/features.sql

step "exporting the training set to demo-output/data.csv"
psqlq -v csv="$out/data.csv" -f extract/export_csv.sql
echo "$(($(wc -l <"$out/data.csv") - 1)) rows, $(head -1 "$out/data.csv" | tr ',' '\n' | wc -l) columns"

step "training: durpred-train --install demo --activate"
"$trainer" --quiet -o "$out" --install demo --activate

step "installing the serving trigger and views (extract/serving.sql)"
psqlq -f extract/serving.sql

step "inserting five new runs: the trigger stamps their estimates"
psqlq -f scripts/demo_serving.sql

echo
echo "Artifacts in $out: $(cd "$out" && ls | tr '\n' ' ')"
step "done"

#!/bin/bash
# scripts/demo.sh: what `make demo` runs - the whole job on generated data.
#
# Installs what is missing, builds and installs durpred, then in a throwaway
# PostgreSQL cluster of its own: creates the extension, generates the demo
# production data, builds the training set in SQL, exports data.csv, trains
# and installs a model, installs the serving trigger, inserts new runs and
# shows their estimates, the scored queue, model_info() and the accuracy
# of estimates once the queued runs have finished; then puts a weak
# candidate model through the promotion gate (it is kept) and checks the
# model's health.
#
# With PGDATABASE set, the demo uses that database instead (PGHOST, PGPORT,
# PGUSER as psql reads them).  It then creates the schemas app and analytics
# only if they are absent, refuses a database whose app or analytics schema
# it did not create or whose model registry holds models of its own (the
# demo activates its model), and never drops anything.  Its role must be a
# superuser, or, with the extension created already, a member of
# durpred_admin granted EXECUTE on durpred.estimate_completion() (to attach
# the serving trigger).
#
# Artifacts (model.json, model_info.json, data.csv) land in demo-output/,
# or in DEMO_OUTPUT.  DEMO_RUNS sets the number of finished runs (default
# 50000); DEMO_SKIP_INSTALL=1 skips the dependency, build and install steps.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh
out=${DEMO_OUTPUT:-$top/demo-output}
runs=${DEMO_RUNS:-50000}
start=$(date +%s.%N)

# one progress line per step, with the elapsed time
step() {
	printf '\n[%6.1f s] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')" "$*"
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

# never replace what the demo did not make: the schemas app and analytics
# must be absent or the demo's (it marks them with a comment), and a model
# registry may hold only the demo's models
marker="durpred demo data"
foreign=$(psql -X -At -v ON_ERROR_STOP=1 -c "
	SELECT string_agg(nspname, ' and ' ORDER BY nspname) FROM pg_namespace
	WHERE nspname IN ('app', 'analytics')
	  AND obj_description(oid, 'pg_namespace') IS DISTINCT FROM '$marker'")
if [ -n "$foreign" ]; then
	echo "demo: error: database \"${PGDATABASE:-}\" has schema $foreign that the demo did not create" >&2
	echo "demo: hint: the demo replaces the contents of app.* and analytics.*; run it in another database, or without PGDATABASE" >&2
	exit 1
fi
models=0
if [ "$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT to_regclass('durpred.models') IS NOT NULL")" = t ]; then
	models=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM durpred.models WHERE name <> 'demo'")
fi
if [ "$models" != 0 ]; then
	echo "demo: error: database \"${PGDATABASE:-}\" has $models durpred model(s) of its own" >&2
	echo "demo: hint: the demo installs and activates a model of its own; run it in another database, or without PGDATABASE" >&2
	exit 1
fi

step "creating the extension and the production tables"
psqlq -c 'CREATE EXTENSION IF NOT EXISTS durpred' -f extract/schema.sql \
	-c "COMMENT ON SCHEMA app IS '$marker'" \
	-c 'CREATE SCHEMA IF NOT EXISTS analytics' \
	-c "COMMENT ON SCHEMA analytics IS '$marker'"

step "generating the demo production data ($runs finished runs)"
psqlq -v runs="$runs" -f extract/demo_data.sql

step "building the training set (analytics.run_features)"
psqlq -f extract/features.sql

step "exporting the training set to ${out#"$top"/}/data.csv"
psqlq -v csv="$out/data.csv" -f extract/export_csv.sql
echo "$(($(wc -l <"$out/data.csv") - 1)) rows, $(head -1 "$out/data.csv" | tr ',' '\n' | wc -l) columns"

# --split time: the newest fifth of the runs is the test split, as the
# future is for a deployed model; the prediction intervals are calibrated on
# the fifth before it
step "training: durpred-train --split time --install demo --activate"
"$trainer" --quiet --split time -o "$out" --install demo --activate

step "installing the serving trigger and views (extract/serving.sql)"
psqlq -f extract/serving.sql

step "inserting five new runs: the trigger stamps their estimates"
psqlq -f scripts/demo_serving.sql

# a deliberately weak candidate (one boosting round): the gate keeps the
# active model, and the registry records both runs and the decision
step "the promotion gate: a weak candidate, durpred-train --rounds 1 --install demo --promote-if-better"
rc=0
"$trainer" --quiet -o "$out/candidate" --rounds 1 --install demo --promote-if-better >"$out/candidate.txt" || rc=$?
sed -n '/^Promotion gate/,$p' "$out/candidate.txt"
case $rc in
	0) echo "exit status 0: the new model was promoted" ;;
	3) echo "exit status 3: the active model was kept" ;;
	*) echo "demo: error: durpred-train failed (exit status $rc)" >&2; exit 1 ;;
esac
psql -X -v ON_ERROR_STOP=1 -c "SELECT run_id, outcome, model_id, round(extract(epoch FROM duration)) AS seconds, reason
	FROM durpred.training_runs ORDER BY started_at"

step "the model's health (analytics.model_health, durpred.check_health())"
psql -X -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "LISTEN durpred_health" \
	-c "SELECT model_id, age, runs_since_window, recent_runs, round(test_mae::numeric, 2) AS test_mae,
			   max_psi_feature, round(max_psi::numeric, 3) AS max_psi, status, reasons
		FROM analytics.model_health" \
	-c "SELECT durpred.check_health() ->> 'status' AS checked"

echo
echo "Artifacts in $out: $(cd "$out" && ls | tr '\n' ' ')"
step "done"

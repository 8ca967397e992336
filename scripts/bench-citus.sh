#!/bin/bash
# scripts/bench-citus.sh [RESULTS]: the Citus figures of `make bench`.
#
# On a Citus cluster of its own (a coordinator and two workers, on this
# machine) and on a plain server, both from a private copy of PostgreSQL
# with this tree's durpred and Citus (scripts/citus-install.sh, which builds
# Citus from the vendored source the first time): single-row inserts
# through the coordinator, with the serving trigger on the workers, against
# the same inserts into the plain server; and scoring 1,000,000 rows of
# features with durpred.predict_duration, distributed over the workers'
# shards, against one server.  Prints the figures as rows of make bench's
# table, and appends them to RESULTS when given.  Without Citus, one row
# says why.  All four servers share this machine's cores: the cluster's
# figures show the distributed path's costs, not a cluster's capacity.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

. scripts/lib.sh
figure() { bench_row "$@"; }

if [ "${1:-}" != --run ]; then
	results=${1:-/dev/null}
	prefix=$(mktemp -d /tmp/durpred-bench-citus.XXXXXX)
	trap 'rm -rf "$prefix"' EXIT
	set +e
	bindir=$(scripts/citus-install.sh "$prefix/pg" 2>"$prefix/install.log")
	rc=$?
	set -e
	if [ $rc != 0 ]; then
		figure "Citus figures" "skipped" "$(tail -1 "$prefix/install.log")" | tee -a "$results"
		exit 0
	fi
	[ "$(id -u)" != 0 ] || chown -R postgres:postgres "$prefix"
	as_postgres "$0" --run "$prefix" "$bindir" | tee -a "$results"
	exit 0
fi

prefix=$2
export PATH="$3:$PATH"
export PGOPTIONS="-c client_min_messages=warning"
step() { printf '%s bench-citus: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
base=$((55000 + $$ % 5000))
nodes="coordinator worker1 worker2 plain"
port_of() {
	case $1 in
		coordinator) echo $base ;;
		worker1) echo $((base + 1)) ;;
		worker2) echo $((base + 2)) ;;
		plain) echo $((base + 3)) ;;
	esac
}
sql() {
	local node=$1
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$prefix" -p "$(port_of "$node")" -d postgres "$@"
}
stop_all() {
	for n in $nodes; do
		pg_ctl -D "$prefix/$n" -m immediate stop >/dev/null 2>&1 || true
	done
}
trap stop_all EXIT

step "starting a coordinator, two workers and a plain server"
for n in $nodes; do
	initdb -D "$prefix/$n" -A trust >/dev/null
	{
		echo "port = $(port_of "$n")"
		echo "unix_socket_directories = '$prefix'"
		echo "listen_addresses = ''"
		echo "fsync = off"
		echo "shared_buffers = 256MB"
		echo "max_prepared_transactions = 50"
		[ "$n" = plain ] || echo "shared_preload_libraries = 'citus'"
	} >>"$prefix/$n/postgresql.conf"
	pg_ctl -D "$prefix/$n" -l "$prefix/$n.log" -w start >/dev/null
	[ "$n" = plain ] || sql "$n" -c 'CREATE EXTENSION citus'
done
sql coordinator -c "SELECT citus_set_coordinator_host('$prefix', $(port_of coordinator))" \
	-c "SELECT citus_add_node('$prefix', $(port_of worker1))" \
	-c "SELECT citus_add_node('$prefix', $(port_of worker2))" >/dev/null

step "the layout, 20,000 demo runs and the serving objects on both"
for n in coordinator plain; do
	sql "$n" -f extract/schema.sql >/dev/null
	[ "$n" = plain ] || sql "$n" -f extract/citus.sql >/dev/null
	sql "$n" -v runs=20000 -f extract/demo_data.sql >/dev/null
	sql "$n" -f extract/features.sql >/dev/null
	sql "$n" -f extract/serving.sql >/dev/null
done

step "the 33-tree depth-8 model (python3-xgboost), active on both"
/usr/bin/python3 test/t/xgb_models.py "$prefix/models" --rows 10 --only reference_like >/dev/null
for n in coordinator plain; do
	sql "$n" -c "SELECT durpred.install_model('bench33', pg_read_binary_file('$prefix/models/reference_like.ubj'), NULL, true)" >/dev/null
done

# --- inserts ----------------------------------------------------------------
cat >"$prefix/insert.sql" <<'EOF'
\set page random(1, 750)
INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at)
VALUES (:page, 1, 'pending', now());
EOF
# tps NODE CLIENTS: the median of 3 x 10 s of single-row inserts
tps() {
	local runs=()
	for i in 1 2 3; do
		runs+=("$(pgbench -n -c "$2" -j "$2" -T 10 -f "$prefix/insert.sql" -h "$prefix" -p "$(port_of "$1")" postgres 2>/dev/null |
			sed -n 's/^tps = \([0-9.]*\).*/\1/p' | xargs printf '%.0f')")
	done
	printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
step "single-row inserts, 1 and 4 clients"
c1=$(tps coordinator 1)
p1=$(tps plain 1)
c4=$(tps coordinator 4)
p4=$(tps plain 4)
nulls=$(sql coordinator -c "SELECT count(*) FILTER (WHERE estimated_duration IS NULL) || ' of ' || count(*)
	FROM app.noteflow_run WHERE created_at > '2026-02-01'")
figure "single-row INSERT through the Citus coordinator, trigger on the workers" \
	"$c1 tps with 1 client, $c4 with 4; one server: $p1 and $p4 (NULL estimates on the cluster: $nulls)" \
	"median of 3 x 10 s, pgbench; coordinator and 2 workers on this machine's $(nproc) cores, fsync off"

# --- scoring ----------------------------------------------------------------
step "1,000,000 rows of features on both"
cols=$(sql plain -c "SELECT string_agg(pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
	FROM pg_attribute a WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'durpred.features'::regtype)
	  AND a.attnum > 0 AND NOT a.attisdropped")
fill="INSERT INTO bench_features
SELECT g, g % 24, g % 7, 1 + g % 12, g % 7 IN (0, 6), g % 7 NOT IN (0, 6) AND g % 24 BETWEEN 9 AND 16,
	   1 + g % 40, g % 9, g % 3, g % 4, g % 2, g % 5, g % 6, g % 2, g % 3, g % 2, (g % 50 = 0)::int, g % 2, g % 2, g % 2, g % 2,
	   g % 500, CASE WHEN g % 500 > 0 THEN 1 + (g % 997) / 10.0 END, CASE WHEN g % 500 > 0 THEN 1 + (g % 991) / 12.0 END,
	   CASE WHEN g % 500 > 1 THEN (g % 313) / 9.0 END, CASE WHEN g % 500 > 0 THEN (g % 101) / 100.0 END
FROM generate_series(1, 1000000) g"
for n in coordinator plain; do
	sql "$n" -c "CREATE TABLE bench_features (id bigint PRIMARY KEY, $cols)"
	[ "$n" = plain ] || sql "$n" -c "SELECT create_distributed_table('bench_features', 'id')" >/dev/null
	sql "$n" -c "$fill" -c 'VACUUM ANALYZE bench_features'
done
# score_ms NODE: the median of 3 of sum(predict_duration) over the table, in ms
score_ms() {
	local runs=()
	for i in 1 2 3; do
		local t0 t1
		t0=$(date +%s%N)
		sql "$1" -c 'SELECT sum(durpred.predict_duration(f)) FROM bench_features f' >/dev/null
		t1=$(date +%s%N)
		runs+=("$(((t1 - t0) / 1000000))")
	done
	printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
step "scoring 1,000,000 rows"
sql coordinator -c 'SELECT sum(durpred.predict_duration(f)) FROM bench_features f' >/dev/null
sql plain -c 'SELECT sum(durpred.predict_duration(f)) FROM bench_features f' >/dev/null
cs=$(score_ms coordinator)
ps=$(score_ms plain)
shards=$(sql coordinator -c "SELECT count(*) FROM citus_shards WHERE table_name = 'bench_features'::regclass")
figure "scoring 1,000,000 rows, sum(durpred.predict_duration(f)), on the cluster" \
	"$cs ms on the cluster ($shards shards on 2 workers); $ps ms on one server" \
	"median of 3, psql round trip included; the 33-tree model; the one server with its default parallel query"

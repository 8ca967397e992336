-- bench/bench.sql: timing helpers for scripts/bench.sh (in schema bench)
--
-- Times are taken in the server around EXECUTE, so that they measure the
-- query, not the client; each figure is the median of several runs.

CREATE SCHEMA IF NOT EXISTS bench;

-- the trivial 25-argument function: the floor of the scoring benchmark
CREATE OR REPLACE FUNCTION bench.floor25(int, int, int, bool, bool, int, int, int, int, int,
										 int, int, int, int, int, int, int, int, int, int,
										 int, float8, float8, float8, float8)
RETURNS float8
AS 'durpred_bench', 'durpred_bench_floor'
LANGUAGE C STABLE PARALLEL SAFE COST 10;

-- milliseconds of each of reps runs of a query, after one warm-up run
CREATE OR REPLACE FUNCTION bench.time_query(query text, reps int)
RETURNS float8[]
LANGUAGE plpgsql
AS $$
DECLARE
	times float8[] := '{}';
	t0 timestamptz;
BEGIN
	EXECUTE query;
	FOR i IN 1 .. reps LOOP
		t0 := clock_timestamp();
		EXECUTE query;
		times := times || (EXTRACT(epoch FROM clock_timestamp() - t0) * 1000)::float8;
	END LOOP;
	RETURN times;
END
$$;

CREATE OR REPLACE FUNCTION bench.median(v float8[])
RETURNS float8
LANGUAGE sql IMMUTABLE
AS $$
	SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(v) x
$$;

-- rows of features, drawn in the ranges of the demo data (seeded); the
-- caller vacuums the table, which a function cannot do
CREATE OR REPLACE FUNCTION bench.make_feature_table(rows int)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM setseed(0.42);
	DROP TABLE IF EXISTS bench.features;
	CREATE TABLE bench.features AS
	SELECT (random() * 23)::int AS start_hour, (random() * 6)::int AS day_of_week,
		   1 + (random() * 11)::int AS month, random() < 0.29 AS is_weekend,
		   random() < 0.45 AS is_business_hours,
		   (random() * 30)::int AS total_blocks, (random() * 10)::int AS sql_blocks,
		   (random() * 3)::int AS tableau_blocks, (random() * 2)::int AS email_blocks,
		   (random() * 2)::int AS slack_blocks, (random() * 3)::int AS parameter_blocks,
		   (random() * 3)::int AS code_blocks, (random() * 2)::int AS plotly_blocks,
		   (random() * 2)::int AS kpi_blocks, (random() * 2)::int AS api_blocks,
		   (random() * 1)::int AS writeback_blocks, (random() * 1)::int AS conditional_blocks,
		   (random() * 1)::int AS loop_blocks, (random() * 1)::int AS ai_blocks,
		   (random() * 1)::int AS storage_blocks, (random() * 200)::int AS historical_run_count,
		   CASE WHEN random() < 0.95 THEN random() * 60 END AS historical_avg_duration,
		   CASE WHEN random() < 0.95 THEN random() * 50 END AS historical_median_duration,
		   CASE WHEN random() < 0.9 THEN random() * 20 END AS historical_stddev_duration,
		   CASE WHEN random() < 0.95 THEN random() END AS historical_failure_rate
	FROM generate_series(1, rows);
END
$$;

-- XGBoost's own pred_contribs on one row: median microseconds per
-- XGBoosterPredictFromDMatrix call (bench/durpred_bench.c)
CREATE OR REPLACE FUNCTION bench.xgb_contribs_us(model bytea, row_values float4[], reps int)
RETURNS float8
AS 'durpred_bench', 'durpred_bench_xgb_contribs'
LANGUAGE C STRICT;

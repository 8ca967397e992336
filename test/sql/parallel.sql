-- test/sql/parallel.sql: scoring in parallel workers gives the serial answers
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) > 0 AS installed;

CREATE TABLE par AS
SELECT i AS id, i % 5 AS sql_blocks,
       CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 60)::float8 END AS historical_avg_duration
FROM generate_series(1, 100000) i;
ANALYZE par;

-- how many workers a query used
CREATE FUNCTION pg_temp.workers_launched(query text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) ' || query INTO plan;
	RETURN COALESCE((plan -> 0 -> 'Plan' ->> 'Workers Launched')::int,
					(plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::int, 0);
END
$$;

-- serial answers; sums in numeric so that the order of addition is moot
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT count(*) AS n,
       sum(durpred.predict_duration(sql_blocks => p.sql_blocks,
                                    historical_avg_duration => p.historical_avg_duration)::numeric) AS named,
       sum(durpred.predict_duration(p)::numeric) AS record,
       sum(durpred.predict_duration(to_jsonb(p) - 'id')::numeric) AS jsonb
FROM par p;
SELECT * FROM serial;

-- a forced parallel plan: every worker loads the model itself
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT sum(durpred.predict_duration(p)::numeric) FROM par p;
SELECT pg_temp.workers_launched('SELECT sum(durpred.predict_duration(p)::numeric) FROM par p') AS workers;
SELECT s.n = p.n AS same_count, s.named = p.named AS same_named,
       s.record = p.record AS same_record, s.jsonb = p.jsonb AS same_jsonb
FROM serial s,
	 (SELECT count(*) AS n,
			 sum(durpred.predict_duration(sql_blocks => p.sql_blocks,
										  historical_avg_duration => p.historical_avg_duration)::numeric) AS named,
			 sum(durpred.predict_duration(p)::numeric) AS record,
			 sum(durpred.predict_duration(to_jsonb(p) - 'id')::numeric) AS jsonb
	  FROM par p) p;

-- workers score with the session's durpred.model too
SELECT durpred.install_model('shifted',
	   pg_temp.tiny_bytes(jsonb_set((SELECT j FROM tiny), '{learner,learner_model_param,base_score}', '"1.0005E3"'))) > 0 AS installed;
SET durpred.model = 'shifted';
SELECT sum(durpred.predict_duration(p)::numeric) - (SELECT record FROM serial) AS shift,
       count(*) * 1000 AS expected_shift
FROM par p;
RESET durpred.model;

DROP TABLE par;
DROP EXTENSION durpred;

-- test/pgtap/features.sql: the extraction on 50,000 generated runs
--
-- - analytics.run_features_for(id) equals the analytics.run_features row of
--   every finished run, all 25 features, NULLs included;
-- - durpred.page_features(), the serving trigger's direct reads, equals
--   analytics.page_features() for every run, as of its start and as of its
--   finish;
-- - every feature equals an independent recomputation with PostgreSQL's own
--   aggregates (on a sample);
-- - no leakage: changing a run's duration and status changes no feature of
--   any run that started before it finished.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP SCHEMA IF EXISTS analytics CASCADE;
DROP SCHEMA IF EXISTS app CASCADE;
DROP EXTENSION IF EXISTS durpred CASCADE;
\o /dev/null
\i extract/schema.sql
\i extract/demo_data.sql
\i extract/features.sql
\o

SELECT plan(21);

SELECT is((SELECT count(*) FROM analytics.run_features), 50000::bigint,
		  'one training row per finished run');
SELECT is((SELECT count(*) FROM analytics.run_features WHERE page_hash IS NULL OR workspace_hash IS NULL
		   OR length(page_hash) <> 32), 0::bigint, 'ids are anonymised as md5 hashes');

-- the training row of a run as a durpred.features value
CREATE TEMP TABLE training AS
SELECT f.run_id, f.started_at,
	   ROW(f.start_hour, f.day_of_week, f.month, f.is_weekend, f.is_business_hours,
		   f.total_blocks, f.sql_blocks, f.tableau_blocks, f.email_blocks, f.slack_blocks,
		   f.parameter_blocks, f.code_blocks, f.plotly_blocks, f.kpi_blocks, f.api_blocks,
		   f.writeback_blocks, f.conditional_blocks, f.loop_blocks, f.ai_blocks, f.storage_blocks,
		   f.historical_run_count, f.historical_avg_duration, f.historical_median_duration,
		   f.historical_stddev_duration, f.historical_failure_rate)::durpred.features AS features
FROM analytics.run_features f;

SELECT is((SELECT count(*) FROM training t
		   WHERE analytics.run_features_for(t.run_id) IS DISTINCT FROM t.features),
		  0::bigint, 'run_features_for equals the training row of all 50,000 finished runs');
SELECT is((SELECT count(*) FROM app.noteflow_run r
		   WHERE durpred.page_features(r.notebook_page_id, COALESCE(r.started_at, r.created_at))
				 IS DISTINCT FROM analytics.features_as_of(r.notebook_page_id, COALESCE(r.started_at, r.created_at))),
		  0::bigint, 'durpred.page_features equals analytics.page_features for every run as of its start');
SELECT is((SELECT count(*) FROM app.noteflow_run r
		   WHERE r.finished_at IS NOT NULL
			 AND durpred.page_features(r.notebook_page_id, r.finished_at)
				 IS DISTINCT FROM analytics.features_as_of(r.notebook_page_id, r.finished_at)),
		  0::bigint, 'and as of every finish, where runs finish together');
SELECT ok((SELECT count(*) FROM analytics.run_features WHERE historical_run_count = 0) > 0
		  AND (SELECT count(*) FROM analytics.run_features WHERE historical_stddev_duration IS NULL) > 0,
		  'the comparison includes NULL features (runs with no or one earlier run)');

SELECT is((SELECT count(*) FROM analytics.pending_run_features p
		   JOIN app.noteflow_run r ON r.id = p.run_id
		   WHERE analytics.features_as_of(r.notebook_page_id, COALESCE(r.started_at, r.created_at))
				 IS DISTINCT FROM ROW(p.start_hour, p.day_of_week, p.month, p.is_weekend, p.is_business_hours,
					p.total_blocks, p.sql_blocks, p.tableau_blocks, p.email_blocks, p.slack_blocks,
					p.parameter_blocks, p.code_blocks, p.plotly_blocks, p.kpi_blocks, p.api_blocks,
					p.writeback_blocks, p.conditional_blocks, p.loop_blocks, p.ai_blocks, p.storage_blocks,
					p.historical_run_count, p.historical_avg_duration, p.historical_median_duration,
					p.historical_stddev_duration, p.historical_failure_rate)::durpred.features),
		  0::bigint, 'pending_run_features are the features as of each run''s start or creation');
SELECT is((SELECT count(*) FROM analytics.pending_run_features),
		  (SELECT count(*) FROM app.noteflow_run WHERE status IN ('pending', 'running')),
		  'every pending and running run has its features');

-- an independent recomputation of every feature for 2,000 runs, with
-- correlated subqueries and PostgreSQL's own aggregates
CREATE TEMP TABLE sample AS
SELECT f.* FROM analytics.run_features f WHERE f.run_id % 25 = 0;
CREATE TEMP TABLE brute AS
SELECT s.run_id,
	   extract(hour FROM r.started_at AT TIME ZONE 'UTC')::int AS start_hour,
	   extract(dow FROM r.started_at AT TIME ZONE 'UTC')::int AS day_of_week,
	   extract(month FROM r.started_at AT TIME ZONE 'UTC')::int AS month,
	   extract(dow FROM r.started_at AT TIME ZONE 'UTC') IN (0, 6) AS is_weekend,
	   extract(dow FROM r.started_at AT TIME ZONE 'UTC') BETWEEN 1 AND 5
		   AND extract(hour FROM r.started_at AT TIME ZONE 'UTC') >= 9
		   AND extract(hour FROM r.started_at AT TIME ZONE 'UTC') < 17 AS is_business_hours,
	   (SELECT count(*) FROM app.block b WHERE b.notebook_page_id = r.notebook_page_id)::int AS total_blocks,
	   (SELECT count(*) FROM app.block b WHERE b.notebook_page_id = r.notebook_page_id
		AND b.block_type = 'sql')::int AS sql_blocks,
	   (SELECT count(*) FROM app.block b WHERE b.notebook_page_id = r.notebook_page_id
		AND b.block_type = 'writeback')::int AS writeback_blocks,
	   h.*
FROM sample s
JOIN app.noteflow_run r ON r.id = s.run_id
CROSS JOIN LATERAL (
	SELECT count(*)::int AS historical_run_count,
		   -- the exact totals of the durations in microseconds, rounded once
		   sum(x.us)::float8 / (count(*)::float8 * 1000000) AS historical_avg_duration,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY x.d) AS historical_median_duration,
		   CASE WHEN count(*) > 1 THEN
			   sqrt((count(*) * sum(x.us * x.us) - sum(x.us) ^ 2)::float8
					/ (count(*)::float8 * (count(*) - 1)::float8)) / 1000000 END AS historical_stddev_duration,
		   CASE WHEN count(*) > 0 THEN count(*) FILTER (WHERE x.status = 'failed')::float8 / count(*) END
			   AS historical_failure_rate
	FROM (SELECT p.id, p.finished_at, p.started_at, p.status,
				 extract(epoch FROM p.finished_at - p.started_at)::float8 AS d,
				 extract(epoch FROM p.finished_at - p.started_at) * 1000000 AS us
		  FROM app.noteflow_run p
		  WHERE p.notebook_page_id = r.notebook_page_id
			AND p.status IN ('success', 'failed', 'cancelled')
			AND p.finished_at <= r.started_at) x) h;

SELECT is((SELECT count(*) FROM brute), 2000::bigint, 'the sample has 2,000 runs');
SELECT is((SELECT count(*) FROM brute b JOIN sample s USING (run_id)
		   WHERE (b.start_hour, b.day_of_week, b.month, b.is_weekend, b.is_business_hours)
				 IS DISTINCT FROM (s.start_hour, s.day_of_week, s.month, s.is_weekend, s.is_business_hours)),
		  0::bigint, 'timing features: UTC, Sunday = 0, business hours = weekday 9 to 17');
SELECT is((SELECT count(*) FROM brute b JOIN sample s USING (run_id)
		   WHERE (b.total_blocks, b.sql_blocks, b.writeback_blocks)
				 IS DISTINCT FROM (s.total_blocks, s.sql_blocks, s.writeback_blocks)),
		  0::bigint, 'block counts');
SELECT is((SELECT count(*) FROM analytics.run_features
		   WHERE total_blocks <> sql_blocks + tableau_blocks + email_blocks + slack_blocks + parameter_blocks
				 + code_blocks + plotly_blocks + kpi_blocks + api_blocks + writeback_blocks
				 + conditional_blocks + loop_blocks + ai_blocks + storage_blocks),
		  0::bigint, 'total_blocks is the sum of the 14 types');
SELECT is((SELECT count(*) FROM brute b JOIN sample s USING (run_id)
		   WHERE b.historical_run_count IS DISTINCT FROM s.historical_run_count
			  OR b.historical_failure_rate IS DISTINCT FROM s.historical_failure_rate),
		  0::bigint, 'count and failure rate of earlier finished runs (finished_at <= started_at)');
SELECT is((SELECT count(*) FROM brute b JOIN sample s USING (run_id)
		   WHERE b.historical_avg_duration IS DISTINCT FROM s.historical_avg_duration
			  OR b.historical_stddev_duration IS DISTINCT FROM s.historical_stddev_duration),
		  0::bigint, 'mean and sample standard deviation equal the exact totals of the durations in microseconds, rounded once');
SELECT is((SELECT count(*) FROM brute b JOIN sample s USING (run_id)
		   WHERE b.historical_median_duration IS DISTINCT FROM s.historical_median_duration),
		  0::bigint, 'median equals percentile_cont(0.5)');

-- the history summary of every page, recomputed from the runs
\i test/fixtures/summary_check.sql
SELECT is(pg_temp.summary_mismatches(), 0::bigint,
		  'the history summary of every page equals a recomputation from its runs');
SELECT is((SELECT count(*) FROM app.notebook_page p
		   WHERE durpred.page_features(p.id, now()) IS DISTINCT FROM analytics.features_as_of(p.id, now())),
		  0::bigint, 'as of now, the summary gives every page the features of the SQL definition');
SELECT is((SELECT count(*) FROM analytics.pending_run_features p
		   JOIN app.noteflow_run r ON r.id = p.run_id
		   WHERE ROW(p.start_hour, p.day_of_week, p.month, p.is_weekend, p.is_business_hours,
					 p.total_blocks, p.sql_blocks, p.tableau_blocks, p.email_blocks, p.slack_blocks,
					 p.parameter_blocks, p.code_blocks, p.plotly_blocks, p.kpi_blocks, p.api_blocks,
					 p.writeback_blocks, p.conditional_blocks, p.loop_blocks, p.ai_blocks, p.storage_blocks,
					 p.historical_run_count, p.historical_avg_duration, p.historical_median_duration,
					 p.historical_stddev_duration, p.historical_failure_rate)::durpred.features
				 IS DISTINCT FROM analytics.features_as_of(r.notebook_page_id, COALESCE(r.started_at, r.created_at))),
		  0::bigint, 'pending runs: the summary less the runs finished since gives the SQL definition');

-- no leakage: make 20 runs much longer and failed, rebuild, and compare the
-- features of every run that started before the changed run had finished
CREATE TEMP TABLE changed AS
SELECT id, notebook_page_id, finished_at AS old_finished_at
FROM app.noteflow_run WHERE id % 2500 = 7 AND status = 'success';
CREATE TEMP TABLE before AS SELECT * FROM training;
UPDATE app.noteflow_run r SET finished_at = r.finished_at + interval '2 hours', status = 'failed'
FROM changed c WHERE r.id = c.id;
REFRESH MATERIALIZED VIEW analytics.run_features;

SELECT is((SELECT count(*) FROM before b
		   JOIN analytics.run_features f ON f.run_id = b.run_id
		   JOIN app.noteflow_run r ON r.id = b.run_id
		   WHERE EXISTS (SELECT FROM changed c WHERE c.notebook_page_id = r.notebook_page_id
						 AND r.started_at < c.old_finished_at)
			 AND b.features IS DISTINCT FROM
				 ROW(f.start_hour, f.day_of_week, f.month, f.is_weekend, f.is_business_hours,
					 f.total_blocks, f.sql_blocks, f.tableau_blocks, f.email_blocks, f.slack_blocks,
					 f.parameter_blocks, f.code_blocks, f.plotly_blocks, f.kpi_blocks, f.api_blocks,
					 f.writeback_blocks, f.conditional_blocks, f.loop_blocks, f.ai_blocks, f.storage_blocks,
					 f.historical_run_count, f.historical_avg_duration, f.historical_median_duration,
					 f.historical_stddev_duration, f.historical_failure_rate)::durpred.features),
		  0::bigint, 'no feature of a run that started before a changed run finished changes');
SELECT ok((SELECT count(*) FROM before b JOIN analytics.run_features f ON f.run_id = b.run_id
		   JOIN app.noteflow_run r ON r.id = b.run_id
		   WHERE EXISTS (SELECT FROM changed c WHERE c.notebook_page_id = r.notebook_page_id
						 AND r.started_at >= c.old_finished_at + interval '2 hours')
			 AND b.features IS DISTINCT FROM
				 ROW(f.start_hour, f.day_of_week, f.month, f.is_weekend, f.is_business_hours,
					 f.total_blocks, f.sql_blocks, f.tableau_blocks, f.email_blocks, f.slack_blocks,
					 f.parameter_blocks, f.code_blocks, f.plotly_blocks, f.kpi_blocks, f.api_blocks,
					 f.writeback_blocks, f.conditional_blocks, f.loop_blocks, f.ai_blocks, f.storage_blocks,
					 f.historical_run_count, f.historical_avg_duration, f.historical_median_duration,
					 f.historical_stddev_duration, f.historical_failure_rate)::durpred.features) > 0,
		  'the change does show in the features of later runs of the same pages');
SELECT is(pg_temp.summary_mismatches(), 0::bigint, 'after the change, the summaries still equal a recomputation');
SELECT * FROM finish();

DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred CASCADE;

-- test/sql/features.sql: the extraction on a small hand-written fixture,
-- against values computed by hand
\set ECHO none
\i extract/schema.sql
\i extract/features.sql
\set ECHO all
-- the session's time zone must not matter: features are in UTC
SET TimeZone = 'America/New_York';

INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (10, 1, 'report'), (11, 1, 'odd blocks'), (12, 1, 'empty');
INSERT INTO app.block VALUES
	(1, 10, 'sql', 1), (2, 10, 'sql', 2), (3, 10, 'email', 3), (4, 10, 'writeback', 4),
	(5, 11, 'code', 1), (6, 11, 'mystery', 2);
-- page 10: r1 and r2 overlap; r3 starts when r2 finishes; r4 is cancelled;
-- r5 is running, r6 pending; r7 and r8 cannot be used; r9 failed at once
-- (zero duration) and counts like any finished run
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(1, 10, 1, 'success',   '2025-03-03 07:59:58+00', '2025-03-03 08:00:00+00', '2025-03-03 08:00:10+00'),
	(2, 10, 1, 'failed',    '2025-03-03 08:00:04+00', '2025-03-03 08:00:05+00', '2025-03-03 08:00:25+00'),
	(3, 10, 1, 'success',   '2025-03-03 08:00:20+00', '2025-03-03 08:00:25+00', '2025-03-03 08:01:25+00'),
	(4, 10, 1, 'cancelled', '2025-03-08 10:00:00+00', '2025-03-08 10:00:00+00', '2025-03-08 10:00:05+00'),
	(5, 10, 1, 'running',   '2025-03-08 10:00:02+00', '2025-03-08 10:00:03+00', NULL),
	(6, 10, 1, 'pending',   '2025-03-10 11:00:00+00', NULL, NULL),
	(7, 10, 1, 'success',   '2025-03-10 12:00:00+00', NULL, '2025-03-10 12:00:09+00'),
	(8, 10, 1, 'success',   '2025-03-10 12:00:00+00', '2025-03-10 12:00:09+00', '2025-03-10 12:00:01+00'),
	(9, 10, 1, 'failed',    '2025-03-10 12:00:00+00', '2025-03-10 12:00:05+00', '2025-03-10 12:00:05+00'),
	(10, 11, 1, 'success',  '2025-03-03 09:00:00+00', '2025-03-03 09:00:00+00', '2025-03-03 09:00:30+00'),
	(11, 11, 1, 'pending',  '2025-03-03 10:00:00+00', NULL, NULL),
	(12, 12, 1, 'success',  '2025-03-04 14:30:00+00', '2025-03-04 14:30:00+00', '2025-03-04 14:30:02.5+00'),
	(13, 10, 1, 'success',  '2025-03-10 12:00:06+00', '2025-03-10 12:00:06+00', '2025-03-10 12:00:16+00');

\set ECHO none
\i extract/features.sql
\set ECHO all

-- r1: first run of the page, count 0 and NULL averages
-- r2: r1 still running when r2 starts: still no history
-- r3: r1 and r2 (finished exactly when r3 starts) count: 10 s and 20 s
-- r4: Saturday; r1, r2, r3: mean 30, median 20, stddev sqrt(700)
-- r9: r1 to r4, not itself (it finished at the instant it started)
-- r13: r1 to r4 and r9 (0 s): mean 19, median 10, failure rate 2/5
-- r12: a page without blocks
SELECT run_id, status, start_hour, day_of_week, month, is_weekend, is_business_hours,
	   total_blocks, sql_blocks, email_blocks, writeback_blocks, code_blocks,
	   historical_run_count AS n, historical_avg_duration AS mean,
	   historical_median_duration AS median, historical_stddev_duration AS stddev,
	   historical_failure_rate AS failure_rate, duration_seconds
FROM analytics.run_features ORDER BY run_id;
SELECT sqrt(700::float8) AS "sqrt(700)", sqrt(50::float8) AS "sqrt(50)";

-- anonymised ids
SELECT run_id, page_hash = md5('10') AS page_hash_ok, workspace_hash = md5('1') AS workspace_hash_ok
FROM analytics.run_features WHERE run_id = 1;

-- r5 (running) as of its start: r4 finished after it started, so 3 runs;
-- r6 (pending, not started) as of its creation: all 4 finished runs
SELECT run_id, start_hour, day_of_week, is_weekend, historical_run_count AS n,
	   historical_avg_duration AS mean, historical_median_duration AS median,
	   historical_failure_rate AS failure_rate
FROM analytics.pending_run_features ORDER BY run_id;

-- the same features through run_features_for, for every finished run
SELECT r.id,
	   analytics.run_features_for(r.id) IS NOT DISTINCT FROM
		   (SELECT ROW(f.start_hour, f.day_of_week, f.month, f.is_weekend, f.is_business_hours,
					   f.total_blocks, f.sql_blocks, f.tableau_blocks, f.email_blocks, f.slack_blocks,
					   f.parameter_blocks, f.code_blocks, f.plotly_blocks, f.kpi_blocks, f.api_blocks,
					   f.writeback_blocks, f.conditional_blocks, f.loop_blocks, f.ai_blocks, f.storage_blocks,
					   f.historical_run_count, f.historical_avg_duration, f.historical_median_duration,
					   f.historical_stddev_duration, f.historical_failure_rate)::durpred.features
			FROM analytics.run_features f WHERE f.run_id = r.id) AS equal_to_training_row,
	   (analytics.run_features_for(r.id)).historical_run_count AS n
FROM app.noteflow_run r
WHERE r.id IN (SELECT run_id FROM analytics.run_features)
ORDER BY r.id;
SELECT analytics.run_features_for(999) IS NULL AS unknown_run_is_null,
	   analytics.run_features_for(10) IS NULL AS unknown_block_type_is_null;

-- what was left out, and why
SELECT run_id, status, reason FROM analytics.excluded_runs ORDER BY run_id;

-- durpred.block_counts, behind analytics.page_blocks: the total, each of
-- the 14 types in the order of durpred.features, then any other type
SELECT durpred.block_counts(t) FROM unnest(ARRAY['sql', 'tableau', 'email', 'slack',
	'parameter', 'code', 'plotly', 'kpi', 'api', 'writeback', 'conditional', 'loop', 'ai',
	'storage']) t;
SELECT durpred.block_counts(t)
FROM unnest(ARRAY['sql', 'sql', 'storage', 'mystery', NULL, '', 'SQL', 'sql_blocks', 'sq']) t;
SELECT durpred.block_counts(t) FROM unnest('{}'::text[]) t;

-- durpred.timing_features, the timing features: in UTC whatever the
-- session's time zone; Sunday = 0; business hours from 9:00 to 16:59 on
-- weekdays; NULL fields for an infinite instant
BEGIN;
SET LOCAL TimeZone = 'America/Los_Angeles';
SELECT t AS at_utc, (durpred.timing_features((t || '+00')::timestamptz)).*
FROM unnest(ARRAY['2026-11-27 08:59:59.999999', '2026-11-27 09:00', '2026-11-27 16:59:59.999999',
	'2026-11-27 17:00', '2026-11-28 12:00', '2026-11-29 23:59:59', '2026-11-30 00:00',
	'2024-02-29 10:30', '1999-12-31 23:00']) t
ORDER BY t;
COMMIT;
SELECT (durpred.timing_features('infinity')).*;
SELECT (durpred.timing_features('-infinity')).*;
SELECT durpred.timing_features(NULL) IS NULL AS null_is_null;
-- the same as date_part in UTC, for every hour of two years
SELECT count(*) AS hours,
	   count(*) FILTER (WHERE (durpred.timing_features(t)).start_hour
					   <> date_part('hour', t AT TIME ZONE 'UTC')
					OR (durpred.timing_features(t)).day_of_week
					   <> date_part('dow', t AT TIME ZONE 'UTC')
					OR (durpred.timing_features(t)).month
					   <> date_part('month', t AT TIME ZONE 'UTC')) AS differ
FROM generate_series('2025-01-01 00:30+00'::timestamptz, '2026-12-31 23:30+00', '1 hour') t;

-- the CSV export has a header and the reference layout
-- (written into pg_regress's results directory, read back by the client)
\set csv results/features_export.csv
\set ECHO none
\i extract/export_csv.sql
\set ECHO all
CREATE TEMP TABLE csv_lines (line text);
\copy csv_lines FROM 'results/features_export.csv'
SELECT line FROM csv_lines LIMIT 3;
SELECT count(*) - 1 AS data_rows FROM csv_lines;

-- re-running the script refreshes the training set
UPDATE app.noteflow_run SET finished_at = '2025-03-03 08:00:20+00' WHERE id = 1;
\set ECHO none
\i extract/features.sql
\set ECHO all
SELECT run_id, duration_seconds, historical_run_count AS n, historical_avg_duration AS mean
FROM analytics.run_features WHERE run_id IN (1, 3) ORDER BY run_id;

-- the order runs are added in does not matter: page 13's three runs of 0.3,
-- 0.2 and 0.1 s, which finish at one instant (ids in the other order), give
-- the exact mean 0.2 (600,000 microseconds / 3), where float8 sums in
-- either order give 0.19999999999999998 or 0.20000000000000004; the training
-- window and run_features_for agree
INSERT INTO app.notebook_page VALUES (13, 1, 'ties');
INSERT INTO app.block VALUES (7, 13, 'sql', 1);
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(21, 13, 1, 'success', '2025-04-01 09:00:00+00', '2025-04-01 09:59:59.9+00', '2025-04-01 10:00:00+00'),
	(22, 13, 1, 'success', '2025-04-01 09:00:00+00', '2025-04-01 09:59:59.8+00', '2025-04-01 10:00:00+00'),
	(23, 13, 1, 'success', '2025-04-01 09:00:00+00', '2025-04-01 09:59:59.7+00', '2025-04-01 10:00:00+00'),
	(24, 13, 1, 'success', '2025-04-01 10:30:00+00', '2025-04-01 10:30:00+00', '2025-04-01 10:31:00+00');
\set ECHO none
\i extract/features.sql
\set ECHO all
SELECT f.historical_run_count AS n,
	   f.historical_avg_duration = 0.2::float8 AS exact_mean,
	   f.historical_avg_duration = (0.3::float8 + 0.2 + 0.1) / 3 AS start_order,
	   f.historical_avg_duration = (0.1::float8 + 0.2 + 0.3) / 3 AS id_order,
	   (analytics.run_features_for(24)).historical_avg_duration = f.historical_avg_duration
		   AS run_features_for_equal,
	   (analytics.run_features_for(24)).historical_stddev_duration = f.historical_stddev_duration
		   AS stddev_equal
FROM analytics.run_features f WHERE f.run_id = 24;
-- read from the index in that order, without a sort (neither a Sort node
-- nor an ORDER BY inside the aggregate call, which sorts in the Aggregate)
CREATE FUNCTION pg_temp.plan_lines(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF, VERBOSE) ' || query; END $$;
SELECT count(*) FILTER (WHERE l ~ 'Sort|ORDER BY') AS sorts,
	   count(*) FILTER (WHERE l ~ 'Index Only Scan using noteflow_run_page_history_idx') AS history_index_scans
FROM pg_temp.plan_lines($$SELECT * FROM analytics.page_features(13, '2025-04-01 10:30:00+00')$$) l;

RESET TimeZone;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred;

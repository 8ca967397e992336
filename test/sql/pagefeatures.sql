-- test/sql/pagefeatures.sql: durpred.page_features(), the serving trigger's
-- direct reads, against analytics.page_features(), the SQL definition, on a
-- fixture made to cover every rule, in every way the tables can be read
\set ECHO none
\i extract/schema.sql
\i extract/features.sql
\set ON_ERROR_STOP 0
\set ECHO all
SET TimeZone = 'UTC';

INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (30, 1, 'busy'), (31, 1, 'odd blocks'), (32, 1, 'no blocks'),
	(33, 1, 'ties');
INSERT INTO app.block VALUES
	(1, 30, 'sql', 1), (2, 30, 'sql', 2), (3, 30, 'email', 3), (4, 30, 'storage', 4),
	(5, 31, 'code', 1), (6, 31, 'mystery', 2), (7, 33, 'ai', 1);
-- page 30: overlapping runs, a cancelled and a failed one, one of zero
-- duration, runs that cannot be used, pending and running ones, and
-- durations of more than a day (date_part splits them into days) with
-- fractions of a second; page 33: three runs that finish at one instant,
-- whose mean depends on the order they are added in
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(1, 30, 1, 'success',   '2025-05-05 07:00:00+00', '2025-05-05 07:00:00+00', '2025-05-05 07:00:10.25+00'),
	(2, 30, 1, 'failed',    '2025-05-05 07:00:04+00', '2025-05-05 07:00:05+00', '2025-05-05 07:00:25+00'),
	(3, 30, 1, 'success',   '2025-05-05 07:00:20+00', '2025-05-05 07:00:25+00', '2025-05-05 07:01:25.000001+00'),
	(4, 30, 1, 'cancelled', '2025-05-10 10:00:00+00', '2025-05-10 10:00:00+00', '2025-05-10 10:00:05+00'),
	(5, 30, 1, 'failed',    '2025-05-10 11:00:00+00', '2025-05-10 11:00:05+00', '2025-05-10 11:00:05+00'),
	(6, 30, 1, 'success',   '2025-05-11 00:00:00+00', '2025-05-11 00:00:00.123456+00', '2025-05-13 03:17:41.987654+00'),
	(7, 30, 1, 'success',   '2025-05-12 00:00:00+00', '2025-05-12 00:00:00+00', '2026-06-18 05:00:00.5+00'),
	(8, 30, 1, 'success',   '2025-05-12 01:00:00+00', NULL, '2025-05-12 01:00:09+00'),
	(9, 30, 1, 'success',   '2025-05-12 02:00:00+00', '2025-05-12 02:00:09+00', '2025-05-12 02:00:01+00'),
	(10, 30, 1, 'running',  '2025-05-14 09:00:00+00', '2025-05-14 09:00:03+00', NULL),
	(11, 30, 1, 'pending',  '2025-05-14 09:30:00+00', NULL, NULL),
	(12, 30, 1, 'success',  '2025-05-14 12:00:00+00', '2025-05-14 12:00:00+00', '2025-05-14 12:00:30+00'),
	(13, 31, 1, 'success',  '2025-05-05 09:00:00+00', '2025-05-05 09:00:00+00', '2025-05-05 09:00:30+00'),
	(14, 32, 1, 'success',  '2025-05-06 14:30:00+00', '2025-05-06 14:30:00+00', '2025-05-06 14:30:02.5+00'),
	(21, 33, 1, 'success',  '2025-05-07 09:00:00+00', '2025-05-07 09:59:59.9+00', '2025-05-07 10:00:00+00'),
	(22, 33, 1, 'success',  '2025-05-07 09:00:00+00', '2025-05-07 09:59:59.8+00', '2025-05-07 10:00:00+00'),
	(23, 33, 1, 'success',  '2025-05-07 09:00:00+00', '2025-05-07 09:59:59.7+00', '2025-05-07 10:00:00+00');

-- every page (and one that does not exist), as of every instant of the
-- data, a microsecond before and after it, and the ends of time
CREATE TEMP TABLE instants AS
SELECT DISTINCT t + d AS at
FROM (SELECT created_at FROM app.noteflow_run UNION SELECT started_at FROM app.noteflow_run
	  UNION SELECT finished_at FROM app.noteflow_run) i(t)
CROSS JOIN (VALUES (interval '0'), (interval '-1 microsecond'), (interval '1 microsecond')) d(d)
WHERE t IS NOT NULL
UNION SELECT '-infinity' UNION SELECT 'infinity';
CREATE TEMP TABLE cases AS
SELECT p.id AS page, i.at FROM (SELECT id FROM app.notebook_page UNION SELECT 99) p CROSS JOIN instants i;
-- the two agree on every case; compared with IS NOT DISTINCT FROM, NULL
-- features (and no features) included
CREATE FUNCTION pg_temp.disagreements() RETURNS bigint
LANGUAGE sql AS $$
	SELECT count(*) FROM cases c
	WHERE durpred.page_features(c.page, c.at) IS DISTINCT FROM analytics.features_as_of(c.page, c.at)
$$;
SELECT count(*) AS cases, pg_temp.disagreements() AS disagreements FROM cases;
-- the cases cover what they must: no page, a page that cannot be scored,
-- no history, NULL standard deviations, long runs, failures
SELECT count(*) FILTER (WHERE f IS NULL) AS no_features,
	   count(*) FILTER (WHERE (f).historical_run_count = 0) AS no_history,
	   count(*) FILTER (WHERE (f).historical_run_count = 1) AS one_run,
	   count(*) FILTER (WHERE (f).historical_avg_duration > 86400) AS over_a_day,
	   count(*) FILTER (WHERE (f).historical_failure_rate > 0) AS with_failures
FROM (SELECT durpred.page_features(c.page, c.at) AS f FROM cases c) x;

-- a few by value: page 30 as of run 12's start: runs 1 to 6 (10.25 s, 20 s,
-- 60.000001 s, 5 s, 0 s, 2 d 3:17:41.864198; run 7 finishes in 2026):
-- median (10.25 + 20) / 2, failure rate 2/6
SELECT durpred.page_features(30, '2025-05-14 12:00:00+00');
-- and after run 7, of 402 d 5:00:00.5: the mean of the eight durations
-- (run 12 too): their exact sum in microseconds over the count
SELECT (durpred.page_features(30, '2026-07-01')).historical_avg_duration
	   = (SELECT sum(durpred.run_duration_us(finished_at, started_at))::float8 / (count(*) * 1000000)
		  FROM app.noteflow_run WHERE id IN (1, 2, 3, 4, 5, 6, 7, 12)) AS mean_of_eight;
-- page 33: the three runs that finished at one instant give the exact mean
-- whatever the order, 0.2, where float8 sums give either neighbour
SELECT (f).historical_run_count AS n,
	   (f).historical_avg_duration = 0.2::float8 AS exact_mean,
	   (f).historical_avg_duration = (0.3::float8 + 0.2 + 0.1) / 3 AS start_order,
	   (f).historical_avg_duration = (0.1::float8 + 0.2 + 0.3) / 3 AS id_order
FROM (SELECT durpred.page_features(33, '2025-05-07 10:30:00+00') AS f) x;
-- a page with a block of an unknown type, and a page that does not exist
SELECT durpred.page_features(31, '2025-06-01') IS NULL AS odd_blocks,
	   durpred.page_features(99, '2025-06-01') IS NULL AS no_page;
-- STRICT: NULL arguments give NULL
SELECT durpred.page_features(NULL, '2025-06-01') IS NULL AS null_page,
	   durpred.page_features(30, NULL) IS NULL AS null_instant;

-- the same once the table is vacuumed: the runs come from the index alone
VACUUM app.noteflow_run;
SELECT pg_temp.disagreements() AS disagreements_index_only;
-- and in a serializable transaction, which locks what it reads
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT pg_temp.disagreements() AS disagreements_serializable;
COMMIT;

-- another index on the page's runs, in another order: the runs are sorted
-- again, and read from the table (the index lacks the status)
BEGIN;
DROP INDEX app.noteflow_run_page_history_idx;
CREATE INDEX noteflow_run_page_id_desc_idx ON app.noteflow_run (notebook_page_id, id DESC);
SELECT pg_temp.disagreements() AS disagreements_other_index;
ROLLBACK;

-- beside a plain index on the page, which comes first, the history index
-- is the one read: it bounds the scan at as_of and holds every column (the
-- SQL definition reads it too, and never the plain one)
DROP INDEX app.noteflow_run_page_history_idx;
CREATE INDEX noteflow_run_page_idx ON app.noteflow_run (notebook_page_id);
CREATE INDEX noteflow_run_page_history_idx
	ON app.noteflow_run (notebook_page_id, finished_at, started_at, id) INCLUDE (status);
SELECT pg_temp.disagreements() AS disagreements_two_indexes;
SELECT pg_stat_force_next_flush();
SELECT indexrelname, idx_scan > 0 AS scanned FROM pg_stat_user_indexes
WHERE indexrelname IN ('noteflow_run_page_idx', 'noteflow_run_page_history_idx') ORDER BY 1;
DROP INDEX app.noteflow_run_page_idx;

-- a run that started at -infinity has no duration: both leave it out of
-- the history alike (test/sql/edge_rows.sql has the other edges)
BEGIN;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
VALUES (40, 32, 1, 'success', '2025-05-20', '-infinity', '2025-05-20');
SELECT durpred.page_features(32, '2025-05-21');
SELECT analytics.features_as_of(32, '2025-05-21');
ROLLBACK;

-- what cannot be read directly raises 0A000 (the trigger then uses the SQL
-- definition), and says what to use instead
\set VERBOSITY default
-- a view in place of a table, as a deployment maps its own tables
BEGIN;
ALTER TABLE app.block RENAME TO block_data;
CREATE VIEW app.block AS SELECT * FROM app.block_data;
SELECT durpred.page_features(30, '2025-06-01');
ROLLBACK;
-- row-level security
BEGIN;
ALTER TABLE app.block ENABLE ROW LEVEL SECURITY;
SELECT durpred.page_features(30, '2025-06-01');
ROLLBACK;
-- with a fallback (the three-argument form), what cannot be read directly
-- is computed by the fallback: the SQL definition gives the same features;
-- a fallback that does not return rows of durpred.features is 42804, one
-- that no longer exists 42883 (FallbackFeatures, shared with the trigger)
BEGIN;
ALTER TABLE app.block ENABLE ROW LEVEL SECURITY;
SELECT durpred.page_features(30, '2025-06-01', 'analytics.page_features(bigint, timestamptz)')
	   IS NOT DISTINCT FROM analytics.features_as_of(30, '2025-06-01') AS fallback_same;
CREATE FUNCTION analytics.wrong_features(bigint, timestamptz) RETURNS SETOF int
LANGUAGE sql AS 'SELECT 1';
SAVEPOINT wrong;
SELECT durpred.page_features(30, '2025-06-01', 'analytics.wrong_features(bigint, timestamptz)');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO wrong;
SELECT 'analytics.wrong_features(bigint, timestamptz)'::regprocedure::oid AS gone \gset
DROP FUNCTION analytics.wrong_features(bigint, timestamptz);
\set VERBOSITY sqlstate
SELECT durpred.page_features(30, '2025-06-01', :gone::oid::regprocedure);
\set VERBOSITY default
ROLLBACK;
-- no index on the runs' page without a predicate
BEGIN;
DROP INDEX app.noteflow_run_page_history_idx;
SELECT durpred.page_features(30, '2025-06-01');
ROLLBACK;
-- a column of another type (a table in place of app.block: the views
-- read the renamed one)
BEGIN;
ALTER TABLE app.block RENAME TO block_data;
CREATE TABLE app.block (id bigint, notebook_page_id bigint, block_type varchar(20), position int);
CREATE INDEX ON app.block (notebook_page_id);
SELECT durpred.page_features(30, '2025-06-01');
ROLLBACK;
-- a status column with a nondeterministic collation
BEGIN;
ALTER TABLE app.noteflow_run RENAME TO noteflow_run_data;
CREATE COLLATION pg_temp.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE app.noteflow_run (LIKE app.noteflow_run_data);
ALTER TABLE app.noteflow_run ALTER COLUMN status TYPE text COLLATE pg_temp.ci;
CREATE INDEX ON app.noteflow_run (notebook_page_id, finished_at, started_at, id) INCLUDE (status);
SELECT durpred.page_features(30, '2025-06-01');
ROLLBACK;
-- a table that is missing: as for the SQL, 42P01
BEGIN;
ALTER TABLE app.block RENAME TO block_data;
SELECT durpred.page_features(30, '2025-06-01');
ROLLBACK;

-- the caller's privileges: without SELECT on app.block, 42501
SELECT durpred.page_features(30, '2025-06-01')::text AS expected \gset
CREATE ROLE durpred_pagefeatures_reader;
GRANT USAGE ON SCHEMA app TO durpred_pagefeatures_reader;
GRANT SELECT ON app.notebook_page, app.noteflow_run TO durpred_pagefeatures_reader;
SET ROLE durpred_pagefeatures_reader;
SELECT durpred.page_features(30, '2025-06-01');
RESET ROLE;
GRANT SELECT ON app.block TO durpred_pagefeatures_reader;
SET ROLE durpred_pagefeatures_reader;
SELECT durpred.page_features(30, '2025-06-01')::text = :'expected' AS same;
RESET ROLE;
-- what the reads looked up is kept for the session (src/features/resolved.c),
-- and each change below is seen at the next call: the right to read the
-- blocks through a role, given and taken back
REVOKE SELECT ON app.block FROM durpred_pagefeatures_reader;
CREATE ROLE durpred_block_readers;
GRANT SELECT ON app.block TO durpred_block_readers;
GRANT durpred_block_readers TO durpred_pagefeatures_reader;
SET ROLE durpred_pagefeatures_reader;
SELECT durpred.page_features(30, '2025-06-01')::text = :'expected' AS same;
RESET ROLE;
REVOKE durpred_block_readers FROM durpred_pagefeatures_reader;
SET ROLE durpred_pagefeatures_reader;
SELECT durpred.page_features(30, '2025-06-01');
RESET ROLE;
-- the schema renamed: its tables are not where they were (3F000)
ALTER SCHEMA app RENAME TO app_moved;
SELECT durpred.page_features(30, '2025-06-01');
ALTER SCHEMA app_moved RENAME TO app;
SELECT durpred.page_features(30, '2025-06-01')::text = :'expected' AS same;
REVOKE ALL ON ALL TABLES IN SCHEMA app FROM durpred_pagefeatures_reader, durpred_block_readers;
REVOKE ALL ON SCHEMA app FROM durpred_pagefeatures_reader;
DROP ROLE durpred_pagefeatures_reader, durpred_block_readers;


RESET TimeZone;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred;

-- test/sql/summary.sql: the per-page history summary (analytics.page_history_summary)
-- kept by triggers, and the serving reads that use it
SET client_min_messages = warning;
CREATE EXTENSION durpred;
\set ECHO none
\i extract/schema.sql
\i extract/features.sql
\set ECHO all
SET TimeZone = 'UTC';

\set ECHO none
\i test/fixtures/summary_check.sql
\set ECHO all

-- the direct reads (summary and tail) against the SQL definition, for every
-- page as of every instant where something happens, a microsecond either
-- side, and now: how many differ
CREATE FUNCTION pg_temp.parity_mismatches() RETURNS bigint LANGUAGE sql AS $$
	WITH instants AS (
		SELECT DISTINCT t + d AS t
		FROM (SELECT started_at FROM app.noteflow_run UNION SELECT finished_at FROM app.noteflow_run
			  UNION SELECT created_at FROM app.noteflow_run) i(t)
		CROSS JOIN (VALUES (interval '0'), (interval '-1 microsecond'), (interval '1 microsecond')) d(d)
		WHERE t IS NOT NULL AND t > '-infinity' AND t < 'infinity'
		UNION SELECT now())
	SELECT count(*)
	FROM app.notebook_page p CROSS JOIN instants i
	WHERE durpred.page_features(p.id, i.t) IS DISTINCT FROM analytics.features_as_of(p.id, i.t)
$$;

INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 1, 'empty');
INSERT INTO app.block VALUES (1, 1, 'sql', 1), (2, 2, 'email', 1);
-- a new page has an empty, complete summary
SELECT page_id, complete, runs, sum_us, median_low_us FROM analytics.page_history_summary ORDER BY page_id;

-- runs that finish in order, one statement each
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(1, 1, 1, 'success', '2025-03-03 08:00', '2025-03-03 08:00', '2025-03-03 08:00:10');
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(2, 1, 1, 'failed', '2025-03-03 09:00', '2025-03-03 09:00', '2025-03-03 09:00:30.5');
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(3, 1, 1, 'success', '2025-03-03 10:00', '2025-03-03 10:00', '2025-03-03 10:00:20');
SELECT page_id, complete, runs, failed_runs, sum_us, sum_squares_us,
	   median_low_us, median_low_run, median_high_us, median_high_run
FROM analytics.page_history_summary WHERE page_id = 1;
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity;

-- many runs in one statement, on two pages, pending ones among them
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
SELECT 100 + g, 1 + g % 2, 1,
	   CASE WHEN g % 7 = 0 THEN 'pending' WHEN g % 5 = 0 THEN 'failed' WHEN g % 11 = 0 THEN 'cancelled' ELSE 'success' END,
	   s, s, CASE WHEN g % 7 <> 0 THEN s + ((g * 7919) % 97) * interval '1.25 second' END
FROM generate_series(1, 60) g,
	 LATERAL (SELECT timestamptz '2025-03-04' + g * interval '10 minutes' AS s) x;
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity;

-- a run that finishes out of order (before the page's last finish), a
-- corrected finish, outcomes that change, a run that loses its outcome
UPDATE app.noteflow_run SET status = 'success', finished_at = started_at + interval '3 seconds' WHERE id = 107;
UPDATE app.noteflow_run SET finished_at = finished_at + interval '2 minutes' WHERE id = 2;
UPDATE app.noteflow_run SET status = 'failed' WHERE id IN (101, 103);
UPDATE app.noteflow_run SET status = 'running', finished_at = NULL WHERE id = 3;
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity;

-- the median run deleted; a run moved to the other page; an update that
-- changes nothing the history counts
DELETE FROM app.noteflow_run
WHERE id = (SELECT median_low_run FROM analytics.page_history_summary WHERE page_id = 1);
UPDATE app.noteflow_run SET notebook_page_id = 2 WHERE id = 104;
UPDATE app.noteflow_run SET estimated_duration = 1 WHERE notebook_page_id = 1;
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity;

-- a trigger on the summary table: the upkeep locks and writes the row with
-- SQL, which fires it, where it writes a plain table directly
-- (src/features/append.c): the same summaries
CREATE TABLE public.summary_writes (page_id bigint);
CREATE FUNCTION public.count_summary_write() RETURNS trigger LANGUAGE plpgsql
AS $$BEGIN INSERT INTO public.summary_writes VALUES (NEW.page_id); RETURN NEW; END$$;
CREATE TRIGGER count_writes BEFORE UPDATE ON analytics.page_history_summary
	FOR EACH ROW EXECUTE FUNCTION public.count_summary_write();
UPDATE app.noteflow_run SET status = 'success', finished_at = started_at + interval '4 seconds'
WHERE id = 114;
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity,
	   (SELECT array_agg(page_id) FROM public.summary_writes) AS written_by_sql;
DROP TRIGGER count_writes ON analytics.page_history_summary;
DROP FUNCTION public.count_summary_write();
DROP TABLE public.summary_writes;

-- ties: equal durations, and zero-duration runs that finish at the instant a
-- run starts (not in that run's history: they started with it)
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
SELECT 300 + g, 2, 1, 'success', '2025-04-01 12:00', '2025-04-01 12:00', '2025-04-01 12:00'
FROM generate_series(1, 5) g;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
SELECT 310 + g, 2, 1, 'success', '2025-04-01 11:00', '2025-04-01 11:00', '2025-04-01 11:00:05'
FROM generate_series(1, 6) g;
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity;

-- a run that finishes in a transaction that rolls back leaves no trace
CREATE TEMP TABLE before AS SELECT * FROM analytics.page_history_summary;
BEGIN;
UPDATE app.noteflow_run SET status = 'success', finished_at = started_at + interval '1 hour'
WHERE status IN ('pending', 'running');
DELETE FROM app.noteflow_run WHERE id = 1;
SELECT pg_temp.summary_mismatches() AS mismatches_inside;
ROLLBACK;
SELECT count(*) AS changed FROM (SELECT * FROM analytics.page_history_summary EXCEPT SELECT * FROM before) x;

-- the serving reads take the summary: a summary tampered with shows in
-- durpred.page_features (and not in the SQL definition)
BEGIN;
UPDATE analytics.page_history_summary SET failed_runs = failed_runs + 1 WHERE page_id = 1;
SELECT (durpred.page_features(1, now())).historical_failure_rate
	   > (analytics.features_as_of(1, now())).historical_failure_rate AS summary_read;
ROLLBACK;

-- an incomplete or missing summary: the runs are read in full, the
-- triggers leave it alone, and a rebuild makes it complete and equal
UPDATE analytics.page_history_summary SET complete = false, runs = 0 WHERE page_id = 1;
DELETE FROM analytics.page_history_summary WHERE page_id = 2;
SELECT pg_temp.parity_mismatches() AS parity;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(400, 1, 1, 'success', '2025-05-01 08:00', '2025-05-01 08:00', '2025-05-01 08:01'),
	(401, 2, 1, 'success', '2025-05-01 08:00', '2025-05-01 08:00', '2025-05-01 08:02');
SELECT page_id, complete, runs FROM analytics.page_history_summary WHERE page_id IN (1, 2) ORDER BY page_id;
SELECT pg_temp.parity_mismatches() AS parity;
SELECT durpred.page_history_rebuild(1) AS page_1_runs;
CALL analytics.rebuild_page_history();
SELECT pg_temp.summary_mismatches() AS mismatches, pg_temp.parity_mismatches() AS parity;
-- every page again, committing after each
CALL analytics.rebuild_page_history(batch => 1, every_page => true);
SELECT pg_temp.summary_mismatches() AS mismatches;

-- a long history changed at random, one statement at a time: 1,500 runs,
-- then 300 finishes, corrections, deletions and moves
SELECT setseed(0.16);
INSERT INTO app.notebook_page VALUES (4, 1, 'long');
INSERT INTO app.block VALUES (3, 4, 'code', 1);
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
SELECT 1000 + g, 4, 1, CASE WHEN random() < 0.1 THEN 'failed' ELSE 'success' END, s, s,
	   s + (random() * 120)::int * interval '0.5 second'
FROM generate_series(1, 1500) g,
	 LATERAL (SELECT timestamptz '2025-06-01' + g * interval '5 minutes' AS s) x;
DO $$
DECLARE
	r float8;
	run bigint;
BEGIN
	FOR i IN 1 .. 300 LOOP
		r := random();
		run := 1000 + 1 + (random() * 1499)::int;
		IF r < 0.3 THEN
			INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
			VALUES (5000 + i, 4, 1, 'success', '2025-07-01', '2025-07-01',
					timestamptz '2025-07-01' + (random() * 60)::int * interval '1 second');
		ELSIF r < 0.55 THEN
			UPDATE app.noteflow_run SET finished_at = started_at + (random() * 90)::int * interval '1 second'
			WHERE id = run;
		ELSIF r < 0.7 THEN
			UPDATE app.noteflow_run SET status = CASE status WHEN 'failed' THEN 'success' ELSE 'failed' END
			WHERE id = run;
		ELSIF r < 0.85 THEN
			DELETE FROM app.noteflow_run WHERE id = run;
		ELSE
			UPDATE app.noteflow_run SET notebook_page_id = CASE notebook_page_id WHEN 4 THEN 1 ELSE 4 END
			WHERE id = run;
		END IF;
	END LOOP;
END
$$;
SELECT pg_temp.summary_mismatches() AS mismatches;
SELECT count(*) AS instants,
	   count(*) FILTER (WHERE durpred.page_features(4, t) IS DISTINCT FROM analytics.features_as_of(4, t)) AS differ
FROM (SELECT started_at AS t FROM app.noteflow_run WHERE notebook_page_id = 4 AND id % 10 = 0
	  UNION ALL
	  -- near the end of the history: the summary less a short tail
	  (SELECT finished_at + d FROM app.noteflow_run, (VALUES (interval '0'), (interval '-1 microsecond')) d(d)
	   WHERE notebook_page_id = 4 ORDER BY finished_at DESC LIMIT 100)
	  UNION ALL SELECT now()) i;

-- emptied runs, then pages
TRUNCATE app.noteflow_run;
SELECT count(*) AS pages, count(*) FILTER (WHERE complete AND runs = 0 AND median_low_us IS NULL) AS empty
FROM analytics.page_history_summary;
SELECT pg_temp.summary_mismatches() AS mismatches;
DELETE FROM app.block WHERE notebook_page_id = 3;
DELETE FROM app.notebook_page WHERE id = 3;
SELECT count(*) AS summaries FROM analytics.page_history_summary;

-- the writers need no rights on the summary: the triggers write it as the
-- owner of the app tables
CREATE ROLE regress_summary_writer;
GRANT USAGE ON SCHEMA app TO regress_summary_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON app.noteflow_run TO regress_summary_writer;
SET ROLE regress_summary_writer;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(9001, 1, 1, 'success', '2025-08-01', '2025-08-01', '2025-08-01 00:00:42');
RESET ROLE;
SELECT has_schema_privilege('regress_summary_writer', 'analytics', 'USAGE') AS writer_sees_analytics;
SELECT runs, sum_us FROM analytics.page_history_summary WHERE page_id = 1;
DELETE FROM app.noteflow_run WHERE id = 9001;
REVOKE ALL ON app.noteflow_run FROM regress_summary_writer;
REVOKE ALL ON SCHEMA app FROM regress_summary_writer;
DROP ROLE regress_summary_writer;

-- misuse
\set ON_ERROR_STOP 0
SELECT durpred.page_history_maintain();
\echo :SQLSTATE
CREATE TABLE pg_temp.t (id int);
CREATE TRIGGER t AFTER INSERT ON pg_temp.t FOR EACH ROW EXECUTE FUNCTION durpred.page_history_maintain('runs');
INSERT INTO pg_temp.t VALUES (1);
\echo :SQLSTATE
DROP TRIGGER t ON pg_temp.t;
CREATE TRIGGER t AFTER INSERT ON pg_temp.t FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('other');
INSERT INTO pg_temp.t VALUES (1);
\echo :SQLSTATE
SELECT has_function_privilege('public', 'durpred.page_history_maintain()', 'EXECUTE') AS public_may_attach;
CALL analytics.rebuild_page_history(batch => 0);
\echo :SQLSTATE
DROP TABLE pg_temp.t;
-- without the duration index: a rebuild fails; a write goes on, with a
-- WARNING, and the page's summary is incomplete (its history read in full)
BEGIN;
DROP INDEX app.noteflow_run_page_duration_idx;
SELECT durpred.page_history_rebuild(1);
\echo :SQLSTATE
ROLLBACK;
BEGIN;
DROP INDEX app.noteflow_run_page_duration_idx;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(9002, 1, 1, 'success', '2025-08-01', '2025-08-01', '2025-08-01 00:00:42');
SELECT complete, runs FROM analytics.page_history_summary WHERE page_id = 1;
SELECT durpred.page_features(1, now()) = analytics.features_as_of(1, now()) AS same;
ROLLBACK;
-- without the summary table: writes go on, reads take the runs
BEGIN;
DROP TABLE analytics.page_history_summary CASCADE;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(9003, 1, 1, 'success', '2025-08-01', '2025-08-01', '2025-08-01 00:00:42');
SELECT durpred.page_features(1, now()) = analytics.features_as_of(1, now()) AS same;
ROLLBACK;
SELECT durpred.run_duration_us('2025-01-01 00:00:01', '2025-01-01') AS one_second,
	   durpred.run_duration_us('2025-01-01', '2025-01-01 00:00:01') AS finished_before_start,
	   durpred.run_duration_us('infinity', '2025-01-01') AS infinite,
	   durpred.run_duration_us('294276-12-31', '4713-01-01 BC') AS out_of_range;
\set ON_ERROR_STOP 1

RESET TimeZone;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred;

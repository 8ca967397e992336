-- extract/serving.sql
--
-- Serving against the production tables: the trigger that stamps every
-- pending or running run with its estimated duration and completion, the
-- scored queue, and the accuracy of past estimates.  Needs the objects of
-- extract/features.sql; re-runnable (also after a model change: nothing
-- here depends on a particular model).
--
--   psql -v ON_ERROR_STOP=1 -f extract/serving.sql
--
-- Objects:
--   trigger estimate_completion on app.noteflow_run
--   analytics.run_estimate          which model made each run's estimate
--   analytics.pending_run_estimates the queue, scored, soonest first
--   analytics.prediction_accuracy   estimates against outcomes, by week and model

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- An extension created before 0.4.0 lacks durpred.estimate_completion().
\set durpred_needs 'durpred.estimate_completion()'
\set durpred_script extract/serving.sql
\ir require_extension.sql
-- sets durpred_citus: the app tables are distributed by Citus
\ir detect_citus.sql

BEGIN;

:durpred_ddl_on;
-- Every estimate the trigger made, with the model that made it, so that
-- accuracy can be told apart by model version.  An append-only log: a run
-- estimated at creation and again at its start has two rows, and an
-- estimate made for a row that was not written after all (INSERT ... ON
-- CONFLICT DO NOTHING) leaves one that nothing joins.  The accuracy view
-- takes, for each run, the newest entry that carries the run's estimate.
-- Rows of deleted runs stay until removed; extract/demo_data.sql empties
-- the log with the runs.
CREATE TABLE IF NOT EXISTS analytics.run_estimate (
	run_id bigint NOT NULL,
	model_id bigint NOT NULL,
	estimated_duration float8 NOT NULL,
	estimated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
-- Before 0.4.0 the log kept one row per run, model and estimate: its key
-- made the plpgsql trigger update estimated_at where the C trigger appends.
ALTER TABLE analytics.run_estimate DROP CONSTRAINT IF EXISTS run_estimate_pkey;
-- Since 0.5.0 each estimate's 80 % prediction interval, in seconds (NULL
-- for a model without interval data); the trigger writes them where the
-- log has the columns.
ALTER TABLE analytics.run_estimate ADD COLUMN IF NOT EXISTS interval_low float8,
	ADD COLUMN IF NOT EXISTS interval_high float8;
CREATE INDEX IF NOT EXISTS run_estimate_run_idx ON analytics.run_estimate (run_id, estimated_at);

-- On Citus the log lives with the runs: distributed by the run's page,
-- co-located with app.noteflow_run, so that the trigger, which fires on a
-- shard of the runs, writes the page's shard of the log (src/features/trigger.c).
\if :durpred_citus
ALTER TABLE analytics.run_estimate ADD COLUMN IF NOT EXISTS page_id bigint;
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
				   WHERE logicalrelid OPERATOR(pg_catalog.=) 'analytics.run_estimate'::pg_catalog.regclass) THEN
		-- rows logged before: their runs' pages
		UPDATE analytics.run_estimate l SET page_id = r.notebook_page_id
		FROM app.noteflow_run r WHERE r.id = l.run_id AND l.page_id IS NULL;
		DELETE FROM analytics.run_estimate WHERE page_id IS NULL;
		PERFORM pg_catalog.create_distributed_table('analytics.run_estimate', 'page_id',
													colocate_with => 'app.noteflow_run');
	END IF;
END
$$;
\endif

COMMENT ON TABLE analytics.run_estimate IS
'every estimate made by the estimate_completion trigger: run, model, estimate, its 80 % prediction interval (interval_low, interval_high; NULL for a model without interval data), when';

-- The trigger: durpred.estimate_completion() (src/features/trigger.c), in C because
-- it runs for every new run, and a plpgsql trigger spent more in its own
-- machinery than in the estimate.  Its features are those of
-- analytics.page_features(), the definition the training set uses, as of
-- the run's start (its creation when it has not started), read directly
-- through the tables' indexes; where the tables cannot be read directly
-- (views in their place, row-level security, no index on the page), its
-- second argument computes them.  Its first argument is the log.  Scoring
-- never makes the write fail: any error leaves both columns NULL, a
-- WARNING says why, and the row is written.  Other columns are not
-- touched.  It reads and writes as the owner of app.noteflow_run, so the
-- application needs only its rights on that table.  Its third argument is
-- the log of the shadow model's estimates (extract/lifecycle.sql).
-- It has no WHEN clause: the function skips a row that is not queued
-- itself (src/features/trigger.c), and a trigger's condition is read from
-- its stored form and prepared again at every statement, which costs a
-- single-row insert more than the function's own check (`make bench`).
DROP TRIGGER IF EXISTS estimate_completion ON app.noteflow_run;
CREATE TRIGGER estimate_completion
	BEFORE INSERT OR UPDATE OF status, started_at ON app.noteflow_run
	FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion('analytics.run_estimate', 'analytics.page_features',
												 'analytics.shadow_estimate');
-- the plpgsql trigger function of earlier versions of this script
DROP FUNCTION IF EXISTS analytics.estimate_completion();
:durpred_ddl_off;

-- What the owner of app.noteflow_run needs for the trigger, where it lacks
-- it (the owner of all these objects needs nothing).
DO $$
DECLARE
	owner name := (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
				   WHERE c.oid OPERATOR(pg_catalog.=) 'app.noteflow_run'::pg_catalog.regclass);
BEGIN
	IF NOT pg_catalog.has_schema_privilege(owner, 'analytics', 'USAGE') THEN
		EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA analytics TO %I', owner);
	END IF;
	IF NOT pg_catalog.has_table_privilege(owner, 'analytics.run_estimate', 'INSERT') THEN
		EXECUTE pg_catalog.format('GRANT INSERT ON analytics.run_estimate TO %I', owner);
	END IF;
	IF NOT pg_catalog.has_function_privilege(owner, 'analytics.page_features(bigint, timestamptz)', 'EXECUTE') THEN
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION analytics.page_features(bigint, timestamptz) TO %I', owner);
	END IF;
END
$$;

-- The queue, scored now with the current model: every pending or running
-- run, its estimate, category and estimated completion, soonest first
-- (analytics.queued_run_estimates, extract/features.sql).  Runs on a page
-- that cannot be scored have no estimate, and runs whose completion is not
-- a finite timestamp (an infinite start or creation, a completion beyond
-- 294276 AD: listed in analytics.excluded_runs) no completion; both come
-- last.
CREATE OR REPLACE VIEW analytics.pending_run_estimates AS
SELECT e.run_id,
	   e.page_id,
	   e.workspace_id,
	   e.status,
	   e.created_at,
	   e.started_at,
	   e.estimated_duration,
	   durpred.duration_category(e.estimated_duration) AS duration_category,
	   e.estimated_completion_at,
	   e.model_id,
	   e.interval_low,
	   e.interval_high,
	   e.earliest_completion_at,
	   e.latest_completion_at
FROM analytics.queued_run_estimates e
ORDER BY e.estimated_completion_at NULLS LAST, e.run_id;

COMMENT ON VIEW analytics.pending_run_estimates IS
'every pending or running run scored with the current model: estimate, category, estimated completion (NULL where it is not a finite timestamp), the estimate''s 80 % prediction interval and the earliest and latest likely completion it gives (NULL for a model without interval data); soonest first';

-- Estimates against outcomes: the runs with an outcome
-- (analytics.run_outcomes, whose duration the models are trained on) that
-- carry an estimate, by week of their finish (UTC, weeks start on Monday)
-- and by the model that made the estimate (NULL when unknown: an estimate
-- not written by the trigger).  Errors are estimate minus actual: bias > 0
-- means estimates too long.
-- On Citus: the same rows.  Each run's estimate, outcome and model are
-- found where the runs are (the joins and the newest estimate per run
-- follow the distribution column), gathered on the coordinator (OFFSET 0
-- makes Citus run that part first), and summed there in run order, as
-- below, so that the sums of floats come to the same bits as on a single
-- server, whatever the shards.  The two forms read the log differently
-- (the Citus log has the page's column to join on) and spell the same
-- columns and aggregates: keep each in sync with the other (the \else
-- branch below; test/t/140_citus.pl compares their rows).
\if :durpred_citus
CREATE OR REPLACE VIEW analytics.prediction_accuracy AS
SELECT a.week,
	   a.model_id,
	   m.name AS model_name,
	   m.version AS model_version,
	   count(*) AS runs,
	   avg(abs(a.estimated_duration - a.duration_seconds) ORDER BY a.run_id) AS mae,
	   sqrt(avg((a.estimated_duration - a.duration_seconds) ^ 2 ORDER BY a.run_id)) AS rmse,
	   avg(a.estimated_duration - a.duration_seconds ORDER BY a.run_id) AS bias,
	   avg((durpred.duration_category(a.duration_seconds)
			= durpred.duration_category(a.estimated_duration))::int::float8 ORDER BY a.run_id) AS category_agreement,
	   avg((a.finished_at > a.estimated_completion_at)::int::float8 ORDER BY a.run_id) AS late_share,
	   count(a.interval_low) AS interval_runs,
	   avg(CASE WHEN a.interval_low IS NOT NULL
			   THEN (a.duration_seconds BETWEEN a.interval_low AND a.interval_high)::int::float8
		   END ORDER BY a.run_id) AS interval_coverage,
	   avg(a.interval_high - a.interval_low ORDER BY a.run_id) AS interval_mean_width
FROM (SELECT pg_catalog.date_trunc('week', o.finished_at AT TIME ZONE 'UTC')::date AS week,
			 e.model_id, r.id AS run_id, r.estimated_duration, r.estimated_completion_at,
			 o.duration_seconds, o.finished_at, e.interval_low, e.interval_high
	  FROM analytics.run_outcomes o
	  JOIN app.noteflow_run r ON r.notebook_page_id = o.page_id AND r.id = o.run_id
	  -- the newest logged estimate equal to the run's
	  LEFT JOIN (SELECT DISTINCT ON (l.page_id, l.run_id, l.estimated_duration)
						l.page_id, l.run_id, l.estimated_duration, l.model_id,
						l.interval_low, l.interval_high
				 FROM analytics.run_estimate l
				 ORDER BY l.page_id, l.run_id, l.estimated_duration, l.estimated_at DESC, l.model_id DESC) e
		ON e.page_id = r.notebook_page_id AND e.run_id = r.id AND e.estimated_duration = r.estimated_duration
	  WHERE r.estimated_duration >= 0
		AND r.estimated_duration < 'Infinity'::float8
	  OFFSET 0) a
LEFT JOIN durpred.models m ON m.id = a.model_id
GROUP BY 1, 2, 3, 4
ORDER BY a.week, a.model_id;
\else
-- the single-server form: keep its columns and aggregates in sync with the
-- Citus form above
CREATE OR REPLACE VIEW analytics.prediction_accuracy AS
SELECT pg_catalog.date_trunc('week', o.finished_at AT TIME ZONE 'UTC')::date AS week,
	   e.model_id,
	   m.name AS model_name,
	   m.version AS model_version,
	   count(*) AS runs,
	   -- the sums of floats in run order: the same bits whatever the plan
	   -- (and on Citus, above)
	   avg(abs(r.estimated_duration - o.duration_seconds) ORDER BY r.id) AS mae,
	   sqrt(avg((r.estimated_duration - o.duration_seconds) ^ 2 ORDER BY r.id)) AS rmse,
	   avg(r.estimated_duration - o.duration_seconds ORDER BY r.id) AS bias,
	   avg((durpred.duration_category(o.duration_seconds)
			= durpred.duration_category(r.estimated_duration))::int::float8 ORDER BY r.id) AS category_agreement,
	   avg((o.finished_at > r.estimated_completion_at)::int::float8 ORDER BY r.id) AS late_share,
	   -- the logged 80 % intervals: how many, the share of actual durations
	   -- inside (bounds included), the mean width in seconds
	   count(e.interval_low) AS interval_runs,
	   avg(CASE WHEN e.interval_low IS NOT NULL
			   THEN (o.duration_seconds BETWEEN e.interval_low AND e.interval_high)::int::float8
		   END ORDER BY r.id) AS interval_coverage,
	   avg(e.interval_high - e.interval_low ORDER BY r.id) AS interval_mean_width
FROM analytics.run_outcomes o
JOIN app.noteflow_run r ON r.id = o.run_id
-- the newest logged estimate equal to the run's
LEFT JOIN LATERAL (
	SELECT l.model_id, l.interval_low, l.interval_high
	FROM analytics.run_estimate l
	WHERE l.run_id = r.id AND l.estimated_duration = r.estimated_duration
	ORDER BY l.estimated_at DESC, l.model_id DESC
	LIMIT 1) e ON true
LEFT JOIN durpred.models m ON m.id = e.model_id
-- an estimate not written by the trigger may be anything: only a finite,
-- non-negative one is an estimate of a duration
WHERE r.estimated_duration >= 0
  AND r.estimated_duration < 'Infinity'::float8
GROUP BY 1, 2, 3, 4
ORDER BY week, e.model_id;

\endif

COMMENT ON VIEW analytics.prediction_accuracy IS
'estimates against outcomes by week and model: runs, MAE, RMSE, bias (mean error), category agreement, share finished later than estimated, and of the logged 80 % prediction intervals: runs, realised coverage, mean width';

COMMIT;

-- the model's life after training: drift and health (issue 18)
\ir lifecycle.sql

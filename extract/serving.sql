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

-- An extension created before 0.3.0 lacks durpred.page_features().
\set durpred_needs 'durpred.page_features(bigint, timestamptz)'
\set durpred_script extract/serving.sql
\ir require_extension.sql

BEGIN;

-- Every estimate the trigger made, with the model that made it, so that
-- accuracy can be told apart by model version.  A log: a run estimated at
-- creation and again at its start has two rows, and an estimate made for a
-- row that was not written after all (INSERT ... ON CONFLICT DO NOTHING)
-- leaves one that nothing joins.  The accuracy view takes, for each run, the
-- newest entry that carries the run's estimate.  Rows of deleted runs stay
-- until removed; extract/demo_data.sql empties the log with the runs.
CREATE TABLE IF NOT EXISTS analytics.run_estimate (
	run_id bigint NOT NULL,
	model_id bigint NOT NULL,
	estimated_duration float8 NOT NULL,
	estimated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	PRIMARY KEY (run_id, estimated_duration, model_id)
);

COMMENT ON TABLE analytics.run_estimate IS
'every estimate made by the estimate_completion trigger: run, model, estimate, when';

-- The trigger function.  The features are those of analytics.page_features(),
-- the definition the training set uses, as of the run's start (its creation
-- when it has not started).  durpred.page_features() computes them by
-- reading the app tables through their indexes: run by the executor, the
-- SQL definition costs more than the insert itself.  Where the tables
-- cannot be read directly (views in their place, row-level security, no
-- index on the page: error 0A000), the SQL definition computes them, in the
-- one query it is inlined into, planned once per session.
-- predict_with_model() gives the estimate and the model that made it in one
-- call, or NULL when no model is active.  Scoring never makes the write
-- fail: any error leaves both columns NULL, a WARNING says why, and the row
-- is written.  Only the scoring runs in the exception blocks, which write
-- nothing, so that a bulk insert does not use a subtransaction id per row
-- (the direct reads take one block, the SQL definition a second); the log
-- is written after them.  Other columns are not touched.  SECURITY
-- DEFINER: the application needs only its rights on app.noteflow_run, not
-- on the analytics objects.
CREATE OR REPLACE FUNCTION analytics.estimate_completion()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	as_of timestamptz := COALESCE(NEW.started_at, NEW.created_at);
	predicted float8;
	model bigint;
BEGIN
	NEW.estimated_duration := NULL;
	NEW.estimated_completion_at := NULL;
	BEGIN
		-- no features (a page that cannot be scored, see
		-- analytics.excluded_runs) or no active model: no estimate
		SELECT e.predicted_duration, e.model_id INTO predicted, model
		FROM durpred.predict_with_model(durpred.page_features(NEW.notebook_page_id, as_of)) e;
	EXCEPTION
		WHEN feature_not_supported THEN
			-- the app tables cannot be read directly: the SQL definition
			BEGIN
				SELECT e.predicted_duration, e.model_id INTO predicted, model
				FROM analytics.page_features(NEW.notebook_page_id, as_of) f
				CROSS JOIN LATERAL durpred.predict_with_model(f) e;
			EXCEPTION
				WHEN OTHERS THEN
					RAISE WARNING 'durpred: no estimate for run %: %', NEW.id, SQLERRM;
					predicted := NULL;
			END;
		WHEN OTHERS THEN
			RAISE WARNING 'durpred: no estimate for run %: %', NEW.id, SQLERRM;
			predicted := NULL;
	END;
	IF predicted IS NOT NULL THEN
		INSERT INTO analytics.run_estimate AS e (run_id, model_id, estimated_duration)
		VALUES (NEW.id, model, predicted)
		ON CONFLICT (run_id, estimated_duration, model_id) DO UPDATE
			SET estimated_at = EXCLUDED.estimated_at;
		NEW.estimated_duration := predicted;
		NEW.estimated_completion_at := as_of + predicted * interval '1 second';
	END IF;
	RETURN NEW;
END
$$;

COMMENT ON FUNCTION analytics.estimate_completion() IS
'trigger function: sets estimated_duration and estimated_completion_at of a pending or running run; never makes the write fail';

DROP TRIGGER IF EXISTS estimate_completion ON app.noteflow_run;
CREATE TRIGGER estimate_completion
	BEFORE INSERT OR UPDATE OF status, started_at ON app.noteflow_run
	FOR EACH ROW
	WHEN (NEW.status IN ('pending', 'running'))
	EXECUTE FUNCTION analytics.estimate_completion();

-- The queue, scored now with the current model: every pending or running
-- run, its estimate, category and estimated completion, soonest first.
-- Runs on a page that cannot be scored have no estimate and come last.
CREATE OR REPLACE VIEW analytics.pending_run_estimates AS
SELECT r.id AS run_id,
	   r.notebook_page_id AS page_id,
	   r.workspace_id,
	   r.status,
	   r.created_at,
	   r.started_at,
	   (e.p).predicted_duration AS estimated_duration,
	   durpred.duration_category((e.p).predicted_duration) AS duration_category,
	   COALESCE(r.started_at, r.created_at)
		   + (e.p).predicted_duration * interval '1 second' AS estimated_completion_at,
	   (e.p).model_id
FROM app.noteflow_run r
-- no features for a page that cannot be scored: no estimate; OFFSET 0 keeps
-- the planner from calling the function once per output field
LEFT JOIN LATERAL (
	SELECT durpred.predict_with_model(f) AS p
	FROM analytics.page_features(r.notebook_page_id, COALESCE(r.started_at, r.created_at)) f
	OFFSET 0) e ON true
WHERE r.status IN ('pending', 'running')
ORDER BY estimated_completion_at NULLS LAST, r.id;

COMMENT ON VIEW analytics.pending_run_estimates IS
'every pending or running run scored with the current model: estimate, category, estimated completion; soonest first';

-- Estimates against outcomes: finished runs that carry an estimate, by week
-- of their finish (UTC, weeks start on Monday) and by the model that made
-- the estimate (NULL when unknown: an estimate not written by the trigger).
-- Errors are estimate minus actual: bias > 0 means estimates too long.
CREATE OR REPLACE VIEW analytics.prediction_accuracy AS
SELECT pg_catalog.date_trunc('week', r.finished_at AT TIME ZONE 'UTC')::date AS week,
	   e.model_id,
	   m.name AS model_name,
	   m.version AS model_version,
	   count(*) AS runs,
	   avg(abs(r.estimated_duration - a.actual)) AS mae,
	   sqrt(avg((r.estimated_duration - a.actual) ^ 2)) AS rmse,
	   avg(r.estimated_duration - a.actual) AS bias,
	   avg((durpred.duration_category(a.actual)
			= durpred.duration_category(r.estimated_duration))::int::float8) AS category_agreement,
	   avg((r.finished_at > r.estimated_completion_at)::int::float8) AS late_share
FROM app.noteflow_run r
CROSS JOIN LATERAL (SELECT EXTRACT(epoch FROM r.finished_at - r.started_at)::float8 AS actual) a
-- the newest logged estimate equal to the run's
LEFT JOIN LATERAL (
	SELECT l.model_id
	FROM analytics.run_estimate l
	WHERE l.run_id = r.id AND l.estimated_duration = r.estimated_duration
	ORDER BY l.estimated_at DESC, l.model_id DESC
	LIMIT 1) e ON true
LEFT JOIN durpred.models m ON m.id = e.model_id
WHERE r.status IN ('success', 'failed', 'cancelled')
  AND r.started_at IS NOT NULL
  AND r.finished_at >= r.started_at
  -- an estimate not written by the trigger may be anything: only a finite,
  -- non-negative one is an estimate of a duration
  AND r.estimated_duration >= 0
  AND r.estimated_duration < 'Infinity'::float8
GROUP BY 1, 2, 3, 4
ORDER BY week, e.model_id;

COMMENT ON VIEW analytics.prediction_accuracy IS
'estimates against outcomes by week and model: runs, MAE, RMSE, bias (mean error), category agreement, share finished later than estimated';

COMMIT;

-- scripts/demo_serving.sql: the serving part of `make demo`, after the
-- model is installed and extract/serving.sql has run.
--
-- Estimates the runs queued before the trigger was installed, inserts five
-- new runs (the trigger stamps them), shows the scored queue,
-- the model's info, then lets the queued runs finish and shows the accuracy
-- of their estimates.  The runs "finish" with a duration drawn from the
-- earlier runs of their own page: the outcomes owe nothing to the model.

\set ON_ERROR_STOP 1
\pset footer off

SELECT setseed(0.5) AS seeded \gset

-- the runs already queued: naming status in an UPDATE fires the trigger
UPDATE app.noteflow_run SET status = status WHERE status IN ('pending', 'running');

-- five new runs of busy pages, created now
INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at)
SELECT p.id, p.workspace_id, 'pending', now()
FROM app.notebook_page p
ORDER BY (SELECT count(*) FROM app.noteflow_run r WHERE r.notebook_page_id = p.id) DESC, p.id
LIMIT 5;

SELECT r.id AS run_id, r.notebook_page_id AS page, r.status,
	   round(r.estimated_duration::numeric, 2) AS estimated_seconds,
	   durpred.duration_category(r.estimated_duration) AS category,
	   to_char(r.estimated_completion_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS completes_at_utc
FROM app.noteflow_run r
WHERE r.created_at >= now() - interval '1 minute'
ORDER BY r.id;

\echo
\echo 'The queue, scored now (analytics.pending_run_estimates), soonest first:'
\echo '(80 % sure to complete between earliest and latest)'
SELECT run_id, page_id AS page, status,
	   round(estimated_duration::numeric, 2) AS estimated_seconds, duration_category AS category,
	   round(interval_low::numeric, 1) || ' - ' || round(interval_high::numeric, 1) AS interval_80,
	   to_char(earliest_completion_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS earliest_utc,
	   to_char(estimated_completion_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS completes_at_utc,
	   to_char(latest_completion_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS latest_utc
FROM analytics.pending_run_estimates
LIMIT 10;
SELECT count(*) AS queued_runs, count(estimated_duration) AS estimated
FROM analytics.pending_run_estimates;

\echo
\echo 'The active model (durpred.model_info(), as the reference service''s /info):'
SELECT key, CASE WHEN jsonb_typeof(value) = 'object' THEN left(value::text, 100) || '...' ELSE value::text END AS value
FROM jsonb_each(durpred.model_info())
WHERE key IN ('id', 'name', 'version', 'model_type', 'n_features', 'num_boost_round', 'metrics', 'params')
ORDER BY key;
SELECT durpred.model_loaded() AS healthy;

\echo
\echo 'The queued runs start (the trigger re-estimates them) and finish:'
UPDATE app.noteflow_run SET status = 'running', started_at = created_at + interval '2 seconds'
WHERE status = 'pending';
UPDATE app.noteflow_run r
SET status = CASE WHEN h.failed THEN 'failed' ELSE 'success' END,
	finished_at = r.started_at + make_interval(secs => h.d)
FROM (SELECT q.id, x.d, x.failed
	  FROM app.noteflow_run q
	  CROSS JOIN LATERAL (
		  SELECT extract(epoch FROM p.finished_at - p.started_at)::float8 AS d, p.status = 'failed' AS failed
		  FROM app.noteflow_run p
		  WHERE p.notebook_page_id = q.notebook_page_id AND p.finished_at IS NOT NULL
			AND p.finished_at > p.started_at
		  ORDER BY random() LIMIT 1) x
	  WHERE q.status = 'running') h
WHERE r.id = h.id;

\echo
\echo 'Accuracy of the estimates (analytics.prediction_accuracy):'
SELECT week, model_name AS model, model_version AS version, runs,
	   round(mae::numeric, 2) AS mae, round(rmse::numeric, 2) AS rmse,
	   round(bias::numeric, 2) AS bias, round(category_agreement::numeric, 3) AS category_agreement,
	   round(late_share::numeric, 3) AS late_share,
	   round(interval_coverage::numeric, 3) AS interval_coverage_80,
	   round(interval_mean_width::numeric, 1) AS interval_mean_width
FROM analytics.prediction_accuracy;

\echo
\echo 'The test split''s calibration table (durpred.model_info() -> intervals -> test):'
\echo 'nominal against realised coverage per level, overall and per predicted category'
SELECT coalesce(c.key, 'all') AS predicted_category,
	   (coalesce(c.value, i.t -> 'overall') ->> 'runs')::int AS test_runs,
	   round(l.nominal::numeric, 2) AS nominal,
	   round(((coalesce(c.value, i.t -> 'overall') -> 'coverage') ->> (l.n - 1)::int)::numeric, 3) AS realised,
	   round(((coalesce(c.value, i.t -> 'overall') -> 'mean_width') ->> (l.n - 1)::int)::numeric, 1) AS mean_width_s
FROM (SELECT durpred.model_info() -> 'intervals' -> 'test' AS t) i
CROSS JOIN LATERAL (SELECT NULL::text AS key, NULL::jsonb AS value
					UNION ALL SELECT * FROM jsonb_each(i.t -> 'by_predicted_category')) c
CROSS JOIN LATERAL jsonb_array_elements_text(durpred.model_info() -> 'intervals' -> 'levels')
	WITH ORDINALITY AS l(nominal, n)
WHERE (coalesce(c.value, i.t -> 'overall') ->> 'runs')::int > 0
ORDER BY c.key IS NOT NULL, array_position(enum_range(NULL::durpred.duration_category)::text[], c.key), l.n;
SELECT round((t -> 'interval_score' ->> 'model')::numeric, 2) AS interval_score_80,
	   round((t -> 'interval_score' ->> 'constant_width')::numeric, 2) AS constant_width_baseline,
	   round(100 * (t -> 'interval_score' ->> 'gain')::numeric, 1) AS gain_percent
FROM (SELECT durpred.model_info() -> 'intervals' -> 'test' AS t) i;

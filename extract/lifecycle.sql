-- extract/lifecycle.sql
--
-- The model's life after training (issue 18): is the active model still
-- fit for the runs it serves?  Included by extract/serving.sql; re-runnable.
--
-- Objects:
--   analytics.shadow_estimate       the shadow model's estimates beside the
--                                   active model's (the trigger's log)
--   analytics.shadow_comparison     active against shadow on the same
--                                   finished runs, by week and pair
--   analytics.psi(spec, values)     population stability index of values
--                                   against a training distribution
--   analytics.feature_drift(since)  each feature's PSI, recent runs against
--                                   the active model's training split
--   analytics.model_health          one row: the active model's age, drift,
--                                   recent accuracy, status and reasons
--
-- durpred.check_health() (the extension) reads analytics.model_health,
-- warns and notifies when its status is not ok; pg_cron can call it
-- every few minutes (README, "The model's life after training").

-- An extension older than 0.5.0 lacks the shadow model and check_health().
\set durpred_needs 'durpred.check_health()'
\set durpred_script extract/lifecycle.sql
\ir require_extension.sql

BEGIN;

-- The serving trigger's third argument (extract/serving.sql): while a
-- shadow model is set (durpred.set_shadow_model), every estimate the
-- trigger makes gets a row here with the shadow model's estimate of the
-- same features; the run's row only ever gets the active model's.  An
-- append-only log, as analytics.run_estimate: a run estimated at creation
-- and again at its start has two rows.
CREATE TABLE IF NOT EXISTS analytics.shadow_estimate (
	run_id bigint NOT NULL,
	active_model_id bigint NOT NULL,
	active_estimate float8 NOT NULL,
	shadow_model_id bigint NOT NULL,
	shadow_estimate float8 NOT NULL,
	estimated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- No index: each would add to every insert's cost.  A plain table gets
-- its rows without the executor (src/features/append.c).

COMMENT ON TABLE analytics.shadow_estimate IS
'every estimate of the shadow model made by the estimate_completion trigger, beside the active model''s: run, both models, both estimates, when';

-- the owner of app.noteflow_run writes the log (as for analytics.run_estimate)
DO $$
DECLARE
	owner name := (SELECT pg_get_userbyid(c.relowner) FROM pg_class c
				   WHERE c.oid = 'app.noteflow_run'::regclass);
BEGIN
	IF NOT has_table_privilege(owner, 'analytics.shadow_estimate', 'INSERT') THEN
		EXECUTE format('GRANT INSERT ON analytics.shadow_estimate TO %I', owner);
	END IF;
END
$$;

-- Active against shadow on the same finished runs (analytics.run_outcomes),
-- by week of their finish (UTC, weeks start on Monday) and pair of models:
-- for each run and pair the newest logged pair of estimates (the one made
-- as of the run's start, when it was estimated twice).  Errors are
-- estimate minus actual; shadow_closer is the share of runs where the
-- shadow's error was smaller (ties count as not closer).
CREATE OR REPLACE VIEW analytics.shadow_comparison AS
SELECT date_trunc('week', o.finished_at AT TIME ZONE 'UTC')::date AS week,
	   s.active_model_id,
	   s.shadow_model_id,
	   count(*) AS runs,
	   avg(abs(s.active_estimate - o.duration_seconds)) AS active_mae,
	   avg(abs(s.shadow_estimate - o.duration_seconds)) AS shadow_mae,
	   sqrt(avg((s.active_estimate - o.duration_seconds) ^ 2)) AS active_rmse,
	   sqrt(avg((s.shadow_estimate - o.duration_seconds) ^ 2)) AS shadow_rmse,
	   avg(s.active_estimate - o.duration_seconds) AS active_bias,
	   avg(s.shadow_estimate - o.duration_seconds) AS shadow_bias,
	   avg((abs(s.shadow_estimate - o.duration_seconds)
			< abs(s.active_estimate - o.duration_seconds))::int::float8) AS shadow_closer
FROM (SELECT DISTINCT ON (l.run_id, l.active_model_id, l.shadow_model_id) l.*
	  FROM analytics.shadow_estimate l
	  ORDER BY l.run_id, l.active_model_id, l.shadow_model_id, l.estimated_at DESC) s
JOIN analytics.run_outcomes o ON o.run_id = s.run_id
GROUP BY 1, 2, 3
ORDER BY week, s.active_model_id, s.shadow_model_id;

COMMENT ON VIEW analytics.shadow_comparison IS
'active against shadow model on the same finished runs, by week and pair: runs, MAE, RMSE and bias of each, share of runs where the shadow was closer';

-- The population stability index of values against a distribution that
-- durpred-train stored with the model (model_info.json,
-- "training_distribution"; src/trainer/drift.c): bins bounded by the
-- training deciles, a value v in bin width_bucket(v, edges) (keep in sync
-- with drift.c), NULL in a bin of its own;
--   PSI = sum over bins of (actual - expected) * ln(actual / expected),
-- each share at least 0.0001, so that an empty bin counts without being
-- infinite.  Under 0.1 is the usual reading of "no change", 0.1 to 0.25
-- "some", above 0.25 "a shift".  NULL for no values.
CREATE OR REPLACE FUNCTION analytics.psi(spec jsonb, vals float8[])
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH edges AS (
		SELECT COALESCE(array_agg(e.value::float8 ORDER BY e.ord), '{}') AS a
		FROM jsonb_array_elements_text(spec -> 'edges') WITH ORDINALITY AS e(value, ord)
	), actual AS (
		SELECT CASE WHEN v IS NULL THEN -1
					WHEN cardinality(edges.a) = 0 THEN 0
					ELSE width_bucket(v, edges.a) END AS bin,
			   count(*)::float8 / cardinality(vals) AS share
		FROM unnest(vals) AS v, edges
		GROUP BY 1
	), expected AS (
		SELECT -1 AS bin, COALESCE((spec ->> 'missing')::float8, 0) AS share
		UNION ALL
		SELECT b, COALESCE((spec -> 'shares' ->> b)::float8, 0)
				  * (1 - COALESCE((spec ->> 'missing')::float8, 0))
		FROM edges, generate_series(0, cardinality(edges.a)) AS b
	)
	SELECT sum((a - e) * ln(a / e))
	FROM (SELECT greatest(COALESCE(actual.share, 0), 0.0001) AS a,
				 greatest(expected.share, 0.0001) AS e
		  FROM expected LEFT JOIN actual USING (bin)) s
	WHERE cardinality(vals) > 0
$$;

COMMENT ON FUNCTION analytics.psi(jsonb, float8[]) IS
'population stability index of values against a training distribution {"edges", "shares", "missing"} stored by durpred-train; NULL for no values';

-- Each feature's drift: the runs created in the last `since` (their
-- features as of their start, as the trigger computes them; runs on a
-- page that cannot be scored are left out) against the active model's
-- training split.  Two features move by construction and are reported
-- with status 'expected', never 'warn' or 'alert': month (a week of runs
-- has one or two months, a year of training data twelve) and
-- historical_run_count (every page's history only grows, so recent runs
-- always count more earlier runs than the training rows did).  The
-- timing features need a window of a week or more to be comparable (a
-- day's runs have one day_of_week).  Fewer than 50 runs give no verdict
-- (status 'too few runs', or 'no runs'): their PSI is mostly noise.  No rows without an active model, or
-- when it carries no training distribution (a model not trained by
-- durpred-train 0.5.0 or later).
CREATE OR REPLACE FUNCTION analytics.feature_drift(since interval DEFAULT '7 days')
RETURNS TABLE (feature text, psi float8, status text, runs bigint,
			   missing_share float8, training_missing_share float8, model_id bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH model AS (
		SELECT m.id, durpred.model_info(m.id) -> 'training_distribution' -> 'features' AS dist
		FROM durpred.models m
		WHERE m.active
	), recent AS (
		SELECT to_jsonb(f) AS f
		FROM app.noteflow_run n
		JOIN analytics.run_as_of r ON r.run_id = n.id
		CROSS JOIN LATERAL analytics.serving_page_features(r.page_id, r.as_of) f
		WHERE n.created_at >= now() - since
	), vals AS (
		SELECT d.key AS feature, d.value AS spec, model.id,
			   array_agg(CASE jsonb_typeof(recent.f -> d.key)
							 WHEN 'number' THEN (recent.f ->> d.key)::float8
							 WHEN 'boolean' THEN (recent.f ->> d.key)::bool::int::float8
						 END) FILTER (WHERE recent.f IS NOT NULL) AS v
		FROM model
		CROSS JOIN LATERAL jsonb_each(model.dist) d
		LEFT JOIN recent ON true
		WHERE jsonb_typeof(model.dist) = 'object'
		GROUP BY d.key, d.value, model.id
	)
	SELECT vals.feature,
		   analytics.psi(vals.spec, COALESCE(vals.v, '{}')) AS psi,
		   CASE WHEN vals.feature IN ('month', 'historical_run_count') THEN 'expected'
				WHEN COALESCE(cardinality(vals.v), 0) = 0 THEN 'no runs'
				WHEN cardinality(vals.v) < 50 THEN 'too few runs'
				WHEN analytics.psi(vals.spec, vals.v) >= 0.25 THEN 'alert'
				WHEN analytics.psi(vals.spec, vals.v) >= 0.1 THEN 'warn'
				ELSE 'ok' END AS status,
		   COALESCE(cardinality(vals.v), 0)::bigint AS runs,
		   (SELECT avg((x IS NULL)::int) FROM unnest(vals.v) x) AS missing_share,
		   (vals.spec ->> 'missing')::float8 AS training_missing_share,
		   vals.id AS model_id
	FROM vals
	ORDER BY psi DESC NULLS LAST, vals.feature
$$;

COMMENT ON FUNCTION analytics.feature_drift(interval) IS
'each feature''s population stability index between the active model''s training split and the runs created in the last since (default 7 days): ok under 0.1, warn to 0.25, alert above; month and historical_run_count move by construction (expected)';

-- The active model's health, as of now, over the last 7 days:
--   alert  no active model; a feature's PSI above 0.25; the recent MAE
--          (finished runs estimated by this model) above 1.5 times its
--          test MAE, over 30 runs or more;
--   warn   a feature's PSI above 0.1; the recent MAE above 1.2 times the
--          test MAE; the predictions' PSI (50 or more logged estimates
--          against the training predictions) above 0.25; no training
--          distribution;
--          training data that ended more than 90 days ago;
--   ok     otherwise.
CREATE OR REPLACE FUNCTION analytics.model_health_as_of(since interval DEFAULT '7 days')
RETURNS TABLE (model_id bigint, model_name text, model_version integer,
			   installed_at timestamptz, age interval, data_window_end timestamptz,
			   runs_since_window bigint, recent_runs bigint, recent_finished bigint,
			   recent_mae float8, test_mae float8, max_psi float8, max_psi_feature text,
			   prediction_psi float8, status text, reasons text[], checked_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	info jsonb;
	d record;
	why_alert text[] := '{}';
	why_warn text[] := '{}';
BEGIN
	checked_at := now();
	SELECT x.id, x.name, x.version, x.created_at INTO m FROM durpred.models x WHERE x.active;
	IF NOT FOUND THEN
		status := 'alert';
		reasons := ARRAY['no active model'];
		RETURN NEXT;
		RETURN;
	END IF;
	info := durpred.model_info(m.id);
	model_id := m.id;
	model_name := m.name;
	model_version := m.version;
	installed_at := m.created_at;
	age := checked_at - m.created_at;
	data_window_end := CASE WHEN jsonb_typeof(info -> 'data' -> 'started_at_max') = 'string'
							THEN (info -> 'data' ->> 'started_at_max')::timestamptz END;
	IF data_window_end IS NOT NULL THEN
		SELECT count(*) INTO runs_since_window FROM app.noteflow_run r
		WHERE r.created_at > data_window_end;
		IF checked_at - data_window_end > interval '90 days' THEN
			why_warn := why_warn || format('the training data ended %s days ago',
										   extract(day FROM checked_at - data_window_end));
		END IF;
	END IF;
	SELECT count(*) INTO recent_runs FROM app.noteflow_run r WHERE r.created_at >= checked_at - since;
	test_mae := CASE WHEN jsonb_typeof(info -> 'metrics' -> 'test_mae') = 'number'
					 THEN (info -> 'metrics' ->> 'test_mae')::float8 END;

	-- finished runs of the window that carry this model's estimate
	SELECT count(*), avg(abs(r.estimated_duration - o.duration_seconds))
	INTO recent_finished, recent_mae
	FROM analytics.run_outcomes o
	JOIN app.noteflow_run r ON r.id = o.run_id
	WHERE o.finished_at >= checked_at - since
	  AND r.estimated_duration IS NOT NULL
	  AND EXISTS (SELECT FROM analytics.run_estimate l
				  WHERE l.run_id = r.id AND l.model_id = m.id
					AND l.estimated_duration = r.estimated_duration);
	IF test_mae > 0 AND recent_finished >= 30 THEN
		IF recent_mae > 1.5 * test_mae THEN
			why_alert := why_alert || format('recent MAE %s is %s times the test MAE %s (%s runs)',
											 round(recent_mae::numeric, 2),
											 round((recent_mae / test_mae)::numeric, 2),
											 round(test_mae::numeric, 2), recent_finished);
		ELSIF recent_mae > 1.2 * test_mae THEN
			why_warn := why_warn || format('recent MAE %s is %s times the test MAE %s (%s runs)',
										   round(recent_mae::numeric, 2),
										   round((recent_mae / test_mae)::numeric, 2),
										   round(test_mae::numeric, 2), recent_finished);
		END IF;
	END IF;

	IF jsonb_typeof(info -> 'training_distribution') IS DISTINCT FROM 'object' THEN
		why_warn := why_warn || 'the model has no training distribution: drift is not measured'::text;
	ELSE
		FOR d IN SELECT * FROM analytics.feature_drift(since) f
				 WHERE f.status IN ('ok', 'warn', 'alert') ORDER BY f.psi DESC LOOP
			IF max_psi IS NULL THEN
				max_psi := d.psi;
				max_psi_feature := d.feature;
			END IF;
			IF d.status = 'alert' THEN
				why_alert := why_alert || format('%s drifted: PSI %s', d.feature, round(d.psi::numeric, 3));
			ELSIF d.status = 'warn' THEN
				why_warn := why_warn || format('%s drifted: PSI %s', d.feature, round(d.psi::numeric, 3));
			END IF;
		END LOOP;
		SELECT CASE WHEN count(*) >= 50
					THEN analytics.psi(info -> 'training_distribution' -> 'prediction',
									   array_agg(l.estimated_duration)) END
		INTO prediction_psi
		FROM analytics.run_estimate l
		WHERE l.model_id = m.id AND l.estimated_at >= checked_at - since;
		IF prediction_psi > 0.25 THEN
			why_warn := why_warn || format('the estimates drifted: PSI %s', round(prediction_psi::numeric, 3));
		END IF;
	END IF;

	reasons := why_alert || why_warn;
	status := CASE WHEN cardinality(why_alert) > 0 THEN 'alert'
				   WHEN cardinality(why_warn) > 0 THEN 'warn'
				   ELSE 'ok' END;
	RETURN NEXT;
END
$$;

COMMENT ON FUNCTION analytics.model_health_as_of(interval) IS
'the active model''s health over the last since: age, runs since its data window, recent MAE against its test MAE, the largest feature PSI, the estimates'' PSI, status (ok, warn, alert) and reasons';

CREATE OR REPLACE VIEW analytics.model_health AS
SELECT * FROM analytics.model_health_as_of('7 days');

COMMENT ON VIEW analytics.model_health IS
'one row: the active model''s health over the last 7 days (analytics.model_health_as_of): status ok, warn or alert, and the reasons';

COMMIT;

-- test/sql/explain.sql: explain_duration in its three forms, predict_json's
-- top factors, feature_importance; their errors and labels
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql
\set VERBOSITY default

-- no model: 55000, as predict_duration
SELECT * FROM durpred.explain_duration(sql_blocks => 1);
SELECT * FROM durpred.explain_duration('{}'::jsonb);
SELECT x.* FROM (SELECT 1 AS sql_blocks) f, durpred.explain_duration(f) x;
SELECT durpred.predict_json('{}', explain => true);
SELECT * FROM durpred.feature_importance();

-- the tiny model with covers and gains (its own are all 1 and 0):
--   root: sql_blocks < 2.5 (cover 10, gain 5; missing right) -> node 1 (cover
--   6) or leaf 100 (cover 4); node 1: historical_avg_duration < 30 (gain 2;
--   missing left) -> leaf 10 (cover 3) or leaf 20 (cover 3).
-- Expected values: node 1 (10 + 20) / 2 = 15, root (15 * 6 + 100 * 4) / 10
-- = 49, so the base value is 0.5 + 49 = 49.5.  For sql_blocks 1 and
-- historical_avg_duration 5 (prediction 10.5): v({}) = 49, v({sql}) = 15,
-- v({avg}) = 0.6 * 10 + 0.4 * 100 = 46, v({sql, avg}) = 10, so sql_blocks
-- contributes ((15 - 49) + (10 - 46)) / 2 = -35 and the average
-- ((46 - 49) + (10 - 15)) / 2 = -4.
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(
	jsonb_set(jsonb_set((SELECT j FROM tiny),
		'{learner,gradient_booster,model,trees,0,sum_hessian}', '[10, 6, 4, 3, 3]'),
		'{learner,gradient_booster,model,trees,0,loss_changes}', '[5, 2, 0, 0, 0]')),
	'{"mean_abs_shap": {"sql_blocks": 30.25, "historical_avg_duration": "n/a"}}', true) AS id \gset

SELECT feature, value, round(contribution::numeric, 9) AS contribution
FROM durpred.explain_duration(sql_blocks => 1, historical_avg_duration => 5);
-- the record and jsonb forms give the same rows
SELECT feature, value, round(contribution::numeric, 9) AS contribution
FROM (SELECT 1 AS sql_blocks, 5 AS historical_avg_duration, 'ignored' AS note) f,
	 durpred.explain_duration(f);
SELECT feature, value, round(contribution::numeric, 9) AS contribution
FROM durpred.explain_duration('{"sql_blocks": 1, "historical_avg_duration": 5}'::jsonb);
-- missing values follow the default branch, and show as NULL
SELECT feature, value, round(contribution::numeric, 9) AS contribution
FROM durpred.explain_duration(sql_blocks => NULL, historical_avg_duration => NULL);
-- NULL rows and requests explain nothing
SELECT count(*) FROM durpred.explain_duration(NULL::durpred.features);
SELECT count(*) FROM durpred.explain_duration(NULL::jsonb);

-- in LATERAL, over a table: the contributions and the base value add up to
-- the prediction (the margin, for this identity-link model)
CREATE TEMP TABLE runs (run_id int, sql_blocks int2, historical_avg_duration float4);
INSERT INTO runs VALUES (1, 1, 5), (2, 1, 50), (3, 1, NULL), (4, 7, 1), (5, NULL, NULL), (6, 2, 30);
SELECT r.run_id, durpred.predict_duration(r) AS prediction,
	   round(sum(x.contribution)::numeric, 9) AS total,
	   string_agg(x.feature || '=' || round(x.contribution::numeric, 3), ', ') AS factors
FROM runs r
CROSS JOIN LATERAL durpred.explain_duration(r) x
GROUP BY r.run_id, r
ORDER BY r.run_id;

-- predict_json: explain adds top_factors (the contributions, in seconds);
-- without it, or explain => false, the response is as before
SELECT durpred.predict_json('{"sql_blocks": 1, "historical_avg_duration": 5}', explain => true);
SELECT durpred.predict_json('{"sql_blocks": 1, "historical_avg_duration": 5}', true)
	 = durpred.predict_json('{"sql_blocks": 1, "historical_avg_duration": 5}', explain => true) AS positional;
SELECT durpred.predict_json('{"sql_blocks": 3}');
SELECT durpred.predict_json('{"sql_blocks": 3}', explain => false) = durpred.predict_json('{"sql_blocks": 3}') AS same;
SELECT durpred.predict_json(request => '{"sql_blocks": 3}') = durpred.predict_json('{"sql_blocks": 3}') AS named;
SELECT durpred.predict_json(NULL, explain => true) IS NULL AS null_gives_null;
SELECT durpred.predict_json('{"sql_blocks": 3}', explain => NULL);

-- a log-link model (gamma): the margin is the log of the prediction; the
-- top factors are scaled into seconds that add up to the prediction less
-- exp(base value)
SELECT durpred.install_model('tiny_gamma', pg_temp.tiny_bytes(
	jsonb_set(jsonb_set(jsonb_set((SELECT j FROM tiny),
		'{learner,gradient_booster,model,trees,0,sum_hessian}', '[10, 6, 4, 3, 3]'),
		'{learner,gradient_booster,model,trees,0,split_conditions}', '[2.5, 30, 1.0, 0.25, 0.5]'),
		'{learner,objective}', '{"name": "reg:gamma"}'))) AS gamma_id \gset
SET durpred.model = 'tiny_gamma';
SELECT feature, value, round(contribution::numeric, 9) AS contribution
FROM durpred.explain_duration(sql_blocks => 1, historical_avg_duration => 5);
SELECT round(exp(sum(contribution))::numeric, 4) AS exp_margin,
	   round(durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5)::numeric, 4) AS prediction
FROM durpred.explain_duration(sql_blocks => 1, historical_avg_duration => 5);
SELECT r -> 'predicted_duration' AS predicted,
	   r -> 'top_factors' AS top_factors,
	   round((SELECT sum((f ->> 'seconds')::numeric) FROM jsonb_array_elements(r -> 'top_factors') f)
			 + exp(b.contribution)::numeric, 2) AS factors_plus_exp_base
FROM durpred.predict_json('{"sql_blocks": 1, "historical_avg_duration": 5}', explain => true) r,
	 durpred.explain_duration(sql_blocks => 1, historical_avg_duration => 5) b
WHERE b.feature = 'base_value';
RESET durpred.model;

-- feature_importance: get_score's figures, the trainer's mean |SHAP| when
-- the model's info has a number for the feature
SELECT * FROM durpred.feature_importance();
SELECT * FROM durpred.feature_importance(:id);
SELECT feature, weight, gain, total_gain, cover, total_cover, mean_abs_shap
FROM durpred.feature_importance(:gamma_id);
SELECT * FROM durpred.feature_importance(-1);

-- bad input: the errors of predict_duration
SELECT * FROM durpred.explain_duration(sql_blocks => -1);
SELECT * FROM durpred.explain_duration(historical_avg_duration => 'NaN');
SELECT x.* FROM (SELECT 'three' AS sql_blocks) f, durpred.explain_duration(f) x;
SELECT x.* FROM (SELECT 2.5 AS sql_blocks) f, durpred.explain_duration(f) x;
SELECT * FROM durpred.explain_duration('{"sql_blocks": 1, "sql_block": 2}'::jsonb);
SELECT * FROM durpred.explain_duration('[1]'::jsonb);
SELECT durpred.predict_json('{"sql_blocks": -1}', explain => true);
SET durpred.model = 'no such model';
SELECT * FROM durpred.explain_duration();
SELECT * FROM durpred.feature_importance();
RESET durpred.model;

-- a model whose splits have no cover cannot be explained (it still scores)
SELECT durpred.install_model('no_cover', pg_temp.tiny_bytes(
	jsonb_set((SELECT j FROM tiny),
		'{learner,gradient_booster,model,trees,0,sum_hessian}', '[0, 0, 0, 0, 0]'))) IS NOT NULL AS installed;
SET durpred.model = 'no_cover';
SELECT durpred.predict_duration(sql_blocks => 1) AS still_scores;
SELECT * FROM durpred.explain_duration(sql_blocks => 1);
RESET durpred.model;

-- everyone may explain; the model bytes stay the owner's
CREATE ROLE durpred_explain_reader;
SET ROLE durpred_explain_reader;
SELECT count(*) FROM durpred.explain_duration(sql_blocks => 1);
SELECT feature, weight FROM durpred.feature_importance();
SELECT * FROM durpred.tree_importance('\x00');
RESET ROLE;
DROP ROLE durpred_explain_reader;

-- labels: STABLE PARALLEL SAFE, not STRICT (NULL is a missing value), one
-- predict_json
SELECT p.oid::regprocedure::text AS function, p.provolatile, p.proisstrict, p.proparallel,
	   p.proretset, p.prosecdef
FROM pg_proc p
WHERE p.pronamespace = 'durpred'::regnamespace
  AND p.proname IN ('explain_duration', 'predict_json', 'feature_importance', 'tree_importance')
ORDER BY 1;
SELECT pg_get_function_arguments('durpred.predict_json'::regproc) AS predict_json_arguments;

DROP EXTENSION durpred;

-- test/sql/predict.sql: the three forms of predict_duration, predict_json
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS id;

-- named arguments: NULL is missing and follows the split's default
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5) AS left_left,
       durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 50) AS left_right,
       durpred.predict_duration(sql_blocks => 1, historical_avg_duration => NULL) AS missing_goes_left,
       durpred.predict_duration(sql_blocks => 3) AS right,
       durpred.predict_duration(sql_blocks => NULL) AS missing_goes_right;
-- the defaults: block counts 0, everything else missing
SELECT durpred.predict_duration() AS all_defaults;
-- thresholds compare in float32: x < 2.5 goes left, 2.5 goes right
SELECT durpred.predict_duration(sql_blocks => 2) AS below, durpred.predict_duration(sql_blocks => 2, historical_avg_duration => 29.999999) AS below_30,
       durpred.predict_duration(sql_blocks => 2, historical_avg_duration => 30) AS at_30;
-- a value that rounds to the threshold in float32 counts as the threshold
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 29.9999999999) AS rounds_to_30;

-- the record form: fields matched by name, extra fields ignored, absent
-- ones defaulted, any numeric type accepted
SELECT durpred.predict_duration(ROW(1, 5.0)::record) AS anonymous_row_has_no_names;
SELECT durpred.predict_duration(f)
FROM (SELECT 1 AS sql_blocks, 50.0::numeric AS historical_avg_duration, 'ignored' AS comment) AS f;
SELECT durpred.predict_duration(f)
FROM (SELECT 4::int8 AS sql_blocks) AS f;
CREATE TEMP TABLE runs (run_id int, sql_blocks int2, historical_avg_duration float4, note text);
INSERT INTO runs VALUES (1, 1, 5, 'a'), (2, 1, 50, 'b'), (3, 1, NULL, 'c'), (4, 7, 1, 'd'), (5, NULL, NULL, 'e');
SELECT run_id, durpred.predict_duration(r) FROM runs r ORDER BY run_id;
SELECT durpred.predict_duration(NULL::durpred.features) IS NULL AS null_row_gives_null;
-- a durpred.features value built from named arguments
SELECT durpred.predict_duration(ROW(NULL, NULL, NULL, NULL, NULL, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, NULL, NULL, NULL)::durpred.features);

-- jsonb: the reference service's request body
SELECT durpred.predict_duration('{"sql_blocks": 1, "historical_avg_duration": 5}'::jsonb) AS a,
       durpred.predict_duration('{"sql_blocks": 1, "historical_avg_duration": null}'::jsonb) AS b,
       durpred.predict_duration('{}'::jsonb) AS empty,
       durpred.predict_duration('{"is_weekend": true, "is_business_hours": 0}'::jsonb) AS booleans,
       durpred.predict_duration(NULL::jsonb) IS NULL AS null_gives_null;
SELECT durpred.predict_json('{"sql_blocks": 1, "historical_avg_duration": 50}');
SELECT durpred.predict_json('{"sql_blocks": 7}');

-- jsonb defaults come from the model's info when it has them
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(),
       '{"defaults": {"sql_blocks": 1, "historical_avg_duration": 50}}', true) AS id;
SELECT durpred.predict_duration('{}'::jsonb) AS model_defaults,
       durpred.predict_duration('{"historical_avg_duration": 5}'::jsonb) AS one_given,
       durpred.predict_duration('{"historical_avg_duration": null}'::jsonb) AS null_is_missing;
-- the other forms keep their own defaults
SELECT durpred.predict_duration() AS named_defaults;

-- the prediction is clamped at 0, as the reference service does
SELECT durpred.install_model('negative',
       pg_temp.tiny_bytes(jsonb_set((SELECT j FROM tiny), '{learner,learner_model_param,base_score}', '"-5E2"')),
       NULL, true) AS id;
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5) AS clamped;
SELECT durpred.predict_json('{"sql_blocks": 1}');

-- durpred.model scores with a named model instead of the active one
SELECT durpred.current_model_id();
SET durpred.model = 'tiny';
SELECT durpred.current_model_id(), durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5);
SELECT durpred.model_info() ->> 'name' AS name, durpred.model_info() ->> 'version' AS version;
RESET durpred.model;
SELECT durpred.current_model_id(), durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5);
BEGIN;
SET LOCAL durpred.model = 'tiny';
SELECT durpred.current_model_id();
ROLLBACK;
SELECT durpred.current_model_id();

-- predict_with_model: the prediction and the model that made it
SELECT p.* FROM (SELECT 1 AS sql_blocks, 5 AS historical_avg_duration) f,
     durpred.predict_with_model(f) p;
SELECT (durpred.predict_with_model(r)).* FROM runs r WHERE run_id = 1;

-- XGBoost's own predictor gives the same answers, row by row
SELECT durpred.activate_model(1);
CREATE TEMP TABLE grid AS
SELECT s::int AS sql_blocks, a AS historical_avg_duration
FROM generate_series(0, 4) s, unnest(ARRAY[NULL, 0, 29.99, 30, 30.01, 1e9]::float8[]) a;
CREATE TEMP TABLE compiled AS SELECT g.*, durpred.predict_duration(g) AS p FROM grid g;
SET durpred.evaluator = xgboost;
SELECT count(*) AS rows, count(*) FILTER (WHERE durpred.predict_duration(c) IS DISTINCT FROM c.p) AS different
FROM compiled c;
RESET durpred.evaluator;

-- labels: STABLE PARALLEL SAFE, not STRICT
SELECT p.oid::regprocedure::text AS function, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE p.pronamespace = 'durpred'::regnamespace
  AND p.proname IN ('predict_duration', 'predict_json', 'predict_with_model')
ORDER BY 1;

DROP EXTENSION durpred;

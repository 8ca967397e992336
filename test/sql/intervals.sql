-- test/sql/intervals.sql: durpred.predict_interval in its three forms, the
-- interval section of a model's info (info.intervals) and its validation,
-- predict_json's prediction_interval, model_info's flag
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql

-- a calibration table as durpred-train writes it: two groups of runs by
-- historical_run_count (below 10, and 10 or more); in the first, two bins
-- (estimates up to 50 s, and above), in the second one; log ratios for the
-- levels 0.5, 0.8, 0.9, 0.95
CREATE TEMP TABLE iv (j jsonb);
INSERT INTO iv VALUES ('{
  "method": "log-ratio-quantiles", "format": 2, "offset": 1,
  "levels": [0.5, 0.8, 0.9, 0.95], "calibration_rows": 900,
  "group_by": "historical_run_count",
  "groups": [
    {"below": 10, "rows": 600, "bins": [
      {"upper": 50, "rows": 300, "low": [-0.2, -0.5, -0.7, -0.9], "high": [0.2, 0.5, 0.8, 1.2]},
      {"upper": null, "rows": 300, "low": [0.1, 0.05, -0.3, -0.6], "high": [0.3, 0.6, 0.9, 1.5]}]},
    {"below": null, "rows": 300, "bins": [
      {"upper": null, "rows": 300, "low": [-0.1, -0.2, -0.3, -0.4], "high": [0.1, 0.2, 0.3, 0.4]}]}],
  "test": {"overall": {"runs": 10}}}');

-- a model without interval data: estimates, NULL bounds, and model_info says so
SELECT durpred.install_model('plain', pg_temp.tiny_bytes(), NULL, true) AS plain_id \gset
SELECT (durpred.model_info())->'has_prediction_intervals' AS plain_has_intervals;
SELECT * FROM durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5);
SELECT durpred.predict_json('{"sql_blocks": 1}') ? 'prediction_interval' AS plain_json_has_interval;

-- a model with interval data
SELECT durpred.install_model('calibrated', pg_temp.tiny_bytes(),
							 jsonb_build_object('intervals', (SELECT j FROM iv)), true) AS calibrated_id \gset
SELECT (durpred.model_info())->'has_prediction_intervals' AS has_intervals,
	   (durpred.model_info())->'intervals'->'levels' AS levels;
-- every level: 10.5 s falls in the first bin, 100.5 s in the second, whose
-- 0.5 and 0.8 lows are above the estimate (clamped to it)
SELECT c AS coverage, round(i.low::numeric, 4) AS low, i.estimate, round(i.high::numeric, 4) AS high
FROM unnest(ARRAY[0.5, 0.8, 0.9, 0.95]) c,
	 durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5, coverage => c) i
ORDER BY c;
SELECT c AS coverage, round(i.low::numeric, 4) AS low, i.estimate, round(i.high::numeric, 4) AS high
FROM unnest(ARRAY[0.5, 0.8, 0.9, 0.95]) c,
	 durpred.predict_interval(sql_blocks => 3, coverage => c) i
ORDER BY c;
-- the formula: low = (estimate + 1) e^lo - 1, high = (estimate + 1) e^hi - 1
SELECT abs(i.low - (11.5 * exp(-0.5) - 1)) < 1e-12 AS low_formula,
	   abs(i.high - (11.5 * exp(0.5) - 1)) < 1e-12 AS high_formula
FROM durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5) i;
-- the bin boundary is inclusive: 50 is in the first bin
SELECT (durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 50)).high
	   = 21.5 * exp(0.5) - 1 AS upper_inclusive_first_bin;
-- the group's bound is exclusive: 9 earlier runs are in the first group, 10
-- in the second; a missing count (JSON null) counts as 0
SELECT h AS historical_run_count, abs(i.high - (11.5 * exp(CASE WHEN h < 10 THEN 0.5 ELSE 0.2 END) - 1)) < 1e-12 AS group_high
FROM unnest(ARRAY[0, 9, 10, 1000]) h,
	 durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5, historical_run_count => h) i
ORDER BY h;
SELECT durpred.predict_interval('{"sql_blocks": 1, "historical_avg_duration": 5, "historical_run_count": null}'::jsonb)
	   = durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5) AS missing_count_first_group,
	   durpred.predict_interval('{"sql_blocks": 1, "historical_avg_duration": 5, "historical_run_count": 12}'::jsonb)
	   = durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5, historical_run_count => 12) AS jsonb_second_group;

-- the three forms agree, and their estimate is predict_duration's, bit for bit
CREATE TEMP TABLE runs (run_id int, sql_blocks int2, historical_avg_duration float4, note text);
INSERT INTO runs VALUES (1, 1, 5, 'a'), (2, 1, 50, 'b'), (3, 1, NULL, 'c'), (4, 7, 1, 'd'), (5, NULL, NULL, 'e');
SELECT r.run_id,
	   (durpred.predict_interval(r)).estimate = durpred.predict_duration(r) AS record_estimate,
	   durpred.predict_interval(r) = durpred.predict_interval(sql_blocks => r.sql_blocks,
															  historical_avg_duration => r.historical_avg_duration) AS record_named,
	   durpred.predict_interval(r, 0.9) = durpred.predict_interval(jsonb_build_object('sql_blocks', r.sql_blocks,
																					'historical_avg_duration', r.historical_avg_duration), 0.9) AS record_jsonb,
	   (durpred.predict_interval(jsonb_build_object('sql_blocks', r.sql_blocks))).estimate
		   = durpred.predict_duration(jsonb_build_object('sql_blocks', r.sql_blocks)) AS jsonb_estimate,
	   (durpred.predict_interval(sql_blocks => r.sql_blocks)).estimate
		   = durpred.predict_duration(sql_blocks => r.sql_blocks) AS named_estimate
FROM runs r ORDER BY r.run_id;
-- 0 <= low <= estimate <= high, and wider levels contain narrower ones
SELECT bool_and(0 <= i.low AND i.low <= i.estimate AND i.estimate <= i.high) AS ordered
FROM generate_series(0, 4) b, generate_series(0, 120, 7) a,
	 unnest(ARRAY[0.5, 0.8, 0.9, 0.95]) c,
	 durpred.predict_interval(sql_blocks => b, historical_avg_duration => a, coverage => c) i;
SELECT durpred.predict_interval(NULL::durpred.features) IS NULL AS null_row,
	   durpred.predict_interval(NULL::jsonb) IS NULL AS null_request;
-- predict_interval_with_model: the model's id with it
SELECT (p).model_id = :calibrated_id AS with_model_id, (p).estimate, round((p).high::numeric, 4) AS high
FROM (SELECT durpred.predict_interval_with_model(r, 0.8) AS p FROM runs r WHERE r.run_id = 1) s;

-- predict_json adds the 0.8 interval, rounded to cents as the estimate is
SELECT durpred.predict_json('{"sql_blocks": 1, "historical_avg_duration": 5}');

-- bad coverage: 22023 for anything but the four levels, NaN and NULL too
\set VERBOSITY sqlstate
SELECT durpred.predict_interval(coverage => 0.7);
SELECT durpred.predict_interval(coverage => 'NaN');
SELECT durpred.predict_interval(coverage => NULL);
SELECT durpred.predict_interval(coverage => 1);
SELECT durpred.predict_interval('{}'::jsonb, 0.81);
SELECT durpred.predict_interval(NULL::durpred.features, 'Infinity');
\set VERBOSITY default
SELECT durpred.predict_interval(coverage => 0.75);

-- a corrupt interval section is refused at install, with 22023, naming the fault
CREATE FUNCTION pg_temp.try_install(change jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM durpred.install_model('corrupt', pg_temp.tiny_bytes(),
								  jsonb_build_object('intervals', change));
	RETURN 'installed';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT what, pg_temp.try_install(change) AS result
FROM (VALUES
	('not an object', '[1]'::jsonb),
	('null', 'null'),
	('unknown method', (SELECT j || '{"method": "quantile"}' FROM iv)),
	('no method', (SELECT j - 'method' FROM iv)),
	('format 1', (SELECT j || '{"format": 1}' FROM iv)),
	('unknown member', (SELECT j || '{"bandwidth": 3}' FROM iv)),
	('negative offset', (SELECT j || '{"offset": -1}' FROM iv)),
	('offset a string', (SELECT j || '{"offset": "1"}' FROM iv)),
	('levels other', (SELECT j || '{"levels": [0.5, 0.8, 0.9, 0.99]}' FROM iv)),
	('levels short', (SELECT j || '{"levels": [0.5, 0.8, 0.9]}' FROM iv)),
	('no group_by', (SELECT j - 'group_by' FROM iv)),
	('group_by no feature', (SELECT j || '{"group_by": "page_hash"}' FROM iv)),
	('group_by a number', (SELECT j || '{"group_by": 20}' FROM iv)),
	('no groups', (SELECT j || '{"groups": []}' FROM iv)),
	('groups not an array', (SELECT j || '{"groups": {}}' FROM iv)),
	('last below not null', (SELECT jsonb_set(j, '{groups,1,below}', '20') FROM iv)),
	('inner below null', (SELECT jsonb_set(j, '{groups,0,below}', 'null') FROM iv)),
	('decreasing below', (SELECT jsonb_set(j, '{groups}', jsonb_build_array(j->'groups'->0, j->'groups'->0 || '{"below": 5}', j->'groups'->1)) FROM iv)),
	('group not an object', (SELECT jsonb_set(j, '{groups,0}', '3') FROM iv)),
	('unknown group member', (SELECT jsonb_set(j, '{groups,0,upper}', '3') FROM iv)),
	('zero group rows', (SELECT jsonb_set(j, '{groups,1,rows}', '0') FROM iv)),
	('no bins', (SELECT jsonb_set(j, '{groups,0,bins}', '[]') FROM iv)),
	('bins not an array', (SELECT jsonb_set(j, '{groups,1,bins}', '{}') FROM iv)),
	('last upper not null', (SELECT jsonb_set(j, '{groups,0,bins,1,upper}', '60') FROM iv)),
	('inner upper null', (SELECT jsonb_set(j, '{groups,0,bins,0,upper}', 'null') FROM iv)),
	('decreasing upper', (SELECT jsonb_set(j, '{groups,0,bins}', jsonb_build_array(j->'groups'->0->'bins'->0, j->'groups'->0->'bins'->0 || '{"upper": 40}', j->'groups'->0->'bins'->1)) FROM iv)),
	('low above high', (SELECT jsonb_set(j, '{groups,0,bins,0,low,0}', '0.5') FROM iv)),
	('not nested', (SELECT jsonb_set(j, '{groups,0,bins,0,high,3}', '0.6') FROM iv)),
	('three quantiles', (SELECT jsonb_set(j, '{groups,0,bins,0,low}', '[-0.2, -0.5, -0.7]') FROM iv)),
	('quantile a string', (SELECT jsonb_set(j, '{groups,0,bins,0,low,2}', '"x"') FROM iv)),
	('huge log ratio', (SELECT jsonb_set(j, '{groups,1,bins,0,high,3}', '1e300') FROM iv)),
	('bin not an object', (SELECT jsonb_set(j, '{groups,0,bins,0}', '3') FROM iv)),
	('unknown bin member', (SELECT jsonb_set(j, '{groups,0,bins,0,width}', '3') FROM iv)),
	('zero rows', (SELECT jsonb_set(j, '{groups,0,bins,0,rows}', '0') FROM iv)),
	('test not an object', (SELECT j || '{"test": 1}' FROM iv)),
	('valid', (SELECT j FROM iv))) AS t(what, change);
SELECT count(*) AS corrupt_versions_stored FROM durpred.model WHERE name = 'corrupt';

-- the interval data is part of the model version: activating the plain
-- version drops the intervals, the calibrated one brings them back; an
-- exported and reinstalled model with the same info gives the same interval
SELECT durpred.activate_model(:plain_id);
SELECT (durpred.predict_interval(sql_blocks => 1)).high IS NULL AS plain_again;
SELECT durpred.activate_model(:calibrated_id);
SELECT durpred.install_model('copy', durpred.export_model(:calibrated_id),
							 (SELECT info FROM durpred.model WHERE id = :calibrated_id), true) IS NOT NULL AS copied;
SELECT round(low::numeric, 6) AS low, estimate, round(high::numeric, 6) AS high
FROM durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5) AS copy_interval;
SELECT durpred.activate_model(:calibrated_id);
SELECT round(low::numeric, 6) AS low, estimate, round(high::numeric, 6) AS high
FROM durpred.predict_interval(sql_blocks => 1, historical_avg_duration => 5) AS original_interval;

DROP EXTENSION durpred;

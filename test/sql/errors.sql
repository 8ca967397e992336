-- test/sql/errors.sql: bad input gets a clear error with a specific SQLSTATE
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql
\set VERBOSITY default

-- no model yet: 55000, with a hint
SELECT durpred.predict_duration(sql_blocks => 1);
SELECT durpred.predict_duration('{}'::jsonb);
SELECT durpred.model_info();
SELECT durpred.current_model_id();
-- except for the serving queue's helper: no model, no estimate
SELECT durpred.predict_with_model(f) IS NULL AS no_estimate FROM (SELECT 1 AS sql_blocks) f;
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS id;

-- durpred.model naming no model: 42704
SET durpred.model = 'no such model';
SELECT durpred.predict_duration();
RESET durpred.model;
-- durpred.* names are reserved
SET durpred.no_such_setting = 1;

-- bad feature values: 22023, naming the feature
SELECT durpred.predict_duration(sql_blocks => -1);
SELECT durpred.predict_duration(historical_run_count => -5);
SELECT durpred.predict_duration(start_hour => 24);
SELECT durpred.predict_duration(day_of_week => 7);
SELECT durpred.predict_duration(month => 0);
SELECT durpred.predict_duration(historical_avg_duration => 'NaN');
SELECT durpred.predict_duration(historical_avg_duration => 'Infinity');
SELECT durpred.predict_duration(historical_avg_duration => -0.5);
SELECT durpred.predict_duration(historical_failure_rate => 1.5);

-- the record form: the same checks, and field types
SELECT durpred.predict_duration(f) FROM (SELECT -2 AS sql_blocks) f;
SELECT durpred.predict_duration(f) FROM (SELECT 2.5 AS sql_blocks) f;
SELECT durpred.predict_duration(f) FROM (SELECT 'three' AS sql_blocks) f;
SELECT durpred.predict_duration(f) FROM (SELECT true AS sql_blocks) f;
SELECT durpred.predict_duration(f) FROM (SELECT 1 AS sql_blocks, 2 AS sql_blocks) f;

-- the jsonb form: unknown keys, wrong types, not an object
SELECT durpred.predict_duration('{"sql_blocks": 1, "sql_block": 2}'::jsonb);
SELECT durpred.predict_duration('{"sql_blocks": "3"}'::jsonb);
SELECT durpred.predict_duration('{"sql_blocks": true}'::jsonb);
SELECT durpred.predict_duration('{"is_weekend": "yes"}'::jsonb);
SELECT durpred.predict_duration('{"is_weekend": 2}'::jsonb);
SELECT durpred.predict_duration('{"sql_blocks": [1]}'::jsonb);
SELECT durpred.predict_duration('{"sql_blocks": -1}'::jsonb);
SELECT durpred.predict_duration('{"sql_blocks": 1e400}'::jsonb);
SELECT durpred.predict_duration('[1, 2]'::jsonb);
SELECT durpred.predict_json('"text"');

-- registry arguments
SELECT durpred.install_model(NULL, pg_temp.tiny_bytes());
SELECT durpred.install_model('x', NULL);
SELECT durpred.install_model('x', pg_temp.tiny_bytes(), NULL, NULL);
SELECT durpred.install_model('', pg_temp.tiny_bytes());
SELECT durpred.install_model(repeat('n', 201), pg_temp.tiny_bytes());
SELECT durpred.install_model('x', pg_temp.tiny_bytes(), '[1]');
SELECT durpred.install_model('x', pg_temp.tiny_bytes(), '{"defaults": [1]}');
SELECT durpred.install_model('x', pg_temp.tiny_bytes(), '{"defaults": {"sql_blockz": 1}}');
SELECT durpred.install_model('x', pg_temp.tiny_bytes(), '{"defaults": {"sql_blocks": "one"}}');
SELECT durpred.install_model('x', pg_temp.tiny_bytes(), '{"defaults": {"month": 13}}');
SELECT durpred.activate_model(12345);
SELECT durpred.activate_model('no such model');
SELECT durpred.activate_model(NULL::bigint);
SELECT durpred.activate_model(NULL::text);
SELECT durpred.export_model(12345);
SELECT durpred.export_model(NULL);
SELECT durpred.model_changed();

-- the size cap: 54000
SET durpred.max_model_size = '1kB';
SELECT durpred.install_model('x', pg_temp.tiny_bytes());
RESET durpred.max_model_size;
-- at load too, and such a failure passes with its cause: the model loads
-- once the cap is back
SELECT durpred.install_model('capped', pg_temp.tiny_bytes()) > 0 AS installed;
SET durpred.model = 'capped';
SET durpred.max_model_size = '1kB';
SELECT durpred.predict_duration(sql_blocks => 1);
RESET durpred.max_model_size;
SELECT durpred.predict_duration(sql_blocks => 1);
RESET durpred.model;

-- bytes that are not a model: 22P03
SELECT durpred.install_model('x', ''::bytea);
SELECT durpred.install_model('x', 'not a model'::bytea);
SELECT durpred.install_model('x', '{"learner": '::bytea);
SELECT durpred.install_model('x', convert_to(repeat('{"a": ', 100) || '1' || repeat('}', 100), 'UTF8'));
SELECT durpred.install_model('x', convert_to((SELECT j::text FROM tiny) || ' {}', 'UTF8'));
SELECT durpred.install_model('x', convert_to('{"a": 1, "a": 2}', 'UTF8'));
SELECT durpred.install_model('x', convert_to('{"a": "\ud800"}', 'UTF8'));
-- XGBoost's legacy binary format (before 1.0, and up to 1.7 for a name not
-- ending in .json or .ubj): the error says what it is and how to save it
-- again.  With 1.x's magic "binf", without it (as before 1.0), and its
-- base64 form
SELECT durpred.install_model('x', '\x62696e660000003f'::bytea || decode(repeat('00', 132), 'hex')
	|| '\x1000000000000000'::bytea || convert_to('reg:squarederror', 'UTF8')
	|| '\x0600000000000000'::bytea || convert_to('gbtree', 'UTF8'));
SELECT durpred.install_model('x', '\x0000003f19000000'::bytea || decode(repeat('00', 128), 'hex')
	|| '\x0a00000000000000'::bytea || convert_to('reg:linear', 'UTF8')
	|| '\x0600000000000000'::bytea || convert_to('gbtree', 'UTF8'));
SELECT durpred.install_model('x', convert_to('bs64AAAAPxkAAAA=', 'UTF8'));
-- a single brace
SELECT durpred.install_model('x', '{'::bytea);
-- UBJSON: a length prefix far beyond the end of the input
SELECT durpred.install_model('x', '\x7b4c7fffffffffffffff'::bytea);
SELECT durpred.install_model('x', '\x7b4c00000000000000016c5b2464234c0fffffffffffffff'::bytea);

-- models that are not valid: 22023, saying where
CREATE FUNCTION pg_temp.broken(path text[], value jsonb) RETURNS bytea
LANGUAGE sql AS $$ SELECT pg_temp.tiny_bytes(jsonb_set((SELECT j FROM tiny), path, value)) $$;
SELECT durpred.install_model('x', pg_temp.tiny_text_replace('[2.5, 30.0, 100.0', '[NaN, 30.0, 100.0'));
SELECT durpred.install_model('x', pg_temp.tiny_text_replace('[2.5, 30.0, 100.0', '[2.5, 30.0, Infinity'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,split_conditions,0}', '"2.5"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,left_children}', '[1, 3, -1, -1, 7]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,left_children}', '[1, 9, -1, -1, -1]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,right_children}', '[2, 3, -1, -1, -1]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,left_children}', '[1, 0, -1, -1, -1]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,left_children}', '[3, 3, -1, -1, -1]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,split_indices}', '[2, 1, 0, 0, 0]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,split_indices}', '[0, 1, 0, 0]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,parents}', '[2147483647, 0, 0, 1, 99]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,id}', '1'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,tree_info}', '[0, 0]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,gbtree_model_param,num_trees}', '"2"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,learner_model_param,base_score}', '"abc"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,learner_model_param,num_feature}', '"3"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,feature_names}', '["sql_blocks", "sql_blocks"]'));
SELECT durpred.install_model('x', pg_temp.broken('{version}', '[1, 7]'));
-- a model naming something that is not a feature: 22023, naming it
SELECT durpred.install_model('x', pg_temp.broken('{learner,feature_names}', '["sql_blocks", "queue_length"]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,feature_names}', '["sql_blocks", "caf\u00e9\n"]'));
-- without names, a model needs the 25 features
SELECT durpred.install_model('x', pg_temp.broken('{learner,feature_names}', '[]'));

-- a model whose margin can overflow float32 (two trees whose every leaf
-- is 3e38): 22023, saying where the sum of the largest (or smallest) leaves
-- passes the largest float32
CREATE FUNCTION pg_temp.two_trees(leaves text, objective text DEFAULT 'reg:squarederror') RETURNS bytea
LANGUAGE sql AS $$
	SELECT convert_to(replace(jsonb_set(jsonb_set(jsonb_set(jsonb_set(t.j,
			'{learner,gradient_booster,model,trees}',
			jsonb_build_array(t.j #> '{learner,gradient_booster,model,trees,0}',
							  jsonb_set(t.j #> '{learner,gradient_booster,model,trees,0}', '{id}', '1'))),
			'{learner,gradient_booster,model,gbtree_model_param,num_trees}', '"2"'),
			'{learner,gradient_booster,model,tree_info}', '[0, 0]'),
			'{learner,objective,name}', to_jsonb(objective))::text,
		'[2.5, 30.0, 100.0, 10.0, 20.0]', '[2.5, 30.0, ' || leaves || ']'), 'UTF8')
	FROM tiny t
$$;
SELECT durpred.install_model('x', pg_temp.two_trees('3e38, 3e38, 3e38'));
SELECT durpred.install_model('x', pg_temp.two_trees('-3e38, 1.0, 2.0'));
SELECT durpred.install_model('x', pg_temp.two_trees('1e38, 3e38, 1e38'));
-- with a log link (gamma, Tweedie, Poisson), a model whose smallest margin
-- is beyond log(FLT_MAX) = 88.72 overflows in every prediction: 22023
SELECT durpred.install_model('x', pg_temp.two_trees('50.0, 45.0, 60.0', 'reg:gamma'));
-- one whose largest margin only is beyond it installs (the bound adds each
-- tree's largest leaf on its own, which sound models of many trees pass);
-- an input that does reach it predicts Infinity
SELECT durpred.install_model('loglink', pg_temp.two_trees('50.0, 1.0, 2.0', 'reg:gamma')) > 0 AS installed;
SET durpred.model = 'loglink';
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5) AS seconds,
	   durpred.predict_duration(sql_blocks => 3) AS beyond;
RESET durpred.model;
-- and so does one whose bound is large but finite (3e38 + 0.5 in one tree)
SELECT durpred.install_model('large', pg_temp.tiny_text_replace('[2.5, 30.0, 100.0, 10.0, 20.0]', '[2.5, 30.0, 3e38, 3e38, 3e38]')) > 0 AS installed;

-- kinds of model durpred does not serve: 0A000
SELECT durpred.install_model('x', pg_temp.broken('{learner,objective,name}', '"binary:logistic"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,name}', '"dart"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,name}', '"gblinear"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,model,trees,0,split_type}', '[1, 0, 0, 0, 0]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,feature_types}', '["c", "float"]'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,learner_model_param,num_class}', '"3"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,learner_model_param,num_target}', '"2"'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,learner_model_param,base_score}', '"[1E0,2E0]"'));

-- the bracketed base_score of newer XGBoost releases is accepted
SELECT durpred.install_model('bracketed', pg_temp.broken('{learner,learner_model_param,base_score}', '"[5E-1]"'), NULL, true) > 0 AS installed;
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5);

-- nothing above was stored, and a read-only transaction cannot install
SELECT name, version FROM durpred.models ORDER BY id;
BEGIN READ ONLY;
SELECT durpred.install_model('x', pg_temp.tiny_bytes());
ROLLBACK;

-- SQLSTATEs, for programs that handle them
\set VERBOSITY sqlstate
SELECT durpred.predict_duration(sql_blocks => -1);
SELECT durpred.predict_duration('{"nope": 1}'::jsonb);
SELECT durpred.predict_duration('{"sql_blocks": "1"}'::jsonb);
SELECT durpred.install_model('x', 'junk'::bytea);
SELECT durpred.install_model('x', '\x62696e660000003f'::bytea || decode(repeat('00', 132), 'hex')
	|| '\x1000000000000000'::bytea || convert_to('reg:squarederror', 'UTF8'));
SELECT durpred.install_model('x', pg_temp.two_trees('3e38, 3e38, 3e38'));
SELECT durpred.install_model('x', pg_temp.broken('{learner,gradient_booster,name}', '"dart"'));
SELECT durpred.activate_model(999);
\set VERBOSITY default

DROP EXTENSION durpred;

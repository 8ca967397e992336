-- test/pgtap/privileges.sql: who may score, and who may change the registry
--
-- Everyone may predict, read model_info() and durpred.models; only
-- durpred_admin members and superusers install, activate and export, and
-- nobody reads the model bytes or writes the table around the functions.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS durpred;
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql
GRANT SELECT ON tiny TO PUBLIC;

BEGIN;
SELECT plan(26);

CREATE ROLE durpred_test_user;
CREATE ROLE durpred_test_admin IN ROLE durpred_admin;
SELECT durpred.install_model('tiny', convert_to(j::text, 'UTF8'), NULL, true) FROM tiny;

SELECT has_role('durpred_admin', 'the extension created the durpred_admin role');
SELECT table_privs_are('durpred', 'model', 'public', ARRAY[]::text[],
					   'PUBLIC has no privilege on the model table');
SELECT schema_privs_are('durpred', 'public', ARRAY['USAGE'],
						'PUBLIC may use the schema (no role needs a grant of its own)');

-- an ordinary user
SET ROLE durpred_test_user;
SELECT is(durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5), 10.5::float8,
		  'a user can score');
SELECT is(durpred.predict_duration('{"sql_blocks": 3}'::jsonb), 100.5::float8,
		  'a user can score a request body');
SELECT is(durpred.model_info() ->> 'name', 'tiny', 'a user can read model_info()');
SELECT ok(durpred.model_loaded(), 'a user can run the health check');
SELECT is((SELECT count(*) FROM durpred.models), 1::bigint, 'a user can read durpred.models');
SELECT throws_ok($$SELECT model FROM durpred.model$$, '42501', NULL,
				 'a user cannot read the model bytes');
SELECT throws_ok($$SELECT durpred.export_model(1)$$, '42501', NULL,
				 'a user cannot export a model');
SELECT throws_ok($$SELECT durpred.install_model('mine', convert_to(j::text, 'UTF8')) FROM tiny$$,
				 '42501', NULL, 'a user cannot install a model');
SELECT throws_ok($$SELECT durpred.activate_model(1)$$, '42501', NULL,
				 'a user cannot activate a model by id');
SELECT throws_ok($$SELECT durpred.activate_model('tiny')$$, '42501', NULL,
				 'a user cannot activate a model by name');
SELECT throws_ok($$SELECT durpred.deactivate_model()$$, '42501', NULL,
				 'a user cannot deactivate the model');
SELECT throws_ok($$UPDATE durpred.model SET active = false$$, '42501', NULL,
				 'a user cannot write the model table');
SELECT throws_ok($$DELETE FROM durpred.model$$, '42501', NULL,
				 'a user cannot delete models');
RESET ROLE;

-- a member of durpred_admin
SET ROLE durpred_test_admin;
SELECT lives_ok($$SELECT durpred.install_model('admin_model', convert_to(j::text, 'UTF8')) FROM tiny$$,
				'an admin can install a model');
SELECT is((SELECT created_by::text FROM durpred.models WHERE name = 'admin_model'),
		  'durpred_test_admin', 'the registry records who installed it');
SELECT lives_ok($$SELECT durpred.activate_model('admin_model')$$, 'an admin can activate a model');
SELECT is(durpred.export_model((SELECT id FROM durpred.models WHERE name = 'admin_model')),
		  (SELECT convert_to(j::text, 'UTF8') FROM tiny), 'an admin can export a model');
SELECT lives_ok($$SELECT durpred.deactivate_model()$$, 'an admin can deactivate the model');
SELECT throws_ok($$SELECT model FROM durpred.model$$, '42501', NULL,
				 'an admin reads bytes only through export_model');
RESET ROLE;

-- the functions that change the registry run as their owner, safely, and
-- so do those that read a model's bytes for everyone (model_info,
-- feature_importance)
SELECT is((SELECT count(*)::int FROM pg_proc p
		   WHERE p.pronamespace = 'durpred'::regnamespace
			 AND p.proname IN ('install_model', 'activate_model', 'deactivate_model', 'export_model',
							   'model_info', 'feature_importance')
			 AND p.prosecdef
			 AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']),
		  7, 'every SECURITY DEFINER function pins its search_path');
SELECT is((SELECT count(*)::int FROM pg_proc p
		   WHERE p.pronamespace = 'durpred'::regnamespace AND p.prosecdef),
		  7, 'no other function is SECURITY DEFINER');
SELECT ok(NOT has_function_privilege('public', 'durpred.tree_importance(bytea)', 'EXECUTE'),
		  'PUBLIC cannot execute tree_importance, which reads any model bytes it is given');
SELECT ok(NOT has_function_privilege('public', 'durpred.install_model(text, bytea, jsonb, boolean)', 'EXECUTE'),
		  'PUBLIC cannot execute install_model');

SELECT * FROM finish();
ROLLBACK;

DROP EXTENSION durpred;

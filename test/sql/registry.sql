-- test/sql/registry.sql: installing, versioning, activating and exporting models
CREATE EXTENSION durpred;
\set VERBOSITY default
\i test/fixtures/tiny_model.sql

-- a fresh registry has no model
SELECT count(*) AS models FROM durpred.models;
SELECT durpred.model_loaded();

-- install: versions count up per name, ids are returned
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes()) AS id;
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes()) AS id;
SELECT durpred.install_model('other', pg_temp.tiny_bytes(), '{"metrics": {"test_rmse": 1.5}}') AS id;
SELECT id, name, version, active, n_trees, n_features, objective, format,
       size_bytes = octet_length(pg_temp.tiny_bytes()) AS size_ok, metrics,
       created_by = current_user AS by_me, sha256 = encode(sha256(pg_temp.tiny_bytes()), 'hex') AS sha_ok
FROM durpred.models ORDER BY id;

-- nothing is active until asked
SELECT durpred.model_loaded();
SELECT durpred.activate_model(2);
SELECT id, active FROM durpred.models ORDER BY id;
SELECT durpred.model_loaded();

-- by name: the newest version
SELECT durpred.activate_model('tiny');
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS id;
SELECT id, version, active FROM durpred.models WHERE name = 'tiny' ORDER BY id;
SELECT durpred.activate_model('other');
SELECT id, active FROM durpred.models ORDER BY id;

-- at most one active, also against direct writes by a superuser
UPDATE durpred.model SET active = true WHERE id = 1;

-- export returns the installed bytes, exactly
SELECT durpred.export_model(3) = pg_temp.tiny_bytes() AS same_bytes;

-- model_info: the reference service's /info keys, the stored info wins,
-- and the identity keys come from the registry
SELECT jsonb_object_keys(durpred.model_info()) AS key ORDER BY 1;
SELECT durpred.model_info() - 'created_at' AS info;
SELECT durpred.activate_model(1);
SELECT durpred.model_info() -> 'metrics' AS metrics,
       durpred.model_info() -> 'feature_columns' AS feature_columns,
       durpred.model_info() -> 'num_boost_round' AS rounds;

-- deactivate: no model, and the health check says so
SELECT durpred.deactivate_model();
SELECT durpred.deactivate_model();
SELECT durpred.model_loaded();

-- a model stored with its info's defaults for the jsonb form
SELECT durpred.install_model('with_defaults', pg_temp.tiny_bytes(),
       '{"defaults": {"sql_blocks": 1, "historical_avg_duration": 50}}') AS id;

-- the registry is dumped by pg_dump, with its id sequence
SELECT array_agg(c::regclass ORDER BY c::regclass::text) AS dumped
FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'durpred';

-- the statement trigger that tells other backends
SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'durpred.model'::regclass;

-- which model a name means: the highest version, whatever the ids, the
-- same for activate_model(text) (newest_model_id) and durpred.model
-- (src/cache.c), which must not drift apart
SELECT durpred.install_model('renumbered', pg_temp.tiny_bytes()) AS old_id \gset
SELECT durpred.install_model('renumbered', pg_temp.tiny_bytes()) AS new_id \gset
UPDATE durpred.model SET version = version + 10 WHERE id = :old_id;
SET durpred.model = 'renumbered';
SELECT durpred.current_model_id() = :old_id AS setting_scores_highest_version;
RESET durpred.model;
SELECT durpred.activate_model('renumbered') = :old_id AS activates_highest_version;
SELECT has_function_privilege('public', 'durpred.newest_model_id(text)', 'EXECUTE') AS public_may_call_internal;

DROP EXTENSION durpred;

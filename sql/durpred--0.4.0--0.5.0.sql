/* sql/durpred--0.4.0--0.5.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION durpred UPDATE TO '0.5.0'" to load this file. \quit

-- 0.5.0:
--
-- * refuses a schema that is not durpred's alone: sql/durpred--0.5.0.sql
--   checks it before it creates anything, and this update checks an
--   installation that an older script made, perhaps in a schema that
--   another role had created first.  The schema must be owned by a
--   superuser, let no other role create objects in it, and hold no objects
--   but durpred's own; the update stops otherwise, and the error says how
--   to put it right.
-- * the per-page history summary: durpred.run_history counts durations in
--   whole microseconds with exact totals, so that its result no longer
--   depends on the order of its input; extract/features.sql keeps a
--   summary of every page's history (analytics.page_history_summary) up to
--   date with the functions below, and the serving reads use it.
--
-- Models, the registry and the active model stay as they are.
-- Keep the DO block between the two marker lines the same as in
-- sql/durpred--0.5.0.sql (test/sql/extension.sql compares them).
-- >>> schema check
DO $$
DECLARE
	nsp pg_catalog.oid := pg_catalog.to_regnamespace('@extschema@');
	ext pg_catalog.oid;
	owner_name pg_catalog.name;
	owner_super pg_catalog.bool;
	creators pg_catalog.text;
	strangers pg_catalog.text;
	why CONSTANT pg_catalog.text :=
		'durpred installs its functions and types into schema @extschema@, and '
		'a role that owns it or may create objects in it could add functions '
		'there that the callers of durpred would run.';
BEGIN
	SELECT e.oid INTO ext FROM pg_catalog.pg_extension e
	WHERE e.extname OPERATOR(pg_catalog.=) 'durpred';

	SELECT r.rolname, r.rolsuper INTO owner_name, owner_super
	FROM pg_catalog.pg_namespace n
		 JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
	WHERE n.oid OPERATOR(pg_catalog.=) nsp;
	IF NOT owner_super THEN
		RAISE EXCEPTION 'schema "@extschema@" is owned by role "%", which is not a superuser',
			owner_name
			USING ERRCODE = 'insufficient_privilege', DETAIL = why,
				  HINT = 'Check what the schema holds; then make a superuser its owner '
						 '(ALTER SCHEMA @extschema@ OWNER TO ...) and try again.';
	END IF;

	SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
								 ELSE pg_catalog.quote_ident(r.rolname) END, ', '
								 ORDER BY r.rolname NULLS FIRST)
	INTO creators
	FROM pg_catalog.pg_namespace n
		 CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
		 LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
	WHERE n.oid OPERATOR(pg_catalog.=) nsp
	  AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	  AND NOT COALESCE(r.rolsuper, false);
	IF creators IS NOT NULL THEN
		RAISE EXCEPTION 'roles that are not superusers may create objects in schema "@extschema@": %',
			creators
			USING ERRCODE = 'insufficient_privilege', DETAIL = why,
				  HINT = pg_catalog.format('Check what the schema holds; then REVOKE CREATE ON SCHEMA @extschema@ FROM %s, and try again.',
										   creators);
	END IF;

	-- every object in a schema depends on it, except those that depend on
	-- another object there (an index, a table's row type, an array type)
	-- and so go with it
	SELECT pg_catalog.string_agg(o.type OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) o.identity, ', '
								 ORDER BY o.type, o.identity)
	INTO strangers
	FROM pg_catalog.pg_depend d
		 CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid) o
	WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
	  AND d.refobjid OPERATOR(pg_catalog.=) nsp
	  -- default privileges name no object; any role may set its own
	  AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_default_acl'::pg_catalog.regclass
	  AND NOT (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
			   AND d.objid OPERATOR(pg_catalog.=) ext)
	  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend m
					  WHERE m.classid OPERATOR(pg_catalog.=) d.classid
						AND m.objid OPERATOR(pg_catalog.=) d.objid
						AND m.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
						AND m.refobjid OPERATOR(pg_catalog.=) ext
						AND m.deptype OPERATOR(pg_catalog.=) 'e');
	IF strangers IS NOT NULL THEN
		RAISE EXCEPTION 'schema "@extschema@" holds objects that are not durpred''s: %', strangers
			USING ERRCODE = 'insufficient_privilege', DETAIL = why,
				  HINT = 'Check who made them; then drop them or move them to another schema '
						 '(ALTER ... SET SCHEMA), and try again.';
	END IF;
END
$$;
-- <<< schema check

--
-- The per-page history summary (src/features/summary.c)
--

CREATE FUNCTION @extschema@.run_duration_us(finished_at pg_catalog.timestamptz,
											started_at pg_catalog.timestamptz)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'durpred_run_duration_us'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.run_duration_us(pg_catalog.timestamptz, pg_catalog.timestamptz) IS
'a finished run''s duration in whole microseconds, as the historical features count it; NULL when it has none (an infinite timestamp, finished before it started, out of range)';

-- Not STRICT and not PARALLEL SAFE: a trigger function, fired AFTER ... FOR
-- EACH STATEMENT with transition tables on app.noteflow_run (argument
-- 'runs') and app.notebook_page ('pages').
CREATE FUNCTION @extschema@.page_history_maintain()
RETURNS trigger
AS 'MODULE_PATHNAME', 'durpred_page_history_maintain'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.page_history_maintain() IS
'trigger function: keeps analytics.page_history_summary up to date as runs and pages change, writing as the owner of the table it fires on; argument ''runs'' or ''pages''';

-- It writes with the rights of the owner of the table it fires on, as
-- estimate_completion does: only roles granted EXECUTE may attach it.
REVOKE EXECUTE ON FUNCTION @extschema@.page_history_maintain() FROM PUBLIC;

CREATE FUNCTION @extschema@.page_history_rebuild(page_id pg_catalog.int8)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'durpred_page_history_rebuild'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.page_history_rebuild(pg_catalog.int8) IS
'computes a page''s history summary (analytics.page_history_summary) from its runs, waiting for the page''s writers, and marks it complete; returns the number of runs it counts';

COMMENT ON AGGREGATE @extschema@.run_history(pg_catalog.float8, pg_catalog.bool) IS
'count, mean, median (as percentile_cont 0.5), sample standard deviation and failure rate of earlier runs'' durations, counted in whole microseconds with exact totals, so that the result does not depend on the order of the rows; O(log n) per run; usable as a window aggregate';

CREATE FUNCTION @extschema@.page_features(page_id pg_catalog.int8, as_of pg_catalog.timestamptz,
										  fallback pg_catalog.regprocedure)
RETURNS @extschema@.features
AS 'MODULE_PATHNAME', 'durpred_page_features_or'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.page_features(pg_catalog.int8, pg_catalog.timestamptz, pg_catalog.regprocedure) IS
'the features of a run of a page starting at an instant, read directly from the app tables (from the page''s history summary where it is complete) where they allow it, else computed by fallback (a function (page_id, as_of) returning rows of durpred.features); NULL for a page that cannot be scored';

--
-- Explanations (src/explain.c, src/predict.c) and feature importance
-- (src/importance.c)
--

CREATE FUNCTION @extschema@.explain_duration(
	start_hour pg_catalog.int4 DEFAULT NULL,
	day_of_week pg_catalog.int4 DEFAULT NULL,
	month pg_catalog.int4 DEFAULT NULL,
	is_weekend pg_catalog.bool DEFAULT NULL,
	is_business_hours pg_catalog.bool DEFAULT NULL,
	total_blocks pg_catalog.int4 DEFAULT 0,
	sql_blocks pg_catalog.int4 DEFAULT 0,
	tableau_blocks pg_catalog.int4 DEFAULT 0,
	email_blocks pg_catalog.int4 DEFAULT 0,
	slack_blocks pg_catalog.int4 DEFAULT 0,
	parameter_blocks pg_catalog.int4 DEFAULT 0,
	code_blocks pg_catalog.int4 DEFAULT 0,
	plotly_blocks pg_catalog.int4 DEFAULT 0,
	kpi_blocks pg_catalog.int4 DEFAULT 0,
	api_blocks pg_catalog.int4 DEFAULT 0,
	writeback_blocks pg_catalog.int4 DEFAULT 0,
	conditional_blocks pg_catalog.int4 DEFAULT 0,
	loop_blocks pg_catalog.int4 DEFAULT 0,
	ai_blocks pg_catalog.int4 DEFAULT 0,
	storage_blocks pg_catalog.int4 DEFAULT 0,
	historical_run_count pg_catalog.int4 DEFAULT 0,
	historical_avg_duration pg_catalog.float8 DEFAULT NULL,
	historical_median_duration pg_catalog.float8 DEFAULT NULL,
	historical_stddev_duration pg_catalog.float8 DEFAULT NULL,
	historical_failure_rate pg_catalog.float8 DEFAULT NULL)
RETURNS TABLE (feature pg_catalog.text, value pg_catalog.float8, contribution pg_catalog.float8)
AS 'MODULE_PATHNAME', 'durpred_explain_duration'
-- not STRICT: NULL means a missing value, as in XGBoost
LANGUAGE C STABLE PARALLEL SAFE COST 100 ROWS 26;

COMMENT ON FUNCTION @extschema@.explain_duration(pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'why predict_duration gives what it gives, from one argument per feature: each model input''s value and exact TreeSHAP contribution to the margin, by descending absolute contribution, then (''base_value'', NULL, base); they add up to the margin';

CREATE FUNCTION @extschema@.explain_duration(r record)
RETURNS TABLE (feature pg_catalog.text, value pg_catalog.float8, contribution pg_catalog.float8)
AS 'MODULE_PATHNAME', 'durpred_explain_duration_record'
LANGUAGE C STABLE PARALLEL SAFE COST 100 ROWS 26;

COMMENT ON FUNCTION @extschema@.explain_duration(record) IS
'explain_duration from a row whose fields are named like features (others ignored, absent ones defaulted); a NULL row gives no rows';

CREATE FUNCTION @extschema@.explain_duration(request pg_catalog.jsonb)
RETURNS TABLE (feature pg_catalog.text, value pg_catalog.float8, contribution pg_catalog.float8)
AS 'MODULE_PATHNAME', 'durpred_explain_duration_jsonb'
LANGUAGE C STABLE PARALLEL SAFE COST 100 ROWS 26;

COMMENT ON FUNCTION @extschema@.explain_duration(pg_catalog.jsonb) IS
'explain_duration from the reference service''s request body; absent features take the model''s defaults; a NULL request gives no rows';

-- predict_json gains explain.  A second function beside the one-argument
-- one would make every call with one argument ambiguous (PostgreSQL cannot
-- choose between f(a) and f(a, b DEFAULT ...)), so the function is
-- replaced; a call predict_json(request) means explain => false.
DROP FUNCTION @extschema@.predict_json(pg_catalog.jsonb);

CREATE FUNCTION @extschema@.predict_json(request pg_catalog.jsonb,
										 explain pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.jsonb
AS 'MODULE_PATHNAME', 'durpred_predict_json'
-- not STRICT: a NULL request gives NULL, a NULL explain is an error
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_json(pg_catalog.jsonb, pg_catalog.bool) IS
'the reference service''s /predict response body for a request body; with explain, also "top_factors": the five largest contributions as {"feature", "value", "seconds"}';

CREATE FUNCTION @extschema@.tree_importance(model pg_catalog.bytea)
RETURNS TABLE (feature pg_catalog.text, weight pg_catalog.int8, gain pg_catalog.float8,
			   total_gain pg_catalog.float8, cover pg_catalog.float8,
			   total_cover pg_catalog.float8)
AS 'MODULE_PATHNAME', 'durpred_tree_importance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.tree_importance(pg_catalog.bytea) IS
'XGBoost''s get_score of model bytes, per model input in column order (0 where no split uses it); feature_importance reads it';

-- model bytes are read by feature_importance, which runs as the owner
REVOKE EXECUTE ON FUNCTION @extschema@.tree_importance(pg_catalog.bytea) FROM PUBLIC;

CREATE FUNCTION @extschema@.feature_importance(model_id pg_catalog.int8 DEFAULT NULL)
RETURNS TABLE (feature pg_catalog.text, weight pg_catalog.int8, gain pg_catalog.float8,
			   total_gain pg_catalog.float8, cover pg_catalog.float8,
			   total_cover pg_catalog.float8, mean_abs_shap pg_catalog.float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	wanted pg_catalog.int8 := feature_importance.model_id;
	bytes pg_catalog.bytea;
	shap pg_catalog.jsonb;
BEGIN
	IF wanted IS NULL THEN
		-- the model this session scores with; 55000 when there is none
		wanted := @extschema@.current_model_id();
	END IF;
	SELECT m.model, m.info OPERATOR(pg_catalog.->) 'mean_abs_shap' INTO bytes, shap
	FROM @extschema@.model m
	WHERE m.id OPERATOR(pg_catalog.=) wanted;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model % does not exist', wanted
			USING ERRCODE = 'undefined_object',
				  HINT = 'durpred.models lists the installed models.';
	END IF;
	IF pg_catalog.jsonb_typeof(shap) IS DISTINCT FROM 'object' THEN
		shap := NULL;
	END IF;
	RETURN QUERY
		SELECT t.feature, t.weight, t.gain, t.total_gain, t.cover, t.total_cover,
			   CASE WHEN pg_catalog.jsonb_typeof(shap OPERATOR(pg_catalog.->) t.feature)
						 OPERATOR(pg_catalog.=) 'number'
					THEN (shap OPERATOR(pg_catalog.->>) t.feature)::pg_catalog.float8 END
		FROM @extschema@.tree_importance(bytes) t
		ORDER BY t.total_gain DESC, t.weight DESC, t.feature;
END
$$;

COMMENT ON FUNCTION @extschema@.feature_importance(pg_catalog.int8) IS
'global importance of each input of a model (default: the one this session scores with): XGBoost''s get_score weight, gain, total_gain, cover and total_cover, and the trainer''s mean absolute SHAP value over its test split when its info has one';

--
-- Prediction intervals (issue 17; src/interval.c).  The calibration table is part of
-- a model's info (info.intervals, written by durpred-train), checked when
-- the model is installed or loaded, so that it is versioned, exported,
-- dumped and activated with the trees as one model version.
--

CREATE FUNCTION @extschema@.predict_interval(
	start_hour pg_catalog.int4 DEFAULT NULL,
	day_of_week pg_catalog.int4 DEFAULT NULL,
	month pg_catalog.int4 DEFAULT NULL,
	is_weekend pg_catalog.bool DEFAULT NULL,
	is_business_hours pg_catalog.bool DEFAULT NULL,
	total_blocks pg_catalog.int4 DEFAULT 0,
	sql_blocks pg_catalog.int4 DEFAULT 0,
	tableau_blocks pg_catalog.int4 DEFAULT 0,
	email_blocks pg_catalog.int4 DEFAULT 0,
	slack_blocks pg_catalog.int4 DEFAULT 0,
	parameter_blocks pg_catalog.int4 DEFAULT 0,
	code_blocks pg_catalog.int4 DEFAULT 0,
	plotly_blocks pg_catalog.int4 DEFAULT 0,
	kpi_blocks pg_catalog.int4 DEFAULT 0,
	api_blocks pg_catalog.int4 DEFAULT 0,
	writeback_blocks pg_catalog.int4 DEFAULT 0,
	conditional_blocks pg_catalog.int4 DEFAULT 0,
	loop_blocks pg_catalog.int4 DEFAULT 0,
	ai_blocks pg_catalog.int4 DEFAULT 0,
	storage_blocks pg_catalog.int4 DEFAULT 0,
	historical_run_count pg_catalog.int4 DEFAULT 0,
	historical_avg_duration pg_catalog.float8 DEFAULT NULL,
	historical_median_duration pg_catalog.float8 DEFAULT NULL,
	historical_stddev_duration pg_catalog.float8 DEFAULT NULL,
	historical_failure_rate pg_catalog.float8 DEFAULT NULL,
	coverage pg_catalog.float8 DEFAULT 0.8,
	OUT low pg_catalog.float8,
	OUT estimate pg_catalog.float8,
	OUT high pg_catalog.float8)
RETURNS record
AS 'MODULE_PATHNAME', 'durpred_predict_interval'
-- not STRICT: NULL means a missing value, as in XGBoost
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_interval(pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'predict_duration''s estimate (estimate) with its prediction interval at coverage 0.5, 0.8 (default), 0.9 or 0.95 (low, high); low and high are NULL for a model without interval data';

CREATE FUNCTION @extschema@.predict_interval(
	r record,
	coverage pg_catalog.float8 DEFAULT 0.8,
	OUT low pg_catalog.float8,
	OUT estimate pg_catalog.float8,
	OUT high pg_catalog.float8)
RETURNS record
AS 'MODULE_PATHNAME', 'durpred_predict_interval_record'
-- not STRICT: a NULL coverage is an error, not a NULL
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_interval(record, pg_catalog.float8) IS
'the record form of predict_interval: a row whose fields are named like features; a NULL row gives NULL';

CREATE FUNCTION @extschema@.predict_interval(
	request pg_catalog.jsonb,
	coverage pg_catalog.float8 DEFAULT 0.8,
	OUT low pg_catalog.float8,
	OUT estimate pg_catalog.float8,
	OUT high pg_catalog.float8)
RETURNS record
AS 'MODULE_PATHNAME', 'durpred_predict_interval_jsonb'
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_interval(pg_catalog.jsonb, pg_catalog.float8) IS
'the jsonb form of predict_interval: the reference service''s request body; a NULL request gives NULL';

CREATE FUNCTION @extschema@.predict_interval_with_model(
	r record,
	coverage pg_catalog.float8 DEFAULT 0.8,
	OUT low pg_catalog.float8,
	OUT estimate pg_catalog.float8,
	OUT high pg_catalog.float8,
	OUT model_id pg_catalog.int8)
RETURNS record
AS 'MODULE_PATHNAME', 'durpred_predict_interval_with_model'
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_interval_with_model(record, pg_catalog.float8) IS
'the record form of predict_interval with the id of the model that made the prediction, for serving; NULL when no model is active';

-- model_info() says whether the model has interval data; the key comes
-- after the stored info, which cannot override it.
CREATE OR REPLACE FUNCTION @extschema@.model_info()
RETURNS pg_catalog.jsonb
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.jsonb_build_object(
			   'model_type', 'XGBoost Regressor',
			   'n_features', m.n_features,
			   'feature_columns', pg_catalog.to_jsonb(m.feature_names),
			   'num_boost_round', m.n_trees OPERATOR(pg_catalog./) m.num_parallel_tree,
			   'params', pg_catalog.jsonb_build_object('objective', m.objective),
			   'metrics', '{}'::pg_catalog.jsonb)
		   OPERATOR(pg_catalog.||) COALESCE(m.info, '{}')
		   OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
			   'id', m.id,
			   'name', m.name,
			   'version', m.version,
			   'created_at', m.created_at,
			   'has_prediction_intervals',
			   COALESCE(m.info OPERATOR(pg_catalog.?) 'intervals', false))
	FROM @extschema@.model m
	WHERE m.id OPERATOR(pg_catalog.=) @extschema@.current_model_id()
$$;

COMMENT ON FUNCTION @extschema@.model_info() IS
'the reference service''s /info for the model this session scores with: model_type, n_features, feature_columns, num_boost_round, params, metrics (the stored info wins), plus id, name, version, created_at and has_prediction_intervals';

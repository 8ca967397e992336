/* sql/durpred--0.4.0--0.5.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION durpred UPDATE TO '0.5.0'" to load this file. \quit

-- 0.5.0: the per-page history summary.  durpred.run_history counts
-- durations in whole microseconds with exact totals, so that its result no
-- longer depends on the order of its input; extract/features.sql keeps a
-- summary of every page's history (analytics.page_history_summary) up to date with
-- the functions below, and the serving reads use it.  Models, the registry
-- and the active model stay as they are.

--
-- The per-page history summary (src/summary.c)
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
-- Prediction intervals (src/interval.c).  The calibration table is part of
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

/* sql/durpred--0.5.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION durpred" to load this file. \quit

-- 0.5.0 has the objects of 0.1.0 and of the upgrades to 0.2.0, 0.3.0,
-- 0.4.0 and 0.5.0 (their scripts stay as released; keep this one equal to
-- them: test/sql/extension.sql compares a fresh install with an updated
-- one), and first checks that its schema is durpred's alone.

--
-- The schema
--

-- The schema must be durpred's alone.  CREATE EXTENSION installs into the
-- schema that durpred.control names, and creates it (owned by the
-- superuser running it) where it does not exist; a schema of that name
-- made before by another role would take durpred's objects beside its
-- own, and a role that owns it or may create objects in it could add one
-- that callers resolve to (an overload of durpred.predict_duration, say).
-- So the schema must be owned by a superuser, let no other role create
-- objects in it, and hold nothing but durpred's own objects (nothing at all
-- before they are created).  PostgreSQL leaves the schema behind, empty, on
-- DROP EXTENSION: that schema passes, as does an empty one that a
-- superuser made.
-- Keep the DO block between the two marker lines the same in
-- sql/durpred--0.5.0.sql and sql/durpred--0.4.0--0.5.0.sql: the upgrade
-- checks an installation made by an older script (test/sql/extension.sql
-- compares the two).
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
-- Duration categories of the reference service
--

CREATE TYPE @extschema@.duration_category AS ENUM
	('quick', 'normal', 'moderate', 'long', 'very_long');

COMMENT ON TYPE @extschema@.duration_category IS
'duration category of a workflow run: quick (<= 5 s), normal (<= 30 s), moderate (<= 120 s), long (<= 300 s), very_long';

CREATE FUNCTION @extschema@.duration_category(seconds pg_catalog.float8)
RETURNS @extschema@.duration_category
AS 'MODULE_PATHNAME', 'durpred_duration_category'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.duration_category(pg_catalog.float8) IS
'category of a duration in seconds, inclusive at the top (5 s is quick); NaN or a negative value is an error';

CREATE FUNCTION @extschema@.describe_duration(
	seconds pg_catalog.float8,
	OUT predicted_duration pg_catalog.float8,
	OUT duration_category @extschema@.duration_category,
	OUT duration_description pg_catalog.text,
	OUT recommendation pg_catalog.text)
RETURNS record
AS 'MODULE_PATHNAME', 'durpred_describe_duration'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.describe_duration(pg_catalog.float8) IS
'the reference service''s answer for a predicted duration: the prediction clamped at 0 and rounded to 2 decimals, its category, description and recommendation';

--
-- The 25 model features, in model column order
--

CREATE TYPE @extschema@.features AS (
	start_hour pg_catalog.int4,
	day_of_week pg_catalog.int4,
	month pg_catalog.int4,
	is_weekend pg_catalog.bool,
	is_business_hours pg_catalog.bool,
	total_blocks pg_catalog.int4,
	sql_blocks pg_catalog.int4,
	tableau_blocks pg_catalog.int4,
	email_blocks pg_catalog.int4,
	slack_blocks pg_catalog.int4,
	parameter_blocks pg_catalog.int4,
	code_blocks pg_catalog.int4,
	plotly_blocks pg_catalog.int4,
	kpi_blocks pg_catalog.int4,
	api_blocks pg_catalog.int4,
	writeback_blocks pg_catalog.int4,
	conditional_blocks pg_catalog.int4,
	loop_blocks pg_catalog.int4,
	ai_blocks pg_catalog.int4,
	storage_blocks pg_catalog.int4,
	historical_run_count pg_catalog.int4,
	historical_avg_duration pg_catalog.float8,
	historical_median_duration pg_catalog.float8,
	historical_stddev_duration pg_catalog.float8,
	historical_failure_rate pg_catalog.float8
);

COMMENT ON TYPE @extschema@.features IS
'the 25 features of a workflow run, in model column order';

--
-- The model registry
--

-- Installs, activates and exports models.  A role is global: it is created
-- when missing and stays when the extension is dropped.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
				   WHERE rolname OPERATOR(pg_catalog.=) 'durpred_admin') THEN
		CREATE ROLE durpred_admin NOLOGIN;
	END IF;
END
$$;

CREATE TABLE @extschema@.model (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name text NOT NULL,
	version integer NOT NULL CHECK (version OPERATOR(pg_catalog.>) 0),
	model bytea NOT NULL,
	format text NOT NULL CHECK (format OPERATOR(pg_catalog.=) ANY ('{json,ubjson}')),
	info jsonb CHECK (pg_catalog.jsonb_typeof(info) OPERATOR(pg_catalog.=) 'object'),
	n_trees integer NOT NULL,
	num_parallel_tree integer NOT NULL,
	n_features integer NOT NULL,
	feature_names text[] NOT NULL,
	objective text NOT NULL,
	max_depth integer NOT NULL,
	xgboost_version text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by name NOT NULL DEFAULT CURRENT_USER,
	active boolean NOT NULL DEFAULT false,
	-- identifies the bytes in every backend's cache
	sha256 bytea NOT NULL GENERATED ALWAYS AS (pg_catalog.sha256(model)) STORED,
	UNIQUE (name, version)
);

-- model files are mostly binary floats that pglz barely shrinks: stored
-- uncompressed, they install faster and load without a decompression
ALTER TABLE @extschema@.model ALTER COLUMN model SET STORAGE EXTERNAL;

COMMENT ON TABLE @extschema@.model IS
'installed XGBoost models: bytes as given, versions counting up per name, at most one active';

-- at most one active model
CREATE UNIQUE INDEX model_active_idx ON @extschema@.model (active) WHERE active;

-- the registry is the user's data: pg_dump dumps it
SELECT pg_catalog.pg_extension_config_dump('@extschema@.model', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.model_id_seq', '');

REVOKE ALL ON @extschema@.model FROM PUBLIC;

CREATE FUNCTION @extschema@.model_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'durpred_model_changed'
LANGUAGE C;

COMMENT ON FUNCTION @extschema@.model_changed() IS
'statement trigger of durpred.model: tells every backend to re-read the registry after the commit';

CREATE TRIGGER model_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.model_changed();

CREATE FUNCTION @extschema@.install_model(
	name pg_catalog.text,
	model pg_catalog.bytea,
	info pg_catalog.jsonb DEFAULT NULL,
	activate pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'durpred_install_model'
-- not STRICT: a NULL argument is an error, not a NULL result
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.install_model(pg_catalog.text, pg_catalog.bytea, pg_catalog.jsonb, pg_catalog.bool) IS
'validates an XGBoost model (JSON or UBJSON bytes from save_model) and stores it as the next version of name; returns its id';

CREATE FUNCTION @extschema@.activate_model(model_id pg_catalog.int8)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF model_id IS NULL THEN
		RAISE EXCEPTION 'model id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- activations are serialised, readers are not blocked
	LOCK TABLE @extschema@.model IN SHARE ROW EXCLUSIVE MODE;
	IF NOT EXISTS (SELECT FROM @extschema@.model m
				   WHERE m.id OPERATOR(pg_catalog.=) activate_model.model_id) THEN
		RAISE EXCEPTION 'model % does not exist', model_id
			USING ERRCODE = 'undefined_object',
				  HINT = 'durpred.models lists the installed models.';
	END IF;
	UPDATE @extschema@.model m SET active = false
	WHERE m.active AND m.id OPERATOR(pg_catalog.<>) activate_model.model_id;
	UPDATE @extschema@.model m SET active = true
	WHERE m.id OPERATOR(pg_catalog.=) activate_model.model_id AND NOT m.active;
	RETURN model_id;
END
$$;

COMMENT ON FUNCTION @extschema@.activate_model(pg_catalog.int8) IS
'makes a model the active one (every session scores with it from its next statement after the commit); returns its id';

CREATE FUNCTION @extschema@.activate_model(name pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	newest pg_catalog.int8;
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'model name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- the newest version of the name: the one rule of newest_model_id,
	-- which activate_model(text) and set_shadow_model(text) share
	newest := @extschema@.newest_model_id(name);
	IF newest IS NULL THEN
		RAISE EXCEPTION 'model "%" does not exist', name
			USING ERRCODE = 'undefined_object',
				  HINT = 'durpred.models lists the installed models.';
	END IF;
	RETURN @extschema@.activate_model(newest);
END
$$;

COMMENT ON FUNCTION @extschema@.activate_model(pg_catalog.text) IS
'makes the newest version of the named model the active one; returns its id';

CREATE FUNCTION @extschema@.deactivate_model()
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	was pg_catalog.int8;
BEGIN
	LOCK TABLE @extschema@.model IN SHARE ROW EXCLUSIVE MODE;
	UPDATE @extschema@.model m SET active = false WHERE m.active RETURNING m.id INTO was;
	RETURN was;
END
$$;

COMMENT ON FUNCTION @extschema@.deactivate_model() IS
'leaves no model active; returns the id of the model that was active, or NULL';

CREATE FUNCTION @extschema@.export_model(model_id pg_catalog.int8)
RETURNS pg_catalog.bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bytes pg_catalog.bytea;
BEGIN
	IF model_id IS NULL THEN
		RAISE EXCEPTION 'model id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT m.model INTO bytes FROM @extschema@.model m
	WHERE m.id OPERATOR(pg_catalog.=) export_model.model_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model % does not exist', model_id
			USING ERRCODE = 'undefined_object',
				  HINT = 'durpred.models lists the installed models.';
	END IF;
	RETURN bytes;
END
$$;

COMMENT ON FUNCTION @extschema@.export_model(pg_catalog.int8) IS
'the bytes of an installed model, exactly as they were installed';

REVOKE EXECUTE ON FUNCTION @extschema@.install_model(pg_catalog.text, pg_catalog.bytea, pg_catalog.jsonb, pg_catalog.bool),
	@extschema@.activate_model(pg_catalog.int8),
	@extschema@.activate_model(pg_catalog.text),
	@extschema@.deactivate_model(),
	@extschema@.export_model(pg_catalog.int8)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.install_model(pg_catalog.text, pg_catalog.bytea, pg_catalog.jsonb, pg_catalog.bool),
	@extschema@.activate_model(pg_catalog.int8),
	@extschema@.activate_model(pg_catalog.text),
	@extschema@.deactivate_model(),
	@extschema@.export_model(pg_catalog.int8)
	TO durpred_admin;

-- Everything about the models but their bytes, for everyone.
CREATE VIEW @extschema@.models AS
SELECT m.id, m.name, m.version, m.created_at, m.created_by, m.active,
	   m.n_trees, m.n_features, m.objective, m.format,
	   pg_catalog.octet_length(m.model) AS size_bytes,
	   m.info OPERATOR(pg_catalog.->) 'metrics' AS metrics,
	   pg_catalog.encode(m.sha256, 'hex') AS sha256
FROM @extschema@.model m;

COMMENT ON VIEW @extschema@.models IS
'one row per installed model, without its bytes';

GRANT SELECT ON @extschema@.models TO PUBLIC;

-- Everyone may reach the schema: scoring is for every role, and the
-- registry's own privileges above say who may change it.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

--
-- Scoring
--

CREATE FUNCTION @extschema@.current_model_id()
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'durpred_current_model_id'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.current_model_id() IS
'id of the model this session scores with: the active one, or the newest version of the model named by durpred.model';

-- The info of any installed model: drift and health read the training
-- distribution and data window of the active model, which is not always
-- the one this session scores with.
CREATE FUNCTION @extschema@.model_info(model_id pg_catalog.int8)
RETURNS pg_catalog.jsonb
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
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
	WHERE m.id OPERATOR(pg_catalog.=) model_info.model_id
$$;

COMMENT ON FUNCTION @extschema@.model_info(pg_catalog.int8) IS
'model_info() of any installed model by id; NULL when there is none';

-- model_info() of the model this session scores with; the one definition of
-- what it says is model_info(model_id) above
CREATE FUNCTION @extschema@.model_info()
RETURNS pg_catalog.jsonb
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.model_info(@extschema@.current_model_id())
$$;

COMMENT ON FUNCTION @extschema@.model_info() IS
'the reference service''s /info for the model this session scores with: model_type, n_features, feature_columns, num_boost_round, params, metrics (the stored info wins), plus id, name, version, created_at and has_prediction_intervals';

CREATE FUNCTION @extschema@.model_loaded()
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'durpred_model_loaded'
-- PARALLEL UNSAFE: it catches load errors in a subtransaction
LANGUAGE C STABLE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.model_loaded() IS
'the health check: true when the session has a model that loads; a model that fails to load gives false and a WARNING';

CREATE FUNCTION @extschema@.predict_duration(
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
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'durpred_predict_duration'
-- not STRICT: NULL means a missing value, as in XGBoost
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_duration(pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'predicted duration in seconds (never negative) from one argument per feature; NULL is a missing value';

CREATE FUNCTION @extschema@.predict_duration(r record)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'durpred_predict_duration_record'
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_duration(record) IS
'predicted duration in seconds from a row whose fields are named like features (others ignored, absent ones defaulted); a NULL row gives NULL';

CREATE FUNCTION @extschema@.predict_duration(request pg_catalog.jsonb)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'durpred_predict_duration_jsonb'
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_duration(pg_catalog.jsonb) IS
'predicted duration in seconds from the reference service''s request body; absent features take the model''s defaults; a NULL request gives NULL';

CREATE FUNCTION @extschema@.predict_json(request pg_catalog.jsonb,
										 explain pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.jsonb
AS 'MODULE_PATHNAME', 'durpred_predict_json'
-- not STRICT: a NULL request gives NULL, a NULL explain is an error
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_json(pg_catalog.jsonb, pg_catalog.bool) IS
'the reference service''s /predict response body for a request body; with explain, also "top_factors": the five largest contributions as {"feature", "value", "seconds"}';

CREATE FUNCTION @extschema@.predict_with_model(
	r record,
	OUT predicted_duration pg_catalog.float8,
	OUT model_id pg_catalog.int8)
RETURNS record
AS 'MODULE_PATHNAME', 'durpred_predict_with_model'
LANGUAGE C STABLE PARALLEL SAFE COST 10;

COMMENT ON FUNCTION @extschema@.predict_with_model(record) IS
'the record form of predict_duration with the id of the model that made the prediction; NULL when no model is active';

--
-- Block counts of a page, for the extraction scripts
--

CREATE FUNCTION @extschema@.block_counts_accum(pg_catalog.internal, pg_catalog.text)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'durpred_block_counts_accum'
-- not STRICT: a NULL type (a page without blocks, outer-joined) counts nothing
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.block_counts_accum(pg_catalog.internal, pg_catalog.text) IS
'transition function of durpred.block_counts';

CREATE FUNCTION @extschema@.block_counts_final(pg_catalog.internal)
RETURNS pg_catalog.int4[]
AS 'MODULE_PATHNAME', 'durpred_block_counts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.block_counts_final(pg_catalog.internal) IS
'final function of durpred.block_counts';

CREATE AGGREGATE @extschema@.block_counts(block_type pg_catalog.text) (
	SFUNC = @extschema@.block_counts_accum,
	STYPE = pg_catalog.internal,
	FINALFUNC = @extschema@.block_counts_final,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.block_counts(pg_catalog.text) IS
'a page''s blocks by type, int4[16]: total, then sql, tableau, email, slack, parameter, code, plotly, kpi, api, writeback, conditional, loop, ai, storage (the order of durpred.features), then blocks of any other type';

--
-- Historical features of a run, for the extraction scripts
--

CREATE TYPE @extschema@.run_history AS (
	historical_run_count pg_catalog.int4,
	historical_avg_duration pg_catalog.float8,
	historical_median_duration pg_catalog.float8,
	historical_stddev_duration pg_catalog.float8,
	historical_failure_rate pg_catalog.float8
);

COMMENT ON TYPE @extschema@.run_history IS
'the five historical features of a run, as durpred.run_history() computes them';

CREATE FUNCTION @extschema@.run_history_accum(pg_catalog.internal, pg_catalog.float8, pg_catalog.bool)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'durpred_run_history_accum'
-- not STRICT: a NULL duration is a row to skip (the run being scored)
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.run_history_accum(pg_catalog.internal, pg_catalog.float8, pg_catalog.bool) IS
'transition function of durpred.run_history';

CREATE FUNCTION @extschema@.run_history_final(pg_catalog.internal)
RETURNS @extschema@.run_history
AS 'MODULE_PATHNAME', 'durpred_run_history_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.run_history_final(pg_catalog.internal) IS
'final function of durpred.run_history; leaves the state as it is, so the aggregate runs as a window aggregate';

CREATE AGGREGATE @extschema@.run_history(duration pg_catalog.float8, failed pg_catalog.bool) (
	SFUNC = @extschema@.run_history_accum,
	STYPE = pg_catalog.internal,
	FINALFUNC = @extschema@.run_history_final,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.run_history(pg_catalog.float8, pg_catalog.bool) IS
'count, mean, median (as percentile_cont 0.5), sample standard deviation and failure rate of earlier runs'' durations, in O(log n) per run; usable as a window aggregate';

--
-- Timing features of an instant, for the extraction scripts (0.2.0)
--

CREATE TYPE @extschema@.timing AS (
	start_hour pg_catalog.int4,
	day_of_week pg_catalog.int4,
	month pg_catalog.int4,
	is_weekend pg_catalog.bool,
	is_business_hours pg_catalog.bool
);

COMMENT ON TYPE @extschema@.timing IS
'the five timing features of an instant, as durpred.timing_features() computes them';

CREATE FUNCTION @extschema@.timing_features(at pg_catalog.timestamptz)
RETURNS @extschema@.timing
AS 'MODULE_PATHNAME', 'durpred_timing_features'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.timing_features(pg_catalog.timestamptz) IS
'the five timing features of an instant: in UTC; day_of_week 0 = Sunday; weekend = Saturday or Sunday; business hours = weekday and 9 <= hour < 17; all NULL for an infinite instant';

--
-- The features of a run read directly from the app tables, for the
-- serving trigger (0.3.0)
--

CREATE FUNCTION @extschema@.page_features(page_id pg_catalog.int8, as_of pg_catalog.timestamptz)
RETURNS @extschema@.features
AS 'MODULE_PATHNAME', 'durpred_page_features'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.page_features(pg_catalog.int8, pg_catalog.timestamptz) IS
'the features of a run of a page starting at an instant, as analytics.page_features() defines them, read from the app tables through their indexes; NULL for a page that cannot be scored; 0A000 where the tables cannot be read directly (views, row-level security, no index)';

--
-- The serving trigger (0.4.0)
--

-- Not STRICT and not PARALLEL SAFE: a trigger function.  Its arguments are
-- the trigger's: a log table and a fallback feature function, both
-- schema-qualified, both optional (src/features/trigger.c).
CREATE FUNCTION @extschema@.estimate_completion()
RETURNS trigger
AS 'MODULE_PATHNAME', 'durpred_estimate_completion'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.estimate_completion() IS
'trigger function: sets estimated_duration and estimated_completion_at of a pending or running run, reading and writing as the table''s owner; arguments: a log table and a fallback feature function (schema-qualified, optional); never makes the write fail because of the model';

-- It reads and writes with the rights of the owner of the table it fires
-- on: whoever may attach it lends those rights to every writer of that
-- table, so only roles granted EXECUTE (and superusers) may.
REVOKE EXECUTE ON FUNCTION @extschema@.estimate_completion() FROM PUBLIC;

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

-- >>> issue 18: the model's life after training
--
-- Every durpred-train run is a row of durpred.training_run (the user's
-- data: pg_dump dumps it), written through the SECURITY DEFINER functions
-- below, which durpred_admin may call.  The trainer records the run when it
-- starts and finishes it with its outcome; a run that never finished (the
-- trainer was killed, or lost its connection and could not reconnect)
-- keeps finished_at and outcome NULL.  model_id is not a foreign key: the
-- record of a run outlives the model it made.

CREATE TABLE @extschema@.training_run (
	run_id text PRIMARY KEY,
	started_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	finished_at timestamptz,
	outcome text CHECK (outcome OPERATOR(pg_catalog.=)
						ANY ('{trained,installed,promoted,kept,failed}')),
	model_id bigint,
	source text,
	data_first timestamptz,
	data_last timestamptz,
	rows jsonb,
	params jsonb,
	metrics jsonb,
	reason text,
	trainer_version text,
	run_by name NOT NULL DEFAULT SESSION_USER,
	CHECK ((finished_at IS NULL) OPERATOR(pg_catalog.=) (outcome IS NULL))
);

COMMENT ON TABLE @extschema@.training_run IS
'every durpred-train run: when, on what data, with what parameters, the metrics of every candidate, the model it installed and what it decided';

CREATE INDEX training_run_model_idx ON @extschema@.training_run (model_id);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.training_run', '');

REVOKE ALL ON @extschema@.training_run FROM PUBLIC;

CREATE FUNCTION @extschema@.training_run_start(run_id pg_catalog.text,
											   source pg_catalog.text,
											   params pg_catalog.jsonb,
											   trainer_version pg_catalog.text)
RETURNS pg_catalog.timestamptz
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO @extschema@.training_run (run_id, source, params, trainer_version)
	VALUES ($1, $2, $3, $4)
	RETURNING started_at
$$;

COMMENT ON FUNCTION @extschema@.training_run_start(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.text) IS
'durpred-train: records the start of a training run; returns its start time';

CREATE FUNCTION @extschema@.training_run_finish(run_id pg_catalog.text,
												outcome pg_catalog.text,
												model_id pg_catalog.int8,
												data_first pg_catalog.timestamptz,
												data_last pg_catalog.timestamptz,
												rows pg_catalog.jsonb,
												metrics pg_catalog.jsonb,
												reason pg_catalog.text)
RETURNS pg_catalog.timestamptz
-- not STRICT: only run_id and outcome are required
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	finished pg_catalog.timestamptz;
BEGIN
	IF training_run_finish.run_id IS NULL OR training_run_finish.outcome IS NULL THEN
		RAISE EXCEPTION 'run id and outcome must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF training_run_finish.outcome OPERATOR(pg_catalog.<>) ALL ('{trained,installed,promoted,kept,failed}') THEN
		RAISE EXCEPTION 'invalid training run outcome "%"', training_run_finish.outcome
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The outcome is one of trained, installed, promoted, kept and failed.';
	END IF;
	UPDATE @extschema@.training_run r
	SET finished_at = pg_catalog.clock_timestamp(),
		outcome = training_run_finish.outcome,
		model_id = training_run_finish.model_id,
		data_first = training_run_finish.data_first,
		data_last = training_run_finish.data_last,
		rows = training_run_finish.rows,
		metrics = training_run_finish.metrics,
		reason = training_run_finish.reason
	WHERE r.run_id OPERATOR(pg_catalog.=) training_run_finish.run_id
	  AND r.finished_at IS NULL
	RETURNING r.finished_at INTO finished;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'training run "%" does not exist or has finished', training_run_finish.run_id
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN finished;
END
$$;

COMMENT ON FUNCTION @extschema@.training_run_finish(pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.text) IS
'durpred-train: records how a training run ended (trained, installed, promoted, kept or failed) with its data window, rows, metrics and reason';

CREATE FUNCTION @extschema@.promote_model(model_id pg_catalog.int8, replacing pg_catalog.int8)
RETURNS pg_catalog.bool
-- not STRICT: a NULL replacing means "while no model is active"
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF promote_model.model_id IS NULL THEN
		RAISE EXCEPTION 'model id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- as activate_model: activations are serialised, readers not blocked
	LOCK TABLE @extschema@.model IN SHARE ROW EXCLUSIVE MODE;
	IF (SELECT m.id FROM @extschema@.model m WHERE m.active)
	   IS DISTINCT FROM promote_model.replacing THEN
		RETURN false;
	END IF;
	PERFORM @extschema@.activate_model(promote_model.model_id);
	RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.promote_model(pg_catalog.int8, pg_catalog.int8) IS
'activates a model only while the active model is still replacing (NULL: none), so that a promotion decided against one model never replaces another; returns whether it did';

REVOKE EXECUTE ON FUNCTION
	@extschema@.training_run_start(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.text),
	@extschema@.training_run_finish(pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.text),
	@extschema@.promote_model(pg_catalog.int8, pg_catalog.int8)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.training_run_start(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.text),
	@extschema@.training_run_finish(pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.text),
	@extschema@.promote_model(pg_catalog.int8, pg_catalog.int8)
	TO durpred_admin;

CREATE VIEW @extschema@.training_runs AS
SELECT r.run_id, r.started_at, r.finished_at, r.outcome, r.model_id, r.metrics, r.reason,
	   r.source, r.data_first, r.data_last, r.rows, r.params, r.trainer_version, r.run_by,
	   r.finished_at OPERATOR(pg_catalog.-) r.started_at AS duration
FROM @extschema@.training_run r;

COMMENT ON VIEW @extschema@.training_runs IS
'every durpred-train run: outcome (trained, installed, promoted, kept, failed; NULL while running or when it never finished), the model it installed, metrics of every candidate per split, the promotion figures, and why';

GRANT SELECT ON @extschema@.training_runs TO PUBLIC;

-- Shadow models: at most one model is the shadow model, which the serving
-- trigger scores beside the active one (src/features/shadow.c); the column
-- lives with the registry, so that the statement trigger model_changed
-- tells every backend of a change, as it does for the active model.
ALTER TABLE @extschema@.model ADD COLUMN shadow boolean NOT NULL DEFAULT false;

-- at most one shadow model
CREATE UNIQUE INDEX model_shadow_idx ON @extschema@.model (shadow) WHERE shadow;

CREATE FUNCTION @extschema@.set_shadow_model(model_id pg_catalog.int8)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF model_id IS NULL THEN
		RAISE EXCEPTION 'model id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- as activate_model: changes are serialised, readers not blocked
	LOCK TABLE @extschema@.model IN SHARE ROW EXCLUSIVE MODE;
	IF NOT EXISTS (SELECT FROM @extschema@.model m
				   WHERE m.id OPERATOR(pg_catalog.=) set_shadow_model.model_id) THEN
		RAISE EXCEPTION 'model % does not exist', model_id
			USING ERRCODE = 'undefined_object',
				  HINT = 'durpred.models lists the installed models.';
	END IF;
	UPDATE @extschema@.model m SET shadow = false
	WHERE m.shadow AND m.id OPERATOR(pg_catalog.<>) set_shadow_model.model_id;
	UPDATE @extschema@.model m SET shadow = true
	WHERE m.id OPERATOR(pg_catalog.=) set_shadow_model.model_id AND NOT m.shadow;
	RETURN model_id;
END
$$;

COMMENT ON FUNCTION @extschema@.set_shadow_model(pg_catalog.int8) IS
'makes a model the shadow model: the serving trigger scores it beside the active model and logs both estimates (never writing the shadow''s into the run); returns its id';

CREATE FUNCTION @extschema@.set_shadow_model(name pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	newest pg_catalog.int8;
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'model name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- the newest version of the name: the one rule of newest_model_id,
	-- which activate_model(text) and set_shadow_model(text) share
	newest := @extschema@.newest_model_id(name);
	IF newest IS NULL THEN
		RAISE EXCEPTION 'model "%" does not exist', name
			USING ERRCODE = 'undefined_object',
				  HINT = 'durpred.models lists the installed models.';
	END IF;
	RETURN @extschema@.set_shadow_model(newest);
END
$$;

COMMENT ON FUNCTION @extschema@.set_shadow_model(pg_catalog.text) IS
'makes the newest version of the named model the shadow model; returns its id';

CREATE FUNCTION @extschema@.clear_shadow_model()
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	was pg_catalog.int8;
BEGIN
	LOCK TABLE @extschema@.model IN SHARE ROW EXCLUSIVE MODE;
	UPDATE @extschema@.model m SET shadow = false WHERE m.shadow RETURNING m.id INTO was;
	RETURN was;
END
$$;

COMMENT ON FUNCTION @extschema@.clear_shadow_model() IS
'leaves no shadow model; returns the id of the model that was the shadow, or NULL';

REVOKE EXECUTE ON FUNCTION @extschema@.set_shadow_model(pg_catalog.int8),
	@extschema@.set_shadow_model(pg_catalog.text),
	@extschema@.clear_shadow_model()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_shadow_model(pg_catalog.int8),
	@extschema@.set_shadow_model(pg_catalog.text),
	@extschema@.clear_shadow_model()
	TO durpred_admin;

-- durpred.models gains the training run that made each model, and the shadow flag
CREATE OR REPLACE VIEW @extschema@.models AS
SELECT m.id, m.name, m.version, m.created_at, m.created_by, m.active,
	   m.n_trees, m.n_features, m.objective, m.format,
	   pg_catalog.octet_length(m.model) AS size_bytes,
	   m.info OPERATOR(pg_catalog.->) 'metrics' AS metrics,
	   pg_catalog.encode(m.sha256, 'hex') AS sha256,
	   (SELECT r.run_id FROM @extschema@.training_run r
		WHERE r.model_id OPERATOR(pg_catalog.=) m.id
		ORDER BY r.started_at DESC LIMIT 1) AS training_run,
	   m.shadow
FROM @extschema@.model m;

-- The health check for a scheduler (pg_cron): reads analytics.model_health
-- (extract/lifecycle.sql, through extract/serving.sql) and, when its status
-- is not ok, raises a WARNING and sends NOTIFY durpred_health with the row
-- as JSON, which a listener receives when the transaction commits.
-- Returns the row as JSON whatever the status.
CREATE FUNCTION @extschema@.check_health()
RETURNS pg_catalog.jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	health pg_catalog.jsonb;
BEGIN
	IF pg_catalog.to_regclass('analytics.model_health') IS NULL THEN
		RAISE EXCEPTION 'view analytics.model_health does not exist'
			USING ERRCODE = 'undefined_table',
				  HINT = 'Create it with extract/serving.sql (which runs extract/lifecycle.sql).';
	END IF;
	EXECUTE 'SELECT pg_catalog.to_jsonb(h) FROM analytics.model_health h' INTO health;
	IF health OPERATOR(pg_catalog.->>) 'status' OPERATOR(pg_catalog.<>) 'ok' THEN
		RAISE WARNING 'durpred model health is %: %', health OPERATOR(pg_catalog.->>) 'status',
			(SELECT pg_catalog.string_agg(r, '; ')
			 FROM pg_catalog.jsonb_array_elements_text(health OPERATOR(pg_catalog.->) 'reasons') r);
		PERFORM pg_catalog.pg_notify('durpred_health', health::pg_catalog.text);
	END IF;
	RETURN health;
END
$$;

COMMENT ON FUNCTION @extschema@.check_health() IS
'reads analytics.model_health; when its status is not ok, raises a WARNING and sends NOTIFY durpred_health with the row as JSON; returns the row as JSON';
-- <<< issue 18

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

-- >>> issue 14: which model a name means, defined once.
-- activate_model(text) and set_shadow_model(text) take the newest version
-- of a name; each keeps its own errors.  src/cache.c (Resolve) answers the
-- same question for durpred.model in C, on the hot path, without SQL: keep
-- it in sync with newest_model_id.
CREATE FUNCTION @extschema@.newest_model_id(name pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT m.id FROM @extschema@.model m
	WHERE m.name OPERATOR(pg_catalog.=) newest_model_id.name
	ORDER BY m.version DESC LIMIT 1
$$;

COMMENT ON FUNCTION @extschema@.newest_model_id(pg_catalog.text) IS
'internal: the id of the newest version of the named model, or NULL; the rule of activate_model(text) and set_shadow_model(text)';

-- internal: its callers run as the owner; EXECUTE not granted to PUBLIC
REVOKE EXECUTE ON FUNCTION @extschema@.newest_model_id(pg_catalog.text) FROM PUBLIC;
-- <<< issue 14

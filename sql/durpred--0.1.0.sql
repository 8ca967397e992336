/* sql/durpred--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION durpred" to load this file. \quit

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

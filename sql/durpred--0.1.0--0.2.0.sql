/* sql/durpred--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION durpred UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0 adds durpred.timing_features(), the timing features in C, which
-- extract/features.sql uses from then on.  Nothing else changes: models,
-- the registry and the active model stay as they are.

--
-- Timing features of an instant, for the extraction scripts
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

/* sql/durpred--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION durpred UPDATE TO '0.3.0'" to load this file. \quit

-- 0.3.0 adds durpred.page_features(), the features of a run read directly
-- from the app tables, which the serving trigger of extract/serving.sql
-- uses from then on.  Nothing else changes: models, the registry and the
-- active model stay as they are.

CREATE FUNCTION @extschema@.page_features(page_id pg_catalog.int8, as_of pg_catalog.timestamptz)
RETURNS @extschema@.features
AS 'MODULE_PATHNAME', 'durpred_page_features'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.page_features(pg_catalog.int8, pg_catalog.timestamptz) IS
'the features of a run of a page starting at an instant, as analytics.page_features() defines them, read from the app tables through their indexes; NULL for a page that cannot be scored; 0A000 where the tables cannot be read directly (views, row-level security, no index)';

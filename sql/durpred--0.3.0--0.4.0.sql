/* sql/durpred--0.3.0--0.4.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION durpred UPDATE TO '0.4.0'" to load this file. \quit

-- 0.4.0 adds durpred.estimate_completion(), the serving trigger in C, which
-- extract/serving.sql attaches to app.noteflow_run from then on in place of
-- its plpgsql trigger.  Nothing else changes: models, the registry and the
-- active model stay as they are.

-- Not STRICT and not PARALLEL SAFE: a trigger function.  Its arguments are
-- the trigger's: a log table and a fallback feature function, both
-- schema-qualified, both optional (src/trigger.c).
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

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

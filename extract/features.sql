-- extract/features.sql
--
-- Builds the 25-feature training set from the production tables (schema
-- "app"), and the same features for runs still pending, in schema
-- "analytics".  Creates what is missing and refreshes the training set;
-- re-runnable.  Needs the durpred extension (created here when missing).
--
--   psql -v ON_ERROR_STOP=1 -f extract/features.sql
--
-- One definition of each feature serves training and serving:
--   durpred.timing_features(at)      the five timing features of an instant (in
--                                    the extension, in C)
--   analytics.page_blocks            the block counts of every page (one C
--                                    aggregate, durpred.block_counts)
--   durpred.run_history(d, failed)   the five historical features (one C
--                                    aggregate, in the extension)
-- and one definition of each rule that chooses runs, which every other
-- object here and in extract/serving.sql uses:
--   analytics.has_outcome(status)    the statuses of a finished run: success,
--                                    failed, cancelled
--   analytics.is_queued(status)      the statuses of the queue: pending,
--                                    running
--   analytics.has_duration(s, f)     whether a run has a duration: finite
--                                    timestamps, the finish not before the
--                                    start, a span under about 285 years
--                                    (durpred.run_duration_us);
--                                    run_duration(s, f) gives it
--   analytics.run_outcomes           the runs that count: finished, with a
--                                    duration (zero too); finished_runs adds
--                                    that their page is usable
--   analytics.run_as_of              every run with its as-of instant: its
--                                    start, its creation when not started
--   analytics.queued_runs            the queue: pending and running runs with
--                                    their as-of instant
--   analytics.page_history(page, at) the history of a run of a page at an
--                                    instant, in the order it is added:
--                                    finish, start, id
--   analytics.completion_at(at, s)   an instant plus an estimate, NULL where
--                                    that is not a finite timestamp
-- The as-of rule: a run's history is the finished runs of its page with
-- finished_at <= the run's start (its creation when it has not started)
-- that started before it: a run of zero duration that finished at that very
-- instant started with it, and is not part of its own history.
--
-- Copies that cannot use these definitions say "keep in sync with" the one
-- they copy: the C direct reads and trigger (src/features/pagefeatures.c,
-- src/features/trigger.c), the indexes (extract/schema.sql) and the training set's
-- window below.
--
-- Objects:
--   analytics.run_features           training set, one row per finished run
--                                    (materialized; this script refreshes it)
--   analytics.pending_run_features   features of pending and running runs
--   analytics.page_features(page, at)   features of a run of a page at an
--                                    instant (the serving definition, which
--                                    durpred.page_features reads directly for
--                                    the trigger; features_as_of gives them
--                                    as one value)
--   analytics.run_features_for(run)  features of one run as of its start
--   analytics.queued_run_estimates   the queue scored with the active model
--                                    (analytics.pending_run_estimates shows it)
--   analytics.excluded_runs          runs that cannot be used, and why

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS durpred;
CREATE SCHEMA IF NOT EXISTS analytics;

-- An extension created before 0.5.0 lacks durpred.run_duration_us().
\set durpred_needs 'durpred.run_duration_us(timestamptz, timestamptz)'
\set durpred_script extract/features.sql
\ir require_extension.sql
-- sets durpred_citus: the app tables are distributed by Citus
\ir detect_citus.sql

BEGIN;

-- The block counts of every page, and how many blocks are of a type the
-- features do not know (such a page's runs are excluded).  One aggregate,
-- durpred.block_counts, counts them all: the serving trigger computes one
-- page's counts for every new run.
CREATE OR REPLACE VIEW analytics.page_blocks AS
SELECT c.page_id,
	   c.workspace_id,
	   c.n[1] AS total_blocks,
	   c.n[2] AS sql_blocks,
	   c.n[3] AS tableau_blocks,
	   c.n[4] AS email_blocks,
	   c.n[5] AS slack_blocks,
	   c.n[6] AS parameter_blocks,
	   c.n[7] AS code_blocks,
	   c.n[8] AS plotly_blocks,
	   c.n[9] AS kpi_blocks,
	   c.n[10] AS api_blocks,
	   c.n[11] AS writeback_blocks,
	   c.n[12] AS conditional_blocks,
	   c.n[13] AS loop_blocks,
	   c.n[14] AS ai_blocks,
	   c.n[15] AS storage_blocks,
	   c.n[16] AS unknown_blocks
FROM (SELECT p.id AS page_id, p.workspace_id, n.n
	  FROM app.notebook_page p
	  -- per page, from the index on app.block: a GROUP BY over a join
	  -- costs twice as much for the one page of the serving trigger
	  CROSS JOIN LATERAL (SELECT durpred.block_counts(b.block_type) AS n
						  FROM app.block b
						  WHERE b.notebook_page_id = p.id) n) c;

COMMENT ON VIEW analytics.page_blocks IS
'block counts of every page by type; unknown_blocks counts types the features do not know';

-- The statuses of a run that has finished with an outcome, and of a run in
-- the queue: one definition each, inlined by the planner where they are
-- called (it sees the IN list: its estimates, the partial index of the
-- queue).  Keep in sync with these: ReadHistory in src/features/pagefeatures.c
-- (outcomes), the predicate of noteflow_run_unfinished_idx in
-- extract/schema.sql and durpred_estimate_completion in src/features/trigger.c (the
-- queue).
CREATE OR REPLACE FUNCTION analytics.has_outcome(status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT status IN ('success', 'failed', 'cancelled')
$$;

COMMENT ON FUNCTION analytics.has_outcome(text) IS
'whether a run''s status is an outcome: success, failed or cancelled';

CREATE OR REPLACE FUNCTION analytics.is_queued(status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT status IN ('pending', 'running')
$$;

COMMENT ON FUNCTION analytics.is_queued(text) IS
'whether a run''s status puts it in the queue: pending or running';

-- Whether a run has a duration: both timestamps finite, the finish not
-- before the start, and a span under 2^53 microseconds (about 285 years:
-- a longer one is a data error, and exact totals of such spans would not fit
-- the history's 128-bit sums).  The rule is durpred.run_duration_us() (in
-- C, src/features/history.c: RunMicros), which the direct reads, the
-- history summary's index and this share; it never raises an error.
CREATE OR REPLACE FUNCTION analytics.has_duration(started_at timestamptz, finished_at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	-- durpred.run_duration_us is the rule; the two bounds it implies let the
	-- planner bound the index scans on finished_at
	SELECT started_at > '-infinity'
	   AND finished_at < 'infinity'
	   AND durpred.run_duration_us(finished_at, started_at) IS NOT NULL
$$;

COMMENT ON FUNCTION analytics.has_duration(timestamptz, timestamptz) IS
'whether a run has a duration: both timestamps finite, finished_at >= started_at, and a span under 2^53 microseconds (about 285 years), as durpred.run_duration_us() decides';

-- A run's duration in seconds, NULL where it has none (above).  date_part
-- gives it as float8 directly (EXTRACT computes a numeric first, three
-- times slower in the serving trigger); below a day it is the same
-- correctly rounded value.  Keep in sync with this: Duration() in
-- src/features/pagefeatures.c.
CREATE OR REPLACE FUNCTION analytics.run_duration(started_at timestamptz, finished_at timestamptz)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN analytics.has_duration(started_at, finished_at)
				THEN pg_catalog.date_part('epoch', finished_at - started_at)
		   END
$$;

COMMENT ON FUNCTION analytics.run_duration(timestamptz, timestamptz) IS
'seconds from started_at to finished_at; NULL where the run has no duration (analytics.has_duration)';

-- The runs that have an outcome: finished, with a duration.  Whether their
-- page can be used is for analytics.page_blocks to say.
CREATE OR REPLACE VIEW analytics.run_outcomes AS
SELECT r.id AS run_id,
	   r.notebook_page_id AS page_id,
	   r.workspace_id,
	   r.status,
	   r.started_at,
	   r.finished_at,
	   analytics.run_duration(r.started_at, r.finished_at) AS duration_seconds,
	   r.status = 'failed' AS failed
FROM app.noteflow_run r
WHERE analytics.has_outcome(r.status)
  AND analytics.has_duration(r.started_at, r.finished_at);

COMMENT ON VIEW analytics.run_outcomes IS
'finished runs with a duration (zero included), whatever their page';

-- The finished runs that count, as training rows and as history: those
-- with an outcome, on a page whose blocks are all of known types.
CREATE OR REPLACE VIEW analytics.finished_runs AS
SELECT o.*
FROM analytics.run_outcomes o
JOIN analytics.page_blocks b ON b.page_id = o.page_id AND b.unknown_blocks = 0;

COMMENT ON VIEW analytics.finished_runs IS
'finished runs with a duration (zero included) on a page whose blocks are all of known types: the training rows and every run''s history';

-- Every run with the instant its features are read as of: its start, its
-- creation when it has not started.  Keep in sync with this:
-- durpred_estimate_completion in src/features/trigger.c.
CREATE OR REPLACE VIEW analytics.run_as_of AS
SELECT r.id AS run_id,
	   r.notebook_page_id AS page_id,
	   r.workspace_id,
	   r.status,
	   r.created_at,
	   r.started_at,
	   COALESCE(r.started_at, r.created_at) AS as_of
FROM app.noteflow_run r;

COMMENT ON VIEW analytics.run_as_of IS
'every run with its as-of instant: its start, its creation when it has not started';

-- The queue: every pending or running run, with its as-of instant.
CREATE OR REPLACE VIEW analytics.queued_runs AS
SELECT a.*
FROM analytics.run_as_of a
WHERE analytics.is_queued(a.status);

COMMENT ON VIEW analytics.queued_runs IS
'the queue: every pending or running run, with its as-of instant';

-- The history of a run of a page starting at an instant: the page's runs
-- with an outcome that finished by then and started before it (the as-of
-- rule), in the order durpred.run_history adds them, finish, start, id (a
-- zero-duration run after the others that finished at its instant), so
-- that avg and stddev come out to the bit.  A set-returning SQL function
-- of one SELECT, which the planner inlines: the order comes from a sorted
-- subquery, which the index noteflow_run_page_history_idx returns in that
-- order without a sort (an ORDER BY in the aggregate's call would sort
-- again for every run).  Whether the page is usable is for the caller to
-- check.  Keep in sync with this: the window of
-- analytics.run_features_source below, ReadHistory and PastRunCmp in
-- src/features/pagefeatures.c, the index in extract/schema.sql.
CREATE OR REPLACE FUNCTION analytics.page_history(page_id bigint, as_of timestamptz)
RETURNS TABLE (duration_seconds float8, failed boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT f.duration_seconds, f.failed
	FROM analytics.run_outcomes f
	WHERE f.page_id = page_history.page_id
	  AND f.finished_at <= page_history.as_of
	  AND f.started_at < page_history.as_of
	ORDER BY f.finished_at, f.started_at, f.run_id
$$;

COMMENT ON FUNCTION analytics.page_history(bigint, timestamptz) IS
'the history of a run of a page starting at an instant: the durations and failures of the page''s runs with finished_at <= as_of and started_at < as_of, in the order finish, start, id';

-- The features of a run of a page at an instant: the serving definition.
-- No row when the page does not exist or has blocks of an unknown type.  A
-- set-returning SQL function of one SELECT, STABLE, without SET or STRICT:
-- called in FROM, the planner inlines it into the calling query, so that
-- the views below (and the serving trigger, where it cannot read the tables
-- directly with durpred.page_features, which computes the same values)
-- compute it without a function call of their own.  Its columns are those
-- of durpred.features, by position: the timing and history features come
-- with the names of their types in the extension.
CREATE OR REPLACE FUNCTION analytics.page_features(page_id bigint, as_of timestamptz)
RETURNS SETOF durpred.features
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1
AS $$
	SELECT (durpred.timing_features(as_of)).*,
		   b.total_blocks, b.sql_blocks, b.tableau_blocks, b.email_blocks, b.slack_blocks,
		   b.parameter_blocks, b.code_blocks, b.plotly_blocks, b.kpi_blocks, b.api_blocks,
		   b.writeback_blocks, b.conditional_blocks, b.loop_blocks, b.ai_blocks, b.storage_blocks,
		   (h.h).*
	FROM analytics.page_blocks b
	-- the page is usable (checked below), so are its outcomes: they are its
	-- analytics.finished_runs
	CROSS JOIN (SELECT durpred.run_history(s.duration_seconds, s.failed) AS h
				FROM analytics.page_history(page_features.page_id, page_features.as_of) s) h
	WHERE b.page_id = page_features.page_id
	  AND b.unknown_blocks = 0
$$;

COMMENT ON FUNCTION analytics.page_features(bigint, timestamptz) IS
'the 25 features of a run of a page starting at an instant (no row for a page that cannot be scored): history = the page''s finished runs with finished_at <= as_of and started_at < as_of';

-- The same as one value, NULL for a page that cannot be scored.
CREATE OR REPLACE FUNCTION analytics.features_as_of(page_id bigint, as_of timestamptz)
RETURNS durpred.features
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT f FROM analytics.page_features(features_as_of.page_id, features_as_of.as_of) f
$$;

COMMENT ON FUNCTION analytics.features_as_of(bigint, timestamptz) IS
'analytics.page_features() as one value: the features of a run of a page starting at an instant, NULL for a page that cannot be scored';

-- The serving reads: the features of analytics.page_features(), read
-- directly by durpred.page_features (in C) from the page's history summary,
-- at a cost that does not grow with the page's history, where the app
-- tables allow direct reads; elsewhere (views in place of the tables,
-- row-level security), computed by analytics.page_features itself.  Read
-- with the caller's rights on the app tables.
CREATE OR REPLACE FUNCTION analytics.serving_page_features(page_id bigint, as_of timestamptz)
RETURNS SETOF durpred.features
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1
AS $$
	SELECT f.*
	FROM durpred.page_features(serving_page_features.page_id, serving_page_features.as_of,
							   'analytics.page_features(bigint, timestamptz)'::pg_catalog.regprocedure) f
	WHERE f.historical_run_count IS NOT NULL
$$;

COMMENT ON FUNCTION analytics.serving_page_features(bigint, timestamptz) IS
'analytics.page_features() computed the fastest way the deployment allows (durpred.page_features and the history summary where the app tables can be read directly); used by the pending-run views and run_features_for';

CREATE OR REPLACE FUNCTION analytics.run_features_for(run_id bigint)
RETURNS durpred.features
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT f
	FROM analytics.run_as_of r
	CROSS JOIN LATERAL analytics.serving_page_features(r.page_id, r.as_of) f
	WHERE r.run_id = run_features_for.run_id
$$;

COMMENT ON FUNCTION analytics.run_features_for(bigint) IS
'the features of one run as of its start (its creation when not started); equal to its analytics.run_features row for every finished run';

CREATE OR REPLACE VIEW analytics.pending_run_features AS
SELECT q.run_id, f.*
FROM analytics.queued_runs q
CROSS JOIN LATERAL analytics.serving_page_features(q.page_id, q.as_of) f;

COMMENT ON VIEW analytics.pending_run_features IS
'the 25 features of every pending or running run, as of its start (its creation when not started)';

-- An instant plus an estimate in seconds, as the serving trigger computes
-- a run's estimated completion (at + seconds * interval '1 second'), or
-- NULL where that is not a finite timestamp: a NULL or infinite instant, a
-- NULL or non-finite estimate, or a sum beyond PostgreSQL's timestamps
-- (4714-11-24 BC to 294276-12-31 AD), for which PostgreSQL raises "interval
-- out of range" or "timestamp out of range" (or, in PostgreSQL 15, may wrap
-- around).  Each step runs only where it cannot raise: the product holds
-- rint(seconds * 10^6) microseconds, in an int64 (interval_mul), and the
-- sum is compared with the last (first) timestamp through intervals from
-- 2000-01-01, which cannot overflow either.
CREATE OR REPLACE FUNCTION analytics.completion_at(as_of timestamptz, seconds float8)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN as_of > '-infinity' AND as_of < 'infinity'
			 AND seconds > '-1e13'::float8 AND seconds < '1e13'::float8 THEN
			CASE
				WHEN pg_catalog.round(seconds * '1e6'::float8) >= '-9223372036854775808'::float8
					 AND pg_catalog.round(seconds * '1e6'::float8) < '9223372036854775808'::float8 THEN
					CASE
						WHEN seconds >= 0 THEN
							CASE
								WHEN seconds * interval '1 second'
									 - ('294276-12-31 23:59:59.999999+00'::timestamptz - '2000-01-01 00:00:00+00')
									 <= '2000-01-01 00:00:00+00' - as_of
								THEN as_of + seconds * interval '1 second'
							END
						ELSE
							CASE
								WHEN seconds * interval '1 second'
									 + ('2000-01-01 00:00:00+00'::timestamptz - '4714-11-24 00:00:00+00 BC')
									 >= '2000-01-01 00:00:00+00' - as_of
								THEN as_of + seconds * interval '1 second'
							END
					END
			END
	END
$$;

COMMENT ON FUNCTION analytics.completion_at(timestamptz, float8) IS
'as_of + seconds * interval ''1 second'', the estimated completion of a run; NULL where that is not a finite timestamp (an infinite instant, a sum beyond 294276 AD), never an error';

-- The queue scored now with the active model: every pending or running
-- run, its estimate (NULL on a page that cannot be scored, or with no
-- active model) and its estimated completion (NULL also where
-- analytics.completion_at gives none).  analytics.pending_run_estimates
-- (extract/serving.sql) shows it, soonest first; analytics.excluded_runs
-- lists the runs that have an estimate but no completion.  Its columns are
-- spelt twice, here and in the Citus form below, which scores the queue
-- another way: keep them in sync with it (CREATE OR REPLACE VIEW refuses a
-- Citus form whose columns differ, except for columns added at the end;
-- test/t/140_citus.pl compares the queue on Citus and on one server).
CREATE OR REPLACE VIEW analytics.queued_run_estimates AS
SELECT q.run_id,
	   q.page_id,
	   q.workspace_id,
	   q.status,
	   q.created_at,
	   q.started_at,
	   q.as_of,
	   (e.p).estimate AS estimated_duration,
	   analytics.completion_at(q.as_of, (e.p).estimate) AS estimated_completion_at,
	   (e.p).model_id,
	   -- the estimate's 80 % prediction interval (NULL for a model without
	   -- interval data), and the completions it gives
	   (e.p).low AS interval_low,
	   (e.p).high AS interval_high,
	   analytics.completion_at(q.as_of, (e.p).low) AS earliest_completion_at,
	   analytics.completion_at(q.as_of, (e.p).high) AS latest_completion_at
FROM analytics.queued_runs q
-- no features for a page that cannot be scored: no estimate; OFFSET 0 keeps
-- the planner from calling the function once per output field
LEFT JOIN LATERAL (
	SELECT durpred.predict_interval_with_model(f, 0.8) AS p
	FROM analytics.serving_page_features(q.page_id, q.as_of) f
	OFFSET 0) e ON true;

COMMENT ON VIEW analytics.queued_run_estimates IS
'every pending or running run scored now with the active model: estimate, estimated completion (NULL where it is not a finite timestamp), model, the estimate''s 80 % interval and the earliest and latest likely completion it gives';

-- On Citus (extract/citus.sql), the same two objects in a form Citus
-- runs on the workers, where durpred.page_features reads each page's
-- shards and each node scores with the same active model: the features
-- joined to the runs in one query (a subquery with OFFSET, as above, would
-- not be pushed down, nor would its record column travel), and
-- run_features_for in PL/pgSQL with the run's id
-- in the statement (Citus plans no SQL function with parameters over
-- distributed tables).  The columns and their expressions are the
-- single-server form's: keep in sync with analytics.queued_run_estimates
-- above.
\if :durpred_citus
CREATE OR REPLACE VIEW analytics.queued_run_estimates AS
SELECT q.run_id,
	   q.page_id,
	   q.workspace_id,
	   q.status,
	   q.created_at,
	   q.started_at,
	   q.as_of,
	   p.estimate AS estimated_duration,
	   analytics.completion_at(q.as_of, p.estimate) AS estimated_completion_at,
	   p.model_id,
	   p.low AS interval_low,
	   p.high AS interval_high,
	   analytics.completion_at(q.as_of, p.low) AS earliest_completion_at,
	   analytics.completion_at(q.as_of, p.high) AS latest_completion_at
FROM analytics.queued_runs q
LEFT JOIN LATERAL analytics.serving_page_features(q.page_id, q.as_of) f ON true
-- NULL for a page that cannot be scored (f is NULL)
LEFT JOIN LATERAL durpred.predict_interval_with_model(f, 0.8) p ON true;

CREATE OR REPLACE FUNCTION analytics.run_features_for(run_id bigint)
RETURNS durpred.features
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	f durpred.features;
BEGIN
	EXECUTE pg_catalog.format(
		'SELECT f.* FROM analytics.run_as_of r'
		' CROSS JOIN LATERAL analytics.serving_page_features(r.page_id, r.as_of) f'
		' WHERE r.run_id = %s', run_id)
	INTO f;
	RETURN f;
END
$$;
\endif

-- The runs that cannot be used, and why.  Which runs count is for
-- analytics.run_outcomes and analytics.queued_run_estimates to say; the
-- reasons below only explain.
CREATE OR REPLACE VIEW analytics.excluded_runs AS
SELECT r.id AS run_id, r.status, x.reason
FROM app.noteflow_run r
LEFT JOIN analytics.page_blocks b ON b.page_id = r.notebook_page_id
-- joined on the page too: on Citus, the distribution column
LEFT JOIN analytics.run_outcomes o ON o.page_id = r.notebook_page_id AND o.run_id = r.id
LEFT JOIN analytics.queued_run_estimates q ON q.page_id = r.notebook_page_id AND q.run_id = r.id
CROSS JOIN LATERAL (SELECT CASE
	WHEN b.unknown_blocks > 0 THEN 'page has blocks of an unknown type'
	-- finished, but not among the runs with an outcome
	WHEN analytics.has_outcome(r.status) AND o.run_id IS NULL THEN CASE
		WHEN r.started_at IS NULL THEN 'finished without started_at'
		WHEN r.finished_at IS NULL THEN 'finished without finished_at'
		WHEN NOT (pg_catalog.isfinite(r.started_at) AND pg_catalog.isfinite(r.finished_at))
			THEN 'finished with an infinite started_at or finished_at'
		WHEN r.finished_at < r.started_at THEN 'finished_at before started_at'
		ELSE 'duration of 2^53 microseconds or more (about 285 years)'
		END
	-- in the queue, without an estimated completion that could be shown
	WHEN NOT pg_catalog.isfinite(q.as_of)
		THEN 'pending or running with an infinite started_at (or created_at when not started)'
	WHEN q.estimated_duration IS NOT NULL AND q.estimated_completion_at IS NULL
		THEN 'estimated completion beyond the last timestamp (294276 AD)'
	END AS reason) x
WHERE x.reason IS NOT NULL;

COMMENT ON VIEW analytics.excluded_runs IS
'runs left out of the training set (finished but without a duration), of scoring (page with unknown block types) or of the queue''s completion times (an infinite as-of instant, a completion beyond 294276 AD), with the reason';

-- The training set, built with windows: each page's finish events and the
-- start of each of its finished runs, in time order, with the history
-- aggregate over all earlier rows.  At equal instants a finish comes before
-- a start (finished_at <= started_at counts), except the finish of a run of
-- zero duration, which comes after (it started at that instant too); finishes
-- at one instant in the order of their start, then id: the as-of rule and
-- the order of analytics.page_history(), which this window must keep in
-- sync with (the tests compare both for every run).  One sort,
-- O(n log n).  The block counts are joined to the runs before the window,
-- where the planner knows how many rows there are.
CREATE OR REPLACE VIEW analytics.run_features_source AS
WITH runs AS (
	SELECT f.run_id, f.page_id, f.workspace_id, f.started_at, f.finished_at, f.status,
		   f.duration_seconds, f.failed,
		   b.total_blocks, b.sql_blocks, b.tableau_blocks, b.email_blocks, b.slack_blocks,
		   b.parameter_blocks, b.code_blocks, b.plotly_blocks, b.kpi_blocks, b.api_blocks,
		   b.writeback_blocks, b.conditional_blocks, b.loop_blocks, b.ai_blocks, b.storage_blocks
	FROM analytics.finished_runs f
	JOIN analytics.page_blocks b ON b.page_id = f.page_id
), events AS (
	-- a run's finish (kind 0, or 2 at zero duration) counts for later runs;
	-- its start (kind 1) is where its own features are read
	SELECT r.*, r.finished_at AS at,
		   CASE WHEN r.finished_at = r.started_at THEN 2 ELSE 0 END AS kind
	FROM runs r
	UNION ALL
	SELECT r.*, r.started_at, 1 FROM runs r
), history AS (
	SELECT e.*,
		   durpred.run_history(CASE WHEN e.kind <> 1 THEN e.duration_seconds END,
							   CASE WHEN e.kind <> 1 THEN e.failed END)
			   OVER (PARTITION BY e.page_id ORDER BY e.at, e.kind, e.started_at, e.run_id
					 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS h
	FROM events e
)
SELECT h.run_id,
	   pg_catalog.md5(h.page_id::text) AS page_hash,
	   pg_catalog.md5(h.workspace_id::text) AS workspace_hash,
	   h.started_at,
	   h.status,
	   (durpred.timing_features(h.started_at)).*,
	   h.total_blocks, h.sql_blocks, h.tableau_blocks, h.email_blocks, h.slack_blocks,
	   h.parameter_blocks, h.code_blocks, h.plotly_blocks, h.kpi_blocks, h.api_blocks,
	   h.writeback_blocks, h.conditional_blocks, h.loop_blocks, h.ai_blocks, h.storage_blocks,
	   (h.h).*,
	   h.duration_seconds
FROM history h
WHERE h.kind = 1;

COMMENT ON VIEW analytics.run_features_source IS
'the definition of analytics.run_features (computed in one pass with window functions)';

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics.run_features AS
SELECT * FROM analytics.run_features_source
WITH NO DATA;

COMMENT ON MATERIALIZED VIEW analytics.run_features IS
'the training set: one row per finished run, the 25 features as of its start and its duration; refresh with extract/features.sql';

-- analytics.timing_features() and its type analytics.timing were the timing
-- features' definition before durpred.timing_features(), which computes the
-- same five values: nothing uses them any more.
DROP FUNCTION IF EXISTS analytics.timing_features(timestamptz);
DROP TYPE IF EXISTS analytics.timing;

-- The per-page history summary: the exact totals of every page's runs with
-- an outcome (analytics.run_outcomes), kept up to date by triggers as runs
-- finish, change or go, so that the history of a run starting now costs the
-- same on a page of 100 runs and of 100,000 (src/features/summary.c).  The serving
-- reads (durpred.page_features) use it where it is complete, and give the
-- values of analytics.page_features() either way.  Keep the columns in sync
-- with src/features/summary.c: summary_columns.
CREATE TABLE IF NOT EXISTS analytics.page_history_summary (
	page_id bigint PRIMARY KEY,
	complete boolean NOT NULL DEFAULT false,
	runs bigint NOT NULL DEFAULT 0,
	failed_runs bigint NOT NULL DEFAULT 0,
	sum_us numeric NOT NULL DEFAULT 0,
	sum_squares_us numeric NOT NULL DEFAULT 0,
	median_low_us bigint,
	median_low_run bigint,
	median_high_us bigint,
	median_high_run bigint
);

COMMENT ON TABLE analytics.page_history_summary IS
'per page: runs with an outcome, failed ones, sum and sum of squares of their durations in microseconds, the two middle runs by duration; complete = kept up to date (else durpred.page_history_rebuild builds it); maintained by triggers on app.noteflow_run and app.notebook_page';

-- The page's runs with an outcome in duration order, where the summary
-- finds its middle runs.  Its predicate is analytics.run_outcomes' rule.
-- Against production tables, build it first with CREATE INDEX CONCURRENTLY
-- (see the README).
:durpred_ddl_on;
CREATE INDEX IF NOT EXISTS noteflow_run_page_duration_idx
	ON app.noteflow_run (notebook_page_id, durpred.run_duration_us(finished_at, started_at), id)
	INCLUDE (status)
	WHERE status IN ('success', 'failed', 'cancelled')
	  AND durpred.run_duration_us(finished_at, started_at) IS NOT NULL;

-- On Citus the summary is not kept (the serving reads on a worker read the
-- page's runs in its shard, see "Scaling out with Citus" in the README):
-- its triggers would fire on the shards, where there is no summary.
DROP TRIGGER IF EXISTS page_history_insert ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_update ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_delete ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_truncate ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_insert ON app.notebook_page;
DROP TRIGGER IF EXISTS page_history_delete ON app.notebook_page;
DROP TRIGGER IF EXISTS page_history_truncate ON app.notebook_page;
\if :durpred_citus
\else
CREATE TRIGGER page_history_insert AFTER INSERT ON app.noteflow_run
	REFERENCING NEW TABLE AS new_runs
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');
CREATE TRIGGER page_history_update AFTER UPDATE ON app.noteflow_run
	REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');
CREATE TRIGGER page_history_delete AFTER DELETE ON app.noteflow_run
	REFERENCING OLD TABLE AS old_runs
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');
CREATE TRIGGER page_history_truncate AFTER TRUNCATE ON app.noteflow_run
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');

CREATE TRIGGER page_history_insert AFTER INSERT ON app.notebook_page
	REFERENCING NEW TABLE AS new_pages
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('pages');
CREATE TRIGGER page_history_delete AFTER DELETE ON app.notebook_page
	REFERENCING OLD TABLE AS old_pages
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('pages');
CREATE TRIGGER page_history_truncate AFTER TRUNCATE ON app.notebook_page
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('pages');

\endif
:durpred_ddl_off;

-- The triggers write the summary as the owner of the app tables: grant it
-- what it lacks (the owner of all these objects needs nothing).
DO $$
DECLARE
	t text;
	owner name;
BEGIN
	FOREACH t IN ARRAY ARRAY['app.noteflow_run', 'app.notebook_page'] LOOP
		owner := (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
				  WHERE c.oid OPERATOR(pg_catalog.=) t::pg_catalog.regclass);
		IF NOT pg_catalog.has_schema_privilege(owner, 'analytics', 'USAGE') THEN
			EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA analytics TO %I', owner);
		END IF;
		IF NOT pg_catalog.has_table_privilege(owner, 'analytics.page_history_summary',
											  'SELECT, INSERT, UPDATE, DELETE') THEN
			EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON analytics.page_history_summary TO %I', owner);
		END IF;
	END LOOP;
END
$$;

-- (Re)builds the summaries that are missing or incomplete (all of them with
-- every_page), page by page, committing every batch pages: each page's
-- writers wait only while its own summary is computed.  CALL it outside a
-- transaction block; extract/features.sql builds the missing ones itself.
CREATE OR REPLACE PROCEDURE analytics.rebuild_page_history(batch integer DEFAULT 100,
														   every_page boolean DEFAULT false)
LANGUAGE plpgsql
-- no SET search_path: a procedure with one may not commit; every name is
-- qualified instead
AS $$
DECLARE
	page bigint;
	n integer := 0;
BEGIN
	IF batch IS NULL OR batch OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'batch must be a positive number of pages' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR page IN
		SELECT p.id FROM app.notebook_page p
		WHERE every_page OR NOT EXISTS (SELECT FROM analytics.page_history_summary h
										WHERE h.page_id OPERATOR(pg_catalog.=) p.id AND h.complete)
		ORDER BY p.id
	LOOP
		PERFORM durpred.page_history_rebuild(page);
		n := n OPERATOR(pg_catalog.+) 1;
		IF n OPERATOR(pg_catalog.%) batch OPERATOR(pg_catalog.=) 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END
$$;

COMMENT ON PROCEDURE analytics.rebuild_page_history(integer, boolean) IS
'builds the history summaries that are missing or incomplete (every one with every_page), committing every batch pages; CALL outside a transaction block';

CREATE UNIQUE INDEX IF NOT EXISTS run_features_run_id_idx ON analytics.run_features (run_id);
CREATE INDEX IF NOT EXISTS run_features_started_at_idx ON analytics.run_features (started_at);

-- The definitions commit before the refresh: replacing the views locks
-- them, and the serving trigger reads them for every new run, so they are
-- held for an instant, not for the length of the refresh (which locks
-- analytics.run_features alone).
COMMIT;

\if :durpred_citus
-- On Citus, the functions that the queries sent to the workers call by
-- name (Citus sends them before the planner inlines them), as defined
-- here, on every worker.  Citus would copy them itself, but refuses, once
-- they exist, to copy the functions of durpred.features rows that this
-- script replaces (it takes the row type for a circular dependency).
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT t.f, w.nodename, w.nodeport, w.success, w.result
		FROM pg_catalog.unnest(ARRAY['analytics.has_outcome(text)', 'analytics.is_queued(text)',
									 'analytics.has_duration(timestamptz, timestamptz)',
									 'analytics.run_duration(timestamptz, timestamptz)',
									 'analytics.page_history(bigint, timestamptz)',
									 'analytics.page_features(bigint, timestamptz)',
									 'analytics.features_as_of(bigint, timestamptz)',
									 'analytics.serving_page_features(bigint, timestamptz)',
									 'analytics.completion_at(timestamptz, float8)']) AS t(f)
		CROSS JOIN LATERAL pg_catalog.run_command_on_workers(
			-- a worker refuses DDL in a distributed schema unless told so
			-- (their views stay on the coordinator: the workers read the
			-- shards directly, see durpred.page_features)
			'SET citus.enable_ddl_propagation = off; SET check_function_bodies = off; '
			|| pg_catalog.pg_get_functiondef(t.f::pg_catalog.regprocedure)) w
	LOOP
		IF NOT r.success THEN
			RAISE EXCEPTION 'could not create function % on worker %:%: %', r.f, r.nodename, r.nodeport, r.result
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
	END LOOP;
END
$$;
\else
-- the summaries of pages that have none yet, or an incomplete one (none
-- on Citus: see above)
SELECT count(durpred.page_history_rebuild(p.id)) AS summaries_built
FROM app.notebook_page p
WHERE NOT EXISTS (SELECT FROM analytics.page_history_summary h WHERE h.page_id = p.id AND h.complete)
\g /dev/null
\endif

REFRESH MATERIALIZED VIEW analytics.run_features;

ANALYZE analytics.run_features;

-- What was built, and what was left out.
\echo
\echo 'Training set (analytics.run_features) and pending runs:'
SELECT (SELECT count(*) FROM analytics.run_features) AS training_rows,
	   (SELECT count(*) FROM analytics.pending_run_features) AS pending_runs,
	   (SELECT min(started_at) FROM analytics.run_features) AS first_start,
	   (SELECT max(started_at) FROM analytics.run_features) AS last_start;
\echo 'Runs excluded, by reason:'
SELECT reason, count(*) AS runs FROM analytics.excluded_runs GROUP BY reason
UNION ALL
SELECT 'total', count(*) FROM analytics.excluded_runs
ORDER BY runs DESC, reason;

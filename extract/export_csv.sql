-- extract/export_csv.sql
--
-- Exports the training set (analytics.run_features) to a CSV file with a
-- header, in the reference dataset's layout (its data.csv): run_id,
-- page_hash, workspace_hash, started_at, status, the 25 features (booleans
-- as 0/1, missing values empty) and duration_seconds, ordered by run_id.
-- started_at is written in UTC, whatever the session's time zone.
--
--   psql -v ON_ERROR_STOP=1 [-v csv=PATH] -f extract/export_csv.sql
--
-- csv: the file to write on the client (default data.csv).

\set ON_ERROR_STOP 1
\if :{?csv}
\else
\set csv data.csv
\endif

-- \copy does not interpolate variables; COPY TO STDOUT with \g writes the
-- file on the client all the same
COPY (
	SELECT run_id, page_hash, workspace_hash,
		   to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_at,
		   status, start_hour, day_of_week, month,
		   is_weekend::int AS is_weekend, is_business_hours::int AS is_business_hours,
		   total_blocks, sql_blocks, tableau_blocks, email_blocks, slack_blocks,
		   parameter_blocks, code_blocks, plotly_blocks, kpi_blocks, api_blocks,
		   writeback_blocks, conditional_blocks, loop_blocks, ai_blocks, storage_blocks,
		   historical_run_count, historical_avg_duration, historical_median_duration,
		   historical_stddev_duration, historical_failure_rate, duration_seconds
	FROM analytics.run_features
	ORDER BY run_id
) TO STDOUT WITH (FORMAT csv, HEADER) \g :csv

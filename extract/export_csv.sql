-- extract/export_csv.sql
--
-- Exports the training set (analytics.run_features) to a CSV file with a
-- header, in the reference dataset's layout (its data.csv): the columns of
-- analytics.run_features in their order (run_id, page_hash,
-- workspace_hash, started_at, status, the 25 features, duration_seconds),
-- booleans as 0/1, missing values empty, ordered by run_id.  started_at is
-- written in UTC, whatever the session's time zone.
--
--   psql -v ON_ERROR_STOP=1 [-v csv=PATH] -f extract/export_csv.sql
--
-- csv: the file to write on the client (default data.csv).
--
-- The columns are read from the catalog, not listed here: the features'
-- names and order are those of analytics.run_features (extract/features.sql),
-- so that this script never has to change with them.

\set ON_ERROR_STOP 1
\if :{?csv}
\else
\set csv data.csv
\endif

-- the select list: every column of the training set, booleans as 0/1 and
-- started_at as an ISO 8601 instant in UTC
SELECT pg_catalog.string_agg(
		   CASE
			   WHEN a.attname = 'started_at' THEN
				   pg_catalog.format('pg_catalog.to_char(%1$I AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.US"Z"'') AS %1$I',
									 a.attname)
			   WHEN a.atttypid = 'pg_catalog.bool'::pg_catalog.regtype THEN
				   pg_catalog.format('%1$I::pg_catalog.int4 AS %1$I', a.attname)
			   ELSE pg_catalog.quote_ident(a.attname)
		   END, ', ' ORDER BY a.attnum) AS export_columns
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = 'analytics.run_features'::pg_catalog.regclass
  AND a.attnum > 0
  AND NOT a.attisdropped
\gset

-- \copy does not interpolate variables; COPY TO STDOUT with \g writes the
-- file on the client all the same
COPY (
	SELECT :export_columns
	FROM analytics.run_features
	ORDER BY run_id
) TO STDOUT WITH (FORMAT csv, HEADER) \g :csv

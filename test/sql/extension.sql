-- test/sql/extension.sql: the extension's objects, schema and life cycle
CREATE EXTENSION durpred;

SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
FROM pg_extension WHERE extname = 'durpred';

-- durpred.features: the 25 features, names, types and order of INTERFACE.md
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
WHERE a.attrelid = 'durpred.features'::regclass AND a.attnum > 0
ORDER BY a.attnum;

-- every function of the extension carries a comment
SELECT p.oid::regprocedure AS function_without_comment
FROM pg_proc p
WHERE p.pronamespace = 'durpred'::regnamespace
  AND obj_description(p.oid, 'pg_proc') IS NULL;

-- DROP and CREATE work repeatedly in one session, and the functions keep
-- working across them (nothing cached outlives the objects)
SELECT durpred.duration_category(10);
DROP EXTENSION durpred;
CREATE EXTENSION durpred;
SELECT durpred.duration_category(10);
SELECT * FROM durpred.describe_duration(500);
DROP EXTENSION durpred;
CREATE EXTENSION durpred;
SELECT durpred.duration_category(1000);
DROP EXTENSION durpred;
CREATE EXTENSION durpred;
DROP EXTENSION durpred;

-- PostgreSQL creates the schema for the extension and leaves it behind on
-- DROP EXTENSION, but nothing of the extension stays in it
SELECT count(*) AS objects_left
FROM pg_class WHERE relnamespace = 'durpred'::regnamespace;
SELECT count(*) AS functions_left
FROM pg_proc WHERE pronamespace = 'durpred'::regnamespace;
SELECT count(*) AS types_left
FROM pg_type WHERE typnamespace = 'durpred'::regnamespace;

-- not relocatable
CREATE EXTENSION durpred;
CREATE SCHEMA elsewhere;
ALTER EXTENSION durpred SET SCHEMA elsewhere;
DROP SCHEMA elsewhere;
DROP EXTENSION durpred;

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

-- 0.1.0 updates to 0.5.0 through 0.2.0, 0.3.0 and 0.4.0, in place (models
-- kept), and then has exactly the objects of a fresh install
CREATE EXTENSION durpred VERSION '0.1.0';
SELECT to_regproc('durpred.timing_features') IS NULL AS no_timing_in_0_1_0,
	   to_regproc('durpred.page_features') IS NULL AS no_page_features_in_0_1_0;
\i test/fixtures/tiny_model.sql
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS id;
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 50);
ALTER EXTENSION durpred UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'durpred';
SELECT name, version, active FROM durpred.models;
SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 50);
SELECT (durpred.timing_features('2026-12-01 10:00+00')).*;
SELECT to_regprocedure('durpred.page_features(bigint, timestamptz)') IS NOT NULL AS page_features_added;
SELECT has_function_privilege('public', 'durpred.estimate_completion()', 'EXECUTE') AS public_may_attach_trigger;
-- the extension's member objects, whichever version is installed
CREATE TEMP VIEW members AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'durpred');
CREATE TEMP TABLE updated AS SELECT * FROM members;
DROP EXTENSION durpred;
CREATE EXTENSION durpred;
CREATE TEMP TABLE fresh AS SELECT * FROM members;
SELECT (SELECT count(*) FROM fresh) AS objects,
	   (SELECT count(*) FROM (SELECT object FROM fresh EXCEPT SELECT object FROM updated) x) AS only_fresh,
	   (SELECT count(*) FROM (SELECT object FROM updated EXCEPT SELECT object FROM fresh) x) AS only_updated;
DROP EXTENSION durpred;

-- The schema must be durpred's alone (sql/durpred--0.5.0.sql): owned by a
-- superuser, no other role may create objects in it, and it holds nothing
-- but durpred's objects.  The schema that DROP EXTENSION leaves behind,
-- empty and owned by the superuser who ran CREATE EXTENSION, passes: it
-- was reused above.  Anything else is refused with 42501, saying why and
-- how to put it right.
\set SHOW_CONTEXT never
CREATE ROLE regress_squatter;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO regress_squatter', current_database()); END $$;
DROP SCHEMA durpred;
-- a schema that another role created first: CREATE EXTENSION would put
-- durpred's objects beside whatever that role adds
SET ROLE regress_squatter;
CREATE SCHEMA durpred;
RESET ROLE;
CREATE EXTENSION durpred;
\echo :SQLSTATE
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'durpred';
-- owned by a superuser, but others may create objects in it
ALTER SCHEMA durpred OWNER TO CURRENT_USER;
GRANT CREATE ON SCHEMA durpred TO regress_squatter, PUBLIC;
CREATE EXTENSION durpred;
\echo :SQLSTATE
-- no one else may create objects in it, but an object of theirs is there
SET ROLE regress_squatter;
CREATE FUNCTION durpred.predict_duration(sql_blocks integer) RETURNS float8
LANGUAGE sql AS 'SELECT 42::float8';
RESET ROLE;
REVOKE CREATE ON SCHEMA durpred FROM regress_squatter, PUBLIC;
CREATE EXTENSION durpred;
\echo :SQLSTATE
-- put right as the hints say: it installs
DROP FUNCTION durpred.predict_duration(integer);
CREATE EXTENSION durpred;
SELECT extversion FROM pg_extension WHERE extname = 'durpred';
DROP EXTENSION durpred;

-- An older script installs into a schema someone else created: that role
-- then adds an overload that callers resolve to.  The update to 0.5.0
-- refuses such an installation until the schema is durpred's alone.
DROP SCHEMA durpred;
SET ROLE regress_squatter;
CREATE SCHEMA durpred;
RESET ROLE;
CREATE EXTENSION durpred VERSION '0.4.0';
SET ROLE regress_squatter;
CREATE FUNCTION durpred.predict_duration(f durpred.features) RETURNS float8
LANGUAGE sql AS 'SELECT 42::float8';
RESET ROLE;
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS id;
SELECT durpred.predict_duration(ROW(NULL, NULL, NULL, NULL, NULL, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
									0, 0, 0, 0, 0, 50, NULL, NULL, NULL)::durpred.features) AS squatters_answer;
ALTER EXTENSION durpred UPDATE;
\echo :SQLSTATE
ALTER SCHEMA durpred OWNER TO CURRENT_USER;
ALTER EXTENSION durpred UPDATE;
\echo :SQLSTATE
DROP FUNCTION durpred.predict_duration(durpred.features);
ALTER EXTENSION durpred UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'durpred';
SELECT name, version, active FROM durpred.models;
SELECT durpred.predict_duration(ROW(NULL, NULL, NULL, NULL, NULL, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
									0, 0, 0, 0, 0, 50, NULL, NULL, NULL)::durpred.features) AS models_answer;
DROP EXTENSION durpred;
\set SHOW_CONTEXT errors
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM regress_squatter', current_database()); END $$;
DROP ROLE regress_squatter;

-- the check is the same in the install script and in the update
SELECT substring(pg_read_file(dir || 'durpred--0.5.0.sql') FROM '-- >>> schema check\n(.*)-- <<< schema check')
	   = substring(pg_read_file(dir || 'durpred--0.4.0--0.5.0.sql') FROM '-- >>> schema check\n(.*)-- <<< schema check')
	   AS same_check
FROM (SELECT setting || '/extension/' AS dir FROM pg_config WHERE name = 'SHAREDIR') d;

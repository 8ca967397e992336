-- extract/detect_citus.sql
--
-- Included (\ir) by the extraction scripts: sets the psql variable
-- durpred_citus to whether the app tables are distributed by Citus (this
-- is a coordinator laid out by extract/citus.sql), and then lets this
-- session create and drop triggers on distributed tables, which Citus
-- allows only when asked (citus.enable_unsafe_triggers), and keeps the
-- analytics functions and views on the coordinator: the queries that Citus
-- sends to the workers carry the bodies of the SQL functions inlined, and
-- Citus refuses to copy functions that refer to one another.  The
-- including script turns the propagation of DDL on (:durpred_ddl_on)
-- around what changes distributed tables, and off again (:durpred_ddl_off).

SELECT pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL AS durpred_citus \gset
\if :durpred_citus
SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
			   WHERE logicalrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('app.noteflow_run'))
	AS durpred_citus \gset
\endif
\if :durpred_citus
SET citus.enable_unsafe_triggers = on;
SET citus.enable_ddl_propagation = off;
\set durpred_ddl_on 'SET citus.enable_ddl_propagation = on'
\set durpred_ddl_off 'SET citus.enable_ddl_propagation = off'
\else
\set durpred_ddl_on ''
\set durpred_ddl_off ''
\endif

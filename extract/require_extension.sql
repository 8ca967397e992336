-- extract/require_extension.sql
--
-- Included (\ir) by the extraction scripts to stop, saying how to update,
-- on a durpred extension older than the one they are written for, rather
-- than fail on the first object that calls what it lacks.  The including
-- script sets the psql variables durpred_needs (the signature of the newest
-- function it calls) and durpred_script (its own name) first.

SELECT pg_catalog.set_config('durpred_extract.needs', :'durpred_needs', false),
	   pg_catalog.set_config('durpred_extract.script', :'durpred_script', false) \g /dev/null
DO $$
BEGIN
	IF pg_catalog.to_regprocedure(pg_catalog.current_setting('durpred_extract.needs')) IS NULL THEN
		RAISE EXCEPTION 'the durpred extension of this database is version %, older than %',
			(SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'durpred'),
			pg_catalog.current_setting('durpred_extract.script')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'ALTER EXTENSION durpred UPDATE brings it to the installed version; the models stay.';
	END IF;
END
$$;

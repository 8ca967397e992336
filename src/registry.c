/*-------------------------------------------------------------------------
 *
 * src/registry.c
 *		The model registry: durpred.install_model() and the trigger that
 *		tells every backend the registry changed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "durpred.h"
#include "feature.h"
#include "model.h"
#include "scorer.h"

#define MAX_MODEL_NAME_CHARS 200

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_install_model);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_model_changed);

/*
 * RequireArgument
 *		Refuses a NULL argument of a function that is not STRICT because a
 *		NULL deserves an error, not a NULL result.
 */
static void
RequireArgument(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

/*
 * FeatureNamesArray
 *		The model's inputs as a text[] of durpred feature names, in model
 *		column order.
 */
static ArrayType *
FeatureNamesArray(const Scorer *scorer)
{
	Datum	   *names = palloc(sizeof(Datum) * scorer->num_feature);
	int			i;

	for (i = 0; i < scorer->num_feature; i++)
		names[i] = CStringGetTextDatum(DurpredFeatures[scorer->binding[i]].name);
	return construct_array(names, scorer->num_feature, TEXTOID, -1, false,
						   TYPALIGN_INT);
}

/*
 * SpiExec
 *		Runs one statement of the registry through SPI, checked.
 */
static void
SpiExec(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL,
										   false, 0);

	if (rc != expected)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
}

/*
 * durpred_install_model
 *		durpred.install_model(name, model, info, activate): validates model
 *		bytes completely (the same load every backend will do, including the
 *		check of the compiled evaluator against XGBoost), stores them as the
 *		next version of name, and activates them if asked.
 *
 * Installs of one name are serialised by a lock on the table, so versions
 * count up without gaps or duplicates; readers are not blocked.
 */
Datum
durpred_install_model(PG_FUNCTION_ARGS)
{
	text	   *name;
	bytea	   *bytes;
	Jsonb	   *info = NULL;
	bool		activate;
	char	   *name_str;
	int			name_chars;
	Scorer	   *scorer;
	char		version_text[32];
	Oid			types[12];
	Datum		values[12];
	char		nulls[12];
	int64		id;
	bool		isnull;
	SPIPlanPtr	plan;
	int			rc;

	RequireArgument(fcinfo, 0, "model name");
	RequireArgument(fcinfo, 1, "model");
	RequireArgument(fcinfo, 3, "activate");
	name = PG_GETARG_TEXT_PP(0);
	bytes = PG_GETARG_BYTEA_PP(1);
	if (!PG_ARGISNULL(2))
		info = PG_GETARG_JSONB_P(2);
	activate = PG_GETARG_BOOL(3);

	PreventCommandIfReadOnly("durpred.install_model()");
	PreventCommandDuringRecovery("durpred.install_model()");

	name_str = text_to_cstring(name);
	name_chars = pg_mbstrlen(name_str);
	if (name_chars == 0 || name_chars > MAX_MODEL_NAME_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must have 1 to %d characters", MAX_MODEL_NAME_CHARS)));
	if (info != NULL && !JB_ROOT_IS_OBJECT(info))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model info must be a JSON object")));

	CheckModelSize(VARSIZE_ANY_EXHDR(bytes));
	scorer = ScorerBuild(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes), info,
						 ERRCODE_INVALID_PARAMETER_VALUE, false);
	/* at install only: a model stored before is loaded as it always was */
	ScorerCheckRange(scorer, ERRCODE_INVALID_PARAMETER_VALUE);
	snprintf(version_text, sizeof(version_text), INT64_FORMAT "." INT64_FORMAT "." INT64_FORMAT,
			 scorer->xgboost_version[0], scorer->xgboost_version[1],
			 scorer->xgboost_version[2]);

	types[0] = TEXTOID;
	values[0] = PointerGetDatum(name);
	types[1] = BYTEAOID;
	values[1] = PointerGetDatum(bytes);
	types[2] = TEXTOID;
	values[2] = CStringGetTextDatum(scorer->is_ubjson ? "ubjson" : "json");
	types[3] = JSONBOID;
	values[3] = PointerGetDatum(info);
	types[4] = INT4OID;
	values[4] = Int32GetDatum(scorer->num_trees);
	types[5] = INT4OID;
	values[5] = Int32GetDatum(scorer->num_parallel_tree);
	types[6] = INT4OID;
	values[6] = Int32GetDatum(scorer->num_feature);
	types[7] = TEXTARRAYOID;
	values[7] = PointerGetDatum(FeatureNamesArray(scorer));
	types[8] = TEXTOID;
	values[8] = CStringGetTextDatum(scorer->objective);
	types[9] = INT4OID;
	values[9] = Int32GetDatum(scorer->max_depth);
	types[10] = TEXTOID;
	values[10] = CStringGetTextDatum(version_text);
	types[11] = TEXTOID;
	values[11] = CStringGetTextDatum(GetUserNameFromId(GetOuterUserId(), false));
	memset(nulls, ' ', sizeof(nulls));
	if (info == NULL)
		nulls[3] = 'n';
	/* the values are copies: the scorer's memory is not held while storing */
	ScorerFree(scorer);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SpiExec("LOCK TABLE durpred.model IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL,
			SPI_OK_UTILITY);
	/* the columns: keep in sync with sql/durpred--0.1.0.sql:durpred.model */
	/*
	 * A generic plan: a custom one would fold the parameters into constants,
	 * copying the model's bytes into the plan.
	 */
	plan = SPI_prepare_cursor("INSERT INTO durpred.model (name, version, model, format, info,"
							  " n_trees, num_parallel_tree, n_features, feature_names, objective,"
							  " max_depth, xgboost_version, created_by)"
							  " SELECT $1, COALESCE(pg_catalog.max(m.version), 0)"
							  " OPERATOR(pg_catalog.+) 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12"
							  " FROM durpred.model m WHERE m.name OPERATOR(pg_catalog.=) $1"
							  " RETURNING id",
							  12, types, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not store the model: %s", SPI_result_code_string(rc));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									 1, &isnull));
	/*
	 * as durpred.activate_model(bigint) activates a model (keep in sync with
	 * sql/durpred--0.1.0.sql:durpred.activate_model), under the lock above
	 */
	if (activate)
	{
		types[0] = INT8OID;
		values[0] = Int64GetDatum(id);
		SpiExec("UPDATE durpred.model SET active = false"
				" WHERE active AND id OPERATOR(pg_catalog.<>) $1",
				1, types, values, SPI_OK_UPDATE);
		SpiExec("UPDATE durpred.model SET active = true"
				" WHERE id OPERATOR(pg_catalog.=) $1",
				1, types, values, SPI_OK_UPDATE);
	}
	SPI_finish();

	PG_RETURN_INT64(id);
}

/*
 * durpred_model_changed
 *		Statement trigger on durpred.model: sends a relcache invalidation of
 *		the table, which INSERT, UPDATE and DELETE do not send by themselves,
 *		so that every backend re-reads the registry after the commit.
 */
Datum
durpred_model_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("durpred.model_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

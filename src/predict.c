/*-------------------------------------------------------------------------
 *
 * src/predict.c
 *		SQL entry points for scoring: durpred.predict_duration() in its three
 *		forms, predict_json(), predict_with_model(), current_model_id() and
 *		model_loaded().
 *
 * The hot path does no catalog or SPI access: CurrentModel() is one test
 * of a static flag until the registry changes, and the record form keeps the
 * mapping from a row type's fields to features in fn_extra.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "cache.h"
#include "calls.h"
#include "category.h"
#include "durpred.h"
#include "feature.h"
#include "interval.h"
#include "predict.h"
#include "scorer.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_duration);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_duration_record);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_duration_jsonb);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_json);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_with_model);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_current_model_id);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_model_loaded);

/*
 * Where each feature is in a row type: built once per row type and call
 * site, kept in fn_extra.
 */
typedef struct RecordMap
{
	Oid			typid;
	int32		typmod;
	TupleDesc	desc;
	int			field[DURPRED_NUM_FEATURES];	/* 0-based, -1 if absent */
	Oid			type[DURPRED_NUM_FEATURES];
	Datum	   *values;
	bool	   *nulls;
	void	   *result_desc;	/* predict_with_model's, see CallResultDesc */
} RecordMap;

/*
 * durpred_predict_duration
 *		The named-argument form: one argument per feature, NULL = missing.
 */
Datum
durpred_predict_duration(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];

	PredictNamedFeatures(fcinfo, x);
	PG_RETURN_FLOAT8(ScorerSeconds(CurrentModel(false)->scorer, x));
}

/*
 * PredictNamedFeatures
 *		See predict.h.
 */
void
PredictNamedFeatures(FunctionCallInfo fcinfo, float *x)
{
	int			i;

	/*
	 * argument i is feature i (keep in sync with
	 * sql/durpred--0.1.0.sql:durpred.predict_duration)
	 */
	for (i = 0; i < DURPRED_NUM_FEATURES; i++)
		x[i] = PG_ARGISNULL(i) ? NAN : FeatureFromDatum(i, PG_GETARG_DATUM(i));
	x[DURPRED_MISSING_SLOT] = NAN;
}

/*
 * BuildRecordMap
 *		Matches a row type's fields to features by name.
 */
static RecordMap *
BuildRecordMap(FmgrInfo *flinfo, Oid typid, int32 typmod)
{
	RecordMap  *map = flinfo->fn_extra;
	MemoryContext old = MemoryContextSwitchTo(flinfo->fn_mcxt);
	TupleDesc	desc;
	int			i;

	if (map == NULL)
		map = palloc0(sizeof(RecordMap));
	else
	{
		FreeTupleDesc(map->desc);
		pfree(map->values);
		pfree(map->nulls);
	}
	desc = lookup_rowtype_tupdesc(typid, typmod);
	map->desc = CreateTupleDescCopy(desc);
	ReleaseTupleDesc(desc);
	map->typid = typid;
	map->typmod = typmod;
	map->values = palloc(sizeof(Datum) * Max(map->desc->natts, 1));
	map->nulls = palloc(sizeof(bool) * Max(map->desc->natts, 1));
	for (i = 0; i < DURPRED_NUM_FEATURES; i++)
		map->field[i] = -1;

	for (i = 0; i < map->desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(map->desc, i);
		const char *name = NameStr(att->attname);
		int			f;

		if (att->attisdropped)
			continue;
		f = FeatureIndex(name, strlen(name));
		if (f < 0)
			continue;			/* extra fields are ignored */
		if (map->field[f] >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("row has two fields named \"%s\"", name)));
		switch (att->atttypid)
		{
			case BOOLOID:
				if (DurpredFeatures[f].kind != FEATURE_BOOL)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("field \"%s\" is boolean, but the feature is a number", name)));
				break;
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case FLOAT4OID:
			case FLOAT8OID:
			case NUMERICOID:
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("field \"%s\" has type %s, which is not a number or a boolean",
								name, format_type_be(att->atttypid))));
		}
		map->field[f] = i;
		map->type[f] = att->atttypid;
	}
	flinfo->fn_extra = map;
	MemoryContextSwitchTo(old);
	return map;
}

/*
 * FieldValue
 *		A field's value as a double, for FeatureValue.
 */
static double
FieldValue(Oid type, Datum value)
{
	switch (type)
	{
		case BOOLOID:
			return DatumGetBool(value) ? 1.0 : 0.0;
		case INT2OID:
			return DatumGetInt16(value);
		case INT4OID:
			return DatumGetInt32(value);
		case INT8OID:
			return (double) DatumGetInt64(value);
		case FLOAT4OID:
			return DatumGetFloat4(value);
		case FLOAT8OID:
			return DatumGetFloat8(value);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
	}
	elog(ERROR, "unexpected field type %u", type);
	return 0;					/* keep compiler quiet */
}

/*
 * PredictRecordFeatures
 *		Fills a feature vector from a row value, fields matched by name;
 *		absent fields take the named-argument defaults.  Returns the call
 *		site's result row type slot (see predict.h).
 */
void	  **
PredictRecordFeatures(FunctionCallInfo fcinfo, HeapTupleHeader row, float *x)
{
	RecordMap  *map = fcinfo->flinfo->fn_extra;
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	HeapTupleData tuple;
	int			i;

	if (map == NULL || map->typid != typid || map->typmod != typmod)
		map = BuildRecordMap(fcinfo->flinfo, typid, typmod);

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, map->desc, map->values, map->nulls);

	FeatureVectorInit(x);
	for (i = 0; i < DURPRED_NUM_FEATURES; i++)
	{
		int			field = map->field[i];

		if (field < 0)
			continue;
		if (map->nulls[field])
			x[i] = NAN;
		else
			x[i] = FeatureValue(i, FieldValue(map->type[i], map->values[field]));
	}
	return &map->result_desc;
}

/*
 * durpred_predict_duration_record
 *		The record form: any row value whose fields are named like features.
 *		A NULL row gives NULL.
 */
Datum
durpred_predict_duration_record(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PredictRecordFeatures(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), x);
	PG_RETURN_FLOAT8(ScorerSeconds(CurrentModel(false)->scorer, x));
}

/*
 * JsonbPrediction
 *		The prediction for a reference-service request body.  Absent
 *		features take the model's defaults (its info's "defaults"), else the
 *		named-argument defaults.
 */
static double
JsonbPrediction(Jsonb *request, CachedModel **used)
{
	CachedModel *model = CurrentModel(false);
	float		x[DURPRED_VECTOR_LEN];

	PredictJsonbFeatures(model, request, x);
	if (used != NULL)
		*used = model;
	return ScorerSeconds(model->scorer, x);
}

/*
 * PredictJsonbFeatures
 *		See predict.h.
 */
void
PredictJsonbFeatures(const CachedModel *model, Jsonb *request, float *x)
{
	memcpy(x, model->scorer->defaults, sizeof(float) * DURPRED_VECTOR_LEN);
	FeatureVectorFromJsonb(request, x, "request");
}

/*
 * durpred_predict_duration_jsonb
 *		The jsonb form.  A NULL request gives NULL.
 */
Datum
durpred_predict_duration_jsonb(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(JsonbPrediction(PG_GETARG_JSONB_P(0), NULL));
}

/*
 * AppendJsonString
 *		A JSON string literal of ASCII text without quotes or escapes.
 */
static void
AppendJsonString(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, "\"%s\": \"%s\"", key, value);
}

/*
 * durpred_predict_json
 *		The reference service's /predict response for a request body.
 */
Datum
durpred_predict_json(PG_FUNCTION_ARGS)
{
	double		seconds;
	DurationCategory category;
	StringInfoData buf;
	char		number[DOUBLE_SHORTEST_DECIMAL_LEN];
	CachedModel *model;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	seconds = JsonbPrediction(PG_GETARG_JSONB_P(0), &model);
	if (!isfinite(seconds))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the model's prediction is not finite")));
	category = DurationCategoryOf(seconds);
	double_to_shortest_decimal_buf(RoundToCents(seconds), number);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	AppendJsonString(&buf, "duration_category", DurationCategoryLabel(category));
	appendStringInfoString(&buf, ", ");
	AppendJsonString(&buf, "duration_description", DurationCategoryDescription(category));
	appendStringInfo(&buf, ", \"predicted_duration\": %s, ", number);
	AppendJsonString(&buf, "recommendation", DurationCategoryRecommendation(category));
	/* only a model with interval data has an interval (src/interval.c) */
	if (model->scorer->intervals != NULL)
		AppendJsonInterval(&buf, model->scorer->intervals, seconds);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/*
 * durpred_predict_with_model
 *		The record form, with the id of the model that made the prediction:
 *		one call, so that both come from the same model.  For serving (the
 *		scored queue, analytics.pending_run_estimates), having no active
 *		model is an answer, not an error: NULL (see ServingModel).
 */
Datum
durpred_predict_with_model(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	CachedModel *model;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	void	  **slot;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	slot = PredictRecordFeatures(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), x);
	model = ServingModel();
	if (model == NULL)
		PG_RETURN_NULL();
	/* keep in sync with sql/durpred--0.1.0.sql:durpred.predict_with_model's OUT arguments */
	values[0] = Float8GetDatum(ScorerSeconds(model->scorer, x));
	values[1] = Int64GetDatum(model->id);

	tupdesc = CallResultDesc(fcinfo, slot);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * durpred_current_model_id
 *		The id of the model this session scores with (loading it).
 */
Datum
durpred_current_model_id(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(CurrentModel(false)->id);
}

/*
 * ModelLoaded
 *		Whether the session has a model, into *loaded; model_loaded() calls
 *		it in a subtransaction.
 */
static void
ModelLoaded(void *loaded)
{
	*(bool *) loaded = CurrentModel(true) != NULL;
}

/*
 * durpred_model_loaded
 *		The health check: whether the session has a model it can score with.
 *		A model that fails to load gives false and a WARNING with the reason,
 *		not an error.  A cancel, a statement timeout or running out of memory
 *		is not an answer about the model: it stays an error.
 */
Datum
durpred_model_loaded(PG_FUNCTION_ARGS)
{
	bool		loaded = false;
	ErrorData  *edata = CallInSubtransaction(ModelLoaded, &loaded);

	if (edata == NULL)
		PG_RETURN_BOOL(loaded);
	switch (ERRCODE_TO_CATEGORY(edata->sqlerrcode))
	{
		case ERRCODE_OPERATOR_INTERVENTION:
		case ERRCODE_INSUFFICIENT_RESOURCES:
			ReThrowError(edata);
		default:
			break;
	}
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("%s", edata->message),
			 edata->detail ? errdetail("%s", edata->detail) : 0));
	FreeErrorData(edata);
	PG_RETURN_BOOL(false);
}

/*-------------------------------------------------------------------------
 *
 * src/predict.c
 *		SQL entry points for scoring: durpred.predict_duration() in its three
 *		forms, predict_json(), predict_with_model(), current_model_id() and
 *		model_loaded(); and for explaining: explain_duration() in the same
 *		three forms, and predict_json()'s top factors.  The feature vectors
 *		of the three forms are shared with predict_interval (predict.h).
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
#include "explain.h"
#include "feature.h"
#include "interval.h"
#include "predict.h"
#include "scorer.h"

/* predict_json's top factors */
#define TOP_FACTORS 5

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_duration);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_duration_record);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_duration_jsonb);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_json);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_with_model);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_current_model_id);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_model_loaded);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_explain_duration);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_explain_duration_record);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_explain_duration_jsonb);

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
 * NamedFeatures
 *		The feature vector of the named-argument form: one argument per
 *		feature, NULL = missing.
 */
static inline void
NamedFeatures(FunctionCallInfo fcinfo, float *x)
{
	int			i;

	/*
	 * argument i is feature i (keep in sync with
	 * sql/durpred--0.1.0.sql:durpred.predict_duration and
	 * sql/durpred--0.5.0.sql:durpred.explain_duration and
	 * durpred.predict_interval)
	 */
	for (i = 0; i < DURPRED_NUM_FEATURES; i++)
		x[i] = PG_ARGISNULL(i) ? NAN : FeatureFromDatum(i, PG_GETARG_DATUM(i));
	x[DURPRED_MISSING_SLOT] = NAN;
}

/*
 * durpred_predict_duration
 *		The named-argument form.
 */
Datum
durpred_predict_duration(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];

	NamedFeatures(fcinfo, x);
	PG_RETURN_FLOAT8(ScorerSeconds(CurrentModel(false)->scorer, x));
}

/*
 * PredictNamedFeatures
 *		See predict.h.
 */
void
PredictNamedFeatures(FunctionCallInfo fcinfo, float *x)
{
	NamedFeatures(fcinfo, x);
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
 * PredictServingFeatures
 *		See predict.h.  A NULL row is not scored; the features are read
 *		before the model is looked up, so that a malformed row is an error
 *		whether or not a model is active.
 */
CachedModel *
PredictServingFeatures(FunctionCallInfo fcinfo, float *x, void ***slot)
{
	if (PG_ARGISNULL(0))
		return NULL;
	*slot = PredictRecordFeatures(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), x);
	return ServingModel();
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
 * JsonbFeatures
 *		The feature vector of a reference-service request body, and the
 *		model it is for.  Absent features take the model's defaults (its
 *		info's "defaults"), else the named-argument defaults.
 */
static CachedModel *
JsonbFeatures(Jsonb *request, float *x)
{
	CachedModel *model = CurrentModel(false);

	PredictJsonbFeatures(model, request, x);
	return model;
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
 * JsonbPrediction
 *		The prediction for a reference-service request body.
 */
static double
JsonbPrediction(Jsonb *request)
{
	float		x[DURPRED_VECTOR_LEN];
	CachedModel *model = JsonbFeatures(request, x);

	return ScorerSeconds(model->scorer, x);
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
	PG_RETURN_FLOAT8(JsonbPrediction(PG_GETARG_JSONB_P(0)));
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
 * Explanation
 *		A row's TreeSHAP values, and the model's columns ordered by their
 *		absolute contribution, descending (ties in feature order).
 */
typedef struct Explanation
{
	double		phi[DURPRED_VECTOR_LEN];
	double		base_value;
	int			num;
	int			order[DURPRED_NUM_FEATURES];	/* feature slots */
} Explanation;

static const double *explanation_sort_phi;

/*
 * CompareContribution
 *		qsort comparator: larger absolute contribution first, then the
 *		feature order.
 */
static int
CompareContribution(const void *a, const void *b)
{
	int			fa = *(const int *) a;
	int			fb = *(const int *) b;
	double		ca = fabs(explanation_sort_phi[fa]);
	double		cb = fabs(explanation_sort_phi[fb]);

	if (ca != cb)
		return ca > cb ? -1 : 1;
	return fa - fb;
}

/*
 * Explain
 *		Explains a feature vector with a model.
 */
static void
Explain(CachedModel *model, const float *x, Explanation *out)
{
	Scorer	   *scorer = model->scorer;
	const Explainer *ex = ScorerExplainer(scorer);
	int			i;

	ExplainerExplain(ex, x, out->phi);
	out->base_value = ex->base_value;
	out->num = scorer->num_feature;
	for (i = 0; i < scorer->num_feature; i++)
		out->order[i] = scorer->binding[i];
	explanation_sort_phi = out->phi;
	qsort(out->order, out->num, sizeof(int), CompareContribution);
}

/*
 * ShownValue
 *		A feature's value as the model saw it (a float32), as the shortest
 *		decimal that reads back as that float32: 80.97158, not
 *		80.9715805053711.
 */
static double
ShownValue(float value)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

	float_to_shortest_decimal_buf(value, buf);
	return strtod(buf, NULL);
}

/*
 * AppendJsonNumber
 *		A float8 as the shortest decimal that reads back the same.
 */
static void
AppendJsonNumber(StringInfo buf, double value)
{
	char		number[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(value, number);
	appendStringInfoString(buf, number);
}

/*
 * AppendTopFactors
 *		"top_factors": the largest contributions (up to TOP_FACTORS, none
 *		that is 0), each with the feature's value and its share of the
 *		prediction in seconds, rounded as predicted_duration is.  With an
 *		identity link the margin is in seconds.  With a log link (gamma,
 *		Tweedie, Poisson) the prediction is exp(base + sum of contributions);
 *		the contributions are scaled so that they add up to the prediction
 *		less exp(base): each gets exp(base) * expm1(S) / S seconds per unit
 *		of margin, S being their sum (exp(base) when S is 0).
 */
static void
AppendTopFactors(StringInfo buf, const Scorer *scorer, const float *x,
				 const Explanation *e)
{
	double		per_unit = 1.0;
	int			i;

	if (scorer->evaluator->transform == TRANSFORM_EXP)
	{
		double		sum = 0;

		for (i = 0; i < DURPRED_NUM_FEATURES; i++)
			sum += e->phi[i];
		per_unit = exp(e->base_value);
		if (sum != 0)
			per_unit *= expm1(sum) / sum;
	}

	appendStringInfoString(buf, ", \"top_factors\": [");
	for (i = 0; i < Min(e->num, TOP_FACTORS); i++)
	{
		int			f = e->order[i];

		if (e->phi[f] == 0)
			break;
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "{\"feature\": \"%s\", \"value\": ", DurpredFeatures[f].name);
		if (isnan(x[f]))
			appendStringInfoString(buf, "null");
		else
			AppendJsonNumber(buf, ShownValue(x[f]));
		appendStringInfoString(buf, ", \"seconds\": ");
		AppendJsonNumber(buf, RoundToCents(e->phi[f] * per_unit));
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoChar(buf, ']');
}

/*
 * durpred_predict_json
 *		The reference service's /predict response for a request body; with
 *		explain, its "top_factors" too.  (The 0.4.0 definition, which a
 *		server may still have before ALTER EXTENSION UPDATE, passes one
 *		argument.)
 */
Datum
durpred_predict_json(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	CachedModel *model;
	double		seconds;
	bool		explain = false;
	DurationCategory category;
	StringInfoData buf;

	if (PG_NARGS() > 1)
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("explain must not be NULL")));
		explain = PG_GETARG_BOOL(1);
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	model = JsonbFeatures(PG_GETARG_JSONB_P(0), x);
	seconds = ScorerSeconds(model->scorer, x);
	if (!isfinite(seconds))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the model's prediction is not finite")));
	category = DurationCategoryOf(seconds);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	AppendJsonString(&buf, "duration_category", DurationCategoryName(category));
	appendStringInfoString(&buf, ", ");
	AppendJsonString(&buf, "duration_description", DurationCategoryDescription(category));
	appendStringInfoString(&buf, ", \"predicted_duration\": ");
	AppendJsonNumber(&buf, RoundToCents(seconds));
	appendStringInfoString(&buf, ", ");
	AppendJsonString(&buf, "recommendation", DurationCategoryRecommendation(category));
	/* only a model with interval data has an interval (src/interval.c) */
	if (model->scorer->intervals != NULL)
		AppendJsonInterval(&buf, model->scorer->intervals, x, seconds);
	if (explain)
	{
		Explanation e;

		Explain(model, x, &e);
		AppendTopFactors(&buf, model->scorer, x, &e);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/*
 * ReturnExplanation
 *		explain_duration's rows for a feature vector: (feature, value,
 *		contribution) for each of the model's inputs, by descending absolute
 *		contribution, then ('base_value', NULL, base value).  A NULL model
 *		(the record or jsonb form's NULL argument) gives no rows.
 */
static Datum
ReturnExplanation(FunctionCallInfo fcinfo, CachedModel *model, const float *x)
{
	ReturnSetInfo *rsinfo;
	Explanation e;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (model == NULL)
		return (Datum) 0;
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Explain(model, x, &e);
	/* keep in sync with sql/durpred--0.5.0.sql:durpred.explain_duration's result */
	for (i = 0; i < e.num; i++)
	{
		int			f = e.order[i];

		values[0] = CStringGetTextDatum(DurpredFeatures[f].name);
		nulls[1] = isnan(x[f]);
		values[1] = Float8GetDatum(nulls[1] ? 0 : ShownValue(x[f]));
		values[2] = Float8GetDatum(e.phi[f]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	values[0] = CStringGetTextDatum("base_value");
	nulls[1] = true;
	values[1] = (Datum) 0;
	values[2] = Float8GetDatum(e.base_value);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * durpred_explain_duration
 *		The named-argument form of explain_duration.
 */
Datum
durpred_explain_duration(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];

	NamedFeatures(fcinfo, x);
	return ReturnExplanation(fcinfo, CurrentModel(false), x);
}

/*
 * durpred_explain_duration_record
 *		The record form: a NULL row gives no rows.
 */
Datum
durpred_explain_duration_record(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];

	if (PG_ARGISNULL(0))
		return ReturnExplanation(fcinfo, NULL, NULL);
	PredictRecordFeatures(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), x);
	return ReturnExplanation(fcinfo, CurrentModel(false), x);
}

/*
 * durpred_explain_duration_jsonb
 *		The jsonb form: a NULL request gives no rows.
 */
Datum
durpred_explain_duration_jsonb(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];

	if (PG_ARGISNULL(0))
		return ReturnExplanation(fcinfo, NULL, NULL);
	return ReturnExplanation(fcinfo, JsonbFeatures(PG_GETARG_JSONB_P(0), x), x);
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

	model = PredictServingFeatures(fcinfo, x, &slot);
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

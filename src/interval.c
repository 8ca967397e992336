/*-------------------------------------------------------------------------
 *
 * src/interval.c
 *		Prediction intervals: the calibration table of a model's info
 *		(info.intervals), its validation, and durpred.predict_interval() in
 *		the three forms of predict_duration, plus
 *		predict_interval_with_model() for the scored queue.
 *
 * durpred-train (src/trainer/interval.c) calibrates the log ratio of
 * actual to estimated duration (each plus an offset of 1 s) on the
 * validation rows, in groups of runs by a feature (historical_run_count:
 * how much history the page had) and, within a group, in bins of the
 * estimate; the table travels in the model's info, so that it is
 * installed, versioned, exported, dumped and activated with the trees as
 * one model.  Here an estimate's interval at a level is, with lo and hi
 * the quantiles of its group's bin (src/common/estimate.h:IntervalOfValue,
 * which the trainer reports on its test rows with):
 *
 *		low  = max(0, min(estimate, (estimate + offset) e^lo - offset))
 *		high = max(estimate, (estimate + offset) e^hi - offset)
 *
 * so that 0 <= low <= estimate <= high, and the estimate is
 * predict_duration's own value (ScorerSeconds), bit for bit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "cache.h"
#include "calls.h"
#include "category.h"
#include "durpred.h"
#include "feature.h"
#include "interval.h"
#include "predict.h"
#include "scorer.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_interval);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_interval_record);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_interval_jsonb);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_predict_interval_with_model);

#define MAX_GROUPS 100
#define MAX_BINS 10000
#define MAX_OFFSET 1e6
/* |log ratio| beyond this (a factor of e^50) is no calibration */
#define MAX_LOG_RATIO 50.0

/* the arguments after the features of the named form */
#define NAMED_COVERAGE_ARG DURPRED_NUM_FEATURES

/*
 * IntervalError
 *		Refuses a malformed interval section.
 */
static void
pg_attribute_noreturn()
IntervalError(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid \"intervals\" in model info: %s", what)));
}

/*
 * Member
 *		The value of key in a jsonb object container, or NULL.
 */
static JsonbValue *
Member(JsonbContainer *object, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(object, JB_FOBJECT, &k);
}

/*
 * CheckKeys
 *		Refuses an object with a key not in allowed (NULL-terminated), so
 *		that a misspelt member is an error, not ignored.
 */
static void
CheckKeys(JsonbContainer *object, const char *const *allowed, const char *what)
{
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *const *a;

		if (tok != WJB_KEY)
			continue;
		for (a = allowed; *a != NULL; a++)
			if (strlen(*a) == (size_t) v.val.string.len &&
				memcmp(*a, v.val.string.val, v.val.string.len) == 0)
				break;
		if (*a == NULL)
			IntervalError(psprintf("%s has an unknown member \"%s\"", what,
								   FeatureNameForMessage(v.val.string.val,
														 v.val.string.len)));
	}
}

/*
 * Number
 *		A finite JSON number as a double; anything else is refused.
 */
static double
Number(JsonbValue *v, const char *what)
{
	double		d;

	if (v == NULL || v->type != jbvNumeric)
		IntervalError(psprintf("%s must be a number", what));
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (!isfinite(d))
		IntervalError(psprintf("%s must be finite", what));
	return d;
}

/*
 * ObjectOf, ArrayOf
 *		The container of a member that must be an object, or an array.
 */
static JsonbContainer *
ObjectOf(JsonbValue *v, const char *what)
{
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		IntervalError(psprintf("%s must be an object", what));
	return v->val.binary.data;
}

static JsonbContainer *
ArrayOf(JsonbValue *v, const char *what, int min, int max)
{
	int			n;

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		IntervalError(psprintf("%s must be an array", what));
	n = JsonContainerSize(v->val.binary.data);
	if (n < min || n > max)
		IntervalError(min == max ? psprintf("%s must have %d elements", what, min)
					  : psprintf("%s must have %d to %d elements", what, min, max));
	return v->val.binary.data;
}

/*
 * LogRatios
 *		The INTERVAL_NUM_LEVELS residual quantiles of a bin.
 */
static void
LogRatios(JsonbContainer *bin, const char *key, const char *bin_what, double *out)
{
	char	   *what = psprintf("\"%s\" of %s", key, bin_what);
	JsonbContainer *a = ArrayOf(Member(bin, key), what, INTERVAL_NUM_LEVELS,
								INTERVAL_NUM_LEVELS);
	int			l;

	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
	{
		out[l] = Number(getIthJsonbValueFromContainer(a, l), what);
		if (fabs(out[l]) > MAX_LOG_RATIO)
			IntervalError(psprintf("%s has a log ratio beyond %g", what, MAX_LOG_RATIO));
	}
}

/*
 * ReadBins
 *		The bins of group g (the array bins) into table, from bin
 *		table->num_bins on: upper bounds strictly increasing and the last
 *		one null, quantiles finite, each level's low <= high, and wider
 *		levels containing narrower ones.
 */
static void
ReadBins(JsonbContainer *bins, int g, IntervalTable *table)
{
	static const char *const bin_keys[] = {"upper", "rows", "low", "high", NULL};
	int			n = JsonContainerSize(bins);
	int			first = table->num_bins;
	int			i,
				l;

	for (i = 0; i < n; i++)
	{
		int			b = first + i;
		char	   *what = psprintf("bin %d of group %d", i, g);
		JsonbContainer *bin = ObjectOf(getIthJsonbValueFromContainer(bins, i), what);
		double	   *lo = &table->low[b * INTERVAL_NUM_LEVELS];
		double	   *hi = &table->high[b * INTERVAL_NUM_LEVELS];
		JsonbValue *v;

		CheckKeys(bin, bin_keys, what);
		v = Member(bin, "upper");
		if (i == n - 1)
		{
			if (v == NULL || v->type != jbvNull)
				IntervalError(psprintf("the last bin's \"upper\" of group %d must be null", g));
			table->upper[b] = INFINITY;
		}
		else
		{
			table->upper[b] = Number(v, psprintf("\"upper\" of %s", what));
			if (table->upper[b] < 0 || (i > 0 && !(table->upper[b] > table->upper[b - 1])))
				IntervalError(psprintf("the bins' \"upper\" of group %d must be non-negative and increasing", g));
		}
		v = Member(bin, "rows");
		if (v != NULL && Number(v, psprintf("\"rows\" of %s", what)) < 1)
			IntervalError(psprintf("\"rows\" of %s must be positive", what));
		LogRatios(bin, "low", what, lo);
		LogRatios(bin, "high", what, hi);
		for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		{
			if (lo[l] > hi[l])
				IntervalError(psprintf("%s has a low above its high", what));
			if (l > 0 && (lo[l] > lo[l - 1] || hi[l] < hi[l - 1]))
				IntervalError(psprintf("%s has a wider level inside a narrower one", what));
		}
	}
	table->num_bins += n;
}

/*
 * IntervalTableFromInfo
 *		See interval.h.  Everything serving reads is checked: the method and
 *		format, the offset, the levels, the feature the groups are of, the
 *		groups (bounds strictly increasing, the last one null) and every bin
 *		(ReadBins).  "test", the trainer's report, must be an object and is
 *		otherwise kept as is.
 */
IntervalTable *
IntervalTableFromInfo(Jsonb *info)
{
	static const char *const section_keys[] = {"method", "format", "offset", "levels",
	"calibration_rows", "group_by", "groups", "test", NULL};
	static const char *const group_keys[] = {"below", "rows", "bins", NULL};
	JsonbValue *section;
	JsonbContainer *obj;
	JsonbContainer *levels;
	JsonbContainer *groups;
	JsonbValue *v;
	IntervalTable *table;
	int			total = 0;
	int			g,
				l;

	if (info == NULL || !JB_ROOT_IS_OBJECT(info))
		return NULL;
	section = Member(&info->root, "intervals");
	if (section == NULL)
		return NULL;
	obj = ObjectOf(section, "the section");
	CheckKeys(obj, section_keys, "the section");

	v = Member(obj, "method");
	if (v == NULL || v->type != jbvString ||
		v->val.string.len != strlen(INTERVAL_METHOD) ||
		memcmp(v->val.string.val, INTERVAL_METHOD, v->val.string.len) != 0)
		IntervalError("\"method\" must be \"" INTERVAL_METHOD "\"");
	if (Number(Member(obj, "format"), "\"format\"") != INTERVAL_FORMAT)
		IntervalError(psprintf("\"format\" must be %d", INTERVAL_FORMAT));
	v = Member(obj, "calibration_rows");
	if (v != NULL && Number(v, "\"calibration_rows\"") < 1)
		IntervalError("\"calibration_rows\" must be positive");
	v = Member(obj, "test");
	if (v != NULL)
		(void) ObjectOf(v, "\"test\"");

	levels = ArrayOf(Member(obj, "levels"), "\"levels\"", INTERVAL_NUM_LEVELS,
					 INTERVAL_NUM_LEVELS);
	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		if (Number(getIthJsonbValueFromContainer(levels, l), "\"levels\"") != IntervalCoverage(l))
			IntervalError("\"levels\" must be [0.5, 0.8, 0.9, 0.95]");

	table = palloc0(sizeof(IntervalTable));
	table->offset = Number(Member(obj, "offset"), "\"offset\"");
	if (!(table->offset >= 0 && table->offset <= MAX_OFFSET))
		IntervalError(psprintf("\"offset\" must be between 0 and %g", MAX_OFFSET));

	v = Member(obj, "group_by");
	if (v == NULL || v->type != jbvString)
		IntervalError("\"group_by\" must be a feature name");
	table->group_feature = FeatureIndex(v->val.string.val, v->val.string.len);
	if (table->group_feature < 0)
		IntervalError(psprintf("\"group_by\" names no feature: \"%s\"",
							   FeatureNameForMessage(v->val.string.val, v->val.string.len)));

	/* first the groups and their sizes, then the bins */
	groups = ArrayOf(Member(obj, "groups"), "\"groups\"", 1, MAX_GROUPS);
	table->num_groups = JsonContainerSize(groups);
	table->group_below = palloc(sizeof(double) * table->num_groups);
	table->group_first = palloc(sizeof(int) * (table->num_groups + 1));
	for (g = 0; g < table->num_groups; g++)
	{
		char	   *what = psprintf("group %d", g);
		JsonbContainer *group = ObjectOf(getIthJsonbValueFromContainer(groups, g), what);

		CheckKeys(group, group_keys, what);
		v = Member(group, "below");
		if (g == table->num_groups - 1)
		{
			if (v == NULL || v->type != jbvNull)
				IntervalError("the last group's \"below\" must be null");
			table->group_below[g] = INFINITY;
		}
		else
		{
			table->group_below[g] = Number(v, psprintf("\"below\" of %s", what));
			if (g > 0 && !(table->group_below[g] > table->group_below[g - 1]))
				IntervalError("the groups' \"below\" must be increasing");
		}
		v = Member(group, "rows");
		if (v != NULL && Number(v, psprintf("\"rows\" of %s", what)) < 1)
			IntervalError(psprintf("\"rows\" of %s must be positive", what));
		total += JsonContainerSize(ArrayOf(Member(group, "bins"),
										   psprintf("\"bins\" of %s", what), 1, MAX_BINS));
		if (total > MAX_BINS)
			IntervalError(psprintf("the groups have more than %d bins", MAX_BINS));
	}
	table->upper = palloc(sizeof(double) * total);
	table->low = palloc(sizeof(double) * total * INTERVAL_NUM_LEVELS);
	table->high = palloc(sizeof(double) * total * INTERVAL_NUM_LEVELS);
	for (g = 0; g < table->num_groups; g++)
	{
		JsonbContainer *group = getIthJsonbValueFromContainer(groups, g)->val.binary.data;

		table->group_first[g] = table->num_bins;
		ReadBins(Member(group, "bins")->val.binary.data, g, table);
	}
	table->group_first[table->num_groups] = table->num_bins;
	return table;
}

/*
 * IntervalLevel
 *		See interval.h.
 */
int
IntervalLevel(double coverage)
{
	int			l;

	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		if (coverage == IntervalCoverage(l))
			return l;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("coverage must be 0.5, 0.8, 0.9 or 0.95, not %s",
					float8out_internal(coverage))));
	return 0;					/* keep compiler quiet */
}

/*
 * IntervalOf
 *		See interval.h: the interval of common/estimate.h, whose rule and
 *		formula durpred-train reports on its test rows with.
 */
void
IntervalOf(const IntervalTable *table, const float *x, double estimate, int level,
		   double *low, double *high)
{
	IntervalOfValue(table, x[table->group_feature], estimate, level, low, high);
}

/*
 * AppendJsonInterval
 *		See interval.h.
 */
void
AppendJsonInterval(StringInfo buf, const IntervalTable *table, const float *x,
				   double estimate)
{
	char		low[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		high[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		coverage[DOUBLE_SHORTEST_DECIMAL_LEN];
	double		l,
				h;

	IntervalOf(table, x, estimate, INTERVAL_DEFAULT_LEVEL, &l, &h);
	/* a bound beyond float8 is no number JSON can carry */
	if (!isfinite(h))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the prediction interval is not finite")));
	double_to_shortest_decimal_buf(RoundToCents(l), low);
	double_to_shortest_decimal_buf(RoundToCents(h), high);
	double_to_shortest_decimal_buf(IntervalCoverage(INTERVAL_DEFAULT_LEVEL), coverage);
	appendStringInfo(buf, ", \"prediction_interval\": {\"coverage\": %s, \"high\": %s, \"low\": %s}",
					 coverage, high, low);
}

/*
 * CoverageArgument
 *		The level of a coverage argument: NULL, NaN and any value but the
 *		four levels are 22023.
 */
static int
CoverageArgument(FunctionCallInfo fcinfo, int arg)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("coverage must be 0.5, 0.8, 0.9 or 0.95, not NULL")));
	return IntervalLevel(PG_GETARG_FLOAT8(arg));
}

/*
 * IntervalRow
 *		The result row (low, estimate, high[, model_id]) of a model's
 *		estimate for x; low and high NULL for a model without intervals.
 */
static Datum
IntervalRow(FunctionCallInfo fcinfo, void **slot, const CachedModel *model,
			const float *x, int level, bool with_model)
{
	TupleDesc	tupdesc = CallResultDesc(fcinfo, slot);
	double		estimate = ScorerSeconds(model->scorer, x);
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	/* keep in sync with the OUT arguments in sql/durpred--0.4.0--0.5.0.sql */
	values[1] = Float8GetDatum(estimate);
	if (model->scorer->intervals != NULL)
	{
		double		low,
					high;

		IntervalOf(model->scorer->intervals, x, estimate, level, &low, &high);
		values[0] = Float8GetDatum(low);
		values[2] = Float8GetDatum(high);
	}
	else
		nulls[0] = nulls[2] = true;
	if (with_model)
		values[3] = Int64GetDatum(model->id);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * durpred_predict_interval
 *		The named-argument form: the 25 features, then coverage.
 */
Datum
durpred_predict_interval(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	int			level = CoverageArgument(fcinfo, NAMED_COVERAGE_ARG);

	PredictNamedFeatures(fcinfo, x);
	PG_RETURN_DATUM(IntervalRow(fcinfo, &fcinfo->flinfo->fn_extra,
								CurrentModel(false), x, level, false));
}

/*
 * durpred_predict_interval_record
 *		The record form (row, coverage).  A NULL row gives NULL.
 */
Datum
durpred_predict_interval_record(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	int			level = CoverageArgument(fcinfo, 1);
	void	  **slot;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	slot = PredictRecordFeatures(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), x);
	PG_RETURN_DATUM(IntervalRow(fcinfo, slot, CurrentModel(false), x, level, false));
}

/*
 * durpred_predict_interval_jsonb
 *		The jsonb form (request, coverage).  A NULL request gives NULL.
 */
Datum
durpred_predict_interval_jsonb(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	int			level = CoverageArgument(fcinfo, 1);
	CachedModel *model;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	model = CurrentModel(false);
	PredictJsonbFeatures(model, PG_GETARG_JSONB_P(0), x);
	PG_RETURN_DATUM(IntervalRow(fcinfo, &fcinfo->flinfo->fn_extra, model, x, level, false));
}

/*
 * durpred_predict_interval_with_model
 *		The record form with the id of the model, for serving (the scored
 *		queue): a NULL row or no active model gives NULL, as
 *		predict_with_model (PredictServingFeatures).
 */
Datum
durpred_predict_interval_with_model(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	int			level = CoverageArgument(fcinfo, 1);
	CachedModel *model;
	void	  **slot;

	model = PredictServingFeatures(fcinfo, x, &slot);
	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(IntervalRow(fcinfo, slot, model, x, level, true));
}

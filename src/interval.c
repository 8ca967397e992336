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
 * validation rows, in bins of the estimate, by split-conformal quantiles;
 * the table travels in the model's info, so that it is installed,
 * versioned, exported, dumped and activated with the trees as one model.
 * Here an estimate's interval at a level is, with lo and hi its bin's
 * quantiles:
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

/* keep in sync with src/trainer/interval.c:IntervalLevels */
static const double interval_levels[INTERVAL_NUM_LEVELS] = {0.5, 0.8, 0.9, 0.95};

#define INTERVAL_METHOD "conformal-log-binned"
#define INTERVAL_FORMAT 1
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
LogRatios(JsonbContainer *bin, const char *key, int b, double *out)
{
	char	   *what = psprintf("\"%s\" of bin %d", key, b);
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
 * IntervalTableFromInfo
 *		See interval.h.  Everything serving reads is checked: the method and
 *		format, the offset, the levels, and every bin (upper bounds strictly
 *		increasing and the last one null, quantiles finite, each level's
 *		low <= high, and wider levels containing narrower ones).  "test",
 *		the trainer's report, must be an object and is otherwise kept as is.
 */
IntervalTable *
IntervalTableFromInfo(Jsonb *info)
{
	static const char *const section_keys[] = {"method", "format", "offset", "levels",
	"calibration_rows", "bins", "test", NULL};
	static const char *const bin_keys[] = {"upper", "rows", "low", "high", NULL};
	JsonbValue *section;
	JsonbContainer *obj;
	JsonbContainer *levels;
	JsonbContainer *bins;
	JsonbValue *v;
	IntervalTable *table;
	int			b,
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
		IntervalError("\"format\" must be 1");
	v = Member(obj, "calibration_rows");
	if (v != NULL && Number(v, "\"calibration_rows\"") < 1)
		IntervalError("\"calibration_rows\" must be positive");
	v = Member(obj, "test");
	if (v != NULL)
		(void) ObjectOf(v, "\"test\"");

	levels = ArrayOf(Member(obj, "levels"), "\"levels\"", INTERVAL_NUM_LEVELS,
					 INTERVAL_NUM_LEVELS);
	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		if (Number(getIthJsonbValueFromContainer(levels, l), "\"levels\"") != interval_levels[l])
			IntervalError("\"levels\" must be [0.5, 0.8, 0.9, 0.95]");

	table = palloc0(sizeof(IntervalTable));
	table->offset = Number(Member(obj, "offset"), "\"offset\"");
	if (!(table->offset >= 0 && table->offset <= MAX_OFFSET))
		IntervalError(psprintf("\"offset\" must be between 0 and %g", MAX_OFFSET));

	bins = ArrayOf(Member(obj, "bins"), "\"bins\"", 1, MAX_BINS);
	table->num_bins = JsonContainerSize(bins);
	table->upper = palloc(sizeof(double) * table->num_bins);
	table->low = palloc(sizeof(double) * table->num_bins * INTERVAL_NUM_LEVELS);
	table->high = palloc(sizeof(double) * table->num_bins * INTERVAL_NUM_LEVELS);
	for (b = 0; b < table->num_bins; b++)
	{
		char	   *what = psprintf("bin %d", b);
		JsonbContainer *bin = ObjectOf(getIthJsonbValueFromContainer(bins, b), what);
		double	   *lo = &table->low[b * INTERVAL_NUM_LEVELS];
		double	   *hi = &table->high[b * INTERVAL_NUM_LEVELS];

		CheckKeys(bin, bin_keys, what);
		v = Member(bin, "upper");
		if (b == table->num_bins - 1)
		{
			if (v == NULL || v->type != jbvNull)
				IntervalError("the last bin's \"upper\" must be null");
			table->upper[b] = INFINITY;
		}
		else
		{
			table->upper[b] = Number(v, psprintf("\"upper\" of bin %d", b));
			if (table->upper[b] < 0 || (b > 0 && !(table->upper[b] > table->upper[b - 1])))
				IntervalError("the bins' \"upper\" must be non-negative and increasing");
		}
		v = Member(bin, "rows");
		if (v != NULL && Number(v, psprintf("\"rows\" of bin %d", b)) < 1)
			IntervalError(psprintf("\"rows\" of bin %d must be positive", b));
		LogRatios(bin, "low", b, lo);
		LogRatios(bin, "high", b, hi);
		for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		{
			if (lo[l] > hi[l])
				IntervalError(psprintf("bin %d has a low above its high", b));
			if (l > 0 && (lo[l] > lo[l - 1] || hi[l] < hi[l - 1]))
				IntervalError(psprintf("bin %d has a wider level inside a narrower one", b));
		}
	}
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
		if (coverage == interval_levels[l])
			return l;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("coverage must be 0.5, 0.8, 0.9 or 0.95, not %s",
					float8out_internal(coverage))));
	return 0;					/* keep compiler quiet */
}

double
IntervalCoverage(int level)
{
	return interval_levels[level];
}

/*
 * IntervalOf
 *		See interval.h (keep the formula in sync with
 *		src/trainer/interval.c:IntervalOf, which reports on the test rows
 *		with it).
 */
void
IntervalOf(const IntervalTable *table, double estimate, int level,
		   double *low, double *high)
{
	int			lo = 0,
				hi = table->num_bins - 1;
	double		l,
				h;

	/* the first bin whose upper bound is >= estimate */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (estimate <= table->upper[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	l = (estimate + table->offset) * exp(table->low[lo * INTERVAL_NUM_LEVELS + level]) -
		table->offset;
	h = (estimate + table->offset) * exp(table->high[lo * INTERVAL_NUM_LEVELS + level]) -
		table->offset;
	if (l > estimate)
		l = estimate;
	if (l < 0)
		l = 0;
	if (h < estimate)
		h = estimate;
	*low = l;
	*high = h;
}

/*
 * AppendJsonInterval
 *		See interval.h.
 */
void
AppendJsonInterval(StringInfo buf, const IntervalTable *table, double estimate)
{
	char		low[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		high[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		coverage[DOUBLE_SHORTEST_DECIMAL_LEN];
	double		l,
				h;

	IntervalOf(table, estimate, INTERVAL_DEFAULT_LEVEL, &l, &h);
	/* a bound beyond float8 is no number JSON can carry */
	if (!isfinite(h))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the prediction interval is not finite")));
	double_to_shortest_decimal_buf(RoundToCents(l), low);
	double_to_shortest_decimal_buf(RoundToCents(h), high);
	double_to_shortest_decimal_buf(interval_levels[INTERVAL_DEFAULT_LEVEL], coverage);
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

		IntervalOf(model->scorer->intervals, estimate, level, &low, &high);
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
 *		queue): no active model gives NULL, as predict_with_model.
 */
Datum
durpred_predict_interval_with_model(PG_FUNCTION_ARGS)
{
	float		x[DURPRED_VECTOR_LEN];
	int			level = CoverageArgument(fcinfo, 1);
	CachedModel *model;
	void	  **slot;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	slot = PredictRecordFeatures(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), x);
	model = ServingModel();
	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(IntervalRow(fcinfo, slot, model, x, level, true));
}

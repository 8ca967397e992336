/*-------------------------------------------------------------------------
 *
 * src/category.c
 *		durpred.duration_category() and durpred.describe_duration(): the
 *		reference service's duration categories.
 *
 * The boundaries are inclusive at the top, as the reference service's
 * chain of "<=" tests: 5 s is quick, 30 s normal, 120 s moderate, 300 s
 * long, anything longer very_long.  They and the labels are defined once,
 * in src/common/estimate.h, which the trainer shares; the descriptions and
 * recommendations are here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdio.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "category.h"
#include "durpred.h"

typedef struct CategoryInfo
{
	const char *description;
	const char *recommendation;
} CategoryInfo;

/* in the order of DurationCategoryName's labels (common/estimate.h) */
static const CategoryInfo categories[DURATION_CATEGORY_COUNT] = {
	{"Quick execution (< 5s)",
	"No special handling needed"},
	{"Normal execution (5-30s)",
	"Standard workflow - monitor for anomalies"},
	{"Moderate execution (30s-2min)",
	"Consider scheduling during off-peak hours"},
	{"Long execution (2-5min)",
	"Recommend scheduling and resource optimization"},
	{"Very long execution (> 5min)",
	"Urgent: Review workflow complexity, consider breaking into smaller workflows"},
};

/* Per-call-site cache of the enum's label OIDs. */
typedef struct CategoryEnumCache
{
	Oid			labels[DURATION_CATEGORY_COUNT];
} CategoryEnumCache;

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_duration_category);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_describe_duration);

/*
 * DurationCategoryOf
 *		The category of a duration in seconds (not NaN, not negative).
 */
DurationCategory
DurationCategoryOf(double seconds)
{
	return (DurationCategory) DurationCategoryIndex(seconds);
}

const char *
DurationCategoryDescription(DurationCategory category)
{
	return categories[category].description;
}

const char *
DurationCategoryRecommendation(DurationCategory category)
{
	return categories[category].recommendation;
}

/*
 * CheckDurationArgument
 *		Refuses a duration that has no category: NaN or a negative number.
 *
 * -0.0 is not negative; +Infinity is very_long.
 */
void
CheckDurationArgument(double seconds)
{
	if (isnan(seconds))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("duration must not be NaN"),
				 errdetail("A duration is a number of seconds, zero or greater.")));
	if (seconds < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("duration must not be negative: %g seconds", seconds),
				 errdetail("A duration is a number of seconds, zero or greater.")));
}

/*
 * RoundToCents
 *		Rounds to two decimals the way Python's round(x, 2) does.
 *
 * Python rounds the exact binary value to the nearest two-decimal number,
 * ties to even; glibc's printf does the same conversion, so printing with
 * "%.2f" and reading back reproduces it.  From 2^50 on, every double is a
 * multiple of 0.25 and already has at most two decimals.
 */
double
RoundToCents(double value)
{
	char		buf[64];

	if (!isfinite(value) || fabs(value) >= 1125899906842624.0)
		return value;
	snprintf(buf, sizeof(buf), "%.2f", value);
	return strtod(buf, NULL);
}

/*
 * DurationCategoryEnumDatum
 *		The durpred.duration_category enum value for a category.
 *
 * The label OIDs are looked up once per call site and kept in fn_extra:
 * they change when the extension is dropped and created again, so they
 * must not outlive the query.
 */
Datum
DurationCategoryEnumDatum(FmgrInfo *flinfo, DurationCategory category)
{
	CategoryEnumCache *cache = (CategoryEnumCache *) flinfo->fn_extra;

	if (cache == NULL)
	{
		Oid			nspid = get_namespace_oid("durpred", false);
		Oid			typid;
		int			i;

		typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								CStringGetDatum("duration_category"),
								ObjectIdGetDatum(nspid));
		if (!OidIsValid(typid))
			elog(ERROR, "type durpred.duration_category does not exist");

		cache = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(CategoryEnumCache));
		for (i = 0; i < DURATION_CATEGORY_COUNT; i++)
		{
			cache->labels[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
											   ObjectIdGetDatum(typid),
											   CStringGetDatum(DurationCategoryName(i)));
			if (!OidIsValid(cache->labels[i]))
				elog(ERROR, "durpred.duration_category has no label \"%s\"",
					 DurationCategoryName(i));
		}
		flinfo->fn_extra = cache;
	}
	return ObjectIdGetDatum(cache->labels[category]);
}

/*
 * durpred_duration_category
 *		durpred.duration_category(seconds float8): the category of a duration.
 */
Datum
durpred_duration_category(PG_FUNCTION_ARGS)
{
	double		seconds = PG_GETARG_FLOAT8(0);

	CheckDurationArgument(seconds);
	PG_RETURN_DATUM(DurationCategoryEnumDatum(fcinfo->flinfo,
											  DurationCategoryOf(seconds)));
}

/*
 * durpred_describe_duration
 *		durpred.describe_duration(seconds float8): the reference service's
 *		answer for a predicted duration.
 *
 * The input is a raw prediction: a negative value (or -0) is clamped at 0
 * as the reference service does, and the category is taken from the
 * clamped value before it is rounded to two decimals for display.
 */
Datum
durpred_describe_duration(PG_FUNCTION_ARGS)
{
	double		seconds = PG_GETARG_FLOAT8(0);
	DurationCategory category;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (isnan(seconds))
		CheckDurationArgument(seconds);
	/* <= 0, not < 0: -0 is clamped too, so that it shows as 0 */
	if (seconds <= 0)
		seconds = 0;
	category = DurationCategoryOf(seconds);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	/* keep in sync with sql/durpred--0.1.0.sql:durpred.describe_duration's OUT arguments */
	values[0] = Float8GetDatum(RoundToCents(seconds));
	values[1] = DurationCategoryEnumDatum(fcinfo->flinfo, category);
	values[2] = CStringGetTextDatum(DurationCategoryDescription(category));
	values[3] = CStringGetTextDatum(DurationCategoryRecommendation(category));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

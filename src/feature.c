/*-------------------------------------------------------------------------
 *
 * src/feature.c
 *		The feature table shared by every form of predict_duration, the
 *		jsonb defaults and the binding of a model's inputs by name.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "feature.h"

#define COUNT(name) {name, FEATURE_INT, 0, PG_INT32_MAX, true}
#define DURATION(name) {name, FEATURE_FLOAT, 0, DBL_MAX, false}

/*
 * The features in model column order.  Keep in sync with
 * sql/durpred--0.1.0.sql:durpred.features (names, types and order) and
 * sql/durpred--0.1.0.sql:durpred.predict_duration (its named arguments,
 * in this order, and their defaults: 0 where default_zero, else NULL).
 * The block types counted are these names without "_blocks"
 * (features/blocks.c).
 */
const FeatureDef DurpredFeatures[DURPRED_NUM_FEATURES] = {
	{"start_hour", FEATURE_INT, 0, 23, false},
	{"day_of_week", FEATURE_INT, 0, 6, false},
	{"month", FEATURE_INT, 1, 12, false},
	{"is_weekend", FEATURE_BOOL, 0, 1, false},
	{"is_business_hours", FEATURE_BOOL, 0, 1, false},
	COUNT("total_blocks"),
	COUNT("sql_blocks"),
	COUNT("tableau_blocks"),
	COUNT("email_blocks"),
	COUNT("slack_blocks"),
	COUNT("parameter_blocks"),
	COUNT("code_blocks"),
	COUNT("plotly_blocks"),
	COUNT("kpi_blocks"),
	COUNT("api_blocks"),
	COUNT("writeback_blocks"),
	COUNT("conditional_blocks"),
	COUNT("loop_blocks"),
	COUNT("ai_blocks"),
	COUNT("storage_blocks"),
	COUNT("historical_run_count"),
	DURATION("historical_avg_duration"),
	DURATION("historical_median_duration"),
	DURATION("historical_stddev_duration"),
	{"historical_failure_rate", FEATURE_FLOAT, 0, 1, false},
};

/*
 * FeatureIndex
 *		The position of a feature name in DurpredFeatures, or -1.
 */
int
FeatureIndex(const char *name, size_t len)
{
	int			i;

	for (i = 0; i < DURPRED_NUM_FEATURES; i++)
	{
		const char *f = DurpredFeatures[i].name;

		if (strlen(f) == len && memcmp(f, name, len) == 0)
			return i;
	}
	return -1;
}

/*
 * FeatureValueError
 *		The error for a value FeatureValue refuses.
 *
 * Missing values are SQL NULL or JSON null, never NaN: the error for NaN
 * says how to mark a value as missing.
 */
void
FeatureValueError(int feature, double value)
{
	const FeatureDef *def = &DurpredFeatures[feature];

	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature \"%s\" is NaN", def->name),
				 errhint("Use NULL for a missing value.")));
	if (value < def->min || value > def->max)
	{
		if (def->max == DBL_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature \"%s\" is out of range: %g", def->name, value),
					 errdetail("It must be a finite number, zero or greater.")));
		if (def->max == PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature \"%s\" is out of range: %g", def->name, value),
					 errdetail("It is a count: a whole number, zero or greater.")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature \"%s\" is out of range: %g", def->name, value),
				 errdetail("It must be between %g and %g.", def->min, def->max)));
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("feature \"%s\" must be a whole number: %g", def->name, value)));
}

/*
 * FeatureVectorInit
 *		Fills a vector with the defaults of the named-argument form.
 */
void
FeatureVectorInit(float *vector)
{
	int			i;

	for (i = 0; i < DURPRED_NUM_FEATURES; i++)
		vector[i] = DurpredFeatures[i].default_zero ? 0.0f : NAN;
	vector[DURPRED_MISSING_SLOT] = NAN;
}

/*
 * FeatureVectorFromJsonb
 *		Reads the reference service's request body into a feature vector.
 */
void
FeatureVectorFromJsonb(Jsonb *object, float *vector, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			feature = -1;

	if (!JB_ROOT_IS_OBJECT(object))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object of feature names and values", what)));

	it = JsonbIteratorInit(&object->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			feature = FeatureIndex(v.val.string.val, v.val.string.len);
			if (feature < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s has unknown feature \"%s\"", what,
								FeatureNameForMessage(v.val.string.val,
													  v.val.string.len)),
						 errhint("The keys are the feature names of durpred.features.")));
		}
		else if (tok == WJB_VALUE)
		{
			const FeatureDef *def = &DurpredFeatures[feature];

			switch (v.type)
			{
				case jbvNull:
					vector[feature] = NAN;
					break;
				case jbvNumeric:
					/* beyond float8, +-Infinity: then out of the range */
					vector[feature] = FeatureValue(feature,
												   DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																					  NumericGetDatum(v.val.numeric))));
					break;
				case jbvBool:
					if (def->kind == FEATURE_BOOL)
					{
						vector[feature] = v.val.boolean ? 1.0f : 0.0f;
						break;
					}
					/* FALLTHROUGH */
				default:
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("%s has a value of the wrong type for feature \"%s\"",
									what, def->name),
							 errdetail("%s",
									   def->kind == FEATURE_BOOL
									   ? "It takes true, false, 0, 1 or null."
									   : "It takes a number or null.")));
			}
		}
	}
}

/*
 * FeatureNameForMessage
 *		Escapes every byte outside printable ASCII as \xNN, so that a name
 *		taken from a model file or a request can be printed whatever the
 *		server and client encodings are.
 */
char *
FeatureNameForMessage(const char *name, size_t len)
{
	StringInfoData buf;
	size_t		i;

	initStringInfo(&buf);
	for (i = 0; i < len && buf.len < 200; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (c >= 0x20 && c < 0x7F && c != '\\')
			appendStringInfoChar(&buf, (char) c);
		else
			appendStringInfo(&buf, "\\x%02X", c);
	}
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

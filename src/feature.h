/*-------------------------------------------------------------------------
 *
 * src/feature.h
 *		The 25 features of a workflow run: names, kinds, valid ranges and
 *		defaults, in model column order.
 *
 * A feature vector is DURPRED_VECTOR_LEN floats: the 25 features in the
 * order of durpred.features, then one slot that is always NaN (the compiled
 * evaluator parks its leaves on it).  NaN means missing, as in XGBoost.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURE_H
#define DURPRED_FEATURE_H

#include "utils/jsonb.h"

/* the attributes of durpred.features (keep in sync with sql/durpred--0.1.0.sql:durpred.features) */
#define DURPRED_NUM_FEATURES 25
#define DURPRED_MISSING_SLOT DURPRED_NUM_FEATURES
#define DURPRED_VECTOR_LEN (DURPRED_NUM_FEATURES + 1)

typedef enum FeatureKind
{
	FEATURE_INT,				/* SQL int: an integral number */
	FEATURE_BOOL,				/* SQL boolean: 0 or 1 in the model */
	FEATURE_FLOAT				/* SQL float8 */
} FeatureKind;

typedef struct FeatureDef
{
	const char *name;
	FeatureKind kind;
	double		min;			/* valid range, inclusive */
	double		max;
	bool		default_zero;	/* named-argument default: 0, else NULL */
} FeatureDef;

extern const FeatureDef DurpredFeatures[DURPRED_NUM_FEATURES];

/* Index of a feature name, -1 when it names no feature. */
extern int	FeatureIndex(const char *name, size_t len);

/* Raises the error for a value FeatureValue refuses. */
extern void FeatureValueError(int feature, double value) pg_attribute_noreturn();

/*
 * FeatureValue
 *		The model value of a feature, checked: NaN, infinities, fractions of
 *		an integer feature and values outside the feature's range raise
 *		22023.  Inline: it runs 25 times for every row scored.
 */
static inline float
FeatureValue(int feature, double value)
{
	const FeatureDef *def = &DurpredFeatures[feature];

	if (unlikely(!(value >= def->min && value <= def->max)) ||
		unlikely(def->kind != FEATURE_FLOAT && value != (double) (int64) value))
		FeatureValueError(feature, value);
	return (float) value;
}

/*
 * FeatureFromDatum
 *		The model value of a feature given as a Datum of its durpred.features
 *		type (int4, boolean or float8), checked as FeatureValue checks.
 */
static inline float
FeatureFromDatum(int feature, Datum value)
{
	switch (DurpredFeatures[feature].kind)
	{
		case FEATURE_INT:
			return FeatureValue(feature, DatumGetInt32(value));
		case FEATURE_BOOL:
			return DatumGetBool(value) ? 1.0f : 0.0f;
		case FEATURE_FLOAT:
			break;
	}
	return FeatureValue(feature, DatumGetFloat8(value));
}

/* A vector with the named-argument defaults: 0 for counts, else missing. */
extern void FeatureVectorInit(float *vector);

/*
 * Sets the features named in a jsonb object (a request body, or a model's
 * defaults): numbers, true/false for the boolean features, null for
 * missing.  A key that names no feature, or a value of another type, is an
 * error; what names "what" in messages ("request", "model defaults").
 */
extern void FeatureVectorFromJsonb(Jsonb *object, float *vector,
								   const char *what);

/* A name from a model or a request, made safe to print in a message. */
extern char *FeatureNameForMessage(const char *name, size_t len);

#endif							/* DURPRED_FEATURE_H */

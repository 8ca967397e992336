/*-------------------------------------------------------------------------
 *
 * src/category.h
 *		Duration categories of the reference service: boundaries, labels,
 *		descriptions and recommendations.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_CATEGORY_H
#define DURPRED_CATEGORY_H

#include "fmgr.h"

/* the boundaries and labels, shared with the trainer */
#include "common/estimate.h"

/*
 * The categories, in the order of the enum durpred.duration_category (keep
 * in sync with sql/durpred--0.1.0.sql:durpred.duration_category): the
 * indexes of common/estimate.h.
 */
typedef enum DurationCategory
{
	DURATION_QUICK = 0,
	DURATION_NORMAL,
	DURATION_MODERATE,
	DURATION_LONG,
	DURATION_VERY_LONG
} DurationCategory;

StaticAssertDecl(DURATION_VERY_LONG + 1 == DURATION_CATEGORY_COUNT,
				 "the enum must have the categories of common/estimate.h");

/*
 * Category of a duration that is known to be neither NaN nor negative
 * (DurationCategoryIndex); its label is DurationCategoryName's.
 */
extern DurationCategory DurationCategoryOf(double seconds);

extern const char *DurationCategoryDescription(DurationCategory category);
extern const char *DurationCategoryRecommendation(DurationCategory category);

/* Raises 22023 for NaN or a negative duration. */
extern void CheckDurationArgument(double seconds);

/* Rounds like Python's round(x, 2): exact value, ties to even. */
extern double RoundToCents(double value);

/* The durpred.duration_category enum value of a category. */
extern Datum DurationCategoryEnumDatum(FmgrInfo *flinfo, DurationCategory category);

#endif							/* DURPRED_CATEGORY_H */

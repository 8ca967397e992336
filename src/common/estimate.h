/*-------------------------------------------------------------------------
 *
 * src/common/estimate.h
 *		The arithmetic of an estimate that the module and durpred-train
 *		share: the served estimate of a raw prediction, the duration
 *		categories, the coverage levels and the interval of an estimate.
 *
 * This header is the one owner of these rules.  It is plain C (math.h
 * only: no palloc, no ereport, no backend or frontend header), included
 * after "postgres.h" by the module (src/interval.c, src/category.c,
 * src/scorer.c) and after "postgres_fe.h" by the trainer
 * (src/trainer/interval.c), so that what the trainer reports on its test
 * rows is what the server serves, bit for bit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_COMMON_ESTIMATE_H
#define DURPRED_COMMON_ESTIMATE_H

#include <math.h>

/*
 * EstimateSeconds
 *		The served estimate of a raw prediction (seconds, as float8):
 *		clamped at 0, as the reference service does; -0 gives 0.  A caller
 *		that must refuse NaN does so first (NaN gives 0 here).
 */
static inline double
EstimateSeconds(double prediction)
{
	return prediction > 0 ? prediction : 0.0;
}

/*
 * The duration categories of the reference service, in the order of the
 * enum durpred.duration_category (keep in sync with
 * sql/durpred--0.1.0.sql:durpred.duration_category, whose comment repeats
 * the boundaries).  Their descriptions and recommendations are the
 * server's (src/category.c).
 */
#define DURATION_CATEGORY_COUNT 5

/*
 * DurationCategoryUpper
 *		The inclusive upper bound in seconds of a category, as the
 *		reference service's chain of "<=" tests: 5 s is quick, 30 s normal,
 *		120 s moderate, 300 s long, anything longer very_long (+Inf).
 */
static inline double
DurationCategoryUpper(int category)
{
	static const double upper[DURATION_CATEGORY_COUNT] = {5.0, 30.0, 120.0, 300.0, INFINITY};

	return upper[category];
}

/*
 * DurationCategoryName
 *		The label of a category: the enum's label.
 */
static inline const char *
DurationCategoryName(int category)
{
	static const char *const label[DURATION_CATEGORY_COUNT] = {
		"quick", "normal", "moderate", "long", "very_long"
	};

	return label[category];
}

/*
 * DurationCategoryIndex
 *		The category of a duration in seconds (not NaN, not negative): the
 *		first whose upper bound it does not exceed.
 */
static inline int
DurationCategoryIndex(double seconds)
{
	int			c;

	for (c = 0; c < DURATION_CATEGORY_COUNT - 1; c++)
		if (seconds <= DurationCategoryUpper(c))
			return c;
	return DURATION_CATEGORY_COUNT - 1;
}

/*
 * The prediction intervals' table in a model's info (info.intervals): its
 * method and format, which durpred-train writes and the server checks.
 */
#define INTERVAL_METHOD "log-ratio-quantiles"
#define INTERVAL_FORMAT 2

/* the coverage levels, narrowest first */
#define INTERVAL_NUM_LEVELS 4
#define INTERVAL_DEFAULT_LEVEL 1	/* 0.8: the serving trigger's */

/*
 * IntervalCoverage
 *		The coverage of a level index: 0.5, 0.8, 0.9, 0.95.
 */
static inline double
IntervalCoverage(int level)
{
	static const double coverage[INTERVAL_NUM_LEVELS] = {0.5, 0.8, 0.9, 0.95};

	return coverage[level];
}

/*
 * IntervalTable
 *		The calibration table: groups of runs by the value of one feature,
 *		each with bins of the estimate, each bin with the log-ratio
 *		quantiles of every level.  The server reads it from a model's info
 *		(src/interval.c), the trainer fits it (src/trainer/interval.c).
 */
typedef struct IntervalTable
{
	double		offset;			/* seconds added before the log */
	int			group_feature;	/* the feature the groups are of */
	int			num_groups;
	double	   *group_below;	/* each group's values are < this; last +Inf */
	int		   *group_first;	/* num_groups + 1: each group's first bin */
	int			num_bins;		/* of all groups */
	double	   *upper;			/* largest estimate of each bin; a group's last +Inf */
	double	   *low;			/* num_bins x INTERVAL_NUM_LEVELS, log space */
	double	   *high;
} IntervalTable;

/*
 * IntervalGroup
 *		The group of a run whose groups' feature is value: the first whose
 *		"below" exceeds it.  A missing value (NaN) counts as 0, the
 *		named-argument default of a count.
 */
static inline int
IntervalGroup(const IntervalTable *table, double value)
{
	int			g = 0;

	if (isnan(value))
		value = 0;
	while (value >= table->group_below[g])
		g++;					/* the last group's bound is +Inf */
	return g;
}

/*
 * IntervalOfValue
 *		The interval at a level of an estimate (seconds, >= 0) of a run
 *		whose groups' feature is value.  The bin is the first of the group
 *		whose upper bound is >= estimate; with lo and hi its quantiles,
 *
 *			low  = max(0, min(estimate, (estimate + offset) e^lo - offset))
 *			high = max(estimate, (estimate + offset) e^hi - offset)
 *
 *		so that 0 <= low <= estimate <= high.
 */
static inline void
IntervalOfValue(const IntervalTable *table, double value, double estimate, int level,
				double *low, double *high)
{
	int			g = IntervalGroup(table, value);
	int			lo = table->group_first[g];
	int			hi = table->group_first[g + 1] - 1;
	double		l,
				h;

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

#endif							/* DURPRED_COMMON_ESTIMATE_H */

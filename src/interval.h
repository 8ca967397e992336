/*-------------------------------------------------------------------------
 *
 * src/interval.h
 *		Prediction intervals: the calibration table a model's info carries
 *		(info.intervals, written by durpred-train), validated at load, and
 *		the interval of an estimate.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_INTERVAL_H
#define DURPRED_INTERVAL_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* the coverage levels (keep in sync with src/trainer/interval.c:IntervalLevels) */
#define INTERVAL_NUM_LEVELS 4
#define INTERVAL_DEFAULT_LEVEL 1	/* 0.8: the serving trigger's */

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
 * The calibration table of a model's info, allocated in the current memory
 * context; NULL when the info has no "intervals".  A malformed section
 * raises 22023 naming what is wrong.
 */
extern IntervalTable *IntervalTableFromInfo(Jsonb *info);

/* The level index of a coverage: 0.5, 0.8, 0.9 or 0.95, else 22023. */
extern int	IntervalLevel(double coverage);

/* The coverage of a level index. */
extern double IntervalCoverage(int level);

/*
 * The interval of an estimate (seconds, >= 0) of the feature vector x at a
 * level: 0 <= *low <= estimate <= *high.  x picks the group.
 */
extern void IntervalOf(const IntervalTable *table, const float *x, double estimate,
					   int level, double *low, double *high);

/*
 * Appends predict_json's member for the default level:
 * , "prediction_interval": {"coverage": 0.8, "high": ..., "low": ...}
 * with the bounds rounded to cents, as the estimate is.
 */
extern void AppendJsonInterval(StringInfo buf, const IntervalTable *table,
							   const float *x, double estimate);

#endif							/* DURPRED_INTERVAL_H */

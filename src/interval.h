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

/* the levels, the table and the interval of an estimate */
#include "common/estimate.h"

/*
 * The calibration table of a model's info, allocated in the current memory
 * context; NULL when the info has no "intervals".  A malformed section
 * raises 22023 naming what is wrong.
 */
extern IntervalTable *IntervalTableFromInfo(Jsonb *info);

/* The level index of a coverage: 0.5, 0.8, 0.9 or 0.95, else 22023. */
extern int	IntervalLevel(double coverage);

/*
 * The interval of an estimate (seconds, >= 0) of the feature vector x at a
 * level: 0 <= *low <= estimate <= *high.  x picks the group
 * (IntervalOfValue in common/estimate.h).
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

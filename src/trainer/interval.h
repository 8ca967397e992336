/*-------------------------------------------------------------------------
 *
 * src/trainer/interval.h
 *		Prediction intervals: calibration of log-space residuals in groups
 *		of runs by their page's history and adaptive bins of the predicted
 *		duration, fitted on the validation rows and reported on the test
 *		rows.
 *
 * Include "postgres_fe.h" and "trainer.h" before this header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_TRAINER_INTERVAL_H
#define DURPRED_TRAINER_INTERVAL_H

#include <jansson.h>

/* the levels, the categories, the table and the interval of an estimate */
#include "common/estimate.h"

/* Realised coverage and mean width of some test rows, per level. */
typedef struct IntervalReport
{
	size_t		n;
	double		coverage[INTERVAL_NUM_LEVELS];
	double		width[INTERVAL_NUM_LEVELS];
} IntervalReport;

/* the most groups of runs by history (see interval.c) */
#define MAX_GROUPS 4

typedef struct IntervalFit
{
	/* what serving needs, as the server reads it from the model's info */
	IntervalTable table;
	double		group_below[MAX_GROUPS];	/* table.group_below; last INFINITY */
	int			group_first[MAX_GROUPS + 1];	/* table.group_first */
	size_t		group_rows[MAX_GROUPS]; /* calibration rows */
	size_t	   *bin_rows;		/* calibration rows of each bin */
	size_t		n_calibration;

	/* on the test rows */
	IntervalReport test;
	IntervalReport category[DURATION_CATEGORY_COUNT];
	IntervalReport group[MAX_GROUPS];
	double		winkler;		/* mean interval score at alpha 0.2 */
	/* the constant-width split-conformal baseline at 0.8 */
	double		baseline_half_width;
	double		baseline_coverage;
	double		baseline_width;
	double		baseline_winkler;
} IntervalFit;

/* Calibrates on the validation rows and reports on the test rows. */
extern IntervalFit *FitIntervals(const Dataset *data, const Split *split,
								 const float *predictions);

/*
 * info.intervals of the model: what serving needs, and the test report, as
 * JSON text (artifacts.c puts it into model_info.json).
 */
extern char *IntervalsJsonText(const IntervalFit *fit);

/* The calibration table of the test rows, on stdout. */
extern void PrintIntervals(const IntervalFit *fit);

#endif							/* DURPRED_TRAINER_INTERVAL_H */

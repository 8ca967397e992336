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

/*
 * The coverage levels, narrowest first.  Keep in sync with
 * src/interval.c:interval_levels.
 */
#define N_LEVELS 4
extern const double IntervalLevels[N_LEVELS];

/* the predicted categories (keep in sync with src/category.c:categories) */
#define N_CATEGORIES 5

typedef struct IntervalBin
{
	double		upper;			/* largest estimate of the bin; INFINITY last */
	size_t		n;				/* calibration rows */
	double		low[N_LEVELS];	/* log-space residual quantiles */
	double		high[N_LEVELS];
} IntervalBin;

/* Realised coverage and mean width of some test rows, per level. */
typedef struct IntervalReport
{
	size_t		n;
	double		coverage[N_LEVELS];
	double		width[N_LEVELS];
} IntervalReport;

/* the most groups of runs by history (see interval.c) */
#define MAX_GROUPS 4

typedef struct IntervalFit
{
	double		offset;			/* seconds added before the log */
	int			group_feature;	/* column of historical_run_count */
	int			n_groups;
	double		group_below[MAX_GROUPS];	/* last INFINITY */
	size_t		group_rows[MAX_GROUPS]; /* calibration rows */
	int			group_first[MAX_GROUPS + 1];	/* each group's first bin */
	int			n_bins;			/* of all groups */
	IntervalBin *bins;
	size_t		n_calibration;

	/* on the test rows */
	IntervalReport test;
	IntervalReport category[N_CATEGORIES];
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

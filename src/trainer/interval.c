/*-------------------------------------------------------------------------
 *
 * src/trainer/interval.c
 *		Prediction intervals: calibration of log-space residuals in groups
 *		of runs by their page's history and adaptive bins of the predicted
 *		duration.
 *
 * Run durations are noisy multiplicatively: a run predicted at 200 s is
 * off by tens of seconds, one predicted at 3 s by one or two.  So the
 * residual that is calibrated is the log ratio
 *
 *		r = log(actual + offset) - log(estimate + offset),  offset 1 s
 *
 * (the offset keeps runs predicted near 0 s from getting a zero width).
 * How far off an estimate is depends first on how much the model knows of
 * the page: a run whose page has 2 earlier runs has noisy historical
 * features, one with 50 has good ones.  That mix changes with time (pages
 * gather history), so that residuals calibrated over all validation rows
 * are too wide for the later test rows, which have more history: with
 * generator seed 7 and 20,000 runs the 0.8 interval covered 0.856 of them.
 * So the validation rows are first split into groups by
 * historical_run_count (below 3, 3-9, 10-29, 30 and more; a group with
 * fewer than MIN_GROUP_ROWS rows is merged with its neighbour), and each
 * group is calibrated on its own rows (Mondrian calibration): its coverage
 * holds within the group, whatever the groups' shares are later.  Within
 * a group, the spread may change with the estimate: its rows are sorted by
 * estimate and cut into bins of at least MIN_BIN_ROWS rows, never across a
 * category boundary (5, 30, 120, 300 s) unless a category has too few rows
 * to calibrate alone.  In each bin, the interval at coverage c is the
 * equal-tailed one between the (1-c)/2 and (1+c)/2 quantiles lo and hi of
 * the bin's residuals, mapped back to seconds around the estimate:
 *
 *		low  = max(0, min(estimate, (estimate + offset) e^lo - offset))
 *		high = max(estimate, (estimate + offset) e^hi - offset)
 *
 * The quantiles are the plain (interpolated) ones, not split conformal's
 * conservative order statistics (the floor((n+1)(1-c)/2)-th and
 * ceil((n+1)(1+c)/2)-th), which guarantee at least c under exchangeability
 * but cover up to 2/(n+1) more in each bin: the test rows are later than
 * the calibration rows, not exchangeable with them, and the aim is the
 * nominal level.  The test rows, never used in the fit, report what it
 * achieved; with --split time they are the newest runs, as in serving.
 *
 * The baseline the issue compares against is the simplest calibrated
 * interval: estimate -/+ q, q the ceil((n+1) 0.8)-th smallest absolute
 * residual of all validation rows (low clamped at 0, as a duration is).
 *
 * The server computes the same interval from the same table: the table's
 * layout, the levels, the categories, the served estimate and the interval
 * of an estimate are defined once, in src/common/estimate.h, which both
 * include.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>

#include "common/fe_memutils.h"
#include "common/logging.h"

#include "trainer.h"
#include "interval.h"

#define INTERVAL_OFFSET 1.0
/* the feature of the groups, and their bounds (exclusive) */
#define GROUP_FEATURE "historical_run_count"
static const double group_bounds[MAX_GROUPS - 1] = {3, 10, 30};
/* a group's calibration rows: at least */
#define MIN_GROUP_ROWS 150
/* a bin's calibration rows: at least, and the aim (share of the rows) */
#define MIN_BIN_ROWS 250
#define BINS_AIMED 20
/* the level of the interval score and of the baseline */
#define SCORE_LEVEL 1				/* 0.8 */
#define SCORE_ALPHA 0.2

/* what the rows being sorted are sorted by (qsort has no context argument) */
static const double *sort_key;

static int
by_key(const void *a, const void *b)
{
	double		x = sort_key[*(const size_t *) a];
	double		y = sort_key[*(const size_t *) b];

	if (x != y)
		return x < y ? -1 : 1;
	return (*(const size_t *) a > *(const size_t *) b) -
		(*(const size_t *) a < *(const size_t *) b);
}

static int
compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * GroupValue
 *		A row's value of the groups' feature (NaN when missing, which
 *		IntervalGroup counts as 0).
 */
static double
GroupValue(const Dataset *data, const IntervalFit *fit, size_t row)
{
	return data->x[row * NUM_FEATURES + fit->table.group_feature];
}

/*
 * IntervalScore
 *		Winkler's interval score at alpha: the width, plus 2/alpha times the
 *		distance by which the actual falls outside.
 */
static double
IntervalScore(double low, double high, double actual, double alpha)
{
	double		s = high - low;

	if (actual < low)
		s += 2.0 / alpha * (low - actual);
	else if (actual > high)
		s += 2.0 / alpha * (actual - high);
	return s;
}

/*
 * Quantile
 *		The q-quantile of n sorted values, interpolated linearly between
 *		the order statistics (R's and NumPy's default, Hyndman and Fan's
 *		type 7).
 */
static double
Quantile(const double *sorted, size_t n, double q)
{
	double		h = (n - 1) * q;
	size_t		i = (size_t) floor(h);

	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

/*
 * CalibrateBin
 *		The residual quantiles of bin b from the rows order[s..e) of the
 *		validation rows: at level c, the (1-c)/2 and (1+c)/2 quantiles.
 */
static void
CalibrateBin(const Dataset *data, const float *pred, const size_t *order,
			 size_t s, size_t e, IntervalFit *fit, int b)
{
	size_t		n = e - s;
	double		offset = fit->table.offset;
	double	   *r = pg_malloc(n * sizeof(double));
	size_t		i;
	int			l;

	for (i = 0; i < n; i++)
	{
		size_t		row = order[s + i];

		r[i] = log(data->y[row] + offset) - log(EstimateSeconds(pred[row]) + offset);
	}
	qsort(r, n, sizeof(double), compare_doubles);
	fit->bin_rows[b] = n;
	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
	{
		double		a = 1.0 - IntervalCoverage(l);

		fit->table.low[b * INTERVAL_NUM_LEVELS + l] = Quantile(r, n, a / 2);
		fit->table.high[b * INTERVAL_NUM_LEVELS + l] = Quantile(r, n, 1 - a / 2);
	}
	pg_free(r);
}

/*
 * MakeBins
 *		Cuts the validation rows of a group, sorted by estimate, into bins
 *		of about aim rows within the categories, and calibrates each; they
 *		are appended to the bins of fit->table.
 */
static void
MakeBins(const Dataset *data, const float *pred, const size_t *order, size_t n,
		 const double *estimate, size_t aim, IntervalFit *fit)
{
	size_t		span_start[DURATION_CATEGORY_COUNT + 1];
	double		span_upper[DURATION_CATEGORY_COUNT];
	int			n_spans = 0;
	size_t		s = 0;
	int			c;
	int			g;

	/* spans: the categories, too small ones merged with the next */
	for (c = 0; c < DURATION_CATEGORY_COUNT; c++)
	{
		size_t		e = s;

		while (e < n && estimate[order[e]] <= DurationCategoryUpper(c))
			e++;
		if (n_spans > 0 && span_start[n_spans] - span_start[n_spans - 1] < MIN_BIN_ROWS)
		{
			/* the previous span is too small: this category joins it */
			span_start[n_spans] = e;
			span_upper[n_spans - 1] = DurationCategoryUpper(c);
		}
		else if (e > s || c == DURATION_CATEGORY_COUNT - 1)
		{
			span_start[n_spans] = s;
			span_upper[n_spans] = DurationCategoryUpper(c);
			n_spans++;
			span_start[n_spans] = e;
		}
		s = e;
	}
	/* a last span that is too small joins the one before it */
	if (n_spans > 1 && span_start[n_spans] - span_start[n_spans - 1] < MIN_BIN_ROWS)
	{
		n_spans--;
		span_upper[n_spans - 1] = span_upper[n_spans];
		span_start[n_spans] = n;
	}
	span_upper[n_spans - 1] = INFINITY;

	for (g = 0; g < n_spans; g++)
	{
		size_t		gs = span_start[g];
		size_t		ge = span_start[g + 1];
		size_t		m = ge - gs;
		size_t		k = Max((size_t) 1, m / aim);
		size_t		size = m / k;

		s = gs;
		while (s < ge)
		{
			size_t		e = s + size;
			int			b = fit->table.num_bins;

			if (e >= ge || ge - e < MIN_BIN_ROWS)
				e = ge;
			/* ties stay in one bin */
			while (e < ge && estimate[order[e]] == estimate[order[e - 1]])
				e++;
			if (e < ge && ge - e < MIN_BIN_ROWS)
				e = ge;
			CalibrateBin(data, pred, order, s, e, fit, b);
			fit->table.upper[b] = e == ge ? span_upper[g] : estimate[order[e - 1]];
			fit->table.num_bins++;
			s = e;
		}
	}
}

/*
 * MakeGroups
 *		The groups of the validation rows by the groups' feature: bounded by
 *		group_bounds, a group with fewer than MIN_GROUP_ROWS rows merged
 *		with the next one (the last with the one before it), until every
 *		group has enough rows or there is one group.
 */
static void
MakeGroups(const Dataset *data, const Split *split, IntervalFit *fit)
{
	int			g;
	size_t		i;

	fit->table.num_groups = MAX_GROUPS;
	for (g = 0; g < MAX_GROUPS - 1; g++)
		fit->group_below[g] = group_bounds[g];
	fit->group_below[MAX_GROUPS - 1] = INFINITY;
	for (;;)
	{
		int			small = -1;

		memset(fit->group_rows, 0, sizeof(fit->group_rows));
		for (i = 0; i < split->n_val; i++)
			fit->group_rows[IntervalGroup(&fit->table,
										  GroupValue(data, fit, split->val[i]))]++;
		for (g = 0; g < fit->table.num_groups && small < 0; g++)
			if (fit->group_rows[g] < MIN_GROUP_ROWS)
				small = g;
		if (small < 0 || fit->table.num_groups == 1)
			break;
		/* drop the bound between the small group and its neighbour */
		if (small == fit->table.num_groups - 1)
			small--;
		for (g = small; g < fit->table.num_groups - 1; g++)
			fit->group_below[g] = fit->group_below[g + 1];
		fit->table.num_groups--;
	}
}

/*
 * FitIntervals
 *		The calibration table from the validation rows, and the report of
 *		the test rows; NULL (with a warning) when the validation rows are
 *		too few for a 0.95 interval.
 */
IntervalFit *
FitIntervals(const Dataset *data, const Split *split, const float *pred)
{
	IntervalFit *fit;
	double	   *estimate = pg_malloc(data->n * sizeof(double));
	size_t	   *order;
	double	   *abs_res;
	size_t		n = split->n_val;
	size_t		max_bins;
	size_t		i;
	int			l,
				c,
				g;
	double		k;
	int			feature = -1;

	for (i = 0; i < NUM_FEATURES; i++)
		if (strcmp(data->features->name[i], GROUP_FEATURE) == 0)
			feature = i;
	if (feature < 0)
	{
		pg_log_warning("no prediction intervals: the features have no \"%s\"", GROUP_FEATURE);
		pg_free(estimate);
		return NULL;
	}
	if ((n + 1) * (1 - IntervalCoverage(INTERVAL_NUM_LEVELS - 1)) / 2 < 1)
	{
		pg_log_warning("no prediction intervals: %zu validation rows are too few to calibrate a %g interval",
					   n, IntervalCoverage(INTERVAL_NUM_LEVELS - 1));
		pg_free(estimate);
		return NULL;
	}
	pg_log_info("calibrating prediction intervals on %zu validation rows", n);
	fit = pg_malloc0(sizeof(IntervalFit));
	fit->table.offset = INTERVAL_OFFSET;
	fit->table.group_feature = feature;
	fit->table.group_below = fit->group_below;
	fit->table.group_first = fit->group_first;
	fit->n_calibration = n;
	for (i = 0; i < data->n; i++)
		estimate[i] = EstimateSeconds(pred[i]);

	order = pg_malloc(n * sizeof(size_t));
	MakeGroups(data, split, fit);
	max_bins = n / MIN_BIN_ROWS + fit->table.num_groups * (DURATION_CATEGORY_COUNT + 1);
	fit->table.upper = pg_malloc0(sizeof(double) * max_bins);
	fit->table.low = pg_malloc0(sizeof(double) * max_bins * INTERVAL_NUM_LEVELS);
	fit->table.high = pg_malloc0(sizeof(double) * max_bins * INTERVAL_NUM_LEVELS);
	fit->bin_rows = pg_malloc0(sizeof(size_t) * max_bins);
	for (g = 0; g < fit->table.num_groups; g++)
	{
		size_t		m = 0;

		/* the group's rows, sorted by estimate */
		for (i = 0; i < n; i++)
			if (IntervalGroup(&fit->table, GroupValue(data, fit, split->val[i])) == g)
				order[m++] = split->val[i];
		Assert(m == fit->group_rows[g]);
		sort_key = estimate;
		qsort(order, m, sizeof(size_t), by_key);
		fit->group_first[g] = fit->table.num_bins;
		MakeBins(data, pred, order, m, estimate,
				 Max((size_t) MIN_BIN_ROWS, m / Max(1, BINS_AIMED / fit->table.num_groups)), fit);
	}
	fit->group_first[fit->table.num_groups] = fit->table.num_bins;

	/* the baseline: one half-width for all */
	abs_res = pg_malloc(n * sizeof(double));
	for (i = 0; i < n; i++)
		abs_res[i] = fabs((double) data->y[split->val[i]] - estimate[split->val[i]]);
	qsort(abs_res, n, sizeof(double), compare_doubles);
	k = ceil((n + 1) * IntervalCoverage(SCORE_LEVEL));
	fit->baseline_half_width = abs_res[(size_t) Min(k, (double) n) - 1];
	pg_free(abs_res);

	/* the test rows */
	for (i = 0; i < split->n_test; i++)
	{
		size_t		row = split->test[i];
		double		y = data->y[row];
		double		p = estimate[row];
		double		v = GroupValue(data, fit, row);
		IntervalReport *cat = &fit->category[DurationCategoryIndex(p)];
		IntervalReport *grp = &fit->group[IntervalGroup(&fit->table, v)];
		double		bl = Max(0.0, p - fit->baseline_half_width);
		double		bh = p + fit->baseline_half_width;

		fit->test.n++;
		cat->n++;
		grp->n++;
		for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		{
			double		lo,
						hi;
			bool		in;

			IntervalOfValue(&fit->table, v, p, l, &lo, &hi);
			in = lo <= y && y <= hi;
			fit->test.coverage[l] += in;
			fit->test.width[l] += hi - lo;
			cat->coverage[l] += in;
			cat->width[l] += hi - lo;
			grp->coverage[l] += in;
			grp->width[l] += hi - lo;
			if (l == SCORE_LEVEL)
				fit->winkler += IntervalScore(lo, hi, y, SCORE_ALPHA);
		}
		fit->baseline_coverage += bl <= y && y <= bh;
		fit->baseline_width += bh - bl;
		fit->baseline_winkler += IntervalScore(bl, bh, y, SCORE_ALPHA);
	}
	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
	{
		fit->test.coverage[l] /= fit->test.n;
		fit->test.width[l] /= fit->test.n;
		for (c = 0; c < DURATION_CATEGORY_COUNT; c++)
		{
			if (fit->category[c].n == 0)
				continue;
			fit->category[c].coverage[l] /= fit->category[c].n;
			fit->category[c].width[l] /= fit->category[c].n;
		}
		for (g = 0; g < fit->table.num_groups; g++)
		{
			if (fit->group[g].n == 0)
				continue;
			fit->group[g].coverage[l] /= fit->group[g].n;
			fit->group[g].width[l] /= fit->group[g].n;
		}
	}
	fit->winkler /= fit->test.n;
	fit->baseline_coverage /= fit->test.n;
	fit->baseline_width /= fit->test.n;
	fit->baseline_winkler /= fit->test.n;

	pg_free(order);
	pg_free(estimate);
	return fit;
}

static json_t *
report_json(const IntervalReport *r)
{
	json_t	   *o = json_object();
	json_t	   *cov = json_array();
	json_t	   *width = json_array();
	int			l;

	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
	{
		json_array_append_new(cov, r->n > 0 ? json_real(r->coverage[l]) : json_null());
		json_array_append_new(width, r->n > 0 ? json_real(r->width[l]) : json_null());
	}
	json_object_set_new(o, "runs", json_integer((json_int_t) r->n));
	json_object_set_new(o, "coverage", cov);
	json_object_set_new(o, "mean_width", width);
	return o;
}

/*
 * IntervalsJson
 *		info.intervals: the method, the levels, the groups' feature and the
 *		groups with their bins, which src/interval.c validates and serves
 *		from, and "test", the report (which the server keeps but does not
 *		read).
 */
static json_t *
IntervalsJson(const IntervalFit *fit)
{
	json_t	   *o = json_object();
	json_t	   *levels = json_array();
	json_t	   *groups = json_array();
	json_t	   *test = json_object();
	json_t	   *cats = json_object();
	json_t	   *test_groups = json_array();
	json_t	   *score = json_object();
	json_t	   *baseline = json_object();
	int			b,
				l,
				c,
				g;

	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		json_array_append_new(levels, json_real(IntervalCoverage(l)));
	for (g = 0; g < fit->table.num_groups; g++)
	{
		json_t	   *jg = json_object();
		json_t	   *bins = json_array();
		json_t	   *below = isfinite(fit->group_below[g]) ? json_real(fit->group_below[g]) : json_null();
		json_t	   *tg;

		for (b = fit->group_first[g]; b < fit->group_first[g + 1]; b++)
		{
			double		upper = fit->table.upper[b];
			json_t	   *jb = json_object();
			json_t	   *lo = json_array();
			json_t	   *hi = json_array();

			for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
			{
				json_array_append_new(lo, json_real(fit->table.low[b * INTERVAL_NUM_LEVELS + l]));
				json_array_append_new(hi, json_real(fit->table.high[b * INTERVAL_NUM_LEVELS + l]));
			}
			json_object_set_new(jb, "upper", isfinite(upper) ? json_real(upper) : json_null());
			json_object_set_new(jb, "rows", json_integer((json_int_t) fit->bin_rows[b]));
			json_object_set_new(jb, "low", lo);
			json_object_set_new(jb, "high", hi);
			json_array_append_new(bins, jb);
		}
		json_object_set(jg, "below", below);
		json_object_set_new(jg, "rows", json_integer((json_int_t) fit->group_rows[g]));
		json_object_set_new(jg, "bins", bins);
		json_array_append_new(groups, jg);

		tg = report_json(&fit->group[g]);
		json_object_set_new(tg, "below", below);
		json_array_append_new(test_groups, tg);
	}

	json_object_set_new(test, "overall", report_json(&fit->test));
	for (c = 0; c < DURATION_CATEGORY_COUNT; c++)
		json_object_set_new(cats, DurationCategoryName(c), report_json(&fit->category[c]));
	json_object_set_new(test, "by_predicted_category", cats);
	json_object_set_new(test, "by_history_group", test_groups);
	json_object_set_new(baseline, "method", json_string("constant-width split-conformal on absolute residuals"));
	json_object_set_new(baseline, "half_width", json_real(fit->baseline_half_width));
	json_object_set_new(baseline, "coverage", json_real(fit->baseline_coverage));
	json_object_set_new(baseline, "mean_width", json_real(fit->baseline_width));
	json_object_set_new(score, "alpha", json_real(SCORE_ALPHA));
	json_object_set_new(score, "model", json_real(fit->winkler));
	json_object_set_new(score, "constant_width", json_real(fit->baseline_winkler));
	json_object_set_new(score, "gain", json_real(1.0 - fit->winkler / fit->baseline_winkler));
	json_object_set_new(test, "interval_score", score);
	json_object_set_new(test, "constant_width_baseline", baseline);

	json_object_set_new(o, "method", json_string(INTERVAL_METHOD));
	json_object_set_new(o, "format", json_integer(INTERVAL_FORMAT));
	json_object_set_new(o, "offset", json_real(fit->table.offset));
	json_object_set_new(o, "levels", levels);
	json_object_set_new(o, "calibration_rows", json_integer((json_int_t) fit->n_calibration));
	json_object_set_new(o, "group_by", json_string(GROUP_FEATURE));
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "test", test);
	return o;
}

/*
 * IntervalsJsonText
 *		See interval.h.
 */
char *
IntervalsJsonText(const IntervalFit *fit)
{
	json_t	   *o = IntervalsJson(fit);
	char	   *text = json_dumps(o, JSON_COMPACT);

	if (text == NULL)
		pg_fatal("could not build the prediction intervals' JSON");
	json_decref(o);
	return text;
}

/*
 * PrintIntervals
 *		The test rows' calibration table: nominal against realised coverage
 *		and mean width per level, overall and per predicted category, and
 *		the interval score against the constant-width baseline.
 */
void
PrintIntervals(const IntervalFit *fit)
{
	int			l,
				c;

	printf("\nPrediction intervals (%s, %d groups by %s, %d bins, calibrated on %zu validation rows)\n",
		   INTERVAL_METHOD, fit->table.num_groups, GROUP_FEATURE, fit->table.num_bins,
		   fit->n_calibration);
	printf("Test rows: realised coverage (mean width, s) per nominal level\n\n");
	printf("%-19s | %6s |", "Predicted category", "runs");
	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		printf("  %4.2f%10s", IntervalCoverage(l), "");
	printf("\n--------------------+--------+");
	for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		printf("----------------");
	printf("\n");
	for (c = -1; c < DURATION_CATEGORY_COUNT + fit->table.num_groups; c++)
	{
		const IntervalReport *r;
		char		label[64];

		if (c < 0)
		{
			r = &fit->test;
			snprintf(label, sizeof(label), "all");
		}
		else if (c < DURATION_CATEGORY_COUNT)
		{
			r = &fit->category[c];
			snprintf(label, sizeof(label), "%s", DurationCategoryName(c));
		}
		else
		{
			int			g = c - DURATION_CATEGORY_COUNT;

			r = &fit->group[g];
			if (g == 0)
				printf("%-19s | %6s |\n", "History (runs)", "");
			if (!isfinite(fit->group_below[g]))
				snprintf(label, sizeof(label), "%g or more", g == 0 ? 0 : fit->group_below[g - 1]);
			else
				snprintf(label, sizeof(label), "%g to %g", g == 0 ? 0 : fit->group_below[g - 1],
						 fit->group_below[g] - 1);
		}
		printf("%-19s | %6zu |", label, r->n);
		for (l = 0; l < INTERVAL_NUM_LEVELS; l++)
		{
			if (r->n == 0)
				printf("  %14s", "-");
			else
				printf("  %5.3f (%6.1f)", r->coverage[l], r->width[l]);
		}
		printf("\n");
	}
	printf("\nInterval score at alpha %.1f (lower is better): %.3f; constant width +/- %.2f s: %.3f "
		   "(coverage %.3f, mean width %.1f); gain %.1f %%\n",
		   SCORE_ALPHA, fit->winkler, fit->baseline_half_width, fit->baseline_winkler,
		   fit->baseline_coverage, fit->baseline_width,
		   100.0 * (1.0 - fit->winkler / fit->baseline_winkler));
	fflush(stdout);
}

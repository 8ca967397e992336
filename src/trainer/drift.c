/*-------------------------------------------------------------------------
 *
 * src/trainer/drift.c
 *		The training distribution that model_info.json carries for drift
 *		detection: each feature's deciles, the share of its values in each
 *		bin they bound and its share of missing values, and the same for
 *		the model's predictions.
 *
 * The distribution is that of the recent training data: the newest fifth
 * of the training split by started_at (at least 1,000 rows, or all of them
 * when there are fewer, or when the source has no started_at).  Recent runs
 * are compared with it: the whole split would make some features drift by
 * construction, since a page's history only grows (its first runs have no
 * history at all, the newest a long and steady one).  Rows that start at
 * the same instant are taken in the order of their run_id, newest last;
 * rows without a start count as the oldest.
 *
 * A feature's bins are bounded by its distinct deciles over the training
 * split, e_1 < ... < e_k (k <= 9; a discrete feature has fewer), and a
 * value v falls into bin b = the number of edges <= v, 0 to k: what
 * PostgreSQL's width_bucket(v, edges) returns, which is how
 * analytics.feature_drift (extract/lifecycle.sql) bins the recent runs.
 * Keep the two in sync.  The shares are those of the training split's
 * non-missing values; "missing" is the share of missing values among all
 * its rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>

#include "common/fe_memutils.h"

#include "trainer.h"

#define N_QUANTILES 9			/* the deciles: 10 % to 90 % */
#define RECENT_SHARE 5			/* the newest fifth of the training split */
#define RECENT_MIN 1000

/* the dataset whose rows are being ordered (qsort has no context argument) */
static const Dataset *sort_data;

/*
 * compare_start
 *		Two rows by started_at, then by their place in the dataset (the
 *		run_id order).
 */
static int
compare_start(const void *a, const void *b)
{
	size_t		x = *(const size_t *) a;
	size_t		y = *(const size_t *) b;
	double		sx = sort_data->started_at[x];
	double		sy = sort_data->started_at[y];

	/* a row without a start counts as the oldest */
	if (isnan(sx) != isnan(sy))
		return isnan(sx) ? -1 : 1;
	if (!isnan(sx) && sx != sy)
		return sx < sy ? -1 : 1;
	return (x > y) - (x < y);
}

static int
compare_floats(const void *a, const void *b)
{
	float		x = *(const float *) a;
	float		y = *(const float *) b;

	return (x > y) - (x < y);
}

/*
 * distribution
 *		{"edges": [...], "shares": [...], "missing": share} of n values, NaN
 *		for missing; sorts v in place.
 */
static json_t *
distribution(float *v, size_t n)
{
	json_t	   *o = json_object();
	json_t	   *edges = json_array();
	json_t	   *shares = json_array();
	double		edge[N_QUANTILES];
	size_t		count[N_QUANTILES + 1] = {0};
	size_t		present = 0;
	int			k = 0;
	size_t		i;
	int			q;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[present++] = v[i];
	qsort(v, present, sizeof(float), compare_floats);

	/* the lower quantiles, distinct: each edge is a value of the split */
	for (q = 1; q <= N_QUANTILES && present > 0; q++)
	{
		size_t		at = (size_t) ceil(q * present / 10.0);
		double		e = v[at > 0 ? at - 1 : 0];

		if (k == 0 || e > edge[k - 1])
			edge[k++] = e;
	}
	/* bin b holds the values with b edges <= them (width_bucket) */
	for (i = 0; i < present; i++)
	{
		int			b = 0;

		while (b < k && edge[b] <= v[i])
			b++;
		count[b]++;
	}
	for (q = 0; q < k; q++)
		json_array_append_new(edges, json_real(edge[q]));
	for (q = 0; q <= k && present > 0; q++)
		json_array_append_new(shares, json_real((double) count[q] / present));
	json_object_set_new(o, "edges", edges);
	json_object_set_new(o, "shares", shares);
	json_object_set_new(o, "missing", json_real(n > 0 ? (double) (n - present) / n : 0.0));
	return o;
}

/*
 * TrainingDistribution
 *		The distribution of every feature and of the predictions (clamped
 *		at 0, as the server serves them) over the recent training data.
 */
json_t *
TrainingDistribution(const Dataset *data, const Split *split, const TrainResult *result)
{
	json_t	   *o = json_object();
	json_t	   *features = json_object();
	float	   *v = pg_malloc((split->n_train + 1) * sizeof(float));
	size_t	   *rows = pg_malloc((split->n_train + 1) * sizeof(size_t));
	size_t		n = split->n_train;
	size_t		first = 0;
	size_t		i;
	int			f;

	memcpy(rows, split->train, n * sizeof(size_t));
	if (data->has_started_at && n > RECENT_MIN)
	{
		size_t		keep = Max(n / RECENT_SHARE, RECENT_MIN);

		sort_data = data;
		qsort(rows, n, sizeof(size_t), compare_start);
		first = n - keep;
		n = keep;
	}
	for (f = 0; f < NUM_FEATURES; f++)
	{
		for (i = 0; i < n; i++)
			v[i] = data->x[rows[first + i] * NUM_FEATURES + f];
		json_object_set_new(features, data->features->name[f], distribution(v, n));
	}
	for (i = 0; i < n; i++)
	{
		float		p = result->predictions[rows[first + i]];

		v[i] = p > 0 ? p : 0;
	}
	json_object_set_new(o, "split", json_string("train"));
	json_object_set_new(o, "rows", json_integer((json_int_t) n));
	json_object_set_new(o, "newest", json_boolean(first > 0));
	json_object_set_new(o, "features", features);
	json_object_set_new(o, "prediction", distribution(v, n));
	pg_free(v);
	pg_free(rows);
	return o;
}

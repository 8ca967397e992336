/*-------------------------------------------------------------------------
 *
 * src/trainer/split.c
 *		Train, validation and test rows: 60/20/20, by a seeded shuffle or
 *		by start time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>

#include "common/fe_memutils.h"
#include "common/logging.h"

#include "trainer.h"

/*
 * splitmix64
 *		A small, well-mixed 64-bit generator: same seed, same sequence, on
 *		every platform.
 */
static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* started_at of the rows being sorted (qsort has no context argument) */
static const double *sort_started_at;

/*
 * by_start
 *		Oldest first; rows without a start last; ties in the dataset's
 *		order, which does not depend on the order the rows arrived in.
 */
static int
by_start(const void *a, const void *b)
{
	size_t		ia = *(const size_t *) a;
	size_t		ib = *(const size_t *) b;
	double		sa = sort_started_at[ia];
	double		sb = sort_started_at[ib];

	if (isnan(sa) != isnan(sb))
		return isnan(sa) ? 1 : -1;
	if (!isnan(sa) && sa != sb)
		return sa < sb ? -1 : 1;
	return (ia > ib) - (ia < ib);
}

/*
 * SplitDataset
 *		60 % train, 20 % validation, the rest test.  Random: a Fisher-Yates
 *		shuffle with --seed (30,000 / 10,000 / 10,000 of 50,000 rows).
 *		Time: by started_at, the newest rows tested.  Either works on row
 *		positions, so it is the same for the same rows because ReadDataset
 *		ordered them (by run_id, then value).
 */
void
SplitDataset(const Dataset *data, const Options *opts, Split *split)
{
	size_t		n = data->n;
	size_t	   *order = pg_malloc(n * sizeof(size_t));
	size_t		i;

	for (i = 0; i < n; i++)
		order[i] = i;

	if (strcmp(opts->split, "random") == 0)
	{
		uint64_t	state = opts->seed;

		for (i = n - 1; i > 0; i--)
		{
			size_t		j = (size_t) (splitmix64(&state) % (i + 1));
			size_t		t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	}
	else
	{
		sort_started_at = data->started_at;
		qsort(order, n, sizeof(size_t), by_start);
	}

	split->n_train = n * 6 / 10;
	split->n_val = n * 2 / 10;
	split->n_test = n - split->n_train - split->n_val;
	if (split->n_train == 0 || split->n_val == 0 || split->n_test == 0)
		pg_fatal("%zu usable rows are too few for a train, a validation and a test split", n);
	split->train = order;
	split->val = order + split->n_train;
	split->test = order + split->n_train + split->n_val;
}

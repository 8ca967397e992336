/*-------------------------------------------------------------------------
 *
 * src/trainer/dataset.c
 *		The training set: parsing the source's rows, excluding the unusable
 *		ones, and putting the rest in an order of their own.
 *
 * db.c checks the source and streams its rows as COPY text lines; they are
 * parsed as they come, never held in one result.  They are then put in an
 * order of their own (by run_id, then by value), so that what follows does
 * not depend on the order in which the server sent them, which a query or
 * a parallel plan need not keep from one run to the next.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>

#include "common/fe_memutils.h"
#include "common/logging.h"

#include "db.h"
#include "trainer.h"

/*
 * parse_number
 *		A field of COPY text output as a double; false for a bad one.
 */
static bool
parse_number(const char *field, double *out)
{
	char	   *end;

	if (field[0] == 't' && field[1] == '\0')
		*out = 1;
	else if (field[0] == 'f' && field[1] == '\0')
		*out = 0;
	else
	{
		*out = strtod(field, &end);
		if (end == field || *end != '\0')
			return false;
	}
	return true;
}

/* the dataset being ordered (qsort has no context argument) */
static const Dataset *sort_data;

/*
 * compare_bits32 / compare_bits64
 *		Two floating-point values by their bits: a total order in which only
 *		the same value ties (NaN included, and -0 apart from 0).
 */
static int
compare_bits32(float a, float b)
{
	uint32_t	ua,
				ub;

	memcpy(&ua, &a, sizeof(ua));
	memcpy(&ub, &b, sizeof(ub));
	return (ua > ub) - (ua < ub);
}

static int
compare_bits64(double a, double b)
{
	uint64_t	ua,
				ub;

	memcpy(&ua, &a, sizeof(ua));
	memcpy(&ub, &b, sizeof(ub));
	return (ua > ub) - (ua < ub);
}

/*
 * by_run_id_then_values
 *		The rows' order: by run_id when the source has one, then by the
 *		features, the target and the start, so that only rows the same in
 *		every column the trainer reads tie, and which of them comes first
 *		changes nothing.
 */
static int
by_run_id_then_values(const void *a, const void *b)
{
	const Dataset *d = sort_data;
	size_t		ia = *(const size_t *) a;
	size_t		ib = *(const size_t *) b;
	int			c;
	int			i;

	if (d->has_run_id && d->row_id[ia] != d->row_id[ib])
		return d->row_id[ia] < d->row_id[ib] ? -1 : 1;
	for (i = 0; i < NUM_FEATURES; i++)
	{
		c = compare_bits32(d->x[ia * NUM_FEATURES + i], d->x[ib * NUM_FEATURES + i]);
		if (c != 0)
			return c;
	}
	c = compare_bits32(d->y[ia], d->y[ib]);
	if (c != 0)
		return c;
	return compare_bits64(d->started_at[ia], d->started_at[ib]);
}

/*
 * order_rows
 *		Puts the rows in the order of by_run_id_then_values, so that the
 *		split (a shuffle of row positions, or a sort by start with ties in
 *		row order) and so the model depend on the rows, not on the order in
 *		which they arrived.  The rows are permuted in place, one cycle at a
 *		time, not copied: the features are most of the trainer's memory.
 *		Rows sharing a run_id are kept, with a warning.
 */
static void
order_rows(Dataset *data)
{
	size_t		n = data->n;
	size_t	   *order = pg_malloc(n * sizeof(size_t));
	float		x[NUM_FEATURES];
	float		y;
	int64_t		row_id;
	double		started_at;
	size_t		duplicates = 0;
	size_t		start;
	size_t		i;

	for (i = 0; i < n; i++)
		order[i] = i;
	sort_data = data;
	qsort(order, n, sizeof(size_t), by_run_id_then_values);

	/* position i gets row order[i]; a position done is marked SIZE_MAX */
	for (start = 0; start < n; start++)
	{
		size_t		to = start;

		if (order[start] == SIZE_MAX)
			continue;
		memcpy(x, data->x + start * NUM_FEATURES, sizeof(x));
		y = data->y[start];
		row_id = data->row_id[start];
		started_at = data->started_at[start];
		for (;;)
		{
			size_t		from = order[to];

			order[to] = SIZE_MAX;
			if (from == start)
				break;
			memcpy(data->x + to * NUM_FEATURES, data->x + from * NUM_FEATURES, sizeof(x));
			data->y[to] = data->y[from];
			data->row_id[to] = data->row_id[from];
			data->started_at[to] = data->started_at[from];
			to = from;
		}
		memcpy(data->x + to * NUM_FEATURES, x, sizeof(x));
		data->y[to] = y;
		data->row_id[to] = row_id;
		data->started_at[to] = started_at;
	}
	pg_free(order);

	if (data->has_run_id)
	{
		for (i = 1; i < n; i++)
			if (data->row_id[i] == data->row_id[i - 1])
				duplicates++;
		if (duplicates > 0)
			pg_log_warning("%zu rows repeat the run_id of another row; they are ordered by value",
						   duplicates);
	}
}


/*
 * ReadDataset
 *		Reads the source's rows through db.c, excludes and counts those that
 *		cannot be trained on, and orders the rest.
 */
void
ReadDataset(PGconn *conn, const Options *opts, const FeatureColumns *features,
			Dataset *data)
{
	Source		src;
	size_t		cap = 1024;
	char	   *line;
	int			i;
	bool		log_link = strcmp(opts->objective, "reg:gamma") == 0 ||
		strcmp(opts->objective, "reg:tweedie") == 0;

	memset(data, 0, sizeof(Dataset));
	data->features = features;
	DescribeSource(conn, opts->source, features, &src);
	data->has_run_id = src.has_run_id;
	data->has_started_at = src.has_started_at;
	if (strcmp(opts->split, "time") == 0 && !data->has_started_at)
		pg_fatal("--split time needs a started_at column in source %s", opts->source);

	StartReadingSource(&src, features);
	data->x = pg_malloc(cap * NUM_FEATURES * sizeof(float));
	data->y = pg_malloc(cap * sizeof(float));
	data->row_id = pg_malloc(cap * sizeof(int64_t));
	data->started_at = pg_malloc(cap * sizeof(double));

	pg_log_info("reading %s", opts->source);
	while ((line = NextSourceRow(&src)) != NULL)
	{
		char	   *field[NUM_FEATURES + 3];
		char	   *p;
		int			nf = 0;
		double		target;
		float		y;
		bool		usable = true;
		size_t		r;

		for (p = line, field[nf++] = line; *p; p++)
		{
			if (*p == '\t')
			{
				*p = '\0';
				if (nf == src.ncols)
					pg_fatal("unexpected row layout from source %s", opts->source);
				field[nf++] = p + 1;
			}
		}
		if (nf != src.ncols)
			pg_fatal("unexpected row layout from source %s", opts->source);
		data->rows_read++;

		/*
		 * the target: NULL, NaN, infinite or negative rows are excluded;
		 * infinite once narrowed to XGBoost's float32, so 1e300 is too
		 */
		if (strcmp(field[NUM_FEATURES], "\\N") == 0)
		{
			data->excluded_null++;
			continue;
		}
		if (!parse_number(field[NUM_FEATURES], &target))
			target = NAN;
		y = (float) target;
		if (!isfinite(y) || target < 0)
		{
			data->excluded_invalid++;
			continue;
		}
		if (log_link && y <= 0)
		{
			data->excluded_nonpositive++;
			continue;
		}

		if (data->n == cap)
		{
			cap *= 2;
			data->x = pg_realloc(data->x, cap * NUM_FEATURES * sizeof(float));
			data->y = pg_realloc(data->y, cap * sizeof(float));
			data->row_id = pg_realloc(data->row_id, cap * sizeof(int64_t));
			data->started_at = pg_realloc(data->started_at, cap * sizeof(double));
		}
		r = data->n;
		for (i = 0; i < NUM_FEATURES && usable; i++)
		{
			double		v;

			if (strcmp(field[i], "\\N") == 0)
				data->x[r * NUM_FEATURES + i] = NAN;
			else if (!parse_number(field[i], &v))
				pg_fatal("column \"%s\" of source %s has a value that is not a number: %s",
						 features->name[i], opts->source, field[i]);
			else
			{
				/* infinite once narrowed, as for the target */
				float		f = (float) v;

				if (isinf(f))
					usable = false;
				else
					data->x[r * NUM_FEATURES + i] = f;
			}
		}
		if (!usable)
		{
			data->excluded_infinite_feature++;
			continue;
		}
		data->y[r] = y;
		i = NUM_FEATURES + 1;
		if (data->has_run_id)
			data->row_id[r] = strtoll(field[i++], NULL, 10);
		else
			data->row_id[r] = (int64_t) (data->rows_read - 1);
		data->started_at[r] = NAN;
		if (data->has_started_at && strcmp(field[i], "\\N") != 0)
			data->started_at[r] = strtod(field[i], NULL);
		data->n++;
	}
	FinishReadingSource(&src);

	if (data->rows_read == 0)
		pg_fatal("source %s has no rows", opts->source);
	if (data->excluded_null + data->excluded_invalid + data->excluded_nonpositive +
		data->excluded_infinite_feature > 0)
		pg_log_info("excluded %zu of %zu rows: %zu NULL target, %zu NaN, infinite or "
					"negative target, %zu zero target (log-link objective), %zu infinite feature",
					data->rows_read - data->n, data->rows_read, data->excluded_null,
					data->excluded_invalid, data->excluded_nonpositive,
					data->excluded_infinite_feature);
	if (data->n < MIN_ROWS)
	{
		pg_log_error("source %s has only %zu usable rows", opts->source, data->n);
		pg_log_error_detail("%zu rows were read and %zu excluded; the three splits need %d usable rows or more.",
							data->rows_read, data->rows_read - data->n, MIN_ROWS);
		exit(EXIT_FAILURE_RUN);
	}
	order_rows(data);
}

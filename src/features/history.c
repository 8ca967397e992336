/*-------------------------------------------------------------------------
 *
 * src/features/history.c
 *		durpred.run_history(duration, failed): the five historical features
 *		of a run from the durations and outcomes of its page's earlier runs.
 *
 * One aggregate defines the historical features for every path: used as a
 * window aggregate over a page's runs in time order it builds the training
 * set in O(n log n); used as a plain aggregate it gives the features of a
 * single run.  Its final function does not modify the state, so a window
 * whose frame starts at the partition's first row adds each row once.
 *
 * The arithmetic is PostgreSQL's own (pg_mirror.c), so that the results
 * equal avg(), stddev_samp() and percentile_cont(0.5) over the same values
 * in the same order: the running count, sum and sum of squared deviations
 * are updated as float8_accum updates them (Youngs and Cramer), and the
 * median is percentile_cont's, from the middle values.  Those come from two
 * heaps (the lower half as a max-heap, the upper half as a min-heap),
 * O(log n) per value.  The failure rate is failed / count in float8.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/memutils.h"

#include "calls.h"
#include "durpred.h"
#include "features/history.h"
#include "features/pg_mirror.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_run_history_accum);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_run_history_final);


/*
 * HeapPush
 *		Adds a value to a heap; max-heap when is_max, else min-heap.
 */
static void
HeapPush(HistoryHeap *h, double v, bool is_max, MemoryContext cxt)
{
	int64		i;

	if (h->n == h->cap)
	{
		int64		cap = h->cap == 0 ? 64 : h->cap * 2;

		h->values = h->values == NULL
			? MemoryContextAllocHuge(cxt, cap * sizeof(double))
			: repalloc_huge(h->values, cap * sizeof(double));
		h->cap = cap;
	}
	i = h->n++;
	while (i > 0)
	{
		int64		parent = (i - 1) / 2;

		if (is_max ? h->values[parent] >= v : h->values[parent] <= v)
			break;
		h->values[i] = h->values[parent];
		i = parent;
	}
	h->values[i] = v;
}

/*
 * HeapPop
 *		Removes and returns the top of a non-empty heap.
 */
static double
HeapPop(HistoryHeap *h, bool is_max)
{
	double		top = h->values[0];
	double		last = h->values[--h->n];
	int64		i = 0;

	for (;;)
	{
		int64		child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n &&
			(is_max ? h->values[child + 1] > h->values[child]
			 : h->values[child + 1] < h->values[child]))
			child++;
		if (is_max ? last >= h->values[child] : last <= h->values[child])
			break;
		h->values[i] = h->values[child];
		i = child;
	}
	if (h->n > 0)
		h->values[i] = last;
	return top;
}

/*
 * HistoryAdd
 *		See history.h.
 */
void
HistoryAdd(HistoryState *state, double x, bool failed, MemoryContext cxt)
{
	if (!isfinite(x) || x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run duration must be a finite number of seconds, zero or greater: %g", x)));

	MirrorFloat8Accum(&state->moments, x);

	if (failed)
		state->failed++;

	/* the lower half keeps the middle value when the count is odd */
	if (state->lower.n == 0 || x <= state->lower.values[0])
		HeapPush(&state->lower, x, true, cxt);
	else
		HeapPush(&state->upper, x, false, cxt);
	if (state->lower.n > state->upper.n + 1)
		HeapPush(&state->upper, HeapPop(&state->lower, true), false, cxt);
	else if (state->upper.n > state->lower.n)
		HeapPush(&state->lower, HeapPop(&state->upper, false), true, cxt);
}

/*
 * durpred_run_history_accum
 *		Transition function: adds one finished run.  A NULL duration (a row
 *		that is not a finished run, such as the run being scored in a window)
 *		is skipped.
 */
Datum
durpred_run_history_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	HistoryState *state;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "durpred_run_history_accum called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (HistoryState *) PG_GETARG_POINTER(0);
	if (state == NULL)
		state = MemoryContextAllocZero(aggcxt, sizeof(HistoryState));
	if (!PG_ARGISNULL(1))
		HistoryAdd(state, PG_GETARG_FLOAT8(1),
				   !PG_ARGISNULL(2) && PG_GETARG_BOOL(2), aggcxt);
	PG_RETURN_POINTER(state);
}

/*
 * HistoryFields
 *		See history.h.
 */
void
HistoryFields(const HistoryState *state, Datum *values, bool *nulls)
{
	int64		n = state == NULL ? 0 : (int64) state->moments.n;

	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("more than %d earlier runs", PG_INT32_MAX)));
	values[0] = Int32GetDatum((int32) n);
	nulls[0] = false;
	if (n == 0)
	{
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = true;
		return;
	}

	values[1] = Float8GetDatum(MirrorFloat8Avg(&state->moments));
	nulls[1] = false;

	/* the middle values: the lower half's top, the upper half's when even */
	values[2] = Float8GetDatum(MirrorPercentileContHalf(n, state->lower.values[0],
														n % 2 == 0 ? state->upper.values[0] : 0.0));
	nulls[2] = false;

	nulls[3] = n < 2;
	if (n >= 2)
		values[3] = Float8GetDatum(MirrorFloat8StddevSamp(&state->moments));

	values[4] = Float8GetDatum((double) state->failed / (double) n);
	nulls[4] = false;
}

/*
 * durpred_run_history_final
 *		Final function: (historical_run_count, historical_avg_duration,
 *		historical_median_duration, historical_stddev_duration,
 *		historical_failure_rate).  No runs: a count of 0 and NULLs; the
 *		standard deviation needs two runs.  Does not modify the state.
 */
Datum
durpred_run_history_final(PG_FUNCTION_ARGS)
{
	HistoryState *state = PG_ARGISNULL(0) ? NULL : (HistoryState *) PG_GETARG_POINTER(0);
	TupleDesc	desc = CallResultDesc(fcinfo, &fcinfo->flinfo->fn_extra);
	Datum		values[HISTORY_FIELDS];
	bool		nulls[HISTORY_FIELDS];

	HistoryFields(state, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

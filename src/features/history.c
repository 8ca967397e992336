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
 * Durations are counted in whole microseconds, the resolution of the
 * timestamps they come from (HistoryMicros), and the count, the sum and the
 * sum of squares are kept exactly, in 128-bit integers: the mean and the
 * standard deviation then depend only on which runs count, not on the order
 * they are added in, so that the per-page summary (summary.c) can add and
 * remove runs in any order and give the same bits as this aggregate, and
 * so that a plan that splits or gathers the rows changes nothing.  The
 * exact totals become the features in one place, HistoryTotalsFields.  The
 * median is percentile_cont's (pg_mirror.c) of the two middle durations,
 * which come from two heaps (the lower half as a max-heap, the upper half
 * as a min-heap), O(log n) per value.  The failure rate is failed / count
 * in float8.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "utils/memutils.h"

#include "calls.h"
#include "durpred.h"
#include "features/history.h"
#include "features/pg_mirror.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_run_history_accum);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_run_history_final);

/* 2^53: the longest duration that counts, in microseconds (exclusive) */
#define HISTORY_MAX_MICROS 9007199254740992.0


/*
 * HeapPush
 *		Adds a value to a heap; max-heap when is_max, else min-heap.
 */
static void
HeapPush(HistoryHeap *h, int64 v, bool is_max, MemoryContext cxt)
{
	int64		i;

	if (h->n == h->cap)
	{
		int64		cap = h->cap == 0 ? 64 : h->cap * 2;

		h->values = h->values == NULL
			? MemoryContextAllocHuge(cxt, cap * sizeof(int64))
			: repalloc_huge(h->values, cap * sizeof(int64));
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
static int64
HeapPop(HistoryHeap *h, bool is_max)
{
	int64		top = h->values[0];
	int64		last = h->values[--h->n];
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
 * HistoryMicros
 *		See history.h.
 */
int64
HistoryMicros(double seconds)
{
	/*
	 * Below 2^53 microseconds (about 285 years), the exact totals of any
	 * number of runs a page can have fit in 128 bits
	 */
	if (!(seconds >= 0 && seconds * 1000000.0 < HISTORY_MAX_MICROS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run duration must be a finite number of seconds from 0 to 2^53 microseconds: %g",
						seconds)));
	return (int64) llround(seconds * 1000000.0);
}

/*
 * RunMicros
 *		See history.h.
 */
bool
RunMicros(TimestampTz finished_at, TimestampTz started_at, int64 *us)
{
	double		seconds;

	if (!MirrorEpochDifference(finished_at, started_at, &seconds) ||
		!(seconds * 1000000.0 < HISTORY_MAX_MICROS))
		return false;
	*us = HistoryMicros(seconds);
	return true;
}

/*
 * HistoryTotalsAdd
 *		See history.h.
 */
void
HistoryTotalsAdd(HistoryTotals *totals, int64 us, bool failed, int sign)
{
	totals->n += sign;
	totals->failed += failed ? sign : 0;
	totals->sum += (int128) sign * us;
	totals->sumsq += (int128) sign * us * us;
}

/*
 * HistoryAdd
 *		See history.h.
 */
void
HistoryAdd(HistoryState *state, double x, bool failed, MemoryContext cxt)
{
	HistoryAddMicros(state, HistoryMicros(x), failed, cxt);
}

/*
 * HistoryAddMicros
 *		See history.h.
 */
void
HistoryAddMicros(HistoryState *state, int64 us, bool failed, MemoryContext cxt)
{
	HistoryTotalsAdd(&state->totals, us, failed, 1);

	/* the lower half keeps the middle value when the count is odd */
	if (state->lower.n == 0 || us <= state->lower.values[0])
		HeapPush(&state->lower, us, true, cxt);
	else
		HeapPush(&state->upper, us, false, cxt);
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
 * HistoryTotalsFields
 *		See history.h.
 */
void
HistoryTotalsFields(const HistoryTotals *t, Datum *values, bool *nulls)
{
	int64		n = t->n;

	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("more than %d earlier runs", PG_INT32_MAX)));
	values[0] = Int32GetDatum((int32) n);
	nulls[0] = false;
	if (n <= 0)
	{
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = true;
		return;
	}

	/*
	 * The mean: the exact sum rounded once to float8, divided by the count
	 * in microseconds (exact in float8 below 2^53).
	 */
	values[1] = Float8GetDatum((double) t->sum / ((double) n * 1000000.0));
	nulls[1] = false;

	/* of the middle durations in seconds, as date_part gives them */
	values[2] = Float8GetDatum(MirrorPercentileContHalf(n, MirrorEpochOfMicros(t->median_lo),
														MirrorEpochOfMicros(t->median_hi)));
	nulls[2] = false;

	/*
	 * The sample standard deviation from the exact sum of squared
	 * deviations times n, n * Sxx - Sx^2, rounded once to float8.  Durations
	 * below 2^62 microseconds keep it in 128 bits for any count a page can
	 * reach in practice; beyond, long double takes over.
	 */
	nulls[3] = n < 2;
	if (n >= 2)
	{
		int128		nsxx;
		int128		sx2;
		double		m2;

		if (!__builtin_mul_overflow((int128) n, t->sumsq, &nsxx) &&
			!__builtin_mul_overflow(t->sum, t->sum, &sx2))
			m2 = (double) (nsxx - sx2);
		else
			m2 = (double) ((long double) n * (long double) t->sumsq -
						   (long double) t->sum * (long double) t->sum);
		values[3] = Float8GetDatum(sqrt(m2 / ((double) n * (double) (n - 1))) / 1000000.0);
	}

	values[4] = Float8GetDatum((double) t->failed / (double) n);
	nulls[4] = false;
}

/*
 * HistoryFields
 *		See history.h.
 */
void
HistoryFields(const HistoryState *state, Datum *values, bool *nulls)
{
	HistoryTotals totals = {0};

	if (state != NULL)
	{
		totals = state->totals;
		if (totals.n > 0)
		{
			totals.median_lo = state->lower.values[0];
			totals.median_hi = totals.n % 2 == 1 ? totals.median_lo : state->upper.values[0];
		}
	}
	HistoryTotalsFields(&totals, values, nulls);
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

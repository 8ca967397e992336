/*-------------------------------------------------------------------------
 *
 * src/features/history.h
 *		The five historical features of a run: durpred.run_history, and the
 *		running state the direct reads of durpred.page_features add a page's
 *		runs to.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_HISTORY_H
#define DURPRED_FEATURES_HISTORY_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/*
 * count, mean, median, standard deviation, failure rate: features 20 to 24
 * of durpred.features and the fields of durpred.run_history, in that order
 * (keep in sync with sql/durpred--0.1.0.sql:durpred.run_history).
 */
#define HISTORY_FIELDS 5

/* A binary heap of durations in microseconds, growing as needed. */
typedef struct HistoryHeap
{
	int64	   *values;
	int64		n;
	int64		cap;
} HistoryHeap;

/*
 * The history of a run as exact totals: how many runs, how many failed,
 * the sum and the sum of squares of their durations in microseconds, and
 * the two middle durations (ranks (n + 1) / 2 and n / 2 + 1 in duration
 * order; equal when n is odd).  All zero is no run.
 */
typedef struct HistoryTotals
{
	int64		n;
	int64		failed;
	int128		sum;
	int128		sumsq;
	int64		median_lo;
	int64		median_hi;
} HistoryTotals;

/* The history of a run so far, as the aggregate keeps it; all zero is no run. */
typedef struct HistoryState
{
	HistoryTotals totals;		/* the middle durations are in the heaps */
	HistoryHeap lower;			/* max-heap: the smaller half, one more if odd */
	HistoryHeap upper;			/* min-heap: the larger half */
} HistoryState;

/*
 * The duration of a run in whole microseconds, as every path counts it: a
 * duration in seconds (as date_part gives it) rounded to the microsecond.
 * 22023 unless finite, >= 0 and below 2^53 microseconds (about 285 years).
 */
extern int64 HistoryMicros(double seconds);

/*
 * The duration of a finished run in microseconds (HistoryMicros of its
 * date_part('epoch', finished_at - started_at)); false where it has none: a
 * timestamp is infinite, it finished before it started, or it lasted 2^53
 * microseconds or more.  durpred.run_duration_us(), which the SQL's
 * analytics.has_duration() calls: the one rule.
 */
extern bool RunMicros(TimestampTz finished_at, TimestampTz started_at, int64 *us);

/* Adds (sign 1) or removes (sign -1) a run; the middle durations are the caller's. */
extern void HistoryTotalsAdd(HistoryTotals *totals, int64 us, bool failed, int sign);

/* The five historical features of exact totals (n = 0: a count of 0 and NULLs). */
extern void HistoryTotalsFields(const HistoryTotals *totals, Datum *values, bool *nulls);

/*
 * Adds a finished run of duration x (seconds; see HistoryMicros),
 * allocating in cxt.  The result does not depend on the order runs are
 * added in.
 */
extern void HistoryAdd(HistoryState *state, double x, bool failed,
					   MemoryContext cxt);

/* The same for a duration in microseconds (HistoryMicros). */
extern void HistoryAddMicros(HistoryState *state, int64 us, bool failed,
							 MemoryContext cxt);

/* The five historical features of a state (NULL: no run). */
extern void HistoryFields(const HistoryState *state, Datum *values, bool *nulls);

/* durpred.run_history(duration float8, failed bool): transition and final functions */
extern Datum durpred_run_history_accum(PG_FUNCTION_ARGS);
extern Datum durpred_run_history_final(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_HISTORY_H */

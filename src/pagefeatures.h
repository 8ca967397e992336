/*-------------------------------------------------------------------------
 *
 * src/pagefeatures.h
 *		The parts of a run's features that the SQL functions of the
 *		extraction (durpred.timing_features, durpred.block_counts,
 *		durpred.run_history) and the serving trigger's direct reads
 *		(durpred.page_features, src/pagefeatures.c) share, so that both
 *		compute each value with the same code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_PAGEFEATURES_H
#define DURPRED_PAGEFEATURES_H

#include "datatype/timestamp.h"
#include "access/tupdesc.h"
#include "fmgr.h"

/* Whether a text datum equals a C string, byte for byte. */
static inline bool
TextIs(Datum value, const char *s, size_t len)
{
	text	   *t = DatumGetTextPP(value);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

#define TEXT_IS(value, literal) TextIs(value, literal, sizeof(literal) - 1)

/* timing: start_hour, day_of_week, month, is_weekend, is_business_hours */
#define TIMING_FIELDS 5

/*
 * The timing features of an instant in UTC; all NULL for an infinite
 * instant.
 */
extern void TimingFields(TimestampTz at, Datum *values, bool *nulls);

/* total_blocks and the fourteen block types, in feature order */
#define FIRST_BLOCK_FEATURE 5
#define NUM_BLOCK_TYPES 14
/* block counts: total, the fourteen types, then blocks of any other type */
#define NUM_COUNTS (NUM_BLOCK_TYPES + 2)

/*
 * Where a block type is counted: 1 to 14 for the feature types, 15 for any
 * other.  The feature "sql_blocks" counts the type "sql".
 */
extern int	BlockTypeIndex(const char *type, size_t len);

/* A count of blocks as a feature value: 22003 above PG_INT32_MAX. */
extern int32 BlockCount(int64 n);

/* history: count, mean, median, standard deviation, failure rate */
#define HISTORY_FIELDS 5

typedef struct Heap
{
	int64	   *values;
	int64		n;
	int64		cap;
} Heap;

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
	HistoryTotals totals;		/* the medians are in the heaps */
	Heap		lower;			/* max-heap: the smaller half, one more if odd */
	Heap		upper;			/* min-heap: the larger half */
} HistoryState;

/*
 * date_part('epoch', interval) of the interval finished_at - started_at,
 * given as its length in microseconds (>= 0).
 */
extern double DurationSeconds(int64 us);

/*
 * The duration of a run in whole microseconds, as every path counts it: a
 * duration in seconds (as date_part gives it) rounded to the microsecond.
 * 22023 unless finite, >= 0 and below 4.6e12 seconds.
 */
extern int64 HistoryMicros(double seconds);

/*
 * The duration of a finished run in microseconds (HistoryMicros of its
 * date_part('epoch', finished_at - started_at)); false where it has none:
 * a timestamp is infinite, it finished before it started, or the interval
 * is out of range.
 */
extern bool RunMicros(TimestampTz finished_at, TimestampTz started_at, int64 *us);

/* Adds (sign 1) or removes (sign -1) a run; the medians are the caller's. */
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

/*
 * The 25 features of a run of a page starting at as_of, as
 * analytics.page_features() gives them, read directly from the app tables
 * with the active snapshot (durpred.page_features, the serving trigger):
 * values and nulls in the order and types of durpred.features.  False
 * where the SQL gives no row (no such page, a block of an unknown type);
 * 0A000 where the tables cannot be read directly.
 */
extern bool PageFeatures(int64 page, TimestampTz as_of, Datum *values, bool *nulls);

/*
 * Whether a row type has the columns of durpred.features: 25, of the
 * features' types in their order.
 */
extern bool IsFeaturesRow(TupleDesc desc);

#endif							/* DURPRED_PAGEFEATURES_H */

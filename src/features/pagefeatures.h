/*-------------------------------------------------------------------------
 *
 * src/features/pagefeatures.h
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
	double	   *values;
	int64		n;
	int64		cap;
} Heap;

/* The history of a run so far; all zero is no run. */
typedef struct HistoryState
{
	double		n;				/* float8_accum's N, Sx, Sxx */
	double		sx;
	double		sxx;
	int64		failed;
	Heap		lower;			/* max-heap: the smaller half, one more if odd */
	Heap		upper;			/* min-heap: the larger half */
} HistoryState;

/*
 * Adds a finished run of duration x (seconds; 22023 unless finite and
 * >= 0), allocating in cxt.  The mean and the standard deviation depend on
 * the order of the runs to the last bit: finish, start, id.
 */
extern void HistoryAdd(HistoryState *state, double x, bool failed,
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

#endif							/* DURPRED_PAGEFEATURES_H */

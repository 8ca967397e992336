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

#include "fmgr.h"

#include "features/pg_mirror.h"

/*
 * count, mean, median, standard deviation, failure rate: features 20 to 24
 * of durpred.features and the fields of durpred.run_history, in that order
 * (keep in sync with sql/durpred--0.1.0.sql:durpred.run_history).
 */
#define HISTORY_FIELDS 5

/* A binary heap of durations, growing as needed. */
typedef struct HistoryHeap
{
	double	   *values;
	int64		n;
	int64		cap;
} HistoryHeap;

/* The history of a run so far; all zero is no run. */
typedef struct HistoryState
{
	MirrorAccumState moments;	/* float8_accum's N, Sx, Sxx */
	int64		failed;
	HistoryHeap lower;			/* max-heap: the smaller half, one more if odd */
	HistoryHeap upper;			/* min-heap: the larger half */
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

/* durpred.run_history(duration float8, failed bool): transition and final functions */
extern Datum durpred_run_history_accum(PG_FUNCTION_ARGS);
extern Datum durpred_run_history_final(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_HISTORY_H */

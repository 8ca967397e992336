/*-------------------------------------------------------------------------
 *
 * src/features/summary.h
 *		The per-page history summary (analytics.page_history_summary), read for a
 *		run's historical features in O(log n).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_SUMMARY_H
#define DURPRED_FEATURES_SUMMARY_H

#include "utils/rel.h"
#include "utils/snapshot.h"

#include "features/history.h"

/*
 * The history of a run of the page starting at as_of from the page's
 * summary (runs is app.noteflow_run, open), exactly as reading the page's
 * runs in full gives it.  False where the summary cannot say (none, not
 * complete, an index missing, too many runs finished after as_of): then
 * the caller reads the runs.
 */
extern bool HistoryFromSummary(Relation runs, Snapshot snapshot, int64 page,
							   TimestampTz as_of, HistoryTotals *totals);

/* SQL functions */
extern Datum durpred_run_duration_us(PG_FUNCTION_ARGS);
extern Datum durpred_page_history_maintain(PG_FUNCTION_ARGS);
extern Datum durpred_page_history_rebuild(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_SUMMARY_H */

/*-------------------------------------------------------------------------
 *
 * src/features/app.h
 *		The application's names and statuses, as the C code reads them: the
 *		schema, tables and columns of the production tables, the history
 *		summary's table and indexes, and which run statuses are an outcome,
 *		a failure or the queue.
 *
 * These are the public contract's production tables (keep in sync with
 * extract/schema.sql:app.notebook_page, app.block, app.noteflow_run, which
 * creates them for demos and tests).  A deployment whose tables differ maps
 * them with views of these names, which the direct reads refuse (0A000)
 * and the SQL definitions read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_APP_H
#define DURPRED_FEATURES_APP_H

#include "fmgr.h"

#include "features/pg_mirror.h"

/* The schema of the production tables */
#define APP_SCHEMA "app"

/* app.notebook_page: the pages */
#define APP_PAGE_TABLE "notebook_page"
#define APP_PAGE_ID "id"

/* app.block: the blocks of the pages */
#define APP_BLOCK_TABLE "block"
#define APP_BLOCK_PAGE "notebook_page_id"
#define APP_BLOCK_TYPE "block_type"

/* app.noteflow_run: the runs */
#define APP_RUN_TABLE "noteflow_run"
#define APP_RUN_ID "id"
#define APP_RUN_PAGE "notebook_page_id"
#define APP_RUN_STATUS "status"
#define APP_RUN_CREATED_AT "created_at"
#define APP_RUN_STARTED_AT "started_at"
#define APP_RUN_FINISHED_AT "finished_at"
#define APP_RUN_ESTIMATED_DURATION "estimated_duration"
#define APP_RUN_ESTIMATED_COMPLETION_AT "estimated_completion_at"

/*
 * The objects durpred's scripts add for the history summary (keep in sync
 * with extract/features.sql:analytics.page_history_summary and
 * noteflow_run_page_duration_idx, extract/schema.sql:
 * noteflow_run_page_history_idx); the indexes are in APP_SCHEMA, beside
 * the runs
 */
#define SUMMARY_SCHEMA "analytics"
#define SUMMARY_TABLE "page_history_summary"
#define DURATION_INDEX "noteflow_run_page_duration_idx"
#define HISTORY_INDEX "noteflow_run_page_history_idx"

/*
 * The statuses of a run (keep in sync with extract/schema.sql:app.noteflow_run,
 * its CHECK on status)
 */
#define APP_STATUS_PENDING "pending"
#define APP_STATUS_RUNNING "running"
#define APP_STATUS_SUCCESS "success"
#define APP_STATUS_FAILED "failed"
#define APP_STATUS_CANCELLED "cancelled"

/*
 * AppStatusIsOutcome
 *		Whether a run's status is an outcome, so that the run, once started
 *		and finished, counts as history (keep in sync with
 *		extract/features.sql:analytics.run_outcomes).  The statuses are
 *		compared as texteq compares them under a deterministic collation.
 */
static inline bool
AppStatusIsOutcome(Datum status)
{
	return MIRROR_TEXT_EQ(status, APP_STATUS_SUCCESS) ||
		MIRROR_TEXT_EQ(status, APP_STATUS_FAILED) ||
		MIRROR_TEXT_EQ(status, APP_STATUS_CANCELLED);
}

/*
 * AppStatusIsFailure
 *		Whether an outcome counts as a failure, for historical_failure_rate
 *		(keep in sync with extract/features.sql:analytics.run_outcomes,
 *		column failed).
 */
static inline bool
AppStatusIsFailure(Datum status)
{
	return MIRROR_TEXT_EQ(status, APP_STATUS_FAILED);
}

/*
 * AppStatusIsQueued
 *		Whether a run waits in the queue, so that the serving trigger
 *		estimates it (keep in sync with extract/serving.sql: the WHEN of
 *		trigger estimate_completion and analytics.pending_run_estimates;
 *		extract/features.sql:analytics.pending_run_features).
 */
static inline bool
AppStatusIsQueued(Datum status)
{
	return MIRROR_TEXT_EQ(status, APP_STATUS_PENDING) ||
		MIRROR_TEXT_EQ(status, APP_STATUS_RUNNING);
}

#endif							/* DURPRED_FEATURES_APP_H */

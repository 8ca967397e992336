/*-------------------------------------------------------------------------
 *
 * src/features/timing.h
 *		The five timing features of an instant (start_hour, day_of_week,
 *		month, is_weekend, is_business_hours): durpred.timing_features, and
 *		TimingFields for the direct reads of durpred.page_features.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_TIMING_H
#define DURPRED_FEATURES_TIMING_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/*
 * The timing features, features 0 to 4 of durpred.features and the fields
 * of durpred.timing, in that order (keep in sync with
 * sql/durpred--0.1.0--0.2.0.sql:durpred.timing).
 */
#define TIMING_FIELDS 5

/*
 * The timing features of an instant in UTC; all NULL for an infinite
 * instant.
 */
extern void TimingFields(TimestampTz at, Datum *values, bool *nulls);

/* durpred.timing_features(at timestamptz) returns durpred.timing */
extern Datum durpred_timing_features(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_TIMING_H */

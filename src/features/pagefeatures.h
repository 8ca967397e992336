/*-------------------------------------------------------------------------
 *
 * src/features/pagefeatures.h
 *		The features of a run of a page read directly from the app tables:
 *		durpred.page_features, and PageFeatures for the serving trigger; and
 *		the call of a fallback function that computes them in SQL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_PAGEFEATURES_H
#define DURPRED_FEATURES_PAGEFEATURES_H

#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"

#include "calls.h"

/*
 * The 25 features of a run of a page starting at as_of, as
 * analytics.page_features() gives them, read directly from the app tables
 * with the active snapshot (durpred.page_features, the serving trigger):
 * values and nulls in the order and types of durpred.features.  False
 * where the SQL gives no row (no such page, a block of an unknown type);
 * 0A000 where the tables cannot be read directly.
 */
extern bool PageFeatures(int64 page, TimestampTz as_of, Datum *values, bool *nulls);

/* durpred.page_features(page_id bigint, as_of timestamptz) returns durpred.features */
extern Datum durpred_page_features(PG_FUNCTION_ARGS);

/*
 * Whether a row type has the columns of durpred.features: 25, of the
 * features' types in their order.
 */
extern bool IsFeaturesRow(TupleDesc desc);

/*
 * The features from the first row of the SQL function fallback(page, as_of),
 * the one place that calls a fallback (durpred.page_features with a
 * fallback, the serving trigger): values and nulls as PageFeatures gives
 * them; false where it gives no row.  function is its name, schema-qualified
 * and quoted; shown, its name in the 42804 raised where it does not return
 * rows of durpred.features.  With kept, the statement is prepared once per
 * session and function and kept there (KeepPlan, for the trigger); without,
 * planned for this call.
 */
extern bool FallbackFeatures(const char *function, const char *shown, KeptPlan *kept,
							 int64 page, TimestampTz as_of, Datum *values, bool *nulls);

/* durpred.page_features(page_id, as_of, fallback regprocedure) */
extern Datum durpred_page_features_or(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_PAGEFEATURES_H */

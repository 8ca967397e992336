/*-------------------------------------------------------------------------
 *
 * src/predict.h
 *		The feature vectors of the three forms of the scoring functions
 *		(src/predict.c), for the other SQL entry points that take the same
 *		inputs (src/interval.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_PREDICT_H
#define DURPRED_PREDICT_H

#include "fmgr.h"

#include "cache.h"

/*
 * The named-argument form: arguments 0-24 are the features, NULL = missing
 * (keep in sync with sql/durpred--0.1.0.sql:durpred.predict_duration).
 */
extern void PredictNamedFeatures(FunctionCallInfo fcinfo, float *x);

/*
 * The record form: fields matched by name, absent ones defaulted.  Keeps
 * the row type's mapping in fn_extra; returns the call site's slot for
 * CallResultDesc.
 */
extern void **PredictRecordFeatures(FunctionCallInfo fcinfo, HeapTupleHeader row,
									float *x);

/*
 * The record form for serving (predict_with_model and
 * predict_interval_with_model): the features of argument 0, and the model
 * that serves them (ServingModel); NULL, the functions' answer, for a NULL
 * row or no active model.  *slot: as PredictRecordFeatures's.
 */
extern CachedModel *PredictServingFeatures(FunctionCallInfo fcinfo, float *x, void ***slot);

/* The jsonb form: absent features take the model's defaults. */
extern void PredictJsonbFeatures(const CachedModel *model, Jsonb *request, float *x);

#endif							/* DURPRED_PREDICT_H */

/*-------------------------------------------------------------------------
 *
 * src/booster.h
 *		XGBoost boosters through the C API: loading, prediction, and freeing
 *		tied to a memory context.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_BOOSTER_H
#define DURPRED_BOOSTER_H

#include <xgboost/c_api.h>

#include "lib/stringinfo.h"

/*
 * Loads canonical model bytes (ModelWriteCanonical) into a new booster with
 * nthread = 1.  The booster is freed when owner is reset or deleted, also
 * when an error interrupts the caller.
 */
extern BoosterHandle BoosterLoad(const StringInfo canonical, MemoryContext owner);

/*
 * XGBoosterPredictFromDense on nrows x ncols float32 values, row-major;
 * margin selects the untransformed output.  Writes nrows floats to out.
 */
extern void BoosterPredict(BoosterHandle booster, const float *rows, int nrows,
						   int ncols, bool margin, float *out);

/* "major.minor.patch" of the XGBoost library in use. */
extern const char *BoosterLibraryVersion(void);

#endif							/* DURPRED_BOOSTER_H */

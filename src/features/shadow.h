/*-------------------------------------------------------------------------
 *
 * src/features/shadow.h
 *		The shadow model's estimates in the serving trigger (shadow.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_SHADOW_H
#define DURPRED_FEATURES_SHADOW_H

#include "feature.h"

extern void ShadowEstimate(const char *log, int64 run, int64 active_id,
						   double active_seconds, const float *x);

#endif							/* DURPRED_FEATURES_SHADOW_H */

/*-------------------------------------------------------------------------
 *
 * src/features/trigger.h
 *		The serving trigger, durpred.estimate_completion(), which
 *		extract/serving.sql attaches to app.noteflow_run.
 *
 * Nothing else in the module calls into the trigger: this header declares
 * the function PostgreSQL calls, whose arguments and behaviour trigger.c
 * describes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_TRIGGER_H
#define DURPRED_FEATURES_TRIGGER_H

#include "fmgr.h"

/*
 * durpred.estimate_completion() returns trigger: BEFORE INSERT OR UPDATE
 * FOR EACH ROW, with the optional arguments log and fallback.
 */
extern Datum durpred_estimate_completion(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_TRIGGER_H */

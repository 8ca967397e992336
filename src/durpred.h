/*-------------------------------------------------------------------------
 *
 * src/durpred.h
 *		Settings of the durpred extension (GUCs) and helpers shared by its
 *		files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_DURPRED_H
#define DURPRED_DURPRED_H

#include "access/tupdesc.h"
#include "fmgr.h"

/* durpred.max_model_size, in kilobytes */
extern int	durpred_max_model_size;

/* Raises 54000 for model bytes above durpred.max_model_size. */
extern void CheckModelSize(Size len);

/*
 * The blessed row type of the calling function's result, looked up on the
 * first call of a call site and kept in *slot (fn_extra, or a field of what
 * fn_extra holds).
 */
extern TupleDesc CallResultDesc(FunctionCallInfo fcinfo, void **slot);

#endif							/* DURPRED_DURPRED_H */

/*-------------------------------------------------------------------------
 *
 * bench/durpred_bench.c
 *		The floor of the scoring benchmark: a C function with the 25
 *		arguments of durpred.predict_duration that does almost nothing.
 *
 * SELECT sum(f(<25 columns>)) over a table costs the executor's own work:
 * the scan, deforming 25 columns, one function call and the aggregate.
 * predict_duration's time as a ratio to this floor is what the model costs.
 * Built and installed by `make bench` only; not part of the extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdlib.h>

#include <xgboost/c_api.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "portability/instr_time.h"
#include "utils/array.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(durpred_bench_floor);

/*
 * durpred_bench_floor
 *		Counts its non-NULL arguments: every argument is read, as the
 *		scoring function reads them.
 */
Datum
durpred_bench_floor(PG_FUNCTION_ARGS)
{
	int			present = 0;
	int			i;

	for (i = 0; i < PG_NARGS(); i++)
		present += !PG_ARGISNULL(i);
	PG_RETURN_FLOAT8((double) present);
}

PG_FUNCTION_INFO_V1(durpred_bench_xgb_contribs);

/*
 * CompareDouble
 *		qsort comparator of doubles, ascending.
 */
static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/*
 * durpred_bench_xgb_contribs
 *		XGBoost's own TreeSHAP, the reference for durpred.explain_duration:
 *		microseconds per XGBoosterPredictFromDMatrix call with type 2
 *		(pred_contribs) on a one-row DMatrix, the median of reps timed calls
 *		after 3 untimed ones.  Arguments: the model's bytes (as save_model
 *		writes them) and the row, in the model's column order.  The booster
 *		runs with nthread = 1, as durpred's do.
 */
Datum
durpred_bench_xgb_contribs(PG_FUNCTION_ARGS)
{
	bytea	   *model = PG_GETARG_BYTEA_PP(0);
	ArrayType  *row = PG_GETARG_ARRAYTYPE_P(1);
	int			reps = PG_GETARG_INT32(2);
	float	   *values = (float *) ARR_DATA_PTR(row);
	int			ncol = ArrayGetNItems(ARR_NDIM(row), ARR_DIMS(row));
	double	   *times;
	BoosterHandle booster;
	DMatrixHandle dmat;
	bst_ulong const *shape;
	bst_ulong	dim;
	const float *result;
	const char *config = "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, "
		"\"iteration_end\": 0, \"strict_shape\": false}";
	int			i;

	if (ARR_ELEMTYPE(row) != FLOAT4OID || ARR_HASNULL(row) || reps < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the row must be a float4[] without NULLs (NaN = missing), reps at least 1")));
	if (XGBoosterCreate(NULL, 0, &booster) != 0 ||
		XGBoosterLoadModelFromBuffer(booster, VARDATA_ANY(model),
									 VARSIZE_ANY_EXHDR(model)) != 0 ||
		XGBoosterSetParam(booster, "nthread", "1") != 0 ||
		XGDMatrixCreateFromMat(values, 1, ncol, NAN, &dmat) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("XGBoost: %s", XGBGetLastError())));
	times = palloc(sizeof(double) * reps);
	for (i = -3; i < reps; i++)
	{
		instr_time	start,
					end;

		INSTR_TIME_SET_CURRENT(start);
		if (XGBoosterPredictFromDMatrix(booster, dmat, config, &shape, &dim, &result) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("XGBoost: %s", XGBGetLastError())));
		INSTR_TIME_SET_CURRENT(end);
		INSTR_TIME_SUBTRACT(end, start);
		if (i >= 0)
			times[i] = INSTR_TIME_GET_MICROSEC(end);
	}
	XGDMatrixFree(dmat);
	XGBoosterFree(booster);
	qsort(times, reps, sizeof(double), CompareDouble);
	PG_RETURN_FLOAT8(times[reps / 2]);
}

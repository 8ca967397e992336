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

#include "fmgr.h"

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

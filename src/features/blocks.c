/*-------------------------------------------------------------------------
 *
 * src/features/blocks.c
 *		durpred.block_counts(block_type): a page's blocks counted by type in
 *		one aggregate, for the block-count features.
 *
 * Fifteen count(*) FILTER (...) aggregates give the same numbers, but the
 * serving trigger computes one page's counts for every new run, and the
 * executor sets up each aggregate anew for every execution: one aggregate
 * costs a fifteenth.  The types are the block-count features' own names
 * without "_blocks", so the list cannot drift from the features.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "durpred.h"
#include "feature.h"
#include "features/blocks.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_block_counts_accum);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_block_counts_final);

typedef struct BlockCounts
{
	int64		counts[NUM_COUNTS];
} BlockCounts;

/*
 * BlockTypeIndex
 *		See blocks.h.
 */
int
BlockTypeIndex(const char *type, size_t len)
{
	int			i;

	for (i = 1; i <= NUM_BLOCK_TYPES; i++)
	{
		const char *name = DurpredFeatures[FIRST_BLOCK_FEATURE + i].name;

		if (strncmp(name, type, len) == 0 && strcmp(name + len, "_blocks") == 0)
			return i;
	}
	return NUM_BLOCK_TYPES + 1;
}

/*
 * BlockCount
 *		See blocks.h.
 */
int32
BlockCount(int64 n)
{
	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("more than %d blocks on a page", PG_INT32_MAX)));
	return (int32) n;
}

/*
 * durpred_block_counts_accum
 *		Transition function: counts one block.  A NULL type (the row of a
 *		page without blocks, from an outer join) counts nothing.
 */
Datum
durpred_block_counts_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BlockCounts *state;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "durpred_block_counts_accum called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (BlockCounts *) PG_GETARG_POINTER(0);
	if (state == NULL)
		state = MemoryContextAllocZero(aggcxt, sizeof(BlockCounts));
	if (!PG_ARGISNULL(1))
	{
		text	   *type = PG_GETARG_TEXT_PP(1);

		state->counts[0]++;
		state->counts[BlockTypeIndex(VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type))]++;
	}
	PG_RETURN_POINTER(state);
}

/*
 * durpred_block_counts_final
 *		Final function: int4[16], {total, sql, tableau, ..., storage, other},
 *		all 0 for no block.  Does not modify the state.
 */
Datum
durpred_block_counts_final(PG_FUNCTION_ARGS)
{
	BlockCounts *state = PG_ARGISNULL(0) ? NULL : (BlockCounts *) PG_GETARG_POINTER(0);
	Datum		values[NUM_COUNTS];
	int			i;

	for (i = 0; i < NUM_COUNTS; i++)
		values[i] = Int32GetDatum(BlockCount(state == NULL ? 0 : state->counts[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(values, NUM_COUNTS, INT4OID,
										  sizeof(int32), true, TYPALIGN_INT));
}

/*-------------------------------------------------------------------------
 *
 * src/features/blocks.h
 *		The block-count features of a page: durpred.block_counts, and the
 *		block types and counts the direct reads of durpred.page_features
 *		share with it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_BLOCKS_H
#define DURPRED_FEATURES_BLOCKS_H

#include "fmgr.h"

/*
 * total_blocks, then the fourteen block types, are features 5 to 19 of
 * durpred.features (feature.c).  The types are the features' names without
 * "_blocks": the feature "sql_blocks" counts the blocks of type "sql".
 */
#define FIRST_BLOCK_FEATURE 5
#define NUM_BLOCK_TYPES 14

/*
 * durpred.block_counts' int4[NUM_COUNTS]: the total, the fourteen types in
 * feature order, then blocks of any other type (keep in sync with
 * extract/features.sql:analytics.page_blocks, which reads n[1] to n[16],
 * and the comment on durpred.block_counts in sql/durpred--0.1.0.sql).
 */
#define NUM_COUNTS (NUM_BLOCK_TYPES + 2)

/*
 * Where a block type is counted: 1 to 14 for the feature types, 15 for any
 * other.
 */
extern int	BlockTypeIndex(const char *type, size_t len);

/* A count of blocks as a feature value: 22003 above PG_INT32_MAX. */
extern int32 BlockCount(int64 n);

/* durpred.block_counts(block_type text): transition and final functions */
extern Datum durpred_block_counts_accum(PG_FUNCTION_ARGS);
extern Datum durpred_block_counts_final(PG_FUNCTION_ARGS);

#endif							/* DURPRED_FEATURES_BLOCKS_H */

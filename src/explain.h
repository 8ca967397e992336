/*-------------------------------------------------------------------------
 *
 * src/explain.h
 *		Exact TreeSHAP explanations of a compiled model: each feature's
 *		contribution to the margin of one row, as XGBoost's pred_contribs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_EXPLAIN_H
#define DURPRED_EXPLAIN_H

#include "evaluator.h"
#include "feature.h"

/* One node of a tree in depth-first order (see explain.c). */
typedef struct ExplainNode
{
	float		threshold;
	uint16		slot;			/* feature slot tested; a leaf: unused */
	uint8		default_right;
	uint8		depth;
	uint8		parent_pos;		/* path position of the parent's feature */
	uint8		is_right;		/* the right child of its parent */
	uint8		is_leaf;
	uint8		unused;
	int32		leaf;			/* a leaf: its index in leaves */
} ExplainNode;

/* A leaf and the distinct features on its path. */
typedef struct ExplainLeaf
{
	double		value;
	int32		path;			/* first entry in path_slot and path_z */
	uint8		k;				/* distinct features on the path */
	uint8		unused[3];
} ExplainLeaf;

typedef struct Explainer
{
	int			num_trees;
	int32	   *tree_start;		/* num_trees + 1 offsets into nodes */
	ExplainNode *nodes;
	ExplainLeaf *leaves;
	uint16	   *path_slot;		/* the feature of each path entry */
	double	   *path_z;			/* its share of the cover along the path */
	double		base_value;		/* base margin + each tree's expected value */
	int			max_depth;
} Explainer;

/*
 * Builds the explainer of a compiled evaluator, in the current context.
 * Raises 0A000 for a tree whose covers cannot weigh its branches (a split
 * with no positive, finite cover).
 */
extern Explainer *ExplainerBuild(const Evaluator *ev);

/*
 * The TreeSHAP values of one feature vector: phi[slot] receives each
 * feature's contribution to the margin (slots the model does not use stay
 * 0).  The contributions plus ex->base_value add up to the margin.
 */
extern void ExplainerExplain(const Explainer *ex, const float *x,
							 double phi[DURPRED_VECTOR_LEN]);

#endif							/* DURPRED_EXPLAIN_H */

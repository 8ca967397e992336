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
	double		share;			/* its cover / its parent's cover */
	float		threshold;		/* a split's threshold */
	float		value;			/* a leaf's value */
	int32		edge;			/* its edge's rule values, in edges */
	uint16		slot;			/* feature slot a split tests */
	uint16		parent_slot;	/* feature slot its parent tests */
	uint8		default_right;
	uint8		depth;
	uint8		parent_pos;		/* path position of the parent's feature */
	uint8		is_right;		/* the right child of its parent */
	uint8		is_leaf;
	uint8		unused[3];
} ExplainNode;

typedef struct Explainer
{
	int			num_trees;
	int32	   *tree_start;		/* num_trees + 1 offsets into nodes */
	uint8	   *tree_points;	/* quadrature points of each tree */
	ExplainNode *nodes;
	double	   *edges;			/* 4 * points values per node */
	double		base_value;		/* base margin + each tree's expected value */
	int			max_depth;
	double	   *scratch;		/* ExplainerExplain's per-depth working rows */
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

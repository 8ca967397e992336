/*-------------------------------------------------------------------------
 *
 * src/evaluator.h
 *		The compiled evaluator: a model's trees in a compact array, walked
 *		in C with XGBoost's exact float32 arithmetic.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_EVALUATOR_H
#define DURPRED_EVALUATOR_H

#include "feature.h"
#include "model.h"

/*
 * One node.  A split goes to next (left) or next + 1 (right); a leaf has
 * next = itself and tests the always-missing slot with default left, so
 * that extra steps stay on it.
 */
typedef struct EvalNode
{
	int32		next;
	float		value;			/* threshold, or the leaf value */
	uint16		feature;		/* slot of the feature vector */
	uint8		default_right;	/* where a missing value goes */
	uint8		unused;
} EvalNode;

typedef struct Evaluator
{
	int			num_trees;
	int32	   *roots;			/* index of each tree's root in nodes */
	uint8	   *steps;			/* steps to walk: the group's deepest tree */
	EvalNode   *nodes;
	float	   *covers;			/* each node's sum_hessian, for explanations */
	int64		num_nodes;
	float		base_margin;
	OutputTransform transform;
} Evaluator;

/*
 * A bound on the margin: the base margin plus each tree's smallest or
 * largest leaf value, summed in EvaluatorPredict's order.  Where the sum
 * overflows float32, overflow_tree is the tree whose leaf took it past,
 * before the sum up to that tree and leaf that leaf's value; else -1.
 */
typedef struct MarginBound
{
	float		value;
	int			overflow_tree;
	float		before;
	float		leaf;
} MarginBound;

/*
 * Compiles a validated model; base_margin is the prediction of the model
 * without trees, as XGBoost computes it.  Allocates in the current context.
 */
extern Evaluator *EvaluatorCompile(const ModelDef *model, float base_margin);

/* The model's prediction for a feature vector (DURPRED_VECTOR_LEN floats). */
extern float EvaluatorPredict(const Evaluator *ev, const float *features);

/*
 * EvaluatorPredict in parts, for checks: the objective's transform of a
 * margin, and the leaf value one tree gives (the margin is base_margin plus
 * every tree's value, added in tree order in float32).
 */
extern float EvaluatorTransform(const Evaluator *ev, float margin);
extern float EvaluatorTreeValue(const Evaluator *ev, int tree,
								const float *features);

/* The smallest and largest margin any feature vector can give. */
extern void EvaluatorMarginBounds(const Evaluator *ev, MarginBound *lowest,
								  MarginBound *highest);

#endif							/* DURPRED_EVALUATOR_H */

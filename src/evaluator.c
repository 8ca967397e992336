/*-------------------------------------------------------------------------
 *
 * src/evaluator.c
 *		Compiling a model's trees and walking them.
 *
 * Bit-identical to XGBoost's CPU predictor: features are float32, a missing
 * value (NaN) follows default_left, otherwise x < threshold goes left; the
 * sum starts at the float32 base margin and adds each tree's leaf value in
 * tree order, in float32; then the objective's transform.  Nothing here may
 * be compiled with -ffast-math.
 *
 * Speed: trees are walked in groups of EVAL_LANES consecutive trees, in
 * lockstep, for as many steps as the deepest tree of the group needs.  The
 * walks are independent chains of loads, so the processor overlaps them;
 * a walk that reaches a leaf early stays on it (the leaf loops to itself).
 * Each tree's nodes are numbered breadth-first, so the top levels of a tree
 * share cache lines.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "evaluator.h"

#define EVAL_LANES 8

/*
 * CompileTree
 *		Appends the reachable nodes of one tree in breadth-first order,
 *		remapping split features to durpred's feature slots.
 */
static void
CompileTree(const TreeDef *t, const int *binding, EvalNode *out, float *covers,
			int32 base)
{
	int32	   *queue = palloc(sizeof(int32) * t->reachable);
	int32		head = 0;
	int32		tail = 0;

	/* queue[k] is the source node placed at position base + k */
	queue[tail++] = 0;
	while (head < tail)
	{
		int32		src = queue[head];
		EvalNode   *node = &out[base + head];

		if (t->left[src] == -1)
		{
			node->next = base + head;
			node->value = t->split_condition[src];
			node->feature = DURPRED_MISSING_SLOT;
			node->default_right = 0;
		}
		else
		{
			node->next = base + tail;
			node->value = t->split_condition[src];
			node->feature = (uint16) binding[t->split_index[src]];
			node->default_right = !t->default_left[src];
			queue[tail++] = t->left[src];
			queue[tail++] = t->right[src];
		}
		node->unused = 0;
		covers[base + head] = t->sum_hessian[src];
		head++;
	}
	Assert(tail == t->reachable);
	pfree(queue);
}

/*
 * EvaluatorCompile
 *		Lays out the trees of a validated model for EvaluatorPredict.
 */
Evaluator *
EvaluatorCompile(const ModelDef *model, float base_margin)
{
	Evaluator  *ev = palloc0(sizeof(Evaluator));
	int32		base = 0;
	int			i;

	ev->num_trees = model->num_trees;
	ev->num_nodes = model->total_nodes;
	ev->base_margin = base_margin;
	ev->transform = model->transform;
	ev->roots = palloc(sizeof(int32) * Max(model->num_trees, 1));
	ev->steps = palloc(sizeof(uint8) * Max(model->num_trees, 1));
	ev->nodes = MemoryContextAllocHuge(CurrentMemoryContext,
									   sizeof(EvalNode) * Max(model->total_nodes, 1));
	ev->covers = MemoryContextAllocHuge(CurrentMemoryContext,
										sizeof(float) * Max(model->total_nodes, 1));

	for (i = 0; i < model->num_trees; i++)
	{
		const TreeDef *t = &model->trees[i];

		CHECK_FOR_INTERRUPTS();
		if (t->depth > PG_UINT8_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("tree %d is %d levels deep, more than %d", i,
							t->depth, PG_UINT8_MAX)));
		ev->roots[i] = base;
		CompileTree(t, model->binding, ev->nodes, ev->covers, base);
		base += t->reachable;
	}

	/* a group walks as many steps as its deepest tree needs */
	for (i = 0; i < model->num_trees; i += EVAL_LANES)
	{
		int			end = Min(i + EVAL_LANES, model->num_trees);
		int			steps = 0;
		int			k;

		for (k = i; k < end; k++)
			steps = Max(steps, model->trees[k].depth);
		for (k = i; k < end; k++)
			ev->steps[k] = (end - i == EVAL_LANES) ? steps : model->trees[k].depth;
	}
	return ev;
}

/*
 * Step
 *		One step down from a node, without a branch: right when !(x < t),
 *		except that a missing x goes right only if that is its default.
 *		(For NaN, !(x < t) holds, so "present or default right" corrects
 *		exactly that case.)
 */
static inline int32
Step(const EvalNode *nodes, int32 at, const float *x)
{
	const EvalNode *n = &nodes[at];
	float		v = x[n->feature];
	int32		right = (int32) !(v < n->value) &
		((int32) (v == v) | (int32) n->default_right);

	return n->next + right;
}

/*
 * EvaluatorPredict
 *		The model's output for one feature vector.
 */
float
EvaluatorPredict(const Evaluator *ev, const float *x)
{
	const EvalNode *nodes = ev->nodes;
	float		sum = ev->base_margin;
	int			full = ev->num_trees - ev->num_trees % EVAL_LANES;
	int			t;

	for (t = 0; t < full; t += EVAL_LANES)
	{
		int32		at[EVAL_LANES];
		int			steps = ev->steps[t];
		int			s,
					k;

#pragma GCC unroll 8
		for (k = 0; k < EVAL_LANES; k++)
			at[k] = ev->roots[t + k];
		for (s = 0; s < steps; s++)
		{
			/* independent walks: unrolled, they keep in registers */
#pragma GCC unroll 8
			for (k = 0; k < EVAL_LANES; k++)
				at[k] = Step(nodes, at[k], x);
		}
#pragma GCC unroll 8
		for (k = 0; k < EVAL_LANES; k++)
			sum += nodes[at[k]].value;
	}
	for (; t < ev->num_trees; t++)
	{
		int32		at = ev->roots[t];
		int			s;

		for (s = 0; s < ev->steps[t]; s++)
			at = Step(nodes, at, x);
		sum += nodes[at].value;
	}

	return EvaluatorTransform(ev, sum);
}

/*
 * EvaluatorTransform
 *		The objective's transform of a margin.
 */
float
EvaluatorTransform(const Evaluator *ev, float margin)
{
	if (ev->transform == TRANSFORM_EXP)
		return expf(margin);
	return margin;
}

/*
 * EvaluatorTreeValue
 *		The value of the leaf that one tree gives a feature vector.
 */
float
EvaluatorTreeValue(const Evaluator *ev, int tree, const float *x)
{
	int32		at = ev->roots[tree];
	int			s;

	Assert(tree >= 0 && tree < ev->num_trees);
	for (s = 0; s < ev->steps[tree]; s++)
		at = Step(ev->nodes, at, x);
	return ev->nodes[at].value;
}

/*
 * AddToBound
 *		Adds a tree's extreme leaf value to a margin bound, noting the tree
 *		at which the sum first overflows.
 */
static void
AddToBound(MarginBound *bound, float leaf, int tree)
{
	float		sum = bound->value + leaf;

	if (isinf(sum) && !isinf(bound->value) && bound->overflow_tree < 0)
	{
		bound->overflow_tree = tree;
		bound->before = bound->value;
		bound->leaf = leaf;
	}
	bound->value = sum;
}

/*
 * EvaluatorMarginBounds
 *		The smallest and largest margin that any feature vector can give:
 *		the base margin plus each tree's smallest (largest) reachable leaf
 *		value, summed in float32 in tree order, as EvaluatorPredict sums
 *		(keep in sync with it).  Rounding to nearest is monotonic, so every
 *		partial sum of a prediction lies between the partial sums of the
 *		bounds: where both bounds are finite, so is every margin.  Each tree
 *		is taken on its own, so a bound may be beyond what any one input
 *		reaches.
 */
void
EvaluatorMarginBounds(const Evaluator *ev, MarginBound *lowest,
					  MarginBound *highest)
{
	int			t;

	lowest->value = highest->value = ev->base_margin;
	lowest->overflow_tree = highest->overflow_tree = -1;
	lowest->before = highest->before = lowest->leaf = highest->leaf = 0;
	for (t = 0; t < ev->num_trees; t++)
	{
		int64		end = t + 1 < ev->num_trees ? ev->roots[t + 1] : ev->num_nodes;
		float		lo = INFINITY;
		float		hi = -INFINITY;
		int64		n;

		/* a tree's compiled nodes are its reachable ones; a leaf loops */
		for (n = ev->roots[t]; n < end; n++)
		{
			if (ev->nodes[n].next != n)
				continue;
			lo = Min(lo, ev->nodes[n].value);
			hi = Max(hi, ev->nodes[n].value);
		}
		AddToBound(lowest, lo, t);
		AddToBound(highest, hi, t);
	}
}

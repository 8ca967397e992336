/*-------------------------------------------------------------------------
 *
 * src/explain.c
 *		Exact path-dependent TreeSHAP, computed from the compiled trees.
 *
 * The definition is XGBoost's pred_contribs (Lundberg et al., "Consistent
 * individualized feature attribution for tree ensembles", algorithm 2):
 * for one tree, the value of a set S of known features is the tree's
 * output when the splits on features in S follow the row, and the others
 * send the row both ways, weighted by the training cover (sum_hessian) of
 * each branch.  A row follows XGBoost's routing: a missing (NaN) value
 * takes the split's default branch, else x < threshold (in float32) goes
 * left.  The base value is the model's base margin plus each tree's
 * cover-weighted mean leaf value (XGBoost's bias term).
 *
 * The game of one leaf is a product: with F the distinct features on the
 * leaf's path, z_i the product of the cover shares of the branches the path
 * takes at the splits on feature i, and o_i = 1 when the row takes all of
 * them (else 0), v(S) = value * prod_{i in S} o_i * prod_{i not in S} z_i.
 * Its Shapley values have the closed form
 *
 *	 phi_j = value * (o_j - z_j) * integral_0^1 prod_{i in F, i != j}
 *			 (z_i + y (o_i - z_i)) dy,
 *
 * an integral of a polynomial of degree |F| - 1, which Gauss-Legendre
 * quadrature with ceil(|F| / 2) points computes exactly.
 *
 * Written with g_i(y) = z_i + y (o_i - z_i) and G(y) = value * prod_i g_i(y),
 * phi_j = integral psi_j(y) G(y) dy, psi_j = (o_j - z_j) / g_j.  Summed over
 * the leaves, and evaluated at the quadrature points of the tree (enough for
 * its leaf with the most distinct features), this is shared down the tree
 * (Linear TreeShap, Yu et al. 2022): one pass over the nodes in depth-first
 * order carries each node's product of the g of its path down (a child's is
 * its parent's times the ratio of the new to the former factor of the split
 * feature: the feature's z and o accumulate over its splits on the path),
 * and each subtree's sum S of the G of its leaves up; the edge into a node,
 * on feature j, adds to phi_j the integral of (psi_j after the edge - psi_j
 * before it) * S.  Along a path these differences telescope to each leaf's
 * final psi_j, so the sum is exact.  Every per-edge value that depends only
 * on the model (for a path that the row follows so far, and then takes or
 * does not take the edge) is computed once, when the explainer is built;
 * none of them divides by a cover share (psi is -1 / (1 - y) where o = 0),
 * so a branch with no cover is no special case.  For a path the row has
 * already left on that feature (o = 0 before the edge), psi stays
 * -1 / (1 - y): no contribution, and the ratio is the branch's share.
 *
 * Cost: O(nodes * points) per row, points <= ceil(depth / 2); memory: the
 * nodes and 4 * points numbers per node, linear in the size of the model,
 * with no table exponential in the depth ("Fast TreeSHAP" v2, Yang 2021,
 * keeps 2^|F| numbers per leaf, which deep trees cannot afford).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "explain.h"

/* at most DURPRED_NUM_FEATURES distinct features on a path */
#define MAX_PATH DURPRED_NUM_FEATURES
#define MAX_POINTS ((MAX_PATH + 1) / 2)
#define MAX_DEPTH 256			/* the evaluator's limit, plus one */

/* Gauss-Legendre rules on [0, 1] with 1 .. MAX_POINTS points */
typedef struct Quadrature
{
	double		y[MAX_POINTS];
	double		w[MAX_POINTS];
} Quadrature;

static Quadrature rules[MAX_POINTS + 1];
static bool rules_ready = false;

/*
 * InitRules
 *		The Gauss-Legendre nodes and weights, by Newton's method on the
 *		Legendre polynomials, mapped to [0, 1].
 */
static void
InitRules(void)
{
	int			m;

	for (m = 1; m <= MAX_POINTS; m++)
	{
		Quadrature *q = &rules[m];
		int			i;

		for (i = 0; i < m; i++)
		{
			double		x = cos(M_PI * (i + 0.75) / (m + 0.5));
			double		dp = 1.0;
			int			iter;

			for (iter = 0; iter < 100; iter++)
			{
				double		p0 = 1.0,
							p1 = x,
							dx;
				int			j;

				for (j = 2; j <= m; j++)
				{
					double		p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;

					p0 = p1;
					p1 = p2;
				}
				dp = m * (x * p1 - p0) / (x * x - 1.0);
				dx = p1 / dp;
				x -= dx;
				if (fabs(dx) < 1e-16)
					break;
			}
			q->y[i] = (1.0 - x) / 2.0;
			q->w[i] = 1.0 / ((1.0 - x * x) * dp * dp);	/* 2 / (...) / 2 */
		}
	}
	rules_ready = true;
}

typedef struct BuildState
{
	const Evaluator *ev;
	Explainer  *ex;
	int			tree;
	int32		num_nodes;
	int			max_k;			/* of the current tree */
	double	   *z_before;		/* per node: its feature's z before the edge */
	int			k;
	uint16		slot[MAX_PATH];
	double		z[MAX_PATH];
} BuildState;

/*
 * BuildNode
 *		Lays out a subtree in depth-first order, noting each edge's share
 *		and the z of its feature before it; returns the subtree's
 *		cover-weighted mean leaf value, computed as XGBoost computes its
 *		expected values (FillNodeMeanValues).
 */
static double
BuildNode(BuildState *s, int32 at, int depth, int parent_pos, int parent_slot,
		  bool is_right, double share, double z_before)
{
	const EvalNode *n = &s->ev->nodes[at];
	int32		me = s->num_nodes++;
	ExplainNode *out = &s->ex->nodes[me];
	double		cover,
				mean = 0;
	int			pos,
				side;

	check_stack_depth();
	memset(out, 0, sizeof(ExplainNode));
	out->depth = (uint8) depth;
	out->parent_pos = (uint8) parent_pos;
	out->parent_slot = (uint16) parent_slot;
	out->is_right = is_right;
	out->share = share;
	s->z_before[me] = z_before;
	s->ex->max_depth = Max(s->ex->max_depth, depth);
	s->max_k = Max(s->max_k, s->k);

	if (n->next == at)
	{
		out->is_leaf = 1;
		out->value = n->value;
		return n->value;
	}

	out->threshold = n->value;
	out->slot = n->feature;
	out->default_right = n->default_right;
	cover = s->ev->covers[at];
	if (!(cover > 0) || !isfinite(cover) ||
		!(s->ev->covers[n->next] >= 0) || !isfinite(s->ev->covers[n->next]) ||
		!(s->ev->covers[n->next + 1] >= 0) || !isfinite(s->ev->covers[n->next + 1]))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the model cannot be explained: a split of tree %d has no usable cover",
						s->tree),
				 errdetail("TreeSHAP weighs the two branches of each split by their training cover (sum_hessian), which must be positive and finite at a split and finite and not negative at its branches.")));

	for (pos = 0; pos < s->k; pos++)
	{
		if (s->slot[pos] == n->feature)
			break;
	}
	for (side = 0; side < 2; side++)
	{
		int32		child = n->next + side;
		double		child_share = s->ev->covers[child] / cover;
		double		child_mean;

		if (pos < s->k)
		{
			double		saved = s->z[pos];

			s->z[pos] = saved * child_share;
			child_mean = BuildNode(s, child, depth + 1, pos, n->feature, side == 1,
								   child_share, saved);
			s->z[pos] = saved;
		}
		else
		{
			s->slot[s->k] = n->feature;
			s->z[s->k] = child_share;
			s->k++;
			child_mean = BuildNode(s, child, depth + 1, pos, n->feature, side == 1,
								   child_share, 1.0);
			s->k--;
		}
		mean += child_mean * s->ev->covers[child];
	}
	return mean / cover;
}

/*
 * FillEdges
 *		The rule values of the edges into a tree's nodes, at its m points:
 *		with the feature's z before the edge zb and after it za = zb * share,
 *		g(z) = z + y (1 - z) and psi(z) = (1 - z) / g(z) for a path the row
 *		follows: the factor ratio and the psi difference (times the point's
 *		weight) when the row takes the edge (g(za) / g(zb), psi(za) -
 *		psi(zb)) and when it does not (za (1 - y) / g(zb), -1 / (1 - y) -
 *		psi(zb)); in that order, m values each.
 */
static void
FillEdges(const BuildState *s, int32 first, int32 last, int m, double *edges)
{
	const Quadrature *rule = &rules[m];
	int32		i;
	int			q;

	for (i = first; i < last; i++)
	{
		const ExplainNode *n = &s->ex->nodes[i];
		double	   *e = &edges[(i - first) * 4 * m];
		double		zb = s->z_before[i];
		double		za = zb * n->share;

		for (q = 0; q < m; q++)
		{
			double		y = rule->y[q];
			double		gb = zb + y * (1.0 - zb);
			double		ga = za + y * (1.0 - za);
			double		psib = (1.0 - zb) / gb;

			e[q] = ga / gb;
			e[m + q] = rule->w[q] * ((1.0 - za) / ga - psib);
			e[2 * m + q] = za * (1.0 - y) / gb;
			e[3 * m + q] = rule->w[q] * (-1.0 / (1.0 - y) - psib);
		}
	}
}

/*
 * ExplainerBuild
 *		Lays out every tree for ExplainerExplain, and sums the base value.
 */
Explainer *
ExplainerBuild(const Evaluator *ev)
{
	Explainer  *ex = palloc0(sizeof(Explainer));
	BuildState	s;
	int64		num_edges = 0;
	int			t;

	if (!rules_ready)
		InitRules();
	ex->num_trees = ev->num_trees;
	ex->tree_start = palloc(sizeof(int32) * (ev->num_trees + 1));
	ex->tree_points = palloc(sizeof(uint8) * Max(ev->num_trees, 1));
	ex->nodes = MemoryContextAllocHuge(CurrentMemoryContext,
									   sizeof(ExplainNode) * Max(ev->num_nodes, 1));
	memset(&s, 0, sizeof(s));
	s.ev = ev;
	s.ex = ex;
	s.z_before = MemoryContextAllocHuge(CurrentMemoryContext,
										sizeof(double) * Max(ev->num_nodes, 1));
	ex->base_value = ev->base_margin;
	for (t = 0; t < ev->num_trees; t++)
	{
		CHECK_FOR_INTERRUPTS();
		s.tree = t;
		s.max_k = 0;
		ex->tree_start[t] = s.num_nodes;
		ex->base_value += BuildNode(&s, ev->roots[t], 0, 0, 0, false, 1.0, 1.0);
		/* the integrands have degree max_k - 1 */
		ex->tree_points[t] = (uint8) Max((s.max_k + 1) / 2, 1);
		num_edges += (int64) (s.num_nodes - ex->tree_start[t]) * 4 * ex->tree_points[t];
	}
	ex->tree_start[ev->num_trees] = s.num_nodes;

	ex->edges = MemoryContextAllocHuge(CurrentMemoryContext,
									   sizeof(double) * Max(num_edges, 1));
	num_edges = 0;
	for (t = 0; t < ev->num_trees; t++)
	{
		int			m = ex->tree_points[t];
		int32		i;

		for (i = ex->tree_start[t]; i < ex->tree_start[t + 1]; i++)
			ex->nodes[i].edge = (int32) (num_edges + (int64) (i - ex->tree_start[t]) * 4 * m);
		FillEdges(&s, ex->tree_start[t], ex->tree_start[t + 1], m, ex->edges + num_edges);
		num_edges += (int64) (ex->tree_start[t + 1] - ex->tree_start[t]) * 4 * m;
	}
	pfree(s.z_before);
	/* prod and sum rows of ExplainTree, one per depth */
	ex->scratch = palloc(sizeof(double) * 2 * (ex->max_depth + 1) * MAX_POINTS);
	return ex;
}

/*
 * ExplainTree
 *		One pass over a tree in depth-first order with the m-point rule (m
 *		constant where inlined, so that the loops over the points unroll).
 *		mask[d]: which features of the path the row has followed at every
 *		split so far (bit = path position); prod[d]: the product of the
 *		path's g; sum[d]: the G of the leaves seen so far below the open
 *		node at depth d (both in ex->scratch, off the stack); dpsi[d]: the
 *		weighted psi differences of the edge into it (NULL: none).  A node is closed (its edge's share of phi added,
 *		its sum passed up) when the walk leaves its subtree.
 */
static pg_attribute_always_inline void
ExplainTree(const Explainer *ex, int t, const float *x, double *phi, const int m)
{
	double		(*prod)[MAX_POINTS] = (double (*)[MAX_POINTS]) ex->scratch;
	double		(*sum)[MAX_POINTS] = prod + ex->max_depth + 1;
	const double *dpsi[MAX_DEPTH];
	uint16		edge_slot[MAX_DEPTH];
	uint32		mask[MAX_DEPTH];
	uint8		right[MAX_DEPTH];
	int			top = -1;
	int32		i;
	int			d,
				q;

	for (i = ex->tree_start[t]; i <= ex->tree_start[t + 1]; i++)
	{
		const ExplainNode *n = &ex->nodes[i];

		d = (i == ex->tree_start[t + 1]) ? 0 : n->depth;

		/* close the nodes whose subtrees the walk leaves */
		for (; top >= d && top > 0; top--)
		{
			if (dpsi[top] != NULL)
			{
				double		c = 0;

				for (q = 0; q < m; q++)
					c += dpsi[top][q] * sum[top][q];
				phi[edge_slot[top]] += c;
			}
			for (q = 0; q < m; q++)
				sum[top - 1][q] += sum[top][q];
		}
		if (i == ex->tree_start[t + 1])
			break;

		/* open this one */
		if (d == 0)
		{
			mask[0] = ~(uint32) 0;
			for (q = 0; q < m; q++)
				prod[0][q] = 1.0;
			dpsi[0] = NULL;
		}
		else
		{
			uint32		before = (mask[d - 1] >> n->parent_pos) & 1;
			uint32		taken = (n->is_right == right[d - 1]);
			const double *e = &ex->edges[n->edge] + (taken ? 0 : 2 * m);

			mask[d] = mask[d - 1] & ~((uint32) (taken ^ 1) << n->parent_pos);
			edge_slot[d] = n->parent_slot;
			if (before)
			{
				dpsi[d] = e + m;
				for (q = 0; q < m; q++)
					prod[d][q] = prod[d - 1][q] * e[q];
			}
			else
			{
				double		share = n->share;

				dpsi[d] = NULL;
				for (q = 0; q < m; q++)
					prod[d][q] = prod[d - 1][q] * share;
			}
		}
		if (n->is_leaf)
		{
			double		v = n->value;

			for (q = 0; q < m; q++)
				sum[d][q] = v * prod[d][q];
		}
		else
		{
			float		v = x[n->slot];

			for (q = 0; q < m; q++)
				sum[d][q] = 0;
			right[d] = isnan(v) ? n->default_right : !(v < n->threshold);
		}
		top = d;
	}
}

/*
 * ExplainerExplain
 *		Each tree with its rule.
 */
void
ExplainerExplain(const Explainer *ex, const float *x, double phi[DURPRED_VECTOR_LEN])
{
	int			t;

	memset(phi, 0, sizeof(double) * DURPRED_VECTOR_LEN);
	for (t = 0; t < ex->num_trees; t++)
	{
		switch (ex->tree_points[t])
		{
			case 1:
				ExplainTree(ex, t, x, phi, 1);
				break;
			case 2:
				ExplainTree(ex, t, x, phi, 2);
				break;
			case 3:
				ExplainTree(ex, t, x, phi, 3);
				break;
			case 4:
				ExplainTree(ex, t, x, phi, 4);
				break;
			default:
				ExplainTree(ex, t, x, phi, ex->tree_points[t]);
				break;
		}
	}
}

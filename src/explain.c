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
 * quadrature with ceil(|F| / 2) points computes exactly.  All factors lie
 * in [0, 1]: no cancellation, and no division.  (The same identity underlies
 * Linear TreeShap, Yu et al. 2022.)
 *
 * So the explanation is O(sum over leaves of |F| * ceil(|F| / 2)) per row,
 * with nothing computed per row that does not depend on it: what depends
 * only on the model (each leaf's distinct features and their z) is laid out
 * once, in depth-first order, so that one sequential pass over a tree finds
 * every leaf's o bits from its parent's.  Memory is the nodes plus one entry
 * per distinct feature of each path: O(leaves * depth), with no tables
 * exponential in the depth ("Fast TreeSHAP" v2, Yang 2021, keeps 2^|F|
 * numbers per leaf, which deep trees cannot afford, and at one row at a
 * time its tables do not stay in cache).
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
	double		one_minus_y_pow[MAX_PATH + 1][MAX_POINTS];	/* (1 - y)^e */
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
		int			i,
					e;

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
				if (m == 1)
					p0 = 1.0;
				dp = m * (x * p1 - p0) / (x * x - 1.0);
				dx = p1 / dp;
				x -= dx;
				if (fabs(dx) < 1e-16)
					break;
			}
			q->y[i] = (1.0 - x) / 2.0;
			q->w[i] = 1.0 / ((1.0 - x * x) * dp * dp);	/* 2 / (...) / 2 */
			for (e = 0; e <= MAX_PATH; e++)
				q->one_minus_y_pow[e][i] = pow(1.0 - q->y[i], e);
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
	int32		num_leaves;
	int32		num_path;
	int32		cap_path;
	int			k;
	uint16		slot[MAX_PATH];
	double		z[MAX_PATH];
} BuildState;

/*
 * BuildNode
 *		Lays out a subtree in depth-first order, recording each leaf's path;
 *		returns the subtree's cover-weighted mean leaf value, computed as
 *		XGBoost computes its expected values (FillNodeMeanValues).
 */
static double
BuildNode(BuildState *s, int32 at, int depth, int parent_pos, bool is_right)
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
	out->is_right = is_right;
	s->ex->max_depth = Max(s->ex->max_depth, depth);

	if (n->next == at)
	{
		ExplainLeaf *leaf = &s->ex->leaves[s->num_leaves];

		out->is_leaf = 1;
		out->leaf = s->num_leaves++;
		leaf->value = n->value;
		leaf->k = (uint8) s->k;
		if (s->num_path + s->k > s->cap_path)
		{
			s->cap_path = Max(s->cap_path * 2, s->num_path + s->k);
			s->ex->path_slot = repalloc_huge(s->ex->path_slot,
											 sizeof(uint16) * s->cap_path);
			s->ex->path_z = repalloc_huge(s->ex->path_z, sizeof(double) * s->cap_path);
		}
		leaf->path = s->num_path;
		memcpy(&s->ex->path_slot[s->num_path], s->slot, sizeof(uint16) * s->k);
		memcpy(&s->ex->path_z[s->num_path], s->z, sizeof(double) * s->k);
		s->num_path += s->k;
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
		double		share = s->ev->covers[child] / cover;
		double		child_mean;

		if (pos < s->k)
		{
			double		saved = s->z[pos];

			s->z[pos] = saved * share;
			child_mean = BuildNode(s, child, depth + 1, pos, side == 1);
			s->z[pos] = saved;
		}
		else
		{
			s->slot[s->k] = n->feature;
			s->z[s->k] = share;
			s->k++;
			child_mean = BuildNode(s, child, depth + 1, pos, side == 1);
			s->k--;
		}
		mean += child_mean * s->ev->covers[child];
	}
	return mean / cover;
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
	int			t;

	if (!rules_ready)
		InitRules();
	ex->num_trees = ev->num_trees;
	ex->tree_start = palloc(sizeof(int32) * (ev->num_trees + 1));
	ex->nodes = MemoryContextAllocHuge(CurrentMemoryContext,
									   sizeof(ExplainNode) * Max(ev->num_nodes, 1));
	ex->leaves = MemoryContextAllocHuge(CurrentMemoryContext,
										sizeof(ExplainLeaf) * Max(ev->num_nodes, 1));
	memset(&s, 0, sizeof(s));
	s.ev = ev;
	s.ex = ex;
	s.cap_path = 1024;
	ex->path_slot = palloc(sizeof(uint16) * s.cap_path);
	ex->path_z = palloc(sizeof(double) * s.cap_path);
	ex->base_value = ev->base_margin;
	for (t = 0; t < ev->num_trees; t++)
	{
		CHECK_FOR_INTERRUPTS();
		s.tree = t;
		ex->tree_start[t] = s.num_nodes;
		ex->base_value += BuildNode(&s, ev->roots[t], 0, 0, false);
	}
	ex->tree_start[ev->num_trees] = s.num_nodes;
	return ex;
}

/*
 * AddLeafPoints
 *		Adds one leaf's Shapley values, given which of its path's features
 *		the row follows (bit i of on: the feature at path position i), with
 *		the m-point rule.  Inlined with m constant for the common small
 *		rules, so that the loops over the points unroll.
 */
static pg_attribute_always_inline void
AddLeafPoints(const Explainer *ex, const ExplainLeaf *leaf, uint32 on,
			  double *phi, const int m)
{
	int			k = leaf->k;
	const uint16 *slot = &ex->path_slot[leaf->path];
	const double *z = &ex->path_z[leaf->path];
	const Quadrature *rule = &rules[m];
	double		scale = leaf->value;
	double		g[MAX_PATH][MAX_POINTS];
	double		prefix[MAX_PATH + 1][MAX_POINTS];
	double		suffix[MAX_POINTS];
	double		e[MAX_POINTS];
	int			members[MAX_PATH];
	int			t = 0,
				i,
				a,
				q;

	/* the features the row does not follow contribute z_i (1 - y) */
	for (i = 0; i < k; i++)
	{
		if (on & ((uint32) 1 << i))
			members[t++] = i;
		else
			scale *= z[i];
	}

	/* g_a(y) = z + y (1 - z) of the followed features, and prefix products */
	for (q = 0; q < m; q++)
		prefix[0][q] = 1.0;
	for (a = 0; a < t; a++)
	{
		double		zi = z[members[a]];

		for (q = 0; q < m; q++)
		{
			g[a][q] = zi + rule->y[q] * (1.0 - zi);
			prefix[a + 1][q] = prefix[a][q] * g[a][q];
		}
	}

	/* an unfollowed feature j: -value * Z * integral (1 - y)^(k-t-1) P(y) */
	if (t < k)
	{
		double		sum = 0;

		for (q = 0; q < m; q++)
			sum += rule->w[q] * rule->one_minus_y_pow[k - t - 1][q] * prefix[t][q];
		sum *= scale;
		for (i = 0; i < k; i++)
		{
			if (!(on & ((uint32) 1 << i)))
				phi[slot[i]] -= sum;
		}
	}
	if (t == 0)
		return;

	/*
	 * a followed feature j: value * Z * (1 - z_j) * integral (1 - y)^(k-t)
	 * times the product of the other followed features' g
	 */
	for (q = 0; q < m; q++)
	{
		e[q] = scale * rule->w[q] * rule->one_minus_y_pow[k - t][q];
		suffix[q] = 1.0;
	}
	for (a = t - 1; a >= 0; a--)
	{
		double		sum = 0;

		for (q = 0; q < m; q++)
		{
			sum += e[q] * prefix[a][q] * suffix[q];
			suffix[q] *= g[a][q];
		}
		phi[slot[members[a]]] += (1.0 - z[members[a]]) * sum;
	}
}

/*
 * AddLeaf
 *		AddLeafPoints with the rule that is exact for the leaf: ceil(k / 2)
 *		points integrate a polynomial of degree k - 1.
 */
static inline void
AddLeaf(const Explainer *ex, const ExplainLeaf *leaf, uint32 on, double *phi)
{
	int			k = leaf->k;

	if (k == 0)
		return;
	on &= ((uint32) 1 << k) - 1;
	switch ((k + 1) / 2)
	{
		case 1:
			AddLeafPoints(ex, leaf, on, phi, 1);
			break;
		case 2:
			AddLeafPoints(ex, leaf, on, phi, 2);
			break;
		case 3:
			AddLeafPoints(ex, leaf, on, phi, 3);
			break;
		case 4:
			AddLeafPoints(ex, leaf, on, phi, 4);
			break;
		case 5:
			AddLeafPoints(ex, leaf, on, phi, 5);
			break;
		default:
			AddLeafPoints(ex, leaf, on, phi, (k + 1) / 2);
			break;
	}
}

/*
 * ExplainerExplain
 *		One pass over each tree in depth-first order: a node's bits (which
 *		features of its path the row follows so far) are its parent's, with
 *		the parent's feature cleared when the row takes the other branch.
 */
void
ExplainerExplain(const Explainer *ex, const float *x, double phi[DURPRED_VECTOR_LEN])
{
	uint32		mask[MAX_DEPTH];
	uint8		right[MAX_DEPTH];
	int			t;

	memset(phi, 0, sizeof(double) * DURPRED_VECTOR_LEN);
	for (t = 0; t < ex->num_trees; t++)
	{
		int32		i;

		for (i = ex->tree_start[t]; i < ex->tree_start[t + 1]; i++)
		{
			const ExplainNode *n = &ex->nodes[i];
			int			d = n->depth;

			if (d == 0)
				mask[0] = ~(uint32) 0;
			else
				mask[d] = mask[d - 1] &
					~((uint32) (n->is_right != right[d - 1]) << n->parent_pos);
			if (n->is_leaf)
				AddLeaf(ex, &ex->leaves[n->leaf], mask[d], phi);
			else
			{
				float		v = x[n->slot];

				right[d] = isnan(v) ? n->default_right : !(v < n->threshold);
			}
		}
	}
}

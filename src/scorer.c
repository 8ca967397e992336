/*-------------------------------------------------------------------------
 *
 * src/scorer.c
 *		Building a Scorer from model bytes, and scoring a feature vector.
 *
 * The compiled evaluator must agree with XGBoost bit for bit.  Before a
 * scorer is used, both score a set of probe rows built from the model's own
 * thresholds (values exactly on a threshold, just below it, just above it,
 * missing, and extremes), so that every split is taken both ways; any
 * difference refuses the model.  XGBoost is given the trees a group at a
 * time, so that the check needs a few MB of XGBoost's memory whatever the
 * model's size; a scorer keeps a booster of the whole model only where
 * durpred.evaluator = xgboost asks XGBoost to score.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "booster.h"
#include "common/estimate.h"
#include "evaluator.h"
#include "explain.h"
#include "interval.h"
#include "model.h"
#include "scorer.h"

#define PROBE_ROWS 512

/*
 * The most tree nodes XGBoost is given at once to check the evaluator: its
 * load takes about 140 bytes per node (its reader's document and its own
 * trees), so a few MB whatever the model's size.
 */
#define CHECK_GROUP_NODES 32768

/* Models from this size on give the memory their load freed back. */
#define RETURN_MEMORY_SIZE (4 * 1024 * 1024)

static void ReturnFreedMemory(void);

int			durpred_evaluator = SCORER_COMPILED;

/*
 * ProbeRandom
 *		xorshift64*: deterministic pseudo-random numbers for probe rows.
 */
static uint64
ProbeRandom(uint64 *state)
{
	uint64		x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64CONST(2685821657736338717);
}

/*
 * CollectThresholds
 *		The thresholds each model column is split on, over the reachable
 *		splits of all trees (with repeats; they only serve as probe values).
 */
static void
CollectThresholds(const ModelDef *model, float **thresholds, int *counts)
{
	int		   *cap = palloc0(sizeof(int) * model->num_feature);
	int			t;

	for (t = 0; t < model->num_trees; t++)
	{
		const TreeDef *tree = &model->trees[t];
		int32	   *stack = palloc(sizeof(int32) * tree->num_nodes);
		int32		top = 0;

		stack[top++] = 0;
		while (top > 0)
		{
			int32		node = stack[--top];
			int			col;

			if (tree->left[node] == -1)
				continue;
			col = tree->split_index[node];
			if (counts[col] == cap[col])
			{
				cap[col] = cap[col] == 0 ? 16 : cap[col] * 2;
				thresholds[col] = thresholds[col] == NULL
					? palloc(sizeof(float) * cap[col])
					: repalloc(thresholds[col], sizeof(float) * cap[col]);
			}
			thresholds[col][counts[col]++] = tree->split_condition[node];
			stack[top++] = tree->left[node];
			stack[top++] = tree->right[node];
		}
		pfree(stack);
	}
	pfree(cap);
}

/*
 * ProbeValue
 *		One probe value for a model column.
 */
static float
ProbeValue(uint64 *rng, const float *thresholds, int count)
{
	uint64		r = ProbeRandom(rng);
	int			choice = (int) (r % 100);
	float		t;

	if (choice < 10)
		return NAN;
	if (count == 0 || choice >= 94)
	{
		static const float extremes[] = {0.0f, -0.0f, 1.0f, -1.0f, 1e30f,
		-1e30f, 3.4e38f, -3.4e38f, 1e-40f};

		return extremes[(r >> 32) % lengthof(extremes)];
	}
	t = thresholds[(r >> 32) % count];
	if (choice < 45)
		return t;
	if (choice < 80)
		return nextafterf(t, -INFINITY);
	return nextafterf(t, INFINITY);
}

/*
 * VerifyAgainstXGBoost
 *		Scores the probe rows with the compiled evaluator and with XGBoost
 *		and compares the bits.
 *
 * XGBoost is given the trees a group at a time (CHECK_GROUP_NODES), each
 * group as a model of its own with the model's base margin: it must predict
 * the base margin plus the group's tree values, added in order, exactly as
 * the evaluator's trees give them.  The last group's prediction is also
 * compared after the objective's transform.  Then the evaluator's own
 * prediction must be the base margin plus every tree's value, transformed:
 * so every tree, the transform and the evaluator's fast walk are checked,
 * and XGBoost never holds more than one group in memory.
 */
static void
VerifyAgainstXGBoost(const ModelDef *model, const Evaluator *ev)
{
	int			ncol = model->num_feature;
	float	  **thresholds = palloc0(sizeof(float *) * ncol);
	int		   *counts = palloc0(sizeof(int) * ncol);
	float	   *matrix = palloc(sizeof(float) * PROBE_ROWS * ncol);
	float	   *vectors = palloc(sizeof(float) * PROBE_ROWS * DURPRED_VECTOR_LEN);
	float	   *margins = palloc(sizeof(float) * PROBE_ROWS);
	float	   *expected = palloc(sizeof(float) * PROBE_ROWS);
	float	   *group_sum = palloc(sizeof(float) * PROBE_ROWS);
	MemoryContext group_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"durpred model check",
													ALLOCSET_DEFAULT_SIZES);
	uint64		rng = UINT64CONST(0x9E3779B97F4A7C15);
	int			first = 0;
	int			row,
				col;

	CollectThresholds(model, thresholds, counts);
	for (row = 0; row < PROBE_ROWS; row++)
	{
		float	   *x = &vectors[row * DURPRED_VECTOR_LEN];

		for (col = 0; col < DURPRED_VECTOR_LEN; col++)
			x[col] = NAN;
		for (col = 0; col < ncol; col++)
		{
			float		v;

			if (row == 0)
				v = NAN;		/* everything missing */
			else if (row == 1)
				v = 0.0f;
			else
				v = ProbeValue(&rng, thresholds[col], counts[col]);
			matrix[row * ncol + col] = v;
			x[model->binding[col]] = v;
		}
		margins[row] = ev->base_margin;
	}

	/* a model without trees is checked as one group of none */
	do
	{
		int			last = first;
		int64		nodes = 0;
		bool		final;
		StringInfoData canonical;
		BoosterHandle booster;
		MemoryContext old = MemoryContextSwitchTo(group_cxt);

		/* whole boosting rounds: a forest's trees stay together */
		while (last < model->num_trees &&
			   ((last - first) % model->num_parallel_tree != 0 || last == first ||
				nodes + model->trees[last].num_nodes <= CHECK_GROUP_NODES))
			nodes += model->trees[last++].num_nodes;
		final = last == model->num_trees;

		initStringInfo(&canonical);
		ModelWriteCanonical(model, first, last - first, &canonical);
		booster = BoosterLoad(&canonical, group_cxt);
		BoosterPredict(booster, matrix, PROBE_ROWS, ncol, true, expected);
		for (row = 0; row < PROBE_ROWS; row++)
		{
			const float *x = &vectors[row * DURPRED_VECTOR_LEN];
			int			t;

			group_sum[row] = ev->base_margin;
			for (t = first; t < last; t++)
			{
				float		value = EvaluatorTreeValue(ev, t, x);

				group_sum[row] += value;
				margins[row] += value;
			}
			if (memcmp(&group_sum[row], &expected[row], sizeof(float)) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("model refused: the compiled evaluator disagrees with XGBoost"),
						 errdetail("On probe row %d, the base margin plus trees %d to %d give %.9g in the evaluator and %.9g in XGBoost.",
								   row, first, last - 1, group_sum[row], expected[row])));
		}
		if (final)
		{
			BoosterPredict(booster, matrix, PROBE_ROWS, ncol, false, expected);
			for (row = 0; row < PROBE_ROWS; row++)
			{
				float		got = EvaluatorTransform(ev, group_sum[row]);

				if (memcmp(&got, &expected[row], sizeof(float)) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("model refused: the compiled evaluator disagrees with XGBoost"),
							 errdetail("On probe row %d, the objective's transform of %.9g gives %.9g in the evaluator and %.9g in XGBoost.",
									   row, group_sum[row], got, expected[row])));
			}
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(group_cxt);
		first = last;
	} while (first < model->num_trees);

	for (row = 0; row < PROBE_ROWS; row++)
	{
		float		got = EvaluatorPredict(ev, &vectors[row * DURPRED_VECTOR_LEN]);
		float		sum = EvaluatorTransform(ev, margins[row]);

		if (memcmp(&got, &sum, sizeof(float)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("model refused: the compiled evaluator disagrees with XGBoost"),
					 errdetail("On probe row %d, the evaluator predicts %.9g where its trees, checked against XGBoost, add up to %.9g.",
							   row, got, sum)));
	}
	MemoryContextDelete(group_cxt);
}

/*
 * BaseMargin
 *		The prediction of the model without its trees: XGBoost's own reading
 *		of base_score, after the objective's link (log for gamma, Tweedie and
 *		Poisson).  Taken from XGBoost so that the evaluator starts from the
 *		very same float.
 */
static float
BaseMargin(const ModelDef *model, int invalid_errcode)
{
	StringInfoData bytes;
	BoosterHandle booster;
	float	   *row = palloc(sizeof(float) * model->num_feature);
	float		margin;
	int			i;

	initStringInfo(&bytes);
	ModelWriteCanonical(model, 0, 0, &bytes);
	booster = BoosterLoad(&bytes, CurrentMemoryContext);
	for (i = 0; i < model->num_feature; i++)
		row[i] = NAN;
	BoosterPredict(booster, row, 1, model->num_feature, true, &margin);
	if (!isfinite(margin))
		ereport(ERROR,
				(errcode(invalid_errcode),
				 errmsg("invalid XGBoost model: base_score %s gives no finite margin for objective \"%s\"",
						model->base_score_text, model->objective)));
	return margin;
}

/*
 * ScorerBuild
 *		The whole load of a model: validation, compilation, the check against
 *		XGBoost, and XGBoost's own booster of the model if asked for.
 *
 * The parsed model and the boosters of the check live in a scratch context
 * that is deleted at the end; only the scorer's own context survives.
 */
Scorer *
ScorerBuild(const char *data, size_t len, Jsonb *info, int invalid_errcode,
			bool with_booster)
{
	MemoryContext cxt;
	MemoryContext scratch;
	MemoryContext old;
	Scorer	   *scorer;
	ModelDef   *model;
	StringInfoData canonical;
	float		base_margin;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "durpred model",
								ALLOCSET_DEFAULT_SIZES);
	scratch = AllocSetContextCreate(cxt, "durpred model load", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);

	model = ModelParse(data, len, invalid_errcode);
	base_margin = BaseMargin(model, invalid_errcode);

	MemoryContextSwitchTo(cxt);
	scorer = palloc0(sizeof(Scorer));
	scorer->cxt = cxt;
	scorer->is_ubjson = model->is_ubjson;
	scorer->num_feature = model->num_feature;
	scorer->binding = palloc(sizeof(int) * model->num_feature);
	memcpy(scorer->binding, model->binding, sizeof(int) * model->num_feature);
	scorer->num_trees = model->num_trees;
	scorer->num_parallel_tree = model->num_parallel_tree;
	scorer->max_depth = model->max_depth;
	scorer->objective = pstrdup(model->objective);
	memcpy(scorer->xgboost_version, model->version, sizeof(model->version));
	scorer->evaluator = EvaluatorCompile(model, base_margin);

	FeatureVectorInit(scorer->defaults);
	if (info != NULL)
	{
		JsonbValue	key;
		JsonbValue *defaults;

		if (!JB_ROOT_IS_OBJECT(info))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model info must be a JSON object")));
		key.type = jbvString;
		key.val.string.val = "defaults";
		key.val.string.len = 8;
		defaults = findJsonbValueFromContainer(&info->root, JB_FOBJECT, &key);
		if (defaults != NULL)
		{
			if (defaults->type != jbvBinary ||
				!JsonContainerIsObject(defaults->val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"defaults\" of model info must be a JSON object of feature names and values")));
			FeatureVectorFromJsonb(JsonbValueToJsonb(defaults),
								   scorer->defaults, "model defaults");
		}
		scorer->intervals = IntervalTableFromInfo(info);
	}

	MemoryContextSwitchTo(scratch);
	VerifyAgainstXGBoost(model, scorer->evaluator);
	if (with_booster)
	{
		/* the canonical form is about the size of a UBJSON file */
		initStringInfo(&canonical);
		enlargeStringInfo(&canonical, Min(len + len / 4, MaxAllocSize - 2));
		ModelWriteCanonical(model, 0, model->num_trees, &canonical);
		scorer->booster = BoosterLoad(&canonical, cxt);
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	if (len >= RETURN_MEMORY_SIZE)
		ReturnFreedMemory();
	return scorer;
}

/*
 * ReturnFreedMemory
 *		Gives the memory that a large model's load freed back to the system.
 *
 * glibc keeps freed memory for the process's next allocations, and pieces
 * freed in the middle of its heap may stay resident for as long as the
 * backend lives; a model of tens of MB leaves as much behind.  malloc_trim
 * releases them.  Elsewhere, nothing is done.
 */
static void
ReturnFreedMemory(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * ScorerFree
 *		Frees a scorer, and gives its memory back to the system if it was
 *		large.
 */
void
ScorerFree(Scorer *scorer)
{
	bool		large = MemoryContextMemAllocated(scorer->cxt, true) >= RETURN_MEMORY_SIZE;

	MemoryContextDelete(scorer->cxt);
	if (large)
		ReturnFreedMemory();
}

/*
 * RefuseMarginBound
 *		Raises sqlerrcode for a margin bound ("largest" or "smallest") that
 *		is not finite, saying where the sum overflows.
 */
static void
pg_attribute_noreturn()
RefuseMarginBound(const Scorer *scorer, const MarginBound *bound,
				  const char *which, int sqlerrcode)
{
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("model refused: its %s possible margin is not finite in float32", which),
			 errdetail("The base margin %g plus each tree's %s leaf value, summed in float32 in tree order as XGBoost sums them, reaches %g before tree %d of %d, whose %s leaf %g takes it past %g.",
					   scorer->evaluator->base_margin, which, bound->before,
					   bound->overflow_tree, scorer->num_trees, which,
					   bound->leaf, bound->leaf > 0 ? FLT_MAX : -FLT_MAX),
			 errhint("Inputs that reach such leaves could not be scored; check how the model was trained or written.")));
}

/*
 * ScorerCheckRange
 *		Refuses, with sqlerrcode, a model whose margin can be infinite in
 *		float32 (either bound of EvaluatorMarginBounds overflows), so that
 *		some of its predictions would be infinite or NaN; and a model with a
 *		log link (it predicts exp(margin)) whose smallest margin is beyond
 *		log(FLT_MAX), so that every one of its predictions would be infinite.
 *
 * A log link model whose largest margin bound is beyond log(FLT_MAX) is
 * accepted: the bound adds up each tree's largest leaf on its own, several
 * times the largest margin that any input reaches (3 to 5 times for gamma,
 * Tweedie and Poisson models of 300 to 2,000 trees trained on durations),
 * so refusing on it could refuse a sound model.  A prediction that does
 * overflow is infinite.
 */
void
ScorerCheckRange(const Scorer *scorer, int sqlerrcode)
{
	MarginBound lowest;
	MarginBound highest;

	EvaluatorMarginBounds(scorer->evaluator, &lowest, &highest);
	if (!isfinite(highest.value))
		RefuseMarginBound(scorer, &highest, "largest", sqlerrcode);
	if (!isfinite(lowest.value))
		RefuseMarginBound(scorer, &lowest, "smallest", sqlerrcode);
	if (scorer->evaluator->transform == TRANSFORM_EXP && !isfinite(expf(lowest.value)))
		ereport(ERROR,
				(errcode(sqlerrcode),
				 errmsg("model refused: every prediction overflows float32"),
				 errdetail("Objective \"%s\" predicts exp(margin), and the smallest possible margin, %g, is above %g, beyond which exp(margin) is not finite in float32.",
						   scorer->objective, lowest.value, logf(FLT_MAX))));
}

/*
 * ScorerPredict
 *		Scores one vector with the evaluator durpred.evaluator selects.
 */
float
ScorerPredict(const Scorer *scorer, const float *x)
{
	if (likely(durpred_evaluator == SCORER_COMPILED))
		return EvaluatorPredict(scorer->evaluator, x);
	else
	{
		float		row[DURPRED_VECTOR_LEN];
		float		out;
		int			i;

		if (scorer->booster == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the model was loaded without XGBoost's booster"),
					 errdetail("durpred.evaluator was changed while the model was in use."),
					 errhint("Run the statement again.")));
		for (i = 0; i < scorer->num_feature; i++)
			row[i] = x[scorer->binding[i]];
		BoosterPredict(scorer->booster, row, 1, scorer->num_feature, false, &out);
		return out;
	}
}

/*
 * ScorerSeconds
 *		The prediction as float8 seconds, clamped at 0 as the reference
 *		service does (EstimateSeconds, which the trainer's estimates are
 *		too); a NaN prediction is an error.
 */
double
ScorerSeconds(const Scorer *scorer, const float *x)
{
	double		d = ScorerPredict(scorer, x);

	if (isnan(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the model's prediction is NaN")));
	return EstimateSeconds(d);
}

/*
 * ScorerExplainer
 *		The explainer of the scorer's trees: built once, on the first
 *		explanation, so that a model that is only scored does not pay for
 *		it.  A failed build leaves nothing behind.
 */
const Explainer *
ScorerExplainer(Scorer *scorer)
{
	if (unlikely(scorer->explainer == NULL))
	{
		MemoryContext cxt = AllocSetContextCreate(scorer->cxt, "durpred explainer",
												  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		PG_TRY();
		{
			scorer->explainer = ExplainerBuild(scorer->evaluator);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
			PG_RE_THROW();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
	}
	return scorer->explainer;
}

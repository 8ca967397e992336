/*-------------------------------------------------------------------------
 *
 * src/importance.c
 *		Global feature importance of a stored model, from its trees:
 *		durpred.tree_importance(), which durpred.feature_importance() reads.
 *
 * The figures are XGBoost's get_score (GBTreeModel's FeatureScore in
 * XGBoost 1.7, src/gbm/gbtree.h): over the splits reachable from each
 * tree's root, per feature, weight is the number of splits, total_gain the
 * sum of their loss_change, total_cover the sum of their sum_hessian, and
 * gain and cover those sums divided by the number of splits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "durpred.h"
#include "feature.h"
#include "model.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_tree_importance);

/*
 * durpred_tree_importance
 *		One row per input of the model in bytes, in model column order:
 *		(feature, weight, gain, total_gain, cover, total_cover).  A feature
 *		no split uses has weight 0 and 0 for the others (get_score leaves it
 *		out).
 */
Datum
durpred_tree_importance(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	ReturnSetInfo *rsinfo;
	ModelDef   *model;
	int64	   *weight;
	double	   *gain;
	double	   *cover;
	int			t,
				col;

	CheckModelSize(VARSIZE_ANY_EXHDR(bytes));
	model = ModelParse(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes),
					   ERRCODE_DATA_CORRUPTED);
	weight = palloc0(sizeof(int64) * model->num_feature);
	gain = palloc0(sizeof(double) * model->num_feature);
	cover = palloc0(sizeof(double) * model->num_feature);

	for (t = 0; t < model->num_trees; t++)
	{
		const TreeDef *tree = &model->trees[t];
		int32	   *stack = palloc(sizeof(int32) * tree->num_nodes);
		int32		top = 0;

		CHECK_FOR_INTERRUPTS();
		stack[top++] = 0;
		while (top > 0)
		{
			int32		node = stack[--top];
			int			split;

			if (tree->left[node] == -1)
				continue;
			split = tree->split_index[node];
			weight[split]++;
			gain[split] += tree->loss_change[node];
			cover[split] += tree->sum_hessian[node];
			stack[top++] = tree->left[node];
			stack[top++] = tree->right[node];
		}
		pfree(stack);
	}

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	for (col = 0; col < model->num_feature; col++)
	{
		/* keep in sync with sql/durpred--0.5.0.sql:durpred.tree_importance */
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		double		n = Max(weight[col], 1);

		values[0] = CStringGetTextDatum(DurpredFeatures[model->binding[col]].name);
		values[1] = Int64GetDatum(weight[col]);
		values[2] = Float8GetDatum(gain[col] / n);
		values[3] = Float8GetDatum(gain[col]);
		values[4] = Float8GetDatum(cover[col] / n);
		values[5] = Float8GetDatum(cover[col]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

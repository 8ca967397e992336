/*-------------------------------------------------------------------------
 *
 * src/model.h
 *		A validated XGBoost regression model: its trees, objective and the
 *		binding of its inputs to durpred's features.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_MODEL_H
#define DURPRED_MODEL_H

#include "lib/stringinfo.h"

#include "feature.h"

typedef enum OutputTransform
{
	TRANSFORM_IDENTITY,			/* squared, pseudo-Huber, absolute, squared log */
	TRANSFORM_EXP				/* log link: gamma, Tweedie, Poisson */
} OutputTransform;

typedef struct TreeDef
{
	int32		num_nodes;
	int32		num_deleted;
	int32		depth;			/* longest root-to-leaf path, in edges */
	int32		reachable;		/* nodes reachable from the root */
	int32	   *left;
	int32	   *right;
	int32	   *parent;
	int32	   *split_index;	/* model column of each split */
	float	   *split_condition;	/* threshold, or a leaf's value */
	uint8	   *default_left;
	float	   *base_weight;
	float	   *loss_change;
	float	   *sum_hessian;
} TreeDef;

typedef struct ModelDef
{
	bool		is_ubjson;		/* format of the bytes as given */
	int64		version[3];		/* XGBoost release that wrote it */
	int			num_feature;	/* model columns */
	int		   *binding;		/* model column -> durpred feature */
	bool		named;			/* inputs bound by stored names */
	char	   *objective;
	OutputTransform transform;
	StringInfoData objective_ubjson;	/* the objective object, canonical */
	char	   *base_score_text;	/* as XGBoost parses it (no brackets) */
	float		base_score;
	char	   *boost_from_average;
	int			num_parallel_tree;
	int			num_trees;
	TreeDef    *trees;
	int64		total_nodes;	/* reachable nodes of all trees */
	int			max_depth;
	int			best_iteration; /* attribute, -1 when absent */
} ModelDef;

/* durpred.max_model_size, in kilobytes: the largest model installed or loaded */
#define DURPRED_DEFAULT_MAX_MODEL_SIZE (64 * 1024)
extern int	durpred_max_model_size;

/* Raises 54000 for model bytes above durpred.max_model_size. */
extern void CheckModelSize(Size len);

/* Formats of model bytes. */
#define MODEL_FORMAT_NAME(m) ((m)->is_ubjson ? "ubjson" : "json")

/*
 * Parses and validates model bytes.  invalid_errcode is raised for bytes
 * that are not a valid model (22023 at install, XX001 for stored bytes);
 * unsupported kinds of model raise 0A000 either way.
 */
extern ModelDef *ModelParse(const char *data, size_t len, int invalid_errcode);

/*
 * Writes the model as canonical UBJSON with exactly the fields XGBoost 1.7
 * reads, keeping only its trees first_tree .. first_tree + num_trees - 1 (a
 * model with none predicts the base margin; one with some of them, the base
 * margin plus those trees' values, added in their order).  XGBoost is only
 * ever given bytes written here.
 */
extern void ModelWriteCanonical(const ModelDef *model, int first_tree,
								int num_trees, StringInfo out);

#endif							/* DURPRED_MODEL_H */

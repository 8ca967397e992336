/*-------------------------------------------------------------------------
 *
 * src/scorer.h
 *		A model ready to score: its compiled evaluator, XGBoost's booster
 *		where asked for, and what the SQL functions need to know about it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_SCORER_H
#define DURPRED_SCORER_H

#include "utils/jsonb.h"

#include "booster.h"
#include "evaluator.h"
#include "explain.h"
#include "feature.h"

typedef struct Scorer
{
	MemoryContext cxt;			/* holds all of it; frees the booster */

	/* the model */
	bool		is_ubjson;
	int			num_feature;
	int		   *binding;		/* model column -> durpred feature */
	int			num_trees;
	int			num_parallel_tree;
	int			max_depth;
	char	   *objective;
	int64		xgboost_version[3];

	/* scoring */
	Evaluator  *evaluator;
	Explainer  *explainer;		/* built at the first explanation */
	BoosterHandle booster;		/* NULL unless built with_booster */
	float		defaults[DURPRED_VECTOR_LEN];	/* of the jsonb request form */
	struct IntervalTable *intervals;	/* info.intervals (interval.h), or NULL */
} Scorer;

/* Which evaluator scores rows: durpred.evaluator. */
typedef enum ScorerEvaluator
{
	SCORER_COMPILED,
	SCORER_XGBOOST
} ScorerEvaluator;

extern int	durpred_evaluator;

/*
 * Validates model bytes, compiles the evaluator and checks it against
 * XGBoost on probe rows; with_booster also keeps XGBoost's booster of the
 * model, which durpred.evaluator = xgboost scores with.  info may be NULL;
 * its "defaults" and "intervals" are checked and kept.  invalid_errcode:
 * see ModelParse.
 *
 * The scorer lives in a new context under the current one, so that an
 * error anywhere frees it (and its booster) with the transaction; a caller
 * that keeps it moves scorer->cxt under a long-lived context afterwards.
 */
extern Scorer *ScorerBuild(const char *data, size_t len, Jsonb *info,
						   int invalid_errcode, bool with_booster);

/*
 * Frees a scorer (its context, and its booster with it), and gives the
 * memory back to the system where it was large.
 */
extern void ScorerFree(Scorer *scorer);

/*
 * Refuses (sqlerrcode) a model some of whose margins are not finite in
 * float32, or whose every prediction overflows its output transform; see
 * scorer.c.
 */
extern void ScorerCheckRange(const Scorer *scorer, int sqlerrcode);

/* The model's output for a feature vector, before clamping. */
extern float ScorerPredict(const Scorer *scorer, const float *features);

/*
 * The predicted duration in seconds: the model's output as float8, clamped
 * at 0 as the reference service does; a NaN output raises 22000.
 */
extern double ScorerSeconds(const Scorer *scorer, const float *features);

/*
 * The model's TreeSHAP explainer, built at its first use and kept with the
 * scorer (in a context of its own under scorer->cxt).
 */
extern const Explainer *ScorerExplainer(Scorer *scorer);

#endif							/* DURPRED_SCORER_H */

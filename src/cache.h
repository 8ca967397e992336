/*-------------------------------------------------------------------------
 *
 * src/cache.h
 *		The per-backend cache of loaded models, and which one this session
 *		scores with.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_CACHE_H
#define DURPRED_CACHE_H

#include "scorer.h"

#define MODEL_DIGEST_LEN 32		/* sha256 of the model bytes */

typedef struct CachedModel
{
	int64		id;
	char	   *name;
	int32		version;
	uint8		digest[MODEL_DIGEST_LEN];
	Scorer	   *scorer;
	uint64		last_used;
} CachedModel;

/* durpred.model: a model name that overrides the active model. */
extern char *durpred_model_name;

/*
 * The model this session scores with: the active one, or the newest version
 * of the model durpred.model names.  Loads it on first use and after it
 * changed.  Raises 55000 when there is none, unless missing_ok (then NULL).
 */
extern CachedModel *CurrentModel(bool missing_ok);

/*
 * The model predict_with_model() scores with: as CurrentModel, but having
 * no active model is an answer (NULL), not an error.  durpred.model naming
 * no model is still an error.
 */
extern CachedModel *ServingModel(void);

/*
 * The active model, whatever the session's durpred.model says; NULL when
 * none is active.  The serving trigger scores with it: the estimate it
 * stores in a row must not depend on the writer's settings.
 */
extern CachedModel *ActiveModel(void);

/*
 * Assign hooks: the session's model changes with durpred.model, and models
 * are loaded again with XGBoost's booster when durpred.evaluator changes
 * to xgboost.
 */
extern void CacheModelNameAssign(const char *newval, void *extra);
extern void CacheEvaluatorAssign(int newval, void *extra);

#endif							/* DURPRED_CACHE_H */

/*-------------------------------------------------------------------------
 *
 * src/durpred.h
 *		What PostgreSQL looks up in the durpred module besides its SQL
 *		functions: _PG_init.
 *
 * The settings' variables are declared with the code that reads them:
 * durpred.model in cache.h, durpred.evaluator in scorer.h,
 * durpred.max_model_size in model.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_DURPRED_H
#define DURPRED_DURPRED_H

/* Defines the settings; PostgreSQL calls it when it loads the module. */
extern PGDLLEXPORT void _PG_init(void);

#endif							/* DURPRED_DURPRED_H */

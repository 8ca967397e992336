/*-------------------------------------------------------------------------
 *
 * src/durpred.h
 *		Settings of the durpred extension (GUCs), shared by its files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_DURPRED_H
#define DURPRED_DURPRED_H

/* durpred.max_model_size, in kilobytes */
extern int	durpred_max_model_size;

/* Raises 54000 for model bytes above durpred.max_model_size. */
extern void CheckModelSize(Size len);

#endif							/* DURPRED_DURPRED_H */

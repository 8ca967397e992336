/*-------------------------------------------------------------------------
 *
 * fuzz/fuzz_model.c
 *		libFuzzer harness for the model reader (DocParse), the validator
 *		(ModelParse), the canonical writer (ModelWriteCanonical) and the
 *		compiler (EvaluatorCompile, EvaluatorPredict), run outside the
 *		server on the shim in fuzz/shim.c.  XGBoost is never called.
 *
 * Besides crashes, sanitizer reports and failed Asserts, these count as
 * findings (abort):
 *
 * - the reader's memory exceeding its bound (3 bytes per input byte, plus
 *   4 kB; the encoding itself panics past its own in fuzzing builds);
 * - a model that validates, and whose canonical form then does not, or
 *   reads back as another model, or is not a fixed point;
 * - the compiled evaluator disagreeing, in any bit, with a plain walk of
 *   the validated trees;
 * - an error whose SQLSTATE is not one that install_model may raise for
 *   bad bytes (22P03, 22023, 0A000, 54000).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/stringinfo.h"

#include "evaluator.h"
#include "model.h"
#include "modeldoc.h"
#include "shim.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * __asan_default_options
 *		A smaller quarantine of freed memory than the default 256 MB: every
 *		input's memory is freed at its end, and recycling 256 MB of fresh
 *		pages costs more time in page faults than the harness spends
 *		parsing.  Use after free within one input is still caught.
 */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

/*
 * Finding
 *		Reports what went wrong and aborts, which libFuzzer records as a
 *		crash with the input that caused it.
 */
static void
pg_attribute_noreturn()
Finding(const char *what)
{
	fprintf(stderr, "durpred fuzz finding: %s (last error: %s)\n", what,
			shim_error_message);
	abort();
}

/*
 * CheckErrorCode
 *		Bad bytes may only raise the errors that install_model documents.
 */
static void
CheckErrorCode(void)
{
	if (shim_error_code != ERRCODE_INVALID_BINARY_REPRESENTATION &&
		shim_error_code != ERRCODE_INVALID_PARAMETER_VALUE &&
		shim_error_code != ERRCODE_FEATURE_NOT_SUPPORTED &&
		shim_error_code != ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		Finding("unexpected SQLSTATE");
}

/*
 * WalkValue
 *		Reads every value of a parsed document, so that the sanitizers see
 *		every decode; returns the number of values.
 */
static long
WalkValue(const DocValue *v, int depth)
{
	DocIter		it;
	DocValue	item;
	const char *key;
	int32		keylen;
	long		n = 1;
	int32		count = 0;

	if (depth > 100)
		Finding("document deeper than the nesting limit");
	switch ((DocKind) v->kind)
	{
		case DOC_STRING:
			if (v->len < 0 || memchr(v->u.s, '\0', v->len) != NULL)
				Finding("string with a NUL byte or a negative length");
			return n;
		case DOC_ARRAY:
		case DOC_OBJECT:
			DocIterInit(&it, v);
			while (DocIterNext(&it, &item, &key, &keylen))
			{
				if (v->kind == DOC_OBJECT && (keylen < 0 || memchr(key, '\0', keylen)))
					Finding("key with a NUL byte or a negative length");
				n += WalkValue(&item, depth + 1);
				count++;
			}
			if (count != v->len)
				Finding("container with another number of elements than its length");
			return n;
		default:
			return n;
	}
}

/*
 * NaiveScore
 *		The prediction of a validated model by the plainest walk of its
 *		trees, for comparison with the compiled evaluator.
 */
static float
NaiveScore(const ModelDef *model, float base_margin, const float *x)
{
	float		sum = base_margin;
	int			t;

	for (t = 0; t < model->num_trees; t++)
	{
		const TreeDef *tree = &model->trees[t];
		int32		node = 0;

		while (tree->left[node] != -1)
		{
			float		v = x[model->binding[tree->split_index[node]]];

			if (isnan(v))
				node = tree->default_left[node] ? tree->left[node] : tree->right[node];
			else
				node = (v < tree->split_condition[node]) ? tree->left[node] : tree->right[node];
		}
		sum += tree->split_condition[node];
	}
	if (model->transform == TRANSFORM_EXP)
		return expf(sum);
	return sum;
}

/*
 * SameModel
 *		Whether two parsed models hold the same trees and parameters.
 */
static bool
SameModel(const ModelDef *a, const ModelDef *b)
{
	int			t;

	if (a->num_feature != b->num_feature || a->num_trees != b->num_trees ||
		a->num_parallel_tree != b->num_parallel_tree ||
		a->transform != b->transform ||
		memcmp(a->version, b->version, sizeof(a->version)) != 0 ||
		memcmp(&a->base_score, &b->base_score, sizeof(float)) != 0 ||
		strcmp(a->objective, b->objective) != 0 ||
		strcmp(a->base_score_text, b->base_score_text) != 0 ||
		strcmp(a->boost_from_average, b->boost_from_average) != 0 ||
		a->total_nodes != b->total_nodes || a->max_depth != b->max_depth)
		return false;
	for (t = 0; t < a->num_trees; t++)
	{
		const TreeDef *x = &a->trees[t];
		const TreeDef *y = &b->trees[t];
		size_t		n = x->num_nodes;

		if (x->num_nodes != y->num_nodes || x->num_deleted != y->num_deleted ||
			x->depth != y->depth || x->reachable != y->reachable ||
			memcmp(x->left, y->left, n * 4) != 0 ||
			memcmp(x->right, y->right, n * 4) != 0 ||
			memcmp(x->parent, y->parent, n * 4) != 0 ||
			memcmp(x->split_index, y->split_index, n * 4) != 0 ||
			memcmp(x->split_condition, y->split_condition, n * 4) != 0 ||
			memcmp(x->default_left, y->default_left, n) != 0 ||
			memcmp(x->base_weight, y->base_weight, n * 4) != 0 ||
			memcmp(x->loss_change, y->loss_change, n * 4) != 0 ||
			memcmp(x->sum_hessian, y->sum_hessian, n * 4) != 0)
			return false;
	}
	return true;
}

/*
 * FuzzReader
 *		DocParse alone: its memory, and a walk of what it read.
 */
static void
FuzzReader(const uint8_t *data, size_t size)
{
	sigjmp_buf	jump;
	Doc		   *volatile doc = NULL;

	ShimResetPeak();
	shim_error_jump = &jump;
	if (sigsetjmp(jump, 0) == 0)
		doc = DocParse((const char *) data, size, ERRCODE_INVALID_BINARY_REPRESENTATION);
	else
		CheckErrorCode();
	shim_error_jump = NULL;
	if (shim_peak_bytes > 3 * size + 4096)
		Finding("the reader used more than 3 bytes per input byte");
	if (doc != NULL)
	{
		if (doc->root.kind != DOC_OBJECT)
			Finding("the top level is not an object");
		if (doc->encoded_len > size + size / 2 + size / 16 + 1024)
			Finding("the encoding is longer than its bound");
		WalkValue(&doc->root, 0);
	}
	ShimFreeAll();
}

/*
 * FuzzModel
 *		ModelParse, the canonical form and the compiled evaluator.
 */
static void
FuzzModel(const uint8_t *data, size_t size)
{
	sigjmp_buf	jump;
	ModelDef   *volatile model = NULL;
	ModelDef   *volatile again = NULL;
	Evaluator  *volatile ev = NULL;
	StringInfoData canonical;
	StringInfoData canonical2;
	StringInfoData treeless;
	float		x[DURPRED_VECTOR_LEN];
	int			row,
				i;

	shim_error_jump = &jump;
	if (sigsetjmp(jump, 0) == 0)
		model = ModelParse((const char *) data, size, ERRCODE_INVALID_PARAMETER_VALUE);
	else
	{
		CheckErrorCode();
		goto done;
	}

	/* the canonical form validates again, as the same model, once written */
	if (sigsetjmp(jump, 0) == 0)
	{
		initStringInfo(&canonical);
		ModelWriteCanonical(model, 0, model->num_trees, &canonical);
		initStringInfo(&treeless);
		ModelWriteCanonical(model, 0, 0, &treeless);
	}
	else
		Finding("writing the canonical form failed");
	/* (the canonical form has no names: it reads back with 25 features) */
	if (model->num_feature == DURPRED_NUM_FEATURES)
	{
		if (sigsetjmp(jump, 0) == 0)
			again = ModelParse(canonical.data, canonical.len, ERRCODE_INVALID_PARAMETER_VALUE);
		else
			Finding("the canonical form of a valid model is refused");
		if (!SameModel(model, again))
			Finding("the canonical form reads back as another model");
		initStringInfo(&canonical2);
		ModelWriteCanonical(again, 0, again->num_trees, &canonical2);
		if (canonical.len != canonical2.len ||
			memcmp(canonical.data, canonical2.data, canonical.len) != 0)
			Finding("the canonical form is not a fixed point");
	}

	/* the compiled evaluator agrees with a plain walk, bit for bit */
	if (sigsetjmp(jump, 0) == 0)
		ev = EvaluatorCompile(model, 0.5f);
	else
	{
		CheckErrorCode();
		goto done;
	}
	for (row = 0; row < 8; row++)
	{
		float		got,
					want;

		for (i = 0; i < DURPRED_VECTOR_LEN; i++)
		{
			uint8		b = size > 0 ? data[(row * 31 + i * 7) % size] : 0;

			switch (row)
			{
				case 0:
					x[i] = NAN;
					break;
				case 1:
					x[i] = 0.0f;
					break;
				default:
					x[i] = (b % 5 == 0) ? NAN : (float) b - 64.0f;
					break;
			}
		}
		x[DURPRED_MISSING_SLOT] = NAN;
		got = EvaluatorPredict(ev, x);
		want = NaiveScore(model, 0.5f, x);
		if (memcmp(&got, &want, sizeof(float)) != 0)
			Finding("the compiled evaluator disagrees with a plain walk");
	}

done:
	shim_error_jump = NULL;
	ShimFreeAll();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzReader(data, size);
	FuzzModel(data, size);
	return 0;
}
